//! Exit: of a thread (`exit`), of a whole process (`exit_group`, a fatal signal), and what the
//! parent sees (Linux `kernel/exit.c`, `kernel/signal.c`'s `do_notify_parent`).
//!
//! A thread that must exit has `is_exiting` set; its loop notices at the next return towards
//! user mode and calls [`finish_thread`], which clears `clear_child_tid` (waking a futex
//! waiter: `pthread_join`), walks the robust futex list, and leaves the process. The last
//! thread out turns the process into a zombie: its memory and descriptors are released at once,
//! its children go to the nearest subreaper or init, and the parent gets `exit_signal` and a
//! wake-up on its `child_events` queue — or, if the parent ignores SIGCHLD or set
//! SA_NOCLDWAIT, the zombie is reaped right away. When init's last thread exits, the kernel
//! panics with Linux's message.

use super::{Process, Thread, table};
use crate::panic_policy;
use crate::signal;
use abi::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED, SigInfo};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// exit(code).
    Code(u8),
    /// Killed by a signal.
    Signal(u8),
    /// Killed by a signal, with a core dump written.
    CoreDumped(u8),
}

impl ExitStatus {
    /// The wait status word (`WEXITSTATUS`/`WTERMSIG` encoding).
    pub fn wait_status(self) -> u32 {
        match self {
            ExitStatus::Code(code) => u32::from(code) << 8,
            ExitStatus::Signal(signal) => u32::from(signal),
            ExitStatus::CoreDumped(signal) => u32::from(signal) | 0x80,
        }
    }

    /// `si_code` and `si_status` of the SIGCHLD / waitid report.
    pub fn child_code_and_status(self) -> (i32, i32) {
        match self {
            ExitStatus::Code(code) => (CLD_EXITED, i32::from(code)),
            ExitStatus::Signal(signal) => (CLD_KILLED, i32::from(signal)),
            ExitStatus::CoreDumped(signal) => (CLD_DUMPED, i32::from(signal)),
        }
    }
}

/// Makes `thread` exit with `code` at its next return towards user mode (`exit`).
pub fn exit_thread(thread: &Thread, code: u8) {
    thread.exit_code.store(u32::from(code), Ordering::Relaxed);
    thread.process.lifecycle.lock().last_exit_code = Some(code);
    thread.is_exiting.store(true, Ordering::Relaxed);
}

/// Makes every thread of `process` exit with `status` (`exit_group`, fatal signals). The first
/// group exit wins; later ones keep its status.
pub fn exit_group(process: &Arc<Process>, status: ExitStatus) {
    {
        let mut lifecycle = process.lifecycle.lock();
        if lifecycle.group_exit.is_some() {
            return;
        }
        lifecycle.group_exit = Some(status);
        lifecycle.stopped_by = None;
    }
    let threads: Vec<Arc<Thread>> = process.threads.lock().clone();
    // The thread that starts a group exit may still stop at its exit event; the others are
    // killed (`zap_other_threads` sends them SIGKILL), and all of them by SIGKILL.
    let starter = crate::process::try_current()
        .filter(|current| Arc::ptr_eq(&current.process, process))
        .map(|current| current.tid());
    let is_sigkill = status == ExitStatus::Signal(sigrules::SIGKILL as u8);
    for thread in &threads {
        if is_sigkill || Some(thread.tid()) != starter {
            thread.is_killed.store(true, Ordering::Relaxed);
        }
        thread.is_exiting.store(true, Ordering::Relaxed);
        thread.signal_hint.store(true, Ordering::Relaxed);
        crate::sched::wake_up_for_signal(thread, true);
    }
}

/// The last steps of an exiting thread, on its own kernel stack, before it is scheduled away
/// for good. The caller drops its references afterwards.
pub fn finish_thread(thread: &Arc<Thread>) {
    let process = &thread.process;
    release_futexes(thread);
    crate::sched::deadline_release(thread);
    release_vfork_parent(process);

    let total = thread.cpu_time_ns();
    let user = thread.user_time_ns().min(total);
    let is_last = {
        let mut threads = process.threads.lock();
        threads.retain(|other| !Arc::ptr_eq(other, thread));
        let mut usage = process.usage.lock();
        usage.user_ns += user;
        usage.system_ns += total - user;
        threads.is_empty()
    };
    table::remove_thread(thread.tid());
    crate::seccomp::release(thread);
    if super::ptrace::is_traced(thread) {
        let status = process
            .lifecycle
            .lock()
            .group_exit
            .unwrap_or(ExitStatus::Code(
                thread.exit_code.load(Ordering::Relaxed) as u8
            ));
        super::ptrace::thread_exited(thread, status);
    }
    if is_last {
        finish_process(process, thread);
    } else {
        release_namespaces(thread);
    }
}

/// `exit_task_namespaces`, before the parent hears of the exit: a mount namespace whose last
/// user this was is taken down now, not when the last reference to the thread goes (on SMP
/// that may be after the parent's wait returned, its mounts still in place).
fn release_namespaces(thread: &Thread) {
    thread.set_nsproxy(crate::ns::initial().clone());
}

/// What Linux's `exit_mm_release` and `exec_mm_release` do for futexes: walk the robust list,
/// then, if another task still uses the address space, clear `clear_child_tid` and wake one
/// waiter on it (`mm_release`: only when `mm_users > 1`). Faults are ignored.
pub fn release_futexes(thread: &Arc<Thread>) {
    let process = &thread.process;
    crate::futex::exit_robust_list(thread);
    crate::futex_pi::exit_owner(thread);
    let clear_address = thread.clear_child_tid.swap(0, Ordering::Relaxed);
    if clear_address != 0 {
        let is_mm_shared = process.threads.lock().len() > 1 || process.mm.is_shared();
        if is_mm_shared {
            let _ = hal::usercopy::write_user(clear_address, &0u32);
            crate::futex::wake_address(process, clear_address, 1);
        }
    }
}

/// Wakes a vfork parent waiting for this process to exec or exit.
pub fn release_vfork_parent(process: &Process) {
    if let Some(done) = process.vfork_done.lock().take() {
        done.is_done.store(true, Ordering::Release);
        done.queue.wake_all();
    }
}

fn finish_process(process: &Arc<Process>, last: &Arc<Thread>) {
    let status = {
        let lifecycle = process.lifecycle.lock();
        lifecycle.group_exit.unwrap_or(ExitStatus::Code(
            lifecycle
                .last_exit_code
                .unwrap_or(last.exit_code.load(Ordering::Relaxed) as u8),
        ))
    };
    if process.is_child_reaper && !process.pid_ns.is_initial() {
        // The init of a PID namespace takes the namespace with it (`zap_pid_ns_processes`).
        crate::ns::pid::zap(last, process);
    }
    if process.pid == 1 {
        crate::dump_lock_order();
        panic_policy::kernel_panic(format_args!(
            "Attempted to kill init! exitcode={:#010x}",
            status.wait_status()
        ));
    }
    // acct_process: the accounting record, with the memory size it exited with.
    if crate::acct::is_active() {
        let memory_kib = process.mm.get().read().mapped_bytes_total() / 1024;
        crate::acct::process_exited(&crate::acct::Ending {
            process,
            thread: last,
            status: Some(status),
            memory_kib,
        });
    }
    // exit_sem: the undo adjustments apply before anything else goes.
    crate::ipc::sem::exit(process);
    // Release what a zombie does not need: descriptors (so pipes see EOF) and memory.
    let files = process.files.replace(Arc::new(super::shared::locked_files(
        crate::fs::fd_table::FdTable::new(),
    )));
    drop(files);
    let resident_kib = process.mm.get().read().resident_pages() as u64 * 4;
    {
        let mut usage = process.usage.lock();
        usage.max_rss_kib = usage.max_rss_kib.max(resident_kib);
    }
    drop(process.mm.replace(crate::mm::exited_address_space()));
    release_namespaces(last);
    crate::timers::exit(process);
    if process.is_session_leader() {
        // disassociate_ctty(1): the session's terminal hangs up.
        crate::tty::job::session_leader_exit(process);
    }
    // exit_ptrace: tracees are let go (or killed) before the children find a new parent.
    super::ptrace::exit_tracer(process);
    reparent_children(process);
    process.lifecycle.lock().zombie = Some(status);
    process.exit_events.wake_all();
    if super::ptrace::process_exited(process, status) {
        // The tracer of the leader reports it first; the real parent hears afterwards.
        return;
    }
    notify_parent_of_exit(process, status);
}

/// The process that adopts the children of `dying`: the nearest ancestor in its PID
/// namespace that is a child subreaper and still alive, else the namespace's init
/// (`find_new_reaper`); a dying init keeps its own (it reaps them in `ns::pid::zap`).
fn find_reaper(dying: &Arc<Process>) -> Option<Arc<Process>> {
    if dying.is_child_reaper {
        return Some(dying.clone());
    }
    let ns = &dying.pid_ns;
    let mut ancestor = dying.parent.lock().upgrade();
    while let Some(candidate) = ancestor {
        if !Arc::ptr_eq(&candidate.pid_ns, ns) || candidate.is_child_reaper {
            break;
        }
        if candidate.flags.lock().is_child_subreaper && !candidate.is_zombie() {
            return Some(candidate);
        }
        ancestor = candidate.parent.lock().upgrade();
    }
    ns.reaper()
}

fn reparent_children(dying: &Arc<Process>) {
    let children: Vec<Arc<Process>> = core::mem::take(&mut *dying.children.lock());
    if children.is_empty() {
        return;
    }
    let Some(reaper) = find_reaper(dying) else {
        return;
    };
    for child in children {
        *child.parent.lock() = Arc::downgrade(&reaper);
        let death_signal = child.flags.lock().parent_death_signal;
        if death_signal != 0 {
            signal::send_to_process(
                &child,
                SigInfo::new(death_signal as i32, abi::signal::SI_USER),
            );
        }
        reaper.children.lock().push(child.clone());
        let zombie = {
            let lifecycle = child.lifecycle.lock();
            lifecycle.zombie.filter(|_| !lifecycle.traced_zombie)
        };
        if let Some(status) = zombie {
            notify_parent_of_exit(&child, status);
        }
    }
}

/// Tells the parent of `child` that it exited (`do_notify_parent`).
pub fn notify_parent_of_exit(child: &Arc<Process>, status: ExitStatus) {
    let Some(parent) = child.parent.lock().upgrade() else {
        return;
    };
    let (code, si_status) = status.child_code_and_status();
    let (user_ns, system_ns) = child.cpu_times_ns();
    let uid = child.credentials.lock().uid;
    let info = SigInfo::child(
        code,
        parent.pid_ns.nr_of(child.pid),
        uid,
        si_status,
        user_ns / crate::time::NSEC_PER_CLOCK_TICK,
        system_ns / crate::time::NSEC_PER_CLOCK_TICK,
    );
    // SIG_IGN or SA_NOCLDWAIT on SIGCHLD: the child is reaped at once; only SIG_IGN also
    // suppresses the signal (do_notify_parent).
    let mut auto_reap = false;
    let mut sends_signal = child.exit_signal != 0;
    if child.exit_signal == signal::SIGCHLD {
        let action = parent.signals.get().lock().action(signal::SIGCHLD);
        if action.handler == abi::signal::SIG_IGN
            || action.flags.contains(abi::SaFlags::SA_NOCLDWAIT)
        {
            auto_reap = true;
        }
        if action.handler == abi::signal::SIG_IGN {
            sends_signal = false;
        }
    }
    if sends_signal {
        let mut info = info;
        info.signo = child.exit_signal as i32;
        signal::send_to_process(&parent, info);
    }
    if auto_reap {
        release_zombie(&parent, child);
    }
    parent.child_events.wake_all();
}

/// Reaps `child` of `parent`: removes it from the parent and the pid table, adding its CPU time
/// to the parent's children totals.
pub fn release_zombie(parent: &Arc<Process>, child: &Arc<Process>) {
    parent
        .children
        .lock()
        .retain(|other| !Arc::ptr_eq(other, child));
    let (user, system) = child.cpu_times_ns();
    let child_usage = *child.usage.lock();
    {
        let mut usage = parent.usage.lock();
        usage.children_user_ns += user + child_usage.children_user_ns;
        usage.children_system_ns += system + child_usage.children_system_ns;
        usage.children_max_rss_kib = usage
            .children_max_rss_kib
            .max(child_usage.max_rss_kib)
            .max(child_usage.children_max_rss_kib);
    }
    table::remove_process(child.pid);
}
