//! System V semaphores (Linux's `ipc/sem.c`): the sets, their limits (`kernel.sem`), the undo
//! lists of processes, and `/proc/sysvipc/sem`. The operations' rules, queues and wake-up order
//! are [`ipcrules::sem`]'s; this module keeps each set's state under the set's own spin lock
//! (`ipc.sem.set`), and a sleeping `semop` waits on its own [`SemWaiter`], which the thread that
//! completes (or fails) its operation fills in and wakes after releasing the set's lock.
//!
//! Undo lists (`struct sem_undo_list`): a process gets one at its first `SEM_UNDO` operation;
//! `clone(CLONE_SYSVSEM)` shares it (threads made by pthread do), `fork` without it starts with
//! none. The adjustments themselves are kept in each set (so `SETVAL`/`SETALL` clear them and
//! `IPC_RMID` drops them); the list remembers which sets it has adjustments in, and when the
//! last process holding it exits (`exit_sem`), each set that still exists gets them applied,
//! clamped to `0..=SEMVMX`.
//!
//! Limits (`kernel.sem`: `SEMMSL SEMMNS SEMOPM SEMMNI`, Linux's defaults 32000, 1024000000,
//! 500, 32000): `semget` checks `nsems` against SEMMSL (`EINVAL`), the semaphores of all sets
//! against SEMMNS and the sets against SEMMNI (`ENOSPC`); `semop` checks `nsops` against SEMOPM
//! (`E2BIG`). Not done: IPC namespaces, threads without `CLONE_SYSVSEM` having their own lists
//! (Ferrux keeps one list per process).

use super::util::{Ids, IpcObject, now_secs};
use crate::process::Process;
use abi::Errno;
use abi::ipc::{SEMMNI, SEMMNS, SEMMSL, SEMOPM, SemBuf, SemidDs};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use hal::sync::SpinLock;
use ipcrules::perm::{Cred, KernPerm};
use ipcrules::sem::{Outcome, SemArray, Wakes};

/// An IPC namespace's semaphore sets and their limits.
pub struct SemNs {
    /// `kernel.sem`: SEMMSL, SEMMNS, SEMOPM, SEMMNI.
    ctls: [AtomicI32; 4],
    /// Semaphores in all sets (`ns->used_sems`), changed under the table lock.
    used: AtomicI64,
    pub ids: Ids<SemSet>,
}

impl SemNs {
    /// A namespace's start: Linux's defaults, no sets.
    pub fn new() -> SemNs {
        SemNs {
            ctls: [
                AtomicI32::new(SEMMSL),
                AtomicI32::new(SEMMNS),
                AtomicI32::new(SEMOPM),
                AtomicI32::new(SEMMNI),
            ],
            used: AtomicI64::new(0),
            ids: Ids::new("ipc.sem.ids"),
        }
    }

    fn limits(&self) -> (i32, i32, i32, i32) {
        let get = |i: usize| self.ctls[i].load(Ordering::Relaxed);
        (get(0), get(1), get(2), get(3))
    }
}

/// The caller's namespace's limits now: `(semmsl, semmns, semopm, semmni)`.
pub fn limits() -> (i32, i32, i32, i32) {
    super::current().sem.limits()
}

/// Semaphores in all sets of the caller's namespace.
pub fn used_sems() -> i64 {
    super::current().sem.used.load(Ordering::Relaxed)
}

/// `/proc/sys/kernel/sem`.
pub fn proc_sem(out: &mut Vec<u8>) -> Result<(), Errno> {
    let (msl, mns, opm, mni) = limits();
    crate::out!(out, "{msl}\t{mns}\t{opm}\t{mni}\n")
}

/// A write of `/proc/sys/kernel/sem` (`proc_ipc_sem_dointvec`): up to four integers replace
/// the first ones; then SEMMNI must be within `0..=IPCMNI`, else it alone goes back to what it
/// was and the write is `ERANGE` (the others keep their new values, as Linux's).
pub fn write_proc_sem(data: &[u8]) -> Result<(), Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let mut values = [0i32; 4];
    let mut count = 0;
    for word in text.split_ascii_whitespace() {
        if count == 4 {
            break;
        }
        let value: i64 = word.parse().map_err(|_| Errno::EINVAL)?;
        values[count] = i32::try_from(value).map_err(|_| Errno::EINVAL)?;
        count += 1;
    }
    if count == 0 {
        return Err(Errno::EINVAL);
    }
    let ns = super::current();
    let semmni = ns.sem.limits().3;
    for (slot, value) in ns.sem.ctls.iter().zip(&values[..count]) {
        slot.store(*value, Ordering::Relaxed);
    }
    if !(0..=ipcrules::ids::IPCMNI as i32).contains(&ns.sem.limits().3) {
        ns.sem.ctls[3].store(semmni, Ordering::Relaxed);
        return Err(Errno::ERANGE);
    }
    Ok(())
}

/// A sleeping `semop`: its result once someone completes (or fails) its operation.
pub struct SemWaiter {
    /// `PENDING`, 0 or a negated errno.
    status: AtomicI32,
    pub queue: crate::sched::wait::WaitQueue,
}

const PENDING: i32 = 1;

impl SemWaiter {
    pub fn new() -> Arc<SemWaiter> {
        Arc::new(SemWaiter {
            status: AtomicI32::new(PENDING),
            queue: crate::sched::wait::WaitQueue::new(),
        })
    }

    /// The result, once there is one.
    pub fn result(&self) -> Option<Result<(), Errno>> {
        match self.status.load(Ordering::Acquire) {
            PENDING => None,
            0 => Some(Ok(())),
            errno => Some(Err(Errno((-errno) as u16))),
        }
    }
}

/// Delivers results to woken waiters (after the set's lock is released).
pub fn wake(wakes: Wakes<Arc<SemWaiter>>) {
    for (waiter, result) in wakes {
        let status = match result {
            Ok(()) => 0,
            Err(errno) => -i32::from(errno.0),
        };
        waiter.status.store(status, Ordering::Release);
        waiter.queue.wake_all();
    }
}

/// A set's state.
pub struct SemState {
    pub perm: KernPerm,
    pub is_deleted: bool,
    pub otime: i64,
    pub ctime: i64,
    pub array: SemArray<Arc<SemWaiter>>,
}

/// One semaphore set.
pub struct SemSet {
    pub id: i32,
    pub nsems: usize,
    pub state: SpinLock<SemState>,
}

impl IpcObject for SemSet {
    fn id(&self) -> i32 {
        self.id
    }
}

impl SemSet {
    /// `IPC_STAT`'s answer.
    pub fn stat(&self) -> Result<SemidDs, Errno> {
        let state = self.state.lock();
        if state.is_deleted {
            return Err(Errno::EIDRM);
        }
        Ok(SemidDs {
            perm: state.perm.to_ipc64(),
            otime: state.otime,
            ctime: state.ctime,
            nsems: self.nsems as u64,
            ..SemidDs::default()
        })
    }
}

/// `semget`.
pub fn get(key: i32, nsems: i32, flags: i32, cred: &Cred<'_>) -> Result<i32, Errno> {
    let ns = super::current();
    let (semmsl, semmns, _, semmni) = ns.sem.limits();
    if nsems < 0 || nsems > semmsl {
        return Err(Errno::EINVAL);
    }
    ns.sem.ids.get(
        key,
        flags,
        semmni.max(0) as u32,
        |set| {
            // sem_more_checks, then ipcperms.
            if nsems as usize > set.nsems {
                return Err(Errno::EINVAL);
            }
            if !cred.may_access(&set.state.lock().perm, flags as u32) {
                return Err(Errno::EACCES);
            }
            Ok(())
        },
        |id| {
            // newary
            if nsems == 0 {
                return Err(Errno::EINVAL);
            }
            if ns.sem.used.load(Ordering::Relaxed) + i64::from(nsems) > i64::from(semmns) {
                return Err(Errno::ENOSPC);
            }
            let array =
                hal::mm::heap::user_data(|| SemArray::new(nsems as usize)).ok_or(Errno::ENOMEM)?;
            ns.sem.used.fetch_add(i64::from(nsems), Ordering::Relaxed);
            Ok(Arc::new(SemSet {
                id,
                nsems: nsems as usize,
                state: SpinLock::new(
                    "ipc.sem.set",
                    SemState {
                        perm: KernPerm::new(key, id, cred, flags),
                        is_deleted: false,
                        otime: 0,
                        ctime: now_secs(),
                        array,
                    },
                ),
            }))
        },
    )
}

/// `IPC_RMID` (`freeary`): every waiter gets `EIDRM`, the undo adjustments go.
pub fn remove(set: &SemSet) {
    let mut wakes = Vec::new();
    let ns = super::current();
    let mut locked = ns.sem.ids.lock();
    {
        let mut state = set.state.lock();
        if state.is_deleted {
            return;
        }
        state.is_deleted = true;
        state.array.remove_all(&mut wakes);
    }
    locked.remove(set);
    ns.sem.used.fetch_sub(set.nsems as i64, Ordering::Relaxed);
    drop(locked);
    wake(wakes);
}

/// A process's undo list (`struct sem_undo_list`).
pub struct UndoList {
    id: u64,
    /// The sets it has adjustments in.
    sets: SpinLock<Vec<Weak<SemSet>>>,
}

static NEXT_UNDO_LIST: AtomicU64 = AtomicU64::new(1);

impl UndoList {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Remembers that this list has adjustments in `set`.
    pub fn note(&self, set: &Arc<SemSet>) -> Result<(), Errno> {
        let mut sets = self.sets.lock();
        sets.retain(|weak| weak.strong_count() > 0);
        if sets
            .iter()
            .any(|weak| core::ptr::eq(weak.as_ptr(), Arc::as_ptr(set)))
        {
            return Ok(());
        }
        sets.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        sets.push(Arc::downgrade(set));
        Ok(())
    }
}

/// The process's undo list, made at its first use (`get_undo_list`).
pub fn undo_list(process: &Process) -> Arc<UndoList> {
    process
        .sysvsem
        .lock()
        .get_or_insert_with(|| {
            Arc::new(UndoList {
                id: NEXT_UNDO_LIST.fetch_add(1, Ordering::Relaxed),
                sets: SpinLock::new("ipc.sem.undo_list", Vec::new()),
            })
        })
        .clone()
}

/// A new process's undo list (`copy_semundo`): shared with `CLONE_SYSVSEM`, else none.
pub fn copy_undo_list(parent: &Process, share: bool) -> Option<Arc<UndoList>> {
    share.then(|| undo_list(parent))
}

/// `exit_sem`: when the last holder of the process's undo list goes, its adjustments apply.
pub fn exit(process: &Process) {
    let Some(list) = process.sysvsem.lock().take() else {
        return;
    };
    let Some(list) = Arc::into_inner(list) else {
        return;
    };
    let sets = core::mem::take(&mut *list.sets.lock());
    for set in sets.iter().filter_map(Weak::upgrade) {
        let mut wakes = Vec::new();
        {
            let mut state = set.state.lock();
            if state.is_deleted {
                continue;
            }
            if state.array.apply_undo(list.id, process.pid, &mut wakes) {
                state.otime = now_secs();
            }
        }
        wake(wakes);
    }
}

/// `semop` on a looked-up set, after the checks that need no lock: queues the caller if its
/// operation must wait. `Ok(None)` when done; `Ok(Some(waiter))` when queued.
pub fn semop(
    set: &Arc<SemSet>,
    sops: Vec<SemBuf>,
    undo: Option<&UndoList>,
    pid: u32,
) -> Result<Option<Arc<SemWaiter>>, Errno> {
    let waiter = SemWaiter::new();
    let mut wakes = Vec::new();
    let outcome = {
        let mut state = set.state.lock();
        if state.is_deleted {
            return Err(Errno::EIDRM);
        }
        if let Some(undo) = undo {
            state.array.ensure_undo(undo.id)?;
        }
        let outcome = state.array.semop(
            waiter.clone(),
            sops,
            undo.map(UndoList::id),
            pid,
            &mut wakes,
        )?;
        if outcome == Outcome::Done(Ok(())) {
            state.otime = now_secs();
        }
        outcome
    };
    wake(wakes);
    match outcome {
        Outcome::Done(result) => result.map(|()| None),
        Outcome::Queued => Ok(Some(waiter)),
    }
}

/// Takes `waiter` off `set`'s queues after an interrupted or timed-out sleep (`unlink_queue`);
/// `false` if it is not queued any more: someone completed or failed it and its result is on
/// its way.
pub fn cancel(set: &SemSet, waiter: &Arc<SemWaiter>) -> bool {
    set.state.lock().array.cancel(|w| Arc::ptr_eq(w, waiter))
}

/// `/proc/sysvipc/sem` (`sysvipc_sem_proc_show`).
pub fn proc_show(out: &mut Vec<u8>) -> Result<(), Errno> {
    crate::out!(
        out,
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"
    )?;
    for set in super::current().sem.ids.all()? {
        let state = set.state.lock();
        let (perm, otime, ctime) = (state.perm, state.otime, state.ctime);
        drop(state);
        crate::out!(
            out,
            "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}\n",
            perm.key,
            set.id,
            perm.mode,
            set.nsems,
            perm.uid,
            perm.gid,
            perm.cuid,
            perm.cgid,
            otime,
            ctime
        )?;
    }
    Ok(())
}
