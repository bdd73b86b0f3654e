//! Permission checks on inode metadata, as Linux's `generic_permission()` (`fs/namei.c`) and the
//! sticky-directory rule of `may_delete()`/`check_sticky()`.
//!
//! Key types: [`Credentials`] (the filesystem identity of a task: fsuid, fsgid, supplementary
//! groups), [`may_access`] (read/write/execute checks with the root overrides), [`check_sticky`].
//!
//! Capabilities are modelled by the fsuid: a task whose fsuid is 0 has the filesystem
//! capabilities (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`, `CAP_FOWNER`, `CAP_FSETID`,
//! `CAP_CHOWN`, `CAP_MKNOD`), as Linux gives a root process, and drops them when `setfsuid`
//! moves away from 0. Not done yet: explicit capability sets, user namespaces, ACLs, LSMs,
//! immutable/append-only inode flags, read-only mounts (`EROFS`).

use alloc::vec::Vec;

use abi::Errno;

use crate::inode::{Metadata, S_ISVTX, S_IXUGO};

/// Read permission (`MAY_READ`).
pub const MAY_READ: u32 = 4;
/// Write permission (`MAY_WRITE`).
pub const MAY_WRITE: u32 = 2;
/// Execute permission, search permission on directories (`MAY_EXEC`).
pub const MAY_EXEC: u32 = 1;

/// The identity a task acts with on files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Filesystem user ID (normally the effective UID).
    pub fsuid: u32,
    /// Filesystem group ID (normally the effective GID).
    pub fsgid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Credentials {
    /// Root: uid 0, gid 0, no supplementary groups.
    pub fn root() -> Credentials {
        Credentials::default()
    }

    /// A user with the given fsuid, fsgid and supplementary groups.
    pub fn new(fsuid: u32, fsgid: u32, groups: Vec<u32>) -> Credentials {
        Credentials {
            fsuid,
            fsgid,
            groups,
        }
    }

    /// Whether this identity has the filesystem capabilities (fsuid 0).
    pub fn is_privileged(&self) -> bool {
        self.fsuid == 0
    }

    /// Whether `gid` is the fsgid or a supplementary group (Linux `in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.contains(&gid)
    }

    /// Whether this identity owns `meta` or may act as its owner (`inode_owner_or_capable`).
    pub fn owns(&self, meta: &Metadata) -> bool {
        self.fsuid == meta.uid || self.is_privileged()
    }
}

/// Checks `mask` (a combination of [`MAY_READ`], [`MAY_WRITE`], [`MAY_EXEC`]) against `meta` for
/// `cred`, as `generic_permission()`: the owner is judged by the owner bits only, a group member
/// by the group bits only, others by the other bits; then root overrides read and write always,
/// search on directories always, and execute on other files only when some execute bit is set.
/// `EACCES` when denied.
pub fn may_access(meta: &Metadata, cred: &Credentials, mask: u32) -> Result<(), Errno> {
    let mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
    let mut mode = meta.mode;
    if cred.fsuid == meta.uid {
        mode >>= 6;
    } else if mask & (mode ^ (mode >> 3)) != 0 && cred.in_group(meta.gid) {
        mode >>= 3;
    }
    if mask & !mode & 7 == 0 {
        return Ok(());
    }
    if cred.is_privileged() {
        if meta.file_type.is_dir() {
            // CAP_DAC_READ_SEARCH / CAP_DAC_OVERRIDE: directories are fully overridable.
            return Ok(());
        }
        if mask & MAY_EXEC == 0 || meta.mode & S_IXUGO != 0 {
            return Ok(());
        }
    }
    Err(Errno::EACCES)
}

/// Whether the sticky bit of directory `dir` forbids `cred` to remove or rename its entry
/// `victim` (`check_sticky()`): only the victim's owner, the directory's owner and root may.
pub fn check_sticky(dir: &Metadata, victim: &Metadata, cred: &Credentials) -> bool {
    if dir.mode & S_ISVTX == 0 {
        return false;
    }
    !(cred.fsuid == victim.uid || cred.fsuid == dir.uid || cred.is_privileged())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inode::{FileType, Timespec};

    fn meta(file_type: FileType, mode: u32, uid: u32, gid: u32) -> Metadata {
        Metadata {
            dev: 0,
            ino: 1,
            file_type,
            mode,
            nlink: 1,
            uid,
            gid,
            size: 0,
            rdev: 0,
            blocks: 0,
            blksize: 4096,
            atime: Timespec::ZERO,
            mtime: Timespec::ZERO,
            ctime: Timespec::ZERO,
        }
    }

    fn user(uid: u32, gid: u32) -> Credentials {
        Credentials::new(uid, gid, Vec::new())
    }

    #[test]
    fn owner_uses_owner_bits_only() {
        // Owner has no read even though others do: denied (Linux does not fall through).
        let m = meta(FileType::Regular, 0o044, 1000, 100);
        assert_eq!(
            may_access(&m, &user(1000, 100), MAY_READ),
            Err(Errno::EACCES)
        );
        assert_eq!(may_access(&m, &user(1001, 100), MAY_READ), Ok(()));
        assert_eq!(may_access(&m, &user(1001, 200), MAY_READ), Ok(()));
    }

    #[test]
    fn group_uses_group_bits_only() {
        let m = meta(FileType::Regular, 0o604, 1000, 100);
        assert_eq!(
            may_access(&m, &user(1001, 100), MAY_READ),
            Err(Errno::EACCES)
        );
        assert_eq!(may_access(&m, &user(1001, 200), MAY_READ), Ok(()));
        let supplementary = Credentials::new(1001, 200, alloc::vec![5, 100]);
        assert_eq!(may_access(&m, &supplementary, MAY_READ), Err(Errno::EACCES));
    }

    #[test]
    fn combined_mask() {
        let m = meta(FileType::Regular, 0o600, 1000, 100);
        assert_eq!(may_access(&m, &user(1000, 1), MAY_READ | MAY_WRITE), Ok(()));
        assert_eq!(
            may_access(&m, &user(1000, 1), MAY_READ | MAY_EXEC),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn root_overrides() {
        let root = Credentials::root();
        let file = meta(FileType::Regular, 0o000, 1000, 100);
        assert_eq!(may_access(&file, &root, MAY_READ | MAY_WRITE), Ok(()));
        assert_eq!(may_access(&file, &root, MAY_EXEC), Err(Errno::EACCES));
        let other_x = meta(FileType::Regular, 0o001, 1000, 100);
        assert_eq!(may_access(&other_x, &root, MAY_EXEC), Ok(()));
        let dir = meta(FileType::Directory, 0o000, 1000, 100);
        assert_eq!(
            may_access(&dir, &root, MAY_EXEC | MAY_WRITE | MAY_READ),
            Ok(())
        );
    }

    #[test]
    fn sticky() {
        let dir = meta(FileType::Directory, 0o1777, 0, 0);
        let victim = meta(FileType::Regular, 0o644, 1000, 100);
        assert!(!check_sticky(&dir, &victim, &user(1000, 1)));
        assert!(check_sticky(&dir, &victim, &user(1001, 1)));
        assert!(!check_sticky(&dir, &victim, &Credentials::root()));
        let owned_dir = meta(FileType::Directory, 0o1777, 1001, 0);
        assert!(!check_sticky(&owned_dir, &victim, &user(1001, 1)));
        let plain = meta(FileType::Directory, 0o777, 0, 0);
        assert!(!check_sticky(&plain, &victim, &user(1001, 1)));
    }
}
