//! Memory that devices read and write (Linux's DMA API, `Documentation/core-api/dma-api.rst`).
//!
//! - [`DmaCoherent`]: physically contiguous, zeroed kernel memory shared with a device for its
//!   lifetime (virtqueue rings, request headers): `dma_alloc_coherent`. The kernel reaches it
//!   only through volatile accesses at checked offsets, never through a Rust reference, since
//!   the device writes it at any time.
//! - [`DmaStream`]: one page-cache frame lent to a device for one transfer (`dma_map_page`). It
//!   holds the frame's handle, so the frame cannot be freed or reused while the device may still
//!   touch it. A frame the device fills comes in as a [`UniqueFrame`] (nobody else sees it until
//!   the transfer is over and [`DmaStream::into_unique`] gives it back); a frame the device only
//!   reads may be shared.
//! - [`DmaAddr`]: the address a device uses for such memory. It has no public constructor and
//!   no accessor: safe code gets one only from the two types above, and can only hand it to hal
//!   (`DmaCoherent::write_dma_addr`, [`IoMem::write_dma_addr`](crate::mm::mmio::IoMem)), which
//!   writes it where the device will read it. So no physical address of RAM reaches safe code.
//!
//! x86 DMA is cache-coherent and there is no IOMMU in the machines Ferrux targets, so the
//! device address is the physical address and no cache maintenance is needed. What the types
//! cannot enforce without an IOMMU is the lifetime of an address once it is in a device's ring:
//! a driver keeps each `DmaStream` until the device has returned the request that uses it
//! (docs/unsafe.md).

use crate::mm::PAGE_SIZE;
use crate::mm::arena::AllocClass;
use crate::mm::frame::{self, Frame, UniqueFrame};
use abi::Errno;

/// A device-visible address of DMA memory (opaque; see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaAddr(u64);

impl DmaAddr {
    pub(crate) fn raw(self) -> u64 {
        self.0
    }
}

/// Physically contiguous memory shared with a device.
pub struct DmaCoherent {
    paddr: u64,
    order: usize,
    len: usize,
}

impl core::fmt::Debug for DmaCoherent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DmaCoherent")
            .field("len", &self.len)
            .finish()
    }
}

impl DmaCoherent {
    /// Allocates `len` zeroed bytes (rounded up to a power-of-two number of pages, at most
    /// 4 MiB), or `ENOMEM`.
    pub fn try_new(len: usize) -> Result<DmaCoherent, Errno> {
        let pages = len.max(1).div_ceil(PAGE_SIZE).next_power_of_two();
        let order = pages.trailing_zeros() as usize;
        if order > crate::mm::buddy::MAX_ORDER {
            return Err(Errno::ENOMEM);
        }
        let paddr = frame::alloc_pages(order, AllocClass::Kernel).ok_or(Errno::ENOMEM)?;
        let memory = DmaCoherent {
            paddr,
            order,
            len: pages * PAGE_SIZE,
        };
        let base = crate::mm::phys_to_virt(paddr) as *mut u8;
        // SAFETY: the block was just allocated to this value alone; no device knows it yet, so
        // this write races with nothing. The direct map covers all RAM.
        unsafe { core::ptr::write_bytes(base, 0, memory.len) };
        Ok(memory)
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the length is zero (never: at least a page is allocated).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn pointer(&self, offset: usize, size: usize) -> Result<*mut u8, Errno> {
        match offset.checked_add(size) {
            Some(end) if end <= self.len && offset.is_multiple_of(size.min(8)) => {
                Ok((crate::mm::phys_to_virt(self.paddr) + offset as u64) as *mut u8)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// The device address of the byte at `offset`.
    pub fn dma_addr(&self, offset: usize) -> Result<DmaAddr, Errno> {
        if offset >= self.len {
            return Err(Errno::EINVAL);
        }
        Ok(DmaAddr(self.paddr + offset as u64))
    }

    /// Reads the naturally aligned 16-bit value at `offset`.
    pub fn read_u16(&self, offset: usize) -> Result<u16, Errno> {
        let pointer = self.pointer(offset, 2)?.cast::<u16>();
        // SAFETY: `pointer` is inside this allocation (checked) and aligned; the memory stays
        // allocated while `self` lives. Volatile: the device writes it concurrently, and no Rust
        // reference to it exists.
        Ok(unsafe { core::ptr::read_volatile(pointer) })
    }

    /// Reads the naturally aligned 32-bit value at `offset`.
    pub fn read_u32(&self, offset: usize) -> Result<u32, Errno> {
        let pointer = self.pointer(offset, 4)?.cast::<u32>();
        // SAFETY: as `read_u16`.
        Ok(unsafe { core::ptr::read_volatile(pointer) })
    }

    /// Reads the byte at `offset`.
    pub fn read_u8(&self, offset: usize) -> Result<u8, Errno> {
        let pointer = self.pointer(offset, 1)?;
        // SAFETY: as `read_u16`.
        Ok(unsafe { core::ptr::read_volatile(pointer) })
    }

    /// Writes the naturally aligned 16-bit value at `offset`.
    pub fn write_u16(&self, offset: usize, value: u16) -> Result<(), Errno> {
        let pointer = self.pointer(offset, 2)?.cast::<u16>();
        // SAFETY: as `read_u16`; the device may read the value at any time, which is the point.
        unsafe { core::ptr::write_volatile(pointer, value) };
        Ok(())
    }

    /// Writes the naturally aligned 32-bit value at `offset`.
    pub fn write_u32(&self, offset: usize, value: u32) -> Result<(), Errno> {
        let pointer = self.pointer(offset, 4)?.cast::<u32>();
        // SAFETY: as `write_u16`.
        unsafe { core::ptr::write_volatile(pointer, value) };
        Ok(())
    }

    /// Writes the naturally aligned 64-bit value at `offset`.
    pub fn write_u64(&self, offset: usize, value: u64) -> Result<(), Errno> {
        let pointer = self.pointer(offset, 8)?.cast::<u64>();
        // SAFETY: as `write_u16`.
        unsafe { core::ptr::write_volatile(pointer, value) };
        Ok(())
    }

    /// Writes the byte at `offset`.
    pub fn write_u8(&self, offset: usize, value: u8) -> Result<(), Errno> {
        let pointer = self.pointer(offset, 1)?;
        // SAFETY: as `write_u16`.
        unsafe { core::ptr::write_volatile(pointer, value) };
        Ok(())
    }

    /// Copies `buf.len()` bytes from `offset` into `buf` (a received frame); `EINVAL` past
    /// the end.
    pub fn read_bytes(&self, offset: usize, buf: &mut [u8]) -> Result<(), Errno> {
        let pointer = self.range(offset, buf.len())?;
        for (index, byte) in buf.iter_mut().enumerate() {
            // SAFETY: `pointer + index` is inside this allocation (`range` checked the whole
            // span) and stays allocated while `self` lives; `buf` is ordinary memory that
            // cannot overlap it (no Rust reference to DMA memory exists). Volatile: the device
            // may write the area concurrently (a driver reads only what it returned).
            *byte = unsafe { core::ptr::read_volatile(pointer.add(index)) };
        }
        Ok(())
    }

    /// Copies `bytes` to `offset` (a frame to transmit); `EINVAL` past the end.
    pub fn write_bytes(&self, offset: usize, bytes: &[u8]) -> Result<(), Errno> {
        let pointer = self.range(offset, bytes.len())?;
        for (index, byte) in bytes.iter().enumerate() {
            // SAFETY: as `read_bytes`; the device reads the area only once the driver has
            // offered it, after this copy.
            unsafe { core::ptr::write_volatile(pointer.add(index), *byte) };
        }
        Ok(())
    }

    fn range(&self, offset: usize, len: usize) -> Result<*mut u8, Errno> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => {
                Ok((crate::mm::phys_to_virt(self.paddr) + offset as u64) as *mut u8)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// Writes a device address as the 64-bit little-endian value at `offset` (a descriptor's
    /// address field).
    pub fn write_dma_addr(&self, offset: usize, address: DmaAddr) -> Result<(), Errno> {
        self.write_u64(offset, address.raw())
    }
}

impl Drop for DmaCoherent {
    fn drop(&mut self) {
        frame::free_pages(self.paddr, self.order);
    }
}

/// The frame a [`DmaStream`] lends.
#[derive(Debug)]
enum Lent {
    /// The device writes it (a read from the disk); nobody else sees it.
    FromDevice(UniqueFrame),
    /// The device reads it (a write to the disk).
    ToDevice(Frame),
}

/// One frame lent to a device for a transfer.
#[derive(Debug)]
pub struct DmaStream {
    lent: Lent,
}

impl DmaStream {
    /// Lends `frame` to a device that will write into it.
    pub fn from_device(frame: UniqueFrame) -> DmaStream {
        DmaStream {
            lent: Lent::FromDevice(frame),
        }
    }

    /// Lends `frame` to a device that will only read it.
    pub fn to_device(frame: Frame) -> DmaStream {
        DmaStream {
            lent: Lent::ToDevice(frame),
        }
    }

    /// The device address of byte `offset` of the frame.
    pub fn dma_addr(&self, offset: usize) -> Result<DmaAddr, Errno> {
        if offset >= PAGE_SIZE {
            return Err(Errno::EINVAL);
        }
        let paddr = match &self.lent {
            Lent::FromDevice(frame) => frame.paddr(),
            Lent::ToDevice(frame) => frame.paddr(),
        };
        Ok(DmaAddr(paddr + offset as u64))
    }

    /// The bytes of a frame lent with [`DmaStream::from_device`], for a device the CPU
    /// emulates (a loop device fills them from its backing file); `None` for a frame lent with
    /// [`DmaStream::to_device`], which the device must not change.
    pub fn cpu_bytes_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.lent {
            Lent::FromDevice(frame) => Some(frame.bytes_mut()),
            Lent::ToDevice(_) => None,
        }
    }

    /// Copies the frame's bytes from `offset` into `buf`, as a device the CPU emulates reads
    /// them (a loop device writing them to its backing file). Bytes past the frame are left
    /// alone.
    pub fn cpu_read(&self, offset: usize, buf: &mut [u8]) {
        let offset = offset.min(PAGE_SIZE);
        let end = offset.saturating_add(buf.len()).min(PAGE_SIZE);
        let len = end.saturating_sub(offset);
        match &self.lent {
            Lent::FromDevice(frame) => buf[..len].copy_from_slice(&frame.bytes()[offset..end]),
            Lent::ToDevice(frame) => frame.read(offset, &mut buf[..len]),
        }
    }

    /// Takes back a frame the device wrote, once the transfer is over (`None` for a frame lent
    /// with [`DmaStream::to_device`]).
    pub fn into_unique(self) -> Option<UniqueFrame> {
        match self.lent {
            Lent::FromDevice(frame) => Some(frame),
            Lent::ToDevice(_) => None,
        }
    }
}
