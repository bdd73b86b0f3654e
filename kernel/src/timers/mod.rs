//! Per-process signal timers: the interval timers of setitimer/alarm ([`itimer`], Linux
//! `kernel/time/itimer.c`) and POSIX timers ([`posix`], `kernel/time/posix-timers.c` and the
//! CPU-clock part of `posix-cpu-timers.c`). timerfd lives in `fs::timerfd`.
//!
//! Every process has one [`ProcessTimers`] behind `Process::timers`. Timers on the wall clocks
//! (CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI) are kernel timers (`sched::timer`; those on
//! REALTIME and TAI on its realtime queue, so clock steps move them) whose callback
//! holds a weak reference to the process and a generation number, so a timer that was changed
//! or deleted meanwhile does nothing when it fires. Timers on CPU-time clocks (ITIMER_VIRTUAL,
//! ITIMER_PROF, POSIX timers on CLOCK_PROCESS_CPUTIME_ID/CLOCK_THREAD_CPUTIME_ID) are checked at
//! every timer tick of a thread of the process ([`tick`], Linux's `run_posix_cpu_timers`), so
//! they fire at most one tick (4 ms) late.
//!
//! As in Linux, periodic ITIMER_REAL and periodic POSIX timers are rearmed when their signal is
//! dequeued ([`on_dequeue`], called by `signal::dequeue_signal`), not when they fire: a blocked
//! signal stops the timer, and the expirations missed meanwhile become the POSIX timer's
//! overrun count.
//!
//! Lifetimes: fork gives the child no timers; exec deletes the POSIX timers and keeps the
//! itimers ([`exec`]); the exit of the last thread deletes everything ([`exit`]).
//!
//! Lock order: `Process::timers`, then the signal queues and the scheduler, then the kernel
//! timer queue. Kernel-timer callbacks run with no lock held.

pub mod itimer;
pub mod posix;

use crate::process::{Process, Thread};
use crate::sched::timer::Deadline;
use abi::Errno;
use abi::signal::{SI_TIMER, SigInfo};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};

/// One timer tick (`TICK_NSEC`).
pub const TICK_NS: u64 = 1_000_000_000 / hal::time::TICK_HZ;

pub use abi::time::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
};

/// A clock that runs with CLOCK_MONOTONIC: the clock itself (and BOOTTIME, as nothing
/// suspends), or the wall clocks, which clock_settime can step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WallClock {
    Monotonic,
    Realtime,
    Tai,
}

/// The clock a timer measures time on.
#[derive(Clone)]
pub enum TimerClock {
    /// CLOCK_MONOTONIC, BOOTTIME, REALTIME or TAI (and the ALARM variants).
    Wall(WallClock),
    /// CPU time of the whole process (user + system).
    ProcessCpu,
    /// CPU time of one thread.
    ThreadCpu(Weak<Thread>),
}

impl TimerClock {
    /// The wall clock `clock`, if it is one.
    pub fn wall(clock: i32) -> Option<TimerClock> {
        Some(TimerClock::Wall(match clock {
            CLOCK_REALTIME | CLOCK_REALTIME_ALARM => WallClock::Realtime,
            CLOCK_TAI => WallClock::Tai,
            CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => WallClock::Monotonic,
            _ => return None,
        }))
    }

    /// The clock's current value; `None` for the CPU clock of a thread that has exited.
    pub fn now(&self, process: &Process) -> Option<u64> {
        match self {
            TimerClock::Wall(wall) => Some(wall.now()),
            TimerClock::ProcessCpu => {
                let (user, system) = process.cpu_times_ns();
                Some(user + system)
            }
            TimerClock::ThreadCpu(thread) => thread.upgrade().map(|thread| thread.cpu_time_ns()),
        }
    }

    /// The kernel-timer deadline at which this wall clock reads `value_ns` (on the realtime
    /// queue for REALTIME and TAI, so that clock steps move it).
    pub fn deadline(&self, value_ns: u64) -> Option<Deadline> {
        match self {
            TimerClock::Wall(wall) => Some(wall.deadline(value_ns)),
            _ => None,
        }
    }

    pub fn is_cpu(&self) -> bool {
        !matches!(self, TimerClock::Wall(_))
    }

    /// The clock a timer set on this one runs on: a relative CLOCK_REALTIME timer runs on
    /// CLOCK_MONOTONIC, so clock steps do not move it (POSIX; Linux's `__hrtimer_init`), an
    /// absolute one on CLOCK_REALTIME.
    pub fn base_for(&self, is_absolute: bool) -> TimerClock {
        match self {
            TimerClock::Wall(WallClock::Realtime) if !is_absolute => {
                TimerClock::Wall(WallClock::Monotonic)
            }
            other => other.clone(),
        }
    }
}

impl WallClock {
    /// The clock's current value.
    pub fn now(self) -> u64 {
        match self {
            WallClock::Monotonic => crate::time::monotonic_ns(),
            WallClock::Realtime => crate::time::realtime_ns(),
            WallClock::Tai => crate::time::realtime_ns() + crate::time::tai_offset_ns(),
        }
    }

    /// The kernel-timer deadline at which the clock reads `value_ns`.
    pub fn deadline(self, value_ns: u64) -> Deadline {
        match self {
            WallClock::Monotonic => Deadline::Monotonic(value_ns),
            WallClock::Realtime => Deadline::Realtime(value_ns),
            WallClock::Tai => {
                Deadline::Realtime(value_ns.saturating_sub(crate::time::tai_offset_ns()))
            }
        }
    }
}

/// Linux's `hrtimer_forward`: moves `expiry` forward by whole `interval`s until it is after
/// `now`; returns how many intervals were added (0 if it was already after `now`).
pub fn forward(expiry: &mut u64, now: u64, interval: u64) -> u64 {
    if now < *expiry || interval == 0 {
        return 0;
    }
    let delta = now - *expiry;
    let count = delta / interval + 1;
    *expiry = expiry.saturating_add(count.saturating_mul(interval));
    count
}

/// Every signal timer of one process.
pub struct ProcessTimers {
    pub real: itimer::RealTimer,
    /// ITIMER_VIRTUAL and ITIMER_PROF.
    pub cpu: [itimer::CpuTimer; 2],
    pub posix: BTreeMap<i32, posix::PosixTimer>,
    /// The id the next POSIX timer gets (Linux's `next_posix_timer_id`).
    pub next_posix_id: i32,
    /// Bumped whenever a kernel timer is armed, to recognise stale callbacks.
    generation: u64,
}

impl Default for ProcessTimers {
    fn default() -> Self {
        ProcessTimers::new()
    }
}

impl ProcessTimers {
    pub const fn new() -> ProcessTimers {
        ProcessTimers {
            real: itimer::RealTimer::new(),
            cpu: [itimer::CpuTimer::new(), itimer::CpuTimer::new()],
            posix: BTreeMap::new(),
            next_posix_id: 0,
            generation: 0,
        }
    }

    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Whether any timer runs on a CPU-time clock (so ticks must look).
    fn has_cpu_timers(&self) -> bool {
        self.cpu.iter().any(|timer| timer.expires_ns != 0)
            || self
                .posix
                .values()
                .any(|timer| timer.is_active() && timer.clock().is_cpu())
    }
}

/// The `si_tid`, `si_overrun` and `_sys_private` of a timer signal.
pub(crate) fn timer_fields(info: &SigInfo) -> (i32, i32, u32) {
    (
        info.fields[0] as u32 as i32,
        (info.fields[0] >> 32) as u32 as i32,
        info.fields[2] as u32,
    )
}

/// Called for every signal taken from a queue (see the module comment).
pub fn on_dequeue(process: &Arc<Process>, info: &mut SigInfo, is_shared: bool) {
    if info.code == SI_TIMER {
        let (_, _, private) = timer_fields(info);
        if private != 0 {
            posix::rearm(process, info);
            // Linux hides `si_sys_private` from user space.
            info.fields[2] &= !0xffff_ffff;
        }
    }
    if is_shared && info.signo == sigrules::SIGALRM as i32 {
        itimer::restart_real(process);
    }
}

/// Checks the CPU-time timers of `thread`'s process at a timer tick, and its RLIMIT_CPU.
pub fn tick(thread: &Arc<Thread>) {
    let process = &thread.process;
    check_cpu_limit(process);
    let mut timers = process.timers.lock();
    if !timers.has_cpu_timers() {
        return;
    }
    itimer::check_cpu(process, &mut timers);
    posix::check_cpu(process, &mut timers);
}

/// RLIMIT_CPU (`check_process_timers`): once the process's CPU time reaches the hard limit,
/// SIGKILL; at the soft limit, SIGXCPU, and the soft limit moves one second on, so the signal
/// comes again each further second. Both are kernel signals (`SI_KERNEL`).
fn check_cpu_limit(process: &Arc<Process>) {
    use crate::process::rlimit::{INFINITY, RLIMIT_CPU};
    let Ok(limit) = process.limits.lock().get(RLIMIT_CPU) else {
        return;
    };
    if limit.soft == INFINITY {
        return;
    }
    let (user, system) = process.cpu_times_ns();
    let used = user + system;
    const NSEC_PER_SEC: u64 = 1_000_000_000;
    if limit.hard != INFINITY && used >= limit.hard.saturating_mul(NSEC_PER_SEC) {
        crate::signal::send_to_process(
            process,
            SigInfo::new(sigrules::SIGKILL as i32, abi::signal::SI_KERNEL),
        );
        return;
    }
    if used >= limit.soft.saturating_mul(NSEC_PER_SEC) {
        process
            .limits
            .lock()
            .set_soft_by_kernel(RLIMIT_CPU, limit.soft.saturating_add(1));
        crate::signal::send_to_process(
            process,
            SigInfo::new(sigrules::SIGXCPU as i32, abi::signal::SI_KERNEL),
        );
    }
}

/// At exec: POSIX timers are deleted, itimers survive (`exit_itimers` in `begin_new_exec`).
pub fn exec(process: &Arc<Process>) {
    let mut timers = process.timers.lock();
    posix::delete_all(&mut timers);
}

/// When the last thread exits: every timer goes.
pub fn exit(process: &Arc<Process>) {
    let mut timers = process.timers.lock();
    posix::delete_all(&mut timers);
    itimer::cancel_all(&mut timers);
}

/// `EINVAL` unless `value` is a valid timespec64 (seconds >= 0, nanoseconds in range); its
/// length in nanoseconds.
pub fn timespec_ns(value: &abi::Timespec) -> Result<u64, Errno> {
    if value.tv_sec < 0 || !(0..1_000_000_000).contains(&value.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((value.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(value.tv_nsec as u64))
}
