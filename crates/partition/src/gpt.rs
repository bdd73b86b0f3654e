//! The GUID partition table (Linux's `block/partitions/efi.c`, without `force_gpt`).
//!
//! Sector 0 must be a protective MBR: signature 0x55 0xaa and an entry of type 0xee starting
//! at block 1 (a hybrid MBR with other entries too is accepted, as Linux does). The primary
//! header (block 1) is used if it checks: signature `EFI PART`, header size 92 up to a block,
//! header CRC, its own block number, usable range inside the disk, 128-byte entries whose
//! array CRC matches. A bad primary header means no GPT (Linux reads the alternate one only
//! with `force_gpt`). Each entry with a non-zero type GUID whose range
//! is ordered and ends on the disk becomes partition `index + 1`.

use crate::crc32::{self, crc32};
use crate::{Disk, Found, MAX_GPT_ENTRY_BYTES, SectorReader, read};
use alloc::vec::Vec;

const SIGNATURE: &[u8; 8] = b"EFI PART";
const ENTRY_SIZE: u32 = 128;

struct Header {
    entries_lba: u64,
    entry_count: u32,
    entries_crc: u32,
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from(u32_at(bytes, offset)) | (u64::from(u32_at(bytes, offset + 4)) << 32)
}

fn has_protective_mbr(block: &[u8]) -> bool {
    if block.len() < 512 || block[510] != 0x55 || block[511] != 0xaa {
        return false;
    }
    (0..4).any(|index| {
        let entry = &block[446 + 16 * index..462 + 16 * index];
        entry[4] == 0xee && u32_at(entry, 8) == 1
    })
}

/// The header at `lba`, if it checks.
fn read_header(reader: &mut dyn SectorReader, disk: &Disk, lba: u64) -> Option<Header> {
    let last_lba = disk.blocks().checked_sub(1)?;
    let block = read(reader, disk, lba)?;
    if &block[..8] != SIGNATURE {
        return None;
    }
    let header_size = u32_at(&block, 12) as usize;
    if header_size < 92 || header_size > block.len() {
        return None;
    }
    let mut copy = Vec::new();
    copy.try_reserve_exact(header_size).ok()?;
    copy.extend_from_slice(&block[..header_size]);
    copy[16..20].fill(0);
    if crc32(&copy) != u32_at(&block, 16) {
        return None;
    }
    if u64_at(&block, 24) != lba {
        return None;
    }
    let (first_usable, last_usable) = (u64_at(&block, 40), u64_at(&block, 48));
    if first_usable > last_usable || last_usable > last_lba || first_usable > last_lba {
        return None;
    }
    if u32_at(&block, 84) != ENTRY_SIZE {
        return None;
    }
    let header = Header {
        entries_lba: u64_at(&block, 72),
        entry_count: u32_at(&block, 80),
        entries_crc: u32_at(&block, 88),
    };
    let bytes = u64::from(header.entry_count) * u64::from(ENTRY_SIZE);
    if bytes == 0 || bytes > MAX_GPT_ENTRY_BYTES || header.entries_lba > last_lba {
        return None;
    }
    Some(header)
}

/// The header's entry array, if its CRC matches.
fn read_entries(reader: &mut dyn SectorReader, disk: &Disk, header: &Header) -> Option<Vec<u8>> {
    let bytes = (u64::from(header.entry_count) * u64::from(ENTRY_SIZE)) as usize;
    let block_size = disk.block_size as usize;
    let mut entries = Vec::new();
    entries
        .try_reserve_exact(bytes.div_ceil(block_size) * block_size)
        .ok()?;
    let mut lba = header.entries_lba;
    while entries.len() < bytes {
        if lba >= disk.blocks() {
            return None;
        }
        entries.extend_from_slice(&read(reader, disk, lba)?);
        lba += 1;
    }
    entries.truncate(bytes);
    let crc = crc32::update(0xffff_ffff, &entries) ^ 0xffff_ffff;
    (crc == header.entries_crc).then_some(entries)
}

/// Scans the GPT; false when the disk has none that checks.
pub(crate) fn scan(reader: &mut dyn SectorReader, disk: &Disk, found: &mut Found) -> bool {
    let Some(mbr) = read(reader, disk, 0) else {
        return false;
    };
    if !has_protective_mbr(&mbr) {
        return false;
    }
    let last_lba = disk.blocks() - 1;
    // Without `force_gpt`, Linux uses the alternate header only to compare with a valid
    // primary one: a bad primary header means no GPT.
    let Some(header) = read_header(reader, disk, 1) else {
        return false;
    };
    let Some(entries) = read_entries(reader, disk, &header) else {
        return false;
    };
    let count = header.entry_count;
    let scale = u64::from(disk.sectors_per_block());
    for index in 0..count.min(found.limit.saturating_sub(1)) {
        let entry = &entries[index as usize * ENTRY_SIZE as usize..][..ENTRY_SIZE as usize];
        if entry[..16].iter().all(|&byte| byte == 0) {
            continue;
        }
        let (first, last) = (u64_at(entry, 32), u64_at(entry, 40));
        if first > last || last > last_lba {
            continue;
        }
        found.put(index + 1, first * scale, (last - first + 1) * scale, false);
        let mut guid = [0u8; 16];
        guid.copy_from_slice(&entry[16..32]);
        found.set_uuid(index + 1, crate::PartUuid::Gpt(guid));
        found.set_label(index + 1, crate::PartLabel::from_utf16le(&entry[56..128]));
    }
    true
}
