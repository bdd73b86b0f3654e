//! futex (Linux `kernel/futex/syscalls.c`): decodes the operation and its arguments; the
//! hash, keys and waiting live in `crate::futex`.

use super::{SyscallContext, SyscallResult};
use crate::futex;
use abi::{Errno, Timespec};

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

/// Converts a futex timeout to a CLOCK_MONOTONIC deadline: FUTEX_WAIT's is relative, the
/// bitset variant's absolute on CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME, CLOCK_REALTIME.
fn deadline(timeout: u64, is_absolute: bool, is_realtime: bool) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let value: Timespec = hal::usercopy::read_user(timeout)?;
    if value.tv_sec < 0 || !(0..1_000_000_000).contains(&value.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let ns = (value.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(value.tv_nsec as u64);
    let now = crate::time::monotonic_ns();
    Ok(Some(if !is_absolute {
        now.saturating_add(ns)
    } else if is_realtime {
        now.saturating_add(ns.saturating_sub(crate::time::realtime_ns()))
    } else {
        ns
    }))
}

pub fn futex(
    context: &mut SyscallContext<'_>,
    address: u64,
    op: i32,
    value: u32,
    timeout: u64,
    _address2: u64,
    value3: u32,
) -> SyscallResult {
    let is_private = op & FUTEX_PRIVATE_FLAG != 0;
    let is_realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let command = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if is_realtime && command != FUTEX_WAIT_BITSET && command != FUTEX_WAIT {
        return Err(Errno::ENOSYS);
    }
    let process = &context.thread.process;
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if command == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else {
                value3
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let deadline = deadline(timeout, command == FUTEX_WAIT_BITSET, is_realtime)?;
            let key = futex::key_for(process, address, is_private)?;
            futex::wait(context.thread, key, address, value, bitset, deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if command == FUTEX_WAKE {
                FUTEX_BITSET_MATCH_ANY
            } else {
                value3
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let key = futex::key_for(process, address, is_private)?;
            Ok(futex::wake(key, value, bitset))
        }
        _ => Err(Errno::ENOSYS),
    }
}
