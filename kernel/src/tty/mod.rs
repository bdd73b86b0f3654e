//! Terminals. Today: the serial console with a canonical-mode line discipline, termios, signal
//! characters, and sessions with job control (`job`). Ptys and the rest of termios come later.
//!
//! The terminal devices register here with the device registry (Linux numbers, from
//! `tty_init` and the 8250 driver): `/dev/tty` (5:0, the caller's controlling terminal; with
//! none, opening it is `ENXIO`), `/dev/console` (5:1) and `/dev/ttyS0` (4:64), the same serial
//! port. Opening ttyS0 without O_NOCTTY may make it a session leader's controlling terminal;
//! opening `/dev/console` never does (Linux treats 5:1 as `O_NOCTTY`, `tty_open`).

pub mod console;
pub mod job;
pub mod termios;

use crate::fs::devices::{CharDevice, OpenRequest, register_char};
use crate::fs::file::FileOps;
use abi::Errno;
use alloc::sync::Arc;
use console::Console;
use spin::Once;

static CONSOLE: Once<Arc<Console>> = Once::new();
static CONSOLE_POLLING: Once<()> = Once::new();

/// The console device (created on first use, which also starts polling its input).
pub fn console() -> Arc<Console> {
    let console = CONSOLE
        .call_once(|| Arc::new(Console::new(vfs::inode::encode_dev(5, 1))))
        .clone();
    CONSOLE_POLLING.call_once(console::start_polling);
    console
}

/// Whether a character device is a terminal (the console: 5:1, or ttyS0 4:64).
pub fn is_tty(metadata: &vfs::Metadata) -> bool {
    let (major, minor) = (
        vfs::inode::dev_major(metadata.rdev),
        vfs::inode::dev_minor(metadata.rdev),
    );
    metadata.file_type == vfs::FileType::CharDevice && matches!((major, minor), (5, 1) | (4, 64))
}

/// The terminal drivers of the registry.
enum TtyDevice {
    /// 5:0.
    Current,
    /// 5:1.
    Console,
    /// 4:64.
    Serial,
}

impl CharDevice for TtyDevice {
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        let console = console();
        match self {
            TtyDevice::Console => {}
            TtyDevice::Serial => {
                if !request.is_noctty
                    && let Some(thread) = crate::process::try_current()
                {
                    console.acquire_on_open(&thread.process);
                }
            }
            TtyDevice::Current => {
                let thread = crate::process::current();
                if !console.is_controlling_tty_of(&thread.process) {
                    return Err(Errno::ENXIO);
                }
            }
        }
        Ok(console)
    }
}

/// Registers the terminal devices (`tty_init`, `serial8250_init`).
pub fn register() -> Result<(), Errno> {
    register_char(5, 0, 1, "/dev/tty", Arc::new(TtyDevice::Current))?;
    register_char(5, 1, 1, "/dev/console", Arc::new(TtyDevice::Console))?;
    register_char(4, 64, 1, "ttyS", Arc::new(TtyDevice::Serial))?;
    // devtmpfs nodes: `tty_devnode` gives 5:0 (and 5:2) 0666, the rest the default 0600.
    for (name, major, minor, mode) in [
        (&b"tty"[..], 5, 0, 0o666),
        (b"console", 5, 1, 0o600),
        (b"ttyS0", 4, 64, 0o600),
    ] {
        crate::fs::devtmpfs::add_char_node(name, mode, vfs::inode::encode_dev(major, minor))?;
    }
    Ok(())
}
