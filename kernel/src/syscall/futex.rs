//! futex, set_robust_list, get_robust_list (Linux `kernel/futex/syscalls.c`): decodes the
//! operation and its arguments in Linux's order; the hash, keys and waiting live in
//! `crate::futex`.
//!
//! Order of checks as `sys_futex`/`do_futex`: the timeout of a command that has one is read and
//! validated first (EFAULT, EINVAL); FUTEX_CLOCK_REALTIME is allowed only with WAIT_BITSET,
//! WAIT_REQUEUE_PI and LOCK_PI2 (ENOSYS otherwise: 6.1 no longer accepts it with FUTEX_WAIT);
//! unknown commands are ENOSYS. For REQUEUE, CMP_REQUEUE and WAKE_OP the timeout argument is
//! the second count (`val2`), truncated to 32 bits. The PI commands go to `crate::futex_pi`
//! (REQUEUE_PI's pair to `crate::futex`).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::futex::{self, FutexRestart};
use crate::process::{Restart, table};
use crate::sched::timer::Deadline;
use abi::futex::{
    FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_CMP_REQUEUE, FUTEX_CMP_REQUEUE_PI,
    FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_TRYLOCK_PI,
    FUTEX_UNLOCK_PI, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_WAKE,
    FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
};
use abi::{Errno, Timespec};
use core::sync::atomic::Ordering;

/// Commands whose fourth argument is a timeout (`futex_cmd_has_timeout`).
fn has_timeout(command: i32) -> bool {
    matches!(
        command,
        FUTEX_WAIT | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI
    )
}

/// Converts a futex timeout to a deadline (`futex_init_timeout`): FUTEX_WAIT's is relative (on
/// CLOCK_MONOTONIC), the others absolute on CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME,
/// CLOCK_REALTIME (FUTEX_LOCK_PI's is always CLOCK_REALTIME), where a clock step moves them.
/// An absolute CLOCK_MONOTONIC time is one of the caller's time namespace (`offsets`).
fn deadline(
    timeout: u64,
    command: i32,
    is_realtime: bool,
    offsets: &crate::ns::time::Offsets,
) -> Result<Option<Deadline>, Errno> {
    if timeout == 0 || !has_timeout(command) {
        return Ok(None);
    }
    let value: Timespec = hal::usercopy::read_user(timeout)?;
    if value.tv_sec < 0 || !(0..1_000_000_000).contains(&value.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let ns = (value.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(value.tv_nsec as u64);
    Ok(Some(if command == FUTEX_WAIT {
        Deadline::Monotonic(crate::time::monotonic_ns().saturating_add(ns))
    } else if is_realtime || command == FUTEX_LOCK_PI {
        Deadline::Realtime(ns)
    } else {
        Deadline::Monotonic(crate::ns::time::to_host(
            offsets,
            abi::time::CLOCK_MONOTONIC,
            ns,
        ))
    }))
}

pub fn futex(
    context: &mut SyscallContext<'_>,
    address: u64,
    op: i32,
    value: u32,
    timeout: u64,
    address2: u64,
    value3: u32,
) -> SyscallResult {
    let is_private = op & FUTEX_PRIVATE_FLAG != 0;
    let is_realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let command = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let deadline = deadline(
        timeout,
        command,
        is_realtime,
        &context.thread.clock_offsets(),
    )?;
    if is_realtime
        && !matches!(
            command,
            FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2
        )
    {
        return Err(Errno::ENOSYS);
    }
    // val2 of the two-word commands travels in the timeout register.
    let value2 = timeout as u32 as i32;
    let process = &context.thread.process;
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if command == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else {
                value3
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let key = futex::key_for(process, address, is_private)?;
            let result = futex::wait(context.thread, key, address, value, bitset, deadline);
            if result == Err(Errno::ERESTART_RESTARTBLOCK) {
                record_restart(context, address, value, bitset, is_private, deadline);
            }
            result
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if command == FUTEX_WAKE {
                FUTEX_BITSET_MATCH_ANY
            } else {
                value3
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let key = futex::key_for(process, address, is_private)?;
            futex::wake(key, value as i32, bitset)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if (value as i32) < 0 || value2 < 0 {
                return Err(Errno::EINVAL);
            }
            let key1 = futex::key_for(process, address, is_private)?;
            let key2 = futex::key_for(process, address2, is_private)?;
            let compare = (command == FUTEX_CMP_REQUEUE).then_some((address, value3));
            futex::requeue(key1, key2, value as i32, value2, compare)
        }
        FUTEX_WAKE_OP => {
            let key1 = futex::key_for(process, address, is_private)?;
            let key2 = futex::key_for(process, address2, is_private)?;
            futex::wake_op(key1, key2, address2, value as i32, value2, value3)
        }
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_TRYLOCK_PI => {
            let key = futex::key_for(process, address, is_private)?;
            let is_trylock = command == FUTEX_TRYLOCK_PI;
            let deadline = if is_trylock { None } else { deadline };
            crate::futex_pi::lock(context.thread, key, address, deadline, is_trylock)
        }
        FUTEX_UNLOCK_PI => {
            let key = futex::key_for(process, address, is_private)?;
            crate::futex_pi::unlock(context.thread, key, address)
        }
        FUTEX_WAIT_REQUEUE_PI => {
            // `do_futex` passes FUTEX_BITSET_MATCH_ANY: val3 is ignored.
            if address == address2 {
                return Err(Errno::EINVAL);
            }
            let key2 = futex::key_for(process, address2, is_private)?;
            let key = futex::key_for(process, address, is_private)?;
            futex::wait_requeue_pi(
                context.thread,
                key,
                address,
                value,
                FUTEX_BITSET_MATCH_ANY,
                (key2, address2),
                deadline,
            )
        }
        FUTEX_CMP_REQUEUE_PI => {
            if (value as i32) < 0 || value2 < 0 {
                return Err(Errno::EINVAL);
            }
            if address == address2 || value != 1 {
                return Err(Errno::EINVAL);
            }
            let key1 = futex::key_for(process, address, is_private)?;
            let key2 = futex::key_for(process, address2, is_private)?;
            futex::cmp_requeue_pi(key1, key2, address, address2, value as i32, value2, value3)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// Remembers an interrupted timed wait so that `restart_syscall` resumes it with the same
/// absolute deadline.
fn record_restart(
    context: &SyscallContext<'_>,
    address: u64,
    expected: u32,
    bitset: u32,
    is_private: bool,
    deadline: Option<Deadline>,
) {
    context.thread.restart.set(Restart {
        number: context.user.regs().rax,
        deadline: deadline.unwrap_or(Deadline::Monotonic(0)),
        remain_address: 0,
        futex: Some(FutexRestart {
            address,
            expected,
            bitset,
            is_private,
        }),
    });
}

/// `restart_syscall` for a futex wait with a timeout (`futex_wait_restart`).
pub fn resume_wait(context: &mut SyscallContext<'_>, restart: Restart) -> SyscallResult {
    let Some(wait) = restart.futex else {
        return Err(Errno::EINTR);
    };
    context.user.regs_mut().rax = restart.number;
    let process = &context.thread.process;
    let key = futex::key_for(process, wait.address, wait.is_private)?;
    let deadline = Some(restart.deadline);
    let result = futex::wait(
        context.thread,
        key,
        wait.address,
        wait.expected,
        wait.bitset,
        deadline,
    );
    if result == Err(Errno::ERESTART_RESTARTBLOCK) {
        record_restart(
            context,
            wait.address,
            wait.expected,
            wait.bitset,
            wait.is_private,
            deadline,
        );
    }
    result
}

/// `sizeof(struct robust_list_head)` on x86-64.
const ROBUST_LIST_HEAD_SIZE: usize = core::mem::size_of::<abi::raw::general::robust_list_head>();

pub fn set_robust_list(context: &mut SyscallContext<'_>, head: u64, len: usize) -> SyscallResult {
    if len != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    context.thread.robust_list.store(head, Ordering::Relaxed);
    Ok(0)
}

/// get_robust_list: the head registered by thread `pid` (0: the caller). ESRCH for no such
/// thread; EPERM unless `ptrace_may_access(PTRACE_MODE_READ_REALCREDS)` allows it: the same
/// thread group, root (CAP_SYS_PTRACE), or a caller whose real uid and gid match every uid and
/// gid of a dumpable target.
pub fn get_robust_list(
    context: &mut SyscallContext<'_>,
    pid: i32,
    head: UserPtr<u64>,
    len: UserPtr<usize>,
) -> SyscallResult {
    let target = if pid == 0 {
        context.thread.clone()
    } else {
        if pid < 0 {
            return Err(Errno::ESRCH);
        }
        table::find_thread_in(context.thread.pid_ns(), pid as u32).ok_or(Errno::ESRCH)?
    };
    if !alloc::sync::Arc::ptr_eq(&target.process, &context.thread.process) {
        let caller = context.thread.process.credentials.lock().clone();
        let owner = target.process.credentials.lock().clone();
        let is_dumpable = target.process.flags.lock().dumpable == 1;
        let is_same_user = [owner.uid, owner.euid, owner.suid]
            .iter()
            .all(|&id| id == caller.uid)
            && [owner.gid, owner.egid, owner.sgid]
                .iter()
                .all(|&id| id == caller.gid);
        let is_privileged = caller.has_capability(abi::capability::CAP_SYS_PTRACE);
        if !(is_privileged || is_same_user && is_dumpable) {
            return Err(Errno::EPERM);
        }
    }
    let value = target.robust_list.load(Ordering::Relaxed);
    len.write(&ROBUST_LIST_HEAD_SIZE)?;
    head.write(&value)?;
    Ok(0)
}

/// `struct futex_waitv`.
#[derive(zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout)]
#[repr(C)]
struct FutexWaitv {
    val: u64,
    uaddr: u64,
    flags: u32,
    reserved: u32,
}

/// `FUTEX_WAITV_MAX`.
const FUTEX_WAITV_MAX: u32 = 128;
/// `FUTEX_32`: the word size flag every entry must carry.
const FUTEX_32: u32 = 2;

/// futex_waitv (Linux `kernel/futex/syscalls.c`): no flags (`EINVAL`), 1 to 128 entries and a
/// non-null vector (`EINVAL`); the timeout, if any, is absolute on CLOCK_MONOTONIC or
/// CLOCK_REALTIME (another clock `EINVAL`, an invalid time `EINVAL`, unreadable `EFAULT`); each
/// entry read in turn (`EFAULT`) must have `FUTEX_32`, no bit but it and
/// `FUTEX_PRIVATE_FLAG`, and a zero reserved word (`EINVAL`); then every word is keyed
/// (unaligned `EINVAL`, outside user space `EFAULT`) before any is queued.
pub fn futex_waitv(
    context: &mut SyscallContext<'_>,
    vector: u64,
    count: u32,
    flags: u32,
    timeout: u64,
    clock: i32,
) -> SyscallResult {
    use abi::raw::general::{CLOCK_MONOTONIC, CLOCK_REALTIME};
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    if count == 0 || count > FUTEX_WAITV_MAX || vector == 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = if timeout != 0 {
        let is_realtime = clock == CLOCK_REALTIME as i32;
        if !is_realtime && clock != CLOCK_MONOTONIC as i32 {
            return Err(Errno::EINVAL);
        }
        let value: Timespec = hal::usercopy::read_user(timeout)?;
        if value.tv_sec < 0 || !(0..1_000_000_000).contains(&value.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        let ns = (value.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(value.tv_nsec as u64);
        Some(if is_realtime {
            Deadline::Realtime(ns)
        } else {
            Deadline::Monotonic(ns)
        })
    } else {
        None
    };
    let mut parsed: alloc::vec::Vec<FutexWaitv> = alloc::vec::Vec::new();
    parsed
        .try_reserve_exact(count as usize)
        .map_err(|_| Errno::ENOMEM)?;
    let size = core::mem::size_of::<FutexWaitv>() as u64;
    for index in 0..u64::from(count) {
        let address = vector.checked_add(index * size).ok_or(Errno::EFAULT)?;
        let entry: FutexWaitv = hal::usercopy::read_user(address)?;
        if entry.flags & !(FUTEX_32 | FUTEX_PRIVATE_FLAG as u32) != 0 || entry.reserved != 0 {
            return Err(Errno::EINVAL);
        }
        if entry.flags & FUTEX_32 == 0 {
            return Err(Errno::EINVAL);
        }
        parsed.push(entry);
    }
    let mut entries: alloc::vec::Vec<futex::VectorEntry> = alloc::vec::Vec::new();
    entries
        .try_reserve_exact(parsed.len())
        .map_err(|_| Errno::ENOMEM)?;
    let process = &context.thread.process;
    for entry in &parsed {
        let is_private = entry.flags & FUTEX_PRIVATE_FLAG as u32 != 0;
        entries.push(futex::VectorEntry {
            key: futex::key_for(process, entry.uaddr, is_private)?,
            address: entry.uaddr,
            expected: entry.val as u32,
        });
    }
    futex::wait_multiple(context.thread, &entries, deadline)
}
