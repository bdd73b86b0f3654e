//! The page cache: one home for a file's data, shared by `read`, `write`, `mmap` and exec
//! (Linux's `struct address_space` and `mm/filemap.c`).
//!
//! A [`PageCache`] belongs to one inode. It maps page indices to page frames through a radix
//! tree ([`index::PageIndex`]) under a spin lock held only for the lookup or the insert, never
//! across a copy or a sleep. Callers take a counted [`Frame`] handle out and copy through it
//! with no lock held, so a user copy that faults, or a fault that maps the same page, never
//! waits on the cache. The file's size lives here too, as an atomic (Linux's `i_size_read`),
//! so the fault path can check it without the inode's lock.
//!
//! Filling a missing page follows Linux's optimistic shape: the page is prepared unshared (zeroed
//! for tmpfs; read from the disk later) with no lock held, then inserted unless another thread
//! inserted one meanwhile, in which case that one wins and ours is dropped (and the caller's
//! accounting is given back). File systems without a backing store (tmpfs, shared anonymous
//! memory, memfd) keep every page here; those with one will add `read_page`/`write_page` and
//! the per-page lock and dirty flags of [`PageFlag`].
//!
//! Mappings: an address space that maps the file registers itself ([`PageCache::add_mapper`]),
//! so that truncation can unmap the pages it drops from every process (Linux's `i_mmap` and
//! `unmap_mapping_range`). The registry is a list of weak references; an address space that no
//! longer maps the file simply finds nothing to unmap, and dead ones are pruned as new ones
//! register.

pub mod index;

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;

use crate::page::{Frame, PageFlag, PageKind, UniqueFrame};
use crate::sync::SpinLock;
use index::PageIndex;

/// Size of a page-cache page.
pub const PAGE_SIZE: usize = 4096;

/// An address space that maps pages of a file (implemented by the kernel's memory manager).
pub trait FileMapper: Send + Sync {
    /// Removes from this address space every mapping of file pages `first_page..end_page` of
    /// `cache`. With `even_cows`, private copies made from them go too (truncation: a later
    /// access past the new end of file raises SIGBUS); without, only the file's own pages
    /// (a hole punched into the file: private copies keep their data).
    fn unmap_file_pages(&self, cache: &PageCache, first_page: u64, end_page: u64, even_cows: bool);

    /// Whether this address space has a shared mapping of `cache` that could write it (open
    /// for writing: Linux's `VM_SHARED | VM_MAYWRITE`), which `F_SEAL_WRITE` refuses (`EBUSY`).
    fn maps_shared_writable(&self, cache: &PageCache) -> bool;

    /// How many areas of this address space map `cache` (System V's `shm_nattch`).
    fn mapping_count(&self, cache: &PageCache) -> usize;

    /// Makes this address space's shared mappings of file pages `first_page..end_page` of
    /// `cache` read-only, so that the next write faults and dirties the page again (Linux's
    /// `page_mkclean`, before a dirty page is written back). Default: nothing mapped.
    fn write_protect_file_pages(&self, cache: &PageCache, first_page: u64, end_page: u64) {
        let _ = (cache, first_page, end_page);
    }
}

/// Pages dropped per hold of the index lock when truncating.
const TRUNCATE_BATCH: usize = 64;

/// The cached pages of one file.
pub struct PageCache {
    pages: SpinLock<PageIndex<Frame>>,
    /// The file's size in bytes (the owner updates it under its own lock; readers that hold no
    /// lock use it as Linux uses `i_size_read`).
    size: AtomicU64,
    /// Pages present, for `st_blocks` and memory accounting.
    nr_pages: AtomicU64,
    mappers: SpinLock<Vec<Weak<dyn FileMapper>>>,
}

/// Pages in every page cache (`/proc/meminfo`'s `Cached`, Linux's `NR_FILE_PAGES`).
static TOTAL_PAGES: AtomicU64 = AtomicU64::new(0);

/// Pages held by all page caches together.
pub fn total_cached_pages() -> u64 {
    TOTAL_PAGES.load(Ordering::Relaxed)
}

impl Drop for PageCache {
    fn drop(&mut self) {
        TOTAL_PAGES.fetch_sub(*self.nr_pages.get_mut(), Ordering::Relaxed);
    }
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new()
    }
}

impl core::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PageCache")
            .field("size", &self.size())
            .field("nr_pages", &self.nr_pages())
            .finish()
    }
}

impl PageCache {
    /// An empty cache of an empty file.
    pub fn new() -> PageCache {
        PageCache {
            pages: SpinLock::new("vfs.page_cache", PageIndex::new()),
            size: AtomicU64::new(0),
            nr_pages: AtomicU64::new(0),
            mappers: SpinLock::new("vfs.page_cache.mappers", Vec::new()),
        }
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }

    /// Sets the file's size (its owner does, under its own lock).
    pub fn set_size(&self, size: u64) {
        self.size.store(size, Ordering::Release);
    }

    /// Pages present.
    pub fn nr_pages(&self) -> u64 {
        self.nr_pages.load(Ordering::Relaxed)
    }

    /// The page at `index`, if cached.
    pub fn find(&self, index: u64) -> Option<Frame> {
        self.pages.lock().get(index).cloned()
    }

    /// The page at `index`, or a new one prepared by `make` (called with no lock held) and
    /// inserted. Returns the page and whether this call inserted it. When another thread
    /// inserted the page meanwhile, ours is dropped and `discard` is called to give back what
    /// `make` took (tmpfs's space accounting). `ENOMEM` when the index cannot grow.
    pub fn find_or_create(
        &self,
        index: u64,
        make: impl FnOnce() -> Result<UniqueFrame, Errno>,
        discard: impl FnOnce(),
    ) -> Result<(Frame, bool), Errno> {
        if let Some(frame) = self.find(index) {
            return Ok((frame, false));
        }
        let mut frame = make()?;
        frame.set_kind(PageKind::File);
        let frame = frame.into_shared();
        frame.set_flag(PageFlag::Uptodate);
        let mut pages = self.pages.lock();
        if let Some(existing) = pages.get(index) {
            let existing = existing.clone();
            drop(pages);
            drop(frame);
            discard();
            return Ok((existing, false));
        }
        match pages.try_insert(index, frame.clone()) {
            Ok(_) => {
                self.nr_pages.fetch_add(1, Ordering::Relaxed);
                TOTAL_PAGES.fetch_add(1, Ordering::Relaxed);
                Ok((frame, true))
            }
            Err(_) => {
                drop(pages);
                discard();
                Err(Errno::ENOMEM)
            }
        }
    }

    /// Drops every page at index `first` or beyond, after unmapping them from every address
    /// space (truncation); `on_removed` is told how many went. Holders of a page's handle keep
    /// their copy of it, as in Linux.
    pub fn truncate_pages(&self, first: u64, on_removed: &mut dyn FnMut(u64)) {
        self.unmap(first, u64::MAX, true);
        loop {
            let mut batch: [Option<Frame>; TRUNCATE_BATCH] = [const { None }; TRUNCATE_BATCH];
            let mut taken = 0;
            {
                let mut pages = self.pages.lock();
                while taken < TRUNCATE_BATCH {
                    let Some((_, frame)) = pages.pop_from(first) else {
                        break;
                    };
                    batch[taken] = Some(frame);
                    taken += 1;
                }
            }
            if taken == 0 {
                return;
            }
            self.nr_pages.fetch_sub(taken as u64, Ordering::Relaxed);
            TOTAL_PAGES.fetch_sub(taken as u64, Ordering::Relaxed);
            on_removed(taken as u64);
            drop(batch);
        }
    }

    /// Drops the pages in `[start, end)` (a hole punched into the file), after unmapping them
    /// from every address space (private copies stay); returns how many went.
    pub fn remove_range(&self, start: u64, end: u64) -> u64 {
        self.unmap(start, end, false);
        let mut removed = 0;
        let mut cursor = start;
        loop {
            let mut pages = self.pages.lock();
            let Some((index, _)) = pages.next_from(cursor) else {
                break;
            };
            if index >= end {
                break;
            }
            let frame = pages.remove(index);
            drop(pages);
            drop(frame);
            removed += 1;
            cursor = index + 1;
        }
        self.nr_pages.fetch_sub(removed, Ordering::Relaxed);
        TOTAL_PAGES.fetch_sub(removed, Ordering::Relaxed);
        removed
    }

    /// Drops the pages for which `evict` says yes and that nothing but the cache holds (no
    /// mapping, no reader's handle): reclaim of clean pages (Linux's `invalidate_mapping_pages`
    /// from the shrinker). `evict` runs under the index lock. Returns how many went.
    pub fn evict_unused(&self, evict: &dyn Fn(&Frame) -> bool) -> u64 {
        const BATCH: usize = 64;
        let mut removed = 0;
        let mut cursor = 0;
        loop {
            let mut batch: [Option<Frame>; BATCH] = [const { None }; BATCH];
            let mut taken = 0;
            let mut more = false;
            {
                let mut pages = self.pages.lock();
                let mut visited = 0;
                while taken < BATCH && visited < 256 {
                    let Some((index, frame)) = pages.next_from(cursor) else {
                        more = false;
                        break;
                    };
                    more = true;
                    visited += 1;
                    cursor = index + 1;
                    // The index's own reference is the only one.
                    let evictable = frame.ref_count() == 1 && evict(frame);
                    if evictable {
                        batch[taken] = pages.remove(index);
                        taken += 1;
                    }
                }
            }
            self.nr_pages.fetch_sub(taken as u64, Ordering::Relaxed);
            TOTAL_PAGES.fetch_sub(taken as u64, Ordering::Relaxed);
            removed += taken as u64;
            drop(batch);
            if !more {
                return removed;
            }
        }
    }

    /// Calls `visit` with each cached page in `[start, end)` in order, holding the index lock
    /// (so `visit` must not sleep or copy user memory).
    pub fn for_each_cached(
        &self,
        start: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &Frame) -> bool,
    ) {
        self.pages.lock().for_each_in(start, end, visit);
    }

    /// The first cached page index at or after `index` (SEEK_DATA over a cache with no backing
    /// store).
    pub fn next_cached(&self, index: u64) -> Option<u64> {
        self.pages.lock().next_from(index).map(|(found, _)| found)
    }

    /// Records that `mapper` maps pages of this file. Dead registrations are pruned; a mapper
    /// already registered is not added twice. `ENOMEM` if the list cannot grow.
    pub fn add_mapper(&self, mapper: Weak<dyn FileMapper>) -> Result<(), Errno> {
        let mut mappers = self.mappers.lock();
        mappers.retain(|existing| existing.strong_count() > 0);
        if mappers
            .iter()
            .any(|existing| Weak::ptr_eq(existing, &mapper))
        {
            return Ok(());
        }
        mappers.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        mappers.push(mapper);
        Ok(())
    }

    /// Whether any address space maps this file shared and writable (Linux's
    /// `mapping_writably_mapped`).
    pub fn has_shared_writable_mappings(&self) -> bool {
        let mut index = 0;
        loop {
            let mapper: Option<Arc<dyn FileMapper>> = {
                let mappers = self.mappers.lock();
                let Some(weak) = mappers.get(index) else {
                    return false;
                };
                weak.upgrade()
            };
            if mapper.is_some_and(|mapper| mapper.maps_shared_writable(self)) {
                return true;
            }
            index += 1;
        }
    }

    /// How many areas of all address spaces map this file.
    pub fn mapping_count(&self) -> usize {
        let mut index = 0;
        let mut count = 0;
        loop {
            let mapper: Option<Arc<dyn FileMapper>> = {
                let mappers = self.mappers.lock();
                let Some(weak) = mappers.get(index) else {
                    return count;
                };
                weak.upgrade()
            };
            if let Some(mapper) = mapper {
                count += mapper.mapping_count(self);
            }
            index += 1;
        }
    }

    /// Makes pages `first..end` read-only in every shared mapping of the file (before their
    /// write-back: a later write through a mapping faults and dirties the page again).
    pub fn write_protect(&self, first: u64, end: u64) {
        let mut index = 0;
        loop {
            let mapper: Option<Arc<dyn FileMapper>> = {
                let mappers = self.mappers.lock();
                let Some(weak) = mappers.get(index) else {
                    return;
                };
                weak.upgrade()
            };
            if let Some(mapper) = mapper {
                mapper.write_protect_file_pages(self, first, end);
            }
            index += 1;
        }
    }

    /// Unmaps pages `first..end` from every registered address space.
    fn unmap(&self, first: u64, end: u64, even_cows: bool) {
        // Take strong references under the lock, unmap without it (unmapping takes each
        // address space's own locks, which may sleep).
        let mut index = 0;
        loop {
            let mapper: Option<Arc<dyn FileMapper>> = {
                let mappers = self.mappers.lock();
                let Some(weak) = mappers.get(index) else {
                    return;
                };
                weak.upgrade()
            };
            if let Some(mapper) = mapper {
                mapper.unmap_file_pages(self, first, end, even_cows);
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicUsize;

    fn page_with(byte: u8) -> Result<UniqueFrame, Errno> {
        let mut frame = UniqueFrame::try_new_zeroed()?;
        frame.bytes_mut().fill(byte);
        Ok(frame)
    }

    #[test]
    fn find_or_create_inserts_once_and_shares_the_frame() {
        let cache = PageCache::new();
        assert!(cache.find(3).is_none());
        let (first, created) = cache.find_or_create(3, || page_with(7), || {}).unwrap();
        assert!(created);
        assert!(first.has_flag(PageFlag::Uptodate));
        let (second, created) = cache
            .find_or_create(3, || panic!("must not be called"), || {})
            .unwrap();
        assert!(!created);
        assert_eq!(first.id(), second.id());
        assert_eq!(cache.nr_pages(), 1);
        let mut byte = [0u8];
        cache.find(3).unwrap().read(100, &mut byte);
        assert_eq!(byte, [7]);
    }

    #[test]
    fn a_failed_make_leaves_nothing() {
        let cache = PageCache::new();
        assert_eq!(
            cache
                .find_or_create(1, || Err(Errno::ENOSPC), || panic!("nothing to discard"))
                .unwrap_err(),
            Errno::ENOSPC
        );
        assert_eq!(cache.nr_pages(), 0);
        assert!(cache.find(1).is_none());
    }

    #[test]
    fn truncate_drops_the_tail_and_tells_mappers() {
        struct Recorder(AtomicUsize, AtomicU64);
        impl FileMapper for Recorder {
            fn unmap_file_pages(&self, _: &PageCache, first_page: u64, _: u64, _: bool) {
                self.0.fetch_add(1, Ordering::Relaxed);
                self.1.store(first_page, Ordering::Relaxed);
            }
            fn maps_shared_writable(&self, _: &PageCache) -> bool {
                false
            }
            fn mapping_count(&self, _: &PageCache) -> usize {
                0
            }
        }
        let cache = PageCache::new();
        for index in 0..200 {
            cache.find_or_create(index, || page_with(1), || {}).unwrap();
        }
        let kept = cache.find(150).unwrap();
        let recorder = Arc::new(Recorder(AtomicUsize::new(0), AtomicU64::new(0)));
        let weak: Weak<dyn FileMapper> = Arc::downgrade(&(recorder.clone() as Arc<dyn FileMapper>));
        cache.add_mapper(weak.clone()).unwrap();
        cache.add_mapper(weak).unwrap();
        let mut removed = 0;
        cache.truncate_pages(10, &mut |n| removed += n);
        assert_eq!(removed, 190);
        assert_eq!(cache.nr_pages(), 10);
        assert!(cache.find(10).is_none());
        assert!(cache.find(9).is_some());
        assert_eq!(recorder.0.load(Ordering::Relaxed), 1, "registered once");
        assert_eq!(recorder.1.load(Ordering::Relaxed), 10);
        // A holder's handle outlives the truncation.
        let mut byte = [0u8];
        kept.read(0, &mut byte);
        assert_eq!(byte, [1]);
        drop(recorder);
        cache.truncate_pages(0, &mut |_| {});
        assert_eq!(cache.nr_pages(), 0);
    }

    #[test]
    fn evict_unused_keeps_held_and_refused_pages() {
        let cache = PageCache::new();
        for index in 0..300 {
            cache.find_or_create(index, || page_with(1), || {}).unwrap();
        }
        let held = cache.find(7).unwrap();
        cache.find(9).unwrap().set_flag(PageFlag::Dirty);
        let removed = cache.evict_unused(&|frame| !frame.has_flag(PageFlag::Dirty));
        assert_eq!(removed, 298);
        assert_eq!(cache.nr_pages(), 2);
        assert!(cache.find(7).is_some(), "a page someone holds stays");
        assert!(cache.find(9).is_some(), "a page the filter refuses stays");
        drop(held);
    }

    #[test]
    fn remove_range_punches_a_hole() {
        let cache = PageCache::new();
        for index in [0, 1, 2, 5, 9] {
            cache.find_or_create(index, || page_with(1), || {}).unwrap();
        }
        assert_eq!(cache.remove_range(1, 6), 3);
        assert_eq!(cache.next_cached(1), Some(9));
        assert_eq!(cache.nr_pages(), 2);
    }
}
