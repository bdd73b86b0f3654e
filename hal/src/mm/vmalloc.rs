//! Large kernel-heap buffers, virtually contiguous over single frames (Linux's `vmalloc`, which
//! `kvmalloc` falls back to).
//!
//! A heap allocation too large for a few contiguous frames (above [`heap`](super::heap)'s
//! page-block limit) gets a range of the kernel-virtual area, reserved in 64 KiB units from a
//! bitmap, and one frame mapped for each page it uses. Physical fragmentation therefore never
//! fails a large allocation while enough single frames are free. `realloc` grows or shrinks in
//! place within the reserved units, and otherwise moves the frames to a larger range by
//! remapping them: the bytes are never copied, so a doubling buffer costs page-table edits only.
//!
//! Frames are taken with the class the heap passes (user data or kernel, see
//! [`super::heap::user_data`]). Mappings are global kernel mappings; unmapping flushes every
//! CPU's TLB (one shootdown per batch of pages, `kernel_space::unmap_and_free`).

use super::arena::AllocClass;
use super::page_table::{NO_EXECUTE, WRITABLE};
use super::{PAGE_SIZE, VMALLOC_BASE, frame, kernel_space};
use spin::Mutex;

/// The range used for large buffers: 64 GiB, 256 GiB above the base (stacks and MMIO below).
const AREA_START: u64 = VMALLOC_BASE + (256 << 30);
const AREA_SIZE: u64 = 64 << 30;
/// Granule of the virtual reservations.
const UNIT: u64 = 64 * 1024;
const UNITS: usize = (AREA_SIZE / UNIT) as usize;

struct UnitMap {
    /// One bit per unit, set when reserved.
    bits: [u64; UNITS / 64],
    /// Where the next search starts.
    hint: usize,
}

static UNIT_MAP: Mutex<UnitMap> = Mutex::new(UnitMap {
    bits: [0; UNITS / 64],
    hint: 0,
});

impl UnitMap {
    fn is_set(&self, unit: usize) -> bool {
        self.bits[unit / 64] & (1 << (unit % 64)) != 0
    }

    fn set_range(&mut self, first: usize, count: usize, value: bool) {
        for unit in first..first + count {
            if value {
                self.bits[unit / 64] |= 1 << (unit % 64);
            } else {
                self.bits[unit / 64] &= !(1 << (unit % 64));
            }
        }
    }

    /// Reserves `count` consecutive units (first fit from the hint, then from the start).
    fn reserve(&mut self, count: usize) -> Option<usize> {
        for start in [self.hint, 0] {
            let mut run_start = start;
            let mut run = 0;
            let mut unit = start;
            while unit < UNITS {
                if self.bits[unit / 64] == u64::MAX {
                    unit = (unit / 64 + 1) * 64;
                    run = 0;
                    run_start = unit;
                    continue;
                }
                if self.is_set(unit) {
                    run = 0;
                    run_start = unit + 1;
                } else {
                    run += 1;
                    if run == count {
                        self.set_range(run_start, count, true);
                        self.hint = run_start + count;
                        return Some(run_start);
                    }
                }
                unit += 1;
            }
        }
        None
    }

    fn release(&mut self, first: usize, count: usize) {
        self.set_range(first, count, false);
        self.hint = self.hint.min(first);
    }
}

fn units_for(size: usize) -> usize {
    (size as u64).div_ceil(UNIT) as usize
}

fn pages_for(size: usize) -> u64 {
    (size as u64).div_ceil(PAGE_SIZE as u64)
}

fn unit_address(unit: usize) -> u64 {
    AREA_START + unit as u64 * UNIT
}

/// Maps fresh frames at the pages `[first_page, end_page)` of the range at `base`. On failure
/// the pages mapped by this call are unmapped again.
fn map_pages(base: u64, first_page: u64, end_page: u64, class: AllocClass) -> bool {
    for page in first_page..end_page {
        let vaddr = base + page * PAGE_SIZE as u64;
        let Some(paddr) = frame::alloc_pages(0, class) else {
            unmap_pages(base, first_page, page);
            return false;
        };
        if kernel_space::map_kernel_page(vaddr, paddr, WRITABLE | NO_EXECUTE).is_err() {
            frame::free_pages(paddr, 0);
            unmap_pages(base, first_page, page);
            return false;
        }
    }
    true
}

/// Unmaps the pages `[first_page, end_page)` of the range at `base` and frees their frames.
fn unmap_pages(base: u64, first_page: u64, end_page: u64) {
    kernel_space::unmap_and_free(
        base + first_page * PAGE_SIZE as u64,
        base + end_page * PAGE_SIZE as u64,
    );
}

/// Allocates `size` bytes (page aligned); returns the address, or `None`.
pub(crate) fn alloc(size: usize, class: AllocClass) -> Option<u64> {
    let units = units_for(size);
    let first = UNIT_MAP.lock().reserve(units)?;
    let base = unit_address(first);
    if !map_pages(base, 0, pages_for(size), class) {
        UNIT_MAP.lock().release(first, units);
        return None;
    }
    Some(base)
}

/// Frees what [`alloc`] returned for `size` bytes.
pub(crate) fn free(address: u64, size: usize) {
    unmap_pages(address, 0, pages_for(size));
    let first = ((address - AREA_START) / UNIT) as usize;
    UNIT_MAP.lock().release(first, units_for(size));
}

/// Resizes an allocation of `old_size` bytes at `address` to `new_size`; returns its address
/// (which moves when the reserved units are too few), or `None` with the old allocation intact.
pub(crate) fn realloc(
    address: u64,
    old_size: usize,
    new_size: usize,
    class: AllocClass,
) -> Option<u64> {
    let old_pages = pages_for(old_size);
    let new_pages = pages_for(new_size);
    if units_for(new_size) <= units_for(old_size) {
        if new_pages > old_pages {
            map_pages(address, old_pages, new_pages, class).then_some(address)?;
        } else {
            unmap_pages(address, new_pages, old_pages);
            // Give back the units no longer needed.
            let first = ((address - AREA_START) / UNIT) as usize;
            let keep = units_for(new_size);
            UNIT_MAP
                .lock()
                .release(first + keep, units_for(old_size) - keep);
        }
        return Some(address);
    }
    let units = units_for(new_size);
    let first = UNIT_MAP.lock().reserve(units)?;
    let base = unit_address(first);
    if !map_pages(base, old_pages, new_pages, class) {
        UNIT_MAP.lock().release(first, units);
        return None;
    }
    // Move the old frames under the new range: no byte is copied.
    for page in 0..old_pages {
        let offset = page * PAGE_SIZE as u64;
        let Some(paddr) = kernel_space::unmap_kernel_page(address + offset) else {
            continue;
        };
        if kernel_space::map_kernel_page(base + offset, paddr, WRITABLE | NO_EXECUTE).is_err() {
            // No memory for a page table of the new range: put everything back as it was (the
            // old range's tables exist, so remapping there cannot fail).
            let _ = kernel_space::map_kernel_page(address + offset, paddr, WRITABLE | NO_EXECUTE);
            for moved in 0..page {
                let offset = moved * PAGE_SIZE as u64;
                if let Some(paddr) = kernel_space::unmap_kernel_page(base + offset) {
                    let _ = kernel_space::map_kernel_page(
                        address + offset,
                        paddr,
                        WRITABLE | NO_EXECUTE,
                    );
                }
            }
            unmap_pages(base, old_pages, new_pages);
            UNIT_MAP.lock().release(first, units);
            return None;
        }
    }
    let old_first = ((address - AREA_START) / UNIT) as usize;
    UNIT_MAP.lock().release(old_first, units_for(old_size));
    Some(base)
}
