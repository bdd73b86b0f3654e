//! dnotify (Linux `fs/notify/dnotify/dnotify.c`, fcntl(2) `F_NOTIFY`): a directory's
//! change notification by signal, as a group of the fsnotify backbone of [`super::notify`].
//!
//! `F_NOTIFY` on a directory descriptor registers the open file for the events its argument
//! names ([`inotify::dnotify::events_of`]); the directory's registrations ([`DirMarks`]) are
//! one mark in [`super::notify`]'s registry, so every event that reaches the directory's
//! inotify watches (its own and its entries') reaches them too. A matching event sends the
//! file's owner its signal (`send_sigio` with `POLL_MSG`: `SIGIO`, or `F_SETSIG`'s signal with
//! `si_fd` = the descriptor given to `F_NOTIFY`); a registration without `DN_MULTISHOT` then
//! goes. `F_NOTIFY` makes the caller's process the owner when the file has none. Closing any
//! descriptor of the file in the registering descriptor table removes the registration
//! (`dnotify_flush`), as does `F_NOTIFY` with no event. `fs.dir-notify-enable` = 0 makes
//! `F_NOTIFY` `EINVAL`.

use super::fasync::{OwnerKind, POLL_MSG, send_sigio, set_owner};
use super::file::OpenFile;
use super::notify::{Key, dnotify_marks, dnotify_release, key_of};
use crate::process::Process;
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use hal::sync::SpinLock;
use inotify::dnotify::{Entries, is_removal};

/// `fs.dir-notify-enable`.
pub static DIR_NOTIFY_ENABLE: AtomicI64 = AtomicI64::new(1);

/// Registrations anywhere: zero means closing a descriptor has nothing to look up.
static REGISTRATIONS: AtomicUsize = AtomicUsize::new(0);

/// One directory's registrations (`dnotify_mark`).
pub struct DirMarks {
    entries: SpinLock<Entries<Weak<OpenFile>>>,
}

impl DirMarks {
    pub fn new() -> DirMarks {
        DirMarks {
            entries: SpinLock::new("dnotify.mark", Entries::new()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.lock().is_empty()
    }

    /// Drops every registration (the directory is gone).
    pub fn clear(&self) {
        let mut entries = self.entries.lock();
        let before = entries.len();
        entries.prune(|_| true);
        REGISTRATIONS.fetch_sub(before, Ordering::AcqRel);
    }

    /// `dnotify_handle_event`: the owners of the registrations that want `mask` get their
    /// signal.
    pub fn handle(&self, mask: u32) {
        let mut targets: Vec<(Arc<OpenFile>, i32)> = Vec::new();
        {
            let mut entries = self.entries.lock();
            let before = entries.len();
            entries.prune(|entry| entry.target.strong_count() == 0);
            entries.handle(mask, |entry| {
                if let Some(file) = entry.target.upgrade()
                    && targets.try_reserve(1).is_ok()
                {
                    targets.push((file, entry.fd));
                }
            });
            REGISTRATIONS.fetch_sub(before - entries.len(), Ordering::AcqRel);
        }
        for (file, fd) in &targets {
            send_sigio(file, *fd, POLL_MSG);
        }
    }
}

impl Default for DirMarks {
    fn default() -> Self {
        Self::new()
    }
}

/// The identity of an open file in registrations.
fn file_id(file: &OpenFile) -> usize {
    core::ptr::from_ref(file) as usize
}

/// The directory key of `file`, if it has an inode.
fn key_of_file(file: &OpenFile) -> Option<Key> {
    file.ops.inode().map(key_of)
}

/// `fcntl(fd, F_NOTIFY, arg)` through descriptor table `table` (`fcntl_dirnotify`).
pub fn fcntl_notify(
    file: &Arc<OpenFile>,
    fd: i32,
    table: u64,
    arg: u32,
    caller: &Process,
) -> Result<usize, Errno> {
    if DIR_NOTIFY_ENABLE.load(Ordering::Relaxed) == 0 {
        return Err(Errno::EINVAL);
    }
    if is_removal(arg) {
        flush(table, file);
        return Ok(0);
    }
    let inode = file.ops.inode().ok_or(Errno::ENOTDIR)?;
    if !inode.file_type().is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let key = key_of(inode);
    let dir = dnotify_marks(key, true)?.ok_or(Errno::ENOMEM)?;
    let attached = {
        let mut entries = dir.entries.lock();
        let before = entries.len();
        let result = entries.attach(table, file_id(file), fd, arg, || Arc::downgrade(file));
        REGISTRATIONS.fetch_add(entries.len() - before, Ordering::AcqRel);
        result
    };
    if let Err(error) = attached {
        dnotify_release(key);
        return Err(error);
    }
    // __f_setown without force: the caller's process, unless the file has an owner.
    if file.owner.lock().id == 0 {
        set_owner(file, OwnerKind::Process, caller.pid, caller)?;
    }
    Ok(0)
}

/// `dnotify_flush`: a descriptor of `file` in table `table` is closed.
pub fn flush(table: u64, file: &OpenFile) {
    if REGISTRATIONS.load(Ordering::Acquire) == 0 {
        return;
    }
    let Some(key) = key_of_file(file) else {
        return;
    };
    let Ok(Some(dir)) = dnotify_marks(key, false) else {
        return;
    };
    let is_empty = {
        let mut entries = dir.entries.lock();
        if entries.flush(table, file_id(file)) {
            REGISTRATIONS.fetch_sub(1, Ordering::AcqRel);
        }
        entries.is_empty()
    };
    if is_empty {
        dnotify_release(key);
    }
}
