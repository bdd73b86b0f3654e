//! tmpfs directories (Linux's `simple_lookup`, `shmem_mknod`, `shmem_link`, `shmem_unlink`,
//! `simple_rmdir` and `dcache_readdir`): ordered maps from name to child. `st_size` is 40 plus 20
//! per entry (`BOGO_DIRENT_SIZE`), `st_nlink` is 2 plus the number of subdirectories. Each entry
//! carries a cookie (a per-directory counter, from 2) that is its `readdir` position, so a reader
//! resumes correctly however entries come and go; `.` and `..` come first, at positions 0 and 1.
//! Creating or removing an entry sets the directory's mtime and ctime; unlink and link set the
//! object's ctime, each extra hard link counting as one inode against `nr_inodes=`.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::Errno;

use super::BOGO_DIRENT_SIZE;
use super::inode::{Body, State, TmpfsInode};
use crate::inode::{DirEntry, FileType, Inode, NAME_MAX, Timespec};

/// First `readdir` cookie of a real entry (0 is `.`, 1 is `..`).
pub(super) const FIRST_COOKIE: u64 = 2;

/// A directory's entries.
pub(super) struct DirData {
    /// name → (cookie, child)
    pub(super) entries: BTreeMap<Vec<u8>, (u64, Arc<TmpfsInode>)>,
    /// cookie → name, the `readdir` order.
    pub(super) order: BTreeMap<u64, Vec<u8>>,
    pub(super) next_cookie: u64,
    pub(super) parent: Weak<TmpfsInode>,
    pub(super) parent_ino: u64,
    pub(super) dead: bool,
}

/// A fallible copy of a name (or symlink target).
pub(super) fn copy_name(name: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut v = Vec::new();
    v.try_reserve_exact(name.len()).map_err(|_| Errno::ENOMEM)?;
    v.extend_from_slice(name);
    Ok(v)
}

/// Checks a new entry's name: `ENAMETOOLONG` past `NAME_MAX`, `EINVAL` for empty, `.`, `..` or
/// a name with a slash.
pub(super) fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl TmpfsInode {
    pub(super) fn new_child(
        &self,
        file_type: FileType,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
        body: Body,
    ) -> Result<Arc<TmpfsInode>, Errno> {
        TmpfsInode::try_new(&self.fs, file_type, mode, uid, gid, rdev, Some(self), body)
    }

    /// Inserts `child` as `name` into the locked directory `st` (which must be a live directory
    /// without `name`), updating size, nlink and times.
    pub(super) fn insert_entry(
        st: &mut State,
        name: &[u8],
        child: Arc<TmpfsInode>,
        now: Timespec,
    ) -> Result<(), Errno> {
        let is_dir = child.file_type.is_dir();
        let key = copy_name(name)?;
        let key2 = copy_name(name)?;
        let d = st.dir_mut().ok_or(Errno::ENOTDIR)?;
        let cookie = d.next_cookie;
        d.next_cookie = cookie
            .checked_add(1)
            .filter(|&c| c < i64::MAX as u64)
            .ok_or(Errno::ENOSPC)?;
        d.entries.insert(key, (cookie, child));
        d.order.insert(cookie, key2);
        st.size += BOGO_DIRENT_SIZE;
        if is_dir {
            st.nlink = st.nlink.saturating_add(1);
        }
        st.touch_mc(now);
        Ok(())
    }

    /// Removes `name` from the locked directory `st`, returning its child (no nlink changes).
    pub(super) fn remove_entry(st: &mut State, name: &[u8]) -> Option<Arc<TmpfsInode>> {
        let d = st.dir_mut()?;
        let (cookie, child) = d.entries.remove(name)?;
        d.order.remove(&cookie);
        st.size = st.size.saturating_sub(BOGO_DIRENT_SIZE);
        Some(child)
    }

    pub(super) fn get_entry(st: &State, name: &[u8]) -> Option<Arc<TmpfsInode>> {
        st.dir()?.entries.get(name).map(|(_, c)| c.clone())
    }

    pub(super) fn live_dir(st: &State) -> Result<&DirData, Errno> {
        match st.dir() {
            Some(d) if d.dead => Err(Errno::ENOENT),
            Some(d) => Ok(d),
            None => Err(Errno::ENOTDIR),
        }
    }

    pub(super) fn create_common(&self, name: &[u8], child: Arc<TmpfsInode>) -> Result<(), Errno> {
        let now = self.now();
        let mut st = self.state.write();
        if Self::live_dir(&st)?.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        Self::insert_entry(&mut st, name, child, now)
    }

    pub(super) fn check_dir(&self) -> Result<(), Errno> {
        if self.file_type.is_dir() {
            Ok(())
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    pub(super) fn dir_lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        self.check_dir()?;
        let st = self.state.read();
        let d = Self::live_dir(&st)?;
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        match d.entries.get(name) {
            Some((_, child)) => Ok(child.clone()),
            None => Err(Errno::ENOENT),
        }
    }

    pub(super) fn dir_create(
        &self,
        name: &[u8],
        file_type: FileType,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.check_dir()?;
        check_name(name)?;
        if file_type == FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        let child = self.new_child(file_type, mode, uid, gid, rdev, Body::Special)?;
        self.create_common(name, child.clone())?;
        Ok(child)
    }

    pub(super) fn dir_link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        self.check_dir()?;
        check_name(name)?;
        let t = Self::downcast(target).ok_or(Errno::EXDEV)?;
        if !self.same_fs(t) {
            return Err(Errno::EXDEV);
        }
        if t.file_type.is_dir() {
            return Err(Errno::EPERM);
        }
        let child = t.arc()?;
        let now = self.now();
        let mut st = self.state.write();
        if Self::live_dir(&st)?.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        {
            let mut ts = t.state.write();
            if ts.nlink == 0 {
                // Only an O_TMPFILE file gets its first name this way, once; it already
                // holds its inode slot (shmem_link reserves one only for an extra link).
                if !t.linkable.swap(false, Ordering::AcqRel) {
                    return Err(Errno::ENOENT);
                }
            } else {
                self.fs.reserve_inode()?;
            }
            ts.nlink = ts.nlink.saturating_add(1);
            ts.ctime = now;
        }
        if let Err(e) = Self::insert_entry(&mut st, name, child, now) {
            t.drop_link(now);
            return Err(e);
        }
        Ok(())
    }

    /// `shmem_tmpfile`: a regular file with no entry and no links (`d_tmpfile` drops the link
    /// `shmem_get_inode` gave it); the directory's times do not change.
    pub(super) fn dir_tmpfile(
        &self,
        mode: u32,
        uid: u32,
        gid: u32,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.check_dir()?;
        let child = self.new_child(FileType::Regular, mode, uid, gid, 0, Body::File)?;
        child.state.write().nlink = 0;
        child.linkable.store(linkable, Ordering::Release);
        Ok(child)
    }

    pub(super) fn dir_unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.check_dir()?;
        let now = self.now();
        let child = {
            let mut st = self.state.write();
            Self::live_dir(&st)?;
            let child = Self::get_entry(&st, name).ok_or(Errno::ENOENT)?;
            if child.file_type.is_dir() {
                return Err(Errno::EISDIR);
            }
            Self::remove_entry(&mut st, name);
            st.touch_mc(now);
            child
        };
        child.drop_link(now);
        Ok(())
    }

    pub(super) fn dir_rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.check_dir()?;
        let now = self.now();
        let mut st = self.state.write();
        Self::live_dir(&st)?;
        let child = Self::get_entry(&st, name).ok_or(Errno::ENOENT)?;
        if !child.file_type.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        {
            let mut cs = child.state.write();
            let cd = cs.dir_mut().ok_or(Errno::ENOTDIR)?;
            if !cd.entries.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
            cd.dead = true;
            cs.nlink = 0;
            cs.ctime = now;
        }
        Self::remove_entry(&mut st, name);
        st.nlink = st.nlink.saturating_sub(1);
        st.touch_mc(now);
        drop(st);
        drop(child);
        Ok(())
    }

    pub(super) fn dir_read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        self.check_dir()?;
        {
            let st = self.state.read();
            let d = Self::live_dir(&st)?;
            let mut go = true;
            if offset == 0 {
                go = sink(DirEntry {
                    ino: self.ino,
                    next_offset: 1,
                    file_type: FileType::Directory,
                    name: b".",
                });
            }
            if go && offset <= 1 {
                go = sink(DirEntry {
                    ino: d.parent_ino,
                    next_offset: 2,
                    file_type: FileType::Directory,
                    name: b"..",
                });
            }
            if go {
                for (&cookie, name) in d.order.range(core::cmp::max(offset, FIRST_COOKIE)..) {
                    let Some((_, child)) = d.entries.get(name) else {
                        continue;
                    };
                    let e = DirEntry {
                        ino: child.ino,
                        next_offset: cookie + 1,
                        file_type: child.file_type,
                        name,
                    };
                    if !sink(e) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}
