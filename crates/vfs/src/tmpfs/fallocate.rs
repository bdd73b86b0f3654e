//! `fallocate(2)` on tmpfs files (Linux 6.1 `shmem_fallocate`): mode 0 allocates the pages
//! of `[offset, offset + len)` and grows the size to cover them, `FALLOC_FL_KEEP_SIZE`
//! allocates without growing (pages past the end count in `st_blocks`), and
//! `FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE` zeroes the partial pages at the edges and drops
//! the whole pages in between (unmapping them from every process first). Any other mode is
//! `EOPNOTSUPP`. Allocation is reserved against the instance's `size=` limit: a range larger
//! than the whole limit is `ENOSPC` at once, and running out part way gives back the pages this
//! call added (pages that already held data stay) and fails with `ENOSPC` (`ENOMEM` when no
//! frame is left). The caller (the kernel's `vfs_fallocate`) checks the generic rules and
//! updates the times.
//!
//! Not done: the signal check between pages (`EINTR`), seals (`EPERM`), and keeping a racing
//! write into a page that a failed call is giving back (Linux gives back only pages not yet
//! written, `!uptodate`).

use alloc::vec::Vec;

use abi::Errno;

use super::PAGE_SIZE;
use super::inode::TmpfsInode;

/// `FALLOC_FL_KEEP_SIZE`.
pub const FALLOC_FL_KEEP_SIZE: u32 = linux_raw_sys::general::FALLOC_FL_KEEP_SIZE;
/// `FALLOC_FL_PUNCH_HOLE`.
pub const FALLOC_FL_PUNCH_HOLE: u32 = linux_raw_sys::general::FALLOC_FL_PUNCH_HOLE;

const PAGE: u64 = PAGE_SIZE as u64;

impl TmpfsInode {
    /// `shmem_fallocate` for `[offset, offset + len)`; the caller checked `len > 0` and that
    /// `offset + len` is within the maximum file size.
    pub(super) fn fallocate_file(&self, mode: u32, offset: u64, len: u64) -> Result<(), Errno> {
        if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let cache = self.cache()?;
        let end = offset.checked_add(len).ok_or(Errno::EFBIG)?;
        // Linux's inode_lock: writes and truncation wait.
        let _state = self.state.write();
        if mode & FALLOC_FL_PUNCH_HOLE != 0 {
            self.punch_hole(offset, end);
            return Ok(());
        }
        let first = offset / PAGE;
        let last = end.div_ceil(PAGE);
        if last - first > self.fs.max_pages() {
            return Err(Errno::ENOSPC);
        }
        let mut added: Vec<u64> = Vec::new();
        for index in first..last {
            let result = added
                .try_reserve(1)
                .map_err(|_| Errno::ENOMEM)
                .and_then(|()| {
                    cache.find_or_create(index, || self.new_page(), || self.fs.release_pages(1))
                });
            match result {
                Ok((_, is_new)) => {
                    if is_new {
                        added.push(index);
                    }
                }
                Err(error) => {
                    self.give_back(&added);
                    return Err(error);
                }
            }
        }
        if mode & FALLOC_FL_KEEP_SIZE == 0 && end > cache.size() {
            cache.set_size(end);
        }
        Ok(())
    }

    /// Drops the pages listed in `pages` (ascending), run by run.
    fn give_back(&self, pages: &[u64]) {
        let Ok(cache) = self.cache() else {
            return;
        };
        let mut rest = pages;
        while let Some(&start) = rest.first() {
            let run = rest
                .iter()
                .enumerate()
                .take_while(|&(i, &index)| index == start + i as u64)
                .count();
            let removed = cache.remove_range(start, start + run as u64);
            self.fs.release_pages(removed);
            rest = &rest[run..];
        }
    }

    /// `shmem_truncate_range(offset, end - 1)`: zeroes the bytes of partial pages, drops whole
    /// pages.
    fn punch_hole(&self, offset: u64, end: u64) {
        let Ok(cache) = self.cache() else {
            return;
        };
        let first_whole = offset.div_ceil(PAGE);
        let end_whole = end / PAGE;
        if first_whole < end_whole {
            let removed = cache.remove_range(first_whole, end_whole);
            self.fs.release_pages(removed);
        }
        let head = offset / PAGE;
        if !offset.is_multiple_of(PAGE)
            && let Some(page) = cache.find(head)
        {
            let from = (offset % PAGE) as usize;
            let to = if end / PAGE == head {
                (end % PAGE) as usize
            } else {
                PAGE_SIZE
            };
            page.zero(from, to - from);
        }
        let tail = end / PAGE;
        if !end.is_multiple_of(PAGE)
            && tail != head
            && let Some(page) = cache.find(tail)
        {
            page.zero(0, (end % PAGE) as usize);
        }
    }
}
