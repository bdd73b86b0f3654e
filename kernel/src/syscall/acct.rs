//! acct (Linux `kernel/acct.c`'s `sys_acct`): CAP_SYS_PACCT or EPERM first; a null name turns
//! process accounting off, any other names the file to append records to (the errors of
//! opening it for writing, EACCES for anything but a regular file). The accounting itself is
//! `crate::acct`.

use super::args::UserCStr;
use super::{SyscallContext, SyscallResult};
use abi::Errno;

pub fn acct(context: &mut SyscallContext<'_>, name: UserCStr) -> SyscallResult {
    let is_privileged = context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_PACCT);
    if !is_privileged {
        return Err(Errno::EPERM);
    }
    if name.0 == 0 {
        crate::acct::switch(None, context.thread);
        return Ok(0);
    }
    let path = name.read_path()?;
    let file = crate::acct::open(context.thread, &path)?;
    crate::acct::switch(Some(file), context.thread);
    Ok(0)
}
