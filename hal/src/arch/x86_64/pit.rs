//! The 8254 PIT, used once at boot as a known-frequency reference to calibrate the TSC and the
//! APIC timer (Linux's `pit_calibrate_tsc` does the same with channel 2 and the speaker gate).

use super::io::Port;

/// The PIT's input clock in Hz.
pub const PIT_HZ: u64 = 1_193_182;

/// Busy-waits for `ticks` PIT ticks (at most 65535) using channel 2 in one-shot mode.
pub(crate) fn wait_ticks(ticks: u16) {
    let gate = Port(0x61);
    let command = Port(0x43);
    let channel2 = Port(0x42);
    gate.write_u8((gate.read_u8() & !0x02) | 0x01);
    command.write_u8(0xb0); // channel 2, lobyte/hibyte, mode 0, binary
    channel2.write_u8(ticks as u8);
    channel2.write_u8((ticks >> 8) as u8);
    // Restart the count by toggling the gate.
    let value = gate.read_u8();
    gate.write_u8(value & !0x01);
    gate.write_u8(value | 0x01);
    while gate.read_u8() & 0x20 == 0 {
        core::hint::spin_loop();
    }
}
