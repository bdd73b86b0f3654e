//! Scheduler statistics for `/proc`: the load average (Linux's `kernel/sched/loadavg.c`),
//! context switches (`/proc/stat` `ctxt`), timer ticks (`/proc/interrupts` `LOC`), and time
//! spent in user mode by all threads (`/proc/stat` `cpu`).
//!
//! Load: every `LOAD_FREQ` (5 s plus a tick) the number of runnable threads is folded into
//! three fixed-point exponential averages with Linux's constants (`FSHIFT` 11, `EXP_1` 1884,
//! `EXP_5` 2014, `EXP_15` 2037), rounding up while the load grows (`calc_load`). Counters are
//! per CPU (`CpuLocal` atomics), summed when read.

use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::{CpuLocal, MAX_CPUS};

const FSHIFT: u32 = 11;
/// `FIXED_1`: 1.0 in the load averages' fixed point.
pub const FIXED_1: u64 = 1 << FSHIFT;
const EXP: [u64; 3] = [1884, 2014, 2037];
/// `LOAD_FREQ`: 5 s plus one tick.
const LOAD_FREQ_NS: u64 = 5_000_000_000 + 1_000_000_000 / hal::time::TICK_HZ;

static AVENRUN: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
static NEXT_LOAD_UPDATE_NS: AtomicU64 = AtomicU64::new(LOAD_FREQ_NS);

static SWITCHES: CpuLocal<AtomicU64> = CpuLocal::new([const { AtomicU64::new(0) }; MAX_CPUS]);
static TICKS: CpuLocal<AtomicU64> = CpuLocal::new([const { AtomicU64::new(0) }; MAX_CPUS]);
static USER_NS: CpuLocal<AtomicU64> = CpuLocal::new([const { AtomicU64::new(0) }; MAX_CPUS]);

/// Linux `calc_load`.
fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut new_load = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        new_load += FIXED_1 - 1;
    }
    new_load / FIXED_1
}

/// A tick on this CPU with `runnable` threads (running and waiting) in its queue.
pub fn on_tick(now_ns: u64, runnable: u64) {
    TICKS.with(|ticks| ticks.fetch_add(1, Ordering::Relaxed));
    let due = NEXT_LOAD_UPDATE_NS.load(Ordering::Relaxed);
    if now_ns < due
        || NEXT_LOAD_UPDATE_NS
            .compare_exchange(due, due + LOAD_FREQ_NS, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let active = runnable * FIXED_1;
    for (average, exp) in AVENRUN.iter().zip(EXP) {
        let old = average.load(Ordering::Relaxed);
        average.store(calc_load(old, exp, active), Ordering::Relaxed);
    }
}

/// The 1, 5 and 15 minute load averages in `FIXED_1` units.
pub fn load_averages() -> [u64; 3] {
    [0, 1, 2].map(|i| AVENRUN[i].load(Ordering::Relaxed))
}

/// A switch to another thread on this CPU.
pub fn count_switch() {
    SWITCHES.with(|count| count.fetch_add(1, Ordering::Relaxed));
}

/// Time a thread spent in user mode on this CPU.
pub fn add_user_ns(ns: u64) {
    USER_NS.with(|total| total.fetch_add(ns, Ordering::Relaxed));
}

fn sum(counter: &CpuLocal<AtomicU64>) -> u64 {
    (0..MAX_CPUS)
        .filter_map(|cpu| counter.get_remote(cpu))
        .map(|value| value.load(Ordering::Relaxed))
        .sum()
}

/// Context switches since boot (`ctxt`).
pub fn context_switches() -> u64 {
    sum(&SWITCHES)
}

/// Timer ticks since boot (`LOC`).
pub fn ticks() -> u64 {
    sum(&TICKS)
}

/// Nanoseconds threads spent in user mode on CPU `cpu` since boot.
pub fn cpu_user_ns(cpu: usize) -> u64 {
    USER_NS
        .get_remote(cpu)
        .map_or(0, |ns| ns.load(Ordering::Relaxed))
}

hal::ktest! {
    /// Linux's fixed point: a constant load of one thread approaches 1.00 from below, rounding up.
    fn load_average_converges() -> hal::ktest::KtestResult {
        let mut load = 0;
        for _ in 0..200 {
            load = calc_load(load, EXP[0], FIXED_1);
        }
        hal::ktest_assert!(load > FIXED_1 * 99 / 100 && load <= FIXED_1, "load {}", load);
        let mut down = FIXED_1;
        for _ in 0..200 {
            down = calc_load(down, EXP[0], 0);
        }
        hal::ktest_assert!(down < FIXED_1 / 100, "load {}", down);
        Ok(())
    }
}
