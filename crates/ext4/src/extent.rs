//! The extent tree (`EXT4_EXTENTS_FL`): a header and four entries in `i_block`, then index and
//! leaf blocks with a CRC-32C tail, at most five levels deep (Linux's `EXT4_MAX_EXTENT_DEPTH`).
//!
//! Reading descends the tree for one logical block, checking each node as `__ext4_ext_check`
//! does (magic, counts within capacity, the depth its parent expects, the tail checksum).
//! Writing works on the flattened, sorted list of extents: an operation edits the list
//! (insert with merging, removal with splitting, unwritten-to-written conversion) and
//! [`Ext4::store_extents`] lays the list out again as a tree of the depth it needs, reusing the
//! old tree's blocks first. Leaves are packed full, so the tree grows in depth only when the
//! file's extents outgrow four leaves per index level. Every list read is strictly ordered and
//! within the file system, so a tree whose nodes repeat or overlap is corruption, not a loop.

use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::inode::Inode;
use crate::le::*;
use crate::{BlockDevice, Error, Ext4, Result, zeroed};

const MAGIC: u16 = 0xf30a;
pub const MAX_DEPTH: u16 = 5;
/// The longest initialized extent, and the longest unwritten one.
pub const MAX_LEN: u32 = 32768;
pub const MAX_UNWRITTEN_LEN: u32 = 32767;

/// One extent: `len` logical blocks from `lblk` at physical `pblk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub lblk: u32,
    pub len: u32,
    pub pblk: u64,
    pub unwritten: bool,
}

impl Extent {
    pub fn end(&self) -> u64 {
        u64::from(self.lblk) + u64::from(self.len)
    }
}

/// Where a logical block lives: `len` blocks from it share the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub pblk: Option<u64>,
    pub len: u32,
    pub unwritten: bool,
}

struct Header {
    entries: usize,
    max: usize,
    depth: u16,
}

fn header(node: &[u8], capacity: usize) -> Result<Header> {
    if u16_at(node, 0) != MAGIC {
        return Err(Error::Corrupt("extent header magic"));
    }
    let entries = usize::from(u16_at(node, 2));
    let max = usize::from(u16_at(node, 4));
    let depth = u16_at(node, 6);
    if max > capacity || entries > max || depth > MAX_DEPTH {
        return Err(Error::Corrupt("extent header counts"));
    }
    Ok(Header {
        entries,
        max,
        depth,
    })
}

fn leaf_entry(node: &[u8], i: usize) -> Extent {
    let off = 12 + 12 * i;
    let raw_len = u32::from(u16_at(node, off + 4));
    let (len, unwritten) = if raw_len > MAX_LEN {
        (raw_len - MAX_LEN, true)
    } else {
        (raw_len, false)
    };
    Extent {
        lblk: u32_at(node, off),
        len,
        pblk: u64::from(u32_at(node, off + 8)) | (u64::from(u16_at(node, off + 6)) << 32),
        unwritten,
    }
}

fn index_entry(node: &[u8], i: usize) -> (u32, u64) {
    let off = 12 + 12 * i;
    (
        u32_at(node, off),
        u64::from(u32_at(node, off + 4)) | (u64::from(u16_at(node, off + 8)) << 32),
    )
}

/// A file's extents and the tree blocks that held them.
pub struct ExtentList {
    pub extents: Vec<Extent>,
    pub tree_blocks: Vec<u64>,
}

impl<D: BlockDevice> Ext4<D> {
    fn node_capacity(&self) -> usize {
        (self.sb.block_size as usize - 12) / 12
    }

    fn extent_tail_csum(&self, inode: &Inode, node: &[u8], max: usize) -> u32 {
        crc32c(inode.csum_seed(&self.sb), &node[..12 + 12 * max])
    }

    /// Reads and checks a tree block expected at `depth`.
    fn read_extent_node(
        &mut self,
        inode: &Inode,
        block: u64,
        depth: u16,
    ) -> Result<(Vec<u8>, Header)> {
        if block <= u64::from(self.sb.first_data_block) {
            return Err(Error::Corrupt("extent block number"));
        }
        let node = self.read_block(block)?;
        let head = header(&node, self.node_capacity())?;
        if head.depth != depth {
            return Err(Error::Corrupt("extent tree depth"));
        }
        if self.sb.has_csum()
            && u32_at(&node, 12 + 12 * head.max) != self.extent_tail_csum(inode, &node, head.max)
        {
            return Err(Error::BadChecksum("extent block"));
        }
        Ok((node, head))
    }

    fn check_extent(&self, ext: &Extent) -> Result<()> {
        let end = ext.pblk.checked_add(u64::from(ext.len));
        if ext.len == 0
            || ext.pblk <= u64::from(self.sb.first_data_block)
            || end.is_none_or(|e| e > self.sb.blocks_count)
        {
            return Err(Error::Corrupt("extent outside the file system"));
        }
        if ext.end() > 1 << 32 {
            return Err(Error::Corrupt("extent past the largest block number"));
        }
        Ok(())
    }

    /// Maps logical block `lblk` of an extent-mapped inode.
    pub(crate) fn extent_map(&mut self, inode: &Inode, lblk: u32) -> Result<Mapping> {
        let root = inode.i_block().to_vec();
        let head = header(&root, 4)?;
        let mut node = root;
        let mut head = head;
        // The first logical block after this subtree, from the index entries above.
        let mut next_key: u64 = 1 << 32;
        loop {
            if head.depth == 0 {
                let mut found: Option<Extent> = None;
                for i in 0..head.entries {
                    let ext = leaf_entry(&node, i);
                    if ext.lblk > lblk {
                        next_key = next_key.min(u64::from(ext.lblk));
                        break;
                    }
                    found = Some(ext);
                }
                if let Some(ext) = found
                    && u64::from(lblk) < ext.end()
                {
                    self.check_extent(&ext)?;
                    let skip = lblk - ext.lblk;
                    return Ok(Mapping {
                        pblk: Some(ext.pblk + u64::from(skip)),
                        len: ext.len - skip,
                        unwritten: ext.unwritten,
                    });
                }
                let len = (next_key - u64::from(lblk)).min(u64::from(u32::MAX)) as u32;
                return Ok(Mapping {
                    pblk: None,
                    len: len.max(1),
                    unwritten: false,
                });
            }
            let mut child = None;
            for i in 0..head.entries {
                let (key, block) = index_entry(&node, i);
                if key > lblk {
                    next_key = next_key.min(u64::from(key));
                    break;
                }
                child = Some(block);
            }
            let Some(block) = child else {
                let len = (next_key - u64::from(lblk)).min(u64::from(u32::MAX)) as u32;
                return Ok(Mapping {
                    pblk: None,
                    len: len.max(1),
                    unwritten: false,
                });
            };
            let (child_node, child_head) = self.read_extent_node(inode, block, head.depth - 1)?;
            node = child_node;
            head = child_head;
        }
    }

    /// Every extent of the inode in order, checked for order and bounds.
    pub(crate) fn load_extents(&mut self, inode: &Inode) -> Result<ExtentList> {
        let root = inode.i_block().to_vec();
        let head = header(&root, 4)?;
        let mut list = ExtentList {
            extents: Vec::new(),
            tree_blocks: Vec::new(),
        };
        self.collect(inode, &root, &head, &mut list)?;
        Ok(list)
    }

    fn collect(
        &mut self,
        inode: &Inode,
        node: &[u8],
        head: &Header,
        list: &mut ExtentList,
    ) -> Result<()> {
        if head.depth == 0 {
            for i in 0..head.entries {
                let ext = leaf_entry(node, i);
                self.check_extent(&ext)?;
                if let Some(prev) = list.extents.last()
                    && u64::from(ext.lblk) < prev.end()
                {
                    return Err(Error::Corrupt("extents out of order"));
                }
                list.extents.try_reserve(1).map_err(|_| Error::NoMem)?;
                list.extents.push(ext);
            }
            return Ok(());
        }
        for i in 0..head.entries {
            let (key, block) = index_entry(node, i);
            if let Some(prev) = list.extents.last()
                && u64::from(key) < prev.end()
            {
                return Err(Error::Corrupt("extent index out of order"));
            }
            if list.tree_blocks.contains(&block) {
                return Err(Error::Corrupt("extent block used twice"));
            }
            list.tree_blocks.try_reserve(1).map_err(|_| Error::NoMem)?;
            list.tree_blocks.push(block);
            let (child, child_head) = self.read_extent_node(inode, block, head.depth - 1)?;
            let before = list.extents.len();
            self.collect(inode, &child, &child_head, list)?;
            if list
                .extents
                .get(before)
                .is_some_and(|first| first.lblk < key)
            {
                return Err(Error::Corrupt("extent below its index key"));
            }
        }
        Ok(())
    }

    /// Writes `extents` (sorted, non-overlapping) as the inode's tree, reusing `old_blocks` and
    /// adjusting `i_blocks` for tree blocks gained or freed. The inode is written by the caller.
    pub(crate) fn store_extents(
        &mut self,
        inode: &mut Inode,
        extents: &[Extent],
        old_blocks: &[u64],
    ) -> Result<()> {
        let cap = self.node_capacity();
        // Levels of nodes, bottom up: each node is (first key, entries as 12-byte records).
        let mut records: Vec<(u32, [u8; 12])> = Vec::new();
        records
            .try_reserve(extents.len())
            .map_err(|_| Error::NoMem)?;
        for ext in extents {
            let mut rec = [0u8; 12];
            set_u32(&mut rec, 0, ext.lblk);
            let raw_len = if ext.unwritten {
                ext.len + MAX_LEN
            } else {
                ext.len
            };
            set_u16(&mut rec, 4, raw_len as u16);
            set_u16(&mut rec, 6, (ext.pblk >> 32) as u16);
            set_u32(&mut rec, 8, ext.pblk as u32);
            records.push((ext.lblk, rec));
        }
        let mut depth: u16 = 0;
        let mut reuse = old_blocks.iter().copied();
        let mut used_blocks: Vec<u64> = Vec::new();
        let goal = old_blocks
            .first()
            .copied()
            .or_else(|| extents.first().map(|e| e.pblk));
        while records.len() > 4 {
            if depth >= MAX_DEPTH - 1 {
                return Err(Error::FileTooBig);
            }
            let mut parents: Vec<(u32, [u8; 12])> = Vec::new();
            for chunk in records.chunks(cap) {
                let block = match reuse.next() {
                    Some(block) => block,
                    None => {
                        let near = used_blocks.last().map(|b| b + 1).or(goal).unwrap_or(0);
                        self.alloc_blocks(near, 1)?.0
                    }
                };
                used_blocks.try_reserve(1).map_err(|_| Error::NoMem)?;
                used_blocks.push(block);
                let mut node = zeroed(self.sb.block_size as usize)?;
                set_u16(&mut node, 0, MAGIC);
                set_u16(&mut node, 2, chunk.len() as u16);
                set_u16(&mut node, 4, cap as u16);
                set_u16(&mut node, 6, depth);
                for (i, (_, rec)) in chunk.iter().enumerate() {
                    node[12 + 12 * i..24 + 12 * i].copy_from_slice(rec);
                }
                if self.sb.has_csum() {
                    let sum = self.extent_tail_csum(inode, &node, cap);
                    set_u32(&mut node, 12 + 12 * cap, sum);
                }
                self.write_meta(block, node)?;
                let mut rec = [0u8; 12];
                set_u32(&mut rec, 0, chunk[0].0);
                set_u32(&mut rec, 4, block as u32);
                set_u16(&mut rec, 8, (block >> 32) as u16);
                parents.try_reserve(1).map_err(|_| Error::NoMem)?;
                parents.push((chunk[0].0, rec));
            }
            records = parents;
            depth += 1;
        }
        let leftover: Vec<u64> = reuse.collect();
        for block in &leftover {
            self.free_blocks(*block, 1)?;
        }
        let root = inode.i_block_mut();
        root.fill(0);
        set_u16(root, 0, MAGIC);
        set_u16(root, 2, records.len() as u16);
        set_u16(root, 4, 4);
        set_u16(root, 6, depth);
        for (i, (_, rec)) in records.iter().enumerate() {
            root[12 + 12 * i..24 + 12 * i].copy_from_slice(rec);
        }
        let per_block = u64::from(self.sb.block_size / 512);
        let blocks = inode.blocks_512(&self.sb);
        let blocks =
            blocks + used_blocks.len() as u64 * per_block - (old_blocks.len() as u64) * per_block;
        inode.set_blocks_512(&self.sb, blocks)
    }
}

/// An empty extent root for a new inode.
pub fn init_root(i_block: &mut [u8]) {
    i_block.fill(0);
    set_u16(i_block, 0, MAGIC);
    set_u16(i_block, 4, 4);
}

/// Inserts `ext` into the sorted list, merging with neighbours that continue it.
pub fn insert(list: &mut Vec<Extent>, ext: Extent) -> Result<()> {
    let pos = list.partition_point(|e| e.lblk < ext.lblk);
    let limit = |unwritten: bool| {
        if unwritten {
            MAX_UNWRITTEN_LEN
        } else {
            MAX_LEN
        }
    };
    if pos > 0 {
        let prev = &mut list[pos - 1];
        if prev.unwritten == ext.unwritten
            && prev.end() == u64::from(ext.lblk)
            && prev.pblk + u64::from(prev.len) == ext.pblk
            && prev.len + ext.len <= limit(ext.unwritten)
        {
            prev.len += ext.len;
            // The merged extent may now continue into the next one.
            if pos < list.len() {
                let next = list[pos];
                let prev = list[pos - 1];
                if next.unwritten == prev.unwritten
                    && prev.end() == u64::from(next.lblk)
                    && prev.pblk + u64::from(prev.len) == next.pblk
                    && prev.len + next.len <= limit(prev.unwritten)
                {
                    list[pos - 1].len += next.len;
                    list.remove(pos);
                }
            }
            return Ok(());
        }
    }
    if pos < list.len() {
        let next = &mut list[pos];
        if next.unwritten == ext.unwritten
            && ext.end() == u64::from(next.lblk)
            && ext.pblk + u64::from(ext.len) == next.pblk
            && next.len + ext.len <= limit(ext.unwritten)
        {
            next.lblk = ext.lblk;
            next.pblk = ext.pblk;
            next.len += ext.len;
            return Ok(());
        }
    }
    list.try_reserve(1).map_err(|_| Error::NoMem)?;
    list.insert(pos, ext);
    Ok(())
}

/// Removes logical blocks `start..end` from the list, splitting extents at the edges; returns
/// the physical runs that were removed.
pub fn remove_range(list: &mut Vec<Extent>, start: u64, end: u64) -> Result<Vec<(u64, u64)>> {
    let mut freed = Vec::new();
    let mut kept: Vec<Extent> = Vec::new();
    kept.try_reserve(list.len() + 1).map_err(|_| Error::NoMem)?;
    for ext in list.iter() {
        let (e_start, e_end) = (u64::from(ext.lblk), ext.end());
        if e_end <= start || e_start >= end {
            kept.push(*ext);
            continue;
        }
        if e_start < start {
            kept.push(Extent {
                len: (start - e_start) as u32,
                ..*ext
            });
        }
        let cut_start = e_start.max(start);
        let cut_end = e_end.min(end);
        freed.try_reserve(1).map_err(|_| Error::NoMem)?;
        freed.push((ext.pblk + (cut_start - e_start), cut_end - cut_start));
        if e_end > end {
            kept.push(Extent {
                lblk: end as u32,
                len: (e_end - end) as u32,
                pblk: ext.pblk + (end - e_start),
                unwritten: ext.unwritten,
            });
        }
    }
    *list = kept;
    Ok(freed)
}

/// Marks logical blocks `start..end` (inside unwritten extents) written, splitting as needed.
pub fn mark_written(list: &mut Vec<Extent>, start: u64, end: u64) -> Result<()> {
    let mut out: Vec<Extent> = Vec::new();
    out.try_reserve(list.len() + 2).map_err(|_| Error::NoMem)?;
    for ext in list.iter() {
        let (e_start, e_end) = (u64::from(ext.lblk), ext.end());
        if !ext.unwritten || e_end <= start || e_start >= end {
            out.push(*ext);
            continue;
        }
        let a = e_start.max(start);
        let b = e_end.min(end);
        if e_start < a {
            out.push(Extent {
                len: (a - e_start) as u32,
                ..*ext
            });
        }
        out.push(Extent {
            lblk: a as u32,
            len: (b - a) as u32,
            pblk: ext.pblk + (a - e_start),
            unwritten: false,
        });
        if b < e_end {
            out.push(Extent {
                lblk: b as u32,
                len: (e_end - b) as u32,
                pblk: ext.pblk + (b - e_start),
                unwritten: true,
            });
        }
    }
    // Merge neighbours that the conversion made contiguous.
    let mut merged: Vec<Extent> = Vec::new();
    merged.try_reserve(out.len()).map_err(|_| Error::NoMem)?;
    for ext in out {
        insert(&mut merged, ext)?;
    }
    *list = merged;
    Ok(())
}
