//! Split virtqueues (virtio 1.2 §2.7; Linux's `virtio_ring.c`): a descriptor table, the
//! driver's available ring and the device's used ring in one DMA-coherent allocation.
//!
//! The driver's own bookkeeping (free descriptors, which descriptors make each chain) lives in
//! ordinary memory, never in the rings, so a device that writes garbage into the used ring
//! cannot make the driver free a descriptor twice or follow a loop: a used entry whose id is
//! not the head of a chain in flight is ignored.

use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{Ordering, fence};
use hal::dma::{DmaAddr, DmaCoherent};

const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;
const PAGE: usize = 4096;

/// One buffer of a chain.
pub struct Buffer {
    pub addr: DmaAddr,
    pub len: u32,
    /// The device writes it (else it reads it).
    pub is_device_writable: bool,
}

/// A split virtqueue.
pub struct SplitQueue {
    memory: DmaCoherent,
    size: u16,
    avail_offset: usize,
    used_offset: usize,
    /// Free descriptor indices.
    free: Vec<u16>,
    /// For each head in flight, the descriptors of its chain.
    chains: Vec<Option<Vec<u16>>>,
    avail_idx: u16,
    last_used: u16,
}

impl SplitQueue {
    /// A queue of `size` descriptors (a power of two).
    pub fn try_new(size: u16) -> Result<SplitQueue, Errno> {
        if !size.is_power_of_two() {
            return Err(Errno::EINVAL);
        }
        let n = usize::from(size);
        let avail_offset = 16 * n;
        let used_offset = (avail_offset + 6 + 2 * n).next_multiple_of(PAGE);
        let memory = DmaCoherent::try_new(used_offset + 6 + 8 * n)?;
        let mut free = Vec::new();
        free.try_reserve_exact(n).map_err(|_| Errno::ENOMEM)?;
        free.extend((0..size).rev());
        let mut chains = Vec::new();
        chains.try_reserve_exact(n).map_err(|_| Errno::ENOMEM)?;
        chains.resize_with(n, || None);
        Ok(SplitQueue {
            memory,
            size,
            avail_offset,
            used_offset,
            free,
            chains,
            avail_idx: 0,
            last_used: 0,
        })
    }

    /// Device addresses of the descriptor table, available ring and used ring.
    pub fn ring_addresses(&self) -> Result<[DmaAddr; 3], Errno> {
        Ok([
            self.memory.dma_addr(0)?,
            self.memory.dma_addr(self.avail_offset)?,
            self.memory.dma_addr(self.used_offset)?,
        ])
    }

    /// The descriptor the next [`SplitQueue::add`] makes the head of its chain.
    pub fn next_head(&self) -> Option<u16> {
        self.free.last().copied()
    }

    /// Free descriptors.
    pub fn free_count(&self) -> usize {
        self.free.len()
    }

    /// Makes `buffers` a chain and offers it to the device (the caller notifies). Returns the
    /// head's index; `ENOSPC` if too few descriptors are free.
    pub fn add(&mut self, buffers: &[Buffer]) -> Result<u16, Errno> {
        if buffers.is_empty() || buffers.len() > self.free.len() {
            return Err(Errno::ENOSPC);
        }
        let mut chain = Vec::new();
        chain
            .try_reserve_exact(buffers.len())
            .map_err(|_| Errno::ENOMEM)?;
        for _ in buffers {
            // Checked above: enough are free.
            let Some(index) = self.free.pop() else {
                return Err(Errno::ENOSPC);
            };
            chain.push(index);
        }
        for (position, buffer) in buffers.iter().enumerate() {
            let offset = 16 * usize::from(chain[position]);
            let mut flags = 0;
            let mut next = 0;
            if let Some(&following) = chain.get(position + 1) {
                flags |= DESC_F_NEXT;
                next = following;
            }
            if buffer.is_device_writable {
                flags |= DESC_F_WRITE;
            }
            self.memory.write_dma_addr(offset, buffer.addr)?;
            self.memory.write_u32(offset + 8, buffer.len)?;
            self.memory.write_u16(offset + 12, flags)?;
            self.memory.write_u16(offset + 14, next)?;
        }
        let head = chain[0];
        self.chains[usize::from(head)] = Some(chain);
        let slot = usize::from(self.avail_idx % self.size);
        self.memory
            .write_u16(self.avail_offset + 4 + 2 * slot, head)?;
        // The ring entry before the index that publishes it (virtio_wmb).
        fence(Ordering::SeqCst);
        self.avail_idx = self.avail_idx.wrapping_add(1);
        self.memory
            .write_u16(self.avail_offset + 2, self.avail_idx)?;
        fence(Ordering::SeqCst);
        Ok(head)
    }

    /// The next chain the device has finished: its head and the bytes it wrote. Entries that
    /// name no chain in flight are skipped.
    pub fn pop_used(&mut self) -> Option<(u16, u32)> {
        loop {
            let used_idx = self.memory.read_u16(self.used_offset + 2).ok()?;
            fence(Ordering::SeqCst);
            if used_idx == self.last_used {
                return None;
            }
            let slot = usize::from(self.last_used % self.size);
            self.last_used = self.last_used.wrapping_add(1);
            let entry = self.used_offset + 4 + 8 * slot;
            let id = self.memory.read_u32(entry).ok()?;
            let len = self.memory.read_u32(entry + 4).ok()?;
            let Ok(head) = u16::try_from(id) else {
                continue;
            };
            let Some(chain) = self
                .chains
                .get_mut(usize::from(head))
                .and_then(Option::take)
            else {
                log::warn!("virtio: device returned descriptor {id}, which is not in flight");
                continue;
            };
            // `free` has room for every descriptor (its capacity is the queue size).
            self.free.extend(chain);
            return Some((head, len));
        }
    }
}

/// Plays the device for the tests: puts `(id, len)` in the used ring and publishes it.
fn device_returns(queue: &SplitQueue, id: u32, len: u32) -> Result<(), Errno> {
    let used_idx = queue.memory.read_u16(queue.used_offset + 2)?;
    let slot = usize::from(used_idx % queue.size);
    let entry = queue.used_offset + 4 + 8 * slot;
    queue.memory.write_u32(entry, id)?;
    queue.memory.write_u32(entry + 4, len)?;
    queue
        .memory
        .write_u16(queue.used_offset + 2, used_idx.wrapping_add(1))
}

hal::ktest! {
    /// A device that returns descriptors it was not given (out of range, not a head, already
    /// returned) is ignored: the driver's free list stays exact and nothing is freed twice.
    fn used_ring_garbage_is_ignored() -> hal::ktest::KtestResult {
        let failed = |error: Errno| alloc::format!("{error:?}");
        let mut queue = SplitQueue::try_new(8).map_err(failed)?;
        let buffer = DmaCoherent::try_new(64).map_err(failed)?;
        let buffers = [
            Buffer { addr: buffer.dma_addr(0).map_err(failed)?, len: 16, is_device_writable: false },
            Buffer { addr: buffer.dma_addr(16).map_err(failed)?, len: 1, is_device_writable: true },
        ];
        let head = queue.add(&buffers).map_err(failed)?;
        hal::ktest_assert_eq!(queue.free_count(), 6);
        hal::ktest_assert!(queue.pop_used().is_none(), "a used entry before the device wrote one");
        // Out of range, then the chain's second descriptor (not a head).
        device_returns(&queue, 1000, 0).map_err(failed)?;
        device_returns(&queue, 70_000, 0).map_err(failed)?;
        let second = queue.chains[usize::from(head)].as_ref().map(|chain| chain[1]);
        device_returns(&queue, u32::from(second.unwrap_or(0)), 0).map_err(failed)?;
        hal::ktest_assert!(queue.pop_used().is_none(), "a bogus entry was taken");
        hal::ktest_assert_eq!(queue.free_count(), 6);
        device_returns(&queue, u32::from(head), 1).map_err(failed)?;
        hal::ktest_assert_eq!(queue.pop_used(), Some((head, 1)));
        hal::ktest_assert_eq!(queue.free_count(), 8);
        // The same head again: no longer in flight.
        device_returns(&queue, u32::from(head), 1).map_err(failed)?;
        hal::ktest_assert!(queue.pop_used().is_none(), "a chain was returned twice");
        hal::ktest_assert_eq!(queue.free_count(), 8);
        // A full ring refuses more than it has.
        let many: alloc::vec::Vec<Buffer> = (0..9)
            .map(|_| Buffer { addr: buffers[0].addr, len: 1, is_device_writable: false })
            .collect();
        hal::ktest_assert_eq!(queue.add(&many), Err(Errno::ENOSPC));
        Ok(())
    }
}
