//! File locks (Linux 6.1 `fs/locks.c`): where each file's locks live, sleeping for
//! `F_SETLKW`/`F_OFD_SETLKW`/`flock` without `LOCK_NB`, and their release on close. The rules
//! (ranges, conflicts, merging, conversion, deadlock detection) are `filelock`'s.
//!
//! A file's locks ([`filelock::InodeLocks`]) are kept in one of [`SHARD_COUNT`] shards keyed by
//! the inode's address (Linux hangs them off `inode->i_flctx`); a file with no lock has no entry,
//! so the table stays as small as the set of locked files. Each shard has a spin lock and a wait
//! queue: a change that may let a waiter through wakes the shard's waiters, which try again.
//! Owners: a POSIX lock belongs to the descriptor table it was set through (`fl_owner =
//! current->files`: threads share it, a forked child does not), an OFD or flock lock to the open
//! file description ([`Owner`]). Release follows Linux: closing any descriptor of a file drops
//! the table's POSIX locks on it (`locks_remove_posix`, from [`super::fd_table`]), and the
//! description's last reference drops its OFD and flock locks (`locks_remove_file`, from
//! `OpenFile`'s drop). Closing is cheap while no lock exists anywhere (one atomic load).
//!
//! Sleeps are interruptible and answer `ERESTARTSYS` (flock and `F_SETLKW` restart under
//! `SA_RESTART`, as signal(7) lists them). The deadlock graph is global, under one spin lock
//! taken only when a request must wait or something waits (Linux's `blocked_lock_lock`).
//!
//! Not done: leases (`F_SETLEASE`), mandatory locking (gone from Linux 5.15 too), `/proc/locks`.

use super::file::OpenFile;
use crate::process::Thread;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, WaitQueue, wait_event};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use filelock::flock::FlockError;
use filelock::record::SetError;
use filelock::{InodeLocks, LockKind, LockRange, RecordLock, WaitGraph};
use hal::sync::SpinLock;

/// Who holds a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A descriptor table (POSIX record locks), by its id.
    Files(u64),
    /// An open file description (OFD and flock locks), by its address.
    File(usize),
}

/// Number of shards of the lock table.
pub const SHARD_COUNT: usize = 64;

struct Shard {
    files: SpinLock<Vec<(usize, InodeLocks<Owner>)>>,
    waiters: WaitQueue,
}

static SHARDS: [Shard; SHARD_COUNT] = [const {
    Shard {
        files: SpinLock::new("file_lock.shard", Vec::new()),
        waiters: WaitQueue::new(),
    }
}; SHARD_COUNT];

/// Files that have at least one lock: closing skips the table while it is 0.
static LOCKED_FILES: AtomicUsize = AtomicUsize::new(0);
/// Requests asleep on a lock: unlocking skips the deadlock graph while it is 0.
static SLEEPERS: AtomicUsize = AtomicUsize::new(0);
static WAIT_GRAPH: SpinLock<WaitGraph<Owner>> =
    SpinLock::new("file_lock.wait_graph", WaitGraph::new());
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
static NEXT_TABLE_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh owner id for a new descriptor table.
pub fn new_table_id() -> u64 {
    NEXT_TABLE_ID.fetch_add(1, Ordering::Relaxed)
}

/// The key of `file`'s inode: the inode its path names, else the one it serves, else the
/// file object itself (files without an inode).
fn key_of(file: &OpenFile) -> usize {
    if let Some(dentry) = &file.path {
        return Arc::as_ptr(dentry.inode()).cast::<()>() as usize;
    }
    if let Some(inode) = file.ops.inode() {
        return Arc::as_ptr(inode).cast::<()>() as usize;
    }
    Arc::as_ptr(&file.ops).cast::<()>() as usize
}

fn shard_of(key: usize) -> &'static Shard {
    // Inodes are heap objects: drop the alignment bits before picking a shard.
    let index = (key >> 6) ^ (key >> 12);
    &SHARDS[index % SHARD_COUNT]
}

/// Runs `operation` on the locks of file `key`, creating its entry if `create` (`ENOLCK` when
/// there is no memory for it) and removing it when it ends up empty. `None` if the file has no
/// entry and `create` is false.
fn with_locks<R>(
    key: usize,
    create: bool,
    operation: impl FnOnce(&mut InodeLocks<Owner>) -> R,
) -> Result<Option<R>, Errno> {
    let shard = shard_of(key);
    let mut files = shard.files.lock();
    let index = match files.iter().position(|(k, _)| *k == key) {
        Some(index) => index,
        None if create => {
            files.try_reserve(1).map_err(|_| Errno::ENOLCK)?;
            files.push((key, InodeLocks::default()));
            LOCKED_FILES.fetch_add(1, Ordering::Relaxed);
            files.len() - 1
        }
        None => return Ok(None),
    };
    let result = operation(&mut files[index].1);
    if files[index].1.is_empty() {
        files.swap_remove(index);
        LOCKED_FILES.fetch_sub(1, Ordering::Relaxed);
    }
    Ok(Some(result))
}

/// After `owner` gave up locks on file `key`: its waiters look again.
fn released(key: usize, owner: Owner) {
    if SLEEPERS.load(Ordering::Acquire) == 0 {
        return;
    }
    WAIT_GRAPH.lock().remove_blocked_by(owner, key as u64);
    shard_of(key).waiters.wake_all();
}

/// A record-lock request: `F_SETLK`, `F_SETLKW` and their OFD forms.
pub struct RecordRequest {
    pub owner: Owner,
    /// The caller's thread-group id (`fl_pid`).
    pub pid: i32,
    pub is_ofd: bool,
    /// `None`: unlock.
    pub kind: Option<LockKind>,
    pub range: LockRange,
}

fn try_set_record(key: usize, request: &RecordRequest) -> Result<(), SetError<Owner>> {
    let result = with_locks(key, request.kind.is_some(), |locks| {
        locks.records.set(
            request.owner,
            request.pid,
            request.is_ofd,
            request.kind,
            request.range,
        )
    });
    match result {
        Ok(Some(result)) => result,
        Ok(None) => Ok(()),
        Err(_) => Err(SetError::NoMemory),
    }
}

fn record_errno(result: Result<(), SetError<Owner>>) -> Result<(), Errno> {
    match result {
        Ok(()) => Ok(()),
        Err(SetError::Conflict(_)) => Err(Errno::EAGAIN),
        Err(SetError::NoMemory) => Err(Errno::ENOLCK),
    }
}

/// Sleeps on file `key`'s shard until `attempt(token)` gives an answer; `ERESTARTSYS` if a
/// signal comes first. `token` names this wait in the deadlock graph.
fn wait_for(
    thread: &Arc<Thread>,
    key: usize,
    mut attempt: impl FnMut(u64) -> Option<Result<(), Errno>>,
) -> Result<(), Errno> {
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    // Counted before the first attempt: a release racing with it then wakes the queue, which
    // this thread is already on.
    SLEEPERS.fetch_add(1, Ordering::AcqRel);
    let result = wait_event(
        thread,
        &[&shard_of(key).waiters],
        SleepKind::Interruptible,
        None,
        || attempt(token),
    );
    SLEEPERS.fetch_sub(1, Ordering::AcqRel);
    WAIT_GRAPH.lock().remove(token);
    match result {
        Ok(answer) => answer,
        Err(WaitError::Interrupted) | Err(WaitError::TimedOut) => Err(Errno::ERESTARTSYS),
    }
}

/// Sets or removes a record lock on `file`; with `is_waiting`, sleeps while another owner's
/// lock conflicts (`EDEADLK` if that closes a cycle of POSIX waiters, `ERESTARTSYS` on a
/// signal), else `EAGAIN`.
pub fn set_record_lock(
    thread: &Arc<Thread>,
    file: &OpenFile,
    request: &RecordRequest,
    is_waiting: bool,
) -> Result<(), Errno> {
    if request.is_ofd && request.kind.is_some() {
        file.mark_locked();
    }
    let key = key_of(file);
    let result = if is_waiting {
        wait_for(thread, key, |token| match try_set_record(key, request) {
            Err(SetError::Conflict(holder)) => {
                if would_deadlock(token, request, &holder, key) {
                    Some(Err(Errno::EDEADLK))
                } else {
                    None
                }
            }
            other => Some(record_errno(other)),
        })
    } else {
        record_errno(try_set_record(key, request))
    };
    // Only an unlock or a downgrade to a read lock can let anybody through.
    if result.is_ok() && request.kind != Some(LockKind::Write) {
        released(key, request.owner);
    }
    result
}

/// Inside a wait: `request` found `holder` in its way. Whether waiting would deadlock
/// (`posix_locks_deadlock`: never for an OFD request); if not, records the wait when the
/// holder's lock is a POSIX one (`__locks_insert_block` hashes only those).
fn would_deadlock(
    token: u64,
    request: &RecordRequest,
    holder: &RecordLock<Owner>,
    key: usize,
) -> bool {
    let mut graph = WAIT_GRAPH.lock();
    if !request.is_ofd && graph.would_deadlock(request.owner, holder.owner) {
        graph.remove(token);
        return true;
    }
    if holder.is_ofd {
        graph.remove(token);
    } else {
        graph.insert(token, request.owner, holder.owner, key as u64);
    }
    false
}

/// `F_GETLK`/`F_OFD_GETLK`: the first lock of another owner that a lock of `kind` on `range`
/// by `owner` would conflict with.
pub fn test_record_lock(
    file: &OpenFile,
    owner: Owner,
    kind: LockKind,
    range: &LockRange,
) -> Option<RecordLock<Owner>> {
    if LOCKED_FILES.load(Ordering::Acquire) == 0 {
        return None;
    }
    with_locks(key_of(file), false, |locks| {
        locks.records.test(owner, kind, range)
    })
    .ok()
    .flatten()
    .flatten()
}

/// `flock(2)` on `file`: `kind` `None` unlocks. Without `is_waiting` a conflict is
/// `EWOULDBLOCK`; with it the caller sleeps (`ERESTARTSYS` on a signal). A conversion gives up
/// the old lock first, even when the new one is not granted.
pub fn flock(
    thread: &Arc<Thread>,
    file: &OpenFile,
    kind: Option<LockKind>,
    is_waiting: bool,
) -> Result<(), Errno> {
    if kind.is_some() {
        file.mark_locked();
    }
    let key = key_of(file);
    let owner = Owner::File(file.lock_owner_id());
    let try_once = || -> Result<(), FlockError> {
        let (result, is_released) = match with_locks(key, kind.is_some(), |locks| {
            let (result, outcome) = locks.flocks.set(owner, kind);
            (result, outcome.is_released)
        }) {
            Ok(Some(answer)) => answer,
            Ok(None) => (Ok(()), false),
            Err(_) => (Err(FlockError::NoMemory), false),
        };
        if is_released {
            released(key, owner);
        }
        result
    };
    let to_errno = |result: Result<(), FlockError>| match result {
        Ok(()) => Ok(()),
        Err(FlockError::WouldBlock) => Err(Errno::EWOULDBLOCK),
        Err(FlockError::NoMemory) => Err(Errno::ENOLCK),
    };
    if !is_waiting {
        return to_errno(try_once());
    }
    wait_for(thread, key, |_| match try_once() {
        Err(FlockError::WouldBlock) => None,
        other => Some(to_errno(other)),
    })
}

/// Closing a descriptor of `file` in the table `table_id`: the table's POSIX locks on the file
/// go (`locks_remove_posix`).
pub fn release_posix(table_id: u64, file: &OpenFile) {
    if LOCKED_FILES.load(Ordering::Acquire) == 0 {
        return;
    }
    let key = key_of(file);
    let owner = Owner::Files(table_id);
    if let Ok(Some(true)) = with_locks(key, false, |locks| locks.records.remove_owner(owner)) {
        released(key, owner);
    }
}

/// The last reference to `file` is gone: its OFD and flock locks go (`locks_remove_file`).
pub fn release_file(file: &OpenFile) {
    let key = key_of(file);
    let owner = Owner::File(file.lock_owner_id());
    let result = with_locks(key, false, |locks| {
        let had_records = locks.records.remove_owner(owner);
        let had_flock = locks.flocks.remove(owner);
        had_records || had_flock
    });
    if let Ok(Some(true)) = result {
        released(key, owner);
    }
}
