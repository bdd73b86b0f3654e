//! tmpfs regular files (Linux's `shmem_file_read_iter`, `shmem_write_begin`/`end`, `shmem_fault`,
//! `shmem_setattr` for truncation): the data lives in the inode's [`PageCache`], which is all
//! there is of it (no backing store), so `read`, `write`, `mmap` and exec share the same frames.
//!
//! Pages exist only where data was written or a mapping touched: holes read as zeros and cost
//! nothing (`read` does not allocate, as `SGP_READ`; a fault on a hole allocates a zeroed page,
//! as `shmem_fault`). Each new page is reserved against the instance's `size=` limit first; a
//! write that runs out stops short, or fails with `ENOSPC` (`ENOMEM` when no frame is left)
//! when nothing was written. Files end at `MAX_LFS_FILESIZE` (`EFBIG`).
//!
//! Reads and writes hand frames to the caller's copy function ([`PageSlice`] for reads, a frame
//! and a range for writes) with no lock of the cache held, so the kernel copies between user
//! memory and the page directly, with no bounce buffer, and a fault in that copy may map pages
//! of this same file. Writes hold the inode's lock (a sleeping lock, Linux's `i_rwsem`) across
//! the copies, which orders them against truncation.

use abi::Errno;

use super::inode::TmpfsInode;
use super::seals::{F_SEAL_GROW, F_SEAL_SHRINK, WRITE_SEALS};
use super::{MAX_FILE_SIZE, PAGE_SIZE};
use crate::inode::{PageFill, PageSlice};
use crate::page::{Frame, UniqueFrame};
use crate::page_cache::PageCache;

impl TmpfsInode {
    pub(super) fn cache(&self) -> Result<&PageCache, Errno> {
        self.cache.as_ref().ok_or(Errno::EINVAL)
    }

    /// Hands the file's bytes at `[offset, offset + len)` (clipped at the size) to `sink`, one
    /// page piece at a time; returns the bytes handed over. A `sink` error ends the read: the
    /// count so far is returned, or the error if nothing was read.
    pub(super) fn read_file_pages(
        &self,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(PageSlice<'_>) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let cache = self.cache()?;
        let size = cache.size();
        if offset >= size || len == 0 {
            return Ok(0);
        }
        let len = core::cmp::min(len as u64, size - offset) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let n = core::cmp::min(PAGE_SIZE - in_page, len - done);
            let piece = cache.find(index);
            let result = match &piece {
                Some(frame) => sink(PageSlice::Frame {
                    frame,
                    offset: in_page,
                    len: n,
                }),
                None => sink(PageSlice::Zeros(n)),
            };
            if let Err(error) = result {
                return if done == 0 { Err(error) } else { Ok(done) };
            }
            done += n;
        }
        Ok(done)
    }

    /// A new zeroed page for `cache`, reserved against the instance's limit.
    fn new_page(&self) -> Result<UniqueFrame, Errno> {
        self.fs.reserve_pages(1)?;
        UniqueFrame::try_new_zeroed().inspect_err(|_| self.fs.release_pages(1))
    }

    /// Page `index` of the file, allocated (zeroed) if it is a hole.
    pub(super) fn file_page(&self, index: u64) -> Result<Frame, Errno> {
        let cache = self.cache()?;
        let (frame, _) =
            cache.find_or_create(index, || self.new_page(), || self.fs.release_pages(1))?;
        Ok(frame)
    }

    /// Writes `len` bytes at `offset`, extending the file: `fill(frame, offset_in_page, n, done)`
    /// copies the next `n` bytes of the caller's data into the page. Returns the bytes written;
    /// a short count when space, memory or the caller's data runs out part way.
    pub(super) fn write_file_pages(
        &self,
        offset: u64,
        len: usize,
        fill: &mut PageFill<'_>,
    ) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let len = core::cmp::min(len as u64, MAX_FILE_SIZE - offset) as usize;
        let cache = self.cache()?;
        let now = self.now();
        let mut st = self.state.write();
        let seals = self.file_seals();
        if seals & WRITE_SEALS != 0 {
            return Err(Errno::EPERM);
        }
        let mut done = 0;
        let mut error = None;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let n = core::cmp::min(PAGE_SIZE - in_page, len - done);
            // A sealed size: the write stops where the file ends (`shmem_write_begin`).
            if seals & F_SEAL_GROW != 0 && pos + n as u64 > cache.size() {
                error = Some(Errno::EPERM);
                break;
            }
            let result = self
                .file_page(index)
                .and_then(|frame| fill(&frame, in_page, n, done));
            if let Err(e) = result {
                error = Some(e);
                break;
            }
            done += n;
        }
        if done == 0 {
            return Err(error.unwrap_or(Errno::ENOSPC));
        }
        let end = offset + done as u64;
        if end > cache.size() {
            cache.set_size(end);
        }
        st.touch_mc(now);
        Ok(done)
    }

    /// Frees `[start, end)` of the file (`shmem_fallocate` with `FALLOC_FL_PUNCH_HOLE`): whole
    /// pages leave the cache and every mapping, the edges of partial pages are zeroed in place.
    pub(super) fn punch_file(&self, start: u64, end: u64) -> Result<(), Errno> {
        let cache = self.cache()?;
        let end = end.min(cache.size().max(start));
        if start >= end {
            return Ok(());
        }
        let _guard = self.state.write();
        if self.file_seals() & WRITE_SEALS != 0 {
            return Err(Errno::EPERM);
        }
        let page = PAGE_SIZE as u64;
        let first_whole = start.div_ceil(page);
        let end_whole = end / page;
        let zero_within = |from: u64, to: u64| {
            if from < to
                && let Some(frame) = cache.find(from / page)
            {
                frame.zero((from % page) as usize, (to - from) as usize);
            }
        };
        if first_whole > end_whole {
            // Inside one page.
            zero_within(start, end);
        } else {
            zero_within(start, first_whole * page);
            zero_within(end_whole * page, end);
            let removed = cache.remove_range(first_whole, end_whole);
            self.fs.release_pages(removed);
        }
        Ok(())
    }

    pub(super) fn truncate_file(&self, len: u64) -> Result<(), Errno> {
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let cache = self.cache()?;
        let now = self.now();
        let mut st = self.state.write();
        let size = cache.size();
        if len == size {
            return Ok(());
        }
        let seals = self.file_seals();
        if (len < size && seals & F_SEAL_SHRINK != 0) || (len > size && seals & F_SEAL_GROW != 0) {
            return Err(Errno::EPERM);
        }
        cache.set_size(len);
        if len < size {
            let first_gone = len.div_ceil(PAGE_SIZE as u64);
            cache.truncate_pages(first_gone, &mut |n| self.fs.release_pages(n));
            let in_page = (len % PAGE_SIZE as u64) as usize;
            if in_page != 0
                && let Some(page) = cache.find(len / PAGE_SIZE as u64)
            {
                page.zero(in_page, PAGE_SIZE - in_page);
            }
        }
        st.touch_mc(now);
        Ok(())
    }
}
