//! setns (Linux `kernel/nsproxy.c`): joins the namespace of an nsfs file (`/proc/PID/ns/X`),
//! or namespaces of the process behind a pidfd. The work is `crate::ns::syscalls::setns`.
//!
//! Order of checks: a bad descriptor (an `O_PATH` one too) is `EBADF`; a descriptor that is
//! neither an nsfs file nor a pidfd is `EINVAL`; for an nsfs file `nstype` must be 0 or the
//! file's kind (`EINVAL`); for a pidfd it must be a non-empty set of namespace flags this
//! kernel has (`EINVAL`), and the process must not have exited (`ESRCH`).

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use crate::ns::syscalls::{SetnsTarget, setns as join};
use abi::Errno;

pub fn setns(context: &mut SyscallContext<'_>, fd: Fd, nstype: i32) -> SyscallResult {
    let file = context.thread.process.files.get().lock().get(fd.0)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    let target = if let Some(ns) = file.ops.as_namespace() {
        if nstype != 0 && u64::from(nstype as u32) != ns.kind().clone_flag().bits() {
            return Err(Errno::EINVAL);
        }
        SetnsTarget::One(ns.clone())
    } else if let Some(pidfd) = file.ops.as_pidfd() {
        let flags = nsrules::flags::check_setns_pidfd(nstype)?;
        SetnsTarget::Process(pidfd.process.clone(), flags)
    } else {
        return Err(Errno::EINVAL);
    };
    join(context.thread, target)?;
    Ok(0)
}
