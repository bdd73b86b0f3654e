//! The address-space side of userfaultfd (Linux `fs/userfaultfd.c`'s register paths and
//! `mm/userfaultfd.c`'s `mfill_atomic`): registering areas with a context (split at the
//! range's edges), unregistering them, and installing the pages a reader supplies.

use super::AddressSpace;
use crate::fs::userfaultfd::Userfaultfd;
use crate::mm::vma::Vma;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::mm::frame::Frame;
use hal::mm::user_space::PageFlags;

impl AddressSpace {
    /// The areas overlapping `[start, end)`: `EINVAL` if there is none (holes between them
    /// are allowed, as Linux 6.1's register loop walks only the areas it finds).
    fn covering(&self, start: u64, end: u64) -> Result<Vec<u64>, Errno> {
        let mut starts = Vec::new();
        for vma in self
            .vmas
            .range(..end)
            .map(|(_, vma)| vma)
            .filter(|vma| vma.end > start)
        {
            starts.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            starts.push(vma.start);
        }
        if starts.is_empty() {
            return Err(Errno::EINVAL);
        }
        Ok(starts)
    }

    /// `UFFDIO_REGISTER`: some area must be in `[start, end)` (`EINVAL`); each must suit
    /// `is_compatible` (`EINVAL`) and not belong to another context (`EBUSY`); they are split
    /// at the edges and registered.
    pub fn register_userfault(
        &mut self,
        start: u64,
        end: u64,
        context: &Arc<Userfaultfd>,
        is_compatible: impl Fn(&Vma) -> bool,
    ) -> Result<(), Errno> {
        let starts = self.covering(start, end)?;
        for vma_start in &starts {
            let vma = &self.vmas[vma_start];
            if !is_compatible(vma) {
                return Err(Errno::EINVAL);
            }
            if vma
                .userfault
                .as_ref()
                .is_some_and(|other| !Arc::ptr_eq(other, context))
            {
                return Err(Errno::EBUSY);
            }
        }
        for mut middle in self.take_range(start, end) {
            middle.userfault = Some(context.clone());
            self.vmas.insert(middle.start, middle);
        }
        self.merge_range(start, end);
        Ok(())
    }

    /// `UFFDIO_UNREGISTER` (`EINVAL` for a range with no area), and the release of a context
    /// (`start` 0: the whole space, only `context`'s areas).
    pub fn unregister_userfault(
        &mut self,
        start: u64,
        end: u64,
        context: Option<&Arc<Userfaultfd>>,
    ) -> Result<(), Errno> {
        let is_release = start == 0;
        if !is_release {
            self.covering(start, end)?;
        }
        let touched: Vec<(u64, u64)> = self
            .vmas
            .range(..end)
            .map(|(_, vma)| vma)
            .filter(|vma| vma.end > start)
            .filter(|vma| match (&vma.userfault, context) {
                (Some(mine), Some(context)) => Arc::ptr_eq(mine, context),
                (Some(_), None) => true,
                (None, _) => false,
            })
            .map(|vma| (vma.start.max(start), vma.end.min(end)))
            .collect();
        for (piece_start, piece_end) in touched {
            for mut middle in self.take_range(piece_start, piece_end) {
                middle.userfault = None;
                self.vmas.insert(middle.start, middle);
            }
            self.merge_range(piece_start, piece_end);
        }
        Ok(())
    }

    /// Maps `frame` at the missing page `page` of an area registered with `context`
    /// (`mfill_atomic_pte`): `ENOENT` if no such area is there, `EEXIST` if the page is.
    pub fn install_userfault_page(
        &self,
        page: u64,
        frame: Frame,
        context: &Arc<Userfaultfd>,
    ) -> Result<(), Errno> {
        let vma = self.find_vma(page).ok_or(Errno::ENOENT)?;
        if !vma
            .userfault
            .as_ref()
            .is_some_and(|mine| Arc::ptr_eq(mine, context))
        {
            return Err(Errno::ENOENT);
        }
        let flags = PageFlags::accessible(vma.protection.is_writable, vma.protection.is_executable);
        let mut page_table = self.page_table.lock();
        if page_table.flags_at(page).is_some() {
            return Err(Errno::EEXIST);
        }
        let previous = page_table
            .map(page, frame, flags)
            .map_err(|_| Errno::ENOMEM)?;
        drop(page_table);
        drop(previous);
        Ok(())
    }
}
