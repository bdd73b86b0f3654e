//! Memory-mapped device registers: a physical range mapped uncached into the kernel-virtual area,
//! read and written with volatile 32-bit accesses at checked offsets.

use super::kernel_space;

/// A mapped register window.
pub(crate) struct MmioRegion {
    vaddr: u64,
    len: usize,
}

impl MmioRegion {
    /// Maps `len` bytes of device memory at physical `paddr`. Panics if the kernel-virtual area
    /// or the memory for page tables is exhausted (this happens at boot, for a handful of devices).
    pub(crate) fn map(paddr: u64, len: usize) -> MmioRegion {
        let vaddr = kernel_space::map_device(paddr, len);
        MmioRegion {
            vaddr: vaddr + (paddr & 0xfff),
            len,
        }
    }

    /// Reads the 32-bit register at `offset` (panics if out of the window).
    pub fn read_u32(&self, offset: usize) -> u32 {
        assert!(offset.is_multiple_of(4) && offset + 4 <= self.len);
        // SAFETY: the window is mapped uncached for the lifetime of `self`, the offset is in
        // range and aligned; volatile because the device changes the value.
        unsafe { core::ptr::read_volatile((self.vaddr + offset as u64) as *const u32) }
    }

    /// Writes the 32-bit register at `offset` (panics if out of the window).
    pub fn write_u32(&self, offset: usize, value: u32) {
        assert!(offset.is_multiple_of(4) && offset + 4 <= self.len);
        // SAFETY: as `read_u32`.
        unsafe { core::ptr::write_volatile((self.vaddr + offset as u64) as *mut u32, value) };
    }
}
