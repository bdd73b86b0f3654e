//! Futexes: sleeping on a user-space word (Linux `kernel/futex/`: `core.c`, `waitwake.c`,
//! `requeue.c`).
//!
//! A waiter is keyed by what identifies the word across address spaces: for a private futex
//! (`FUTEX_PRIVATE_FLAG`), the address space and the virtual address; for a shared one on a
//! MAP_SHARED mapping, the frame and offset, so that processes mapping the same page meet on
//! the same key; for a shared one on a private mapping, the address space and address again,
//! but a key distinct from the private one (Linux's `FUT_OFF_MMSHARED`: a shared wake never
//! wakes a private waiter). Waiters sit in a hash of buckets keyed by that
//! key, in FIFO order (Linux's plist orders by priority, and every CFS task has the same one).
//! FUTEX_WAIT checks the word and queues itself under the bucket lock, so a waker that changes
//! the word and then wakes cannot be missed (Linux's ordering argument in `waitwake.c`).
//!
//! Operations: wait and wake with bitsets, `requeue` (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE: wake
//! some waiters of one word and move others to a second word's queue) and `wake_op`
//! (FUTEX_WAKE_OP: modify a second word, wake waiters of the first and, if a comparison on the
//! second word's old value holds, of the second). Linux's counting quirks are kept: a wake of
//! 0 or a negative count still wakes one waiter (`++ret >= nr_wake`), and the return value of a
//! requeue counts woken and requeued waiters together.
//!
//! Locks: the bucket locks are spin locks, so no user access under them may fault in a page
//! (the fault resolver sleeps on the mm lock). As Linux does, the word is read or changed
//! under the lock with page faults disabled (`hal::usercopy::without_page_faults`); on `EFAULT`
//! the locks are dropped, the page is faulted in with an ordinary access (a read, or
//! `fault_in_writable` for FUTEX_WAKE_OP), and the operation starts again. Lock order: the
//! bucket of the lower index first (`double_lock_hb`), then a waiter's key lock.
//!
//! FUTEX_WAKE_OP changes its word with an atomic read-modify-write on user memory
//! (`hal::usercopy::atomic_op_user_u32`, Linux's `arch_futex_atomic_op_inuser`), and the
//! robust-list walk sets FUTEX_OWNER_DIED with a compare-and-exchange retried until the owner
//! word holds still (`handle_futex_death`), so both are atomic against user code on any CPU.
//!
//! `futex_waitv` ([`wait_multiple`], Linux `futex_wait_multiple`) queues one waiter per word,
//! each under its own bucket lock after checking its value, sleeps until any is woken, and
//! answers with the index of a woken one (the last, as `futex_unqueue_multiple`).
//!
//! Also here: the thread-exit duties — walking the robust list (`exit_robust_list`,
//! `handle_futex_death`) and waking `clear_child_tid` (pthread_join). Priority-inheritance
//! futexes live in `crate::futex_pi`; the REQUEUE_PI pair is here, since its waiters start as
//! ordinary ones (WAIT_REQUEUE_PI waiters make the plain wake and requeue operations EINVAL).

use crate::process::{Process, Thread};
use crate::sched::timer::Deadline;
use crate::sched::wait::{WaitError, wait_event_until};
use crate::sched::{self, SleepKind};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use hal::mm::frame::FrameId;
use hal::sync::{SpinLock, SpinLockGuard};
use hal::usercopy::{UserAtomicOp, without_page_faults};

/// What identifies a futex word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutexKey {
    /// A private futex: address-space identity (the `Arc` pointer of the mm) and address.
    Private { mm: usize, address: u64 },
    /// A shared futex on a private mapping: the same identity, but never equal to the private
    /// key of the same word (Linux's `FUT_OFF_MMSHARED`), and not shared across fork.
    SharedPrivateMapping { mm: usize, address: u64 },
    /// A shared futex on a MAP_SHARED mapping: the frame holding the word and the word's offset
    /// in it, so processes mapping the page meet (Linux keys it by inode or page and offset).
    Shared { page: FrameId, offset: u64 },
}

/// One sleeping waiter.
pub struct Waiter {
    /// The word it waits on; changed by a requeue, with both buckets locked.
    key: SpinLock<FutexKey>,
    bitset: u32,
    pub thread: Arc<Thread>,
    /// Set by the waker under the bucket lock; the waiter's condition.
    is_woken: AtomicBool,
    /// FUTEX_WAIT_REQUEUE_PI: the PI futex it expects to be requeued to (Linux's
    /// `requeue_pi_key`); such waiters are EINVAL to the plain wake and requeue operations.
    requeue_pi: Option<FutexKey>,
    /// The PI lock it waits for (LOCK_PI, or after a CMP_REQUEUE_PI), or got.
    pub pi: SpinLock<Option<Arc<crate::futex_pi::PiState>>>,
    /// The PI lock was handed to it.
    pub is_granted: AtomicBool,
    /// It was handed over by a dying owner: the new owner writes its TID into the word.
    pub needs_fixup: AtomicBool,
}

impl Waiter {
    fn new(
        thread: Arc<Thread>,
        key: FutexKey,
        bitset: u32,
        requeue_pi: Option<FutexKey>,
    ) -> Result<Arc<Waiter>, Errno> {
        Ok(Arc::new(Waiter {
            key: SpinLock::new("futex.waiter_key", key),
            bitset,
            thread,
            is_woken: AtomicBool::new(false),
            requeue_pi,
            pi: SpinLock::new("futex.waiter_key", None),
            is_granted: AtomicBool::new(false),
            needs_fixup: AtomicBool::new(false),
        }))
    }

    /// A LOCK_PI waiter on `key`.
    pub fn new_pi(thread: Arc<Thread>, key: FutexKey) -> Result<Arc<Waiter>, Errno> {
        Waiter::new(thread, key, u32::MAX, None)
    }

    /// The word it waits on now.
    pub fn key(&self) -> FutexKey {
        *self.key.lock()
    }
}

/// How to resume a futex wait with a timeout that a signal interrupted (`restart_block.futex`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexRestart {
    pub address: u64,
    pub expected: u32,
    pub bitset: u32,
    pub is_private: bool,
}

const BUCKETS: usize = 256;

type Bucket = SpinLock<Vec<Arc<Waiter>>>;

pub(crate) static HASH: [Bucket; BUCKETS] =
    [const { SpinLock::new("futex.bucket", Vec::new()) }; BUCKETS];

pub(crate) fn bucket_index(key: &FutexKey) -> usize {
    let (a, b) = match *key {
        FutexKey::Private { mm, address } | FutexKey::SharedPrivateMapping { mm, address } => {
            (mm as u64, address)
        }
        FutexKey::Shared { page, offset } => (0x5ea1 ^ page.hash_value(), offset),
    };
    let mixed = (a ^ b.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> 56) as usize % BUCKETS
}

/// The two buckets of a two-word operation, locked in index order (`double_lock_hb`); `None`
/// for the second when both keys hash to the same bucket.
struct DoubleLock {
    first: SpinLockGuard<'static, Vec<Arc<Waiter>>>,
    second: Option<SpinLockGuard<'static, Vec<Arc<Waiter>>>>,
    is_swapped: bool,
}

impl DoubleLock {
    fn new(index1: usize, index2: usize) -> DoubleLock {
        if index1 == index2 {
            return DoubleLock {
                first: HASH[index1].lock(),
                second: None,
                is_swapped: false,
            };
        }
        let (low, high) = (index1.min(index2), index1.max(index2));
        let first = HASH[low].lock();
        let second = HASH[high].lock();
        DoubleLock {
            first,
            second: Some(second),
            is_swapped: index1 > index2,
        }
    }

    /// The buckets of key 1 and key 2 (the same vector twice is impossible: `None` then).
    fn split(&mut self) -> (&mut Vec<Arc<Waiter>>, Option<&mut Vec<Arc<Waiter>>>) {
        match (&mut self.second, self.is_swapped) {
            (None, _) => (&mut self.first, None),
            (Some(second), false) => (&mut self.first, Some(second)),
            (Some(second), true) => (second, Some(&mut self.first)),
        }
    }
}

/// The key of the word at `address` in `process` (`get_futex_key`): `EINVAL` if unaligned,
/// `EFAULT` outside user space; for a shared futex also `EFAULT` if the page cannot be faulted
/// in, or if it is a private mapping that cannot be written (Linux refuses a read-only
/// anonymous page for a shared key).
pub fn key_for(process: &Process, address: u64, is_private: bool) -> Result<FutexKey, Errno> {
    if !address.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if address
        .checked_add(4)
        .is_none_or(|end| end > hal::mm::USER_END)
    {
        return Err(Errno::EFAULT);
    }
    let mm = process.mm.get();
    let mm_id = Arc::as_ptr(&mm) as usize;
    if is_private {
        return Ok(FutexKey::Private { mm: mm_id, address });
    }
    // Touch the word so that its page exists, then key it by its mapping.
    let _: u32 = hal::usercopy::read_user(address)?;
    let space = mm.read();
    let vma = space.find_vma(address).ok_or(Errno::EFAULT)?;
    if !vma.is_shared {
        if !vma.protection.is_writable {
            return Err(Errno::EFAULT);
        }
        return Ok(FutexKey::SharedPrivateMapping { mm: mm_id, address });
    }
    let (page, offset) = space.frame_of(address).ok_or(Errno::EFAULT)?;
    Ok(FutexKey::Shared { page, offset })
}

/// Removes `waiter` from whatever bucket holds it; returns whether it was still queued (not
/// woken). A requeue may move it between reading its key and locking, so the key is checked
/// again under the lock (Linux's `futex_unqueue` retry on `lock_ptr`).
fn unqueue(waiter: &Arc<Waiter>) -> bool {
    loop {
        let key = *waiter.key.lock();
        let mut waiters = HASH[bucket_index(&key)].lock();
        if *waiter.key.lock() != key {
            continue;
        }
        let before = waiters.len();
        waiters.retain(|other| !Arc::ptr_eq(other, waiter));
        return waiters.len() != before;
    }
}

/// FUTEX_WAIT(_BITSET): sleeps if the word at `address` still holds `expected`, until woken,
/// a signal or the deadline (ETIMEDOUT). An interrupted wait without a
/// deadline restarts (ERESTARTSYS); one with a deadline is resumed by `restart_syscall` with the
/// same absolute deadline (ERESTART_RESTARTBLOCK, Linux's `futex_wait_restart`).
pub fn wait(
    thread: &Arc<Thread>,
    key: FutexKey,
    address: u64,
    expected: u32,
    bitset: u32,
    deadline: Option<Deadline>,
) -> Result<usize, Errno> {
    let waiter = Waiter::new(thread.clone(), key, bitset, None)?;
    loop {
        let mut waiters = HASH[bucket_index(&key)].lock();
        let value = match without_page_faults(|| hal::usercopy::read_user::<u32>(address)) {
            Ok(value) => value,
            Err(Errno::EFAULT) => {
                // Fault the page in without the lock (EFAULT if it cannot be), then retry.
                drop(waiters);
                let _: u32 = hal::usercopy::read_user(address)?;
                continue;
            }
            Err(error) => return Err(error),
        };
        if value != expected {
            return Err(Errno::EAGAIN);
        }
        waiters.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        waiters.push(waiter.clone());
        break;
    }
    let outcome = wait_event_until(thread, &[], SleepKind::Interruptible, deadline, || {
        waiter.is_woken.load(Ordering::Acquire).then_some(())
    });
    let was_queued = unqueue(&waiter);
    match outcome {
        Ok(()) => Ok(0),
        // Woken at the same moment as the timeout or signal: the wake counts.
        Err(_) if !was_queued => Ok(0),
        Err(WaitError::TimedOut) => Err(Errno::ETIMEDOUT),
        Err(WaitError::Interrupted) if deadline.is_some() => Err(Errno::ERESTART_RESTARTBLOCK),
        Err(WaitError::Interrupted) => Err(Errno::ERESTARTSYS),
    }
}

/// One word of a `futex_waitv`: its key, address and expected value.
pub struct VectorEntry {
    pub key: FutexKey,
    pub address: u64,
    pub expected: u32,
}

/// Linux `futex_unqueue_multiple`: unqueues every waiter; the index of the last one that had
/// been woken, if any.
fn unqueue_multiple(waiters: &[Arc<Waiter>]) -> Option<usize> {
    let mut woken = None;
    for (index, waiter) in waiters.iter().enumerate() {
        if !unqueue(waiter) {
            woken = Some(index);
        }
    }
    woken
}

/// `futex_waitv` (`futex_wait_multiple`): queues a waiter on every entry whose word still
/// holds its value, then sleeps until one is woken, a signal (ERESTARTSYS) or the deadline
/// (ETIMEDOUT). A word that differs while queueing is `EAGAIN` unless a waiter queued before
/// it was already woken (then that index); a word that cannot be read is faulted in without
/// any waiter queued and the queueing starts again (`EFAULT` if it cannot be). Returns the
/// index of a woken entry.
pub fn wait_multiple(
    thread: &Arc<Thread>,
    entries: &[VectorEntry],
    deadline: Option<Deadline>,
) -> Result<usize, Errno> {
    let mut waiters: Vec<Arc<Waiter>> = Vec::new();
    waiters
        .try_reserve_exact(entries.len())
        .map_err(|_| Errno::ENOMEM)?;
    for entry in entries {
        waiters.push(Waiter::new(
            thread.clone(),
            entry.key,
            abi::raw::general::FUTEX_BITSET_MATCH_ANY,
            None,
        )?);
    }
    loop {
        // futex_wait_multiple_setup.
        let mut index = 0;
        while let (Some(entry), Some(waiter)) = (entries.get(index), waiters.get(index)) {
            let mut bucket = HASH[bucket_index(&entry.key)].lock();
            let value = without_page_faults(|| hal::usercopy::read_user::<u32>(entry.address));
            match value {
                Ok(value) if value == entry.expected => {
                    if bucket.try_reserve(1).is_err() {
                        drop(bucket);
                        return match unqueue_multiple(&waiters[..index]) {
                            Some(woken) => Ok(woken),
                            None => Err(Errno::ENOMEM),
                        };
                    }
                    bucket.push(waiter.clone());
                    index += 1;
                }
                other => {
                    drop(bucket);
                    if let Some(woken) = unqueue_multiple(&waiters[..index]) {
                        return Ok(woken);
                    }
                    match other {
                        Ok(_) => return Err(Errno::EAGAIN),
                        Err(Errno::EFAULT) => {
                            let _: u32 = hal::usercopy::read_user(entry.address)?;
                            index = 0;
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
        let outcome = wait_event_until(thread, &[], SleepKind::Interruptible, deadline, || {
            waiters
                .iter()
                .any(|waiter| waiter.is_woken.load(Ordering::Acquire))
                .then_some(())
        });
        if let Some(woken) = unqueue_multiple(&waiters) {
            return Ok(woken);
        }
        match outcome {
            Err(WaitError::TimedOut) => return Err(Errno::ETIMEDOUT),
            Err(WaitError::Interrupted) => return Err(Errno::ERESTARTSYS),
            // A spurious wake-up: queue again.
            Ok(()) => {}
        }
    }
}

/// Marks `waiter` woken; the caller removes it from its bucket and wakes its thread once the
/// bucket lock is dropped.
fn mark_woken(waiter: &Waiter) {
    waiter.is_woken.store(true, Ordering::Release);
}

/// Linux wakes at least one waiter whatever the count (`if (++ret >= nr_wake) break`).
fn wake_limit(count: i32) -> usize {
    count.max(1) as usize
}

/// Takes from `waiters` up to `limit` waiters on `key` whose bitset meets `bitset`. A
/// WAIT_REQUEUE_PI waiter on `key` met on the way is EINVAL (those already taken stay woken),
/// as Linux's `futex_wake`.
fn take_matching(
    waiters: &mut Vec<Arc<Waiter>>,
    key: &FutexKey,
    bitset: u32,
    limit: usize,
    woken: &mut Vec<Arc<Waiter>>,
) -> Result<(), Errno> {
    let mut taken = 0;
    let mut index = 0;
    while index < waiters.len() && taken < limit {
        let waiter = &waiters[index];
        if *waiter.key.lock() != *key {
            index += 1;
            continue;
        }
        if waiter.requeue_pi.is_some() {
            return Err(Errno::EINVAL);
        }
        if waiter.bitset & bitset == 0 {
            index += 1;
            continue;
        }
        let waiter = waiters.remove(index);
        mark_woken(&waiter);
        woken.push(waiter);
        taken += 1;
    }
    Ok(())
}

fn wake_threads(woken: &[Arc<Waiter>]) {
    for waiter in woken {
        sched::wake_up(&waiter.thread);
    }
}

/// FUTEX_WAKE(_BITSET): wakes up to `count` waiters (at least one) on `key` whose bitset
/// intersects; returns how many.
pub fn wake(key: FutexKey, count: i32, bitset: u32) -> Result<usize, Errno> {
    let mut woken = Vec::new();
    let result = {
        let mut waiters = HASH[bucket_index(&key)].lock();
        take_matching(&mut waiters, &key, bitset, wake_limit(count), &mut woken)
    };
    wake_threads(&woken);
    result.map(|()| woken.len())
}

/// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (`futex_requeue` without PI): if `compare` is given,
/// the word at its address must still hold its value (else `EAGAIN`); then up to `nr_wake`
/// waiters of `key1` are woken and up to `nr_requeue` more are moved to `key2`. Returns the
/// number woken plus the number requeued. Negative counts are `EINVAL`.
pub fn requeue(
    key1: FutexKey,
    key2: FutexKey,
    nr_wake: i32,
    nr_requeue: i32,
    compare: Option<(u64, u32)>,
) -> Result<usize, Errno> {
    if nr_wake < 0 || nr_requeue < 0 {
        return Err(Errno::EINVAL);
    }
    let (nr_wake, nr_requeue) = (nr_wake as i64, nr_requeue as i64);
    let mut woken = Vec::new();
    let mut task_count: i64 = 0;
    let mut failure = None;
    {
        let mut locks = loop {
            let locks = DoubleLock::new(bucket_index(&key1), bucket_index(&key2));
            let Some((address, expected)) = compare else {
                break locks;
            };
            match without_page_faults(|| hal::usercopy::read_user::<u32>(address)) {
                Ok(value) if value == expected => break locks,
                Ok(_) => return Err(Errno::EAGAIN),
                Err(Errno::EFAULT) => {
                    drop(locks);
                    let _: u32 = hal::usercopy::read_user(address)?;
                }
                Err(error) => return Err(error),
            }
        };
        let (bucket1, bucket2) = locks.split();
        let mut moved = Vec::new();
        let mut index = 0;
        while index < bucket1.len() {
            if task_count - nr_wake >= nr_requeue {
                break;
            }
            if *bucket1[index].key.lock() != key1 {
                index += 1;
                continue;
            }
            if bucket1[index].requeue_pi.is_some() {
                // A WAIT_REQUEUE_PI waiter is for CMP_REQUEUE_PI only.
                failure = Some(Errno::EINVAL);
                break;
            }
            task_count += 1;
            if task_count <= nr_wake {
                let waiter = bucket1.remove(index);
                mark_woken(&waiter);
                woken.push(waiter);
            } else {
                *bucket1[index].key.lock() = key2;
                if bucket2.is_some() {
                    moved.push(bucket1.remove(index));
                } else {
                    // Same bucket: the waiter stays where it is, under its new key.
                    index += 1;
                }
            }
        }
        if let Some(bucket2) = bucket2 {
            bucket2
                .try_reserve(moved.len())
                .map_err(|_| Errno::ENOMEM)?;
            bucket2.extend(moved);
        }
    }
    wake_threads(&woken);
    match failure {
        Some(error) => Err(error),
        None => Ok(task_count as usize),
    }
}

use abi::futex::{
    FUTEX_OP_ADD, FUTEX_OP_ANDN, FUTEX_OP_CMP_EQ, FUTEX_OP_CMP_GE, FUTEX_OP_CMP_GT,
    FUTEX_OP_CMP_LE, FUTEX_OP_CMP_LT, FUTEX_OP_CMP_NE, FUTEX_OP_OPARG_SHIFT, FUTEX_OP_OR,
    FUTEX_OP_SET, FUTEX_OP_XOR,
};

fn sign_extend_12(value: u32) -> i32 {
    ((value << 20) as i32) >> 20
}

/// Applies the encoded operation of FUTEX_WAKE_OP to the word at `address` atomically and
/// evaluates its comparison on the old value (`futex_atomic_op_inuser`). The word is changed
/// even when the comparison code is invalid (ENOSYS), as in Linux. Runs under the bucket locks,
/// so the caller disables page faults and handles `EFAULT`.
fn atomic_op_in_user(encoded: u32, address: u64) -> Result<bool, Errno> {
    let op = (encoded & 0x7000_0000) >> 28;
    let cmp = (encoded & 0x0f00_0000) >> 24;
    let mut oparg = sign_extend_12((encoded & 0x00ff_f000) >> 12);
    let cmparg = sign_extend_12(encoded & 0x0000_0fff);
    if encoded & (FUTEX_OP_OPARG_SHIFT << 28) != 0 {
        // Linux warns about shifts outside 0..=31 and masks them.
        oparg = 1i32.wrapping_shl((oparg & 31) as u32);
    }
    let op = match op {
        FUTEX_OP_SET => UserAtomicOp::Set,
        FUTEX_OP_ADD => UserAtomicOp::Add,
        FUTEX_OP_OR => UserAtomicOp::Or,
        FUTEX_OP_ANDN => UserAtomicOp::AndNot,
        FUTEX_OP_XOR => UserAtomicOp::Xor,
        _ => return Err(Errno::ENOSYS),
    };
    let old = hal::usercopy::atomic_op_user_u32(address, op, oparg as u32)? as i32;
    match cmp {
        FUTEX_OP_CMP_EQ => Ok(old == cmparg),
        FUTEX_OP_CMP_NE => Ok(old != cmparg),
        FUTEX_OP_CMP_LT => Ok(old < cmparg),
        FUTEX_OP_CMP_LE => Ok(old <= cmparg),
        FUTEX_OP_CMP_GT => Ok(old > cmparg),
        FUTEX_OP_CMP_GE => Ok(old >= cmparg),
        _ => Err(Errno::ENOSYS),
    }
}

/// FUTEX_WAKE_OP (`futex_wake_op`): changes the word at `address2` by `encoded_op`, wakes up to
/// `nr_wake` waiters of `key1`, and if the comparison held, up to `nr_wake2` of `key2`.
pub fn wake_op(
    key1: FutexKey,
    key2: FutexKey,
    address2: u64,
    nr_wake: i32,
    nr_wake2: i32,
    encoded_op: u32,
) -> Result<usize, Errno> {
    let mut woken = Vec::new();
    let count = {
        let (mut locks, is_met) = loop {
            let locks = DoubleLock::new(bucket_index(&key1), bucket_index(&key2));
            match without_page_faults(|| atomic_op_in_user(encoded_op, address2)) {
                Ok(is_met) => break (locks, is_met),
                Err(Errno::EFAULT) => {
                    // Make the word present and writable without the locks, then retry.
                    drop(locks);
                    hal::usercopy::fault_in_writable(address2)?;
                }
                Err(error) => return Err(error),
            }
        };
        let (bucket1, bucket2) = locks.split();
        let mut result = take_matching(bucket1, &key1, u32::MAX, wake_limit(nr_wake), &mut woken);
        if is_met && result.is_ok() {
            let bucket2 = match bucket2 {
                Some(bucket2) => bucket2,
                None => bucket1,
            };
            result = take_matching(bucket2, &key2, u32::MAX, wake_limit(nr_wake2), &mut woken);
        }
        result.map(|()| woken.len())
    };
    wake_threads(&woken);
    count
}

/// Wakes waiters of the word at `address` of `process` with a shared-futex wake, the way the
/// kernel wakes on a thread's behalf (`clear_child_tid`, robust-list cleanup: Linux calls
/// `futex_wake(uaddr, FLAGS_SHARED, 1, …)`). Private waiters are not woken, as in Linux.
pub fn wake_address(process: &Process, address: u64, count: i32) {
    if let Ok(key) = key_for(process, address, false) {
        let _ = wake(key, count, u32::MAX);
    }
}

pub use abi::futex::{FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, ROBUST_LIST_LIMIT};

/// Reads a robust-list pointer: the address, and bit 0 (the entry is a PI futex).
fn fetch_robust_entry(address: u64) -> Result<(u64, bool), Errno> {
    let raw: u64 = hal::usercopy::read_user(address)?;
    Ok((raw & !1, raw & 1 != 0))
}

/// Walks `thread`'s robust list (`exit_robust_list`, at exit and at exec): every lock it still
/// holds gets FUTEX_OWNER_DIED and one waiter is woken. A fault ends the walk, as in Linux; the
/// pending entry (`list_op_pending`) is handled last, and skipped in the list if it is there.
pub fn exit_robust_list(thread: &Arc<Thread>) {
    let head = thread.robust_list.swap(0, Ordering::Relaxed);
    if head == 0 {
        return;
    }
    // struct robust_list_head { list.next, futex_offset, list_op_pending }
    let Ok((mut entry, mut is_pi)) = fetch_robust_entry(head) else {
        return;
    };
    let Ok(offset) = hal::usercopy::read_user::<i64>(head.wrapping_add(8)) else {
        return;
    };
    let Ok((pending, is_pending_pi)) = fetch_robust_entry(head.wrapping_add(16)) else {
        return;
    };
    let mut limit = ROBUST_LIST_LIMIT;
    while entry != head {
        let next = fetch_robust_entry(entry);
        if entry != pending
            && handle_futex_death(thread, entry.wrapping_add(offset as u64), is_pi, false).is_err()
        {
            return;
        }
        let Ok((next_entry, next_is_pi)) = next else {
            return;
        };
        entry = next_entry;
        is_pi = next_is_pi;
        limit -= 1;
        if limit == 0 {
            break;
        }
    }
    if pending != 0 {
        let _ = handle_futex_death(
            thread,
            pending.wrapping_add(offset as u64),
            is_pending_pi,
            true,
        );
    }
}

/// One robust lock of a dying owner (`handle_futex_death`). `Err` on a fault.
fn handle_futex_death(
    thread: &Arc<Thread>,
    address: u64,
    is_pi: bool,
    is_pending_op: bool,
) -> Result<(), Errno> {
    if !address.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let value = loop {
        let value: u32 = hal::usercopy::read_user(address)?;
        let owner = value & FUTEX_TID_MASK;
        // The owner died between releasing the word and waking a waiter, or a woken waiter
        // died before taking it: wake another without touching the word.
        if is_pending_op && !is_pi && owner == 0 {
            wake_address(&thread.process, address, 1);
            return Ok(());
        }
        if owner != thread.futex_tid() {
            return Ok(());
        }
        // Set OWNER_DIED unless user space changed the word meanwhile (then look again).
        let updated = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if hal::usercopy::cmpxchg_user_u32(address, value, updated)? == value {
            break value;
        }
    };
    if !is_pi && value & FUTEX_WAITERS != 0 {
        wake_address(&thread.process, address, 1);
    }
    Ok(())
}

/// FUTEX_WAIT_REQUEUE_PI (`futex_wait_requeue_pi`): waits on the word at `address` like
/// FUTEX_WAIT_BITSET, expecting a CMP_REQUEUE_PI to move it to the PI futex `key2` (at
/// `address2`) and return
/// with that lock held. EINVAL when both words are one; woken any other way, EAGAIN; a timeout
/// ETIMEDOUT; a signal before the requeue restarts it (ERESTARTNOINTR), after it is EAGAIN.
pub fn wait_requeue_pi(
    thread: &Arc<Thread>,
    key: FutexKey,
    address: u64,
    expected: u32,
    bitset: u32,
    (key2, address2): (FutexKey, u64),
    deadline: Option<Deadline>,
) -> Result<usize, Errno> {
    let waiter = Waiter::new(thread.clone(), key, bitset, Some(key2))?;
    loop {
        let mut waiters = HASH[bucket_index(&key)].lock();
        let value = match without_page_faults(|| hal::usercopy::read_user::<u32>(address)) {
            Ok(value) => value,
            Err(Errno::EFAULT) => {
                drop(waiters);
                let _: u32 = hal::usercopy::read_user(address)?;
                continue;
            }
            Err(error) => return Err(error),
        };
        if value != expected {
            return Err(Errno::EAGAIN);
        }
        if key == key2 {
            return Err(Errno::EINVAL);
        }
        waiters.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        waiters.push(waiter.clone());
        break;
    }
    let outcome = wait_event_until(thread, &[], SleepKind::Interruptible, deadline, || {
        (waiter.is_woken.load(Ordering::Acquire) || waiter.is_granted.load(Ordering::Acquire))
            .then_some(())
    });
    // Still on the first word (not requeued): leave it.
    let was_queued = {
        let mut locks = DoubleLock::new(bucket_index(&key), bucket_index(&key2));
        let (bucket1, _) = locks.split();
        let before = bucket1.len();
        bucket1.retain(|other| !Arc::ptr_eq(other, &waiter));
        bucket1.len() != before
    };
    if was_queued {
        return Err(match outcome {
            Err(WaitError::TimedOut) => Errno::ETIMEDOUT,
            Err(WaitError::Interrupted) => Errno::ERESTARTNOINTR,
            Ok(()) => Errno::EAGAIN,
        });
    }
    if waiter.is_woken.load(Ordering::Acquire) && !waiter.is_granted.load(Ordering::Acquire) {
        return Err(Errno::EAGAIN);
    }
    if !waiter.is_granted.load(Ordering::Acquire) {
        // Requeued onto the PI futex and waiting for it: keep waiting as LOCK_PI does.
        let outcome = match outcome {
            Ok(()) => wait_event_until(thread, &[], SleepKind::Interruptible, deadline, || {
                waiter.is_granted.load(Ordering::Acquire).then_some(())
            }),
            Err(error) => Err(error),
        };
        return crate::futex_pi::finish_wait(thread, &waiter, address2, outcome.err(), true);
    }
    crate::futex_pi::finish_wait(thread, &waiter, address2, None, true)
}

/// FUTEX_CMP_REQUEUE_PI (`futex_requeue` with `requeue_pi`): if the first word still holds
/// `expected`, takes the PI futex at `address2` for the top waiter (which then returns with
/// it) when it is free, and moves up to `nr_requeue` WAIT_REQUEUE_PI waiters onto the PI
/// futex's queue. `nr_wake` must be 1. Returns the number woken plus requeued.
pub fn cmp_requeue_pi(
    key1: FutexKey,
    key2: FutexKey,
    address1: u64,
    address2: u64,
    nr_wake: i32,
    nr_requeue: i32,
    expected: u32,
) -> Result<usize, Errno> {
    use crate::futex_pi::{Attempt2, proxy_lock};
    if nr_wake < 0 || nr_requeue < 0 || address1 == address2 || nr_wake != 1 {
        return Err(Errno::EINVAL);
    }
    if key1 == key2 {
        return Err(Errno::EINVAL);
    }
    let caller = crate::process::current();
    let mut woken: Option<Arc<Waiter>> = None;
    let result = loop {
        let seen2: u32 = hal::usercopy::read_user(address2)?;
        let owner = crate::futex_pi::lookup_owner(&caller, seen2);
        let mut locks = DoubleLock::new(bucket_index(&key1), bucket_index(&key2));
        match without_page_faults(|| hal::usercopy::read_user::<u32>(address1)) {
            Ok(value) if value == expected => {}
            Ok(_) => return Err(Errno::EAGAIN),
            Err(Errno::EFAULT) => {
                drop(locks);
                let _: u32 = hal::usercopy::read_user(address1)?;
                continue;
            }
            Err(error) => return Err(error),
        }
        let (bucket1, _) = locks.split();
        let Some(top_index) = bucket1.iter().position(|waiter| *waiter.key.lock() == key1) else {
            return Ok(0);
        };
        let top = bucket1[top_index].clone();
        if top.requeue_pi != Some(key2) {
            return Err(Errno::EINVAL);
        }
        let mut task_count: i64 = 0;
        let state = match proxy_lock(&top, key2, address2, seen2, owner, nr_requeue > 0) {
            Attempt2::Fault => {
                drop(locks);
                hal::usercopy::fault_in_writable(address2)?;
                continue;
            }
            Attempt2::Retry => continue,
            Attempt2::Failed(error) => return Err(error),
            Attempt2::Acquired(state) => {
                bucket1.remove(top_index);
                crate::futex_pi::grant_acquired(&top, state.as_ref());
                woken = Some(top);
                task_count += 1;
                state
            }
            Attempt2::Queued(state) => Some(state),
        };
        let Some(state) = state else {
            break Ok(task_count as usize);
        };
        let mut failure = None;
        let mut index = 0;
        while index < bucket1.len() {
            if task_count - i64::from(nr_wake) >= i64::from(nr_requeue) {
                break;
            }
            let waiter = &bucket1[index];
            if *waiter.key.lock() != key1 {
                index += 1;
                continue;
            }
            if waiter.requeue_pi != Some(key2) {
                failure = Some(Errno::EINVAL);
                break;
            }
            let waiter = waiter.clone();
            if let Err(error) = crate::futex_pi::requeue_onto(&waiter, &state) {
                failure = Some(error);
                break;
            }
            *waiter.key.lock() = key2;
            bucket1.remove(index);
            task_count += 1;
        }
        crate::futex_pi::requeued(&state);
        break match failure {
            Some(error) => Err(error),
            None => Ok(task_count as usize),
        };
    };
    if let Some(woken) = woken {
        sched::wake_up(&woken.thread);
    }
    result
}
