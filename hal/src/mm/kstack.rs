//! Kernel stacks in the kernel-virtual area, each with an unmapped guard page below it so that
//! an overflow faults (and is reported through the double-fault stack) instead of corrupting
//! whatever lies below.
//!
//! As Linux's `cached_stacks`, a few freed stacks stay mapped and are handed to the next thread
//! as they are: a fork and an exit then neither allocate and map eight frames nor unmap them
//! with a TLB flush each. Linux clears a reused stack because C code can read stack memory it
//! never wrote; here the stale bytes are never read: Rust code reads only what it initialized,
//! and hal's assembly saves and restores registers into the frames it builds.

use super::arena::AllocClass;
use super::page_table::{NO_EXECUTE, WRITABLE};
use super::{PAGE_SIZE, frame, kernel_space};
use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Mutex;

/// Usable size of a kernel stack.
pub const KERNEL_STACK_SIZE: usize = 32 * 1024;
const SLOT_SIZE: u64 = (KERNEL_STACK_SIZE + PAGE_SIZE) as u64;

/// Virtual slots of freed stacks, reused before the area grows.
static FREE_SLOTS: Mutex<Vec<u64>> = Mutex::new(Vec::new());
/// Slots reserved so far (the free list's capacity is kept at least this large).
static SLOTS_CREATED: AtomicUsize = AtomicUsize::new(0);
/// Freed stacks kept mapped for reuse (Linux's `NR_CACHED_STACKS` is 2 per CPU).
const CACHED_STACKS: usize = 4;
/// Slots of freed stacks whose pages are still mapped: `slots[..count]`.
static CACHED: Mutex<CachedStacks> = Mutex::new(CachedStacks {
    slots: [0; CACHED_STACKS],
    count: 0,
});

struct CachedStacks {
    slots: [u64; CACHED_STACKS],
    count: usize,
}

/// An owned kernel stack.
pub struct KernelStack {
    /// Start of the slot; the guard page is `[slot, slot + PAGE_SIZE)`.
    slot: u64,
}

impl KernelStack {
    /// Allocates and maps a stack, or `ENOMEM`.
    pub fn try_new() -> Result<KernelStack, Errno> {
        {
            let mut cached = CACHED.lock();
            if cached.count > 0 {
                cached.count -= 1;
                return Ok(KernelStack {
                    slot: cached.slots[cached.count],
                });
            }
        }
        let slot = {
            let mut free = FREE_SLOTS.lock();
            match free.pop() {
                Some(slot) => slot,
                None => {
                    // Room on the free list for every slot that exists, made now, so that `drop`
                    // never allocates.
                    let slots = SLOTS_CREATED.load(Ordering::Relaxed) + 1;
                    free.try_reserve(slots).map_err(|_| Errno::ENOMEM)?;
                    SLOTS_CREATED.store(slots, Ordering::Relaxed);
                    kernel_space::reserve_virtual(SLOT_SIZE)
                }
            }
        };
        let stack = KernelStack { slot };
        let mut vaddr = slot + PAGE_SIZE as u64;
        while vaddr < slot + SLOT_SIZE {
            let paddr = frame::alloc_pages(0, AllocClass::UserData).ok_or(Errno::ENOMEM)?;
            if let Err(error) = kernel_space::map_kernel_page(vaddr, paddr, WRITABLE | NO_EXECUTE) {
                frame::free_pages(paddr, 0);
                return Err(error);
            }
            vaddr += PAGE_SIZE as u64;
        }
        Ok(stack)
    }

    /// The initial stack pointer (one past the highest byte).
    pub fn top(&self) -> u64 {
        self.slot + SLOT_SIZE
    }

    /// Switches this CPU to `self` and calls `entry(argument)`, never to return. The current
    /// stack is abandoned (used once, to leave the boot stack).
    pub fn run_on(self, entry: extern "C" fn(usize) -> !, argument: usize) -> ! {
        let top = self.top();
        core::mem::forget(self);
        // SAFETY: `top` is the top of a mapped, exclusively owned stack (leaked above so it lives
        // forever); `entry` never returns, so abandoning the old stack is fine.
        unsafe {
            core::arch::asm!(
                "mov rsp, {top}",
                "xor ebp, ebp",
                "call {entry}",
                "ud2",
                top = in(reg) top,
                entry = in(reg) entry,
                in("rdi") argument,
                options(noreturn),
            )
        }
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        {
            let mut cached = CACHED.lock();
            if cached.count < CACHED_STACKS {
                let index = cached.count;
                cached.slots[index] = self.slot;
                cached.count += 1;
                return;
            }
        }
        kernel_space::unmap_and_free(self.slot + PAGE_SIZE as u64, self.slot + SLOT_SIZE);
        FREE_SLOTS.lock().push(self.slot);
    }
}
