//! The old route and address ioctls of AF_INET sockets, as pure rules: `struct rtentry` of
//! `SIOCADDRT`/`SIOCDELRT` turned into a route request (Linux 6.1 `net/ipv4/fib_frontend.c`,
//! `rtentry_to_fib_config`), and the address arithmetic of `SIOCSIFADDR`/`SIOCSIFNETMASK`
//! (`net/ipv4/devinet.c`: the class-based prefix `inet_abc_len`, the contiguity check
//! `bad_mask`). The kernel (`kernel/src/net/devinet.rs`) copies the structures in and applies
//! the result to its routing table and interfaces.

use abi::Errno;

/// `sizeof(struct rtentry)` on x86-64.
pub const RTENTRY_LEN: usize = 120;
/// `RTF_UP`, `RTF_GATEWAY`, `RTF_HOST`, `RTF_REJECT`.
pub const RTF_UP: u16 = 0x1;
pub const RTF_GATEWAY: u16 = 0x2;
pub const RTF_HOST: u16 = 0x4;
pub const RTF_REJECT: u16 = 0x200;

/// A `struct sockaddr` as the ioctl gives it: its family and, for AF_INET, the address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockAddr {
    pub family: u16,
    pub addr: [u8; 4],
}

fn sockaddr_at(raw: &[u8], at: usize) -> SockAddr {
    SockAddr {
        family: u16::from_ne_bytes([raw[at], raw[at + 1]]),
        addr: [raw[at + 4], raw[at + 5], raw[at + 6], raw[at + 7]],
    }
}

/// The fields of `struct rtentry` the kernel reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtEntry {
    pub dst: SockAddr,
    pub gateway: SockAddr,
    pub genmask: SockAddr,
    pub flags: u16,
    pub metric: i16,
    /// `rt_dev`: a user pointer to the device's name, or 0.
    pub dev: u64,
}

impl RtEntry {
    pub fn parse(raw: &[u8; RTENTRY_LEN]) -> RtEntry {
        let word = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&raw[at..at + 8]);
            u64::from_ne_bytes(bytes)
        };
        RtEntry {
            dst: sockaddr_at(raw, 8),
            gateway: sockaddr_at(raw, 24),
            genmask: sockaddr_at(raw, 40),
            flags: u16::from_ne_bytes([raw[56], raw[57]]),
            metric: i16::from_ne_bytes([raw[80], raw[81]]),
            dev: word(88),
        }
    }
}

/// What a route ioctl asks for once checked (`struct fib_config`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteRequest {
    pub dst: [u8; 4],
    pub dst_len: u8,
    /// `RTN_UNICAST` or `RTN_UNREACHABLE`.
    pub is_reject: bool,
    /// `rt_metric - 1` (the ioctl's metrics start at 1).
    pub priority: u32,
    pub gateway: Option<[u8; 4]>,
    /// `RTF_GATEWAY` was set.
    pub is_gateway: bool,
}

/// Whether `mask` is not a contiguous netmask, or `addr` has bits outside it (`bad_mask`).
pub fn bad_mask(mask: [u8; 4], addr: [u8; 4]) -> bool {
    let mask = u32::from_be_bytes(mask);
    let addr = u32::from_be_bytes(addr);
    if addr & !mask != 0 {
        return true;
    }
    // Contiguous: the complement is one less than a power of two.
    let inverse = !mask;
    inverse & inverse.wrapping_add(1) != 0
}

/// The prefix length of a contiguous mask.
pub fn mask_len(mask: [u8; 4]) -> u8 {
    u32::from_be_bytes(mask).leading_ones() as u8
}

/// The mask of a prefix length.
pub fn make_mask(len: u8) -> [u8; 4] {
    let bits = u32::from(len.min(32));
    u32::MAX.checked_shl(32 - bits).unwrap_or(0).to_be_bytes()
}

/// `inet_abc_len`: the class-based prefix of an address set with `SIOCSIFADDR`; 0 for
/// `0.x.x.x` and the limited broadcast, `None` for a multicast (class D) address.
pub fn abc_len(addr: [u8; 4]) -> Option<u8> {
    if addr[0] == 0 || addr == [255; 4] {
        return Some(0);
    }
    match addr[0] {
        0..=127 => Some(8),
        128..=191 => Some(16),
        192..=223 => Some(24),
        224..=239 => None,
        _ => Some(32),
    }
}

/// `rtentry_to_fib_config` up to the device and the gateway's type: the family checks
/// (`EAFNOSUPPORT`), the mask (`EINVAL` unless contiguous with no host bits in the
/// destination), the metric, a reject route, and the gateway. `is_delete` skips the rules
/// only an addition has (`RTF_GATEWAY` without a gateway is `EINVAL`).
pub fn route_request(entry: &RtEntry, is_delete: bool) -> Result<RouteRequest, Errno> {
    const AF_INET: u16 = crate::AF_INET;
    if entry.dst.family != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    let mut request = RouteRequest {
        dst: entry.dst.addr,
        dst_len: 32,
        ..RouteRequest::default()
    };
    if entry.flags & RTF_HOST == 0 {
        let mask = entry.genmask.addr;
        if entry.genmask.family != AF_INET && (mask != [0; 4] || entry.genmask.family != 0) {
            return Err(Errno::EAFNOSUPPORT);
        }
        if bad_mask(mask, entry.dst.addr) {
            return Err(Errno::EINVAL);
        }
        request.dst_len = mask_len(mask);
    }
    if entry.metric != 0 {
        request.priority = (i32::from(entry.metric) - 1) as u32;
    }
    if entry.flags & RTF_REJECT != 0 {
        request.is_reject = true;
        return Ok(request);
    }
    request.is_gateway = entry.flags & RTF_GATEWAY != 0;
    if entry.gateway.family == AF_INET && entry.gateway.addr != [0; 4] {
        request.gateway = Some(entry.gateway.addr);
    }
    if !is_delete && request.is_gateway && request.gateway.is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dst: [u8; 4], gw: [u8; 4], mask: [u8; 4], flags: u16) -> [u8; RTENTRY_LEN] {
        let mut raw = [0u8; RTENTRY_LEN];
        for (at, addr) in [(8, dst), (24, gw), (40, mask)] {
            raw[at..at + 2].copy_from_slice(&crate::AF_INET.to_ne_bytes());
            raw[at + 4..at + 8].copy_from_slice(&addr);
        }
        raw[56..58].copy_from_slice(&flags.to_ne_bytes());
        raw
    }

    #[test]
    fn default_route_through_gateway() {
        let raw = entry([0; 4], [10, 0, 2, 2], [0; 4], RTF_UP | RTF_GATEWAY);
        let parsed = RtEntry::parse(&raw);
        assert_eq!(parsed.gateway.addr, [10, 0, 2, 2]);
        let request = route_request(&parsed, false).unwrap();
        assert_eq!(request.dst_len, 0);
        assert_eq!(request.gateway, Some([10, 0, 2, 2]));
        assert!(request.is_gateway);
        assert_eq!(request.priority, 0);
    }

    #[test]
    fn masks_and_families() {
        let raw = entry([10, 0, 2, 0], [0; 4], [255, 255, 255, 0], RTF_UP);
        assert_eq!(
            route_request(&RtEntry::parse(&raw), false).unwrap().dst_len,
            24
        );
        // Host bits in the destination, a hole in the mask.
        let raw = entry([10, 0, 2, 1], [0; 4], [255, 255, 255, 0], RTF_UP);
        assert_eq!(
            route_request(&RtEntry::parse(&raw), false),
            Err(Errno::EINVAL)
        );
        let raw = entry([10, 0, 0, 0], [0; 4], [255, 0, 255, 0], RTF_UP);
        assert_eq!(
            route_request(&RtEntry::parse(&raw), false),
            Err(Errno::EINVAL)
        );
        // RTF_HOST ignores the mask.
        let raw = entry([10, 0, 2, 1], [0; 4], [1, 2, 3, 4], RTF_UP | RTF_HOST);
        assert_eq!(
            route_request(&RtEntry::parse(&raw), false).unwrap().dst_len,
            32
        );
        let mut raw = entry([0; 4], [0; 4], [0; 4], RTF_UP);
        raw[8] = 10;
        assert_eq!(
            route_request(&RtEntry::parse(&raw), false),
            Err(Errno::EAFNOSUPPORT)
        );
        // A zero mask of family 0 is accepted.
        let mut raw = entry([0; 4], [0; 4], [0; 4], RTF_UP);
        raw[40..42].fill(0);
        assert!(route_request(&RtEntry::parse(&raw), false).is_ok());
        // RTF_GATEWAY without a gateway: only a delete accepts it.
        let raw = entry([0; 4], [0; 4], [0; 4], RTF_UP | RTF_GATEWAY);
        assert_eq!(
            route_request(&RtEntry::parse(&raw), false),
            Err(Errno::EINVAL)
        );
        assert!(route_request(&RtEntry::parse(&raw), true).is_ok());
        // The metric is one more than the priority; reject routes.
        let mut raw = entry([10, 9, 0, 0], [0; 4], [255, 255, 0, 0], RTF_UP | RTF_REJECT);
        raw[80..82].copy_from_slice(&5i16.to_ne_bytes());
        let request = route_request(&RtEntry::parse(&raw), false).unwrap();
        assert!(request.is_reject);
        assert_eq!(request.priority, 4);
    }

    #[test]
    fn address_classes() {
        assert_eq!(abc_len([10, 0, 2, 15]), Some(8));
        assert_eq!(abc_len([172, 16, 0, 1]), Some(16));
        assert_eq!(abc_len([192, 168, 1, 1]), Some(24));
        assert_eq!(abc_len([0, 0, 0, 0]), Some(0));
        assert_eq!(abc_len([255; 4]), Some(0));
        assert_eq!(abc_len([224, 0, 0, 1]), None);
        assert_eq!(abc_len([240, 0, 0, 1]), Some(32));
        assert!(!bad_mask([255, 255, 255, 0], [0; 4]));
        assert!(!bad_mask([0; 4], [0; 4]));
        assert!(!bad_mask([255; 4], [1, 2, 3, 4]));
        assert!(bad_mask([255, 0, 255, 0], [0; 4]));
        assert_eq!(make_mask(24), [255, 255, 255, 0]);
        assert_eq!(make_mask(0), [0; 4]);
        assert_eq!(make_mask(32), [255; 4]);
    }
}
