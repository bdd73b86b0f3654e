//! Interval timers: setitimer, getitimer and alarm (Linux `kernel/time/itimer.c`).
//!
//! ITIMER_REAL counts CLOCK_MONOTONIC and sends SIGALRM to the process (`SI_KERNEL`, as
//! `SEND_SIG_PRIV`); a periodic one is restarted when that SIGALRM is dequeued from the
//! process queue, so while SIGALRM stays blocked the timer reads 0 (Linux's `it_real_fn` and
//! `dequeue_signal`). ITIMER_VIRTUAL (user CPU time, SIGVTALRM) and ITIMER_PROF (user+system,
//! SIGPROF) are charged from the process's CPU time and checked at each tick; as in Linux a
//! new value gets one tick added (`set_cpu_itimer`), and a value read back is never 0 while
//! armed (one tick when about to fire).

use super::{ProcessTimers, TICK_NS, forward};
use crate::process::Process;
use crate::sched::timer::{self, TimerAction, TimerId};
use abi::signal::{SI_KERNEL, SigInfo};
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};

pub use abi::time::{ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL};

/// ITIMER_REAL (`signal->real_timer`, `it_real_incr`).
pub struct RealTimer {
    /// CLOCK_MONOTONIC of the next (or last) expiry.
    deadline_ns: u64,
    interval_ns: u64,
    /// The armed kernel timer, while the timer is queued (`hrtimer_active`).
    pending: Option<TimerId>,
    generation: u64,
}

impl RealTimer {
    pub const fn new() -> RealTimer {
        RealTimer {
            deadline_ns: 0,
            interval_ns: 0,
            pending: None,
            generation: 0,
        }
    }
}

/// ITIMER_VIRTUAL or ITIMER_PROF (`struct cpu_itimer`).
pub struct CpuTimer {
    /// Absolute CPU time of the next expiry; 0 when disarmed.
    pub expires_ns: u64,
    pub interval_ns: u64,
}

impl CpuTimer {
    pub const fn new() -> CpuTimer {
        CpuTimer {
            expires_ns: 0,
            interval_ns: 0,
        }
    }
}

/// A timer's setting: time to the next expiry and reload interval, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Setting {
    pub value_ns: u64,
    pub interval_ns: u64,
}

fn arm_real(process: &Arc<Process>, timers: &mut ProcessTimers) {
    let generation = timers.next_generation();
    let weak: Weak<Process> = Arc::downgrade(process);
    let id = timer::add(
        timers.real.deadline_ns,
        TimerAction::Call(Box::new(move || real_expired(&weak, generation))),
    );
    timers.real.pending = Some(id);
    timers.real.generation = generation;
}

/// `it_real_fn`: SIGALRM to the process; no restart here.
fn real_expired(process: &Weak<Process>, generation: u64) {
    let Some(process) = process.upgrade() else {
        return;
    };
    {
        let mut timers = process.timers.lock();
        if timers.real.pending.is_none() || timers.real.generation != generation {
            return;
        }
        timers.real.pending = None;
    }
    crate::signal::send_to_process(&process, SigInfo::new(sigrules::SIGALRM as i32, SI_KERNEL));
}

/// A SIGALRM left the process queue: a periodic ITIMER_REAL that is not queued starts again.
pub fn restart_real(process: &Arc<Process>) {
    let mut timers = process.timers.lock();
    if timers.real.pending.is_some() || timers.real.interval_ns == 0 {
        return;
    }
    let now = crate::time::monotonic_ns();
    let interval = timers.real.interval_ns;
    forward(&mut timers.real.deadline_ns, now, interval);
    arm_real(process, &mut timers);
}

fn get_real(timers: &ProcessTimers) -> Setting {
    let value_ns = if timers.real.pending.is_some() {
        let now = crate::time::monotonic_ns();
        if timers.real.deadline_ns > now {
            timers.real.deadline_ns - now
        } else {
            // About to fire: never 0 while armed (`itimer_get_remtime`).
            1000
        }
    } else {
        0
    };
    Setting {
        value_ns,
        interval_ns: timers.real.interval_ns,
    }
}

/// The CPU time the timer `index` (0: virtual, 1: prof) counts.
fn cpu_sample(process: &Process, index: usize) -> u64 {
    let (user, system) = process.cpu_times_ns();
    if index == 0 { user } else { user + system }
}

fn get_cpu(process: &Process, timers: &ProcessTimers, index: usize) -> Setting {
    let timer = &timers.cpu[index];
    let mut value_ns = timer.expires_ns;
    if value_ns != 0 {
        let now = cpu_sample(process, index);
        value_ns = if value_ns < now {
            TICK_NS
        } else {
            value_ns - now
        };
    }
    Setting {
        value_ns,
        interval_ns: timer.interval_ns,
    }
}

/// getitimer: `None` for an unknown `which` (EINVAL).
pub fn get(process: &Arc<Process>, which: i32) -> Option<Setting> {
    let timers = process.timers.lock();
    match which {
        ITIMER_REAL => Some(get_real(&timers)),
        ITIMER_VIRTUAL => Some(get_cpu(process, &timers, 0)),
        ITIMER_PROF => Some(get_cpu(process, &timers, 1)),
        _ => None,
    }
}

/// setitimer (`do_setitimer`): installs `new`, returns the old setting; `None` for an unknown
/// `which` (EINVAL).
pub fn set(process: &Arc<Process>, which: i32, new: Setting) -> Option<Setting> {
    let mut timers = process.timers.lock();
    match which {
        ITIMER_REAL => {
            let old = get_real(&timers);
            if let Some(id) = timers.real.pending.take() {
                timer::cancel(id);
            }
            if new.value_ns != 0 {
                timers.real.interval_ns = new.interval_ns;
                timers.real.deadline_ns = crate::time::monotonic_ns().saturating_add(new.value_ns);
                arm_real(process, &mut timers);
            } else {
                timers.real.interval_ns = 0;
            }
            Some(old)
        }
        ITIMER_VIRTUAL | ITIMER_PROF => {
            let index = (which - 1) as usize;
            let now = cpu_sample(process, index);
            let timer = &mut timers.cpu[index];
            let old_expires = timer.expires_ns;
            let old = Setting {
                value_ns: match old_expires {
                    0 => 0,
                    expires if expires <= now => TICK_NS,
                    expires => expires - now,
                },
                interval_ns: timer.interval_ns,
            };
            timer.expires_ns = if new.value_ns != 0 {
                new.value_ns.saturating_add(TICK_NS).saturating_add(now)
            } else {
                0
            };
            timer.interval_ns = new.interval_ns;
            Some(old)
        }
        _ => None,
    }
}

/// `check_cpu_itimer` for both CPU timers, at a tick.
pub fn check_cpu(process: &Arc<Process>, timers: &mut ProcessTimers) {
    let (user, system) = process.cpu_times_ns();
    for (index, sample, signal) in [
        (0, user, sigrules::SIGVTALRM),
        (1, user + system, sigrules::SIGPROF),
    ] {
        let timer = &mut timers.cpu[index];
        if timer.expires_ns == 0 || sample < timer.expires_ns {
            continue;
        }
        timer.expires_ns = if timer.interval_ns != 0 {
            timer.expires_ns.saturating_add(timer.interval_ns)
        } else {
            0
        };
        crate::signal::send_to_process(process, SigInfo::new(signal as i32, SI_KERNEL));
    }
}

/// Disarms every itimer (process exit).
pub fn cancel_all(timers: &mut ProcessTimers) {
    if let Some(id) = timers.real.pending.take() {
        timer::cancel(id);
    }
    timers.real.interval_ns = 0;
    timers.cpu = [CpuTimer::new(), CpuTimer::new()];
}
