//! Block requests and their completion (Linux's `struct request`/`bio` and `blk_mq_end_request`,
//! reduced to what the page cache and the drivers exchange).
//!
//! A [`Request`] is one transfer: an operation, a start sector (512-byte units, as Linux's
//! `sector_t`), and segments, each part of one page frame lent to the device as a
//! [`DmaStream`]. The driver takes it with [`BlockDriver::submit`](super::BlockDriver), which never
//! sleeps; when the device is done (in its deferred interrupt handler) the driver calls
//! [`Request::complete`], which gives the segments back to the [`Completion`] and wakes whoever
//! waits on it. Several requests are in flight at once: the submitter collects completions and
//! waits for all of them ([`Completion::wait`]).
//!
//! Waiting works with or without a thread: during boot (the partition scan of the first disks
//! runs before any thread exists) it polls, halting between device interrupts and running their
//! handlers itself.

use crate::process::Thread;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitQueue, wait_event};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, Ordering};
use hal::dma::DmaStream;
use hal::sync::SpinLock;

/// What a request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Device to memory.
    Read,
    /// Memory to device.
    Write,
    /// Make earlier writes durable (`REQ_PREFLUSH`); no segments.
    Flush,
}

/// Part of one frame: `len` bytes from `offset`.
#[derive(Debug)]
pub struct Segment {
    pub stream: DmaStream,
    pub offset: u32,
    pub len: u32,
}

const PENDING: u8 = 0;
const DONE_OK: u8 = 1;
const DONE_ERROR: u8 = 2;

/// Where a request's outcome arrives.
pub struct Completion {
    state: AtomicU8,
    segments: SpinLock<Vec<Segment>>,
    queue: WaitQueue,
}

impl Completion {
    pub fn new() -> Arc<Completion> {
        Arc::new(Completion {
            state: AtomicU8::new(PENDING),
            segments: SpinLock::new("block.completion", Vec::new()),
            queue: WaitQueue::new(),
        })
    }

    fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) != PENDING
    }

    /// Waits until the request is done: its segments back, or `EIO`.
    pub fn wait(&self) -> Result<Vec<Segment>, Errno> {
        match crate::sched::current() {
            Some(thread) => self.wait_as(&thread),
            None => {
                // Boot: no thread to put to sleep.
                while !self.is_done() {
                    hal::irq::run_pending();
                    if !self.is_done() {
                        crate::time::idle_wait();
                    }
                }
            }
        }
        let segments = core::mem::take(&mut *self.segments.lock());
        match self.state.load(Ordering::Acquire) {
            DONE_OK => Ok(segments),
            _ => Err(Errno::EIO),
        }
    }

    fn wait_as(&self, thread: &Arc<Thread>) {
        // Uninterruptible, as Linux's `io_schedule`: the request is in the device's hands.
        let _ = wait_event(
            thread,
            &[&self.queue],
            SleepKind::Uninterruptible,
            None,
            || self.is_done().then_some(()),
        );
    }
}

/// One transfer.
pub struct Request {
    pub op: Op,
    /// First sector (512 bytes each).
    pub sector: u64,
    pub segments: Vec<Segment>,
    pub completion: Arc<Completion>,
}

impl Request {
    /// Bytes transferred.
    pub fn len(&self) -> u64 {
        self.segments
            .iter()
            .map(|segment| u64::from(segment.len))
            .sum()
    }

    /// Whether the request moves no data (a flush).
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Ends the request: hands its segments back and wakes the waiter.
    pub fn complete(self, result: Result<(), Errno>) {
        let Request {
            segments,
            completion,
            ..
        } = self;
        *completion.segments.lock() = segments;
        let state = if result.is_ok() { DONE_OK } else { DONE_ERROR };
        completion.state.store(state, Ordering::Release);
        completion.queue.wake_all();
    }
}
