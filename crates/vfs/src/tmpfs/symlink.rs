//! tmpfs symbolic links (Linux's `shmem_symlink`, `shmem_get_link`): the target is kept in the
//! inode; targets of up to 127 bytes are "inline" (0 blocks), longer ones take a page (8 blocks,
//! counted against `size=`); `ENAMETOOLONG` from 4096 bytes, `ENOENT` for an empty target.
//! the VFS updates atime when a link is read or followed.

use alloc::vec::Vec;

use abi::Errno;

use super::dir::{check_name, copy_name};
use super::inode::{Body, TmpfsInode};
use crate::inode::{FileType, PATH_MAX};

/// Longest symlink target kept without a page (`SHORT_SYMLINK_LEN`, NUL included).
pub(super) const SHORT_SYMLINK_LEN: usize = 128;

impl TmpfsInode {
    pub(super) fn dir_symlink(
        &self,
        name: &[u8],
        target: &[u8],
        uid: u32,
        gid: u32,
    ) -> Result<(), Errno> {
        self.check_dir()?;
        check_name(name)?;
        if target.len() + 1 > PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let body = copy_name(target)?;
        let long = target.len() + 1 > SHORT_SYMLINK_LEN;
        let child = self.new_child(FileType::Symlink, 0o777, uid, gid, 0, Body::Symlink(body))?;
        if long {
            // The page is accounted by the child and released when it drops.
            if let Err(e) = self.fs.reserve_pages(1) {
                // Turn the body inline so the drop does not release a page never reserved.
                child.state.write().body = Body::Special;
                return Err(e);
            }
        }
        self.create_common(name, child)
    }

    pub(super) fn read_link(&self) -> Result<Vec<u8>, Errno> {
        let target = {
            let st = self.state.read();
            match &st.body {
                Body::Symlink(t) if self.file_type == FileType::Symlink => copy_name(t)?,
                _ => return Err(Errno::EINVAL),
            }
        };
        Ok(target)
    }
}
