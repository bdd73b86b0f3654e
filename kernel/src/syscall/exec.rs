//! execve (Linux `fs/exec.c`): reads the path, argv and envp from user memory and replaces the
//! calling process's image.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::process::exec::{MAX_ARG_STRINGS, MAX_ARG_STRLEN, check_argument_sizes};
use abi::{AtFlags, Errno};
use alloc::vec::Vec;

/// Reads a NULL-terminated array of string pointers (argv or envp); a NULL array is empty.
fn read_string_array(array: UserPtr<u64>) -> Result<Vec<Vec<u8>>, Errno> {
    let mut strings = Vec::new();
    if array.is_null() {
        return Ok(strings);
    }
    for index in 0.. {
        let pointer = array.offset(index).read()?;
        if pointer == 0 {
            break;
        }
        let string = UserCStr(pointer).read(MAX_ARG_STRLEN).map_err(|error| {
            if error == Errno::ENAMETOOLONG {
                Errno::E2BIG
            } else {
                error
            }
        })?;
        strings.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        strings.push(string);
        if strings.len() > MAX_ARG_STRINGS {
            return Err(Errno::E2BIG);
        }
    }
    Ok(strings)
}

pub fn execve(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    argv: UserPtr<u64>,
    envp: UserPtr<u64>,
) -> SyscallResult {
    let path = path.read_path()?;
    let argv = read_string_array(argv)?;
    let envp = read_string_array(envp)?;
    check_argument_sizes(&argv, &envp)?;
    crate::process::exec::execute(
        context.thread,
        context.user,
        Fd(crate::fs::AT_FDCWD),
        &path,
        AtFlags::empty(),
        argv,
        envp,
    )?;
    Ok(0)
}

pub fn execveat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    argv: UserPtr<u64>,
    envp: UserPtr<u64>,
    flags: AtFlags,
) -> SyscallResult {
    let path = path.read_path()?;
    let argv = read_string_array(argv)?;
    let envp = read_string_array(envp)?;
    check_argument_sizes(&argv, &envp)?;
    crate::process::exec::execute(
        context.thread,
        context.user,
        dirfd,
        &path,
        flags,
        argv,
        envp,
    )?;
    Ok(0)
}
