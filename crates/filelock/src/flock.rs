//! `flock(2)` locks on one file (Linux 6.1 `flock_lock_inode`): at most one lock per open file
//! description, shared or exclusive, conflicting with the locks of other descriptions (two
//! shared locks coexist). Asking again for the kind already held changes nothing. Converting
//! (shared to exclusive or back) removes the old lock first and then asks for the new one, so a
//! conversion that cannot be granted at once leaves the description with no lock at all, as
//! Linux documents in flock(2). Unlocking what is not locked succeeds.

use alloc::vec::Vec;

use crate::LockKind;

/// The flock locks of one file, in the order they were granted.
#[derive(Debug)]
pub struct FlockLocks<O> {
    locks: Vec<(O, LockKind, i32)>,
}

impl<O> Default for FlockLocks<O> {
    fn default() -> Self {
        FlockLocks { locks: Vec::new() }
    }
}

/// Why a flock request was not granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlockError {
    /// Another description holds a conflicting lock (`EWOULDBLOCK`, or sleep).
    WouldBlock,
    /// No memory for the lock (`ENOLCK`).
    NoMemory,
}

/// What a request did besides its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlockOutcome {
    /// A lock was removed or downgraded, so waiters may now proceed.
    pub is_released: bool,
}

impl<O: Copy + Eq> FlockLocks<O> {
    /// Whether no flock lock is held.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// The lock `owner` holds, if any.
    pub fn held_by(&self, owner: O) -> Option<LockKind> {
        self.locks
            .iter()
            .find(|(holder, _, _)| *holder == owner)
            .map(|(_, kind, _)| *kind)
    }

    /// Every lock: owner, kind and the pid of its setter (`fl_pid`, for `/proc/locks`).
    pub fn iter(&self) -> impl Iterator<Item = &(O, LockKind, i32)> {
        self.locks.iter()
    }

    /// Locks (`Some`) or unlocks (`None`) for `owner`, set by process `pid`. The outcome says
    /// whether a lock was given up along the way, even when the request itself fails (a
    /// failed conversion).
    pub fn set(
        &mut self,
        owner: O,
        kind: Option<LockKind>,
        pid: i32,
    ) -> (Result<(), FlockError>, FlockOutcome) {
        let mut outcome = FlockOutcome { is_released: false };
        if let Some(index) = self
            .locks
            .iter()
            .position(|(holder, _, _)| *holder == owner)
        {
            if Some(self.locks[index].1) == kind {
                return (Ok(()), outcome);
            }
            self.locks.remove(index);
            outcome.is_released = true;
        }
        let Some(kind) = kind else {
            return (Ok(()), outcome);
        };
        if self
            .locks
            .iter()
            .any(|(holder, held, _)| *holder != owner && kind.conflicts_with(*held))
        {
            return (Err(FlockError::WouldBlock), outcome);
        }
        if self.locks.try_reserve(1).is_err() {
            return (Err(FlockError::NoMemory), outcome);
        }
        self.locks.push((owner, kind, pid));
        (Ok(()), outcome)
    }

    /// Removes `owner`'s lock (its description is closed: `locks_remove_flock`); whether it
    /// had one.
    pub fn remove(&mut self, owner: O) -> bool {
        let before = self.locks.len();
        self.locks.retain(|(holder, _, _)| *holder != owner);
        self.locks.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockKind::{Read, Write};

    #[test]
    fn shared_locks_coexist_exclusive_ones_do_not() {
        let mut locks = FlockLocks::default();
        assert_eq!(locks.set(1, Some(Read), 0).0, Ok(()));
        assert_eq!(locks.set(2, Some(Read), 0).0, Ok(()));
        assert_eq!(locks.set(3, Some(Write), 0).0, Err(FlockError::WouldBlock));
        assert_eq!(locks.held_by(3), None);
        assert!(locks.remove(1));
        assert!(locks.remove(2));
        assert_eq!(locks.set(3, Some(Write), 0).0, Ok(()));
        assert_eq!(locks.set(1, Some(Read), 0).0, Err(FlockError::WouldBlock));
        assert_eq!(locks.set(1, Some(Write), 0).0, Err(FlockError::WouldBlock));
    }

    #[test]
    fn same_kind_again_changes_nothing() {
        let mut locks = FlockLocks::default();
        locks.set(1, Some(Write), 0).0.unwrap();
        let (result, outcome) = locks.set(1, Some(Write), 0);
        assert_eq!(result, Ok(()));
        assert!(!outcome.is_released);
        assert_eq!(locks.held_by(1), Some(Write));
    }

    #[test]
    fn conversion_drops_the_old_lock_first() {
        let mut locks = FlockLocks::default();
        locks.set(1, Some(Read), 0).0.unwrap();
        locks.set(2, Some(Read), 0).0.unwrap();
        // 1 wants exclusive while 2 shares: refused, and 1's shared lock is gone.
        let (result, outcome) = locks.set(1, Some(Write), 0);
        assert_eq!(result, Err(FlockError::WouldBlock));
        assert!(outcome.is_released);
        assert_eq!(locks.held_by(1), None);
        // Alone, an upgrade and a downgrade both succeed.
        locks.remove(2);
        locks.set(1, Some(Read), 0).0.unwrap();
        assert_eq!(locks.set(1, Some(Write), 0).0, Ok(()));
        let (result, outcome) = locks.set(1, Some(Read), 0);
        assert_eq!(result, Ok(()));
        assert!(outcome.is_released);
        assert_eq!(locks.held_by(1), Some(Read));
    }

    #[test]
    fn unlock_of_nothing_succeeds() {
        let mut locks: FlockLocks<u32> = FlockLocks::default();
        let (result, outcome) = locks.set(1, None, 0);
        assert_eq!(result, Ok(()));
        assert!(!outcome.is_released);
        locks.set(1, Some(Read), 0).0.unwrap();
        let (_, outcome) = locks.set(1, None, 0);
        assert!(outcome.is_released);
        assert!(locks.is_empty());
    }
}
