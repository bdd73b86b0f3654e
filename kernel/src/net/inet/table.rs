//! The bound ports of TCP and of UDP (Linux's `inet_hashinfo` bind buckets and `udp_table`):
//! one table per protocol, sharded by port into 64 spin locks (`inet.ports`), so binds,
//! connects and UDP deliveries to different ports never share a lock. Each entry is one
//! socket on a port (listening, connected, or only bound) or a TIME_WAIT record that outlives
//! its socket for [`TIME_WAIT_NS`] (Linux's `inet_timewait_sock`, `TCP_TIMEWAIT_LEN`). Expired
//! records are dropped when their shard is next looked at, which is when they could matter.
//!
//! The conflict rules and the ephemeral range come from the host-tested `inet::ports`.

use super::InetSocket;
use ::inet::addr::{Endpoint, Ip};
use ::inet::ports::{BindState, Binding, PortRange};
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use hal::sync::SpinLock;

/// `TCP_TIMEWAIT_LEN`: 60 s.
pub const TIME_WAIT_NS: u64 = 60_000_000_000;
const SHARDS: usize = 64;

/// One socket (or TIME_WAIT record) on a port.
pub struct Entry {
    pub id: u64,
    pub binding: Binding,
    pub local: Endpoint,
    pub remote: Option<Endpoint>,
    pub socket: Weak<InetSocket>,
    /// TIME_WAIT: when the record goes (CLOCK_MONOTONIC ns).
    pub expires_ns: u64,
}

/// One entry as `/proc/net` lists it: shard, binding, local and remote ends, socket, and
/// the TIME_WAIT time left (ns).
pub type Row = (
    usize,
    Binding,
    Endpoint,
    Option<Endpoint>,
    Weak<InetSocket>,
    u64,
);

pub struct PortTable {
    shards: [SpinLock<Vec<Entry>>; SHARDS],
    is_tcp: bool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// `net.ipv4.ip_local_port_range`, packed `low << 16 | high`.
static RANGE: AtomicU32 = AtomicU32::new((32768 << 16) | 60999);
/// `net.ipv4.ip_unprivileged_port_start`.
pub static UNPRIVILEGED_PORT_START: AtomicU32 = AtomicU32::new(1024);

pub fn port_range() -> PortRange {
    let packed = RANGE.load(Ordering::Relaxed);
    PortRange {
        low: (packed >> 16) as u16,
        high: packed as u16,
    }
}

pub fn set_port_range(range: PortRange) {
    RANGE.store(
        (u32::from(range.low) << 16) | u32::from(range.high),
        Ordering::Relaxed,
    );
}

pub static TCP: PortTable = PortTable::new(true);
pub static UDP: PortTable = PortTable::new(false);

impl PortTable {
    const fn new(is_tcp: bool) -> PortTable {
        PortTable {
            shards: [const { SpinLock::new("inet.ports", Vec::new()) }; SHARDS],
            is_tcp,
        }
    }

    fn shard(&self, port: u16) -> &SpinLock<Vec<Entry>> {
        &self.shards[usize::from(port) % SHARDS]
    }

    /// Whether `new` conflicts with `old`, whose socket's `SO_REUSEADDR`/`SO_REUSEPORT` are
    /// read as they are now (Linux reads `sk_reuse` when the check runs; a TIME_WAIT record
    /// keeps those its socket had).
    fn conflicts(&self, new: &Binding, old: &Entry) -> bool {
        let mut binding = old.binding;
        if let Some(socket) = old.socket.upgrade() {
            binding.reuseaddr = socket.has_flag(crate::net::unix::flag::REUSEADDR);
            binding.reuseport = socket.has_flag(crate::net::unix::flag::REUSEPORT);
        }
        if self.is_tcp {
            ::inet::ports::tcp_conflict(new, &binding)
        } else {
            ::inet::ports::udp_conflict(new, &binding)
        }
    }

    /// Binds `socket` to `local` (a port of 0 picks an ephemeral one, odd first for bind and
    /// even first for connect); returns the entry id and the port. `EADDRINUSE` on a
    /// conflict, or when no ephemeral port is free.
    pub fn bind(
        &self,
        socket: &Arc<InetSocket>,
        binding: Binding,
        local: Endpoint,
        for_connect: bool,
    ) -> Result<(u64, u16), Errno> {
        let now = crate::time::monotonic_ns();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let make = |port: u16| Entry {
            id,
            binding,
            local: Endpoint { port, ..local },
            remote: None,
            socket: Arc::downgrade(socket),
            expires_ns: 0,
        };
        if local.port != 0 {
            let mut shard = self.shard(local.port).lock();
            shard.retain(|e| e.expires_ns == 0 || e.expires_ns > now);
            if shard
                .iter()
                .any(|e| e.local.port == local.port && self.conflicts(&binding, e))
            {
                return Err(Errno::EADDRINUSE);
            }
            shard.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            shard.push(make(local.port));
            return Ok((id, local.port));
        }
        let random = crate::random::u64() as u32;
        let mut result = Err(Errno::EADDRINUSE);
        port_range().pick(random, !for_connect, |port| {
            let mut shard = self.shard(port).lock();
            shard.retain(|e| e.expires_ns == 0 || e.expires_ns > now);
            if shard.iter().any(|e| e.local.port == port) {
                return false;
            }
            if shard.try_reserve(1).is_err() {
                result = Err(Errno::ENOMEM);
                return true;
            }
            shard.push(make(port));
            result = Ok((id, port));
            true
        });
        result
    }

    /// Adds a connection made by a listener on the listener's port, with no conflict check
    /// (`__inet_inherit_port`).
    pub fn insert(
        &self,
        socket: &Arc<InetSocket>,
        binding: Binding,
        local: Endpoint,
        remote: Option<Endpoint>,
    ) -> Result<u64, Errno> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut shard = self.shard(local.port).lock();
        shard.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        shard.push(Entry {
            id,
            binding,
            local,
            remote,
            socket: Arc::downgrade(socket),
            expires_ns: 0,
        });
        Ok(id)
    }

    /// Makes entry `id` a listener, checking the rule again against the port's other
    /// entries now that it listens (`inet_csk_listen_start`): `EADDRINUSE`.
    pub fn make_listener(&self, port: u16, id: u64, binding: Binding) -> Result<(), Errno> {
        let now = crate::time::monotonic_ns();
        let mut shard = self.shard(port).lock();
        shard.retain(|e| e.expires_ns == 0 || e.expires_ns > now);
        if shard
            .iter()
            .any(|e| e.id != id && e.local.port == port && self.conflicts(&binding, e))
        {
            return Err(Errno::EADDRINUSE);
        }
        if let Some(entry) = shard.iter_mut().find(|e| e.id == id) {
            entry.binding = binding;
        }
        Ok(())
    }

    /// Changes an entry's state, local address or remote end.
    pub fn update(&self, port: u16, id: u64, change: impl FnOnce(&mut Entry)) {
        let mut shard = self.shard(port).lock();
        if let Some(entry) = shard.iter_mut().find(|e| e.id == id) {
            change(entry);
        }
    }

    /// Takes an entry out.
    pub fn remove(&self, port: u16, id: u64) {
        let mut shard = self.shard(port).lock();
        shard.retain(|e| e.id != id);
    }

    /// Turns an entry into a TIME_WAIT record.
    pub fn time_wait(&self, port: u16, id: u64) {
        let expires = crate::time::monotonic_ns().saturating_add(TIME_WAIT_NS);
        self.update(port, id, |entry| {
            entry.binding.state = BindState::TimeWait;
            entry.socket = Weak::new();
            entry.expires_ns = expires;
        });
    }

    /// The socket that receives what is sent to `ip`:`port` from `from` (`__inet_lookup`,
    /// `__udp4_lib_lookup`): the best-scoring entry that accepts the address, with a
    /// connected socket only for its own peer; TCP looks only at listeners. Among equals the
    /// one bound last wins.
    pub fn lookup(&self, ip: Ip, port: u16, from: Option<&Endpoint>) -> Option<Arc<InetSocket>> {
        let shard = self.shard(port).lock();
        let mut best: Option<(u32, &Entry)> = None;
        for entry in shard.iter() {
            if entry.local.port != port || entry.expires_ns != 0 {
                continue;
            }
            if self.is_tcp && entry.binding.state != BindState::Listen {
                continue;
            }
            if !::inet::ports::accepts(&entry.binding, ip) {
                continue;
            }
            let mut score = ::inet::ports::score(&entry.binding, ip);
            if let Some(remote) = entry.remote {
                match from {
                    Some(from) if from.ip == remote.ip && from.port == remote.port => score += 8,
                    _ => continue,
                }
            }
            if best.is_none_or(|(s, _)| score >= s) {
                best = Some((score, entry));
            }
        }
        best.and_then(|(_, entry)| entry.socket.upgrade())
    }

    /// Every entry's facts, for `/proc/net` (expired records left out).
    pub fn snapshot(&self) -> Result<Vec<Row>, Errno> {
        let now = crate::time::monotonic_ns();
        let mut out = Vec::new();
        for (index, shard) in self.shards.iter().enumerate() {
            let shard = shard.lock();
            out.try_reserve(shard.len()).map_err(|_| Errno::ENOMEM)?;
            for e in shard.iter() {
                if e.expires_ns != 0 && e.expires_ns <= now {
                    continue;
                }
                out.push((
                    index,
                    e.binding,
                    e.local,
                    e.remote,
                    e.socket.clone(),
                    e.expires_ns.saturating_sub(now),
                ));
            }
        }
        Ok(out)
    }
}
