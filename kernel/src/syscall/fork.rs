//! fork, vfork, clone, clone3, unshare and set_tid_address (Linux `kernel/fork.c`). The work is in `process::fork`; this
//! file decodes the two calling conventions. On x86-64, clone's arguments are
//! `(flags, stack, parent_tid, child_tid, tls)`.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::fork::{CloneRequest, check_exit_signal, clone as do_clone};
use abi::sched::{CLONE_ARGS_SIZE_VER0, CSIGNAL};
use abi::{CloneFlags, Errno, KnownFlags, OpenFlags, PidfdFlags};
use core::sync::atomic::Ordering;
use zerocopy::FromBytes;

pub fn fork(context: &mut SyscallContext<'_>) -> SyscallResult {
    let request = CloneRequest {
        exit_signal: sigrules::SIGCHLD,
        ..CloneRequest::default()
    };
    Ok(do_clone(context.thread, context.user, request)? as usize)
}

pub fn vfork(context: &mut SyscallContext<'_>) -> SyscallResult {
    let request = CloneRequest {
        flags: CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK,
        exit_signal: sigrules::SIGCHLD,
        ..CloneRequest::default()
    };
    Ok(do_clone(context.thread, context.user, request)? as usize)
}

pub fn clone(
    context: &mut SyscallContext<'_>,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> SyscallResult {
    // Legacy clone ignores CLONE_DETACHED and takes the exit signal from the low byte; the
    // clone3-only flags above 32 bits are not accepted here.
    let (flags, signal) = CloneFlags::from_clone_arg(flags);
    let exit_signal = if flags.contains(CloneFlags::CLONE_THREAD) {
        0
    } else {
        signal
    };
    // Legacy clone passes the pidfd address in the parent_tid argument.
    if flags.contains(CloneFlags::CLONE_PIDFD | CloneFlags::CLONE_PARENT_SETTID) {
        return Err(Errno::EINVAL);
    }
    let request = CloneRequest {
        flags: flags - CloneFlags::CLONE_DETACHED,
        exit_signal,
        stack,
        parent_tid,
        child_tid,
        tls,
        pidfd: parent_tid,
        ..CloneRequest::default()
    };
    Ok(do_clone(context.thread, context.user, request)? as usize)
}

/// `struct clone_args` (version 2, 88 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

pub fn clone3(context: &mut SyscallContext<'_>, args: UserPtr<u8>, size: usize) -> SyscallResult {
    let full = core::mem::size_of::<CloneArgs>();
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; 4096];
    hal::usercopy::copy_from_user(&mut bytes[..size], args.address)?;
    // A larger struct from a newer libc is fine if the extra bytes are zero (E2BIG otherwise).
    if size > full && bytes[full..size].iter().any(|&byte| byte != 0) {
        return Err(Errno::E2BIG);
    }
    let Ok(value) = CloneArgs::read_from_bytes(&bytes[..full]) else {
        return Err(Errno::EINVAL);
    };
    let flags = CloneFlags::from_bits_retain(value.flags);
    // The exit signal's bits are free in clone3, but for CLONE_NEWTIME (`clone3_args_valid`).
    if flags.contains(CloneFlags::CLONE_DETACHED)
        || value.flags & (CSIGNAL & !CloneFlags::CLONE_NEWTIME.bits()) != 0
    {
        return Err(Errno::EINVAL);
    }
    // `copy_clone_args_from_user`: at most MAX_PID_NS_LEVEL ids, an array exactly when a
    // size is given.
    let mut set_tid = crate::process::fork::SetTid::default();
    if value.set_tid_size > u64::from(crate::ns::pid::MAX_LEVEL)
        || (value.set_tid == 0) != (value.set_tid_size == 0)
    {
        return Err(Errno::EINVAL);
    }
    if value.set_tid_size != 0 {
        let len = value.set_tid_size as usize;
        let mut raw = [0i32; crate::ns::pid::MAX_LEVEL as usize];
        for (index, slot) in raw[..len].iter_mut().enumerate() {
            *slot = hal::usercopy::read_user::<i32>(value.set_tid + index as u64 * 4)?;
        }
        for (index, &nr) in raw[..len].iter().enumerate() {
            // Linux takes a pid_t: a negative one is out of range.
            set_tid.ids[index] = if nr <= 0 { 0 } else { nr as u32 };
        }
        set_tid.len = len;
    }
    if flags.contains(CloneFlags::CLONE_INTO_CGROUP)
        || (value.stack == 0) != (value.stack_size == 0)
    {
        return Err(Errno::EINVAL);
    }
    let flags = flags.accept_only(CloneFlags::CLONE3_VALID)?;
    let exit_signal = check_exit_signal(value.exit_signal)?;
    if flags.intersects(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_PARENT) && exit_signal != 0 {
        return Err(Errno::EINVAL);
    }
    let request = CloneRequest {
        flags,
        exit_signal: if flags.contains(CloneFlags::CLONE_THREAD) {
            0
        } else {
            exit_signal
        },
        // clone3 takes the lowest address and the size; the stack grows down from the top.
        stack: if value.stack == 0 {
            0
        } else {
            value.stack.wrapping_add(value.stack_size)
        },
        parent_tid: value.parent_tid,
        child_tid: value.child_tid,
        tls: value.tls,
        pidfd: value.pidfd,
        set_tid,
    };
    Ok(do_clone(context.thread, context.user, request)? as usize)
}

/// `pidfd_open`: a pidfd for process `pid` (a thread-group leader), close-on-exec.
pub fn pidfd_open(context: &mut SyscallContext<'_>, pid: i32, flags: PidfdFlags) -> SyscallResult {
    let flags = flags.accept_only(PidfdFlags::all())?;
    if pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let status = if flags.contains(PidfdFlags::PIDFD_NONBLOCK) {
        OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::empty()
    };
    let process = crate::process::table::find_process_in(context.thread.pid_ns(), pid as u32)
        .ok_or(Errno::ESRCH)?;
    let limit = super::fcntl::descriptor_limit(context);
    let charge = crate::fs::file_table::charge_with_descriptor(context.thread, limit)?;
    let files = context.thread.process.files.get();
    let fd = crate::fs::pidfd::install(&mut files.lock(), process, status, limit, charge)?;
    Ok(fd as usize)
}

pub fn set_tid_address(context: &mut SyscallContext<'_>, address: u64) -> SyscallResult {
    context
        .thread
        .clear_child_tid
        .store(address, Ordering::Relaxed);
    Ok(context.thread.tid_in(context.thread.pid_ns()) as usize)
}

/// `unshare`: the work is `crate::ns::syscalls::unshare`.
pub fn unshare(context: &mut SyscallContext<'_>, flags: u64) -> SyscallResult {
    crate::ns::syscalls::unshare(context.thread, flags)?;
    Ok(0)
}
