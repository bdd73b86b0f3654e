//! rt_sigaction and rt_sigprocmask (Linux `kernel/signal.c`): dispositions and the blocked mask
//! are kept and validated as Linux does; delivery comes with the process issue.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::signal::{NSIG, SIGKILL, SIGSTOP, SigAction, UNBLOCKABLE};
use abi::{Errno, SigactionRaw};
use core::sync::atomic::Ordering;

/// The flags Linux keeps (`UAPI_SA_FLAGS` on x86-64); unknown bits read back as zero.
const UAPI_SA_FLAGS: u64 =
    0x1 | 0x2 | 0x4 | 0x0800_0000 | 0x1000_0000 | 0x4000_0000 | 0x8000_0000 | 0x800 | 0x0400_0000;

const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;

pub fn rt_sigaction(
    context: &mut SyscallContext<'_>,
    signal: i32,
    act: UserPtr<SigactionRaw>,
    old: UserPtr<SigactionRaw>,
    size: usize,
) -> SyscallResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    if signal < 1 || signal as usize > NSIG {
        return Err(Errno::EINVAL);
    }
    let signal = signal as usize;
    let new = if act.is_null() {
        None
    } else {
        Some(act.read()?)
    };
    if new.is_some() && (signal == SIGKILL || signal == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let previous = {
        let signals_shared = context.thread.process.signals.get();
        let mut signals = signals_shared.lock();
        let previous = signals.action(signal);
        if let Some(raw) = new {
            signals.set_action(
                signal,
                SigAction {
                    handler: raw.sa_handler,
                    flags: raw.sa_flags & UAPI_SA_FLAGS,
                    restorer: raw.sa_restorer,
                    mask: raw.sa_mask & !UNBLOCKABLE,
                },
            );
        }
        previous
    };
    if !old.is_null() {
        let mut raw = SigactionRaw::default();
        raw.sa_handler = previous.handler;
        raw.sa_flags = previous.flags;
        raw.sa_restorer = previous.restorer;
        raw.sa_mask = previous.mask;
        old.write(&raw)?;
    }
    Ok(0)
}

pub fn rt_sigprocmask(
    context: &mut SyscallContext<'_>,
    how: i32,
    set: UserPtr<u64>,
    old: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let current = context.thread.signal_mask.load(Ordering::Relaxed);
    if !set.is_null() {
        let requested = set.read()?;
        let updated = match how {
            SIG_BLOCK => current | requested,
            SIG_UNBLOCK => current & !requested,
            SIG_SETMASK => requested,
            _ => return Err(Errno::EINVAL),
        };
        context
            .thread
            .signal_mask
            .store(updated & !UNBLOCKABLE, Ordering::Relaxed);
    }
    if !old.is_null() {
        old.write(&current)?;
    }
    Ok(0)
}
