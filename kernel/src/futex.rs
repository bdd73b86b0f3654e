//! Futexes: sleeping on a user-space word (Linux `kernel/futex/`).
//!
//! A waiter is keyed by what identifies the word across address spaces: for a private futex
//! (`FUTEX_PRIVATE_FLAG`), the address space and the virtual address; for a shared one, the
//! physical frame and the offset in it, so that processes mapping the same page (shared anonymous
//! memory across fork) meet on the same key. Waiters sit in a hash of buckets keyed by that
//! key; FUTEX_WAIT checks the word and queues itself under the bucket lock, so a waker that
//! changes the word and then wakes cannot be missed (Linux's ordering argument).
//!
//! Also here: the thread-exit duties — waking `clear_child_tid` (pthread_join) and walking the
//! robust list (marking held locks FUTEX_OWNER_DIED and waking one waiter each).

use crate::process::{Process, Thread};
use crate::sched::wait::{WaitError, wait_event};
use crate::sched::{self, SleepKind};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;

/// What identifies a futex word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutexKey {
    /// Address-space identity (the `Arc` pointer of the mm) and virtual address.
    Private { mm: usize, address: u64 },
    /// Physical address of the word.
    Shared { physical: u64 },
}

/// One sleeping waiter.
pub struct Waiter {
    pub key: FutexKey,
    pub bitset: u32,
    pub thread: Arc<Thread>,
    /// Set by the waker under the bucket lock; the waiter's condition.
    pub is_woken: AtomicBool,
}

const BUCKETS: usize = 256;

struct Bucket {
    waiters: Mutex<Vec<Arc<Waiter>>>,
}

static HASH: [Bucket; BUCKETS] = [const {
    Bucket {
        waiters: Mutex::new(Vec::new()),
    }
}; BUCKETS];

fn bucket(key: &FutexKey) -> &'static Bucket {
    let (a, b) = match *key {
        FutexKey::Private { mm, address } => (mm as u64, address),
        FutexKey::Shared { physical } => (0x5ea1, physical),
    };
    let mixed = (a ^ b.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    &HASH[(mixed >> 56) as usize % BUCKETS]
}

/// The key of the word at `address` in `process`. `EINVAL` if unaligned; `EFAULT` if a shared
/// futex's page cannot be faulted in.
pub fn key_for(process: &Process, address: u64, is_private: bool) -> Result<FutexKey, Errno> {
    if !address.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let mm = process.mm.get();
    if is_private {
        return Ok(FutexKey::Private {
            mm: Arc::as_ptr(&mm) as usize,
            address,
        });
    }
    // Touch the word so that its page exists, then key it by its frame.
    let _: u32 = hal::usercopy::read_user(address)?;
    let physical = mm.lock().physical_address(address).ok_or(Errno::EFAULT)?;
    Ok(FutexKey::Shared { physical })
}

/// FUTEX_WAIT(_BITSET): sleeps if the word at `address` still holds `expected`, until woken,
/// a signal (ERESTARTSYS) or the CLOCK_MONOTONIC deadline (ETIMEDOUT).
pub fn wait(
    thread: &Arc<Thread>,
    key: FutexKey,
    address: u64,
    expected: u32,
    bitset: u32,
    deadline_ns: Option<u64>,
) -> Result<usize, Errno> {
    let waiter = Arc::new(Waiter {
        key,
        bitset,
        thread: thread.clone(),
        is_woken: AtomicBool::new(false),
    });
    {
        let mut waiters = bucket(&key).waiters.lock();
        let value: u32 = hal::usercopy::read_user(address)?;
        if value != expected {
            return Err(Errno::EAGAIN);
        }
        waiters.push(waiter.clone());
    }
    let outcome = wait_event(thread, &[], SleepKind::Interruptible, deadline_ns, || {
        waiter.is_woken.load(Ordering::Acquire).then_some(())
    });
    let was_queued = {
        let mut waiters = bucket(&key).waiters.lock();
        let before = waiters.len();
        waiters.retain(|other| !Arc::ptr_eq(other, &waiter));
        waiters.len() != before
    };
    match outcome {
        Ok(()) => Ok(0),
        // Woken at the same moment as the timeout or signal: the wake counts.
        Err(_) if !was_queued => Ok(0),
        Err(WaitError::TimedOut) => Err(Errno::ETIMEDOUT),
        Err(WaitError::Interrupted) => Err(Errno::ERESTARTSYS),
    }
}

/// FUTEX_WAKE(_BITSET): wakes up to `count` waiters on `key` whose bitset intersects.
pub fn wake(key: FutexKey, count: u32, bitset: u32) -> usize {
    let woken: Vec<Arc<Waiter>> = {
        let mut waiters = bucket(&key).waiters.lock();
        let mut woken = Vec::new();
        waiters.retain(|waiter| {
            if woken.len() < count as usize && waiter.key == key && waiter.bitset & bitset != 0 {
                waiter.is_woken.store(true, Ordering::Release);
                woken.push(waiter.clone());
                false
            } else {
                true
            }
        });
        woken
    };
    for waiter in &woken {
        sched::wake_up(&waiter.thread);
    }
    woken.len()
}

/// Wakes waiters on the word at `address` of `process`, private and shared alike (thread exit's
/// clear_child_tid wake, which Linux does as a shared futex wake).
pub fn wake_address(process: &Process, address: u64, count: u32) {
    if let Ok(key) = key_for(process, address, true) {
        wake(key, count, u32::MAX);
    }
    if let Ok(key) = key_for(process, address, false) {
        wake(key, count, u32::MAX);
    }
}

/// `FUTEX_OWNER_DIED` and `FUTEX_WAITERS` and the tid mask of a robust lock word.
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Robust-list walks stop after this many entries (`ROBUST_LIST_LIMIT`).
const ROBUST_LIST_LIMIT: usize = 2048;

/// Walks the exiting thread's robust list (`exit_robust_list`): every lock it still holds gets
/// FUTEX_OWNER_DIED and one waiter is woken.
pub fn exit_robust_list(thread: &Arc<Thread>) {
    let head = thread.robust_list.load(Ordering::Relaxed);
    if head == 0 {
        return;
    }
    // struct robust_list_head { list.next, futex_offset, list_op_pending }
    let Ok(first) = hal::usercopy::read_user::<u64>(head) else {
        return;
    };
    let Ok(offset) = hal::usercopy::read_user::<i64>(head + 8) else {
        return;
    };
    let pending = hal::usercopy::read_user::<u64>(head + 16).unwrap_or(0);
    let mut entry = first;
    let mut visited = 0;
    while entry != head && entry != 0 && visited < ROBUST_LIST_LIMIT {
        let next = hal::usercopy::read_user::<u64>(entry & !1).unwrap_or(head);
        if entry != pending {
            handle_dead_owner(thread, (entry & !1).wrapping_add(offset as u64));
        }
        entry = next;
        visited += 1;
    }
    if pending != 0 {
        handle_dead_owner(thread, (pending & !1).wrapping_add(offset as u64));
    }
}

fn handle_dead_owner(thread: &Arc<Thread>, address: u64) {
    let Ok(value) = hal::usercopy::read_user::<u32>(address) else {
        return;
    };
    if value & FUTEX_TID_MASK != thread.tid {
        return;
    }
    let updated = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if hal::usercopy::write_user(address, &updated).is_err() {
        return;
    }
    if value & FUTEX_WAITERS != 0 {
        wake_address(&thread.process, address, 1);
    }
}
