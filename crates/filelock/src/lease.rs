//! Leases on one file (Linux 6.1 `fs/locks.c`: `generic_add_lease`, `generic_delete_lease`,
//! `check_conflicting_open`, `__break_lease`, `time_out_leases`, `fcntl_getlease`;
//! fcntl(2) "Leases").
//!
//! A lease belongs to an open file description. A read lease needs the file open for writing
//! nowhere (the holder's own descriptor included); a write lease needs the holder's descriptor
//! to be the file's only open one. A second `F_SETLEASE` through the same description changes
//! its lease; a write lease is refused while another lease exists, and a new lease while
//! another is being broken (`EAGAIN`). `fs.leases-enable` = 0 refuses new leases (`EINVAL`).
//!
//! An open that conflicts with a lease (a write lease conflicts with any open, a read lease
//! with an open for writing) breaks it: the holder is signalled once, and the lease is marked
//! to go (for a writer) or to become a read lease (for a reader) when the holder says so or at
//! the deadline (`fs.lease-break-time` seconds later; none when that is 0). Meanwhile
//! `F_GETLEASE` answers what the lease is becoming. Times are the caller's clock (any unit).

use crate::LockKind;
use abi::Errno;
use alloc::vec::Vec;

/// `F_GETLEASE`'s answers (`l_type` values).
pub const F_RDLCK: i16 = 0;
pub const F_WRLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;

/// One lease.
#[derive(Clone, Debug)]
pub struct Lease<O, T> {
    pub owner: O,
    pub kind: LockKind,
    /// Being broken for a writer (`FL_UNLOCK_PENDING`): goes at this time (0: never by itself).
    pub unlock_at: Option<u64>,
    /// Being broken for a reader (`FL_DOWNGRADE_PENDING`): becomes a read lease at this time.
    pub downgrade_at: Option<u64>,
    /// The caller's handle on the holder (whom to signal).
    pub target: T,
}

impl<O, T> Lease<O, T> {
    /// `target_leasetype`: what `F_GETLEASE` reports.
    pub fn reported_type(&self) -> i16 {
        if self.unlock_at.is_some() {
            F_UNLCK
        } else if self.downgrade_at.is_some() || self.kind == LockKind::Read {
            F_RDLCK
        } else {
            F_WRLCK
        }
    }

    fn is_breaking(&self) -> bool {
        self.unlock_at.is_some() || self.downgrade_at.is_some()
    }
}

/// How the file is open when a lease is asked for (`i_writecount`, `i_readcount`) and how
/// the requester's description is open.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opens {
    /// Open descriptions with write access.
    pub writers: usize,
    /// Open descriptions with read access only.
    pub readers: usize,
    /// The requester's description has write access.
    pub self_writes: bool,
    /// The requester's description has read access only.
    pub self_reads_only: bool,
}

/// `check_conflicting_open`.
fn check_conflicting_open(kind: LockKind, opens: &Opens) -> Result<(), Errno> {
    match kind {
        LockKind::Read if opens.writers > 0 => Err(Errno::EAGAIN),
        LockKind::Read => Ok(()),
        LockKind::Write => {
            let own_writes = usize::from(opens.self_writes);
            let own_reads = usize::from(opens.self_reads_only);
            if opens.writers != own_writes || opens.readers != own_reads {
                Err(Errno::EAGAIN)
            } else {
                Ok(())
            }
        }
    }
}

fn is_past(deadline: Option<u64>, now: u64) -> bool {
    matches!(deadline, Some(at) if at != 0 && now >= at)
}

/// The leases of one file (`flc_lease`).
#[derive(Debug)]
pub struct Leases<O, T> {
    list: Vec<Lease<O, T>>,
}

impl<O, T> Default for Leases<O, T> {
    fn default() -> Self {
        Leases { list: Vec::new() }
    }
}

impl<O: Copy + Eq, T> Leases<O, T> {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lease<O, T>> {
        self.list.iter()
    }

    /// `time_out_leases`: leases past their deadline downgrade or go. Whether any changed.
    pub fn time_out(&mut self, now: u64) -> bool {
        let mut changed = false;
        for lease in &mut self.list {
            if is_past(lease.downgrade_at, now) {
                lease.kind = LockKind::Read;
                lease.downgrade_at = None;
                changed = true;
            }
        }
        let before = self.list.len();
        self.list.retain(|lease| !is_past(lease.unlock_at, now));
        changed || self.list.len() != before
    }

    /// `F_SETLEASE` with `F_RDLCK` or `F_WRLCK` for `owner` (`generic_add_lease`); `target`
    /// replaces the handle of an existing lease of `owner` or comes with the new one.
    pub fn set(
        &mut self,
        owner: O,
        kind: LockKind,
        opens: &Opens,
        is_enabled: bool,
        now: u64,
        target: T,
    ) -> Result<(), Errno> {
        self.time_out(now);
        check_conflicting_open(kind, opens)?;
        let mut mine = None;
        for (index, lease) in self.list.iter().enumerate() {
            if lease.owner == owner {
                mine = Some(index);
                continue;
            }
            if kind == LockKind::Write || lease.unlock_at.is_some() {
                return Err(Errno::EAGAIN);
            }
        }
        if let Some(index) = mine {
            // lease_modify: the new type; a read lease is no longer being downgraded.
            let lease = &mut self.list[index];
            lease.kind = kind;
            if kind == LockKind::Read {
                lease.downgrade_at = None;
            }
            lease.target = target;
            return Ok(());
        }
        if !is_enabled {
            return Err(Errno::EINVAL);
        }
        self.list.try_reserve(1).map_err(|_| Errno::ENOLCK)?;
        self.list.push(Lease {
            owner,
            kind,
            unlock_at: None,
            downgrade_at: None,
            target,
        });
        Ok(())
    }

    /// `F_SETLEASE` with `F_UNLCK` (`generic_delete_lease`): `EAGAIN` without a lease.
    pub fn remove(&mut self, owner: O) -> Result<T, Errno> {
        let index = self
            .list
            .iter()
            .position(|lease| lease.owner == owner)
            .ok_or(Errno::EAGAIN)?;
        Ok(self.list.remove(index).target)
    }

    /// `F_GETLEASE` for `owner` (`F_UNLCK` without a lease).
    pub fn get(&mut self, owner: O, now: u64) -> i16 {
        self.time_out(now);
        self.list
            .iter()
            .find(|lease| lease.owner == owner)
            .map_or(F_UNLCK, Lease::reported_type)
    }

    /// `any_leases_conflict`: whether an open for writing (`is_write`) or reading must wait.
    pub fn conflicts(&self, is_write: bool) -> bool {
        let breaker = if is_write {
            LockKind::Write
        } else {
            LockKind::Read
        };
        self.list
            .iter()
            .any(|lease| lease.kind.conflicts_with(breaker))
    }

    /// `__break_lease`'s marking: each conflicting lease not yet being broken that way is
    /// marked with `deadline` (0: none) and `signal` is called for its holder.
    pub fn start_break(&mut self, is_write: bool, deadline: u64, mut signal: impl FnMut(&T)) {
        let breaker = if is_write {
            LockKind::Write
        } else {
            LockKind::Read
        };
        for lease in &mut self.list {
            if !lease.kind.conflicts_with(breaker) {
                continue;
            }
            if is_write {
                if lease.unlock_at.is_some() {
                    continue;
                }
                lease.unlock_at = Some(deadline);
            } else {
                if lease.is_breaking() {
                    continue;
                }
                lease.downgrade_at = Some(deadline);
            }
            signal(&lease.target);
        }
    }

    /// The deadline of the first lease (what a breaker sleeps until: 0 or `None`, no limit).
    pub fn first_deadline(&self) -> Option<u64> {
        let lease = self.list.first()?;
        lease.unlock_at.or(lease.downgrade_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alone_reader() -> Opens {
        Opens {
            writers: 0,
            readers: 1,
            self_writes: false,
            self_reads_only: true,
        }
    }

    #[test]
    fn read_lease_needs_no_writer() {
        let mut leases = Leases::<u32, ()>::default();
        let mut opens = alone_reader();
        opens.writers = 1;
        assert_eq!(
            leases.set(1, LockKind::Read, &opens, true, 0, ()),
            Err(Errno::EAGAIN)
        );
        // Even the holder's own write access counts.
        let own = Opens {
            writers: 1,
            readers: 0,
            self_writes: true,
            self_reads_only: false,
        };
        assert_eq!(
            leases.set(1, LockKind::Read, &own, true, 0, ()),
            Err(Errno::EAGAIN)
        );
        assert_eq!(leases.set(1, LockKind::Write, &own, true, 0, ()), Ok(()));
        assert_eq!(leases.get(1, 0), F_WRLCK);
    }

    #[test]
    fn write_lease_needs_to_be_alone() {
        let mut leases = Leases::<u32, ()>::default();
        let mut opens = alone_reader();
        opens.readers = 2;
        assert_eq!(
            leases.set(1, LockKind::Write, &opens, true, 0, ()),
            Err(Errno::EAGAIN)
        );
        assert_eq!(leases.set(1, LockKind::Read, &opens, true, 0, ()), Ok(()));
        assert_eq!(leases.set(2, LockKind::Read, &opens, true, 0, ()), Ok(()));
        assert_eq!(
            leases.set(2, LockKind::Write, &alone_reader(), true, 0, ()),
            Err(Errno::EAGAIN)
        );
        assert_eq!(leases.remove(2), Ok(()));
        assert_eq!(leases.remove(2), Err(Errno::EAGAIN));
        assert_eq!(leases.get(2, 0), F_UNLCK);
        assert_eq!(
            leases.set(3, LockKind::Read, &opens, false, 0, ()),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn breaking_for_a_writer_and_timeout() {
        let mut leases = Leases::<u32, u32>::default();
        leases
            .set(1, LockKind::Read, &alone_reader(), true, 0, 7)
            .unwrap();
        assert!(!leases.conflicts(false));
        assert!(leases.conflicts(true));
        let mut signalled = Vec::new();
        leases.start_break(true, 100, |target| signalled.push(*target));
        assert_eq!(signalled, [7]);
        leases.start_break(true, 200, |target| signalled.push(*target));
        assert_eq!(signalled, [7]);
        assert_eq!(leases.get(1, 50), F_UNLCK);
        // No new lease while one is being broken.
        assert_eq!(
            leases.set(2, LockKind::Read, &alone_reader(), true, 50, 8),
            Err(Errno::EAGAIN)
        );
        assert_eq!(leases.first_deadline(), Some(100));
        assert!(leases.time_out(100));
        assert!(leases.is_empty());
    }

    #[test]
    fn breaking_for_a_reader_downgrades() {
        let mut leases = Leases::<u32, u32>::default();
        let own = Opens {
            writers: 0,
            readers: 1,
            self_writes: false,
            self_reads_only: true,
        };
        leases.set(1, LockKind::Write, &own, true, 0, 7).unwrap();
        assert!(leases.conflicts(false));
        let mut signalled = Vec::new();
        leases.start_break(false, 0, |target| signalled.push(*target));
        assert_eq!(signalled, [7]);
        assert_eq!(leases.get(1, 1_000_000), F_RDLCK);
        // No deadline: it stays until the holder acts.
        assert!(leases.conflicts(false));
        leases.set(1, LockKind::Read, &own, true, 0, 7).unwrap();
        assert!(!leases.conflicts(false));
        assert_eq!(leases.get(1, 0), F_RDLCK);
    }
}
