//! tmpfs: a filesystem kept entirely in memory, as Linux's `mm/shmem.c` (with the helpers of
//! `fs/libfs.c` it uses).
//!
//! Key types: [`Tmpfs`] (one mounted instance, [`FileSystem`]), [`TmpfsInode`] (every object, an
//! [`Inode`]), [`TmpfsOptions`] (the mount options `size=`, `nr_inodes=`, `mode=`, `uid=`,
//! `gid=`, and the atime policy).
//!
//! What it follows from Linux:
//! - Inode numbers count up from 1 (the root) per instance, as tmpfs's per-superblock `i_ino`.
//! - Regular files are page-sized (4 KiB) chunks in a B-tree keyed by page index; pages are
//!   allocated only where data is written, so holes read as zeros and cost nothing
//!   (`st_blocks` counts allocated pages × 8). Writes that run out of space stop short, or fail
//!   with `ENOSPC` when nothing was written; page buffers are allocated with `try_reserve`, so
//!   memory exhaustion is `ENOMEM`, not an abort. The maximum file size is `MAX_LFS_FILESIZE`
//!   (`i64::MAX`), `EFBIG` past it.
//! - Directories are ordered maps from name to child. `st_size` is 40 plus 20 per entry
//!   (`BOGO_DIRENT_SIZE`), `st_nlink` is 2 plus the number of subdirectories, mkdir/rmdir and
//!   cross-directory renames keep it so. Each entry carries a cookie (a per-directory counter,
//!   from 2) that is its `readdir` position, so a reader resumes correctly however entries come
//!   and go (as tmpfs's stable offsets since Linux 6.6; 6.1's cursor-based `dcache_readdir`
//!   gives the same entries for a reader that does not race with changes). `.` and `..` come
//!   first, at positions 0 and 1.
//! - Symlinks keep their target; targets of up to 127 bytes are "inline" (0 blocks), longer
//!   ones take a page (8 blocks), `ENAMETOOLONG` from 4096 bytes (`shmem_symlink`).
//! - Device nodes, fifos and sockets are plain inodes carrying `rdev`.
//! - Timestamps as shmem: creating or removing an entry sets the directory's mtime and ctime;
//!   unlink and link set the object's ctime; write sets mtime and ctime; truncate sets them when
//!   the size changes; read, readdir and readlink set atime under the atime policy (relatime by
//!   default, as a default tmpfs mount).
//! - `size=` limits pages (`ENOSPC`), `nr_inodes=` limits inodes, each extra hard link counting
//!   as one, as 6.1's `shmem_link`/`shmem_unlink`.
//!
//! Locking: every inode has one `RwLock` over its state. Lock order is parent directory before
//! child, non-directories last; a rename between two directories first takes the instance's
//! rename mutex (Linux's `s_vfs_rename_mutex`), which makes the tree shape stable so the two
//! directories can be ordered ancestor first, and which also covers locking two children.
//!
//! Not done yet: huge pages, `fallocate`, seals, xattrs/ACLs, `O_TMPFILE`, quotas, memory
//! pressure (swap), `remount`.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use linux_raw_sys::general as raw;
use spin::{Mutex, RwLock};

use crate::inode::{
    Clock, DirEntry, FileSystem, FileType, Inode, Metadata, NAME_MAX, PATH_MAX, RENAME_EXCHANGE,
    RENAME_NOREPLACE, RENAME_WHITEOUT, S_IALLUGO, SetAttr, StatFs, TimeSet, Timespec,
};

/// Page size of file data.
pub const PAGE_SIZE: usize = 4096;
/// `st_size` a directory gains per entry (Linux `BOGO_DIRENT_SIZE`).
pub const BOGO_DIRENT_SIZE: u64 = 20;
/// Largest file size (`MAX_LFS_FILESIZE`).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;
/// Longest symlink target kept without a page (`SHORT_SYMLINK_LEN`, NUL included).
const SHORT_SYMLINK_LEN: usize = 128;
const BLOCKS_PER_PAGE: u64 = (PAGE_SIZE / 512) as u64;
/// First `readdir` cookie of a real entry (0 is `.`, 1 is `..`).
const FIRST_COOKIE: u64 = 2;

/// When reads update the access time (the mount's `strictatime`/`relatime`/`noatime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AtimePolicy {
    /// Update when atime is not after mtime or ctime, or is a day old (Linux's default).
    #[default]
    Relatime,
    /// Update on every access.
    Strict,
    /// Never update.
    NoAtime,
}

/// Mount options of a tmpfs instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// Root directory permission bits (`mode=`, default `0o1777`).
    pub root_mode: u32,
    /// Root directory owner (`uid=`).
    pub root_uid: u32,
    /// Root directory group (`gid=`).
    pub root_gid: u32,
    /// Byte limit on data pages (`size=`), `None` for unlimited.
    pub max_bytes: Option<u64>,
    /// Limit on inodes (`nr_inodes=`), `None` for unlimited.
    pub max_inodes: Option<u64>,
    /// Device number reported as `st_dev`.
    pub dev: u64,
    /// Access-time policy.
    pub atime: AtimePolicy,
}

impl Default for TmpfsOptions {
    fn default() -> Self {
        TmpfsOptions {
            root_mode: 0o1777,
            root_uid: 0,
            root_gid: 0,
            max_bytes: None,
            max_inodes: None,
            dev: 0,
            atime: AtimePolicy::Relatime,
        }
    }
}

struct Shared {
    opts: TmpfsOptions,
    clock: Arc<dyn Clock>,
    next_ino: AtomicU64,
    max_pages: u64,
    pages_used: AtomicU64,
    max_inodes: u64,
    inodes_used: AtomicU64,
    rename_lock: Mutex<()>,
}

impl Shared {
    fn now(&self) -> Timespec {
        self.clock.now()
    }

    fn reserve(counter: &AtomicU64, max: u64, n: u64) -> Result<(), Errno> {
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= max)
            })
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }

    fn reserve_pages(&self, n: u64) -> Result<(), Errno> {
        Self::reserve(&self.pages_used, self.max_pages, n)
    }

    fn release_pages(&self, n: u64) {
        self.pages_used.fetch_sub(n, Ordering::AcqRel);
    }

    fn reserve_inode(&self) -> Result<(), Errno> {
        Self::reserve(&self.inodes_used, self.max_inodes, 1)
    }

    fn release_inode(&self) {
        self.inodes_used.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A tmpfs instance.
pub struct Tmpfs {
    shared: Arc<Shared>,
    root: Arc<TmpfsInode>,
}

impl Tmpfs {
    /// A new, empty tmpfs whose timestamps come from `clock`. `ENOSPC` if `opts` allow no inode.
    pub fn try_new(clock: Arc<dyn Clock>, opts: TmpfsOptions) -> Result<Arc<Tmpfs>, Errno> {
        let max_pages = match opts.max_bytes {
            Some(bytes) => bytes.div_ceil(PAGE_SIZE as u64),
            None => u64::MAX,
        };
        let shared = Arc::new(Shared {
            opts,
            clock,
            next_ino: AtomicU64::new(1),
            max_pages,
            pages_used: AtomicU64::new(0),
            max_inodes: opts.max_inodes.unwrap_or(u64::MAX),
            inodes_used: AtomicU64::new(0),
            rename_lock: Mutex::new(()),
        });
        let root = TmpfsInode::try_new(
            &shared,
            FileType::Directory,
            opts.root_mode & S_IALLUGO,
            opts.root_uid,
            opts.root_gid,
            0,
            None,
            Body::Special,
        )?;
        Ok(Arc::new(Tmpfs { shared, root }))
    }

    /// The root directory as its concrete type.
    pub fn root(&self) -> Arc<TmpfsInode> {
        self.root.clone()
    }
}

impl FileSystem for Tmpfs {
    fn root_inode(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    fn statfs(&self) -> StatFs {
        let s = &self.shared;
        let mut st = StatFs {
            fs_type: raw::TMPFS_MAGIC as u64,
            block_size: PAGE_SIZE as u64,
            fragment_size: PAGE_SIZE as u64,
            name_max: NAME_MAX as u64,
            ..StatFs::default()
        };
        if s.opts.max_bytes.is_some() {
            st.blocks = s.max_pages;
            st.blocks_free = s
                .max_pages
                .saturating_sub(s.pages_used.load(Ordering::Acquire));
            st.blocks_avail = st.blocks_free;
        }
        if s.opts.max_inodes.is_some() {
            st.files = s.max_inodes;
            st.files_free = s
                .max_inodes
                .saturating_sub(s.inodes_used.load(Ordering::Acquire));
        }
        st
    }

    fn name(&self) -> &'static str {
        "tmpfs"
    }
}

struct FileData {
    size: u64,
    pages: BTreeMap<u64, Vec<u8>>,
}

struct DirData {
    /// name → (cookie, child)
    entries: BTreeMap<Vec<u8>, (u64, Arc<TmpfsInode>)>,
    /// cookie → name, the `readdir` order.
    order: BTreeMap<u64, Vec<u8>>,
    next_cookie: u64,
    parent: Weak<TmpfsInode>,
    parent_ino: u64,
    dead: bool,
}

enum Body {
    File(FileData),
    Dir(DirData),
    Symlink(Vec<u8>),
    Special,
}

struct State {
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
    size: u64,
    body: Body,
}

impl State {
    fn dir(&self) -> Option<&DirData> {
        match &self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    fn dir_mut(&mut self) -> Option<&mut DirData> {
        match &mut self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    fn touch_mc(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
    }
}

/// One tmpfs object.
pub struct TmpfsInode {
    ino: u64,
    file_type: FileType,
    rdev: u64,
    fs: Arc<Shared>,
    this: Weak<TmpfsInode>,
    state: RwLock<State>,
}

fn copy_name(name: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut v = Vec::new();
    v.try_reserve_exact(name.len()).map_err(|_| Errno::ENOMEM)?;
    v.extend_from_slice(name);
    Ok(v)
}

fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl TmpfsInode {
    #[allow(clippy::too_many_arguments)]
    fn try_new(
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
            FileType::Regular => (
                1,
                0,
                Body::File(FileData {
                    size: 0,
                    pages: BTreeMap::new(),
                }),
            ),
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
            state: RwLock::new(State {
                mode: mode & S_IALLUGO,
                nlink,
                uid,
                gid,
                atime: now,
                mtime: now,
                ctime: now,
                size,
                body,
            }),
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
    fn arc(&self) -> Result<Arc<TmpfsInode>, Errno> {
        self.this.upgrade().ok_or(Errno::ENOENT)
    }

    fn now(&self) -> Timespec {
        self.fs.now()
    }

    fn same_fs(&self, other: &TmpfsInode) -> bool {
        Arc::ptr_eq(&self.fs, &other.fs)
    }

    fn downcast(inode: &Arc<dyn Inode>) -> Option<&TmpfsInode> {
        inode.as_any().downcast_ref::<TmpfsInode>()
    }

    fn touch_atime(&self) {
        let policy = self.fs.opts.atime;
        if policy == AtimePolicy::NoAtime {
            return;
        }
        let now = self.now();
        let needs = |st: &State| {
            if st.atime == now {
                return false;
            }
            match policy {
                AtimePolicy::Strict => true,
                AtimePolicy::NoAtime => false,
                AtimePolicy::Relatime => {
                    st.mtime >= st.atime
                        || st.ctime >= st.atime
                        || now.sec.saturating_sub(st.atime.sec) >= 24 * 60 * 60
                }
            }
        };
        if needs(&self.state.read()) {
            let mut st = self.state.write();
            if needs(&st) {
                st.atime = now;
            }
        }
    }

    /// Ancestors of this directory, itself first, up to the root (by address). Callers hold the
    /// rename mutex so the chain is stable.
    fn ancestors(&self) -> Result<Vec<*const TmpfsInode>, Errno> {
        let mut chain = Vec::new();
        let mut cur = self.arc()?;
        loop {
            chain.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            chain.push(Arc::as_ptr(&cur));
            let parent = match cur.state.read().dir() {
                Some(d) => d.parent.upgrade(),
                None => None,
            };
            match parent {
                Some(p) if !Arc::ptr_eq(&p, &cur) => cur = p,
                _ => return Ok(chain),
            }
        }
    }

    fn new_child(
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
    fn insert_entry(
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
    fn remove_entry(st: &mut State, name: &[u8]) -> Option<Arc<TmpfsInode>> {
        let d = st.dir_mut()?;
        let (cookie, child) = d.entries.remove(name)?;
        d.order.remove(&cookie);
        st.size = st.size.saturating_sub(BOGO_DIRENT_SIZE);
        Some(child)
    }

    fn get_entry(st: &State, name: &[u8]) -> Option<Arc<TmpfsInode>> {
        st.dir()?.entries.get(name).map(|(_, c)| c.clone())
    }

    fn live_dir(st: &State) -> Result<&DirData, Errno> {
        match st.dir() {
            Some(d) if d.dead => Err(Errno::ENOENT),
            Some(d) => Ok(d),
            None => Err(Errno::ENOTDIR),
        }
    }

    fn create_common(&self, name: &[u8], child: Arc<TmpfsInode>) -> Result<(), Errno> {
        let now = self.now();
        let mut st = self.state.write();
        if Self::live_dir(&st)?.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        Self::insert_entry(&mut st, name, child, now)
    }

    fn check_dir(&self) -> Result<(), Errno> {
        if self.file_type.is_dir() {
            Ok(())
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    /// Drops a link from a non-directory that lost a name: nlink, ctime, extra inode slot.
    fn drop_link(&self, now: Timespec) {
        let mut st = self.state.write();
        if st.nlink > 1 {
            self.fs.release_inode();
        }
        st.nlink = st.nlink.saturating_sub(1);
        st.ctime = now;
    }

    fn read_file(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let st = self.state.read();
        let Body::File(f) = &st.body else {
            return Err(Errno::EINVAL);
        };
        if offset >= f.size || buf.is_empty() {
            return Ok(0);
        }
        let len = core::cmp::min(buf.len() as u64, f.size - offset) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let n = core::cmp::min(PAGE_SIZE - in_page, len - done);
            let dst = &mut buf[done..done + n];
            match f.pages.get(&index) {
                Some(page) => dst.copy_from_slice(&page[in_page..in_page + n]),
                None => dst.fill(0),
            }
            done += n;
        }
        Ok(len)
    }

    fn write_file(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let len = core::cmp::min(data.len() as u64, MAX_FILE_SIZE - offset) as usize;
        let now = self.now();
        let mut st = self.state.write();
        let Body::File(f) = &mut st.body else {
            return Err(Errno::EINVAL);
        };
        let mut done = 0;
        let mut err = None;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let n = core::cmp::min(PAGE_SIZE - in_page, len - done);
            if let alloc::collections::btree_map::Entry::Vacant(slot) = f.pages.entry(index) {
                if let Err(e) = self.fs.reserve_pages(1) {
                    err = Some(e);
                    break;
                }
                let mut page = Vec::new();
                if page.try_reserve_exact(PAGE_SIZE).is_err() {
                    self.fs.release_pages(1);
                    err = Some(Errno::ENOMEM);
                    break;
                }
                page.resize(PAGE_SIZE, 0);
                slot.insert(page);
            }
            if let Some(page) = f.pages.get_mut(&index) {
                page[in_page..in_page + n].copy_from_slice(&data[done..done + n]);
            }
            done += n;
        }
        if done == 0 {
            return Err(err.unwrap_or(Errno::ENOSPC));
        }
        let end = offset + done as u64;
        if end > f.size {
            f.size = end;
        }
        st.size = f.size;
        st.touch_mc(now);
        Ok(done)
    }

    fn truncate_file(&self, len: u64) -> Result<(), Errno> {
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let now = self.now();
        let mut st = self.state.write();
        let Body::File(f) = &mut st.body else {
            return Err(Errno::EINVAL);
        };
        if len == f.size {
            return Ok(());
        }
        if len < f.size {
            let first_gone = len.div_ceil(PAGE_SIZE as u64);
            let gone = f.pages.split_off(&first_gone);
            self.fs.release_pages(gone.len() as u64);
            let in_page = (len % PAGE_SIZE as u64) as usize;
            if in_page != 0
                && let Some(page) = f.pages.get_mut(&(len / PAGE_SIZE as u64))
            {
                page[in_page..].fill(0);
            }
        }
        f.size = len;
        st.size = len;
        st.touch_mc(now);
        Ok(())
    }
}

impl Drop for TmpfsInode {
    fn drop(&mut self) {
        self.fs.release_inode();
        let st = self.state.get_mut();
        let pages = match &st.body {
            Body::File(f) => f.pages.len() as u64,
            Body::Symlink(t) if t.len() + 1 > SHORT_SYMLINK_LEN => 1,
            _ => 0,
        };
        self.fs.release_pages(pages);
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
    fn metadata(&self) -> Metadata {
        let st = self.state.read();
        let blocks = match &st.body {
            Body::File(f) => f.pages.len() as u64 * BLOCKS_PER_PAGE,
            Body::Symlink(t) if t.len() + 1 > SHORT_SYMLINK_LEN => BLOCKS_PER_PAGE,
            _ => 0,
        };
        Metadata {
            dev: self.fs.opts.dev,
            ino: self.ino,
            file_type: self.file_type,
            mode: st.mode,
            nlink: st.nlink,
            uid: st.uid,
            gid: st.gid,
            size: st.size,
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

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match self.file_type {
            FileType::Regular => {
                let n = self.read_file(offset, buf)?;
                self.touch_atime();
                Ok(n)
            }
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        match self.file_type {
            FileType::Regular => self.write_file(offset, data),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn truncate(&self, len: u64) -> Result<(), Errno> {
        match self.file_type {
            FileType::Regular => self.truncate_file(len),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
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

    fn create(
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

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
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
                return Err(Errno::ENOENT);
            }
            self.fs.reserve_inode()?;
            ts.nlink = ts.nlink.saturating_add(1);
            ts.ctime = now;
        }
        if let Err(e) = Self::insert_entry(&mut st, name, child, now) {
            t.drop_link(now);
            return Err(e);
        }
        Ok(())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
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

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
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

    fn rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        self.check_dir()?;
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
            || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
        {
            return Err(Errno::EINVAL);
        }
        let nd = Self::downcast(new_dir).ok_or(Errno::EXDEV)?;
        if !self.same_fs(nd) {
            return Err(Errno::EXDEV);
        }
        nd.check_dir()?;
        check_name(old_name)?;
        check_name(new_name)?;
        rename_impl(self, old_name, nd, new_name, flags)
    }

    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<(), Errno> {
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

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        let target = {
            let st = self.state.read();
            match &st.body {
                Body::Symlink(t) if self.file_type == FileType::Symlink => copy_name(t)?,
                _ => return Err(Errno::EINVAL),
            }
        };
        self.touch_atime();
        Ok(target)
    }

    fn read_dir(
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
        self.touch_atime();
        Ok(())
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

    fn is_dead(&self) -> bool {
        match self.state.read().dir() {
            Some(d) => d.dead,
            None => false,
        }
    }
}

/// Moves `old_dir/old_name` to `new_dir/new_name`; see [`Inode::rename`].
fn rename_impl(
    old_dir: &TmpfsInode,
    old_name: &[u8],
    new_dir: &TmpfsInode,
    new_name: &[u8],
    flags: u32,
) -> Result<(), Errno> {
    let same_dir = core::ptr::eq(old_dir, new_dir);
    let _rename_guard = if same_dir {
        None
    } else {
        Some(old_dir.fs.rename_lock.lock())
    };
    // With the rename mutex held the tree shape is stable: compute ancestry before locking.
    let (old_chain, new_chain) = if same_dir {
        (Vec::new(), Vec::new())
    } else {
        (old_dir.ancestors()?, new_dir.ancestors()?)
    };
    let new_is_ancestor = old_chain.contains(&(new_dir as *const TmpfsInode));
    let now = old_dir.now();

    // Lock the parents, ancestor first.
    let (mut os, mut ns) = if same_dir {
        (old_dir.state.write(), None)
    } else if new_is_ancestor {
        let n = new_dir.state.write();
        (old_dir.state.write(), Some(n))
    } else {
        let o = old_dir.state.write();
        (o, Some(new_dir.state.write()))
    };
    TmpfsInode::live_dir(&os)?;
    if let Some(n) = &ns {
        TmpfsInode::live_dir(n)?;
    }
    let source = TmpfsInode::get_entry(&os, old_name).ok_or(Errno::ENOENT)?;
    let target = match &ns {
        Some(n) => TmpfsInode::get_entry(n, new_name),
        None => TmpfsInode::get_entry(&os, new_name),
    };
    let exchange = flags & RENAME_EXCHANGE != 0;
    if flags & RENAME_NOREPLACE != 0 && target.is_some() {
        return Err(Errno::EEXIST);
    }
    if exchange && target.is_none() {
        return Err(Errno::ENOENT);
    }
    if let Some(t) = &target
        && Arc::ptr_eq(t, &source)
    {
        return Ok(());
    }
    let source_ptr = Arc::as_ptr(&source);
    if new_chain.contains(&source_ptr) {
        return Err(Errno::EINVAL);
    }
    if let Some(t) = &target
        && old_chain.contains(&Arc::as_ptr(t))
    {
        return Err(if exchange {
            Errno::EINVAL
        } else {
            Errno::ENOTEMPTY
        });
    }
    let src_dir = source.file_type.is_dir();
    let tgt_dir = target.as_ref().is_some_and(|t| t.file_type.is_dir());
    if !exchange && let Some(_t) = &target {
        if src_dir && !tgt_dir {
            return Err(Errno::ENOTDIR);
        }
        if !src_dir && tgt_dir {
            return Err(Errno::EISDIR);
        }
    }
    // Whiteout object made before changing anything, so ENOSPC leaves the tree alone.
    let whiteout = if flags & RENAME_WHITEOUT != 0 {
        Some(TmpfsInode::try_new(
            &old_dir.fs,
            FileType::CharDevice,
            0,
            0,
            0,
            0,
            Some(old_dir),
            Body::Special,
        )?)
    } else {
        None
    };
    // Lock the children that change: a moved directory (its parent pointer) and a replaced
    // directory (emptiness, death). Two children are locked only under the rename mutex.
    let move_src = src_dir && !same_dir;
    let move_tgt = exchange && tgt_dir && !same_dir;
    let lock_tgt = tgt_dir && (move_tgt || !exchange);
    let (mut src_state, mut tgt_state) = match (&target, move_src, lock_tgt) {
        (Some(t), true, true) => {
            if Arc::as_ptr(&source) < Arc::as_ptr(t) {
                let s = source.state.write();
                (Some(s), Some(t.state.write()))
            } else {
                let tt = t.state.write();
                (Some(source.state.write()), Some(tt))
            }
        }
        (Some(t), false, true) => (None, Some(t.state.write())),
        (_, true, _) => (Some(source.state.write()), None),
        _ => (None, None),
    };
    if !exchange
        && tgt_dir
        && let Some(ts) = &tgt_state
        && ts.dir().is_some_and(|d| !d.entries.is_empty())
    {
        return Err(Errno::ENOTEMPTY);
    }
    // Names for the new entries (fallible allocation before any change).
    let new_key = copy_name(new_name)?;
    let new_key2 = copy_name(new_name)?;
    let old_key = copy_name(old_name)?;
    let old_key2 = copy_name(old_name)?;

    let new_ino = new_dir.ino;
    let old_ino = old_dir.ino;
    let new_weak = new_dir.this.clone();
    let old_weak = old_dir.this.clone();

    if exchange {
        let Some(target) = target.as_ref().cloned() else {
            return Err(Errno::ENOENT);
        };
        // Swap the children in place (each entry keeps its position).
        let set = |st: &mut State, name: &[u8], child: Arc<TmpfsInode>| {
            if let Some(d) = st.dir_mut()
                && let Some(slot) = d.entries.get_mut(name)
            {
                slot.1 = child;
            }
        };
        match ns.as_deref_mut() {
            Some(n) => {
                set(&mut os, old_name, target.clone());
                set(&mut *n, new_name, source.clone());
                if src_dir != tgt_dir {
                    let (from, to) = if src_dir {
                        (&mut *os, &mut *n)
                    } else {
                        (&mut *n, &mut *os)
                    };
                    from.nlink = from.nlink.saturating_sub(1);
                    to.nlink = to.nlink.saturating_add(1);
                }
                n.touch_mc(now);
            }
            None => {
                set(&mut os, old_name, target.clone());
                set(&mut os, new_name, source.clone());
            }
        }
        os.touch_mc(now);
        if let Some(s) = src_state.as_deref_mut()
            && let Some(d) = s.dir_mut()
        {
            d.parent = new_weak;
            d.parent_ino = new_ino;
        }
        if let Some(t) = tgt_state.as_deref_mut()
            && let Some(d) = t.dir_mut()
        {
            d.parent = old_weak;
            d.parent_ino = old_ino;
        }
        drop(src_state);
        drop(tgt_state);
        source.state.write().ctime = now;
        target.state.write().ctime = now;
        return Ok(());
    }

    // Plain rename (possibly replacing the target).
    TmpfsInode::remove_entry(&mut os, old_name);
    if src_dir {
        os.nlink = os.nlink.saturating_sub(1);
    }
    {
        let dst: &mut State = match ns.as_deref_mut() {
            Some(n) => n,
            None => &mut os,
        };
        if target.is_some() {
            TmpfsInode::remove_entry(dst, new_name);
            if tgt_dir {
                // The replaced directory's link from its parent goes with it.
                dst.nlink = dst.nlink.saturating_sub(1);
            }
        }
        let d = dst.dir_mut().ok_or(Errno::ENOTDIR)?;
        let cookie = d.next_cookie;
        d.next_cookie = cookie.saturating_add(1);
        d.entries.insert(new_key, (cookie, source.clone()));
        d.order.insert(cookie, new_key2);
        dst.size += BOGO_DIRENT_SIZE;
        if src_dir {
            dst.nlink = dst.nlink.saturating_add(1);
        }
        dst.touch_mc(now);
    }
    os.touch_mc(now);
    if let Some(s) = src_state.as_deref_mut()
        && let Some(d) = s.dir_mut()
    {
        d.parent = new_weak;
        d.parent_ino = new_ino;
    }
    if let Some(t) = tgt_state.as_deref_mut() {
        if let Some(d) = t.dir_mut() {
            d.dead = true;
        }
        t.nlink = 0;
        t.ctime = now;
    }
    drop(src_state);
    drop(tgt_state);
    if let Some(w) = whiteout {
        // The source's old name now holds the whiteout.
        if let Some(d) = os.dir_mut() {
            let cookie = d.next_cookie;
            d.next_cookie = cookie.saturating_add(1);
            d.entries.insert(old_key, (cookie, w));
            d.order.insert(cookie, old_key2);
        }
        os.size += BOGO_DIRENT_SIZE;
    }
    drop(ns);
    drop(os);
    source.state.write().ctime = now;
    if let Some(t) = target
        && !tgt_dir
    {
        t.drop_link(now);
    }
    Ok(())
}
