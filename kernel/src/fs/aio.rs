//! Linux's native AIO contexts (`fs/aio.c`): the completion ring an `io_setup` maps into its
//! caller, the table of contexts of an address space, completion, and the pending
//! `IOCB_CMD_POLL` requests.
//!
//! The ring is a nameless file of the internal tmpfs (Linux uses its own `aio` pseudo
//! filesystem), mapped shared and writable and shown as `/[aio] (deleted)`. The context keeps
//! the ring's frames, so completion writes events and the header's `tail` straight into them
//! under the `aio.completion` spin lock, from any context; user space sees them through its
//! mapping and may consume them itself by advancing `head`. `io_getevents` reads from the
//! frames under the `aio.ring` mutex and copies to user memory.
//!
//! A context is found as Linux's `lookup_ioctx` finds it: the ring's `id` word is read at the
//! user's context id (an address), and the context at that index of the address space's table
//! must have that id. Contexts belong to the address space: a fork's child has none, exec and
//! exit drop them with the old address space.
//!
//! Reads, writes and syncs complete inside `io_submit`, as Linux's buffered AIO does on files
//! without asynchronous read paths. Poll requests stay pending until their file is ready: the
//! wait queues here have no wake-up callbacks, so a context with pending polls re-polls them at
//! every timer tick (Linux completes them from the wake-up itself); a completed request's
//! file reference is dropped in process context, never in the tick.
//!
//! Slot accounting is exact where Linux's is per CPU: at most `nr_events - 1` requests are
//! in flight or waiting in the ring (Linux may refuse a few sooner, when slots sit in another
//! CPU's cache).

use crate::fs::file::OpenFile;
use crate::sched::SleepKind;
use crate::sched::timer::{self, TimerAction};
use crate::sched::wait::{WaitQueue, wait_event};
use abi::Errno;
use abi::aio::{AioRingHeader, IoEvent, RingGeometry};
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::mm::frame::Frame;
use hal::sync::{Mutex, SpinLock};
use vfs::Inode;
use zerocopy::IntoBytes;

const PAGE_SIZE: usize = 4096;
/// Offsets of the header's `head` and `tail` words.
const HEAD_OFFSET: usize = 8;
const TAIL_OFFSET: usize = 12;

/// `fs.aio-max-nr` (Linux's default 0x10000) and `fs.aio-nr`: the requests all contexts
/// were set up for.
pub static AIO_MAX_NR: AtomicU64 = AtomicU64::new(0x10000);
static AIO_NR: SpinLock<u64> = SpinLock::new("aio.nr", 0);

/// `fs.aio-nr`.
pub fn aio_nr() -> u64 {
    *AIO_NR.lock()
}

/// Counts `count` more requests against `fs.aio-max-nr` (`EAGAIN` past it).
fn charge(count: u64) -> Result<(), Errno> {
    let mut nr = AIO_NR.lock();
    let total = nr.checked_add(count).ok_or(Errno::EAGAIN)?;
    if total > AIO_MAX_NR.load(Ordering::Relaxed) {
        return Err(Errno::EAGAIN);
    }
    *nr = total;
    Ok(())
}

fn uncharge(count: u64) {
    let mut nr = AIO_NR.lock();
    *nr = nr.saturating_sub(count);
}

/// A pending `IOCB_CMD_POLL`.
struct PollRequest {
    file: Arc<OpenFile>,
    /// The mask asked for, with `POLLERR | POLLHUP`.
    events: u16,
    /// The event's `data` and `obj`.
    data: u64,
    obj: u64,
    eventfd: Option<Arc<OpenFile>>,
    /// Taken by whoever completes or cancels it first.
    is_claimed: AtomicBool,
}

/// What completion changes.
struct State {
    /// Next slot to fill (Linux's `ctx->tail`; the header's copy may be overwritten by user
    /// space, this one is trusted).
    tail: u32,
    /// Requests submitted and not completed.
    in_flight: u32,
    polls: Vec<Arc<PollRequest>>,
    /// Poll requests completed in a tick, kept until process context drops their files.
    finished: Vec<Arc<PollRequest>>,
    /// A tick re-poll is armed.
    is_ticking: bool,
}

/// One AIO context (Linux's `kioctx`).
pub struct AioContext {
    /// The ring's user address: the context id.
    user_id: AtomicU64,
    geometry: RingGeometry,
    /// Index in the address space's table (the header's `id`).
    index: u32,
    frames: Vec<Frame>,
    /// The ring's file, which the mapping shares.
    inode: Arc<dyn Inode>,
    state: SpinLock<State>,
    /// Serializes readers of the ring (`ring_lock`).
    ring: Mutex<()>,
    /// io_getevents sleepers.
    wait: Arc<WaitQueue>,
    /// io_destroy waits here for the requests in flight.
    idle: WaitQueue,
    is_dead: AtomicBool,
}

impl AioContext {
    pub fn user_id(&self) -> u64 {
        self.user_id.load(Ordering::Acquire)
    }

    /// Events the ring holds.
    pub fn nr_events(&self) -> u32 {
        self.geometry.nr_events
    }

    pub fn ring_len(&self) -> u64 {
        self.geometry.pages * PAGE_SIZE as u64
    }

    pub fn is_dead(&self) -> bool {
        self.is_dead.load(Ordering::Acquire)
    }

    /// The mapping moved (`aio_ring_mremap`).
    pub fn set_user_id(&self, address: u64) {
        self.user_id.store(address, Ordering::Release);
    }

    fn head(&self) -> u32 {
        let mut word = [0u8; 4];
        self.frames[0].read(HEAD_OFFSET, &mut word);
        u32::from_ne_bytes(word)
    }

    /// Reserves a slot for one request (`aio_get_req`): `EAGAIN` when the requests in flight
    /// and the events not yet consumed fill the ring.
    pub fn reserve(&self) -> Result<(), Errno> {
        let head = self.head();
        let mut state = self.state.lock();
        let waiting = abi::aio::ring_pending(head, state.tail, self.geometry.nr_events);
        if state.in_flight + waiting + 1 >= self.geometry.nr_events {
            return Err(Errno::EAGAIN);
        }
        state.in_flight += 1;
        Ok(())
    }

    /// Gives back a reservation whose request failed before it was queued.
    pub fn unreserve(&self) {
        let is_idle = {
            let mut state = self.state.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
            state.in_flight == 0
        };
        if is_idle {
            self.idle.wake_all();
        }
    }

    /// Completes a reserved request with `event` (`aio_complete`): the event goes into the
    /// ring, the eventfd (if any) is signalled, and waiters wake.
    pub fn complete(&self, event: IoEvent, eventfd: Option<&OpenFile>) {
        let is_idle = {
            let mut state = self.state.lock();
            let slot = state.tail;
            let offset = RingGeometry::event_offset(slot) as usize;
            if let Some(frame) = self.frames.get(offset / PAGE_SIZE) {
                frame.write(offset % PAGE_SIZE, event.as_bytes());
            }
            state.tail = (slot + 1) % self.geometry.nr_events;
            self.frames[0].store_u32(TAIL_OFFSET, state.tail, Ordering::Release);
            state.in_flight = state.in_flight.saturating_sub(1);
            state.in_flight == 0
        };
        if let Some(eventfd) = eventfd.and_then(|file| file.ops.as_eventfd()) {
            eventfd.signal(1);
        }
        self.wait.wake_all();
        if is_idle {
            self.idle.wake_all();
        }
    }

    /// Queues a poll request that was not ready at submission, and arms the tick re-poll.
    fn add_poll(
        self: &Arc<Self>,
        file: Arc<OpenFile>,
        events: u16,
        data: u64,
        obj: u64,
        eventfd: Option<Arc<OpenFile>>,
    ) -> Result<(), Errno> {
        let request = Arc::new(PollRequest {
            file,
            events,
            data,
            obj,
            eventfd,
            is_claimed: AtomicBool::new(false),
        });
        let mut state = self.state.lock();
        state.polls.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        state.polls.push(request);
        let arm = !state.is_ticking;
        state.is_ticking = true;
        drop(state);
        if arm {
            arm_tick(Arc::downgrade(self));
        }
        Ok(())
    }

    /// One tick: completes the poll requests whose files are ready; true if some remain.
    fn repoll(&self) -> bool {
        let pending: Vec<Arc<PollRequest>> = {
            let state = self.state.lock();
            let mut copy = Vec::new();
            if copy.try_reserve(state.polls.len()).is_err() {
                return true;
            }
            copy.extend(state.polls.iter().cloned());
            copy
        };
        for request in &pending {
            // Linux completes from the wake-up with the waker's key, the file's readiness
            // whatever was asked for; the file's whole mask stands for it here.
            let mask = request.file.poll(None);
            if mask & request.events != 0 {
                self.finish_poll(request, mask);
            }
        }
        drop(pending);
        let mut state = self.state.lock();
        let remains = !state.polls.is_empty() && !self.is_dead();
        state.is_ticking = remains;
        remains
    }

    /// Completes `request` with `mask` unless someone else did; its last reference moves to
    /// the finished list.
    fn finish_poll(&self, request: &Arc<PollRequest>, mask: u16) -> bool {
        if request.is_claimed.swap(true, Ordering::AcqRel) {
            return false;
        }
        {
            let mut state = self.state.lock();
            state.polls.retain(|other| !Arc::ptr_eq(other, request));
            // If the list cannot grow, the reference drops here; the file's release then runs
            // in this context, which is what Linux's completion does from its work item.
            if state.finished.try_reserve(1).is_ok() {
                state.finished.push(request.clone());
            }
        }
        self.complete(
            IoEvent {
                data: request.data,
                obj: request.obj,
                res: i64::from(mask),
                res2: 0,
            },
            request.eventfd.as_deref(),
        );
        true
    }

    /// Drops the files of completed poll requests (process context).
    pub fn reap_finished(&self) {
        let finished = core::mem::take(&mut self.state.lock().finished);
        drop(finished);
    }

    /// `io_cancel` (`aio_poll_cancel`): a pending poll request for the iocb at `obj` completes
    /// now with whatever its file reports (0 if not ready) and the call answers
    /// `EINPROGRESS`; other requests cannot be cancelled (`EINVAL`).
    pub fn cancel(&self, obj: u64) -> Result<(), Errno> {
        let request = self
            .state
            .lock()
            .polls
            .iter()
            .find(|request| request.obj == obj)
            .cloned()
            .ok_or(Errno::EINVAL)?;
        let mask = request.file.poll(None) & request.events;
        if !self.finish_poll(&request, mask) {
            return Err(Errno::EINVAL);
        }
        drop(request);
        self.reap_finished();
        Err(Errno::EINPROGRESS)
    }

    /// Copies up to `nr` events to `events` (`aio_read_events_ring`) and advances `head`;
    /// `EFAULT` if nothing could be copied.
    fn read_events(&self, events: u64, nr: usize) -> Result<usize, Errno> {
        let _ring = self.ring.lock();
        let mut header = AioRingHeader::default();
        self.frames[0].read(0, header.as_mut_bytes());
        let nr_events = self.geometry.nr_events;
        let mut head = header.head % nr_events;
        let tail = header.tail % nr_events;
        let mut done = 0usize;
        while done < nr && head != tail {
            let offset = RingGeometry::event_offset(head) as usize;
            let page = offset / PAGE_SIZE;
            let frame = self.frames.get(page).ok_or(Errno::EFAULT)?;
            let size = core::mem::size_of::<IoEvent>();
            hal::usercopy::copy_frame_to_user(
                events + (done * size) as u64,
                frame,
                offset % PAGE_SIZE,
                size,
            )
            .map_err(|_| Errno::EFAULT)?;
            done += 1;
            head = (head + 1) % nr_events;
        }
        if done > 0 {
            self.frames[0].store_u32(HEAD_OFFSET, head, Ordering::Release);
        }
        Ok(done)
    }

    /// `read_events`: waits until `min_nr` events arrived (up to `nr` are taken), the deadline
    /// passes or a signal comes; returns what was taken, or the error if nothing was.
    pub fn get_events(
        &self,
        thread: &Arc<crate::process::Thread>,
        min_nr: usize,
        nr: usize,
        events: u64,
        deadline_ns: Option<u64>,
    ) -> Result<usize, Errno> {
        self.reap_finished();
        let mut got = 0usize;
        let mut error = None;
        let mut step = || -> bool {
            match self.read_events(events + (got * 32) as u64, nr - got) {
                Ok(count) => got += count,
                Err(e) => error = Some(e),
            }
            if self.is_dead() && error.is_none() {
                error = Some(Errno::EINVAL);
            }
            error.is_some() || got >= min_nr
        };
        if deadline_ns == Some(0) {
            step();
        } else {
            // The condition copies to user memory, so it may not run with the thread marked
            // asleep: wait for a wake-up, then take events awake.
            loop {
                if step() {
                    break;
                }
                let seen = self.wait.wakeups();
                let result = wait_event(
                    thread,
                    &[&self.wait],
                    SleepKind::Interruptible,
                    deadline_ns,
                    || (self.wait.wakeups() != seen || self.has_events()).then_some(()),
                );
                if result.is_err() {
                    break;
                }
            }
        }
        match (got, error) {
            (0, Some(error)) => Err(error),
            _ => Ok(got),
        }
    }

    /// Whether the ring holds an event not consumed.
    fn has_events(&self) -> bool {
        let mut words = [0u8; 8];
        self.frames[0].read(HEAD_OFFSET, &mut words);
        let head = u32::from_ne_bytes([words[0], words[1], words[2], words[3]]);
        let tail = u32::from_ne_bytes([words[4], words[5], words[6], words[7]]);
        abi::aio::ring_pending(head, tail, self.geometry.nr_events) != 0
    }

    /// `kill_ioctx`'s second half: wakes readers, cancels pending polls (their events go into
    /// the ring, which nobody reads any more), and waits for the requests in flight.
    fn kill(&self, thread: &Arc<crate::process::Thread>) {
        self.wait.wake_all();
        let polls: Vec<Arc<PollRequest>> = core::mem::take(&mut self.state.lock().polls);
        for request in &polls {
            let mask = request.file.poll(None) & request.events;
            self.finish_poll(request, mask);
        }
        drop(polls);
        self.reap_finished();
        let _ = wait_event(
            thread,
            &[&self.idle],
            SleepKind::Uninterruptible,
            None,
            || (self.state.lock().in_flight == 0).then_some(()),
        );
        uncharge(u64::from(self.geometry.max_reqs));
    }
}

impl Drop for AioContext {
    fn drop(&mut self) {
        // Dropped with its address space (exit, exec) without io_destroy.
        if !self.is_dead.swap(true, Ordering::AcqRel) {
            uncharge(u64::from(self.geometry.max_reqs));
        }
    }
}

/// Re-polls `context`'s pending poll requests at the next tick, and at every tick after while
/// some remain.
fn arm_tick(context: Weak<AioContext>) {
    let deadline = crate::time::monotonic_ns() + 1_000_000_000 / hal::time::TICK_HZ;
    timer::add(
        deadline,
        TimerAction::Call(Box::new(move || {
            if let Some(context) = context.upgrade()
                && context.repoll()
            {
                arm_tick(Arc::downgrade(&context));
            }
        })),
    );
}

/// The AIO contexts of one address space (`mm->ioctx_table`).
pub struct AioTable {
    contexts: SpinLock<Vec<Option<Arc<AioContext>>>>,
}

impl Default for AioTable {
    fn default() -> Self {
        AioTable::new()
    }
}

impl AioTable {
    pub const fn new() -> AioTable {
        AioTable {
            contexts: SpinLock::new("mm.aio_table", Vec::new()),
        }
    }

    /// The live context whose id is `ctx_id` (`lookup_ioctx`): `None` if the ring's `id` word
    /// cannot be read there or names no such context.
    pub fn lookup(&self, ctx_id: u64) -> Option<Arc<AioContext>> {
        let index: u32 = hal::usercopy::read_user(ctx_id).ok()?;
        let contexts = self.contexts.lock();
        let context = contexts.get(index as usize)?.as_ref()?;
        (context.user_id() == ctx_id && !context.is_dead()).then(|| context.clone())
    }

    /// The live context whose ring is `inode` (mremap of a ring).
    pub fn find_by_ring(&self, inode: &Arc<dyn Inode>) -> Option<Arc<AioContext>> {
        self.contexts
            .lock()
            .iter()
            .flatten()
            .find(|context| Arc::ptr_eq(&context.inode, inode) && !context.is_dead())
            .cloned()
    }

    /// Takes `context` out of the table (`kill_ioctx`'s first half); `false` if it was gone.
    fn remove(&self, context: &Arc<AioContext>) -> bool {
        let mut contexts = self.contexts.lock();
        let Some(slot) = contexts.get_mut(context.index as usize) else {
            return false;
        };
        if !slot
            .as_ref()
            .is_some_and(|other| Arc::ptr_eq(other, context))
        {
            return false;
        }
        *slot = None;
        true
    }
}

/// The frames and file of a new ring, before it is mapped.
pub struct NewRing {
    pub geometry: RingGeometry,
    pub inode: Arc<dyn Inode>,
    frames: Vec<Frame>,
    charged: bool,
}

impl Drop for NewRing {
    fn drop(&mut self) {
        if self.charged {
            uncharge(u64::from(self.geometry.max_reqs));
        }
    }
}

/// `ioctx_alloc` up to the mapping: checks and charges `requested` against `fs.aio-max-nr`
/// and makes the ring's file with its pages (owned by `uid`/`gid`).
pub fn new_ring(requested: u32, uid: u32, gid: u32) -> Result<NewRing, Errno> {
    let geometry =
        RingGeometry::new(requested, 1, AIO_MAX_NR.load(Ordering::Relaxed)).map_err(|error| {
            match error {
                abi::aio::SetupError::TooLarge => Errno::EINVAL,
                abi::aio::SetupError::OverLimit => Errno::EAGAIN,
            }
        })?;
    let inode = hal::mm::heap::user_data(|| super::shmem::new_file(uid, gid, false))?;
    inode.truncate(geometry.pages * PAGE_SIZE as u64)?;
    let mut frames = Vec::new();
    frames
        .try_reserve_exact(geometry.pages as usize)
        .map_err(|_| Errno::ENOMEM)?;
    for index in 0..geometry.pages {
        frames.push(inode.fault_page(index)?);
    }
    let header = AioRingHeader {
        id: u32::MAX,
        nr: geometry.nr_events,
        head: 0,
        tail: 0,
        magic: abi::aio::AIO_RING_MAGIC,
        compat_features: abi::aio::AIO_RING_COMPAT_FEATURES,
        incompat_features: abi::aio::AIO_RING_INCOMPAT_FEATURES,
        header_length: core::mem::size_of::<AioRingHeader>() as u32,
    };
    frames[0].write(0, header.as_bytes());
    charge(u64::from(geometry.max_reqs))?;
    Ok(NewRing {
        geometry,
        inode,
        frames,
        charged: true,
    })
}

impl AioTable {
    /// Enters a mapped ring at `address` as a new context (`ioctx_add_table`).
    pub fn insert(&self, mut ring: NewRing, address: u64) -> Result<Arc<AioContext>, Errno> {
        let mut contexts = self.contexts.lock();
        let index = match contexts.iter().position(Option::is_none) {
            Some(index) => index,
            None => {
                contexts.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                contexts.push(None);
                contexts.len() - 1
            }
        };
        ring.frames[0].store_u32(0, index as u32, Ordering::Release);
        ring.charged = false;
        let context = Arc::new(AioContext {
            user_id: AtomicU64::new(address),
            geometry: ring.geometry,
            index: index as u32,
            frames: core::mem::take(&mut ring.frames),
            inode: ring.inode.clone(),
            state: SpinLock::new(
                "aio.completion",
                State {
                    tail: 0,
                    in_flight: 0,
                    polls: Vec::new(),
                    finished: Vec::new(),
                    is_ticking: false,
                },
            ),
            ring: Mutex::new("aio.ring", ()),
            wait: Arc::new(WaitQueue::new()),
            idle: WaitQueue::new(),
            is_dead: AtomicBool::new(false),
        });
        contexts[index] = Some(context.clone());
        Ok(context)
    }

    /// `io_destroy`: takes `context` out, cancels its polls and waits for its requests;
    /// `EINVAL` if another call got there first. The caller unmaps the ring.
    pub fn destroy(
        &self,
        context: &Arc<AioContext>,
        thread: &Arc<crate::process::Thread>,
        unmap: impl FnOnce(),
    ) -> Result<(), Errno> {
        if !self.remove(context) || context.is_dead.swap(true, Ordering::AcqRel) {
            return Err(Errno::EINVAL);
        }
        unmap();
        context.kill(thread);
        Ok(())
    }
}

/// Queues a poll request (see [`AioContext::add_poll`]).
pub fn add_poll(
    context: &Arc<AioContext>,
    file: Arc<OpenFile>,
    events: u16,
    data: u64,
    obj: u64,
    eventfd: Option<Arc<OpenFile>>,
) -> Result<(), Errno> {
    context.add_poll(file, events, data, obj, eventfd)
}
