//! System-wide page counters that `/proc/meminfo` shows (Linux's `mm/vmstat.c` node counters
//! `NR_FILE_MAPPED` and `NR_ANON_MAPPED`).
//!
//! What a frame counts as is its kind ([`PageKind`]), fixed by its owner while it is still a
//! [`super::frame::UniqueFrame`]: anonymous memory (the default), a file page (page cache,
//! shared anonymous memory and the vDSO's text, which Linux maps through the file rmap), or a
//! kernel page mapped into user space with no accounting (the vDSO's data page, Linux's
//! `VM_PFNMAP` `[vvar]`). `user_space` counts a page when its map count goes from 0 to 1 and
//! uncounts it when it drops back to 0, as Linux's `page_add_*_rmap`/`page_remove_rmap`.
//!
//! Each CPU adds to its own cache-line-sized slot with a relaxed atomic (a thread that moves to
//! another CPU in between only touches that CPU's slot); a reader sums the slots, as
//! `global_node_page_state` sums the per-CPU differentials. No lock anywhere.

use crate::sync::{MAX_CPUS, cpu_id};
use core::sync::atomic::{AtomicIsize, Ordering};

/// What a user-mapped frame counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// Anonymous memory (`AnonPages`).
    Anonymous,
    /// A file or shared-memory page (`Mapped`).
    File,
    /// A kernel page lent to user space, not counted (`VM_PFNMAP`).
    Kernel,
}

/// A counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// File pages mapped at least once (`NR_FILE_MAPPED`).
    FileMapped = 0,
    /// Anonymous pages mapped at least once (`NR_ANON_MAPPED`).
    AnonMapped = 1,
}

const ITEMS: usize = 2;

#[repr(align(64))]
struct Slot([AtomicIsize; ITEMS]);

static SLOTS: [Slot; MAX_CPUS] = [const { Slot([const { AtomicIsize::new(0) }; ITEMS]) }; MAX_CPUS];

/// Adds `delta` pages to `item` on this CPU's slot.
pub(crate) fn add(item: Item, delta: isize) {
    let slot = SLOTS.get(cpu_id()).unwrap_or(&SLOTS[0]);
    slot.0[item as usize].fetch_add(delta, Ordering::Relaxed);
}

/// Pages counted in `item` now (never negative: a reader may see one CPU's increment before
/// another's decrement).
pub fn pages(item: Item) -> usize {
    let sum: isize = SLOTS
        .iter()
        .map(|slot| slot.0[item as usize].load(Ordering::Relaxed))
        .sum();
    sum.max(0) as usize
}
