//! poll, ppoll, select, pselect6 (Linux `fs/select.c`, poll(2), select(2)).
//!
//! The descriptors are copied in, scanned once with a poll table (registering the caller on
//! every file's wait queues), and rescanned after each wake-up until something is ready, the
//! timeout passes or a signal arrives ([`crate::fs::poll::wait_ready`]).
//!
//! Linux rules kept: poll's `nfds` above `RLIMIT_NOFILE` is `EINVAL`; negative fds are skipped
//! (`revents` 0) and closed ones answer `POLLNVAL`; `POLLERR | POLLHUP` are always reported;
//! select's `nfds` is clamped to the descriptor table size (`max_fds`), a set bit for a closed
//! descriptor is `EBADF`, and `POLLIN_SET`/`POLLOUT_SET`/`POLLEX_SET` decide the result bits;
//! select and pselect6 (and ppoll) write the time left back to their timeout, except for a zero
//! timeout or a `STICKY_TIMEOUTS` personality (`poll_select_finish`); ppoll and pselect6 install the given signal mask (without
//! SIGKILL and SIGSTOP) for the wait.
//!
//! Interrupted waits return `ERESTARTNOHAND` from all four. Linux's poll returns
//! `ERESTART_RESTARTBLOCK` with a restart block instead (so that a restarted poll keeps its
//! original deadline); here a restarted poll starts its timeout afresh.
//!
//! The ppoll/pselect6 mask stays installed for the handler of the signal that interrupted the
//! wait and is restored after it (`set_restore_sigmask`, through the thread's `saved_mask`).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::poll::{
    POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND,
    POLLWRNORM, Scan, wait_ready,
};
use crate::process::Thread;
use crate::process::rlimit::RLIMIT_NOFILE;
use crate::sched::wait::WaitError;
use abi::{Errno, PollFd, Timespec, Timeval};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

const POLLIN_SET: u16 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET: u16 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET: u16 = POLLPRI;

/// `sizeof(sigset_t)` in the kernel ABI.
const SIGSET_SIZE: usize = abi::signal::KERNEL_SIGSET_SIZE;

/// The signal mask a call installed for its wait (Linux's `set_user_sigmask` /
/// `restore_saved_sigmask_unless`).
pub(super) struct SigmaskGuard<'a> {
    thread: &'a Thread,
    saved: Option<u64>,
}

impl SigmaskGuard<'_> {
    /// Ends the temporary mask. If the wait was interrupted (`is_interrupted`), the old mask is
    /// left in `saved_mask` for signal delivery to restore after the handler ran (so the
    /// handler runs under the temporary mask, Linux's `set_restore_sigmask`); otherwise it
    /// comes back now.
    pub(super) fn finish(mut self, is_interrupted: bool) {
        if let Some(saved) = self.saved.take() {
            if is_interrupted {
                *self.thread.saved_mask.lock() = Some(saved);
            } else {
                self.thread.signal_mask.store(saved, Ordering::Release);
            }
            crate::signal::recalc_pending(self.thread);
        }
    }
}

impl Drop for SigmaskGuard<'_> {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            self.thread.signal_mask.store(saved, Ordering::Release);
            crate::signal::recalc_pending(self.thread);
        }
    }
}

/// Linux's `set_user_sigmask`: nothing for a null pointer, `EINVAL` unless `size` is 8,
/// `EFAULT` on a bad pointer; SIGKILL and SIGSTOP stay unblocked.
pub(super) fn set_user_sigmask<'a>(
    thread: &'a Thread,
    mask: UserPtr<u64>,
    size: usize,
) -> Result<SigmaskGuard<'a>, Errno> {
    if mask.is_null() {
        return Ok(SigmaskGuard {
            thread,
            saved: None,
        });
    }
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = mask.read()? & !crate::signal::UNBLOCKABLE;
    let saved = thread.signal_mask.swap(new, Ordering::AcqRel);
    crate::signal::recalc_pending(thread);
    Ok(SigmaskGuard {
        thread,
        saved: Some(saved),
    })
}

/// An absolute CLOCK_MONOTONIC deadline for a relative timeout (`poll_select_set_timeout`):
/// `EINVAL` for a negative or malformed time; `Some(0)` for a zero timeout.
fn deadline_after(seconds: i64, nanoseconds: i64) -> Result<u64, Errno> {
    let timeout = Timespec {
        tv_sec: seconds,
        tv_nsec: nanoseconds,
    };
    let ns = timeout.to_nanos().ok_or(Errno::EINVAL)?;
    if ns == 0 {
        return Ok(0);
    }
    Ok(crate::time::monotonic_ns().saturating_add(ns))
}

/// Time left until `deadline` (zero once passed).
fn time_left_ns(deadline: u64) -> u64 {
    deadline.saturating_sub(crate::time::monotonic_ns())
}

fn poll_one(
    files: &[Option<Arc<OpenFile>>],
    index: usize,
    pollfd: &PollFd,
    table: Option<&mut crate::fs::poll::PollTable>,
) -> u16 {
    if pollfd.fd < 0 {
        return 0;
    }
    let Some(file) = &files[index] else {
        return POLLNVAL;
    };
    let filter = (pollfd.events as u16) | POLLERR | POLLHUP;
    file.poll(table) & filter
}

/// Descriptors a poll call handles without a heap allocation.
const POLL_STACK_FDS: usize = 32;

/// `do_sys_poll`: the shared body of poll and ppoll.
fn do_poll(
    context: &SyscallContext<'_>,
    ufds: UserPtr<PollFd>,
    nfds: u32,
    deadline_ns: Option<u64>,
) -> SyscallResult {
    let limit = context
        .thread
        .process
        .limits
        .lock()
        .get(RLIMIT_NOFILE)
        .map_or(1024, |limit| limit.soft);
    if u64::from(nfds) > limit {
        return Err(Errno::EINVAL);
    }
    let count = nfds as usize;
    // Small sets live on the stack, as Linux's `POLL_STACK_ALLOC`: poll is called in loops.
    let mut stack_pollfds = [PollFd::default(); POLL_STACK_FDS];
    let mut heap_pollfds: Vec<PollFd> = Vec::new();
    let pollfds: &mut [PollFd] = if count <= POLL_STACK_FDS {
        &mut stack_pollfds[..count]
    } else {
        heap_pollfds
            .try_reserve_exact(count)
            .map_err(|_| Errno::ENOMEM)?;
        heap_pollfds.resize(count, PollFd::default());
        &mut heap_pollfds
    };
    if count > 0 {
        hal::usercopy::copy_from_user(zerocopy::IntoBytes::as_mut_bytes(pollfds), ufds.address)?;
    }
    // The files, looked up once (an O_PATH descriptor counts as closed, as fdget sees it).
    let mut stack_files: [Option<Arc<OpenFile>>; POLL_STACK_FDS] = [const { None }; POLL_STACK_FDS];
    let mut heap_files: Vec<Option<Arc<OpenFile>>> = Vec::new();
    let files: &mut [Option<Arc<OpenFile>>] = if count <= POLL_STACK_FDS {
        &mut stack_files[..count]
    } else {
        heap_files
            .try_reserve_exact(count)
            .map_err(|_| Errno::ENOMEM)?;
        heap_files.resize(count, None);
        &mut heap_files
    };
    {
        let table = context.thread.process.files.get();
        let table = table.lock();
        for (slot, pollfd) in files.iter_mut().zip(pollfds.iter()) {
            *slot = table
                .get(pollfd.fd)
                .ok()
                .filter(|file| !file.is_path_only());
        }
    }
    let result = wait_ready(context.thread, deadline_ns, |mut table| {
        let mut ready = 0;
        for (index, pollfd) in pollfds.iter_mut().enumerate() {
            let mask = poll_one(files, index, pollfd, table.as_deref_mut());
            pollfd.revents = mask as i16;
            if mask != 0 {
                ready += 1;
                // Once something is ready, the rest need not register (Linux drops the table).
                table = None;
            }
        }
        if ready > 0 {
            Scan::Ready(ready)
        } else {
            Scan::NotReady
        }
    });
    let ready = match result {
        Ok(ready) => ready,
        Err(WaitError::TimedOut) => 0,
        Err(WaitError::Interrupted) => return Err(Errno::ERESTARTNOHAND),
    };
    if count > 0 {
        hal::usercopy::copy_to_user(ufds.address, zerocopy::IntoBytes::as_bytes(&*pollfds))?;
    }
    Ok(ready)
}

pub fn poll(
    context: &mut SyscallContext<'_>,
    ufds: UserPtr<PollFd>,
    nfds: u32,
    timeout_ms: i32,
) -> SyscallResult {
    let deadline = if timeout_ms >= 0 {
        let ms = i64::from(timeout_ms);
        Some(deadline_after(ms / 1000, (ms % 1000) * 1_000_000)?)
    } else {
        None
    };
    do_poll(context, ufds, nfds, deadline)
}

/// Writes the time left back to a select, pselect6 or ppoll timeout (`poll_select_finish`),
/// except for a zero timeout or a thread with the `STICKY_TIMEOUTS` personality. A failed write,
/// or a sticky timeout that cannot be shortened, turns a restart into `EINTR`, as there.
fn finish_timeout(
    context: &SyscallContext<'_>,
    deadline: Option<u64>,
    write_left: impl FnOnce(u64) -> Result<(), Errno>,
    result: SyscallResult,
) -> SyscallResult {
    let Some(deadline) = deadline else {
        return result;
    };
    if deadline == 0 {
        return result;
    }
    let personality = context.thread.personality.load(Ordering::Relaxed);
    let is_written = personality & abi::personality::STICKY_TIMEOUTS == 0
        && write_left(time_left_ns(deadline)).is_ok();
    match result {
        Err(Errno::ERESTARTNOHAND) if !is_written => Err(Errno::EINTR),
        result => result,
    }
}

fn finish_timespec(
    context: &SyscallContext<'_>,
    deadline: Option<u64>,
    user: UserPtr<Timespec>,
    result: SyscallResult,
) -> SyscallResult {
    finish_timeout(
        context,
        deadline,
        |left| user.write(&Timespec::from_nanos(left)),
        result,
    )
}

pub fn ppoll(
    context: &mut SyscallContext<'_>,
    ufds: UserPtr<PollFd>,
    nfds: u32,
    timeout: UserPtr<Timespec>,
    sigmask: UserPtr<u64>,
    sigset_size: usize,
) -> SyscallResult {
    let deadline = if timeout.is_null() {
        None
    } else {
        let timeout = timeout.read()?;
        Some(deadline_after(timeout.tv_sec, timeout.tv_nsec)?)
    };
    let guard = set_user_sigmask(context.thread, sigmask, sigset_size)?;
    let result = do_poll(context, ufds, nfds, deadline);
    guard.finish(result == Err(Errno::ERESTARTNOHAND));
    if timeout.is_null() {
        return result;
    }
    finish_timespec(context, deadline, timeout, result)
}

/// Reads the first `nfds` bits of an fd_set (whole longs, as `FDS_BYTES`); null is empty.
fn read_fd_set(pointer: u64, nfds: usize) -> Result<Vec<u64>, Errno> {
    let words = nfds.div_ceil(64);
    let mut set = Vec::new();
    set.try_reserve_exact(words).map_err(|_| Errno::ENOMEM)?;
    set.resize(words, 0);
    if pointer != 0 && words > 0 {
        hal::usercopy::copy_from_user(
            zerocopy::IntoBytes::as_mut_bytes(set.as_mut_slice()),
            pointer,
        )?;
    }
    Ok(set)
}

/// `core_sys_select`.
fn do_select(
    context: &SyscallContext<'_>,
    nfds: i32,
    sets: [u64; 3],
    deadline_ns: Option<u64>,
) -> SyscallResult {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let files_shared = context.thread.process.files.get();
    let max_fds = files_shared.lock().max_fds();
    let nfds = (nfds as usize).min(max_fds);
    let input = [
        read_fd_set(sets[0], nfds)?,
        read_fd_set(sets[1], nfds)?,
        read_fd_set(sets[2], nfds)?,
    ];
    // The watched descriptors and their files (`max_select_fd`: a closed one is EBADF).
    let mut watched: Vec<(usize, Option<Arc<OpenFile>>)> = Vec::new();
    {
        let table = files_shared.lock();
        for fd in 0..nfds {
            let (word, bit) = (fd / 64, 1u64 << (fd % 64));
            if (input[0][word] | input[1][word] | input[2][word]) & bit == 0 {
                continue;
            }
            let file = table.get(fd as i32)?;
            watched.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            // An O_PATH descriptor is open but has no file for poll (fdget skips it).
            watched.push((fd, (!file.is_path_only()).then_some(file)));
        }
    }
    let words = nfds.div_ceil(64);
    let mut output = [Vec::new(), Vec::new(), Vec::new()];
    for set in &mut output {
        set.try_reserve_exact(words).map_err(|_| Errno::ENOMEM)?;
        set.resize(words, 0u64);
    }
    let result = wait_ready(context.thread, deadline_ns, |mut table| {
        let mut ready = 0;
        for set in output.iter_mut() {
            set.fill(0);
        }
        for (fd, file) in &watched {
            let Some(file) = file else { continue };
            let (word, bit) = (fd / 64, 1u64 << (fd % 64));
            let mask = file.poll(table.as_deref_mut());
            for (which, wanted) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET]
                .into_iter()
                .enumerate()
            {
                if mask & wanted != 0 && input[which][word] & bit != 0 {
                    output[which][word] |= bit;
                    ready += 1;
                    table = None;
                }
            }
        }
        if ready > 0 {
            Scan::Ready(ready)
        } else {
            Scan::NotReady
        }
    });
    let ready = match result {
        Ok(ready) => ready,
        Err(WaitError::TimedOut) => 0,
        Err(WaitError::Interrupted) => return Err(Errno::ERESTARTNOHAND),
    };
    if ready == 0 {
        for set in output.iter_mut() {
            set.fill(0);
        }
    }
    for (which, pointer) in sets.iter().enumerate() {
        if *pointer != 0 && words > 0 {
            hal::usercopy::copy_to_user(
                *pointer,
                zerocopy::IntoBytes::as_bytes(output[which].as_slice()),
            )?;
        }
    }
    Ok(ready)
}

pub fn select(
    context: &mut SyscallContext<'_>,
    nfds: i32,
    readfds: UserPtr<u64>,
    writefds: UserPtr<u64>,
    exceptfds: UserPtr<u64>,
    timeout: UserPtr<Timeval>,
) -> SyscallResult {
    let deadline = if timeout.is_null() {
        None
    } else {
        let timeval = timeout.read()?;
        let seconds = timeval.tv_sec.saturating_add(timeval.tv_usec / 1_000_000);
        let nanoseconds = (timeval.tv_usec % 1_000_000) * 1000;
        Some(deadline_after(seconds, nanoseconds)?)
    };
    let result = do_select(
        context,
        nfds,
        [readfds.address, writefds.address, exceptfds.address],
        deadline,
    );
    finish_timeout(
        context,
        deadline,
        |left| {
            timeout.write(&Timeval {
                tv_sec: (left / 1_000_000_000) as i64,
                tv_usec: ((left % 1_000_000_000) / 1000) as i64,
            })
        },
        result,
    )
}

/// pselect6's sixth argument: `{ const sigset_t *ss; size_t ss_len; }`.
pub fn pselect6(
    context: &mut SyscallContext<'_>,
    nfds: i32,
    readfds: UserPtr<u64>,
    writefds: UserPtr<u64>,
    exceptfds: UserPtr<u64>,
    timeout: UserPtr<Timespec>,
    sigmask_pack: UserPtr<[u64; 2]>,
) -> SyscallResult {
    let (sigmask, sigset_size) = if sigmask_pack.is_null() {
        (UserPtr::new(0), 0)
    } else {
        let [pointer, size] = sigmask_pack.read()?;
        (UserPtr::<u64>::new(pointer), size as usize)
    };
    let deadline = if timeout.is_null() {
        None
    } else {
        let timeout = timeout.read()?;
        Some(deadline_after(timeout.tv_sec, timeout.tv_nsec)?)
    };
    let guard = set_user_sigmask(context.thread, sigmask, sigset_size)?;
    let result = do_select(
        context,
        nfds,
        [readfds.address, writefds.address, exceptfds.address],
        deadline,
    );
    guard.finish(result == Err(Errno::ERESTARTNOHAND));
    if timeout.is_null() {
        return result;
    }
    finish_timespec(context, deadline, timeout, result)
}
