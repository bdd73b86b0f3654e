//! `struct statfs` ([`Statfs`]) and `struct stat` as x86-64 `stat`/`fstat`/`lstat`/`newfstatat` fill it
//! (`arch/x86/include/uapi/asm/stat.h`), and `struct statx` with `struct statx_timestamp`
//! (`include/uapi/linux/stat.h`).
//!
//! [`Statx`] has the layout of current kernels; the fields that Linux 6.1 keeps as spare
//! (`stx_subvol`, the atomic-write fields, `stx_dio_read_offset_align`) stay zero unless their
//! `STATX_*` bit is set in `stx_mask`, so user space built for either version reads it correctly.
//! Device numbers in [`Stat`] are encoded with [`crate::new_encode_dev`].

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `statx` mask: the fields `stat` has.
pub const STATX_BASIC_STATS: u32 = raw::STATX_BASIC_STATS;
/// `statx` mask: the mount id.
pub const STATX_MNT_ID: u32 = raw::STATX_MNT_ID;
/// `statx` mask: reserved for a future extension; `EINVAL` if asked for.
pub const STATX__RESERVED: u32 = raw::STATX__RESERVED;

/// `struct stat` on x86-64.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Stat {
    /// Device of the file system, encoded with [`crate::new_encode_dev`].
    pub st_dev: u64,
    /// Inode number.
    pub st_ino: u64,
    /// Number of hard links.
    pub st_nlink: u64,
    /// File type and permission bits.
    pub st_mode: u32,
    /// Owner.
    pub st_uid: u32,
    /// Group.
    pub st_gid: u32,
    /// Padding (`__pad0`).
    pub pad0: u32,
    /// Device number of a device node, encoded with [`crate::new_encode_dev`].
    pub st_rdev: u64,
    /// Size in bytes.
    pub st_size: i64,
    /// Preferred I/O block size.
    pub st_blksize: i64,
    /// Allocated 512-byte blocks.
    pub st_blocks: i64,
    /// Last access, seconds.
    pub st_atime: i64,
    /// Last access, nanoseconds.
    pub st_atime_nsec: u64,
    /// Last modification, seconds.
    pub st_mtime: i64,
    /// Last modification, nanoseconds.
    pub st_mtime_nsec: u64,
    /// Last status change, seconds.
    pub st_ctime: i64,
    /// Last status change, nanoseconds.
    pub st_ctime_nsec: u64,
    /// Unused (`__unused`).
    pub unused: [i64; 3],
}

assert_same_layout!(Stat, raw::stat, {
    st_dev => st_dev,
    st_ino => st_ino,
    st_nlink => st_nlink,
    st_mode => st_mode,
    st_uid => st_uid,
    st_gid => st_gid,
    pad0 => __pad0,
    st_rdev => st_rdev,
    st_size => st_size,
    st_blksize => st_blksize,
    st_blocks => st_blocks,
    st_atime => st_atime,
    st_atime_nsec => st_atime_nsec,
    st_mtime => st_mtime,
    st_mtime_nsec => st_mtime_nsec,
    st_ctime => st_ctime,
    st_ctime_nsec => st_ctime_nsec,
    unused => __unused,
});

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct StatxTimestamp {
    /// Seconds since the epoch.
    pub tv_sec: i64,
    /// Nanoseconds.
    pub tv_nsec: u32,
    /// Reserved (`__reserved`), zero.
    pub reserved: i32,
}

assert_same_layout!(StatxTimestamp, raw::statx_timestamp, {
    tv_sec => tv_sec,
    tv_nsec => tv_nsec,
    reserved => __reserved,
});

/// `struct statx`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Statx {
    /// Which fields are filled in (`STATX_*`).
    pub stx_mask: u32,
    /// Preferred I/O block size.
    pub stx_blksize: u32,
    /// `STATX_ATTR_*` flags.
    pub stx_attributes: u64,
    /// Number of hard links.
    pub stx_nlink: u32,
    /// Owner.
    pub stx_uid: u32,
    /// Group.
    pub stx_gid: u32,
    /// File type and permission bits.
    pub stx_mode: u16,
    /// Spare (`__spare0`).
    pub spare0: u16,
    /// Inode number.
    pub stx_ino: u64,
    /// Size in bytes.
    pub stx_size: u64,
    /// Allocated 512-byte blocks.
    pub stx_blocks: u64,
    /// Which `STATX_ATTR_*` flags the file system supports.
    pub stx_attributes_mask: u64,
    /// Last access.
    pub stx_atime: StatxTimestamp,
    /// Creation.
    pub stx_btime: StatxTimestamp,
    /// Last status change.
    pub stx_ctime: StatxTimestamp,
    /// Last modification.
    pub stx_mtime: StatxTimestamp,
    /// Major number of a device node.
    pub stx_rdev_major: u32,
    /// Minor number of a device node.
    pub stx_rdev_minor: u32,
    /// Major number of the file system's device.
    pub stx_dev_major: u32,
    /// Minor number of the file system's device.
    pub stx_dev_minor: u32,
    /// Mount id (`STATX_MNT_ID`).
    pub stx_mnt_id: u64,
    /// Memory alignment for direct I/O (`STATX_DIOALIGN`).
    pub stx_dio_mem_align: u32,
    /// File offset alignment for direct I/O (`STATX_DIOALIGN`).
    pub stx_dio_offset_align: u32,
    /// Subvolume id (`STATX_SUBVOL`, Linux 6.10).
    pub stx_subvol: u64,
    /// Minimum atomic write unit (`STATX_WRITE_ATOMIC`, Linux 6.11).
    pub stx_atomic_write_unit_min: u32,
    /// Maximum atomic write unit.
    pub stx_atomic_write_unit_max: u32,
    /// Maximum atomic write segments.
    pub stx_atomic_write_segments_max: u32,
    /// File offset alignment for direct reads (`STATX_DIO_READ_ALIGN`, Linux 6.14).
    pub stx_dio_read_offset_align: u32,
    /// Optimised maximum atomic write unit.
    pub stx_atomic_write_unit_max_opt: u32,
    /// Spare (`__spare2`).
    pub spare2: [u32; 1],
    /// Spare (`__spare3`).
    pub spare3: [u64; 8],
}

assert_same_layout!(Statx, raw::statx, {
    stx_mask => stx_mask,
    stx_blksize => stx_blksize,
    stx_attributes => stx_attributes,
    stx_nlink => stx_nlink,
    stx_uid => stx_uid,
    stx_gid => stx_gid,
    stx_mode => stx_mode,
    spare0 => __spare0,
    stx_ino => stx_ino,
    stx_size => stx_size,
    stx_blocks => stx_blocks,
    stx_attributes_mask => stx_attributes_mask,
    stx_atime => stx_atime,
    stx_btime => stx_btime,
    stx_ctime => stx_ctime,
    stx_mtime => stx_mtime,
    stx_rdev_major => stx_rdev_major,
    stx_rdev_minor => stx_rdev_minor,
    stx_dev_major => stx_dev_major,
    stx_dev_minor => stx_dev_minor,
    stx_mnt_id => stx_mnt_id,
    stx_dio_mem_align => stx_dio_mem_align,
    stx_dio_offset_align => stx_dio_offset_align,
    stx_subvol => stx_subvol,
    stx_atomic_write_unit_min => stx_atomic_write_unit_min,
    stx_atomic_write_unit_max => stx_atomic_write_unit_max,
    stx_atomic_write_segments_max => stx_atomic_write_segments_max,
    stx_dio_read_offset_align => stx_dio_read_offset_align,
    stx_atomic_write_unit_max_opt => stx_atomic_write_unit_max_opt,
    spare2 => __spare2,
    spare3 => __spare3,
});

/// `struct statfs` on x86-64 (`statfs`/`fstatfs`; `statfs64` has the same layout there).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Statfs {
    /// Filesystem magic (`TMPFS_MAGIC`…).
    pub f_type: i64,
    /// Block size.
    pub f_bsize: i64,
    /// Total blocks.
    pub f_blocks: u64,
    /// Free blocks.
    pub f_bfree: u64,
    /// Free blocks for unprivileged users.
    pub f_bavail: u64,
    /// Total inodes.
    pub f_files: u64,
    /// Free inodes.
    pub f_ffree: u64,
    /// Filesystem id (two ints).
    pub f_fsid: [i32; 2],
    /// Longest name.
    pub f_namelen: i64,
    /// Fragment size.
    pub f_frsize: i64,
    /// `ST_*` mount flags.
    pub f_flags: i64,
    /// Spare.
    pub f_spare: [i64; 4],
}

/// `statfs` `f_flags` (Linux `include/linux/statfs.h`).
pub mod st_flags {
    /// Read-only.
    pub const ST_RDONLY: i64 = 0x0001;
    /// Set-id bits ignored.
    pub const ST_NOSUID: i64 = 0x0002;
    /// No device files.
    pub const ST_NODEV: i64 = 0x0004;
    /// No execution.
    pub const ST_NOEXEC: i64 = 0x0008;
    /// Synchronous writes.
    pub const ST_SYNCHRONOUS: i64 = 0x0010;
    /// `f_flags` is valid (always set).
    pub const ST_VALID: i64 = 0x0020;
    /// Mandatory locks.
    pub const ST_MANDLOCK: i64 = 0x0040;
    /// No access times.
    pub const ST_NOATIME: i64 = 0x0400;
    /// No directory access times.
    pub const ST_NODIRATIME: i64 = 0x0800;
    /// Relative access times.
    pub const ST_RELATIME: i64 = 0x1000;
    /// Symlinks not followed.
    pub const ST_NOSYMFOLLOW: i64 = 0x2000;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn statfs_matches_linux_raw_sys() {
        assert_eq!(size_of::<Statfs>(), size_of::<raw::statfs>());
        assert_eq!(size_of::<Statfs>(), 120);
        assert_eq!(offset_of!(Statfs, f_fsid), offset_of!(raw::statfs, f_fsid));
        assert_eq!(
            offset_of!(Statfs, f_flags),
            offset_of!(raw::statfs, f_flags)
        );
    }

    #[test]
    fn stat_matches_the_x86_64_abi() {
        assert_eq!(size_of::<Stat>(), 144);
        assert_eq!(offset_of!(Stat, st_mode), 24);
        assert_eq!(offset_of!(Stat, st_rdev), 40);
        assert_eq!(offset_of!(Stat, st_size), 48);
        assert_eq!(offset_of!(Stat, st_atime), 72);
        assert_eq!(offset_of!(Stat, st_ctime_nsec), 112);
    }

    #[test]
    fn statx_matches_the_abi() {
        assert_eq!(size_of::<StatxTimestamp>(), 16);
        assert_eq!(size_of::<Statx>(), 256);
        assert_eq!(offset_of!(Statx, stx_mode), 28);
        assert_eq!(offset_of!(Statx, stx_ino), 32);
        assert_eq!(offset_of!(Statx, stx_atime), 64);
        assert_eq!(offset_of!(Statx, stx_mtime), 112);
        assert_eq!(offset_of!(Statx, stx_rdev_major), 128);
        assert_eq!(offset_of!(Statx, stx_mnt_id), 144);
        assert_eq!(offset_of!(Statx, stx_dio_mem_align), 152);
    }

    #[test]
    fn zeroed_structs_are_all_zero_bytes() {
        assert!(Stat::default().as_bytes().iter().all(|&b| b == 0));
        assert!(Statx::default().as_bytes().iter().all(|&b| b == 0));
    }
}
