//! The ioctls of `/dev/loopN` (Linux 6.1's `lo_ioctl` and what it calls), after the block
//! layer's common ones.
//!
//! - `LOOP_SET_FD` (a `LOOP_CONFIGURE` of a zeroed config with that fd) and `LOOP_CONFIGURE`:
//!   `EBADF` for a bad descriptor or the device itself (directly or through a chain of loop
//!   devices), `EBUSY` when bound, `EINVAL` for a backing file that is neither regular nor a
//!   block device, a loop device in the chain that is unbound, flags outside
//!   `LOOP_CONFIGURE_SETTABLE_FLAGS`, a bad block size or a bad status, `EOVERFLOW` for an
//!   offset or size limit past `LLONG_MAX`. Read-only when the backing file or the device file
//!   is not open for writing. A new `diskseq`; partitions scanned with `LO_FLAGS_PARTSCAN`.
//! - `LOOP_CLR_FD`: `ENXIO` when unbound; deferred (autoclear set) while the device is open
//!   more than once.
//! - `LOOP_SET_STATUS`/`LOOP_SET_STATUS64` (`EPERM` unless opened for writing or
//!   `CAP_SYS_ADMIN`; `ENXIO` unbound): offset, size limit, name, and the flags
//!   `looprules::status_flags` lets through; the cache is written back and dropped when the
//!   offset or size limit changes. `LOOP_GET_STATUS`/`LOOP_GET_STATUS64`: `EINVAL` for a NULL
//!   argument, `ENXIO` unbound, `EOVERFLOW` when the old structure cannot hold the values.
//! - `LOOP_CHANGE_FD`: only on a read-only device, to a file of the same size.
//! - `LOOP_SET_CAPACITY`, `LOOP_SET_DIRECT_IO`, `LOOP_SET_BLOCK_SIZE` (`EPERM` unless opened
//!   for writing or `CAP_SYS_ADMIN`; `ENXIO` unbound): the size read again; direct I/O only
//!   where 6.1 can do it (a backing block device, not tmpfs: `EINVAL`); block sizes 512 to
//!   4096, powers of two.
//! - Anything else: `EINVAL`.

use super::{LoopDevice, LoopState, unbind};
use crate::block::Disk;
use crate::fs::file::OpenFile;
use abi::Errno;
use abi::loop_dev::{
    LO_FLAGS_DIRECT_IO, LO_FLAGS_PARTSCAN, LO_FLAGS_READ_ONLY, LOOP_CHANGE_FD, LOOP_CLR_FD,
    LOOP_CONFIGURE, LOOP_GET_STATUS, LOOP_GET_STATUS64, LOOP_SET_BLOCK_SIZE, LOOP_SET_CAPACITY,
    LOOP_SET_DIRECT_IO, LOOP_SET_FD, LOOP_SET_STATUS, LOOP_SET_STATUS64, LoopConfig, LoopInfo,
    LoopInfo64,
};
use alloc::sync::Arc;
use hal::usercopy::{read_user, write_user};
use vfs::FileType;
use zerocopy::FromZeros;

pub fn ioctl(
    device: &LoopDevice,
    disk: &Arc<Disk>,
    is_writable: bool,
    command: u32,
    argument: u64,
) -> Result<usize, Errno> {
    let may_change = || {
        if is_writable || is_admin() {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    };
    match command {
        LOOP_SET_FD => {
            let mut config = LoopConfig::new_zeroed();
            config.fd = argument as u32;
            configure(device, disk, is_writable, &config)
        }
        LOOP_CONFIGURE => {
            let config: LoopConfig = read_user(argument)?;
            configure(device, disk, is_writable, &config)
        }
        LOOP_CHANGE_FD => change_fd(device, disk, argument as u32),
        LOOP_CLR_FD => clear_fd(device, disk),
        LOOP_SET_STATUS => {
            may_change()?;
            let old: LoopInfo = read_user(argument)?;
            set_status(device, disk, &looprules::info_from_old(&old))
        }
        LOOP_SET_STATUS64 => {
            may_change()?;
            let info: LoopInfo64 = read_user(argument)?;
            set_status(device, disk, &info)
        }
        LOOP_GET_STATUS => {
            if argument == 0 {
                return Err(Errno::EINVAL);
            }
            let old = looprules::info_to_old(&status(device)?)?;
            write_user(argument, &old).map(|()| 0)
        }
        LOOP_GET_STATUS64 => {
            if argument == 0 {
                return Err(Errno::EINVAL);
            }
            write_user(argument, &status(device)?).map(|()| 0)
        }
        LOOP_SET_CAPACITY => {
            may_change()?;
            let state = device.state.lock();
            if !state.is_bound {
                return Err(Errno::ENXIO);
            }
            disk.set_capacity(size_of(&state, state.file.as_ref().ok_or(Errno::ENXIO)?));
            Ok(0)
        }
        LOOP_SET_DIRECT_IO => {
            may_change()?;
            let mut state = device.state.lock();
            if !state.is_bound {
                return Err(Errno::ENXIO);
            }
            let wanted = argument != 0;
            set_dio(&mut state, wanted);
            drop(device.publish(&state));
            if (state.flags & LO_FLAGS_DIRECT_IO != 0) == wanted {
                Ok(0)
            } else {
                Err(Errno::EINVAL)
            }
        }
        LOOP_SET_BLOCK_SIZE => {
            may_change()?;
            let mut state = device.state.lock();
            if !state.is_bound {
                return Err(Errno::ENXIO);
            }
            if !looprules::is_valid_block_size(argument) {
                return Err(Errno::EINVAL);
            }
            if u64::from(disk.logical_block_size()) != argument {
                disk.sync()?;
                disk.drop_cache();
                disk.set_block_size(argument as u32);
                let wants = state.wants_dio;
                update_dio(&mut state, disk, wants);
                drop(device.publish(&state));
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn is_admin() -> bool {
    crate::process::current()
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_ADMIN)
}

/// The open file `fd` of the caller (`fget`: `EBADF`, also for an `O_PATH` descriptor).
fn file_of(fd: u32) -> Result<Arc<OpenFile>, Errno> {
    let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
    let file = crate::process::current()
        .process
        .files
        .get()
        .lock()
        .get(fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

/// `loop_validate_file`: follows a chain of loop devices to its end (`EBADF` if it comes back
/// to `disk`, `EINVAL` through an unbound one); the file must be regular or a block device.
fn validate_file(file: &Arc<OpenFile>, disk: &Disk) -> Result<(), Errno> {
    let mut current = file.clone();
    // A chain is as long as the devices there are; bound it anyway.
    for _ in 0..super::MAX_DEVICES {
        let Some(block) = current.ops.as_block_device() else {
            break;
        };
        let Some(other) = super::of_disk(block.disk()) else {
            break;
        };
        if core::ptr::eq(block.disk().as_ref(), disk) {
            return Err(Errno::EBADF);
        }
        let next = other.binding().ok_or(Errno::EINVAL)?.file;
        current = next;
    }
    match file.ops.metadata().file_type {
        FileType::Regular | FileType::BlockDevice => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

/// The device's capacity in sectors from its backing file (`get_loop_size`).
fn size_of(state: &LoopState, file: &OpenFile) -> u64 {
    looprules::loop_sectors(file.ops.metadata().size, state.offset, state.sizelimit)
}

/// Whether I/O to `file` could bypass its cache (`__loop_update_dio`): 6.1's tmpfs has no
/// `direct_IO`; a block device has, with no alignment asked of the offset (its inode's
/// superblock has no `s_bdev`).
fn can_direct_io(file: &OpenFile) -> bool {
    file.ops.as_block_device().is_some()
}

/// `loop_update_dio`: direct I/O when it was asked for or the backing file was opened with
/// `O_DIRECT`, and is possible.
fn update_dio(state: &mut LoopState, disk: &Disk, wanted: bool) {
    let _ = disk;
    let file_wants = state
        .file
        .as_ref()
        .is_some_and(|file| file.status_flags().contains(abi::OpenFlags::O_DIRECT));
    set_dio(state, wanted || file_wants);
}

/// Sets or clears `LO_FLAGS_DIRECT_IO` as `__loop_update_dio` decides for `wanted`.
fn set_dio(state: &mut LoopState, wanted: bool) {
    let possible = state.file.as_ref().is_some_and(|file| can_direct_io(file));
    let use_dio = wanted && possible;
    state.wants_dio = use_dio;
    if use_dio {
        state.flags |= LO_FLAGS_DIRECT_IO;
    } else {
        state.flags &= !LO_FLAGS_DIRECT_IO;
    }
}

/// `loop_configure`.
fn configure(
    device: &LoopDevice,
    disk: &Arc<Disk>,
    is_writable: bool,
    config: &LoopConfig,
) -> Result<usize, Errno> {
    let file = file_of(config.fd)?;
    let mut state = device.state.lock();
    if state.is_bound || state.is_deleting {
        return Err(Errno::EBUSY);
    }
    validate_file(&file, disk)?;
    if config.info.lo_flags & !looprules::CONFIGURE_SETTABLE != 0 {
        return Err(Errno::EINVAL);
    }
    if config.block_size != 0 && !looprules::is_valid_block_size(u64::from(config.block_size)) {
        return Err(Errno::EINVAL);
    }
    looprules::check_info(&config.info)?;
    state.offset = config.info.lo_offset;
    state.sizelimit = config.info.lo_sizelimit;
    state.file_name = looprules::file_name(&config.info.lo_file_name);
    state.crypt_name = looprules::file_name(&config.info.lo_crypt_name);
    state.flags = config.info.lo_flags;
    if !file.is_writable() || !is_writable {
        state.flags |= LO_FLAGS_READ_ONLY;
    }
    disk.media_changed();
    disk.set_device_read_only(state.flags & LO_FLAGS_READ_ONLY != 0);
    disk.set_block_size(if config.block_size != 0 {
        config.block_size
    } else {
        512
    });
    state.file = Some(file.clone());
    let wants = state.flags & LO_FLAGS_DIRECT_IO != 0;
    update_dio(&mut state, disk, wants);
    disk.drop_cache();
    disk.set_capacity(size_of(&state, &file));
    state.is_bound = true;
    let is_partscan = state.flags & LO_FLAGS_PARTSCAN != 0;
    if is_partscan {
        disk.set_has_partitions(true);
    }
    drop(device.publish(&state));
    sysfs::add(disk)?;
    drop(state);
    if is_partscan {
        rescan(disk);
    }
    Ok(0)
}

use super::sysfs;

/// Scans the partitions (`loop_reread_partitions`): a failure is logged, as Linux's.
fn rescan(disk: &Arc<Disk>) {
    if let Err(error) = crate::block::scan_partitions(disk) {
        log::warn!(
            "{}: partition scan of {} failed: {error:?}",
            disk.name,
            disk.name
        );
    }
}

/// `loop_clr_fd`.
fn clear_fd(device: &LoopDevice, disk: &Arc<Disk>) -> Result<usize, Errno> {
    let mut state = device.state.lock();
    if !state.is_bound {
        return Err(Errno::ENXIO);
    }
    if disk.openers() > 1 {
        // Someone else has it open: unbind at the last close.
        state.flags |= abi::loop_dev::LO_FLAGS_AUTOCLEAR;
        drop(device.publish(&state));
        return Ok(0);
    }
    let old = unbind(device, disk, &mut state);
    drop(state);
    drop(old);
    Ok(0)
}

/// `loop_set_status`.
fn set_status(device: &LoopDevice, disk: &Arc<Disk>, info: &LoopInfo64) -> Result<usize, Errno> {
    let mut state = device.state.lock();
    if !state.is_bound {
        return Err(Errno::ENXIO);
    }
    let is_size_changed = state.offset != info.lo_offset || state.sizelimit != info.lo_sizelimit;
    if is_size_changed {
        disk.sync()?;
        disk.drop_cache();
    }
    looprules::check_info(info)?;
    let previous = state.flags;
    state.offset = info.lo_offset;
    state.sizelimit = info.lo_sizelimit;
    state.file_name = looprules::file_name(&info.lo_file_name);
    state.crypt_name = looprules::file_name(&info.lo_crypt_name);
    state.flags = looprules::status_flags(previous, info.lo_flags);
    if is_size_changed {
        let file = state.file.clone().ok_or(Errno::ENXIO)?;
        disk.set_capacity(size_of(&state, &file));
    }
    let wants = state.wants_dio;
    update_dio(&mut state, disk, wants);
    drop(device.publish(&state));
    let is_new_partscan = state.flags & LO_FLAGS_PARTSCAN != 0 && previous & LO_FLAGS_PARTSCAN == 0;
    if is_new_partscan {
        disk.set_has_partitions(true);
    }
    drop(state);
    if is_new_partscan {
        rescan(disk);
    }
    Ok(0)
}

/// `loop_get_status`: the configuration, with the backing file's device and inode numbers.
fn status(device: &LoopDevice) -> Result<LoopInfo64, Errno> {
    let (mut info, file) = {
        let state = device.state.lock();
        if !state.is_bound {
            return Err(Errno::ENXIO);
        }
        let mut info = LoopInfo64::new_zeroed();
        info.lo_number = device.number;
        info.lo_offset = state.offset;
        info.lo_sizelimit = state.sizelimit;
        info.lo_flags = state.flags;
        info.lo_file_name = state.file_name;
        info.lo_crypt_name = state.crypt_name;
        (info, state.file.clone().ok_or(Errno::ENXIO)?)
    };
    let metadata = file.metadata();
    info.lo_device = metadata.dev;
    info.lo_inode = metadata.ino;
    info.lo_rdevice = metadata.rdev;
    Ok(info)
}

/// `loop_change_fd`.
fn change_fd(device: &LoopDevice, disk: &Arc<Disk>, fd: u32) -> Result<usize, Errno> {
    let file = file_of(fd)?;
    let mut state = device.state.lock();
    if !state.is_bound {
        return Err(Errno::ENXIO);
    }
    if state.flags & LO_FLAGS_READ_ONLY == 0 {
        return Err(Errno::EINVAL);
    }
    validate_file(&file, disk)?;
    let old_file = state.file.clone().ok_or(Errno::ENXIO)?;
    if size_of(&state, &file) != size_of(&state, &old_file) {
        return Err(Errno::EINVAL);
    }
    disk.media_changed();
    disk.drop_cache();
    state.file = Some(file);
    let wants = state.wants_dio;
    update_dio(&mut state, disk, wants);
    let old = device.publish(&state);
    let is_partscan = state.flags & LO_FLAGS_PARTSCAN != 0;
    drop(state);
    drop(old);
    drop(old_file);
    if is_partscan {
        rescan(disk);
    }
    Ok(0)
}
