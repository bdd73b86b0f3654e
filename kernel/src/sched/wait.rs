//! Wait queues and the one sleeping loop every blocking call uses.
//!
//! A [`WaitQueue`] lists the threads sleeping on some event (data in a pipe, a child's exit…);
//! the owner of the event calls [`WaitQueue::wake_all`]. A sleeper calls [`wait_event`] with the
//! queues to watch, the kind of sleep, an optional deadline and a condition closure; it returns
//! the condition's value once it holds, or why it gave up, as Linux's `wait_event_*` macros.
//! Wakers do not remove sleepers; each sleeper removes itself when its wait ends, so one thread
//! can sleep on several queues at once (poll, select, epoll).

use super::timer::{self, Deadline, TimerAction};
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
    condition: impl FnMut() -> Option<R>,
) -> Result<R, WaitError> {
    wait_event_until(
        thread,
        queues,
        kind,
        deadline_ns.map(Deadline::Monotonic),
        condition,
    )
}

/// [`wait_event`] with a deadline on either clock (a CLOCK_REALTIME one follows clock steps).
pub fn wait_event_until<R>(
    thread: &Arc<Thread>,
    queues: &[&WaitQueue],
    kind: SleepKind,
    deadline: Option<Deadline>,
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
        if let Some(deadline) = deadline {
            if deadline.has_passed() {
                break Err(WaitError::TimedOut);
            }
            if timer_id.is_none() {
                timer_id = Some(timer::add_at(deadline, TimerAction::Wake(thread.clone())));
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
    sleep_until_deadline(thread, Deadline::Monotonic(deadline_ns), kind)
}

/// [`sleep_until`] for a deadline on either clock.
pub fn sleep_until_deadline(
    thread: &Arc<Thread>,
    deadline: Deadline,
    kind: SleepKind,
) -> Result<(), WaitError> {
    match wait_event_until(thread, &[], kind, Some(deadline), || None::<()>) {
        Err(WaitError::TimedOut) => Ok(()),
        Err(error) => Err(error),
        Ok(()) => Ok(()),
    }
}

hal::ktest! {
    /// A condition that already holds returns at once, without sleeping or leaving the thread
    /// on the queue.
    fn wait_event_returns_at_once_when_condition_holds() -> hal::ktest::KtestResult {
        let thread = crate::process::current();
        let queue = WaitQueue::new();
        let wakeups_before = queue.wakeups();
        let value = wait_event(&thread, &[&queue], SleepKind::Uninterruptible, None, || Some(7));
        hal::ktest_assert_eq!(value, Ok(7));
        hal::ktest_assert!(!queue.has_sleepers(), "the thread stayed on the queue");
        hal::ktest_assert_eq!(queue.wakeups(), wakeups_before);
        Ok(())
    }
}

hal::ktest! {
    /// A wait whose condition never holds ends with `TimedOut` once its deadline has passed.
    fn wait_event_times_out_at_deadline() -> hal::ktest::KtestResult {
        let thread = crate::process::current();
        let queue = WaitQueue::new();
        let start = crate::time::monotonic_ns();
        let deadline = start + 20_000_000;
        let result = wait_event(
            &thread,
            &[&queue],
            SleepKind::Uninterruptible,
            Some(deadline),
            || None::<()>,
        );
        let now = crate::time::monotonic_ns();
        hal::ktest_assert_eq!(result, Err(WaitError::TimedOut));
        hal::ktest_assert!(now >= deadline, "woke {} ns before the deadline", deadline - now);
        hal::ktest_assert!(!queue.has_sleepers(), "the thread stayed on the queue");
        Ok(())
    }
}

hal::ktest! {
    /// `wake_all` from a timer callback ends a sleep on the queue long before its deadline, and
    /// the sleeper sees the condition the waker set.
    fn wake_all_ends_a_sleep() -> hal::ktest::KtestResult {
        let thread = crate::process::current();
        let queue = Arc::new(WaitQueue::new());
        let is_ready = Arc::new(core::sync::atomic::AtomicBool::new(false));
        let start = crate::time::monotonic_ns();
        let (waker_queue, waker_flag) = (queue.clone(), is_ready.clone());
        timer::add(
            start + 5_000_000,
            TimerAction::Call(alloc::boxed::Box::new(move || {
                waker_flag.store(true, Ordering::Release);
                waker_queue.wake_all();
            })),
        );
        let deadline = start + 5_000_000_000;
        let result = wait_event(
            &thread,
            &[&queue],
            SleepKind::Uninterruptible,
            Some(deadline),
            || is_ready.load(Ordering::Acquire).then_some(()),
        );
        let elapsed = crate::time::monotonic_ns() - start;
        hal::ktest_assert_eq!(result, Ok(()));
        hal::ktest_assert!(elapsed < 1_000_000_000, "the wake-up took {elapsed} ns");
        hal::ktest_assert!(queue.wakeups() >= 1, "the queue counted no wake-up");
        hal::ktest_assert!(!queue.has_sleepers(), "the thread stayed on the queue");
        Ok(())
    }
}
