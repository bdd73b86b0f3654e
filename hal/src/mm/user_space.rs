//! User address spaces: a root page table whose lower half maps user pages and whose upper half
//! is the kernel's, shared.
//!
//! Each present user entry owns one reference to its [`Frame`] and counts in the frame's map
//! count: `map` stores a reference, unmapping hands it back, and dropping the space releases
//! them all, so a page is never freed while user space can still reach it. The kernel's memory
//! manager decides what to map (VMAs, demand paging); this type edits the hardware tables.
//!
//! Entries are updated atomically (swap, compare-and-exchange), so the accessed and dirty bits
//! the MMU sets are never lost, and [`UserSpace::test_and_clear_dirty`] reads them for write-back.
//! Range operations (`unmap_range`, `protect_range`) return a [`TlbFlush`]: the frames they
//! unmapped stay alive in it until the stale translations are flushed (Linux's `mmu_gather`), so
//! no CPU can reach a freed frame through its TLB. Copy-on-write is decided here, where every
//! reference is known ([`UserSpace::break_cow`]): a page whose only reference is this entry is
//! reused, any other holder (another space, the page cache, a pipe) forces a copy.

use super::frame::Frame;
use super::page_table::{
    self, ACCESSED, ADDRESS_MASK, DIRTY, NO_EXECUTE, PRESENT, USER, WRITABLE, alloc_table,
    entry_create, entry_lookup, table,
};
use super::{USER_END, kernel_space};
use crate::arch::x86_64::cpu::{read_cr3, write_cr3};
use abi::Errno;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU64, Ordering};

/// Software bit (ignored by the MMU) marking an entry that holds a frame but is made
/// inaccessible by `PROT_NONE`: the hardware sees it as not present, as Linux's `_PAGE_PROTNONE`.
const PROTNONE: u64 = 1 << 9;
/// The entry holds a frame reference.
const HOLDS_FRAME: u64 = PRESENT | PROTNONE;

/// Access rights of a user page. Accessible pages are always readable (x86 has no write-only
/// or execute-only pages); an inaccessible page (`PROT_NONE`) keeps its frame but faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFlags {
    pub is_accessible: bool,
    pub is_writable: bool,
    pub is_executable: bool,
}

impl PageFlags {
    /// Readable (and optionally writable/executable) rights.
    pub fn accessible(is_writable: bool, is_executable: bool) -> PageFlags {
        PageFlags {
            is_accessible: true,
            is_writable,
            is_executable,
        }
    }

    fn to_entry_bits(self) -> u64 {
        if !self.is_accessible {
            return PROTNONE | USER | NO_EXECUTE;
        }
        let mut bits = PRESENT | USER;
        if self.is_writable {
            bits |= WRITABLE;
        }
        if !self.is_executable {
            bits |= NO_EXECUTE;
        }
        bits
    }

    fn from_entry_bits(entry: u64) -> PageFlags {
        PageFlags {
            is_accessible: entry & PRESENT != 0,
            is_writable: entry & WRITABLE != 0,
            is_executable: entry & NO_EXECUTE == 0,
        }
    }
}

/// Bytes covered by one last-level table (2 MiB), as a shift.
const LEAF_TABLE_SHIFT: u32 = 21;

/// Frames a [`TlbFlush`] holds before it flushes early and lets them go.
const FLUSH_BATCH: usize = 32;
/// Page-table pages a [`TlbFlush`] holds before it flushes early and frees them.
const TABLE_BATCH: usize = 8;

/// Stale translations of a range, and the frames unmapped from it, which are released only
/// after the flush (Linux's `mmu_gather`). Dropping it flushes too.
///
/// The frames are kept as the raw references their entries held (`Frame::into_raw`), in an
/// array of which only the first `count` slots are written: a token is built, moved and
/// dropped on every munmap, mprotect and brk, so it neither initializes nor drops the slots
/// it does not use.
#[must_use = "the TLB must be flushed before the unmapped frames are reused"]
pub struct TlbFlush {
    /// The root of the space the range belongs to (flushing matters only while it is active).
    root: u64,
    start: u64,
    end: u64,
    /// `frames[..count]` are initialized, each one frame reference owned by this token.
    frames: [MaybeUninit<u64>; FLUSH_BATCH],
    count: usize,
    /// `tables[..table_count]` are page-table pages unlinked from the space, freed after the
    /// flush: until then a CPU's paging-structure caches may still walk through them.
    tables: [u64; TABLE_BATCH],
    table_count: usize,
}

impl TlbFlush {
    fn new(root: u64) -> TlbFlush {
        TlbFlush {
            root,
            start: u64::MAX,
            end: 0,
            frames: [const { MaybeUninit::uninit() }; FLUSH_BATCH],
            count: 0,
            tables: [0; TABLE_BATCH],
            table_count: 0,
        }
    }

    /// Records that page `vaddr` changed.
    fn add_page(&mut self, vaddr: u64) {
        self.start = self.start.min(vaddr);
        self.end = self.end.max(vaddr + page_table::PAGE);
    }

    /// Keeps `frame` until the flush; flushes early when the batch is full.
    fn keep(&mut self, frame: Frame) {
        if self.count == FLUSH_BATCH {
            self.flush_now();
        }
        self.frames[self.count].write(frame.into_raw());
        self.count += 1;
    }

    /// Keeps the unlinked table page `paddr`, which mapped addresses from `vaddr`, until the
    /// flush; flushes early when the batch is full. Invalidating any one address also drops
    /// the paging-structure caches (`INVLPG` and a CR3 load both do), so one page is recorded.
    fn keep_table(&mut self, paddr: u64, vaddr: u64) {
        if self.table_count == TABLE_BATCH {
            self.flush_now();
        }
        self.add_page(vaddr);
        self.tables[self.table_count] = paddr;
        self.table_count += 1;
    }

    fn flush_now(&mut self) {
        if self.start < self.end {
            // Other CPUs with the space loaded first (they reload CR3: see `crate::smp`).
            crate::smp::flush_others_range(
                crate::smp::cpus_with_root(self.root),
                self.start,
                self.end,
                false,
            );
        }
        if self.start < self.end && read_cr3() & ADDRESS_MASK == self.root {
            let pages = (self.end - self.start) / page_table::PAGE;
            if pages > crate::smp::FLUSH_PAGES_MAX {
                page_table::flush_all_user();
            } else {
                let mut vaddr = self.start;
                while vaddr < self.end {
                    page_table::flush_page(vaddr);
                    vaddr += page_table::PAGE;
                }
            }
        }
        let count = core::mem::replace(&mut self.count, 0);
        for slot in &self.frames[..count] {
            // SAFETY: slots below the old `count` were written by `keep`, each with a frame
            // reference that only this token holds; `count` is reset first, so each is taken
            // back exactly once.
            drop(Frame::from_raw(unsafe { slot.assume_init() }));
        }
        let table_count = core::mem::replace(&mut self.table_count, 0);
        for &paddr in &self.tables[..table_count] {
            page_table::free_table(paddr);
        }
        self.start = u64::MAX;
        self.end = 0;
    }

    /// Flushes the stale translations, then releases the frames.
    pub fn flush(mut self) {
        self.flush_now();
    }
}

impl Drop for TlbFlush {
    fn drop(&mut self) {
        self.flush_now();
    }
}

/// What [`UserSpace::break_cow`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CowOutcome {
    /// The page had no other holder: it was made writable in place.
    Reused,
    /// The page was copied into a new frame.
    Copied,
}

/// Takes the frame reference an entry holds, keeping the map count right.
fn release_entry(entry_value: u64) -> Frame {
    let frame = Frame::from_raw(entry_value & ADDRESS_MASK);
    if frame.meta().map_count.fetch_sub(1, Ordering::AcqRel) == 1 {
        count_mapped(frame.meta(), -1);
    }
    frame
}

/// Counts a frame whose map count went from 0 to 1 (`delta` 1) or back (-1) as its kind says.
fn count_mapped(meta: &super::meta::FrameMeta, delta: isize) {
    use super::meta::bits;
    use super::vmstat::{Item, add};
    if meta.has(bits::KERNEL) {
        return;
    }
    let item = if meta.has(bits::FILE) {
        Item::FileMapped
    } else {
        Item::AnonMapped
    };
    add(item, delta);
}

/// Unlinks and hands to `flush` every table below `table_paddr` (a table of `level` whose
/// first entry maps `base`) that maps part of `[start, end)` and whose whole span lies in
/// `[floor, ceiling)`. Tables that reach outside the hole are descended into instead.
#[allow(clippy::too_many_arguments)]
fn free_tables_in_hole(
    table_paddr: u64,
    level: u32,
    base: u64,
    start: u64,
    end: u64,
    floor: u64,
    ceiling: u64,
    flush: &mut TlbFlush,
) {
    let shift = 12 + 9 * (level - 1);
    let first = ((start.max(base) - base) >> shift) as usize;
    let last = ((end - base).div_ceil(1 << shift)).min(512) as usize;
    for (index, entry) in (first..).zip(&table(table_paddr)[first..last]) {
        let value = entry.load(Ordering::Acquire);
        if value & PRESENT == 0 || value & page_table::HUGE != 0 {
            continue;
        }
        let child = value & ADDRESS_MASK;
        let span_start = base + ((index as u64) << shift);
        let span_end = span_start + (1 << shift);
        if floor <= span_start && span_end <= ceiling {
            entry.store(0, Ordering::Release);
            free_subtree(child, level - 1, span_start, flush);
        } else if level > 2 {
            free_tables_in_hole(
                child,
                level - 1,
                span_start,
                start,
                end,
                floor,
                ceiling,
                flush,
            );
        }
    }
}

/// Hands the unlinked table `table_paddr` of `level` (mapping from `base`) and the tables below
/// it to `flush`. Its pages were unmapped already (the hole holds no mapping), so last-level
/// tables are not read.
fn free_subtree(table_paddr: u64, level: u32, base: u64, flush: &mut TlbFlush) {
    if level > 1 {
        let shift = 12 + 9 * (level - 1);
        for (index, entry) in table(table_paddr).iter().enumerate() {
            let value = entry.swap(0, Ordering::AcqRel);
            if value & PRESENT != 0 && value & page_table::HUGE == 0 {
                let child_base = base + ((index as u64) << shift);
                free_subtree(value & ADDRESS_MASK, level - 1, child_base, flush);
            }
        }
    }
    flush.keep_table(table_paddr, base);
}

/// One user address space.
pub struct UserSpace {
    root: u64,
}

fn check_user_page(vaddr: u64) -> Result<(), Errno> {
    if !vaddr.is_multiple_of(page_table::PAGE) || vaddr >= USER_END {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl UserSpace {
    /// An empty address space sharing the kernel half, or `ENOMEM`.
    pub fn try_new() -> Result<UserSpace, Errno> {
        let root = alloc_table()?;
        let kernel = table(kernel_space::kernel_root());
        for (entry, kernel_entry) in table(root)[256..].iter().zip(&kernel[256..]) {
            entry.store(kernel_entry.load(Ordering::Acquire), Ordering::Release);
        }
        Ok(UserSpace { root })
    }

    /// Maps `frame` at the page `vaddr`, returning the frame that was there before, if any.
    pub fn map(
        &mut self,
        vaddr: u64,
        frame: Frame,
        flags: PageFlags,
    ) -> Result<Option<Frame>, Errno> {
        check_user_page(vaddr)?;
        let entry = entry_create(self.root, vaddr, PRESENT | WRITABLE | USER)?;
        if frame.meta().map_count.fetch_add(1, Ordering::AcqRel) == 0 {
            count_mapped(frame.meta(), 1);
        }
        let old = entry.swap(frame.into_raw() | flags.to_entry_bits(), Ordering::AcqRel);
        if old & HOLDS_FRAME != 0 {
            self.flush_if_active(vaddr);
            return Ok(Some(release_entry(old)));
        }
        Ok(None)
    }

    /// Removes every mapping in `[start, end)`; the frames are released by the returned flush.
    pub fn unmap_range(&mut self, start: u64, end: u64) -> TlbFlush {
        let mut flush = TlbFlush::new(self.root);
        self.walk_entries(start, end, &mut |vaddr, entry| {
            let old = entry.swap(0, Ordering::AcqRel);
            if old & HOLDS_FRAME != 0 {
                flush.add_page(vaddr);
                flush.keep(release_entry(old));
            }
        });
        flush
    }

    /// Removes every mapping in `[start, end)` and frees the page tables that served only the
    /// hole `[floor, ceiling)` around it, which no mapping may use any more (the caller's
    /// promise: nothing is mapped there outside `[start, end)`). As Linux's `free_pgtables`, a
    /// table goes only when its whole span lies in the hole, so tables shared with a neighbour
    /// stay; a process that maps and unmaps across its address space does not keep the tables
    /// it once needed, and later walks of the range skip it whole. `floor` is asked only when
    /// the ceiling leaves a table that could go.
    pub fn unmap_hole(
        &mut self,
        start: u64,
        end: u64,
        floor: impl FnOnce() -> u64,
        ceiling: u64,
    ) -> TlbFlush {
        let mut flush = self.unmap_range(start, end);
        let start = start & !(page_table::PAGE - 1);
        let end = end.min(USER_END);
        if start >= end || ceiling < end {
            return flush;
        }
        // Last-level spans are the smallest a table covers: unless one that meets the range
        // fits in the hole, no table can go (most munmaps of a small mapping next to another).
        const SPAN: u64 = 1 << LEAF_TABLE_SHIFT;
        let highest = end.next_multiple_of(SPAN).min(ceiling & !(SPAN - 1));
        if highest <= start & !(SPAN - 1) {
            return flush;
        }
        let floor = floor();
        let lowest = (start & !(SPAN - 1)).max(floor.next_multiple_of(SPAN));
        if floor <= start && lowest < highest {
            free_tables_in_hole(self.root, 4, 0, start, end, floor, ceiling, &mut flush);
        }
        flush
    }

    /// Changes the rights of every mapped page in `[start, end)` to `change(current rights)`,
    /// keeping the accessed and dirty bits.
    pub fn protect_range(
        &mut self,
        start: u64,
        end: u64,
        change: &mut dyn FnMut(PageFlags) -> PageFlags,
    ) -> TlbFlush {
        let mut flush = TlbFlush::new(self.root);
        self.walk_entries(start, end, &mut |vaddr, entry| {
            let mut changed = false;
            let _ = entry.fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
                if old & HOLDS_FRAME == 0 {
                    return None;
                }
                let new_bits = change(PageFlags::from_entry_bits(old)).to_entry_bits();
                changed = true;
                Some((old & (ADDRESS_MASK | ACCESSED | DIRTY)) | new_bits)
            });
            if changed {
                flush.add_page(vaddr);
            }
        });
        flush
    }

    /// Makes the copy-on-write page at `vaddr` writable with `flags`: in place when the entry
    /// holds the only reference to its frame, otherwise by mapping a copy. `ENOMEM` if the copy
    /// cannot be allocated, `EFAULT` if no page is mapped there.
    pub fn break_cow(&mut self, vaddr: u64, flags: PageFlags) -> Result<CowOutcome, Errno> {
        check_user_page(vaddr)?;
        let entry = entry_lookup(self.root, vaddr).ok_or(Errno::EFAULT)?;
        let old = entry.load(Ordering::Acquire);
        if old & HOLDS_FRAME == 0 {
            return Err(Errno::EFAULT);
        }
        let paddr = old & ADDRESS_MASK;
        let shared = core::mem::ManuallyDrop::new(Frame::from_raw(paddr));
        if shared.ref_count() == 1 {
            // Only this entry holds the frame (no other space, cache or pipe can see it), and
            // only the owner of `&mut self` can add a holder.
            entry.store(
                (old & (ADDRESS_MASK | ACCESSED | DIRTY)) | flags.to_entry_bits(),
                Ordering::Release,
            );
            self.flush_if_active(vaddr);
            return Ok(CowOutcome::Reused);
        }
        let copy = shared.try_clone_contents()?.into_shared();
        drop(self.map(vaddr, copy, flags)?);
        Ok(CowOutcome::Copied)
    }

    /// Whether the page at `vaddr` was written since the last call, clearing the record
    /// (Linux's `ptep_clear_flush_dirty`, for write-back of shared file pages).
    pub fn test_and_clear_dirty(&mut self, vaddr: u64) -> bool {
        if check_user_page(vaddr).is_err() {
            return false;
        }
        let Some(entry) = entry_lookup(self.root, vaddr) else {
            return false;
        };
        let old = entry.fetch_and(!DIRTY, Ordering::AcqRel);
        if old & HOLDS_FRAME != 0 && old & DIRTY != 0 {
            self.flush_if_active(vaddr);
            return true;
        }
        false
    }

    /// The rights of the page mapped at `vaddr`, without taking a frame reference.
    pub fn flags_at(&self, vaddr: u64) -> Option<PageFlags> {
        check_user_page(vaddr).ok()?;
        let entry = entry_lookup(self.root, vaddr)?.load(Ordering::Acquire);
        (entry & HOLDS_FRAME != 0).then(|| PageFlags::from_entry_bits(entry))
    }

    /// Drops the stale translation of `vaddr` from every CPU that has the space loaded.
    fn flush_if_active(&self, vaddr: u64) {
        crate::smp::flush_others_range(
            crate::smp::cpus_with_root(self.root),
            vaddr,
            vaddr + page_table::PAGE,
            false,
        );
        if read_cr3() & ADDRESS_MASK == self.root {
            page_table::flush_page(vaddr);
        }
    }

    /// Calls `visit(vaddr, entry)` for every level-1 entry in `[start, end)` whose tables exist,
    /// in address order. Missing tables at any level are skipped whole, so a huge sparse range
    /// costs what is mapped in it, not its size.
    fn walk_entries(&self, start: u64, end: u64, visit: &mut dyn FnMut(u64, &AtomicU64)) {
        fn walk(
            table_paddr: u64,
            level: u32,
            base: u64,
            start: u64,
            end: u64,
            visit: &mut dyn FnMut(u64, &AtomicU64),
        ) {
            let shift = 12 + 9 * (level - 1);
            let first = ((start.max(base) - base) >> shift) as usize;
            // One past the last index whose span starts below `end` (the table covers 512).
            let last = ((end - base).div_ceil(1 << shift)).min(512) as usize;
            let entries = table(table_paddr);
            for (index, entry) in (first..).zip(&entries[first..last]) {
                let entry_base = base + ((index as u64) << shift);
                if level == 1 {
                    visit(entry_base, entry);
                    continue;
                }
                let value = entry.load(Ordering::Acquire);
                if value & PRESENT != 0 && value & page_table::HUGE == 0 {
                    walk(
                        value & ADDRESS_MASK,
                        level - 1,
                        entry_base,
                        start,
                        end,
                        visit,
                    );
                }
            }
        }
        let start = start & !(page_table::PAGE - 1);
        let end = end.min(USER_END);
        if start >= end {
            return;
        }
        // A range inside one last-level table (most munmap, mprotect and brk calls): descend
        // once and visit its entries, instead of the general walk's loop at every level.
        if start >> LEAF_TABLE_SHIFT == (end - 1) >> LEAF_TABLE_SHIFT {
            if let Some(entries) = page_table::leaf_table(self.root, start) {
                let first = page_table::leaf_index(start);
                let last = page_table::leaf_index(end - 1) + 1;
                let table_base = start & !((1 << LEAF_TABLE_SHIFT) - 1);
                for (index, entry) in (first..).zip(&entries[first..last]) {
                    visit(table_base + ((index as u64) << 12), entry);
                }
            }
            return;
        }
        walk(self.root, 4, 0, start, end, visit);
    }

    /// The first page in `[start, end)` that maps a frame, skipping absent tables whole, so a
    /// sparse range of any size costs only what is mapped (mremap, hole punching).
    pub fn next_mapped(&self, start: u64, end: u64) -> Option<u64> {
        fn find(table_paddr: u64, level: u32, base: u64, start: u64, end: u64) -> Option<u64> {
            let span = 1u64 << (12 + 9 * (level - 1));
            let first = ((start.max(base) - base) / span) as usize;
            for (index, entry) in table(table_paddr).iter().enumerate().skip(first) {
                let entry_base = base + index as u64 * span;
                if entry_base >= end {
                    return None;
                }
                let value = entry.load(Ordering::Acquire);
                if level == 1 {
                    if value & HOLDS_FRAME != 0 {
                        return Some(entry_base);
                    }
                    continue;
                }
                if value & PRESENT != 0
                    && value & page_table::HUGE == 0
                    && let Some(found) =
                        find(value & ADDRESS_MASK, level - 1, entry_base, start, end)
                {
                    return Some(found);
                }
            }
            None
        }
        let start = start & !(page_table::PAGE - 1);
        let end = end.min(USER_END);
        if start >= end {
            return None;
        }
        find(self.root, 4, 0, start, end)
    }

    /// The frame (a new reference) and rights mapped at page `vaddr`.
    pub fn query(&self, vaddr: u64) -> Option<(Frame, PageFlags)> {
        check_user_page(vaddr).ok()?;
        let entry = entry_lookup(self.root, vaddr)?.load(Ordering::Acquire);
        if entry & HOLDS_FRAME == 0 {
            return None;
        }
        Some((
            Frame::clone_raw(entry & ADDRESS_MASK),
            PageFlags::from_entry_bits(entry),
        ))
    }

    /// Calls `visit(vaddr, frame, flags)` for every mapped page in `[start, end)`, in order.
    pub fn for_each_mapped(
        &self,
        start: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &Frame, PageFlags),
    ) {
        self.walk_entries(start, end, &mut |vaddr, entry| {
            let value = entry.load(Ordering::Acquire);
            if value & HOLDS_FRAME != 0 {
                let frame = core::mem::ManuallyDrop::new(Frame::from_raw(value & ADDRESS_MASK));
                visit(vaddr, &frame, PageFlags::from_entry_bits(value));
            }
        });
    }

    /// Page-table pages of the user half, the root included.
    pub fn table_pages(&self) -> usize {
        fn count(table_paddr: u64, level: u32) -> usize {
            if level == 1 {
                return 1;
            }
            let limit = if level == 4 { 256 } else { 512 };
            1 + table(table_paddr)
                .iter()
                .take(limit)
                .map(|entry| entry.load(Ordering::Acquire))
                .filter(|&value| value & PRESENT != 0)
                .map(|value| count(value & ADDRESS_MASK, level - 1))
                .sum::<usize>()
        }
        count(self.root, 4)
    }

    /// Makes this the address space of the running CPU.
    pub fn activate(&self) {
        if read_cr3() & ADDRESS_MASK != self.root {
            // Published before the load: a CPU that changes the space's entries after this
            // store flushes us too (`smp::cpus_with_root`).
            crate::smp::note_loaded_root(self.root);
            // SAFETY: the root shares the kernel half with the kernel's table, so the kernel keeps
            // running; `self` outlives its activation because `Drop` switches away first, and
            // no other CPU keeps it loaded once its thread has left (the scheduler loads the
            // kernel's table before idling, see `activate_kernel`).
            unsafe { write_cr3(self.root) };
        }
    }

    /// Loads the kernel's own table on this CPU (a CPU going idle with several CPUs online,
    /// so that no idle CPU keeps a dying address space loaded).
    pub fn activate_kernel() {
        let root = kernel_space::kernel_root();
        if read_cr3() & ADDRESS_MASK != root {
            crate::smp::note_loaded_root(root);
            // SAFETY: the kernel table maps everything the kernel needs.
            unsafe { write_cr3(root) };
        }
    }

    /// Releases every user page and table.
    fn release_all(&mut self) {
        fn release(table_paddr: u64, level: u32) {
            let limit = if level == 4 { 256 } else { 512 };
            for entry in table(table_paddr).iter().take(limit) {
                let holds = if level == 1 { HOLDS_FRAME } else { PRESENT };
                let value = entry.swap(0, Ordering::AcqRel);
                if value & holds == 0 {
                    continue;
                }
                if level == 1 {
                    drop(release_entry(value));
                } else {
                    release(value & ADDRESS_MASK, level - 1);
                    page_table::free_table(value & ADDRESS_MASK);
                }
            }
        }
        release(self.root, 4);
    }
}

impl Drop for UserSpace {
    fn drop(&mut self) {
        if read_cr3() & ADDRESS_MASK == self.root {
            crate::smp::note_loaded_root(kernel_space::kernel_root());
            // SAFETY: the kernel table maps everything the kernel needs.
            unsafe { write_cr3(kernel_space::kernel_root()) };
        }
        self.release_all();
        page_table::free_table(self.root);
    }
}
