//! Process identity from Linux's `kernel/sys.c`: pid, tid and parent pid, process groups and
//! sessions (getpgid, setpgid, getsid, setsid), and the user and group ids (set*uid, set*gid,
//! getres*id, setfs*id) with `commit_creds`'s side effects. The rest of `kernel/sys.c` has files
//! of its own: [`super::rlimit`], [`super::uname`], [`super::sysinfo`], [`super::prctl`].

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::ns::user::MapKind;
use crate::process::credentials::Credentials;
use crate::process::{Pid, Process, table};
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

// Ids are shown through the caller's PID namespace (`task_tgid_vnr` and friends): 0 for a
// task outside it, such as the parent of a namespace's init.

pub fn getpid(context: &mut SyscallContext<'_>) -> SyscallResult {
    let process = &context.thread.process;
    Ok(process.pid_in(&process.pid_ns) as usize)
}

pub fn gettid(context: &mut SyscallContext<'_>) -> SyscallResult {
    let thread = context.thread;
    Ok(thread.tid_in(thread.pid_ns()) as usize)
}

pub fn getppid(context: &mut SyscallContext<'_>) -> SyscallResult {
    let process = &context.thread.process;
    Ok(process.parent_pid_in(&process.pid_ns) as usize)
}

pub fn getpgrp(context: &mut SyscallContext<'_>) -> SyscallResult {
    let process = &context.thread.process;
    Ok(process.pid_ns.nr_of(process.pgid()) as usize)
}

/// The process a getpgid/getsid/prlimit `pid` names: 0 is the caller; `ESRCH` if none.
pub(super) fn target_process(
    context: &SyscallContext<'_>,
    pid: i32,
) -> Result<Arc<Process>, Errno> {
    if pid == 0 {
        return Ok(context.thread.process.clone());
    }
    let id = Pid::try_from(pid).map_err(|_| Errno::ESRCH)?;
    table::find_process_by_task_id_in(context.thread.pid_ns(), id).ok_or(Errno::ESRCH)
}

pub fn getpgid(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    let pgid = target_process(context, pid)?.pgid();
    Ok(context.thread.pid_ns().nr_of(pgid) as usize)
}

pub fn getsid(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    let sid = target_process(context, pid)?.sid();
    Ok(context.thread.pid_ns().nr_of(sid) as usize)
}

/// setpgid with Linux's checks and order (`kernel/sys.c`).
pub fn setpgid(context: &mut SyscallContext<'_>, pid: i32, pgid: i32) -> SyscallResult {
    let caller = &context.thread.process;
    let ns = &caller.pid_ns;
    let pid = if pid == 0 {
        caller.pid_in(ns) as i32
    } else {
        pid
    };
    let pgid = if pgid == 0 { pid } else { pgid };
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let _lock = table::JOB_CONTROL_LOCK.lock();
    let id = Pid::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let id = ns.global_of(id).ok_or(Errno::ESRCH)?;
    let target = table::find_process_by_task_id(id).ok_or(Errno::ESRCH)?;
    if target.pid != id {
        // Only a thread-group leader has a process group.
        return Err(Errno::EINVAL);
    }
    let is_child = target
        .parent
        .lock()
        .upgrade()
        .is_some_and(|parent| Arc::ptr_eq(&parent, caller));
    if is_child {
        if target.sid() != caller.sid() {
            return Err(Errno::EPERM);
        }
        if target.flags.lock().has_execed {
            return Err(Errno::EACCES);
        }
    } else if !Arc::ptr_eq(&target, caller) {
        return Err(Errno::ESRCH);
    }
    if target.is_session_leader() {
        return Err(Errno::EPERM);
    }
    let pgid = ns.global_or_none(pgid as Pid);
    if pgid != id && table::session_of_group(pgid) != Some(caller.sid()) {
        return Err(Errno::EPERM);
    }
    target.pgid.store(u64::from(pgid), Ordering::Relaxed);
    Ok(0)
}

/// setsid: a new session and process group named after the caller, with no controlling
/// terminal; EPERM for a group leader (a group with the caller's id exists).
pub fn setsid(context: &mut SyscallContext<'_>) -> SyscallResult {
    let process = &context.thread.process;
    let _lock = table::JOB_CONTROL_LOCK.lock();
    if process.is_session_leader() || table::session_of_group(process.pid).is_some() {
        return Err(Errno::EPERM);
    }
    process.sid.store(u64::from(process.pid), Ordering::Relaxed);
    process
        .pgid
        .store(u64::from(process.pid), Ordering::Relaxed);
    process.flags.lock().has_detached_tty = false;
    Ok(process.pid_in(&process.pid_ns) as usize)
}

/// Applies a credential change to the caller: on success, a change of euid, egid, fsuid or
/// fsgid makes the process non-dumpable and clears its parent-death signal (`commit_creds`).
pub(super) fn change_credentials(
    context: &SyscallContext<'_>,
    change: impl FnOnce(&mut Credentials) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let process = &context.thread.process;
    let is_identity_change = {
        let mut credentials = process.credentials.lock();
        let mut new = credentials.clone();
        change(&mut new)?;
        let is_change = new.is_identity_change_from(&credentials);
        *credentials = new;
        is_change
    };
    if is_identity_change {
        let mut flags = process.flags.lock();
        flags.dumpable = 0;
        flags.parent_death_signal = 0;
    }
    Ok(())
}

/// The kernel ids of ids given in the caller's user namespace (`make_kuid`); `EINVAL` for an
/// unmapped one (`-1`, "unchanged", stays `-1`).
fn kernel_ids<const N: usize>(
    context: &SyscallContext<'_>,
    kind: MapKind,
    ids: [u32; N],
) -> Result<[u32; N], Errno> {
    let credentials = context.thread.process.credentials.lock();
    let mut out = [0; N];
    for (slot, id) in out.iter_mut().zip(ids) {
        *slot = credentials.kernel_id(kind, id).ok_or(Errno::EINVAL)?;
    }
    Ok(out)
}

/// The caller's ids as its user namespace sees them (`from_kuid_munged`).
fn viewed<const N: usize>(
    context: &SyscallContext<'_>,
    kind: MapKind,
    pick: impl FnOnce(&Credentials) -> [u32; N],
) -> [u32; N] {
    let credentials = context.thread.process.credentials.lock();
    pick(&credentials).map(|id| credentials.view(kind, id))
}

pub fn setuid(context: &mut SyscallContext<'_>, uid: u32) -> SyscallResult {
    let [uid] = kernel_ids(context, MapKind::Uid, [uid])?;
    change_credentials(context, |credentials| credentials.set_uid(uid))?;
    Ok(0)
}

pub fn setgid(context: &mut SyscallContext<'_>, gid: u32) -> SyscallResult {
    let [gid] = kernel_ids(context, MapKind::Gid, [gid])?;
    change_credentials(context, |credentials| credentials.set_gid(gid))?;
    Ok(0)
}

pub fn setreuid(context: &mut SyscallContext<'_>, ruid: u32, euid: u32) -> SyscallResult {
    let [ruid, euid] = kernel_ids(context, MapKind::Uid, [ruid, euid])?;
    change_credentials(context, |credentials| credentials.set_reuid(ruid, euid))?;
    Ok(0)
}

pub fn setregid(context: &mut SyscallContext<'_>, rgid: u32, egid: u32) -> SyscallResult {
    let [rgid, egid] = kernel_ids(context, MapKind::Gid, [rgid, egid])?;
    change_credentials(context, |credentials| credentials.set_regid(rgid, egid))?;
    Ok(0)
}

pub fn setresuid(
    context: &mut SyscallContext<'_>,
    ruid: u32,
    euid: u32,
    suid: u32,
) -> SyscallResult {
    let [ruid, euid, suid] = kernel_ids(context, MapKind::Uid, [ruid, euid, suid])?;
    change_credentials(context, |credentials| {
        credentials.set_resuid(ruid, euid, suid)
    })?;
    Ok(0)
}

pub fn setresgid(
    context: &mut SyscallContext<'_>,
    rgid: u32,
    egid: u32,
    sgid: u32,
) -> SyscallResult {
    let [rgid, egid, sgid] = kernel_ids(context, MapKind::Gid, [rgid, egid, sgid])?;
    change_credentials(context, |credentials| {
        credentials.set_resgid(rgid, egid, sgid)
    })?;
    Ok(0)
}

/// Writes three ids (getresuid/getresgid); each pointer is written in turn, as Linux's
/// `put_user` sequence (an EFAULT on the second leaves the first written).
fn put_three(ids: [u32; 3], pointers: [UserPtr<u32>; 3]) -> SyscallResult {
    for (id, pointer) in ids.iter().zip(pointers) {
        pointer.write(id)?;
    }
    Ok(0)
}

pub fn getresuid(
    context: &mut SyscallContext<'_>,
    ruid: UserPtr<u32>,
    euid: UserPtr<u32>,
    suid: UserPtr<u32>,
) -> SyscallResult {
    let ids = viewed(context, MapKind::Uid, |c| [c.uid, c.euid, c.suid]);
    put_three(ids, [ruid, euid, suid])
}

pub fn getresgid(
    context: &mut SyscallContext<'_>,
    rgid: UserPtr<u32>,
    egid: UserPtr<u32>,
    sgid: UserPtr<u32>,
) -> SyscallResult {
    let ids = viewed(context, MapKind::Gid, |c| [c.gid, c.egid, c.sgid]);
    put_three(ids, [rgid, egid, sgid])
}

/// setfsuid/setfsgid: the old id as the caller sees it; an unmapped new id changes nothing.
fn set_fs_id(context: &SyscallContext<'_>, kind: MapKind, id: u32) -> SyscallResult {
    let [old_view] = viewed(context, kind, |c| match kind {
        MapKind::Uid => [c.fsuid],
        MapKind::Gid => [c.fsgid],
    });
    let Ok([id]) = kernel_ids(context, kind, [id]) else {
        return Ok(old_view as usize);
    };
    let _ = change_credentials(context, |credentials| {
        match kind {
            MapKind::Uid => credentials.set_fsuid(id),
            MapKind::Gid => credentials.set_fsgid(id),
        };
        Ok(())
    });
    Ok(old_view as usize)
}

pub fn setfsuid(context: &mut SyscallContext<'_>, fsuid: u32) -> SyscallResult {
    set_fs_id(context, MapKind::Uid, fsuid)
}

pub fn setfsgid(context: &mut SyscallContext<'_>, fsgid: u32) -> SyscallResult {
    set_fs_id(context, MapKind::Gid, fsgid)
}

pub fn getuid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(viewed(context, MapKind::Uid, |c| [c.uid])[0] as usize)
}

pub fn geteuid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(viewed(context, MapKind::Uid, |c| [c.euid])[0] as usize)
}

pub fn getgid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(viewed(context, MapKind::Gid, |c| [c.gid])[0] as usize)
}

pub fn getegid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(viewed(context, MapKind::Gid, |c| [c.egid])[0] as usize)
}

/// getcpu (kernel/sys.c): the CPU the caller runs on and its NUMA node (always 0); either
/// pointer may be NULL; a bad one is `EFAULT` (after both writes were tried). The third argument
/// (`struct getcpu_cache`) is unused since Linux 2.6.24.
pub fn getcpu(
    _: &mut SyscallContext<'_>,
    cpu: UserPtr<u32>,
    node: UserPtr<u32>,
    _cache: u64,
) -> SyscallResult {
    let cpu_id = hal::sync::cpu_id() as u32;
    let mut result = Ok(0);
    if !cpu.is_null() && cpu.write(&cpu_id).is_err() {
        result = Err(Errno::EFAULT);
    }
    if !node.is_null() && node.write(&0).is_err() {
        result = Err(Errno::EFAULT);
    }
    result
}
