//! AF_UNIX sockets (Linux 6.1 `net/unix/af_unix.c`, unix(7)): stream, datagram and seqpacket
//! sockets with path, abstract and unnamed addresses, descriptor passing (`SCM_RIGHTS`) and
//! credentials (`SCM_CREDENTIALS`, `SO_PEERCRED`).
//!
//! A [`UnixSocket`] is Linux's `unix_sock`: its state (name, peer, receive queue, pending
//! connections, shutdown bits, pending error) sits behind a spin lock, `unix.state`, never
//! held across a user copy or a sleep, and never nested with another socket's (each step that
//! touches two sockets takes one, then the other). Receivers are serialised by a sleeping
//! mutex, `unix.io` (Linux's `iolock`), held across the copy to user memory so a reader
//! consumes what it copied. Every sleeper (readers, writers, `accept`, a `connect` waiting for
//! backlog room, pollers) waits on the socket's one wait queue; a wake-up is a recheck.
//!
//! The rules that stand alone (addresses, control messages, the receive queue, option values,
//! `/proc/net/unix`) come from the host-tested `unixsock` crate. Here:
//! - [`names`]: the bound names (abstract names, socket inodes), every socket for
//!   `/proc/net/unix`.
//! - [`conn`]: bind, autobind, listen, connect, accept, socketpair, shutdown, release.
//! - [`io`]: send and receive, with Linux's memory accounting: a sent message is charged to
//!   its sender (`sk_wmem_alloc`) until read; a sender waits while its charge reaches
//!   `SO_SNDBUF`; a datagram receiver queues at most `net.unix.max_dgram_qlen` (10) messages
//!   from senders it is not connected back to.
//! - [`gc`]: descriptors in flight, their per-user limit, and the collection of sockets that
//!   only in-flight descriptors keep alive (Linux's `unix_gc`).
//!
//! Not done yet: `SO_PEEK_OFF`, `MSG_OOB`, `SIOCATMARK`, `SO_PASSSEC`/`SCM_SECURITY`,
//! `SIOCUNIXFILE`, sock_diag netlink, network namespaces.

pub mod conn;
pub mod gc;
pub mod io;
pub mod names;

use crate::fs::file::OpenFile;
use crate::fs::poll::{
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRBAND, POLLWRNORM, PollTable, poll_wait,
};
use crate::sched::wait::WaitQueue;
use abi::Errno;
use abi::poll::POLLRDHUP;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use hal::sync::{Mutex, SpinLock};
use unixsock::SockType;
use unixsock::addr::UnixAddr;
use unixsock::cmsg::Ucred;
use unixsock::opt;
use unixsock::queue::{Attachment, Queue};

/// `RCV_SHUTDOWN`, `SEND_SHUTDOWN`, `SHUTDOWN_MASK`.
pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;
pub const SHUTDOWN_MASK: u8 = 3;

/// `net.unix.max_dgram_qlen`.
pub const MAX_DGRAM_QLEN: usize = 10;

/// Linux's `sk_state` for AF_UNIX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `TCP_CLOSE`: new, or a datagram socket.
    Close,
    /// `TCP_LISTEN`.
    Listen,
    /// `TCP_ESTABLISHED`: connected (datagram sockets too, once connected).
    Established,
}

/// Boolean socket options (`sock_flag`s and `SOCK_PASSCRED`).
pub mod flag {
    pub const PASSCRED: u32 = 1 << 0;
    pub const REUSEADDR: u32 = 1 << 1;
    pub const KEEPALIVE: u32 = 1 << 2;
    pub const LINGER: u32 = 1 << 3;
    pub const DEBUG: u32 = 1 << 4;
    pub const DONTROUTE: u32 = 1 << 5;
    pub const BROADCAST: u32 = 1 << 6;
    pub const OOBINLINE: u32 = 1 << 7;
    pub const REUSEPORT: u32 = 1 << 8;
    pub const NO_CHECK: u32 = 1 << 9;
}

/// What rides with a queued message: the sender (its charge, and its name for
/// `recvfrom`), credentials and descriptors.
pub struct Attach {
    sender: Arc<UnixSocket>,
    charge: usize,
    pub creds: Option<Ucred>,
    pub rights: gc::Rights,
}

impl Attachment for Attach {
    fn has_rights(&self) -> bool {
        !self.rights.is_empty()
    }

    fn same_sender(&self, other: &Self) -> bool {
        self.creds == other.creds
    }
}

impl Drop for Attach {
    fn drop(&mut self) {
        // The message is gone: its memory no longer counts against the sender.
        self.sender.wmem.fetch_sub(self.charge, Ordering::AcqRel);
        self.sender.wait.wake_all();
    }
}

/// The state behind `unix.state`.
pub struct State {
    pub phase: Phase,
    /// The socket has a file (Linux's `sk_socket`): not a connection waiting in a backlog.
    pub has_file: bool,
    pub addr: Option<UnixAddr>,
    /// The socket inode a path name was bound to (held while bound).
    pub path: Option<vfs::Path>,
    pub peer: Option<Arc<UnixSocket>>,
    pub queue: Queue<Attach>,
    /// Connections waiting for `accept` (a listener).
    pub pending: VecDeque<Arc<UnixSocket>>,
    pub backlog: u32,
    pub shutdown: u8,
    /// `sk_err`: reported once by the next call that looks.
    pub error: Option<Errno>,
    /// Released (`SOCK_DEAD`).
    pub is_dead: bool,
    /// `sk_peer_pid`/`sk_peer_cred`.
    pub peercred: Option<Ucred>,
}

/// An AF_UNIX socket (`unix_sock`).
pub struct UnixSocket {
    pub sock_type: SockType,
    pub ino: u64,
    uid: u32,
    gid: u32,
    ctime_ns: u64,
    pub state: SpinLock<State>,
    /// Serialises readers (`iolock`).
    pub io_lock: Mutex<()>,
    pub wait: Arc<WaitQueue>,
    /// Memory of sent messages not yet read (`sk_wmem_alloc`).
    pub wmem: AtomicUsize,
    pub sndbuf: AtomicU32,
    pub rcvbuf: AtomicU32,
    pub flags: AtomicU32,
    /// Timeouts in jiffies ([`opt::NO_TIMEOUT`]: none).
    pub rcvtimeo: AtomicU64,
    pub sndtimeo: AtomicU64,
    /// `SO_LINGER`'s time in seconds, `SO_RCVLOWAT`, `SO_PRIORITY`.
    pub linger_secs: AtomicU32,
    pub rcvlowat: AtomicU32,
    pub priority: AtomicU32,
    /// The file of this socket, for the collector (a weak link: the file owns the socket).
    file: SpinLock<Weak<OpenFile>>,
    /// Copies of this socket's file in flight in messages.
    pub inflight: AtomicUsize,
    /// Files that asked for I/O signals (`wq->fasync_list`).
    pub fasync: crate::fs::fasync::FasyncList,
}

impl UnixSocket {
    /// A new socket of `sock_type` owned by `uid`/`gid` (its fstat owner), listed in
    /// `/proc/net/unix`.
    pub fn new(sock_type: SockType, uid: u32, gid: u32) -> Result<Arc<UnixSocket>, Errno> {
        let socket = Arc::new(UnixSocket {
            sock_type,
            ino: crate::fs::pipe::next_pseudo_ino(),
            uid,
            gid,
            ctime_ns: crate::time::realtime_ns(),
            state: SpinLock::new(
                "unix.state",
                State {
                    phase: Phase::Close,
                    has_file: true,
                    addr: None,
                    path: None,
                    peer: None,
                    queue: Queue::new(),
                    pending: VecDeque::new(),
                    backlog: 0,
                    shutdown: 0,
                    error: None,
                    is_dead: false,
                    peercred: None,
                },
            ),
            io_lock: Mutex::new("unix.io", ()),
            wait: Arc::new(WaitQueue::new()),
            wmem: AtomicUsize::new(0),
            sndbuf: AtomicU32::new(opt::WMEM_DEFAULT),
            rcvbuf: AtomicU32::new(opt::RMEM_DEFAULT),
            flags: AtomicU32::new(0),
            rcvtimeo: AtomicU64::new(opt::NO_TIMEOUT),
            sndtimeo: AtomicU64::new(opt::NO_TIMEOUT),
            linger_secs: AtomicU32::new(0),
            rcvlowat: AtomicU32::new(1),
            priority: AtomicU32::new(0),
            file: SpinLock::new("unix.file", Weak::new()),
            inflight: AtomicUsize::new(0),
            fasync: crate::fs::fasync::FasyncList::new(),
        });
        names::register(&socket)?;
        Ok(socket)
    }

    pub fn has_flag(&self, bit: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & bit != 0
    }

    pub fn set_flag(&self, bit: u32, value: bool) {
        if value {
            self.flags.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Notes the file this socket is opened as (for the collector).
    pub fn set_file(&self, file: &Arc<OpenFile>) {
        *self.file.lock() = Arc::downgrade(file);
    }

    pub fn file(&self) -> Option<Arc<OpenFile>> {
        self.file.lock().upgrade()
    }

    pub fn owner(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }

    pub fn ctime_ns(&self) -> u64 {
        self.ctime_ns
    }

    /// `unix_writable`: not listening, and the memory in flight is at most a quarter of
    /// `SO_SNDBUF`.
    fn is_writable(&self, phase: Phase) -> bool {
        phase != Phase::Listen
            && self.wmem.load(Ordering::Acquire) << 2
                <= self.sndbuf.load(Ordering::Relaxed) as usize
    }

    /// `sock_error`: takes the pending error.
    pub fn take_error(&self) -> Option<Errno> {
        self.state.lock().error.take()
    }

    /// Readiness (`unix_poll` for streams, `unix_dgram_poll` for datagrams and seqpacket).
    pub fn poll(&self, mut table: Option<&mut PollTable>) -> u16 {
        poll_wait(&mut table, &self.wait);
        let state = self.state.lock();
        let mut mask = 0;
        if state.error.is_some() {
            mask |= POLLERR;
        }
        if state.shutdown == SHUTDOWN_MASK {
            mask |= POLLHUP;
        }
        if state.shutdown & RCV_SHUTDOWN != 0 {
            mask |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if !state.queue.is_empty() || !state.pending.is_empty() {
            mask |= POLLIN | POLLRDNORM;
        }
        let writable_mask = POLLOUT | POLLWRNORM | POLLWRBAND;
        match self.sock_type {
            SockType::Stream => {
                if state.phase == Phase::Close {
                    mask |= POLLHUP;
                }
                if self.is_writable(state.phase) {
                    mask |= writable_mask;
                }
            }
            SockType::Seqpacket | SockType::Dgram => {
                if self.sock_type == SockType::Seqpacket && state.phase == Phase::Close {
                    mask |= POLLHUP;
                }
                let mut writable = self.is_writable(state.phase);
                let peer = state.peer.clone();
                drop(state);
                if let Some(peer) = peer
                    && writable
                {
                    // A datagram peer that is not connected back may have a full queue.
                    poll_wait(&mut table, &peer.wait);
                    let other = peer.state.lock();
                    let is_ours = other
                        .peer
                        .as_ref()
                        .is_some_and(|p| core::ptr::eq(&**p, self));
                    if !is_ours && other.queue.len() > MAX_DGRAM_QLEN {
                        writable = false;
                    }
                }
                if writable {
                    mask |= writable_mask;
                }
                return mask;
            }
        }
        mask
    }

    /// `SIOCINQ`: unread bytes (streams and seqpacket), the first datagram's length
    /// (datagrams); `EINVAL` on a listening socket.
    pub fn inq(&self) -> Result<usize, Errno> {
        let state = self.state.lock();
        if state.phase == Phase::Listen {
            return Err(Errno::EINVAL);
        }
        Ok(match self.sock_type {
            SockType::Dgram => state.queue.front().map_or(0, |m| m.data.len()),
            _ => state.queue.bytes(),
        })
    }

    /// `SIOCOUTQ`: memory of sent messages not yet read.
    pub fn outq(&self) -> usize {
        self.wmem.load(Ordering::Acquire)
    }

    /// The name (`getsockname`).
    pub fn name(&self) -> Option<UnixAddr> {
        self.state.lock().addr.clone()
    }

    /// The peer's name (`getpeername`): `ENOTCONN` without a peer.
    pub fn peer_name(&self) -> Result<Option<UnixAddr>, Errno> {
        let peer = self.state.lock().peer.clone().ok_or(Errno::ENOTCONN)?;
        let name = peer.state.lock().addr.clone();
        Ok(name)
    }

    pub fn is_listening(&self) -> bool {
        self.state.lock().phase == Phase::Listen
    }

    /// `SO_PEERCRED`.
    pub fn peercred(&self) -> Ucred {
        self.state.lock().peercred.unwrap_or(Ucred {
            pid: 0,
            uid: u32::MAX,
            gid: u32::MAX,
        })
    }
}

/// The credentials of the calling process as `SO_PEERCRED` records them (`cred_to_ucred`:
/// the thread group id, effective uid and gid).
pub fn current_peercred() -> Ucred {
    match crate::process::try_current() {
        Some(thread) => {
            let credentials = thread.process.credentials.lock();
            Ucred {
                pid: thread.process.pid as i32,
                uid: credentials.euid,
                gid: credentials.egid,
            }
        }
        None => Ucred::default(),
    }
}

/// The credentials a message carries (`scm_set_cred`: the thread group id, real uid and gid).
pub fn current_scm_creds() -> Ucred {
    match crate::process::try_current() {
        Some(thread) => {
            let credentials = thread.process.credentials.lock();
            Ucred {
                pid: thread.process.pid as i32,
                uid: credentials.uid,
                gid: credentials.gid,
            }
        }
        None => Ucred::default(),
    }
}

/// Messages and connections taken out of sockets under their locks, dropped after (their
/// drops wake senders and may close files).
pub type Purged = (
    VecDeque<unixsock::queue::Message<Attach>>,
    VecDeque<Arc<UnixSocket>>,
);

/// How long a call may wait (`sock_rcvtimeo`/`sock_sndtimeo`): fixed when the call starts.
#[derive(Clone, Copy)]
pub enum Deadline {
    /// `O_NONBLOCK`, `MSG_DONTWAIT` or a zero timeout: `EAGAIN` at once.
    NoWait,
    Forever,
    /// CLOCK_MONOTONIC nanoseconds.
    At(u64),
}

impl Deadline {
    /// The deadline for a call that may wait `timeo` jiffies, unless `is_nonblocking`.
    pub fn new(is_nonblocking: bool, timeo: u64) -> Deadline {
        if is_nonblocking || timeo == 0 {
            return Deadline::NoWait;
        }
        match opt::timeout_ns(timeo) {
            None => Deadline::Forever,
            Some(ns) => Deadline::At(crate::time::monotonic_ns().saturating_add(ns)),
        }
    }

    pub fn is_nowait(self) -> bool {
        matches!(self, Deadline::NoWait)
    }

    /// Sleeps on `queues` until `condition` holds: `EAGAIN` when the deadline has passed (or
    /// there is none to wait for), `ERESTARTSYS` on a signal without a timeout and `EINTR`
    /// with one (`sock_intr_errno`).
    pub fn wait<R>(
        self,
        queues: &[&WaitQueue],
        condition: impl FnMut() -> Option<R>,
    ) -> Result<R, Errno> {
        let deadline_ns = match self {
            Deadline::NoWait => return Err(Errno::EAGAIN),
            Deadline::Forever => None,
            Deadline::At(ns) => Some(ns),
        };
        let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
        crate::sched::wait::wait_event(
            &thread,
            queues,
            crate::sched::SleepKind::Interruptible,
            deadline_ns,
            condition,
        )
        .map_err(|error| match (error, self) {
            (crate::sched::wait::WaitError::TimedOut, _) => Errno::EAGAIN,
            (_, Deadline::Forever) => Errno::ERESTARTSYS,
            _ => Errno::EINTR,
        })
    }
}
