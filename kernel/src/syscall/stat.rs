//! stat, fstat, lstat, newfstatat, statx (Linux `fs/stat.c`). statx reports what 6.1 reports
//! on tmpfs: the basic stats and the mount id whatever was asked, the creation time when asked
//! for (`STATX_BTIME`, from filesystems that record it), and the attributes
//! (`STATX_ATTR_MOUNT_ROOT` on the root of a mount) with the mask of those the filesystem can
//! report. Mount ids are 1 until mounts exist.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs;
use abi::stat::{
    STATX__RESERVED, STATX_ATTR_AUTOMOUNT, STATX_ATTR_DAX, STATX_ATTR_MOUNT_ROOT,
    STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID,
};
use abi::{AtFlags, Errno, KnownFlags, Stat, Statx, StatxTimestamp};
use alloc::sync::Arc;
use vfs::path::Lookup;
use vfs::{Inode, Metadata};

fn to_stat(metadata: &Metadata) -> Stat {
    Stat {
        st_dev: metadata.dev,
        st_ino: metadata.ino,
        st_nlink: u64::from(metadata.nlink),
        st_mode: metadata.st_mode(),
        st_uid: metadata.uid,
        st_gid: metadata.gid,
        st_rdev: metadata.rdev,
        st_size: metadata.size as i64,
        st_blksize: i64::from(metadata.blksize),
        st_blocks: metadata.blocks as i64,
        st_atime: metadata.atime.sec,
        st_atime_nsec: u64::from(metadata.atime.nsec),
        st_mtime: metadata.mtime.sec,
        st_mtime_nsec: u64::from(metadata.mtime.nsec),
        st_ctime: metadata.ctime.sec,
        st_ctime_nsec: u64::from(metadata.ctime.nsec),
        ..Stat::default()
    }
}

/// The attributes `path` names relative to `dirfd` under `AT_SYMLINK_NOFOLLOW`/`AT_EMPTY_PATH`,
/// and the `st_mode` to report (anonymous-inode files have no type bits).
fn metadata_at(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: AtFlags,
) -> Result<(Metadata, u32), Errno> {
    let (metadata, is_anon) = metadata_and_kind_at(context, dirfd, path, flags)?;
    let mode = if is_anon {
        metadata.st_mode() & abi::mode::S_IALLUGO
    } else {
        metadata.st_mode()
    };
    Ok((metadata, mode))
}

/// What statx knows of an object besides its [`Metadata`].
struct Found {
    metadata: Metadata,
    is_anon: bool,
    /// The inode, for the attributes only some filesystems have (btime, `STATX_ATTR_*`).
    inode: Option<Arc<dyn Inode>>,
    /// The root of a mount (`STATX_ATTR_MOUNT_ROOT`).
    is_mount_root: bool,
    /// The id of the mount it was found on, as `/proc/self/mountinfo` numbers mounts (0 for a
    /// file of no mount, as `fdinfo` reports it).
    mount_id: u64,
}

fn metadata_and_kind_at(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: AtFlags,
) -> Result<(Metadata, bool), Errno> {
    let found = find_at(context, dirfd, path, flags)?;
    Ok((found.metadata, found.is_anon))
}

fn find_at(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: AtFlags,
) -> Result<Found, Errno> {
    let path = path.read_path()?;
    let how = if flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW) {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    if path.is_empty() && flags.contains(AtFlags::AT_EMPTY_PATH) && dirfd.0 != fs::AT_FDCWD {
        let file = context.thread.process.files.get().lock().get(dirfd.0)?;
        return Ok(Found {
            metadata: file.metadata(),
            is_anon: file.ops.is_anon_inode(),
            inode: file
                .path
                .as_ref()
                .map(|dentry| dentry.inode().clone())
                .or_else(|| file.ops.inode().cloned()),
            is_mount_root: file.path.as_ref().is_some_and(|dentry| dentry.is_root()),
            mount_id: file
                .path
                .as_ref()
                .map_or(0, |dentry| dentry.mnt().id() as u64),
        });
    }
    let dentry = fs::lookup_or_fd(
        context.thread,
        dirfd,
        &path,
        how,
        flags.contains(AtFlags::AT_EMPTY_PATH),
    )?;
    Ok(Found {
        metadata: dentry.metadata(),
        is_anon: false,
        inode: Some(dentry.inode().clone()),
        is_mount_root: dentry.is_root(),
        mount_id: dentry.mnt().id() as u64,
    })
}

fn stat_path(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: AtFlags,
    buf: UserPtr<Stat>,
) -> SyscallResult {
    // vfs_fstatat goes through vfs_statx, which also takes the statx sync-type bits.
    let flags = flags.accept_only(
        AtFlags::AT_SYMLINK_NOFOLLOW
            | AtFlags::AT_NO_AUTOMOUNT
            | AtFlags::AT_EMPTY_PATH
            | AtFlags::AT_STATX_FORCE_SYNC
            | AtFlags::AT_STATX_DONT_SYNC,
    )?;
    let (metadata, mode) = metadata_at(context, dirfd, path, flags)?;
    let mut stat = to_stat(&metadata);
    stat.st_mode = mode;
    buf.write(&stat)?;
    Ok(0)
}

pub fn stat(context: &mut SyscallContext<'_>, path: UserCStr, buf: UserPtr<Stat>) -> SyscallResult {
    stat_path(context, Fd(fs::AT_FDCWD), path, AtFlags::empty(), buf)
}

pub fn lstat(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    buf: UserPtr<Stat>,
) -> SyscallResult {
    stat_path(
        context,
        Fd(fs::AT_FDCWD),
        path,
        AtFlags::AT_SYMLINK_NOFOLLOW,
        buf,
    )
}

pub fn newfstatat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    buf: UserPtr<Stat>,
    flags: AtFlags,
) -> SyscallResult {
    stat_path(context, dirfd, path, flags, buf)
}

pub fn fstat(context: &mut SyscallContext<'_>, fd: Fd, buf: UserPtr<Stat>) -> SyscallResult {
    let file = context.thread.process.files.get().lock().get(fd.0)?;
    let mut stat = to_stat(&file.metadata());
    if file.ops.is_anon_inode() {
        stat.st_mode &= abi::mode::S_IALLUGO;
    }
    buf.write(&stat)?;
    Ok(0)
}

fn timestamp(time: vfs::Timespec) -> StatxTimestamp {
    StatxTimestamp {
        tv_sec: time.sec,
        tv_nsec: time.nsec,
        ..StatxTimestamp::default()
    }
}

pub fn statx(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: AtFlags,
    mask: u32,
    buf: UserPtr<Statx>,
) -> SyscallResult {
    let flags = flags.accept_only(
        AtFlags::AT_SYMLINK_NOFOLLOW
            | AtFlags::AT_NO_AUTOMOUNT
            | AtFlags::AT_EMPTY_PATH
            | AtFlags::AT_STATX_FORCE_SYNC
            | AtFlags::AT_STATX_DONT_SYNC,
    )?;
    if flags.bits() & AtFlags::AT_STATX_SYNC_TYPE == AtFlags::AT_STATX_SYNC_TYPE
        || mask & STATX__RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let found = find_at(context, dirfd, path, flags)?;
    let metadata = found.metadata;
    let mode = if found.is_anon {
        metadata.st_mode() & abi::mode::S_IALLUGO
    } else {
        metadata.st_mode()
    };
    // vfs_getattr_nosec and vfs_statx: the basic stats and the mount id always; AUTOMOUNT,
    // DAX and MOUNT_ROOT are attributes every filesystem can report; the filesystem adds its
    // own (tmpfs: APPEND, IMMUTABLE, NODUMP) and btime when asked for it (shmem_getattr).
    let (mut attributes, mut attributes_mask) = found
        .inode
        .as_ref()
        .map_or((0, 0), |inode| inode.statx_attributes());
    attributes_mask |= STATX_ATTR_AUTOMOUNT | STATX_ATTR_DAX | STATX_ATTR_MOUNT_ROOT;
    if found.is_mount_root {
        attributes |= STATX_ATTR_MOUNT_ROOT;
    }
    let mut result_mask = STATX_BASIC_STATS | STATX_MNT_ID;
    let mut btime = StatxTimestamp::default();
    if mask & STATX_BTIME != 0
        && let Some(time) = found.inode.as_ref().and_then(|inode| inode.birth_time())
    {
        result_mask |= STATX_BTIME;
        btime = timestamp(time);
    }
    let value = Statx {
        stx_mask: result_mask,
        stx_attributes: attributes,
        stx_attributes_mask: attributes_mask,
        stx_btime: btime,
        stx_mnt_id: found.mount_id,
        stx_blksize: metadata.blksize,
        stx_nlink: metadata.nlink,
        stx_uid: metadata.uid,
        stx_gid: metadata.gid,
        stx_mode: mode as u16,
        stx_ino: metadata.ino,
        stx_size: metadata.size,
        stx_blocks: metadata.blocks,
        stx_atime: timestamp(metadata.atime),
        stx_ctime: timestamp(metadata.ctime),
        stx_mtime: timestamp(metadata.mtime),
        stx_rdev_major: vfs::inode::dev_major(metadata.rdev),
        stx_rdev_minor: vfs::inode::dev_minor(metadata.rdev),
        stx_dev_major: vfs::inode::dev_major(metadata.dev),
        stx_dev_minor: vfs::inode::dev_minor(metadata.dev),
        ..Statx::default()
    };
    buf.write(&value)?;
    Ok(0)
}
