//! ptrace: the tracee's side and the links between tracer and tracee (Linux `kernel/ptrace.c`,
//! the ptrace parts of `kernel/signal.c` and `kernel/exit.c`).
//!
//! A tracer is a process (any of its threads may wait for and command its tracees, as Linux's
//! `ptrace_do_wait` over the thread group); a tracee is a thread. A traced thread carries a
//! [`PtraceState`] (tracer, options, the stop it sits in) and a few bits in
//! `Thread::ptrace_flags` that hot paths read without a lock (traced, syscall stops, a pending
//! trap, single-step). The tracer's process lists its tracees in `Process::ptraced`; when a
//! thread-group leader is traced, `Process::traced_by` names its tracer, which then hears of
//! the process's death first (the real parent only after the tracer has reaped or let go).
//!
//! Stops ([`ptrace_stop`], Linux's `ptrace_stop`): the tracee publishes its registers and FPU
//! image in its state, records the code `wait` reports (`status >> 8`), tells the tracer
//! (SIGCHLD with `CLD_TRAPPED` or `CLD_STOPPED`, and a wake-up of its waiters) and sleeps in
//! [`TaskState::Traced`] until the tracer resumes it (or SIGKILL). The tracer reads and edits
//! the published registers; the tracee takes them back when it runs again. The kinds:
//! signal-delivery stops, group stops, syscall entry and exit stops (`orig_rax`, `rax =
//! -ENOSYS` at entry, the tracer may change the number or skip the call with -1), event stops
//! (`SIGTRAP | event << 8`), and `PTRACE_EVENT_STOP` traps of seized tracees (PTRACE_INTERRUPT,
//! a new auto-attached child, the end of a PTRACE_LISTEN).
//!
//! seccomp's `SECCOMP_RET_TRACE` stops with `PTRACE_EVENT_SECCOMP` (`crate::seccomp`); the
//! `SECCOMP` bit of `Thread::ptrace_flags` is seccomp's, kept by every change of ptrace's bits.
//!
//! Not done: hardware breakpoints (DR7 accepts only 0), PTRACE_O_SUSPEND_SECCOMP,
//! the de_thread notification of an exec by a traced non-leader thread.

use super::exit::ExitStatus;
use super::{Pid, Process, Thread};
use crate::sched::{self, TaskState};
use abi::Errno;
use abi::signal::{CLD_STOPPED, CLD_TRAPPED, SI_KERNEL, SI_USER, SigInfo};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::user::{UserContext, UserRegs};
use ptracerules::{
    PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT, PTRACE_EVENT_STOP, PTRACE_EVENTMSG_SYSCALL_ENTRY,
    PTRACE_EVENTMSG_SYSCALL_EXIT, PTRACE_O_EXITKILL, PTRACE_O_TRACESYSGOOD, event_code,
};
use sigrules::{SIGKILL, SIGSTOP, SIGTRAP};

/// `Thread::ptrace_flags`: the thread is traced.
pub const TRACED: u32 = 1;
/// Stop at syscall entry and exit (PTRACE_SYSCALL).
pub const SYSCALL_TRACE: u32 = 2;
/// Stop at syscall entry and skip the call (PTRACE_SYSEMU).
pub const SYSEMU: u32 = 4;
/// A `PTRACE_EVENT_STOP` trap is due (Linux's `JOBCTL_TRAP_STOP`).
pub const TRAP_PENDING: u32 = 8;
/// Single-stepping (PTRACE_SINGLESTEP): TF is set in the tracee's flags.
pub const SINGLESTEP: u32 = 16;
/// A seized tracee saw SIGCONT or a new group stop: it traps again (`JOBCTL_TRAP_NOTIFY`).
pub const TRAP_NOTIFY: u32 = 32;
/// Either trap.
pub const TRAPS: u32 = TRAP_PENDING | TRAP_NOTIFY;
/// The thread has a seccomp mode (strict or filters): every syscall goes through
/// `crate::seccomp::on_syscall_entry` (Linux's `SYSCALL_WORK_SECCOMP`).
pub const SECCOMP: u32 = 64;
/// The flags that send a syscall through [`traced_syscall`].
pub const SYSCALL_WORK: u32 = SYSCALL_TRACE | SYSEMU | SINGLESTEP | SECCOMP;

const RFLAGS_TF: u64 = 1 << 8;

/// Which stop a tracee sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    Signal,
    GroupStop,
    SyscallEntry,
    SyscallExit,
    Event,
    Trap,
}

/// How the tracer let the tracee go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeMode {
    Cont,
    Syscall,
    Sysemu,
    SingleStep,
    SysemuSingleStep,
    /// PTRACE_LISTEN ended by an event: trap again.
    Listen,
}

/// A thread's ptrace state (`task->ptrace`, `parent`, `last_siginfo`, `ptrace_message`,
/// `exit_code` of a stop).
pub struct PtraceState {
    /// The tracing process; dangling when not traced.
    pub tracer: Weak<Process>,
    pub is_seized: bool,
    pub options: u32,
    /// The stop the thread sits in (its registers are published below meanwhile).
    pub stop: Option<StopKind>,
    /// The stop code `wait` has yet to report.
    pub report: Option<u32>,
    /// The code of the current stop (what a tracer's death resumes with).
    pub stop_code: u32,
    /// A traced thread (not the leader) has exited: its status, for the tracer's `wait`.
    pub exited: Option<ExitStatus>,
    /// Set by the tracer to resume the thread: the mode and the signal.
    resume: Option<(ResumeMode, u32)>,
    /// PTRACE_LISTEN: stopped, but a SIGCONT or PTRACE_INTERRUPT makes it trap again.
    pub is_listening: bool,
    pub regs: UserRegs,
    pub orig_rax: u64,
    /// The XSAVE image (empty if it could not be copied).
    pub fpu: Vec<u8>,
    pub is_fpu_changed: bool,
    /// The signal of a signal-delivery stop, or the trap's siginfo (`last_siginfo`).
    pub siginfo: Option<SigInfo>,
    /// PTRACE_GETEVENTMSG.
    pub event_msg: u64,
    /// The group stop this thread has reported (a group stop is reported once).
    pub stop_generation: u64,
    /// DR0-DR3, DR6 (as stored, without the reserved bits), DR7.
    pub debug_regs: [u64; 8],
    /// TF was set by PTRACE_SINGLESTEP, not by the program (`TIF_FORCED_TF`).
    pub has_forced_tf: bool,
}

impl PtraceState {
    pub fn new() -> PtraceState {
        PtraceState {
            tracer: Weak::new(),
            is_seized: false,
            options: 0,
            stop: None,
            report: None,
            stop_code: 0,
            exited: None,
            resume: None,
            is_listening: false,
            regs: UserRegs::default(),
            orig_rax: u64::MAX,
            fpu: Vec::new(),
            is_fpu_changed: false,
            siginfo: None,
            event_msg: 0,
            stop_generation: 0,
            debug_regs: [0; 8],
            has_forced_tf: false,
        }
    }

    /// Whether `tracer` traces this thread.
    pub fn is_traced_by(&self, tracer: &Process) -> bool {
        core::ptr::eq(self.tracer.as_ptr(), tracer)
    }

    /// Whether the thread sits in a stop and has not been resumed yet.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_some() && self.resume.is_none()
    }
}

impl Default for PtraceState {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `thread` is traced (no lock).
pub fn is_traced(thread: &Thread) -> bool {
    thread.ptrace_flags.load(Ordering::Relaxed) & TRACED != 0
}

/// The tracer of `thread`, if any.
pub fn tracer_of(thread: &Thread) -> Option<Arc<Process>> {
    if !is_traced(thread) {
        return None;
    }
    thread.ptrace.lock().tracer.upgrade()
}

/// The pid `/proc/<pid>/status` shows as `TracerPid`.
pub fn tracer_pid(thread: &Thread) -> Pid {
    tracer_of(thread).map_or(0, |tracer| tracer.pid)
}

fn is_leader(thread: &Thread) -> bool {
    thread.tid() == thread.process.pid
}

// ---------------------------------------------------------------------------------------------
// Links.

/// Makes `tracer` trace `tracee` (`__ptrace_link`). `EPERM` if it is traced already.
pub fn link(
    tracer: &Arc<Process>,
    tracee: &Arc<Thread>,
    is_seized: bool,
    options: u32,
) -> Result<(), Errno> {
    tracer
        .ptraced
        .lock()
        .try_reserve(1)
        .map_err(|_| Errno::ENOMEM)?;
    {
        let mut state = tracee.ptrace.lock();
        if state.tracer.strong_count() > 0 || is_traced(tracee) {
            return Err(Errno::EPERM);
        }
        state.tracer = Arc::downgrade(tracer);
        state.is_seized = is_seized;
        state.options = options;
        state.exited = None;
        state.report = None;
        state.is_listening = false;
        // A group stop in force is reported to the new tracer (`ptrace_attach`'s
        // JOBCTL_TRAP_STOP): no generation counts as reported yet.
        state.stop_generation = u64::MAX;
        let _ = tracee
            .ptrace_flags
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(TRACED | old & SECCOMP)
            });
    }
    tracer.ptraced.lock().push(tracee.clone());
    if is_leader(tracee) {
        *tracee.process.traced_by.lock() = Arc::downgrade(tracer);
    }
    Ok(())
}

/// Ends the trace of `tracee` (`__ptrace_unlink`), resuming it with `signal` if it sits in a
/// stop. The tracer's list is updated by the caller when it holds the entry already.
fn unlink(tracee: &Arc<Thread>, signal: u32) {
    let was_stopped = {
        let mut state = tracee.ptrace.lock();
        state.tracer = Weak::new();
        state.is_seized = false;
        state.options = 0;
        state.is_listening = false;
        state.report = None;
        let was_stopped = state.stop.is_some() && state.resume.is_none();
        if was_stopped {
            state.resume = Some((ResumeMode::Cont, signal));
        }
        if state.has_forced_tf {
            state.regs.rflags &= !RFLAGS_TF;
            state.has_forced_tf = false;
        }
        tracee.ptrace_flags.fetch_and(SECCOMP, Ordering::Relaxed);
        was_stopped
    };
    if is_leader(tracee) {
        *tracee.process.traced_by.lock() = Weak::new();
    }
    if was_stopped {
        sched::wake_up_traced(tracee);
    }
    // A group stop still in force applies to it again.
    tracee.signal_hint.store(true, Ordering::Relaxed);
}

fn remove_from_tracer(tracer: &Process, tracee: &Arc<Thread>) -> Option<Arc<Thread>> {
    let mut list = tracer.ptraced.lock();
    let index = list.iter().position(|other| Arc::ptr_eq(other, tracee))?;
    Some(list.swap_remove(index))
}

/// PTRACE_DETACH: ends the trace; the tracee runs on with `signal` (if it sat in a
/// signal-delivery stop, that is the signal it gets).
pub fn detach(tracer: &Arc<Process>, tracee: &Arc<Thread>, signal: u32) {
    let entry = remove_from_tracer(tracer, tracee);
    unlink(tracee, signal);
    drop(entry);
}

/// The tracer `process` is exiting (`exit_ptrace`): each tracee is let go (with its stop's
/// signal, as Linux leaves `exit_code`), killed first with PTRACE_O_EXITKILL; zombies it held
/// go to their real parents.
pub fn exit_tracer(process: &Arc<Process>) {
    let tracees: Vec<Arc<Thread>> = core::mem::take(&mut *process.ptraced.lock());
    for tracee in &tracees {
        let (options, code) = {
            let state = tracee.ptrace.lock();
            (state.options, state.stop_code)
        };
        if options & PTRACE_O_EXITKILL != 0 {
            crate::signal::send_to_thread(tracee, SigInfo::new(SIGKILL as i32, SI_KERNEL));
        }
        let signal = if (1..=64).contains(&code) { code } else { 0 };
        unlink(tracee, signal);
        release_held_zombie(process, &tracee.process);
    }
    drop(tracees);
}

/// A zombie whose report `tracer` held (its leader was traced) goes to its real parent.
fn release_held_zombie(tracer: &Arc<Process>, child: &Arc<Process>) {
    let status = {
        let mut lifecycle = child.lifecycle.lock();
        if !lifecycle.traced_zombie {
            return;
        }
        lifecycle.traced_zombie = false;
        lifecycle.zombie
    };
    let Some(status) = status else {
        return;
    };
    let parent = child.parent.lock().upgrade();
    if parent
        .as_ref()
        .is_some_and(|parent| Arc::ptr_eq(parent, tracer))
    {
        // The tracer is the real parent: its ordinary wait (or its reaper) sees it.
        tracer.child_events.wake_all();
        return;
    }
    super::exit::notify_parent_of_exit(child, status);
}

// ---------------------------------------------------------------------------------------------
// The tracer's wait.

/// What a tracee has for its tracer's `wait`.
pub enum TraceeReport {
    Stopped(u32),
    Exited(ExitStatus),
}

/// The report of `tracee` for its tracer's `wait`, taken unless `is_peek`.
pub fn take_report(
    tracer: &Arc<Process>,
    tracee: &Arc<Thread>,
    wants_exit: bool,
    is_peek: bool,
) -> Option<TraceeReport> {
    {
        let mut state = tracee.ptrace.lock();
        if let Some(code) = state.report {
            if !is_peek {
                state.report = None;
            }
            return Some(TraceeReport::Stopped(code));
        }
        if !wants_exit {
            return None;
        }
        if !is_leader(tracee) {
            let status = state.exited?;
            drop(state);
            if !is_peek {
                let entry = remove_from_tracer(tracer, tracee);
                tracee.ptrace.lock().tracer = Weak::new();
                tracee.ptrace_flags.fetch_and(SECCOMP, Ordering::Relaxed);
                drop(entry);
            }
            return Some(TraceeReport::Exited(status));
        }
    }
    let process = &tracee.process;
    let status = {
        let lifecycle = process.lifecycle.lock();
        if !lifecycle.traced_zombie {
            return None;
        }
        lifecycle.zombie?
    };
    if !is_peek {
        let entry = remove_from_tracer(tracer, tracee);
        {
            let mut state = tracee.ptrace.lock();
            state.tracer = Weak::new();
        }
        tracee.ptrace_flags.fetch_and(SECCOMP, Ordering::Relaxed);
        *process.traced_by.lock() = Weak::new();
        let parent = process.parent.lock().upgrade();
        if parent
            .as_ref()
            .is_some_and(|parent| Arc::ptr_eq(parent, tracer))
        {
            process.lifecycle.lock().traced_zombie = false;
            super::exit::release_zombie(tracer, process);
        } else {
            release_held_zombie(tracer, process);
        }
        drop(entry);
    }
    Some(TraceeReport::Exited(status))
}

// ---------------------------------------------------------------------------------------------
// Notifications.

fn notify_tracer(tracer: &Arc<Process>, tracee: &Thread, why: i32, status: u32) {
    let action = tracer.signals.get().lock().action(sigrules::SIGCHLD);
    if !action.flags.contains(abi::SaFlags::SA_NOCLDSTOP) {
        let uid = tracee.process.credentials.lock().uid;
        let (user, system) = tracee.process.cpu_times_ns();
        let info = SigInfo::child(
            why,
            tracee.tid(),
            uid,
            (status & 0x7f) as i32,
            user / crate::time::NSEC_PER_CLOCK_TICK,
            system / crate::time::NSEC_PER_CLOCK_TICK,
        );
        crate::signal::send_to_process(tracer, info);
    }
    tracer.child_events.wake_all();
}

/// A traced thread that is not its group's leader has exited: its tracer hears of it
/// (`exit_notify`'s `do_notify_parent` for a traced thread).
pub fn thread_exited(thread: &Arc<Thread>, status: ExitStatus) {
    if is_leader(thread) {
        return;
    }
    let tracer = {
        let mut state = thread.ptrace.lock();
        let Some(tracer) = state.tracer.upgrade() else {
            return;
        };
        state.exited = Some(status);
        state.report = None;
        tracer
    };
    notify_exit(
        &tracer,
        &thread.process,
        thread.tid(),
        status,
        sigrules::SIGCHLD,
    );
}

/// The process `process` has become a zombie: if its leader is traced, the tracer is told
/// first and holds the report (true); otherwise the caller tells the real parent.
pub fn process_exited(process: &Arc<Process>, status: ExitStatus) -> bool {
    let Some(tracer) = process.traced_by.lock().upgrade() else {
        return false;
    };
    let parent = process.parent.lock().upgrade();
    let is_parent = parent
        .as_ref()
        .is_some_and(|parent| Arc::ptr_eq(parent, &tracer));
    process.lifecycle.lock().traced_zombie = true;
    let signal = if is_parent {
        process.exit_signal
    } else {
        sigrules::SIGCHLD
    };
    notify_exit(&tracer, process, process.pid, status, signal);
    true
}

fn notify_exit(
    tracer: &Arc<Process>,
    process: &Process,
    pid: Pid,
    status: ExitStatus,
    signal: u32,
) {
    if signal != 0 {
        let (code, si_status) = status.child_code_and_status();
        let (user, system) = process.cpu_times_ns();
        let uid = process.credentials.lock().uid;
        let mut info = SigInfo::child(
            code,
            pid,
            uid,
            si_status,
            user / crate::time::NSEC_PER_CLOCK_TICK,
            system / crate::time::NSEC_PER_CLOCK_TICK,
        );
        info.signo = signal as i32;
        crate::signal::send_to_process(tracer, info);
    }
    tracer.child_events.wake_all();
}

// ---------------------------------------------------------------------------------------------
// Stops.

/// The siginfo of a ptrace notification (`ptrace_do_notify`).
fn notify_info(thread: &Thread, signal: u32, code: u32) -> SigInfo {
    let uid = thread.process.credentials.lock().uid;
    SigInfo::from_sender(signal as i32, code as i32, thread.tid(), uid)
}

/// Stops `thread` for its tracer (see the module documentation). Returns how it was resumed,
/// or `None` if it is not traced or must exit.
pub fn ptrace_stop(
    thread: &Arc<Thread>,
    user: &mut UserContext,
    kind: StopKind,
    code: u32,
    info: Option<SigInfo>,
    why: i32,
    message: u64,
) -> Option<(ResumeMode, u32, Option<SigInfo>)> {
    if is_killed(thread) {
        return None;
    }
    let image = user.fpu_image();
    let mut fpu = Vec::new();
    if fpu.try_reserve_exact(image.len()).is_ok() {
        fpu.extend_from_slice(image);
    }
    let tracer = {
        let mut state = thread.ptrace.lock();
        let tracer = state.tracer.upgrade()?;
        state.regs = *user.regs();
        state.orig_rax = thread.orig_rax.load(Ordering::Relaxed);
        core::mem::swap(&mut state.fpu, &mut fpu);
        state.is_fpu_changed = false;
        state.stop = Some(kind);
        state.report = Some(code);
        state.stop_code = code;
        state.siginfo = info;
        state.event_msg = message;
        state.resume = None;
        state.is_listening = false;
        tracer
    };
    drop(fpu);
    // Any stop satisfies a pending trap; a PTRACE_EVENT_STOP one a notification too.
    let cleared = if code >> 8 == PTRACE_EVENT_STOP {
        TRAPS
    } else {
        TRAP_PENDING
    };
    thread.ptrace_flags.fetch_and(!cleared, Ordering::Relaxed);
    sched::set_current_state(thread, TaskState::Traced);
    notify_tracer(&tracer, thread, why, code);
    drop(tracer);
    loop {
        sched::set_current_state(thread, TaskState::Traced);
        if thread.ptrace.lock().resume.is_some() || is_killed(thread) {
            break;
        }
        sched::schedule();
    }
    sched::set_current_state(thread, TaskState::Running);
    let mut state = thread.ptrace.lock();
    state.stop = None;
    state.report = None;
    state.event_msg = 0;
    state.is_listening = false;
    let resume = state.resume.take();
    let siginfo = state.siginfo.take();
    if is_killed(thread) {
        return None;
    }
    let (mode, signal) = resume?;
    *user.regs_mut() = state.regs;
    thread.orig_rax.store(state.orig_rax, Ordering::Relaxed);
    let fpu = if state.is_fpu_changed {
        Some(core::mem::take(&mut state.fpu))
    } else {
        None
    };
    drop(state);
    if let Some(image) = fpu {
        // Checked when the tracer wrote it.
        let _ = user.load_fpu_image(&image);
    }
    Some((mode, signal, siginfo))
}

/// Whether the thread must not stop: SIGKILL, a group exit another thread started, or exec's
/// `de_thread` (Linux's `__fatal_signal_pending`).
fn is_killed(thread: &Thread) -> bool {
    thread.is_killed.load(Ordering::Relaxed)
}

/// Sends `signal` to the thread itself, as the resume of a syscall stop asks
/// (`send_sig(signr, current, 1)`).
fn inject(thread: &Arc<Thread>, signal: u32) {
    if (1..=64).contains(&signal) {
        crate::signal::send_to_thread(thread, SigInfo::new(signal as i32, SI_KERNEL));
    }
}

/// Applies the mode the tracer resumed with to the thread's flags and trap flag.
fn apply_mode(thread: &Thread, user: &mut UserContext, mode: ResumeMode) {
    let mut flags = thread.ptrace_flags.load(Ordering::Relaxed) & (TRACED | TRAPS);
    if flags & TRACED == 0 {
        return;
    }
    match mode {
        ResumeMode::Syscall => flags |= SYSCALL_TRACE,
        ResumeMode::Sysemu => flags |= SYSEMU,
        ResumeMode::SingleStep => flags |= SINGLESTEP,
        ResumeMode::SysemuSingleStep => flags |= SYSEMU | SINGLESTEP,
        ResumeMode::Cont | ResumeMode::Listen => {}
    }
    let mut state = thread.ptrace.lock();
    let regs = user.regs_mut();
    if flags & SINGLESTEP != 0 {
        if regs.rflags & RFLAGS_TF == 0 {
            regs.rflags |= RFLAGS_TF;
            state.has_forced_tf = true;
        }
    } else if state.has_forced_tf {
        regs.rflags &= !RFLAGS_TF;
        state.has_forced_tf = false;
    }
    // The seccomp bit is not ptrace's: kept as it is (TSYNC may set it meanwhile).
    let _ = thread
        .ptrace_flags
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            Some(flags | old & SECCOMP)
        });
}

/// Resumes a stopped tracee (PTRACE_CONT, SYSCALL, SINGLESTEP, SYSEMU…). `ESRCH` if it is
/// not stopped for `tracer`.
pub fn resume(
    tracer: &Process,
    tracee: &Arc<Thread>,
    mode: ResumeMode,
    signal: u32,
) -> Result<(), Errno> {
    {
        let mut state = tracee.ptrace.lock();
        if !state.is_traced_by(tracer) || !state.is_stopped() {
            return Err(Errno::ESRCH);
        }
        state.resume = Some((mode, signal));
    }
    sched::wake_up_traced(tracee);
    Ok(())
}

/// PTRACE_LISTEN: a seized tracee in a group stop stays stopped but may trap again.
pub fn listen(tracer: &Process, tracee: &Arc<Thread>) -> Result<(), Errno> {
    let mut state = tracee.ptrace.lock();
    if !state.is_traced_by(tracer) || !state.is_stopped() {
        return Err(Errno::ESRCH);
    }
    let is_group_stop = state
        .siginfo
        .is_some_and(|info| (info.code as u32) >> 8 == PTRACE_EVENT_STOP);
    if !state.is_seized || !is_group_stop {
        return Err(Errno::EIO);
    }
    if tracee.ptrace_flags.load(Ordering::Relaxed) & TRAP_NOTIFY != 0 {
        // A notification came meanwhile: trap again at once.
        state.resume = Some((ResumeMode::Listen, 0));
        drop(state);
        tracee.signal_hint.store(true, Ordering::Relaxed);
        sched::wake_up_traced(tracee);
        return Ok(());
    }
    state.is_listening = true;
    Ok(())
}

/// PTRACE_INTERRUPT: a seized tracee traps with `PTRACE_EVENT_STOP` (a listening one at once).
pub fn interrupt(tracer: &Process, tracee: &Arc<Thread>) -> Result<(), Errno> {
    let is_listening = {
        let mut state = tracee.ptrace.lock();
        if !state.is_traced_by(tracer) {
            return Err(Errno::ESRCH);
        }
        if !state.is_seized {
            return Err(Errno::EIO);
        }
        let is_listening = state.is_listening && state.is_stopped();
        if is_listening {
            state.resume = Some((ResumeMode::Listen, 0));
        }
        is_listening
    };
    tracee
        .ptrace_flags
        .fetch_or(TRAP_PENDING, Ordering::Relaxed);
    tracee.signal_hint.store(true, Ordering::Relaxed);
    if is_listening {
        sched::wake_up_traced(tracee);
    } else {
        sched::wake_up_for_signal(tracee, false);
    }
    Ok(())
}

/// SIGCONT or a new group stop reaches a seized tracee: it traps again with
/// `PTRACE_EVENT_STOP` (`ptrace_trap_notify`), at once if it is listening.
pub fn notify_listener(thread: &Arc<Thread>) {
    if !is_traced(thread) {
        return;
    }
    let is_listening = {
        let mut state = thread.ptrace.lock();
        if !state.is_seized {
            return;
        }
        thread.ptrace_flags.fetch_or(TRAP_NOTIFY, Ordering::Relaxed);
        let is_listening = state.is_listening && state.is_stopped();
        if is_listening {
            state.resume = Some((ResumeMode::Listen, 0));
        }
        is_listening
    };
    thread.signal_hint.store(true, Ordering::Relaxed);
    if is_listening {
        sched::wake_up_traced(thread);
    }
}

/// The call after the entry stop: seccomp's check first when the thread has a mode
/// (`syscall_trace_enter` runs seccomp after ptrace, to see the tracer's changes).
fn run_syscall(context: &mut crate::syscall::SyscallContext<'_>) {
    if context.thread.ptrace_flags.load(Ordering::Relaxed) & SECCOMP != 0
        && crate::seccomp::on_syscall_entry(context) == crate::seccomp::Entry::Skip
    {
        return;
    }
    crate::syscall::dispatch::dispatch(context);
}

/// A syscall of a thread with syscall work (PTRACE_SYSCALL, SYSEMU, single-step, seccomp):
/// the entry stop, the seccomp check, the call (unless skipped), the exit stop
/// (`syscall_trace_enter`, `syscall_exit_work`).
pub fn traced_syscall(context: &mut crate::syscall::SyscallContext<'_>) {
    let thread = context.thread;
    let flags = thread.ptrace_flags.load(Ordering::Relaxed);
    let number = context.user.regs().rax;
    thread.orig_rax.store(number, Ordering::Relaxed);
    if flags & (SYSCALL_TRACE | SYSEMU) != 0 {
        context.user.regs_mut().rax = Errno::ENOSYS.as_syscall_return() as u64;
        let code = syscall_code(thread);
        let info = notify_info(thread, SIGTRAP, code);
        let resumed = ptrace_stop(
            thread,
            context.user,
            StopKind::SyscallEntry,
            code,
            Some(info),
            CLD_TRAPPED,
            PTRACE_EVENTMSG_SYSCALL_ENTRY,
        );
        let Some((mode, signal, _)) = resumed else {
            return;
        };
        apply_mode(thread, context.user, mode);
        inject(thread, signal);
        if flags & SYSEMU != 0 {
            // The call is emulated by the tracer: never run, no exit stop.
            return;
        }
        let number = thread.orig_rax.load(Ordering::Relaxed);
        if number as i64 == -1 {
            // Skipped: rax is whatever the tracer left (-ENOSYS unless it changed it).
        } else {
            context.user.regs_mut().rax = number;
            run_syscall(context);
        }
    } else {
        run_syscall(context);
    }
    if thread.is_exiting.load(Ordering::Relaxed) {
        // exit and exit_group do not return: no exit stop.
        return;
    }
    let flags = thread.ptrace_flags.load(Ordering::Relaxed);
    if flags & SINGLESTEP != 0 {
        // A single-stepped syscall reports as a step once it returns (`user_single_step_report`).
        let rip = context.user.regs().rip;
        crate::signal::send_to_thread(
            thread,
            SigInfo::fault(SIGTRAP as i32, abi::signal::TRAP_BRKPT, rip),
        );
        return;
    }
    if flags & SYSCALL_TRACE != 0 {
        let code = syscall_code(thread);
        let info = notify_info(thread, SIGTRAP, code);
        if let Some((mode, signal, _)) = ptrace_stop(
            thread,
            context.user,
            StopKind::SyscallExit,
            code,
            Some(info),
            CLD_TRAPPED,
            PTRACE_EVENTMSG_SYSCALL_EXIT,
        ) {
            apply_mode(thread, context.user, mode);
            inject(thread, signal);
        }
    }
}

fn syscall_code(thread: &Thread) -> u32 {
    let options = thread.ptrace.lock().options;
    if options & PTRACE_O_TRACESYSGOOD != 0 {
        SIGTRAP | 0x80
    } else {
        SIGTRAP
    }
}

/// The signal-delivery stop of a dequeued signal (`ptrace_signal`): the tracer may cancel
/// it, change it or its siginfo. Returns the signal to act on, or `None`.
pub fn signal_stop(thread: &Arc<Thread>, user: &mut UserContext, info: SigInfo) -> Option<SigInfo> {
    let signal = info.signo as u32;
    let (mode, new_signal, new_info) = ptrace_stop(
        thread,
        user,
        StopKind::Signal,
        signal,
        Some(info),
        CLD_TRAPPED,
        0,
    )?;
    apply_mode(thread, user, mode);
    if new_signal == 0 {
        return None;
    }
    let mut info = new_info.unwrap_or(info);
    if new_signal != info.signo as u32 {
        // A different signal: a fresh siginfo from the tracer (`ptrace_signal`).
        let (pid, uid) = match tracer_of(thread) {
            Some(tracer) => (tracer.pid, tracer.credentials.lock().uid),
            None => (0, 0),
        };
        info = SigInfo::from_sender(new_signal as i32, SI_USER, pid, uid);
    }
    let is_blocked = thread.signal_mask.load(Ordering::Relaxed) & sigrules::bit(new_signal) != 0;
    if is_blocked {
        crate::signal::send_to_thread(thread, info);
        return None;
    }
    Some(info)
}

/// The stop of a traced thread when its group stops (`do_signal_stop` with ptrace, and
/// `do_jobctl_trap` for a seized tracee). Reported once per group stop; a non-seized tracee
/// resumed by its tracer runs on though the group is stopped.
pub fn group_stop(thread: &Arc<Thread>, user: &mut UserContext, signal: u32, generation: u64) {
    let is_seized = {
        let mut state = thread.ptrace.lock();
        if state.stop_generation == generation {
            return;
        }
        // A group stop in force is reported to the new tracer (`ptrace_attach`'s
        // JOBCTL_TRAP_STOP): no generation counts as reported yet.
        state.stop_generation = u64::MAX;
        state.is_seized
    };
    let (code, info) = if is_seized {
        let code = signal | (PTRACE_EVENT_STOP << 8);
        (code, Some(notify_info(thread, signal, code)))
    } else {
        (signal, None)
    };
    if let Some((mode, _, _)) = ptrace_stop(
        thread,
        user,
        StopKind::GroupStop,
        code,
        info,
        CLD_STOPPED,
        0,
    ) {
        apply_mode(thread, user, mode);
    }
}

/// Whether `thread`'s group stop has been reported by it (as a tracee) already.
pub fn has_reported_group_stop(thread: &Thread, generation: u64) -> bool {
    thread.ptrace.lock().stop_generation == generation
}

/// A pending `PTRACE_EVENT_STOP` trap (`do_jobctl_trap`): PTRACE_INTERRUPT, a seized child's
/// first stop, the end of a PTRACE_LISTEN.
pub fn trap(thread: &Arc<Thread>, user: &mut UserContext) {
    if !is_traced(thread) {
        thread.ptrace_flags.fetch_and(!TRAPS, Ordering::Relaxed);
        return;
    }
    let (signal, generation) = {
        let lifecycle = thread.process.lifecycle.lock();
        (lifecycle.stopped_by, lifecycle.stop_generation)
    };
    let signal = signal.unwrap_or(SIGTRAP);
    if signal != SIGTRAP {
        thread.ptrace.lock().stop_generation = generation;
    }
    let code = signal | (PTRACE_EVENT_STOP << 8);
    let info = notify_info(thread, signal, code);
    let why = if signal == SIGTRAP {
        CLD_TRAPPED
    } else {
        CLD_STOPPED
    };
    if let Some((mode, _, _)) = ptrace_stop(thread, user, StopKind::Trap, code, Some(info), why, 0)
    {
        apply_mode(thread, user, mode);
    }
}

/// Whether the tracer asked for `event` (`ptrace_event_enabled`).
pub fn is_event_enabled(thread: &Thread, event: u32) -> bool {
    is_traced(thread) && thread.ptrace.lock().options & (1 << event) != 0
}

/// An event stop (`ptrace_event`): `SIGTRAP | event << 8`, with `message` for
/// PTRACE_GETEVENTMSG. The signal of the resume is ignored, as Linux's `ptrace_notify`.
pub fn event(thread: &Arc<Thread>, user: &mut UserContext, event: u32, message: u64) {
    if !is_event_enabled(thread, event) {
        return;
    }
    let code = event_code(event);
    let info = notify_info(thread, SIGTRAP, code);
    if let Some((mode, _, _)) = ptrace_stop(
        thread,
        user,
        StopKind::Event,
        code,
        Some(info),
        CLD_TRAPPED,
        message,
    ) {
        apply_mode(thread, user, mode);
    }
}

/// After a successful exec: the exec event, or for a tracee attached without SEIZE the
/// SIGTRAP Linux sends instead.
pub fn exec_done(thread: &Arc<Thread>, user: &mut UserContext, old_tid: Pid) {
    if !is_traced(thread) {
        return;
    }
    if is_event_enabled(thread, PTRACE_EVENT_EXEC) {
        event(thread, user, PTRACE_EVENT_EXEC, u64::from(old_tid));
        return;
    }
    if !thread.ptrace.lock().is_seized {
        let uid = thread.process.credentials.lock().uid;
        crate::signal::send_to_thread(
            thread,
            SigInfo::from_sender(SIGTRAP as i32, SI_USER, thread.process.pid, uid),
        );
    }
}

/// The exit event (`ptrace_event(PTRACE_EVENT_EXIT, code)` in `do_exit`), unless SIGKILL
/// ended the thread: its registers still there, its memory not yet released.
pub fn exit_event(thread: &Arc<Thread>, user: &mut UserContext) {
    if !is_event_enabled(thread, PTRACE_EVENT_EXIT) || is_killed(thread) {
        return;
    }
    let status = thread
        .process
        .lifecycle
        .lock()
        .group_exit
        .unwrap_or(ExitStatus::Code(
            thread.exit_code.load(Ordering::Relaxed) as u8
        ));
    event(
        thread,
        user,
        PTRACE_EVENT_EXIT,
        u64::from(status.wait_status()),
    );
}

/// A new task made by a traced `parent` is traced too when its creation is reported to the
/// tracer or asked for with CLONE_PTRACE (`ptrace_init_task`): same tracer and options; a
/// seized one traps with PTRACE_EVENT_STOP first, the others start with SIGSTOP pending.
pub fn inherit(parent: &Thread, child: &Arc<Thread>) {
    let (tracer, is_seized, options) = {
        let state = parent.ptrace.lock();
        let Some(tracer) = state.tracer.upgrade() else {
            return;
        };
        (tracer, state.is_seized, state.options)
    };
    if link(&tracer, child, is_seized, options).is_err() {
        return;
    }
    if is_seized {
        child.ptrace_flags.fetch_or(TRAP_PENDING, Ordering::Relaxed);
    } else {
        child
            .pending
            .lock()
            .push(SigInfo::new(SIGSTOP as i32, SI_USER));
    }
    child.signal_hint.store(true, Ordering::Relaxed);
}

/// The thread is being killed while in an exit stop or about to stop: wake it.
pub fn wake_for_kill(thread: &Arc<Thread>) {
    if is_traced(thread) {
        sched::wake_up_traced(thread);
    }
}

// ---------------------------------------------------------------------------------------------
// Permission.

/// Linux's `__ptrace_may_access` with the commoncap check: the caller's thread group always
/// may; otherwise its ids (real ones, or filesystem ones with `use_fs_ids`, as
/// `PTRACE_MODE_FSCREDS`) must equal all of the target's real, effective and saved ids, or it
/// needs CAP_SYS_PTRACE; a target that is not dumpable needs CAP_SYS_PTRACE as well, and so
/// does one with permitted capabilities the caller lacks. `EPERM` otherwise. Yama is built in
/// Debian's kernel but off (`ptrace_scope` 0), which adds nothing.
pub fn may_access(caller: &Thread, target: &Process, use_fs_ids: bool) -> Result<(), Errno> {
    if core::ptr::eq(Arc::as_ptr(&caller.process), target) {
        return Ok(());
    }
    let mine = caller.process.credentials.lock().clone();
    let theirs = target.credentials.lock().clone();
    let has_cap = mine.has_capability(abi::capability::CAP_SYS_PTRACE);
    let (uid, gid) = if use_fs_ids {
        (mine.fsuid, mine.fsgid)
    } else {
        (mine.uid, mine.gid)
    };
    let same_ids = [theirs.uid, theirs.euid, theirs.suid]
        .iter()
        .all(|&id| id == uid)
        && [theirs.gid, theirs.egid, theirs.sgid]
            .iter()
            .all(|&id| id == gid);
    if !same_ids && !has_cap {
        return Err(Errno::EPERM);
    }
    let is_dumpable = target.flags.lock().dumpable == 1 || target.is_zombie();
    if !is_dumpable && !has_cap {
        return Err(Errno::EPERM);
    }
    if !theirs.caps.permitted.is_subset_of(mine.caps.permitted) && !has_cap {
        return Err(Errno::EPERM);
    }
    Ok(())
}
