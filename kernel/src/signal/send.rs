//! Sending signals (Linux's `send_signal_locked`, `prepare_signal`, `complete_signal`).

use super::{SIG_DFL, SIG_IGN, SigAction};
use crate::process::exit::{ExitStatus, exit_group};
use crate::process::{Process, Thread};
use crate::sched;
use abi::signal::{CLD_CONTINUED, SI_TIMER, SigInfo};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use sigrules::{
    DefaultAction, PendingQueue, SIGCONT, SIGKILL, STOP_MASK, UNBLOCKABLE, bit, default_action,
    is_valid,
};

/// Queues `info` for the whole process (kill, process-directed kernel signals).
pub fn send_to_process(process: &Arc<Process>, info: SigInfo) {
    send(process, None, info, false);
}

/// Queues `info` for every process of group `pgid` (the kernel's `kill_pgrp`: no permission
/// check). Returns whether the group had a member.
pub fn send_to_group(pgid: crate::process::Pid, info: SigInfo) -> bool {
    let members = crate::process::table::process_group(pgid);
    for member in &members {
        send_to_process(member, info);
    }
    !members.is_empty()
}

/// As [`send_to_process`], past the protection of a namespace's init (SIGKILL from the
/// kernel or an ancestor namespace: `force`).
pub fn send_to_process_forced(process: &Arc<Process>, info: SigInfo) {
    send(process, None, info, true);
}

/// Queues `info` for one thread (tgkill, tkill).
pub fn send_to_thread(thread: &Arc<Thread>, info: SigInfo) {
    send(&thread.process, Some(thread), info, false);
}

/// Delivers a synchronous fault signal to `thread` (Linux's `force_sig_fault`): if the signal
/// is blocked or ignored, it is unblocked and its disposition reset to SIG_DFL, so a fault can
/// never be ignored into an endless loop.
pub fn force_signal(thread: &Arc<Thread>, info: SigInfo, trap_number: u64, error_code: u64) {
    *thread.fault.lock() = Some((trap_number, error_code, info.fields[0]));
    force_info(thread, info);
}

/// As [`force_signal`] for a signal no CPU fault caused (seccomp's SIGSYS,
/// `force_sig_info_to_task` with `HANDLER_CURRENT`).
pub fn force_info(thread: &Arc<Thread>, info: SigInfo) {
    let signal = info.signo as u32;
    {
        let handlers = thread.process.signals.get();
        let mut handlers = handlers.lock();
        let action = handlers.action(signal);
        let is_blocked = thread.signal_mask.load(Ordering::Relaxed) & bit(signal) != 0;
        if action.handler == SIG_IGN || is_blocked {
            handlers.set_action(
                signal,
                SigAction {
                    handler: SIG_DFL,
                    ..action
                },
            );
            thread
                .signal_mask
                .fetch_and(!bit(signal), Ordering::Relaxed);
        }
    }
    send(&thread.process, Some(thread), info, true);
}

/// The answer to a signal frame that could not be written (Linux's `force_sigsegv`): for a
/// SIGSEGV handler the process dies of SIGSEGV (its handler cannot run either); for another
/// signal SIGSEGV is sent as `force_sig` sends it, to its handler if it has an unblocked one
/// (which runs on its own stack choice), else with its default action.
pub fn force_sigsegv(thread: &Arc<Thread>, failed_signal: u32) {
    let signal = sigrules::SIGSEGV;
    if failed_signal == signal {
        force_fatal_signal(thread, signal);
        return;
    }
    {
        let handlers = thread.process.signals.get();
        let mut handlers = handlers.lock();
        let action = handlers.action(signal);
        let is_blocked = thread.signal_mask.load(Ordering::Relaxed) & bit(signal) != 0;
        if action.handler == SIG_IGN || is_blocked {
            handlers.set_action(
                signal,
                SigAction {
                    handler: SIG_DFL,
                    ..action
                },
            );
            thread
                .signal_mask
                .fetch_and(!bit(signal), Ordering::Relaxed);
        }
    }
    let info = SigInfo::new(signal as i32, abi::signal::SI_KERNEL);
    send(&thread.process, Some(thread), info, true);
}

/// Kills `thread`'s process with `signal` whatever its disposition and mask (Linux's
/// `force_fatal_sig`, `HANDLER_SIG_DFL`): the action is reset to SIG_DFL and the signal
/// unblocked before it is sent. Exec does this when it fails after the point of no return.
pub fn force_fatal_signal(thread: &Arc<Thread>, signal: u32) {
    force_fatal_info(thread, SigInfo::new(signal as i32, abi::signal::SI_KERNEL));
}

/// As [`force_fatal_signal`] with the siginfo given (seccomp's kill actions,
/// `force_sig_seccomp` with `HANDLER_EXIT`).
pub fn force_fatal_info(thread: &Arc<Thread>, info: SigInfo) {
    let signal = info.signo as u32;
    {
        let handlers = thread.process.signals.get();
        let mut handlers = handlers.lock();
        let action = handlers.action(signal);
        handlers.set_action(
            signal,
            SigAction {
                handler: SIG_DFL,
                ..action
            },
        );
    }
    thread
        .signal_mask
        .fetch_and(!bit(signal), Ordering::Relaxed);
    send(&thread.process, Some(thread), info, true);
}

/// Every pending queue of `process`: the shared one and each thread's.
fn discard_everywhere(process: &Arc<Process>, threads: &[Arc<Thread>], mask: u64) {
    process.shared_pending.lock().discard(mask);
    for thread in threads {
        thread.pending.lock().discard(mask);
    }
}

/// Whether the signal is dropped at send time (`sig_ignored`): ignored by disposition and not
/// blocked by the target; for init (unkillable), any SIG_DFL signal from user space.
fn is_ignored(
    process: &Process,
    target: Option<&Arc<Thread>>,
    signal: u32,
    action: &SigAction,
    is_forced: bool,
) -> bool {
    // `real_blocked` counts too: a signal rt_sigtimedwait waits for is not ignored.
    let blocked_of = |thread: &Arc<Thread>| {
        thread.signal_mask.load(Ordering::Relaxed) | thread.real_blocked.load(Ordering::Relaxed)
    };
    let blocked = target
        .map(blocked_of)
        .or_else(|| process.main_thread().as_ref().map(blocked_of))
        .unwrap_or(0);
    if blocked & bit(signal) != 0 {
        return false;
    }
    // A tracer sees every signal of its tracee (`sig_ignored`).
    let traced_thread = target.cloned().or_else(|| process.main_thread());
    if traced_thread.is_some_and(|thread| crate::process::ptrace::is_traced(&thread)) {
        return false;
    }
    if process.is_unkillable() {
        if UNBLOCKABLE & bit(signal) != 0 && !is_forced {
            return true;
        }
        if action.handler == SIG_DFL && !is_forced {
            return true;
        }
    }
    action.handler == SIG_IGN
        || (action.handler == SIG_DFL
            && matches!(
                default_action(signal),
                DefaultAction::Ignore | DefaultAction::Continue
            ))
}

/// Queues a POSIX timer's signal (Linux's `send_sigqueue`): if the same timer's signal is
/// still queued, its `si_overrun` counts one more instead. Returns false if the signal was
/// ignored (the caller rearms a periodic timer itself then), true if it was queued or the
/// target is gone.
pub fn send_timer_signal(
    process: &Arc<Process>,
    target: Option<&Arc<Thread>>,
    info: SigInfo,
) -> bool {
    send_inner(process, target, info, false, true) != Sent::Ignored
}

fn send(process: &Arc<Process>, target: Option<&Arc<Thread>>, info: SigInfo, is_forced: bool) {
    send_inner(process, target, info, is_forced, false);
}

/// What happened to a signal sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    Queued,
    Ignored,
    /// Not queued for another reason (exiting target, a standard signal already pending).
    Dropped,
    /// A real-time signal with a siginfo beyond RLIMIT_SIGPENDING (sigqueue answers EAGAIN).
    Overflow,
}

/// Queued siginfos of processes whose real user is `uid`, plus the signal each POSIX timer of
/// the user preallocates (the count RLIMIT_SIGPENDING bounds; Linux keeps it per user in
/// `ucounts`). A timer's signal counts once, queued or not.
fn queued_signals_of_user(uid: u32) -> usize {
    let is_counted = |info: &SigInfo| info.code != SI_TIMER;
    let timers = crate::process::user::User::find(uid).map_or(0, |user| {
        user.posix_timers
            .load(core::sync::atomic::Ordering::Relaxed)
    });
    let queued: usize = crate::process::table::all_processes()
        .iter()
        .filter(|process| process.credentials.lock().uid == uid)
        .map(|process| {
            // One lock at a time here: the thread list is taken before a thread's or the
            // process's pending queue elsewhere (docs/locking.md).
            let shared = process.shared_pending.lock().queued_where(is_counted);
            shared
                + process
                    .threads
                    .lock()
                    .iter()
                    .map(|thread| thread.pending.lock().queued_where(is_counted))
                    .sum::<usize>()
        })
        .sum();
    queued + timers
}

/// Whether one more queued signal for `process` (a real-time siginfo, a POSIX timer's
/// preallocated one) would exceed its user's RLIMIT_SIGPENDING.
pub fn is_over_sigpending_limit(process: &Process) -> bool {
    let limit = process
        .limits
        .lock()
        .get(crate::process::rlimit::RLIMIT_SIGPENDING)
        .map_or(u64::MAX, |limit| limit.soft);
    let uid = process.credentials.lock().uid;
    queued_signals_of_user(uid) as u64 >= limit
}

/// As [`send_to_process`], for callers that report a full queue (`rt_sigqueueinfo`):
/// `EAGAIN` when a real-time signal with a siginfo cannot be queued.
pub fn queue_to_process(process: &Arc<Process>, info: SigInfo) -> Result<(), abi::Errno> {
    queue_to_process_from(process, info, false)
}

/// As [`queue_to_process`]; `is_forced` for SIGKILL and SIGSTOP from an ancestor PID
/// namespace, which reach a namespace's init.
pub fn queue_to_process_from(
    process: &Arc<Process>,
    info: SigInfo,
    is_forced: bool,
) -> Result<(), abi::Errno> {
    match send_inner(process, None, info, is_forced, false) {
        Sent::Overflow => Err(abi::Errno::EAGAIN),
        _ => Ok(()),
    }
}

/// As [`queue_to_process`], for one thread (`rt_tgsigqueueinfo`).
pub fn queue_to_thread(thread: &Arc<Thread>, info: SigInfo) -> Result<(), abi::Errno> {
    queue_to_thread_from(thread, info, false)
}

/// As [`queue_to_thread`], with [`queue_to_process_from`]'s `is_forced`.
pub fn queue_to_thread_from(
    thread: &Arc<Thread>,
    info: SigInfo,
    is_forced: bool,
) -> Result<(), abi::Errno> {
    match send_inner(&thread.process, Some(thread), info, is_forced, false) {
        Sent::Overflow => Err(abi::Errno::EAGAIN),
        _ => Ok(()),
    }
}

/// A timer signal's `si_tid` (the timer id) and `si_overrun` share the first union word.
fn timer_id_of(info: &SigInfo) -> u32 {
    info.fields[0] as u32
}

fn send_inner(
    process: &Arc<Process>,
    target: Option<&Arc<Thread>>,
    info: SigInfo,
    is_forced: bool,
    is_timer: bool,
) -> Sent {
    let signal = info.signo as u32;
    if !is_valid(signal) {
        return Sent::Dropped;
    }
    if process.lifecycle.lock().group_exit.is_some() || process.is_zombie() {
        if signal == SIGKILL {
            // A thread stopped at its exit event goes on dying.
            let threads: Vec<Arc<Thread>> = process.threads.lock().clone();
            for thread in &threads {
                thread.is_killed.store(true, Ordering::Relaxed);
                crate::process::ptrace::wake_for_kill(thread);
            }
        }
        return Sent::Dropped;
    }
    let threads: Vec<Arc<Thread>> = process.threads.lock().clone();
    // prepare_signal: stop signals and SIGCONT cancel each other.
    if STOP_MASK & bit(signal) != 0 {
        discard_everywhere(process, &threads, bit(SIGCONT));
    } else if signal == SIGCONT {
        discard_everywhere(process, &threads, STOP_MASK);
        continue_process(process, &threads);
    }
    let action = process.signals.get().lock().action(signal);
    if is_ignored(process, target, signal, &action, is_forced) {
        return Sent::Ignored;
    }
    let push = |queue: &mut PendingQueue| {
        if !is_timer {
            return queue.push(info);
        }
        let same_timer = |queued: &&mut SigInfo| {
            queued.code == SI_TIMER
                && queued.signo == info.signo
                && timer_id_of(queued) == timer_id_of(&info)
        };
        if let Some(queued) = queue.find_mut(same_timer) {
            let overrun = (queued.fields[0] >> 32) as u32 as i32;
            let overrun = overrun.saturating_add(1) as u32 as u64;
            queued.fields[0] = (queued.fields[0] & 0xffff_ffff) | (overrun << 32);
            return false;
        }
        queue.push_always(info)
    };
    // Real-time signals count against RLIMIT_SIGPENDING (timers and SIGKILL excepted): beyond
    // it, kill()'s SI_USER signal is marked pending without its siginfo, anything else fails.
    let is_over_limit =
        signal >= sigrules::SIGRTMIN && !is_timer && is_over_sigpending_limit(process);
    let is_queued = if is_over_limit {
        if info.code != abi::signal::SI_USER {
            return Sent::Overflow;
        }
        match target {
            Some(thread) => thread.pending.lock().push_marker(signal),
            None => process.shared_pending.lock().push_marker(signal),
        }
        true
    } else {
        match target {
            Some(thread) => push(&mut thread.pending.lock()),
            None => push(&mut process.shared_pending.lock()),
        }
    };
    if !is_queued {
        return Sent::Dropped;
    }
    // signalfd readers and pollers re-check (Linux's `signalfd_notify`).
    process.signalfd_wait.wake_all();
    // complete_signal: a fatal signal ends the group now.
    // A traced task takes the signal through its signal-delivery stop instead.
    let is_traced = match target {
        Some(thread) => crate::process::ptrace::is_traced(thread),
        None => process
            .main_thread()
            .is_some_and(|thread| crate::process::ptrace::is_traced(&thread)),
    };
    let is_fatal = signal == SIGKILL
        || (action.handler == SIG_DFL
            && matches!(default_action(signal), DefaultAction::Terminate)
            && !process.is_unkillable()
            && !is_traced);
    // wants_signal: a stopped group takes nothing but SIGKILL now; the rest waits for SIGCONT.
    let is_stopped = process.lifecycle.lock().stopped_by.is_some();
    let chooser = |thread: &&Arc<Thread>| {
        thread.signal_mask.load(Ordering::Relaxed) & bit(signal) == 0
            && (!is_stopped || signal == SIGKILL)
    };
    let chosen = match target {
        Some(thread) => chooser(&thread).then(|| thread.clone()),
        None => threads
            .iter()
            .find(|thread| thread.tid() == process.pid && chooser(thread))
            .or_else(|| threads.iter().find(chooser))
            .cloned(),
    };
    // A signal that the chosen thread waits for in rt_sigtimedwait is taken there, not fatal.
    let is_awaited = chosen
        .as_ref()
        .is_some_and(|thread| thread.real_blocked.load(Ordering::Relaxed) & bit(signal) != 0);
    if is_fatal && !is_awaited && (chosen.is_some() || signal == SIGKILL) {
        exit_group(process, ExitStatus::Signal(signal as u8));
        return Sent::Queued;
    }
    match chosen {
        Some(thread) => {
            thread.signal_hint.store(true, Ordering::Relaxed);
            sched::wake_up_for_signal(&thread, false);
        }
        None => {
            // Blocked everywhere: it stays pending until a thread unblocks it.
            for thread in &threads {
                thread.signal_hint.store(true, Ordering::Relaxed);
            }
        }
    }
    Sent::Queued
}

/// SIGCONT's side effect: a stopped group runs again, and the parent hears of it.
fn continue_process(process: &Arc<Process>, threads: &[Arc<Thread>]) {
    let was_stopped = {
        let mut lifecycle = process.lifecycle.lock();
        let was_stopped = lifecycle.stopped_by.take().is_some();
        if was_stopped {
            lifecycle.stop_report = None;
            lifecycle.continue_report = true;
        }
        was_stopped
    };
    // Every SIGCONT makes a seized tracee trap (`prepare_signal`'s ptrace_trap_notify); after
    // the stop is cleared, as Linux does both under the siglock: a listening tracee woken on
    // another CPU traps at once and must find the group running (SIGTRAP, not the stop
    // signal).
    for thread in threads {
        crate::process::ptrace::notify_listener(thread);
    }
    if !was_stopped {
        return;
    }
    for thread in threads {
        sched::wake_up_stopped(thread);
    }
    notify_parent_of_stop(process, CLD_CONTINUED, SIGCONT as i32);
}

/// Tells the parent that `process` stopped or continued (`do_notify_parent_cldstop`): SIGCHLD
/// unless the parent set SA_NOCLDSTOP, and a wake-up for its waiters either way.
pub fn notify_parent_of_stop(process: &Arc<Process>, code: i32, status: i32) {
    let Some(parent) = process.parent.lock().upgrade() else {
        return;
    };
    let action = parent.signals.get().lock().action(sigrules::SIGCHLD);
    if !action.flags.contains(abi::SaFlags::SA_NOCLDSTOP) {
        let uid = process.credentials.lock().uid;
        let (user, system) = process.cpu_times_ns();
        let info = SigInfo::child(
            code,
            parent.pid_ns.nr_of(process.pid),
            uid,
            status,
            user / crate::time::NSEC_PER_CLOCK_TICK,
            system / crate::time::NSEC_PER_CLOCK_TICK,
        );
        send_to_process(&parent, info);
    }
    parent.child_events.wake_all();
}
