//! Signals: dispositions, sending, delivery and the signal frame (Linux `kernel/signal.c`,
//! `arch/x86/kernel/signal.c`).
//!
//! - [`SignalState`]: the dispositions of a process (`sighand`), shared by `CLONE_SIGHAND`.
//! - [`send`]: queueing a signal on a process or a thread, the side effects Linux applies at
//!   send time (SIGCONT and stop signals cancel each other; ignored signals are dropped; a fatal
//!   signal starts the group exit at once), and waking a thread that can take it.
//! - [`deliver`]: on the way back to user mode, dequeueing and acting: default actions
//!   (terminate, stop the group, continue, ignore), or a handler frame (see [`frame`]); and the
//!   syscall-restart rules (`ERESTARTSYS` restarts only under SA_RESTART, `ERESTARTNOHAND` only
//!   without a handler, `ERESTART_RESTARTBLOCK` through `restart_syscall`).
//!
//! The pending-queue and default-action rules themselves live in the `sigrules` crate, tested
//! on the host.

pub mod deliver;
pub mod frame;
pub mod send;

use crate::process::Thread;
use abi::SaFlags;
use abi::signal::SigInfo;
use abi::signal::{SIG_DFL, SIG_IGN};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
pub use deliver::{Delivery, deliver, finish_restart};
pub use send::{
    force_signal, is_over_sigpending_limit, send_timer_signal, send_to_group, send_to_process,
    send_to_thread,
};
pub use sigrules::{NSIG, SIGCHLD, SIGKILL, SIGSTOP, UNBLOCKABLE, bit};

/// One disposition, as the kernel's `struct sigaction` on x86-64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: SaFlags,
    pub restorer: u64,
    pub mask: u64,
}

/// A process's dispositions.
#[derive(Clone)]
pub struct SignalState {
    actions: [SigAction; NSIG as usize],
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [SigAction::default(); NSIG as usize],
        }
    }
}

impl SignalState {
    /// The disposition of `signal` (1..=64).
    pub fn action(&self, signal: u32) -> SigAction {
        self.actions[(signal - 1) as usize]
    }

    pub fn set_action(&mut self, signal: u32, action: SigAction) {
        self.actions[(signal - 1) as usize] = action;
    }

    /// At execve, handled signals go back to their default action (ignored ones stay ignored).
    pub fn reset_for_exec(&mut self) {
        for action in &mut self.actions {
            let is_ignored = action.handler == SIG_IGN;
            *action = SigAction {
                handler: if is_ignored { SIG_IGN } else { SIG_DFL },
                ..SigAction::default()
            };
        }
    }
}

/// Whether `thread` has a signal pending that it does not block (it would interrupt a sleep),
/// or must exit.
pub fn has_pending(thread: &Thread) -> bool {
    if thread.is_exiting.load(Ordering::Relaxed) {
        return true;
    }
    if thread.ptrace_flags.load(Ordering::Relaxed) & crate::process::ptrace::TRAPS != 0 {
        // PTRACE_INTERRUPT interrupts a sleep as a signal would.
        return true;
    }
    let blocked = thread.signal_mask.load(Ordering::Relaxed);
    thread.pending.lock().set() & !blocked != 0
        || thread.process.shared_pending.lock().set() & !blocked != 0
}

/// Takes the next signal of `thread` outside `blocked`: from its own queue first, then from the
/// process's (Linux's `dequeue_signal`), with the timer work Linux does at that point: a
/// periodic POSIX timer is rearmed and its `si_overrun` filled in, a periodic ITIMER_REAL is
/// restarted when its SIGALRM leaves the shared queue (see `crate::timers`). Every path that
/// takes a pending signal (delivery, sigtimedwait, signalfd) must come through here.
pub fn dequeue_signal(thread: &Arc<Thread>, blocked: u64) -> Option<SigInfo> {
    let own = thread.pending.lock().dequeue(blocked);
    let (mut info, is_shared) = match own {
        Some(info) => (info, false),
        None => (thread.process.shared_pending.lock().dequeue(blocked)?, true),
    };
    crate::timers::on_dequeue(&thread.process, &mut info, is_shared);
    Some(info)
}

/// Whether `thread` must exit (SIGKILL, a fatal signal, or a group exit is under way).
pub fn has_fatal_pending(thread: &Thread) -> bool {
    thread.is_exiting.load(Ordering::Relaxed)
        || thread.process.lifecycle.lock().group_exit.is_some()
}

/// Whether `signal`'s disposition in `thread`'s process is SIG_DFL.
pub fn is_default_action(thread: &Thread, signal: u32) -> bool {
    thread.process.signals.get().lock().action(signal).handler == SIG_DFL
}

/// Marks `thread` as having maybe-deliverable signals (after its mask shrank).
pub fn recalc_pending(thread: &Thread) {
    thread.signal_hint.store(true, Ordering::Relaxed);
}
