//! Identity, limits, system information, reboot, randomness, arch_prctl, exit (Linux
//! `kernel/sys.c`, `kernel/exit.c`, `arch/x86/kernel/process_64.c`, `drivers/char/random.c`).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::credentials::{self, Credentials, NGROUPS_MAX};
use crate::process::rlimit::Limit;
use crate::process::{Pid, Process, table};
use abi::{Errno, Rlimit, Sysinfo, Utsname};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

pub fn getpid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.pid as usize)
}

pub fn gettid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.tid() as usize)
}

pub fn getppid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.parent_pid() as usize)
}

pub fn getpgrp(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.pgid.load(Ordering::Relaxed) as usize)
}

/// The process a getpgid/getsid/prlimit `pid` names: 0 is the caller; `ESRCH` if none.
fn target_process(context: &SyscallContext<'_>, pid: i32) -> Result<Arc<Process>, Errno> {
    if pid == 0 {
        return Ok(context.thread.process.clone());
    }
    let id = Pid::try_from(pid).map_err(|_| Errno::ESRCH)?;
    table::find_process_by_task_id(id).ok_or(Errno::ESRCH)
}

pub fn getpgid(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    Ok(target_process(context, pid)?.pgid() as usize)
}

pub fn getsid(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    Ok(target_process(context, pid)?.sid() as usize)
}

/// setpgid with Linux's checks and order (`kernel/sys.c`).
pub fn setpgid(context: &mut SyscallContext<'_>, pid: i32, pgid: i32) -> SyscallResult {
    let caller = &context.thread.process;
    let pid = if pid == 0 { caller.pid as i32 } else { pid };
    let pgid = if pgid == 0 { pid } else { pgid };
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let _lock = table::JOB_CONTROL_LOCK.lock();
    let id = Pid::try_from(pid).map_err(|_| Errno::ESRCH)?;
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
    let pgid = pgid as Pid;
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
    Ok(process.pid as usize)
}

/// Applies a credential change to the caller: on success, a change of euid, egid, fsuid or
/// fsgid makes the process non-dumpable and clears its parent-death signal (`commit_creds`).
fn change_credentials(
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

pub fn setuid(context: &mut SyscallContext<'_>, uid: u32) -> SyscallResult {
    change_credentials(context, |credentials| credentials.set_uid(uid))?;
    Ok(0)
}

pub fn setgid(context: &mut SyscallContext<'_>, gid: u32) -> SyscallResult {
    change_credentials(context, |credentials| credentials.set_gid(gid))?;
    Ok(0)
}

pub fn setreuid(context: &mut SyscallContext<'_>, ruid: u32, euid: u32) -> SyscallResult {
    change_credentials(context, |credentials| credentials.set_reuid(ruid, euid))?;
    Ok(0)
}

pub fn setregid(context: &mut SyscallContext<'_>, rgid: u32, egid: u32) -> SyscallResult {
    change_credentials(context, |credentials| credentials.set_regid(rgid, egid))?;
    Ok(0)
}

pub fn setresuid(
    context: &mut SyscallContext<'_>,
    ruid: u32,
    euid: u32,
    suid: u32,
) -> SyscallResult {
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
    let ids = {
        let credentials = context.thread.process.credentials.lock();
        [credentials.uid, credentials.euid, credentials.suid]
    };
    put_three(ids, [ruid, euid, suid])
}

pub fn getresgid(
    context: &mut SyscallContext<'_>,
    rgid: UserPtr<u32>,
    egid: UserPtr<u32>,
    sgid: UserPtr<u32>,
) -> SyscallResult {
    let ids = {
        let credentials = context.thread.process.credentials.lock();
        [credentials.gid, credentials.egid, credentials.sgid]
    };
    put_three(ids, [rgid, egid, sgid])
}

pub fn setfsuid(context: &mut SyscallContext<'_>, fsuid: u32) -> SyscallResult {
    let mut old = 0;
    let _ = change_credentials(context, |credentials| {
        old = credentials.set_fsuid(fsuid);
        Ok(())
    });
    Ok(old as usize)
}

pub fn setfsgid(context: &mut SyscallContext<'_>, fsgid: u32) -> SyscallResult {
    let mut old = 0;
    let _ = change_credentials(context, |credentials| {
        old = credentials.set_fsgid(fsgid);
        Ok(())
    });
    Ok(old as usize)
}

/// setgroups (`kernel/groups.c`): EPERM without CAP_SETGID, EINVAL above NGROUPS_MAX or for
/// the invalid gid -1, EFAULT for an unreadable list.
pub fn setgroups(context: &mut SyscallContext<'_>, size: i32, list: UserPtr<u32>) -> SyscallResult {
    if !context.thread.process.credentials.lock().is_capable() {
        return Err(Errno::EPERM);
    }
    let count = size as u32 as usize;
    if count > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(count * 4)
        .map_err(|_| Errno::ENOMEM)?;
    bytes.resize(count * 4, 0);
    if count > 0 {
        hal::usercopy::copy_from_user(&mut bytes, list.address)?;
    }
    let mut groups = Vec::new();
    groups.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
    for chunk in bytes.chunks_exact(4) {
        let gid = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if gid == credentials::NO_ID {
            return Err(Errno::EINVAL);
        }
        groups.push(gid);
    }
    change_credentials(context, |credentials| {
        credentials.set_groups(groups);
        Ok(())
    })?;
    Ok(0)
}

/// getgroups: the count when `size` is 0, EINVAL when `size` is negative or too small.
pub fn getgroups(context: &mut SyscallContext<'_>, size: i32, list: UserPtr<u32>) -> SyscallResult {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let groups = context.thread.process.credentials.lock().groups.clone();
    if size == 0 {
        return Ok(groups.len());
    }
    if groups.len() > size as usize {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|gid| gid.to_le_bytes()).collect();
    hal::usercopy::copy_to_user(list.address, &bytes)?;
    Ok(groups.len())
}

pub fn getuid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.credentials.lock().uid as usize)
}

pub fn geteuid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.credentials.lock().euid as usize)
}

pub fn getgid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.credentials.lock().gid as usize)
}

pub fn getegid(context: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(context.thread.process.credentials.lock().egid as usize)
}

pub fn set_tid_address(context: &mut SyscallContext<'_>, address: u64) -> SyscallResult {
    context
        .thread
        .clear_child_tid
        .store(address, Ordering::Relaxed);
    Ok(context.thread.tid() as usize)
}

/// The release string `uname -r` shows.
pub const RELEASE: &str = "6.1.0-ferrux";
/// The version string `uname -v` shows.
pub const VERSION: &str = "#1 SMP PREEMPT_DYNAMIC Ferrux";

fn fill(field: &mut [u8; 65], value: &[u8]) {
    let len = value.len().min(64);
    field[..len].copy_from_slice(&value[..len]);
}

pub fn uname(_: &mut SyscallContext<'_>, buf: UserPtr<Utsname>) -> SyscallResult {
    let mut name = Utsname::default();
    fill(&mut name.sysname, b"Linux");
    fill(&mut name.nodename, &crate::hostname());
    fill(&mut name.release, RELEASE.as_bytes());
    fill(&mut name.version, VERSION.as_bytes());
    fill(&mut name.machine, b"x86_64");
    fill(&mut name.domainname, b"(none)");
    buf.write(&name)?;
    Ok(0)
}

pub fn sysinfo(_: &mut SyscallContext<'_>, info: UserPtr<Sysinfo>) -> SyscallResult {
    let (total_frames, free_frames) = hal::mm::frame::stats();
    let page = 4096u64;
    let value = Sysinfo {
        // Linux rounds the uptime up to whole seconds.
        uptime: hal::time::monotonic_ns().div_ceil(1_000_000_000) as i64,
        // The heap grows from the frames on demand, so free frames are free memory (Linux's
        // NR_FREE_PAGES).
        totalram: total_frames as u64 * page,
        freeram: free_frames as u64 * page,
        procs: 1,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    info.write(&value)?;
    Ok(0)
}

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
    let is_privileged = context.thread.process.credentials.lock().is_capable();
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
        if !is_id_match && !caller.is_capable() {
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
                caller.is_capable(),
            )?,
            None => limits.get(resource as usize)?,
        }
    };
    if !old.is_null() {
        old.write(&to_user_limit(previous))?;
    }
    Ok(0)
}

const ARCH_SET_GS: i32 = 0x1001;
const ARCH_SET_FS: i32 = 0x1002;
const ARCH_GET_FS: i32 = 0x1003;
const ARCH_GET_GS: i32 = 0x1004;
const ARCH_GET_CPUID: i32 = 0x1011;
const ARCH_SET_CPUID: i32 = 0x1012;

pub fn arch_prctl(context: &mut SyscallContext<'_>, code: i32, address: u64) -> SyscallResult {
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if address >= hal::mm::USER_END {
                return Err(Errno::EPERM);
            }
            let regs = context.user.regs_mut();
            if code == ARCH_SET_FS {
                regs.fs_base = address;
            } else {
                regs.gs_base = address;
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let regs = context.user.regs();
            let value = if code == ARCH_GET_FS {
                regs.fs_base
            } else {
                regs.gs_base
            };
            UserPtr::<u64>::new(address).write(&value)?;
            Ok(0)
        }
        ARCH_GET_CPUID => Ok(1),
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
const LINUX_REBOOT_MAGIC2: [u32; 4] = [672_274_793, 85_072_278, 369_367_448, 537_993_216];
const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;
const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;

pub fn reboot(
    context: &mut SyscallContext<'_>,
    magic1: u32,
    magic2: u32,
    command: u32,
    _argument: u64,
) -> SyscallResult {
    if context.thread.process.credentials.lock().euid != 0 {
        return Err(Errno::EPERM);
    }
    if magic1 != LINUX_REBOOT_MAGIC1 || !LINUX_REBOOT_MAGIC2.contains(&magic2) {
        return Err(Errno::EINVAL);
    }
    match command {
        LINUX_REBOOT_CMD_POWER_OFF => {
            log::info!("reboot: Power down");
            hal::power::power_off()
        }
        LINUX_REBOOT_CMD_RESTART | LINUX_REBOOT_CMD_RESTART2 => {
            log::info!("reboot: Restarting system");
            hal::power::reset()
        }
        LINUX_REBOOT_CMD_HALT => {
            log::info!("reboot: System halted");
            hal::cpu::halt_forever()
        }
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

const GRND_NONBLOCK: u32 = 1;
const GRND_RANDOM: u32 = 2;
const GRND_INSECURE: u32 = 4;

pub fn getrandom(
    _: &mut SyscallContext<'_>,
    buf: UserPtr<u8>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = len.min(0x01ff_ffff); // Linux caps one call at 32 MiB - 1
    let mut chunk = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        crate::random::fill(&mut chunk[..n]);
        if let Err(error) = hal::usercopy::copy_to_user(buf.address + done as u64, &chunk[..n]) {
            return if done == 0 { Err(error) } else { Ok(done) };
        }
        done += n;
    }
    Ok(done)
}

/// sync: every filesystem today lives in memory, so there is nothing to write back.
pub fn sync(_: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(0)
}

/// fsync/fdatasync: as `sync`, for one descriptor (EBADF for a bad one, EINVAL for O_PATH-less
/// special files is not applied: Linux answers EINVAL only for files without fsync, which our
/// in-memory files all have).
pub fn fsync(context: &mut SyscallContext<'_>, fd: super::args::Fd) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(0)
}

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_GET_KEEPCAPS: i32 = 7;
const PR_SET_KEEPCAPS: i32 = 8;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_SET_CHILD_SUBREAPER: i32 = 36;
const PR_GET_CHILD_SUBREAPER: i32 = 37;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;

/// prctl (`kernel/sys.c`, `security/commoncap.c` for the keep-caps bit): the name, the
/// parent-death signal, dumpability, keep-caps, child subreaper and no-new-privs. Other
/// options answer EINVAL as an unknown option does on Linux.
///
/// The parent-death signal is sent when the parent *process* ends (Linux: when the parent
/// thread that forked the child exits, even if its process lives on).
pub fn prctl(
    context: &mut SyscallContext<'_>,
    option: i32,
    arg2: u64,
    arg3: u64,
    arg4: u64,
    arg5: u64,
) -> SyscallResult {
    let process = &context.thread.process;
    match option {
        PR_SET_PDEATHSIG => {
            if arg2 > u64::from(crate::signal::NSIG) {
                return Err(Errno::EINVAL);
            }
            process.flags.lock().parent_death_signal = arg2 as u32;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let signal = process.flags.lock().parent_death_signal as i32;
            UserPtr::<i32>::new(arg2).write(&signal)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(process.flags.lock().dumpable as usize),
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            process.flags.lock().dumpable = arg2 as u32;
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(usize::from(process.credentials.lock().keep_caps)),
        PR_SET_KEEPCAPS => {
            if arg2 > 1 {
                return Err(Errno::EINVAL);
            }
            process.credentials.lock().keep_caps = arg2 == 1;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            process.flags.lock().is_child_subreaper = arg2 != 0;
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let value = i32::from(process.flags.lock().is_child_subreaper);
            UserPtr::<i32>::new(arg2).write(&value)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if arg2 != 1 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            process.flags.lock().no_new_privs = true;
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if arg2 != 0 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(usize::from(process.flags.lock().no_new_privs))
        }
        PR_SET_NAME => {
            // Like strncpy_from_user(comm, arg2, 15): at most 15 bytes, a NUL may end it early.
            let mut raw = [0u8; 16];
            match super::args::UserCStr(arg2).read(15) {
                Ok(name) => raw[..name.len()].copy_from_slice(&name),
                Err(Errno::ENAMETOOLONG) => hal::usercopy::copy_from_user(&mut raw[..15], arg2)?,
                Err(error) => return Err(error),
            }
            *context.thread.comm.lock() = raw;
            if context.thread.tid() == context.thread.process.pid {
                // The group leader's name is the process's (`/proc/<pid>/comm`).
                *context.thread.process.name.lock() = raw;
            }
            Ok(0)
        }
        PR_GET_NAME => {
            let name = context.thread.name();
            hal::usercopy::copy_to_user(arg2, &name)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
