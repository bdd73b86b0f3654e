//! Extended attributes: the rules of Linux 6.1's `fs/xattr.c` (`xattr_permission`,
//! `vfs_getxattr`, `vfs_setxattr`, `vfs_listxattr`, `vfs_removexattr`, `xattr_resolve_name`),
//! the capability hooks of `security/commoncap.c` (`cap_inode_setxattr`,
//! `cap_inode_removexattr`, `cap_convert_nscap`, `cap_inode_getsecurity`) and the store of
//! `simple_xattr_*` (`fs/xattr.c`) that tmpfs keeps per inode.
//!
//! Key items: [`Xattrs`] (one object's attributes, newest first as Linux's list, and the
//! namespaces its filesystem handles), [`get`], [`set`], [`list`], [`remove`] (the VFS
//! operations, called by the syscall layer after its argument checks), [`read_name`]-style
//! limits ([`XATTR_NAME_MAX`], [`XATTR_SIZE_MAX`], [`XATTR_LIST_MAX`]) and [`fit`] (the
//! `ERANGE`/`E2BIG` rule for a caller's buffer).
//!
//! Rules, in Linux's order:
//! - A filesystem without attributes (no [`Inode::xattrs`], Linux's missing `IOP_XATTR`):
//!   get, set and remove are `EOPNOTSUPP` after the permission check; list is empty.
//! - Permission (`xattr_permission`): `security.*` and `system.*` are left to the filesystem
//!   and the capability hooks; `trusted.*` needs `CAP_SYS_ADMIN` (`EPERM` to write, `ENODATA`
//!   to read) and is hidden from the list without it; `user.*` exists only on regular files and
//!   directories (`EPERM` to write, `ENODATA` to read elsewhere), a sticky directory's ones
//!   are written only by its owner; then the object's read or write permission (`EACCES`).
//! - Capability hooks: writing or removing `security.*` needs `CAP_SYS_ADMIN`, except
//!   `security.capability`, which needs `CAP_SETFCAP` and a valid v2 or v3 header (`EINVAL`);
//!   a v3 value is stored with its root id, and read back as v2 when that id is 0.
//! - Names resolve against the filesystem's namespaces: an unknown prefix is `EOPNOTSUPP`, a
//!   bare prefix (`trusted.`) is `EINVAL`.
//! - The store: `XATTR_CREATE` on an existing name is `EEXIST`, `XATTR_REPLACE` (and remove)
//!   of a missing one `ENODATA`; an empty value is a value. New names go first in the list, a
//!   replaced value keeps its place.
//!
//! Not done yet: POSIX ACLs (`system.posix_acl_access`/`_default`, which Linux's tmpfs
//! keeps with `CONFIG_TMPFS_POSIX_ACL`: here `EOPNOTSUPP` as a kernel without it), the
//! `user.*` namespace on tmpfs (Linux 6.6), attributes on sysfs (kernfs), and removing
//! `security.capability` when a file is written or chowned (`cap_inode_killpriv`); exec does not
//! read file capabilities.

use alloc::vec::Vec;

use abi::Errno;

use crate::inode::{FileType, Inode, Metadata, S_ISVTX};
use crate::perm::{Credentials, MAY_READ, MAY_WRITE, may_access};
use crate::sync::SpinLock;

/// Longest attribute name, in bytes (`XATTR_NAME_MAX`); the syscalls copy at most this plus a
/// NUL, and a longer or empty name is `ERANGE`.
pub const XATTR_NAME_MAX: usize = 255;
/// Largest value (`XATTR_SIZE_MAX`): a longer one is `E2BIG`; a larger read buffer is
/// treated as this size.
pub const XATTR_SIZE_MAX: usize = 65536;
/// Largest list buffer (`XATTR_LIST_MAX`); a larger one is treated as this size.
pub const XATTR_LIST_MAX: usize = 65536;
/// `setxattr` flag: fail with `EEXIST` if the attribute exists.
pub const XATTR_CREATE: u32 = 1;
/// `setxattr` flag: fail with `ENODATA` unless the attribute exists.
pub const XATTR_REPLACE: u32 = 2;

const SECURITY_PREFIX: &[u8] = b"security.";
const SYSTEM_PREFIX: &[u8] = b"system.";
const TRUSTED_PREFIX: &[u8] = b"trusted.";
const USER_PREFIX: &[u8] = b"user.";
/// `XATTR_NAME_CAPS`: file capabilities.
const NAME_CAPS: &[u8] = b"security.capability";

/// The capabilities the attribute rules consult (Linux's `capable()` on the caller's
/// effective set, which is not the filesystem identity of [`Credentials`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XattrCaps {
    /// `CAP_SYS_ADMIN`: `trusted.*`, and writing `security.*`.
    pub sys_admin: bool,
    /// `CAP_SETFCAP`: writing `security.capability`.
    pub setfcap: bool,
}

/// Attribute namespaces a filesystem stores (its `s_xattr` handlers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Namespaces {
    /// `security.*`.
    pub security: bool,
    /// `trusted.*`.
    pub trusted: bool,
    /// `user.*`.
    pub user: bool,
}

impl Namespaces {
    /// tmpfs in Linux 6.1 (`shmem_xattr_handlers` without the ACL handlers): `security.*` and
    /// `trusted.*`.
    pub const TMPFS: Namespaces = Namespaces {
        security: true,
        trusted: true,
        user: false,
    };

    /// `xattr_resolve_name`: the name's namespace must be one of these, and the name must not be
    /// the bare prefix (`EINVAL`); anything else is `EOPNOTSUPP`.
    fn resolve(self, name: &[u8]) -> Result<(), Errno> {
        let handled = [
            (SECURITY_PREFIX, self.security),
            (TRUSTED_PREFIX, self.trusted),
            (USER_PREFIX, self.user),
        ];
        for (prefix, supported) in handled {
            if supported && let Some(rest) = name.strip_prefix(prefix) {
                return if rest.is_empty() {
                    Err(Errno::EINVAL)
                } else {
                    Ok(())
                };
            }
        }
        Err(Errno::EOPNOTSUPP)
    }
}

struct Xattr {
    name: Vec<u8>,
    value: Vec<u8>,
}

/// One object's extended attributes (Linux's `struct simple_xattrs`), in list order: the
/// newest name first.
pub struct Xattrs {
    namespaces: Namespaces,
    list: SpinLock<Vec<Xattr>>,
}

impl Xattrs {
    /// An empty set for a filesystem that stores `namespaces`.
    pub fn new(namespaces: Namespaces) -> Xattrs {
        Xattrs {
            namespaces,
            list: SpinLock::new("xattr.list", Vec::new()),
        }
    }

    /// `simple_xattr_get`: a copy of the value, `ENODATA` if absent.
    fn value(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        let list = self.list.lock();
        let found = list.iter().find(|x| x.name == name).ok_or(Errno::ENODATA)?;
        copy_bytes(&found.value)
    }

    /// `simple_xattr_set`: stores `value` (or removes the name for `None`) under `flags`.
    fn store(&self, name: &[u8], value: Option<&[u8]>, flags: u32) -> Result<(), Errno> {
        // Allocated before the lock, as Linux does.
        let new = match value {
            Some(value) => Some(Xattr {
                name: copy_bytes(name)?,
                value: copy_bytes(value)?,
            }),
            None => None,
        };
        let mut list = self.list.lock();
        list.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        match list.iter().position(|x| x.name == name) {
            Some(_) if flags & XATTR_CREATE != 0 => Err(Errno::EEXIST),
            Some(index) => {
                match new {
                    Some(new) => list[index] = new,
                    None => {
                        list.remove(index);
                    }
                }
                Ok(())
            }
            None if flags & XATTR_REPLACE != 0 => Err(Errno::ENODATA),
            None => {
                if let Some(new) = new {
                    list.insert(0, new);
                }
                Ok(())
            }
        }
    }

    /// `simple_xattr_list`: the names, each NUL-terminated, `trusted.*` only when `trusted`.
    fn names(&self, trusted: bool) -> Result<Vec<u8>, Errno> {
        let list = self.list.lock();
        let mut out = Vec::new();
        for xattr in list.iter() {
            if !trusted && xattr.name.starts_with(TRUSTED_PREFIX) {
                continue;
            }
            out.try_reserve(xattr.name.len() + 1)
                .map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(&xattr.name);
            out.push(0);
        }
        Ok(out)
    }
}

fn copy_bytes(bytes: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve_exact(bytes.len())
        .map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(out)
}

/// Whether the owner of `meta` is `creds` or `creds` may act as its owner
/// (`inode_owner_or_capable`).
fn owner_or_capable(meta: &Metadata, creds: &Credentials) -> bool {
    creds.owns(meta)
}

/// `xattr_permission`: may `creds` read (`MAY_READ`) or write (`MAY_WRITE`) attribute `name`
/// of `meta`?
fn permission(
    meta: &Metadata,
    creds: &Credentials,
    caps: XattrCaps,
    name: &[u8],
    mask: u32,
) -> Result<(), Errno> {
    let writing = mask & MAY_WRITE != 0;
    if name.starts_with(SECURITY_PREFIX) || name.starts_with(SYSTEM_PREFIX) {
        return Ok(());
    }
    if name.starts_with(TRUSTED_PREFIX) {
        if !caps.sys_admin {
            return Err(if writing {
                Errno::EPERM
            } else {
                Errno::ENODATA
            });
        }
        return Ok(());
    }
    if name.starts_with(USER_PREFIX) {
        let is_dir = meta.file_type == FileType::Directory;
        if meta.file_type != FileType::Regular && !is_dir {
            return Err(if writing {
                Errno::EPERM
            } else {
                Errno::ENODATA
            });
        }
        if is_dir && meta.mode & S_ISVTX != 0 && writing && !owner_or_capable(meta, creds) {
            return Err(Errno::EPERM);
        }
    }
    may_access(meta, creds, mask)
}

/// `cap_inode_setxattr` and `cap_inode_removexattr`: the capability a change of `name` needs.
fn may_change_security(name: &[u8], caps: XattrCaps, removing: bool) -> Result<(), Errno> {
    if !name.starts_with(SECURITY_PREFIX) {
        return Ok(());
    }
    if name == NAME_CAPS {
        // Setting is checked with the value (`cap_convert_nscap`), removing here.
        if removing && !caps.setfcap {
            return Err(Errno::EPERM);
        }
        return Ok(());
    }
    if !caps.sys_admin {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// `vfs_getxattr`: the value of `name` on `inode`, whole (the caller applies its buffer size
/// with [`fit`]).
pub fn get(
    inode: &dyn Inode,
    creds: &Credentials,
    caps: XattrCaps,
    name: &[u8],
) -> Result<Vec<u8>, Errno> {
    permission(&inode.metadata(), creds, caps, name, MAY_READ)?;
    let xattrs = inode.xattrs().ok_or(Errno::EOPNOTSUPP)?;
    xattrs.namespaces.resolve(name)?;
    let value = xattrs.value(name)?;
    if name == NAME_CAPS {
        return fscaps::for_reader(value);
    }
    Ok(value)
}

/// `vfs_setxattr`: sets `name` to `value` under `flags` (`XATTR_CREATE`, `XATTR_REPLACE`;
/// the caller refused other bits) and updates the ctime. The caller checked write access to
/// the mount.
pub fn set(
    inode: &dyn Inode,
    creds: &Credentials,
    caps: XattrCaps,
    name: &[u8],
    value: &[u8],
    flags: u32,
) -> Result<(), Errno> {
    let converted;
    let value = if !value.is_empty() && name == NAME_CAPS {
        converted = fscaps::for_store(value, caps)?;
        &converted[..]
    } else {
        value
    };
    permission(&inode.metadata(), creds, caps, name, MAY_WRITE)?;
    may_change_security(name, caps, false)?;
    let xattrs = inode.xattrs().ok_or(Errno::EOPNOTSUPP)?;
    xattrs.namespaces.resolve(name)?;
    xattrs.store(name, Some(value), flags)?;
    touch_ctime(inode)
}

/// `vfs_removexattr`: removes `name` (`ENODATA` if absent) and updates the ctime.
pub fn remove(
    inode: &dyn Inode,
    creds: &Credentials,
    caps: XattrCaps,
    name: &[u8],
) -> Result<(), Errno> {
    permission(&inode.metadata(), creds, caps, name, MAY_WRITE)?;
    may_change_security(name, caps, true)?;
    let xattrs = inode.xattrs().ok_or(Errno::EOPNOTSUPP)?;
    xattrs.namespaces.resolve(name)?;
    xattrs.store(name, None, XATTR_REPLACE)?;
    touch_ctime(inode)
}

/// `vfs_listxattr`: the names `caps` may see, each followed by a NUL; empty for a filesystem
/// without attributes (no security module lists any).
pub fn list(inode: &dyn Inode, caps: XattrCaps) -> Result<Vec<u8>, Errno> {
    match inode.xattrs() {
        Some(xattrs) => xattrs.names(caps.sys_admin),
        None => Ok(Vec::new()),
    }
}

/// Whether `len` bytes fit a caller's buffer of `size` bytes (0: only the length is wanted),
/// with the syscalls' rule that a buffer at the limit `max` that is still too small is `E2BIG`
/// (the value cannot exist) and a smaller one `ERANGE`.
pub fn fit(len: usize, size: usize, max: usize) -> Result<(), Errno> {
    let size = size.min(max);
    if size == 0 || len <= size {
        return Ok(());
    }
    Err(if size >= max {
        Errno::E2BIG
    } else {
        Errno::ERANGE
    })
}

fn touch_ctime(inode: &dyn Inode) -> Result<(), Errno> {
    inode.set_attr(&crate::inode::SetAttr {
        ctime: Some(crate::inode::TimeSet::Now),
        ..crate::inode::SetAttr::default()
    })
}

/// File capabilities in `security.capability` (`struct vfs_cap_data`, v2: 20 bytes;
/// `struct vfs_ns_cap_data`, v3: 24 bytes with a root uid), converted as Linux does for a
/// caller in the initial user namespace.
mod fscaps {
    use super::*;

    const REVISION_MASK: u32 = 0xff00_0000;
    const REVISION_2: u32 = 0x0200_0000;
    const REVISION_3: u32 = 0x0300_0000;
    const FLAGS_EFFECTIVE: u32 = 0x0000_0001;
    const SIZE_2: usize = 20;
    const SIZE_3: usize = 24;

    fn magic(value: &[u8]) -> u32 {
        let mut word = [0; 4];
        word.copy_from_slice(&value[..4]);
        u32::from_le_bytes(word)
    }

    fn revision(value: &[u8]) -> Option<u32> {
        match value.len() {
            SIZE_2 if magic(value) & REVISION_MASK == REVISION_2 => Some(REVISION_2),
            SIZE_3 if magic(value) & REVISION_MASK == REVISION_3 => Some(REVISION_3),
            _ => None,
        }
    }

    /// The same capability sets under header `revision` (v2, or v3 with `root`).
    fn rewrite(value: &[u8], revision: u32, root: Option<u32>) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        out.try_reserve_exact(SIZE_3).map_err(|_| Errno::ENOMEM)?;
        let magic = revision | (magic(value) & FLAGS_EFFECTIVE);
        out.extend_from_slice(&magic.to_le_bytes());
        out.extend_from_slice(&value[4..SIZE_2]);
        if let Some(root) = root {
            out.extend_from_slice(&root.to_le_bytes());
        }
        Ok(out)
    }

    /// `cap_convert_nscap`: `EINVAL` without a valid header, `EPERM` without `CAP_SETFCAP`; a
    /// v2 value is stored as given, a v3 one with its flags and root id under a v3 header.
    pub(super) fn for_store(value: &[u8], caps: XattrCaps) -> Result<Vec<u8>, Errno> {
        let revision = revision(value).ok_or(Errno::EINVAL)?;
        if !caps.setfcap {
            return Err(Errno::EPERM);
        }
        if revision == REVISION_2 {
            return copy_bytes(value);
        }
        let mut root = [0; 4];
        root.copy_from_slice(&value[SIZE_2..SIZE_3]);
        rewrite(value, REVISION_3, Some(u32::from_le_bytes(root)))
    }

    /// `cap_inode_getsecurity`: a stored v3 value whose root id is not 0 reads as v3, every
    /// other as v2; anything else is `EINVAL`.
    pub(super) fn for_reader(value: Vec<u8>) -> Result<Vec<u8>, Errno> {
        match revision(&value) {
            Some(REVISION_2) => Ok(value),
            Some(_) => {
                let mut root = [0; 4];
                root.copy_from_slice(&value[SIZE_2..SIZE_3]);
                if u32::from_le_bytes(root) != 0 {
                    Ok(value)
                } else {
                    rewrite(&value, REVISION_2, None)
                }
            }
            None => Err(Errno::EINVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inode::Timespec;

    const ROOT: XattrCaps = XattrCaps {
        sys_admin: true,
        setfcap: true,
    };
    const USER: XattrCaps = XattrCaps {
        sys_admin: false,
        setfcap: false,
    };

    fn meta(file_type: FileType, mode: u32, uid: u32) -> Metadata {
        Metadata {
            dev: 1,
            ino: 2,
            file_type,
            mode,
            nlink: 1,
            uid,
            gid: uid,
            size: 0,
            rdev: 0,
            blocks: 0,
            blksize: 4096,
            atime: Timespec::ZERO,
            mtime: Timespec::ZERO,
            ctime: Timespec::ZERO,
        }
    }

    #[test]
    fn store_orders_newest_first_and_replaces_in_place() {
        let x = Xattrs::new(Namespaces::TMPFS);
        x.store(b"trusted.a", Some(b"1"), 0).unwrap();
        x.store(b"trusted.b", Some(b""), 0).unwrap();
        x.store(b"trusted.a", Some(b"22"), 0).unwrap();
        assert_eq!(x.names(true).unwrap(), b"trusted.b\0trusted.a\0");
        assert_eq!(x.value(b"trusted.a").unwrap(), b"22");
        assert_eq!(x.value(b"trusted.b").unwrap(), b"");
        assert_eq!(
            x.store(b"trusted.a", Some(b"3"), XATTR_CREATE),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            x.store(b"trusted.c", Some(b"3"), XATTR_REPLACE),
            Err(Errno::ENODATA)
        );
        assert_eq!(
            x.store(b"trusted.c", Some(b"3"), XATTR_CREATE | XATTR_REPLACE),
            Err(Errno::ENODATA)
        );
        x.store(b"trusted.b", None, XATTR_REPLACE).unwrap();
        assert_eq!(x.value(b"trusted.b"), Err(Errno::ENODATA));
        assert_eq!(
            x.store(b"trusted.b", None, XATTR_REPLACE),
            Err(Errno::ENODATA)
        );
    }

    #[test]
    fn list_hides_trusted_from_the_unprivileged() {
        let x = Xattrs::new(Namespaces::TMPFS);
        x.store(b"trusted.t", Some(b"1"), 0).unwrap();
        x.store(b"security.s", Some(b"1"), 0).unwrap();
        assert_eq!(x.names(true).unwrap(), b"security.s\0trusted.t\0");
        assert_eq!(x.names(false).unwrap(), b"security.s\0");
    }

    #[test]
    fn names_resolve_against_the_namespaces() {
        let ns = Namespaces::TMPFS;
        assert_eq!(ns.resolve(b"trusted.x"), Ok(()));
        assert_eq!(ns.resolve(b"security.x"), Ok(()));
        assert_eq!(ns.resolve(b"trusted."), Err(Errno::EINVAL));
        assert_eq!(ns.resolve(b"user.x"), Err(Errno::EOPNOTSUPP));
        assert_eq!(
            ns.resolve(b"system.posix_acl_access"),
            Err(Errno::EOPNOTSUPP)
        );
        assert_eq!(ns.resolve(b"trustedx"), Err(Errno::EOPNOTSUPP));
        assert_eq!(ns.resolve(b"os2.x"), Err(Errno::EOPNOTSUPP));
    }

    #[test]
    fn permission_follows_xattr_permission() {
        let user = Credentials::new(1000, 1000, Vec::new());
        let file = meta(FileType::Regular, 0o644, 0);
        let fifo = meta(FileType::Fifo, 0o666, 1000);
        let sticky = meta(FileType::Directory, 0o1777, 0);
        // trusted.*: CAP_SYS_ADMIN only.
        assert_eq!(
            permission(&file, &user, USER, b"trusted.x", MAY_WRITE),
            Err(Errno::EPERM)
        );
        assert_eq!(
            permission(&file, &user, USER, b"trusted.x", MAY_READ),
            Err(Errno::ENODATA)
        );
        assert_eq!(
            permission(&file, &user, ROOT, b"trusted.x", MAY_WRITE),
            Ok(())
        );
        // security.* and system.* are not the VFS's business.
        assert_eq!(
            permission(&file, &user, USER, b"security.x", MAY_WRITE),
            Ok(())
        );
        assert_eq!(
            permission(&file, &user, USER, b"system.x", MAY_WRITE),
            Ok(())
        );
        // user.*: regular files and directories, by their permissions.
        assert_eq!(permission(&file, &user, USER, b"user.x", MAY_READ), Ok(()));
        assert_eq!(
            permission(&file, &user, USER, b"user.x", MAY_WRITE),
            Err(Errno::EACCES)
        );
        assert_eq!(
            permission(&fifo, &user, USER, b"user.x", MAY_WRITE),
            Err(Errno::EPERM)
        );
        assert_eq!(
            permission(&fifo, &user, USER, b"user.x", MAY_READ),
            Err(Errno::ENODATA)
        );
        assert_eq!(
            permission(&sticky, &user, USER, b"user.x", MAY_WRITE),
            Err(Errno::EPERM)
        );
        assert_eq!(
            permission(&sticky, &user, USER, b"user.x", MAY_READ),
            Ok(())
        );
        // Unknown namespaces: the object's permissions.
        assert_eq!(
            permission(&file, &user, USER, b"foo.x", MAY_WRITE),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn security_changes_need_capabilities() {
        assert_eq!(
            may_change_security(b"security.x", USER, false),
            Err(Errno::EPERM)
        );
        assert_eq!(may_change_security(b"security.x", ROOT, false), Ok(()));
        assert_eq!(may_change_security(b"trusted.x", USER, false), Ok(()));
        assert_eq!(may_change_security(NAME_CAPS, USER, false), Ok(()));
        assert_eq!(
            may_change_security(NAME_CAPS, USER, true),
            Err(Errno::EPERM)
        );
        let only_setfcap = XattrCaps {
            sys_admin: false,
            setfcap: true,
        };
        assert_eq!(may_change_security(NAME_CAPS, only_setfcap, true), Ok(()));
    }

    #[test]
    fn file_capabilities_convert_as_linux() {
        let mut v2 = Vec::from(0x0200_0001u32.to_le_bytes());
        v2.extend_from_slice(&[1; 16]);
        assert_eq!(fscaps::for_store(&v2, ROOT).unwrap(), v2);
        assert_eq!(fscaps::for_store(&v2, USER), Err(Errno::EPERM));
        assert_eq!(fscaps::for_store(&v2[..19], ROOT), Err(Errno::EINVAL));
        let mut v3 = Vec::from(0x0300_0001u32.to_le_bytes());
        v3.extend_from_slice(&[1; 16]);
        v3.extend_from_slice(&0u32.to_le_bytes());
        let stored = fscaps::for_store(&v3, ROOT).unwrap();
        assert_eq!(stored, v3);
        // A root id of 0 reads back as v2.
        assert_eq!(fscaps::for_reader(stored).unwrap(), v2);
        let mut v3_owned = v3.clone();
        v3_owned[20..].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(fscaps::for_reader(v3_owned.clone()).unwrap(), v3_owned);
        // A v2 header with a v3 size is invalid.
        let mut bad = v2.clone();
        bad.extend_from_slice(&[0; 4]);
        assert_eq!(fscaps::for_store(&bad, ROOT), Err(Errno::EINVAL));
    }

    #[test]
    fn buffers_fit_or_range() {
        assert_eq!(fit(10, 0, XATTR_SIZE_MAX), Ok(()));
        assert_eq!(fit(10, 10, XATTR_SIZE_MAX), Ok(()));
        assert_eq!(fit(10, 9, XATTR_SIZE_MAX), Err(Errno::ERANGE));
        assert_eq!(fit(70000, 1 << 20, XATTR_LIST_MAX), Err(Errno::E2BIG));
    }
}
