//! `/dev/loop-control` (misc 10:237, Linux's `loop_ctl_fops`) and the opening of `/dev/loopN`
//! nodes (block major 7, registered as `loop`).
//!
//! `LOOP_CTL_ADD` N: makes loopN (`EEXIST` if it exists); `LOOP_CTL_REMOVE` N: removes an
//! unbound, closed device (`EBUSY` otherwise, `ENODEV` for none, `EINVAL` for a negative
//! number); `LOOP_CTL_GET_FREE`: the lowest unbound device's number, made when there is none.
//! The argument is an `unsigned long` the driver reads as an `int`, as Linux's. Other
//! commands: `ENOSYS`, as `loop_control_ioctl`'s default. The file reads nothing (`EINVAL`)
//! and does not seek (`ESPIPE`).
//!
//! Opening a node `7:N` makes loopN when it does not exist (`loop_probe`), then opens it as
//! any disk.

use crate::block::file::BlockFile;
use crate::fs::devices::{CharDevice, OpenRequest};
use crate::fs::file::FileOps;
use crate::fs::sysfs::Parent;
use abi::Errno;
use abi::loop_dev::{LOOP_CTL_ADD, LOOP_CTL_GET_FREE, LOOP_CTL_REMOVE};
use alloc::sync::Arc;
use vfs::{FileType, Metadata, Timespec};

/// `MISC_MAJOR`.
const MISC_MAJOR: u32 = 10;
/// `LOOP_CTRL_MINOR`.
const LOOP_CTRL_MINOR: u32 = 237;

/// Registers major 7 and `/dev/loop-control`.
pub fn register() -> Result<(), Errno> {
    crate::fs::devices::register_block(
        super::LOOP_MAJOR,
        0,
        super::MAX_DEVICES,
        "loop",
        Arc::new(LoopMajor),
    )?;
    crate::fs::devices::register_char(
        MISC_MAJOR,
        LOOP_CTRL_MINOR,
        1,
        "misc",
        Arc::new(LoopControlDevice),
    )?;
    crate::drivers::base::device_create(
        Parent::Virtual,
        b"misc",
        b"loop-control",
        (MISC_MAJOR, LOOP_CTRL_MINOR),
        None,
        &[],
    )
}

/// Opens `/dev/loopN`, making loopN first if needed.
struct LoopMajor;

impl CharDevice for LoopMajor {
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        let minor = request.minor();
        super::probe(minor);
        let device = crate::block::lookup(super::LOOP_MAJOR, minor).ok_or(Errno::ENXIO)?;
        Ok(BlockFile::open(device, request))
    }
}

struct LoopControlDevice;

impl CharDevice for LoopControlDevice {
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(LoopControl { rdev: request.rdev }))
    }
}

/// An open `/dev/loop-control`.
struct LoopControl {
    rdev: u64,
}

impl FileOps for LoopControl {
    fn is_seekable(&self) -> bool {
        false
    }

    fn metadata(&self) -> Metadata {
        let zero = Timespec::default();
        Metadata {
            dev: 6,
            ino: 0,
            file_type: FileType::CharDevice,
            mode: 0o600,
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

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        // `loop_control_ioctl` passes the `unsigned long` on as an `int`.
        let number = argument as i32;
        let result = match command {
            LOOP_CTL_ADD => super::add(number),
            LOOP_CTL_REMOVE => super::remove(number),
            LOOP_CTL_GET_FREE => super::get_free(),
            _ => return Err(Errno::ENOSYS),
        };
        result.map(|number| number as usize)
    }
}
