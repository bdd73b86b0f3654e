//! open, openat, creat, close, close_range, truncate, ftruncate (Linux `fs/open.c`).

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use crate::process::rlimit::RLIMIT_NOFILE;
use abi::Errno;

const O_WRONLY: u32 = 0o1;
const O_CREAT: u32 = 0o100;
const O_TRUNC: u32 = 0o1000;
const O_DIRECTORY: u32 = 0o200000;
const O_NOFOLLOW: u32 = 0o400000;
const O_CLOEXEC: u32 = 0o2000000;
const O_PATH: u32 = 0o10000000;
const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;
/// Every flag open knows (`VALID_OPEN_FLAGS`); others are silently dropped, as Linux does.
const VALID_OPEN_FLAGS: u32 = 0o3
    | 0o100
    | 0o200
    | 0o400
    | 0o1000
    | 0o2000
    | 0o4000
    | 0o4010000
    | 0o20000
    | 0o40000
    | 0o100000
    | 0o200000
    | 0o400000
    | 0o1000000
    | 0o2000000
    | 0o10000000
    | 0o20000000;
/// Flags kept with O_PATH (`O_PATH_FLAGS`).
const O_PATH_FLAGS: u32 = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
/// Bits that are not stored in the open file description (`O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC`).
const OPEN_ONLY_FLAGS: u32 = 0o100 | 0o200 | 0o400 | 0o1000 | O_CLOEXEC;

pub fn do_open(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: &[u8],
    mut flags: u32,
    mode: u32,
) -> SyscallResult {
    flags &= VALID_OPEN_FLAGS;
    if flags & O_TMPFILE == O_TMPFILE {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & O_PATH != 0 {
        flags &= O_PATH_FLAGS;
    }
    // Linux 6.1 ignores mode unless O_CREAT (or O_TMPFILE) and keeps only the permission bits.
    let mode = if flags & O_CREAT != 0 {
        mode & 0o7777
    } else {
        0
    };
    let opened = fs::with_walk(context.thread, dirfd, path, |ctx, start| {
        vfs::namei::open(ctx, start, path, flags, mode)
    })?;
    // O_LARGEFILE is forced on 64-bit, except for O_PATH descriptors (build_open_flags).
    let large_file = if flags & O_PATH != 0 { 0 } else { 0o100000 };
    let status = (flags & !OPEN_ONLY_FLAGS) | large_file;
    let file = fs::open_dentry_noctty(opened.dentry, status, flags & 0o400 != 0)?;
    let limit = context
        .thread
        .process
        .limits
        .lock()
        .get(RLIMIT_NOFILE)
        .map_or(1024, |l| l.soft.min(1 << 20) as usize);
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        file,
        flags & O_CLOEXEC != 0,
        limit,
    )?;
    Ok(fd as usize)
}

pub fn open(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    flags: u32,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    do_open(context, Fd(AT_FDCWD), &path, flags, mode)
}

pub fn openat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: u32,
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
        O_CREAT | O_WRONLY | O_TRUNC,
        mode,
    )
}

pub fn close(context: &mut SyscallContext<'_>, fd: Fd) -> SyscallResult {
    let file = context.thread.process.files.get().lock().remove(fd.0)?;
    drop(file);
    Ok(0)
}

const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// `close_range(2)` (`__close_range` in `fs/file.c`): closes, or with `CLOSE_RANGE_CLOEXEC`
/// marks close-on-exec, every open descriptor in `first..=last`; `CLOSE_RANGE_UNSHARE` first
/// gives the process a private copy of a shared table.
pub fn close_range(
    context: &mut SyscallContext<'_>,
    first: u32,
    last: u32,
    flags: u32,
) -> SyscallResult {
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let files = &context.thread.process.files;
    if flags & CLOSE_RANGE_UNSHARE != 0 && files.is_shared() {
        let copy = files.get().lock().clone();
        files.replace(alloc::sync::Arc::new(crate::process::shared::locked_files(
            copy,
        )));
    }
    let table = files.get();
    if flags & CLOSE_RANGE_CLOEXEC != 0 {
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
    vfs::attr::truncate(&dentry, len as u64, &credentials)?;
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
    Ok(0)
}
