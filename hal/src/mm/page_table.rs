//! Four-level x86-64 page tables, walked and edited through the direct map.
//!
//! This is the one place that writes page-table entries. Tables are frames from the frame
//! allocator; the owners (`kernel_space`, `user_space`) decide what gets mapped and keep the
//! mapped frames alive, which is the invariant that makes the rest of the kernel safe.

use super::{PAGE_SIZE, frame, phys_to_virt};
use abi::Errno;

pub(crate) const PRESENT: u64 = 1 << 0;
pub(crate) const WRITABLE: u64 = 1 << 1;
pub(crate) const USER: u64 = 1 << 2;
pub(crate) const WRITE_THROUGH: u64 = 1 << 3;
pub(crate) const NO_CACHE: u64 = 1 << 4;
pub(crate) const HUGE: u64 = 1 << 7;
pub(crate) const GLOBAL: u64 = 1 << 8;
pub(crate) const NO_EXECUTE: u64 = 1 << 63;
pub(crate) const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;

/// A page table page: 512 entries.
pub(crate) type Table = [u64; 512];

/// Allocates a zeroed table page and returns its physical address.
pub(crate) fn alloc_table() -> Result<u64, Errno> {
    let paddr = frame::alloc_contiguous(1).ok_or(Errno::ENOMEM)?;
    table_mut(paddr).fill(0);
    Ok(paddr)
}

/// Frees a table page allocated by [`alloc_table`].
pub(crate) fn free_table(paddr: u64) {
    frame::free_contiguous(paddr, 1);
}

/// The table at physical address `paddr`.
#[allow(clippy::mut_from_ref)]
pub(crate) fn table_mut(paddr: u64) -> &'static mut Table {
    // SAFETY: callers pass only addresses of table pages they allocated (or the boot tables);
    // the direct map covers them, they are page aligned, and page-table edits are serialised by
    // the owner's lock (one address space is edited by one CPU at a time).
    unsafe { &mut *(phys_to_virt(paddr) as *mut Table) }
}

fn index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Returns the level-1 entry for `vaddr`, creating intermediate tables with `table_flags`.
pub(crate) fn entry_create(
    root: u64,
    vaddr: u64,
    table_flags: u64,
) -> Result<&'static mut u64, Errno> {
    let mut table = root;
    for level in (2..=4).rev() {
        let entry = &mut table_mut(table)[index(vaddr, level)];
        if *entry & PRESENT == 0 {
            let new_table = alloc_table()?;
            *entry = new_table | table_flags | PRESENT;
        } else if *entry & HUGE != 0 {
            return Err(Errno::EINVAL);
        }
        table = *entry & ADDRESS_MASK;
    }
    Ok(&mut table_mut(table)[index(vaddr, 1)])
}

/// Returns the level-1 entry for `vaddr` if the tables leading to it exist.
pub(crate) fn entry_lookup(root: u64, vaddr: u64) -> Option<&'static mut u64> {
    let mut table = root;
    for level in (2..=4).rev() {
        let entry = table_mut(table)[index(vaddr, level)];
        if entry & PRESENT == 0 || entry & HUGE != 0 {
            return None;
        }
        table = entry & ADDRESS_MASK;
    }
    Some(&mut table_mut(table)[index(vaddr, 1)])
}

/// Maps a 2 MiB page (used for the direct map).
pub(crate) fn map_huge(root: u64, vaddr: u64, paddr: u64, flags: u64) -> Result<(), Errno> {
    let mut table = root;
    for level in (3..=4).rev() {
        let entry = &mut table_mut(table)[index(vaddr, level)];
        if *entry & PRESENT == 0 {
            *entry = alloc_table()? | PRESENT | WRITABLE;
        }
        table = *entry & ADDRESS_MASK;
    }
    table_mut(table)[index(vaddr, 2)] = paddr | flags | HUGE | PRESENT;
    Ok(())
}

/// Invalidates the TLB entry for one page on this CPU.
pub(crate) fn flush_page(vaddr: u64) {
    // SAFETY: invlpg only drops a cached translation.
    unsafe { core::arch::asm!("invlpg [{}]", in(reg) vaddr, options(nostack, preserves_flags)) };
}

/// Number of bytes covered by one page.
pub(crate) const PAGE: u64 = PAGE_SIZE as u64;
