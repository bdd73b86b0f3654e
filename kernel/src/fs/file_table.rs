//! The system-wide count of open files (Linux's `fs/file_table.c`): every open file
//! description holds a [`FileCharge`] from its creation until its release, and a new one is
//! refused with `ENFILE` once `fs.file-max` files are open, unless the caller has
//! `CAP_SYS_ADMIN` (`alloc_empty_file`). Pipes count two files, epoll instances, eventfds,
//! timerfds and pidfds one each, as Linux's anonymous-inode files do.
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

/// [`charge`] for a file `thread` opens.
pub fn charge_for(thread: &Thread) -> Result<FileCharge, Errno> {
    let is_privileged = thread.process.credentials.lock().is_capable();
    charge(is_privileged)
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
