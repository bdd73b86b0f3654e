//! Write-back of ext2/3/4 file data (Linux's `fs/fs-writeback.c` and `mm/page-writeback.c`
//! for one kind of file system): the dirty-page count, the flusher thread, throttling of heavy
//! writers, and `sync`/`syncfs`/`drop_caches`/reclaim over every mounted ext file system.
//!
//! - Dirty pages are counted here (`nr_dirty` of `/proc/vmstat`'s sense). A writer that leaves
//!   more than `vm.dirty_background_ratio` percent of memory dirty wakes the flusher; one past
//!   `vm.dirty_ratio` writes its own file back before returning (Linux's
//!   `balance_dirty_pages`, without its gradual pause: the writer does the work itself).
//! - The flusher (`kworker/flush`, a kernel thread started by the first read-write mount)
//!   wakes every `vm.dirty_writeback_centisecs` and writes back each inode dirtied more than
//!   `vm.dirty_expire_centisecs` ago (all of them when past the background ratio, or when
//!   woken by `sync`-less pressure); 0 in `dirty_writeback_centisecs` stops the periodic
//!   write-back, as in Linux.
//! - Under memory pressure ([`reclaim`]) clean cached pages of ext files are dropped, after the
//!   dirty ones were written, before an allocation gives up.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use hal::sync::SpinLock;
use spin::Once;

use super::Ext4Fs;
use crate::sched::wait::WaitQueue;

/// `vm.dirty_ratio`, percent of memory.
pub static DIRTY_RATIO: AtomicI64 = AtomicI64::new(20);
/// `vm.dirty_background_ratio`, percent of memory.
pub static DIRTY_BACKGROUND_RATIO: AtomicI64 = AtomicI64::new(10);
/// `vm.dirty_expire_centisecs`: how old dirty data must be for the flusher to write it.
pub static DIRTY_EXPIRE_CENTISECS: AtomicI64 = AtomicI64::new(3000);
/// `vm.dirty_writeback_centisecs`: how often the flusher wakes (0: never by itself).
pub static DIRTY_WRITEBACK_CENTISECS: AtomicI64 = AtomicI64::new(500);

/// Dirty pages of every ext file (`nr_dirty`).
static DIRTY_PAGES: AtomicU64 = AtomicU64::new(0);

/// Mounted ext file systems, for sync, the flusher, reclaim and the shutdown of reboot(2).
static MOUNTED: SpinLock<Vec<Weak<Ext4Fs>>> = SpinLock::new("ext4.mounted", Vec::new());

/// The flusher's wake-ups.
static FLUSHER: Once<WaitQueue> = Once::new();
static FLUSHER_KICKED: AtomicBool = AtomicBool::new(false);
static FLUSHER_STARTED: AtomicBool = AtomicBool::new(false);
/// The journal commit thread's wake-ups (it sleeps until the oldest transaction is due).
static COMMITTER: Once<WaitQueue> = Once::new();
static COMMITTER_STARTED: AtomicBool = AtomicBool::new(false);

/// Counts a page that became dirty.
pub fn page_dirtied() {
    DIRTY_PAGES.fetch_add(1, Ordering::Relaxed);
}

/// Counts a page that became clean (written, or dropped by truncation).
pub fn page_cleaned() {
    let _ = DIRTY_PAGES.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
}

/// Dirty pages of ext files.
pub fn dirty_pages() -> u64 {
    DIRTY_PAGES.load(Ordering::Relaxed)
}

fn pages_for_ratio(ratio: &AtomicI64) -> u64 {
    let total = hal::mm::frame::stats().0 as u64;
    total * ratio.load(Ordering::Relaxed).clamp(0, 100) as u64 / 100
}

/// Whether a writer must write back before returning (past `vm.dirty_ratio`), after waking
/// the flusher when past `vm.dirty_background_ratio`.
pub fn over_dirty_limit() -> bool {
    let dirty = dirty_pages();
    if dirty > pages_for_ratio(&DIRTY_BACKGROUND_RATIO) {
        kick();
    }
    dirty > pages_for_ratio(&DIRTY_RATIO).max(256)
}

/// Registers a mounted file system (and starts the flusher with the first one).
pub fn register(fs: &Arc<Ext4Fs>) {
    {
        let mut mounted = MOUNTED.lock();
        mounted.retain(|weak| weak.strong_count() > 0);
        if mounted.try_reserve(1).is_ok() {
            mounted.push(Arc::downgrade(fs));
        }
    }
    if !COMMITTER_STARTED.swap(true, Ordering::AcqRel) {
        COMMITTER.call_once(WaitQueue::new);
        if let Err(error) = crate::process::kthread::spawn(b"jbd2/commit", committer_main) {
            log::error!("EXT4-fs: cannot start the journal commit thread: {error:?}");
            COMMITTER_STARTED.store(false, Ordering::Release);
        }
    }
    if !FLUSHER_STARTED.swap(true, Ordering::AcqRel) {
        FLUSHER.call_once(WaitQueue::new);
        if let Err(error) = crate::process::kthread::spawn(b"kworker/flush", flusher_main) {
            log::error!("EXT4-fs: cannot start the flusher: {error:?}");
            FLUSHER_STARTED.store(false, Ordering::Release);
        }
    }
}

/// The mounted file systems, as strong references taken one at a time.
pub(super) fn each_fs(mut visit: impl FnMut(&Arc<Ext4Fs>)) {
    let mut index = 0;
    loop {
        let fs = {
            let mounted = MOUNTED.lock();
            let Some(weak) = mounted.get(index) else {
                return;
            };
            weak.upgrade()
        };
        if let Some(fs) = fs {
            visit(&fs);
        }
        index += 1;
    }
}

/// Wakes the flusher to write back everything dirty.
pub fn kick() {
    if let Some(queue) = FLUSHER.get()
        && !FLUSHER_KICKED.swap(true, Ordering::AcqRel)
    {
        queue.wake_all();
    }
}

/// `sync(2)`'s part for ext file systems: every dirty inode written back and committed.
pub fn sync_all() {
    each_fs(|fs| {
        if let Err(error) = fs.write_back_and_commit() {
            log::warn!("EXT4-fs: sync: {error:?}");
        }
    });
}

/// Memory is short: writes back dirty file data and drops clean cached pages of files nobody
/// maps; returns how many pages went.
pub fn reclaim() -> u64 {
    let mut freed = 0;
    each_fs(|fs| {
        let _ = fs.write_back_all(u64::MAX);
        freed += fs.drop_clean_pages();
    });
    freed
}

/// When free memory runs low (under an eighth of RAM), drops clean unmapped file pages, at
/// most every 100 ms (kswapd's job, done by the reader that needs pages).
pub fn balance_memory() {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let (total, free) = hal::mm::frame::stats();
    if free >= total / 8 {
        return;
    }
    let now = crate::time::monotonic_ns();
    let last = LAST.load(Ordering::Relaxed);
    if now.saturating_sub(last) < 100_000_000
        || LAST
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    drop_caches();
}

/// `echo 1 > /proc/sys/vm/drop_caches`: drops every clean, unmapped page of ext files.
pub fn drop_caches() {
    each_fs(|fs| {
        fs.drop_clean_pages();
    });
}

fn flusher_main(_: usize) -> ! {
    let thread = crate::process::current();
    loop {
        let interval_cs = DIRTY_WRITEBACK_CENTISECS.load(Ordering::Relaxed);
        let deadline = (interval_cs > 0)
            .then(|| crate::time::monotonic_ns().saturating_add(interval_cs as u64 * 10_000_000));
        if let Some(queue) = FLUSHER.get() {
            let _ = crate::sched::wait::wait_event(
                &thread,
                &[queue],
                crate::sched::SleepKind::Interruptible,
                deadline,
                || FLUSHER_KICKED.swap(false, Ordering::AcqRel).then_some(()),
            );
        }
        let now = crate::time::monotonic_ns();
        let expire_ns = DIRTY_EXPIRE_CENTISECS.load(Ordering::Relaxed).max(0) as u64 * 10_000_000;
        // Past the background ratio, everything goes; otherwise what has expired.
        let older_than = if dirty_pages() > pages_for_ratio(&DIRTY_BACKGROUND_RATIO) {
            u64::MAX
        } else {
            now.saturating_sub(expire_ns)
        };
        each_fs(|fs| {
            if let Err(error) = fs.write_back_all(older_than) {
                log::warn!("EXT4-fs: background write-back: {error:?}");
            }
        });
    }
}

/// The journal commit thread (jbd2's `kjournald2`, one for every file system here): commits
/// each running transaction once it is older than its file system's `commit=` interval.
/// Commits on demand (fsync, sync, size, unmount) happen in the caller.
fn committer_main(_: usize) -> ! {
    let thread = crate::process::current();
    loop {
        let now = crate::time::monotonic_ns();
        let mut next = now.saturating_add(1_000_000_000);
        each_fs(|fs| {
            fs.commit_if_expired(now);
            if let Some(due) = fs.commit_due_in(now) {
                next = next.min(now.saturating_add(due.max(10_000_000)));
            }
        });
        if let Some(queue) = COMMITTER.get() {
            let _ = crate::sched::wait::wait_event(
                &thread,
                &[queue],
                crate::sched::SleepKind::Interruptible,
                Some(next),
                || None::<()>,
            );
        }
    }
}
