//! Linux 6.1's AF_INET and AF_INET6 rules (`net/ipv4/af_inet.c`, `net/ipv6/af_inet6.c`,
//! `net/ipv4/inet_connection_sock.c`, `net/ipv4/udp.c`, `net/ipv4/tcp_ipv4.c`,
//! `net/core/dev_ioctl.c`) as pure logic, tested on the host. The kernel (`kernel/src/net/inet`)
//! keeps sockets, queues and wait queues; what is decided about addresses, which binding
//! conflicts with which, which ephemeral port comes next and how `/proc/net` prints a socket
//! is decided here.
//!
//! - [`addr`]: `struct sockaddr_in`/`sockaddr_in6` parsing with the errno each call gives,
//!   v4-mapped IPv6 addresses, loopback and wildcard tests, encoding for getsockname.
//! - [`ports`]: the bind-conflict rule (`inet_bind_conflict`, `udp_lib_lport_inuse`) with
//!   `SO_REUSEADDR`, `SO_REUSEPORT` and `IPV6_V6ONLY`, and the ephemeral range
//!   (`net.ipv4.ip_local_port_range`).
//! - [`tcpstate`]: TCP states as Linux numbers them.
//! - [`procnet`]: the lines of `/proc/net/{tcp,tcp6,udp,udp6,dev}`.
//! - [`frame`]: received Ethernet frames classified (UDP, SYN, fragment, malformed) and UDP
//!   datagrams built as IPv4 packets, for the packet-level stack of `kernel/src/net/ip`.
//! - [`ipconfig`]: the `ip=` kernel parameter.
//! - [`ifreq`]: `struct ifreq`/`struct ifconf` as the `SIOCGIF*` ioctls read and write them.
//! - [`rtentry`]: `SIOCADDRT`/`SIOCDELRT`'s `struct rtentry` and the address arithmetic of
//!   `SIOCSIFADDR`/`SIOCSIFNETMASK`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod addr;
pub mod frame;
pub mod ifreq;
pub mod ipconfig;
pub mod ports;
pub mod procnet;
pub mod rtentry;
pub mod tcpstate;

/// `AF_INET`, `AF_INET6`.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
