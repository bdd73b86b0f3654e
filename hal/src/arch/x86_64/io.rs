//! x86 port I/O as a safe type for the ports the HAL owns.
//!
//! Port accesses cannot violate Rust memory safety by themselves, but some ports (the PIC, the
//! PIT, the ACPI power-management block) change machine state; `Port` is therefore crate-private
//! and each driver in the HAL exposes only the operations it means to.

use core::arch::asm;

/// One I/O port.
#[derive(Clone, Copy)]
pub(crate) struct Port(pub u16);

impl Port {
    pub fn read_u8(self) -> u8 {
        let value: u8;
        // SAFETY: `in` reads an I/O port; it touches no memory. Ports are chosen by HAL code only.
        unsafe {
            asm!("in al, dx", out("al") value, in("dx") self.0, options(nomem, nostack, preserves_flags))
        };
        value
    }

    pub fn read_u16(self) -> u16 {
        let value: u16;
        // SAFETY: as `read_u8`.
        unsafe {
            asm!("in ax, dx", out("ax") value, in("dx") self.0, options(nomem, nostack, preserves_flags))
        };
        value
    }

    pub fn read_u32(self) -> u32 {
        let value: u32;
        // SAFETY: as `read_u8`.
        unsafe {
            asm!("in eax, dx", out("eax") value, in("dx") self.0, options(nomem, nostack, preserves_flags))
        };
        value
    }

    pub fn write_u8(self, value: u8) {
        // SAFETY: `out` writes an I/O port; it touches no memory.
        unsafe {
            asm!("out dx, al", in("dx") self.0, in("al") value, options(nomem, nostack, preserves_flags))
        };
    }

    pub fn write_u16(self, value: u16) {
        // SAFETY: as `write_u8`.
        unsafe {
            asm!("out dx, ax", in("dx") self.0, in("ax") value, options(nomem, nostack, preserves_flags))
        };
    }

    pub fn write_u32(self, value: u32) {
        // SAFETY: as `write_u8`.
        unsafe {
            asm!("out dx, eax", in("dx") self.0, in("eax") value, options(nomem, nostack, preserves_flags))
        };
    }
}

/// A driver's range of I/O ports: one I/O BAR of its PCI function, built by hal from what it
/// enumerated ([`crate::pci::PciDevice::io_ports`]). Offsets are checked against the range, so a
/// driver reaches only its own device's ports (never the PIC, the PIT or the PM block).
pub struct IoPorts {
    base: u16,
    len: u16,
}

impl IoPorts {
    pub(crate) fn new(base: u16, len: u16) -> IoPorts {
        IoPorts { base, len }
    }

    /// The number of ports.
    pub fn len(&self) -> u16 {
        self.len
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn port(&self, offset: u16, size: u16) -> Result<Port, abi::Errno> {
        match offset.checked_add(size) {
            Some(end) if end <= self.len => Ok(Port(self.base + offset)),
            _ => Err(abi::Errno::EINVAL),
        }
    }

    /// Reads the byte port at `offset`.
    pub fn read_u8(&self, offset: u16) -> Result<u8, abi::Errno> {
        Ok(self.port(offset, 1)?.read_u8())
    }

    /// Reads the 16-bit port at `offset`.
    pub fn read_u16(&self, offset: u16) -> Result<u16, abi::Errno> {
        Ok(self.port(offset, 2)?.read_u16())
    }

    /// Reads the 32-bit port at `offset`.
    pub fn read_u32(&self, offset: u16) -> Result<u32, abi::Errno> {
        Ok(self.port(offset, 4)?.read_u32())
    }

    /// Writes the byte port at `offset`.
    pub fn write_u8(&self, offset: u16, value: u8) -> Result<(), abi::Errno> {
        self.port(offset, 1)?.write_u8(value);
        Ok(())
    }

    /// Writes the 16-bit port at `offset`.
    pub fn write_u16(&self, offset: u16, value: u16) -> Result<(), abi::Errno> {
        self.port(offset, 2)?.write_u16(value);
        Ok(())
    }

    /// Writes the 32-bit port at `offset`.
    pub fn write_u32(&self, offset: u16, value: u32) -> Result<(), abi::Errno> {
        self.port(offset, 4)?.write_u32(value);
        Ok(())
    }
}
