//! Network interfaces in sysfs (Linux's `net/core/net-sysfs.c`): for each interface the
//! directory `/sys/devices/<parent>/net/<name>/` (`virtual/net/lo` for loopback, the virtio
//! device's directory for `eth0`) and the link `/sys/class/net/<name>`, with the attributes
//! tools read: `address`, `addr_len`, `broadcast`, `carrier` (`EINVAL` while the interface is
//! down, as `carrier_show`), `flags` (`dev->flags` in hex), `ifindex`, `iflink`, `mtu`,
//! `operstate` (`up`, `down`, or `unknown` for loopback), `tx_queue_len`, `type`, `uevent`
//! (`INTERFACE=`, `IFINDEX=`), `subsystem`, and `statistics/` with Linux's 23 counters (those
//! Ferrux does not count read 0).

use super::{Content, add_attribute, add_link, add_uevent, dir, next_ino, tree};
use crate::net::netdev::{IFF_UP, NetDevice};
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use vfs::pseudo::{DynamicDir, RenderFile};

fn mac_text(mac: &[u8; 6]) -> alloc::string::String {
    alloc::format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n",
        mac[0],
        mac[1],
        mac[2],
        mac[3],
        mac[4],
        mac[5]
    )
}

fn add_render(
    parent: &DynamicDir,
    name: &'static [u8],
    device: &Arc<NetDevice>,
    render: fn(&NetDevice, &mut alloc::vec::Vec<u8>) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let weak = Arc::downgrade(device);
    parent.add(
        name,
        RenderFile::new(next_ino(), 0o444, move |out| match weak.upgrade() {
            Some(device) => render(&device, out),
            None => Err(Errno::ENODEV),
        }),
    )
}

fn number(out: &mut alloc::vec::Vec<u8>, value: u64) -> Result<(), Errno> {
    vfs::pseudo::push_fmt(out, format_args!("{value}\n"))
}

/// Adds `device`'s directory and class link (`netdev_register_kobject`).
pub fn add_netdev(device: &Arc<NetDevice>) -> Result<(), Errno> {
    let tree = tree()?;
    let parent_path = device.sysfs_parent.as_deref().unwrap_or("virtual");
    let mut parent = tree.devices.clone();
    for part in parent_path.split('/').chain(["net"]) {
        parent = dir(&parent, part.as_bytes(), 0o755)?;
    }
    let node = DynamicDir::new(next_ino(), 0o755);
    let mac = mac_text(&device.hwaddr);
    add_attribute(&node, b"addr_len", 0o444, Content::Static(b"6\n"))?;
    add_attribute(&node, b"address", 0o444, Content::Text(mac.into_bytes()))?;
    let broadcast: &'static [u8] = if device.kind == ::inet::ifreq::ARPHRD_LOOPBACK {
        b"00:00:00:00:00:00\n"
    } else {
        b"ff:ff:ff:ff:ff:ff\n"
    };
    add_attribute(&node, b"broadcast", 0o444, Content::Static(broadcast))?;
    add_render(&node, b"carrier", device, |device, out| {
        if device.admin_flags() & IFF_UP == 0 {
            return Err(Errno::EINVAL);
        }
        number(out, u64::from(device.has_carrier()))
    })?;
    add_attribute(&node, b"dev_id", 0o444, Content::Static(b"0x0\n"))?;
    add_render(&node, b"flags", device, |device, out| {
        vfs::pseudo::push_fmt(out, format_args!("{:#x}\n", device.admin_flags() & 0xffff))
    })?;
    add_render(&node, b"ifindex", device, |device, out| {
        number(out, u64::from(device.index))
    })?;
    add_render(&node, b"iflink", device, |device, out| {
        number(out, u64::from(device.index))
    })?;
    add_render(&node, b"mtu", device, |device, out| {
        number(out, u64::from(device.mtu.load(Ordering::Relaxed)))
    })?;
    add_render(&node, b"operstate", device, |device, out| {
        let state: &[u8] = if device.kind == ::inet::ifreq::ARPHRD_LOOPBACK {
            b"unknown\n"
        } else if device.admin_flags() & IFF_UP != 0 && device.has_carrier() {
            b"up\n"
        } else {
            b"down\n"
        };
        vfs::pseudo::push(out, state)
    })?;
    add_render(&node, b"tx_queue_len", device, |device, out| {
        number(out, u64::from(device.tx_queue_len))
    })?;
    add_render(&node, b"type", device, |device, out| {
        number(out, u64::from(device.kind))
    })?;
    let statistics = dir(&node, b"statistics", 0o755)?;
    type Stat = fn(&::inet::procnet::DevStats) -> u64;
    let stats: [(&'static [u8], Stat); 23] = [
        (b"collisions", |_| 0),
        (b"multicast", |s| s.multicast),
        (b"rx_bytes", |s| s.rx_bytes),
        (b"rx_compressed", |_| 0),
        (b"rx_crc_errors", |_| 0),
        (b"rx_dropped", |s| s.rx_dropped),
        (b"rx_errors", |s| s.rx_errors),
        (b"rx_fifo_errors", |_| 0),
        (b"rx_frame_errors", |_| 0),
        (b"rx_length_errors", |_| 0),
        (b"rx_missed_errors", |_| 0),
        (b"rx_nohandler", |_| 0),
        (b"rx_over_errors", |_| 0),
        (b"rx_packets", |s| s.rx_packets),
        (b"tx_aborted_errors", |_| 0),
        (b"tx_bytes", |s| s.tx_bytes),
        (b"tx_carrier_errors", |_| 0),
        (b"tx_compressed", |_| 0),
        (b"tx_dropped", |s| s.tx_dropped),
        (b"tx_errors", |s| s.tx_errors),
        (b"tx_fifo_errors", |_| 0),
        (b"tx_heartbeat_errors", |_| 0),
        (b"tx_packets", |s| s.tx_packets),
    ];
    for (name, value) in stats {
        let weak = Arc::downgrade(device);
        statistics.add(
            name,
            RenderFile::new(next_ino(), 0o444, move |out| match weak.upgrade() {
                Some(device) => number(out, value(&device.stats())),
                None => Err(Errno::ENODEV),
            }),
        )?;
    }
    // devices/<parent>/net/<name>: depth below /sys.
    let depth = 1 + parent_path.split('/').count() + 2;
    let mut subsystem = alloc::vec::Vec::new();
    for _ in 0..depth {
        vfs::pseudo::push(&mut subsystem, b"../")?;
    }
    vfs::pseudo::push(&mut subsystem, b"class/net")?;
    add_link(&node, b"subsystem", &subsystem)?;
    let uevent = alloc::format!("INTERFACE={}\nIFINDEX={}\n", device.name(), device.index);
    add_uevent(&node, 0o644, Content::Text(uevent.into_bytes()))?;
    parent.add(device.name().as_bytes(), node)?;
    let class = dir(&tree.class, b"net", 0o755)?;
    add_link(
        &class,
        device.name().as_bytes(),
        alloc::format!("../../devices/{parent_path}/net/{}", device.name()).as_bytes(),
    )?;
    Ok(())
}
