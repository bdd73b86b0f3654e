//! TCP connections that leave the host (Linux's `tcp_v4_connect`, `tcp_v4_rcv` for a
//! listener, `tcp_sendmsg`, `tcp_recvmsg`, `tcp_poll`, `tcp_shutdown`, `tcp_close` for a
//! socket whose segments go through an interface): the INET socket's side of a smoltcp
//! connection in `net::ip` (see that module for what smoltcp does and what is done around
//! it).
//!
//! A socket with a connection here has `State::wire` set to its smoltcp handle; the stack
//! keeps a [`Conn`] for it. After each run of the engine, [`sweep`] compares every connection
//! with what it was and [`apply`] tells the sockets (outside the stack's lock): their TCP
//! state (for `/proc/net/tcp`, `getpeername`, connect's wait), a reset as `ECONNREFUSED` or
//! `ECONNRESET`, a wake-up of their waiters; an embryo that reached ESTABLISHED becomes a
//! socket in its listener's accept queue. A closed socket's connection lives on as an orphan
//! (FIN_WAIT, LAST_ACK, TIME_WAIT) until the engine closes it; its port becomes a TIME_WAIT
//! record of the port table for Linux's 60 s.

use super::{InetSocket, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, table};
use crate::net::iov::UserIov;
use crate::net::ip::{self, Stack};
use crate::net::msg::*;
use crate::net::unix::{Deadline, flag};
use ::inet::addr::{Endpoint, Ip};
use ::inet::ports::BindState;
use ::inet::tcpstate::TcpState;
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::{self, State as S};
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint, Ipv4Address};

/// Bytes moved per step of a send or receive.
const STEP: usize = 64 * 1024;
/// Buffer sizes of a connection: the socket's `SO_RCVBUF`/`SO_SNDBUF`, within these.
const MIN_BUFFER: usize = 16 * 1024;
const MAX_BUFFER: usize = 1024 * 1024;
/// `net.ipv4.tcp_fin_timeout`: how long an orphan waits in FIN_WAIT2 for the peer's FIN.
const FIN_TIMEOUT_NS: u64 = 60_000_000_000;
/// Embryos per listening port at most, whatever the backlog.
const MAX_EMBRYOS: usize = 128;
/// How long a listening embryo stays reserved for the SYN it was made for: the engine runs
/// long before this, so an embryo still listening after it lost its SYN (dropped on the way)
/// and may take another peer's.
const RESERVATION_NS: u64 = 1_000_000_000;

/// Who a connection belongs to.
pub enum Owner {
    /// Made for a SYN to a listener; not yet established.
    Embryo {
        listener: Weak<InetSocket>,
        port: u16,
        /// The peer whose SYN it was made for, and when (CLOCK_MONOTONIC): until the engine
        /// has run, it is still listening, and a SYN from another peer needs an embryo of
        /// its own (else the engine finds no listening socket for it and resets it).
        peer: ([u8; 4], u16),
        reserved_ns: u64,
    },
    /// Established and handed to [`apply`], which makes its socket.
    Adopting,
    /// A socket's connection; `released` once its file is closed (an orphan), at
    /// `released_ns` (CLOCK_MONOTONIC).
    Socket {
        socket: Arc<InetSocket>,
        released: bool,
        released_ns: u64,
        /// The port table entry became a TIME_WAIT record or was removed.
        is_unhashed: bool,
    },
    /// Aborted; taken out at the next sweep.
    Dead,
}

/// The kernel's record of one smoltcp TCP socket.
pub struct Conn {
    pub handle: SocketHandle,
    pub owner: Owner,
    last_state: S,
    last_recv: usize,
    last_send: usize,
}

/// What a sweep found, applied outside the stack's lock.
pub enum Event {
    Accept {
        listener: Weak<InetSocket>,
        handle: SocketHandle,
        local: Endpoint,
        remote: Endpoint,
    },
    Update {
        socket: Arc<InetSocket>,
        tcp: TcpState,
        error: Option<Errno>,
    },
    Wake(Arc<InetSocket>),
    /// An orphan's port: a TIME_WAIT record (`true`) or gone.
    Unhash(Arc<InetSocket>, bool),
}

fn map_state(state: S) -> TcpState {
    match state {
        S::Closed => TcpState::Close,
        S::Listen => TcpState::Listen,
        S::SynSent => TcpState::SynSent,
        S::SynReceived => TcpState::SynRecv,
        S::Established => TcpState::Established,
        S::FinWait1 => TcpState::FinWait1,
        S::FinWait2 => TcpState::FinWait2,
        S::CloseWait => TcpState::CloseWait,
        S::Closing => TcpState::Closing,
        S::LastAck => TcpState::LastAck,
        // Closed as far as the socket's user sees (Linux replaces it with a timewait sock).
        S::TimeWait => TcpState::Close,
    }
}

fn endpoint_of(endpoint: IpEndpoint) -> Endpoint {
    let IpAddress::Ipv4(addr) = endpoint.addr;
    Endpoint::new(Ip::v4(addr.octets()), endpoint.port)
}

/// Compares each connection with the last sweep: the events for [`apply`].
pub fn sweep(stack: &mut Stack) -> Vec<Event> {
    let mut events = Vec::new();
    let now_ns = crate::time::monotonic_ns();
    let mut index = 0;
    while index < stack.conns.len() {
        let handle = stack.conns[index].handle;
        let socket = stack.tcp(handle);
        let state = socket.state();
        let recv = socket.recv_queue();
        let send = socket.send_queue();
        let local = socket.local_endpoint();
        let remote = socket.remote_endpoint();
        let conn = &mut stack.conns[index];
        let last = conn.last_state;
        let changed = state != last || recv != conn.last_recv || send != conn.last_send;
        conn.last_state = state;
        conn.last_recv = recv;
        conn.last_send = send;
        let mut remove = false;
        let reserve = events.try_reserve(2).is_ok();
        match &mut conn.owner {
            Owner::Embryo { listener, .. } => {
                let listening = listener.upgrade().is_some_and(|l| l.is_listening());
                if !listening {
                    remove = true;
                } else if !matches!(state, S::Listen | S::SynReceived | S::Closed) {
                    if let (Some(local), Some(remote), true) = (local, remote, reserve) {
                        events.push(Event::Accept {
                            listener: listener.clone(),
                            handle,
                            local: endpoint_of(local),
                            remote: endpoint_of(remote),
                        });
                        conn.owner = Owner::Adopting;
                    } else {
                        remove = true;
                    }
                } else if state == S::Closed {
                    remove = true;
                }
            }
            Owner::Adopting => {}
            Owner::Dead => remove = true,
            Owner::Socket {
                socket: owner,
                released,
                released_ns,
                is_unhashed,
            } => {
                if changed && reserve {
                    if state != last {
                        let error = match (last, state) {
                            (S::SynSent, S::Closed) => Some(Errno::ECONNREFUSED),
                            (
                                S::SynReceived
                                | S::Established
                                | S::FinWait1
                                | S::FinWait2
                                | S::CloseWait
                                | S::Closing,
                                S::Closed,
                            ) => Some(Errno::ECONNRESET),
                            _ => None,
                        };
                        events.push(Event::Update {
                            socket: owner.clone(),
                            tcp: map_state(state),
                            error,
                        });
                    }
                    events.push(Event::Wake(owner.clone()));
                }
                if *released {
                    // An orphan in FIN_WAIT2 goes after `tcp_fin_timeout` (60 s).
                    if state == S::FinWait2 && now_ns.saturating_sub(*released_ns) > FIN_TIMEOUT_NS
                    {
                        stack.sockets.get_mut::<tcp::Socket>(handle).abort();
                    }
                    if matches!(state, S::TimeWait | S::Closed) && !*is_unhashed && reserve {
                        *is_unhashed = true;
                        events.push(Event::Unhash(owner.clone(), state == S::TimeWait));
                    }
                    if state == S::Closed && *is_unhashed {
                        remove = true;
                    }
                }
            }
        }
        if remove {
            let conn = stack.conns.swap_remove(index);
            stack.tcp(conn.handle).abort();
            stack.remove(conn.handle);
            continue;
        }
        index += 1;
    }
    events
}

/// Applies a sweep's events (no stack lock held).
pub fn apply(events: Vec<Event>) {
    for event in events {
        match event {
            Event::Accept {
                listener,
                handle,
                local,
                remote,
            } => adopt(listener, handle, local, remote),
            Event::Update { socket, tcp, error } => {
                let mut state = socket.state.lock();
                if state.wire.is_some() {
                    state.tcp = tcp;
                    if error.is_some() && state.error.is_none() {
                        state.error = error;
                    }
                    if tcp == TcpState::Close {
                        state.fin_received = true;
                    }
                }
            }
            Event::Wake(socket) => socket.wait.wake_all(),
            Event::Unhash(socket, is_time_wait) => {
                let entry = {
                    let mut state = socket.state.lock();
                    state.entry.take().map(|id| (state.local.port, id))
                };
                if let Some((port, id)) = entry {
                    if is_time_wait {
                        socket.table().time_wait(port, id);
                    } else {
                        socket.table().remove(port, id);
                    }
                }
            }
        }
    }
}

/// Marks the connection of `handle` as dead (aborting it with RST).
fn kill(handle: SocketHandle) {
    ip::with_stack(|stack| {
        if let Some(conn) = stack.conns.iter_mut().find(|c| c.handle == handle) {
            conn.owner = Owner::Dead;
            stack.tcp(handle).abort();
        }
    });
}

/// Makes the socket of an established embryo and queues it on its listener (`tcp_check_req`,
/// `inet_csk_complete_hashdance`, `inet_csk_reqsk_queue_add`).
fn adopt(listener: Weak<InetSocket>, handle: SocketHandle, local: Endpoint, remote: Endpoint) {
    let Some(listener) = listener.upgrade() else {
        kill(handle);
        return;
    };
    let made = InetSocket::new_child(&listener).and_then(|child| {
        let binding = child.binding(local.ip, BindState::Other);
        let id = child.table().insert(&child, binding, local, Some(remote))?;
        Ok((child, id))
    });
    let Ok((child, id)) = made else {
        kill(handle);
        return;
    };
    {
        let mut state = child.state.lock();
        state.tcp = TcpState::Established;
        state.local = local;
        state.remote = Some(remote);
        state.entry = Some(id);
        state.wire = Some(handle);
    }
    let owned = ip::with_stack(|stack| {
        match stack.conns.iter_mut().find(|c| c.handle == handle) {
            Some(conn) if matches!(conn.owner, Owner::Adopting) => {
                conn.owner = Owner::Socket {
                    socket: child.clone(),
                    released: false,
                    released_ns: 0,
                    is_unhashed: false,
                };
                // The next sweep reports whatever happened meanwhile.
                conn.last_state = S::Established;
                true
            }
            _ => false,
        }
    })
    .unwrap_or(false);
    let queued = owned && {
        let mut state = listener.state.lock();
        if state.tcp == TcpState::Listen && state.accept_queue.try_reserve(1).is_ok() {
            state.accept_queue.push_back(child.clone());
            true
        } else {
            false
        }
    };
    if queued {
        listener.wait.wake_all();
        ip::poll();
    } else {
        child.state.lock().has_file = false;
        release(&child, true);
    }
}

/// Before the engine sees a SYN from `src`:`src_port` to `dst`:`dst_port`: if an INET socket
/// listens there with room in its queue, a listening smoltcp socket waits for it. Returns
/// false to drop the SYN (queue full), true to let the engine answer (a SYN-ACK, or a reset
/// when nobody listens).
pub fn prepare_for_syn(src: [u8; 4], dst: [u8; 4], src_port: u16, dst_port: u16) -> bool {
    let Some(listener) = table::TCP.lookup(Ip::v4(dst), dst_port, None) else {
        return true;
    };
    let (queued, backlog) = {
        let state = listener.state.lock();
        if state.tcp != TcpState::Listen {
            return true;
        }
        (state.accept_queue.len(), state.backlog as usize)
    };
    let rcvbuf = listener.rcvbuf.load(Ordering::Relaxed) as usize;
    let sndbuf = listener.sndbuf.load(Ordering::Relaxed) as usize;
    let nodelay = listener.opts.lock().nodelay;
    let Ok(socket) = new_socket(rcvbuf, sndbuf, nodelay) else {
        return false;
    };
    let weak = Arc::downgrade(&listener);
    let now_ns = crate::time::monotonic_ns();
    ip::with_stack(|stack| {
        let mut embryos = 0;
        let mut stale = None;
        for (index, conn) in stack.conns.iter().enumerate() {
            if let Owner::Embryo {
                listener,
                port,
                peer,
                reserved_ns,
            } = &conn.owner
                && *port == dst_port
                && Weak::ptr_eq(listener, &weak)
            {
                embryos += 1;
                let tcp = stack.sockets.get::<tcp::Socket>(conn.handle);
                let is_listening = tcp.state() == S::Listen;
                // A retransmitted SYN of a connection in progress, or of one whose embryo
                // waits for the engine.
                let is_same_peer = if is_listening {
                    *peer == (src, src_port)
                } else {
                    tcp.remote_endpoint().is_some_and(|r| {
                        r.port == src_port && r.addr == IpAddress::Ipv4(Ipv4Address::from(src))
                    })
                };
                if is_same_peer {
                    return true;
                }
                if is_listening && now_ns.saturating_sub(*reserved_ns) > RESERVATION_NS {
                    stale = Some(index);
                }
            }
        }
        if let Some(index) = stale {
            if let Owner::Embryo {
                peer, reserved_ns, ..
            } = &mut stack.conns[index].owner
            {
                *peer = (src, src_port);
                *reserved_ns = now_ns;
            }
            return true;
        }
        if queued + embryos > backlog || embryos >= MAX_EMBRYOS {
            return false;
        }
        let mut socket = socket;
        if socket
            .listen(IpListenEndpoint {
                addr: None,
                port: dst_port,
            })
            .is_err()
        {
            return false;
        }
        let Ok(handle) = stack.add_tcp(socket) else {
            return false;
        };
        stack.conns.push(Conn {
            handle,
            owner: Owner::Embryo {
                listener: weak,
                port: dst_port,
                peer: (src, src_port),
                reserved_ns: now_ns,
            },
            last_state: S::Listen,
            last_recv: 0,
            last_send: 0,
        });
        true
    })
    .unwrap_or(true)
}

fn buffer(size: usize) -> Result<Vec<u8>, Errno> {
    let size = size.clamp(MIN_BUFFER, MAX_BUFFER);
    let mut bytes = Vec::new();
    hal::mm::heap::user_data(|| bytes.try_reserve_exact(size)).map_err(|_| Errno::ENOBUFS)?;
    bytes.resize(size, 0);
    Ok(bytes)
}

/// A smoltcp socket with buffers of about the socket's sizes (Linux's defaults autotune up to
/// megabytes; these stay fixed, at least 64 KiB each way so that one window fills a
/// bandwidth-delay product of a local link).
fn new_socket(rcvbuf: usize, sndbuf: usize, nodelay: bool) -> Result<tcp::Socket<'static>, Errno> {
    let rx = buffer(rcvbuf.max(256 * 1024))?;
    let tx = buffer(sndbuf.max(256 * 1024))?;
    let mut socket = tcp::Socket::new(tcp::SocketBuffer::new(rx), tcp::SocketBuffer::new(tx));
    socket.set_nagle_enabled(!nodelay);
    Ok(socket)
}

/// Whether `ip` leaves the host through an interface (neither loopback nor local).
pub fn is_remote(ip: Ip) -> bool {
    ip.is_v4() && !ip.is_loopback() && !crate::net::netdev::is_local(ip) && !ip.is_any()
}

/// `connect(2)` to a remote address, once bound (`tcp_v4_connect`, `tcp_connect`): the SYN
/// goes out, then the caller waits as for loopback.
pub fn connect(socket: &Arc<InetSocket>, local: Endpoint, dest: Endpoint) -> Result<(), Errno> {
    let nodelay = socket.opts.lock().nodelay;
    let mut tcp = new_socket(
        socket.rcvbuf.load(Ordering::Relaxed) as usize,
        socket.sndbuf.load(Ordering::Relaxed) as usize,
        nodelay,
    )?;
    let handle = ip::with_stack(|stack| {
        let remote = IpEndpoint::new(
            IpAddress::Ipv4(Ipv4Address::from(dest.ip.v4_octets())),
            dest.port,
        );
        let local = IpListenEndpoint {
            addr: Some(IpAddress::Ipv4(Ipv4Address::from(local.ip.v4_octets()))),
            port: local.port,
        };
        tcp.connect(stack.iface.context(), remote, local)
            .map_err(|_| Errno::EADDRNOTAVAIL)?;
        let handle = stack.add_tcp(tcp)?;
        stack.conns.push(Conn {
            handle,
            owner: Owner::Socket {
                socket: socket.clone(),
                released: false,
                released_ns: 0,
                is_unhashed: false,
            },
            last_state: S::SynSent,
            last_recv: 0,
            last_send: 0,
        });
        Ok::<SocketHandle, Errno>(handle)
    })
    .ok_or(Errno::ENETUNREACH)??;
    {
        let mut state = socket.state.lock();
        state.wire = Some(handle);
        state.tcp = TcpState::SynSent;
    }
    ip::poll();
    Ok(())
}

/// The handle of `socket`'s connection, if it has one here.
pub fn handle_of(socket: &InetSocket) -> Option<SocketHandle> {
    socket.state.lock().wire
}

fn with_tcp<R>(handle: SocketHandle, f: impl FnOnce(&mut tcp::Socket<'static>) -> R) -> Option<R> {
    ip::with_stack(|stack| {
        stack
            .conns
            .iter()
            .any(|c| c.handle == handle)
            .then(|| f(stack.tcp(handle)))
    })
    .flatten()
}

/// `TCP_NODELAY` set or `TCP_CORK` cleared on a connection here (`tcp_push_pending_frames`
/// with `TCP_NAGLE_PUSH`): what Nagle holds back goes out now, then Nagle follows `nodelay`.
/// Without it, nginx's response tail (`tcp_nopush` uncorks, then sets `TCP_NODELAY`) waited
/// for the client's ACK: a round trip per response.
pub fn push_pending(socket: &InetSocket, nodelay: bool) {
    let Some(handle) = socket.state.lock().wire else {
        return;
    };
    if with_tcp(handle, |tcp| tcp.set_nagle_enabled(false)).is_none() {
        return;
    }
    ip::poll();
    with_tcp(handle, |tcp| tcp.set_nagle_enabled(!nodelay));
}

/// `tcp_poll` for a connection here.
pub fn poll_mask(socket: &InetSocket, handle: SocketHandle) -> u16 {
    use crate::fs::poll::*;
    use abi::poll::POLLRDHUP;
    let (shutdown, has_error) = {
        let state = socket.state.lock();
        (state.shutdown, state.error.is_some())
    };
    let facts = with_tcp(handle, |tcp| {
        (
            tcp.state(),
            tcp.recv_queue(),
            tcp.may_recv(),
            tcp.send_capacity() - tcp.send_queue(),
            tcp.may_send(),
        )
    });
    let mut mask = 0;
    if has_error {
        mask |= POLLERR;
    }
    let Some((state, queued, may_recv, room, may_send)) = facts else {
        return mask | POLLHUP | POLLIN | POLLRDNORM | POLLRDHUP;
    };
    if matches!(state, S::SynSent | S::SynReceived) {
        return mask;
    }
    let is_closed = matches!(state, S::Closed | S::TimeWait);
    if is_closed || shutdown == SHUTDOWN_MASK {
        mask |= POLLHUP;
    }
    if queued > 0 {
        mask |= POLLIN | POLLRDNORM;
    }
    if !may_recv || shutdown & RCV_SHUTDOWN != 0 {
        mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    }
    if shutdown & SEND_SHUTDOWN != 0 || (may_send && room > 0) || is_closed {
        mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    }
    mask
}

/// `SIOCINQ` and `SIOCOUTQ`.
pub fn queues(handle: SocketHandle) -> (usize, usize) {
    with_tcp(handle, |tcp| (tcp.recv_queue(), tcp.send_queue())).unwrap_or((0, 0))
}

/// `tcp_sendmsg` on a connection here.
pub fn send(
    socket: &Arc<InetSocket>,
    handle: SocketHandle,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<usize, Errno> {
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.sndtimeo.load(Ordering::Relaxed),
    );
    let _writer = socket.tx_lock.lock();
    let total = data.total();
    let mut sent = 0;
    let partial = |sent: usize, error: Errno| if sent > 0 { Ok(sent) } else { Err(error) };
    let nodelay = socket.opts.lock().nodelay;
    loop {
        // Room in the send buffer, or why there will never be.
        let room = || -> Option<Result<usize, Errno>> {
            {
                let mut state = socket.state.lock();
                if let Some(error) = state.error.take() {
                    return Some(Err(error));
                }
                if state.shutdown & SEND_SHUTDOWN != 0 {
                    return Some(Err(Errno::EPIPE));
                }
            }
            let facts = with_tcp(handle, |tcp| {
                (
                    tcp.state(),
                    tcp.may_send(),
                    tcp.send_capacity() - tcp.send_queue(),
                )
            });
            match facts {
                None => Some(Err(Errno::EPIPE)),
                Some((S::SynSent | S::SynReceived, _, _)) => None,
                Some((_, false, _)) => Some(Err(Errno::EPIPE)),
                Some((_, true, 0)) => None,
                Some((_, true, room)) => Some(Ok(room)),
            }
        };
        if sent == total && total > 0 {
            return Ok(sent);
        }
        let space = match room() {
            Some(Ok(space)) => space,
            Some(Err(error)) => return partial(sent, error),
            None => match deadline.wait(&[&socket.wait], room) {
                Ok(Ok(space)) => space,
                Ok(Err(error)) | Err(error) => return partial(sent, error),
            },
        };
        if total == 0 {
            return Ok(0);
        }
        let size = space.min(total - sent).min(STEP);
        let mut bytes = Vec::new();
        if hal::mm::heap::user_data(|| bytes.try_reserve_exact(size)).is_err() {
            return partial(sent, Errno::ENOMEM);
        }
        bytes.resize(size, 0);
        if let Err(error) = data.copy_in(&mut bytes) {
            return partial(sent, error);
        }
        let taken = with_tcp(handle, |tcp| {
            tcp.set_nagle_enabled(!nodelay && flags & MSG_MORE == 0);
            tcp.send_slice(&bytes).unwrap_or(0)
        })
        .unwrap_or(0);
        ip::poll();
        if taken == 0 {
            return partial(sent, Errno::EPIPE);
        }
        sent += taken;
    }
}

/// What a receive got.
pub struct Received {
    pub count: usize,
}

/// `tcp_recvmsg` on a connection here.
pub fn recv(
    socket: &Arc<InetSocket>,
    handle: SocketHandle,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<Received, Errno> {
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.rcvtimeo.load(Ordering::Relaxed),
    );
    let _reader = socket.rx_lock.lock();
    let len = data.total();
    if len == 0 {
        return Ok(Received { count: 0 });
    }
    let target = if flags & MSG_WAITALL != 0 {
        len
    } else {
        (socket.rcvlowat.load(Ordering::Relaxed) as usize).clamp(1, len)
    };
    let is_peek = flags & MSG_PEEK != 0;
    let is_trunc = flags & MSG_TRUNC != 0;
    let mut copied = 0;
    enum Step {
        Data(Vec<u8>),
        Wait,
        Eof,
        Fail(Errno),
    }
    loop {
        let want = (len - copied).min(STEP);
        let mut buffer = Vec::new();
        if hal::mm::heap::user_data(|| buffer.try_reserve_exact(want)).is_err() {
            return if copied > 0 {
                Ok(Received { count: copied })
            } else {
                Err(Errno::ENOMEM)
            };
        }
        buffer.resize(want, 0);
        let mut buffer = Some(buffer);
        let mut decide = |copied: usize| -> Step {
            let shutdown = socket.state.lock().shutdown;
            let step = with_tcp(handle, |tcp| {
                let queued = tcp.recv_queue();
                let enough = if is_peek {
                    queued >= target || queued >= want || !tcp.may_recv()
                } else {
                    queued > 0
                };
                if queued > 0 && enough {
                    let Some(mut bytes) = buffer.take() else {
                        return Step::Wait;
                    };
                    let got = if is_peek {
                        tcp.peek_slice(&mut bytes)
                    } else {
                        tcp.recv_slice(&mut bytes)
                    };
                    let got = got.unwrap_or(0);
                    bytes.truncate(got);
                    return Step::Data(bytes);
                }
                if copied >= target {
                    return Step::Eof;
                }
                if matches!(tcp.state(), S::SynSent | S::SynReceived) {
                    return Step::Wait;
                }
                if !tcp.may_recv() || shutdown & RCV_SHUTDOWN != 0 {
                    return Step::Eof;
                }
                Step::Wait
            });
            match step {
                Some(Step::Eof) | None => {
                    let mut state = socket.state.lock();
                    match state.error.take() {
                        Some(error) if copied == 0 => Step::Fail(error),
                        Some(error) => {
                            state.error = Some(error);
                            Step::Eof
                        }
                        None => Step::Eof,
                    }
                }
                Some(step) => step,
            }
        };
        let step = match decide(copied) {
            Step::Wait => {
                let waited = deadline.wait(&[&socket.wait], || match decide(copied) {
                    Step::Wait => None,
                    step => Some(step),
                });
                match waited {
                    Ok(step) => step,
                    Err(error) => {
                        return if copied > 0 {
                            Ok(Received { count: copied })
                        } else {
                            Err(error)
                        };
                    }
                }
            }
            step => step,
        };
        match step {
            Step::Wait => {}
            Step::Eof => return Ok(Received { count: copied }),
            Step::Fail(error) => return Err(error),
            Step::Data(bytes) => {
                if !is_peek {
                    // The window opened: let the engine say so.
                    ip::poll();
                }
                if !is_trunc && let Err(error) = data.copy_out(&bytes) {
                    return if copied > 0 {
                        Ok(Received { count: copied })
                    } else {
                        Err(error)
                    };
                }
                copied += bytes.len();
                if is_peek || copied >= target || copied == len {
                    return Ok(Received { count: copied });
                }
            }
        }
    }
}

/// `shutdown(2)`: `SEND_SHUTDOWN` sends FIN (half-close: receiving goes on).
pub fn shutdown(socket: &Arc<InetSocket>, handle: SocketHandle, how: u8) -> Result<(), Errno> {
    socket.state.lock().shutdown |= how;
    if how & SEND_SHUTDOWN != 0 {
        with_tcp(handle, |tcp| tcp.close());
        ip::poll();
    }
    socket.wait.wake_all();
    Ok(())
}

/// The file's last close (`tcp_close`), or a connection never accepted: unread data or
/// `SO_LINGER` 0 (or `abort`) resets, anything else closes with FIN; the connection lives on
/// as an orphan.
pub fn release(socket: &Arc<InetSocket>, abort: bool) {
    let Some(handle) = socket.state.lock().wire else {
        return;
    };
    let is_linger_zero =
        socket.has_flag(flag::LINGER) && socket.linger_secs.load(Ordering::Relaxed) == 0;
    ip::with_stack(|stack| {
        let Some(conn) = stack.conns.iter_mut().find(|c| c.handle == handle) else {
            return;
        };
        if let Owner::Socket {
            released,
            released_ns,
            ..
        } = &mut conn.owner
        {
            *released = true;
            *released_ns = crate::time::monotonic_ns();
        }
        let tcp = stack.tcp(handle);
        if abort || is_linger_zero || tcp.recv_queue() > 0 {
            tcp.abort();
        } else {
            tcp.close();
        }
    });
    {
        let mut state = socket.state.lock();
        state.shutdown = SHUTDOWN_MASK;
    }
    ip::poll();
    socket.wait.wake_all();
}

/// Resets the connection at once (`tcp_disconnect`, a listener's queue dropped): RST, and the
/// connection forgotten.
pub fn abort(socket: &InetSocket) {
    let handle = socket.state.lock().wire.take();
    if let Some(handle) = handle {
        kill(handle);
        ip::poll();
    }
}
