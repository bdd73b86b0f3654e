//! A disk's page cache: reads with read-ahead, buffered writes, write-back and flushing
//! (Linux's `block/fops.c` over `mm/filemap.c` and `fs/buffer.c` for a block device).
//!
//! Offsets here are bytes from the start of the disk; the device file translates a partition's
//! offsets. Page `n` holds sectors `8n..8n+8`; the last page of a disk whose size is not a
//! multiple of 4 KiB is read and written only up to the end of the disk (the rest of its frame
//! stays zero).

use super::{Completion, Disk, Op, Request, Segment};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::dma::DmaStream;
use hal::mm::frame::{Frame, UniqueFrame};
use hal::mm::meta::PageFlag;

const PAGE_SIZE: u64 = 4096;
/// Pages read ahead of a read (`read_ahead_kb` = 128).
const READ_AHEAD_PAGES: u64 = 32;
/// Dirty pages past which a write writes back before returning (Linux throttles writers in
/// `balance_dirty_pages`; 16 MiB here).
const DIRTY_LIMIT_PAGES: usize = 4096;

impl Disk {
    /// Pages the disk spans.
    fn page_count(&self) -> u64 {
        self.size_bytes().div_ceil(PAGE_SIZE)
    }

    /// Bytes of page `index` that lie on the disk.
    fn page_len(&self, index: u64) -> u32 {
        (self.size_bytes() - index * PAGE_SIZE).min(PAGE_SIZE) as u32
    }

    /// Most pages one request carries.
    fn max_pages(&self) -> usize {
        self.driver.max_segments().clamp(1, 256)
    }

    /// Cache pages past which the whole cache is dropped: a quarter of RAM.
    fn cache_limit_pages(&self) -> u64 {
        (hal::mm::frame::stats().0 as u64 / 4).max(64)
    }

    /// Reads pages `first..first + count` that are not cached, several requests in flight, and
    /// inserts them.
    fn fill(&self, first: u64, count: u64) -> Result<(), Errno> {
        let end = first.saturating_add(count).min(self.page_count());
        let mut in_flight: Vec<(u64, Arc<Completion>)> = Vec::new();
        let mut index = first;
        let mut result = Ok(());
        while index < end {
            if self.cache.find(index).is_some() {
                index += 1;
                continue;
            }
            // A run of missing pages, up to a request's worth.
            let run_start = index;
            let mut segments = Vec::new();
            while index < end
                && segments.len() < self.max_pages()
                && (index == run_start || self.cache.find(index).is_none())
            {
                if segments.try_reserve(1).is_err() {
                    result = Err(Errno::ENOMEM);
                    break;
                }
                let frame = match UniqueFrame::try_new_zeroed() {
                    Ok(frame) => frame,
                    Err(error) => {
                        result = Err(error);
                        break;
                    }
                };
                segments.push(Segment {
                    stream: DmaStream::from_device(frame),
                    offset: 0,
                    len: self.page_len(index),
                });
                index += 1;
            }
            if segments.is_empty() || in_flight.try_reserve(1).is_err() {
                break;
            }
            let completion = Completion::new();
            self.driver.submit(Request {
                op: Op::Read,
                sector: run_start * (PAGE_SIZE / 512),
                segments,
                completion: completion.clone(),
            });
            in_flight.push((run_start, completion));
            if result.is_err() {
                break;
            }
        }
        for (run_start, completion) in in_flight {
            match completion.wait() {
                Ok(segments) => {
                    for (page, segment) in (run_start..).zip(segments) {
                        let Some(frame) = segment.stream.into_unique() else {
                            continue;
                        };
                        // Someone else's copy of the page wins (theirs may hold a write).
                        if let Err(error) = self.cache.find_or_create(page, || Ok(frame), || {}) {
                            result = Err(error);
                        }
                    }
                }
                Err(error) => {
                    log::error!(
                        "I/O error, dev {}, sector {} op 0x0:(READ)",
                        self.name,
                        run_start * (PAGE_SIZE / 512)
                    );
                    result = Err(error);
                }
            }
        }
        result
    }

    /// The cached page `index`, read from the disk if missing (with `read_ahead` more).
    fn page(&self, index: u64, read_ahead: u64) -> Result<Frame, Errno> {
        if let Some(frame) = self.cache.find(index) {
            return Ok(frame);
        }
        // A failed read-ahead does not fail the page asked for.
        let filled = self.fill(index, 1 + read_ahead);
        match self.cache.find(index) {
            Some(frame) => Ok(frame),
            None => Err(filled.err().unwrap_or(Errno::EIO)),
        }
    }

    /// Copies disk bytes from `offset` into `buf`; short at the end of the disk.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let size = self.size_bytes();
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(size - offset) as usize;
        let _shared = self.eviction.read();
        let mut done = 0;
        while done < len {
            let position = offset + done as u64;
            let index = position / PAGE_SIZE;
            let in_page = (position % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - in_page).min(len - done);
            let remaining_pages = ((len - done) as u64).div_ceil(PAGE_SIZE);
            let frame = match self.page(index, remaining_pages.max(READ_AHEAD_PAGES)) {
                Ok(frame) => frame,
                Err(error) if done == 0 => return Err(error),
                Err(_) => break,
            };
            frame.read(in_page, &mut buf[done..done + chunk]);
            done += chunk;
        }
        drop(_shared);
        self.trim_cache();
        Ok(done)
    }

    /// Copies `data` into the disk's pages from `offset` and marks them dirty; short at the end
    /// of the disk. The caller has checked that the disk is writable.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let size = self.size_bytes();
        if offset >= size || data.is_empty() {
            return Ok(0);
        }
        let len = (data.len() as u64).min(size - offset) as usize;
        let mut shared = self.eviction.read();
        let mut done = 0;
        while done < len {
            let position = offset + done as u64;
            let index = position / PAGE_SIZE;
            let in_page = (position % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - in_page).min(len - done);
            let is_whole = in_page == 0 && chunk as u32 >= self.page_len(index);
            let frame = if is_whole {
                match self
                    .cache
                    .find_or_create(index, UniqueFrame::try_new_zeroed, || {})
                {
                    Ok((frame, _)) => frame,
                    Err(error) if done == 0 => return Err(error),
                    Err(_) => break,
                }
            } else {
                match self.page(index, 0) {
                    Ok(frame) => frame,
                    Err(error) if done == 0 => return Err(error),
                    Err(_) => break,
                }
            };
            frame.write(in_page, &data[done..done + chunk]);
            if !frame.set_flag(PageFlag::Dirty) {
                self.nr_dirty.fetch_add(1, Ordering::AcqRel);
            }
            done += chunk;
            if self.nr_dirty.load(Ordering::Acquire) > DIRTY_LIMIT_PAGES {
                // Too much dirty data: write it back (without the cache lock, which dropping
                // the cache would wait for), then go on.
                drop(shared);
                if let Err(error) = self.write_back() {
                    return if done == 0 { Err(error) } else { Ok(done) };
                }
                shared = self.eviction.read();
            }
        }
        drop(shared);
        Ok(done)
    }

    /// Sends `len` bytes at `offset` of the disk to or from new frames, a request per run of
    /// up to a request's worth of pages, all in flight together; `fill` puts the data into a
    /// write's frames, `take` gets it out of a read's. The device reads and writes whole
    /// 512-byte sectors: `offset` and `len` are multiples of 512.
    fn transfer_direct(
        &self,
        op: Op,
        offset: u64,
        len: usize,
        fill: &mut dyn FnMut(usize, &mut [u8]),
        take: &mut dyn FnMut(usize, &[u8]),
    ) -> Result<(), Errno> {
        let mut in_flight: Vec<(usize, Arc<Completion>)> = Vec::new();
        let mut done = 0;
        let mut result = Ok(());
        while done < len {
            let request_start = done;
            let mut segments = Vec::new();
            if segments.try_reserve(self.max_pages()).is_err() || in_flight.try_reserve(1).is_err()
            {
                result = Err(Errno::ENOMEM);
                break;
            }
            while done < len && segments.len() < self.max_pages() {
                let chunk = (len - done).min(PAGE_SIZE as usize);
                let mut frame = match UniqueFrame::try_new_zeroed() {
                    Ok(frame) => frame,
                    Err(error) => {
                        result = Err(error);
                        break;
                    }
                };
                let stream = if op == Op::Write {
                    fill(done, &mut frame.bytes_mut()[..chunk]);
                    DmaStream::to_device(frame.into_shared())
                } else {
                    DmaStream::from_device(frame)
                };
                segments.push(Segment {
                    stream,
                    offset: 0,
                    len: chunk as u32,
                });
                done += chunk;
            }
            if segments.is_empty() {
                break;
            }
            let completion = Completion::new();
            self.driver.submit(Request {
                op,
                sector: (offset + request_start as u64) / 512,
                segments,
                completion: completion.clone(),
            });
            in_flight.push((request_start, completion));
            if result.is_err() {
                break;
            }
        }
        for (start, completion) in in_flight {
            match completion.wait() {
                Ok(segments) => {
                    let mut at = start;
                    for segment in segments {
                        let len = segment.len as usize;
                        if let Some(frame) = segment.stream.into_unique() {
                            take(at, &frame.bytes()[..len]);
                        }
                        at += len;
                    }
                }
                Err(error) => {
                    log::error!(
                        "I/O error, dev {}, sector {} op {}",
                        self.name,
                        (offset + start as u64) / 512,
                        if op == Op::Write {
                            "0x1:(WRITE)"
                        } else {
                            "0x0:(READ)"
                        }
                    );
                    result = Err(error);
                }
            }
        }
        result
    }

    /// An `O_DIRECT` read of `buf.len()` bytes at `offset` (both multiples of the logical
    /// block size, within the disk): dirty cached pages are written back first
    /// (`kiocb_write_and_wait`), then the device is read past the cache.
    pub fn read_direct(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.write_back()?;
        let len = buf.len();
        self.transfer_direct(Op::Read, offset, len, &mut |_, _| {}, &mut |at, bytes| {
            buf[at..at + bytes.len()].copy_from_slice(bytes)
        })?;
        Ok(len)
    }

    /// An `O_DIRECT` write of `data` at `offset` (both multiples of the logical block size,
    /// within the disk): dirty cached pages are written back first, the data goes to the
    /// device past the cache, and the cached pages it covers are dropped after
    /// (`kiocb_invalidate_pages`).
    pub fn write_direct(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        self.write_back()?;
        let result = self.transfer_direct(
            Op::Write,
            offset,
            data.len(),
            &mut |at, frame| frame.copy_from_slice(&data[at..at + frame.len()]),
            &mut |_, _| {},
        );
        {
            let _exclusive = self.eviction.write();
            let first = offset / PAGE_SIZE;
            let end = (offset + data.len() as u64).div_ceil(PAGE_SIZE);
            // A page dirtied meanwhile holds newer data than the write: keep it.
            let mut clean = Vec::new();
            self.cache.for_each_cached(first, end, &mut |index, frame| {
                if !frame.has_flag(PageFlag::Dirty) && clean.try_reserve(1).is_ok() {
                    clean.push(index);
                }
                true
            });
            for index in clean {
                self.cache.remove_range(index, index + 1);
            }
        }
        result.map(|()| data.len())
    }

    /// Up to `limit` dirty pages from `start` on, with their frames, cleaning them.
    fn take_dirty(&self, start: u64, limit: usize) -> Result<Vec<(u64, Frame)>, Errno> {
        let mut found = Vec::new();
        found.try_reserve(limit).map_err(|_| Errno::ENOMEM)?;
        self.cache
            .for_each_cached(start, u64::MAX, &mut |index, frame| {
                if frame.has_flag(PageFlag::Dirty) {
                    found.push((index, frame.clone()));
                }
                found.len() < limit
            });
        for (_, frame) in &found {
            if frame.clear_flag(PageFlag::Dirty) {
                self.nr_dirty.fetch_sub(1, Ordering::AcqRel);
            }
        }
        Ok(found)
    }

    /// Writes every dirty page to the disk (merging neighbours into one request), a batch of
    /// requests in flight together.
    pub fn write_back(&self) -> Result<(), Errno> {
        let _serial = self.writeback.lock();
        let mut result = Ok(());
        let mut start = 0;
        loop {
            let batch = self.take_dirty(start, 1024)?;
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            start = last + 1;
            let mut in_flight: Vec<(Vec<u64>, Arc<Completion>)> = Vec::new();
            in_flight
                .try_reserve(batch.len())
                .map_err(|_| Errno::ENOMEM)?;
            let mut pages = batch.into_iter().peekable();
            while let Some((first, frame)) = pages.next() {
                let mut indices = Vec::new();
                let mut segments = Vec::new();
                let capacity = self.max_pages();
                if indices.try_reserve(capacity).is_err() || segments.try_reserve(capacity).is_err()
                {
                    self.redirty(&[(first, frame)]);
                    result = Err(Errno::ENOMEM);
                    continue;
                }
                let mut next = (first, frame);
                loop {
                    indices.push(next.0);
                    segments.push(Segment {
                        stream: DmaStream::to_device(next.1),
                        offset: 0,
                        len: self.page_len(next.0),
                    });
                    match pages.peek() {
                        Some((following, _))
                            if *following == next.0 + 1 && segments.len() < capacity =>
                        {
                            let Some(page) = pages.next() else { break };
                            next = page;
                        }
                        _ => break,
                    }
                }
                let completion = Completion::new();
                self.driver.submit(Request {
                    op: Op::Write,
                    sector: indices[0] * (PAGE_SIZE / 512),
                    segments,
                    completion: completion.clone(),
                });
                in_flight.push((indices, completion));
            }
            for (indices, completion) in in_flight {
                if let Err(error) = completion.wait() {
                    log::error!(
                        "I/O error, dev {}, sector {} op 0x1:(WRITE)",
                        self.name,
                        indices[0] * (PAGE_SIZE / 512)
                    );
                    let frames: Vec<(u64, Frame)> = indices
                        .iter()
                        .filter_map(|&index| Some((index, self.cache.find(index)?)))
                        .collect();
                    self.redirty(&frames);
                    result = Err(error);
                }
            }
        }
        result
    }

    /// Marks pages dirty again after a failed write-back (Linux keeps the error for fsync;
    /// the pages stay for a later try).
    fn redirty(&self, pages: &[(u64, Frame)]) {
        for (_, frame) in pages {
            if !frame.set_flag(PageFlag::Dirty) {
                self.nr_dirty.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Writes back, then empties the device's write cache (`blkdev_fsync`: `sync_blockdev` and
    /// `blkdev_issue_flush`).
    pub fn sync(&self) -> Result<(), Errno> {
        self.write_back()?;
        if !self.has_flush {
            return Ok(());
        }
        let completion = Completion::new();
        self.driver.submit(Request {
            op: Op::Flush,
            sector: 0,
            segments: Vec::new(),
            completion: completion.clone(),
        });
        completion.wait().map(drop)
    }

    /// Drops every cached page (after write-back): `BLKFLSBUF`'s `invalidate_bdev`.
    pub fn drop_cache(&self) {
        let _exclusive = self.eviction.write();
        if self.nr_dirty.load(Ordering::Acquire) != 0 {
            // Written meanwhile: keep the cache.
            return;
        }
        self.cache.remove_range(0, u64::MAX);
    }

    /// Keeps the cache under its limit (no reclaim yet: past it, clean data is dropped).
    fn trim_cache(&self) {
        if self.cache.nr_pages() > self.cache_limit_pages() && self.write_back().is_ok() {
            self.drop_cache();
        }
    }

    /// Counts an open of one of the disk's device files.
    pub fn opened(&self, is_partition: bool) {
        self.openers.fetch_add(1, Ordering::AcqRel);
        if is_partition {
            self.open_partitions.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Counts a close; the last one writes back (`blkdev_put` → `sync_blockdev`) and tells the
    /// driver (`fops->release`: a loop device's autoclear), unless the file goes where sleeping
    /// is not allowed (then the next sync or close writes back).
    pub fn closed(disk: &Arc<Disk>, is_partition: bool) {
        if is_partition {
            disk.open_partitions.fetch_sub(1, Ordering::AcqRel);
        }
        if disk.openers.fetch_sub(1, Ordering::AcqRel) == 1 && !hal::sync::in_atomic() {
            if let Err(error) = disk.write_back() {
                log::warn!("{}: write-back at close failed: {error:?}", disk.name);
            }
            disk.driver.released(disk);
        }
    }
}
