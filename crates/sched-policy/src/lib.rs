//! Scheduling policy, kept apart from the kernel so that it is tested on the host.
//!
//! The policy is Linux's CFS (`kernel/sched/fair.c` as of 6.1): each runnable entity has a
//! virtual runtime that advances by its real runtime scaled by `NICE_0_WEIGHT / weight`, the
//! entity with the smallest virtual runtime runs next, and the queue's `min_vruntime` only moves
//! forward. Weights are Linux's `sched_prio_to_weight` table, so each nice level is worth about
//! 10% of CPU share relative to its neighbour. The queue is a B-tree keyed by virtual runtime
//! (O(log n) insert and pick-next, where Linux uses a red-black tree).
//!
//! Ahead of CFS come the real-time classes (`kernel/sched/rt.c`): SCHED_FIFO and SCHED_RR
//! entities wait in a priority array ([`rt::RtQueue`], 99 levels, FIFO within a level) and any
//! runnable one runs before every fair one, unless the CPU's real-time bandwidth for the current
//! period is used up ([`rt::RtBandwidth`], `kernel.sched_rt_runtime_us` of
//! `kernel.sched_rt_period_us`). [`runqueue::RunQueue`] joins the two classes and makes the
//! decisions the kernel asks for: which entity runs next, whether a tick or a wake-up preempts.
//!
//! What the kernel keeps: one [`runqueue::RunQueue`] per CPU holding the *waiting* entities (the
//! running one is outside the queues, as in Linux), and one [`Entity`] per thread.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;

/// Weight of a nice-0 entity (`NICE_0_LOAD` without the fixed-point scaling).
pub const NICE_0_WEIGHT: u64 = 1024;

/// `sysctl_sched_latency`: the period within which every runnable entity should run once
/// (6 ms scaled for one CPU, as Linux's default).
pub const SCHED_LATENCY_NS: u64 = 6_000_000;
/// `sysctl_sched_min_granularity`: the shortest slice.
pub const MIN_GRANULARITY_NS: u64 = 750_000;
/// `sysctl_sched_wakeup_granularity`: how far ahead a waking entity must be to preempt.
pub const WAKEUP_GRANULARITY_NS: u64 = 1_000_000;

/// Linux's `sched_prio_to_weight`, indexed by `nice + 20`.
const PRIO_TO_WEIGHT: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];

/// The weight of a nice value (clamped to Linux's -20..=19).
pub fn nice_to_weight(nice: i32) -> u64 {
    u64::from(PRIO_TO_WEIGHT[(nice.clamp(-20, 19) + 20) as usize])
}

/// The scheduling class an entity runs in now (its *effective* class: a priority-inheritance
/// boost makes a fair entity real-time while it holds a lock a real-time one waits for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE: CFS, by weight.
    Fair,
    /// SCHED_FIFO or SCHED_RR at `priority` (1..=99, higher runs first).
    RealTime { priority: u32, is_round_robin: bool },
}

/// Which fair policy: SCHED_BATCH and SCHED_IDLE entities never preempt at a wake-up, and
/// anything not SCHED_IDLE preempts a SCHED_IDLE one (`check_preempt_wakeup`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FairPolicy {
    #[default]
    Normal,
    Batch,
    Idle,
}

/// Where an entity waits: its key in the fair tree or in the real-time array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueKey {
    Fair((u64, u64)),
    RealTime { level: u32, sequence: i64 },
}

/// One schedulable entity's accounting.
#[derive(Clone, Debug)]
pub struct Entity {
    pub vruntime: u64,
    pub weight: u64,
    /// Total real runtime, in nanoseconds.
    pub sum_exec_ns: u64,
    /// The class it is queued in and runs in.
    pub class: Class,
    /// What is left of a SCHED_RR entity's time slice (`rt.time_slice`).
    pub rr_left_ns: u64,
    /// Its fair policy (for wake-up preemption).
    pub fair_policy: FairPolicy,
    /// Key in the queue while enqueued.
    queued_key: Option<QueueKey>,
}

impl Default for Entity {
    fn default() -> Self {
        Entity::new(0)
    }
}

impl Entity {
    /// An entity with nice value `nice`, not yet placed (its vruntime is set on first enqueue).
    pub fn new(nice: i32) -> Entity {
        Entity {
            vruntime: 0,
            weight: nice_to_weight(nice),
            sum_exec_ns: 0,
            class: Class::Fair,
            rr_left_ns: rt::RR_TIMESLICE_NS,
            fair_policy: FairPolicy::Normal,
            queued_key: None,
        }
    }

    /// Charges `delta_ns` of real runtime (Linux's `update_curr`; a real-time entity's virtual
    /// runtime stands still, as `update_curr_rt` never touches it).
    pub fn charge(&mut self, delta_ns: u64) {
        self.sum_exec_ns = self.sum_exec_ns.saturating_add(delta_ns);
        if self.class == Class::Fair {
            self.vruntime =
                self.vruntime
                    .saturating_add(scale(delta_ns, NICE_0_WEIGHT, self.weight));
        }
    }

    /// The real-time priority it runs at (0 for a fair entity).
    pub fn rt_priority(&self) -> u32 {
        match self.class {
            Class::Fair => 0,
            Class::RealTime { priority, .. } => priority,
        }
    }

    /// The key it waits under, if queued.
    pub fn queued_key(&self) -> Option<QueueKey> {
        self.queued_key
    }

    pub fn is_queued(&self) -> bool {
        self.queued_key.is_some()
    }

    /// Changes the weight (setpriority). Must not be queued.
    pub fn set_nice(&mut self, nice: i32) {
        debug_assert!(!self.is_queued());
        self.weight = nice_to_weight(nice);
    }
}

fn scale(value: u64, numerator: u64, denominator: u64) -> u64 {
    ((u128::from(value) * u128::from(numerator)) / u128::from(denominator.max(1))) as u64
}

/// Why an entity is being enqueued: this decides where its virtual runtime is placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A new entity (fork): it starts one slice behind, so forking cannot gain CPU time
    /// (Linux's `START_DEBIT`).
    New,
    /// Woken from sleep: credited up to half a latency period, never more, so sleepers get
    /// prompt service without starving others (`place_entity` with `GENTLE_FAIR_SLEEPERS`).
    Wakeup,
    /// Preempted: keeps its virtual runtime; a real-time entity goes back to the head of its
    /// level (in Linux it never left its list).
    Requeue,
    /// Gave the CPU up (sched_yield) or used up its SCHED_RR slice: a real-time entity goes to
    /// the tail of its level; a fair one keeps its virtual runtime.
    RequeueTail,
    /// Its priority was lowered while it waited (`__sched_setscheduler` queues it at the head
    /// of its new level); raised, it goes to the tail (`RequeueTail`).
    Lowered,
}

/// The run queue of one CPU: the waiting entities ordered by virtual runtime.
pub struct FairQueue<T> {
    tree: BTreeMap<(u64, u64), T>,
    min_vruntime: u64,
    total_weight: u64,
    sequence: u64,
}

impl<T> Default for FairQueue<T> {
    fn default() -> Self {
        FairQueue::new()
    }
}

impl<T> FairQueue<T> {
    pub const fn new() -> FairQueue<T> {
        FairQueue {
            tree: BTreeMap::new(),
            min_vruntime: 0,
            total_weight: 0,
            sequence: 0,
        }
    }

    /// Number of waiting entities.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    pub fn min_vruntime(&self) -> u64 {
        self.min_vruntime
    }

    /// Inserts `value`, placing `entity`'s virtual runtime as `placement` says.
    pub fn enqueue(&mut self, entity: &mut Entity, value: T, placement: Placement) {
        debug_assert!(!entity.is_queued());
        match placement {
            Placement::New => {
                let debit = self.slice_ns(entity.weight, 1);
                entity.vruntime =
                    self.min_vruntime
                        .saturating_add(scale(debit, NICE_0_WEIGHT, entity.weight));
            }
            Placement::Wakeup => {
                let floor = self.min_vruntime.saturating_sub(SCHED_LATENCY_NS / 2);
                entity.vruntime = entity.vruntime.max(floor);
            }
            Placement::Requeue | Placement::RequeueTail | Placement::Lowered => {}
        }
        self.sequence += 1;
        let key = (entity.vruntime, self.sequence);
        entity.queued_key = Some(QueueKey::Fair(key));
        self.total_weight += entity.weight;
        self.tree.insert(key, value);
    }

    /// Removes `entity` (for a change of nice or CPU), returning its value.
    pub fn remove(&mut self, entity: &mut Entity) -> Option<T> {
        let Some(QueueKey::Fair(key)) = entity.queued_key else {
            return None;
        };
        entity.queued_key = None;
        self.total_weight -= entity.weight;
        self.tree.remove(&key)
    }

    /// Takes the entity with the smallest virtual runtime. The caller passes the entity back
    /// through `mark_dequeued` (the queue stores only its value).
    pub fn pop_next(&mut self) -> Option<((u64, u64), T)> {
        let (key, value) = self.tree.pop_first()?;
        Some((key, value))
    }

    /// Completes `pop_next` for `entity` (whose key `pop_next` returned).
    pub fn mark_dequeued(&mut self, entity: &mut Entity, key: (u64, u64)) {
        debug_assert_eq!(entity.queued_key, Some(QueueKey::Fair(key)));
        entity.queued_key = None;
        self.total_weight -= entity.weight;
    }

    /// The waiting values, largest virtual runtime first (what load balancing migrates first).
    pub fn values_rev(&self) -> impl Iterator<Item = &T> {
        self.tree.values().rev()
    }

    /// The smallest waiting virtual runtime.
    pub fn leftmost_vruntime(&self) -> Option<u64> {
        self.tree.keys().next().map(|&(vruntime, _)| vruntime)
    }

    /// Moves `min_vruntime` forward to the smaller of the running entity's and the leftmost
    /// waiting one's virtual runtime (never backwards), as `update_min_vruntime`.
    pub fn update_min_vruntime(&mut self, running: Option<&Entity>) {
        let candidate = match (
            running.map(|entity| entity.vruntime),
            self.leftmost_vruntime(),
        ) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return,
        };
        self.min_vruntime = self.min_vruntime.max(candidate);
    }

    /// The slice of an entity of `weight` when `extra_running` more entities compete with the
    /// waiting ones (`sched_slice`).
    fn slice_ns(&self, weight: u64, extra_running: u64) -> u64 {
        let count = self.tree.len() as u64 + extra_running;
        let period = if count > SCHED_LATENCY_NS / MIN_GRANULARITY_NS {
            count * MIN_GRANULARITY_NS
        } else {
            SCHED_LATENCY_NS
        };
        let total = self.total_weight + weight;
        scale(period, weight, total).max(MIN_GRANULARITY_NS)
    }

    /// Whether the running `entity`, which has run `ran_ns` since it was picked, should give
    /// the CPU up at a tick (`check_preempt_tick`).
    pub fn should_preempt_at_tick(&self, entity: &Entity, ran_ns: u64) -> bool {
        let Some(leftmost) = self.leftmost_vruntime() else {
            return false;
        };
        if ran_ns >= self.slice_ns(entity.weight, 1) {
            return true;
        }
        ran_ns >= MIN_GRANULARITY_NS
            && entity.vruntime > leftmost
            && entity.vruntime - leftmost > self.slice_ns(entity.weight, 1)
    }

    /// Whether a woken entity should preempt the running one (`check_preempt_wakeup`).
    pub fn should_preempt_on_wakeup(&self, running: &Entity, woken: &Entity) -> bool {
        let granularity = scale(WAKEUP_GRANULARITY_NS, NICE_0_WEIGHT, woken.weight);
        running.vruntime > woken.vruntime && running.vruntime - woken.vruntime > granularity
    }
}

pub mod rt;
pub mod runqueue;

#[cfg(test)]
mod tests;
