//! The tmpfs inode (Linux's `shmem_inode_info` with its `struct inode`): one object of any type,
//! with its attributes under one lock and a body per type (file pages, directory entries, symlink
//! target). Creation and inode accounting, atime updates, link counting, teardown, and the
//! [`Inode`] trait, whose operations go to [`super::file`], [`super::dir`], [`super::symlink`]
//! and [`super::rename`].

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::sync::RwLock;
use abi::Errno;

use super::dir::{DirData, FIRST_COOKIE};
use super::superblock::Shared;
use super::symlink::SHORT_SYMLINK_LEN;
use super::{BOGO_DIRENT_SIZE, PAGE_SIZE};
use crate::inode::AtimePolicy;
use crate::inode::{
    DirEntry, FileType, Inode, Metadata, PageFill, PageSlice, S_IALLUGO, SetAttr, TimeSet, Timespec,
};
use crate::page::Frame;
use crate::page_cache::PageCache;
use crate::xattr::{Namespaces, Xattrs};

/// 512-byte blocks per page, for `st_blocks`.
const BLOCKS_PER_PAGE: u64 = (PAGE_SIZE / 512) as u64;

/// What an inode holds besides its attributes.
pub(super) enum Body {
    /// A regular file: its data is the inode's page cache.
    File,
    Dir(DirData),
    Symlink(Vec<u8>),
    Special,
}

/// An inode's attributes and body, under its lock.
pub(super) struct State {
    pub(super) mode: u32,
    pub(super) nlink: u32,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) atime: Timespec,
    pub(super) mtime: Timespec,
    pub(super) ctime: Timespec,
    /// Creation time (`i_crtime`, statx's btime).
    pub(super) btime: Timespec,
    pub(super) size: u64,
    pub(super) body: Body,
}

impl State {
    pub(super) fn dir(&self) -> Option<&DirData> {
        match &self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    pub(super) fn dir_mut(&mut self) -> Option<&mut DirData> {
        match &mut self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    pub(super) fn touch_mc(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
    }
}

/// One tmpfs object.
pub struct TmpfsInode {
    pub(super) ino: u64,
    pub(super) file_type: FileType,
    pub(super) rdev: u64,
    pub(super) fs: Arc<Shared>,
    pub(super) this: Weak<TmpfsInode>,
    pub(super) state: RwLock<State>,
    /// A regular file's data (its size included); `None` for other types.
    pub(super) cache: Option<PageCache>,
    /// `F_SEAL_*` bits (`shmem_inode_info.seals`): every file starts with `F_SEAL_SEAL`, a memfd
    /// made with `MFD_ALLOW_SEALING` with none.
    pub(super) seals: AtomicU32,
    /// Extended attributes (`shmem_inode_info.xattrs`): `security.*` and `trusted.*`.
    pub(super) xattrs: Xattrs,
    /// Opens with write access and read-only opens (leases).
    pub(super) opens: crate::inode::OpenCounts,
    /// An `O_TMPFILE` file that `linkat` may still name (Linux's `I_LINKABLE`).
    pub(super) linkable: AtomicBool,
}

impl TmpfsInode {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_new(
        fs: &Arc<Shared>,
        file_type: FileType,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
        parent: Option<&TmpfsInode>,
        body: Body,
    ) -> Result<Arc<TmpfsInode>, Errno> {
        fs.reserve_inode()?;
        let ino = fs.next_ino.fetch_add(1, Ordering::Relaxed);
        let now = fs.now();
        let (nlink, size, body) = match file_type {
            FileType::Directory => (
                2,
                2 * BOGO_DIRENT_SIZE,
                Body::Dir(DirData {
                    entries: BTreeMap::new(),
                    order: BTreeMap::new(),
                    next_cookie: FIRST_COOKIE,
                    parent: Weak::new(),
                    parent_ino: parent.map_or(ino, |p| p.ino),
                    dead: false,
                }),
            ),
            FileType::Regular => (1, 0, Body::File),
            FileType::Symlink => {
                let len = match &body {
                    Body::Symlink(t) => t.len() as u64,
                    _ => 0,
                };
                (1, len, body)
            }
            _ => (1, 0, Body::Special),
        };
        let inode = Arc::new_cyclic(|this| TmpfsInode {
            ino,
            file_type,
            rdev: match file_type {
                FileType::CharDevice | FileType::BlockDevice => rdev,
                _ => 0,
            },
            fs: fs.clone(),
            this: this.clone(),
            cache: (file_type == FileType::Regular).then(PageCache::new),
            seals: AtomicU32::new(super::seals::F_SEAL_SEAL),
            xattrs: Xattrs::new(Namespaces::TMPFS),
            linkable: AtomicBool::new(false),
            opens: crate::inode::OpenCounts::default(),
            state: RwLock::new(
                "tmpfs.inode",
                State {
                    mode: mode & S_IALLUGO,
                    nlink,
                    uid,
                    gid,
                    atime: now,
                    mtime: now,
                    ctime: now,
                    btime: now,
                    size,
                    body,
                },
            ),
        });
        if let Some(d) = inode.state.write().dir_mut() {
            d.parent = match parent {
                Some(p) => p.this.clone(),
                None => inode.this.clone(),
            };
        }
        Ok(inode)
    }

    /// The inode as a shared handle.
    pub(super) fn arc(&self) -> Result<Arc<TmpfsInode>, Errno> {
        self.this.upgrade().ok_or(Errno::ENOENT)
    }

    pub(super) fn now(&self) -> Timespec {
        self.fs.now()
    }

    pub(super) fn same_fs(&self, other: &TmpfsInode) -> bool {
        Arc::ptr_eq(&self.fs, &other.fs)
    }

    pub(super) fn downcast(inode: &Arc<dyn Inode>) -> Option<&TmpfsInode> {
        inode.as_any().downcast_ref::<TmpfsInode>()
    }

    /// Linux `touch_atime` for this inode under `policy` (the caller's mount decides).
    pub(super) fn update_atime(&self, policy: AtimePolicy) {
        if policy == AtimePolicy::NoAtime {
            return;
        }
        let now = self.now();
        let needs = |st: &State| policy.needs_update(st.atime, st.mtime, st.ctime, now);
        if needs(&self.state.read()) {
            let mut st = self.state.write();
            if needs(&st) {
                st.atime = now;
            }
        }
    }

    /// Drops a link from a non-directory that lost a name: nlink, ctime, extra inode slot.
    pub(super) fn drop_link(&self, now: Timespec) {
        let mut st = self.state.write();
        if st.nlink > 1 {
            self.fs.release_inode();
        }
        st.nlink = st.nlink.saturating_sub(1);
        st.ctime = now;
    }
}

impl Drop for TmpfsInode {
    fn drop(&mut self) {
        self.fs.release_inode();
        if let Some(cache) = &self.cache {
            self.fs.release_pages(cache.nr_pages());
        }
        let st = self.state.get_mut();
        if matches!(&st.body, Body::Symlink(t) if t.len() + 1 > SHORT_SYMLINK_LEN) {
            self.fs.release_pages(1);
        }
        // Tear a directory tree down without recursing once per level.
        let Body::Dir(d) = &mut st.body else {
            return;
        };
        let mut work: Vec<Arc<TmpfsInode>> = Vec::new();
        let take = |d: &mut DirData, work: &mut Vec<Arc<TmpfsInode>>| {
            let entries = core::mem::take(&mut d.entries);
            d.order.clear();
            for (_, (_, child)) in entries {
                if work.try_reserve(1).is_ok() {
                    work.push(child);
                }
                // else: dropped here, recursing one level (only under memory exhaustion).
            }
        };
        take(d, &mut work);
        while let Some(child) = work.pop() {
            if let Some(mut inner) = Arc::into_inner(child)
                && let Body::Dir(cd) = &mut inner.state.get_mut().body
            {
                take(cd, &mut work);
            }
        }
    }
}

impl Inode for TmpfsInode {
    fn open_counts(&self) -> Option<&crate::inode::OpenCounts> {
        Some(&self.opens)
    }

    fn metadata(&self) -> Metadata {
        let st = self.state.read();
        let (size, blocks) = match (&self.cache, &st.body) {
            (Some(cache), _) => (cache.size(), cache.nr_pages() * BLOCKS_PER_PAGE),
            (None, Body::Symlink(t)) if t.len() + 1 > SHORT_SYMLINK_LEN => {
                (st.size, BLOCKS_PER_PAGE)
            }
            _ => (st.size, 0),
        };
        Metadata {
            dev: self.fs.opts.dev,
            ino: self.ino,
            file_type: self.file_type,
            mode: st.mode,
            nlink: st.nlink,
            uid: st.uid,
            gid: st.gid,
            size,
            rdev: self.rdev,
            blocks,
            blksize: PAGE_SIZE as u32,
            atime: st.atime,
            mtime: st.mtime,
            ctime: st.ctime,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn xattrs(&self) -> Option<&Xattrs> {
        Some(&self.xattrs)
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut done = 0;
        self.read_pages(offset, buf.len(), &mut |piece| {
            match piece {
                PageSlice::Frame { frame, offset, len } => {
                    frame.read(offset, &mut buf[done..done + len]);
                    done += len;
                }
                PageSlice::Zeros(len) => {
                    buf[done..done + len].fill(0);
                    done += len;
                }
            }
            Ok(())
        })
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        self.write_pages(offset, data.len(), &mut |frame, in_page, len, done| {
            frame.write(in_page, &data[done..done + len]);
            Ok(())
        })
    }

    fn page_cache(&self) -> Option<&PageCache> {
        self.cache.as_ref()
    }

    fn read_pages(
        &self,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(PageSlice<'_>) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        match self.file_type {
            FileType::Regular => self.read_file_pages(offset, len, sink),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_pages(
        &self,
        offset: u64,
        len: usize,
        fill: &mut PageFill<'_>,
    ) -> Result<usize, Errno> {
        match self.file_type {
            FileType::Regular => self.write_file_pages(offset, len, fill),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn punch_hole(&self, start: u64, end: u64) -> Result<(), Errno> {
        match self.file_type {
            FileType::Regular => self.punch_file(start, end),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::ENODEV),
        }
    }

    fn seals(&self) -> Result<u32, Errno> {
        match self.file_type {
            FileType::Regular => Ok(self.seals.load(Ordering::Acquire)),
            _ => Err(Errno::EINVAL),
        }
    }

    fn add_seals(&self, seals: u32) -> Result<(), Errno> {
        match self.file_type {
            FileType::Regular => self.add_file_seals(seals),
            _ => Err(Errno::EINVAL),
        }
    }

    fn fault_page(&self, index: u64) -> Result<Frame, Errno> {
        match self.file_type {
            FileType::Regular => self.file_page(index),
            _ => Err(Errno::ENODEV),
        }
    }

    fn birth_time(&self) -> Option<Timespec> {
        Some(self.state.read().btime)
    }

    fn statx_attributes(&self) -> (u64, u64) {
        // shmem_getattr: no inode flags are set yet, but these are the ones tmpfs reports.
        let supported = abi::stat::STATX_ATTR_APPEND
            | abi::stat::STATX_ATTR_IMMUTABLE
            | abi::stat::STATX_ATTR_NODUMP;
        (0, supported)
    }

    fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        match self.file_type {
            FileType::Regular => self.fallocate_file(mode, offset, len),
            _ => Err(Errno::EOPNOTSUPP),
        }
    }

    fn truncate(&self, len: u64) -> Result<(), Errno> {
        match self.file_type {
            FileType::Regular => self.truncate_file(len),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn names_always_cached(&self) -> bool {
        true
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        self.dir_lookup(name)
    }

    fn create(
        &self,
        name: &[u8],
        file_type: FileType,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.dir_create(name, file_type, mode, uid, gid, rdev)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        self.dir_link(name, target)
    }

    fn tmpfile(
        &self,
        mode: u32,
        uid: u32,
        gid: u32,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.dir_tmpfile(mode, uid, gid, linkable)
    }

    fn is_linkable(&self) -> bool {
        self.linkable.load(Ordering::Acquire)
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.dir_unlink(name)
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.dir_rmdir(name)
    }

    fn rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        self.dir_rename(old_name, new_dir, new_name, flags)
    }

    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<(), Errno> {
        self.dir_symlink(name, target, uid, gid)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.read_link()
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        self.dir_read_dir(offset, sink)
    }

    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        let now = self.now();
        let resolve = |t: TimeSet| match t {
            TimeSet::Now => now,
            TimeSet::At(t) => t,
        };
        let mut st = self.state.write();
        if let Some(mode) = attr.mode {
            st.mode = mode & S_IALLUGO;
        }
        if let Some(uid) = attr.uid {
            st.uid = uid;
        }
        if let Some(gid) = attr.gid {
            st.gid = gid;
        }
        if let Some(t) = attr.atime {
            st.atime = resolve(t);
        }
        if let Some(t) = attr.mtime {
            st.mtime = resolve(t);
        }
        if let Some(t) = attr.ctime {
            st.ctime = resolve(t);
        }
        Ok(())
    }

    fn touch_atime(&self, policy: AtimePolicy) {
        self.update_atime(policy);
    }

    fn is_dead(&self) -> bool {
        match self.state.read().dir() {
            Some(d) => d.dead,
            None => false,
        }
    }
}
