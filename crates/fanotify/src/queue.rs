//! A group's notification queue and its records (Linux 6.1 `fsnotify_insert_event`,
//! `fanotify_merge`, `fanotify_should_merge`, `copy_event_to_user`, `fanotify_write`).
//!
//! [`Queue::push`] merges an event into a queued one about the same object from the same
//! process (`Payload::same_object`), unless it is a permission event or the two differ in
//! `FAN_ONDIR` or `FAN_RENAME`, looking at the newest 128 candidates as Linux looks at one
//! hash bucket's; with `max_events` queued it queues one `FAN_Q_OVERFLOW` event instead (no
//! fd, pid 0) and drops further events until it is read. [`metadata`] builds the 24-byte
//! `struct fanotify_event_metadata`; [`parse_response`] checks a written
//! `struct fanotify_response`.

use crate::*;
use abi::Errno;
use alloc::collections::VecDeque;

/// Events checked for a merge (`FANOTIFY_MAX_MERGE_EVENTS`).
pub const MAX_MERGE_EVENTS: usize = 128;

/// What an event is about, as far as merging cares.
pub trait Payload {
    /// Whether two events name the same object (path, or file ids and name).
    fn same_object(&self, other: &Self) -> bool;
    /// Whether it waits for an answer (a permission event: never merged).
    fn is_permission(&self) -> bool;
}

/// One queued event.
#[derive(Debug)]
pub struct Event<P> {
    pub mask: u32,
    /// The process (or thread, with `FAN_REPORT_TID`) that caused it; 0 for the overflow.
    pub pid: u32,
    /// `None` for the overflow event.
    pub payload: Option<P>,
}

/// What [`Queue::push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    Merged,
    /// The queue was full: the overflow event was queued instead.
    Overflowed,
    /// The queue was full and the overflow event is queued already: dropped.
    Dropped,
}

/// A group's queue.
#[derive(Debug)]
pub struct Queue<P> {
    events: VecDeque<Event<P>>,
    has_overflow: bool,
}

impl<P> Default for Queue<P> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<P> Queue<P> {
    pub const fn new() -> Queue<P> {
        Queue {
            events: VecDeque::new(),
            has_overflow: false,
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The oldest event.
    pub fn front(&self) -> Option<&Event<P>> {
        self.events.front()
    }

    /// Takes the oldest event.
    pub fn pop(&mut self) -> Option<Event<P>> {
        let event = self.events.pop_front()?;
        if event.payload.is_none() {
            self.has_overflow = false;
        }
        Some(event)
    }

    /// Takes out the first event `matches` accepts (a permission event whose waiter went).
    pub fn remove_first(&mut self, matches: impl Fn(&Event<P>) -> bool) -> Option<Event<P>> {
        let index = self.events.iter().position(matches)?;
        let event = self.events.remove(index)?;
        if event.payload.is_none() {
            self.has_overflow = false;
        }
        Some(event)
    }

    /// Queues the overflow event unless it is queued already.
    pub fn push_overflow(&mut self) -> Pushed {
        if self.has_overflow || self.events.try_reserve(1).is_err() {
            return Pushed::Dropped;
        }
        self.events.push_back(Event {
            mask: FAN_Q_OVERFLOW,
            pid: 0,
            payload: None,
        });
        self.has_overflow = true;
        Pushed::Overflowed
    }

    /// Empties the queue, handing each event to `each`.
    pub fn drain(&mut self, mut each: impl FnMut(Event<P>)) {
        while let Some(event) = self.pop() {
            each(event);
        }
    }
}

impl<P: Payload> Queue<P> {
    /// Queues `event` with at most `max_events` queued (the overflow event counts).
    pub fn push(&mut self, event: Event<P>, max_events: usize) -> Pushed {
        self.push_returning(event, max_events).0
    }

    /// As [`Queue::push`], handing back the event when it was not queued itself (merged or
    /// dropped), for the caller to drop when it chooses (after releasing its lock).
    pub fn push_returning(
        &mut self,
        event: Event<P>,
        max_events: usize,
    ) -> (Pushed, Option<Event<P>>) {
        if self.events.len() >= max_events {
            return (self.push_overflow(), Some(event));
        }
        if self.merge(&event) {
            return (Pushed::Merged, Some(event));
        }
        if self.events.try_reserve(1).is_err() {
            return (self.push_overflow(), Some(event));
        }
        self.events.push_back(event);
        (Pushed::Queued, None)
    }

    fn merge(&mut self, new: &Event<P>) -> bool {
        let Some(payload) = &new.payload else {
            return false;
        };
        if payload.is_permission() {
            return false;
        }
        const KEEP_APART: u32 = FAN_ONDIR | FAN_RENAME;
        for old in self.events.iter_mut().rev().take(MAX_MERGE_EVENTS) {
            let Some(old_payload) = &old.payload else {
                continue;
            };
            if old.pid == new.pid
                && !old_payload.is_permission()
                && old.mask & KEEP_APART == new.mask & KEEP_APART
                && old_payload.same_object(payload)
            {
                old.mask |= new.mask;
                return true;
            }
        }
        false
    }
}

/// `struct fanotify_event_metadata` for an event of `event_len` bytes in all.
pub fn metadata(event_len: usize, mask: u32, fd: i32, pid: u32) -> [u8; METADATA_LEN] {
    let mut out = [0u8; METADATA_LEN];
    out[0..4].copy_from_slice(&(event_len as u32).to_ne_bytes());
    out[4] = METADATA_VERSION;
    out[5] = 0;
    out[6..8].copy_from_slice(&(METADATA_LEN as u16).to_ne_bytes());
    out[8..16].copy_from_slice(&((mask & OUTGOING_EVENTS) as u64).to_ne_bytes());
    out[16..20].copy_from_slice(&fd.to_ne_bytes());
    out[20..24].copy_from_slice(&(pid as i32).to_ne_bytes());
    out
}

/// `struct fanotify_event_info_pidfd`: a header and the pidfd (or `FAN_NOPIDFD`,
/// `FAN_EPIDFD`).
pub fn pidfd_record(pidfd: i32) -> [u8; PIDFD_INFO_LEN] {
    let mut out = [0u8; PIDFD_INFO_LEN];
    out[0] = FAN_EVENT_INFO_TYPE_PIDFD;
    out[2..4].copy_from_slice(&(PIDFD_INFO_LEN as u16).to_ne_bytes());
    out[4..8].copy_from_slice(&pidfd.to_ne_bytes());
    out
}

/// `FAN_NOPIDFD`: the process is gone.
pub const FAN_NOPIDFD: i32 = -1;
/// `FAN_EPIDFD`: the pidfd could not be made.
pub const FAN_EPIDFD: i32 = -2;

/// A checked `struct fanotify_response`: `(fd, response)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    pub fd: i32,
    pub is_allowed: bool,
    pub is_audited: bool,
}

/// `fanotify_write`'s checks of `bytes` (what was written): fewer than 8 bytes, a response
/// other than `FAN_ALLOW`/`FAN_DENY` (with `FAN_AUDIT` only for a group with
/// `FAN_ENABLE_AUDIT`), or a negative fd are `EINVAL`.
pub fn parse_response(bytes: &[u8], has_audit: bool) -> Result<Response, Errno> {
    if bytes.len() < 8 {
        return Err(Errno::EINVAL);
    }
    let fd = i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let response = u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let is_allowed = match response & !FAN_AUDIT {
        FAN_ALLOW => true,
        FAN_DENY => false,
        _ => return Err(Errno::EINVAL),
    };
    let is_audited = response & FAN_AUDIT != 0;
    if is_audited && !has_audit {
        return Err(Errno::EINVAL);
    }
    if fd < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Response {
        fd,
        is_allowed,
        is_audited,
    })
}
