//! The IPv4 ioctls of AF_INET sockets (Linux 6.1 `net/ipv4/devinet.c`'s `devinet_ioctl`,
//! `net/ipv4/fib_frontend.c`'s `ip_rt_ioctl`; netdevice(7), route(8)), what busybox
//! `ifconfig` and `route` use:
//!
//! - `SIOCGIFADDR`, `SIOCGIFNETMASK`, `SIOCGIFBRDADDR`, `SIOCGIFDSTADDR`: the address whose
//!   label is the request's name (and, when the request carries an AF_INET address, that
//!   address first); `EADDRNOTAVAIL` without one.
//! - `SIOCSIFADDR`: replaces that address (or adds one) with the class-based prefix
//!   (`inet_abc_len`) and the broadcast address of a broadcast device; `0.0.0.0` only removes
//!   it. `SIOCSIFNETMASK` (contiguous masks only), `SIOCSIFBRDADDR`. Each change is a removal
//!   and an insertion of the address, with their routes and notifications
//!   ([`crate::net::fib`]).
//! - `SIOCADDRT`, `SIOCDELRT`: `struct rtentry` (checked by `inet::rtentry`) as a route of
//!   the main table, protocol `boot`, in the one routing table ([`crate::net::fib`]).
//!
//! Every setter needs CAP_NET_ADMIN (`EPERM`) and runs under `rtnl`. Alias labels
//! (`eth0:1`) are not supported: such names are `ENODEV`.

use super::fib;
use super::netdev::require_net_admin;
use super::netdev::{self, IFF_BROADCAST, IfAddr, NetDevice};
use ::inet::addr::Ip;
use ::inet::ifreq::{self, IFREQ_LEN};
use ::inet::rtentry::{self, RTENTRY_LEN, RtEntry};
use abi::Errno;
use alloc::sync::Arc;
use netlink::rtnl::*;

/// The AF_INET ioctls; `None` when `command` is not one of them.
pub fn ioctl(command: u32, argument: u64) -> Option<Result<usize, Errno>> {
    use abi::raw::ioctl as n;
    Some(match command {
        n::SIOCGIFADDR | n::SIOCGIFNETMASK | n::SIOCGIFBRDADDR | n::SIOCGIFDSTADDR => {
            get_addr(command, argument)
        }
        n::SIOCSIFADDR | n::SIOCSIFNETMASK | n::SIOCSIFBRDADDR => set_addr(command, argument),
        n::SIOCADDRT | n::SIOCDELRT => route_ioctl(command == n::SIOCDELRT, argument),
        _ => return None,
    })
}

fn read_req(argument: u64) -> Result<[u8; IFREQ_LEN], Errno> {
    let mut req = [0u8; IFREQ_LEN];
    hal::usercopy::copy_from_user(&mut req, argument)?;
    Ok(req)
}

/// The label an address answers to: its own, or its device's name.
fn label_is(dev: &NetDevice, addr: &IfAddr, name: &[u8]) -> bool {
    addr.label.unwrap_or_else(|| dev.name()).as_bytes() == name
}

/// The IPv4 address a request names: by label (and by address when `want` is given, first).
fn find_addr(dev: &NetDevice, name: &[u8], want: Option<[u8; 4]>) -> Option<IfAddr> {
    let addrs = dev.addrs();
    let v4 = || addrs.iter().filter(|a| a.ip.is_v4());
    if let Some(want) = want
        && let Some(found) = v4().find(|a| label_is(dev, a, name) && a.ip.v4_octets() == want)
    {
        return Some(*found);
    }
    v4().find(|a| label_is(dev, a, name)).copied()
}

fn get_addr(command: u32, argument: u64) -> Result<usize, Errno> {
    use abi::raw::ioctl as n;
    let mut req = read_req(argument)?;
    let name = ifreq::name(&req);
    let dev = netdev::by_name(name).ok_or(Errno::ENODEV)?;
    let (family, given) = ifreq::sockaddr_in(&req);
    let want = (family == ::inet::AF_INET).then_some(given);
    let addr = find_addr(&dev, name, want).ok_or(Errno::EADDRNOTAVAIL)?;
    let octets = match command {
        n::SIOCGIFADDR | n::SIOCGIFDSTADDR => addr.ip.v4_octets(),
        n::SIOCGIFNETMASK => addr.netmask(),
        _ => addr.broadcast.map_or([0; 4], |b| b.v4_octets()),
    };
    ifreq::set_sockaddr_in(&mut req, octets);
    hal::usercopy::copy_to_user(argument, &req)?;
    Ok(0)
}

fn set_addr(command: u32, argument: u64) -> Result<usize, Errno> {
    use abi::raw::ioctl as n;
    // inet_ioctl copies the request before devinet_ioctl checks the capability.
    let req = read_req(argument)?;
    require_net_admin()?;
    let (family, value) = ifreq::sockaddr_in(&req);
    if family != ::inet::AF_INET {
        return Err(Errno::EINVAL);
    }
    let _rtnl = fib::RTNL.lock();
    let name = ifreq::name(&req);
    let dev = netdev::by_name(name).ok_or(Errno::ENODEV)?;
    match command {
        n::SIOCSIFADDR => set_address(&dev, value),
        n::SIOCSIFNETMASK => set_netmask(&dev, value),
        _ => set_broadcast(&dev, value),
    }?;
    Ok(0)
}

/// Replaces `old` by `new` on `dev` (`inet_del_ifa` then `inet_insert_ifa`), with `rtnl`
/// held; `new` may be `None` (only removed) and `old` too (only added).
fn replace(dev: &Arc<NetDevice>, old: Option<IfAddr>, new: Option<IfAddr>) -> Result<(), Errno> {
    if let Some(old) = old
        && let Some(removed) = dev.remove_addr(old.ip, old.prefix_len)
    {
        fib::addresses_removed(dev, &removed, 0, 0);
    }
    if let Some(new) = new {
        let added = dev.add_addr(new)?;
        fib::address_added(dev, &added, 0, 0);
    }
    Ok(())
}

/// The broadcast address of `ip`/`prefix_len` on a broadcast device (none for /31, /32).
fn broadcast_of(dev: &NetDevice, ip: [u8; 4], prefix_len: u8) -> Option<Ip> {
    if dev.flags() & IFF_BROADCAST == 0 || prefix_len >= 31 {
        return None;
    }
    let mask = u32::from_be_bytes(rtentry::make_mask(prefix_len));
    Some(Ip::v4((u32::from_be_bytes(ip) | !mask).to_be_bytes()))
}

/// `SIOCSIFADDR` on the device's own label, with `rtnl` held.
pub fn set_address(dev: &Arc<NetDevice>, ip: [u8; 4]) -> Result<(), Errno> {
    let prefix_len = rtentry::abc_len(ip).ok_or(Errno::EINVAL)?;
    let old = find_addr(dev, dev.name().as_bytes(), None);
    if old.is_some_and(|a| a.ip.v4_octets() == ip) {
        return Ok(());
    }
    let new = (ip != [0; 4]).then(|| {
        let mut addr = IfAddr::new(Ip::v4(ip), prefix_len);
        addr.broadcast = broadcast_of(dev, ip, prefix_len);
        addr
    });
    replace(dev, old, new)
}

/// `SIOCSIFNETMASK` on the device's own label, with `rtnl` held: `EINVAL` for a mask with
/// holes; the broadcast address follows when it was the old subnet's.
pub fn set_netmask(dev: &Arc<NetDevice>, mask: [u8; 4]) -> Result<(), Errno> {
    let old = find_addr(dev, dev.name().as_bytes(), None).ok_or(Errno::EADDRNOTAVAIL)?;
    if rtentry::bad_mask(mask, [0; 4]) {
        return Err(Errno::EINVAL);
    }
    let prefix_len = rtentry::mask_len(mask);
    if prefix_len == old.prefix_len {
        return Ok(());
    }
    let ip = old.ip.v4_octets();
    let mut new = old;
    new.prefix_len = prefix_len;
    new.flags &= !netdev::IFA_F_SECONDARY;
    if old.broadcast.is_some() && old.broadcast == broadcast_of(dev, ip, old.prefix_len) {
        new.broadcast = broadcast_of(dev, ip, prefix_len);
    }
    replace(dev, Some(old), Some(new))
}

/// `SIOCSIFBRDADDR` on the device's own label, with `rtnl` held.
pub fn set_broadcast(dev: &Arc<NetDevice>, broadcast: [u8; 4]) -> Result<(), Errno> {
    let old = find_addr(dev, dev.name().as_bytes(), None).ok_or(Errno::EADDRNOTAVAIL)?;
    if old.broadcast.map(|b| b.v4_octets()) == Some(broadcast) {
        return Ok(());
    }
    let mut new = old;
    new.broadcast = Some(Ip::v4(broadcast));
    new.flags &= !netdev::IFA_F_SECONDARY;
    replace(dev, Some(old), Some(new))
}

fn v4_key(ip: [u8; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&ip);
    out
}

/// `ip_rt_ioctl`: `SIOCADDRT`/`SIOCDELRT` with a `struct rtentry`.
fn route_ioctl(is_delete: bool, argument: u64) -> Result<usize, Errno> {
    // inet_ioctl copies the structure before ip_rt_ioctl checks the capability.
    let mut raw = [0u8; RTENTRY_LEN];
    hal::usercopy::copy_from_user(&mut raw, argument)?;
    require_net_admin()?;
    let entry = RtEntry::parse(&raw);
    let request = rtentry::route_request(&entry, is_delete)?;
    // A reject route takes no device (`rtentry_to_fib_config` returns before reading it;
    // route(8) names `lo` for one).
    let mut oif = 0;
    if entry.dev != 0 && !request.is_reject {
        let mut name = [0u8; ::inet::ifreq::IFNAMSIZ - 1];
        hal::usercopy::copy_from_user(&mut name, entry.dev)?;
        let end = name
            .iter()
            .position(|&b| b == 0 || b == b':')
            .unwrap_or(name.len());
        oif = netdev::by_name(&name[..end]).ok_or(Errno::ENODEV)?.index;
    }
    let mut scope = RT_SCOPE_NOWHERE;
    let kind = if request.is_reject {
        scope = RT_SCOPE_HOST;
        RTN_UNREACHABLE
    } else {
        if let Some(gw) = request.gateway
            && request.is_gateway
        {
            let ip = Ip::v4(gw);
            let is_unicast = gw != [255; 4]
                && !(224..240).contains(&gw[0])
                && gw[0] != 0
                && !netdev::is_local(ip)
                && !netdev::is_directed_broadcast(ip);
            if is_unicast {
                scope = RT_SCOPE_UNIVERSE;
            }
        }
        RTN_UNICAST
    };
    let _rtnl = fib::RTNL.lock();
    if is_delete {
        let spec = netlink::fib::Match {
            table: RT_TABLE_MAIN,
            kind,
            dst: v4_key(request.dst),
            dst_len: request.dst_len,
            scope: RT_SCOPE_NOWHERE,
            priority: request.priority,
            oif,
            gateway: request.gateway.map(v4_key),
            ..netlink::fib::Match::default()
        };
        fib::delete_route(&spec, false, 0, 0)?;
        return Ok(0);
    }
    if scope == RT_SCOPE_NOWHERE {
        scope = RT_SCOPE_LINK;
    }
    let route = fib::NewRoute {
        table: RT_TABLE_MAIN,
        kind,
        dst: v4_key(request.dst),
        dst_len: request.dst_len,
        tos: 0,
        protocol: RTPROT_BOOT,
        scope,
        priority: request.priority,
        oif,
        gateway: if request.is_reject {
            None
        } else {
            request.gateway.map(v4_key)
        },
        prefsrc: None,
    };
    fib::add_route(&route, false, netlink::msg::NLM_F_CREATE, 0, 0).map_err(|(errno, _)| errno)?;
    Ok(0)
}
