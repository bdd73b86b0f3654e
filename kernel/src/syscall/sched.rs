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
//! sched_setattr and sched_getattr follow 6.1 (`struct sched_attr` of any size from 48 bytes
//! to a page: E2BIG with 56 written back for a larger one with non-zero tail, KEEP_POLICY and
//! KEEP_PARAMS, the utilization clamps EOPNOTSUPP as Debian's kernel without
//! CONFIG_UCLAMP_TASK). All go through one `__sched_setscheduler` with Linux's check order.
//! SCHED_FIFO and SCHED_RR are scheduled for real (`crate::sched`); SCHED_IDLE gets Linux's
//! idle weight (3); SCHED_BATCH and SCHED_IDLE threads never preempt at a wake-up, and any other
//! fair thread preempts a SCHED_IDLE one (`check_preempt_wakeup`). SCHED_DEADLINE is validated (`__checkparam_dl`) and admitted against
//! the real-time bandwidth (EBUSY beyond it, `sched_dl_overflow`), its parameters are stored and
//! reported; its threads run above every real-time priority in FIFO order, without EDF ordering
//! among themselves or CBS runtime enforcement (the real-time throttling bounds them).
//!
//! Affinity masks are 8 bytes (`cpumask_size()` for at most 64 CPU ids, as Debian's
//! CONFIG_CPUMASK_OFFSTACK kernel computes it); a mask without an online CPU is EINVAL, and
//! sched_getaffinity reports the mask within the online CPUs.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::rlimit::{RLIMIT_NICE, RLIMIT_RTPRIO};
use crate::process::{Thread, table};
use crate::sched::{
    self, DeadlineParams, SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_IDLE, SCHED_NORMAL,
    SCHED_RR,
};
use abi::sched::{
    PRIO_PGRP, PRIO_PROCESS, PRIO_USER, SCHED_ATTR_SIZE_VER0, SCHED_ATTR_SIZE_VER1, SCHED_FLAG_ALL,
    SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_RECLAIM,
    SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_SUGOV, SCHED_FLAG_UTIL_CLAMP, SCHED_RESET_ON_FORK,
    SchedAttr,
};
use abi::{Errno, Timespec};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use zerocopy::{FromBytes, IntoBytes};

/// `cpumask_size()`: one `unsigned long` (at most 64 CPUs).
const CPUMASK_SIZE: usize = 8;
const MAX_RT_PRIO: u32 = sched_policy::rt::MAX_RT_PRIO;
const RR_TIMESLICE_NS: u64 = sched_policy::rt::RR_TIMESLICE_NS;

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
    table::find_thread_in(context.thread.pid_ns(), tid).ok_or(Errno::ESRCH)
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
    if wanted & hal::smp::online_mask() == 0 {
        return Err(Errno::EINVAL);
    }
    sched::set_affinity(&target, wanted & hal::smp::possible_mask());
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
    let value = target.sched.lock().affinity & hal::smp::online_mask();
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

/// `do_sched_setscheduler`: sched_setscheduler and sched_setparam, through the same
/// `__sched_setscheduler` as sched_setattr, with the target's nice value kept.
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
    let mut attr = SchedAttr {
        sched_priority: priority,
        sched_nice: target.sched.lock().nice,
        ..SchedAttr::default()
    };
    let policy = if policy == SETPARAM_POLICY {
        SETPARAM_POLICY
    } else {
        if policy & SCHED_RESET_ON_FORK != 0 {
            attr.sched_flags |= u64::from(SCHED_FLAG_RESET_ON_FORK);
        }
        policy & !SCHED_RESET_ON_FORK
    };
    setscheduler(context, &target, policy, &attr)
}

/// `__checkparam_dl`: a deadline, a runtime of at least 1024 ns, neither deadline nor period
/// with bit 63, runtime <= deadline <= period (a zero period is the deadline), and a period
/// within `kernel.sched_deadline_period_{min,max}_us` (100 µs to 4.194304 s).
fn is_valid_deadline(attr: &SchedAttr) -> bool {
    if attr.sched_deadline == 0 || attr.sched_runtime < 1 << 10 {
        return false;
    }
    if (attr.sched_deadline | attr.sched_period) & (1 << 63) != 0 {
        return false;
    }
    let period = if attr.sched_period == 0 {
        attr.sched_deadline
    } else {
        attr.sched_period
    };
    if period < attr.sched_deadline || attr.sched_deadline < attr.sched_runtime {
        return false;
    }
    (100_000..=4_194_304_000).contains(&period)
}

/// `__sched_setscheduler` for a user request: `policy` is SETPARAM_POLICY (-1) to keep the
/// target's. Checks in Linux's order: the policy, the flags, the priority range and its match
/// with the policy (and a deadline's parameters), then without CAP_SYS_NICE the nice value
/// against RLIMIT_NICE, a real-time priority against RLIMIT_RTPRIO, no SCHED_DEADLINE at
/// all, leaving SCHED_IDLE only within RLIMIT_NICE, the same owner, and no clearing of
/// reset-on-fork; then SCHED_FLAG_SUGOV (EINVAL), the utilization clamps (EOPNOTSUPP: Debian
/// builds 6.1 without CONFIG_UCLAMP_TASK), and the deadline bandwidth (EBUSY).
fn setscheduler(
    context: &SyscallContext<'_>,
    target: &Arc<Thread>,
    policy: i32,
    attr: &SchedAttr,
) -> SyscallResult {
    let (old_policy, old_priority, old_reset, old_nice, old_deadline) = {
        let info = target.sched.lock();
        (
            info.policy,
            info.rt_priority,
            info.reset_on_fork,
            info.nice,
            info.deadline,
        )
    };
    let (policy, reset_on_fork) = if policy < 0 {
        (old_policy, old_reset)
    } else {
        if !matches!(
            policy,
            SCHED_NORMAL | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE
        ) {
            return Err(Errno::EINVAL);
        }
        (
            policy,
            attr.sched_flags & u64::from(SCHED_FLAG_RESET_ON_FORK) != 0,
        )
    };
    if attr.sched_flags & !(u64::from(SCHED_FLAG_ALL) | SCHED_FLAG_SUGOV) != 0 {
        return Err(Errno::EINVAL);
    }
    let priority = attr.sched_priority;
    if priority > MAX_RT_PRIO - 1 {
        return Err(Errno::EINVAL);
    }
    if (policy == SCHED_DEADLINE && !is_valid_deadline(attr))
        || is_rt_policy(policy) != (priority != 0)
    {
        return Err(Errno::EINVAL);
    }
    let is_fair = matches!(policy, SCHED_NORMAL | SCHED_BATCH | SCHED_IDLE);
    if !is_root(context) {
        if is_fair && attr.sched_nice < old_nice && !can_nice(context, target, attr.sched_nice) {
            return Err(Errno::EPERM);
        }
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
        if policy == SCHED_DEADLINE {
            return Err(Errno::EPERM);
        }
        if old_policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(context, target, old_nice)
        {
            return Err(Errno::EPERM);
        }
        if !is_same_owner(context, target) {
            return Err(Errno::EPERM);
        }
        if old_reset && !reset_on_fork {
            return Err(Errno::EPERM);
        }
    }
    if attr.sched_flags & SCHED_FLAG_SUGOV != 0 {
        return Err(Errno::EINVAL);
    }
    if attr.sched_flags & u64::from(SCHED_FLAG_UTIL_CLAMP) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let deadline = if policy == SCHED_DEADLINE {
        DeadlineParams {
            runtime_ns: attr.sched_runtime,
            deadline_ns: attr.sched_deadline,
            period_ns: if attr.sched_period == 0 {
                attr.sched_deadline
            } else {
                attr.sched_period
            },
            flags: attr.sched_flags & u64::from(SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN),
        }
    } else {
        DeadlineParams::default()
    };
    // Nothing changes: only reset-on-fork is stored (Linux skips the requeue).
    let nice = if is_fair { attr.sched_nice } else { old_nice };
    if policy == old_policy
        && (!is_fair || nice == old_nice)
        && (!is_rt_policy(policy) || priority == old_priority)
        && (policy != SCHED_DEADLINE || deadline == old_deadline)
    {
        target.sched.lock().reset_on_fork = reset_on_fork;
        return Ok(0);
    }
    if (policy == SCHED_DEADLINE || old_policy == SCHED_DEADLINE)
        && !sched::deadline_admits(
            (old_policy == SCHED_DEADLINE).then_some(old_deadline),
            (policy == SCHED_DEADLINE).then_some(deadline),
        )
    {
        return Err(Errno::EBUSY);
    }
    if attr.sched_flags & u64::from(SCHED_FLAG_KEEP_PARAMS) != 0 {
        // `__setscheduler_params` is skipped: only the policy's flag changes are kept.
        target.sched.lock().reset_on_fork = reset_on_fork;
        return Ok(0);
    }
    sched::set_attributes(target, policy, priority, nice, deadline, reset_on_fork);
    // A thread blocked on a PI futex passes its new priority on to the owner.
    crate::futex_pi::priority_changed(target);
    Ok(0)
}

/// `sched_copy_attr`: reads a `struct sched_attr` of the size user space gives in its first
/// word (0 means version 0, 48 bytes). A size below version 0 or above a page, or bytes
/// beyond what 6.1 knows that are not zero, is E2BIG with 6.1's size written back.
fn read_sched_attr(address: u64) -> Result<SchedAttr, Errno> {
    let size: u32 = hal::usercopy::read_user(address)?;
    let kernel_size = core::mem::size_of::<SchedAttr>() as u32;
    let size = if size == 0 {
        SCHED_ATTR_SIZE_VER0
    } else {
        size
    };
    let too_big = |_| -> Errno {
        match hal::usercopy::write_user(address, &kernel_size) {
            Ok(()) => Errno::E2BIG,
            Err(error) => error,
        }
    };
    if !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) {
        return Err(too_big(()));
    }
    let mut bytes = [0u8; core::mem::size_of::<SchedAttr>()];
    let known = size.min(kernel_size) as usize;
    hal::usercopy::copy_from_user(&mut bytes[..known], address)?;
    if size > kernel_size {
        // `check_zeroed_user` over the tail.
        let mut chunk = [0u8; 64];
        let mut offset = u64::from(kernel_size);
        while offset < u64::from(size) {
            let length = (u64::from(size) - offset).min(64) as usize;
            hal::usercopy::copy_from_user(&mut chunk[..length], address + offset)?;
            if chunk[..length].iter().any(|&byte| byte != 0) {
                return Err(too_big(()));
            }
            offset += length as u64;
        }
    }
    let mut attr = SchedAttr::read_from_bytes(&bytes).map_err(|_| Errno::EFAULT)?;
    if attr.sched_flags & u64::from(SCHED_FLAG_UTIL_CLAMP) != 0 && size < SCHED_ATTR_SIZE_VER1 {
        return Err(Errno::EINVAL);
    }
    attr.size = size;
    attr.sched_nice = attr.sched_nice.clamp(-20, 19);
    Ok(attr)
}

/// `get_params`: the target's deadline parameters, real-time priority or nice value.
fn get_params(target: &Thread, attr: &mut SchedAttr) {
    let info = target.sched.lock();
    match info.policy {
        SCHED_DEADLINE => {
            attr.sched_runtime = info.deadline.runtime_ns;
            attr.sched_deadline = info.deadline.deadline_ns;
            attr.sched_period = info.deadline.period_ns;
            attr.sched_flags |= info.deadline.flags;
        }
        SCHED_FIFO | SCHED_RR => attr.sched_priority = info.rt_priority,
        _ => attr.sched_nice = info.nice,
    }
}

pub fn sched_setattr(
    context: &mut SyscallContext<'_>,
    pid: i32,
    address: u64,
    flags: u32,
) -> SyscallResult {
    if address == 0 || pid < 0 || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let mut attr = read_sched_attr(address)?;
    if (attr.sched_policy as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let policy = if attr.sched_flags & u64::from(SCHED_FLAG_KEEP_POLICY) != 0 {
        SETPARAM_POLICY
    } else {
        attr.sched_policy as i32
    };
    let target = find_thread(context, pid)?;
    if attr.sched_flags & u64::from(SCHED_FLAG_KEEP_PARAMS) != 0 {
        get_params(&target, &mut attr);
    }
    setscheduler(context, &target, policy, &attr)
}

pub fn sched_getattr(
    context: &mut SyscallContext<'_>,
    pid: i32,
    address: u64,
    size: u32,
    flags: u32,
) -> SyscallResult {
    if address == 0 || pid < 0 || !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let target = find_thread(context, pid)?;
    let mut attr = SchedAttr::default();
    {
        let info = target.sched.lock();
        attr.sched_policy = info.policy as u32;
        if info.reset_on_fork {
            attr.sched_flags |= u64::from(SCHED_FLAG_RESET_ON_FORK);
        }
    }
    get_params(&target, &mut attr);
    attr.sched_flags &= u64::from(SCHED_FLAG_ALL);
    // `sched_attr_copy_to_user`: as much as both sides know, with that size in `size`.
    let kernel_size = core::mem::size_of::<SchedAttr>() as u32;
    attr.size = size.min(kernel_size);
    hal::usercopy::copy_to_user(address, &attr.as_bytes()[..attr.size as usize])?;
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
        // The FIFO and deadline classes have no round-robin slice.
        SCHED_FIFO | SCHED_DEADLINE => 0,
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
                context.thread.pid_ns().global_or_none(who as u32)
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
                table::processes_in(context.thread.pid_ns())
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
