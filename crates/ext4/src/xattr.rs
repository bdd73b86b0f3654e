//! Extended attributes: in the inode body after `i_extra_isize` and in one block named by
//! `i_file_acl`, shared between inodes by reference count (`fs/ext4/xattr.c`'s formats).
//! Entries are checked as `ext4_xattr_check_entries` checks them; hashes of entries and the
//! block are computed as Linux computes them, and the block carries its CRC-32C.
//!
//! Setting rewrites the whole region: an attribute goes into the inode body when it fits there,
//! otherwise into the block; a shared block is copied before it changes. Values in other inodes
//! (`ea_inode`) are refused. POSIX ACLs are stored in ext4's compact form and are returned
//! as stored, not translated to the `system.posix_acl_*` xattr format.

use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::inode::Inode;
use crate::le::*;
use crate::{BlockDevice, Error, Ext4, Result, zeroed};

const MAGIC: u32 = 0xea02_0000;
const BLOCK_HEADER: usize = 32;
const ENTRY_HEADER: usize = 16;

/// `XATTR_CREATE` and `XATTR_REPLACE`.
pub const XATTR_CREATE: u32 = 1;
pub const XATTR_REPLACE: u32 = 2;

const PREFIXES: [(u8, &[u8]); 7] = [
    (2, b"system.posix_acl_access"),
    (3, b"system.posix_acl_default"),
    (8, b"system.richacl"),
    (1, b"user."),
    (4, b"trusted."),
    (6, b"security."),
    (7, b"system."),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub index: u8,
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

impl Attr {
    pub fn full_name(&self) -> Option<Vec<u8>> {
        let (_, prefix) = PREFIXES.iter().find(|(index, _)| *index == self.index)?;
        let mut name = prefix.to_vec();
        name.extend_from_slice(&self.name);
        Some(name)
    }
    fn entry_size(&self) -> usize {
        (ENTRY_HEADER + self.name.len() + 3) & !3
    }
    fn value_size(&self) -> usize {
        (self.value.len() + 3) & !3
    }
}

/// Splits a full name into its index and suffix; unknown prefixes are EOPNOTSUPP.
pub fn split_name(name: &[u8]) -> Result<(u8, &[u8])> {
    for (index, prefix) in PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            if (index == 2 || index == 3 || index == 8) && !rest.is_empty() {
                continue;
            }
            if rest.is_empty() && !(index == 2 || index == 3 || index == 8) {
                return Err(Error::Invalid);
            }
            if rest.len() > 255 {
                return Err(Error::Range);
            }
            return Ok((index, rest));
        }
    }
    Err(Error::Unsupported)
}

fn entry_hash(attr: &Attr) -> u32 {
    let mut hash = 0u32;
    for &byte in &attr.name {
        hash = (hash << 5) ^ (hash >> 27) ^ (byte as i8 as i32 as u32);
    }
    for chunk in attr.value.chunks(4) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash << 16) ^ (hash >> 16) ^ u32::from_le_bytes(word);
    }
    hash
}

/// Parses entries from `region[entries..]`; value offsets count from `value_base`.
fn parse(region: &[u8], entries: usize, value_base: usize) -> Result<Vec<Attr>> {
    let mut out = Vec::new();
    let mut off = entries;
    let entries_end;
    // First pass: find where the entry table ends, so values can be checked against it.
    loop {
        if off + 4 > region.len() {
            return Err(Error::Corrupt("xattr entries run past their region"));
        }
        if u32_at(region, off) == 0 {
            entries_end = off + 4;
            break;
        }
        let name_len = usize::from(u8_at(region, off));
        let size = (ENTRY_HEADER + name_len + 3) & !3;
        if off + size > region.len() {
            return Err(Error::Corrupt("xattr entry runs past its region"));
        }
        off += size;
    }
    let mut off = entries;
    while u32_at(region, off) != 0 {
        let name_len = usize::from(u8_at(region, off));
        let index = u8_at(region, off + 1);
        let value_offs = usize::from(u16_at(region, off + 2));
        let value_inum = u32_at(region, off + 4);
        let value_size = u32_at(region, off + 8) as usize;
        if value_inum != 0 {
            return Err(Error::Unsupported);
        }
        let start = value_base + value_offs;
        let end = start
            .checked_add(value_size)
            .ok_or(Error::Corrupt("xattr value size"))?;
        if value_size != 0 && (start < entries_end || end > region.len()) {
            return Err(Error::Corrupt("xattr value outside its region"));
        }
        out.try_reserve(1).map_err(|_| Error::NoMem)?;
        out.push(Attr {
            index,
            name: region[off + ENTRY_HEADER..off + ENTRY_HEADER + name_len].to_vec(),
            value: if value_size == 0 {
                Vec::new()
            } else {
                region[start..end].to_vec()
            },
        });
        off += (ENTRY_HEADER + name_len + 3) & !3;
    }
    Ok(out)
}

/// Lays `attrs` out in `region` (zeroed first); false when they do not fit.
fn build(attrs: &[Attr], region: &mut [u8], entries: usize, value_base: usize) -> bool {
    let table: usize = attrs.iter().map(Attr::entry_size).sum::<usize>() + 4;
    let values: usize = attrs.iter().map(Attr::value_size).sum();
    if entries + table + values > region.len() {
        return false;
    }
    region[entries..].fill(0);
    let mut off = entries;
    let mut value_end = region.len();
    for attr in attrs {
        let value_offs = if attr.value.is_empty() {
            0
        } else {
            value_end -= attr.value_size();
            region[value_end..value_end + attr.value.len()].copy_from_slice(&attr.value);
            value_end - value_base
        };
        set_u8(region, off, attr.name.len() as u8);
        set_u8(region, off + 1, attr.index);
        set_u16(region, off + 2, value_offs as u16);
        set_u32(region, off + 4, 0);
        set_u32(region, off + 8, attr.value.len() as u32);
        set_u32(region, off + 12, entry_hash(attr));
        region[off + ENTRY_HEADER..off + ENTRY_HEADER + attr.name.len()]
            .copy_from_slice(&attr.name);
        off += attr.entry_size();
    }
    true
}

fn block_csum(seed: u32, block_nr: u64, block: &[u8]) -> u32 {
    let mut crc = crc32c(seed, &block_nr.to_le_bytes());
    crc = crc32c(crc, &block[..0x10]);
    crc = crc32c(crc, &[0; 4]);
    crc32c(crc, &block[0x14..])
}

/// The attributes of an inode: those in its body, and those in its block.
pub struct Attrs {
    pub body: Vec<Attr>,
    pub block: Vec<Attr>,
}

impl<D: BlockDevice> Ext4<D> {
    fn body_region_start(&self, inode: &Inode) -> Option<usize> {
        let start = 128 + inode.extra_isize();
        if inode.raw.len() <= 128 || start + 4 >= inode.raw.len() {
            None
        } else {
            Some(start)
        }
    }

    pub(crate) fn load_xattrs(&mut self, inode: &Inode) -> Result<Attrs> {
        let mut body = Vec::new();
        if let Some(start) = self.body_region_start(inode) {
            let region = &inode.raw[start..];
            if u32_at(region, 0) == MAGIC {
                body = parse(region, 4, 4)?;
            }
        }
        let mut block = Vec::new();
        let acl = inode.file_acl();
        if acl != 0 {
            let data = self.read_block(acl)?;
            if u32_at(&data, 0) != MAGIC || u32_at(&data, 8) != 1 {
                return Err(Error::Corrupt("xattr block header"));
            }
            if self.sb.has_csum()
                && u32_at(&data, 0x10) != block_csum(self.sb.csum_seed, acl, &data)
            {
                return Err(Error::BadChecksum("xattr block"));
            }
            block = parse(&data, BLOCK_HEADER, 0)?;
        }
        Ok(Attrs { body, block })
    }

    /// The value of attribute `name`.
    pub fn get_xattr(&mut self, ino: u32, name: &[u8]) -> Result<Vec<u8>> {
        let (index, suffix) = split_name(name)?;
        let inode = self.get_inode(ino)?;
        let attrs = self.load_xattrs(&inode)?;
        attrs
            .body
            .into_iter()
            .chain(attrs.block)
            .find(|a| a.index == index && a.name == suffix)
            .map(|a| a.value)
            .ok_or(Error::NoData)
    }

    /// The names of the inode's attributes, body first.
    pub fn list_xattrs(&mut self, ino: u32) -> Result<Vec<Vec<u8>>> {
        let inode = self.get_inode(ino)?;
        let attrs = self.load_xattrs(&inode)?;
        Ok(attrs
            .body
            .iter()
            .chain(attrs.block.iter())
            .filter_map(Attr::full_name)
            .collect())
    }

    /// Sets (or with `value` None removes) attribute `name`, with `XATTR_CREATE`/`REPLACE`.
    pub fn set_xattr(
        &mut self,
        ino: u32,
        name: &[u8],
        value: Option<&[u8]>,
        flags: u32,
    ) -> Result<()> {
        let (index, suffix) = split_name(name)?;
        let suffix = suffix.to_vec();
        self.mutate(|fs| {
            let mut inode = fs.get_inode(ino)?;
            let mut attrs = fs.load_xattrs(&inode)?;
            let existed_body = attrs
                .body
                .iter()
                .position(|a| a.index == index && a.name == suffix);
            let existed_block = attrs
                .block
                .iter()
                .position(|a| a.index == index && a.name == suffix);
            let exists = existed_body.is_some() || existed_block.is_some();
            if value.is_none() && !exists {
                return Err(Error::NoData);
            }
            if flags & XATTR_CREATE != 0 && exists {
                return Err(Error::Exists);
            }
            if flags & XATTR_REPLACE != 0 && !exists {
                return Err(Error::NoData);
            }
            if let Some(i) = existed_body {
                attrs.body.remove(i);
            }
            if let Some(i) = existed_block {
                attrs.block.remove(i);
            }
            if let Some(value) = value {
                let attr = Attr {
                    index,
                    name: suffix.clone(),
                    value: value.to_vec(),
                };
                let mut body = attrs.body.clone();
                body.push(attr.clone());
                if fs.body_fits(&inode, &body) {
                    attrs.body = body;
                } else {
                    attrs.block.push(attr);
                    attrs.block.sort_by(|a, b| {
                        (a.index, a.name.len(), &a.name).cmp(&(b.index, b.name.len(), &b.name))
                    });
                }
            }
            fs.store_xattrs(&mut inode, &attrs)?;
            inode.set_time(crate::inode::CTIME, fs.now());
            fs.write_inode(&mut inode)
        })
    }

    fn body_fits(&self, inode: &Inode, attrs: &[Attr]) -> bool {
        let Some(start) = self.body_region_start(inode) else {
            return attrs.is_empty();
        };
        let mut scratch = inode.raw[start..].to_vec();
        build(attrs, &mut scratch, 4, 4)
    }

    /// Writes both regions; the caller writes the inode.
    pub(crate) fn store_xattrs(&mut self, inode: &mut Inode, attrs: &Attrs) -> Result<()> {
        if let Some(start) = self.body_region_start(inode) {
            let region = &mut inode.raw[start..];
            if attrs.body.is_empty() {
                region.fill(0);
            } else {
                set_u32(region, 0, MAGIC);
                if !build(&attrs.body, region, 4, 4) {
                    return Err(Error::NoSpace);
                }
            }
        } else if !attrs.body.is_empty() {
            return Err(Error::NoSpace);
        }
        let old = inode.file_acl();
        let per_block = u64::from(self.sb.block_size / 512);
        let mut refcount = 0;
        if old != 0 {
            let data = self.read_block(old)?;
            refcount = u32_at(&data, 4);
        }
        if attrs.block.is_empty() {
            if old != 0 {
                self.release_xattr_block(old, refcount)?;
                inode.set_file_acl(0);
                let blocks = inode.blocks_512(&self.sb).saturating_sub(per_block);
                inode.set_blocks_512(&self.sb, blocks)?;
            }
            return Ok(());
        }
        let mut data = zeroed(self.sb.block_size as usize)?;
        set_u32(&mut data, 0, MAGIC);
        set_u32(&mut data, 4, 1);
        set_u32(&mut data, 8, 1);
        if !build(&attrs.block, &mut data, BLOCK_HEADER, 0) {
            return Err(Error::NoSpace);
        }
        let mut hash = 0u32;
        for attr in &attrs.block {
            hash = (hash << 16) ^ (hash >> 16) ^ entry_hash(attr);
        }
        set_u32(&mut data, 0xc, hash);
        let block = if old != 0 && refcount <= 1 {
            old
        } else {
            if old != 0 {
                self.release_xattr_block(old, refcount)?;
            } else {
                let blocks = inode.blocks_512(&self.sb) + per_block;
                inode.set_blocks_512(&self.sb, blocks)?;
            }
            let goal = self.goal_for(inode, None);
            let (new, _) = self.alloc_blocks(goal, 1)?;
            inode.set_file_acl(new);
            new
        };
        if self.sb.has_csum() {
            let sum = block_csum(self.sb.csum_seed, block, &data);
            set_u32(&mut data, 0x10, sum);
        }
        self.write_meta(block, data)
    }

    /// Drops one reference to an attribute block, freeing it with the last.
    pub(crate) fn release_xattr_block(&mut self, block: u64, refcount: u32) -> Result<()> {
        if refcount <= 1 {
            return self.free_blocks(block, 1);
        }
        let mut data = self.read_block(block)?;
        set_u32(&mut data, 4, refcount - 1);
        if self.sb.has_csum() {
            let sum = block_csum(self.sb.csum_seed, block, &data);
            set_u32(&mut data, 0x10, sum);
        }
        self.write_meta(block, data)
    }

    /// The value of `system.data` (inline data beyond `i_block`), if any.
    pub(crate) fn inline_data_tail(&mut self, inode: &Inode) -> Result<Vec<u8>> {
        let attrs = self.load_xattrs(inode)?;
        Ok(attrs
            .body
            .into_iter()
            .find(|a| a.index == 7 && a.name == b"data")
            .map(|a| a.value)
            .unwrap_or_default())
    }
}
