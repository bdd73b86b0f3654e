//! signalfd objects (Linux `fs/signalfd.c`, signalfd(2)): a descriptor from which the reading
//! thread takes its pending signals, as `struct signalfd_siginfo` records.
//!
//! A signalfd holds only a mask (SIGKILL and SIGSTOP never in it). Whatever thread reads or
//! polls it looks at *its own* pending signals: those queued for the thread and those queued
//! for its process, so a descriptor inherited over fork reads the child's signals. `read`
//! wants room for one record (128 bytes, else `EINVAL`), takes as many signals of the mask as
//! fit (through [`crate::signal::dequeue_signal`], so timers are rearmed as for delivery),
//! blocks interruptibly for the first one (`ERESTARTSYS` on a signal; `EAGAIN` with
//! O_NONBLOCK) and never for the next ones. Readiness is `POLLIN` while a signal of the mask is
//! pending for the polling thread; the poller sleeps on its process's `signalfd_wait`, which
//! every queued signal and every mask change wakes. `/proc/<pid>/fdinfo` shows the mask as
//! `sigmask:`.
//!
//! Not done: Linux lets a signalfd read a signal whose record the copy to user memory faults
//! on, losing only that one; here a fault loses every record of that read.

use super::file::{FileOps, SeekPolicy};
use super::poll::{POLLIN, PollTable, poll_wait};
use crate::process::Thread;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, wait_event};
use abi::Errno;
use abi::signal::SignalfdSiginfo;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use sigrules::UNBLOCKABLE;
use vfs::Metadata;
use zerocopy::IntoBytes;

/// Size of one record.
const RECORD: usize = size_of::<SignalfdSiginfo>();

/// One signalfd (Linux's `signalfd_ctx`).
pub struct SignalFd {
    /// The signals it reports (bit `n - 1` for signal `n`).
    mask: AtomicU64,
}

impl SignalFd {
    pub fn new(mask: u64) -> SignalFd {
        SignalFd {
            mask: AtomicU64::new(mask & !UNBLOCKABLE),
        }
    }

    /// Replaces the mask (`signalfd4` on an existing descriptor) and wakes the calling
    /// process's readers, whose answer may change.
    pub fn set_mask(&self, mask: u64, thread: &Thread) {
        self.mask.store(mask & !UNBLOCKABLE, Ordering::Relaxed);
        thread.process.signalfd_wait.wake_all();
    }

    pub fn mask(&self) -> u64 {
        self.mask.load(Ordering::Relaxed)
    }

    /// Whether a signal of the mask is pending for `thread` or its process.
    fn is_ready(&self, thread: &Thread) -> bool {
        let pending = thread.pending.lock().set() | thread.process.shared_pending.lock().set();
        pending & self.mask() != 0
    }

    /// Takes one signal of the mask, sleeping for it unless `is_nonblocking`.
    fn dequeue(
        &self,
        thread: &Arc<Thread>,
        is_nonblocking: bool,
    ) -> Result<SignalfdSiginfo, Errno> {
        loop {
            if let Some(info) = crate::signal::dequeue_signal(thread, !self.mask()) {
                crate::signal::recalc_pending(thread);
                return Ok(SignalfdSiginfo::from_siginfo(&info));
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            let queue = thread.process.signalfd_wait.clone();
            match wait_event(thread, &[&queue], SleepKind::Interruptible, None, || {
                self.is_ready(thread).then_some(())
            }) {
                Ok(()) => {}
                Err(WaitError::Interrupted | WaitError::TimedOut) => {
                    return Err(Errno::ERESTARTSYS);
                }
            }
        }
    }
}

impl FileOps for SignalFd {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let count = buf.len() / RECORD;
        if count == 0 {
            return Err(Errno::EINVAL);
        }
        let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
        let mut total = 0;
        for index in 0..count {
            // Only the first record may wait.
            let record = match self.dequeue(&thread, is_nonblocking || index > 0) {
                Ok(record) => record,
                Err(error) if total == 0 => return Err(error),
                Err(_) => break,
            };
            buf[total..total + RECORD].copy_from_slice(record.as_bytes());
            total += RECORD;
        }
        Ok(total)
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        let Some(thread) = crate::process::try_current() else {
            return Some(0);
        };
        poll_wait(&mut table, &thread.process.signalfd_wait);
        Some(if self.is_ready(&thread) { POLLIN } else { 0 })
    }

    /// `noop_llseek`, no FMODE_PREAD: pread is `ESPIPE`, lseek succeeds and moves nothing.
    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[signalfd]")
    }

    fn as_signalfd(&self) -> Option<&SignalFd> {
        Some(self)
    }

    fn show_fdinfo(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        crate::out!(out, "sigmask:\t{:016x}\n", self.mask())
    }

    fn metadata(&self) -> Metadata {
        super::eventfd::anon_inode_metadata()
    }
}
