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
pub mod range;
pub mod record;

pub use deadlock::WaitGraph;
pub use flock::FlockLocks;
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

/// Every lock of one file: record (POSIX and OFD) locks and flock locks
/// (`struct file_lock_context`).
#[derive(Debug)]
pub struct InodeLocks<O> {
    /// `flc_posix`.
    pub records: RecordLocks<O>,
    /// `flc_flock`.
    pub flocks: FlockLocks<O>,
}

impl<O> Default for InodeLocks<O> {
    fn default() -> Self {
        InodeLocks {
            records: RecordLocks::default(),
            flocks: FlockLocks::default(),
        }
    }
}

impl<O: Copy + Eq> InodeLocks<O> {
    /// Whether no lock of any kind is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.flocks.is_empty()
    }
}
