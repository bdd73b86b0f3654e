//! Page faults on user addresses, from user mode (the thread loop) and from the kernel's user
//! copies (hal calls [`resolve_kernel_fault`]), resolved against the current process's VMAs.

use super::address_space::{Access, FaultError};
use super::oom;
use crate::process;
use core::sync::atomic::Ordering;

/// x86 page-fault error code bits.
const ERROR_WRITE: u64 = 1 << 1;
const ERROR_INSTRUCTION: u64 = 1 << 4;

/// Resolves a fault taken by user code of `thread`; `Err` carries the SIGSEGV reason. The mm
/// lock is held for reading (Linux's `lock_mm_and_find_vma`).
pub fn handle_user_fault(
    thread: &process::Thread,
    address: u64,
    error_code: u64,
) -> Result<(), FaultError> {
    let access = Access {
        is_write: error_code & ERROR_WRITE != 0,
        is_execute: error_code & ERROR_INSTRUCTION != 0,
    };
    let mm_shared = thread.process.mm.get();
    let mut mm = mm_shared.read();
    if mm.is_below_grows_down(address) {
        drop(mm);
        mm_shared
            .write()
            .expand_downwards(address, || stack_limits(&thread.process))?;
        mm = mm_shared.read();
    }
    mm.grow_stack(address, || stack_limits(&thread.process))?;
    thread
        .process
        .stats
        .minor_faults
        .fetch_add(1, Ordering::Relaxed);
    match mm.handle_fault(address, access) {
        Err(FaultError::Userfault) => {
            let userfault = mm.find_vma(address).and_then(|vma| vma.userfault.clone());
            drop(mm);
            // The instruction runs again once the page is there (or a signal came first).
            if let Some(userfault) = userfault {
                userfault.wait_for_page(&process::current(), address, access.is_write, false);
            }
            Ok(())
        }
        result => result,
    }
}

/// `RLIMIT_STACK` and `RLIMIT_AS` (soft), read only when the stack grows.
fn stack_limits(process: &process::Process) -> (u64, u64) {
    let limits = process.limits.lock();
    let soft = |resource| limits.get(resource).map_or(u64::MAX, |limit| limit.soft);
    (
        soft(process::rlimit::RLIMIT_STACK),
        soft(process::rlimit::RLIMIT_AS),
    )
}

/// The resolver hal calls for a fault inside a user copy. When memory runs out, the OOM killer
/// chooses a victim and the fault is retried once its memory is back (as Linux's page allocator
/// retries after `out_of_memory`); if the caller itself is the victim, the copy fails and the
/// syscall returns to user mode, where SIGKILL ends the process.
fn resolve_kernel_fault(address: u64, is_write: bool) -> bool {
    /// Ticks to wait for a dying victim's memory before giving up with EFAULT.
    const OOM_RETRIES: usize = 250;
    let Some(thread) = process::try_current() else {
        return false;
    };
    for _ in 0..OOM_RETRIES {
        let result = {
            let mm_shared = thread.process.mm.get();
            let mut mm = mm_shared.read();
            if mm.is_below_grows_down(address) {
                drop(mm);
                if mm_shared
                    .write()
                    .expand_downwards(address, || stack_limits(&thread.process))
                    .is_err()
                {
                    return false;
                }
                mm = mm_shared.read();
            }
            if mm
                .grow_stack(address, || stack_limits(&thread.process))
                .is_err()
            {
                return false;
            }
            let result = mm.handle_fault(
                address,
                Access {
                    is_write,
                    is_execute: false,
                },
            );
            if result == Err(FaultError::Userfault) {
                let userfault = mm.find_vma(address).and_then(|vma| vma.userfault.clone());
                drop(mm);
                // A fault in the kernel's own copy: not for UFFD_USER_MODE_ONLY files, and
                // only a fatal signal ends the wait.
                match userfault {
                    Some(userfault)
                        if userfault.wait_for_page(&thread, address, is_write, true) =>
                    {
                        continue;
                    }
                    _ => return false,
                }
            }
            result
        };
        match result {
            Ok(()) => return true,
            Err(FaultError::OutOfMemory) => match oom::out_of_memory(&thread) {
                oom::OomOutcome::MemoryComing => {
                    oom::wait_for_memory(&thread);
                    if thread.is_exiting.load(Ordering::Relaxed) {
                        return false;
                    }
                }
                oom::OomOutcome::KilledCurrent | oom::OomOutcome::NoVictim => return false,
            },
            Err(_) => return false,
        }
    }
    false
}

/// Registers the resolver with hal.
pub fn init() {
    hal::usercopy::set_fault_resolver(resolve_kernel_fault);
}
