//! The slab allocator for the kernel heap's small objects (Linux's `kmalloc` caches over
//! `mm/slub.c`, much simplified).
//!
//! Each size class (8 bytes to 2 KiB, Linux's kmalloc sizes) carves single frames into equal
//! objects. A free object holds the index of the next free object of its page, and the page's
//! metadata holds the first free index and the count in use, so a slab needs no memory beyond
//! its own page. Pages with free objects sit on their class's partial list (threaded through the
//! metadata's links); a page that becomes empty goes back to the frame arena unless it is the
//! class's one cached empty page, so the heap shrinks as well as grows. Slab pages are taken
//! with [`AllocClass::Slab`]: the kernel's bookkeeping may use the memory reserve.
//!
//! Each class has its own lock; objects are handed out as addresses in the arena's mapping
//! (the direct map in the kernel).
//!
//! **Per-CPU object caches** (SLUB's per-CPU freelists, Bonwick's magazines): each CPU keeps up
//! to [`CACHE_OBJECTS`] free objects of every class. An allocation pops one and a free pushes
//! one under the CPU's own uncontended lock, without touching the class or the page metadata;
//! the class lock is taken once per [`CACHE_BATCH`] objects, to refill an empty cache or to
//! return half of a full one. Every system call allocates and frees a few small objects, so
//! this is the heap's hot path. The caches hold at most a few pages' worth of objects;
//! [`SlabAllocator::drain_caches`] returns them all (the heap does before it reports failure).
//! Like the frame arena's per-CPU lists, a cache is chosen by the CPU index the caller passes,
//! and a stale index costs only contention.
//!
//! Locks: a CPU's cache lock, then its class lock, then the arena's locks (all `spin::Mutex`,
//! innermost in the kernel, never held across anything but list edits).

use super::PAGE_SIZE;
use super::arena::{AllocClass, FrameArena};
use super::meta::{NONE, bits};
use core::sync::atomic::Ordering::Relaxed;
use spin::Mutex;

/// Object sizes of the classes (Linux's kmalloc-8 … kmalloc-2k).
pub const CLASS_SIZES: [usize; 11] = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048];
/// Largest object the slab serves; bigger requests take whole frames.
pub const MAX_OBJECT_SIZE: usize = 2048;

/// Class of each size up to 192 bytes, in steps of 8 (`SMALL_CLASS[(size - 1) / 8]`).
const SMALL_CLASS: [u8; 24] = [
    0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6,
];

/// The class for an object of `size` bytes aligned to `align` (a power of two, as `Layout`
/// guarantees), if the slab serves it: the smallest class at least that large whose size is a
/// multiple of the alignment. Every heap allocation and free asks, so it is a table lookup
/// (up to 192 bytes) or a logarithm, not a search.
#[inline]
pub fn class_for(size: usize, align: usize) -> Option<usize> {
    debug_assert!(align.is_power_of_two());
    let needed = size.max(align).max(1);
    if needed > MAX_OBJECT_SIZE {
        return None;
    }
    let class = if needed <= 192 {
        SMALL_CLASS[(needed - 1) / 8] as usize
    } else {
        // 256, 512, 1024, 2048: classes 7 to 10.
        (usize::BITS - (needed - 1).leading_zeros()) as usize - 1
    };
    // Only 96 and 192 are not powers of two; an alignment they do not meet takes the next
    // class up (128, 256), which is a power of two at least as large as the alignment.
    if CLASS_SIZES[class] & (align - 1) != 0 {
        return Some(class + 1);
    }
    Some(class)
}

#[derive(Debug)]
struct SlabClass {
    object_size: usize,
    /// First page with free objects, or `NONE`.
    partial: u32,
    /// An empty page kept for the next refill, or `NONE`.
    cached_empty: u32,
    /// Pages owned by the class.
    pages: usize,
    /// Objects handed out.
    objects_in_use: usize,
}

/// Free objects a CPU keeps per class.
pub const CACHE_OBJECTS: usize = 16;
/// Objects moved between a CPU's cache and its class at once.
const CACHE_BATCH: usize = CACHE_OBJECTS / 2;
/// CPUs with caches of their own (more CPUs share the last one).
const CACHE_CPUS: usize = 4;

/// Free objects of one class cached for one CPU.
#[derive(Debug)]
struct ObjectCache {
    objects: [usize; CACHE_OBJECTS],
    count: usize,
}

impl ObjectCache {
    const fn new() -> ObjectCache {
        ObjectCache {
            objects: [0; CACHE_OBJECTS],
            count: 0,
        }
    }
}

/// Slab caches over the frames of an arena whose frame `n` is mapped at `base + n * PAGE_SIZE`.
pub struct SlabAllocator {
    arena: &'static FrameArena,
    base: usize,
    classes: [Mutex<SlabClass>; CLASS_SIZES.len()],
    caches: [[Mutex<ObjectCache>; CLASS_SIZES.len()]; CACHE_CPUS],
}

impl SlabAllocator {
    /// Caches over `arena`, whose frames are mapped from `base` on.
    pub fn new(arena: &'static FrameArena, base: usize) -> SlabAllocator {
        SlabAllocator {
            arena,
            base,
            classes: core::array::from_fn(|index| {
                Mutex::new(SlabClass {
                    object_size: CLASS_SIZES[index],
                    partial: NONE,
                    cached_empty: NONE,
                    pages: 0,
                    objects_in_use: 0,
                })
            }),
            caches: [const { [const { Mutex::new(ObjectCache::new()) }; CLASS_SIZES.len()] };
                CACHE_CPUS],
        }
    }

    fn cache(&self, cpu: usize, class: usize) -> &Mutex<ObjectCache> {
        &self.caches[cpu.min(CACHE_CPUS - 1)][class]
    }

    /// Allocates one object of class `class`; returns its address.
    #[inline]
    pub fn alloc(&self, class: usize, cpu: usize) -> Option<usize> {
        let mut cache = self.cache(cpu, class).lock();
        if cache.count == 0 {
            self.refill(&mut cache, class, cpu);
            if cache.count == 0 {
                return None;
            }
        }
        cache.count -= 1;
        Some(cache.objects[cache.count])
    }

    /// Frees an object that [`SlabAllocator::alloc`] gave for `class`.
    #[inline]
    pub fn free(&self, address: usize, class: usize, cpu: usize) {
        let mut cache = self.cache(cpu, class).lock();
        if cache.count == CACHE_OBJECTS {
            self.flush(&mut cache, class, cpu, CACHE_BATCH);
        }
        let slot = cache.count;
        cache.objects[slot] = address;
        cache.count += 1;
    }

    /// Moves up to a batch of objects from the class into an empty cache.
    #[cold]
    fn refill(&self, cache: &mut ObjectCache, class: usize, cpu: usize) {
        let mut state = self.classes[class].lock();
        while cache.count < CACHE_BATCH {
            let Some(object) = self.alloc_locked(&mut state, class, cpu) else {
                break;
            };
            let slot = cache.count;
            cache.objects[slot] = object;
            cache.count += 1;
        }
    }

    /// Gives the `count` most recently cached objects back to the class.
    #[cold]
    fn flush(&self, cache: &mut ObjectCache, class: usize, cpu: usize, count: usize) {
        let mut state = self.classes[class].lock();
        for _ in 0..count.min(cache.count) {
            cache.count -= 1;
            self.free_locked(&mut state, cache.objects[cache.count], class, cpu);
        }
    }

    /// Returns every CPU's cached objects to their classes, so that empty slab pages go back
    /// to the arena (before an allocation reports failure, and for exact statistics in tests).
    pub fn drain_caches(&self) {
        for (cpu, caches) in self.caches.iter().enumerate() {
            for (class, cache) in caches.iter().enumerate() {
                let mut cache = cache.lock();
                let count = cache.count;
                self.flush(&mut cache, class, cpu, count);
            }
        }
    }

    /// Takes one object from the class's slab pages.
    fn alloc_locked(&self, state: &mut SlabClass, class: usize, cpu: usize) -> Option<usize> {
        let meta = self.arena.meta();
        if state.partial == NONE {
            let frame = if state.cached_empty != NONE {
                core::mem::replace(&mut state.cached_empty, NONE) as usize
            } else {
                let frame = self.arena.alloc(0, AllocClass::Slab, cpu)?;
                self.format_page(frame, state.object_size, class);
                state.pages += 1;
                frame
            };
            self.push_partial(state, frame);
        }
        let frame = state.partial as usize;
        let page = &meta[frame];
        let index = page.slab_free.load(Relaxed);
        let address = self.object_address(frame, index, state.object_size);
        page.slab_free.store(self.read_link(address), Relaxed);
        // Changed only under the class lock: no read-modify-write needed.
        page.slab_in_use
            .store(page.slab_in_use.load(Relaxed) + 1, Relaxed);
        if page.slab_free.load(Relaxed) == NONE {
            self.unlink_partial(state, frame);
        }
        state.objects_in_use += 1;
        Some(address)
    }

    /// Returns one object to its slab page.
    fn free_locked(&self, state: &mut SlabClass, address: usize, class: usize, cpu: usize) {
        let meta = self.arena.meta();
        let frame = (address - self.base) / PAGE_SIZE;
        let page = &meta[frame];
        debug_assert!(page.has(bits::SLAB) && page.private.load(Relaxed) as usize == class);
        let offset = address - self.frame_address(frame);
        let index = (offset / state.object_size) as u32;
        let was_full = page.slab_free.load(Relaxed) == NONE;
        self.write_link(address, page.slab_free.load(Relaxed));
        page.slab_free.store(index, Relaxed);
        let in_use = page.slab_in_use.load(Relaxed) - 1;
        page.slab_in_use.store(in_use, Relaxed);
        state.objects_in_use -= 1;
        if was_full {
            self.push_partial(state, frame);
        }
        if in_use == 0 {
            self.unlink_partial(state, frame);
            if state.cached_empty == NONE {
                state.cached_empty = frame as u32;
            } else {
                state.pages -= 1;
                page.clear(bits::SLAB);
                self.arena.free(frame, 0, cpu);
            }
        }
    }

    /// Pages held by all classes, and bytes handed out (objects in the per-CPU caches are
    /// free, not handed out).
    pub fn stats(&self) -> (usize, usize) {
        let mut pages = 0;
        let mut bytes = 0;
        for (index, class) in self.classes.iter().enumerate() {
            let cached: usize = self
                .caches
                .iter()
                .map(|caches| caches[index].lock().count)
                .sum();
            let state = class.lock();
            pages += state.pages;
            bytes += (state.objects_in_use - cached) * state.object_size;
        }
        (pages, bytes)
    }

    fn frame_address(&self, frame: usize) -> usize {
        self.base + frame * PAGE_SIZE
    }

    fn object_address(&self, frame: usize, index: u32, object_size: usize) -> usize {
        self.frame_address(frame) + index as usize * object_size
    }

    /// Threads every object of a fresh page onto its free list.
    fn format_page(&self, frame: usize, object_size: usize, class: usize) {
        let page = &self.arena.meta()[frame];
        page.set(bits::SLAB);
        page.private.store(class as u32, Relaxed);
        let count = (PAGE_SIZE / object_size) as u32;
        for index in 0..count {
            let next = if index + 1 < count { index + 1 } else { NONE };
            self.write_link(self.object_address(frame, index, object_size), next);
        }
        page.slab_free.store(0, Relaxed);
        page.slab_in_use.store(0, Relaxed);
    }

    fn push_partial(&self, state: &mut SlabClass, frame: usize) {
        let meta = self.arena.meta();
        meta[frame].next.store(state.partial, Relaxed);
        meta[frame].prev.store(NONE, Relaxed);
        if state.partial != NONE {
            meta[state.partial as usize]
                .prev
                .store(frame as u32, Relaxed);
        }
        state.partial = frame as u32;
    }

    fn unlink_partial(&self, state: &mut SlabClass, frame: usize) {
        let meta = self.arena.meta();
        let next = meta[frame].next.load(Relaxed);
        let prev = meta[frame].prev.load(Relaxed);
        if prev == NONE {
            if state.partial == frame as u32 {
                state.partial = next;
            }
        } else {
            meta[prev as usize].next.store(next, Relaxed);
        }
        if next != NONE {
            meta[next as usize].prev.store(prev, Relaxed);
        }
        meta[frame].next.store(NONE, Relaxed);
        meta[frame].prev.store(NONE, Relaxed);
    }

    fn read_link(&self, object: usize) -> u32 {
        // SAFETY: `object` is a free object of a slab page this allocator owns (it came from the
        // arena and is mapped at `base`); free objects are never handed out, so nobody else
        // reads or writes its first four bytes, which are 4-aligned (class sizes are multiples
        // of 8 and pages are aligned).
        unsafe { core::ptr::read(object as *const u32) }
    }

    fn write_link(&self, object: usize, next: u32) {
        // SAFETY: as `read_link`: the object is free (being freed or formatted) and owned here.
        unsafe { core::ptr::write(object as *mut u32, next) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::host_memory::HostMemory;
    use alloc::vec::Vec;

    #[test]
    fn classes_follow_size_and_alignment() {
        assert_eq!(class_for(1, 1), Some(0));
        assert_eq!(class_for(24, 8), Some(2));
        assert_eq!(class_for(96, 8), Some(4));
        assert_eq!(
            class_for(96, 64),
            Some(5),
            "96 is not a multiple of 64: 128"
        );
        assert_eq!(class_for(2048, 8), Some(10));
        assert_eq!(class_for(2049, 8), None);
        assert_eq!(class_for(8, 4096), None);
    }

    #[test]
    fn class_lookup_matches_the_smallest_fitting_class() {
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] {
            for size in 0..=MAX_OBJECT_SIZE + 64 {
                let needed = size.max(align).max(1);
                let expected = CLASS_SIZES
                    .iter()
                    .position(|&class| class >= needed && class % align == 0);
                assert_eq!(
                    class_for(size, align),
                    expected,
                    "size {size} align {align}"
                );
            }
        }
    }

    #[test]
    fn objects_are_distinct_aligned_and_writable() {
        let memory = HostMemory::new(256);
        let slab = SlabAllocator::new(memory.arena, memory.base);
        for (class, &size) in CLASS_SIZES.iter().enumerate() {
            let objects: Vec<usize> = (0..100).map(|_| slab.alloc(class, 0).unwrap()).collect();
            for (n, &object) in objects.iter().enumerate() {
                assert!(object.is_multiple_of(8));
                assert!(memory.contains(object, size));
                memory.fill(object, size, n as u8);
            }
            for (n, &object) in objects.iter().enumerate() {
                assert!(memory.is_filled(object, size, n as u8), "objects overlap");
            }
            for object in objects {
                slab.free(object, class, 0);
            }
        }
        assert_eq!(slab.stats().1, 0);
    }

    #[test]
    fn empty_pages_go_back_to_the_arena() {
        let memory = HostMemory::new(128);
        let slab = SlabAllocator::new(memory.arena, memory.base);
        let free_before = memory.arena.free_frames();
        let objects: Vec<usize> = (0..16 * 20).map(|_| slab.alloc(9, 0).unwrap()).collect();
        assert_eq!(slab.stats().0, 80, "four 1 KiB objects a page");
        for object in objects {
            slab.free(object, 9, 0);
        }
        assert_eq!(slab.stats().1, 0, "cached objects are free");
        slab.drain_caches();
        assert_eq!(slab.stats(), (1, 0), "one empty page stays cached");
        assert_eq!(memory.arena.free_frames(), free_before - 1);
    }

    #[test]
    fn exhaustion_returns_none_and_freeing_recovers() {
        let memory = HostMemory::new(8);
        let slab = SlabAllocator::new(memory.arena, memory.base);
        let mut objects = Vec::new();
        while let Some(object) = slab.alloc(10, 0) {
            objects.push(object);
        }
        assert_eq!(objects.len(), 16, "two 2 KiB objects in each of 8 frames");
        slab.free(objects.pop().unwrap(), 10, 0);
        assert!(slab.alloc(10, 0).is_some());
        assert!(slab.alloc(10, 0).is_none());
        // Objects freed on one CPU are found by another once the caches are drained.
        for object in objects.drain(..8) {
            slab.free(object, 10, 1);
        }
        assert!(slab.alloc(10, 0).is_none(), "CPU 1's cache holds them");
        slab.drain_caches();
        assert_eq!(slab.stats().1, 8 * 2048);
        assert!(slab.alloc(10, 0).is_some());
    }

    #[test]
    fn caches_refill_and_flush_in_batches() {
        let memory = HostMemory::new(64);
        let slab = SlabAllocator::new(memory.arena, memory.base);
        let objects: Vec<usize> = (0..3 * CACHE_OBJECTS)
            .map(|_| slab.alloc(3, 0).unwrap())
            .collect();
        let mut sorted = objects.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), objects.len(), "an object handed out twice");
        assert_eq!(slab.stats().1, 3 * CACHE_OBJECTS * 64);
        for &object in &objects {
            slab.free(object, 3, 0);
        }
        assert_eq!(slab.stats().1, 0);
        // The most recently freed object comes back first (it is warm in the cache).
        assert_eq!(slab.alloc(3, 0), objects.last().copied());
    }

    #[test]
    fn interleaved_use_keeps_the_lists_consistent() {
        let memory = HostMemory::new(512);
        let slab = SlabAllocator::new(memory.arena, memory.base);
        let mut live: Vec<(usize, usize)> = Vec::new();
        let mut seed = 12345u64;
        for round in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let class = (seed >> 33) as usize % CLASS_SIZES.len();
            if !(seed >> 20).is_multiple_of(3) || live.is_empty() {
                if let Some(object) = slab.alloc(class, 0) {
                    memory.fill(object, CLASS_SIZES[class], round as u8);
                    live.push((object, class));
                }
            } else {
                let victim = (seed >> 40) as usize % live.len();
                let (object, class) = live.swap_remove(victim);
                slab.free(object, class, 0);
            }
        }
        let mut addresses: Vec<usize> = live.iter().map(|&(a, _)| a).collect();
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), live.len(), "an object handed out twice");
        for (object, class) in live {
            slab.free(object, class, 0);
        }
        assert_eq!(slab.stats().1, 0);
        slab.drain_caches();
        assert!(
            slab.stats().0 <= CLASS_SIZES.len(),
            "at most one cached page a class"
        );
    }
}
