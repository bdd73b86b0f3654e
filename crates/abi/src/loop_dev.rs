//! Loop devices' requests and structures (`include/uapi/linux/loop.h`): the `LOOP_*` ioctls of
//! `/dev/loopN` and `/dev/loop-control`, the `LO_FLAGS_*` bits, and `struct loop_info`,
//! `struct loop_info64` and `struct loop_config` as plain bytes to copy to and from user memory.

use linux_raw_sys::loop_device as raw;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Bind a file (`int fd` as the argument).
pub const LOOP_SET_FD: u32 = raw::LOOP_SET_FD;
/// Unbind.
pub const LOOP_CLR_FD: u32 = raw::LOOP_CLR_FD;
/// Set offset, flags and name from a `struct loop_info`.
pub const LOOP_SET_STATUS: u32 = raw::LOOP_SET_STATUS;
/// Read the state as a `struct loop_info`.
pub const LOOP_GET_STATUS: u32 = raw::LOOP_GET_STATUS;
/// Set offset, size limit, flags and name from a `struct loop_info64`.
pub const LOOP_SET_STATUS64: u32 = raw::LOOP_SET_STATUS64;
/// Read the state as a `struct loop_info64`.
pub const LOOP_GET_STATUS64: u32 = raw::LOOP_GET_STATUS64;
/// Replace the backing file of a read-only device with one of the same size.
pub const LOOP_CHANGE_FD: u32 = raw::LOOP_CHANGE_FD;
/// Read the backing file's size again.
pub const LOOP_SET_CAPACITY: u32 = raw::LOOP_SET_CAPACITY;
/// Turn direct I/O to the backing file on or off.
pub const LOOP_SET_DIRECT_IO: u32 = raw::LOOP_SET_DIRECT_IO;
/// Set the logical block size.
pub const LOOP_SET_BLOCK_SIZE: u32 = raw::LOOP_SET_BLOCK_SIZE;
/// Bind and configure at once from a `struct loop_config`.
pub const LOOP_CONFIGURE: u32 = raw::LOOP_CONFIGURE;
/// `/dev/loop-control`: add device N.
pub const LOOP_CTL_ADD: u32 = raw::LOOP_CTL_ADD;
/// `/dev/loop-control`: remove device N.
pub const LOOP_CTL_REMOVE: u32 = raw::LOOP_CTL_REMOVE;
/// `/dev/loop-control`: the first unbound device, made if there is none.
pub const LOOP_CTL_GET_FREE: u32 = raw::LOOP_CTL_GET_FREE;

/// Writes are refused.
pub const LO_FLAGS_READ_ONLY: u32 = raw::LO_FLAGS_READ_ONLY as u32;
/// Unbind at the last close.
pub const LO_FLAGS_AUTOCLEAR: u32 = raw::LO_FLAGS_AUTOCLEAR as u32;
/// Scan the device's partition table.
pub const LO_FLAGS_PARTSCAN: u32 = raw::LO_FLAGS_PARTSCAN as u32;
/// I/O to the backing file bypasses its page cache.
pub const LO_FLAGS_DIRECT_IO: u32 = raw::LO_FLAGS_DIRECT_IO as u32;

/// `lo_file_name` and `lo_crypt_name` length.
pub const LO_NAME_SIZE: usize = raw::LO_NAME_SIZE as usize;
/// `lo_encrypt_key` length.
pub const LO_KEY_SIZE: usize = raw::LO_KEY_SIZE as usize;
/// No transformation, the only one 6.1 still has.
pub const LO_CRYPT_NONE: u32 = raw::LO_CRYPT_NONE;

/// `struct loop_info64`.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct LoopInfo64 {
    pub lo_device: u64,
    pub lo_inode: u64,
    pub lo_rdevice: u64,
    pub lo_offset: u64,
    pub lo_sizelimit: u64,
    pub lo_number: u32,
    pub lo_encrypt_type: u32,
    pub lo_encrypt_key_size: u32,
    pub lo_flags: u32,
    pub lo_file_name: [u8; LO_NAME_SIZE],
    pub lo_crypt_name: [u8; LO_NAME_SIZE],
    pub lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub lo_init: [u64; 2],
}

assert_same_layout!(LoopInfo64, raw::loop_info64, {
    lo_device => lo_device, lo_inode => lo_inode, lo_rdevice => lo_rdevice,
    lo_offset => lo_offset, lo_sizelimit => lo_sizelimit, lo_number => lo_number,
    lo_encrypt_type => lo_encrypt_type, lo_encrypt_key_size => lo_encrypt_key_size,
    lo_flags => lo_flags, lo_file_name => lo_file_name, lo_crypt_name => lo_crypt_name,
    lo_encrypt_key => lo_encrypt_key, lo_init => lo_init,
});

impl LoopInfo64 {
    /// All zeros.
    pub fn zeroed() -> LoopInfo64 {
        <Self as FromZeros>::new_zeroed()
    }
}

/// `struct loop_info` (the old one: 32-bit offset, `unsigned long` device numbers).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct LoopInfo {
    pub lo_number: i32,
    pub _pad0: u32,
    pub lo_device: u64,
    pub lo_inode: u64,
    pub lo_rdevice: u64,
    pub lo_offset: i32,
    pub lo_encrypt_type: i32,
    pub lo_encrypt_key_size: i32,
    pub lo_flags: i32,
    pub lo_name: [u8; LO_NAME_SIZE],
    pub lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub lo_init: [u64; 2],
    pub reserved: [u8; 4],
    pub _pad1: [u8; 4],
}

assert_same_layout!(LoopInfo, raw::loop_info, {
    lo_number => lo_number, lo_device => lo_device, lo_inode => lo_inode,
    lo_rdevice => lo_rdevice, lo_offset => lo_offset, lo_encrypt_type => lo_encrypt_type,
    lo_encrypt_key_size => lo_encrypt_key_size, lo_flags => lo_flags, lo_name => lo_name,
    lo_encrypt_key => lo_encrypt_key, lo_init => lo_init, reserved => reserved,
});

impl LoopInfo {
    /// All zeros.
    pub fn zeroed() -> LoopInfo {
        <Self as FromZeros>::new_zeroed()
    }
}

/// `struct loop_config` (`LOOP_CONFIGURE`).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct LoopConfig {
    pub fd: u32,
    pub block_size: u32,
    pub info: LoopInfo64,
    pub reserved: [u64; 8],
}

assert_same_layout!(LoopConfig, raw::loop_config, {
    fd => fd, block_size => block_size, info => info, reserved => __reserved,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_numbers_as_linux() {
        assert_eq!(core::mem::size_of::<LoopInfo64>(), 232);
        assert_eq!(core::mem::size_of::<LoopInfo>(), 168);
        assert_eq!(core::mem::size_of::<LoopConfig>(), 304);
        assert_eq!(LOOP_SET_FD, 0x4c00);
        assert_eq!(LOOP_CONFIGURE, 0x4c0a);
        assert_eq!(LOOP_CTL_GET_FREE, 0x4c82);
        assert_eq!(
            (
                LO_FLAGS_READ_ONLY,
                LO_FLAGS_AUTOCLEAR,
                LO_FLAGS_PARTSCAN,
                LO_FLAGS_DIRECT_IO
            ),
            (1, 4, 8, 16)
        );
    }
}
