//! [`Mutex`]: a sleeping lock (Linux's `struct mutex`), for data whose holder may sleep, copy
//! to or from user memory, or take a page fault.
//!
//! Uncontended, `lock` and `unlock` are one compare-and-exchange each. A contended `lock` queues
//! the thread on the lock's wait list and sleeps uninterruptibly; `unlock` hands the lock to the
//! first waiter (FIFO, no barging: the state never returns to unlocked while a waiter waits).
//! Taking a mutex with preemption disabled (under a spin lock) panics, as Linux's
//! `might_sleep`, even when uncontended.

use super::lockdep::LockClass;
use super::preempt::might_sleep;
use super::wait_list::{WaitKind, WaitList, wait};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
/// Some thread waits: the unlocker must take the slow path and hand over.
const HAS_WAITERS: u32 = 2;

/// A sleeping mutual-exclusion lock.
pub struct Mutex<T: ?Sized> {
    state: AtomicU32,
    waiters: WaitList,
    class: LockClass,
    data: UnsafeCell<T>,
}

// SAFETY: one holder at a time gets access to `T`, as with `SpinLock`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: owning the lock is owning `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// A mutex of class `class` (a static name shared by every lock of its kind) around
    /// `value`.
    pub const fn new(class: &'static str, value: T) -> Mutex<T> {
        Mutex {
            state: AtomicU32::new(UNLOCKED),
            waiters: WaitList::new(),
            class: LockClass::new(class),
            data: UnsafeCell::new(value),
        }
    }

    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Takes the lock, sleeping while another thread holds it. Panics if the caller may not
    /// sleep.
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        might_sleep();
        self.class.acquire(self.address(), false);
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
        MutexGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    #[cold]
    fn lock_slow(&self) {
        wait(&self.waiters, WaitKind::Exclusive, |_| {
            loop {
                let state = self.state.load(Ordering::Relaxed);
                if state == UNLOCKED {
                    if self
                        .state
                        .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        return false;
                    }
                    continue;
                }
                if state & HAS_WAITERS != 0
                    || self
                        .state
                        .compare_exchange(
                            state,
                            state | HAS_WAITERS,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    return true;
                }
            }
        });
    }

    /// Takes the lock if it is free, without sleeping.
    #[inline]
    #[cfg_attr(feature = "lockdep", track_caller)]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        self.class.acquire(self.address(), true);
        Some(MutexGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// Whether some thread holds the lock (a hint).
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != UNLOCKED
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn unlock(&self) {
        self.class.release(self.address());
        if self
            .state
            .compare_exchange(LOCKED, UNLOCKED, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        self.waiters.lock().hand_over(|_, count, rest_is_empty| {
            let state = match (count, rest_is_empty) {
                (0, _) => UNLOCKED,
                (_, true) => LOCKED,
                (_, false) => LOCKED | HAS_WAITERS,
            };
            self.state.store(state, Ordering::Release);
        });
    }

    fn address(&self) -> usize {
        (self as *const Self).cast::<u8>() as usize
    }
}

impl<T: ?Sized + core::fmt::Debug> core::fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Mutex { .. }")
    }
}

/// Access to a [`Mutex`]'s value; unlocks (handing over to a waiter) when dropped. Not `Send`:
/// the thread that locked unlocks.
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: the guard gives `&T`, so sharing it needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held, so no other reference to the value exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as `deref`, and `&mut self` makes this the only reference through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.unlock();
    }
}
