//! The rules of Linux 6.1's loop driver (`drivers/block/loop.c`) that need no kernel: what a
//! `struct loop_info64` may ask for ([`check_info`]), which flags `LOOP_SET_STATUS` and
//! `LOOP_CONFIGURE` may set or clear ([`status_flags`], [`CONFIGURE_SETTABLE`]), the device's
//! size from its backing file ([`loop_sectors`], `get_size`), valid block sizes
//! ([`is_valid_block_size`], `blk_validate_block_size`), and the conversions between the old
//! `struct loop_info` and `struct loop_info64` ([`info_from_old`], [`info_to_old`]) with their
//! `EOVERFLOW` on values the old one cannot hold. The kernel's `block/loop` applies them.
#![no_std]
#![forbid(unsafe_code)]

use abi::Errno;
use abi::loop_dev::{
    LO_CRYPT_NONE, LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO, LO_FLAGS_PARTSCAN, LO_FLAGS_READ_ONLY,
    LO_KEY_SIZE, LoopInfo, LoopInfo64,
};

/// Flags `LOOP_SET_STATUS*` may set (`LOOP_SET_STATUS_SETTABLE_FLAGS`).
pub const SET_STATUS_SETTABLE: u32 = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
/// Flags `LOOP_SET_STATUS*` may clear (`LOOP_SET_STATUS_CLEARABLE_FLAGS`).
pub const SET_STATUS_CLEARABLE: u32 = LO_FLAGS_AUTOCLEAR;
/// Flags `LOOP_CONFIGURE` accepts (`LOOP_CONFIGURE_SETTABLE_FLAGS`); others are `EINVAL`.
pub const CONFIGURE_SETTABLE: u32 =
    LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;

/// `loop_set_status_from_info`'s checks: a key longer than `LO_KEY_SIZE` or any transformation
/// but none (6.1 removed xor and cryptoloop) is `EINVAL`; an offset or size limit past
/// `LLONG_MAX` is `EOVERFLOW`.
pub fn check_info(info: &LoopInfo64) -> Result<(), Errno> {
    if info.lo_encrypt_key_size as usize > LO_KEY_SIZE {
        return Err(Errno::EINVAL);
    }
    if info.lo_encrypt_type != LO_CRYPT_NONE {
        return Err(Errno::EINVAL);
    }
    if info.lo_offset > i64::MAX as u64 || info.lo_sizelimit > i64::MAX as u64 {
        return Err(Errno::EOVERFLOW);
    }
    Ok(())
}

/// The flags after `LOOP_SET_STATUS*` asked for `requested` on a device that had `previous`:
/// only [`SET_STATUS_SETTABLE`] come from the request, only [`SET_STATUS_CLEARABLE`] can go.
pub fn status_flags(previous: u32, requested: u32) -> u32 {
    let mut flags = requested & SET_STATUS_SETTABLE;
    flags |= previous & !SET_STATUS_SETTABLE;
    flags |= previous & !SET_STATUS_CLEARABLE;
    flags
}

/// The device's size in 512-byte sectors (`get_size`): the backing file's size less the
/// offset (0 when the offset is past the end), capped by a nonzero size limit.
pub fn loop_sectors(file_size: u64, offset: u64, sizelimit: u64) -> u64 {
    let mut size = file_size.saturating_sub(offset);
    if sizelimit > 0 && sizelimit < size {
        size = sizelimit;
    }
    size >> 9
}

/// `blk_validate_block_size`: a power of two from 512 to the page size.
pub fn is_valid_block_size(size: u64) -> bool {
    (512..=4096).contains(&size) && size.is_power_of_two()
}

/// `loop_info_to_64`: an old status as the new one (the offset sign-extended, so a negative
/// one is later `EOVERFLOW`; no size limit).
pub fn info_from_old(old: &LoopInfo) -> LoopInfo64 {
    let mut info = LoopInfo64::zeroed();
    info.lo_number = old.lo_number as u32;
    info.lo_device = old.lo_device;
    info.lo_inode = old.lo_inode;
    info.lo_rdevice = old.lo_rdevice;
    info.lo_offset = i64::from(old.lo_offset) as u64;
    info.lo_encrypt_type = old.lo_encrypt_type as u32;
    info.lo_encrypt_key_size = old.lo_encrypt_key_size as u32;
    info.lo_flags = old.lo_flags as u32;
    info.lo_init = old.lo_init;
    info.lo_file_name = old.lo_name;
    info.lo_encrypt_key = old.lo_encrypt_key;
    info
}

/// `loop_info64_to_old`: `EOVERFLOW` when the offset does not fit the old `int`.
pub fn info_to_old(info: &LoopInfo64) -> Result<LoopInfo, Errno> {
    let mut old = LoopInfo::zeroed();
    old.lo_number = info.lo_number as i32;
    old.lo_device = info.lo_device;
    old.lo_inode = info.lo_inode;
    old.lo_rdevice = info.lo_rdevice;
    old.lo_offset = info.lo_offset as i32;
    old.lo_encrypt_type = info.lo_encrypt_type as i32;
    old.lo_encrypt_key_size = info.lo_encrypt_key_size as i32;
    old.lo_flags = info.lo_flags as i32;
    old.lo_init = info.lo_init;
    old.lo_name = info.lo_file_name;
    old.lo_encrypt_key = info.lo_encrypt_key;
    if i64::from(old.lo_offset) as u64 != info.lo_offset {
        return Err(Errno::EOVERFLOW);
    }
    Ok(old)
}

/// The name a bound device keeps: the request's, its last byte forced to NUL.
pub fn file_name(
    requested: &[u8; abi::loop_dev::LO_NAME_SIZE],
) -> [u8; abi::loop_dev::LO_NAME_SIZE] {
    let mut name = *requested;
    name[name.len() - 1] = 0;
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_checks() {
        let mut info = LoopInfo64::zeroed();
        assert_eq!(check_info(&info), Ok(()));
        info.lo_encrypt_key_size = 33;
        assert_eq!(check_info(&info), Err(Errno::EINVAL));
        info.lo_encrypt_key_size = 32;
        info.lo_encrypt_type = 1;
        assert_eq!(check_info(&info), Err(Errno::EINVAL));
        info.lo_encrypt_type = 0;
        info.lo_offset = 1 << 63;
        assert_eq!(check_info(&info), Err(Errno::EOVERFLOW));
        info.lo_offset = 0;
        info.lo_sizelimit = u64::MAX;
        assert_eq!(check_info(&info), Err(Errno::EOVERFLOW));
    }

    #[test]
    fn set_status_masks() {
        // Read-only and direct I/O stay as they were; autoclear can go; partscan cannot.
        let previous = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
        assert_eq!(
            status_flags(previous, 0),
            LO_FLAGS_READ_ONLY | LO_FLAGS_PARTSCAN
        );
        assert_eq!(status_flags(0, LO_FLAGS_READ_ONLY), 0);
        assert_eq!(
            status_flags(
                0,
                LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO
            ),
            LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN
        );
        assert_eq!(status_flags(LO_FLAGS_DIRECT_IO, 0), LO_FLAGS_DIRECT_IO);
    }

    #[test]
    fn sizes() {
        assert_eq!(loop_sectors(1 << 20, 0, 0), 2048);
        assert_eq!(loop_sectors(1 << 20, 4096, 0), 2040);
        assert_eq!(loop_sectors(1 << 20, 4096, 8192), 16);
        assert_eq!(loop_sectors(1 << 20, 2 << 20, 0), 0);
        assert_eq!(loop_sectors(1000, 0, 0), 1);
        assert_eq!(loop_sectors(1 << 20, 0, 1 << 30), 2048);
        for (size, ok) in [
            (256, false),
            (512, true),
            (1024, true),
            (1536, false),
            (4096, true),
            (8192, false),
        ] {
            assert_eq!(is_valid_block_size(size), ok, "{size}");
        }
    }

    #[test]
    fn old_status_round_trip() {
        let mut old = LoopInfo::zeroed();
        old.lo_offset = 4096;
        old.lo_flags = LO_FLAGS_AUTOCLEAR as i32;
        old.lo_name[..3].copy_from_slice(b"abc");
        let info = info_from_old(&old);
        assert_eq!(info.lo_offset, 4096);
        assert_eq!(info.lo_sizelimit, 0);
        assert_eq!(&info.lo_file_name[..4], b"abc\0");
        let back = info_to_old(&info).unwrap();
        assert_eq!(back.lo_offset, 4096);
        assert_eq!(&back.lo_name[..4], b"abc\0");
        old.lo_offset = -1;
        assert_eq!(check_info(&info_from_old(&old)), Err(Errno::EOVERFLOW));
        let mut big = LoopInfo64::zeroed();
        big.lo_offset = 1 << 31;
        assert_eq!(info_to_old(&big).unwrap_err(), Errno::EOVERFLOW);
    }

    #[test]
    fn names_end_in_nul() {
        let name = file_name(&[b'x'; 64]);
        assert_eq!(name[63], 0);
        assert_eq!(name[62], b'x');
    }
}
