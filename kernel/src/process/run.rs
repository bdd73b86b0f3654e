//! The per-thread loop: run user code, then handle why it stopped (syscall, exception,
//! interrupt). Exceptions that the memory manager cannot resolve terminate the process with the
//! signal Linux would deliver (`arch/x86/kernel/traps.c`, `arch/x86/mm/fault.c`), printing the
//! same "segfault at" line Linux's `show_signal_msg` prints.

use super::Thread;
use super::exit::{ExitStatus, exit_process};
use crate::mm::fault::handle_user_fault;
use crate::sched;
use crate::signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
use crate::syscall::{SyscallContext, dispatch::dispatch};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use hal::user::{CpuException, ReturnReason, UserContext};

/// Runs `thread` until it exits.
pub fn run_thread(thread: Arc<Thread>, mut user: UserContext) {
    loop {
        let entered_ns = crate::time::monotonic_ns();
        let reason = user.run();
        thread
            .user_ns
            .fetch_add(crate::time::monotonic_ns() - entered_ns, Ordering::Relaxed);
        match reason {
            ReturnReason::Syscall => dispatch(&mut SyscallContext {
                thread: &thread,
                user: &mut user,
            }),
            ReturnReason::Exception(exception) => handle_exception(&thread, &user, exception),
            ReturnReason::Interrupt => {
                sched::timer::run_expired();
                sched::tick();
            }
        }
        // Linux's exit_to_user_mode_loop.
        if sched::need_resched() {
            sched::schedule();
        }
    }
}

fn handle_exception(thread: &Arc<Thread>, user: &UserContext, exception: CpuException) {
    let signal = match exception.vector {
        14 => match handle_user_fault(exception.fault_address, exception.error_code) {
            Ok(()) => return,
            Err(_) => {
                report_segfault(thread, user, &exception);
                SIGSEGV
            }
        },
        0 | 16 | 19 => SIGFPE,
        1 | 3 => SIGTRAP,
        6 => SIGILL,
        12 | 17 => SIGBUS,
        _ => {
            let name = core::str::from_utf8(&thread.name())
                .unwrap_or("?")
                .trim_end_matches('\0')
                .into();
            let name: alloc::string::String = name;
            log::info!(
                "traps: {}[{}] trap {} ip:{:x} sp:{:x} error:{:x}",
                name,
                thread.tid,
                hal::arch::x86_64::trap::exception_name(exception.vector),
                user.regs().rip,
                user.regs().rsp,
                exception.error_code
            );
            SIGSEGV
        }
    };
    exit_process(thread, ExitStatus::Signal(signal as u8));
}

fn report_segfault(thread: &Arc<Thread>, user: &UserContext, exception: &CpuException) {
    let name = thread.name();
    let name = core::str::from_utf8(&name)
        .unwrap_or("?")
        .trim_end_matches('\0');
    log::info!(
        "{}[{}]: segfault at {:x} ip {:016x} sp {:016x} error {:x}",
        name,
        thread.tid,
        exception.fault_address,
        user.regs().rip,
        user.regs().rsp,
        exception.error_code
    );
}
