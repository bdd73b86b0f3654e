//! `madvise` on an address space (Linux's `mm/madvise.c`), area by area in address order, as
//! Linux applies it: an area the advice does not fit ends the call with its error (areas before
//! it keep the advice), and holes in the range give `ENOMEM` once the mapped parts are done.
//!
//! - `MADV_DONTNEED` (and `_LOCKED`) drops the pages: private anonymous memory reads as zeros
//!   afterwards, file and shared memory as the file or object says. `MADV_FREE` does the same
//!   at once for private anonymous memory (Linux may free lazily; freeing now is allowed) and
//!   is `EINVAL` elsewhere. `MADV_REMOVE` punches the range out of a shared writable file or
//!   shared anonymous object (`EACCES` unless shared and writable, `EINVAL` for private
//!   memory).
//! - `MADV_DONTFORK`/`DOFORK`, `WIPEONFORK`/`KEEPONFORK` (private anonymous only), `DONTDUMP`/
//!   `DODUMP`, `NORMAL`/`RANDOM`/`SEQUENTIAL` and `HUGEPAGE`/`NOHUGEPAGE` record flags on the
//!   areas (splitting them at the range's edges); fork reads the first two pairs.
//! - `MADV_MERGEABLE`/`UNMERGEABLE` are `EINVAL` (checked by the syscall), as in a Linux built
//!   without `CONFIG_KSM`: there is no same-page merging, and no `/sys/kernel/mm/ksm`.
//! - `MADV_POPULATE_READ`/`WRITE` fault every page in (`EINVAL` where the access is not
//!   allowed, `EFAULT` past the end of a file, `ENOMEM` when memory runs out).
//! - `MADV_WILLNEED`, `COLD`, `PAGEOUT` and `COLLAPSE` are hints with no effect here: every file
//!   page is in memory already, and there is no swap or huge page to move to. Locked areas
//!   refuse `DONTNEED`, `FREE`, `REMOVE`, `COLD` and `PAGEOUT` with `EINVAL`.

use super::{Access, AddressSpace, FaultError};
use crate::mm::PAGE_SIZE;
use crate::mm::vma::{Backing, Vma, VmaFlags};
use crate::sysctl::max_map_count;
use abi::{Advice, Errno};
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::Inode;

/// A byte range of a file that `MADV_REMOVE` frees once the mm lock is released (the hole
/// punch unmaps the range from every address space, this one included, as Linux's
/// `madvise_remove` drops `mmap_lock` before `vfs_fallocate`).
pub struct PendingRemoval {
    pub inode: Arc<dyn Inode>,
    pub start: u64,
    pub end: u64,
}

impl AddressSpace {
    /// Applies `advice` to `[start, end)` (page aligned, not empty). File ranges that
    /// `MADV_REMOVE` frees are added to `removals`, for the caller to punch after releasing the
    /// mm lock (also when an error is returned: they precede it).
    pub fn advise(
        &mut self,
        start: u64,
        end: u64,
        advice: Advice,
        removals: &mut Vec<PendingRemoval>,
    ) -> Result<(), Errno> {
        // The pieces of areas in the range, in address order.
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut has_hole = false;
        let mut cursor = start;
        for vma in self
            .vmas
            .range(..end)
            .rev()
            .map(|(_, vma)| vma)
            .take_while(|vma| vma.end > start)
        {
            if vma.start > cursor {
                has_hole = true;
            }
            pieces.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            pieces.push((vma.start.max(start), vma.end.min(end)));
            cursor = vma.end;
        }
        if cursor < end {
            has_hole = true;
        }
        for (piece_start, piece_end) in pieces {
            self.advise_piece(piece_start, piece_end, advice, removals)?;
        }
        if has_hole {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    fn advise_piece(
        &mut self,
        start: u64,
        end: u64,
        advice: Advice,
        removals: &mut Vec<PendingRemoval>,
    ) -> Result<(), Errno> {
        let Some(vma) = self.find_vma(start).cloned() else {
            return Ok(());
        };
        let is_locked = vma.flags.contains(VmaFlags::LOCKED);
        let is_private_anonymous = !vma.is_shared && matches!(vma.backing, Backing::Anonymous);
        match advice {
            Advice::DontNeed | Advice::DontNeedLocked => {
                if is_locked && advice == Advice::DontNeed {
                    return Err(Errno::EINVAL);
                }
                self.page_table.lock().unmap_range(start, end).flush();
            }
            Advice::Free => {
                if is_locked || !is_private_anonymous {
                    return Err(Errno::EINVAL);
                }
                self.page_table.lock().unmap_range(start, end).flush();
            }
            Advice::Remove => {
                if is_locked {
                    return Err(Errno::EINVAL);
                }
                self.remove_backing(&vma, start, end, removals)?;
            }
            Advice::Cold | Advice::PageOut => {
                if is_locked {
                    return Err(Errno::EINVAL);
                }
            }
            Advice::WillNeed | Advice::Collapse => {}
            Advice::PopulateRead | Advice::PopulateWrite => {
                self.populate_for_advice(start, end, advice == Advice::PopulateWrite)?;
            }
            Advice::WipeOnFork if !is_private_anonymous => return Err(Errno::EINVAL),
            _ => {
                let (set, clear) = flag_change(advice);
                // madvise_vma_behavior: a split beyond the limit is "try again".
                self.change_flags(start, end, set, clear)
                    .map_err(|_| Errno::EAGAIN)?;
            }
        }
        Ok(())
    }

    /// `MADV_REMOVE`: frees the backing store of `[start, end)` of a shared mapping whose
    /// file may be written (Linux's `vma_is_shared_maywrite`, `EACCES` otherwise; `EINVAL` for
    /// anonymous private memory).
    fn remove_backing(
        &mut self,
        vma: &Vma,
        start: u64,
        end: u64,
        removals: &mut Vec<PendingRemoval>,
    ) -> Result<(), Errno> {
        let first_page = (start - vma.start) / PAGE_SIZE;
        let pages = (end - start) / PAGE_SIZE;
        match &vma.backing {
            Backing::Anonymous => Err(Errno::EINVAL),
            _ if !vma.is_shared => Err(Errno::EACCES),
            Backing::File {
                may_write_shared: false,
                ..
            }
            | Backing::Special { .. } => Err(Errno::EACCES),
            Backing::File { inode, offset, .. } => {
                let file_start = offset + first_page * PAGE_SIZE;
                removals.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                removals.push(PendingRemoval {
                    inode: inode.clone(),
                    start: file_start,
                    end: file_start + pages * PAGE_SIZE,
                });
                Ok(())
            }
        }
    }

    /// Faults in every page of `[start, end)` as a read or a write would.
    fn populate_for_advice(&self, start: u64, end: u64, is_write: bool) -> Result<(), Errno> {
        let mut address = start;
        while address < end {
            let access = Access {
                is_write,
                is_execute: false,
            };
            match self.handle_fault(address, access) {
                Ok(()) => {}
                Err(FaultError::OutOfMemory) => return Err(Errno::ENOMEM),
                // A page a userfaultfd reader must supply is not populated here.
                Err(FaultError::PastEndOfFile | FaultError::Userfault) => {
                    return Err(Errno::EFAULT);
                }
                Err(FaultError::AccessDenied | FaultError::NotMapped) => {
                    return Err(Errno::EINVAL);
                }
            }
            address += PAGE_SIZE;
        }
        Ok(())
    }

    /// Sets `set` and clears `clear` on the areas of `[start, end)`: areas whose flags change
    /// are split at the edges, and merge with matching neighbours afterwards. `ENOMEM`, with
    /// nothing changed, if the splits would take the process past `vm.max_map_count`
    /// (`split_vma`; madvise reports it as `EAGAIN`).
    pub(super) fn change_flags(
        &mut self,
        start: u64,
        end: u64,
        set: VmaFlags,
        clear: VmaFlags,
    ) -> Result<(), Errno> {
        let mut splits = 0;
        let mut changed: Vec<u64> = Vec::new();
        for vma in self
            .vmas
            .range(..end)
            .rev()
            .map(|(_, vma)| vma)
            .take_while(|vma| vma.end > start)
        {
            if vma.flags.difference(clear).union(set) != vma.flags {
                splits += usize::from(vma.start < start) + usize::from(vma.end > end);
                changed.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                changed.push(vma.start);
            }
        }
        if splits > 0 && self.map_count() + splits > max_map_count() {
            return Err(Errno::ENOMEM);
        }
        for vma_start in changed {
            let Some(vma_end) = self.vmas.get(&vma_start).map(|vma| vma.end) else {
                continue;
            };
            for mut middle in self.take_range(vma_start.max(start), vma_end.min(end)) {
                middle.flags = middle.flags.difference(clear).union(set);
                self.vmas.insert(middle.start, middle);
            }
        }
        self.merge_range(start, end);
        Ok(())
    }
}

/// The flags an advice sets and clears.
fn flag_change(advice: Advice) -> (VmaFlags, VmaFlags) {
    let none = VmaFlags::empty();
    match advice {
        Advice::Normal => (none, VmaFlags::SEQUENTIAL | VmaFlags::RANDOM),
        Advice::Random => (VmaFlags::RANDOM, VmaFlags::SEQUENTIAL),
        Advice::Sequential => (VmaFlags::SEQUENTIAL, VmaFlags::RANDOM),
        Advice::DontFork => (VmaFlags::DONT_FORK, none),
        Advice::DoFork => (none, VmaFlags::DONT_FORK),
        Advice::WipeOnFork => (VmaFlags::WIPE_ON_FORK, none),
        Advice::KeepOnFork => (none, VmaFlags::WIPE_ON_FORK),
        Advice::DontDump => (VmaFlags::DONT_DUMP, none),
        Advice::DoDump => (none, VmaFlags::DONT_DUMP),
        Advice::HugePage => (VmaFlags::HUGEPAGE, VmaFlags::NO_HUGEPAGE),
        Advice::NoHugePage => (VmaFlags::NO_HUGEPAGE, VmaFlags::HUGEPAGE),
        _ => (none, none),
    }
}
