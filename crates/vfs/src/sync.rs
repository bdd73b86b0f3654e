//! The VFS's lock types, chosen by target.
//!
//! In the kernel (the bare-metal target, `target_os = "none"`) they are hal's (`hal::sync`):
//! spin locks that disable preemption, sleeping mutexes and reader-writer locks, all seen by
//! the lock-order checker and the might-sleep checks. On the host (`cargo test`, where hal's CPU
//! code does not run) they are plain spin locks with the same constructors and methods. Chosen
//! by target rather than through a lock trait or a generic parameter: the kernel only ever uses
//! one set of locks, and a type parameter on `Dentry`, every inode and every function would buy
//! nothing but noise; this way the code is identical in both builds, and host tests never link
//! hal (whose panic handler would clash with std's).
//!
//! Which lock each VFS object uses, and the lock order, are in docs/locking.md: directory
//! locks (`i_rwsem`) and the rename mutexes sleep, since filesystem calls run under them;
//! the dentry's name, child map and mount links are spin locks around short updates.

#[cfg(target_os = "none")]
pub use hal::sync::{
    Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, SpinLock, SpinLockGuard,
};

#[cfg(not(target_os = "none"))]
pub use host::{
    Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, SpinLock, SpinLockGuard,
};

/// Stand-ins with `hal::sync`'s API (documented there).
#[cfg(not(target_os = "none"))]
#[allow(missing_docs)]
mod host {
    /// A spin lock with hal's constructor (the class name is ignored on the host).
    pub struct SpinLock<T: ?Sized>(spin::Mutex<T>);

    /// On the host a sleeping mutex is a spin lock too (tests are single-threaded).
    pub type Mutex<T> = SpinLock<T>;
    pub type SpinLockGuard<'a, T> = spin::MutexGuard<'a, T>;
    pub type MutexGuard<'a, T> = spin::MutexGuard<'a, T>;

    impl<T> SpinLock<T> {
        pub const fn new(_class: &'static str, value: T) -> SpinLock<T> {
            SpinLock(spin::Mutex::new(value))
        }
    }

    impl<T: ?Sized> SpinLock<T> {
        pub fn lock(&self) -> SpinLockGuard<'_, T> {
            self.0.lock()
        }

        pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
            self.0.try_lock()
        }

        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }

    /// A reader-writer lock with hal's constructor.
    pub struct RwLock<T: ?Sized>(spin::RwLock<T>);
    pub type RwLockReadGuard<'a, T> = spin::RwLockReadGuard<'a, T>;
    pub type RwLockWriteGuard<'a, T> = spin::RwLockWriteGuard<'a, T>;

    impl<T> RwLock<T> {
        pub const fn new(_class: &'static str, value: T) -> RwLock<T> {
            RwLock(spin::RwLock::new(value))
        }
    }

    impl<T: ?Sized> RwLock<T> {
        pub fn read(&self) -> RwLockReadGuard<'_, T> {
            self.0.read()
        }

        pub fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write()
        }

        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut()
        }
    }
}
