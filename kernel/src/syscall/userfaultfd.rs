//! userfaultfd(2) (Linux 6.1 `fs/userfaultfd.c`): flags other than `O_CLOEXEC`,
//! `O_NONBLOCK` and `UFFD_USER_MODE_ONLY` are `EINVAL`; without `UFFD_USER_MODE_ONLY` an
//! unprivileged caller (no `CAP_SYS_PTRACE`) needs `vm.unprivileged_userfaultfd` = 1
//! (`EPERM`). The file is `anon_inode:[userfaultfd]`, `O_RDONLY` plus `O_NONBLOCK` if asked;
//! see [`crate::fs::userfaultfd`] for what it does.

use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::userfaultfd::{UNPRIVILEGED_USERFAULTFD, UserfaultFile};
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

const USER_MODE_ONLY: i32 = abi::raw::general::UFFD_USER_MODE_ONLY as i32;

pub fn userfaultfd(context: &mut SyscallContext<'_>, flags: i32) -> SyscallResult {
    let cloexec = OpenFlags::O_CLOEXEC.bits() as i32;
    let nonblock = OpenFlags::O_NONBLOCK.bits() as i32;
    if flags & !(cloexec | nonblock | USER_MODE_ONLY) != 0 {
        return Err(Errno::EINVAL);
    }
    let is_user_mode_only = flags & USER_MODE_ONLY != 0;
    if !is_user_mode_only
        && UNPRIVILEGED_USERFAULTFD.load(Ordering::Relaxed) == 0
        && !context
            .thread
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_PTRACE)
    {
        return Err(Errno::EPERM);
    }
    let mm = context.thread.process.mm.get();
    let is_nonblocking = flags & nonblock != 0;
    let ops = Arc::new(UserfaultFile::new(&mm, is_user_mode_only, is_nonblocking));
    // `anon_inode_getfd(..., O_RDONLY | (flags & UFFD_SHARED_FCNTL_FLAGS))`.
    let status = if is_nonblocking {
        OpenFlags::O_RDONLY | OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::O_RDONLY
    };
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let file = Arc::new(OpenFile::new(ops, None, status, charge)?);
    super::fcntl::install(context, file, flags & cloexec != 0)
}
