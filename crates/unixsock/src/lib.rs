//! Linux 6.1's AF_UNIX rules (`net/unix/af_unix.c`, `net/core/scm.c`, `net/core/sock.c`) as
//! pure logic, tested on the host. The kernel (`kernel/src/net/`) keeps each socket's state
//! from here under the socket's own lock, copies to and from user memory outside it, sleeps on
//! wait queues and owns the file descriptors; what is decided about addresses, queued
//! messages, control messages and option values is decided here.
//!
//! - [`addr`]: `struct sockaddr_un` parsing (`unix_validate_addr`, `unix_mkname_bsd`), the
//!   lengths `getsockname` reports, autobind names, the `Path` column of `/proc/net/unix`.
//! - [`cmsg`]: walking a user's control buffer (`for_each_cmsghdr`, `CMSG_OK`) and building
//!   the received one (`put_cmsg`, `scm_detach_fds`' truncation rules).
//! - [`queue`]: a socket's receive queue of messages with attachments (the caller's type:
//!   descriptors, credentials), read as a byte stream (`unix_stream_read_generic`) or as
//!   datagrams (`__unix_dgram_recvmsg`), with the sender's memory charge of each message.
//! - [`opt`]: `SO_SNDBUF`/`SO_RCVBUF` doubling and limits, `SO_RCVTIMEO`/`SO_SNDTIMEO` in
//!   jiffies, `listen`'s backlog.
//! - [`procnet`]: the lines of `/proc/net/unix`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod addr;
pub mod cmsg;
pub mod opt;
pub mod procnet;
pub mod queue;

/// `SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_SEQPACKET`: the types AF_UNIX has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
    Seqpacket,
}

impl SockType {
    /// The type from `socket(2)`'s `type` argument without its flag bits; `None` for types
    /// AF_UNIX does not have (`SOCK_RAW` is taken as `SOCK_DGRAM`, as `unix_create` does).
    pub fn from_raw(raw: u32) -> Option<SockType> {
        match raw {
            1 => Some(SockType::Stream),
            2 | 3 => Some(SockType::Dgram),
            5 => Some(SockType::Seqpacket),
            _ => None,
        }
    }

    /// The number `SO_TYPE` reports.
    pub fn raw(self) -> u32 {
        match self {
            SockType::Stream => 1,
            SockType::Dgram => 2,
            SockType::Seqpacket => 5,
        }
    }

    /// Stream and seqpacket sockets connect and accept; datagram sockets do not.
    pub fn is_connection_oriented(self) -> bool {
        !matches!(self, SockType::Dgram)
    }

    /// Whether message boundaries are kept (datagram and seqpacket).
    pub fn keeps_boundaries(self) -> bool {
        !matches!(self, SockType::Stream)
    }
}
