//! Physical page frames of the kernel: the global [`FrameArena`] over all RAM, and the typed
//! handles through which the kernel holds frames.
//!
//! - [`UniqueFrame`]: a frame nobody else can see. It gives `&mut [u8]`, so it is filled (zeroed,
//!   read from a file, copied from another frame) before it is shared.
//! - [`Frame`]: a counted, shared reference (Linux's `get_page`/`put_page`). Its contents are
//!   reached only by copies (`read`, `write`, `zero`, and the user copies in `usercopy`), never
//!   by a reference into the page, because other CPUs, user mappings and devices may read and
//!   write it at the same time. The frame returns to the arena when the last reference goes.
//!
//! A frame's metadata also counts the page-table entries that map it (`map_count`, kept by
//! `user_space`) and carries the page-cache flags ([`PageFlag`]). No raw physical address leaves
//! hal: the kernel identifies a frame by an opaque [`FrameId`].

use super::arena::{AllocClass, FrameArena};
use super::meta::{FrameMeta, PageFlag};
use super::{PAGE_SIZE, phys_to_virt};
use abi::Errno;
use core::sync::atomic::Ordering;
use spin::Once;

static ARENA: Once<FrameArena> = Once::new();

/// The arena of all RAM. Panics before boot has set it up.
pub(crate) fn arena() -> &'static FrameArena {
    ARENA
        .get()
        .unwrap_or_else(|| panic!("frame arena used before boot set it up"))
}

/// Creates the arena over `meta` (one zeroed entry per frame below the top of RAM). Runs once.
pub(crate) fn init_arena(meta: &'static [FrameMeta]) {
    ARENA.call_once(|| FrameArena::new(meta));
}

/// The running CPU's index into per-CPU lists. The lists have their own locks, so a stale
/// index (the thread moved to another CPU) costs only contention, never correctness.
pub(crate) fn cpu() -> usize {
    crate::sync::cpu_id()
}

/// Hands the physical range `[start, end)` (page-aligned inward) to the arena.
pub(crate) fn add_region(start: u64, end: u64) {
    let first = start.div_ceil(PAGE_SIZE as u64) as usize;
    let last = (end / PAGE_SIZE as u64) as usize;
    arena().add_frames(first, last);
}

/// Allocates `2^order` contiguous frames; returns the physical address of the first.
pub(crate) fn alloc_pages(order: usize, class: AllocClass) -> Option<u64> {
    let frame = arena().alloc(order, class, cpu())?;
    Some((frame * PAGE_SIZE) as u64)
}

/// Frees what [`alloc_pages`] returned.
pub(crate) fn free_pages(paddr: u64, order: usize) {
    arena().free(paddr as usize / PAGE_SIZE, order, cpu());
}

/// Total and free frame counts, for `sysinfo` and `/proc/meminfo`.
pub fn stats() -> (usize, usize) {
    let arena = arena();
    (arena.total_frames(), arena.free_frames())
}

/// Frames kept for the kernel's own small objects (Linux's `min_free_kbytes`, in frames).
pub fn reserve_frames() -> usize {
    arena().reserve_frames()
}

fn meta_of(paddr: u64) -> &'static FrameMeta {
    &arena().meta()[paddr as usize / PAGE_SIZE]
}

/// An opaque identity of a frame: equal for two handles of the same frame (futex keys of shared
/// mappings use it). It is not an address and gives no access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameId(u64);

impl FrameId {
    /// A number that differs between frames, for hashing.
    pub fn hash_value(self) -> u64 {
        self.0
    }
}

/// A frame that only its owner can see.
#[derive(Debug)]
pub struct UniqueFrame {
    paddr: u64,
}

impl UniqueFrame {
    /// A zero-filled frame, or `ENOMEM` (it counts as memory that user data uses, so it is not
    /// taken from the kernel's reserve).
    pub fn try_new_zeroed() -> Result<UniqueFrame, Errno> {
        let mut frame = Self::try_new_uninit()?;
        frame.bytes_mut().fill(0);
        Ok(frame)
    }

    /// A frame with stale contents, for callers that overwrite all of it.
    fn try_new_uninit() -> Result<UniqueFrame, Errno> {
        let paddr = alloc_pages(0, AllocClass::UserData).ok_or(Errno::ENOMEM)?;
        Ok(UniqueFrame { paddr })
    }

    /// The contents.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the direct map covers all RAM and `paddr` is a frame this value owns alone:
        // no other handle, page-table entry or device refers to it, so the shared borrow tied
        // to `&self` cannot alias a write.
        unsafe { core::slice::from_raw_parts(phys_to_virt(self.paddr) as *const u8, PAGE_SIZE) }
    }

    /// The contents, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as `bytes`; `&mut self` makes this the only borrow of the frame's memory.
        unsafe { core::slice::from_raw_parts_mut(phys_to_virt(self.paddr) as *mut u8, PAGE_SIZE) }
    }

    /// Sets what the frame counts as while user space maps it (anonymous unless told).
    pub fn set_kind(&mut self, kind: super::vmstat::PageKind) {
        use super::meta::bits;
        use super::vmstat::PageKind;
        let meta = meta_of(self.paddr);
        meta.clear(bits::FILE | bits::KERNEL);
        match kind {
            PageKind::Anonymous => {}
            PageKind::File => {
                meta.set(bits::FILE);
            }
            PageKind::Kernel => {
                meta.set(bits::KERNEL);
            }
        }
    }

    /// The frame's physical address, for hal's DMA handles only.
    pub(crate) fn paddr(&self) -> u64 {
        self.paddr
    }

    /// Publishes the frame: from now on it is shared and reached only by copies.
    pub fn into_shared(self) -> Frame {
        let paddr = self.paddr;
        core::mem::forget(self);
        Frame { paddr }
    }
}

impl Drop for UniqueFrame {
    fn drop(&mut self) {
        drop(Frame { paddr: self.paddr });
    }
}

/// A counted reference to a shared page frame.
#[derive(Debug)]
pub struct Frame {
    paddr: u64,
}

impl Clone for Frame {
    fn clone(&self) -> Frame {
        meta_of(self.paddr)
            .ref_count
            .fetch_add(1, Ordering::Relaxed);
        Frame { paddr: self.paddr }
    }
}

impl Frame {
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
        meta_of(paddr).ref_count.fetch_add(1, Ordering::Relaxed);
        Frame { paddr }
    }

    pub(crate) fn meta(&self) -> &'static FrameMeta {
        meta_of(self.paddr)
    }

    /// The frame's identity.
    pub fn id(&self) -> FrameId {
        FrameId(self.paddr / PAGE_SIZE as u64)
    }

    /// How many references exist (handles and page-table entries).
    pub fn ref_count(&self) -> u32 {
        self.meta().ref_count.load(Ordering::Acquire)
    }

    /// How many page-table entries map the frame.
    pub fn map_count(&self) -> u32 {
        self.meta().map_count.load(Ordering::Acquire)
    }

    /// Whether a page-cache flag is set.
    pub fn has_flag(&self, flag: PageFlag) -> bool {
        self.meta().has(flag.bit())
    }

    /// Sets a page-cache flag; returns whether it was set before (`test_and_set`).
    pub fn set_flag(&self, flag: PageFlag) -> bool {
        self.meta().set(flag.bit())
    }

    /// Clears a page-cache flag; returns whether it was set before (`test_and_clear`).
    pub fn clear_flag(&self, flag: PageFlag) -> bool {
        self.meta().clear(flag.bit())
    }

    /// A new frame holding a copy of this one (copy-on-write uses this).
    pub fn try_clone_contents(&self) -> Result<UniqueFrame, Errno> {
        let mut copy = UniqueFrame::try_new_uninit()?;
        self.read(0, copy.bytes_mut());
        Ok(copy)
    }

    /// Copies `buf.len()` bytes from offset `offset` of the page. Panics if the range leaves
    /// the page (callers compute offsets from page-relative arithmetic).
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        assert!(offset <= PAGE_SIZE && buf.len() <= PAGE_SIZE - offset);
        // SAFETY: the range lies in this frame (checked above), which stays allocated while
        // `self` holds its reference; the copy goes through raw pointers and forms no reference
        // to the shared memory, which others may change concurrently (their writes are what
        // the copy sees, as in Linux's `copy_page`/`memcpy_from_page`).
        unsafe {
            core::ptr::copy_nonoverlapping(
                (phys_to_virt(self.paddr) as *const u8).add(offset),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
    }

    /// Copies `data` into the page at `offset`. Panics if the range leaves the page.
    pub fn write(&self, offset: usize, data: &[u8]) {
        assert!(offset <= PAGE_SIZE && data.len() <= PAGE_SIZE - offset);
        // SAFETY: as `read`, in the other direction; `data` is a kernel buffer, never the frame
        // itself (no reference to a shared frame's memory exists).
        unsafe {
            core::ptr::copy_nonoverlapping(
                data.as_ptr(),
                (phys_to_virt(self.paddr) as *mut u8).add(offset),
                data.len(),
            )
        };
    }

    /// Zeroes `len` bytes at `offset`. Panics if the range leaves the page.
    pub fn zero(&self, offset: usize, len: usize) {
        assert!(offset <= PAGE_SIZE && len <= PAGE_SIZE - offset);
        // SAFETY: as `write`.
        unsafe {
            core::ptr::write_bytes((phys_to_virt(self.paddr) as *mut u8).add(offset), 0, len)
        };
    }

    /// Stores `value` into the naturally aligned 8-byte word at `offset` with one atomic store
    /// of `ordering` (a data page user space reads, such as the vDSO's, updated under a sequence
    /// count). Panics if the word is misaligned or leaves the page.
    pub fn store_u64(&self, offset: usize, value: u64, ordering: Ordering) {
        assert!(offset.is_multiple_of(8) && offset + 8 <= PAGE_SIZE);
        // SAFETY: the word lies in this frame, which stays allocated while `self` holds its
        // reference, and is aligned (checked above). The kernel reaches it only through these
        // atomic stores, so no Rust access races with them; user mappings of the frame are
        // outside the Rust memory model, as for `write`.
        unsafe {
            core::sync::atomic::AtomicU64::from_ptr(self.kernel_address(offset) as *mut u64)
                .store(value, ordering)
        };
    }

    /// As [`Frame::store_u64`], for the naturally aligned 4-byte word at `offset`.
    pub fn store_u32(&self, offset: usize, value: u32, ordering: Ordering) {
        assert!(offset.is_multiple_of(4) && offset + 4 <= PAGE_SIZE);
        // SAFETY: as `store_u64`.
        unsafe {
            core::sync::atomic::AtomicU32::from_ptr(self.kernel_address(offset) as *mut u32)
                .store(value, ordering)
        };
    }

    /// The kernel-virtual address of byte `offset`, for hal's user copies straight from or into
    /// the frame.
    /// The frame's physical address, for hal's DMA handles only.
    pub(crate) fn paddr(&self) -> u64 {
        self.paddr
    }

    pub(crate) fn kernel_address(&self, offset: usize) -> u64 {
        phys_to_virt(self.paddr) + offset as u64
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if self.meta().ref_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            free_pages(self.paddr, 0);
        }
    }
}
