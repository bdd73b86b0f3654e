//! membarrier (Linux 6.1 `kernel/sched/membarrier.c`): memory barriers on every thread that
//! runs user code of the system (`GLOBAL`, `GLOBAL_EXPEDITED`) or of the caller's address
//! space (`PRIVATE_EXPEDITED`, with `SYNC_CORE` or `RSEQ` variants), and the registrations the
//! expedited commands need (per address space: a new one from fork or exec has none).
//!
//! Rules: `flags` must be 0, except `MEMBARRIER_CMD_FLAG_CPU` with `PRIVATE_EXPEDITED_RSEQ`
//! (`EINVAL`); `QUERY` returns the commands supported (all of 6.1's); the private commands are
//! `EPERM` until the address space registered for them; `GLOBAL_EXPEDITED` needs no
//! registration of the caller; a CPU number outside the machine makes the targeted `RSEQ`
//! command a no-op; unknown commands are `EINVAL`.
//!
//! The barrier itself: a full fence on the calling CPU, and an acknowledged IPI to every other
//! online CPU (`hal::smp::sync_other_cpus`, Linux's `smp_call_function_many`): a thread in
//! user mode there is interrupted, which orders its accesses; a CPU in the kernel will pass a
//! serializing return to user mode before it runs user code again. Not yet: the `RSEQ`
//! command does not restart a critical section that another CPU is running (only switches
//! and signals abort them).

use super::{SyscallContext, SyscallResult};
use abi::Errno;
use core::sync::atomic::{Ordering, fence};

const MEMBARRIER_CMD_QUERY: i32 = 0;
const MEMBARRIER_CMD_GLOBAL: i32 = 1 << 0;
const MEMBARRIER_CMD_GLOBAL_EXPEDITED: i32 = 1 << 1;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: i32 = 1 << 2;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i32 = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: i32 = 1 << 4;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: i32 = 1 << 5;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: i32 = 1 << 6;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ: i32 = 1 << 7;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ: i32 = 1 << 8;
/// Every command 6.1 supports (`MEMBARRIER_CMD_BITMASK`).
const MEMBARRIER_CMD_BITMASK: i32 = MEMBARRIER_CMD_GLOBAL
    | MEMBARRIER_CMD_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ;
/// `MEMBARRIER_CMD_FLAG_CPU`.
const MEMBARRIER_CMD_FLAG_CPU: u32 = 1 << 0;

/// Registration states of an address space (`MEMBARRIER_STATE_*`).
const STATE_PRIVATE_EXPEDITED_READY: u32 = 1 << 0;
const STATE_GLOBAL_EXPEDITED_READY: u32 = 1 << 2;
const STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY: u32 = 1 << 4;
const STATE_PRIVATE_EXPEDITED_RSEQ_READY: u32 = 1 << 6;

/// The barrier of every thread concerned (see the module documentation).
fn barrier() {
    fence(Ordering::SeqCst);
    hal::smp::sync_other_cpus();
}

fn private_expedited(context: &SyscallContext<'_>, ready: u32) -> SyscallResult {
    let state = context
        .thread
        .process
        .mm
        .get()
        .membarrier_state
        .load(Ordering::Acquire);
    if state & ready == 0 {
        return Err(Errno::EPERM);
    }
    barrier();
    Ok(0)
}

fn register(context: &SyscallContext<'_>, ready: u32) -> SyscallResult {
    context
        .thread
        .process
        .mm
        .get()
        .membarrier_state
        .fetch_or(ready, Ordering::AcqRel);
    barrier();
    Ok(0)
}

pub fn membarrier(
    context: &mut SyscallContext<'_>,
    command: i32,
    flags: u32,
    cpu: i32,
) -> SyscallResult {
    if command == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ {
        if flags != 0 && flags != MEMBARRIER_CMD_FLAG_CPU {
            return Err(Errno::EINVAL);
        }
    } else if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let _target_cpu = (flags & MEMBARRIER_CMD_FLAG_CPU != 0).then_some(cpu);
    match command {
        MEMBARRIER_CMD_QUERY => Ok(MEMBARRIER_CMD_BITMASK as usize),
        MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED => {
            barrier();
            Ok(0)
        }
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED => register(context, STATE_GLOBAL_EXPEDITED_READY),
        MEMBARRIER_CMD_PRIVATE_EXPEDITED => {
            private_expedited(context, STATE_PRIVATE_EXPEDITED_READY)
        }
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED => {
            register(context, STATE_PRIVATE_EXPEDITED_READY)
        }
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE => {
            private_expedited(context, STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY)
        }
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE => {
            register(context, STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY)
        }
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ => {
            private_expedited(context, STATE_PRIVATE_EXPEDITED_RSEQ_READY)
        }
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ => {
            register(context, STATE_PRIVATE_EXPEDITED_RSEQ_READY)
        }
        _ => Err(Errno::EINVAL),
    }
}
