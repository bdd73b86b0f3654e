//! Four-level x86-64 page tables, walked and edited through the direct map.
//!
//! This is the one place that writes page-table entries. Tables are frames from the frame
//! allocator; the owners (`kernel_space`, `user_space`) decide what gets mapped and keep the
//! mapped frames alive, which is the invariant that makes the rest of the kernel safe.

use super::arena::AllocClass;
use super::{PAGE_SIZE, frame, phys_to_virt};
use abi::Errno;
use core::sync::atomic::{AtomicU64, Ordering};

pub(crate) const PRESENT: u64 = 1 << 0;
pub(crate) const WRITABLE: u64 = 1 << 1;
pub(crate) const USER: u64 = 1 << 2;
pub(crate) const WRITE_THROUGH: u64 = 1 << 3;
pub(crate) const NO_CACHE: u64 = 1 << 4;
pub(crate) const ACCESSED: u64 = 1 << 5;
pub(crate) const DIRTY: u64 = 1 << 6;
pub(crate) const HUGE: u64 = 1 << 7;
pub(crate) const GLOBAL: u64 = 1 << 8;
pub(crate) const NO_EXECUTE: u64 = 1 << 63;
pub(crate) const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;

/// A page table page: 512 entries, each updated atomically (the MMU sets the accessed and
/// dirty bits concurrently, and other CPUs walk the same tables).
pub(crate) type Table = [AtomicU64; 512];

/// Allocates a zeroed table page and returns its physical address.
pub(crate) fn alloc_table() -> Result<u64, Errno> {
    let paddr = frame::alloc_pages(0, AllocClass::UserData).ok_or(Errno::ENOMEM)?;
    for entry in table(paddr) {
        entry.store(0, Ordering::Relaxed);
    }
    Ok(paddr)
}

/// Frees a table page allocated by [`alloc_table`].
pub(crate) fn free_table(paddr: u64) {
    frame::free_pages(paddr, 0);
}

/// The table at physical address `paddr`.
pub(crate) fn table(paddr: u64) -> &'static Table {
    // SAFETY: callers pass only addresses of table pages they allocated (or the boot tables),
    // which stay allocated while any table refers to them; the direct map covers them and they
    // are page aligned. Entries are atomics, so shared references from several walkers (and the
    // MMU's own updates) are fine.
    unsafe { &*(phys_to_virt(paddr) as *const Table) }
}

fn index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Returns the level-1 entry for `vaddr`, creating intermediate tables with `table_flags`.
/// Two walkers racing to create the same table keep one (compare-and-exchange).
pub(crate) fn entry_create(
    root: u64,
    vaddr: u64,
    table_flags: u64,
) -> Result<&'static AtomicU64, Errno> {
    let mut current = root;
    for level in (2..=4).rev() {
        let entry = &table(current)[index(vaddr, level)];
        let mut value = entry.load(Ordering::Acquire);
        if value & PRESENT == 0 {
            let new_table = alloc_table()?;
            let new_value = new_table | table_flags | PRESENT;
            match entry.compare_exchange(value, new_value, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => value = new_value,
                Err(winner) => {
                    free_table(new_table);
                    value = winner;
                }
            }
        }
        if value & HUGE != 0 {
            return Err(Errno::EINVAL);
        }
        current = value & ADDRESS_MASK;
    }
    Ok(&table(current)[index(vaddr, 1)])
}

/// Returns the level-1 entry for `vaddr` if the tables leading to it exist.
pub(crate) fn entry_lookup(root: u64, vaddr: u64) -> Option<&'static AtomicU64> {
    Some(&leaf_table(root, vaddr)?[index(vaddr, 1)])
}

/// The last-level table that holds `vaddr`'s entry, if the tables leading to it exist.
pub(crate) fn leaf_table(root: u64, vaddr: u64) -> Option<&'static Table> {
    let mut current = root;
    for level in (2..=4).rev() {
        let entry = table(current)[index(vaddr, level)].load(Ordering::Acquire);
        if entry & PRESENT == 0 || entry & HUGE != 0 {
            return None;
        }
        current = entry & ADDRESS_MASK;
    }
    Some(table(current))
}

/// The index of `vaddr`'s entry in its last-level table.
pub(crate) fn leaf_index(vaddr: u64) -> usize {
    index(vaddr, 1)
}

/// Maps a 2 MiB page (used for the direct map).
pub(crate) fn map_huge(root: u64, vaddr: u64, paddr: u64, flags: u64) -> Result<(), Errno> {
    let mut current = root;
    for level in (3..=4).rev() {
        let entry = &table(current)[index(vaddr, level)];
        if entry.load(Ordering::Acquire) & PRESENT == 0 {
            entry.store(alloc_table()? | PRESENT | WRITABLE, Ordering::Release);
        }
        current = entry.load(Ordering::Acquire) & ADDRESS_MASK;
    }
    table(current)[index(vaddr, 2)].store(paddr | flags | HUGE | PRESENT, Ordering::Release);
    Ok(())
}

/// Invalidates the whole non-global TLB of this CPU (reloads CR3).
pub(crate) fn flush_all_user() {
    let root = crate::arch::x86_64::cpu::read_cr3();
    // SAFETY: reloading the active root changes no mapping; it only drops cached non-global
    // translations.
    unsafe { crate::arch::x86_64::cpu::write_cr3(root) };
}

/// Invalidates this CPU's whole TLB, global (kernel) entries included: CR4.PGE off and on.
pub(crate) fn flush_everything() {
    let cr4 = crate::arch::x86_64::cpu::read_cr4();
    // SAFETY: toggling PGE changes no mapping; it only drops every cached translation.
    unsafe {
        crate::arch::x86_64::cpu::write_cr4(cr4 & !(1 << 7));
        crate::arch::x86_64::cpu::write_cr4(cr4);
    }
}

/// Invalidates the TLB entry for one page on this CPU.
pub(crate) fn flush_page(vaddr: u64) {
    // SAFETY: invlpg only drops a cached translation.
    unsafe { core::arch::asm!("invlpg [{}]", in(reg) vaddr, options(nostack, preserves_flags)) };
}

/// Number of bytes covered by one page.
pub(crate) const PAGE: u64 = PAGE_SIZE as u64;
