//! Extended attributes: the namespaces of Linux 6.1's `fs/xattr.c` and an in-memory store
//! (`simple_xattrs`) for filesystems that keep them, as tmpfs does.
//!
//! Names are `namespace.rest`. [`Namespace::of`] classifies them; [`permission`] is Linux's
//! `xattr_permission` plus the capability hooks (`cap_inode_setxattr`,
//! `cap_inode_removexattr`): `trusted.*` needs `CAP_SYS_ADMIN` (without it a read is `ENODATA`,
//! a write `EPERM`), writing `security.*` needs it too, `user.*` is only for regular files and
//! directories (else `ENODATA`/`EPERM`) with the owner-or-privileged rule on sticky directories,
//! and `user.*` and unknown namespaces are checked against the file's permission bits.
//! `security.*` and `system.*` have no VFS permission check.
//!
//! [`XattrStore`] is `simple_xattr_set`/`simple_xattr_get`/`simple_xattr_list`: a list where a
//! new name goes first (Linux's `list_add`), a replaced value keeps its place, `XATTR_CREATE` of
//! an existing name is `EEXIST`, `XATTR_REPLACE` (and removal) of a missing one `ENODATA`, and
//! the list leaves out `trusted.*` names for callers without `CAP_SYS_ADMIN`.

use alloc::vec::Vec;

use abi::Errno;

use crate::inode::{FileType, Metadata};
use crate::perm::{Credentials, MAY_WRITE, may_access};

/// `XATTR_CREATE`: fail with `EEXIST` if the name exists.
pub const XATTR_CREATE: u32 = 1;
/// `XATTR_REPLACE`: fail with `ENODATA` if it does not.
pub const XATTR_REPLACE: u32 = 2;
/// Longest name (`XATTR_NAME_MAX`).
pub const XATTR_NAME_MAX: usize = 255;
/// Largest value (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: usize = 65536;
/// Largest name list (`XATTR_LIST_MAX`).
pub const XATTR_LIST_MAX: usize = 65536;

/// The namespace of an attribute name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    /// `security.*`: security modules' labels and file capabilities.
    Security,
    /// `system.*`: POSIX ACLs and other kernel-defined names.
    System,
    /// `trusted.*`: for `CAP_SYS_ADMIN` only.
    Trusted,
    /// `user.*`: for files' owners, under the mode bits.
    User,
    /// Anything else (no filesystem has a handler for it: `EOPNOTSUPP`).
    Other,
}

impl Namespace {
    /// The namespace `name` is in.
    pub fn of(name: &[u8]) -> Namespace {
        if name.starts_with(b"security.") {
            Namespace::Security
        } else if name.starts_with(b"system.") {
            Namespace::System
        } else if name.starts_with(b"trusted.") {
            Namespace::Trusted
        } else if name.starts_with(b"user.") {
            Namespace::User
        } else {
            Namespace::Other
        }
    }
}

/// What the caller wants to do with an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `getxattr`.
    Read,
    /// `setxattr`, `removexattr`.
    Write,
}

/// Linux's `xattr_permission` and the capability hooks, for `name` on the object `meta`;
/// `has_sys_admin` is the caller's `CAP_SYS_ADMIN`.
pub fn permission(
    meta: &Metadata,
    name: &[u8],
    access: Access,
    credentials: &Credentials,
    has_sys_admin: bool,
) -> Result<(), Errno> {
    let denied = match access {
        Access::Read => Errno::ENODATA,
        Access::Write => Errno::EPERM,
    };
    match Namespace::of(name) {
        Namespace::Security => {
            // cap_inode_setxattr / cap_inode_removexattr.
            if access == Access::Write && !has_sys_admin {
                return Err(Errno::EPERM);
            }
            Ok(())
        }
        Namespace::System => Ok(()),
        Namespace::Trusted => {
            if has_sys_admin {
                Ok(())
            } else {
                Err(denied)
            }
        }
        namespace => {
            if namespace == Namespace::User {
                let is_dir = meta.file_type == FileType::Directory;
                if meta.file_type != FileType::Regular && !is_dir {
                    return Err(denied);
                }
                if is_dir
                    && meta.mode & 0o1000 != 0
                    && access == Access::Write
                    && !credentials.owns(meta)
                    && !credentials.is_privileged()
                {
                    return Err(Errno::EPERM);
                }
            }
            let mask = match access {
                Access::Read => crate::perm::MAY_READ,
                Access::Write => MAY_WRITE,
            };
            may_access(meta, credentials, mask)
        }
    }
}

/// One attribute.
#[derive(Debug)]
struct Xattr {
    name: Vec<u8>,
    value: Vec<u8>,
}

/// Attributes kept in memory (`struct simple_xattrs`).
#[derive(Debug, Default)]
pub struct XattrStore {
    /// Newest first.
    entries: Vec<Xattr>,
}

fn copy(bytes: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve_exact(bytes.len())
        .map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(out)
}

impl XattrStore {
    /// A copy of the value of `name`: `ENODATA` if it has none.
    pub fn get(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.entries
            .iter()
            .find(|entry| entry.name == name)
            .ok_or(Errno::ENODATA)
            .and_then(|entry| copy(&entry.value))
    }

    /// Sets `name` to `value`, or removes it (`None`), under `XATTR_CREATE`/`XATTR_REPLACE`.
    pub fn set(&mut self, name: &[u8], value: Option<&[u8]>, flags: u32) -> Result<(), Errno> {
        let at = self.entries.iter().position(|entry| entry.name == name);
        match (at, value) {
            (Some(_), _) if flags & XATTR_CREATE != 0 => Err(Errno::EEXIST),
            (Some(at), Some(value)) => {
                self.entries[at].value = copy(value)?;
                Ok(())
            }
            (Some(at), None) => {
                self.entries.remove(at);
                Ok(())
            }
            (None, _) if flags & XATTR_REPLACE != 0 => Err(Errno::ENODATA),
            (None, None) => Err(Errno::ENODATA),
            (None, Some(value)) => {
                let entry = Xattr {
                    name: copy(name)?,
                    value: copy(value)?,
                };
                self.entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                self.entries.insert(0, entry);
                Ok(())
            }
        }
    }

    /// The names, each followed by a NUL, `trusted.*` only `with_trusted`.
    pub fn list(&self, with_trusted: bool) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        for entry in &self.entries {
            if !with_trusted && Namespace::of(&entry.name) == Namespace::Trusted {
                continue;
            }
            out.try_reserve(entry.name.len() + 1)
                .map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(&entry.name);
            out.push(0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inode::Timespec;

    fn meta(file_type: FileType, mode: u32, uid: u32) -> Metadata {
        Metadata {
            dev: 0,
            ino: 1,
            file_type,
            mode,
            nlink: 1,
            uid,
            gid: uid,
            size: 0,
            rdev: 0,
            blocks: 0,
            blksize: 4096,
            atime: Timespec::default(),
            mtime: Timespec::default(),
            ctime: Timespec::default(),
        }
    }

    #[test]
    fn store_follows_simple_xattr_set() {
        let mut store = XattrStore::default();
        assert_eq!(store.get(b"trusted.a"), Err(Errno::ENODATA));
        assert_eq!(
            store.set(b"trusted.a", Some(b"1"), XATTR_REPLACE),
            Err(Errno::ENODATA)
        );
        store.set(b"trusted.a", Some(b"1"), XATTR_CREATE).unwrap();
        store.set(b"security.b", Some(b""), 0).unwrap();
        assert_eq!(
            store.set(b"trusted.a", Some(b"2"), XATTR_CREATE),
            Err(Errno::EEXIST)
        );
        store.set(b"trusted.a", Some(b"22"), XATTR_REPLACE).unwrap();
        assert_eq!(store.get(b"trusted.a").unwrap(), b"22");
        assert_eq!(store.get(b"security.b").unwrap(), b"");
        // Newest first; a replaced value keeps its place.
        assert_eq!(store.list(true).unwrap(), b"security.b\0trusted.a\0");
        assert_eq!(store.list(false).unwrap(), b"security.b\0");
        store.set(b"trusted.a", None, XATTR_REPLACE).unwrap();
        assert_eq!(store.set(b"trusted.a", None, 0), Err(Errno::ENODATA));
        assert_eq!(store.list(true).unwrap(), b"security.b\0");
    }

    #[test]
    fn permission_follows_xattr_permission() {
        let root = Credentials::root();
        let user = Credentials::new(1000, 1000, Vec::new());
        let file = meta(FileType::Regular, 0o644, 0);
        let read = Access::Read;
        let write = Access::Write;
        assert_eq!(permission(&file, b"trusted.x", read, &root, true), Ok(()));
        assert_eq!(
            permission(&file, b"trusted.x", read, &user, false),
            Err(Errno::ENODATA)
        );
        assert_eq!(
            permission(&file, b"trusted.x", write, &user, false),
            Err(Errno::EPERM)
        );
        assert_eq!(permission(&file, b"security.x", read, &user, false), Ok(()));
        assert_eq!(
            permission(&file, b"security.x", write, &user, false),
            Err(Errno::EPERM)
        );
        assert_eq!(permission(&file, b"system.x", write, &user, false), Ok(()));
        assert_eq!(permission(&file, b"user.x", read, &user, false), Ok(()));
        assert_eq!(
            permission(&file, b"user.x", write, &user, false),
            Err(Errno::EACCES)
        );
        let link = meta(FileType::Symlink, 0o777, 1000);
        assert_eq!(
            permission(&link, b"user.x", read, &user, false),
            Err(Errno::ENODATA)
        );
        let sticky = meta(FileType::Directory, 0o1777, 0);
        assert_eq!(
            permission(&sticky, b"user.x", write, &user, false),
            Err(Errno::EPERM)
        );
        assert_eq!(Namespace::of(b"os2.x"), Namespace::Other);
    }
}
