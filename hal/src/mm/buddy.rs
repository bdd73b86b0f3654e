//! The buddy allocator's free lists, threaded through the frame metadata (Linux's
//! `mm/page_alloc.c` without zones or migrate types).
//!
//! A free block of `2^order` frames is represented by its first frame: that frame's metadata
//! carries the `BUDDY` bit and the order, and `next`/`prev` link it into the list of its order.
//! Allocation takes the smallest block that fits and splits it; freeing merges a block with its
//! buddy (`frame ^ 2^order`) for as long as the buddy is a free block of the same order. Nothing
//! here allocates, so the frame allocator needs no heap, and the heap can grow from it.
//!
//! This module is plain safe code over a `&[FrameMeta]` and frame numbers: it never touches the
//! frames' contents, and its tests run on the host. The caller serialises access (the zone lock).

use super::meta::{FrameMeta, NONE, bits};
use core::sync::atomic::Ordering::Relaxed;

/// Largest block order: `2^10` frames (4 MiB), as Linux's `MAX_ORDER - 1` on x86-64.
pub const MAX_ORDER: usize = 10;

/// Free lists, one per order.
#[derive(Debug)]
pub struct BuddyAllocator {
    heads: [u32; MAX_ORDER + 1],
    free_blocks: [usize; MAX_ORDER + 1],
    free_frames: usize,
}

impl Default for BuddyAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl BuddyAllocator {
    /// Empty lists.
    pub const fn new() -> BuddyAllocator {
        BuddyAllocator {
            heads: [NONE; MAX_ORDER + 1],
            free_blocks: [0; MAX_ORDER + 1],
            free_frames: 0,
        }
    }

    /// Frames on the free lists.
    pub fn free_frames(&self) -> usize {
        self.free_frames
    }

    /// Free blocks of each order (Linux's `/proc/buddyinfo` row).
    pub fn free_blocks(&self) -> [usize; MAX_ORDER + 1] {
        self.free_blocks
    }

    /// Gives the frames `[first, last)` to the allocator, as the largest aligned blocks that fit.
    pub fn add_range(&mut self, meta: &[FrameMeta], first: usize, last: usize) {
        let last = last.min(meta.len());
        let mut frame = first;
        while frame < last {
            let mut order = MAX_ORDER;
            while order > 0 && (!frame.is_multiple_of(1 << order) || frame + (1 << order) > last) {
                order -= 1;
            }
            self.free(meta, frame, order);
            frame += 1 << order;
        }
    }

    /// Takes a block of `2^order` frames; returns its first frame number.
    pub fn alloc(&mut self, meta: &[FrameMeta], order: usize) -> Option<usize> {
        let found = (order..=MAX_ORDER).find(|&o| self.heads[o] != NONE)?;
        let frame = self.heads[found] as usize;
        self.unlink(meta, frame, found);
        // Split: the upper halves go back on the lower lists.
        let mut current = found;
        while current > order {
            current -= 1;
            self.link(meta, frame + (1 << current), current);
        }
        let head = &meta[frame];
        head.clear(bits::BUDDY);
        head.private.store(0, Relaxed);
        Some(frame)
    }

    /// Returns the block of `2^order` frames starting at `frame`, merging it with free buddies.
    pub fn free(&mut self, meta: &[FrameMeta], frame: usize, order: usize) {
        let mut frame = frame;
        let mut order = order;
        while order < MAX_ORDER {
            let buddy = frame ^ (1 << order);
            let Some(buddy_meta) = meta.get(buddy) else {
                break;
            };
            if !buddy_meta.has(bits::BUDDY) || buddy_meta.private.load(Relaxed) as usize != order {
                break;
            }
            self.unlink(meta, buddy, order);
            buddy_meta.clear(bits::BUDDY);
            frame = frame.min(buddy);
            order += 1;
        }
        self.link(meta, frame, order);
    }

    fn link(&mut self, meta: &[FrameMeta], frame: usize, order: usize) {
        let head = self.heads[order];
        let entry = &meta[frame];
        entry.next.store(head, Relaxed);
        entry.prev.store(NONE, Relaxed);
        entry.private.store(order as u32, Relaxed);
        entry.set(bits::BUDDY);
        if head != NONE {
            meta[head as usize].prev.store(frame as u32, Relaxed);
        }
        self.heads[order] = frame as u32;
        self.free_blocks[order] += 1;
        self.free_frames += 1 << order;
    }

    fn unlink(&mut self, meta: &[FrameMeta], frame: usize, order: usize) {
        let entry = &meta[frame];
        let next = entry.next.load(Relaxed);
        let prev = entry.prev.load(Relaxed);
        if prev == NONE {
            self.heads[order] = next;
        } else {
            meta[prev as usize].next.store(next, Relaxed);
        }
        if next != NONE {
            meta[next as usize].prev.store(prev, Relaxed);
        }
        entry.next.store(NONE, Relaxed);
        entry.prev.store(NONE, Relaxed);
        self.free_blocks[order] -= 1;
        self.free_frames -= 1 << order;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn metadata(frames: usize) -> Vec<FrameMeta> {
        (0..frames).map(|_| FrameMeta::default()).collect()
    }

    #[test]
    fn a_range_becomes_the_largest_aligned_blocks() {
        let meta = metadata(4096);
        let mut buddy = BuddyAllocator::new();
        buddy.add_range(&meta, 3, 2048 + 5);
        assert_eq!(buddy.free_frames(), 2048 + 2);
        let blocks = buddy.free_blocks();
        // 3 | 4..8 | 8..16 | ... | 512..1024 | 1024..2048 | 2048..2052 | 2052
        assert_eq!(blocks[0], 2);
        assert_eq!(blocks[2], 2);
        assert_eq!(blocks[10], 1);
    }

    #[test]
    fn allocation_splits_and_freeing_merges_back() {
        let meta = metadata(1024);
        let mut buddy = BuddyAllocator::new();
        buddy.add_range(&meta, 0, 1024);
        assert_eq!(buddy.free_blocks()[10], 1);
        let a = buddy.alloc(&meta, 0).unwrap();
        let b = buddy.alloc(&meta, 0).unwrap();
        let c = buddy.alloc(&meta, 3).unwrap();
        assert_ne!(a, b);
        assert!(c.is_multiple_of(8));
        assert_eq!(buddy.free_frames(), 1024 - 2 - 8);
        buddy.free(&meta, b, 0);
        buddy.free(&meta, c, 3);
        buddy.free(&meta, a, 0);
        assert_eq!(buddy.free_frames(), 1024);
        assert_eq!(
            buddy.free_blocks()[10],
            1,
            "everything merged into one block"
        );
        assert_eq!(buddy.free_blocks().iter().sum::<usize>(), 1);
    }

    #[test]
    fn exhaustion_returns_none_and_recovers() {
        let meta = metadata(64);
        let mut buddy = BuddyAllocator::new();
        buddy.add_range(&meta, 0, 64);
        let frames: Vec<usize> = (0..64).map(|_| buddy.alloc(&meta, 0).unwrap()).collect();
        assert_eq!(buddy.alloc(&meta, 0), None);
        let mut sorted = frames.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 64, "no frame handed out twice");
        for frame in frames {
            buddy.free(&meta, frame, 0);
        }
        assert_eq!(buddy.alloc(&meta, 6), Some(0));
    }

    #[test]
    fn fragmentation_refuses_large_blocks_but_serves_small_ones() {
        let meta = metadata(256);
        let mut buddy = BuddyAllocator::new();
        buddy.add_range(&meta, 0, 256);
        let frames: Vec<usize> = (0..256).map(|_| buddy.alloc(&meta, 0).unwrap()).collect();
        // Free every other frame: 128 free frames, no two of them buddies.
        for &frame in frames.iter().filter(|&&f| f % 2 == 0) {
            buddy.free(&meta, frame, 0);
        }
        assert_eq!(buddy.free_frames(), 128);
        assert_eq!(buddy.alloc(&meta, 1), None);
        assert!(buddy.alloc(&meta, 0).is_some());
    }

    #[test]
    fn holes_are_never_merged_across() {
        let meta = metadata(32);
        let mut buddy = BuddyAllocator::new();
        // Frames 8..16 are not RAM.
        buddy.add_range(&meta, 0, 8);
        buddy.add_range(&meta, 16, 32);
        assert_eq!(buddy.free_frames(), 24);
        assert_eq!(buddy.alloc(&meta, 5), None);
        let block = buddy.alloc(&meta, 4).unwrap();
        assert_eq!(block, 16);
        assert!(buddy.alloc(&meta, 4).is_none());
    }
}
