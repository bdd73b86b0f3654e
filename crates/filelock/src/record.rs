//! POSIX record locks and OFD locks on one file (Linux 6.1 `posix_lock_inode`,
//! `posix_test_lock`, `posix_locks_conflict`).
//!
//! The locks live in one list (`flc_posix`), grouped by owner in the order the owners first
//! locked, each owner's locks sorted by start. An owner's locks never conflict with each other:
//! a new lock replaces whatever that owner held on its bytes (splitting a lock it covers only in
//! part), and merges with the owner's locks of the same kind that it overlaps or touches, so
//! `F_GETLK` reports the merged range. Locks of other owners conflict when they overlap and
//! either is a write lock. A request either applies completely or, on a conflict, not at all.
//!
//! POSIX locks belong to a descriptor table and OFD locks to an open file description; both
//! kinds live here and conflict with each other (their owners never compare equal).

use alloc::vec::Vec;

use crate::LockKind;
use crate::range::LockRange;

/// One held lock (`struct file_lock` on `flc_posix`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock<O> {
    /// The owner (`fl_owner`).
    pub owner: O,
    /// The process that set it (`fl_pid`, the caller's thread-group id), for `F_GETLK`.
    pub pid: i32,
    /// An OFD lock (`FL_OFDLCK`): `F_GETLK` reports its pid as -1.
    pub is_ofd: bool,
    /// Shared or exclusive.
    pub kind: LockKind,
    /// The bytes it covers.
    pub range: LockRange,
}

/// Why a request did not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError<O> {
    /// Another owner holds a conflicting lock (`EAGAIN`, or sleep for `F_SETLKW`): the first
    /// one in list order.
    Conflict(RecordLock<O>),
    /// No memory for the new list (`ENOLCK`).
    NoMemory,
}

/// Every record lock of one file.
#[derive(Debug)]
pub struct RecordLocks<O> {
    locks: Vec<RecordLock<O>>,
}

impl<O> Default for RecordLocks<O> {
    fn default() -> Self {
        RecordLocks { locks: Vec::new() }
    }
}

impl<O: Copy + Eq> RecordLocks<O> {
    /// Whether no record lock is held.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// The locks in list order.
    pub fn iter(&self) -> impl Iterator<Item = &RecordLock<O>> {
        self.locks.iter()
    }

    /// Whether `owner` holds any lock here.
    pub fn has_owner(&self, owner: O) -> bool {
        self.locks.iter().any(|lock| lock.owner == owner)
    }

    /// The first lock of another owner that a lock of `kind` on `range` by `owner` conflicts
    /// with (`posix_locks_conflict`).
    pub fn find_conflict(
        &self,
        owner: O,
        kind: LockKind,
        range: &LockRange,
    ) -> Option<&RecordLock<O>> {
        self.locks.iter().find(|lock| {
            lock.owner != owner && lock.range.overlaps(range) && kind.conflicts_with(lock.kind)
        })
    }

    /// `F_GETLK`'s answer for a lock of `kind` on `range` by `owner`: the first conflicting
    /// lock, or `None` if it could be placed.
    pub fn test(&self, owner: O, kind: LockKind, range: &LockRange) -> Option<RecordLock<O>> {
        self.find_conflict(owner, kind, range).copied()
    }

    /// Sets (`kind` given) or removes (`None`) `owner`'s lock on `range`. `pid` and `is_ofd`
    /// describe a new lock. On a conflict nothing changes.
    pub fn set(
        &mut self,
        owner: O,
        pid: i32,
        is_ofd: bool,
        kind: Option<LockKind>,
        range: LockRange,
    ) -> Result<(), SetError<O>> {
        if let Some(kind) = kind
            && let Some(conflict) = self.find_conflict(owner, kind, &range)
        {
            return Err(SetError::Conflict(*conflict));
        }
        let group_start = self.locks.iter().position(|lock| lock.owner == owner);
        let mine_count = self.locks.iter().filter(|lock| lock.owner == owner).count();
        // The owner's new locks: at most its old ones, two halves of a split, and the new one.
        let mut mine: Vec<RecordLock<O>> = Vec::new();
        mine.try_reserve_exact(mine_count + 2)
            .map_err(|_| SetError::NoMemory)?;
        let mut others: Vec<RecordLock<O>> = Vec::new();
        others
            .try_reserve_exact(self.locks.len() - mine_count + mine_count + 2)
            .map_err(|_| SetError::NoMemory)?;

        // The range the new lock finally covers: grown over the owner's locks of the same kind
        // that it overlaps or touches (repeated, as each growth may reach another).
        let mut covered = range;
        let mut merged_pid = None;
        if let Some(kind) = kind {
            loop {
                let mut is_grown = false;
                for lock in self.locks.iter().filter(|l| l.owner == owner) {
                    if lock.kind == kind
                        && lock.range.touches(&covered)
                        && (lock.range.start < covered.start || lock.range.end > covered.end)
                    {
                        covered.start = covered.start.min(lock.range.start);
                        covered.end = covered.end.max(lock.range.end);
                        is_grown = true;
                    }
                    if lock.kind == kind && lock.range.touches(&covered) && merged_pid.is_none() {
                        merged_pid = Some(lock.pid);
                    }
                }
                if !is_grown {
                    break;
                }
            }
        }
        // Carve the covered bytes out of the owner's locks.
        for lock in self.locks.iter().filter(|l| l.owner == owner) {
            if !lock.range.overlaps(&covered) {
                mine.push(*lock);
                continue;
            }
            if lock.range.start < covered.start {
                mine.push(RecordLock {
                    range: LockRange::new(lock.range.start, covered.start - 1),
                    ..*lock
                });
            }
            if lock.range.end > covered.end {
                mine.push(RecordLock {
                    range: LockRange::new(covered.end + 1, lock.range.end),
                    ..*lock
                });
            }
        }
        if let Some(kind) = kind {
            mine.push(RecordLock {
                owner,
                pid: merged_pid.unwrap_or(pid),
                is_ofd,
                kind,
                range: covered,
            });
        }
        mine.sort_unstable_by_key(|lock| lock.range.start);
        // Rebuild the list with the owner's group where it was (or last, if new).
        let insert_at = group_start.unwrap_or(self.locks.len());
        for (index, lock) in self.locks.iter().enumerate() {
            if index == insert_at {
                others.append(&mut mine);
            }
            if lock.owner != owner {
                others.push(*lock);
            }
        }
        others.append(&mut mine);
        self.locks = others;
        Ok(())
    }

    /// Removes every lock of `owner` (closing a file: `locks_remove_posix`); whether there was
    /// any.
    pub fn remove_owner(&mut self, owner: O) -> bool {
        let before = self.locks.len();
        self.locks.retain(|lock| lock.owner != owner);
        self.locks.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::range::OFFSET_MAX;
    use LockKind::{Read, Write};
    use alloc::vec;

    fn r(start: u64, end: u64) -> LockRange {
        LockRange::new(start, end)
    }

    /// The locks as (owner, kind, start, end).
    fn dump(locks: &RecordLocks<u32>) -> Vec<(u32, LockKind, u64, u64)> {
        locks
            .iter()
            .map(|l| (l.owner, l.kind, l.range.start, l.range.end))
            .collect()
    }

    fn set(locks: &mut RecordLocks<u32>, owner: u32, kind: Option<LockKind>, start: u64, end: u64) {
        locks
            .set(owner, owner as i32 * 10, false, kind, r(start, end))
            .unwrap();
    }

    #[test]
    fn read_locks_share_write_locks_exclude() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Read), 0, 9);
        set(&mut locks, 2, Some(Read), 5, 14);
        let error = locks.set(3, 30, false, Some(Write), r(9, 9)).unwrap_err();
        assert_eq!(
            error,
            SetError::Conflict(RecordLock {
                owner: 1,
                pid: 10,
                is_ofd: false,
                kind: Read,
                range: r(0, 9)
            })
        );
        // Nothing changed on a conflict.
        assert_eq!(dump(&locks), vec![(1, Read, 0, 9), (2, Read, 5, 14)]);
        // Beyond both: fine.
        set(&mut locks, 3, Some(Write), 15, 20);
        assert!(locks.set(1, 10, false, Some(Read), r(20, 30)).is_err());
        assert!(locks.set(1, 10, false, Some(Read), r(21, 30)).is_ok());
    }

    #[test]
    fn an_owner_never_conflicts_with_itself() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Write), 0, 9);
        set(&mut locks, 1, Some(Write), 5, 14);
        assert_eq!(dump(&locks), vec![(1, Write, 0, 14)]);
        assert_eq!(locks.test(1, Write, &r(0, 100)), None);
        assert!(locks.test(2, Read, &r(14, 14)).is_some());
    }

    #[test]
    fn adjacent_locks_of_one_kind_merge() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Read), 0, 9);
        set(&mut locks, 1, Some(Read), 20, 29);
        set(&mut locks, 1, Some(Read), 10, 19);
        assert_eq!(dump(&locks), vec![(1, Read, 0, 29)]);
        // Different kinds touch without merging.
        set(&mut locks, 1, Some(Write), 30, 39);
        assert_eq!(dump(&locks), vec![(1, Read, 0, 29), (1, Write, 30, 39)]);
        // A gap of one byte does not merge.
        set(&mut locks, 1, Some(Write), 41, 50);
        assert_eq!(dump(&locks).len(), 3);
        set(&mut locks, 1, Some(Write), 40, 40);
        assert_eq!(dump(&locks), vec![(1, Read, 0, 29), (1, Write, 30, 50)]);
    }

    #[test]
    fn a_lock_of_another_kind_splits() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Write), 0, 99);
        set(&mut locks, 1, Some(Read), 40, 59);
        assert_eq!(
            dump(&locks),
            vec![(1, Write, 0, 39), (1, Read, 40, 59), (1, Write, 60, 99)]
        );
        // Upgrading the middle back merges all three.
        set(&mut locks, 1, Some(Write), 40, 59);
        assert_eq!(dump(&locks), vec![(1, Write, 0, 99)]);
    }

    #[test]
    fn a_new_lock_replaces_and_merges_across_kinds() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Read), 0, 9);
        set(&mut locks, 1, Some(Write), 10, 19);
        set(&mut locks, 1, Some(Read), 20, 29);
        set(&mut locks, 1, Some(Read), 5, 25);
        assert_eq!(dump(&locks), vec![(1, Read, 0, 29)]);
    }

    #[test]
    fn unlock_splits_and_removes() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Write), 0, OFFSET_MAX);
        set(&mut locks, 1, None, 10, 19);
        assert_eq!(
            dump(&locks),
            vec![(1, Write, 0, 9), (1, Write, 20, OFFSET_MAX)]
        );
        set(&mut locks, 1, None, 0, 9);
        assert_eq!(dump(&locks), vec![(1, Write, 20, OFFSET_MAX)]);
        // Unlocking what is not locked is fine; unlocking another owner's bytes does nothing.
        set(&mut locks, 2, None, 0, OFFSET_MAX);
        set(&mut locks, 1, None, 5, 6);
        assert_eq!(dump(&locks), vec![(1, Write, 20, OFFSET_MAX)]);
        set(&mut locks, 1, None, 0, OFFSET_MAX);
        assert!(locks.is_empty());
    }

    #[test]
    fn unlock_never_conflicts() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Write), 0, 9);
        set(&mut locks, 2, None, 0, 9);
        assert_eq!(dump(&locks), vec![(1, Write, 0, 9)]);
    }

    #[test]
    fn test_reports_the_first_conflict_in_owner_order() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 2, Some(Read), 50, 59);
        set(&mut locks, 1, Some(Write), 10, 19);
        set(&mut locks, 2, Some(Read), 0, 4);
        // Owner 2's group came first.
        assert_eq!(
            dump(&locks),
            vec![(2, Read, 0, 4), (2, Read, 50, 59), (1, Write, 10, 19)]
        );
        let found = locks.test(3, Write, &r(0, 100)).unwrap();
        assert_eq!((found.owner, found.range), (2, r(0, 4)));
        // A read probe passes read locks and finds the write lock.
        let found = locks.test(3, Read, &r(0, 100)).unwrap();
        assert_eq!((found.owner, found.kind), (1, Write));
        assert_eq!(locks.test(3, Read, &r(50, 59)), None);
        assert_eq!(locks.test(3, Write, &r(20, 49)), None);
    }

    #[test]
    fn merged_lock_keeps_the_first_pid() {
        let mut locks = RecordLocks::default();
        locks.set(1, 100, false, Some(Read), r(0, 9)).unwrap();
        locks.set(1, 200, false, Some(Read), r(5, 20)).unwrap();
        assert_eq!(locks.iter().next().map(|l| l.pid), Some(100));
        locks.set(1, 300, false, Some(Write), r(30, 40)).unwrap();
        assert_eq!(locks.iter().nth(1).map(|l| l.pid), Some(300));
    }

    #[test]
    fn remove_owner_drops_only_that_owner() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Read), 0, 9);
        set(&mut locks, 2, Some(Read), 0, 9);
        set(&mut locks, 1, Some(Write), 20, 29);
        assert!(locks.has_owner(1));
        assert!(locks.remove_owner(1));
        assert!(!locks.remove_owner(1));
        assert_eq!(dump(&locks), vec![(2, Read, 0, 9)]);
    }

    #[test]
    fn group_keeps_its_place_after_changes() {
        let mut locks = RecordLocks::default();
        set(&mut locks, 1, Some(Read), 0, 9);
        set(&mut locks, 2, Some(Read), 0, 9);
        set(&mut locks, 1, Some(Read), 100, 109);
        assert_eq!(
            dump(&locks),
            vec![(1, Read, 0, 9), (1, Read, 100, 109), (2, Read, 0, 9)]
        );
        // Emptied and locked again: the group moves to the end.
        set(&mut locks, 1, None, 0, OFFSET_MAX);
        set(&mut locks, 1, Some(Read), 0, 0);
        assert_eq!(dump(&locks), vec![(2, Read, 0, 9), (1, Read, 0, 0)]);
    }

    /// A brute-force model: each owner's bytes 0..64 as a map, compared after random
    /// operations (including that the list is canonical: disjoint, sorted, merged).
    #[test]
    fn matches_a_byte_model() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _round in 0..200 {
            let mut locks: RecordLocks<u32> = RecordLocks::default();
            let mut model = [[None::<LockKind>; 64]; 3];
            for _ in 0..40 {
                let owner = (next() % 3) as u32;
                let a = next() % 64;
                let b = next() % 64;
                let (start, end) = (a.min(b), a.max(b));
                let kind = match next() % 3 {
                    0 => None,
                    1 => Some(Read),
                    _ => Some(Write),
                };
                let conflict = kind.is_some_and(|kind| {
                    (0..3).any(|other| {
                        other != owner as usize
                            && (start..=end).any(|byte| {
                                model[other][byte as usize]
                                    .is_some_and(|held| kind.conflicts_with(held))
                            })
                    })
                });
                let result = locks.set(owner, 0, false, kind, r(start, end));
                assert_eq!(result.is_err(), conflict);
                if !conflict {
                    for byte in start..=end {
                        model[owner as usize][byte as usize] = kind;
                    }
                }
                for owner in 0..3u32 {
                    let mine: Vec<_> = locks.iter().filter(|l| l.owner == owner).collect();
                    for pair in mine.windows(2) {
                        assert!(pair[0].range.end < pair[1].range.start);
                        if pair[0].kind == pair[1].kind {
                            assert!(pair[0].range.end + 1 < pair[1].range.start);
                        }
                    }
                    for byte in 0..64u64 {
                        let held = mine
                            .iter()
                            .find(|l| l.range.start <= byte && byte <= l.range.end)
                            .map(|l| l.kind);
                        assert_eq!(held, model[owner as usize][byte as usize]);
                    }
                }
            }
        }
    }
}
