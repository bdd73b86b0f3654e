//! `mlock` and friends on an address space (Linux's `mm/mlock.c`): locked areas carry
//! [`VmaFlags::LOCKED`] (and [`VmaFlags::LOCK_ON_FAULT`] for `MLOCK_ONFAULT`/`MCL_ONFAULT`),
//! their pages are faulted in at once unless locked on fault, and their total is what
//! `RLIMIT_MEMLOCK` limits (Linux's `locked_vm`). There is no swap, so a page once present stays;
//! what locking changes is accounting, `MADV_DONTNEED` refusing locked areas, and the
//! population. `MCL_FUTURE` makes later mappings locked ([`AddressSpace::lock_future`]). A
//! forked child and a new program start with nothing locked.

use super::{Access, AddressSpace, FaultError};
use crate::mm::PAGE_SIZE;
use crate::mm::vma::VmaFlags;
use abi::Errno;

/// How an area is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// Pages are brought in now (`mlock`, `MCL_CURRENT`).
    Now,
    /// Pages are locked as they are touched (`MLOCK_ONFAULT`, `MCL_ONFAULT`).
    OnFault,
}

impl LockMode {
    fn flags(self) -> VmaFlags {
        match self {
            LockMode::Now => VmaFlags::LOCKED,
            LockMode::OnFault => VmaFlags::LOCKED | VmaFlags::LOCK_ON_FAULT,
        }
    }
}

impl AddressSpace {
    /// Bytes in locked areas (`locked_vm`), leaving out what lies in `[skip_start, skip_end)`.
    pub fn locked_bytes(&self, skip_start: u64, skip_end: u64) -> u64 {
        self.vmas
            .values()
            .filter(|vma| vma.flags.contains(VmaFlags::LOCKED))
            .map(|vma| {
                let overlap = vma
                    .end
                    .min(skip_end)
                    .saturating_sub(vma.start.max(skip_start));
                vma.end - vma.start - overlap
            })
            .sum()
    }

    /// Locks `[start, end)` (`mlock`/`mlock2`); `limit` is `RLIMIT_MEMLOCK` in bytes, `None`
    /// for a caller with `CAP_IPC_LOCK`. `ENOMEM` past the limit or for unmapped parts (the
    /// mapped parts are locked first, as Linux).
    pub fn lock_range(
        &mut self,
        start: u64,
        end: u64,
        mode: LockMode,
        limit: Option<u64>,
    ) -> Result<(), Errno> {
        if let Some(limit) = limit
            && self.locked_bytes(start, end) + (end - start) > limit
        {
            return Err(Errno::ENOMEM);
        }
        let has_hole = self.has_hole(start, end);
        self.change_flags(start, end, mode.flags(), VmaFlags::empty())?;
        if mode == LockMode::Now {
            self.populate_locked(start, end)?;
        }
        if has_hole {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// Unlocks `[start, end)` (`munlock`); `ENOMEM` for unmapped parts.
    pub fn unlock_range(&mut self, start: u64, end: u64) -> Result<(), Errno> {
        let has_hole = self.has_hole(start, end);
        self.change_flags(
            start,
            end,
            VmaFlags::empty(),
            VmaFlags::LOCKED | VmaFlags::LOCK_ON_FAULT,
        )?;
        if has_hole {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// `mlockall`: with `current`, every area now (`ENOMEM` if they exceed `limit`); `future`
    /// makes later mappings locked the same way.
    pub fn lock_all(
        &mut self,
        current: Option<LockMode>,
        future: Option<LockMode>,
        limit: Option<u64>,
    ) -> Result<(), Errno> {
        if let Some(mode) = current {
            if let Some(limit) = limit
                && self.mapped_bytes_total() > limit
            {
                return Err(Errno::ENOMEM);
            }
            self.lock_future = future;
            let (Some(first), Some(last)) = (
                self.vmas.values().next().map(|vma| vma.start),
                self.vmas.values().next_back().map(|vma| vma.end),
            ) else {
                return Ok(());
            };
            // apply_mlockall_flags ignores what it cannot change (a split at the limit).
            let _ = self.change_flags(first, last, mode.flags(), VmaFlags::empty());
            if mode == LockMode::Now {
                // Failures to populate are not reported (`__mm_populate` ignores them).
                let _ = self.populate_locked(first, last);
            }
            return Ok(());
        }
        self.lock_future = future;
        Ok(())
    }

    /// `munlockall`: nothing locked, now or later.
    pub fn unlock_all(&mut self) {
        self.lock_future = None;
        let (Some(first), Some(last)) = (
            self.vmas.values().next().map(|vma| vma.start),
            self.vmas.values().next_back().map(|vma| vma.end),
        ) else {
            return;
        };
        let _ = self.change_flags(
            first,
            last,
            VmaFlags::empty(),
            VmaFlags::LOCKED | VmaFlags::LOCK_ON_FAULT,
        );
    }

    /// The lock flags a new mapping gets (`mm->def_flags` after `mlockall(MCL_FUTURE)`).
    pub fn future_lock_flags(&self) -> VmaFlags {
        self.lock_future
            .map_or(VmaFlags::empty(), |mode| mode.flags())
    }

    /// Faults in the accessible pages of `[start, end)` (`MAP_POPULATE`, a locked mapping);
    /// failures are not reported, as Linux's `mm_populate`.
    pub fn populate(&self, start: u64, end: u64) {
        let _ = self.populate_locked(start, end);
    }

    /// Brings in the pages of the accessible areas of `[start, end)` as Linux's
    /// `populate_vma_page_range` does (a write fault for private writable memory, so its
    /// copy-on-write copies are made now). Only running out of memory is an error.
    fn populate_locked(&self, start: u64, end: u64) -> Result<(), Errno> {
        let mut address = start;
        while address < end {
            let Some(vma) = self.find_vma(address) else {
                // A hole: on to the next area, however far.
                match self.vmas.range(address..).next() {
                    Some((&next, _)) if next < end => address = next,
                    _ => return Ok(()),
                }
                continue;
            };
            let vma_end = vma.end.min(end);
            if !vma.protection.is_accessible() {
                address = vma_end;
                continue;
            }
            let access = Access {
                is_write: vma.protection.is_writable && !vma.is_shared,
                is_execute: false,
            };
            while address < vma_end {
                match self.handle_fault(address, access) {
                    Err(FaultError::OutOfMemory) => return Err(Errno::ENOMEM),
                    // Past the end of a file: nothing to bring in.
                    Err(_) => break,
                    Ok(()) => address += PAGE_SIZE,
                }
            }
            address = vma_end;
        }
        Ok(())
    }
}
