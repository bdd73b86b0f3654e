//! kcmp and pidfd_getfd (Linux `kernel/kcmp.c`, `kernel/pid.c`).
//!
//! kcmp looks both tasks up by thread id (`ESRCH`), needs `PTRACE_MODE_READ_REALCREDS` access
//! to each ([`crate::process::ptrace::may_access`], `EPERM`), then compares the kernel objects
//! the type names: an open file by descriptor (`EBADF` if either is not open), the address
//! space, descriptor table, filesystem context, signal handlers, I/O context, System V undo
//! list, or a file watched by an epoll instance (`KCMP_EPOLL_TFD`: the slot is read from the
//! caller, `EFAULT`; no such descriptor `EBADF`; not an epoll `EINVAL`; no such watch
//! `ENOENT`); any other type `EINVAL`. The answer orders the objects as Linux's `kcmp_ptr`:
//! 0 for the same object, else 1 or 2 by their addresses scrambled with a per-type secret
//! made at first use (`kptr_obfuscate`), so that the order is consistent but reveals no address.
//! An object neither task has yet (an I/O context or undo list made on demand) compares equal.
//!
//! pidfd_getfd duplicates a descriptor of the process a pidfd names into the caller, always
//! close-on-exec: flags must be 0 (`EINVAL`), the pidfd must be one (`EBADF`), the process
//! must not be reaped (`ESRCH`), the caller needs `PTRACE_MODE_ATTACH_REALCREDS` (`EPERM`),
//! and the descriptor must be open there (`EBADF`); `EMFILE` at the caller's limit.

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::process::{Thread, table};
use abi::Errno;
use alloc::sync::Arc;

/// The comparison types (`enum kcmp_type`).
const KCMP_FILE: i32 = 0;
const KCMP_VM: i32 = 1;
const KCMP_FILES: i32 = 2;
const KCMP_FS: i32 = 3;
const KCMP_SIGHAND: i32 = 4;
const KCMP_IO: i32 = 5;
const KCMP_SYSVSEM: i32 = 6;
const KCMP_EPOLL_TFD: i32 = 7;
const KCMP_TYPES: usize = 8;

/// `struct kcmp_epoll_slot`.
#[derive(zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout)]
#[repr(C)]
struct EpollSlot {
    efd: u32,
    tfd: u32,
    toff: u32,
}

/// Per-type secrets for [`order`]: (xor, odd multiplier).
static COOKIES: spin::Once<[(u64, u64); KCMP_TYPES]> = spin::Once::new();

/// Linux `kcmp_ptr`: 0 if `a == b`, else 1 or 2 by the scrambled addresses.
fn order(a: usize, b: usize, kind: i32) -> usize {
    let cookies = COOKIES.call_once(|| {
        let mut cookies = [(0, 0); KCMP_TYPES];
        for cookie in cookies.iter_mut() {
            *cookie = (crate::random::u64(), crate::random::u64() | 1);
        }
        cookies
    });
    let (xor, multiplier) = cookies[kind as usize % KCMP_TYPES];
    let scramble = |value: usize| (value as u64 ^ xor).wrapping_mul(multiplier);
    let (a, b) = (scramble(a), scramble(b));
    match a.cmp(&b) {
        core::cmp::Ordering::Equal => 0,
        core::cmp::Ordering::Less => 1,
        core::cmp::Ordering::Greater => 2,
    }
}

fn address<T: ?Sized>(object: &Arc<T>) -> usize {
    Arc::as_ptr(object) as *const u8 as usize
}

fn optional_address<T: ?Sized>(object: &Option<Arc<T>>) -> usize {
    object.as_ref().map_or(0, address)
}

/// The open file `fd` of `thread`'s process (`get_file_raw_ptr`), `EBADF` if there is none.
fn file_of(thread: &Thread, fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
    thread.process.files.get().lock().get(fd)
}

pub fn kcmp(
    context: &mut SyscallContext<'_>,
    pid1: i32,
    pid2: i32,
    kind: i32,
    index1: u64,
    index2: u64,
) -> SyscallResult {
    let find = |pid: i32| {
        u32::try_from(pid)
            .ok()
            .filter(|&pid| pid != 0)
            .and_then(|pid| table::find_thread_in(context.thread.pid_ns(), pid))
    };
    let (Some(task1), Some(task2)) = (find(pid1), find(pid2)) else {
        return Err(Errno::ESRCH);
    };
    crate::process::ptrace::may_access(context.thread, &task1.process, false)?;
    crate::process::ptrace::may_access(context.thread, &task2.process, false)?;
    let (p1, p2) = (&task1.process, &task2.process);
    let (a, b) = match kind {
        KCMP_FILE => {
            let (first, second) = (file_of(&task1, index1), file_of(&task2, index2));
            let (Ok(first), Ok(second)) = (first, second) else {
                return Err(Errno::EBADF);
            };
            (address(&first), address(&second))
        }
        KCMP_VM => (address(&p1.mm.get()), address(&p2.mm.get())),
        KCMP_FILES => (address(&p1.files.get()), address(&p2.files.get())),
        KCMP_FS => (address(&p1.fs.get()), address(&p2.fs.get())),
        KCMP_SIGHAND => (address(&p1.signals.get()), address(&p2.signals.get())),
        KCMP_IO => {
            let first = task1.io_context.lock().clone();
            let second = task2.io_context.lock().clone();
            (optional_address(&first), optional_address(&second))
        }
        KCMP_SYSVSEM => {
            let first = p1.sysvsem.lock().clone();
            let second = p2.sysvsem.lock().clone();
            (optional_address(&first), optional_address(&second))
        }
        KCMP_EPOLL_TFD => {
            let slot = UserPtr::<EpollSlot>::new(index2).read()?;
            let file = file_of(&task1, index1)?;
            let epoll_file = file_of(&task2, u64::from(slot.efd))?;
            let epoll = epoll_file.ops.as_eventpoll().ok_or(Errno::EINVAL)?;
            let target = epoll
                .target_file(slot.tfd as i32, slot.toff as usize)
                .ok_or(Errno::ENOENT)?;
            (address(&file), address(&target))
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok(order(a, b, kind))
}

pub fn pidfd_getfd(
    context: &mut SyscallContext<'_>,
    pidfd: Fd,
    fd: i32,
    flags: u32,
) -> SyscallResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let file = super::read_write::file(context, pidfd)?;
    let process = file
        .ops
        .as_pidfd()
        .map(|pidfd| pidfd.process.clone())
        .ok_or(Errno::EBADF)?;
    if table::find_process(process.pid).is_none_or(|found| !Arc::ptr_eq(&found, &process)) {
        return Err(Errno::ESRCH);
    }
    crate::process::ptrace::may_access(context.thread, &process, false)?;
    let target = process.files.get().lock().get(fd)?;
    let limit = super::fcntl::descriptor_limit(context);
    let files = context.thread.process.files.get();
    let new_fd = files.lock().insert_from(0, target, true, limit)?;
    Ok(new_fd as usize)
}
