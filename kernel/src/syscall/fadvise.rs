//! fadvise64 (Linux 6.1 `mm/fadvise.c`) and readahead (`mm/readahead.c`, `ksys_readahead`).
//!
//! Every file's data is in memory (tmpfs and the devices have no backing store, Linux's
//! `noop_backing_dev_info`), so as in Linux the advice is checked and then has nothing to do:
//! `EBADF` for a bad or `O_PATH` descriptor, `ESPIPE` on a pipe, `EINVAL` for a negative
//! length or an advice outside `POSIX_FADV_NORMAL ..= POSIX_FADV_NOREUSE`; a negative offset is
//! accepted. readahead wants a descriptor open for reading (`EBADF`) of a regular file
//! (`EINVAL`), then gives `POSIX_FADV_WILLNEED` for its range (a count that is negative as a
//! file offset: `EINVAL`).

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use abi::Errno;

/// `POSIX_FADV_NOREUSE`, the last advice.
const POSIX_FADV_NOREUSE: i32 = 5;
/// `POSIX_FADV_WILLNEED`.
const POSIX_FADV_WILLNEED: i32 = 3;

fn advise(file: &crate::fs::file::OpenFile, len: i64, advice: i32) -> SyscallResult {
    if !file.ops.is_anon_inode() && file.ops.metadata().file_type == vfs::FileType::Fifo {
        return Err(Errno::ESPIPE);
    }
    if len < 0 || !(0..=POSIX_FADV_NOREUSE).contains(&advice) {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub fn fadvise64(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    offset: i64,
    len: i64,
    advice: i32,
) -> SyscallResult {
    let _ = offset;
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    advise(&file, len, advice)
}

pub fn readahead(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    offset: i64,
    count: usize,
) -> SyscallResult {
    let _ = offset;
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() || !file.is_readable() {
        return Err(Errno::EBADF);
    }
    if file.ops.is_anon_inode() || file.ops.metadata().file_type != vfs::FileType::Regular {
        return Err(Errno::EINVAL);
    }
    advise(&file, count as i64, POSIX_FADV_WILLNEED)
}
