//! AF_INET and AF_INET6 sockets: TCP and UDP over the loopback device (Linux 6.1
//! `net/ipv4/af_inet.c`, `net/ipv6/af_inet6.c`, `net/ipv4/tcp*.c`, `net/ipv4/udp.c`; ip(7),
//! ipv6(7), tcp(7), udp(7)).
//!
//! Loopback has no segments: every address of `lo` and of the interfaces is local, and on
//! loopback Linux's TCP can neither lose nor reorder anything, so a local connection is two
//! sockets that hand their bytes to each other directly, and a datagram goes straight to the
//! receiving socket's queue. What user space can observe of Linux's state
//! machine is kept: the states (`/proc/net/tcp`, `TCP_INFO`), listen backlogs of `backlog + 1`
//! with connections beyond them left in SYN_SENT until `accept` makes room (Linux drops their
//! SYNs and the retransmission gets in), `ECONNREFUSED` on a closed port (also as `SO_ERROR`
//! after a non-blocking connect, which always answers `EINPROGRESS`, as on Linux's loopback),
//! half-close with FIN_WAIT2/CLOSE_WAIT/LAST_ACK, a reset (`ECONNRESET`, or `EPIPE` in
//! CLOSE_WAIT) when a socket closes with unread data, with `SO_LINGER` 0, or when data reaches
//! a closed peer, TIME_WAIT records that hold the port of the side that closed first for 60 s,
//! and the port rules of `inet::ports`. Traffic to an address reached through an interface
//! (`eth0`) goes through the packet-level stack of `net::ip` behind these same socket
//! objects: TCP connections as smoltcp connections ([`wire`]), UDP datagrams as IPv4 packets
//! built and parsed there (`udp::deliver_from_wire`).
//!
//! Locks: each socket's state is behind its own spin lock (`inet.state`, never held across a
//! user copy or a sleep, never nested with another socket's); readers are serialised by
//! `inet.rx` and writers by `inet.tx` (sleeping mutexes, Linux's `lock_sock`), held across
//! their user copies. The port tables (`table`) are sharded by port and taken alone. A
//! connected TCP socket reaches its peer through a pointer: the data path takes no global
//! lock. Timers: TIME_WAIT records expire lazily (checked against CLOCK_MONOTONIC when their
//! port's shard is next used); keepalive probes are never needed on loopback and are not sent.
//!
//! - [`table`]: bound ports of each protocol.
//! - [`tcp`]: connect, listen, accept, send, receive, shutdown and close of TCP.
//! - [`udp`]: the same for UDP.
//! - [`sockopt`]: the `SOL_IP`, `SOL_IPV6`, `SOL_TCP` and `SOL_UDP` options.
//! - [`procnet`]: the files `/proc/net/{tcp,tcp6,udp,udp6}`.
//! - [`calls`]: the socket calls, dispatched to TCP or UDP.
//! - [`wire`]: TCP connections through an interface (smoltcp's, in `net::ip`).
//!
//! Not done: urgent data (`MSG_OOB`: `EOPNOTSUPP`), `MSG_ERRQUEUE` contents (`IP_RECVERR` is
//! kept but nothing is queued, since loopback has no ICMP errors besides port unreachable,
//! reported as `ECONNREFUSED`), ancillary data (`IP_PKTINFO`…), raw and ping sockets,
//! multicast, TCP Fast Open, `SO_BINDTODEVICE`.

pub mod calls;
pub mod procnet;
pub mod sockopt;
pub mod table;
pub mod tcp;
pub mod udp;
pub mod wire;

use crate::fs::poll::{
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRBAND, POLLWRNORM, PollTable, poll_wait,
};
use crate::net::unix::flag;
use crate::sched::wait::WaitQueue;
pub use ::inet::addr;
use ::inet::addr::{Endpoint, Family, Ip};
use ::inet::ports::{BindState, Binding};
use ::inet::tcpstate::TcpState;
use abi::Errno;
use abi::poll::POLLRDHUP;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use hal::sync::{Mutex, SpinLock};
use unixsock::opt;

pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;
pub const SHUTDOWN_MASK: u8 = 3;

/// `IPPROTO_TCP`, `IPPROTO_UDP`.
pub const IPPROTO_TCP: u32 = 6;
pub const IPPROTO_UDP: u32 = 17;

/// `net.ipv4.tcp_wmem[1]`, `tcp_rmem[1]`: a TCP socket's default buffers.
pub const TCP_WMEM_DEFAULT: u32 = 16384;
pub const TCP_RMEM_DEFAULT: u32 = 131072;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// Bytes of a stream in the receiver's queue.
pub struct Chunk {
    pub data: Vec<u8>,
    pub consumed: usize,
}

/// A datagram waiting to be read.
pub struct Datagram {
    pub from: Endpoint,
    pub data: Vec<u8>,
}

/// The memory a queued buffer of `len` bytes is charged (about `skb->truesize`).
pub fn truesize(len: usize) -> usize {
    len.next_multiple_of(64) + 576
}

/// The state behind `inet.state`.
pub struct State {
    pub tcp: TcpState,
    /// `sock->state == SS_CONNECTING`: a connect answered `EINPROGRESS` and was not asked
    /// again since.
    pub is_connecting: bool,
    /// Bound address (port 0: not bound).
    pub local: Endpoint,
    /// The table entry of the binding.
    pub entry: Option<u64>,
    /// bind gave an address other than the wildcard (`SOCK_BINDADDR_LOCK`) and a port other
    /// than 0 (`SOCK_BINDPORT_LOCK`): a disconnect or close keeps them.
    pub is_addr_locked: bool,
    pub is_port_locked: bool,
    pub remote: Option<Endpoint>,
    /// The other end of a TCP connection.
    pub peer: Option<Arc<InetSocket>>,
    /// SYN_SENT, waiting for room in this listener's queue.
    pub listener: Option<Weak<InetSocket>>,
    pub stream: VecDeque<Chunk>,
    pub dgrams: VecDeque<Datagram>,
    /// Unread bytes of the stream, and the memory charged for the queue.
    pub rx_bytes: usize,
    pub rmem: usize,
    pub accept_queue: VecDeque<Arc<InetSocket>>,
    pub syn_queue: VecDeque<Weak<InetSocket>>,
    pub backlog: u32,
    pub shutdown: u8,
    /// The peer sent FIN (`SOCK_DONE`).
    pub fin_received: bool,
    /// `sk_err`.
    pub error: Option<Errno>,
    /// The socket has a file (not an orphan, not a connection waiting in a backlog).
    pub has_file: bool,
    /// Datagrams dropped for want of room (`sk_drops`).
    pub drops: u32,
    /// The connection's handle in the packet-level stack, for TCP through an interface
    /// ([`wire`]).
    pub wire: Option<smoltcp::iface::SocketHandle>,
}

/// An AF_INET or AF_INET6 socket (`struct inet_sock` and its TCP/UDP parts).
pub struct InetSocket {
    pub family: Family,
    pub proto: Proto,
    pub ino: u64,
    uid: u32,
    gid: u32,
    ctime_ns: u64,
    pub state: SpinLock<State>,
    /// Serialises readers and writers (`lock_sock` for each direction).
    pub rx_lock: Mutex<()>,
    pub tx_lock: Mutex<()>,
    pub wait: Arc<WaitQueue>,
    pub flags: AtomicU32,
    pub sndbuf: AtomicU32,
    pub rcvbuf: AtomicU32,
    pub rcvtimeo: AtomicU64,
    pub sndtimeo: AtomicU64,
    pub linger_secs: AtomicU32,
    pub rcvlowat: AtomicU32,
    pub priority: AtomicU32,
    /// `SOL_IP`/`SOL_IPV6`/`SOL_TCP`/`SOL_UDP` options.
    pub opts: SpinLock<sockopt::Options>,
}

impl InetSocket {
    pub fn new(family: Family, proto: Proto, uid: u32, gid: u32) -> Result<Arc<InetSocket>, Errno> {
        let (sndbuf, rcvbuf) = match proto {
            Proto::Tcp => (TCP_WMEM_DEFAULT, TCP_RMEM_DEFAULT),
            Proto::Udp => (opt::WMEM_DEFAULT, opt::RMEM_DEFAULT),
        };
        let socket = Arc::new(InetSocket {
            family,
            proto,
            ino: crate::fs::pipe::next_pseudo_ino(),
            uid,
            gid,
            ctime_ns: crate::time::realtime_ns(),
            state: SpinLock::new(
                "inet.state",
                State {
                    tcp: TcpState::Close,
                    is_connecting: false,
                    local: Endpoint::new(family.any(), 0),
                    entry: None,
                    is_addr_locked: false,
                    is_port_locked: false,
                    remote: None,
                    peer: None,
                    listener: None,
                    stream: VecDeque::new(),
                    dgrams: VecDeque::new(),
                    rx_bytes: 0,
                    rmem: 0,
                    accept_queue: VecDeque::new(),
                    syn_queue: VecDeque::new(),
                    backlog: 0,
                    shutdown: 0,
                    fin_received: false,
                    error: None,
                    has_file: true,
                    drops: 0,
                    wire: None,
                },
            ),
            rx_lock: Mutex::new("inet.rx", ()),
            tx_lock: Mutex::new("inet.tx", ()),
            wait: Arc::new(WaitQueue::new()),
            flags: AtomicU32::new(0),
            sndbuf: AtomicU32::new(sndbuf),
            rcvbuf: AtomicU32::new(rcvbuf),
            rcvtimeo: AtomicU64::new(opt::NO_TIMEOUT),
            sndtimeo: AtomicU64::new(opt::NO_TIMEOUT),
            linger_secs: AtomicU32::new(0),
            rcvlowat: AtomicU32::new(1),
            priority: AtomicU32::new(0),
            opts: SpinLock::new("inet.opts", sockopt::Options::new(family)),
        });
        Ok(socket)
    }

    /// A connection made by `listener` for an incoming connect: its options copied
    /// (`sk_clone_lock`, `inet_csk_clone_lock`).
    pub fn new_child(listener: &InetSocket) -> Result<Arc<InetSocket>, Errno> {
        let child = InetSocket::new(listener.family, listener.proto, listener.uid, listener.gid)?;
        for (to, from) in [
            (&child.flags, &listener.flags),
            (&child.sndbuf, &listener.sndbuf),
            (&child.rcvbuf, &listener.rcvbuf),
            (&child.linger_secs, &listener.linger_secs),
            (&child.rcvlowat, &listener.rcvlowat),
            (&child.priority, &listener.priority),
        ] {
            to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        child
            .rcvtimeo
            .store(listener.rcvtimeo.load(Ordering::Relaxed), Ordering::Relaxed);
        child
            .sndtimeo
            .store(listener.sndtimeo.load(Ordering::Relaxed), Ordering::Relaxed);
        let opts = listener.opts.lock().clone();
        *child.opts.lock() = opts;
        child.state.lock().has_file = false;
        Ok(child)
    }

    pub fn has_flag(&self, bit: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & bit != 0
    }

    pub fn owner(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }

    pub fn ctime_ns(&self) -> u64 {
        self.ctime_ns
    }

    pub fn table(&self) -> &'static table::PortTable {
        match self.proto {
            Proto::Tcp => &table::TCP,
            Proto::Udp => &table::UDP,
        }
    }

    pub fn protocol(&self) -> u32 {
        match self.proto {
            Proto::Tcp => IPPROTO_TCP,
            Proto::Udp => IPPROTO_UDP,
        }
    }

    /// `sock_error`.
    pub fn take_error(&self) -> Option<Errno> {
        self.state.lock().error.take()
    }

    pub fn is_listening(&self) -> bool {
        self.state.lock().tcp == TcpState::Listen
    }

    pub fn v6only(&self) -> bool {
        self.family == Family::V6 && self.opts.lock().v6only
    }

    /// The binding this socket makes with `ip`, for the conflict rules.
    fn binding(&self, ip: Ip, state: BindState) -> Binding {
        Binding {
            family: self.family,
            ip,
            v6only: self.v6only(),
            reuseaddr: self.has_flag(flag::REUSEADDR),
            reuseport: self.has_flag(flag::REUSEPORT),
            uid: self.uid,
            state,
        }
    }

    /// Readiness (`tcp_poll`, `udp_poll`).
    pub fn poll(&self, mut table: Option<&mut PollTable>) -> u16 {
        poll_wait(&mut table, &self.wait);
        let wire = self.state.lock().wire;
        if let Some(handle) = wire {
            return wire::poll_mask(self, handle);
        }
        let state = self.state.lock();
        let mut mask = 0;
        if state.error.is_some() {
            mask |= POLLERR;
        }
        let writable = POLLOUT | POLLWRNORM | POLLWRBAND;
        match self.proto {
            Proto::Tcp => {
                if state.tcp == TcpState::Listen {
                    return if state.accept_queue.is_empty() {
                        mask
                    } else {
                        mask | POLLIN | POLLRDNORM
                    };
                }
                if state.shutdown == SHUTDOWN_MASK || state.tcp == TcpState::Close {
                    mask |= POLLHUP;
                }
                if state.shutdown & RCV_SHUTDOWN != 0 || state.fin_received {
                    mask |= POLLIN | POLLRDNORM | POLLRDHUP;
                }
                if state.tcp != TcpState::SynSent {
                    if state.rx_bytes > 0 {
                        mask |= POLLIN | POLLRDNORM;
                    }
                    if state.shutdown & SEND_SHUTDOWN != 0 {
                        mask |= writable;
                    } else {
                        let peer = state.peer.clone();
                        drop(state);
                        match peer {
                            Some(peer) => {
                                poll_wait(&mut table, &peer.wait);
                                if tcp::room(self, &peer) > 0 {
                                    mask |= writable;
                                }
                            }
                            None => mask |= writable,
                        }
                    }
                }
                mask
            }
            Proto::Udp => {
                if state.shutdown & RCV_SHUTDOWN != 0 {
                    mask |= POLLIN | POLLRDNORM | POLLRDHUP;
                }
                if state.shutdown == SHUTDOWN_MASK {
                    mask |= POLLHUP;
                }
                if !state.dgrams.is_empty() {
                    mask |= POLLIN | POLLRDNORM;
                }
                mask | writable
            }
        }
    }

    /// `SIOCINQ`: unread stream bytes, or the first datagram's length; `EINVAL` on a
    /// listener.
    pub fn inq(&self) -> Result<usize, Errno> {
        let state = self.state.lock();
        match self.proto {
            Proto::Tcp if state.tcp == TcpState::Listen => Err(Errno::EINVAL),
            Proto::Tcp if state.wire.is_some() => {
                let handle = state.wire;
                drop(state);
                Ok(handle.map_or(0, |h| wire::queues(h).0))
            }
            Proto::Tcp => Ok(state.rx_bytes),
            Proto::Udp => Ok(state.dgrams.front().map_or(0, |d| d.data.len())),
        }
    }

    /// `SIOCOUTQ`: bytes sent and not yet acknowledged; on loopback everything sent is
    /// acknowledged at once (it sits in the peer's receive queue).
    pub fn outq(&self) -> Result<usize, Errno> {
        if self.proto == Proto::Tcp && self.is_listening() {
            return Err(Errno::EINVAL);
        }
        let handle = self.state.lock().wire;
        Ok(handle.map_or(0, |h| wire::queues(h).1))
    }

    /// getsockname's endpoint.
    pub fn name(&self) -> Endpoint {
        self.state.lock().local
    }

    /// getpeername's endpoint: `ENOTCONN` unless connected (`inet_getname`).
    pub fn peer_name(&self) -> Result<Endpoint, Errno> {
        let state = self.state.lock();
        let is_connected = match self.proto {
            Proto::Tcp => !matches!(
                state.tcp,
                TcpState::Close | TcpState::SynSent | TcpState::Listen
            ),
            Proto::Udp => true,
        };
        match state.remote {
            Some(remote) if is_connected => Ok(remote),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// Address as this socket's family shows it.
    pub fn encode(&self, endpoint: &Endpoint) -> ([u8; 28], usize) {
        addr::encode(self.family, endpoint)
    }
}

/// Whether the caller may bind `port` (`inet_port_requires_bind_service`: below
/// `net.ipv4.ip_unprivileged_port_start` needs CAP_NET_BIND_SERVICE).
fn may_bind_port(port: u16) -> bool {
    if port == 0 || u32::from(port) >= table::UNPRIVILEGED_PORT_START.load(Ordering::Relaxed) {
        return true;
    }
    crate::process::try_current().is_some_and(|thread| {
        thread
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_NET_BIND_SERVICE)
    })
}

/// `bind(2)` (`inet_bind`, `inet6_bind`): `EINVAL` when already bound, `EADDRNOTAVAIL` for an
/// address not of this host, `EACCES` for a privileged port, `EADDRINUSE` on a conflict.
pub fn bind(socket: &Arc<InetSocket>, raw: &[u8]) -> Result<(), Errno> {
    let mut endpoint = addr::parse(socket.family, raw, addr::Use::Bind)?;
    if socket.family == Family::V6 && endpoint.ip.is_v4() && socket.v6only() {
        return Err(Errno::EADDRNOTAVAIL);
    }
    if !endpoint.ip.is_any()
        && !endpoint.ip.is_v4_multicast_or_broadcast()
        && !crate::net::netdev::is_local(endpoint.ip)
    {
        return Err(Errno::EADDRNOTAVAIL);
    }
    if !may_bind_port(endpoint.port) {
        return Err(Errno::EACCES);
    }
    endpoint.flowinfo = 0;
    {
        let state = socket.state.lock();
        if state.entry.is_some() || state.tcp != TcpState::Close {
            return Err(Errno::EINVAL);
        }
    }
    let binding = socket.binding(endpoint.ip, BindState::Other);
    let (id, port) = socket.table().bind(socket, binding, endpoint, false)?;
    let mut state = socket.state.lock();
    if state.entry.is_some() {
        drop(state);
        socket.table().remove(port, id);
        return Err(Errno::EINVAL);
    }
    state.entry = Some(id);
    state.local = Endpoint { port, ..endpoint };
    state.is_addr_locked = !endpoint.ip.is_any();
    state.is_port_locked = endpoint.port != 0;
    Ok(())
}

/// Binds an unbound socket to an ephemeral port of `ip` (`inet_autobind`, the port part of
/// `inet_hash_connect`); a bound one keeps its port.
pub fn autobind(socket: &Arc<InetSocket>, ip: Ip, for_connect: bool) -> Result<Endpoint, Errno> {
    {
        let state = socket.state.lock();
        if state.entry.is_some() {
            return Ok(state.local);
        }
    }
    let binding = socket.binding(ip, BindState::Other);
    let local = Endpoint::new(ip, 0);
    let (id, port) = socket.table().bind(socket, binding, local, for_connect)?;
    let mut state = socket.state.lock();
    if state.entry.is_some() {
        let local = state.local;
        drop(state);
        socket.table().remove(port, id);
        return Ok(local);
    }
    state.entry = Some(id);
    state.local = Endpoint::new(ip, port);
    Ok(state.local)
}

/// Where a packet to `ip` goes, by the routing table ([`crate::net::fib`]): a local
/// destination (the wildcard means this host, as Linux takes a connect to `INADDR_ANY`) is
/// delivered here, from the route's preferred source; an IPv4 one routed out of the
/// interface that carries the packet-level stack (`net::ip`) leaves from the device's address
/// (`ENETUNREACH` when no route matches, the device is down or has no IPv4 address, and the
/// errno of a reject route); IPv6 leaves no host yet. Returns the destination and the source
/// address.
pub fn route(ip: Ip) -> Result<(Ip, Ip), Errno> {
    let dest = if ip == Ip::ANY4 {
        Ip::LOOPBACK4
    } else if ip == Ip::ANY6 {
        Ip::LOOPBACK6
    } else {
        ip
    };
    let found = crate::net::fib::lookup(dest);
    if let Ok(found) = &found
        && (found.kind == netlink::rtnl::RTN_LOCAL || crate::net::netdev::is_local(dest))
    {
        return Ok((dest, crate::net::fib::source_for(dest, found)));
    }
    let found = found?;
    if !dest.is_v4() {
        return Err(Errno::ENETUNREACH);
    }
    let device = crate::net::netdev::by_index(found.oif).ok_or(Errno::ENETUNREACH)?;
    if !device.is_up() || !crate::net::ip::carries(&device) {
        return Err(Errno::ENETUNREACH);
    }
    let source = crate::net::fib::source_for(dest, &found);
    if source == dest || !source.is_v4() {
        return Err(Errno::ENETUNREACH);
    }
    Ok((dest, source))
}

/// Counts `len` payload bytes as one packet on `lo` (with TCP/UDP and IP headers).
pub fn count_packet(len: usize, is_v4: bool, is_tcp: bool) {
    if let Some(lo) = crate::net::netdev::loopback() {
        let header = if is_v4 { 20 } else { 40 } + if is_tcp { 32 } else { 8 };
        lo.count_loopback(len + header);
    }
}
