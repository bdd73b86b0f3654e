//! exit, exit_group, wait4, waitid, getrusage and times (Linux `kernel/exit.c`,
//! `kernel/sys.c`).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::exit::{self, ExitStatus};
use crate::process::wait::{ChildEvent, WaitOptions, WaitReport, WaitTarget, wait_child};
use abi::signal::{CLD_CONTINUED, CLD_STOPPED, SigInfo};
use abi::wait::{P_ALL, P_PGID, P_PID, P_PIDFD, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD};
use abi::{Errno, KnownFlags, Rusage, Timeval, Tms, WaitFlags};
use core::sync::atomic::Ordering;

pub fn exit(context: &mut SyscallContext<'_>, status: i32) -> SyscallResult {
    exit::exit_thread(context.thread, (status & 0xff) as u8);
    Ok(0)
}

pub fn exit_group(context: &mut SyscallContext<'_>, status: i32) -> SyscallResult {
    exit::exit_group(
        &context.thread.process,
        ExitStatus::Code((status & 0xff) as u8),
    );
    Ok(0)
}

fn timeval(ns: u64) -> Timeval {
    Timeval {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_usec: ((ns % 1_000_000_000) / 1000) as i64,
    }
}

fn rusage(user_ns: u64, system_ns: u64, max_rss_kib: u64) -> Rusage {
    Rusage {
        ru_utime: timeval(user_ns),
        ru_stime: timeval(system_ns),
        ru_maxrss: max_rss_kib as i64,
        ..Rusage::default()
    }
}

fn options_from(flags: WaitFlags) -> WaitOptions {
    WaitOptions {
        exited: flags.contains(WaitFlags::WEXITED),
        stopped: flags.contains(WaitFlags::WSTOPPED),
        continued: flags.contains(WaitFlags::WCONTINUED),
        no_hang: flags.contains(WaitFlags::WNOHANG),
        no_wait: flags.contains(WaitFlags::WNOWAIT),
        all: flags.contains(WaitFlags::__WALL),
        clone_children: flags.contains(WaitFlags::__WCLONE),
    }
}

pub fn wait4(
    context: &mut SyscallContext<'_>,
    pid: i32,
    status: UserPtr<i32>,
    options: WaitFlags,
    usage: UserPtr<Rusage>,
) -> SyscallResult {
    let options = options.accept_only(WaitFlags::WAIT4_VALID)?;
    let ns = context.thread.pid_ns().clone();
    let target = match pid {
        -1 => WaitTarget::Any,
        0 => WaitTarget::ProcessGroup(context.thread.process.pgid.load(Ordering::Relaxed) as u32),
        pid if pid > 0 => WaitTarget::Pid(ns.global_or_none(pid as u32)),
        // INT_MIN has no process group to negate into: no child matches.
        pid => WaitTarget::ProcessGroup(
            ns.global_or_none(pid.checked_neg().ok_or(Errno::ESRCH)? as u32),
        ),
    };
    let report = wait_child(
        context.thread,
        target,
        options_from(options | WaitFlags::WEXITED),
    )?;
    let Some(report) = report else {
        return Ok(0);
    };
    if !status.is_null() {
        status.write(&(report.wait_status() as i32))?;
    }
    if !usage.is_null() {
        usage.write(&rusage(
            report.user_ns,
            report.system_ns,
            report.max_rss_kib,
        ))?;
    }
    Ok(report.pid as usize)
}

fn siginfo_of(report: &WaitReport) -> SigInfo {
    let (code, status) = match report.event {
        ChildEvent::Exited(status) => status.child_code_and_status(),
        ChildEvent::Stopped(signal) => (CLD_STOPPED, signal as i32),
        ChildEvent::Continued => (CLD_CONTINUED, sigrules::SIGCONT as i32),
        ChildEvent::Trapped(code) => (abi::signal::CLD_TRAPPED, code as i32),
    };
    SigInfo::child(
        code,
        report.pid,
        report.uid,
        status,
        report.user_ns / crate::time::NSEC_PER_CLOCK_TICK,
        report.system_ns / crate::time::NSEC_PER_CLOCK_TICK,
    )
}

pub fn waitid(
    context: &mut SyscallContext<'_>,
    which: u32,
    id: i32,
    info: UserPtr<SigInfo>,
    options: WaitFlags,
    usage: UserPtr<Rusage>,
) -> SyscallResult {
    let options = options.accept_only(WaitFlags::WAITID_VALID)?;
    if !options.intersects(WaitFlags::EVENTS) {
        return Err(Errno::EINVAL);
    }
    let ns = context.thread.pid_ns().clone();
    let target = match which {
        P_ALL => WaitTarget::Any,
        P_PID if id > 0 => WaitTarget::Pid(ns.global_or_none(id as u32)),
        P_PGID if id > 0 => WaitTarget::ProcessGroup(ns.global_or_none(id as u32)),
        P_PGID if id == 0 => {
            WaitTarget::ProcessGroup(context.thread.process.pgid.load(Ordering::Relaxed) as u32)
        }
        P_PIDFD => {
            let file = super::read_write::file(context, super::args::Fd(id))?;
            let pidfd = file.ops.as_pidfd().ok_or(Errno::EINVAL)?;
            WaitTarget::Pid(pidfd.process.pid)
        }
        _ => return Err(Errno::EINVAL),
    };
    let report = wait_child(context.thread, target, options_from(options))?;
    if !info.is_null() {
        // WNOHANG with nothing to report clears si_signo and si_pid (Linux zeroes the struct).
        let value = match &report {
            Some(report) => siginfo_of(report),
            None => SigInfo::new(0, 0),
        };
        info.write(&value)?;
    }
    if let (Some(report), false) = (&report, usage.is_null()) {
        usage.write(&rusage(
            report.user_ns,
            report.system_ns,
            report.max_rss_kib,
        ))?;
    }
    Ok(0)
}

pub fn getrusage(
    context: &mut SyscallContext<'_>,
    who: i32,
    usage: UserPtr<Rusage>,
) -> SyscallResult {
    let process = &context.thread.process;
    let value = match who {
        RUSAGE_SELF => {
            let (user, system) = process.cpu_times_ns();
            rusage(user, system, process.max_rss_kib())
        }
        RUSAGE_CHILDREN => {
            let totals = *process.usage.lock();
            rusage(
                totals.children_user_ns,
                totals.children_system_ns,
                totals.children_max_rss_kib,
            )
        }
        RUSAGE_THREAD => {
            let thread = context.thread;
            let total = thread.cpu_time_ns();
            let user = thread.user_time_ns().min(total);
            rusage(user, total - user, process.max_rss_kib())
        }
        _ => return Err(Errno::EINVAL),
    };
    usage.write(&value)?;
    Ok(0)
}

pub fn times(context: &mut SyscallContext<'_>, buf: UserPtr<Tms>) -> SyscallResult {
    let process = &context.thread.process;
    let (user, system) = process.cpu_times_ns();
    let totals = *process.usage.lock();
    let ticks = |ns: u64| (ns / crate::time::NSEC_PER_CLOCK_TICK) as i64;
    if !buf.is_null() {
        buf.write(&Tms {
            tms_utime: ticks(user),
            tms_stime: ticks(system),
            tms_cutime: ticks(totals.children_user_ns),
            tms_cstime: ticks(totals.children_system_ns),
        })?;
    }
    // Clock ticks since boot.
    Ok((crate::time::monotonic_ns() / crate::time::NSEC_PER_CLOCK_TICK) as usize)
}
