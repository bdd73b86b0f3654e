//! Inodes: the 128-byte base and the `i_extra_isize` bytes after it (nanoseconds, btime,
//! `i_checksum_hi`), kept as raw bytes so unknown fields survive a rewrite. Checksums follow
//! `ext4_inode_csum`: CRC-32C seeded with the inode number and generation over the whole
//! inode with the checksum fields read as zero.

use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::le::*;
use crate::sb::{RO_HUGE_FILE, Superblock};
use crate::{Error, Result};

pub const S_IFMT: u16 = 0o170000;
pub const S_IFSOCK: u16 = 0o140000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFIFO: u16 = 0o010000;

pub const FL_INDEX: u32 = 0x1000;
pub const FL_HUGE_FILE: u32 = 0x40000;
pub const FL_EXTENTS: u32 = 0x80000;
pub const FL_EA_INODE: u32 = 0x200000;
pub const FL_INLINE_DATA: u32 = 0x1000_0000;

/// The inode number of the root directory.
pub const ROOT_INO: u32 = 2;

/// Seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Timestamp {
    pub sec: i64,
    pub nsec: u32,
}

/// What `stat` reports about an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ino: u32,
    pub mode: u16,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte units, as `st_blocks`.
    pub blocks: u64,
    pub atime: Timestamp,
    pub mtime: Timestamp,
    pub ctime: Timestamp,
    /// Creation time, when the inode is large enough to hold it.
    pub btime: Option<Timestamp>,
    /// (major, minor) of a device inode.
    pub rdev: (u32, u32),
    pub generation: u32,
    pub flags: u32,
}

/// One inode's bytes and number.
#[derive(Clone)]
pub struct Inode {
    pub ino: u32,
    pub raw: Vec<u8>,
}

/// Time fields: (seconds offset, extra offset or 0 for none).
pub const ATIME: (usize, usize) = (0x08, 0x8c);
pub const CTIME: (usize, usize) = (0x0c, 0x84);
pub const MTIME: (usize, usize) = (0x10, 0x88);
pub const CRTIME: (usize, usize) = (0x90, 0x94);

impl Inode {
    pub fn mode(&self) -> u16 {
        u16_at(&self.raw, 0x0)
    }
    pub fn set_mode(&mut self, mode: u16) {
        set_u16(&mut self.raw, 0x0, mode);
    }
    pub fn file_type(&self) -> u16 {
        self.mode() & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.file_type() == S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == S_IFLNK
    }
    pub fn uid(&self) -> u32 {
        u32::from(u16_at(&self.raw, 0x2)) | (u32::from(u16_at(&self.raw, 0x78)) << 16)
    }
    pub fn set_uid(&mut self, uid: u32) {
        set_u16(&mut self.raw, 0x2, uid as u16);
        set_u16(&mut self.raw, 0x78, (uid >> 16) as u16);
    }
    pub fn gid(&self) -> u32 {
        u32::from(u16_at(&self.raw, 0x18)) | (u32::from(u16_at(&self.raw, 0x7a)) << 16)
    }
    pub fn set_gid(&mut self, gid: u32) {
        set_u16(&mut self.raw, 0x18, gid as u16);
        set_u16(&mut self.raw, 0x7a, (gid >> 16) as u16);
    }
    pub fn size(&self) -> u64 {
        u64::from(u32_at(&self.raw, 0x4)) | (u64::from(u32_at(&self.raw, 0x6c)) << 32)
    }
    pub fn set_size(&mut self, size: u64) {
        set_u32(&mut self.raw, 0x4, size as u32);
        set_u32(&mut self.raw, 0x6c, (size >> 32) as u32);
    }
    pub fn links(&self) -> u16 {
        u16_at(&self.raw, 0x1a)
    }
    pub fn set_links(&mut self, links: u16) {
        set_u16(&mut self.raw, 0x1a, links);
    }
    pub fn flags(&self) -> u32 {
        u32_at(&self.raw, 0x20)
    }
    pub fn set_flags(&mut self, flags: u32) {
        set_u32(&mut self.raw, 0x20, flags);
    }
    pub fn generation(&self) -> u32 {
        u32_at(&self.raw, 0x64)
    }
    pub fn set_generation(&mut self, generation: u32) {
        set_u32(&mut self.raw, 0x64, generation);
    }
    pub fn set_dtime(&mut self, value: u32) {
        set_u32(&mut self.raw, 0x14, value);
    }
    pub fn file_acl(&self) -> u64 {
        u64::from(u32_at(&self.raw, 0x68)) | (u64::from(u16_at(&self.raw, 0x76)) << 32)
    }
    pub fn set_file_acl(&mut self, block: u64) {
        set_u32(&mut self.raw, 0x68, block as u32);
        set_u16(&mut self.raw, 0x76, (block >> 32) as u16);
    }
    /// The 60 bytes of `i_block`: extent root, block map, fast symlink or inline data.
    pub fn i_block(&self) -> &[u8] {
        &self.raw[0x28..0x64]
    }
    pub fn i_block_mut(&mut self) -> &mut [u8] {
        &mut self.raw[0x28..0x64]
    }
    pub fn has_extents(&self) -> bool {
        self.flags() & FL_EXTENTS != 0
    }
    pub fn has_inline_data(&self) -> bool {
        self.flags() & FL_INLINE_DATA != 0
    }
    /// `i_extra_isize`, 0 for 128-byte inodes.
    pub fn extra_isize(&self) -> usize {
        if self.raw.len() <= 128 {
            0
        } else {
            usize::from(u16_at(&self.raw, 0x80))
        }
    }
    /// Whether the field ending at byte `end` lies within the inode's extra space.
    fn fits(&self, end: usize) -> bool {
        end <= 128 + self.extra_isize()
    }

    /// `i_blocks` in 512-byte units.
    pub fn blocks_512(&self, sb: &Superblock) -> u64 {
        let mut value = u64::from(u32_at(&self.raw, 0x1c));
        if sb.ro_compat() & RO_HUGE_FILE != 0 {
            value |= u64::from(u16_at(&self.raw, 0x74)) << 32;
            if self.flags() & FL_HUGE_FILE != 0 {
                value <<= sb.log_block_size + 1;
            }
        }
        value
    }
    /// Sets `i_blocks` from 512-byte units (fails past what the format can hold).
    pub fn set_blocks_512(&mut self, sb: &Superblock, value: u64) -> Result<()> {
        let huge = sb.ro_compat() & RO_HUGE_FILE != 0;
        let mut flags = self.flags() & !FL_HUGE_FILE;
        let stored = if value <= u64::from(u32::MAX) || (huge && value < 1 << 48) {
            value
        } else if huge {
            flags |= FL_HUGE_FILE;
            let blocks = value >> (sb.log_block_size + 1);
            if blocks >= 1 << 48 {
                return Err(Error::FileTooBig);
            }
            blocks
        } else {
            return Err(Error::FileTooBig);
        };
        set_u32(&mut self.raw, 0x1c, stored as u32);
        set_u16(&mut self.raw, 0x74, (stored >> 32) as u16);
        self.set_flags(flags);
        Ok(())
    }

    pub fn time(&self, field: (usize, usize)) -> Timestamp {
        let (sec_off, extra_off) = field;
        if sec_off >= 0x80 && !self.fits(sec_off + 4) {
            return Timestamp::default();
        }
        let mut sec = i64::from(u32_at(&self.raw, sec_off) as i32);
        let mut nsec = 0;
        if self.fits(extra_off + 4) {
            let extra = u32_at(&self.raw, extra_off);
            sec += i64::from(extra & 3) << 32;
            nsec = (extra >> 2).min(999_999_999);
        }
        Timestamp { sec, nsec }
    }

    pub fn set_time(&mut self, field: (usize, usize), time: Timestamp) {
        let (sec_off, extra_off) = field;
        if sec_off >= 0x80 && !self.fits(sec_off + 4) {
            return;
        }
        set_u32(&mut self.raw, sec_off, time.sec as u32);
        if self.fits(extra_off + 4) {
            let epoch = ((time.sec - i64::from(time.sec as i32)) >> 32) as u32 & 3;
            set_u32(&mut self.raw, extra_off, epoch | (time.nsec << 2));
        }
    }

    pub fn has_btime(&self) -> bool {
        self.fits(0x94)
    }

    pub fn rdev(&self) -> (u32, u32) {
        let old = u32_at(&self.raw, 0x28);
        if old != 0 {
            return ((old >> 8) & 0xff, old & 0xff);
        }
        let new = u32_at(&self.raw, 0x2c);
        ((new & 0xfff00) >> 8, (new & 0xff) | ((new >> 12) & 0xfff00))
    }

    pub fn set_rdev(&mut self, major: u32, minor: u32) {
        if major < 256 && minor < 256 {
            set_u32(&mut self.raw, 0x28, (major << 8) | minor);
            set_u32(&mut self.raw, 0x2c, 0);
        } else {
            set_u32(&mut self.raw, 0x28, 0);
            set_u32(
                &mut self.raw,
                0x2c,
                (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12),
            );
        }
    }

    /// The seed of every checksum belonging to this inode (`i_csum_seed`).
    pub fn csum_seed(&self, sb: &Superblock) -> u32 {
        let crc = crc32c(sb.csum_seed, &self.ino.to_le_bytes());
        crc32c(crc, &self.generation().to_le_bytes())
    }

    fn compute_csum(&self, sb: &Superblock) -> u32 {
        let mut crc = crc32c(self.csum_seed(sb), &self.raw[..0x7c]);
        crc = crc32c(crc, &[0, 0]);
        crc = crc32c(crc, &self.raw[0x7e..128]);
        if self.raw.len() > 128 {
            crc = crc32c(crc, &self.raw[128..0x82]);
            let mut rest = 0x82;
            if self.fits(0x84) {
                crc = crc32c(crc, &[0, 0]);
                rest = 0x84;
            }
            crc = crc32c(crc, &self.raw[rest..]);
        }
        crc
    }

    pub fn verify_csum(&self, sb: &Superblock) -> bool {
        if !sb.has_csum() {
            return true;
        }
        let sum = self.compute_csum(sb);
        let mut stored = u32::from(u16_at(&self.raw, 0x7c));
        let mut mask = 0xffff;
        if self.raw.len() > 128 && self.fits(0x84) {
            stored |= u32::from(u16_at(&self.raw, 0x82)) << 16;
            mask = !0;
        }
        sum & mask == stored
    }

    pub fn set_csum(&mut self, sb: &Superblock) {
        if !sb.has_csum() {
            return;
        }
        let sum = self.compute_csum(sb);
        set_u16(&mut self.raw, 0x7c, sum as u16);
        if self.raw.len() > 128 && self.fits(0x84) {
            set_u16(&mut self.raw, 0x82, (sum >> 16) as u16);
        }
    }

    /// Checks what every use of the inode relies on (`__ext4_iget`'s checks).
    pub fn check(&self, sb: &Superblock) -> Result<()> {
        if !self.verify_csum(sb) {
            return Err(Error::BadChecksum("inode"));
        }
        if self.raw.len() > 128 {
            let extra = self.extra_isize();
            if 128 + extra > self.raw.len() || !extra.is_multiple_of(4) {
                return Err(Error::Corrupt("inode extra size"));
            }
        }
        let acl = self.file_acl();
        if acl != 0 && (acl < u64::from(sb.first_data_block) + 1 || acl >= sb.blocks_count) {
            return Err(Error::Corrupt("inode xattr block"));
        }
        if self.flags() & FL_EA_INODE != 0 {
            return Err(Error::Unsupported);
        }
        Ok(())
    }

    pub fn stat(&self, sb: &Superblock) -> Stat {
        let mode = self.mode();
        let kind = mode & S_IFMT;
        Stat {
            ino: self.ino,
            mode,
            nlink: u32::from(self.links()),
            uid: self.uid(),
            gid: self.gid(),
            size: self.size(),
            blocks: self.blocks_512(sb),
            atime: self.time(ATIME),
            mtime: self.time(MTIME),
            ctime: self.time(CTIME),
            btime: if self.has_btime() {
                Some(self.time(CRTIME))
            } else {
                None
            },
            rdev: if kind == S_IFCHR || kind == S_IFBLK {
                self.rdev()
            } else {
                (0, 0)
            },
            generation: self.generation(),
            flags: self.flags(),
        }
    }
}
