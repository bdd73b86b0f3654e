//! Priority-inheritance futexes (Linux 6.1 `kernel/futex/pi.c`, `requeue.c`'s REQUEUE_PI half,
//! and the rt_mutex they sit on): FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI,
//! WAIT_REQUEUE_PI and CMP_REQUEUE_PI.
//!
//! The user-space word holds the owner's TID, FUTEX_WAITERS when the owner must enter the
//! kernel to unlock, and FUTEX_OWNER_DIED once a robust owner died. Uncontended locking and
//! unlocking never enter the kernel. A contended lock gets a [`PiState`]: its owner, and the
//! threads blocked on it, ordered by priority (real-time priority first, then nice, then
//! arrival, as the rt_mutex's waiter tree). The owner runs at the priority of its highest
//! waiter (`SchedInfo::pi_priority`, through the real-time classes), and a boost travels along
//! the chain of owners blocked on other PI futexes, at most [`MAX_LOCK_DEPTH`] links
//! (`max_lock_depth`); a chain that comes back to the locking thread is EDEADLK. UNLOCK_PI hands
//! the lock to the top waiter directly: the word becomes its TID with FUTEX_WAITERS, so its
//! own unlock comes to the kernel, which clears the word when nobody waits any more.
//!
//! Errors as Linux: EDEADLK for a lock the caller holds, ESRCH when the TID in the word is no
//! thread (and the word did not change), EPERM for unlocking a lock the caller does not hold,
//! EAGAIN from TRYLOCK_PI on a held lock and from UNLOCK_PI when the word changed under it,
//! EINVAL for an inconsistent word (a TID that is not the known owner) and for the misuse of
//! REQUEUE_PI. A signal restarts LOCK_PI (ERESTARTNOINTR); its timeout is absolute
//! (CLOCK_REALTIME, or CLOCK_MONOTONIC for LOCK_PI2 without FUTEX_CLOCK_REALTIME).
//!
//! When an owner exits with waiters (`exit_pi_state_list`), the lock goes to the top waiter,
//! which writes its own TID into the word, keeping FUTEX_OWNER_DIED if the robust-list walk set
//! it (glibc turns that into EOWNERDEAD).
//!
//! Locks: a key's futex bucket serializes every change of its word and state (Linux's
//! `hb->lock`); under it `futex.pi_table` (the states by key), `futex.pi_state` (one state's
//! owner and waiters) and a thread's `thread.pi` lists, one at a time; boosts then take
//! `sched.rq` and `thread.sched`. Owners are looked up by TID before the bucket is locked (the
//! pid table comes first in the lock order), and the word is checked again under it.

use crate::futex::{FutexKey, HASH, Waiter, bucket_index};
use crate::process::{Thread, table};
use crate::sched;
use crate::sched::timer::Deadline;
use crate::sched::wait::{WaitError, wait_event_until};
use abi::Errno;
use abi::futex::{FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::sync::SpinLock;
use hal::usercopy::without_page_faults;

/// `max_lock_depth`: the longest chain a boost follows.
pub const MAX_LOCK_DEPTH: usize = 1024;

/// A contended PI futex: its owner and the threads waiting for it.
pub struct PiState {
    pub key: FutexKey,
    inner: SpinLock<PiInner>,
}

struct PiInner {
    /// None after the owner died, until the top waiter takes over.
    owner: Option<Arc<Thread>>,
    waiters: Vec<Arc<Waiter>>,
}

/// What a thread owns and waits for (`pi_state_list`, `pi_blocked_on`).
pub struct ThreadPi {
    owned: SpinLock<Vec<Arc<PiState>>>,
    blocked_on: SpinLock<Option<Arc<PiState>>>,
}

impl Default for ThreadPi {
    fn default() -> Self {
        ThreadPi {
            owned: SpinLock::new("thread.pi", Vec::new()),
            blocked_on: SpinLock::new("thread.pi", None),
        }
    }
}

const PI_BUCKETS: usize = 64;
static PI_TABLE: [SpinLock<Vec<Arc<PiState>>>; PI_BUCKETS] =
    [const { SpinLock::new("futex.pi_table", Vec::new()) }; PI_BUCKETS];

fn table_of(key: &FutexKey) -> &'static SpinLock<Vec<Arc<PiState>>> {
    &PI_TABLE[bucket_index(key) % PI_BUCKETS]
}

fn find_state(key: &FutexKey) -> Option<Arc<PiState>> {
    table_of(key)
        .lock()
        .iter()
        .find(|state| state.key == *key)
        .cloned()
}

/// Makes a state for `key` owned by `owner` (the caller holds the key's bucket).
fn new_state(key: FutexKey, owner: Option<Arc<Thread>>) -> Result<Arc<PiState>, Errno> {
    let state = Arc::new(PiState {
        key,
        inner: SpinLock::new(
            "futex.pi_state",
            PiInner {
                owner: owner.clone(),
                waiters: Vec::new(),
            },
        ),
    });
    {
        let mut table = table_of(&key).lock();
        table.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        table.push(state.clone());
    }
    if let Some(owner) = owner {
        add_owned(&owner, &state)?;
    }
    Ok(state)
}

fn add_owned(owner: &Thread, state: &Arc<PiState>) -> Result<(), Errno> {
    let mut owned = owner.pi.owned.lock();
    owned.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    owned.push(state.clone());
    Ok(())
}

fn remove_owned(owner: &Thread, state: &Arc<PiState>) {
    owner
        .pi
        .owned
        .lock()
        .retain(|other| !Arc::ptr_eq(other, state));
}

/// Forgets a state (no waiters left): out of the table and its owner's list.
fn drop_state(state: &Arc<PiState>) {
    table_of(&state.key)
        .lock()
        .retain(|other| !Arc::ptr_eq(other, state));
    let owner = state.inner.lock().owner.take();
    if let Some(owner) = owner {
        remove_owned(&owner, state);
        propagate(owner);
    }
}

/// A waiter's rank: real-time priority (higher first), then nice (lower first).
fn rank(thread: &Thread) -> (u32, i32) {
    let info = thread.sched.lock();
    let priority = match info.class() {
        sched_policy::Class::RealTime { priority, .. } => priority,
        sched_policy::Class::Fair => 0,
    };
    (priority, -info.nice)
}

/// The index of the top waiter: best rank, first come among equals.
fn top_index(waiters: &[Arc<Waiter>]) -> Option<usize> {
    let mut best: Option<(usize, (u32, i32))> = None;
    for (index, waiter) in waiters.iter().enumerate() {
        let candidate = rank(&waiter.thread);
        if best.is_none_or(|(_, rank)| candidate > rank) {
            best = Some((index, candidate));
        }
    }
    best.map(|(index, _)| index)
}

/// The boost `thread` needs: the highest real-time priority among the waiters of what it owns.
fn boost_of(thread: &Thread) -> u32 {
    let owned = thread.pi.owned.lock().clone();
    let mut boost = 0;
    for state in owned {
        let waiters = state.inner.lock().waiters.clone();
        for waiter in waiters {
            boost = boost.max(rank(&waiter.thread).0);
        }
    }
    boost
}

/// Re-derives the boost of `owner` and of the owners down the chain it is blocked on
/// (`rt_mutex_adjust_prio_chain`), stopping where nothing changes or after
/// [`MAX_LOCK_DEPTH`] links.
pub fn propagate(owner: Arc<Thread>) {
    let mut thread = owner;
    for _ in 0..MAX_LOCK_DEPTH {
        let boost = boost_of(&thread);
        if thread.sched.lock().pi_priority == boost {
            return;
        }
        sched::set_pi_priority(&thread, boost);
        let next = thread.pi.blocked_on.lock().clone();
        let Some(state) = next else {
            return;
        };
        let Some(next_owner) = state.inner.lock().owner.clone() else {
            return;
        };
        thread = next_owner;
    }
}

/// A thread's priority changed (sched_setscheduler, setpriority): its lock's owner may need
/// another boost (`rt_mutex_adjust_pi`).
pub fn priority_changed(thread: &Thread) {
    let blocked = thread.pi.blocked_on.lock().clone();
    if let Some(state) = blocked
        && let Some(owner) = state.inner.lock().owner.clone()
    {
        propagate(owner);
    }
}

/// Whether blocking `thread` on a lock owned by `owner` closes a cycle (the owner is, through
/// the locks it and its lock's owners wait for, waiting for `thread`).
fn would_deadlock(thread: &Arc<Thread>, owner: &Arc<Thread>) -> bool {
    let mut current = owner.clone();
    for _ in 0..MAX_LOCK_DEPTH {
        if Arc::ptr_eq(&current, thread) {
            return true;
        }
        let next = current.pi.blocked_on.lock().clone();
        let Some(state) = next else {
            return false;
        };
        let Some(next_owner) = state.inner.lock().owner.clone() else {
            return false;
        };
        current = next_owner;
    }
    // Linux gives up with EDEADLK past max_lock_depth too.
    true
}

/// Reads the word under a bucket lock (page faults off): `Err(EFAULT)` means "fault it in and
/// retry".
fn read_locked(address: u64) -> Result<u32, Errno> {
    without_page_faults(|| hal::usercopy::read_user::<u32>(address))
}

/// Compare-and-exchange under a bucket lock; returns the value found.
fn cmpxchg_locked(address: u64, expected: u32, new: u32) -> Result<u32, Errno> {
    without_page_faults(|| hal::usercopy::cmpxchg_user_u32(address, expected, new))
}

/// What one attempt under the bucket lock decided.
pub enum Attempt<T> {
    Done(T),
    /// The word could not be reached without a fault: fault it in writable, then retry.
    Fault,
    /// The word changed (or the owner went) since it was read unlocked: retry.
    Retry,
}

/// FUTEX_LOCK_PI, LOCK_PI2 and TRYLOCK_PI (`futex_lock_pi`).
pub fn lock(
    thread: &Arc<Thread>,
    key: FutexKey,
    address: u64,
    deadline: Option<Deadline>,
    is_trylock: bool,
) -> Result<usize, Errno> {
    let tid = thread.futex_tid();
    let waiter = loop {
        // The owner is looked up before the bucket lock (the pid table comes first).
        let seen: u32 = hal::usercopy::read_user(address)?;
        let seen_owner = seen & FUTEX_TID_MASK;
        if seen_owner == tid {
            return Err(Errno::EDEADLK);
        }
        let owner_thread = if seen_owner != 0 {
            table::find_thread_in(thread.pid_ns(), seen_owner)
        } else {
            None
        };
        let attempt = {
            let _bucket = HASH[bucket_index(&key)].lock();
            lock_attempt(thread, key, address, seen, owner_thread, is_trylock)
        };
        match attempt {
            Attempt::Done(Ok(Some(waiter))) => break waiter,
            Attempt::Done(Ok(None)) => return Ok(0),
            Attempt::Done(Err(error)) => return Err(error),
            Attempt::Fault => hal::usercopy::fault_in_writable(address)?,
            Attempt::Retry => {}
        }
    };
    let outcome = wait_event_until(
        thread,
        &[],
        sched::SleepKind::Interruptible,
        deadline,
        || waiter.is_granted.load(Ordering::Acquire).then_some(()),
    );
    finish_wait(thread, &waiter, address, outcome.err(), false)
}

/// One locked attempt of [`lock`]: `Ok(None)` when the lock was taken, `Ok(Some(waiter))` when
/// the caller is queued and must sleep.
fn lock_attempt(
    thread: &Arc<Thread>,
    key: FutexKey,
    address: u64,
    seen: u32,
    owner_thread: Option<Arc<Thread>>,
    is_trylock: bool,
) -> Attempt<Result<Option<Arc<Waiter>>, Errno>> {
    let tid = thread.futex_tid();
    let word = match read_locked(address) {
        Ok(word) => word,
        Err(Errno::EFAULT) => return Attempt::Fault,
        Err(error) => return Attempt::Done(Err(error)),
    };
    let owner_tid = word & FUTEX_TID_MASK;
    if owner_tid == tid {
        return Attempt::Done(Err(Errno::EDEADLK));
    }
    if let Some(state) = find_state(&key) {
        // `attach_to_pi_state`: the word must name the state's owner.
        let known = state.inner.lock().owner.clone();
        match &known {
            Some(owner) if owner.futex_tid() == owner_tid => {}
            // The owner died and its top waiter has not written its TID yet: queue behind it.
            None => {}
            Some(_) if owner_tid == 0 && word & FUTEX_OWNER_DIED != 0 => {}
            Some(_) => return Attempt::Done(Err(Errno::EINVAL)),
        }
        if is_trylock {
            return Attempt::Done(Err(Errno::EAGAIN));
        }
        if word & FUTEX_WAITERS == 0 {
            match cmpxchg_locked(address, word, word | FUTEX_WAITERS) {
                Ok(found) if found == word => {}
                Ok(_) => return Attempt::Retry,
                Err(Errno::EFAULT) => return Attempt::Fault,
                Err(error) => return Attempt::Done(Err(error)),
            }
        }
        return Attempt::Done(block_on(thread, &state, key, known));
    }
    if owner_tid == 0 {
        // Free (the WAITERS or OWNER_DIED bit sent us here): take it, keeping OWNER_DIED.
        let new = tid | (word & FUTEX_OWNER_DIED);
        return match cmpxchg_locked(address, word, new) {
            Ok(found) if found == word => Attempt::Done(Ok(None)),
            Ok(_) => Attempt::Retry,
            Err(Errno::EFAULT) => Attempt::Fault,
            Err(error) => Attempt::Done(Err(error)),
        };
    }
    // The first waiter: set FUTEX_WAITERS, then attach to the owner (`attach_to_pi_owner`).
    let with_waiters = word | FUTEX_WAITERS;
    if word != with_waiters {
        match cmpxchg_locked(address, word, with_waiters) {
            Ok(found) if found == word => {}
            Ok(_) => return Attempt::Retry,
            Err(Errno::EFAULT) => return Attempt::Fault,
            Err(error) => return Attempt::Done(Err(error)),
        }
    }
    let owner = match owner_thread {
        Some(owner) if owner.futex_tid() == owner_tid => owner,
        // The word named someone else when the owner was looked up.
        _ if seen & FUTEX_TID_MASK != owner_tid => return Attempt::Retry,
        // `handle_exit_race`: no such thread and the word still names it.
        _ => return Attempt::Done(Err(Errno::ESRCH)),
    };
    if owner.process.is_zombie() {
        return Attempt::Done(Err(Errno::ESRCH));
    }
    if is_trylock {
        return Attempt::Done(Err(Errno::EAGAIN));
    }
    let state = match new_state(key, Some(owner.clone())) {
        Ok(state) => state,
        Err(error) => return Attempt::Done(Err(error)),
    };
    Attempt::Done(block_on(thread, &state, key, Some(owner)))
}

/// Queues `thread` on `state` (under the key's bucket): EDEADLK if that closes a cycle; then
/// boosts the owner's chain.
fn block_on(
    thread: &Arc<Thread>,
    state: &Arc<PiState>,
    key: FutexKey,
    owner: Option<Arc<Thread>>,
) -> Result<Option<Arc<Waiter>>, Errno> {
    if let Some(owner) = &owner
        && would_deadlock(thread, owner)
    {
        if state.inner.lock().waiters.is_empty() {
            drop_state(state);
        }
        return Err(Errno::EDEADLK);
    }
    let waiter = Waiter::new_pi(thread.clone(), key)?;
    {
        let mut inner = state.inner.lock();
        inner.waiters.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        inner.waiters.push(waiter.clone());
    }
    *waiter.pi.lock() = Some(state.clone());
    *thread.pi.blocked_on.lock() = Some(state.clone());
    if let Some(owner) = owner {
        propagate(owner);
    }
    Ok(Some(waiter))
}

/// After a PI waiter's sleep (LOCK_PI, or WAIT_REQUEUE_PI once requeued): the lock if it was
/// granted (writing our TID into the word if the owner died), else out of the queue with
/// ETIMEDOUT, or ERESTARTNOINTR (EAGAIN after a requeue) for a signal.
pub fn finish_wait(
    thread: &Arc<Thread>,
    waiter: &Arc<Waiter>,
    address: u64,
    error: Option<WaitError>,
    was_requeued: bool,
) -> Result<usize, Errno> {
    let key = waiter.key();
    loop {
        let _bucket = HASH[bucket_index(&key)].lock();
        let state = waiter.pi.lock().clone();
        if waiter.is_granted.load(Ordering::Acquire) {
            if waiter.needs_fixup.load(Ordering::Acquire) {
                match fixup_owner(thread, address, state.as_ref()) {
                    Ok(()) => {}
                    Err(Errno::EFAULT) => {
                        drop(_bucket);
                        hal::usercopy::fault_in_writable(address)?;
                        continue;
                    }
                    Err(error) => return Err(error),
                }
            }
            return Ok(0);
        }
        // Not granted: leave the queue.
        if let Some(state) = &state {
            let (owner, is_empty) = {
                let mut inner = state.inner.lock();
                inner.waiters.retain(|other| !Arc::ptr_eq(other, waiter));
                (inner.owner.clone(), inner.waiters.is_empty())
            };
            *thread.pi.blocked_on.lock() = None;
            if is_empty {
                drop_state(state);
            } else if let Some(owner) = owner {
                propagate(owner);
            }
        }
        return Err(match error {
            Some(WaitError::TimedOut) => Errno::ETIMEDOUT,
            _ if was_requeued => Errno::EAGAIN,
            _ => Errno::ERESTARTNOINTR,
        });
    }
}

/// The owner died and gave us the lock (`fixup_pi_state_owner`): our TID into the word, with
/// OWNER_DIED kept and WAITERS while others still wait.
fn fixup_owner(
    thread: &Arc<Thread>,
    address: u64,
    state: Option<&Arc<PiState>>,
) -> Result<(), Errno> {
    let has_waiters = state.is_some_and(|state| !state.inner.lock().waiters.is_empty());
    loop {
        let word = read_locked(address)?;
        let mut new = thread.futex_tid() | (word & FUTEX_OWNER_DIED);
        if has_waiters {
            new |= FUTEX_WAITERS;
        }
        if cmpxchg_locked(address, word, new)? == word {
            break;
        }
    }
    if let Some(state) = state
        && !has_waiters
    {
        drop_state(state);
    }
    Ok(())
}

/// Hands `state`'s lock to its top waiter (under the key's bucket): the waiter leaves the queue,
/// becomes the owner and is woken. Returns it.
fn grant_top(state: &Arc<PiState>, needs_fixup: bool) -> Option<Arc<Waiter>> {
    let (waiter, old_owner) = {
        let mut inner = state.inner.lock();
        let index = top_index(&inner.waiters)?;
        let waiter = inner.waiters.remove(index);
        let old = inner.owner.replace(waiter.thread.clone());
        (waiter, old)
    };
    if let Some(old) = &old_owner {
        remove_owned(old, state);
    }
    // A failed allocation leaves it out of the list: its boost is then not recomputed for this
    // lock, the one consequence.
    let _ = add_owned(&waiter.thread, state);
    *waiter.thread.pi.blocked_on.lock() = None;
    waiter.needs_fixup.store(needs_fixup, Ordering::Release);
    waiter.is_granted.store(true, Ordering::Release);
    if let Some(old) = old_owner {
        propagate(old);
    }
    propagate(waiter.thread.clone());
    Some(waiter)
}

/// FUTEX_UNLOCK_PI (`futex_unlock_pi`).
pub fn unlock(thread: &Arc<Thread>, key: FutexKey, address: u64) -> Result<usize, Errno> {
    let tid = thread.futex_tid();
    loop {
        let word: u32 = hal::usercopy::read_user(address)?;
        if word & FUTEX_TID_MASK != tid {
            return Err(Errno::EPERM);
        }
        let (attempt, woken) = {
            let _bucket = HASH[bucket_index(&key)].lock();
            unlock_attempt(thread, key, address, word)
        };
        if let Some(woken) = woken {
            sched::wake_up(&woken.thread);
        }
        match attempt {
            Attempt::Done(result) => return result,
            Attempt::Fault => hal::usercopy::fault_in_writable(address)?,
            Attempt::Retry => {}
        }
    }
}

fn unlock_attempt(
    thread: &Arc<Thread>,
    key: FutexKey,
    address: u64,
    word: u32,
) -> (Attempt<Result<usize, Errno>>, Option<Arc<Waiter>>) {
    let state = find_state(&key);
    let top_tid = state.as_ref().and_then(|state| {
        let inner = state.inner.lock();
        top_index(&inner.waiters).map(|index| inner.waiters[index].thread.futex_tid())
    });
    if let (Some(state), Some(top_tid)) = (&state, top_tid) {
        // `wake_futex_pi`: the word goes straight to the top waiter.
        let owned_by_us = state
            .inner
            .lock()
            .owner
            .as_ref()
            .is_some_and(|owner| Arc::ptr_eq(owner, thread));
        if !owned_by_us {
            return (Attempt::Done(Err(Errno::EINVAL)), None);
        }
        let new = FUTEX_WAITERS | top_tid;
        return match cmpxchg_locked(address, word, new) {
            Ok(found) if found == word => (Attempt::Done(Ok(0)), grant_top(state, false)),
            Ok(_) => (Attempt::Retry, None),
            Err(Errno::EFAULT) => (Attempt::Fault, None),
            Err(error) => (Attempt::Done(Err(error)), None),
        };
    }
    if let Some(state) = &state {
        // A state without waiters (they left on timeouts): forget it.
        drop_state(state);
    }
    // Nobody waits in the kernel: the word becomes 0, WAITERS and OWNER_DIED dropped.
    match cmpxchg_locked(address, word, 0) {
        Ok(found) if found == word => (Attempt::Done(Ok(0)), None),
        // User space changed it meanwhile: let it deal with that.
        Ok(_) => (Attempt::Done(Err(Errno::EAGAIN)), None),
        Err(Errno::EFAULT) => (Attempt::Fault, None),
        Err(error) => (Attempt::Done(Err(error)), None),
    }
}

/// `exit_pi_state_list`: an exiting thread gives up the PI locks it still owns; each goes to
/// its top waiter, which fixes the word up itself.
pub fn exit_owner(thread: &Arc<Thread>) {
    let owned = core::mem::take(&mut *thread.pi.owned.lock());
    for state in owned {
        let woken = {
            let _bucket = HASH[bucket_index(&state.key)].lock();
            let is_ours = state
                .inner
                .lock()
                .owner
                .as_ref()
                .is_some_and(|owner| Arc::ptr_eq(owner, thread));
            if !is_ours {
                continue;
            }
            let woken = grant_top(&state, true);
            if woken.is_none() {
                drop_state(&state);
            }
            woken
        };
        if let Some(woken) = woken {
            sched::wake_up(&woken.thread);
        }
    }
    let boost = thread.sched.lock().pi_priority;
    if boost != 0 {
        sched::set_pi_priority(thread, 0);
    }
}

/// The part of CMP_REQUEUE_PI that takes the PI futex at `address2` for the top waiter of the
/// first word, or attaches a state to its owner so waiters can be requeued onto it
/// (`futex_proxy_trylock_atomic`). Runs under both buckets. `owner_thread` is the owner of the
/// word as read before the locks. Returns whether the top waiter got the lock, and the state
/// waiters are to be requeued onto (if any).
pub fn proxy_lock(
    top: &Arc<Waiter>,
    key2: FutexKey,
    address2: u64,
    seen2: u32,
    owner_thread: Option<Arc<Thread>>,
    set_waiters: bool,
) -> Attempt2 {
    let word = match read_locked(address2) {
        Ok(word) => word,
        Err(Errno::EFAULT) => return Attempt2::Fault,
        Err(error) => return Attempt2::Failed(error),
    };
    let owner_tid = word & FUTEX_TID_MASK;
    if owner_tid == top.thread.futex_tid() {
        return Attempt2::Failed(Errno::EDEADLK);
    }
    if let Some(state) = find_state(&key2) {
        let known = state.inner.lock().owner.clone();
        if let Some(owner) = &known
            && owner.futex_tid() != owner_tid
        {
            return Attempt2::Failed(Errno::EINVAL);
        }
        if word & FUTEX_WAITERS == 0 {
            match cmpxchg_locked(address2, word, word | FUTEX_WAITERS) {
                Ok(found) if found == word => {}
                Ok(_) => return Attempt2::Retry,
                Err(Errno::EFAULT) => return Attempt2::Fault,
                Err(error) => return Attempt2::Failed(error),
            }
        }
        return Attempt2::Queued(state);
    }
    if owner_tid == 0 {
        let mut new = top.thread.futex_tid() | (word & FUTEX_OWNER_DIED);
        if set_waiters {
            new |= FUTEX_WAITERS;
        }
        return match cmpxchg_locked(address2, word, new) {
            Ok(found) if found == word => {
                let state = if set_waiters {
                    match new_state(key2, Some(top.thread.clone())) {
                        Ok(state) => Some(state),
                        Err(error) => return Attempt2::Failed(error),
                    }
                } else {
                    None
                };
                Attempt2::Acquired(state)
            }
            Ok(_) => Attempt2::Retry,
            Err(Errno::EFAULT) => Attempt2::Fault,
            Err(error) => Attempt2::Failed(error),
        };
    }
    if word & FUTEX_WAITERS == 0 {
        match cmpxchg_locked(address2, word, word | FUTEX_WAITERS) {
            Ok(found) if found == word => {}
            Ok(_) => return Attempt2::Retry,
            Err(Errno::EFAULT) => return Attempt2::Fault,
            Err(error) => return Attempt2::Failed(error),
        }
    }
    let owner = match owner_thread {
        Some(owner) if owner.futex_tid() == owner_tid => owner,
        _ if seen2 & FUTEX_TID_MASK != owner_tid => return Attempt2::Retry,
        _ => return Attempt2::Failed(Errno::ESRCH),
    };
    match new_state(key2, Some(owner)) {
        Ok(state) => Attempt2::Queued(state),
        Err(error) => Attempt2::Failed(error),
    }
}

/// What [`proxy_lock`] decided.
pub enum Attempt2 {
    /// The top waiter owns the PI futex now (and the state to requeue the others onto, if
    /// they are to be requeued).
    Acquired(Option<Arc<PiState>>),
    /// The PI futex is held: requeue onto this state.
    Queued(Arc<PiState>),
    Failed(Errno),
    Fault,
    Retry,
}

/// Moves a WAIT_REQUEUE_PI waiter onto `state` (under both buckets): it now waits for the PI
/// lock as a LOCK_PI waiter would. EDEADLK if it owns the lock's chain.
pub fn requeue_onto(waiter: &Arc<Waiter>, state: &Arc<PiState>) -> Result<(), Errno> {
    let owner = state.inner.lock().owner.clone();
    if let Some(owner) = &owner
        && would_deadlock(&waiter.thread, owner)
    {
        return Err(Errno::EDEADLK);
    }
    {
        let mut inner = state.inner.lock();
        inner.waiters.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        inner.waiters.push(waiter.clone());
    }
    *waiter.pi.lock() = Some(state.clone());
    *waiter.thread.pi.blocked_on.lock() = Some(state.clone());
    Ok(())
}

/// Grants the PI futex to a requeue waiter that [`proxy_lock`] acquired it for.
pub fn grant_acquired(waiter: &Arc<Waiter>, state: Option<&Arc<PiState>>) {
    if let Some(state) = state {
        *waiter.pi.lock() = Some(state.clone());
    }
    waiter.is_granted.store(true, Ordering::Release);
}

/// Boosts `state`'s owner after waiters were requeued onto it.
pub fn requeued(state: &Arc<PiState>) {
    let owner = state.inner.lock().owner.clone();
    if let Some(owner) = owner {
        propagate(owner);
    }
}

/// The owner a CMP_REQUEUE_PI must look up before it locks: the thread named by the word
/// (a tid in the caller's PID namespace).
pub fn lookup_owner(caller: &Thread, word: u32) -> Option<Arc<Thread>> {
    match word & FUTEX_TID_MASK {
        0 => None,
        tid => table::find_thread_in(caller.pid_ns(), tid),
    }
}
