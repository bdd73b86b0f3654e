//! POSIX message queues (Linux's `ipc/mqueue.c`): the mqueue filesystem, each queue's state,
//! the `fs.mqueue` limits, `RLIMIT_MSGQUEUE` accounting and notifications. Message order and
//! hand-over are [`ipcrules::mq`]'s.
//!
//! The filesystem has one instance per IPC namespace (`mq_mnt`), a tmpfs named `mqueue`, root
//! `1777`: every `mount -t mqueue` shows the mounting caller's namespace's, `mq_open` creates and looks up names in its
//! root, `mq_unlink` unlinks there (the sticky bit's rules included). A queue's state lives in a
//! table beside the file, keyed by its inode; it goes (giving back the queue count and the
//! memory charge) once the file is unlinked and the last descriptor closed, noticed at the next
//! `mq_open`/`mq_unlink` (Linux's `evict_inode`). A file created in a mounted mqueue with
//! open(2) gets a queue with the default attributes when first opened (Linux's
//! `mqueue_create`).
//!
//! A descriptor is an open file of that inode: `read` gives the `QSIZE:` line, poll/select/epoll
//! report `POLLIN` when messages wait and `POLLOUT` while there is room. Each queue's state is
//! under its own spin lock (`ipc.mq.queue`); senders and receivers that sleep wait on their own
//! [`MqWaiter`], handed a message or a slot after the lock is released. Sleeps are interruptible
//! (`ERESTARTSYS`: restarted with `SA_RESTART`) and end at an absolute `CLOCK_REALTIME` timeout
//! (`ETIMEDOUT`).
//!
//! Notification (`mq_notify`): one process per queue; `SIGEV_SIGNAL` sends its signal with
//! `si_code` `SI_MESGQ`, the sender's pid and uid and the value, when a message arrives in an
//! empty queue that no receiver waits on; then the registration is gone. `SIGEV_NONE`
//! registers without a signal. `SIGEV_THREAD` registers a netlink socket (glibc opens one,
//! passes it in `sigev_signo` and its 32-byte cookie in `sigev_value`, and waits on it in a
//! helper thread): the notification queues the cookie on that socket with its last byte
//! `NOTIFY_WOKENUP`, and removing the registration queues it with `NOTIFY_REMOVED`.

use crate::fs::file::{FileOps, SeekPolicy};
use crate::fs::poll::{PollTable, poll_wait};
use crate::process::user::User;
use crate::sched::wait::WaitQueue;
use abi::Errno;
use abi::ipc::{
    DFLT_MSG, DFLT_MSGMAX, DFLT_MSGSIZE, DFLT_MSGSIZEMAX, DFLT_QUEUESMAX, MqAttr, SI_MESGQ,
};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, Ordering};
use hal::sync::SpinLock;
use ipcrules::mq::{Limits, Message, MqQueue, SendOutcome};
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption};
use vfs::inode::FileSystem;
use vfs::mount::Mount;
use vfs::{Inode, Metadata};

/// An IPC namespace's message-queue filesystem and its `fs.mqueue` limits.
pub struct MqNs {
    /// `msg_default`, `msg_max`, `msgsize_default`, `msgsize_max`, `queues_max`.
    knobs: [AtomicI64; 5],
    /// Queues in this namespace (`mq_queues_count`); each queue's charge holds it.
    count: Arc<AtomicI64>,
    instance: Instance,
}

impl MqNs {
    /// A namespace's start: Linux's defaults and a fresh instance.
    pub fn try_new() -> Result<MqNs, Errno> {
        Ok(MqNs {
            knobs: [
                AtomicI64::new(DFLT_MSG as i64),
                AtomicI64::new(DFLT_MSGMAX as i64),
                AtomicI64::new(DFLT_MSGSIZE as i64),
                AtomicI64::new(DFLT_MSGSIZEMAX as i64),
                AtomicI64::new(DFLT_QUEUESMAX as i64),
            ],
            count: Arc::new(AtomicI64::new(0)),
            instance: Instance::try_new()?,
        })
    }

    fn limits(&self) -> Limits {
        let get = |i: usize| self.knobs[i].load(Ordering::Relaxed);
        Limits {
            msg_max: get(1),
            msgsize_max: get(3),
            msg_default: get(0),
            msgsize_default: get(2),
        }
    }
}

/// The `fs.mqueue` entries of the caller's namespace: name, range (`mq_sysctl.c`).
pub static KNOBS: [(&[u8], (i64, i64)); 5] = [
    (
        b"msg_default",
        (abi::ipc::MIN_MSGMAX as i64, abi::ipc::HARD_MSGMAX as i64),
    ),
    (
        b"msg_max",
        (abi::ipc::MIN_MSGMAX as i64, abi::ipc::HARD_MSGMAX as i64),
    ),
    (
        b"msgsize_default",
        (
            abi::ipc::MIN_MSGSIZEMAX as i64,
            abi::ipc::HARD_MSGSIZEMAX as i64,
        ),
    ),
    (
        b"msgsize_max",
        (
            abi::ipc::MIN_MSGSIZEMAX as i64,
            abi::ipc::HARD_MSGSIZEMAX as i64,
        ),
    ),
    (b"queues_max", (i32::MIN as i64, i32::MAX as i64)),
];

/// The value of `KNOBS[index]` in the caller's namespace.
pub fn knob(index: usize) -> i64 {
    super::current().mq.knobs[index].load(Ordering::Relaxed)
}

/// Sets `KNOBS[index]` in the caller's namespace (the caller checked the range).
pub fn set_knob(index: usize, value: i64) {
    super::current().mq.knobs[index].store(value, Ordering::Relaxed);
}

/// The instance: its internal mount and root.
struct Instance {
    mount: Arc<Mount>,
    root: Arc<Dentry>,
}

impl Instance {
    fn try_new() -> Result<Instance, Errno> {
        let dev = crate::fs::filesystems::anonymous_dev()?;
        let options = vfs::tmpfs::TmpfsOptions {
            root_mode: 0o1777,
            dev: dev.dev(),
            fs_name: "mqueue",
            shows_options: false,
            max_bytes: None,
            max_inodes: None,
            default_max_bytes: None,
            default_max_inodes: None,
            ..crate::fs::filesystems::tmpfs_defaults()
        };
        let fs: Arc<dyn FileSystem> =
            vfs::tmpfs::Tmpfs::try_new(Arc::new(crate::fs::KernelClock), options)?;
        dev.hold(&fs);
        let root = Dentry::new_root(fs);
        let mount = Mount::new_internal(root.clone(), b"mqueue")?;
        Ok(Instance { mount, root })
    }
}

/// Makes the initial namespace's instance (at boot, before the types are registered).
pub fn init() -> Result<(), Errno> {
    crate::ns::initial();
    Ok(())
}

/// `mount -t mqueue`: the caller's IPC namespace's instance (`get_tree_keyed` on it).
pub struct MqueueType;

impl FileSystemType for MqueueType {
    fn name(&self) -> &'static str {
        "mqueue"
    }

    fn mount(
        &self,
        _source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        if !options.is_empty() {
            return Err(Errno::EINVAL);
        }
        let ns = super::current();
        ns.mq.instance.root.superblock().set_flags(sb_flags);
        Ok(ns.mq.instance.root.clone())
    }
}

/// The root of the caller's namespace's instance as a path (`mq_mnt`'s root).
pub fn root() -> Result<vfs::Path, Errno> {
    let ns = super::current();
    Ok(vfs::Path::new(
        ns.mq.instance.mount.clone(),
        ns.mq.instance.root.clone(),
    ))
}

/// Whether `inode` is a file of an mqueue filesystem (of any namespace).
pub fn is_mqueue_inode(dentry: &Dentry) -> bool {
    dentry.superblock().fs().name() == "mqueue"
}

/// The memory a queue charges to its creator's `RLIMIT_MSGQUEUE`; given back on drop.
struct Charge {
    user: Arc<User>,
    bytes: u64,
    /// The queue count of the namespace it was made in.
    count: Arc<AtomicI64>,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.user.mq_bytes.fetch_sub(self.bytes, Ordering::Relaxed);
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A registered notification.
struct Notify {
    owner: u32,
    /// `(signo, value)` for `SIGEV_SIGNAL`; `None` for `SIGEV_NONE`.
    signal: Option<(i32, u64)>,
    /// `SIGEV_THREAD`'s socket and cookie.
    thread: Option<(
        Arc<crate::net::netlink::NetlinkSocket>,
        [u8; NOTIFY_COOKIE_LEN],
    )>,
}

/// `NOTIFY_COOKIE_LEN`, and the cookie's last byte: `NOTIFY_WOKENUP`, `NOTIFY_REMOVED`.
pub const NOTIFY_COOKIE_LEN: usize = 32;
const NOTIFY_WOKENUP: u8 = 1;
const NOTIFY_REMOVED: u8 = 2;

/// Queues a `SIGEV_THREAD` cookie with its last byte set (`set_cookie`, `netlink_sendskb`).
fn send_cookie(notify: &Notify, state: u8) {
    if let Some((socket, cookie)) = &notify.thread {
        let mut data = Vec::new();
        if data.try_reserve_exact(NOTIFY_COOKIE_LEN).is_ok() {
            data.extend_from_slice(cookie);
            data[NOTIFY_COOKIE_LEN - 1] = state;
            crate::net::netlink::deliver_always(socket, data);
        }
    }
}

/// A sleeping sender or receiver: given its message (receiver) or its slot (sender).
pub struct MqWaiter {
    slot: SpinLock<Option<Option<Message>>>,
    queue: WaitQueue,
}

/// A waiter compared by identity.
#[derive(Clone)]
pub struct WaiterRef(Arc<MqWaiter>);

impl PartialEq for WaiterRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

fn new_waiter() -> WaiterRef {
    WaiterRef(Arc::new(MqWaiter {
        slot: SpinLock::new("ipc.mq.waiter", None),
        queue: WaitQueue::new(),
    }))
}

fn hand_over(waiter: &WaiterRef, message: Option<Message>) {
    *waiter.0.slot.lock() = Some(message);
    waiter.0.queue.wake_all();
}

struct Inner {
    queue: MqQueue<WaiterRef>,
    notify: Option<Notify>,
}

/// One queue.
pub struct Mq {
    inode: Weak<dyn Inode>,
    inner: SpinLock<Inner>,
    /// Pollers (`wait_q`).
    poll: Arc<WaitQueue>,
    _charge: Charge,
}

/// Every queue, with its file.
static QUEUES: SpinLock<Vec<Arc<Mq>>> = SpinLock::new("ipc.mq.table", Vec::new());

/// Forgets queues whose file is gone (unlinked and closed).
fn reap() {
    let dead: Vec<Arc<Mq>> = {
        let mut queues = QUEUES.lock();
        let mut dead = Vec::new();
        let mut index = 0;
        while index < queues.len() {
            if queues[index].inode.strong_count() == 0 && dead.try_reserve(1).is_ok() {
                dead.push(queues.swap_remove(index));
            } else {
                index += 1;
            }
        }
        dead
    };
    drop(dead);
}

fn find(inode: &Arc<dyn Inode>) -> Option<Arc<Mq>> {
    QUEUES
        .lock()
        .iter()
        .find(|mq| core::ptr::addr_eq(mq.inode.as_ptr(), Arc::as_ptr(inode)))
        .cloned()
}

/// Who creates a queue.
pub struct Creator {
    pub ruid: u32,
    pub is_resource_privileged: bool,
    pub rlimit_msgqueue: u64,
}

/// The checks and charges of a new queue (`mqueue_create_attr`, `mqueue_get_inode`): the
/// queue count (`ENOSPC`), the attributes (`EINVAL`, `EOVERFLOW`), the memory
/// (`RLIMIT_MSGQUEUE`: `EMFILE`). Returns the charge and the checked attributes.
fn prepare(creator: &Creator, attr: Option<(i64, i64)>) -> Result<(Charge, i64, i64), Errno> {
    reap();
    let ns = super::current();
    if ns.mq.count.load(Ordering::Relaxed) >= ns.mq.knobs[4].load(Ordering::Relaxed)
        && !creator.is_resource_privileged
    {
        return Err(Errno::ENOSPC);
    }
    let (maxmsg, msgsize) =
        ipcrules::mq::check_attr(attr, &ns.mq.limits(), creator.is_resource_privileged)?;
    let bytes = ipcrules::mq::charge(maxmsg, msgsize)?;
    let user = User::get(creator.ruid);
    let total = user.mq_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
    ns.mq.count.fetch_add(1, Ordering::Relaxed);
    let charge = Charge {
        user,
        bytes,
        count: ns.mq.count.clone(),
    };
    if total > creator.rlimit_msgqueue {
        return Err(Errno::EMFILE);
    }
    Ok((charge, maxmsg, msgsize))
}

/// Registers the queue of a newly created file.
fn register(inode: &Arc<dyn Inode>, prepared: (Charge, i64, i64)) -> Result<Arc<Mq>, Errno> {
    let (charge, maxmsg, msgsize) = prepared;
    // The size an mqueue file shows (`FILENT_SIZE`); its data is never read.
    inode.truncate(FILENT_SIZE)?;
    let mq = Arc::new(Mq {
        inode: Arc::downgrade(inode),
        inner: SpinLock::new(
            "ipc.mq.queue",
            Inner {
                queue: MqQueue::new(maxmsg, msgsize),
                notify: None,
            },
        ),
        poll: Arc::new(WaitQueue::new()),
        _charge: charge,
    });
    let mut queues = QUEUES.lock();
    queues.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    queues.push(mq.clone());
    Ok(mq)
}

/// The queue of `inode`, made with the default attributes if its file was created by open(2)
/// in a mounted mqueue.
pub fn queue_for(inode: &Arc<dyn Inode>, creator: &Creator) -> Result<Arc<Mq>, Errno> {
    if let Some(mq) = find(inode) {
        return Ok(mq);
    }
    let prepared = prepare(creator, None)?;
    register(inode, prepared)
}

/// A new queue for a file `mq_open` is about to create: the checks come first.
pub fn prepare_create(creator: &Creator, attr: Option<(i64, i64)>) -> Result<Prepared, Errno> {
    prepare(creator, attr).map(Prepared)
}

/// Checked attributes and their charge, waiting for the file.
pub struct Prepared((Charge, i64, i64));

impl Prepared {
    pub fn register(self, inode: &Arc<dyn Inode>) -> Result<Arc<Mq>, Errno> {
        register(inode, self.0)
    }
}

/// Forgets gone queues (after `mq_unlink`).
pub fn after_unlink() {
    reap();
}

impl Mq {
    /// `mq_getattr`'s fields but the flags.
    pub fn attr(&self) -> MqAttr {
        let inner = self.inner.lock();
        MqAttr {
            mq_maxmsg: inner.queue.maxmsg,
            mq_msgsize: inner.queue.msgsize,
            mq_curmsgs: inner.queue.curmsgs(),
            ..MqAttr::default()
        }
    }

    pub fn msgsize(&self) -> i64 {
        self.inner.lock().queue.msgsize
    }

    /// `mq_timedsend` (the caller checked the size and access): `Ok(None)` when done,
    /// `Ok(Some(waiter))` when the caller must wait for room.
    pub fn send(
        &self,
        message: Message,
        nonblock: bool,
        sender: (u32, u32),
    ) -> Result<Option<WaiterRef>, Errno> {
        let waiter = new_waiter();
        let mut delivered = Vec::new();
        let (outcome, notification) = {
            let mut inner = self.inner.lock();
            let outcome = inner
                .queue
                .send(waiter.clone(), message, nonblock, &mut delivered)?;
            let notification = match outcome {
                SendOutcome::Sent {
                    became_nonempty: true,
                } => inner.notify.take(),
                _ => None,
            };
            (outcome, notification)
        };
        for (receiver, message) in delivered {
            hand_over(&receiver, Some(message));
        }
        if let SendOutcome::Sent { became_nonempty } = outcome {
            if became_nonempty || self.inner.lock().queue.curmsgs() > 0 {
                self.poll.wake_all();
            }
            if let Some(notify) = notification {
                notify_owner(&notify, sender);
            }
            return Ok(None);
        }
        Ok(Some(waiter))
    }

    /// `mq_timedreceive` (the caller checked the size and access): the message, or the waiter
    /// the caller sleeps on.
    pub fn receive(&self, nonblock: bool) -> Result<Result<Message, WaiterRef>, Errno> {
        let waiter = new_waiter();
        let mut released = Vec::new();
        let received = self
            .inner
            .lock()
            .queue
            .receive(waiter.clone(), nonblock, &mut released)?;
        let Some(message) = received else {
            return Ok(Err(waiter));
        };
        if released.is_empty() {
            // pipelined_receive: room now, for pollers.
            self.poll.wake_all();
        }
        for sender in released {
            hand_over(&sender, None);
        }
        Ok(Ok(message))
    }

    /// Takes a waiter off the queue after an interrupted or timed-out sleep; `false` if it
    /// was served meanwhile (its hand-over is on its way).
    pub fn cancel(&self, waiter: &WaiterRef, is_sender: bool) -> bool {
        let mut inner = self.inner.lock();
        if is_sender {
            inner.queue.cancel_sender(waiter)
        } else {
            inner.queue.cancel_receiver(waiter)
        }
    }

    /// `mq_notify`: `None` removes the caller's registration (nothing if it has none);
    /// `EBUSY` if another is registered.
    pub fn set_notify(
        &self,
        owner: u32,
        signal: Option<Option<(i32, u64)>>,
        thread: Option<(
            Arc<crate::net::netlink::NetlinkSocket>,
            [u8; NOTIFY_COOKIE_LEN],
        )>,
    ) -> Result<(), Errno> {
        let mut inner = self.inner.lock();
        match signal {
            None if thread.is_none() => {
                let removed = if inner.notify.as_ref().is_some_and(|n| n.owner == owner) {
                    inner.notify.take()
                } else {
                    None
                };
                drop(inner);
                if let Some(removed) = removed {
                    send_cookie(&removed, NOTIFY_REMOVED);
                }
                Ok(())
            }
            _ if inner.notify.is_some() => Err(Errno::EBUSY),
            signal => {
                inner.notify = Some(Notify {
                    owner,
                    signal: signal.flatten(),
                    thread,
                });
                Ok(())
            }
        }
    }

    /// The `QSIZE:` line (`mqueue_read_file`).
    fn status_line(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let inner = self.inner.lock();
        let qsize = inner.queue.qsize();
        let (notify, signo, pid) = match &inner.notify {
            None => (0, 0, 0),
            Some(Notify {
                owner,
                thread: Some(_),
                ..
            }) => (abi::time::SIGEV_THREAD, 0, *owner),
            Some(Notify {
                owner,
                signal: Some((signo, _)),
                ..
            }) => (abi::time::SIGEV_SIGNAL, *signo, *owner),
            Some(Notify {
                owner,
                signal: None,
                ..
            }) => (abi::time::SIGEV_NONE, 0, *owner),
        };
        drop(inner);
        crate::out!(
            out,
            "QSIZE:{qsize:<10} NOTIFY:{notify:<5} SIGNO:{signo:<5} NOTIFY_PID:{pid:<6}\n"
        )
    }
}

/// Sends a registered notification (`__do_notify`): `sender` is the sender's `(pid, uid)`.
fn notify_owner(notify: &Notify, sender: (u32, u32)) {
    if notify.thread.is_some() {
        send_cookie(notify, NOTIFY_WOKENUP);
        return;
    }
    let Some((signo, value)) = notify.signal else {
        return;
    };
    if signo == 0 {
        return;
    }
    let Some(process) = crate::process::table::find_process(notify.owner) else {
        return;
    };
    let mut info = abi::signal::SigInfo::from_sender(signo, SI_MESGQ, sender.0, sender.1);
    info.fields[1] = value;
    crate::signal::send_to_process(&process, info);
}

/// Sleeps until `waiter` is served, a signal comes (`ERESTARTSYS`) or `deadline` passes
/// (`ETIMEDOUT`).
pub fn sleep(
    mq: &Mq,
    waiter: &WaiterRef,
    is_sender: bool,
    deadline: Option<crate::sched::timer::Deadline>,
) -> Result<Option<Message>, Errno> {
    let thread = crate::process::current();
    let condition = || waiter.0.slot.lock().take();
    match crate::sched::wait::wait_event_until(
        &thread,
        &[&waiter.0.queue],
        crate::sched::SleepKind::Interruptible,
        deadline,
        condition,
    ) {
        Ok(served) => Ok(served),
        Err(error) => {
            if mq.cancel(waiter, is_sender) {
                return Err(match error {
                    crate::sched::wait::WaitError::TimedOut => Errno::ETIMEDOUT,
                    crate::sched::wait::WaitError::Interrupted => Errno::ERESTARTSYS,
                });
            }
            crate::sched::wait::wait_event(
                &thread,
                &[&waiter.0.queue],
                crate::sched::SleepKind::Uninterruptible,
                None,
                || waiter.0.slot.lock().take(),
            )
            .map_err(|_| Errno::EINTR)
        }
    }
}

/// An open queue: the file operations of an mqueue file.
pub struct MqueueFile {
    pub mq: Arc<Mq>,
    inode: Arc<dyn Inode>,
}

impl MqueueFile {
    pub fn new(mq: Arc<Mq>, inode: Arc<dyn Inode>) -> MqueueFile {
        MqueueFile { mq, inode }
    }
}

impl FileOps for MqueueFile {
    fn read(&self, offset: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let mut line = Vec::new();
        self.mq.status_line(&mut line)?;
        let start = (offset as usize).min(line.len());
        let count = (line.len() - start).min(buf.len());
        buf[..count].copy_from_slice(&line[start..start + count]);
        Ok(count)
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.mq.poll);
        let inner = self.mq.inner.lock();
        let mut mask = 0;
        if inner.queue.curmsgs() > 0 {
            mask |= abi::poll::POLLIN | abi::poll::POLLRDNORM;
        }
        if !inner.queue.is_full() {
            mask |= abi::poll::POLLOUT | abi::poll::POLLWRNORM;
        }
        Some(mask)
    }

    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::Generic
    }

    fn metadata(&self) -> Metadata {
        self.inode.metadata()
    }

    fn as_mqueue(&self) -> Option<&MqueueFile> {
        Some(self)
    }
}

/// The file operations of an mqueue file opened with open(2) (the caller is the creator if
/// its queue must be made).
pub fn open_file(inode: &Arc<dyn Inode>) -> Result<Arc<dyn FileOps>, Errno> {
    let process = crate::process::current().process.clone();
    let (ruid, caps) = {
        let credentials = process.credentials.lock();
        (credentials.uid, credentials.caps.effective.0)
    };
    let rlimit_msgqueue = process
        .limits
        .lock()
        .get(crate::process::rlimit::RLIMIT_MSGQUEUE)
        .map_or(u64::MAX, |limit| limit.soft);
    let creator = Creator {
        ruid,
        is_resource_privileged: caps & (1 << abi::capability::CAP_SYS_RESOURCE) != 0,
        rlimit_msgqueue,
    };
    let mq = queue_for(inode, &creator)?;
    Ok(Arc::new(MqueueFile::new(mq, inode.clone())))
}

/// The size an mqueue file shows (`FILENT_SIZE`).
pub const FILENT_SIZE: u64 = 80;
