//! Signal syscalls (Linux `kernel/signal.c`, `arch/x86/kernel/signal.c`): dispositions, masks,
//! sending (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo), waiting (rt_sigsuspend,
//! rt_sigtimedwait, pause), rt_sigpending, sigaltstack, rt_sigreturn and restart_syscall.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::process::{Process, Restart, Thread, table};
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, wait_event};
use crate::signal::{self, NSIG, SIGKILL, SIGSTOP, SigAction, UNBLOCKABLE, frame};
use abi::signal::{
    KERNEL_SIGSET_SIZE, MINSIGSTKSZ, SI_TKILL, SI_USER, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK,
    SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, SigInfo, StackT,
};
use abi::{Errno, KnownFlags, SaFlags, SigactionRaw, Timespec};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

fn check_signal_number(signal: i32) -> Result<u32, Errno> {
    if signal < 1 || signal as u32 > NSIG {
        return Err(Errno::EINVAL);
    }
    Ok(signal as u32)
}

pub fn rt_sigaction(
    context: &mut SyscallContext<'_>,
    signal: i32,
    act: UserPtr<SigactionRaw>,
    old: UserPtr<SigactionRaw>,
    size: usize,
) -> SyscallResult {
    if size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let signal = check_signal_number(signal)?;
    let new = if act.is_null() {
        None
    } else {
        Some(act.read()?)
    };
    if new.is_some() && (signal == SIGKILL || signal == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let previous = {
        let signals_shared = context.thread.process.signals.get();
        let mut signals = signals_shared.lock();
        let previous = signals.action(signal);
        if let Some(raw) = new {
            let action = SigAction {
                handler: raw.sa_handler,
                // Unknown bits are cleared silently and read back as zero (do_sigaction).
                flags: SaFlags::from_bits_retain(raw.sa_flags).keep_only(SaFlags::UAPI_SA_FLAGS),
                restorer: raw.sa_restorer,
                mask: raw.sa_mask & !UNBLOCKABLE,
            };
            signals.set_action(signal, action);
            drop(signals);
            if is_now_ignored(&action, signal) {
                // POSIX: setting an ignoring disposition discards the pending instances.
                discard_pending(&context.thread.process, signal::bit(signal));
            }
        }
        previous
    };
    if !old.is_null() {
        old.write(&SigactionRaw {
            sa_handler: previous.handler,
            sa_flags: previous.flags.bits(),
            sa_restorer: previous.restorer,
            sa_mask: previous.mask,
        })?;
    }
    Ok(0)
}

fn is_now_ignored(action: &SigAction, signal: u32) -> bool {
    action.handler == abi::signal::SIG_IGN
        || (action.handler == abi::signal::SIG_DFL
            && matches!(
                sigrules::default_action(signal),
                sigrules::DefaultAction::Ignore
            ))
}

fn discard_pending(process: &Arc<Process>, mask: u64) {
    process.shared_pending.lock().discard(mask);
    for thread in process.threads.lock().iter() {
        thread.pending.lock().discard(mask);
    }
}

/// Sets the calling thread's mask (SIGKILL and SIGSTOP silently dropped).
fn set_mask(thread: &Thread, mask: u64) {
    thread
        .signal_mask
        .store(mask & !UNBLOCKABLE, Ordering::Relaxed);
    signal::recalc_pending(thread);
}

pub fn rt_sigprocmask(
    context: &mut SyscallContext<'_>,
    how: i32,
    set: UserPtr<u64>,
    old: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    if size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let current = context.thread.signal_mask.load(Ordering::Relaxed);
    if !set.is_null() {
        let requested = set.read()?;
        let updated = match how {
            SIG_BLOCK => current | requested,
            SIG_UNBLOCK => current & !requested,
            SIG_SETMASK => requested,
            _ => return Err(Errno::EINVAL),
        };
        set_mask(context.thread, updated);
    }
    if !old.is_null() {
        old.write(&current)?;
    }
    Ok(0)
}

pub fn rt_sigpending(
    context: &mut SyscallContext<'_>,
    set: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    if size > 8 {
        return Err(Errno::EINVAL);
    }
    let thread = context.thread;
    let pending = (thread.pending.lock().set() | thread.process.shared_pending.lock().set())
        & thread.signal_mask.load(Ordering::Relaxed);
    hal::usercopy::copy_to_user(set.address, &pending.to_le_bytes()[..size])?;
    Ok(0)
}

/// Permission to signal `target` (`kill_ok_by_cred`): `CAP_KILL`, or a real or effective uid of the
/// sender matching the target's real or saved uid; SIGCONT within a session is always allowed.
fn may_signal(sender: &Thread, target: &Process, signal: u32) -> bool {
    let sender_credentials = sender.process.credentials.lock().clone();
    if sender_credentials.has_capability(abi::capability::CAP_KILL) {
        return true;
    }
    if signal == sigrules::SIGCONT
        && sender.process.sid.load(Ordering::Relaxed) == target.sid.load(Ordering::Relaxed)
    {
        return true;
    }
    let target_credentials = target.credentials.lock();
    [sender_credentials.uid, sender_credentials.euid]
        .iter()
        .any(|&uid| uid == target_credentials.uid || uid == target_credentials.suid)
}

fn sender_info(thread: &Thread, signal: u32, code: i32) -> SigInfo {
    let uid = thread.process.credentials.lock().uid;
    SigInfo::from_sender(signal as i32, code, thread.process.pid, uid)
}

/// Sends to one process after the permission check; signal 0 only checks.
fn send_checked(
    thread: &Thread,
    target: &Arc<Process>,
    info: SigInfo,
    signal: u32,
) -> Result<(), Errno> {
    // Linux finds the target first, then checks the number (kill(missing, 65) is ESRCH).
    if signal > NSIG {
        return Err(Errno::EINVAL);
    }
    if !may_signal(thread, target, signal) {
        return Err(Errno::EPERM);
    }
    if signal != 0 {
        let (info, is_forced) = as_seen_by(thread, &target.pid_ns, info, signal);
        signal::send::queue_to_process_from(target, info, is_forced)?;
    }
    Ok(())
}

/// `info` as the target's PID namespace sees it: a sender's pid (SI_USER, SI_TKILL) becomes
/// its number there, 0 from outside (`prepare_kill_siginfo`, `send_signal_locked`'s
/// translation); and whether SIGKILL or SIGSTOP comes from an ancestor namespace, which
/// reaches a namespace's init (`force`).
fn as_seen_by(
    thread: &Thread,
    target_ns: &crate::ns::pid::PidNs,
    mut info: SigInfo,
    signal: u32,
) -> (SigInfo, bool) {
    if target_ns.is_initial() && thread.pid_ns().is_initial() {
        return (info, false);
    }
    let seen = target_ns.nr_of(thread.process.pid);
    if info.code == SI_USER || info.code == SI_TKILL {
        info.fields[0] = (info.fields[0] & !0xffff_ffff) | u64::from(seen);
    }
    let is_forced = seen == 0 && UNBLOCKABLE & signal::bit(signal) != 0;
    (info, is_forced)
}

/// Sends to several processes: success if any was signalled, else the last error (or ESRCH
/// when there were none), as `__kill_pgrp_info` and `kill_something_info`.
fn send_to_many(
    thread: &Thread,
    targets: Vec<Arc<Process>>,
    info: SigInfo,
    signal: u32,
) -> SyscallResult {
    let mut result = Err(Errno::ESRCH);
    for target in &targets {
        match send_checked(thread, target, info, signal) {
            Ok(()) => result = Ok(0),
            Err(error) => {
                if result.is_err() {
                    result = Err(error);
                }
            }
        }
    }
    result
}

fn kill_with_info(
    context: &SyscallContext<'_>,
    pid: i32,
    signal: u32,
    info: SigInfo,
) -> SyscallResult {
    let thread = context.thread;
    let ns = thread.pid_ns();
    match pid {
        pid if pid > 0 => {
            // Any task id names its thread group (`kill_pid_info`: `pid_task(PIDTYPE_PID)`,
            // then the group): kill(tid) of a non-leader thread signals its process.
            let target = table::find_process_by_task_id_in(ns, pid as u32).ok_or(Errno::ESRCH)?;
            send_checked(thread, &target, info, signal)?;
            Ok(0)
        }
        0 => {
            let pgid = thread.process.pgid.load(Ordering::Relaxed) as u32;
            send_to_many(thread, table::process_group(pgid), info, signal)
        }
        -1 => {
            // Everyone the caller sees but its namespace's init and its own process.
            // kill_something_info: refusals (EPERM) are not errors here; only when there is
            // no target at all is it ESRCH.
            let targets: Vec<Arc<Process>> = table::processes_in(ns)
                .into_iter()
                .filter(|target| ns.nr_of(target.pid) > 1 && target.pid != thread.process.pid)
                .collect();
            if targets.is_empty() {
                return Err(Errno::ESRCH);
            }
            let mut result = Ok(0);
            for target in &targets {
                match send_checked(thread, target, info, signal) {
                    Ok(()) | Err(Errno::EPERM) => {}
                    Err(error) => result = Err(error),
                }
            }
            result
        }
        pid => {
            let pgid = pid.checked_neg().ok_or(Errno::ESRCH)? as u32;
            send_to_many(
                thread,
                table::process_group(ns.global_or_none(pgid)),
                info,
                signal,
            )
        }
    }
}

pub fn kill(context: &mut SyscallContext<'_>, pid: i32, signal: i32) -> SyscallResult {
    let signal = signal as u32;
    let info = sender_info(context.thread, signal, SI_USER);
    kill_with_info(context, pid, signal, info)
}

/// Sends to thread `tid` (of process `tgid`, when it is positive).
fn send_to_thread_checked(
    context: &SyscallContext<'_>,
    tgid: i32,
    tid: i32,
    signal: u32,
    info: SigInfo,
) -> SyscallResult {
    if tid <= 0 || tgid == 0 || tgid < -1 {
        return Err(Errno::EINVAL);
    }
    let ns = context.thread.pid_ns();
    let target = table::find_thread_in(ns, tid as u32).ok_or(Errno::ESRCH)?;
    if tgid > 0 && ns.nr_of(target.process.pid) != tgid as u32 {
        return Err(Errno::ESRCH);
    }
    if signal > NSIG {
        return Err(Errno::EINVAL);
    }
    if !may_signal(context.thread, &target.process, signal) {
        return Err(Errno::EPERM);
    }
    if signal != 0 {
        let (info, is_forced) = as_seen_by(context.thread, &target.process.pid_ns, info, signal);
        signal::send::queue_to_thread_from(&target, info, is_forced)?;
    }
    Ok(0)
}

pub fn tkill(context: &mut SyscallContext<'_>, tid: i32, signal: i32) -> SyscallResult {
    let info = sender_info(context.thread, signal as u32, SI_TKILL);
    send_to_thread_checked(context, -1, tid, signal as u32, info)
}

pub fn tgkill(context: &mut SyscallContext<'_>, tgid: i32, tid: i32, signal: i32) -> SyscallResult {
    if tgid <= 0 {
        return Err(Errno::EINVAL);
    }
    let info = sender_info(context.thread, signal as u32, SI_TKILL);
    send_to_thread_checked(context, tgid, tid, signal as u32, info)
}

/// A user-supplied siginfo: a process may only claim a negative code (SI_QUEUE…) when
/// signalling another process, never SI_USER or kernel codes (`EPERM`), as Linux.
fn user_info(
    context: &SyscallContext<'_>,
    target_pid: u32,
    signal: u32,
    info: UserPtr<SigInfo>,
) -> Result<SigInfo, Errno> {
    let mut value = info.read()?;
    let own = context.thread.process.pid_in(context.thread.pid_ns());
    if (value.code >= 0 || value.code == SI_TKILL) && target_pid != own {
        return Err(Errno::EPERM);
    }
    value.signo = signal as i32;
    Ok(value)
}

pub fn rt_sigqueueinfo(
    context: &mut SyscallContext<'_>,
    pid: i32,
    signal: i32,
    info: UserPtr<SigInfo>,
) -> SyscallResult {
    if signal != 0 {
        check_signal_number(signal)?;
    }
    let value = user_info(context, pid as u32, signal as u32, info)?;
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    let target = table::find_process_by_task_id_in(context.thread.pid_ns(), pid as u32)
        .ok_or(Errno::ESRCH)?;
    send_checked(context.thread, &target, value, signal as u32)?;
    Ok(0)
}

pub fn rt_tgsigqueueinfo(
    context: &mut SyscallContext<'_>,
    tgid: i32,
    tid: i32,
    signal: i32,
    info: UserPtr<SigInfo>,
) -> SyscallResult {
    if signal != 0 {
        check_signal_number(signal)?;
    }
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let value = user_info(context, tgid as u32, signal as u32, info)?;
    send_to_thread_checked(context, tgid, tid, signal as u32, value)
}

/// Sleeps until a signal is delivered (pause, sigsuspend): always ERESTARTNOHAND, so that the
/// call restarts if no handler ran and fails with EINTR if one did.
fn sleep_until_signal(thread: &Arc<Thread>) -> SyscallResult {
    let _ = wait_event(thread, &[], SleepKind::Interruptible, None, || None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub fn pause(context: &mut SyscallContext<'_>) -> SyscallResult {
    sleep_until_signal(context.thread)
}

pub fn rt_sigsuspend(
    context: &mut SyscallContext<'_>,
    mask: UserPtr<u64>,
    size: usize,
) -> SyscallResult {
    if size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new_mask = mask.read()?;
    let thread = context.thread;
    *thread.saved_mask.lock() = Some(thread.signal_mask.load(Ordering::Relaxed));
    set_mask(thread, new_mask);
    let _ = wait_event(thread, &[], SleepKind::Interruptible, None, || None::<()>);
    // sigsuspend never restarts: with the saved mask restored after the handler, EINTR.
    Err(Errno::EINTR)
}

pub fn rt_sigtimedwait(
    context: &mut SyscallContext<'_>,
    set: UserPtr<u64>,
    info: UserPtr<SigInfo>,
    timeout: UserPtr<Timespec>,
    size: usize,
) -> SyscallResult {
    if size != KERNEL_SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let wanted = set.read()? & !UNBLOCKABLE;
    let deadline = if timeout.is_null() {
        None
    } else {
        let value = timeout.read()?;
        if value.tv_sec < 0 || !(0..1_000_000_000).contains(&value.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        let ns = (value.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(value.tv_nsec as u64);
        Some(crate::time::monotonic_ns().saturating_add(ns))
    };
    let thread = context.thread;
    let blocked = !wanted;
    // While waiting, the wanted signals count as unblocked so that they wake us, but they are
    // taken here, not delivered: the real mask stays as it is (Linux's real_blocked trick).
    let take = || signal::dequeue_signal(thread, blocked);
    let previous_mask = thread.signal_mask.load(Ordering::Relaxed);
    let result = match take() {
        Some(found) => Ok(found),
        None => {
            thread.real_blocked.store(previous_mask, Ordering::Relaxed);
            thread
                .signal_mask
                .store(previous_mask & !wanted, Ordering::Relaxed);
            let waited = wait_event(thread, &[], SleepKind::Interruptible, deadline, || {
                let pending =
                    thread.pending.lock().set() | thread.process.shared_pending.lock().set();
                (pending & wanted != 0).then_some(())
            });
            thread.signal_mask.store(previous_mask, Ordering::Relaxed);
            thread.real_blocked.store(0, Ordering::Relaxed);
            match waited {
                Ok(()) => take().ok_or(Errno::EINTR),
                Err(WaitError::TimedOut) => Err(Errno::EAGAIN),
                Err(WaitError::Interrupted) => take().ok_or(Errno::EINTR),
            }
        }
    };
    signal::recalc_pending(thread);
    let found = result?;
    if !info.is_null() {
        info.write(&found)?;
    }
    Ok(found.signo as usize)
}

/// `sigaltstack`'s update rules (`do_sigaltstack`): EPERM while running on the alternate
/// stack, EINVAL for unknown flags, ENOMEM below MINSIGSTKSZ.
pub fn set_alt_stack(thread: &Thread, new: &StackT, sp: u64) -> Result<(), Errno> {
    let mut current = thread.alt_stack.lock();
    if frame::is_on_alt_stack(&current, sp) {
        return Err(Errno::EPERM);
    }
    let mode = new.ss_flags & !SS_AUTODISARM;
    if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
        return Err(Errno::EINVAL);
    }
    if mode == SS_DISABLE {
        *current = StackT {
            ss_flags: SS_DISABLE,
            ..StackT::default()
        };
    } else {
        if new.ss_size < MINSIGSTKSZ {
            return Err(Errno::ENOMEM);
        }
        *current = StackT {
            ss_sp: new.ss_sp,
            ss_flags: new.ss_flags & SS_AUTODISARM,
            pad: 0,
            ss_size: new.ss_size,
        };
    }
    Ok(())
}

pub fn sigaltstack(
    context: &mut SyscallContext<'_>,
    new: UserPtr<StackT>,
    old: UserPtr<StackT>,
) -> SyscallResult {
    let thread = context.thread;
    let sp = context.user.regs().rsp;
    let previous = {
        let stack = *thread.alt_stack.lock();
        StackT {
            ss_sp: stack.ss_sp,
            ss_flags: frame::alt_stack_flags(&stack, sp) | (stack.ss_flags & SS_AUTODISARM),
            pad: 0,
            ss_size: stack.ss_size,
        }
    };
    if !new.is_null() {
        let value = new.read()?;
        set_alt_stack(thread, &value, sp)?;
    }
    if !old.is_null() {
        old.write(&previous)?;
    }
    Ok(0)
}

pub fn rt_sigreturn(context: &mut SyscallContext<'_>) -> SyscallResult {
    if frame::restore(context.thread, context.user).is_err() {
        let info = SigInfo::new(sigrules::SIGSEGV as i32, abi::signal::SI_KERNEL);
        signal::force_signal(context.thread, info, 0, 0);
        return Err(Errno::EFAULT);
    }
    Ok(0)
}

/// `restart_syscall`: resumes a sleep interrupted by a signal that ran no handler.
pub fn restart_syscall(context: &mut SyscallContext<'_>) -> SyscallResult {
    let Some(restart) = context.thread.restart.take() else {
        return Err(Errno::EINTR);
    };
    if restart.futex.is_some() {
        return super::futex::resume_wait(context, restart);
    }
    super::time::resume_sleep(context, restart)
}

/// Records how to resume an interrupted sleep through `restart_syscall`.
pub fn set_restart_block(
    thread: &Thread,
    number: u64,
    deadline: crate::sched::timer::Deadline,
    remain_address: u64,
) {
    thread.restart.set(Restart {
        number,
        deadline,
        remain_address,
        futex: None,
    });
}

/// `pidfd_send_signal`: kill through a pidfd (flags must be 0).
pub fn pidfd_send_signal(
    context: &mut SyscallContext<'_>,
    pidfd: super::args::Fd,
    signal: i32,
    info: UserPtr<SigInfo>,
    flags: u32,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let file = super::read_write::file(context, pidfd)?;
    // A pidfd, or an open /proc/<pid> directory (Linux's `pidfd_to_pid`).
    let target = match file.ops.as_pidfd() {
        Some(pidfd) => pidfd.process.clone(),
        None => crate::fs::proc::base::PidDir::process_of_file(&file).ok_or(Errno::EBADF)??,
    };
    // `access_pidfd_pidns`: only processes of the caller's PID namespace or below it.
    if !context.thread.pid_ns().is_ancestor_of(&target.pid_ns) {
        return Err(Errno::EINVAL);
    }
    if target.is_zombie() {
        return Err(Errno::ESRCH);
    }
    let signal = signal as u32;
    let value = if info.is_null() {
        sender_info(context.thread, signal, SI_USER)
    } else {
        // Unlike rt_sigqueueinfo, the record's own si_signo must name the signal.
        if info.read()?.signo != signal as i32 {
            return Err(Errno::EINVAL);
        }
        user_info(
            context,
            context.thread.pid_ns().nr_of(target.pid),
            signal,
            info,
        )?
    };
    send_checked(context.thread, &target, value, signal)?;
    Ok(0)
}
