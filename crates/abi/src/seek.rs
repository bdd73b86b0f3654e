//! `whence` values of `lseek` (`include/uapi/linux/fs.h`); anything else is `EINVAL`.

use linux_raw_sys::general as raw;

/// From the start of the file.
pub const SEEK_SET: u32 = raw::SEEK_SET;
/// From the current position.
pub const SEEK_CUR: u32 = raw::SEEK_CUR;
/// From the end of the file.
pub const SEEK_END: u32 = raw::SEEK_END;
/// To the next data at or after the offset.
pub const SEEK_DATA: u32 = raw::SEEK_DATA;
/// To the next hole at or after the offset.
pub const SEEK_HOLE: u32 = raw::SEEK_HOLE;
/// The largest valid `whence`.
pub const SEEK_MAX: u32 = raw::SEEK_MAX;
