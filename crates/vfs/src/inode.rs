//! The filesystem-object interface: the [`Inode`] trait every filesystem implements, and the plain
//! data it exchanges ([`Metadata`], [`FileType`], [`Timespec`], [`SetAttr`], [`DirEntry`]).
//!
//! One `Arc<dyn Inode>` stands for one filesystem object (Linux's `struct inode` together with its
//! `inode_operations` and the data half of `file_operations`). The trait's default methods return
//! the errno Linux gives when an object lacks an operation: directory operations on a
//! non-directory give `ENOTDIR`, data operations on a directory give `EISDIR`, `readlink` on a
//! non-symlink gives `EINVAL`, as `fs/namei.c`, `fs/read_write.c`, `fs/open.c` and
//! `fs/libfs.c` do.
//!
//! Inode methods are the *filesystem* half of each operation (Linux's `i_op->mkdir`,
//! `i_op->rename`...): they do no permission checks and trust their arguments' kinds (the name is
//! a single component, not `.`/`..`). Permission checks, `.`/`..`/trailing-slash rules and the
//! dentry cache live in [`crate::namei`], which is what the syscall layer calls. Calling the
//! namespace-changing methods directly (bypassing `namei`) is allowed only on trees that have no
//! dentries yet (for example to populate a filesystem at boot), since the dentry cache would not
//! see the change.
//!
//! Neighbours: [`crate::tmpfs`] implements the trait; [`crate::dentry`] caches names over it;
//! [`crate::perm`] checks permissions on [`Metadata`].
//!
//! Not done yet: ACLs, `fiemap`, inode flags
//! (immutable/append-only). File locks are kept by the kernel
//! (`kernel/src/fs/locks.rs`, rules in `crates/filelock`), keyed by the inode.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::Ordering;

use abi::Errno;
use linux_raw_sys::general as raw;

use crate::page::Frame;
use crate::page_cache::PageCache;

/// Longest file-name component, in bytes (Linux `NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Size of the buffer a path must fit in, terminating NUL included (Linux `PATH_MAX`): a path of
/// `PATH_MAX` bytes or more is `ENAMETOOLONG`.
pub const PATH_MAX: usize = 4096;
/// Most symbolic links followed in one path walk (Linux `MAXSYMLINKS`).
pub const MAXSYMLINKS: u32 = 40;

/// The permission bits of a mode: `rwx` for user, group, other plus set-uid, set-gid, sticky.
pub const S_IALLUGO: u32 = 0o7777;
/// Set-user-ID bit.
pub const S_ISUID: u32 = raw::S_ISUID;
/// Set-group-ID bit.
pub const S_ISGID: u32 = raw::S_ISGID;
/// Sticky bit.
pub const S_ISVTX: u32 = raw::S_ISVTX;
/// Group-execute bit.
pub const S_IXGRP: u32 = raw::S_IXGRP;
/// All execute bits.
pub const S_IXUGO: u32 = 0o111;
/// `rwx` for everyone.
pub const S_IRWXUGO: u32 = 0o777;

/// A point in time as the kernel keeps file times (`struct timespec64`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    /// Seconds since the epoch (may be negative).
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nsec: u32,
}

impl Timespec {
    /// The epoch.
    pub const ZERO: Timespec = Timespec { sec: 0, nsec: 0 };

    /// `sec` seconds and `nsec` nanoseconds; `EINVAL` unless `nsec < 1_000_000_000`.
    pub fn try_new(sec: i64, nsec: u64) -> Result<Timespec, Errno> {
        if nsec >= 1_000_000_000 {
            return Err(Errno::EINVAL);
        }
        Ok(Timespec {
            sec,
            nsec: nsec as u32,
        })
    }
}

/// A source of the current time, given to filesystems so timestamps are testable.
pub trait Clock: Send + Sync {
    /// The current wall-clock time (`current_time()`).
    fn now(&self) -> Timespec;
}

/// A clock that stays where it is set; for tests and for early boot before a real clock exists.
pub struct ManualClock {
    time: crate::sync::SpinLock<Timespec>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new(Timespec::default())
    }
}

impl core::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ManualClock")
            .field("time", &self.now())
            .finish()
    }
}

impl ManualClock {
    /// A clock stopped at `time`.
    pub fn new(time: Timespec) -> ManualClock {
        ManualClock {
            time: crate::sync::SpinLock::new("vfs.manual_clock", time),
        }
    }

    /// Moves the clock to `time`.
    pub fn set(&self, time: Timespec) {
        *self.time.lock() = time;
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        let mut t = self.time.lock();
        t.sec = t.sec.saturating_add(secs);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timespec {
        *self.time.lock()
    }
}

/// The kind of a filesystem object (the `S_IFMT` part of a mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    /// Regular file (`S_IFREG`).
    Regular,
    /// Directory (`S_IFDIR`).
    Directory,
    /// Symbolic link (`S_IFLNK`).
    Symlink,
    /// Character device (`S_IFCHR`).
    CharDevice,
    /// Block device (`S_IFBLK`).
    BlockDevice,
    /// Named pipe (`S_IFIFO`).
    Fifo,
    /// Unix-domain socket (`S_IFSOCK`).
    Socket,
}

impl FileType {
    /// The `S_IF*` bits of this type, as `st_mode` carries them.
    pub fn to_mode_bits(self) -> u32 {
        match self {
            FileType::Regular => raw::S_IFREG,
            FileType::Directory => raw::S_IFDIR,
            FileType::Symlink => raw::S_IFLNK,
            FileType::CharDevice => raw::S_IFCHR,
            FileType::BlockDevice => raw::S_IFBLK,
            FileType::Fifo => raw::S_IFIFO,
            FileType::Socket => raw::S_IFSOCK,
        }
    }

    /// The type in `mode & S_IFMT`, or `None` for a value Linux does not define (`0` included).
    pub fn from_mode_bits(mode: u32) -> Option<FileType> {
        match mode & raw::S_IFMT {
            raw::S_IFREG => Some(FileType::Regular),
            raw::S_IFDIR => Some(FileType::Directory),
            raw::S_IFLNK => Some(FileType::Symlink),
            raw::S_IFCHR => Some(FileType::CharDevice),
            raw::S_IFBLK => Some(FileType::BlockDevice),
            raw::S_IFIFO => Some(FileType::Fifo),
            raw::S_IFSOCK => Some(FileType::Socket),
            _ => None,
        }
    }

    /// The `DT_*` value `getdents64` reports for this type.
    pub fn dirent_type(self) -> u8 {
        (match self {
            FileType::Regular => raw::DT_REG,
            FileType::Directory => raw::DT_DIR,
            FileType::Symlink => raw::DT_LNK,
            FileType::CharDevice => raw::DT_CHR,
            FileType::BlockDevice => raw::DT_BLK,
            FileType::Fifo => raw::DT_FIFO,
            FileType::Socket => raw::DT_SOCK,
        }) as u8
    }

    /// Whether this is [`FileType::Directory`].
    pub fn is_dir(self) -> bool {
        self == FileType::Directory
    }

    /// Whether this is a device, fifo or socket (Linux `special_file()`).
    pub fn is_special(self) -> bool {
        matches!(
            self,
            FileType::CharDevice | FileType::BlockDevice | FileType::Fifo | FileType::Socket
        )
    }
}

/// A device number as Linux's `new_encode_dev()` packs it (the form `stat` reports and `mknod`
/// takes): `minor[7:0] | major[11:0] << 8 | minor[19:8] << 20`.
pub fn encode_dev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64 & 0xfff, minor as u64 & 0xf_ffff);
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// The major number of a device number made by [`encode_dev`].
pub fn dev_major(dev: u64) -> u32 {
    ((dev & 0xfff00) >> 8) as u32
}

/// The minor number of a device number made by [`encode_dev`].
pub fn dev_minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & 0xfff00)) as u32
}

/// What `stat` reports about an object (`struct kstat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Device of the filesystem holding the object (`st_dev`, [`encode_dev`] form).
    pub dev: u64,
    /// Inode number, unique within the filesystem.
    pub ino: u64,
    /// Object kind.
    pub file_type: FileType,
    /// Permission bits including set-uid, set-gid and sticky (`mode & 0o7777`).
    pub mode: u32,
    /// Number of names (directories: 2 + subdirectories).
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (symlinks: target length; tmpfs directories: 40 + 20 per entry).
    pub size: u64,
    /// Device number of a device node ([`encode_dev`] form), else 0.
    pub rdev: u64,
    /// Space used, in 512-byte units.
    pub blocks: u64,
    /// Preferred I/O size.
    pub blksize: u32,
    /// Last access.
    pub atime: Timespec,
    /// Last modification of the contents.
    pub mtime: Timespec,
    /// Last change of the inode.
    pub ctime: Timespec,
}

impl Metadata {
    /// The full `st_mode`: type bits and permission bits.
    pub fn st_mode(&self) -> u32 {
        self.file_type.to_mode_bits() | (self.mode & S_IALLUGO)
    }
}

/// How to set a timestamp in [`SetAttr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSet {
    /// The filesystem's current time.
    Now,
    /// This time.
    At(Timespec),
}

/// Attribute changes for [`Inode::set_attr`] (Linux `struct iattr`); `None` leaves a field alone.
/// The filesystem applies them as given; who may change what is decided by [`crate::attr`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits (`& 0o7777`).
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New access time.
    pub atime: Option<TimeSet>,
    /// New modification time.
    pub mtime: Option<TimeSet>,
    /// New change time.
    pub ctime: Option<TimeSet>,
}

/// One directory entry handed out by [`Inode::read_dir`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry<'a> {
    /// Inode number.
    pub ino: u64,
    /// Position to resume at to read the entries after this one (`d_off`).
    pub next_offset: u64,
    /// Kind of the object.
    pub file_type: FileType,
    /// Name (one component, no NUL).
    pub name: &'a [u8],
}

/// One piece of a file read through its page cache ([`Inode::read_pages`]).
#[derive(Debug)]
pub enum PageSlice<'a> {
    /// `len` bytes at `offset` of a cached page.
    Frame {
        /// The page.
        frame: &'a Frame,
        /// Where the bytes start in the page.
        offset: usize,
        /// How many.
        len: usize,
    },
    /// `len` bytes of a hole: zeros.
    Zeros(usize),
}

/// The copy a write through the page cache makes ([`Inode::write_pages`]): `fill(frame,
/// offset_in_page, n, done)` copies the next `n` bytes of the caller's data, `done` bytes in,
/// into the page.
pub type PageFill<'a> = dyn FnMut(&Frame, usize, usize, usize) -> Result<(), Errno> + 'a;

/// Flags of [`Inode::rename`]: Linux's `RENAME_NOREPLACE`.
pub const RENAME_NOREPLACE: u32 = raw::RENAME_NOREPLACE;
/// Flags of [`Inode::rename`]: Linux's `RENAME_EXCHANGE`.
pub const RENAME_EXCHANGE: u32 = raw::RENAME_EXCHANGE;
/// Flags of [`Inode::rename`]: Linux's `RENAME_WHITEOUT`.
pub const RENAME_WHITEOUT: u32 = raw::RENAME_WHITEOUT;

/// What `statfs` reports about a filesystem.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    /// Filesystem type magic (`TMPFS_MAGIC`...).
    pub fs_type: u64,
    /// Block size.
    pub block_size: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub blocks_free: u64,
    /// Free blocks for unprivileged users.
    pub blocks_avail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub files_free: u64,
    /// Longest name.
    pub name_max: u64,
    /// Fragment size.
    pub fragment_size: u64,
}

/// A mounted filesystem instance (Linux's `super_block` and its `super_operations`).
pub trait FileSystem: Send + Sync {
    /// The root directory.
    fn root_inode(&self) -> Arc<dyn Inode>;
    /// `statfs` numbers.
    fn statfs(&self) -> StatFs;
    /// Type name as `/proc/mounts` shows it (`"tmpfs"`).
    fn name(&self) -> &'static str;
    /// `syncfs`: writes the filesystem's dirty data and metadata to its device (Linux's
    /// `sync_filesystem`). Default: nothing to write (filesystems in memory).
    fn sync_fs(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// Its file-handle table, if it exports handles (Linux's `s_export_op`): tmpfs does.
    /// Default: none (`name_to_handle_at` `EOPNOTSUPP`, `open_by_handle_at` `ESTALE`).
    fn exports(&self) -> Option<&crate::export::ExportTable> {
        None
    }
    /// The filesystem's own options as `/proc/mounts` shows them after `rw`/`ro` and the
    /// generic flags, each with its leading comma (Linux `show_options`). Default: none.
    fn show_options(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let _ = out;
        Ok(())
    }
    /// Applies the options of a remount (`MS_REMOUNT` without `MS_BIND`; Linux `reconfigure`):
    /// the filesystem's own options, the generic flags already taken out. Default: accepts
    /// nothing but an empty list (`EINVAL`).
    fn remount(&self, options: &[crate::fstype::MountOption<'_>]) -> Result<(), Errno> {
        if options.is_empty() {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }
    /// A remount makes the filesystem read-only or read-write again (`SB_RDONLY` changes; the
    /// `ro`/`rw` part of Linux's `reconfigure`): a disk filesystem writes everything out and
    /// marks itself clean, or prepares to write again. Default: nothing to do.
    fn set_read_only(&self, read_only: bool) -> Result<(), Errno> {
        let _ = read_only;
        Ok(())
    }
}

/// When an access updates a file's access time: the atime flags of the mount it is reached
/// through (Linux's `atime_needs_update` and `relatime_need_update`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AtimePolicy {
    /// Update when atime is not after mtime or ctime, or is a day old (`relatime`, the
    /// default of mount(2)).
    #[default]
    Relatime,
    /// Update on every access (`strictatime`, and mounts made by the kernel such as rootfs).
    Strict,
    /// Never update (`noatime`, `nodiratime` for directories, read-only mounts).
    NoAtime,
}

impl AtimePolicy {
    /// Whether an access at `now` to an object with these times changes its atime.
    pub fn needs_update(
        self,
        atime: Timespec,
        mtime: Timespec,
        ctime: Timespec,
        now: Timespec,
    ) -> bool {
        if atime == now {
            return false;
        }
        match self {
            AtimePolicy::Strict => true,
            AtimePolicy::NoAtime => false,
            AtimePolicy::Relatime => {
                mtime >= atime
                    || ctime >= atime
                    || now.sec.saturating_sub(atime.sec) >= 24 * 60 * 60
            }
        }
    }
}

fn not_dir_or(inode: &(impl Inode + ?Sized), if_dir: Errno) -> Errno {
    if inode.file_type().is_dir() {
        if_dir
    } else {
        Errno::ENOTDIR
    }
}

/// How many open file descriptions have an inode open with write access and with read access
/// only (Linux's `i_writecount` and `i_readcount`); what leases look at. The kernel counts
/// opens by path of regular files.
///
/// Write access and write denial share one count, as Linux's `i_writecount`: positive, the
/// number of descriptions open for writing; negative, the number of holders of a
/// [`WriteDenial`] (the file of a running program, in Linux 6.1 for as long as an address space
/// has it as its `exe_file`). Either excludes the other: opening a running program for
/// writing, or executing a file open for writing, is `ETXTBSY`.
#[derive(Default, Debug)]
pub struct OpenCounts {
    write_access: core::sync::atomic::AtomicIsize,
    /// Open descriptions with read access only.
    pub readers: core::sync::atomic::AtomicUsize,
}

impl OpenCounts {
    /// Open descriptions with write access.
    pub fn writers(&self) -> usize {
        usize::try_from(self.write_access.load(Ordering::Acquire)).unwrap_or(0)
    }

    /// Whether a running program's file denies writes now.
    pub fn is_write_denied(&self) -> bool {
        self.write_access.load(Ordering::Acquire) < 0
    }

    /// Counts one more writer (`get_write_access`): `ETXTBSY` while writes are denied.
    pub fn get_write_access(&self) -> Result<(), Errno> {
        self.write_access
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count >= 0).then_some(count + 1)
            })
            .map(|_| ())
            .map_err(|_| Errno::ETXTBSY)
    }

    /// A writer is gone (`put_write_access`).
    pub fn put_write_access(&self) {
        self.write_access.fetch_sub(1, Ordering::AcqRel);
    }

    /// Denies writes once more (`deny_write_access`): `ETXTBSY` while open for writing.
    fn deny_write_access(&self) -> Result<(), Errno> {
        self.write_access
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count <= 0).then_some(count - 1)
            })
            .map(|_| ())
            .map_err(|_| Errno::ETXTBSY)
    }

    /// One denial is gone (`allow_write_access`).
    fn allow_write_access(&self) {
        self.write_access.fetch_add(1, Ordering::AcqRel);
    }
}

/// A write denial on an inode's [`OpenCounts`] for as long as it lives; cloning it denies
/// once more (a forked address space shares its parent's program file).
pub struct WriteDenial {
    inode: Arc<dyn Inode>,
}

impl WriteDenial {
    /// Denies writes to `inode` (`deny_write_access`): `ETXTBSY` if it is open for writing;
    /// `None` on a filesystem that keeps no open counts.
    pub fn new(inode: &Arc<dyn Inode>) -> Result<Option<WriteDenial>, Errno> {
        let Some(counts) = inode.open_counts() else {
            return Ok(None);
        };
        counts.deny_write_access()?;
        Ok(Some(WriteDenial {
            inode: inode.clone(),
        }))
    }
}

impl Clone for WriteDenial {
    fn clone(&self) -> WriteDenial {
        if let Some(counts) = self.inode.open_counts() {
            // Writes are denied already, so no writer can have come: this cannot fail.
            let _ = counts.deny_write_access();
        }
        WriteDenial {
            inode: self.inode.clone(),
        }
    }
}

impl Drop for WriteDenial {
    fn drop(&mut self) {
        if let Some(counts) = self.inode.open_counts() {
            counts.allow_write_access();
        }
    }
}

/// One filesystem object. See the module documentation for the division of work with
/// [`crate::namei`].
///
/// `name` arguments are single components: not empty, no `/`, not `.` or `..`. Filesystems check
/// `name.len() <= NAME_MAX` (`ENAMETOOLONG`) in `lookup` and in the creating methods.
pub trait Inode: Send + Sync {
    /// The object's attributes.
    fn metadata(&self) -> Metadata;

    /// The object as `Any`, so the kernel and filesystems can downcast to their own types.
    fn as_any(&self) -> &dyn Any;

    /// Its open counts, on filesystems that keep them (leases need them). Default: none.
    fn open_counts(&self) -> Option<&OpenCounts> {
        None
    }

    /// The object's kind (never changes). Default: from [`Inode::metadata`]; filesystems
    /// override it with a cheaper answer, since every path-walk step asks.
    fn file_type(&self) -> FileType {
        self.metadata().file_type
    }

    /// Reads at `offset` into `buf`; returns the bytes read (0 at or past end of file). Holes
    /// read as zeros. Default: `EISDIR` on a directory, else `EINVAL` (no read operation).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let _ = (offset, buf);
        Err(if self.file_type().is_dir() {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// Writes `data` at `offset`, extending the file; returns the bytes written (a short count
    /// when space runs out part way). `EFBIG` at or past the maximum file size, `ENOSPC` or
    /// `ENOMEM` when nothing could be written. Default: `EISDIR` on a directory, else `EINVAL`.
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let _ = (offset, data);
        Err(if self.file_type().is_dir() {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// The page cache holding this file's data, if it has one (regular files of every
    /// filesystem that keeps data in memory). The kernel reads, writes and maps through it.
    fn page_cache(&self) -> Option<&PageCache> {
        None
    }

    /// Hands the bytes at `[offset, offset + len)`, clipped at the end of the file, to `sink`
    /// page piece by page piece, with no lock held (so `sink` may copy to user memory and
    /// fault); returns the bytes handed over. A `sink` error ends the read with the count so
    /// far, or with the error if nothing was read. Updates atime as [`Inode::read_at`].
    /// Default: `EISDIR` on a directory, else `EINVAL`.
    fn read_pages(
        &self,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(PageSlice<'_>) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let _ = (offset, len, sink);
        Err(if self.file_type().is_dir() {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// Writes `len` bytes at `offset` through the page cache: `fill(frame, offset_in_page, n,
    /// done)` copies the next `n` bytes of the caller's data (starting `done` bytes in) into the
    /// page, and may fail (a user copy that faults). Returns the bytes written, with the same
    /// short-count and error rules as [`Inode::write_at`]. Default: `EISDIR` on a directory,
    /// else `EINVAL`.
    fn write_pages(
        &self,
        offset: u64,
        len: usize,
        fill: &mut PageFill<'_>,
    ) -> Result<usize, Errno> {
        let _ = (offset, len, fill);
        Err(if self.file_type().is_dir() {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// Page `index` of the file for a fault on a mapping of it, allocated if the file has a
    /// hole there (Linux's `vm_ops->fault`). The caller has checked the index against the size.
    /// Default: `ENODEV` (the file cannot be mapped).
    fn fault_page(&self, index: u64) -> Result<Frame, Errno> {
        let _ = index;
        Err(Errno::ENODEV)
    }

    /// A shared writable mapping is about to write page `index` (Linux's `vm_ops->page_mkwrite`):
    /// a file system with a backing store marks the page dirty and reserves the disk space it
    /// will need, failing with `ENOSPC` (the fault raises SIGBUS). Default: nothing to do.
    fn page_mkwrite(&self, index: u64) -> Result<(), Errno> {
        let _ = index;
        Ok(())
    }

    /// Whether shared mappings must map pages read-only until [`Inode::page_mkwrite`] said
    /// yes (Linux's `vma_wants_writenotify`): files whose dirty pages are written back.
    fn needs_write_notify(&self) -> bool {
        false
    }

    /// Whether the file may be opened with `O_DIRECT` (a regular file of a file system with a
    /// backing store: Linux's `FMODE_CAN_ODIRECT`). Default: no (`EINVAL` at open).
    fn direct_io(&self) -> bool {
        false
    }

    /// Writes the file's dirty pages to its device, without the commit and cache flush that
    /// [`Inode::sync_data`] adds (an `O_DIRECT` write's data reaching the disk). Default:
    /// nothing to write.
    fn write_back_data(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// `fsync`/`fdatasync`: writes the file's dirty pages and the metadata that points at them
    /// to stable storage (Linux's `f_op->fsync`). Default: nothing to write (files in memory).
    fn sync_data(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// When the object was created (`statx`'s `stx_btime`), if the filesystem records it.
    /// Default: `None`.
    fn birth_time(&self) -> Option<Timespec> {
        None
    }

    /// The `STATX_ATTR_*` flags of the object and the ones its filesystem can report
    /// (`stx_attributes`, `stx_attributes_mask`, before the VFS adds its own). Default: none.
    fn statx_attributes(&self) -> (u64, u64) {
        (0, 0)
    }

    /// `fallocate(2)` on a regular file (Linux's `f_op->fallocate`): `mode` is a set of
    /// `FALLOC_FL_*` bits; the caller has checked the generic rules (`len > 0`, the mode
    /// combinations, `offset + len` within the maximum size, a regular file open for writing)
    /// and updates the times afterwards. Default: `EOPNOTSUPP`.
    fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        let _ = (mode, offset, len);
        Err(Errno::EOPNOTSUPP)
    }

    /// Frees the data of `[start, end)` (byte offsets), which then reads as zeros: whole pages
    /// leave the page cache (and every mapping of them), partial pages are zeroed; the size
    /// does not change (`FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`, `MADV_REMOVE`). Default:
    /// `EOPNOTSUPP`.
    fn punch_hole(&self, start: u64, end: u64) -> Result<(), Errno> {
        let _ = (start, end);
        Err(Errno::EOPNOTSUPP)
    }

    /// A new regular file in this directory's filesystem with no name and no links, for
    /// `O_TMPFILE` (Linux's `i_op->tmpfile`); `linkable` says whether `linkat` may give it a
    /// name later (not after `O_EXCL`: Linux's `I_LINKABLE`). The caller has checked write and
    /// search permission on this directory and computed the owner and mode. Default:
    /// `EOPNOTSUPP`.
    fn tmpfile(
        &self,
        mode: u32,
        uid: u32,
        gid: u32,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let _ = (mode, uid, gid, linkable);
        Err(Errno::EOPNOTSUPP)
    }

    /// Whether an object with no links left may still be linked (an `O_TMPFILE` file opened
    /// without `O_EXCL`, not linked yet). Default: `false`.
    fn is_linkable(&self) -> bool {
        false
    }

    /// The object's extended attributes, if its filesystem keeps any (Linux's `IOP_XATTR`):
    /// the rules are [`crate::xattr`]'s. Default: `None` (get, set and remove are
    /// `EOPNOTSUPP`, the list is empty).
    fn xattrs(&self) -> Option<&crate::xattr::Xattrs> {
        None
    }

    /// The file's seals (`F_GET_SEALS`). Default: `EINVAL` (the file cannot be sealed).
    fn seals(&self) -> Result<u32, Errno> {
        Err(Errno::EINVAL)
    }

    /// Adds seals (`F_ADD_SEALS`, after the caller's checks of the open file and of existing
    /// mappings): `EINVAL` for unknown bits, `EPERM` once `F_SEAL_SEAL` is set. Default:
    /// `EINVAL`.
    fn add_seals(&self, seals: u32) -> Result<(), Errno> {
        let _ = seals;
        Err(Errno::EINVAL)
    }

    /// Sets the size to `len`, dropping data past it or extending with a hole. Updates mtime and
    /// ctime if the size changes. Default: `EISDIR` on a directory, else `EINVAL`.
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        let _ = len;
        Err(if self.file_type().is_dir() {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// Finds `name` in this directory: `ENOENT` if absent, `ENAMETOOLONG` if longer than
    /// `NAME_MAX`, `ENOENT` if this directory was removed. Default: `ENOTDIR`.
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let _ = name;
        Err(Errno::ENOTDIR)
    }

    /// Creates `name` in this directory as a new object of kind `file_type` (not
    /// [`FileType::Symlink`]) with permission bits `mode`, owner `uid`/`gid` and, for devices,
    /// `rdev`. `EEXIST` if the name exists, `ENOENT` if this directory was removed. Updates this
    /// directory's mtime and ctime. Default: `ENOTDIR` (`EPERM` on a directory).
    fn create(
        &self,
        name: &[u8],
        file_type: FileType,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let _ = (name, file_type, mode, uid, gid, rdev);
        Err(not_dir_or(self, Errno::EPERM))
    }

    /// Adds `name` in this directory for the existing non-directory `target` (hard link).
    /// `EXDEV` if `target` is on another filesystem, `ENOENT` if `target` has no links left,
    /// `EEXIST` if the name exists. Default: `ENOTDIR` (`EPERM` on a directory).
    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let _ = (name, target);
        Err(not_dir_or(self, Errno::EPERM))
    }

    /// Removes the non-directory `name` from this directory. `ENOENT` if absent, `EISDIR` if it
    /// is a directory. Default: `ENOTDIR` (`EPERM` on a directory).
    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        let _ = name;
        Err(not_dir_or(self, Errno::EPERM))
    }

    /// Removes the empty directory `name` from this directory. `ENOENT` if absent, `ENOTDIR` if
    /// not a directory, `ENOTEMPTY` if not empty. Default: `ENOTDIR` (`EPERM` on a directory).
    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        let _ = name;
        Err(not_dir_or(self, Errno::EPERM))
    }

    /// Moves `old_name` of this directory to `new_name` in `new_dir` (`renameat2` with `flags`
    /// among `RENAME_NOREPLACE`, `RENAME_EXCHANGE`, `RENAME_WHITEOUT`). Replaces a target as
    /// Linux does: directory over empty directory (`ENOTEMPTY` otherwise), `ENOTDIR` for a
    /// directory over a non-directory, `EISDIR` for the reverse, `EINVAL` for a directory moved
    /// into its own subtree, `EXDEV` across filesystems, and nothing at all when both names are
    /// the same object. Default: `ENOTDIR` (`EPERM` on a directory).
    fn rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        let _ = (old_name, new_dir, new_name, flags);
        Err(not_dir_or(self, Errno::EPERM))
    }

    /// Creates the symbolic link `name` pointing to `target` in this directory. `ENAMETOOLONG`
    /// if `target` is `PATH_MAX` bytes or longer. Default: `ENOTDIR` (`EPERM` on a directory).
    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<(), Errno> {
        let _ = (name, target, uid, gid);
        Err(not_dir_or(self, Errno::EPERM))
    }

    /// The target of a symbolic link (updates atime as the filesystem's atime policy says).
    /// Default: `EINVAL` (not a symlink).
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// Hands the entries of this directory from position `offset` to `sink`, in order, until
    /// `sink` returns `false` (that entry was not consumed) or the entries run out. Position 0 is
    /// `.`, 1 is `..`, later positions are cookies that stay valid while entries come and go, so
    /// a reader can resume at any entry's `next_offset`. `ENOENT` if this directory was removed.
    /// Default: `ENOTDIR`.
    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let _ = (offset, sink);
        Err(Errno::ENOTDIR)
    }

    /// Applies attribute changes (no permission checks). Default: `EPERM`.
    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        let _ = attr;
        Err(Errno::EPERM)
    }

    /// Whether this directory has been removed (Linux `IS_DEADDIR`). Default: `false`.
    fn is_dead(&self) -> bool {
        false
    }

    /// Records an access (read, readdir, readlink, a followed symlink, exec) under `policy`
    /// (Linux `touch_atime` after `atime_needs_update`). The VFS decides the policy from the
    /// mount; reads themselves never touch atime. Default: nothing (no stored atime).
    fn touch_atime(&self, policy: AtimePolicy) {
        let _ = policy;
    }

    /// Whether a cached name for this object must be looked up again (Linux `d_revalidate`
    /// answering 0): procfs entries of processes that are gone. Default: `false`.
    fn is_stale(&self) -> bool {
        false
    }

    /// Whether every name this directory has is always in Linux's dentry cache (tmpfs pins its
    /// dentries), so that `RESOLVE_CACHED` (an RCU walk) finds it without calling the
    /// filesystem. Absent names still need a lookup (no negative entry is kept). Default:
    /// `false`.
    fn names_always_cached(&self) -> bool {
        false
    }

    /// Whether a name this directory does not have is an error of the lookup rather than a
    /// free name (Linux's `->lookup` returning `ERR_PTR(-ENOENT)` instead of a negative
    /// dentry, as procfs does): creating it then fails with `ENOENT` before any permission
    /// check. Default: `false` (absent names can be created).
    fn lookup_failure_is_final(&self) -> bool {
        false
    }

    /// For a "magic" symbolic link (`/proc/<pid>/fd/N`, `cwd`, `root`, `exe`): the object it
    /// stands for, which a walk that follows the link moves to instead of reading its text
    /// (Linux `nd_jump_link`). Default: `None` (an ordinary link, or not a link).
    fn jump_link(&self) -> Option<Result<crate::mount::Path, Errno>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_type_mode_bits_round_trip() {
        let all = [
            FileType::Regular,
            FileType::Directory,
            FileType::Symlink,
            FileType::CharDevice,
            FileType::BlockDevice,
            FileType::Fifo,
            FileType::Socket,
        ];
        for ft in all {
            assert_eq!(
                FileType::from_mode_bits(ft.to_mode_bits() | 0o755),
                Some(ft)
            );
        }
        assert_eq!(FileType::Regular.to_mode_bits(), 0o100000);
        assert_eq!(FileType::Directory.to_mode_bits(), 0o040000);
        assert_eq!(FileType::Symlink.to_mode_bits(), 0o120000);
        assert_eq!(FileType::from_mode_bits(0), None);
        assert_eq!(FileType::from_mode_bits(0o170000), None);
    }

    #[test]
    fn dirent_types() {
        assert_eq!(FileType::Fifo.dirent_type(), 1);
        assert_eq!(FileType::CharDevice.dirent_type(), 2);
        assert_eq!(FileType::Directory.dirent_type(), 4);
        assert_eq!(FileType::BlockDevice.dirent_type(), 6);
        assert_eq!(FileType::Regular.dirent_type(), 8);
        assert_eq!(FileType::Symlink.dirent_type(), 10);
        assert_eq!(FileType::Socket.dirent_type(), 12);
    }

    #[test]
    fn device_numbers_as_new_encode_dev() {
        // makedev(1, 3) == 0x103, makedev(8, 0) == 0x800, makedev(259, 65536) huge minor.
        assert_eq!(encode_dev(1, 3), 0x103);
        assert_eq!(encode_dev(8, 0), 0x800);
        assert_eq!(encode_dev(136, 300), 0x10_882c);
        for (ma, mi) in [(0, 0), (1, 3), (4095, 0xf_ffff), (259, 65536)] {
            let d = encode_dev(ma, mi);
            assert_eq!((dev_major(d), dev_minor(d)), (ma, mi));
        }
    }

    #[test]
    fn metadata_st_mode_and_timespec() {
        assert_eq!(
            Timespec::try_new(1, 999_999_999),
            Ok(Timespec {
                sec: 1,
                nsec: 999_999_999
            })
        );
        assert_eq!(Timespec::try_new(1, 1_000_000_000), Err(Errno::EINVAL));
        assert!(Timespec { sec: 1, nsec: 5 } > Timespec { sec: 0, nsec: 999 });
        let clock = ManualClock::new(Timespec::ZERO);
        clock.advance_secs(5);
        assert_eq!(clock.now().sec, 5);
    }
}
