//! [`RwLock`]: a sleeping reader-writer lock (Linux's `rw_semaphore`), for data read often by
//! holders that may sleep or fault, and changed rarely — the mm lock is the model: page faults
//! read, mmap/munmap/mprotect/brk write.
//!
//! One state word: a writer bit, a has-waiters bit and the reader count. Uncontended, each
//! acquisition and release is one atomic operation. Fair to writers: once a thread waits, new
//! readers queue behind it instead of joining the current readers, so a stream of readers
//! cannot starve a writer. Release hands the lock to the front of the FIFO: one writer, or
//! every reader at the front together. Taking it with preemption disabled panics, as
//! `might_sleep`.

use super::lockdep::LockClass;
use super::preempt::might_sleep;
use super::wait_list::{WaitKind, WaitList, wait};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicUsize, Ordering};

const WRITER: usize = 1;
const HAS_WAITERS: usize = 2;
const READER: usize = 4;

/// A sleeping reader-writer lock.
pub struct RwLock<T: ?Sized> {
    state: AtomicUsize,
    waiters: WaitList,
    class: LockClass,
    data: UnsafeCell<T>,
}

// SAFETY: readers share `&T` across threads (needs `Sync`), a writer gets `&mut T` (needs
// `Send`), as std's `RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: owning the lock is owning `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    /// A reader-writer lock of class `class` around `value`.
    pub const fn new(class: &'static str, value: T) -> RwLock<T> {
        RwLock {
            state: AtomicUsize::new(0),
            waiters: WaitList::new(),
            class: LockClass::new(class),
            data: UnsafeCell::new(value),
        }
    }

    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes the lock for reading, sleeping while a writer holds it or a thread waits.
    #[inline]
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        might_sleep();
        self.class.acquire(self.address(), false);
        let state = self.state.load(Ordering::Relaxed);
        if state & (WRITER | HAS_WAITERS) != 0
            || self
                .state
                .compare_exchange_weak(state, state + READER, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            self.read_slow();
        }
        RwLockReadGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    #[cold]
    fn read_slow(&self) {
        wait(&self.waiters, WaitKind::Shared, |_| {
            loop {
                let state = self.state.load(Ordering::Relaxed);
                if state & (WRITER | HAS_WAITERS) == 0 {
                    if self
                        .state
                        .compare_exchange(
                            state,
                            state + READER,
                            Ordering::Acquire,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        return false;
                    }
                    continue;
                }
                if self.announce_waiter(state) {
                    return true;
                }
            }
        });
    }

    /// Takes the lock for writing, sleeping while anyone holds it.
    #[inline]
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        might_sleep();
        self.class.acquire(self.address(), false);
        if self
            .state
            .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.write_slow();
        }
        RwLockWriteGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    #[cold]
    fn write_slow(&self) {
        wait(&self.waiters, WaitKind::Exclusive, |_| {
            loop {
                let state = self.state.load(Ordering::Relaxed);
                if state == 0 {
                    if self
                        .state
                        .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        return false;
                    }
                    continue;
                }
                if self.announce_waiter(state) {
                    return true;
                }
            }
        });
    }

    /// Sets the has-waiters bit (under the wait list's lock); false if the state moved first.
    fn announce_waiter(&self, state: usize) -> bool {
        state & HAS_WAITERS != 0
            || self
                .state
                .compare_exchange(
                    state,
                    state | HAS_WAITERS,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Takes the lock for reading if that needs no wait.
    #[cfg_attr(feature = "lockdep", track_caller)]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let state = self.state.load(Ordering::Relaxed);
        if state & (WRITER | HAS_WAITERS) != 0 {
            return None;
        }
        self.state
            .compare_exchange(state, state + READER, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        self.class.acquire(self.address(), true);
        Some(RwLockReadGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// Takes the lock for writing if it is free.
    #[cfg_attr(feature = "lockdep", track_caller)]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.state
            .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        self.class.acquire(self.address(), true);
        Some(RwLockWriteGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn read_unlock(&self) {
        self.class.release(self.address());
        let previous = self.state.fetch_sub(READER, Ordering::Release);
        // The last reader out, with threads waiting, hands over (new readers queue while the
        // has-waiters bit is set, so nobody else can take it meanwhile).
        if previous == READER | HAS_WAITERS {
            self.hand_over();
        }
    }

    fn write_unlock(&self) {
        self.class.release(self.address());
        if self
            .state
            .compare_exchange(WRITER, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.hand_over();
        }
    }

    #[cold]
    fn hand_over(&self) {
        core::sync::atomic::fence(Ordering::Acquire);
        self.waiters.lock().hand_over(|kind, count, rest_is_empty| {
            let owners = match (kind, count) {
                (_, 0) => 0,
                (WaitKind::Exclusive, _) => WRITER,
                (WaitKind::Shared, readers) => readers * READER,
            };
            let waiting = if rest_is_empty { 0 } else { HAS_WAITERS };
            self.state.store(owners | waiting, Ordering::Release);
        });
    }

    fn address(&self) -> usize {
        (self as *const Self).cast::<u8>() as usize
    }
}

impl<T: ?Sized> core::fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RwLock { .. }")
    }
}

/// Shared access to an [`RwLock`]'s value.
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: the guard gives `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard proves no writer holds the lock, so only shared references to
        // the value exist.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.read_unlock();
    }
}

/// Exclusive access to an [`RwLock`]'s value.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: the guard gives `&T` through `&self`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard proves it is the only holder.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as `deref`, and `&mut self` makes this the only reference.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.write_unlock();
    }
}
