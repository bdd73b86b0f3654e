//! `/sys/firmware/dmi/tables` (Linux's `drivers/firmware/dmi_scan.c`, `dmi_init`): the SMBIOS
//! entry point and the table it describes, as the firmware left them, in the root-only (0400)
//! binary files `smbios_entry_point` and `DMI`, whose `stat` sizes are their lengths. lscpu and
//! dmidecode read them.
//!
//! The entry point is found as Linux finds it without EFI: in `[0xF0000, 0x100000)` at a
//! 16-byte boundary, a 64-bit `_SM3_` entry point first (length at byte 6, checksummed; the
//! table's maximum size at 12, its address at 16), else a 32-bit `_SM_` one (length at byte 5,
//! below 32, checksummed, with the checksummed `_DMI_` intermediate anchor at 16: table length at
//! 22, address at 24). Without one (no firmware tables), the directory is not made.

use super::{Attribute, Content, dir, next_ino};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::pseudo::DynamicDir;

/// Where Linux looks for the entry point (`SMBIOS_ENTRY_POINT_SCAN_START`, 64 KiB).
const SCAN_START: u64 = 0xF0000;
const SCAN_LEN: usize = 0x10000;
/// Largest table read (SMBIOS 3 gives only a maximum size).
const MAX_TABLE_LEN: u32 = 1 << 20;

/// The entry point's bytes and the table's address and length.
#[derive(Debug, PartialEq, Eq)]
pub struct EntryPoint<'a> {
    pub bytes: &'a [u8],
    pub table_address: u64,
    pub table_len: u32,
}

fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |sum, &b| sum.wrapping_add(b)) == 0
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// `dmi_smbios3_present` at the start of `bytes`.
fn smbios3(bytes: &[u8]) -> Option<EntryPoint<'_>> {
    let len = usize::from(*bytes.get(6)?);
    let entry = bytes.get(..len)?;
    if !entry.starts_with(b"_SM3_") || len < 24 || !checksum_ok(entry) {
        return None;
    }
    Some(EntryPoint {
        bytes: entry,
        table_address: u64_at(entry, 16)?,
        table_len: u32_at(entry, 12)?,
    })
}

/// `dmi_present` for an `_SM_` entry point at the start of `bytes`.
fn smbios2(bytes: &[u8]) -> Option<EntryPoint<'_>> {
    let len = usize::from(*bytes.get(5)?);
    let entry = bytes.get(..len)?;
    if !entry.starts_with(b"_SM_") || len >= 32 || !checksum_ok(entry) {
        return None;
    }
    let anchor = bytes.get(16..31)?;
    if !anchor.starts_with(b"_DMI_") || !checksum_ok(anchor) {
        return None;
    }
    Some(EntryPoint {
        bytes: entry,
        table_address: u64::from(u32_at(anchor, 8)?),
        table_len: u32::from(u16_at(anchor, 6)?),
    })
}

/// The entry point in the scanned BIOS area `area`, as Linux's `dmi_scan_machine` looks.
pub fn find_entry_point(area: &[u8]) -> Option<EntryPoint<'_>> {
    let starts = || (0..area.len()).step_by(16);
    starts()
        .find_map(|at| smbios3(&area[at..]))
        .or_else(|| starts().find_map(|at| smbios2(&area[at..])))
}

/// Adds `/sys/firmware/dmi/tables` under `firmware`, when the firmware has SMBIOS tables.
pub(super) fn build(firmware: &DynamicDir) -> Result<(), Errno> {
    let mut area = Vec::new();
    area.try_reserve_exact(SCAN_LEN)
        .map_err(|_| Errno::ENOMEM)?;
    area.resize(SCAN_LEN, 0);
    if !hal::mm::firmware::read_firmware(SCAN_START, &mut area) {
        return Ok(());
    }
    let Some(entry) = find_entry_point(&area) else {
        return Ok(());
    };
    let table_len = entry.table_len.min(MAX_TABLE_LEN) as usize;
    let mut table = Vec::new();
    table
        .try_reserve_exact(table_len)
        .map_err(|_| Errno::ENOMEM)?;
    table.resize(table_len, 0);
    if !hal::mm::firmware::read_firmware(entry.table_address, &mut table) {
        return Ok(());
    }
    let mut entry_bytes = Vec::new();
    entry_bytes
        .try_reserve_exact(entry.bytes.len())
        .map_err(|_| Errno::ENOMEM)?;
    entry_bytes.extend_from_slice(entry.bytes);
    let tables = dir(&*dir(firmware, b"dmi", 0o755)?, b"tables", 0o755)?;
    for (name, bytes) in [(&b"smbios_entry_point"[..], entry_bytes), (b"DMI", table)] {
        tables.add(
            name,
            Arc::new(Attribute {
                ino: next_ino(),
                mode: 0o400,
                size: bytes.len() as u64,
                content: Content::Text(bytes),
                write: None,
            }),
        )?;
    }
    Ok(())
}

hal::ktest! {
    /// Entry points are found at 16-byte boundaries, `_SM3_` before `_SM_`, and only with good
    /// checksums; the 32-bit one takes its table from the `_DMI_` anchor.
    fn smbios_entry_points_are_found_as_linux_finds_them() -> hal::ktest::KtestResult {
        fn fix_checksum(bytes: &mut [u8], at: usize) {
            let sum = bytes.iter().fold(0u8, |sum, &b| sum.wrapping_add(b));
            bytes[at] = bytes[at].wrapping_sub(sum);
        }
        let mut area = alloc::vec![0u8; 256];
        // A 32-bit entry point at 0x40: length 31, anchor at 0x50.
        let mut sm = [0u8; 31];
        sm[..4].copy_from_slice(b"_SM_");
        sm[5] = 31;
        sm[16..21].copy_from_slice(b"_DMI_");
        sm[22..24].copy_from_slice(&0x1234u16.to_le_bytes());
        sm[24..28].copy_from_slice(&0x000f_5000u32.to_le_bytes());
        fix_checksum(&mut sm[16..31], 5);
        fix_checksum(&mut sm, 4);
        area[0x40..0x40 + 31].copy_from_slice(&sm);
        let found = find_entry_point(&area).ok_or("no _SM_ entry point")?;
        hal::ktest_assert_eq!(found.table_address, 0xf_5000);
        hal::ktest_assert_eq!(found.table_len, 0x1234);
        hal::ktest_assert_eq!(found.bytes.len(), 31);
        // Off a 16-byte boundary, or with a bad checksum: not found.
        let mut shifted = alloc::vec![0u8; 256];
        shifted[0x41..0x41 + 31].copy_from_slice(&sm);
        hal::ktest_assert!(find_entry_point(&shifted).is_none(), "unaligned entry found");
        area[0x41] ^= 1;
        hal::ktest_assert!(find_entry_point(&area).is_none(), "bad checksum accepted");
        area[0x41] ^= 1;
        // A 64-bit one later in the area wins.
        let mut sm3 = [0u8; 24];
        sm3[..5].copy_from_slice(b"_SM3_");
        sm3[6] = 24;
        sm3[12..16].copy_from_slice(&0x800u32.to_le_bytes());
        sm3[16..24].copy_from_slice(&0x7fff_0000u64.to_le_bytes());
        fix_checksum(&mut sm3, 5);
        area[0x80..0x80 + 24].copy_from_slice(&sm3);
        let found = find_entry_point(&area).ok_or("no _SM3_ entry point")?;
        hal::ktest_assert_eq!(found.table_address, 0x7fff_0000);
        hal::ktest_assert_eq!(found.table_len, 0x800);
        Ok(())
    }
}
