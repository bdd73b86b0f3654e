//! getitimer, setitimer, alarm (Linux `kernel/time/itimer.c`); the timers themselves are in
//! `crate::timers::itimer`.
//!
//! Argument checks in Linux's order: setitimer copies and validates the new value (EFAULT,
//! EINVAL for a negative second or a microsecond outside 0..1000000) before looking at `which`
//! (EINVAL); a NULL new value disarms, as Linux's deprecated "misfeature". Values read back are
//! truncated to microseconds. alarm rounds the old remaining time to whole seconds as Linux's
//! `alarm_setitimer`: up from half a second, and never to 0 while an alarm is pending.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::timers::itimer::{self, ITIMER_REAL, Setting};
use abi::{Errno, Itimerval, Timeval};

const NSEC_PER_SEC: u64 = 1_000_000_000;

fn timeval_ns(value: &Timeval) -> Result<u64, Errno> {
    if value.tv_sec < 0 || !value.is_valid() {
        return Err(Errno::EINVAL);
    }
    Ok((value.tv_sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(value.tv_usec as u64 * 1000))
}

fn to_itimerval(setting: Setting) -> Itimerval {
    Itimerval {
        it_interval: Timeval::from_nanos(setting.interval_ns),
        it_value: Timeval::from_nanos(setting.value_ns),
    }
}

pub fn getitimer(
    context: &mut SyscallContext<'_>,
    which: i32,
    value: UserPtr<Itimerval>,
) -> SyscallResult {
    let setting = itimer::get(&context.thread.process, which).ok_or(Errno::EINVAL)?;
    value.write(&to_itimerval(setting))?;
    Ok(0)
}

pub fn setitimer(
    context: &mut SyscallContext<'_>,
    which: i32,
    value: UserPtr<Itimerval>,
    old: UserPtr<Itimerval>,
) -> SyscallResult {
    let new = if value.is_null() {
        Setting::default()
    } else {
        let raw = value.read()?;
        Setting {
            value_ns: timeval_ns(&raw.it_value)?,
            interval_ns: timeval_ns(&raw.it_interval)?,
        }
    };
    let previous = itimer::set(&context.thread.process, which, new).ok_or(Errno::EINVAL)?;
    if !old.is_null() {
        old.write(&to_itimerval(previous))?;
    }
    Ok(0)
}

pub fn alarm(context: &mut SyscallContext<'_>, seconds: u32) -> SyscallResult {
    let new = Setting {
        value_ns: u64::from(seconds) * NSEC_PER_SEC,
        interval_ns: 0,
    };
    let old = itimer::set(&context.thread.process, ITIMER_REAL, new).ok_or(Errno::EINVAL)?;
    let mut remaining = old.value_ns / NSEC_PER_SEC;
    let fraction = old.value_ns % NSEC_PER_SEC;
    if (remaining == 0 && fraction != 0) || fraction >= NSEC_PER_SEC / 2 {
        remaining += 1;
    }
    Ok(remaining as usize)
}
