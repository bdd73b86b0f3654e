//! Wait queues and the one sleeping loop every blocking call uses.
//!
//! A [`WaitQueue`] lists the threads sleeping on some event (data in a pipe, a child's exit…);
//! the owner of the event calls [`WaitQueue::wake_all`]. A sleeper calls [`wait_event`] with the
//! queues to watch, the kind of sleep, an optional deadline and a condition closure; it returns
//! the condition's value once it holds, or why it gave up, as Linux's `wait_event_*` macros.
//! Wakers do not remove sleepers; each sleeper removes itself when its wait ends, so one thread
//! can sleep on several queues at once (poll, select, epoll).

use super::timer::{self, TimerAction};
use super::{SleepKind, TaskState};
use crate::process::Thread;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;

/// Threads sleeping on one event.
pub struct WaitQueue {
    sleepers: SpinLock<Vec<Arc<Thread>>>,
    /// Wake-ups so far (with or without sleepers): edge-triggered epoll reports an event when
    /// this moved since its last report, as Linux's `ep_poll_callback` queues an item per wake.
    wakeups: AtomicU64,
}

impl Default for WaitQueue {
    fn default() -> Self {
        WaitQueue::new()
    }
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue {
            sleepers: SpinLock::new("sched.wait_queue", Vec::new()),
            wakeups: AtomicU64::new(0),
        }
    }

    /// How many times this queue has been woken.
    pub fn wakeups(&self) -> u64 {
        self.wakeups.load(Ordering::Acquire)
    }

    /// Wakes every sleeper (each re-checks its condition).
    pub fn wake_all(&self) {
        self.wakeups.fetch_add(1, Ordering::AcqRel);
        let sleepers: Vec<Arc<Thread>> = self.sleepers.lock().clone();
        for thread in &sleepers {
            super::wake_up(thread);
        }
    }

    /// Wakes the sleeper that has waited longest, if any is asleep (exclusive waits).
    #[expect(dead_code, reason = "for exclusive waits (pipes, accept)")]
    pub fn wake_one(&self) {
        self.wakeups.fetch_add(1, Ordering::AcqRel);
        let sleepers: Vec<Arc<Thread>> = self.sleepers.lock().clone();
        for thread in &sleepers {
            if super::wake_up(thread) {
                return;
            }
        }
    }

    /// Whether any thread waits here.
    #[expect(dead_code, reason = "for wakers that skip work when nobody waits")]
    pub fn has_sleepers(&self) -> bool {
        !self.sleepers.lock().is_empty()
    }

    fn add(&self, thread: &Arc<Thread>) {
        let mut sleepers = self.sleepers.lock();
        if !sleepers.iter().any(|other| Arc::ptr_eq(other, thread)) {
            sleepers.push(thread.clone());
        }
    }

    fn remove(&self, thread: &Arc<Thread>) {
        self.sleepers
            .lock()
            .retain(|other| !Arc::ptr_eq(other, thread));
    }
}

/// Why a wait ended without its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// A signal arrived (interruptible sleep) or a fatal one (killable sleep).
    Interrupted,
    /// The deadline passed.
    TimedOut,
}

/// Sleeps on `queues` until `condition` returns `Some`, a signal interrupts (as `kind` allows),
/// or CLOCK_MONOTONIC passes `deadline_ns`. The condition is checked first, so an event that
/// already happened returns at once, and again after every wake-up.
pub fn wait_event<R>(
    thread: &Arc<Thread>,
    queues: &[&WaitQueue],
    kind: SleepKind,
    deadline_ns: Option<u64>,
    mut condition: impl FnMut() -> Option<R>,
) -> Result<R, WaitError> {
    let mut timer_id = None;
    let result = loop {
        // Listed and marked asleep before the condition is checked, so a wake-up that races
        // with the check is not lost (it sets the state back to running).
        for queue in queues {
            queue.add(thread);
        }
        super::set_current_state(thread, TaskState::Sleeping(kind));
        if let Some(value) = condition() {
            break Ok(value);
        }
        let is_interrupted = match kind {
            SleepKind::Interruptible => crate::signal::has_pending(thread),
            SleepKind::Killable => crate::signal::has_fatal_pending(thread),
            SleepKind::Uninterruptible => false,
        };
        if is_interrupted {
            break Err(WaitError::Interrupted);
        }
        if let Some(deadline) = deadline_ns {
            if crate::time::monotonic_ns() >= deadline {
                break Err(WaitError::TimedOut);
            }
            if timer_id.is_none() {
                timer_id = Some(timer::add(deadline, TimerAction::Wake(thread.clone())));
            }
        }
        super::schedule();
    };
    super::set_current_state(thread, TaskState::Running);
    for queue in queues {
        queue.remove(thread);
    }
    if let Some(id) = timer_id {
        timer::cancel(id);
    }
    result
}

/// Sleeps until CLOCK_MONOTONIC reaches `deadline_ns`; `Err(Interrupted)` if a signal comes
/// first (for an interruptible sleep).
pub fn sleep_until(
    thread: &Arc<Thread>,
    deadline_ns: u64,
    kind: SleepKind,
) -> Result<(), WaitError> {
    match wait_event(thread, &[], kind, Some(deadline_ns), || None::<()>) {
        Err(WaitError::TimedOut) => Ok(()),
        Err(error) => Err(error),
        Ok(()) => Ok(()),
    }
}
