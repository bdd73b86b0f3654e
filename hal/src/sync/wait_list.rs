//! The wait queue under hal's sleeping locks: a FIFO of waiters, each a node on the sleeping
//! thread's own stack (no allocation, so a contended lock cannot fail for lack of memory), and
//! the scheduler hooks that put the running thread to sleep and wake it.
//!
//! hal cannot name the kernel's threads, so the scheduler registers [`SchedHooks`] at boot: a
//! [`Waker`] for the running thread, and a function that sleeps (uninterruptibly, as Linux's
//! `mutex_lock` and `down_read`/`down_write` do) until a condition holds. Ownership is handed
//! over: the unlocker takes the first waiter(s) off the queue, makes them owners, marks them
//! granted and wakes them, so a waiter never has to race for the lock again (FIFO fairness, as
//! Linux's handoff).

use super::spinlock::{RawSpinLock, RawSpinLockGuard};
use core::cell::{Cell, UnsafeCell};
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::Waker;
use spin::Once;

/// What the scheduler provides to sleeping locks.
pub struct SchedHooks {
    /// A waker that makes the running thread runnable again, or `None` where no thread can
    /// sleep (boot, the idle loop).
    pub current_waker: fn() -> Option<Waker>,
    /// Sleeps the running thread uninterruptibly until `condition` returns true: mark it
    /// sleeping, check the condition, give up the CPU, repeat (Linux's `wait_event` pattern, so
    /// a wake-up between the check and the switch is not lost).
    pub sleep_until: fn(condition: &dyn Fn() -> bool),
}

static HOOKS: Once<SchedHooks> = Once::new();

/// Registers the scheduler's hooks (once, at boot). Sleeping locks work uncontended before
/// that; a contended one panics.
pub fn set_sched_hooks(hooks: SchedHooks) {
    HOOKS.call_once(|| hooks);
}

/// What a waiter wants.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitKind {
    Exclusive,
    Shared,
}

/// One sleeping thread, on its own stack while it waits.
pub(crate) struct Waiter {
    kind: WaitKind,
    next: Cell<*const Waiter>,
    waker: UnsafeCell<Option<Waker>>,
    granted: AtomicBool,
}

/// The FIFO of waiters, behind the lock's internal spin lock.
pub(crate) struct Queue {
    head: *const Waiter,
    tail: *const Waiter,
}

// SAFETY: the raw pointers are only followed under the wait list's lock, and each points at a
// waiter that stays on its thread's stack until it has been granted and removed.
unsafe impl Send for Queue {}

pub(crate) struct WaitList {
    queue: RawSpinLock<Queue>,
}

impl WaitList {
    pub(crate) const fn new() -> WaitList {
        WaitList {
            queue: RawSpinLock::new(Queue {
                head: ptr::null(),
                tail: ptr::null(),
            }),
        }
    }

    pub(crate) fn lock(&self) -> RawSpinLockGuard<'_, Queue> {
        self.queue.lock()
    }
}

impl Queue {
    /// Hands the lock over: takes the waiters it goes to next off the queue (the first one if
    /// it wants exclusive access, else every shared waiter at the front), lets
    /// `set_state(kind, count, rest_is_empty)` make them the owners in the lock's state word,
    /// then marks them granted and wakes them. With no waiter, `set_state` gets a count of 0.
    pub(crate) fn hand_over(&mut self, set_state: impl FnOnce(WaitKind, usize, bool)) {
        let first = self.head;
        if first.is_null() {
            set_state(WaitKind::Exclusive, 0, true);
            return;
        }
        // SAFETY: queued waiters are live (see `Queue`'s Send impl) and we hold the lock.
        let (kind, mut rest) = unsafe { ((*first).kind, (*first).next.get()) };
        let mut count = 1;
        if kind == WaitKind::Shared {
            while !rest.is_null() {
                // SAFETY: as above, for each queued waiter followed.
                let (next_kind, next) = unsafe { ((*rest).kind, (*rest).next.get()) };
                if next_kind != WaitKind::Shared {
                    break;
                }
                count += 1;
                rest = next;
            }
        }
        self.head = rest;
        if rest.is_null() {
            self.tail = ptr::null();
        }
        set_state(kind, count, rest.is_null());
        let mut waiter = first;
        for _ in 0..count {
            // SAFETY: the waiter was queued (live) and is now ours alone. Once `granted` is set
            // it may return and its stack frame disappear, so its successor and its waker are
            // read out first and nothing touches the node after.
            let waker = unsafe {
                let next = (*waiter).next.get();
                let waker = (*(*waiter).waker.get()).take();
                (*waiter).granted.store(true, Ordering::Release);
                waiter = next;
                waker
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// Queues a waiter of `kind` and sleeps until an unlocker grants it the lock. `register` runs
/// under the wait list's lock, before the waiter is queued: it returns false (the lock was
/// taken meanwhile, nothing to wait for) or true (announced as contended: queue and sleep).
pub(crate) fn wait(list: &WaitList, kind: WaitKind, mut register: impl FnMut(&Queue) -> bool) {
    let Some(hooks) = HOOKS.get() else {
        panic!("a sleeping lock is contended before the scheduler registered its hooks");
    };
    let Some(waker) = (hooks.current_waker)() else {
        panic!("a sleeping lock is contended where no thread can sleep (boot or idle)");
    };
    let waiter = Waiter {
        kind,
        next: Cell::new(ptr::null()),
        waker: UnsafeCell::new(Some(waker)),
        granted: AtomicBool::new(false),
    };
    {
        let mut queue = list.lock();
        if !register(&queue) {
            return;
        }
        let node: *const Waiter = &waiter;
        if queue.tail.is_null() {
            queue.head = node;
        } else {
            // SAFETY: the tail is a live queued waiter and we hold the lock.
            unsafe { (*queue.tail).next.set(node) };
        }
        queue.tail = node;
    }
    // `waiter` stays in this frame, unmoved, until it is granted (and so dequeued).
    (hooks.sleep_until)(&|| waiter.granted.load(Ordering::Acquire));
}
