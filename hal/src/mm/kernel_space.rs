//! The kernel's address space: the direct map, the kernel image with per-section permissions,
//! and a kernel-virtual area for stacks and device memory.
//!
//! Built once at boot to replace the trampoline's tables: text is read-only and executable,
//! rodata read-only and non-executable, data and bss writable and non-executable, the direct map
//! writable and non-executable (uncached where it covers no RAM). All kernel mappings are global
//! so that switching user address spaces keeps them in the TLB. Every user address space shares
//! the kernel half (root entries 256..512) by copying the root entries; the tables under them are
//! created here, before any user space exists, so later kernel mappings are seen everywhere.

use super::page_table::{
    self, GLOBAL, NO_CACHE, NO_EXECUTE, PRESENT, WRITABLE, WRITE_THROUGH, alloc_table,
    entry_create, map_huge, table,
};
use super::{KERNEL_BASE, PAGE_SIZE, PHYS_OFFSET, VMALLOC_BASE};
use crate::arch::x86_64::cpu::write_cr3;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);
/// Next free address of the kernel-virtual area (a bump pointer; freed stacks are recycled by
/// `kstack`).
static VMALLOC_NEXT: Mutex<u64> = Mutex::new(VMALLOC_BASE);

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __data_end: u8;
}

fn symbol_address(symbol: *const u8) -> u64 {
    symbol as u64
}

/// Physical range occupied by the kernel image (text to the end of bss).
pub(crate) fn image_physical_range() -> (u64, u64) {
    let start = symbol_address(&raw const __text_start) - KERNEL_BASE;
    let end = symbol_address(&raw const __data_end) - KERNEL_BASE;
    (start, end)
}

/// Builds and loads the kernel page tables. `ram` lists usable RAM ranges; the direct map covers
/// `[0, max(4 GiB, end of RAM))` in 2 MiB pages.
pub(crate) fn init(ram: &[(u64, u64)]) {
    let root = alloc_table().unwrap_or_else(|_| panic!("no memory for the kernel page table"));
    let top = ram
        .iter()
        .map(|&(_, end)| end)
        .max()
        .unwrap_or(0)
        .max(1 << 32);
    const HUGE_PAGE: u64 = 2 * 1024 * 1024;
    let mut paddr = 0;
    while paddr < top {
        let overlaps_ram = ram
            .iter()
            .any(|&(start, end)| start < paddr + HUGE_PAGE && paddr < end);
        let mut flags = WRITABLE | NO_EXECUTE | GLOBAL;
        if !overlaps_ram {
            flags |= NO_CACHE | WRITE_THROUGH;
        }
        map_huge(root, PHYS_OFFSET + paddr, paddr, flags)
            .unwrap_or_else(|_| panic!("no memory for the direct map"));
        paddr += HUGE_PAGE;
    }

    let sections = [
        (&raw const __text_start, &raw const __text_end, GLOBAL),
        (
            &raw const __rodata_start,
            &raw const __rodata_end,
            GLOBAL | NO_EXECUTE,
        ),
        (
            &raw const __data_start,
            &raw const __data_end,
            GLOBAL | NO_EXECUTE | WRITABLE,
        ),
    ];
    for (start, end, flags) in sections {
        let mut vaddr = symbol_address(start) & !(PAGE_SIZE as u64 - 1);
        while vaddr < symbol_address(end) {
            let entry = entry_create(root, vaddr, WRITABLE)
                .unwrap_or_else(|_| panic!("no memory for kernel tables"));
            entry.store((vaddr - KERNEL_BASE) | flags | PRESENT, Ordering::Release);
            vaddr += PAGE_SIZE as u64;
        }
    }

    // The level-3 table of the kernel-virtual area must exist before user spaces copy the root.
    let vmalloc_index = ((VMALLOC_BASE >> 39) & 0x1ff) as usize;
    let root_table = table(root);
    if root_table[vmalloc_index].load(Ordering::Acquire) & PRESENT == 0 {
        let new_table = alloc_table().unwrap_or_else(|_| panic!("no memory for kernel tables"));
        root_table[vmalloc_index].store(new_table | PRESENT | WRITABLE, Ordering::Release);
    }

    KERNEL_ROOT.store(root, Ordering::Release);
    // SAFETY: `root` maps the kernel image at the addresses it runs at, the direct map, and the
    // boot stack (in .bss), so execution continues unchanged after the switch.
    unsafe { write_cr3(root) };
}

/// Physical address of the kernel's root table.
pub(crate) fn kernel_root() -> u64 {
    KERNEL_ROOT.load(Ordering::Acquire)
}

/// Reserves `len` bytes (rounded up to pages) of kernel-virtual space.
pub(crate) fn reserve_virtual(len: u64) -> u64 {
    let mut next = VMALLOC_NEXT.lock();
    let start = *next;
    *next += len.div_ceil(PAGE_SIZE as u64) * PAGE_SIZE as u64;
    start
}

/// Maps one kernel page at `vaddr` to `paddr` with the given extra flags.
pub(crate) fn map_kernel_page(vaddr: u64, paddr: u64, flags: u64) -> Result<(), abi::Errno> {
    let entry = entry_create(kernel_root(), vaddr, WRITABLE)?;
    entry.store(paddr | flags | GLOBAL | PRESENT, Ordering::Release);
    page_table::flush_page(vaddr);
    Ok(())
}

/// Removes the kernel mapping at `vaddr`, returning the physical address it had.
pub(crate) fn unmap_kernel_page(vaddr: u64) -> Option<u64> {
    let paddr = unmap_kernel_page_local(vaddr);
    // The frame may be reused once this returns: no other CPU may keep the translation.
    crate::smp::flush_others_range(u64::MAX, vaddr, vaddr + PAGE_SIZE as u64, true);
    paddr
}

/// Removes the kernel mapping at `vaddr` from the page tables and this CPU's TLB only; the
/// caller flushes the other CPUs (`smp::flush_others_range(u64::MAX, start, end, true)`) before it reuses the
/// frame, once for a batch of pages.
pub(crate) fn unmap_kernel_page_local(vaddr: u64) -> Option<u64> {
    let entry = page_table::entry_lookup(kernel_root(), vaddr)?;
    let old = entry.swap(0, Ordering::AcqRel);
    page_table::flush_page(vaddr);
    (old & PRESENT != 0).then_some(old & page_table::ADDRESS_MASK)
}

/// Unmaps the kernel pages `[start, end)` and frees their frames, with one shootdown per
/// batch of pages instead of one per page.
pub(crate) fn unmap_and_free(start: u64, end: u64) {
    const BATCH: usize = 64;
    let mut vaddr = start;
    while vaddr < end {
        let mut frames = [0u64; BATCH];
        let mut count = 0;
        let batch_start = vaddr;
        while vaddr < end && count < BATCH {
            if let Some(paddr) = unmap_kernel_page_local(vaddr) {
                frames[count] = paddr;
                count += 1;
            }
            vaddr += PAGE_SIZE as u64;
        }
        crate::smp::flush_others_range(u64::MAX, batch_start, vaddr, true);
        for &paddr in &frames[..count] {
            super::frame::free_pages(paddr, 0);
        }
    }
}

/// Maps device memory uncached; returns the kernel-virtual address of the page containing `paddr`.
pub(crate) fn map_device(paddr: u64, len: usize) -> u64 {
    let first = paddr & !(PAGE_SIZE as u64 - 1);
    let pages = (paddr + len as u64 - first).div_ceil(PAGE_SIZE as u64);
    let vaddr = reserve_virtual(pages * PAGE_SIZE as u64);
    for i in 0..pages {
        let offset = i * PAGE_SIZE as u64;
        map_kernel_page(
            vaddr + offset,
            first + offset,
            WRITABLE | NO_EXECUTE | NO_CACHE | WRITE_THROUGH,
        )
        .unwrap_or_else(|_| panic!("no memory to map device registers"));
    }
    vaddr
}
