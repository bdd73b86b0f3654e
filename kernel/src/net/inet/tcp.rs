//! TCP over loopback (Linux 6.1 `net/ipv4/tcp.c`, `tcp_input.c`, `inet_connection_sock.c`,
//! `af_inet.c`'s stream calls): the connection state machine as user space sees it, with the
//! segments left out (see the parent module).
//!
//! - connect: a listener found for the destination gets a new socket in its accept queue at
//!   once, or, with `backlog + 1` already waiting, the connector stays in SYN_SENT in the
//!   listener's SYN queue until `accept` makes room; no listener is `ECONNREFUSED`. A
//!   non-blocking connect always answers `EINPROGRESS` (as Linux's, whose handshake finishes
//!   after the call returns); the next connect answers 0 (or the error), then `EISCONN`.
//! - send: bytes go straight into the peer's receive queue while it holds less than the
//!   peer's `SO_RCVBUF` plus our `SO_SNDBUF` (the window plus our send queue); a writer waits
//!   for room. Data that reaches a closed (orphaned) peer resets the connection: that write
//!   succeeds and the next fails (`EPIPE` with SIGPIPE, or `ECONNRESET`).
//! - receive: `MSG_PEEK`, `MSG_WAITALL`, `MSG_TRUNC` (discard), `SO_RCVLOWAT`; end of file
//!   after the peer's FIN; a reset's error after the data queued before it.
//! - shutdown and close: FIN moves the states (FIN_WAIT2/CLOSE_WAIT, then LAST_ACK and
//!   TIME_WAIT for the side that closed first); close with unread data or `SO_LINGER` 0
//!   resets instead (`tcp_close`), a listener's close resets what waits in its queues.

use super::{
    Chunk, InetSocket, Proto, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, addr, autobind,
    count_packet, route, truesize,
};
use crate::net::iov::UserIov;
use crate::net::msg::*;
use crate::net::unix::{Deadline, flag};
use ::inet::addr::{Endpoint, Family, Use};
use ::inet::ports::BindState;
use ::inet::tcpstate::TcpState;
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// Most bytes moved per step of a send (one buffer of the receiver's queue).
const CHUNK: usize = 64 * 1024;

/// Room left in `receiver`'s queue for what `sender` sends.
pub fn room(sender: &InetSocket, receiver: &InetSocket) -> usize {
    let limit = receiver.rcvbuf.load(Ordering::Relaxed) as usize
        + sender.sndbuf.load(Ordering::Relaxed) as usize;
    let used = receiver.state.lock().rmem;
    limit.saturating_sub(used)
}

/// `listen(2)` (`inet_listen`): binds an unbound socket to an ephemeral port, and refuses a
/// port another socket listens on (`EADDRINUSE`, the bind rule checked again for a
/// listener).
pub fn listen(socket: &Arc<InetSocket>, backlog: u32) -> Result<(), Errno> {
    if socket.proto != Proto::Tcp {
        return Err(Errno::EOPNOTSUPP);
    }
    {
        let mut state = socket.state.lock();
        match state.tcp {
            TcpState::Listen => {
                state.backlog = backlog;
                return Ok(());
            }
            TcpState::Close if !state.is_connecting => {}
            _ => return Err(Errno::EINVAL),
        }
    }
    let any = socket.family.any();
    let local = autobind(socket, any, false)?;
    let entry = socket.state.lock().entry.ok_or(Errno::EINVAL)?;
    let binding = socket.binding(local.ip, BindState::Listen);
    socket.table().make_listener(local.port, entry, binding)?;
    let mut state = socket.state.lock();
    state.tcp = TcpState::Listen;
    state.backlog = backlog;
    Ok(())
}

/// What a connect found.
enum Joined {
    Established,
    Waiting,
    Refused,
}

/// Makes the connection of `connector` to `listener`: a new socket for the listener's side,
/// queued for accept, or the connector left waiting in the SYN queue (`is_retry`: it was
/// already there and goes back to its front).
fn join(
    listener: &Arc<InetSocket>,
    connector: &Arc<InetSocket>,
    local: Endpoint,
    dest: Endpoint,
    is_retry: bool,
) -> Result<Joined, Errno> {
    let child = InetSocket::new_child(listener)?;
    let binding = child.binding(dest.ip, BindState::Other);
    let id = listener
        .table()
        .insert(&child, binding, dest, Some(local))?;
    {
        let mut state = child.state.lock();
        state.tcp = TcpState::Established;
        state.local = dest;
        state.remote = Some(local);
        state.entry = Some(id);
        state.peer = Some(connector.clone());
    }
    {
        let mut state = connector.state.lock();
        state.tcp = TcpState::Established;
        state.peer = Some(child.clone());
        state.remote = Some(dest);
        state.listener = None;
    }
    let outcome = {
        let mut state = listener.state.lock();
        if state.tcp != TcpState::Listen {
            Joined::Refused
        } else if state.accept_queue.len() > state.backlog as usize {
            let waiter = Arc::downgrade(connector);
            let pushed = if is_retry {
                state
                    .syn_queue
                    .try_reserve(1)
                    .map(|()| state.syn_queue.push_front(waiter))
            } else {
                state
                    .syn_queue
                    .try_reserve(1)
                    .map(|()| state.syn_queue.push_back(waiter))
            };
            if pushed.is_err() {
                Joined::Refused
            } else {
                Joined::Waiting
            }
        } else if state.accept_queue.try_reserve(1).is_err() {
            Joined::Refused
        } else {
            state.accept_queue.push_back(child.clone());
            Joined::Established
        }
    };
    match outcome {
        Joined::Established => {
            listener.wait.wake_all();
            connector.wait.wake_all();
            count_packet(0, local.ip.is_v4(), true);
        }
        _ => {
            {
                let mut state = connector.state.lock();
                state.peer = None;
                state.tcp = TcpState::SynSent;
                state.listener = Some(Arc::downgrade(listener));
            }
            let mut state = child.state.lock();
            state.peer = None;
            state.entry = None;
            drop(state);
            listener.table().remove(dest.port, id);
        }
    }
    Ok(outcome)
}

/// `connect(2)` on a TCP socket (`__inet_stream_connect`, `tcp_v4_connect`,
/// `tcp_v6_connect`).
pub fn connect(socket: &Arc<InetSocket>, raw: &[u8], is_nonblocking: bool) -> Result<(), Errno> {
    if raw.len() < 2 {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([raw[0], raw[1]]) == 0 {
        // AF_UNSPEC: tcp_disconnect.
        disconnect(socket);
        return Ok(());
    }
    let waiting = {
        let mut state = socket.state.lock();
        match state.tcp {
            TcpState::Listen => return Err(Errno::EISCONN),
            TcpState::SynSent => {
                if is_nonblocking {
                    return Err(Errno::EALREADY);
                }
                true
            }
            TcpState::Close => {
                if state.is_connecting {
                    state.is_connecting = false;
                    return Err(state.error.take().unwrap_or(Errno::ECONNABORTED));
                }
                false
            }
            _ => {
                if state.is_connecting {
                    state.is_connecting = false;
                    return Ok(());
                }
                return Err(Errno::EISCONN);
            }
        }
    };
    if waiting {
        return wait_connected(
            socket,
            Deadline::new(false, socket.sndtimeo.load(Ordering::Relaxed)),
        );
    }
    let dest = addr::parse(socket.family, raw, Use::Connect)?;
    if socket.family == Family::V6 && dest.ip.is_v4() && socket.v6only() {
        return Err(Errno::ENETUNREACH);
    }
    let (dest_ip, source) = route(dest.ip)?;
    let dest = Endpoint::new(dest_ip, dest.port);
    let bound = socket.state.lock().local;
    let mut local = autobind(
        socket,
        if bound.ip.is_any() { source } else { bound.ip },
        true,
    )?;
    if local.ip.is_any() {
        local.ip = source;
    }
    {
        let mut state = socket.state.lock();
        state.local = local;
        state.remote = Some(dest);
        state.error = None;
        state.shutdown = 0;
        state.fin_received = false;
        if let Some(id) = state.entry {
            let port = local.port;
            drop(state);
            socket.table().update(port, id, |entry| {
                entry.binding.ip = local.ip;
                entry.local = local;
                entry.remote = Some(dest);
            });
        }
    }
    if super::wire::is_remote(dest.ip) {
        if let Err(error) = super::wire::connect(socket, local, dest) {
            refuse(socket, false);
            return Err(error);
        }
        if is_nonblocking {
            socket.state.lock().is_connecting = true;
            return Err(Errno::EINPROGRESS);
        }
        return wait_connected(
            socket,
            Deadline::new(false, socket.sndtimeo.load(Ordering::Relaxed)),
        );
    }
    let listener = socket.table().lookup(dest.ip, dest.port, None);
    let outcome = match listener {
        Some(listener) => join(&listener, socket, local, dest, false)?,
        None => Joined::Refused,
    };
    match outcome {
        Joined::Refused => {
            refuse(socket, false);
            if is_nonblocking {
                let mut state = socket.state.lock();
                state.is_connecting = true;
                state.error = Some(Errno::ECONNREFUSED);
                drop(state);
                socket.wait.wake_all();
                return Err(Errno::EINPROGRESS);
            }
            Err(Errno::ECONNREFUSED)
        }
        Joined::Established | Joined::Waiting => {
            if is_nonblocking {
                socket.state.lock().is_connecting = true;
                return Err(Errno::EINPROGRESS);
            }
            wait_connected(
                socket,
                Deadline::new(false, socket.sndtimeo.load(Ordering::Relaxed)),
            )
        }
    }
}

/// Waits while `socket` is in SYN_SENT (`inet_wait_for_connect`): 0 once established, the
/// error once refused; a timeout leaves it connecting (`EINPROGRESS`), as a signal does
/// (`ERESTARTSYS`/`EINTR`).
fn wait_connected(socket: &InetSocket, deadline: Deadline) -> Result<(), Errno> {
    let check = || {
        let mut state = socket.state.lock();
        match state.tcp {
            TcpState::SynSent => None,
            TcpState::Close => Some(Err(state.error.take().unwrap_or(Errno::ECONNABORTED))),
            _ => Some(Ok(())),
        }
    };
    let result = match check() {
        Some(result) => result,
        None => match deadline.wait(&[&socket.wait], check) {
            Ok(result) => result,
            Err(Errno::EAGAIN) => {
                socket.state.lock().is_connecting = true;
                return Err(Errno::EINPROGRESS);
            }
            Err(error) => {
                socket.state.lock().is_connecting = true;
                return Err(error);
            }
        },
    };
    socket.state.lock().is_connecting = false;
    result
}

/// A connect that found no listener, or whose listener went away: CLOSE, the port given back
/// unless bound by the user (`tcp_done`); `with_error` records `ECONNREFUSED`.
fn refuse(socket: &InetSocket, with_error: bool) {
    let released = {
        let mut state = socket.state.lock();
        state.tcp = TcpState::Close;
        state.listener = None;
        state.remote = None;
        state.shutdown = SHUTDOWN_MASK;
        if with_error {
            state.error = Some(Errno::ECONNREFUSED);
        }
        if state.is_port_locked {
            None
        } else {
            let port = state.local.port;
            state.local = Endpoint::new(socket.family.any(), 0);
            state.entry.take().map(|id| (port, id))
        }
    };
    if let Some((port, id)) = released {
        socket.table().remove(port, id);
    }
    socket.wait.wake_all();
}

/// `tcp_disconnect` (connect with AF_UNSPEC, shutdown of a listener or connector): resets a
/// connection, stops listening, leaves the SYN queue.
fn disconnect(socket: &Arc<InetSocket>) {
    let tcp = socket.state.lock().tcp;
    let is_wire = socket.state.lock().wire.is_some();
    match tcp {
        _ if is_wire => abort(socket),
        TcpState::Listen => stop_listening(socket),
        TcpState::SynSent => leave_syn_queue(socket),
        TcpState::Close => {}
        _ => abort(socket),
    }
    let mut state = socket.state.lock();
    state.tcp = TcpState::Close;
    state.shutdown = 0;
    state.fin_received = false;
    state.is_connecting = false;
    state.remote = None;
}

fn leave_syn_queue(socket: &Arc<InetSocket>) {
    let listener = {
        let mut state = socket.state.lock();
        state.tcp = TcpState::Close;
        state.listener.take().and_then(|l| l.upgrade())
    };
    if let Some(listener) = listener {
        let me = Arc::downgrade(socket);
        listener
            .state
            .lock()
            .syn_queue
            .retain(|w| !Weak::ptr_eq(w, &me));
    }
}

/// Stops a listener: the connections waiting for accept are reset, the connectors waiting
/// for room refused (`inet_csk_listen_stop`).
fn stop_listening(socket: &Arc<InetSocket>) {
    let (accepted, waiting, entry) = {
        let mut state = socket.state.lock();
        state.tcp = TcpState::Close;
        (
            core::mem::take(&mut state.accept_queue),
            core::mem::take(&mut state.syn_queue),
            state.entry.map(|id| (state.local.port, id)),
        )
    };
    if let Some((port, id)) = entry {
        socket
            .table()
            .update(port, id, |entry| entry.binding.state = BindState::Other);
    }
    for child in accepted {
        abort(&child);
        child.state.lock().has_file = false;
    }
    for waiter in waiting.iter().filter_map(Weak::upgrade) {
        let is_waiting = waiter.state.lock().tcp == TcpState::SynSent;
        if is_waiting {
            refuse(&waiter, true);
        }
    }
    socket.wait.wake_all();
}

/// `accept(2)` (`inet_csk_accept`): `EINVAL` unless listening; waits for a connection
/// (`SO_RCVTIMEO`), then lets connectors waiting in the SYN queue in while there is room.
pub fn accept(socket: &Arc<InetSocket>, is_nonblocking: bool) -> Result<Arc<InetSocket>, Errno> {
    if socket.proto != Proto::Tcp {
        return Err(Errno::EOPNOTSUPP);
    }
    let deadline = Deadline::new(is_nonblocking, socket.rcvtimeo.load(Ordering::Relaxed));
    let take = || {
        let mut state = socket.state.lock();
        if state.tcp != TcpState::Listen {
            return Some(Err(Errno::EINVAL));
        }
        state.accept_queue.pop_front().map(Ok)
    };
    let child = match take() {
        Some(result) => result?,
        None => deadline.wait(&[&socket.wait], take)??,
    };
    child.state.lock().has_file = true;
    admit_waiters(socket);
    Ok(child)
}

/// Lets connectors in SYN_SENT into `listener`'s accept queue while it has room.
fn admit_waiters(listener: &Arc<InetSocket>) {
    loop {
        let waiter = {
            let mut state = listener.state.lock();
            if state.tcp != TcpState::Listen || state.accept_queue.len() > state.backlog as usize {
                return;
            }
            match state.syn_queue.pop_front() {
                Some(waiter) => waiter,
                None => return,
            }
        };
        let Some(waiter) = waiter.upgrade() else {
            continue;
        };
        let (local, dest) = {
            let state = waiter.state.lock();
            match (state.tcp, state.remote) {
                (TcpState::SynSent, Some(remote)) => (state.local, remote),
                _ => continue,
            }
        };
        match join(listener, &waiter, local, dest, true) {
            Ok(Joined::Established) => {}
            Ok(Joined::Waiting) => return,
            Ok(Joined::Refused) | Err(_) => refuse(&waiter, true),
        }
    }
}

/// Resets the connection (`tcp_send_active_reset` and the peer's `tcp_reset`): both sides
/// CLOSE, the peer's error `ECONNRESET` (`EPIPE` in CLOSE_WAIT), no TIME_WAIT.
pub fn abort(socket: &Arc<InetSocket>) {
    super::wire::abort(socket);
    let (peer, entry, dropped) = {
        let mut state = socket.state.lock();
        state.tcp = TcpState::Close;
        state.shutdown = SHUTDOWN_MASK;
        state.rx_bytes = 0;
        state.rmem = 0;
        (
            state.peer.take(),
            state.entry.take().map(|id| (state.local.port, id)),
            core::mem::take(&mut state.stream),
        )
    };
    drop(dropped);
    if let Some((port, id)) = entry {
        socket.table().remove(port, id);
    }
    socket.wait.wake_all();
    if let Some(peer) = peer {
        reset_by_peer(&peer, socket);
    }
}

/// `tcp_reset` on `socket`, whose peer `from` reset the connection.
fn reset_by_peer(socket: &Arc<InetSocket>, from: &Arc<InetSocket>) {
    let entry = {
        let mut state = socket.state.lock();
        if !state.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, from)) {
            return;
        }
        state.peer = None;
        let error = match state.tcp {
            TcpState::SynSent => Errno::ECONNREFUSED,
            TcpState::CloseWait => Errno::EPIPE,
            TcpState::Close | TcpState::TimeWait => return,
            _ => Errno::ECONNRESET,
        };
        state.error = Some(error);
        state.tcp = TcpState::Close;
        state.shutdown = SHUTDOWN_MASK;
        state.entry.take().map(|id| (state.local.port, id))
    };
    if let Some((port, id)) = entry {
        socket.table().remove(port, id);
    }
    socket.wait.wake_all();
}

/// Sends FIN (`tcp_send_fin` and the peer's `tcp_fin`): ESTABLISHED becomes FIN_WAIT2 and the
/// peer CLOSE_WAIT; CLOSE_WAIT becomes CLOSE (LAST_ACK, acknowledged at once) and the peer,
/// in FIN_WAIT2, leaves a TIME_WAIT record.
fn send_fin(socket: &Arc<InetSocket>) {
    let (peer, was) = {
        let mut state = socket.state.lock();
        let was = state.tcp;
        match was {
            TcpState::Established => state.tcp = TcpState::FinWait2,
            TcpState::CloseWait => state.tcp = TcpState::LastAck,
            _ => return,
        }
        (state.peer.clone(), was)
    };
    count_packet(0, true, true);
    let Some(peer) = peer else {
        return;
    };
    let mut peer_time_wait = None;
    {
        let mut state = peer.state.lock();
        state.fin_received = true;
        match state.tcp {
            TcpState::Established => state.tcp = TcpState::CloseWait,
            TcpState::FinWait2 => {
                state.tcp = TcpState::TimeWait;
                peer_time_wait = state.entry.take().map(|id| (state.local.port, id));
                state.peer = None;
                if state.has_file {
                    state.tcp = TcpState::Close;
                    state.shutdown = SHUTDOWN_MASK;
                }
            }
            _ => {}
        }
    }
    if let Some((port, id)) = peer_time_wait {
        peer.table().time_wait(port, id);
    }
    peer.wait.wake_all();
    if was == TcpState::CloseWait {
        // Our FIN is acknowledged: CLOSE.
        let entry = {
            let mut state = socket.state.lock();
            state.tcp = TcpState::Close;
            state.peer = None;
            if state.has_file && state.is_port_locked {
                None
            } else {
                state.entry.take().map(|id| (state.local.port, id))
            }
        };
        if let Some((port, id)) = entry {
            socket.table().remove(port, id);
        }
        socket.wait.wake_all();
    }
}

/// `shutdown(2)` on a TCP socket (`inet_shutdown`, `tcp_shutdown`); `how` as the bits
/// `RCV_SHUTDOWN`/`SEND_SHUTDOWN`.
pub fn shutdown(socket: &Arc<InetSocket>, how: u8) -> Result<(), Errno> {
    let (tcp, wire) = {
        let state = socket.state.lock();
        (state.tcp, state.wire)
    };
    match tcp {
        TcpState::Close | TcpState::Listen => {}
        _ => {
            if let Some(handle) = wire {
                return super::wire::shutdown(socket, handle, how);
            }
        }
    }
    match tcp {
        TcpState::Close => {
            socket.state.lock().shutdown |= how;
            socket.wait.wake_all();
            Err(Errno::ENOTCONN)
        }
        TcpState::Listen => {
            if how & RCV_SHUTDOWN != 0 {
                stop_listening(socket);
            }
            Ok(())
        }
        TcpState::SynSent => {
            leave_syn_queue(socket);
            refuse(socket, false);
            socket.state.lock().shutdown = 0;
            Ok(())
        }
        _ => {
            socket.state.lock().shutdown |= how;
            if how & SEND_SHUTDOWN != 0 {
                send_fin(socket);
            }
            socket.wait.wake_all();
            Ok(())
        }
    }
}

/// The file's last close (`tcp_close`).
pub fn release(socket: &Arc<InetSocket>) {
    let (tcp, has_unread, is_wire) = {
        let mut state = socket.state.lock();
        state.has_file = false;
        (state.tcp, state.rx_bytes > 0, state.wire.is_some())
    };
    if is_wire {
        super::wire::release(socket, false);
        return;
    }
    let is_linger_zero =
        socket.has_flag(flag::LINGER) && socket.linger_secs.load(Ordering::Relaxed) == 0;
    match tcp {
        TcpState::Listen => {
            stop_listening(socket);
            forget(socket);
        }
        TcpState::SynSent => {
            leave_syn_queue(socket);
            forget(socket);
        }
        TcpState::Close | TcpState::TimeWait => forget(socket),
        _ if has_unread || is_linger_zero => abort(socket),
        TcpState::Established | TcpState::CloseWait => {
            socket.state.lock().shutdown = SHUTDOWN_MASK;
            send_fin(socket);
        }
        _ => {
            // FIN_WAIT2 and the like: an orphan until the peer's FIN or reset.
            socket.state.lock().shutdown = SHUTDOWN_MASK;
        }
    }
    socket.wait.wake_all();
}

/// Takes a closed socket out of the table and drops its peer link.
fn forget(socket: &InetSocket) {
    let (entry, peer) = {
        let mut state = socket.state.lock();
        state.tcp = TcpState::Close;
        (
            state.entry.take().map(|id| (state.local.port, id)),
            state.peer.take(),
        )
    };
    if let Some((port, id)) = entry {
        socket.table().remove(port, id);
    }
    drop(peer);
}

/// `tcp_sendmsg`.
pub fn send(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<usize, Errno> {
    let result = send_inner(socket, data, flags, is_nonblocking);
    if result == Err(Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 {
        crate::net::raise_sigpipe();
    }
    result
}

fn send_inner(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<usize, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if let Some(handle) = super::wire::handle_of(socket) {
        return super::wire::send(socket, handle, data, flags, is_nonblocking);
    }
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.sndtimeo.load(Ordering::Relaxed),
    );
    let _writer = socket.tx_lock.lock();
    let total = data.total();
    let mut sent = 0;
    let partial = |sent: usize, error: Errno| if sent > 0 { Ok(sent) } else { Err(error) };
    loop {
        // sk_stream_wait_connect, then the checks of each round.
        let ready = || {
            let mut state = socket.state.lock();
            if state.error.is_some() || state.shutdown & SEND_SHUTDOWN != 0 {
                return Some(Err(state.error.take().unwrap_or(Errno::EPIPE)));
            }
            match state.tcp {
                TcpState::SynSent => None,
                TcpState::Established | TcpState::CloseWait => {
                    state.peer.clone().map(Ok).or(Some(Err(Errno::EPIPE)))
                }
                _ => Some(Err(Errno::EPIPE)),
            }
        };
        let peer = match ready() {
            Some(Ok(peer)) => peer,
            Some(Err(error)) => {
                if sent > 0 {
                    // The error stays for the next call.
                    let mut state = socket.state.lock();
                    if error != Errno::EPIPE && state.error.is_none() {
                        state.error = Some(error);
                    }
                    return Ok(sent);
                }
                return Err(error);
            }
            None => match deadline.wait(&[&socket.wait], ready) {
                Ok(Ok(peer)) => peer,
                Ok(Err(error)) | Err(error) => return partial(sent, error),
            },
        };
        if sent == total {
            return Ok(sent);
        }
        // Wait for room in the peer's queue.
        let has_room = || {
            let state = socket.state.lock();
            if state.error.is_some()
                || state.shutdown & SEND_SHUTDOWN != 0
                || !state.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, &peer))
            {
                return Some(0);
            }
            drop(state);
            let room = room(socket, &peer);
            (room > 0).then_some(room)
        };
        let space = match has_room() {
            Some(space) => space,
            None => match deadline.wait(&[&socket.wait, &peer.wait], has_room) {
                Ok(space) => space,
                Err(error) => return partial(sent, error),
            },
        };
        if space == 0 {
            continue;
        }
        let size = space.min(total - sent).min(CHUNK);
        let mut bytes = Vec::new();
        if hal::mm::heap::user_data(|| bytes.try_reserve_exact(size)).is_err() {
            return partial(sent, Errno::ENOMEM);
        }
        bytes.resize(size, 0);
        if let Err(error) = data.copy_in(&mut bytes) {
            return partial(sent, error);
        }
        if let Err(error) = deliver(socket, &peer, bytes) {
            return partial(sent, error);
        }
        sent += size;
    }
}

/// Queues `bytes` on `peer`, or resets the connection when the peer is a closed orphan
/// (data after close: `tcp_rcv_state_process` answers with a reset).
fn deliver(socket: &Arc<InetSocket>, peer: &Arc<InetSocket>, bytes: Vec<u8>) -> Result<(), Errno> {
    let len = bytes.len();
    let is_v4 = socket.state.lock().local.ip.is_v4();
    let refused = {
        let mut state = peer.state.lock();
        if !state.has_file && state.tcp != TcpState::Established || state.tcp == TcpState::Close {
            Some(bytes)
        } else if state.stream.try_reserve(1).is_err() {
            return Err(Errno::ENOMEM);
        } else {
            state.rmem += truesize(len);
            state.rx_bytes += len;
            state.stream.push_back(Chunk {
                data: bytes,
                consumed: 0,
            });
            None
        }
    };
    count_packet(len, is_v4, true);
    if let Some(bytes) = refused {
        drop(bytes);
        abort(peer);
    } else {
        peer.wait.wake_all();
    }
    Ok(())
}

/// What a receive got.
pub struct Received {
    pub count: usize,
    pub flags: u32,
}

/// `tcp_recvmsg`.
pub fn recv(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<Received, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MSG_ERRQUEUE != 0 {
        return Err(Errno::EAGAIN);
    }
    if let Some(handle) = super::wire::handle_of(socket) {
        let got = super::wire::recv(socket, handle, data, flags, is_nonblocking)?;
        return Ok(Received {
            count: got.count,
            flags: 0,
        });
    }
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.rcvtimeo.load(Ordering::Relaxed),
    );
    let _reader = socket.rx_lock.lock();
    let len = data.total();
    let target = if flags & MSG_WAITALL != 0 {
        len
    } else {
        (socket.rcvlowat.load(Ordering::Relaxed) as usize).clamp(1, len.max(1))
    };
    let is_peek = flags & MSG_PEEK != 0;
    let is_trunc = flags & MSG_TRUNC != 0;
    let mut copied = 0;
    let done = |copied: usize, error: Errno| {
        if copied > 0 {
            Ok(Received {
                count: copied,
                flags: 0,
            })
        } else {
            Err(error)
        }
    };
    if len == 0 {
        let state = socket.state.lock();
        if state.tcp == TcpState::Listen {
            return Err(Errno::ENOTCONN);
        }
        return Ok(Received { count: 0, flags: 0 });
    }
    loop {
        enum Step {
            Chunk(Chunk),
            Peek(Vec<u8>),
            Wait,
            Eof,
            Fail(Errno),
        }
        let decide = |copied: usize| {
            let mut state = socket.state.lock();
            if state.tcp == TcpState::Listen {
                return Step::Fail(Errno::ENOTCONN);
            }
            let enough = if is_peek {
                state.rx_bytes >= target.min(len) || state.rx_bytes >= len
            } else {
                state.rx_bytes > 0
            };
            if enough
                || (state.rx_bytes > 0
                    && (state.fin_received
                        || state.shutdown & RCV_SHUTDOWN != 0
                        || state.error.is_some()))
            {
                if is_peek {
                    let want = state.rx_bytes.min(len);
                    let mut out = Vec::new();
                    if out.try_reserve_exact(want).is_err() {
                        return Step::Fail(Errno::ENOMEM);
                    }
                    for chunk in state.stream.iter() {
                        let left = want - out.len();
                        if left == 0 {
                            break;
                        }
                        let piece = &chunk.data[chunk.consumed..];
                        out.extend_from_slice(&piece[..piece.len().min(left)]);
                    }
                    return Step::Peek(out);
                }
                if let Some(chunk) = state.stream.pop_front() {
                    state.rx_bytes -= chunk.data.len() - chunk.consumed;
                    state.rmem -= truesize(chunk.data.len());
                    return Step::Chunk(chunk);
                }
            }
            if copied >= target {
                return Step::Eof;
            }
            if state.error.is_some() {
                return if copied > 0 {
                    Step::Eof
                } else {
                    Step::Fail(state.error.take().unwrap_or(Errno::ECONNRESET))
                };
            }
            if state.fin_received || state.shutdown & RCV_SHUTDOWN != 0 {
                return Step::Eof;
            }
            if state.tcp == TcpState::Close {
                return if copied > 0 {
                    Step::Eof
                } else {
                    Step::Fail(Errno::ENOTCONN)
                };
            }
            Step::Wait
        };
        let step = match decide(copied) {
            Step::Wait => {
                let waited = deadline.wait(&[&socket.wait], || match decide(copied) {
                    Step::Wait => None,
                    step => Some(step),
                });
                match waited {
                    Ok(step) => step,
                    Err(error) => return done(copied, error),
                }
            }
            step => step,
        };
        match step {
            Step::Wait => {}
            Step::Eof => {
                return Ok(Received {
                    count: copied,
                    flags: 0,
                });
            }
            Step::Fail(error) => return done(copied, error),
            Step::Peek(bytes) => {
                if !is_trunc && let Err(error) = data.copy_out(&bytes) {
                    return done(copied, error);
                }
                return Ok(Received {
                    count: bytes.len(),
                    flags: 0,
                });
            }
            Step::Chunk(mut chunk) => {
                let piece_len = (chunk.data.len() - chunk.consumed).min(len - copied);
                let result = if is_trunc {
                    Ok(())
                } else {
                    data.copy_out(&chunk.data[chunk.consumed..chunk.consumed + piece_len])
                };
                let failed = result.is_err();
                if !failed {
                    chunk.consumed += piece_len;
                    copied += piece_len;
                }
                if chunk.consumed < chunk.data.len() {
                    let mut state = socket.state.lock();
                    state.rx_bytes += chunk.data.len() - chunk.consumed;
                    state.rmem += truesize(chunk.data.len());
                    if state.stream.try_reserve(1).is_ok() {
                        state.stream.push_front(chunk);
                    }
                }
                socket.wait.wake_all();
                if let Err(error) = result {
                    return done(copied, error);
                }
                if copied == len {
                    return Ok(Received {
                        count: copied,
                        flags: 0,
                    });
                }
            }
        }
    }
}
