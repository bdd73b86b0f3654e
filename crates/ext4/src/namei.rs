//! Names: lookup, readdir, and the calls that change directories (create, mknod, mkdir,
//! symlink, link, unlink, rmdir, rename), after Linux's `fs/ext4/namei.c`.
//!
//! Lookups in an indexed directory descend the hash tree (`dx_probe`) and follow hash
//! collisions into the next leaves; a hash tree that fails its checks is searched linearly, as
//! Linux falls back on `ERR_BAD_DX_DIR`. Inserts go into the leaf the hash picks; a full leaf
//! is split at the middle of its hash order with the collision bit set when the halves share a
//! hash; a full index node is split, and a full root grows the tree one level (two levels, or
//! three with `largedir`; past that ENOSPC as Linux). A linear directory whose single block is
//! full becomes indexed when `dir_index` is on (`make_indexed_dir`). Directory link counts
//! follow `dir_nlink`: past 64999 subdirectories the count stays at 1.

use alloc::vec::Vec;

use crate::dir::{self, DirEntry, FileType, Layout, RawEntry};
use crate::extent::{self, Extent};
use crate::htree::{self, NODE_COUNT_OFFSET, ROOT_COUNT_OFFSET};
use crate::inode::{self, FL_EXTENTS, FL_INDEX, Inode, ROOT_INO};
use crate::le::*;
use crate::sb::RO_DIR_NLINK;
use crate::{BlockDevice, Error, Ext4, Result, zeroed};

/// `renameat2`'s flags.
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;

/// Linux's `EXT4_LINK_MAX`.
const LINK_MAX: u16 = 65000;
/// Leaves followed on hash collisions, and directory blocks scanned, at most per lookup.
const MAX_COLLISION_LEAVES: usize = 4096;

/// Where a name was found.
#[derive(Clone, Copy, Debug)]
struct Found {
    lblk: u32,
    pblk: u64,
    offset: usize,
    ino: u32,
}

/// One level of a hash-tree descent.
struct Frame {
    lblk: u32,
    pblk: u64,
    block: Vec<u8>,
    count_offset: usize,
    at: usize,
}

struct Probe {
    frames: Vec<Frame>,
    leaf: u32,
    hash: u32,
    levels: u8,
}

#[derive(PartialEq, Eq)]
enum Kind {
    Leaf,
    Root,
    Node,
}

impl<D: BlockDevice> Ext4<D> {
    fn layout(&self) -> Layout {
        Layout {
            block_size: self.sb.block_size as usize,
            filetype: self.sb.has_filetype(),
            max_ino: self.sb.inodes_count,
        }
    }

    fn is_dx(&self, dir: &Inode) -> bool {
        self.sb.has_dir_index() && dir.flags() & FL_INDEX != 0
    }

    fn dir_blocks(&self, dir: &Inode) -> Result<u32> {
        let blocks = dir.size().div_ceil(u64::from(self.sb.block_size));
        u32::try_from(blocks).map_err(|_| Error::Corrupt("directory size"))
    }

    fn kind_of(&self, dir: &Inode, lblk: u32, block: &[u8]) -> Kind {
        if !self.is_dx(dir) {
            return Kind::Leaf;
        }
        if lblk == 0 {
            return Kind::Root;
        }
        let rec_len = dir::rec_len_from_disk(u16_at(block, 4), block.len());
        if u32_at(block, 0) == 0 && rec_len == block.len() {
            Kind::Node
        } else {
            Kind::Leaf
        }
    }

    /// Reads directory block `lblk` (None for a hole) and checks its checksum.
    fn dir_block(&mut self, dir: &Inode, lblk: u32) -> Result<Option<(u64, Vec<u8>)>> {
        let mapping = self.map(dir, lblk)?;
        let Some(pblk) = mapping.pblk else {
            return Ok(None);
        };
        if mapping.unwritten {
            return Ok(None);
        }
        let block = self.read_block(pblk)?;
        // A block of the running transaction got its checksum from us.
        if self.sb.has_csum() && !self.is_dirty(pblk) {
            let seed = dir.csum_seed(&self.sb);
            match self.kind_of(dir, lblk, &block) {
                Kind::Leaf => dir::verify_leaf(seed, &block)?,
                Kind::Root => htree::verify(seed, &block, ROOT_COUNT_OFFSET)?,
                Kind::Node => htree::verify(seed, &block, NODE_COUNT_OFFSET)?,
            }
        }
        Ok(Some((pblk, block)))
    }

    fn leaf_end(&self) -> usize {
        let bs = self.sb.block_size as usize;
        if self.sb.has_csum() {
            bs - dir::TAIL_SIZE
        } else {
            bs
        }
    }

    /// The records of a block, read up to the tail when there is one.
    fn block_entries(&self, block: &[u8]) -> Result<Vec<RawEntry>> {
        let end = if dir::has_tail(block) {
            block.len() - dir::TAIL_SIZE
        } else {
            block.len()
        };
        dir::parse(block, 0, end, self.layout())
    }

    fn write_leaf(&mut self, dir: &Inode, pblk: u64, mut block: Vec<u8>) -> Result<()> {
        if self.sb.has_csum() {
            dir::finish_leaf(dir.csum_seed(&self.sb), &mut block);
        }
        self.write_meta(pblk, block)
    }

    fn write_index(
        &mut self,
        dir: &Inode,
        pblk: u64,
        mut block: Vec<u8>,
        count_offset: usize,
    ) -> Result<()> {
        if self.sb.has_csum() {
            htree::finish(dir.csum_seed(&self.sb), &mut block, count_offset);
        }
        self.write_meta(pblk, block)
    }

    fn hash_of(&self, name: &[u8], version: u8) -> Result<(u32, u32)> {
        htree::name_hash(name, version, self.sb.unsigned_hash(), self.sb.hash_seed())
    }

    // ---- the hash tree ----

    fn dx_probe(&mut self, dir: &Inode, name: &[u8]) -> Result<(Probe, u8)> {
        let nblocks = self.dir_blocks(dir)?;
        let Some((pblk, root)) = self.dir_block(dir, 0)? else {
            return Err(Error::Corrupt("htree root is a hole"));
        };
        if u32_at(&root, 0x18) != 0 || u8_at(&root, 0x1d) != 8 {
            return Err(Error::Corrupt("htree root info"));
        }
        let version = u8_at(&root, 0x1c);
        let levels = u8_at(&root, 0x1e);
        let max_levels = if self.sb.has_largedir() { 3 } else { 2 };
        if levels >= max_levels {
            return Err(Error::Corrupt("htree depth"));
        }
        let (hash, _) = self.hash_of(name, version)?;
        let csum = self.sb.has_csum();
        htree::check(&root, ROOT_COUNT_OFFSET, csum)?;
        let mut frames = Vec::new();
        let mut block = root;
        let mut lblk = 0;
        let mut pblk = pblk;
        let mut count_offset = ROOT_COUNT_OFFSET;
        loop {
            let count = htree::check(&block, count_offset, csum)?;
            // The last entry whose hash is at most ours (entry 0 counts as hash 0).
            let mut at = 0;
            let (mut lo, mut hi) = (1usize, count);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if htree::entry(&block, count_offset, mid).0 <= hash {
                    at = mid;
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let child = htree::entry(&block, count_offset, at).1;
            if child == 0 || child >= nblocks {
                return Err(Error::Corrupt("htree entry block"));
            }
            frames.push(Frame {
                lblk,
                pblk,
                block,
                count_offset,
                at,
            });
            if frames.len() > usize::from(levels) {
                return Ok((
                    Probe {
                        frames,
                        leaf: child,
                        hash,
                        levels,
                    },
                    version,
                ));
            }
            let Some((child_pblk, node)) = self.dir_block(dir, child)? else {
                return Err(Error::Corrupt("htree node is a hole"));
            };
            if self.kind_of(dir, child, &node) != Kind::Node {
                return Err(Error::Corrupt("htree node expected"));
            }
            block = node;
            lblk = child;
            pblk = child_pblk;
            count_offset = NODE_COUNT_OFFSET;
        }
    }

    /// Moves the probe to the next leaf if it may hold more names of `hash`.
    fn dx_next_leaf(&mut self, dir: &Inode, probe: &mut Probe) -> Result<bool> {
        let mut level = probe.frames.len();
        while level > 0 {
            let frame = &probe.frames[level - 1];
            if frame.at + 1 < htree::count(&frame.block, frame.count_offset) {
                break;
            }
            level -= 1;
        }
        if level == 0 {
            return Ok(false);
        }
        let frame = &mut probe.frames[level - 1];
        frame.at += 1;
        let (next_hash, mut child) = htree::entry(&frame.block, frame.count_offset, frame.at);
        if next_hash & !1 != probe.hash {
            return Ok(false);
        }
        let nblocks = self.dir_blocks(dir)?;
        for deeper in level..probe.frames.len() {
            if child == 0 || child >= nblocks {
                return Err(Error::Corrupt("htree entry block"));
            }
            let Some((pblk, node)) = self.dir_block(dir, child)? else {
                return Err(Error::Corrupt("htree node is a hole"));
            };
            htree::check(&node, NODE_COUNT_OFFSET, self.sb.has_csum())?;
            probe.frames[deeper] = Frame {
                lblk: child,
                pblk,
                block: node,
                count_offset: NODE_COUNT_OFFSET,
                at: 0,
            };
            child = htree::entry(&probe.frames[deeper].block, NODE_COUNT_OFFSET, 0).1;
        }
        if child == 0 || child >= nblocks {
            return Err(Error::Corrupt("htree entry block"));
        }
        probe.leaf = child;
        Ok(true)
    }

    fn search_block(&mut self, dir: &Inode, lblk: u32, name: &[u8]) -> Result<Option<Found>> {
        let Some((pblk, block)) = self.dir_block(dir, lblk)? else {
            return Ok(None);
        };
        if self.kind_of(dir, lblk, &block) == Kind::Node {
            return Ok(None);
        }
        for entry in self.block_entries(&block)? {
            if entry.ino != 0 && dir::name_of(&block, &entry) == name {
                return Ok(Some(Found {
                    lblk,
                    pblk,
                    offset: entry.offset,
                    ino: entry.ino,
                }));
            }
        }
        Ok(None)
    }

    /// Searches block `lblk` whatever its kind (the root block holds "." and "..").
    fn search_block_any(&mut self, dir: &Inode, lblk: u32, name: &[u8]) -> Result<Option<Found>> {
        let Some((pblk, block)) = self.dir_block(dir, lblk)? else {
            return Ok(None);
        };
        for entry in self.block_entries(&block)? {
            if entry.ino != 0 && dir::name_of(&block, &entry) == name {
                return Ok(Some(Found {
                    lblk,
                    pblk,
                    offset: entry.offset,
                    ino: entry.ino,
                }));
            }
        }
        Ok(None)
    }

    fn find_entry(&mut self, dir: &Inode, name: &[u8]) -> Result<Option<Found>> {
        if dir.has_inline_data() {
            return Err(Error::Unsupported);
        }
        if name == b"." || name == b".." {
            // Only ever in the first block (`__ext4_find_entry`).
            return self.search_block_any(dir, 0, name);
        }
        if self.is_dx(dir) {
            match self.dx_probe(dir, name) {
                Ok((mut probe, _)) => {
                    for _ in 0..MAX_COLLISION_LEAVES {
                        if let Some(found) = self.search_block(dir, probe.leaf, name)? {
                            return Ok(Some(found));
                        }
                        if !self.dx_next_leaf(dir, &mut probe)? {
                            return Ok(None);
                        }
                    }
                    return Err(Error::Corrupt("htree collision chain too long"));
                }
                Err(Error::Corrupt(_)) => {}
                Err(error) => return Err(error),
            }
        }
        for lblk in 0..self.dir_blocks(dir)? {
            if let Some(found) = self.search_block(dir, lblk, name)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The inode number that `name` in directory `dir` names.
    pub fn lookup(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        let inode = self.get_inode(dir)?;
        if !inode.is_dir() {
            return Err(Error::NotDir);
        }
        if name.len() > 255 {
            return Err(Error::NameTooLong);
        }
        if inode.has_inline_data() {
            let mut found = None;
            self.inline_entries(&inode, 0, &mut |entry| {
                if entry.name == name {
                    found = Some(entry.ino);
                    return false;
                }
                true
            })?;
            return found.ok_or(Error::NotFound);
        }
        Ok(self.find_entry(&inode, name)?.ok_or(Error::NotFound)?.ino)
    }

    /// Calls `emit` with each entry from position `pos` on, until it returns false.
    pub fn read_dir(
        &mut self,
        dir: u32,
        pos: u64,
        emit: &mut dyn FnMut(DirEntry) -> bool,
    ) -> Result<()> {
        let inode = self.get_inode(dir)?;
        if !inode.is_dir() {
            return Err(Error::NotDir);
        }
        if inode.has_inline_data() {
            return self.inline_entries(&inode, pos, emit);
        }
        let bs = u64::from(self.sb.block_size);
        let first = u32::try_from(pos / bs).map_err(|_| Error::Invalid)?;
        for lblk in first..self.dir_blocks(&inode)? {
            let Some((_, block)) = self.dir_block(&inode, lblk)? else {
                continue;
            };
            if self.kind_of(&inode, lblk, &block) == Kind::Node {
                continue;
            }
            let base = u64::from(lblk) * bs;
            for entry in self.block_entries(&block)? {
                if entry.ino == 0 || base + (entry.offset as u64) < pos {
                    continue;
                }
                let file_type = if self.sb.has_filetype() {
                    FileType::from_code(entry.file_type)
                } else {
                    FileType::Unknown
                };
                let item = DirEntry {
                    ino: entry.ino,
                    name: dir::name_of(&block, &entry).to_vec(),
                    file_type,
                    next_pos: base + (entry.offset + entry.rec_len) as u64,
                };
                if !emit(item) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Every entry of a directory (a convenience over [`Ext4::read_dir`]).
    pub fn list_dir(&mut self, dir: u32) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        self.read_dir(dir, 0, &mut |entry| {
            out.push(entry);
            true
        })?;
        Ok(out)
    }

    /// The entries of an inline-data directory: "." and "..", then the records in `i_block`
    /// after the parent's number and in `system.data`. Positions count records.
    fn inline_entries(
        &mut self,
        dir: &Inode,
        pos: u64,
        emit: &mut dyn FnMut(DirEntry) -> bool,
    ) -> Result<()> {
        let parent = u32_at(dir.i_block(), 0);
        let tail = self.inline_data_tail(dir)?;
        let layout = Layout {
            block_size: 4096,
            ..self.layout()
        };
        let mut entries: Vec<DirEntry> = Vec::new();
        entries.push(DirEntry {
            ino: dir.ino,
            name: b".".to_vec(),
            file_type: FileType::Directory,
            next_pos: 1,
        });
        entries.push(DirEntry {
            ino: parent,
            name: b"..".to_vec(),
            file_type: FileType::Directory,
            next_pos: 2,
        });
        let head = dir.i_block().to_vec();
        for region in [(&head[..], 4usize), (&tail[..], 0usize)] {
            let (bytes, start) = region;
            if bytes.len() <= start {
                continue;
            }
            for entry in dir::parse(bytes, start, bytes.len(), layout)? {
                if entry.ino != 0 {
                    let next_pos = entries.len() as u64 + 1;
                    entries.push(DirEntry {
                        ino: entry.ino,
                        name: dir::name_of(bytes, &entry).to_vec(),
                        file_type: FileType::from_code(entry.file_type),
                        next_pos,
                    });
                }
            }
        }
        for entry in entries.into_iter().skip(pos as usize) {
            if !emit(entry) {
                break;
            }
        }
        Ok(())
    }

    // ---- changing directories ----

    /// Adds a block to directory `dir` (a new inode or a growing one); returns its numbers.
    fn dir_append_block(&mut self, dir: &mut Inode) -> Result<(u32, u64)> {
        let lblk = self.dir_blocks(dir)?;
        let bs = u64::from(self.sb.block_size);
        let pblk = if dir.has_extents() {
            let loaded = self.load_extents(dir)?;
            let mut list = loaded.extents;
            let goal = list
                .last()
                .map(|e| e.pblk + u64::from(e.len))
                .unwrap_or_else(|| self.goal_for(dir, None));
            let (pblk, _) = self.alloc_blocks(goal, 1)?;
            extent::insert(
                &mut list,
                Extent {
                    lblk,
                    len: 1,
                    pblk,
                    unwritten: false,
                },
            )?;
            let blocks = dir.blocks_512(&self.sb) + bs / 512;
            dir.set_blocks_512(&self.sb, blocks)?;
            self.store_extents(dir, &list, &loaded.tree_blocks)?;
            pblk
        } else {
            let last = match lblk.checked_sub(1) {
                Some(prev) => self.map(dir, prev)?.pblk,
                None => None,
            };
            let goal = self.goal_for(dir, last);
            self.blockmap_alloc(dir, lblk, goal)?
        };
        dir.set_size(u64::from(lblk + 1) * bs);
        Ok((lblk, pblk))
    }

    fn check_name(name: &[u8]) -> Result<()> {
        if name.is_empty()
            || name == b"."
            || name == b".."
            || name.contains(&b'/')
            || name.contains(&0)
        {
            return Err(Error::Invalid);
        }
        if name.len() > 255 {
            return Err(Error::NameTooLong);
        }
        Ok(())
    }

    /// Adds `name` → `ino` to directory `dir` (written here, with its times).
    fn add_entry(&mut self, dir_ino: u32, name: &[u8], ino: u32, ft: FileType) -> Result<()> {
        let mut dir = self.get_inode(dir_ino)?;
        if dir.has_inline_data() {
            return Err(Error::Unsupported);
        }
        if self.is_dx(&dir) {
            self.dx_add(&mut dir, name, ino, ft)?;
        } else {
            self.linear_add(&mut dir, name, ino, ft)?;
        }
        let now = self.now();
        dir.set_time(inode::MTIME, now);
        dir.set_time(inode::CTIME, now);
        self.write_inode(&mut dir)
    }

    fn linear_add(&mut self, dir: &mut Inode, name: &[u8], ino: u32, ft: FileType) -> Result<()> {
        let layout = self.layout();
        let nblocks = self.dir_blocks(dir)?;
        for lblk in 0..nblocks {
            let Some((pblk, mut block)) = self.dir_block(dir, lblk)? else {
                continue;
            };
            let end = if dir::has_tail(&block) {
                block.len() - dir::TAIL_SIZE
            } else {
                block.len()
            };
            if dir::insert(&mut block, end, name, ino, ft.code(), layout)? {
                return self.write_leaf(dir, pblk, block);
            }
        }
        if nblocks == 1 && self.sb.has_dir_index() {
            self.make_indexed(dir)?;
            return self.dx_add(dir, name, ino, ft);
        }
        let (_, pblk) = self.dir_append_block(dir)?;
        let mut block = zeroed(self.sb.block_size as usize)?;
        dir::empty_leaf(&mut block, self.sb.has_csum(), layout);
        let end = self.leaf_end();
        dir::insert(&mut block, end, name, ino, ft.code(), layout)?;
        self.write_leaf(dir, pblk, block)
    }

    /// Turns a one-block directory into an indexed one: its names move to a new leaf and
    /// block 0 becomes the root pointing at it.
    fn make_indexed(&mut self, dir: &mut Inode) -> Result<()> {
        let layout = self.layout();
        let Some((root_pblk, old)) = self.dir_block(dir, 0)? else {
            return Err(Error::Corrupt("directory block 0 is a hole"));
        };
        let entries = self.block_entries(&old)?;
        let (Some(dot), Some(dotdot)) = (entries.first(), entries.get(1)) else {
            return Err(Error::Corrupt("directory without . and .."));
        };
        if dir::name_of(&old, dot) != b"." || dir::name_of(&old, dotdot) != b".." {
            return Err(Error::Corrupt("directory without . and .."));
        }
        let parent = dotdot.ino;
        let (leaf_lblk, leaf_pblk) = self.dir_append_block(dir)?;
        let mut leaf = zeroed(self.sb.block_size as usize)?;
        dir::empty_leaf(&mut leaf, self.sb.has_csum(), layout);
        let end = self.leaf_end();
        for entry in entries.iter().skip(2).filter(|e| e.ino != 0) {
            if !dir::insert(
                &mut leaf,
                end,
                dir::name_of(&old, entry),
                entry.ino,
                entry.file_type,
                layout,
            )? {
                return Err(Error::Corrupt("directory entries do not fit a block"));
            }
        }
        self.write_leaf(dir, leaf_pblk, leaf)?;
        let bs = self.sb.block_size as usize;
        let mut root = zeroed(bs)?;
        dir::write_entry(
            &mut root,
            0,
            dir.ino,
            12,
            b".",
            FileType::Directory.code(),
            layout,
        );
        dir::write_entry(
            &mut root,
            12,
            parent,
            bs - 12,
            b"..",
            FileType::Directory.code(),
            layout,
        );
        let version = match self.sb.def_hash_version() {
            v @ (htree::HASH_LEGACY | htree::HASH_HALF_MD4 | htree::HASH_TEA) => v,
            _ => htree::HASH_HALF_MD4,
        };
        set_u8(&mut root, 0x1c, version);
        set_u8(&mut root, 0x1d, 8);
        set_u16(
            &mut root,
            ROOT_COUNT_OFFSET,
            htree::limit(bs, ROOT_COUNT_OFFSET, self.sb.has_csum()) as u16,
        );
        htree::set_count(&mut root, ROOT_COUNT_OFFSET, 1);
        htree::set_entry(&mut root, ROOT_COUNT_OFFSET, 0, 0, leaf_lblk);
        self.write_index(dir, root_pblk, root, ROOT_COUNT_OFFSET)?;
        dir.set_flags(dir.flags() | FL_INDEX);
        Ok(())
    }

    fn dx_add(&mut self, dir: &mut Inode, name: &[u8], ino: u32, ft: FileType) -> Result<()> {
        let layout = self.layout();
        let (mut probe, version) = self.dx_probe(dir, name)?;
        let Some((leaf_pblk, mut leaf)) = self.dir_block(dir, probe.leaf)? else {
            return Err(Error::Corrupt("htree leaf is a hole"));
        };
        let end = self.leaf_end();
        if dir::insert(&mut leaf, end, name, ino, ft.code(), layout)? {
            return self.write_leaf(dir, leaf_pblk, leaf);
        }
        self.dx_make_room(dir, &mut probe)?;
        // Split the leaf at the middle of its names in hash order.
        let mut named: Vec<(u32, Vec<u8>, u32, u8)> = Vec::new();
        for entry in self
            .block_entries(&leaf)?
            .into_iter()
            .filter(|e| e.ino != 0)
        {
            let entry_name = dir::name_of(&leaf, &entry).to_vec();
            let (hash, _) = self.hash_of(&entry_name, version)?;
            named.try_reserve(1).map_err(|_| Error::NoMem)?;
            named.push((hash, entry_name, entry.ino, entry.file_type));
        }
        named.sort_by_key(|item| item.0);
        let total: usize = named
            .iter()
            .map(|item| dir::rec_len_for(item.1.len()))
            .sum();
        let mut split = 0;
        let mut size = 0;
        while split < named.len() && size + dir::rec_len_for(named[split].1.len()) <= total / 2 {
            size += dir::rec_len_for(named[split].1.len());
            split += 1;
        }
        let split = split.clamp(1, named.len().saturating_sub(1).max(1));
        let hash2 = named.get(split).map_or(probe.hash, |item| item.0);
        let continued =
            u32::from(split > 0 && named.get(split - 1).is_some_and(|item| item.0 == hash2));
        let (new_lblk, new_pblk) = self.dir_append_block(dir)?;
        let mut low = zeroed(self.sb.block_size as usize)?;
        let mut high = zeroed(self.sb.block_size as usize)?;
        dir::empty_leaf(&mut low, self.sb.has_csum(), layout);
        dir::empty_leaf(&mut high, self.sb.has_csum(), layout);
        for (i, (_, entry_name, entry_ino, entry_ft)) in named.iter().enumerate() {
            let target = if i < split { &mut low } else { &mut high };
            if !dir::insert(target, end, entry_name, *entry_ino, *entry_ft, layout)? {
                return Err(Error::Corrupt("directory leaf split overflow"));
            }
        }
        let target = if probe.hash >= hash2 {
            &mut high
        } else {
            &mut low
        };
        if !dir::insert(target, end, name, ino, ft.code(), layout)? {
            return Err(Error::NoSpace);
        }
        self.write_leaf(dir, leaf_pblk, low)?;
        self.write_leaf(dir, new_pblk, high)?;
        // Index the new leaf right after the old one in the deepest node.
        let frame = probe
            .frames
            .last_mut()
            .ok_or(Error::Corrupt("htree without frames"))?;
        insert_index(
            &mut frame.block,
            frame.count_offset,
            frame.at + 1,
            hash2 | continued,
            new_lblk,
        );
        let (pblk, block, count_offset) = (frame.pblk, frame.block.clone(), frame.count_offset);
        self.write_index(dir, pblk, block, count_offset)
    }

    /// Makes sure the deepest index node of the probe has room for one more entry, splitting
    /// nodes or growing the tree as needed; the probe is updated to match.
    fn dx_make_room(&mut self, dir: &mut Inode, probe: &mut Probe) -> Result<()> {
        let bs = self.sb.block_size as usize;
        let csum = self.sb.has_csum();
        let full = |frame: &Frame| {
            htree::count(&frame.block, frame.count_offset)
                >= htree::limit(bs, frame.count_offset, csum)
        };
        let deepest = probe.frames.len() - 1;
        if !full(&probe.frames[deepest]) {
            return Ok(());
        }
        let max_levels: u8 = if self.sb.has_largedir() { 3 } else { 2 };
        // Find the nearest ancestor with room; if none, the root must grow.
        let mut level = deepest;
        while level > 0 && full(&probe.frames[level]) {
            level -= 1;
        }
        if level == 0 && full(&probe.frames[0]) {
            if probe.levels + 1 >= max_levels {
                return Err(Error::NoSpace);
            }
            // Grow: the root's entries move to a new node; the root points at it alone.
            let (node_lblk, node_pblk) = self.dir_append_block(dir)?;
            let root = &mut probe.frames[0];
            let count = htree::count(&root.block, ROOT_COUNT_OFFSET);
            let mut node = zeroed(bs)?;
            htree::init_node(&mut node, bs, csum);
            for i in 0..count {
                let (hash, lblk) = htree::entry(&root.block, ROOT_COUNT_OFFSET, i);
                htree::set_entry(&mut node, NODE_COUNT_OFFSET, i, hash, lblk);
            }
            htree::set_count(&mut node, NODE_COUNT_OFFSET, count);
            htree::set_count(&mut root.block, ROOT_COUNT_OFFSET, 1);
            htree::set_entry(&mut root.block, ROOT_COUNT_OFFSET, 0, 0, node_lblk);
            probe.levels += 1;
            set_u8(&mut root.block, 0x1e, probe.levels);
            let old_at = root.at;
            root.at = 0;
            let new_frame = Frame {
                lblk: node_lblk,
                pblk: node_pblk,
                block: node,
                count_offset: NODE_COUNT_OFFSET,
                at: old_at,
            };
            probe.frames.insert(1, new_frame);
            let root_block = probe.frames[0].block.clone();
            let root_pblk = probe.frames[0].pblk;
            self.write_index(dir, root_pblk, root_block, ROOT_COUNT_OFFSET)?;
            let node_block = probe.frames[1].block.clone();
            self.write_index(dir, node_pblk, node_block, NODE_COUNT_OFFSET)?;
            // The new node is not full (a node holds more than the root), but deeper ones may be.
            return self.dx_make_room(dir, probe);
        }
        // Split each full node below `level`, top down, inserting the new half in its parent.
        for depth in level + 1..probe.frames.len() {
            if !full(&probe.frames[depth]) {
                continue;
            }
            let (new_lblk, new_pblk) = self.dir_append_block(dir)?;
            let frame = &mut probe.frames[depth];
            let count = htree::count(&frame.block, NODE_COUNT_OFFSET);
            let half = count / 2;
            let mut node = zeroed(bs)?;
            htree::init_node(&mut node, bs, csum);
            for i in half..count {
                let (hash, lblk) = htree::entry(&frame.block, NODE_COUNT_OFFSET, i);
                let j = i - half;
                set_u32(&mut node, NODE_COUNT_OFFSET + 8 * j, hash);
                set_u32(&mut node, NODE_COUNT_OFFSET + 8 * j + 4, lblk);
            }
            // Entry 0 of a node overlays count/limit: restore them.
            set_u16(
                &mut node,
                NODE_COUNT_OFFSET,
                htree::limit(bs, NODE_COUNT_OFFSET, csum) as u16,
            );
            htree::set_count(&mut node, NODE_COUNT_OFFSET, count - half);
            let split_hash = htree::entry(&frame.block, NODE_COUNT_OFFSET, half).0;
            htree::set_count(&mut frame.block, NODE_COUNT_OFFSET, half);
            let moved = frame.at >= half;
            let old_block = frame.block.clone();
            let old_pblk = frame.pblk;
            if moved {
                frame.at -= half;
                frame.block = node.clone();
                frame.lblk = new_lblk;
                frame.pblk = new_pblk;
            }
            self.write_index(dir, old_pblk, old_block, NODE_COUNT_OFFSET)?;
            self.write_index(dir, new_pblk, node, NODE_COUNT_OFFSET)?;
            let parent = &mut probe.frames[depth - 1];
            insert_index(
                &mut parent.block,
                parent.count_offset,
                parent.at + 1,
                split_hash,
                new_lblk,
            );
            if moved {
                parent.at += 1;
            }
            let (pblk, block, count_offset) =
                (parent.pblk, parent.block.clone(), parent.count_offset);
            self.write_index(dir, pblk, block, count_offset)?;
        }
        Ok(())
    }

    fn remove_entry(&mut self, dir_ino: u32, found: Found) -> Result<()> {
        let mut dir = self.get_inode(dir_ino)?;
        let Some((pblk, mut block)) = self.dir_block(&dir, found.lblk)? else {
            return Err(Error::Corrupt("directory block vanished"));
        };
        let end = if dir::has_tail(&block) {
            block.len() - dir::TAIL_SIZE
        } else {
            block.len()
        };
        dir::remove(&mut block, end, found.offset, self.layout())?;
        debug_assert_eq!(pblk, found.pblk);
        self.write_leaf(&dir, pblk, block)?;
        let now = self.now();
        dir.set_time(inode::MTIME, now);
        dir.set_time(inode::CTIME, now);
        self.write_inode(&mut dir)
    }

    fn is_empty_dir(&mut self, dir: &Inode) -> Result<bool> {
        let mut empty = true;
        let ino = dir.ino;
        self.read_dir(ino, 0, &mut |entry| {
            if entry.name != b"." && entry.name != b".." {
                empty = false;
                return false;
            }
            true
        })?;
        Ok(empty)
    }

    fn dir_of(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.get_inode(ino)?;
        if !inode.is_dir() {
            return Err(Error::NotDir);
        }
        Ok(inode)
    }

    /// Counts one more link from a subdirectory's "..", as `ext4_inc_count` with dir_nlink.
    fn inc_dir_links(&mut self, inode: &mut Inode) -> Result<()> {
        let links = inode.links();
        if links == 1 && inode.is_dir() {
            return Ok(());
        }
        if links + 1 >= LINK_MAX {
            if !inode.is_dir() {
                return Err(Error::TooManyLinks);
            }
            inode.set_links(1);
            let ro = self.sb.ro_compat();
            self.sb.set_ro_compat(ro | RO_DIR_NLINK);
            return Ok(());
        }
        inode.set_links(links + 1);
        Ok(())
    }

    fn dec_dir_links(inode: &mut Inode) {
        let links = inode.links();
        if links > 2 {
            inode.set_links(links - 1);
        }
    }

    /// Creates a regular file, device, FIFO or socket named `name` in `dir`.
    pub fn mknod(
        &mut self,
        dir: u32,
        name: &[u8],
        mode: u16,
        uid: u32,
        gid: u32,
        rdev: (u32, u32),
    ) -> Result<u32> {
        Self::check_name(name)?;
        let kind = mode & inode::S_IFMT;
        let kind = if kind == 0 { inode::S_IFREG } else { kind };
        if ![
            inode::S_IFREG,
            inode::S_IFCHR,
            inode::S_IFBLK,
            inode::S_IFIFO,
            inode::S_IFSOCK,
        ]
        .contains(&kind)
        {
            return Err(Error::Invalid);
        }
        self.mutate(|fs| {
            let parent = fs.dir_of(dir)?;
            if fs.find_entry(&parent, name)?.is_some() {
                return Err(Error::Exists);
            }
            let ino = fs.alloc_inode(fs.inode_group(dir), false)?;
            let mut inode = fs.blank_inode(ino, kind | (mode & 0o7777), uid, gid)?;
            inode.set_links(1);
            if kind == inode::S_IFREG && fs.sb.has_extents() {
                inode.set_flags(FL_EXTENTS);
                extent::init_root(inode.i_block_mut());
            }
            if kind == inode::S_IFCHR || kind == inode::S_IFBLK {
                inode.set_rdev(rdev.0, rdev.1);
            }
            fs.write_inode(&mut inode)?;
            fs.add_entry(dir, name, ino, FileType::from_mode(kind))?;
            Ok(ino)
        })
    }

    /// Creates a regular file.
    pub fn create(&mut self, dir: u32, name: &[u8], mode: u16, uid: u32, gid: u32) -> Result<u32> {
        self.mknod(
            dir,
            name,
            inode::S_IFREG | (mode & 0o7777),
            uid,
            gid,
            (0, 0),
        )
    }

    /// Creates a directory with "." and "..".
    pub fn mkdir(&mut self, dir: u32, name: &[u8], mode: u16, uid: u32, gid: u32) -> Result<u32> {
        Self::check_name(name)?;
        self.mutate(|fs| {
            let mut parent = fs.dir_of(dir)?;
            if fs.find_entry(&parent, name)?.is_some() {
                return Err(Error::Exists);
            }
            if parent.links() >= LINK_MAX - 1
                && fs.sb.ro_compat() & RO_DIR_NLINK == 0
                && !fs.sb.has_extents()
            {
                return Err(Error::TooManyLinks);
            }
            let ino = fs.alloc_inode(fs.inode_group(dir), true)?;
            let mut inode = fs.blank_inode(ino, inode::S_IFDIR | (mode & 0o7777), uid, gid)?;
            inode.set_links(2);
            if fs.sb.has_extents() {
                inode.set_flags(FL_EXTENTS);
                extent::init_root(inode.i_block_mut());
            }
            let (_, pblk) = fs.dir_append_block(&mut inode)?;
            let layout = fs.layout();
            let mut block = zeroed(fs.sb.block_size as usize)?;
            let end = fs.leaf_end();
            dir::write_entry(
                &mut block,
                0,
                ino,
                12,
                b".",
                FileType::Directory.code(),
                layout,
            );
            dir::write_entry(
                &mut block,
                12,
                dir,
                end - 12,
                b"..",
                FileType::Directory.code(),
                layout,
            );
            fs.write_leaf(&inode, pblk, block)?;
            fs.write_inode(&mut inode)?;
            fs.add_entry(dir, name, ino, FileType::Directory)?;
            parent = fs.get_inode(dir)?;
            fs.inc_dir_links(&mut parent)?;
            fs.write_inode(&mut parent)?;
            Ok(ino)
        })
    }

    /// Creates a symbolic link to `target`: in `i_block` when shorter than 60 bytes.
    pub fn symlink(
        &mut self,
        dir: u32,
        name: &[u8],
        target: &[u8],
        uid: u32,
        gid: u32,
    ) -> Result<u32> {
        Self::check_name(name)?;
        if target.is_empty() {
            return Err(Error::NotFound);
        }
        if target.len() >= self.sb.block_size as usize {
            return Err(Error::NameTooLong);
        }
        self.mutate(|fs| {
            let parent = fs.dir_of(dir)?;
            if fs.find_entry(&parent, name)?.is_some() {
                return Err(Error::Exists);
            }
            let ino = fs.alloc_inode(fs.inode_group(dir), false)?;
            let mut inode = fs.blank_inode(ino, inode::S_IFLNK | 0o777, uid, gid)?;
            inode.set_links(1);
            if target.len() < 60 {
                inode.i_block_mut()[..target.len()].copy_from_slice(target);
                inode.set_size(target.len() as u64);
            } else {
                let mut block = zeroed(fs.sb.block_size as usize)?;
                block[..target.len()].copy_from_slice(target);
                let goal = fs.goal_for(&inode, None);
                let pblk = if fs.sb.has_extents() {
                    inode.set_flags(FL_EXTENTS);
                    extent::init_root(inode.i_block_mut());
                    let (pblk, _) = fs.alloc_blocks(goal, 1)?;
                    inode.set_blocks_512(&fs.sb, u64::from(fs.sb.block_size / 512))?;
                    fs.store_extents(
                        &mut inode,
                        &[Extent {
                            lblk: 0,
                            len: 1,
                            pblk,
                            unwritten: false,
                        }],
                        &[],
                    )?;
                    pblk
                } else {
                    fs.blockmap_alloc(&mut inode, 0, goal)?
                };
                fs.write_data(pblk, &block)?;
                inode.set_size(target.len() as u64);
            }
            fs.write_inode(&mut inode)?;
            fs.add_entry(dir, name, ino, FileType::Symlink)?;
            Ok(ino)
        })
    }

    /// Adds the name `name` in `dir` for the existing non-directory `ino`.
    pub fn link(&mut self, ino: u32, dir: u32, name: &[u8]) -> Result<()> {
        Self::check_name(name)?;
        self.mutate(|fs| {
            let parent = fs.dir_of(dir)?;
            let mut inode = fs.get_inode(ino)?;
            if inode.is_dir() {
                return Err(Error::IsDir);
            }
            if inode.links() >= LINK_MAX {
                return Err(Error::TooManyLinks);
            }
            if fs.find_entry(&parent, name)?.is_some() {
                return Err(Error::Exists);
            }
            inode.set_links(inode.links() + 1);
            inode.set_time(inode::CTIME, fs.now());
            fs.write_inode(&mut inode)?;
            fs.add_entry(dir, name, ino, FileType::from_mode(inode.mode()))
        })
    }

    /// An inode lost its last name: freed now, or kept on the orphan list while the caller
    /// still uses it ([`Ext4::set_keep_unlinked`]) until [`Ext4::release`].
    fn drop_last_link(&mut self, ino: u32) -> Result<()> {
        if !self.keep_unlinked {
            return self.release_inode(ino);
        }
        let mut inode = self.read_inode(ino)?;
        inode.set_links(0);
        if inode.is_dir() {
            // An unlinked directory is empty and dead: its blocks can go now.
            self.shrink_to(&mut inode, 0)?;
            inode.set_size(0);
        }
        self.orphan_add(&mut inode)?;
        self.kept.insert(ino);
        Ok(())
    }

    /// Frees an inode whose last link went: its blocks, its attribute block, its number.
    pub(crate) fn release_inode(&mut self, ino: u32) -> Result<()> {
        let mut inode = self.read_inode(ino)?;
        let is_dir = inode.is_dir();
        if !inode.has_inline_data() && (inode.is_reg() || is_dir || inode.is_symlink()) {
            self.shrink_to(&mut inode, 0)?;
        }
        let acl = inode.file_acl();
        if acl != 0 {
            let data = self.read_block(acl)?;
            self.release_xattr_block(acl, u32_at(&data, 4))?;
            inode.set_file_acl(0);
        }
        inode.set_size(0);
        inode.set_links(0);
        inode.set_dtime(self.now().sec as u32);
        self.write_inode(&mut inode)?;
        self.free_inode(ino, is_dir)
    }

    /// Removes the name `name` of a non-directory; the inode goes with its last link.
    pub fn unlink(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.mutate(|fs| {
            let parent = fs.dir_of(dir)?;
            let found = fs.find_entry(&parent, name)?.ok_or(Error::NotFound)?;
            let mut inode = fs.get_inode(found.ino)?;
            if inode.is_dir() {
                return Err(Error::IsDir);
            }
            fs.remove_entry(dir, found)?;
            let links = inode.links() - 1;
            inode.set_links(links);
            inode.set_time(inode::CTIME, fs.now());
            fs.write_inode(&mut inode)?;
            if links == 0 {
                fs.drop_last_link(found.ino)?;
            }
            Ok(())
        })
    }

    /// Removes the empty directory `name`.
    pub fn rmdir(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        if name == b"." {
            return Err(Error::Invalid);
        }
        if name == b".." {
            return Err(Error::NotEmpty);
        }
        self.mutate(|fs| {
            let parent = fs.dir_of(dir)?;
            let found = fs.find_entry(&parent, name)?.ok_or(Error::NotFound)?;
            let child = fs.get_inode(found.ino)?;
            if !child.is_dir() {
                return Err(Error::NotDir);
            }
            if !fs.is_empty_dir(&child)? {
                return Err(Error::NotEmpty);
            }
            fs.remove_entry(dir, found)?;
            let mut parent = fs.get_inode(dir)?;
            Self::dec_dir_links(&mut parent);
            fs.write_inode(&mut parent)?;
            fs.drop_last_link(found.ino)
        })
    }

    /// Whether directory `ancestor` is `dir` or one of its ancestors.
    fn is_ancestor(&mut self, ancestor: u32, mut dir: u32) -> Result<bool> {
        for _ in 0..65536 {
            if dir == ancestor {
                return Ok(true);
            }
            if dir == ROOT_INO {
                return Ok(false);
            }
            let inode = self.dir_of(dir)?;
            let parent = self
                .find_entry(&inode, b"..")?
                .ok_or(Error::Corrupt("directory without .."))?
                .ino;
            if parent == dir {
                return Ok(false);
            }
            dir = parent;
        }
        Err(Error::Corrupt("directory tree too deep"))
    }

    /// Renames `src_dir/src_name` to `dst_dir/dst_name`, replacing a compatible target.
    pub fn rename(
        &mut self,
        src_dir: u32,
        src_name: &[u8],
        dst_dir: u32,
        dst_name: &[u8],
    ) -> Result<()> {
        self.rename2(src_dir, src_name, dst_dir, dst_name, 0)
    }

    /// `renameat2`: with [`RENAME_NOREPLACE`] an existing target is EEXIST; with
    /// [`RENAME_EXCHANGE`] both names must exist and trade places (`ext4_cross_rename`).
    pub fn rename2(
        &mut self,
        src_dir: u32,
        src_name: &[u8],
        dst_dir: u32,
        dst_name: &[u8],
        flags: u32,
    ) -> Result<()> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
        {
            return Err(Error::Invalid);
        }
        if flags & RENAME_EXCHANGE != 0 {
            return self.exchange(src_dir, src_name, dst_dir, dst_name);
        }
        if flags & RENAME_NOREPLACE != 0 {
            Self::check_name(dst_name)?;
            let ddir = self.dir_of(dst_dir)?;
            if self.find_entry(&ddir, dst_name)?.is_some() {
                return Err(Error::Exists);
            }
        }
        self.rename_replace(src_dir, src_name, dst_dir, dst_name)
    }

    fn exchange(
        &mut self,
        src_dir: u32,
        src_name: &[u8],
        dst_dir: u32,
        dst_name: &[u8],
    ) -> Result<()> {
        Self::check_name(src_name)?;
        Self::check_name(dst_name)?;
        self.mutate(|fs| {
            let sdir = fs.dir_of(src_dir)?;
            let ddir = fs.dir_of(dst_dir)?;
            let src = fs.find_entry(&sdir, src_name)?.ok_or(Error::NotFound)?;
            let dst = fs.find_entry(&ddir, dst_name)?.ok_or(Error::NotFound)?;
            if src.ino == dst.ino {
                return Ok(());
            }
            let a = fs.get_inode(src.ino)?;
            let b = fs.get_inode(dst.ino)?;
            if src_dir != dst_dir {
                if a.is_dir() && fs.is_ancestor(src.ino, dst_dir)? {
                    return Err(Error::Loop);
                }
                if b.is_dir() && fs.is_ancestor(dst.ino, src_dir)? {
                    return Err(Error::Loop);
                }
            }
            fs.set_entry(src_dir, src, dst.ino, FileType::from_mode(b.mode()))?;
            fs.set_entry(dst_dir, dst, src.ino, FileType::from_mode(a.mode()))?;
            let now = fs.now();
            for (ino, new_parent) in [(src.ino, dst_dir), (dst.ino, src_dir)] {
                let mut inode = fs.get_inode(ino)?;
                inode.set_time(inode::CTIME, now);
                fs.write_inode(&mut inode)?;
                if inode.is_dir() && src_dir != dst_dir {
                    fs.set_dotdot(ino, new_parent)?;
                }
            }
            if src_dir != dst_dir && a.is_dir() != b.is_dir() {
                // One directory crossed: its old parent loses a link, the new one gains one.
                let (from, to) = if a.is_dir() {
                    (src_dir, dst_dir)
                } else {
                    (dst_dir, src_dir)
                };
                let mut old_parent = fs.get_inode(from)?;
                Self::dec_dir_links(&mut old_parent);
                fs.write_inode(&mut old_parent)?;
                let mut new_parent = fs.get_inode(to)?;
                fs.inc_dir_links(&mut new_parent)?;
                fs.write_inode(&mut new_parent)?;
            }
            for dir in [src_dir, dst_dir] {
                let mut inode = fs.get_inode(dir)?;
                inode.set_time(inode::MTIME, now);
                inode.set_time(inode::CTIME, now);
                fs.write_inode(&mut inode)?;
            }
            Ok(())
        })
    }

    /// Points an existing entry at another inode (`ext4_setent`).
    fn set_entry(&mut self, dir_ino: u32, found: Found, ino: u32, ft: FileType) -> Result<()> {
        let dir = self.dir_of(dir_ino)?;
        let Some((pblk, mut block)) = self.dir_block(&dir, found.lblk)? else {
            return Err(Error::Corrupt("directory block vanished"));
        };
        set_u32(&mut block, found.offset, ino);
        if self.sb.has_filetype() {
            set_u8(&mut block, found.offset + 7, ft.code());
        }
        self.write_leaf(&dir, pblk, block)
    }

    fn rename_replace(
        &mut self,
        src_dir: u32,
        src_name: &[u8],
        dst_dir: u32,
        dst_name: &[u8],
    ) -> Result<()> {
        Self::check_name(src_name)?;
        Self::check_name(dst_name)?;
        self.mutate(|fs| {
            let sdir = fs.dir_of(src_dir)?;
            let ddir = fs.dir_of(dst_dir)?;
            let src = fs.find_entry(&sdir, src_name)?.ok_or(Error::NotFound)?;
            let mut moving = fs.get_inode(src.ino)?;
            let is_dir = moving.is_dir();
            if is_dir && src_dir != dst_dir && fs.is_ancestor(src.ino, dst_dir)? {
                return Err(Error::Loop);
            }
            let dst = fs.find_entry(&ddir, dst_name)?;
            if let Some(dst) = dst {
                if dst.ino == src.ino {
                    return Ok(());
                }
                let target = fs.get_inode(dst.ino)?;
                if is_dir && !target.is_dir() {
                    return Err(Error::NotDir);
                }
                if !is_dir && target.is_dir() {
                    return Err(Error::IsDir);
                }
                if target.is_dir() && !fs.is_empty_dir(&target)? {
                    return Err(Error::NotEmpty);
                }
                fs.remove_entry(dst_dir, dst)?;
                if target.is_dir() {
                    let mut parent = fs.get_inode(dst_dir)?;
                    Self::dec_dir_links(&mut parent);
                    fs.write_inode(&mut parent)?;
                    fs.drop_last_link(dst.ino)?;
                } else {
                    let mut target = target;
                    let links = target.links() - 1;
                    target.set_links(links);
                    target.set_time(inode::CTIME, fs.now());
                    fs.write_inode(&mut target)?;
                    if links == 0 {
                        fs.drop_last_link(dst.ino)?;
                    }
                }
            }
            fs.add_entry(
                dst_dir,
                dst_name,
                src.ino,
                FileType::from_mode(moving.mode()),
            )?;
            let sdir = fs.dir_of(src_dir)?;
            let src = fs
                .find_entry(&sdir, src_name)?
                .ok_or(Error::Corrupt("renamed entry vanished"))?;
            fs.remove_entry(src_dir, src)?;
            moving = fs.get_inode(src.ino)?;
            moving.set_time(inode::CTIME, fs.now());
            fs.write_inode(&mut moving)?;
            if is_dir && src_dir != dst_dir {
                fs.set_dotdot(src.ino, dst_dir)?;
                let mut old_parent = fs.get_inode(src_dir)?;
                Self::dec_dir_links(&mut old_parent);
                fs.write_inode(&mut old_parent)?;
                let mut new_parent = fs.get_inode(dst_dir)?;
                fs.inc_dir_links(&mut new_parent)?;
                fs.write_inode(&mut new_parent)?;
            }
            Ok(())
        })
    }

    /// Points the ".." of directory `ino` at `parent`.
    fn set_dotdot(&mut self, ino: u32, parent: u32) -> Result<()> {
        let dir = self.dir_of(ino)?;
        let found = self
            .find_entry(&dir, b"..")?
            .ok_or(Error::Corrupt("directory without .."))?;
        let Some((pblk, mut block)) = self.dir_block(&dir, found.lblk)? else {
            return Err(Error::Corrupt("directory block vanished"));
        };
        set_u32(&mut block, found.offset, parent);
        if self.kind_of(&dir, found.lblk, &block) == Kind::Root {
            self.write_index(&dir, pblk, block, ROOT_COUNT_OFFSET)
        } else {
            self.write_leaf(&dir, pblk, block)
        }
    }
}

/// Inserts entry (hash, lblk) at position `at` of an index block, shifting the rest.
fn insert_index(block: &mut [u8], count_offset: usize, at: usize, hash: u32, lblk: u32) {
    let count = htree::count(block, count_offset);
    let mut i = count;
    while i > at {
        let (h, l) = htree::entry(block, count_offset, i - 1);
        set_u32(block, count_offset + 8 * i, h);
        set_u32(block, count_offset + 8 * i + 4, l);
        i -= 1;
    }
    htree::set_entry(block, count_offset, at, hash, lblk);
    htree::set_count(block, count_offset, count + 1);
}
