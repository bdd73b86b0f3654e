//! inotify's per-instance logic, as pure data structures the kernel drives and the host tests
//! (Linux `fs/notify/inotify/inotify_user.c`, `inotify_fsnotify.c`, `fs/notify/notification.c`,
//! inotify(7)).
//!
//! - [`Watches`]: one instance's watch table. Watch descriptors are handed out cyclically
//!   from 1 (Linux's `idr_alloc_cyclic`), so a removed descriptor is not reused until the
//!   counter wraps; a second `inotify_add_watch` of the same object updates its watch
//!   (replacing the mask, or adding to it with `IN_MASK_ADD`; `EEXIST` with
//!   `IN_MASK_CREATE`). A watch keeps the events of its mask plus the `IN_ONESHOT` and
//!   `IN_EXCL_UNLINK` flags ([`user_mask`]).
//! - [`Queue`]: the instance's event queue. An event identical to the last one queued (same
//!   descriptor, mask, cookie and name) is merged into it (`inotify_merge`); with
//!   `max_queued_events` events queued, one `IN_Q_OVERFLOW` event (descriptor -1) is queued
//!   and further events are dropped until it is read. [`Queue::read`] copies whole
//!   `struct inotify_event` records, names NUL-padded to a multiple of 16 bytes, and answers
//!   `EINVAL` when the first one does not fit; [`Queue::bytes`] is `FIONREAD`'s answer.
//! - [`deliver`]: what a watch does with an event: whether its mask wants it, and whether it
//!   then goes (`IN_ONESHOT`); [`reported_mask`]: the mask it is queued with.
//!
//! - [`dnotify`]: the rules of `F_NOTIFY` registrations.
//!
//! The kernel side (which VFS operation sends which event to which inode, the descriptor
//! file, the per-user limits) lives in `kernel/src/fs/notify`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod dnotify;

use abi::Errno;
use abi::raw::general as raw;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

pub const IN_ACCESS: u32 = raw::IN_ACCESS;
pub const IN_MODIFY: u32 = raw::IN_MODIFY;
pub const IN_ATTRIB: u32 = raw::IN_ATTRIB;
pub const IN_CLOSE_WRITE: u32 = raw::IN_CLOSE_WRITE;
pub const IN_CLOSE_NOWRITE: u32 = raw::IN_CLOSE_NOWRITE;
pub const IN_OPEN: u32 = raw::IN_OPEN;
pub const IN_MOVED_FROM: u32 = raw::IN_MOVED_FROM;
pub const IN_MOVED_TO: u32 = raw::IN_MOVED_TO;
pub const IN_CREATE: u32 = raw::IN_CREATE;
pub const IN_DELETE: u32 = raw::IN_DELETE;
pub const IN_DELETE_SELF: u32 = raw::IN_DELETE_SELF;
pub const IN_MOVE_SELF: u32 = raw::IN_MOVE_SELF;
pub const IN_UNMOUNT: u32 = raw::IN_UNMOUNT;
pub const IN_Q_OVERFLOW: u32 = raw::IN_Q_OVERFLOW;
pub const IN_IGNORED: u32 = raw::IN_IGNORED;
pub const IN_ONLYDIR: u32 = raw::IN_ONLYDIR;
pub const IN_DONT_FOLLOW: u32 = raw::IN_DONT_FOLLOW;
pub const IN_EXCL_UNLINK: u32 = raw::IN_EXCL_UNLINK;
pub const IN_MASK_CREATE: u32 = raw::IN_MASK_CREATE;
pub const IN_MASK_ADD: u32 = raw::IN_MASK_ADD;
pub const IN_ISDIR: u32 = raw::IN_ISDIR;
pub const IN_ONESHOT: u32 = raw::IN_ONESHOT;
pub const IN_ALL_EVENTS: u32 = raw::IN_ALL_EVENTS;
pub const IN_CLOEXEC: u32 = raw::IN_CLOEXEC;
pub const IN_NONBLOCK: u32 = raw::IN_NONBLOCK;

/// Every bit `inotify_add_watch` knows (`ALL_INOTIFY_BITS`); a mask with none is `EINVAL`.
pub const ALL_INOTIFY_BITS: u32 = IN_ALL_EVENTS
    | IN_UNMOUNT
    | IN_Q_OVERFLOW
    | IN_IGNORED
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_ADD
    | IN_MASK_CREATE
    | IN_ISDIR
    | IN_ONESHOT;

/// Events a directory watch also receives for its entries, with the entry's name
/// (`FS_EVENTS_POSS_ON_CHILD`).
pub const EVENTS_ON_CHILD: u32 =
    IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN;

/// `sizeof(struct inotify_event)`: the header of every record.
pub const EVENT_HEADER: usize = 16;

/// What a watch keeps of `inotify_add_watch`'s mask: the events and the `IN_ONESHOT` and
/// `IN_EXCL_UNLINK` flags (what fdinfo's `mask:` shows, Linux's `inotify_mark_user_mask`).
pub fn user_mask(arg: u32) -> u32 {
    arg & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)
}

/// Length of a record's name field for a name of `len` bytes: with its NUL, rounded up to a
/// multiple of [`EVENT_HEADER`]; 0 without a name.
pub fn padded_name_len(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 1).div_ceil(EVENT_HEADER) * EVENT_HEADER
    }
}

/// One queued event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub name: Vec<u8>,
}

impl Event {
    /// An event with a copy of `name`; `ENOMEM` if it cannot be allocated.
    pub fn try_new(wd: i32, mask: u32, cookie: u32, name: &[u8]) -> Result<Event, Errno> {
        let mut copy = Vec::new();
        copy.try_reserve_exact(name.len())
            .map_err(|_| Errno::ENOMEM)?;
        copy.extend_from_slice(name);
        Ok(Event {
            wd,
            mask,
            cookie,
            name: copy,
        })
    }

    /// The overflow event (`IN_Q_OVERFLOW`, descriptor -1).
    pub fn overflow() -> Event {
        Event {
            wd: -1,
            mask: IN_Q_OVERFLOW,
            cookie: 0,
            name: Vec::new(),
        }
    }

    /// Size of its record.
    pub fn record_len(&self) -> usize {
        EVENT_HEADER + padded_name_len(self.name.len())
    }

    /// Writes its record into `out` (exactly [`Event::record_len`] bytes).
    fn write_record(&self, out: &mut [u8]) {
        let name_len = padded_name_len(self.name.len());
        out[0..4].copy_from_slice(&self.wd.to_ne_bytes());
        out[4..8].copy_from_slice(&self.mask.to_ne_bytes());
        out[8..12].copy_from_slice(&self.cookie.to_ne_bytes());
        out[12..16].copy_from_slice(&(name_len as u32).to_ne_bytes());
        let name = &mut out[EVENT_HEADER..EVENT_HEADER + name_len];
        name.fill(0);
        name[..self.name.len()].copy_from_slice(&self.name);
    }
}

/// What [`Queue::push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Queued at the end.
    Queued,
    /// Identical to the last event: merged into it.
    Merged,
    /// The queue was full: the overflow event was queued instead.
    Overflowed,
    /// The queue was full and the overflow event is already queued: dropped.
    Dropped,
}

/// One instance's event queue (the group's notification list).
#[derive(Debug, Default)]
pub struct Queue {
    events: VecDeque<Event>,
    /// Sum of the queued records' sizes.
    bytes: usize,
    /// The overflow event is queued.
    has_overflow: bool,
}

impl Queue {
    pub const fn new() -> Queue {
        Queue {
            events: VecDeque::new(),
            bytes: 0,
            has_overflow: false,
        }
    }

    /// Queues `event`, with at most `max_events` queued events before the overflow event
    /// (Linux's `fsnotify_insert_event` with `inotify_merge`).
    pub fn push(&mut self, event: Event, max_events: usize) -> Pushed {
        if self.events.len() >= max_events {
            return self.push_overflow();
        }
        if self.events.back() == Some(&event) {
            return Pushed::Merged;
        }
        if self.events.try_reserve(1).is_err() {
            // Linux queues the overflow event when an event cannot be allocated.
            return self.push_overflow();
        }
        self.bytes += event.record_len();
        self.events.push_back(event);
        Pushed::Queued
    }

    /// Queues the overflow event unless it is queued already.
    pub fn push_overflow(&mut self) -> Pushed {
        if self.has_overflow || self.events.try_reserve(1).is_err() {
            return Pushed::Dropped;
        }
        let event = Event::overflow();
        self.bytes += event.record_len();
        self.events.push_back(event);
        self.has_overflow = true;
        Pushed::Overflowed
    }

    /// Number of queued events (the overflow event included).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Bytes a read of everything would return (`FIONREAD`).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Moves as many whole records as fit into `buf`, oldest first. `EINVAL` when the oldest
    /// does not fit; 0 when the queue is empty.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut done = 0;
        while let Some(event) = self.events.front() {
            let len = event.record_len();
            if len > buf.len() - done {
                if done == 0 {
                    return Err(Errno::EINVAL);
                }
                break;
            }
            event.write_record(&mut buf[done..done + len]);
            done += len;
            self.bytes -= len;
            if event.mask == IN_Q_OVERFLOW && event.wd == -1 {
                self.has_overflow = false;
            }
            self.events.pop_front();
        }
        Ok(done)
    }

    /// Empties the queue.
    pub fn clear(&mut self) {
        self.events.clear();
        self.bytes = 0;
        self.has_overflow = false;
    }
}

/// One watch: its descriptor, its [`user_mask`], the watched object's key and what the kernel
/// keeps with it (the pinned inode).
#[derive(Debug)]
pub struct Watch<K, V> {
    pub wd: i32,
    pub mask: u32,
    pub key: K,
    pub value: V,
}

/// What [`Watches::add`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// A new watch with this descriptor.
    New(i32),
    /// The object's existing watch, whose mask changed.
    Updated(i32),
}

impl Added {
    /// The descriptor to return.
    pub fn wd(self) -> i32 {
        match self {
            Added::New(wd) | Added::Updated(wd) => wd,
        }
    }
}

/// One instance's watches, by descriptor and by object.
#[derive(Debug)]
pub struct Watches<K, V> {
    by_wd: BTreeMap<i32, Watch<K, V>>,
    by_key: BTreeMap<K, i32>,
    /// The last descriptor handed out (`idr_next - 1`).
    last_wd: i32,
}

impl<K: Ord + Copy, V> Default for Watches<K, V> {
    fn default() -> Self {
        Watches::new()
    }
}

impl<K: Ord + Copy, V> Watches<K, V> {
    pub const fn new() -> Watches<K, V> {
        Watches {
            by_wd: BTreeMap::new(),
            by_key: BTreeMap::new(),
            last_wd: 0,
        }
    }

    /// Adds a watch of `key` with `inotify_add_watch`'s `arg`, or updates the object's watch
    /// (Linux's `inotify_update_watch`). A new watch first calls `charge` (the per-user limit:
    /// `ENOSPC`) and `make_value`.
    pub fn add(
        &mut self,
        key: K,
        arg: u32,
        charge: impl FnOnce() -> Result<(), Errno>,
        make_value: impl FnOnce() -> V,
    ) -> Result<Added, Errno> {
        if let Some(&wd) = self.by_key.get(&key)
            && let Some(watch) = self.by_wd.get_mut(&wd)
        {
            if arg & IN_MASK_CREATE != 0 {
                return Err(Errno::EEXIST);
            }
            let mask = user_mask(arg);
            watch.mask = if arg & IN_MASK_ADD != 0 {
                watch.mask | mask
            } else {
                mask
            };
            return Ok(Added::Updated(wd));
        }
        let wd = self.next_wd().ok_or(Errno::ENOSPC)?;
        // The descriptor is taken before the charge: a refused watch still uses it up, as
        // Linux allocates the idr slot first.
        self.last_wd = wd;
        charge()?;
        self.by_wd.insert(
            wd,
            Watch {
                wd,
                mask: user_mask(arg),
                key,
                value: make_value(),
            },
        );
        self.by_key.insert(key, wd);
        self.last_wd = wd;
        Ok(Added::New(wd))
    }

    /// The lowest free descriptor after the last one handed out, wrapping to 1.
    fn next_wd(&self) -> Option<i32> {
        let free_from = |start: i32| -> Option<i32> {
            let mut candidate = start;
            for (&used, _) in self.by_wd.range(start..) {
                if used != candidate {
                    return Some(candidate);
                }
                candidate = candidate.checked_add(1)?;
            }
            Some(candidate)
        };
        let start = self.last_wd.checked_add(1).unwrap_or(1).max(1);
        free_from(start).or_else(|| free_from(1).filter(|&wd| wd < start))
    }

    pub fn get(&self, wd: i32) -> Option<&Watch<K, V>> {
        self.by_wd.get(&wd)
    }

    /// The watch of `key`, if any.
    pub fn find(&self, key: &K) -> Option<&Watch<K, V>> {
        self.by_wd.get(self.by_key.get(key)?)
    }

    /// Removes watch `wd`.
    pub fn remove(&mut self, wd: i32) -> Option<Watch<K, V>> {
        let watch = self.by_wd.remove(&wd)?;
        self.by_key.remove(&watch.key);
        Some(watch)
    }

    /// Removes every watch.
    pub fn take_all(&mut self) -> Vec<Watch<K, V>> {
        self.by_key.clear();
        core::mem::take(&mut self.by_wd).into_values().collect()
    }

    pub fn len(&self) -> usize {
        self.by_wd.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_wd.is_empty()
    }

    /// The watches, by descriptor.
    pub fn iter(&self) -> impl Iterator<Item = &Watch<K, V>> {
        self.by_wd.values()
    }
}

/// What a watch with mask `watch_mask` does with an event `event` (one event bit, maybe with
/// `IN_ISDIR`): `None` if its mask does not want it, else whether the watch goes afterwards
/// (`IN_ONESHOT`). `IN_UNMOUNT` is wanted by every watch.
pub fn deliver(watch_mask: u32, event: u32) -> Option<bool> {
    let wanted = watch_mask & IN_ALL_EVENTS | IN_UNMOUNT;
    if event & wanted == 0 {
        return None;
    }
    Some(watch_mask & IN_ONESHOT != 0)
}

/// The mask an event is queued with: as sent, except that `IN_DELETE_SELF` and
/// `IN_MOVE_SELF` never carry `IN_ISDIR` (inotify never reported it with them; Linux masks
/// it out of what fsnotify sends).
pub fn reported_mask(mask: u32) -> u32 {
    if mask & (IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
        mask & !IN_ISDIR
    } else {
        mask
    }
}

#[cfg(test)]
mod tests;
