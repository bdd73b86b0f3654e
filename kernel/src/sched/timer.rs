//! Kernel timers: deadlines with an action to run when they pass.
//!
//! A timer wakes a sleeping thread (timeouts of `nanosleep`, `poll`, futex waits…) or runs a
//! callback (signal timers: `alarm`, `setitimer`, POSIX timers). Expiry is checked at every tick
//! (250 Hz) from the idle loop and from the per-thread loop, so a timer fires at most one tick
//! late, as on a Linux kernel without high-resolution timers.
//!
//! A deadline is on CLOCK_MONOTONIC or on CLOCK_REALTIME ([`Deadline`]; Linux's hrtimer clock
//! bases). Each clock has its own queue, a B-tree keyed by (deadline, sequence): O(log n) to
//! add, cancel and find the earliest. Realtime deadlines stay in wall-clock time, so when the
//! clock is stepped (clock_settime) the next check compares them with the new time: a step
//! forward fires what it passed, a step back delays, as Linux's `clock_was_set` retriggers its
//! realtime bases. One global pair of queues today; with SMP each CPU gets its own.

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

/// When a timer expires: an instant of CLOCK_MONOTONIC or of CLOCK_REALTIME.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    Monotonic(u64),
    Realtime(u64),
}

impl Deadline {
    /// The clock's value now.
    fn clock_now(self) -> u64 {
        match self {
            Deadline::Monotonic(_) => crate::time::monotonic_ns(),
            Deadline::Realtime(_) => crate::time::realtime_ns(),
        }
    }

    fn ns(self) -> u64 {
        match self {
            Deadline::Monotonic(ns) | Deadline::Realtime(ns) => ns,
        }
    }

    /// Whether the deadline has passed.
    pub fn has_passed(self) -> bool {
        self.clock_now() >= self.ns()
    }

    /// Nanoseconds left until the deadline (0 once passed).
    pub fn remaining_ns(self) -> u64 {
        self.ns().saturating_sub(self.clock_now())
    }

    fn queue(self) -> &'static Queue {
        match self {
            Deadline::Monotonic(_) => &MONOTONIC,
            Deadline::Realtime(_) => &REALTIME,
        }
    }
}

/// A handle to cancel a timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerId {
    is_realtime: bool,
    key: (u64, u64),
}

/// The timers of one clock.
struct Queue {
    timers: SpinLock<BTreeMap<(u64, u64), TimerAction>>,
    /// The earliest deadline, so that most ticks check one atomic instead of taking the lock.
    earliest_ns: AtomicU64,
}

impl Queue {
    const fn new(name: &'static str) -> Queue {
        Queue {
            timers: SpinLock::new(name, BTreeMap::new()),
            earliest_ns: AtomicU64::new(u64::MAX),
        }
    }

    fn refresh_earliest(&self, timers: &BTreeMap<(u64, u64), TimerAction>) {
        let earliest = timers
            .keys()
            .next()
            .map_or(u64::MAX, |&(deadline, _)| deadline);
        self.earliest_ns.store(earliest, Ordering::Relaxed);
    }

    /// Runs every timer of this queue whose deadline is at or before `now`.
    fn run_expired(&self, now: u64) {
        if self.earliest_ns.load(Ordering::Relaxed) > now {
            return;
        }
        loop {
            let action = {
                let mut timers = self.timers.lock();
                let expired = matches!(timers.first_key_value(),
                    Some((&(deadline, _), _)) if deadline <= now);
                let action = if expired {
                    timers.pop_first().map(|(_, action)| action)
                } else {
                    None
                };
                self.refresh_earliest(&timers);
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
}

static MONOTONIC: Queue = Queue::new("sched.timers");
static REALTIME: Queue = Queue::new("sched.timers_realtime");
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Arms a timer for CLOCK_MONOTONIC `deadline_ns`.
pub fn add(deadline_ns: u64, action: TimerAction) -> TimerId {
    add_at(Deadline::Monotonic(deadline_ns), action)
}

/// Arms a timer for `deadline`.
pub fn add_at(deadline: Deadline, action: TimerAction) -> TimerId {
    let key = (deadline.ns(), SEQUENCE.fetch_add(1, Ordering::Relaxed));
    let queue = deadline.queue();
    let mut timers = queue.timers.lock();
    timers.insert(key, action);
    queue.refresh_earliest(&timers);
    TimerId {
        is_realtime: matches!(deadline, Deadline::Realtime(_)),
        key,
    }
}

/// Disarms a timer; returns whether it was still pending.
pub fn cancel(id: TimerId) -> bool {
    let queue = if id.is_realtime {
        &REALTIME
    } else {
        &MONOTONIC
    };
    let mut timers = queue.timers.lock();
    let removed = timers.remove(&id.key);
    queue.refresh_earliest(&timers);
    drop(timers);
    // The action (a thread or a closure's captures) is dropped without the lock: it may hold
    // the last reference to something whose release takes locks.
    removed.is_some()
}

/// Runs every timer whose deadline has passed.
pub fn run_expired() {
    MONOTONIC.run_expired(crate::time::monotonic_ns());
    REALTIME.run_expired(crate::time::realtime_ns());
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
            MONOTONIC.earliest_ns.load(Ordering::Relaxed) <= deadline,
            "the earliest deadline is later than a pending timer's"
        );
        hal::ktest_assert!(cancel(id), "a pending future timer could not be cancelled");
        Ok(())
    }
}

hal::ktest! {
    /// A realtime deadline is measured on CLOCK_REALTIME: one already passed on that clock runs
    /// at the next check, one in the future does not, and each can be cancelled.
    fn realtime_deadlines_follow_the_wall_clock() -> hal::ktest::KtestResult {
        let fired = Arc::new(AtomicU64::new(0));
        let flag = |bit: u64| {
            let fired = fired.clone();
            TimerAction::Call(Box::new(move || {
                fired.fetch_or(bit, Ordering::Relaxed);
            }))
        };
        let now = crate::time::realtime_ns();
        add_at(Deadline::Realtime(now - 1), flag(1));
        let future = add_at(Deadline::Realtime(now + 60 * 1_000_000_000), flag(2));
        run_expired();
        hal::ktest_assert_eq!(fired.load(Ordering::Relaxed), 1);
        hal::ktest_assert!(cancel(future), "a pending realtime timer could not be cancelled");
        hal::ktest_assert!(
            Deadline::Realtime(now - 1).has_passed(),
            "a realtime deadline in the past has not passed"
        );
        Ok(())
    }
}
