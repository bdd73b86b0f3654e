//! Pipes (Linux `fs/pipe.c`, pipe(7)): a ring of page-sized buffers shared by a read end and a
//! write end.
//!
//! The ring has `max_slots` buffers (16 by default: 65536 bytes). As in Linux, a write first
//! merges its `len % PAGE_SIZE` head into the last buffer if that fits, then fills fresh pages;
//! a pipe is full when every slot holds a buffer, so writes of at most `PIPE_BUF` (4096, one page)
//! bytes
//! are atomic and a pipe of many small partial pages holds less than its size. With `O_DIRECT`
//! on the write end (packet mode, `pipe2(O_DIRECT)`) every page is a packet: it is never merged
//! into, and a read returns at most one packet, discarding what does not fit.
//!
//! Blocking: readers sleep on `read_wait` until data or no writers remain (then EOF); writers on
//! `write_wait` until a slot frees or no readers remain (then `EPIPE` and SIGPIPE). An
//! interrupted sleep returns `ERESTARTSYS`, or the bytes moved so far. Wake-ups follow Linux
//! 6.1: readers are woken when a write finds the pipe empty or the pipe was ever polled
//! (`poll_usage`, so edge-triggered epoll sees every write); writers when a read frees a full
//! pipe. Readers copy to user memory before they consume, under the pipe lock, so a fault loses
//! no data (Linux holds `pipe->mutex` across the copy too).
//!
//! Locking: the ring, its pages and the times are behind `Pipe::state`, a sleeping mutex (Linux's
//! `pipe->mutex`), held across the copy to user memory. What poll and the sleepers' conditions
//! need — the reader and writer counts and the ring's occupancy — is also kept in atomics,
//! updated under the mutex and read without it (as Linux's `pipe_poll` reads `head` and
//! `tail`), so polling, a wait condition or dropping an end never takes the mutex.
//!
//! `F_GETPIPE_SZ`/`F_SETPIPE_SZ` follow `pipe_set_size`: sizes round up to a power-of-two
//! number of pages, at least one; `EBUSY` when the buffers held exceed the new slot count;
//! `EPERM` above `/proc/sys/fs/pipe-max-size` (1 MiB) without `CAP_SYS_RESOURCE` (root here).
//!
//! FIFOs (`super::fifo`) share this object: one pipe per FIFO inode while it is open, with
//! ends that may read, write or both (O_RDWR), and the open counters (`r_counter`,
//! `w_counter`) their opens wait on.
//!
//! splice (`super::super::syscall::splice`) fills a pipe from a file with
//! [`PipeEnd::splice_in`] (sendfile too), empties one into a file with [`PipeEnd::splice_out`]
//! and moves buffers between two pipes with [`PipeEnd::splice_to_pipe`].
//!
//! Not done yet: the per-user pipe page accounting (`pipe-user-pages-soft/hard`), vmsplice and
//! tee, O_NOTIFICATION_PIPE.

use super::fasync::FasyncList;
use super::file::{FileOps, OpenFile};
use super::poll::{
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, PollTable, poll_wait,
};
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, WaitQueue, wait_event};
use abi::Errno;
use abi::OpenFlags;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use hal::sync::Mutex;
use vfs::{FileType, Metadata, Timespec};

pub const PAGE_SIZE: usize = 4096;
/// Slots of a new pipe (`PIPE_DEF_BUFFERS`).
const DEFAULT_SLOTS: usize = 16;

/// st_dev of pipefs (an anonymous device).
pub(crate) const PIPEFS_DEV: u64 = 13;
static NEXT_INO: AtomicU64 = AtomicU64::new(1000);

/// A new inode number of a pseudo filesystem (pipefs, sockfs: Linux's `get_next_ino`).
pub fn next_pseudo_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

struct PipeBuffer {
    page: Vec<u8>,
    offset: usize,
    len: usize,
    is_packet: bool,
    /// Whether a write may append to this page (Linux's `PIPE_BUF_FLAG_CAN_MERGE`): pages of
    /// plain writes; not packets, pages spliced from a file, or part of a page moved by splice.
    can_merge: bool,
}

struct PipeState {
    buffers: VecDeque<PipeBuffer>,
    /// The ring size in pages (`max_usage`).
    max_slots: usize,
    /// One freed page kept for the next write (Linux's `tmp_page`).
    spare: Option<Vec<u8>>,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
}

impl PipeState {
    fn is_full(&self) -> bool {
        self.buffers.len() >= self.max_slots
    }

    fn bytes(&self) -> usize {
        self.buffers.iter().map(|buffer| buffer.len).sum()
    }

    /// Appends a copy of the first `len` bytes of `source` as a buffer of its own, never
    /// merged into (what splice moves of a split buffer, and what tee duplicates).
    fn push_copy(&mut self, source: &PipeBuffer, len: usize) -> Result<(), Errno> {
        let mut page = self.new_page()?;
        page[..len].copy_from_slice(&source.page[source.offset..source.offset + len]);
        self.buffers.push_back(PipeBuffer {
            page,
            offset: 0,
            len,
            is_packet: source.is_packet,
            can_merge: false,
        });
        Ok(())
    }

    fn new_page(&mut self) -> Result<Vec<u8>, Errno> {
        if let Some(page) = self.spare.take() {
            return Ok(page);
        }
        let mut page = Vec::new();
        hal::mm::heap::user_data(|| page.try_reserve_exact(PAGE_SIZE))
            .map_err(|_| Errno::ENOMEM)?;
        page.resize(PAGE_SIZE, 0);
        Ok(page)
    }

    fn release(&mut self, buffer: PipeBuffer) {
        if self.spare.is_none() {
            self.spare = Some(buffer.page);
        }
    }
}

/// The shared pipe object (Linux's `pipe_inode_info` with its pipefs inode).
pub struct Pipe {
    state: Mutex<PipeState>,
    /// Open read and write ends (`readers`, `writers`).
    readers: AtomicUsize,
    writers: AtomicUsize,
    /// `state.buffers.len()` and `state.max_slots`, published under the mutex for lock-free
    /// readers.
    used_slots: AtomicUsize,
    max_slots: AtomicUsize,
    read_wait: Arc<WaitQueue>,
    write_wait: Arc<WaitQueue>,
    /// Set once the pipe has been polled: every write then wakes readers.
    poll_usage: AtomicBool,
    /// Read and write ends that asked for I/O signals (`fasync_readers`, `fasync_writers`).
    fasync_readers: FasyncList,
    fasync_writers: FasyncList,
    /// Opens for reading and for writing so far (Linux's `r_counter`, `w_counter`): a FIFO open
    /// waiting for its partner waits for the other one to move.
    r_counter: AtomicU64,
    w_counter: AtomicU64,
    ino: u64,
    uid: u32,
    gid: u32,
    /// Its pages in its user's pipe-buffer count.
    account: super::pipe_account::PipeAccount,
}

impl Pipe {
    fn readers(&self) -> usize {
        self.readers.load(Ordering::Acquire)
    }

    fn writers(&self) -> usize {
        self.writers.load(Ordering::Acquire)
    }

    fn has_data(&self) -> bool {
        self.used_slots.load(Ordering::Acquire) != 0
    }

    fn is_full(&self) -> bool {
        self.used_slots.load(Ordering::Acquire) >= self.max_slots.load(Ordering::Acquire)
    }

    /// Wakes readers and signals the read ends that asked for it (`POLL_IN`).
    fn wake_readers(&self) {
        self.read_wait.wake_all();
        self.fasync_readers.kill(super::fasync::POLL_IN);
    }

    /// Wakes writers and signals the write ends that asked for it (`POLL_OUT`).
    fn wake_writers(&self) {
        self.write_wait.wake_all();
        self.fasync_writers.kill(super::fasync::POLL_OUT);
    }

    /// Publishes the ring's occupancy after a change (the caller holds the mutex).
    fn publish(&self, state: &PipeState) {
        self.used_slots
            .store(state.buffers.len(), Ordering::Release);
        self.max_slots.store(state.max_slots, Ordering::Release);
    }
}

fn now() -> Timespec {
    let ns = crate::time::realtime_ns();
    Timespec {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as u32,
    }
}

/// A new pipe's slots (`alloc_pipe_info`): the default, capped by `fs.pipe-max-size` for a
/// creator without `CAP_SYS_RESOURCE`.
fn initial_slots() -> usize {
    let max_slots = (crate::sysctl::pipe_max_size() as usize / PAGE_SIZE).max(1);
    if DEFAULT_SLOTS <= max_slots {
        return DEFAULT_SLOTS;
    }
    let is_privileged = crate::process::try_current().is_some_and(|thread| {
        thread
            .process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_SYS_RESOURCE)
    });
    if is_privileged {
        DEFAULT_SLOTS
    } else {
        max_slots
    }
}

/// Sends SIGPIPE to the writing thread (`send_sig(SIGPIPE, current, 0)`: `SI_USER` from
/// itself).
fn raise_sigpipe() {
    if let Some(thread) = crate::process::try_current() {
        let uid = thread.process.credentials.lock().uid;
        let info = abi::signal::SigInfo::from_sender(
            sigrules::SIGPIPE as i32,
            abi::signal::SI_USER,
            thread.process.pid,
            uid,
        );
        crate::signal::send_to_thread(&thread, info);
    }
}

/// One end of a pipe; dropping it (the last descriptor of its open file closed) ends a reader,
/// a writer, or both (a FIFO opened O_RDWR).
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    is_reader: bool,
    is_writer: bool,
    /// Linux's `f_version` of a pipe file: poll reports POLLHUP to a reader only while
    /// `w_counter` differs from it (a FIFO reader opened with no writer sees no hang-up until a
    /// writer has come and gone).
    hup_version: u64,
}

/// What one call of [`PipeEnd::fill_free_slots`]'s filler did: the bytes it put in the page,
/// and whether more may follow.
pub enum Fill {
    More(usize),
    Last(usize),
}

/// Creates a pipe: (read end, write end).
pub fn create(uid: u32, gid: u32) -> Result<(Arc<PipeEnd>, Arc<PipeEnd>), Errno> {
    let pipe = Pipe::new(uid, gid, 1, 1)?;
    let reader = Arc::new(PipeEnd {
        pipe: pipe.clone(),
        is_reader: true,
        is_writer: false,
        hup_version: 0,
    });
    let writer = Arc::new(PipeEnd {
        pipe,
        is_reader: false,
        is_writer: true,
        hup_version: 0,
    });
    Ok((reader, writer))
}

impl Pipe {
    /// The attributes of the pipe's pipefs inode.
    pub fn metadata(&self) -> Metadata {
        let state = self.state.lock();
        Metadata {
            dev: PIPEFS_DEV,
            ino: self.ino,
            file_type: FileType::Fifo,
            mode: 0o600,
            nlink: 1,
            uid: self.uid,
            gid: self.gid,
            size: 0,
            rdev: 0,
            blocks: 0,
            blksize: PAGE_SIZE as u32,
            atime: state.atime,
            mtime: state.mtime,
            ctime: state.ctime,
        }
    }

    /// A new empty pipe with `readers` and `writers` ends counted (`alloc_pipe_info`; both
    /// open counters start at 1); `ENFILE` past the caller's `fs.pipe-user-pages-hard`.
    pub fn new(uid: u32, gid: u32, readers: usize, writers: usize) -> Result<Arc<Pipe>, Errno> {
        let time = now();
        let (account, slots) = super::pipe_account::PipeAccount::open(initial_slots())?;
        Ok(Arc::new(Pipe {
            state: Mutex::new(
                "pipe.mutex",
                PipeState {
                    buffers: VecDeque::new(),
                    max_slots: slots,
                    spare: None,
                    atime: time,
                    mtime: time,
                    ctime: time,
                },
            ),
            readers: AtomicUsize::new(readers),
            writers: AtomicUsize::new(writers),
            used_slots: AtomicUsize::new(0),
            max_slots: AtomicUsize::new(slots),
            read_wait: Arc::new(WaitQueue::new()),
            write_wait: Arc::new(WaitQueue::new()),
            poll_usage: AtomicBool::new(false),
            fasync_readers: FasyncList::new(),
            fasync_writers: FasyncList::new(),
            r_counter: AtomicU64::new(1),
            w_counter: AtomicU64::new(1),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            uid,
            gid,
            account,
        }))
    }

    /// Opens for reading so far.
    pub fn read_opens(&self) -> u64 {
        self.r_counter.load(Ordering::Acquire)
    }

    /// Opens for writing so far.
    pub fn write_opens(&self) -> u64 {
        self.w_counter.load(Ordering::Acquire)
    }

    /// Open readers.
    pub fn reader_count(&self) -> usize {
        self.readers()
    }

    /// Open writers.
    pub fn writer_count(&self) -> usize {
        self.writers()
    }

    /// Counts a new reader (`r_counter++`, `readers++`); returns whether it is the first, and
    /// wakes whoever waits for a partner then (`wake_up_partner`).
    pub fn add_reader(&self) -> bool {
        // The count first, then the counter: an opener that sees the counter moved (Acquire)
        // sees the count too (see `fifo::open`).
        let is_first = self.readers.fetch_add(1, Ordering::AcqRel) == 0;
        self.r_counter.fetch_add(1, Ordering::AcqRel);
        if is_first {
            self.read_wait.wake_all();
        }
        is_first
    }

    /// Counts a new writer, as [`Pipe::add_reader`].
    pub fn add_writer(&self) -> bool {
        let is_first = self.writers.fetch_add(1, Ordering::AcqRel) == 0;
        self.w_counter.fetch_add(1, Ordering::AcqRel);
        if is_first {
            self.read_wait.wake_all();
        }
        is_first
    }

    /// The queue FIFO opens wait for their partner on (Linux's `rd_wait`).
    pub fn partner_wait(&self) -> &WaitQueue {
        &self.read_wait
    }

    /// Ends an end that is still counted but will never be a file (an interrupted FIFO open):
    /// as dropping a [`PipeEnd`] with these roles.
    pub fn drop_end(&self, is_reader: bool, is_writer: bool) {
        if is_reader {
            self.readers.fetch_sub(1, Ordering::AcqRel);
        }
        if is_writer {
            self.writers.fetch_sub(1, Ordering::AcqRel);
        }
        if (self.readers() == 0) != (self.writers() == 0) {
            self.read_wait.wake_all();
            self.write_wait.wake_all();
        }
    }
}

impl PipeEnd {
    /// An end of `pipe` whose reader and writer were already counted (a FIFO open).
    /// The pipe this end is of.
    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.pipe
    }

    pub fn attach(pipe: Arc<Pipe>, is_reader: bool, is_writer: bool, hup_version: u64) -> PipeEnd {
        PipeEnd {
            pipe,
            is_reader,
            is_writer,
            hup_version,
        }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let pipe = &self.pipe;
        if self.is_reader {
            pipe.readers.fetch_sub(1, Ordering::AcqRel);
        }
        if self.is_writer {
            pipe.writers.fetch_sub(1, Ordering::AcqRel);
        }
        let wake = (pipe.readers() == 0) != (pipe.writers() == 0);
        if wake {
            self.pipe.wake_readers();
            self.pipe.wake_writers();
        }
    }
}

fn current_thread() -> Result<Arc<crate::process::Thread>, Errno> {
    crate::process::try_current().ok_or(Errno::EAGAIN)
}

impl PipeEnd {
    /// Bytes waiting to be read (FIONREAD).
    pub fn bytes_available(&self) -> usize {
        self.pipe.state.lock().bytes()
    }

    /// `F_GETPIPE_SZ`.
    pub fn size(&self) -> usize {
        self.pipe.state.lock().max_slots * PAGE_SIZE
    }

    /// `F_SETPIPE_SZ` (`pipe_set_size`): returns the new size.
    pub fn set_size(&self, requested: u64, is_privileged: bool) -> Result<usize, Errno> {
        // round_pipe_size
        let size = if requested > 1 << 31 {
            0
        } else if requested < PAGE_SIZE as u64 {
            PAGE_SIZE as u64
        } else {
            requested.next_power_of_two()
        };
        let slots = (size / PAGE_SIZE as u64) as usize;
        if slots == 0 {
            return Err(Errno::EINVAL);
        }
        let mut state = self.pipe.state.lock();
        if slots > state.max_slots && size > crate::sysctl::pipe_max_size() && !is_privileged {
            return Err(Errno::EPERM);
        }
        // The user's pipe-buffer limits, then the ring's contents (the count goes back).
        self.pipe.account.resize(slots)?;
        if slots < state.buffers.len() {
            let _ = self.pipe.account.resize(state.max_slots);
            return Err(Errno::EBUSY);
        }
        state.max_slots = slots;
        self.pipe.publish(&state);
        drop(state);
        // More room may unblock writers.
        self.pipe.wake_writers();
        Ok(slots * PAGE_SIZE)
    }

    /// Fills the pipe from a file, as Linux's `splice_file_to_pipe`: waits until a slot is free
    /// (`EAGAIN` if `is_nonblocking`, `EPIPE` and SIGPIPE without readers, `ERESTARTSYS` on a
    /// signal), then fills fresh pages, one per free slot, with `produce(page)` (the first page
    /// takes at most `first_len` bytes, the rest of the source's current page; a short or empty
    /// answer ends it), up to `max_len` bytes in all. Returns the bytes added.
    pub fn splice_in(
        &self,
        max_len: usize,
        first_len: usize,
        is_nonblocking: bool,
        produce: &mut dyn FnMut(&mut [u8]) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        let mut done = 0;
        let mut limit = first_len.clamp(1, PAGE_SIZE);
        self.fill_free_slots(is_nonblocking, &mut |page| {
            if done >= max_len {
                return Ok(Fill::Last(0));
            }
            let want = limit.min(max_len - done);
            let got = produce(&mut page[..want])?.min(want);
            done += got;
            limit = PAGE_SIZE;
            Ok(if got < want || done >= max_len {
                Fill::Last(got)
            } else {
                Fill::More(got)
            })
        })
    }

    /// Waits until a slot is free (as [`Self::splice_in`]), then fills fresh pages, one per
    /// free slot, each with `fill(page)`: the bytes it put at the start of the page, and
    /// whether to go on. An empty page ends it; an error ends it too, and is the answer if
    /// nothing was added. Returns the bytes added.
    pub fn fill_free_slots(
        &self,
        is_nonblocking: bool,
        fill: &mut dyn FnMut(&mut [u8]) -> Result<Fill, Errno>,
    ) -> Result<usize, Errno> {
        let pipe = &*self.pipe;
        let mut state = pipe.state.lock();
        loop {
            if pipe.readers() == 0 {
                drop(state);
                raise_sigpipe();
                return Err(Errno::EPIPE);
            }
            if !state.is_full() {
                break;
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            drop(state);
            let thread = current_thread()?;
            wait_event(
                &thread,
                &[&pipe.write_wait],
                SleepKind::Interruptible,
                None,
                || (!pipe.is_full() || pipe.readers() == 0).then_some(()),
            )
            .map_err(|_| Errno::ERESTARTSYS)?;
            state = pipe.state.lock();
        }
        let mut done = 0;
        let mut result = Ok(());
        while !state.is_full() {
            let mut page = match state.new_page() {
                Ok(page) => page,
                Err(error) => {
                    if done == 0 {
                        result = Err(error);
                    }
                    break;
                }
            };
            let (got, is_last) = match fill(&mut page[..]) {
                Ok(Fill::More(got)) => (got.min(PAGE_SIZE), false),
                Ok(Fill::Last(got)) => (got.min(PAGE_SIZE), true),
                Err(error) => {
                    if done == 0 {
                        result = Err(error);
                    }
                    (0, true)
                }
            };
            if got == 0 {
                if state.spare.is_none() {
                    state.spare = Some(page);
                }
                break;
            }
            state.buffers.push_back(PipeBuffer {
                page,
                offset: 0,
                len: got,
                is_packet: false,
                can_merge: false,
            });
            done += got;
            if is_last {
                break;
            }
        }
        if done > 0 {
            pipe.publish(&state);
            let time = now();
            state.mtime = time;
            state.ctime = time;
        }
        drop(state);
        if done > 0 {
            pipe.wake_readers();
        }
        result.map(|()| done)
    }

    /// Waits until the pipe has data (Linux's `splice_from_pipe_next`): `Ok(false)` when it is
    /// empty and has no writers, or when `has_moved` (something was spliced already); `EAGAIN`
    /// if `is_nonblocking`; `ERESTARTSYS` on a signal.
    fn wait_for_data(&self, has_moved: bool, is_nonblocking: bool) -> Result<bool, Errno> {
        let pipe = &*self.pipe;
        loop {
            if pipe.has_data() {
                return Ok(true);
            }
            if pipe.writers() == 0 || has_moved {
                return Ok(false);
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            let thread = current_thread()?;
            wait_event(
                &thread,
                &[&pipe.read_wait],
                SleepKind::Interruptible,
                None,
                || (pipe.has_data() || pipe.writers() == 0).then_some(()),
            )
            .map_err(|_| Errno::ERESTARTSYS)?;
        }
    }

    /// Empties up to `max_len` bytes of the pipe into a file, as Linux's
    /// `iter_file_splice_write`: waits for data ([`Self::wait_for_data`]), hands each buffer's
    /// bytes to `consume` (which writes them and answers how many it took) under the pipe's
    /// mutex, and takes out what was consumed; after a short write, or once the pipe is empty
    /// with something moved, it stops. Returns the bytes moved (0 at the end of the data).
    pub fn splice_out(
        &self,
        max_len: usize,
        is_nonblocking: bool,
        consume: &mut dyn FnMut(&[u8]) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        let pipe = &*self.pipe;
        let mut done = 0;
        let mut result = Ok(());
        'outer: while done < max_len {
            match self.wait_for_data(done > 0, is_nonblocking) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    if done == 0 {
                        result = Err(error);
                    }
                    break;
                }
            }
            let mut state = pipe.state.lock();
            while done < max_len {
                let Some(front) = state.buffers.front_mut() else {
                    break;
                };
                let want = front.len.min(max_len - done);
                let taken = match consume(&front.page[front.offset..front.offset + want]) {
                    Ok(taken) => taken.min(want),
                    Err(error) => {
                        if done == 0 {
                            result = Err(error);
                        }
                        0
                    }
                };
                front.offset += taken;
                front.len -= taken;
                done += taken;
                if front.len == 0
                    && let Some(buffer) = state.buffers.pop_front()
                {
                    state.release(buffer);
                }
                if taken < want {
                    pipe.publish(&state);
                    drop(state);
                    pipe.wake_writers();
                    break 'outer;
                }
            }
            state.atime = now();
            pipe.publish(&state);
            drop(state);
            pipe.wake_writers();
        }
        result.map(|()| done)
    }

    /// Waits for room in `self`'s pipe (Linux's `opipe_prep`): `EPIPE` and SIGPIPE without
    /// readers, `EAGAIN` if `is_nonblocking`, `ERESTARTSYS` on a signal.
    fn wait_for_room(&self, is_nonblocking: bool) -> Result<(), Errno> {
        let pipe = &*self.pipe;
        loop {
            if pipe.readers() == 0 {
                raise_sigpipe();
                return Err(Errno::EPIPE);
            }
            if !pipe.is_full() {
                return Ok(());
            }
            if is_nonblocking {
                return Err(Errno::EAGAIN);
            }
            let thread = current_thread()?;
            wait_event(
                &thread,
                &[&pipe.write_wait],
                SleepKind::Interruptible,
                None,
                || (!pipe.is_full() || pipe.readers() == 0).then_some(()),
            )
            .map_err(|_| Errno::ERESTARTSYS)?;
        }
    }

    /// Moves up to `max_len` bytes from this pipe into `output`'s (Linux's
    /// `splice_pipe_to_pipe`): waits for data here and room there, then, with both mutexes
    /// held (the lower address first, `pipe_double_lock`), moves whole buffers (a buffer longer
    /// than what is left is split: the moved part is a copy that is never merged into) until
    /// `max_len` bytes moved, this pipe is empty or that one full. `EINVAL` for the same pipe;
    /// `EPIPE` and SIGPIPE when `output` has no readers. Returns the bytes moved (0 when this
    /// pipe is empty and has no writers).
    pub fn splice_to_pipe(
        &self,
        output: &PipeEnd,
        max_len: usize,
        is_nonblocking: bool,
    ) -> Result<usize, Errno> {
        let (ipipe, opipe) = (&*self.pipe, &*output.pipe);
        if core::ptr::eq(ipipe, opipe) {
            return Err(Errno::EINVAL);
        }
        loop {
            if !self.wait_for_data(false, is_nonblocking)? {
                return Ok(0);
            }
            output.wait_for_room(is_nonblocking)?;
            let (mut istate, mut ostate) = lock_both(ipipe, opipe);
            let mut done = 0;
            let mut result = Ok(());
            let mut input_consumed = false;
            while done < max_len {
                if opipe.readers() == 0 {
                    raise_sigpipe();
                    if done == 0 {
                        result = Err(Errno::EPIPE);
                    }
                    break;
                }
                if istate.buffers.is_empty() || ostate.is_full() {
                    break;
                }
                let left = max_len - done;
                let Some(front) = istate.buffers.front_mut() else {
                    break;
                };
                let moved = if left >= front.len {
                    let Some(buffer) = istate.buffers.pop_front() else {
                        break;
                    };
                    input_consumed = true;
                    let len = buffer.len;
                    ostate.buffers.push_back(buffer);
                    len
                } else {
                    if let Err(error) = ostate.push_copy(front, left) {
                        if done == 0 {
                            result = Err(error);
                        }
                        break;
                    }
                    front.offset += left;
                    front.len -= left;
                    left
                };
                done += moved;
            }
            let is_retry = done == 0 && result.is_ok();
            if !is_retry {
                ipipe.publish(&istate);
                opipe.publish(&ostate);
            }
            drop(ostate);
            drop(istate);
            if is_retry {
                // Raced with another reader or writer: wait again (Linux's `goto retry`).
                if is_nonblocking {
                    return Err(Errno::EAGAIN);
                }
                continue;
            }
            if done > 0 {
                opipe.wake_readers();
            }
            if input_consumed {
                ipipe.wake_writers();
            }
            return result.map(|()| done);
        }
    }

    /// Copies up to `max_len` bytes at the front of this pipe into `output`'s without taking
    /// them out (Linux's `do_tee`: `ipipe_prep`, `opipe_prep`, `link_pipe`): waits for data
    /// here (0 when empty without writers) and room there (`EPIPE` and SIGPIPE without readers;
    /// `EAGAIN` if `is_nonblocking`), then, with both mutexes held, duplicates buffer after
    /// buffer (the last one cut to what is left; Linux shares the pages, the copies hold the
    /// same bytes and boundaries, never merged into) until `max_len`, the end of this pipe's
    /// data or a full `output`. `EINVAL` for the same pipe.
    pub fn tee_to_pipe(
        &self,
        output: &PipeEnd,
        max_len: usize,
        is_nonblocking: bool,
    ) -> Result<usize, Errno> {
        let (ipipe, opipe) = (&*self.pipe, &*output.pipe);
        if core::ptr::eq(ipipe, opipe) {
            return Err(Errno::EINVAL);
        }
        if !self.wait_for_data(false, is_nonblocking)? {
            return Ok(0);
        }
        output.wait_for_room(is_nonblocking)?;
        let (istate, mut ostate) = lock_both(ipipe, opipe);
        let mut done = 0;
        let mut result = Ok(());
        for buffer in istate.buffers.iter() {
            if done >= max_len {
                break;
            }
            if opipe.readers() == 0 {
                raise_sigpipe();
                if done == 0 {
                    result = Err(Errno::EPIPE);
                }
                break;
            }
            if ostate.is_full() {
                break;
            }
            let len = buffer.len.min(max_len - done);
            if let Err(error) = ostate.push_copy(buffer, len) {
                if done == 0 {
                    result = Err(error);
                }
                break;
            }
            done += len;
        }
        if done > 0 {
            opipe.publish(&ostate);
        }
        drop(ostate);
        drop(istate);
        if done > 0 {
            opipe.wake_readers();
        }
        result.map(|()| done)
    }

    fn read_impl(
        &self,
        buf: &mut [u8],
        status_flags: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let pipe = &*self.pipe;
        loop {
            {
                let mut state = pipe.state.lock();
                if !state.buffers.is_empty() {
                    let was_full = state.is_full();
                    // Copy out without consuming, deliver, then consume what was delivered.
                    let mut count = 0;
                    for buffer in &state.buffers {
                        let chars = buffer.len.min(buf.len() - count);
                        buf[count..count + chars]
                            .copy_from_slice(&buffer.page[buffer.offset..buffer.offset + chars]);
                        count += chars;
                        if buffer.is_packet || count == buf.len() {
                            break;
                        }
                    }
                    deliver(&buf[..count])?;
                    let mut left = count;
                    while let Some(front) = state.buffers.front_mut() {
                        let chars = front.len.min(left);
                        front.offset += chars;
                        front.len -= chars;
                        left -= chars;
                        if front.is_packet {
                            front.len = 0;
                        }
                        let is_packet = front.is_packet;
                        if front.len == 0
                            && let Some(buffer) = state.buffers.pop_front()
                        {
                            state.release(buffer);
                        }
                        if is_packet || left == 0 {
                            break;
                        }
                    }
                    state.atime = now();
                    pipe.publish(&state);
                    drop(state);
                    if was_full {
                        pipe.wake_writers();
                    }
                    return Ok(count);
                }
                if pipe.writers() == 0 {
                    return Ok(0);
                }
                if status_flags.contains(OpenFlags::O_NONBLOCK) {
                    return Err(Errno::EAGAIN);
                }
            }
            let thread = current_thread()?;
            match wait_event(
                &thread,
                &[&pipe.read_wait],
                SleepKind::Interruptible,
                None,
                || (pipe.has_data() || pipe.writers() == 0).then_some(()),
            ) {
                Ok(()) => {}
                Err(WaitError::Interrupted) | Err(WaitError::TimedOut) => {
                    return Err(Errno::ERESTARTSYS);
                }
            }
        }
    }

    fn write_impl(&self, data: &[u8], status_flags: OpenFlags) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        let pipe = &*self.pipe;
        let is_packet = status_flags.contains(OpenFlags::O_DIRECT);
        let is_nonblocking = status_flags.contains(OpenFlags::O_NONBLOCK);
        let mut done = 0;
        let mut state = pipe.state.lock();
        if pipe.readers() == 0 {
            drop(state);
            raise_sigpipe();
            return Err(Errno::EPIPE);
        }
        let mut was_empty = state.buffers.is_empty();
        // Merge the head of the write into the last buffer if it fits.
        let chars = data.len() % PAGE_SIZE;
        if chars != 0
            && let Some(last) = state.buffers.back_mut()
        {
            let end = last.offset + last.len;
            if last.can_merge && end + chars <= PAGE_SIZE {
                last.page[end..end + chars].copy_from_slice(&data[..chars]);
                last.len += chars;
                done = chars;
            }
        }
        let mut result = Ok(());
        while done < data.len() {
            if pipe.readers() == 0 {
                drop(state);
                raise_sigpipe();
                state = pipe.state.lock();
                if done == 0 {
                    result = Err(Errno::EPIPE);
                }
                break;
            }
            if !state.is_full() {
                let mut page = match state.new_page() {
                    Ok(page) => page,
                    Err(error) => {
                        if done == 0 {
                            result = Err(error);
                        }
                        break;
                    }
                };
                let chunk = (data.len() - done).min(PAGE_SIZE);
                page[..chunk].copy_from_slice(&data[done..done + chunk]);
                state.buffers.push_back(PipeBuffer {
                    page,
                    offset: 0,
                    len: chunk,
                    is_packet,
                    can_merge: !is_packet,
                });
                pipe.publish(&state);
                done += chunk;
                continue;
            }
            if is_nonblocking {
                if done == 0 {
                    result = Err(Errno::EAGAIN);
                }
                break;
            }
            drop(state);
            // Let readers drain what is there before sleeping.
            pipe.wake_readers();
            let thread = match current_thread() {
                Ok(thread) => thread,
                Err(error) => {
                    state = pipe.state.lock();
                    if done == 0 {
                        result = Err(error);
                    }
                    break;
                }
            };
            let waited = wait_event(
                &thread,
                &[&pipe.write_wait],
                SleepKind::Interruptible,
                None,
                || (!pipe.is_full() || pipe.readers() == 0).then_some(()),
            );
            state = pipe.state.lock();
            if waited.is_err() {
                if done == 0 {
                    result = Err(Errno::ERESTARTSYS);
                }
                break;
            }
            // Readers may have emptied the pipe and gone to sleep meanwhile: whether to wake
            // them at the end depends on the pipe as it is now (Linux's pipe_write).
            was_empty = state.buffers.is_empty();
        }
        if done > 0 {
            let time = now();
            state.mtime = time;
            state.ctime = time;
        }
        drop(state);
        if done > 0 && (was_empty || pipe.poll_usage.load(Ordering::Relaxed)) {
            pipe.read_wait.wake_all();
        }
        if done > 0 {
            pipe.fasync_readers.kill(super::fasync::POLL_IN);
        }
        result.map(|()| done)
    }
}

impl FileOps for PipeEnd {
    /// `pipe_fasync`: a read end joins the readers' list, a write end the writers'.
    fn fasync(&self, file: &Arc<OpenFile>, fd: i32, on: bool) -> Option<Result<(), Errno>> {
        let mut result = Ok(());
        if self.is_reader {
            result = self.pipe.fasync_readers.helper(file, fd, on);
        }
        if self.is_writer && result.is_ok() {
            result = self.pipe.fasync_writers.helper(file, fd, on);
            if result.is_err() && self.is_reader {
                let _ = self.pipe.fasync_readers.helper(file, fd, false);
            }
        }
        Some(result)
    }

    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let flags = if is_nonblocking {
            OpenFlags::O_NONBLOCK
        } else {
            OpenFlags::empty()
        };
        self.read_impl(buf, flags, &mut |_| Ok(()))
    }

    fn write(&self, _: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let flags = if is_nonblocking {
            OpenFlags::O_NONBLOCK
        } else {
            OpenFlags::empty()
        };
        self.write_impl(data, flags)
    }

    fn read_deliver(
        &self,
        _: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        self.read_impl(buf, status_flags, deliver)
    }

    fn write_with_flags(
        &self,
        _: u64,
        data: &[u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        self.write_impl(data, status_flags)
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        let pipe = &*self.pipe;
        if self.is_reader {
            poll_wait(&mut table, &pipe.read_wait);
        }
        if self.is_writer {
            poll_wait(&mut table, &pipe.write_wait);
        }
        pipe.poll_usage.store(true, Ordering::Relaxed);
        let mut mask = 0;
        if self.is_reader {
            if pipe.has_data() {
                mask |= POLLIN | POLLRDNORM;
            }
            if pipe.writers() == 0 && self.hup_version != pipe.write_opens() {
                mask |= POLLHUP;
            }
        }
        if self.is_writer {
            if !pipe.is_full() {
                mask |= POLLOUT | POLLWRNORM;
            }
            if pipe.readers() == 0 {
                mask |= POLLERR;
            }
        }
        Some(mask)
    }

    fn as_pipe(&self) -> Option<&PipeEnd> {
        Some(self)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn metadata(&self) -> Metadata {
        self.pipe.metadata()
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        use abi::ioctl::FIONREAD;
        match command {
            FIONREAD => {
                let count = self.bytes_available() as i32;
                hal::usercopy::write_user(argument, &count)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

/// Locks two pipes' mutexes, the lower address first (`pipe_double_lock`); returns the
/// guards in the order the pipes were given.
fn lock_both<'a>(
    first: &'a Pipe,
    second: &'a Pipe,
) -> (
    hal::sync::MutexGuard<'a, PipeState>,
    hal::sync::MutexGuard<'a, PipeState>,
) {
    if (first as *const Pipe as usize) < (second as *const Pipe as usize) {
        let guard = first.state.lock();
        (guard, second.state.lock())
    } else {
        let guard = second.state.lock();
        (first.state.lock(), guard)
    }
}
