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
//! Seals: `F_SEAL_GROW` refuses growth past the end and the write seals refuse punching
//! (`EPERM`).
//!
//! Not done: the signal check between pages (`EINTR`), and keeping a racing
//! write into a page that a failed call is giving back (Linux gives back only pages not yet
//! written, `!uptodate`).

use alloc::vec::Vec;

use abi::Errno;

use super::PAGE_SIZE;
use super::inode::TmpfsInode;
use super::seals::F_SEAL_GROW;

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
        if mode & FALLOC_FL_PUNCH_HOLE != 0 {
            // EPERM under a write seal.
            return self.punch_file(offset, end);
        }
        // Linux's inode_lock: writes and truncation wait.
        let _state = self.state.write();
        if self.file_seals() & F_SEAL_GROW != 0 && end > cache.size() {
            return Err(Errno::EPERM);
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
}
