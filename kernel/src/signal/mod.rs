//! Signal state: dispositions (`rt_sigaction`) and the numbering rules Linux applies.
//!
//! Delivery (frames, sigreturn, default actions on pending signals) comes with the process
//! issue; today the state is kept and validated exactly as Linux keeps it, and faults terminate
//! the process with the signal a real delivery would have used.
#![allow(
    dead_code,
    reason = "signal numbers and helpers used by delivery, which comes with the process issue"
)]

/// Number of signals (`_NSIG`).
pub const NSIG: usize = 64;
pub const SIGKILL: usize = 9;
pub const SIGSEGV: usize = 11;
pub const SIGSTOP: usize = 19;
pub const SIGBUS: usize = 7;
pub const SIGFPE: usize = 8;
pub const SIGILL: usize = 4;
pub const SIGTRAP: usize = 5;

/// `SIG_DFL`.
pub const SIG_DFL: u64 = 0;

/// One disposition, as the kernel's `struct sigaction` on x86-64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// A process's dispositions.
#[derive(Clone)]
pub struct SignalState {
    actions: [SigAction; NSIG],
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [SigAction::default(); NSIG],
        }
    }
}

/// The mask bit of signal `signal` (1-based).
pub fn bit(signal: usize) -> u64 {
    1u64 << (signal - 1)
}

/// Signals that can be neither blocked nor caught.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

impl SignalState {
    /// The disposition of `signal` (1..=64).
    pub fn action(&self, signal: usize) -> SigAction {
        self.actions[signal - 1]
    }

    pub fn set_action(&mut self, signal: usize, action: SigAction) {
        self.actions[signal - 1] = action;
    }

    /// At execve, handled signals go back to their default action (ignored ones stay ignored).
    pub fn reset_for_exec(&mut self) {
        for action in &mut self.actions {
            let is_ignored = action.handler == 1;
            *action = SigAction {
                handler: if is_ignored { 1 } else { SIG_DFL },
                ..SigAction::default()
            };
        }
    }
}

/// Whether `thread` has a signal pending that it does not block (it would interrupt a sleep).
pub fn has_pending(_thread: &crate::process::Thread) -> bool {
    false
}

/// Whether a fatal signal (SIGKILL, or a group exit) is pending for `thread`.
pub fn has_fatal_pending(_thread: &crate::process::Thread) -> bool {
    false
}
