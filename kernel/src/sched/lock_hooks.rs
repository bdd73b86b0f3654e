//! The scheduler side of hal's sleeping locks (`hal::sync::Mutex`, `RwLock`): a thread is its
//! own waker, and a contended lock sleeps uninterruptibly (Linux's `mutex_lock` and
//! `down_read`/`down_write` sleep in `TASK_UNINTERRUPTIBLE`).

use super::{SleepKind, TaskState};
use crate::process::Thread;
use alloc::sync::Arc;
use alloc::task::Wake;
use core::task::Waker;

impl Wake for Thread {
    fn wake(self: Arc<Self>) {
        super::wake_up(&self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        super::wake_up(self);
    }
}

fn current_waker() -> Option<Waker> {
    super::current().map(Waker::from)
}

fn sleep_until(condition: &dyn Fn() -> bool) {
    let Some(thread) = super::current() else {
        panic!("a sleeping lock waits outside any thread");
    };
    loop {
        super::set_current_state(&thread, TaskState::Sleeping(SleepKind::Uninterruptible));
        if condition() {
            break;
        }
        super::schedule();
    }
    super::set_current_state(&thread, TaskState::Running);
}

/// Registers the hooks with hal (once, at boot).
pub fn init() {
    hal::sync::set_sched_hooks(hal::sync::SchedHooks {
        current_waker,
        sleep_until,
    });
}

/// Test helpers: kernel threads of the calling process that run `entry` and die, to contend
/// for hal's sleeping locks (the user suites never make them wait: nothing sleeps holding one
/// on a single non-preemptible CPU unless memory runs out).
mod contention {
    use super::super::{SleepKind, TaskState};
    use crate::process::{self, Thread};
    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use hal::ktest::KtestResult;
    use hal::sync::{Mutex, RwLock, SpinLock};

    /// Starts a kernel thread of the current process at `entry` and returns it.
    fn spawn(entry: fn(usize) -> !) -> Result<Arc<Thread>, alloc::string::String> {
        let current = process::current();
        let failed = |error| alloc::format!("{error:?}");
        let tid = process::table::allocate_pid().map_err(failed)?;
        let user = hal::user::UserContext::try_new().map_err(failed)?;
        let thread = Thread::try_new_with_entry(tid, current.process.clone(), user, 0, 0, entry)
            .map_err(failed)?;
        crate::sched::spawn(thread.clone());
        Ok(thread)
    }

    /// Yields until `done` holds (at most a thousand times).
    fn yield_until(mut done: impl FnMut() -> bool) -> bool {
        for _ in 0..1000 {
            if done() {
                return true;
            }
            crate::sched::yield_now();
        }
        done()
    }

    fn is_blocked_on_a_lock(thread: &Thread) -> bool {
        thread.sched.lock().state == TaskState::Sleeping(SleepKind::Uninterruptible)
    }

    fn is_dead(thread: &Thread) -> bool {
        thread.sched.lock().state == TaskState::Dead
    }

    static MUTEX: Mutex<Vec<u32>> = Mutex::new("test.contended_mutex", Vec::new());

    fn mutex_taker(_: usize) -> ! {
        {
            let tid = process::current().tid();
            MUTEX.lock().push(tid);
        }
        crate::sched::exit_current()
    }

    hal::ktest! {
        /// A contended mutex puts its waiters to sleep (uninterruptibly) and hands the lock
        /// to them in the order they came.
        fn contended_mutex_hands_over_in_arrival_order() -> KtestResult {
            let guard = MUTEX.lock();
            let mut takers = Vec::new();
            for _ in 0..3 {
                let taker = spawn(mutex_taker)?;
                hal::ktest_assert!(
                    yield_until(|| is_blocked_on_a_lock(&taker)),
                    "a taker did not block on the held mutex"
                );
                takers.push(taker);
            }
            hal::ktest_assert!(MUTEX.try_lock().is_none(), "try_lock took a held mutex");
            drop(guard);
            hal::ktest_assert!(
                yield_until(|| takers.iter().all(|taker| is_dead(taker))),
                "the takers did not all finish"
            );
            let order: Vec<u32> = core::mem::take(&mut *MUTEX.lock());
            let expected: Vec<u32> = takers.iter().map(|taker| taker.tid()).collect();
            hal::ktest_assert_eq!(order, expected);
            Ok(())
        }
    }

    /// What the reader-writer helpers did: (tid, is_writer, acquired (true) or released).
    static EVENTS: SpinLock<Vec<(u32, bool, bool)>> = SpinLock::new("test.events", Vec::new());
    static RWLOCK: RwLock<()> = RwLock::new("test.contended_rwlock", ());

    /// Holds the lock across a few yields, so that others try meanwhile.
    fn hold_awhile(tid: u32, is_writer: bool) {
        EVENTS.lock().push((tid, is_writer, true));
        for _ in 0..5 {
            crate::sched::yield_now();
        }
        EVENTS.lock().push((tid, is_writer, false));
    }

    fn reader(_: usize) -> ! {
        {
            let tid = process::current().tid();
            let _guard = RWLOCK.read();
            hold_awhile(tid, false);
        }
        crate::sched::exit_current()
    }

    fn writer(_: usize) -> ! {
        {
            let tid = process::current().tid();
            let _guard = RWLOCK.write();
            hold_awhile(tid, true);
        }
        crate::sched::exit_current()
    }

    hal::ktest! {
        /// Behind a writer, queued readers enter together; a writer queued after them waits
        /// for both, and a reader that comes after that writer waits for it (no writer
        /// starvation).
        fn contended_rwlock_is_fair_to_writers() -> KtestResult {
            EVENTS.lock().clear();
            let guard = RWLOCK.write();
            let mut threads = Vec::new();
            for entry in [reader as fn(usize) -> !, reader, writer, reader] {
                let thread = spawn(entry)?;
                hal::ktest_assert!(
                    yield_until(|| is_blocked_on_a_lock(&thread)),
                    "a helper did not block on the write-held lock"
                );
                threads.push(thread);
            }
            drop(guard);
            hal::ktest_assert!(
                yield_until(|| threads.iter().all(|thread| is_dead(thread))),
                "the helpers did not all finish"
            );
            let events: Vec<(u32, bool, bool)> = core::mem::take(&mut *EVENTS.lock());
            let tids: Vec<u32> = threads.iter().map(|thread| thread.tid()).collect();
            let at = |tid: u32, is_acquire: bool| {
                events
                    .iter()
                    .position(|&(t, _, acquired)| t == tid && acquired == is_acquire)
                    .unwrap_or(usize::MAX)
            };
            let (r1, r2, w3, r4) = (tids[0], tids[1], tids[2], tids[3]);
            hal::ktest_assert!(
                at(r1, true) < at(r2, false) && at(r2, true) < at(r1, false),
                "the two queued readers did not hold the lock together: {events:?}"
            );
            hal::ktest_assert!(
                at(w3, true) > at(r1, false) && at(w3, true) > at(r2, false),
                "the writer entered while readers held the lock: {events:?}"
            );
            hal::ktest_assert!(
                at(r4, true) > at(w3, false),
                "a reader queued behind a writer overtook it: {events:?}"
            );
            Ok(())
        }
    }
}
