//! Readiness: the poll table a file registers its wait queues in, and the one waiting loop that
//! poll, select and epoll_wait share (Linux's `include/linux/poll.h`, `poll_wait`, and the loop
//! of `do_poll`/`do_select` in `fs/select.c`).
//!
//! A file answers [`FileOps::poll`](super::file::FileOps::poll) with its ready `POLL*` bits and,
//! when given a [`PollTable`], adds the wait queues whose wake-ups may change those bits. The
//! waiter ([`wait_ready`]) scans once with a table, sleeps on every queue collected, and rescans
//! without a table after each wake-up, as Linux does. Files whose readiness changes without a
//! wake-up (the polled UART console) ask for a recheck at every tick instead.
//!
//! Not done: wake-up keys (Linux passes the event mask to the waker so that, for instance, a
//! reader is not woken for `POLLOUT`); every wake-up here makes the waiter rescan.

use crate::process::Thread;
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, WaitQueue, wait_event};
use alloc::sync::Arc;
use alloc::vec::Vec;

pub use abi::poll::{
    POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND,
    POLLWRNORM,
};

/// What a file without a poll method reports (`DEFAULT_POLLMASK`): always readable and writable.
pub const DEFAULT_POLLMASK: u16 = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/// Where files register the queues a poller sleeps on (Linux's `poll_table`).
#[derive(Default)]
pub struct PollTable {
    queues: Vec<Arc<WaitQueue>>,
    needs_tick_recheck: bool,
}

impl PollTable {
    pub fn new() -> PollTable {
        PollTable::default()
    }

    /// Adds `queue` (Linux's `poll_wait`). If memory runs out the poller falls back to
    /// rechecking at every tick, so no wake-up is missed.
    pub fn register(&mut self, queue: &Arc<WaitQueue>) {
        if self.queues.iter().any(|known| Arc::ptr_eq(known, queue)) {
            return;
        }
        if self.queues.try_reserve(1).is_err() {
            self.needs_tick_recheck = true;
            return;
        }
        self.queues.push(queue.clone());
    }

    /// Asks the poller to recheck at every tick (for readiness that changes without a wake-up).
    pub fn request_tick_recheck(&mut self) {
        self.needs_tick_recheck = true;
    }

    /// The queues registered so far.
    pub fn queues(&self) -> &[Arc<WaitQueue>] {
        &self.queues
    }

    pub fn needs_tick_recheck(&self) -> bool {
        self.needs_tick_recheck
    }
}

/// Registers `queue` if there is a table (the `poll_wait(file, queue, table)` idiom).
pub fn poll_wait(table: &mut Option<&mut PollTable>, queue: &Arc<WaitQueue>) {
    if let Some(table) = table {
        table.register(queue);
    }
}

/// The outcome of one scan of the watched files.
pub enum Scan<R> {
    /// Something is ready: the wait ends with this value.
    Ready(R),
    /// Nothing yet.
    NotReady,
    /// The watched set changed (an epoll interest was added): rescan with a table.
    Changed,
}

/// Length of one tick, for files rechecked at every tick.
const TICK_NS: u64 = 1_000_000_000 / hal::time::TICK_HZ;

/// Scans with `scan` until it reports something ready, the CLOCK_MONOTONIC `deadline_ns` passes
/// (`Err(TimedOut)`; `Some(0)` scans once) or a signal interrupts (`Err(Interrupted)`). `scan`
/// gets a table on the first pass (and after [`Scan::Changed`]) and none on the rechecks.
pub fn wait_ready<R>(
    thread: &Arc<Thread>,
    deadline_ns: Option<u64>,
    mut scan: impl FnMut(Option<&mut PollTable>) -> Scan<R>,
) -> Result<R, WaitError> {
    // A zero timeout never sleeps, so nothing is registered on any wait queue (Linux passes no
    // poll table then: `poll_initwait` with `_qproc = NULL`).
    if deadline_ns.is_some_and(|deadline| deadline == 0 || deadline <= crate::time::monotonic_ns())
    {
        match scan(None) {
            Scan::Ready(value) => return Ok(value),
            Scan::NotReady => return Err(WaitError::TimedOut),
            Scan::Changed => {}
        }
    }
    loop {
        let mut table = PollTable::new();
        if let Scan::Ready(value) = scan(Some(&mut table)) {
            return Ok(value);
        }
        let now = crate::time::monotonic_ns();
        if deadline_ns.is_some_and(|deadline| now >= deadline) {
            return Err(WaitError::TimedOut);
        }
        let wake_at = if table.needs_tick_recheck {
            Some(
                deadline_ns
                    .unwrap_or(u64::MAX)
                    .min(now.saturating_add(TICK_NS)),
            )
        } else {
            deadline_ns
        };
        let mut queues: Vec<&WaitQueue> = Vec::new();
        if queues.try_reserve(table.queues.len()).is_err() {
            // Without the list, sleep a tick at a time.
            let tick = deadline_ns
                .unwrap_or(u64::MAX)
                .min(now.saturating_add(TICK_NS));
            match crate::sched::wait::sleep_until(thread, tick, SleepKind::Interruptible) {
                Ok(()) => continue,
                Err(error) => return Err(error),
            }
        }
        queues.extend(table.queues.iter().map(|queue| &**queue));
        let result = wait_event(
            thread,
            &queues,
            SleepKind::Interruptible,
            wake_at,
            || match scan(None) {
                Scan::Ready(value) => Some(Some(value)),
                Scan::Changed => Some(None),
                Scan::NotReady => None,
            },
        );
        match result {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => continue,
            Err(WaitError::TimedOut) => {
                if deadline_ns.is_some_and(|deadline| crate::time::monotonic_ns() >= deadline) {
                    return Err(WaitError::TimedOut);
                }
            }
            Err(WaitError::Interrupted) => return Err(WaitError::Interrupted),
        }
    }
}
