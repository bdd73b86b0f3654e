//! The pid tables: every process (zombies included, until reaped) and every live thread, by
//! id, as Linux's pid hash. Lookups for kill, wait, setpgid and prlimit go through here.
//!
//! Ids are handed out in increasing order and never reused while the counter is below
//! `kernel.pid_max` (32768 by default, as Linux's on a machine of up to 32 CPUs; at most
//! 4194304, the 64-bit `PID_MAX_LIMIT`; `/proc/sys` changes it); after that the lowest free id above 300 is
//! taken, as Linux wraps to `RESERVED_PIDS`.

use super::{Pid, Process, Thread};
use crate::ns::pid::PidNs;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::{Mutex, SpinLock};

const RESERVED_PIDS: Pid = 300;

struct Tables {
    processes: BTreeMap<Pid, Arc<Process>>,
    threads: BTreeMap<Pid, Arc<Thread>>,
    /// Ids in use by a process or a thread (a process keeps its id until reaped).
    next: Pid,
    /// Live threads whose id is their process's (the leaders), for [`nr_threads`].
    live_leaders: usize,
}

static TABLES: SpinLock<Tables> = SpinLock::new(
    "pid_table",
    Tables {
        processes: BTreeMap::new(),
        threads: BTreeMap::new(),
        next: 1,
        live_leaders: 0,
    },
);

impl Tables {
    fn is_used(&self, pid: Pid) -> bool {
        self.processes.contains_key(&pid) || self.threads.contains_key(&pid)
    }

    /// Linux's `nr_threads`: every task until it is released, which for a thread-group
    /// leader is when its process is reaped (it stays a zombie task until then, even when
    /// other threads go on). So: each process once, plus its live threads other than the
    /// leader.
    fn nr_threads(&self) -> usize {
        (self.processes.len() + self.threads.len()).saturating_sub(self.live_leaders)
    }
}

/// Reserves a fresh id; `EAGAIN` when every id is in use.
static LAST_PID: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
static FORKS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

static SERIAL: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

/// A fresh [`Process::serial`].
pub fn next_serial() -> u64 {
    SERIAL.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// The last pid handed out (`/proc/loadavg`'s last field).
pub fn last_pid() -> Pid {
    LAST_PID.load(core::sync::atomic::Ordering::Relaxed)
}

/// Processes and threads created since boot (`/proc/stat`'s `processes`).
pub fn forks() -> u64 {
    FORKS.load(core::sync::atomic::Ordering::Relaxed)
}

pub fn allocate_pid() -> Result<Pid, Errno> {
    allocate_pid_wanted(None)
}

/// Writes `ns_last_pid` of the initial namespace: the next id tried is `last + 1`.
pub fn set_last_pid(last: Pid) {
    let mut tables = TABLES.lock();
    LAST_PID.store(last, core::sync::atomic::Ordering::Relaxed);
    tables.next = last.saturating_add(1).max(1);
}

/// Reserves `wanted` (clone3's `set_tid` for the initial namespace: `EEXIST` when in use,
/// `EINVAL` out of range), or a fresh id.
pub fn allocate_pid_wanted(wanted: Option<Pid>) -> Result<Pid, Errno> {
    let mut tables = TABLES.lock();
    if let Some(pid) = wanted {
        if pid == 0 || pid >= crate::sysctl::pid_max() {
            return Err(Errno::EINVAL);
        }
        if tables.is_used(pid) {
            return Err(Errno::EEXIST);
        }
        FORKS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        return Ok(pid);
    }
    let start = tables.next;
    let mut candidate = start;
    loop {
        if !tables.is_used(candidate) {
            LAST_PID.store(candidate, core::sync::atomic::Ordering::Relaxed);
            FORKS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            tables.next = if candidate + 1 >= crate::sysctl::pid_max() {
                RESERVED_PIDS
            } else {
                candidate + 1
            };
            return Ok(candidate);
        }
        candidate = if candidate + 1 >= crate::sysctl::pid_max() {
            RESERVED_PIDS
        } else {
            candidate + 1
        };
        if candidate == start {
            return Err(Errno::EAGAIN);
        }
    }
}

/// Registers a new process and its first thread.
pub fn insert_process(process: &Arc<Process>, thread: &Arc<Thread>) {
    let mut tables = TABLES.lock();
    tables.processes.insert(process.pid, process.clone());
    if tables
        .threads
        .insert(thread.tid(), thread.clone())
        .is_none()
    {
        tables.live_leaders += 1;
    }
}

/// Registers a new thread of an existing process (or, after a non-leader's exec, the new
/// leader under the process id).
pub fn insert_thread(thread: &Arc<Thread>) {
    let mut tables = TABLES.lock();
    let tid = thread.tid();
    if tables.threads.insert(tid, thread.clone()).is_none() && tables.processes.contains_key(&tid) {
        tables.live_leaders += 1;
    }
}

/// Forgets an exited thread.
pub fn remove_thread(tid: Pid) {
    let mut tables = TABLES.lock();
    let removed = tables.threads.remove(&tid);
    if removed.is_some() && tables.processes.contains_key(&tid) {
        tables.live_leaders -= 1;
    }
    let is_free = !tables.is_used(tid);
    drop(tables);
    if is_free && let Some(thread) = &removed {
        release_numbers(&thread.process.pid_ns, tid);
    }
    drop(removed);
}

/// A freed id leaves the PID namespaces it had numbers in.
fn release_numbers(ns: &crate::ns::pid::PidNs, id: Pid) {
    if !ns.is_initial() {
        crate::ns::pid::release_chain(ns, id);
    }
}

/// The tasks that count against `kernel.threads-max` (Linux's `nr_threads`): live threads,
/// and zombies until reaped.
pub fn nr_threads() -> usize {
    TABLES.lock().nr_threads()
}

/// Forgets a reaped process.
pub fn remove_process(pid: Pid) {
    let mut tables = TABLES.lock();
    let removed = tables.processes.remove(&pid);
    if removed.is_some() && tables.threads.contains_key(&pid) {
        tables.live_leaders -= 1;
    }
    let is_free = !tables.is_used(pid);
    drop(tables);
    if is_free && let Some(process) = &removed {
        release_numbers(&process.pid_ns, pid);
    }
    drop(removed);
}

/// Frees an id that was allocated but never entered (a clone that failed after
/// [`allocate_pid`]), with its namespace numbers.
pub fn abandon_pid(ns: &crate::ns::pid::PidNs, pid: Pid) {
    let is_free = !TABLES.lock().is_used(pid);
    if is_free {
        release_numbers(ns, pid);
    }
}

pub fn find_process(pid: Pid) -> Option<Arc<Process>> {
    TABLES.lock().processes.get(&pid).cloned()
}

pub fn find_thread(tid: Pid) -> Option<Arc<Thread>> {
    TABLES.lock().threads.get(&tid).cloned()
}

/// The process numbered `nr` in `ns` (`find_task_by_pid_ns`, for a process id).
pub fn find_process_in(ns: &PidNs, nr: Pid) -> Option<Arc<Process>> {
    find_process(ns.global_of(nr)?)
}

/// The thread numbered `nr` in `ns`.
pub fn find_thread_in(ns: &PidNs, nr: Pid) -> Option<Arc<Thread>> {
    find_thread(ns.global_of(nr)?)
}

/// The process a task id names in `ns` (see [`find_process_by_task_id`]).
pub fn find_process_by_task_id_in(ns: &PidNs, nr: Pid) -> Option<Arc<Process>> {
    find_process_by_task_id(ns.global_of(nr)?)
}

/// The processes `ns` sees (its own and those of namespaces below it), in global pid order.
pub fn processes_in(ns: &PidNs) -> Vec<Arc<Process>> {
    let mut all = all_processes();
    if !ns.is_initial() {
        all.retain(|process| ns.is_ancestor_of(&process.pid_ns));
    }
    all
}

/// Every process, in pid order.
pub fn all_processes() -> Vec<Arc<Process>> {
    TABLES.lock().processes.values().cloned().collect()
}

/// Processes in process group `pgid`.
pub fn process_group(pgid: Pid) -> Vec<Arc<Process>> {
    TABLES
        .lock()
        .processes
        .values()
        .filter(|process| {
            process.pgid.load(core::sync::atomic::Ordering::Relaxed) == u64::from(pgid)
        })
        .cloned()
        .collect()
}

/// Number of tasks (threads, and zombies not yet reaped) owned by real user `uid`, as Linux's
/// per-user count that `RLIMIT_NPROC` limits.
pub fn tasks_of_user(uid: u32) -> usize {
    let tables = TABLES.lock();
    tables
        .processes
        .values()
        .filter(|process| process.credentials.lock().uid == uid)
        .map(|process| process.threads.lock().len().max(1))
        .sum()
}

/// Serialises changes of process groups and sessions (setpgid, setsid) against each other, as
/// Linux's `tasklist_lock` does: "does a group with this id exist in my session" must stay true
/// until the change is made. A sleeping mutex, taken first (nothing else is held).
pub static JOB_CONTROL_LOCK: Mutex<()> = Mutex::new("job_control", ());

/// The process `id` names for getpgid, getsid, prlimit and setpgid: a thread id names its
/// process (`find_task_by_vpid`); a zombie is found by its pid until reaped.
pub fn find_process_by_task_id(id: Pid) -> Option<Arc<Process>> {
    find_thread(id)
        .map(|thread| thread.process.clone())
        .or_else(|| find_process(id))
}

/// Whether some process (zombies included) has process group `pgid`; if so, the session of
/// one of them (`pid_task(pgrp, PIDTYPE_PGID)`).
pub fn session_of_group(pgid: Pid) -> Option<Pid> {
    TABLES
        .lock()
        .processes
        .values()
        .find(|process| process.pgid() == pgid)
        .map(|process| process.sid())
}

/// Whether process group `pgid` is orphaned (`will_become_orphaned_pgrp`): no member (other
/// than `ignored`, and zombies) has a parent in another group of the same session. A parent
/// that is init does not count, as in Linux.
pub fn is_orphaned_group(pgid: Pid, ignored: Option<Pid>) -> bool {
    for member in process_group(pgid) {
        if Some(member.pid) == ignored || member.is_zombie() {
            continue;
        }
        let Some(parent) = member.parent.lock().upgrade() else {
            continue;
        };
        if parent.pid == 1 {
            continue;
        }
        if parent.pgid() != pgid && parent.sid() == member.sid() {
            return false;
        }
    }
    true
}
