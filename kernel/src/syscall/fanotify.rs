//! fanotify_init and fanotify_mark (Linux 6.1 `fs/notify/fanotify/fanotify_user.c`,
//! fanotify_init(2), fanotify_mark(2)); the groups themselves are `crate::fs::fanotify`'s and
//! the checks the `fanotify` crate's.
//!
//! `fanotify_init`: the crate's checks (`EPERM` for an unprivileged caller outside the 5.13+
//! subset, `EINVAL`), then `EMFILE` beyond `fs.fanotify.max_user_groups`, the class
//! (`EINVAL`), `FAN_ENABLE_AUDIT` without CAP_AUDIT_WRITE (`EPERM`), and the descriptor
//! (`EMFILE`, `ENFILE`). The file is `O_RDWR`, with `O_NONBLOCK` for `FAN_NONBLOCK`.
//!
//! `fanotify_mark`: the crate's argument checks (`EINVAL`), the group's descriptor (`EBADF`,
//! `EINVAL` for another file), the group checks (`EPERM`, `EINVAL`), `FAN_MARK_FLUSH`, the
//! object (`pathname` NULL: `dirfd` itself, `EBADF`, `ENOTDIR` with `FAN_MARK_ONLYDIR`;
//! otherwise the path relative to `dirfd`, followed unless `FAN_MARK_DONT_FOLLOW`, a
//! directory with `FAN_MARK_ONLYDIR`), read permission on it (`EACCES`), the target checks
//! for an addition (`EINVAL`, `ENOTDIR`), file-id groups' fsid (`ENODEV`: no Ferrux
//! filesystem reports one yet), the ignore-mask rules (`EISDIR`, `EINVAL`), then the mark is
//! added (`EEXIST`, `ENOSPC` beyond `fs.fanotify.max_user_marks`) or removed (`ENOENT`).

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::fanotify::{FanotifyFile, Group};
use crate::fs::file::OpenFile;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use fanotify::mark::{Command, Target};
use fanotify::*;
use vfs::path::Lookup;

pub fn fanotify_init(
    context: &mut SyscallContext<'_>,
    flags: u32,
    event_f_flags: u32,
) -> SyscallResult {
    let (is_admin, can_audit, euid) = {
        let credentials = context.thread.process.credentials.lock();
        (
            credentials.has_capability(abi::capability::CAP_SYS_ADMIN),
            credentials.has_capability(abi::capability::CAP_AUDIT_WRITE),
            credentials.euid,
        )
    };
    let is_unprivileged = fanotify::init::check(flags, event_f_flags, is_admin)?;
    let group = Group::try_new(
        crate::process::user::User::get(euid),
        flags,
        event_f_flags,
        is_unprivileged,
        can_audit,
    )?;
    let mut status = OpenFlags::O_RDWR;
    if flags & FAN_NONBLOCK != 0 {
        status |= OpenFlags::O_NONBLOCK;
    }
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let ops = Arc::new(FanotifyFile { group });
    let file = Arc::new(OpenFile::new(ops, None, status, charge)?);
    super::fcntl::install(context, file, flags & FAN_CLOEXEC != 0)
}

pub fn fanotify_mark(
    context: &mut SyscallContext<'_>,
    fanotify_fd: Fd,
    flags: u32,
    mask: u64,
    dirfd: Fd,
    pathname: UserCStr,
) -> SyscallResult {
    let args = fanotify::mark::check_args(flags, mask)?;
    let file = super::read_write::file(context, fanotify_fd)?;
    let group = file.ops.as_fanotify().ok_or(Errno::EINVAL)?.clone();
    let is_admin = context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_ADMIN);
    let info = group.info();
    fanotify::mark::check_group(&args, &info, is_admin)?;
    if args.command == Command::Flush {
        group.flush(args.obj);
        return Ok(0);
    }
    // fanotify_find_path.
    let path = if pathname.0 == 0 {
        let target = context.thread.process.files.get().lock().get(dirfd.0)?;
        let is_dir = target.ops.metadata().file_type.is_dir();
        if flags & FAN_MARK_ONLYDIR != 0 && !is_dir {
            return Err(Errno::ENOTDIR);
        }
        match &target.path {
            Some(path) => path.clone(),
            // Pipes, sockets and anonymous files live on internal filesystems, which take
            // no mount or filesystem mark; Ferrux keeps no inode marks on them either.
            None => return Err(Errno::EINVAL),
        }
    } else {
        let name = pathname.read_path()?;
        let how = Lookup {
            follow: flags & FAN_MARK_DONT_FOLLOW == 0,
            directory: flags & FAN_MARK_ONLYDIR != 0,
            resolve: 0,
        };
        crate::fs::lookup(context.thread, dirfd, &name, how)?
    };
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::perm::may_access(&path.metadata(), &credentials, vfs::perm::MAY_READ)?;
    let is_dir = path.inode().file_type().is_dir();
    if args.command == Command::Add {
        let target = Target {
            is_dir,
            disallows_perm: path.dentry().superblock().fs().name() == "proc",
            is_internal: false,
        };
        fanotify::mark::check_target(&args, &info, &target)?;
    }
    if info.fid_mode != 0 {
        // fanotify_test_fsid: a filesystem whose statfs reports no fsid (all of Ferrux's
        // today, as tmpfs, proc and sysfs on 6.1) cannot report file ids.
        return Err(Errno::ENODEV);
    }
    let (mask, umask) = fanotify::mark::final_masks(&args, info.fid_mode, is_dir)?;
    let obj = args.obj;
    match args.command {
        Command::Add => group.add_mark(&path, obj, mask, flags)?,
        Command::Remove => group.remove_mark(&path, obj, mask, flags, umask)?,
        Command::Flush => {}
    }
    Ok(0)
}
