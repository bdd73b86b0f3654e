//! inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (Linux
//! `fs/notify/inotify/inotify_user.c`, inotify(7)); the instances themselves are
//! `crate::fs::notify`'s.
//!
//! `inotify_init1`: flags other than `IN_CLOEXEC | IN_NONBLOCK` are `EINVAL`, then an instance
//! beyond `fs.inotify.max_user_instances` is `EMFILE`; the file is `O_RDONLY | O_NONBLOCK?`.
//! `inotify_add_watch`, in Linux's order: a mask with no inotify bit is `EINVAL`, the
//! descriptor must be open (`EBADF`), `IN_MASK_ADD` with `IN_MASK_CREATE` is `EINVAL`, the file
//! must be an instance (`EINVAL`), the path is resolved (followed unless `IN_DONT_FOLLOW`, a
//! directory with `IN_ONLYDIR`), read permission is needed (`EACCES`), then the watch is
//! added or updated (`EEXIST` with `IN_MASK_CREATE`, `ENOSPC` beyond
//! `fs.inotify.max_user_watches`). `inotify_rm_watch`: `EBADF`, `EINVAL` for another file or
//! an unknown descriptor.

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::notify::{Group, InotifyFile};
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use inotify::{
    ALL_INOTIFY_BITS, IN_CLOEXEC, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_NONBLOCK,
    IN_ONLYDIR,
};
use vfs::path::Lookup;

pub fn inotify_init(context: &mut SyscallContext<'_>) -> SyscallResult {
    inotify_init1(context, 0)
}

pub fn inotify_init1(context: &mut SyscallContext<'_>, flags: u32) -> SyscallResult {
    if flags & !(IN_CLOEXEC | IN_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let euid = context.thread.process.credentials.lock().euid;
    let group = Group::try_new(crate::process::user::User::get(euid))?;
    let status = if flags & IN_NONBLOCK != 0 {
        OpenFlags::O_RDONLY | OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::O_RDONLY
    };
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let ops = Arc::new(InotifyFile { group });
    let file = Arc::new(OpenFile::new(ops, None, status, charge)?);
    super::fcntl::install(context, file, flags & IN_CLOEXEC != 0)
}

pub fn inotify_add_watch(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    path: UserCStr,
    mask: u32,
) -> SyscallResult {
    if mask & ALL_INOTIFY_BITS == 0 {
        return Err(Errno::EINVAL);
    }
    let file = super::read_write::file(context, fd)?;
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(Errno::EINVAL);
    }
    let group = file.ops.as_inotify().ok_or(Errno::EINVAL)?.clone();
    let path = path.read_path()?;
    let how = Lookup {
        follow: mask & IN_DONT_FOLLOW == 0,
        directory: mask & IN_ONLYDIR != 0,
        resolve: 0,
    };
    let target = crate::fs::lookup(context.thread, super::namei::AT_FDCWD_FD, &path, how)?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::perm::may_access(&target.metadata(), &credentials, vfs::perm::MAY_READ)?;
    let wd = group.add_watch(target.inode(), mask)?;
    Ok(wd as usize)
}

pub fn inotify_rm_watch(context: &mut SyscallContext<'_>, fd: Fd, wd: i32) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    let group = file.ops.as_inotify().ok_or(Errno::EINVAL)?;
    group.remove_watch(wd, None)?;
    Ok(0)
}
