//! The socket calls of an INET socket, dispatched to TCP or UDP: what `syscall::socket` and
//! the socket file call once they know the socket is AF_INET or AF_INET6.

use super::{InetSocket, Proto, tcp, udp};
use crate::net::iov::UserIov;
use ::inet::addr::Endpoint;
use abi::Errno;
use alloc::sync::Arc;

pub fn connect(socket: &Arc<InetSocket>, raw: &[u8], is_nonblocking: bool) -> Result<(), Errno> {
    match socket.proto {
        Proto::Tcp => tcp::connect(socket, raw, is_nonblocking),
        Proto::Udp => udp::connect(socket, raw),
    }
}

/// sendmsg: `name` is ignored by TCP (as `tcp_sendmsg` does without Fast Open).
pub fn send(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    name: Option<&[u8]>,
    flags: u32,
    is_nonblocking: bool,
) -> Result<usize, Errno> {
    match socket.proto {
        Proto::Tcp => tcp::send(socket, data, flags, is_nonblocking),
        Proto::Udp => udp::send(socket, data, name, flags),
    }
}

/// recvmsg: the count, `msg_flags` and, for UDP, the sender.
pub fn recv(
    socket: &Arc<InetSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<(usize, u32, Option<Endpoint>), Errno> {
    match socket.proto {
        Proto::Tcp => {
            let got = tcp::recv(socket, data, flags, is_nonblocking)?;
            Ok((got.count, got.flags, None))
        }
        Proto::Udp => {
            let got = udp::recv(socket, data, flags, is_nonblocking)?;
            Ok((got.count, got.flags, got.from))
        }
    }
}

/// shutdown(2): `how` as given (0, 1, 2).
pub fn shutdown(socket: &Arc<InetSocket>, how: u32) -> Result<(), Errno> {
    let bits = (how + 1) as u8;
    match socket.proto {
        Proto::Tcp => tcp::shutdown(socket, bits),
        Proto::Udp => udp::shutdown(socket, bits),
    }
}

/// The last close of the socket's file.
pub fn release(socket: &Arc<InetSocket>) {
    match socket.proto {
        Proto::Tcp => tcp::release(socket),
        Proto::Udp => udp::release(socket),
    }
}
