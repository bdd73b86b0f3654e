//! Kernel time: the clocks user space can read, and sleeping.
//!
//! CLOCK_MONOTONIC and CLOCK_BOOTTIME are the TSC since boot; CLOCK_REALTIME adds the RTC's
//! wall-clock time at boot (settimeofday comes later). Sleeping is the scheduler's business
//! (`sched::wait`); the idle loop halts here.

/// Nanoseconds per clock tick as user space counts them (`USER_HZ` = 100, `AT_CLKTCK`).
pub const NSEC_PER_CLOCK_TICK: u64 = 10_000_000;

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    hal::time::realtime_at_boot_ns() + hal::time::monotonic_ns()
}

/// Nanoseconds since boot.
pub fn monotonic_ns() -> u64 {
    hal::time::monotonic_ns()
}

use core::sync::atomic::{AtomicU64, Ordering};

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
