//! Physical page frames: a buddy allocator over the usable RAM of the boot memory map, and
//! [`Frame`], an owned page that returns to the allocator when dropped.
//!
//! The buddy system (`buddy_system_allocator::FrameAllocator`, one ordered set per order) gives
//! O(log n) allocation and freeing with coalescing, like Linux's zoned buddy allocator without
//! zones. Frames are reached through the direct map, so a [`Frame`]'s contents can be read and
//! written through safe methods. Like Linux's `struct page`, every frame has a reference count
//! in a global metadata array indexed by frame number; a [`Frame`] is one counted reference
//! (cloning it is an atomic increment), and the frame returns to the allocator when the last
//! reference goes. Page tables hold references too (see `user_space`), which is what keeps a
//! mapped frame alive and makes copy-on-write decisions (`ref_count() == 1`) possible.

use super::{PAGE_SIZE, phys_to_virt};
use abi::Errno;
use alloc::vec::Vec;
use buddy_system_allocator::FrameAllocator;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use spin::{Mutex, Once};

static ALLOCATOR: Mutex<FrameAllocator<32>> = Mutex::new(FrameAllocator::new());
static TOTAL_FRAMES: AtomicUsize = AtomicUsize::new(0);
static FREE_FRAMES: AtomicUsize = AtomicUsize::new(0);

/// Reference counts, one per frame number below the top of RAM.
static REF_COUNTS: Once<Vec<AtomicU32>> = Once::new();

/// Creates the reference-count array for frames below `top_paddr`. Runs once, after the heap.
pub(crate) fn init_metadata(top_paddr: u64) {
    REF_COUNTS.call_once(|| {
        (0..top_paddr as usize / PAGE_SIZE)
            .map(|_| AtomicU32::new(0))
            .collect()
    });
}

fn ref_count_of(paddr: u64) -> &'static AtomicU32 {
    let counts = REF_COUNTS
        .get()
        .unwrap_or_else(|| panic!("frame metadata used before init"));
    &counts[paddr as usize / PAGE_SIZE]
}

/// Hands the physical range `[start, end)` (page-aligned inward) to the allocator.
pub(crate) fn add_region(start: u64, end: u64) {
    let first = start.div_ceil(PAGE_SIZE as u64) as usize;
    let last = (end / PAGE_SIZE as u64) as usize;
    if last > first {
        ALLOCATOR.lock().add_frame(first, last);
        TOTAL_FRAMES.fetch_add(last - first, Ordering::Relaxed);
        FREE_FRAMES.fetch_add(last - first, Ordering::Relaxed);
    }
}

/// Allocates `count` physically contiguous frames (rounded up to a power of two, aligned to it).
pub(crate) fn alloc_contiguous(count: usize) -> Option<u64> {
    let first = ALLOCATOR.lock().alloc(count)?;
    FREE_FRAMES.fetch_sub(count.next_power_of_two(), Ordering::Relaxed);
    Some((first * PAGE_SIZE) as u64)
}

/// Frees what `alloc_contiguous(count)` returned.
pub(crate) fn free_contiguous(paddr: u64, count: usize) {
    ALLOCATOR.lock().dealloc(paddr as usize / PAGE_SIZE, count);
    FREE_FRAMES.fetch_add(count.next_power_of_two(), Ordering::Relaxed);
}

/// Total and free frame counts, for `sysinfo` and `/proc/meminfo`.
pub fn stats() -> (usize, usize) {
    (
        TOTAL_FRAMES.load(Ordering::Relaxed),
        FREE_FRAMES.load(Ordering::Relaxed),
    )
}

/// A counted reference to one 4 KiB physical page.
#[derive(Debug)]
pub struct Frame {
    paddr: u64,
}

impl Clone for Frame {
    fn clone(&self) -> Frame {
        ref_count_of(self.paddr).fetch_add(1, Ordering::Relaxed);
        Frame { paddr: self.paddr }
    }
}

impl Frame {
    /// Allocates a zero-filled frame, or `ENOMEM`.
    pub fn try_new_zeroed() -> Result<Frame, Errno> {
        let frame = Self::try_new_uninit()?;
        frame.bytes_mut_internal().fill(0);
        Ok(frame)
    }

    /// Allocates a zero-filled frame and lets `fill` write into it before anyone else can see
    /// it (a file page read straight into the frame, without a bounce buffer).
    pub fn try_new_zeroed_with(
        fill: impl FnOnce(&mut [u8]) -> Result<(), Errno>,
    ) -> Result<Frame, Errno> {
        let frame = Self::try_new_zeroed()?;
        fill(frame.bytes_mut_internal())?;
        Ok(frame)
    }

    /// Allocates a frame whose contents are left as they were (the caller overwrites them all).
    pub fn try_new_uninit() -> Result<Frame, Errno> {
        let paddr = alloc_contiguous(1).ok_or(Errno::ENOMEM)?;
        ref_count_of(paddr).store(1, Ordering::Relaxed);
        Ok(Frame { paddr })
    }

    /// Turns this reference into a raw physical address (stored in a page-table entry).
    pub(crate) fn into_raw(self) -> u64 {
        let paddr = self.paddr;
        core::mem::forget(self);
        paddr
    }

    /// Takes back a reference given up by [`Frame::into_raw`].
    pub(crate) fn from_raw(paddr: u64) -> Frame {
        Frame { paddr }
    }

    /// A new reference to the frame whose reference a page-table entry holds.
    pub(crate) fn clone_raw(paddr: u64) -> Frame {
        ref_count_of(paddr).fetch_add(1, Ordering::Relaxed);
        Frame { paddr }
    }

    /// How many references exist (page tables included).
    pub fn ref_count(&self) -> u32 {
        ref_count_of(self.paddr).load(Ordering::Acquire)
    }

    /// A new frame holding a copy of this one (copy-on-write uses this).
    pub fn try_clone_contents(&self) -> Result<Frame, Errno> {
        let copy = Self::try_new_uninit()?;
        copy.bytes_mut_internal()
            .copy_from_slice(self.bytes_internal());
        Ok(copy)
    }

    /// The physical address.
    pub fn paddr(&self) -> u64 {
        self.paddr
    }

    /// Copies `buf.len()` bytes from offset `offset` of the page (panics if out of the page:
    /// callers compute offsets from page-relative arithmetic).
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        buf.copy_from_slice(&self.bytes_internal()[offset..offset + buf.len()]);
    }

    /// Copies `data` into the page at `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) {
        self.bytes_mut_internal()[offset..offset + data.len()].copy_from_slice(data);
    }

    /// Zeroes `len` bytes at `offset`.
    pub fn zero(&self, offset: usize, len: usize) {
        self.bytes_mut_internal()[offset..offset + len].fill(0);
    }

    fn bytes_internal(&self) -> &[u8] {
        // SAFETY: the direct map covers all RAM, `paddr` is a page this value owns, so the 4 KiB
        // at its direct-map address are valid. Other views of the page are user mappings, which
        // Rust's model treats like device memory (it never assumes they do not change).
        unsafe { core::slice::from_raw_parts(phys_to_virt(self.paddr) as *const u8, PAGE_SIZE) }
    }

    #[allow(clippy::mut_from_ref)] // interior mutability of physical memory, see bytes_internal
    fn bytes_mut_internal(&self) -> &mut [u8] {
        // SAFETY: as `bytes_internal`; the returned slice is used for one copy and dropped before
        // any other kernel view of the page is created (every caller is a method of this type).
        unsafe { core::slice::from_raw_parts_mut(phys_to_virt(self.paddr) as *mut u8, PAGE_SIZE) }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if ref_count_of(self.paddr).fetch_sub(1, Ordering::AcqRel) == 1 {
            free_contiguous(self.paddr, 1);
        }
    }
}
