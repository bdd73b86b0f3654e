//! Netlink messages as Linux 6.1 reads and writes them (`net/netlink/af_netlink.c`,
//! `lib/nlattr.c`, `include/net/netlink.h`; netlink(7), rtnetlink(7)), apart from sockets:
//!
//! - [`msg`]: the `nlmsghdr` and the walk of a request datagram (`netlink_rcv_skb`), a
//!   message builder with attributes and nests (`nlmsg_put`, `nla_put`, `nla_nest_*`).
//! - [`attr`]: attribute walks and checks (`nla_for_each_attr`, the length checks of
//!   `validate_nla` with its `ERANGE` and extended-ack offset).
//! - [`ack`]: `NLMSG_ERROR` acknowledgements with `NETLINK_CAP_ACK` and `NETLINK_EXT_ACK`
//!   (`netlink_ack`).
//! - [`dump`]: multi-part dumps packed into datagrams as `netlink_dump` packs them, ending with
//!   `NLMSG_DONE`.
//! - [`rtnl`]: the rtnetlink structures and numbers (`ifinfomsg`, `ifaddrmsg`, `rtmsg`,
//!   `ndmsg`).
//! - [`fib`]: the IPv4 and IPv6 routing tables (`fib_table_insert`, `fib_table_delete`,
//!   `fib_table_lookup`): insert and delete rules with their errno, longest-prefix lookup.
//! - [`uevent`]: kernel uevent records (`ACTION@DEVPATH\0KEY=VALUE\0…`, `lib/kobject_uevent.c`).
//!
//! Hostile messages give Linux's errno, never a panic; every buffer grows fallibly.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ack;
pub mod attr;
pub mod dump;
pub mod fib;
pub mod msg;
pub mod rtnl;
pub mod uevent;

pub use abi::Errno;
pub use linux_raw_sys::netlink as raw;

/// Appends `bytes` to `out`, failing with `ENOMEM` instead of aborting.
pub fn push(out: &mut alloc::vec::Vec<u8>, bytes: &[u8]) -> Result<(), Errno> {
    out.try_reserve(bytes.len()).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(())
}
