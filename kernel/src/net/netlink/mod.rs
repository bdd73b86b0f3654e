//! AF_NETLINK sockets (Linux 6.1 `net/netlink/af_netlink.c`; netlink(7)): SOCK_RAW and
//! SOCK_DGRAM sockets of the protocols this kernel has — `NETLINK_ROUTE` ([`rtnl`]),
//! `NETLINK_USERSOCK` (user to user only) and `NETLINK_KOBJECT_UEVENT` ([`uevent`]); the
//! others are `EPROTONOSUPPORT`, as a kernel built without them.
//!
//! - Port ids: `bind` with `nl_pid` takes that id (`EADDRINUSE` when taken, `EINVAL` when the
//!   socket has another), 0 autobinds to the process's id or, when taken, a random negative
//!   one (`netlink_autobind`); `connect` and `sendmsg` autobind too. `nl_groups` replaces the
//!   first 32 multicast subscriptions (6.1 keeps bits past the protocol's groups), and needs
//!   CAP_NET_ADMIN unless the protocol lets anyone listen (`NL_CFG_F_NONROOT_RECV`: all three
//!   do); `NETLINK_ADD_MEMBERSHIP`/`DROP_MEMBERSHIP` take one group number.
//! - Messages are datagrams (`struct sk_buff` with its sender's port id and group): a send to
//!   port 0 goes to the kernel, which answers at once into the sender's queue; to another port
//!   it is queued there (`ECONNREFUSED` when no socket has it); to groups, to every subscriber
//!   but the sender. A receive takes one datagram (`MSG_PEEK` leaves it, `MSG_TRUNC` reports
//!   its length, a short buffer sets `MSG_TRUNC`), names the sender, and adds
//!   `NETLINK_PKTINFO` and `SCM_CREDENTIALS` control messages when asked.
//! - A queue above `SO_RCVBUF` refuses what the kernel sends and the socket reports `ENOBUFS`
//!   on its next receive (`netlink_overrun`, unless `NETLINK_NO_ENOBUFS`); a user sender waits
//!   for room, or gets `EAGAIN` non-blocking. Dumps are continued by receives as the queue
//!   drains below half of `SO_RCVBUF` (`netlink_dump`), so they never overrun.
//! - `SOL_NETLINK` options: `NETLINK_PKTINFO`, `BROADCAST_ERROR`, `NO_ENOBUFS`,
//!   `LISTEN_ALL_NSID` (CAP_NET_BROADCAST), `CAP_ACK`, `EXT_ACK`, `GET_STRICT_CHK`,
//!   `LIST_MEMBERSHIPS`; `/proc/net/netlink` lists the bound sockets.
//!
//! Locks: `netlink.table` (every socket, by protocol and port id; a leaf, held to find or
//! insert, never while a socket's lock is held) and each socket's `netlink.state` (its queue,
//! port and groups; never two at once, never across a user copy). `netlink.rx` (sleeping)
//! serialises receivers and is held across their copies.

pub mod rtnl;
pub mod uevent;

use crate::fs::poll::{
    POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRBAND, POLLWRNORM, PollTable, poll_wait,
};
use crate::net::iov::UserIov;
use crate::net::msg::*;
use crate::net::unix::Deadline;
use crate::sched::wait::WaitQueue;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use hal::sync::{Mutex, SpinLock};
use netlink::dump::{Dump, GOODSIZE, MAX_SIZE};
use unixsock::cmsg::Ucred;
use unixsock::opt;

pub const AF_NETLINK: i32 = 16;
pub const SOL_NETLINK: i32 = 270;
pub const NETLINK_ROUTE: u32 = 0;
pub const NETLINK_USERSOCK: u32 = 2;
pub const NETLINK_KOBJECT_UEVENT: u32 = 15;
/// `MAX_LINKS`.
const MAX_LINKS: i32 = 32;
/// `sizeof(struct sockaddr_nl)`.
pub const SOCKADDR_NL_LEN: usize = 12;

/// `NETLINK_F_*` option bits.
pub mod nlflag {
    pub const RECV_PKTINFO: u32 = 0x2;
    pub const BROADCAST_SEND_ERROR: u32 = 0x4;
    pub const RECV_NO_ENOBUFS: u32 = 0x8;
    pub const LISTEN_ALL_NSID: u32 = 0x10;
    pub const CAP_ACK: u32 = 0x20;
    pub const EXT_ACK: u32 = 0x40;
    pub const STRICT_CHK: u32 = 0x80;
}

/// What a protocol is (`struct netlink_table`'s configuration).
struct ProtocolInfo {
    groups: u32,
    /// `NL_CFG_F_NONROOT_SEND`.
    nonroot_send: bool,
}

fn protocol_info(protocol: u32) -> Option<ProtocolInfo> {
    match protocol {
        NETLINK_ROUTE => Some(ProtocolInfo {
            groups: netlink::rtnl::RTNLGRP_MAX,
            nonroot_send: false,
        }),
        NETLINK_USERSOCK => Some(ProtocolInfo {
            groups: 32,
            nonroot_send: true,
        }),
        NETLINK_KOBJECT_UEVENT => Some(ProtocolInfo {
            groups: 1,
            nonroot_send: false,
        }),
        _ => None,
    }
}

/// A queued datagram (`struct sk_buff` with `NETLINK_CB`).
pub struct Skb {
    pub data: Vec<u8>,
    /// The sender's port id (0: the kernel).
    pub portid: u32,
    /// The group it was sent to (0: unicast).
    pub group: u32,
    pub creds: Ucred,
}

/// The state behind `netlink.state`.
pub struct State {
    pub portid: u32,
    pub is_bound: bool,
    pub dst_portid: u32,
    pub dst_group: u32,
    pub is_connected: bool,
    /// Subscribed groups, bit N for group N + 1.
    pub groups: u64,
    /// The protocol's groups, once the socket used any (`nlk->ngroups`).
    pub ngroups: u32,
    pub queue: VecDeque<Skb>,
    pub rmem: usize,
    pub error: Option<Errno>,
    pub nl_flags: u32,
    /// `NETLINK_S_CONGESTED`: a kernel message was refused; cleared when the queue empties.
    pub is_congested: bool,
    pub dump: Option<Dump>,
    pub max_recvmsg_len: usize,
    pub drops: u32,
}

/// An AF_NETLINK socket (`struct netlink_sock`).
pub struct NetlinkSocket {
    pub protocol: u32,
    /// `SOCK_RAW` or `SOCK_DGRAM`.
    pub sock_type: u32,
    pub ino: u64,
    uid: u32,
    gid: u32,
    ctime_ns: u64,
    pub state: SpinLock<State>,
    pub rx_lock: Mutex<()>,
    pub wait: Arc<WaitQueue>,
    pub flags: AtomicU32,
    pub sndbuf: AtomicU32,
    pub rcvbuf: AtomicU32,
    pub rcvtimeo: AtomicU64,
    pub sndtimeo: AtomicU64,
    pub linger_secs: AtomicU32,
    pub rcvlowat: AtomicU32,
    pub priority: AtomicU32,
}

/// Every socket: protocol, port id (when bound), the socket.
struct Entry {
    protocol: u32,
    portid: Option<u32>,
    socket: Weak<NetlinkSocket>,
    ino: u64,
}

static TABLE: SpinLock<Vec<Entry>> = SpinLock::new("netlink.table", Vec::new());

/// The memory a queued datagram of `len` bytes is charged (about `skb->truesize`).
fn truesize(len: usize) -> usize {
    crate::net::inet::truesize(len)
}

fn has_capability(cap: u32) -> bool {
    crate::process::try_current()
        .is_some_and(|thread| thread.process.credentials.lock().has_capability(cap))
}

/// `socket(AF_NETLINK, type, protocol)`'s checks (`netlink_create`).
pub fn check_create(kind: u32, protocol: i32) -> Result<u32, Errno> {
    if kind != 3 && kind != 2 {
        return Err(Errno::ESOCKTNOSUPPORT);
    }
    if !(0..MAX_LINKS).contains(&protocol) {
        return Err(Errno::EPROTONOSUPPORT);
    }
    protocol_info(protocol as u32).ok_or(Errno::EPROTONOSUPPORT)?;
    Ok(protocol as u32)
}

impl NetlinkSocket {
    pub fn new(kind: u32, protocol: u32, uid: u32, gid: u32) -> Result<Arc<NetlinkSocket>, Errno> {
        let socket = Arc::new(NetlinkSocket {
            protocol,
            sock_type: kind,
            ino: crate::fs::pipe::next_pseudo_ino(),
            uid,
            gid,
            ctime_ns: crate::time::realtime_ns(),
            state: SpinLock::new(
                "netlink.state",
                State {
                    portid: 0,
                    is_bound: false,
                    dst_portid: 0,
                    dst_group: 0,
                    is_connected: false,
                    groups: 0,
                    ngroups: 0,
                    queue: VecDeque::new(),
                    rmem: 0,
                    error: None,
                    nl_flags: 0,
                    is_congested: false,
                    dump: None,
                    max_recvmsg_len: 0,
                    drops: 0,
                },
            ),
            rx_lock: Mutex::new("netlink.rx", ()),
            wait: Arc::new(WaitQueue::new()),
            flags: AtomicU32::new(0),
            sndbuf: AtomicU32::new(opt::WMEM_DEFAULT),
            rcvbuf: AtomicU32::new(opt::RMEM_DEFAULT),
            rcvtimeo: AtomicU64::new(opt::NO_TIMEOUT),
            sndtimeo: AtomicU64::new(opt::NO_TIMEOUT),
            linger_secs: AtomicU32::new(0),
            rcvlowat: AtomicU32::new(1),
            priority: AtomicU32::new(0),
        });
        let mut table = TABLE.lock();
        table.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        table.push(Entry {
            protocol,
            portid: None,
            socket: Arc::downgrade(&socket),
            ino: socket.ino,
        });
        Ok(socket)
    }

    pub fn owner(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }

    pub fn ctime_ns(&self) -> u64 {
        self.ctime_ns
    }

    pub fn take_error(&self) -> Option<Errno> {
        self.state.lock().error.take()
    }

    pub fn portid(&self) -> u32 {
        self.state.lock().portid
    }

    /// `datagram_poll`.
    pub fn poll(&self, mut table: Option<&mut PollTable>) -> u16 {
        poll_wait(&mut table, &self.wait);
        let state = self.state.lock();
        let mut mask = POLLOUT | POLLWRNORM | POLLWRBAND;
        if state.error.is_some() {
            mask |= POLLERR;
        }
        if !state.queue.is_empty() {
            mask |= POLLIN | POLLRDNORM;
        }
        mask
    }

    /// `SIOCINQ`: the first datagram's length.
    pub fn inq(&self) -> usize {
        self.state
            .lock()
            .queue
            .front()
            .map_or(0, |skb| skb.data.len())
    }

    /// `getsockname`: the port id and the first 32 groups.
    pub fn name(&self) -> [u8; SOCKADDR_NL_LEN] {
        let state = self.state.lock();
        encode_addr(state.portid, state.groups as u32)
    }

    /// `getpeername`: the connected destination (never `ENOTCONN`).
    pub fn peer_name(&self) -> [u8; SOCKADDR_NL_LEN] {
        let state = self.state.lock();
        encode_addr(state.dst_portid, group_mask(state.dst_group))
    }

    fn ngroups(&self) -> u32 {
        protocol_info(self.protocol).map_or(0, |p| p.groups)
    }
}

/// `netlink_group_mask`.
fn group_mask(group: u32) -> u32 {
    if group == 0 || group > 32 {
        0
    } else {
        1 << (group - 1)
    }
}

/// `struct sockaddr_nl`.
pub fn encode_addr(portid: u32, groups: u32) -> [u8; SOCKADDR_NL_LEN] {
    let mut out = [0u8; SOCKADDR_NL_LEN];
    out[..2].copy_from_slice(&(AF_NETLINK as u16).to_ne_bytes());
    out[4..8].copy_from_slice(&portid.to_ne_bytes());
    out[8..12].copy_from_slice(&groups.to_ne_bytes());
    out
}

/// A `struct sockaddr_nl` given by user space: `EINVAL` when short or of another family.
fn parse_addr(raw: &[u8]) -> Result<(u32, u32), Errno> {
    if raw.len() < SOCKADDR_NL_LEN {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([raw[0], raw[1]]) != AF_NETLINK as u16 {
        return Err(Errno::EINVAL);
    }
    Ok((
        u32::from_ne_bytes([raw[4], raw[5], raw[6], raw[7]]),
        u32::from_ne_bytes([raw[8], raw[9], raw[10], raw[11]]),
    ))
}

/// The socket bound to `portid` of `protocol`.
fn lookup(protocol: u32, portid: u32) -> Option<Arc<NetlinkSocket>> {
    TABLE
        .lock()
        .iter()
        .find(|e| e.protocol == protocol && e.portid == Some(portid))
        .and_then(|e| e.socket.upgrade())
}

/// Gives the socket the port id `portid` (`netlink_insert`).
fn insert(socket: &Arc<NetlinkSocket>, portid: u32) -> Result<(), Errno> {
    let mut table = TABLE.lock();
    if table
        .iter()
        .any(|e| e.protocol == socket.protocol && e.portid == Some(portid))
    {
        return Err(Errno::EADDRINUSE);
    }
    let entry = table
        .iter_mut()
        .find(|e| e.ino == socket.ino)
        .ok_or(Errno::EINVAL)?;
    if entry.portid.is_some() {
        return Err(Errno::EBUSY);
    }
    entry.portid = Some(portid);
    drop(table);
    let mut state = socket.state.lock();
    state.portid = portid;
    state.is_bound = true;
    Ok(())
}

/// `netlink_autobind`: the thread group's id, or a random negative one when that is taken.
fn autobind(socket: &Arc<NetlinkSocket>) -> Result<(), Errno> {
    let tgid = crate::process::try_current().map_or(1, |t| t.process.pid);
    match insert(socket, tgid) {
        Err(Errno::EADDRINUSE) => {}
        other => return other,
    }
    for _ in 0..64 {
        let random = crate::random::u64() as u32;
        // [S32_MIN, -4097]
        let portid = 0x8000_0000u32 | (random % 0x7fff_efff);
        match insert(socket, portid) {
            Err(Errno::EADDRINUSE) => continue,
            other => return other,
        }
    }
    Err(Errno::EADDRINUSE)
}

fn ensure_bound(socket: &Arc<NetlinkSocket>) -> Result<(), Errno> {
    if socket.state.lock().is_bound {
        return Ok(());
    }
    match autobind(socket) {
        Err(Errno::EBUSY) => Ok(()),
        other => other,
    }
}

/// `netlink_bind`.
pub fn bind(socket: &Arc<NetlinkSocket>, raw: &[u8]) -> Result<(), Errno> {
    let (pid, groups) = parse_addr(raw)?;
    let ngroups = socket.ngroups();
    if groups != 0 {
        // Every protocol here lets anyone listen (NL_CFG_F_NONROOT_RECV).
        socket.state.lock().ngroups = ngroups;
    }
    let (is_bound, portid) = {
        let state = socket.state.lock();
        (state.is_bound, state.portid)
    };
    if is_bound && pid != portid {
        return Err(Errno::EINVAL);
    }
    if socket.protocol == NETLINK_ROUTE {
        for group in [
            netlink::rtnl::RTNLGRP_IPV4_MROUTE_R,
            netlink::rtnl::RTNLGRP_IPV6_MROUTE_R,
        ] {
            if groups & group_mask(group) != 0 && !has_capability(abi::capability::CAP_NET_ADMIN) {
                return Err(Errno::EPERM);
            }
        }
    }
    if !is_bound {
        if pid != 0 {
            insert(socket, pid)?;
        } else {
            match autobind(socket) {
                Err(Errno::EBUSY) => {}
                other => other?,
            }
        }
    }
    let mut state = socket.state.lock();
    state.groups = (state.groups & !0xffff_ffff) | u64::from(groups);
    Ok(())
}

/// `netlink_connect`.
pub fn connect(socket: &Arc<NetlinkSocket>, raw: &[u8]) -> Result<(), Errno> {
    if raw.len() < 2 {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([raw[0], raw[1]]) == 0 {
        let mut state = socket.state.lock();
        state.is_connected = false;
        state.dst_portid = 0;
        state.dst_group = 0;
        return Ok(());
    }
    let (pid, groups) = parse_addr(raw)?;
    if (groups != 0 || pid != 0) && !may_send(socket) {
        return Err(Errno::EPERM);
    }
    ensure_bound(socket)?;
    let mut state = socket.state.lock();
    state.is_connected = true;
    state.dst_portid = pid;
    state.dst_group = if groups == 0 {
        0
    } else {
        groups.trailing_zeros() + 1
    };
    Ok(())
}

/// `netlink_allowed(sock, NL_CFG_F_NONROOT_SEND)`.
fn may_send(socket: &NetlinkSocket) -> bool {
    protocol_info(socket.protocol).is_some_and(|p| p.nonroot_send)
        || has_capability(abi::capability::CAP_NET_ADMIN)
}

fn current_creds() -> Ucred {
    crate::net::unix::current_scm_creds()
}

/// Queues a datagram from the kernel (`netlink_unicast` with `MSG_DONTWAIT` from a kernel
/// socket): refused with `ENOBUFS` on the receiver when its queue is over `SO_RCVBUF`.
pub fn deliver_from_kernel(socket: &NetlinkSocket, data: Vec<u8>, group: u32) -> Result<(), Errno> {
    let rcvbuf = socket.rcvbuf.load(Ordering::Relaxed) as usize;
    {
        let mut state = socket.state.lock();
        if state.rmem > rcvbuf || state.is_congested || state.queue.try_reserve(1).is_err() {
            if state.nl_flags & nlflag::RECV_NO_ENOBUFS == 0 {
                state.is_congested = true;
                state.error = Some(Errno::ENOBUFS);
            }
            state.drops = state.drops.wrapping_add(1);
            drop(state);
            socket.wait.wake_all();
            return Err(Errno::EAGAIN);
        }
        state.rmem += truesize(data.len());
        state.queue.push_back(Skb {
            data,
            portid: 0,
            group,
            creds: Ucred {
                pid: 0,
                uid: 0,
                gid: 0,
            },
        });
    }
    socket.wait.wake_all();
    Ok(())
}

/// Queues a datagram from the kernel whatever the queue holds (`netlink_sendskb`: mq_notify's
/// cookie, whose room was reserved at registration).
pub fn deliver_always(socket: &NetlinkSocket, data: Vec<u8>) {
    {
        let mut state = socket.state.lock();
        if state.queue.try_reserve(1).is_err() {
            return;
        }
        state.rmem += truesize(data.len());
        state.queue.push_back(Skb {
            data,
            portid: 0,
            group: 0,
            creds: Ucred {
                pid: 0,
                uid: 0,
                gid: 0,
            },
        });
    }
    socket.wait.wake_all();
}

/// Sends `data` from the kernel to every subscriber of `group` of `protocol` but
/// `exclude_portid` (`netlink_broadcast`).
pub fn broadcast_from_kernel(protocol: u32, group: u32, data: &[u8], exclude_portid: u32) {
    for socket in subscribers(protocol, group) {
        let state_portid = socket.portid();
        if exclude_portid != 0 && state_portid == exclude_portid {
            continue;
        }
        let mut copy = Vec::new();
        if copy.try_reserve_exact(data.len()).is_err() {
            continue;
        }
        copy.extend_from_slice(data);
        let _ = deliver_from_kernel(&socket, copy, group);
    }
}

/// The bound sockets of `protocol` subscribed to `group`.
fn subscribers(protocol: u32, group: u32) -> Vec<Arc<NetlinkSocket>> {
    if group == 0 || group > 64 {
        return Vec::new();
    }
    let candidates: Vec<Arc<NetlinkSocket>> = TABLE
        .lock()
        .iter()
        .filter(|e| e.protocol == protocol && e.portid.is_some())
        .filter_map(|e| e.socket.upgrade())
        .collect();
    candidates
        .into_iter()
        .filter(|s| s.state.lock().groups & (1u64 << (group - 1)) != 0)
        .collect()
}

/// Whether anyone listens to `group` of `protocol` (`netlink_has_listeners`).
pub fn has_listeners(protocol: u32, group: u32) -> bool {
    !subscribers(protocol, group).is_empty()
}

/// `netlink_sendmsg`.
pub fn send(
    socket: &Arc<NetlinkSocket>,
    data: &mut UserIov,
    name: Option<&[u8]>,
    flags: u32,
    is_nonblocking: bool,
) -> Result<usize, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let len = data.total();
    let (dst_portid, dst_group) = match name {
        Some(raw) => {
            let (pid, groups) = parse_addr(raw)?;
            let group = if groups == 0 {
                0
            } else {
                groups.trailing_zeros() + 1
            };
            if (group != 0 || pid != 0) && !may_send(socket) {
                return Err(Errno::EPERM);
            }
            (pid, group)
        }
        None => {
            let state = socket.state.lock();
            (state.dst_portid, state.dst_group)
        }
    };
    ensure_bound(socket)?;
    if len > (socket.sndbuf.load(Ordering::Relaxed) as usize).saturating_sub(32) {
        return Err(Errno::EMSGSIZE);
    }
    let mut bytes = Vec::new();
    hal::mm::heap::user_data(|| bytes.try_reserve_exact(len)).map_err(|_| Errno::ENOBUFS)?;
    bytes.resize(len, 0);
    data.copy_in(&mut bytes)?;
    let portid = socket.portid();
    let creds = current_creds();
    if dst_group != 0 {
        for receiver in subscribers(socket.protocol, dst_group) {
            if Arc::ptr_eq(&receiver, socket) || receiver.portid() == dst_portid {
                continue;
            }
            let mut copy = Vec::new();
            if copy.try_reserve_exact(bytes.len()).is_err() {
                continue;
            }
            copy.extend_from_slice(&bytes);
            let _ = queue_from_user(
                &receiver,
                copy,
                portid,
                dst_group,
                creds,
                Deadline::NoWait,
                true,
            );
        }
    }
    if dst_portid == 0 {
        return kernel_input(socket, &bytes).map(|()| len);
    }
    let receiver = lookup(socket.protocol, dst_portid).ok_or(Errno::ECONNREFUSED)?;
    {
        let state = receiver.state.lock();
        if state.is_connected && state.dst_portid != portid {
            return Err(Errno::ECONNREFUSED);
        }
    }
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.sndtimeo.load(Ordering::Relaxed),
    );
    queue_from_user(&receiver, bytes, portid, 0, creds, deadline, false)?;
    Ok(len)
}

/// Queues a user's datagram on `receiver` (`netlink_attachskb`): a full queue makes the sender
/// wait for room, or answers `EAGAIN` (a broadcast just drops it and marks an overrun).
fn queue_from_user(
    receiver: &Arc<NetlinkSocket>,
    data: Vec<u8>,
    portid: u32,
    group: u32,
    creds: Ucred,
    deadline: Deadline,
    is_broadcast: bool,
) -> Result<(), Errno> {
    let rcvbuf = || receiver.rcvbuf.load(Ordering::Relaxed) as usize;
    let mut skb = Some(Skb {
        data,
        portid,
        group,
        creds,
    });
    let mut attach = || {
        let mut state = receiver.state.lock();
        if state.rmem > rcvbuf() || state.is_congested {
            return None;
        }
        if state.queue.try_reserve(1).is_err() {
            return Some(Err(Errno::ENOBUFS));
        }
        let skb = skb.take()?;
        state.rmem += truesize(skb.data.len());
        state.queue.push_back(skb);
        Some(Ok(()))
    };
    let result = match attach() {
        Some(result) => result,
        None if is_broadcast => {
            let mut state = receiver.state.lock();
            if state.nl_flags & nlflag::RECV_NO_ENOBUFS == 0 {
                state.is_congested = true;
                state.error = Some(Errno::ENOBUFS);
            }
            state.drops = state.drops.wrapping_add(1);
            drop(state);
            receiver.wait.wake_all();
            return Ok(());
        }
        None => deadline.wait(&[&receiver.wait], attach)?,
    };
    receiver.wait.wake_all();
    result
}

/// A datagram sent to the kernel's socket of the protocol (`netlink_unicast_kernel`).
fn kernel_input(socket: &Arc<NetlinkSocket>, datagram: &[u8]) -> Result<(), Errno> {
    match socket.protocol {
        NETLINK_ROUTE => {
            rtnl::input(socket, datagram);
            Ok(())
        }
        NETLINK_KOBJECT_UEVENT => {
            uevent::input(socket, datagram);
            Ok(())
        }
        _ => Err(Errno::ECONNREFUSED),
    }
}

/// The room a dump datagram may fill (`netlink_dump`'s allocation).
fn dump_room(state: &State) -> usize {
    state.max_recvmsg_len.clamp(GOODSIZE, MAX_SIZE)
}

/// Queues the next datagram of the running dump, if any and if the queue has room
/// (`netlink_dump`); ends the dump after `NLMSG_DONE`.
pub fn continue_dump(socket: &NetlinkSocket) {
    let rcvbuf = socket.rcvbuf.load(Ordering::Relaxed) as usize;
    {
        let mut state = socket.state.lock();
        if state.rmem >= rcvbuf {
            return;
        }
        let room = dump_room(&state);
        let Some(dump) = state.dump.as_mut() else {
            return;
        };
        let next = dump.next_datagram(room);
        let is_finished = dump.is_finished();
        match next {
            Ok(Some(data)) => {
                if state.queue.try_reserve(1).is_ok() {
                    state.rmem += truesize(data.len());
                    state.queue.push_back(Skb {
                        data,
                        portid: 0,
                        group: 0,
                        creds: Ucred {
                            pid: 0,
                            uid: 0,
                            gid: 0,
                        },
                    });
                } else {
                    state.error = Some(Errno::ENOBUFS);
                }
            }
            Ok(None) => {}
            Err(error) => state.error = Some(error),
        }
        if is_finished {
            state.dump = None;
        }
    }
    socket.wait.wake_all();
}

/// Starts a dump (`netlink_dump_start`): `EBUSY` while another runs.
pub fn start_dump(socket: &NetlinkSocket, dump: Dump) -> Result<(), Errno> {
    {
        let mut state = socket.state.lock();
        if state.dump.is_some() {
            return Err(Errno::EBUSY);
        }
        state.dump = Some(dump);
    }
    continue_dump(socket);
    Ok(())
}

/// What a receive got.
pub struct Received {
    pub count: usize,
    pub flags: u32,
    pub from: [u8; SOCKADDR_NL_LEN],
    pub pktinfo_group: Option<u32>,
    pub creds: Option<Ucred>,
}

/// `netlink_recvmsg`.
pub fn recv(
    socket: &Arc<NetlinkSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<Received, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & MSG_ERRQUEUE != 0 {
        return Err(Errno::EAGAIN);
    }
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.rcvtimeo.load(Ordering::Relaxed),
    );
    let _reader = socket.rx_lock.lock();
    let len = data.total();
    let is_peek = flags & MSG_PEEK != 0;
    let take = || {
        let mut state = socket.state.lock();
        if let Some(error) = state.error.take() {
            return Some(Err(error));
        }
        if is_peek {
            let front = state.queue.front()?;
            let want = front.data.len().min(len);
            let mut copy = Vec::new();
            if copy.try_reserve_exact(want).is_err() {
                return Some(Err(Errno::ENOMEM));
            }
            copy.extend_from_slice(&front.data[..want]);
            return Some(Ok(Skb {
                data: copy,
                portid: front.portid,
                group: front.group,
                creds: front.creds,
            }
            .with_len(front.data.len())));
        }
        let skb = state.queue.pop_front()?;
        state.rmem = state.rmem.saturating_sub(truesize(skb.data.len()));
        let whole = skb.data.len();
        Some(Ok(skb.with_len(whole)))
    };
    let got = match take() {
        Some(result) => result,
        None => deadline.wait(&[&socket.wait], take)?,
    };
    let (skb, whole) = match got {
        Ok(got) => got,
        Err(error) => {
            socket.clear_congestion();
            return Err(error);
        }
    };
    let (nl_flags, is_dumping) = {
        let mut state = socket.state.lock();
        state.max_recvmsg_len = state.max_recvmsg_len.max(len).min(MAX_SIZE);
        (state.nl_flags, state.dump.is_some())
    };
    let copy = whole.min(len).min(skb.data.len());
    let copied = data.copy_out(&skb.data[..copy]);
    if is_dumping {
        let half = socket.rcvbuf.load(Ordering::Relaxed) as usize / 2;
        if socket.state.lock().rmem <= half {
            continue_dump(socket);
        }
    }
    socket.clear_congestion();
    copied?;
    let passcred = socket.flags.load(Ordering::Relaxed) & crate::net::unix::flag::PASSCRED != 0;
    Ok(Received {
        count: if flags & MSG_TRUNC != 0 { whole } else { copy },
        flags: if whole > len { MSG_TRUNC } else { 0 },
        from: encode_addr(skb.portid, group_mask(skb.group)),
        pktinfo_group: (nl_flags & nlflag::RECV_PKTINFO != 0).then_some(skb.group),
        creds: passcred.then_some(skb.creds),
    })
}

impl Skb {
    fn with_len(self, whole: usize) -> (Skb, usize) {
        (self, whole)
    }
}

impl NetlinkSocket {
    /// `netlink_rcv_wake`: an empty queue ends the congestion.
    fn clear_congestion(&self) {
        let mut state = self.state.lock();
        if state.rmem == 0 || state.queue.is_empty() {
            state.is_congested = false;
        }
    }
}

/// The last close: out of the table, queue and dump dropped.
pub fn release(socket: &NetlinkSocket) {
    TABLE.lock().retain(|e| e.ino != socket.ino);
    let (queue, dump) = {
        let mut state = socket.state.lock();
        state.rmem = 0;
        (core::mem::take(&mut state.queue), state.dump.take())
    };
    drop(queue);
    drop(dump);
}

/// `netlink_setsockopt` (`SOL_NETLINK`).
pub fn setsockopt(socket: &Arc<NetlinkSocket>, name: i32, bytes: &[u8]) -> Result<(), Errno> {
    use netlink::raw as n;
    let value = if bytes.len() >= 4 {
        u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    } else {
        0
    };
    let flag = |bit: u32| {
        let mut state = socket.state.lock();
        if value != 0 {
            state.nl_flags |= bit;
        } else {
            state.nl_flags &= !bit;
        }
    };
    match name as u32 {
        n::NETLINK_PKTINFO => flag(nlflag::RECV_PKTINFO),
        n::NETLINK_ADD_MEMBERSHIP | n::NETLINK_DROP_MEMBERSHIP => {
            let ngroups = socket.ngroups();
            socket.state.lock().ngroups = ngroups;
            if value == 0 || value > ngroups {
                return Err(Errno::EINVAL);
            }
            let is_add = name as u32 == n::NETLINK_ADD_MEMBERSHIP;
            if is_add
                && socket.protocol == NETLINK_ROUTE
                && (value == netlink::rtnl::RTNLGRP_IPV4_MROUTE_R
                    || value == netlink::rtnl::RTNLGRP_IPV6_MROUTE_R)
                && !has_capability(abi::capability::CAP_NET_ADMIN)
            {
                return Err(Errno::EPERM);
            }
            let bit = 1u64 << (value - 1);
            let mut state = socket.state.lock();
            if is_add {
                state.groups |= bit;
            } else {
                state.groups &= !bit;
            }
        }
        n::NETLINK_BROADCAST_ERROR => flag(nlflag::BROADCAST_SEND_ERROR),
        n::NETLINK_NO_ENOBUFS => {
            flag(nlflag::RECV_NO_ENOBUFS);
            if value != 0 {
                socket.state.lock().is_congested = false;
                socket.wait.wake_all();
            }
        }
        n::NETLINK_LISTEN_ALL_NSID => {
            if !has_capability(abi::capability::CAP_NET_BROADCAST) {
                return Err(Errno::EPERM);
            }
            flag(nlflag::LISTEN_ALL_NSID);
        }
        n::NETLINK_CAP_ACK => flag(nlflag::CAP_ACK),
        n::NETLINK_EXT_ACK => flag(nlflag::EXT_ACK),
        n::NETLINK_GET_STRICT_CHK => flag(nlflag::STRICT_CHK),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

/// `netlink_getsockopt` (`SOL_NETLINK`): the value's bytes and the length to report.
pub fn getsockopt(
    socket: &NetlinkSocket,
    name: i32,
    given: usize,
) -> Result<(Vec<u8>, usize), Errno> {
    use netlink::raw as n;
    let state = socket.state.lock();
    let bit = match name as u32 {
        n::NETLINK_PKTINFO => nlflag::RECV_PKTINFO,
        n::NETLINK_BROADCAST_ERROR => nlflag::BROADCAST_SEND_ERROR,
        n::NETLINK_NO_ENOBUFS => nlflag::RECV_NO_ENOBUFS,
        n::NETLINK_LISTEN_ALL_NSID => nlflag::LISTEN_ALL_NSID,
        n::NETLINK_CAP_ACK => nlflag::CAP_ACK,
        n::NETLINK_EXT_ACK => nlflag::EXT_ACK,
        n::NETLINK_GET_STRICT_CHK => nlflag::STRICT_CHK,
        n::NETLINK_LIST_MEMBERSHIPS => {
            let words = state.ngroups.div_ceil(32) as usize;
            let mut out = Vec::new();
            out.try_reserve(words * 4).map_err(|_| Errno::ENOMEM)?;
            for word in 0..words.min(given / 4) {
                out.extend_from_slice(&((state.groups >> (32 * word)) as u32).to_ne_bytes());
            }
            return Ok((out, words * 4));
        }
        _ => return Err(Errno::ENOPROTOOPT),
    };
    if given < 4 {
        return Err(Errno::EINVAL);
    }
    let value = u32::from(state.nl_flags & bit != 0);
    let mut out = Vec::new();
    out.try_reserve(4).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(&value.to_ne_bytes());
    Ok((out, 4))
}

/// `/proc/net/netlink` (`netlink_seq_show`): the bound sockets; the `sk` column, a kernel
/// address on Linux, is the socket's inode here.
pub fn proc_net_netlink(out: &mut Vec<u8>) -> Result<(), Errno> {
    let sockets: Vec<(u32, u32, Arc<NetlinkSocket>)> = TABLE
        .lock()
        .iter()
        .filter_map(|e| Some((e.protocol, e.portid?, e.socket.upgrade()?)))
        .collect();
    crate::out!(
        out,
        "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
    )?;
    for (protocol, portid, socket) in sockets {
        let (groups, rmem, dumping, drops) = {
            let state = socket.state.lock();
            (
                state.groups as u32,
                state.rmem,
                state.dump.is_some(),
                state.drops,
            )
        };
        crate::out!(
            out,
            "{:016x} {:<3} {:<10} {:08x} {:<8} {:<8} {:<5} {:<8} {:<8} {:<8}\n",
            socket.ino,
            protocol,
            portid,
            groups,
            rmem,
            0,
            u32::from(dumping),
            2,
            drops,
            socket.ino
        )?;
    }
    Ok(())
}
