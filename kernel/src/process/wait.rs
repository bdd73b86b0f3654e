//! Waiting for children: the logic under wait4 and waitid (Linux `kernel/exit.c`, `do_wait`).
//!
//! A waiter scans its process's children for one that matches the target and has something to
//! report — an exit (zombie), a stop not yet reported (`WUNTRACED`/`WSTOPPED`), a continue
//! (`WCONTINUED`) — and sleeps on its `child_events` queue until one does. Children whose exit
//! signal is not SIGCHLD are "clone" children, seen only with `__WCLONE` or `__WALL`. With
//! `WNOWAIT` the report is left in place. No matching child at all is ECHILD.
//!
//! A tracer also waits for its tracees (`ptrace_do_wait`), threads included, whatever the
//! clone flags and without `WUNTRACED`: their ptrace stops and their deaths come first; a child
//! traced by its own parent is reported only through that path, one traced by another process
//! reaches its real parent's wait only after the tracer has reaped or released it.

use super::exit::{ExitStatus, release_zombie};
use super::{Pid, Process, Thread, ptrace};
use crate::sched::SleepKind;
use crate::sched::wait::wait_event;
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

/// Which children a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitTarget {
    Any,
    Pid(Pid),
    ProcessGroup(Pid),
}

/// What a wait accepts (from WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT, __WALL, __WCLONE).
#[derive(Clone, Copy, Debug, Default)]
pub struct WaitOptions {
    pub exited: bool,
    pub stopped: bool,
    pub continued: bool,
    pub no_hang: bool,
    pub no_wait: bool,
    pub all: bool,
    pub clone_children: bool,
}

/// What happened to the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildEvent {
    Exited(ExitStatus),
    Stopped(u32),
    Continued,
    /// A ptrace stop: the code (`status >> 8`).
    Trapped(u32),
}

/// One report.
#[derive(Clone, Copy, Debug)]
pub struct WaitReport {
    /// The child's id as the waiter's PID namespace numbers it (taken before a reaped child's
    /// numbers are freed).
    pub pid: Pid,
    pub uid: u32,
    pub event: ChildEvent,
    pub user_ns: u64,
    pub system_ns: u64,
    /// `ru_maxrss` of the child, in KiB.
    pub max_rss_kib: u64,
}

impl WaitReport {
    /// The status word wait4 stores.
    pub fn wait_status(&self) -> u32 {
        match self.event {
            ChildEvent::Exited(status) => status.wait_status(),
            ChildEvent::Stopped(signal) => (signal << 8) | 0x7f,
            ChildEvent::Continued => 0xffff,
            ChildEvent::Trapped(code) => ptracerules::stop_status(code),
        }
    }
}

fn matches_target(child: &Process, target: WaitTarget) -> bool {
    match target {
        WaitTarget::Any => true,
        WaitTarget::Pid(pid) => child.pid == pid,
        WaitTarget::ProcessGroup(pgid) => child.pgid.load(Ordering::Relaxed) == u64::from(pgid),
    }
}

fn is_eligible(child: &Process, options: &WaitOptions) -> bool {
    options.all || ((child.exit_signal != sigrules::SIGCHLD) == options.clone_children)
}

/// Looks for a report; `Err(ECHILD)` if no child matches at all.
fn scan(
    process: &Arc<Process>,
    target: WaitTarget,
    options: &WaitOptions,
) -> Result<Option<WaitReport>, Errno> {
    let mut has_candidate = false;
    if let Some(report) = scan_tracees(process, target, options, &mut has_candidate) {
        return Ok(Some(report));
    }
    let children: alloc::vec::Vec<Arc<Process>> = process.children.lock().clone();
    for child in children
        .iter()
        .filter(|child| matches_target(child, target) && is_eligible(child, options))
    {
        has_candidate = true;
        if core::ptr::eq(child.traced_by.lock().as_ptr(), Arc::as_ptr(process)) {
            // Traced by us: reported as a tracee.
            continue;
        }
        let uid = child.credentials.lock().uid;
        let mut lifecycle = child.lifecycle.lock();
        let event = if let Some(status) = lifecycle
            .zombie
            .filter(|_| options.exited && !lifecycle.traced_zombie)
        {
            ChildEvent::Exited(status)
        } else if let Some(signal) = lifecycle.stop_report.filter(|_| options.stopped) {
            if !options.no_wait {
                lifecycle.stop_report = None;
            }
            ChildEvent::Stopped(signal)
        } else if lifecycle.continue_report && options.continued {
            if !options.no_wait {
                lifecycle.continue_report = false;
            }
            ChildEvent::Continued
        } else {
            continue;
        };
        drop(lifecycle);
        let (user_ns, system_ns) = child.cpu_times_ns();
        let max_rss_kib = {
            let usage = *child.usage.lock();
            usage.max_rss_kib.max(usage.children_max_rss_kib)
        };
        let pid = process.pid_ns.nr_of(child.pid);
        if matches!(event, ChildEvent::Exited(_)) && !options.no_wait {
            release_zombie(process, child);
        }
        return Ok(Some(WaitReport {
            pid,
            uid,
            event,
            user_ns,
            system_ns,
            max_rss_kib,
        }));
    }
    if has_candidate {
        Ok(None)
    } else {
        Err(Errno::ECHILD)
    }
}

/// Looks for a report among the threads `process` traces.
fn scan_tracees(
    process: &Arc<Process>,
    target: WaitTarget,
    options: &WaitOptions,
    has_candidate: &mut bool,
) -> Option<WaitReport> {
    let tracees: alloc::vec::Vec<Arc<Thread>> = process.ptraced.lock().clone();
    for tracee in &tracees {
        let is_match = match target {
            WaitTarget::Any => true,
            WaitTarget::Pid(pid) => tracee.tid() == pid,
            WaitTarget::ProcessGroup(pgid) => {
                tracee.process.pgid.load(Ordering::Relaxed) == u64::from(pgid)
            }
        };
        if !is_match {
            continue;
        }
        *has_candidate = true;
        let pid = process.pid_ns.nr_of(tracee.tid());
        let Some(report) = ptrace::take_report(process, tracee, options.exited, options.no_wait)
        else {
            continue;
        };
        let child = &tracee.process;
        let uid = child.credentials.lock().uid;
        let (user_ns, system_ns) = child.cpu_times_ns();
        let max_rss_kib = {
            let usage = *child.usage.lock();
            usage.max_rss_kib.max(usage.children_max_rss_kib)
        };
        let event = match report {
            ptrace::TraceeReport::Stopped(code) => ChildEvent::Trapped(code),
            ptrace::TraceeReport::Exited(status) => ChildEvent::Exited(status),
        };
        return Some(WaitReport {
            pid,
            uid,
            event,
            user_ns,
            system_ns,
            max_rss_kib,
        });
    }
    None
}

/// Waits for a child of `thread`'s process to report. `Ok(None)` with `no_hang` when matching
/// children exist but none has anything to report; `ERESTARTSYS` if a signal interrupts.
pub fn wait_child(
    thread: &Arc<Thread>,
    target: WaitTarget,
    options: WaitOptions,
) -> Result<Option<WaitReport>, Errno> {
    let process = &thread.process;
    let outcome = wait_event(
        thread,
        &[&process.child_events],
        SleepKind::Interruptible,
        None,
        || match scan(process, target, &options) {
            Ok(None) if !options.no_hang => None,
            other => Some(other),
        },
    );
    match outcome {
        Ok(result) => result,
        Err(_) => Err(Errno::ERESTARTSYS),
    }
}
