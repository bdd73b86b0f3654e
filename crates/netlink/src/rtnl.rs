//! rtnetlink's numbers and fixed headers (`include/uapi/linux/rtnetlink.h`, `if_link.h`,
//! `if_addr.h`, `neighbour.h`): message types, attribute types, multicast groups, and the
//! `ifinfomsg`, `ifaddrmsg`, `rtmsg` and `ndmsg` headers read from requests and written in
//! answers.

use crate::raw;

macro_rules! consts {
    ($ty:ty; $($name:ident = $value:expr),* $(,)?) => {
        $(pub const $name: $ty = $value as $ty;)*
    };
}

consts!(u16;
    RTM_NEWLINK = raw::RTM_NEWLINK, RTM_DELLINK = raw::RTM_DELLINK,
    RTM_GETLINK = raw::RTM_GETLINK, RTM_SETLINK = raw::RTM_SETLINK,
    RTM_NEWADDR = raw::RTM_NEWADDR, RTM_DELADDR = raw::RTM_DELADDR,
    RTM_GETADDR = raw::RTM_GETADDR, RTM_NEWROUTE = raw::RTM_NEWROUTE,
    RTM_DELROUTE = raw::RTM_DELROUTE, RTM_GETROUTE = raw::RTM_GETROUTE,
    RTM_NEWNEIGH = raw::RTM_NEWNEIGH, RTM_DELNEIGH = raw::RTM_DELNEIGH,
    RTM_GETNEIGH = raw::RTM_GETNEIGH,
    RTM_GETRULE = raw::RTM_GETRULE, RTM_GETNETCONF = raw::RTM_GETNETCONF,
);
/// `RTM_MAX` of Linux 6.1 (`RTM_GETTUNNEL` rounded up to a group of four, less one).
pub const RTM_MAX: u16 = 123;

consts!(u16;
    IFLA_ADDRESS = raw::IFLA_ADDRESS, IFLA_BROADCAST = raw::IFLA_BROADCAST,
    IFLA_IFNAME = raw::IFLA_IFNAME, IFLA_MTU = raw::IFLA_MTU, IFLA_LINK = raw::IFLA_LINK,
    IFLA_QDISC = raw::IFLA_QDISC, IFLA_STATS = raw::IFLA_STATS, IFLA_TXQLEN = raw::IFLA_TXQLEN,
    IFLA_MAP = raw::IFLA_MAP, IFLA_OPERSTATE = raw::IFLA_OPERSTATE,
    IFLA_LINKMODE = raw::IFLA_LINKMODE, IFLA_LINKINFO = raw::IFLA_LINKINFO,
    IFLA_IFALIAS = raw::IFLA_IFALIAS, IFLA_STATS64 = raw::IFLA_STATS64,
    IFLA_AF_SPEC = raw::IFLA_AF_SPEC, IFLA_GROUP = raw::IFLA_GROUP,
    IFLA_EXT_MASK = raw::IFLA_EXT_MASK, IFLA_PROMISCUITY = raw::IFLA_PROMISCUITY,
    IFLA_NUM_TX_QUEUES = raw::IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES = raw::IFLA_NUM_RX_QUEUES,
    IFLA_CARRIER = raw::IFLA_CARRIER, IFLA_CARRIER_CHANGES = raw::IFLA_CARRIER_CHANGES,
    IFLA_PROTO_DOWN = raw::IFLA_PROTO_DOWN, IFLA_GSO_MAX_SEGS = raw::IFLA_GSO_MAX_SEGS,
    IFLA_GSO_MAX_SIZE = raw::IFLA_GSO_MAX_SIZE, IFLA_PAD = raw::IFLA_PAD, IFLA_XDP = raw::IFLA_XDP,
    IFLA_CARRIER_UP_COUNT = raw::IFLA_CARRIER_UP_COUNT,
    IFLA_CARRIER_DOWN_COUNT = raw::IFLA_CARRIER_DOWN_COUNT,
    IFLA_MIN_MTU = raw::IFLA_MIN_MTU, IFLA_MAX_MTU = raw::IFLA_MAX_MTU,
    IFLA_PERM_ADDRESS = raw::IFLA_PERM_ADDRESS,
    IFLA_GRO_MAX_SIZE = raw::IFLA_GRO_MAX_SIZE, IFLA_TSO_MAX_SIZE = raw::IFLA_TSO_MAX_SIZE,
    IFLA_TSO_MAX_SEGS = raw::IFLA_TSO_MAX_SEGS, IFLA_XDP_ATTACHED = raw::IFLA_XDP_ATTACHED,
    IFLA_INET_CONF = raw::IFLA_INET_CONF,
    IFLA_INET6_FLAGS = raw::IFLA_INET6_FLAGS, IFLA_INET6_CONF = raw::IFLA_INET6_CONF,
    IFLA_INET6_STATS = raw::IFLA_INET6_STATS, IFLA_INET6_ICMP6STATS = raw::IFLA_INET6_ICMP6STATS,
    IFLA_INET6_CACHEINFO = raw::IFLA_INET6_CACHEINFO, IFLA_INET6_TOKEN = raw::IFLA_INET6_TOKEN,
    IFLA_INET6_ADDR_GEN_MODE = raw::IFLA_INET6_ADDR_GEN_MODE,
);
/// `IFLA_MAX` of Linux 6.1 (`IFLA_TSO_MAX_SEGS`).
pub const IFLA_MAX: usize = 60;

consts!(u16;
    IFA_ADDRESS = raw::IFA_ADDRESS, IFA_LOCAL = raw::IFA_LOCAL, IFA_LABEL = raw::IFA_LABEL,
    IFA_BROADCAST = raw::IFA_BROADCAST, IFA_CACHEINFO = raw::IFA_CACHEINFO,
    IFA_FLAGS = raw::IFA_FLAGS, IFA_RT_PRIORITY = raw::IFA_RT_PRIORITY,
);
pub const IFA_MAX: usize = 11;

consts!(u16;
    RTA_DST = raw::rtattr_type_t::RTA_DST, RTA_SRC = raw::rtattr_type_t::RTA_SRC,
    RTA_IIF = raw::rtattr_type_t::RTA_IIF, RTA_OIF = raw::rtattr_type_t::RTA_OIF,
    RTA_GATEWAY = raw::rtattr_type_t::RTA_GATEWAY, RTA_PRIORITY = raw::rtattr_type_t::RTA_PRIORITY,
    RTA_PREFSRC = raw::rtattr_type_t::RTA_PREFSRC, RTA_METRICS = raw::rtattr_type_t::RTA_METRICS,
    RTA_MULTIPATH = raw::rtattr_type_t::RTA_MULTIPATH, RTA_CACHEINFO = raw::rtattr_type_t::RTA_CACHEINFO,
    RTA_TABLE = raw::rtattr_type_t::RTA_TABLE, RTA_MARK = raw::rtattr_type_t::RTA_MARK,
    RTA_PREF = raw::rtattr_type_t::RTA_PREF, RTA_ENCAP = raw::rtattr_type_t::RTA_ENCAP,
    RTA_UID = raw::rtattr_type_t::RTA_UID, RTA_IP_PROTO = raw::rtattr_type_t::RTA_IP_PROTO,
    RTA_SPORT = raw::rtattr_type_t::RTA_SPORT, RTA_DPORT = raw::rtattr_type_t::RTA_DPORT,
    RTA_NH_ID = raw::rtattr_type_t::RTA_NH_ID, RTA_FLOW = raw::rtattr_type_t::RTA_FLOW,
    RTA_VIA = raw::rtattr_type_t::RTA_VIA, RTA_ENCAP_TYPE = raw::rtattr_type_t::RTA_ENCAP_TYPE,
);
/// `RTA_MAX` of Linux 6.1 (`RTA_NH_ID`).
pub const RTA_MAX: usize = 30;

consts!(u8;
    RTN_UNSPEC = raw::RTN_UNSPEC, RTN_UNICAST = raw::RTN_UNICAST, RTN_LOCAL = raw::RTN_LOCAL,
    RTN_BROADCAST = raw::RTN_BROADCAST, RTN_ANYCAST = raw::RTN_ANYCAST,
    RTN_MULTICAST = raw::RTN_MULTICAST, RTN_BLACKHOLE = raw::RTN_BLACKHOLE,
    RTN_UNREACHABLE = raw::RTN_UNREACHABLE, RTN_PROHIBIT = raw::RTN_PROHIBIT,
    RTN_THROW = raw::RTN_THROW, RTN_NAT = raw::RTN_NAT, RTN_XRESOLVE = raw::RTN_XRESOLVE,
    RT_SCOPE_UNIVERSE = raw::rt_scope_t::RT_SCOPE_UNIVERSE, RT_SCOPE_SITE = raw::rt_scope_t::RT_SCOPE_SITE,
    RT_SCOPE_LINK = raw::rt_scope_t::RT_SCOPE_LINK, RT_SCOPE_HOST = raw::rt_scope_t::RT_SCOPE_HOST,
    RT_SCOPE_NOWHERE = raw::rt_scope_t::RT_SCOPE_NOWHERE,
    RTPROT_UNSPEC = raw::RTPROT_UNSPEC, RTPROT_KERNEL = raw::RTPROT_KERNEL,
    RTPROT_BOOT = raw::RTPROT_BOOT, RTPROT_STATIC = raw::RTPROT_STATIC,
);
/// `RTN_MAX`.
pub const RTN_MAX: u8 = 11;

consts!(u32;
    RT_TABLE_UNSPEC = raw::rt_class_t::RT_TABLE_UNSPEC, RT_TABLE_DEFAULT = raw::rt_class_t::RT_TABLE_DEFAULT,
    RT_TABLE_MAIN = raw::rt_class_t::RT_TABLE_MAIN, RT_TABLE_LOCAL = raw::rt_class_t::RT_TABLE_LOCAL,
);

consts!(u16;
    NDA_DST = raw::NDA_DST, NDA_LLADDR = raw::NDA_LLADDR,
);

/// The multicast groups (`RTNLGRP_*`).
pub const RTNLGRP_LINK: u32 = 1;
pub const RTNLGRP_NEIGH: u32 = 3;
pub const RTNLGRP_IPV4_IFADDR: u32 = 5;
pub const RTNLGRP_IPV4_ROUTE: u32 = 7;
pub const RTNLGRP_IPV6_IFADDR: u32 = 9;
pub const RTNLGRP_IPV6_ROUTE: u32 = 11;
pub const RTNLGRP_IPV4_MROUTE_R: u32 = 30;
pub const RTNLGRP_IPV6_MROUTE_R: u32 = 31;
/// `RTNLGRP_MAX` of Linux 6.1 (`RTNLGRP_STATS`).
pub const RTNLGRP_MAX: u32 = 36;

/// `IFF_*` flags the link messages carry.
pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_RUNNING: u32 = 0x40;
pub const IFF_LOWER_UP: u32 = 0x10000;

/// `IF_OPER_UNKNOWN`, `IF_OPER_DOWN`, `IF_OPER_UP`.
pub const IF_OPER_UNKNOWN: u8 = 0;
pub const IF_OPER_DOWN: u8 = 2;
pub const IF_OPER_UP: u8 = 6;

pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// `struct ifinfomsg` (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IfInfoMsg {
    pub family: u8,
    pub kind: u16,
    pub index: i32,
    pub flags: u32,
    pub change: u32,
}

impl IfInfoMsg {
    pub const LEN: usize = 16;

    pub fn parse(b: &[u8]) -> Option<IfInfoMsg> {
        let b = b.get(..Self::LEN)?;
        Some(IfInfoMsg {
            family: b[0],
            kind: u16::from_ne_bytes([b[2], b[3]]),
            index: i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
            flags: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
            change: u32::from_ne_bytes([b[12], b[13], b[14], b[15]]),
        })
    }

    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0] = self.family;
        b[2..4].copy_from_slice(&self.kind.to_ne_bytes());
        b[4..8].copy_from_slice(&self.index.to_ne_bytes());
        b[8..12].copy_from_slice(&self.flags.to_ne_bytes());
        b[12..16].copy_from_slice(&self.change.to_ne_bytes());
        b
    }
}

/// `struct ifaddrmsg` (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IfAddrMsg {
    pub family: u8,
    pub prefix_len: u8,
    pub flags: u8,
    pub scope: u8,
    pub index: u32,
}

impl IfAddrMsg {
    pub const LEN: usize = 8;

    pub fn parse(b: &[u8]) -> Option<IfAddrMsg> {
        let b = b.get(..Self::LEN)?;
        Some(IfAddrMsg {
            family: b[0],
            prefix_len: b[1],
            flags: b[2],
            scope: b[3],
            index: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        })
    }

    pub fn to_bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.family;
        b[1] = self.prefix_len;
        b[2] = self.flags;
        b[3] = self.scope;
        b[4..8].copy_from_slice(&self.index.to_ne_bytes());
        b
    }
}

/// `struct rtmsg` (12 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtMsg {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub tos: u8,
    pub table: u8,
    pub protocol: u8,
    pub scope: u8,
    pub kind: u8,
    pub flags: u32,
}

impl RtMsg {
    pub const LEN: usize = 12;

    pub fn parse(b: &[u8]) -> Option<RtMsg> {
        let b = b.get(..Self::LEN)?;
        Some(RtMsg {
            family: b[0],
            dst_len: b[1],
            src_len: b[2],
            tos: b[3],
            table: b[4],
            protocol: b[5],
            scope: b[6],
            kind: b[7],
            flags: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
        })
    }

    pub fn to_bytes(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&[
            self.family,
            self.dst_len,
            self.src_len,
            self.tos,
            self.table,
            self.protocol,
            self.scope,
            self.kind,
        ]);
        b[8..12].copy_from_slice(&self.flags.to_ne_bytes());
        b
    }
}

/// `struct ndmsg` (12 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NdMsg {
    pub family: u8,
    pub index: i32,
    pub state: u16,
    pub flags: u8,
    pub kind: u8,
}

impl NdMsg {
    pub const LEN: usize = 12;

    pub fn parse(b: &[u8]) -> Option<NdMsg> {
        let b = b.get(..Self::LEN)?;
        Some(NdMsg {
            family: b[0],
            index: i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
            state: u16::from_ne_bytes([b[8], b[9]]),
            flags: b[10],
            kind: b[11],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let info = IfInfoMsg {
            family: 0,
            kind: 772,
            index: 1,
            flags: 0x10049,
            change: 0,
        };
        assert_eq!(IfInfoMsg::parse(&info.to_bytes()), Some(info));
        let addr = IfAddrMsg {
            family: 2,
            prefix_len: 8,
            flags: 0x80,
            scope: 254,
            index: 1,
        };
        assert_eq!(IfAddrMsg::parse(&addr.to_bytes()), Some(addr));
        let rt = RtMsg {
            family: 2,
            dst_len: 24,
            table: 254,
            kind: 1,
            ..RtMsg::default()
        };
        assert_eq!(RtMsg::parse(&rt.to_bytes()), Some(rt));
        assert!(RtMsg::parse(&[0; 11]).is_none());
        assert_eq!(
            (RTM_NEWLINK, RTM_GETROUTE, IFLA_TSO_MAX_SEGS as usize),
            (16, 26, IFLA_MAX)
        );
        assert_eq!(
            (RTA_NH_ID as usize, RTN_XRESOLVE, RT_TABLE_LOCAL),
            (RTA_MAX, RTN_MAX, 255)
        );
    }
}
