//! msgget, msgsnd, msgrcv, msgctl (Linux's `ipc/msg.c`); the queues live in
//! [`crate::ipc::msg`].
//!
//! Linux's order of checks. `msgsnd`: the type is read (`EFAULT`), the size checked against
//! `kernel.msgmax` and the id against 0 (`EINVAL`), the type against 1 (`EINVAL`), the text
//! copied in (`EFAULT`) before the id is looked up (`EINVAL`); then, each time round, write
//! permission (`EACCES`), removal (`EIDRM`), room (`EAGAIN` with `IPC_NOWAIT`, else sleep).
//! `msgrcv`: the id and size (`EINVAL`), `MSG_COPY`'s rules (`EINVAL` with `MSG_EXCEPT` or
//! without `IPC_NOWAIT`; its buffer is read first, as Linux loads it), the id, then read
//! permission, removal, the message (`E2BIG` if larger than the buffer without
//! `MSG_NOERROR`, which truncates), `ENOMSG` with `IPC_NOWAIT`. The message is consumed even
//! if copying it out faults (`EFAULT`). `msgctl`: negative ids and commands are `EINVAL`, as
//! is `IPC_64` (x86-64 has no old ABI); `IPC_SET` beyond `kernel.msgmnb` needs
//! `CAP_SYS_RESOURCE` (`EPERM`).

use super::{SyscallContext, SyscallResult};
use crate::ipc::msg::{self, MsgQueueObject, MsgWaiter};
use crate::ipc::util::{now_secs, with_cred};
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, wait_event};
use abi::Errno;
use abi::capability::CAP_SYS_RESOURCE;
use abi::ipc::{
    IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, MSG_COPY, MSG_EXCEPT, MSG_INFO, MSG_NOERROR,
    MSG_STAT, MSG_STAT_ANY, MSGMAP, MSGPOOL, MSGSEG, MSGSSZ, MSGTQL, MsgInfo, MsqidDs,
};
use alloc::sync::Arc;
use alloc::vec::Vec;
use ipcrules::msg::{Message, convert_mode};
use ipcrules::perm::{READ, WRITE};

pub fn msgget(context: &mut SyscallContext<'_>, key: i32, flags: i32) -> SyscallResult {
    with_cred(&context.thread.process, |cred| msg::get(key, flags, cred)).map(|id| id as usize)
}

fn check_access(context: &SyscallContext<'_>, queue: &MsgQueueObject, access: u32) -> bool {
    with_cred(&context.thread.process, |cred| {
        cred.may_access(&queue.state.lock().perm, access)
    })
}

/// A buffer of `len` bytes read from user memory at `address` (`load_msg`).
fn load(address: u64, len: usize) -> Result<Vec<u8>, Errno> {
    let mut text = Vec::new();
    hal::mm::heap::user_data(|| text.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    text.resize(len, 0);
    hal::usercopy::copy_from_user(&mut text, address)?;
    Ok(text)
}

pub fn msgsnd(
    context: &mut SyscallContext<'_>,
    id: i32,
    msgp: u64,
    size: u64,
    flags: i32,
) -> SyscallResult {
    let mtype: i64 = hal::usercopy::read_user(msgp)?;
    if size > msg::msgmax().max(0) as u64 || (size as i64) < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let text = load(msgp.wrapping_add(8), size as usize)?;
    let queue = crate::ipc::current().msg.ids.lookup(id)?;
    let thread = context.thread;
    let pid = thread.process.pid;
    let mut message = Some(Message { mtype, text });
    loop {
        if !check_access(context, &queue, WRITE) {
            return Err(Errno::EACCES);
        }
        let mut wakes = Vec::new();
        {
            let mut state = queue.state.lock();
            if state.is_deleted {
                return Err(Errno::EIDRM);
            }
            if state.queue.fits(size as usize) {
                let Some(message) = message.take() else {
                    return Err(Errno::EINVAL);
                };
                let before = state.queue.qnum();
                state.queue.send(message, pid, now_secs(), &mut wakes)?;
                if state.queue.qnum() > before {
                    msg::account(size as usize, true);
                }
            } else if flags & IPC_NOWAIT != 0 {
                return Err(Errno::EAGAIN);
            }
        }
        if message.is_none() {
            msg::deliver(wakes);
            return Ok(0);
        }
        let result = wait_event(
            thread,
            &[&queue.senders],
            SleepKind::Interruptible,
            None,
            || {
                let state = queue.state.lock();
                (state.is_deleted || state.queue.fits(size as usize)).then_some(())
            },
        );
        if result == Err(WaitError::Interrupted) {
            return Err(Errno::ERESTARTNOHAND);
        }
    }
}

pub fn msgrcv(
    context: &mut SyscallContext<'_>,
    id: i32,
    msgp: u64,
    size: u64,
    msgtyp: i64,
    flags: i32,
) -> SyscallResult {
    if id < 0 || (size as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let copy_limit = if flags & MSG_COPY != 0 {
        if flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0 {
            return Err(Errno::EINVAL);
        }
        let limit = (size as usize).min(msg::msgmax().max(0) as usize);
        drop(load(msgp, limit)?);
        Some(limit)
    } else {
        None
    };
    let (mode, typ) = convert_mode(msgtyp, flags);
    let queue = crate::ipc::current().msg.ids.lookup(id)?;
    let thread = context.thread;
    let pid = thread.process.pid;
    let max_size = if flags & MSG_NOERROR != 0 {
        i32::MAX as usize
    } else {
        size as usize
    };
    let message = loop {
        if !check_access(context, &queue, READ) {
            return Err(Errno::EACCES);
        }
        let waiter = MsgWaiter::new();
        let found = {
            let mut state = queue.state.lock();
            if state.is_deleted {
                return Err(Errno::EIDRM);
            }
            if let Some(index) = state.queue.find(mode, typ) {
                let len = state.queue.peek(index).map_or(0, |m| m.text.len());
                if (size as usize) < len && flags & MSG_NOERROR == 0 {
                    return Err(Errno::E2BIG);
                }
                if let Some(limit) = copy_limit {
                    // copy_msg: the copy buffer holds at most min(size, msgmax) bytes.
                    if len > limit {
                        return Err(Errno::EINVAL);
                    }
                    let original = state.queue.peek(index).ok_or(Errno::ENOMSG)?;
                    let mut text = Vec::new();
                    text.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
                    text.extend_from_slice(&original.text);
                    Some(Message {
                        mtype: original.mtype,
                        text,
                    })
                } else {
                    let message = state
                        .queue
                        .take(index, pid, now_secs())
                        .ok_or(Errno::ENOMSG)?;
                    msg::account(message.text.len(), false);
                    Some(message)
                }
            } else if flags & IPC_NOWAIT != 0 {
                return Err(Errno::ENOMSG);
            } else {
                state
                    .queue
                    .add_receiver(waiter.clone(), mode, typ, max_size, pid)?;
                None
            }
        };
        if let Some(message) = found {
            if copy_limit.is_none() {
                queue.senders.wake_all();
            }
            break message;
        }
        let delivery = match wait_event(
            thread,
            &[&waiter.queue],
            SleepKind::Interruptible,
            None,
            || waiter.take(),
        ) {
            Ok(delivery) => delivery,
            Err(_) => {
                let is_queued = {
                    let mut state = queue.state.lock();
                    state.queue.cancel_receiver(|w| Arc::ptr_eq(w, &waiter))
                };
                if is_queued {
                    return Err(Errno::ERESTARTNOHAND);
                }
                // Handed something at the same moment: take it.
                wait_event(
                    thread,
                    &[&waiter.queue],
                    SleepKind::Uninterruptible,
                    None,
                    || waiter.take(),
                )
                .unwrap_or(Err(Errno::EINTR))
            }
        };
        match delivery {
            Ok(message) => break message,
            Err(Errno::EAGAIN) => continue,
            Err(error) => return Err(error),
        }
    };
    // do_msg_fill: the type, then as much of the text as fits.
    hal::usercopy::write_user(msgp, &message.mtype)?;
    let len = message.text.len().min(size as usize);
    hal::usercopy::copy_to_user(msgp.wrapping_add(8), &message.text[..len])?;
    Ok(len)
}

pub fn msgctl(context: &mut SyscallContext<'_>, id: i32, command: i32, buf: u64) -> SyscallResult {
    if id < 0 || command < 0 {
        return Err(Errno::EINVAL);
    }
    match command {
        IPC_INFO | MSG_INFO => {
            let (in_use, max_index) = crate::ipc::current().msg.ids.usage();
            let (hdrs, bytes) = msg::totals();
            let is_usage = command == MSG_INFO;
            let info = MsgInfo {
                msgpool: if is_usage { in_use as i32 } else { MSGPOOL },
                msgmap: if is_usage {
                    hdrs.min(i32::MAX.into()) as i32
                } else {
                    MSGMAP
                },
                msgmax: msg::msgmax(),
                msgmnb: msg::msgmnb(),
                msgmni: msg::msgmni(),
                msgssz: MSGSSZ,
                msgtql: if is_usage {
                    bytes.min(i32::MAX.into()) as i32
                } else {
                    MSGTQL
                },
                msgseg: MSGSEG,
                pad: 0,
            };
            hal::usercopy::write_user(buf, &info)?;
            Ok(max_index.max(0) as usize)
        }
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            let queue = if command == IPC_STAT {
                crate::ipc::current().msg.ids.lookup(id)?
            } else {
                crate::ipc::current().msg.ids.lookup_index(id)?
            };
            if command != MSG_STAT_ANY && !check_access(context, &queue, READ) {
                return Err(Errno::EACCES);
            }
            let stat = queue.stat()?;
            hal::usercopy::write_user(buf, &stat)?;
            Ok(if command == IPC_STAT {
                0
            } else {
                queue.id as usize
            })
        }
        IPC_SET | IPC_RMID => {
            let wanted = if command == IPC_SET {
                Some(hal::usercopy::read_user::<MsqidDs>(buf)?)
            } else {
                None
            };
            let queue = crate::ipc::current().msg.ids.lookup(id)?;
            let mut wakes = Vec::new();
            with_cred(&context.thread.process, |cred| {
                if !cred.may_control(&queue.state.lock().perm) {
                    return Err(Errno::EPERM);
                }
                let Some(wanted) = &wanted else {
                    return Ok(());
                };
                if wanted.qbytes > msg::msgmnb().max(0) as u64 && !cred.has(CAP_SYS_RESOURCE) {
                    return Err(Errno::EPERM);
                }
                let mut state = queue.state.lock();
                if state.is_deleted {
                    return Err(Errno::EIDRM);
                }
                state.perm.update(&wanted.perm)?;
                state.queue.qbytes = wanted.qbytes;
                state.ctime = now_secs();
                // Sleeping receivers look again (permissions may exclude them now).
                state.queue.expunge_all(Errno::EAGAIN, &mut wakes);
                Ok(())
            })?;
            if command == IPC_RMID {
                msg::remove(&queue);
            } else {
                msg::deliver(wakes);
                queue.senders.wake_all();
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
