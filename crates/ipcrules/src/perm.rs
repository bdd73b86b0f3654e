//! `struct kern_ipc_perm` and its rules (`ipc/util.c`): `ipcperms` (the owner, group or other
//! bits of the mode, `CAP_IPC_OWNER` overriding), the owner-or-creator-or-`CAP_SYS_ADMIN` check
//! of `IPC_SET`/`IPC_RMID` (`ipcctl_obtain_check`) and `ipc_update_perm`.

use abi::Errno;
use abi::capability::{CAP_IPC_OWNER, CAP_SYS_ADMIN};
use abi::ipc::Ipc64Perm;

/// Permission bits (`S_IRWXUGO`).
pub const MODE_BITS: u32 = 0o777;
/// Read access for [`Cred::may_access`] (`S_IRUGO`).
pub const READ: u32 = 0o444;
/// Write access (`S_IWUGO`).
pub const WRITE: u32 = 0o222;

/// An object's ownership, key and mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernPerm {
    pub key: i32,
    pub id: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits, and state bits some objects keep there (`SHM_DEST`, `SHM_LOCKED`).
    pub mode: u32,
}

impl KernPerm {
    /// A new object's: owned by its creator, `mode` from the low 9 bits of the get flags.
    pub fn new(key: i32, id: i32, cred: &Cred<'_>, flags: i32) -> KernPerm {
        KernPerm {
            key,
            id,
            uid: cred.euid,
            gid: cred.egid,
            cuid: cred.euid,
            cgid: cred.egid,
            mode: flags as u32 & MODE_BITS,
        }
    }

    /// `kernel_to_ipc64_perm`.
    pub fn to_ipc64(&self) -> Ipc64Perm {
        Ipc64Perm {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            seq: crate::ids::seq_of(self.id),
            ..Ipc64Perm::default()
        }
    }

    /// `ipc_update_perm` (`IPC_SET`): owner, group and permission bits; `EINVAL` for the ids
    /// that map to nobody (-1).
    pub fn update(&mut self, from: &Ipc64Perm) -> Result<(), Errno> {
        if from.uid == u32::MAX || from.gid == u32::MAX {
            return Err(Errno::EINVAL);
        }
        self.uid = from.uid;
        self.gid = from.gid;
        self.mode = (self.mode & !MODE_BITS) | (from.mode & MODE_BITS);
        Ok(())
    }
}

/// Who is asking.
#[derive(Clone, Copy, Debug)]
pub struct Cred<'a> {
    pub euid: u32,
    pub egid: u32,
    pub groups: &'a [u32],
    /// The effective capability set.
    pub caps: u64,
}

impl Cred<'_> {
    pub fn has(&self, cap: u32) -> bool {
        self.caps & (1 << cap) != 0
    }

    /// The owner or creator, without privilege.
    pub fn is_owner(&self, perm: &KernPerm) -> bool {
        self.euid == perm.uid || self.euid == perm.cuid
    }

    /// `ipcperms`: `flag` holds the wanted access as `S_IRUGO`/`S_IWUGO`-style bits (only
    /// the low 9 bits count).
    pub fn may_access(&self, perm: &KernPerm, flag: u32) -> bool {
        let flag = flag & MODE_BITS;
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let mut granted = perm.mode;
        if self.euid == perm.cuid || self.euid == perm.uid {
            granted >>= 6;
        } else if [perm.cgid, perm.gid]
            .iter()
            .any(|gid| *gid == self.egid || self.groups.contains(gid))
        {
            granted >>= 3;
        }
        requested & !granted & 0o7 == 0 || self.has(CAP_IPC_OWNER)
    }

    /// `ipcctl_obtain_check`: owner, creator or `CAP_SYS_ADMIN` (`IPC_SET`, `IPC_RMID`).
    pub fn may_control(&self, perm: &KernPerm) -> bool {
        self.is_owner(perm) || self.has(CAP_SYS_ADMIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(euid: u32, egid: u32, groups: &[u32]) -> Cred<'_> {
        Cred {
            euid,
            egid,
            groups,
            caps: 0,
        }
    }

    #[test]
    fn owner_group_and_other_bits() {
        let owner = cred(1000, 1000, &[]);
        let perm = KernPerm::new(5, 0, &owner, 0o640);
        assert!(owner.may_access(&perm, READ | WRITE));
        let member = cred(2000, 3000, &[1000]);
        assert!(member.may_access(&perm, READ));
        assert!(!member.may_access(&perm, WRITE));
        let other = cred(2000, 2000, &[]);
        assert!(!other.may_access(&perm, READ));
        assert!(other.may_access(&perm, 0));
        let root = Cred {
            caps: 1 << CAP_IPC_OWNER,
            ..other
        };
        assert!(root.may_access(&perm, READ | WRITE));
        // The owner's bits hold even when group or other bits would grant more.
        let stingy = KernPerm {
            mode: 0o066,
            ..perm
        };
        assert!(!owner.may_access(&stingy, READ));
    }

    #[test]
    fn control_and_update() {
        let creator = cred(1000, 1000, &[]);
        let mut perm = KernPerm::new(5, 1 << 15, &creator, 0o600);
        let other = cred(2000, 2000, &[]);
        assert!(!other.may_control(&perm));
        assert!(
            Cred {
                caps: 1 << CAP_SYS_ADMIN,
                ..other
            }
            .may_control(&perm)
        );
        perm.mode |= 0o1000;
        let wanted = Ipc64Perm {
            uid: 2000,
            gid: 7,
            mode: 0o7644,
            ..Ipc64Perm::default()
        };
        perm.update(&wanted).unwrap();
        assert_eq!((perm.uid, perm.gid, perm.mode), (2000, 7, 0o1644));
        // The creator keeps control after giving the object away.
        assert!(creator.may_control(&perm));
        assert_eq!(perm.to_ipc64().seq, 1);
        let bad = Ipc64Perm {
            uid: u32::MAX,
            ..wanted
        };
        assert_eq!(perm.update(&bad), Err(Errno::EINVAL));
    }
}
