//! A process's user address space: the VMA tree, the page tables, `brk`, and the layout of the
//! stack and the mmap area (Linux's `mm_struct`).
//!
//! Layout (Linux x86-64 without ASLR; randomization is not done yet): the stack ends at
//! `STACK_TOP` and may use `STACK_LIMIT` bytes; mmap allocates top-down below `mmap_base`, a
//! 128 MiB gap under the stack area; the heap (`brk`) starts after the executable's last segment.
//! Pages are populated on first touch by [`AddressSpace::handle_fault`].
//!
//! VMAs: at most `vm.max_map_count` of them, with Linux's rules (mm/mmap.c): a new mapping is
//! refused (`ENOMEM`) once the count is over the limit, a split that would leave it over fails
//! (munmap or mprotect of the middle of a VMA, `MAP_FIXED` over it). Adjacent anonymous VMAs
//! with the same protection merge (`vma_merge`), so a process that maps page after page has
//! one VMA, not thousands; file mappings are not merged yet, and Linux's `anon_vma` rule (two
//! VMAs that both hold pages merge only if they came from one) is not followed. Free space is
//! found top-down with Linux 2.6's free-area cache: the search starts where the last one ended
//! unless a large enough hole was passed, so mapping thousands of areas one after another
//! costs a step each, not a walk over all VMAs. The common calls stay within a few lookups in
//! the VMA tree: a new mapping finds both neighbours in two and merges in place; munmap of a
//! whole mapping, or of a mapping's tail (brk shrinking), is one lookup and one removal or
//! edit; only the cases that split a VMA go through the general range code.
//!
//! Locking: an `AddressSpace` lives in an [`Mm`](super::Mm), behind the mm lock (a sleeping
//! reader-writer lock, Linux's `mmap_lock`): faults hold it for reading, so
//! [`AddressSpace::handle_fault`] and [`AddressSpace::grow_stack`] take `&self`; mmap, munmap,
//! mprotect, brk, fork and exec hold it for writing. The page tables sit behind their own spin
//! lock (Linux's `page_table_lock`), taken briefly for each edit: file pages are read before it
//! is taken, and a fault that finds its page mapped meanwhile by another thread keeps that one.

pub mod advise;
mod grow_down;
pub mod lock;
mod remap;
mod remote;
mod userfault;

pub use remap::RemapRequest;

use super::vma::{Backing, Protection, SpecialMapping, Vma, VmaFlags, VmaKind};
use super::{PAGE_SIZE, page_align_down, page_align_up};
use crate::sysctl::MAX_MAP_COUNT;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::mm::USER_END;
use hal::mm::frame::{Frame, FrameId, UniqueFrame};
use hal::mm::user_space::{PageFlags, UserSpace};
use hal::sync::SpinLock;

/// One past the highest stack byte (Linux's `STACK_TOP` = `TASK_SIZE`).
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Room reserved for the main thread's stack (the default `RLIMIT_STACK`).
pub const STACK_LIMIT: u64 = 8 << 20;
/// Gap between the stack area and the mmap area.
const MMAP_GAP: u64 = 128 << 20;
/// Lowest address mmap hands out (`vm.mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;

/// Why a fault could not be resolved: the `si_code` of the SIGSEGV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// No mapping at the address (`SEGV_MAPERR`).
    NotMapped,
    /// A mapping that forbids the access (`SEGV_ACCERR`).
    AccessDenied,
    /// No memory for the page.
    OutOfMemory,
    /// A file mapping touched wholly past the end of its file (`BUS_ADRERR`).
    PastEndOfFile,
    /// A missing page of an area registered with a userfaultfd: its reader must supply it
    /// (the caller finds the file through the area and waits, without the mm lock).
    Userfault,
}

/// How a fault accessed memory.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub is_write: bool,
    pub is_execute: bool,
}

pub struct AddressSpace {
    /// Shared with the [`Mm`](super::Mm) that holds this space, so the context switch can
    /// activate it without the mm lock.
    page_table: Arc<SpinLock<UserSpace>>,
    vmas: BTreeMap<u64, Vma>,
    /// Start of the heap (fixed at exec).
    pub brk_start: u64,
    /// Current program break.
    pub brk: u64,
    /// mmap allocates below this address.
    pub mmap_base: u64,
    /// Where the next top-down search for free space starts (Linux 2.6's `free_area_cache`):
    /// no hole above it, below `mmap_base`, is larger than `cached_hole_size`.
    free_area_cache: u64,
    cached_hole_size: u64,
    /// The lowest page the main stack has grown to: faults in the stack VMA below it grow the
    /// stack, and are refused beyond `RLIMIT_STACK` (see [`AddressSpace::grow_stack`]). Atomic:
    /// faults lower it holding the mm lock for reading.
    stack_floor: AtomicU64,
    /// `mlockall(MCL_FUTURE)`: how later mappings are locked (Linux's `mm->def_flags`).
    lock_future: Option<lock::LockMode>,
    /// What exec laid out, as `/proc/<pid>` shows it.
    pub layout: ProgramLayout,
    /// The vDSO data page of the time namespace of the tasks using this space (`None` in the
    /// initial one): the `[vvar]` mapping shows it first and the system's page at
    /// `VVAR_TIMENS_DATA_PAGE` ([`AddressSpace::set_time_namespace_page`]).
    time_namespace_page: Option<Frame>,
}

/// The program's layout as exec made it (Linux's `mm_struct` fields `start_code` … `env_end`,
/// `saved_auxv` and `exe_file`), for `/proc/<pid>/stat`, `cmdline`, `environ`, `auxv`, `exe`.
#[derive(Clone, Default)]
pub struct ProgramLayout {
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_stack: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    /// The auxiliary vector handed to the program, `AT_NULL` included.
    pub auxv: Vec<(u64, u64)>,
    /// The executable (`/proc/<pid>/exe`).
    pub exe: Option<vfs::Path>,
    /// Writes to the executable are refused (`ETXTBSY`) while this address space, or a copy
    /// forked from it, lives (Linux 6.1's `exe_file` write denial).
    pub exe_write_denial: Option<vfs::inode::WriteDenial>,
}

/// The memory rlimits an address-space change is checked against (`may_expand_vm`), in bytes
/// (`u64::MAX` for unlimited).
#[derive(Clone, Copy, Debug)]
pub struct MemoryLimits {
    /// `RLIMIT_AS`: every mapping.
    pub address_space: u64,
    /// `RLIMIT_DATA`: private writable mappings other than the stack (and the heap).
    pub data: u64,
}

/// Whether a mapping counts against `RLIMIT_DATA` (Linux's `is_data_mapping`: writable, not
/// shared, not a stack).
pub fn is_data_mapping(protection: Protection, is_shared: bool, kind: VmaKind) -> bool {
    protection.is_writable && !is_shared && kind != VmaKind::Stack
}

impl AddressSpace {
    pub fn try_new() -> Result<AddressSpace, Errno> {
        Ok(AddressSpace {
            page_table: Arc::new(SpinLock::new("mm.page_table", UserSpace::try_new()?)),
            vmas: BTreeMap::new(),
            brk_start: 0,
            brk: 0,
            mmap_base: STACK_TOP - STACK_LIMIT - MMAP_GAP,
            free_area_cache: u64::MAX,
            cached_hole_size: 0,
            stack_floor: AtomicU64::new(STACK_TOP),
            lock_future: None,
            layout: ProgramLayout::default(),
            time_namespace_page: None,
        })
    }

    /// Page `index` of special mapping `mapping` as this space sees it: the vDSO's data pages
    /// follow the time namespace ([`SpecialMapping::follows_time_namespace`]).
    pub fn special_page<'a>(
        &'a self,
        mapping: &'a SpecialMapping,
        index: u64,
    ) -> Option<&'a Frame> {
        match (&self.time_namespace_page, mapping.follows_time_namespace) {
            (Some(page), true) => match index {
                0 => Some(page),
                i if i == crate::vdso::data::VVAR_TIMENS_DATA_PAGE as u64 => mapping.page(0),
                _ => None,
            },
            _ => mapping.page(index),
        }
    }

    /// Switches the vDSO data pages to those of a time namespace (`None`: the initial one),
    /// unmapping the present ones so the next touch maps the new ones (Linux's
    /// `vdso_join_timens`).
    pub fn set_time_namespace_page(&mut self, page: Option<Frame>) {
        let is_same = match (&self.time_namespace_page, &page) {
            (Some(old), Some(new)) => old.id() == new.id(),
            (None, None) => true,
            _ => false,
        };
        if is_same {
            return;
        }
        self.time_namespace_page = page;
        let mut page_table = self.page_table.lock();
        for vma in self.vmas.values() {
            if let Backing::Special { mapping, .. } = &vma.backing
                && mapping.follows_time_namespace
            {
                page_table.unmap_range(vma.start, vma.end).flush();
            }
        }
    }

    /// The number of VMAs (`map_count`).
    pub fn map_count(&self) -> usize {
        self.vmas.len()
    }

    /// The page tables, for the context switch (`Mm::activate`).
    pub fn page_table(&self) -> &Arc<SpinLock<UserSpace>> {
        &self.page_table
    }

    /// The lowest page of the main stack so far.
    pub fn stack_floor(&self) -> u64 {
        self.stack_floor.load(Ordering::Relaxed)
    }

    /// Sets the main stack's lowest page (exec).
    pub fn set_stack_floor(&mut self, floor: u64) {
        *self.stack_floor.get_mut() = floor;
    }

    /// The VMA containing `vaddr`.
    pub fn find_vma(&self, vaddr: u64) -> Option<&Vma> {
        self.vmas
            .range(..=vaddr)
            .next_back()
            .map(|(_, vma)| vma)
            .filter(|vma| vma.contains(vaddr))
    }

    /// All VMAs in address order.
    pub fn vmas(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }

    /// Names the file mappings of `inode` with `path` (the path `/proc/<pid>/maps` shows),
    /// for mappings made before the path was known (exec's segments).
    pub fn set_file_path(&mut self, inode: &alloc::sync::Arc<dyn vfs::Inode>, path: &vfs::Path) {
        for vma in self.vmas.values_mut() {
            if let Backing::File {
                inode: mapped,
                path: name,
                ..
            } = &mut vma.backing
                && alloc::sync::Arc::ptr_eq(mapped, inode)
            {
                *name = Some(path.clone());
            }
        }
    }

    /// The files mapped shared in `[start, end)`, each once (msync's `MS_SYNC`).
    pub fn shared_files_in(
        &self,
        start: u64,
        end: u64,
    ) -> Result<alloc::vec::Vec<alloc::sync::Arc<dyn vfs::Inode>>, Errno> {
        let mut files: alloc::vec::Vec<alloc::sync::Arc<dyn vfs::Inode>> = alloc::vec::Vec::new();
        for vma in self
            .vmas
            .range(..end)
            .map(|(_, vma)| vma)
            .filter(|vma| vma.end > start && vma.is_shared)
        {
            if let Backing::File { inode, .. } = &vma.backing
                && !files
                    .iter()
                    .any(|known| alloc::sync::Arc::ptr_eq(known, inode))
            {
                files.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                files.push(inode.clone());
            }
        }
        Ok(files)
    }

    /// Whether any VMA overlaps `[start, end)`.
    pub fn is_range_free(&self, start: u64, end: u64) -> bool {
        if let Some((_, vma)) = self.vmas.range(..end).next_back()
            && vma.end > start
        {
            return false;
        }
        true
    }

    /// Whether part of `[start, end)` is not mapped.
    pub fn has_hole(&self, start: u64, end: u64) -> bool {
        let mut cursor = start;
        for vma in self
            .vmas
            .range(..end)
            .map(|(_, vma)| vma)
            .filter(|vma| vma.end > start)
        {
            if vma.start > cursor {
                return true;
            }
            cursor = vma.end;
        }
        cursor < end
    }

    /// Whether the page at `page` is in memory (`mincore`): a file mapping's page when the
    /// file's page is cached, any other page when it is mapped here.
    pub fn is_resident(&self, page: u64) -> bool {
        let Some(vma) = self.find_vma(page) else {
            return false;
        };
        if let Backing::File { inode, offset, .. } = &vma.backing
            && let Some(cache) = inode.page_cache()
        {
            let index = (offset + (page - vma.start)) / PAGE_SIZE;
            if cache.find(index).is_some() {
                return true;
            }
        }
        self.page_table.lock().flags_at(page).is_some()
    }

    /// Adds a VMA over a range that must be free (callers unmap first), merging it with
    /// compatible neighbours (Linux's `vma_merge` for a new mapping). Three or four tree
    /// lookups: the neighbour after, the one before (which also shows that the range is free),
    /// and the insertion or removal the merge needs.
    pub fn insert_vma(&mut self, vma: Vma) -> Result<(), Errno> {
        if vma.start >= vma.end {
            return Err(Errno::EINVAL);
        }
        // The first VMA at or after the end: a merge candidate if it starts right there.
        let next = self
            .vmas
            .range(vma.end..)
            .next()
            .filter(|(_, next)| vma.can_merge_with(next))
            .map(|(&key, next)| (key, next.end));
        // The last VMA starting before the end must end by the start; it is the neighbour below.
        let prev = self
            .vmas
            .range_mut(..vma.end)
            .next_back()
            .map(|(_, prev)| prev);
        match prev {
            Some(prev) if prev.end > vma.start => Err(Errno::EINVAL),
            Some(prev) if prev.can_merge_with(&vma) => {
                prev.end = vma.end;
                if let Some((next_key, next_end)) = next {
                    prev.end = next_end;
                    self.vmas.remove(&next_key);
                }
                Ok(())
            }
            _ => {
                let mut vma = vma;
                if let Some((next_key, next_end)) = next {
                    vma.end = next_end;
                    self.vmas.remove(&next_key);
                }
                self.vmas.insert(vma.start, vma);
                Ok(())
            }
        }
    }

    /// Merges compatible adjacent VMAs from the one before `start` to the one after `end`
    /// (Linux's `vma_merge` after a mapping or protection change).
    fn merge_range(&mut self, start: u64, end: u64) {
        let mut key = self
            .vmas
            .range(..start)
            .next_back()
            .map_or(start, |(&key, _)| key);
        loop {
            let mut pair = self.vmas.range(key..);
            let (Some((_, first)), Some((&next_key, second))) = (pair.next(), pair.next()) else {
                return;
            };
            if first.can_merge_with(second) {
                let merged_end = second.end;
                self.vmas.remove(&next_key);
                if let Some(first) = self.vmas.get_mut(&key) {
                    first.end = merged_end;
                }
                // `key` stays: the grown VMA may merge with the one after it too.
            } else if next_key >= end {
                return;
            } else {
                key = next_key;
            }
        }
    }

    /// Removes the parts of VMAs inside `[start, end)` from the tree and returns them, putting
    /// back the parts of straddling VMAs that lie outside the range.
    fn take_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        let keys: Vec<u64> = self
            .vmas
            .range(..end)
            .rev()
            .take_while(|(_, vma)| vma.end > start)
            .map(|(&key, _)| key)
            .collect();
        let mut taken = Vec::new();
        for key in keys {
            let Some(vma) = self.vmas.remove(&key) else {
                continue;
            };
            if vma.start < start {
                self.vmas.insert(vma.start, vma.slice(vma.start, start));
            }
            if vma.end > end {
                self.vmas.insert(end, vma.slice(end, vma.end));
            }
            taken.push(vma.slice(start, end));
        }
        taken
    }

    /// Whether a change of `[start, end)` would cut a special mapping (the vDSO's) in pieces,
    /// which Linux refuses (`special_mapping_split`: munmap, mmap over it and mprotect answer
    /// EINVAL); the whole of one may go.
    pub fn splits_special_mapping(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .rev()
            .take_while(|(_, vma)| vma.end > start)
            .any(|(_, vma)| {
                matches!(vma.backing, Backing::Special { .. })
                    && (vma.start < start || vma.end > end)
            })
    }

    /// The common unmaps in one tree lookup and at most one edit: nothing mapped in
    /// `[start, end)`, one VMA that starts at `start` and ends by `end` (munmap of a whole
    /// mapping), or the tail of one VMA (brk shrinking the heap). None of them splits a VMA in
    /// three or cuts a special mapping. Returns false, having changed nothing, for every other
    /// case, which [`AddressSpace::take_range`] handles.
    fn unmap_simple(&mut self, start: u64, end: u64) -> bool {
        // The last VMA starting before the end: the only one in the range, unless it starts
        // after `start` (then others may lie below it).
        let Some((&key, vma)) = self.vmas.range_mut(..end).next_back() else {
            return true;
        };
        if vma.end <= start {
            return true;
        }
        if vma.end > end {
            return false;
        }
        if key == start {
            self.vmas.remove(&key);
            return true;
        }
        if key < start && !matches!(vma.backing, Backing::Special { .. }) {
            // Cutting the end changes neither the start nor the file offset.
            vma.end = start;
            return true;
        }
        false
    }

    /// Removes every mapping in `[start, end)`, splitting VMAs that straddle the edges.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        if !self.unmap_simple(start, end) {
            drop(self.take_range(start, end));
        }
        self.unmapped(start, end);
    }

    /// After the VMAs of `[start, end)` went: unmaps the pages and keeps the free-area cache's
    /// promise ([`AddressSpace::note_hole`]).
    pub(super) fn unmapped(&mut self, start: u64, end: u64) {
        let ceiling = self
            .vmas
            .range(end..)
            .next()
            .map_or(USER_END, |(_, vma)| vma.start);
        let floor = || {
            self.vmas
                .range(..start)
                .next_back()
                .map_or(0, |(_, vma)| vma.end)
        };
        self.page_table
            .lock()
            .unmap_hole(start, end, floor, ceiling)
            .flush();
        self.note_hole(end, ceiling);
    }

    /// Keeps the free-area cache true after the mappings up to `end` were removed: the hole
    /// they leave reaches up to the next VMA, and searches must see all of it. Every path that
    /// removes a mapping comes here, and searches leave the cache at the start of a VMA or at
    /// `mmap_base`, so the page at the cache is mapped unless the cache is at or above
    /// `mmap_base`: a hole that ends at or below the cache then lies wholly below it, where the
    /// next search walks anyway, and the tree need not be asked (munmap of what mmap just
    /// placed, brk shrinking the heap).
    fn note_hole(&mut self, end: u64, next_vma_start: u64) {
        if end <= self.free_area_cache || self.free_area_cache >= self.mmap_base {
            return;
        }
        let hole_top = next_vma_start.min(self.mmap_base);
        self.free_area_cache = self.free_area_cache.max(hole_top);
    }

    /// munmap: [`AddressSpace::unmap_range`], refused with `EINVAL` if it would cut a special
    /// mapping (`special_mapping_split`), and with `ENOMEM` if it would cut a VMA in three
    /// while the process has `vm.max_map_count` VMAs (`do_mas_align_munmap`; other splits are
    /// allowed past the limit, as the unmap frees what it splits off).
    pub fn munmap(&mut self, start: u64, end: u64) -> Result<(), Errno> {
        if self.unmap_simple(start, end) {
            self.unmapped(start, end);
            return Ok(());
        }
        if self.splits_special_mapping(start, end) {
            return Err(Errno::EINVAL);
        }
        self.try_unmap_range(start, end)
    }

    /// [`AddressSpace::unmap_range`], refused with `ENOMEM` if it would cut a VMA in three
    /// while the process has `vm.max_map_count` VMAs (munmap's rule, also `MAP_FIXED`'s).
    pub fn try_unmap_range(&mut self, start: u64, end: u64) -> Result<(), Errno> {
        if let Some(vma) = self.find_vma(start)
            && vma.start < start
            && vma.end > end
            && self.map_count() >= crate::sysctl::max_map_count()
        {
            return Err(Errno::ENOMEM);
        }
        self.unmap_range(start, end);
        Ok(())
    }

    /// Changes the protection of `[start, end)`; `ENOMEM` if part of it is not mapped (as
    /// Linux's mprotect), or if the VMAs it must split would be more than
    /// `vm.max_map_count` (`split_vma`), in which case nothing changes. VMAs that already have
    /// the protection are left alone; changed ones merge with compatible neighbours.
    pub fn protect_range(
        &mut self,
        start: u64,
        end: u64,
        protection: Protection,
    ) -> Result<(), Errno> {
        let mut cursor = start;
        let mut splits = 0;
        let mut changed: Vec<u64> = Vec::new();
        for vma in self
            .vmas
            .range(..end)
            .map(|(_, vma)| vma)
            .filter(|vma| vma.end > start)
        {
            if vma.start > cursor {
                return Err(Errno::ENOMEM);
            }
            // A special mapping may gain only the rights it allows (`VM_MAYWRITE`,
            // `VM_MAYEXEC`): the vDSO's data page stays read-only. And it cannot be split.
            if let Backing::Special { mapping, .. } = &vma.backing {
                if (protection.is_writable && !mapping.may_write)
                    || (protection.is_executable && !mapping.may_execute)
                {
                    return Err(Errno::EACCES);
                }
                if vma.protection != protection && (vma.start < start || vma.end > end) {
                    return Err(Errno::EINVAL);
                }
            }
            // A shared file mapping becomes writable only if the file was open for writing.
            if vma.is_shared
                && protection.is_writable
                && matches!(
                    vma.backing,
                    Backing::File {
                        may_write_shared: false,
                        ..
                    }
                )
            {
                return Err(Errno::EACCES);
            }
            if vma.protection != protection {
                splits += usize::from(vma.start < start) + usize::from(vma.end > end);
                changed.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                changed.push(vma.start);
            }
            cursor = vma.end;
        }
        if cursor < end {
            return Err(Errno::ENOMEM);
        }
        if splits > 0 && self.map_count() + splits > crate::sysctl::max_map_count() {
            return Err(Errno::ENOMEM);
        }
        for vma_start in changed {
            let Some(vma_end) = self.vmas.get(&vma_start).map(|vma| vma.end) else {
                continue;
            };
            for mut middle in self.take_range(vma_start.max(start), vma_end.min(end)) {
                middle.protection = protection;
                self.vmas.insert(middle.start, middle);
            }
        }
        self.merge_range(start, end);
        // Copy-on-write pages stay read-only; the fault path upgrades them.
        self.page_table
            .lock()
            .protect_range(start, end, &mut |current| PageFlags {
                is_accessible: protection.is_accessible(),
                is_writable: protection.is_writable && current.is_writable,
                is_executable: protection.is_executable,
            })
            .flush();
        Ok(())
    }

    /// Finds `len` bytes of free address space, top-down from `mmap_base`, above
    /// `MMAP_MIN_ADDR`: the highest hole that fits. The search starts at the free-area cache
    /// unless a hole passed by earlier searches may fit, and leaves the cache at the top of
    /// the hole it chose (so it holds whether or not the caller maps it).
    pub fn find_free_area(&mut self, len: u64) -> Option<u64> {
        if len <= self.cached_hole_size || self.free_area_cache > self.mmap_base {
            self.free_area_cache = self.mmap_base;
            self.cached_hole_size = 0;
        }
        let mut ceiling = self.free_area_cache;
        let mut found = None;
        for vma in self.vmas.range(..ceiling).rev().map(|(_, vma)| vma) {
            if vma.end <= ceiling {
                let hole = ceiling - vma.end;
                if hole >= len {
                    found = Some(ceiling);
                    break;
                }
                self.cached_hole_size = self.cached_hole_size.max(hole);
            }
            ceiling = ceiling.min(vma.start);
        }
        let top = match found {
            Some(top) => top,
            None if ceiling >= MMAP_MIN_ADDR + len => ceiling,
            None => return None,
        };
        self.free_area_cache = top;
        Some(top - len)
    }

    /// Bytes mapped in total and in data mappings (`total_vm`, `data_vm`), leaving out what lies
    /// in `[skip_start, skip_end)` (a MAP_FIXED request replaces it). The main stack counts from
    /// its floor up, as Linux's stack VMA.
    fn mapped_bytes(&self, skip_start: u64, skip_end: u64) -> (u64, u64) {
        let mut total = 0;
        let mut data = 0;
        let stack_floor = self.stack_floor();
        for vma in self.vmas.values() {
            let start = if vma.kind == VmaKind::Stack {
                vma.start.max(stack_floor.min(vma.end))
            } else {
                vma.start
            };
            let overlap = vma.end.min(skip_end).saturating_sub(start.max(skip_start));
            let len = vma.end - start - overlap;
            total += len;
            if is_data_mapping(vma.protection, vma.is_shared, vma.kind) {
                data += len;
            }
        }
        (total, data)
    }

    /// Linux's `may_expand_vm`: whether `len` more bytes of a mapping (a data mapping if
    /// `is_data`) fit under the limits, counting `[replaced_start, replaced_end)` as freed.
    pub fn may_expand(
        &self,
        limits: MemoryLimits,
        len: u64,
        is_data: bool,
        replaced_start: u64,
        replaced_end: u64,
    ) -> bool {
        if limits.address_space == u64::MAX && (limits.data == u64::MAX || !is_data) {
            return true;
        }
        let (total, data) = self.mapped_bytes(replaced_start, replaced_end);
        let pages = |bytes: u64| bytes / PAGE_SIZE;
        if pages(total) + pages(len) > pages(limits.address_space) {
            return false;
        }
        if is_data && pages(data) + pages(len) > pages(limits.data) {
            return false;
        }
        true
    }

    /// A fault at `vaddr` in the main stack below [`AddressSpace::stack_floor`] grows the stack
    /// (`expand_stack`/`acct_stack_growth`): refused (`NotMapped`, so SIGSEGV) when the stack
    /// would then be larger than the stack limit (`RLIMIT_STACK` at the time of the fault) or
    /// the address space larger than `RLIMIT_AS`; `limits` gives both (stack, address space),
    /// and is asked only when the stack grows.
    ///
    /// The stack VMA is reserved whole at exec (`STACK_LIMIT`); the floor stands in for Linux's
    /// growing `vm_start`.
    pub fn grow_stack(
        &self,
        vaddr: u64,
        limits: impl FnOnce() -> (u64, u64),
    ) -> Result<(), FaultError> {
        let Some(vma) = self.find_vma(vaddr) else {
            return Ok(());
        };
        let page = page_align_down(vaddr);
        let stack_floor = self.stack_floor();
        if vma.kind != VmaKind::Stack || page >= stack_floor {
            return Ok(());
        }
        let (stack_limit, address_space_limit) = limits();
        if vma.end - page > stack_limit {
            return Err(FaultError::NotMapped);
        }
        if address_space_limit != u64::MAX {
            let floor = stack_floor.min(vma.end);
            let (total, _) = self.mapped_bytes(0, 0);
            if (total + floor - page) / PAGE_SIZE > address_space_limit / PAGE_SIZE {
                return Err(FaultError::NotMapped);
            }
        }
        // Two threads of the process may grow it at once: the lower floor wins.
        self.stack_floor.fetch_min(page, Ordering::Relaxed);
        Ok(())
    }

    /// Resolves a page fault at `vaddr`: demand-zero, file read, or copy-on-write. Runs with
    /// the mm lock held for reading; another thread may resolve the same page meanwhile.
    pub fn handle_fault(&self, vaddr: u64, access: Access) -> Result<(), FaultError> {
        let vma = self.find_vma(vaddr).ok_or(FaultError::NotMapped)?;
        let protection = vma.protection;
        let is_shared = vma.is_shared;
        if !protection.is_accessible()
            || (access.is_write && !protection.is_writable)
            || (access.is_execute && !protection.is_executable)
        {
            return Err(FaultError::AccessDenied);
        }
        let page = page_align_down(vaddr);
        let flags = PageFlags::accessible(protection.is_writable, protection.is_executable);
        let is_file = matches!(vma.backing, Backing::File { .. });
        // A file whose dirty pages are written back hears of each write through a shared
        // mapping first (`do_page_mkwrite`); it may refuse (no space: SIGBUS). Its pages are
        // mapped read-only until then.
        let mut write_notify = false;
        if is_shared
            && let Backing::File { inode, offset, .. } = &vma.backing
            && inode.needs_write_notify()
        {
            write_notify = true;
            if access.is_write {
                if vma.is_past_end_of_file(page) {
                    return Err(FaultError::PastEndOfFile);
                }
                let index = (offset + (page - vma.start)) / PAGE_SIZE;
                hal::mm::heap::user_data(|| inode.page_mkwrite(index)).map_err(|error| {
                    if error == Errno::ENOMEM {
                        FaultError::OutOfMemory
                    } else {
                        FaultError::PastEndOfFile
                    }
                })?;
            }
        }
        {
            let mut page_table = self.page_table.lock();
            if let Some(current) = page_table.flags_at(page) {
                return fix_present_page(&mut page_table, page, current, flags, access, is_shared);
            }
            if let Backing::Special {
                mapping,
                offset_pages,
            } = &vma.backing
            {
                return map_special_page(
                    &mut page_table,
                    self.special_page(mapping, offset_pages + (page - vma.start) / PAGE_SIZE),
                    page,
                    flags,
                    access,
                );
            }
            if !is_file {
                if vma.userfault.is_some() {
                    return Err(FaultError::Userfault);
                }
                // Zero-filled or found in the shared object: no sleep, so under the lock.
                let frame = fill_page(vma, page).map_err(|_| FaultError::OutOfMemory)?;
                let previous = page_table
                    .map(page, frame, flags)
                    .map_err(|_| FaultError::OutOfMemory)?;
                drop(page_table);
                drop(previous);
                return Ok(());
            }
        }
        if vma.is_past_end_of_file(page) {
            return Err(FaultError::PastEndOfFile);
        }
        // A file page is found (or read) without the page-table lock (a read may sleep), then
        // mapped unless another thread mapped the page meanwhile: its page stands, and the
        // access is retried against it.
        let (frame, flags) = match file_page(vma, page).map_err(|_| FaultError::OutOfMemory)? {
            FilePage::Private(frame) => (frame, flags),
            // The file's own page: shared mappings write into it; private ones see it until
            // they write, when they get a copy (now, if this fault is that write).
            FilePage::Cached(frame) if is_shared => (
                frame,
                PageFlags {
                    is_writable: flags.is_writable && (access.is_write || !write_notify),
                    ..flags
                },
            ),
            FilePage::Cached(frame) if access.is_write => (
                frame
                    .try_clone_contents()
                    .map_err(|_| FaultError::OutOfMemory)?
                    .into_shared(),
                flags,
            ),
            FilePage::Cached(frame) => (
                frame,
                PageFlags {
                    is_writable: false,
                    ..flags
                },
            ),
        };
        let mut page_table = self.page_table.lock();
        if let Some(current) = page_table.flags_at(page) {
            drop(frame);
            return fix_present_page(&mut page_table, page, current, flags, access, is_shared);
        }
        let previous = page_table
            .map(page, frame, flags)
            .map_err(|_| FaultError::OutOfMemory)?;
        drop(page_table);
        drop(previous);
        if !access.is_write {
            self.fault_around(page);
        }
        Ok(())
    }

    /// Maps the other pages of the aligned `FAULT_AROUND_PAGES` window around a read fault on a
    /// file mapping that are already in the file's page cache, as Linux's `filemap_map_pages`:
    /// programs read their text and data in runs, and one fault instead of sixteen is what
    /// makes exec of a large program cheap. Nothing is allocated or read; the pages are mapped
    /// without write permission (a later write upgrades a shared page or copies a private one
    /// in `handle_fault`); a page that cannot be mapped will simply fault later.
    fn fault_around(&self, page: u64) {
        const FAULT_AROUND_PAGES: u64 = 16;
        let Some(vma) = self.find_vma(page) else {
            return;
        };
        let Backing::File {
            inode,
            offset,
            file_end,
            ..
        } = &vma.backing
        else {
            return;
        };
        let Some(cache) = inode.page_cache() else {
            return;
        };
        let window = FAULT_AROUND_PAGES * PAGE_SIZE;
        let start = (page & !(window - 1)).max(vma.start);
        // Only pages wholly inside the file (and, for ELF segments, before the zero-filled
        // tail), so no page past the end of the file is mapped without its SIGBUS check.
        let file_limit = vma.start
            + page_align_down(cache.size())
                .saturating_sub(*offset)
                .min(vma.end - vma.start);
        let end = (page & !(window - 1))
            .saturating_add(window)
            .min(vma.end)
            .min(file_limit)
            .min(page_align_down(*file_end));
        let read_only = PageFlags::accessible(false, vma.protection.is_executable);
        let first_index = (offset + (start - vma.start)) / PAGE_SIZE;
        let mut address = start;
        let mut index = first_index;
        while address < end {
            if address != page
                && let Some(frame) = cache.find(index)
            {
                let mut page_table = self.page_table.lock();
                // A page mapped meanwhile (by another thread's fault) is kept.
                if page_table.flags_at(address).is_none()
                    && let Ok(previous) = page_table.map(address, frame, read_only)
                {
                    drop(page_table);
                    drop(previous);
                }
            }
            address += PAGE_SIZE;
            index += 1;
        }
    }

    /// Removes from this space the pages of the file behind `cache` with page index in
    /// `first_page..end_page` (Linux's `unmap_mapping_range`): a later touch faults and finds
    /// the file as it is then. With `even_cows`, private copies of those pages go too
    /// (truncation); without, a private mapping keeps the pages it wrote (a punched hole).
    pub fn unmap_file_pages(
        &self,
        cache: &vfs::page_cache::PageCache,
        first_page: u64,
        end_page: u64,
        even_cows: bool,
    ) {
        for vma in self.vmas.values() {
            let Backing::File { inode, offset, .. } = &vma.backing else {
                continue;
            };
            if !inode
                .page_cache()
                .is_some_and(|mapped| core::ptr::eq(mapped, cache))
            {
                continue;
            }
            let vma_first_page = offset / PAGE_SIZE;
            let vma_pages = (vma.end - vma.start) / PAGE_SIZE;
            let from = first_page.max(vma_first_page);
            let to = end_page.min(vma_first_page.saturating_add(vma_pages));
            if from >= to {
                continue;
            }
            let start = vma.start + (from - vma_first_page) * PAGE_SIZE;
            let end = vma.start + (to - vma_first_page) * PAGE_SIZE;
            let mut page_table = self.page_table.lock();
            if vma.is_shared || even_cows {
                page_table.unmap_range(start, end).flush();
                continue;
            }
            // Only the pages that are the file's own (not this space's private copies); only
            // present pages are visited.
            let mut cursor = start;
            while let Some(address) = page_table.next_mapped(cursor, end) {
                let index = from + (address - start) / PAGE_SIZE;
                let is_file_page = page_table.query(address).is_some_and(|(frame, _)| {
                    cache
                        .find(index)
                        .is_some_and(|cached| cached.id() == frame.id())
                });
                if is_file_page {
                    page_table.unmap_range(address, address + PAGE_SIZE).flush();
                }
                cursor = address + PAGE_SIZE;
            }
        }
    }

    /// Makes the shared mappings of file pages `first_page..end_page` of `cache` read-only
    /// (Linux's `page_mkclean`): the next write faults, and the fault tells the file system
    /// (`page_mkwrite`) that the page is dirty again.
    pub fn write_protect_file_pages(
        &self,
        cache: &vfs::page_cache::PageCache,
        first_page: u64,
        end_page: u64,
    ) {
        for vma in self.vmas.values() {
            let Backing::File { inode, offset, .. } = &vma.backing else {
                continue;
            };
            if !vma.is_shared
                || !vma.protection.is_writable
                || !inode
                    .page_cache()
                    .is_some_and(|mapped| core::ptr::eq(mapped, cache))
            {
                continue;
            }
            let vma_first_page = offset / PAGE_SIZE;
            let vma_pages = (vma.end - vma.start) / PAGE_SIZE;
            let from = first_page.max(vma_first_page);
            let to = end_page.min(vma_first_page.saturating_add(vma_pages));
            if from >= to {
                continue;
            }
            let start = vma.start + (from - vma_first_page) * PAGE_SIZE;
            let end = vma.start + (to - vma_first_page) * PAGE_SIZE;
            self.page_table
                .lock()
                .protect_range(start, end, &mut |flags| PageFlags {
                    is_writable: false,
                    ..flags
                })
                .flush();
        }
    }

    /// Whether a shared mapping that may write (the file was open for writing) maps `cache`.
    pub fn maps_shared_writable(&self, cache: &vfs::page_cache::PageCache) -> bool {
        self.vmas.values().any(|vma| {
            vma.is_shared
                && matches!(&vma.backing, Backing::File { inode, may_write_shared: true, .. }
                    if inode.page_cache().is_some_and(|mapped| core::ptr::eq(mapped, cache)))
        })
    }

    /// How many areas map `cache`.
    pub fn mapping_count(&self, cache: &vfs::page_cache::PageCache) -> usize {
        self.vmas
            .values()
            .filter(|vma| {
                matches!(&vma.backing, Backing::File { inode, .. }
                    if inode.page_cache().is_some_and(|mapped| core::ptr::eq(mapped, cache)))
            })
            .count()
    }

    /// Removes the System V shared memory attachment that starts at `start` (`shmdt`): that
    /// area and the areas right after it that map the same segment at the following offsets
    /// (an attachment split by mprotect). `EINVAL` if no attachment starts there.
    pub fn detach_shared_memory(
        &mut self,
        start: u64,
    ) -> Result<alloc::sync::Arc<dyn vfs::Inode>, Errno> {
        let first = self
            .vmas
            .get(&start)
            .filter(|vma| vma.kind == VmaKind::SharedMemory)
            .ok_or(Errno::EINVAL)?;
        let Backing::File { inode, offset, .. } = &first.backing else {
            return Err(Errno::EINVAL);
        };
        if *offset != 0 {
            return Err(Errno::EINVAL);
        }
        let inode = inode.clone();
        let mut end = first.end;
        while let Some(next) = self.vmas.get(&end) {
            let is_same = next.kind == VmaKind::SharedMemory
                && matches!(&next.backing, Backing::File { inode: next_inode, offset, .. }
                    if alloc::sync::Arc::ptr_eq(next_inode, &inode) && *offset == end - start);
            if !is_same {
                break;
            }
            end = next.end;
        }
        self.unmap_range(start, end);
        Ok(inode)
    }

    /// The page caches of the files this space maps, each once per VMA, for registering the
    /// space with them (fork, exec).
    pub fn mapped_caches(&self) -> impl Iterator<Item = &vfs::page_cache::PageCache> {
        self.vmas.values().filter_map(|vma| match &vma.backing {
            Backing::File { inode, .. } => inode.page_cache(),
            _ => None,
        })
    }

    /// A copy of this address space for a forked child (Linux's `dup_mmap`): the same VMAs;
    /// shared mappings map the same frames; private pages are shared read-only by both, and the
    /// first write by either side copies the page (copy-on-write in `handle_fault`).
    pub fn try_fork(&mut self) -> Result<AddressSpace, Errno> {
        let mut child = AddressSpace::try_new()?;
        // MADV_DONTFORK areas are left out of the child; nothing is locked in it (Linux's
        // `dup_mmap` clears VM_LOCKED, and `mm->def_flags` keeps no lock flags).
        let mut is_whole = true;
        for (&start, vma) in &self.vmas {
            if vma.flags.contains(VmaFlags::DONT_FORK) {
                is_whole = false;
            } else {
                let mut copy = vma.clone();
                copy.flags
                    .remove(VmaFlags::LOCKED | VmaFlags::LOCK_ON_FAULT);
                // Without UFFD_FEATURE_EVENT_FORK the child's areas are not registered
                // (`dup_userfaultfd`).
                copy.userfault = None;
                child.vmas.insert(start, copy);
            }
        }
        child.brk_start = self.brk_start;
        child.brk = self.brk;
        child.mmap_base = self.mmap_base;
        // Areas left out are holes the parent's cache knows nothing of: the child's first
        // search starts from the top.
        if is_whole {
            child.free_area_cache = self.free_area_cache;
            child.cached_hole_size = self.cached_hole_size;
        }
        child.set_stack_floor(self.stack_floor());
        child.layout = self.layout.clone();
        child.time_namespace_page = self.time_namespace_page.clone();
        // The child maps the same frames; private pages read-only, so that the first write by
        // either side copies (or, once the other side is gone, reuses) the page. Mapping as we
        // walk needs no list of all pages, which could not be allocated under memory pressure.
        let mut failure = None;
        let mut page_table = self.page_table.lock();
        let mut child_page_table = child.page_table.lock();
        for vma in self.vmas.values() {
            // The child's MADV_WIPEONFORK areas start empty (zero-filled on touch); the vDSO's
            // data pages are found again by the child's faults (it may enter another time
            // namespace before it runs).
            if vma
                .flags
                .intersects(VmaFlags::DONT_FORK | VmaFlags::WIPE_ON_FORK)
                || matches!(&vma.backing, Backing::Special { mapping, .. } if mapping.follows_time_namespace)
            {
                continue;
            }
            let is_shared = vma.is_shared;
            page_table.for_each_mapped(vma.start, vma.end, &mut |vaddr, frame, flags| {
                if failure.is_some() {
                    return;
                }
                let flags = if is_shared {
                    flags
                } else {
                    PageFlags {
                        is_writable: false,
                        ..flags
                    }
                };
                if let Err(error) = child_page_table.map(vaddr, frame.clone(), flags) {
                    failure = Some(error);
                }
            });
            if let Some(error) = failure {
                return Err(error);
            }
        }
        // Then the parent's private pages become read-only too (one flush per VMA).
        for vma in self.vmas.values().filter(|vma| {
            !vma.is_shared
                && !vma
                    .flags
                    .intersects(VmaFlags::DONT_FORK | VmaFlags::WIPE_ON_FORK)
        }) {
            page_table
                .protect_range(vma.start, vma.end, &mut |flags| PageFlags {
                    is_writable: false,
                    ..flags
                })
                .flush();
        }
        drop(page_table);
        drop(child_page_table);
        Ok(child)
    }

    /// The frame backing user address `vaddr` and the offset in it, if its page is present.
    pub fn frame_of(&self, vaddr: u64) -> Option<(FrameId, u64)> {
        let page = page_align_down(vaddr);
        let (frame, _) = self.page_table.lock().query(page)?;
        Some((frame.id(), vaddr - page))
    }

    /// Writes `data` at user address `vaddr` through the page tables (faulting pages in), without
    /// this space being active: exec builds the new stack this way.
    pub fn write_bytes(&mut self, vaddr: u64, data: &[u8]) -> Result<(), Errno> {
        let mut done = 0usize;
        while done < data.len() {
            let address = vaddr + done as u64;
            let page = page_align_down(address);
            let offset = (address - page) as usize;
            let chunk = (PAGE_SIZE as usize - offset).min(data.len() - done);
            if self.page_table.lock().flags_at(page).is_none() {
                self.handle_fault(
                    address,
                    Access {
                        is_write: true,
                        is_execute: false,
                    },
                )
                .map_err(|_| Errno::EFAULT)?;
            }
            let (frame, _) = self.page_table.lock().query(page).ok_or(Errno::EFAULT)?;
            frame.write(offset, &data[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Sets up the heap VMA bookkeeping after exec.
    pub fn set_brk_start(&mut self, start: u64) {
        self.brk_start = start;
        self.brk = start;
    }

    /// Moves the program break as Linux's `brk(2)`: returns the new break, or the old one when
    /// the request is refused (below the start, overlapping a mapping, or out of memory).
    /// `limits` apply as in Linux: the heap is a data mapping (`RLIMIT_DATA`, checked first
    /// against the whole heap as `check_data_rlimit`, then as `may_expand_vm` with the other
    /// mappings), and counts against `RLIMIT_AS`. The executable's data segment is not counted
    /// in the first check.
    pub fn set_brk(&mut self, requested: u64, limits: MemoryLimits) -> u64 {
        if requested < self.brk_start {
            return self.brk;
        }
        if limits.data != u64::MAX && requested - self.brk_start > limits.data {
            return self.brk;
        }
        let Some(new_end) = page_align_up(requested) else {
            return self.brk;
        };
        let Some(old_end) = page_align_up(self.brk) else {
            return self.brk;
        };
        if new_end > old_end {
            if !super::may_commit(new_end - old_end)
                || !self.may_expand(limits, new_end - old_end, true, 0, 0)
            {
                return self.brk;
            }
            // Extend the heap VMA: the last VMA starting before the new end, if it is the heap
            // and ends at the old end (then nothing lies between the two ends). Otherwise the
            // range must be free, and a heap VMA starts there.
            match self.vmas.range_mut(..new_end).next_back() {
                Some((_, heap)) if heap.kind == VmaKind::Heap && heap.end == old_end => {
                    heap.end = new_end;
                }
                Some((_, other)) if other.end > old_end => return self.brk,
                _ => {
                    // A new VMA: refused over the limit, as `do_brk_flags`.
                    if self.vmas.len() > crate::sysctl::max_map_count() {
                        return self.brk;
                    }
                    let heap = Vma {
                        start: old_end,
                        end: new_end,
                        protection: Protection {
                            is_readable: true,
                            is_writable: true,
                            is_executable: false,
                        },
                        is_shared: false,
                        backing: Backing::Anonymous,
                        kind: VmaKind::Heap,
                        flags: VmaFlags::empty(),
                        userfault: None,
                    };
                    if self.insert_vma(heap).is_err() {
                        return self.brk;
                    }
                }
            }
        } else if new_end < old_end {
            self.unmap_range(new_end, old_end);
        }
        self.brk = requested;
        requested
    }

    /// Bytes of all mappings (`total_vm`).
    pub fn mapped_bytes_total(&self) -> u64 {
        self.mapped_bytes(0, 0).0
    }

    /// Pages used by the page tables (`pgtables_bytes` / 4096).
    pub fn page_table_pages(&self) -> usize {
        self.page_table.lock().table_pages()
    }

    /// Number of resident pages (for /proc and sysinfo-style accounting).
    pub fn resident_pages(&self) -> usize {
        let mut count = 0;
        let page_table = self.page_table.lock();
        for vma in self.vmas.values() {
            page_table.for_each_mapped(vma.start, vma.end, &mut |_, _, _| count += 1);
        }
        count
    }
}

/// For a fault on a page that is mapped (`current` rights): restores access after PROT_NONE or
/// a shared page's write right, or breaks copy-on-write.
fn fix_present_page(
    page_table: &mut UserSpace,
    page: u64,
    current: PageFlags,
    flags: PageFlags,
    access: Access,
    is_shared: bool,
) -> Result<(), FaultError> {
    if !current.is_accessible || (access.is_write && !current.is_writable && is_shared) {
        // Made accessible again by mprotect after PROT_NONE, or a shared page made writable
        // again: no copy, ever.
        page_table
            .protect_range(page, page + PAGE_SIZE, &mut |_| flags)
            .flush();
    } else if access.is_write && !current.is_writable {
        // Copy-on-write: hal reuses the page if nothing else holds it, else copies it.
        page_table
            .break_cow(page, flags)
            .map_err(|_| FaultError::OutOfMemory)?;
    }
    Ok(())
}

/// A new frame with the contents `vma` gives page `page` (anonymous memory).
fn fill_page(vma: &Vma, page: u64) -> Result<Frame, Errno> {
    match &vma.backing {
        Backing::Anonymous => Ok(UniqueFrame::try_new_zeroed()?.into_shared()),
        Backing::File { .. } => Ok(file_page(vma, page)?.into_frame()),
        Backing::Special {
            mapping,
            offset_pages,
        } => mapping
            .page(offset_pages + (page - vma.start) / PAGE_SIZE)
            .cloned()
            .ok_or(Errno::EFAULT),
    }
}

/// Maps a page of a special mapping (`frame`, or `None` past its pages: SIGBUS, as Linux's
/// `vvar_fault` for an absent page) read-only: the kernel's frame is never written through a
/// user mapping, so a write to a private copy-on-write mapping copies it at once.
fn map_special_page(
    page_table: &mut UserSpace,
    frame: Option<&Frame>,
    page: u64,
    flags: PageFlags,
    access: Access,
) -> Result<(), FaultError> {
    let frame = frame.ok_or(FaultError::PastEndOfFile)?.clone();
    let read_only = PageFlags {
        is_writable: false,
        ..flags
    };
    let previous = page_table
        .map(page, frame, read_only)
        .map_err(|_| FaultError::OutOfMemory)?;
    drop(previous);
    if access.is_write {
        page_table
            .break_cow(page, flags)
            .map_err(|_| FaultError::OutOfMemory)?;
    }
    Ok(())
}

/// What a file mapping's fault found for a page.
enum FilePage {
    /// The file's page-cache page itself.
    Cached(Frame),
    /// A page of its own: the part of the file up to `file_end` with zeros after it (the last
    /// page of an ELF segment, whose tail starts `.bss`), or a file without a page cache.
    Private(Frame),
}

impl FilePage {
    fn into_frame(self) -> Frame {
        match self {
            FilePage::Cached(frame) | FilePage::Private(frame) => frame,
        }
    }
}

/// The page of a file mapping at `page`.
fn file_page(vma: &Vma, page: u64) -> Result<FilePage, Errno> {
    let Backing::File {
        inode,
        offset,
        file_end,
        ..
    } = &vma.backing
    else {
        return Err(Errno::EINVAL);
    };
    let file_offset = offset + (page - vma.start);
    let valid = if page < *file_end {
        (*file_end - page).min(PAGE_SIZE) as usize
    } else {
        0
    };
    let mut frame = UniqueFrame::try_new_zeroed()?;
    if inode.page_cache().is_some() {
        if valid == 0 {
            return Ok(FilePage::Private(frame.into_shared()));
        }
        // Faults may allocate a page for a hole: it holds user data. (Never `read_at` here: it
        // would take the inode's lock under the mm lock, against the lock order.)
        let cached = hal::mm::heap::user_data(|| inode.fault_page(file_offset / PAGE_SIZE))?;
        if valid == PAGE_SIZE as usize {
            return Ok(FilePage::Cached(cached));
        }
        cached.read(0, &mut frame.bytes_mut()[..valid]);
        return Ok(FilePage::Private(frame.into_shared()));
    }
    let bytes = frame.bytes_mut();
    let mut filled = 0;
    while filled < valid {
        let n = inode.read_at(file_offset + filled as u64, &mut bytes[filled..valid])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(FilePage::Private(frame.into_shared()))
}

/// An anonymous private VMA for the tests.
fn test_vma(start: u64, end: u64, is_writable: bool) -> Vma {
    Vma {
        start,
        end,
        protection: Protection {
            is_readable: true,
            is_writable,
            is_executable: false,
        },
        is_shared: false,
        backing: Backing::Anonymous,
        kind: VmaKind::Normal,
        flags: VmaFlags::empty(),
        userfault: None,
    }
}

/// The highest hole of `len` bytes below `mmap_base`, by a walk over every VMA (what the
/// free-area cache must always agree with).
fn naive_free_area(space: &AddressSpace, len: u64) -> Option<u64> {
    let mut ceiling = space.mmap_base;
    for vma in space
        .vmas
        .range(..space.mmap_base)
        .rev()
        .map(|(_, vma)| vma)
    {
        if vma.end <= ceiling && ceiling - vma.end >= len {
            return Some(ceiling - len);
        }
        ceiling = ceiling.min(vma.start);
    }
    (ceiling >= MMAP_MIN_ADDR + len).then(|| ceiling - len)
}

hal::ktest! {
    /// Pages mapped one after another with one protection become one VMA; alternating
    /// protections do not merge; changing the protection back merges them again.
    fn adjacent_anonymous_vmas_merge() -> hal::ktest::KtestResult {
        let mut space = AddressSpace::try_new().map_err(|error| alloc::format!("{error:?}"))?;
        for _ in 0..100 {
            let start = space.find_free_area(PAGE_SIZE).ok_or("no room")?;
            space
                .insert_vma(test_vma(start, start + PAGE_SIZE, true))
                .map_err(|error| alloc::format!("{error:?}"))?;
        }
        hal::ktest_assert_eq!(space.map_count(), 1);
        let top = space.mmap_base;
        let bottom = top - 100 * PAGE_SIZE;
        hal::ktest_assert!(space.find_vma(bottom).is_some_and(|vma| vma.end == top), "one VMA");
        // Every other page read-only: 100 VMAs; all writable again: one.
        let mut page = bottom;
        while page < top {
            space
                .protect_range(page, page + PAGE_SIZE, test_vma(0, 0, false).protection)
                .map_err(|error| alloc::format!("{error:?}"))?;
            page += 2 * PAGE_SIZE;
        }
        hal::ktest_assert_eq!(space.map_count(), 100);
        space
            .protect_range(bottom, top, test_vma(0, 0, true).protection)
            .map_err(|error| alloc::format!("{error:?}"))?;
        hal::ktest_assert_eq!(space.map_count(), 1);
        // A protection the range already has splits nothing.
        space
            .protect_range(bottom + PAGE_SIZE, bottom + 2 * PAGE_SIZE, test_vma(0, 0, true).protection)
            .map_err(|error| alloc::format!("{error:?}"))?;
        hal::ktest_assert_eq!(space.map_count(), 1);
        // A page that fills the gap between two compatible VMAs joins all three.
        space.unmap_range(bottom + PAGE_SIZE, bottom + 2 * PAGE_SIZE);
        hal::ktest_assert_eq!(space.map_count(), 2);
        space
            .insert_vma(test_vma(bottom + PAGE_SIZE, bottom + 2 * PAGE_SIZE, true))
            .map_err(|error| alloc::format!("{error:?}"))?;
        hal::ktest_assert_eq!(space.map_count(), 1);
        // Overlapping the VMA is refused.
        hal::ktest_assert_eq!(
            space.insert_vma(test_vma(top - PAGE_SIZE, top + PAGE_SIZE, true)),
            Err(Errno::EINVAL)
        );
        Ok(())
    }
}

hal::ktest! {
    /// The unmaps done without a split (a whole VMA, a VMA's tail, nothing mapped) and the
    /// ones that split (a VMA's head, its middle, several VMAs) leave the areas a careful
    /// model expects.
    fn unmap_cuts_areas_as_expected() -> hal::ktest::KtestResult {
        let mut space = AddressSpace::try_new().map_err(|error| alloc::format!("{error:?}"))?;
        let base = space.mmap_base - 64 * PAGE_SIZE;
        let page = |index: u64| base + index * PAGE_SIZE;
        let areas = |space: &AddressSpace| -> Vec<(u64, u64)> {
            space
                .vmas()
                .map(|vma| ((vma.start - base) / PAGE_SIZE, (vma.end - base) / PAGE_SIZE))
                .collect()
        };
        // Alternating protections keep [0, 8), [8, 16), [16, 24) apart.
        for (index, is_writable) in [(0, true), (8, false), (16, true)] {
            space
                .insert_vma(test_vma(page(index), page(index + 8), is_writable))
                .map_err(|error| alloc::format!("{error:?}"))?;
        }
        space.unmap_range(page(6), page(8)); // the tail of the first
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 6), (8, 16), (16, 24)]);
        space.unmap_range(page(30), page(40)); // nothing
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 6), (8, 16), (16, 24)]);
        space.unmap_range(page(16), page(24)); // a whole one
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 6), (8, 16)]);
        space.unmap_range(page(8), page(10)); // a head
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 6), (10, 16)]);
        space.unmap_range(page(12), page(13)); // a middle
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 6), (10, 12), (13, 16)]);
        space.unmap_range(page(4), page(11)); // across two, and the gap between them
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 4), (11, 12), (13, 16)]);
        space.unmap_range(page(12), page(16)); // a whole one above a gap
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(0, 4), (11, 12)]);
        hal::ktest_assert_eq!(space.munmap(page(0), page(2)), Ok(()));
        hal::ktest_assert_eq!(space.munmap(page(11), page(12)), Ok(()));
        hal::ktest_assert_eq!(areas(&space), alloc::vec![(2, 4)]);
        Ok(())
    }
}

hal::ktest! {
    /// The free-area cache finds the same hole as a walk over every VMA, through a random
    /// sequence of mappings and unmappings of random sizes.
    fn free_area_cache_finds_the_highest_hole() -> hal::ktest::KtestResult {
        let mut space = AddressSpace::try_new().map_err(|error| alloc::format!("{error:?}"))?;
        let mut state: u64 = 0x5eed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut mapped: Vec<(u64, u64)> = Vec::new();
        for round in 0..3000 {
            if next() % 3 == 0 && !mapped.is_empty() {
                let (start, end) = mapped.swap_remove(next() as usize % mapped.len());
                // The whole area, or a piece of it (its head, tail or middle).
                let pages = (end - start) / PAGE_SIZE;
                let first = next() % pages;
                let last = first + 1 + next() % (pages - first);
                let (cut_start, cut_end) = if next() % 2 == 0 {
                    (start, end)
                } else {
                    (start + first * PAGE_SIZE, start + last * PAGE_SIZE)
                };
                space.unmap_range(cut_start, cut_end);
                if cut_start > start {
                    mapped.push((start, cut_start));
                }
                if cut_end < end {
                    mapped.push((cut_end, end));
                }
                continue;
            }
            let len = (1 + next() % 8) * PAGE_SIZE;
            let expected = naive_free_area(&space, len);
            let found = space.find_free_area(len);
            hal::ktest_assert!(
                found == expected,
                "round {round}: {len:#x} bytes at {found:#x?}, the highest hole is at {expected:#x?}"
            );
            let Some(start) = found else {
                continue;
            };
            // Alternate protections, so that VMAs stay apart.
            let is_writable = next() % 2 == 0;
            space
                .insert_vma(test_vma(start, start + len, is_writable))
                .map_err(|error| alloc::format!("{error:?}"))?;
            mapped.push((start, start + len));
        }
        Ok(())
    }
}

hal::ktest! {
    /// At `vm.max_map_count`, cutting a VMA in three is refused (munmap and mprotect of its
    /// middle); trimming an end is not.
    fn splits_stop_at_max_map_count() -> hal::ktest::KtestResult {
        let mut space = AddressSpace::try_new().map_err(|error| alloc::format!("{error:?}"))?;
        let top = space.mmap_base;
        // MAX_MAP_COUNT one-page VMAs of alternating protection, top-down.
        for index in 0..MAX_MAP_COUNT as u64 {
            let start = top - (index + 1) * PAGE_SIZE;
            space
                .insert_vma(test_vma(start, start + PAGE_SIZE, index % 2 == 0))
                .map_err(|error| alloc::format!("{error:?}"))?;
        }
        // One four-page VMA below them.
        let four = top - (MAX_MAP_COUNT as u64 + 5) * PAGE_SIZE;
        space
            .insert_vma(test_vma(four, four + 4 * PAGE_SIZE, true))
            .map_err(|error| alloc::format!("{error:?}"))?;
        hal::ktest_assert_eq!(space.map_count(), MAX_MAP_COUNT + 1);
        let middle = four + PAGE_SIZE;
        hal::ktest_assert_eq!(
            space.try_unmap_range(middle, middle + PAGE_SIZE),
            Err(Errno::ENOMEM)
        );
        hal::ktest_assert_eq!(
            space.protect_range(middle, middle + PAGE_SIZE, test_vma(0, 0, false).protection),
            Err(Errno::ENOMEM)
        );
        let last = four + 3 * PAGE_SIZE;
        hal::ktest_assert_eq!(space.try_unmap_range(last, last + PAGE_SIZE), Ok(()));
        hal::ktest_assert_eq!(space.map_count(), MAX_MAP_COUNT + 1);
        // Below the limit, the middle can go.
        space.unmap_range(top - PAGE_SIZE, top);
        space.unmap_range(top - 2 * PAGE_SIZE, top - PAGE_SIZE);
        hal::ktest_assert_eq!(space.try_unmap_range(middle, middle + PAGE_SIZE), Ok(()));
        hal::ktest_assert_eq!(space.map_count(), MAX_MAP_COUNT);
        Ok(())
    }
}
