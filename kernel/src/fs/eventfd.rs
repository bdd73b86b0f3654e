//! eventfd objects (Linux `fs/eventfd.c`, eventfd(2)): a 64-bit counter read and written in
//! 8-byte units.
//!
//! `read` of fewer than 8 bytes is `EINVAL`; it blocks (or `EAGAIN`) while the counter is 0,
//! then returns the counter and zeroes it, or with `EFD_SEMAPHORE` returns 1 and decrements.
//! `write` of fewer than 8 bytes or of `0xffffffffffffffff` is `EINVAL`; it blocks (or
//! `EAGAIN`) while the sum would exceed `0xfffffffffffffffe`. Readiness is `eventfd_poll`'s:
//! `POLLIN` when the counter is non-zero, `POLLOUT` while a write of 1 would not block,
//! `POLLERR` at the (unreachable by write) maximum.
//!
//! [`EventFd::signal`] is the in-kernel `eventfd_signal` (AIO completion). Not done:
//! `/proc/<pid>/fdinfo` lines.

use super::file::FileOps;
use super::poll::{POLLERR, POLLIN, POLLOUT, PollTable, poll_wait};
use crate::sched::SleepKind;
use crate::sched::wait::{WaitQueue, wait_event};
use abi::Errno;
use abi::OpenFlags;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;
use vfs::{FileType, Metadata, Timespec};

/// st_dev of the anonymous-inode filesystem.
const ANON_INODE_DEV: u64 = 14;
/// Every anonymous-inode file shares one inode in Linux (`anon_inode_inode`).
pub const ANON_INODE_INO: u64 = 1;
static ANON_CLOCK: AtomicU64 = AtomicU64::new(0);

/// Attributes of an anonymous-inode file (eventfd, epoll, …): Linux shows mode 0600 with no
/// type bits; the VFS has no typeless files, so the type says regular and `fstat` drops it
/// ([`FileOps::is_anon_inode`]).
pub fn anon_inode_metadata() -> Metadata {
    let boot = ANON_CLOCK.load(Ordering::Relaxed);
    let time = Timespec {
        sec: (boot / 1_000_000_000) as i64,
        nsec: (boot % 1_000_000_000) as u32,
    };
    Metadata {
        dev: ANON_INODE_DEV,
        ino: ANON_INODE_INO,
        file_type: FileType::Regular,
        mode: 0o600,
        nlink: 1,
        uid: 0,
        gid: 0,
        size: 0,
        rdev: 0,
        blocks: 0,
        blksize: 4096,
        atime: time,
        mtime: time,
        ctime: time,
    }
}

/// One eventfd (Linux's `eventfd_ctx`).
pub struct EventFd {
    count: SpinLock<u64>,
    is_semaphore: bool,
    wait: Arc<WaitQueue>,
}

impl EventFd {
    pub fn new(initial: u64, is_semaphore: bool) -> EventFd {
        if ANON_CLOCK.load(Ordering::Relaxed) == 0 {
            ANON_CLOCK.store(crate::time::realtime_ns(), Ordering::Relaxed);
        }
        EventFd {
            count: SpinLock::new("eventfd.count", initial),
            is_semaphore,
            wait: Arc::new(WaitQueue::new()),
        }
    }

    /// Adds `value` to the counter from inside the kernel (`eventfd_signal`, AIO completion):
    /// never blocks. As Linux's `eventfd_signal` the counter saturates at `u64::MAX`, a value
    /// `write(2)` cannot reach: reads return it and poll reports `EPOLLERR` (the overflow).
    pub fn signal(&self, value: u64) {
        {
            let mut count = self.count.lock();
            *count = count.saturating_add(value);
        }
        self.wait.wake_all();
    }

    fn sleep_until(&self, is_ready: impl Fn(u64) -> bool) -> Result<(), Errno> {
        let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
        wait_event(
            &thread,
            &[&self.wait],
            SleepKind::Interruptible,
            None,
            || is_ready(*self.count.lock()).then_some(()),
        )
        .map_err(|_| Errno::ERESTARTSYS)
    }
}

impl FileOps for EventFd {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        loop {
            {
                let mut count = self.count.lock();
                if *count > 0 {
                    let value = if self.is_semaphore { 1 } else { *count };
                    *count -= value;
                    drop(count);
                    buf[..8].copy_from_slice(&value.to_ne_bytes());
                    self.wait.wake_all();
                    return Ok(8);
                }
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            self.sleep_until(|count| count > 0)?;
        }
    }

    fn read_deliver(
        &self,
        offset: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        // Linux consumes the count before copy_to_user; a fault loses it as there.
        let count = self.read(offset, buf, status_flags.contains(OpenFlags::O_NONBLOCK))?;
        deliver(&buf[..count])?;
        Ok(count)
    }

    fn write(&self, _: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        if data.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&data[..8]);
        let value = u64::from_ne_bytes(bytes);
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        loop {
            {
                let mut count = self.count.lock();
                if u64::MAX - *count > value {
                    *count += value;
                    drop(count);
                    if value > 0 {
                        self.wait.wake_all();
                    }
                    return Ok(8);
                }
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            self.sleep_until(|count| u64::MAX - count > value)?;
        }
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.wait);
        let count = *self.count.lock();
        let mut mask = 0;
        if count > 0 {
            mask |= POLLIN;
        }
        if count == u64::MAX {
            mask |= POLLERR;
        }
        if u64::MAX - 1 > count {
            mask |= POLLOUT;
        }
        Some(mask)
    }

    fn as_eventfd(&self) -> Option<&EventFd> {
        Some(self)
    }

    /// Anonymous files have no FMODE_PREAD (pread/pwrite are `ESPIPE`) and use `noop_llseek`.
    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> super::file::SeekPolicy {
        super::file::SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn metadata(&self) -> Metadata {
        anon_inode_metadata()
    }
}
