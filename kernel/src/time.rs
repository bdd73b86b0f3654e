//! Kernel time: the clocks user space can read, and sleeping.
//!
//! CLOCK_MONOTONIC and CLOCK_BOOTTIME are the TSC since boot; CLOCK_REALTIME adds an offset,
//! the RTC's wall-clock time at boot until clock_settime or settimeofday steps it
//! ([`set_realtime_ns`], Linux's `do_settimeofday64`: the offset is the timekeeper's
//! `offs_real`, never negative, so the wall clock never reads earlier than the time since
//! boot); CLOCK_TAI adds [`TAI_OFFSET_NS`] to CLOCK_REALTIME. The coarse clocks
//! (`CLOCK_*_COARSE`, `time()`, Linux's `ktime_get_coarse*`) are those clocks as of the last
//! timer interrupt ([`update_coarse_clocks`]), which also publishes them to the vDSO's data page
//! ([`crate::vdso::data`]), whose high-resolution clocks compute exactly what [`monotonic_ns`]
//! computes. Timers on CLOCK_REALTIME and CLOCK_TAI keep their deadlines on that clock
//! (`sched::timer::Deadline::Realtime`), so a step moves them as Linux's `clock_was_set` does.
//! Sleeping is the scheduler's business (`sched::wait`); the idle loop halts here.

use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// Nanoseconds per clock tick as user space counts them (`USER_HZ` = 100, `AT_CLKTCK`).
pub const NSEC_PER_CLOCK_TICK: u64 = 10_000_000;
/// A timer tick, the resolution of the coarse clocks (`TICK_NSEC`).
pub const TICK_NS: u64 = 1_000_000_000 / hal::time::TICK_HZ;
/// The resolution of the high-resolution clocks (`hrtimer_resolution`).
pub const HRES_RESOLUTION_NS: u64 = 1;
/// CLOCK_TAI minus CLOCK_REALTIME: Linux's `tai_offset`, 0 until adjtimex(ADJ_TAI) sets it
/// (an NTP daemon's job; adjtimex is not implemented), so CLOCK_TAI reads as CLOCK_REALTIME.
pub const TAI_OFFSET_NS: u64 = 0;

/// [`REALTIME_OFFSET_NS`] before the first step: read the RTC's time at boot instead.
const OFFSET_FROM_RTC: u64 = u64::MAX;
/// CLOCK_REALTIME minus CLOCK_MONOTONIC, once the clock was set.
static REALTIME_OFFSET_NS: AtomicU64 = AtomicU64::new(OFFSET_FROM_RTC);
/// How many times the wall clock was set (Linux's `clock_was_set_seq`): timerfds armed with
/// TFD_TIMER_CANCEL_ON_SET compare it.
static REALTIME_SET_COUNT: AtomicU64 = AtomicU64::new(0);

/// CLOCK_REALTIME minus CLOCK_MONOTONIC: the wall clock at boot, or as last set.
pub fn realtime_offset_ns() -> u64 {
    match REALTIME_OFFSET_NS.load(Ordering::Acquire) {
        OFFSET_FROM_RTC => hal::time::realtime_at_boot_ns(),
        offset => offset,
    }
}

/// How many times CLOCK_REALTIME was set since boot.
pub fn realtime_set_count() -> u64 {
    REALTIME_SET_COUNT.load(Ordering::Acquire)
}

/// The most seconds CLOCK_REALTIME can be set to (`TIME_SETTOD_SEC_MAX`: `KTIME_SEC_MAX` less
/// thirty years of uptime).
pub const SETTOD_SEC_MAX: u64 = i64::MAX as u64 / 1_000_000_000 - 30 * 365 * 86_400;

/// Steps CLOCK_REALTIME to `ns` (Linux's `do_settimeofday64`, after the caller checked
/// CAP_SYS_TIME and the range): `EINVAL` if that is earlier than the time since boot. The vDSO
/// and the coarse clocks follow at once; realtime timers are checked against the new time at
/// the next tick, and CANCEL_ON_SET timerfds are woken ([`crate::fs::timerfd::clock_was_set`]).
pub fn set_realtime_ns(ns: u64) -> Result<(), abi::Errno> {
    let offset = ns.checked_sub(monotonic_ns()).ok_or(abi::Errno::EINVAL)?;
    // The writer lock of the vDSO page orders concurrent setters: the offset published there is
    // the one stored here.
    crate::vdso::data::set_realtime_offset(|| {
        REALTIME_OFFSET_NS.store(offset, Ordering::Release);
        REALTIME_SET_COUNT.fetch_add(1, Ordering::AcqRel);
        (offset, coarse_realtime_ns())
    });
    crate::fs::timerfd::clock_was_set();
    Ok(())
}

/// The system time zone of settimeofday (`sys_tz`): minutes west of Greenwich and the
/// obsolete DST kind, returned by gettimeofday.
static TZ_MINUTESWEST: AtomicI32 = AtomicI32::new(0);
static TZ_DSTTIME: AtomicI32 = AtomicI32::new(0);

/// `sys_tz`.
pub fn timezone() -> (i32, i32) {
    (
        TZ_MINUTESWEST.load(Ordering::Relaxed),
        TZ_DSTTIME.load(Ordering::Relaxed),
    )
}

/// Sets `sys_tz` (settimeofday's second argument, already checked) and publishes it to the vDSO.
pub fn set_timezone(minuteswest: i32, dsttime: i32) {
    TZ_MINUTESWEST.store(minuteswest, Ordering::Relaxed);
    TZ_DSTTIME.store(dsttime, Ordering::Relaxed);
    crate::vdso::data::set_timezone(minuteswest, dsttime);
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    realtime_offset_ns() + hal::time::monotonic_ns()
}

/// CLOCK_MONOTONIC_COARSE as of the last update (CLOCK_REALTIME_COARSE adds the offset).
static COARSE_MONOTONIC_NS: AtomicU64 = AtomicU64::new(0);

/// Samples the clocks for the coarse ones and publishes them to the vDSO (at each timer
/// interrupt, as Linux's tick updates the timekeeper and `update_vsyscall`).
pub fn update_coarse_clocks() {
    let now = monotonic_ns();
    // Several CPUs may sample at once: the later sample wins, so the clocks never go back.
    let monotonic = COARSE_MONOTONIC_NS
        .fetch_max(now, Ordering::Relaxed)
        .max(now);
    crate::vdso::data::set_coarse(monotonic);
}

/// CLOCK_MONOTONIC_COARSE.
pub fn coarse_monotonic_ns() -> u64 {
    COARSE_MONOTONIC_NS.load(Ordering::Relaxed)
}

/// CLOCK_REALTIME_COARSE (and `time()`).
pub fn coarse_realtime_ns() -> u64 {
    realtime_offset_ns() + coarse_monotonic_ns()
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
