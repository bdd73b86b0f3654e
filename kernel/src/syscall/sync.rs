//! sync, fsync and fdatasync (Linux's `fs/sync.c`).

use super::{SyscallContext, SyscallResult};
use abi::Errno;

/// sync: every filesystem today lives in memory, so there is nothing to write back.
pub fn sync(_: &mut SyscallContext<'_>) -> SyscallResult {
    Ok(0)
}

/// fsync/fdatasync: as `sync`, for one descriptor (EBADF for a bad one, EINVAL for O_PATH-less
/// special files is not applied: Linux answers EINVAL only for files without fsync, which our
/// in-memory files all have).
pub fn fsync(context: &mut SyscallContext<'_>, fd: super::args::Fd) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(0)
}
