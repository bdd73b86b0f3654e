//! UDP over loopback (Linux 6.1 `net/ipv4/udp.c`, `net/ipv6/udp.c`, `ip4_datagram_connect`):
//! a datagram goes from the sender straight to the receiving socket's queue, found in the
//! UDP table by destination (a connected socket only takes its peer's datagrams). A queue
//! holding more than `SO_RCVBUF` drops what comes (`sk_drops`). With no socket on the port, a
//! connected sender gets `ECONNREFUSED` on its next call (Linux's ICMP port unreachable); an
//! unconnected one hears nothing. Receives take one datagram: `MSG_PEEK` leaves it,
//! `MSG_TRUNC` reports its whole length, a short buffer sets `MSG_TRUNC` in `msg_flags`.

use super::{
    Datagram, InetSocket, RCV_SHUTDOWN, SEND_SHUTDOWN, addr, autobind, count_packet, route,
    truesize,
};
use crate::net::iov::UserIov;
use crate::net::msg::*;
use crate::net::unix::Deadline;
use ::inet::addr::{Endpoint, Family, Use};
use ::inet::tcpstate::TcpState;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// The largest UDP payload over IPv4 and IPv6 (`0xFFFF` less the headers).
const MAX_PAYLOAD_V4: usize = 65507;
const MAX_PAYLOAD_V6: usize = 65527;

/// `connect(2)` on a UDP socket: AF_UNSPEC dissolves the association (`__udp_disconnect`),
/// anything else sets it, binding an ephemeral port and the source address if needed.
pub fn connect(socket: &Arc<InetSocket>, raw: &[u8]) -> Result<(), Errno> {
    if raw.len() < 2 {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([raw[0], raw[1]]) == 0 {
        disconnect(socket);
        return Ok(());
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
        if bound.ip.is_any() {
            socket.family.any()
        } else {
            bound.ip
        },
        true,
    )?;
    if local.ip.is_any() {
        local.ip = source;
    }
    let entry = {
        let mut state = socket.state.lock();
        state.local = local;
        state.remote = Some(dest);
        state.tcp = TcpState::Established;
        state.entry
    };
    if let Some(id) = entry {
        socket.table().update(local.port, id, |entry| {
            entry.binding.ip = local.ip;
            entry.local = local;
            entry.remote = Some(dest);
        });
    }
    Ok(())
}

fn disconnect(socket: &Arc<InetSocket>) {
    let (entry, local, keeps_port) = {
        let mut state = socket.state.lock();
        state.remote = None;
        state.tcp = TcpState::Close;
        if !state.is_addr_locked {
            state.local.ip = socket.family.any();
        }
        let port = state.local.port;
        if state.is_port_locked {
            (state.entry.map(|id| (port, id)), state.local, true)
        } else {
            state.local = Endpoint::new(state.local.ip, 0);
            (state.entry.take().map(|id| (port, id)), state.local, false)
        }
    };
    match entry {
        Some((port, id)) if keeps_port => socket.table().update(port, id, |entry| {
            entry.remote = None;
            entry.binding.ip = local.ip;
            entry.local.ip = local.ip;
        }),
        Some((port, id)) => socket.table().remove(port, id),
        None => {}
    }
}

/// `udp_sendmsg`.
pub fn send(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    name: Option<&[u8]>,
    flags: u32,
) -> Result<usize, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let len = data.total();
    let given = match name {
        Some(raw) => {
            let dest = addr::parse(socket.family, raw, Use::SendTo)?;
            if dest.port == 0 {
                return Err(Errno::EINVAL);
            }
            if socket.family == Family::V6 && dest.ip.is_v4() && socket.v6only() {
                return Err(Errno::ENETUNREACH);
            }
            Some(dest)
        }
        None => None,
    };
    let max = if given.map_or(socket.family == Family::V4, |d| d.ip.is_v4()) {
        MAX_PAYLOAD_V4
    } else {
        MAX_PAYLOAD_V6
    };
    if len > max {
        return Err(Errno::EMSGSIZE);
    }
    let (remote, shutdown) = {
        let mut state = socket.state.lock();
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        (state.remote, state.shutdown)
    };
    if shutdown & SEND_SHUTDOWN != 0 {
        return Err(Errno::EPIPE);
    }
    let dest = given.or(remote).ok_or(Errno::EDESTADDRREQ)?;
    let (dest_ip, source) = route(dest.ip)?;
    let dest = Endpoint::new(dest_ip, dest.port);
    let mut from = autobind(socket, socket.family.any(), false)?;
    if from.ip.is_any() {
        from.ip = source;
    }
    let mut bytes = Vec::new();
    hal::mm::heap::user_data(|| bytes.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    bytes.resize(len, 0);
    data.copy_in(&mut bytes)?;
    if super::wire::is_remote(dest.ip) {
        // Out of an interface: one IPv4 packet, or fragments.
        let opts = socket.opts.lock().clone();
        let send = ::inet::frame::UdpSend {
            src: from.ip.v4_octets(),
            dst: dest.ip.v4_octets(),
            src_port: from.port,
            dst_port: dest.port,
            ttl: if opts.ttl > 0 { opts.ttl as u8 } else { 64 },
            tos: opts.tos,
            id: NEXT_IP_ID.fetch_add(1, Ordering::Relaxed) as u16,
            // IP_PMTUDISC_DO (2) and PROBE (3) forbid fragments.
            dont_fragment: matches!(opts.mtu_discover, 2 | 3),
        };
        crate::net::ip::send_udp(&send, &bytes)?;
        return Ok(len);
    }
    count_packet(len, dest.ip.is_v4(), false);
    let Some(receiver) = socket.table().lookup(dest.ip, dest.port, Some(&from)) else {
        if remote.is_some_and(|r| r.ip == dest.ip && r.port == dest.port) {
            socket.state.lock().error = Some(Errno::ECONNREFUSED);
            socket.wait.wake_all();
        }
        return Ok(len);
    };
    let rcvbuf = receiver.rcvbuf.load(Ordering::Relaxed) as usize;
    let queued = {
        let mut state = receiver.state.lock();
        if state.rmem > rcvbuf || state.dgrams.try_reserve(1).is_err() {
            state.drops = state.drops.wrapping_add(1);
            false
        } else {
            state.rmem += truesize(len);
            state.dgrams.push_back(Datagram { from, data: bytes });
            true
        }
    };
    if queued {
        receiver.wait.wake_all();
    }
    Ok(len)
}

/// The IPv4 identification of datagrams sent out of an interface.
static NEXT_IP_ID: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(1);

/// A datagram received on an interface (`__udp4_lib_rcv`): queued on the socket the port
/// table picks, as a loopback datagram is; false when no socket takes it (the engine then
/// sees the frame).
pub fn deliver_from_wire(
    src: [u8; 4],
    dst: [u8; 4],
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> bool {
    let dst_ip = ::inet::addr::Ip::v4(dst);
    let is_broadcast = dst == [255; 4] || crate::net::netdev::is_directed_broadcast(dst_ip);
    if !is_broadcast && !crate::net::netdev::is_local(dst_ip) {
        // Not for this host: dropped (the engine ignores it too).
        return true;
    }
    let from = Endpoint::new(::inet::addr::Ip::v4(src), src_port);
    let Some(receiver) = super::table::UDP.lookup(dst_ip, dst_port, Some(&from)) else {
        return false;
    };
    if is_broadcast && !receiver.state.lock().local.ip.is_any() {
        return false;
    }
    let mut bytes = Vec::new();
    if hal::mm::heap::user_data(|| bytes.try_reserve_exact(payload.len())).is_err() {
        return true;
    }
    bytes.extend_from_slice(payload);
    // An IPv6 socket sees the sender as a v4-mapped address, as it is kept.
    let len = bytes.len();
    let rcvbuf = receiver.rcvbuf.load(Ordering::Relaxed) as usize;
    let queued = {
        let mut state = receiver.state.lock();
        if state.rmem > rcvbuf || state.dgrams.try_reserve(1).is_err() {
            state.drops = state.drops.wrapping_add(1);
            false
        } else {
            state.rmem += truesize(len);
            state.dgrams.push_back(Datagram { from, data: bytes });
            true
        }
    };
    if queued {
        receiver.wait.wake_all();
    }
    true
}

/// What a receive got.
pub struct Received {
    pub count: usize,
    pub flags: u32,
    pub from: Option<Endpoint>,
}

/// `udp_recvmsg`.
pub fn recv(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<Received, Errno> {
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
            if let Some(front) = state.dgrams.front() {
                let want = front.data.len().min(len);
                let mut copy = Vec::new();
                if copy.try_reserve_exact(want).is_err() {
                    return Some(Err(Errno::ENOMEM));
                }
                copy.extend_from_slice(&front.data[..want]);
                let whole = front.data.len();
                return Some(Ok(Some((front.from, copy, whole))));
            }
        } else if let Some(datagram) = state.dgrams.pop_front() {
            state.rmem -= truesize(datagram.data.len());
            let whole = datagram.data.len();
            return Some(Ok(Some((datagram.from, datagram.data, whole))));
        }
        if state.shutdown & RCV_SHUTDOWN != 0 {
            return Some(Ok(None));
        }
        None
    };
    let got = match take() {
        Some(result) => result?,
        None => deadline.wait(&[&socket.wait], take)??,
    };
    let Some((from, bytes, whole)) = got else {
        return Ok(Received {
            count: 0,
            flags: 0,
            from: None,
        });
    };
    let copy = whole.min(len);
    data.copy_out(&bytes[..copy])?;
    let mut out_flags = 0;
    if whole > len {
        out_flags |= MSG_TRUNC;
    }
    Ok(Received {
        count: if flags & MSG_TRUNC != 0 { whole } else { copy },
        flags: out_flags,
        from: Some(from),
    })
}

/// The file's last close: out of the table, queue dropped.
pub fn release(socket: &Arc<InetSocket>) {
    let (entry, queue) = {
        let mut state = socket.state.lock();
        state.has_file = false;
        state.tcp = TcpState::Close;
        state.rmem = 0;
        (
            state.entry.take().map(|id| (state.local.port, id)),
            core::mem::take(&mut state.dgrams),
        )
    };
    drop(queue);
    if let Some((port, id)) = entry {
        socket.table().remove(port, id);
    }
}

/// `shutdown(2)` on a UDP socket: `ENOTCONN` unless connected, the bits set either way.
pub fn shutdown(socket: &Arc<InetSocket>, how: u8) -> Result<(), Errno> {
    let is_connected = {
        let mut state = socket.state.lock();
        state.shutdown |= how;
        state.tcp == TcpState::Established
    };
    socket.wait.wake_all();
    if is_connected {
        Ok(())
    } else {
        Err(Errno::ENOTCONN)
    }
}
