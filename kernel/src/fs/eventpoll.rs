//! epoll instances (Linux `fs/eventpoll.c`, epoll(7)): an interest list of (file, fd) pairs
//! with the events each watches, scanned for readiness by `epoll_wait`.
//!
//! Items are kept in insertion order; a level-triggered item that is reported moves to the end,
//! as Linux re-queues it at the tail of its ready list, so `maxevents` smaller than the ready
//! count rotates through the ready files. Items live in slots with stable numbers, and the
//! order is a list of slot numbers rebuilt in place by each scan (buffers sized when items are
//! added), so a wait allocates nothing but its result. Edge-triggered items (`EPOLLET`) are reported when
//! they are ready and one of their wait queues was woken since their last report (or they were
//! ready when added or modified), which is when Linux's `ep_poll_callback` queues them.
//! `EPOLLONESHOT` disables an item after one report until `EPOLL_CTL_MOD`. Items hold weak
//! references: an item disappears when its open file description is released, as Linux's
//! `eventpoll_release`. Adding an epoll instance to another is checked for cycles and for a
//! chain of nested instances longer than `EP_MAX_NESTS` + 1, counting the instances below the
//! added one and above the one it goes into (`ELOOP`), as 6.1's `ep_loop_check` with its
//! stable fix "eventpoll: Fix semi-unbounded recursion": each instance remembers the epoll
//! files that watch it ([`EventPoll::note_parent`]) for the upward count.
//!
//! Cost: a wait scans the whole interest list, and rescans it after each wake-up of any watched
//! queue (O(interest) per wake-up, not Linux's O(ready)). The next step is a ready list fed by
//! wake callbacks, which needs wait-queue entries that run a function instead of waking a
//! thread.
//!
//! Each item counts against `fs.epoll.max_user_watches` of the user who created the instance
//! (root included): `EPOLL_CTL_ADD` beyond it is `ENOSPC`, as `ep_insert`. An item whose file
//! was released still counts until the instance next scans its list (Linux removes it at the
//! release); an add that finds the limit reached drops those first.
//!
//! Not done: the reverse-path limits of `reverse_path_check`, `EPOLLWAKEUP` (accepted and
//! ignored), and busy polling.

use super::file::{FileOps, OpenFile};
use super::poll::{DEFAULT_POLLMASK, POLLIN, POLLRDNORM, PollTable, poll_wait};
use crate::process::user::{User, WatchCharge};
use crate::sched::wait::WaitQueue;
use abi::Errno;
use abi::poll::{
    EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLONESHOT, EPOLLWAKEUP, EpollEvent,
};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::{Mutex, SpinLock};
use vfs::Metadata;

/// Flags that are not events (`EP_PRIVATE_BITS`).
const EP_PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/// Deepest nesting of epoll instances (`EP_MAX_NESTS`).
const EP_MAX_NESTS: usize = 4;

/// An interest: (open file, descriptor number).
type Key = (usize, i32);

struct Item {
    file: Weak<OpenFile>,
    fd: i32,
    /// Watched events with `EPOLLERR | EPOLLHUP` and the private flags.
    events: u32,
    data: u64,
    /// The queues the file registered when last polled with a table.
    queues: Vec<Arc<WaitQueue>>,
    /// Edge-triggered: the sum of the queues' wake-up counts at the last report; `None` when
    /// the item is to be reported if ready (just added or modified while ready).
    seen_wakeups: Option<u64>,
    /// Counts the item against its user's `max_user_watches`.
    _watch: WatchCharge,
}

impl Item {
    fn wakeups(&self) -> u64 {
        self.queues
            .iter()
            .fold(0u64, |sum, queue| sum.wrapping_add(queue.wakeups()))
    }

    fn is_disabled(&self) -> bool {
        self.events & !EP_PRIVATE_BITS == 0
    }

    /// Polls the file, registering its queues in `table` if given (and remembering them).
    fn poll(&mut self, file: &OpenFile, table: Option<&mut PollTable>) -> u32 {
        let mask = match table {
            Some(table) => {
                let mut own = PollTable::new();
                let mask = file.ops.poll(Some(&mut own)).unwrap_or(DEFAULT_POLLMASK);
                for queue in own.queues() {
                    table.register(queue);
                }
                if own.needs_tick_recheck() {
                    table.request_tick_recheck();
                }
                self.queues = own.queues().to_vec();
                mask
            }
            None => file.ops.poll(None).unwrap_or(DEFAULT_POLLMASK),
        };
        u32::from(mask) & self.events
    }
}

struct State {
    /// Items in slots whose numbers stay fixed while the item lives (freed slots are reused).
    slots: Vec<Option<Item>>,
    free_slots: Vec<usize>,
    /// Slot numbers in report order: insertion, with reported level-triggered items moved to
    /// the tail.
    order: Vec<usize>,
    /// Scratch lists for rebuilding `order` (the items not moved, the items moved), kept with
    /// `order`'s capacity so that a scan never allocates.
    kept: Vec<usize>,
    moved: Vec<usize>,
    /// Key to slot.
    index: BTreeMap<Key, usize>,
}

impl State {
    fn item_mut(&mut self, slot: usize) -> Option<&mut Item> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    /// Reserves room for one more item in every list (`ENOMEM` if there is none).
    fn reserve_one(&mut self) -> Result<(), Errno> {
        let needed = self.order.len() + 1;
        for list in [&mut self.order, &mut self.kept, &mut self.moved] {
            list.try_reserve(needed.saturating_sub(list.len()))
                .map_err(|_| Errno::ENOMEM)?;
        }
        if self.free_slots.is_empty() {
            self.slots.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        }
        self.free_slots
            .try_reserve(self.slots.len() + 1)
            .map_err(|_| Errno::ENOMEM)?;
        Ok(())
    }

    /// Inserts `item` at the tail (after [`State::reserve_one`]).
    fn insert(&mut self, key: Key, item: Item) {
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot] = Some(item);
                slot
            }
            None => {
                self.slots.push(Some(item));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, slot);
        self.order.push(slot);
    }

    /// Removes the item in `slot` (its key already taken out of the index).
    fn remove_slot(&mut self, slot: usize) {
        if let Some(entry) = self.slots.get_mut(slot)
            && entry.take().is_some()
        {
            self.order.retain(|&other| other != slot);
            // Room was reserved for every slot when it was made.
            self.free_slots.push(slot);
        }
    }

    /// Drops the items whose files were released.
    fn remove_dead(&mut self) {
        let mut index = 0;
        while index < self.order.len() {
            let slot = self.order[index];
            let dead = match self.slots.get(slot).and_then(Option::as_ref) {
                Some(item) if item.file.strong_count() == 0 => {
                    Some((item.file.as_ptr() as usize, item.fd))
                }
                _ => None,
            };
            match dead {
                Some(key) => {
                    self.index.remove(&key);
                    self.remove_slot(slot);
                }
                None => index += 1,
            }
        }
    }
}

/// One epoll instance (Linux's `struct eventpoll`).
pub struct EventPoll {
    /// Linux's `ep->mtx`: a sleeping mutex, since items are polled (and their files' last
    /// references may drop) under it; nested epolls lock in nesting order.
    state: Mutex<State>,
    /// Woken when the interest list gains or changes an item, so sleepers rescan with a table;
    /// also what pollers of the epoll file itself sleep on.
    changes: Arc<WaitQueue>,
    /// Bumped on every such change.
    version: AtomicU64,
    /// The user who created it (Linux's `ep->user`), charged for its items.
    user: Arc<User>,
    /// The epoll files that watch this one (`ep->refs`), one entry per item; an entry whose
    /// file is gone no longer counts. A leaf lock.
    parents: SpinLock<Vec<Weak<OpenFile>>>,
}

fn key_of(file: &Arc<OpenFile>, fd: i32) -> Key {
    (Arc::as_ptr(file) as usize, fd)
}

impl EventPoll {
    /// A new instance whose items count against `user`'s watches.
    pub fn new(user: Arc<User>) -> EventPoll {
        EventPoll {
            state: Mutex::new(
                "epoll.mtx",
                State {
                    slots: Vec::new(),
                    free_slots: Vec::new(),
                    order: Vec::new(),
                    kept: Vec::new(),
                    moved: Vec::new(),
                    index: BTreeMap::new(),
                },
            ),
            changes: Arc::new(WaitQueue::new()),
            version: AtomicU64::new(0),
            user,
            parents: SpinLock::new("epoll.parents", Vec::new()),
        }
    }

    /// Records that the epoll file `parent` now watches this instance (after its add).
    pub fn note_parent(&self, parent: &Arc<OpenFile>) -> Result<(), Errno> {
        let mut parents = self.parents.lock();
        parents.retain(|weak| weak.strong_count() > 0);
        parents.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        parents.push(Arc::downgrade(parent));
        Ok(())
    }

    /// Forgets one watch by `parent` (after its `EPOLL_CTL_DEL`).
    pub fn forget_parent(&self, parent: &Arc<OpenFile>) {
        let mut parents = self.parents.lock();
        if let Some(at) = parents
            .iter()
            .position(|weak| core::ptr::eq(weak.as_ptr(), Arc::as_ptr(parent)))
        {
            parents.swap_remove(at);
        }
    }

    /// How many epoll instances are stacked above this one (`ep_get_upwards_depth_proc`).
    fn upwards_depth(&self, level: usize) -> usize {
        if level > EP_MAX_NESTS + 1 {
            return level;
        }
        let parents: Vec<Arc<OpenFile>> = {
            let parents = self.parents.lock();
            parents.iter().filter_map(Weak::upgrade).collect()
        };
        parents
            .iter()
            .filter_map(|file| file.ops.as_eventpoll())
            .map(|parent| parent.upwards_depth(level + 1) + 1)
            .max()
            .unwrap_or(0)
    }

    /// The interest-list version, for [`Scan::Changed`](super::poll::Scan::Changed).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn note_change(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
        self.changes.wake_all();
    }

    /// Whether adding `target` to `self` would make a cycle or a chain of nested instances
    /// deeper than allowed (`ep_loop_check`).
    pub fn would_loop(&self, target: &EventPoll) -> bool {
        let mut visited: Vec<(*const EventPoll, usize)> = Vec::new();
        let Some(depth) = loop_check(self, target, 0, &mut visited) else {
            return true;
        };
        depth > EP_MAX_NESTS || depth + 1 + self.upwards_depth(0) > EP_MAX_NESTS
    }

    /// The file of the `offset`-th item watched under descriptor number `fd`, in Linux's tree
    /// order (by file, then descriptor): `get_epoll_tfile_raw_ptr`, for kcmp's
    /// `KCMP_EPOLL_TFD`.
    pub fn target_file(&self, fd: i32, offset: usize) -> Option<Arc<OpenFile>> {
        let state = self.state.lock();
        let slot = state
            .index
            .iter()
            .filter(|((_, item_fd), _)| *item_fd == fd)
            .nth(offset)
            .map(|(_, &slot)| slot)?;
        let file = state.slots.get(slot)?.as_ref()?.file.upgrade();
        drop(state);
        file
    }

    /// `EPOLL_CTL_ADD`.
    pub fn add(&self, file: &Arc<OpenFile>, fd: i32, event: EpollEvent) -> Result<(), Errno> {
        let key = key_of(file, fd);
        {
            let mut state = self.state.lock();
            if state.index.contains_key(&key) {
                return Err(Errno::EEXIST);
            }
            let watch = match WatchCharge::new(&self.user) {
                Ok(watch) => watch,
                Err(_) => {
                    state.remove_dead();
                    WatchCharge::new(&self.user)?
                }
            };
            let mut item = Item {
                file: Arc::downgrade(file),
                fd,
                events: event.events | EPOLLERR | EPOLLHUP,
                data: event.data,
                queues: Vec::new(),
                seen_wakeups: None,
                _watch: watch,
            };
            let mut table = PollTable::new();
            let is_ready = item.poll(file, Some(&mut table)) != 0;
            if !is_ready {
                item.seen_wakeups = Some(item.wakeups());
            }
            state.reserve_one()?;
            state.insert(key, item);
        }
        self.note_change();
        Ok(())
    }

    /// `EPOLL_CTL_MOD`.
    pub fn modify(&self, file: &Arc<OpenFile>, fd: i32, event: EpollEvent) -> Result<(), Errno> {
        let key = key_of(file, fd);
        {
            let mut state = self.state.lock();
            let slot = *state.index.get(&key).ok_or(Errno::ENOENT)?;
            let item = state.item_mut(slot).ok_or(Errno::ENOENT)?;
            if item.events & EPOLLEXCLUSIVE != 0 {
                return Err(Errno::EINVAL);
            }
            item.events = event.events | EPOLLERR | EPOLLHUP;
            item.data = event.data;
            let mut table = PollTable::new();
            if item.poll(file, Some(&mut table)) != 0 {
                item.seen_wakeups = None;
            }
        }
        self.note_change();
        Ok(())
    }

    /// `EPOLL_CTL_DEL`.
    pub fn delete(&self, file: &Arc<OpenFile>, fd: i32) -> Result<(), Errno> {
        let key = key_of(file, fd);
        let mut state = self.state.lock();
        let slot = state.index.remove(&key).ok_or(Errno::ENOENT)?;
        state.remove_slot(slot);
        Ok(())
    }

    /// Collects up to `max_events` ready events, consuming them (edge-triggered and one-shot
    /// items), and registers the watched queues in `table` if given.
    pub fn collect(
        &self,
        mut table: Option<&mut PollTable>,
        max_events: usize,
    ) -> Result<Vec<EpollEvent>, Errno> {
        if let Some(table) = table.as_deref_mut() {
            table.register(&self.changes);
        }
        let mut state = self.state.lock();
        let mut events = Vec::new();
        events
            .try_reserve(max_events.min(state.order.len()))
            .map_err(|_| Errno::ENOMEM)?;
        let State {
            slots,
            order,
            kept,
            moved,
            ..
        } = &mut *state;
        kept.clear();
        moved.clear();
        let mut has_dead = false;
        for &slot in order.iter() {
            let Some(item) = slots.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            // The lists have room for every item (`reserve_one`): these pushes never allocate.
            let Some(file) = item.file.upgrade() else {
                has_dead = true;
                kept.push(slot);
                continue;
            };
            // Every item is polled with the table (so that all are registered) even when
            // `max_events` are already collected.
            let revents = item.poll(&file, table.as_deref_mut());
            let is_reported = events.len() < max_events
                && !item.is_disabled()
                && if item.events & EPOLLET != 0 {
                    let wakeups = item.wakeups();
                    let is_new = item.seen_wakeups != Some(wakeups);
                    item.seen_wakeups = Some(wakeups);
                    revents != 0 && is_new
                } else {
                    revents != 0
                };
            if !is_reported {
                kept.push(slot);
                continue;
            }
            events.push(EpollEvent {
                events: revents,
                data: item.data,
            });
            if item.events & EPOLLONESHOT != 0 {
                item.events &= EP_PRIVATE_BITS;
                kept.push(slot);
            } else if item.events & EPOLLET == 0 {
                moved.push(slot);
            } else {
                kept.push(slot);
            }
        }
        if !moved.is_empty() {
            order.clear();
            order.extend_from_slice(kept);
            order.extend_from_slice(moved);
        }
        if has_dead {
            state.remove_dead();
        }
        Ok(events)
    }

    /// Whether some item would be reported now, without consuming anything.
    fn has_ready(&self, mut table: Option<&mut PollTable>) -> bool {
        let mut state = self.state.lock();
        let mut is_ready = false;
        for item in state.slots.iter_mut().filter_map(Option::as_mut) {
            let Some(file) = item.file.upgrade() else {
                continue;
            };
            let revents = item.poll(&file, table.as_deref_mut());
            if revents == 0 || item.is_disabled() {
                continue;
            }
            if item.events & EPOLLET != 0 && item.seen_wakeups == Some(item.wakeups()) {
                continue;
            }
            is_ready = true;
            if table.is_none() {
                break;
            }
        }
        is_ready
    }
}

/// The depth of the instances below `to` (0 when it watches none), or `None` for a loop back
/// to `inserting_into` or a chain too deep (`ep_loop_check_proc`; `visited` remembers the
/// depths found, as Linux's generation count does).
fn loop_check(
    inserting_into: &EventPoll,
    to: &EventPoll,
    depth: usize,
    visited: &mut Vec<(*const EventPoll, usize)>,
) -> Option<usize> {
    if let Some(&(_, known)) = visited
        .iter()
        .find(|(seen, _)| core::ptr::eq(*seen, to as *const EventPoll))
    {
        return Some(known);
    }
    visited.try_reserve(1).ok()?;
    let files: Vec<Arc<OpenFile>> = {
        let state = to.state.lock();
        state
            .slots
            .iter()
            .filter_map(|item| item.as_ref()?.file.upgrade())
            .collect()
    };
    let mut result = 0;
    for file in files {
        let Some(nested) = file.ops.as_eventpoll() else {
            continue;
        };
        if core::ptr::eq(nested, inserting_into) || depth > EP_MAX_NESTS {
            return None;
        }
        result = result.max(loop_check(inserting_into, nested, depth + 1, visited)? + 1);
        if result > EP_MAX_NESTS {
            return None;
        }
    }
    visited.push((to as *const EventPoll, result));
    Some(result)
}

impl FileOps for EventPoll {
    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.changes);
        Some(if self.has_ready(table) {
            POLLIN | POLLRDNORM
        } else {
            0
        })
    }

    fn as_eventpoll(&self) -> Option<&EventPoll> {
        Some(self)
    }

    /// Anonymous files have no FMODE_PREAD (pread/pwrite are `ESPIPE`) and use `noop_llseek`.
    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> super::file::SeekPolicy {
        super::file::SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn metadata(&self) -> Metadata {
        super::eventfd::anon_inode_metadata()
    }
}
