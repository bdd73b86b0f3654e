//! Scheduler syscalls (Linux `kernel/sched/core.c`): sched_yield, sched_setaffinity,
//! sched_getaffinity, sched_setscheduler, sched_getscheduler, sched_setparam, sched_getparam,
//! sched_get_priority_max/min, sched_rr_get_interval; and getpriority/setpriority (which Linux
//! keeps in `kernel/sys.c`).
//!
//! A pid names a thread (0: the caller), as Linux's `find_process_by_pid`. Permission rules
//! are Linux's without capabilities other than root's: changing another user's thread is EPERM
//! (`check_same_owner`), lowering a nice value beyond RLIMIT_NICE is EACCES (setpriority) or
//! EPERM (sched_setscheduler out of SCHED_IDLE), a real-time policy needs RLIMIT_RTPRIO.
//!
//! Choice for SCHED_FIFO and SCHED_RR: accepted with Linux's checks (root may set them) and
//! reported back by getscheduler/getparam, but the threads are still scheduled by CFS with
//! their nice value — there is no strict-priority real-time class yet. SCHED_IDLE gets Linux's
//! idle weight (3); SCHED_BATCH is scheduled as SCHED_NORMAL. SCHED_DEADLINE (only reachable
//! through sched_setattr, not implemented) is EINVAL here as in Linux.
//!
//! The machine has one CPU: affinity masks are 8 bytes (`cpumask_size()` with 1 CPU id, as
//! Debian's CONFIG_CPUMASK_OFFSTACK kernel computes it), and a mask without CPU 0 is EINVAL.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::rlimit::{RLIMIT_NICE, RLIMIT_RTPRIO};
use crate::process::{Thread, table};
use crate::sched::{
    self, SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_IDLE, SCHED_NORMAL, SCHED_RR,
};
use abi::sched::{PRIO_PGRP, PRIO_PROCESS, PRIO_USER, SCHED_RESET_ON_FORK};
use abi::{Errno, Timespec};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// `cpumask_size()`: one `unsigned long` for the one CPU.
const CPUMASK_SIZE: usize = 8;
/// The online CPUs.
const ONLINE_CPUS: u64 = 1;
const MAX_RT_PRIO: u32 = 100;
/// `sched_rr_timeslice`: 100 ms.
const RR_TIMESLICE_NS: u64 = 100_000_000;

pub fn sched_yield(_: &mut SyscallContext<'_>) -> SyscallResult {
    sched::yield_now();
    Ok(0)
}

/// `find_process_by_pid`: the thread `pid`, or the caller for 0.
fn find_thread(context: &SyscallContext<'_>, pid: i32) -> Result<Arc<Thread>, Errno> {
    if pid == 0 {
        return Ok(context.thread.clone());
    }
    let tid = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
    table::find_thread(tid).ok_or(Errno::ESRCH)
}

/// `CAP_SYS_NICE`.
fn is_root(context: &SyscallContext<'_>) -> bool {
    context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_NICE)
}

/// `check_same_owner`: the caller's effective uid is the target's real or effective uid.
fn is_same_owner(context: &SyscallContext<'_>, target: &Thread) -> bool {
    let euid = context.thread.process.credentials.lock().euid;
    let owner = target.process.credentials.lock().clone();
    euid == owner.euid || euid == owner.uid
}

pub fn sched_setaffinity(
    context: &mut SyscallContext<'_>,
    pid: i32,
    len: u32,
    mask: UserPtr<u8>,
) -> SyscallResult {
    let mut bytes = [0u8; CPUMASK_SIZE];
    let len = (len as usize).min(CPUMASK_SIZE);
    hal::usercopy::copy_from_user(&mut bytes[..len], mask.address)?;
    let wanted = u64::from_le_bytes(bytes);
    let target = find_thread(context, pid)?;
    if !is_same_owner(context, &target) && !is_root(context) {
        return Err(Errno::EPERM);
    }
    if wanted & ONLINE_CPUS == 0 {
        return Err(Errno::EINVAL);
    }
    target.sched.lock().affinity = wanted & ONLINE_CPUS;
    Ok(0)
}

pub fn sched_getaffinity(
    context: &mut SyscallContext<'_>,
    pid: i32,
    len: u32,
    mask: UserPtr<u8>,
) -> SyscallResult {
    if len == 0 || !(len as usize).is_multiple_of(core::mem::size_of::<u64>()) {
        return Err(Errno::EINVAL);
    }
    let target = find_thread(context, pid)?;
    let value = target.sched.lock().affinity & ONLINE_CPUS;
    let size = (len as usize).min(CPUMASK_SIZE);
    hal::usercopy::copy_to_user(mask.address, &value.to_le_bytes()[..size])?;
    Ok(size)
}

pub fn sched_getscheduler(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = find_thread(context, pid)?;
    let info = target.sched.lock();
    let flag = if info.reset_on_fork {
        SCHED_RESET_ON_FORK
    } else {
        0
    };
    Ok((info.policy | flag) as usize)
}

pub fn sched_getparam(
    context: &mut SyscallContext<'_>,
    pid: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    if param.is_null() || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = find_thread(context, pid)?;
    let priority = {
        let info = target.sched.lock();
        if matches!(info.policy, SCHED_FIFO | SCHED_RR) {
            info.rt_priority as i32
        } else {
            0
        }
    };
    param.write(&priority)?;
    Ok(0)
}

/// `SETPARAM_POLICY`: sched_setparam keeps the policy.
const SETPARAM_POLICY: i32 = -1;

fn is_rt_policy(policy: i32) -> bool {
    matches!(policy, SCHED_FIFO | SCHED_RR)
}

/// `can_nice`: `nice` is within RLIMIT_NICE of `target` (as `20 - nice`), or the caller is root.
fn can_nice(context: &SyscallContext<'_>, target: &Thread, nice: i32) -> bool {
    let limit = target
        .process
        .limits
        .lock()
        .get(RLIMIT_NICE)
        .map_or(0, |limit| limit.soft);
    (20 - nice) as u64 <= limit || is_root(context)
}

/// `do_sched_setscheduler` and `__sched_setscheduler` for a `struct sched_param` caller.
fn set_scheduler(
    context: &SyscallContext<'_>,
    pid: i32,
    policy: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    if param.is_null() || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let priority = param.read()? as u32;
    let target = find_thread(context, pid)?;
    let (old_policy, old_priority, old_reset, nice) = {
        let info = target.sched.lock();
        (info.policy, info.rt_priority, info.reset_on_fork, info.nice)
    };
    let (policy, reset_on_fork) = if policy == SETPARAM_POLICY {
        (old_policy, old_reset)
    } else {
        let reset_on_fork = policy & SCHED_RESET_ON_FORK != 0;
        let policy = policy & !SCHED_RESET_ON_FORK;
        if !matches!(
            policy,
            SCHED_NORMAL | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE
        ) {
            return Err(Errno::EINVAL);
        }
        (policy, reset_on_fork)
    };
    if priority > MAX_RT_PRIO - 1 {
        return Err(Errno::EINVAL);
    }
    // A deadline policy needs sched_setattr's parameters; these have none.
    if policy == SCHED_DEADLINE || is_rt_policy(policy) != (priority != 0) {
        return Err(Errno::EINVAL);
    }
    if !is_root(context) {
        if is_rt_policy(policy) {
            let rt_limit = target
                .process
                .limits
                .lock()
                .get(RLIMIT_RTPRIO)
                .map_or(0, |limit| limit.soft);
            if policy != old_policy && rt_limit == 0 {
                return Err(Errno::EPERM);
            }
            if priority > old_priority && u64::from(priority) > rt_limit {
                return Err(Errno::EPERM);
            }
        }
        if old_policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(context, &target, nice) {
            return Err(Errno::EPERM);
        }
        if !is_same_owner(context, &target) {
            return Err(Errno::EPERM);
        }
        if old_reset && !reset_on_fork {
            return Err(Errno::EPERM);
        }
    }
    sched::set_policy(&target, policy, priority, reset_on_fork);
    Ok(0)
}

pub fn sched_setscheduler(
    context: &mut SyscallContext<'_>,
    pid: i32,
    policy: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    if policy < 0 {
        return Err(Errno::EINVAL);
    }
    set_scheduler(context, pid, policy, param)
}

pub fn sched_setparam(
    context: &mut SyscallContext<'_>,
    pid: i32,
    param: UserPtr<i32>,
) -> SyscallResult {
    set_scheduler(context, pid, SETPARAM_POLICY, param)
}

pub fn sched_get_priority_max(_: &mut SyscallContext<'_>, policy: i32) -> SyscallResult {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok((MAX_RT_PRIO - 1) as usize),
        SCHED_DEADLINE | SCHED_NORMAL | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sched_get_priority_min(_: &mut SyscallContext<'_>, policy: i32) -> SyscallResult {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_DEADLINE | SCHED_NORMAL | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sched_rr_get_interval(
    context: &mut SyscallContext<'_>,
    pid: i32,
    interval: UserPtr<Timespec>,
) -> SyscallResult {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = find_thread(context, pid)?;
    let policy = target.sched.lock().policy;
    let slice = match policy {
        SCHED_RR => RR_TIMESLICE_NS,
        SCHED_FIFO => 0,
        _ => sched::fair_slice_ns(&target),
    };
    interval.write(&Timespec::from_nanos(slice))?;
    Ok(0)
}

/// The threads `which`/`who` name (getpriority, setpriority).
pub(super) fn priority_targets(
    context: &SyscallContext<'_>,
    which: i32,
    who: i32,
) -> Vec<Arc<Thread>> {
    let threads_of = |processes: Vec<Arc<crate::process::Process>>| -> Vec<Arc<Thread>> {
        processes
            .iter()
            .flat_map(|process| process.threads.lock().clone())
            .collect()
    };
    match which {
        PRIO_PROCESS => find_thread(context, who).map_or(Vec::new(), |thread| alloc::vec![thread]),
        PRIO_PGRP => {
            let pgid = if who == 0 {
                context.thread.process.pgid.load(Ordering::Relaxed) as u32
            } else {
                who as u32
            };
            threads_of(table::process_group(pgid))
        }
        PRIO_USER => {
            let uid = if who == 0 {
                context.thread.process.credentials.lock().uid
            } else {
                who as u32
            };
            threads_of(
                table::all_processes()
                    .into_iter()
                    .filter(|process| process.credentials.lock().uid == uid)
                    .collect(),
            )
        }
        _ => Vec::new(),
    }
}

/// getpriority: the highest `20 - nice` among the targets (the raw syscall's encoding; libc
/// turns it back into a nice value). ESRCH when nothing matches.
pub fn getpriority(context: &mut SyscallContext<'_>, which: i32, who: i32) -> SyscallResult {
    if !(PRIO_PROCESS..=PRIO_USER).contains(&which) {
        return Err(Errno::EINVAL);
    }
    priority_targets(context, which, who)
        .iter()
        .map(|thread| (20 - thread.sched.lock().nice) as usize)
        .max()
        .ok_or(Errno::ESRCH)
}

/// setpriority: sets the nice value (clamped to -20..19) of every target; the result is that
/// of `set_one_prio` over them: 0 once any succeeded, unless a later one failed with EPERM
/// (not the caller's thread) or EACCES (below RLIMIT_NICE).
pub fn setpriority(
    context: &mut SyscallContext<'_>,
    which: i32,
    who: i32,
    nice: i32,
) -> SyscallResult {
    if !(PRIO_PROCESS..=PRIO_USER).contains(&which) {
        return Err(Errno::EINVAL);
    }
    let nice = nice.clamp(-20, 19);
    let caller_euid = context.thread.process.credentials.lock().euid;
    let mut result = Err(Errno::ESRCH);
    for thread in priority_targets(context, which, who) {
        let owner = thread.process.credentials.lock().clone();
        let may_change = owner.uid == caller_euid || owner.euid == caller_euid || is_root(context);
        if !may_change {
            result = Err(Errno::EPERM);
            continue;
        }
        let current = thread.sched.lock().nice;
        if nice < current && !can_nice(context, &thread, nice) {
            result = Err(Errno::EACCES);
            continue;
        }
        if result == Err(Errno::ESRCH) {
            result = Ok(0);
        }
        sched::set_nice(&thread, nice);
    }
    result
}
