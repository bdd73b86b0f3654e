//! open, openat, creat, close, close_range, truncate, ftruncate, fallocate, chroot (Linux
//! `fs/open.c`).

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::{CloseRangeFlags, Errno, KnownFlags, OpenFlags};

pub fn do_open(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: &[u8],
    flags: OpenFlags,
    mode: u32,
) -> SyscallResult {
    // Unknown bits are dropped (build_open_how masks with VALID_OPEN_FLAGS).
    let mut flags = flags.keep_only(OpenFlags::VALID_OPEN_FLAGS);
    if flags.contains(OpenFlags::O_PATH) {
        flags = flags.keep_only(OpenFlags::O_PATH_FLAGS);
    }
    // build_open_flags: O_TMPFILE comes with O_DIRECTORY, without O_CREAT, and for writing.
    let tmpfile = flags.intersects(OpenFlags::from_bits_retain(raw_o_tmpfile_only()));
    if tmpfile {
        let mask = OpenFlags::O_TMPFILE | OpenFlags::O_CREAT;
        if flags.intersection(mask) != OpenFlags::O_TMPFILE
            || flags.bits() & abi::fcntl::O_ACCMODE == abi::raw::general::O_RDONLY
        {
            return Err(Errno::EINVAL);
        }
    }
    // Linux 6.1 ignores mode unless O_CREAT (or O_TMPFILE) and keeps only the permission bits.
    let mode = if flags.contains(OpenFlags::O_CREAT) || tmpfile {
        mode & abi::mode::S_IALLUGO
    } else {
        0
    };
    // A free descriptor and the file come before the walk (EMFILE, then ENFILE, before any
    // lookup error; O_CREAT creates nothing then), as do_sys_openat2 and path_openat.
    let limit = super::fcntl::descriptor_limit(context);
    let charge = fs::file_table::charge_with_descriptor(context.thread, limit)?;
    let opened = fs::with_walk(context.thread, dirfd, path, |ctx, start| {
        if tmpfile {
            vfs::namei::open_tmpfile(ctx, start, path, flags.bits(), mode)
        } else {
            vfs::namei::open(ctx, start, path, flags.bits(), mode)
        }
    })?;
    // O_LARGEFILE is forced on 64-bit, except for O_PATH descriptors (build_open_flags).
    let large_file = if flags.contains(OpenFlags::O_PATH) {
        OpenFlags::empty()
    } else {
        OpenFlags::O_LARGEFILE
    };
    let status = flags.difference(OpenFlags::OPEN_ONLY_FLAGS) | large_file;
    let is_truncated = flags.contains(OpenFlags::O_TRUNC)
        && !opened.created
        && opened.path.inode().file_type() == vfs::FileType::Regular;
    let dentry = opened.path.dentry().clone();
    let file = fs::open_dentry_noctty(
        opened.path,
        status,
        flags.contains(OpenFlags::O_NOCTTY),
        charge,
    )?;
    // inotify: O_TRUNC's truncation, then the open (do_sys_openat2's fsnotify_open).
    if !flags.contains(OpenFlags::O_PATH) {
        file.mark_notified();
        if fs::notify::is_active() {
            if is_truncated {
                fs::notify::path_event(&dentry, inotify::IN_MODIFY, true);
            }
            fs::notify::path_event(&dentry, inotify::IN_OPEN, true);
        }
    }
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        file,
        flags.contains(OpenFlags::O_CLOEXEC),
        limit,
    )?;
    Ok(fd as usize)
}

/// `__O_TMPFILE` alone (`O_TMPFILE` is it with `O_DIRECTORY`).
fn raw_o_tmpfile_only() -> u32 {
    abi::raw::general::O_TMPFILE & !abi::raw::general::O_DIRECTORY
}

pub fn open(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    flags: OpenFlags,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    do_open(context, Fd(AT_FDCWD), &path, flags, mode)
}

pub fn openat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: OpenFlags,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    do_open(context, dirfd, &path, flags, mode)
}

pub fn creat(context: &mut SyscallContext<'_>, path: UserCStr, mode: u32) -> SyscallResult {
    let path = path.read_path()?;
    do_open(
        context,
        Fd(AT_FDCWD),
        &path,
        OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC,
        mode,
    )
}

pub fn close(context: &mut SyscallContext<'_>, fd: Fd) -> SyscallResult {
    let file = context.thread.process.files.get().lock().remove(fd.0)?;
    drop(file);
    Ok(0)
}

/// `close_range(2)` (`__close_range` in `fs/file.c`): closes, or with `CLOSE_RANGE_CLOEXEC`
/// marks close-on-exec, every open descriptor in `first..=last`; `CLOSE_RANGE_UNSHARE` first
/// gives the process a private copy of a shared table.
pub fn close_range(
    context: &mut SyscallContext<'_>,
    first: u32,
    last: u32,
    flags: CloseRangeFlags,
) -> SyscallResult {
    let flags = flags.accept_only(CloseRangeFlags::all())?;
    if first > last {
        return Err(Errno::EINVAL);
    }
    let files = &context.thread.process.files;
    if flags.contains(CloseRangeFlags::CLOSE_RANGE_UNSHARE) && files.is_shared() {
        let copy = files.get().lock().try_clone()?;
        files.replace(alloc::sync::Arc::new(crate::process::shared::locked_files(
            copy,
        )));
    }
    let table = files.get();
    if flags.contains(CloseRangeFlags::CLOSE_RANGE_CLOEXEC) {
        table
            .lock()
            .set_close_on_exec_range(first as usize, last as usize);
    } else {
        let closed = table.lock().remove_range(first as usize, last as usize);
        drop(closed); // released outside the table lock
    }
    Ok(0)
}

pub fn truncate(context: &mut SyscallContext<'_>, path: UserCStr, len: i64) -> SyscallResult {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path()?;
    let dentry = fs::lookup(context.thread, Fd(AT_FDCWD), &path, vfs::Lookup::FOLLOW)?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    // vfs_truncate's break_lease, as an open for writing.
    if dentry.inode().file_type() == vfs::FileType::Regular {
        fs::locks::break_lease(dentry.inode(), OpenFlags::O_WRONLY)?;
    }
    vfs::attr::truncate(&dentry, len as u64, &credentials)?;
    fs::notify::path_event(dentry.dentry(), inotify::IN_MODIFY, false);
    Ok(0)
}

pub fn ftruncate(context: &mut SyscallContext<'_>, fd: Fd, len: i64) -> SyscallResult {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let file = super::read_write::file(context, fd)?;
    if !file.is_writable() {
        return Err(Errno::EINVAL);
    }
    let inode = file.ops.inode().cloned().ok_or(Errno::EINVAL)?;
    if inode.metadata().file_type != vfs::FileType::Regular {
        return Err(Errno::EINVAL);
    }
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::attr::do_truncate(inode.as_ref(), len as u64, true, &credentials)?;
    fs::notify::file_event(&file, inotify::IN_MODIFY);
    Ok(0)
}

/// `FALLOC_FL_*` bits (`include/uapi/linux/falloc.h`).
const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
const FALLOC_FL_COLLAPSE_RANGE: u32 = 0x08;
const FALLOC_FL_ZERO_RANGE: u32 = 0x10;
const FALLOC_FL_INSERT_RANGE: u32 = 0x20;
const FALLOC_FL_UNSHARE_RANGE: u32 = 0x40;
/// `FALLOC_FL_SUPPORTED_MASK`.
const FALLOC_FL_SUPPORTED: u32 = FALLOC_FL_KEEP_SIZE
    | FALLOC_FL_PUNCH_HOLE
    | FALLOC_FL_COLLAPSE_RANGE
    | FALLOC_FL_ZERO_RANGE
    | FALLOC_FL_INSERT_RANGE
    | FALLOC_FL_UNSHARE_RANGE;

/// `fallocate` (Linux 6.1 `vfs_fallocate`): the generic rules, in Linux's order, then the
/// filesystem's (`vfs::Inode::fallocate`; tmpfs does mode 0, `KEEP_SIZE` and `PUNCH_HOLE`,
/// `EOPNOTSUPP` for the rest), then `file_modified` (mtime and ctime, set-id bits cleared).
/// `EINVAL` for a negative offset or a length that is not positive; `EOPNOTSUPP` for unknown
/// mode bits, `PUNCH_HOLE` with `ZERO_RANGE` or without `KEEP_SIZE`; `EINVAL` for `COLLAPSE_RANGE`
/// or `INSERT_RANGE` with anything else and `UNSHARE_RANGE` with anything but `KEEP_SIZE`;
/// `EBADF` unless open for writing; `ESPIPE` on a pipe, `EISDIR` on a directory, `ENODEV` on
/// anything but a regular file; `EFBIG` past the maximum file size.
pub fn fallocate(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    mode: i32,
    offset: i64,
    len: i64,
) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    let mode = mode as u32;
    if mode & !FALLOC_FL_SUPPORTED != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let punch_zero = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
    if mode & punch_zero == punch_zero
        || (mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0)
    {
        return Err(Errno::EOPNOTSUPP);
    }
    let is_alone = |bit: u32, allowed: u32| mode & bit == 0 || mode & !(bit | allowed) == 0;
    if !is_alone(FALLOC_FL_COLLAPSE_RANGE, 0)
        || !is_alone(FALLOC_FL_INSERT_RANGE, 0)
        || !is_alone(FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_KEEP_SIZE)
    {
        return Err(Errno::EINVAL);
    }
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    let file_type = if file.ops.is_anon_inode() {
        None
    } else {
        Some(file.ops.metadata().file_type)
    };
    match file_type {
        Some(vfs::FileType::Fifo) => return Err(Errno::ESPIPE),
        Some(vfs::FileType::Directory) => return Err(Errno::EISDIR),
        Some(vfs::FileType::Regular) => {}
        _ => return Err(Errno::ENODEV),
    }
    if offset.checked_add(len).is_none() {
        return Err(Errno::EFBIG);
    }
    let inode = file.ops.inode().cloned().ok_or(Errno::EOPNOTSUPP)?;
    // File pages hold user data: they must not take the kernel's memory reserve.
    hal::mm::heap::user_data(|| inode.fallocate(mode, offset as u64, len as u64))?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::attr::file_remove_privs(inode.as_ref(), &credentials)?;
    inode.set_attr(&vfs::SetAttr {
        mtime: Some(vfs::TimeSet::Now),
        ctime: Some(vfs::TimeSet::Now),
        ..vfs::SetAttr::default()
    })?;
    fs::notify::file_event(&file, inotify::IN_MODIFY);
    Ok(0)
}

/// `chroot(2)` (`fs/open.c`): the directory (`ENOENT`, `ENOTDIR`…), search permission on it
/// (`EACCES`), then `CAP_SYS_CHROOT` (`EPERM`); the cwd stays where it is.
pub fn chroot(context: &mut SyscallContext<'_>, path: UserCStr) -> SyscallResult {
    let path = path.read_path()?;
    let root = fs::with_walk(context.thread, Fd(AT_FDCWD), &path, |ctx, start| {
        vfs::namei::chdir(ctx, start, &path)
    })?;
    if !context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_CHROOT)
    {
        return Err(Errno::EPERM);
    }
    context.thread.process.fs.get().lock().root = root;
    Ok(0)
}
