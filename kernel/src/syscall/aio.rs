//! io_setup, io_destroy, io_submit, io_cancel, io_getevents, io_pgetevents (Linux 6.1
//! `fs/aio.c`); the contexts and their rings are in [`crate::fs::aio`].
//!
//! - io_setup: `EFAULT` if `*ctxp` cannot be read, `EINVAL` unless it is 0 and `nr_events`
//!   is not, `EINVAL` for a size whose doubling overflows, `EAGAIN` past `fs.aio-max-nr`;
//!   the ring is mapped shared and writable (populated), its address is the context id.
//! - io_submit: `EINVAL` for a negative count or an unknown context; at most `nr_events`
//!   iocbs are taken; the first failure ends the loop and is returned only if nothing was
//!   submitted (`EFAULT` for an unreadable pointer or iocb, `EINVAL` for a non-zero
//!   `aio_reserved2`, a negative `aio_nbytes` or an unknown opcode, `EAGAIN` when the ring is
//!   full, `EBADF` for a bad descriptor or one not open for the transfer's direction, `EBADF`
//!   or `EINVAL` for a bad `IOCB_FLAG_RESFD` eventfd, the `ioprio_check_cap` errors of
//!   `IOCB_FLAG_IOPRIO`, `EOPNOTSUPP` for unknown or unsupported `RWF_*`, `EFAULT` for buffers
//!   outside user space, `EINVAL` for a negative offset or a file with no read or write
//!   method). Reads, writes and syncs complete at once, as buffered AIO does: errors of the
//!   transfer itself are the event's result. `IOCB_CMD_POLL` completes at once when the file
//!   is ready and otherwise stays pending (see the context module).
//! - io_getevents/io_pgetevents: `EFAULT` for an unreadable timeout (or, for pgetevents, an
//!   unreadable sigset pair), `EINVAL` for an unknown context or `min_nr` outside
//!   `0..=nr`; they wait (interruptibly) for `min_nr` events until the timeout, then take up
//!   to `nr`; 0 events and a pending signal is `EINTR` (`ERESTARTNOHAND` for pgetevents,
//!   whose temporary mask stays until the handler ran).
//! - io_cancel: `EFAULT` if the iocb's key cannot be read, `EINVAL` for a key other than 0,
//!   an unknown context, or a request that cannot be cancelled (only pending polls can:
//!   `EINPROGRESS`, and their event goes into the ring).

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::aio::{self, AioContext};
use crate::fs::file::OpenFile;
use crate::fs::poll::{DEFAULT_POLLMASK, POLLERR, POLLHUP};
use crate::mm::vma::{Backing, VmaFlags, VmaKind};
use crate::mm::{PAGE_SIZE, Protection, Vma};
use abi::aio::{self as aio_abi, IoEvent, Iocb};
use abi::{Errno, OpenFlags, Timespec};
use alloc::sync::Arc;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub fn io_setup(
    context: &mut SyscallContext<'_>,
    nr_events: u32,
    ctxp: UserPtr<u64>,
) -> SyscallResult {
    let current = ctxp.read()?;
    if current != 0 || nr_events == 0 {
        return Err(Errno::EINVAL);
    }
    let (uid, gid) = {
        let credentials = context.thread.process.credentials.lock();
        (credentials.fsuid, credentials.fsgid)
    };
    let ring = aio::new_ring(nr_events, uid, gid)?;
    let len = ring.geometry.pages * PAGE_SIZE;
    let inode = ring.inode.clone();
    let limits = super::mmap::memory_limits(&context.thread.process);
    let mm_shared = context.thread.process.mm.get();
    let address = {
        let mut mm = mm_shared.write();
        if mm.map_count() > crate::sysctl::max_map_count() {
            return Err(Errno::ENOMEM);
        }
        let start = mm.find_free_area(len).ok_or(Errno::ENOMEM)?;
        if !mm.may_expand(limits, len, false, 0, 0) {
            return Err(Errno::ENOMEM);
        }
        mm.insert_vma(Vma {
            start,
            end: start + len,
            protection: Protection {
                is_readable: true,
                is_writable: true,
                is_executable: false,
            },
            is_shared: true,
            backing: Backing::File {
                inode,
                offset: 0,
                file_end: u64::MAX,
                is_sigbus_past_eof: true,
                may_write_shared: true,
                path: None,
            },
            kind: VmaKind::AioRing,
            flags: VmaFlags::empty(),
            userfault: None,
        })?;
        mm.populate(start, start + len);
        start
    };
    let ring_context = match mm_shared.aio.insert(ring, address) {
        Ok(ring_context) => ring_context,
        Err(error) => {
            let _ = mm_shared.write().munmap(address, address + len);
            return Err(error);
        }
    };
    if let Err(error) = ctxp.write(&address) {
        destroy(context, &ring_context)?;
        return Err(error);
    }
    Ok(0)
}

/// `kill_ioctx` for io_destroy: out of the table, the ring unmapped, pending polls cancelled,
/// and a wait for the requests in flight.
fn destroy(context: &SyscallContext<'_>, ring_context: &Arc<AioContext>) -> Result<(), Errno> {
    let mm_shared = context.thread.process.mm.get();
    mm_shared.aio.destroy(ring_context, context.thread, || {
        let start = ring_context.user_id();
        let _ = mm_shared
            .write()
            .munmap(start, start + ring_context.ring_len());
    })
}

fn lookup(context: &SyscallContext<'_>, ctx_id: u64) -> Result<Arc<AioContext>, Errno> {
    context
        .thread
        .process
        .mm
        .get()
        .aio
        .lookup(ctx_id)
        .ok_or(Errno::EINVAL)
}

pub fn io_destroy(context: &mut SyscallContext<'_>, ctx_id: u64) -> SyscallResult {
    let ring_context = lookup(context, ctx_id)?;
    destroy(context, &ring_context)?;
    Ok(0)
}

pub fn io_submit(
    context: &mut SyscallContext<'_>,
    ctx_id: u64,
    nr: i64,
    iocbpp: UserPtr<u64>,
) -> SyscallResult {
    if nr < 0 {
        return Err(Errno::EINVAL);
    }
    let ring_context = lookup(context, ctx_id)?;
    ring_context.reap_finished();
    let nr = nr.min(i64::from(ring_context.nr_events())) as u64;
    let mut submitted = 0usize;
    let mut error = None;
    for index in 0..nr {
        let result = iocbpp
            .offset(index)
            .read()
            .and_then(|user_iocb| submit_one(context, &ring_context, user_iocb));
        if let Err(e) = result {
            error = Some(e);
            break;
        }
        submitted += 1;
    }
    match (submitted, error) {
        (0, Some(error)) => Err(error),
        _ => Ok(submitted),
    }
}

/// `io_submit_one`: reads and checks the iocb, reserves a slot, runs the request.
fn submit_one(
    context: &mut SyscallContext<'_>,
    ring_context: &Arc<AioContext>,
    user_iocb: u64,
) -> Result<(), Errno> {
    let iocb: Iocb = hal::usercopy::read_user(user_iocb)?;
    if iocb.aio_reserved2 != 0 || (iocb.aio_nbytes as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    ring_context.reserve()?;
    let result = submit_reserved(context, ring_context, user_iocb, &iocb);
    if result.is_err() {
        ring_context.unreserve();
    }
    result
}

fn descriptor(context: &SyscallContext<'_>, fd: u32) -> Result<Arc<OpenFile>, Errno> {
    let file = super::read_write::file(context, Fd(fd as i32))?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

/// `__io_submit_one` for a request that holds a slot: completes it, or queues a poll;
/// `Err` gives the slot back.
fn submit_reserved(
    context: &mut SyscallContext<'_>,
    ring_context: &Arc<AioContext>,
    user_iocb: u64,
    iocb: &Iocb,
) -> Result<(), Errno> {
    let file = descriptor(context, iocb.aio_fildes)?;
    let eventfd = if iocb.aio_flags & aio_abi::IOCB_FLAG_RESFD != 0 {
        let eventfd = descriptor(context, iocb.aio_resfd)?;
        if eventfd.ops.as_eventfd().is_none() {
            return Err(Errno::EINVAL);
        }
        Some(eventfd)
    } else {
        None
    };
    let key_address = user_iocb + core::mem::offset_of!(Iocb, aio_key) as u64;
    hal::usercopy::write_user(key_address, &aio_abi::KIOCB_KEY)?;
    let event = |res: i64| IoEvent {
        data: iocb.aio_data,
        obj: user_iocb,
        res,
        res2: 0,
    };
    let res = match iocb.aio_lio_opcode {
        aio_abi::IOCB_CMD_PREAD | aio_abi::IOCB_CMD_PREADV => {
            read_write(context, &file, iocb, false)?
        }
        aio_abi::IOCB_CMD_PWRITE | aio_abi::IOCB_CMD_PWRITEV => {
            read_write(context, &file, iocb, true)?
        }
        aio_abi::IOCB_CMD_FSYNC | aio_abi::IOCB_CMD_FDSYNC => {
            if iocb.aio_buf != 0
                || iocb.aio_offset != 0
                || iocb.aio_nbytes != 0
                || iocb.aio_rw_flags != 0
                || !super::sync::has_fsync(&file)
            {
                return Err(Errno::EINVAL);
            }
            match file.ops.fsync() {
                Ok(()) => 0,
                Err(error) => -i64::from(error.0),
            }
        }
        aio_abi::IOCB_CMD_POLL => {
            if iocb.aio_buf > u64::from(u16::MAX)
                || iocb.aio_offset != 0
                || iocb.aio_nbytes != 0
                || iocb.aio_rw_flags != 0
            {
                return Err(Errno::EINVAL);
            }
            let events = iocb.aio_buf as u16 | POLLERR | POLLHUP;
            let mask = match file.ops.poll(None) {
                // No poll method: nothing to wait on, so a mask that is not ready never will
                // be (`apt.error`).
                None => match DEFAULT_POLLMASK & events {
                    0 => return Err(Errno::EINVAL),
                    mask => mask,
                },
                Some(mask) => mask & events,
            };
            if mask == 0 {
                return aio::add_poll(
                    ring_context,
                    file,
                    events,
                    iocb.aio_data,
                    user_iocb,
                    eventfd,
                );
            }
            i64::from(mask)
        }
        _ => return Err(Errno::EINVAL),
    };
    ring_context.complete(event(res), eventfd.as_deref());
    Ok(())
}

/// `aio_read`/`aio_write`: the checks that fail the submission, then the transfer, whose
/// outcome is the event's result.
fn read_write(
    context: &mut SyscallContext<'_>,
    file: &Arc<OpenFile>,
    iocb: &Iocb,
    is_write: bool,
) -> Result<i64, Errno> {
    // aio_prep_rw
    if iocb.aio_flags & aio_abi::IOCB_FLAG_IOPRIO != 0 {
        super::ioprio::check(context, i32::from(iocb.aio_reqprio))?;
    }
    let extra = if iocb.aio_rw_flags != 0 {
        super::read_write::kiocb_rw_flags(file, iocb.aio_rw_flags, is_write)?
    } else {
        OpenFlags::empty()
    };
    let is_allowed = if is_write {
        file.is_writable()
    } else {
        file.is_readable()
    };
    if !is_allowed {
        return Err(Errno::EBADF);
    }
    // Directories have no read_iter/write_iter.
    if file.ops.metadata().file_type == vfs::FileType::Directory && !file.ops.is_anon_inode() {
        return Err(Errno::EINVAL);
    }
    let is_vectored = matches!(
        iocb.aio_lio_opcode,
        aio_abi::IOCB_CMD_PREADV | aio_abi::IOCB_CMD_PWRITEV
    );
    let vectors = if is_vectored {
        super::read_write::aio_vectors(iocb.aio_buf, iocb.aio_nbytes)?
    } else {
        super::read_write::aio_single_vector(iocb.aio_buf, iocb.aio_nbytes as usize)?
    };
    // rw_verify_area
    if iocb.aio_offset < 0 {
        return Err(Errno::EINVAL);
    }
    if vectors.iter().all(|vector| vector.iov_len == 0) {
        return Ok(0);
    }
    Ok(
        match super::read_write::aio_transfer(
            context,
            file,
            vectors,
            iocb.aio_offset as u64,
            extra,
            is_write,
        ) {
            Ok(count) => count as i64,
            Err(Errno::ERESTARTSYS | Errno::ERESTARTNOINTR | Errno::ERESTARTNOHAND) => {
                -i64::from(Errno::EINTR.0)
            }
            Err(error) => -i64::from(error.0),
        },
    )
}

pub fn io_cancel(
    context: &mut SyscallContext<'_>,
    ctx_id: u64,
    iocb: UserPtr<Iocb>,
    _result: UserPtr<IoEvent>,
) -> SyscallResult {
    let key_address = iocb.address + core::mem::offset_of!(Iocb, aio_key) as u64;
    let key: u32 = hal::usercopy::read_user(key_address)?;
    if key != aio_abi::KIOCB_KEY {
        return Err(Errno::EINVAL);
    }
    let ring_context = lookup(context, ctx_id)?;
    ring_context.cancel(iocb.address)?;
    Ok(0)
}

/// An absolute deadline for io_getevents' relative timeout (`timespec64_to_ktime`; zero or
/// negative means no wait).
fn deadline(timeout: Option<Timespec>) -> Option<u64> {
    let timeout = timeout?;
    let ns = timeout
        .tv_sec
        .saturating_mul(1_000_000_000)
        .saturating_add(timeout.tv_nsec);
    if ns <= 0 {
        return Some(0);
    }
    Some(crate::time::monotonic_ns().saturating_add(ns as u64))
}

fn read_timeout(timeout: UserPtr<Timespec>) -> Result<Option<Timespec>, Errno> {
    if timeout.is_null() {
        Ok(None)
    } else {
        timeout.read().map(Some)
    }
}

/// `do_io_getevents`.
fn get_events(
    context: &SyscallContext<'_>,
    ctx_id: u64,
    min_nr: i64,
    nr: i64,
    events: u64,
    timeout: Option<Timespec>,
) -> SyscallResult {
    let ring_context = lookup(context, ctx_id)?;
    if min_nr > nr || min_nr < 0 {
        return Err(Errno::EINVAL);
    }
    ring_context.get_events(
        context.thread,
        min_nr as usize,
        nr as usize,
        events,
        deadline(timeout),
    )
}

pub fn io_getevents(
    context: &mut SyscallContext<'_>,
    ctx_id: u64,
    min_nr: i64,
    nr: i64,
    events: UserPtr<IoEvent>,
    timeout: UserPtr<Timespec>,
) -> SyscallResult {
    let timeout = read_timeout(timeout)?;
    let result = get_events(context, ctx_id, min_nr, nr, events.address, timeout);
    if result == Ok(0) && crate::signal::has_pending(context.thread) {
        return Err(Errno::EINTR);
    }
    result
}

/// `struct __aio_sigset`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct AioSigset {
    sigmask: u64,
    sigsetsize: u64,
}

pub fn io_pgetevents(
    context: &mut SyscallContext<'_>,
    ctx_id: u64,
    min_nr: i64,
    nr: i64,
    events: UserPtr<IoEvent>,
    timeout: UserPtr<Timespec>,
    usig: UserPtr<AioSigset>,
) -> SyscallResult {
    let timeout = read_timeout(timeout)?;
    let sigset = if usig.is_null() {
        AioSigset::default()
    } else {
        usig.read()?
    };
    let guard = super::select::set_user_sigmask(
        context.thread,
        UserPtr::new(sigset.sigmask),
        sigset.sigsetsize as usize,
    )?;
    let result = get_events(context, ctx_id, min_nr, nr, events.address, timeout);
    let is_interrupted = crate::signal::has_pending(context.thread);
    guard.finish(is_interrupted);
    if is_interrupted && result == Ok(0) {
        return Err(Errno::ERESTARTNOHAND);
    }
    result
}
