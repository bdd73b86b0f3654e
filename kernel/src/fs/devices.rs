//! Character devices reached through device nodes, by (major, minor) as Linux numbers them
//! (Documentation/admin-guide/devices.txt): the memory devices of major 1 (`null`, `zero`,
//! `full`, `random`, `urandom`), and the console (5:1, and ttyS0 4:64 which is the same port).
//! `/dev/tty` (5:0) means the caller's controlling terminal; with none, opening it is `ENXIO`.

use super::file::{FileOps, SeekPolicy};
use crate::tty::console::Console;
use abi::Errno;
use alloc::sync::Arc;
use spin::Once;
use vfs::inode::encode_dev;
use vfs::{FileType, Metadata, Timespec};

static CONSOLE: Once<Arc<Console>> = Once::new();
static CONSOLE_POLLING: Once<()> = Once::new();

/// The console device (created on first use, which also starts polling its input).
pub fn console() -> Arc<Console> {
    let console = CONSOLE
        .call_once(|| Arc::new(Console::new(encode_dev(5, 1))))
        .clone();
    CONSOLE_POLLING.call_once(crate::tty::console::start_polling);
    console
}

/// The file operations for opening device `rdev` (`is_noctty`: opened with O_NOCTTY).
pub fn open_char_device(rdev: u64, is_noctty: bool) -> Result<Arc<dyn FileOps>, Errno> {
    let (major, minor) = (vfs::inode::dev_major(rdev), vfs::inode::dev_minor(rdev));
    Ok(match (major, minor) {
        (1, 3) => Arc::new(MemoryDevice {
            kind: MemoryKind::Null,
            rdev,
        }),
        (1, 5) => Arc::new(MemoryDevice {
            kind: MemoryKind::Zero,
            rdev,
        }),
        (1, 7) => Arc::new(MemoryDevice {
            kind: MemoryKind::Full,
            rdev,
        }),
        (1, 8) | (1, 9) => Arc::new(MemoryDevice {
            kind: MemoryKind::Random,
            rdev,
        }),
        (5, 1) => console(),
        (4, 64) => {
            // Opening the serial port itself (not /dev/console, which Linux treats as
            // O_NOCTTY) can make it the session leader's controlling terminal (tty_open).
            let console = console();
            if !is_noctty && let Some(thread) = crate::process::try_current() {
                console.acquire_on_open(&thread.process);
            }
            console
        }
        (5, 0) => {
            // /dev/tty: the caller's controlling terminal (only the console can be one).
            let console = console();
            let thread = crate::process::current();
            if !console.is_controlling_tty_of(&thread.process) {
                return Err(Errno::ENXIO);
            }
            console
        }
        _ => return Err(Errno::ENXIO),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MemoryKind {
    Null,
    Zero,
    Full,
    Random,
}

struct MemoryDevice {
    kind: MemoryKind,
    rdev: u64,
}

impl FileOps for MemoryDevice {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        match self.kind {
            MemoryKind::Null => Ok(0),
            MemoryKind::Zero | MemoryKind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            MemoryKind::Random => {
                crate::random::fill(buf);
                Ok(buf.len())
            }
        }
    }

    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        match self.kind {
            MemoryKind::Full => Err(Errno::ENOSPC),
            _ => Ok(data.len()),
        }
    }

    fn seek_policy(&self) -> SeekPolicy {
        if self.kind == MemoryKind::Random {
            SeekPolicy::NoMove
        } else {
            SeekPolicy::AlwaysZero
        }
    }

    fn metadata(&self) -> Metadata {
        let zero = Timespec::default();
        Metadata {
            dev: 6,
            ino: 2 + u64::from(vfs::inode::dev_minor(self.rdev)),
            file_type: FileType::CharDevice,
            mode: 0o666,
            nlink: 1,
            uid: 0,
            gid: 0,
            size: 0,
            rdev: self.rdev,
            blocks: 0,
            blksize: 4096,
            atime: zero,
            mtime: zero,
            ctime: zero,
        }
    }
}
