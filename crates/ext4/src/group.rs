//! Block group descriptors, 32 bytes or (with `64bit`) `s_desc_size` bytes, and their
//! checksums: `metadata_csum`'s CRC-32C over the group number and descriptor, or `gdt_csum`'s
//! CRC-16 over the UUID, group number and descriptor (`ext4_group_desc_csum`).

use alloc::vec::Vec;

use crate::crc::{crc16, crc32c};
use crate::le::*;
use crate::sb::Superblock;

pub const BG_INODE_UNINIT: u16 = 0x1;
pub const BG_BLOCK_UNINIT: u16 = 0x2;

/// One descriptor's bytes.
#[derive(Clone)]
pub struct GroupDesc {
    pub raw: Vec<u8>,
}

impl GroupDesc {
    fn get_split(&self, lo_off: usize, lo_bytes: usize, hi_off: usize) -> u64 {
        let lo = if lo_bytes == 4 {
            u64::from(u32_at(&self.raw, lo_off))
        } else {
            u64::from(u16_at(&self.raw, lo_off))
        };
        if self.raw.len() < 64 {
            return lo;
        }
        let hi = if lo_bytes == 4 {
            u64::from(u32_at(&self.raw, hi_off))
        } else {
            u64::from(u16_at(&self.raw, hi_off))
        };
        lo | (hi << (lo_bytes * 8))
    }

    fn set_split(&mut self, lo_off: usize, lo_bytes: usize, hi_off: usize, value: u64) {
        let wide = self.raw.len() >= 64;
        if lo_bytes == 4 {
            set_u32(&mut self.raw, lo_off, value as u32);
            if wide {
                set_u32(&mut self.raw, hi_off, (value >> 32) as u32);
            }
        } else {
            set_u16(&mut self.raw, lo_off, value as u16);
            if wide {
                set_u16(&mut self.raw, hi_off, (value >> 16) as u16);
            }
        }
    }

    pub fn block_bitmap(&self) -> u64 {
        self.get_split(0x0, 4, 0x20)
    }
    pub fn inode_bitmap(&self) -> u64 {
        self.get_split(0x4, 4, 0x24)
    }
    pub fn inode_table(&self) -> u64 {
        self.get_split(0x8, 4, 0x28)
    }
    pub fn free_blocks(&self) -> u32 {
        self.get_split(0xc, 2, 0x2c) as u32
    }
    pub fn set_free_blocks(&mut self, value: u32) {
        self.set_split(0xc, 2, 0x2c, u64::from(value));
    }
    pub fn free_inodes(&self) -> u32 {
        self.get_split(0xe, 2, 0x2e) as u32
    }
    pub fn set_free_inodes(&mut self, value: u32) {
        self.set_split(0xe, 2, 0x2e, u64::from(value));
    }
    pub fn used_dirs(&self) -> u32 {
        self.get_split(0x10, 2, 0x30) as u32
    }
    pub fn set_used_dirs(&mut self, value: u32) {
        self.set_split(0x10, 2, 0x30, u64::from(value));
    }
    pub fn flags(&self) -> u16 {
        u16_at(&self.raw, 0x12)
    }
    pub fn set_flags(&mut self, value: u16) {
        set_u16(&mut self.raw, 0x12, value);
    }
    pub fn itable_unused(&self) -> u32 {
        self.get_split(0x1c, 2, 0x32) as u32
    }
    pub fn set_itable_unused(&mut self, value: u32) {
        self.set_split(0x1c, 2, 0x32, u64::from(value));
    }
    pub fn block_bitmap_csum(&self) -> u32 {
        self.get_split(0x18, 2, 0x38) as u32
    }
    pub fn set_block_bitmap_csum(&mut self, value: u32) {
        self.set_split(0x18, 2, 0x38, u64::from(value));
    }
    pub fn inode_bitmap_csum(&self) -> u32 {
        self.get_split(0x1a, 2, 0x3a) as u32
    }
    pub fn set_inode_bitmap_csum(&mut self, value: u32) {
        self.set_split(0x1a, 2, 0x3a, u64::from(value));
    }

    /// The checksum this descriptor of group `group` should carry, if the file system has one.
    pub fn checksum(&self, sb: &Superblock, group: u32) -> Option<u16> {
        if sb.has_csum() {
            let mut crc = crc32c(sb.csum_seed, &group.to_le_bytes());
            crc = crc32c(crc, &self.raw[..0x1e]);
            crc = crc32c(crc, &[0, 0]);
            crc = crc32c(crc, &self.raw[0x20..]);
            Some(crc as u16)
        } else if sb.has_gdt_csum() {
            let mut crc = crc16(!0, &sb.raw[0x68..0x78]);
            crc = crc16(crc, &group.to_le_bytes());
            crc = crc16(crc, &self.raw[..0x1e]);
            if self.raw.len() > 0x20 {
                crc = crc16(crc, &self.raw[0x20..]);
            }
            Some(crc)
        } else {
            None
        }
    }

    pub fn verify(&self, sb: &Superblock, group: u32) -> bool {
        self.checksum(sb, group)
            .is_none_or(|sum| sum == u16_at(&self.raw, 0x1e))
    }

    pub fn finish(&mut self, sb: &Superblock, group: u32) {
        if let Some(sum) = self.checksum(sb, group) {
            set_u16(&mut self.raw, 0x1e, sum);
        }
    }
}

/// The checksum of a bitmap's first `bytes` bytes, truncated to 16 bits for 32-byte descriptors.
pub fn bitmap_csum(sb: &Superblock, bitmap: &[u8], bytes: usize) -> u32 {
    let sum = crc32c(sb.csum_seed, bitmap.get(..bytes).unwrap_or(bitmap));
    if sb.desc_size >= 64 {
        sum
    } else {
        sum & 0xffff
    }
}
