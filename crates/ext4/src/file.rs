//! File contents: reads (holes and unwritten extents read as zeros, inline data from `i_block`
//! and `system.data`), writes that allocate extents or block-map entries, truncation, and
//! `fallocate` (allocate, keep size, punch hole, zero range) on extent-mapped files as Linux's
//! `ext4_fallocate` does (EOPNOTSUPP on block-mapped ones). Also `stat`, `readlink` and
//! attribute changes.

use alloc::vec::Vec;

use crate::extent::{self, Extent, MAX_UNWRITTEN_LEN, Mapping};
use crate::inode::{self, Inode, Stat, Timestamp};
use crate::{BlockDevice, Error, Ext4, Result, zeroed};

pub const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
pub const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
pub const FALLOC_FL_ZERO_RANGE: u32 = 0x10;

/// Blocks written to the device in one request at most.
const RUN_BLOCKS: u64 = 256;

/// Attribute changes for [`Ext4::set_attr`]; `None` leaves a field alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetAttr {
    /// Permission bits (the file type is kept).
    pub mode: Option<u16>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<Timestamp>,
    pub mtime: Option<Timestamp>,
    /// The change time; now when not given.
    pub ctime: Option<Timestamp>,
}

impl<D: BlockDevice> Ext4<D> {
    /// The attributes of inode `ino`.
    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let inode = self.get_inode(ino)?;
        Ok(inode.stat(&self.sb))
    }

    /// The largest file size the inode's mapping can address.
    pub(crate) fn max_file_size(&self, inode: &Inode) -> u64 {
        let bs = u64::from(self.sb.block_size);
        if inode.has_extents() {
            ((1u64 << 32) - 1) * bs
        } else {
            let per = bs / 4;
            (12 + per + per * per + per * per * per).min((1u64 << 32) - 1) * bs
        }
    }

    pub(crate) fn map(&mut self, inode: &Inode, lblk: u32) -> Result<Mapping> {
        if inode.has_extents() {
            self.extent_map(inode, lblk)
        } else {
            self.blockmap_map(inode, lblk)
        }
    }

    /// Reads from byte `offset` of the file; returns the bytes read (0 at or past the end).
    pub fn read(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.get_inode(ino)?;
        if inode.is_dir() {
            return Err(Error::IsDir);
        }
        self.read_data(&inode, offset, buf)
    }

    pub(crate) fn read_data(
        &mut self,
        inode: &Inode,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize> {
        let size = inode.size();
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let len = (size - offset).min(buf.len() as u64) as usize;
        let buf = &mut buf[..len];
        if inode.has_inline_data() {
            let mut data = inode.i_block().to_vec();
            data.extend_from_slice(&self.inline_data_tail(inode)?);
            for (i, byte) in buf.iter_mut().enumerate() {
                *byte = data.get(offset as usize + i).copied().unwrap_or(0);
            }
            return Ok(len);
        }
        let bs = u64::from(self.sb.block_size);
        let mut block = zeroed(bs as usize)?;
        let mut done = 0usize;
        while done < len {
            let pos = offset + done as u64;
            let lblk = u32::try_from(pos / bs).map_err(|_| Error::FileTooBig)?;
            let in_block = (pos % bs) as usize;
            let mapping = self.map(inode, lblk)?;
            let span =
                (u64::from(mapping.len) * bs - in_block as u64).min((len - done) as u64) as usize;
            match mapping.pblk {
                Some(pblk) if !mapping.unwritten => {
                    // Whole blocks straight into the caller's buffer, partial ones via `block`.
                    if in_block == 0 && span >= bs as usize {
                        let whole = (span / bs as usize).min(RUN_BLOCKS as usize) * bs as usize;
                        self.dev.read_at(pblk * bs, &mut buf[done..done + whole])?;
                        done += whole;
                        continue;
                    }
                    self.read_block_into(pblk, &mut block)?;
                    let take = span.min(bs as usize - in_block);
                    buf[done..done + take].copy_from_slice(&block[in_block..in_block + take]);
                    done += take;
                }
                _ => {
                    buf[done..done + span].fill(0);
                    done += span;
                }
            }
        }
        Ok(len)
    }

    /// The target of symbolic link `ino`.
    pub fn read_link(&mut self, ino: u32) -> Result<Vec<u8>> {
        let inode = self.get_inode(ino)?;
        if !inode.is_symlink() {
            return Err(Error::Invalid);
        }
        let size = inode.size();
        if size == 0 || size >= u64::from(self.sb.block_size).max(4096) {
            return Err(Error::Corrupt("symlink size"));
        }
        let acl_blocks = if inode.file_acl() != 0 {
            u64::from(self.sb.block_size / 512)
        } else {
            0
        };
        if size < 60 && !inode.has_inline_data() && inode.blocks_512(&self.sb) == acl_blocks {
            return Ok(inode.i_block()[..size as usize].to_vec());
        }
        let mut out = zeroed(size as usize)?;
        let n = self.read_data(&inode, 0, &mut out)?;
        out.truncate(n);
        Ok(out)
    }

    /// Writes `data` at byte `offset`, allocating what it needs; returns the bytes written.
    pub fn write(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        self.mutate(|fs| {
            let now = fs.now();
            fs.write_in_op(ino, offset, data, Some(now))
        })
    }

    /// Write-back of cached file data (Linux's `ext4_writepages`): writes `data` at byte
    /// `offset` as [`Ext4::write`] does, allocating blocks for holes (delayed allocation), and
    /// sets the on-disk size to at least the end of `data` (the caller clips `data` at the
    /// file's size). The times are those the writes that dirtied the pages set (`times`:
    /// mtime and ctime), not the time of the write-back. Data reaches the device before the
    /// metadata that points at it, in one transaction.
    pub fn write_back(
        &mut self,
        ino: u32,
        offset: u64,
        data: &[u8],
        times: Option<Timestamp>,
    ) -> Result<()> {
        if data.is_empty() && times.is_none() {
            return Ok(());
        }
        self.mutate(|fs| fs.write_in_op(ino, offset, data, times).map(drop))
    }

    /// How many blocks of logical blocks `first..first + count` of regular file `ino` have no
    /// disk block yet (holes; unwritten extents count as allocated): what a delayed-allocation
    /// write must reserve. `EOPNOTSUPP` for a file with inline data (not written by this crate).
    pub fn unmapped_blocks(&mut self, ino: u32, first: u64, count: u64) -> Result<u64> {
        let inode = self.get_inode(ino)?;
        if inode.has_inline_data() {
            return Err(Error::Unsupported);
        }
        let mut holes = 0;
        let mut lblk = first;
        let end = first.saturating_add(count).min(1 << 32);
        while lblk < end {
            let mapping = self.map(&inode, lblk as u32)?;
            let span = u64::from(mapping.len.max(1)).min(end - lblk);
            if mapping.pblk.is_none() {
                holes += span;
            }
            lblk += span;
        }
        Ok(holes)
    }

    /// The largest size file `ino` may have (its mapping's reach: `s_maxbytes`).
    pub fn max_size(&mut self, ino: u32) -> Result<u64> {
        let inode = self.get_inode(ino)?;
        Ok(self.max_file_size(&inode))
    }

    /// Whether regular file `ino` keeps its data inline (in the inode), which this crate reads
    /// but does not write.
    pub fn has_inline_data(&mut self, ino: u32) -> Result<bool> {
        Ok(self.get_inode(ino)?.has_inline_data())
    }

    /// The body of a write inside a running operation; `times` sets mtime and ctime.
    fn write_in_op(
        &mut self,
        ino: u32,
        offset: u64,
        data: &[u8],
        times: Option<Timestamp>,
    ) -> Result<usize> {
        let mut inode = self.get_inode(ino)?;
        if !inode.is_reg() && !inode.is_symlink() {
            return Err(if inode.is_dir() {
                Error::IsDir
            } else {
                Error::Invalid
            });
        }
        if inode.has_inline_data() {
            return Err(Error::Unsupported);
        }
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or(Error::FileTooBig)?;
        if end > self.max_file_size(&inode) {
            return Err(Error::FileTooBig);
        }
        if !data.is_empty() {
            if inode.has_extents() {
                self.write_extents(&mut inode, offset, data)?;
            } else {
                self.write_blockmap(&mut inode, offset, data)?;
            }
            if end > inode.size() {
                inode.set_size(end);
            }
        }
        if let Some(time) = times {
            inode.set_time(inode::MTIME, time);
            inode.set_time(inode::CTIME, time);
        }
        self.write_inode(&mut inode)?;
        Ok(data.len())
    }

    /// Writes `data` over blocks `pblk..` that hold file bytes from `run_pos` (block aligned),
    /// keeping the parts of the first and last block outside `[pos, pos+data.len())` when
    /// `existing`, zeroing them otherwise.
    fn write_run(
        &mut self,
        pblk: u64,
        run_pos: u64,
        blocks: u64,
        pos: u64,
        data: &[u8],
        existing: bool,
    ) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        let mut buf = zeroed((blocks * bs) as usize)?;
        let start = (pos - run_pos) as usize;
        let end = start + data.len();
        if existing {
            if !start.is_multiple_of(bs as usize) {
                self.read_block_into(pblk, &mut buf[..bs as usize])?;
            }
            if !end.is_multiple_of(bs as usize) {
                let last = (end / bs as usize) * bs as usize;
                self.read_block_into(pblk + blocks - 1, &mut buf[last..last + bs as usize])?;
            }
        }
        buf[start..end].copy_from_slice(data);
        for i in 0..blocks {
            self.write_data(pblk + i, &buf[(i * bs) as usize..((i + 1) * bs) as usize])?;
        }
        Ok(())
    }

    fn write_extents(&mut self, inode: &mut Inode, offset: u64, data: &[u8]) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        let loaded = self.load_extents(inode)?;
        let mut list = loaded.extents;
        let mut allocated = 0u64;
        let mut done = 0u64;
        let total = data.len() as u64;
        while done < total {
            let pos = offset + done;
            let lblk = pos / bs;
            let run_pos = lblk * bs;
            let want_end = offset + total;
            let idx = list.partition_point(|e| e.end() <= lblk);
            let found = list.get(idx).copied().filter(|e| u64::from(e.lblk) <= lblk);
            match found {
                Some(ext) => {
                    let skip = lblk - u64::from(ext.lblk);
                    let avail = (u64::from(ext.len) - skip).min(RUN_BLOCKS);
                    let chunk_end = want_end.min(run_pos + avail * bs);
                    let blocks = (chunk_end - run_pos).div_ceil(bs);
                    let slice = &data[done as usize..(chunk_end - offset) as usize];
                    self.write_run(ext.pblk + skip, run_pos, blocks, pos, slice, !ext.unwritten)?;
                    if ext.unwritten {
                        extent::mark_written(&mut list, lblk, lblk + blocks)?;
                    }
                    done = chunk_end - offset;
                }
                None => {
                    let hole_end = list.get(idx).map_or(1u64 << 32, |e| u64::from(e.lblk));
                    let need = (want_end.div_ceil(bs)).min(hole_end) - lblk;
                    let goal = match idx.checked_sub(1).and_then(|i| list.get(i)) {
                        Some(prev) => prev.pblk + u64::from(prev.len) + (lblk - prev.end()),
                        None => self.goal_for(inode, None),
                    };
                    let (pblk, got) = self.alloc_blocks(goal, need.min(RUN_BLOCKS) as u32)?;
                    allocated += u64::from(got);
                    let got = u64::from(got);
                    let chunk_end = want_end.min(run_pos + got * bs);
                    let blocks = (chunk_end - run_pos).div_ceil(bs);
                    let slice = &data[done as usize..(chunk_end - offset) as usize];
                    self.write_run(pblk, run_pos, blocks, pos, slice, false)?;
                    extent::insert(
                        &mut list,
                        Extent {
                            lblk: lblk as u32,
                            len: got as u32,
                            pblk,
                            unwritten: false,
                        },
                    )?;
                    done = chunk_end - offset;
                }
            }
        }
        let blocks = inode.blocks_512(&self.sb) + allocated * (bs / 512);
        inode.set_blocks_512(&self.sb, blocks)?;
        self.store_extents(inode, &list, &loaded.tree_blocks)
    }

    fn write_blockmap(&mut self, inode: &mut Inode, offset: u64, data: &[u8]) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        let mut done = 0u64;
        let mut last: Option<u64> = None;
        while done < data.len() as u64 {
            let pos = offset + done;
            let lblk = pos / bs;
            let run_pos = lblk * bs;
            let chunk_end = (offset + data.len() as u64).min(run_pos + bs);
            let slice = &data[done as usize..(chunk_end - offset) as usize];
            let lblk32 = u32::try_from(lblk).map_err(|_| Error::FileTooBig)?;
            let mapping = self.blockmap_map(inode, lblk32)?;
            let (pblk, existing) = match mapping.pblk {
                Some(pblk) => (pblk, true),
                None => {
                    let goal = self.goal_for(inode, last);
                    (self.blockmap_alloc(inode, lblk32, goal)?, false)
                }
            };
            self.write_run(pblk, run_pos, 1, pos, slice, existing)?;
            last = Some(pblk);
            done = chunk_end - offset;
        }
        Ok(())
    }

    /// Zeroes bytes `from..to` of the file that lie in one block, if that block is written.
    fn zero_partial(&mut self, inode: &Inode, from: u64, to: u64) -> Result<()> {
        if from >= to {
            return Ok(());
        }
        let bs = u64::from(self.sb.block_size);
        let lblk = u32::try_from(from / bs).map_err(|_| Error::FileTooBig)?;
        let mapping = self.map(inode, lblk)?;
        if let (Some(pblk), false) = (mapping.pblk, mapping.unwritten) {
            let mut block = self.read_block(pblk)?;
            let start = (from % bs) as usize;
            let end = start + (to - from) as usize;
            block[start..end].fill(0);
            self.write_data(pblk, &block)?;
        }
        Ok(())
    }

    /// Frees the blocks of logical blocks `start..end` of an extent-mapped inode.
    fn punch_extents(&mut self, inode: &mut Inode, start: u64, end: u64) -> Result<()> {
        let loaded = self.load_extents(inode)?;
        let mut list = loaded.extents;
        let freed = extent::remove_range(&mut list, start, end)?;
        let mut count = 0u64;
        for (pblk, len) in freed {
            self.free_blocks(pblk, len)?;
            count += len;
        }
        let blocks = inode
            .blocks_512(&self.sb)
            .saturating_sub(count * u64::from(self.sb.block_size / 512));
        inode.set_blocks_512(&self.sb, blocks)?;
        self.store_extents(inode, &list, &loaded.tree_blocks)
    }

    /// Frees everything past byte `size` and zeroes the rest of the last block.
    pub(crate) fn shrink_to(&mut self, inode: &mut Inode, size: u64) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        if inode.has_inline_data() {
            return Err(Error::Unsupported);
        }
        let first_free = size.div_ceil(bs);
        if inode.has_extents() {
            self.punch_extents(inode, first_free, 1 << 32)?;
        } else if inode.is_symlink() && inode.size() < 60 && inode.blocks_512(&self.sb) == 0 {
            inode.i_block_mut().fill(0);
        } else {
            self.blockmap_truncate(inode, first_free)?;
        }
        if !size.is_multiple_of(bs) {
            self.zero_partial(inode, size, first_free * bs)?;
        }
        Ok(())
    }

    /// Sets the file's size, freeing blocks past a smaller one.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.mutate(|fs| {
            let mut inode = fs.get_inode(ino)?;
            if !inode.is_reg() {
                return Err(if inode.is_dir() {
                    Error::IsDir
                } else {
                    Error::Invalid
                });
            }
            if size > fs.max_file_size(&inode) {
                return Err(Error::FileTooBig);
            }
            if size < inode.size() {
                fs.shrink_to(&mut inode, size)?;
            }
            inode.set_size(size);
            let now = fs.now();
            inode.set_time(inode::MTIME, now);
            inode.set_time(inode::CTIME, now);
            fs.write_inode(&mut inode)
        })
    }

    /// `fallocate(2)` on an extent-mapped regular file.
    pub fn fallocate(&mut self, ino: u32, mode: u32, offset: u64, len: u64) -> Result<()> {
        if len == 0 {
            return Err(Error::Invalid);
        }
        let known = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
        if mode & !known != 0
            || (mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0)
        {
            return Err(Error::Unsupported);
        }
        self.mutate(|fs| {
            let mut inode = fs.get_inode(ino)?;
            if !inode.is_reg() {
                return Err(if inode.is_dir() {
                    Error::IsDir
                } else {
                    Error::Invalid
                });
            }
            if !inode.has_extents() {
                return Err(Error::Unsupported);
            }
            let end = offset.checked_add(len).ok_or(Error::FileTooBig)?;
            if end > fs.max_file_size(&inode) {
                return Err(Error::FileTooBig);
            }
            let bs = u64::from(fs.sb.block_size);
            let size = inode.size();
            if mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) != 0 {
                let limit = if mode & FALLOC_FL_PUNCH_HOLE != 0 {
                    end.min(size)
                } else {
                    end
                };
                if offset < limit {
                    let first_whole = offset.div_ceil(bs);
                    let last_whole = limit / bs;
                    if first_whole <= last_whole {
                        fs.zero_partial(&inode, offset, first_whole * bs)?;
                        fs.zero_partial(&inode, last_whole * bs, limit)?;
                        fs.punch_extents(&mut inode, first_whole, last_whole)?;
                    } else {
                        fs.zero_partial(&inode, offset, limit)?;
                    }
                    if mode & FALLOC_FL_ZERO_RANGE != 0 && first_whole < last_whole {
                        fs.allocate_unwritten(&mut inode, first_whole, last_whole)?;
                    }
                }
            } else {
                fs.allocate_unwritten(&mut inode, offset / bs, end.div_ceil(bs))?;
            }
            if mode & (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) == 0 && end > size {
                inode.set_size(end);
            }
            let now = fs.now();
            inode.set_time(inode::CTIME, now);
            if mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) != 0 {
                inode.set_time(inode::MTIME, now);
            }
            fs.write_inode(&mut inode)
        })
    }

    /// Fills the holes of logical blocks `start..end` with unwritten extents.
    fn allocate_unwritten(&mut self, inode: &mut Inode, start: u64, end: u64) -> Result<()> {
        let loaded = self.load_extents(inode)?;
        let mut list = loaded.extents;
        let mut lblk = start;
        let mut allocated = 0u64;
        while lblk < end {
            let idx = list.partition_point(|e| e.end() <= lblk);
            if let Some(ext) = list.get(idx).filter(|e| u64::from(e.lblk) <= lblk) {
                lblk = ext.end();
                continue;
            }
            let hole_end = list
                .get(idx)
                .map_or(1u64 << 32, |e| u64::from(e.lblk))
                .min(end);
            let goal = match idx.checked_sub(1).and_then(|i| list.get(i)) {
                Some(prev) => prev.pblk + u64::from(prev.len),
                None => self.goal_for(inode, None),
            };
            let want = (hole_end - lblk).min(u64::from(MAX_UNWRITTEN_LEN)) as u32;
            let (pblk, got) = self.alloc_blocks(goal, want)?;
            extent::insert(
                &mut list,
                Extent {
                    lblk: lblk as u32,
                    len: got,
                    pblk,
                    unwritten: true,
                },
            )?;
            allocated += u64::from(got);
            lblk += u64::from(got);
        }
        let blocks = inode.blocks_512(&self.sb) + allocated * u64::from(self.sb.block_size / 512);
        inode.set_blocks_512(&self.sb, blocks)?;
        self.store_extents(inode, &list, &loaded.tree_blocks)
    }

    /// chmod, chown and utimes: the fields given change, and ctime becomes now.
    pub fn set_attr(&mut self, ino: u32, attr: SetAttr) -> Result<()> {
        self.mutate(|fs| {
            let mut inode = fs.get_inode(ino)?;
            if let Some(mode) = attr.mode {
                inode.set_mode((inode.mode() & inode::S_IFMT) | (mode & 0o7777));
            }
            if let Some(uid) = attr.uid {
                inode.set_uid(uid);
            }
            if let Some(gid) = attr.gid {
                inode.set_gid(gid);
            }
            if let Some(time) = attr.atime {
                inode.set_time(inode::ATIME, time);
            }
            if let Some(time) = attr.mtime {
                inode.set_time(inode::MTIME, time);
            }
            inode.set_time(inode::CTIME, attr.ctime.unwrap_or_else(|| fs.now()));
            fs.write_inode(&mut inode)
        })
    }
}
