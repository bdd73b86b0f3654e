//! sysfs(2), the obsolete call that numbers the registered filesystem types (Linux
//! `fs/filesystems.c`, `sys_sysfs`): option 1 gives the index of a type by name (`EINVAL` for
//! no such type), option 2 copies the name at an index, NUL included (`EINVAL` past the last),
//! option 3 the number of types; any other option is `EINVAL`. Indexes follow registration
//! order, as `/proc/filesystems` lists them.

use super::args::UserCStr;
use super::{SyscallContext, SyscallResult};
use crate::fs::filesystems::REGISTRY;
use abi::Errno;

/// The longest name option 1 reads (`getname`'s limit).
const NAME_MAX_LEN: usize = super::args::PATH_MAX - 1;

pub fn sysfs(_: &mut SyscallContext<'_>, option: i32, arg1: u64, arg2: u64) -> SyscallResult {
    match option {
        1 => {
            let name = UserCStr(arg1).read(NAME_MAX_LEN)?;
            REGISTRY.index_of(&name).ok_or(Errno::EINVAL)
        }
        2 => {
            let index = usize::try_from(arg1 as u32).map_err(|_| Errno::EINVAL)?;
            let name = REGISTRY.name_at(index).ok_or(Errno::EINVAL)?;
            hal::usercopy::copy_to_user(arg2, name.as_bytes())?;
            hal::usercopy::copy_to_user(arg2 + name.len() as u64, &[0])?;
            Ok(0)
        }
        3 => Ok(REGISTRY.count()),
        _ => Err(Errno::EINVAL),
    }
}
