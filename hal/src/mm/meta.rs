//! Per-frame metadata: one [`FrameMeta`] for every page frame of RAM, in an array carved out of
//! RAM at boot (Linux's `mem_map` of `struct page`).
//!
//! The metadata is what makes physical memory manageable without the heap: the buddy allocator
//! threads its free lists through `next`/`prev` (frame numbers, not pointers), the slab
//! allocator keeps each slab page's free-object list and use count here, and a frame handed to
//! the kernel carries its reference count, its map count (page-table entries that map it) and
//! the page-cache flags of Linux's `page-flags.h` (uptodate, dirty, locked, writeback).
//!
//! Every field is an atomic, so the array can be shared as `&'static [FrameMeta]` by all CPUs.
//! Which code may change which field is a matter of ownership, stated on each accessor: list
//! links and buddy/slab fields belong to whoever holds the frame's allocator lock (the zone lock
//! for free frames, the size class's lock for slab pages); the counts and the public flags
//! belong to the frame's holders. An all-zero `FrameMeta` is a valid "not RAM / not free" state,
//! so the array is set up by zeroing it.

use core::sync::atomic::{AtomicU32, Ordering};

/// "No frame" in the intrusive list links.
pub(crate) const NONE: u32 = u32::MAX;

/// Bits of [`FrameMeta`]'s `flags` word.
// The page-cache bits are used by `frame.rs`, which is left out of hal's host test build.
#[cfg_attr(test, allow(dead_code))]
pub(crate) mod bits {
    /// The frame heads a free buddy block (its order is in `private`).
    pub const BUDDY: u32 = 1 << 0;
    /// The frame is a slab page (its size class is in `private`).
    pub const SLAB: u32 = 1 << 1;
    /// The frame sits on a per-CPU free list.
    pub const PCP: u32 = 1 << 3;
    /// Counted as a file page when mapped ([`crate::mm::vmstat::PageKind::File`]).
    pub const FILE: u32 = 1 << 4;
    /// Not counted when mapped ([`crate::mm::vmstat::PageKind::Kernel`]).
    pub const KERNEL: u32 = 1 << 5;
    /// Page-cache flags (public through [`super::PageFlag`]).
    pub const UPTODATE: u32 = 1 << 8;
    pub const DIRTY: u32 = 1 << 9;
    pub const LOCKED: u32 = 1 << 10;
    pub const WRITEBACK: u32 = 1 << 11;
    pub const DELALLOC: u32 = 1 << 12;
}

/// The metadata of one page frame. 32 bytes, so the array costs 0.8% of RAM.
#[derive(Debug, Default)]
#[repr(C, align(32))]
pub struct FrameMeta {
    /// References held by [`super::frame`] handles and page-table entries.
    pub(crate) ref_count: AtomicU32,
    /// Page-table entries that map the frame (Linux's `_mapcount + 1`).
    pub(crate) map_count: AtomicU32,
    /// [`bits`].
    pub(crate) flags: AtomicU32,
    /// Buddy or compound block order, or slab size class.
    pub(crate) private: AtomicU32,
    /// Intrusive list links (frame numbers, [`NONE`] at the ends).
    pub(crate) next: AtomicU32,
    pub(crate) prev: AtomicU32,
    /// Slab pages: index of the first free object, [`NONE`] when full.
    pub(crate) slab_free: AtomicU32,
    /// Slab pages: objects in use.
    pub(crate) slab_in_use: AtomicU32,
}

const _: () = assert!(core::mem::size_of::<FrameMeta>() == 32);

/// A page-cache flag of a frame, for the page cache and write-back (Linux's `PG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageFlag {
    /// The contents are valid (read from the backing store or written whole).
    Uptodate,
    /// The contents differ from the backing store.
    Dirty,
    /// Someone is reading or writing the page's contents as a whole (I/O in progress).
    Locked,
    /// The page is being written back.
    Writeback,
    /// Disk blocks are reserved for the page but not yet allocated (Linux's `BH_Delay`:
    /// delayed allocation; the reservation is given back when the page is written or dropped).
    Delalloc,
}

impl PageFlag {
    #[cfg_attr(test, allow(dead_code))]
    pub(crate) fn bit(self) -> u32 {
        match self {
            PageFlag::Uptodate => bits::UPTODATE,
            PageFlag::Dirty => bits::DIRTY,
            PageFlag::Locked => bits::LOCKED,
            PageFlag::Writeback => bits::WRITEBACK,
            PageFlag::Delalloc => bits::DELALLOC,
        }
    }
}

impl FrameMeta {
    /// Whether `bit` is set in the flags word.
    pub(crate) fn has(&self, bit: u32) -> bool {
        self.flags.load(Ordering::Acquire) & bit != 0
    }

    /// Sets `bit`, returning whether it was set before.
    pub(crate) fn set(&self, bit: u32) -> bool {
        self.flags.fetch_or(bit, Ordering::AcqRel) & bit != 0
    }

    /// Clears `bit`, returning whether it was set before.
    pub(crate) fn clear(&self, bit: u32) -> bool {
        self.flags.fetch_and(!bit, Ordering::AcqRel) & bit != 0
    }

    /// Resets a frame leaving an allocator to the state of a fresh allocation.
    pub(crate) fn reset_for_use(&self) {
        self.flags.store(0, Ordering::Relaxed);
        self.private.store(0, Ordering::Relaxed);
        self.next.store(NONE, Ordering::Relaxed);
        self.prev.store(NONE, Ordering::Relaxed);
        self.map_count.store(0, Ordering::Relaxed);
        self.slab_free.store(NONE, Ordering::Relaxed);
        self.slab_in_use.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_flags_are_independent_test_and_set_bits() {
        let meta = FrameMeta::default();
        assert!(!meta.set(PageFlag::Dirty.bit()));
        assert!(meta.set(PageFlag::Dirty.bit()), "second set sees the first");
        assert!(!meta.has(PageFlag::Uptodate.bit()));
        assert!(!meta.set(PageFlag::Locked.bit()));
        assert!(meta.clear(PageFlag::Dirty.bit()));
        assert!(!meta.has(PageFlag::Dirty.bit()));
        assert!(meta.has(PageFlag::Locked.bit()));
        meta.reset_for_use();
        assert!(!meta.has(PageFlag::Locked.bit()));
    }
}
