//! syslog (Linux 6.1 `kernel/printk/printk.c`, `do_syslog`): reading and clearing the kernel
//! log buffer ([`crate::printk`], read through `logbuf::syslog`), and the console log level.
//!
//! Permission first (`check_syslog_permissions`): with `kernel.dmesg_restrict` (on, as in
//! Debian's build) every action needs `CAP_SYSLOG` (or, as Linux still accepts with a warning,
//! `CAP_SYS_ADMIN`), else `EPERM` before the action is even looked at; without it, reading all
//! and asking the buffer size are open to everyone. Then: `SYSLOG_ACTION_CLOSE`/`OPEN` do
//! nothing; `READ` (consumes, sleeping interruptibly until there is something) and
//! `READ_ALL`/`READ_CLEAR` (the newest records that fit, from the last clear) want a buffer
//! (`EINVAL` for `NULL` or a negative length, 0 for a length of 0, `EFAULT` for a range outside
//! user space); `CLEAR`; `CONSOLE_OFF`/`CONSOLE_ON` (save and restore the console level),
//! `CONSOLE_LEVEL` (1 to 8, `EINVAL` otherwise); `SIZE_UNREAD`; `SIZE_BUFFER`. Any other action
//! is `EINVAL`.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::printk;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, wait_event};
use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};
use hal::sync::SpinLock;
use logbuf::syslog::SyslogReader;

const SYSLOG_ACTION_CLOSE: i32 = 0;
const SYSLOG_ACTION_OPEN: i32 = 1;
const SYSLOG_ACTION_READ: i32 = 2;
const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
const SYSLOG_ACTION_CLEAR: i32 = 5;
const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// `minimum_console_loglevel`.
const MINIMUM_CONSOLE_LOGLEVEL: u8 = 1;
/// `LOGLEVEL_DEFAULT`: no console level saved.
const LOGLEVEL_DEFAULT: i32 = -1;
/// The console level `CONSOLE_OFF` saved (`saved_console_loglevel`).
static SAVED_CONSOLE_LOGLEVEL: AtomicI32 = AtomicI32::new(LOGLEVEL_DEFAULT);
/// `SYSLOG_ACTION_READ`'s position (`syslog_seq`, `syslog_partial`, under `syslog_lock`);
/// taken before the log buffer's lock.
static READER: SpinLock<SyslogReader> = SpinLock::new("syslog.reader", SyslogReader::new());

/// The length of a user buffer `do_syslog` accepts (`EINVAL`, `EFAULT`); `None` for 0.
fn user_buffer(buf: UserPtr<u8>, len: i32) -> Result<Option<usize>, Errno> {
    if buf.is_null() || len < 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(None);
    }
    if !hal::mm::is_user_range(buf.address, len as u64) {
        return Err(Errno::EFAULT);
    }
    Ok(Some(len as usize))
}

fn copy_out(buf: UserPtr<u8>, bytes: &[u8]) -> SyscallResult {
    hal::usercopy::copy_to_user(buf.address, bytes)?;
    Ok(bytes.len())
}

/// Room for a read: at most the user's length, and at most about what the log holds once
/// formatted.
fn output_buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve(len.min(logbuf::LOG_BUF_LEN * 2))
        .map_err(|_| Errno::ENOMEM)?;
    Ok(out)
}

/// `syslog_action_restricted` and `check_syslog_permissions`.
fn check_permission(context: &SyscallContext<'_>, action: i32) -> Result<(), Errno> {
    let is_restricted = printk::DMESG_RESTRICT.load(Ordering::Relaxed)
        || (action != SYSLOG_ACTION_READ_ALL && action != SYSLOG_ACTION_SIZE_BUFFER);
    if !is_restricted {
        return Ok(());
    }
    let credentials = context.thread.process.credentials.lock();
    if credentials.has_capability(abi::capability::CAP_SYSLOG)
        || credentials.has_capability(abi::capability::CAP_SYS_ADMIN)
    {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

pub fn syslog(
    context: &mut SyscallContext<'_>,
    action: i32,
    buf: UserPtr<u8>,
    len: i32,
) -> SyscallResult {
    check_permission(context, action)?;
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => Ok(0),
        SYSLOG_ACTION_READ => {
            let Some(len) = user_buffer(buf, len)? else {
                return Ok(0);
            };
            // Kernel records do not wake readers (they may be logged with any lock held):
            // look again at every tick.
            loop {
                let deadline = crate::time::monotonic_ns() + 4_000_000;
                let has_unread = || {
                    let mut reader = READER.lock();
                    printk::with_buffer(|log| reader.has_unread(log)).then_some(())
                };
                match wait_event(
                    context.thread,
                    &[printk::log_wait()],
                    SleepKind::Interruptible,
                    Some(deadline),
                    has_unread,
                ) {
                    Ok(()) => break,
                    Err(WaitError::TimedOut) => continue,
                    Err(WaitError::Interrupted) => return Err(Errno::ERESTARTSYS),
                }
            }
            let mut out = output_buffer(len)?;
            let mut reader = READER.lock();
            printk::with_buffer(|log| reader.read(log, len, &mut out))
                .map_err(|_| Errno::ENOMEM)?;
            drop(reader);
            copy_out(buf, &out)
        }
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            let Some(len) = user_buffer(buf, len)? else {
                return Ok(0);
            };
            let mut out = output_buffer(len)?;
            let clear = action == SYSLOG_ACTION_READ_CLEAR;
            printk::with_buffer(|log| logbuf::syslog::read_all(log, len, clear, &mut out))
                .map_err(|_| Errno::ENOMEM)?;
            copy_out(buf, &out)
        }
        SYSLOG_ACTION_CLEAR => {
            printk::with_buffer(|log| log.clear());
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_OFF => {
            if SAVED_CONSOLE_LOGLEVEL.load(Ordering::Relaxed) == LOGLEVEL_DEFAULT {
                SAVED_CONSOLE_LOGLEVEL
                    .store(i32::from(printk::console_loglevel()), Ordering::Relaxed);
            }
            printk::set_console_loglevel(MINIMUM_CONSOLE_LOGLEVEL);
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_ON => {
            let saved = SAVED_CONSOLE_LOGLEVEL.swap(LOGLEVEL_DEFAULT, Ordering::Relaxed);
            if saved != LOGLEVEL_DEFAULT {
                printk::set_console_loglevel(saved as u8);
            }
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_LEVEL => {
            if !(1..=8).contains(&len) {
                return Err(Errno::EINVAL);
            }
            printk::set_console_loglevel((len as u8).max(MINIMUM_CONSOLE_LOGLEVEL));
            // Implicitly re-enable logging to the console.
            SAVED_CONSOLE_LOGLEVEL.store(LOGLEVEL_DEFAULT, Ordering::Relaxed);
            Ok(0)
        }
        SYSLOG_ACTION_SIZE_UNREAD => {
            let mut reader = READER.lock();
            Ok(printk::with_buffer(|log| reader.size_unread(log)))
        }
        SYSLOG_ACTION_SIZE_BUFFER => Ok(logbuf::LOG_BUF_LEN),
        _ => Err(Errno::EINVAL),
    }
}
