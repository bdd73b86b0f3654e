//! The modern virtio-pci transport (virtio 1.2 §4.1; Linux's `virtio_pci_modern_dev.c`).
//!
//! The function's vendor-specific capabilities (id 9) name, for each configuration structure
//! (common 1, notify 2, ISR 3, device 4), a BAR, an offset and a length; hal maps each window
//! from the BAR it enumerated ([`hal::pci::PciDevice::map_bar`]). A window the device
//! describes badly (too short, in a missing BAR) makes the probe fail with `ENODEV`, never a
//! panic: all accesses go through hal's checked [`IoMem`].

use abi::Errno;
use hal::dma::DmaAddr;
use hal::io::IoMem;
use hal::pci::PciDevice;

const CAP_VENDOR: u8 = 0x09;
const CFG_COMMON: u8 = 1;
const CFG_NOTIFY: u8 = 2;
const CFG_ISR: u8 = 3;
const CFG_DEVICE: u8 = 4;

// The common configuration structure.
const DEVICE_FEATURE_SELECT: usize = 0x00;
const DEVICE_FEATURE: usize = 0x04;
const DRIVER_FEATURE_SELECT: usize = 0x08;
const DRIVER_FEATURE: usize = 0x0c;
const MSIX_CONFIG: usize = 0x10;
const DEVICE_STATUS: usize = 0x14;
const CONFIG_GENERATION: usize = 0x15;
const QUEUE_SELECT: usize = 0x16;
const QUEUE_SIZE: usize = 0x18;
const QUEUE_MSIX_VECTOR: usize = 0x1a;
const QUEUE_ENABLE: usize = 0x1c;
const QUEUE_NOTIFY_OFF: usize = 0x1e;
const QUEUE_DESC: usize = 0x20;
const QUEUE_DRIVER: usize = 0x28;
const QUEUE_DEVICE: usize = 0x30;
const COMMON_LEN: usize = 0x38;

/// Device status bits.
pub const STATUS_ACKNOWLEDGE: u8 = 1;
pub const STATUS_DRIVER: u8 = 2;
pub const STATUS_DRIVER_OK: u8 = 4;
pub const STATUS_FEATURES_OK: u8 = 8;
pub const STATUS_FAILED: u8 = 0x80;

/// `VIRTIO_F_VERSION_1`: the modern interface.
pub const F_VERSION_1: u64 = 1 << 32;
/// "No MSI-X vector" for `msix_config` and `queue_msix_vector`.
pub const NO_VECTOR: u16 = 0xffff;

/// One window a capability describes: BAR, offset, length.
struct CapWindow {
    bar: u8,
    offset: u32,
    length: u32,
}

/// A virtio device's modern PCI interface.
pub struct Transport {
    pub device: PciDevice,
    common: IoMem,
    notify: IoMem,
    notify_multiplier: u32,
    isr: IoMem,
    config: IoMem,
}

fn read_cap(device: &PciDevice, offset: u16) -> CapWindow {
    CapWindow {
        bar: device.read_config_u8(offset + 4),
        offset: device.read_config_u32(offset + 8),
        length: device.read_config_u32(offset + 12),
    }
}

fn map(device: &PciDevice, window: &CapWindow, min_len: usize) -> Result<IoMem, Errno> {
    let len = (window.length as usize).min(1 << 20);
    if len < min_len {
        return Err(Errno::ENODEV);
    }
    device
        .map_bar(usize::from(window.bar), u64::from(window.offset), len)
        .map_err(|_| Errno::ENODEV)
}

impl Transport {
    /// Finds and maps the device's windows; `ENODEV` if it has no usable modern interface.
    pub fn probe(device: PciDevice) -> Result<Transport, Errno> {
        let mut common = None;
        let mut notify = None;
        let mut isr = None;
        let mut config = None;
        for (id, offset) in device.capabilities() {
            if id != CAP_VENDOR {
                continue;
            }
            let kind = device.read_config_u8(offset + 3);
            // The first capability of each kind is the one to use (§4.1.4).
            match kind {
                CFG_COMMON if common.is_none() => common = Some(read_cap(&device, offset)),
                CFG_NOTIFY if notify.is_none() => {
                    notify = Some((
                        read_cap(&device, offset),
                        device.read_config_u32(offset + 16),
                    ))
                }
                CFG_ISR if isr.is_none() => isr = Some(read_cap(&device, offset)),
                CFG_DEVICE if config.is_none() => config = Some(read_cap(&device, offset)),
                _ => {}
            }
        }
        let (Some(common), Some((notify, notify_multiplier)), Some(isr)) = (common, notify, isr)
        else {
            return Err(Errno::ENODEV);
        };
        device.enable();
        let common = map(&device, &common, COMMON_LEN)?;
        let notify = map(&device, &notify, 2)?;
        let isr = map(&device, &isr, 1)?;
        let config = match config {
            Some(window) => map(&device, &window, 1)?,
            None => return Err(Errno::ENODEV),
        };
        Ok(Transport {
            device,
            common,
            notify,
            notify_multiplier,
            isr,
            config,
        })
    }

    /// Resets the device and waits for the reset to finish.
    pub fn reset(&self) -> Result<(), Errno> {
        self.common.write_u8(DEVICE_STATUS, 0)?;
        for _ in 0..1_000_000 {
            if self.common.read_u8(DEVICE_STATUS)? == 0 {
                return Ok(());
            }
            core::hint::spin_loop();
        }
        Err(Errno::EIO)
    }

    /// The device status.
    pub fn status(&self) -> Result<u8, Errno> {
        self.common.read_u8(DEVICE_STATUS)
    }

    /// Adds `bits` to the device status.
    pub fn add_status(&self, bits: u8) -> Result<(), Errno> {
        let status = self.status()?;
        self.common.write_u8(DEVICE_STATUS, status | bits)
    }

    /// The 64 feature bits the device offers.
    pub fn device_features(&self) -> Result<u64, Errno> {
        self.common.write_u32(DEVICE_FEATURE_SELECT, 0)?;
        let low = self.common.read_u32(DEVICE_FEATURE)?;
        self.common.write_u32(DEVICE_FEATURE_SELECT, 1)?;
        let high = self.common.read_u32(DEVICE_FEATURE)?;
        Ok(u64::from(low) | (u64::from(high) << 32))
    }

    /// Tells the device the features the driver uses, then checks that it accepts them
    /// (`FEATURES_OK` stays set); `ENODEV` if not.
    pub fn negotiate(&self, features: u64) -> Result<(), Errno> {
        self.common.write_u32(DRIVER_FEATURE_SELECT, 0)?;
        self.common.write_u32(DRIVER_FEATURE, features as u32)?;
        self.common.write_u32(DRIVER_FEATURE_SELECT, 1)?;
        self.common
            .write_u32(DRIVER_FEATURE, (features >> 32) as u32)?;
        self.add_status(STATUS_FEATURES_OK)?;
        if self.status()? & STATUS_FEATURES_OK == 0 {
            return Err(Errno::ENODEV);
        }
        Ok(())
    }

    /// Routes configuration-change interrupts to MSI-X entry `vector` (or none).
    pub fn set_config_vector(&self, vector: u16) -> Result<(), Errno> {
        self.common.write_u16(MSIX_CONFIG, vector)
    }

    /// The largest size queue `index` may have (0: no such queue).
    pub fn queue_max_size(&self, index: u16) -> Result<u16, Errno> {
        self.common.write_u16(QUEUE_SELECT, index)?;
        self.common.read_u16(QUEUE_SIZE)
    }

    /// Gives queue `index` its size, rings and MSI-X entry, and enables it; returns its notify
    /// offset. `EIO` if the device refuses the vector.
    pub fn setup_queue(
        &self,
        index: u16,
        size: u16,
        rings: [DmaAddr; 3],
        vector: u16,
    ) -> Result<u32, Errno> {
        self.common.write_u16(QUEUE_SELECT, index)?;
        self.common.write_u16(QUEUE_SIZE, size)?;
        self.common.write_dma_addr(QUEUE_DESC, rings[0])?;
        self.common.write_dma_addr(QUEUE_DRIVER, rings[1])?;
        self.common.write_dma_addr(QUEUE_DEVICE, rings[2])?;
        self.common.write_u16(QUEUE_MSIX_VECTOR, vector)?;
        if self.common.read_u16(QUEUE_MSIX_VECTOR)? != vector {
            return Err(Errno::EIO);
        }
        let notify_off = self.common.read_u16(QUEUE_NOTIFY_OFF)?;
        self.common.write_u16(QUEUE_ENABLE, 1)?;
        u32::from(notify_off)
            .checked_mul(self.notify_multiplier)
            .ok_or(Errno::EIO)
    }

    /// Tells the device that queue `index` has new buffers.
    pub fn notify(&self, notify_offset: u32, index: u16) -> Result<(), Errno> {
        self.notify.write_u16(notify_offset as usize, index)
    }

    /// Reads and clears the ISR status (INTx: bit 0 a queue, bit 1 the configuration).
    pub fn read_isr(&self) -> Result<u8, Errno> {
        self.isr.read_u8(0)
    }

    /// Reads the device configuration with a consistent generation (§4.1.4.3.1).
    pub fn read_config<R>(&self, read: impl Fn(&IoMem) -> Result<R, Errno>) -> Result<R, Errno> {
        for _ in 0..100 {
            let before = self.common.read_u8(CONFIG_GENERATION)?;
            let value = read(&self.config)?;
            if self.common.read_u8(CONFIG_GENERATION)? == before {
                return Ok(value);
            }
        }
        Err(Errno::EIO)
    }
}
