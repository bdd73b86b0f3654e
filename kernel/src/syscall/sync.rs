//! sync, fsync, fdatasync, syncfs and sync_file_range (Linux's `fs/sync.c`). ext2/3/4 files
//! and block devices have something to write back: `sync` writes back every ext file system
//! and then every disk, `fsync` the file (its dirty pages, the commit, the disk's flush) or a
//! block device's disk, `syncfs` the file's file system; the calls check their arguments as
//! Linux does.

use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use abi::Errno;

/// sync: writes back every ext file system, then every disk's cache.
pub fn sync(_: &mut SyscallContext<'_>) -> SyscallResult {
    crate::fs::ext4::writeback::sync_all();
    crate::block::sync_all();
    Ok(0)
}

/// fsync/fdatasync (`do_fsync`, `vfs_fsync_range`): `EBADF` for a bad or `O_PATH` descriptor,
/// `EINVAL` for a file whose `file_operations` have no `fsync`; the others have nothing to write
/// back (everything lives in memory).
pub fn fsync(context: &mut SyscallContext<'_>, fd: super::args::Fd) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if !has_fsync(&file) {
        return Err(Errno::EINVAL);
    }
    file.ops.fsync()?;
    Ok(0)
}

/// Whether Linux's file has an `fsync` operation: regular files and directories of tmpfs
/// (rootfs), devtmpfs and devpts (shmem's `noop_fsync`, `simple_dir_operations`), memfds
/// included, sysfs's regular files (`kernfs_file_fops`) and block devices (`blkdev_fsync`,
/// which writes the disk back). procfs files, sysfs directories,
/// pipes and FIFOs, character devices, terminals and anonymous-inode files (eventfd, epoll,
/// timerfd, pidfd...) have none.
pub(super) fn has_fsync(file: &OpenFile) -> bool {
    // Block devices have `blkdev_fsync`.
    if !file.ops.is_anon_inode() && file.ops.metadata().file_type == vfs::FileType::BlockDevice {
        return true;
    }
    if file.ops.is_anon_inode() || file.ops.as_pipe().is_some() || file.ops.inode().is_none() {
        return false;
    }
    let file_type = file.ops.metadata().file_type;
    let is_regular = file_type == vfs::FileType::Regular;
    if !is_regular && file_type != vfs::FileType::Directory {
        return false;
    }
    file.path
        .as_ref()
        .is_none_or(|path| match path.mnt().superblock().fs().name() {
            "tmpfs" | "rootfs" | "devtmpfs" | "devpts" => true,
            // ext4_sync_file: the file's dirty pages, then the commit.
            "ext2" | "ext3" | "ext4" => true,
            "sysfs" => is_regular,
            _ => false,
        })
}

/// syncfs: `EBADF` for a bad or `O_PATH` descriptor (`fdget`), else the filesystem is synced
/// (nothing to do in memory).
pub fn syncfs(context: &mut SyscallContext<'_>, fd: super::args::Fd) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if let Some(path) = file.path.as_ref() {
        path.mnt().superblock().fs().sync_fs()?;
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
