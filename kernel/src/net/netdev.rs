//! Network devices (Linux's `struct net_device` and `net/core/dev.c`, netdevice(7)): the
//! list of interfaces with their index, name, type, hardware address, MTU, flags, IPv4 and
//! IPv6 addresses and counters, and the device ioctls every socket answers (`SIOCGIFCONF`,
//! `SIOCGIFFLAGS`/`SIOCSIFFLAGS`, `SIOCGIFINDEX`, `SIOCGIFNAME`, `SIOCGIFMTU`/`SIOCSIFMTU`,
//! `SIOCGIFHWADDR`, `SIOCGIFTXQLEN`; AF_INET sockets also the address and route ioctls of
//! [`crate::net::devinet`]), and `/proc/net/dev`.
//!
//! At boot there is `lo` (ifindex 1, `ARPHRD_LOOPBACK`, MTU 65536, 127.0.0.1/8 and ::1/128),
//! brought up as Linux's `loopback_net_init` and `inet_init` do. A driver adds its interface
//! with [`register`], giving a [`Driver`] that transmits frames; received frames are counted
//! with [`NetDevice::count_rx`]. Loopback traffic never becomes frames (`net::inet` hands data
//! from socket to socket) and is counted on `lo` as one packet per segment or datagram.
//!
//! Changes made here (flags, MTU, name, addresses) are announced through [`crate::net::fib`],
//! which keeps the kernel's routes of each address (Linux's `fib_add_ifaddr`,
//! `fib_disable_ip`, `addrconf_ifdown`) and sends the rtnetlink notifications.
//!
//! Locks: `netdev.list` (the interfaces, held to clone one out or to list them),
//! `netdev.addrs` (one interface's addresses) and `netdev.name` are leaves, never nested.

use ::inet::addr::Ip;
use ::inet::ifreq::{self, IFREQ_LEN};
use ::inet::procnet::DevStats;
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use hal::sync::SpinLock;

/// `IFF_UP`, `IFF_BROADCAST`, `IFF_LOOPBACK`, `IFF_RUNNING`, `IFF_MULTICAST`, `IFF_LOWER_UP`.
pub const IFF_UP: u32 = 0x1;
pub const IFF_BROADCAST: u32 = 0x2;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_RUNNING: u32 = 0x40;
pub const IFF_MULTICAST: u32 = 0x1000;
pub const IFF_LOWER_UP: u32 = 0x10000;
/// The flags `SIOCSIFFLAGS` may change (`dev_change_flags`'s mask, in 16 bits).
const IFF_USER_MASK: u32 = 0xffff & !(IFF_LOOPBACK | IFF_RUNNING);

/// What a driver gives the network layer.
pub trait Driver: Send + Sync {
    /// Sends one frame (Ethernet header included); `Err` counts as a transmit error.
    fn transmit(&self, frame: &[u8]) -> Result<(), Errno>;
    /// Whether a frame may be sent now (a free transmit slot).
    fn can_transmit(&self) -> bool;
    /// The carrier is present (`IFF_LOWER_UP`, `IFF_RUNNING` when up).
    fn has_carrier(&self) -> bool;
    /// Called when the interface goes up or down.
    fn set_up(&self, is_up: bool);
}

/// An interface name (`IFNAMSIZ`: at most 15 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IfName {
    bytes: [u8; 16],
    len: u8,
}

impl IfName {
    /// `EINVAL` for an empty name or one longer than 15 bytes, or with `/`, `:` or white space
    /// (`dev_valid_name`).
    pub fn new(name: &[u8]) -> Result<IfName, Errno> {
        if name.is_empty()
            || name.len() > 15
            || name == b"."
            || name == b".."
            || name
                .iter()
                .any(|&b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0)
        {
            return Err(Errno::EINVAL);
        }
        let mut bytes = [0u8; 16];
        bytes[..name.len()].copy_from_slice(name);
        Ok(IfName {
            bytes,
            len: name.len() as u8,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}

impl core::fmt::Display for IfName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `IFA_F_SECONDARY`, `IFA_F_PERMANENT`.
pub const IFA_F_SECONDARY: u32 = 0x1;
pub const IFA_F_PERMANENT: u32 = 0x80;
/// `RT_SCOPE_HOST`, `RT_SCOPE_UNIVERSE`.
pub const RT_SCOPE_HOST: u8 = 254;
pub const RT_SCOPE_UNIVERSE: u8 = 0;

/// An interface address (`struct in_ifaddr`, `struct inet6_ifaddr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfAddr {
    pub ip: Ip,
    pub prefix_len: u8,
    /// IPv4's broadcast address, when one was given.
    pub broadcast: Option<Ip>,
    /// `RT_SCOPE_*`.
    pub scope: u8,
    /// `IFA_F_*`.
    pub flags: u32,
    /// IPv4's label (the device's name unless given).
    pub label: Option<IfName>,
    /// When it was added, in hundredths of a second since boot (`ifa_cstamp`).
    pub cstamp: u32,
}

impl IfAddr {
    /// A permanent address with the scope its kind has (host for loopback addresses).
    pub fn new(ip: Ip, prefix_len: u8) -> IfAddr {
        IfAddr {
            ip,
            prefix_len,
            broadcast: None,
            scope: if ip.is_loopback() {
                RT_SCOPE_HOST
            } else {
                RT_SCOPE_UNIVERSE
            },
            flags: IFA_F_PERMANENT,
            label: None,
            cstamp: stamp_now(),
        }
    }

    /// The IPv4 netmask of a v4 address.
    pub fn netmask(&self) -> [u8; 4] {
        let bits = u32::from(self.prefix_len.min(32));
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        mask.to_be_bytes()
    }

    /// Whether `ip` is in this address's subnet.
    pub fn contains(&self, ip: Ip) -> bool {
        if self.ip.is_v4() != ip.is_v4() {
            return false;
        }
        let (bits, offset) = if ip.is_v4() {
            (usize::from(self.prefix_len.min(32)), 12)
        } else {
            (usize::from(self.prefix_len.min(128)), 0)
        };
        let (a, b) = (&self.ip.0[offset..], &ip.0[offset..]);
        let whole = bits / 8;
        if a[..whole] != b[..whole] {
            return false;
        }
        let rest = bits % 8;
        rest == 0 || (a[whole] ^ b[whole]) & (0xffu8 << (8 - rest)) == 0
    }
}

/// Hundredths of a second since boot (the address time stamps' unit).
pub fn stamp_now() -> u32 {
    (crate::time::monotonic_ns() / 10_000_000) as u32
}

/// An interface.
pub struct NetDevice {
    pub index: u32,
    name: SpinLock<IfName>,
    /// `ARPHRD_*`.
    pub kind: u16,
    pub hwaddr: [u8; 6],
    pub mtu: AtomicU32,
    pub tx_queue_len: u32,
    flags: AtomicU32,
    addrs: SpinLock<Vec<IfAddr>>,
    rx_bytes: AtomicU64,
    rx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    tx_packets: AtomicU64,
    tx_errors: AtomicU64,
    rx_errors: AtomicU64,
    rx_dropped: AtomicU64,
    pub driver: Option<Arc<dyn Driver>>,
    /// The device was up once (its queueing discipline is attached: `noop` before).
    pub was_up: core::sync::atomic::AtomicBool,
    /// The device's sysfs path under `/sys/devices` (`pci0000:00/0000:00:03.0/virtio0`), or
    /// `None` for a virtual one (`virtual/net/lo`).
    pub sysfs_parent: Option<String>,
}

impl NetDevice {
    pub fn name(&self) -> IfName {
        *self.name.lock()
    }

    /// `dev_change_name`: `EBUSY` while up, `EEXIST` when another device has the name.
    pub fn rename(&self, name: IfName) -> Result<(), Errno> {
        if self.flags.load(Ordering::Acquire) & IFF_UP != 0 {
            return Err(Errno::EBUSY);
        }
        let devices = DEVICES.lock();
        if devices
            .iter()
            .any(|d| d.index != self.index && d.name() == name)
        {
            return Err(Errno::EEXIST);
        }
        *self.name.lock() = name;
        Ok(())
    }

    pub fn is_loopback(&self) -> bool {
        self.kind == ifreq::ARPHRD_LOOPBACK
    }

    /// Removes the address `ip`/`prefix_len`; IPv4 secondaries of a removed primary go too.
    pub fn remove_addr(&self, ip: Ip, prefix_len: u8) -> Option<Vec<IfAddr>> {
        let mut addrs = self.addrs.lock();
        let at = addrs
            .iter()
            .position(|a| a.ip == ip && a.prefix_len == prefix_len)?;
        let gone = addrs.remove(at);
        let mut removed = Vec::new();
        let _ = removed.try_reserve(1);
        removed.push(gone);
        if ip.is_v4() && gone.flags & IFA_F_SECONDARY == 0 {
            let mut i = 0;
            while i < addrs.len() {
                let a = addrs[i];
                if a.ip.is_v4()
                    && a.flags & IFA_F_SECONDARY != 0
                    && a.prefix_len == gone.prefix_len
                    && gone.contains(a.ip)
                {
                    addrs.remove(i);
                    if removed.try_reserve(1).is_ok() {
                        removed.push(a);
                    }
                } else {
                    i += 1;
                }
            }
        }
        Some(removed)
    }

    /// Removes every IPv6 address (`addrconf_ifdown`).
    pub fn remove_v6_addrs(&self) -> Vec<IfAddr> {
        let mut addrs = self.addrs.lock();
        let mut gone = Vec::new();
        addrs.retain(|a| {
            if a.ip.is_v4() {
                true
            } else {
                if gone.try_reserve(1).is_ok() {
                    gone.push(*a);
                }
                false
            }
        });
        gone
    }

    /// The administrative flags alone.
    pub fn raw_flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// `dev_get_flags`: the flags set by the administrator plus the operational ones.
    pub fn flags(&self) -> u32 {
        let flags = self.flags.load(Ordering::Acquire);
        let carrier = self.driver.as_ref().is_none_or(|d| d.has_carrier());
        if flags & IFF_UP != 0 && carrier {
            flags | IFF_RUNNING | IFF_LOWER_UP
        } else {
            flags
        }
    }

    /// `dev->flags`: what the administrator set (sysfs `flags`), without the operational bits.
    pub fn admin_flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// The carrier is present (`netif_carrier_ok`).
    pub fn has_carrier(&self) -> bool {
        self.driver.as_ref().is_none_or(|d| d.has_carrier())
    }

    pub fn is_up(&self) -> bool {
        self.flags.load(Ordering::Acquire) & IFF_UP != 0
    }

    pub fn addrs(&self) -> Vec<IfAddr> {
        self.addrs.lock().clone()
    }

    /// Adds an address (`__inet_insert_ifa`, `ipv6_add_addr`): `EEXIST` when the device has
    /// it already; an IPv4 address in the subnet of another becomes its secondary (`EINVAL` if
    /// their scopes differ). Primaries stay ahead of secondaries. The routes and the
    /// notifications are [`crate::net::fib::address_added`]'s.
    pub fn add_addr(&self, mut addr: IfAddr) -> Result<IfAddr, Errno> {
        let mut addrs = self.addrs.lock();
        if addr.ip.is_v4() {
            addr.flags &= !IFA_F_SECONDARY;
            for a in addrs.iter().filter(|a| a.ip.is_v4()) {
                if a.prefix_len == addr.prefix_len && a.contains(addr.ip) {
                    if a.ip == addr.ip {
                        return Err(Errno::EEXIST);
                    }
                    if a.scope != addr.scope {
                        return Err(Errno::EINVAL);
                    }
                    addr.flags |= IFA_F_SECONDARY;
                }
            }
        } else if addrs
            .iter()
            .any(|a| a.ip == addr.ip && a.prefix_len == addr.prefix_len)
        {
            return Err(Errno::EEXIST);
        }
        addrs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        let at = if addr.flags & IFA_F_SECONDARY != 0 {
            addrs.len()
        } else {
            addrs
                .iter()
                .position(|a| a.flags & IFA_F_SECONDARY != 0)
                .unwrap_or(addrs.len())
        };
        addrs.insert(at, addr);
        Ok(addr)
    }

    /// Counts a packet of `len` bytes sent and received on this device (loopback).
    pub fn count_loopback(&self, len: usize) {
        self.count_tx(len);
        self.count_rx(len);
    }

    pub fn count_tx(&self, len: usize) {
        self.tx_packets.fetch_add(1, Ordering::Relaxed);
        self.tx_bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    pub fn count_rx(&self, len: usize) {
        self.rx_packets.fetch_add(1, Ordering::Relaxed);
        self.rx_bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    pub fn count_tx_error(&self) {
        self.tx_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A received frame dropped (malformed, no memory, nobody to take it).
    pub fn count_rx_dropped(&self) {
        self.rx_dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// A received frame with a bad length or checksum.
    pub fn count_rx_error(&self) {
        self.rx_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// `IFF_UP` set or cleared as `SIOCSIFFLAGS` does (`dev_open`/`dev_close`).
    pub fn set_up(self: &Arc<Self>, is_up: bool) {
        let flags = self.flags.load(Ordering::Acquire);
        let new = if is_up {
            flags | IFF_UP
        } else {
            flags & !IFF_UP
        };
        self.set_flags(new);
    }

    pub fn stats(&self) -> DevStats {
        DevStats {
            rx_bytes: self.rx_bytes.load(Ordering::Relaxed),
            rx_packets: self.rx_packets.load(Ordering::Relaxed),
            tx_bytes: self.tx_bytes.load(Ordering::Relaxed),
            tx_packets: self.tx_packets.load(Ordering::Relaxed),
            tx_errors: self.tx_errors.load(Ordering::Relaxed),
            rx_errors: self.rx_errors.load(Ordering::Relaxed),
            rx_dropped: self.rx_dropped.load(Ordering::Relaxed),
            ..DevStats::default()
        }
    }

    /// `dev_change_flags`: only `IFF_UP` and the user-settable bits move; a change is
    /// announced (routes of the addresses, `RTM_NEWLINK`).
    pub fn set_flags(self: &Arc<Self>, requested: u32) {
        let _rtnl = crate::net::fib::RTNL.lock();
        self.set_flags_locked(requested);
    }

    /// As [`NetDevice::set_flags`], with `rtnl` held.
    pub fn set_flags_locked(self: &Arc<Self>, requested: u32) {
        let old = self.flags.load(Ordering::Acquire);
        let new = (old & !IFF_USER_MASK) | (requested & IFF_USER_MASK);
        if old == new {
            return;
        }
        self.flags.store(new, Ordering::Release);
        if new & IFF_UP != 0 {
            self.was_up.store(true, Ordering::Relaxed);
        }
        if (old ^ new) & IFF_UP != 0
            && let Some(driver) = &self.driver
        {
            driver.set_up(new & IFF_UP != 0);
        }
        crate::net::fib::link_changed(self, (old ^ new) & IFF_UP != 0, old ^ new);
    }

    /// `dev_set_mtu`.
    pub fn set_mtu(self: &Arc<Self>, mtu: u32) {
        if self.mtu.swap(mtu, Ordering::Relaxed) != mtu {
            crate::net::fib::link_changed(self, false, 0);
        }
    }
}

static DEVICES: SpinLock<Vec<Arc<NetDevice>>> = SpinLock::new("netdev.list", Vec::new());
static LOOPBACK: spin::Once<Arc<NetDevice>> = spin::Once::new();

fn new_device(
    index: u32,
    name: &str,
    kind: u16,
    hwaddr: [u8; 6],
    mtu: u32,
    flags: u32,
    driver: Option<Arc<dyn Driver>>,
) -> Result<Arc<NetDevice>, Errno> {
    Ok(Arc::new(NetDevice {
        index,
        name: SpinLock::new("netdev.name", IfName::new(name.as_bytes())?),
        kind,
        hwaddr,
        mtu: AtomicU32::new(mtu),
        tx_queue_len: 1000,
        flags: AtomicU32::new(flags),
        addrs: SpinLock::new("netdev.addrs", Vec::new()),
        rx_bytes: AtomicU64::new(0),
        rx_packets: AtomicU64::new(0),
        tx_bytes: AtomicU64::new(0),
        tx_packets: AtomicU64::new(0),
        tx_errors: AtomicU64::new(0),
        was_up: core::sync::atomic::AtomicBool::new(flags & IFF_UP != 0),
        rx_errors: AtomicU64::new(0),
        rx_dropped: AtomicU64::new(0),
        driver,
        sysfs_parent: None,
    }))
}

/// Creates `lo` with its addresses, up (boot).
pub fn init() {
    let Ok(lo) = new_device(
        1,
        "lo",
        ifreq::ARPHRD_LOOPBACK,
        [0; 6],
        65536,
        IFF_UP | IFF_LOOPBACK,
        None,
    ) else {
        log::error!("net: no memory for lo");
        return;
    };
    DEVICES.lock().push(lo.clone());
    LOOPBACK.call_once(|| lo.clone());
    let _rtnl = crate::net::fib::RTNL.lock();
    crate::net::fib::loopback_up(&lo);
}

/// `lo`.
pub fn loopback() -> Option<Arc<NetDevice>> {
    LOOPBACK.get().cloned()
}

/// Adds an Ethernet interface named `ethN` (the next free N) with the next index, down until
/// configured (`register_netdev`); its sysfs directory is made under `sysfs_parent`.
pub fn register(
    hwaddr: [u8; 6],
    mtu: u32,
    driver: Arc<dyn Driver>,
    sysfs_parent: String,
) -> Result<Arc<NetDevice>, Errno> {
    let mut devices = DEVICES.lock();
    let index = devices.iter().map(|d| d.index).max().unwrap_or(0) + 1;
    let count = devices
        .iter()
        .filter(|d| d.name().as_bytes().starts_with(b"eth"))
        .count();
    let name = alloc::format!("eth{count}");
    let mut device = new_device(
        index,
        &name,
        ifreq::ARPHRD_ETHER,
        hwaddr,
        mtu,
        IFF_BROADCAST | IFF_MULTICAST,
        Some(driver),
    )?;
    if let Some(device) = Arc::get_mut(&mut device) {
        device.sysfs_parent = Some(sysfs_parent);
    }
    devices.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    devices.push(device.clone());
    drop(devices);
    crate::net::fib::link_changed(&device, false, 0);
    if let Err(error) = crate::fs::sysfs::net::add_netdev(&device) {
        log::warn!("net: no sysfs directory for {}: {error:?}", device.name());
    }
    // The first Ethernet interface carries the packet-level stack.
    match crate::net::ip::attach(&device) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(error) => log::warn!("net: no IP stack on {}: {error:?}", device.name()),
    }
    Ok(device)
}

/// Every interface, in index order.
pub fn all() -> Vec<Arc<NetDevice>> {
    DEVICES.lock().clone()
}

pub fn by_name(name: &[u8]) -> Option<Arc<NetDevice>> {
    DEVICES
        .lock()
        .iter()
        .find(|d| d.name().as_bytes() == name)
        .cloned()
}

pub fn by_index(index: u32) -> Option<Arc<NetDevice>> {
    DEVICES.lock().iter().find(|d| d.index == index).cloned()
}

/// Whether `ip` is an address of this host that a socket may bind (`inet_addr_type` is
/// `RTN_LOCAL`: an address of an interface, or anything in the subnet of `lo`'s).
pub fn is_local(ip: Ip) -> bool {
    DEVICES.lock().iter().any(|device| {
        let addrs = device.addrs.lock();
        addrs.iter().any(|a| {
            a.ip == ip || (device.kind == ifreq::ARPHRD_LOOPBACK && a.ip.is_v4() && a.contains(ip))
        })
    })
}

/// Whether `ip` is the directed broadcast address of an interface's IPv4 subnet
/// (`RTN_BROADCAST`: all host bits set).
pub fn is_directed_broadcast(ip: Ip) -> bool {
    if !ip.is_v4() {
        return false;
    }
    let target = u32::from_be_bytes(ip.v4_octets());
    DEVICES.lock().iter().any(|device| {
        device.addrs.lock().iter().any(|a| {
            let bits = u32::from(a.prefix_len.min(32));
            a.ip.is_v4()
                && bits < 31
                && a.contains(ip)
                && target | u32::MAX.checked_shl(32 - bits).unwrap_or(0) == u32::MAX
        })
    })
}

/// `/proc/net/dev`.
pub fn proc_net_dev(out: &mut Vec<u8>) -> Result<(), Errno> {
    let mut text = String::new();
    text.push_str(::inet::procnet::DEV_HEADER);
    for device in all() {
        let name = device.name();
        ::inet::procnet::dev_row(
            &mut text,
            core::str::from_utf8(name.as_bytes()).unwrap_or("?"),
            &device.stats(),
        );
    }
    vfs::pseudo::push(out, text.as_bytes())
}

/// Which family's socket asks (the address ioctls are AF_INET's).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    Inet4,
    Other,
}

/// `SIOCSIFFLAGS`, `SIOCSIFMTU`, the other interface setters and the route ioctls need
/// CAP_NET_ADMIN.
pub(super) fn require_net_admin() -> Result<(), Errno> {
    let thread = crate::process::try_current().ok_or(Errno::EPERM)?;
    if thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_NET_ADMIN)
    {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The device ioctls; `None` when `command` is not one (the socket's own answer stands).
pub fn ioctl(command: u32, argument: u64, asker: Asker) -> Option<Result<usize, Errno>> {
    use abi::raw::ioctl as n;
    let result = match command {
        n::SIOCGIFCONF => ifconf(argument, asker),
        n::SIOCGIFFLAGS
        | n::SIOCSIFFLAGS
        | n::SIOCGIFINDEX
        | n::SIOCGIFNAME
        | n::SIOCGIFMTU
        | n::SIOCSIFMTU
        | n::SIOCGIFHWADDR
        | n::SIOCGIFTXQLEN
        | n::SIOCGIFMETRIC => ifreq_call(command, argument),
        _ if asker == Asker::Inet4 => return crate::net::devinet::ioctl(command, argument),
        _ => return None,
    };
    Some(result)
}

fn read_req(argument: u64) -> Result<[u8; IFREQ_LEN], Errno> {
    let mut req = [0u8; IFREQ_LEN];
    hal::usercopy::copy_from_user(&mut req, argument)?;
    Ok(req)
}

fn ifreq_call(command: u32, argument: u64) -> Result<usize, Errno> {
    use abi::raw::ioctl as n;
    let mut req = read_req(argument)?;
    if command == n::SIOCGIFNAME {
        let device = by_index(ifreq::int(&req) as u32).ok_or(Errno::ENODEV)?;
        ifreq::set_name(&mut req, device.name().as_bytes());
        hal::usercopy::copy_to_user(argument, &req)?;
        return Ok(0);
    }
    let device = by_name(ifreq::name(&req)).ok_or(Errno::ENODEV)?;
    match command {
        n::SIOCGIFFLAGS => ifreq::set_flags(&mut req, device.flags()),
        n::SIOCGIFINDEX => ifreq::set_int(&mut req, device.index as i32),
        n::SIOCGIFMTU => ifreq::set_int(&mut req, device.mtu.load(Ordering::Relaxed) as i32),
        n::SIOCGIFTXQLEN => ifreq::set_int(&mut req, device.tx_queue_len as i32),
        n::SIOCGIFMETRIC => ifreq::set_int(&mut req, 0),
        n::SIOCGIFHWADDR => ifreq::set_hwaddr(&mut req, device.kind, &device.hwaddr),
        n::SIOCSIFFLAGS => {
            require_net_admin()?;
            device.set_flags(u32::from(ifreq::flags(&req)));
            return Ok(0);
        }
        n::SIOCSIFMTU => {
            require_net_admin()?;
            let mtu = ifreq::int(&req);
            // dev_validate_mtu: 68 (IPv4's minimum) to the device's maximum.
            let max = if device.kind == ifreq::ARPHRD_LOOPBACK {
                65536
            } else {
                65535
            };
            if !(68..=max).contains(&mtu) {
                return Err(Errno::EINVAL);
            }
            device.set_mtu(mtu as u32);
            return Ok(0);
        }
        _ => return Err(Errno::ENOTTY),
    }
    hal::usercopy::copy_to_user(argument, &req)?;
    Ok(0)
}

/// `SIOCGIFCONF` (`dev_ifconf`, `inet_gifconf`): one `struct ifreq` per IPv4 address of
/// every interface; with a NULL buffer, only the length needed.
fn ifconf(argument: u64, _asker: Asker) -> Result<usize, Errno> {
    let header: [u64; 2] = hal::usercopy::read_user(argument)?;
    let len = header[0] as u32 as i32;
    let buffer = header[1];
    let mut entries: Vec<[u8; IFREQ_LEN]> = Vec::new();
    for device in all() {
        for addr in device.addrs() {
            if !addr.ip.is_v4() {
                continue;
            }
            let mut req = [0u8; IFREQ_LEN];
            ifreq::set_name(&mut req, device.name().as_bytes());
            ifreq::set_sockaddr_in(&mut req, addr.ip.v4_octets());
            entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            entries.push(req);
        }
    }
    let written = if buffer == 0 {
        entries.len() * IFREQ_LEN
    } else {
        let room = len.max(0) as usize / IFREQ_LEN;
        let count = room.min(entries.len());
        for (i, req) in entries.iter().take(count).enumerate() {
            hal::usercopy::copy_to_user(buffer + (i * IFREQ_LEN) as u64, req)?;
        }
        count * IFREQ_LEN
    };
    hal::usercopy::write_user(argument, &(written as i32))?;
    Ok(0)
}
