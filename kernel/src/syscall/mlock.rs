//! mlock, mlock2, munlock, mlockall, munlockall (Linux's `mm/mlock.c`). The range is widened to
//! whole pages (an unaligned start is rounded down, not refused). Locking needs `CAP_IPC_LOCK`
//! (root's effective id until capabilities are fine-grained) or a non-zero `RLIMIT_MEMLOCK`
//! (`EPERM`), and without the capability the locked total must stay within that limit
//! (`ENOMEM`). The work on the areas is in [`crate::mm::address_space::lock`].

use super::{SyscallContext, SyscallResult};
use crate::mm::address_space::lock::LockMode;
use crate::mm::{PAGE_SIZE, page_align_up};
use crate::process::rlimit::RLIMIT_MEMLOCK;
use abi::Errno;
use abi::raw::general::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT};

/// The lock limit in bytes for the caller, `None` with `CAP_IPC_LOCK`; `EPERM` when the caller
/// may not lock at all (`can_do_mlock`).
fn lock_limit(context: &SyscallContext<'_>) -> Result<Option<u64>, Errno> {
    let process = &context.thread.process;
    if process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_IPC_LOCK)
    {
        return Ok(None);
    }
    let limit = process
        .limits
        .lock()
        .get(RLIMIT_MEMLOCK)
        .map_or(u64::MAX, |limit| limit.soft);
    if limit == 0 {
        return Err(Errno::EPERM);
    }
    Ok(Some(limit))
}

/// `[start, end)`: `addr` rounded down and `len` grown to whole pages (`ENOMEM` on overflow,
/// as the range then leaves user space).
fn page_range(addr: u64, len: u64) -> Result<(u64, u64), Errno> {
    let start = addr & !(PAGE_SIZE - 1);
    let end = len
        .checked_add(addr - start)
        .and_then(page_align_up)
        .and_then(|len| start.checked_add(len))
        .ok_or(Errno::ENOMEM)?;
    Ok((start, end))
}

fn do_mlock(
    context: &mut SyscallContext<'_>,
    addr: u64,
    len: u64,
    mode: LockMode,
) -> SyscallResult {
    let limit = lock_limit(context)?;
    let (start, end) = page_range(addr, len)?;
    if start == end {
        return Ok(0);
    }
    context
        .thread
        .process
        .mm
        .get()
        .write()
        .lock_range(start, end, mode, limit)?;
    Ok(0)
}

pub fn mlock(context: &mut SyscallContext<'_>, addr: u64, len: u64) -> SyscallResult {
    do_mlock(context, addr, len, LockMode::Now)
}

pub fn mlock2(context: &mut SyscallContext<'_>, addr: u64, len: u64, flags: u32) -> SyscallResult {
    if flags & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    let mode = if flags & MLOCK_ONFAULT != 0 {
        LockMode::OnFault
    } else {
        LockMode::Now
    };
    do_mlock(context, addr, len, mode)
}

pub fn munlock(context: &mut SyscallContext<'_>, addr: u64, len: u64) -> SyscallResult {
    let (start, end) = page_range(addr, len)?;
    if start == end {
        return Ok(0);
    }
    context
        .thread
        .process
        .mm
        .get()
        .write()
        .unlock_range(start, end)?;
    Ok(0)
}

pub fn mlockall(context: &mut SyscallContext<'_>, flags: i32) -> SyscallResult {
    let flags = u32::try_from(flags).map_err(|_| Errno::EINVAL)?;
    if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT
    {
        return Err(Errno::EINVAL);
    }
    let limit = lock_limit(context)?;
    let mode = if flags & MCL_ONFAULT != 0 {
        LockMode::OnFault
    } else {
        LockMode::Now
    };
    let current = (flags & MCL_CURRENT != 0).then_some(mode);
    let future = (flags & MCL_FUTURE != 0).then_some(mode);
    context
        .thread
        .process
        .mm
        .get()
        .write()
        .lock_all(current, future, limit)?;
    Ok(0)
}

pub fn munlockall(context: &mut SyscallContext<'_>) -> SyscallResult {
    context.thread.process.mm.get().write().unlock_all();
    Ok(0)
}
