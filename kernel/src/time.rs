//! Kernel time: the clocks user space can read, and sleeping.
//!
//! CLOCK_MONOTONIC and CLOCK_BOOTTIME are the TSC since boot; CLOCK_REALTIME adds the RTC's
//! wall-clock time at boot (settimeofday comes later); CLOCK_TAI adds [`TAI_OFFSET_NS`]. The
//! coarse clocks (`CLOCK_*_COARSE`, `time()`, Linux's `ktime_get_coarse*`) are those clocks as
//! of the last timer interrupt ([`update_coarse_clocks`]), which also publishes them to the
//! vDSO's data page ([`crate::vdso::data`]), whose high-resolution clocks compute exactly what
//! [`monotonic_ns`] computes. Sleeping is the scheduler's business (`sched::wait`); the idle
//! loop halts here.

use core::sync::atomic::{AtomicU64, Ordering};

/// Nanoseconds per clock tick as user space counts them (`USER_HZ` = 100, `AT_CLKTCK`).
pub const NSEC_PER_CLOCK_TICK: u64 = 10_000_000;
/// A timer tick, the resolution of the coarse clocks (`TICK_NSEC`).
pub const TICK_NS: u64 = 1_000_000_000 / hal::time::TICK_HZ;
/// The resolution of the high-resolution clocks (`hrtimer_resolution`).
pub const HRES_RESOLUTION_NS: u64 = 1;
/// CLOCK_TAI minus CLOCK_REALTIME.
pub const TAI_OFFSET_NS: u64 = 37_000_000_000;

/// CLOCK_REALTIME minus CLOCK_MONOTONIC: the wall clock at boot.
pub fn realtime_offset_ns() -> u64 {
    hal::time::realtime_at_boot_ns()
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    realtime_offset_ns() + hal::time::monotonic_ns()
}

/// CLOCK_MONOTONIC_COARSE and CLOCK_REALTIME_COARSE, as of the last update.
static COARSE_MONOTONIC_NS: AtomicU64 = AtomicU64::new(0);
static COARSE_REALTIME_NS: AtomicU64 = AtomicU64::new(0);

/// Samples the clocks for the coarse ones and publishes them to the vDSO (at each timer
/// interrupt, as Linux's tick updates the timekeeper and `update_vsyscall`).
pub fn update_coarse_clocks() {
    let now = monotonic_ns();
    // Several CPUs may sample at once: the later sample wins, so the clocks never go back.
    let monotonic = COARSE_MONOTONIC_NS
        .fetch_max(now, Ordering::Relaxed)
        .max(now);
    let realtime = realtime_offset_ns() + monotonic;
    COARSE_REALTIME_NS.fetch_max(realtime, Ordering::Relaxed);
    crate::vdso::data::set_coarse(monotonic, realtime);
}

/// CLOCK_MONOTONIC_COARSE.
pub fn coarse_monotonic_ns() -> u64 {
    COARSE_MONOTONIC_NS.load(Ordering::Relaxed)
}

/// CLOCK_REALTIME_COARSE (and `time()`).
pub fn coarse_realtime_ns() -> u64 {
    COARSE_REALTIME_NS.load(Ordering::Relaxed)
}

/// Nanoseconds since boot.
pub fn monotonic_ns() -> u64 {
    hal::time::monotonic_ns()
}

/// Time this CPU spent halted waiting for interrupts, in nanoseconds.
static IDLE_NS: AtomicU64 = AtomicU64::new(0);

/// Halts until the next interrupt, counting the time as idle (not charged to any thread).
pub fn idle_wait() {
    let start = monotonic_ns();
    hal::cpu::wait_for_interrupt();
    IDLE_NS.fetch_add(monotonic_ns() - start, Ordering::Relaxed);
}

/// Total idle time so far.
pub fn idle_ns() -> u64 {
    IDLE_NS.load(Ordering::Relaxed)
}
