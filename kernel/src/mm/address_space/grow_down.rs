//! Areas mapped with `MAP_GROWSDOWN` (Linux's `VM_GROWSDOWN` outside the main stack, as
//! threads' stacks of old LinuxThreads-style runtimes and LTP's `mmap18` make them): a fault in
//! the free space just below such an area extends the area down to the faulting page
//! (`expand_downwards`), as long as
//! - the area stays within `RLIMIT_STACK` and the address space within `RLIMIT_AS`
//!   (`acct_stack_growth`), and
//! - at least the stack guard gap (256 pages, Linux's `stack_guard_gap`) stays free between the
//!   area and an accessible mapping below it that does not grow down itself.
//!
//! Otherwise the fault is an ordinary `SEGV_MAPERR`. The main stack is reserved whole at exec
//! and grows by its floor instead ([`AddressSpace::grow_stack`]). Only anonymous areas grow
//! here: a file area would have to move its file offset down with its start.

use super::{AddressSpace, FaultError};
use crate::mm::vma::VmaFlags;
use crate::mm::{Backing, PAGE_SIZE, page_align_down};

/// Pages kept free below a growing area (`stack_guard_gap`, 256 pages by default).
const STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;

impl AddressSpace {
    /// Whether a fault at `vaddr`, which no area contains, lies below an area that grows down
    /// (asked under the read lock; [`AddressSpace::expand_downwards`] decides under the write
    /// lock).
    pub fn is_below_grows_down(&self, vaddr: u64) -> bool {
        self.find_vma(vaddr).is_none()
            && self
                .vmas
                .range(vaddr..)
                .next()
                .is_some_and(|(_, vma)| vma.flags.contains(VmaFlags::GROWS_DOWN))
    }

    /// Extends the grows-down area above `vaddr` down to `vaddr`'s page. `limits` gives
    /// (`RLIMIT_STACK`, `RLIMIT_AS`) and is asked only when the area may grow. `NotMapped` when
    /// it may not (the fault becomes SIGSEGV); `Ok` also when another thread grew it first.
    pub fn expand_downwards(
        &mut self,
        vaddr: u64,
        limits: impl FnOnce() -> (u64, u64),
    ) -> Result<(), FaultError> {
        if self.find_vma(vaddr).is_some() {
            return Ok(());
        }
        let page = page_align_down(vaddr);
        let Some((&key, vma)) = self.vmas.range(vaddr..).next() else {
            return Err(FaultError::NotMapped);
        };
        if !vma.flags.contains(VmaFlags::GROWS_DOWN)
            || !matches!(vma.backing, Backing::Anonymous)
            || page < super::MMAP_MIN_ADDR
        {
            return Err(FaultError::NotMapped);
        }
        let (end, growth) = (vma.end, key - page);
        if let Some((_, below)) = self.vmas.range(..page).next_back() {
            let keeps_gap = below.flags.contains(VmaFlags::GROWS_DOWN)
                || !below.protection.is_accessible()
                || page
                    .checked_sub(below.end)
                    .is_some_and(|gap| gap >= STACK_GUARD_GAP);
            if below.end > page || !keeps_gap {
                return Err(FaultError::NotMapped);
            }
        }
        let (stack_limit, address_space_limit) = limits();
        let (total, _) = self.mapped_bytes(0, 0);
        if end - page > stack_limit
            || (total + growth) / PAGE_SIZE > address_space_limit / PAGE_SIZE
        {
            return Err(FaultError::NotMapped);
        }
        let Some(mut vma) = self.vmas.remove(&key) else {
            return Err(FaultError::NotMapped);
        };
        vma.start = page;
        self.vmas.insert(page, vma);
        Ok(())
    }
}
