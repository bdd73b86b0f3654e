//! inotify (Linux `fs/notify/fsnotify.c`, `fs/notify/inotify/`, `include/linux/fsnotify.h`,
//! inotify(7)): instances ([`Group`], the file `inotify_init1` returns), their watches on
//! inodes, and the events the VFS sends them. The registry of marks is shared with dnotify
//! (`super::dnotify`: one mark per directory with `F_NOTIFY` registrations), so both groups
//! see the same events, as Linux's one fsnotify backbone; `FS_RENAME` (a rename within one
//! directory) reaches only dnotify.
//!
//! The watch table and event queue of an instance are the host-tested `inotify` crate's; this
//! module connects them to inodes. A watch pins its inode (an `Arc`), as Linux's mark holds
//! the inode, and is listed in [`MARKS`], keyed by the inode's address, so an event on an inode
//! finds the watches of every instance. Senders:
//! - [`path_event`]: open, read, write, close and attribute changes of an object reached by a
//!   path: sent to the watches of its parent directory with its name, then to its own
//!   (`fsnotify_parent`; `IN_EXCL_UNLINK` watches skip file events of unlinked names);
//! - the namespace operations of `vfs::namei` through [`Notifier`] (`IN_CREATE`,
//!   `IN_DELETE`, `IN_MOVED_FROM`/`IN_MOVED_TO` with a cookie, `IN_ATTRIB` when a link count
//!   changes, `IN_MOVE_SELF`, `IN_DELETE_SELF` when the last name goes, after which the
//!   inode's watches are removed with `IN_IGNORED`);
//! - the end of a superblock (`IN_UNMOUNT`, then `IN_IGNORED`).
//!
//! `IN_ISDIR` marks events on directories; an `IN_ONESHOT` watch goes after its first event.
//!
//! Limits (`/proc/sys/fs/inotify`): `max_user_instances` (`EMFILE` beyond it),
//! `max_user_watches` (`ENOSPC`), counted per effective user as Linux's ucounts, and
//! `max_queued_events`, read when an instance is made.
//!
//! Cost: with no watch anywhere every hook is one atomic load; otherwise an event takes the
//! global [`MARKS`] spin lock once per inode it names.
//!
//! `IN_DELETE_SELF` comes when the inode's last name goes if nobody else holds that name's
//! dentry, else when the last holder lets go (an open file's last close, a cwd's change), as
//! Linux's `dentry_unlink_inode`.
//!
//! Not done: the `fhandle-*` fields of fdinfo's `inotify` lines; the deferred
//! `IN_DELETE_SELF` of a name removed while nothing watched anything; the `IN_OPEN` and
//! `IN_ACCESS` of execve's own open and reads; events of splice (Linux 6.1 sends none either)
//! and of writes through shared mappings (none in Linux); fanotify.

use super::file::{FileOps, SeekPolicy};
use super::poll::{POLLIN, POLLRDNORM, PollTable, poll_wait};
use crate::process::user::User;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, WaitQueue, wait_event};
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, AtomicU32, AtomicUsize, Ordering};
use hal::sync::SpinLock;
use inotify::{Event, IN_DELETE_SELF, IN_IGNORED, IN_ISDIR, IN_UNMOUNT, Queue, Watches};
use vfs::{Dentry, Inode, Metadata};

/// `fs.inotify.max_queued_events` (`inotify_max_queued_events`).
pub static MAX_QUEUED_EVENTS: AtomicI64 = AtomicI64::new(16384);
/// `fs.inotify.max_user_instances`.
pub static MAX_USER_INSTANCES: AtomicI64 = AtomicI64::new(128);
/// `fs.inotify.max_user_watches`; 0 until first read (then Linux's boot value, see
/// [`max_user_watches`]).
static MAX_USER_WATCHES: AtomicI64 = AtomicI64::new(0);
/// `INOTIFY_WATCH_COST` on Debian's x86-64 6.1: an `inotify_inode_mark` and two inodes.
const WATCH_COST: u64 = 80 + 2 * 600;

/// `fs.inotify.max_user_watches`: by default 1% of RAM divided by the cost of a watch,
/// between 8192 and 1048576 (`inotify_user_setup`).
pub fn max_user_watches() -> i64 {
    match MAX_USER_WATCHES.load(Ordering::Relaxed) {
        0 => {
            let total = hal::mm::frame::stats().0 as u64;
            let value = ((total / 100) * 4096 / WATCH_COST).clamp(8192, 1_048_576) as i64;
            MAX_USER_WATCHES.store(value, Ordering::Relaxed);
            value
        }
        value => value,
    }
}

/// Sets `fs.inotify.max_user_watches`.
pub fn set_max_user_watches(value: i64) {
    MAX_USER_WATCHES.store(value.max(0), Ordering::Relaxed);
}

/// A watched inode's key: the address of its object.
pub(super) type Key = usize;

pub(super) fn key_of(inode: &Arc<dyn Inode>) -> Key {
    Arc::as_ptr(inode) as *const () as usize
}

/// What a watch keeps: the inode (pinned) and its numbers for fdinfo and unmount.
struct Pin {
    inode: Arc<dyn Inode>,
    dev: u64,
    ino: u64,
}

/// A mark as the registry lists it: an inotify watch, or a directory's dnotify
/// registrations (Linux's marks of the groups of one fsnotify backbone).
enum Mark {
    Inotify {
        group: Weak<Group>,
        wd: i32,
    },
    Dnotify(Arc<super::dnotify::DirMarks>),
    /// A fanotify group's inode mark (its masks are the group's).
    Fanotify(Weak<super::fanotify::Group>),
}

/// Who an event goes to (a live [`Mark`]).
enum Listener {
    Inotify(Arc<Group>, i32),
    Dnotify(Arc<super::dnotify::DirMarks>),
}

/// Every mark of every group, by inode (Linux keeps them on the inode,
/// `i_fsnotify_marks`). No group lock is held with it (a dnotify list may be taken inside).
static MARKS: SpinLock<BTreeMap<Key, Vec<Mark>>> = SpinLock::new("inotify.marks", BTreeMap::new());
/// Watches in [`MARKS`]: zero means no hook has anything to do.
static MARK_COUNT: AtomicUsize = AtomicUsize::new(0);
/// The last rename cookie handed out (`fsnotify_get_cookie`).
static COOKIE: AtomicU32 = AtomicU32::new(0);

/// Whether any watch exists.
pub fn is_active() -> bool {
    MARK_COUNT.load(Ordering::Acquire) != 0
}

fn register(key: Key, group: &Arc<Group>, wd: i32) -> Result<(), Errno> {
    let mut marks = MARKS.lock();
    let list = match marks.get_mut(&key) {
        Some(list) => list,
        None => {
            marks.insert(key, Vec::new());
            marks.get_mut(&key).ok_or(Errno::ENOMEM)?
        }
    };
    list.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    list.push(Mark::Inotify {
        group: Arc::downgrade(group),
        wd,
    });
    MARK_COUNT.fetch_add(1, Ordering::AcqRel);
    Ok(())
}

fn unregister(key: Key, group: &Group, wd: i32) {
    let mut marks = MARKS.lock();
    if let Some(list) = marks.get_mut(&key) {
        let before = list.len();
        list.retain(|mark| match mark {
            Mark::Inotify {
                group: owner,
                wd: id,
            } => !(*id == wd && core::ptr::eq(owner.as_ptr(), group)),
            Mark::Dnotify(_) | Mark::Fanotify(_) => true,
        });
        MARK_COUNT.fetch_sub(before - list.len(), Ordering::AcqRel);
        if list.is_empty() {
            marks.remove(&key);
        }
    }
}

/// The dnotify registrations of directory `key`, made if `create` and there are none.
pub(super) fn dnotify_marks(
    key: Key,
    create: bool,
) -> Result<Option<Arc<super::dnotify::DirMarks>>, Errno> {
    let mut marks = MARKS.lock();
    if let Some(list) = marks.get(&key) {
        for mark in list {
            if let Mark::Dnotify(dir) = mark {
                return Ok(Some(dir.clone()));
            }
        }
    }
    if !create {
        return Ok(None);
    }
    let dir = Arc::new(super::dnotify::DirMarks::new());
    let list = marks.entry(key).or_default();
    list.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    list.push(Mark::Dnotify(dir.clone()));
    MARK_COUNT.fetch_add(1, Ordering::AcqRel);
    Ok(Some(dir))
}

/// Drops directory `key`'s dnotify mark if it has no registration left.
pub(super) fn dnotify_release(key: Key) {
    // Dropping a DirMarks frees memory only (its files are weak references).
    let mut marks = MARKS.lock();
    let Some(list) = marks.get_mut(&key) else {
        return;
    };
    let before = list.len();
    list.retain(|mark| !matches!(mark, Mark::Dnotify(dir) if dir.is_empty()));
    MARK_COUNT.fetch_sub(before - list.len(), Ordering::AcqRel);
    if list.is_empty() {
        marks.remove(&key);
    }
}

/// Who listens on `key`.
fn watchers(key: Key) -> Vec<Listener> {
    let marks = MARKS.lock();
    let Some(list) = marks.get(&key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if out.try_reserve_exact(list.len()).is_err() {
        return Vec::new();
    }
    for mark in list {
        match mark {
            Mark::Inotify { group, wd } => {
                if let Some(group) = group.upgrade() {
                    out.push(Listener::Inotify(group, *wd));
                }
            }
            Mark::Dnotify(dir) => out.push(Listener::Dnotify(dir.clone())),
            Mark::Fanotify(_) => {}
        }
    }
    out
}

/// Adds fanotify `group`'s mark on inode `key` to the registry.
pub(super) fn fanotify_register(
    key: Key,
    group: Weak<super::fanotify::Group>,
) -> Result<(), Errno> {
    let mut marks = MARKS.lock();
    let list = marks.entry(key).or_default();
    list.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    list.push(Mark::Fanotify(group));
    MARK_COUNT.fetch_add(1, Ordering::AcqRel);
    Ok(())
}

/// Takes fanotify group `group`'s mark on inode `key` out of the registry.
pub(super) fn fanotify_unregister(key: Key, group: *const super::fanotify::Group) {
    let mut marks = MARKS.lock();
    if let Some(list) = marks.get_mut(&key) {
        let before = list.len();
        list.retain(
            |mark| !matches!(mark, Mark::Fanotify(owner) if core::ptr::eq(owner.as_ptr(), group)),
        );
        MARK_COUNT.fetch_sub(before - list.len(), Ordering::AcqRel);
        if list.is_empty() {
            marks.remove(&key);
        }
    }
}

/// The fanotify groups with a mark on inode `key`, appended to `out`.
pub(super) fn fanotify_groups(key: Key, out: &mut Vec<Arc<super::fanotify::Group>>) {
    let marks = MARKS.lock();
    if let Some(list) = marks.get(&key) {
        for mark in list {
            if let Mark::Fanotify(group) = mark
                && let Some(group) = group.upgrade()
                && out.try_reserve(1).is_ok()
            {
                out.push(group);
            }
        }
    }
}

/// Every fanotify group with an inode mark, appended to `out` (once or more each).
pub(super) fn all_fanotify_groups(out: &mut Vec<Arc<super::fanotify::Group>>) {
    let marks = MARKS.lock();
    for list in marks.values() {
        for mark in list {
            if let Mark::Fanotify(group) = mark
                && let Some(group) = group.upgrade()
                && out.try_reserve(1).is_ok()
            {
                out.push(group);
            }
        }
    }
}

/// Counts marks kept outside the registry (fanotify's mount and filesystem marks), so the
/// hooks run while they exist.
pub(super) fn count_marks(delta: isize) {
    if delta >= 0 {
        MARK_COUNT.fetch_add(delta as usize, Ordering::AcqRel);
    } else {
        MARK_COUNT.fetch_sub(delta.unsigned_abs(), Ordering::AcqRel);
    }
}

/// The inotify watches of `key`.
fn inotify_watchers(key: Key) -> Vec<(Arc<Group>, i32)> {
    let mut out = Vec::new();
    for listener in watchers(key) {
        if let Listener::Inotify(group, wd) = listener
            && out.try_reserve(1).is_ok()
        {
            out.push((group, wd));
        }
    }
    out
}

/// Sends one event to every mark of `key`.
fn send(key: Key, mask: u32, cookie: u32, name: &[u8], is_unlinked_path: bool) {
    for listener in watchers(key) {
        match listener {
            Listener::Inotify(group, wd) => {
                group.handle(key, wd, mask, cookie, name, is_unlinked_path)
            }
            Listener::Dnotify(dir) => dir.handle(mask),
        }
    }
}

/// `IN_ISDIR` for a directory.
fn dir_bit(inode: &Arc<dyn Inode>) -> u32 {
    if inode.file_type().is_dir() {
        IN_ISDIR
    } else {
        0
    }
}

/// An event on the object `dentry` names (`fsnotify_parent` + the object's own watches):
/// `IN_ACCESS`, `IN_MODIFY`, `IN_ATTRIB`, `IN_OPEN`, `IN_CLOSE_*`. `is_file_event`: it comes
/// from an open file (then `IN_EXCL_UNLINK` watches skip it once the name is gone).
pub fn path_event(dentry: &Arc<Dentry>, mask: u32, is_file_event: bool) {
    if !is_active() {
        return;
    }
    let inode = dentry.inode();
    let mask = mask | dir_bit(inode);
    let is_unlinked = is_file_event && dentry.is_unlinked();
    if let Some(parent) = dentry.parent()
        && let Ok(name) = dentry.name()
    {
        send(key_of(parent.inode()), mask, 0, &name, is_unlinked);
    }
    send(key_of(inode), mask, 0, b"", is_unlinked);
}

/// As [`path_event`] for an open file (nothing for files without a path).
pub fn file_event(file: &super::file::OpenFile, mask: u32) {
    if !is_active() || file.is_nonotify() {
        return;
    }
    if let Some(path) = &file.path {
        path_event(path.dentry(), mask, true);
        // Only permission events can fail, and these are not.
        let _ = super::fanotify::file_event(path, mask);
    }
}

/// As [`file_event`] for a change that Linux reports without the file's path (ftruncate's
/// `notify_change`): fanotify's groups, which need a path, do not hear of it.
pub fn file_change(file: &super::file::OpenFile, mask: u32) {
    if !is_active() || file.is_nonotify() {
        return;
    }
    if let Some(path) = &file.path {
        path_event(path.dentry(), mask, true);
    }
}

/// Removes every mark of `key` (inotify watches with `IN_IGNORED`).
fn remove_all(key: Key) {
    for listener in watchers(key) {
        match listener {
            Listener::Inotify(group, wd) => {
                let _ = group.remove_watch(wd, Some(key));
            }
            Listener::Dnotify(dir) => {
                dir.clear();
                dnotify_release(key);
            }
        }
    }
}

/// The VFS's namespace events (the hooks of `vfs::notify`).
struct Notifier;

impl vfs::notify::Notifier for Notifier {
    fn is_active(&self) -> bool {
        is_active()
    }

    fn entry(&self, dir: &Arc<dyn Inode>, mask: u32, cookie: u32, name: &[u8]) {
        send(key_of(dir), mask, cookie, name, false);
    }

    fn inode(&self, inode: &Arc<dyn Inode>, mask: u32) {
        send(key_of(inode), mask | dir_bit(inode), 0, b"", false);
    }

    fn deleted(&self, inode: &Arc<dyn Inode>) {
        let key = key_of(inode);
        send(key, IN_DELETE_SELF | dir_bit(inode), 0, b"", false);
        remove_all(key);
    }

    fn cookie(&self) -> u32 {
        COOKIE.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }

    fn unmounted(&self, dev: u64) {
        // fanotify's marks on the filesystem go silently (`fsnotify_sb_delete`).
        super::fanotify::unmounted(dev);
        // Every watched inode of that filesystem: IN_UNMOUNT, then the watch goes.
        let keys: Vec<Key> = {
            let marks = MARKS.lock();
            let mut keys = Vec::new();
            if keys.try_reserve_exact(marks.len()).is_err() {
                return;
            }
            keys.extend(marks.keys().copied());
            keys
        };
        for key in keys {
            for (group, wd) in inotify_watchers(key) {
                if let Some(is_dir) = group.watch_on_dev(wd, dev) {
                    let mask = IN_UNMOUNT | if is_dir { IN_ISDIR } else { 0 };
                    group.handle(key, wd, mask, 0, b"", false);
                    let _ = group.remove_watch(wd, Some(key));
                }
            }
        }
    }
}

static NOTIFIER: Notifier = Notifier;

/// Registers the VFS hooks. Called once at boot.
pub fn init() {
    vfs::notify::set_notifier(&NOTIFIER);
}

/// An instance's queue and watches.
struct State {
    queue: Queue,
    watches: Watches<Key, Pin>,
}

/// One inotify instance (Linux's `fsnotify_group` with its `inotify_data`).
pub struct Group {
    state: SpinLock<State>,
    wait: Arc<WaitQueue>,
    /// The user charged for the instance and its watches.
    user: Arc<User>,
    /// `max_queued_events` when the instance was made.
    max_events: usize,
    /// Files that asked for I/O signals (`fsn_fa`).
    fasync: super::fasync::FasyncList,
}

impl Group {
    /// A new instance for `user`: `EMFILE` at `max_user_instances`.
    pub fn try_new(user: Arc<User>) -> Result<Arc<Group>, Errno> {
        let limit = MAX_USER_INSTANCES.load(Ordering::Relaxed).max(0) as usize;
        let counted =
            user.inotify_instances
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                    (count < limit).then_some(count + 1)
                });
        if counted.is_err() {
            return Err(Errno::EMFILE);
        }
        Ok(Arc::new(Group {
            state: SpinLock::new(
                "inotify.group",
                State {
                    queue: Queue::new(),
                    watches: Watches::new(),
                },
            ),
            wait: Arc::new(WaitQueue::new()),
            max_events: MAX_QUEUED_EVENTS.load(Ordering::Relaxed).max(0) as usize,
            fasync: super::fasync::FasyncList::new(),
            user,
        }))
    }

    /// `inotify_add_watch` on `inode` with mask `arg` (checked by the caller).
    pub fn add_watch(self: &Arc<Self>, inode: &Arc<dyn Inode>, arg: u32) -> Result<i32, Errno> {
        let key = key_of(inode);
        let metadata = inode.metadata();
        let user = &self.user;
        let added = self.state.lock().watches.add(
            key,
            arg,
            || {
                let limit = max_user_watches().max(0) as usize;
                user.inotify_watches
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                        (count < limit).then_some(count + 1)
                    })
                    .map(|_| ())
                    .map_err(|_| Errno::ENOSPC)
            },
            || Pin {
                inode: inode.clone(),
                dev: metadata.dev,
                ino: metadata.ino,
            },
        )?;
        if let inotify::Added::New(wd) = added
            && let Err(error) = register(key, self, wd)
        {
            let removed = self.state.lock().watches.remove(wd);
            if removed.is_some() {
                self.user.inotify_watches.fetch_sub(1, Ordering::AcqRel);
            }
            drop(removed);
            return Err(error);
        }
        Ok(added.wd())
    }

    /// Removes watch `wd` (of `key`, if given) and queues `IN_IGNORED` for it. `EINVAL` if
    /// there is no such watch.
    pub fn remove_watch(&self, wd: i32, key: Option<Key>) -> Result<(), Errno> {
        let removed = {
            let mut state = self.state.lock();
            match state.watches.get(wd) {
                Some(watch) if key.is_none_or(|key| key == watch.key) => {}
                _ => return Err(Errno::EINVAL),
            }
            let removed = state.watches.remove(wd);
            if let Ok(event) = Event::try_new(wd, IN_IGNORED, 0, b"") {
                state.queue.push(event, self.max_events);
            }
            removed
        };
        self.wait.wake_all();
        if let Some(watch) = removed {
            unregister(watch.key, self, wd);
            self.user.inotify_watches.fetch_sub(1, Ordering::AcqRel);
            drop(watch);
        }
        Ok(())
    }

    /// Whether watch `wd` is on filesystem `dev`: `Some(is_dir)` if so.
    fn watch_on_dev(&self, wd: i32, dev: u64) -> Option<bool> {
        let state = self.state.lock();
        let watch = state.watches.get(wd)?;
        (watch.value.dev == dev).then(|| watch.value.inode.file_type().is_dir())
    }

    /// Queues an event for watch `wd` of `key` if its mask wants it (Linux's
    /// `inotify_handle_inode_event`); a one-shot watch then goes.
    fn handle(&self, key: Key, wd: i32, mask: u32, cookie: u32, name: &[u8], is_unlinked: bool) {
        let is_oneshot = {
            let mut state = self.state.lock();
            let Some(watch) = state.watches.get(wd) else {
                return;
            };
            if watch.key != key || (is_unlinked && watch.mask & inotify::IN_EXCL_UNLINK != 0) {
                return;
            }
            let Some(is_oneshot) = inotify::deliver(watch.mask, mask) else {
                return;
            };
            match Event::try_new(wd, inotify::reported_mask(mask), cookie, name) {
                Ok(event) => state.queue.push(event, self.max_events),
                Err(_) => state.queue.push_overflow(),
            };
            is_oneshot
        };
        self.wait.wake_all();
        self.fasync.kill(super::fasync::POLL_IN);
        if is_oneshot {
            let _ = self.remove_watch(wd, Some(key));
        }
    }

    fn is_readable(&self) -> bool {
        !self.state.lock().queue.is_empty()
    }

    /// Drops every watch (the instance's file is closed).
    fn shutdown(&self) {
        let watches = self.state.lock().watches.take_all();
        for watch in &watches {
            unregister(watch.key, self, watch.wd);
        }
        self.user
            .inotify_watches
            .fetch_sub(watches.len(), Ordering::AcqRel);
        drop(watches);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.user.inotify_instances.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The file of an instance (`inotify_fops`).
pub struct InotifyFile {
    pub group: Arc<Group>,
}

impl Drop for InotifyFile {
    fn drop(&mut self) {
        self.group.shutdown();
    }
}

impl FileOps for InotifyFile {
    /// `fsnotify_fasync`.
    fn fasync(
        &self,
        file: &Arc<super::file::OpenFile>,
        fd: i32,
        on: bool,
    ) -> Option<Result<(), Errno>> {
        Some(self.group.fasync.helper(file, fd, on))
    }

    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        loop {
            let count = self.group.state.lock().queue.read(buf)?;
            if count > 0 {
                return Ok(count);
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
            match wait_event(
                &thread,
                &[&self.group.wait],
                SleepKind::Interruptible,
                None,
                || self.group.is_readable().then_some(()),
            ) {
                Ok(()) => {}
                Err(WaitError::Interrupted | WaitError::TimedOut) => {
                    return Err(Errno::ERESTARTSYS);
                }
            }
        }
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.group.wait);
        Some(if self.group.is_readable() {
            POLLIN | POLLRDNORM
        } else {
            0
        })
    }

    /// `FIONREAD`: the bytes of the queued events. Other commands: `ENOTTY`.
    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        if command != abi::ioctl::FIONREAD {
            return Err(Errno::ENOTTY);
        }
        let bytes = self.group.state.lock().queue.bytes() as i32;
        hal::usercopy::copy_to_user(argument, &bytes.to_ne_bytes())?;
        Ok(0)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("inotify")
    }

    fn as_inotify(&self) -> Option<&Arc<Group>> {
        Some(&self.group)
    }

    /// One line per watch (`inotify_fdinfo`): descriptor, inode number and device in hex,
    /// the mask the watch keeps.
    fn show_fdinfo(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let mut lines = Vec::new();
        {
            let state = self.group.state.lock();
            lines
                .try_reserve_exact(state.watches.len())
                .map_err(|_| Errno::ENOMEM)?;
            for watch in state.watches.iter() {
                lines.push((watch.wd, watch.value.ino, watch.value.dev, watch.mask));
            }
        }
        for (wd, ino, dev, mask) in lines {
            let sdev = (vfs::inode::dev_major(dev) << 20) | vfs::inode::dev_minor(dev);
            crate::out!(
                out,
                "inotify wd:{wd:x} ino:{ino:x} sdev:{sdev:x} mask:{mask:x} ignored_mask:0\n"
            )?;
        }
        Ok(())
    }

    fn metadata(&self) -> Metadata {
        super::eventfd::anon_inode_metadata()
    }
}
