//! utimensat, futimesat, utimes, utime (Linux 6.1 `fs/utimes.c`).
//!
//! The order of checks is Linux's: the times are copied in first (`EFAULT`); `utimensat` with
//! both times `UTIME_OMIT` succeeds without looking at the path or the descriptor; a `NULL`
//! path with a descriptor (`futimens`, `futimes`) changes that descriptor's file and takes no
//! flags (`EINVAL`), and an `O_PATH` descriptor is `EBADF` there as `fdget` refuses it; a
//! `NULL` path with `AT_FDCWD` is `EFAULT`; unknown flags (anything but `AT_SYMLINK_NOFOLLOW`
//! and `AT_EMPTY_PATH`) are `EINVAL` before the walk; nanoseconds out of range are `EINVAL`
//! after it (`vfs_utimes`). The permission rules (explicit times need ownership or
//! `CAP_FOWNER`, "now" needs ownership or write permission) and the ctime update are
//! [`vfs::attr::utimens`]'s. `utimes`/`futimesat` take microseconds (`EINVAL` out of range, so
//! `UTIME_NOW`/`UTIME_OMIT` cannot be passed), `utime` whole seconds.
//!
//! Not done: files without an inode (pipes, eventfds, epoll) answer `EPERM`; Linux changes
//! their pseudo-filesystem inode.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::{AtFlags, Errno, KnownFlags, Timespec, Timeval};
use vfs::Lookup;
use vfs::attr::Utime;

/// `struct utimbuf`: access and modification times in seconds.
#[repr(C)]
#[derive(Clone, Copy, Default, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable)]
pub struct Utimbuf {
    pub actime: i64,
    pub modtime: i64,
}

/// A time argument as `do_utimes` gets it: seconds and nanoseconds, the latter maybe
/// `UTIME_NOW`/`UTIME_OMIT`, validated only after the walk.
type RawTimes = [(i64, i64); 2];

fn is_omit(nsec: i64) -> bool {
    nsec == abi::raw::general::UTIME_OMIT as i64
}

/// Linux's `do_utimes`: the file `dirfd`/`path` names (or the descriptor itself for a `NULL`
/// path), then `vfs_utimes`.
fn do_utimes(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    times: Option<RawTimes>,
    flags: AtFlags,
) -> SyscallResult {
    let (inode, mount_path) = if path.0 == 0 && dirfd.0 != AT_FDCWD {
        if !flags.is_empty() {
            return Err(Errno::EINVAL);
        }
        let file = super::read_write::file(context, dirfd)?;
        if file.is_path_only() {
            return Err(Errno::EBADF);
        }
        match (&file.path, file.ops.inode()) {
            (Some(dentry), _) => (dentry.inode().clone(), Some(dentry.clone())),
            (None, Some(inode)) => (inode.clone(), None),
            (None, None) => return Err(Errno::EPERM),
        }
    } else {
        let flags = flags.accept_only(AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH)?;
        let path = path.read_path()?;
        let how = if flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW) {
            Lookup::NOFOLLOW
        } else {
            Lookup::FOLLOW
        };
        let found = fs::lookup_or_fd(
            context.thread,
            dirfd,
            &path,
            how,
            flags.contains(AtFlags::AT_EMPTY_PATH),
        )?;
        (found.inode().clone(), Some(found))
    };
    let times = match times {
        Some([(a_sec, a_nsec), (m_sec, m_nsec)]) => Some([
            Utime::from_raw(a_sec, a_nsec)?,
            Utime::from_raw(m_sec, m_nsec)?,
        ]),
        None => None,
    };
    // vfs_utimes: write access to the mount after the times are checked.
    if let Some(mount_path) = &mount_path {
        mount_path.want_write()?;
    }
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::attr::utimens(inode.as_ref(), times, &credentials)?;
    // fsnotify_change: both times are IN_ATTRIB, the access time alone IN_ACCESS, the
    // modification time alone IN_MODIFY.
    if let Some(path) = &mount_path {
        use vfs::attr::Utime;
        let mask = match times {
            Some([Utime::Omit, Utime::Omit]) => 0,
            Some([_, Utime::Omit]) => inotify::IN_ACCESS,
            Some([Utime::Omit, _]) => inotify::IN_MODIFY,
            _ => inotify::IN_ATTRIB,
        };
        if mask != 0 {
            fs::notify::path_event(path.dentry(), mask, false);
        }
    }
    Ok(0)
}

pub fn utimensat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    times: UserPtr<[Timespec; 2]>,
    flags: AtFlags,
) -> SyscallResult {
    let times = if times.is_null() {
        None
    } else {
        let [atime, mtime] = times.read()?;
        if is_omit(atime.tv_nsec) && is_omit(mtime.tv_nsec) {
            return Ok(0);
        }
        Some([(atime.tv_sec, atime.tv_nsec), (mtime.tv_sec, mtime.tv_nsec)])
    };
    do_utimes(context, dirfd, path, times, flags)
}

/// Microsecond times, as `do_futimesat` converts them.
fn from_timevals(times: UserPtr<[Timeval; 2]>) -> Result<Option<RawTimes>, Errno> {
    if times.is_null() {
        return Ok(None);
    }
    let [atime, mtime] = times.read()?;
    if !atime.is_valid() || !mtime.is_valid() {
        return Err(Errno::EINVAL);
    }
    Ok(Some([
        (atime.tv_sec, atime.tv_usec * 1000),
        (mtime.tv_sec, mtime.tv_usec * 1000),
    ]))
}

pub fn futimesat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    times: UserPtr<[Timeval; 2]>,
) -> SyscallResult {
    let times = from_timevals(times)?;
    do_utimes(context, dirfd, path, times, AtFlags::empty())
}

pub fn utimes(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    times: UserPtr<[Timeval; 2]>,
) -> SyscallResult {
    futimesat(context, Fd(AT_FDCWD), path, times)
}

pub fn utime(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    times: UserPtr<Utimbuf>,
) -> SyscallResult {
    let times = if times.is_null() {
        None
    } else {
        let buf = times.read()?;
        Some([(buf.actime, 0), (buf.modtime, 0)])
    };
    do_utimes(context, Fd(AT_FDCWD), path, times, AtFlags::empty())
}
