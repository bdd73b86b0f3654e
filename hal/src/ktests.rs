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
    /// Unmapping a hole frees the page tables whose whole span lies in it and keeps those a
    /// neighbour still uses, as Linux's `free_pgtables`.
    fn unmapping_a_hole_frees_the_tables_only_it_used() -> KtestResult {
        use crate::mm::frame::UniqueFrame;
        use crate::mm::user_space::{PageFlags, UserSpace};
        const TABLE_SPAN: u64 = 1 << 21;
        let mut space = UserSpace::try_new().map_err(failed)?;
        let flags = PageFlags::accessible(true, false);
        // Pages in three consecutive 2 MiB spans, the first shared with a neighbour.
        let neighbour = 0x4000_0000u64;
        let base = neighbour + PAGE_SIZE as u64;
        for vaddr in [neighbour, base, base + TABLE_SPAN, base + 2 * TABLE_SPAN] {
            let frame = UniqueFrame::try_new_zeroed().map_err(failed)?.into_shared();
            drop(space.map(vaddr, frame, flags).map_err(failed)?);
        }
        let before = space.table_pages();
        // The hole runs from the neighbour's end into the third span: only the second span's
        // table lies wholly in it.
        let end = base + 2 * TABLE_SPAN + PAGE_SIZE as u64;
        space.unmap_hole(base, end, || base, end).flush();
        crate::ktest_assert_eq!(space.table_pages(), before - 1);
        crate::ktest_assert!(space.flags_at(neighbour).is_some(), "the neighbour went");
        crate::ktest_assert!(space.flags_at(base).is_none(), "the hole is still mapped");
        // With the whole region a hole, every table below the top level goes.
        space
            .unmap_hole(0, crate::mm::USER_END, || 0, crate::mm::USER_END)
            .flush();
        crate::ktest_assert_eq!(space.table_pages(), 1);
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

crate::ktest! {
    /// PCI enumeration finds the host bridge at 00:00.0 (i440fx's 8086:1237 or q35's 8086:29c0,
    /// class 06:00:00) through whichever configuration access the machine has, and every BAR
    /// it sized is a power of two of at least the architectural minimum.
    fn pci_enumeration_finds_host_bridge() -> KtestResult {
        let functions = crate::pci::functions();
        let bridge = functions.iter().find(|info| {
            info.address.bus == 0 && info.address.device == 0 && info.address.function == 0
        });
        let Some(bridge) = bridge else {
            return Err(alloc::format!("no function at 00:00.0 among {}", functions.len()));
        };
        crate::ktest_assert!(
            bridge.vendor_id == 0x8086 && bridge.class == 0x06_0000,
            "00:00.0 is {:04x}:{:04x} class {:06x}",
            bridge.vendor_id,
            bridge.device_id,
            bridge.class
        );
        let expected_access = if bridge.device_id == 0x29c0 { "ECAM" } else { "ports" };
        let access = if crate::pci::uses_ecam() { "ECAM" } else { "ports" };
        crate::ktest_assert!(
            access == expected_access,
            "{:04x} configuration space through {access}",
            bridge.device_id
        );
        for info in &functions {
            for bar in info.bars.iter().flatten() {
                let minimum = match bar.kind {
                    crate::pci::BarKind::Io => 4,
                    crate::pci::BarKind::Memory { .. } => 16,
                };
                crate::ktest_assert!(
                    bar.size.is_power_of_two() && bar.size >= minimum,
                    "{} has a BAR of size {:#x}",
                    info.address,
                    bar.size
                );
            }
        }
        Ok(())
    }
}

crate::ktest! {
    /// A function is handed out once: a second claim of the same address finds nothing.
    fn pci_function_is_claimed_once() -> KtestResult {
        let is_bridge = |info: &crate::pci::PciFunctionInfo| {
            info.address.bus == 0 && info.address.device == 0 && info.address.function == 0
        };
        let first = crate::pci::claim(is_bridge);
        crate::ktest_assert!(first.len() == 1, "first claim found {}", first.len());
        let second = crate::pci::claim(is_bridge);
        crate::ktest_assert!(second.is_empty(), "second claim found {}", second.len());
        let device = &first[0];
        crate::ktest_assert!(
            device.read_config_u16(0) == 0x8086,
            "config read through the handle gave {:#x}",
            device.read_config_u16(0)
        );
        // The bridge has no memory BAR: mapping one is refused, not a panic.
        crate::ktest_assert!(
            device.map_bar(0, 0, 4096).is_err() && device.map_bar(7, 0, 1).is_err(),
            "a missing BAR was mapped"
        );
        Ok(())
    }
}

crate::ktest! {
    /// DMA-coherent memory comes zeroed, keeps what is written at checked offsets, and refuses
    /// accesses outside itself or misaligned.
    fn dma_coherent_is_bounded() -> KtestResult {
        let memory = crate::dma::DmaCoherent::try_new(5000).map_err(failed)?;
        crate::ktest_assert!(memory.len() == 2 * PAGE_SIZE, "length {}", memory.len());
        crate::ktest_assert!(memory.read_u32(8188).map_err(failed)? == 0, "not zeroed");
        memory.write_u64(16, 0x1122_3344_5566_7788).map_err(failed)?;
        memory.write_u16(8190, 0xbeef).map_err(failed)?;
        crate::ktest_assert!(
            memory.read_u32(16).map_err(failed)? == 0x5566_7788
                && memory.read_u16(8190).map_err(failed)? == 0xbeef,
            "values not kept"
        );
        crate::ktest_assert!(memory.read_u16(8192).is_err(), "read past the end");
        crate::ktest_assert!(memory.write_u32(2, 1).is_err(), "misaligned write");
        crate::ktest_assert!(memory.dma_addr(8192).is_err(), "address past the end");
        crate::ktest_assert!(
            memory.dma_addr(4096).map_err(failed)? != memory.dma_addr(0).map_err(failed)?,
            "addresses of different bytes are equal"
        );
        Ok(())
    }
}

crate::ktest! {
    /// A device vector's interrupt only marks it pending; its handler runs later, in thread
    /// context, from `run_pending`, once per interrupt taken.
    fn device_interrupt_runs_deferred_handler() -> KtestResult {
        use core::sync::atomic::{AtomicU32, Ordering};
        let runs = alloc::sync::Arc::new(AtomicU32::new(0));
        let seen = runs.clone();
        let handler: crate::irq::IrqHandler = alloc::sync::Arc::new(move || {
            seen.fetch_add(1, Ordering::Relaxed);
        });
        let (vector, id, _) = crate::irq::allocate_vector(
            handler,
            crate::irq::Trigger::Edge,
            crate::irq::Route::None,
        )
        .map_err(failed)?;
        let line = crate::irq::IrqLine::new_test(vector, id);
        crate::irq::run_pending();
        crate::arch::x86_64::apic::send_self_ipi(vector);
        // The IPI waits for interrupts to be enabled: the halt's window takes it.
        let deadline = crate::irq::ticks() + 50;
        while !crate::irq::has_pending() && crate::irq::ticks() < deadline {
            crate::arch::x86_64::cpu::wait_for_interrupt();
        }
        crate::ktest_assert!(
            runs.load(Ordering::Relaxed) == 0,
            "the handler ran in interrupt context"
        );
        crate::ktest_assert!(line.count() == 1, "{} interrupts counted", line.count());
        crate::irq::run_pending();
        crate::ktest_assert!(
            runs.load(Ordering::Relaxed) == 1,
            "handler ran {} times",
            runs.load(Ordering::Relaxed)
        );
        crate::irq::run_pending();
        crate::ktest_assert!(runs.load(Ordering::Relaxed) == 1, "handler ran again");
        drop(line);
        // The vector is free again: a new registration may get it.
        let (again, again_id, _) = crate::irq::allocate_vector(
            alloc::sync::Arc::new(|| {}),
            crate::irq::Trigger::Edge,
            crate::irq::Route::None,
        )
        .map_err(failed)?;
        drop(crate::irq::IrqLine::new_test(again, again_id));
        crate::ktest_assert!(again == vector, "vector {vector:#x} not freed ({again:#x})");
        Ok(())
    }
}
