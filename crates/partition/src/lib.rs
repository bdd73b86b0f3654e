//! Partition tables as Linux 6.1 reads them (`block/partitions/efi.c`, `msdos.c`, `core.c`):
//! which partitions a disk has, in 512-byte sectors, for the block layer to register as
//! `vda1`, `vda2`…
//!
//! [`scan`] tries GPT first (it needs a protective MBR, as Linux without `gpt` on the command
//! line), then the MBR with its chain of extended boot records (logical partitions numbered
//! from 5, the extended partition itself shown as 2 sectors, Linux's `msdos_partition`). A table
//! that fails a check is not used; a disk whose tables are garbage has no partitions. Reads go
//! through [`SectorReader`] one logical block at a time; a failed read ends the scan of that
//! table as Linux does (no partitions from it). [`fit_to_disk`] applies `blk_add_partition`'s
//! rules: a partition starting past the end of the disk is dropped, one that runs past it is
//! truncated.
//!
//! Everything is bounded: the EBR chain follows at most 100 links without a data partition
//! (Linux's `loopct`), partition numbers stop at the disk's limit (`disk_max_parts`), GPT entry
//! arrays larger than [`MAX_GPT_ENTRY_BYTES`] are refused, and arithmetic is checked, so no
//! table makes this code panic, loop or allocate without bound.
//!
//! Not done: the other partition formats Linux knows (BSD labels inside MBR partitions, Mac,
//! Sun, AIX…), and `gpt` / `force_gpt` on the command line.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod crc32;
mod gpt;
mod mbr;

use alloc::vec::Vec;

pub use crc32::crc32;

/// Largest GPT partition entry array read (bytes); Linux reads any, but 1 MiB is 8192 entries,
/// 64 times what any tool writes.
pub const MAX_GPT_ENTRY_BYTES: u64 = 1 << 20;

/// A block could not be read (an I/O error, or past the end of the disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadError;

/// Reads logical blocks of the disk.
pub trait SectorReader {
    /// Fills `buf` (one logical block) with block `lba`.
    fn read_block(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), ReadError>;
}

/// One partition: its number (`vda<number>`), first sector and length, in 512-byte sectors.
/// [`scan`] lists them in the order the table gave them (an MBR's logical partitions right
/// after their extended one), which is the order Linux logs them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub number: u32,
    pub start: u64,
    pub sectors: u64,
    /// An MBR extended partition (Linux logs its logical ones inside `< >`).
    pub is_extended: bool,
    /// What `root=PARTUUID=` matches.
    pub uuid: PartUuid,
    /// What `root=PARTLABEL=` matches: a GPT entry's name (empty otherwise).
    pub label: PartLabel,
}

/// A GPT partition's name as Linux keeps it for `root=PARTLABEL=` (`info->volname`, made by
/// `efi_partition`): each of the 36 UTF-16LE units cut to its low byte, a non-printable
/// non-zero byte replaced by `!`, the name ending at the first zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLabel([u8; 36]);

impl Default for PartLabel {
    fn default() -> PartLabel {
        PartLabel([0; 36])
    }
}

impl PartLabel {
    /// From a GPT entry's `PartitionName` field (72 bytes).
    pub fn from_utf16le(raw: &[u8]) -> PartLabel {
        let mut label = [0u8; 36];
        for (slot, unit) in label.iter_mut().zip(raw.chunks_exact(2)) {
            let byte = unit[0];
            // The kernel's isprint: ASCII 0x20..0x7e and Latin-1 0xa0..0xff.
            let printable = (0x20..0x7f).contains(&byte) || byte >= 0xa0;
            *slot = if byte != 0 && !printable { b'!' } else { byte };
        }
        PartLabel(label)
    }

    /// The name's bytes, up to its first zero.
    pub fn bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        &self.0[..end]
    }
}

/// A partition's unique id, as Linux gives it to `root=PARTUUID=` (`info->uuid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PartUuid {
    /// None (an MBR extended partition).
    #[default]
    None,
    /// A GPT entry's unique partition GUID, as stored.
    Gpt([u8; 16]),
    /// An MBR's disk signature and the partition's number: `SSSSSSSS-NN`.
    Mbr { signature: u32, number: u32 },
}

impl PartUuid {
    /// Linux's text: `%pUl` for a GUID (lower case, the first three fields little-endian),
    /// `%08x-%02x` for an MBR partition.
    pub fn text(&self) -> Option<alloc::string::String> {
        match *self {
            PartUuid::None => None,
            PartUuid::Mbr { signature, number } => {
                Some(alloc::format!("{signature:08x}-{number:02x}"))
            }
            PartUuid::Gpt(b) => Some(alloc::format!(
                "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                b[3],
                b[2],
                b[1],
                b[0],
                b[5],
                b[4],
                b[7],
                b[6],
                b[8],
                b[9],
                b[10],
                b[11],
                b[12],
                b[13],
                b[14],
                b[15]
            )),
        }
    }
}

/// Which table the partitions came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    Gpt,
    Mbr,
    None,
}

/// The disk being scanned.
#[derive(Clone, Copy, Debug)]
pub struct Disk {
    /// Logical block size in bytes (512 or a power of two up to 4096).
    pub block_size: u32,
    /// Capacity in 512-byte sectors.
    pub sectors: u64,
    /// Partition numbers must be below this (Linux's `disk_max_parts`: 16 for virtio-blk's
    /// 16 minors per disk).
    pub max_partitions: u32,
}

impl Disk {
    fn blocks(&self) -> u64 {
        self.sectors / u64::from(self.sectors_per_block())
    }

    fn sectors_per_block(&self) -> u32 {
        (self.block_size / 512).max(1)
    }
}

/// Collects partitions up to the disk's limit.
struct Found {
    partitions: Vec<Partition>,
    limit: u32,
}

impl Found {
    fn put(&mut self, number: u32, start: u64, sectors: u64, is_extended: bool) {
        if number == 0 || number >= self.limit || self.partitions.try_reserve(1).is_err() {
            return;
        }
        self.partitions.push(Partition {
            number,
            start,
            sectors,
            is_extended,
            uuid: PartUuid::None,
            label: PartLabel::default(),
        });
    }

    /// Gives partition `number` (just put) its id.
    fn set_uuid(&mut self, number: u32, uuid: PartUuid) {
        if let Some(part) = self
            .partitions
            .iter_mut()
            .rev()
            .find(|p| p.number == number)
        {
            part.uuid = uuid;
        }
    }

    /// Gives partition `number` (just put) its GPT name.
    fn set_label(&mut self, number: u32, label: PartLabel) {
        if let Some(part) = self
            .partitions
            .iter_mut()
            .rev()
            .find(|p| p.number == number)
        {
            part.label = label;
        }
    }
}

/// Reads one block into a fresh buffer.
fn read(reader: &mut dyn SectorReader, disk: &Disk, lba: u64) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(disk.block_size as usize).ok()?;
    buf.resize(disk.block_size as usize, 0);
    reader.read_block(lba, &mut buf).ok()?;
    Some(buf)
}

/// The partitions of `disk`, and where they came from. Invalid `disk` parameters give none.
pub fn scan(reader: &mut dyn SectorReader, disk: &Disk) -> (TableKind, Vec<Partition>) {
    let mut found = Found {
        partitions: Vec::new(),
        limit: disk.max_partitions,
    };
    let is_valid_block =
        disk.block_size.is_power_of_two() && (512..=4096).contains(&disk.block_size);
    if !is_valid_block || disk.blocks() == 0 {
        return (TableKind::None, found.partitions);
    }
    if gpt::scan(reader, disk, &mut found) {
        return (TableKind::Gpt, found.partitions);
    }
    if mbr::scan(reader, disk, &mut found) {
        return (TableKind::Mbr, found.partitions);
    }
    (TableKind::None, Vec::new())
}

/// What [`fit_to_disk`] did to one partition (Linux logs both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// `p%d start %llu is beyond EOD, truncated` (Linux's wording, though it drops it).
    BeyondEnd(Partition),
    /// `p%d size %llu extends beyond EOD, truncated`.
    Truncated(Partition),
}

/// Drops partitions that start past `sectors` and truncates those that run past it; returns
/// what changed.
pub fn fit_to_disk(partitions: &mut Vec<Partition>, sectors: u64) -> Vec<Fit> {
    let mut changes = Vec::new();
    partitions.retain_mut(|partition| {
        if partition.start >= sectors {
            if changes.try_reserve(1).is_ok() {
                changes.push(Fit::BeyondEnd(*partition));
            }
            return false;
        }
        if partition.start.saturating_add(partition.sectors) > sectors {
            if changes.try_reserve(1).is_ok() {
                changes.push(Fit::Truncated(*partition));
            }
            partition.sectors = sectors - partition.start;
        }
        true
    });
    changes
}

#[cfg(test)]
mod tests;
