//! Open file descriptions (Linux's `struct file`): what a descriptor refers to, its position
//! and status flags, and the operations each kind of file implements.
//!
//! [`FileOps`] has a default for every operation returning the errno Linux gives when a file
//! lacks it; regular files, directories, devices (and later pipes and sockets) override what
//! they support. Positions belong to the description, shared by `dup`ed descriptors.
//!
//! Readiness: [`FileOps::poll`] is Linux's `f_op->poll`; `None` means the file has no poll
//! method (regular files, directories, the memory devices), which poll/select treat as
//! [`DEFAULT_POLLMASK`](super::poll::DEFAULT_POLLMASK) and `epoll_ctl` refuses with `EPERM`.

use super::file_table::FileCharge;
use super::poll::PollTable;
use abi::{AccessMode, Errno, OpenFlags};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use hal::sync::{Mutex, SpinLock};
use vfs::{DirEntry, Inode, Metadata};

/// How a file answers `lseek` (Linux's per-driver `llseek`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SeekPolicy {
    /// `generic_file_llseek`: positions within and past the size, SEEK_DATA/SEEK_HOLE.
    Generic,
    /// `null_lseek` (/dev/null, zero, full): always succeeds and returns 0.
    AlwaysZero,
    /// `noop_llseek` (/dev/random, urandom): succeeds and leaves the position alone.
    NoMove,
    /// The file's own [`FileOps::llseek`] (/dev/kmsg), which keeps no description position.
    Custom,
}

/// What an `O_DIRECT` transfer must be aligned to (`blkdev_dio_unaligned`).
#[derive(Clone, Copy, Debug)]
pub struct DirectAlignment {
    /// Positions and lengths: multiples of this (the logical block size).
    pub block: u32,
    /// Buffer addresses: multiples of this (the DMA alignment).
    pub address: u32,
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

    /// `read(2)` with the description's status flags: reads, then hands the bytes to `deliver`
    /// (the copy to user memory). Files that must not lose data when that copy faults (pipes)
    /// deliver before they consume. Default: [`FileOps::read`], then `deliver`.
    fn read_deliver(
        &self,
        offset: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let count = self.read(offset, buf, status_flags.contains(OpenFlags::O_NONBLOCK))?;
        deliver(&buf[..count])?;
        Ok(count)
    }

    /// A positioned read with the description's status flags (a block device looks at
    /// O_DIRECT). Default: [`FileOps::read`].
    fn read_with_flags(
        &self,
        offset: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        self.read(offset, buf, status_flags.contains(OpenFlags::O_NONBLOCK))
    }

    /// Whether the file may be opened with `O_DIRECT` (Linux's `FMODE_CAN_ODIRECT`: a mapping
    /// with `direct_IO`; 6.1's tmpfs, procfs, sysfs and character devices have none).
    fn can_direct_io(&self) -> bool {
        false
    }

    /// With `O_DIRECT`, what transfers must be aligned to, if the file asks (a block device:
    /// positions and lengths to its logical block size, buffer addresses to its DMA alignment,
    /// `queue_dma_alignment`, 512 bytes by default).
    fn direct_io_alignment(&self) -> Option<DirectAlignment> {
        None
    }

    /// `write(2)` with the description's status flags (pipes look at O_DIRECT). Default:
    /// [`FileOps::write`].
    fn write_with_flags(
        &self,
        offset: u64,
        data: &[u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        self.write(offset, data, status_flags.contains(OpenFlags::O_NONBLOCK))
    }

    /// Readiness (Linux's `f_op->poll`): the `POLL*` bits that hold now, after registering in
    /// `table` the wait queues whose wake-ups may change them. `None`: no poll method.
    fn poll(&self, table: Option<&mut PollTable>) -> Option<u16> {
        let _ = table;
        None
    }

    /// Whether this is an anonymous-inode file (eventfd, epoll): `fstat` shows its mode without
    /// file-type bits, as Linux's `anon_inodefs` inode has none.
    fn is_anon_inode(&self) -> bool {
        false
    }

    /// The pipe behind this file, if it is one (Linux's `get_pipe_info`).
    fn as_pipe(&self) -> Option<&super::pipe::PipeEnd> {
        None
    }

    /// The terminal behind this file, if it is one (Linux's `tty_file_private`).
    fn as_tty(&self) -> Option<&crate::tty::TtyFile> {
        None
    }

    /// The socket behind this file, if it is one (Linux's `sock_from_file`).
    fn as_socket(&self) -> Option<&crate::net::sockfile::SocketFile> {
        None
    }

    /// The block device behind this file, if it is one (`S_ISBLK` of its inode with the
    /// `block_device` it opened): loop devices look through it to their own backing files.
    fn as_block_device(&self) -> Option<&crate::block::file::BlockFile> {
        None
    }

    /// The epoll instance behind this file, if it is one (Linux's `is_file_epoll`).
    fn as_eventpoll(&self) -> Option<&super::eventpoll::EventPoll> {
        None
    }

    /// Whether positions mean anything (`lseek` gives ESPIPE on streams).
    fn is_seekable(&self) -> bool {
        true
    }

    /// How `lseek` behaves on this file.
    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::Generic
    }

    /// `lseek` of a file whose [`FileOps::seek_policy`] is [`SeekPolicy::Custom`]. Default:
    /// `ESPIPE`.
    fn llseek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        let _ = (offset, whence);
        Err(Errno::ESPIPE)
    }

    /// Attributes for `fstat` of a file opened without a node (a file opened through a device
    /// node or FIFO shows the node's, see [`OpenFile::metadata`]).
    fn metadata(&self) -> Metadata;

    /// `fsync`: writes the file's dirty data to its device. Default: nothing to write (files
    /// in memory).
    fn fsync(&self) -> Result<(), Errno> {
        Ok(())
    }

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

    /// The timerfd behind this file, if it is one (timerfd_settime and timerfd_gettime answer
    /// EINVAL for other files).
    fn as_timerfd(&self) -> Option<&super::timerfd::TimerFd> {
        None
    }

    /// The process behind a pidfd, if this is one.
    fn as_pidfd(&self) -> Option<&super::pidfd::PidFd> {
        None
    }

    /// The POSIX message queue behind this file, if it is one (the `mq_*` calls answer EBADF
    /// for other files).
    fn as_mqueue(&self) -> Option<&crate::ipc::mqueue::MqueueFile> {
        None
    }

    /// The inotify instance behind this file (`inotify_add_watch` on another file is
    /// `EINVAL`).
    fn as_inotify(&self) -> Option<&Arc<super::notify::Group>> {
        None
    }

    /// The group, if this is a fanotify file.
    fn as_fanotify(&self) -> Option<&Arc<super::fanotify::Group>> {
        None
    }

    /// The namespace behind an nsfs file, if this is one (setns(2) and the `NS_GET_*`
    /// ioctls).
    fn as_namespace(&self) -> Option<&crate::ns::NsRef> {
        None
    }

    /// The eventfd behind this file, if it is one (`eventfd_ctx_fileget`: AIO's
    /// `IOCB_FLAG_RESFD` answers EINVAL for other files).
    fn as_eventfd(&self) -> Option<&super::eventfd::EventFd> {
        None
    }

    /// The filesystem context behind this file, if it is one (fsconfig(2) and fsmount(2) on
    /// another file are `EINVAL`).
    fn as_fs_context(&self) -> Option<&super::fs_context::FsContext> {
        None
    }

    /// The signalfd behind this file, if it is one (`signalfd4` on another file is `EINVAL`).
    fn as_signalfd(&self) -> Option<&super::signalfd::SignalFd> {
        None
    }

    /// The name an anonymous-inode file shows in `/proc/<pid>/fd` after `anon_inode:`
    /// (`[signalfd]`, `inotify`), for kinds that say it themselves.
    fn anon_name(&self) -> Option<&'static str> {
        None
    }

    /// `f_op->fasync`: adds `file` (descriptor `fd`) to the object's I/O-signal list when
    /// `on`, else removes it. `None`: the file has no fasync method (`O_ASYNC` is then only a
    /// flag, and `FIOASYNC` answers `ENOTTY`).
    fn fasync(&self, file: &Arc<OpenFile>, fd: i32, on: bool) -> Option<Result<(), Errno>> {
        let _ = (file, fd, on);
        None
    }

    /// The lines of `/proc/<pid>/fdinfo/N` after the common ones (Linux's `show_fdinfo`).
    fn show_fdinfo(&self, out: &mut alloc::vec::Vec<u8>) -> Result<(), Errno> {
        let _ = out;
        Ok(())
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
        // File pages hold user data: they must not take the kernel's memory reserve.
        hal::mm::heap::user_data(|| self.inode.write_at(offset, data))
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

    fn fsync(&self) -> Result<(), Errno> {
        self.inode.sync_data()
    }

    fn can_direct_io(&self) -> bool {
        self.inode.direct_io()
    }

    /// ext4's O_DIRECT (`ext4_dio_write_iter` over iomap): positions, lengths and buffers
    /// aligned to the device's logical block size.
    fn direct_io_alignment(&self) -> Option<DirectAlignment> {
        self.inode.direct_io().then_some(DirectAlignment {
            block: 512,
            address: 512,
        })
    }

    /// With O_DIRECT the data is on the device when the write returns (through the page cache,
    /// which stays coherent: Linux writes back and invalidates the range around a direct
    /// write).
    fn write_with_flags(
        &self,
        offset: u64,
        data: &[u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        let written = self.write(offset, data, status_flags.contains(OpenFlags::O_NONBLOCK))?;
        if status_flags.contains(OpenFlags::O_DIRECT) && self.inode.direct_io() {
            self.inode.write_back_data()?;
        }
        Ok(written)
    }
}

/// An open file description.
pub struct OpenFile {
    pub ops: Arc<dyn FileOps>,
    /// The path it was opened by (for `fchdir`, `*at` calls and `/proc/self/fd`).
    pub path: Option<vfs::Path>,
    /// Linux's `f_pos_lock`: a sleeping mutex, held across the read or write it positions
    /// (which may sleep, copy to user memory and fault).
    position: Mutex<u64>,
    status_flags: AtomicU32,
    /// An OFD or flock lock was set through this description: its drop releases them.
    has_file_locks: AtomicBool,
    /// Opened by open(2): its release is an inotify close event.
    is_notified: AtomicBool,
    /// Opened for a fanotify listener (`FMODE_NONOTIFY`): it makes no events at all.
    is_nonotify: AtomicBool,
    /// Counted in its inode's open counts: 1 as a reader only, 2 as a writer, 0 not.
    open_count: u8,
    /// A regular file opened for writing: counted in its superblock's writers.
    is_sb_writer: bool,
    /// Who receives its I/O signals (`f_owner`: `F_SETOWN`, `F_SETSIG`).
    pub owner: SpinLock<super::fasync::Owner>,
    /// Counts this file against `fs.file-max` until it is released.
    _charge: FileCharge,
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        // __fput's fsnotify_close.
        if self.is_notified.load(Ordering::Relaxed) && super::notify::is_active() {
            let mask = if self.is_writable() {
                inotify::IN_CLOSE_WRITE
            } else {
                inotify::IN_CLOSE_NOWRITE
            };
            super::notify::file_event(self, mask);
        }
        if self.has_file_locks.load(Ordering::Acquire) {
            super::locks::release_file(self);
        }
        if self.is_sb_writer
            && let Some(path) = self.path.as_ref()
        {
            path.mnt().superblock().put_writer();
        }
        if self.open_count != 0
            && let Some(counts) = self
                .path
                .as_ref()
                .and_then(|path| path.dentry().inode().open_counts())
        {
            if self.open_count == 2 {
                counts.put_write_access();
            } else {
                counts.readers.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

impl OpenFile {
    /// A new open file, counted by `charge` (from [`super::file_table::charge`]). `ETXTBSY`
    /// when it opens a running program's file for writing.
    pub fn new(
        ops: Arc<dyn FileOps>,
        path: Option<vfs::Path>,
        status_flags: OpenFlags,
        charge: FileCharge,
    ) -> Result<OpenFile, Errno> {
        OpenFile {
            ops,
            path,
            position: Mutex::new("file.pos", 0),
            status_flags: AtomicU32::new(status_flags.bits()),
            has_file_locks: AtomicBool::new(false),
            is_notified: AtomicBool::new(false),
            is_nonotify: AtomicBool::new(false),
            owner: SpinLock::new("file.owner", super::fasync::Owner::NONE),
            open_count: 0,
            is_sb_writer: false,
            _charge: charge,
        }
        .counted()
    }

    /// Counts this description in its inode's open counts (opens by path of regular files,
    /// not `O_PATH`): `i_writecount`/`i_readcount`; `ETXTBSY` for write access to a file whose
    /// writes a running program denies.
    fn counted(mut self) -> Result<OpenFile, Errno> {
        let flags = self.status_flags();
        if flags.contains(OpenFlags::O_PATH) {
            return Ok(self);
        }
        if self.is_writable() {
            self.count_sb_writer();
        }
        let Some(counts) = self
            .path
            .as_ref()
            .and_then(|path| path.dentry().inode().open_counts())
        else {
            return Ok(self);
        };
        if self.is_writable() {
            counts.get_write_access()?;
            self.open_count = 2;
        } else if self.is_readable() {
            counts.readers.fetch_add(1, Ordering::AcqRel);
            self.open_count = 1;
        }
        Ok(self)
    }

    /// A regular file opened for writing holds its file system writable (Linux's
    /// `mnt_get_write_access` for the file's life): `mount -o remount,ro` is `EBUSY` meanwhile.
    fn count_sb_writer(&mut self) {
        if let Some(path) = self.path.as_ref()
            && path.dentry().inode().file_type() == vfs::inode::FileType::Regular
        {
            path.mnt().superblock().get_writer();
            self.is_sb_writer = true;
        }
    }

    /// Notes that an OFD or flock lock is (being) set through this description.
    /// Records that open(2) made this description (its release reports `IN_CLOSE_*`).
    pub fn mark_notified(&self) {
        self.is_notified.store(true, Ordering::Relaxed);
    }

    /// Marks a file opened for a fanotify listener: it makes no events (`FMODE_NONOTIFY`).
    pub fn mark_nonotify(&self) {
        self.is_nonotify.store(true, Ordering::Relaxed);
    }

    /// Whether the file makes no events (`FMODE_NONOTIFY`).
    pub fn is_nonotify(&self) -> bool {
        self.is_nonotify.load(Ordering::Relaxed)
    }

    pub fn mark_locked(&self) {
        self.has_file_locks.store(true, Ordering::Release);
    }

    /// This description as the owner of OFD and flock locks (its address: unique while it is
    /// open, and its locks go before it is freed).
    pub fn lock_owner_id(&self) -> usize {
        core::ptr::from_ref(self) as usize
    }

    pub fn status_flags(&self) -> OpenFlags {
        OpenFlags::from_bits_retain(self.status_flags.load(Ordering::Relaxed))
    }

    /// Replaces the flags `F_SETFL` may change ([`OpenFlags::SETFL_MASK`]); the others in
    /// `flags` are ignored, as Linux does.
    pub fn set_status_flags(&self, flags: OpenFlags) {
        let old = self.status_flags();
        let new = old.difference(OpenFlags::SETFL_MASK) | flags.intersection(OpenFlags::SETFL_MASK);
        self.status_flags.store(new.bits(), Ordering::Relaxed);
    }

    /// Sets or clears `O_ASYNC` (`FASYNC`), as the fasync helper does when it adds or removes
    /// the file.
    pub fn set_async(&self, is_async: bool) {
        let bit = OpenFlags::O_ASYNC.bits();
        if is_async {
            self.status_flags.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.status_flags.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    pub fn is_readable(&self) -> bool {
        let flags = self.status_flags();
        !flags.contains(OpenFlags::O_PATH)
            && matches!(
                flags.access_mode(),
                AccessMode::ReadOnly | AccessMode::ReadWrite
            )
    }

    pub fn is_writable(&self) -> bool {
        let flags = self.status_flags();
        !flags.contains(OpenFlags::O_PATH)
            && matches!(
                flags.access_mode(),
                AccessMode::WriteOnly | AccessMode::ReadWrite
            )
    }

    /// What `fstat` shows (`vfs_getattr` of `file_inode`): the node a device or FIFO was
    /// opened through, else the file's own attributes.
    pub fn metadata(&self) -> Metadata {
        match &self.path {
            Some(node) if self.ops.inode().is_none() => node.metadata(),
            _ => self.ops.metadata(),
        }
    }

    /// Records a read (Linux `file_accessed`): the access time is touched under the atime
    /// rules of the mount the file was opened through, unless opened with `O_NOATIME`.
    pub fn accessed(&self) {
        if self.status_flags().contains(OpenFlags::O_NOATIME) {
            return;
        }
        if let Some(path) = &self.path {
            path.touch_atime();
        }
    }

    pub fn is_path_only(&self) -> bool {
        self.status_flags().contains(OpenFlags::O_PATH)
    }

    /// `read(2)`: reads at the current position into `buf`, hands the bytes to `deliver`
    /// (which copies them to user memory and says how many arrived), and advances the position
    /// by what was delivered, so a fault leaves the position where the data stopped.
    ///
    /// `is_continuation`: an earlier chunk of the same call already returned data, so a stream
    /// must not block again; it answers 0 when it has nothing more (Linux's `pipe_read` returns
    /// once it has read something and the pipe is empty).
    pub fn read_and_deliver(
        &self,
        buf: &mut [u8],
        is_continuation: bool,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        self.read_and_deliver_with(buf, is_continuation, OpenFlags::empty(), deliver)
    }

    /// [`Self::read_and_deliver`] with `extra` status flags for this call only (`O_NONBLOCK`
    /// for preadv2's `RWF_NOWAIT`).
    pub fn read_and_deliver_with(
        &self,
        buf: &mut [u8],
        is_continuation: bool,
        extra: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        if !self.is_readable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.is_seekable() {
            let mut flags = self.status_flags() | extra;
            if is_continuation {
                flags |= OpenFlags::O_NONBLOCK;
            }
            return match self.ops.read_deliver(0, buf, flags, deliver) {
                Err(Errno::EAGAIN) if is_continuation => Ok(0),
                result => result,
            };
        }
        let mut position = self.position.lock();
        let count = self
            .ops
            .read_deliver(*position, buf, self.status_flags(), deliver)?;
        *position += count as u64;
        // A regular file's read is an access (`file_accessed` in the filesystem's read_iter),
        // even one at the end of the file; a device's read is not.
        if self
            .ops
            .inode()
            .is_some_and(|inode| inode.file_type() == vfs::FileType::Regular)
        {
            self.accessed();
        }
        Ok(count)
    }

    /// The inode whose page cache this file reads and writes through, if it has one (regular
    /// files of tmpfs): `read`/`write` then copy between user memory and the cached pages with
    /// no bounce buffer.
    pub fn cached_inode(&self) -> Option<&Arc<dyn Inode>> {
        self.ops
            .inode()
            .filter(|inode| inode.page_cache().is_some())
    }

    /// Runs `transfer` at the file position and advances the position by the count it returns
    /// (`read(2)`/`write(2)` of a seekable file); with `is_append` the position moves to the
    /// end of the file first (O_APPEND). The position lock is a sleeping lock held across the
    /// transfer, as Linux's `f_pos_lock`.
    pub fn at_position(
        &self,
        is_append: bool,
        transfer: impl FnOnce(u64) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        let mut position = self.position.lock();
        if is_append {
            *position = self.ops.metadata().size;
        }
        let count = transfer(*position)?;
        *position += count as u64;
        Ok(count)
    }

    /// Readiness for poll/select: the file's poll bits, or [`DEFAULT_POLLMASK`] if it has no
    /// poll method.
    ///
    /// [`DEFAULT_POLLMASK`]: super::poll::DEFAULT_POLLMASK
    pub fn poll(&self, table: Option<&mut PollTable>) -> u16 {
        self.ops
            .poll(table)
            .unwrap_or(super::poll::DEFAULT_POLLMASK)
    }

    /// `write(2)`: writes at the current position (the end with O_APPEND) and advances it.
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        self.write_with(data, OpenFlags::empty())
    }

    /// [`Self::write`] with `extra` status flags for this call only (`O_NONBLOCK` for
    /// pwritev2's `RWF_NOWAIT`, `O_APPEND` for its `RWF_APPEND`).
    pub fn write_with(&self, data: &[u8], extra: OpenFlags) -> Result<usize, Errno> {
        if !self.is_writable() {
            return Err(Errno::EBADF);
        }
        let flags = self.status_flags() | extra;
        if !self.ops.is_seekable() {
            return self.ops.write_with_flags(0, data, flags);
        }
        let mut position = self.position.lock();
        if flags.contains(OpenFlags::O_APPEND) {
            *position = self.ops.metadata().size;
        }
        let count = self.ops.write_with_flags(*position, data, flags)?;
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
        self.ops.read_with_flags(offset, buf, self.status_flags())
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
        let offset = if self.status_flags().contains(OpenFlags::O_APPEND) {
            self.ops.metadata().size
        } else {
            offset
        };
        self.ops.write_with_flags(offset, data, self.status_flags())
    }

    /// `lseek(2)`. `noop_llseek` files answer even when they have no positions (eventfd,
    /// epoll: their reads never move it, so it stays 0).
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        if self.ops.seek_policy() == SeekPolicy::Custom {
            return self.ops.llseek(offset, whence);
        }
        if self.ops.seek_policy() == SeekPolicy::NoMove {
            return Ok(*self.position.lock());
        }
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
            SeekPolicy::Custom => return self.ops.llseek(offset, whence),
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

    /// The position if no read or write is moving it right now (`/proc/<pid>/fdinfo`, which
    /// may be reading this very file): Linux reads `f_pos` without its lock.
    pub fn position_if_idle(&self) -> Option<u64> {
        self.position.try_lock().map(|position| *position)
    }

    pub fn set_position(&self, position: u64) {
        *self.position.lock() = position;
    }
}
