//! User address spaces: a root page table whose lower half maps user pages and whose upper half
//! is the kernel's, shared.
//!
//! Each present user entry owns one reference to its [`Frame`]: `map` stores a reference,
//! `unmap` hands it back, and dropping the space releases them all, so a page is never freed
//! while user space can still reach it. The kernel's memory manager decides what to map (VMAs,
//! demand paging, copy-on-write); this type only edits the hardware tables safely.

use super::frame::Frame;
use super::page_table::{
    self, ADDRESS_MASK, NO_EXECUTE, PRESENT, USER, WRITABLE, alloc_table, entry_create,
    entry_lookup, table_mut,
};
use super::{USER_END, kernel_space};
use crate::arch::x86_64::cpu::{read_cr3, write_cr3};
use abi::Errno;

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
        let kernel = table_mut(kernel_space::kernel_root());
        table_mut(root)[256..].copy_from_slice(&kernel[256..]);
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
        let old = *entry;
        *entry = frame.into_raw() | flags.to_entry_bits();
        if old & HOLDS_FRAME != 0 {
            page_table::flush_page(vaddr);
            return Ok(Some(Frame::from_raw(old & ADDRESS_MASK)));
        }
        Ok(None)
    }

    /// Removes the mapping of page `vaddr`, returning its frame.
    pub fn unmap(&mut self, vaddr: u64) -> Option<Frame> {
        check_user_page(vaddr).ok()?;
        let entry = entry_lookup(self.root, vaddr)?;
        let old = *entry;
        if old & HOLDS_FRAME == 0 {
            return None;
        }
        *entry = 0;
        page_table::flush_page(vaddr);
        Some(Frame::from_raw(old & ADDRESS_MASK))
    }

    /// Changes the rights of a mapped page; returns whether a page was mapped there.
    pub fn protect(&mut self, vaddr: u64, flags: PageFlags) -> bool {
        if check_user_page(vaddr).is_err() {
            return false;
        }
        let Some(entry) = entry_lookup(self.root, vaddr) else {
            return false;
        };
        if *entry & HOLDS_FRAME == 0 {
            return false;
        }
        *entry = (*entry & ADDRESS_MASK) | flags.to_entry_bits();
        page_table::flush_page(vaddr);
        true
    }

    /// The frame (a new reference) and rights mapped at page `vaddr`.
    pub fn query(&self, vaddr: u64) -> Option<(Frame, PageFlags)> {
        check_user_page(vaddr).ok()?;
        let entry = *entry_lookup(self.root, vaddr)?;
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
        let mut vaddr = start & !(page_table::PAGE - 1);
        let end = end.min(USER_END);
        while vaddr < end {
            // Skip whole empty level-1 tables quickly.
            match entry_lookup(self.root, vaddr) {
                Some(entry) if *entry & HOLDS_FRAME != 0 => {
                    let frame =
                        core::mem::ManuallyDrop::new(Frame::from_raw(*entry & ADDRESS_MASK));
                    visit(vaddr, &frame, PageFlags::from_entry_bits(*entry));
                    vaddr += page_table::PAGE;
                }
                Some(_) => vaddr += page_table::PAGE,
                None => vaddr = (vaddr | 0x1f_ffff) + 1,
            }
        }
    }

    /// Makes this the address space of the running CPU.
    pub fn activate(&self) {
        if read_cr3() & ADDRESS_MASK != self.root {
            // SAFETY: the root shares the kernel half with the kernel's table, so the kernel keeps
            // running; `self` outlives its activation because `Drop` switches away first.
            unsafe { write_cr3(self.root) };
        }
    }

    /// Releases every user page and table.
    fn release_all(&mut self) {
        fn release(table: u64, level: u32) {
            let entries = table_mut(table);
            let limit = if level == 4 { 256 } else { 512 };
            for entry in entries.iter_mut().take(limit) {
                let holds = if level == 1 { HOLDS_FRAME } else { PRESENT };
                if *entry & holds == 0 {
                    continue;
                }
                let paddr = *entry & ADDRESS_MASK;
                *entry = 0;
                if level == 1 {
                    drop(Frame::from_raw(paddr));
                } else {
                    release(paddr, level - 1);
                    page_table::free_table(paddr);
                }
            }
        }
        release(self.root, 4);
    }
}

impl Drop for UserSpace {
    fn drop(&mut self) {
        if read_cr3() & ADDRESS_MASK == self.root {
            // SAFETY: the kernel table maps everything the kernel needs.
            unsafe { write_cr3(kernel_space::kernel_root()) };
        }
        self.release_all();
        page_table::free_table(self.root);
    }
}
