//! Supplementary groups (Linux's `kernel/groups.c`): getgroups and setgroups.

use super::args::UserPtr;
use super::sys::change_credentials;
use super::{SyscallContext, SyscallResult};
use crate::ns::user::MapKind;
use crate::process::credentials::{self, NGROUPS_MAX};
use abi::Errno;
use alloc::vec::Vec;

/// setgroups (`kernel/groups.c`): EPERM without CAP_SETGID in the caller's user namespace or
/// when that namespace does not allow setgroups (`deny` in `/proc/PID/setgroups`, or no gid
/// map yet: `may_setgroups`), EINVAL above NGROUPS_MAX or for a gid that is -1 or unmapped,
/// EFAULT for an unreadable list. The ids are given and shown in the caller's namespace.
pub fn setgroups(context: &mut SyscallContext<'_>, size: i32, list: UserPtr<u32>) -> SyscallResult {
    let credentials = context.thread.process.credentials.lock().clone();
    let user_ns = credentials.user_ns.0.clone();
    let may_setgroups = credentials.caps.has(abi::capability::CAP_SETGID)
        && user_ns.is_setgroups_allowed()
        && user_ns.has_map(MapKind::Gid);
    if !may_setgroups {
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
        let gid = credentials
            .kernel_id(MapKind::Gid, gid)
            .ok_or(Errno::EINVAL)?;
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
    let groups: Vec<u32> = {
        let credentials = context.thread.process.credentials.lock();
        credentials
            .groups
            .iter()
            .map(|&gid| credentials.view(MapKind::Gid, gid))
            .collect()
    };
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
