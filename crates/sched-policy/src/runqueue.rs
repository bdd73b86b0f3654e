//! One CPU's run queue across the classes: the real-time priority array ahead of the fair tree
//! (Linux's `pick_next_task` walks `rt_sched_class` before `fair_sched_class`), with the
//! real-time bandwidth deciding when the real-time queue is throttled.
//!
//! The running entity is outside the queues. The kernel asks: what runs next ([`RunQueue::pop_next`]),
//! whether a tick preempts the running entity ([`RunQueue::tick`]), whether a woken or newly
//! queued entity preempts it ([`RunQueue::should_preempt`]); and it charges the running entity's
//! time through [`RunQueue::charge`].

use crate::rt::{RR_TIMESLICE_NS, RtBandwidth, RtLimits, RtQueue};
use crate::{Class, Entity, FairPolicy, FairQueue, Placement, QueueKey};

pub struct RunQueue<T> {
    pub fair: FairQueue<T>,
    pub rt: RtQueue<T>,
    pub bandwidth: RtBandwidth,
}

impl<T> Default for RunQueue<T> {
    fn default() -> Self {
        RunQueue::new()
    }
}

/// What a tick decided for the running entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickOutcome {
    /// Keep running.
    Continue,
    /// Preempted: requeue it as it is (a real-time one at the head of its level).
    Preempt,
    /// Its SCHED_RR slice ran out and others wait at its level: requeue it at their tail.
    RoundRobin,
}

impl<T> RunQueue<T> {
    pub const fn new() -> RunQueue<T> {
        RunQueue {
            fair: FairQueue::new(),
            rt: RtQueue::new(),
            bandwidth: RtBandwidth::new(),
        }
    }

    /// Waiting entities of both classes.
    pub fn len(&self) -> usize {
        self.fair.len() + self.rt.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether something may run now: a fair entity, or a real-time one while the real-time
    /// queue is not throttled.
    pub fn has_runnable(&self, limits: RtLimits) -> bool {
        !self.fair.is_empty() || (!self.rt.is_empty() && !self.bandwidth.is_throttled(limits))
    }

    /// Queues `value` in the class of `entity`.
    pub fn enqueue(&mut self, entity: &mut Entity, value: T, placement: Placement) {
        match entity.class {
            Class::Fair => self.fair.enqueue(entity, value, placement),
            Class::RealTime { .. } => self.rt.enqueue(entity, value, placement),
        }
    }

    /// Takes `entity` out of whichever queue holds it.
    pub fn remove(&mut self, entity: &mut Entity) -> Option<T> {
        match entity.queued_key()? {
            QueueKey::Fair(_) => self.fair.remove(entity),
            QueueKey::RealTime { .. } => self.rt.remove(entity),
        }
    }

    /// Takes what runs next: the highest real-time entity unless throttled, else the fair
    /// entity with the smallest virtual runtime. The caller completes it with `mark_dequeued`.
    pub fn pop_next(&mut self, limits: RtLimits) -> Option<(QueueKey, T)> {
        if !self.bandwidth.is_throttled(limits)
            && let Some(next) = self.rt.pop_next()
        {
            return Some(next);
        }
        self.fair
            .pop_next()
            .map(|(key, value)| (QueueKey::Fair(key), value))
    }

    /// Completes `pop_next` for `entity`.
    pub fn mark_dequeued(&mut self, entity: &mut Entity, key: QueueKey) {
        match key {
            QueueKey::Fair(key) => self.fair.mark_dequeued(entity, key),
            QueueKey::RealTime { .. } => {
                debug_assert_eq!(entity.queued_key, Some(key));
                entity.queued_key = None;
            }
        }
    }

    /// Charges the running entity `delta_ns` (and the real-time bandwidth, for a real-time
    /// one), then moves the fair queue's `min_vruntime`.
    pub fn charge(&mut self, running: &mut Entity, delta_ns: u64, now_ns: u64, limits: RtLimits) {
        self.bandwidth.refresh(now_ns, limits);
        running.charge(delta_ns);
        if let Class::RealTime { .. } = running.class {
            self.bandwidth.charge(delta_ns);
        } else {
            self.fair.update_min_vruntime(Some(running));
        }
    }

    /// Whether the waiting entity `candidate`, just queued, should take the CPU from `running`
    /// (`check_preempt_curr`): a real-time entity preempts a fair one and a lower real-time
    /// one; fair entities follow CFS's wake-up rule among themselves.
    pub fn should_preempt(&self, running: &Entity, candidate: &Entity, limits: RtLimits) -> bool {
        match (running.class, candidate.class) {
            (Class::Fair, Class::RealTime { .. }) => !self.bandwidth.is_throttled(limits),
            (Class::RealTime { priority: ran, .. }, Class::RealTime { priority: new, .. }) => {
                new > ran
            }
            (Class::RealTime { .. }, Class::Fair) => false,
            (Class::Fair, Class::Fair) => {
                if running.fair_policy == FairPolicy::Idle
                    && candidate.fair_policy != FairPolicy::Idle
                {
                    return true;
                }
                candidate.fair_policy == FairPolicy::Normal
                    && self.fair.should_preempt_on_wakeup(running, candidate)
            }
        }
    }

    /// Whether anything waiting should run instead of `running` after its priority changed
    /// (`prio_changed_rt`, `switched_from_rt`): a higher real-time level waits, or it is fair now
    /// and real-time entities wait.
    pub fn should_yield_to_waiting(&self, running: &Entity, limits: RtLimits) -> bool {
        let waiting_rt = if self.bandwidth.is_throttled(limits) {
            None
        } else {
            self.rt.highest_priority()
        };
        match (running.class, waiting_rt) {
            (Class::Fair, Some(_)) => true,
            (Class::RealTime { priority, .. }, Some(waiting)) => waiting > priority,
            (Class::RealTime { .. }, None) => {
                self.bandwidth.is_throttled(limits) && !self.fair.is_empty()
            }
            (Class::Fair, None) => false,
        }
    }

    /// A timer tick for the running entity, which has run `ran_ns` since it was picked
    /// (`task_tick_rt`, `task_tick_fair`). A SCHED_RR entity's slice shrinks by `tick_ns`; when
    /// it is used up it is refilled, and the entity goes to the tail of its level if others
    /// wait there. A real-time entity whose queue is throttled gives the CPU up.
    pub fn tick(
        &self,
        running: &mut Entity,
        ran_ns: u64,
        tick_ns: u64,
        limits: RtLimits,
    ) -> TickOutcome {
        match running.class {
            Class::Fair => {
                let rt_waits = !self.rt.is_empty() && !self.bandwidth.is_throttled(limits);
                if rt_waits || self.fair.should_preempt_at_tick(running, ran_ns) {
                    TickOutcome::Preempt
                } else {
                    TickOutcome::Continue
                }
            }
            Class::RealTime {
                priority,
                is_round_robin,
            } => {
                if self.bandwidth.is_throttled(limits) {
                    return TickOutcome::Preempt;
                }
                if self
                    .rt
                    .highest_priority()
                    .is_some_and(|high| high > priority)
                {
                    return TickOutcome::Preempt;
                }
                if !is_round_robin {
                    return TickOutcome::Continue;
                }
                running.rr_left_ns = running.rr_left_ns.saturating_sub(tick_ns);
                if running.rr_left_ns > 0 {
                    return TickOutcome::Continue;
                }
                running.rr_left_ns = RR_TIMESLICE_NS;
                if self.rt.has_level(priority) {
                    TickOutcome::RoundRobin
                } else {
                    TickOutcome::Continue
                }
            }
        }
    }
}
