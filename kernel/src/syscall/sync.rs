//! sync, fsync, fdatasync, syncfs and sync_file_range (Linux's `fs/sync.c`). Every filesystem
//! today lives in memory, so only block devices have something to write back: `sync` writes
//! back every disk, `fsync` a block device's disk (and flushes its cache); the calls check their
//! arguments as Linux does.

use super::{SyscallContext, SyscallResult};
use abi::Errno;

/// sync: writes back every disk's cache (filesystems live in memory).
pub fn sync(_: &mut SyscallContext<'_>) -> SyscallResult {
    crate::block::sync_all();
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
    file.ops.fsync()?;
    Ok(0)
}

/// syncfs: `EBADF` for a bad or `O_PATH` descriptor (`fdget`), else the filesystem is synced
/// (nothing to do in memory).
pub fn syncfs(context: &mut SyscallContext<'_>, fd: super::args::Fd) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(0)
}

/// `SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER`.
const SYNC_FILE_RANGE_VALID: u32 = 0x7;

/// sync_file_range (Linux 6.1 `ksys_sync_file_range`, `sync_file_range`): `EBADF` for a bad or
/// `O_PATH` descriptor; `EINVAL` for unknown flags, a negative offset, or an end that is negative
/// or before the start; `ESPIPE` unless the file is a regular file, directory, symlink or block
/// device.
pub fn sync_file_range(
    context: &mut SyscallContext<'_>,
    fd: super::args::Fd,
    offset: i64,
    nbytes: i64,
    flags: u32,
) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if flags & !SYNC_FILE_RANGE_VALID != 0 {
        return Err(Errno::EINVAL);
    }
    let end = offset.wrapping_add(nbytes);
    if offset < 0 || end < 0 || end < offset {
        return Err(Errno::EINVAL);
    }
    let file_type = (!file.ops.is_anon_inode()).then(|| file.ops.metadata().file_type);
    match file_type {
        Some(
            vfs::FileType::Regular
            | vfs::FileType::Directory
            | vfs::FileType::Symlink
            | vfs::FileType::BlockDevice,
        ) => Ok(0),
        _ => Err(Errno::ESPIPE),
    }
}
