//! Extended attributes: setxattr, lsetxattr, fsetxattr, getxattr, lgetxattr, fgetxattr,
//! listxattr, llistxattr, flistxattr, removexattr, lremovexattr, fremovexattr (Linux 6.1
//! `fs/xattr.c`).
//!
//! Order of checks as Linux's: the path walk (the `l` calls do not follow a last symlink) or
//! the descriptor (`EBADF`, also for `O_PATH` ones: `fdget`); for changes, a read-only mount
//! (`EROFS`); then `setxattr_copy`: unknown flags `EINVAL`, the name (empty or over 255 bytes
//! `ERANGE`, `EFAULT`), a value over 64 KiB `E2BIG`, `EFAULT`; then the namespace permission
//! rules of [`vfs::xattr::permission`]; then the filesystem, which answers `EOPNOTSUPP` for
//! names it has no handler for (tmpfs keeps `security.*` and `trusted.*`, see
//! `vfs::tmpfs`). An empty value is a value, not a removal. Reading with size 0 returns the
//! length; a smaller buffer is `ERANGE`; a buffer over 64 KiB is read as 64 KiB (`E2BIG` if
//! that is still too small). `listxattr` gives the names, NUL-terminated, `trusted.*` only to
//! `CAP_SYS_ADMIN`. Files without an inode (pipes, eventfd, epoll) have no attributes:
//! `EOPNOTSUPP` to read or write, an empty list.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::xattr::{
    Access, XATTR_CREATE, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX,
};
use vfs::{Inode, Lookup, Metadata, Path};

/// The object an attribute call works on.
struct Object {
    inode: Option<Arc<dyn Inode>>,
    metadata: Metadata,
    /// Its mount, for `EROFS` (a file without a path has none).
    path: Option<Path>,
}

impl Object {
    fn of_path(
        context: &SyscallContext<'_>,
        path: UserCStr,
        follow: bool,
    ) -> Result<Object, Errno> {
        let path = path.read_path()?;
        let how = if follow {
            Lookup::FOLLOW
        } else {
            Lookup::NOFOLLOW
        };
        let found = fs::lookup_or_fd(context.thread, Fd(AT_FDCWD), &path, how, false)?;
        Ok(Object {
            inode: Some(found.inode().clone()),
            metadata: found.metadata(),
            path: Some(found),
        })
    }

    fn of_fd(context: &SyscallContext<'_>, fd: Fd) -> Result<Object, Errno> {
        let file = super::read_write::file(context, fd)?;
        if file.is_path_only() {
            return Err(Errno::EBADF);
        }
        let inode = match (&file.path, file.ops.inode()) {
            (Some(path), _) => Some(path.inode().clone()),
            (None, inode) => inode.cloned(),
        };
        let metadata = match &inode {
            Some(inode) => inode.metadata(),
            None => file.ops.metadata(),
        };
        Ok(Object {
            inode,
            metadata,
            path: file.path.clone(),
        })
    }

    /// `mnt_want_write`.
    fn want_write(&self) -> Result<(), Errno> {
        match &self.path {
            Some(path) => path.want_write(),
            None => Ok(()),
        }
    }

    fn permission(
        &self,
        context: &SyscallContext<'_>,
        name: &[u8],
        access: Access,
    ) -> Result<(), Errno> {
        let (credentials, has_sys_admin) = caller(context);
        vfs::xattr::permission(&self.metadata, name, access, &credentials, has_sys_admin)
    }
}

/// The caller's file credentials and `CAP_SYS_ADMIN`.
fn caller(context: &SyscallContext<'_>) -> (vfs::Credentials, bool) {
    let credentials = context.thread.process.credentials.lock();
    (
        credentials.for_fs(),
        credentials.has_capability(abi::capability::CAP_SYS_ADMIN),
    )
}

/// `strncpy_from_user` of an attribute name: empty or longer than `XATTR_NAME_MAX` is `ERANGE`.
fn read_name(name: UserCStr) -> Result<Vec<u8>, Errno> {
    match name.read(XATTR_NAME_MAX) {
        Ok(name) if name.is_empty() => Err(Errno::ERANGE),
        Ok(name) => Ok(name),
        Err(Errno::ENAMETOOLONG) => Err(Errno::ERANGE),
        Err(error) => Err(error),
    }
}

fn set(
    context: &SyscallContext<'_>,
    object: Object,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    object.want_write()?;
    let flags = u32::try_from(flags).map_err(|_| Errno::EINVAL)?;
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| Errno::ENOMEM)?;
    bytes.resize(size, 0);
    if size != 0 {
        hal::usercopy::copy_from_user(&mut bytes, value.address)?;
    }
    object.permission(context, &name, Access::Write)?;
    match &object.inode {
        Some(inode) => inode.set_xattr(&name, Some(&bytes), flags)?,
        None => return Err(Errno::EOPNOTSUPP),
    }
    Ok(0)
}

fn get(
    context: &SyscallContext<'_>,
    object: Object,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let name = read_name(name)?;
    let size = size.min(XATTR_SIZE_MAX);
    object.permission(context, &name, Access::Read)?;
    let bytes = match &object.inode {
        Some(inode) => inode.get_xattr(&name)?,
        None => return Err(Errno::EOPNOTSUPP),
    };
    copy_out(bytes, value, size, XATTR_SIZE_MAX)
}

/// Copies a value or a list out: its length for size 0, `ERANGE` if it does not fit (`E2BIG`
/// when the buffer was already the largest).
fn copy_out(bytes: Vec<u8>, buffer: UserPtr<u8>, size: usize, max: usize) -> SyscallResult {
    if size == 0 {
        return Ok(bytes.len());
    }
    if bytes.len() > size {
        return Err(if size >= max {
            Errno::E2BIG
        } else {
            Errno::ERANGE
        });
    }
    hal::usercopy::copy_to_user(buffer.address, &bytes)?;
    Ok(bytes.len())
}

fn list(
    context: &SyscallContext<'_>,
    object: Object,
    buffer: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let size = size.min(XATTR_LIST_MAX);
    let (_, has_sys_admin) = caller(context);
    let names = match &object.inode {
        Some(inode) => inode.list_xattr(has_sys_admin)?,
        None => Vec::new(),
    };
    copy_out(names, buffer, size, XATTR_LIST_MAX)
}

fn remove(context: &SyscallContext<'_>, object: Object, name: UserCStr) -> SyscallResult {
    object.want_write()?;
    let name = read_name(name)?;
    object.permission(context, &name, Access::Write)?;
    match &object.inode {
        Some(inode) => inode.set_xattr(&name, None, XATTR_REPLACE)?,
        None => return Err(Errno::EOPNOTSUPP),
    }
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
    let object = Object::of_path(context, path, true)?;
    set(context, object, name, value, size, flags)
}

pub fn lsetxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    let object = Object::of_path(context, path, false)?;
    set(context, object, name, value, size, flags)
}

pub fn fsetxattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
    flags: i32,
) -> SyscallResult {
    let object = Object::of_fd(context, fd)?;
    set(context, object, name, value, size, flags)
}

pub fn getxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let object = Object::of_path(context, path, true)?;
    get(context, object, name, value, size)
}

pub fn lgetxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let object = Object::of_path(context, path, false)?;
    get(context, object, name, value, size)
}

pub fn fgetxattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    name: UserCStr,
    value: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let object = Object::of_fd(context, fd)?;
    get(context, object, name, value, size)
}

pub fn listxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    list_buffer: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let object = Object::of_path(context, path, true)?;
    list(context, object, list_buffer, size)
}

pub fn llistxattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    list_buffer: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let object = Object::of_path(context, path, false)?;
    list(context, object, list_buffer, size)
}

pub fn flistxattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    list_buffer: UserPtr<u8>,
    size: usize,
) -> SyscallResult {
    let object = Object::of_fd(context, fd)?;
    list(context, object, list_buffer, size)
}

pub fn removexattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
) -> SyscallResult {
    let object = Object::of_path(context, path, true)?;
    remove(context, object, name)
}

pub fn lremovexattr(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    name: UserCStr,
) -> SyscallResult {
    let object = Object::of_path(context, path, false)?;
    remove(context, object, name)
}

pub fn fremovexattr(context: &mut SyscallContext<'_>, fd: Fd, name: UserCStr) -> SyscallResult {
    let object = Object::of_fd(context, fd)?;
    remove(context, object, name)
}
