//! Resource limits (Linux's `kernel/sys.c`: getrlimit, setrlimit, prlimit64 and `do_prlimit`);
//! the limits themselves and their rules are in `process::rlimit`.

use super::args::UserPtr;
use super::sys::target_process;
use super::{SyscallContext, SyscallResult};
use crate::process::rlimit::Limit;
use abi::{Errno, Rlimit};
use alloc::sync::Arc;

fn to_user_limit(limit: Limit) -> Rlimit {
    Rlimit {
        rlim_cur: limit.soft,
        rlim_max: limit.hard,
    }
}

pub fn getrlimit(
    context: &mut SyscallContext<'_>,
    resource: u32,
    limit: UserPtr<Rlimit>,
) -> SyscallResult {
    let value = context
        .thread
        .process
        .limits
        .lock()
        .get(resource as usize)?;
    limit.write(&to_user_limit(value))?;
    Ok(0)
}

pub fn setrlimit(
    context: &mut SyscallContext<'_>,
    resource: u32,
    limit: UserPtr<Rlimit>,
) -> SyscallResult {
    let new: Rlimit = limit.read()?;
    let is_privileged = context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_RESOURCE);
    context.thread.process.limits.lock().set(
        resource as usize,
        Limit {
            soft: new.rlim_cur,
            hard: new.rlim_max,
        },
        is_privileged,
    )?;
    Ok(0)
}

/// prlimit64 on any process (`kernel/sys.c`): the new limit is read first (EFAULT), then the
/// target found (ESRCH); another process needs the same real, effective and saved uid and gid
/// as the caller's real ones, or CAP_SYS_RESOURCE (EPERM); then `do_prlimit`'s checks.
pub fn prlimit64(
    context: &mut SyscallContext<'_>,
    pid: i32,
    resource: u32,
    new: UserPtr<Rlimit>,
    old: UserPtr<Rlimit>,
) -> SyscallResult {
    let new_limit = if new.is_null() {
        None
    } else {
        Some(new.read()?)
    };
    let target = target_process(context, pid)?;
    let caller = context.thread.process.credentials.lock().clone();
    if !Arc::ptr_eq(&target, &context.thread.process) {
        let other = target.credentials.lock().clone();
        let is_id_match = caller.uid == other.euid
            && caller.uid == other.suid
            && caller.uid == other.uid
            && caller.gid == other.egid
            && caller.gid == other.sgid
            && caller.gid == other.gid;
        if !is_id_match && !caller.has_capability(abi::capability::CAP_SYS_RESOURCE) {
            return Err(Errno::EPERM);
        }
    }
    let previous = {
        let mut limits = target.limits.lock();
        match new_limit {
            Some(value) => limits.set(
                resource as usize,
                Limit {
                    soft: value.rlim_cur,
                    hard: value.rlim_max,
                },
                caller.has_capability(abi::capability::CAP_SYS_RESOURCE),
            )?,
            None => limits.get(resource as usize)?,
        }
    };
    if !old.is_null() {
        old.write(&to_user_limit(previous))?;
    }
    Ok(0)
}
