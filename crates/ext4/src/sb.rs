//! The superblock: features, geometry and its checksum, checked as Linux's `ext4_fill_super`
//! checks them before anything else is read. The raw 1024 bytes are kept, so fields this crate
//! does not interpret are written back unchanged.

use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::le::*;
use crate::{Error, Result};

pub const SB_OFFSET: u64 = 1024;
pub const SB_SIZE: usize = 1024;
const MAGIC: u16 = 0xef53;

pub const COMPAT_HAS_JOURNAL: u32 = 0x4;
pub const COMPAT_DIR_INDEX: u32 = 0x20;
pub const COMPAT_SPARSE_SUPER2: u32 = 0x200;

pub const RO_SPARSE_SUPER: u32 = 0x1;
pub const RO_LARGE_FILE: u32 = 0x2;
pub const RO_HUGE_FILE: u32 = 0x8;
pub const RO_GDT_CSUM: u32 = 0x10;
pub const RO_DIR_NLINK: u32 = 0x20;
pub const RO_EXTRA_ISIZE: u32 = 0x40;
pub const RO_BIGALLOC: u32 = 0x200;
pub const RO_METADATA_CSUM: u32 = 0x400;
/// The read-only-compatible features this crate can write with. Quotas (`quota`, `project`)
/// are not: their usage is not accounted yet, so such file systems mount read-only and their
/// quota files stay as they were.
const RO_KNOWN: u32 = RO_SPARSE_SUPER
    | RO_LARGE_FILE
    | 0x4 // btree_dir (unused by Linux)
    | RO_HUGE_FILE
    | RO_GDT_CSUM
    | RO_DIR_NLINK
    | RO_EXTRA_ISIZE
    | RO_METADATA_CSUM;

pub const INCOMPAT_FILETYPE: u32 = 0x2;
pub const INCOMPAT_RECOVER: u32 = 0x4;
pub const INCOMPAT_JOURNAL_DEV: u32 = 0x8;
pub const INCOMPAT_META_BG: u32 = 0x10;
pub const INCOMPAT_EXTENTS: u32 = 0x40;
pub const INCOMPAT_64BIT: u32 = 0x80;
pub const INCOMPAT_MMP: u32 = 0x100;
pub const INCOMPAT_FLEX_BG: u32 = 0x200;
pub const INCOMPAT_EA_INODE: u32 = 0x400;
pub const INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub const INCOMPAT_LARGEDIR: u32 = 0x4000;
pub const INCOMPAT_INLINE_DATA: u32 = 0x8000;
/// The incompatible features this crate reads; any other refuses the mount.
const INCOMPAT_KNOWN: u32 = INCOMPAT_FILETYPE
    | INCOMPAT_RECOVER
    | INCOMPAT_META_BG
    | INCOMPAT_EXTENTS
    | INCOMPAT_64BIT
    | INCOMPAT_MMP
    | INCOMPAT_FLEX_BG
    | INCOMPAT_EA_INODE
    | INCOMPAT_CSUM_SEED
    | INCOMPAT_LARGEDIR
    | INCOMPAT_INLINE_DATA;
/// Incompatible features read but not written by this crate.
const INCOMPAT_READ_ONLY: u32 = INCOMPAT_MMP | INCOMPAT_EA_INODE | INCOMPAT_INLINE_DATA;

/// `s_flags`: directory hashes of names use signed or unsigned chars.
const FLAG_UNSIGNED_HASH: u32 = 0x2;

/// The superblock's raw bytes and the geometry derived from them.
#[derive(Clone)]
pub struct Superblock {
    pub raw: Vec<u8>,
    pub block_size: u32,
    pub log_block_size: u32,
    pub blocks_count: u64,
    pub first_data_block: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub inodes_count: u32,
    pub inode_size: u32,
    pub desc_size: u32,
    pub group_count: u32,
    pub gdt_blocks: u32,
    pub first_ino: u32,
    pub csum_seed: u32,
    /// Mounted read-only because of a feature or state this crate cannot write with.
    pub forced_read_only: bool,
}

impl Superblock {
    /// Checks a superblock as `ext4_fill_super` does; `device_size` bounds the block count.
    pub fn parse(raw: Vec<u8>, device_size: u64) -> Result<Superblock> {
        if raw.len() != SB_SIZE || u16_at(&raw, 0x38) != MAGIC {
            return Err(Error::Invalid);
        }
        let incompat = u32_at(&raw, 0x60);
        let ro_compat = u32_at(&raw, 0x64);
        let rev = u32_at(&raw, 0x4c);
        if incompat & !INCOMPAT_KNOWN != 0 || ro_compat & RO_BIGALLOC != 0 {
            return Err(Error::Unsupported);
        }
        if incompat & INCOMPAT_JOURNAL_DEV != 0 {
            return Err(Error::Unsupported);
        }
        if ro_compat & RO_METADATA_CSUM != 0 {
            if raw[0x175] != 1 {
                return Err(Error::Corrupt("unknown checksum type"));
            }
            let stored = u32_at(&raw, 0x3fc);
            if crc32c(!0, &raw[..0x3fc]) != stored {
                return Err(Error::BadChecksum("superblock"));
            }
        }
        let log_block_size = u32_at(&raw, 0x18);
        if log_block_size > 6 {
            return Err(Error::Corrupt("block size"));
        }
        let block_size = 1024u32 << log_block_size;
        let (inode_size, first_ino) = if rev == 0 {
            (128, 11)
        } else {
            (u32::from(u16_at(&raw, 0x58)), u32_at(&raw, 0x54))
        };
        if inode_size < 128 || inode_size > block_size || !inode_size.is_power_of_two() {
            return Err(Error::Corrupt("inode size"));
        }
        let inodes_count = u32_at(&raw, 0x0);
        if first_ino < 11 || first_ino > inodes_count {
            return Err(Error::Corrupt("first inode"));
        }
        let blocks_per_group = u32_at(&raw, 0x20);
        let inodes_per_group = u32_at(&raw, 0x28);
        let inodes_per_block = block_size / inode_size;
        if blocks_per_group == 0
            || blocks_per_group > block_size * 8
            || !blocks_per_group.is_multiple_of(8)
        {
            return Err(Error::Corrupt("blocks per group"));
        }
        if u32_at(&raw, 0x24) != blocks_per_group {
            return Err(Error::Corrupt("clusters per group"));
        }
        if inodes_per_group < inodes_per_block
            || inodes_per_group > block_size * 8
            || !inodes_per_group.is_multiple_of(inodes_per_block)
            || !inodes_per_group.is_multiple_of(8)
        {
            return Err(Error::Corrupt("inodes per group"));
        }
        let is64 = incompat & INCOMPAT_64BIT != 0;
        let mut blocks_count = u64::from(u32_at(&raw, 0x4));
        if is64 {
            blocks_count |= u64::from(u32_at(&raw, 0x150)) << 32;
        }
        let first_data_block = u32_at(&raw, 0x14);
        if (block_size == 1024 && first_data_block > 1)
            || (block_size > 1024 && first_data_block != 0)
        {
            return Err(Error::Corrupt("first data block"));
        }
        if u64::from(first_data_block) >= blocks_count {
            return Err(Error::Corrupt("block count"));
        }
        if blocks_count
            .checked_mul(u64::from(block_size))
            .is_none_or(|bytes| bytes > device_size)
        {
            return Err(Error::Corrupt("block count exceeds the device"));
        }
        let group_count64 =
            (blocks_count - u64::from(first_data_block)).div_ceil(u64::from(blocks_per_group));
        let group_count =
            u32::try_from(group_count64).map_err(|_| Error::Corrupt("group count"))?;
        if u64::from(group_count) * u64::from(inodes_per_group) != u64::from(inodes_count) {
            return Err(Error::Corrupt("inode count"));
        }
        let desc_size = if is64 {
            u32::from(u16_at(&raw, 0xfe))
        } else {
            32
        };
        if desc_size < 32
            || desc_size > block_size
            || !desc_size.is_power_of_two()
            || (is64 && desc_size < 64)
        {
            return Err(Error::Corrupt("descriptor size"));
        }
        let gdt_blocks = group_count.div_ceil(block_size / desc_size);
        if u32::from(u16_at(&raw, 0xce)) > block_size / 4 {
            return Err(Error::Corrupt("reserved GDT blocks"));
        }
        if incompat & INCOMPAT_META_BG != 0 && u32_at(&raw, 0x104) > gdt_blocks {
            return Err(Error::Corrupt("first meta_bg"));
        }
        if inode_size > 128 {
            let want = u32::from(u16_at(&raw, 0x15e));
            let min = u32::from(u16_at(&raw, 0x15c));
            if want > inode_size - 128 || min > inode_size - 128 {
                return Err(Error::Corrupt("extra inode size"));
            }
        }
        let csum_seed = if incompat & INCOMPAT_CSUM_SEED != 0 {
            u32_at(&raw, 0x270)
        } else {
            crc32c(!0, &raw[0x68..0x78])
        };
        let forced_read_only =
            ro_compat & !RO_KNOWN != 0 || incompat & INCOMPAT_READ_ONLY != 0 || rev == 0;
        Ok(Superblock {
            raw,
            block_size,
            log_block_size,
            blocks_count,
            first_data_block,
            blocks_per_group,
            inodes_per_group,
            inodes_count,
            inode_size,
            desc_size,
            group_count,
            gdt_blocks,
            first_ino,
            csum_seed,
            forced_read_only,
        })
    }

    pub fn compat(&self) -> u32 {
        u32_at(&self.raw, 0x5c)
    }
    pub fn incompat(&self) -> u32 {
        u32_at(&self.raw, 0x60)
    }
    pub fn ro_compat(&self) -> u32 {
        u32_at(&self.raw, 0x64)
    }
    pub fn set_ro_compat(&mut self, value: u32) {
        set_u32(&mut self.raw, 0x64, value);
    }
    pub fn has_csum(&self) -> bool {
        self.ro_compat() & RO_METADATA_CSUM != 0
    }
    pub fn has_gdt_csum(&self) -> bool {
        self.ro_compat() & RO_GDT_CSUM != 0 && !self.has_csum()
    }
    pub fn is64(&self) -> bool {
        self.incompat() & INCOMPAT_64BIT != 0
    }
    pub fn has_extents(&self) -> bool {
        self.incompat() & INCOMPAT_EXTENTS != 0
    }
    pub fn has_filetype(&self) -> bool {
        self.incompat() & INCOMPAT_FILETYPE != 0
    }
    pub fn has_flex_bg(&self) -> bool {
        self.incompat() & INCOMPAT_FLEX_BG != 0
    }
    pub fn has_dir_index(&self) -> bool {
        self.compat() & COMPAT_DIR_INDEX != 0
    }
    pub fn has_largedir(&self) -> bool {
        self.incompat() & INCOMPAT_LARGEDIR != 0
    }
    pub fn unsigned_hash(&self) -> bool {
        u32_at(&self.raw, 0x160) & FLAG_UNSIGNED_HASH != 0
    }
    pub fn hash_seed(&self) -> [u32; 4] {
        [
            u32_at(&self.raw, 0xec),
            u32_at(&self.raw, 0xf0),
            u32_at(&self.raw, 0xf4),
            u32_at(&self.raw, 0xf8),
        ]
    }
    pub fn def_hash_version(&self) -> u8 {
        self.raw[0xfc]
    }
    pub fn reserved_gdt_blocks(&self) -> u32 {
        u32::from(u16_at(&self.raw, 0xce))
    }
    pub fn first_meta_bg(&self) -> u32 {
        u32_at(&self.raw, 0x104)
    }
    pub fn want_extra_isize(&self) -> u32 {
        let want = u32::from(u16_at(&self.raw, 0x15e)).max(u32::from(u16_at(&self.raw, 0x15c)));
        if self.inode_size <= 128 {
            0
        } else if want == 0 {
            32.min(self.inode_size - 128)
        } else {
            want
        }
    }
    pub fn free_blocks(&self) -> u64 {
        let mut value = u64::from(u32_at(&self.raw, 0xc));
        if self.is64() {
            value |= u64::from(u32_at(&self.raw, 0x158)) << 32;
        }
        value
    }
    pub fn set_free_blocks(&mut self, value: u64) {
        set_u32(&mut self.raw, 0xc, value as u32);
        if self.is64() {
            set_u32(&mut self.raw, 0x158, (value >> 32) as u32);
        }
    }
    pub fn reserved_blocks(&self) -> u64 {
        let mut value = u64::from(u32_at(&self.raw, 0x8));
        if self.is64() {
            value |= u64::from(u32_at(&self.raw, 0x154)) << 32;
        }
        value
    }
    pub fn free_inodes(&self) -> u32 {
        u32_at(&self.raw, 0x10)
    }
    pub fn set_free_inodes(&mut self, value: u32) {
        set_u32(&mut self.raw, 0x10, value);
    }
    pub fn set_write_time(&mut self, seconds: i64) {
        set_u32(&mut self.raw, 0x30, seconds as u32);
        self.raw[0x274] = ((seconds >> 32) & 0xff) as u8;
    }
    /// Sets the checksum (when `metadata_csum` is on) before the superblock is written.
    pub fn finish(&mut self) {
        if self.has_csum() {
            let sum = crc32c(!0, &self.raw[..0x3fc]);
            set_u32(&mut self.raw, 0x3fc, sum);
        }
    }

    /// Whether group `group` holds a superblock backup (`ext4_bg_has_super`).
    pub fn group_has_super(&self, group: u32) -> bool {
        if group == 0 {
            return true;
        }
        if self.compat() & COMPAT_SPARSE_SUPER2 != 0 {
            return group == u32_at(&self.raw, 0x24c) || group == u32_at(&self.raw, 0x250);
        }
        if group <= 1 || self.ro_compat() & RO_SPARSE_SUPER == 0 {
            return true;
        }
        if group & 1 == 0 {
            return false;
        }
        [3u32, 5, 7].iter().any(|&base| {
            let mut power = base;
            while power < group {
                power = match power.checked_mul(base) {
                    Some(next) => next,
                    None => return false,
                };
            }
            power == group
        })
    }

    pub fn descs_per_block(&self) -> u32 {
        self.block_size / self.desc_size
    }

    /// The block holding descriptor block `index` of the table (`descriptor_loc`).
    pub fn gdt_block(&self, index: u32) -> u64 {
        let first = u64::from(self.first_data_block);
        if self.incompat() & INCOMPAT_META_BG == 0 || index < self.first_meta_bg() {
            return first + 1 + u64::from(index);
        }
        let group = index.saturating_mul(self.descs_per_block());
        self.group_first_block(group) + u64::from(self.group_has_super(group))
    }

    pub fn group_first_block(&self, group: u32) -> u64 {
        u64::from(self.first_data_block) + u64::from(group) * u64::from(self.blocks_per_group)
    }

    /// Blocks in `group` (the last group may be short).
    pub fn group_blocks(&self, group: u32) -> u32 {
        let start = self.group_first_block(group);
        (self.blocks_count - start).min(u64::from(self.blocks_per_group)) as u32
    }

    /// Blocks at the start of `group` used by the superblock and descriptor-table copies
    /// (`ext4_num_base_meta_blocks`).
    pub fn group_base_meta_blocks(&self, group: u32) -> u32 {
        let has_super = u32::from(self.group_has_super(group));
        let meta_bg = self.incompat() & INCOMPAT_META_BG != 0;
        let dpb = self.descs_per_block();
        if !meta_bg || group / dpb < self.first_meta_bg() {
            if has_super == 0 {
                return 0;
            }
            return 1
                + self.gdt_blocks.min(if meta_bg {
                    self.first_meta_bg()
                } else {
                    u32::MAX
                })
                + self.reserved_gdt_blocks();
        }
        let index = group % dpb;
        has_super + u32::from(index == 0 || index == 1 || index == dpb - 1)
    }
}
