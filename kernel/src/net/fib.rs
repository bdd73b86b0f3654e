//! The routing tables of IPv4 and IPv6 (Linux 6.1 `net/ipv4/fib_frontend.c`,
//! `net/ipv6/addrconf.c`, `net/ipv6/route.c`) over the host-tested `netlink::fib`: the routes
//! the kernel adds for each address of an interface that is up (`fib_add_ifaddr`,
//! `addrconf_prefix_route`), those user space adds with `RTM_NEWROUTE`, the flush of an
//! interface's routes when it goes down (`fib_disable_ip`; its IPv6 addresses go too, as
//! `addrconf_ifdown` takes them, and `lo` gets `127.0.0.1/8` and `::1` back when it comes up,
//! as `inetdev_event` and `init_loopback` give them), and the lookup the INET sockets make
//! for reachability and source-address choice ([`lookup`]: `ENETUNREACH` with no route).
//!
//! Locks: `rtnl` (a sleeping mutex, Linux's `rtnl_mutex`) serialises every change of
//! interfaces, addresses and routes, and is taken before the device and netlink locks;
//! `fib.v4` and `fib.v6` (spin locks, leaves) guard the tables, held for a lookup or a change.

use super::netdev::{IfAddr, NetDevice};
use super::netlink::rtnl;
use ::inet::addr::Ip;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::{Mutex, SpinLock};
use netlink::fib::{Fib, Route, v4_address_routes, v6_address_routes};
use netlink::msg::{NLM_F_APPEND, NLM_F_CREATE};

pub static RTNL: Mutex<()> = Mutex::new("rtnl", ());
static FIB4: SpinLock<Option<Fib>> = SpinLock::new("fib.v4", None);
static FIB6: SpinLock<Option<Fib>> = SpinLock::new("fib.v6", None);

/// The table of a family.
pub fn with_fib<R>(is_v6: bool, f: impl FnOnce(&mut Fib) -> R) -> R {
    let lock = if is_v6 { &FIB6 } else { &FIB4 };
    let mut guard = lock.lock();
    let fib = guard.get_or_insert_with(|| Fib::new(is_v6));
    f(fib)
}

/// A fib key from an address.
pub fn key(ip: Ip) -> [u8; 16] {
    if ip.is_v4() {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&ip.v4_octets());
        out
    } else {
        ip.0
    }
}

/// An address from a fib key.
pub fn ip_of(key: &[u8; 16], is_v6: bool) -> Ip {
    if is_v6 {
        Ip(*key)
    } else {
        Ip::v4([key[0], key[1], key[2], key[3]])
    }
}

/// `fib_lookup` / `ip6_route_output` for a destination.
pub fn lookup(ip: Ip) -> Result<Route, Errno> {
    let is_v6 = !ip.is_v4();
    with_fib(is_v6, |fib| fib.lookup(&key(ip)))
}

/// The source address a packet to `dest` leaves with (`inet_select_addr` /
/// `ipv6_dev_get_saddr`, simplified): the route's preferred source, else the output device's
/// first address of the family, else `dest` itself for a local destination.
pub fn source_for(dest: Ip, route: &Route) -> Ip {
    let is_v6 = !dest.is_v4();
    if let Some(src) = route.prefsrc {
        return ip_of(&src, is_v6);
    }
    if route.kind == netlink::rtnl::RTN_LOCAL {
        return dest;
    }
    super::netdev::by_index(route.oif)
        .and_then(|dev| dev.addrs().into_iter().find(|a| a.ip.is_v4() != is_v6))
        .map_or(dest, |a| a.ip)
}

fn insert_routes(routes: Vec<Route>, is_v6: bool, notify: bool) {
    for route in routes {
        let inserted = with_fib(is_v6, |fib| {
            fib.insert(route, NLM_F_CREATE | NLM_F_APPEND).is_ok()
        });
        if inserted && notify {
            rtnl::notify_route(&route, is_v6, true, 0, 0);
        }
    }
}

/// The kernel's routes of `addr` on `dev`, added when `dev` is up.
fn add_address_routes(dev: &NetDevice, addr: &IfAddr) {
    if !dev.is_up() {
        return;
    }
    if addr.ip.is_v4() {
        let routes = v4_address_routes(
            addr.ip.v4_octets(),
            addr.prefix_len,
            addr.broadcast.map(|b| b.v4_octets()),
            dev.index,
            dev.is_loopback(),
        );
        insert_routes(routes, false, true);
    } else {
        insert_routes(
            v6_address_routes(addr.ip.0, addr.prefix_len, dev.index),
            true,
            true,
        );
    }
}

/// Removes the kernel's routes of `addr` (`fib_del_ifaddr`: those it is the preferred source
/// of; an IPv6 prefix route only when no other address of the device shares the prefix).
fn remove_address_routes(dev: &NetDevice, addr: &IfAddr) {
    let is_v6 = !addr.ip.is_v4();
    let ip = key(addr.ip);
    let others = dev.addrs();
    let gone = with_fib(is_v6, |fib| {
        fib.remove_where(|r| {
            if r.protocol != netlink::rtnl::RTPROT_KERNEL || r.oif != dev.index {
                return false;
            }
            if is_v6 {
                return (r.dst == ip && r.dst_len == 128)
                    || (r.dst_len == addr.prefix_len
                        && r.dst == netlink::fib::masked(&ip, usize::from(addr.prefix_len), 16)
                        && !others.iter().any(|o| {
                            !o.ip.is_v4()
                                && o.prefix_len == addr.prefix_len
                                && netlink::fib::prefix_matches(
                                    &o.ip.0,
                                    &ip,
                                    usize::from(addr.prefix_len),
                                )
                        }));
            }
            r.prefsrc == Some(ip)
        })
    });
    for route in &gone {
        rtnl::notify_route(route, is_v6, false, 0, 0);
    }
}

/// An address was added: routes, then `RTM_NEWADDR` (to `portid`'s request `seq`).
pub fn address_added(dev: &NetDevice, addr: &IfAddr, portid: u32, seq: u32) {
    rtnl::notify_addr(dev, addr, true, portid, seq);
    add_address_routes(dev, addr);
}

/// Addresses were removed: `RTM_DELADDR` for each, then their routes.
pub fn addresses_removed(dev: &NetDevice, addrs: &[IfAddr], portid: u32, seq: u32) {
    for addr in addrs {
        rtnl::notify_addr(dev, addr, false, portid, seq);
        remove_address_routes(dev, addr);
    }
}

/// `lo` comes up: its addresses (if missing) and every address's routes.
pub fn loopback_up(lo: &NetDevice) {
    for addr in [
        IfAddr::new(Ip::LOOPBACK4, 8),
        IfAddr::new(Ip::LOOPBACK6, 128),
    ] {
        if let Ok(added) = lo.add_addr(addr) {
            rtnl::notify_addr(lo, &added, true, 0, 0);
        }
    }
    for addr in lo.addrs() {
        add_address_routes(lo, &addr);
    }
}

/// A device's flags or MTU changed: on up, its addresses' routes come (and `lo`'s addresses);
/// on down, its routes and IPv6 addresses go. Then `RTM_NEWLINK`.
pub fn link_changed(dev: &Arc<NetDevice>, up_changed: bool, changed: u32) {
    if up_changed {
        if dev.is_up() {
            if dev.is_loopback() {
                loopback_up(dev);
            } else {
                for addr in dev.addrs() {
                    add_address_routes(dev, &addr);
                }
            }
        } else {
            // Host-scope routes (the local ones) survive a down, as `fib_sync_down_dev`
            // leaves nexthops of scope RT_SCOPE_NOWHERE.
            let index = dev.index;
            with_fib(false, |fib| {
                fib.remove_where(|r| r.oif == index && r.scope != netlink::rtnl::RT_SCOPE_HOST)
            });
            with_fib(true, |fib| fib.remove_where(|r| r.oif == index));
            let gone = dev.remove_v6_addrs();
            for addr in &gone {
                rtnl::notify_addr(dev, addr, false, 0, 0);
            }
        }
    }
    rtnl::notify_link(dev, changed);
}
