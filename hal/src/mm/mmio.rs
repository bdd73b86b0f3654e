//! Memory-mapped device registers: a physical range mapped uncached into the kernel-virtual area,
//! read and written with volatile accesses at checked offsets.
//!
//! [`MmioRegion`] is hal's own (the local APIC, the I/O APIC, PCI configuration space, MSI-X
//! tables). [`IoMem`] is the same window handed to drivers: hal builds it only from a memory BAR
//! it enumerated ([`crate::pci::PciDevice::map_bar`]), never from an address a caller names, so
//! safe code can reach device registers but never RAM through it.

use super::kernel_space;
use crate::dma::DmaAddr;
use abi::Errno;

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

    /// The window's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn check(&self, offset: usize, size: usize) {
        assert!(
            offset.is_multiple_of(size)
                && offset.checked_add(size).is_some_and(|end| end <= self.len),
            "MMIO access at {offset:#x} (size {size}) outside a window of {:#x} bytes",
            self.len
        );
    }

    /// Reads the 8-bit register at `offset` (panics if out of the window).
    pub fn read_u8(&self, offset: usize) -> u8 {
        self.check(offset, 1);
        // SAFETY: the window is mapped uncached for the lifetime of `self`, the offset is in
        // range and aligned; volatile because the device changes the value.
        unsafe { core::ptr::read_volatile((self.vaddr + offset as u64) as *const u8) }
    }

    /// Reads the 16-bit register at `offset` (panics if out of the window).
    pub fn read_u16(&self, offset: usize) -> u16 {
        self.check(offset, 2);
        // SAFETY: as `read_u8`.
        unsafe { core::ptr::read_volatile((self.vaddr + offset as u64) as *const u16) }
    }

    /// Reads the 32-bit register at `offset` (panics if out of the window).
    pub fn read_u32(&self, offset: usize) -> u32 {
        self.check(offset, 4);
        // SAFETY: as `read_u8`.
        unsafe { core::ptr::read_volatile((self.vaddr + offset as u64) as *const u32) }
    }

    /// Writes the 8-bit register at `offset` (panics if out of the window).
    pub fn write_u8(&self, offset: usize, value: u8) {
        self.check(offset, 1);
        // SAFETY: as `read_u8`.
        unsafe { core::ptr::write_volatile((self.vaddr + offset as u64) as *mut u8, value) };
    }

    /// Writes the 16-bit register at `offset` (panics if out of the window).
    pub fn write_u16(&self, offset: usize, value: u16) {
        self.check(offset, 2);
        // SAFETY: as `read_u8`.
        unsafe { core::ptr::write_volatile((self.vaddr + offset as u64) as *mut u16, value) };
    }

    /// Writes the 32-bit register at `offset` (panics if out of the window).
    pub fn write_u32(&self, offset: usize, value: u32) {
        self.check(offset, 4);
        // SAFETY: as `read_u8`.
        unsafe { core::ptr::write_volatile((self.vaddr + offset as u64) as *mut u32, value) };
    }
}

/// A driver's window onto (part of) one memory BAR of its PCI function: Linux's `pci_iomap`.
///
/// Accesses are volatile and checked: an offset outside the window, or misaligned, is `EINVAL`
/// rather than a panic, since the offsets a driver uses often come from the device itself
/// (virtio's capability structures).
pub struct IoMem {
    region: MmioRegion,
}

impl IoMem {
    pub(crate) fn new(region: MmioRegion) -> IoMem {
        IoMem { region }
    }

    /// The window's length in bytes.
    pub fn len(&self) -> usize {
        self.region.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.region.len() == 0
    }

    fn check(&self, offset: usize, size: usize) -> Result<(), Errno> {
        if offset.is_multiple_of(size)
            && offset
                .checked_add(size)
                .is_some_and(|end| end <= self.region.len())
        {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }

    /// Reads the byte register at `offset`.
    pub fn read_u8(&self, offset: usize) -> Result<u8, Errno> {
        self.check(offset, 1)?;
        Ok(self.region.read_u8(offset))
    }

    /// Reads the 16-bit register at `offset`.
    pub fn read_u16(&self, offset: usize) -> Result<u16, Errno> {
        self.check(offset, 2)?;
        Ok(self.region.read_u16(offset))
    }

    /// Reads the 32-bit register at `offset`.
    pub fn read_u32(&self, offset: usize) -> Result<u32, Errno> {
        self.check(offset, 4)?;
        Ok(self.region.read_u32(offset))
    }

    /// Writes the byte register at `offset`.
    pub fn write_u8(&self, offset: usize, value: u8) -> Result<(), Errno> {
        self.check(offset, 1)?;
        self.region.write_u8(offset, value);
        Ok(())
    }

    /// Writes the 16-bit register at `offset`.
    pub fn write_u16(&self, offset: usize, value: u16) -> Result<(), Errno> {
        self.check(offset, 2)?;
        self.region.write_u16(offset, value);
        Ok(())
    }

    /// Writes the 32-bit register at `offset`.
    pub fn write_u32(&self, offset: usize, value: u32) -> Result<(), Errno> {
        self.check(offset, 4)?;
        self.region.write_u32(offset, value);
        Ok(())
    }

    /// Writes a device address into the 64-bit register at `offset`, as two 32-bit writes (low
    /// half first), which is how PCI devices such as virtio take 64-bit addresses. The address
    /// itself never passes through the caller's hands.
    pub fn write_dma_addr(&self, offset: usize, address: DmaAddr) -> Result<(), Errno> {
        self.check(offset, 4)?;
        self.check(offset + 4, 4)?;
        let raw = address.raw();
        self.region.write_u32(offset, raw as u32);
        self.region.write_u32(offset + 4, (raw >> 32) as u32);
        Ok(())
    }
}
