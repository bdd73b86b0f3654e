//! The page cache of ext2/3/4 regular files (Linux's `address_space` with `ext4_aops`):
//! reads fill pages from the crate (holes and unwritten extents read as zeros) with
//! read-ahead; writes copy into pages and leave them dirty; shared mappings fault in the same
//! pages and tell the file system before they write (`page_mkwrite`); dirty pages go to the
//! disk at write-back (`writeback`), with their blocks allocated then.
//!
//! Delayed allocation as Linux's `ext4_da_write_begin`: a write (or a mapping's first write)
//! into a page with no disk block reserves the blocks the page needs against the free count
//! (minus the root reserve for unprivileged writers and a pool kept for the metadata that the
//! allocation will need, as `ext4_calculate_resv_clusters`), so `ENOSPC` is the write's or the
//! fault's (SIGBUS), never the write-back's. The page carries [`PageFlag::Delalloc`] until its
//! blocks are allocated or it is dropped; the file's `st_blocks` counts the reservation.
//!
//! Locks: the inode's `ext4.inode` mutex (`i_rwsem`) orders writes, truncation, fallocate and
//! write-back of one file; the fault path never takes it (it holds `mm`, and takes `ext4.fs`
//! only to read or reserve). A write's user copies run under `ext4.inode` and no other lock.

use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use vfs::inode::{PageFill, PageSlice};
use vfs::page::{Frame, PageFlag, UniqueFrame};
use vfs::page_cache::PageCache;

use super::{Ext4Fs, Ext4Inode, writeback};

/// Page size.
pub const PAGE: u64 = 4096;
/// Pages read ahead of a read's last page (`read_ahead_kb` = 128).
const READ_AHEAD_PAGES: u64 = 32;
/// Pages read around a fault.
const FAULT_AROUND_PAGES: u64 = 16;
/// Pages one write-back call carries at most (1 MiB).
const RUN_PAGES: usize = 256;
/// Pages reserved per call into the crate on a write.
const RESERVE_CHUNK: u64 = 64;

impl Ext4Inode {
    pub(super) fn cache(&self) -> Result<&PageCache, Errno> {
        self.cache.as_ref().ok_or(Errno::EINVAL)
    }

    /// Reads the missing pages of `index..index + count` (stopping at the first cached one
    /// after `index`, and at the end of the file) in one call into the crate.
    fn fill_pages(&self, fs: &Ext4Fs, index: u64, count: u64) -> Result<(), Errno> {
        let cache = self.cache()?;
        let end = index
            .saturating_add(count)
            .min(cache.size().div_ceil(PAGE))
            .max(index + 1);
        let mut frames: Vec<(u64, UniqueFrame)> = Vec::new();
        frames
            .try_reserve((end - index) as usize)
            .map_err(|_| Errno::ENOMEM)?;
        for page in index..end {
            if cache.find(page).is_some() {
                if page == index {
                    continue;
                }
                break;
            }
            match UniqueFrame::try_new_zeroed() {
                Ok(frame) => frames.push((page, frame)),
                Err(error) if frames.is_empty() => return Err(error),
                Err(_) => break,
            }
        }
        if frames.is_empty() {
            return Ok(());
        }
        writeback::balance_memory();
        let ino = self.ino;
        fs.with(|ext4| {
            for (page, frame) in frames.iter_mut() {
                ext4.read(ino, *page * PAGE, frame.bytes_mut())?;
            }
            Ok(())
        })?;
        for (page, frame) in frames {
            // Someone else's copy wins (it may hold a write).
            cache.find_or_create(page, move || Ok(frame), || {})?;
        }
        Ok(())
    }

    /// Page `index`, read with `read_ahead` more if missing.
    fn page(&self, fs: &Ext4Fs, index: u64, read_ahead: u64) -> Result<Frame, Errno> {
        let cache = self.cache()?;
        if let Some(frame) = cache.find(index) {
            return Ok(frame);
        }
        self.fill_pages(fs, index, 1 + read_ahead)?;
        cache.find(index).ok_or(Errno::EIO)
    }

    /// Hands the file's bytes at `[offset, offset + len)` to `sink` page piece by page piece.
    pub(super) fn read_file_pages(
        &self,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(PageSlice<'_>) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let fs = self.fs()?;
        let cache = self.cache()?;
        let size = cache.size();
        if offset >= size || len == 0 {
            return Ok(0);
        }
        let len = (len as u64).min(size - offset) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE;
            let in_page = (pos % PAGE) as usize;
            let n = (PAGE as usize - in_page).min(len - done);
            let remaining = ((len - done) as u64).div_ceil(PAGE);
            let frame = match self.page(&fs, index, remaining.max(READ_AHEAD_PAGES)) {
                Ok(frame) => frame,
                Err(error) if done == 0 => return Err(error),
                Err(_) => break,
            };
            if let Err(error) = sink(PageSlice::Frame {
                frame: &frame,
                offset: in_page,
                len: n,
            }) {
                return if done == 0 { Err(error) } else { Ok(done) };
            }
            done += n;
        }
        Ok(done)
    }

    /// Marks `frame` dirty (counting it once), with a reservation (`reserved`) for its blocks.
    fn dirty_page(&self, fs: &Ext4Fs, frame: &Frame, reserved: bool) {
        if reserved {
            if frame.set_flag(PageFlag::Delalloc) {
                fs.unreserve(fs.blocks_per_page);
            } else {
                self.delalloc_pages.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !frame.set_flag(PageFlag::Dirty) {
            self.nr_dirty.fetch_add(1, Ordering::AcqRel);
            writeback::page_dirtied();
        }
    }

    /// Writes `len` bytes at `offset` into the cache, extending the file; returns the bytes
    /// written (short when space, memory or the caller's data runs out part way).
    pub(super) fn write_file_pages(
        &self,
        offset: u64,
        len: usize,
        fill: &mut PageFill<'_>,
    ) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        let fs = self.fs()?;
        let cache = self.cache()?;
        let ino = self.ino;
        let limit = fs.with(|ext4| ext4.max_size(ino))?;
        if offset >= limit {
            return Err(Errno::EFBIG);
        }
        let len = (len as u64).min(limit - offset) as usize;
        let now = super::now();
        let io = self.io.lock();
        let mut done = 0usize;
        let mut error = None;
        'chunks: while done < len {
            let first = (offset + done as u64) / PAGE;
            let last = (offset + len as u64 - 1) / PAGE;
            let mut count = (last - first + 1).min(RESERVE_CHUNK);
            // Near a full disk, page by page: the write goes as far as the space does.
            let reserved = fs.reserve_or_reap(self, first, count).or_else(|error| {
                if error != Errno::ENOSPC || count == 1 {
                    return Err(error);
                }
                count = 1;
                fs.reserve_for(self, first, 1)
            });
            let mask = match reserved {
                Ok(mask) => mask,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            };
            for i in 0..count {
                let reserved = mask & (1 << i) != 0;
                let pos = offset + done as u64;
                let index = pos / PAGE;
                let in_page = (pos % PAGE) as usize;
                let n = (PAGE as usize - in_page).min(len - done);
                // A page wholly overwritten, or wholly past the end of the file, needs no read.
                let fresh = (in_page == 0 && n == PAGE as usize) || index * PAGE >= cache.size();
                let frame = if fresh {
                    cache
                        .find_or_create(index, UniqueFrame::try_new_zeroed, || {})
                        .map(|(frame, _)| frame)
                } else {
                    self.page(&fs, index, 0)
                };
                let result = frame.and_then(|frame| {
                    fill(&frame, in_page, n, done)?;
                    Ok(frame)
                });
                match result {
                    Ok(frame) => {
                        self.dirty_page(&fs, &frame, reserved);
                        done += n;
                        if pos + n as u64 > cache.size() {
                            cache.set_size(pos + n as u64);
                        }
                    }
                    Err(e) => {
                        // Give back the reservations of this page and the ones not reached.
                        let unused = (i..count).filter(|j| mask & (1 << j) != 0).count() as u64;
                        fs.unreserve(unused * fs.blocks_per_page);
                        error = Some(e);
                        break 'chunks;
                    }
                }
                if done == len {
                    break;
                }
            }
        }
        if done > 0 {
            *self.pending_time.lock() = Some(now);
            fs.mark_dirty(self);
        }
        drop(io);
        if done == 0 {
            return Err(error.unwrap_or(Errno::ENOSPC));
        }
        // A heavy writer writes its own file back (balance_dirty_pages).
        if writeback::over_dirty_limit()
            && let Err(error) = fs.write_back_inode(self)
        {
            log::warn!("EXT4-fs: write-back under the dirty limit: {error:?}");
        }
        Ok(done)
    }

    /// Page `index` for a fault on a mapping (the caller checked it against the size).
    pub(super) fn fault_file_page(&self, index: u64) -> Result<Frame, Errno> {
        let fs = self.fs()?;
        self.page(&fs, index, FAULT_AROUND_PAGES)
    }

    /// A shared mapping writes page `index`: reserve its blocks if it has none, mark it dirty.
    pub(super) fn mkwrite_page(&self, index: u64) -> Result<(), Errno> {
        let fs = self.fs()?;
        let frame = self.page(&fs, index, 0)?;
        let reserved = if frame.has_flag(PageFlag::Delalloc) {
            false
        } else {
            fs.reserve_or_reap(self, index, 1)? & 1 != 0
        };
        self.dirty_page(&fs, &frame, reserved);
        *self.pending_time.lock() = Some(super::now());
        fs.mark_dirty(self);
        Ok(())
    }

    /// Drops every page at or past `first_page`, giving back their dirty counts and
    /// reservations (truncation).
    fn drop_pages_from(&self, fs: &Ext4Fs, first_page: u64) {
        let Some(cache) = self.cache.as_ref() else {
            return;
        };
        let mut unreserve = 0;
        cache.for_each_cached(first_page, u64::MAX, &mut |_, frame| {
            if frame.clear_flag(PageFlag::Dirty) {
                self.nr_dirty.fetch_sub(1, Ordering::AcqRel);
                writeback::page_cleaned();
            }
            if frame.clear_flag(PageFlag::Delalloc) {
                self.delalloc_pages.fetch_sub(1, Ordering::Relaxed);
                unreserve += fs.blocks_per_page;
            }
            true
        });
        fs.unreserve(unreserve);
        cache.truncate_pages(first_page, &mut |_| {});
    }

    /// Sets the size (ftruncate, O_TRUNC): pages past it leave the cache and every mapping
    /// (a later touch raises SIGBUS), the tail of the last page is zeroed, and the crate frees
    /// the blocks.
    pub(super) fn truncate_file(&self, len: u64) -> Result<(), Errno> {
        let fs = self.fs()?;
        let cache = self.cache()?;
        let ino = self.ino;
        let _io = self.io.lock();
        let limit = fs.with(|ext4| ext4.max_size(ino))?;
        if len > limit {
            return Err(Errno::EFBIG);
        }
        let old = cache.size();
        if len < old {
            cache.set_size(len);
            self.drop_pages_from(&fs, len.div_ceil(PAGE));
            let in_page = (len % PAGE) as usize;
            if in_page != 0
                && let Some(frame) = cache.find(len / PAGE)
            {
                frame.zero(in_page, PAGE as usize - in_page);
            }
        }
        // The truncation's times are newer than any write's still pending.
        self.pending_time.lock().take();
        fs.with(|ext4| ext4.truncate(ino, len))?;
        if len > old {
            cache.set_size(len);
        }
        Ok(())
    }

    /// fallocate: the file's dirty pages are written first, the crate changes the blocks, and
    /// the pages of a punched or zeroed range are dropped (to be read again as zeros).
    pub(super) fn fallocate_file(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        let fs = self.fs()?;
        let cache = self.cache()?;
        let ino = self.ino;
        let _io = self.io.lock();
        fs.write_back_locked(self)?;
        fs.with(|ext4| ext4.fallocate(ino, mode, offset, len))?;
        if mode & (::ext4::FALLOC_FL_PUNCH_HOLE | ::ext4::FALLOC_FL_ZERO_RANGE) != 0 {
            let first = offset / PAGE;
            let end = offset.saturating_add(len).div_ceil(PAGE);
            cache.remove_range(first, end);
        }
        let disk_size = fs.with(|ext4| ext4.stat(ino))?.size;
        if disk_size > cache.size() {
            cache.set_size(disk_size);
        }
        Ok(())
    }

    /// Whether the file has data or times not yet written.
    pub(super) fn is_dirty(&self) -> bool {
        self.nr_dirty.load(Ordering::Acquire) != 0 || self.pending_time.lock().is_some()
    }
}

impl Ext4Fs {
    /// Reserves blocks for the pages of `first..first + count` (at most 64) of `inode` that
    /// have no disk block and no reservation yet; returns the set of pages reserved for, as
    /// bits. `ENOSPC` when the free blocks, less what is reserved already, do not cover it.
    pub(super) fn reserve_for(
        &self,
        inode: &Ext4Inode,
        first: u64,
        count: u64,
    ) -> Result<u64, Errno> {
        let cache = inode.cache()?;
        let bpp = self.blocks_per_page;
        let block_size = u64::from(self.block_size);
        let privileged = {
            let thread = crate::process::current();
            let credentials = thread.process.credentials.lock();
            credentials.has_capability(abi::capability::CAP_SYS_RESOURCE)
        };
        let ino = inode.ino;
        let count = count.min(64);
        self.with(|ext4| {
            let mut mask = 0u64;
            let mut need = 0;
            for i in 0..count {
                let index = first + i;
                if cache
                    .find(index)
                    .is_some_and(|frame| frame.has_flag(PageFlag::Delalloc))
                {
                    continue;
                }
                let lblk = index * PAGE / block_size;
                if ext4.unmapped_blocks(ino, lblk, bpp)? > 0 {
                    mask |= 1 << i;
                    need += bpp;
                }
            }
            if need > 0 {
                let st = ext4.statfs();
                let root_reserve = st.free_blocks - st.available_blocks;
                let floor = self.metadata_reserve + if privileged { 0 } else { root_reserve };
                let reserved = self.reserved.load(Ordering::Acquire);
                if st.free_blocks < floor.saturating_add(reserved).saturating_add(need) {
                    return Err(::ext4::Error::NoSpace);
                }
                self.reserved.fetch_add(need, Ordering::AcqRel);
            }
            Ok(mask)
        })
    }

    /// [`Ext4Fs::reserve_for`], and once more after the unlinked files that only the dirty
    /// list still held were let go (their blocks are freed: Linux's `ext4_should_retry_alloc`).
    pub(super) fn reserve_or_reap(
        &self,
        inode: &Ext4Inode,
        first: u64,
        count: u64,
    ) -> Result<u64, Errno> {
        match self.reserve_for(inode, first, count) {
            Err(Errno::ENOSPC) if self.reap_unlinked() > 0 => self.reserve_for(inode, first, count),
            result => result,
        }
    }

    /// Lets go of the dirty files that nobody but the dirty list holds and that have no names
    /// left: their data is never written (Linux truncates an unlinked inode's pages at its last
    /// `iput`), and the next call into the crate frees them. Returns how many went.
    pub(super) fn reap_unlinked(&self) -> usize {
        let list = core::mem::take(&mut *self.dirty.lock());
        let mut reaped = 0;
        let mut kept = Vec::new();
        let _ = kept.try_reserve(list.len());
        for inode in list {
            let ino = inode.ino;
            if alloc::sync::Arc::strong_count(&inode) == 1
                && self
                    .with(|ext4| ext4.stat(ino))
                    .is_ok_and(|st| st.nlink == 0)
            {
                inode.on_dirty_list.store(false, Ordering::Release);
                reaped += 1;
                continue;
            }
            if kept.try_reserve(1).is_ok() {
                kept.push(inode);
            } else {
                inode.on_dirty_list.store(false, Ordering::Release);
                self.mark_dirty(&inode);
            }
        }
        let mut dirty = self.dirty.lock();
        if dirty.try_reserve(kept.len()).is_ok() {
            dirty.extend(kept);
        } else {
            drop(dirty);
            for inode in kept {
                inode.on_dirty_list.store(false, Ordering::Release);
                self.mark_dirty(&inode);
            }
        }
        reaped
    }

    /// Gives back `blocks` of reservation.
    pub(super) fn unreserve(&self, blocks: u64) {
        if blocks != 0 {
            let _ = self
                .reserved
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    Some(n.saturating_sub(blocks))
                });
        }
    }

    /// Puts `inode` on the list of dirty inodes (kept alive until written back) and notes when
    /// it became dirty.
    pub(super) fn mark_dirty(&self, inode: &Ext4Inode) {
        let _ = inode.dirtied_at.compare_exchange(
            0,
            crate::time::monotonic_ns().max(1),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if inode.on_dirty_list.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some(strong) = inode.me.upgrade() else {
            inode.on_dirty_list.store(false, Ordering::Release);
            return;
        };
        let mut dirty = self.dirty.lock();
        if dirty.try_reserve(1).is_ok() {
            dirty.push(strong);
        } else {
            // No memory for the list: the next write tries again, sync finds it by number.
            inode.on_dirty_list.store(false, Ordering::Release);
        }
    }

    /// Writes back one file's dirty pages and times.
    pub(super) fn write_back_inode(&self, inode: &Ext4Inode) -> Result<(), Errno> {
        let _io = inode.io.lock();
        self.write_back_locked(inode)
    }

    /// [`Ext4Fs::write_back_inode`] with the inode's lock held: runs of dirty pages are made
    /// clean, write-protected in every mapping, copied and handed to the crate, which
    /// allocates their blocks and writes data before the metadata that points at it. A failed
    /// write is recorded for the next fsync and the pages are given up (Linux's
    /// `mapping_set_error` after `end_page_writeback`).
    pub(super) fn write_back_locked(&self, inode: &Ext4Inode) -> Result<(), Errno> {
        let ino = inode.ino;
        let mut times = inode.pending_time.lock().take();
        let mut result = Ok(());
        if let Some(cache) = inode.cache.as_ref() {
            let mut start = 0;
            loop {
                let mut batch: Vec<(u64, Frame)> = Vec::new();
                batch.try_reserve(RUN_PAGES).map_err(|_| Errno::ENOMEM)?;
                cache.for_each_cached(start, u64::MAX, &mut |index, frame| {
                    if !frame.has_flag(PageFlag::Dirty) {
                        return batch.is_empty();
                    }
                    if batch.last().is_some_and(|&(last, _)| last + 1 != index) {
                        return false;
                    }
                    batch.push((index, frame.clone()));
                    batch.len() < RUN_PAGES
                });
                let Some(&(first, _)) = batch.first() else {
                    break;
                };
                let end = first + batch.len() as u64;
                start = end;
                for (_, frame) in &batch {
                    if frame.clear_flag(PageFlag::Dirty) {
                        inode.nr_dirty.fetch_sub(1, Ordering::AcqRel);
                        writeback::page_cleaned();
                    }
                }
                // Later writes through a mapping fault and dirty the page again.
                cache.write_protect(first, end);
                let size = cache.size();
                let begin = first * PAGE;
                let len = (end * PAGE).min(size).saturating_sub(begin) as usize;
                let mut written = Ok(());
                if len > 0 {
                    let mut buf = Vec::new();
                    if buf.try_reserve_exact(len).is_err() {
                        // Keep the pages for a later try.
                        for (_, frame) in &batch {
                            self.redirty(inode, frame);
                        }
                        result = Err(Errno::ENOMEM);
                        break;
                    }
                    buf.resize(len, 0);
                    for (i, (_, frame)) in batch.iter().enumerate() {
                        let at = i * PAGE as usize;
                        if at >= len {
                            break;
                        }
                        let n = (len - at).min(PAGE as usize);
                        frame.read(0, &mut buf[at..at + n]);
                    }
                    written = self.with(|ext4| ext4.write_back(ino, begin, &buf, times));
                }
                let mut unreserve = 0;
                for (_, frame) in &batch {
                    if frame.clear_flag(PageFlag::Delalloc) {
                        inode.delalloc_pages.fetch_sub(1, Ordering::Relaxed);
                        unreserve += self.blocks_per_page;
                    }
                }
                self.unreserve(unreserve);
                match written {
                    Ok(()) => times = None,
                    Err(error) => {
                        log::error!(
                            "EXT4-fs: failed to write back inode {ino} at page {first}: {error:?}"
                        );
                        inode.wb_error.store(error.0, Ordering::Release);
                        result = Err(error);
                    }
                }
            }
        }
        if let Some(time) = times {
            let change = ::ext4::SetAttr {
                mtime: Some(time),
                ctime: Some(time),
                ..Default::default()
            };
            if let Err(error) = self.with(|ext4| ext4.set_attr(ino, change)) {
                result = Err(error);
            }
        }
        if !inode.is_dirty() {
            inode.dirtied_at.store(0, Ordering::Release);
        }
        result
    }

    fn redirty(&self, inode: &Ext4Inode, frame: &Frame) {
        if !frame.set_flag(PageFlag::Dirty) {
            inode.nr_dirty.fetch_add(1, Ordering::AcqRel);
            writeback::page_dirtied();
        }
    }

    /// Writes back every inode dirtied at or before `older_than` (monotonic ns; `u64::MAX`
    /// for all).
    pub(super) fn write_back_all(&self, older_than: u64) -> Result<(), Errno> {
        self.reap_unlinked();
        let list = core::mem::take(&mut *self.dirty.lock());
        let mut result = Ok(());
        for inode in list {
            let at = inode.dirtied_at.load(Ordering::Acquire);
            if at != 0
                && at <= older_than
                && let Err(error) = self.write_back_inode(&inode)
            {
                result = Err(error);
            }
            inode.on_dirty_list.store(false, Ordering::Release);
            if inode.is_dirty() {
                self.mark_dirty(&inode);
            }
        }
        result
    }

    /// `syncfs`: every dirty inode written back, then the crate's commit and the disk's flush.
    pub fn write_back_and_commit(&self) -> Result<(), Errno> {
        let written = self.write_back_all(u64::MAX);
        self.with(|ext4| ext4.sync())?;
        written
    }

    /// Drops the clean pages that nothing maps or holds, from every file; returns how many.
    pub(super) fn drop_clean_pages(&self) -> u64 {
        let inodes: Vec<alloc::sync::Arc<Ext4Inode>> = {
            let map = self.inodes.lock();
            let mut list = Vec::new();
            if list.try_reserve(map.len()).is_err() {
                return 0;
            }
            list.extend(map.values().filter_map(alloc::sync::Weak::upgrade));
            list
        };
        let mut dropped = 0;
        for inode in inodes {
            if let Some(cache) = inode.cache.as_ref() {
                dropped += cache.evict_unused(&|frame| {
                    !frame.has_flag(PageFlag::Dirty) && !frame.has_flag(PageFlag::Delalloc)
                });
            }
        }
        dropped
    }
}
