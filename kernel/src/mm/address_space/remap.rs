//! `mremap` on an address space (Linux's `mm/mremap.c`): shrink in place, grow in place when
//! the addresses after the mapping are free, or move the mapping (its page-table entries, not
//! its contents) to a new or a fixed address, optionally leaving the old range mapped and empty
//! (`MREMAP_DONTUNMAP`).
//!
//! The syscall layer checks the flag combinations and alignment; this module applies Linux's
//! rules about the mapping itself: the old range must lie in one VMA (`EFAULT` otherwise), an
//! `old_len` of 0 duplicates a shared mapping and is `EINVAL` for a private one, growth is
//! checked against `RLIMIT_AS`/`RLIMIT_DATA` and overcommit (`ENOMEM`), and without
//! `MREMAP_MAYMOVE` a mapping that cannot grow where it is stays and the call is `ENOMEM`.
//! Moving keeps each page's frame and rights, so copy-on-write sharing with a fork survives.
//! Near `vm.max_map_count` a move is refused with `ENOMEM` as Linux's `mremap_to` and
//! `move_vma` do (they keep room for the splits a move may need).

use super::{AddressSpace, MemoryLimits, is_data_mapping};
use crate::mm::vma::{Backing, Vma, VmaKind};
use crate::mm::{PAGE_SIZE, may_commit};
use crate::sysctl::max_map_count;
use abi::Errno;

/// One `mremap` call, with lengths page-aligned and flags already validated.
#[derive(Clone, Copy, Debug)]
pub struct RemapRequest {
    pub old_start: u64,
    pub old_len: u64,
    pub new_len: u64,
    pub may_move: bool,
    /// `MREMAP_FIXED`: the new address.
    pub fixed: Option<u64>,
    pub dont_unmap: bool,
}

impl AddressSpace {
    /// Performs `request`; returns the mapping's (new) start.
    pub fn remap(&mut self, request: RemapRequest, limits: MemoryLimits) -> Result<u64, Errno> {
        self.check_special_remap(&request)?;
        let RemapRequest {
            old_start,
            mut old_len,
            new_len,
            ..
        } = request;
        if request.fixed.is_some() || request.dont_unmap {
            let target = match request.fixed {
                Some(new_start) => {
                    let new_end = new_start
                        .checked_add(new_len)
                        .filter(|&end| end <= hal::mm::USER_END)
                        .ok_or(Errno::EINVAL)?;
                    if old_start + old_len > new_start && new_end > old_start {
                        return Err(Errno::EINVAL);
                    }
                    Some((new_start, new_end))
                }
                None => None,
            };
            // mremap_to: room for the worst case (both ranges cut in three) and the move.
            if self.map_count() + 2 >= max_map_count().saturating_sub(3) {
                return Err(Errno::ENOMEM);
            }
            if let Some((new_start, new_end)) = target {
                // The target is cleared first, and a shrinking move drops the tail first.
                self.unmap_range(new_start, new_end);
                if old_len > new_len {
                    self.unmap_range(old_start + new_len, old_start + old_len);
                    old_len = new_len;
                }
            }
            let vma = self.vma_to_resize(old_start, old_len, new_len, limits)?;
            let new_start = match request.fixed {
                Some(start) => start,
                None => self.find_free_area(new_len).ok_or(Errno::ENOMEM)?,
            };
            self.move_mapping(
                &vma,
                old_start,
                old_len,
                new_start,
                new_len,
                request.dont_unmap,
            )?;
            return Ok(new_start);
        }
        if old_len >= new_len {
            if old_len > new_len {
                // As munmap: cutting a VMA in three needs room under the limit.
                self.try_unmap_range(old_start + new_len, old_start + old_len)?;
            }
            return Ok(old_start);
        }
        let vma = self.vma_to_resize(old_start, old_len, new_len, limits)?;
        let old_end = old_start + old_len;
        let new_end = old_start.checked_add(new_len).ok_or(Errno::ENOMEM)?;
        if old_end == vma.end
            && new_end <= hal::mm::USER_END
            && self.is_range_free(old_end, new_end)
        {
            if let Some(grown) = self.vmas.get_mut(&vma.start) {
                grown.end = new_end;
            }
            return Ok(old_start);
        }
        if !request.may_move {
            return Err(Errno::ENOMEM);
        }
        let new_start = self.find_free_area(new_len).ok_or(Errno::ENOMEM)?;
        self.move_mapping(&vma, old_start, old_len, new_start, new_len, false)?;
        Ok(new_start)
    }

    /// A special mapping (the vDSO's, `VM_DONTEXPAND`) cannot grow (`EFAULT`), be left behind
    /// empty (`MREMAP_DONTUNMAP`: `EINVAL`) or be split by shrinking or moving part of it
    /// (`special_mapping_split`: `EINVAL`); the whole of it may move.
    fn check_special_remap(&self, request: &RemapRequest) -> Result<(), Errno> {
        let Some(vma) = self.find_vma(request.old_start) else {
            return Ok(());
        };
        if !matches!(vma.backing, Backing::Special { .. }) {
            return Ok(());
        }
        if request.new_len > request.old_len {
            return Err(Errno::EFAULT);
        }
        let is_whole = request.old_start == vma.start
            && request.old_start.checked_add(request.old_len) == Some(vma.end);
        let moves = request.fixed.is_some() || request.dont_unmap;
        if request.dont_unmap || request.new_len < request.old_len || (moves && !is_whole) {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    /// The VMA holding `[start, start + old_len)`, checked for a resize to `new_len` (Linux's
    /// `vma_to_resize`).
    fn vma_to_resize(
        &self,
        start: u64,
        old_len: u64,
        new_len: u64,
        limits: MemoryLimits,
    ) -> Result<Vma, Errno> {
        let vma = self.find_vma(start).ok_or(Errno::EFAULT)?.clone();
        if old_len > vma.end - start {
            return Err(Errno::EFAULT);
        }
        if old_len == 0 && !vma.is_shared {
            return Err(Errno::EINVAL);
        }
        if new_len > old_len {
            let growth = new_len - old_len;
            let is_data = is_data_mapping(vma.protection, vma.is_shared, vma.kind);
            let needs_commit = !vma.is_shared && vma.protection.is_writable;
            if (needs_commit && !may_commit(growth))
                || !self.may_expand(limits, growth, is_data, 0, 0)
            {
                return Err(Errno::ENOMEM);
            }
        }
        Ok(vma)
    }

    /// Moves `[old_start, old_start + old_len)` of `vma` to `new_start`, `new_len` long: the
    /// VMA (with its file offset) and every present page, keeping frames and rights. With
    /// `keep_old` the old range stays mapped with no pages (`MREMAP_DONTUNMAP`).
    fn move_mapping(
        &mut self,
        vma: &Vma,
        old_start: u64,
        old_len: u64,
        new_start: u64,
        new_len: u64,
        keep_old: bool,
    ) -> Result<(), Errno> {
        // move_vma keeps four VMAs of room below the limit.
        if self.map_count() >= max_map_count().saturating_sub(3) {
            return Err(Errno::ENOMEM);
        }
        let mut moved = vma.slice(old_start, old_start + old_len);
        moved.start = new_start;
        moved.end = new_start + new_len;
        if moved.kind == VmaKind::Heap {
            // brk no longer owns it.
            moved.kind = VmaKind::Normal;
        }
        if let Backing::File { file_end, .. } = &mut moved.backing
            && *file_end != u64::MAX
        {
            // An ELF segment's zero-fill boundary moves with it.
            *file_end = file_end.saturating_sub(old_start).saturating_add(new_start);
        }
        if !self.is_range_free(new_start, new_start + new_len) {
            return Err(Errno::ENOMEM);
        }
        self.insert_vma(moved)?;
        {
            let mut page_table = self.page_table.lock();
            let moved_end = old_start + old_len.min(new_len);
            let mut cursor = old_start;
            // Only present pages are visited: a sparse mapping of any size moves quickly.
            while let Some(page) = page_table.next_mapped(cursor, moved_end) {
                if let Some((frame, flags)) = page_table.query(page) {
                    // Mapping the new page first keeps the frame's count above one, so a
                    // private page stays private to this space (no spurious copy later).
                    let previous = page_table.map(new_start + (page - old_start), frame, flags)?;
                    drop(previous);
                }
                cursor = page + PAGE_SIZE;
            }
            if keep_old {
                page_table
                    .unmap_range(old_start, old_start + old_len)
                    .flush();
            }
        }
        if !keep_old {
            // The old pages go with their VMAs, and with them the tables only they used.
            drop(self.take_range(old_start, old_start + old_len));
            self.unmapped(old_start, old_start + old_len);
        }
        Ok(())
    }
}
