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
//! Leases (`F_SETLEASE`, `F_GETLEASE`; rules in `filelock::lease`) live beside the other locks
//! of a file: an open that conflicts with one ([`break_lease`], from the open path and
//! truncate(2)) signals the holder (`send_sigio` with `POLL_MSG`: `SIGIO` or `F_SETSIG`'s
//! signal) and sleeps until the holder releases or downgrades it or `fs.lease-break-time`
//! passes (`EWOULDBLOCK` at once with `O_NONBLOCK`); a lease goes with its open file.
//! Whether a file is open for writing comes from the inode's [`vfs::inode::OpenCounts`].
//!
//! [`proc_locks`] renders `/proc/locks`.
//!
//! Not done: mandatory locking (gone from Linux 5.15 too), delegations, the waiters of
//! `/proc/locks`.

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

/// A locked file's device and inode numbers, for `/proc/locks`.
type Ident = (u64, u64);

/// The device and inode numbers of `file`'s inode.
fn ident_of(file: &OpenFile) -> Ident {
    let metadata = match (&file.path, file.ops.inode()) {
        (Some(path), _) => path.dentry().inode().metadata(),
        (None, Some(inode)) => inode.metadata(),
        (None, None) => file.ops.metadata(),
    };
    (metadata.dev, metadata.ino)
}

/// A lease holder: its open file and the descriptor `F_SETLEASE` was given (`fl_fasync`).
#[derive(Clone, Debug)]
pub struct LeaseTarget {
    file: alloc::sync::Weak<OpenFile>,
    fd: i32,
    /// The setter's process (`fl_pid`).
    pid: i32,
}

/// The locks of one file as this module keeps them.
type Locks = InodeLocks<Owner, LeaseTarget>;

/// Number of shards of the lock table.
pub const SHARD_COUNT: usize = 64;

struct Shard {
    files: SpinLock<Vec<(usize, Ident, Locks)>>,
    waiters: WaitQueue,
}

static SHARDS: [Shard; SHARD_COUNT] = [const {
    Shard {
        files: SpinLock::new("file_lock.shard", Vec::new()),
        waiters: WaitQueue::new(),
    }
}; SHARD_COUNT];

/// `fs.lease-break-time`: seconds a lease holder has to release before the breaker goes on.
pub static LEASE_BREAK_TIME: core::sync::atomic::AtomicI64 = core::sync::atomic::AtomicI64::new(45);
/// `fs.leases-enable`: 0 refuses new leases (`EINVAL`).
pub static LEASES_ENABLE: core::sync::atomic::AtomicI64 = core::sync::atomic::AtomicI64::new(1);

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
    create: Option<Ident>,
    operation: impl FnOnce(&mut Locks) -> R,
) -> Result<Option<R>, Errno> {
    let shard = shard_of(key);
    let mut files = shard.files.lock();
    let index = match files.iter().position(|(k, _, _)| *k == key) {
        Some(index) => index,
        None => match create {
            Some(ident) => {
                files.try_reserve(1).map_err(|_| Errno::ENOLCK)?;
                files.push((key, ident, InodeLocks::default()));
                LOCKED_FILES.fetch_add(1, Ordering::Relaxed);
                files.len() - 1
            }
            None => return Ok(None),
        },
    };
    let result = operation(&mut files[index].2);
    if files[index].2.is_empty() {
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

fn try_set_record(
    key: usize,
    ident: Ident,
    request: &RecordRequest,
) -> Result<(), SetError<Owner>> {
    let result = with_locks(key, request.kind.map(|_| ident), |locks| {
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
    let ident = ident_of(file);
    let result = if is_waiting {
        wait_for(thread, key, |token| {
            match try_set_record(key, ident, request) {
                Err(SetError::Conflict(holder)) => {
                    if would_deadlock(token, request, &holder, key) {
                        Some(Err(Errno::EDEADLK))
                    } else {
                        None
                    }
                }
                other => Some(record_errno(other)),
            }
        })
    } else {
        record_errno(try_set_record(key, ident, request))
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
    with_locks(key_of(file), None, |locks| {
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
    let ident = ident_of(file);
    let pid = thread.process.pid as i32;
    let owner = Owner::File(file.lock_owner_id());
    let try_once = || -> Result<(), FlockError> {
        let (result, is_released) = match with_locks(key, kind.map(|_| ident), |locks| {
            let (result, outcome) = locks.flocks.set(owner, kind, pid);
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
    if let Ok(Some(true)) = with_locks(key, None, |locks| locks.records.remove_owner(owner)) {
        released(key, owner);
    }
}

/// The last reference to `file` is gone: its OFD and flock locks go (`locks_remove_file`).
pub fn release_file(file: &OpenFile) {
    let key = key_of(file);
    let owner = Owner::File(file.lock_owner_id());
    let result = with_locks(key, None, |locks| {
        let had_records = locks.records.remove_owner(owner);
        let had_flock = locks.flocks.remove(owner);
        let had_lease = locks.leases.remove(owner).is_ok();
        had_records || had_flock || had_lease
    });
    if let Ok(Some(true)) = result {
        released(key, owner);
    }
}

/// The inode `file` was opened on, if it is a path's.
fn path_inode(file: &OpenFile) -> Option<&Arc<dyn vfs::Inode>> {
    file.path.as_ref().map(|path| path.dentry().inode())
}

/// `fcntl(fd, F_SETLEASE, arg)` (`fcntl_setlease`, `generic_setlease`): `EACCES` unless the
/// caller's fsuid owns the file or it has `CAP_LEASE`, `EINVAL` on anything but a regular file
/// or an unknown type.
pub fn set_lease(
    file: &Arc<OpenFile>,
    fd: i32,
    arg: u64,
    process: &crate::process::Process,
) -> Result<usize, Errno> {
    let inode = path_inode(file).ok_or(Errno::EINVAL)?;
    let metadata = inode.metadata();
    {
        let credentials = process.credentials.lock();
        if credentials.fsuid != metadata.uid
            && !credentials.has_capability(abi::capability::CAP_LEASE)
        {
            return Err(Errno::EACCES);
        }
    }
    if metadata.file_type != vfs::FileType::Regular {
        return Err(Errno::EINVAL);
    }
    let key = key_of(file);
    let owner = Owner::File(file.lock_owner_id());
    let kind = match arg as u32 as i32 as i16 {
        _ if arg as u32 > u32::from(u16::MAX) => return Err(Errno::EINVAL),
        abi::fcntl::lock_type::F_UNLCK => {
            let removed = with_locks(key, None, |locks| locks.leases.remove(owner).map(drop))?;
            removed.unwrap_or(Err(Errno::EAGAIN))?;
            released(key, owner);
            return Ok(0);
        }
        abi::fcntl::lock_type::F_RDLCK => LockKind::Read,
        abi::fcntl::lock_type::F_WRLCK => LockKind::Write,
        _ => return Err(Errno::EINVAL),
    };
    let opens = match inode.open_counts() {
        Some(counts) => filelock::lease::Opens {
            writers: counts.writers(),
            readers: counts.readers.load(Ordering::Acquire),
            self_writes: file.is_writable(),
            self_reads_only: !file.is_writable() && file.is_readable(),
        },
        None => return Err(Errno::EINVAL),
    };
    file.mark_locked();
    let is_enabled = LEASES_ENABLE.load(Ordering::Relaxed) != 0;
    let now = crate::time::monotonic_ns();
    let target = LeaseTarget {
        file: Arc::downgrade(file),
        fd,
        pid: process.pid as i32,
    };
    with_locks(key, Some((metadata.dev, metadata.ino)), |locks| {
        locks
            .leases
            .set(owner, kind, &opens, is_enabled, now, target)
    })?
    .unwrap_or(Err(Errno::ENOLCK))?;
    // A downgrade lets waiting readers in.
    released(key, owner);
    // lease_setup: the caller's process receives the break signal unless an owner is set.
    if file.owner.lock().id == 0 {
        super::fasync::set_owner(
            file,
            super::fasync::OwnerKind::Process,
            process.pid,
            process,
        )?;
    }
    Ok(0)
}

/// `fcntl(fd, F_GETLEASE)`: the lease held through `file` (what it is becoming while broken).
pub fn get_lease(file: &OpenFile) -> Result<usize, Errno> {
    let key = key_of(file);
    let owner = Owner::File(file.lock_owner_id());
    let now = crate::time::monotonic_ns();
    let kind = if LOCKED_FILES.load(Ordering::Acquire) == 0 {
        None
    } else {
        with_locks(key, None, |locks| locks.leases.get(owner, now))?
    };
    Ok(kind.unwrap_or(filelock::lease::F_UNLCK) as usize)
}

/// `break_lease`: an open of `inode` with `flags` (a truncate passes `O_WRONLY`) breaks the
/// leases it conflicts with and waits until they are gone or downgraded (`EWOULDBLOCK` with
/// `O_NONBLOCK`, `ERESTARTSYS` on a signal).
pub fn break_lease(inode: &Arc<dyn vfs::Inode>, flags: abi::OpenFlags) -> Result<(), Errno> {
    if LOCKED_FILES.load(Ordering::Acquire) == 0 {
        return Ok(());
    }
    let key = Arc::as_ptr(inode).cast::<()>() as usize;
    let is_write = flags.access_mode() != abi::AccessMode::ReadOnly;
    let now = crate::time::monotonic_ns();
    let break_secs = LEASE_BREAK_TIME.load(Ordering::Relaxed);
    let deadline = if break_secs > 0 {
        now.saturating_add((break_secs as u64).saturating_mul(1_000_000_000))
    } else {
        0
    };
    let mut targets: Vec<LeaseTarget> = Vec::new();
    let conflict = with_locks(key, None, |locks| {
        locks.leases.time_out(now);
        if !locks.leases.conflicts(is_write) {
            return false;
        }
        locks.leases.start_break(is_write, deadline, |target| {
            if targets.try_reserve(1).is_ok() {
                targets.push(target.clone());
            }
        });
        true
    })?
    .unwrap_or(false);
    for target in &targets {
        if let Some(file) = target.file.upgrade() {
            super::fasync::send_sigio(&file, target.fd, super::fasync::POLL_MSG);
        }
    }
    drop(targets);
    if !conflict {
        return Ok(());
    }
    if flags.contains(abi::OpenFlags::O_NONBLOCK) {
        return Err(Errno::EWOULDBLOCK);
    }
    let thread = crate::process::try_current().ok_or(Errno::EWOULDBLOCK)?;
    loop {
        let wait_until = with_locks(key, None, |locks| locks.leases.first_deadline())?
            .flatten()
            .filter(|&at| at != 0);
        // Counted, so a release wakes the shard's waiters.
        SLEEPERS.fetch_add(1, Ordering::AcqRel);
        let result = wait_event(
            &thread,
            &[&shard_of(key).waiters],
            SleepKind::Interruptible,
            wait_until,
            || {
                let now = crate::time::monotonic_ns();
                let conflicts = with_locks(key, None, |locks| {
                    locks.leases.time_out(now);
                    locks.leases.conflicts(is_write)
                });
                (!matches!(conflicts, Ok(Some(true)))).then_some(())
            },
        );
        SLEEPERS.fetch_sub(1, Ordering::AcqRel);
        match result {
            Ok(()) => return Ok(()),
            Err(WaitError::TimedOut) => {
                let now = crate::time::monotonic_ns();
                let conflicts = with_locks(key, None, |locks| {
                    locks.leases.time_out(now);
                    locks.leases.conflicts(is_write)
                })?;
                if conflicts != Some(true) {
                    return Ok(());
                }
            }
            Err(WaitError::Interrupted) => return Err(Errno::ERESTARTSYS),
        }
    }
}

/// `/proc/locks` (`locks_show`, `lock_get_status`): one line per lock, POSIX and OFD record
/// locks, flock locks and leases, numbered from 1, with the setter's pid (-1 for OFD locks),
/// the file's device as `major:minor` in hex and its inode number, and the range (`0 EOF` for
/// whole-file kinds). Files come in the table's order, not Linux's newest-first list; the
/// waiters Linux lists under a lock with `->` are not shown.
pub fn proc_locks(out: &mut Vec<u8>) -> Result<(), Errno> {
    struct Line {
        head: &'static str,
        kind: i16,
        pid: i32,
        ident: Ident,
        start: u64,
        end: Option<u64>,
    }
    let mut lines: Vec<Line> = Vec::new();
    for shard in &SHARDS {
        let files = shard.files.lock();
        for (_, ident, locks) in files.iter() {
            let count = locks.records.iter().count()
                + locks.flocks.iter().count()
                + locks.leases.iter().count();
            lines.try_reserve(count).map_err(|_| Errno::ENOMEM)?;
            for lock in locks.records.iter() {
                let (start, end) = (lock.range.start, lock.range.end);
                lines.push(Line {
                    head: if lock.is_ofd {
                        "OFDLCK ADVISORY  "
                    } else {
                        "POSIX  ADVISORY  "
                    },
                    kind: kind_code(lock.kind),
                    pid: if lock.is_ofd { -1 } else { lock.pid },
                    ident: *ident,
                    start,
                    end: (end != filelock::range::OFFSET_MAX).then_some(end),
                });
            }
            for (_, kind, pid) in locks.flocks.iter() {
                lines.push(Line {
                    head: "FLOCK  ADVISORY  ",
                    kind: kind_code(*kind),
                    pid: *pid,
                    ident: *ident,
                    start: 0,
                    end: None,
                });
            }
            for lease in locks.leases.iter() {
                lines.push(Line {
                    head: if lease.unlock_at.is_some() || lease.downgrade_at.is_some() {
                        "LEASE  BREAKING  "
                    } else {
                        "LEASE  ACTIVE    "
                    },
                    kind: lease.reported_type(),
                    pid: lease.target.pid,
                    ident: *ident,
                    start: 0,
                    end: None,
                });
            }
        }
    }
    for (index, line) in lines.iter().enumerate() {
        let kind = match line.kind {
            filelock::lease::F_WRLCK => "WRITE",
            filelock::lease::F_RDLCK => "READ",
            _ => "UNLCK",
        };
        let (dev, ino) = line.ident;
        let (major, minor) = (vfs::inode::dev_major(dev), vfs::inode::dev_minor(dev));
        crate::out!(
            out,
            "{}: {}{} {} {:02x}:{:02x}:{} ",
            index + 1,
            line.head,
            kind,
            line.pid,
            major,
            minor,
            ino
        )?;
        match line.end {
            Some(end) => crate::out!(out, "{} {}\n", line.start, end)?,
            None => crate::out!(out, "{} EOF\n", line.start)?,
        }
    }
    Ok(())
}

/// A lock kind as `l_type`.
fn kind_code(kind: LockKind) -> i16 {
    match kind {
        LockKind::Read => filelock::lease::F_RDLCK,
        LockKind::Write => filelock::lease::F_WRLCK,
    }
}
