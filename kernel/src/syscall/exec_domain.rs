//! personality (Linux's `kernel/exec_domain.c`): the process's execution domain and its flags.
//! Any value is stored (Linux checks none); 0xffffffff only queries. The old value is returned.
//! Exec reads `ADDR_NO_RANDOMIZE` from it (`crate::mm::randomize`) and clears the
//! `PER_CLEAR_ON_SETID` flags on a set-id exec. Ferrux keeps it per process (Linux per thread,
//! inherited by clone).

use super::{SyscallContext, SyscallResult};

/// The query-only value.
const QUERY: u32 = 0xffff_ffff;

pub fn personality(context: &mut SyscallContext<'_>, persona: u32) -> SyscallResult {
    let mut flags = context.thread.process.flags.lock();
    let old = flags.personality;
    if persona != QUERY {
        flags.personality = persona;
    }
    Ok(old as usize)
}
