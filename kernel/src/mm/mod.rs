//! Memory management: user address spaces made of VMAs, demand paging, mmap, brk.

pub mod address_space;
pub mod fault;
pub mod oom;
pub mod vma;

pub use address_space::AddressSpace;
pub use vma::{Backing, Protection, Vma};

/// Page size.
pub const PAGE_SIZE: u64 = 4096;

/// Rounds `value` up to a page boundary, or `None` on overflow.
pub fn page_align_up(value: u64) -> Option<u64> {
    value
        .checked_add(PAGE_SIZE - 1)
        .map(|v| v & !(PAGE_SIZE - 1))
}

/// Linux's heuristic overcommit (`vm.overcommit_memory=0`): one request larger than all of RAM
/// (there is no swap) is refused.
pub fn may_commit(len: u64) -> bool {
    let (total_frames, _) = hal::mm::frame::stats();
    len / PAGE_SIZE <= total_frames as u64
}

/// Rounds `value` down to a page boundary.
pub fn page_align_down(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// The placeholder address space of exited processes (never activated): a zombie keeps no
/// memory. Created on first use.
pub fn exited_address_space() -> alloc::sync::Arc<spin::Mutex<AddressSpace>> {
    static EXITED: spin::Once<alloc::sync::Arc<spin::Mutex<AddressSpace>>> = spin::Once::new();
    EXITED
        .call_once(|| {
            let space = AddressSpace::try_new().unwrap_or_else(|error| {
                panic!("no memory for the exited address space: {error:?}")
            });
            alloc::sync::Arc::new(spin::Mutex::new(space))
        })
        .clone()
}
