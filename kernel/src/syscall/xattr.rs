//! setxattr, lsetxattr, fsetxattr, getxattr, lgetxattr, fgetxattr, listxattr, llistxattr,
//! flistxattr, removexattr, lremovexattr, fremovexattr (Linux 6.1 `fs/xattr.c`).
//!
//! The order of checks is Linux's: the path is walked first (following a final symlink except
//! for the `l*` calls), or the descriptor looked up (`EBADF`, also for an `O_PATH` one, which
//! `fdget` refuses); the calls that change something then ask the mount for write access
//! (`EROFS`); then `setxattr` refuses unknown flags (`EINVAL`); the name is copied (`EFAULT`,
//! `ERANGE` when empty or longer than `XATTR_NAME_MAX`); a value longer than `XATTR_SIZE_MAX` is
//! `E2BIG` and is copied before the VFS rules of [`vfs::xattr`] run. `getxattr` and `listxattr`
//! with size 0 return the length only; a buffer too small is `ERANGE`, or `E2BIG` when it is
//! already as large as a value or list can be. Descriptors without a filesystem object (pipes,
//! eventfds) have no attributes: `EOPNOTSUPP`, and an empty list.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::Errno;
use abi::capability::{CAP_SETFCAP, CAP_SYS_ADMIN};
use vfs::xattr::{
    self, XATTR_CREATE, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX, XattrCaps,
};
use vfs::{Inode, Lookup};

/// What an attribute call acts on: the object, and the mount path when it has one.
struct Target {
    inode: Option<Arc<dyn Inode>>,
    path: Option<vfs::Path>,
}

impl Target {
    /// inotify: an extended attribute changed (`fsnotify_xattr`).
    fn notify_attrib(&self) {
        if let Some(path) = &self.path {
            fs::notify::path_event(path.dentry(), inotify::IN_ATTRIB, false);
        }
    }

    /// `user_path_at`: the object `path` names, following a final symlink when `follow`.
    fn by_path(
        context: &SyscallContext<'_>,
        path: UserCStr,
        follow: bool,
    ) -> Result<Target, Errno> {
        let path = path.read_path()?;
        let how = if follow {
            Lookup::FOLLOW
        } else {
            Lookup::NOFOLLOW
        };
        let found = fs::lookup(context.thread, Fd(AT_FDCWD), &path, how)?;
        Ok(Target {
            inode: Some(found.inode().clone()),
            path: Some(found),
        })
    }

    /// `fdget`: the descriptor's object; `EBADF` for an `O_PATH` descriptor.
    fn by_fd(context: &SyscallContext<'_>, fd: Fd) -> Result<Target, Errno> {
        let file = super::read_write::file(context, fd)?;
        if file.is_path_only() {
            return Err(Errno::EBADF);
        }
        let inode = match (&file.path, file.ops.inode()) {
            (Some(path), _) => Some(path.inode().clone()),
            (None, inode) => inode.cloned(),
        };
        Ok(Target {
            inode,
            path: file.path.clone(),
        })
    }

    /// `mnt_want_write`: `EROFS` on a read-only mount.
    fn want_write(&self) -> Result<(), Errno> {
        match &self.path {
            Some(path) => path.want_write(),
            None => Ok(()),
        }
    }

    fn inode(&self) -> Result<&dyn Inode, Errno> {
        self.inode.as_deref().ok_or(Errno::EOPNOTSUPP)
    }
}

/// The caller's filesystem identity and the capabilities the attribute rules consult.
fn credentials(context: &SyscallContext<'_>) -> (vfs::Credentials, XattrCaps) {
    let credentials = context.thread.process.credentials.lock();
    let caps = XattrCaps {
        sys_admin: credentials.has_capability(CAP_SYS_ADMIN),
        setfcap: credentials.has_capability(CAP_SETFCAP),
    };
    (credentials.for_fs(), caps)
}

/// Copies an attribute name: `ERANGE` when empty or too long, `EFAULT` on a bad pointer.
fn read_name(name: UserCStr) -> Result<Vec<u8>, Errno> {
    match name.read(XATTR_NAME_MAX) {
        Ok(name) if name.is_empty() => Err(Errno::ERANGE),
        Ok(name) => Ok(name),
        Err(Errno::ENAMETOOLONG) => Err(Errno::ERANGE),
        Err(error) => Err(error),
    }
}

/// A kernel buffer for user-supplied or user-bound attribute bytes.
fn buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    hal::mm::heap::user_data(|| out.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    out.resize(len, 0);
    Ok(out)
}

/// `setxattr()` after the lookup: write access, flags, name, value, then the VFS.
fn do_set(
    context: &SyscallContext<'_>,
    target: Target,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    target.want_write()?;
    let flags = u32::try_from(flags).map_err(|_| Errno::EINVAL)?;
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut bytes = buffer(size)?;
    if size != 0 {
        hal::usercopy::copy_from_user(&mut bytes, value.address)?;
    }
    let (creds, caps) = credentials(context);
    let inode = target.inode()?;
    xattr::set(inode, &creds, caps, &name, &bytes, flags)?;
    target.notify_attrib();
    Ok(0)
}

/// `getxattr()` after the lookup.
fn do_get(
    context: &SyscallContext<'_>,
    target: Target,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let name = read_name(name)?;
    let (creds, caps) = credentials(context);
    let inode = target.inode()?;
    let bytes = xattr::get(inode, &creds, caps, &name)?;
    xattr::fit(bytes.len(), size, XATTR_SIZE_MAX)?;
    if size != 0 {
        hal::usercopy::copy_to_user(value.address, &bytes)?;
    }
    Ok(bytes.len())
}

/// `listxattr()` after the lookup.
fn do_list(
    context: &SyscallContext<'_>,
    target: Target,
    list: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let (_, caps) = credentials(context);
    let names = match &target.inode {
        Some(inode) => xattr::list(inode.as_ref(), caps)?,
        None => Vec::new(),
    };
    xattr::fit(names.len(), size, XATTR_LIST_MAX)?;
    if size != 0 {
        hal::usercopy::copy_to_user(list.address, &names)?;
    }
    Ok(names.len())
}

/// `removexattr()` after the lookup: write access, name, then the VFS.
fn do_remove(context: &SyscallContext<'_>, target: Target, name: UserCStr) -> SyscallResult {
    target.want_write()?;
    let name = read_name(name)?;
    let (creds, caps) = credentials(context);
    let inode = target.inode()?;
    xattr::remove(inode, &creds, caps, &name)?;
    target.notify_attrib();
    Ok(0)
}

pub fn setxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    let target = Target::by_path(context, path, true)?;
    do_set(context, target, name, value, size, flags)
}

pub fn lsetxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    let target = Target::by_path(context, path, false)?;
    do_set(context, target, name, value, size, flags)
}

pub fn fsetxattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    let target = Target::by_fd(context, fd)?;
    do_set(context, target, name, value, size, flags)
}

pub fn getxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let target = Target::by_path(context, path, true)?;
    do_get(context, target, name, value, size)
}

pub fn lgetxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let target = Target::by_path(context, path, false)?;
    do_get(context, target, name, value, size)
}

pub fn fgetxattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let target = Target::by_fd(context, fd)?;
    do_get(context, target, name, value, size)
}

pub fn listxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    list: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let target = Target::by_path(context, path, true)?;
    do_list(context, target, list, size)
}

pub fn llistxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    list: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let target = Target::by_path(context, path, false)?;
    do_list(context, target, list, size)
}

pub fn flistxattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    list: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let target = Target::by_fd(context, fd)?;
    do_list(context, target, list, size)
}

pub fn removexattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
) -> SyscallResult {
    let target = Target::by_path(context, path, true)?;
    do_remove(context, target, name)
}

pub fn lremovexattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
) -> SyscallResult {
    let target = Target::by_path(context, path, false)?;
    do_remove(context, target, name)
}

pub fn fremovexattr(context: &mut SyscallContext<'_>, fd: Fd, name: UserCStr) -> SyscallResult {
    let target = Target::by_fd(context, fd)?;
    do_remove(context, target, name)
}
