//! process_vm_readv(2) and process_vm_writev(2) (Linux `mm/process_vm_access.c`): copies
//! between the caller's buffers and another process's memory.
//!
//! `flags` must be 0 and each iovec count at most `UIO_MAXIOV` (`EINVAL`); an empty local side
//! copies nothing; the target is any thread id (`ESRCH`), reached with ptrace's attach
//! permission on real ids (`EPERM`). The remote ranges are walked in order with the mapping's
//! own rights (no `FOLL_FORCE`: a read-only page is not written); the copy stops at the first
//! page that cannot be reached or local buffer that faults, and the call returns the bytes
//! copied, or `EFAULT` if there were none.

use super::args::UserPtr;
use super::read_write::read_iovecs;
use super::{SyscallContext, SyscallResult};
use crate::process::table;
use abi::Errno;
use abi::uio::Iovec;
use alloc::vec::Vec;

const PAGE_SIZE: u64 = 4096;

pub fn process_vm_readv(
    context: &mut SyscallContext<'_>,
    pid: i32,
    local: UserPtr<Iovec>,
    local_count: u64,
    remote: UserPtr<Iovec>,
    remote_count: u64,
    flags: u64,
) -> SyscallResult {
    process_vm_rw(
        context,
        pid,
        local,
        local_count,
        remote,
        remote_count,
        flags,
        false,
    )
}

pub fn process_vm_writev(
    context: &mut SyscallContext<'_>,
    pid: i32,
    local: UserPtr<Iovec>,
    local_count: u64,
    remote: UserPtr<Iovec>,
    remote_count: u64,
    flags: u64,
) -> SyscallResult {
    process_vm_rw(
        context,
        pid,
        local,
        local_count,
        remote,
        remote_count,
        flags,
        true,
    )
}

fn count_of(count: u64) -> Result<i32, Errno> {
    i32::try_from(count).map_err(|_| Errno::EINVAL)
}

#[allow(clippy::too_many_arguments)]
fn process_vm_rw(
    context: &mut SyscallContext<'_>,
    pid: i32,
    local: UserPtr<Iovec>,
    local_count: u64,
    remote: UserPtr<Iovec>,
    remote_count: u64,
    flags: u64,
    is_write: bool,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let locals = read_iovecs(local, count_of(local_count)?)?;
    if locals.iter().all(|vector| vector.iov_len == 0) {
        return Ok(0);
    }
    let remotes = read_iovecs(remote, count_of(remote_count)?)?;
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    let thread = table::find_thread_in(context.thread.pid_ns(), pid as u32).ok_or(Errno::ESRCH)?;
    let target = thread.process.clone();
    crate::process::ptrace::may_access(context.thread, &target, false)?;
    if target.is_zombie() {
        return Err(Errno::ESRCH);
    }
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(PAGE_SIZE as usize)
        .map_err(|_| Errno::ENOMEM)?;
    buffer.resize(PAGE_SIZE as usize, 0);
    let mut done = 0usize;
    let mut locals = locals.iter().filter(|vector| vector.iov_len > 0).copied();
    let Some(mut current) = locals.next() else {
        return Ok(0);
    };
    'remote: for vector in remotes.iter().filter(|vector| vector.iov_len > 0) {
        let mut address = vector.iov_base;
        let mut left = vector.iov_len;
        while left > 0 {
            if current.iov_len == 0 {
                match locals.next() {
                    Some(next) => current = next,
                    None => break 'remote,
                }
            }
            let in_page = PAGE_SIZE - (address % PAGE_SIZE);
            let chunk = left.min(current.iov_len).min(in_page) as usize;
            let piece = &mut buffer[..chunk];
            let copied = if is_write {
                if hal::usercopy::copy_from_user(piece, current.iov_base).is_err() {
                    break 'remote;
                }
                let mm = target.mm.get();
                let space = mm.read();
                space.access_remote(address, piece, true, false)
            } else {
                let copied = {
                    let mm = target.mm.get();
                    let space = mm.read();
                    space.access_remote(address, piece, false, false)
                };
                if hal::usercopy::copy_to_user(current.iov_base, &piece[..copied]).is_err() {
                    break 'remote;
                }
                copied
            };
            done += copied;
            if copied < chunk {
                break 'remote;
            }
            address += chunk as u64;
            left -= chunk as u64;
            current.iov_base += chunk as u64;
            current.iov_len -= chunk as u64;
        }
    }
    if done == 0 {
        return Err(Errno::EFAULT);
    }
    Ok(done)
}
