//! Readiness ABI: `struct pollfd` and the `POLL*` bits (`include/uapi/asm-generic/poll.h`),
//! `struct epoll_event` and the `EPOLL*` flags (`include/uapi/linux/eventpoll.h`), and the
//! `eventfd` flags (`include/uapi/linux/eventfd.h`). `struct epoll_event` is packed on x86-64
//! (12 bytes), as Linux declares it with `EPOLL_PACKED` there.

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const POLLIN: u16 = raw::POLLIN as u16;
pub const POLLPRI: u16 = raw::POLLPRI as u16;
pub const POLLOUT: u16 = raw::POLLOUT as u16;
pub const POLLERR: u16 = raw::POLLERR as u16;
pub const POLLHUP: u16 = raw::POLLHUP as u16;
pub const POLLNVAL: u16 = raw::POLLNVAL as u16;
pub const POLLRDNORM: u16 = raw::POLLRDNORM as u16;
pub const POLLRDBAND: u16 = raw::POLLRDBAND as u16;
pub const POLLWRNORM: u16 = raw::POLLWRNORM as u16;
pub const POLLWRBAND: u16 = raw::POLLWRBAND as u16;
pub const POLLMSG: u16 = raw::POLLMSG as u16;
pub const POLLRDHUP: u16 = raw::POLLRDHUP as u16;

pub const EPOLLIN: u32 = raw::EPOLLIN;
pub const EPOLLPRI: u32 = raw::EPOLLPRI;
pub const EPOLLOUT: u32 = raw::EPOLLOUT;
pub const EPOLLERR: u32 = raw::EPOLLERR;
pub const EPOLLHUP: u32 = raw::EPOLLHUP;
pub const EPOLLNVAL: u32 = raw::EPOLLNVAL;
pub const EPOLLRDNORM: u32 = raw::EPOLLRDNORM;
pub const EPOLLRDBAND: u32 = raw::EPOLLRDBAND;
pub const EPOLLWRNORM: u32 = raw::EPOLLWRNORM;
pub const EPOLLWRBAND: u32 = raw::EPOLLWRBAND;
pub const EPOLLMSG: u32 = raw::EPOLLMSG;
pub const EPOLLRDHUP: u32 = raw::EPOLLRDHUP;
pub const EPOLLEXCLUSIVE: u32 = raw::EPOLLEXCLUSIVE;
pub const EPOLLWAKEUP: u32 = raw::EPOLLWAKEUP;
pub const EPOLLONESHOT: u32 = raw::EPOLLONESHOT;
pub const EPOLLET: u32 = raw::EPOLLET;
pub const EPOLL_CLOEXEC: u32 = raw::EPOLL_CLOEXEC;
pub const EPOLL_CTL_ADD: i32 = raw::EPOLL_CTL_ADD as i32;
pub const EPOLL_CTL_DEL: i32 = raw::EPOLL_CTL_DEL as i32;
pub const EPOLL_CTL_MOD: i32 = raw::EPOLL_CTL_MOD as i32;

pub const EFD_SEMAPHORE: u32 = raw::EFD_SEMAPHORE;
pub const EFD_CLOEXEC: u32 = raw::EFD_CLOEXEC;
pub const EFD_NONBLOCK: u32 = raw::EFD_NONBLOCK;

bitflags::bitflags! {
    /// `eventfd2` flags. Unknown bits: `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct EventfdFlags: u32 {
        /// Reads return 1 and decrement the counter.
        const EFD_SEMAPHORE = raw::EFD_SEMAPHORE;
        /// Close on `execve`.
        const EFD_CLOEXEC = raw::EFD_CLOEXEC;
        /// Non-blocking reads and writes.
        const EFD_NONBLOCK = raw::EFD_NONBLOCK;
    }
}

bitflags::bitflags! {
    /// `epoll_create1` flags. Unknown bits: `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct EpollCreateFlags: u32 {
        /// Close on `execve`.
        const EPOLL_CLOEXEC = raw::EPOLL_CLOEXEC;
    }
}

/// `struct pollfd`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

assert_same_layout!(PollFd, raw::pollfd, { fd => fd, events => events, revents => revents });

/// `struct epoll_event` (packed on x86-64: 12 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

const _: () = {
    assert!(core::mem::size_of::<EpollEvent>() == core::mem::size_of::<raw::epoll_event>());
    assert!(core::mem::size_of::<EpollEvent>() == 12);
    assert!(core::mem::offset_of!(EpollEvent, data) == 4);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(size_of::<PollFd>(), 8);
        let event = EpollEvent {
            events: EPOLLIN | EPOLLET,
            data: 0x1122_3344_5566_7788,
        };
        let bytes = event.as_bytes();
        assert_eq!(bytes.len(), 12);
        assert_eq!(&bytes[4..12], &0x1122_3344_5566_7788u64.to_ne_bytes());
        assert_eq!(EPOLL_CTL_ADD, 1);
        assert_eq!(EPOLL_CTL_DEL, 2);
        assert_eq!(EPOLL_CTL_MOD, 3);
    }

    #[test]
    fn creation_flags_match_linux() {
        assert_eq!(EventfdFlags::all().bits(), 0o2_004_001);
        assert_eq!(EpollCreateFlags::EPOLL_CLOEXEC.bits(), 0o2_000_000);
    }
}
