//! The routing tables of IPv4 and IPv6 (Linux 6.1 `net/ipv4/fib_frontend.c`,
//! `net/ipv6/addrconf.c`, `net/ipv6/route.c`) over the host-tested `netlink::fib`: the routes
//! the kernel adds for each address of an interface that is up (`fib_add_ifaddr`,
//! `addrconf_prefix_route`), those user space adds with `RTM_NEWROUTE`, the flush of an
//! interface's routes when it goes down (`fib_disable_ip`; its IPv6 addresses go too, as
//! `addrconf_ifdown` takes them, and `lo` gets `127.0.0.1/8` and `::1` back when it comes up,
//! as `inetdev_event` and `init_loopback` give them), and the lookup the INET sockets make
//! for reachability and source-address choice ([`lookup`]: `ENETUNREACH` with no route).
//!
//! This is the one routing table of the kernel: rtnetlink (`RTM_NEWROUTE`, `RTM_DELROUTE`,
//! `RTM_GETROUTE`), the route ioctls (`SIOCADDRT`/`SIOCDELRT`, `net::devinet`), `ip=`
//! (`net::ipconfig`), the INET sockets' output decisions and `/proc/net/route` all use it.
//! The packet-level stack of the Ethernet interface (`net::ip`, smoltcp) gets a copy of the
//! addresses and gateway routes of its device after every change ([`crate::net::ip::sync_config`]),
//! so that it resolves the next hop the table chose.
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

/// A route to add, as `struct fib_config` (from netlink, an ioctl or `ip=`): the route's own
/// fields; [`add_route`] fills in the output device from the gateway and IPv6's default metric.
pub type NewRoute = Route;

/// The scope each route type allows at most (`fib_props[].scope`).
fn type_scope(kind: u8) -> u8 {
    use netlink::rtnl::*;
    match kind {
        RTN_LOCAL => RT_SCOPE_HOST,
        RTN_BROADCAST | RTN_ANYCAST => RT_SCOPE_LINK,
        RTN_UNSPEC | RTN_NAT | RTN_XRESOLVE => RT_SCOPE_NOWHERE,
        _ => RT_SCOPE_UNIVERSE,
    }
}

/// Adds a route (`fib_create_info` and `fib_table_insert` / `ip6_route_add`), with `rtnl`
/// held: the type and scope checks, the gateway reachable on the link (its device becomes
/// the output device when none is named), the output device up, the preferred source local;
/// then the table's insert rules for `flags` (`NLM_F_*`), `RTM_NEWROUTE` to the listeners
/// (answering `portid`'s request `seq`) and the packet-level stack's copy.
pub fn add_route(
    c: &NewRoute,
    is_v6: bool,
    flags: u16,
    portid: u32,
    seq: u32,
) -> Result<Route, netlink::fib::Refusal> {
    use netlink::rtnl::*;
    let is_reject = matches!(
        c.kind,
        RTN_BLACKHOLE | RTN_UNREACHABLE | RTN_PROHIBIT | RTN_THROW
    );
    let mut oif = c.oif;
    if !is_v6 {
        if type_scope(c.kind) > c.scope {
            return Err((Errno::EINVAL, Some("Invalid scope")));
        }
        if is_reject {
            if c.gateway.is_some() || c.oif != 0 {
                return Err((
                    Errno::EINVAL,
                    Some("Gateway, device and multipath can not be specified for this route type"),
                ));
            }
        } else if !matches!(
            c.kind,
            RTN_UNICAST | RTN_LOCAL | RTN_BROADCAST | RTN_ANYCAST | RTN_MULTICAST
        ) {
            return Err((Errno::EINVAL, Some("Invalid route type")));
        }
        if c.scope > RT_SCOPE_HOST {
            return Err((Errno::EINVAL, Some("Invalid scope")));
        }
    }
    if !is_reject {
        if let Some(gw) = c.gateway {
            if !is_v6 && c.scope == RT_SCOPE_HOST {
                return Err((
                    Errno::EINVAL,
                    Some("Route with host scope can not have a gateway"),
                ));
            }
            let via = with_fib(is_v6, |fib| fib.lookup(&gw))
                .map_err(|_| (Errno::ENETUNREACH, Some("Nexthop has invalid gateway")))?;
            if !matches!(via.kind, RTN_UNICAST | RTN_LOCAL) || (!is_v6 && via.scope < RT_SCOPE_LINK)
            {
                return Err((Errno::EINVAL, Some("Nexthop has invalid gateway")));
            }
            if oif == 0 {
                oif = via.oif;
            }
        }
        let dev = super::netdev::by_index(oif).ok_or((Errno::ENODEV, None))?;
        if !dev.is_up() {
            return Err((
                Errno::ENETDOWN,
                Some(if is_v6 {
                    "Nexthop device is not up"
                } else {
                    "Device for nexthop is not up"
                }),
            ));
        }
    }
    if let Some(src) = c.prefsrc
        && !super::netdev::is_local(ip_of(&src, is_v6))
    {
        return Err((Errno::EINVAL, Some("Invalid prefsrc address")));
    }
    let route = Route {
        priority: if is_v6 && c.priority == 0 {
            1024
        } else {
            c.priority
        },
        oif,
        ..*c
    };
    with_fib(is_v6, |fib| fib.insert(route, flags))?;
    rtnl::notify_route(&route, is_v6, true, portid, seq);
    if !is_v6 {
        crate::net::ip::sync_config();
    }
    Ok(route)
}

/// Deletes the first route `spec` matches (`fib_table_delete`), with `rtnl` held:
/// `RTM_DELROUTE`, and the packet-level stack's copy follows.
pub fn delete_route(
    spec: &netlink::fib::Match,
    is_v6: bool,
    portid: u32,
    seq: u32,
) -> Result<Route, Errno> {
    let gone = with_fib(is_v6, |fib| fib.delete(spec))?;
    rtnl::notify_route(&gone, is_v6, false, portid, seq);
    if !is_v6 {
        crate::net::ip::sync_config();
    }
    Ok(gone)
}

/// `/proc/net/route` (`fib_route_seq_show`): the IPv4 main table, without its broadcast and
/// multicast routes.
pub fn proc_net_route(out: &mut Vec<u8>) -> Result<(), Errno> {
    use netlink::rtnl::*;
    let routes: Vec<Route> = with_fib(false, |fib| {
        let mut out = Vec::new();
        for r in fib.routes() {
            if r.table != RT_TABLE_MAIN || matches!(r.kind, RTN_BROADCAST | RTN_MULTICAST) {
                continue;
            }
            out.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            out.push(*r);
        }
        Ok::<_, Errno>(out)
    })?;
    let mut text = alloc::string::String::new();
    ::inet::procnet::route_header(&mut text);
    for route in routes {
        let name = super::netdev::by_index(route.oif).map(|d| d.name());
        let v4 = |k: &[u8; 16]| [k[0], k[1], k[2], k[3]];
        ::inet::procnet::route_row(
            &mut text,
            name.as_ref().map_or("*", |n| n.as_str()),
            v4(&route.dst),
            route.gateway.as_ref().map(v4),
            route.dst_len,
            route.priority,
            matches!(route.kind, RTN_UNREACHABLE | RTN_PROHIBIT),
        );
    }
    vfs::pseudo::push(out, text.as_bytes())
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

/// The packet-level stack follows a change of IPv4 addresses or routes.
fn v4_changed(is_v6: bool) {
    if !is_v6 {
        crate::net::ip::sync_config();
    }
}

/// An address was added: routes, then `RTM_NEWADDR` (to `portid`'s request `seq`).
pub fn address_added(dev: &NetDevice, addr: &IfAddr, portid: u32, seq: u32) {
    rtnl::notify_addr(dev, addr, true, portid, seq);
    add_address_routes(dev, addr);
    v4_changed(!addr.ip.is_v4());
}

/// Addresses were removed: `RTM_DELADDR` for each, then their routes.
pub fn addresses_removed(dev: &NetDevice, addrs: &[IfAddr], portid: u32, seq: u32) {
    for addr in addrs {
        rtnl::notify_addr(dev, addr, false, portid, seq);
        remove_address_routes(dev, addr);
    }
    // The device's last IPv4 address gone: IP is disabled on it, every IPv4 route through it
    // goes, silently (`fib_inetaddr_event`'s `fib_disable_ip`).
    if addrs.iter().any(|a| a.ip.is_v4()) && !dev.addrs().iter().any(|a| a.ip.is_v4()) {
        let index = dev.index;
        with_fib(false, |fib| fib.remove_where(|r| r.oif == index));
    }
    v4_changed(false);
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
    if up_changed {
        v4_changed(false);
    }
    rtnl::notify_link(dev, changed);
}
