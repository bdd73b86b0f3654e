//! Futex operations, flags and word bits (`include/uapi/linux/futex.h`).
//!
//! Unknown commands answer `ENOSYS`; `FUTEX_CLOCK_REALTIME` with a command that takes no
//! absolute timeout answers `ENOSYS` too (`do_futex`).

use linux_raw_sys::general as raw;

/// Sleep while the word holds the expected value (relative timeout).
pub const FUTEX_WAIT: i32 = raw::FUTEX_WAIT as i32;
/// Wake waiters.
pub const FUTEX_WAKE: i32 = raw::FUTEX_WAKE as i32;
/// Wake some waiters and move the others to a second word.
pub const FUTEX_REQUEUE: i32 = raw::FUTEX_REQUEUE as i32;
/// `FUTEX_REQUEUE` if the word still holds a value.
pub const FUTEX_CMP_REQUEUE: i32 = raw::FUTEX_CMP_REQUEUE as i32;
/// Modify a second word and wake on both conditionally.
pub const FUTEX_WAKE_OP: i32 = raw::FUTEX_WAKE_OP as i32;
/// Priority-inheritance lock.
pub const FUTEX_LOCK_PI: i32 = raw::FUTEX_LOCK_PI as i32;
/// Priority-inheritance unlock.
pub const FUTEX_UNLOCK_PI: i32 = raw::FUTEX_UNLOCK_PI as i32;
/// Priority-inheritance trylock.
pub const FUTEX_TRYLOCK_PI: i32 = raw::FUTEX_TRYLOCK_PI as i32;
/// `FUTEX_WAIT` with a bitset and an absolute timeout.
pub const FUTEX_WAIT_BITSET: i32 = raw::FUTEX_WAIT_BITSET as i32;
/// `FUTEX_WAKE` of the waiters whose bitset intersects.
pub const FUTEX_WAKE_BITSET: i32 = raw::FUTEX_WAKE_BITSET as i32;
/// Wait to be requeued onto a PI futex.
pub const FUTEX_WAIT_REQUEUE_PI: i32 = raw::FUTEX_WAIT_REQUEUE_PI as i32;
/// Requeue onto a PI futex.
pub const FUTEX_CMP_REQUEUE_PI: i32 = raw::FUTEX_CMP_REQUEUE_PI as i32;
/// `FUTEX_LOCK_PI` on `CLOCK_MONOTONIC`.
pub const FUTEX_LOCK_PI2: i32 = raw::FUTEX_LOCK_PI2 as i32;
/// The futex is private to the process.
pub const FUTEX_PRIVATE_FLAG: i32 = raw::FUTEX_PRIVATE_FLAG as i32;
/// The timeout is on `CLOCK_REALTIME`.
pub const FUTEX_CLOCK_REALTIME: i32 = raw::FUTEX_CLOCK_REALTIME as i32;
/// A bitset that matches every waiter.
pub const FUTEX_BITSET_MATCH_ANY: u32 = raw::FUTEX_BITSET_MATCH_ANY;

/// `FUTEX_WAKE_OP` operation: `*uaddr2 = oparg`.
pub const FUTEX_OP_SET: u32 = raw::FUTEX_OP_SET;
/// `*uaddr2 += oparg`.
pub const FUTEX_OP_ADD: u32 = raw::FUTEX_OP_ADD;
/// `*uaddr2 |= oparg`.
pub const FUTEX_OP_OR: u32 = raw::FUTEX_OP_OR;
/// `*uaddr2 &= ~oparg`.
pub const FUTEX_OP_ANDN: u32 = raw::FUTEX_OP_ANDN;
/// `*uaddr2 ^= oparg`.
pub const FUTEX_OP_XOR: u32 = raw::FUTEX_OP_XOR;
/// Or-ed into the operation: `oparg` is a shift count (`1 << oparg`).
pub const FUTEX_OP_OPARG_SHIFT: u32 = raw::FUTEX_OP_OPARG_SHIFT;
/// Comparison `==`.
pub const FUTEX_OP_CMP_EQ: u32 = raw::FUTEX_OP_CMP_EQ;
/// Comparison `!=`.
pub const FUTEX_OP_CMP_NE: u32 = raw::FUTEX_OP_CMP_NE;
/// Comparison `<`.
pub const FUTEX_OP_CMP_LT: u32 = raw::FUTEX_OP_CMP_LT;
/// Comparison `<=`.
pub const FUTEX_OP_CMP_LE: u32 = raw::FUTEX_OP_CMP_LE;
/// Comparison `>`.
pub const FUTEX_OP_CMP_GT: u32 = raw::FUTEX_OP_CMP_GT;
/// Comparison `>=`.
pub const FUTEX_OP_CMP_GE: u32 = raw::FUTEX_OP_CMP_GE;

/// Robust futex word: waiters are queued.
pub const FUTEX_WAITERS: u32 = raw::FUTEX_WAITERS;
/// Robust futex word: the owner died.
pub const FUTEX_OWNER_DIED: u32 = raw::FUTEX_OWNER_DIED;
/// Robust futex word: the owner's tid.
pub const FUTEX_TID_MASK: u32 = raw::FUTEX_TID_MASK;
/// Most robust-list entries walked at thread exit.
pub const ROBUST_LIST_LIMIT: usize = raw::ROBUST_LIST_LIMIT as usize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!((FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAKE_OP), (0, 1, 5));
        assert_eq!((FUTEX_WAIT_BITSET, FUTEX_LOCK_PI2), (9, 13));
        assert_eq!((FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME), (128, 256));
        assert_eq!((FUTEX_OP_XOR, FUTEX_OP_OPARG_SHIFT), (4, 8));
        assert_eq!(FUTEX_TID_MASK, 0x3fff_ffff);
        assert_eq!(ROBUST_LIST_LIMIT, 2048);
    }
}
