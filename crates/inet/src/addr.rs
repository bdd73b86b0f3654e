//! Socket addresses of AF_INET and AF_INET6 (ip(7), ipv6(7)).
//!
//! Every address is kept as 16 bytes: an IPv4 address as its v4-mapped IPv6 form
//! (`::ffff:a.b.c.d`), so one table serves both families, as Linux's `sk_v6_rcv_saddr` does
//! for dual-stack sockets. [`Ip::ANY4`] (`::ffff:0.0.0.0`) and [`Ip::ANY6`] (`::`) are the two
//! wildcards.
//!
//! Parsing follows each call's checks: `inet_bind` (shorter than `sockaddr_in` is `EINVAL`; a
//! family other than AF_INET is `EAFNOSUPPORT`, except AF_UNSPEC with `INADDR_ANY`, accepted
//! for compatibility), `inet6_bind` (shorter than 24 bytes, `SIN6_LEN_RFC2133`, is `EINVAL`),
//! `tcp_v4_connect`/`ip4_datagram_connect` (AF_INET only), `tcp_v6_connect` (an AF_INET
//! address given to an IPv6 socket is taken as v4-mapped, unless `IPV6_V6ONLY`).

use abi::Errno;

/// An IP address as 16 bytes (IPv4 as v4-mapped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ip(pub [u8; 16]);

impl Ip {
    pub const ANY6: Ip = Ip([0; 16]);
    pub const ANY4: Ip = Ip([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
    pub const LOOPBACK6: Ip = Ip([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    pub const LOOPBACK4: Ip = Ip::v4([127, 0, 0, 1]);

    pub const fn v4(octets: [u8; 4]) -> Ip {
        Ip([
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, octets[0], octets[1], octets[2], octets[3],
        ])
    }

    /// An IPv4 address (v4-mapped).
    pub fn is_v4(&self) -> bool {
        self.0[..10] == [0; 10] && self.0[10] == 0xff && self.0[11] == 0xff
    }

    pub fn v4_octets(&self) -> [u8; 4] {
        [self.0[12], self.0[13], self.0[14], self.0[15]]
    }

    /// `INADDR_ANY` or `in6addr_any`.
    pub fn is_any(&self) -> bool {
        *self == Ip::ANY4 || *self == Ip::ANY6
    }

    /// On the loopback device: 127.0.0.0/8 or `::1`.
    pub fn is_loopback(&self) -> bool {
        (self.is_v4() && self.0[12] == 127) || *self == Ip::LOOPBACK6
    }

    /// An IPv4 multicast or limited-broadcast address.
    pub fn is_v4_multicast_or_broadcast(&self) -> bool {
        self.is_v4() && (self.0[12] & 0xf0 == 0xe0 || self.v4_octets() == [255; 4])
    }

    /// The address as `/proc/net/tcp` prints an IPv4 one: the network-order word read as a
    /// little-endian number.
    pub fn v4_word(&self) -> u32 {
        u32::from_le_bytes(self.v4_octets())
    }

    /// The four words `/proc/net/tcp6` prints.
    pub fn v6_words(&self) -> [u32; 4] {
        let b = &self.0;
        core::array::from_fn(|i| {
            u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
        })
    }
}

/// The family of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn raw(self) -> u16 {
        match self {
            Family::V4 => crate::AF_INET,
            Family::V6 => crate::AF_INET6,
        }
    }

    /// The wildcard address of the family.
    pub fn any(self) -> Ip {
        match self {
            Family::V4 => Ip::ANY4,
            Family::V6 => Ip::ANY6,
        }
    }
}

/// An endpoint: address, port (host order), and for IPv6 the flow label and scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: Ip,
    pub port: u16,
    pub flowinfo: u32,
    pub scope_id: u32,
}

impl Endpoint {
    pub const fn new(ip: Ip, port: u16) -> Endpoint {
        Endpoint {
            ip,
            port,
            flowinfo: 0,
            scope_id: 0,
        }
    }
}

/// `sizeof(struct sockaddr_in)`, `sizeof(struct sockaddr_in6)`, `SIN6_LEN_RFC2133`.
pub const SOCKADDR_IN_LEN: usize = 16;
pub const SOCKADDR_IN6_LEN: usize = 28;
pub const SIN6_LEN_RFC2133: usize = 24;
const AF_UNSPEC: u16 = 0;

fn family_of(raw: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes([*raw.first()?, *raw.get(1)?]))
}

fn parse_in(raw: &[u8]) -> Endpoint {
    let port = u16::from_be_bytes([raw[2], raw[3]]);
    Endpoint::new(Ip::v4([raw[4], raw[5], raw[6], raw[7]]), port)
}

fn parse_in6(raw: &[u8]) -> Endpoint {
    let port = u16::from_be_bytes([raw[2], raw[3]]);
    let flowinfo = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]);
    let mut ip = [0; 16];
    ip.copy_from_slice(&raw[8..24]);
    let scope_id = if raw.len() >= SOCKADDR_IN6_LEN {
        u32::from_ne_bytes([raw[24], raw[25], raw[26], raw[27]])
    } else {
        0
    };
    Endpoint {
        ip: Ip(ip),
        port,
        flowinfo,
        scope_id,
    }
}

/// Which call an address is parsed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    Bind,
    Connect,
    /// A destination of `sendto`/`sendmsg`.
    SendTo,
}

/// Parses `raw` for a socket of `family` (`v6only`: `IPV6_V6ONLY`). An IPv4 address given to
/// an IPv6 socket is returned v4-mapped where Linux accepts it (connect and sendto; bind
/// insists on AF_INET6).
pub fn parse(family: Family, raw: &[u8], usage: Use) -> Result<Endpoint, Errno> {
    match family {
        Family::V4 => {
            if raw.len() < SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            let given = family_of(raw).ok_or(Errno::EINVAL)?;
            let endpoint = parse_in(raw);
            if given != crate::AF_INET {
                let unspec_ok = match usage {
                    Use::Bind => given == AF_UNSPEC && endpoint.ip == Ip::ANY4,
                    Use::SendTo => given == AF_UNSPEC,
                    Use::Connect => false,
                };
                if !unspec_ok {
                    return Err(Errno::EAFNOSUPPORT);
                }
            }
            Ok(endpoint)
        }
        Family::V6 => {
            let given = family_of(raw).ok_or(Errno::EINVAL)?;
            if usage != Use::Bind && given == crate::AF_INET {
                // tcp_v6_connect/udpv6_sendmsg hand a sockaddr_in to the IPv4 code.
                if raw.len() < SOCKADDR_IN_LEN {
                    return Err(Errno::EINVAL);
                }
                return Ok(parse_in(raw));
            }
            if raw.len() < SIN6_LEN_RFC2133 {
                return Err(Errno::EINVAL);
            }
            if given != crate::AF_INET6 {
                return Err(if usage == Use::SendTo && given == AF_UNSPEC {
                    Errno::EINVAL
                } else {
                    Errno::EAFNOSUPPORT
                });
            }
            Ok(parse_in6(raw))
        }
    }
}

/// Encodes `endpoint` as the socket's family sees it (getsockname, getpeername, accept,
/// recvfrom): `sockaddr_in` (16 bytes) or `sockaddr_in6` (28).
pub fn encode(family: Family, endpoint: &Endpoint) -> ([u8; SOCKADDR_IN6_LEN], usize) {
    let mut out = [0u8; SOCKADDR_IN6_LEN];
    out[2..4].copy_from_slice(&endpoint.port.to_be_bytes());
    match family {
        Family::V4 => {
            out[..2].copy_from_slice(&crate::AF_INET.to_ne_bytes());
            out[4..8].copy_from_slice(&endpoint.ip.v4_octets());
            (out, SOCKADDR_IN_LEN)
        }
        Family::V6 => {
            out[..2].copy_from_slice(&crate::AF_INET6.to_ne_bytes());
            out[4..8].copy_from_slice(&endpoint.flowinfo.to_be_bytes());
            out[8..24].copy_from_slice(&endpoint.ip.0);
            out[24..28].copy_from_slice(&endpoint.scope_id.to_ne_bytes());
            (out, SOCKADDR_IN6_LEN)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sin(family: u16, port: u16, ip: [u8; 4]) -> [u8; 16] {
        let mut raw = [0u8; 16];
        raw[..2].copy_from_slice(&family.to_ne_bytes());
        raw[2..4].copy_from_slice(&port.to_be_bytes());
        raw[4..8].copy_from_slice(&ip);
        raw
    }

    #[test]
    fn v4_parse_and_errors() {
        let raw = sin(2, 8080, [127, 0, 0, 1]);
        let e = parse(Family::V4, &raw, Use::Bind).unwrap();
        assert_eq!(e.port, 8080);
        assert_eq!(e.ip, Ip::LOOPBACK4);
        assert!(e.ip.is_loopback());
        assert_eq!(parse(Family::V4, &raw[..15], Use::Bind), Err(Errno::EINVAL));
        let unspec_any = sin(0, 1, [0; 4]);
        assert!(parse(Family::V4, &unspec_any, Use::Bind).is_ok());
        let unspec_lo = sin(0, 1, [127, 0, 0, 1]);
        assert_eq!(
            parse(Family::V4, &unspec_lo, Use::Bind),
            Err(Errno::EAFNOSUPPORT)
        );
        assert_eq!(
            parse(Family::V4, &unspec_any, Use::Connect),
            Err(Errno::EAFNOSUPPORT)
        );
        assert_eq!(
            parse(Family::V4, &sin(10, 1, [0; 4]), Use::Bind),
            Err(Errno::EAFNOSUPPORT)
        );
    }

    #[test]
    fn v6_parse_mapped_and_encode() {
        let mut raw = [0u8; 28];
        raw[..2].copy_from_slice(&10u16.to_ne_bytes());
        raw[2..4].copy_from_slice(&80u16.to_be_bytes());
        raw[23] = 1;
        let e = parse(Family::V6, &raw, Use::Bind).unwrap();
        assert_eq!(e.ip, Ip::LOOPBACK6);
        assert!(parse(Family::V6, &raw[..24], Use::Bind).is_ok());
        assert_eq!(parse(Family::V6, &raw[..23], Use::Bind), Err(Errno::EINVAL));
        let v4 = sin(2, 80, [127, 0, 0, 1]);
        assert_eq!(parse(Family::V6, &v4, Use::Bind), Err(Errno::EINVAL));
        assert_eq!(
            parse(Family::V6, &v4, Use::Connect).unwrap().ip,
            Ip::LOOPBACK4
        );
        let (bytes, len) = encode(Family::V6, &Endpoint::new(Ip::LOOPBACK4, 80));
        assert_eq!(len, 28);
        assert_eq!(&bytes[8..24], &Ip::LOOPBACK4.0);
        let (bytes, len) = encode(Family::V4, &Endpoint::new(Ip::LOOPBACK4, 80));
        assert_eq!((len, &bytes[..8]), (16, &sin(2, 80, [127, 0, 0, 1])[..8]));
    }

    #[test]
    fn words() {
        assert_eq!(Ip::LOOPBACK4.v4_word(), 0x0100007f);
        assert_eq!(Ip::LOOPBACK6.v6_words(), [0, 0, 0, 0x01000000]);
        assert!(Ip::ANY4.is_any() && Ip::ANY6.is_any() && !Ip::LOOPBACK6.is_any());
    }
}
