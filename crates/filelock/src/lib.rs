//! Linux's file-lock rules (`fs/locks.c` of Linux 6.1) as pure logic: the kernel keeps one
//! [`InodeLocks`] per locked file under a spin lock and sleeps on a wait queue; everything
//! decided about locks is decided here and tested on the host.
//!
//! - [`range`]: a `struct flock`'s `l_whence`/`l_start`/`l_len` as an inclusive byte range
//!   (`flock64_to_posix_lock`, `EINVAL`/`EOVERFLOW`), and back (`posix_lock_to_flock`).
//! - [`record`]: POSIX record locks and OFD locks on one file ([`RecordLocks`]): conflicts,
//!   splitting and merging of one owner's ranges, `F_GETLK`'s answer (`posix_lock_inode`,
//!   `posix_test_lock`).
//! - [`flock`]: `flock(2)` locks on one file ([`FlockLocks`]), one per open file description,
//!   converted by dropping the old lock first (`flock_lock_inode`).
//! - [`lease`]: leases (`F_SETLEASE`) on one file ([`Leases`]): who may take one, breaking
//!   them for a conflicting open, their deadlines (`generic_add_lease`, `__break_lease`).
//! - [`deadlock`]: who waits for whom ([`WaitGraph`]), and `F_SETLKW`'s `EDEADLK` check
//!   (`posix_locks_deadlock`, at most `MAX_DEADLK_ITERATIONS` steps).
//!
//! Owners are the caller's type `O`: the kernel uses a descriptor table for POSIX locks and an
//! open file description for OFD and flock locks, so two kinds of owner never compare equal.
//! POSIX and OFD locks live in one list and conflict with each other; flock locks are separate
//! and never conflict with them.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod deadlock;
pub mod flock;
pub mod lease;
pub mod range;
pub mod record;

pub use deadlock::WaitGraph;
pub use flock::FlockLocks;
pub use lease::Leases;
pub use range::LockRange;
pub use record::{RecordLock, RecordLocks};

/// A lock's kind (`F_RDLCK`, `F_WRLCK`; `LOCK_SH`, `LOCK_EX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// Shared: any number of readers.
    Read,
    /// Exclusive.
    Write,
}

impl LockKind {
    /// Whether a lock of this kind and one of `other`'s conflict (`locks_conflict`): only two
    /// read locks coexist.
    pub fn conflicts_with(self, other: LockKind) -> bool {
        self == LockKind::Write || other == LockKind::Write
    }
}

/// Every lock of one file: record (POSIX and OFD) locks, flock locks and leases (whose
/// holders the caller knows by a `T`) (`struct file_lock_context`).
#[derive(Debug)]
pub struct InodeLocks<O, T = ()> {
    /// `flc_posix`.
    pub records: RecordLocks<O>,
    /// `flc_flock`.
    pub flocks: FlockLocks<O>,
    /// `flc_lease`.
    pub leases: Leases<O, T>,
}

impl<O, T> Default for InodeLocks<O, T> {
    fn default() -> Self {
        InodeLocks {
            records: RecordLocks::default(),
            flocks: FlockLocks::default(),
            leases: Leases::default(),
        }
    }
}

impl<O: Copy + Eq, T> InodeLocks<O, T> {
    /// Whether no lock of any kind is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.flocks.is_empty() && self.leases.is_empty()
    }
}
