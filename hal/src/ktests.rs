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

/// Formats an error for a test verdict.
fn failed(error: abi::Errno) -> alloc::string::String {
    alloc::format!("{error:?}")
}

crate::ktest! {
    /// Copy-on-write reuses a page only when the page-table entry holds its sole reference:
    /// any other holder (here a kernel handle, standing for another space or the page cache)
    /// forces a copy, and the map counts follow the entries.
    fn break_cow_copies_unless_the_entry_is_the_only_holder() -> KtestResult {
        use crate::mm::frame::UniqueFrame;
        use crate::mm::user_space::{CowOutcome, PageFlags, UserSpace};
        let mut space = UserSpace::try_new().map_err(failed)?;
        let mut unique = UniqueFrame::try_new_zeroed().map_err(failed)?;
        unique.bytes_mut()[0] = 0x5a;
        let frame = unique.into_shared();
        let vaddr = 0x40_0000;
        let read_only = PageFlags::accessible(false, false);
        let writable = PageFlags::accessible(true, false);
        drop(space.map(vaddr, frame.clone(), read_only).map_err(failed)?);
        crate::ktest_assert_eq!(frame.map_count(), 1);
        crate::ktest_assert_eq!(frame.ref_count(), 2);
        let outcome = space.break_cow(vaddr, writable).map_err(failed)?;
        crate::ktest_assert_eq!(outcome, CowOutcome::Copied);
        crate::ktest_assert_eq!(frame.map_count(), 0);
        crate::ktest_assert_eq!(frame.ref_count(), 1);
        let (copy, flags) = space.query(vaddr).ok_or("nothing mapped after the copy")?;
        crate::ktest_assert!(flags.is_writable, "the copy is not writable");
        let mut byte = [0u8; 1];
        copy.read(0, &mut byte);
        crate::ktest_assert_eq!(byte[0], 0x5a);
        drop(copy);
        // Now the entry holds the copy's only reference: a second break reuses it.
        let only = space
            .protect_range(vaddr, vaddr + PAGE_SIZE as u64, &mut |_| read_only);
        only.flush();
        let outcome = space.break_cow(vaddr, writable).map_err(failed)?;
        crate::ktest_assert_eq!(outcome, CowOutcome::Reused);
        Ok(())
    }
}

crate::ktest! {
    /// Frames unmapped by a range operation stay alive in the flush token until the flush.
    fn unmapped_frames_live_until_the_tlb_flush() -> KtestResult {
        use crate::mm::frame::UniqueFrame;
        use crate::mm::user_space::{PageFlags, UserSpace};
        let mut space = UserSpace::try_new().map_err(failed)?;
        let frame = UniqueFrame::try_new_zeroed().map_err(failed)?.into_shared();
        let vaddr = 0x7000_0000;
        let flags = PageFlags::accessible(true, false);
        drop(space.map(vaddr, frame.clone(), flags).map_err(failed)?);
        let flush = space.unmap_range(vaddr - 0x10_0000, vaddr + 0x10_0000);
        crate::ktest_assert_eq!(frame.map_count(), 0);
        crate::ktest_assert_eq!(frame.ref_count(), 2); // the token holds the frame
        crate::ktest_assert!(space.flags_at(vaddr).is_none(), "the page is still mapped");
        flush.flush();
        crate::ktest_assert_eq!(frame.ref_count(), 1);
        Ok(())
    }
}

crate::ktest! {
    /// A large heap buffer (vmalloc) keeps its bytes while it grows far beyond its first
    /// reservation, and the memory comes back when it is freed.
    fn large_heap_buffers_grow_without_losing_bytes() -> KtestResult {
        use alloc::vec::Vec;
        let (_, free_before) = crate::mm::frame::stats();
        let mut buffer: Vec<u32> = Vec::new();
        for value in 0..(4 << 20) / 4u32 {
            buffer.try_reserve(1).map_err(|_| "no memory for 4 MiB")?;
            buffer.push(value.wrapping_mul(2_654_435_761));
        }
        for (index, &value) in buffer.iter().enumerate() {
            crate::ktest_assert_eq!(value, (index as u32).wrapping_mul(2_654_435_761));
        }
        drop(buffer);
        let (_, free_after) = crate::mm::frame::stats();
        crate::ktest_assert!(
            free_after + 64 >= free_before,
            "{} frames not returned",
            free_before - free_after
        );
        Ok(())
    }
}

crate::ktest! {
    /// User-data frames stop at the memory reserve, and the kernel's small objects still get
    /// memory after that: exhausting user memory cannot starve the kernel's bookkeeping.
    fn user_frames_stop_at_the_reserve_and_the_slab_goes_on() -> KtestResult {
        use crate::mm::frame::UniqueFrame;
        use alloc::boxed::Box;
        use alloc::vec::Vec;
        let (total, _) = crate::mm::frame::stats();
        let mut frames: Vec<UniqueFrame> = Vec::new();
        frames.try_reserve(total).map_err(|_| "no memory for the frame list")?;
        while let Ok(frame) = UniqueFrame::try_new_zeroed() {
            frames.push(frame);
        }
        let (_, free) = crate::mm::frame::stats();
        let reserve = crate::mm::frame::reserve_frames();
        crate::ktest_assert!(free >= reserve, "{free} free frames, below the reserve {reserve}");
        crate::ktest_assert!(free <= reserve + 64, "stopped early: {free} free, reserve {reserve}");
        let mut objects: Vec<Box<[u64; 16]>> = Vec::new();
        objects.try_reserve(1024).map_err(|_| "no memory for the object list")?;
        for _ in 0..1024 {
            objects.push(Box::new([7; 16]));
        }
        drop(objects);
        drop(frames);
        let (_, free) = crate::mm::frame::stats();
        crate::ktest_assert!(free > total / 2, "memory did not come back: {free} of {total} free");
        Ok(())
    }
}
