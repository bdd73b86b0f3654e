//! timerfd objects (Linux `fs/timerfd.c`, timerfd_create(2)): a timer whose expirations are
//! read from a file descriptor as a `u64` count.
//!
//! `read` of fewer than 8 bytes is `EINVAL`; it blocks (or `EAGAIN` with O_NONBLOCK) until the
//! timer has expired at least once, then returns the expirations since the last read and zeroes
//! the count. As in Linux a periodic timer is not rearmed when it fires but when the count is
//! read (or by timerfd_gettime), adding the intervals that passed meanwhile to the count
//! (`hrtimer_forward_now`), so a slow reader cannot make the kernel fire without bound.
//! An expiry already in the past when the timer is set fires at once.
//!
//! Clocks: CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME and the two ALARM clocks (root
//! only). Timers on CLOCK_REALTIME keep their expiry on that clock, so a clock step moves them.
//! An absolute CLOCK_REALTIME timer set with TFD_TIMER_CANCEL_ON_SET is cancelled when the clock
//! is stepped ([`clock_was_set`], Linux's `timerfd_clock_was_set`): it becomes readable, and the
//! next read fails with ECANCELED and clears the count (the timer itself stays armed, as in
//! Linux). Not done: the TFD_IOC_SET_TICKS ioctl, `/proc/<pid>/fdinfo`.

use super::file::{FileOps, SeekPolicy};
use crate::sched::SleepKind;
use crate::sched::timer::{self, TimerAction, TimerId};
use crate::sched::wait::{WaitQueue, wait_event};
use crate::timers::{TimerClock, WallClock, forward};
use abi::Errno;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::Metadata;

/// The timer's state (`struct timerfd_ctx` under `wqh.lock`).
struct State {
    /// The expiry on the timer's clock; 0 when never armed or disarmed.
    expiry_ns: u64,
    interval_ns: u64,
    /// Expirations not yet read.
    ticks: u64,
    /// The timer fired and was not rearmed yet (`ctx->expired`).
    is_expired: bool,
    kernel: Option<TimerId>,
    generation: u64,
    /// The clock the expiry is on: the timer's, or CLOCK_MONOTONIC for a relative setting of a
    /// CLOCK_REALTIME timer ([`TimerClock::base_for`]).
    base: TimerClock,
    /// Armed with TFD_TIMER_CANCEL_ON_SET (absolute, on CLOCK_REALTIME): the clock's set count
    /// then (`ctx->might_cancel` and `ctx->moffs`).
    cancel_on_set: Option<u64>,
    /// The clock was stepped since: the next read is ECANCELED.
    is_canceled: bool,
}

/// The timerfds ever armed with TFD_TIMER_CANCEL_ON_SET (`cancel_list`); dead entries are
/// pruned as entries are added. Taken before a timer's `timerfd.state`.
static CANCEL_LIST: SpinLock<Vec<Weak<Inner>>> = SpinLock::new("timerfd.cancel_list", Vec::new());

/// The wall clock was stepped: every CANCEL_ON_SET timerfd armed before the step is cancelled
/// (readable; its next read is ECANCELED).
pub fn clock_was_set() {
    let now_count = crate::time::realtime_set_count();
    let list = CANCEL_LIST.lock();
    for inner in list.iter().filter_map(Weak::upgrade) {
        let cancelled = {
            let mut state = inner.state.lock();
            match state.cancel_on_set {
                Some(count) if count != now_count && !state.is_canceled => {
                    state.is_canceled = true;
                    state.ticks = state.ticks.saturating_add(1);
                    true
                }
                _ => false,
            }
        };
        if cancelled {
            inner.wait.wake_all();
        }
    }
}

struct Inner {
    clock: TimerClock,
    /// The clock id it was created with (absolute times of a time namespace's clock shift).
    clock_id: i32,
    state: SpinLock<State>,
    wait: Arc<WaitQueue>,
}

/// One timerfd.
pub struct TimerFd {
    inner: Arc<Inner>,
}

/// A timer setting in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Setting {
    pub value_ns: u64,
    pub interval_ns: u64,
}

impl Inner {
    fn now(state: &State) -> u64 {
        match &state.base {
            TimerClock::Wall(wall) => wall.now(),
            _ => crate::time::monotonic_ns(),
        }
    }

    /// Whether a setting with these flags cancels on clock steps (`timerfd_setup_cancel`):
    /// absolute, on CLOCK_REALTIME, with TFD_TIMER_CANCEL_ON_SET. Such a timer is put on the
    /// cancel list first (ENOMEM if it cannot be), without its state lock.
    fn setup_cancel(self: &Arc<Self>, wants: bool) -> Result<bool, Errno> {
        let is_realtime = matches!(self.clock, TimerClock::Wall(WallClock::Realtime));
        if !(wants && is_realtime) {
            return Ok(false);
        }
        let mut list = CANCEL_LIST.lock();
        if !list
            .iter()
            .any(|entry| core::ptr::eq(entry.as_ptr(), Arc::as_ptr(self)))
        {
            list.retain(|entry| entry.strong_count() > 0);
            list.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            list.push(Arc::downgrade(self));
        }
        Ok(true)
    }

    /// `timerfd_tmrproc`: one more expiration, readers woken.
    fn expire(&self, state: &mut State) {
        state.is_expired = true;
        state.ticks = state.ticks.saturating_add(1);
        state.kernel = None;
    }

    /// Arms the kernel timer for `state.expiry_ns` (a deadline already past fires at the next
    /// tick).
    fn arm(self: &Arc<Self>, state: &mut State) {
        if let Some(old) = state.kernel.take() {
            timer::cancel(old);
        }
        let Some(deadline) = state.base.deadline(state.expiry_ns) else {
            return;
        };
        state.generation += 1;
        let generation = state.generation;
        let weak: Weak<Inner> = Arc::downgrade(self);
        state.kernel = Some(timer::add_at(
            deadline,
            TimerAction::Call(Box::new(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.fired(generation);
                }
            })),
        ));
    }

    fn fired(&self, generation: u64) {
        {
            let mut state = self.state.lock();
            if state.kernel.is_none() || state.generation != generation {
                return;
            }
            self.expire(&mut state);
        }
        self.wait.wake_all();
    }

    /// Counts an expiry whose deadline has passed but whose kernel timer has not run yet (the
    /// timer queue runs at the tick, Linux's hrtimers at the deadline): without it, a periodic
    /// timer read between its deadline and the next tick would show no time left. Returns
    /// whether it did (the caller wakes readers once the lock is dropped).
    fn catch_up(&self, state: &mut State) -> bool {
        if state.is_expired || state.kernel.is_none() || state.expiry_ns > Self::now(state) {
            return false;
        }
        if let Some(pending) = state.kernel.take() {
            timer::cancel(pending);
        }
        self.expire(state);
        true
    }

    /// A periodic timer that fired is moved past now and restarted; the extra intervals count
    /// as expirations.
    fn rearm_if_expired(self: &Arc<Self>, state: &mut State) {
        if state.is_expired && state.interval_ns != 0 {
            state.is_expired = false;
            let now = Self::now(state);
            let interval = state.interval_ns;
            let count = forward(&mut state.expiry_ns, now, interval);
            state.ticks = state.ticks.saturating_add(count.saturating_sub(1));
            self.arm(state);
        }
    }

    fn remaining(&self, state: &State) -> u64 {
        state.expiry_ns.saturating_sub(Self::now(state))
    }
}

impl TimerFd {
    /// A disarmed timerfd on `clock` (a wall clock id already validated), created as `clock_id`.
    pub fn new(clock: TimerClock, clock_id: i32) -> TimerFd {
        TimerFd {
            inner: Arc::new(Inner {
                clock: clock.clone(),
                clock_id,
                state: SpinLock::new(
                    "timerfd.state",
                    State {
                        expiry_ns: 0,
                        interval_ns: 0,
                        ticks: 0,
                        is_expired: false,
                        kernel: None,
                        generation: 0,
                        base: clock,
                        cancel_on_set: None,
                        is_canceled: false,
                    },
                ),
                wait: Arc::new(WaitQueue::new()),
            }),
        }
    }

    /// timerfd_gettime: time to the next expiry and the interval.
    pub fn get(&self) -> Setting {
        let inner = &self.inner;
        let (setting, caught_up) = {
            let mut state = inner.state.lock();
            let caught_up = inner.catch_up(&mut state);
            inner.rearm_if_expired(&mut state);
            let setting = Setting {
                value_ns: inner.remaining(&state),
                interval_ns: state.interval_ns,
            };
            (setting, caught_up)
        };
        if caught_up {
            inner.wait.wake_all();
        }
        setting
    }

    /// timerfd_settime: installs `new` (absolute on the timer's clock with
    /// TFD_TIMER_ABSTIME, a time of the caller's time namespace, whose clock offsets are
    /// `offsets`; cancelled by clock steps with `cancel_on_set` too), returning the old
    /// setting.
    pub fn set(
        &self,
        new: Setting,
        is_absolute: bool,
        cancel_on_set: bool,
        offsets: &crate::ns::time::Offsets,
    ) -> Result<Setting, Errno> {
        let inner = &self.inner;
        let cancels = inner.setup_cancel(is_absolute && cancel_on_set)?;
        let fired_now = {
            let mut state = inner.state.lock();
            state.cancel_on_set = cancels.then(crate::time::realtime_set_count);
            state.is_canceled = false;
            if let Some(old) = state.kernel.take() {
                timer::cancel(old);
            }
            if state.is_expired && state.interval_ns != 0 {
                let now = Inner::now(&state);
                let interval = state.interval_ns;
                forward(&mut state.expiry_ns, now, interval);
            }
            let old = Setting {
                value_ns: inner.remaining(&state),
                interval_ns: state.interval_ns,
            };
            state.is_expired = false;
            state.ticks = 0;
            state.interval_ns = new.interval_ns;
            state.expiry_ns = 0;
            let mut fired_now = false;
            if new.value_ns != 0 {
                state.base = inner.clock.base_for(is_absolute);
                let now = Inner::now(&state);
                state.expiry_ns = if is_absolute {
                    crate::ns::time::to_host(offsets, inner.clock_id, new.value_ns)
                } else {
                    now.saturating_add(new.value_ns)
                };
                if state.expiry_ns <= now {
                    // Linux's hrtimer fires at once for a past expiry.
                    inner.expire(&mut state);
                    fired_now = true;
                } else {
                    inner.arm(&mut state);
                }
            }
            (old, fired_now)
        };
        if fired_now.1 {
            inner.wait.wake_all();
        }
        Ok(fired_now.0)
    }

    /// Whether a read would not block (for poll).
    pub fn is_readable(&self) -> bool {
        self.inner.state.lock().ticks != 0
    }
}

impl Drop for TimerFd {
    fn drop(&mut self) {
        if let Some(id) = self.inner.state.lock().kernel.take() {
            timer::cancel(id);
        }
    }
}

impl FileOps for TimerFd {
    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let inner = &self.inner;
        let take = || {
            let mut state = inner.state.lock();
            if state.ticks == 0 {
                return None;
            }
            if state.is_canceled {
                // The clock was stepped: the count means nothing now, the timer is not rearmed.
                state.is_canceled = false;
                state.is_expired = false;
                state.ticks = 0;
                return Some(Err(Errno::ECANCELED));
            }
            // A periodic timer restarts now; the intervals missed count too.
            inner.rearm_if_expired(&mut state);
            let ticks = state.ticks;
            state.is_expired = false;
            state.ticks = 0;
            Some(Ok(ticks))
        };
        let ticks = match take() {
            Some(ticks) => ticks,
            None if is_nonblocking => return Err(Errno::EAGAIN),
            None => {
                let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
                wait_event(
                    &thread,
                    &[&inner.wait],
                    SleepKind::Interruptible,
                    None,
                    take,
                )
                .map_err(|_| Errno::ERESTARTSYS)?
            }
        }?;
        buf[..8].copy_from_slice(&ticks.to_ne_bytes());
        Ok(8)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> SeekPolicy {
        SeekPolicy::NoMove
    }

    fn metadata(&self) -> Metadata {
        super::eventfd::anon_inode_metadata()
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    /// Readable once the timer has expired at least once since the last read.
    fn poll(&self, mut table: Option<&mut super::poll::PollTable>) -> Option<u16> {
        super::poll::poll_wait(&mut table, &self.inner.wait);
        Some(if self.is_readable() {
            super::poll::POLLIN | super::poll::POLLRDNORM
        } else {
            0
        })
    }

    fn as_timerfd(&self) -> Option<&TimerFd> {
        Some(self)
    }
}
