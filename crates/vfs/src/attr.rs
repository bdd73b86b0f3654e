//! Attribute changes with Linux's permission rules: `chmod`, `chown`, `utimensat`, `truncate`,
//! and the set-user-ID clearing done by writes, as `fs/attr.c` (`setattr_prepare`,
//! `notify_change`, `setattr_copy`, `should_remove_suid`), `fs/open.c` (`chmod_common`,
//! `chown_common`, `vfs_truncate`, `do_truncate`) and `fs/utimes.c` (`vfs_utimes`) of Linux 6.1.
//!
//! Key items: [`chmod`], [`chown`], [`utimens`] with [`Utime`], [`truncate`] (path-based, checks
//! write permission), [`do_truncate`] (for `ftruncate` and `O_TRUNC`, whose permission was checked
//! at open), [`file_remove_privs`] (call before a write).
//!
//! Rules: only the owner or root may chmod (`EPERM`), and a non-member of the file's group loses
//! `S_ISGID`; chown of the owner needs root unless it is a no-op, chgrp needs ownership and
//! membership of the new group (or root); chown of a non-directory always clears `S_ISUID`, and
//! `S_ISGID` when group-execute is set (Linux 6.1 `ATTR_KILL_*`); setting explicit times needs
//! ownership (`EPERM`), setting them to now needs ownership or write permission (`EACCES`); ctime
//! becomes now on every change. A write or truncate by an unprivileged task clears `S_ISUID`, and
//! `S_ISGID` when group-execute is set, on a regular file.
//!
//! Read-only mounts: the syscall layer asks the path's mount for write access
//! ([`Path::want_write`]) before these, as Linux's `mnt_want_write`; [`truncate`] does it
//! itself.
//!
//! Not done yet: immutable/append-only flags, leases, ACL updates on
//! chmod, `RLIMIT_FSIZE` (the caller checks it).

use abi::Errno;
use abi::capability::{CAP_CHOWN, CAP_FSETID};

use crate::inode::{
    FileType, Inode, Metadata, S_IALLUGO, S_ISGID, S_ISUID, S_IXGRP, SetAttr, TimeSet, Timespec,
};
use crate::mount::Path;
use crate::perm::{Credentials, MAY_WRITE, may_access};

/// Mode bits a change should clear on `meta` for `creds` (Linux `should_remove_suid`): `S_ISUID`
/// always, `S_ISGID` with group-execute, only for regular files of unprivileged tasks.
fn suid_bits_to_kill(meta: &Metadata, creds: &Credentials) -> u32 {
    let mut kill = 0;
    if meta.mode & S_ISUID != 0 {
        kill |= S_ISUID;
    }
    if meta.mode & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP) {
        kill |= S_ISGID;
    }
    if kill != 0 && !creds.has_cap(CAP_FSETID) && meta.file_type == FileType::Regular {
        kill
    } else {
        0
    }
}

/// Clears set-user-ID/set-group-ID before a write by `creds` (Linux `file_remove_privs`).
pub fn file_remove_privs(inode: &dyn Inode, creds: &Credentials) -> Result<(), Errno> {
    let meta = inode.metadata();
    let kill = suid_bits_to_kill(&meta, creds);
    if kill == 0 {
        return Ok(());
    }
    inode.set_attr(&SetAttr {
        mode: Some(meta.mode & !kill),
        ..SetAttr::default()
    })
}

/// Sets the size of `inode` to `len` (Linux `do_truncate`): clears set-user-ID as a write does;
/// with `update_times` (ftruncate, `O_TRUNC`) mtime and ctime become now even if the size does
/// not change, otherwise (truncate) only the filesystem's size-change update happens.
pub fn do_truncate(
    inode: &dyn Inode,
    len: u64,
    update_times: bool,
    creds: &Credentials,
) -> Result<(), Errno> {
    let meta = inode.metadata();
    let kill = suid_bits_to_kill(&meta, creds);
    inode.truncate(len)?;
    let mut attr = SetAttr::default();
    if kill != 0 {
        attr.mode = Some(meta.mode & !kill);
        attr.ctime = Some(TimeSet::Now);
    }
    if update_times {
        attr.mtime = Some(TimeSet::Now);
        attr.ctime = Some(TimeSet::Now);
    }
    if attr != SetAttr::default() {
        inode.set_attr(&attr)?;
    }
    Ok(())
}

/// Whether writes to `inode` are denied because it is a running program's file (its
/// [`crate::inode::OpenCounts`]): truncation is `ETXTBSY` then.
pub fn is_write_denied(inode: &dyn Inode) -> bool {
    inode
        .open_counts()
        .is_some_and(|counts| counts.is_write_denied())
}

/// `truncate(2)` on a resolved path: `EISDIR` for a directory, `EINVAL` for other non-regular
/// files, `EROFS` on a read-only mount, `EACCES` without write permission, `ETXTBSY` for a
/// running program's file, `EFBIG` past the maximum size.
pub fn truncate(path: &Path, len: u64, creds: &Credentials) -> Result<(), Errno> {
    truncate_within(path, len, creds, u64::MAX)
}

/// [`truncate`] for a caller whose files may not grow past `size_limit` bytes (its
/// `RLIMIT_FSIZE`): growing a file beyond it is `EFBIG` after the permission checks, as
/// Linux's `inode_newsize_ok` (the caller sends `SIGXFSZ`).
pub fn truncate_within(
    path: &Path,
    len: u64,
    creds: &Credentials,
    size_limit: u64,
) -> Result<(), Errno> {
    let dentry = path.dentry();
    let meta = dentry.metadata();
    match meta.file_type {
        FileType::Directory => return Err(Errno::EISDIR),
        FileType::Regular => {}
        _ => return Err(Errno::EINVAL),
    }
    path.want_write()?;
    may_access(&meta, creds, MAY_WRITE)?;
    // vfs_truncate's get_write_access: a running program's file keeps its size.
    if is_write_denied(dentry.inode().as_ref()) {
        return Err(Errno::ETXTBSY);
    }
    if len > meta.size && len > size_limit {
        return Err(Errno::EFBIG);
    }
    do_truncate(dentry.inode().as_ref(), len, false, creds)
}

/// `chmod`/`fchmod`: sets the permission bits to `mode & 0o7777`.
pub fn chmod(inode: &dyn Inode, mode: u32, creds: &Credentials) -> Result<(), Errno> {
    let meta = inode.metadata();
    if !creds.owns(&meta) {
        return Err(Errno::EPERM);
    }
    let mut mode = mode & S_IALLUGO;
    if !creds.in_group(meta.gid) && !creds.has_cap(CAP_FSETID) {
        mode &= !S_ISGID;
    }
    inode.set_attr(&SetAttr {
        mode: Some(mode),
        ctime: Some(TimeSet::Now),
        ..SetAttr::default()
    })
}

/// `chown`/`fchown`/`lchown`: `None` leaves an ID alone (`-1`).
pub fn chown(
    inode: &dyn Inode,
    uid: Option<u32>,
    gid: Option<u32>,
    creds: &Credentials,
) -> Result<(), Errno> {
    let meta = inode.metadata();
    if let Some(uid) = uid {
        let ok = (creds.fsuid == meta.uid && uid == meta.uid) || creds.has_cap(CAP_CHOWN);
        if !ok {
            return Err(Errno::EPERM);
        }
    }
    if let Some(gid) = gid {
        let ok = (creds.fsuid == meta.uid && (gid == meta.gid || creds.in_group(gid)))
            || creds.has_cap(CAP_CHOWN);
        if !ok {
            return Err(Errno::EPERM);
        }
    }
    let mut attr = SetAttr {
        uid,
        gid,
        ctime: Some(TimeSet::Now),
        ..SetAttr::default()
    };
    if !meta.file_type.is_dir() {
        let mut mode = meta.mode;
        mode &= !S_ISUID;
        if mode & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP) {
            mode &= !S_ISGID;
        }
        if mode != meta.mode {
            attr.mode = Some(mode);
        }
    }
    inode.set_attr(&attr)
}

/// One time argument of `utimensat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utime {
    /// `UTIME_NOW`.
    Now,
    /// `UTIME_OMIT`.
    Omit,
    /// An explicit time.
    Set(Timespec),
}

impl Utime {
    /// From a user `timespec`: `UTIME_NOW`/`UTIME_OMIT` in `tv_nsec`, else a time (`EINVAL` for
    /// nanoseconds out of range).
    pub fn from_raw(sec: i64, nsec: i64) -> Result<Utime, Errno> {
        match nsec {
            n if n == linux_raw_sys::general::UTIME_NOW as i64 => Ok(Utime::Now),
            n if n == linux_raw_sys::general::UTIME_OMIT as i64 => Ok(Utime::Omit),
            n if (0..1_000_000_000).contains(&n) => Ok(Utime::Set(Timespec {
                sec,
                nsec: n as u32,
            })),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// `utimensat`/`futimens`/`utimes`: `None` for `times == NULL` (both now).
pub fn utimens(
    inode: &dyn Inode,
    times: Option<[Utime; 2]>,
    creds: &Credentials,
) -> Result<(), Errno> {
    let times = match times {
        Some([Utime::Omit, Utime::Omit]) => return Ok(()),
        Some([Utime::Now, Utime::Now]) | None => None,
        Some(t) => Some(t),
    };
    let meta = inode.metadata();
    let attr = match times {
        None => {
            if !creds.owns(&meta) {
                may_access(&meta, creds, MAY_WRITE)?;
            }
            SetAttr {
                atime: Some(TimeSet::Now),
                mtime: Some(TimeSet::Now),
                ctime: Some(TimeSet::Now),
                ..SetAttr::default()
            }
        }
        Some([a, m]) => {
            if !creds.owns(&meta) {
                return Err(Errno::EPERM);
            }
            let conv = |u: Utime| match u {
                Utime::Now => Some(TimeSet::Now),
                Utime::Omit => None,
                Utime::Set(t) => Some(TimeSet::At(t)),
            };
            SetAttr {
                atime: conv(a),
                mtime: conv(m),
                ctime: Some(TimeSet::Now),
                ..SetAttr::default()
            }
        }
    };
    inode.set_attr(&attr)
}
