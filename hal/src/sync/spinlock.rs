//! Spin locks: [`SpinLock`] (Linux's `spin_lock`) and [`SpinLockIrq`] (`spin_lock_irqsave`).
//!
//! A guard disables preemption for as long as it lives, so holding one across a sleep, a
//! context switch, a user copy or a return to user mode panics (see `preempt.rs`); the IRQ
//! variant also disables interrupts and restores the previous state when dropped, for data an
//! interrupt handler touches too. Waiting spins with `pause` on a plain load (test and
//! test-and-set). Each lock has a class name for the lock-order checker (`lockdep.rs`), which
//! costs nothing unless the `lockdep` feature is on.
//!
//! [`RawSpinLock`] is the same lock without the checker, for hal's own leaf locks (the wait
//! lists of the sleeping locks, the checker's own table).

use super::lockdep::LockClass;
use super::preempt::PreemptGuard;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

/// The test-and-test-and-set word every spin lock is built on.
struct SpinWord(AtomicBool);

impl SpinWord {
    const fn new() -> SpinWord {
        SpinWord(AtomicBool::new(false))
    }

    #[inline]
    fn try_acquire(&self) -> bool {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    fn acquire(&self) {
        while !self.try_acquire() {
            while self.0.load(Ordering::Relaxed) {
                crate::smp::relax();
            }
        }
    }

    #[inline]
    fn release(&self) {
        self.0.store(false, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A spin lock whose guard disables preemption.
pub struct SpinLock<T: ?Sized> {
    word: SpinWord,
    class: LockClass,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one holder at a time, so sharing the lock between
// threads is sharing `T` by moving it, which needs `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}
// SAFETY: owning the lock is owning `T`.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// A lock of class `class` (a static name such as `"pipe.state"`, the same for every lock
    /// of its kind) around `value`.
    pub const fn new(class: &'static str, value: T) -> SpinLock<T> {
        SpinLock {
            word: SpinWord::new(),
            class: LockClass::new(class),
            data: UnsafeCell::new(value),
        }
    }

    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> SpinLock<T> {
    /// Takes the lock, spinning while another CPU holds it.
    #[inline]
    #[cfg_attr(feature = "lockdep", track_caller)]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        let preempt = PreemptGuard::new();
        self.class.acquire(self.address(), false);
        self.word.acquire();
        SpinLockGuard {
            lock: self,
            _preempt: preempt,
        }
    }

    /// Takes the lock if it is free.
    #[inline]
    #[cfg_attr(feature = "lockdep", track_caller)]
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        let preempt = PreemptGuard::new();
        if !self.word.try_acquire() {
            return None;
        }
        self.class.acquire(self.address(), true);
        Some(SpinLockGuard {
            lock: self,
            _preempt: preempt,
        })
    }

    /// Whether some CPU holds the lock (a hint: it may change at once).
    pub fn is_locked(&self) -> bool {
        self.word.is_locked()
    }

    /// The value, through exclusive access to the lock (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn address(&self) -> usize {
        (self as *const Self).cast::<u8>() as usize
    }
}

impl<T: ?Sized + core::fmt::Debug> core::fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.try_lock() {
            Some(guard) => f.debug_tuple("SpinLock").field(&&*guard).finish(),
            None => f.write_str("SpinLock(<locked>)"),
        }
    }
}

/// Access to a [`SpinLock`]'s value; unlocks when dropped, then re-enables preemption.
pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
    /// Dropped after `drop` released the lock.
    _preempt: PreemptGuard,
}

// SAFETY: the guard gives `&T` (and `&mut T`), so sharing it needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for SpinLockGuard<'_, T> {}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held, so no other reference to the value exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.class.release(self.lock.address());
        self.lock.word.release();
    }
}

/// Interrupts disabled on this CPU until dropped, then restored to what they were.
pub struct IrqGuard {
    were_enabled: bool,
    _not_send: PhantomData<*const ()>,
}

impl IrqGuard {
    #[inline]
    pub fn new() -> IrqGuard {
        let flags: u64;
        // SAFETY: reads RFLAGS and clears IF; no memory is touched (the asm is still a compiler
        // barrier, so the protected accesses stay after it).
        unsafe { core::arch::asm!("pushfq", "pop {}", "cli", out(reg) flags) };
        IrqGuard {
            were_enabled: flags & (1 << 9) != 0,
            _not_send: PhantomData,
        }
    }
}

impl Default for IrqGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for IrqGuard {
    #[inline]
    fn drop(&mut self) {
        if self.were_enabled {
            // SAFETY: interrupts were enabled when the guard was made; enabling them again
            // restores that state (the asm is a compiler barrier).
            unsafe { core::arch::asm!("sti") };
        }
    }
}

/// A spin lock that also disables interrupts, for data shared with interrupt handlers.
pub struct SpinLockIrq<T: ?Sized> {
    inner: SpinLock<T>,
}

impl<T> SpinLockIrq<T> {
    pub const fn new(class: &'static str, value: T) -> SpinLockIrq<T> {
        SpinLockIrq {
            inner: SpinLock::new(class, value),
        }
    }
}

impl<T: ?Sized> SpinLockIrq<T> {
    /// Disables interrupts, then takes the lock.
    #[inline]
    #[cfg_attr(feature = "lockdep", track_caller)]
    pub fn lock(&self) -> SpinLockIrqGuard<'_, T> {
        let irq = IrqGuard::new();
        SpinLockIrqGuard {
            guard: self.inner.lock(),
            _irq: irq,
        }
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

/// Access to a [`SpinLockIrq`]'s value; unlocks, then restores interrupts, when dropped.
pub struct SpinLockIrqGuard<'a, T: ?Sized> {
    guard: SpinLockGuard<'a, T>,
    _irq: IrqGuard,
}

impl<T: ?Sized> Deref for SpinLockIrqGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for SpinLockIrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

/// A spin lock outside the lock-order checker: hal's leaf locks only (nothing is taken while
/// one is held).
pub(crate) struct RawSpinLock<T> {
    word: SpinWord,
    data: UnsafeCell<T>,
}

// SAFETY: as `SpinLock`.
unsafe impl<T: Send> Sync for RawSpinLock<T> {}

impl<T> RawSpinLock<T> {
    pub(crate) const fn new(value: T) -> RawSpinLock<T> {
        RawSpinLock {
            word: SpinWord::new(),
            data: UnsafeCell::new(value),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> RawSpinLockGuard<'_, T> {
        let preempt = PreemptGuard::new();
        self.word.acquire();
        RawSpinLockGuard {
            lock: self,
            _preempt: preempt,
        }
    }
}

pub(crate) struct RawSpinLockGuard<'a, T> {
    lock: &'a RawSpinLock<T>,
    _preempt: PreemptGuard,
}

impl<T> Deref for RawSpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: as `SpinLockGuard::deref`.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for RawSpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as `SpinLockGuard::deref_mut`.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for RawSpinLockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.word.release();
    }
}
