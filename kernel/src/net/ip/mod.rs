//! The packet-level IP stack of Ethernet interfaces (Linux's `net/ipv4`: `ip_input.c`,
//! `arp.c`, `icmp.c`, `tcp_input.c`/`tcp_output.c`/`tcp_timer.c`, `udp.c`), behind the same
//! socket objects as loopback (`net::inet`). Loopback traffic never comes here: a socket talks
//! to another socket of this host directly, as before; only traffic routed out of an
//! interface (`eth0`) becomes frames.
//!
//! The engine is smoltcp 0.12 (no_std, owned buffers): its `Interface` does ARP, IPv4, ICMP
//! echo replies and TCP segments (handshake, retransmission with RTT estimation, windows with
//! scaling, MSS, Nagle, delayed ACKs, FIN/RST, TIME_WAIT), one `tcp::Socket` per connection.
//! Used as a library, not forked; what is done around it, and why:
//!
//! - **Listen backlog.** A smoltcp listening socket becomes the connection when a SYN arrives
//!   (one connection per socket). So listeners are not smoltcp sockets: every received frame is
//!   first classified (`inet::frame`); a SYN for a port on which an INET socket listens gets a
//!   fresh smoltcp listening socket (an "embryo") if the listener's accept queue plus its
//!   embryos are within `backlog + 1`, as Linux's `sk_acceptq_is_full`; otherwise the SYN is
//!   dropped, as Linux drops it, and the peer retransmits. An embryo that reaches ESTABLISHED
//!   becomes a new socket in the listener's accept queue (`inet::wire`). So `SO_REUSEADDR`,
//!   `SO_REUSEPORT`, `IPV6_V6ONLY` and the bind conflicts stay the port table's
//!   (`inet::table`), shared with loopback.
//! - **UDP** does not go through smoltcp at all: received datagrams are checked and queued on
//!   the socket the port table picks (so connected sockets, `SO_RCVBUF` drops and
//!   `MSG_TRUNC` work as on loopback), and sent datagrams are built here (fragmented above the
//!   MTU, as `ip_fragment`) and handed to a smoltcp raw socket only to be routed and ARP
//!   resolved.
//! - **Errors Linux reports.** A connection smoltcp closes from SYN_SENT is `ECONNREFUSED`,
//!   from a synchronised state `ECONNRESET` (its RST handling); close with unread data or
//!   `SO_LINGER` 0 aborts with RST, half-close is smoltcp's `close` (FIN, receiving goes on).
//! - **IPv4 fragments** are refused (dropped and counted): no reassembly buffers to exhaust.
//! - **Timers**: one kernel timer at smoltcp's `poll_delay`, re-armed after every poll.
//!
//! One interface (the first Ethernet one) carries the stack; others are registered but
//! unconfigured. IPv6 is not routed out of interfaces (no address beyond loopback's ::1).
//! Everything is under one spin lock (`net.stack`): smoltcp's interface and socket set are one
//! structure. No user copy or sleep happens under it; callers copy to or from kernel buffers
//! first.
//!
//! Routing is the kernel's one table (`net::fib`): the sockets ask it for the output device
//! and source address, and [`sync_config`] gives smoltcp a copy of the device's IPv4
//! addresses and of the table's gateway routes through the device after every change, so
//! that the engine's next-hop choice (on-link for an address's subnet, else the gateway of
//! the longest matching prefix) is the table's. A route on the link without an address of
//! its subnet (`ip route add 192.0.2.0/24 dev eth0`) has no smoltcp equivalent: such
//! destinations are unreachable here.
//!
//! `ip=dhcp` runs smoltcp's DHCPv4 client on the interface ([`dhcp_start`], [`dhcp_poll`],
//! [`dhcp_stop`]); `net::ipconfig` applies what it finds.

use crate::net::netdev::{Driver, NetDevice};
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::sync::SpinLock;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::{dhcpv4, raw, tcp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpProtocol, IpVersion};

/// Connections (smoltcp sockets) at most: the socket set never grows past this, so smoltcp
/// never allocates while the stack runs.
pub const MAX_SOCKETS: usize = 1024;
/// Received frames waiting for the engine at most.
const RX_QUEUE_MAX: usize = 512;

/// What the stack owns: smoltcp's interface and sockets, the port to the driver, and the
/// kernel's side of each TCP socket.
pub struct Stack {
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub port: Port,
    pub netdev: Arc<NetDevice>,
    /// The raw socket UDP datagrams leave through.
    udp_out: SocketHandle,
    /// Sockets in the set (the raw one included).
    count: usize,
    /// The kernel's records of the TCP sockets (`inet::wire`).
    pub conns: Vec<crate::net::inet::wire::Conn>,
    /// The DHCP client of `ip=dhcp`, while it runs.
    dhcp: Option<SocketHandle>,
}

/// smoltcp's device: frames received by the driver, waiting; frames sent through the driver.
pub struct Port {
    rx: VecDeque<Vec<u8>>,
    driver: Arc<dyn Driver>,
    netdev: Arc<NetDevice>,
    mtu: usize,
    scratch: Vec<u8>,
}

pub struct RxFrame(Vec<u8>);
pub struct TxFrame<'a>(&'a mut Port);

impl phy::RxToken for RxFrame {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(&self.0)
    }
}

impl phy::TxToken for TxFrame<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let port = self.0;
        // The scratch buffer holds the largest IP packet; smoltcp never asks for more than
        // the MTU it was given.
        let len = len.min(port.scratch.len());
        let result = f(&mut port.scratch[..len]);
        if !port.netdev.is_up() {
            return result;
        }
        match port.driver.transmit(&port.scratch[..len]) {
            Ok(()) => port.netdev.count_tx(len),
            Err(_) => port.netdev.count_tx_error(),
        }
        result
    }
}

impl phy::Device for Port {
    type RxToken<'a> = RxFrame;
    type TxToken<'a> = TxFrame<'a>;

    fn receive(&mut self, _timestamp: Instant) -> Option<(RxFrame, TxFrame<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((RxFrame(frame), TxFrame(self)))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<TxFrame<'_>> {
        if self.driver.can_transmit() {
            Some(TxFrame(self))
        } else {
            TX_BLOCKED.store(true, Ordering::Release);
            None
        }
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.mtu + 14;
        caps
    }
}

static STACK: SpinLock<Option<Stack>> = SpinLock::new("net.stack", None);
/// The driver refused a frame for want of slots: poll again on its completion interrupt.
static TX_BLOCKED: AtomicBool = AtomicBool::new(false);
/// When the armed timer fires (CLOCK_MONOTONIC ns; 0: none armed).
static TIMER_AT: AtomicU64 = AtomicU64::new(0);

/// smoltcp's clock: CLOCK_MONOTONIC in microseconds.
pub fn now() -> Instant {
    Instant::from_micros((crate::time::monotonic_ns() / 1000) as i64)
}

/// Runs `f` on the stack, if there is one.
pub fn with_stack<R>(f: impl FnOnce(&mut Stack) -> R) -> Option<R> {
    let mut guard = STACK.lock();
    guard.as_mut().map(f)
}

impl Stack {
    /// Adds `socket` to the set, or `ENOBUFS` when [`MAX_SOCKETS`] are in use.
    pub fn add_tcp(&mut self, socket: tcp::Socket<'static>) -> Result<SocketHandle, Errno> {
        if self.count >= MAX_SOCKETS {
            return Err(Errno::ENOBUFS);
        }
        self.count += 1;
        Ok(self.sockets.add(socket))
    }

    /// Takes a socket out of the set.
    pub fn remove(&mut self, handle: SocketHandle) {
        self.sockets.remove(handle);
        self.count = self.count.saturating_sub(1);
    }

    pub fn tcp(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(handle)
    }
}

/// Makes the stack for `netdev` (the first Ethernet interface), unconfigured.
pub fn attach(netdev: &Arc<NetDevice>) -> Result<(), Errno> {
    let Some(driver) = netdev.driver.clone() else {
        return Err(Errno::EINVAL);
    };
    let mut guard = STACK.lock();
    if guard.is_some() {
        return Err(Errno::EEXIST);
    }
    let mut scratch = Vec::new();
    scratch
        .try_reserve_exact(65536)
        .map_err(|_| Errno::ENOMEM)?;
    scratch.resize(65536, 0);
    let mut port = Port {
        rx: VecDeque::new(),
        driver,
        netdev: netdev.clone(),
        mtu: netdev.mtu.load(Ordering::Relaxed) as usize,
        scratch,
    };
    port.rx
        .try_reserve(RX_QUEUE_MAX)
        .map_err(|_| Errno::ENOMEM)?;
    let mac = EthernetAddress(netdev.hwaddr);
    if !mac.is_unicast() {
        return Err(Errno::EINVAL);
    }
    let mut config = Config::new(HardwareAddress::Ethernet(mac));
    config.random_seed = crate::random::u64();
    let iface = Interface::new(config, &mut port, now());
    let mut storage: Vec<SocketStorage<'static>> = Vec::new();
    storage
        .try_reserve_exact(MAX_SOCKETS + 1)
        .map_err(|_| Errno::ENOMEM)?;
    let mut sockets = SocketSet::new(storage);
    let udp_out = raw::Socket::new(
        IpVersion::Ipv4,
        IpProtocol::Udp,
        raw::PacketBuffer::new(Vec::new(), Vec::new()),
        packet_buffer(128, 256 * 1024)?,
    );
    let udp_out = sockets.add(udp_out);
    let mut conns = Vec::new();
    conns
        .try_reserve_exact(MAX_SOCKETS)
        .map_err(|_| Errno::ENOMEM)?;
    *guard = Some(Stack {
        iface,
        sockets,
        port,
        netdev: netdev.clone(),
        udp_out,
        count: 1,
        conns,
        dhcp: None,
    });
    Ok(())
}

fn packet_buffer(packets: usize, bytes: usize) -> Result<raw::PacketBuffer<'static>, Errno> {
    let mut metadata = Vec::new();
    metadata
        .try_reserve_exact(packets)
        .map_err(|_| Errno::ENOMEM)?;
    metadata.resize(packets, raw::PacketMetadata::EMPTY);
    let mut payload = Vec::new();
    payload
        .try_reserve_exact(bytes)
        .map_err(|_| Errno::ENOMEM)?;
    payload.resize(bytes, 0);
    Ok(raw::PacketBuffer::new(metadata, payload))
}

/// A frame the driver received on `netdev` (deferred interrupt context). UDP datagrams for
/// local sockets are delivered at once; what the engine must see waits for [`poll`].
pub fn receive(netdev: &Arc<NetDevice>, frame: Vec<u8>) {
    use ::inet::frame::Kind;
    if !netdev.is_up() {
        netdev.count_rx_dropped();
        return;
    }
    match ::inet::frame::classify(&frame) {
        Kind::Bad => {
            netdev.count_rx_error();
            return;
        }
        Kind::Fragment => {
            netdev.count_rx_dropped();
            return;
        }
        Kind::Udp {
            src,
            dst,
            src_port,
            dst_port,
            payload_start,
            payload_len,
        } => {
            let payload = &frame[payload_start..payload_start + payload_len];
            if crate::net::inet::udp::deliver_from_wire(src, dst, src_port, dst_port, payload) {
                return;
            }
        }
        Kind::Syn {
            src,
            dst,
            src_port,
            dst_port,
        } => {
            if !crate::net::inet::wire::prepare_for_syn(src, dst, src_port, dst_port) {
                netdev.count_rx_dropped();
                return;
            }
        }
        Kind::Other => {}
    }
    let mut guard = STACK.lock();
    let Some(stack) = guard.as_mut() else {
        return;
    };
    if !Arc::ptr_eq(&stack.netdev, netdev) {
        return;
    }
    if stack.port.rx.len() >= RX_QUEUE_MAX {
        drop(guard);
        netdev.count_rx_dropped();
        return;
    }
    stack.port.rx.push_back(frame);
}

/// Runs the engine: received frames in, due segments out, timers; then tells the sockets
/// what changed and arms the timer for the next deadline.
pub fn poll() {
    let (events, delay) = {
        let mut guard = STACK.lock();
        let Some(stack) = guard.as_mut() else {
            return;
        };
        let timestamp = now();
        stack
            .iface
            .poll(timestamp, &mut stack.port, &mut stack.sockets);
        let events = crate::net::inet::wire::sweep(stack);
        let delay = stack.iface.poll_delay(now(), &stack.sockets);
        (events, delay)
    };
    crate::net::inet::wire::apply(events);
    if let Some(delay) = delay {
        arm_timer(delay.total_micros().saturating_mul(1000));
    }
}

/// The driver has transmit slots again.
pub fn transmit_ready() {
    if TX_BLOCKED.swap(false, Ordering::AcqRel) {
        poll();
    }
}

/// Arms the stack's timer `delay_ns` from now, unless one fires sooner.
fn arm_timer(delay_ns: u64) {
    let now = crate::time::monotonic_ns();
    let at = now.saturating_add(delay_ns.max(1_000_000));
    let armed = TIMER_AT.load(Ordering::Acquire);
    if armed != 0 && armed <= at && armed > now {
        return;
    }
    if TIMER_AT
        .compare_exchange(armed, at, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    crate::sched::timer::add(
        at,
        crate::sched::timer::TimerAction::Call(alloc::boxed::Box::new(timer_fired)),
    );
}

fn timer_fired() {
    let now = crate::time::monotonic_ns();
    let armed = TIMER_AT.load(Ordering::Acquire);
    if armed != 0 && armed <= now {
        let _ = TIMER_AT.compare_exchange(armed, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
    poll();
}

/// Sends one UDP datagram out of the interface (`udp_sendmsg` past the routing decision):
/// `EMSGSIZE` over the MTU with don't-fragment, `ENOBUFS` when the queue is full,
/// `ENETUNREACH` without a configured interface.
pub fn send_udp(send: &::inet::frame::UdpSend, payload: &[u8]) -> Result<(), Errno> {
    let mtu = with_stack(|stack| stack.port.mtu).ok_or(Errno::ENETUNREACH)?;
    let packets =
        ::inet::frame::udp_v4_packets(send, payload, mtu).map_err(|error| match error {
            ::inet::frame::BuildError::TooBig => Errno::EMSGSIZE,
            ::inet::frame::BuildError::NoMemory => Errno::ENOMEM,
        })?;
    {
        let mut guard = STACK.lock();
        let stack = guard.as_mut().ok_or(Errno::ENETUNREACH)?;
        let handle = stack.udp_out;
        let socket = stack.sockets.get_mut::<raw::Socket>(handle);
        for packet in &packets {
            socket.send_slice(packet).map_err(|_| Errno::ENOBUFS)?;
        }
    }
    poll();
    Ok(())
}

/// The device that carries the stack.
pub fn device() -> Option<Arc<NetDevice>> {
    with_stack(|stack| stack.netdev.clone())
}

/// Whether `device` carries the stack (frames can leave through it).
pub fn carries(device: &NetDevice) -> bool {
    with_stack(|stack| stack.netdev.index == device.index).unwrap_or(false)
}

/// Gives smoltcp the stack device's IPv4 addresses and the routing table's gateway routes
/// through it (most specific first, as many as it holds). Called with `rtnl` held after
/// every change of addresses or routes, so the copies are applied in the order of the
/// changes.
pub fn sync_config() {
    use smoltcp::iface::Route as SmolRoute;
    use smoltcp::wire::{IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};
    let Some(dev) = device() else {
        return;
    };
    let addrs: Vec<(Ipv4Address, u8)> = dev
        .addrs()
        .into_iter()
        .filter(|a| a.ip.is_v4())
        .map(|a| (Ipv4Address::from(a.ip.v4_octets()), a.prefix_len.min(32)))
        .collect();
    let mut gateways: Vec<(Ipv4Address, u8, Ipv4Address)> =
        crate::net::fib::with_fib(false, |fib| {
            fib.routes()
                .iter()
                .filter(|r| {
                    r.oif == dev.index
                        && r.kind == netlink::rtnl::RTN_UNICAST
                        && matches!(
                            r.table,
                            netlink::rtnl::RT_TABLE_MAIN | netlink::rtnl::RT_TABLE_DEFAULT
                        )
                })
                .filter_map(|r| {
                    let gw = r.gateway?;
                    Some((
                        Ipv4Address::new(r.dst[0], r.dst[1], r.dst[2], r.dst[3]),
                        r.dst_len.min(32),
                        Ipv4Address::new(gw[0], gw[1], gw[2], gw[3]),
                    ))
                })
                .collect()
        });
    gateways.sort_by_key(|g| core::cmp::Reverse(g.1));
    with_stack(|stack| {
        if stack.netdev.index != dev.index {
            return;
        }
        stack.iface.update_ip_addrs(|list| {
            list.clear();
            for (ip, len) in &addrs {
                if list.push(IpCidr::Ipv4(Ipv4Cidr::new(*ip, *len))).is_err() {
                    break;
                }
            }
        });
        stack.iface.routes_mut().update(|list| {
            list.clear();
            for (dst, len, via) in &gateways {
                let route = SmolRoute {
                    cidr: IpCidr::Ipv4(Ipv4Cidr::new(*dst, *len)),
                    via_router: IpAddress::Ipv4(*via),
                    preferred_until: None,
                    expires_at: None,
                };
                if list.push(route).is_err() {
                    break;
                }
            }
        });
    });
}

/// What the DHCP client found.
#[derive(Clone, Debug)]
pub struct DhcpLease {
    pub address: [u8; 4],
    pub prefix_len: u8,
    pub router: Option<[u8; 4]>,
    pub dns: Vec<[u8; 4]>,
    pub server: [u8; 4],
}

/// Starts the DHCP client on the stack's interface (`ENODEV` without one).
pub fn dhcp_start() -> Result<(), Errno> {
    let mut guard = STACK.lock();
    let stack = guard.as_mut().ok_or(Errno::ENODEV)?;
    if stack.dhcp.is_some() {
        return Err(Errno::EBUSY);
    }
    if stack.count >= MAX_SOCKETS {
        return Err(Errno::ENOBUFS);
    }
    stack.count += 1;
    let handle = stack.sockets.add(dhcpv4::Socket::new());
    stack.dhcp = Some(handle);
    drop(guard);
    poll();
    Ok(())
}

/// The lease, once the client has one.
pub fn dhcp_poll() -> Option<DhcpLease> {
    let mut guard = STACK.lock();
    let stack = guard.as_mut()?;
    let handle = stack.dhcp?;
    let socket = stack.sockets.get_mut::<dhcpv4::Socket>(handle);
    match socket.poll()? {
        dhcpv4::Event::Configured(config) => {
            let mut dns = Vec::new();
            if dns.try_reserve(config.dns_servers.len()).is_ok() {
                dns.extend(config.dns_servers.iter().map(|d| d.octets()));
            }
            Some(DhcpLease {
                address: config.address.address().octets(),
                prefix_len: config.address.prefix_len(),
                router: config.router.map(|r| r.octets()),
                dns,
                server: config.server.identifier.octets(),
            })
        }
        dhcpv4::Event::Deconfigured => None,
    }
}

/// Stops the DHCP client (the kernel's client does not renew, as Linux's `ipconfig.c`).
pub fn dhcp_stop() {
    let mut guard = STACK.lock();
    if let Some(stack) = guard.as_mut()
        && let Some(handle) = stack.dhcp.take()
    {
        stack.remove(handle);
    }
}
