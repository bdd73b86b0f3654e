//! epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2 (Linux
//! `fs/eventpoll.c`, epoll_ctl(2), epoll_wait(2)).
//!
//! Checks in Linux's order: epoll_ctl copies the event first for every op but `EPOLL_CTL_DEL`
//! (`EFAULT`), then `EBADF` for either descriptor, `EPERM` for a target without poll (regular
//! files, directories), `EINVAL` for `epfd == fd` or a non-epoll `epfd`, the `EPOLLEXCLUSIVE`
//! rules (`EINVAL` with `EPOLL_CTL_MOD`, on an epoll target, or with other than
//! `EPOLLIN|OUT|ERR|HUP|WAKEUP|ET`), `ELOOP` when an epoll target would make a cycle or nest too
//! deep, then `EEXIST`/`ENOENT` and `EINVAL` for an unknown op. epoll_wait: `EINVAL` for
//! `maxevents` outside `1..=INT_MAX / 12`, `EFAULT` if the event array is not in user space,
//! `EBADF`, `EINVAL` for a non-epoll fd. An interrupted wait is `EINTR` (epoll_wait is never
//! restarted, signal(7)).

use super::args::{Fd, UserPtr};
use super::select::set_user_sigmask;
use super::{SyscallContext, SyscallResult};
use crate::fs::eventpoll::EventPoll;
use crate::fs::file::OpenFile;
use crate::fs::poll::{Scan, wait_ready};
use crate::sched::wait::WaitError;
use abi::poll::{
    EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP,
    EPOLLIN, EPOLLOUT, EPOLLWAKEUP, EpollEvent,
};
use abi::{EpollCreateFlags, KnownFlags, OpenFlags};
use abi::{Errno, Timespec};
use alloc::sync::Arc;

/// `EP_MAX_EVENTS`.
const MAX_EVENTS: i32 = (i32::MAX as usize / core::mem::size_of::<EpollEvent>()) as i32;
const EPOLLEXCLUSIVE_OK_BITS: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

fn create(context: &SyscallContext<'_>, is_close_on_exec: bool) -> SyscallResult {
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    let uid = context.thread.process.credentials.lock().uid;
    let file = Arc::new(OpenFile::new(
        Arc::new(EventPoll::new(crate::process::user::User::get(uid))),
        None,
        OpenFlags::O_RDWR,
        charge,
    )?);
    super::fcntl::install(context, file, is_close_on_exec)
}

pub fn epoll_create(context: &mut SyscallContext<'_>, size: i32) -> SyscallResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    create(context, false)
}

pub fn epoll_create1(context: &mut SyscallContext<'_>, flags: EpollCreateFlags) -> SyscallResult {
    let flags = flags.accept_only(EpollCreateFlags::all())?;
    create(context, flags.contains(EpollCreateFlags::EPOLL_CLOEXEC))
}

/// A descriptor as `fdget` sees it: O_PATH descriptors do not count.
fn fdget(context: &SyscallContext<'_>, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

pub fn epoll_ctl(
    context: &mut SyscallContext<'_>,
    epfd: Fd,
    op: i32,
    fd: Fd,
    event: UserPtr<EpollEvent>,
) -> SyscallResult {
    let has_event = op != EPOLL_CTL_DEL;
    let event = if has_event {
        event.read()?
    } else {
        EpollEvent::default()
    };
    let epoll_file = fdget(context, epfd)?;
    let target = fdget(context, fd)?;
    if target.ops.poll(None).is_none() {
        return Err(Errno::EPERM);
    }
    let Some(epoll) = epoll_file.ops.as_eventpoll() else {
        return Err(Errno::EINVAL);
    };
    if Arc::ptr_eq(&epoll_file, &target) {
        return Err(Errno::EINVAL);
    }
    let events = event.events;
    if has_event && events & EPOLLEXCLUSIVE != 0 {
        if op == EPOLL_CTL_MOD {
            return Err(Errno::EINVAL);
        }
        if op == EPOLL_CTL_ADD
            && (target.ops.as_eventpoll().is_some() || events & !EPOLLEXCLUSIVE_OK_BITS != 0)
        {
            return Err(Errno::EINVAL);
        }
    }
    if op == EPOLL_CTL_ADD
        && let Some(nested) = target.ops.as_eventpoll()
        && epoll.would_loop(nested)
    {
        return Err(Errno::ELOOP);
    }
    match op {
        EPOLL_CTL_ADD => {
            epoll.add(&target, fd.0, event)?;
            if let Some(nested) = target.ops.as_eventpoll()
                && let Err(error) = nested.note_parent(&epoll_file)
            {
                let _ = epoll.delete(&target, fd.0);
                return Err(error);
            }
        }
        EPOLL_CTL_DEL => {
            epoll.delete(&target, fd.0)?;
            if let Some(nested) = target.ops.as_eventpoll() {
                nested.forget_parent(&epoll_file);
            }
        }
        EPOLL_CTL_MOD => epoll.modify(&target, fd.0, event)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// `do_epoll_wait` with a CLOCK_MONOTONIC deadline (`None`: forever).
fn do_wait(
    context: &SyscallContext<'_>,
    epfd: Fd,
    events: UserPtr<EpollEvent>,
    max_events: i32,
    deadline_ns: Option<u64>,
) -> SyscallResult {
    if max_events <= 0 || max_events > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let bytes = max_events as u64 * core::mem::size_of::<EpollEvent>() as u64;
    if events
        .address
        .checked_add(bytes)
        .is_none_or(|end| end > hal::mm::USER_END)
    {
        return Err(Errno::EFAULT);
    }
    let file = fdget(context, epfd)?;
    let epoll = file.ops.as_eventpoll().ok_or(Errno::EINVAL)?;
    let mut version = epoll.version();
    let result = wait_ready(context.thread, deadline_ns, |table| {
        let is_registering = table.is_some();
        if !is_registering && epoll.version() != version {
            return Scan::Changed;
        }
        if is_registering {
            version = epoll.version();
        }
        match epoll.collect(table, max_events as usize) {
            Ok(ready) if ready.is_empty() => Scan::NotReady,
            result => Scan::Ready(result),
        }
    });
    let ready = match result {
        Ok(ready) => ready?,
        Err(WaitError::TimedOut) => return Ok(0),
        Err(WaitError::Interrupted) => return Err(Errno::EINTR),
    };
    hal::usercopy::copy_to_user(
        events.address,
        zerocopy::IntoBytes::as_bytes(ready.as_slice()),
    )?;
    Ok(ready.len())
}

fn deadline_from_ms(timeout_ms: i32) -> Option<u64> {
    (timeout_ms >= 0).then(|| {
        if timeout_ms == 0 {
            0
        } else {
            crate::time::monotonic_ns().saturating_add(timeout_ms as u64 * 1_000_000)
        }
    })
}

pub fn epoll_wait(
    context: &mut SyscallContext<'_>,
    epfd: Fd,
    events: UserPtr<EpollEvent>,
    max_events: i32,
    timeout_ms: i32,
) -> SyscallResult {
    do_wait(
        context,
        epfd,
        events,
        max_events,
        deadline_from_ms(timeout_ms),
    )
}

pub fn epoll_pwait(
    context: &mut SyscallContext<'_>,
    epfd: Fd,
    events: UserPtr<EpollEvent>,
    max_events: i32,
    timeout_ms: i32,
    sigmask: UserPtr<u64>,
    sigset_size: usize,
) -> SyscallResult {
    let guard = set_user_sigmask(context.thread, sigmask, sigset_size)?;
    let result = do_wait(
        context,
        epfd,
        events,
        max_events,
        deadline_from_ms(timeout_ms),
    );
    guard.finish(result == Err(Errno::EINTR));
    result
}

pub fn epoll_pwait2(
    context: &mut SyscallContext<'_>,
    epfd: Fd,
    events: UserPtr<EpollEvent>,
    max_events: i32,
    timeout: UserPtr<Timespec>,
    sigmask: UserPtr<u64>,
    sigset_size: usize,
) -> SyscallResult {
    let deadline = if timeout.is_null() {
        None
    } else {
        let timeout = timeout.read()?;
        if timeout.tv_sec < 0 || !timeout.is_valid() {
            return Err(Errno::EINVAL);
        }
        let ns = timeout.to_nanos().unwrap_or(u64::MAX);
        Some(if ns == 0 {
            0
        } else {
            crate::time::monotonic_ns().saturating_add(ns)
        })
    };
    let guard = set_user_sigmask(context.thread, sigmask, sigset_size)?;
    let result = do_wait(context, epfd, events, max_events, deadline);
    guard.finish(result == Err(Errno::EINTR));
    result
}
