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
//!
//! adjtimex and clock_adjtime steer CLOCK_REALTIME through the NTP state of the `ntp` crate
//! (Linux's `kernel/time/ntp.c`): ADJ_SETOFFSET steps it; ADJ_TAI sets the TAI offset; leap
//! seconds are inserted or deleted at the end of a UTC day; and once a second the correction
//! the state asks for (tick length, frequency offset, PLL phase offset, adjtime's one-shot
//! offset at 500 µs/s) is applied to CLOCK_REALTIME's offset. What differs from Linux: the
//! correction moves CLOCK_REALTIME in one step per second instead of changing the clock's rate,
//! and CLOCK_MONOTONIC is not slewed (it stays the TSC's time since boot); a negative
//! correction can so make CLOCK_REALTIME read up to 500 µs (more with an ADJ_TICK change) earlier
//! than just before.

use abi::Errno;
use abi::time::Timex;
use core::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use hal::sync::SpinLock;

/// Nanoseconds per clock tick as user space counts them (`USER_HZ` = 100, `AT_CLKTCK`).
pub const NSEC_PER_CLOCK_TICK: u64 = 10_000_000;
/// A timer tick, the resolution of the coarse clocks (`TICK_NSEC`).
pub const TICK_NS: u64 = 1_000_000_000 / hal::time::TICK_HZ;
/// The resolution of the high-resolution clocks (`hrtimer_resolution`).
pub const HRES_RESOLUTION_NS: u64 = 1;
/// CLOCK_TAI minus CLOCK_REALTIME: Linux's `tai_offset`, 0 until adjtimex(ADJ_TAI) sets it
/// (an NTP daemon's job) or a leap second moves it.
static TAI_OFFSET_NS: AtomicU64 = AtomicU64::new(0);

/// CLOCK_TAI minus CLOCK_REALTIME, in nanoseconds.
pub fn tai_offset_ns() -> u64 {
    TAI_OFFSET_NS.load(Ordering::Relaxed)
}

/// The NTP discipline of CLOCK_REALTIME (adjtimex, clock_adjtime): a leaf spin lock.
static NTP: SpinLock<ntp::Ntp> = SpinLock::new("time.ntp", ntp::Ntp::new());
/// The CLOCK_REALTIME second [`ntp_second`] last ran for.
static NTP_SECOND: AtomicI64 = AtomicI64::new(i64::MIN);

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

/// Moves CLOCK_REALTIME by `delta_ns` relative to CLOCK_MONOTONIC without counting it as a
/// step (the NTP slew of one second), keeping it at or above the time since boot.
fn slew_realtime(delta_ns: i64) {
    crate::vdso::data::set_realtime_offset(|| {
        let offset = realtime_offset_ns().saturating_add_signed(delta_ns);
        REALTIME_OFFSET_NS.store(offset, Ordering::Release);
        (offset, offset + coarse_monotonic_ns())
    });
}

/// `timekeeping_inject_offset` (adjtimex's ADJ_SETOFFSET): steps CLOCK_REALTIME by `delta_ns`;
/// EINVAL if it would fall below the time since boot or beyond what settimeofday accepts.
fn inject_offset(delta_ns: i128) -> Result<(), Errno> {
    let target = i128::from(realtime_ns()) + delta_ns;
    if target < 0 || target >= i128::from(SETTOD_SEC_MAX) * 1_000_000_000 {
        return Err(Errno::EINVAL);
    }
    set_realtime_ns(target as u64)
}

/// `do_adjtimex`: validates `txc` for a caller with or without CAP_SYS_TIME, applies an
/// ADJ_SETOFFSET step, then the NTP modes, and fills `txc` with the state. Returns the clock
/// state (TIME_OK… TIME_ERROR).
pub fn adjtimex(txc: &mut Timex, has_cap_sys_time: bool) -> Result<i32, Errno> {
    ntp::validate(txc, has_cap_sys_time)?;
    if txc.modes & ntp::ADJ_SETOFFSET != 0 {
        inject_offset(ntp::setoffset_ns(txc))?;
    }
    let now = realtime_ns() as i64;
    let (result, tai) = {
        let mut state = NTP.lock();
        let result = state.adjtimex(txc, now);
        (result, state.tai())
    };
    set_tai_offset(tai);
    Ok(result)
}

fn set_tai_offset(tai_seconds: i32) {
    let ns = u64::try_from(tai_seconds).unwrap_or(0) * 1_000_000_000;
    if TAI_OFFSET_NS.swap(ns, Ordering::Relaxed) != ns {
        crate::vdso::data::set_tai_offset(ns);
    }
}

/// Once per second of CLOCK_REALTIME (from the tick, Linux's `second_overflow`): moves the
/// leap-second state, inserting or deleting a leap second at the end of a UTC day as a step,
/// and slews CLOCK_REALTIME by the NTP correction for the second (tick length, frequency,
/// phase offset, adjtime), which is zero unless adjtimex set one.
fn ntp_second() {
    let second = (realtime_ns() / 1_000_000_000) as i64;
    let last = NTP_SECOND.load(Ordering::Relaxed);
    if second == last
        || NTP_SECOND
            .compare_exchange(last, second, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    if last == i64::MIN {
        return;
    }
    let (leap, correction_ns, tai) = {
        let mut state = NTP.lock();
        let (leap, correction_ns) = state.second_overflow(second);
        (leap, correction_ns, state.tai())
    };
    if leap != 0 {
        let target = realtime_ns().saturating_add_signed(i64::from(leap) * 1_000_000_000);
        let _ = set_realtime_ns(target);
        NTP_SECOND.store(second + i64::from(leap), Ordering::Relaxed);
        set_tai_offset(tai);
    }
    if correction_ns != 0 {
        slew_realtime(correction_ns);
    }
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
    ntp_second();
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

/// Time each CPU spent halted waiting for interrupts, in nanoseconds.
static IDLE_NS: [AtomicU64; hal::sync::MAX_CPUS] =
    [const { AtomicU64::new(0) }; hal::sync::MAX_CPUS];

/// Halts until the next interrupt, counting the time as idle (not charged to any thread).
pub fn idle_wait() {
    let start = monotonic_ns();
    hal::cpu::wait_for_interrupt();
    IDLE_NS[hal::sync::cpu_id()].fetch_add(monotonic_ns() - start, Ordering::Relaxed);
}

/// Idle time of every CPU so far, added up (`/proc/uptime`'s second field).
pub fn idle_ns() -> u64 {
    IDLE_NS.iter().map(|ns| ns.load(Ordering::Relaxed)).sum()
}

/// Idle time of CPU `cpu` so far.
pub fn cpu_idle_ns(cpu: usize) -> u64 {
    IDLE_NS.get(cpu).map_or(0, |ns| ns.load(Ordering::Relaxed))
}
