//! Processes and threads: identity, credentials, resources, and the per-thread user-mode loop.
//!
//! A [`Process`] (Linux's thread group plus its `mm`, `files`, `fs`, `sighand` and `cred`) holds
//! the address space, the descriptor table, the filesystem context, the signal handlers and the
//! credentials; a [`Thread`] is one schedulable user context of it, with its own kernel stack
//! ([`hal::task::ExecutionContext`]) and scheduling state. What clone flags may share between
//! processes sits behind [`Shared`] pointers.

pub mod binfmt_elf;
pub mod binfmt_script;
pub mod coredump;
pub mod credentials;
mod elf_tables;
pub mod exec;
pub mod exit;
pub mod fork;
pub mod kthread;
pub mod ptrace;
pub mod rlimit;
pub mod run;
pub mod session;
pub mod shared;
pub mod table;
pub mod user;
pub mod wait;

use crate::fs::FsContext;
use crate::fs::fd_table::FdTable;
use crate::sched::SchedInfo;
use crate::sched::wait::WaitQueue;
use crate::signal::SignalState;
use abi::Errno;
use abi::signal::StackT;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
pub use credentials::Credentials;
use exit::ExitStatus;
use hal::sync::{Mutex, SpinLock};
use hal::task::ExecutionContext;
use hal::user::UserContext;
use rlimit::ResourceLimits;
pub use shared::Shared;
use sigrules::PendingQueue;

/// Process and thread identifiers share one number space, as in Linux.
pub type Pid = u32;

/// A process (thread group).
pub struct Process {
    /// The id in the initial PID namespace (what the kernel names it by).
    pub pid: Pid,
    /// The PID namespace it lives in (`task_active_pid_ns`), fixed for its life.
    pub pid_ns: Arc<crate::ns::pid::PidNs>,
    /// A number no other process had (`/proc/<pid>`'s inode: a new process with a reused pid
    /// is another directory, as Linux's inodes are).
    pub serial: u64,
    /// It is the init of its PID namespace (`SIGNAL_UNKILLABLE`): global init, or the task
    /// numbered 1 in a namespace below.
    pub is_child_reaper: bool,
    /// The parent (for getppid, SIGCHLD and wait); reparented to init or a subreaper when it
    /// exits. Weak: parents own their children, not the reverse.
    pub parent: SpinLock<Weak<Process>>,
    /// Children not yet reaped (zombies included).
    pub children: SpinLock<Vec<Arc<Process>>>,
    /// Live threads.
    pub threads: SpinLock<Vec<Arc<Thread>>>,
    pub mm: Shared<crate::mm::Mm>,
    pub files: Shared<Mutex<FdTable>>,
    pub fs: Shared<SpinLock<FsContext>>,
    pub credentials: SpinLock<Credentials>,
    /// Signal dispositions (`sighand`).
    pub signals: Shared<SpinLock<SignalState>>,
    /// Signals sent to the whole process (`signal->shared_pending`).
    pub shared_pending: SpinLock<PendingQueue>,
    pub limits: SpinLock<ResourceLimits>,
    /// `comm`: the executable's base name, at most 15 bytes (`TASK_COMM_LEN` - 1).
    pub name: SpinLock<[u8; 16]>,
    /// Process group and session ids.
    pub pgid: AtomicU64,
    pub sid: AtomicU64,
    /// The signal the parent gets when this process ends (`exit_signal`; 0 for none).
    pub exit_signal: u32,
    /// Exit, stop and continue state, and what `wait` has yet to report.
    pub lifecycle: SpinLock<Lifecycle>,
    /// Woken when a child changes state (Linux's `wait_chldexit`).
    pub child_events: WaitQueue,
    /// Woken when this process exits (pidfd pollers).
    pub exit_events: Arc<WaitQueue>,
    /// Woken when a signal is queued for this process or one of its threads, and when a
    /// signalfd's mask changes (Linux's `sighand->signalfd_wqh`): signalfd readers and pollers.
    pub signalfd_wait: Arc<WaitQueue>,
    /// Set while a vfork parent waits for this child to exec or exit; woken then.
    pub vfork_done: SpinLock<Option<Arc<VforkDone>>>,
    pub flags: SpinLock<ProcessFlags>,
    /// CPU time of threads that have exited, and of reaped children.
    pub usage: SpinLock<Usage>,
    /// Interval timers and POSIX timers (`signal->real_timer`, `it[]`, `posix_timers`).
    pub timers: SpinLock<crate::timers::ProcessTimers>,
    /// CLOCK_MONOTONIC when the process was created (`start_boottime`, `/proc/<pid>/stat`).
    pub start_time_ns: u64,
    /// Counters `/proc/<pid>/stat` and `io` show.
    pub stats: ProcessStats,
    /// The System V semaphore undo list (`sysvsem`), made at the first `SEM_UNDO`.
    pub sysvsem: SpinLock<Option<Arc<crate::ipc::sem::UndoList>>>,
    /// The threads this process traces (`ptraced`).
    pub ptraced: SpinLock<Vec<Arc<Thread>>>,
    /// The tracer of this process's leader thread: it hears of the process's death first.
    pub traced_by: SpinLock<Weak<Process>>,
}

/// Per-process counters (Linux's `task_io_accounting`, `min_flt`, `loginuid`).
#[derive(Debug)]
pub struct ProcessStats {
    /// Bytes read and written by read/write-like calls (`rchar`, `wchar`).
    pub read_bytes: AtomicU64,
    pub written_bytes: AtomicU64,
    /// Calls (`syscr`, `syscw`).
    pub read_calls: AtomicU64,
    pub write_calls: AtomicU64,
    /// Page faults resolved without I/O (`min_flt`).
    pub minor_faults: AtomicU64,
    /// The audit login uid (`/proc/<pid>/loginuid`), `u32::MAX` until set.
    pub loginuid: AtomicU32,
}

impl Default for ProcessStats {
    fn default() -> Self {
        ProcessStats {
            read_bytes: AtomicU64::new(0),
            written_bytes: AtomicU64::new(0),
            read_calls: AtomicU64::new(0),
            write_calls: AtomicU64::new(0),
            minor_faults: AtomicU64::new(0),
            loginuid: AtomicU32::new(u32::MAX),
        }
    }
}

/// Completion a vfork parent sleeps on.
#[derive(Default)]
pub struct VforkDone {
    pub is_done: core::sync::atomic::AtomicBool,
    pub queue: WaitQueue,
}

/// Per-process settings changed by prctl and exec.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessFlags {
    /// PR_SET_PDEATHSIG: the signal this process gets when its parent dies.
    pub parent_death_signal: u32,
    /// PR_SET_CHILD_SUBREAPER.
    pub is_child_subreaper: bool,
    /// PR_SET_NO_NEW_PRIVS.
    pub no_new_privs: bool,
    /// PR_SET_DUMPABLE (1 by default).
    pub dumpable: u32,
    /// `/proc/<pid>/coredump_filter` (Linux keeps it in the mm's flags): which areas a core
    /// dump holds. Inherited by fork, kept by exec.
    pub coredump_filter: u32,
    /// Whether the process has called execve since fork (setpgid answers EACCES then).
    pub has_execed: bool,
    /// TIOCNOTTY by a process that is not its session's leader: it no longer has the session's
    /// controlling terminal (Linux clears its `signal->tty`). Inherited by fork; cleared by
    /// setsid.
    pub has_detached_tty: bool,
    /// `/proc/<pid>/oom_score_adj` (-1000 ..= 1000): added to the OOM killer's badness in
    /// thousandths of RAM; -1000 exempts the process. Inherited by fork, kept by exec.
    pub oom_score_adj: i16,
    /// The lowest value an unprivileged write may set (`oom_score_adj_min`): the last value a
    /// privileged process set.
    pub oom_score_adj_min: i16,
}

/// CPU time totals, in nanoseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub user_ns: u64,
    pub system_ns: u64,
    pub children_user_ns: u64,
    pub children_system_ns: u64,
    /// Largest resident set, in KiB (set when the process exits).
    pub max_rss_kib: u64,
    /// Largest resident set of any reaped descendant, in KiB.
    pub children_max_rss_kib: u64,
}

/// Where a process is in its life, and what its parent's `wait` has to report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lifecycle {
    /// Set by exit_group or a fatal signal: every thread must exit with this status.
    pub group_exit: Option<ExitStatus>,
    /// Set when the last thread has exited: the process is a zombie until reaped.
    pub zombie: Option<ExitStatus>,
    /// The whole group is stopped by this signal.
    pub stopped_by: Option<u32>,
    /// A stop (`WUNTRACED`) not yet reported to `wait`: the signal.
    pub stop_report: Option<u32>,
    /// A continue (`WCONTINUED`) not yet reported to `wait`.
    pub continue_report: bool,
    /// Counts group stops, so that a tracee reports each one once.
    pub stop_generation: u64,
    /// A zombie whose traced leader's tracer has not reaped it yet: the real parent hears of
    /// it afterwards.
    pub traced_zombie: bool,
    /// The code of the thread that called `exit` last: the process's status without a group
    /// exit. Ordered by the calls, not by when each thread finishes exiting, so a thread woken
    /// by another's `CLONE_CHILD_CLEARTID` exits after it even when the other CPU is still
    /// finishing the first thread's exit.
    pub last_exit_code: Option<u8>,
}

/// A thread.
/// A task's I/O context (Linux `struct io_context`): only its identity matters here.
pub struct IoContext {
    _private: u8,
}

impl IoContext {
    /// A new context (`alloc_io_context`).
    pub fn new() -> Arc<IoContext> {
        Arc::new(IoContext { _private: 0 })
    }
}

pub struct Thread {
    /// The thread id; it changes only when a non-leader thread execs and takes over the
    /// process id (`de_thread`).
    tid: AtomicU32,
    pub process: Arc<Process>,
    /// `set_tid_address`: the word cleared and futex-woken when the thread exits.
    pub clear_child_tid: AtomicU64,
    /// `set_robust_list`: the head of the thread's robust futex list, walked at thread exit.
    pub robust_list: AtomicU64,
    /// The PI futexes it owns and the one it waits for.
    pub pi: crate::futex_pi::ThreadPi,
    /// Blocked signals.
    pub signal_mask: AtomicU64,
    /// The mask in force before rt_sigtimedwait unblocked the signals it waits for (Linux's
    /// `real_blocked`): those still count as blocked for the ignore and fatal-signal rules.
    pub real_blocked: AtomicU64,
    /// The mask to restore after a signal handler (or at once if no handler runs) when a
    /// syscall (sigsuspend, ppoll, pselect) replaced it temporarily (`set_restore_sigmask`).
    pub saved_mask: SpinLock<Option<u64>>,
    /// Signals sent to this thread.
    pub pending: SpinLock<PendingQueue>,
    /// Maybe a signal to look at before returning to user mode (`TIF_SIGPENDING`); cleared
    /// when a check finds nothing deliverable.
    pub signal_hint: AtomicBool,
    /// `sigaltstack`.
    pub alt_stack: SpinLock<StackT>,
    /// The CPU fault behind a forced signal: (trap number, error code, address), for the
    /// frame's `trapno`, `err` and `cr2`.
    pub fault: SpinLock<Option<(u64, u64, u64)>>,
    /// The syscall to restart if it was interrupted (its number), set when it returned an
    /// `ERESTART*` code.
    pub restart: RestartSlot,
    /// The thread is exiting (exit, exit_group, a fatal signal): the loop ends at the next
    /// return towards user mode.
    pub is_exiting: AtomicBool,
    /// Its own exit code (`exit`), used if the process has no group exit status.
    pub exit_code: AtomicU32,
    /// CLONE_CHILD_SETTID: written with the tid when the thread first runs.
    pub set_child_tid: AtomicU64,
    /// Scheduling state (run-queue lock first, then this).
    pub sched: SpinLock<SchedInfo>,
    /// Linux's `io_context`, which exists only once made: by ioprio_set, or at a clone from a
    /// parent that has one (shared with CLONE_IO, a copy when its priority is set). Nothing
    /// but its identity is used (kcmp's KCMP_IO); the priority itself is in `sched`.
    pub io_context: SpinLock<Option<Arc<IoContext>>>,
    /// The kernel stack this thread runs its kernel side on.
    pub context: Arc<ExecutionContext>,
    /// The user registers the thread starts with, taken by its first run.
    pub start: SpinLock<Option<UserContext>>,
    /// Time spent in user mode, in nanoseconds (the rest of its runtime is system time).
    pub user_ns: AtomicU64,
    /// `comm`, per thread as in Linux (PR_SET_NAME renames only the caller); a new thread
    /// starts with its creator's, exec sets it from the program name.
    pub comm: SpinLock<[u8; 16]>,
    /// The execution domain and its flags (`personality(2)`, `task->personality`): inherited
    /// by clone, kept by exec except the flags a set-id exec clears.
    pub personality: AtomicU32,
    /// Restartable sequences (`rseq(2)`): the registered area and its pending events.
    pub rseq: crate::rseq::RseqState,
    /// ptrace state (see [`ptrace`]), and its bits read without the lock.
    pub ptrace: SpinLock<ptrace::PtraceState>,
    pub ptrace_flags: AtomicU32,
    /// seccomp mode and filters (`crate::seccomp`); the `ptrace::SECCOMP` bit of
    /// `ptrace_flags` says the syscall entry must look at them.
    pub seccomp: SpinLock<crate::seccomp::TaskSeccomp>,
    /// `PR_SET_TIMERSLACK`, `/proc/PID/timerslack_ns`.
    pub timer_slack: TimerSlack,
    /// The thread's keyrings (the keyring fields of Linux's credentials: `crate::keys`).
    pub keys: SpinLock<crate::keys::task::TaskKeys>,
    /// The syscall number of the last kernel entry (-1 after an interrupt or exception), as
    /// `orig_rax` shows it to a tracer.
    pub orig_rax: AtomicU64,
    /// Killed (SIGKILL, a group exit another thread started, exec's `de_thread`): it must not
    /// stop for a tracer any more.
    pub is_killed: AtomicBool,
    /// The namespaces (`task->nsproxy`): per thread, as Linux's; clone copies the creator's.
    nsproxy: SpinLock<Arc<crate::ns::NsProxy>>,
    /// The CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets of the thread's time namespace (kept
    /// with [`Thread::set_nsproxy`], read by the clock calls without the lock).
    clock_offsets: [AtomicI64; 2],
}

/// A thread's timer slack (`timer_slack_ns`, `default_timer_slack_ns`): how late its timers
/// may expire. Ferrux's timers expire on time, which every slack allows, so the value is
/// only kept and reported. A new thread gets its creator's slack as both values.
pub struct TimerSlack {
    current_ns: AtomicU64,
    default_ns: AtomicU64,
}

/// The slack of init: 50 µs.
const DEFAULT_TIMER_SLACK_NS: u64 = 50_000;

impl TimerSlack {
    fn new() -> TimerSlack {
        TimerSlack {
            current_ns: AtomicU64::new(DEFAULT_TIMER_SLACK_NS),
            default_ns: AtomicU64::new(DEFAULT_TIMER_SLACK_NS),
        }
    }

    pub fn get(&self) -> u64 {
        self.current_ns.load(Ordering::Relaxed)
    }

    /// Sets the slack; 0 restores the default (`PR_SET_TIMERSLACK`).
    pub fn set(&self, slack_ns: u64) {
        let value = if slack_ns == 0 {
            self.default_ns.load(Ordering::Relaxed)
        } else {
            slack_ns
        };
        self.current_ns.store(value, Ordering::Relaxed);
    }

    /// clone: the creator's slack, which is also the child's default (`copy_process`).
    pub fn inherit(&self, parent: &TimerSlack) {
        let slack = parent.get();
        self.current_ns.store(slack, Ordering::Relaxed);
        self.default_ns.store(slack, Ordering::Relaxed);
    }
}

/// A thread's pending restart record, with a flag read without the lock: every syscall clears
/// the record, and almost always there is none.
pub struct RestartSlot {
    is_set: AtomicBool,
    slot: SpinLock<Option<Restart>>,
}

impl RestartSlot {
    fn new() -> RestartSlot {
        RestartSlot {
            is_set: AtomicBool::new(false),
            slot: SpinLock::new("thread.restart", None),
        }
    }

    /// The record, if any.
    pub fn get(&self) -> Option<Restart> {
        if !self.is_set.load(Ordering::Acquire) {
            return None;
        }
        *self.slot.lock()
    }

    /// Replaces the record.
    pub fn set(&self, restart: Restart) {
        let mut slot = self.slot.lock();
        *slot = Some(restart);
        self.is_set.store(true, Ordering::Release);
    }

    /// Sets the record unless one is there.
    pub fn set_if_none(&self, restart: Restart) {
        let mut slot = self.slot.lock();
        slot.get_or_insert(restart);
        self.is_set.store(true, Ordering::Release);
    }

    /// Removes and returns the record.
    pub fn take(&self) -> Option<Restart> {
        if !self.is_set.load(Ordering::Acquire) {
            return None;
        }
        let mut slot = self.slot.lock();
        self.is_set.store(false, Ordering::Release);
        slot.take()
    }

    /// Forgets the record.
    pub fn clear(&self) {
        let _ = self.take();
    }
}

/// How to restart an interrupted syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restart {
    /// The syscall number to run again.
    pub number: u64,
    /// For `ERESTART_RESTARTBLOCK`: the deadline `restart_syscall` resumes.
    pub deadline: crate::sched::timer::Deadline,
    /// For `ERESTART_RESTARTBLOCK`: where to store the time left if interrupted again.
    pub remain_address: u64,
    /// For `ERESTART_RESTARTBLOCK` from a futex wait with a timeout: what to wait for again
    /// (Linux's `restart_block.futex`, resumed by `futex_wait_restart`).
    pub futex: Option<crate::futex::FutexRestart>,
}

impl Thread {
    /// A thread of `process` that starts in user mode with `user`, on a new kernel stack.
    pub fn try_new(
        tid: Pid,
        process: Arc<Process>,
        user: UserContext,
        signal_mask: u64,
        nice: i32,
    ) -> Result<Arc<Thread>, Errno> {
        Self::try_new_with_entry(tid, process, user, signal_mask, nice, run::thread_main)
    }

    /// As [`Thread::try_new`], with `entry` as the first kernel code (init's differs).
    pub fn try_new_with_entry(
        tid: Pid,
        process: Arc<Process>,
        user: UserContext,
        signal_mask: u64,
        nice: i32,
        entry: fn(usize) -> !,
    ) -> Result<Arc<Thread>, Errno> {
        let comm = *process.name.lock();
        Ok(Arc::new(Thread {
            tid: AtomicU32::new(tid),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            pi: crate::futex_pi::ThreadPi::default(),
            signal_mask: AtomicU64::new(signal_mask),
            real_blocked: AtomicU64::new(0),
            saved_mask: SpinLock::new("thread.saved_mask", None),
            pending: SpinLock::new("thread.pending", PendingQueue::new()),
            signal_hint: AtomicBool::new(false),
            alt_stack: SpinLock::new(
                "thread.alt_stack",
                StackT {
                    ss_flags: abi::signal::SS_DISABLE,
                    ..StackT::default()
                },
            ),
            fault: SpinLock::new("thread.fault", None),
            restart: RestartSlot::new(),
            is_exiting: AtomicBool::new(false),
            exit_code: AtomicU32::new(0),
            set_child_tid: AtomicU64::new(0),
            sched: SpinLock::new("thread.sched", SchedInfo::new(nice)),
            io_context: SpinLock::new("thread.io_context", None),
            context: ExecutionContext::try_new(entry, 0)?,
            start: SpinLock::new("thread.start", Some(user)),
            comm: SpinLock::new("thread.comm", comm),
            personality: AtomicU32::new(0),
            rseq: crate::rseq::RseqState::new(),
            ptrace: SpinLock::new("thread.ptrace", ptrace::PtraceState::new()),
            ptrace_flags: AtomicU32::new(0),
            seccomp: SpinLock::new("thread.seccomp", crate::seccomp::TaskSeccomp::default()),
            timer_slack: TimerSlack::new(),
            keys: SpinLock::new("thread.keys", crate::keys::task::TaskKeys::default()),
            orig_rax: AtomicU64::new(u64::MAX),
            is_killed: AtomicBool::new(false),
            nsproxy: SpinLock::new("thread.nsproxy", crate::ns::initial().clone()),
            clock_offsets: [AtomicI64::new(0), AtomicI64::new(0)],
            process,
            user_ns: AtomicU64::new(0),
        }))
    }

    pub fn tid(&self) -> Pid {
        self.tid.load(Ordering::Relaxed)
    }

    /// Its id as `viewer` sees it (0 outside).
    #[inline]
    pub fn tid_in(&self, viewer: &crate::ns::pid::PidNs) -> Pid {
        viewer.nr_of(self.tid())
    }

    /// The id user space stores in futex words for this thread: its id in its own PID
    /// namespace (`task_pid_vnr(current)`).
    #[inline]
    pub fn futex_tid(&self) -> Pid {
        self.tid_in(self.pid_ns())
    }

    /// The caller's PID namespace (`task_active_pid_ns(current)`).
    #[inline]
    pub fn pid_ns(&self) -> &Arc<crate::ns::pid::PidNs> {
        &self.process.pid_ns
    }

    /// The thread's namespaces.
    pub fn nsproxy(&self) -> Arc<crate::ns::NsProxy> {
        self.nsproxy.lock().clone()
    }

    /// Replaces the thread's namespaces (clone, unshare, setns); the old set is dropped after
    /// the lock is released.
    ///
    /// The thread is in the set's time namespace from now on: that freezes its offsets.
    pub fn set_nsproxy(&self, nsproxy: Arc<crate::ns::NsProxy>) {
        let offsets = nsproxy.time.enter();
        let old = {
            let mut current = self.nsproxy.lock();
            self.clock_offsets[0].store(offsets.monotonic_ns, Ordering::Relaxed);
            self.clock_offsets[1].store(offsets.boottime_ns, Ordering::Relaxed);
            core::mem::replace(&mut *current, nsproxy)
        };
        drop(old);
    }

    /// The clock offsets of the thread's time namespace.
    pub fn clock_offsets(&self) -> crate::ns::time::Offsets {
        crate::ns::time::Offsets {
            monotonic_ns: self.clock_offsets[0].load(Ordering::Relaxed),
            boottime_ns: self.clock_offsets[1].load(Ordering::Relaxed),
        }
    }

    pub fn name(&self) -> [u8; 16] {
        *self.comm.lock()
    }

    /// Total CPU time (user + system), in nanoseconds.
    pub fn cpu_time_ns(&self) -> u64 {
        self.sched.lock().entity.sum_exec_ns
    }

    /// Time in user mode, in nanoseconds.
    pub fn user_time_ns(&self) -> u64 {
        self.user_ns.load(Ordering::Relaxed)
    }
}

impl Process {
    /// The parent's pid, or 0 for init.
    pub fn parent_pid(&self) -> Pid {
        self.parent.lock().upgrade().map_or(0, |parent| parent.pid)
    }

    /// The parent's pid as `viewer` sees it: 0 for init and for a parent outside `viewer`.
    pub fn parent_pid_in(&self, viewer: &crate::ns::pid::PidNs) -> Pid {
        viewer.nr_of(self.parent_pid())
    }

    /// Its pid as `viewer` sees it (0 outside).
    #[inline]
    pub fn pid_in(&self, viewer: &crate::ns::pid::PidNs) -> Pid {
        viewer.nr_of(self.pid)
    }

    /// Init of its namespace: signals from inside reach it only through handlers.
    #[inline]
    pub fn is_unkillable(&self) -> bool {
        self.is_child_reaper
    }

    /// The thread-group leader, or any live thread.
    pub fn main_thread(&self) -> Option<Arc<Thread>> {
        let threads = self.threads.lock();
        threads
            .iter()
            .find(|thread| thread.tid() == self.pid)
            .or_else(|| threads.first())
            .cloned()
    }

    /// CPU time of the whole process: exited threads plus live ones (user, system), in ns.
    pub fn cpu_times_ns(&self) -> (u64, u64) {
        let usage = *self.usage.lock();
        let mut user = usage.user_ns;
        let mut system = usage.system_ns;
        for thread in self.threads.lock().iter() {
            let total = thread.cpu_time_ns();
            let in_user = thread.user_time_ns().min(total);
            user += in_user;
            system += total - in_user;
        }
        (user, system)
    }

    /// The largest resident set so far, in KiB (`ru_maxrss`): the current one while alive.
    pub fn max_rss_kib(&self) -> u64 {
        let resident = self.mm.get().read().resident_pages() as u64 * 4;
        self.usage.lock().max_rss_kib.max(resident)
    }

    pub fn is_zombie(&self) -> bool {
        self.lifecycle.lock().zombie.is_some()
    }
}

/// The thread running on this CPU. Panics if called from the idle loop (only syscall and fault
/// paths call it, and those run in a thread).
pub fn current() -> Arc<Thread> {
    try_current().unwrap_or_else(|| panic!("no current thread"))
}

/// The thread running on this CPU, if any.
pub fn try_current() -> Option<Arc<Thread>> {
    crate::sched::current()
}
