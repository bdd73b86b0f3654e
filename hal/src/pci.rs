//! PCI: configuration access, enumeration, BARs, MSI-X, and the safe handle drivers get
//! ([`PciDevice`]), as Linux's `drivers/pci/probe.c` and `drivers/pci/msi/`.
//!
//! Configuration space is reached through ECAM when the ACPI MCFG table describes it (QEMU's
//! q35), otherwise through the legacy ports 0xcf8/0xcfc (QEMU's default i440fx machine has no
//! MCFG). [`init`] walks bus 0 and every bus behind a PCI-to-PCI bridge, sizes each BAR (decode
//! off while the all-ones pattern is in it, as Linux's `__pci_read_base`), and records the
//! functions. Drivers take functions out with [`claim`]: each function is handed out once, as a
//! [`PciDevice`] that can read its own configuration space (and write nothing but the command
//! bits hal manages), map windows of its own BARs ([`IoMem`], [`IoPorts`]) and request
//! interrupts ([`IrqLine`]): an MSI-X vector when the function has MSI-X (and `pci=nomsi` was
//! not given), else its INTx pin through the I/O APIC, level-triggered, at the GSI the firmware
//! wrote into the interrupt-line register (right for i440fx; q35's INTx would need the ACPI
//! `_PRT`, which hal does not interpret, so q35 relies on MSI-X).
//!
//! Nothing here trusts the device beyond what hal needs: capability lists are walked with a
//! bound, BAR windows are checked against the sizes found, and a BAR is mapped only over the
//! part a driver asks for.

use crate::acpi::{EcamWindow, SourceOverride};
use crate::arch::x86_64::io::{IoPorts, Port};
use crate::arch::x86_64::ioapic;
use crate::irq::{self, IrqHandler, IrqLine, Trigger};
use crate::mm::mmio::{IoMem, MmioRegion};
use crate::sync::{SpinLock, SpinLockIrq};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Once;

const CONFIG_ADDRESS: Port = Port(0xcf8);
const CONFIG_DATA: u16 = 0xcfc;

const REG_COMMAND: u16 = 0x04;
const REG_HEADER_TYPE: u16 = 0x0e;
const REG_BAR0: u16 = 0x10;
const REG_SECONDARY_BUS: u16 = 0x19;
const REG_CAPABILITIES: u16 = 0x34;
const REG_INTERRUPT_LINE: u16 = 0x3c;
const STATUS_CAPABILITIES: u32 = 1 << 20;

const COMMAND_IO: u16 = 1 << 0;
const COMMAND_MEMORY: u16 = 1 << 1;
const COMMAND_BUS_MASTER: u16 = 1 << 2;
const COMMAND_INTX_DISABLE: u16 = 1 << 10;

const CAP_MSIX: u8 = 0x11;

/// A function's address: segment, bus, device, function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PciAddress {
    pub segment: u16,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl core::fmt::Display for PciAddress {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{}",
            self.segment, self.bus, self.device, self.function
        )
    }
}

/// What a BAR decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// Memory space (`is_64bit` when it takes two BAR registers).
    Memory {
        is_64bit: bool,
        is_prefetchable: bool,
    },
    /// I/O space.
    Io,
}

/// A BAR as enumerated: its kind and size (the address stays inside hal).
#[derive(Clone, Copy, Debug)]
pub struct BarInfo {
    pub kind: BarKind,
    pub size: u64,
    base: u64,
}

#[derive(Clone, Copy, Debug)]
struct MsixCapability {
    offset: u16,
    table_size: u16,
    table_bar: u8,
    table_offset: u32,
}

/// Identity and resources of one function, as enumerated.
#[derive(Clone, Debug)]
pub struct PciFunctionInfo {
    pub address: PciAddress,
    pub vendor_id: u16,
    pub device_id: u16,
    /// Class code, subclass and programming interface (`0xCCSSPP`).
    pub class: u32,
    pub revision: u8,
    pub subsystem_vendor_id: u16,
    pub subsystem_id: u16,
    /// BARs 0-5 (a 64-bit BAR fills its index; the next is `None`).
    pub bars: [Option<BarInfo>; 6],
    /// Interrupt pin (1 = INTA … 4 = INTD, 0 = none) and the line the firmware routed it to.
    pub interrupt_pin: u8,
    pub interrupt_line: u8,
    msix: Option<MsixCapability>,
}

impl PciFunctionInfo {
    /// Whether the function has an MSI-X capability.
    pub fn has_msix(&self) -> bool {
        self.msix.is_some()
    }
}

/// How configuration space is reached.
enum Access {
    Ports,
    Ecam(Vec<EcamWindow>),
}

struct Config {
    access: Access,
    /// ECAM buses mapped so far: (segment, bus, 1 MiB window).
    mapped: Vec<(u16, u8, MmioRegion)>,
}

static CONFIG: Once<SpinLockIrq<Config>> = Once::new();
static FUNCTIONS: SpinLock<Vec<(PciFunctionInfo, bool)>> =
    SpinLock::new("pci.functions", Vec::new());
static MSI_DISABLED: AtomicBool = AtomicBool::new(false);
/// The MADT's interrupt source overrides (QEMU lists the PCI lines 5, 9, 10 and 11 there).
static OVERRIDES: Once<Vec<SourceOverride>> = Once::new();

/// The GSI and polarity of the INTx the firmware routed to interrupt line `line`: through the
/// MADT's override for that ISA number if there is one (polarity bits 3 = active low), else the
/// GSI of the same number, active high (as QEMU's PIIX drives its PCI lines, and as its DSDT's
/// link devices describe them).
fn intx_gsi(line: u8) -> (u32, bool) {
    let found = OVERRIDES
        .get()
        .and_then(|overrides| overrides.iter().find(|entry| entry.source == line).copied());
    match found {
        Some(entry) => (entry.gsi, entry.flags & 3 == 3),
        None => (u32::from(line), false),
    }
}

impl Config {
    /// The ECAM window of `address`'s bus, mapped on first use.
    fn ecam(&mut self, address: PciAddress) -> Option<&MmioRegion> {
        let Access::Ecam(windows) = &self.access else {
            return None;
        };
        let index = match self
            .mapped
            .iter()
            .position(|(segment, bus, _)| *segment == address.segment && *bus == address.bus)
        {
            Some(index) => index,
            None => {
                let window = windows.iter().find(|window| {
                    window.segment == address.segment
                        && (window.bus_start..=window.bus_end).contains(&address.bus)
                })?;
                let base = window.base + (u64::from(address.bus - window.bus_start) << 20);
                self.mapped.try_reserve(1).ok()?;
                self.mapped
                    .push((address.segment, address.bus, MmioRegion::map(base, 1 << 20)));
                self.mapped.len() - 1
            }
        };
        Some(&self.mapped[index].2)
    }

    fn read_u32(&mut self, address: PciAddress, offset: u16) -> u32 {
        let offset = offset & !3;
        if matches!(self.access, Access::Ecam(_)) {
            let function_offset =
                (usize::from(address.device) << 15) | (usize::from(address.function) << 12);
            return match self.ecam(address) {
                Some(region) if offset < 4096 => {
                    region.read_u32(function_offset + usize::from(offset))
                }
                _ => u32::MAX,
            };
        }
        if address.segment != 0 || offset >= 256 {
            return u32::MAX;
        }
        CONFIG_ADDRESS.write_u32(port_address(address, offset));
        Port(CONFIG_DATA).read_u32()
    }

    fn write_u32(&mut self, address: PciAddress, offset: u16, value: u32) {
        let offset = offset & !3;
        if matches!(self.access, Access::Ecam(_)) {
            let function_offset =
                (usize::from(address.device) << 15) | (usize::from(address.function) << 12);
            if let Some(region) = self.ecam(address)
                && offset < 4096
            {
                region.write_u32(function_offset + usize::from(offset), value);
            }
            return;
        }
        if address.segment != 0 || offset >= 256 {
            return;
        }
        CONFIG_ADDRESS.write_u32(port_address(address, offset));
        Port(CONFIG_DATA).write_u32(value);
    }
}

fn port_address(address: PciAddress, offset: u16) -> u32 {
    (1 << 31)
        | (u32::from(address.bus) << 16)
        | (u32::from(address.device) << 11)
        | (u32::from(address.function) << 8)
        | u32::from(offset & 0xfc)
}

fn config() -> Option<&'static SpinLockIrq<Config>> {
    CONFIG.get()
}

fn read_u32(address: PciAddress, offset: u16) -> u32 {
    config().map_or(u32::MAX, |config| config.lock().read_u32(address, offset))
}

fn read_u16(address: PciAddress, offset: u16) -> u16 {
    (read_u32(address, offset) >> ((offset & 2) * 8)) as u16
}

fn read_u8(address: PciAddress, offset: u16) -> u8 {
    (read_u32(address, offset) >> ((offset & 3) * 8)) as u8
}

fn write_u32(address: PciAddress, offset: u16, value: u32) {
    if let Some(config) = config() {
        config.lock().write_u32(address, offset, value);
    }
}

/// Writes the 16-bit register at `offset` (read-modify-write of its dword).
fn write_u16(address: PciAddress, offset: u16, value: u16) {
    if let Some(config) = config() {
        let mut config = config.lock();
        let shift = (offset & 2) * 8;
        let old = config.read_u32(address, offset);
        let new = (old & !(0xffff << shift)) | (u32::from(value) << shift);
        config.write_u32(address, offset, new);
    }
}

/// Whether the access method is ECAM (from MCFG) rather than the legacy ports.
pub fn uses_ecam() -> bool {
    config().is_some_and(|config| matches!(config.lock().access, Access::Ecam(_)))
}

/// Sizes the BARs of a type-0 function.
fn read_bars(address: PciAddress) -> [Option<BarInfo>; 6] {
    let mut bars = [None; 6];
    let command = read_u16(address, REG_COMMAND);
    // Decode off while the sizing pattern is in the BARs.
    write_u16(
        address,
        REG_COMMAND,
        command & !(COMMAND_IO | COMMAND_MEMORY),
    );
    let mut index = 0;
    while index < 6 {
        let offset = REG_BAR0 + 4 * index as u16;
        let original = read_u32(address, offset);
        write_u32(address, offset, u32::MAX);
        let mask = read_u32(address, offset);
        write_u32(address, offset, original);
        if original & 1 == 1 {
            let size = (!(mask & !0x3) & 0xffff).wrapping_add(1) & 0xffff;
            if mask != 0 && size != 0 {
                bars[index] = Some(BarInfo {
                    kind: BarKind::Io,
                    size: u64::from(size),
                    base: u64::from(original & !0x3),
                });
            }
            index += 1;
            continue;
        }
        let is_64bit = (original >> 1) & 3 == 2;
        let is_prefetchable = original & 8 != 0;
        let (mut base, mut size_mask) = (u64::from(original & !0xf), u64::from(mask & !0xf));
        if is_64bit && index < 5 {
            let high = read_u32(address, offset + 4);
            write_u32(address, offset + 4, u32::MAX);
            let high_mask = read_u32(address, offset + 4);
            write_u32(address, offset + 4, high);
            base |= u64::from(high) << 32;
            size_mask |= u64::from(high_mask) << 32;
        } else {
            size_mask |= 0xffff_ffff_0000_0000;
        }
        let size = (!size_mask).wrapping_add(1);
        if size_mask & 0xffff_fff0 != 0 && size != 0 {
            bars[index] = Some(BarInfo {
                kind: BarKind::Memory {
                    is_64bit,
                    is_prefetchable,
                },
                size,
                base,
            });
        }
        index += if is_64bit { 2 } else { 1 };
    }
    write_u16(address, REG_COMMAND, command);
    bars
}

/// Capability list entries `(id, offset)`, at most 48 (a looping list ends there).
fn capabilities(address: PciAddress) -> Vec<(u8, u16)> {
    let mut found = Vec::new();
    if read_u32(address, REG_COMMAND) & STATUS_CAPABILITIES == 0 {
        return found;
    }
    let mut offset = u16::from(read_u8(address, REG_CAPABILITIES) & 0xfc);
    while offset >= 0x40 && found.len() < 48 {
        let header = read_u16(address, offset);
        if found.try_reserve(1).is_err() {
            break;
        }
        found.push((header as u8, offset));
        offset = (header >> 8) & 0xfc;
    }
    found
}

fn read_function(address: PciAddress) -> Option<PciFunctionInfo> {
    let id = read_u32(address, 0);
    let vendor_id = id as u16;
    if vendor_id == 0xffff || vendor_id == 0 {
        return None;
    }
    let class_revision = read_u32(address, 0x08);
    let header_type = read_u8(address, REG_HEADER_TYPE) & 0x7f;
    let (bars, subsystem) = if header_type == 0 {
        (read_bars(address), read_u32(address, 0x2c))
    } else {
        ([None; 6], 0)
    };
    let msix = capabilities(address)
        .into_iter()
        .find(|&(id, _)| id == CAP_MSIX)
        .map(|(_, offset)| {
            let control = read_u16(address, offset + 2);
            let table = read_u32(address, offset + 4);
            MsixCapability {
                offset,
                table_size: (control & 0x7ff) + 1,
                table_bar: (table & 7) as u8,
                table_offset: table & !7,
            }
        });
    let interrupt = read_u32(address, REG_INTERRUPT_LINE);
    Some(PciFunctionInfo {
        address,
        vendor_id,
        device_id: (id >> 16) as u16,
        class: class_revision >> 8,
        revision: class_revision as u8,
        subsystem_vendor_id: subsystem as u16,
        subsystem_id: (subsystem >> 16) as u16,
        bars,
        interrupt_pin: (interrupt >> 8) as u8,
        interrupt_line: interrupt as u8,
        msix,
    })
}

fn scan_bus(segment: u16, bus: u8, depth: usize, found: &mut Vec<(PciFunctionInfo, bool)>) {
    for device in 0..32 {
        let first = PciAddress {
            segment,
            bus,
            device,
            function: 0,
        };
        if read_u16(first, 0) == 0xffff {
            continue;
        }
        let functions = if read_u8(first, REG_HEADER_TYPE) & 0x80 != 0 {
            8
        } else {
            1
        };
        for function in 0..functions {
            let address = PciAddress { function, ..first };
            let Some(info) = read_function(address) else {
                continue;
            };
            let is_bridge = read_u8(address, REG_HEADER_TYPE) & 0x7f == 1;
            if found.try_reserve(1).is_err() {
                return;
            }
            found.push((info, false));
            if is_bridge && depth < 8 {
                let secondary = read_u8(address, REG_SECONDARY_BUS);
                let is_new = secondary > bus
                    && !found.iter().any(|(info, _)| {
                        info.address.segment == segment && info.address.bus == secondary
                    });
                if is_new {
                    scan_bus(segment, secondary, depth + 1, found);
                }
            }
        }
    }
}

/// Chooses the configuration access method from MCFG and enumerates every function.
pub(crate) fn init(ecam: Vec<EcamWindow>, overrides: Vec<SourceOverride>) {
    OVERRIDES.call_once(|| overrides);
    let segments: Vec<u16> = if ecam.is_empty() {
        alloc::vec![0]
    } else {
        let mut segments: Vec<u16> = ecam.iter().map(|window| window.segment).collect();
        segments.sort_unstable();
        segments.dedup();
        segments
    };
    let access = if ecam.is_empty() {
        Access::Ports
    } else {
        Access::Ecam(ecam)
    };
    CONFIG.call_once(|| {
        SpinLockIrq::new(
            "pci.config",
            Config {
                access,
                mapped: Vec::new(),
            },
        )
    });
    let mut found = Vec::new();
    for segment in segments {
        scan_bus(segment, 0, 0, &mut found);
    }
    *FUNCTIONS.lock() = found;
}

/// Every function found at boot, claimed or not (for logs, sysfs and tests).
pub fn functions() -> Vec<PciFunctionInfo> {
    let functions = FUNCTIONS.lock();
    let mut list = Vec::new();
    if list.try_reserve(functions.len()).is_ok() {
        list.extend(functions.iter().map(|(info, _)| info.clone()));
    }
    list
}

/// Makes [`PciDevice::request_irq`] use INTx even where MSI-X exists (Linux's `pci=nomsi`).
pub fn disable_msi() {
    MSI_DISABLED.store(true, Ordering::Relaxed);
}

/// Hands out every unclaimed function that `matches` accepts; each is handed out once.
pub fn claim(matches: impl Fn(&PciFunctionInfo) -> bool) -> Vec<PciDevice> {
    let mut devices = Vec::new();
    let mut functions = FUNCTIONS.lock();
    for (info, is_claimed) in functions.iter_mut() {
        if !*is_claimed && matches(info) && devices.try_reserve(1).is_ok() {
            *is_claimed = true;
            devices.push(PciDevice {
                info: info.clone(),
                msix: Once::new(),
            });
        }
    }
    devices
}

/// A function's MSI-X table, mapped, with the entries in use.
pub(crate) struct MsixTable {
    region: MmioRegion,
    used: SpinLock<Vec<bool>>,
}

impl MsixTable {
    /// Sends entry `entry`'s messages to the CPU with local APIC id `apic_id`: masked while
    /// its address changes (a message raised meanwhile stays pending and is sent on unmask).
    pub(crate) fn retarget(&self, entry: u16, apic_id: u32) {
        let offset = usize::from(entry) * 16;
        if offset + 16 > self.region.len() {
            return;
        }
        let control = self.region.read_u32(offset + 12);
        self.region.write_u32(offset + 12, control | 1);
        self.region
            .write_u32(offset, 0xfee0_0000 | ((apic_id & 0xff) << 12));
        self.region.write_u32(offset + 12, control);
    }

    /// Masks entry `entry` (an `IrqLine` going away).
    pub(crate) fn release(&self, entry: u16) {
        let offset = usize::from(entry) * 16;
        if offset + 16 <= self.region.len() {
            self.region.write_u32(offset + 12, 1);
        }
        if let Some(slot) = self.used.lock().get_mut(usize::from(entry)) {
            *slot = false;
        }
    }
}

/// One PCI function, owned by its driver.
pub struct PciDevice {
    info: PciFunctionInfo,
    msix: Once<Option<Arc<MsixTable>>>,
}

impl PciDevice {
    /// The function's identity and resources.
    pub fn info(&self) -> &PciFunctionInfo {
        &self.info
    }

    /// Reads the byte at `offset` of the function's configuration space (all ones past its
    /// end, as a missing register reads).
    pub fn read_config_u8(&self, offset: u16) -> u8 {
        read_u8(self.info.address, offset)
    }

    /// Reads the 16-bit register at `offset`.
    pub fn read_config_u16(&self, offset: u16) -> u16 {
        read_u16(self.info.address, offset)
    }

    /// Reads the 32-bit register at `offset`.
    pub fn read_config_u32(&self, offset: u16) -> u32 {
        read_u32(self.info.address, offset)
    }

    /// The function's capabilities: `(id, offset)` (vendor-specific ones are how virtio
    /// describes its register windows).
    pub fn capabilities(&self) -> Vec<(u8, u16)> {
        capabilities(self.info.address)
    }

    /// Turns on memory and I/O decoding and bus mastering (Linux's `pci_enable_device` and
    /// `pci_set_master`): the device may now read and write memory it is given.
    pub fn enable(&self) {
        let command = read_u16(self.info.address, REG_COMMAND);
        let mut wanted = command | COMMAND_BUS_MASTER;
        for bar in self.info.bars.iter().flatten() {
            wanted |= match bar.kind {
                BarKind::Io => COMMAND_IO,
                BarKind::Memory { .. } => COMMAND_MEMORY,
            };
        }
        write_u16(self.info.address, REG_COMMAND, wanted);
    }

    /// Turns off bus mastering: the device can no longer reach memory.
    pub fn disable_bus_master(&self) {
        let command = read_u16(self.info.address, REG_COMMAND);
        write_u16(
            self.info.address,
            REG_COMMAND,
            command & !COMMAND_BUS_MASTER,
        );
    }

    /// Maps `len` bytes at `offset` of memory BAR `bar`: `EINVAL` if the BAR is missing, not
    /// memory, or smaller.
    pub fn map_bar(&self, bar: usize, offset: u64, len: usize) -> Result<IoMem, Errno> {
        let info = self
            .info
            .bars
            .get(bar)
            .copied()
            .flatten()
            .ok_or(Errno::EINVAL)?;
        if !matches!(info.kind, BarKind::Memory { .. }) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let end = offset.checked_add(len as u64).ok_or(Errno::EINVAL)?;
        if end > info.size || info.base == 0 || len > 16 << 20 {
            return Err(Errno::EINVAL);
        }
        Ok(IoMem::new(MmioRegion::map(info.base + offset, len)))
    }

    /// The ports of I/O BAR `bar`: `EINVAL` if it is missing or not I/O.
    pub fn io_ports(&self, bar: usize) -> Result<IoPorts, Errno> {
        let info = self
            .info
            .bars
            .get(bar)
            .copied()
            .flatten()
            .ok_or(Errno::EINVAL)?;
        if info.kind != BarKind::Io || info.base == 0 || info.base + info.size > 0x1_0000 {
            return Err(Errno::EINVAL);
        }
        Ok(IoPorts::new(info.base as u16, info.size as u16))
    }

    fn msix_table(&self) -> Option<Arc<MsixTable>> {
        self.msix
            .call_once(|| {
                let capability = self.info.msix?;
                let bar = self
                    .info
                    .bars
                    .get(usize::from(capability.table_bar))
                    .copied()
                    .flatten()?;
                let len = usize::from(capability.table_size) * 16;
                let end = u64::from(capability.table_offset) + len as u64;
                if !matches!(bar.kind, BarKind::Memory { .. }) || end > bar.size || bar.base == 0 {
                    return None;
                }
                let region = MmioRegion::map(bar.base + u64::from(capability.table_offset), len);
                for entry in 0..usize::from(capability.table_size) {
                    region.write_u32(entry * 16 + 12, 1);
                }
                let mut used = Vec::new();
                used.try_reserve_exact(usize::from(capability.table_size))
                    .ok()?;
                used.resize(usize::from(capability.table_size), false);
                // Enable MSI-X (function mask off), and stop INTx.
                let address = self.info.address;
                let control = read_u16(address, capability.offset + 2);
                write_u16(
                    address,
                    capability.offset + 2,
                    (control | 1 << 15) & !(1 << 14),
                );
                let command = read_u16(address, REG_COMMAND);
                write_u16(address, REG_COMMAND, command | COMMAND_INTX_DISABLE);
                Some(Arc::new(MsixTable {
                    region,
                    used: SpinLock::new("pci.msix", used),
                }))
            })
            .clone()
    }

    /// Whether [`PciDevice::request_irq`] gives MSI-X vectors.
    pub fn uses_msix(&self) -> bool {
        !MSI_DISABLED.load(Ordering::Relaxed) && self.info.msix.is_some()
    }

    /// Requests an interrupt: the next free MSI-X entry (its index is
    /// [`IrqLine::msix_entry`], which the driver tells its device), or the INTx line, shared
    /// by every request of the function. `handler` runs as deferred work, outside interrupt
    /// context ([`crate::irq::run_pending`]). `ENOSPC` when the table is full or no vector is
    /// free, `ENODEV` when the function has no usable interrupt.
    pub fn request_irq(&self, handler: IrqHandler) -> Result<IrqLine, Errno> {
        if self.uses_msix() {
            let table = self.msix_table().ok_or(Errno::ENODEV)?;
            let entry = {
                let mut used = table.used.lock();
                let entry = used.iter().position(|used| !used).ok_or(Errno::ENOSPC)?;
                used[entry] = true;
                entry
            };
            let route = irq::Route::Msix {
                table: table.clone(),
                entry: entry as u16,
            };
            let (vector, id, cpu) = match irq::allocate_vector(handler, Trigger::Edge, route) {
                Ok(vector) => vector,
                Err(error) => {
                    table.release(entry as u16);
                    return Err(error);
                }
            };
            let apic_id = crate::smp::apic_id(cpu);
            let offset = entry * 16;
            table
                .region
                .write_u32(offset, 0xfee0_0000 | ((apic_id & 0xff) << 12));
            table.region.write_u32(offset + 4, 0);
            table.region.write_u32(offset + 8, u32::from(vector));
            table.region.write_u32(offset + 12, 0);
            // Linux's MSI domain numbers an interrupt by the function's id and the entry
            // (`pci_msi_domain_calc_hwirq`).
            let address = self.info.address;
            let requester = (u64::from(address.bus) << 8)
                | (u64::from(address.device) << 3)
                | u64::from(address.function);
            let name = crate::irq::IrqName {
                irq: crate::irq::next_msi_irq(),
                chip: "PCI-MSI",
                hwirq: (u64::from(address.segment) << 27) | (requester << 11) | entry as u64,
                flow: "edge",
            };
            return Ok(IrqLine::new_msix((vector, id), entry as u16, table, name));
        }
        if self.info.interrupt_pin == 0 || self.info.interrupt_line == 0xff {
            return Err(Errno::ENODEV);
        }
        let (gsi, is_active_low) = intx_gsi(self.info.interrupt_line);
        if !ioapic::has_gsi(gsi) {
            return Err(Errno::ENODEV);
        }
        let (vector, id, cpu) =
            irq::allocate_vector(handler, Trigger::Level { gsi }, irq::Route::Ioapic { gsi })?;
        ioapic::route(gsi, vector, crate::smp::apic_id(cpu), true, is_active_low);
        let command = read_u16(self.info.address, REG_COMMAND);
        write_u16(
            self.info.address,
            REG_COMMAND,
            command & !COMMAND_INTX_DISABLE,
        );
        ioapic::set_masked(gsi, false);
        Ok(IrqLine::new_intx((vector, id), gsi))
    }
}
