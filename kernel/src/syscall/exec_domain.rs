//! personality (Linux 6.1 `kernel/exec_domain.c`): returns the calling thread's personality and,
//! unless the argument is `0xffffffff` (a query), replaces it with the argument's 32 bits as
//! given (Linux stores any value). The flags are read where they matter: `ADDR_NO_RANDOMIZE` by
//! exec's layout, and a set-id exec clears `PER_CLEAR_ON_SETID` (`process::exec`).

use super::{SyscallContext, SyscallResult};
use abi::personality::PERSONALITY_QUERY;
use core::sync::atomic::Ordering;

pub fn personality(context: &mut SyscallContext<'_>, persona: u32) -> SyscallResult {
    let old = context.thread.personality.load(Ordering::Relaxed);
    if persona != PERSONALITY_QUERY {
        context.thread.personality.store(persona, Ordering::Relaxed);
    }
    Ok(old as usize)
}
