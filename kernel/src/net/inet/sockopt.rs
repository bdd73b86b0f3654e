//! The options of levels `SOL_IP` (`ip_setsockopt`), `SOL_IPV6` (`ipv6_setsockopt`),
//! `SOL_TCP` (`do_tcp_setsockopt`) and `SOL_UDP` (`udp_lib_setsockopt`), kept per socket and
//! reported back with Linux's defaults and range checks. On loopback most of them change
//! nothing that can be seen but their own value: Nagle (`TCP_NODELAY`, `TCP_CORK`) has no
//! small segments to hold back, keepalive has no silent peer to probe. Through an interface,
//! `TCP_NODELAY` is smoltcp's Nagle switch, and setting it or clearing `TCP_CORK` pushes what
//! Nagle held back (`TCP_CORK` itself does not hold data yet). `TCP_INFO` fills the
//! state, MSS, window and counters' first fields of Linux 6.1's 232-byte `struct tcp_info`.
//! An option of another level, or a level another protocol owns, is `ENOPROTOOPT` (getsockopt
//! of an unknown level on an IPv4 socket: `EOPNOTSUPP`, as `do_ip_getsockopt`).

use super::{InetSocket, Proto};
use ::inet::addr::Family;
use abi::Errno;
use alloc::vec::Vec;

pub const SOL_IP: i32 = 0;
pub const SOL_TCP: i32 = 6;
pub const SOL_UDP: i32 = 17;
pub const SOL_IPV6: i32 = 41;

/// The per-socket values.
#[derive(Clone)]
pub struct Options {
    pub tos: u8,
    /// -1: the default (64).
    pub ttl: i32,
    pub recverr: bool,
    pub mtu_discover: u8,
    pub pktinfo: bool,
    pub recvtos: bool,
    pub recvttl: bool,
    pub multicast_ttl: u8,
    pub multicast_loop: bool,
    pub freebind: bool,
    pub v6only: bool,
    pub unicast_hops: i32,
    pub tclass: i32,
    pub recvpktinfo6: bool,
    pub recverr6: bool,
    pub mtu_discover6: u8,
    pub nodelay: bool,
    pub cork: bool,
    pub keepidle: i32,
    pub keepintvl: i32,
    pub keepcnt: i32,
    pub syncnt: i32,
    pub linger2: i32,
    pub defer_accept: i32,
    pub window_clamp: i32,
    pub quickack: bool,
    pub user_timeout: i32,
    pub maxseg: i32,
    pub notsent_lowat: i32,
    pub udp_cork: bool,
}

impl Options {
    pub fn new(_family: Family) -> Options {
        Options {
            tos: 0,
            ttl: -1,
            recverr: false,
            mtu_discover: 1,
            pktinfo: false,
            recvtos: false,
            recvttl: false,
            multicast_ttl: 1,
            multicast_loop: true,
            freebind: false,
            v6only: false,
            unicast_hops: -1,
            tclass: 0,
            recvpktinfo6: false,
            recverr6: false,
            mtu_discover6: 1,
            nodelay: false,
            cork: false,
            keepidle: 7200,
            keepintvl: 75,
            keepcnt: 9,
            syncnt: 6,
            linger2: 60,
            defer_accept: 0,
            window_clamp: 0,
            quickack: true,
            user_timeout: 0,
            maxseg: 0,
            notsent_lowat: 0,
            udp_cork: false,
        }
    }
}

/// `IP_*`, `IPV6_*`, `TCP_*`, `UDP_*` numbers used here.
mod n {
    pub const IP_TOS: i32 = 1;
    pub const IP_TTL: i32 = 2;
    pub const IP_HDRINCL: i32 = 3;
    pub const IP_OPTIONS: i32 = 4;
    pub const IP_RECVOPTS: i32 = 6;
    pub const IP_PKTINFO: i32 = 8;
    pub const IP_MTU_DISCOVER: i32 = 10;
    pub const IP_RECVERR: i32 = 11;
    pub const IP_RECVTTL: i32 = 12;
    pub const IP_RECVTOS: i32 = 13;
    pub const IP_MTU: i32 = 14;
    pub const IP_FREEBIND: i32 = 15;
    pub const IP_MULTICAST_TTL: i32 = 33;
    pub const IP_MULTICAST_LOOP: i32 = 34;
    pub const IPV6_UNICAST_HOPS: i32 = 16;
    pub const IPV6_MTU_DISCOVER: i32 = 23;
    pub const IPV6_MTU: i32 = 24;
    pub const IPV6_RECVERR: i32 = 25;
    pub const IPV6_V6ONLY: i32 = 26;
    pub const IPV6_RECVPKTINFO: i32 = 49;
    pub const IPV6_TCLASS: i32 = 67;
    pub const TCP_NODELAY: i32 = 1;
    pub const TCP_MAXSEG: i32 = 2;
    pub const TCP_CORK: i32 = 3;
    pub const TCP_KEEPIDLE: i32 = 4;
    pub const TCP_KEEPINTVL: i32 = 5;
    pub const TCP_KEEPCNT: i32 = 6;
    pub const TCP_SYNCNT: i32 = 7;
    pub const TCP_LINGER2: i32 = 8;
    pub const TCP_DEFER_ACCEPT: i32 = 9;
    pub const TCP_WINDOW_CLAMP: i32 = 10;
    pub const TCP_INFO: i32 = 11;
    pub const TCP_QUICKACK: i32 = 12;
    pub const TCP_CONGESTION: i32 = 13;
    pub const TCP_USER_TIMEOUT: i32 = 18;
    pub const TCP_NOTSENT_LOWAT: i32 = 25;
    pub const UDP_CORK: i32 = 1;
}

/// `MAX_TCP_KEEPIDLE`, `MAX_TCP_KEEPINTVL`, `MAX_TCP_KEEPCNT`, `MAX_TCP_SYNCNT`.
const MAX_KEEPIDLE: i32 = 32767;
const MAX_KEEPINTVL: i32 = 32767;
const MAX_KEEPCNT: i32 = 127;
const MAX_SYNCNT: i32 = 127;
/// The MSS of a loopback connection (MTU 65536 less 40 bytes of headers and 12 of
/// timestamps) and of an unconnected socket (`TCP_MSS_DEFAULT`).
const LOOPBACK_MSS: i32 = 65483;
const DEFAULT_MSS: i32 = 536;
/// Linux 6.1's `sizeof(struct tcp_info)`.
const TCP_INFO_LEN: usize = 232;

/// Whether `level` belongs to this socket (`ENOPROTOOPT` otherwise).
fn level_ok(socket: &InetSocket, level: i32) -> bool {
    match level {
        SOL_IP => true,
        SOL_IPV6 => socket.family == Family::V6,
        SOL_TCP => socket.proto == Proto::Tcp,
        SOL_UDP => socket.proto == Proto::Udp,
        _ => false,
    }
}

/// setsockopt for the protocol levels. `value` is the option's bytes (at most 64 read).
/// Setting `TCP_NODELAY` or clearing `TCP_CORK` also pushes what Nagle holds back on a
/// connection through an interface (`tcp_push_pending_frames`), as Linux does.
pub fn set(
    socket: &InetSocket,
    level: i32,
    name: i32,
    bytes: &[u8],
    has_net_admin: bool,
) -> Result<(), Errno> {
    set_value(socket, level, name, bytes, has_net_admin)?;
    if level == SOL_TCP && (name == n::TCP_NODELAY || name == n::TCP_CORK) {
        let o = socket.opts.lock();
        let pushes = if name == n::TCP_NODELAY {
            o.nodelay
        } else {
            !o.cork
        };
        let nodelay = o.nodelay;
        drop(o);
        if pushes {
            super::wire::push_pending(socket, nodelay);
        }
    }
    Ok(())
}

fn set_value(
    socket: &InetSocket,
    level: i32,
    name: i32,
    bytes: &[u8],
    has_net_admin: bool,
) -> Result<(), Errno> {
    if !level_ok(socket, level) {
        return Err(Errno::ENOPROTOOPT);
    }
    // Most options take an int; IP's also take a single byte (`ip_setsockopt`).
    let int = || -> Result<i32, Errno> {
        match bytes.len() {
            n if n >= 4 => Ok(i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            n if n >= 1 && level == SOL_IP => Ok(i32::from(bytes[0])),
            _ => Err(Errno::EINVAL),
        }
    };
    let mut o = socket.opts.lock();
    match (level, name) {
        (SOL_IP, n::IP_TOS) => {
            let mut value = int()? as u8;
            if socket.proto == Proto::Tcp {
                value = (value & !3) | (o.tos & 3);
            }
            o.tos = value;
        }
        (SOL_IP, n::IP_TTL) => {
            let value = int()?;
            if value != -1 && !(1..=255).contains(&value) {
                return Err(Errno::EINVAL);
            }
            o.ttl = value;
        }
        (SOL_IP, n::IP_RECVERR) => o.recverr = int()? != 0,
        (SOL_IP, n::IP_PKTINFO) => o.pktinfo = int()? != 0,
        (SOL_IP, n::IP_RECVTOS) => o.recvtos = int()? != 0,
        (SOL_IP, n::IP_RECVTTL) => o.recvttl = int()? != 0,
        (SOL_IP, n::IP_FREEBIND) => o.freebind = int()? != 0,
        (SOL_IP, n::IP_MTU_DISCOVER) => {
            let value = int()?;
            if !(0..=5).contains(&value) {
                return Err(Errno::EINVAL);
            }
            o.mtu_discover = value as u8;
        }
        (SOL_IP, n::IP_MULTICAST_TTL) => {
            let value = int()?;
            let value = if value == -1 { 1 } else { value };
            if !(0..=255).contains(&value) {
                return Err(Errno::EINVAL);
            }
            o.multicast_ttl = value as u8;
        }
        (SOL_IP, n::IP_MULTICAST_LOOP) => o.multicast_loop = int()? != 0,
        (SOL_IP, n::IP_HDRINCL) => return Err(Errno::ENOPROTOOPT),
        (SOL_IPV6, n::IPV6_V6ONLY) => {
            let value = int()?;
            drop(o);
            if socket.state.lock().entry.is_some() {
                return Err(Errno::EINVAL);
            }
            socket.opts.lock().v6only = value != 0;
        }
        (SOL_IPV6, n::IPV6_UNICAST_HOPS) => {
            let value = int()?;
            if !(-1..=255).contains(&value) {
                return Err(Errno::EINVAL);
            }
            o.unicast_hops = value;
        }
        (SOL_IPV6, n::IPV6_TCLASS) => {
            let value = int()?;
            if !(-1..=255).contains(&value) {
                return Err(Errno::EINVAL);
            }
            o.tclass = value.max(0);
        }
        (SOL_IPV6, n::IPV6_RECVPKTINFO) => o.recvpktinfo6 = int()? != 0,
        (SOL_IPV6, n::IPV6_RECVERR) => o.recverr6 = int()? != 0,
        (SOL_IPV6, n::IPV6_MTU_DISCOVER) => {
            let value = int()?;
            if !(0..=5).contains(&value) {
                return Err(Errno::EINVAL);
            }
            o.mtu_discover6 = value as u8;
        }
        (SOL_TCP, n::TCP_CONGESTION) => {
            let name = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
            if name != b"cubic" && name != b"reno" {
                return Err(Errno::ENOENT);
            }
        }
        (SOL_TCP, name) => {
            let value = int()?;
            match name {
                n::TCP_NODELAY => o.nodelay = value != 0,
                n::TCP_CORK => o.cork = value != 0,
                n::TCP_KEEPIDLE => {
                    if !(1..=MAX_KEEPIDLE).contains(&value) {
                        return Err(Errno::EINVAL);
                    }
                    o.keepidle = value;
                }
                n::TCP_KEEPINTVL => {
                    if !(1..=MAX_KEEPINTVL).contains(&value) {
                        return Err(Errno::EINVAL);
                    }
                    o.keepintvl = value;
                }
                n::TCP_KEEPCNT => {
                    if !(1..=MAX_KEEPCNT).contains(&value) {
                        return Err(Errno::EINVAL);
                    }
                    o.keepcnt = value;
                }
                n::TCP_SYNCNT => {
                    if !(1..=MAX_SYNCNT).contains(&value) {
                        return Err(Errno::EINVAL);
                    }
                    o.syncnt = value;
                }
                n::TCP_LINGER2 => {
                    o.linger2 = if value < 0 { -1 } else { value.min(120) };
                    if value == 0 {
                        o.linger2 = 60;
                    }
                }
                n::TCP_DEFER_ACCEPT => o.defer_accept = value.max(0),
                n::TCP_WINDOW_CLAMP => {
                    if value != 0 && value < 2304 / 2 {
                        o.window_clamp = 2304 / 2;
                    } else {
                        o.window_clamp = value.max(0);
                    }
                }
                n::TCP_QUICKACK => o.quickack = value != 0,
                n::TCP_USER_TIMEOUT => {
                    if value < 0 {
                        return Err(Errno::EINVAL);
                    }
                    o.user_timeout = value;
                }
                n::TCP_MAXSEG => {
                    if value != 0 && !(88..=65535 - 40).contains(&value) {
                        return Err(Errno::EINVAL);
                    }
                    o.maxseg = value;
                }
                n::TCP_NOTSENT_LOWAT => o.notsent_lowat = value,
                _ => return Err(Errno::ENOPROTOOPT),
            }
        }
        (SOL_UDP, n::UDP_CORK) => o.udp_cork = int()? != 0,
        _ => {
            let _ = has_net_admin;
            return Err(Errno::ENOPROTOOPT);
        }
    }
    Ok(())
}

/// getsockopt for the protocol levels: the bytes to copy out (cut to the caller's length).
pub fn get(socket: &InetSocket, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
    if !level_ok(socket, level) {
        // do_ip_getsockopt's answer for a level it does not know, ipv6_getsockopt's.
        return Err(match socket.family {
            Family::V4 => Errno::EOPNOTSUPP,
            Family::V6 => Errno::ENOPROTOOPT,
        });
    }
    let o = socket.opts.lock().clone();
    let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
    let connected = socket.peer_name().is_ok();
    match (level, name) {
        (SOL_IP, n::IP_TOS) => int(i32::from(o.tos)),
        (SOL_IP, n::IP_TTL) => int(if o.ttl < 0 { 64 } else { o.ttl }),
        (SOL_IP, n::IP_RECVERR) => int(i32::from(o.recverr)),
        (SOL_IP, n::IP_PKTINFO) => int(i32::from(o.pktinfo)),
        (SOL_IP, n::IP_RECVTOS) => int(i32::from(o.recvtos)),
        (SOL_IP, n::IP_RECVTTL) => int(i32::from(o.recvttl)),
        (SOL_IP, n::IP_FREEBIND) => int(i32::from(o.freebind)),
        (SOL_IP, n::IP_MTU_DISCOVER) => int(i32::from(o.mtu_discover)),
        (SOL_IP, n::IP_MULTICAST_TTL) => int(i32::from(o.multicast_ttl)),
        (SOL_IP, n::IP_MULTICAST_LOOP) => int(i32::from(o.multicast_loop)),
        (SOL_IP, n::IP_RECVOPTS) => int(0),
        (SOL_IP, n::IP_OPTIONS) => Ok(Vec::new()),
        (SOL_IP, n::IP_MTU) => {
            if !connected {
                return Err(Errno::ENOTCONN);
            }
            // lo's 65536, cut to IP_MAX_MTU.
            int(65535)
        }
        (SOL_IPV6, n::IPV6_V6ONLY) => int(i32::from(o.v6only)),
        (SOL_IPV6, n::IPV6_UNICAST_HOPS) => int(if o.unicast_hops < 0 {
            64
        } else {
            o.unicast_hops
        }),
        (SOL_IPV6, n::IPV6_TCLASS) => int(o.tclass),
        (SOL_IPV6, n::IPV6_RECVPKTINFO) => int(i32::from(o.recvpktinfo6)),
        (SOL_IPV6, n::IPV6_RECVERR) => int(i32::from(o.recverr6)),
        (SOL_IPV6, n::IPV6_MTU_DISCOVER) => int(i32::from(o.mtu_discover6)),
        (SOL_IPV6, n::IPV6_MTU) => {
            if !connected {
                return Err(Errno::ENOTCONN);
            }
            int(65536)
        }
        (SOL_TCP, n::TCP_NODELAY) => int(i32::from(o.nodelay)),
        (SOL_TCP, n::TCP_CORK) => int(i32::from(o.cork)),
        (SOL_TCP, n::TCP_KEEPIDLE) => int(o.keepidle),
        (SOL_TCP, n::TCP_KEEPINTVL) => int(o.keepintvl),
        (SOL_TCP, n::TCP_KEEPCNT) => int(o.keepcnt),
        (SOL_TCP, n::TCP_SYNCNT) => int(o.syncnt),
        (SOL_TCP, n::TCP_LINGER2) => int(o.linger2),
        (SOL_TCP, n::TCP_DEFER_ACCEPT) => int(o.defer_accept),
        (SOL_TCP, n::TCP_WINDOW_CLAMP) => int(o.window_clamp),
        (SOL_TCP, n::TCP_QUICKACK) => int(i32::from(o.quickack)),
        (SOL_TCP, n::TCP_USER_TIMEOUT) => int(o.user_timeout),
        (SOL_TCP, n::TCP_NOTSENT_LOWAT) => int(o.notsent_lowat),
        (SOL_TCP, n::TCP_MAXSEG) => {
            let mss = if connected { LOOPBACK_MSS } else { DEFAULT_MSS };
            int(if o.maxseg != 0 {
                o.maxseg.min(mss)
            } else {
                mss
            })
        }
        (SOL_TCP, n::TCP_CONGESTION) => {
            let mut name = alloc::vec![0u8; 16];
            name[..5].copy_from_slice(b"cubic");
            Ok(name)
        }
        (SOL_TCP, n::TCP_INFO) => Ok(tcp_info(socket, connected)),
        (SOL_UDP, n::UDP_CORK) => int(i32::from(o.udp_cork)),
        _ => Err(Errno::ENOPROTOOPT),
    }
}

/// `tcp_get_info`'s first fields.
fn tcp_info(socket: &InetSocket, connected: bool) -> Vec<u8> {
    let mut info = alloc::vec![0u8; TCP_INFO_LEN];
    let state = socket.state.lock();
    info[0] = state.tcp.number();
    let unread = state.rx_bytes as u32;
    drop(state);
    let put = |info: &mut Vec<u8>, offset: usize, value: u32| {
        info[offset..offset + 4].copy_from_slice(&value.to_ne_bytes());
    };
    if connected {
        put(&mut info, 8, 203_333); // rto, µs
        put(&mut info, 12, 40_000); // ato
        put(&mut info, 16, LOOPBACK_MSS as u32); // snd_mss
        put(&mut info, 20, 536); // rcv_mss
    } else {
        put(&mut info, 8, 1_000_000);
        put(&mut info, 16, DEFAULT_MSS as u32);
        put(&mut info, 20, 88);
    }
    put(&mut info, 60, 65535); // pmtu
    put(&mut info, 64, 65483); // rcv_ssthresh
    put(&mut info, 76, 0x7fff_ffff); // snd_ssthresh (infinite)
    put(&mut info, 80, 10); // snd_cwnd
    put(&mut info, 84, 65483); // advmss
    put(&mut info, 88, 3); // reordering
    put(&mut info, 96, 65483 * 2); // rcv_space
    let _ = unread;
    info
}
