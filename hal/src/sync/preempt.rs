//! The per-CPU preemption count, as Linux's `preempt_count`: how deep the running code is in
//! sections that must not sleep or leave the CPU (spin locks, per-CPU data), and whether it runs
//! in an interrupt handler.
//!
//! Ferrux's kernel is not preemptible today (it runs with interrupts off outside the idle
//! loop), so the count decides nothing yet; it is kept so that a sleep, a context switch or a
//! return to user mode while it is non-zero is caught at once, with Linux's messages ("BUG:
//! sleeping function called from invalid context", "BUG: scheduling while atomic"). The checks
//! are one `gs`-relative compare, so release builds keep them too. The count lives in the
//! per-CPU area and is changed with single `gs`-relative `inc`/`dec` instructions, which an
//! interrupt on the same CPU cannot split.

use crate::arch::x86_64::gdt::PERCPU_PREEMPT_COUNT;
use core::arch::asm;
use core::marker::PhantomData;
use core::panic::Location;

/// One interrupt-handler level in the count (Linux's `HARDIRQ_OFFSET`); below it, the
/// preemption-disable depth.
const HARDIRQ_OFFSET: u32 = 1 << 16;

/// The running CPU's preemption count: preemption-disable depth plus `1 << 16` per interrupt
/// handler level.
#[inline]
pub fn preempt_count() -> u32 {
    let count: u32;
    // SAFETY: GS points at this CPU's per-CPU area (set first thing at boot); the read has no
    // side effect.
    unsafe {
        asm!(
            "mov {:e}, gs:[{offset}]",
            out(reg) count,
            offset = const PERCPU_PREEMPT_COUNT,
            options(nostack, preserves_flags, readonly)
        )
    };
    count
}

/// Whether the running code may not sleep (a spin lock or per-CPU data is held, or it is an
/// interrupt handler).
#[inline]
pub fn in_atomic() -> bool {
    preempt_count() != 0
}

/// Whether the running code is an interrupt handler.
pub fn in_interrupt() -> bool {
    preempt_count() >= HARDIRQ_OFFSET
}

#[inline]
fn add(delta: u32) {
    // SAFETY: as `preempt_count`; a single read-modify-write of this CPU's own count, atomic
    // with respect to interrupts on this CPU (the only other code that touches it). No
    // `nomem`: the asm is a compiler barrier, so the protected accesses stay inside.
    unsafe {
        asm!(
            "add dword ptr gs:[{offset}], {delta:e}",
            offset = const PERCPU_PREEMPT_COUNT,
            delta = in(reg) delta,
            options(nostack)
        )
    };
}

#[inline]
fn sub(delta: u32) {
    // SAFETY: as `add`.
    unsafe {
        asm!(
            "sub dword ptr gs:[{offset}], {delta:e}",
            offset = const PERCPU_PREEMPT_COUNT,
            delta = in(reg) delta,
            options(nostack)
        )
    };
}

/// Disables preemption until the guard is dropped (Linux's `preempt_disable`). Not `Send`: it
/// belongs to the CPU it was taken on.
pub struct PreemptGuard {
    _not_send: PhantomData<*const ()>,
}

impl PreemptGuard {
    #[inline]
    pub fn new() -> PreemptGuard {
        add(1);
        PreemptGuard {
            _not_send: PhantomData,
        }
    }
}

impl Default for PreemptGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PreemptGuard {
    #[inline]
    fn drop(&mut self) {
        // Not preemptible yet: nothing to reschedule when the count reaches zero.
        sub(1);
    }
}

/// Marks the start and end of an interrupt handler (Linux's `irq_enter`/`irq_exit`).
pub(crate) fn irq_enter() {
    add(HARDIRQ_OFFSET);
}

pub(crate) fn irq_exit() {
    sub(HARDIRQ_OFFSET);
}

/// Checks that the caller may sleep (Linux's `might_sleep`): panics, naming the caller and the
/// held locks, if preemption is disabled or an interrupt handler runs.
#[inline]
#[track_caller]
pub fn might_sleep() {
    if in_atomic() {
        invalid_context(Location::caller(), "sleeping function called");
    }
}

/// As [`might_sleep`], for code that may take a page fault on user memory (Linux's
/// `might_fault`): the fault handler takes the sleeping mm lock.
#[inline]
#[track_caller]
pub fn might_fault() {
    if in_atomic() {
        invalid_context(
            Location::caller(),
            "user memory accessed (may fault and sleep)",
        );
    }
}

#[cold]
#[inline(never)]
fn invalid_context(location: &'static Location<'static>, what: &str) -> ! {
    panic!(
        "BUG: {what} from invalid context at {location}: preempt_count {:#x}{}",
        preempt_count(),
        super::lockdep::HeldLocksReport
    );
}

/// Checks that the CPU may switch contexts (Linux's `schedule_debug`): panics with "scheduling
/// while atomic" if preemption is disabled.
#[inline]
pub(crate) fn assert_may_switch() {
    if in_atomic() {
        scheduling_while_atomic();
    }
}

#[cold]
#[inline(never)]
fn scheduling_while_atomic() -> ! {
    panic!(
        "BUG: scheduling while atomic: preempt_count {:#x}{}",
        preempt_count(),
        super::lockdep::HeldLocksReport
    );
}

/// Checks the state for a return to user mode: preemption enabled and (with lockdep) no lock
/// held, as Linux's "lock held when returning to user space" check.
#[inline]
pub(crate) fn assert_may_return_to_user() {
    if in_atomic() {
        returning_while_atomic();
    }
    super::lockdep::assert_none_held("returning to user space");
}

#[cold]
#[inline(never)]
fn returning_while_atomic() -> ! {
    panic!(
        "BUG: returning to user space with preemption disabled: preempt_count {:#x}{}",
        preempt_count(),
        super::lockdep::HeldLocksReport
    );
}
