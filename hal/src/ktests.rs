//! hal's own in-kernel tests (run with the kernel's, see [`crate::ktest`]): properties of the
//! memory hal hands out that only the running machine can show.

use crate::ktest::KtestResult;
use crate::mm::kstack::{KERNEL_STACK_SIZE, KernelStack};
use crate::mm::page_table::{self, PRESENT};
use crate::mm::{PAGE_SIZE, kernel_space};

/// Whether the kernel page tables map `vaddr`.
fn is_mapped(vaddr: u64) -> bool {
    page_table::entry_lookup(kernel_space::kernel_root(), vaddr)
        .is_some_and(|entry| entry.load(core::sync::atomic::Ordering::Relaxed) & PRESENT != 0)
}

crate::ktest! {
    /// A kernel stack is mapped in full, and the page below it is not: an overflow faults
    /// instead of writing over its neighbour.
    fn kernel_stack_has_guard_page() -> KtestResult {
        let stack = KernelStack::try_new().map_err(|error| alloc::format!("{error:?}"))?;
        let top = stack.top();
        let bottom = top - KERNEL_STACK_SIZE as u64;
        let guard = bottom - PAGE_SIZE as u64;
        let mut page = bottom;
        while page < top {
            crate::ktest_assert!(is_mapped(page), "stack page {page:#x} is not mapped");
            page += PAGE_SIZE as u64;
        }
        crate::ktest_assert!(!is_mapped(guard), "guard page {guard:#x} is mapped");
        crate::ktest_assert!(!is_mapped(top), "the page above the stack ({top:#x}) is mapped");
        Ok(())
    }
}
