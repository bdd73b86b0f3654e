//! The host backend for the memory tests: a leaked, page-aligned buffer standing in for RAM,
//! with its frame metadata and arena, so that the arena and the slab allocator run under
//! `cargo test` exactly as they run in the kernel (where frame `n` is at the direct map's
//! `PHYS_OFFSET + n * PAGE_SIZE` instead of `base + n * PAGE_SIZE`).

use super::PAGE_SIZE;
use super::arena::FrameArena;
use super::meta::FrameMeta;
use alloc::boxed::Box;
use alloc::vec::Vec;

#[repr(C, align(4096))]
struct Page([u8; PAGE_SIZE]);

/// Emulated RAM of a few frames.
pub struct HostMemory {
    pub arena: &'static FrameArena,
    pub base: usize,
    len: usize,
}

impl HostMemory {
    /// `frames` frames of emulated RAM, all free.
    pub fn new(frames: usize) -> HostMemory {
        let pages: Vec<Page> = (0..frames).map(|_| Page([0xa5; PAGE_SIZE])).collect();
        let pages = pages.leak();
        let meta: Vec<FrameMeta> = (0..frames).map(|_| FrameMeta::default()).collect();
        let arena: &'static FrameArena = Box::leak(Box::new(FrameArena::new(meta.leak())));
        arena.add_frames(0, frames);
        HostMemory {
            arena,
            base: pages.as_mut_ptr() as usize,
            len: frames * PAGE_SIZE,
        }
    }

    /// Whether `[address, address + len)` lies in the emulated RAM.
    pub fn contains(&self, address: usize, len: usize) -> bool {
        address >= self.base && address + len <= self.base + self.len
    }

    /// Fills `len` bytes at `address` with `value`.
    pub fn fill(&self, address: usize, len: usize, value: u8) {
        assert!(self.contains(address, len));
        // SAFETY: the range lies in the leaked buffer (checked above); tests own the objects.
        unsafe { core::ptr::write_bytes(address as *mut u8, value, len) };
    }

    /// Whether the `len` bytes at `address` all equal `value`.
    pub fn is_filled(&self, address: usize, len: usize, value: u8) -> bool {
        assert!(self.contains(address, len));
        // SAFETY: as `fill`.
        let bytes = unsafe { core::slice::from_raw_parts(address as *const u8, len) };
        bytes.iter().all(|&byte| byte == value)
    }
}
