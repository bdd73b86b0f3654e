//! Supplementary groups (Linux's `kernel/groups.c`): getgroups and setgroups.

use super::args::UserPtr;
use super::sys::change_credentials;
use super::{SyscallContext, SyscallResult};
use crate::process::credentials::{self, NGROUPS_MAX};
use abi::Errno;
use alloc::vec::Vec;

/// setgroups (`kernel/groups.c`): EPERM without CAP_SETGID, EINVAL above NGROUPS_MAX or for
/// the invalid gid -1, EFAULT for an unreadable list.
pub fn setgroups(context: &mut SyscallContext<'_>, size: i32, list: UserPtr<u32>) -> SyscallResult {
    if !context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SETGID)
    {
        return Err(Errno::EPERM);
    }
    let count = size as u32 as usize;
    if count > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(count * 4)
        .map_err(|_| Errno::ENOMEM)?;
    bytes.resize(count * 4, 0);
    if count > 0 {
        hal::usercopy::copy_from_user(&mut bytes, list.address)?;
    }
    let mut groups = Vec::new();
    groups.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
    for chunk in bytes.chunks_exact(4) {
        let gid = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if gid == credentials::NO_ID {
            return Err(Errno::EINVAL);
        }
        groups.push(gid);
    }
    change_credentials(context, |credentials| {
        credentials.set_groups(groups);
        Ok(())
    })?;
    Ok(0)
}

/// getgroups: the count when `size` is 0, EINVAL when `size` is negative or too small.
pub fn getgroups(context: &mut SyscallContext<'_>, size: i32, list: UserPtr<u32>) -> SyscallResult {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let groups = context.thread.process.credentials.lock().groups.clone();
    if size == 0 {
        return Ok(groups.len());
    }
    if groups.len() > size as usize {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|gid| gid.to_le_bytes()).collect();
    hal::usercopy::copy_to_user(list.address, &bytes)?;
    Ok(groups.len())
}
