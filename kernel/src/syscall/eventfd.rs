//! eventfd, eventfd2 (Linux `fs/eventfd.c`, eventfd(2)).
//!
//! Flags: `EFD_CLOEXEC`, `EFD_NONBLOCK`, `EFD_SEMAPHORE`; others are `EINVAL`. The file's
//! status flags are `O_RDWR | O_NONBLOCK?`, as `anon_inode_getfile` keeps them.

use super::{SyscallContext, SyscallResult};
use crate::fs::eventfd::EventFd;
use crate::fs::file::OpenFile;
use abi::poll::{EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE};
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;

pub fn eventfd(context: &mut SyscallContext<'_>, initial: u32) -> SyscallResult {
    eventfd2(context, initial, 0)
}

pub fn eventfd2(context: &mut SyscallContext<'_>, initial: u32, flags: u32) -> SyscallResult {
    if flags & !(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE) != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = Arc::new(EventFd::new(u64::from(initial), flags & EFD_SEMAPHORE != 0));
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_retain(flags) & OpenFlags::O_NONBLOCK);
    let file = Arc::new(OpenFile::new(ops, None, status));
    super::fcntl::install(context, file, flags & EFD_CLOEXEC != 0)
}
