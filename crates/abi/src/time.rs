//! Time structs: `struct timespec` (`__kernel_timespec`, 64-bit seconds), `struct timeval` and
//! `struct timezone` (`include/uapi/linux/time.h`, `time_types.h`).

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Wall-clock time.
pub const CLOCK_REALTIME: i32 = raw::CLOCK_REALTIME as i32;
/// Time since boot, not counting suspend.
pub const CLOCK_MONOTONIC: i32 = raw::CLOCK_MONOTONIC as i32;
/// CPU time of the calling process.
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = raw::CLOCK_PROCESS_CPUTIME_ID as i32;
/// CPU time of the calling thread.
pub const CLOCK_THREAD_CPUTIME_ID: i32 = raw::CLOCK_THREAD_CPUTIME_ID as i32;
/// Monotonic time without NTP slewing.
pub const CLOCK_MONOTONIC_RAW: i32 = raw::CLOCK_MONOTONIC_RAW as i32;
/// `CLOCK_REALTIME` at tick resolution.
pub const CLOCK_REALTIME_COARSE: i32 = raw::CLOCK_REALTIME_COARSE as i32;
/// `CLOCK_MONOTONIC` at tick resolution.
pub const CLOCK_MONOTONIC_COARSE: i32 = raw::CLOCK_MONOTONIC_COARSE as i32;
/// Time since boot, counting suspend.
pub const CLOCK_BOOTTIME: i32 = raw::CLOCK_BOOTTIME as i32;
/// `CLOCK_REALTIME` that wakes the system (timers need `CAP_WAKE_ALARM`).
pub const CLOCK_REALTIME_ALARM: i32 = raw::CLOCK_REALTIME_ALARM as i32;
/// `CLOCK_BOOTTIME` that wakes the system.
pub const CLOCK_BOOTTIME_ALARM: i32 = raw::CLOCK_BOOTTIME_ALARM as i32;
/// International atomic time.
pub const CLOCK_TAI: i32 = raw::CLOCK_TAI as i32;

/// `clock_nanosleep`, `timer_settime`: the time is absolute. Other flag bits are ignored
/// (`hrtimer_nanosleep`, `common_timer_set` look at this bit only).
pub const TIMER_ABSTIME: u32 = raw::TIMER_ABSTIME;

bitflags::bitflags! {
    /// `clock_nanosleep` and `timer_settime` flags. Unknown bits are ignored.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct TimerFlags: u32 {
        /// The time is absolute.
        const TIMER_ABSTIME = raw::TIMER_ABSTIME;
    }
}

/// Interval timer on `CLOCK_MONOTONIC`, `SIGALRM`.
pub const ITIMER_REAL: i32 = raw::ITIMER_REAL as i32;
/// Interval timer on user CPU time, `SIGVTALRM`.
pub const ITIMER_VIRTUAL: i32 = raw::ITIMER_VIRTUAL as i32;
/// Interval timer on all CPU time, `SIGPROF`.
pub const ITIMER_PROF: i32 = raw::ITIMER_PROF as i32;

bitflags::bitflags! {
    /// `timerfd_create` flags. Unknown bits: `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct TimerfdFlags: u32 {
        /// Close on `execve`.
        const TFD_CLOEXEC = raw::TFD_CLOEXEC;
        /// Non-blocking reads.
        const TFD_NONBLOCK = raw::TFD_NONBLOCK;
    }
}

bitflags::bitflags! {
    /// `timerfd_settime` flags. Unknown bits: `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct TimerfdSettimeFlags: u32 {
        /// The expiry is absolute.
        const TFD_TIMER_ABSTIME = raw::TFD_TIMER_ABSTIME;
        /// A `CLOCK_REALTIME` timer is cancelled when the clock is set.
        const TFD_TIMER_CANCEL_ON_SET = raw::TFD_TIMER_CANCEL_ON_SET;
    }
}

const NANOS_PER_SEC: i64 = 1_000_000_000;
const MICROS_PER_SEC: i64 = 1_000_000;

/// `struct timespec` / `struct __kernel_timespec`: seconds and nanoseconds.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Timespec {
    /// Seconds.
    pub tv_sec: i64,
    /// Nanoseconds, `0..1_000_000_000` when valid.
    pub tv_nsec: i64,
}

assert_same_layout!(Timespec, raw::__kernel_timespec, { tv_sec => tv_sec, tv_nsec => tv_nsec });
assert_same_layout!(Timespec, raw::timespec, { tv_sec => tv_sec, tv_nsec => tv_nsec });

impl Timespec {
    /// The time `nanos` nanoseconds after the epoch (or any other origin).
    pub const fn from_nanos(nanos: u64) -> Timespec {
        Timespec {
            tv_sec: (nanos / NANOS_PER_SEC as u64) as i64,
            tv_nsec: (nanos % NANOS_PER_SEC as u64) as i64,
        }
    }

    /// Whether `tv_nsec` is in range, as Linux's `timespec64_valid` requires (otherwise `EINVAL`);
    /// negative seconds are allowed.
    pub const fn is_valid(&self) -> bool {
        self.tv_nsec >= 0 && self.tv_nsec < NANOS_PER_SEC
    }

    /// Total nanoseconds, or `None` if negative, invalid or too large for `u64`.
    pub fn to_nanos(&self) -> Option<u64> {
        if !self.is_valid() {
            return None;
        }
        let seconds = u64::try_from(self.tv_sec).ok()?;
        seconds
            .checked_mul(NANOS_PER_SEC as u64)?
            .checked_add(self.tv_nsec as u64)
    }
}

/// `struct timeval`: seconds and microseconds.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Timeval {
    /// Seconds.
    pub tv_sec: i64,
    /// Microseconds, `0..1_000_000` when valid.
    pub tv_usec: i64,
}

assert_same_layout!(Timeval, raw::timeval, { tv_sec => tv_sec, tv_usec => tv_usec });
assert_same_layout!(Timeval, raw::__kernel_old_timeval, { tv_sec => tv_sec, tv_usec => tv_usec });

impl Timeval {
    /// The time `nanos` nanoseconds after the origin, truncated to microseconds.
    pub const fn from_nanos(nanos: u64) -> Timeval {
        Timeval {
            tv_sec: (nanos / NANOS_PER_SEC as u64) as i64,
            tv_usec: ((nanos % NANOS_PER_SEC as u64) / 1000) as i64,
        }
    }

    /// Whether `tv_usec` is in range (otherwise Linux returns `EINVAL`).
    pub const fn is_valid(&self) -> bool {
        self.tv_usec >= 0 && self.tv_usec < MICROS_PER_SEC
    }
}

/// `struct timezone`, as `gettimeofday` and `settimeofday` use it.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Timezone {
    /// Minutes west of Greenwich.
    pub tz_minuteswest: i32,
    /// Type of daylight-saving correction (obsolete, 0).
    pub tz_dsttime: i32,
}

assert_same_layout!(Timezone, raw::timezone, {
    tz_minuteswest => tz_minuteswest,
    tz_dsttime => tz_dsttime,
});

/// `struct itimerspec` / `__kernel_itimerspec` (timer_settime, timerfd_settime): the reload
/// interval, then the time to the next expiry.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Itimerspec {
    pub it_interval: Timespec,
    pub it_value: Timespec,
}

assert_same_layout!(Itimerspec, raw::__kernel_itimerspec, {
    it_interval => it_interval,
    it_value => it_value,
});

/// `struct itimerval` / `__kernel_old_itimerval` (setitimer, getitimer).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Itimerval {
    pub it_interval: Timeval,
    pub it_value: Timeval,
}

assert_same_layout!(Itimerval, raw::__kernel_old_itimerval, {
    it_interval => it_interval,
    it_value => it_value,
});

/// `struct sigevent` (timer_create): the value, signal and notification kind, then a union whose
/// first int is `sigev_notify_thread_id` for `SIGEV_THREAD_ID`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Sigevent {
    pub sigev_value: u64,
    pub sigev_signo: i32,
    pub sigev_notify: i32,
    pub sigev_notify_thread_id: i32,
    pub pad: [i32; 11],
}

assert_same_layout!(Sigevent, raw::sigevent, {
    sigev_value => sigev_value,
    sigev_signo => sigev_signo,
    sigev_notify => sigev_notify,
    sigev_notify_thread_id => _sigev_un,
});

/// `sigev_notify` values.
pub const SIGEV_SIGNAL: i32 = raw::SIGEV_SIGNAL as i32;
pub const SIGEV_NONE: i32 = raw::SIGEV_NONE as i32;
pub const SIGEV_THREAD: i32 = raw::SIGEV_THREAD as i32;
pub const SIGEV_THREAD_ID: i32 = raw::SIGEV_THREAD_ID as i32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_of::<Timespec>(), 16);
        assert_eq!(size_of::<Timeval>(), 16);
        assert_eq!(size_of::<Timezone>(), 8);
    }

    #[test]
    fn nanosecond_conversions() {
        let ts = Timespec::from_nanos(3_000_000_007);
        assert_eq!(
            ts,
            Timespec {
                tv_sec: 3,
                tv_nsec: 7
            }
        );
        assert_eq!(ts.to_nanos(), Some(3_000_000_007));
        assert!(
            !Timespec {
                tv_sec: 0,
                tv_nsec: 1_000_000_000
            }
            .is_valid()
        );
        assert_eq!(
            Timespec {
                tv_sec: -1,
                tv_nsec: 0
            }
            .to_nanos(),
            None
        );
        assert_eq!(
            Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 0
            }
            .to_nanos(),
            None
        );
        assert_eq!(
            Timeval::from_nanos(1_500_000_999),
            Timeval {
                tv_sec: 1,
                tv_usec: 500_000
            }
        );
    }

    #[test]
    fn bytes_are_little_endian_fields() {
        let ts = Timespec {
            tv_sec: 1,
            tv_nsec: 2,
        };
        let bytes = ts.as_bytes();
        assert_eq!(bytes[0], 1);
        assert_eq!(bytes[8], 2);
        assert_eq!(Timespec::read_from_bytes(bytes), Ok(ts));
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(
            (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI),
            (0, 1, 7, 11)
        );
        assert_eq!(TIMER_ABSTIME, 1);
        assert_eq!((ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF), (0, 1, 2));
        assert_eq!(TimerfdFlags::TFD_CLOEXEC.bits(), 0o2_000_000);
        assert_eq!(TimerfdFlags::TFD_NONBLOCK.bits(), 0o4000);
        assert_eq!(TimerfdSettimeFlags::all().bits(), 3);
    }
}

/// `struct __kernel_timex` (adjtimex, clock_adjtime): 208 bytes on x86-64.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Timex {
    pub modes: u32,
    pub pad0: u32,
    pub offset: i64,
    pub freq: i64,
    pub maxerror: i64,
    pub esterror: i64,
    pub status: i32,
    pub pad1: u32,
    pub constant: i64,
    pub precision: i64,
    pub tolerance: i64,
    /// `time.tv_sec`, `time.tv_usec` (nanoseconds with STA_NANO or ADJ_NANO).
    pub time_sec: i64,
    pub time_usec: i64,
    pub tick: i64,
    pub ppsfreq: i64,
    pub jitter: i64,
    pub shift: i32,
    pub pad2: u32,
    pub stabil: i64,
    pub jitcnt: i64,
    pub calcnt: i64,
    pub errcnt: i64,
    pub stbcnt: i64,
    pub tai: i32,
    pub reserved: [i32; 11],
}

const _: () = assert!(core::mem::size_of::<Timex>() == 208);
