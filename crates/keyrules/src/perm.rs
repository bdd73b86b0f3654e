//! The key permission word and `key_task_permission` (`security/keys/permission.c`).
//!
//! The word has four bytes: possessor, user (owner), group and other, each with the bits
//! VIEW, READ, WRITE, SEARCH, LINK, SETATTR. The caller gets the user byte if it owns the key
//! (fsuid), else the group byte if the key's group is its fsgid or a supplementary group (and
//! the group byte is not empty), else the other byte; possession (the key is reachable from
//! the caller's own keyrings) adds the possessor byte. Root has no override here.

pub const VIEW: u32 = 0x01;
pub const READ: u32 = 0x02;
pub const WRITE: u32 = 0x04;
pub const SEARCH: u32 = 0x08;
pub const LINK: u32 = 0x10;
pub const SETATTR: u32 = 0x20;
pub const ALL: u32 = 0x3f;

pub const POS_SHIFT: u32 = 24;
pub const USR_SHIFT: u32 = 16;
pub const GRP_SHIFT: u32 = 8;

/// Every bit a permission word may have (`KEYCTL_SETPERM` refuses others with `EINVAL`).
pub const VALID: u32 = ALL << POS_SHIFT | ALL << USR_SHIFT | ALL << GRP_SHIFT | ALL;

/// The bits of one class placed in the possessor byte (`KEY_POS_*`).
pub const fn pos(bits: u32) -> u32 {
    bits << POS_SHIFT
}

/// The bits of one class placed in the user byte (`KEY_USR_*`).
pub const fn usr(bits: u32) -> u32 {
    bits << USR_SHIFT
}

/// What a permission check needs (`enum key_need_perm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    View,
    Read,
    Write,
    Search,
    Link,
    SetAttr,
    /// No check (unlink checks only the keyring; deferred checks are the caller's).
    Nothing,
}

impl Need {
    fn bit(self) -> u32 {
        match self {
            Need::View => VIEW,
            Need::Read => READ,
            Need::Write => WRITE,
            Need::Search => SEARCH,
            Need::Link => LINK,
            Need::SetAttr => SETATTR,
            Need::Nothing => 0,
        }
    }
}

/// Who asks: fsuid, fsgid and supplementary groups.
pub struct Caller<'a> {
    pub fsuid: u32,
    pub fsgid: u32,
    pub groups: &'a [u32],
}

/// A key's owner, group and permission word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    /// `u32::MAX` is "no group" (`INVALID_GID`).
    pub gid: u32,
    pub perm: u32,
}

/// The permission byte that applies to `caller` (`key_task_permission` before the mask).
pub fn granted(owner: &Owner, caller: &Caller<'_>, is_possessed: bool) -> u32 {
    let mut bits = if owner.uid == caller.fsuid {
        owner.perm >> USR_SHIFT
    } else if owner.gid != u32::MAX
        && owner.perm & (ALL << GRP_SHIFT) != 0
        && (owner.gid == caller.fsgid || caller.groups.contains(&owner.gid))
    {
        owner.perm >> GRP_SHIFT
    } else {
        owner.perm
    };
    if is_possessed {
        bits |= owner.perm >> POS_SHIFT;
    }
    bits & ALL
}

/// Whether `caller` may do what `need` names (`EACCES` otherwise).
pub fn permits(owner: &Owner, caller: &Caller<'_>, is_possessed: bool, need: Need) -> bool {
    let bit = need.bit();
    bit == 0 || granted(owner, caller, is_possessed) & bit == bit
}

/// The permissions `add_key`/`request_key` give a key they create (`KEY_PERM_UNDEF` in
/// `key_create_or_update`): the possessor may view, search, link and set attributes, read if
/// the type can be read, write if it is a keyring or can be updated; the owner may view.
pub fn default_for(is_readable: bool, is_writable: bool) -> u32 {
    let mut bits = VIEW | SEARCH | LINK | SETATTR;
    if is_readable {
        bits |= READ;
    }
    if is_writable {
        bits |= WRITE;
    }
    pos(bits) | usr(VIEW)
}

/// Thread and process keyrings (`KEY_POS_ALL | KEY_USR_VIEW`).
pub const THREAD_KEYRING: u32 = pos(ALL) | usr(VIEW);
/// Session keyrings the kernel makes (`KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ`, and
/// `KEY_USR_LINK` for one joined by keyctl).
pub const SESSION_KEYRING: u32 = pos(ALL) | usr(VIEW | READ);
pub const JOINED_SESSION_KEYRING: u32 = pos(ALL) | usr(VIEW | READ | LINK);
/// A user's user and user-session keyrings (`(KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_ALL`).
pub const USER_KEYRING: u32 = pos(ALL & !SETATTR) | usr(ALL);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_linux() {
        assert_eq!(default_for(true, true), 0x3f01_0000);
        assert_eq!(default_for(false, true), 0x3d01_0000);
        assert_eq!(THREAD_KEYRING, 0x3f01_0000);
        assert_eq!(JOINED_SESSION_KEYRING, 0x3f13_0000);
        assert_eq!(USER_KEYRING, 0x1f3f_0000);
        assert_eq!(VALID, 0x3f3f_3f3f);
    }

    #[test]
    fn classes() {
        let owner = Owner {
            uid: 100,
            gid: 50,
            perm: 0x3f01_0208,
        };
        let other = Caller {
            fsuid: 1,
            fsgid: 1,
            groups: &[],
        };
        let member = Caller {
            fsuid: 1,
            fsgid: 1,
            groups: &[50],
        };
        let me = Caller {
            fsuid: 100,
            fsgid: 1,
            groups: &[50],
        };
        // Other: SEARCH only; group: READ; owner: VIEW, not READ (no fallthrough).
        assert!(permits(&owner, &other, false, Need::Search));
        assert!(!permits(&owner, &other, false, Need::Read));
        assert!(permits(&owner, &member, false, Need::Read));
        assert!(!permits(&owner, &member, false, Need::Search));
        assert!(permits(&owner, &me, false, Need::View));
        assert!(!permits(&owner, &me, false, Need::Read));
        // Possession adds its byte to any class.
        assert!(permits(&owner, &other, true, Need::Write));
        assert!(permits(&owner, &other, false, Need::Nothing));
        // An empty group byte falls through to other.
        let no_group = Owner {
            perm: 0x0000_0008,
            ..owner
        };
        assert!(permits(&no_group, &member, false, Need::Search));
    }
}
