//! System V message queues (Linux's `ipc/msg.c`): the queues, their limits (`kernel.msgmax`,
//! `msgmnb`, `msgmni`), and `/proc/sysvipc/msg`. Message selection and hand-over are
//! [`ipcrules::msg`]'s; each queue's state is under its own spin lock (`ipc.msg.queue`).
//!
//! A receiver that finds nothing sleeps with a [`MsgWaiter`] on the queue: a sender hands it a
//! matching message directly (or `E2BIG` if its buffer is too small), removal wakes it with
//! `EIDRM`, and `IPC_SET` with `EAGAIN` (it looks again, permissions first). A sender whose
//! message does not fit sleeps on the queue's `senders` wait queue until a receive, `IPC_SET`
//! or removal changes that. Both sleeps end at a signal with `ERESTARTNOHAND` (restarted after
//! a stop, `EINTR` with a handler, whatever `SA_RESTART` says).
//!
//! A new queue's `msg_qbytes` is `kernel.msgmnb`; a message is at most `kernel.msgmax` bytes;
//! at most `kernel.msgmni` queues exist (`ENOSPC`). `MSG_INFO` counts the queued messages and
//! bytes of all queues. Not done: IPC namespaces.

use super::util::{Ids, IpcObject, now_secs};
use crate::sched::wait::WaitQueue;
use abi::Errno;
use abi::ipc::{MSGMAX, MSGMNB, MSGMNI, MsqidDs};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use hal::sync::SpinLock;
use ipcrules::msg::{Delivery, MsgQueue};
use ipcrules::perm::{Cred, KernPerm};

/// An IPC namespace's message queues and their limits.
pub struct MsgNs {
    max: AtomicI32,
    mnb: AtomicI32,
    mni: AtomicI32,
    /// Messages and bytes queued in all its queues (`percpu_msg_hdrs`, `percpu_msg_bytes`).
    hdrs: AtomicI64,
    bytes: AtomicI64,
    pub ids: Ids<MsgQueueObject>,
}

impl MsgNs {
    /// A namespace's start: Linux's defaults, no queues.
    pub fn new() -> MsgNs {
        MsgNs {
            max: AtomicI32::new(MSGMAX),
            mnb: AtomicI32::new(MSGMNB),
            mni: AtomicI32::new(MSGMNI),
            hdrs: AtomicI64::new(0),
            bytes: AtomicI64::new(0),
            ids: Ids::new("ipc.msg.ids"),
        }
    }
}

/// `kernel.msgmax`, `kernel.msgmnb`, `kernel.msgmni` of the caller's namespace.
pub fn msgmax() -> i32 {
    super::current().msg.max.load(Ordering::Relaxed)
}
pub fn msgmnb() -> i32 {
    super::current().msg.mnb.load(Ordering::Relaxed)
}
pub fn msgmni() -> i32 {
    super::current().msg.mni.load(Ordering::Relaxed)
}
pub fn set_msgmax(value: i64) {
    super::current()
        .msg
        .max
        .store(value as i32, Ordering::Relaxed);
}
pub fn set_msgmnb(value: i64) {
    super::current()
        .msg
        .mnb
        .store(value as i32, Ordering::Relaxed);
}
pub fn set_msgmni(value: i64) {
    super::current()
        .msg
        .mni
        .store(value as i32, Ordering::Relaxed);
}

/// `(messages, bytes)` queued in all queues of the caller's namespace.
pub fn totals() -> (i64, i64) {
    let ns = super::current();
    (
        ns.msg.hdrs.load(Ordering::Relaxed),
        ns.msg.bytes.load(Ordering::Relaxed),
    )
}

/// Counts a message in or out of the totals.
pub fn account(bytes: usize, is_in: bool) {
    let sign = if is_in { 1 } else { -1 };
    let ns = super::current();
    ns.msg.hdrs.fetch_add(sign, Ordering::Relaxed);
    ns.msg
        .bytes
        .fetch_add(sign * bytes as i64, Ordering::Relaxed);
}

/// A receiver asleep on a queue: what a sender or the queue's removal gives it.
pub struct MsgWaiter {
    slot: SpinLock<Option<Delivery>>,
    pub queue: WaitQueue,
}

impl MsgWaiter {
    pub fn new() -> Arc<MsgWaiter> {
        Arc::new(MsgWaiter {
            slot: SpinLock::new("ipc.msg.receiver", None),
            queue: WaitQueue::new(),
        })
    }

    /// Takes what was delivered, if anything was.
    pub fn take(&self) -> Option<Delivery> {
        self.slot.lock().take()
    }
}

/// Hands deliveries to woken receivers (after the queue's lock is released).
pub fn deliver(wakes: Vec<(Arc<MsgWaiter>, Delivery)>) {
    for (waiter, delivery) in wakes {
        *waiter.slot.lock() = Some(delivery);
        waiter.queue.wake_all();
    }
}

/// A queue's state.
pub struct MsgState {
    pub perm: KernPerm,
    pub is_deleted: bool,
    pub ctime: i64,
    pub queue: MsgQueue<Arc<MsgWaiter>>,
}

/// One message queue.
pub struct MsgQueueObject {
    pub id: i32,
    pub state: SpinLock<MsgState>,
    /// Senders waiting for room (`q_senders`).
    pub senders: WaitQueue,
}

impl IpcObject for MsgQueueObject {
    fn id(&self) -> i32 {
        self.id
    }
}

impl MsgQueueObject {
    /// `IPC_STAT`'s answer.
    pub fn stat(&self) -> Result<MsqidDs, Errno> {
        let state = self.state.lock();
        if state.is_deleted {
            return Err(Errno::EIDRM);
        }
        let queue = &state.queue;
        Ok(MsqidDs {
            perm: state.perm.to_ipc64(),
            stime: queue.stime,
            rtime: queue.rtime,
            ctime: state.ctime,
            cbytes: queue.cbytes,
            qnum: queue.qnum(),
            qbytes: queue.qbytes,
            lspid: queue.lspid as i32,
            lrpid: queue.lrpid as i32,
            ..MsqidDs::default()
        })
    }
}

/// `msgget`.
pub fn get(key: i32, flags: i32, cred: &Cred<'_>) -> Result<i32, Errno> {
    let ns = super::current();
    ns.msg.ids.get(
        key,
        flags,
        msgmni().max(0) as u32,
        |queue| {
            if !cred.may_access(&queue.state.lock().perm, flags as u32) {
                return Err(Errno::EACCES);
            }
            Ok(())
        },
        |id| {
            Ok(Arc::new(MsgQueueObject {
                id,
                state: SpinLock::new(
                    "ipc.msg.queue",
                    MsgState {
                        perm: KernPerm::new(key, id, cred, flags),
                        is_deleted: false,
                        ctime: now_secs(),
                        queue: MsgQueue::new(msgmnb().max(0) as u64),
                    },
                ),
                senders: WaitQueue::new(),
            }))
        },
    )
}

/// `IPC_RMID` (`freeque`): receivers get `EIDRM`, senders wake to find it gone, the messages
/// go.
pub fn remove(queue: &MsgQueueObject) {
    let mut wakes = Vec::new();
    let ns = super::current();
    let mut locked = ns.msg.ids.lock();
    {
        let mut state = queue.state.lock();
        if state.is_deleted {
            return;
        }
        state.is_deleted = true;
        let (count, bytes) = (state.queue.qnum() as i64, state.queue.cbytes as i64);
        ns.msg.hdrs.fetch_sub(count, Ordering::Relaxed);
        ns.msg.bytes.fetch_sub(bytes, Ordering::Relaxed);
        state.queue.expunge_all(Errno::EIDRM, &mut wakes);
        state.queue.clear();
    }
    locked.remove(queue);
    drop(locked);
    deliver(wakes);
    queue.senders.wake_all();
}

/// `/proc/sysvipc/msg` (`sysvipc_msg_proc_show`).
pub fn proc_show(out: &mut Vec<u8>) -> Result<(), Errno> {
    crate::out!(
        out,
        "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"
    )?;
    for queue in super::current().msg.ids.all()? {
        let state = queue.state.lock();
        let perm = state.perm;
        let q = &state.queue;
        let fields = (
            q.cbytes,
            q.qnum(),
            q.lspid,
            q.lrpid,
            q.stime,
            q.rtime,
            state.ctime,
        );
        drop(state);
        let (cbytes, qnum, lspid, lrpid, stime, rtime, ctime) = fields;
        crate::out!(
            out,
            "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}\n",
            perm.key,
            queue.id,
            perm.mode,
            cbytes,
            qnum,
            lspid,
            lrpid,
            perm.uid,
            perm.gid,
            perm.cuid,
            perm.cgid,
            stime,
            rtime,
            ctime
        )?;
    }
    Ok(())
}
