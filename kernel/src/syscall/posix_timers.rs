//! timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete (Linux
//! `kernel/time/posix-timers.c`); the timers are in `crate::timers::posix`.
//!
//! Order of checks as Linux: timer_create copies the `sigevent` first (EFAULT), then checks
//! the clock, the event and writes the id; timer_settime answers EINVAL for a NULL new value,
//! EFAULT for a bad one, then EINVAL for an invalid timespec, then EINVAL for an unknown id.
//! Unknown timer_settime flags are ignored, as in Linux.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::timers::posix::{self, Setting};
use crate::timers::timespec_ns;
use abi::{Errno, Itimerspec, Sigevent, Timespec};

fn to_itimerspec(setting: Setting) -> Itimerspec {
    Itimerspec {
        it_interval: Timespec::from_nanos(setting.interval_ns),
        it_value: Timespec::from_nanos(setting.value_ns),
    }
}

pub fn timer_create(
    context: &mut SyscallContext<'_>,
    clock: i32,
    event: UserPtr<Sigevent>,
    id: UserPtr<i32>,
) -> SyscallResult {
    let event = if event.is_null() {
        None
    } else {
        Some(event.read()?)
    };
    posix::create(context.thread, clock, event, |new_id| id.write(&new_id))?;
    Ok(0)
}

pub fn timer_settime(
    context: &mut SyscallContext<'_>,
    id: i32,
    flags: abi::TimerFlags,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> SyscallResult {
    if new.is_null() {
        return Err(Errno::EINVAL);
    }
    let raw = new.read()?;
    let setting = Setting {
        interval_ns: timespec_ns(&raw.it_interval)?,
        value_ns: timespec_ns(&raw.it_value)?,
    };
    let previous = posix::set(
        &context.thread.process,
        id,
        flags.contains(abi::TimerFlags::TIMER_ABSTIME),
        setting,
        &context.thread.clock_offsets(),
    )?;
    if !old.is_null() {
        old.write(&to_itimerspec(previous))?;
    }
    Ok(0)
}

pub fn timer_gettime(
    context: &mut SyscallContext<'_>,
    id: i32,
    value: UserPtr<Itimerspec>,
) -> SyscallResult {
    let setting = posix::get(&context.thread.process, id)?;
    value.write(&to_itimerspec(setting))?;
    Ok(0)
}

pub fn timer_getoverrun(context: &mut SyscallContext<'_>, id: i32) -> SyscallResult {
    Ok(posix::get_overrun(&context.thread.process, id)? as usize)
}

pub fn timer_delete(context: &mut SyscallContext<'_>, id: i32) -> SyscallResult {
    posix::delete(&context.thread.process, id)?;
    Ok(0)
}
