//! Which bindings of one port may coexist, and where ephemeral ports come from.
//!
//! TCP (`inet_bind_conflict` with an explicit bind, Linux 6.1): two sockets whose addresses
//! overlap conflict unless both have `SO_REUSEADDR` and the one already there is not
//! listening, or both have `SO_REUSEPORT` and the one there is in TIME_WAIT or belongs to the
//! same user. UDP (`udp_lib_lport_inuse`): they conflict unless both have `SO_REUSEADDR`, or
//! both `SO_REUSEPORT` and the same user.
//!
//! Addresses overlap as `inet_rcv_saddr_equal` with wildcards matching: an IPv4 wildcard
//! covers every IPv4 address; an IPv6 wildcard covers every IPv6 address and, without
//! `IPV6_V6ONLY`, every IPv4 one; an IPv6 socket bound to a v4-mapped address covers that IPv4
//! address.
//!
//! Ephemeral ports come from `net.ipv4.ip_local_port_range` (32768–60999): `bind` to port 0
//! tries odd ports first and `connect` even ones first (as `inet_csk_find_open_port` and
//! `__inet_hash_connect` prefer), from a random offset.

use crate::addr::{Family, Ip};

/// What a binding's socket is doing, for the conflict rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindState {
    Listen,
    TimeWait,
    Other,
}

/// One socket bound to a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub family: Family,
    pub ip: Ip,
    pub v6only: bool,
    pub reuseaddr: bool,
    pub reuseport: bool,
    pub uid: u32,
    pub state: BindState,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cover {
    AllV4,
    AllV6,
    All,
    One(Ip),
}

fn cover(b: &Binding) -> Cover {
    match b.family {
        Family::V4 => {
            if b.ip == Ip::ANY4 {
                Cover::AllV4
            } else {
                Cover::One(b.ip)
            }
        }
        Family::V6 => {
            if b.ip == Ip::ANY6 {
                if b.v6only { Cover::AllV6 } else { Cover::All }
            } else if b.ip == Ip::ANY4 {
                Cover::AllV4
            } else {
                Cover::One(b.ip)
            }
        }
    }
}

fn contains(c: Cover, ip: Ip) -> bool {
    match c {
        Cover::All => true,
        Cover::AllV4 => ip.is_v4(),
        Cover::AllV6 => !ip.is_v4(),
        Cover::One(own) => own == ip,
    }
}

/// Whether two bindings of one port claim a common address.
pub fn overlap(a: &Binding, b: &Binding) -> bool {
    match (cover(a), cover(b)) {
        (Cover::One(ip), other) | (other, Cover::One(ip)) => contains(other, ip),
        (Cover::All, _) | (_, Cover::All) => true,
        (x, y) => x == y,
    }
}

/// Whether `binding` would receive traffic for `ip` (the same coverage rule).
pub fn accepts(binding: &Binding, ip: Ip) -> bool {
    contains(cover(binding), ip)
}

/// How specific a binding is for a destination it accepts (higher wins), as
/// `compute_score` prefers an exact address over a wildcard and a socket of the
/// destination's own family.
pub fn score(binding: &Binding, ip: Ip) -> u32 {
    let mut score = 1;
    if binding.ip == ip {
        score += 4;
    }
    if (binding.family == Family::V4) == ip.is_v4() {
        score += 1;
    }
    score
}

/// `inet_bind_conflict` for an explicit TCP bind of `new` beside `old`.
pub fn tcp_conflict(new: &Binding, old: &Binding) -> bool {
    if !overlap(new, old) {
        return false;
    }
    if new.reuseaddr && old.reuseaddr && old.state != BindState::Listen {
        return false;
    }
    !(new.reuseport && old.reuseport && (old.state == BindState::TimeWait || new.uid == old.uid))
}

/// `udp_lib_lport_inuse`.
pub fn udp_conflict(new: &Binding, old: &Binding) -> bool {
    if !overlap(new, old) {
        return false;
    }
    if new.reuseaddr && old.reuseaddr {
        return false;
    }
    !(new.reuseport && old.reuseport && new.uid == old.uid)
}

/// `net.ipv4.ip_local_port_range`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub low: u16,
    pub high: u16,
}

impl PortRange {
    pub const DEFAULT: PortRange = PortRange {
        low: 32768,
        high: 60999,
    };

    /// Parses a write to the sysctl ("LOW HIGH"): both in 1..=65535 and `LOW <= HIGH`,
    /// otherwise `EINVAL` (`ipv4_local_port_range`).
    pub fn parse(text: &[u8]) -> Option<PortRange> {
        let text = core::str::from_utf8(text).ok()?;
        let mut words = text.split_ascii_whitespace();
        let low: u32 = words.next()?.parse().ok()?;
        let high: u32 = words.next()?.parse().ok()?;
        if low == 0 || high > 65535 || low > high {
            return None;
        }
        Some(PortRange {
            low: low as u16,
            high: high as u16,
        })
    }

    /// Finds a free port: starting at `random % size`, ports of the preferred parity (odd
    /// for bind, even for connect) first, then the others.
    pub fn pick(
        &self,
        random: u32,
        prefer_odd: bool,
        mut is_free: impl FnMut(u16) -> bool,
    ) -> Option<u16> {
        let low = u32::from(self.low);
        let size = u32::from(self.high) - low + 1;
        let start = random % size;
        for want_odd in [prefer_odd, !prefer_odd] {
            for step in 0..size {
                let port = low + (start + step) % size;
                if (port & 1 == 1) != want_odd {
                    continue;
                }
                if is_free(port as u16) {
                    return Some(port as u16);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(family: Family, ip: Ip) -> Binding {
        Binding {
            family,
            ip,
            v6only: false,
            reuseaddr: false,
            reuseport: false,
            uid: 0,
            state: BindState::Other,
        }
    }

    #[test]
    fn overlaps() {
        let any4 = b(Family::V4, Ip::ANY4);
        let lo4 = b(Family::V4, Ip::LOOPBACK4);
        let other4 = b(Family::V4, Ip::v4([127, 0, 0, 2]));
        let any6 = b(Family::V6, Ip::ANY6);
        let mut any6only = any6;
        any6only.v6only = true;
        let lo6 = b(Family::V6, Ip::LOOPBACK6);
        let mapped = b(Family::V6, Ip::LOOPBACK4);
        assert!(overlap(&any4, &lo4));
        assert!(!overlap(&lo4, &other4));
        assert!(overlap(&any6, &lo4));
        assert!(!overlap(&any6only, &lo4));
        assert!(!overlap(&any6only, &any4));
        assert!(overlap(&any6only, &lo6));
        assert!(!overlap(&any4, &lo6));
        assert!(overlap(&mapped, &lo4));
        assert!(overlap(&mapped, &any4));
        assert!(!overlap(&mapped, &lo6));
    }

    #[test]
    fn tcp_rules() {
        let mut old = b(Family::V4, Ip::ANY4);
        let mut new = old;
        assert!(tcp_conflict(&new, &old));
        new.reuseaddr = true;
        old.reuseaddr = true;
        assert!(!tcp_conflict(&new, &old));
        old.state = BindState::Listen;
        assert!(tcp_conflict(&new, &old));
        new.reuseport = true;
        old.reuseport = true;
        assert!(!tcp_conflict(&new, &old));
        new.uid = 1000;
        assert!(tcp_conflict(&new, &old));
        old.state = BindState::TimeWait;
        old.reuseaddr = false;
        assert!(!tcp_conflict(&new, &old));
        new.reuseport = false;
        assert!(tcp_conflict(&new, &old));
    }

    #[test]
    fn udp_rules() {
        let mut old = b(Family::V4, Ip::LOOPBACK4);
        let mut new = old;
        assert!(udp_conflict(&new, &old));
        new.reuseaddr = true;
        assert!(udp_conflict(&new, &old));
        old.reuseaddr = true;
        assert!(!udp_conflict(&new, &old));
    }

    #[test]
    fn range() {
        assert_eq!(
            PortRange::parse(b"1024 2048\n"),
            Some(PortRange {
                low: 1024,
                high: 2048
            })
        );
        assert_eq!(PortRange::parse(b"2048 1024"), None);
        assert_eq!(PortRange::parse(b"0 10"), None);
        let r = PortRange {
            low: 100,
            high: 103,
        };
        assert_eq!(r.pick(0, true, |_| true), Some(101));
        assert_eq!(r.pick(0, false, |_| true), Some(100));
        assert_eq!(r.pick(0, true, |p| p % 2 == 0), Some(100));
        assert_eq!(r.pick(7, true, |_| false), None);
    }
}
