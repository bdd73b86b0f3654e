//! fanotify groups (Linux 6.1 `fs/notify/fanotify/`, fanotify(7)): the file `fanotify_init`
//! returns, its marks on inodes, mounts and filesystems, the events sent to it and the
//! permission events it answers. The rules (argument checks, mark masks, merging, records)
//! are the host-tested `fanotify` crate's; this module connects them to the VFS.
//!
//! Marks: an inode mark is listed in the registry of marks that inotify and dnotify share
//! (`super::notify`, by inode), mount marks in [`MOUNT_MARKS`] (by mount) and filesystem
//! marks in [`SB_MARKS`] (by device); each group keeps its marks' masks ([`fanotify::mark::Mark`])
//! with what pins the object. An inode mark pins its inode unless it is evictable
//! (`FAN_MARK_EVICTABLE`): then it goes with the inode.
//!
//! Events: the file events that carry a path (open, `FAN_OPEN_EXEC`, read, write, close:
//! `fsnotify_file`) reach every group with a mark on the file, on its parent watching
//! children (`FAN_EVENT_ON_CHILD`), on its mount or on its filesystem; each group makes one
//! event of all its matching marks (`fanotify_group_event_mask`), highest class first. An
//! event keeps the path, so a read opens it for the reader (`event_f_flags`, a file that makes
//! no events itself, as `FMODE_NONOTIFY`). Permission events (`FAN_OPEN_PERM`,
//! `FAN_OPEN_EXEC_PERM`, `FAN_ACCESS_PERM`) put the opener or reader to a killable sleep until
//! the group writes a `struct fanotify_response` for the event's fd (`EPERM` on `FAN_DENY`)
//! or the group's file is closed (allowed).
//!
//! Limits (`/proc/sys/fs/fanotify`): `max_user_groups` (`EMFILE`), `max_user_marks`
//! (`ENOSPC`; not with `FAN_UNLIMITED_MARKS`), per effective user, and `max_queued_events`
//! (not with `FAN_UNLIMITED_QUEUE`), read when a group is made.
//!
//! Not done: groups reporting file ids (`FAN_REPORT_FID` and the rest) get their marks refused
//! as Linux refuses them on a filesystem whose `statfs` reports no fsid (`ENODEV`): every
//! Ferrux filesystem reports none yet (ext4's handles and uuid fsid are missing), so the
//! events without a path (attribute, directory-entry and self events, `FAN_FS_ERROR`) never
//! reach a group; `FAN_ENABLE_AUDIT` answers audit nothing (there is no audit log);
//! the `fhandle-*` fields of fdinfo's lines.

use super::file::{FileOps, OpenFile, SeekPolicy};
use super::poll::{POLLIN, POLLRDNORM, PollTable, poll_wait};
use crate::process::user::User;
use crate::process::{Process, Thread};
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, WaitQueue, wait_event};
use abi::{Errno, OpenFlags};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use fanotify::init::Priority;
use fanotify::mark::{Iter, Mark};
use fanotify::queue::{Event, Queue};
use fanotify::*;
use hal::sync::SpinLock;
use vfs::{Inode, Metadata, Mount, Path};

/// `fs.fanotify.max_queued_events`.
pub static MAX_QUEUED_EVENTS: AtomicI64 = AtomicI64::new(16384);
/// `fs.fanotify.max_user_groups`.
pub static MAX_USER_GROUPS: AtomicI64 = AtomicI64::new(128);
/// `fs.fanotify.max_user_marks`; 0 until first read.
static MAX_USER_MARKS: AtomicI64 = AtomicI64::new(0);
/// What a mark costs in Linux's formula (`2 * sizeof(struct inode)` on Debian's 6.1).
const MARK_COST: u64 = 2 * 600;

/// `fs.fanotify.max_user_marks`: 1% of RAM over the cost of a mark, between 8192 and
/// 1048576 (`fanotify_user_setup`).
pub fn max_user_marks() -> i64 {
    match MAX_USER_MARKS.load(Ordering::Relaxed) {
        0 => {
            let total = hal::mm::frame::stats().0 as u64;
            let value = ((total / 100) * 4096 / MARK_COST).clamp(8192, 1_048_576) as i64;
            MAX_USER_MARKS.store(value, Ordering::Relaxed);
            value
        }
        value => value,
    }
}

/// Sets `fs.fanotify.max_user_marks`.
pub fn set_max_user_marks(value: i64) {
    MAX_USER_MARKS.store(value.max(0), Ordering::Relaxed);
}

/// What a mark is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Obj {
    Inode(usize),
    Mount(usize),
    Sb(u64),
}

/// Mount marks, by the mount's address.
static MOUNT_MARKS: SpinLock<BTreeMap<usize, Vec<Weak<Group>>>> =
    SpinLock::new("fanotify.object_marks", BTreeMap::new());
/// Filesystem marks, by device.
static SB_MARKS: SpinLock<BTreeMap<u64, Vec<Weak<Group>>>> =
    SpinLock::new("fanotify.object_marks", BTreeMap::new());

/// What keeps a mark's object (held, never read).
#[allow(dead_code)]
enum Pin {
    Inode(Arc<dyn Inode>),
    /// An evictable mark: gone with the inode.
    Evictable(Weak<dyn Inode>),
    /// A mount mark does not keep its mount from being unmounted.
    Mount(Weak<Mount>),
    Sb,
}

struct MarkEntry {
    mark: Mark,
    pin: Pin,
    ino: u64,
    dev: u64,
    mnt_id: u32,
}

impl MarkEntry {
    fn is_alive(&self) -> bool {
        match &self.pin {
            Pin::Evictable(inode) => inode.strong_count() > 0,
            _ => true,
        }
    }
}

/// A permission event's answer: [`PERM_WAITING`] until answered.
struct Perm {
    state: AtomicU8,
}

const PERM_WAITING: u8 = 0;
const PERM_ALLOWED: u8 = 1;
const PERM_DENIED: u8 = 2;

impl Perm {
    fn answer(&self, is_allowed: bool) {
        let state = if is_allowed {
            PERM_ALLOWED
        } else {
            PERM_DENIED
        };
        let _ =
            self.state
                .compare_exchange(PERM_WAITING, state, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// What a queued event is about.
struct Payload {
    path: Path,
    perm: Option<Arc<Perm>>,
    thread: Weak<Thread>,
    process: Weak<Process>,
    /// The thread's and process's numbers in the initial namespace, reported once they
    /// are gone (Linux keeps the `struct pid`).
    tid: u32,
    tgid: u32,
}

impl fanotify::queue::Payload for Payload {
    fn same_object(&self, other: &Self) -> bool {
        self.path.same(&other.path)
    }

    fn is_permission(&self) -> bool {
        self.perm.is_some()
    }
}

struct State {
    queue: Queue<Payload>,
    marks: BTreeMap<Obj, MarkEntry>,
    /// Permission events read and not answered yet, by the fd they were reported with.
    access: Vec<(i32, Arc<Perm>)>,
    is_shutdown: bool,
}

/// One fanotify group.
pub struct Group {
    /// `fanotify_init`'s flags.
    flags: u32,
    /// The flags of the files events open (`event_f_flags | O_LARGEFILE`).
    f_flags: u32,
    priority: Priority,
    is_unprivileged: bool,
    max_events: usize,
    state: SpinLock<State>,
    wait: Arc<WaitQueue>,
    access_wait: Arc<WaitQueue>,
    user: Arc<User>,
}

impl Group {
    /// A group after `fanotify::init::check`: `EMFILE` beyond `max_user_groups`, `EINVAL`
    /// for both class bits, `EPERM` for `FAN_ENABLE_AUDIT` without CAP_AUDIT_WRITE.
    pub fn try_new(
        user: Arc<User>,
        flags: u32,
        event_f_flags: u32,
        is_unprivileged: bool,
        can_audit: bool,
    ) -> Result<Arc<Group>, Errno> {
        let limit = MAX_USER_GROUPS.load(Ordering::Relaxed).max(0) as usize;
        user.fanotify_groups
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < limit).then_some(count + 1)
            })
            .map_err(|_| Errno::EMFILE)?;
        let uncount = || {
            user.fanotify_groups.fetch_sub(1, Ordering::AcqRel);
        };
        let priority = match fanotify::init::priority(flags) {
            Ok(priority) => priority,
            Err(error) => {
                uncount();
                return Err(error);
            }
        };
        if flags & FAN_ENABLE_AUDIT != 0 && !can_audit {
            uncount();
            return Err(Errno::EPERM);
        }
        let max_events = if flags & FAN_UNLIMITED_QUEUE != 0 {
            usize::MAX
        } else {
            MAX_QUEUED_EVENTS.load(Ordering::Relaxed).max(0) as usize
        };
        Ok(Arc::new(Group {
            flags,
            f_flags: fanotify::init::event_file_flags(event_f_flags),
            priority,
            is_unprivileged,
            max_events,
            state: SpinLock::new(
                "fanotify.group",
                State {
                    queue: Queue::new(),
                    marks: BTreeMap::new(),
                    access: Vec::new(),
                    is_shutdown: false,
                },
            ),
            wait: Arc::new(WaitQueue::new()),
            access_wait: Arc::new(WaitQueue::new()),
            user,
        }))
    }

    /// What [`fanotify::mark::check_group`] needs.
    pub fn info(&self) -> fanotify::mark::GroupInfo {
        fanotify::mark::GroupInfo {
            priority: self.priority,
            fid_mode: self.flags & FID_BITS,
            is_unprivileged: self.is_unprivileged,
        }
    }

    /// `FAN_MARK_FLUSH`: removes every mark of one kind.
    pub fn flush(self: &Arc<Self>, obj: fanotify::mark::ObjType) {
        let removed = take_marks(&mut self.state.lock(), |key, _| {
            matches!(
                (key, obj),
                (Obj::Inode(_), fanotify::mark::ObjType::Inode)
                    | (Obj::Mount(_), fanotify::mark::ObjType::Mount)
                    | (Obj::Sb(_), fanotify::mark::ObjType::Filesystem)
            )
        });
        for (key, entry) in removed {
            self.unregister(key, &entry);
        }
    }

    /// `FAN_MARK_ADD` of `mask` on the object of `path` (an inode mark when `is_inode`).
    pub fn add_mark(
        self: &Arc<Self>,
        path: &Path,
        obj: fanotify::mark::ObjType,
        mask: u32,
        fan_flags: u32,
    ) -> Result<(), Errno> {
        let inode = path.inode();
        let metadata = inode.metadata();
        let key = object_key(path, obj);
        if key_is_inode(key)
            && fan_flags & MARK_IGNORE_BITS != 0
            && fan_flags & FAN_MARK_IGNORED_SURV_MODIFY == 0
            && inode
                .open_counts()
                .is_some_and(|counts| counts.writers() > 0)
        {
            // An ignore mask that a modification would clear at once is not added.
            return Ok(());
        }
        let mut is_new = false;
        {
            let mut state = self.state.lock();
            if let Some(entry) = state.marks.get_mut(&key)
                && entry.is_alive()
            {
                entry.mark.may_update(fan_flags)?;
                entry.mark.add(mask, fan_flags);
                if let Pin::Evictable(weak) = &entry.pin
                    && entry.mark.flags & fanotify::mark::MARK_NO_IREF == 0
                    && let Some(strong) = weak.upgrade()
                {
                    entry.pin = Pin::Inode(strong);
                }
                return Ok(());
            }
            if self.flags & FAN_UNLIMITED_MARKS == 0 {
                let limit = max_user_marks().max(0) as usize;
                self.user
                    .fanotify_marks
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                        (count < limit).then_some(count + 1)
                    })
                    .map_err(|_| Errno::ENOSPC)?;
            }
            let mut mark = Mark::new(fan_flags);
            mark.add(mask, fan_flags);
            let pin = match obj {
                fanotify::mark::ObjType::Inode if fan_flags & FAN_MARK_EVICTABLE != 0 => {
                    Pin::Evictable(Arc::downgrade(inode))
                }
                fanotify::mark::ObjType::Inode => Pin::Inode(inode.clone()),
                fanotify::mark::ObjType::Mount => Pin::Mount(Arc::downgrade(path.mnt())),
                fanotify::mark::ObjType::Filesystem => Pin::Sb,
            };
            let old = state.marks.insert(
                key,
                MarkEntry {
                    mark,
                    pin,
                    ino: metadata.ino,
                    dev: metadata.dev,
                    mnt_id: path.mnt().id(),
                },
            );
            if old.is_none() {
                is_new = true;
            } else {
                // A dead evictable mark was replaced: its registration stays.
                self.uncharge_mark();
            }
            drop(state);
            drop(old);
        }
        if is_new && let Err(error) = self.register(key) {
            let removed = self.state.lock().marks.remove(&key);
            if removed.is_some() {
                self.uncharge_mark();
            }
            drop(removed);
            return Err(error);
        }
        Ok(())
    }

    /// `FAN_MARK_REMOVE`: `ENOENT` without a mark.
    pub fn remove_mark(
        self: &Arc<Self>,
        path: &Path,
        obj: fanotify::mark::ObjType,
        mask: u32,
        fan_flags: u32,
        umask: u32,
    ) -> Result<(), Errno> {
        let key = object_key(path, obj);
        let removed = {
            let mut state = self.state.lock();
            let entry = state.marks.get_mut(&key).ok_or(Errno::ENOENT)?;
            if !entry.is_alive() {
                None
            } else if entry.mark.remove(mask, fan_flags, umask) {
                state.marks.remove(&key)
            } else {
                return Ok(());
            }
        };
        match removed {
            Some(entry) => {
                self.unregister(key, &entry);
                Ok(())
            }
            None => Err(Errno::ENOENT),
        }
    }

    fn uncharge_mark(&self) {
        if self.flags & FAN_UNLIMITED_MARKS == 0 {
            self.user.fanotify_marks.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn register(self: &Arc<Self>, key: Obj) -> Result<(), Errno> {
        let weak = Arc::downgrade(self);
        let push = |list: &mut Vec<Weak<Group>>| -> Result<(), Errno> {
            list.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            list.push(weak.clone());
            Ok(())
        };
        match key {
            Obj::Inode(inode) => return super::notify::fanotify_register(inode, weak),
            Obj::Mount(mount) => push(MOUNT_MARKS.lock().entry(mount).or_default())?,
            Obj::Sb(dev) => push(SB_MARKS.lock().entry(dev).or_default())?,
        }
        super::notify::count_marks(1);
        Ok(())
    }

    fn unregister(&self, key: Obj, entry: &MarkEntry) {
        let _ = entry;
        self.uncharge_mark();
        let this = self as *const Group;
        let remove = |list: &mut Vec<Weak<Group>>| -> usize {
            let before = list.len();
            list.retain(|group| !core::ptr::eq(group.as_ptr(), this));
            before - list.len()
        };
        let removed = match key {
            Obj::Inode(inode) => {
                super::notify::fanotify_unregister(inode, this);
                return;
            }
            Obj::Mount(mount) => {
                let mut marks = MOUNT_MARKS.lock();
                let removed = marks.get_mut(&mount).map_or(0, remove);
                if marks.get(&mount).is_some_and(Vec::is_empty) {
                    marks.remove(&mount);
                }
                removed
            }
            Obj::Sb(dev) => {
                let mut marks = SB_MARKS.lock();
                let removed = marks.get_mut(&dev).map_or(0, remove);
                if marks.get(&dev).is_some_and(Vec::is_empty) {
                    marks.remove(&dev);
                }
                removed
            }
        };
        super::notify::count_marks(-(removed as isize));
    }

    /// This group's marks among `objects`, for an event with `mask` (a modification first
    /// clears the ignore masks that do not survive it).
    fn matching_marks(&self, objects: &[(Iter, Obj)], mask: u32) -> Vec<(Iter, Mark)> {
        let mut out = Vec::new();
        let mut state = self.state.lock();
        if state.is_shutdown || out.try_reserve(objects.len()).is_err() {
            return out;
        }
        for (iter, key) in objects {
            if let Some(entry) = state.marks.get_mut(key)
                && entry.is_alive()
                && entry.mark.takes_part(*iter)
            {
                if mask & FAN_MODIFY != 0 {
                    entry.mark.modified();
                }
                out.push((*iter, entry.mark));
            }
        }
        out
    }

    /// Queues an event; for a permission event, sleeps (killably) until it is answered:
    /// `EPERM` when denied.
    fn queue(&self, mask: u32, path: &Path) -> Result<(), Errno> {
        let Some(thread) = crate::process::try_current() else {
            return Ok(());
        };
        let perm = if mask & PERM_EVENTS != 0 {
            Some(Arc::new(Perm {
                state: AtomicU8::new(PERM_WAITING),
            }))
        } else {
            None
        };
        let event = Event {
            mask,
            pid: 1,
            payload: Some(Payload {
                path: path.clone(),
                perm: perm.clone(),
                thread: Arc::downgrade(&thread),
                process: Arc::downgrade(&thread.process),
                tid: thread.tid(),
                tgid: thread.process.pid,
            }),
        };
        let unused = {
            let mut state = self.state.lock();
            if state.is_shutdown {
                Some(event)
            } else {
                let (pushed, unused) = push_event(&mut state.queue, event, self.max_events);
                if pushed == fanotify::queue::Pushed::Overflowed
                    || pushed == fanotify::queue::Pushed::Dropped
                {
                    // A permission event that did not fit is not waited for.
                    if let Some(perm) = &perm {
                        perm.answer(true);
                    }
                }
                unused
            }
        };
        let was_queued = unused.is_none();
        drop(unused);
        if was_queued {
            self.wait.wake_all();
        }
        let Some(perm) = perm else {
            return Ok(());
        };
        if !was_queued {
            return Ok(());
        }
        let waited = wait_event(
            &thread,
            &[&self.access_wait],
            SleepKind::Killable,
            None,
            || match perm.state.load(Ordering::Acquire) {
                PERM_WAITING => None,
                state => Some(state),
            },
        );
        match waited {
            Ok(PERM_ALLOWED) => Ok(()),
            Ok(_) => Err(Errno::EPERM),
            Err(WaitError::Interrupted | WaitError::TimedOut) => {
                // Killed: a queued event goes; one already read stays on the access list
                // until answered.
                let removed = self.state.lock().queue.remove_first(|event| {
                    event
                        .payload
                        .as_ref()
                        .and_then(|payload| payload.perm.as_ref())
                        .is_some_and(|other| Arc::ptr_eq(other, &perm))
                });
                drop(removed);
                Err(Errno::ERESTARTSYS)
            }
        }
    }

    fn is_readable(&self) -> bool {
        !self.state.lock().queue.is_empty()
    }

    /// The length of the record of `event`.
    fn event_len(&self, event: &Event<Payload>) -> usize {
        let mut len = METADATA_LEN;
        if self.flags & FAN_REPORT_PIDFD != 0 && event.payload.is_some() {
            len += PIDFD_INFO_LEN;
        }
        len
    }

    /// The group's file is closed: its marks go, permission events are allowed.
    fn shutdown(&self) {
        let (marks, events, access) = {
            let mut state = self.state.lock();
            state.is_shutdown = true;
            let marks = core::mem::take(&mut state.marks);
            let mut events = Vec::new();
            let _ = events.try_reserve(state.queue.len());
            state.queue.drain(|event| {
                if events.try_reserve(1).is_ok() {
                    events.push(event);
                }
            });
            (marks, events, core::mem::take(&mut state.access))
        };
        for (key, entry) in &marks {
            self.unregister(*key, entry);
        }
        for (_, perm) in &access {
            perm.answer(true);
        }
        for event in &events {
            if let Some(perm) = event.payload.as_ref().and_then(|p| p.perm.as_ref()) {
                perm.answer(true);
            }
        }
        self.access_wait.wake_all();
        drop((marks, events, access));
    }
}

/// [`Queue::push`], returning the event when it was not queued (merged or dropped), so it
/// is dropped after the lock is released.
fn push_event(
    queue: &mut Queue<Payload>,
    event: Event<Payload>,
    max_events: usize,
) -> (fanotify::queue::Pushed, Option<Event<Payload>>) {
    queue.push_returning(event, max_events)
}

impl Drop for Group {
    fn drop(&mut self) {
        self.user.fanotify_groups.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes the marks whose key and entry `pick` accepts out of `state` (as many as memory
/// allows: the rest stay).
fn take_marks(state: &mut State, pick: impl Fn(&Obj, &MarkEntry) -> bool) -> Vec<(Obj, MarkEntry)> {
    let mut keys = Vec::new();
    for (key, entry) in &state.marks {
        if pick(key, entry) {
            if keys.try_reserve(1).is_err() {
                break;
            }
            keys.push(*key);
        }
    }
    let mut removed = Vec::new();
    if removed.try_reserve_exact(keys.len()).is_err() {
        return removed;
    }
    for key in keys {
        if let Some(entry) = state.marks.remove(&key) {
            removed.push((key, entry));
        }
    }
    removed
}

fn object_key(path: &Path, obj: fanotify::mark::ObjType) -> Obj {
    match obj {
        fanotify::mark::ObjType::Inode => Obj::Inode(super::notify::key_of(path.inode())),
        fanotify::mark::ObjType::Mount => Obj::Mount(Arc::as_ptr(path.mnt()) as usize),
        fanotify::mark::ObjType::Filesystem => Obj::Sb(path.inode().metadata().dev),
    }
}

fn key_is_inode(key: Obj) -> bool {
    matches!(key, Obj::Inode(_))
}

/// The groups with a mark on `key` of the registry `marks`.
fn groups_of<K: Ord>(
    marks: &SpinLock<BTreeMap<K, Vec<Weak<Group>>>>,
    key: &K,
    out: &mut Vec<Arc<Group>>,
) {
    let marks = marks.lock();
    if let Some(list) = marks.get(key) {
        for group in list {
            if let Some(group) = group.upgrade()
                && out.try_reserve(1).is_ok()
            {
                out.push(group);
            }
        }
    }
}

/// Sends a file event (`FAN_ACCESS`, `FAN_MODIFY`, `FAN_OPEN`, `FAN_OPEN_EXEC`, `FAN_CLOSE_*`
/// or a permission event) about the object `path` names to every group that listens
/// (`fsnotify_file` → `__fsnotify_parent` → `fsnotify`). `EPERM` when a group denies a
/// permission event.
pub fn file_event(path: &Path, mask: u32) -> Result<(), Errno> {
    if !super::notify::is_active() {
        return Ok(());
    }
    let inode = path.inode();
    let file_type = inode.file_type();
    // Events with a path are reported for regular files and directories only.
    if !file_type.is_dir() && file_type != vfs::FileType::Regular {
        return Ok(());
    }
    let event_mask = if file_type.is_dir() {
        mask | FAN_ONDIR
    } else {
        mask
    };
    let inode_key = super::notify::key_of(inode);
    let parent_key = path
        .dentry()
        .parent()
        .map(|parent| super::notify::key_of(parent.inode()));
    let mount_key = Arc::as_ptr(path.mnt()) as usize;
    let dev = inode.metadata().dev;

    let mut groups = Vec::new();
    super::notify::fanotify_groups(inode_key, &mut groups);
    let parent_groups_start = groups.len();
    if let Some(parent) = parent_key {
        super::notify::fanotify_groups(parent, &mut groups);
    }
    let parent_groups_end = groups.len();
    groups_of(&MOUNT_MARKS, &mount_key, &mut groups);
    groups_of(&SB_MARKS, &dev, &mut groups);
    if groups.is_empty() {
        return Ok(());
    }
    // The parent is consulted when its marks together watch children for this event
    // (`fsnotify_inode_watches_children`).
    let parent_interested = parent_key.is_some_and(|parent| {
        let interest =
            groups[parent_groups_start..parent_groups_end]
                .iter()
                .fold(0, |interest, group| {
                    let state = group.state.lock();
                    interest
                        | state
                            .marks
                            .get(&Obj::Inode(parent))
                            .filter(|entry| entry.is_alive())
                            .map_or(0, |entry| entry.mark.interest())
                });
        interest & FAN_EVENT_ON_CHILD != 0 && interest & EVENTS_POSS_ON_CHILD & mask != 0
    });
    groups.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then((Arc::as_ptr(a) as usize).cmp(&(Arc::as_ptr(b) as usize)))
    });
    groups.dedup_by(|a, b| Arc::ptr_eq(a, b));

    let parent = parent_key
        .filter(|_| parent_interested)
        .map(|parent| (Iter::Parent, Obj::Inode(parent)));
    let all = [
        Some((Iter::Inode, Obj::Inode(inode_key))),
        Some((Iter::Mount, Obj::Mount(mount_key))),
        Some((Iter::Sb, Obj::Sb(dev))),
        parent,
    ];
    let count = if parent.is_some() { 4 } else { 3 };
    let objects: [(Iter, Obj); 4] = all.map(|object| object.unwrap_or((Iter::Sb, Obj::Sb(dev))));
    let objects = &objects[..count];
    for group in groups {
        let marks = group.matching_marks(objects, event_mask);
        if marks.is_empty() {
            continue;
        }
        let (report, _) =
            fanotify::mark::group_event_mask(&marks, event_mask, group.flags & FID_BITS);
        if report == 0 {
            continue;
        }
        // File-id groups have no path-type events on Ferrux yet (no filesystem has an fsid).
        if group.flags & FID_BITS != 0 {
            continue;
        }
        group.queue(report, path)?;
    }
    Ok(())
}

/// The filesystem of device `dev` is unmounted: every group's inode and filesystem marks on
/// it go, without an event (`fsnotify_sb_delete`).
pub fn unmounted(dev: u64) {
    let mut groups = Vec::new();
    super::notify::all_fanotify_groups(&mut groups);
    groups_of(&SB_MARKS, &dev, &mut groups);
    groups.sort_by_key(|group| Arc::as_ptr(group) as usize);
    groups.dedup_by(|a, b| Arc::ptr_eq(a, b));
    for group in groups {
        let removed = take_marks(&mut group.state.lock(), |key, entry| {
            entry.dev == dev && matches!(key, Obj::Inode(_) | Obj::Sb(_))
        });
        for (key, entry) in removed {
            group.unregister(key, &entry);
        }
    }
}

/// `FAN_OPEN_PERM` (and `FAN_OPEN_EXEC_PERM` first for `is_exec`) for a file being opened
/// (`fsnotify_perm(file, MAY_OPEN)`), for files that make events.
pub fn open_perm(file: &OpenFile, is_exec: bool) -> Result<(), Errno> {
    if !super::notify::is_active() || file.is_nonotify() {
        return Ok(());
    }
    let Some(path) = &file.path else {
        return Ok(());
    };
    if is_exec {
        file_event(path, FAN_OPEN_EXEC_PERM)?;
    }
    file_event(path, FAN_OPEN_PERM)
}

/// The open of a program or script by execve (`do_open_execat`): `FAN_OPEN_EXEC_PERM`,
/// `FAN_OPEN_PERM`, then `FAN_OPEN | FAN_OPEN_EXEC` (`fsnotify_open` of an `__FMODE_EXEC` file).
pub fn exec_open(path: &Path) -> Result<(), Errno> {
    if !super::notify::is_active() {
        return Ok(());
    }
    file_event(path, FAN_OPEN_EXEC_PERM)?;
    file_event(path, FAN_OPEN_PERM)?;
    file_event(path, FAN_OPEN | FAN_OPEN_EXEC)
}

/// `FAN_ACCESS_PERM` before a read (`fsnotify_perm(file, MAY_READ)` of `rw_verify_area`).
pub fn access_perm(file: &OpenFile) -> Result<(), Errno> {
    if !super::notify::is_active() || file.is_nonotify() {
        return Ok(());
    }
    match &file.path {
        Some(path) => file_event(path, FAN_ACCESS_PERM),
        None => Ok(()),
    }
}

/// The file of a group (`fanotify_fops`).
pub struct FanotifyFile {
    pub group: Arc<Group>,
}

impl Drop for FanotifyFile {
    fn drop(&mut self) {
        self.group.shutdown();
    }
}

/// The descriptor bound of `thread`: `RLIMIT_NOFILE`'s soft limit.
fn descriptor_limit(thread: &Thread) -> usize {
    thread
        .process
        .limits
        .lock()
        .get(crate::process::rlimit::RLIMIT_NOFILE)
        .map_or(1024, |limit| {
            limit.soft.min(crate::sysctl::nr_open()) as usize
        })
}

impl FanotifyFile {
    /// Opens the event's file for the reader and installs it (`create_fd`).
    fn create_fd(&self, thread: &Thread, path: &Path) -> Result<i32, Errno> {
        let limit = descriptor_limit(thread);
        let charge = super::file_table::charge_with_descriptor(thread, limit)?;
        let flags =
            OpenFlags::from_bits_retain(self.group.f_flags).difference(OpenFlags::O_CLOEXEC);
        // dentry_open's write access: a directory cannot be opened for writing, nor anything
        // through a read-only mount.
        if self.group.f_flags & abi::fcntl::O_ACCMODE != abi::raw::general::O_RDONLY {
            if path.inode().file_type().is_dir() {
                return Err(Errno::EISDIR);
            }
            path.mnt().want_write()?;
        }
        let file = super::open_dentry_noctty(path.clone(), flags, true, charge)?;
        file.mark_nonotify();
        thread.process.files.get().lock().insert_from(
            0,
            file,
            self.group.f_flags & abi::raw::general::O_CLOEXEC != 0,
            limit,
        )
    }

    /// A pidfd for the event's process, or `FAN_NOPIDFD`/`FAN_EPIDFD`.
    fn create_pidfd(&self, thread: &Thread, payload: &Payload) -> i32 {
        let Some(process) = payload.process.upgrade() else {
            return fanotify::queue::FAN_NOPIDFD;
        };
        if process.is_zombie() {
            return fanotify::queue::FAN_NOPIDFD;
        }
        let limit = descriptor_limit(thread);
        let Ok(charge) = super::file_table::charge_with_descriptor(thread, limit) else {
            return fanotify::queue::FAN_EPIDFD;
        };
        let files = thread.process.files.get();
        let mut files = files.lock();
        super::pidfd::install(&mut files, process, OpenFlags::empty(), limit, charge)
            .unwrap_or(fanotify::queue::FAN_EPIDFD)
    }

    /// Writes one event's record into `out`; its fd (or `FAN_NOFD`).
    fn copy_event(
        &self,
        thread: &Thread,
        event: &Event<Payload>,
        out: &mut [u8],
    ) -> Result<i32, Errno> {
        let len = self.group.event_len(event);
        let mut fd = FAN_NOFD;
        let mut pid = 0;
        if let Some(payload) = &event.payload {
            let viewer = &thread.process.pid_ns;
            pid = if self.group.flags & FAN_REPORT_TID != 0 {
                payload
                    .thread
                    .upgrade()
                    .map_or(payload.tid, |t| t.tid_in(viewer))
            } else {
                payload
                    .process
                    .upgrade()
                    .map_or(payload.tgid, |p| p.pid_in(viewer))
            };
            if self.group.is_unprivileged
                && !payload
                    .process
                    .upgrade()
                    .is_some_and(|p| Arc::ptr_eq(&p, &thread.process))
            {
                pid = 0;
            }
            if !self.group.is_unprivileged {
                fd = self.create_fd(thread, &payload.path)?;
            }
        }
        out[..METADATA_LEN].copy_from_slice(&fanotify::queue::metadata(len, event.mask, fd, pid));
        if len > METADATA_LEN
            && let Some(payload) = &event.payload
        {
            let pidfd = self.create_pidfd(thread, payload);
            out[METADATA_LEN..len].copy_from_slice(&fanotify::queue::pidfd_record(pidfd));
        }
        Ok(fd)
    }

    fn read_events(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
        let mut done = 0;
        loop {
            let event = {
                let mut state = self.group.state.lock();
                let Some(front) = state.queue.front() else {
                    break;
                };
                if self.group.event_len(front) > buf.len() - done {
                    if done == 0 {
                        return Err(Errno::EINVAL);
                    }
                    break;
                }
                state.queue.pop()
            };
            let Some(event) = event else {
                break;
            };
            let len = self.group.event_len(&event);
            let result = self.copy_event(&thread, &event, &mut buf[done..done + len]);
            let perm = event.payload.as_ref().and_then(|p| p.perm.clone());
            match result {
                Ok(fd) => {
                    if let Some(perm) = perm {
                        let mut state = self.group.state.lock();
                        if state.access.try_reserve(1).is_ok() && !state.is_shutdown {
                            state.access.push((fd, perm));
                        } else {
                            drop(state);
                            perm.answer(!self.group.state.lock().is_shutdown);
                            self.group.access_wait.wake_all();
                        }
                    }
                    done += len;
                }
                Err(error) => {
                    if let Some(perm) = perm {
                        perm.answer(false);
                        self.group.access_wait.wake_all();
                    }
                    drop(event);
                    if done == 0 {
                        return Err(error);
                    }
                    break;
                }
            }
            drop(event);
        }
        Ok(done)
    }
}

impl FileOps for FanotifyFile {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        loop {
            let count = self.read_events(buf)?;
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

    /// A `struct fanotify_response` for a permission event read from this group.
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        let response =
            fanotify::queue::parse_response(data, self.group.flags & FAN_ENABLE_AUDIT != 0)?;
        let perm = {
            let mut state = self.group.state.lock();
            let index = state
                .access
                .iter()
                .position(|(fd, _)| *fd == response.fd)
                .ok_or(Errno::ENOENT)?;
            state.access.remove(index).1
        };
        perm.answer(response.is_allowed);
        self.group.access_wait.wake_all();
        Ok(8)
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.group.wait);
        Some(if self.group.is_readable() {
            POLLIN | POLLRDNORM
        } else {
            0
        })
    }

    /// `FIONREAD`: the bytes of the queued events' records.
    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        if command != abi::ioctl::FIONREAD {
            return Err(Errno::ENOTTY);
        }
        let bytes = {
            let state = self.group.state.lock();
            let mut bytes = 0usize;
            let mut queue_len = state.queue.len();
            if let Some(front) = state.queue.front() {
                bytes = self.group.event_len(front);
                queue_len -= 1;
            }
            bytes
                + queue_len
                    * (METADATA_LEN
                        + if self.group.flags & FAN_REPORT_PIDFD != 0 {
                            PIDFD_INFO_LEN
                        } else {
                            0
                        })
        };
        hal::usercopy::copy_to_user(argument, &(bytes as i32).to_ne_bytes())?;
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
        Some("[fanotify]")
    }

    fn as_fanotify(&self) -> Option<&Arc<Group>> {
        Some(&self.group)
    }

    /// `fanotify flags:… event-flags:…`, then one line per mark (`fanotify_fdinfo`).
    fn show_fdinfo(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let group = &self.group;
        crate::out!(
            out,
            "fanotify flags:{:x} event-flags:{:x}\n",
            group.flags & INIT_FLAGS,
            group.f_flags
        )?;
        let mut lines = Vec::new();
        {
            let state = group.state.lock();
            lines
                .try_reserve_exact(state.marks.len())
                .map_err(|_| Errno::ENOMEM)?;
            for (key, entry) in &state.marks {
                if entry.is_alive() {
                    lines.push((*key, entry.mark, entry.ino, entry.dev, entry.mnt_id));
                }
            }
        }
        for (key, mark, ino, dev, mnt_id) in lines {
            let sdev = (vfs::inode::dev_major(dev) << 20) | vfs::inode::dev_minor(dev);
            let (mflags, mask, ignored) = (mark.user_flags(), mark.mask, mark.ignore_mask);
            match key {
                Obj::Inode(_) => crate::out!(
                    out,
                    "fanotify ino:{ino:x} sdev:{sdev:x} mflags:{mflags:x} mask:{mask:x} ignored_mask:{ignored:x}\n"
                )?,
                Obj::Mount(_) => crate::out!(
                    out,
                    "fanotify mnt_id:{mnt_id:x} mflags:{mflags:x} mask:{mask:x} ignored_mask:{ignored:x}\n"
                )?,
                Obj::Sb(_) => crate::out!(
                    out,
                    "fanotify sdev:{sdev:x} mflags:{mflags:x} mask:{mask:x} ignored_mask:{ignored:x}\n"
                )?,
            }
        }
        Ok(())
    }

    fn metadata(&self) -> Metadata {
        super::eventfd::anon_inode_metadata()
    }
}
