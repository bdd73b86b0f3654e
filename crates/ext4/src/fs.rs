//! The mounted file system: the superblock, the running transaction's metadata blocks,
//! group descriptors, bitmaps, inodes, and block and inode allocation.
//!
//! Each mutating call runs in [`Ext4::mutate`], a handle on the running transaction: metadata
//! blocks it changes collect in a map (later reads see them); a failed call puts back the
//! versions it replaced and the superblock, so an error leaves the transaction as it was.
//! With a journal, the transaction (the superblock's block included) is committed as one jbd2
//! transaction by [`Ext4::sync`], [`Ext4::fsync`], unmount, or when it reaches its size limit
//! (docs/journal.md); blocks it frees are not reused before that. `needs_recovery` is set while
//! mounted read-write, as Linux sets it. Without a journal each call is written at its end.
//!
//! Allocation follows Linux's shape without its heuristics: blocks near a goal (the file's
//! last block, or its inode's group), contiguous runs found in the group's bitmap; inodes in
//! the parent's group first. Groups marked `BLOCK_UNINIT`/`INODE_UNINIT` get their bitmaps
//! built as `ext4_init_block_bitmap` builds them, and `bg_itable_unused` is kept as
//! `__ext4_new_inode` keeps it.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::group::{BG_BLOCK_UNINIT, BG_INODE_UNINIT, GroupDesc, bitmap_csum};
use crate::inode::{Inode, Timestamp};
use crate::journal::{JournalWriter, Recovery};
use crate::sb::{COMPAT_HAS_JOURNAL, INCOMPAT_RECOVER, SB_OFFSET, SB_SIZE, Superblock};
use crate::{BlockDevice, Error, Result, zeroed};

/// How to mount.
#[derive(Clone, Copy)]
pub struct MountOptions {
    /// Refuse every change (as `-o ro`). A journal that needs recovery is still replayed,
    /// as Linux replays it on a read-only mount.
    pub read_only: bool,
    /// The device cannot be written: a journal that needs recovery fails the mount (EROFS).
    pub read_only_device: bool,
    /// The clock for timestamps.
    pub now: fn() -> Timestamp,
}

/// What `statfs` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    pub available_blocks: u64,
    pub inodes: u64,
    pub free_inodes: u64,
    pub name_max: u32,
}

/// A mounted ext2/ext3/ext4 file system over the device `D`.
pub struct Ext4<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) sb: Superblock,
    read_only: bool,
    /// Neither the device nor the superblock forbids writing (a read-only mount may become
    /// read-write).
    can_write: bool,
    pub(crate) now: fn() -> Timestamp,
    /// Metadata blocks changed by the running transaction (every call since the last
    /// commit on a journaled file system; the running call's on others).
    dirty: BTreeMap<u64, Vec<u8>>,
    /// While a call runs: the versions its first change of each block replaced, to undo it.
    undo: Option<BTreeMap<u64, Option<Vec<u8>>>>,
    /// Block runs (start, length) freed by the running transaction: not reused before it
    /// commits (Linux's mballoc keeps them out until `ext4_process_freed_data`).
    freed: BTreeMap<u64, u64>,
    /// Inodes changed by the running transaction (what `fsync` must commit: ext4's
    /// `i_sync_tid`), with whether the change matters to `fdatasync` (`i_datasync_tid`).
    changed_inodes: BTreeMap<u32, bool>,
    /// The superblock as the last commit wrote it: a different one needs a commit.
    committed_sb: Vec<u8>,
    next_generation: u32,
    recovery: Option<Recovery>,
    journal: Option<JournalWriter>,
    /// Unlinked inodes kept for their users ([`Ext4::set_keep_unlinked`]).
    pub(crate) kept: BTreeSet<u32>,
    pub(crate) keep_unlinked: bool,
    /// Blocks of file system structures, left out of `statfs`'s total ([`Ext4::overhead`]).
    overhead: u64,
}

impl<D: BlockDevice> Ext4<D> {
    /// Mounts the file system on `dev`, checking the superblock and every group descriptor.
    pub fn mount(mut dev: D, options: MountOptions) -> Result<Self> {
        let mut raw = zeroed(SB_SIZE)?;
        dev.read_at(SB_OFFSET, &mut raw)?;
        let sb = Superblock::parse(raw, dev.size())?;
        let now = (options.now)();
        let sb_forced_read_only = sb.forced_read_only;
        let read_only = options.read_only || options.read_only_device || sb_forced_read_only;
        let mut fs = Ext4 {
            dev,
            sb,
            read_only,
            can_write: !options.read_only_device && !sb_forced_read_only,
            now: options.now,
            dirty: BTreeMap::new(),
            undo: None,
            freed: BTreeMap::new(),
            changed_inodes: BTreeMap::new(),
            committed_sb: Vec::new(),
            next_generation: (now.sec as u32) ^ now.nsec.rotate_left(13),
            recovery: None,
            journal: None,
            kept: BTreeSet::new(),
            keep_unlinked: false,
            overhead: 0,
        };
        if fs.sb.incompat() & INCOMPAT_RECOVER != 0 && !options.read_only_device {
            fs.recover()?;
        }
        fs.check_groups()?;
        fs.overhead = fs.overhead()?;
        if !fs.read_only {
            fs.start_writing()?;
        }
        Ok(fs)
    }

    /// What a read-write mount does before the first change: counts the free blocks and
    /// inodes, marks a journaled file system as needing recovery (durably, before any
    /// transaction), and frees what a crash left on the orphan list.
    fn start_writing(&mut self) -> Result<()> {
        // Linux counts free blocks and inodes from the descriptors at mount; so do we, and
        // the superblock written at each commit carries the totals.
        let (free_blocks, free_inodes) = self.count_free()?;
        self.sb.set_free_blocks(free_blocks);
        self.sb.set_free_inodes(free_inodes);
        if self.sb.compat() & COMPAT_HAS_JOURNAL != 0 {
            // Linux marks a mounted journaled file system as needing recovery, so that a
            // crash sends the next mount to the log (which is empty after each commit).
            // The flag is durable before any transaction can be in the log.
            let journal_ino = crate::le::u32_at(&self.sb.raw, 0xe0);
            let writer = self.open_journal_writer(journal_ino)?;
            let incompat = self.sb.incompat() | INCOMPAT_RECOVER;
            crate::le::set_u32(&mut self.sb.raw, 0x60, incompat);
            self.commit()?;
            self.journal = Some(writer);
        }
        self.orphan_cleanup()?;
        Ok(())
    }

    /// Remounts read-only (`ext4_reconfigure` to `ro`: the last commit, the journal emptied
    /// and `needs_recovery` cleared, as [`Ext4::shutdown`]) or read-write (as a read-write
    /// mount starts); `ReadOnly` if the device or the superblock forbids writing.
    pub fn remount(&mut self, read_only: bool) -> Result<()> {
        if read_only == self.read_only {
            return Ok(());
        }
        if read_only {
            return self.shutdown();
        }
        if !self.can_write {
            return Err(Error::ReadOnly);
        }
        self.read_only = false;
        if let Err(error) = self.start_writing() {
            self.journal = None;
            self.read_only = true;
            return Err(error);
        }
        Ok(())
    }

    /// Replays the journal, then reads the superblock it may have rewritten and clears
    /// `needs_recovery` (`ext4_load_journal`).
    fn recover(&mut self) -> Result<()> {
        if self.sb.compat() & COMPAT_HAS_JOURNAL == 0 {
            return Err(Error::Corrupt("needs recovery without a journal"));
        }
        let journal_ino = crate::le::u32_at(&self.sb.raw, 0xe0);
        let report = self.recover_journal(journal_ino)?;
        let mut raw = zeroed(SB_SIZE)?;
        self.dev.read_at(SB_OFFSET, &mut raw)?;
        let mut sb = Superblock::parse(raw, self.dev.size())?;
        let incompat = sb.incompat() & !INCOMPAT_RECOVER;
        crate::le::set_u32(&mut sb.raw, 0x60, incompat);
        sb.finish();
        self.dev.write_at(SB_OFFSET, &sb.raw)?;
        self.dev.flush()?;
        self.sb = sb;
        self.recovery = Some(report);
        Ok(())
    }

    /// Keep inodes whose last name goes (unlink, rmdir, rename over them) on the orphan list
    /// until [`Ext4::release`], for callers that still have them open (Linux frees an inode at
    /// its last `iput`); a crash meanwhile leaves them for the next mount to free.
    pub fn set_keep_unlinked(&mut self, keep: bool) {
        self.keep_unlinked = keep;
    }

    /// The last user of inode `ino` is gone: if it has no names left, free it.
    pub fn release(&mut self, ino: u32) -> Result<()> {
        if !self.kept.contains(&ino) {
            return Ok(());
        }
        self.mutate(|fs| {
            let inode = fs.read_inode(ino)?;
            if inode.links() == 0 {
                fs.orphan_del(ino)?;
                fs.release_inode(ino)?;
            }
            Ok(())
        })?;
        self.kept.remove(&ino);
        Ok(())
    }

    /// Puts an inode at the head of the on-disk orphan list (`s_last_orphan`, then each
    /// orphan's `i_dtime`), and writes it.
    pub(crate) fn orphan_add(&mut self, inode: &mut Inode) -> Result<()> {
        let head = crate::le::u32_at(&self.sb.raw, 0xe8);
        inode.set_dtime(head);
        self.write_inode(inode)?;
        crate::le::set_u32(&mut self.sb.raw, 0xe8, inode.ino);
        Ok(())
    }

    /// Takes an inode off the orphan list.
    fn orphan_del(&mut self, ino: u32) -> Result<()> {
        let mut prev: Option<Inode> = None;
        let mut cur = crate::le::u32_at(&self.sb.raw, 0xe8);
        for _ in 0..self.sb.inodes_count {
            if cur == 0 {
                return Err(Error::Corrupt("orphan missing from the orphan list"));
            }
            let inode = self.read_inode(cur)?;
            let next = crate::le::u32_at(&inode.raw, 0x14);
            if cur == ino {
                match prev {
                    None => crate::le::set_u32(&mut self.sb.raw, 0xe8, next),
                    Some(mut p) => {
                        p.set_dtime(next);
                        self.write_inode(&mut p)?;
                    }
                }
                return Ok(());
            }
            prev = Some(inode);
            cur = next;
        }
        Err(Error::Corrupt("orphan list loops"))
    }

    /// Frees the inodes a crash left on the orphan list (`ext4_orphan_cleanup`): unlinked
    /// ones go, linked ones are cut to their size.
    fn orphan_cleanup(&mut self) -> Result<()> {
        if crate::le::u32_at(&self.sb.raw, 0xe8) == 0 {
            return Ok(());
        }
        self.mutate(|fs| {
            let mut cur = crate::le::u32_at(&fs.sb.raw, 0xe8);
            crate::le::set_u32(&mut fs.sb.raw, 0xe8, 0);
            let mut seen = BTreeSet::new();
            while cur != 0 {
                if !seen.insert(cur) || seen.len() as u32 > fs.sb.inodes_count {
                    return Err(Error::Corrupt("orphan list loops"));
                }
                let mut inode = fs.read_inode(cur)?;
                let next = crate::le::u32_at(&inode.raw, 0x14);
                if inode.links() == 0 {
                    fs.release_inode(cur)?;
                } else {
                    if inode.is_reg() {
                        let size = inode.size();
                        fs.shrink_to(&mut inode, size)?;
                    }
                    inode.set_dtime(0);
                    fs.write_inode(&mut inode)?;
                }
                cur = next;
            }
            Ok(())
        })
    }

    /// What journal recovery did at mount, if the journal needed it.
    pub fn recovery(&self) -> Option<Recovery> {
        self.recovery
    }

    /// Writes what is pending and gives the device back.
    pub fn unmount(mut self) -> Result<D> {
        self.shutdown()?;
        Ok(self.dev)
    }

    /// What unmounting does, for owners that cannot give the file system up by value: the
    /// last commit, then `needs_recovery` cleared once the empty log is durable. Later
    /// changes are refused (EROFS).
    pub fn shutdown(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.commit()?;
        if let Some(mut journal) = self.journal.take() {
            // Everything goes home and the empty log is made durable: the file system is
            // clean again.
            if let Err(error) = journal.release(&mut self.dev) {
                self.journal = Some(journal);
                return Err(error);
            }
            let incompat = self.sb.incompat() & !INCOMPAT_RECOVER;
            crate::le::set_u32(&mut self.sb.raw, 0x60, incompat);
            self.commit()?;
        }
        self.read_only = true;
        Ok(())
    }

    pub fn device(&mut self) -> &mut D {
        &mut self.dev
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// Blocks that hold the file system's own structures, as Linux's `ext4_calculate_overhead`
    /// counts them for `statfs` (the default `bsddf`): those before the first group; per
    /// group its superblock backup with the descriptor and reserved descriptor blocks, two
    /// bitmaps and the inode table; and the internal journal.
    fn overhead(&mut self) -> Result<u64> {
        let mut total = u64::from(self.sb.first_data_block);
        for group in 0..self.sb.group_count {
            total += u64::from(self.sb.group_base_meta_blocks(group))
                + u64::from(self.inode_table_blocks())
                + 2;
        }
        let journal_ino = crate::le::u32_at(&self.sb.raw, 0xe0);
        if self.sb.compat() & COMPAT_HAS_JOURNAL != 0 && journal_ino != 0 {
            let size = self.read_inode(journal_ino)?.size();
            total += size / u64::from(self.sb.block_size);
        }
        Ok(total.min(self.sb.blocks_count))
    }

    pub fn statfs(&self) -> StatFs {
        let free = self.sb.free_blocks();
        // Linux keeps 2% of the blocks, at most 4096, for extent splits and the like
        // (`ext4_calculate_resv_clusters`, when extents are on): not available to users.
        let reserve = if self.sb.incompat() & crate::sb::INCOMPAT_EXTENTS != 0 {
            (self.sb.blocks_count / 50).min(4096)
        } else {
            0
        };
        StatFs {
            block_size: self.sb.block_size,
            blocks: self.sb.blocks_count - self.overhead,
            free_blocks: free,
            available_blocks: free.saturating_sub(self.sb.reserved_blocks() + reserve),
            inodes: u64::from(self.sb.inodes_count),
            free_inodes: u64::from(self.sb.free_inodes()),
            name_max: 255,
        }
    }

    /// Runs one mutating call as a handle on the running transaction (`ext4_journal_start`
    /// to `ext4_journal_stop`): its metadata joins the transaction when it succeeds and is
    /// undone when it fails. A transaction that reached its size limit is committed first
    /// (`start_this_handle` waiting for a commit); a call that found no space while blocks
    /// freed by the running transaction wait for its commit commits and tries once more
    /// (`ext4_should_retry_alloc`). Without a journal every call is written at once.
    pub(crate) fn mutate<T>(&mut self, mut op: impl FnMut(&mut Self) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        if self.undo.is_some() {
            return op(self);
        }
        if let Some(journal) = &self.journal
            && self.dirty.len() >= journal.max_transaction()
        {
            self.commit()?;
        }
        let mut retried = false;
        loop {
            let saved = self.sb.raw.clone();
            self.undo = Some(BTreeMap::new());
            let result = op(self);
            let undo = self.undo.take().unwrap_or_default();
            match result {
                Ok(value) => {
                    let full = self
                        .journal
                        .as_ref()
                        .is_none_or(|journal| self.dirty.len() >= journal.max_transaction());
                    if full {
                        self.commit()?;
                    }
                    return Ok(value);
                }
                Err(error) => {
                    for (block, before) in undo {
                        match before {
                            Some(data) => self.dirty.insert(block, data),
                            None => self.dirty.remove(&block),
                        };
                    }
                    self.sb.raw = saved;
                    if error == Error::NoSpace
                        && !retried
                        && self.journal.is_some()
                        && !self.freed.is_empty()
                    {
                        retried = true;
                        self.commit()?;
                        continue;
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Remembers what the running call's first change of `block` replaces.
    fn save_for_undo(&mut self, block: u64) -> Result<()> {
        if let Some(undo) = self.undo.as_mut()
            && !undo.contains_key(&block)
        {
            let before = match self.dirty.get(&block) {
                Some(data) => {
                    let mut copy = Vec::new();
                    copy.try_reserve_exact(data.len())
                        .map_err(|_| Error::NoMem)?;
                    copy.extend_from_slice(data);
                    Some(copy)
                }
                None => None,
            };
            undo.insert(block, before);
        }
        Ok(())
    }

    /// Commits the running transaction (`jbd2_journal_commit_transaction`): its metadata
    /// and the superblock through the log, then home; an empty one only flushes the device
    /// (file data written since). Without a journal: the changed blocks and the superblock
    /// are written, then flushed.
    fn commit(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        let bs = u64::from(self.sb.block_size);
        let now = (self.now)();
        if let Some(mut journal) = self.journal.take() {
            if self.dirty.is_empty() && self.sb.raw == self.committed_sb {
                self.journal = Some(journal);
                self.dev.flush()?;
                return Ok(());
            }
            self.sb.set_write_time(now.sec);
            self.sb.finish();
            // The superblock travels in the transaction inside its block.
            let (sb_block, sb_offset) = if bs == 1024 { (1, 0) } else { (0, 1024) };
            let mut block = self.read_block(sb_block)?;
            block[sb_offset..sb_offset + SB_SIZE].copy_from_slice(&self.sb.raw);
            self.dirty.insert(sb_block, block);
            let blocks: Vec<(u64, Vec<u8>)> =
                core::mem::take(&mut self.dirty).into_iter().collect();
            let result = journal.commit(&mut self.dev, bs as usize, &blocks, now);
            let done = match result {
                Ok(true) => Ok(()),
                Ok(false) => {
                    journal.unjournaled += 1;
                    journal
                        .release(&mut self.dev)
                        .and_then(|()| self.write_home(&blocks))
                }
                Err(error) => Err(error),
            };
            self.journal = Some(journal);
            done?;
            self.freed.clear();
            self.changed_inodes.clear();
            self.committed_sb.clear();
            self.committed_sb
                .try_reserve_exact(SB_SIZE)
                .map_err(|_| Error::NoMem)?;
            self.committed_sb.extend_from_slice(&self.sb.raw);
            return Ok(());
        }
        self.sb.set_write_time(now.sec);
        self.sb.finish();
        let dirty = core::mem::take(&mut self.dirty);
        for (block, data) in &dirty {
            self.dev.write_at(block * bs, data)?;
        }
        self.dev.write_at(SB_OFFSET, &self.sb.raw)?;
        self.dev.flush()?;
        self.freed.clear();
        self.changed_inodes.clear();
        Ok(())
    }

    fn write_home(&mut self, blocks: &[(u64, Vec<u8>)]) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        for (block, data) in blocks {
            self.dev.write_at(block * bs, data)?;
        }
        self.dev.flush()?;
        Ok(())
    }

    /// Whether metadata goes through the jbd2 journal.
    pub fn is_journaled(&self) -> bool {
        self.journal.is_some()
    }

    /// Flushes everything written so far to stable storage: the running transaction is
    /// committed (`sync`, `syncfs`, `jbd2_journal_force_commit`).
    pub fn sync(&mut self) -> Result<()> {
        self.commit()
    }

    /// `fsync` (`datasync`: `fdatasync`) of inode `ino` after its data was written
    /// (`ext4_sync_file`): commits the running transaction if it holds a change of the inode
    /// (one that matters to `fdatasync`, for it), otherwise flushes the device's cache so
    /// that the data written is durable.
    pub fn fsync(&mut self, ino: u32, datasync: bool) -> Result<()> {
        match self.changed_inodes.get(&ino) {
            Some(&data_change) if data_change || !datasync => self.commit(),
            _ if self.read_only => Ok(()),
            _ => self.dev.flush().map_err(Error::from),
        }
    }

    /// Whether the running transaction holds changes that no commit has written.
    pub fn has_uncommitted(&self) -> bool {
        !self.read_only
            && self.journal.is_some()
            && (!self.dirty.is_empty() || self.sb.raw != self.committed_sb)
    }

    /// Limits running transactions to `blocks` metadata blocks (tests: commits forced by
    /// size and a log that wraps).
    #[cfg(test)]
    pub(crate) fn set_transaction_limit(&mut self, blocks: usize) {
        if let Some(journal) = self.journal.as_mut() {
            journal.limit = Some(blocks);
        }
    }

    /// Times the log was emptied to make room for a transaction.
    #[cfg(test)]
    pub(crate) fn log_wraps(&self) -> u64 {
        self.journal.as_ref().map_or(0, |journal| journal.wraps)
    }

    /// Transactions committed through the journal since mount.
    pub fn commits(&self) -> u64 {
        self.journal.as_ref().map_or(0, |journal| journal.commits)
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.now)()
    }

    pub(crate) fn new_generation(&mut self) -> u32 {
        self.next_generation = self
            .next_generation
            .wrapping_mul(1_103_515_245)
            .wrapping_add(12345);
        self.next_generation
    }

    // ---- blocks ----

    fn check_block(&self, block: u64) -> Result<()> {
        if block >= self.sb.blocks_count {
            return Err(Error::Corrupt("block number past the end"));
        }
        Ok(())
    }

    /// Whether `block` was changed by the running transaction (its checks and checksums are
    /// ours, not the disk's).
    pub(crate) fn is_dirty(&self, block: u64) -> bool {
        self.dirty.contains_key(&block)
    }

    /// A block's contents, as the running operation left it.
    pub(crate) fn read_block(&mut self, block: u64) -> Result<Vec<u8>> {
        self.check_block(block)?;
        if let Some(data) = self.dirty.get(&block) {
            let mut copy = Vec::new();
            copy.try_reserve_exact(data.len())
                .map_err(|_| Error::NoMem)?;
            copy.extend_from_slice(data);
            return Ok(copy);
        }
        let mut buf = zeroed(self.sb.block_size as usize)?;
        self.dev
            .read_at(block * u64::from(self.sb.block_size), &mut buf)?;
        Ok(buf)
    }

    /// Reads a block into `buf` (one block long).
    pub(crate) fn read_block_into(&mut self, block: u64, buf: &mut [u8]) -> Result<()> {
        self.check_block(block)?;
        if let Some(data) = self.dirty.get(&block) {
            buf.copy_from_slice(data);
            return Ok(());
        }
        self.dev
            .read_at(block * u64::from(self.sb.block_size), buf)?;
        Ok(())
    }

    /// Queues a metadata block for the commit.
    pub(crate) fn write_meta(&mut self, block: u64, data: Vec<u8>) -> Result<()> {
        self.check_block(block)?;
        self.save_for_undo(block)?;
        self.dirty.insert(block, data);
        Ok(())
    }

    /// Writes file data at once (ordered mode: before the metadata that points at it).
    pub(crate) fn write_data(&mut self, block: u64, data: &[u8]) -> Result<()> {
        self.check_block(block)?;
        if self.dirty.contains_key(&block) {
            self.save_for_undo(block)?;
            self.dirty.remove(&block);
        }
        self.dev
            .write_at(block * u64::from(self.sb.block_size), data)?;
        Ok(())
    }

    // ---- group descriptors ----

    fn gd_location(&self, group: u32) -> (u64, usize) {
        let dpb = self.sb.descs_per_block();
        let block = self.sb.gdt_block(group / dpb);
        (block, ((group % dpb) * self.sb.desc_size) as usize)
    }

    pub(crate) fn group(&mut self, group: u32) -> Result<GroupDesc> {
        if group >= self.sb.group_count {
            return Err(Error::Corrupt("group number"));
        }
        let (block, offset) = self.gd_location(group);
        let data = self.read_block(block)?;
        let end = offset + self.sb.desc_size as usize;
        let gd = GroupDesc {
            raw: data
                .get(offset..end)
                .ok_or(Error::Corrupt("descriptor"))?
                .to_vec(),
        };
        if !gd.verify(&self.sb, group) {
            return Err(Error::BadChecksum("group descriptor"));
        }
        self.check_group_locations(group, &gd)?;
        Ok(gd)
    }

    pub(crate) fn set_group(&mut self, group: u32, mut gd: GroupDesc) -> Result<()> {
        gd.finish(&self.sb, group);
        let (block, offset) = self.gd_location(group);
        let mut data = self.read_block(block)?;
        data[offset..offset + gd.raw.len()].copy_from_slice(&gd.raw);
        self.write_meta(block, data)
    }

    fn check_group_locations(&self, group: u32, gd: &GroupDesc) -> Result<()> {
        let (low, high) = if self.sb.has_flex_bg() {
            (
                u64::from(self.sb.first_data_block) + 1,
                self.sb.blocks_count,
            )
        } else {
            let first = self.sb.group_first_block(group);
            (first, first + u64::from(self.sb.group_blocks(group)))
        };
        let itable_blocks = u64::from(self.inode_table_blocks());
        let inside = |block: u64, len: u64| {
            block >= low && block.checked_add(len).is_some_and(|end| end <= high)
        };
        if !inside(gd.block_bitmap(), 1) {
            return Err(Error::Corrupt("block bitmap location"));
        }
        if !inside(gd.inode_bitmap(), 1) {
            return Err(Error::Corrupt("inode bitmap location"));
        }
        if !inside(gd.inode_table(), itable_blocks) {
            return Err(Error::Corrupt("inode table location"));
        }
        if gd.free_blocks() > self.sb.blocks_per_group
            || gd.free_inodes() > self.sb.inodes_per_group
        {
            return Err(Error::Corrupt("group free counts"));
        }
        Ok(())
    }

    fn check_groups(&mut self) -> Result<()> {
        for group in 0..self.sb.group_count {
            self.group(group)?;
        }
        Ok(())
    }

    fn count_free(&mut self) -> Result<(u64, u32)> {
        let mut blocks = 0u64;
        let mut inodes = 0u32;
        for group in 0..self.sb.group_count {
            let gd = self.group(group)?;
            blocks += u64::from(gd.free_blocks());
            inodes = inodes.saturating_add(gd.free_inodes());
        }
        Ok((blocks, inodes))
    }

    fn uninit_flags_valid(&self) -> bool {
        self.sb.has_csum() || self.sb.has_gdt_csum()
    }

    pub(crate) fn inode_table_blocks(&self) -> u32 {
        (self.sb.inodes_per_group * self.sb.inode_size).div_ceil(self.sb.block_size)
    }

    // ---- bitmaps ----

    /// The block bitmap of `group`, built in memory for a `BLOCK_UNINIT` group.
    fn block_bitmap(&mut self, group: u32, gd: &GroupDesc) -> Result<Vec<u8>> {
        let bs = self.sb.block_size as usize;
        let mut bitmap;
        if self.uninit_flags_valid() && gd.flags() & BG_BLOCK_UNINIT != 0 {
            bitmap = zeroed(bs)?;
            let first = self.sb.group_first_block(group);
            let end = first + u64::from(self.sb.group_blocks(group));
            for bit in 0..self.sb.group_base_meta_blocks(group) {
                set_bit(&mut bitmap, bit as usize);
            }
            let mut mark = |block: u64, len: u64| {
                for b in block..block.saturating_add(len) {
                    if b >= first && b < end {
                        set_bit(&mut bitmap, (b - first) as usize);
                    }
                }
            };
            mark(gd.block_bitmap(), 1);
            mark(gd.inode_bitmap(), 1);
            mark(gd.inode_table(), u64::from(self.inode_table_blocks()));
        } else {
            bitmap = self.read_block(gd.block_bitmap())?;
            if self.sb.has_csum() && !self.is_dirty(gd.block_bitmap()) {
                let bytes = (self.sb.blocks_per_group / 8) as usize;
                if bitmap_csum(&self.sb, &bitmap, bytes) != gd.block_bitmap_csum() {
                    return Err(Error::BadChecksum("block bitmap"));
                }
            }
        }
        set_bits_from(&mut bitmap, self.sb.group_blocks(group) as usize);
        Ok(bitmap)
    }

    fn store_block_bitmap(
        &mut self,
        _group: u32,
        gd: &mut GroupDesc,
        bitmap: Vec<u8>,
    ) -> Result<()> {
        if self.sb.has_csum() {
            let bytes = (self.sb.blocks_per_group / 8) as usize;
            gd.set_block_bitmap_csum(bitmap_csum(&self.sb, &bitmap, bytes));
        }
        gd.set_flags(gd.flags() & !BG_BLOCK_UNINIT);
        self.write_meta(gd.block_bitmap(), bitmap)
    }

    fn inode_bitmap(&mut self, gd: &GroupDesc) -> Result<Vec<u8>> {
        let bs = self.sb.block_size as usize;
        let mut bitmap;
        if self.uninit_flags_valid() && gd.flags() & BG_INODE_UNINIT != 0 {
            bitmap = zeroed(bs)?;
        } else {
            bitmap = self.read_block(gd.inode_bitmap())?;
            if self.sb.has_csum() && !self.is_dirty(gd.inode_bitmap()) {
                let bytes = (self.sb.inodes_per_group / 8) as usize;
                if bitmap_csum(&self.sb, &bitmap, bytes) != gd.inode_bitmap_csum() {
                    return Err(Error::BadChecksum("inode bitmap"));
                }
            }
        }
        set_bits_from(&mut bitmap, self.sb.inodes_per_group as usize);
        Ok(bitmap)
    }

    fn store_inode_bitmap(&mut self, gd: &mut GroupDesc, bitmap: Vec<u8>) -> Result<()> {
        if self.sb.has_csum() {
            let bytes = (self.sb.inodes_per_group / 8) as usize;
            gd.set_inode_bitmap_csum(bitmap_csum(&self.sb, &bitmap, bytes));
        }
        gd.set_flags(gd.flags() & !BG_INODE_UNINIT);
        self.write_meta(gd.inode_bitmap(), bitmap)
    }

    // ---- block allocation ----

    fn block_group_of(&self, block: u64) -> (u32, u32) {
        let rel = block.saturating_sub(u64::from(self.sb.first_data_block));
        let bpg = u64::from(self.sb.blocks_per_group);
        ((rel / bpg) as u32, (rel % bpg) as u32)
    }

    /// Allocates up to `max` contiguous blocks, near `goal` if it can.
    pub(crate) fn alloc_blocks(&mut self, goal: u64, max: u32) -> Result<(u64, u32)> {
        if self.sb.free_blocks() == 0 || max == 0 {
            return Err(Error::NoSpace);
        }
        let goal = if goal >= self.sb.blocks_count || goal <= u64::from(self.sb.first_data_block) {
            u64::from(self.sb.first_data_block)
        } else {
            goal
        };
        let (goal_group, goal_offset) = self.block_group_of(goal);
        let groups = self.sb.group_count;
        // Twice round: the first pass wants a whole run, the second takes any free block.
        for pass in 0..2 {
            for step in 0..groups {
                let group = (goal_group + step) % groups;
                let mut gd = self.group(group)?;
                if gd.free_blocks() == 0 {
                    continue;
                }
                let bitmap = self.block_bitmap(group, &gd)?;
                let limit = self.sb.group_blocks(group) as usize;
                let start_bit = if step == 0 { goal_offset as usize } else { 0 };
                let want = if pass == 0 { max.min(8) as usize } else { 1 };
                let search = self.without_freed(group, &bitmap)?;
                let search = search.as_deref().unwrap_or(&bitmap);
                let Some((bit, len)) = find_run(search, start_bit, limit, want, max as usize)
                    .or_else(|| {
                        if start_bit > 0 {
                            find_run(search, 0, limit, want, max as usize)
                        } else {
                            None
                        }
                    })
                else {
                    continue;
                };
                let mut bitmap = bitmap;
                for b in bit..bit + len {
                    set_bit(&mut bitmap, b);
                }
                let len32 = len as u32;
                gd.set_free_blocks(gd.free_blocks().saturating_sub(len32));
                self.store_block_bitmap(group, &mut gd, bitmap)?;
                self.set_group(group, gd)?;
                let free = self.sb.free_blocks().saturating_sub(u64::from(len32));
                self.sb.set_free_blocks(free);
                let block = self.sb.group_first_block(group) + bit as u64;
                return Ok((block, len32));
            }
        }
        Err(Error::NoSpace)
    }

    /// `bitmap` of `group` with the blocks that the running transaction freed marked in use
    /// (they wait for its commit), or `None` when it freed none there.
    fn without_freed(&self, group: u32, bitmap: &[u8]) -> Result<Option<Vec<u8>>> {
        let first = self.sb.group_first_block(group);
        let end = first + u64::from(self.sb.group_blocks(group));
        let mut masked: Option<Vec<u8>> = None;
        // Runs never cross a group (free_blocks splits them), so one that starts before the
        // group cannot reach into it.
        for (&start, &len) in self.freed.range(first..end) {
            let copy = match masked.as_mut() {
                Some(copy) => copy,
                None => {
                    let mut copy = Vec::new();
                    copy.try_reserve_exact(bitmap.len())
                        .map_err(|_| Error::NoMem)?;
                    copy.extend_from_slice(bitmap);
                    masked.insert(copy)
                }
            };
            for block in start..(start + len).min(end) {
                set_bit(copy, (block - first) as usize);
            }
        }
        Ok(masked)
    }

    /// Frees `len` blocks from `start`; freeing a free block is corruption.
    pub(crate) fn free_blocks(&mut self, start: u64, len: u64) -> Result<()> {
        if start <= u64::from(self.sb.first_data_block)
            || start
                .checked_add(len)
                .is_none_or(|end| end > self.sb.blocks_count)
        {
            return Err(Error::Corrupt("freeing blocks outside the file system"));
        }
        let mut block = start;
        let end = start + len;
        while block < end {
            let (group, offset) = self.block_group_of(block);
            let in_group =
                (u64::from(self.sb.blocks_per_group) - u64::from(offset)).min(end - block);
            let mut gd = self.group(group)?;
            let mut bitmap = self.block_bitmap(group, &gd)?;
            for bit in offset as usize..(u64::from(offset) + in_group) as usize {
                if !test_bit(&bitmap, bit) {
                    return Err(Error::Corrupt("freeing a free block"));
                }
                clear_bit(&mut bitmap, bit);
            }
            for b in block..block + in_group {
                if self.dirty.contains_key(&b) {
                    self.save_for_undo(b)?;
                    self.dirty.remove(&b);
                }
            }
            gd.set_free_blocks(gd.free_blocks() + in_group as u32);
            self.store_block_bitmap(group, &mut gd, bitmap)?;
            self.set_group(group, gd)?;
            let free = self.sb.free_blocks() + in_group;
            self.sb.set_free_blocks(free);
            if self.journal.is_some() {
                self.freed.insert(block, in_group);
            }
            block += in_group;
        }
        Ok(())
    }

    // ---- inodes ----

    fn inode_location(&mut self, ino: u32) -> Result<(u64, usize)> {
        if ino == 0 || ino > self.sb.inodes_count {
            return Err(Error::Corrupt("inode number"));
        }
        let group = (ino - 1) / self.sb.inodes_per_group;
        let index = (ino - 1) % self.sb.inodes_per_group;
        let gd = self.group(group)?;
        let byte = u64::from(index) * u64::from(self.sb.inode_size);
        let bs = u64::from(self.sb.block_size);
        Ok((gd.inode_table() + byte / bs, (byte % bs) as usize))
    }

    /// Reads and checks inode `ino`.
    pub(crate) fn read_inode(&mut self, ino: u32) -> Result<Inode> {
        let (block, offset) = self.inode_location(ino)?;
        let data = self.read_block(block)?;
        let raw = data[offset..offset + self.sb.inode_size as usize].to_vec();
        let inode = Inode { ino, raw };
        inode.check(&self.sb)?;
        Ok(inode)
    }

    /// Reads an inode that a directory entry or a caller names: it must be in use.
    pub(crate) fn get_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.read_inode(ino)?;
        if (inode.links() == 0 && !self.kept.contains(&ino)) || inode.mode() == 0 {
            return Err(Error::Corrupt("deleted inode referenced"));
        }
        Ok(inode)
    }

    pub(crate) fn write_inode(&mut self, inode: &mut Inode) -> Result<()> {
        inode.set_csum(&self.sb);
        let (block, offset) = self.inode_location(inode.ino)?;
        let mut data = self.read_block(block)?;
        let slot = &mut data[offset..offset + inode.raw.len()];
        if self.journal.is_some() {
            let data_change = !only_times_differ(slot, &inode.raw);
            let entry = self.changed_inodes.entry(inode.ino).or_insert(false);
            *entry |= data_change;
        }
        slot.copy_from_slice(&inode.raw);
        self.write_meta(block, data)
    }

    pub(crate) fn inode_group(&self, ino: u32) -> u32 {
        (ino.saturating_sub(1)) / self.sb.inodes_per_group
    }

    /// Allocates an inode number, in `near_group` if it has room.
    pub(crate) fn alloc_inode(&mut self, near_group: u32, is_dir: bool) -> Result<u32> {
        if self.sb.free_inodes() == 0 {
            return Err(Error::NoSpace);
        }
        let groups = self.sb.group_count;
        let ipg = self.sb.inodes_per_group;
        for step in 0..groups {
            let group = (near_group + step) % groups;
            let mut gd = self.group(group)?;
            if gd.free_inodes() == 0 {
                continue;
            }
            let mut bitmap = self.inode_bitmap(&gd)?;
            let first = if group == 0 { self.sb.first_ino - 1 } else { 0 };
            let Some(index) = first_clear(&bitmap, first as usize, ipg as usize) else {
                continue;
            };
            let index = index as u32;
            set_bit(&mut bitmap, index as usize);
            gd.set_free_inodes(gd.free_inodes() - 1);
            if is_dir {
                gd.set_used_dirs(gd.used_dirs() + 1);
            }
            if self.uninit_flags_valid() {
                let unused = gd.itable_unused();
                if index >= ipg.saturating_sub(unused) {
                    gd.set_itable_unused(ipg - index - 1);
                }
            }
            self.store_inode_bitmap(&mut gd, bitmap)?;
            self.set_group(group, gd)?;
            let free = self.sb.free_inodes() - 1;
            self.sb.set_free_inodes(free);
            return Ok(group * ipg + index + 1);
        }
        Err(Error::NoSpace)
    }

    pub(crate) fn free_inode(&mut self, ino: u32, is_dir: bool) -> Result<()> {
        let group = self.inode_group(ino);
        let index = (ino - 1) % self.sb.inodes_per_group;
        let mut gd = self.group(group)?;
        let mut bitmap = self.inode_bitmap(&gd)?;
        if !test_bit(&bitmap, index as usize) {
            return Err(Error::Corrupt("freeing a free inode"));
        }
        clear_bit(&mut bitmap, index as usize);
        gd.set_free_inodes(gd.free_inodes() + 1);
        if is_dir {
            gd.set_used_dirs(gd.used_dirs().saturating_sub(1));
        }
        self.store_inode_bitmap(&mut gd, bitmap)?;
        self.set_group(group, gd)?;
        let free = self.sb.free_inodes() + 1;
        self.sb.set_free_inodes(free);
        Ok(())
    }

    /// A fresh in-memory inode for `ino`, sized and stamped as Linux's `__ext4_new_inode`.
    pub(crate) fn blank_inode(&mut self, ino: u32, mode: u16, uid: u32, gid: u32) -> Result<Inode> {
        let mut raw = zeroed(self.sb.inode_size as usize)?;
        if self.sb.inode_size > 128 {
            crate::le::set_u16(&mut raw, 0x80, self.sb.want_extra_isize() as u16);
        }
        let mut inode = Inode { ino, raw };
        inode.set_mode(mode);
        inode.set_uid(uid);
        inode.set_gid(gid);
        let now = self.now();
        for field in [
            crate::inode::ATIME,
            crate::inode::CTIME,
            crate::inode::MTIME,
            crate::inode::CRTIME,
        ] {
            inode.set_time(field, now);
        }
        let generation = self.new_generation();
        inode.set_generation(generation);
        Ok(inode)
    }

    /// The block a file's new data should go near: after `last`, or in its inode's group.
    pub(crate) fn goal_for(&self, inode: &Inode, last: Option<u64>) -> u64 {
        match last {
            Some(block) => block + 1,
            None => {
                let group = self.inode_group(inode.ino);
                self.sb.group_first_block(group)
            }
        }
    }
}

/// Whether two images of an inode differ at most in the fields `fdatasync` may leave
/// uncommitted: the access, change and modification times and the checksum.
fn only_times_differ(old: &[u8], new: &[u8]) -> bool {
    const SKIP: [(usize, usize); 4] = [
        (0x08, 0x14), // atime, ctime, mtime
        (0x7c, 0x7e), // checksum (low)
        (0x82, 0x84), // checksum (high)
        (0x84, 0x90), // ctime, mtime and atime extra
    ];
    old.len() == new.len()
        && old
            .iter()
            .zip(new)
            .enumerate()
            .all(|(at, (a, b))| a == b || SKIP.iter().any(|&(from, to)| at >= from && at < to))
}

/// Sets every bit of `bitmap` from `start` on (the padding past a group's end).
fn set_bits_from(bitmap: &mut [u8], start: usize) {
    let mut bit = start;
    while bit < bitmap.len() * 8 && !bit.is_multiple_of(8) {
        set_bit(bitmap, bit);
        bit += 1;
    }
    if let Some(rest) = bitmap.get_mut(bit / 8..) {
        rest.fill(0xff);
    }
}

/// The first clear bit in `start..limit`, whole bytes of set bits skipped.
fn first_clear(bitmap: &[u8], start: usize, limit: usize) -> Option<usize> {
    let mut bit = start;
    while bit < limit {
        if bit.is_multiple_of(8) && bitmap.get(bit / 8) == Some(&0xff) {
            bit += 8;
            continue;
        }
        if !test_bit(bitmap, bit) {
            return Some(bit);
        }
        bit += 1;
    }
    None
}

pub(crate) fn test_bit(bitmap: &[u8], bit: usize) -> bool {
    bitmap
        .get(bit / 8)
        .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
}

pub(crate) fn set_bit(bitmap: &mut [u8], bit: usize) {
    if let Some(byte) = bitmap.get_mut(bit / 8) {
        *byte |= 1 << (bit % 8);
    }
}

pub(crate) fn clear_bit(bitmap: &mut [u8], bit: usize) {
    if let Some(byte) = bitmap.get_mut(bit / 8) {
        *byte &= !(1 << (bit % 8));
    }
}

/// The first run of at least `want` clear bits in `start..limit`, extended to at most `max`.
fn find_run(
    bitmap: &[u8],
    start: usize,
    limit: usize,
    want: usize,
    max: usize,
) -> Option<(usize, usize)> {
    let mut bit = start;
    let mut best: Option<(usize, usize)> = None;
    while bit < limit {
        if bit.is_multiple_of(8) && bitmap.get(bit / 8) == Some(&0xff) {
            bit += 8;
            continue;
        }
        if test_bit(bitmap, bit) {
            bit += 1;
            continue;
        }
        let run_start = bit;
        while bit < limit && bit - run_start < max && !test_bit(bitmap, bit) {
            bit += 1;
        }
        let len = bit - run_start;
        if len >= want {
            return Some((run_start, len));
        }
        if best.is_none_or(|(_, best_len)| len > best_len) {
            best = Some((run_start, len));
        }
    }
    if want <= 1 { best } else { None }
}
