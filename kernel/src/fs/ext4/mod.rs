//! ext2, ext3 and ext4 mounted from a block device (Linux's `fs/ext4/super.c` registering
//! `ext4`, and `ext2`/`ext3` served by the same code as `CONFIG_EXT4_USE_FOR_EXT2` does): the
//! glue between the VFS and `crates/ext4`, which holds every format rule.
//!
//! `mount -t ext4 /dev/vdb /mnt`: the source is looked up as a path and must be a block device
//! (`ENOTBLK`), then [`block::lookup`](crate::block::lookup) gives its disk and partition. The
//! crate reads and writes through the disk's page cache, and its flush is the disk's `sync`
//! (write-back and a cache flush). One sleeping mutex serialises the calls into the crate per
//! file system; inodes are cached by number so that every name of a file is one VFS inode.
//!
//! Regular files keep their data in a page cache of their own (`cache`): reads, writes, exec
//! and mappings (private and shared writable) share its pages, and dirty pages reach the disk
//! at write-back (`writeback`: fsync, sync, syncfs, unmount, the flusher thread, memory
//! pressure), with blocks allocated then and reserved at write time. Unlinked files stay on
//! the orphan list while open and are freed when their last user goes (at the next call into
//! the file system, as the last `iput` cannot sleep here), or by the next mount after a crash.

mod cache;
pub mod writeback;

use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use hal::sync::{Mutex, SpinLock};
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption};
use vfs::inode::{
    AtimePolicy, DirEntry, FileSystem, FileType, Inode, Metadata, SetAttr, StatFs, TimeSet,
};
use vfs::page_cache::PageCache;
use vfs::{Path, Timespec};

use crate::block;

/// `EXT4_SUPER_MAGIC` (the same for ext2 and ext3).
const EXT4_SUPER_MAGIC: u64 = 0xef53;

fn errno(error: ::ext4::Error) -> Errno {
    if let ::ext4::Error::Corrupt(what) | ::ext4::Error::BadChecksum(what) = error {
        log::error!("EXT4-fs error: {what}");
    }
    Errno(error.errno() as u16)
}

fn now() -> ::ext4::Timestamp {
    let ns = crate::time::realtime_ns();
    ::ext4::Timestamp {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as u32,
    }
}

fn timespec(time: ::ext4::Timestamp) -> Timespec {
    Timespec {
        sec: time.sec,
        nsec: time.nsec as _,
    }
}

fn timestamp(time: TimeSet) -> ::ext4::Timestamp {
    match time {
        TimeSet::Now => now(),
        TimeSet::At(t) => ::ext4::Timestamp {
            sec: t.sec,
            nsec: t.nsec,
        },
    }
}

/// A disk or partition as the crate sees it: byte offsets into the disk's page cache.
struct Volume {
    device: block::BlockDevice,
    base: u64,
    size: u64,
}

impl ::ext4::BlockDevice for Volume {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), ::ext4::IoError> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.size)
        {
            return Err(::ext4::IoError);
        }
        match self.device.disk.read_at(self.base + offset, buf) {
            Ok(n) if n == buf.len() => Ok(()),
            _ => Err(::ext4::IoError),
        }
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), ::ext4::IoError> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.size)
        {
            return Err(::ext4::IoError);
        }
        match self.device.disk.write_at(self.base + offset, buf) {
            Ok(n) if n == buf.len() => Ok(()),
            _ => Err(::ext4::IoError),
        }
    }

    fn flush(&mut self) -> Result<(), ::ext4::IoError> {
        self.device.disk.sync().map_err(|_| ::ext4::IoError)
    }

    fn size(&self) -> u64 {
        self.size
    }
}

/// Before a power-off or restart (`reboot(2)`): every mounted ext2/3/4 file system writes what
/// it holds, empties its journal and is marked clean, then refuses changes, as an emergency
/// remount read-only would leave it (Linux's SysRq `u`; Linux's reboot(2) itself leaves that
/// to init, but a `poweroff -f` must not leave a disk that needs recovery).
pub fn shutdown_all() {
    writeback::each_fs(|ext4| {
        if let Err(error) = ext4.set_read_only(true) {
            log::error!("EXT4-fs: remount read-only at shutdown: error -{}", error.0);
        }
    });
}

/// One mounted ext2/3/4 file system.
pub struct Ext4Fs {
    name: &'static str,
    dev: u64,
    state: Mutex<::ext4::Ext4<Volume>>,
    inodes: SpinLock<BTreeMap<u32, Weak<Ext4Inode>>>,
    /// Inodes whose last user went while they had no names: freed at the next call.
    released: SpinLock<Vec<u32>>,
    me: Weak<Ext4Fs>,
    root: Arc<Ext4Inode>,
    /// Inodes with dirty pages or times, kept alive until written back.
    dirty: SpinLock<Vec<Arc<Ext4Inode>>>,
    /// Blocks reserved for dirty pages that have none yet (delayed allocation).
    reserved: AtomicU64,
    /// Blocks kept free for the metadata that delayed allocation will need
    /// (`s_resv_clusters`: 2% of the file system, at most 4096).
    metadata_reserve: u64,
    /// File-system blocks per page (at least 1).
    blocks_per_page: u64,
    block_size: u32,
    /// When the running journal transaction got its first change (monotonic ns; 0: none
    /// known), for the commit thread.
    transaction_started: AtomicU64,
    /// `commit=`: how long a transaction may run before the commit thread commits it (ns).
    commit_interval_ns: u64,
}

impl Drop for Ext4Fs {
    fn drop(&mut self) {
        // The last mount went: write back dirty files, free what unlinked files left, write
        // everything, mark clean.
        if let Err(error) = self.write_back_all(u64::MAX) {
            log::error!("EXT4-fs: unmount: write-back failed: {:?}", error);
        }
        self.dirty.lock().clear();
        let mut fs = self.state.lock();
        // Taken out first: the guard of a `for` expression would live across the loop's disk I/O.
        let released = core::mem::take(&mut *self.released.lock());
        for ino in released {
            let _ = fs.release(ino);
        }
        if let Err(error) = fs.shutdown() {
            log::error!("EXT4-fs: unmount: {:?}", error);
        }
    }
}

impl Ext4Fs {
    /// Runs `op` on the crate, after freeing what the last users of unlinked files left.
    fn with<T>(
        &self,
        op: impl FnOnce(&mut ::ext4::Ext4<Volume>) -> ::ext4::Result<T>,
    ) -> Result<T, Errno> {
        let mut fs = self.state.lock();
        let released = core::mem::take(&mut *self.released.lock());
        for ino in released {
            if let Err(error) = fs.release(ino) {
                log::error!("EXT4-fs: freeing orphan inode {ino}: {:?}", error);
            }
        }
        let result = op(&mut fs).map_err(errno);
        if self.transaction_started.load(Ordering::Relaxed) == 0 && fs.has_uncommitted() {
            self.transaction_started
                .store(crate::time::monotonic_ns().max(1), Ordering::Relaxed);
        }
        result
    }

    /// The commit thread's visit: commits the running transaction once it is older than
    /// the commit interval (`commit=`), as jbd2's commit timer does.
    pub(super) fn commit_if_expired(&self, now: u64) {
        let started = self.transaction_started.load(Ordering::Relaxed);
        if started == 0 || now.saturating_sub(started) < self.commit_interval_ns {
            return;
        }
        let mut fs = self.state.lock();
        self.transaction_started.store(0, Ordering::Relaxed);
        if fs.has_uncommitted()
            && let Err(error) = fs.sync()
        {
            log::error!("EXT4-fs: journal commit failed: {error:?}");
        }
    }

    /// How long until this file system's running transaction is due (ns), if it has one.
    pub(super) fn commit_due_in(&self, now: u64) -> Option<u64> {
        let started = self.transaction_started.load(Ordering::Relaxed);
        (started != 0).then(|| {
            started
                .saturating_add(self.commit_interval_ns)
                .saturating_sub(now)
        })
    }

    /// The one VFS inode of number `ino` (of `size` bytes, for a new regular file's cache).
    fn inode(&self, ino: u32, file_type: FileType, size: u64) -> Result<Arc<Ext4Inode>, Errno> {
        if ino == ::ext4::ROOT_INO {
            return Ok(self.root.clone());
        }
        let mut inodes = self.inodes.lock();
        if let Some(inode) = inodes.get(&ino).and_then(Weak::upgrade) {
            return Ok(inode);
        }
        let inode = Ext4Inode::new(self.me.clone(), ino, file_type, size);
        inodes.retain(|_, weak| weak.strong_count() > 0);
        inodes.insert(ino, Arc::downgrade(&inode));
        Ok(inode)
    }

    fn inode_for(&self, ino: u32) -> Result<Arc<Ext4Inode>, Errno> {
        let stat = self.with(|fs| fs.stat(ino))?;
        let file_type = FileType::from_mode_bits(u32::from(stat.mode)).ok_or(Errno::EUCLEAN)?;
        self.inode(ino, file_type, stat.size)
    }
}

impl FileSystem for Ext4Fs {
    fn root_inode(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    fn statfs(&self) -> StatFs {
        // Unlinked files that only wait for write-back are freed first.
        if self.reap_unlinked() > 0 {
            let _ = self.with(|_| Ok(()));
        }
        let st = self.state.lock().statfs();
        // Blocks reserved for dirty pages are not free (ext4_statfs's s_dirtyclusters_counter).
        let reserved = self.reserved.load(Ordering::Acquire);
        StatFs {
            fs_type: EXT4_SUPER_MAGIC,
            block_size: u64::from(st.block_size),
            blocks: st.blocks,
            blocks_free: st.free_blocks.saturating_sub(reserved),
            blocks_avail: st.available_blocks.saturating_sub(reserved),
            files: st.inodes,
            files_free: st.free_inodes,
            name_max: u64::from(st.name_max),
            fragment_size: u64::from(st.block_size),
        }
    }

    fn name(&self) -> &'static str {
        self.name
    }

    /// A remount: going read-only writes every dirty page back first (shutdown and
    /// `mount -o remount,ro`).
    fn set_read_only(&self, read_only: bool) -> Result<(), Errno> {
        if read_only {
            self.write_back_and_commit()?;
        }
        self.with(|fs| fs.remount(read_only))
    }

    fn sync_fs(&self) -> Result<(), Errno> {
        self.write_back_and_commit()
    }

    /// `mount -o remount,OPTIONS`: the options a mount takes, checked the same way; Debian's
    /// checkroot.sh remounts `/` with fstab's `errors=remount-ro`. The journalling mode
    /// cannot change (Linux's "Cannot change data mode on remount"): only the default,
    /// `ordered`, is accepted.
    fn remount(&self, options: &[MountOption<'_>]) -> Result<(), Errno> {
        check_options(options, true).map(|_| ())
    }
}

/// The ext4 mount options Ferrux takes (Linux's `ext4_param_specs`, in part): `errors=` and
/// `data=` with one of their values, `barrier[=N]`, `user_xattr`, `acl` and `commit=N`. Others
/// are `EINVAL` with Linux's message. Only `commit=` (the journal's commit interval, returned
/// here and applied at mount; a remount checks it but keeps the interval) changes what Ferrux
/// does: errors are returned, never acted on by remounting or panicking, and every change is
/// journalled in order.
fn check_options(options: &[MountOption<'_>], is_remount: bool) -> Result<Option<u64>, Errno> {
    let mut commit_secs = None;
    for (name, value) in options {
        let is_valid = match (*name, *value) {
            // `commit=N` seconds; 0 or none is the default (as `ext4_parse_param`).
            (b"commit", None) => true,
            (b"commit", Some(text)) => match parse_seconds(text) {
                Some(0) => true,
                Some(secs) => {
                    commit_secs = Some(secs);
                    true
                }
                None => false,
            },
            (b"errors", Some(b"continue" | b"remount-ro" | b"panic")) => true,
            (b"data", Some(b"ordered")) => true,
            (b"data", Some(b"journal" | b"writeback")) if !is_remount => true,
            (b"data", Some(b"journal" | b"writeback")) => {
                log::error!("EXT4-fs: Cannot change data mode on remount");
                return Err(Errno::EINVAL);
            }
            (b"barrier", Some(number)) => number.iter().all(u8::is_ascii_digit),
            (b"barrier" | b"user_xattr" | b"acl", None) => true,
            (b"errors" | b"data", Some(bad)) => {
                log::error!(
                    "ext4: Bad value for '{}': {}",
                    core::str::from_utf8(name).unwrap_or("?"),
                    core::str::from_utf8(bad).unwrap_or("?")
                );
                return Err(Errno::EINVAL);
            }
            _ => false,
        };
        if !is_valid {
            log::error!(
                "EXT4-fs: Unrecognized mount option \"{}\" or missing value",
                core::str::from_utf8(name).unwrap_or("?")
            );
            return Err(Errno::EINVAL);
        }
    }
    Ok(commit_secs)
}

/// One inode of a mounted file system. It refers to its file system weakly (the file
/// system holds its root inode); mounts, dentries and open files keep the file system alive.
pub struct Ext4Inode {
    fs: Weak<Ext4Fs>,
    ino: u32,
    file_type: FileType,
    me: Weak<Ext4Inode>,
    /// A regular file's data.
    cache: Option<PageCache>,
    /// `i_rwsem`: writes, truncation, fallocate and write-back of the file.
    io: Mutex<()>,
    /// mtime and ctime of writes not yet written back.
    pending_time: SpinLock<Option<::ext4::Timestamp>>,
    /// When the file became dirty (monotonic ns; 0: clean).
    dirtied_at: AtomicU64,
    /// Dirty pages.
    nr_dirty: AtomicU64,
    /// Pages with reserved, unallocated blocks (counted in `st_blocks`).
    delalloc_pages: AtomicU64,
    /// The errno of a failed write-back, for the next fsync.
    wb_error: AtomicU16,
    /// On its file system's dirty list.
    on_dirty_list: AtomicBool,
}

impl Drop for Ext4Inode {
    fn drop(&mut self) {
        // Pages still dirty (an unlinked file let go): their counts and reservations go.
        if let Some(cache) = self.cache.as_ref() {
            let mut unreserve = 0;
            cache.for_each_cached(0, u64::MAX, &mut |_, frame| {
                if frame.clear_flag(vfs::page::PageFlag::Dirty) {
                    writeback::page_cleaned();
                }
                if frame.clear_flag(vfs::page::PageFlag::Delalloc) {
                    unreserve += 1;
                }
                true
            });
            if unreserve != 0
                && let Some(fs) = self.fs.upgrade()
            {
                fs.unreserve(unreserve * fs.blocks_per_page);
            }
        }
        // The crate keeps unlinked inodes until told; whether this one is such is its call.
        if let Some(fs) = self.fs.upgrade() {
            fs.released.lock().push(self.ino);
        }
    }
}

impl Ext4Inode {
    fn new(fs: Weak<Ext4Fs>, ino: u32, file_type: FileType, size: u64) -> Arc<Ext4Inode> {
        Arc::new_cyclic(|me| Ext4Inode {
            fs,
            ino,
            file_type,
            me: me.clone(),
            cache: (file_type == FileType::Regular).then(|| {
                let cache = PageCache::new();
                cache.set_size(size);
                cache
            }),
            io: Mutex::new("ext4.inode", ()),
            pending_time: SpinLock::new("ext4.inode.times", None),
            dirtied_at: AtomicU64::new(0),
            nr_dirty: AtomicU64::new(0),
            delalloc_pages: AtomicU64::new(0),
            wb_error: AtomicU16::new(0),
            on_dirty_list: AtomicBool::new(false),
        })
    }

    fn fs(&self) -> Result<Arc<Ext4Fs>, Errno> {
        self.fs.upgrade().ok_or(Errno::EIO)
    }

    fn with<T>(
        &self,
        op: impl FnOnce(&mut ::ext4::Ext4<Volume>) -> ::ext4::Result<T>,
    ) -> Result<T, Errno> {
        self.fs()?.with(op)
    }
}

fn file_type_of(kind: FileType) -> u16 {
    kind.to_mode_bits() as u16
}

impl Inode for Ext4Inode {
    fn metadata(&self) -> Metadata {
        let fs = self.fs();
        let dev = fs.as_ref().map_or(0, |fs| fs.dev);
        let block_size = fs.as_ref().map_or(4096, |fs| fs.state.lock().block_size());
        let stat = self.with(|fs| fs.stat(self.ino));
        let Ok(stat) = stat else {
            return Metadata {
                dev,
                ino: u64::from(self.ino),
                file_type: self.file_type,
                mode: 0,
                nlink: 0,
                uid: 0,
                gid: 0,
                size: 0,
                rdev: 0,
                blocks: 0,
                blksize: 4096,
                atime: Timespec::default(),
                mtime: Timespec::default(),
                ctime: Timespec::default(),
            };
        };
        // The cache's size and the pending times are newer than the disk's.
        let size = self.cache.as_ref().map_or(stat.size, PageCache::size);
        let pending = *self.pending_time.lock();
        let delalloc = self.delalloc_pages.load(Ordering::Relaxed) * (cache::PAGE / 512);
        Metadata {
            dev,
            ino: u64::from(self.ino),
            file_type: self.file_type,
            mode: u32::from(stat.mode) & 0o7777,
            nlink: stat.nlink,
            uid: stat.uid,
            gid: stat.gid,
            size,
            rdev: vfs::inode::encode_dev(stat.rdev.0, stat.rdev.1),
            blocks: stat.blocks + delalloc,
            blksize: block_size,
            atime: timespec(stat.atime),
            mtime: timespec(pending.unwrap_or(stat.mtime)),
            ctime: timespec(pending.unwrap_or(stat.ctime)),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.file_type.is_dir() {
            return Err(Errno::EISDIR);
        }
        if self.cache.is_some() {
            let mut done = 0;
            return self.read_file_pages(offset, buf.len(), &mut |piece| {
                match piece {
                    vfs::inode::PageSlice::Frame { frame, offset, len } => {
                        frame.read(offset, &mut buf[done..done + len]);
                        done += len;
                    }
                    vfs::inode::PageSlice::Zeros(len) => {
                        buf[done..done + len].fill(0);
                        done += len;
                    }
                }
                Ok(())
            });
        }
        self.with(|fs| fs.read(self.ino, offset, buf))
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if self.file_type.is_dir() {
            return Err(Errno::EISDIR);
        }
        if self.cache.is_some() {
            return self.write_file_pages(offset, data.len(), &mut |frame, in_page, len, done| {
                frame.write(in_page, &data[done..done + len]);
                Ok(())
            });
        }
        self.with(|fs| fs.write(self.ino, offset, data))
    }

    fn page_cache(&self) -> Option<&PageCache> {
        self.cache.as_ref()
    }

    fn read_pages(
        &self,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(vfs::inode::PageSlice<'_>) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        if self.cache.is_none() {
            return Err(if self.file_type.is_dir() {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        }
        self.read_file_pages(offset, len, sink)
    }

    fn write_pages(
        &self,
        offset: u64,
        len: usize,
        fill: &mut vfs::inode::PageFill<'_>,
    ) -> Result<usize, Errno> {
        if self.cache.is_none() {
            return Err(if self.file_type.is_dir() {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        }
        self.write_file_pages(offset, len, fill)
    }

    fn fault_page(&self, index: u64) -> Result<vfs::page::Frame, Errno> {
        if self.cache.is_none() {
            return Err(Errno::ENODEV);
        }
        self.fault_file_page(index)
    }

    fn page_mkwrite(&self, index: u64) -> Result<(), Errno> {
        if self.cache.is_none() {
            return Ok(());
        }
        self.mkwrite_page(index)
    }

    fn needs_write_notify(&self) -> bool {
        self.cache.is_some()
    }

    fn direct_io(&self) -> bool {
        self.cache.is_some()
    }

    fn write_back_data(&self) -> Result<(), Errno> {
        self.fs()?.write_back_inode(self)
    }

    fn sync_data(&self) -> Result<(), Errno> {
        let fs = self.fs()?;
        fs.write_back_inode(self)?;
        // The commit only if the running transaction holds a change of this inode
        // (i_sync_tid); otherwise a cache flush makes the data durable.
        self.with(|fs| fs.fsync(self.ino, false))?;
        match self.wb_error.swap(0, Ordering::AcqRel) {
            0 => Ok(()),
            error => Err(Errno(error)),
        }
    }

    fn birth_time(&self) -> Option<Timespec> {
        self.with(|fs| fs.stat(self.ino))
            .ok()
            .and_then(|stat| stat.btime.map(timespec))
    }

    fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        if self.cache.is_some() {
            return self.fallocate_file(mode, offset, len);
        }
        self.with(|fs| fs.fallocate(self.ino, mode, offset, len))
    }

    fn punch_hole(&self, start: u64, end: u64) -> Result<(), Errno> {
        let mode = ::ext4::FALLOC_FL_PUNCH_HOLE | ::ext4::FALLOC_FL_KEEP_SIZE;
        self.fallocate(mode, start, end.saturating_sub(start))
    }

    fn truncate(&self, len: u64) -> Result<(), Errno> {
        if self.file_type.is_dir() {
            return Err(Errno::EISDIR);
        }
        if self.cache.is_some() {
            return self.truncate_file(len);
        }
        self.with(|fs| fs.truncate(self.ino, len))
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if !self.file_type.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let ino = self.with(|fs| fs.lookup(self.ino, name))?;
        Ok(self.fs()?.inode_for(ino)?)
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
        if !self.file_type.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let perm = (mode & 0o7777) as u16;
        let ino = match file_type {
            FileType::Directory => self.with(|fs| fs.mkdir(self.ino, name, perm, uid, gid))?,
            FileType::Symlink => return Err(Errno::EINVAL),
            kind => {
                let device = (vfs::inode::dev_major(rdev), vfs::inode::dev_minor(rdev));
                self.with(|fs| {
                    fs.mknod(self.ino, name, file_type_of(kind) | perm, uid, gid, device)
                })?
            }
        };
        Ok(self.fs()?.inode(ino, file_type, 0)?)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let target = target
            .as_any()
            .downcast_ref::<Ext4Inode>()
            .ok_or(Errno::EXDEV)?;
        if !Weak::ptr_eq(&target.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        self.with(|fs| fs.link(target.ino, self.ino, name))
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.with(|fs| fs.unlink(self.ino, name))
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.with(|fs| fs.rmdir(self.ino, name))
    }

    fn rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        let new_dir = new_dir
            .as_any()
            .downcast_ref::<Ext4Inode>()
            .ok_or(Errno::EXDEV)?;
        if !Weak::ptr_eq(&new_dir.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        if flags & vfs::inode::RENAME_WHITEOUT != 0 {
            return Err(Errno::EINVAL);
        }
        self.with(|fs| fs.rename2(self.ino, old_name, new_dir.ino, new_name, flags))
    }

    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<(), Errno> {
        self.with(|fs| fs.symlink(self.ino, name, target, uid, gid))
            .map(|_| ())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.with(|fs| fs.read_link(self.ino))
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        if !self.file_type.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        // A removed directory reads as gone (Linux's IS_DEADDIR in iterate_dir).
        if self.metadata().nlink == 0 {
            return Err(Errno::ENOENT);
        }
        // Gather under the lock, hand out after it: the sink may copy to user memory.
        let mut entries = Vec::new();
        self.with(|fs| {
            fs.read_dir(self.ino, offset, &mut |entry| {
                if entries.try_reserve(1).is_err() || entries.len() >= 256 {
                    return false;
                }
                entries.push(entry);
                true
            })
        })?;
        for entry in &entries {
            let file_type = match entry.file_type.dtype() {
                1 => FileType::Fifo,
                2 => FileType::CharDevice,
                4 => FileType::Directory,
                6 => FileType::BlockDevice,
                10 => FileType::Symlink,
                12 => FileType::Socket,
                _ => FileType::Regular,
            };
            let item = DirEntry {
                ino: u64::from(entry.ino),
                next_offset: entry.next_pos,
                file_type,
                name: &entry.name,
            };
            if !sink(item) {
                break;
            }
        }
        Ok(())
    }

    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        // A write's pending mtime goes with this change (unless it sets its own).
        let pending = self.pending_time.lock().take();
        let change = ::ext4::SetAttr {
            mode: attr.mode.map(|mode| (mode & 0o7777) as u16),
            uid: attr.uid,
            gid: attr.gid,
            atime: attr.atime.map(timestamp),
            mtime: attr.mtime.map(timestamp).or(pending),
            ctime: attr.ctime.map(timestamp),
        };
        self.with(|fs| fs.set_attr(self.ino, change))
    }

    /// A read's access time (`touch_atime`), under the mount's atime policy; a failure to
    /// write it is not the reader's error, as in Linux.
    fn touch_atime(&self, policy: AtimePolicy) {
        if policy == AtimePolicy::NoAtime {
            return;
        }
        let metadata = self.metadata();
        let now = timespec(now());
        if policy.needs_update(metadata.atime, metadata.mtime, metadata.ctime, now) {
            let at = |time: Timespec| ::ext4::Timestamp {
                sec: time.sec,
                nsec: time.nsec,
            };
            // The crate's set_attr stamps ctime unless given one: keep it, an access is no
            // change of the inode.
            let change = ::ext4::SetAttr {
                atime: Some(at(now)),
                ctime: Some(at(metadata.ctime)),
                ..::ext4::SetAttr::default()
            };
            let _ = self.with(|fs| fs.set_attr(self.ino, change));
        }
    }
}

/// jbd2's default commit interval (`JBD2_DEFAULT_MAX_COMMIT_AGE`), in seconds.
const DEFAULT_COMMIT_SECS: u64 = 5;

/// A `commit=` value: decimal seconds that fit (Linux caps them at `INT_MAX / HZ`).
fn parse_seconds(text: &[u8]) -> Option<u64> {
    let text = core::str::from_utf8(text).ok()?;
    let secs: u64 = text.parse().ok()?;
    (secs <= i32::MAX as u64 / 100).then_some(secs)
}

/// `EXT4_FEATURE_COMPAT_HAS_JOURNAL`.
const COMPAT_HAS_JOURNAL: u32 = 0x4;
/// `EXT2_FEATURE_INCOMPAT_SUPP`: filetype and meta_bg; ext3 adds recover.
const EXT2_INCOMPAT_SUPP: u32 = 0x2 | 0x10;
const EXT3_INCOMPAT_SUPP: u32 = EXT2_INCOMPAT_SUPP | 0x4;
/// `EXT2_FEATURE_RO_COMPAT_SUPP` (ext3's is the same): sparse_super, large_file, btree_dir.
const EXT2_RO_COMPAT_SUPP: u32 = 0x1 | 0x2 | 0x4;

/// Whether a file system with these features may be mounted as `name` (`ext2_feature_set_ok`,
/// `ext3_feature_set_ok`): ext2 and ext3 refuse what their drivers never knew (extents,
/// 64bit, flex_bg, metadata_csum…), ext3 also a file system without a journal; read-only
/// mounts ignore the read-only-compatible features.
fn features_fit(name: &str, compat: u32, incompat: u32, ro_compat: u32, read_only: bool) -> bool {
    let incompat_supported = match name {
        "ext2" => EXT2_INCOMPAT_SUPP,
        "ext3" => EXT3_INCOMPAT_SUPP,
        _ => return true,
    };
    if incompat & !incompat_supported != 0 {
        return false;
    }
    if name == "ext3" && compat & COMPAT_HAS_JOURNAL == 0 {
        return false;
    }
    read_only || ro_compat & !EXT2_RO_COMPAT_SUPP == 0
}

/// The feature words of the superblock on `volume`, if it has ext2's magic.
fn superblock_features(volume: &mut Volume) -> Option<(u32, u32, u32)> {
    use ::ext4::BlockDevice as _;
    let mut raw = [0u8; 0x68];
    volume.read_at(1024, &mut raw).ok()?;
    let word = |at: usize| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
    if u16::from_le_bytes([raw[0x38], raw[0x39]]) != EXT4_SUPER_MAGIC as u16 {
        return None;
    }
    Some((word(0x5c), word(0x60), word(0x64)))
}

/// The `ext2`, `ext3` and `ext4` types (`FS_REQUIRES_DEV`).
pub struct Ext4Type(pub &'static str);

impl FileSystemType for Ext4Type {
    fn name(&self) -> &'static str {
        self.0
    }

    fn requires_device(&self) -> bool {
        true
    }

    fn mount(
        &self,
        source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        let commit_secs = check_options(options, false)?.unwrap_or(DEFAULT_COMMIT_SECS);
        let thread = crate::process::current();
        let path: Path = super::lookup(
            &thread,
            crate::syscall::args::Fd(abi::AT_FDCWD),
            source,
            vfs::path::Lookup::FOLLOW,
        )?;
        let meta = path.dentry().inode().metadata();
        if meta.file_type != FileType::BlockDevice {
            return Err(Errno::ENOTBLK);
        }
        let (major, minor) = (
            vfs::inode::dev_major(meta.rdev),
            vfs::inode::dev_minor(meta.rdev),
        );
        let device = block::lookup(major, minor).ok_or(Errno::ENXIO)?;
        let (start, sectors) = device.extent();
        let number = device.partition.map_or(0, |part| part.number);
        let device_read_only = device.disk.is_read_only(number);
        let read_only = sb_flags & vfs::dentry::sb_flags::SB_RDONLY != 0;
        if device_read_only && !read_only {
            return Err(Errno::EACCES);
        }
        // The block device's name (`s_id`), as Linux's messages show it.
        let id = match &device.partition {
            Some(part) => device.disk.partition_name(part.number),
            None => device.disk.name.clone(),
        };
        let mut volume = Volume {
            device,
            base: start * 512,
            size: sectors * 512,
        };
        if let Some((compat, incompat, ro_compat)) = superblock_features(&mut volume)
            && !features_fit(self.0, compat, incompat, ro_compat, read_only)
        {
            log::error!(
                "EXT4-fs ({}): couldn't mount as {} due to feature incompatibilities",
                id,
                self.0
            );
            return Err(Errno::EINVAL);
        }
        let options = ::ext4::MountOptions {
            read_only,
            read_only_device: device_read_only,
            now,
        };
        let mut fs = ::ext4::Ext4::mount(volume, options).map_err(|error| {
            log::error!(
                "EXT4-fs ({}): can't mount: {:?}",
                core::str::from_utf8(source).unwrap_or("?"),
                error
            );
            match error {
                ::ext4::Error::Invalid => Errno::EINVAL,
                other => errno(other),
            }
        })?;
        if let Some(recovery) = fs.recovery() {
            log::info!(
                "EXT4-fs: recovery complete: {} transactions, {} blocks",
                recovery.transactions,
                recovery.replayed
            );
        }
        fs.set_keep_unlinked(true);
        let st = fs.statfs();
        let block_size = fs.block_size();
        let ext4 = Arc::new_cyclic(|me: &Weak<Ext4Fs>| Ext4Fs {
            name: self.0,
            dev: meta.rdev,
            state: Mutex::new("ext4.fs", fs),
            inodes: SpinLock::new("ext4.inodes", BTreeMap::new()),
            released: SpinLock::new("ext4.released", Vec::new()),
            me: me.clone(),
            root: Ext4Inode::new(me.clone(), ::ext4::ROOT_INO, FileType::Directory, 0),
            dirty: SpinLock::new("ext4.dirty", Vec::new()),
            reserved: AtomicU64::new(0),
            metadata_reserve: (st.blocks / 50).min(4096),
            blocks_per_page: (cache::PAGE / u64::from(block_size.max(1))).max(1),
            block_size,
            transaction_started: AtomicU64::new(0),
            commit_interval_ns: commit_secs.saturating_mul(1_000_000_000),
        });
        // Registered even when mounted read-only: a remount may make it writable, and
        // reboot(2)'s shutdown finds every mounted one here.
        writeback::register(&ext4);
        let dentry = Dentry::new_root(ext4 as Arc<dyn FileSystem>);
        dentry.superblock().set_flags(sb_flags);
        Ok(dentry)
    }
}
