//! rseq (Linux 6.1 `kernel/rseq.c`, `sys_rseq`): registers or unregisters the calling thread's
//! restartable-sequences area. The request rules are `abi::rseq::decide`'s (`EINVAL`, `EPERM`,
//! `EBUSY`); a registration outside user space or that cannot be read is `EFAULT` (one that
//! cannot be written is SIGSEGV on the way back), and a failed write of the reset values makes
//! unregistration `EFAULT`. The work done for a registered thread is `crate::rseq`'s.

use super::{SyscallContext, SyscallResult};
use abi::Errno;
use abi::rseq::{Request, decide};

pub fn rseq(
    context: &mut SyscallContext<'_>,
    area: u64,
    len: u32,
    flags: i32,
    signature: u32,
) -> SyscallResult {
    let thread = context.thread;
    let current = thread.rseq.registration();
    match decide(current, area, len, flags, signature)? {
        Request::Unregister => {
            if let Some(registration) = current {
                crate::rseq::unregister(thread, &registration)?;
            }
        }
        Request::Register(registration) => {
            if !hal::mm::is_user_range(area, u64::from(len)) {
                return Err(Errno::EFAULT);
            }
            crate::rseq::register(thread, registration)?;
        }
    }
    Ok(0)
}
