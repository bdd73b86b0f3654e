//! Identity, limits, system information, reboot, randomness, arch_prctl, exit (Linux
//! `kernel/sys.c`, `kernel/exit.c`, `arch/x86/kernel/process_64.c`, `drivers/char/random.c`).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::rlimit::Limit;
use abi::{Errno, Rlimit, Sysinfo, Utsname};
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

fn check_pid_is_self(context: &SyscallContext<'_>, pid: i32) -> Result<(), Errno> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && pid as u32 != context.thread.process.pid {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

pub fn getpgid(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    check_pid_is_self(context, pid)?;
    Ok(context.thread.process.pgid.load(Ordering::Relaxed) as usize)
}

pub fn getsid(context: &mut SyscallContext<'_>, pid: i32) -> SyscallResult {
    check_pid_is_self(context, pid)?;
    Ok(context.thread.process.sid.load(Ordering::Relaxed) as usize)
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
    let (heap_total, heap_used) = hal::mm::heap::stats();
    let page = 4096u64;
    let value = Sysinfo {
        // Linux rounds the uptime up to whole seconds.
        uptime: hal::time::monotonic_ns().div_ceil(1_000_000_000) as i64,
        totalram: total_frames as u64 * page + heap_total as u64,
        freeram: free_frames as u64 * page + (heap_total - heap_used) as u64,
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
    let is_privileged = context.thread.process.credentials.lock().euid == 0;
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

pub fn prlimit64(
    context: &mut SyscallContext<'_>,
    pid: i32,
    resource: u32,
    new: UserPtr<Rlimit>,
    old: UserPtr<Rlimit>,
) -> SyscallResult {
    if resource as usize >= crate::process::rlimit::COUNT {
        return Err(Errno::EINVAL);
    }
    check_pid_is_self(context, pid)?;
    let new_limit = if new.is_null() {
        None
    } else {
        Some(new.read()?)
    };
    let is_privileged = context.thread.process.credentials.lock().euid == 0;
    let previous = {
        let mut limits = context.thread.process.limits.lock();
        match new_limit {
            Some(value) => limits.set(
                resource as usize,
                Limit {
                    soft: value.rlim_cur,
                    hard: value.rlim_max,
                },
                is_privileged,
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

const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;

/// prctl: PR_SET_NAME and PR_GET_NAME; the other options come with the process issue.
pub fn prctl(
    context: &mut SyscallContext<'_>,
    option: i32,
    arg2: u64,
    _arg3: u64,
    _arg4: u64,
    _arg5: u64,
) -> SyscallResult {
    match option {
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
