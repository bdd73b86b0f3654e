//! File-type bits of `st_mode` as cpio stores them (the values of Linux's `include/uapi/linux/stat.h`,
//! which cpio's `c_mode` field shares).

/// Mask of the file-type bits.
pub const S_IFMT: u32 = 0o170000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO (named pipe).
pub const S_IFIFO: u32 = 0o010000;
/// Mask of the permission bits, including set-uid, set-gid and sticky.
pub const PERMISSION_MASK: u32 = 0o7777;
