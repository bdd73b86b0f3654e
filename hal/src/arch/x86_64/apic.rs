//! The local APIC, its periodic timer, inter-processor interrupts, and the legacy 8259 PIC
//! (which is remapped and masked so that only the APIC delivers interrupts).
//!
//! Two register interfaces, as Linux's `apic` drivers: xAPIC (memory-mapped at the address of
//! `IA32_APIC_BASE`, shared by every CPU, each of which sees its own APIC there) and x2APIC
//! (MSRs `0x800 + offset / 16`, chosen when CPUID.1:ECX.x2APIC is set: 32-bit APIC ids and a
//! single 64-bit ICR write per IPI). The mode is decided once on the boot CPU and every CPU
//! enables the same one.

use super::io::Port;
use crate::mm::mmio::MmioRegion;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Once;

const REG_ID: usize = 0x20;
const REG_TPR: usize = 0x80;
const REG_EOI: usize = 0xb0;
const REG_SPURIOUS: usize = 0xf0;
const REG_ICR_LOW: usize = 0x300;
const REG_ICR_HIGH: usize = 0x310;
const REG_LVT_TIMER: usize = 0x320;
const REG_TIMER_INITIAL: usize = 0x380;
const REG_TIMER_CURRENT: usize = 0x390;
const REG_TIMER_DIVIDE: usize = 0x3e0;

const MSR_APIC_BASE: u32 = 0x1b;
/// `IA32_APIC_BASE` bits: global enable and x2APIC mode.
const APIC_BASE_ENABLE: u64 = 1 << 11;
const APIC_BASE_X2APIC: u64 = 1 << 10;
/// First x2APIC MSR (`0x800 + offset >> 4`).
const X2APIC_MSR_BASE: u32 = 0x800;

/// ICR delivery modes and flags (Intel SDM vol. 3, 11.6.1).
const ICR_FIXED: u32 = 0;
const ICR_NMI: u32 = 4 << 8;
const ICR_INIT: u32 = 5 << 8;
const ICR_STARTUP: u32 = 6 << 8;
const ICR_DELIVERY_PENDING: u32 = 1 << 12;
const ICR_LEVEL_ASSERT: u32 = 1 << 14;
const ICR_TRIGGER_LEVEL: u32 = 1 << 15;

static LAPIC: Once<MmioRegion> = Once::new();
static IS_X2APIC: AtomicBool = AtomicBool::new(false);

/// Whether the APICs run in x2APIC mode.
pub fn is_x2apic() -> bool {
    IS_X2APIC.load(Ordering::Relaxed)
}

fn read(offset: usize) -> u32 {
    if is_x2apic() {
        super::cpu::read_msr(X2APIC_MSR_BASE + (offset as u32 >> 4)) as u32
    } else {
        LAPIC.get().map_or(0, |region| region.read_u32(offset))
    }
}

fn write(offset: usize, value: u32) {
    if is_x2apic() {
        // SAFETY: an x2APIC register of this CPU's own APIC; the kernel's APIC use is all here.
        unsafe { super::cpu::write_msr(X2APIC_MSR_BASE + (offset as u32 >> 4), u64::from(value)) };
    } else if let Some(region) = LAPIC.get() {
        region.write_u32(offset, value);
    }
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

/// Enables this CPU's APIC in the chosen mode, with the spurious vector 0xff.
fn enable_this_cpu() {
    let base = super::cpu::read_msr(MSR_APIC_BASE);
    if is_x2apic() {
        // SAFETY: x2APIC mode is entered from xAPIC mode by setting EXTD with EN set (SDM
        // 11.12.5); every APIC access after this goes through the MSRs.
        unsafe { super::cpu::write_msr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC) };
    }
    write(REG_TPR, 0);
    write(REG_SPURIOUS, 0x100 | super::trap::VECTOR_SPURIOUS as u32);
}

/// Maps and enables the boot CPU's local APIC (x2APIC mode when the CPU has it).
pub(crate) fn init() {
    disable_legacy_pic();
    let (_, _, ecx1, _) = super::cpu::cpuid(1, 0);
    IS_X2APIC.store(ecx1 & (1 << 21) != 0, Ordering::Relaxed);
    let base = super::cpu::read_msr(MSR_APIC_BASE) & 0xf_ffff_f000;
    LAPIC.call_once(|| MmioRegion::map(base, 4096));
    enable_this_cpu();
}

/// Enables an application processor's local APIC (after [`init`] on the boot CPU).
pub(crate) fn init_secondary() {
    enable_this_cpu();
}

/// Signals end-of-interrupt to the local APIC.
pub(crate) fn end_of_interrupt() {
    write(REG_EOI, 0);
}

/// Starts the timer counting down from its maximum (divider 16, masked): for calibration.
pub(crate) fn start_calibration_count() {
    write(REG_TIMER_DIVIDE, 0x3);
    write(REG_LVT_TIMER, 1 << 16);
    write(REG_TIMER_INITIAL, u32::MAX);
}

/// The timer's current count.
pub(crate) fn current_count() -> u32 {
    read(REG_TIMER_CURRENT)
}

/// Starts the periodic timer: `initial_count` APIC ticks (divider 16) per interrupt.
pub(crate) fn start_periodic(vector: u8, initial_count: u32) {
    write(REG_TIMER_DIVIDE, 0x3);
    write(REG_LVT_TIMER, u32::from(vector) | (1 << 17));
    write(REG_TIMER_INITIAL, initial_count.max(1));
}

/// This CPU's local APIC id (the destination of MSI messages, I/O APIC routes and IPIs).
pub(crate) fn local_apic_id() -> u32 {
    if is_x2apic() {
        read(REG_ID)
    } else {
        read(REG_ID) >> 24
    }
}

/// Sends an interrupt command to the APIC `destination` and waits until the local APIC has
/// accepted it (xAPIC's delivery-status bit; x2APIC has none to wait for).
fn send_command(destination: u32, command: u32) {
    if is_x2apic() {
        // SAFETY: one write of the ICR MSR sends the IPI; nothing else is changed.
        unsafe {
            super::cpu::write_msr(
                X2APIC_MSR_BASE + (REG_ICR_LOW as u32 >> 4),
                (u64::from(destination) << 32) | u64::from(command),
            )
        };
        return;
    }
    write(REG_ICR_HIGH, destination << 24);
    write(REG_ICR_LOW, command);
    for _ in 0..1_000_000 {
        if read(REG_ICR_LOW) & ICR_DELIVERY_PENDING == 0 {
            break;
        }
        core::hint::spin_loop();
    }
}

/// Sends `vector` to this CPU (a fixed self-IPI): hal's tests raise device vectors with it.
pub(crate) fn send_self_ipi(vector: u8) {
    send_command(
        local_apic_id(),
        u32::from(vector) | ICR_LEVEL_ASSERT | ICR_FIXED,
    );
}

/// Sends the fixed interrupt `vector` to the CPU whose APIC id is `apic_id`.
pub(crate) fn send_ipi(apic_id: u32, vector: u8) {
    send_command(apic_id, u32::from(vector) | ICR_LEVEL_ASSERT | ICR_FIXED);
}

/// Sends a non-maskable interrupt to `apic_id` (stopping CPUs that run with interrupts off).
pub(crate) fn send_nmi(apic_id: u32) {
    send_command(apic_id, ICR_NMI | ICR_LEVEL_ASSERT);
}

/// Sends INIT (assert, then the level-triggered de-assert older CPUs want) to `apic_id`.
pub(crate) fn send_init(apic_id: u32) {
    send_command(apic_id, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
    send_command(apic_id, ICR_INIT | ICR_TRIGGER_LEVEL);
}

/// Sends a start-up IPI: the CPU starts in real mode at `page << 12`.
pub(crate) fn send_startup(apic_id: u32, page: u8) {
    send_command(apic_id, ICR_STARTUP | ICR_LEVEL_ASSERT | u32::from(page));
}
