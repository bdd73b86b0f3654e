//! The kernel heap: a buddy allocator (`buddy_system_allocator::Heap`) over a static bootstrap
//! region plus a share of RAM handed over at boot.
//!
//! Allocation failure returns null to Rust's allocator API, which the kernel's fallible paths
//! (`try_reserve`, `Box::try_new`-style helpers) turn into `ENOMEM`. The heap does not grow after
//! boot yet (growing needs a frame allocator that does not itself use the heap).

use buddy_system_allocator::LockedHeap;
use core::sync::atomic::{AtomicUsize, Ordering};

const BOOTSTRAP_SIZE: usize = 4 * 1024 * 1024;

#[repr(C, align(4096))]
struct Bootstrap([u8; BOOTSTRAP_SIZE]);

static mut BOOTSTRAP: Bootstrap = Bootstrap([0; BOOTSTRAP_SIZE]);

#[global_allocator]
static HEAP: LockedHeap<33> = LockedHeap::empty();

static HEAP_TOTAL: AtomicUsize = AtomicUsize::new(0);

/// Gives the heap its bootstrap region. Runs once before any allocation.
pub(crate) fn init_bootstrap() {
    let start = (&raw mut BOOTSTRAP) as usize;
    // SAFETY: the bootstrap array is a static used by nothing else; this runs once.
    unsafe { HEAP.lock().init(start, BOOTSTRAP_SIZE) };
    HEAP_TOTAL.fetch_add(BOOTSTRAP_SIZE, Ordering::Relaxed);
}

/// Bytes of the heap that are not RAM frames (the static bootstrap region, part of the kernel
/// image); the rest of the heap came out of the frame allocator's total.
pub fn bootstrap_bytes() -> usize {
    BOOTSTRAP_SIZE
}

/// Adds the direct-mapped physical range `[paddr, paddr + len)` to the heap.
pub(crate) fn add_physical(paddr: u64, len: usize) {
    let start = super::phys_to_virt(paddr) as usize;
    // SAFETY: the caller took this range out of the frame allocator, so nothing else owns it,
    // and the direct map makes it accessible at `start`.
    unsafe { HEAP.lock().add_to_heap(start, start + len) };
    HEAP_TOTAL.fetch_add(len, Ordering::Relaxed);
}

/// Bytes in the heap, and bytes allocated from it.
pub fn stats() -> (usize, usize) {
    let heap = HEAP.lock();
    (heap.stats_total_bytes(), heap.stats_alloc_actual())
}
