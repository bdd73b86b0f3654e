//! `NETLINK_ROUTE` (Linux 6.1 `net/core/rtnetlink.c`, `net/ipv4/devinet.c`,
//! `net/ipv4/fib_frontend.c`, `net/ipv6/addrconf.c`, `net/ipv6/route.c`,
//! `net/core/neighbour.c`; rtnetlink(7)): the requests of a datagram taken one by one as
//! `netlink_rcv_skb` takes them (a message without `NLM_F_REQUEST` or below
//! `NLMSG_MIN_TYPE` is only acknowledged), `EPERM` for changes without CAP_NET_ADMIN,
//! `EOPNOTSUPP` for types nobody handles, acknowledgements when asked or on error.
//!
//! - Links: `RTM_GETLINK` (dump, or one by index or name), `RTM_NEWLINK`/`RTM_SETLINK`
//!   (flags with `ifi_change`, `IFLA_MTU`, `IFLA_IFNAME` while down), `RTM_DELLINK`
//!   (`EOPNOTSUPP`: no device here can be deleted).
//! - Addresses: `RTM_GETADDR` (dump; IPv4 then IPv6), `RTM_NEWADDR`, `RTM_DELADDR`.
//! - Routes: `RTM_GETROUTE` (dump of every table, or the route to one destination as
//!   `ip route get` asks), `RTM_NEWROUTE`, `RTM_DELROUTE` ([`crate::net::fib`]).
//! - Neighbours: `RTM_GETNEIGH` dumps (empty: loopback resolves nothing).
//! - Notifications to `RTNLGRP_LINK`, `RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR`,
//!   `RTNLGRP_IPV4_ROUTE`, `RTNLGRP_IPV6_ROUTE` on every change.
//! - `NETLINK_GET_STRICT_CHK` dump requests have their headers checked as Linux's
//!   `*_valid_dump_req` do; a failed check ends the dump with its errno in `NLMSG_DONE`.
//!
//! Not done: the `IFLA_AF_SPEC` per-family configuration, `IFLA_TXQLEN` and `IFLA_ADDRESS`
//! changes, rules (`RTM_GETRULE`), netconf, multipath and metrics on routes.

use super::{NETLINK_ROUTE, NetlinkSocket, deliver_from_kernel, nlflag};
use crate::net::fib::{self, ip_of, key, with_fib};
use crate::net::netdev::{self, IfAddr, IfName, NetDevice};
use ::inet::addr::Ip;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use netlink::ack::{self, AckOptions, ExtAck};
use netlink::attr::{Policy, parse};
use netlink::dump::Dump;
use netlink::fib::{Match, Route};
use netlink::msg::*;
use netlink::rtnl::*;

/// A refused request: errno and extended ack.
type Fail = (Errno, ExtAck);

fn fail(errno: Errno) -> Fail {
    (errno, ExtAck::default())
}

fn fail_msg(errno: Errno, message: &'static str) -> Fail {
    (errno, ExtAck::msg(message))
}

/// What a request led to.
enum Outcome {
    /// Done; acknowledged if asked.
    Done,
    /// A dump started: no acknowledgement.
    Dumping,
}

/// The request's context.
struct Ctx<'a> {
    socket: &'a Arc<NetlinkSocket>,
    req: Request<'a>,
    is_strict: bool,
}

impl Ctx<'_> {
    fn portid(&self) -> u32 {
        self.socket.portid()
    }

    fn reply(&self, message: Vec<u8>) {
        let _ = deliver_from_kernel(self.socket, message, 0);
    }
}

/// `rtnetlink_rcv`: every request of a datagram.
pub fn input(socket: &Arc<NetlinkSocket>, datagram: &[u8]) {
    let (nl_flags, portid) = {
        let state = socket.state.lock();
        (state.nl_flags, state.portid)
    };
    let options = AckOptions {
        cap_ack: nl_flags & nlflag::CAP_ACK != 0,
        ext_ack: nl_flags & nlflag::EXT_ACK != 0,
    };
    for req in requests(datagram) {
        let header = req.header;
        let result = if header.flags & NLM_F_REQUEST == 0 || header.kind < NLMSG_MIN_TYPE {
            Ok(Outcome::Done)
        } else {
            let ctx = Ctx {
                socket,
                req,
                is_strict: nl_flags & nlflag::STRICT_CHK != 0,
            };
            dispatch(&ctx)
        };
        let (error, ext) = match result {
            Ok(Outcome::Dumping) => continue,
            Ok(Outcome::Done) => {
                if header.flags & NLM_F_ACK == 0 {
                    continue;
                }
                (None, ExtAck::default())
            }
            Err((errno, ext)) => (Some(errno), ext),
        };
        if let Ok(message) = ack::build(&req, error, &ext, options, portid) {
            let _ = deliver_from_kernel(socket, message, 0);
        }
    }
}

fn has_net_admin() -> bool {
    super::has_capability(abi::capability::CAP_NET_ADMIN)
}

/// `rtnetlink_rcv_msg`.
fn dispatch(ctx: &Ctx<'_>) -> Result<Outcome, Fail> {
    let header = ctx.req.header;
    if header.kind > RTM_MAX {
        return Err(fail(Errno::EOPNOTSUPP));
    }
    let payload = ctx.req.payload();
    // Every message carries at least a `struct rtgenmsg`.
    let Some(&family) = payload.first() else {
        return Ok(Outcome::Done);
    };
    let kind = (header.kind - RTM_NEWLINK) & 3;
    if kind != 2 && !has_net_admin() {
        return Err(fail(Errno::EPERM));
    }
    if kind == 2 && header.flags & NLM_F_DUMP != 0 {
        let dump = match header.kind {
            RTM_GETLINK => dump_links(ctx),
            RTM_GETADDR => dump_addrs(ctx, family),
            RTM_GETROUTE => dump_routes(ctx, family),
            RTM_GETNEIGH => dump_neigh(ctx, family),
            _ => return Err(fail(Errno::EOPNOTSUPP)),
        }
        .map_err(fail)?;
        super::start_dump(ctx.socket, dump).map_err(fail)?;
        return Ok(Outcome::Dumping);
    }
    match (header.kind, family) {
        (RTM_GETLINK, _) => get_link(ctx),
        (RTM_NEWLINK | RTM_SETLINK, _) => set_link(ctx),
        (RTM_DELLINK, _) => del_link(ctx),
        (RTM_NEWADDR, AF_INET | AF_INET6) => new_addr(ctx, family == AF_INET6),
        (RTM_DELADDR, AF_INET | AF_INET6) => del_addr(ctx, family == AF_INET6),
        (RTM_GETROUTE, AF_INET | AF_INET6) => get_route(ctx, family == AF_INET6),
        (RTM_NEWROUTE, AF_INET | AF_INET6) => new_route(ctx, family == AF_INET6),
        (RTM_DELROUTE, AF_INET | AF_INET6) => del_route(ctx, family == AF_INET6),
        _ => Err(fail(Errno::EOPNOTSUPP)),
    }
    .map(|()| Outcome::Done)
}

/// The offset of a fixed header's attributes in the message.
const fn attrs_at(fixed: usize) -> usize {
    HDR_LEN + align(fixed)
}

fn attrs_of<'a>(ctx: &Ctx<'a>, fixed: usize) -> &'a [u8] {
    ctx.req.bytes.get(attrs_at(fixed)..).unwrap_or(&[])
}

fn bad(error: netlink::attr::BadAttr) -> Fail {
    (
        error.errno,
        ExtAck {
            message: Some(error.message),
            bad_attr: Some(error.offset),
        },
    )
}

// ---- links ----

/// `IF_OPER_*` of a device (`dev->operstate` as linkwatch keeps it; `lo` has none).
fn operstate(dev: &NetDevice) -> u8 {
    let flags = dev.flags();
    if flags & IFF_UP == 0 {
        IF_OPER_DOWN
    } else if dev.is_loopback() {
        IF_OPER_UNKNOWN
    } else if flags & IFF_LOWER_UP != 0 {
        IF_OPER_UP
    } else {
        IF_OPER_DOWN
    }
}

/// `rtnl_fill_ifinfo`.
pub fn link_message(
    dev: &NetDevice,
    kind: u16,
    portid: u32,
    seq: u32,
    flags: u16,
    change: u32,
) -> Result<Vec<u8>, Errno> {
    let mut b = Builder::new(kind, flags, seq, portid)?;
    b.put(
        &IfInfoMsg {
            family: AF_UNSPEC,
            kind: dev.kind,
            index: dev.index as i32,
            flags: dev.flags(),
            change,
        }
        .to_bytes(),
    )?;
    let carrier = dev.driver.as_ref().is_none_or(|d| d.has_carrier());
    b.attr_str(IFLA_IFNAME, dev.name().as_bytes())?;
    b.attr_u32(IFLA_TXQLEN, dev.tx_queue_len)?;
    b.attr_u8(IFLA_OPERSTATE, operstate(dev))?;
    b.attr_u8(IFLA_LINKMODE, 0)?;
    b.attr_u32(IFLA_MTU, dev.mtu.load(Ordering::Relaxed))?;
    let (min_mtu, max_mtu) = if dev.is_loopback() {
        (0, 0)
    } else {
        (68, 65535)
    };
    b.attr_u32(IFLA_MIN_MTU, min_mtu)?;
    b.attr_u32(IFLA_MAX_MTU, max_mtu)?;
    b.attr_u32(IFLA_GROUP, 0)?;
    b.attr_u32(IFLA_PROMISCUITY, 0)?;
    b.attr_u32(IFLA_NUM_TX_QUEUES, 1)?;
    b.attr_u32(IFLA_GSO_MAX_SEGS, 65535)?;
    b.attr_u32(IFLA_GSO_MAX_SIZE, 65536)?;
    b.attr_u32(IFLA_GRO_MAX_SIZE, 65536)?;
    b.attr_u32(
        IFLA_TSO_MAX_SIZE,
        if dev.is_loopback() { 524280 } else { 65536 },
    )?;
    b.attr_u32(IFLA_TSO_MAX_SEGS, 65535)?;
    b.attr_u32(IFLA_NUM_RX_QUEUES, 1)?;
    b.attr_u8(IFLA_CARRIER, u8::from(carrier))?;
    b.attr_u32(IFLA_CARRIER_CHANGES, 0)?;
    b.attr_u32(IFLA_CARRIER_UP_COUNT, 0)?;
    b.attr_u32(IFLA_CARRIER_DOWN_COUNT, 0)?;
    b.attr_u8(IFLA_PROTO_DOWN, 0)?;
    let qdisc: &[u8] = if !dev.was_up.load(Ordering::Relaxed) {
        b"noop"
    } else if dev.is_loopback() {
        b"noqueue"
    } else {
        b"pfifo_fast"
    };
    b.attr_str(IFLA_QDISC, qdisc)?;
    b.attr(IFLA_MAP, &[0u8; 32])?;
    b.attr(IFLA_ADDRESS, &dev.hwaddr)?;
    let broadcast = if dev.is_loopback() {
        [0u8; 6]
    } else {
        [0xff; 6]
    };
    b.attr(IFLA_BROADCAST, &broadcast)?;
    let stats = dev.stats();
    let mut stats64 = [0u8; 200];
    let mut stats32 = [0u8; 96];
    for (i, value) in [
        stats.rx_packets,
        stats.tx_packets,
        stats.rx_bytes,
        stats.tx_bytes,
        0,
        stats.tx_errors,
    ]
    .into_iter()
    .enumerate()
    {
        stats64[i * 8..i * 8 + 8].copy_from_slice(&value.to_ne_bytes());
        stats32[i * 4..i * 4 + 4].copy_from_slice(&(value as u32).to_ne_bytes());
    }
    b.attr(IFLA_STATS64, &stats64)?;
    b.attr(IFLA_STATS, &stats32)?;
    let xdp = b.nest_begin_noflag(IFLA_XDP)?;
    b.attr_u8(IFLA_XDP_ATTACHED, 0)?;
    b.nest_end(xdp);
    if dev.hwaddr != [0; 6] {
        b.attr(IFLA_PERM_ADDRESS, &dev.hwaddr)?;
    }
    Ok(b.finish())
}

fn dump_links(ctx: &Ctx<'_>) -> Result<Dump, Errno> {
    let portid = ctx.portid();
    let seq = ctx.req.header.seq;
    let mut dump = Dump::new(seq, portid, 0);
    if ctx.is_strict {
        let payload = ctx.req.payload();
        let check = match IfInfoMsg::parse(payload) {
            None => Err("Invalid header for link dump"),
            Some(m) if m.kind != 0 || m.flags != 0 || m.change != 0 || payload[1] != 0 => {
                Err("Invalid values in header for link dump request")
            }
            Some(m) if m.index != 0 => Err("Filter by device index not supported for link dumps"),
            Some(_) => Ok(()),
        };
        if check.is_err() {
            dump.fail(Errno::EINVAL);
            return Ok(dump);
        }
    }
    let mut section = VecDeque::new();
    for dev in netdev::all() {
        section.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        section.push_back(link_message(
            &dev,
            RTM_NEWLINK,
            portid,
            seq,
            NLM_F_MULTI,
            0,
        )?);
    }
    dump.add_section(section)?;
    Ok(dump)
}

/// `IFLA_*` lengths (`ifla_policy`).
fn link_policy() -> [Policy; IFLA_MAX + 1] {
    let mut p = [Policy::Any; IFLA_MAX + 1];
    p[usize::from(IFLA_IFNAME)] = Policy::Str(15);
    p[usize::from(IFLA_MTU)] = Policy::Min(4);
    p[usize::from(IFLA_TXQLEN)] = Policy::Min(4);
    p[usize::from(IFLA_LINK)] = Policy::Min(4);
    p[usize::from(IFLA_OPERSTATE)] = Policy::Min(1);
    p[usize::from(IFLA_LINKMODE)] = Policy::Min(1);
    p[usize::from(IFLA_GROUP)] = Policy::Min(4);
    p[usize::from(IFLA_EXT_MASK)] = Policy::Min(4);
    p[usize::from(IFLA_PROMISCUITY)] = Policy::Min(4);
    p[usize::from(IFLA_CARRIER)] = Policy::Min(1);
    p[usize::from(IFLA_LINKINFO)] = Policy::Nested;
    p[usize::from(IFLA_AF_SPEC)] = Policy::Nested;
    p
}

/// The device a link request names: by index, else by `IFLA_IFNAME`.
fn link_target<'a>(
    ctx: &Ctx<'a>,
) -> Result<
    (
        IfInfoMsg,
        Option<Arc<NetDevice>>,
        netlink::attr::Table<'a, 61>,
    ),
    Fail,
> {
    let info = IfInfoMsg::parse(ctx.req.payload()).ok_or(fail(Errno::EINVAL))?;
    let tb = parse::<61>(
        attrs_of(ctx, IfInfoMsg::LEN),
        attrs_at(IfInfoMsg::LEN),
        &link_policy(),
    )
    .map_err(bad)?;
    let dev = if info.index > 0 {
        netdev::by_index(info.index as u32)
    } else if let Some(name) = tb.get(IFLA_IFNAME) {
        netdev::by_name(name.str())
    } else if ctx.req.header.kind == RTM_NEWLINK {
        // rtnl_newlink looks for a device to create (ENODEV without NLM_F_CREATE).
        None
    } else {
        return Err(fail(Errno::EINVAL));
    };
    Ok((info, dev, tb))
}

/// `rtnl_getlink`.
fn get_link(ctx: &Ctx<'_>) -> Result<(), Fail> {
    let (_, dev, _) = link_target(ctx)?;
    let dev = dev.ok_or(fail(Errno::ENODEV))?;
    let message =
        link_message(&dev, RTM_NEWLINK, ctx.portid(), ctx.req.header.seq, 0, 0).map_err(fail)?;
    ctx.reply(message);
    Ok(())
}

/// `rtnl_newlink` / `rtnl_setlink` on an existing device (`do_setlink`).
fn set_link(ctx: &Ctx<'_>) -> Result<(), Fail> {
    let (info, dev, tb) = link_target(ctx)?;
    let header = ctx.req.header;
    let Some(dev) = dev else {
        if header.kind == RTM_NEWLINK && header.flags & NLM_F_CREATE != 0 {
            return Err(fail_msg(Errno::EOPNOTSUPP, "Unknown device type"));
        }
        return Err(fail(Errno::ENODEV));
    };
    if header.kind == RTM_NEWLINK {
        if header.flags & NLM_F_EXCL != 0 {
            return Err(fail(Errno::EEXIST));
        }
        if header.flags & NLM_F_REPLACE != 0 {
            return Err(fail(Errno::EOPNOTSUPP));
        }
    }
    let _rtnl = fib::RTNL.lock();
    if let Some(mtu) = tb.get(IFLA_MTU).and_then(|a| a.u32()) {
        let max = if dev.is_loopback() { 65536 } else { 65535 };
        if !(68..=max).contains(&mtu) {
            return Err(fail_msg(Errno::EINVAL, "mtu less than device minimum"));
        }
        dev.set_mtu(mtu);
    }
    if info.index > 0
        && let Some(name) = tb.get(IFLA_IFNAME)
        && name.str() != dev.name().as_bytes()
    {
        let name = IfName::new(name.str()).map_err(fail)?;
        dev.rename(name).map_err(fail)?;
        notify_link(&dev, 0);
    }
    if tb.get(IFLA_TXQLEN).is_some() || tb.get(IFLA_ADDRESS).is_some() {
        return Err(fail(Errno::EOPNOTSUPP));
    }
    if info.flags != 0 || info.change != 0 {
        let mut flags = info.flags;
        if info.change != 0 {
            flags = (flags & info.change) | (dev.raw_flags() & !info.change);
        }
        dev.set_flags_locked(flags);
    }
    Ok(())
}

/// `rtnl_dellink`: no device here has `rtnl_link_ops`.
fn del_link(ctx: &Ctx<'_>) -> Result<(), Fail> {
    let (_, dev, _) = link_target(ctx)?;
    dev.ok_or(fail(Errno::ENODEV))?;
    Err(fail(Errno::EOPNOTSUPP))
}

/// `rtmsg_ifinfo`: a link changed.
pub fn notify_link(dev: &NetDevice, change: u32) {
    if !super::has_listeners(NETLINK_ROUTE, RTNLGRP_LINK) {
        return;
    }
    if let Ok(message) = link_message(dev, RTM_NEWLINK, 0, 0, 0, change) {
        super::broadcast_from_kernel(NETLINK_ROUTE, RTNLGRP_LINK, &message, 0);
    }
}

// ---- addresses ----

/// `inet_fill_ifaddr` / `inet6_fill_ifaddr`.
pub fn addr_message(
    dev: &NetDevice,
    addr: &IfAddr,
    kind: u16,
    portid: u32,
    seq: u32,
    flags: u16,
) -> Result<Vec<u8>, Errno> {
    let mut b = Builder::new(kind, flags, seq, portid)?;
    let is_v4 = addr.ip.is_v4();
    b.put(
        &IfAddrMsg {
            family: if is_v4 { AF_INET } else { AF_INET6 },
            prefix_len: addr.prefix_len,
            flags: addr.flags as u8,
            scope: addr.scope,
            index: dev.index,
        }
        .to_bytes(),
    )?;
    let mut cacheinfo = [0u8; 16];
    cacheinfo[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
    cacheinfo[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
    cacheinfo[8..12].copy_from_slice(&addr.cstamp.to_ne_bytes());
    cacheinfo[12..16].copy_from_slice(&addr.cstamp.to_ne_bytes());
    if is_v4 {
        let ip = addr.ip.v4_octets();
        b.attr(IFA_ADDRESS, &ip)?;
        b.attr(IFA_LOCAL, &ip)?;
        if let Some(broadcast) = addr.broadcast {
            b.attr(IFA_BROADCAST, &broadcast.v4_octets())?;
        }
        let label = addr.label.unwrap_or_else(|| dev.name());
        b.attr_str(IFA_LABEL, label.as_bytes())?;
        b.attr_u32(IFA_FLAGS, addr.flags)?;
        b.attr(IFA_CACHEINFO, &cacheinfo)?;
    } else {
        b.attr(IFA_ADDRESS, &addr.ip.0)?;
        b.attr(IFA_CACHEINFO, &cacheinfo)?;
        b.attr_u32(IFA_FLAGS, addr.flags)?;
    }
    Ok(b.finish())
}

fn dump_addrs(ctx: &Ctx<'_>, family: u8) -> Result<Dump, Errno> {
    let portid = ctx.portid();
    let seq = ctx.req.header.seq;
    let mut index_filter = 0;
    let mut done_flags = 0;
    let mut dump = Dump::new(seq, portid, 0);
    if ctx.is_strict {
        match IfAddrMsg::parse(ctx.req.payload()) {
            None => {
                dump.fail(Errno::EINVAL);
                return Ok(dump);
            }
            Some(m) if m.prefix_len != 0 || m.flags != 0 || m.scope != 0 => {
                dump.fail(Errno::EINVAL);
                return Ok(dump);
            }
            Some(m) => {
                index_filter = m.index;
                if index_filter != 0 {
                    done_flags = NLM_F_DUMP_FILTERED;
                    if netdev::by_index(index_filter).is_none() {
                        dump.fail(Errno::ENODEV);
                        return Ok(dump);
                    }
                }
            }
        }
    }
    let mut dump = Dump::new(seq, portid, done_flags);
    let families: &[bool] = match family {
        AF_INET => &[false],
        AF_INET6 => &[true],
        _ => &[false, true],
    };
    for &is_v6 in families {
        let mut section = VecDeque::new();
        for dev in netdev::all() {
            if index_filter != 0 && dev.index != index_filter {
                continue;
            }
            for addr in dev.addrs().iter().filter(|a| a.ip.is_v4() != is_v6) {
                section.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                section.push_back(addr_message(
                    &dev,
                    addr,
                    RTM_NEWADDR,
                    portid,
                    seq,
                    NLM_F_MULTI | done_flags,
                )?);
            }
        }
        dump.add_section(section)?;
    }
    Ok(dump)
}

fn addr_policy(is_v6: bool) -> [Policy; IFA_MAX + 1] {
    let mut p = [Policy::Any; IFA_MAX + 1];
    let len = if is_v6 { 16 } else { 4 };
    p[usize::from(IFA_ADDRESS)] = Policy::Min(len);
    p[usize::from(IFA_LOCAL)] = Policy::Min(len);
    p[usize::from(IFA_BROADCAST)] = Policy::Min(4);
    p[usize::from(IFA_LABEL)] = Policy::Str(15);
    p[usize::from(IFA_CACHEINFO)] = Policy::Min(16);
    p[usize::from(IFA_FLAGS)] = Policy::Min(4);
    p[usize::from(IFA_RT_PRIORITY)] = Policy::Min(4);
    p
}

fn ip_from(data: &[u8], is_v6: bool) -> Ip {
    if is_v6 {
        let mut out = [0u8; 16];
        out.copy_from_slice(&data[..16]);
        Ip(out)
    } else {
        Ip::v4([data[0], data[1], data[2], data[3]])
    }
}

/// `inet_rtm_newaddr` / `inet6_rtm_newaddr`.
fn new_addr(ctx: &Ctx<'_>, is_v6: bool) -> Result<(), Fail> {
    let m = IfAddrMsg::parse(ctx.req.payload()).ok_or(fail(Errno::EINVAL))?;
    let tb = parse::<12>(
        attrs_of(ctx, IfAddrMsg::LEN),
        attrs_at(IfAddrMsg::LEN),
        &addr_policy(is_v6),
    )
    .map_err(bad)?;
    let max = if is_v6 { 128 } else { 32 };
    let local = if is_v6 {
        tb.get(IFA_LOCAL).or(tb.get(IFA_ADDRESS))
    } else {
        tb.get(IFA_LOCAL)
    };
    if m.prefix_len > max {
        return Err(if is_v6 {
            fail_msg(Errno::EINVAL, "Invalid prefix length")
        } else {
            fail(Errno::EINVAL)
        });
    }
    let local = local.ok_or(fail(Errno::EINVAL))?;
    let dev = netdev::by_index(m.index).ok_or(fail(Errno::ENODEV))?;
    let ip = ip_from(local.data, is_v6);
    let mut addr = IfAddr::new(ip, m.prefix_len);
    addr.scope = m.scope;
    if is_v6 {
        addr.scope = if ip == Ip::LOOPBACK6 {
            RT_SCOPE_HOST
        } else if ip.0[0] == 0xfe && ip.0[1] & 0xc0 == 0x80 {
            RT_SCOPE_LINK
        } else {
            RT_SCOPE_UNIVERSE
        };
    } else {
        if let Some(b) = tb.get(IFA_BROADCAST) {
            addr.broadcast = Some(ip_from(b.data, false));
        }
        if let Some(label) = tb.get(IFA_LABEL) {
            addr.label = Some(IfName::new(label.str()).map_err(fail)?);
        }
        if ip.v4_octets() == [0; 4] {
            return Ok(());
        }
    }
    if let Some(ci) = tb.get(IFA_CACHEINFO) {
        let preferred = u32::from_ne_bytes([ci.data[0], ci.data[1], ci.data[2], ci.data[3]]);
        let valid = u32::from_ne_bytes([ci.data[4], ci.data[5], ci.data[6], ci.data[7]]);
        if valid == 0 || preferred > valid {
            return Err(fail(Errno::EINVAL));
        }
    }
    let _rtnl = fib::RTNL.lock();
    let header = ctx.req.header;
    let exists = dev
        .addrs()
        .iter()
        .any(|a| a.ip == ip && (is_v6 || a.prefix_len == m.prefix_len));
    if exists {
        if header.flags & NLM_F_EXCL != 0 || header.flags & NLM_F_REPLACE == 0 {
            return Err(fail(Errno::EEXIST));
        }
        return Ok(());
    }
    let added = dev.add_addr(addr).map_err(fail)?;
    fib::address_added(&dev, &added, ctx.portid(), header.seq);
    Ok(())
}

/// `inet_rtm_deladdr` / `inet6_rtm_deladdr`.
fn del_addr(ctx: &Ctx<'_>, is_v6: bool) -> Result<(), Fail> {
    let m = IfAddrMsg::parse(ctx.req.payload()).ok_or(fail(Errno::EINVAL))?;
    let tb = parse::<12>(
        attrs_of(ctx, IfAddrMsg::LEN),
        attrs_at(IfAddrMsg::LEN),
        &addr_policy(is_v6),
    )
    .map_err(bad)?;
    let _rtnl = fib::RTNL.lock();
    let (dev, target) = if is_v6 {
        let pfx = tb
            .get(IFA_LOCAL)
            .or(tb.get(IFA_ADDRESS))
            .ok_or(fail(Errno::EINVAL))?;
        if m.prefix_len > 128 {
            return Err(fail(Errno::EINVAL));
        }
        let dev = netdev::by_index(m.index).ok_or(fail(Errno::ENODEV))?;
        let ip = ip_from(pfx.data, true);
        let target = dev
            .addrs()
            .into_iter()
            .find(|a| !a.ip.is_v4() && a.ip == ip && a.prefix_len == m.prefix_len);
        (dev, target)
    } else {
        let dev = netdev::by_index(m.index).ok_or(fail(Errno::ENODEV))?;
        let local = tb.get(IFA_LOCAL).map(|a| ip_from(a.data, false));
        let address = tb.get(IFA_ADDRESS).map(|a| ip_from(a.data, false));
        let label = tb.get(IFA_LABEL).map(|a| a.str());
        let target = dev.addrs().into_iter().find(|a| {
            a.ip.is_v4()
                && local.is_none_or(|l| l == a.ip)
                && label.is_none_or(|l| l == a.label.unwrap_or_else(|| dev.name()).as_bytes())
                && address.is_none_or(|x| m.prefix_len == a.prefix_len && a.contains(x))
        });
        (dev, target)
    };
    let target = target.ok_or(fail(Errno::EADDRNOTAVAIL))?;
    let removed = dev
        .remove_addr(target.ip, target.prefix_len)
        .ok_or(fail(Errno::EADDRNOTAVAIL))?;
    fib::addresses_removed(&dev, &removed, ctx.portid(), ctx.req.header.seq);
    Ok(())
}

/// `rtmsg_ifa` / `inet6_ifa_notify`.
pub fn notify_addr(dev: &NetDevice, addr: &IfAddr, is_new: bool, portid: u32, seq: u32) {
    let group = if addr.ip.is_v4() {
        RTNLGRP_IPV4_IFADDR
    } else {
        RTNLGRP_IPV6_IFADDR
    };
    if !super::has_listeners(NETLINK_ROUTE, group) {
        return;
    }
    let kind = if is_new { RTM_NEWADDR } else { RTM_DELADDR };
    if let Ok(message) = addr_message(dev, addr, kind, portid, seq, 0) {
        super::broadcast_from_kernel(NETLINK_ROUTE, group, &message, 0);
    }
}

// ---- routes ----

/// `fib_dump_info` / `rt6_fill_node`.
pub fn route_message(
    route: &Route,
    is_v6: bool,
    kind: u16,
    portid: u32,
    seq: u32,
    flags: u16,
) -> Result<Vec<u8>, Errno> {
    let mut b = Builder::new(kind, flags, seq, portid)?;
    let len = if is_v6 { 16 } else { 4 };
    b.put(
        &RtMsg {
            family: if is_v6 { AF_INET6 } else { AF_INET },
            dst_len: route.dst_len,
            src_len: 0,
            tos: route.tos,
            table: if route.table < 256 {
                route.table as u8
            } else {
                252
            },
            protocol: route.protocol,
            scope: if is_v6 {
                RT_SCOPE_UNIVERSE
            } else {
                route.scope
            },
            kind: route.kind,
            flags: 0,
        }
        .to_bytes(),
    )?;
    b.attr_u32(RTA_TABLE, route.table)?;
    if route.dst_len != 0 {
        b.attr(RTA_DST, &route.dst[..len])?;
    }
    if is_v6 {
        if let Some(src) = &route.prefsrc {
            b.attr(RTA_PREFSRC, &src[..len])?;
        }
        b.attr_u32(RTA_PRIORITY, route.priority)?;
        if let Some(gw) = &route.gateway {
            b.attr(RTA_GATEWAY, &gw[..len])?;
        }
        if route.oif != 0 {
            b.attr_u32(RTA_OIF, route.oif)?;
        }
        b.attr(RTA_CACHEINFO, &[0u8; 32])?;
        b.attr_u8(RTA_PREF, 0)?;
    } else {
        if route.priority != 0 {
            b.attr_u32(RTA_PRIORITY, route.priority)?;
        }
        if let Some(src) = &route.prefsrc {
            b.attr(RTA_PREFSRC, &src[..len])?;
        }
        if let Some(gw) = &route.gateway {
            b.attr(RTA_GATEWAY, &gw[..len])?;
        }
        if route.oif != 0 {
            b.attr_u32(RTA_OIF, route.oif)?;
        }
    }
    Ok(b.finish())
}

fn dump_routes(ctx: &Ctx<'_>, family: u8) -> Result<Dump, Errno> {
    let portid = ctx.portid();
    let seq = ctx.req.header.seq;
    let mut table_filter = 0;
    let mut oif_filter = 0;
    let mut done_flags = 0;
    if ctx.is_strict {
        let mut dump = Dump::new(seq, portid, 0);
        let Some(m) = RtMsg::parse(ctx.req.payload()) else {
            dump.fail(Errno::EINVAL);
            return Ok(dump);
        };
        if m.dst_len != 0 || m.src_len != 0 || m.tos != 0 || m.scope != 0 {
            dump.fail(Errno::EINVAL);
            return Ok(dump);
        }
        table_filter = u32::from(m.table);
        let tb = parse::<31>(attrs_of(ctx, RtMsg::LEN), attrs_at(RtMsg::LEN), &[]);
        if let Ok(tb) = tb {
            if let Some(t) = tb.get(RTA_TABLE).and_then(|a| a.u32()) {
                table_filter = t;
            }
            if let Some(o) = tb.get(RTA_OIF).and_then(|a| a.u32()) {
                oif_filter = o;
            }
        }
        if table_filter != 0 || oif_filter != 0 || m.protocol != 0 || m.kind != 0 {
            done_flags = NLM_F_DUMP_FILTERED;
        }
    }
    let mut dump = Dump::new(seq, portid, done_flags);
    let families: &[bool] = match family {
        AF_INET => &[false],
        AF_INET6 => &[true],
        _ => &[false, true],
    };
    for &is_v6 in families {
        let routes: Vec<Route> = with_fib(is_v6, |fib| {
            let mut out = Vec::new();
            if out.try_reserve(fib.routes().len()).is_ok() {
                out.extend_from_slice(fib.routes());
            }
            out
        });
        let mut section = VecDeque::new();
        for route in routes {
            if (table_filter != 0 && route.table != table_filter)
                || (oif_filter != 0 && route.oif != oif_filter)
            {
                continue;
            }
            section.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            section.push_back(route_message(
                &route,
                is_v6,
                RTM_NEWROUTE,
                portid,
                seq,
                NLM_F_MULTI | done_flags,
            )?);
        }
        dump.add_section(section)?;
    }
    Ok(dump)
}

fn route_policy(is_v6: bool) -> [Policy; RTA_MAX + 1] {
    let len = if is_v6 { 16 } else { 4 };
    let mut p = [Policy::Any; RTA_MAX + 1];
    for kind in [RTA_DST, RTA_SRC, RTA_GATEWAY, RTA_PREFSRC] {
        p[usize::from(kind)] = Policy::Min(len);
    }
    for kind in [
        RTA_IIF,
        RTA_OIF,
        RTA_PRIORITY,
        RTA_TABLE,
        RTA_MARK,
        RTA_UID,
        RTA_FLOW,
        RTA_NH_ID,
    ] {
        p[usize::from(kind)] = Policy::Min(4);
    }
    p[usize::from(RTA_METRICS)] = Policy::Nested;
    p
}

/// The route a request describes (`rtm_to_fib_config` / `rtm_to_fib6_config`).
struct RouteConfig {
    msg: RtMsg,
    dst: [u8; 16],
    table: u32,
    oif: u32,
    gateway: Option<[u8; 16]>,
    prefsrc: Option<[u8; 16]>,
    priority: u32,
}

fn route_config(ctx: &Ctx<'_>, is_v6: bool) -> Result<RouteConfig, Fail> {
    let msg = RtMsg::parse(ctx.req.payload()).ok_or(fail(Errno::EINVAL))?;
    let tb = parse::<31>(
        attrs_of(ctx, RtMsg::LEN),
        attrs_at(RtMsg::LEN),
        &route_policy(is_v6),
    )
    .map_err(bad)?;
    if !is_v6 && msg.tos & 3 != 0 {
        return Err(fail_msg(
            Errno::EINVAL,
            "Invalid dsfield (tos): ECN bits must be 0",
        ));
    }
    if msg.kind > RTN_MAX {
        return Err(fail_msg(Errno::EINVAL, "Invalid route type"));
    }
    let len = if is_v6 { 16 } else { 4 };
    let addr = |kind: u16| {
        tb.get(kind).map(|a| {
            let mut out = [0u8; 16];
            out[..len].copy_from_slice(&a.data[..len]);
            out
        })
    };
    let mut table = tb
        .get(RTA_TABLE)
        .and_then(|a| a.u32())
        .unwrap_or(u32::from(msg.table));
    if table == 0 {
        table = RT_TABLE_MAIN;
    }
    if tb.get(RTA_MULTIPATH).is_some() || tb.get(RTA_ENCAP).is_some() || tb.get(RTA_NH_ID).is_some()
    {
        return Err(fail(Errno::EOPNOTSUPP));
    }
    Ok(RouteConfig {
        msg,
        dst: addr(RTA_DST).unwrap_or([0; 16]),
        table,
        oif: tb.get(RTA_OIF).and_then(|a| a.u32()).unwrap_or(0),
        gateway: addr(RTA_GATEWAY).filter(|g| g[..len].iter().any(|&b| b != 0)),
        prefsrc: addr(RTA_PREFSRC),
        priority: tb.get(RTA_PRIORITY).and_then(|a| a.u32()).unwrap_or(0),
    })
}

/// `inet_rtm_newroute` / `inet6_rtm_newroute` ([`fib::add_route`]).
fn new_route(ctx: &Ctx<'_>, is_v6: bool) -> Result<(), Fail> {
    let c = route_config(ctx, is_v6)?;
    let m = c.msg;
    let request = fib::NewRoute {
        table: c.table,
        kind: m.kind,
        dst: c.dst,
        dst_len: m.dst_len,
        tos: m.tos,
        protocol: m.protocol,
        scope: m.scope,
        priority: c.priority,
        oif: c.oif,
        gateway: c.gateway,
        prefsrc: c.prefsrc,
    };
    let _rtnl = fib::RTNL.lock();
    fib::add_route(
        &request,
        is_v6,
        ctx.req.header.flags,
        ctx.portid(),
        ctx.req.header.seq,
    )
    .map_err(|(errno, message)| {
        (
            errno,
            ExtAck {
                message,
                bad_attr: None,
            },
        )
    })?;
    Ok(())
}

/// `inet_rtm_delroute` / `inet6_rtm_delroute`.
fn del_route(ctx: &Ctx<'_>, is_v6: bool) -> Result<(), Fail> {
    let c = route_config(ctx, is_v6)?;
    let m = c.msg;
    let len = if is_v6 { 128 } else { 32 };
    if usize::from(m.dst_len) > len {
        return Err(fail_msg(Errno::EINVAL, "Invalid prefix length"));
    }
    if !is_v6 && netlink::fib::masked(&c.dst, usize::from(m.dst_len), 4) != c.dst {
        return Err(fail_msg(
            Errno::EINVAL,
            "Invalid prefix for given prefix length",
        ));
    }
    let spec = Match {
        table: c.table,
        kind: m.kind,
        dst: c.dst,
        dst_len: m.dst_len,
        tos: m.tos,
        protocol: m.protocol,
        scope: if is_v6 { RT_SCOPE_NOWHERE } else { m.scope },
        priority: c.priority,
        oif: c.oif,
        gateway: c.gateway,
        prefsrc: c.prefsrc,
    };
    let _rtnl = fib::RTNL.lock();
    fib::delete_route(&spec, is_v6, ctx.portid(), ctx.req.header.seq).map_err(fail)?;
    Ok(())
}

/// `inet_rtm_getroute`: the route to one destination (`RTM_F_CLONED`, the route cache's
/// flags, the output device, the source address and the caller's uid).
fn get_route(ctx: &Ctx<'_>, is_v6: bool) -> Result<(), Fail> {
    let c = route_config(ctx, is_v6)?;
    let len = if is_v6 { 16 } else { 4 };
    let dst = ip_of(&c.dst, is_v6);
    let route = fib::lookup(dst).map_err(fail)?;
    let source = c
        .prefsrc
        .map_or_else(|| fib::source_for(dst, &route), |s| ip_of(&s, is_v6));
    let mut b = Builder::new(RTM_NEWROUTE, 0, ctx.req.header.seq, ctx.portid()).map_err(fail)?;
    const RTM_F_CLONED: u32 = 0x200;
    const RTCF_LOCAL: u32 = 0x8000_0000;
    let is_local = route.kind == RTN_LOCAL;
    // Linux's local table shares the main table's trie until rules are added: a lookup
    // reports main.
    let table = if is_v6 { route.table } else { RT_TABLE_MAIN };
    let put = |b: &mut Builder| -> Result<(), Errno> {
        b.put(
            &RtMsg {
                family: if is_v6 { AF_INET6 } else { AF_INET },
                dst_len: if is_v6 { 128 } else { 32 },
                src_len: if c.prefsrc.is_some() {
                    len as u8 * 8
                } else {
                    0
                },
                tos: c.msg.tos,
                table: if table < 256 { table as u8 } else { 252 },
                protocol: if is_v6 { route.protocol } else { RTPROT_UNSPEC },
                scope: RT_SCOPE_UNIVERSE,
                kind: route.kind,
                flags: RTM_F_CLONED | if is_local && !is_v6 { RTCF_LOCAL } else { 0 },
            }
            .to_bytes(),
        )?;
        b.attr_u32(RTA_TABLE, table)?;
        b.attr(RTA_DST, &key(dst)[..len])?;
        if let Some(src) = &c.prefsrc {
            b.attr(RTA_SRC, &src[..len])?;
        }
        b.attr_u32(RTA_OIF, route.oif)?;
        b.attr(RTA_PREFSRC, &key(source)[..len])?;
        if let Some(gw) = &route.gateway {
            b.attr(RTA_GATEWAY, &gw[..len])?;
        }
        if is_v6 {
            b.attr_u32(RTA_PRIORITY, route.priority)?;
        }
        let uid = crate::process::try_current().map_or(0, |t| t.process.credentials.lock().uid);
        b.attr_u32(RTA_UID, uid)?;
        b.attr(RTA_CACHEINFO, &[0u8; 32])?;
        if is_v6 {
            b.attr_u8(RTA_PREF, 0)?;
        }
        Ok(())
    };
    put(&mut b).map_err(fail)?;
    ctx.reply(b.finish());
    Ok(())
}

/// `rtmsg_fib` / `inet6_rt_notify`.
pub fn notify_route(route: &Route, is_v6: bool, is_new: bool, portid: u32, seq: u32) {
    let group = if is_v6 {
        RTNLGRP_IPV6_ROUTE
    } else {
        RTNLGRP_IPV4_ROUTE
    };
    if !super::has_listeners(NETLINK_ROUTE, group) {
        return;
    }
    let kind = if is_new { RTM_NEWROUTE } else { RTM_DELROUTE };
    if let Ok(message) = route_message(route, is_v6, kind, portid, seq, 0) {
        super::broadcast_from_kernel(NETLINK_ROUTE, group, &message, 0);
    }
}

// ---- neighbours ----

/// `neigh_dump_info`: the ARP and neighbour-discovery tables, empty without real interfaces.
fn dump_neigh(ctx: &Ctx<'_>, family: u8) -> Result<Dump, Errno> {
    let mut dump = Dump::new(ctx.req.header.seq, ctx.portid(), 0);
    if ctx.is_strict {
        match NdMsg::parse(ctx.req.payload()) {
            Some(m) if m.state == 0 && m.flags == 0 && m.kind == 0 => {}
            _ => {
                dump.fail(Errno::EINVAL);
                return Ok(dump);
            }
        }
    }
    let sections = if family == AF_UNSPEC { 2 } else { 1 };
    for _ in 0..sections {
        dump.add_section(VecDeque::new())?;
    }
    Ok(dump)
}
