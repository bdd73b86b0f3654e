//! The virtio block driver (virtio 1.2 §5.2; Linux's `drivers/block/virtio_blk.c`).
//!
//! One request queue (queue 0) of up to 256 descriptors. A request is a chain: a 16-byte
//! header the device reads (type, sector), the data segments (written by the device for a
//! read), and a status byte the device writes. Headers and status bytes live in one
//! DMA-coherent area, indexed by the chain's head descriptor, so they need no allocation per
//! request. Requests that do not fit the ring wait in a queue and start as completions free
//! descriptors; completions come from the interrupt (MSI-X, or INTx through the ISR register),
//! whose deferred handler finishes them, so as many requests are in flight as the ring holds.
//!
//! Features used when offered: `SEG_MAX` (segments per request, else 1), `BLK_SIZE` (the
//! logical block size, 512 when absent or not a power of two from 512 to 4096), `RO`,
//! `FLUSH` (the block layer sends flush requests on fsync), `GEOMETRY` (`HDIO_GETGEO`),
//! `TOPOLOGY` (the physical block size). A request the device cannot serve (past the end of
//! the disk, a segment over a page) is failed with `EIO` before it reaches the device; a
//! status other than OK is `EIO`.

use super::pci::{self, Transport};
use super::queue::{Buffer, SplitQueue};
use crate::block::{DiskParams, Geometry, Op, Request};
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use hal::dma::DmaCoherent;
use hal::irq::IrqLine;
use hal::pci::{PciDevice, PciFunctionInfo};
use hal::sync::SpinLock;
use spin::Once;

const VENDOR_VIRTIO: u16 = 0x1af4;
/// Transitional and modern block device ids.
const DEVICE_BLK_TRANSITIONAL: u16 = 0x1001;
const DEVICE_BLK_MODERN: u16 = 0x1042;

const F_SEG_MAX: u64 = 1 << 2;
const F_GEOMETRY: u64 = 1 << 4;
const F_RO: u64 = 1 << 5;
const F_BLK_SIZE: u64 = 1 << 6;
const F_FLUSH: u64 = 1 << 9;
const F_TOPOLOGY: u64 = 1 << 10;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const S_OK: u8 = 0;

/// Largest queue used.
const MAX_QUEUE_SIZE: u16 = 256;

struct Inner {
    queue: SplitQueue,
    /// The request of each chain in flight, by head descriptor.
    in_flight: Vec<Option<Request>>,
    /// Requests waiting for descriptors.
    waiting: VecDeque<Request>,
}

/// One virtio block device.
pub struct VirtioBlk {
    transport: Transport,
    inner: SpinLock<Inner>,
    /// Header of the chain with head `h` at `16 h`, its status byte at `16 size + h`.
    headers: DmaCoherent,
    queue_size: u16,
    notify_offset: AtomicU32,
    sectors: u64,
    max_segments: usize,
    irq: Once<IrqLine>,
    config_irq: Once<IrqLine>,
}

impl VirtioBlk {
    fn status_offset(&self, head: u16) -> usize {
        16 * usize::from(self.queue_size) + usize::from(head)
    }

    /// Puts `request` in the ring, or gives it back if the ring is full. Invalid requests are
    /// returned as `Err(Ok(request))`, to fail.
    fn start(&self, inner: &mut Inner, request: Request) -> Result<(), Result<Request, Request>> {
        let segments = request.segments.len();
        let is_valid = match request.op {
            Op::Flush => request.is_empty(),
            Op::Read | Op::Write => {
                let sectors = request.len().div_ceil(512);
                segments > 0
                    && segments <= self.max_segments
                    && request
                        .segments
                        .iter()
                        .all(|segment| segment.len > 0 && segment.offset + segment.len <= 4096)
                    && request
                        .sector
                        .checked_add(sectors)
                        .is_some_and(|end| end <= self.sectors)
            }
        };
        if !is_valid {
            return Err(Ok(request));
        }
        if inner.queue.free_count() < segments + 2 {
            return Err(Err(request));
        }
        let Some(head) = inner.queue.next_head() else {
            return Err(Err(request));
        };
        let kind = match request.op {
            Op::Read => T_IN,
            Op::Write => T_OUT,
            Op::Flush => T_FLUSH,
        };
        let header = 16 * usize::from(head);
        let status = self.status_offset(head);
        let written = self
            .headers
            .write_u32(header, kind)
            .and_then(|()| self.headers.write_u32(header + 4, 0))
            .and_then(|()| self.headers.write_u64(header + 8, request.sector))
            .and_then(|()| self.headers.write_u8(status, 0xff));
        let mut buffers = Vec::new();
        let built = written.and_then(|()| {
            buffers
                .try_reserve_exact(segments + 2)
                .map_err(|_| Errno::ENOMEM)?;
            buffers.push(Buffer {
                addr: self.headers.dma_addr(header)?,
                len: 16,
                is_device_writable: false,
            });
            for segment in &request.segments {
                buffers.push(Buffer {
                    addr: segment.stream.dma_addr(segment.offset as usize)?,
                    len: segment.len,
                    is_device_writable: request.op == Op::Read,
                });
            }
            buffers.push(Buffer {
                addr: self.headers.dma_addr(status)?,
                len: 1,
                is_device_writable: true,
            });
            inner.queue.add(&buffers)
        });
        match built {
            Ok(added) if added == head => {
                inner.in_flight[usize::from(head)] = Some(request);
                Ok(())
            }
            // The ring's own bookkeeping disagreed with the prediction: cannot happen, but a
            // request in a chain nobody tracks would never complete, so fail it.
            Ok(_) | Err(_) => Err(Ok(request)),
        }
    }

    fn notify(&self) {
        let _ = self
            .transport
            .notify(self.notify_offset.load(Ordering::Relaxed), 0);
    }

    /// A configuration change (MSI-X entry 0, or the ISR's bit 1 with INTx): Linux resizes the
    /// disk when its capacity changed; Ferrux keeps the size it probed and says so.
    fn config_changed(&self) {
        let capacity = self.transport.read_config(|config| {
            Ok(u64::from(config.read_u32(0)?) | (u64::from(config.read_u32(4)?) << 32))
        });
        if let Ok(capacity) = capacity
            && capacity != self.sectors
        {
            log::warn!(
                "virtio_blk: capacity changed to {capacity} sectors; resizing is not supported"
            );
        }
    }

    /// The deferred interrupt handler: finishes what the device returned and starts waiting
    /// requests.
    fn handle_interrupt(&self) {
        if self
            .irq
            .get()
            .is_some_and(|line| line.msix_entry().is_none())
        {
            // INTx: reading the ISR deasserts the line.
            let _ = self.transport.read_isr();
        }
        let mut finished: Vec<(Request, Result<(), Errno>)> = Vec::new();
        let _ = finished.try_reserve(usize::from(self.queue_size));
        let mut failed = Vec::new();
        let mut started = false;
        {
            let mut inner = self.inner.lock();
            while let Some((head, _)) = inner.queue.pop_used() {
                let Some(request) = inner.in_flight[usize::from(head)].take() else {
                    continue;
                };
                let status = self.headers.read_u8(self.status_offset(head));
                let result = match status {
                    Ok(S_OK) => Ok(()),
                    _ => Err(Errno::EIO),
                };
                if finished.len() < finished.capacity() {
                    finished.push((request, result));
                } else {
                    request.complete(result);
                }
            }
            while let Some(request) = inner.waiting.pop_front() {
                match self.start(&mut inner, request) {
                    Ok(()) => started = true,
                    Err(Err(request)) => {
                        inner.waiting.push_front(request);
                        break;
                    }
                    Err(Ok(request)) => {
                        if failed.try_reserve(1).is_ok() {
                            failed.push(request);
                        } else {
                            request.complete(Err(Errno::EIO));
                        }
                    }
                }
            }
        }
        if started {
            self.notify();
        }
        for (request, result) in finished {
            request.complete(result);
        }
        for request in failed {
            request.complete(Err(Errno::EIO));
        }
    }
}

impl crate::block::BlockDriver for VirtioBlk {
    fn submit(&self, request: Request) {
        let outcome = {
            let mut inner = self.inner.lock();
            if inner.waiting.is_empty() {
                match self.start(&mut inner, request) {
                    Ok(()) => Ok(true),
                    Err(Err(request)) => match inner.waiting.try_reserve(1) {
                        Ok(()) => {
                            inner.waiting.push_back(request);
                            Ok(false)
                        }
                        Err(_) => Err(request),
                    },
                    Err(Ok(request)) => Err(request),
                }
            } else {
                match inner.waiting.try_reserve(1) {
                    Ok(()) => {
                        inner.waiting.push_back(request);
                        Ok(false)
                    }
                    Err(_) => Err(request),
                }
            }
        };
        match outcome {
            Ok(true) => self.notify(),
            Ok(false) => {}
            Err(request) => request.complete(Err(Errno::EIO)),
        }
    }

    fn max_segments(&self) -> usize {
        self.max_segments
    }
}

/// Whether `info` is a virtio block function.
fn is_virtio_blk(info: &PciFunctionInfo) -> bool {
    info.vendor_id == VENDOR_VIRTIO
        && matches!(info.device_id, DEVICE_BLK_TRANSITIONAL | DEVICE_BLK_MODERN)
}

/// Probes every virtio block function, in bus order.
pub fn probe() {
    super::probe_in_bus_order("virtio_blk", is_virtio_blk, probe_one);
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
    let features = pci::F_VERSION_1
        | (offered & (F_SEG_MAX | F_GEOMETRY | F_RO | F_BLK_SIZE | F_FLUSH | F_TOPOLOGY));
    if let Err(error) = transport.negotiate(features) {
        let _ = transport.add_status(pci::STATUS_FAILED);
        return Err(error);
    }
    let has = |bit: u64| features & bit != 0;
    let config = transport.read_config(|config| {
        let capacity = u64::from(config.read_u32(0)?) | (u64::from(config.read_u32(4)?) << 32);
        let seg_max = if has(F_SEG_MAX) {
            config.read_u32(12)?
        } else {
            1
        };
        let geometry = if has(F_GEOMETRY) {
            Some(Geometry {
                cylinders: config.read_u16(16)?,
                heads: config.read_u8(18)?,
                sectors: config.read_u8(19)?,
            })
        } else {
            None
        };
        let blk_size = if has(F_BLK_SIZE) {
            config.read_u32(20)?
        } else {
            512
        };
        let physical_exp = if has(F_TOPOLOGY) {
            config.read_u8(24)?
        } else {
            0
        };
        Ok((capacity, seg_max, geometry, blk_size, physical_exp))
    });
    let (capacity, seg_max, geometry, blk_size, physical_exp) = match config {
        // Bytes must fit 64 bits (a device may claim any capacity).
        Ok((capacity, seg_max, geometry, blk_size, physical_exp)) => (
            capacity.min(u64::MAX >> 10),
            seg_max,
            geometry,
            blk_size,
            physical_exp,
        ),
        Err(error) => {
            let _ = transport.add_status(pci::STATUS_FAILED);
            return Err(error);
        }
    };
    let logical_block_size = if blk_size.is_power_of_two() && (512..=4096).contains(&blk_size) {
        blk_size
    } else {
        512
    };
    let physical_block_size = if physical_exp <= 3 {
        logical_block_size << physical_exp
    } else {
        logical_block_size
    };
    let max_size = transport.queue_max_size(0)?;
    if max_size == 0 {
        let _ = transport.add_status(pci::STATUS_FAILED);
        return Err(Errno::ENODEV);
    }
    let mut queue_size = max_size.min(MAX_QUEUE_SIZE);
    if !queue_size.is_power_of_two() {
        queue_size = 1 << (15 - queue_size.leading_zeros());
    }
    let queue = SplitQueue::try_new(queue_size)?;
    let headers = DmaCoherent::try_new(17 * usize::from(queue_size))?;
    let mut in_flight = Vec::new();
    in_flight
        .try_reserve_exact(usize::from(queue_size))
        .map_err(|_| Errno::ENOMEM)?;
    in_flight.resize_with(usize::from(queue_size), || None);
    let max_segments = (seg_max.max(1) as usize)
        .min(usize::from(queue_size) - 2)
        .min(256);
    let rings = queue.ring_addresses()?;
    let driver = Arc::new(VirtioBlk {
        transport,
        inner: SpinLock::new(
            "virtio_blk.queue",
            Inner {
                queue,
                in_flight,
                waiting: VecDeque::new(),
            },
        ),
        headers,
        queue_size,
        notify_offset: AtomicU32::new(0),
        sectors: capacity,
        max_segments,
        irq: Once::new(),
        config_irq: Once::new(),
    });
    let failed = |error: Errno| {
        let _ = driver.transport.add_status(pci::STATUS_FAILED);
        error
    };
    // With MSI-X, entry 0 reports configuration changes and entry 1 the request queue, as
    // Linux's virtio-pci sets them up; with INTx one line carries both (the ISR tells).
    let device_name = alloc::format!("virtio{index}");
    let config_vector = if driver.transport.device.uses_msix() {
        let weak: Weak<VirtioBlk> = Arc::downgrade(&driver);
        let line = driver
            .transport
            .device
            .request_irq(Arc::new(move || {
                if let Some(driver) = weak.upgrade() {
                    driver.config_changed();
                }
            }))
            .map_err(failed)?;
        crate::drivers::interrupts::register(&line, alloc::format!("{device_name}-config"));
        let entry = line.msix_entry().unwrap_or(pci::NO_VECTOR);
        driver.config_irq.call_once(|| line);
        entry
    } else {
        pci::NO_VECTOR
    };
    let weak: Weak<VirtioBlk> = Arc::downgrade(&driver);
    let line = driver
        .transport
        .device
        .request_irq(Arc::new(move || {
            if let Some(driver) = weak.upgrade() {
                driver.handle_interrupt();
            }
        }))
        .map_err(failed)?;
    let queue_vector = line.msix_entry().unwrap_or(pci::NO_VECTOR);
    let line_name = if line.msix_entry().is_some() {
        alloc::format!("{device_name}-req.0")
    } else {
        device_name
    };
    crate::drivers::interrupts::register(&line, line_name);
    driver.irq.call_once(|| line);
    let offset = driver
        .transport
        .set_config_vector(config_vector)
        .and_then(|()| {
            driver
                .transport
                .setup_queue(0, queue_size, rings, queue_vector)
        })
        .map_err(failed)?;
    driver.notify_offset.store(offset, Ordering::Relaxed);
    driver.transport.add_status(pci::STATUS_DRIVER_OK)?;
    let params = DiskParams {
        // Name and numbers: the block layer's next virtio disk.
        name: alloc::string::String::new(),
        major: 0,
        first_minor: 0,
        minors: 0,
        has_partitions: true,
        sectors: capacity,
        logical_block_size,
        physical_block_size,
        is_read_only: has(F_RO),
        has_flush: has(F_FLUSH),
        geometry,
        sysfs_parent: alloc::format!(
            "pci{:04x}:{:02x}/{address}/virtio{index}",
            address.segment,
            address.bus
        ),
    };
    crate::block::add_virtio_disk(params, driver)?;
    Ok(())
}
