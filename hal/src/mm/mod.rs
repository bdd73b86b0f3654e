//! Memory: physical frames, the kernel heap, page tables, the kernel's own address space, user
//! address spaces, kernel stacks and MMIO mappings.
//!
//! Virtual layout (the Linux x86-64 one, where it applies):
//! - `0 .. USER_END`: user space (47 bits, minus the last page as Linux keeps it unmapped).
//! - `PHYS_OFFSET ..`: the direct map of physical memory (Linux's `page_offset_base`).
//! - `VMALLOC_BASE ..`: kernel stacks with guard pages, and MMIO.
//! - `KERNEL_BASE ..`: the kernel image (`-2 GiB`, as Linux's `__START_KERNEL_map`).

pub mod arena;
pub mod buddy;
#[cfg(not(test))]
pub mod firmware;
#[cfg(not(test))]
pub mod frame;
#[cfg(not(test))]
pub mod heap;
#[cfg(test)]
pub(crate) mod host_memory;
#[cfg(not(test))]
pub mod kernel_space;
#[cfg(not(test))]
pub mod kstack;
pub mod meta;
#[cfg(not(test))]
pub(crate) mod mmio;
#[cfg(not(test))]
pub(crate) mod page_table;
pub mod slab;
#[cfg(not(test))]
pub mod user_space;
#[cfg(not(test))]
pub mod vmalloc;
#[cfg(not(test))]
pub mod vmstat;

/// Size of a page.
pub const PAGE_SIZE: usize = 4096;
/// Base of the direct map.
pub const PHYS_OFFSET: u64 = 0xffff_8880_0000_0000;
/// Base of the kernel-virtual region for stacks and MMIO.
pub const VMALLOC_BASE: u64 = 0xffff_c900_0000_0000;
/// Base of the kernel image mapping.
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;
/// First address above user space: Linux's `TASK_SIZE_MAX` (2^47 - 4096).
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

/// The kernel-virtual address of a physical address in the direct map.
pub fn phys_to_virt(paddr: u64) -> u64 {
    PHYS_OFFSET + paddr
}

/// Whether `[addr, addr + len)` lies inside user space (and does not wrap).
pub fn is_user_range(addr: u64, len: u64) -> bool {
    addr.checked_add(len).is_some_and(|end| end <= USER_END)
}

/// Rounds down to a page boundary.
pub fn page_floor(addr: u64) -> u64 {
    addr & !(PAGE_SIZE as u64 - 1)
}

/// Rounds up to a page boundary, or `None` on overflow.
pub fn page_ceil(addr: u64) -> Option<u64> {
    Some(addr.checked_add(PAGE_SIZE as u64 - 1)? & !(PAGE_SIZE as u64 - 1))
}
