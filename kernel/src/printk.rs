//! The kernel log (Linux's `kernel/printk/printk.c`): every `log` record goes into the log
//! buffer ([`logbuf::LogBuf`], 128 KiB of text, the oldest records dropped first) with its
//! level and a timestamp, and to the serial console, with a dmesg-style timestamp
//! (`[    1.234567]`), when its level is below the console log level (`quiet`, `loglevel=`).
//! `/dev/kmsg` (`drivers/kmsg.rs`) reads and appends records; syslog(2) reads them through
//! [`with_buffer`].
//!
//! Levels: `log::Level::Error` is `KERN_ERR` (3), `Warn` `KERN_WARNING` (4), `Info`
//! `KERN_INFO` (6), `Debug` and `Trace` `KERN_DEBUG` (7); kernel records have facility 0.
//! Debug and trace records exist only when the console would print them (Linux's `pr_debug`
//! is compiled out without `DEBUG`).
//!
//! Readers are not woken by kernel records (a record may be logged from any context, with any
//! lock held, as Linux defers its wake-up to `irq_work`): they sleep on [`log_wait`] until the
//! next tick or a `/dev/kmsg` write, and look again.
//!
//! Locking: the buffer is behind a `SpinLockIrq` (`printk.buffer`, a leaf: records are logged
//! from anywhere); the console is written after it is released.

use crate::sched::wait::WaitQueue;
use alloc::format;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use hal::sync::SpinLockIrq;
use logbuf::{LOG_BUF_LEN, LOG_DESCS, LogBuf};

/// The kernel's log buffer.
pub type KernelLogBuf = LogBuf<LOG_BUF_LEN, LOG_DESCS>;

struct KernelLog;

static LOGGER: KernelLog = KernelLog;
/// Maximum level printed (log::LevelFilter as u8); `quiet` and `loglevel=` lower it.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(log::LevelFilter::Info as u8);
static BUFFER: SpinLockIrq<KernelLogBuf> = SpinLockIrq::new("printk.buffer", LogBuf::new());
/// Where readers of the log wait for new records (`log_wait`).
static LOG_WAIT: spin::Once<Arc<WaitQueue>> = spin::Once::new();
/// `kernel.dmesg_restrict`: reading the log needs `CAP_SYSLOG` (Debian builds Linux with
/// `CONFIG_SECURITY_DMESG_RESTRICT=y`).
pub static DMESG_RESTRICT: AtomicBool = AtomicBool::new(true);
/// `printk.time` (`/sys/module/printk/parameters/time`): console lines start with a timestamp.
pub static PRINTK_TIME: AtomicBool = AtomicBool::new(true);
/// `printk.ignore_loglevel`: every record reaches the console, whatever its level.
pub static IGNORE_LOGLEVEL: AtomicBool = AtomicBool::new(false);

/// Whether a record of syslog level `level` goes to the console.
fn reaches_console(level: u8) -> bool {
    level < console_loglevel() || IGNORE_LOGLEVEL.load(Ordering::Relaxed)
}

/// The syslog level of a `log` record.
fn syslog_level(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    }
}

/// Linux's `console_loglevel`: records of a lower level reach the console.
pub fn console_loglevel() -> u8 {
    match MAX_LEVEL.load(Ordering::Relaxed) {
        0 => 0,
        1 => 4, // Error
        2 => 5, // Warn
        3 => 7, // Info
        _ => 8, // Debug, Trace
    }
}

impl log::Log for KernelLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
            || metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let prefix = match record.level() {
            log::Level::Error => "ferrux: error: ",
            log::Level::Warn => "ferrux: warning: ",
            _ => "",
        };
        let text = format!("{}", record.args());
        let now_ns = hal::time::monotonic_ns();
        let level = syslog_level(record.level());
        BUFFER
            .lock()
            .push(now_ns, 0, level, logbuf::flags::NEWLINE, text.as_bytes());
        if reaches_console(level) {
            print_to_console(now_ns, prefix, text.as_bytes());
        }
    }

    fn flush(&self) {}
}

fn print_to_console(now_ns: u64, prefix: &str, text: &[u8]) {
    let now_us = now_ns / 1000;
    let mut line = if PRINTK_TIME.load(Ordering::Relaxed) {
        format!(
            "[{:5}.{:06}] {}",
            now_us / 1_000_000,
            now_us % 1_000_000,
            prefix
        )
    } else {
        alloc::string::String::from(prefix)
    }
    .into_bytes();
    line.extend_from_slice(text);
    if line.last() != Some(&b'\n') {
        line.push(b'\n');
    }
    hal::console::write_bytes(&line);
}

/// Appends a record from user space (`/dev/kmsg`, `vprintk_emit` with a facility): into the
/// buffer, and to the console if its level is below the console log level. Wakes the log's
/// readers.
pub fn emit(facility: u8, level: u8, text: &[u8]) {
    let now_ns = hal::time::monotonic_ns();
    BUFFER.lock().push(now_ns, facility, level, 0, text);
    if reaches_console(level) {
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = &text[..text.len().min(logbuf::LOG_LINE_MAX)];
        print_to_console(now_ns, "", text);
    }
    log_wait().wake_all();
}

/// The queue readers of the log sleep on ([`LOG_WAIT`]).
pub fn log_wait() -> &'static Arc<WaitQueue> {
    LOG_WAIT.call_once(|| Arc::new(WaitQueue::new()))
}

/// Runs `reader` on the log buffer, under its lock (keep it short: copy out and leave).
pub fn with_buffer<R>(reader: impl FnOnce(&mut KernelLogBuf) -> R) -> R {
    reader(&mut BUFFER.lock())
}

/// Installs the kernel log.
pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
}

/// Sets the most verbose level printed.
pub fn set_max_level(level: log::LevelFilter) {
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Sets Linux's console log level (`syslog(SYSLOG_ACTION_CONSOLE_LEVEL)`): records of a lower
/// level reach the console. Levels that fall between the kernel's own (3, 4, 6, 7) act as the
/// next one down, which prints the same records.
pub fn set_console_loglevel(level: u8) {
    set_max_level(match level {
        0..=3 => log::LevelFilter::Off,
        4 => log::LevelFilter::Error,
        5..=6 => log::LevelFilter::Warn,
        7 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    });
}

/// `DEFAULT_RATELIMIT_INTERVAL` (5 s) and `DEFAULT_RATELIMIT_BURST` (10).
const RATELIMIT_INTERVAL_NS: u64 = 5_000_000_000;
const RATELIMIT_BURST: u32 = 10;

/// Linux's `struct ratelimit_state` with the default interval and burst: at most 10 messages
/// per 5 s (`printk_ratelimited`, `/dev/kmsg` writes).
pub struct RateLimit {
    begin_ns: Option<u64>,
    printed: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::new()
    }
}

impl RateLimit {
    pub const fn new() -> RateLimit {
        RateLimit {
            begin_ns: None,
            printed: 0,
        }
    }

    /// `___ratelimit`: whether one more message may go through now.
    pub fn allow(&mut self, now_ns: u64) -> bool {
        let begin = *self.begin_ns.get_or_insert(now_ns);
        if now_ns.saturating_sub(begin) > RATELIMIT_INTERVAL_NS {
            self.begin_ns = Some(now_ns);
            self.printed = 0;
        }
        if self.printed < RATELIMIT_BURST {
            self.printed += 1;
            true
        } else {
            false
        }
    }
}
