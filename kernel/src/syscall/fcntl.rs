//! dup, dup2, dup3, fcntl (Linux `fs/fcntl.c`, `fs/file.c`), with the pipe commands
//! `F_GETPIPE_SZ`/`F_SETPIPE_SZ` (`pipe_fcntl`; `EBADF` on other files), the record-lock
//! commands (`super::locks`), the seal commands `F_ADD_SEALS`/`F_GET_SEALS` (`memfd_fcntl`;
//! `EINVAL` on files that cannot be sealed), the owner and signal of signal-driven I/O
//! (`F_SETOWN`, `F_GETOWN`, `F_SETOWN_EX`, `F_GETOWN_EX`, `F_SETSIG`, `F_GETSIG`;
//! `fs::fasync`), `O_ASYNC` through the file's fasync method, leases (`F_SETLEASE`,
//! `F_GETLEASE`; `fs::locks`) and dnotify (`F_NOTIFY`; `fs::dnotify`). An `O_PATH`
//! descriptor allows only `F_DUPFD*`, `F_GETFD`, `F_SETFD` and `F_GETFL` (`check_fcntl_cmd`).

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use crate::fs::fasync::{OwnerKind, set_owner};
use crate::fs::file::OpenFile;
use crate::process::rlimit::RLIMIT_NOFILE;
use abi::fcntl::FD_CLOEXEC;
use abi::fcntl::cmd::{
    F_ADD_SEALS, F_DUPFD, F_DUPFD_CLOEXEC, F_GET_SEALS, F_GETFD, F_GETFL, F_GETLEASE, F_GETOWN,
    F_GETOWN_EX, F_GETPIPE_SZ, F_GETSIG, F_NOTIFY, F_SETFD, F_SETFL, F_SETLEASE, F_SETOWN,
    F_SETOWN_EX, F_SETPIPE_SZ, F_SETSIG,
};
use abi::fcntl::owner_type::{F_OWNER_PGRP, F_OWNER_PID, F_OWNER_TID};
use abi::{Errno, KnownFlags, OpenFlags};
use alloc::sync::Arc;

/// The descriptor bound: `RLIMIT_NOFILE`'s soft limit.
pub(crate) fn descriptor_limit(context: &SyscallContext<'_>) -> usize {
    context
        .thread
        .process
        .limits
        .lock()
        .get(RLIMIT_NOFILE)
        .map_or(1024, |limit| {
            limit.soft.min(crate::sysctl::nr_open()) as usize
        })
}

/// Installs `file` at the lowest free descriptor (Linux's `get_unused_fd_flags` + `fd_install`).
pub(super) fn install(
    context: &SyscallContext<'_>,
    file: Arc<OpenFile>,
    is_close_on_exec: bool,
) -> SyscallResult {
    let limit = descriptor_limit(context);
    let fd =
        context
            .thread
            .process
            .files
            .get()
            .lock()
            .insert_from(0, file, is_close_on_exec, limit)?;
    Ok(fd as usize)
}

pub fn dup(context: &mut SyscallContext<'_>, fd: Fd) -> SyscallResult {
    let limit = descriptor_limit(context);
    let files_shared = context.thread.process.files.get();
    let mut files = files_shared.lock();
    let file = files.get(fd.0)?;
    files
        .insert_from(0, file, false, limit)
        .map(|fd| fd as usize)
}

fn duplicate_to(
    context: &SyscallContext<'_>,
    old: Fd,
    new: Fd,
    is_close_on_exec: bool,
) -> SyscallResult {
    let limit = descriptor_limit(context);
    let new_index = usize::try_from(new.0).map_err(|_| Errno::EBADF)?;
    if new_index >= limit {
        return Err(Errno::EBADF);
    }
    let replaced = {
        let files_shared = context.thread.process.files.get();
        let mut files = files_shared.lock();
        let file = files.get(old.0)?;
        files.install(new_index, file, is_close_on_exec)?
    };
    drop(replaced); // closed outside the table lock
    Ok(new_index)
}

pub fn dup2(context: &mut SyscallContext<'_>, old: Fd, new: Fd) -> SyscallResult {
    if old == new {
        context.thread.process.files.get().lock().get(old.0)?;
        return Ok(new.0 as usize);
    }
    duplicate_to(context, old, new, false)
}

pub fn dup3(context: &mut SyscallContext<'_>, old: Fd, new: Fd, flags: OpenFlags) -> SyscallResult {
    let flags = flags.accept_only(OpenFlags::O_CLOEXEC)?;
    if old == new {
        return Err(Errno::EINVAL);
    }
    duplicate_to(context, old, new, flags.contains(OpenFlags::O_CLOEXEC))
}

pub fn fcntl(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    command: u32,
    argument: u64,
) -> SyscallResult {
    let limit = descriptor_limit(context);
    let files_shared = context.thread.process.files.get();
    let mut files = files_shared.lock();
    let file = files.get(fd.0)?;
    if super::locks::is_lock_command(command) {
        if file.is_path_only() {
            return Err(Errno::EBADF);
        }
        let table_id = files.lock_owner();
        drop(files); // F_SETLKW sleeps
        return super::locks::fcntl_lock(context, fd, file, table_id, command, argument);
    }
    // check_fcntl_cmd: an O_PATH descriptor allows only these.
    if file.is_path_only()
        && !matches!(
            command,
            F_DUPFD | F_DUPFD_CLOEXEC | F_GETFD | F_SETFD | F_GETFL
        )
    {
        return Err(Errno::EBADF);
    }
    match command {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let minimum = argument as u32 as i32;
            if minimum < 0 || minimum as usize >= limit {
                return Err(Errno::EINVAL);
            }
            files
                .insert_from(minimum as usize, file, command == F_DUPFD_CLOEXEC, limit)
                .map(|fd| fd as usize)
        }
        F_GETFD => Ok(usize::from(files.is_close_on_exec(fd.0)?)),
        F_SETFD => {
            files.set_close_on_exec(fd.0, argument & u64::from(FD_CLOEXEC) != 0)?;
            Ok(0)
        }
        F_GETFL => Ok(file.status_flags().bits() as usize),
        F_SETFL => {
            drop(files);
            if file.is_path_only() {
                return Err(Errno::EBADF);
            }
            let flags = OpenFlags::from_bits_retain(argument as u32);
            // setfl: O_DIRECT is packet mode on pipes and FIFOs, and needs direct I/O
            // (`FMODE_CAN_ODIRECT`) on anything else.
            if flags.contains(OpenFlags::O_DIRECT)
                && !file.ops.can_direct_io()
                && file.ops.as_pipe().is_none()
                && file.metadata().file_type != vfs::FileType::Fifo
            {
                return Err(Errno::EINVAL);
            }
            // setfl: the file's fasync method joins or leaves its object's signal list (and
            // sets or clears O_ASYNC, which is not in SETFL_MASK).
            let is_async = flags.contains(OpenFlags::O_ASYNC);
            if is_async != file.status_flags().contains(OpenFlags::O_ASYNC)
                && let Some(result) = file.ops.fasync(&file, fd.0, is_async)
            {
                result?;
            }
            file.set_status_flags(flags);
            Ok(0)
        }
        F_GETOWN => Ok(crate::fs::fasync::owner_of(&file) as isize as usize),
        F_SETOWN => {
            drop(files);
            crate::fs::fasync::set_owner_of(&file, argument as u32 as i32, &context.thread.process)
                .map(|()| 0)
        }
        F_GETOWN_EX => {
            drop(files);
            let owner = *file.owner.lock();
            let kind = match owner.kind {
                OwnerKind::Thread => F_OWNER_TID,
                OwnerKind::Process => F_OWNER_PID,
                OwnerKind::Group => F_OWNER_PGRP,
            };
            let record: [u32; 2] = [kind, crate::fs::fasync::owner_id_seen(&owner)];
            hal::usercopy::write_user(argument, &record)?;
            Ok(0)
        }
        F_SETOWN_EX => {
            drop(files);
            let [kind, id]: [u32; 2] = hal::usercopy::read_user(argument)?;
            let kind = match kind {
                F_OWNER_TID => OwnerKind::Thread,
                F_OWNER_PID => OwnerKind::Process,
                F_OWNER_PGRP => OwnerKind::Group,
                _ => return Err(Errno::EINVAL),
            };
            // find_vpid of a negative number finds nothing.
            if (id as i32) < 0 {
                return Err(Errno::ESRCH);
            }
            set_owner(&file, kind, id, &context.thread.process).map(|()| 0)
        }
        F_NOTIFY => {
            let table = files.lock_owner();
            drop(files);
            crate::fs::dnotify::fcntl_notify(
                &file,
                fd.0,
                table,
                argument as u32,
                &context.thread.process,
            )
        }
        F_SETLEASE => {
            drop(files);
            crate::fs::locks::set_lease(&file, fd.0, argument, &context.thread.process)
        }
        F_GETLEASE => {
            drop(files);
            crate::fs::locks::get_lease(&file)
        }
        F_GETSIG => Ok(file.owner.lock().signum as usize),
        F_SETSIG => {
            // valid_signal of the int argument widened to unsigned long: 0..=64.
            let signal = argument as u32 as i32;
            if !(0..=64).contains(&signal) {
                return Err(Errno::EINVAL);
            }
            file.owner.lock().signum = signal as u32;
            Ok(0)
        }
        F_SETPIPE_SZ | F_GETPIPE_SZ => {
            drop(files);
            let pipe = file.ops.as_pipe().ok_or(Errno::EBADF)?;
            if command == F_GETPIPE_SZ {
                return Ok(pipe.size());
            }
            let is_privileged = context
                .thread
                .process
                .credentials
                .lock()
                .has_capability(abi::capability::CAP_SYS_RESOURCE);
            pipe.set_size(argument, is_privileged)
        }
        F_ADD_SEALS | F_GET_SEALS => {
            drop(files);
            let inode = file.ops.inode().ok_or(Errno::EINVAL)?;
            if command == F_GET_SEALS {
                return inode.seals().map(|seals| seals as usize);
            }
            // memfd_add_seals: only a writer may seal; F_SEAL_WRITE waits for no shared
            // mapping that could still write.
            let current = inode.seals()?;
            let seals = argument as u32;
            if !file.is_writable() {
                return Err(Errno::EPERM);
            }
            if seals & !vfs::tmpfs::seals::ALL_SEALS != 0 {
                return Err(Errno::EINVAL);
            }
            if current & vfs::tmpfs::seals::F_SEAL_SEAL != 0 {
                return Err(Errno::EPERM);
            }
            if seals & vfs::tmpfs::seals::F_SEAL_WRITE != 0
                && current & vfs::tmpfs::seals::F_SEAL_WRITE == 0
                && inode
                    .page_cache()
                    .is_some_and(|cache| cache.has_shared_writable_mappings())
            {
                return Err(Errno::EBUSY);
            }
            inode.add_seals(seals).map(|()| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}
