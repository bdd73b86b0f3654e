//! The kernel log: `log` records printed to the serial console with a dmesg-style timestamp
//! (`[    1.234567]`, seconds since boot) and Linux's level names.

use alloc::format;
use core::sync::atomic::{AtomicU8, Ordering};

struct KernelLog;

static LOGGER: KernelLog = KernelLog;
/// Maximum level printed (log::LevelFilter as u8); `quiet` and `loglevel=` lower it.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(log::LevelFilter::Info as u8);

impl log::Log for KernelLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let now_us = hal::time::monotonic_ns() / 1000;
        let prefix = match record.level() {
            log::Level::Error => "ferrux: error: ",
            log::Level::Warn => "ferrux: warning: ",
            _ => "",
        };
        let line = format!(
            "[{:5}.{:06}] {}{}\n",
            now_us / 1_000_000,
            now_us % 1_000_000,
            prefix,
            record.args()
        );
        hal::console::write_bytes(line.as_bytes());
    }

    fn flush(&self) {}
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
