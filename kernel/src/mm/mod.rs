//! Memory management: user address spaces made of VMAs, demand paging, mmap, brk.

pub mod address_space;
pub mod fault;
pub mod oom;
pub mod randomize;
pub mod vma;

pub use address_space::AddressSpace;
pub use vma::{Backing, Protection, Vma};

use alloc::sync::Arc;
use hal::mm::user_space::UserSpace;
use hal::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, SpinLock};
use vfs::page_cache::{FileMapper, PageCache};

/// A process's memory as clone flags share it (Linux's `mm_struct`): the address space behind
/// the mm lock, a sleeping reader-writer lock (`mmap_lock`: page faults and lookups read;
/// mmap, munmap, mprotect, brk, fork and exec write), and a handle on its page tables that the
/// context switch activates without that lock.
pub struct Mm {
    space: RwLock<AddressSpace>,
    page_table: Arc<SpinLock<UserSpace>>,
    /// membarrier(2) registrations of this address space (`mm->membarrier_state`): fork copies
    /// them (Linux's `dup_mm` copies the whole `mm_struct`), exec's new one has none.
    pub membarrier_state: core::sync::atomic::AtomicU32,
    /// The AIO contexts set up in this address space (`mm->ioctx_table`): fork's copy and
    /// exec's new space start with none.
    pub aio: crate::fs::aio::AioTable,
}

impl Mm {
    pub fn new(space: AddressSpace) -> Mm {
        Mm {
            page_table: space.page_table().clone(),
            space: RwLock::new("mm", space),
            membarrier_state: core::sync::atomic::AtomicU32::new(0),
            aio: crate::fs::aio::AioTable::new(),
        }
    }

    /// The address space, for a fault or a lookup.
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, AddressSpace> {
        self.space.read()
    }

    /// The address space, for a change of its mappings.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, AddressSpace> {
        self.space.write()
    }

    /// Registers this address space with the page cache of every file it maps, so that
    /// truncation can find and unmap its pages (fork and exec; mmap registers as it maps).
    pub fn register_file_mappings(self: &Arc<Self>) -> Result<(), abi::Errno> {
        let mapper: alloc::sync::Weak<dyn FileMapper> = Arc::downgrade(self) as _;
        for cache in self.space.read().mapped_caches() {
            cache.add_mapper(mapper.clone())?;
        }
        Ok(())
    }

    /// Makes this the running CPU's address space (the context switch: no sleeping lock).
    pub fn activate(&self) {
        self.page_table.lock().activate();
    }
}

/// Truncation of a mapped file: the pages past the new end leave this address space (taking
/// the mm lock for writing, after the file's own lock: docs/locking.md).
impl FileMapper for Mm {
    fn unmap_file_pages(&self, cache: &PageCache, first_page: u64, end_page: u64, even_cows: bool) {
        self.space
            .write()
            .unmap_file_pages(cache, first_page, end_page, even_cows);
    }

    fn maps_shared_writable(&self, cache: &PageCache) -> bool {
        self.space.read().maps_shared_writable(cache)
    }

    fn mapping_count(&self, cache: &PageCache) -> usize {
        self.space.read().mapping_count(cache)
    }

    fn write_protect_file_pages(&self, cache: &PageCache, first_page: u64, end_page: u64) {
        self.space
            .read()
            .write_protect_file_pages(cache, first_page, end_page);
    }
}

/// Page size.
pub const PAGE_SIZE: u64 = 4096;

/// Rounds `value` up to a page boundary, or `None` on overflow.
pub fn page_align_up(value: u64) -> Option<u64> {
    value
        .checked_add(PAGE_SIZE - 1)
        .map(|v| v & !(PAGE_SIZE - 1))
}

/// Whether a mapping of `len` bytes may be committed, by `vm.overcommit_memory`: 0 (Linux's
/// heuristic; there is no swap) refuses one request larger than all of RAM, 1 allows
/// everything, 2 refuses a request larger than `CommitLimit` (`overcommit_ratio` percent of RAM;
/// simplified: memory committed earlier is not counted yet).
pub fn may_commit(len: u64) -> bool {
    let (total_frames, _) = hal::mm::frame::stats();
    let pages = len / PAGE_SIZE;
    match crate::sysctl::overcommit_memory() {
        1 => true,
        2 => pages <= total_frames as u64 * u64::from(crate::sysctl::overcommit_ratio()) / 100,
        _ => pages <= total_frames as u64,
    }
}

/// Rounds `value` down to a page boundary.
pub fn page_align_down(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// The placeholder address space of exited processes (never activated): a zombie keeps no
/// memory. Created on first use.
pub fn exited_address_space() -> Arc<Mm> {
    static EXITED: spin::Once<Arc<Mm>> = spin::Once::new();
    EXITED
        .call_once(|| {
            let space = AddressSpace::try_new().unwrap_or_else(|error| {
                panic!("no memory for the exited address space: {error:?}")
            });
            Arc::new(Mm::new(space))
        })
        .clone()
}
