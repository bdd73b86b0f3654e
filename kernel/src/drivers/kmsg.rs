//! `/dev/kmsg` (1:11), the kernel log as records (Linux 6.1 `kernel/printk/printk.c`,
//! `devkmsg_*`; Documentation/ABI/testing/dev-kmsg).
//!
//! - open: each open file has its own position, a sequence number starting at the oldest
//!   record held. Opening for reading needs `CAP_SYSLOG` while `kernel.dmesg_restrict` is set
//!   (`check_syslog_permissions`), else `EPERM`; write-only opens need nothing.
//! - read: one whole record per call, `prio,seq,usec,flag;text\n` ([`logbuf::format_kmsg`]).
//!   A buffer too small for it is `EINVAL` (the record is skipped all the same, as Linux moves
//!   the position first). When records were overwritten since the last read, the read fails
//!   with `EPIPE` once and the position moves to the oldest record. Nothing new: `EAGAIN` with
//!   O_NONBLOCK, else sleep until a record comes (`ERESTARTSYS` on a signal).
//! - write: one record of facility `LOG_USER` at `default_message_loglevel` (4) unless the text
//!   starts with `<N>` ([`logbuf::parse_user_prefix`]); longer than `LOG_LINE_MAX` is
//!   `EINVAL`. At most 10 records per 5 s per open file reach the log (`ratelimit_default_init`,
//!   Linux's default `printk.devkmsg=ratelimit`); the others are dropped and still reported
//!   written.
//! - lseek: only offset 0 (`ESPIPE` otherwise): `SEEK_SET` to the oldest record, `SEEK_DATA`
//!   to the first after the last syslog clear, `SEEK_END` after the newest; always returns 0.
//! - poll: readable when a record is there, with `POLLERR | POLLPRI` when some were lost.

use crate::fs::devices::OpenRequest;
use crate::fs::file::{FileOps, SeekPolicy};
use crate::fs::poll::{POLLERR, POLLIN, POLLPRI, POLLRDNORM, PollTable, poll_wait};
use crate::printk::{self, RateLimit};
use crate::sched::SleepKind;
use crate::sched::wait::wait_event;
use abi::{AccessMode, Errno};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::sync::SpinLock;
use logbuf::{LOG_LINE_MAX, RecordInfo};
use vfs::Metadata;

/// One open `/dev/kmsg` (`struct devkmsg_user`).
struct Kmsg {
    /// The next record to read.
    seq: SpinLock<u64>,
    ratelimit: SpinLock<RateLimit>,
}

/// Opens `/dev/kmsg` (`devkmsg_open`).
pub fn open(request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
    if request.flags.access_mode() != AccessMode::WriteOnly
        && printk::DMESG_RESTRICT.load(Ordering::Relaxed)
    {
        let thread = crate::process::current();
        let credentials = thread.process.credentials.lock();
        if !credentials.has_capability(abi::capability::CAP_SYSLOG)
            && !credentials.has_capability(abi::capability::CAP_SYS_ADMIN)
        {
            return Err(Errno::EPERM);
        }
    }
    let first = printk::with_buffer(|log| log.first_seq());
    Ok(Arc::new(Kmsg {
        seq: SpinLock::new("kmsg.user", first),
        ratelimit: SpinLock::new("kmsg.user", RateLimit::new()),
    }))
}

/// A record copied out of the log.
struct Copied {
    info: RecordInfo,
    text: [u8; LOG_LINE_MAX],
    len: usize,
}

impl Kmsg {
    /// The record at `seq` (or the oldest one after it, if it was overwritten), copied out.
    fn copy_record(seq: u64) -> Option<Copied> {
        printk::with_buffer(|log| {
            log.read(seq).map(|record| {
                let mut copied = Copied {
                    info: record.info,
                    text: [0; LOG_LINE_MAX],
                    len: record.text.len(),
                };
                copied.text[..record.text.len()].copy_from_slice(record.text);
                copied
            })
        })
    }
}

impl FileOps for Kmsg {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        loop {
            let mut seq = self.seq.lock();
            if let Some(copied) = Kmsg::copy_record(*seq) {
                if copied.info.seq != *seq {
                    *seq = copied.info.seq;
                    return Err(Errno::EPIPE);
                }
                *seq = copied.info.seq + 1;
                drop(seq);
                let record = logbuf::Record {
                    info: copied.info,
                    text: &copied.text[..copied.len],
                };
                let mut out = Vec::new();
                logbuf::format_kmsg(&record, &mut out).map_err(|_| Errno::ENOMEM)?;
                if out.len() > buf.len() {
                    return Err(Errno::EINVAL);
                }
                buf[..out.len()].copy_from_slice(&out);
                return Ok(out.len());
            }
            let wanted = *seq;
            drop(seq);
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            // Kernel records do not wake readers: look again at every tick.
            let thread = crate::process::current();
            let next_tick = crate::time::monotonic_ns() + 1_000_000_000 / hal::time::TICK_HZ;
            let waited = wait_event(
                &thread,
                &[printk::log_wait()],
                SleepKind::Interruptible,
                Some(next_tick),
                || (printk::with_buffer(|log| log.next_seq()) > wanted).then_some(()),
            );
            if waited == Err(crate::sched::wait::WaitError::Interrupted) {
                return Err(Errno::ERESTARTSYS);
            }
        }
    }

    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        if data.len() > LOG_LINE_MAX {
            return Err(Errno::EINVAL);
        }
        if !self.ratelimit.lock().allow(crate::time::monotonic_ns()) {
            return Ok(data.len());
        }
        let (facility, level, text) = logbuf::parse_user_prefix(data);
        printk::emit(facility, level, text);
        Ok(data.len())
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        if let Some(table) = table.as_deref_mut() {
            table.request_tick_recheck();
        }
        poll_wait(&mut table, printk::log_wait());
        let seq = *self.seq.lock();
        let found = printk::with_buffer(|log| log.read(seq).map(|record| record.info.seq));
        Some(match found {
            Some(found) if found != seq => POLLIN | POLLRDNORM | POLLERR | POLLPRI,
            Some(_) => POLLIN | POLLRDNORM,
            None => 0,
        })
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::Custom
    }

    fn llseek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        if offset != 0 {
            return Err(Errno::ESPIPE);
        }
        let target = printk::with_buffer(|log| match whence {
            abi::seek::SEEK_SET => Ok(log.first_seq()),
            abi::seek::SEEK_DATA => Ok(log.clear_seq()),
            abi::seek::SEEK_END => Ok(log.next_seq()),
            _ => Err(Errno::EINVAL),
        })?;
        *self.seq.lock() = target;
        Ok(0)
    }

    fn metadata(&self) -> Metadata {
        super::mem::device_metadata(vfs::inode::encode_dev(1, 11), 0o644)
    }
}
