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
use crate::fs::file::OpenFile;
use crate::fs::timerfd::{Setting, TimerFd};
use crate::timers::{TimerClock, timespec_ns};
use abi::time::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
};
use abi::{Errno, Itimerspec, KnownFlags, OpenFlags, TimerfdFlags, TimerfdSettimeFlags, Timespec};
use alloc::sync::Arc;

pub fn timerfd_create(
    context: &mut SyscallContext<'_>,
    clock: i32,
    flags: TimerfdFlags,
) -> SyscallResult {
    let flags = flags.accept_only(TimerfdFlags::all())?;
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
    let ops = Arc::new(TimerFd::new(timer_clock, clock));
    let status = if flags.contains(TimerfdFlags::TFD_NONBLOCK) {
        OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::O_RDWR
    };
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let file = Arc::new(OpenFile::new(ops, None, status, charge)?);
    let limit = super::fcntl::descriptor_limit(context);
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        file,
        flags.contains(TimerfdFlags::TFD_CLOEXEC),
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
    flags: TimerfdSettimeFlags,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> SyscallResult {
    let raw = new.read()?;
    let flags = flags.accept_only(TimerfdSettimeFlags::all())?;
    let setting = Setting {
        interval_ns: timespec_ns(&raw.it_interval)?,
        value_ns: timespec_ns(&raw.it_value)?,
    };
    let file = timerfd_file(context, fd)?;
    let Some(timerfd) = file.ops.as_timerfd() else {
        return Err(Errno::EINVAL);
    };
    let previous = timerfd.set(
        setting,
        flags.contains(TimerfdSettimeFlags::TFD_TIMER_ABSTIME),
        flags.contains(TimerfdSettimeFlags::TFD_TIMER_CANCEL_ON_SET),
        &context.thread.clock_offsets(),
    )?;
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
