//! mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr (Linux's
//! `ipc/mqueue.c`); the queues and their filesystem are [`crate::ipc::mqueue`].
//!
//! Linux's order of checks. `mq_open`: the attributes are read whenever a pointer is given
//! (`EFAULT`), the name (`ENAMETOOLONG` past `PATH_MAX`, `ENOENT` if empty), a descriptor
//! (`EMFILE`, `ENFILE`), the name as one component (`EACCES` for `/`, `.`, `..`;
//! `ENAMETOOLONG` past `NAME_MAX`); a missing queue without `O_CREAT` is `ENOENT`, a new one is
//! checked by the queue count (`ENOSPC`), its attributes (`EINVAL`, `EOVERFLOW`) and
//! `RLIMIT_MSGQUEUE` (`EMFILE`); an existing one gives `EEXIST` with `O_CREAT|O_EXCL`,
//! `EINVAL` for the access mode 3, `EACCES` without permission. Descriptors are always
//! close-on-exec. `mq_timedsend`: the priority (`EINVAL`), the timeout (`EFAULT`, `EINVAL`),
//! the descriptor (`EBADF`: not a queue or not open for writing), the size (`EMSGSIZE`), the
//! text (`EFAULT`); a full queue is `EAGAIN` with `O_NONBLOCK`. `mq_timedreceive`: the
//! timeout, the descriptor (read access), a buffer smaller than `mq_msgsize` (`EMSGSIZE`); an
//! empty queue is `EAGAIN` with `O_NONBLOCK`; the message is gone even if copying it out
//! faults.

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::ipc::mqueue::{self, Creator, MqueueFile};
use crate::sched::timer::Deadline;
use abi::capability::CAP_SYS_RESOURCE;
use abi::ipc::{MQ_PRIO_MAX, MqAttr};
use abi::{Errno, KnownFlags, OpenFlags, Sigevent, Timespec};
use alloc::sync::Arc;
use alloc::vec::Vec;

const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

/// Runs `f` with the caller's walk context (the mqueue root is where walks start).
fn with_ctx<T>(
    context: &SyscallContext<'_>,
    f: impl FnOnce(&vfs::path::Ctx<'_>) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let process = &context.thread.process;
    let (root, umask) = {
        let fs_shared = process.fs.get();
        let fs = fs_shared.lock();
        (fs.root.clone(), fs.umask)
    };
    let credentials = process.credentials.lock().for_fs();
    f(&vfs::path::Ctx {
        root: &root,
        creds: &credentials,
        umask,
    })
}

/// The caller as a queue creator.
fn creator(context: &SyscallContext<'_>) -> Creator {
    let process = &context.thread.process;
    let (ruid, caps) = {
        let credentials = process.credentials.lock();
        (credentials.uid, credentials.caps.effective.0)
    };
    let rlimit_msgqueue = process
        .limits
        .lock()
        .get(crate::process::rlimit::RLIMIT_MSGQUEUE)
        .map_or(u64::MAX, |limit| limit.soft);
    Creator {
        ruid,
        is_resource_privileged: caps & (1 << CAP_SYS_RESOURCE) != 0,
        rlimit_msgqueue,
    }
}

/// The queue behind descriptor `fd` (`EBADF` if it is none).
fn queue_file(context: &SyscallContext<'_>, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = context.thread.process.files.get().lock().get(fd.0)?;
    if file.ops.as_mqueue().is_none() {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

/// An absolute CLOCK_REALTIME timeout (`prepare_timeout`), which follows clock steps.
fn deadline(address: u64) -> Result<Option<Deadline>, Errno> {
    if address == 0 {
        return Ok(None);
    }
    let value: Timespec = hal::usercopy::read_user(address)?;
    Ok(Some(Deadline::Realtime(crate::timers::timespec_ns(
        &value,
    )?)))
}

pub fn mq_open(
    context: &mut SyscallContext<'_>,
    name: u64,
    oflag: i32,
    mode: u32,
    attr: u64,
) -> SyscallResult {
    let attr = if attr != 0 {
        Some(hal::usercopy::read_user::<MqAttr>(attr)?)
    } else {
        None
    };
    let name = hal::usercopy::read_user_cstr(name, PATH_MAX)?;
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    let limit = super::fcntl::descriptor_limit(context);
    let charge = crate::fs::file_table::charge_with_descriptor(context.thread, limit)?;
    if name.contains(&b'/') || name == b"." || name == b".." {
        return Err(Errno::EACCES);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let flags = OpenFlags::from_bits_retain(oflag as u32);
    let root = mqueue::root()?;
    let opened = with_ctx(context, |ctx| {
        match vfs::path::resolve(ctx, &root, &name, vfs::path::Lookup::default()) {
            Ok(_) => {
                if flags.contains(OpenFlags::O_CREAT | OpenFlags::O_EXCL) {
                    return Err(Errno::EEXIST);
                }
                if oflag as u32 & abi::fcntl::O_ACCMODE == 3 {
                    return Err(Errno::EINVAL);
                }
                let access = oflag as u32 & abi::fcntl::O_ACCMODE;
                let opened = vfs::namei::open(ctx, &root, &name, access, 0)?;
                Ok((opened.path, None))
            }
            Err(Errno::ENOENT) => {
                if !flags.contains(OpenFlags::O_CREAT) {
                    return Err(Errno::ENOENT);
                }
                let wanted = attr.map(|a| (a.mq_maxmsg, a.mq_msgsize));
                let prepared = mqueue::prepare_create(&creator(context), wanted)?;
                let create = abi::raw::general::O_CREAT
                    | abi::raw::general::O_EXCL
                    | (oflag as u32 & abi::fcntl::O_ACCMODE);
                let opened = vfs::namei::open(ctx, &root, &name, create, mode & 0o7777)?;
                let mq = prepared.register(opened.path.inode())?;
                Ok((opened.path, Some(mq)))
            }
            Err(error) => Err(error),
        }
    })?;
    let (path, created) = opened;
    let inode = path.inode().clone();
    let mq = match created {
        Some(mq) => mq,
        None => mqueue::queue_for(&inode, &creator(context))?,
    };
    let status = flags.keep_only(OpenFlags::from_bits_retain(
        abi::fcntl::O_ACCMODE | abi::raw::general::O_NONBLOCK,
    )) | OpenFlags::O_LARGEFILE;
    let file = Arc::new(OpenFile::new(
        Arc::new(MqueueFile::new(mq, inode)),
        Some(path),
        status,
        charge,
    ));
    let fd = context
        .thread
        .process
        .files
        .get()
        .lock()
        .insert_from(0, file, true, limit)?;
    Ok(fd as usize)
}

pub fn mq_unlink(context: &mut SyscallContext<'_>, name: u64) -> SyscallResult {
    let name = hal::usercopy::read_user_cstr(name, PATH_MAX)?;
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.contains(&b'/') || name == b"." || name == b".." {
        return Err(Errno::EACCES);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let root = mqueue::root()?;
    with_ctx(context, |ctx| vfs::namei::unlink(ctx, &root, &name))?;
    mqueue::after_unlink();
    Ok(0)
}

pub fn mq_timedsend(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    msg: u64,
    len: usize,
    priority: u32,
    timeout: u64,
) -> SyscallResult {
    if priority >= MQ_PRIO_MAX {
        return Err(Errno::EINVAL);
    }
    let deadline = deadline(timeout)?;
    let file = queue_file(context, fd)?;
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    let Some(queue) = file.ops.as_mqueue() else {
        return Err(Errno::EBADF);
    };
    let mq = &queue.mq;
    if len as u64 > mq.msgsize() as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let mut text = Vec::new();
    hal::mm::heap::user_data(|| text.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    text.resize(len, 0);
    hal::usercopy::copy_from_user(&mut text, msg)?;
    let nonblock = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let process = &context.thread.process;
    let uid = process.credentials.lock().uid;
    let message = ipcrules::mq::Message { priority, text };
    match mq.send(message, nonblock, (process.pid, uid))? {
        None => Ok(0),
        Some(waiter) => mqueue::sleep(mq, &waiter, true, deadline).map(|_| 0),
    }
}

pub fn mq_timedreceive(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    msg: u64,
    len: usize,
    priority: u64,
    timeout: u64,
) -> SyscallResult {
    let deadline = deadline(timeout)?;
    let file = queue_file(context, fd)?;
    if !file.is_readable() {
        return Err(Errno::EBADF);
    }
    let Some(queue) = file.ops.as_mqueue() else {
        return Err(Errno::EBADF);
    };
    let mq = &queue.mq;
    if (len as u64) < mq.msgsize() as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let nonblock = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let message = match mq.receive(nonblock)? {
        Ok(message) => message,
        Err(waiter) => mqueue::sleep(mq, &waiter, false, deadline)?.ok_or(Errno::EAGAIN)?,
    };
    if priority != 0 {
        hal::usercopy::write_user(priority, &message.priority)?;
    }
    hal::usercopy::copy_to_user(msg, &message.text)?;
    Ok(message.text.len())
}

pub fn mq_notify(context: &mut SyscallContext<'_>, fd: Fd, event: u64) -> SyscallResult {
    let mut thread = None;
    let signal = if event != 0 {
        let event: Sigevent = hal::usercopy::read_user(event)?;
        match event.sigev_notify {
            abi::time::SIGEV_NONE => Some(None),
            abi::time::SIGEV_SIGNAL => {
                if event.sigev_signo as u32 > sigrules::NSIG {
                    return Err(Errno::EINVAL);
                }
                Some(Some((event.sigev_signo, event.sigev_value)))
            }
            abi::time::SIGEV_THREAD => {
                // The cookie, then the netlink socket in sigev_signo (`netlink_getsockbyfilp`).
                let mut cookie = [0u8; crate::ipc::mqueue::NOTIFY_COOKIE_LEN];
                hal::usercopy::copy_from_user(&mut cookie, event.sigev_value)?;
                let file = context
                    .thread
                    .process
                    .files
                    .get()
                    .lock()
                    .get(event.sigev_signo)?;
                let socket = file.ops.as_socket().ok_or(Errno::ENOTSOCK)?;
                let crate::net::sockfile::Sock::Netlink(socket) = &socket.sock else {
                    return Err(Errno::EINVAL);
                };
                thread = Some((socket.clone(), cookie));
                Some(None)
            }
            _ => return Err(Errno::EINVAL),
        }
    } else {
        None
    };
    let file = queue_file(context, fd)?;
    let Some(queue) = file.ops.as_mqueue() else {
        return Err(Errno::EBADF);
    };
    queue
        .mq
        .set_notify(context.thread.process.pid, signal, thread)
        .map(|()| 0)
}

pub fn mq_getsetattr(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    new: u64,
    old: u64,
) -> SyscallResult {
    let wanted = if new != 0 {
        Some(hal::usercopy::read_user::<MqAttr>(new)?)
    } else {
        None
    };
    if let Some(wanted) = &wanted
        && wanted.mq_flags & !i64::from(abi::raw::general::O_NONBLOCK) != 0
    {
        return Err(Errno::EINVAL);
    }
    let file = queue_file(context, fd)?;
    let Some(queue) = file.ops.as_mqueue() else {
        return Err(Errno::EBADF);
    };
    let mut attr = queue.mq.attr();
    let flags = file.status_flags();
    attr.mq_flags = i64::from(flags.bits() & abi::raw::general::O_NONBLOCK);
    if let Some(wanted) = wanted {
        let nonblock = OpenFlags::from_bits_retain(abi::raw::general::O_NONBLOCK);
        file.set_status_flags(if wanted.mq_flags != 0 {
            flags | nonblock
        } else {
            flags.difference(nonblock)
        });
    }
    if old != 0 {
        hal::usercopy::write_user(old, &attr)?;
    }
    Ok(0)
}
