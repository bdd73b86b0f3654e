//! Sockets (Linux `net/socket.c`): the socket file every family's sockets are opened as, the
//! network devices and routes, and the families: AF_UNIX ([`unix`]), AF_INET and AF_INET6
//! ([`inet`]), AF_NETLINK ([`netlink`]); `socket(2)` answers `EAFNOSUPPORT` for every other
//! family, as a Linux built without them.
//!
//! - [`sockfile`]: the file of a socket (`socket_file_ops`): read/write as recv/send,
//!   poll, ioctl, fstat as an `S_IFSOCK` inode of sockfs.
//! - [`iov`]: user buffers (iovecs) walked by send and receive.
//! - [`netdev`]: network interfaces (`lo`), their ioctls and `/proc/net/dev`.
//! - [`fib`]: the IPv4 and IPv6 routing tables: the kernel's one table, for netlink, the
//!   ioctls, `ip=` and the sockets' output.
//! - [`devinet`]: the IPv4 address and route ioctls (`SIOCSIFADDR`, `SIOCADDRT`…).
//! - [`ipconfig`]: the `ip=` kernel parameter, static and DHCP, and `/proc/net/pnp`.
//! - [`netlink`]: AF_NETLINK sockets: rtnetlink, uevents.
//! - [`unix`]: AF_UNIX stream, datagram and seqpacket sockets.
//! - [`inet`]: TCP and UDP over IPv4 and IPv6.
//! - [`ip`]: the packet-level IPv4 stack of Ethernet interfaces (ARP, ICMP, TCP segments).

pub mod devinet;
pub mod fib;
pub mod inet;
pub mod iov;
pub mod ip;
pub mod ipconfig;
pub mod netdev;
pub mod netlink;
pub mod sockfile;
pub mod unix;

/// `MSG_*` flags of send and receive calls.
pub mod msg {
    pub const MSG_OOB: u32 = 1;
    pub const MSG_PEEK: u32 = 2;
    pub const MSG_CTRUNC: u32 = 8;
    pub const MSG_TRUNC: u32 = 0x20;
    pub const MSG_DONTWAIT: u32 = 0x40;
    pub const MSG_WAITALL: u32 = 0x100;
    pub const MSG_ERRQUEUE: u32 = 0x2000;
    pub const MSG_NOSIGNAL: u32 = 0x4000;
    pub const MSG_MORE: u32 = 0x8000;
    pub const MSG_WAITFORONE: u32 = 0x10000;
    pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;
}

/// Sends SIGPIPE to the calling thread (`send_sig(SIGPIPE, current, 0)`).
pub fn raise_sigpipe() {
    if let Some(thread) = crate::process::try_current() {
        let uid = thread.process.credentials.lock().uid;
        let info = abi::signal::SigInfo::from_sender(
            sigrules::SIGPIPE as i32,
            abi::signal::SI_USER,
            thread.process.pid,
            uid,
        );
        crate::signal::send_to_thread(&thread, info);
    }
}
