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
