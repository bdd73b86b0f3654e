//! Clocks: the TSC as the monotonic clock, calibrated at boot against the PIT, the wall clock from
//! the CMOS RTC, and the periodic APIC timer tick (`TICK_HZ`, Linux's CONFIG_HZ on Debian).
//!
//! `monotonic_ns` converts TSC cycles with a 64.64-free multiply-shift, as Linux's clocksource
//! `mult`/`shift` pair does, so reading the clock is one `rdtsc`, one 128-bit multiply and a shift.

use crate::arch::x86_64::{apic, cpu, pit, rtc, trap::VECTOR_TIMER};
use core::sync::atomic::{AtomicU64, Ordering};

/// Timer interrupts per second.
pub const TICK_HZ: u64 = 250;

static TSC_AT_BOOT: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(1_000_000_000);
/// Nanoseconds per TSC cycle as a 32.32 fixed-point number.
static NS_PER_CYCLE_FIXED: AtomicU64 = AtomicU64::new(1 << 32);
static REALTIME_AT_BOOT_NS: AtomicU64 = AtomicU64::new(0);
/// APIC timer counts per tick, as calibrated on the boot CPU (every CPU's timer runs at the
/// same bus clock).
static APIC_PER_TICK: AtomicU64 = AtomicU64::new(0);

/// Calibrates the TSC and the APIC timer over 20 ms of PIT time and starts the tick.
pub(crate) fn init() {
    const CALIBRATION_PIT_TICKS: u16 = 23_864; // 20 ms
    TSC_AT_BOOT.store(cpu::rdtsc(), Ordering::Relaxed);
    apic::start_calibration_count();
    let tsc_start = cpu::rdtsc();
    let apic_start = apic::current_count();
    pit::wait_ticks(CALIBRATION_PIT_TICKS);
    let tsc_cycles = cpu::rdtsc() - tsc_start;
    let apic_ticks = u64::from(apic_start - apic::current_count());
    let elapsed_ns = u64::from(CALIBRATION_PIT_TICKS) * 1_000_000_000 / pit::PIT_HZ;
    let tsc_hz = tsc_cycles * 1_000_000_000 / elapsed_ns;
    TSC_HZ.store(tsc_hz, Ordering::Relaxed);
    NS_PER_CYCLE_FIXED.store(
        ((elapsed_ns as u128) << 32).div_euclid(tsc_cycles.max(1) as u128) as u64,
        Ordering::Relaxed,
    );
    REALTIME_AT_BOOT_NS.store(rtc::read_unix_seconds() * 1_000_000_000, Ordering::Relaxed);
    let apic_per_tick = apic_ticks * 1_000_000_000 / elapsed_ns / TICK_HZ;
    APIC_PER_TICK.store(apic_per_tick, Ordering::Relaxed);
    apic::start_periodic(
        VECTOR_TIMER as u8,
        apic_per_tick.min(u64::from(u32::MAX)) as u32,
    );
}

/// Starts an application processor's tick with the boot CPU's calibration.
pub(crate) fn start_secondary_tick() {
    apic::start_periodic(
        VECTOR_TIMER as u8,
        APIC_PER_TICK
            .load(Ordering::Relaxed)
            .min(u64::from(u32::MAX)) as u32,
    );
}

/// Nanoseconds since boot (CLOCK_MONOTONIC / CLOCK_BOOTTIME: nothing suspends a VM guest here).
pub fn monotonic_ns() -> u64 {
    let cycles = cpu::rdtsc().wrapping_sub(TSC_AT_BOOT.load(Ordering::Relaxed));
    ((cycles as u128 * NS_PER_CYCLE_FIXED.load(Ordering::Relaxed) as u128) >> 32) as u64
}

/// How [`monotonic_ns`] converts the TSC: `(tsc - base) * mult >> shift` nanoseconds, as
/// `(base, mult, shift)`, for the vDSO's data page (user code computes the same clock).
pub fn clock_parameters() -> (u64, u64, u32) {
    (
        TSC_AT_BOOT.load(Ordering::Relaxed),
        NS_PER_CYCLE_FIXED.load(Ordering::Relaxed),
        32,
    )
}

/// The wall clock at boot, in nanoseconds since the Unix epoch.
pub fn realtime_at_boot_ns() -> u64 {
    REALTIME_AT_BOOT_NS.load(Ordering::Relaxed)
}

/// TSC frequency in Hz, as calibrated.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}
