//! PID namespaces (Linux's `kernel/pid_namespace.c`, the `upid` levels of `kernel/pid.c`).
//!
//! The kernel names every task by its id in the initial namespace (the "global" id that
//! `Process::pid` and `Thread::tid` hold and the pid table is keyed by). A [`PidNs`] below the
//! initial one keeps its own numbers: a map from its numbers to global ids and back, its own
//! cursor (`ns_last_pid`), and its child reaper (the task numbered 1 in it). A task has a number
//! in its own namespace and in each ancestor (Linux's `struct pid` with one `upid` per level):
//! it is entered in every namespace of its chain when it is made ([`alloc_chain`]) and leaves
//! them all when its global id is freed ([`release_chain`]). A syscall shows a global id to
//! its caller through the caller's namespace ([`PidNs::nr_of`]: 0 when the task is outside)
//! and finds a task named by a number through it ([`PidNs::global_of`]); callers in the
//! initial namespace, the common case, pay a level test and nothing else.
//!
//! Namespaces nest 32 deep below the initial one (`MAX_PID_NS_LEVEL`: `ENOSPC`). When the
//! namespace's init dies, the namespace is closed (a later fork into it is `ENOMEM`) and every
//! other task in it is killed; the init's exit waits until they are all gone
//! ([`zap`], Linux's `zap_pid_ns_processes`).
//!
//! Not translated yet (they show global ids inside a namespace): a tty's `TIOCGPGRP`/`TIOCGSID`
//! and `tpgid` in `/proc/PID/stat`, `F_GETLK`'s `l_pid` and `/proc/locks`, System V IPC's
//! `GETPID`/`msg_lspid`/`shm_cpid`, the BSD accounting record. A process group or session
//! whose leader was reaped keeps its number only while the leader's id is allocated (Linux
//! keeps the `struct pid` while the group lives).

use super::NsCommon;
use super::user::UserNs;
use crate::process::{Pid, Process};
use crate::sched::wait::WaitQueue;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use spin::Once;

/// `PROC_PID_INIT_INO`.
pub const PROC_PID_INIT_INO: u32 = 0xEFFF_FFFC;
/// `MAX_PID_NS_LEVEL`: the deepest level a namespace may have.
pub const MAX_LEVEL: u32 = 32;
/// `RESERVED_PIDS`: where allocation wraps to.
const RESERVED_PIDS: Pid = 300;

struct State {
    to_global: BTreeMap<Pid, Pid>,
    to_local: BTreeMap<Pid, Pid>,
    /// The last number handed out (`idr` cursor - 1, `ns_last_pid`).
    last: Pid,
    /// The task numbered 1 (`child_reaper`), once it exists.
    reaper: Weak<Process>,
    /// The init has gone: no more numbers (`disable_pid_allocation`).
    is_closed: bool,
    /// An init was made (`child_reaper` set).
    has_had_init: bool,
}

/// One PID namespace.
pub struct PidNs {
    pub common: NsCommon,
    pub level: u32,
    pub parent: Option<Arc<PidNs>>,
    /// The user namespace it was made in (`pid_ns->user_ns`).
    pub owner: Arc<UserNs>,
    state: SpinLock<State>,
    /// Woken when a number is released: the dying init waits on it for the namespace to empty.
    pub released: WaitQueue,
}

static INITIAL: Once<Arc<PidNs>> = Once::new();

/// The initial PID namespace.
pub fn initial() -> &'static Arc<PidNs> {
    INITIAL.call_once(|| {
        Arc::new(PidNs {
            common: NsCommon::initial(PROC_PID_INIT_INO),
            level: 0,
            parent: None,
            owner: super::user::initial().clone(),
            state: SpinLock::new("pid_ns.state", State::new()),
            released: WaitQueue::new(),
        })
    })
}

impl State {
    fn new() -> State {
        State {
            to_global: BTreeMap::new(),
            to_local: BTreeMap::new(),
            last: 0,
            reaper: Weak::new(),
            is_closed: false,
            has_had_init: false,
        }
    }
}

impl PidNs {
    /// A child of `parent` owned by `owner` (`create_pid_namespace`): `ENOSPC` past
    /// [`MAX_LEVEL`].
    pub fn try_new_child(parent: &Arc<PidNs>, owner: Arc<UserNs>) -> Result<Arc<PidNs>, Errno> {
        let level = parent.level + 1;
        if level > MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(PidNs {
            common: NsCommon::try_new()?,
            level,
            parent: Some(parent.clone()),
            owner,
            state: SpinLock::new("pid_ns.state", State::new()),
            released: WaitQueue::new(),
        }))
    }

    pub fn is_initial(&self) -> bool {
        self.level == 0
    }

    /// The number global id `global` has here; 0 when that task is outside this namespace
    /// (`pid_nr_ns`).
    #[inline]
    pub fn nr_of(&self, global: Pid) -> Pid {
        if self.level == 0 {
            return global;
        }
        self.state
            .lock()
            .to_local
            .get(&global)
            .copied()
            .unwrap_or(0)
    }

    /// The global id of number `nr` here (`find_pid_ns`).
    #[inline]
    pub fn global_of(&self, nr: Pid) -> Option<Pid> {
        if self.level == 0 {
            return (nr != 0).then_some(nr);
        }
        self.state.lock().to_global.get(&nr).copied()
    }

    /// The global id of number `nr` here, or an id no task has (`u32::MAX`) when there is
    /// none: for matching against stored ids (process groups, wait targets).
    #[inline]
    pub fn global_or_none(&self, nr: Pid) -> Pid {
        if self.level == 0 {
            return nr;
        }
        self.global_of(nr).unwrap_or(Pid::MAX)
    }

    /// Whether `other` is this namespace or below it.
    pub fn is_ancestor_of(&self, other: &PidNs) -> bool {
        let mut current = Some(other);
        while let Some(ns) = current {
            if core::ptr::eq(ns, self) {
                return true;
            }
            if ns.level <= self.level {
                return false;
            }
            current = ns.parent.as_deref();
        }
        false
    }

    /// The reaper (the task numbered 1), while it lives.
    pub fn reaper(&self) -> Option<Arc<Process>> {
        if self.level == 0 {
            return crate::process::table::find_process(1);
        }
        self.state.lock().reaper.upgrade()
    }

    /// Records the namespace's init.
    pub fn set_reaper(&self, process: &Arc<Process>) {
        let mut state = self.state.lock();
        state.reaper = Arc::downgrade(process);
        state.has_had_init = true;
    }

    /// Whether an init was made here (`child_reaper` set; the initial namespace's is).
    pub fn has_had_init(&self) -> bool {
        self.level == 0 || self.state.lock().has_had_init
    }

    /// The last number handed out (`ns_last_pid`).
    pub fn last_pid(&self) -> Pid {
        if self.level == 0 {
            return crate::process::table::last_pid();
        }
        self.state.lock().last
    }

    /// Writes `ns_last_pid`: the next number tried is `last + 1`.
    pub fn set_last_pid(&self, last: Pid) {
        if self.level == 0 {
            crate::process::table::set_last_pid(last);
            return;
        }
        self.state.lock().last = last;
    }

    /// The global ids of every task here (threads and zombies included), by number.
    pub fn members(&self) -> Vec<(Pid, Pid)> {
        self.state
            .lock()
            .to_global
            .iter()
            .map(|(&nr, &global)| (nr, global))
            .collect()
    }

    /// How many numbers are in use here.
    pub fn nr_allocated(&self) -> usize {
        self.state.lock().to_global.len()
    }

    /// Gives `global` a number here: `wanted` (clone3's `set_tid`: `EEXIST` when taken,
    /// `EINVAL` out of range) or the next free one after the cursor. `ENOMEM` once the init has
    /// gone; `EINVAL` for a chosen number other than 1 before the namespace has an init.
    fn alloc(&self, global: Pid, wanted: Option<Pid>) -> Result<Pid, Errno> {
        let pid_max = crate::sysctl::pid_max();
        let mut state = self.state.lock();
        if state.is_closed {
            return Err(Errno::ENOMEM);
        }
        state.to_global.try_reserve_nodes()?;
        let nr = match wanted {
            Some(nr) => {
                if nr == 0 || nr >= pid_max {
                    return Err(Errno::EINVAL);
                }
                if state.to_global.contains_key(&nr) {
                    return Err(Errno::EEXIST);
                }
                nr
            }
            None => {
                let start = if state.last + 1 >= pid_max {
                    RESERVED_PIDS
                } else {
                    state.last + 1
                };
                let mut candidate = start;
                while state.to_global.contains_key(&candidate) {
                    candidate = if candidate + 1 >= pid_max {
                        RESERVED_PIDS
                    } else {
                        candidate + 1
                    };
                    if candidate == start {
                        return Err(Errno::EAGAIN);
                    }
                }
                candidate
            }
        };
        // A chosen number other than 1 needs an init there already (`alloc_pid`).
        if wanted.is_some() && nr != 1 && !state.has_had_init {
            return Err(Errno::EINVAL);
        }
        state.to_global.insert(nr, global);
        state.to_local.insert(global, nr);
        if wanted.is_none() {
            state.last = nr;
        }
        Ok(nr)
    }

    fn release(&self, global: Pid) {
        let mut state = self.state.lock();
        if let Some(nr) = state.to_local.remove(&global) {
            state.to_global.remove(&nr);
        }
        drop(state);
        self.released.wake_all();
    }

    /// Closes the namespace (`disable_pid_allocation`).
    pub fn close(&self) {
        self.state.lock().is_closed = true;
    }
}

/// Fallible map growth: a BTreeMap allocates per node, which the heap may refuse. Checked up
/// front with a probe allocation of one node's size, as close as a `BTreeMap` lets us get.
trait TryReserveNodes {
    fn try_reserve_nodes(&self) -> Result<(), Errno>;
}

impl TryReserveNodes for BTreeMap<Pid, Pid> {
    fn try_reserve_nodes(&self) -> Result<(), Errno> {
        let mut probe: Vec<u8> = Vec::new();
        probe.try_reserve(256).map_err(|_| Errno::ENOMEM)
    }
}

/// Enters `global` in `ns` and every ancestor below the initial namespace; `set_tid` gives
/// the numbers wanted, innermost first (clone3). Undone whole on failure.
pub fn alloc_chain(ns: &Arc<PidNs>, global: Pid, set_tid: &[Pid]) -> Result<(), Errno> {
    let mut done: Vec<&PidNs> = Vec::new();
    let mut current = Some(&**ns);
    let mut index = 0;
    while let Some(level) = current.filter(|level| level.level > 0) {
        let wanted = set_tid.get(index).copied().filter(|&nr| nr != 0);
        let result = done
            .try_reserve(1)
            .map_err(|_| Errno::ENOMEM)
            .and_then(|()| level.alloc(global, wanted));
        if let Err(error) = result {
            for undo in done {
                undo.release(global);
            }
            return Err(error);
        }
        done.push(level);
        index += 1;
        current = level.parent.as_deref();
    }
    Ok(())
}

/// Removes `global` from `ns` and its ancestors (its id is free again).
pub fn release_chain(ns: &PidNs, global: Pid) {
    let mut current = Some(ns);
    while let Some(level) = current.filter(|level| level.level > 0) {
        level.release(global);
        current = level.parent.as_deref();
    }
}

/// The numbers of `global` from the initial namespace down to `ns` (`NSpid:`), as far as
/// `viewer` sees: starting at the viewer's level.
pub fn numbers(ns: &PidNs, global: Pid, viewer: &PidNs) -> Vec<Pid> {
    let mut out = Vec::new();
    let mut current = Some(ns);
    while let Some(level) = current {
        if out.try_reserve(1).is_err() {
            break;
        }
        out.push(level.nr_of(global));
        if level.level <= viewer.level {
            break;
        }
        current = level.parent.as_deref();
    }
    out.reverse();
    out
}

/// What the exit of a namespace's init does (`zap_pid_ns_processes`): close the namespace,
/// SIGKILL every other task in it, reap the children that die, and wait until the namespace
/// holds nobody but the init.
pub fn zap(thread: &Arc<crate::process::Thread>, process: &Arc<Process>) {
    let ns = process.pid_ns.clone();
    ns.close();
    for (_, global) in ns.members() {
        if global == process.pid {
            continue;
        }
        if let Some(other) = crate::process::table::find_process(global) {
            crate::signal::send::send_to_process_forced(
                &other,
                abi::signal::SigInfo::new(sigrules::SIGKILL as i32, abi::signal::SI_KERNEL),
            );
        }
    }
    loop {
        // Reap the children that are done (the init ignores SIGCHLD here, as Linux's).
        let zombies: Vec<Arc<Process>> = process
            .children
            .lock()
            .iter()
            .filter(|child| child.is_zombie())
            .cloned()
            .collect();
        for child in &zombies {
            crate::process::exit::release_zombie(process, child);
        }
        drop(zombies);
        if ns.nr_allocated() <= 1 {
            break;
        }
        let _ = crate::sched::wait::wait_event(
            thread,
            &[&ns.released, &process.child_events],
            crate::sched::SleepKind::Uninterruptible,
            None,
            || {
                let has_zombie = process.children.lock().iter().any(|c| c.is_zombie());
                (has_zombie || ns.nr_allocated() <= 1).then_some(())
            },
        );
    }
}
