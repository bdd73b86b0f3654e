//! The few ACPI tables hal reads: MCFG (where PCI Express configuration space is memory-mapped)
//! and MADT (the processors' local APICs, the I/O APICs and the ISA interrupt overrides).
//!
//! The RSDP comes from the PVH start info (QEMU passes it); the RSDT or XSDT it points at lists
//! the other tables. Every table is checked (signature, length, checksum) before it is parsed,
//! and parsing reads only inside the checked length, so a bad table is ignored rather than
//! trusted. Tables lie below 4 GiB in every VM firmware we boot (SeaBIOS, the PVH loader), where
//! the direct map reaches them; a table above is ignored. Nothing here interprets AML: PCI
//! interrupt routing without MSI-X uses the line the firmware wrote into configuration space.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// Highest physical address hal reads tables from (the direct map covers at least 4 GiB).
const TABLE_LIMIT: u64 = 1 << 32;

/// One ECAM window of MCFG: PCI segment, bus range, base address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EcamWindow {
    pub segment: u16,
    pub bus_start: u8,
    pub bus_end: u8,
    pub base: u64,
}

/// One I/O APIC of the MADT.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IoApicEntry {
    pub address: u64,
    pub gsi_base: u32,
}

/// An interrupt source override: ISA IRQ `source` arrives at `gsi` with `flags` (MPS INTI).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SourceOverride {
    pub source: u8,
    pub gsi: u32,
    pub flags: u16,
}

/// A processor of the MADT: its local APIC id, and whether it can be started (enabled, or
/// online-capable: ACPI 6.3's bit 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CpuEntry {
    pub apic_id: u32,
    pub is_usable: bool,
}

/// What hal took from the tables.
#[derive(Default, Debug)]
pub(crate) struct AcpiInfo {
    pub ecam: Vec<EcamWindow>,
    pub io_apics: Vec<IoApicEntry>,
    pub overrides: Vec<SourceOverride>,
    /// Processor Local APIC (type 0) and Local x2APIC (type 9) entries, in table order (the
    /// firmware lists the boot CPU first).
    pub cpus: Vec<CpuEntry>,
}

/// Copies `buf.len()` bytes of physical memory at `paddr` (below [`TABLE_LIMIT`]).
fn read_phys(paddr: u64, buf: &mut [u8]) -> bool {
    let Some(end) = paddr.checked_add(buf.len() as u64) else {
        return false;
    };
    if end > TABLE_LIMIT {
        return false;
    }
    let source = crate::mm::phys_to_virt(paddr) as *const u8;
    for (index, byte) in buf.iter_mut().enumerate() {
        // SAFETY: the direct map covers `[0, 4 GiB)` (RAM cached, the rest uncached) for the
        // kernel's whole life, and `[paddr, end)` is inside it. Firmware tables are not Rust
        // objects; a volatile byte read forms no reference and tolerates any contents.
        *byte = unsafe { core::ptr::read_volatile(source.add(index)) };
    }
    true
}

fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

fn read_u64(bytes: &[u8], offset: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(offset..offset + 8)?.try_into().ok()?,
    ))
}

fn read_u16(bytes: &[u8], offset: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        bytes.get(offset..offset + 2)?.try_into().ok()?,
    ))
}

/// Largest table hal reads (MADTs of big machines are a few KiB).
const MAX_TABLE_LEN: u32 = 64 * 1024;

/// The table at `paddr`, whole, if its length and checksum are right.
fn read_table(paddr: u64) -> Option<Vec<u8>> {
    let mut header = [0u8; 36];
    if !read_phys(paddr, &mut header) {
        return None;
    }
    let length = read_u32(&header, 4)?;
    if !(36..=MAX_TABLE_LEN).contains(&length) {
        return None;
    }
    let mut table = Vec::new();
    table.try_reserve_exact(length as usize).ok()?;
    table.resize(length as usize, 0);
    if !read_phys(paddr, &mut table) {
        return None;
    }
    let sum = table.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    (sum == 0).then_some(table)
}

/// Every table listed by the RSDT/XSDT the RSDP names: (signature, bytes).
fn tables() -> Vec<([u8; 4], Vec<u8>)> {
    let rsdp_paddr = crate::boot::ACPI_RSDP.load(Ordering::Relaxed);
    let mut found = Vec::new();
    if rsdp_paddr == 0 {
        return found;
    }
    let mut rsdp = [0u8; 36];
    if !read_phys(rsdp_paddr, &mut rsdp[..20]) || &rsdp[..8] != b"RSD PTR " {
        return found;
    }
    if rsdp[..20].iter().fold(0u8, |s, b| s.wrapping_add(*b)) != 0 {
        return found;
    }
    let revision = rsdp[15];
    let (root, entry_size) = if revision >= 2 && read_phys(rsdp_paddr, &mut rsdp) {
        match read_u64(&rsdp, 24) {
            Some(xsdt) if xsdt != 0 => (xsdt, 8),
            _ => (u64::from(read_u32(&rsdp, 16).unwrap_or(0)), 4),
        }
    } else {
        (u64::from(read_u32(&rsdp, 16).unwrap_or(0)), 4)
    };
    let Some(root_table) = read_table(root) else {
        return found;
    };
    let mut offset = 36;
    while offset + entry_size <= root_table.len() {
        let address = if entry_size == 8 {
            read_u64(&root_table, offset)
        } else {
            read_u32(&root_table, offset).map(u64::from)
        };
        offset += entry_size;
        let Some(table) = address.and_then(read_table) else {
            continue;
        };
        let mut signature = [0u8; 4];
        signature.copy_from_slice(&table[..4]);
        if found.try_reserve(1).is_ok() {
            found.push((signature, table));
        }
    }
    found
}

fn parse_mcfg(table: &[u8], info: &mut AcpiInfo) {
    let mut offset = 44;
    while offset + 16 <= table.len() {
        let base = read_u64(table, offset).unwrap_or(0);
        let segment = read_u16(table, offset + 8).unwrap_or(0);
        let (bus_start, bus_end) = (table[offset + 10], table[offset + 11]);
        offset += 16;
        if base == 0 || bus_end < bus_start || info.ecam.try_reserve(1).is_err() {
            continue;
        }
        info.ecam.push(EcamWindow {
            segment,
            bus_start,
            bus_end,
            base,
        });
    }
}

fn parse_madt(table: &[u8], info: &mut AcpiInfo) {
    let mut offset = 44;
    while offset + 2 <= table.len() {
        let (kind, length) = (table[offset], usize::from(table[offset + 1]));
        if length < 2 || offset + length > table.len() {
            break;
        }
        let entry = &table[offset..offset + length];
        match (kind, length) {
            (1, 12..) => {
                let address = u64::from(read_u32(entry, 4).unwrap_or(0));
                let gsi_base = read_u32(entry, 8).unwrap_or(0);
                if address != 0 && info.io_apics.try_reserve(1).is_ok() {
                    info.io_apics.push(IoApicEntry { address, gsi_base });
                }
            }
            // Processor Local APIC: ACPI processor id, APIC id, flags (bit 0 enabled, bit 1
            // online capable).
            (0, 8..) => {
                let flags = read_u32(entry, 4).unwrap_or(0);
                push_cpu(info, u32::from(entry[3]), flags);
            }
            // Processor Local x2APIC: reserved, x2APIC id, flags, ACPI processor uid.
            (9, 16..) => {
                let apic_id = read_u32(entry, 4).unwrap_or(u32::MAX);
                let flags = read_u32(entry, 8).unwrap_or(0);
                push_cpu(info, apic_id, flags);
            }
            (2, 10..) if info.overrides.try_reserve(1).is_ok() => {
                info.overrides.push(SourceOverride {
                    source: entry[3],
                    gsi: read_u32(entry, 4).unwrap_or(0),
                    flags: read_u16(entry, 8).unwrap_or(0),
                });
            }
            _ => {}
        }
        offset += length;
    }
}

/// Records a MADT processor, once per APIC id (a firmware may list a CPU in both forms).
fn push_cpu(info: &mut AcpiInfo, apic_id: u32, flags: u32) {
    if apic_id == u32::MAX || info.cpus.iter().any(|cpu| cpu.apic_id == apic_id) {
        return;
    }
    if info.cpus.try_reserve(1).is_ok() {
        info.cpus.push(CpuEntry {
            apic_id,
            is_usable: flags & 0b11 != 0,
        });
    }
}

/// Reads MCFG and MADT.
pub(crate) fn read() -> AcpiInfo {
    let mut info = AcpiInfo::default();
    for (signature, table) in tables() {
        match &signature {
            b"MCFG" => parse_mcfg(&table, &mut info),
            b"APIC" => parse_madt(&table, &mut info),
            _ => {}
        }
    }
    info
}
