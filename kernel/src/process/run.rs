//! The per-thread loop: run user code, handle why it stopped (syscall, exception, interrupt),
//! then do what Linux's `exit_to_user_mode_loop` does before going back: reschedule if asked,
//! deliver pending signals, and leave the loop when the thread must exit.
//!
//! Exceptions the memory manager cannot resolve become the signal Linux would force
//! (`arch/x86/kernel/traps.c`, `arch/x86/mm/fault.c`), with the same "segfault at" line Linux's
//! `show_signal_msg` prints when the signal is not caught.

use super::{Thread, ptrace};
use crate::mm::address_space::FaultError;
use crate::mm::fault::handle_user_fault;
use crate::sched;
use crate::signal::{self, Delivery};
use crate::syscall::{SyscallContext, dispatch::dispatch};
use abi::signal::{
    BUS_ADRERR, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, SigInfo, TRAP_BRKPT,
    TRAP_TRACE,
};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use hal::user::{CpuException, ReturnReason, UserContext};
use sigrules::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};

/// The first code of every user thread but init, on its own kernel stack.
pub fn thread_main(_: usize) -> ! {
    run_current();
    sched::exit_current()
}

fn run_current() {
    let thread = super::current();
    let Some(user) = thread.start.lock().take() else {
        panic!("thread {} started without a user context", thread.tid());
    };
    let child_tid_address = thread.set_child_tid.load(Ordering::Relaxed);
    if child_tid_address != 0 {
        // CLONE_CHILD_SETTID, written from the child as Linux's schedule_tail; a bad address
        // is ignored.
        let _ = hal::usercopy::write_user(child_tid_address, &thread.tid_in(thread.pid_ns()));
    }
    run_thread(&thread, user);
}

/// Runs `thread` until it exits, then finishes it (see `exit::finish_thread`).
pub fn run_thread(thread: &Arc<Thread>, mut user: UserContext) {
    loop {
        if !prepare_return_to_user(thread, &mut user) {
            break;
        }
        let entered_ns = crate::time::monotonic_ns();
        let reason = user.run();
        let in_user_ns = crate::time::monotonic_ns() - entered_ns;
        thread.user_ns.fetch_add(in_user_ns, Ordering::Relaxed);
        crate::sched::stats::add_user_ns(in_user_ns);
        match reason {
            ReturnReason::Syscall => {
                let mut context = SyscallContext {
                    thread,
                    user: &mut user,
                };
                if thread.ptrace_flags.load(Ordering::Relaxed) & ptrace::SYSCALL_WORK != 0 {
                    ptrace::traced_syscall(&mut context);
                } else {
                    thread
                        .orig_rax
                        .store(context.user.regs().rax, Ordering::Relaxed);
                    dispatch(&mut context);
                }
            }
            ReturnReason::Exception(exception) => {
                // Linux keeps the error code in `orig_ax` for faults that push one.
                let orig_rax = if matches!(exception.vector, 10..=14 | 17) {
                    exception.error_code
                } else {
                    u64::MAX
                };
                thread.orig_rax.store(orig_rax, Ordering::Relaxed);
                handle_exception(thread, &user, exception)
            }
            ReturnReason::Interrupt => {
                thread.orig_rax.store(u64::MAX, Ordering::Relaxed);
                hal::irq::run_pending();
                crate::time::update_coarse_clocks();
                sched::timer::run_expired();
                sched::tick();
                crate::timers::tick(thread);
            }
        }
    }
    ptrace::exit_event(thread, &mut user);
    drop(user);
    super::exit::finish_thread(thread);
}

/// Reschedules and delivers signals until the thread may go back to user mode; false when it
/// must exit instead.
fn prepare_return_to_user(thread: &Arc<Thread>, user: &mut UserContext) -> bool {
    loop {
        if thread.is_exiting.load(Ordering::Relaxed) {
            return false;
        }
        if sched::need_resched() {
            sched::schedule();
            continue;
        }
        if thread.signal_hint.load(Ordering::Relaxed) {
            match signal::deliver(thread, user) {
                Delivery::Exit => return false,
                Delivery::Delivered => continue,
                Delivery::Nothing => {}
            }
        }
        signal::finish_restart(thread, user);
        if crate::rseq::on_return_to_user(thread, user) {
            // The rseq work forced SIGSEGV: deliver it first.
            continue;
        }
        return true;
    }
}

fn handle_exception(thread: &Arc<Thread>, user: &UserContext, exception: CpuException) {
    let address = user.regs().rip;
    let info = match exception.vector {
        14 => match handle_user_fault(thread, exception.fault_address, exception.error_code) {
            Ok(()) => return,
            Err(error) => {
                let code = if error == FaultError::AccessDenied {
                    SEGV_ACCERR
                } else {
                    SEGV_MAPERR
                };
                if error == FaultError::OutOfMemory {
                    // Linux's `pagefault_out_of_memory`: the OOM killer frees memory by killing
                    // the worst process (maybe this one), and the faulting instruction runs
                    // again once the victim's memory is back.
                    match crate::mm::oom::out_of_memory(thread) {
                        crate::mm::oom::OomOutcome::MemoryComing => {
                            crate::mm::oom::wait_for_memory(thread)
                        }
                        crate::mm::oom::OomOutcome::KilledCurrent => {}
                        crate::mm::oom::OomOutcome::NoVictim => {
                            log::error!(
                                "Out of memory and no killable process: killing {}",
                                thread.process.pid
                            );
                            super::exit::exit_group(
                                &thread.process,
                                super::exit::ExitStatus::Signal(sigrules::SIGKILL as u8),
                            );
                        }
                    }
                    return;
                }
                if error == FaultError::PastEndOfFile {
                    SigInfo::fault(SIGBUS as i32, BUS_ADRERR, exception.fault_address)
                } else {
                    if signal::is_default_action(thread, SIGSEGV) {
                        report_segfault(thread, user, &exception);
                    }
                    SigInfo::fault(SIGSEGV as i32, code, exception.fault_address)
                }
            }
        },
        0 => SigInfo::fault(SIGFPE as i32, FPE_INTDIV, address),
        16 | 19 => SigInfo::fault(SIGFPE as i32, 0, address),
        // A single step (TF) is TRAP_TRACE (Linux reads DR6's BS bit; Ferrux sets no
        // hardware breakpoints, so TF is the only cause from user mode).
        1 if user.regs().rflags & (1 << 8) != 0 => {
            SigInfo::fault(SIGTRAP as i32, TRAP_TRACE, address)
        }
        1 => SigInfo::fault(SIGTRAP as i32, TRAP_BRKPT, address),
        3 => SigInfo::new(SIGTRAP as i32, SI_KERNEL),
        6 => SigInfo::fault(SIGILL as i32, ILL_ILLOPN, address),
        17 => SigInfo::fault(SIGBUS as i32, BUS_ADRERR, address),
        _ => {
            if signal::is_default_action(thread, SIGSEGV) {
                let name = comm(thread);
                log::info!(
                    "traps: {}[{}] trap {} ip:{:x} sp:{:x} error:{:x}",
                    name,
                    thread.tid(),
                    hal::arch::x86_64::trap::exception_name(exception.vector),
                    user.regs().rip,
                    user.regs().rsp,
                    exception.error_code
                );
            }
            // General protection and other faults: SIGSEGV with SI_KERNEL, as Linux.
            SigInfo::new(SIGSEGV as i32, SI_KERNEL)
        }
    };
    signal::force_signal(thread, info, exception.vector, exception.error_code);
}

fn comm(thread: &Thread) -> alloc::string::String {
    let name = thread.name();
    alloc::string::String::from(
        core::str::from_utf8(&name)
            .unwrap_or("?")
            .trim_end_matches('\0'),
    )
}

fn report_segfault(thread: &Arc<Thread>, user: &UserContext, exception: &CpuException) {
    log::info!(
        "{}[{}]: segfault at {:x} ip {:016x} sp {:016x} error {:x}",
        comm(thread),
        thread.tid(),
        exception.fault_address,
        user.regs().rip,
        user.regs().rsp,
        exception.error_code
    );
}
