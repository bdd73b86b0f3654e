//! Virtio devices over PCI (the virtio 1.2 specification; Linux's `drivers/virtio`).
//!
//! - [`pci`]: the modern virtio-pci transport: the vendor capabilities that place the common,
//!   notify, ISR and device configuration windows in the function's BARs, status handshakes,
//!   feature negotiation and queue set-up.
//! - [`queue`]: split virtqueues in DMA-coherent memory.
//! - [`blk`]: the block device driver.
//! - [`net`]: the network device driver (`eth0`).
//!
//! Why not the `virtio-drivers` crate: its transports and queues reach memory through a `Hal`
//! trait of raw physical addresses and pointers (`dma_alloc` returns a `PhysAddr` and a
//! `NonNull<u8>`, `share` takes a pointer), which would have to be implemented in hal as an
//! unsafe interface that hands physical addresses to this crate, against DESIGN.md's shape 6;
//! and its block driver's simple API waits for each request by polling. The driver here keeps
//! device addresses inside hal's `DmaAddr`, completes requests from the interrupt, and keeps
//! as many requests in flight as the ring holds. The legacy (virtio 0.9) transport is not
//! implemented: every QEMU virtio-pci device offers the modern interface (a transitional
//! device offers both).

pub mod blk;
pub mod net;
pub mod pci;
pub mod queue;

/// Probes every virtio PCI function that has a driver here.
pub fn probe() {
    blk::probe();
    net::probe();
}

/// Whether `info` is any virtio function (for the `virtioN` numbering, which Linux gives in
/// probe order, that is bus order).
fn is_virtio(info: &hal::pci::PciFunctionInfo) -> bool {
    info.vendor_id == 0x1af4 && (0x1000..=0x107f).contains(&info.device_id)
}

/// Claims the PCI functions `matches` accepts and probes each with `probe_one(device, n)` in
/// bus order, `n` being its `virtioN` number (Linux numbers virtio devices in probe order,
/// which is bus order, across every kind); a failed probe is logged under `driver`.
fn probe_in_bus_order(
    driver: &str,
    matches: fn(&hal::pci::PciFunctionInfo) -> bool,
    probe_one: fn(hal::pci::PciDevice, usize) -> Result<(), abi::Errno>,
) {
    let all = hal::pci::functions();
    let mut devices = hal::pci::claim(matches);
    devices.sort_by_key(|device| device.info().address);
    for device in devices {
        let address = device.info().address;
        let index = all
            .iter()
            .filter(|info| is_virtio(info) && info.address < address)
            .count();
        if let Err(error) = probe_one(device, index) {
            log::error!("{driver} {address}: probe failed: {error:?}");
        }
    }
}
