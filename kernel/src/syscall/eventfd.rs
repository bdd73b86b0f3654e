//! eventfd, eventfd2 (Linux `fs/eventfd.c`, eventfd(2)).
//!
//! Flags: `EFD_CLOEXEC`, `EFD_NONBLOCK`, `EFD_SEMAPHORE`; others are `EINVAL`. The file's
//! status flags are `O_RDWR | O_NONBLOCK?`, as `anon_inode_getfile` keeps them.

use super::{SyscallContext, SyscallResult};
use crate::fs::eventfd::EventFd;
use crate::fs::file::OpenFile;
use abi::{EventfdFlags, KnownFlags, OpenFlags};
use alloc::sync::Arc;

pub fn eventfd(context: &mut SyscallContext<'_>, initial: u32) -> SyscallResult {
    eventfd2(context, initial, EventfdFlags::empty())
}

pub fn eventfd2(
    context: &mut SyscallContext<'_>,
    initial: u32,
    flags: EventfdFlags,
) -> SyscallResult {
    let flags = flags.accept_only(EventfdFlags::all())?;
    let ops = Arc::new(EventFd::new(
        u64::from(initial),
        flags.contains(EventfdFlags::EFD_SEMAPHORE),
    ));
    let status = if flags.contains(EventfdFlags::EFD_NONBLOCK) {
        OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::O_RDWR
    };
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let file = Arc::new(OpenFile::new(ops, None, status, charge)?);
    super::fcntl::install(context, file, flags.contains(EventfdFlags::EFD_CLOEXEC))
}
