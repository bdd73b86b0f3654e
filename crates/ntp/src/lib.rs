//! The kernel's NTP clock discipline as adjtimex(2) and clock_adjtime(2) see it (Linux 6.1
//! `kernel/time/ntp.c` and `timekeeping_validate_timex` in `kernel/time/timekeeping.c`).
//!
//! [`Ntp`] holds the state an NTP daemon steers: the status bits (`STA_*`), the leap-second
//! state (`TIME_OK`, `TIME_INS`, `TIME_DEL`, `TIME_OOP`, `TIME_WAIT`; `TIME_ERROR` is reported
//! while the clock is unsynchronized), the PLL's phase offset and time constant, the frequency
//! offset (scaled ppm, 2^-16 ppm units, kept as Linux keeps it: nanoseconds per second << 32),
//! the error estimates, the tick length in microseconds, the one-shot `adjtime` offset and the
//! TAI offset. [`validate`] is `timekeeping_validate_timex` (EPERM, EINVAL);
//! [`Ntp::adjtimex`] applies the modes and fills the reply (`__do_adjtimex`), with Linux's
//! arithmetic, so what is set reads back as Linux reads it back.
//!
//! [`Ntp::second_overflow`] runs once per second of CLOCK_REALTIME (Linux's
//! `second_overflow`): it moves the leap-second state machine (a leap second is inserted or
//! deleted at the end of a UTC day when STA_INS or STA_DEL is set), grows `maxerror` by 500 µs
//! per second up to 16 s (then STA_UNSYNC), and returns how many nanoseconds the clock must gain
//! or lose in that second: the tick length and frequency offset (`ntp_update_frequency`), the
//! PLL's share of the remaining phase offset (`ntp_offset_chunk`), and up to 500 µs of the
//! `adjtime` offset (`MAX_TICKADJ`). The kernel applies that correction to CLOCK_REALTIME once a
//! second (Linux spreads it over the ticks of the second, in CLOCK_MONOTONIC too). No PPS.
#![no_std]
#![forbid(unsafe_code)]

use abi::Errno;
use abi::time::Timex;

pub const ADJ_OFFSET: u32 = 0x0001;
pub const ADJ_FREQUENCY: u32 = 0x0002;
pub const ADJ_MAXERROR: u32 = 0x0004;
pub const ADJ_ESTERROR: u32 = 0x0008;
pub const ADJ_STATUS: u32 = 0x0010;
pub const ADJ_TIMECONST: u32 = 0x0020;
pub const ADJ_TAI: u32 = 0x0080;
pub const ADJ_SETOFFSET: u32 = 0x0100;
pub const ADJ_MICRO: u32 = 0x1000;
pub const ADJ_NANO: u32 = 0x2000;
pub const ADJ_TICK: u32 = 0x4000;
pub const ADJ_ADJTIME: u32 = 0x8000;
pub const ADJ_OFFSET_SINGLESHOT: u32 = 0x8001;
pub const ADJ_OFFSET_READONLY: u32 = 0x2000;
pub const ADJ_OFFSET_SS_READ: u32 = 0xa001;

pub const STA_PLL: i32 = 0x0001;
pub const STA_PPSFREQ: i32 = 0x0002;
pub const STA_PPSTIME: i32 = 0x0004;
pub const STA_FLL: i32 = 0x0008;
pub const STA_INS: i32 = 0x0010;
pub const STA_DEL: i32 = 0x0020;
pub const STA_UNSYNC: i32 = 0x0040;
pub const STA_FREQHOLD: i32 = 0x0080;
pub const STA_PPSSIGNAL: i32 = 0x0100;
pub const STA_PPSJITTER: i32 = 0x0200;
pub const STA_PPSWANDER: i32 = 0x0400;
pub const STA_PPSERROR: i32 = 0x0800;
pub const STA_CLOCKERR: i32 = 0x1000;
pub const STA_NANO: i32 = 0x2000;
pub const STA_MODE: i32 = 0x4000;
pub const STA_CLK: i32 = 0x8000;
/// The bits user space cannot set.
pub const STA_RONLY: i32 = STA_PPSSIGNAL
    | STA_PPSJITTER
    | STA_PPSWANDER
    | STA_PPSERROR
    | STA_CLOCKERR
    | STA_NANO
    | STA_MODE
    | STA_CLK;

pub const TIME_OK: i32 = 0;
pub const TIME_INS: i32 = 1;
pub const TIME_DEL: i32 = 2;
pub const TIME_OOP: i32 = 3;
pub const TIME_WAIT: i32 = 4;
pub const TIME_ERROR: i32 = 5;

/// `USER_HZ`: adjtimex's tick is in microseconds per 1/100 s.
const USER_HZ: i64 = 100;
/// `NTP_INTERVAL_FREQ`: HZ, 250 on Debian.
const NTP_INTERVAL_FREQ: i64 = 250;
const NTP_SCALE_SHIFT: u32 = 32;
const SHIFT_USEC: u32 = 16;
const SHIFT_PLL: i64 = 2;
const SHIFT_FLL: u32 = 2;
const MAXPHASE: i64 = 500_000_000;
const MAXFREQ: i64 = 500_000;
const MAXFREQ_SCALED: i64 = MAXFREQ << NTP_SCALE_SHIFT;
const MINSEC: i64 = 256;
const MAXSEC: i64 = 2048;
const MAXTC: i64 = 10;
const MAX_TAI_OFFSET: i64 = 100_000;
/// `NTP_PHASE_LIMIT`: 16 s in microseconds, the largest maxerror/esterror.
pub const NTP_PHASE_LIMIT: i64 = (MAXPHASE / 1000) << 5;
/// `PPM_SCALE`: from ppm << 16 to ns/s << 32.
const PPM_SCALE: i64 = 1000 << (NTP_SCALE_SHIFT - SHIFT_USEC);
const PPM_SCALE_INV_SHIFT: u32 = 19;
const PPM_SCALE_INV: i64 = ((1i64 << (PPM_SCALE_INV_SHIFT + NTP_SCALE_SHIFT)) / PPM_SCALE) + 1;
/// `MAX_TICKADJ`: adjtime slews by at most 500 µs per second.
const MAX_TICKADJ_US: i64 = 500;
/// `TICK_USEC`: 10 000 µs per USER_HZ tick.
pub const TICK_USEC: i64 = 1_000_000 / USER_HZ;
const NSEC_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Arithmetic right shift rounding toward zero, as Linux's `shift_right`.
fn shift_right(value: i64, shift: u32) -> i64 {
    if value < 0 {
        -((-value) >> shift)
    } else {
        value >> shift
    }
}

/// `timekeeping_validate_timex`: EPERM for a change without CAP_SYS_TIME (reading is free, and
/// so is ADJ_OFFSET_SS_READ), EINVAL for ADJ_ADJTIME without the single-shot bits, a tick more
/// than 10% off, a negative or too large ADJ_SETOFFSET fraction, and a frequency whose scaling
/// would overflow.
pub fn validate(txc: &Timex, has_cap_sys_time: bool) -> Result<(), Errno> {
    let modes = txc.modes;
    if modes & ADJ_ADJTIME != 0 {
        if modes & ADJ_OFFSET_SINGLESHOT != ADJ_OFFSET_SINGLESHOT {
            return Err(Errno::EINVAL);
        }
        if modes & ADJ_OFFSET_READONLY == 0 && !has_cap_sys_time {
            return Err(Errno::EPERM);
        }
    } else {
        if modes != 0 && !has_cap_sys_time {
            return Err(Errno::EPERM);
        }
        if modes & ADJ_TICK != 0 && !(900_000 / USER_HZ..=1_100_000 / USER_HZ).contains(&txc.tick) {
            return Err(Errno::EINVAL);
        }
    }
    if modes & ADJ_SETOFFSET != 0 {
        if !has_cap_sys_time {
            return Err(Errno::EPERM);
        }
        let limit = if modes & ADJ_NANO != 0 {
            NSEC_PER_SEC
        } else {
            1_000_000
        };
        if !(0..limit).contains(&txc.time_usec) {
            return Err(Errno::EINVAL);
        }
    }
    if modes & ADJ_FREQUENCY != 0
        && !(i64::MIN / PPM_SCALE..=i64::MAX / PPM_SCALE).contains(&txc.freq)
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The clock step ADJ_SETOFFSET asks for, in nanoseconds (after [`validate`]).
pub fn setoffset_ns(txc: &Timex) -> i128 {
    let fraction = if txc.modes & ADJ_NANO != 0 {
        txc.time_usec
    } else {
        txc.time_usec * 1000
    };
    i128::from(txc.time_sec) * i128::from(NSEC_PER_SEC) + i128::from(fraction)
}

/// The NTP state of the system clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ntp {
    state: i32,
    status: i32,
    /// Remaining phase offset, ns << 32 per tick (`time_offset`).
    offset: i64,
    constant: i64,
    maxerror: i64,
    esterror: i64,
    /// Frequency offset, ns/s << 32 (`time_freq`).
    freq: i64,
    /// Remaining adjtime offset, µs (`time_adjust`).
    adjust_us: i64,
    tick_usec: i64,
    /// When the PLL was last updated, in seconds of CLOCK_REALTIME (`time_reftime`).
    reftime: i64,
    next_leap_sec: i64,
    tai: i32,
}

impl Default for Ntp {
    fn default() -> Self {
        Ntp::new()
    }
}

impl Ntp {
    /// The state at boot (`ntp_clear`): unsynchronized, no offsets, errors at their limit.
    pub const fn new() -> Ntp {
        Ntp {
            state: TIME_OK,
            status: STA_UNSYNC,
            offset: 0,
            constant: 2,
            maxerror: NTP_PHASE_LIMIT,
            esterror: NTP_PHASE_LIMIT,
            freq: 0,
            adjust_us: 0,
            tick_usec: TICK_USEC,
            reftime: 0,
            next_leap_sec: i64::MAX,
            tai: 0,
        }
    }

    /// The TAI offset (CLOCK_TAI minus CLOCK_REALTIME), in seconds.
    pub fn tai(&self) -> i32 {
        self.tai
    }

    pub fn status(&self) -> i32 {
        self.status
    }

    pub fn state(&self) -> i32 {
        self.state
    }

    /// `is_error_status`: unsynchronized, a clock error, or a PPS discipline without its signal.
    fn is_error_status(&self) -> bool {
        let status = self.status;
        status & (STA_UNSYNC | STA_CLOCKERR) != 0
            || (status & (STA_PPSFREQ | STA_PPSTIME) != 0 && status & STA_PPSSIGNAL == 0)
            || status & (STA_PPSTIME | STA_PPSJITTER) == STA_PPSTIME | STA_PPSJITTER
            || (status & STA_PPSFREQ != 0 && status & (STA_PPSWANDER | STA_CLOCKERR) != 0)
    }

    /// `process_adj_status`: turning the PLL off resets the state; turning it on restarts
    /// its reference time; only the writable bits change.
    fn adj_status(&mut self, status: i32, now_sec: i64) {
        if self.status & STA_PLL != 0 && status & STA_PLL == 0 {
            self.state = TIME_OK;
            self.status = STA_UNSYNC;
            self.next_leap_sec = i64::MAX;
        }
        if self.status & STA_PLL == 0 && status & STA_PLL != 0 {
            self.reftime = now_sec;
        }
        self.status &= STA_RONLY;
        self.status |= status & !STA_RONLY;
    }

    /// `ntp_update_offset_fll`: the FLL's frequency share, for long update intervals.
    fn offset_fll(&mut self, offset: i64, secs: i64) -> i64 {
        self.status &= !STA_MODE;
        if secs < MINSEC {
            return 0;
        }
        if self.status & STA_FLL == 0 && secs <= MAXSEC {
            return 0;
        }
        self.status |= STA_MODE;
        (offset << (NTP_SCALE_SHIFT - SHIFT_FLL)) / secs
    }

    /// `ntp_update_offset`: a new phase offset measured by the daemon, with the PLL on.
    fn update_offset(&mut self, offset: i64, now_sec: i64) {
        if self.status & STA_PLL == 0 {
            return;
        }
        let mut offset = offset;
        if self.status & STA_NANO == 0 {
            offset = offset.clamp(-1_000_000, 1_000_000) * 1000;
        }
        offset = offset.clamp(-MAXPHASE, MAXPHASE);
        let mut secs = now_sec.saturating_sub(self.reftime);
        if self.status & STA_FREQHOLD != 0 {
            secs = 0;
        }
        self.reftime = now_sec;
        let mut freq_adj = self.offset_fll(offset, secs);
        let limit = 1i64 << (SHIFT_PLL + 1 + self.constant);
        secs = secs.min(limit);
        let shift = NTP_SCALE_SHIFT as i64 - 2 * (SHIFT_PLL + 2 + self.constant);
        let pll = if shift >= 0 {
            offset.saturating_mul(secs).saturating_mul(1i64 << shift)
        } else {
            offset.saturating_mul(secs) >> (-shift)
        };
        freq_adj = freq_adj.saturating_add(pll);
        self.freq = freq_adj
            .saturating_add(self.freq)
            .clamp(-MAXFREQ_SCALED, MAXFREQ_SCALED);
        self.offset = (offset << NTP_SCALE_SHIFT) / NTP_INTERVAL_FREQ;
    }

    /// `process_adjtimex_modes`.
    fn apply_modes(&mut self, txc: &Timex, now_sec: i64) {
        let modes = txc.modes;
        if modes & ADJ_STATUS != 0 {
            self.adj_status(txc.status, now_sec);
        }
        if modes & ADJ_NANO != 0 {
            self.status |= STA_NANO;
        }
        if modes & ADJ_MICRO != 0 {
            self.status &= !STA_NANO;
        }
        if modes & ADJ_FREQUENCY != 0 {
            self.freq = txc
                .freq
                .saturating_mul(PPM_SCALE)
                .clamp(-MAXFREQ_SCALED, MAXFREQ_SCALED);
        }
        if modes & ADJ_MAXERROR != 0 {
            self.maxerror = txc.maxerror;
        }
        if modes & ADJ_ESTERROR != 0 {
            self.esterror = txc.esterror;
        }
        if modes & ADJ_TIMECONST != 0 {
            let mut constant = txc.constant;
            if self.status & STA_NANO == 0 {
                constant = constant.saturating_add(4);
            }
            self.constant = constant.clamp(0, MAXTC);
        }
        if modes & ADJ_TAI != 0 && (0..=MAX_TAI_OFFSET).contains(&txc.constant) {
            self.tai = txc.constant as i32;
        }
        if modes & ADJ_OFFSET != 0 {
            self.update_offset(txc.offset, now_sec);
        }
        if modes & ADJ_TICK != 0 {
            self.tick_usec = txc.tick;
        }
    }

    /// `__do_adjtimex` after validation and any ADJ_SETOFFSET step: applies the modes and fills
    /// `txc` with the state, the time `now_ns` (CLOCK_REALTIME) and the TAI offset. Returns the
    /// clock state (TIME_ERROR while unsynchronized; TIME_OOP/TIME_WAIT around a leap second).
    pub fn adjtimex(&mut self, txc: &mut Timex, now_ns: i64) -> i32 {
        let now_sec = now_ns.div_euclid(NSEC_PER_SEC);
        let now_frac = now_ns.rem_euclid(NSEC_PER_SEC);
        if txc.modes & ADJ_ADJTIME != 0 {
            let saved = self.adjust_us;
            if txc.modes & ADJ_OFFSET_READONLY == 0 {
                self.adjust_us = txc.offset;
            }
            txc.offset = saved;
        } else {
            if txc.modes != 0 {
                self.apply_modes(txc, now_sec);
            }
            txc.offset = shift_right(
                self.offset.saturating_mul(NTP_INTERVAL_FREQ),
                NTP_SCALE_SHIFT,
            );
            if self.status & STA_NANO == 0 {
                txc.offset = i64::from(txc.offset as u32 / 1000);
            }
        }
        let mut result = self.state;
        if self.is_error_status() {
            result = TIME_ERROR;
        }
        txc.freq = shift_right(
            (self.freq >> PPM_SCALE_INV_SHIFT) * PPM_SCALE_INV,
            NTP_SCALE_SHIFT,
        );
        txc.maxerror = self.maxerror;
        txc.esterror = self.esterror;
        txc.status = self.status;
        txc.constant = self.constant;
        txc.precision = 1;
        txc.tolerance = MAXFREQ_SCALED / PPM_SCALE;
        txc.tick = self.tick_usec;
        txc.tai = self.tai;
        txc.ppsfreq = 0;
        txc.jitter = 0;
        txc.shift = 0;
        txc.stabil = 0;
        txc.jitcnt = 0;
        txc.calcnt = 0;
        txc.errcnt = 0;
        txc.stbcnt = 0;
        txc.time_sec = now_sec;
        txc.time_usec = if self.status & STA_NANO != 0 {
            now_frac
        } else {
            now_frac / 1000
        };
        if now_sec >= self.next_leap_sec {
            if self.state == TIME_INS && self.status & STA_INS != 0 {
                result = TIME_OOP;
                txc.tai += 1;
                txc.time_sec -= 1;
            }
            if self.state == TIME_DEL && self.status & STA_DEL != 0 {
                result = TIME_WAIT;
                txc.tai -= 1;
                txc.time_sec += 1;
            }
            if self.state == TIME_OOP && now_sec == self.next_leap_sec {
                result = TIME_WAIT;
            }
        }
        result
    }

    /// One second of CLOCK_REALTIME has passed; `secs` is the new second. Returns the leap
    /// (-1: repeat a second, inserting one; 1: skip one) and the nanoseconds the clock must
    /// gain (or, negative, lose) over the coming second.
    pub fn second_overflow(&mut self, secs: i64) -> (i32, i64) {
        let mut leap = 0;
        match self.state {
            TIME_OK => {
                if self.status & STA_INS != 0 {
                    self.state = TIME_INS;
                    self.next_leap_sec = secs + SECS_PER_DAY - secs.rem_euclid(SECS_PER_DAY);
                } else if self.status & STA_DEL != 0 {
                    self.state = TIME_DEL;
                    self.next_leap_sec = secs + SECS_PER_DAY - (secs + 1).rem_euclid(SECS_PER_DAY);
                }
            }
            TIME_INS => {
                if self.status & STA_INS == 0 {
                    self.next_leap_sec = i64::MAX;
                    self.state = TIME_OK;
                } else if secs == self.next_leap_sec {
                    leap = -1;
                    self.state = TIME_OOP;
                }
            }
            TIME_DEL => {
                if self.status & STA_DEL == 0 {
                    self.next_leap_sec = i64::MAX;
                    self.state = TIME_OK;
                } else if secs == self.next_leap_sec {
                    leap = 1;
                    self.next_leap_sec = i64::MAX;
                    self.state = TIME_WAIT;
                }
            }
            TIME_OOP => {
                self.next_leap_sec = i64::MAX;
                self.state = TIME_WAIT;
            }
            _ => {
                if self.status & (STA_INS | STA_DEL) == 0 {
                    self.state = TIME_OK;
                }
            }
        }
        if leap != 0 {
            self.tai -= leap;
        }
        self.maxerror = self.maxerror.saturating_add(MAXFREQ / 1000);
        if self.maxerror > NTP_PHASE_LIMIT {
            self.maxerror = NTP_PHASE_LIMIT;
            self.status |= STA_UNSYNC;
        }
        // The second's length beyond 1 s: tick length and frequency (`ntp_update_frequency`).
        let mut correction_ns = (self.tick_usec * 1000 * USER_HZ - NSEC_PER_SEC)
            + shift_right(self.freq, NTP_SCALE_SHIFT);
        // The PLL's share of the remaining phase offset (`ntp_offset_chunk`), per tick.
        let chunk = shift_right(self.offset, (SHIFT_PLL + self.constant) as u32);
        self.offset -= chunk;
        correction_ns += shift_right(chunk, NTP_SCALE_SHIFT) * NTP_INTERVAL_FREQ;
        // adjtime: at most 500 µs a second.
        let step = self.adjust_us.clamp(-MAX_TICKADJ_US, MAX_TICKADJ_US);
        self.adjust_us -= step;
        correction_ns += step * 1000;
        (leap, correction_ns)
    }
}

#[cfg(test)]
mod tests;
