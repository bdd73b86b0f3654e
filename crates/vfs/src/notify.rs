//! Where the namespace operations report filesystem events (the fsnotify calls of Linux's
//! `fs/namei.c`, `include/linux/fsnotify.h`): the kernel registers a [`Notifier`] (its
//! inotify) and [`crate::namei`] calls it after each change, under the directory locks, in
//! Linux's order. Without a notifier, or while it says nobody watches, nothing is done.
//!
//! Events sent: `IN_CREATE` (mkdir, mknod, symlink, link, `O_CREAT`), `IN_DELETE` (unlink,
//! rmdir), `IN_MOVED_FROM`/`IN_MOVED_TO` with one cookie per move, `IN_ATTRIB` on an inode
//! whose link count changed (link, unlink, a rename's replaced target), `IN_MOVE_SELF` on a
//! moved object, and the last name of an inode going ([`Notifier::deleted`], deferred to the
//! drop of the dentry while others hold it); the end of a superblock
//! ([`Notifier::unmounted`]).

use alloc::sync::Arc;

use crate::inode::Inode;

/// `IN_ATTRIB`.
pub const IN_ATTRIB: u32 = linux_raw_sys::general::IN_ATTRIB;
/// `IN_MOVED_FROM`.
pub const IN_MOVED_FROM: u32 = linux_raw_sys::general::IN_MOVED_FROM;
/// `IN_MOVED_TO`.
pub const IN_MOVED_TO: u32 = linux_raw_sys::general::IN_MOVED_TO;
/// `IN_CREATE`.
pub const IN_CREATE: u32 = linux_raw_sys::general::IN_CREATE;
/// `IN_DELETE`.
pub const IN_DELETE: u32 = linux_raw_sys::general::IN_DELETE;
/// `IN_MOVE_SELF`.
pub const IN_MOVE_SELF: u32 = linux_raw_sys::general::IN_MOVE_SELF;
/// `FS_RENAME`: a rename within one directory, sent to it before the move's two halves
/// (dnotify's `DN_RENAME`; outside inotify's events, so its watches never see it).
pub const FS_RENAME: u32 = 0x1000_0000;
/// `IN_ISDIR`.
pub const IN_ISDIR: u32 = linux_raw_sys::general::IN_ISDIR;

/// The receiver of filesystem events.
pub trait Notifier: Send + Sync {
    /// Whether anything watches at all (when not, no event is even built).
    fn is_active(&self) -> bool;
    /// Directory `dir` gained, lost or renamed entry `name` (`mask` carries `IN_ISDIR` for a
    /// directory entry; `cookie` pairs a move's two halves, else 0).
    fn entry(&self, dir: &Arc<dyn Inode>, mask: u32, cookie: u32, name: &[u8]);
    /// An event on `inode` itself (the notifier adds `IN_ISDIR`).
    fn inode(&self, inode: &Arc<dyn Inode>, mask: u32);
    /// `inode` lost its last name: `IN_DELETE_SELF`, and its watches go.
    fn deleted(&self, inode: &Arc<dyn Inode>);
    /// A fresh cookie for a move.
    fn cookie(&self) -> u32;
    /// The superblock of device `dev` is gone: `IN_UNMOUNT` for its watched inodes.
    fn unmounted(&self, dev: u64);
}

static NOTIFIER: spin::Once<&'static dyn Notifier> = spin::Once::new();

/// Registers the notifier (once; later calls change nothing).
pub fn set_notifier(notifier: &'static dyn Notifier) {
    NOTIFIER.call_once(|| notifier);
}

/// The notifier, if one is registered and something watches.
pub(crate) fn active() -> Option<&'static dyn Notifier> {
    NOTIFIER
        .get()
        .copied()
        .filter(|notifier| notifier.is_active())
}

/// `IN_ISDIR` if `is_dir`.
pub(crate) fn dir_bit(is_dir: bool) -> u32 {
    if is_dir { IN_ISDIR } else { 0 }
}

/// Whether `inode` has no name left (its last link went, or it is a removed directory).
pub(crate) fn has_no_links(inode: &Arc<dyn Inode>) -> bool {
    let metadata = inode.metadata();
    metadata.nlink == 0 || (metadata.file_type.is_dir() && inode.is_dead())
}
