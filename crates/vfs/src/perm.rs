//! Permission checks on inode metadata, as Linux's `generic_permission()` (`fs/namei.c`) and the
//! sticky-directory rule of `may_delete()`/`check_sticky()`.
//!
//! Key types: [`Credentials`] (the filesystem identity of a task: fsuid, fsgid, supplementary
//! groups), [`may_access`] (read/write/execute checks with the root overrides), [`check_sticky`].
//!
//! Capabilities come with the identity: its effective set (`CAP_DAC_OVERRIDE`,
//! `CAP_DAC_READ_SEARCH`, `CAP_FOWNER`, `CAP_FSETID`, `CAP_CHOWN`, `CAP_MKNOD` are the ones
//! looked at here), which the kernel keeps following the fsuid as Linux does. Not done yet:
//! user namespaces, ACLs, LSMs, immutable/append-only inode flags.

use alloc::vec::Vec;

use abi::Errno;
use abi::capability::{CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FULL_SET};

use crate::inode::{Metadata, S_ISVTX, S_IXUGO};

/// Read permission (`MAY_READ`).
pub const MAY_READ: u32 = 4;
/// Write permission (`MAY_WRITE`).
pub const MAY_WRITE: u32 = 2;
/// Execute permission, search permission on directories (`MAY_EXEC`).
pub const MAY_EXEC: u32 = 1;

/// The identity a task acts with on files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Filesystem user ID (normally the effective UID).
    pub fsuid: u32,
    /// Filesystem group ID (normally the effective GID).
    pub fsgid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// The effective capability set (bit `n` for `CAP_*` `n`).
    pub caps: u64,
}

impl Credentials {
    /// Root: uid 0, gid 0, no supplementary groups, every capability.
    pub fn root() -> Credentials {
        Credentials::new(0, 0, Vec::new())
    }

    /// A user with the given fsuid, fsgid and supplementary groups, and the capabilities
    /// Linux gives such a process by default: all for fsuid 0, none otherwise.
    pub fn new(fsuid: u32, fsgid: u32, groups: Vec<u32>) -> Credentials {
        let caps = if fsuid == 0 { CAP_FULL_SET } else { 0 };
        Credentials::with_caps(fsuid, fsgid, groups, caps)
    }

    /// A user with an explicit effective capability set.
    pub fn with_caps(fsuid: u32, fsgid: u32, groups: Vec<u32>, caps: u64) -> Credentials {
        Credentials {
            fsuid,
            fsgid,
            groups,
            caps,
        }
    }

    /// Whether capability `cap` is in the effective set (`capable_wrt_inode_uidgid`: without
    /// user namespaces every inode's ids are mapped).
    pub fn has_cap(&self, cap: u32) -> bool {
        cap < 64 && self.caps & (1 << cap) != 0
    }

    /// Whether `gid` is the fsgid or a supplementary group (Linux `in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.contains(&gid)
    }

    /// Whether this identity owns `meta` or may act as its owner (`inode_owner_or_capable`).
    pub fn owns(&self, meta: &Metadata) -> bool {
        self.fsuid == meta.uid || self.has_cap(CAP_FOWNER)
    }
}

/// Checks `mask` (a combination of [`MAY_READ`], [`MAY_WRITE`], [`MAY_EXEC`]) against `meta` for
/// `cred`, as `generic_permission()`: the owner is judged by the owner bits only, a group member
/// by the group bits only, others by the other bits; then `CAP_DAC_READ_SEARCH` overrides read
/// and search on directories and read of other files, `CAP_DAC_OVERRIDE` everything on
/// directories, read and write of other files, and execute when some execute bit is set.
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
    if meta.file_type.is_dir() {
        if mask & MAY_WRITE == 0 && cred.has_cap(CAP_DAC_READ_SEARCH) {
            return Ok(());
        }
        if cred.has_cap(CAP_DAC_OVERRIDE) {
            return Ok(());
        }
        return Err(Errno::EACCES);
    }
    if mask == MAY_READ && cred.has_cap(CAP_DAC_READ_SEARCH) {
        return Ok(());
    }
    if (mask & MAY_EXEC == 0 || meta.mode & S_IXUGO != 0) && cred.has_cap(CAP_DAC_OVERRIDE) {
        return Ok(());
    }
    Err(Errno::EACCES)
}

/// Whether the sticky bit of directory `dir` forbids `cred` to remove or rename its entry
/// `victim` (`check_sticky()`): only the victim's owner, the directory's owner and holders of
/// `CAP_FOWNER` may.
pub fn check_sticky(dir: &Metadata, victim: &Metadata, cred: &Credentials) -> bool {
    if dir.mode & S_ISVTX == 0 {
        return false;
    }
    !(cred.fsuid == victim.uid || cred.fsuid == dir.uid || cred.has_cap(CAP_FOWNER))
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
