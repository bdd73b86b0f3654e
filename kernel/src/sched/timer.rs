//! Kernel timers: deadlines on CLOCK_MONOTONIC with an action to run when they pass.
//!
//! A timer wakes a sleeping thread (timeouts of `nanosleep`, `poll`, futex waits…) or runs a
//! callback (signal timers: `alarm`, `setitimer`, POSIX timers). Expiry is checked at every tick
//! (250 Hz) from the idle loop and from the per-thread loop, so a timer fires at most one tick
//! late, as on a Linux kernel without high-resolution timers. The queue is a B-tree keyed by
//! (deadline, sequence): O(log n) to add, cancel and find the earliest. One global queue today;
//! with SMP each CPU gets its own.

use crate::process::Thread;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;

/// What happens when a timer expires.
pub enum TimerAction {
    /// Wake a sleeping thread.
    Wake(Arc<Thread>),
    /// Run a callback (with no scheduler or timer lock held).
    Call(Box<dyn FnOnce() + Send>),
}

/// A handle to cancel a timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerId((u64, u64));

static TIMERS: SpinLock<BTreeMap<(u64, u64), TimerAction>> =
    SpinLock::new("sched.timers", BTreeMap::new());
static SEQUENCE: AtomicU64 = AtomicU64::new(0);
/// The earliest deadline, so that most ticks check one atomic instead of taking the lock.
static EARLIEST_NS: AtomicU64 = AtomicU64::new(u64::MAX);

fn refresh_earliest(timers: &BTreeMap<(u64, u64), TimerAction>) {
    let earliest = timers
        .keys()
        .next()
        .map_or(u64::MAX, |&(deadline, _)| deadline);
    EARLIEST_NS.store(earliest, Ordering::Relaxed);
}

/// Arms a timer for CLOCK_MONOTONIC `deadline_ns`.
pub fn add(deadline_ns: u64, action: TimerAction) -> TimerId {
    let key = (deadline_ns, SEQUENCE.fetch_add(1, Ordering::Relaxed));
    let mut timers = TIMERS.lock();
    timers.insert(key, action);
    refresh_earliest(&timers);
    TimerId(key)
}

/// Disarms a timer; returns whether it was still pending.
pub fn cancel(id: TimerId) -> bool {
    let mut timers = TIMERS.lock();
    let removed = timers.remove(&id.0);
    refresh_earliest(&timers);
    drop(timers);
    // The action (a thread or a closure's captures) is dropped without the lock: it may hold
    // the last reference to something whose release takes locks.
    removed.is_some()
}

/// Runs every timer whose deadline has passed.
pub fn run_expired() {
    let now = crate::time::monotonic_ns();
    if EARLIEST_NS.load(Ordering::Relaxed) > now {
        return;
    }
    loop {
        let action = {
            let mut timers = TIMERS.lock();
            let expired =
                matches!(timers.first_key_value(), Some((&(deadline, _), _)) if deadline <= now);
            let action = if expired {
                timers.pop_first().map(|(_, action)| action)
            } else {
                None
            };
            refresh_earliest(&timers);
            action
        };
        match action {
            Some(TimerAction::Wake(thread)) => {
                super::wake_up(&thread);
            }
            Some(TimerAction::Call(callback)) => callback(),
            None => return,
        }
    }
}

hal::ktest! {
    /// Expired timers run in deadline order, whatever order they were armed in, and a
    /// cancelled one does not run.
    fn expired_timers_run_in_deadline_order() -> hal::ktest::KtestResult {
        let order: Arc<SpinLock<alloc::vec::Vec<u32>>> =
            Arc::new(SpinLock::new("test.timer_order", alloc::vec::Vec::new()));
        let now = crate::time::monotonic_ns();
        let record = |label: u32| {
            let order = order.clone();
            TimerAction::Call(Box::new(move || order.lock().push(label)))
        };
        add(now.saturating_sub(1), record(2));
        add(now.saturating_sub(3), record(0));
        let cancelled = add(now.saturating_sub(2), record(9));
        add(now.saturating_sub(2), record(1));
        hal::ktest_assert!(cancel(cancelled), "cancel of a pending timer returned false");
        run_expired();
        hal::ktest_assert_eq!(*order.lock(), alloc::vec![0, 1, 2]);
        hal::ktest_assert!(!cancel(cancelled), "a cancelled timer was still pending");
        Ok(())
    }
}

hal::ktest! {
    /// A timer whose deadline has not come does not run, and can be cancelled.
    fn future_timer_waits() -> hal::ktest::KtestResult {
        let fired = Arc::new(core::sync::atomic::AtomicBool::new(false));
        let flag = fired.clone();
        let deadline = crate::time::monotonic_ns() + 60 * 1_000_000_000;
        let id = add(
            deadline,
            TimerAction::Call(Box::new(move || flag.store(true, Ordering::Relaxed))),
        );
        run_expired();
        hal::ktest_assert!(!fired.load(Ordering::Relaxed), "a future timer ran early");
        hal::ktest_assert!(
            EARLIEST_NS.load(Ordering::Relaxed) <= deadline,
            "the earliest deadline is later than a pending timer's"
        );
        hal::ktest_assert!(cancel(id), "a pending future timer could not be cancelled");
        Ok(())
    }
}
