//! The device registry: device numbers to drivers, as Linux's `fs/char_dev.c` (`chrdev_open`
//! finds the driver of a character device node through `kobj_map`) and the block-device
//! lookup of `blkdev_open`.
//!
//! Drivers register a run of minors of a major at boot ([`register_char`]); opening a device
//! node asks the registry for the driver of its `dev_t` and hands it an [`OpenRequest`]. A
//! number nobody registered is `ENXIO`, as Linux's `chrdev_open` answers. Block majors (254
//! `virtblk`, 259 `blkext`) are registered by the block layer (`crate::block`), which finds
//! the disk or partition of a number. `/proc/devices` is
//! [`proc_devices`].
//!
//! Numbers follow Linux (Documentation/admin-guide/devices.txt); what registers them:
//! `drivers::mem` (1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom), `drivers::kmsg`
//! (1:11 kmsg), `tty` (4:64 ttyS0, 5:0 tty, 5:1 console).
//!
//! Locking: each map is behind a spin lock (`devices.map`) taken only to clone the driver out.

use super::file::FileOps;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::Path;
use vfs::devmap::DevMap;

/// What an open of a device node passes to its driver (Linux's `inode` and `file` at
/// `f_op->open`).
pub struct OpenRequest<'a> {
    /// The device number opened ([`vfs::inode::encode_dev`] form).
    pub rdev: u64,
    /// The open's status flags, access mode included.
    pub flags: OpenFlags,
    /// O_NOCTTY: opening a terminal must not make it the controlling terminal.
    pub is_noctty: bool,
    /// The node opened, when there is one (ptmx finds its devpts instance from it).
    pub node: Option<&'a Path>,
}

impl OpenRequest<'_> {
    /// The minor number.
    pub fn minor(&self) -> u32 {
        vfs::inode::dev_minor(self.rdev)
    }
}

/// A character-device driver (Linux's `cdev` with its `file_operations.open`).
pub trait CharDevice: Send + Sync {
    /// Opens one of the driver's minors: the operations of the new open file.
    fn open(&self, request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno>;
}

type Driver = Arc<dyn CharDevice>;

static CHAR_DEVICES: SpinLock<DevMap<Driver>> = SpinLock::new("devices.map", DevMap::new());
static BLOCK_DEVICES: SpinLock<DevMap<Driver>> = SpinLock::new("devices.map", DevMap::new());

/// Registers `driver` for the character devices `major:first_minor..first_minor + count`,
/// shown as `name` in `/proc/devices`. `EBUSY` if any is taken.
pub fn register_char(
    major: u32,
    first_minor: u32,
    count: u32,
    name: &'static str,
    driver: Driver,
) -> Result<(), Errno> {
    CHAR_DEVICES
        .lock()
        .register(major, first_minor, count, name, driver)
}

/// Registers `driver` for the block devices `major:first_minor..first_minor + count`, shown as
/// `name` in `/proc/devices` (`register_blkdev`). `EBUSY` if any is taken.
pub fn register_block(
    major: u32,
    first_minor: u32,
    count: u32,
    name: &'static str,
    driver: Driver,
) -> Result<(), Errno> {
    BLOCK_DEVICES
        .lock()
        .register(major, first_minor, count, name, driver)
}

fn driver_of(map: &SpinLock<DevMap<Driver>>, rdev: u64) -> Option<Driver> {
    let (major, minor) = (vfs::inode::dev_major(rdev), vfs::inode::dev_minor(rdev));
    map.lock()
        .lookup(major, minor)
        .map(|region| region.driver.clone())
}

/// Opens the character device `request.rdev`: `ENXIO` if no driver has it.
pub fn open_char(request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
    let driver = driver_of(&CHAR_DEVICES, request.rdev).ok_or(Errno::ENXIO)?;
    driver.open(request)
}

/// Opens the block device `request.rdev`: `ENXIO` if no driver has it.
pub fn open_block(request: &OpenRequest<'_>) -> Result<Arc<dyn FileOps>, Errno> {
    let driver = driver_of(&BLOCK_DEVICES, request.rdev).ok_or(Errno::ENXIO)?;
    driver.open(request)
}

/// `/proc/devices`: the character majors, a blank line, then the block majors.
pub fn proc_devices(out: &mut Vec<u8>) -> Result<(), Errno> {
    out.try_reserve(64).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(b"Character devices:\n");
    CHAR_DEVICES.lock().proc_devices(out)?;
    out.try_reserve(64).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(b"\nBlock devices:\n");
    BLOCK_DEVICES.lock().proc_devices(out)
}
