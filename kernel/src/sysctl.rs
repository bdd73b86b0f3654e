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
//! guest (Ferrux keeps a little more of the RAM for itself).
//!
//! Each is a variable that `/proc/sys` writes change (`fs/proc/sysctl.rs`), read where it is
//! enforced: [`limits`] (threads-max, file-max, max_user_watches), [`max_map_count`],
//! [`pid_max`], [`nr_open`], [`pipe_max_size`], [`randomize_va_space`] (for exec's
//! randomization), [`overcommit_memory`] and [`overcommit_ratio`] (`mm::may_commit`).

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use spin::Once;

/// `vm.max_map_count`'s default: the most VMAs a process may have (`USHRT_MAX - 5`).
pub const MAX_MAP_COUNT: usize = 65530;

static MAX_MAP_COUNT_NOW: AtomicUsize = AtomicUsize::new(MAX_MAP_COUNT);

/// `vm.max_map_count` now.
pub fn max_map_count() -> usize {
    MAX_MAP_COUNT_NOW.load(Ordering::Relaxed)
}

/// Sets `vm.max_map_count`.
pub fn set_max_map_count(value: usize) {
    MAX_MAP_COUNT_NOW.store(value, Ordering::Relaxed);
}

/// `kernel.pid_max`'s limit (`PID_MAX_LIMIT` on 64-bit).
pub const PID_MAX_LIMIT: u32 = 4_194_304;
/// `kernel.pid_max` at boot: Linux's `pid_idr_init` takes `PID_MAX_DEFAULT` (32768) or 1024
/// per possible CPU if that is more; Ferrux runs on one CPU. (Debian's systemd raises it to
/// `PID_MAX_LIMIT` at boot; the kernel does not.)
pub const PID_MAX_DEFAULT: u32 = 32_768;
static PID_MAX: AtomicU32 = AtomicU32::new(PID_MAX_DEFAULT);

/// `kernel.pid_max`: pids are handed out below it.
pub fn pid_max() -> u32 {
    PID_MAX.load(Ordering::Relaxed)
}

/// Sets `kernel.pid_max` (the caller checks 301..=`PID_MAX_LIMIT`).
pub fn set_pid_max(value: u32) {
    PID_MAX.store(value, Ordering::Relaxed);
}

/// `fs.nr_open`'s default and limit (`sysctl_nr_open`, `NR_OPEN`).
pub const NR_OPEN_DEFAULT: u64 = 1 << 20;
static NR_OPEN: AtomicU64 = AtomicU64::new(NR_OPEN_DEFAULT);

/// `fs.nr_open`: the highest `RLIMIT_NOFILE` hard limit.
pub fn nr_open() -> u64 {
    NR_OPEN.load(Ordering::Relaxed)
}

/// Sets `fs.nr_open`.
pub fn set_nr_open(value: u64) {
    NR_OPEN.store(value, Ordering::Relaxed);
}

/// `fs.pipe-max-size`'s default.
pub const PIPE_MAX_SIZE_DEFAULT: u64 = 1_048_576;
static PIPE_MAX_SIZE: AtomicU64 = AtomicU64::new(PIPE_MAX_SIZE_DEFAULT);

/// `fs.pipe-max-size`: the largest pipe an unprivileged F_SETPIPE_SZ may ask for.
pub fn pipe_max_size() -> u64 {
    PIPE_MAX_SIZE.load(Ordering::Relaxed)
}

/// Sets `fs.pipe-max-size`.
pub fn set_pipe_max_size(value: u64) {
    PIPE_MAX_SIZE.store(value, Ordering::Relaxed);
}

/// `fs.pipe-user-pages-soft` (pages of pipe buffers a user may have before new pipes shrink to
/// two pages) and `fs.pipe-user-pages-hard` (before new pipes are refused); 0 is no limit.
static PIPE_USER_PAGES_SOFT: AtomicU64 = AtomicU64::new(16384);
static PIPE_USER_PAGES_HARD: AtomicU64 = AtomicU64::new(0);

/// `(fs.pipe-user-pages-soft, fs.pipe-user-pages-hard)`.
pub fn pipe_user_pages() -> (u64, u64) {
    (
        PIPE_USER_PAGES_SOFT.load(Ordering::Relaxed),
        PIPE_USER_PAGES_HARD.load(Ordering::Relaxed),
    )
}

/// Sets `fs.pipe-user-pages-soft`.
pub fn set_pipe_user_pages_soft(value: u64) {
    PIPE_USER_PAGES_SOFT.store(value, Ordering::Relaxed);
}

/// Sets `fs.pipe-user-pages-hard`.
pub fn set_pipe_user_pages_hard(value: u64) {
    PIPE_USER_PAGES_HARD.store(value, Ordering::Relaxed);
}

static RANDOMIZE_VA_SPACE: AtomicU32 = AtomicU32::new(2);

/// `kernel.randomize_va_space` (0 none, 1 stack/mmap/vDSO, 2 also brk).
pub fn randomize_va_space() -> u32 {
    RANDOMIZE_VA_SPACE.load(Ordering::Relaxed)
}

/// Sets `kernel.randomize_va_space`.
pub fn set_randomize_va_space(value: u32) {
    RANDOMIZE_VA_SPACE.store(value, Ordering::Relaxed);
}

static OVERCOMMIT_MEMORY: AtomicU32 = AtomicU32::new(0);
static OVERCOMMIT_RATIO: AtomicU32 = AtomicU32::new(50);

/// `vm.overcommit_memory`: 0 heuristic, 1 always, 2 never (strict accounting).
pub fn overcommit_memory() -> u32 {
    OVERCOMMIT_MEMORY.load(Ordering::Relaxed)
}

/// Sets `vm.overcommit_memory`.
pub fn set_overcommit_memory(value: u32) {
    OVERCOMMIT_MEMORY.store(value, Ordering::Relaxed);
}

/// `vm.overcommit_ratio`: the percentage of RAM `CommitLimit` counts.
pub fn overcommit_ratio() -> u32 {
    OVERCOMMIT_RATIO.load(Ordering::Relaxed)
}

/// Sets `vm.overcommit_ratio`.
pub fn set_overcommit_ratio(value: u32) {
    OVERCOMMIT_RATIO.store(value, Ordering::Relaxed);
}
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
static MAX_THREADS_NOW: AtomicU64 = AtomicU64::new(0);
static MAX_FILES: AtomicU64 = AtomicU64::new(0);
static MAX_USER_WATCHES: AtomicU64 = AtomicU64::new(0);

/// Computes the limits from the memory counted now. Call once at boot, where Linux would
/// (before the initramfs is unpacked); later calls change nothing.
pub fn init() {
    limits();
}

/// The limits now (computed on first use if [`init`] was not called).
pub fn limits() -> Limits {
    let boot = boot_limits();
    let now = |value: &AtomicU64, default: u64| match value.load(Ordering::Relaxed) {
        0 => default,
        set => set,
    };
    Limits {
        max_threads: now(&MAX_THREADS_NOW, boot.max_threads),
        max_files: now(&MAX_FILES, boot.max_files),
        max_user_watches: now(&MAX_USER_WATCHES, boot.max_user_watches),
    }
}

/// Sets `kernel.threads-max` (the caller checks `MIN_THREADS..=MAX_THREADS`).
pub fn set_max_threads(value: u64) {
    boot_limits();
    MAX_THREADS_NOW.store(value.max(1), Ordering::Relaxed);
}

/// Sets `fs.file-max`.
pub fn set_max_files(value: u64) {
    boot_limits();
    MAX_FILES.store(value.max(1), Ordering::Relaxed);
}

/// Sets `fs.epoll.max_user_watches`.
pub fn set_max_user_watches(value: u64) {
    boot_limits();
    MAX_USER_WATCHES.store(value.max(1), Ordering::Relaxed);
}

/// The range `kernel.threads-max` accepts.
pub const THREADS_RANGE: (u64, u64) = (MIN_THREADS, MAX_THREADS);

fn boot_limits() -> &'static Limits {
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
