//! fork, vfork, clone and clone3: new processes and threads (Linux `kernel/fork.c`,
//! `copy_process`).
//!
//! The flags decide what the child shares with its parent: the address space (`CLONE_VM`),
//! the descriptor table (`CLONE_FILES`), root/cwd/umask (`CLONE_FS`), signal handlers
//! (`CLONE_SIGHAND`), the thread group (`CLONE_THREAD`), the parent (`CLONE_PARENT`). What is
//! not shared is copied; private memory is copied lazily (copy-on-write). Flag combinations are
//! validated in Linux's order with its errnos. A traced caller's tracer hears of the new task
//! and traces it when it asked to (PTRACE_O_TRACEFORK/VFORK/CLONE, CLONE_PTRACE; see
//! `ptrace.rs`). `CLONE_NEWUSER`, `CLONE_NEWNS`, `CLONE_NEWUTS`, `CLONE_NEWIPC` and
//! `CLONE_NEWCGROUP` and `CLONE_NEWPID` give the child new namespaces
//! (`crate::ns::syscalls::for_clone`); its ids come from its PID namespace and the ones above
//! it ([`allocate_ids`], clone3's `set_tid`); `CLONE_NEWTIME` (clone3 only: in clone's flags
//! it is part of the exit signal) too, and a child with its own memory enters its parent's time
//! namespace for children. Network namespaces and `CLONE_INTO_CGROUP` answer EINVAL.

use super::{
    Lifecycle, Pid, Process, ProcessFlags, ProcessStats, Shared, Thread, Usage, VforkDone, rlimit,
    shared, table,
};
use crate::sched::wait::{WaitError, wait_event};
use crate::sched::{self, SleepKind};
use abi::{CloneFlags, Errno};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;
use hal::user::UserContext;
use sigrules::PendingQueue;

/// What a clone asks for (the union of clone's registers and clone3's `struct clone_args`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneRequest {
    pub flags: CloneFlags,
    /// Signal sent to the parent at exit (0 for none).
    pub exit_signal: u32,
    /// New stack pointer (0: the parent's).
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    /// CLONE_PIDFD: where to store the pidfd (clone3's `pidfd`, clone's `parent_tid`).
    pub pidfd: u64,
    /// clone3's `set_tid`: the ids wanted, innermost PID namespace first.
    pub set_tid: SetTid,
}

/// clone3's `set_tid` array (at most `MAX_PID_NS_LEVEL` entries).
#[derive(Clone, Copy, Debug)]
pub struct SetTid {
    pub ids: [Pid; crate::ns::pid::MAX_LEVEL as usize],
    pub len: usize,
}

impl Default for SetTid {
    fn default() -> SetTid {
        SetTid {
            ids: [0; crate::ns::pid::MAX_LEVEL as usize],
            len: 0,
        }
    }
}

impl SetTid {
    pub fn as_slice(&self) -> &[Pid] {
        &self.ids[..self.len.min(self.ids.len())]
    }
}

fn validate(request: &CloneRequest, parent: &Arc<Thread>) -> Result<(), Errno> {
    let flags = request.flags;
    if flags.contains(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
        || flags.contains(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_FS)
    {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_THREAD) && !flags.contains(CloneFlags::CLONE_SIGHAND) {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_SIGHAND) && !flags.contains(CloneFlags::CLONE_VM) {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_SIGHAND) && flags.contains(CloneFlags::CLONE_CLEAR_SIGHAND)
    {
        return Err(Errno::EINVAL);
    }
    // Init, of any PID namespace, cannot give itself siblings (SIGNAL_UNKILLABLE).
    if flags.contains(CloneFlags::CLONE_PARENT) && parent.process.is_unkillable() {
        return Err(Errno::EINVAL);
    }
    nsrules::flags::check_clone(flags)?;
    // A child bound for another time namespace shares neither the memory nor the thread
    // group (vfork included: Linux 6.1 reverted the vfork-and-exec exception).
    if flags.intersects(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_VM) {
        let proxy = parent.nsproxy();
        if !Arc::ptr_eq(&proxy.time, &proxy.time_for_children) {
            return Err(Errno::EINVAL);
        }
    }
    if flags.contains(CloneFlags::CLONE_INTO_CGROUP) {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_PIDFD)
        && (flags.intersects(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_DETACHED)
            || (flags.contains(CloneFlags::CLONE_PARENT_SETTID)
                && request.pidfd == request.parent_tid))
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Checks RLIMIT_NPROC against the tasks of the caller's real user, the new one included
/// (`copy_process`): EAGAIN when over, unless the real user is root (`INIT_USER`) or the caller
/// has CAP_SYS_RESOURCE or CAP_SYS_ADMIN. Zombies count until reaped, as in Linux. Forks on
/// several CPUs may each pass the check before the other's child is counted (Linux counts
/// atomically before it checks): a per-user count is still to do.
fn check_process_limit(parent: &Arc<Thread>) -> Result<(), Errno> {
    let (uid, is_capable) = {
        let credentials = parent.process.credentials.lock();
        (
            credentials.uid,
            credentials.has_capability(abi::capability::CAP_SYS_RESOURCE)
                || credentials.has_capability(abi::capability::CAP_SYS_ADMIN),
        )
    };
    if uid == 0 || is_capable {
        return Ok(());
    }
    let limit = parent
        .process
        .limits
        .lock()
        .get(rlimit::RLIMIT_NPROC)
        .map_or(u64::MAX, |limit| limit.soft);
    if table::tasks_of_user(uid) as u64 >= limit {
        return Err(Errno::EAGAIN);
    }
    Ok(())
}

/// Refuses a new task once the system has `kernel.threads-max` (`copy_process`: EAGAIN, for
/// root too; the check only stops fork bombs, so it may be passed by a few racing clones).
fn check_thread_limit() -> Result<(), Errno> {
    if table::nr_threads() as u64 >= crate::sysctl::limits().max_threads {
        return Err(Errno::EAGAIN);
    }
    Ok(())
}

/// Creates the child described by `request`, starting with a copy of `user` (the parent's
/// registers at the syscall) in which `rax` is 0. Returns the child's id; for `CLONE_VFORK`,
/// only after the child has exec'd or exited.
pub fn clone(
    parent: &Arc<Thread>,
    user: &mut UserContext,
    request: CloneRequest,
) -> Result<Pid, Errno> {
    validate(&request, parent)?;
    {
        // `sched_fork`: a SCHED_DEADLINE thread may not fork unless it asked for
        // SCHED_RESET_ON_FORK (its bandwidth cannot be split).
        let info = parent.sched.lock();
        if info.policy == sched::SCHED_DEADLINE && !info.reset_on_fork {
            return Err(Errno::EAGAIN);
        }
    }
    check_process_limit(parent)?;
    check_thread_limit()?;
    let flags = request.flags;
    let namespaces = crate::ns::syscalls::for_clone(parent, flags)?;
    let nsproxy = namespaces
        .nsproxy
        .clone()
        .unwrap_or_else(|| parent.nsproxy());

    // The child's PID namespace: its proxy's namespace for children (`alloc_pid`); a thread
    // stays in its process's (`copy_process`: EINVAL after unshare(CLONE_NEWPID)).
    let pid_ns = nsproxy.pid_for_children.clone();
    if flags.contains(CloneFlags::CLONE_THREAD) && !Arc::ptr_eq(&pid_ns, parent.pid_ns()) {
        return Err(Errno::EINVAL);
    }
    let tid = allocate_ids(parent, &pid_ns, &request.set_tid)?;
    let result = clone_with_id(
        parent,
        user,
        request,
        tid,
        pid_ns.clone(),
        nsproxy,
        namespaces,
    );
    if result.is_err() {
        table::abandon_pid(&pid_ns, tid);
    }
    result
}

/// The child's ids: a global one and one in each PID namespace below the initial one
/// (`alloc_pid`), the wanted ones from clone3's `set_tid` (innermost first; each level needs
/// `CAP_SYS_ADMIN` or `CAP_CHECKPOINT_RESTORE` in its namespace's owner, else `EPERM`).
fn allocate_ids(
    parent: &Arc<Thread>,
    pid_ns: &Arc<crate::ns::pid::PidNs>,
    set_tid: &SetTid,
) -> Result<Pid, Errno> {
    let wanted = set_tid.as_slice();
    if wanted.len() > pid_ns.level as usize + 1 {
        return Err(Errno::EINVAL);
    }
    if !wanted.is_empty() {
        let credentials = parent.process.credentials.lock().clone();
        let mut level = Some(&**pid_ns);
        for &nr in wanted {
            let Some(ns) = level else { break };
            if nr == 0 || nr >= crate::sysctl::pid_max() {
                return Err(Errno::EINVAL);
            }
            if !credentials.ns_capable(&ns.owner, abi::capability::CAP_SYS_ADMIN)
                && !credentials.ns_capable(&ns.owner, abi::capability::CAP_CHECKPOINT_RESTORE)
            {
                return Err(Errno::EPERM);
            }
            level = ns.parent.as_deref();
        }
    }
    let global_wanted = wanted.get(pid_ns.level as usize).copied();
    let tid = table::allocate_pid_wanted(global_wanted)?;
    if !pid_ns.is_initial() {
        crate::ns::pid::alloc_chain(pid_ns, tid, wanted)?;
    }
    Ok(tid)
}

/// The rest of [`clone`], once the child has its ids.
fn clone_with_id(
    parent: &Arc<Thread>,
    user: &mut UserContext,
    request: CloneRequest,
    tid: Pid,
    pid_ns: Arc<crate::ns::pid::PidNs>,
    nsproxy: Arc<crate::ns::NsProxy>,
    namespaces: crate::ns::syscalls::CloneNamespaces,
) -> Result<Pid, Errno> {
    let flags = request.flags;
    let mut child_user = user.try_clone()?;
    {
        let regs = child_user.regs_mut();
        regs.rax = 0;
        if request.stack != 0 {
            regs.rsp = request.stack;
        }
        if flags.contains(CloneFlags::CLONE_SETTLS) {
            regs.fs_base = request.tls;
        }
    }
    let mask = parent.signal_mask.load(Ordering::Relaxed);
    let nice = parent.sched.lock().nice;
    // What the caller sees of the child's id (`pid_vnr`).
    let seen_tid = parent.pid_ns().nr_of(tid);

    let (child_process, thread) = if flags.contains(CloneFlags::CLONE_THREAD) {
        let process = parent.process.clone();
        if process.lifecycle.lock().group_exit.is_some() {
            return Err(Errno::EINTR);
        }
        let thread = Thread::try_new(tid, process.clone(), child_user, mask, nice)?;
        *thread.keys.lock() = crate::keys::task::keys_for_child(parent, true);
        {
            let mut threads = process.threads.lock();
            threads.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            // Under the thread list, so a TSYNC sees the new thread with the chain it copied.
            crate::seccomp::inherit(parent, &thread);
            threads.push(thread.clone());
        }
        table::insert_thread(&thread);
        (process, thread)
    } else {
        let process = copy_process(parent, tid, pid_ns, &request, namespaces)?;
        if process.is_child_reaper {
            process.pid_ns.set_reaper(&process);
        }
        let thread = Thread::try_new(tid, process.clone(), child_user, mask, nice)?;
        *thread.keys.lock() = crate::keys::task::keys_for_child(parent, false);
        crate::seccomp::inherit(parent, &thread);
        if flags.contains(CloneFlags::CLONE_PIDFD) {
            install_pidfd(parent, &process, request.pidfd)?;
        }
        process.threads.lock().push(thread.clone());
        let real_parent = process.parent.lock().upgrade();
        if let Some(real_parent) = &real_parent {
            real_parent
                .children
                .lock()
                .try_reserve(1)
                .map_err(|_| Errno::ENOMEM)?;
        }
        table::insert_process(&process, &thread);
        if let Some(real_parent) = real_parent {
            real_parent.children.lock().push(process.clone());
        }
        (process, thread)
    };

    thread.set_nsproxy(nsproxy);
    inherit_scheduling(parent, &thread);
    copy_io(parent, &thread, flags.contains(CloneFlags::CLONE_IO));
    *thread.comm.lock() = parent.name();
    thread.personality.store(
        parent.personality.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    thread.timer_slack.inherit(&parent.timer_slack);
    thread
        .rseq
        .inherit(&parent.rseq, flags.contains(CloneFlags::CLONE_VM));

    // The alternate signal stack is inherited unless the memory is shared without vfork.
    if flags & (CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK) != CloneFlags::CLONE_VM {
        *thread.alt_stack.lock() = *parent.alt_stack.lock();
    }
    if flags.contains(CloneFlags::CLONE_CHILD_CLEARTID) {
        thread
            .clear_child_tid
            .store(request.child_tid, Ordering::Relaxed);
    }
    if flags.contains(CloneFlags::CLONE_CHILD_SETTID) {
        thread
            .set_child_tid
            .store(request.child_tid, Ordering::Relaxed);
    }
    if flags.contains(CloneFlags::CLONE_PARENT_SETTID) {
        // Written into the parent's memory (the same as the child's with CLONE_VM); a bad
        // address is ignored, as Linux ignores put_user's result here.
        let _ = hal::usercopy::write_user(request.parent_tid, &seen_tid);
    }
    let vfork_done = if flags.contains(CloneFlags::CLONE_VFORK) {
        let done = Arc::new(VforkDone::default());
        *child_process.vfork_done.lock() = Some(done.clone());
        Some(done)
    } else {
        None
    };

    // The tracer hears of the new task when it asked to (`kernel_clone`'s trace event), and
    // then traces it too, as it does with CLONE_PTRACE.
    let trace_event = if flags.contains(CloneFlags::CLONE_UNTRACED) {
        None
    } else if flags.contains(CloneFlags::CLONE_VFORK) {
        Some(ptracerules::PTRACE_EVENT_VFORK)
    } else if request.exit_signal != sigrules::SIGCHLD {
        Some(ptracerules::PTRACE_EVENT_CLONE)
    } else {
        Some(ptracerules::PTRACE_EVENT_FORK)
    }
    .filter(|&event| super::ptrace::is_event_enabled(parent, event));
    if trace_event.is_some()
        || (flags.contains(CloneFlags::CLONE_PTRACE) && super::ptrace::is_traced(parent))
    {
        super::ptrace::inherit(parent, &thread);
    }

    sched::spawn(thread);
    if let Some(event) = trace_event {
        super::ptrace::event(parent, user, event, u64::from(seen_tid));
    }

    if let Some(done) = vfork_done {
        // The parent sleeps until the child execs or exits (killable, as Linux's
        // wait_for_vfork_done).
        let waited = wait_event(parent, &[&done.queue], SleepKind::Killable, None, || {
            done.is_done.load(Ordering::Acquire).then_some(())
        });
        if waited == Err(WaitError::Interrupted) {
            // Fatal signal: the caller exits anyway; the child runs on.
        } else {
            super::ptrace::event(
                parent,
                user,
                ptracerules::PTRACE_EVENT_VFORK_DONE,
                u64::from(seen_tid),
            );
        }
    }
    Ok(seen_tid)
}

/// The child runs with the parent's policy, priority and I/O priority, unless the parent asked for
/// SCHED_RESET_ON_FORK (`sched_fork`): then a real-time policy becomes SCHED_NORMAL and a
/// negative nice value 0, and the flag is not inherited. The CPU affinity is inherited always.
fn inherit_scheduling(parent: &Arc<Thread>, child: &Arc<Thread>) {
    let (policy, rt_priority, nice, reset_on_fork, ioprio, affinity) = {
        let info = parent.sched.lock();
        (
            info.policy,
            info.rt_priority,
            info.nice,
            info.reset_on_fork,
            info.ioprio,
            info.affinity,
        )
    };
    // The I/O priority is inherited (`copy_io`; CLONE_IO's sharing is not modelled: the child
    // gets a copy), and so is the CPU affinity (`dup_task_struct` copies `cpus_mask`): the
    // child is not yet in a run queue, so `sched::spawn` places it within the mask.
    {
        let mut info = child.sched.lock();
        info.ioprio = ioprio;
        info.affinity = affinity;
    }
    let (policy, rt_priority, nice) = if !reset_on_fork {
        (policy, rt_priority, nice)
    } else if matches!(
        policy,
        sched::SCHED_FIFO | sched::SCHED_RR | sched::SCHED_DEADLINE
    ) {
        (sched::SCHED_NORMAL, 0, 0)
    } else {
        (policy, rt_priority, nice.max(0))
    };
    sched::set_nice(child, nice);
    sched::set_policy(child, policy, rt_priority, false);
}

/// CLONE_PIDFD: a close-on-exec pidfd for the child in the caller's table, its number stored
/// at `address` (a bad address fails the whole clone, as in Linux).
fn install_pidfd(parent: &Thread, child: &Arc<Process>, address: u64) -> Result<(), Errno> {
    let limit = parent
        .process
        .limits
        .lock()
        .get(rlimit::RLIMIT_NOFILE)
        .map_or(1024, |limit| limit.soft) as usize;
    let charge = crate::fs::file_table::charge_with_descriptor(parent, limit)?;
    let files = parent.process.files.get();
    let fd = crate::fs::pidfd::install(
        &mut files.lock(),
        child.clone(),
        abi::OpenFlags::empty(),
        limit,
        charge,
    )?;
    if let Err(error) = hal::usercopy::write_user(address, &fd) {
        drop(files.lock().remove(fd));
        return Err(error);
    }
    Ok(())
}

/// A new process for `request`: copies or shares the parent's resources.
fn copy_process(
    parent: &Arc<Thread>,
    pid: Pid,
    pid_ns: Arc<crate::ns::pid::PidNs>,
    request: &CloneRequest,
    namespaces: crate::ns::syscalls::CloneNamespaces,
) -> Result<Arc<Process>, Errno> {
    let flags = request.flags;
    let source = &parent.process;
    let mm = if flags.contains(CloneFlags::CLONE_VM) {
        // clone3(CLONE_NEWTIME | CLONE_VM): the shared space follows the child into its
        // namespace (`timens_on_fork` switches the memory it shares with its parent).
        if let Some(proxy) = &namespaces.nsproxy
            && !Arc::ptr_eq(&proxy.time, &parent.nsproxy().time)
        {
            source
                .mm
                .get()
                .write()
                .set_time_namespace_page(proxy.time.vvar_page().cloned());
        }
        Shared::from_arc(source.mm.get())
    } else {
        let source_mm = source.mm.get();
        let mut forked = source_mm.write().try_fork()?;
        // The vDSO page of the time namespace the child is in (`timens_on_fork`).
        let time = namespaces
            .nsproxy
            .as_ref()
            .map_or_else(|| parent.nsproxy().time.clone(), |proxy| proxy.time.clone());
        forked.set_time_namespace_page(time.vvar_page().cloned());
        let mm = Arc::new(crate::mm::Mm::new(forked));
        mm.membarrier_state.store(
            source_mm.membarrier_state.load(Ordering::Acquire),
            Ordering::Release,
        );
        mm.register_file_mappings()?;
        Shared::from_arc(mm)
    };
    let files = if flags.contains(CloneFlags::CLONE_FILES) {
        Shared::from_arc(source.files.get())
    } else {
        Shared::new(shared::locked_files(source.files.get().lock().try_clone()?))
    };
    let fs = if let Some(context) = namespaces.fs {
        Shared::new(shared::locked_fs(context))
    } else if flags.contains(CloneFlags::CLONE_FS) {
        Shared::from_arc(source.fs.get())
    } else {
        Shared::new(shared::locked_fs(source.fs.get().lock().clone()))
    };
    let signals = if flags.contains(CloneFlags::CLONE_SIGHAND) {
        Shared::from_arc(source.signals.get())
    } else {
        let mut copy = source.signals.get().lock().clone();
        if flags.contains(CloneFlags::CLONE_CLEAR_SIGHAND) {
            copy.reset_for_exec();
        }
        Shared::new(shared::locked_signals(copy))
    };
    let real_parent = if flags.contains(CloneFlags::CLONE_PARENT) {
        source.parent.lock().clone()
    } else {
        Arc::downgrade(source)
    };
    let exit_signal = if flags.contains(CloneFlags::CLONE_PARENT) {
        // A sibling inherits the caller's exit signal (copy_process).
        source.exit_signal
    } else {
        request.exit_signal
    };
    let inherited_flags = *source.flags.lock();
    let is_child_reaper = pid_ns.nr_of(pid) == 1;
    Ok(Arc::new(Process {
        pid,
        pid_ns,
        is_child_reaper,
        serial: table::next_serial(),
        parent: SpinLock::new("process.parent", real_parent),
        children: SpinLock::new("process.children", Vec::new()),
        threads: SpinLock::new("process.threads", Vec::new()),
        mm,
        files,
        fs,
        credentials: SpinLock::new(
            "process.credentials",
            namespaces
                .credentials
                .unwrap_or_else(|| source.credentials.lock().clone()),
        ),
        signals,
        shared_pending: SpinLock::new("process.shared_pending", PendingQueue::new()),
        limits: SpinLock::new("process.limits", source.limits.lock().clone()),
        name: SpinLock::new("process.name", parent.name()),
        pgid: AtomicU64::new(source.pgid.load(Ordering::Relaxed)),
        sid: AtomicU64::new(source.sid.load(Ordering::Relaxed)),
        exit_signal,
        lifecycle: SpinLock::new("process.lifecycle", Lifecycle::default()),
        child_events: crate::sched::wait::WaitQueue::new(),
        exit_events: Arc::new(crate::sched::wait::WaitQueue::new()),
        signalfd_wait: Arc::new(crate::sched::wait::WaitQueue::new()),
        vfork_done: SpinLock::new("process.vfork_done", None),
        flags: SpinLock::new(
            "process.flags",
            ProcessFlags {
                parent_death_signal: 0,
                is_child_subreaper: false,
                has_execed: false,
                ..inherited_flags
            },
        ),
        usage: SpinLock::new("process.usage", Usage::default()),
        timers: SpinLock::new("process.timers", crate::timers::ProcessTimers::new()),
        start_time_ns: crate::time::monotonic_ns(),
        stats: ProcessStats::default(),
        sysvsem: SpinLock::new(
            "process.sysvsem",
            crate::ipc::sem::copy_undo_list(source, flags.contains(CloneFlags::CLONE_SYSVSEM)),
        ),
        ptraced: SpinLock::new("process.ptraced", Vec::new()),
        traced_by: SpinLock::new("process.traced_by", alloc::sync::Weak::new()),
    }))
}

/// Linux `copy_io`: a parent without an I/O context gives none; with CLONE_IO the child shares
/// the parent's, otherwise it gets a new one if the parent's priority was set.
fn copy_io(parent: &Arc<Thread>, child: &Arc<Thread>, is_shared: bool) {
    let Some(context) = parent.io_context.lock().clone() else {
        return;
    };
    let context = if is_shared {
        Some(context)
    } else if parent.sched.lock().ioprio != 0 {
        Some(super::IoContext::new())
    } else {
        None
    };
    *child.io_context.lock() = context;
}

/// The exit signal of a clone request must be a valid signal or 0.
pub fn check_exit_signal(signal_number: u64) -> Result<u32, Errno> {
    if signal_number > u64::from(sigrules::NSIG) {
        return Err(Errno::EINVAL);
    }
    Ok(signal_number as u32)
}
