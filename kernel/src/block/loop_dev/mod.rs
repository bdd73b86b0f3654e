//! Loop devices (Linux 6.1's `drivers/block/loop.c`): `/dev/loopN`, block devices whose data
//! is a file's.
//!
//! Each loop device is a [`Disk`] (major 7, minor N, one minor: partitions go to 259 `blkext`
//! as `loop0p1`…, Linux's `max_part=0`) whose driver is a [`LoopDevice`]. The disk has its own
//! page cache, as every block device; a request that fills or writes back its pages becomes a
//! read or write of the backing file at `lo_offset` plus the sector's offset, done in the
//! submitter's thread (Linux hands it to a worker), so the I/O goes through the backing file's
//! own page cache (tmpfs, or another block device's). Reads past the backing file's end give
//! zeros; flushes are the backing file's `fsync`.
//!
//! Devices: loop0..loop7 exist from boot (Debian's `CONFIG_BLK_DEV_LOOP_MIN_COUNT=8`), more
//! come from `LOOP_CTL_ADD`, `LOOP_CTL_GET_FREE` and from opening a node `7:N` of a device
//! that does not exist (`loop_probe`, `CONFIG_BLOCK_LEGACY_AUTOLOAD`); `/dev/loop-control`
//! (misc 10:237) is in [`control`]. An unbound device has capacity 0 (so it is not in
//! `/proc/partitions`) and answers reads with nothing.
//!
//! The ioctls and their errors are in [`ioctl`]; the rules that need no kernel (flag masks,
//! sizes, the old and new status structures) in the host-tested `looprules` crate; the
//! `/sys/block/loopN/loop/` attributes in [`sysfs`].
//!
//! Locking: `loop.ctl` (the table of devices, `loop_ctl_mutex`) before `loop.state` (one
//! device's configuration, `lo_mutex`), both sleeping and taken before the disk's write-back
//! and cache locks; `loop.io` (what a request needs: the backing file and offset, and what
//! sysfs shows) is a spin lock taken alone to copy that out.
//!
//! With `LO_FLAGS_DIRECT_IO` (possible over a block device, not over 6.1's tmpfs), requests
//! read and write the backing device past its cache, as `O_DIRECT` does.
//!
//! Not done: uevents,
//! `max_loop`/`max_part` parameters, and the exclusive claim (`bd_prepare_to_claim`) of the
//! device being configured.

pub mod control;
pub mod ioctl;
pub mod sysfs;

use super::{BlockDriver, Disk, DiskParams, Op, Request};
use crate::fs::file::OpenFile;
use abi::Errno;
use abi::OpenFlags;
use abi::loop_dev::{LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO, LO_FLAGS_PARTSCAN, LO_NAME_SIZE};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::{Mutex, SpinLock};

/// `LOOP_MAJOR`.
pub const LOOP_MAJOR: u32 = 7;
/// Devices made at boot (`CONFIG_BLK_DEV_LOOP_MIN_COUNT` in Debian's configuration).
const MIN_COUNT: u32 = 8;
/// Device numbers are 20-bit minors (`MINORMASK`).
const MAX_DEVICES: u32 = 1 << 20;

/// One device's configuration (`struct loop_device` under `lo_mutex`).
struct LoopState {
    /// `Lo_bound`.
    is_bound: bool,
    /// Being removed by `LOOP_CTL_REMOVE` (`Lo_deleting`).
    is_deleting: bool,
    file: Option<Arc<OpenFile>>,
    offset: u64,
    sizelimit: u64,
    flags: u32,
    file_name: [u8; LO_NAME_SIZE],
    crypt_name: [u8; LO_NAME_SIZE],
    /// Direct I/O was asked for (`use_dio`).
    wants_dio: bool,
}

impl LoopState {
    const fn new() -> LoopState {
        LoopState {
            is_bound: false,
            is_deleting: false,
            file: None,
            offset: 0,
            sizelimit: 0,
            flags: 0,
            file_name: [0; LO_NAME_SIZE],
            crypt_name: [0; LO_NAME_SIZE],
            wants_dio: false,
        }
    }
}

/// What a request and sysfs need, copied from [`LoopState`] whenever it changes.
#[derive(Clone)]
struct Binding {
    file: Arc<OpenFile>,
    offset: u64,
    sizelimit: u64,
    flags: u32,
}

/// A loop device's driver.
pub struct LoopDevice {
    number: u32,
    state: Mutex<LoopState>,
    io: SpinLock<Option<Binding>>,
}

impl LoopDevice {
    /// The binding as requests see it.
    fn binding(&self) -> Option<Binding> {
        self.io.lock().clone()
    }

    /// Publishes `state` to requests and sysfs. The binding replaced is returned, to be
    /// dropped after the caller's locks (its file's release may take locks).
    fn publish(&self, state: &LoopState) -> Option<Binding> {
        let binding = state
            .file
            .as_ref()
            .filter(|_| state.is_bound)
            .map(|file| Binding {
                file: file.clone(),
                offset: state.offset,
                sizelimit: state.sizelimit,
                flags: state.flags,
            });
        core::mem::replace(&mut *self.io.lock(), binding)
    }

    /// Reads or writes one request's segments at `offset` of `file`; with `is_direct`
    /// (`LO_FLAGS_DIRECT_IO` over a block device) past the backing device's cache, for the
    /// pieces a direct transfer can take (512-byte multiples).
    fn transfer(
        file: &OpenFile,
        offset: u64,
        is_direct: bool,
        request: &mut Request,
    ) -> Result<(), Errno> {
        if request.op == Op::Flush {
            return file.ops.fsync();
        }
        let mut position = request
            .sector
            .checked_mul(512)
            .and_then(|start| start.checked_add(offset))
            .ok_or(Errno::EIO)?;
        let mut bounce = Vec::new();
        if request.op == Op::Write {
            bounce.try_reserve_exact(4096).map_err(|_| Errno::ENOMEM)?;
            bounce.resize(4096, 0);
        }
        for segment in &mut request.segments {
            let (start, len) = (segment.offset as usize, segment.len as usize);
            let flags = if is_direct && (position | len as u64).is_multiple_of(512) {
                OpenFlags::O_DIRECT
            } else {
                OpenFlags::empty()
            };
            match request.op {
                Op::Read => {
                    let bytes = segment.stream.cpu_bytes_mut().ok_or(Errno::EIO)?;
                    let buf = bytes.get_mut(start..start + len).ok_or(Errno::EIO)?;
                    let mut done = 0;
                    while done < len {
                        let count = file.ops.read_with_flags(
                            position + done as u64,
                            &mut buf[done..],
                            flags,
                        )?;
                        if count == 0 {
                            // Past the backing file's end (`lo_read_simple`'s zero fill).
                            buf[done..].fill(0);
                            break;
                        }
                        done += count;
                    }
                }
                Op::Write => {
                    let data = &mut bounce[..len.min(4096)];
                    segment.stream.cpu_read(start, data);
                    let mut done = 0;
                    while done < data.len() {
                        let count = file
                            .ops
                            .write(position + done as u64, &data[done..], false)?;
                        if count == 0 {
                            return Err(Errno::EIO);
                        }
                        done += count;
                    }
                }
                Op::Flush => {}
            }
            position += len as u64;
        }
        Ok(())
    }
}

impl BlockDriver for LoopDevice {
    fn submit(&self, mut request: Request) {
        // Linux does this in the loop's worker, holding none of the submitter's locks: the
        // upper disk's cache locks come before the backing file's (another disk's too).
        let result = hal::sync::in_separate_context(|| match self.binding() {
            Some(binding) => LoopDevice::transfer(
                &binding.file,
                binding.offset,
                binding.flags & LO_FLAGS_DIRECT_IO != 0,
                &mut request,
            ),
            // Nothing was written through an unbound device: nothing to flush.
            None if request.op == Op::Flush => Ok(()),
            None => Err(Errno::EIO),
        });
        if let Err(error) = result {
            log::warn!("loop{}: backing file I/O failed: {error:?}", self.number);
        }
        request.complete(result.map_err(|_| Errno::EIO));
    }

    fn max_segments(&self) -> usize {
        128
    }

    fn ioctl(
        &self,
        disk: &Arc<Disk>,
        is_writable: bool,
        command: u32,
        argument: u64,
    ) -> Result<usize, Errno> {
        ioctl::ioctl(self, disk, is_writable, command, argument)
    }

    /// `lo_release`: the last close of an autoclear device unbinds it.
    fn released(&self, disk: &Arc<Disk>) {
        if disk.openers() != 0 {
            return;
        }
        let mut state = self.state.lock();
        if state.is_bound && state.flags & LO_FLAGS_AUTOCLEAR != 0 {
            let old = unbind(self, disk, &mut state);
            drop(state);
            drop(old);
        }
    }

    fn has_geometry(&self) -> bool {
        false
    }

    fn as_loop(&self) -> Option<&LoopDevice> {
        Some(self)
    }
}

/// Takes the device's binding away (`__loop_clr_fd`): dirty pages written to the backing
/// file, capacity 0, the cache and partitions dropped, the configuration and block size reset
/// (not the read-only mark), `loop/` gone from sysfs. Returns what to drop after the caller's locks.
fn unbind(device: &LoopDevice, disk: &Arc<Disk>, state: &mut LoopState) -> Option<Binding> {
    if let Err(error) = disk.write_back() {
        log::warn!(
            "{}: write-back before unbinding failed: {error:?}",
            disk.name
        );
    }
    let had_partitions = state.flags & LO_FLAGS_PARTSCAN != 0;
    state.is_bound = false;
    let file = state.file.take();
    let old = device.publish(state);
    disk.set_capacity(0);
    disk.drop_cache();
    if had_partitions && let Err(error) = super::drop_partitions(disk) {
        log::warn!("{}: cannot drop partitions: {error:?}", disk.name);
    }
    disk.set_has_partitions(false);
    // The disk stays read-only if it was (6.1's `__loop_clr_fd` leaves `set_disk_ro` alone
    // until the next bind).
    disk.set_block_size(512);
    state.offset = 0;
    state.sizelimit = 0;
    state.flags = 0;
    state.file_name = [0; LO_NAME_SIZE];
    state.crypt_name = [0; LO_NAME_SIZE];
    state.wants_dio = false;
    sysfs::remove(disk);
    drop(file);
    old
}

/// A device in the table.
struct Entry {
    device: Arc<LoopDevice>,
    disk: Arc<Disk>,
}

/// Every loop device, by number (`loop_index_idr` under `loop_ctl_mutex`).
static LOOPS: Mutex<Vec<Entry>> = Mutex::new("loop.ctl", Vec::new());

/// Adds device `number`, or the lowest free number when `None` (`loop_add`). `EEXIST` if it
/// exists, `EINVAL` past the minors. The caller holds the table.
fn add_locked(loops: &mut Vec<Entry>, number: Option<u32>) -> Result<u32, Errno> {
    let number = match number {
        Some(number) => {
            if loops.iter().any(|entry| entry.device.number == number) {
                return Err(Errno::EEXIST);
            }
            number
        }
        None => {
            let mut candidate = 0;
            for entry in loops.iter() {
                if entry.device.number == candidate {
                    candidate += 1;
                } else if entry.device.number > candidate {
                    break;
                }
            }
            candidate
        }
    };
    if number >= MAX_DEVICES {
        return Err(Errno::EINVAL);
    }
    loops.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    let device = Arc::new(LoopDevice {
        number,
        state: Mutex::new("loop.state", LoopState::new()),
        io: SpinLock::new("loop.io", None),
    });
    let params = DiskParams {
        name: alloc::format!("loop{number}"),
        major: LOOP_MAJOR,
        first_minor: number,
        minors: 1,
        has_partitions: false,
        sectors: 0,
        logical_block_size: 512,
        physical_block_size: 512,
        is_read_only: false,
        has_flush: true,
        geometry: None,
        sysfs_parent: String::from("virtual"),
    };
    let disk = super::add_disk(params, device.clone())?;
    let at = loops
        .iter()
        .position(|entry| entry.device.number > number)
        .unwrap_or(loops.len());
    loops.insert(at, Entry { device, disk });
    Ok(number)
}

/// `LOOP_CTL_ADD`: device `number` (any free one when negative).
pub fn add(number: i32) -> Result<u32, Errno> {
    let mut loops = LOOPS.lock();
    add_locked(&mut loops, u32::try_from(number).ok())
}

/// `LOOP_CTL_REMOVE`: `EINVAL` for a negative number, `ENODEV` for one that does not exist,
/// `EBUSY` while bound or open.
pub fn remove(number: i32) -> Result<u32, Errno> {
    let number = u32::try_from(number).map_err(|_| Errno::EINVAL)?;
    let mut loops = LOOPS.lock();
    let at = loops
        .iter()
        .position(|entry| entry.device.number == number)
        .ok_or(Errno::ENODEV)?;
    {
        let mut state = loops[at].device.state.lock();
        if state.is_bound || state.is_deleting || loops[at].disk.openers() > 0 {
            return Err(Errno::EBUSY);
        }
        state.is_deleting = true;
    }
    let entry = loops.remove(at);
    drop(loops);
    super::remove_disk(&entry.disk)?;
    Ok(0)
}

/// `LOOP_CTL_GET_FREE`: the lowest unbound device, made when there is none.
pub fn get_free() -> Result<u32, Errno> {
    let mut loops = LOOPS.lock();
    for entry in loops.iter() {
        let state = entry.device.state.lock();
        if !state.is_bound && !state.is_deleting {
            return Ok(entry.device.number);
        }
    }
    add_locked(&mut loops, None)
}

/// Makes device `number` if it does not exist (`loop_probe`, an open of a node `7:N`).
pub fn probe(number: u32) {
    let mut loops = LOOPS.lock();
    if !loops.iter().any(|entry| entry.device.number == number)
        && let Err(error) = add_locked(&mut loops, Some(number))
    {
        log::debug!("loop: cannot add loop{number}: {error:?}");
    }
}

/// The loop device behind `disk`, if it is one.
pub fn of_disk(disk: &Disk) -> Option<&LoopDevice> {
    disk.driver().as_loop()
}

/// Registers major 7 and `/dev/loop-control`, and makes loop0..loop7 (`loop_init`).
pub fn init() -> Result<(), Errno> {
    super::register_ext_major()?;
    control::register()?;
    let mut loops = LOOPS.lock();
    for number in 0..MIN_COUNT {
        add_locked(&mut loops, Some(number))?;
    }
    Ok(())
}
