//! dnotify's rules (Linux `fs/notify/dnotify/dnotify.c`, fcntl(2) "File and directory change
//! notification"): which filesystem events an `F_NOTIFY` argument asks for, and the entries
//! of one directory's registrations.
//!
//! Events use inotify's bits (Linux's `FS_*` share them), plus [`FS_RENAME`], the event of a
//! rename within one directory (reported to that directory only; inotify never sees it).
//! `DN_DELETE` is also a name moved out, `DN_CREATE` a name moved in, `DN_RENAME` a rename
//! inside the directory (`convert_arg`). A registration without `DN_MULTISHOT` goes after
//! its first signal. A second `F_NOTIFY` through the same open file from the same descriptor
//! table adds to the registration's events (`attach_dn`).

use crate::{IN_ACCESS, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO};
use abi::Errno;
use abi::fcntl::dnotify::{
    DN_ACCESS, DN_ATTRIB, DN_CREATE, DN_DELETE, DN_MODIFY, DN_MULTISHOT, DN_RENAME,
};
use alloc::vec::Vec;

/// `FS_RENAME`: a name renamed within one directory, sent to that directory (the value of
/// Linux's `fsnotify_backend.h`).
pub const FS_RENAME: u32 = 0x1000_0000;

/// The events an `F_NOTIFY` argument asks for (`convert_arg`, without the flags).
pub fn events_of(arg: u32) -> u32 {
    let mut events = 0;
    if arg & DN_DELETE != 0 {
        events |= IN_DELETE | IN_MOVED_FROM;
    }
    if arg & DN_MODIFY != 0 {
        events |= IN_MODIFY;
    }
    if arg & DN_ACCESS != 0 {
        events |= IN_ACCESS;
    }
    if arg & DN_ATTRIB != 0 {
        events |= IN_ATTRIB;
    }
    if arg & DN_RENAME != 0 {
        events |= FS_RENAME;
    }
    if arg & DN_CREATE != 0 {
        events |= IN_CREATE | IN_MOVED_TO;
    }
    events
}

/// Whether `arg` asks for nothing (then `F_NOTIFY` removes the registration).
pub fn is_removal(arg: u32) -> bool {
    arg & !DN_MULTISHOT == 0
}

/// One registration: descriptor table `table`, open file `file` (identities), descriptor
/// `fd` that signals report, the events and `DN_MULTISHOT`; `target` is the caller's handle
/// on the file.
#[derive(Clone, Debug)]
pub struct Entry<F> {
    pub table: u64,
    pub file: usize,
    pub fd: i32,
    pub events: u32,
    pub is_multishot: bool,
    pub target: F,
}

/// A directory's registrations (`dnotify_mark`'s list).
#[derive(Debug)]
pub struct Entries<F> {
    entries: Vec<Entry<F>>,
}

impl<F> Default for Entries<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> Entries<F> {
    pub const fn new() -> Entries<F> {
        Entries {
            entries: Vec::new(),
        }
    }

    /// `attach_dn`: registers `arg` for (`table`, `file`), or adds its events (and
    /// `DN_MULTISHOT`) to the existing registration, whose descriptor becomes `fd`.
    pub fn attach(
        &mut self,
        table: u64,
        file: usize,
        fd: i32,
        arg: u32,
        target: impl FnOnce() -> F,
    ) -> Result<(), Errno> {
        let events = events_of(arg);
        let is_multishot = arg & DN_MULTISHOT != 0;
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.table == table && entry.file == file)
        {
            entry.fd = fd;
            entry.events |= events;
            entry.is_multishot |= is_multishot;
            return Ok(());
        }
        self.entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.entries.push(Entry {
            table,
            file,
            fd,
            events,
            is_multishot,
            target: target(),
        });
        Ok(())
    }

    /// `dnotify_flush`: drops the registrations of (`table`, `file`); whether any went.
    pub fn flush(&mut self, table: u64, file: usize) -> bool {
        let before = self.entries.len();
        self.entries
            .retain(|entry| !(entry.table == table && entry.file == file));
        self.entries.len() != before
    }

    /// Drops the registrations for which `is_dead` holds (their files are gone).
    pub fn prune(&mut self, mut is_dead: impl FnMut(&Entry<F>) -> bool) {
        self.entries.retain(|entry| !is_dead(entry));
    }

    /// `dnotify_handle_event`: calls `signal` for each registration that wants `mask`; those
    /// without `DN_MULTISHOT` then go.
    pub fn handle(&mut self, mask: u32, mut signal: impl FnMut(&Entry<F>)) {
        self.entries.retain(|entry| {
            if entry.events & mask == 0 {
                return true;
            }
            signal(entry);
            entry.is_multishot
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_arg() {
        assert_eq!(events_of(DN_DELETE), IN_DELETE | IN_MOVED_FROM);
        assert_eq!(events_of(DN_CREATE), IN_CREATE | IN_MOVED_TO);
        assert_eq!(events_of(DN_RENAME), FS_RENAME);
        assert_eq!(events_of(DN_MULTISHOT), 0);
        assert!(is_removal(0));
        assert!(is_removal(DN_MULTISHOT));
        assert!(!is_removal(DN_ACCESS));
    }

    #[test]
    fn oneshot_goes_multishot_stays() {
        let mut entries = Entries::<()>::new();
        entries.attach(1, 10, 3, DN_MODIFY, || ()).unwrap();
        entries
            .attach(1, 11, 4, DN_MODIFY | DN_MULTISHOT, || ())
            .unwrap();
        let mut fds = Vec::new();
        entries.handle(IN_ACCESS, |entry| fds.push(entry.fd));
        assert!(fds.is_empty());
        entries.handle(IN_MODIFY, |entry| fds.push(entry.fd));
        assert_eq!(fds, [3, 4]);
        assert_eq!(entries.len(), 1);
        entries.handle(IN_MODIFY, |entry| fds.push(entry.fd));
        assert_eq!(fds, [3, 4, 4]);
    }

    #[test]
    fn attach_adds_and_flush_removes() {
        let mut entries = Entries::<()>::new();
        entries.attach(1, 10, 3, DN_MODIFY, || ()).unwrap();
        entries.attach(1, 10, 5, DN_CREATE, || ()).unwrap();
        entries.attach(2, 10, 3, DN_ATTRIB, || ()).unwrap();
        assert_eq!(entries.len(), 2);
        let mut seen = Vec::new();
        entries.handle(IN_CREATE, |entry| seen.push((entry.table, entry.fd)));
        assert_eq!(seen, [(1, 5)]);
        entries.attach(1, 10, 3, DN_MODIFY, || ()).unwrap();
        assert!(entries.flush(1, 10));
        assert!(!entries.flush(1, 10));
        assert_eq!(entries.len(), 1);
        entries.prune(|entry| entry.file == 10);
        assert!(entries.is_empty());
    }
}
