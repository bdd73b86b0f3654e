//! The frame arena: all page frames of RAM with their metadata, the buddy allocator behind a
//! zone lock, per-CPU lists of single free frames in front of it, and the free-memory reserve.
//!
//! As in Linux's `mm/page_alloc.c`, single frames (by far the most common request: user pages,
//! page tables, slab pages) come from a per-CPU list that is refilled from and drained to the
//! buddy lists in batches, so the zone lock is taken once per batch (`rmqueue_pcplist`,
//! `free_unref_page`). Larger blocks go to the buddy allocator directly.
//!
//! **The reserve** (Linux's `min_free_kbytes`, sized by the same square-root rule) keeps the
//! kernel's own bookkeeping allocatable when user data has taken all the rest of memory. Each
//! request names its [`AllocClass`], which decides how deep into the reserve it may go:
//! user data (user pages, page tables, kernel stacks, file and pipe pages) stops at the
//! reserve, large kernel buffers may use half of it, and the slab's small objects all of it.
//! Linux lets small kernel allocations "never fail" by reclaiming and OOM-killing until memory
//! comes back; Ferrux has nothing to reclaim yet, so the reserve is what lets the kernel keep
//! working while user-data requests fail cleanly (ENOMEM, ENOSPC, or the OOM killer).
//!
//! Locks: each per-CPU list and the zone have a plain `spin::Mutex`, taken per-CPU list first,
//! then the zone. They are the innermost locks of the kernel (every allocation may take them,
//! under any other lock), are never held across anything but list edits, and are not tracked by
//! the lock-order checker, which itself allocates. The slab's class locks sit just above them.
//!
//! The arena is plain safe code over a `&'static [FrameMeta]`: it hands out frame numbers and
//! never touches frame contents. The kernel's arena spans RAM and its frames are reached through
//! the direct map; host tests build arenas over leaked buffers (see `host_tests`).

use super::buddy::{BuddyAllocator, MAX_ORDER};
use super::meta::{FrameMeta, NONE, bits};
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Mutex;

/// CPUs with a per-CPU frame list (more CPUs share the last list).
pub const MAX_CPUS: usize = 64;
/// A per-CPU list holds at most this many frames (2 MiB) before it drains a batch (Linux's
/// `pcp->high`): enough that mapping and unmapping a few hundred pages, or a fork and exit,
/// cycle frames through the list without touching the zone lock or the buddy lists.
const PCP_HIGH: usize = 512;
/// Frames moved between a per-CPU list and the buddy lists at once (`pcp->batch`, 63 in Linux
/// for zones this size).
const PCP_BATCH: usize = 64;

/// Who asks for frames, which decides how much of the reserve may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocClass {
    /// Memory that grows with what user space does; fails at the reserve.
    UserData,
    /// Large kernel buffers; may use half of the reserve.
    Kernel,
    /// The slab's small kernel objects; may use all of the reserve.
    Slab,
}

/// Single free frames cached for one CPU: a stack threaded through the frames' metadata
/// (`next`), as Linux's `pcp->lists`, so it costs no memory of its own whatever its length.
#[derive(Debug)]
struct PageList {
    head: u32,
    count: usize,
}

impl PageList {
    const fn new() -> PageList {
        PageList {
            head: NONE,
            count: 0,
        }
    }

    /// Pushes a free frame that the list's lock holder owns.
    fn push(&mut self, meta: &[FrameMeta], frame: usize) {
        let entry = &meta[frame];
        // The frame is free: its flags and links belong to the list.
        entry.flags.store(bits::PCP, Ordering::Relaxed);
        entry.next.store(self.head, Ordering::Relaxed);
        self.head = frame as u32;
        self.count += 1;
    }

    /// Pops the most recently pushed frame (the warmest in the caches).
    fn pop(&mut self, meta: &[FrameMeta]) -> Option<usize> {
        if self.head == NONE {
            return None;
        }
        let frame = self.head as usize;
        let entry = &meta[frame];
        self.head = entry.next.load(Ordering::Relaxed);
        entry.next.store(NONE, Ordering::Relaxed);
        entry.flags.store(0, Ordering::Relaxed);
        self.count -= 1;
        Some(frame)
    }
}

/// All frames of one memory arena.
pub struct FrameArena {
    meta: &'static [FrameMeta],
    zone: Mutex<BuddyAllocator>,
    per_cpu: [Mutex<PageList>; MAX_CPUS],
    total_frames: AtomicUsize,
    /// Frames on the buddy lists and the per-CPU lists.
    free_frames: AtomicUsize,
    reserve_frames: AtomicUsize,
}

impl FrameArena {
    /// An arena over `meta` (one entry per frame number, zeroed), with no free frames yet.
    pub fn new(meta: &'static [FrameMeta]) -> FrameArena {
        FrameArena {
            meta,
            zone: Mutex::new(BuddyAllocator::new()),
            per_cpu: [const { Mutex::new(PageList::new()) }; MAX_CPUS],
            total_frames: AtomicUsize::new(0),
            free_frames: AtomicUsize::new(0),
            reserve_frames: AtomicUsize::new(0),
        }
    }

    /// The metadata of every frame.
    pub fn meta(&self) -> &'static [FrameMeta] {
        self.meta
    }

    /// Adds the free frames `[first, last)` and resizes the reserve to Linux's
    /// `min_free_kbytes = sqrt(16 * RAM in KiB)` (at least 128 KiB, at most 64 MiB).
    pub fn add_frames(&self, first: usize, last: usize) {
        let last = last.min(self.meta.len());
        if last <= first {
            return;
        }
        self.zone.lock().add_range(self.meta, first, last);
        let total = self.total_frames.fetch_add(last - first, Ordering::Relaxed) + last - first;
        self.free_frames.fetch_add(last - first, Ordering::Relaxed);
        let ram_kib = total * 4;
        let reserve_kib = integer_sqrt(ram_kib * 16).clamp(128, 64 * 1024);
        self.reserve_frames
            .store(reserve_kib / 4, Ordering::Relaxed);
    }

    /// Total frames given to the arena.
    pub fn total_frames(&self) -> usize {
        self.total_frames.load(Ordering::Relaxed)
    }

    /// Free frames (on the buddy and per-CPU lists).
    pub fn free_frames(&self) -> usize {
        self.free_frames.load(Ordering::Relaxed)
    }

    /// Frames kept back from [`AllocClass::UserData`] requests.
    pub fn reserve_frames(&self) -> usize {
        self.reserve_frames.load(Ordering::Relaxed)
    }

    /// Free blocks of each order (per-CPU lists not included), as `/proc/buddyinfo`.
    pub fn free_blocks(&self) -> [usize; MAX_ORDER + 1] {
        self.zone.lock().free_blocks()
    }

    /// Claims `count` frames against the free count, stopping at the class's floor.
    fn claim(&self, count: usize, class: AllocClass) -> bool {
        let floor = match class {
            AllocClass::UserData => self.reserve_frames(),
            AllocClass::Kernel => self.reserve_frames() / 2,
            AllocClass::Slab => 0,
        };
        self.free_frames
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |free| {
                (free >= count + floor).then(|| free - count)
            })
            .is_ok()
    }

    /// Allocates `2^order` contiguous, naturally aligned frames; returns the first frame number.
    /// The first frame's reference count is 1, the others' 0.
    pub fn alloc(&self, order: usize, class: AllocClass, cpu: usize) -> Option<usize> {
        if order > MAX_ORDER || !self.claim(1 << order, class) {
            return None;
        }
        let take = || {
            if order == 0 {
                self.alloc_single(cpu)
            } else {
                self.zone.lock().alloc(self.meta, order)
            }
        };
        // Free frames may sit on other CPUs' lists, or keep blocks from merging: drain and retry.
        let frame = take().or_else(|| {
            self.drain_per_cpu_lists();
            take()
        });
        let Some(frame) = frame else {
            // Free frames exist but not as a block of this order (fragmentation).
            self.free_frames.fetch_add(1 << order, Ordering::AcqRel);
            return None;
        };
        let head = &self.meta[frame];
        head.reset_for_use();
        head.ref_count.store(1, Ordering::Release);
        Some(frame)
    }

    fn alloc_single(&self, cpu: usize) -> Option<usize> {
        let mut list = self.per_cpu[cpu.min(MAX_CPUS - 1)].lock();
        if list.count == 0 {
            let mut zone = self.zone.lock();
            while list.count < PCP_BATCH {
                let Some(frame) = zone.alloc(self.meta, 0) else {
                    break;
                };
                list.push(self.meta, frame);
            }
        }
        list.pop(self.meta)
    }

    /// Returns a block that [`FrameArena::alloc`] handed out.
    pub fn free(&self, frame: usize, order: usize, cpu: usize) {
        let head = &self.meta[frame];
        head.reset_for_use();
        head.ref_count.store(0, Ordering::Relaxed);
        if order == 0 {
            let mut list = self.per_cpu[cpu.min(MAX_CPUS - 1)].lock();
            if list.count == PCP_HIGH {
                let mut zone = self.zone.lock();
                for _ in 0..PCP_BATCH {
                    let Some(cached) = list.pop(self.meta) else {
                        break;
                    };
                    zone.free(self.meta, cached, 0);
                }
            }
            list.push(self.meta, frame);
        } else {
            self.zone.lock().free(self.meta, frame, order);
        }
        self.free_frames.fetch_add(1 << order, Ordering::AcqRel);
    }

    /// Moves every per-CPU frame back to the buddy lists (so large blocks can form again).
    pub fn drain_per_cpu_lists(&self) {
        for list in &self.per_cpu {
            let mut list = list.lock();
            if list.count == 0 {
                continue;
            }
            let mut zone = self.zone.lock();
            while let Some(frame) = list.pop(self.meta) {
                zone.free(self.meta, frame, 0);
            }
        }
    }
}

fn integer_sqrt(value: usize) -> usize {
    if value < 2 {
        return value;
    }
    let mut x = value;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + value / x) / 2;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn arena(frames: usize) -> FrameArena {
        let meta: Vec<FrameMeta> = (0..frames).map(|_| FrameMeta::default()).collect();
        let arena = FrameArena::new(meta.leak());
        arena.add_frames(0, frames);
        arena
    }

    #[test]
    fn reserve_follows_linux_min_free_kbytes() {
        // 512 MiB of RAM: sqrt(524288 * 16) = 2896 KiB.
        let arena = arena(131072);
        assert_eq!(arena.reserve_frames(), 2896 / 4);
        assert_eq!(integer_sqrt(1 << 20), 1024);
        assert_eq!(integer_sqrt(15), 3);
    }

    #[test]
    fn each_class_stops_at_its_floor() {
        let arena = arena(1024); // 4 MiB: sqrt(4096 * 16) = 256 KiB = 64 frames
        assert_eq!(arena.reserve_frames(), 64);
        let mut taken = Vec::new();
        while let Some(frame) = arena.alloc(0, AllocClass::UserData, 0) {
            taken.push(frame);
        }
        assert_eq!(taken.len(), 1024 - 64);
        assert_eq!(arena.free_frames(), 64);
        while let Some(frame) = arena.alloc(0, AllocClass::Kernel, 0) {
            taken.push(frame);
        }
        assert_eq!(taken.len(), 1024 - 32);
        while let Some(frame) = arena.alloc(0, AllocClass::Slab, 0) {
            taken.push(frame);
        }
        assert_eq!(taken.len(), 1024);
        assert_eq!(arena.free_frames(), 0);
        let mut sorted = taken.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 1024, "no frame handed out twice");
        for frame in taken {
            arena.free(frame, 0, 0);
        }
        assert_eq!(arena.free_frames(), 1024);
    }

    #[test]
    fn per_cpu_lists_drain_so_large_blocks_form_again() {
        let arena = arena(2048);
        let frames: Vec<usize> = (0..2048 - 64)
            .map(|_| arena.alloc(0, AllocClass::Slab, 1).unwrap())
            .collect();
        for frame in frames {
            arena.free(frame, 0, 1);
        }
        arena.drain_per_cpu_lists();
        assert_eq!(arena.free_blocks()[MAX_ORDER], 2);
        assert!(arena.alloc(MAX_ORDER, AllocClass::UserData, 0).is_some());
    }

    #[test]
    fn fragmentation_failure_gives_the_claim_back() {
        let arena = arena(64);
        let frames: Vec<usize> = (0..64)
            .map(|_| arena.alloc(0, AllocClass::Slab, 0).unwrap())
            .collect();
        for &frame in frames.iter().filter(|&&f| f % 2 == 1) {
            arena.free(frame, 0, 0);
        }
        arena.drain_per_cpu_lists();
        assert_eq!(arena.free_frames(), 32);
        assert_eq!(arena.alloc(1, AllocClass::Slab, 0), None);
        assert_eq!(arena.free_frames(), 32);
        assert!(arena.alloc(0, AllocClass::Slab, 0).is_some());
        assert_eq!(arena.free_frames(), 31);
    }

    #[test]
    fn a_fresh_allocation_holds_one_reference() {
        let arena = arena(256);
        let frame = arena.alloc(2, AllocClass::UserData, 0).unwrap();
        assert_eq!(arena.meta()[frame].ref_count.load(Ordering::Relaxed), 1);
        assert!(!arena.meta()[frame].has(bits::BUDDY));
    }
}
