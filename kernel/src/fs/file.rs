//! Open file descriptions (Linux's `struct file`): what a descriptor refers to, its position
//! and status flags, and the operations each kind of file implements.
//!
//! [`FileOps`] has a default for every operation returning the errno Linux gives when a file
//! lacks it; regular files, directories, devices (and later pipes and sockets) override what
//! they support. Positions belong to the description, shared by `dup`ed descriptors.

use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;
use vfs::{DirEntry, Inode, Metadata};

pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 0o1;
pub const O_RDWR: u32 = 0o2;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_PATH: u32 = 0o10_000_000;
/// Status flags `fcntl(F_SETFL)` may change (Linux's `SETFL_MASK` minus the unsupported ones).
pub const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | 0o20000 /* O_ASYNC */ | 0o40000 /* O_DIRECT */ | 0o1000000 /* O_NOATIME */;

/// How a file answers `lseek` (Linux's per-driver `llseek`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SeekPolicy {
    /// `generic_file_llseek`: positions within and past the size, SEEK_DATA/SEEK_HOLE.
    Generic,
    /// `null_lseek` (/dev/null, zero, full): always succeeds and returns 0.
    AlwaysZero,
    /// `noop_llseek` (/dev/random, urandom): succeeds and leaves the position alone.
    NoMove,
}

/// Operations of one kind of file.
pub trait FileOps: Send + Sync {
    /// Reads at `offset` (ignored by streams).
    fn read(&self, offset: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let _ = (offset, buf, is_nonblocking);
        Err(Errno::EINVAL)
    }

    /// Writes at `offset` (ignored by streams).
    fn write(&self, offset: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let _ = (offset, data, is_nonblocking);
        Err(Errno::EINVAL)
    }

    /// Whether positions mean anything (`lseek` gives ESPIPE on streams).
    fn is_seekable(&self) -> bool {
        true
    }

    /// How `lseek` behaves on this file.
    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::Generic
    }

    /// Attributes for `fstat`.
    fn metadata(&self) -> Metadata;

    /// Device-specific control. Default: `ENOTTY`, as Linux for files without an ioctl.
    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        let _ = (command, argument);
        Err(Errno::ENOTTY)
    }

    /// Directory entries from `offset`. Default: `ENOTDIR`.
    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let _ = (offset, sink);
        Err(Errno::ENOTDIR)
    }

    /// The inode behind the file, for path-relative syscalls and `fchmod`.
    fn inode(&self) -> Option<&Arc<dyn Inode>> {
        None
    }
}

/// A regular file, directory or symlink (O_PATH) served by its inode.
pub struct InodeFile {
    inode: Arc<dyn Inode>,
}

impl InodeFile {
    pub fn new(inode: Arc<dyn Inode>) -> InodeFile {
        InodeFile { inode }
    }
}

impl FileOps for InodeFile {
    fn read(&self, offset: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        self.inode.read_at(offset, buf)
    }

    fn write(&self, offset: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        self.inode.write_at(offset, data)
    }

    fn metadata(&self) -> Metadata {
        self.inode.metadata()
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        self.inode.read_dir(offset, sink)
    }

    fn inode(&self) -> Option<&Arc<dyn Inode>> {
        Some(&self.inode)
    }
}

/// An open file description.
pub struct OpenFile {
    pub ops: Arc<dyn FileOps>,
    /// The path it was opened by (for `fchdir`, `*at` calls and `/proc/self/fd`).
    pub path: Option<Arc<vfs::Dentry>>,
    position: Mutex<u64>,
    status_flags: AtomicU32,
}

impl OpenFile {
    pub fn new(
        ops: Arc<dyn FileOps>,
        path: Option<Arc<vfs::Dentry>>,
        status_flags: u32,
    ) -> OpenFile {
        OpenFile {
            ops,
            path,
            position: Mutex::new(0),
            status_flags: AtomicU32::new(status_flags),
        }
    }

    pub fn status_flags(&self) -> u32 {
        self.status_flags.load(Ordering::Relaxed)
    }

    /// Replaces the flags `F_SETFL` may change.
    pub fn set_status_flags(&self, flags: u32) {
        let old = self.status_flags();
        self.status_flags.store(
            (old & !SETFL_MASK) | (flags & SETFL_MASK),
            Ordering::Relaxed,
        );
    }

    pub fn is_readable(&self) -> bool {
        let flags = self.status_flags();
        flags & O_PATH == 0 && matches!(flags & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub fn is_writable(&self) -> bool {
        let flags = self.status_flags();
        flags & O_PATH == 0 && matches!(flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    pub fn is_path_only(&self) -> bool {
        self.status_flags() & O_PATH != 0
    }

    fn is_nonblocking(&self) -> bool {
        self.status_flags() & O_NONBLOCK != 0
    }

    /// `read(2)`: reads at the current position into `buf`, hands the bytes to `deliver`
    /// (which copies them to user memory and says how many arrived), and advances the position
    /// by what was delivered, so a fault leaves the position where the data stopped.
    pub fn read_and_deliver(
        &self,
        buf: &mut [u8],
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        if !self.is_readable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.is_seekable() {
            let count = self.ops.read(0, buf, self.is_nonblocking())?;
            deliver(&buf[..count])?;
            return Ok(count);
        }
        let mut position = self.position.lock();
        let count = self.ops.read(*position, buf, self.is_nonblocking())?;
        deliver(&buf[..count])?;
        *position += count as u64;
        Ok(count)
    }

    /// `write(2)`: writes at the current position (the end with O_APPEND) and advances it.
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if !self.is_writable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.is_seekable() {
            return self.ops.write(0, data, self.is_nonblocking());
        }
        let mut position = self.position.lock();
        if self.status_flags() & O_APPEND != 0 {
            *position = self.ops.metadata().size;
        }
        let count = self.ops.write(*position, data, self.is_nonblocking())?;
        *position += count as u64;
        Ok(count)
    }

    /// `pread64(2)`: reads at `offset` without moving the position.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.is_readable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.is_seekable() {
            return Err(Errno::ESPIPE);
        }
        self.ops.read(offset, buf, self.is_nonblocking())
    }

    /// `pwrite64(2)`: writes at `offset` without moving the position (Linux appends anyway
    /// with O_APPEND).
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if !self.is_writable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.is_seekable() {
            return Err(Errno::ESPIPE);
        }
        let offset = if self.status_flags() & O_APPEND != 0 {
            self.ops.metadata().size
        } else {
            offset
        };
        self.ops.write(offset, data, self.is_nonblocking())
    }

    /// `lseek(2)`.
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        if !self.ops.is_seekable() {
            return Err(Errno::ESPIPE);
        }
        let mut position = self.position.lock();
        match self.ops.seek_policy() {
            SeekPolicy::AlwaysZero => {
                *position = 0;
                return Ok(0);
            }
            SeekPolicy::NoMove => return Ok(*position),
            SeekPolicy::Generic => {}
        }
        let size = self.ops.metadata().size as i64;
        let base = match whence {
            0 => 0,
            1 => *position as i64,
            2 => size,
            // SEEK_DATA / SEEK_HOLE: the whole file is data, the hole is at the end.
            3 | 4 => {
                if offset < 0 || offset >= size {
                    return Err(Errno::ENXIO);
                }
                let target = if whence == 3 { offset } else { size };
                *position = target as u64;
                return Ok(target as u64);
            }
            _ => return Err(Errno::EINVAL),
        };
        let target = base.checked_add(offset).ok_or(Errno::EOVERFLOW)?;
        if target < 0 {
            return Err(Errno::EINVAL);
        }
        *position = target as u64;
        Ok(target as u64)
    }

    /// The position (for getdents64).
    pub fn position(&self) -> u64 {
        *self.position.lock()
    }

    pub fn set_position(&self, position: u64) {
        *self.position.lock() = position;
    }
}
