//! Credentials: real, effective, saved and filesystem user and group ids, and supplementary
//! groups (Linux's `struct cred`).

use alloc::vec::Vec;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
}

impl Credentials {
    /// The credentials of init: root in every id.
    pub fn root() -> Credentials {
        Credentials::default()
    }

    /// The view the filesystem layer checks permissions with.
    pub fn for_fs(&self) -> vfs::Credentials {
        vfs::Credentials::new(self.fsuid, self.fsgid, self.groups.clone())
    }
}
