//! Linux's `panic()` for conditions user space can cause (init exiting, no init found): print
//! "Kernel panic - not syncing: …" and follow `panic=`: a negative timeout reboots at once, a
//! positive one after that many seconds, zero waits forever (`kernel/panic.c`). Kernel bugs go
//! through Rust's panic handler in hal instead, which powers off with a failing status.

use core::fmt;
use core::sync::atomic::{AtomicI64, Ordering};

static PANIC_TIMEOUT_S: AtomicI64 = AtomicI64::new(0);

/// Sets the `panic=` timeout.
pub fn set_timeout(seconds: i64) {
    PANIC_TIMEOUT_S.store(seconds, Ordering::Relaxed);
}

/// The `panic=` timeout (`/sys/module/kernel/parameters/panic`).
pub fn timeout() -> i64 {
    PANIC_TIMEOUT_S.load(Ordering::Relaxed)
}

/// Panics the way Linux does for a fatal but expected condition.
pub fn kernel_panic(message: fmt::Arguments<'_>) -> ! {
    let line = alloc::format!("Kernel panic - not syncing: {message}\n");
    hal::console::write_bytes(line.as_bytes());
    let timeout = PANIC_TIMEOUT_S.load(Ordering::Relaxed);
    if timeout > 0 {
        hal::console::write_bytes(alloc::format!("Rebooting in {timeout} seconds..\n").as_bytes());
        let deadline = hal::time::monotonic_ns() + timeout as u64 * 1_000_000_000;
        while hal::time::monotonic_ns() < deadline {
            hal::cpu::wait_for_interrupt();
        }
    }
    if timeout != 0 {
        hal::power::reset();
    }
    let end = alloc::format!("---[ end Kernel panic - not syncing: {message} ]---\n");
    hal::console::write_bytes(end.as_bytes());
    hal::cpu::halt_forever()
}
