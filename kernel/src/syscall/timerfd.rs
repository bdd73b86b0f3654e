//! timerfd_create, timerfd_settime, timerfd_gettime (Linux `fs/timerfd.c`); the file is
//! `fs::timerfd::TimerFd`.
//!
//! Checks in Linux's order: timerfd_create answers EINVAL for unknown flags or a clock other
//! than MONOTONIC, REALTIME, BOOTTIME and their ALARM forms, EPERM for the ALARM clocks without
//! CAP_WAKE_ALARM; timerfd_settime copies the new value (EFAULT), then EINVAL for unknown
//! flags or an invalid timespec, then EBADF for a bad descriptor and EINVAL for a file that is
//! not a timerfd.

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::{O_NONBLOCK, O_RDWR, OpenFile};
use crate::fs::timerfd::{Setting, TimerFd};
use crate::process::rlimit::RLIMIT_NOFILE;
use crate::timers::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    TimerClock, timespec_ns,
};
use abi::{Errno, Itimerspec, Timespec};
use alloc::sync::Arc;

const TFD_CLOEXEC: i32 = 0o2_000_000;
const TFD_NONBLOCK: i32 = O_NONBLOCK as i32;
const TFD_TIMER_ABSTIME: i32 = 1;
const TFD_TIMER_CANCEL_ON_SET: i32 = 2;

pub fn timerfd_create(context: &mut SyscallContext<'_>, clock: i32, flags: i32) -> SyscallResult {
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if !matches!(
        clock,
        CLOCK_MONOTONIC
            | CLOCK_REALTIME
            | CLOCK_REALTIME_ALARM
            | CLOCK_BOOTTIME
            | CLOCK_BOOTTIME_ALARM
    ) {
        return Err(Errno::EINVAL);
    }
    if matches!(clock, CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM)
        && context.thread.process.credentials.lock().euid != 0
    {
        return Err(Errno::EPERM);
    }
    let timer_clock = TimerClock::wall(clock).ok_or(Errno::EINVAL)?;
    let ops = Arc::new(TimerFd::new(timer_clock));
    let status = O_RDWR | (flags as u32 & O_NONBLOCK);
    let file = Arc::new(OpenFile::new(ops, None, status));
    let limit = context
        .thread
        .process
        .limits
        .lock()
        .get(RLIMIT_NOFILE)
        .map_or(1024, |l| l.soft.min(1 << 20) as usize);
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        file,
        flags & TFD_CLOEXEC != 0,
        limit,
    )?;
    Ok(fd as usize)
}

fn to_itimerspec(setting: Setting) -> Itimerspec {
    Itimerspec {
        it_interval: Timespec::from_nanos(setting.interval_ns),
        it_value: Timespec::from_nanos(setting.value_ns),
    }
}

/// The timerfd at `fd`: EBADF for no file, EINVAL for another kind of file.
fn timerfd_file(context: &SyscallContext<'_>, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = super::read_write::file(context, fd)?;
    if file.ops.as_timerfd().is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(file)
}

pub fn timerfd_settime(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    flags: i32,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> SyscallResult {
    let raw = new.read()?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let setting = Setting {
        interval_ns: timespec_ns(&raw.it_interval)?,
        value_ns: timespec_ns(&raw.it_value)?,
    };
    let file = timerfd_file(context, fd)?;
    let Some(timerfd) = file.ops.as_timerfd() else {
        return Err(Errno::EINVAL);
    };
    let previous = timerfd.set(setting, flags & TFD_TIMER_ABSTIME != 0);
    if !old.is_null() {
        old.write(&to_itimerspec(previous))?;
    }
    Ok(0)
}

pub fn timerfd_gettime(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    value: UserPtr<Itimerspec>,
) -> SyscallResult {
    let file = timerfd_file(context, fd)?;
    let Some(timerfd) = file.ops.as_timerfd() else {
        return Err(Errno::EINVAL);
    };
    value.write(&to_itimerspec(timerfd.get()))?;
    Ok(0)
}
