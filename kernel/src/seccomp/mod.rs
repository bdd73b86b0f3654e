//! seccomp (Linux 6.1 `kernel/seccomp.c`): a thread's mode and filter chain, attached by
//! `seccomp(2)` and `prctl(PR_SET_SECCOMP)` (`crate::syscall::seccomp`), run at every syscall
//! entry of a thread that has them, and the actions carried out.
//!
//! A thread's [`TaskSeccomp`] holds its mode (disabled, strict, filter) and its newest
//! [`Filter`]; each filter points to the one before it, so a chain is shared by every thread
//! and child that inherited it (clone and fork copy the pointer, exec keeps it). The syscall
//! entry pays for seccomp only through the `SECCOMP` bit of `Thread::ptrace_flags`, which the
//! hot path already tests ([`crate::process::ptrace::SYSCALL_WORK`]).
//!
//! At entry ([`on_syscall_entry`], after a ptrace syscall-entry stop, as Linux's
//! `syscall_trace_enter`): strict mode lets read, write, exit and rt_sigreturn through and
//! kills the thread with SIGKILL for anything else; filter mode runs every filter of the chain
//! over a `struct seccomp_data` (crate `seccomp`) and acts on the lowest action:
//! `KILL_PROCESS` (SIGSYS, forced), `KILL_THREAD` (this thread exits; SIGSYS for the process
//! when it is the last), `TRAP` (a forced SIGSYS with `SYS_SECCOMP`, the syscall and arch, and
//! the data as `si_errno`; the call is skipped and `rax` keeps the number), `ERRNO` (skipped,
//! `-data` capped at 4095), `USER_NOTIF` (the listener decides: [`notify`]), `TRACE` (a
//! `PTRACE_EVENT_SECCOMP` stop when the tracer asked for it, where it may change or skip the
//! call, after which the filters run again; `-ENOSYS` without such a tracer), `LOG` and
//! `ALLOW`. Logged actions (`kernel.seccomp.actions_logged` and each filter's
//! `SECCOMP_FILTER_FLAG_LOG`) print an `audit: type=1326` line, rate limited.
//!
//! Not done: the per-filter bitmap cache of always-allowed syscalls (every filter runs on
//! every call), `PTRACE_O_SUSPEND_SECCOMP`, speculation-control side effects of attaching
//! (Ferrux has no `PR_SET_SPECULATION_CTRL`).

pub mod notify;

use crate::process::exit::ExitStatus;
use crate::process::{Thread, ptrace};
use crate::syscall::SyscallContext;
use abi::Errno;
use abi::signal::SigInfo;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use hal::sync::SpinLock;
use seccomp::bpf::Insn;
use seccomp::{SECCOMP_MODE_DISABLED, SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT, SeccompData};
use sigrules::{SIGKILL, SIGSYS};

/// `SECCOMP_MODE_DEAD`: a thread killed by seccomp that somehow makes another call.
const MODE_DEAD: u32 = SECCOMP_MODE_FILTER + 1;

/// `kernel.seccomp.actions_logged`.
pub static ACTIONS_LOGGED: AtomicU32 = AtomicU32::new(seccomp::DEFAULT_LOGGED);

/// `SYS_SECCOMP`: `si_code` of a seccomp SIGSYS.
const SYS_SECCOMP: i32 = 1;

/// One attached filter (`struct seccomp_filter`).
pub struct Filter {
    program: Vec<Insn>,
    /// Its length as Linux counts it against `MAX_INSNS_PER_PATH` (after translation).
    converted_len: usize,
    prev: Option<Arc<Filter>>,
    /// `SECCOMP_FILTER_FLAG_LOG`.
    is_logged: bool,
    /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`.
    wait_killable_recv: bool,
    /// The listener of `SECCOMP_FILTER_FLAG_NEW_LISTENER`.
    listener: Option<Arc<notify::Notifier>>,
}

impl Filter {
    /// A checked program, with its flags and listener.
    pub fn new(
        program: Vec<Insn>,
        is_logged: bool,
        wait_killable_recv: bool,
        listener: Option<Arc<notify::Notifier>>,
    ) -> Filter {
        Filter {
            converted_len: seccomp::bpf::converted_len(&program),
            program,
            prev: None,
            is_logged,
            wait_killable_recv,
            listener,
        }
    }

    /// The program as attached (for `PTRACE_SECCOMP_GET_FILTER`).
    pub fn program(&self) -> &[Insn] {
        &self.program
    }

    /// Whether it was attached with `SECCOMP_FILTER_FLAG_LOG`.
    pub fn is_logged(&self) -> bool {
        self.is_logged
    }

    /// The filters of a chain, newest first.
    pub fn chain(self: &Arc<Filter>) -> impl Iterator<Item = &Arc<Filter>> {
        core::iter::successors(Some(self), |filter| filter.prev.as_ref())
    }
}

impl Drop for Filter {
    /// Frees the chain behind it iteratively (a chain may be thousands of filters long), and
    /// tells a listener that its filter has no users left (`POLLHUP`).
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.filter_released();
        }
        let mut next = self.prev.take();
        while let Some(filter) = next {
            match Arc::try_unwrap(filter) {
                Ok(mut filter) => next = filter.prev.take(),
                Err(_) => break,
            }
        }
    }
}

/// A thread's seccomp state (`struct seccomp`).
#[derive(Default)]
pub struct TaskSeccomp {
    pub mode: u32,
    pub filter: Option<Arc<Filter>>,
}

impl TaskSeccomp {
    /// The number of filters (`Seccomp_filters:`).
    pub fn filter_count(&self) -> usize {
        self.filter
            .as_ref()
            .map_or(0, |filter| filter.chain().count())
    }
}

/// The mode for `PR_GET_SECCOMP` and `/proc/PID/status` (a dead thread shows as filter mode).
pub fn mode(thread: &Thread) -> u32 {
    thread.seccomp.lock().mode.min(SECCOMP_MODE_FILTER)
}

/// clone/fork: the child runs under the creator's mode and filters (`copy_seccomp`).
pub fn inherit(parent: &Thread, child: &Thread) {
    let state = {
        let parent = parent.seccomp.lock();
        TaskSeccomp {
            mode: parent.mode,
            filter: parent.filter.clone(),
        }
    };
    if state.mode != SECCOMP_MODE_DISABLED {
        *child.seccomp.lock() = state;
        child
            .ptrace_flags
            .fetch_or(ptrace::SECCOMP, Ordering::Relaxed);
    }
}

/// A thread that ends drops its filters (`seccomp_filter_release`): a listener whose
/// filter no task uses any more reports `POLLHUP`.
pub fn release(thread: &Thread) {
    let old = thread.seccomp.lock().filter.take();
    drop(old);
}

/// Puts the caller in strict mode (`seccomp_set_mode_strict`).
pub fn set_mode_strict(thread: &Thread) -> Result<(), Errno> {
    let mut state = thread.seccomp.lock();
    if state.mode != SECCOMP_MODE_DISABLED && state.mode != SECCOMP_MODE_STRICT {
        return Err(Errno::EINVAL);
    }
    state.mode = SECCOMP_MODE_STRICT;
    thread
        .ptrace_flags
        .fetch_or(ptrace::SECCOMP, Ordering::Relaxed);
    Ok(())
}

/// Attaches `filter` to the caller (`seccomp_attach_filter`, `seccomp_assign_mode`), and with
/// `tsync` to every thread of its process (`seccomp_sync_threads`). Errors: `EINVAL` in strict
/// mode, `EBUSY` for a second listener in a chain, `ENOMEM` past 32768 instructions, and for
/// TSYNC the id of a thread that cannot be synchronised (`ESRCH` with `TSYNC_ESRCH`), as
/// `Ok(Some(tid))`.
pub fn attach(
    thread: &Arc<Thread>,
    mut filter: Filter,
    tsync: bool,
    tsync_esrch: bool,
) -> Result<Option<u32>, Errno> {
    let process = &thread.process;
    // The thread list is held across the check and the change: clone then copies either the
    // old chain before the check or the new one after, and no other TSYNC runs meanwhile.
    // Only the thread itself, or a TSYNC under this lock, changes a thread's state, so the
    // caller's may be read and released before the others are looked at.
    let threads = process.threads.lock();
    let current = {
        let state = thread.seccomp.lock();
        if state.mode != SECCOMP_MODE_DISABLED && state.mode != SECCOMP_MODE_FILTER {
            return Err(Errno::EINVAL);
        }
        state.filter.clone()
    };
    if let Some(current) = &current {
        if filter.listener.is_some() && current.chain().any(|old| old.listener.is_some()) {
            return Err(Errno::EBUSY);
        }
        let total: usize = current
            .chain()
            .map(|old| old.converted_len + seccomp::INSNS_PENALTY)
            .sum::<usize>()
            + filter.converted_len;
        if total > seccomp::MAX_INSNS_PER_PATH {
            return Err(Errno::ENOMEM);
        }
    }
    let is_other = |other: &Arc<Thread>| !Arc::ptr_eq(other, thread);
    if tsync {
        for other in threads.iter().filter(|other| is_other(other)) {
            let other_state = other.seccomp.lock();
            let is_syncable = other_state.mode == SECCOMP_MODE_DISABLED
                || (other_state.mode == SECCOMP_MODE_FILTER
                    && match (&other_state.filter, &current) {
                        (None, _) => true,
                        (Some(theirs), Some(mine)) => {
                            mine.chain().any(|filter| Arc::ptr_eq(filter, theirs))
                        }
                        (Some(_), None) => false,
                    });
            if !is_syncable {
                if tsync_esrch {
                    return Err(Errno::ESRCH);
                }
                return Ok(Some(other.tid()));
            }
        }
    }
    filter.prev = current;
    let filter = Arc::new(filter);
    {
        let mut state = thread.seccomp.lock();
        state.filter = Some(filter.clone());
        state.mode = SECCOMP_MODE_FILTER;
    }
    thread
        .ptrace_flags
        .fetch_or(ptrace::SECCOMP, Ordering::Relaxed);
    // The chains replaced are dropped after the thread list is released (a listener's
    // wake-up may follow); each extends into the new one, so dropping them frees little.
    let mut replaced: Vec<Option<Arc<Filter>>> = Vec::new();
    if tsync {
        let _ = replaced.try_reserve(threads.len());
        for other in threads.iter().filter(|other| is_other(other)) {
            let old = {
                let mut other_state = other.seccomp.lock();
                other_state.mode = SECCOMP_MODE_FILTER;
                other_state.filter.replace(filter.clone())
            };
            other
                .ptrace_flags
                .fetch_or(ptrace::SECCOMP, Ordering::Relaxed);
            if replaced.len() < replaced.capacity() {
                replaced.push(old);
            } else {
                // No room to keep it: it is an ancestor of the new chain (the check above),
                // so this is never its last reference.
                drop(old);
            }
        }
    }
    drop(threads);
    drop(replaced);
    Ok(None)
}

/// What the entry check decided.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Run the syscall (its number in `rax`).
    Run,
    /// Skip it: `rax` holds the result.
    Skip,
}

/// The seccomp check of a syscall (`__secure_computing`), run when the thread's `SECCOMP`
/// work bit is set; the syscall number is `thread.orig_rax`.
pub fn on_syscall_entry(context: &mut SyscallContext<'_>) -> Entry {
    let thread = context.thread;
    let number = thread.orig_rax.load(Ordering::Relaxed);
    let (mode, filter) = {
        let state = thread.seccomp.lock();
        (state.mode, state.filter.clone())
    };
    match mode {
        SECCOMP_MODE_DISABLED => Entry::Run,
        SECCOMP_MODE_STRICT => {
            if seccomp::is_strict_allowed(number) {
                return Entry::Run;
            }
            thread.seccomp.lock().mode = MODE_DEAD;
            audit(
                thread,
                number,
                SIGKILL,
                seccomp::SECCOMP_RET_KILL_THREAD,
                context,
            );
            exit_thread_by_signal(thread, SIGKILL);
            Entry::Skip
        }
        SECCOMP_MODE_FILTER => match filter {
            Some(filter) => run_filters(context, &filter, number, false),
            None => Entry::Run,
        },
        _ => {
            exit_thread_by_signal(thread, SIGKILL);
            Entry::Skip
        }
    }
}

fn seccomp_data(context: &SyscallContext<'_>, number: u64) -> SeccompData {
    let regs = context.user.regs();
    SeccompData::new(
        number,
        regs.rip,
        [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9],
    )
}

/// Runs the chain over the call and carries out the action (`__seccomp_filter`).
fn run_filters(
    context: &mut SyscallContext<'_>,
    newest: &Arc<Filter>,
    number: u64,
    is_recheck_after_trace: bool,
) -> Entry {
    let thread = context.thread;
    let data = seccomp_data(context, number);
    let mut verdict = seccomp::Verdict::allow();
    for (index, filter) in newest.chain().enumerate() {
        verdict.merge(index, seccomp::bpf::run(&filter.program, &data));
    }
    let matched = verdict.filter.and_then(|index| newest.chain().nth(index));
    let requested = matched.is_some_and(|filter| filter.is_logged);
    let action = verdict.action();
    if seccomp::is_logged(action, requested, ACTIONS_LOGGED.load(Ordering::Relaxed)) {
        let signal = match action {
            seccomp::SECCOMP_RET_TRAP
            | seccomp::SECCOMP_RET_ERRNO
            | seccomp::SECCOMP_RET_TRACE
            | seccomp::SECCOMP_RET_USER_NOTIF
            | seccomp::SECCOMP_RET_LOG => 0,
            _ => SIGSYS,
        };
        audit(thread, number, signal, action, context);
    }
    match action {
        seccomp::SECCOMP_RET_ALLOW | seccomp::SECCOMP_RET_LOG => Entry::Run,
        seccomp::SECCOMP_RET_ERRNO => {
            set_return(context, -i64::from(verdict.errno()));
            Entry::Skip
        }
        seccomp::SECCOMP_RET_TRAP => {
            // The call is rolled back: rax shows the number to the handler.
            context.user.regs_mut().rax = number;
            crate::signal::send::force_info(thread, sigsys_info(&data, verdict.data()));
            Entry::Skip
        }
        seccomp::SECCOMP_RET_TRACE => {
            if is_recheck_after_trace {
                return Entry::Run;
            }
            trace(context, verdict.data())
        }
        seccomp::SECCOMP_RET_USER_NOTIF => {
            let Some(listener) = matched.and_then(|filter| filter.listener.clone()) else {
                set_return(context, Errno::ENOSYS.as_syscall_return() as i64);
                return Entry::Skip;
            };
            let wait_killable = matched.is_some_and(|filter| filter.wait_killable_recv);
            match listener.wait_for_reply(thread, data, wait_killable) {
                notify::Outcome::Continue => Entry::Run,
                notify::Outcome::Return(value) => {
                    set_return(context, value);
                    Entry::Skip
                }
                notify::Outcome::Interrupted => {
                    thread.restart.set(crate::process::Restart {
                        number,
                        deadline: crate::sched::timer::Deadline::Monotonic(0),
                        remain_address: 0,
                        futex: None,
                    });
                    set_return(context, Errno::ERESTARTSYS.as_syscall_return() as i64);
                    Entry::Skip
                }
            }
        }
        _ => {
            // KILL_THREAD, KILL_PROCESS and any unknown action.
            thread.seccomp.lock().mode = MODE_DEAD;
            context.user.regs_mut().rax = number;
            let is_last = thread.process.threads.lock().len() <= 1;
            if action == seccomp::SECCOMP_RET_KILL_THREAD && !is_last {
                exit_thread_by_signal(thread, SIGSYS);
            } else {
                crate::signal::send::force_fatal_info(thread, sigsys_info(&data, verdict.data()));
            }
            Entry::Skip
        }
    }
}

fn set_return(context: &mut SyscallContext<'_>, value: i64) {
    context.user.regs_mut().rax = value as u64;
}

/// The SIGSYS of a seccomp trap or kill (`seccomp_init_siginfo`): `si_call_addr` is the
/// instruction after the syscall, `si_errno` the filter's data.
fn sigsys_info(data: &SeccompData, reason: u32) -> SigInfo {
    let mut info = SigInfo::new(SIGSYS as i32, SYS_SECCOMP);
    info.errno = reason as i32;
    info.fields[0] = data.instruction_pointer;
    info.fields[1] = u64::from(data.nr as u32) | (u64::from(data.arch) << 32);
    info
}

/// `SECCOMP_RET_TRACE`: the `PTRACE_EVENT_SECCOMP` stop, then the filters again on what the
/// tracer left (`-ENOSYS` without a tracer that asked for the event).
fn trace(context: &mut SyscallContext<'_>, data: u32) -> Entry {
    let thread = context.thread;
    let enosys = Errno::ENOSYS.as_syscall_return() as u64;
    if !ptrace::is_event_enabled(thread, ptracerules::PTRACE_EVENT_SECCOMP) {
        context.user.regs_mut().rax = enosys;
        return Entry::Skip;
    }
    context.user.regs_mut().rax = enosys;
    ptrace::event(
        thread,
        context.user,
        ptracerules::PTRACE_EVENT_SECCOMP,
        u64::from(data),
    );
    if thread.is_killed.load(Ordering::Relaxed) || thread.is_exiting.load(Ordering::Relaxed) {
        return Entry::Skip;
    }
    let number = thread.orig_rax.load(Ordering::Relaxed);
    if (number as u32 as i32) < 0 {
        // Skipped by the tracer (the number is an int, as `syscall_get_nr` returns it): rax
        // is what it left.
        return Entry::Skip;
    }
    let filter = thread.seccomp.lock().filter.clone();
    let Some(filter) = filter else {
        return Entry::Run;
    };
    let entry = run_filters(context, &filter, number, true);
    if entry == Entry::Run {
        context.user.regs_mut().rax = number;
    }
    entry
}

/// `do_exit(signal)` for this thread alone; the process ends by the signal when it was the
/// last thread.
fn exit_thread_by_signal(thread: &Arc<Thread>, signal: u32) {
    let is_last = thread.process.threads.lock().len() <= 1;
    if is_last {
        crate::process::exit::exit_group(&thread.process, ExitStatus::Signal(signal as u8));
    } else {
        crate::process::exit::exit_thread(thread, 0);
    }
}

static AUDIT_LIMIT: SpinLock<crate::printk::RateLimit> =
    SpinLock::new("seccomp.audit_limit", crate::printk::RateLimit::new());

/// The audit record of a logged action (`audit_seccomp`), as Linux prints it without an
/// audit daemon; at most 10 lines in 5 seconds.
fn audit(thread: &Thread, number: u64, signal: u32, action: u32, context: &SyscallContext<'_>) {
    if !AUDIT_LIMIT.lock().allow(crate::time::monotonic_ns()) {
        return;
    }
    let (uid, gid) = {
        let credentials = thread.process.credentials.lock();
        (credentials.uid, credentials.gid)
    };
    let name = thread.name();
    let comm = core::str::from_utf8(&name)
        .unwrap_or("?")
        .trim_end_matches('\0');
    static SERIAL: AtomicU32 = AtomicU32::new(0);
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed) + 1;
    let now_ms = crate::time::realtime_ns() / 1_000_000;
    log::info!(
        "audit: type=1326 audit({}.{:03}:{serial}): auid=4294967295 uid={uid} gid={gid} ses=4294967295 subj=unconfined pid={} comm=\"{comm}\" sig={signal} arch=c000003e syscall={} compat=0 ip={:#x} code={action:#x}",
        now_ms / 1000,
        now_ms % 1000,
        thread.tid(),
        number as u32 as i32,
        context.user.regs().rip,
    );
}
