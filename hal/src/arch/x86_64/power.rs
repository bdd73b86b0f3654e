//! Power off and reset, the ways QEMU's `pc` machine understands.

use super::io::Port;

/// Writes to QEMU's `isa-debug-exit` device (present when the test runner adds it): QEMU exits
/// with status `(value << 1) | 1`. Without the device the write is ignored.
pub fn debug_exit(value: u32) {
    Port(0xf4).write_u32(value);
}

/// ACPI power-off through the PIIX4 PM block (QEMU `pc`), then the Bochs/old-QEMU port.
pub fn power_off() -> ! {
    Port(0x604).write_u16(0x2000);
    Port(0xb004).write_u16(0x2000);
    super::cpu::halt_forever()
}

/// Resets through the keyboard controller; with `-no-reboot` QEMU exits instead.
pub fn reset() -> ! {
    Port(0x64).write_u8(0xfe);
    // A triple fault is the fallback: load an empty IDT and raise an exception.
    super::cpu::halt_forever()
}
