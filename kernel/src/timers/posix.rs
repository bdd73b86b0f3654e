//! POSIX timers: timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete
//! (Linux `kernel/time/posix-timers.c`, `common_timer_*`, and the CPU clocks of
//! `posix-cpu-timers.c`).
//!
//! Ids are per process, handed out in increasing order from 0 (`next_posix_timer_id`), and an
//! id is used up even when creation then fails (bad `sigevent`), as in Linux. Notification:
//! SIGEV_SIGNAL (and SIGEV_THREAD, which the kernel treats alike) to the process,
//! SIGEV_THREAD_ID to one thread of the process, SIGEV_NONE for none. The signal carries
//! `si_code` SI_TIMER, `si_tid` (the timer id), `si_overrun` and `si_value`.
//!
//! Expiry and overruns follow Linux's scheme: when a timer expires its signal is queued (or, if
//! that signal is still queued, its `si_overrun` goes up); a periodic timer is not rearmed
//! then but when its signal is dequeued ([`rearm`]), and the intervals that passed meanwhile
//! are its overrun (`it_overrun`, reported by `si_overrun` and `timer_getoverrun`). A signal
//! that is ignored is dropped and a periodic timer is rearmed at once. timer_gettime moves the
//! expiry of a periodic timer whose signal is pending, or of a SIGEV_NONE timer, past now.
//!
//! Clocks: REALTIME, MONOTONIC, BOOTTIME, TAI and the two ALARM clocks (root only, EPERM
//! otherwise) as kernel timers; PROCESS_CPUTIME_ID and THREAD_CPUTIME_ID checked at ticks.
//! Each timer preallocates its signal, which counts against its creator's RLIMIT_SIGPENDING
//! for the timer's life (`alloc_posix_timer`: EAGAIN at the limit), whether queued or not.
//!
//! Not done: the pid-encoded CPU clocks of other processes (negative clock ids: EINVAL), and
//! CLOCK_REALTIME timers reacting to clock_settime.

use super::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID, ProcessTimers, TimerClock, forward,
    timer_fields,
};
use crate::process::user::{TimerCharge, User};
use crate::process::{Process, Thread, table};
use crate::sched::timer::{self, TimerAction, TimerId};
use abi::signal::{SI_TIMER, SigInfo};
use abi::time::{SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID};
use abi::{Errno, Sigevent};
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};

/// `it_requeue_pending`'s low bit: a signal is queued and the timer waits for its dequeue.
const REQUEUE_PENDING: u32 = 1;

/// One POSIX timer (`struct k_itimer`).
pub struct PosixTimer {
    /// The clock the timer was created on, and its id (absolute times of a time namespace's
    /// clock shift).
    created_clock: TimerClock,
    created_clock_id: i32,
    /// The clock its expiry is on: `created_clock`, or CLOCK_MONOTONIC for a relative
    /// CLOCK_REALTIME setting ([`TimerClock::base_for`]).
    clock: TimerClock,
    /// `sigev_notify` (SIGEV_THREAD_ID includes SIGEV_SIGNAL's 0).
    notify: i32,
    signal: i32,
    value: u64,
    /// The thread of SIGEV_THREAD_ID.
    thread: Option<Weak<Thread>>,
    interval_ns: u64,
    /// The next expiry on `clock`.
    expiry_ns: u64,
    /// Armed and not yet expired (`it_active`).
    is_active: bool,
    /// The kernel timer of a wall-clock timer while armed.
    kernel: Option<TimerId>,
    generation: u64,
    /// Expirations missed since the last signal (`it_overrun`, starts at -1).
    overrun: i64,
    /// The overrun reported by the last signal (`it_overrun_last`).
    overrun_last: i64,
    /// `it_requeue_pending`: odd while a signal waits for its dequeue; changed by every
    /// settime so that a stale signal does not rearm.
    requeue_pending: u32,
    /// The preallocated signal, counted against the creator's RLIMIT_SIGPENDING.
    _charge: TimerCharge,
}

impl PosixTimer {
    pub fn is_active(&self) -> bool {
        self.is_active
    }

    pub fn clock(&self) -> &TimerClock {
        &self.clock
    }

    fn is_sigev_none(&self) -> bool {
        self.notify == SIGEV_NONE
    }
}

/// The clock of a new timer (`clockid_to_kclock` and its `timer_create`): EINVAL for no such
/// clock, EOPNOTSUPP for one without timers, EPERM for the ALARM clocks without
/// CAP_WAKE_ALARM.
fn clock_for(thread: &Arc<Thread>, clock: i32) -> Result<TimerClock, Errno> {
    match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI => {
            TimerClock::wall(clock).ok_or(Errno::EINVAL)
        }
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM => {
            if thread.process.credentials.lock().euid != 0 {
                return Err(Errno::EPERM);
            }
            TimerClock::wall(clock).ok_or(Errno::EINVAL)
        }
        CLOCK_PROCESS_CPUTIME_ID => Ok(TimerClock::ProcessCpu),
        CLOCK_THREAD_CPUTIME_ID => Ok(TimerClock::ThreadCpu(Arc::downgrade(thread))),
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => {
            Err(Errno::EOPNOTSUPP)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `good_sigevent`: the target thread for SIGEV_THREAD_ID (which must be in the caller's
/// process), the signal range for the signalling kinds; `None` means EINVAL.
fn check_event(thread: &Arc<Thread>, event: &Sigevent) -> Option<Option<Weak<Thread>>> {
    let check_signal = || (1..=sigrules::NSIG as i32).contains(&event.sigev_signo);
    match event.sigev_notify {
        SIGEV_THREAD_ID => {
            let target = table::find_thread_in(
                thread.pid_ns(),
                u32::try_from(event.sigev_notify_thread_id).ok()?,
            )?;
            if !Arc::ptr_eq(&target.process, &thread.process) || !check_signal() {
                return None;
            }
            Some(Some(Arc::downgrade(&target)))
        }
        SIGEV_SIGNAL | SIGEV_THREAD => check_signal().then_some(None),
        SIGEV_NONE => Some(None),
        _ => None,
    }
}

/// timer_create: the new timer's id. `write_id` stores it in user memory outside the timers'
/// spin lock, after the id is taken; on EFAULT the timer goes again, as Linux's
/// `do_timer_create` releases it.
pub fn create(
    thread: &Arc<Thread>,
    clock: i32,
    event: Option<Sigevent>,
    write_id: impl FnOnce(i32) -> Result<(), Errno>,
) -> Result<i32, Errno> {
    let clock_id = clock;
    let clock = clock_for(thread, clock)?;
    let process = &thread.process;
    // alloc_posix_timer: the preallocated signal must fit under RLIMIT_SIGPENDING.
    if crate::signal::is_over_sigpending_limit(process) {
        return Err(Errno::EAGAIN);
    }
    let uid = process.credentials.lock().uid;
    let charge = TimerCharge::new(User::get(uid));
    let mut timers = process.timers.lock();
    // posix_timer_add: the next free id, wrapping at INT_MAX.
    let mut id = timers.next_posix_id;
    let mut tries: u64 = 0;
    while timers.posix.contains_key(&id) {
        id = id.wrapping_add(1) & i32::MAX;
        tries += 1;
        if tries > i32::MAX as u64 {
            return Err(Errno::EAGAIN);
        }
    }
    timers.next_posix_id = id.wrapping_add(1) & i32::MAX;
    let (notify, signal, value, target) = match event {
        Some(event) => {
            let target = check_event(thread, &event).ok_or(Errno::EINVAL)?;
            (
                event.sigev_notify,
                event.sigev_signo,
                event.sigev_value,
                target,
            )
        }
        None => (
            SIGEV_SIGNAL,
            sigrules::SIGALRM as i32,
            id as u32 as u64,
            None,
        ),
    };
    timers.posix.insert(
        id,
        PosixTimer {
            created_clock: clock.clone(),
            created_clock_id: clock_id,
            clock,
            notify,
            signal,
            value,
            thread: target,
            interval_ns: 0,
            expiry_ns: 0,
            is_active: false,
            kernel: None,
            generation: 0,
            overrun: -1,
            overrun_last: 0,
            requeue_pending: 0,
            _charge: charge,
        },
    );
    drop(timers);
    if let Err(error) = write_id(id) {
        process.timers.lock().posix.remove(&id);
        return Err(error);
    }
    Ok(id)
}

/// A setting: time to the next expiry and reload interval, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Setting {
    pub value_ns: u64,
    pub interval_ns: u64,
}

/// `common_timer_get`.
fn get_setting(process: &Process, timer: &mut PosixTimer) -> Setting {
    let mut setting = Setting::default();
    let interval = timer.interval_ns;
    if interval != 0 {
        setting.interval_ns = interval;
    } else if !timer.is_active && !timer.is_sigev_none() {
        return setting;
    }
    let Some(now) = timer.clock.now(process) else {
        return setting;
    };
    if interval != 0 && (timer.requeue_pending & REQUEUE_PENDING != 0 || timer.is_sigev_none()) {
        timer.overrun += forward(&mut timer.expiry_ns, now, interval) as i64;
    }
    if timer.expiry_ns > now {
        setting.value_ns = timer.expiry_ns - now;
    } else if !timer.is_sigev_none() {
        // Expired but its signal not yet taken: not 0, which would mean disarmed.
        setting.value_ns = 1;
    }
    setting
}

/// timer_gettime: EINVAL for an unknown id.
pub fn get(process: &Arc<Process>, id: i32) -> Result<Setting, Errno> {
    let mut timers = process.timers.lock();
    let timer = timers.posix.get_mut(&id).ok_or(Errno::EINVAL)?;
    Ok(get_setting(process, timer))
}

/// timer_getoverrun: the overrun of the last signal, capped at INT_MAX.
pub fn get_overrun(process: &Arc<Process>, id: i32) -> Result<i32, Errno> {
    let timers = process.timers.lock();
    let timer = timers.posix.get(&id).ok_or(Errno::EINVAL)?;
    Ok(timer.overrun_last.clamp(0, i32::MAX as i64) as i32)
}

/// Starts the kernel timer of a wall-clock timer for its `expiry_ns`.
fn arm_kernel(process: &Arc<Process>, timers: &mut ProcessTimers, id: i32) {
    let generation = timers.next_generation();
    let Some(timer) = timers.posix.get_mut(&id) else {
        return;
    };
    if let Some(old) = timer.kernel.take() {
        timer::cancel(old);
    }
    let Some(deadline) = timer.clock.deadline(timer.expiry_ns) else {
        return;
    };
    let weak: Weak<Process> = Arc::downgrade(process);
    timer.generation = generation;
    timer.kernel = Some(timer::add_at(
        deadline,
        TimerAction::Call(Box::new(move || expired(&weak, id, generation))),
    ));
}

/// timer_settime (`common_timer_set`): returns the old setting; EINVAL for an unknown id.
/// `is_absolute`: `TIMER_ABSTIME`, the value is a time on the timer's clock as the caller's
/// time namespace (clock offsets `offsets`) reads it.
pub fn set(
    process: &Arc<Process>,
    id: i32,
    is_absolute: bool,
    new: Setting,
    offsets: &crate::ns::time::Offsets,
) -> Result<Setting, Errno> {
    let mut timers = process.timers.lock();
    let timer = timers.posix.get_mut(&id).ok_or(Errno::EINVAL)?;
    let old = get_setting(process, timer);
    timer.interval_ns = 0;
    if let Some(kernel) = timer.kernel.take() {
        timer::cancel(kernel);
    }
    timer.is_active = false;
    timer.requeue_pending = timer.requeue_pending.wrapping_add(2) & !REQUEUE_PENDING;
    timer.overrun_last = 0;
    if new.value_ns == 0 {
        return Ok(old);
    }
    timer.interval_ns = new.interval_ns;
    timer.clock = timer.created_clock.base_for(is_absolute);
    let now = timer.clock.now(process).unwrap_or(0);
    timer.expiry_ns = if is_absolute {
        crate::ns::time::to_host(offsets, timer.created_clock_id, new.value_ns)
    } else {
        now.saturating_add(new.value_ns)
    };
    let is_sigev_none = timer.is_sigev_none();
    timer.is_active = !is_sigev_none;
    let is_wall = !timer.clock.is_cpu();
    if !is_sigev_none && is_wall {
        if timer.expiry_ns <= now {
            // Linux's hrtimer fires at once for an expiry already past.
            fire(process, &mut timers, id);
        } else {
            arm_kernel(process, &mut timers, id);
        }
    }
    Ok(old)
}

/// timer_delete: EINVAL for an unknown id. A signal already queued stays queued.
pub fn delete(process: &Arc<Process>, id: i32) -> Result<(), Errno> {
    let mut timers = process.timers.lock();
    let timer = timers.posix.remove(&id).ok_or(Errno::EINVAL)?;
    if let Some(kernel) = timer.kernel {
        timer::cancel(kernel);
    }
    Ok(())
}

/// Deletes every POSIX timer (exec, exit).
pub fn delete_all(timers: &mut ProcessTimers) {
    for (_, timer) in core::mem::take(&mut timers.posix) {
        if let Some(kernel) = timer.kernel {
            timer::cancel(kernel);
        }
    }
}

/// The kernel timer of `id` fired.
fn expired(process: &Weak<Process>, id: i32, generation: u64) {
    let Some(process) = process.upgrade() else {
        return;
    };
    let mut timers = process.timers.lock();
    let Some(timer) = timers.posix.get_mut(&id) else {
        return;
    };
    if timer.kernel.is_none() || timer.generation != generation {
        return;
    }
    timer.kernel = None;
    fire(&process, &mut timers, id);
}

/// `posix_timer_fn`: the timer `id` expired; queue its signal, or rearm at once if the signal
/// is ignored.
fn fire(process: &Arc<Process>, timers: &mut ProcessTimers, id: i32) {
    let Some(timer) = timers.posix.get_mut(&id) else {
        return;
    };
    timer.is_active = false;
    let mut private = 0;
    if timer.interval_ns != 0 {
        timer.requeue_pending = timer.requeue_pending.wrapping_add(1);
        private = timer.requeue_pending;
    }
    if timer.is_sigev_none() {
        return;
    }
    let mut info = SigInfo::new(timer.signal, SI_TIMER);
    info.fields[0] = u64::from(id as u32);
    info.fields[1] = timer.value;
    info.fields[2] = u64::from(private);
    let is_queued = match timer.notify & SIGEV_THREAD_ID {
        0 => crate::signal::send_timer_signal(process, None, info),
        _ => match timer.thread.as_ref().and_then(Weak::upgrade) {
            Some(thread) => crate::signal::send_timer_signal(process, Some(&thread), info),
            // The thread is gone: Linux's send fails and the timer stops.
            None => true,
        },
    };
    if !is_queued && timer.interval_ns != 0 {
        if let Some(now) = timer.clock.now(process) {
            let interval = timer.interval_ns;
            timer.overrun += forward(&mut timer.expiry_ns, now, interval) as i64;
        }
        timer.requeue_pending = timer.requeue_pending.wrapping_add(1);
        timer.is_active = true;
        if !timer.clock.is_cpu() {
            arm_kernel(process, timers, id);
        }
    }
}

/// `posixtimer_rearm`: the signal of a periodic timer was dequeued; rearm it past now and
/// report the overrun in `info`.
pub fn rearm(process: &Arc<Process>, info: &mut SigInfo) {
    let (id, queued_overrun, private) = timer_fields(info);
    let mut timers = process.timers.lock();
    let Some(timer) = timers.posix.get_mut(&id) else {
        return;
    };
    if timer.interval_ns == 0 || timer.requeue_pending != private {
        return;
    }
    if let Some(now) = timer.clock.now(process) {
        let interval = timer.interval_ns;
        timer.overrun += forward(&mut timer.expiry_ns, now, interval) as i64;
    }
    timer.is_active = true;
    timer.overrun_last = timer.overrun;
    timer.overrun = -1;
    timer.requeue_pending = timer.requeue_pending.wrapping_add(1);
    let total = (timer.overrun_last + i64::from(queued_overrun)).min(i32::MAX as i64);
    let is_wall = !timer.clock.is_cpu();
    if is_wall {
        arm_kernel(process, &mut timers, id);
    }
    info.fields[0] = (info.fields[0] & 0xffff_ffff) | (u64::from(total as i32 as u32) << 32);
}

/// Fires the CPU-clock timers of the process that are due (at a tick).
pub fn check_cpu(process: &Arc<Process>, timers: &mut ProcessTimers) {
    let due: alloc::vec::Vec<i32> = timers
        .posix
        .iter()
        .filter(|(_, timer)| {
            timer.is_active
                && timer.clock.is_cpu()
                && timer
                    .clock
                    .now(process)
                    .is_some_and(|now| now >= timer.expiry_ns)
        })
        .map(|(&id, _)| id)
        .collect();
    for id in due {
        fire(process, timers, id);
    }
}
