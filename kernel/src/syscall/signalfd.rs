//! signalfd, signalfd4 (Linux `fs/signalfd.c`, signalfd(2)).
//!
//! `sizemask` must be 8 (`EINVAL`), the mask is read (`EFAULT`), then flags other than
//! `SFD_CLOEXEC | SFD_NONBLOCK` are `EINVAL`. With `fd == -1` a new signalfd is made (status
//! flags `O_RDWR | O_NONBLOCK?`, as `anon_inode_getfile` keeps them); otherwise `fd` must be
//! open (`EBADF`) and a signalfd (`EINVAL`), whose mask is replaced (the flags then change
//! nothing) and which is returned.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::signalfd::SignalFd;
use abi::signal::{KERNEL_SIGSET_SIZE, SignalfdFlags};
use abi::{Errno, KnownFlags, OpenFlags};
use alloc::sync::Arc;

pub fn signalfd(
    context: &mut SyscallContext<'_>,
    fd: i32,
    mask: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    signalfd4(context, fd, mask, size, SignalfdFlags::empty())
}

pub fn signalfd4(
    context: &mut SyscallContext<'_>,
    fd: i32,
    mask: UserPtr<u64>,
    size: usize,
    flags: SignalfdFlags,
) -> SyscallResult {
    if size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let mask = mask.read()?;
    let flags = flags.accept_only(SignalfdFlags::all())?;
    if fd != -1 {
        let file = context.thread.process.files.get().lock().get(fd)?;
        let signalfd = file.ops.as_signalfd().ok_or(Errno::EINVAL)?;
        signalfd.set_mask(mask, context.thread);
        return Ok(fd as usize);
    }
    let ops = Arc::new(SignalFd::new(mask));
    let status = if flags.contains(SignalfdFlags::SFD_NONBLOCK) {
        OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::O_RDWR
    };
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let file = Arc::new(OpenFile::new(ops, None, status, charge)?);
    super::fcntl::install(context, file, flags.contains(SignalfdFlags::SFD_CLOEXEC))
}
