//! IPv4 routes of the interfaces (Linux's FIB as `ip route` shows the main table) and the
//! `ip=` kernel parameter (`net/ipv4/ipconfig.c`).
//!
//! The table is a short list of [`Route`]s: the subnet of each configured address (`proto
//! kernel scope link`) and a default route through a gateway. [`lookup`] picks the longest
//! prefix that matches, as `fib_lookup`; the source address is the interface's
//! (`inet_select_addr`). Loopback and local addresses are decided before this table (they
//! never leave the host: `net::inet::route`). [`add`], [`remove`] and [`all`] are what a
//! netlink `RTM_NEWROUTE`/`RTM_DELROUTE`/`RTM_GETROUTE` needs; every change is mirrored into
//! smoltcp's default gateway.
//!
//! `ip=` with a static address configures the named interface (or the first Ethernet one):
//! address and prefix, the interface up, the subnet route and the default route through the
//! gateway. `ip=dhcp` is not implemented (logged); user space may run `udhcpc` instead once
//! netlink exists.

use crate::net::netdev::{self, IfAddr, NetDevice};
use ::inet::addr::Ip;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use smoltcp::wire::{IpCidr, Ipv4Address, Ipv4Cidr};

/// One IPv4 route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub dest: [u8; 4],
    pub prefix_len: u8,
    /// `None`: the destination is on the link.
    pub gateway: Option<[u8; 4]>,
    /// The interface's index.
    pub ifindex: u32,
    /// `RTPROT_KERNEL` (2) for subnet routes, `RTPROT_BOOT` (3) for `ip=`'s.
    pub protocol: u8,
}

impl Route {
    fn matches(&self, ip: [u8; 4]) -> bool {
        let bits = u32::from(self.prefix_len.min(32));
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        u32::from_be_bytes(self.dest) & mask == u32::from_be_bytes(ip) & mask
    }
}

static ROUTES: SpinLock<Vec<Route>> = SpinLock::new("net.routes", Vec::new());

/// Where a packet to a remote address goes.
#[derive(Clone)]
pub struct Decision {
    pub source: [u8; 4],
}

/// The route to `ip` (`ENETUNREACH` when none matches or its interface is down or has no
/// address).
pub fn lookup(ip: [u8; 4]) -> Result<Decision, Errno> {
    let best = ROUTES
        .lock()
        .iter()
        .filter(|route| route.matches(ip))
        .max_by_key(|route| route.prefix_len)
        .copied()
        .ok_or(Errno::ENETUNREACH)?;
    let device = netdev::by_index(best.ifindex).ok_or(Errno::ENETUNREACH)?;
    if !device.is_up() {
        return Err(Errno::ENETUNREACH);
    }
    let source = device
        .first_v4()
        .map(|a| a.ip.v4_octets())
        .ok_or(Errno::ENETUNREACH)?;
    Ok(Decision { source })
}

/// Every route (`RTM_GETROUTE` dumps), in the order of Linux's FIB trie (by destination).
pub fn all() -> Vec<Route> {
    let mut routes = ROUTES.lock().clone();
    routes.sort_by_key(|r| (u32::from_be_bytes(r.dest), r.prefix_len));
    routes
}

/// `/proc/net/route`.
pub fn proc_net_route(out: &mut Vec<u8>) -> Result<(), Errno> {
    let mut text = alloc::string::String::new();
    ::inet::procnet::route_header(&mut text);
    for route in all() {
        let Some(device) = netdev::by_index(route.ifindex) else {
            continue;
        };
        ::inet::procnet::route_row(
            &mut text,
            device.name().as_str(),
            route.dest,
            route.gateway,
            route.prefix_len,
        );
    }
    vfs::pseudo::push(out, text.as_bytes())
}

/// Adds a route (`EEXIST` for the same destination and prefix).
pub fn add(route: Route) -> Result<(), Errno> {
    {
        let mut routes = ROUTES.lock();
        if routes
            .iter()
            .any(|r| r.dest == route.dest && r.prefix_len == route.prefix_len)
        {
            return Err(Errno::EEXIST);
        }
        routes.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        routes.push(route);
    }
    sync_gateway();
    Ok(())
}

#[expect(dead_code, reason = "for netlink's RTM_DELROUTE")]
/// Removes the route to `dest`/`prefix_len` (`ESRCH` when there is none, as `fib_table_delete`).
pub fn remove(dest: [u8; 4], prefix_len: u8) -> Result<(), Errno> {
    {
        let mut routes = ROUTES.lock();
        let before = routes.len();
        routes.retain(|r| !(r.dest == dest && r.prefix_len == prefix_len));
        if routes.len() == before {
            return Err(Errno::ESRCH);
        }
    }
    sync_gateway();
    Ok(())
}

/// smoltcp's default route follows the table's.
fn sync_gateway() {
    let gateway = ROUTES
        .lock()
        .iter()
        .find(|r| r.prefix_len == 0)
        .and_then(|r| r.gateway);
    super::with_stack(|stack| match gateway {
        Some(gateway) => {
            let _ = stack
                .iface
                .routes_mut()
                .add_default_ipv4_route(Ipv4Address::from(gateway));
        }
        None => {
            stack.iface.routes_mut().remove_default_ipv4_route();
        }
    });
}

/// Gives `device` the address `ip`/`prefix_len` (`inet_rtm_newaddr`): on the interface, in
/// the engine, and its subnet route.
pub fn add_address(device: &Arc<NetDevice>, ip: [u8; 4], prefix_len: u8) -> Result<(), Errno> {
    let added = device.add_addr(IfAddr::new(Ip::v4(ip), prefix_len))?;
    crate::net::fib::address_added(device, &added, 0, 0);
    super::with_stack(|stack| {
        if Arc::ptr_eq(&stack.netdev, device) {
            stack.iface.update_ip_addrs(|addrs| {
                let _ = addrs.push(IpCidr::Ipv4(Ipv4Cidr::new(
                    Ipv4Address::from(ip),
                    prefix_len,
                )));
            });
        }
    });
    let bits = u32::from(prefix_len.min(32));
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let subnet = (u32::from_be_bytes(ip) & mask).to_be_bytes();
    match add(Route {
        dest: subnet,
        prefix_len,
        gateway: None,
        ifindex: device.index,
        protocol: 2,
    }) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Applies `ip=` from the command line, once the drivers have made their interfaces.
pub fn configure_from_command_line(command_line: &str) {
    let mut config = None;
    for word in command_line
        .split_ascii_whitespace()
        .take_while(|word| *word != "--")
    {
        if let Some(value) = word.strip_prefix("ip=") {
            config = ::inet::ipconfig::parse(value);
        }
    }
    let Some(config) = config else {
        return;
    };
    let device = match &config.device {
        Some(name) => netdev::by_name(name.as_bytes()),
        None => netdev::all()
            .into_iter()
            .find(|d| d.kind == ::inet::ifreq::ARPHRD_ETHER),
    };
    let Some(device) = device else {
        log::warn!("IP-Config: no such device");
        return;
    };
    if config.is_dhcp {
        log::warn!(
            "IP-Config: DHCP is not supported; {} left unconfigured",
            device.name()
        );
        return;
    }
    let (Some(client), Some(netmask)) = (config.client, config.netmask) else {
        return;
    };
    let prefix_len = ::inet::ipconfig::prefix_len(netmask).unwrap_or(24);
    device.set_up(true);
    if let Err(error) = add_address(&device, client, prefix_len) {
        log::warn!("IP-Config: cannot add the address: {error:?}");
        return;
    }
    if let Some(gateway) = config.gateway {
        let _ = add(Route {
            dest: [0; 4],
            prefix_len: 0,
            gateway: Some(gateway),
            ifindex: device.index,
            protocol: 3,
        });
    }
    log::info!(
        "IP-Config: {} configured: address {}.{}.{}.{}/{prefix_len}, gateway {:?}",
        device.name(),
        client[0],
        client[1],
        client[2],
        client[3],
        config.gateway
    );
}
