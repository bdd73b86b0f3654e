//! One tmpfs instance (Linux's `shmem_sb_info`, `shmem_fill_super`, `shmem_statfs`): the root
//! directory, the inode-number counter, the rename mutex, and the page and inode accounting that
//! enforces the `size=` and `nr_inodes=` limits (`ENOSPC`) and that `statfs` reports.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::sync::Mutex;
use abi::Errno;
use linux_raw_sys::general as raw;

use super::inode::{Body, TmpfsInode};
use super::options::TmpfsParams;
use super::{PAGE_SIZE, TmpfsOptions};
use crate::fstype::MountOption;
use crate::inode::{Clock, FileSystem, FileType, Inode, NAME_MAX, S_IALLUGO, StatFs, Timespec};
use alloc::vec::Vec;

/// State shared by every inode of an instance.
pub(super) struct Shared {
    pub(super) opts: TmpfsOptions,
    clock: Arc<dyn Clock>,
    pub(super) next_ino: AtomicU64,
    /// Page limit (`u64::MAX`: unlimited); a remount may change it.
    max_pages: AtomicU64,
    pages_used: AtomicU64,
    /// Inode limit (`u64::MAX`: unlimited); a remount may change it.
    max_inodes: AtomicU64,
    inodes_used: AtomicU64,
    pub(super) rename_lock: Mutex<()>,
}

impl Shared {
    pub(super) fn now(&self) -> Timespec {
        self.clock.now()
    }

    fn reserve(counter: &AtomicU64, max: &AtomicU64, n: u64) -> Result<(), Errno> {
        let max = max.load(Ordering::Acquire);
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= max)
            })
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }

    pub(super) fn reserve_pages(&self, n: u64) -> Result<(), Errno> {
        Self::reserve(&self.pages_used, &self.max_pages, n)
    }

    /// The `size=` limit in pages (`u64::MAX` when unlimited).
    pub(super) fn max_pages(&self) -> u64 {
        self.max_pages.load(Ordering::Acquire)
    }

    pub(super) fn release_pages(&self, n: u64) {
        self.pages_used.fetch_sub(n, Ordering::AcqRel);
    }

    pub(super) fn reserve_inode(&self) -> Result<(), Errno> {
        Self::reserve(&self.inodes_used, &self.max_inodes, 1)
    }

    pub(super) fn release_inode(&self) {
        self.inodes_used.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A tmpfs instance.
pub struct Tmpfs {
    shared: Arc<Shared>,
    root: Arc<TmpfsInode>,
    /// The handles given out (`shmem_export_ops`).
    exports: crate::export::ExportTable,
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
            max_pages: AtomicU64::new(max_pages),
            pages_used: AtomicU64::new(0),
            max_inodes: AtomicU64::new(opts.max_inodes.unwrap_or(u64::MAX)),
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
        Ok(Arc::new(Tmpfs {
            shared,
            root,
            exports: crate::export::ExportTable::new(),
        }))
    }

    /// The root directory as its concrete type.
    pub fn root(&self) -> Arc<TmpfsInode> {
        self.root.clone()
    }

    /// A regular file in this instance with no name (Linux's `shmem_file_setup`: memfds, SysV
    /// shared memory, shared anonymous mappings): permission bits `mode`, owner `uid`/`gid`, no
    /// links. With `allow_sealing` it starts with no seals (a memfd made with
    /// `MFD_ALLOW_SEALING`); otherwise with `F_SEAL_SEAL`, as every tmpfs file.
    pub fn create_unlinked(
        &self,
        mode: u32,
        uid: u32,
        gid: u32,
        allow_sealing: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let inode = TmpfsInode::try_new(
            &self.shared,
            FileType::Regular,
            mode,
            uid,
            gid,
            0,
            None,
            Body::File,
        )?;
        inode.state.write().nlink = 0;
        if allow_sealing {
            inode.seals.store(0, Ordering::Release);
        }
        Ok(inode)
    }
}

impl FileSystem for Tmpfs {
    fn root_inode(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    fn exports(&self) -> Option<&crate::export::ExportTable> {
        Some(&self.exports)
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
        let max_pages = s.max_pages.load(Ordering::Acquire);
        if max_pages != u64::MAX {
            st.blocks = max_pages;
            st.blocks_free = max_pages.saturating_sub(s.pages_used.load(Ordering::Acquire));
            st.blocks_avail = st.blocks_free;
        }
        let max_inodes = s.max_inodes.load(Ordering::Acquire);
        if max_inodes != u64::MAX {
            st.files = max_inodes;
            st.files_free = max_inodes.saturating_sub(s.inodes_used.load(Ordering::Acquire));
        }
        st
    }

    /// `shmem_show_options`: limits that differ from the defaults, a mode other than 1777,
    /// owners other than root, `inode64`.
    fn show_options(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        use core::fmt::Write;
        let s = &self.shared;
        if !s.opts.shows_options {
            return Ok(());
        }
        let mut text = alloc::string::String::new();
        let max_pages = s.max_pages.load(Ordering::Acquire);
        let default_pages = s
            .opts
            .default_max_bytes
            .map_or(u64::MAX, |b| b.div_ceil(PAGE_SIZE as u64));
        if max_pages != default_pages {
            let kib = if max_pages == u64::MAX {
                0
            } else {
                max_pages * 4
            };
            let _ = write!(text, ",size={kib}k");
        }
        let max_inodes = s.max_inodes.load(Ordering::Acquire);
        if max_inodes != s.opts.default_max_inodes.unwrap_or(u64::MAX) {
            let n = if max_inodes == u64::MAX {
                0
            } else {
                max_inodes
            };
            let _ = write!(text, ",nr_inodes={n}");
        }
        if s.opts.root_mode & S_IALLUGO != 0o1777 {
            let _ = write!(text, ",mode={:03o}", s.opts.root_mode & S_IALLUGO);
        }
        if s.opts.root_uid != 0 {
            let _ = write!(text, ",uid={}", s.opts.root_uid);
        }
        if s.opts.root_gid != 0 {
            let _ = write!(text, ",gid={}", s.opts.root_gid);
        }
        // Inode numbers are 64-bit (Debian's CONFIG_TMPFS_INODE64=y shows it always).
        text.push_str(",inode64");
        out.try_reserve(text.len()).map_err(|_| Errno::ENOMEM)?;
        out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// `shmem_reconfigure`: new limits, refused (`EINVAL`) when they would put a limit on an
    /// unlimited instance or go below what is in use; mode and owners are ignored.
    fn remount(&self, options: &[MountOption<'_>]) -> Result<(), Errno> {
        let s = &self.shared;
        let params = TmpfsParams::parse(options, s.opts.total_ram_pages)?;
        if let Some(Some(pages)) = params.pages
            && (s.max_pages.load(Ordering::Acquire) == u64::MAX
                || s.pages_used.load(Ordering::Acquire) > pages)
        {
            return Err(Errno::EINVAL);
        }
        if let Some(Some(inodes)) = params.inodes
            && (s.max_inodes.load(Ordering::Acquire) == u64::MAX
                || s.inodes_used.load(Ordering::Acquire) > inodes)
        {
            return Err(Errno::EINVAL);
        }
        if let Some(pages) = params.pages {
            s.max_pages
                .store(pages.unwrap_or(u64::MAX), Ordering::Release);
        }
        if let Some(inodes) = params.inodes {
            s.max_inodes
                .store(inodes.unwrap_or(u64::MAX), Ordering::Release);
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        self.shared.opts.fs_name
    }
}
