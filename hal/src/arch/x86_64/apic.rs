//! The local APIC (xAPIC, memory-mapped), its periodic timer, and the legacy 8259 PIC (which is
//! remapped and masked so that only the APIC delivers interrupts).

use super::io::Port;
use crate::mm::mmio::MmioRegion;
use spin::Once;

const REG_TPR: usize = 0x80;
const REG_EOI: usize = 0xb0;
const REG_SPURIOUS: usize = 0xf0;
const REG_LVT_TIMER: usize = 0x320;
const REG_TIMER_INITIAL: usize = 0x380;
const REG_TIMER_CURRENT: usize = 0x390;
const REG_TIMER_DIVIDE: usize = 0x3e0;

const MSR_APIC_BASE: u32 = 0x1b;

static LAPIC: Once<MmioRegion> = Once::new();

fn lapic() -> Option<&'static MmioRegion> {
    LAPIC.get()
}

/// Remaps the 8259 PICs to vectors 0x30-0x3f and masks every line.
fn disable_legacy_pic() {
    let (cmd1, data1, cmd2, data2) = (Port(0x20), Port(0x21), Port(0xa0), Port(0xa1));
    cmd1.write_u8(0x11);
    cmd2.write_u8(0x11);
    data1.write_u8(0x30);
    data2.write_u8(0x38);
    data1.write_u8(4);
    data2.write_u8(2);
    data1.write_u8(1);
    data2.write_u8(1);
    data1.write_u8(0xff);
    data2.write_u8(0xff);
}

/// Maps and enables the local APIC with the spurious vector 0xff.
pub(crate) fn init() {
    disable_legacy_pic();
    let base = super::cpu::read_msr(MSR_APIC_BASE) & 0xf_ffff_f000;
    let region = LAPIC.call_once(|| MmioRegion::map(base, 4096));
    region.write_u32(REG_TPR, 0);
    region.write_u32(REG_SPURIOUS, 0x100 | super::trap::VECTOR_SPURIOUS as u32);
}

/// Signals end-of-interrupt to the local APIC.
pub(crate) fn end_of_interrupt() {
    if let Some(region) = lapic() {
        region.write_u32(REG_EOI, 0);
    }
}

/// Starts the timer counting down from its maximum (divider 16, masked): for calibration.
pub(crate) fn start_calibration_count() {
    if let Some(region) = lapic() {
        region.write_u32(REG_TIMER_DIVIDE, 0x3);
        region.write_u32(REG_LVT_TIMER, 1 << 16);
        region.write_u32(REG_TIMER_INITIAL, u32::MAX);
    }
}

/// The timer's current count.
pub(crate) fn current_count() -> u32 {
    lapic().map_or(0, |region| region.read_u32(REG_TIMER_CURRENT))
}

/// Starts the periodic timer: `initial_count` APIC ticks (divider 16) per interrupt.
pub(crate) fn start_periodic(vector: u8, initial_count: u32) {
    if let Some(region) = lapic() {
        region.write_u32(REG_TIMER_DIVIDE, 0x3);
        region.write_u32(REG_LVT_TIMER, u32::from(vector) | (1 << 17));
        region.write_u32(REG_TIMER_INITIAL, initial_count.max(1));
    }
}

const REG_ID: usize = 0x20;

/// This CPU's local APIC id (the destination of MSI messages and I/O APIC routes).
pub(crate) fn local_apic_id() -> u8 {
    lapic().map_or(0, |region| (region.read_u32(REG_ID) >> 24) as u8)
}

const REG_ICR_LOW: usize = 0x300;
const REG_ICR_HIGH: usize = 0x310;

/// Sends `vector` to this CPU (a fixed self-IPI): hal's tests raise device vectors with it.
pub(crate) fn send_self_ipi(vector: u8) {
    if let Some(region) = lapic() {
        region.write_u32(REG_ICR_HIGH, u32::from(local_apic_id()) << 24);
        region.write_u32(REG_ICR_LOW, u32::from(vector) | (1 << 14));
    }
}
