//! The real-time classes, SCHED_FIFO and SCHED_RR (Linux `kernel/sched/rt.c`).
//!
//! [`RtQueue`] is a CPU's priority array: one FIFO list per priority level 1..=99 and a bitmap of
//! the non-empty levels, so the next entity is the head of the highest set bit (O(1), as Linux's
//! `sched_find_first_bit`). Within a level, entities keep the order they were queued in; an
//! entity that was preempted goes back to the head of its level (in Linux it never left its
//! list), one that yielded or used up its SCHED_RR slice to the tail. Each list is kept sorted
//! by a sequence number (the head gets numbers below every other, the tail above), so an entity
//! is found in its level by binary search when it must leave early (a priority change, a CPU
//! change).
//!
//! [`RtBandwidth`] is Linux's real-time throttling (`sched_rt_runtime_exceeded` and the period
//! timer): in each period of `kernel.sched_rt_period_us` (default 1 s), the real-time entities
//! of a CPU may run for `kernel.sched_rt_runtime_us` (default 0.95 s); past that the CPU's
//! real-time queue is throttled, and fair entities (or the idle loop) get the rest of the
//! period, so a real-time hog cannot lock the rest out forever. A runtime of -1 turns it off.
//! Linux lends runtime between CPUs (`RT_RUNTIME_SHARE`, off by default since 5.x); Ferrux
//! does not.

use crate::{Class, Entity, Placement, QueueKey};
use alloc::collections::VecDeque;

/// `MAX_RT_PRIO`: real-time priorities are 1..=99; SCHED_DEADLINE entities run above them.
pub const MAX_RT_PRIO: u32 = 100;
/// `sched_rr_timeslice`: 100 ms (`RR_TIMESLICE`), what sched_rr_get_interval reports.
pub const RR_TIMESLICE_NS: u64 = 100_000_000;
/// `sysctl_sched_rt_period` default: 1 s.
pub const DEFAULT_RT_PERIOD_US: u64 = 1_000_000;
/// `sysctl_sched_rt_runtime` default: 0.95 s.
pub const DEFAULT_RT_RUNTIME_US: i64 = 950_000;

/// A CPU's waiting real-time entities, by priority.
pub struct RtQueue<T> {
    /// Index: the priority (level 0 unused). Level `MAX_RT_PRIO` (100) is above every
    /// real-time priority: SCHED_DEADLINE entities wait there.
    levels: [VecDeque<(i64, T)>; MAX_RT_PRIO as usize + 1],
    /// Bit `priority` set when that level is not empty.
    bitmap: u128,
    head_sequence: i64,
    tail_sequence: i64,
    count: usize,
}

impl<T> Default for RtQueue<T> {
    fn default() -> Self {
        RtQueue::new()
    }
}

impl<T> RtQueue<T> {
    pub const fn new() -> RtQueue<T> {
        RtQueue {
            levels: [const { VecDeque::new() }; MAX_RT_PRIO as usize + 1],
            bitmap: 0,
            head_sequence: 0,
            tail_sequence: 0,
            count: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The highest priority waiting, if any.
    pub fn highest_priority(&self) -> Option<u32> {
        (self.bitmap != 0).then(|| 127 - self.bitmap.leading_zeros())
    }

    /// Whether anything waits at `priority`.
    pub fn has_level(&self, priority: u32) -> bool {
        priority <= MAX_RT_PRIO && self.bitmap & (1u128 << priority) != 0
    }

    /// Queues `value` for the real-time `entity`: at the tail of its level, or at the head for
    /// a preempted entity or one whose priority was lowered (`Requeue`, `Lowered`).
    pub fn enqueue(&mut self, entity: &mut Entity, value: T, placement: Placement) {
        debug_assert!(!entity.is_queued());
        let priority = entity.rt_priority().clamp(1, MAX_RT_PRIO);
        let level = &mut self.levels[priority as usize];
        let sequence = if matches!(placement, Placement::Requeue | Placement::Lowered) {
            self.head_sequence -= 1;
            level.push_front((self.head_sequence, value));
            self.head_sequence
        } else {
            self.tail_sequence += 1;
            level.push_back((self.tail_sequence, value));
            self.tail_sequence
        };
        self.bitmap |= 1u128 << priority;
        self.count += 1;
        entity.queued_key = Some(QueueKey::RealTime {
            level: priority,
            sequence,
        });
    }

    /// Takes `entity` out of its level, returning its value.
    pub fn remove(&mut self, entity: &mut Entity) -> Option<T> {
        let Some(QueueKey::RealTime { level, sequence }) = entity.queued_key else {
            return None;
        };
        entity.queued_key = None;
        let list = self.levels.get_mut(level as usize)?;
        let index = list
            .binary_search_by_key(&sequence, |&(sequence, _)| sequence)
            .ok()?;
        let (_, value) = list.remove(index)?;
        self.count -= 1;
        if list.is_empty() {
            self.bitmap &= !(1u128 << level);
        }
        Some(value)
    }

    /// Takes the head of the highest non-empty level, with its key.
    pub fn pop_next(&mut self) -> Option<(QueueKey, T)> {
        let level = self.highest_priority()?;
        let list = &mut self.levels[level as usize];
        let (sequence, value) = list.pop_front()?;
        if list.is_empty() {
            self.bitmap &= !(1u128 << level);
        }
        self.count -= 1;
        Some((QueueKey::RealTime { level, sequence }, value))
    }
}

/// A CPU's real-time bandwidth: how much of the current period its real-time entities used.
#[derive(Clone, Debug)]
pub struct RtBandwidth {
    period_start_ns: u64,
    used_ns: u64,
}

/// The throttling settings (`kernel.sched_rt_period_us`, `kernel.sched_rt_runtime_us`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtLimits {
    pub period_ns: u64,
    /// `None`: unlimited (`sched_rt_runtime_us` = -1).
    pub runtime_ns: Option<u64>,
}

impl Default for RtLimits {
    fn default() -> Self {
        RtLimits::from_sysctl(DEFAULT_RT_PERIOD_US, DEFAULT_RT_RUNTIME_US)
    }
}

impl RtLimits {
    /// From the sysctl values in microseconds (a negative runtime is unlimited).
    pub fn from_sysctl(period_us: u64, runtime_us: i64) -> RtLimits {
        RtLimits {
            period_ns: period_us.saturating_mul(1000).max(1),
            runtime_ns: u64::try_from(runtime_us)
                .ok()
                .map(|us| us.saturating_mul(1000)),
        }
    }

    /// Whether a write of these sysctl values is valid (`sched_rt_global_validate` and
    /// `sched_rt_handler`): the period is at least 1 µs and fits an int, the runtime is -1 or
    /// at most the period.
    pub fn is_valid_sysctl(period_us: i64, runtime_us: i64) -> bool {
        period_us > 0
            && period_us <= i64::from(i32::MAX)
            && (runtime_us == -1 || (0..=period_us).contains(&runtime_us))
    }
}

impl Default for RtBandwidth {
    fn default() -> Self {
        RtBandwidth::new()
    }
}

impl RtBandwidth {
    pub const fn new() -> RtBandwidth {
        RtBandwidth {
            period_start_ns: 0,
            used_ns: 0,
        }
    }

    /// Starts the periods that began by `now_ns`: each one that passed gives back one
    /// runtime's worth of what was used (`do_sched_rt_period_timer`).
    pub fn refresh(&mut self, now_ns: u64, limits: RtLimits) {
        let elapsed = now_ns.saturating_sub(self.period_start_ns);
        if elapsed < limits.period_ns {
            return;
        }
        let periods = elapsed / limits.period_ns;
        self.period_start_ns += periods * limits.period_ns;
        let refund = limits
            .runtime_ns
            .unwrap_or(u64::MAX)
            .saturating_mul(periods);
        self.used_ns = self.used_ns.saturating_sub(refund);
    }

    /// Charges `delta_ns` run by a real-time entity.
    pub fn charge(&mut self, delta_ns: u64) {
        self.used_ns = self.used_ns.saturating_add(delta_ns);
    }

    /// Whether the real-time queue may not run for the rest of the period.
    pub fn is_throttled(&self, limits: RtLimits) -> bool {
        limits
            .runtime_ns
            .is_some_and(|runtime| runtime < limits.period_ns && self.used_ns >= runtime)
    }

    pub fn used_ns(&self) -> u64 {
        self.used_ns
    }
}

/// Whether `class` is real-time.
pub fn is_real_time(class: Class) -> bool {
    matches!(class, Class::RealTime { .. })
}
