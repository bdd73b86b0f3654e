//! System-wide limits that Linux shows under `/proc/sys`, with the defaults Linux 6.1 gives
//! them: the fixed `vm.max_map_count` (`DEFAULT_MAX_MAP_COUNT`, mm/mmap.c) and the three that
//! Linux derives at boot from the RAM it counts then:
//!
//! - `kernel.threads-max` (kernel/fork.c `set_max_threads`): RAM / (8 × `THREAD_SIZE`), at
//!   least 20, at most `FUTEX_TID_MASK`; init's `RLIMIT_NPROC` and `RLIMIT_SIGPENDING` are half
//!   of it;
//! - `fs.file-max` (fs/file_table.c `files_maxfiles_init`): a tenth of the RAM in KiB, less
//!   one and a half times what the kernel used so far, at least `NR_FILE`;
//! - `fs.epoll.max_user_watches` (fs/eventpoll.c `eventpoll_init`): 4% of RAM divided by the
//!   cost of an item (`EP_ITEM_COST`).
//!
//! Ferrux counts RAM and the memory in use at the same stage of the boot (before the
//! initramfs is unpacked), with Linux's constants (`THREAD_SIZE` and `EP_ITEM_COST` as on
//! x86-64), so the same formulas give figures within a few percent of Linux's on the same
//! guest (Ferrux keeps a little more of the RAM for itself). They cannot be changed yet
//! (there is no `/proc/sys`).

use spin::Once;

/// `vm.max_map_count`: the most VMAs a process may have (`USHRT_MAX - 5`).
pub const MAX_MAP_COUNT: usize = 65530;
/// `NR_FILE`: the smallest `fs.file-max`.
const NR_FILE: u64 = 8192;
/// x86-64's kernel stack size, which Linux's thread limit is counted in.
const THREAD_SIZE: u64 = 16 << 10;
/// `MIN_THREADS` and `MAX_THREADS` (`FUTEX_TID_MASK`).
const MIN_THREADS: u64 = 20;
const MAX_THREADS: u64 = 0x3fff_ffff;
/// `EP_ITEM_COST`: `sizeof(struct epitem) + sizeof(struct eppoll_entry)` on x86-64 (128 + 56).
const EP_ITEM_COST: u64 = 184;
const PAGE_SIZE: u64 = 4096;

/// The limits computed at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `kernel.threads-max`.
    pub max_threads: u64,
    /// `fs.file-max`.
    pub max_files: u64,
    /// `fs.epoll.max_user_watches`.
    pub max_user_watches: u64,
}

impl Limits {
    /// The limits for `total_pages` of RAM of which `free_pages` are free, as Linux computes
    /// them from `totalram_pages()` and `nr_free_pages()`.
    pub fn for_memory(total_pages: u64, free_pages: u64) -> Limits {
        let max_threads =
            (total_pages * PAGE_SIZE / (THREAD_SIZE * 8)).clamp(MIN_THREADS, MAX_THREADS);
        let reserve =
            (total_pages.saturating_sub(free_pages) * 3 / 2).min(total_pages.saturating_sub(1));
        let max_files = ((total_pages - reserve) * (PAGE_SIZE / 1024) / 10).max(NR_FILE);
        let max_user_watches = (total_pages / 25) * PAGE_SIZE / EP_ITEM_COST;
        Limits {
            max_threads,
            max_files,
            max_user_watches,
        }
    }
}

static LIMITS: Once<Limits> = Once::new();

/// Computes the limits from the memory counted now. Call once at boot, where Linux would
/// (before the initramfs is unpacked); later calls change nothing.
pub fn init() {
    limits();
}

/// The limits (computed on first use if [`init`] was not called).
pub fn limits() -> &'static Limits {
    LIMITS.call_once(|| {
        let (total, free) = hal::mm::frame::stats();
        let limits = Limits::for_memory(total as u64, free as u64);
        log::info!(
            "Limits: threads-max {}, file-max {}, epoll max_user_watches {}",
            limits.max_threads,
            limits.max_files,
            limits.max_user_watches
        );
        limits
    })
}

hal::ktest! {
    /// Linux 6.1's figures in 512 MiB and 1 GiB guests (docs/facts.md) come out of the same
    /// formulas given the page counts Linux had at boot there.
    fn formulas_give_linux_figures() -> hal::ktest::KtestResult {
        let small = Limits::for_memory(117_100, 117_100 - 700);
        hal::ktest_assert_eq!(small.max_threads, 3659);
        hal::ktest_assert_eq!(small.max_files, 46420);
        hal::ktest_assert_eq!(small.max_user_watches, 104_269);
        let large = Limits::for_memory(245_930, 245_930 - 724);
        hal::ktest_assert_eq!(large.max_threads, 7685);
        hal::ktest_assert_eq!(large.max_files, 97937);
        hal::ktest_assert_eq!(large.max_user_watches, 218_980);
        // Tiny machines: the floors.
        let tiny = Limits::for_memory(500, 10);
        hal::ktest_assert_eq!(tiny.max_threads, MIN_THREADS);
        hal::ktest_assert_eq!(tiny.max_files, NR_FILE);
        Ok(())
    }
}
