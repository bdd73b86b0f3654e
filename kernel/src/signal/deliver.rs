//! Delivery on the way back to user mode (Linux's `get_signal`, `handle_signal`, and the
//! syscall-restart part of `arch_do_signal_or_restart`).

use super::frame;
use super::{SIG_DFL, SIG_IGN, SigAction};
use crate::process::exit::{ExitStatus, exit_group};
use crate::process::{Restart, Thread, ptrace};
use crate::sched::{self, TaskState};
use abi::Errno;
use abi::SaFlags;
use abi::signal::{CLD_STOPPED, SigInfo};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::user::UserContext;
use sigrules::{DefaultAction, bit, default_action};

pub use abi::syscalls::NR_RESTART_SYSCALL;

/// What [`deliver`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing deliverable is pending.
    Nothing,
    /// A handler frame was set up (or a signal consumed); look again.
    Delivered,
    /// The thread must exit.
    Exit,
}

fn dequeue(thread: &Arc<Thread>) -> Option<SigInfo> {
    let blocked = thread.signal_mask.load(Ordering::Relaxed);
    super::dequeue_signal(thread, blocked)
}

/// Takes one pending signal and acts on it.
pub fn deliver(thread: &Arc<Thread>, user: &mut UserContext) -> Delivery {
    loop {
        if thread.is_exiting.load(Ordering::Relaxed) {
            return Delivery::Exit;
        }
        let ptrace_flags = thread.ptrace_flags.load(Ordering::Relaxed);
        let (stopped_by, generation) = {
            let lifecycle = thread.process.lifecycle.lock();
            (lifecycle.stopped_by, lifecycle.stop_generation)
        };
        if let Some(stop_signal) = stopped_by {
            if ptrace_flags & ptrace::TRACED == 0 {
                stop_until_continued(thread);
                continue;
            }
            if !ptrace::has_reported_group_stop(thread, generation) {
                // A tracee reports the group stop to its tracer, then runs when resumed.
                ptrace::group_stop(thread, user, stop_signal, generation);
                continue;
            }
        }
        if ptrace_flags & ptrace::TRAPS != 0 {
            ptrace::trap(thread, user);
            continue;
        }
        let Some(mut info) = dequeue(thread) else {
            thread.signal_hint.store(false, Ordering::Relaxed);
            // No handler ran: a mask saved by sigsuspend/ppoll comes back now.
            if let Some(saved) = thread.saved_mask.lock().take() {
                thread.signal_mask.store(saved, Ordering::Relaxed);
            }
            return Delivery::Nothing;
        };
        if ptrace_flags & ptrace::TRACED != 0 && info.signo as u32 != sigrules::SIGKILL {
            // The signal-delivery stop: the tracer may cancel or change the signal.
            match ptrace::signal_stop(thread, user, info) {
                Some(changed) => info = changed,
                None => continue,
            }
        }
        let signal = info.signo as u32;
        let action = thread.process.signals.get().lock().action(signal);
        if action.handler == SIG_IGN {
            continue;
        }
        if action.handler == SIG_DFL {
            match default_action(signal) {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                DefaultAction::Stop => {
                    // SIGTSTP, SIGTTIN and SIGTTOU do not stop an orphaned process group:
                    // nobody would continue it (get_signal).
                    let is_orphaned = signal != sigrules::SIGSTOP
                        && crate::process::table::is_orphaned_group(thread.process.pgid(), None);
                    let is_protected =
                        thread.process.is_unkillable() && signal != sigrules::SIGSTOP;
                    if !is_protected && !is_orphaned {
                        begin_group_stop(thread, signal);
                    }
                    continue;
                }
                DefaultAction::Terminate | DefaultAction::CoreDump => {
                    if thread.process.is_unkillable()
                        && signal != sigrules::SIGKILL
                        && thread.fault.lock().is_none()
                    {
                        continue;
                    }
                    let status = if default_action(signal) == DefaultAction::CoreDump
                        && crate::process::coredump::dump(thread, user, &info)
                    {
                        ExitStatus::CoreDumped(signal as u8)
                    } else {
                        ExitStatus::Signal(signal as u8)
                    };
                    exit_group(&thread.process, status);
                    return Delivery::Exit;
                }
            }
        }
        return run_handler(thread, user, info, action);
    }
}

fn run_handler(
    thread: &Arc<Thread>,
    user: &mut UserContext,
    info: SigInfo,
    action: SigAction,
) -> Delivery {
    let signal = info.signo as u32;
    restart_before_handler(thread, user, &action);
    let saved_mask = thread.saved_mask.lock().take();
    let old_mask = saved_mask.unwrap_or_else(|| thread.signal_mask.load(Ordering::Relaxed));
    let fault = thread.fault.lock().take();
    // rseq_signal_deliver: the frame saves the abort address of an interrupted section.
    crate::rseq::on_signal_delivery(thread, user, signal);
    if frame::setup(thread, user, &info, &action, old_mask, fault).is_err() {
        // The signal is lost and the mask unchanged (a mask sigsuspend saved is still to be
        // restored); SIGSEGV comes next (`force_sigsegv`).
        *thread.saved_mask.lock() = saved_mask;
        super::send::force_sigsegv(thread, signal);
        return Delivery::Delivered;
    }
    let mut mask = old_mask | action.mask;
    if !action.flags.contains(SaFlags::SA_NODEFER) {
        mask |= bit(signal);
    }
    thread
        .signal_mask
        .store(mask & !sigrules::UNBLOCKABLE, Ordering::Relaxed);
    if action.flags.contains(SaFlags::SA_RESETHAND) {
        // Only the handler goes back to SIG_DFL; flags, mask and restorer stay.
        let handlers = thread.process.signals.get();
        handlers.lock().set_action(
            signal,
            SigAction {
                handler: SIG_DFL,
                ..action
            },
        );
    }
    Delivery::Delivered
}

/// The return value of an interrupted syscall, if the last syscall was one.
fn interrupted_code(thread: &Thread, user: &UserContext) -> Option<(Errno, Restart)> {
    let value = user.regs().rax;
    let code = [
        Errno::ERESTARTSYS,
        Errno::ERESTARTNOINTR,
        Errno::ERESTARTNOHAND,
        Errno::ERESTART_RESTARTBLOCK,
    ]
    .into_iter()
    .find(|code| value == code.as_syscall_return() as u64)?;
    // The restart record only after the cheap test: most returns are not restarts.
    let restart = thread.restart.get()?;
    Some((code, restart))
}

fn rewind(user: &mut UserContext, number: u64) {
    let regs = user.regs_mut();
    regs.rax = number;
    regs.rip = regs.rip.wrapping_sub(2);
    // The syscall instruction clobbered rcx and r11; re-entry reads its arguments again from
    // the other registers, which are intact.
}

/// Before a handler runs: SA_RESTART decides for ERESTARTSYS; the others become EINTR, except
/// ERESTARTNOINTR, which always restarts.
fn restart_before_handler(thread: &Thread, user: &mut UserContext, action: &SigAction) {
    let Some((code, restart)) = interrupted_code(thread, user) else {
        return;
    };
    thread.restart.clear();
    let restarts = code == Errno::ERESTARTNOINTR
        || (code == Errno::ERESTARTSYS && action.flags.contains(SaFlags::SA_RESTART));
    if restarts {
        rewind(user, restart.number);
    } else {
        user.regs_mut().rax = Errno::EINTR.as_syscall_return() as u64;
    }
}

/// Going back to user mode with no handler run: every interrupted syscall restarts, the
/// restart-block kind through `restart_syscall`.
#[inline]
pub fn finish_restart(thread: &Thread, user: &mut UserContext) {
    // The restart codes are -512 ..= -516: one range test rules out every other return value
    // (this runs after every system call).
    let value = user.regs().rax as i64;
    let lowest = Errno::ERESTART_RESTARTBLOCK.as_syscall_return() as i64;
    let highest = Errno::ERESTARTSYS.as_syscall_return() as i64;
    if !(lowest..=highest).contains(&value) {
        return;
    }
    finish_interrupted(thread, user);
}

#[inline(never)]
fn finish_interrupted(thread: &Thread, user: &mut UserContext) {
    let Some((code, restart)) = interrupted_code(thread, user) else {
        return;
    };
    if code == Errno::ERESTART_RESTARTBLOCK {
        rewind(user, NR_RESTART_SYSCALL);
    } else {
        thread.restart.clear();
        rewind(user, restart.number);
    }
}

/// A stop signal with the default action: the whole group stops (`do_signal_stop`).
fn begin_group_stop(thread: &Arc<Thread>, signal: u32) {
    let process = &thread.process;
    {
        let mut lifecycle = process.lifecycle.lock();
        if lifecycle.group_exit.is_some() {
            return;
        }
        lifecycle.stopped_by = Some(signal);
        lifecycle.stop_report = Some(signal);
        lifecycle.continue_report = false;
        lifecycle.stop_generation += 1;
    }
    let others: Vec<Arc<Thread>> = process
        .threads
        .lock()
        .iter()
        .filter(|other| !Arc::ptr_eq(other, thread))
        .cloned()
        .collect();
    for other in &others {
        other.signal_hint.store(true, Ordering::Relaxed);
        sched::wake_up_for_signal(other, false);
        ptrace::notify_listener(other);
    }
    super::send::notify_parent_of_stop(process, CLD_STOPPED, signal as i32);
}

/// Sleeps in the stopped state until SIGCONT (or SIGKILL) ends the group stop.
fn stop_until_continued(thread: &Arc<Thread>) {
    loop {
        sched::set_current_state(thread, TaskState::Stopped);
        let is_stopped = thread.process.lifecycle.lock().stopped_by.is_some();
        // A tracer that attaches takes the stop over (`ptrace_attach`'s JOBCTL_TRAP_STOP).
        if !is_stopped || thread.is_exiting.load(Ordering::Relaxed) || ptrace::is_traced(thread) {
            sched::set_current_state(thread, TaskState::Running);
            return;
        }
        sched::schedule();
    }
}
