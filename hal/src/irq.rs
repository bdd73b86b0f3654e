//! Device and timer interrupts: acknowledgement, the tick counter, and the kernel's tick hook.

use crate::arch::x86_64::apic;
use crate::arch::x86_64::trap::{VECTOR_SPURIOUS, VECTOR_TIMER};
use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Handles interrupt `vector`, from user or kernel mode.
pub(crate) fn handle(vector: u64) {
    match vector {
        VECTOR_TIMER => {
            TICKS.fetch_add(1, Ordering::Relaxed);
            apic::end_of_interrupt();
        }
        VECTOR_SPURIOUS => {}
        // Spurious lines of the masked legacy PIC (0x37 and 0x3f) need no EOI.
        0x30..=0x3f => {}
        _ => apic::end_of_interrupt(),
    }
}

/// Timer interrupts since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}
