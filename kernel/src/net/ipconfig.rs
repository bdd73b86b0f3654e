//! Linux's `ip=` kernel parameter (`net/ipv4/ipconfig.c`, `ip_auto_config`), run by the init
//! thread before init's program, as Linux runs it before `kernel_init` goes on:
//!
//! - static (`ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off`): the named interface (or the
//!   first Ethernet one) up, its address, netmask and broadcast set as `ic_setup_if` sets them
//!   (`SIOCSIFADDR`, `SIOCSIFNETMASK`, `SIOCSIFBRDADDR`), and the default route through the
//!   gateway (`SIOCADDRT`, protocol `boot`), unless the gateway is off the subnet;
//! - automatic (`ip=dhcp`, `ip=on`, or no address): a DHCP exchange on the interface
//!   (smoltcp's client, `net::ip`), then the same configuration from the lease: address,
//!   mask, router; the lease's name servers (or the server, as `ic_bootp_recv` defaults)
//!   and the server itself go to `/proc/net/pnp` ([`proc_net_pnp`]). As Linux's client, it
//!   does not renew the lease. No answer within [`DHCP_TIMEOUT_NS`] leaves the interface
//!   unconfigured (`IP-Config: Auto-configuration of network failed`).
//!
//! Not done: BOOTP and RARP, the domain and host names of the lease, several interfaces at
//! once, NFS root.

use super::netdev::{self, NetDevice};
use ::inet::ipconfig::{IpConfig, Lease};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use netlink::rtnl::*;

/// How long the DHCP exchange may take.
pub const DHCP_TIMEOUT_NS: u64 = 30_000_000_000;

/// What `/proc/net/pnp` shows; `None` until `ip=` configured something.
static PNP: SpinLock<Option<Lease>> = SpinLock::new("ipconfig.pnp", None);

/// `/proc/net/pnp` (`pnp_seq_show`): empty until `ip=` ran.
pub fn proc_net_pnp(out: &mut Vec<u8>) -> Result<(), Errno> {
    let lease = PNP.lock().clone();
    let Some(lease) = lease else {
        return Ok(());
    };
    vfs::pseudo::push(out, ::inet::ipconfig::pnp_text(&lease).as_bytes())
}

fn dotted(ip: [u8; 4]) -> alloc::string::String {
    alloc::format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

/// The interface `ip=` names, or the first Ethernet one.
fn device_of(config: &IpConfig) -> Option<Arc<NetDevice>> {
    match &config.device {
        Some(name) => netdev::by_name(name.as_bytes()),
        None => netdev::all()
            .into_iter()
            .find(|d| d.kind == ::inet::ifreq::ARPHRD_ETHER),
    }
}

/// Applies `ip=` from the command line (the init thread, before init's program).
pub fn auto_config(command_line: &str) {
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
    let Some(device) = device_of(&config) else {
        log::warn!("IP-Config: No network devices available");
        return;
    };
    device.set_up(true);
    if config.is_dhcp {
        dhcp(&device, &config);
        return;
    }
    let (Some(client), Some(netmask)) = (config.client, config.netmask) else {
        return;
    };
    let mut lease = Lease {
        proto: None,
        bootserver: config.server,
        ..Lease::default()
    };
    for (slot, dns) in lease.nameservers.iter_mut().zip(config.dns) {
        *slot = dns;
    }
    configure(&device, client, netmask, config.gateway, lease);
}

/// `ic_setup_if` and `ic_setup_routes`, then the log lines of `ip_auto_config`.
fn configure(
    device: &Arc<NetDevice>,
    client: [u8; 4],
    netmask: [u8; 4],
    gateway: Option<[u8; 4]>,
    lease: Lease,
) {
    let mask = u32::from_be_bytes(netmask);
    let broadcast = (u32::from_be_bytes(client) | !mask).to_be_bytes();
    {
        let _rtnl = super::fib::RTNL.lock();
        let result = super::devinet::set_address(device, client)
            .and_then(|()| super::devinet::set_netmask(device, netmask))
            .and_then(|()| super::devinet::set_broadcast(device, broadcast));
        if let Err(error) = result {
            log::error!("IP-Config: Unable to set interface address ({error:?})");
            return;
        }
        if let Some(gateway) = gateway {
            if (u32::from_be_bytes(gateway) ^ u32::from_be_bytes(client)) & mask != 0 {
                log::error!("IP-Config: Gateway not on directly connected network");
            } else {
                let mut key = [0u8; 16];
                key[..4].copy_from_slice(&gateway);
                let route = super::fib::NewRoute {
                    table: RT_TABLE_MAIN,
                    kind: RTN_UNICAST,
                    dst: [0; 16],
                    dst_len: 0,
                    tos: 0,
                    protocol: RTPROT_BOOT,
                    scope: RT_SCOPE_UNIVERSE,
                    priority: 0,
                    oif: 0,
                    gateway: Some(key),
                    prefsrc: None,
                };
                if let Err((error, _)) =
                    super::fib::add_route(&route, false, netlink::msg::NLM_F_CREATE, 0, 0)
                {
                    log::error!("IP-Config: Cannot add default route ({error:?})");
                }
            }
        }
    }
    let mac = device.hwaddr;
    log::info!(
        "IP-Config: Complete:\n     device={}, hwaddr={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, ipaddr={}, mask={}, gw={}",
        device.name(),
        mac[0],
        mac[1],
        mac[2],
        mac[3],
        mac[4],
        mac[5],
        dotted(client),
        dotted(netmask),
        gateway.map_or_else(|| "255.255.255.255".into(), dotted),
    );
    for (i, server) in lease.nameservers.iter().enumerate() {
        if let Some(server) = server {
            log::info!("     nameserver{i}={}", dotted(*server));
        }
    }
    *PNP.lock() = Some(lease);
}

/// The DHCP exchange (`ic_dynamic`): the client runs until it has a lease or the time is up.
fn dhcp(device: &Arc<NetDevice>, config: &IpConfig) {
    if !super::ip::carries(device) {
        log::warn!("IP-Config: {} cannot do DHCP", device.name());
        return;
    }
    if let Err(error) = super::ip::dhcp_start() {
        log::warn!("IP-Config: DHCP client not started ({error:?})");
        return;
    }
    log::info!("Sending DHCP requests .");
    let thread = crate::process::current();
    let deadline = crate::time::monotonic_ns().saturating_add(DHCP_TIMEOUT_NS);
    let mut found = None;
    while crate::time::monotonic_ns() < deadline {
        super::ip::poll();
        if let Some(lease) = super::ip::dhcp_poll() {
            found = Some(lease);
            break;
        }
        let next = crate::time::monotonic_ns().saturating_add(50_000_000);
        let _ = crate::sched::wait::sleep_until(
            &thread,
            next.min(deadline),
            crate::sched::SleepKind::Uninterruptible,
        );
    }
    super::ip::dhcp_stop();
    let Some(found) = found else {
        log::error!("IP-Config: Auto-configuration of network failed");
        return;
    };
    log::info!(
        "IP-Config: Got DHCP answer from {}, my address is {}",
        dotted(found.server),
        dotted(found.address)
    );
    let mut lease = Lease {
        proto: Some("DHCP"),
        bootserver: Some(found.server),
        ..Lease::default()
    };
    // ip='s own name servers win; then the lease's; then the server (`ic_bootp_recv`).
    let mut servers = config.dns.iter().flatten().chain(found.dns.iter());
    for slot in &mut lease.nameservers {
        *slot = servers.next().copied();
    }
    if lease.nameservers[0].is_none() {
        lease.nameservers[0] = Some(found.server);
    }
    let netmask = ::inet::rtentry::make_mask(found.prefix_len);
    configure(device, found.address, netmask, found.router, lease);
}
