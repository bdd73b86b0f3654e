//! Routing tables (Linux 6.1 `net/ipv4/fib_trie.c`, `fib_frontend.c`, `net/ipv6/route.c`): the
//! routes of one address family in every table, kept in the order a dump shows them (table,
//! then destination, longer prefixes first, then metric), with the insert and delete rules of
//! `fib_table_insert`/`fib_table_delete` (`NLM_F_EXCL`, `NLM_F_REPLACE`, `NLM_F_CREATE`; an
//! identical route is `EEXIST`, a missing one `ESRCH`), the longest-prefix lookup of
//! `fib_lookup` (the local table, then main, then default; `unreachable`, `prohibit` and
//! `blackhole` routes answer their errno), and the routes the kernel adds for an address
//! (`fib_add_ifaddr`, `addrconf_prefix_route`).

use crate::Errno;
use crate::msg::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use crate::rtnl::*;
use alloc::vec::Vec;

/// One route (`struct fib_alias` with its `fib_info`, or a `fib6_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub table: u32,
    /// `RTN_*`.
    pub kind: u8,
    /// The destination; IPv4 in the first four bytes.
    pub dst: [u8; 16],
    pub dst_len: u8,
    pub tos: u8,
    pub protocol: u8,
    pub scope: u8,
    pub priority: u32,
    pub oif: u32,
    pub gateway: Option<[u8; 16]>,
    pub prefsrc: Option<[u8; 16]>,
}

/// What a delete request names (`struct fib_config`): zero fields match anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Match {
    pub table: u32,
    pub kind: u8,
    pub dst: [u8; 16],
    pub dst_len: u8,
    pub tos: u8,
    pub protocol: u8,
    /// `RT_SCOPE_NOWHERE` matches any.
    pub scope: u8,
    pub priority: u32,
    pub oif: u32,
    pub gateway: Option<[u8; 16]>,
    pub prefsrc: Option<[u8; 16]>,
}

/// A refused change: errno and the extended-ack message Linux gives.
pub type Refusal = (Errno, Option<&'static str>);

/// The routes of one family.
#[derive(Clone, Debug, Default)]
pub struct Fib {
    is_v6: bool,
    routes: Vec<Route>,
}

fn key_len(is_v6: bool) -> usize {
    if is_v6 { 16 } else { 4 }
}

/// Whether the first `bits` bits of `a` and `b` agree.
pub fn prefix_matches(a: &[u8], b: &[u8], bits: usize) -> bool {
    let whole = bits / 8;
    if a[..whole] != b[..whole] {
        return false;
    }
    let rest = bits % 8;
    rest == 0 || (a[whole] ^ b[whole]) & (0xffu8 << (8 - rest)) == 0
}

/// `addr` with the bits past `bits` cleared.
pub fn masked(addr: &[u8; 16], bits: usize, len: usize) -> [u8; 16] {
    let mut out = [0u8; 16];
    for i in 0..len {
        let keep = bits.saturating_sub(i * 8).min(8);
        let mask = if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
        out[i] = addr[i] & mask;
    }
    out
}

impl Fib {
    pub fn new(is_v6: bool) -> Fib {
        Fib {
            is_v6,
            routes: Vec::new(),
        }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    fn key(
        &self,
        route: &Route,
    ) -> (
        u32,
        [u8; 16],
        core::cmp::Reverse<u8>,
        core::cmp::Reverse<u8>,
        u32,
    ) {
        (
            route.table,
            route.dst,
            core::cmp::Reverse(route.dst_len),
            core::cmp::Reverse(route.tos),
            route.priority,
        )
    }

    /// `fib_table_insert` / `ip6_route_add`.
    pub fn insert(&mut self, mut route: Route, flags: u16) -> Result<(), Refusal> {
        let len = key_len(self.is_v6);
        if usize::from(route.dst_len) > len * 8 {
            return Err((Errno::EINVAL, Some("Invalid prefix length")));
        }
        let clean = masked(&route.dst, usize::from(route.dst_len), len);
        if self.is_v6 {
            route.dst = clean;
        } else if clean != route.dst {
            return Err((
                Errno::EINVAL,
                Some("Invalid prefix for given prefix length"),
            ));
        }
        if route.kind > RTN_MAX {
            return Err((Errno::EINVAL, Some("Invalid route type")));
        }
        let same = |r: &Route| {
            r.table == route.table
                && r.dst == route.dst
                && r.dst_len == route.dst_len
                && r.tos == route.tos
                && r.priority == route.priority
        };
        if let Some(first) = self.routes.iter().position(same) {
            if flags & NLM_F_EXCL != 0 {
                return Err((Errno::EEXIST, None));
            }
            if flags & NLM_F_REPLACE != 0 {
                self.routes[first] = route;
                return Ok(());
            }
            let identical = self.routes.iter().filter(|r| same(r)).any(|r| {
                r.kind == route.kind
                    && r.oif == route.oif
                    && r.gateway == route.gateway
                    && r.prefsrc == route.prefsrc
                    && r.protocol == route.protocol
                    && r.scope == route.scope
            });
            if identical || self.is_v6 {
                return Err((Errno::EEXIST, None));
            }
        }
        if flags & NLM_F_CREATE == 0 {
            return Err((Errno::ENOENT, None));
        }
        let key = self.key(&route);
        let at = self.routes.partition_point(|r| self.key(r) <= key);
        self.routes
            .try_reserve(1)
            .map_err(|_| (Errno::ENOMEM, None))?;
        self.routes.insert(at, route);
        Ok(())
    }

    /// `fib_table_delete`: the first route that matches; `ESRCH` when none does.
    pub fn delete(&mut self, m: &Match) -> Result<Route, Errno> {
        let len = key_len(self.is_v6);
        if usize::from(m.dst_len) > len * 8 {
            return Err(Errno::EINVAL);
        }
        let dst = masked(&m.dst, usize::from(m.dst_len), len);
        let at = self
            .routes
            .iter()
            .position(|r| {
                r.table == m.table
                    && r.dst == dst
                    && r.dst_len == m.dst_len
                    && (m.tos == 0 || r.tos == m.tos)
                    && (m.kind == 0 || r.kind == m.kind)
                    && (m.scope == RT_SCOPE_NOWHERE || r.scope == m.scope)
                    && (m.protocol == 0 || r.protocol == m.protocol)
                    && (m.priority == 0 || r.priority == m.priority)
                    && (m.oif == 0 || r.oif == m.oif)
                    && (m.gateway.is_none() || r.gateway == m.gateway)
                    && (m.prefsrc.is_none() || r.prefsrc == m.prefsrc)
            })
            .ok_or(Errno::ESRCH)?;
        Ok(self.routes.remove(at))
    }

    /// Removes every route `keep` refuses; returns them.
    pub fn remove_where(&mut self, mut doomed: impl FnMut(&Route) -> bool) -> Vec<Route> {
        let mut gone = Vec::new();
        let mut i = 0;
        while i < self.routes.len() {
            if doomed(&self.routes[i]) {
                let route = self.routes.remove(i);
                if gone.try_reserve(1).is_ok() {
                    gone.push(route);
                }
            } else {
                i += 1;
            }
        }
        gone
    }

    /// `fib_lookup`: the longest matching prefix in the local, main and default tables, in
    /// that order; `ENETUNREACH` with no route, and the errno of a reject route.
    pub fn lookup(&self, dst: &[u8; 16]) -> Result<Route, Errno> {
        let bits = key_len(self.is_v6) * 8;
        for table in [RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_DEFAULT] {
            let best = self
                .routes
                .iter()
                .filter(|r| r.table == table)
                .filter(|r| usize::from(r.dst_len) <= bits)
                .filter(|r| prefix_matches(&r.dst, dst, usize::from(r.dst_len)))
                .max_by(|a, b| a.dst_len.cmp(&b.dst_len).then(b.priority.cmp(&a.priority)));
            if let Some(route) = best {
                return match route.kind {
                    RTN_UNREACHABLE => Err(Errno::EHOSTUNREACH),
                    RTN_PROHIBIT => Err(Errno::EACCES),
                    RTN_BLACKHOLE => Err(Errno::EINVAL),
                    RTN_THROW => continue,
                    _ => Ok(*route),
                };
            }
        }
        Err(Errno::ENETUNREACH)
    }
}

/// The routes an IPv4 address brings while its device is up (`fib_add_ifaddr`): the local
/// route of the address, the network broadcast, and the prefix route (in the local table on a
/// loopback device, where the whole prefix is local).
pub fn v4_address_routes(
    addr: [u8; 4],
    prefix_len: u8,
    broadcast: Option<[u8; 4]>,
    oif: u32,
    is_loopback: bool,
) -> Vec<Route> {
    let mut out = Vec::new();
    let mut ip = [0u8; 16];
    ip[..4].copy_from_slice(&addr);
    let base = Route {
        table: RT_TABLE_LOCAL,
        kind: RTN_LOCAL,
        dst: ip,
        dst_len: 32,
        tos: 0,
        protocol: RTPROT_KERNEL,
        scope: RT_SCOPE_HOST,
        priority: 0,
        oif,
        gateway: None,
        prefsrc: Some(ip),
    };
    let mut push = |route: Route| {
        if !out.contains(&route) && out.try_reserve(1).is_ok() {
            out.push(route);
        }
    };
    push(base);
    let bits = u32::from(prefix_len.min(32));
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let host = u32::from_be_bytes(addr);
    let prefix = host & mask;
    let broadcast_route = |value: u32| {
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&value.to_be_bytes());
        Route {
            kind: RTN_BROADCAST,
            dst,
            scope: RT_SCOPE_LINK,
            ..base
        }
    };
    if let Some(b) = broadcast {
        let b = u32::from_be_bytes(b);
        if b != 0 && b != u32::MAX {
            push(broadcast_route(b));
        }
    }
    if prefix >> 24 != 0 && (prefix != host || prefix_len < 32) {
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&prefix.to_be_bytes());
        push(if is_loopback {
            Route {
                dst,
                dst_len: prefix_len,
                ..base
            }
        } else {
            Route {
                table: RT_TABLE_MAIN,
                kind: RTN_UNICAST,
                dst,
                dst_len: prefix_len,
                scope: RT_SCOPE_LINK,
                ..base
            }
        });
        if prefix_len < 31 {
            push(broadcast_route(prefix | !mask));
        }
    }
    out
}

/// The routes an IPv6 address brings (`addrconf`): its local route (metric 0 in the local
/// table) and, for a prefix shorter than 128, its prefix route (metric 256 in main).
pub fn v6_address_routes(addr: [u8; 16], prefix_len: u8, oif: u32) -> Vec<Route> {
    let mut out = Vec::new();
    let local = Route {
        table: RT_TABLE_LOCAL,
        kind: RTN_LOCAL,
        dst: addr,
        dst_len: 128,
        tos: 0,
        protocol: RTPROT_KERNEL,
        scope: RT_SCOPE_UNIVERSE,
        priority: 0,
        oif,
        gateway: None,
        prefsrc: None,
    };
    let prefix = Route {
        table: RT_TABLE_MAIN,
        kind: RTN_UNICAST,
        dst: masked(&addr, usize::from(prefix_len.min(128)), 16),
        dst_len: prefix_len.min(128),
        priority: 256,
        ..local
    };
    if out.try_reserve(2).is_ok() {
        if prefix_len < 128 {
            out.push(prefix);
        }
        out.push(local);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&a);
        out
    }

    fn add_all(fib: &mut Fib, routes: Vec<Route>) {
        for r in routes {
            fib.insert(r, NLM_F_CREATE | NLM_F_EXCL).unwrap();
        }
    }

    #[test]
    fn loopback_address_routes_in_dump_order() {
        let mut fib = Fib::new(false);
        add_all(
            &mut fib,
            v4_address_routes([127, 0, 0, 1], 8, None, 1, true),
        );
        let shown: Vec<_> = fib
            .routes()
            .iter()
            .map(|r| (r.table, r.kind, r.dst[..4].to_vec(), r.dst_len))
            .collect();
        assert_eq!(
            shown,
            [
                (255, RTN_LOCAL, alloc::vec![127, 0, 0, 0], 8),
                (255, RTN_LOCAL, alloc::vec![127, 0, 0, 1], 32),
                (255, RTN_BROADCAST, alloc::vec![127, 255, 255, 255], 32),
            ]
        );
        let hit = fib.lookup(&v4([127, 1, 2, 3])).unwrap();
        assert_eq!(
            (hit.kind, hit.prefsrc),
            (RTN_LOCAL, Some(v4([127, 0, 0, 1])))
        );
        assert_eq!(fib.lookup(&v4([10, 0, 0, 1])), Err(Errno::ENETUNREACH));
    }

    #[test]
    fn ethernet_address_has_a_main_prefix_route() {
        let routes = v4_address_routes([10, 0, 2, 15], 24, Some([10, 0, 2, 255]), 2, false);
        assert_eq!(routes.len(), 3);
        assert_eq!(routes[1].kind, RTN_BROADCAST);
        assert_eq!(
            (routes[2].table, routes[2].kind, routes[2].scope),
            (254, RTN_UNICAST, RT_SCOPE_LINK)
        );
        // A /32 brings only its local route.
        assert_eq!(
            v4_address_routes([10, 0, 0, 1], 32, None, 2, false).len(),
            1
        );
    }

    #[test]
    fn insert_and_delete_rules() {
        let mut fib = Fib::new(false);
        let route = Route {
            table: RT_TABLE_MAIN,
            kind: RTN_UNICAST,
            dst: v4([10, 20, 0, 0]),
            dst_len: 16,
            tos: 0,
            protocol: RTPROT_BOOT,
            scope: RT_SCOPE_LINK,
            priority: 0,
            oif: 1,
            gateway: None,
            prefsrc: None,
        };
        assert_eq!(fib.insert(route, NLM_F_EXCL).unwrap_err().0, Errno::ENOENT);
        fib.insert(route, NLM_F_CREATE | NLM_F_EXCL).unwrap();
        assert_eq!(
            fib.insert(route, NLM_F_CREATE | NLM_F_EXCL).unwrap_err().0,
            Errno::EEXIST
        );
        assert_eq!(
            fib.insert(route, NLM_F_CREATE).unwrap_err().0,
            Errno::EEXIST
        );
        fib.insert(Route { oif: 2, ..route }, NLM_F_REPLACE)
            .unwrap();
        assert_eq!(fib.routes().len(), 1);
        assert_eq!(fib.routes()[0].oif, 2);
        let bad = Route {
            dst: v4([10, 20, 0, 1]),
            ..route
        };
        assert_eq!(fib.insert(bad, NLM_F_CREATE).unwrap_err().0, Errno::EINVAL);
        assert_eq!(
            fib.insert(
                Route {
                    dst_len: 33,
                    ..route
                },
                NLM_F_CREATE
            )
            .unwrap_err()
            .0,
            Errno::EINVAL
        );
        assert_eq!(fib.lookup(&v4([10, 20, 3, 4])).unwrap().oif, 2);
        let m = Match {
            table: RT_TABLE_MAIN,
            dst: v4([10, 20, 0, 0]),
            dst_len: 16,
            scope: RT_SCOPE_NOWHERE,
            oif: 1,
            ..Match::default()
        };
        assert_eq!(fib.delete(&m), Err(Errno::ESRCH));
        fib.delete(&Match { oif: 0, ..m }).unwrap();
        assert_eq!(fib.delete(&m), Err(Errno::ESRCH));
    }

    #[test]
    fn longest_prefix_and_reject_routes() {
        let mut fib = Fib::new(false);
        let base = Route {
            table: RT_TABLE_MAIN,
            kind: RTN_UNICAST,
            dst: [0; 16],
            dst_len: 0,
            tos: 0,
            protocol: RTPROT_BOOT,
            scope: RT_SCOPE_UNIVERSE,
            priority: 0,
            oif: 1,
            gateway: None,
            prefsrc: None,
        };
        fib.insert(base, NLM_F_CREATE).unwrap();
        fib.insert(
            Route {
                dst: v4([10, 0, 0, 0]),
                dst_len: 8,
                oif: 2,
                ..base
            },
            NLM_F_CREATE,
        )
        .unwrap();
        fib.insert(
            Route {
                dst: v4([10, 1, 0, 0]),
                dst_len: 16,
                kind: RTN_UNREACHABLE,
                ..base
            },
            NLM_F_CREATE,
        )
        .unwrap();
        assert_eq!(fib.lookup(&v4([8, 8, 8, 8])).unwrap().oif, 1);
        assert_eq!(fib.lookup(&v4([10, 9, 9, 9])).unwrap().oif, 2);
        assert_eq!(fib.lookup(&v4([10, 1, 9, 9])), Err(Errno::EHOSTUNREACH));
        assert_eq!(fib.remove_where(|r| r.oif == 1).len(), 2);
    }

    #[test]
    fn v6_loopback() {
        let mut fib = Fib::new(true);
        let mut one = [0u8; 16];
        one[15] = 1;
        add_all(&mut fib, v6_address_routes(one, 128, 1));
        assert_eq!(fib.routes().len(), 1);
        assert_eq!(fib.routes()[0].table, RT_TABLE_LOCAL);
        let mut doc = [0u8; 16];
        doc[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        doc[15] = 1;
        let routes = v6_address_routes(doc, 64, 1);
        assert_eq!(
            (routes[0].table, routes[0].dst_len, routes[0].priority),
            (RT_TABLE_MAIN, 64, 256)
        );
        assert_eq!(fib.lookup(&one).unwrap().kind, RTN_LOCAL);
        let mut other = one;
        other[0] = 0x20;
        assert_eq!(fib.lookup(&other), Err(Errno::ENETUNREACH));
    }
}
