//! The kernel heap (Rust's global allocator), grown from and shrunk back to the frame arena on
//! demand, as Linux's `kmalloc`/`kvmalloc`:
//!
//! - objects up to 2 KiB come from the slab's size classes ([`super::slab`]), which may use the
//!   memory reserve;
//! - up to [`MAX_BLOCK_BYTES`], a block of contiguous frames from the buddy arena
//!   (`kmalloc_large`);
//! - beyond, single frames mapped contiguously in the kernel-virtual area ([`super::vmalloc`]).
//!
//! Nothing is set aside at boot. Small objects may use all of the memory reserve; blocks and
//! large buffers half of it, except inside [`user_data`], where the kernel allocates buffers
//! that hold user data (file pages, pipe pages, I/O bounce buffers): those stop at the reserve,
//! so user data can never starve the kernel's bookkeeping. A failed allocation returns null,
//! which the kernel's fallible paths (`try_reserve`, fallible constructors) turn into `ENOMEM`.

use super::arena::AllocClass;
use super::slab::{self, SlabAllocator};
use super::{PAGE_SIZE, PHYS_OFFSET, frame, vmalloc};
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Once;

/// Largest allocation served by one block of contiguous frames (Linux's
/// `PAGE_ALLOC_COSTLY_ORDER` = 3: 32 KiB); bigger ones are virtually contiguous.
pub const MAX_BLOCK_BYTES: usize = 8 * PAGE_SIZE;

static SLAB: Once<SlabAllocator> = Once::new();
static BLOCK_BYTES: AtomicUsize = AtomicUsize::new(0);
static LARGE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Starts the slab over the frame arena. Runs once, after the kernel page tables exist.
pub(crate) fn init() {
    SLAB.call_once(|| SlabAllocator::new(frame::arena(), PHYS_OFFSET as usize));
}

fn slab() -> Option<&'static SlabAllocator> {
    SLAB.get()
}

/// Runs `f` with its block and large heap allocations counted as user data: they fail at the
/// memory reserve instead of using it. For code that allocates buffers user space fills (a
/// tmpfs page, a pipe page, a read buffer). The mark belongs to the running thread (its
/// execution context), so `f` may sleep.
pub fn user_data<R>(f: impl FnOnce() -> R) -> R {
    // Only the running context changes its own depth (no read-modify-write needed).
    crate::task::with_user_data_depth(|depth| {
        depth.map(|d| d.store(d.load(Ordering::Relaxed) + 1, Ordering::Relaxed))
    });
    let result = f();
    crate::task::with_user_data_depth(|depth| {
        depth.map(|d| d.store(d.load(Ordering::Relaxed) - 1, Ordering::Relaxed))
    });
    result
}

/// The class of a block or large allocation made now.
fn current_class() -> AllocClass {
    let in_user_data = crate::task::with_user_data_depth(|depth| {
        depth.is_some_and(|d| d.load(Ordering::Relaxed) > 0)
    });
    if in_user_data {
        AllocClass::UserData
    } else {
        AllocClass::Kernel
    }
}

fn block_order(size: usize) -> usize {
    size.div_ceil(PAGE_SIZE)
        .next_power_of_two()
        .trailing_zeros() as usize
}

/// Allocates `layout` from the slab, a block of frames or vmalloc; null on failure.
fn alloc_from(slab: &SlabAllocator, layout: Layout) -> *mut u8 {
    let size = layout.size();
    if let Some(class) = slab::class_for(size, layout.align()) {
        return slab
            .alloc(class, frame::cpu())
            .map_or(core::ptr::null_mut(), |address| address as *mut u8);
    }
    if size <= MAX_BLOCK_BYTES && layout.align() <= MAX_BLOCK_BYTES {
        let order = block_order(size.max(layout.align()));
        return match frame::alloc_pages(order, current_class()) {
            Some(paddr) => {
                BLOCK_BYTES.fetch_add(PAGE_SIZE << order, Ordering::Relaxed);
                (PHYS_OFFSET + paddr) as *mut u8
            }
            None => core::ptr::null_mut(),
        };
    }
    if layout.align() > PAGE_SIZE {
        return core::ptr::null_mut();
    }
    match vmalloc::alloc(size, current_class()) {
        Some(address) => {
            LARGE_BYTES.fetch_add(size, Ordering::Relaxed);
            address as *mut u8
        }
        None => core::ptr::null_mut(),
    }
}

struct KernelHeap;

#[global_allocator]
static HEAP: KernelHeap = KernelHeap;

// SAFETY: every pointer returned is either null or the start of `layout.size()` bytes that this
// allocator owns until `dealloc` is called with the same layout: slab objects of a class at
// least that large and aligned, a naturally aligned block of frames, or a vmalloc range;
// `dealloc` dispatches on the same layout to the same source.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(slab) = slab() else {
            return core::ptr::null_mut();
        };
        let address = alloc_from(slab, layout);
        if !address.is_null() {
            return address;
        }
        // Objects parked in the per-CPU slab caches may keep pages from the arena.
        slab.drain_caches();
        alloc_from(slab, layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(slab) = slab() else {
            return;
        };
        let size = layout.size();
        let address = ptr as u64;
        if let Some(class) = slab::class_for(size, layout.align()) {
            slab.free(address as usize, class, frame::cpu());
        } else if size <= MAX_BLOCK_BYTES && layout.align() <= MAX_BLOCK_BYTES {
            let order = block_order(size.max(layout.align()));
            BLOCK_BYTES.fetch_sub(PAGE_SIZE << order, Ordering::Relaxed);
            frame::free_pages(address - PHYS_OFFSET, order);
        } else {
            LARGE_BYTES.fetch_sub(size, Ordering::Relaxed);
            vmalloc::free(address, size);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Same slab class or same block order: nothing moves.
        let old_class = slab::class_for(layout.size(), layout.align());
        if old_class.is_some() && old_class == slab::class_for(new_size, layout.align()) {
            return ptr;
        }
        let block = |size: usize| {
            (slab::class_for(size, layout.align()).is_none()
                && size <= MAX_BLOCK_BYTES
                && layout.align() <= MAX_BLOCK_BYTES)
                .then(|| block_order(size.max(layout.align())))
        };
        if block(layout.size()).is_some() && block(layout.size()) == block(new_size) {
            return ptr;
        }
        let is_large = |size: usize| size > MAX_BLOCK_BYTES && layout.align() <= PAGE_SIZE;
        if is_large(layout.size()) && is_large(new_size) {
            return match vmalloc::realloc(ptr as u64, layout.size(), new_size, current_class()) {
                Some(address) => {
                    LARGE_BYTES.fetch_add(new_size, Ordering::Relaxed);
                    LARGE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
                    address as *mut u8
                }
                None => core::ptr::null_mut(),
            };
        }
        // SAFETY: the caller's contract for `realloc` (a live allocation of `layout`, a valid new
        // size) is what `Layout::from_size_align_unchecked` and the copy below need.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

/// Bytes of RAM the heap holds (slab pages, blocks, large buffers), and bytes handed out.
pub fn stats() -> (usize, usize) {
    let (slab_pages, slab_bytes) = slab().map_or((0, 0), SlabAllocator::stats);
    let blocks = BLOCK_BYTES.load(Ordering::Relaxed);
    let large = LARGE_BYTES.load(Ordering::Relaxed);
    (
        slab_pages * PAGE_SIZE + blocks + large.next_multiple_of(PAGE_SIZE),
        slab_bytes + blocks + large,
    )
}
