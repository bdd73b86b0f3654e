//! Path operations: mkdir(at), mknod(at), unlink(at), rmdir, rename(at/at2), link(at), symlink(at),
//! readlink(at), access/faccessat(2), chmod family, chdir, fchdir, getcwd, umask (Linux
//! `fs/namei.c`, `fs/open.c`, `fs/stat.c`, `fs/d_path.c`). The rules live in `vfs::namei`; these
//! handlers convert arguments and copy results.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::{AtFlags, Errno, KnownFlags, RenameFlags};
use vfs::Lookup;

pub(super) const AT_FDCWD_FD: Fd = Fd(AT_FDCWD);

pub fn mkdirat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    fs::with_walk(context.thread, dirfd, &path, |ctx, start| {
        vfs::namei::mkdir(ctx, start, &path, mode)
    })?;
    Ok(0)
}

pub fn mkdir(context: &mut SyscallContext<'_>, path: UserCStr, mode: u32) -> SyscallResult {
    mkdirat(context, AT_FDCWD_FD, path, mode)
}

/// `mknodat(2)` (`do_mknodat`): the kind of node is checked first (`may_mknod`: `EPERM` for a
/// directory, `EINVAL` for an unknown type), before the path is even read. `mode` is a
/// `umode_t` (16 bits) and `dev` a 32-bit `new_encode_dev` number, as the syscall takes them.
pub fn mknodat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    mode: u32,
    dev: u32,
) -> SyscallResult {
    let mode = mode & 0xffff;
    vfs::namei::may_mknod(mode)?;
    let path = path.read_path()?;
    fs::with_walk(context.thread, dirfd, &path, |ctx, start| {
        vfs::namei::mknod(ctx, start, &path, mode, u64::from(dev))
    })?;
    Ok(0)
}

pub fn mknod(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    mode: u32,
    dev: u32,
) -> SyscallResult {
    mknodat(context, AT_FDCWD_FD, path, mode, dev)
}

pub fn unlinkat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.accept_only(AtFlags::AT_REMOVEDIR)?;
    let path = path.read_path()?;
    fs::with_walk(context.thread, dirfd, &path, |ctx, start| {
        if flags.contains(AtFlags::AT_REMOVEDIR) {
            vfs::namei::rmdir(ctx, start, &path)
        } else {
            vfs::namei::unlink(ctx, start, &path)
        }
    })?;
    Ok(0)
}

pub fn unlink(context: &mut SyscallContext<'_>, path: UserCStr) -> SyscallResult {
    unlinkat(context, AT_FDCWD_FD, path, AtFlags::empty())
}

pub fn rmdir(context: &mut SyscallContext<'_>, path: UserCStr) -> SyscallResult {
    unlinkat(context, AT_FDCWD_FD, path, AtFlags::AT_REMOVEDIR)
}

pub fn renameat2(
    context: &mut SyscallContext<'_>,
    old_dirfd: Fd,
    old: UserCStr,
    new_dirfd: Fd,
    new: UserCStr,
    flags: RenameFlags,
) -> SyscallResult {
    let old = old.read_path()?;
    let new = new.read_path()?;
    vfs::path::check_path(&new)?;
    let new_start = fs::start_dentry(context.thread, new_dirfd, &new)?;
    // The flags' rules (unknown bits, EXCHANGE with the others: EINVAL) are vfs::namei::rename's,
    // checked before its walks as in do_renameat2.
    fs::with_walk(context.thread, old_dirfd, &old, |ctx, old_start| {
        vfs::namei::rename(ctx, old_start, &old, &new_start, &new, flags.bits())
    })?;
    Ok(0)
}

pub fn renameat(
    context: &mut SyscallContext<'_>,
    old_dirfd: Fd,
    old: UserCStr,
    new_dirfd: Fd,
    new: UserCStr,
) -> SyscallResult {
    renameat2(
        context,
        old_dirfd,
        old,
        new_dirfd,
        new,
        RenameFlags::empty(),
    )
}

pub fn rename(context: &mut SyscallContext<'_>, old: UserCStr, new: UserCStr) -> SyscallResult {
    renameat2(
        context,
        AT_FDCWD_FD,
        old,
        AT_FDCWD_FD,
        new,
        RenameFlags::empty(),
    )
}

pub fn linkat(
    context: &mut SyscallContext<'_>,
    old_dirfd: Fd,
    old: UserCStr,
    new_dirfd: Fd,
    new: UserCStr,
    flags: AtFlags,
) -> SyscallResult {
    let old = old.read_path()?;
    let new = new.read_path()?;
    let flags = flags.accept_only(AtFlags::AT_SYMLINK_FOLLOW | AtFlags::AT_EMPTY_PATH)?;
    // do_linkat: naming an object by its descriptor needs CAP_DAC_READ_SEARCH.
    if flags.contains(AtFlags::AT_EMPTY_PATH) {
        let capable = context
            .thread
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_DAC_READ_SEARCH);
        if !capable {
            return Err(Errno::ENOENT);
        }
    }
    vfs::path::check_path(&new)?;
    let new_start = fs::start_dentry(context.thread, new_dirfd, &new)?;
    if old.is_empty() && flags.contains(AtFlags::AT_EMPTY_PATH) {
        let old = fs::lookup_or_fd(context.thread, old_dirfd, &old, Lookup::NOFOLLOW, true)?;
        fs::with_walk(context.thread, new_dirfd, &new, |ctx, _| {
            vfs::namei::link_path(ctx, &old, &new_start, &new)
        })?;
        return Ok(0);
    }
    fs::with_walk(context.thread, old_dirfd, &old, |ctx, old_start| {
        vfs::namei::link(
            ctx,
            old_start,
            &old,
            &new_start,
            &new,
            flags.contains(AtFlags::AT_SYMLINK_FOLLOW),
        )
    })?;
    Ok(0)
}

pub fn link(context: &mut SyscallContext<'_>, old: UserCStr, new: UserCStr) -> SyscallResult {
    linkat(
        context,
        AT_FDCWD_FD,
        old,
        AT_FDCWD_FD,
        new,
        AtFlags::empty(),
    )
}

pub fn symlinkat(
    context: &mut SyscallContext<'_>,
    target: UserCStr,
    dirfd: Fd,
    path: UserCStr,
) -> SyscallResult {
    let target = target.read_path()?;
    let path = path.read_path()?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    fs::with_walk(context.thread, dirfd, &path, |ctx, start| {
        vfs::namei::symlink(ctx, &target, start, &path)
    })?;
    Ok(0)
}

pub fn symlink(
    context: &mut SyscallContext<'_>,
    target: UserCStr,
    path: UserCStr,
) -> SyscallResult {
    symlinkat(context, target, AT_FDCWD_FD, path)
}

pub fn readlinkat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    buf: UserPtr<u8>,
    size: i32,
) -> SyscallResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path()?;
    let target = if path.is_empty() {
        // An empty path names `dirfd` itself (an O_PATH descriptor of a symlink).
        if dirfd.0 == AT_FDCWD {
            return Err(Errno::ENOENT);
        }
        let dentry = fs::lookup_or_fd(context.thread, dirfd, &path, Lookup::NOFOLLOW, true)?;
        if dentry.metadata().file_type != vfs::FileType::Symlink {
            return Err(Errno::ENOENT);
        }
        dentry.touch_atime();
        dentry.inode().readlink()?
    } else {
        fs::with_walk(context.thread, dirfd, &path, |ctx, start| {
            vfs::namei::readlink(ctx, start, &path)
        })?
    };
    let len = target.len().min(size as usize);
    hal::usercopy::copy_to_user(buf.address, &target[..len])?;
    Ok(len)
}

pub fn readlink(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    buf: UserPtr<u8>,
    size: i32,
) -> SyscallResult {
    readlinkat(context, AT_FDCWD_FD, path, buf, size)
}

pub fn faccessat2(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    mode: u32,
    flags: AtFlags,
) -> SyscallResult {
    if mode & !abi::mode::S_IRWXO != 0 {
        return Err(Errno::EINVAL);
    }
    let flags = flags
        .accept_only(AtFlags::AT_EACCESS | AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH)?;
    let path = path.read_path()?;
    // access(2) checks with the real ids unless AT_EACCESS asks for the effective ones.
    let credentials = {
        let credentials = context.thread.process.credentials.lock();
        if flags.contains(AtFlags::AT_EACCESS) {
            credentials.for_fs()
        } else {
            credentials.for_access()
        }
    };
    let follow = !flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW);
    if path.is_empty() && flags.contains(AtFlags::AT_EMPTY_PATH) {
        let dentry = fs::lookup_or_fd(context.thread, dirfd, &path, Lookup::FOLLOW, true)?;
        vfs::namei::access_path(&dentry, &credentials, mode)?;
        return Ok(0);
    }
    vfs::path::check_path(&path)?;
    let start = fs::start_dentry(context.thread, dirfd, &path)?;
    let (root, umask) = {
        let fs_shared = context.thread.process.fs.get();
        let fs = fs_shared.lock();
        (fs.root.clone(), fs.umask)
    };
    let ctx = vfs::Ctx {
        root: &root,
        creds: &credentials,
        umask,
    };
    vfs::namei::access(&ctx, &start, &path, mode, follow)?;
    Ok(0)
}

pub fn faccessat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    mode: u32,
) -> SyscallResult {
    faccessat2(context, dirfd, path, mode, AtFlags::empty())
}

pub fn access(context: &mut SyscallContext<'_>, path: UserCStr, mode: u32) -> SyscallResult {
    faccessat2(context, AT_FDCWD_FD, path, mode, AtFlags::empty())
}

pub fn fchmodat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    let dentry = fs::lookup(context.thread, dirfd, &path, Lookup::FOLLOW)?;
    dentry.want_write()?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::attr::chmod(dentry.inode().as_ref(), mode, &credentials)?;
    fs::notify::path_event(dentry.dentry(), inotify::IN_ATTRIB, false);
    Ok(0)
}

pub fn chmod(context: &mut SyscallContext<'_>, path: UserCStr, mode: u32) -> SyscallResult {
    fchmodat(context, AT_FDCWD_FD, path, mode)
}

pub fn fchmod(context: &mut SyscallContext<'_>, fd: Fd, mode: u32) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if let Some(path) = &file.path {
        path.want_write()?;
    }
    let credentials = context.thread.process.credentials.lock().for_fs();
    match (file.ops.inode(), &file.path) {
        (Some(inode), _) => vfs::attr::chmod(inode.as_ref(), mode, &credentials)?,
        (None, Some(dentry)) => vfs::attr::chmod(dentry.inode().as_ref(), mode, &credentials)?,
        (None, None) => return Err(Errno::EBADF),
    }
    fs::notify::file_event(&file, inotify::IN_ATTRIB);
    Ok(0)
}

pub fn umask(context: &mut SyscallContext<'_>, mask: u32) -> SyscallResult {
    let fs_shared = context.thread.process.fs.get();
    let mut fs = fs_shared.lock();
    let old = fs.umask;
    fs.umask = mask & vfs::inode::S_IRWXUGO;
    Ok(old as usize)
}

pub fn chdir(context: &mut SyscallContext<'_>, path: UserCStr) -> SyscallResult {
    let path = path.read_path()?;
    let dentry = fs::with_walk(context.thread, AT_FDCWD_FD, &path, |ctx, start| {
        vfs::namei::chdir(ctx, start, &path)
    })?;
    context.thread.process.fs.get().lock().cwd = dentry;
    Ok(0)
}

pub fn fchdir(context: &mut SyscallContext<'_>, fd: Fd) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    let dentry = file.path.clone().ok_or(Errno::ENOTDIR)?;
    if !dentry.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::perm::may_access(&dentry.metadata(), &credentials, vfs::perm::MAY_EXEC)?;
    context.thread.process.fs.get().lock().cwd = dentry;
    Ok(0)
}

pub fn getcwd(context: &mut SyscallContext<'_>, buf: UserPtr<u8>, size: usize) -> SyscallResult {
    let (root, cwd) = {
        let fs_shared = context.thread.process.fs.get();
        let fs = fs_shared.lock();
        (fs.root.clone(), fs.cwd.clone())
    };
    let mut path = vfs::namei::getcwd(&root, &cwd)?;
    path.push(0);
    if path.len() > size {
        return Err(Errno::ERANGE);
    }
    hal::usercopy::copy_to_user(buf.address, &path)?;
    Ok(path.len())
}

/// `fchownat` (Linux `fs/open.c` `do_fchownat`, `chown_common`): -1 leaves an id alone;
/// the rules (owner change needs CAP_CHOWN, group change needs ownership and membership,
/// set-id bits cleared) are `vfs::attr::chown`'s, checked with the filesystem ids.
pub fn fchownat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    uid: u32,
    gid: u32,
    flags: AtFlags,
) -> SyscallResult {
    let flags = flags.accept_only(AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH)?;
    let path = path.read_path()?;
    let lookup = if flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW) {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    let dentry = fs::lookup_or_fd(
        context.thread,
        dirfd,
        &path,
        lookup,
        flags.contains(AtFlags::AT_EMPTY_PATH),
    )?;
    dentry.want_write()?;
    change_owner(context, dentry.inode().as_ref(), uid, gid)?;
    fs::notify::path_event(dentry.dentry(), inotify::IN_ATTRIB, false);
    Ok(0)
}

fn change_owner(
    context: &SyscallContext<'_>,
    inode: &dyn vfs::Inode,
    uid: u32,
    gid: u32,
) -> SyscallResult {
    let credentials = context.thread.process.credentials.lock().for_fs();
    let id = |value: u32| (value != u32::MAX).then_some(value);
    vfs::attr::chown(inode, id(uid), id(gid), &credentials)?;
    Ok(0)
}

pub fn chown(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    uid: u32,
    gid: u32,
) -> SyscallResult {
    fchownat(context, AT_FDCWD_FD, path, uid, gid, AtFlags::empty())
}

pub fn lchown(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    uid: u32,
    gid: u32,
) -> SyscallResult {
    fchownat(
        context,
        AT_FDCWD_FD,
        path,
        uid,
        gid,
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
}

pub fn fchown(context: &mut SyscallContext<'_>, fd: Fd, uid: u32, gid: u32) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if let Some(path) = &file.path {
        path.want_write()?;
    }
    match (file.ops.inode(), &file.path) {
        (Some(inode), _) => change_owner(context, inode.as_ref(), uid, gid)?,
        (None, Some(dentry)) => change_owner(context, dentry.inode().as_ref(), uid, gid)?,
        (None, None) => return Err(Errno::EBADF),
    };
    fs::notify::file_event(&file, inotify::IN_ATTRIB);
    Ok(0)
}
