//! clock_gettime, clock_getres, clock_settime, gettimeofday, settimeofday, time, nanosleep,
//! clock_nanosleep, adjtimex, clock_adjtime (Linux `kernel/time/posix-timers.c`, `kernel/time/hrtimer.c`,
//! `kernel/time/time.c`, `kernel/time/timekeeping.c`).
//!
//! Absolute sleeps on CLOCK_REALTIME and CLOCK_TAI keep their expiry on the wall clock, so a
//! clock step moves them (Linux's realtime hrtimer base); relative sleeps, whatever the clock,
//! and nanosleep run on CLOCK_MONOTONIC, which no step moves (`__hrtimer_init` moves relative
//! CLOCK_REALTIME timers to CLOCK_MONOTONIC).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::Restart;
use crate::sched::SleepKind;
use crate::sched::timer::Deadline;
use crate::sched::wait::{sleep_until, sleep_until_deadline};
use crate::time::{TICK_NS, coarse_monotonic_ns, coarse_realtime_ns, monotonic_ns, realtime_ns};
use abi::time::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
};
use abi::{Errno, TimerFlags, Timespec, Timeval, Timezone};

const NSEC_PER_SEC: u64 = 1_000_000_000;

fn to_timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: (ns / NSEC_PER_SEC) as i64,
        tv_nsec: (ns % NSEC_PER_SEC) as i64,
    }
}

fn from_user_timespec(value: &Timespec) -> Result<u64, Errno> {
    if value.tv_sec < 0 || !(0..NSEC_PER_SEC as i64).contains(&value.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((value.tv_sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(value.tv_nsec as u64))
}

/// The current value of `clock`, in nanoseconds.
fn read_clock(context: &SyscallContext<'_>, clock: i32) -> Result<u64, Errno> {
    Ok(match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => realtime_ns(),
        CLOCK_REALTIME_COARSE => coarse_realtime_ns(),
        CLOCK_TAI => realtime_ns() + crate::time::tai_offset_ns(),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => {
            in_time_namespace(context, clock, monotonic_ns())
        }
        CLOCK_MONOTONIC_COARSE => in_time_namespace(context, clock, coarse_monotonic_ns()),
        CLOCK_THREAD_CPUTIME_ID => {
            // The slice running now counts: without it the clock lagged by up to a tick, and
            // two reads could differ by more than the wall time between them.
            crate::sched::charge_running();
            context.thread.cpu_time_ns()
        }
        CLOCK_PROCESS_CPUTIME_ID => {
            crate::sched::charge_running();
            let (user, system) = context.thread.process.cpu_times_ns();
            user + system
        }
        _ if clock < 0 => read_cpu_clock(context, clock)?,
        _ => return Err(Errno::EINVAL),
    })
}

/// `host_ns` of `clock` as the caller's time namespace sees it (`timens_add_monotonic`,
/// `timens_add_boottime`).
fn in_time_namespace(context: &SyscallContext<'_>, clock: i32, host_ns: u64) -> u64 {
    let offset = crate::ns::time::offset_of(&context.thread.clock_offsets(), clock);
    nsrules::timens::from_host(host_ns, offset)
}

/// A CPU-time clock id of another thread or process (`pthread_getcpuclockid`,
/// `clock_getcpuclockid`): `~pid << 3 | per-thread << 2 | kind`, kind 0 PROF (user + system),
/// 1 VIRT (user), 2 SCHED (runtime). Linux's `pid_for_clock`: a thread must be in the caller's
/// process; pid 0 means the caller. EINVAL otherwise (and for the dynamic `CLOCKFD` ids).
fn read_cpu_clock(context: &SyscallContext<'_>, clock: i32) -> Result<u64, Errno> {
    let kind = clock & 3;
    let is_thread = clock & 4 != 0;
    if kind == 3 {
        return Err(Errno::EINVAL);
    }
    let pid = !(clock >> 3);
    let (user, total) = if is_thread {
        let thread = if pid == 0 {
            context.thread.clone()
        } else {
            let thread = crate::process::table::find_thread_in(context.thread.pid_ns(), pid as u32)
                .ok_or(Errno::EINVAL)?;
            if !alloc::sync::Arc::ptr_eq(&thread.process, &context.thread.process) {
                return Err(Errno::EINVAL);
            }
            thread
        };
        let total = thread.cpu_time_ns();
        (thread.user_time_ns().min(total), total)
    } else {
        let process = if pid == 0 || pid as u32 == context.thread.tid() {
            context.thread.process.clone()
        } else {
            crate::process::table::find_process_in(context.thread.pid_ns(), pid as u32)
                .ok_or(Errno::EINVAL)?
        };
        let (user, system) = process.cpu_times_ns();
        (user, user + system)
    };
    Ok(match kind {
        1 => user,
        _ => total,
    })
}

pub fn clock_gettime(
    context: &mut SyscallContext<'_>,
    clock: i32,
    tp: UserPtr<Timespec>,
) -> SyscallResult {
    let now = read_clock(context, clock)?;
    tp.write(&to_timespec(now))?;
    Ok(0)
}

pub fn clock_getres(
    context: &mut SyscallContext<'_>,
    clock: i32,
    tp: UserPtr<Timespec>,
) -> SyscallResult {
    read_clock(context, clock)?;
    let resolution = match clock {
        CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => TICK_NS,
        _ => 1,
    };
    if !tp.is_null() {
        tp.write(&to_timespec(resolution))?;
    }
    Ok(0)
}

pub fn gettimeofday(
    _: &mut SyscallContext<'_>,
    tv: UserPtr<Timeval>,
    tz: UserPtr<Timezone>,
) -> SyscallResult {
    if !tv.is_null() {
        let now = realtime_ns();
        let value = Timeval {
            tv_sec: (now / NSEC_PER_SEC) as i64,
            tv_usec: ((now % NSEC_PER_SEC) / 1000) as i64,
        };
        tv.write(&value)?;
    }
    if !tz.is_null() {
        let (tz_minuteswest, tz_dsttime) = crate::time::timezone();
        tz.write(&Timezone {
            tz_minuteswest,
            tz_dsttime,
        })?;
    }
    Ok(0)
}

/// CAP_SYS_TIME, which setting the wall clock needs (`security_settime64`).
/// Whether the caller has CAP_SYS_TIME.
fn may_set_time(context: &SyscallContext<'_>) -> bool {
    check_may_set_time(context).is_ok()
}

fn check_may_set_time(context: &SyscallContext<'_>) -> Result<(), Errno> {
    if context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_TIME)
    {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// `do_sys_settimeofday64`'s range check: seconds in `[0, SETTOD_SEC_MAX]`.
fn check_settod_range(ns: u64, seconds: i64) -> Result<u64, Errno> {
    if seconds < 0 || seconds as u64 > crate::time::SETTOD_SEC_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(ns)
}

/// clock_settime: only CLOCK_REALTIME can be set: EINVAL for the other clocks (the process and
/// thread CPU clocks too), EPERM for a CPU clock named by pid (`posix_cpu_clock_set`, after
/// reading the value); the value is checked (EINVAL) before the capability (EPERM), and a time
/// earlier than the time since boot is EINVAL.
pub fn clock_settime(
    context: &mut SyscallContext<'_>,
    clock: i32,
    tp: UserPtr<Timespec>,
) -> SyscallResult {
    match clock {
        CLOCK_REALTIME => {}
        _ if clock < 0 => {
            tp.read()?;
            read_cpu_clock(context, clock)?;
            return Err(Errno::EPERM);
        }
        _ => return Err(Errno::EINVAL),
    }
    let value = tp.read()?;
    let ns = check_settod_range(from_user_timespec(&value)?, value.tv_sec)?;
    check_may_set_time(context)?;
    crate::time::set_realtime_ns(ns)?;
    Ok(0)
}

/// adjtimex (`do_adjtimex` on CLOCK_REALTIME): the whole `struct timex` is read first
/// (EFAULT), and written back when the call succeeds; returns the clock state.
pub fn adjtimex(context: &mut SyscallContext<'_>, txc: UserPtr<abi::time::Timex>) -> SyscallResult {
    let mut value = txc.read()?;
    let state = crate::time::adjtimex(&mut value, may_set_time(context))?;
    txc.write(&value)?;
    Ok(state as usize)
}

/// clock_adjtime (`do_clock_adjtime`): only CLOCK_REALTIME can be adjusted; the other clocks
/// Linux knows (CPU-time clocks included) are EOPNOTSUPP, unknown ids and dynamic (`CLOCKFD`)
/// ids, of which there are none here, EINVAL. The struct is read before the id is looked at.
pub fn clock_adjtime(
    context: &mut SyscallContext<'_>,
    clock: i32,
    txc: UserPtr<abi::time::Timex>,
) -> SyscallResult {
    let mut value = txc.read()?;
    match clock {
        CLOCK_REALTIME => {}
        _ if clock < 0 && clock & 7 == 3 => return Err(Errno::EINVAL),
        _ if clock < 0 => return Err(Errno::EOPNOTSUPP),
        CLOCK_MONOTONIC
        | CLOCK_PROCESS_CPUTIME_ID
        | CLOCK_THREAD_CPUTIME_ID
        | CLOCK_MONOTONIC_RAW
        | CLOCK_REALTIME_COARSE
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_BOOTTIME
        | CLOCK_REALTIME_ALARM
        | CLOCK_BOOTTIME_ALARM
        | CLOCK_TAI => {
            return Err(Errno::EOPNOTSUPP);
        }
        _ => return Err(Errno::EINVAL),
    }
    let state = crate::time::adjtimex(&mut value, may_set_time(context))?;
    txc.write(&value)?;
    Ok(state as usize)
}

/// settimeofday: the time (microseconds, EINVAL out of range) and the time zone (minutes west
/// within ±15 hours, EINVAL otherwise), either may be null; both checked before CAP_SYS_TIME.
pub fn settimeofday(
    context: &mut SyscallContext<'_>,
    tv: UserPtr<Timeval>,
    tz: UserPtr<Timezone>,
) -> SyscallResult {
    let time = if tv.is_null() {
        None
    } else {
        let value = tv.read()?;
        if !(0..1_000_000).contains(&value.tv_usec) || value.tv_sec < 0 {
            return Err(Errno::EINVAL);
        }
        let ns = (value.tv_sec as u64)
            .saturating_mul(NSEC_PER_SEC)
            .saturating_add(value.tv_usec as u64 * 1000);
        Some(check_settod_range(ns, value.tv_sec)?)
    };
    let zone = if tz.is_null() { None } else { Some(tz.read()?) };
    check_may_set_time(context)?;
    if let Some(zone) = zone {
        if !(-15 * 60..=15 * 60).contains(&zone.tz_minuteswest) {
            return Err(Errno::EINVAL);
        }
        crate::time::set_timezone(zone.tz_minuteswest, zone.tz_dsttime);
    }
    if let Some(ns) = time {
        crate::time::set_realtime_ns(ns)?;
    }
    Ok(0)
}

pub fn time(_: &mut SyscallContext<'_>, tloc: UserPtr<i64>) -> SyscallResult {
    // The seconds of the coarse wall clock (`ktime_get_real_seconds`), as the vDSO's time().
    let seconds = (coarse_realtime_ns() / NSEC_PER_SEC) as i64;
    if !tloc.is_null() {
        tloc.write(&seconds)?;
    }
    Ok(seconds as usize)
}

pub fn nanosleep(
    context: &mut SyscallContext<'_>,
    request: UserPtr<Timespec>,
    remain: UserPtr<Timespec>,
) -> SyscallResult {
    let duration = from_user_timespec(&request.read()?)?;
    let deadline = Deadline::Monotonic(monotonic_ns().saturating_add(duration));
    sleep_interruptibly(context, deadline, remain)
}

/// Sleeps until `deadline`. If a signal interrupts, the time left goes to `remain` (when not
/// null) and the sleep can be resumed by `restart_syscall` if no handler runs
/// (`ERESTART_RESTARTBLOCK`), as `hrtimer_nanosleep` does for a relative sleep.
fn sleep_interruptibly(
    context: &mut SyscallContext<'_>,
    deadline: Deadline,
    remain: UserPtr<Timespec>,
) -> SyscallResult {
    match sleep_until_deadline(context.thread, deadline, SleepKind::Interruptible) {
        Ok(()) => Ok(0),
        Err(_) => {
            if !remain.is_null() {
                remain.write(&to_timespec(deadline.remaining_ns()))?;
            }
            let number = context.user.regs().rax;
            super::signal::set_restart_block(context.thread, number, deadline, remain.address);
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
    }
}

/// `restart_syscall` for an interrupted nanosleep or relative clock_nanosleep.
pub fn resume_sleep(context: &mut SyscallContext<'_>, restart: Restart) -> SyscallResult {
    context.user.regs_mut().rax = restart.number;
    sleep_interruptibly(
        context,
        restart.deadline,
        UserPtr::new(restart.remain_address),
    )
}

pub fn clock_nanosleep(
    context: &mut SyscallContext<'_>,
    clock: i32,
    flags: TimerFlags,
    request: UserPtr<Timespec>,
    remain: UserPtr<Timespec>,
) -> SyscallResult {
    match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI | CLOCK_REALTIME_ALARM
        | CLOCK_BOOTTIME_ALARM => {}
        // The thread clock has no nsleep in Linux (clock_thread lacks it).
        CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        CLOCK_PROCESS_CPUTIME_ID => {
            let value = from_user_timespec(&request.read()?)?;
            return sleep_on_process_cpu_clock(context, flags, value, remain);
        }
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => {
            return Err(Errno::EOPNOTSUPP);
        }
        _ => return Err(Errno::EINVAL),
    }
    let value = from_user_timespec(&request.read()?)?;
    let is_absolute = flags.contains(TimerFlags::TIMER_ABSTIME);
    let deadline = match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM | CLOCK_TAI if is_absolute => {
            let tai_offset = if clock == CLOCK_TAI {
                crate::time::tai_offset_ns()
            } else {
                0
            };
            Deadline::Realtime(value.saturating_sub(tai_offset))
        }
        // An absolute time of the caller's time namespace (`timens_ktime_to_host`).
        _ if is_absolute => Deadline::Monotonic(crate::ns::time::to_host(
            &context.thread.clock_offsets(),
            clock,
            value,
        )),
        _ => Deadline::Monotonic(monotonic_ns().saturating_add(value)),
    };
    if is_absolute {
        // An absolute sleep is simply restarted (ERESTARTNOHAND); `remain` is not written.
        return match sleep_until_deadline(context.thread, deadline, SleepKind::Interruptible) {
            Ok(()) => Ok(0),
            Err(_) => Err(Errno::ERESTARTNOHAND),
        };
    }
    sleep_interruptibly(context, deadline, remain)
}

/// clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID (`posix_cpu_nsleep`): sleeps until the
/// process's CPU time (its other threads') reaches the target, checking at every tick. An
/// interrupted relative sleep stores the CPU time left in `remain`. Unlike Linux, which resumes
/// it through the restart block, an interrupted sleep restarts from the start when no handler
/// runs (ERESTARTNOHAND).
fn sleep_on_process_cpu_clock(
    context: &mut SyscallContext<'_>,
    flags: TimerFlags,
    value: u64,
    remain: UserPtr<Timespec>,
) -> SyscallResult {
    let process_cpu = |context: &SyscallContext<'_>| {
        let (user, system) = context.thread.process.cpu_times_ns();
        user + system
    };
    let target = if flags.contains(TimerFlags::TIMER_ABSTIME) {
        value
    } else {
        process_cpu(context).saturating_add(value)
    };
    loop {
        let now = process_cpu(context);
        if now >= target {
            return Ok(0);
        }
        let deadline = monotonic_ns().saturating_add(TICK_NS);
        if sleep_until(context.thread, deadline, SleepKind::Interruptible).is_err() {
            if !flags.contains(TimerFlags::TIMER_ABSTIME) && !remain.is_null() {
                let left = target.saturating_sub(process_cpu(context));
                remain.write(&to_timespec(left))?;
            }
            return Err(Errno::ERESTARTNOHAND);
        }
    }
}
