//! The system-wide count of open files (Linux's `fs/file_table.c`): every open file
//! description holds a [`FileCharge`] from its creation until its release, and a new one is
//! refused with `ENFILE` once `fs.file-max` files are open, unless the caller has
//! `CAP_SYS_ADMIN` (`alloc_empty_file`). Pipes count two files, epoll instances, eventfds,
//! timerfds and pidfds one each, as Linux's anonymous-inode files do. Calls that take a
//! descriptor before they make the file (open, eventfd, epoll_create, timerfd_create, pidfds)
//! answer `EMFILE` before `ENFILE` ([`charge_with_descriptor`]); pipe makes its files first.
//!
//! The count is a per-CPU counter, as Linux's `nr_files`: the cheap estimate is checked first
//! and the exact sum only when the estimate is at the limit.

use crate::percpu_counter::PercpuCounter;
use crate::process::Thread;
use abi::Errno;
use core::sync::atomic::{AtomicI64, Ordering};

static NR_FILES: PercpuCounter = PercpuCounter::new();

/// One open file counted against `fs.file-max`; dropping it (with the file) uncounts it.
pub struct FileCharge(());

impl Drop for FileCharge {
    fn drop(&mut self) {
        NR_FILES.add(-1);
    }
}

/// Counts a new file: `ENFILE` at `fs.file-max` unless `is_privileged` (`CAP_SYS_ADMIN`).
pub fn charge(is_privileged: bool) -> Result<FileCharge, Errno> {
    let max_files = crate::sysctl::limits().max_files as i64;
    if !is_privileged && NR_FILES.read() >= max_files && NR_FILES.sum() >= max_files {
        report_limit();
        return Err(Errno::ENFILE);
    }
    NR_FILES.add(1);
    Ok(FileCharge(()))
}

/// Open files as `fs.file-nr` shows them (`get_nr_files`: the per-CPU counter's cheap
/// estimate, never negative).
pub fn open_files() -> i64 {
    NR_FILES.read().max(0)
}

/// [`charge`] for a file `thread` opens.
pub fn charge_for(thread: &Thread) -> Result<FileCharge, Errno> {
    let is_privileged = thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_ADMIN);
    charge(is_privileged)
}

/// For a call that makes a file for a new descriptor, Linux's checks in its order:
/// `get_unused_fd_flags` (`EMFILE` when no descriptor below `limit` is free), then
/// `alloc_empty_file` (`ENFILE`). The descriptor itself is taken when the file is installed.
pub fn charge_with_descriptor(thread: &Thread, limit: usize) -> Result<FileCharge, Errno> {
    if !thread.process.files.get().lock().has_free(limit) {
        return Err(Errno::EMFILE);
    }
    charge_for(thread)
}

/// Linux's "VFS: file-max limit N reached", logged again only when more files are open than
/// the last time.
fn report_limit() {
    static LAST_REPORTED: AtomicI64 = AtomicI64::new(0);
    let open = NR_FILES.sum();
    if LAST_REPORTED.fetch_max(open, Ordering::Relaxed) < open {
        log::info!(
            "VFS: file-max limit {} reached",
            crate::sysctl::limits().max_files
        );
    }
}
