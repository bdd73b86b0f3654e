//! System V ids (`ipc/util.c`'s `ipc_idr_alloc`, `ipc_addid`, `ipc_rmid`, `ipc_get_maxidx`):
//! an id is `seq << 15 | index`. Indices are handed out cyclically within a window of
//! `max(in_use * 3 / 2, 64)` (at most `IPCMNI`), from just after the last one handed out; the
//! sequence number grows each time the index does not (so a stale id does not name the new
//! object at its index) and wraps to 0 at `INT_MAX >> 15`.
//!
//! `kernel.{msg,sem,shm}_next_id` (checkpoint/restore) asks for the next id: the object gets
//! that id's sequence number and its index, or the first free index above it if taken; the
//! request is used once (the sysctl reads -1 again) and leaves the cyclic state alone.

/// Index bits of an id (`IPCMNI_SHIFT`).
pub const INDEX_SHIFT: u32 = 15;
/// Most objects of one kind (`IPCMNI`).
pub const IPCMNI: u32 = 1 << INDEX_SHIFT;
/// Sequence numbers wrap here (`ipcid_seq_max`).
pub const SEQ_MAX: u32 = (i32::MAX as u32) >> INDEX_SHIFT;
/// Smallest allocation window (`ipc_min_cycle`, `RADIX_TREE_MAP_SIZE`).
const MIN_CYCLE: u32 = 64;

/// The index an id names (`ipcid_to_idx`).
pub fn index_of(id: i32) -> u32 {
    id as u32 & (IPCMNI - 1)
}

/// The sequence number of an id, as `ipc64_perm.seq` shows it.
pub fn seq_of(id: i32) -> u16 {
    (id as u32 >> INDEX_SHIFT) as u16
}

/// The indices in use and the sequence state of one kind of object.
pub struct IdAllocator {
    /// One bit per index, grown as higher indices are used (so a namespace's tables start
    /// small).
    used: alloc::vec::Vec<u64>,
    in_use: u32,
    /// `ids->last_idx` (-1 at first).
    last_index: i64,
    /// The idr's cursor (`idr_next`).
    next: u32,
    seq: u32,
    /// `ids->max_idx`: the highest index in use, -1 if none.
    max_index: i64,
    /// `ids->next_id`: the id the next object asks for, -1 for none.
    next_id: i32,
}

impl Default for IdAllocator {
    fn default() -> Self {
        IdAllocator::new()
    }
}

impl IdAllocator {
    pub const fn new() -> IdAllocator {
        IdAllocator {
            used: alloc::vec::Vec::new(),
            in_use: 0,
            last_index: -1,
            next: 0,
            seq: 0,
            max_index: -1,
            next_id: -1,
        }
    }

    /// `kernel.*_next_id` as read: the requested id, -1 for none.
    pub fn next_id(&self) -> i32 {
        self.next_id
    }

    /// `kernel.*_next_id` as written (the sysctl keeps it within 0..=`INT_MAX`).
    pub fn set_next_id(&mut self, id: i32) {
        self.next_id = id;
    }

    fn is_used(&self, index: u32) -> bool {
        self.used
            .get((index / 64) as usize)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    fn first_free(&self, from: u32, below: u32) -> Option<u32> {
        (from..below).find(|&index| !self.is_used(index))
    }

    /// Objects in use (`ids->in_use`).
    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    /// `ipc_get_maxidx`: -1 if nothing is in use, else the highest index in use.
    pub fn max_index(&self) -> i32 {
        if self.in_use == 0 {
            -1
        } else if self.in_use == IPCMNI {
            IPCMNI as i32 - 1
        } else {
            self.max_index as i32
        }
    }

    /// `ipc_addid`'s allocation: `None` (`ENOSPC`) when `limit` objects (at most `IPCMNI`)
    /// are in use, or when the bitmap cannot grow; else the index and the id.
    pub fn alloc(&mut self, limit: u32) -> Option<(u32, i32)> {
        if self.in_use >= limit.min(IPCMNI) {
            return None;
        }
        if self.next_id >= 0 {
            let requested = core::mem::replace(&mut self.next_id, -1);
            let index = self.first_free(index_of(requested), IPCMNI)?;
            let seq = u32::from(seq_of(requested));
            self.mark_used(index)?;
            return Some((index, ((seq << INDEX_SHIFT) | index) as i32));
        }
        let window = ((self.in_use * 3) / 2).clamp(MIN_CYCLE, IPCMNI);
        let start = if self.next >= window { 0 } else { self.next };
        let index = self
            .first_free(start, window)
            .or_else(|| self.first_free(0, start.min(window)))?;
        self.mark_used(index)?;
        self.next = index + 1;
        if i64::from(index) <= self.last_index {
            self.seq += 1;
            if self.seq >= SEQ_MAX {
                self.seq = 0;
            }
        }
        self.last_index = index.into();
        Some((index, ((self.seq << INDEX_SHIFT) | index) as i32))
    }

    /// Takes `index` (free): `None` if the bitmap cannot grow.
    fn mark_used(&mut self, index: u32) -> Option<()> {
        let word = (index / 64) as usize;
        if self.used.len() <= word {
            self.used.try_reserve(word + 1 - self.used.len()).ok()?;
            self.used.resize(word + 1, 0);
        }
        self.used[word] |= 1 << (index % 64);
        self.in_use += 1;
        self.max_index = self.max_index.max(index.into());
        Some(())
    }

    /// `ipc_rmid`: frees `index`.
    pub fn free(&mut self, index: u32) {
        if index >= IPCMNI || !self.is_used(index) {
            return;
        }
        self.used[(index / 64) as usize] &= !(1 << (index % 64));
        self.in_use -= 1;
        if i64::from(index) == self.max_index {
            let mut candidate = i64::from(index) - 1;
            while candidate >= 0 && !self.is_used(candidate as u32) {
                candidate -= 1;
            }
            self.max_index = candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_up_then_wrap_with_a_new_sequence() {
        let mut ids = IdAllocator::new();
        assert_eq!(ids.max_index(), -1);
        assert_eq!(ids.alloc(100), Some((0, 0)));
        assert_eq!(ids.alloc(100), Some((1, 1)));
        ids.free(0);
        // The cursor moves on: index 2, same sequence.
        assert_eq!(ids.alloc(100), Some((2, 2)));
        assert_eq!(ids.max_index(), 2);
        ids.free(1);
        ids.free(2);
        // One at a time: the cursor runs to the end of the 64-slot window, then wraps to
        // index 0 with the next sequence number.
        for index in 3..64 {
            assert_eq!(ids.alloc(100), Some((index, index as i32)));
            ids.free(index);
        }
        assert_eq!(ids.alloc(100), Some((0, 1 << 15)));
        assert_eq!(seq_of(1 << 15), 1);
        assert_eq!(index_of((1 << 15) | 5), 5);
    }

    #[test]
    fn window_grows_with_use_and_limit_gives_none() {
        let mut ids = IdAllocator::new();
        for _ in 0..64 {
            ids.alloc(1000).unwrap();
        }
        // 64 in use: the window is 96.
        assert_eq!(ids.alloc(1000), Some((64, 64)));
        let mut small = IdAllocator::new();
        assert!(small.alloc(1).is_some());
        assert_eq!(small.alloc(1), None);
        assert_eq!(small.alloc(0), None);
    }

    #[test]
    fn max_index_follows_removals() {
        let mut ids = IdAllocator::new();
        for _ in 0..5 {
            ids.alloc(10).unwrap();
        }
        ids.free(4);
        ids.free(3);
        assert_eq!(ids.max_index(), 2);
        ids.free(1);
        assert_eq!(ids.max_index(), 2);
        ids.free(2);
        ids.free(0);
        assert_eq!(ids.max_index(), -1);
        assert_eq!(ids.in_use(), 0);
        ids.free(0);
        assert_eq!(ids.in_use(), 0);
    }

    #[test]
    fn next_id_is_used_once_and_skips_a_taken_index() {
        let mut ids = IdAllocator::new();
        assert_eq!(ids.alloc(100), Some((0, 0)));
        ids.set_next_id((3 << 15) | 40);
        assert_eq!(ids.alloc(100), Some((40, (3 << 15) | 40)));
        assert_eq!(ids.next_id(), -1);
        // Back to the cycle, which the request did not move.
        assert_eq!(ids.alloc(100), Some((1, 1)));
        // A taken index gives the next free one, with the requested sequence.
        ids.set_next_id((2 << 15) | 40);
        assert_eq!(ids.alloc(100), Some((41, (2 << 15) | 41)));
        assert_eq!(ids.max_index(), 41);
        // At the limit the request waits for the next allocation.
        let mut full = IdAllocator::new();
        full.alloc(1).unwrap();
        full.set_next_id(7);
        assert_eq!(full.alloc(1), None);
        assert_eq!(full.next_id(), 7);
    }

    #[test]
    fn sequence_wraps_at_its_maximum() {
        let mut ids = IdAllocator::new();
        ids.seq = SEQ_MAX - 1;
        ids.last_index = 10;
        assert_eq!(ids.alloc(10), Some((0, 0)));
    }
}
