//! Directory blocks: `ext4_dir_entry_2` records (inode, record length, name length, file type,
//! name), a 12-byte checksum tail when `metadata_csum` is on (`ext4_dir_entry_tail`), and the
//! checks of Linux's `ext4_check_dir_entry` on every record read. Also the helpers that insert
//! a record into a block's free space and remove one by merging it into its predecessor.

use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::le::*;
use crate::{Error, Result};

/// The file type recorded in a directory entry (`EXT4_FT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Unknown,
    Regular,
    Directory,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Symlink,
}

impl FileType {
    pub fn from_code(code: u8) -> FileType {
        match code {
            1 => FileType::Regular,
            2 => FileType::Directory,
            3 => FileType::CharDevice,
            4 => FileType::BlockDevice,
            5 => FileType::Fifo,
            6 => FileType::Socket,
            7 => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            FileType::Unknown => 0,
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::CharDevice => 3,
            FileType::BlockDevice => 4,
            FileType::Fifo => 5,
            FileType::Socket => 6,
            FileType::Symlink => 7,
        }
    }

    /// The entry type of an inode mode.
    pub fn from_mode(mode: u16) -> FileType {
        use crate::inode::*;
        match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            S_IFLNK => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }

    /// The `d_type` of getdents64 (`DT_*`).
    pub fn dtype(self) -> u8 {
        match self {
            FileType::Unknown => 0,
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// One name in a directory, as readdir gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u32,
    pub name: Vec<u8>,
    pub file_type: FileType,
    /// The position to continue reading after this entry.
    pub next_pos: u64,
}

pub const TAIL_SIZE: usize = 12;
const TAIL_FT: u8 = 0xde;

/// The smallest record for a name of `len` bytes.
pub fn rec_len_for(name_len: usize) -> usize {
    (8 + name_len + 3) & !3
}

pub fn rec_len_from_disk(value: u16, block_size: usize) -> usize {
    let value = usize::from(value);
    if block_size < 65536 {
        return value;
    }
    if value == 65535 || value == 0 {
        return block_size;
    }
    (value & 65532) | ((value & 3) << 16)
}

pub fn rec_len_to_disk(len: usize, block_size: usize) -> u16 {
    if block_size < 65536 {
        return len as u16;
    }
    if len == block_size {
        return if block_size == 65536 { 65535 } else { 0 };
    }
    ((len & 65532) | ((len >> 16) & 3)) as u16
}

/// A record as found in a block.
#[derive(Debug, Clone, Copy)]
pub struct RawEntry {
    pub offset: usize,
    pub ino: u32,
    pub rec_len: usize,
    pub name_len: usize,
    pub file_type: u8,
}

/// How to read records: block size, whether the file-type byte exists, the largest inode.
#[derive(Clone, Copy)]
pub struct Layout {
    pub block_size: usize,
    pub filetype: bool,
    pub max_ino: u32,
}

/// Parses the records of `block[start..end]`, checking each as `ext4_check_dir_entry`.
pub fn parse(block: &[u8], start: usize, end: usize, layout: Layout) -> Result<Vec<RawEntry>> {
    let mut out = Vec::new();
    let mut offset = start;
    while offset < end {
        if end - offset < 12 {
            return Err(Error::Corrupt("directory entry runs past the block"));
        }
        let ino = u32_at(block, offset);
        let rec_len = rec_len_from_disk(u16_at(block, offset + 4), layout.block_size);
        let (name_len, file_type) = if layout.filetype {
            (
                usize::from(u8_at(block, offset + 6)),
                u8_at(block, offset + 7),
            )
        } else {
            (usize::from(u16_at(block, offset + 6)), 0)
        };
        if rec_len < 12 || !rec_len.is_multiple_of(4) {
            return Err(Error::Corrupt("directory entry record length"));
        }
        if rec_len < rec_len_for(name_len) {
            return Err(Error::Corrupt("directory entry too short for its name"));
        }
        if rec_len > end - offset {
            return Err(Error::Corrupt("directory entry runs past the block"));
        }
        if ino > layout.max_ino {
            return Err(Error::Corrupt("directory entry inode number"));
        }
        out.try_reserve(1).map_err(|_| Error::NoMem)?;
        out.push(RawEntry {
            offset,
            ino,
            rec_len,
            name_len,
            file_type,
        });
        offset += rec_len;
    }
    Ok(out)
}

pub fn name_of<'a>(block: &'a [u8], entry: &RawEntry) -> &'a [u8] {
    block
        .get(entry.offset + 8..entry.offset + 8 + entry.name_len)
        .unwrap_or(&[])
}

/// Whether the block ends with a checksum tail.
pub fn has_tail(block: &[u8]) -> bool {
    let t = block.len() - TAIL_SIZE;
    u32_at(block, t) == 0
        && u16_at(block, t + 4) == 12
        && u8_at(block, t + 6) == 0
        && u8_at(block, t + 7) == TAIL_FT
}

pub fn leaf_csum(seed: u32, block: &[u8]) -> u32 {
    crc32c(seed, &block[..block.len() - TAIL_SIZE])
}

pub fn verify_leaf(seed: u32, block: &[u8]) -> Result<()> {
    if !has_tail(block) {
        return Err(Error::Corrupt("directory block without checksum tail"));
    }
    if u32_at(block, block.len() - 4) != leaf_csum(seed, block) {
        return Err(Error::BadChecksum("directory block"));
    }
    Ok(())
}

/// Writes the tail and its checksum.
pub fn finish_leaf(seed: u32, block: &mut [u8]) {
    let t = block.len() - TAIL_SIZE;
    set_u32(block, t, 0);
    set_u16(block, t + 4, 12);
    set_u8(block, t + 6, 0);
    set_u8(block, t + 7, TAIL_FT);
    let sum = leaf_csum(seed, block);
    set_u32(block, t + 8, sum);
}

pub fn write_entry(
    block: &mut [u8],
    offset: usize,
    ino: u32,
    rec_len: usize,
    name: &[u8],
    ft: u8,
    layout: Layout,
) {
    set_u32(block, offset, ino);
    set_u16(
        block,
        offset + 4,
        rec_len_to_disk(rec_len, layout.block_size),
    );
    if layout.filetype {
        set_u8(block, offset + 6, name.len() as u8);
        set_u8(block, offset + 7, ft);
    } else {
        set_u16(block, offset + 6, name.len() as u16);
    }
    if let Some(dst) = block.get_mut(offset + 8..offset + 8 + name.len()) {
        dst.copy_from_slice(name);
    }
}

/// An empty leaf: one unused record over the space, and the tail if `csum`.
pub fn empty_leaf(block: &mut [u8], csum: bool, layout: Layout) {
    block.fill(0);
    let space = if csum {
        block.len() - TAIL_SIZE
    } else {
        block.len()
    };
    write_entry(block, 0, 0, space, &[], 0, layout);
}

/// Puts a record for `name` in the block's free space if it fits (`ext4_insert_dentry`).
pub fn insert(
    block: &mut [u8],
    end: usize,
    name: &[u8],
    ino: u32,
    ft: u8,
    layout: Layout,
) -> Result<bool> {
    let need = rec_len_for(name.len());
    for entry in parse(block, 0, end, layout)? {
        let used = if entry.ino == 0 {
            0
        } else {
            rec_len_for(entry.name_len)
        };
        if entry.rec_len >= used + need {
            if entry.ino == 0 {
                write_entry(block, entry.offset, ino, entry.rec_len, name, ft, layout);
            } else {
                let rest = entry.rec_len - used;
                set_u16(
                    block,
                    entry.offset + 4,
                    rec_len_to_disk(used, layout.block_size),
                );
                write_entry(block, entry.offset + used, ino, rest, name, ft, layout);
            }
            return Ok(true);
        }
    }
    Ok(false)
}

/// Removes the record at `offset`, merging it into the previous one (`ext4_generic_delete_entry`).
pub fn remove(block: &mut [u8], end: usize, offset: usize, layout: Layout) -> Result<()> {
    let mut prev: Option<RawEntry> = None;
    for entry in parse(block, 0, end, layout)? {
        if entry.offset == offset {
            match prev {
                Some(p) => set_u16(
                    block,
                    p.offset + 4,
                    rec_len_to_disk(p.rec_len + entry.rec_len, layout.block_size),
                ),
                None => set_u32(block, offset, 0),
            }
            return Ok(());
        }
        prev = Some(entry);
    }
    Err(Error::Corrupt("directory entry vanished"))
}
