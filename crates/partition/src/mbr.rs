//! The MBR and its extended boot records (Linux's `block/partitions/msdos.c`).
//!
//! Sector 0 must end in 0x55 0xaa and every boot indicator must be 0 or 0x80, else it is not a
//! partition table. A protective entry (type 0xee) means GPT: the MBR scan gives nothing (GPT
//! already had its chance). Primary entries with a non-zero size become partitions 1-4; an
//! extended entry (types 0x05, 0x0f, 0x85) is shown with its size clamped to 2 sectors (at
//! least one block) and its chain of EBRs gives partitions 5, 6…: each EBR's data entries (the
//! third and fourth only if they lie inside the EBR's extended partition), then the first
//! extended entry links to the next EBR, relative to the outermost extended partition.

use crate::{Disk, Found, SectorReader, read};

const TYPE_GPT_PROTECTIVE: u8 = 0xee;
/// Links followed without finding a data partition before the chain is given up.
const MAX_EMPTY_LINKS: u32 = 100;

#[derive(Clone, Copy)]
struct Entry {
    boot: u8,
    kind: u8,
    start: u32,
    sectors: u32,
}

fn is_extended(kind: u8) -> bool {
    matches!(kind, 0x05 | 0x0f | 0x85)
}

fn has_signature(block: &[u8]) -> bool {
    block.len() >= 512 && block[510] == 0x55 && block[511] == 0xaa
}

fn entries(block: &[u8]) -> [Entry; 4] {
    core::array::from_fn(|index| {
        let entry = &block[446 + 16 * index..462 + 16 * index];
        Entry {
            boot: entry[0],
            kind: entry[4],
            start: u32::from_le_bytes([entry[8], entry[9], entry[10], entry[11]]),
            sectors: u32::from_le_bytes([entry[12], entry[13], entry[14], entry[15]]),
        }
    })
}

/// Scans the MBR; false when sector 0 is not an MBR partition table (or a protective one).
pub(crate) fn scan(reader: &mut dyn SectorReader, disk: &Disk, found: &mut Found) -> bool {
    let Some(block) = read(reader, disk, 0) else {
        return false;
    };
    if !has_signature(&block) {
        return false;
    }
    let primary = entries(&block);
    if primary
        .iter()
        .any(|entry| entry.boot != 0 && entry.boot != 0x80)
    {
        return false;
    }
    if primary
        .iter()
        .any(|entry| entry.kind == TYPE_GPT_PROTECTIVE)
    {
        return false;
    }
    // MBR fields count logical blocks; the result is in 512-byte sectors.
    let scale = u64::from(disk.sectors_per_block());
    let signature = u32::from_le_bytes([block[440], block[441], block[442], block[443]]);
    for (index, entry) in primary.iter().enumerate() {
        let number = index as u32 + 1;
        let start = u64::from(entry.start) * scale;
        let sectors = u64::from(entry.sectors) * scale;
        if sectors == 0 {
            continue;
        }
        if is_extended(entry.kind) {
            found.put(number, start, sectors.min(scale.max(2)), true);
            scan_extended(reader, disk, found, start, sectors, signature);
            continue;
        }
        found.put(number, start, sectors, false);
        found.set_uuid(number, crate::PartUuid::Mbr { signature, number });
    }
    true
}

/// Follows the EBR chain of the extended partition at `first_start` (`first_sectors` long).
fn scan_extended(
    reader: &mut dyn SectorReader,
    disk: &Disk,
    found: &mut Found,
    first_start: u64,
    first_sectors: u64,
    signature: u32,
) {
    let scale = u64::from(disk.sectors_per_block());
    let (mut this_start, mut this_sectors) = (first_start, first_sectors);
    let mut next_number = 5;
    let mut empty_links = 0;
    loop {
        empty_links += 1;
        if empty_links > MAX_EMPTY_LINKS || next_number >= found.limit {
            return;
        }
        let Some(block) = read(reader, disk, this_start / scale) else {
            return;
        };
        if !has_signature(&block) {
            return;
        }
        let ebr = entries(&block);
        for (index, entry) in ebr.iter().enumerate() {
            let offset = u64::from(entry.start) * scale;
            let sectors = u64::from(entry.sectors) * scale;
            if sectors == 0 || is_extended(entry.kind) {
                continue;
            }
            let Some(start) = this_start.checked_add(offset) else {
                continue;
            };
            // Only the first two entries are trusted blindly (Linux's sanity check).
            if index >= 2 {
                let inside_this = offset.saturating_add(sectors) <= this_sectors;
                let inside_first = start >= first_start
                    && start.saturating_add(sectors) <= first_start.saturating_add(first_sectors);
                if !inside_this || !inside_first {
                    continue;
                }
            }
            found.put(next_number, start, sectors, false);
            found.set_uuid(
                next_number,
                crate::PartUuid::Mbr {
                    signature,
                    number: next_number,
                },
            );
            next_number += 1;
            empty_links = 0;
            if next_number >= found.limit {
                return;
            }
        }
        let Some(link) = ebr
            .iter()
            .find(|entry| entry.sectors != 0 && is_extended(entry.kind))
        else {
            return;
        };
        let Some(start) = first_start.checked_add(u64::from(link.start) * scale) else {
            return;
        };
        this_start = start;
        this_sectors = u64::from(link.sectors) * scale;
    }
}
