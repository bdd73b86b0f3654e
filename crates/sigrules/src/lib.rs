//! Linux's signal rules, as pure logic the kernel applies and the host tests.
//!
//! - [`default_action`]: what a signal does with `SIG_DFL` (`signal(7)`, `kernel/signal.c`'s
//!   `sig_kernel_*` masks).
//! - [`PendingQueue`]: a pending set plus the queued `siginfo`s, as Linux's `struct sigpending`:
//!   a standard signal (1–31) is pending at most once, a second one is dropped; real-time signals
//!   (32–64) queue every instance. Dequeue order is Linux's `next_signal`: synchronous fault
//!   signals first, then the lowest-numbered pending signal; among instances of one RT signal,
//!   first in, first out.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use abi::signal::SigInfo;
use alloc::collections::VecDeque;

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGUSR1: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGUSR2: u32 = 12;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
pub const SIGTERM: u32 = 15;
pub const SIGSTKFLT: u32 = 16;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const SIGURG: u32 = 23;
pub const SIGXCPU: u32 = 24;
pub const SIGXFSZ: u32 = 25;
pub const SIGVTALRM: u32 = 26;
pub const SIGPROF: u32 = 27;
pub const SIGWINCH: u32 = 28;
pub const SIGIO: u32 = 29;
pub const SIGPWR: u32 = 30;
pub const SIGSYS: u32 = 31;
/// First real-time signal as the kernel counts (C libraries reserve the first two or three).
pub const SIGRTMIN: u32 = 32;
/// Highest signal number (`_NSIG`).
pub const NSIG: u32 = 64;

/// The mask bit of `signal` (1-based).
pub const fn bit(signal: u32) -> u64 {
    1u64 << (signal - 1)
}

/// Signals that can be neither caught, blocked nor ignored.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
/// Stop signals (`SIG_KERNEL_STOP_MASK`).
pub const STOP_MASK: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
/// Signals raised by a faulting instruction, delivered before others (`SYNCHRONOUS_MASK`).
pub const SYNCHRONOUS_MASK: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);

/// Whether `signal` is a valid signal number.
pub fn is_valid(signal: u32) -> bool {
    (1..=NSIG).contains(&signal)
}

/// What `SIG_DFL` means for a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    /// Terminate with a core dump (the wait status gets 0x80 only if a core is written).
    CoreDump,
    Stop,
    Continue,
    Ignore,
}

/// The default action of `signal` (`signal(7)`).
pub fn default_action(signal: u32) -> DefaultAction {
    match signal {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::CoreDump,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        _ => DefaultAction::Terminate,
    }
}

/// Whether `signal` queues every instance (real-time) rather than at most one.
pub fn is_realtime(signal: u32) -> bool {
    signal >= SIGRTMIN
}

/// Pending signals: the set, and the siginfo of each pending instance.
#[derive(Clone, Debug, Default)]
pub struct PendingQueue {
    set: u64,
    queue: VecDeque<SigInfo>,
}

impl PendingQueue {
    pub const fn new() -> PendingQueue {
        PendingQueue {
            set: 0,
            queue: VecDeque::new(),
        }
    }

    /// The pending set (bit `n - 1` for signal `n`).
    pub fn set(&self) -> u64 {
        self.set
    }

    /// Number of queued instances (what `RLIMIT_SIGPENDING` counts).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Number of queued instances that `predicate` accepts.
    /// The queued siginfos, oldest first (what PTRACE_PEEKSIGINFO shows).
    pub fn queued_infos(&self) -> impl Iterator<Item = &SigInfo> {
        self.queue.iter()
    }

    pub fn queued_where(&self, mut predicate: impl FnMut(&SigInfo) -> bool) -> usize {
        self.queue.iter().filter(|info| predicate(info)).count()
    }

    /// Adds `info`; returns false if it was dropped because a standard signal of that number is
    /// already pending.
    pub fn push(&mut self, info: SigInfo) -> bool {
        let signal = info.signo as u32;
        if !is_valid(signal) {
            return false;
        }
        if !is_realtime(signal) && self.set & bit(signal) != 0 {
            return false;
        }
        self.set |= bit(signal);
        self.queue.push_back(info);
        true
    }

    /// Adds `info` even if a standard signal of that number is already pending: a POSIX timer's
    /// preallocated signal is queued this way (Linux's `send_sigqueue` skips `legacy_queue`).
    pub fn push_always(&mut self, info: SigInfo) -> bool {
        let signal = info.signo as u32;
        if !is_valid(signal) {
            return false;
        }
        self.set |= bit(signal);
        self.queue.push_back(info);
        true
    }

    /// Marks `signal` pending without queueing a siginfo (a real-time signal from kill() beyond
    /// RLIMIT_SIGPENDING: delivered once, as SI_USER with no sender).
    pub fn push_marker(&mut self, signal: u32) {
        if is_valid(signal) {
            self.set |= bit(signal);
        }
    }

    /// The first queued instance `predicate` accepts, to update in place (a timer signal still
    /// queued counts one more overrun instead of queueing again).
    pub fn find_mut(
        &mut self,
        predicate: impl FnMut(&&mut SigInfo) -> bool,
    ) -> Option<&mut SigInfo> {
        self.queue.iter_mut().find(predicate)
    }

    /// The signal [`PendingQueue::dequeue`] would take with `blocked` masked, if any.
    pub fn next_signal(&self, blocked: u64) -> Option<u32> {
        let ready = self.set & !blocked;
        if ready == 0 {
            return None;
        }
        let synchronous = ready & SYNCHRONOUS_MASK;
        let pick = if synchronous != 0 { synchronous } else { ready };
        Some(pick.trailing_zeros() + 1)
    }

    /// Takes the next deliverable signal's oldest instance.
    pub fn dequeue(&mut self, blocked: u64) -> Option<SigInfo> {
        let signal = self.next_signal(blocked)?;
        self.take(signal)
    }

    /// Takes the oldest instance of `signal`, if pending.
    pub fn take(&mut self, signal: u32) -> Option<SigInfo> {
        if !is_valid(signal) || self.set & bit(signal) == 0 {
            return None;
        }
        let Some(index) = self
            .queue
            .iter()
            .position(|info| info.signo as u32 == signal)
        else {
            // Pending without a queued siginfo (see `push_marker`): Linux's collect_signal
            // makes up an SI_USER one with no sender.
            self.set &= !bit(signal);
            return Some(SigInfo::new(signal as i32, abi::signal::SI_USER));
        };
        let info = self.queue.remove(index)?;
        if !self.queue.iter().any(|info| info.signo as u32 == signal) {
            self.set &= !bit(signal);
        }
        Some(info)
    }

    /// Discards every pending instance of the signals in `mask` (SIGCONT discards stop
    /// signals and a stop signal discards SIGCONT; ignoring a signal discards it).
    pub fn discard(&mut self, mask: u64) {
        if self.set & mask == 0 {
            return;
        }
        self.set &= !mask;
        self.queue.retain(|info| bit(info.signo as u32) & mask == 0);
    }
}

#[cfg(test)]
mod tests;
