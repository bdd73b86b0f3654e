//! The virtio network driver (virtio 1.2 §5.1; Linux's `drivers/net/virtio_net.c`): the
//! interface `ethN` of one virtio-net PCI function.
//!
//! Two queues: receive (0) and transmit (1). Every frame in either direction is preceded by the
//! 12-byte `virtio_net_hdr` (with `VIRTIO_F_VERSION_1` the header always has `num_buffers`).
//!
//! - Receive: the whole ring is kept full of 2 KiB buffers, one descriptor each, carved from
//!   one DMA-coherent area indexed by descriptor, so the device always has as many buffers as
//!   the ring holds. The deferred interrupt handler copies each finished frame out, gives the
//!   buffer straight back, and hands the frames to the IP layer (`net::ip::receive`) after the
//!   ring's lock is dropped. With `MRG_RXBUF` a frame may span `num_buffers` buffers, which are
//!   joined; a frame whose parts are missing or too long is dropped and counted.
//! - Transmit: each frame is copied with its header into the 2 KiB slot of its descriptor;
//!   the completion interrupt returns the descriptors and tells the IP layer that it may send
//!   again (a full ring makes `transmit` fail with `ENOBUFS`, which the IP layer retries).
//! - Features used when offered: `MAC` (else a random locally administered address, as
//!   Linux's `eth_hw_addr_random`), `STATUS` (the link state, re-read on a configuration
//!   interrupt; without it the link is always up), `MTU` (the initial MTU when it fits a
//!   buffer), `MRG_RXBUF`, and `GUEST_CSUM`: the device may then hand over frames whose
//!   TCP/UDP checksum is partial (`NEEDS_CSUM`), which are completed here before the IP layer
//!   checks them. `CSUM` (transmit checksum offload) is not used: the IP layer computes every
//!   checksum, so there is nothing to offload; no GSO/TSO either (frames are at most the MTU).
//! - Interrupts: with MSI-X, entry 0 for configuration changes, 1 for the receive queue and 2
//!   for the transmit queue (`virtio0-config`, `virtio0-input.0`, `virtio0-output.0`, as Linux
//!   names them); with INTx one handler reads the ISR and does all three.
//!
//! A device that returns garbage (unknown descriptors, lengths past the buffer, a bad
//! `num_buffers`) loses frames, never the kernel: every length is checked before a copy.

use super::pci::{self, Transport};
use super::queue::{Buffer, SplitQueue};
use crate::net::netdev::{self, NetDevice};
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use hal::dma::DmaCoherent;
use hal::irq::IrqLine;
use hal::pci::{PciDevice, PciFunctionInfo};
use hal::sync::SpinLock;
use spin::Once;

const VENDOR_VIRTIO: u16 = 0x1af4;
const DEVICE_NET_TRANSITIONAL: u16 = 0x1000;
const DEVICE_NET_MODERN: u16 = 0x1041;

const F_GUEST_CSUM: u64 = 1 << 1;
const F_MTU: u64 = 1 << 3;
const F_MAC: u64 = 1 << 5;
const F_MRG_RXBUF: u64 = 1 << 15;
const F_STATUS: u64 = 1 << 16;

/// `VIRTIO_NET_S_LINK_UP`.
const S_LINK_UP: u16 = 1;
/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`.
const HDR_F_NEEDS_CSUM: u8 = 1;
/// The header's length with `VERSION_1` (`struct virtio_net_hdr_v1`).
pub const HDR_LEN: usize = 12;
/// One receive or transmit buffer.
const BUF_LEN: usize = 2048;
/// Largest MTU whose frames fit one buffer with the header (and a VLAN tag).
const MAX_MTU: u32 = (BUF_LEN - HDR_LEN - 18) as u32;
/// Ring sizes used at most.
const MAX_QUEUE_SIZE: u16 = 256;
/// Most frames taken per interrupt before the ring is refilled and the frames handed on.
const RX_BATCH: usize = 64;

const RX_QUEUE: u16 = 0;
const TX_QUEUE: u16 = 1;

struct Ring {
    queue: SplitQueue,
    /// Buffer of descriptor `d` at `BUF_LEN * d`.
    buffers: DmaCoherent,
}

/// One virtio network device.
pub struct VirtioNet {
    transport: Transport,
    rx: SpinLock<Ring>,
    tx: SpinLock<Ring>,
    rx_notify: AtomicU32,
    tx_notify: AtomicU32,
    has_status: bool,
    is_link_up: AtomicBool,
    irqs: SpinLock<Vec<IrqLine>>,
    uses_msix: bool,
    netdev: Once<Arc<NetDevice>>,
}

fn ring(size: u16) -> Result<Ring, Errno> {
    Ok(Ring {
        queue: SplitQueue::try_new(size)?,
        buffers: DmaCoherent::try_new(BUF_LEN * usize::from(size))?,
    })
}

/// Offers one empty buffer to the device; false when the ring is full.
fn post_rx(ring: &mut Ring) -> bool {
    let Some(head) = ring.queue.next_head() else {
        return false;
    };
    let Ok(addr) = ring.buffers.dma_addr(BUF_LEN * usize::from(head)) else {
        return false;
    };
    ring.queue
        .add(&[Buffer {
            addr,
            len: BUF_LEN as u32,
            is_device_writable: true,
        }])
        .is_ok()
}

impl VirtioNet {
    fn notify(&self, queue: u16) {
        let offset = match queue {
            RX_QUEUE => self.rx_notify.load(Ordering::Relaxed),
            _ => self.tx_notify.load(Ordering::Relaxed),
        };
        let _ = self.transport.notify(offset, queue);
    }

    /// Takes the finished frames (header stripped) and refills the ring.
    fn take_rx(&self, frames: &mut Vec<Vec<u8>>) -> bool {
        let mut ring = self.rx.lock();
        let mut more = false;
        let mut posted = false;
        while let Some((head, len)) = ring.queue.pop_used() {
            let frame = self.read_frame(&mut ring, head, len);
            posted |= post_rx(&mut ring);
            match frame {
                Some(frame) if frames.try_reserve(1).is_ok() => frames.push(frame),
                _ => self.count_rx_dropped(),
            }
            if frames.len() >= RX_BATCH {
                more = true;
                break;
            }
        }
        // Refill what earlier failures left empty.
        while ring.queue.free_count() > 0 && post_rx(&mut ring) {
            posted = true;
        }
        drop(ring);
        if posted {
            self.notify(RX_QUEUE);
        }
        more
    }

    /// Copies the frame of buffer `head` (and of the following buffers it spans with
    /// `MRG_RXBUF`), with the checksum completed if the device left it partial.
    fn read_frame(&self, ring: &mut Ring, head: u16, len: u32) -> Option<Vec<u8>> {
        let len = (len as usize).min(BUF_LEN);
        if len < HDR_LEN + 14 {
            return None;
        }
        let base = BUF_LEN * usize::from(head);
        let mut header = [0u8; HDR_LEN];
        ring.buffers.read_bytes(base, &mut header).ok()?;
        let num_buffers = u16::from_le_bytes([header[10], header[11]]).max(1);
        let mut frame = Vec::new();
        frame
            .try_reserve_exact(len - HDR_LEN)
            .map_err(|_| ())
            .ok()?;
        frame.resize(len - HDR_LEN, 0);
        ring.buffers.read_bytes(base + HDR_LEN, &mut frame).ok()?;
        let mut is_whole = true;
        for _ in 1..num_buffers {
            // The rest of the frame is in the next used buffers (§5.1.6.4.2).
            let Some((next, next_len)) = ring.queue.pop_used() else {
                is_whole = false;
                break;
            };
            let next_len = (next_len as usize).min(BUF_LEN);
            let start = frame.len();
            if start + next_len > 65535 + 18 || frame.try_reserve(next_len).is_err() {
                is_whole = false;
            } else {
                frame.resize(start + next_len, 0);
                let offset = BUF_LEN * usize::from(next);
                if ring
                    .buffers
                    .read_bytes(offset, &mut frame[start..])
                    .is_err()
                {
                    is_whole = false;
                }
            }
            post_rx(ring);
        }
        if !is_whole {
            return None;
        }
        if header[0] & HDR_F_NEEDS_CSUM != 0 {
            let start = u16::from_le_bytes([header[6], header[7]]);
            let offset = u16::from_le_bytes([header[8], header[9]]);
            ::inet::frame::complete_checksum(&mut frame, usize::from(start), usize::from(offset))
                .ok()?;
        }
        Some(frame)
    }

    fn count_rx_dropped(&self) {
        if let Some(device) = self.netdev.get() {
            device.count_rx_dropped();
        }
    }

    /// The receive interrupt: frames to the IP layer, in batches.
    fn handle_rx(&self) {
        let mut frames = Vec::new();
        loop {
            let more = self.take_rx(&mut frames);
            if let Some(device) = self.netdev.get() {
                for frame in frames.drain(..) {
                    device.count_rx(frame.len());
                    crate::net::ip::receive(device, frame);
                }
                crate::net::ip::poll();
            }
            frames.clear();
            if !more {
                break;
            }
        }
    }

    /// Returns the transmit descriptors the device has finished with.
    fn reclaim_tx(ring: &mut Ring) -> bool {
        let mut any = false;
        while ring.queue.pop_used().is_some() {
            any = true;
        }
        any
    }

    /// The transmit interrupt.
    fn handle_tx(&self) {
        let any = Self::reclaim_tx(&mut self.tx.lock());
        if any {
            crate::net::ip::transmit_ready();
        }
    }

    /// A configuration change: the link state.
    fn config_changed(&self) {
        if !self.has_status {
            return;
        }
        if let Ok(status) = self.transport.read_config(|config| config.read_u16(6)) {
            let is_up = status & S_LINK_UP != 0;
            let was = self.is_link_up.swap(is_up, Ordering::AcqRel);
            if was != is_up {
                log::info!("virtio_net: link {}", if is_up { "up" } else { "down" });
            }
        }
    }

    /// INTx: one line for everything; the ISR says whether the configuration changed.
    fn handle_intx(&self) {
        let isr = self.transport.read_isr().unwrap_or(0);
        if isr & 2 != 0 {
            self.config_changed();
        }
        self.handle_tx();
        self.handle_rx();
    }

    /// Free transmit descriptors (reclaiming finished ones first).
    pub fn can_transmit(&self) -> bool {
        let mut ring = self.tx.lock();
        if ring.queue.free_count() == 0 {
            Self::reclaim_tx(&mut ring);
        }
        ring.queue.free_count() > 0
    }
}

impl netdev::Driver for VirtioNet {
    fn transmit(&self, frame: &[u8]) -> Result<(), Errno> {
        if frame.len() < 14 || frame.len() > BUF_LEN - HDR_LEN {
            return Err(Errno::EMSGSIZE);
        }
        {
            let mut ring = self.tx.lock();
            if ring.queue.free_count() == 0 {
                Self::reclaim_tx(&mut ring);
            }
            let head = ring.queue.next_head().ok_or(Errno::ENOBUFS)?;
            let base = BUF_LEN * usize::from(head);
            ring.buffers.write_bytes(base, &[0; HDR_LEN])?;
            ring.buffers.write_bytes(base + HDR_LEN, frame)?;
            let addr = ring.buffers.dma_addr(base)?;
            ring.queue.add(&[Buffer {
                addr,
                len: (HDR_LEN + frame.len()) as u32,
                is_device_writable: false,
            }])?;
        }
        self.notify(TX_QUEUE);
        Ok(())
    }

    fn can_transmit(&self) -> bool {
        VirtioNet::can_transmit(self)
    }

    fn has_carrier(&self) -> bool {
        self.is_link_up.load(Ordering::Acquire)
    }

    fn set_up(&self, _is_up: bool) {
        // The rings stay set up; the IP layer drops frames while the interface is down.
    }
}

fn is_virtio_net(info: &PciFunctionInfo) -> bool {
    info.vendor_id == VENDOR_VIRTIO
        && matches!(info.device_id, DEVICE_NET_TRANSITIONAL | DEVICE_NET_MODERN)
}

/// Probes every virtio network function, in bus order.
pub fn probe() {
    super::probe_in_bus_order("virtio_net", is_virtio_net, probe_one);
}

fn queue_size(transport: &Transport, index: u16) -> Result<u16, Errno> {
    let max = transport.queue_max_size(index)?;
    if max == 0 {
        return Err(Errno::ENODEV);
    }
    let mut size = max.min(MAX_QUEUE_SIZE);
    if !size.is_power_of_two() {
        size = 1 << (15 - size.leading_zeros());
    }
    Ok(size)
}

fn probe_one(device: PciDevice, index: usize) -> Result<(), Errno> {
    let address = device.info().address;
    let transport = Transport::probe(device)?;
    transport.reset()?;
    transport.add_status(pci::STATUS_ACKNOWLEDGE | pci::STATUS_DRIVER)?;
    let offered = transport.device_features()?;
    if offered & pci::F_VERSION_1 == 0 {
        transport.add_status(pci::STATUS_FAILED)?;
        return Err(Errno::ENODEV);
    }
    let features =
        pci::F_VERSION_1 | (offered & (F_GUEST_CSUM | F_MTU | F_MAC | F_MRG_RXBUF | F_STATUS));
    if let Err(error) = transport.negotiate(features) {
        let _ = transport.add_status(pci::STATUS_FAILED);
        return Err(error);
    }
    let has = |bit: u64| features & bit != 0;
    let config = transport.read_config(|config| {
        let mut mac = [0u8; 6];
        if has(F_MAC) {
            for (i, byte) in mac.iter_mut().enumerate() {
                *byte = config.read_u8(i)?;
            }
        }
        let status = if has(F_STATUS) {
            config.read_u16(6)?
        } else {
            S_LINK_UP
        };
        let mtu = if has(F_MTU) {
            config.read_u16(10)?
        } else {
            1500
        };
        Ok((mac, status, mtu))
    });
    let (mut mac, status, mtu) = match config {
        Ok(values) => values,
        Err(error) => {
            let _ = transport.add_status(pci::STATUS_FAILED);
            return Err(error);
        }
    };
    // A multicast or zero address cannot be an interface's own (is_valid_ether_addr).
    if mac[0] & 1 != 0 || mac == [0; 6] {
        let mut random = [0u8; 6];
        crate::random::fill(&mut random);
        mac = random;
        mac[0] = (mac[0] & 0xfe) | 0x02;
    }
    let mtu = if (68..=MAX_MTU).contains(&u32::from(mtu)) {
        u32::from(mtu)
    } else {
        1500
    };
    let rx_size = queue_size(&transport, RX_QUEUE)?;
    let tx_size = queue_size(&transport, TX_QUEUE)?;
    let rx = ring(rx_size)?;
    let tx = ring(tx_size)?;
    let rx_rings = rx.queue.ring_addresses()?;
    let tx_rings = tx.queue.ring_addresses()?;
    let uses_msix = transport.device.uses_msix();
    let driver = Arc::new(VirtioNet {
        transport,
        rx: SpinLock::new("virtio_net.rx", rx),
        tx: SpinLock::new("virtio_net.tx", tx),
        rx_notify: AtomicU32::new(0),
        tx_notify: AtomicU32::new(0),
        has_status: has(F_STATUS),
        is_link_up: AtomicBool::new(status & S_LINK_UP != 0),
        irqs: SpinLock::new("virtio_net.irqs", Vec::new()),
        uses_msix,
        netdev: Once::new(),
    });
    let failed = |error: Errno| {
        let _ = driver.transport.add_status(pci::STATUS_FAILED);
        error
    };
    let name = alloc::format!("virtio{index}");
    let request = |handler: fn(&VirtioNet), line_name: alloc::string::String| {
        let weak: Weak<VirtioNet> = Arc::downgrade(&driver);
        let line = driver.transport.device.request_irq(Arc::new(move || {
            if let Some(driver) = weak.upgrade() {
                handler(&driver);
            }
        }))?;
        crate::drivers::interrupts::register(&line, line_name);
        let entry = line.msix_entry().unwrap_or(pci::NO_VECTOR);
        let mut irqs = driver.irqs.lock();
        irqs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        irqs.push(line);
        Ok::<u16, Errno>(entry)
    };
    let (config_vector, rx_vector, tx_vector) = if driver.uses_msix {
        let config =
            request(VirtioNet::config_changed, alloc::format!("{name}-config")).map_err(failed)?;
        let rx = request(VirtioNet::handle_rx, alloc::format!("{name}-input.0")).map_err(failed)?;
        let tx =
            request(VirtioNet::handle_tx, alloc::format!("{name}-output.0")).map_err(failed)?;
        (config, rx, tx)
    } else {
        request(VirtioNet::handle_intx, name.clone()).map_err(failed)?;
        (pci::NO_VECTOR, pci::NO_VECTOR, pci::NO_VECTOR)
    };
    driver
        .transport
        .set_config_vector(config_vector)
        .map_err(failed)?;
    let rx_offset = driver
        .transport
        .setup_queue(RX_QUEUE, rx_size, rx_rings, rx_vector)
        .map_err(failed)?;
    let tx_offset = driver
        .transport
        .setup_queue(TX_QUEUE, tx_size, tx_rings, tx_vector)
        .map_err(failed)?;
    driver.rx_notify.store(rx_offset, Ordering::Relaxed);
    driver.tx_notify.store(tx_offset, Ordering::Relaxed);
    {
        let mut ring = driver.rx.lock();
        while post_rx(&mut ring) {}
    }
    driver.transport.add_status(pci::STATUS_DRIVER_OK)?;
    driver.notify(RX_QUEUE);
    let sysfs_parent = alloc::format!(
        "pci{:04x}:{:02x}/{address}/virtio{index}",
        address.segment,
        address.bus
    );
    let netdev = match netdev::register(mac, mtu, driver.clone(), sysfs_parent) {
        Ok(netdev) => netdev,
        Err(error) => {
            // The device must stop using the rings before they are freed.
            let _ = driver.transport.reset();
            driver.transport.device.disable_bus_master();
            return Err(error);
        }
    };
    log::info!(
        "virtio_net virtio{index} {}: {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, mtu {mtu}, {} rx / {} tx buffers",
        netdev.name(),
        mac[0],
        mac[1],
        mac[2],
        mac[3],
        mac[4],
        mac[5],
        rx_size,
        tx_size
    );
    driver.netdev.call_once(|| netdev);
    Ok(())
}
