//! One tmpfs instance (Linux's `shmem_sb_info`, `shmem_fill_super`, `shmem_statfs`): the root
//! directory, the inode-number counter, the rename mutex, and the page and inode accounting that
//! enforces the `size=` and `nr_inodes=` limits (`ENOSPC`) and that `statfs` reports.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::sync::Mutex;
use abi::Errno;
use linux_raw_sys::general as raw;

use super::inode::{Body, TmpfsInode};
use super::{PAGE_SIZE, TmpfsOptions};
use crate::inode::{Clock, FileSystem, FileType, Inode, NAME_MAX, S_IALLUGO, StatFs, Timespec};

/// State shared by every inode of an instance.
pub(super) struct Shared {
    pub(super) opts: TmpfsOptions,
    clock: Arc<dyn Clock>,
    pub(super) next_ino: AtomicU64,
    max_pages: u64,
    pages_used: AtomicU64,
    max_inodes: u64,
    inodes_used: AtomicU64,
    pub(super) rename_lock: Mutex<()>,
}

impl Shared {
    pub(super) fn now(&self) -> Timespec {
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

    pub(super) fn reserve_pages(&self, n: u64) -> Result<(), Errno> {
        Self::reserve(&self.pages_used, self.max_pages, n)
    }

    /// The `size=` limit in pages (`u64::MAX` when unlimited).
    pub(super) fn max_pages(&self) -> u64 {
        self.max_pages
    }

    pub(super) fn release_pages(&self, n: u64) {
        self.pages_used.fetch_sub(n, Ordering::AcqRel);
    }

    pub(super) fn reserve_inode(&self) -> Result<(), Errno> {
        Self::reserve(&self.inodes_used, self.max_inodes, 1)
    }

    pub(super) fn release_inode(&self) {
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
            rename_lock: Mutex::new("tmpfs.rename", ()),
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
