use super::*;
use alloc::vec::Vec;

/// Simulates one CPU for `total_ns`: the leftmost entity runs until `should_preempt_at_tick`
/// says stop (checked every `tick_ns`), then is requeued. Returns each entity's runtime.
fn simulate(nices: &[i32], total_ns: u64, tick_ns: u64) -> Vec<u64> {
    let mut entities: Vec<Entity> = nices.iter().map(|&nice| Entity::new(nice)).collect();
    let mut queue: FairQueue<usize> = FairQueue::new();
    for (index, entity) in entities.iter_mut().enumerate() {
        queue.enqueue(entity, index, Placement::New);
    }
    let mut now = 0;
    while now < total_ns {
        let (key, index) = queue.pop_next().expect("someone is runnable");
        queue.mark_dequeued(&mut entities[index], key);
        let mut ran = 0;
        loop {
            entities[index].charge(tick_ns);
            ran += tick_ns;
            now += tick_ns;
            queue.update_min_vruntime(Some(&entities[index]));
            if now >= total_ns || queue.should_preempt_at_tick(&entities[index], ran) {
                break;
            }
        }
        queue.enqueue(&mut entities[index], index, Placement::Requeue);
    }
    entities.iter().map(|entity| entity.sum_exec_ns).collect()
}

#[test]
fn weights_follow_linux_table() {
    assert_eq!(nice_to_weight(0), 1024);
    assert_eq!(nice_to_weight(-20), 88761);
    assert_eq!(nice_to_weight(19), 15);
    assert_eq!(nice_to_weight(100), 15);
    assert_eq!(nice_to_weight(-100), 88761);
    assert_eq!(nice_to_weight(1), 820);
}

#[test]
fn charge_scales_by_weight() {
    let mut normal = Entity::new(0);
    let mut nice = Entity::new(5);
    normal.charge(1_000_000);
    nice.charge(1_000_000);
    assert_eq!(normal.vruntime, 1_000_000);
    assert_eq!(nice.vruntime, 1_000_000 * 1024 / 335);
    assert_eq!(nice.sum_exec_ns, 1_000_000);
}

#[test]
fn equal_tasks_share_equally() {
    let runtimes = simulate(&[0, 0, 0], 3_000_000_000, 1_000_000);
    for runtime in &runtimes {
        let share = *runtime as f64 / 1_000_000_000.0;
        assert!((0.95..1.05).contains(&share), "{runtimes:?}");
    }
}

#[test]
fn nice_changes_share_by_weight() {
    // nice 0 against nice 5: weights 1024 : 335, so shares 75.4% : 24.6%.
    let runtimes = simulate(&[0, 5], 4_000_000_000, 1_000_000);
    let share = runtimes[0] as f64 / (runtimes[0] + runtimes[1]) as f64;
    assert!((0.72..0.79).contains(&share), "{runtimes:?}");
}

#[test]
fn pick_order_is_smallest_vruntime_then_fifo() {
    let mut queue: FairQueue<u32> = FairQueue::new();
    let mut a = Entity::new(0);
    let mut b = Entity::new(0);
    let mut c = Entity::new(0);
    a.vruntime = 50;
    b.vruntime = 10;
    c.vruntime = 50;
    queue.enqueue(&mut a, 1, Placement::Requeue);
    queue.enqueue(&mut b, 2, Placement::Requeue);
    queue.enqueue(&mut c, 3, Placement::Requeue);
    let order: Vec<u32> =
        core::iter::from_fn(|| queue.pop_next().map(|(_, value)| value)).collect();
    assert_eq!(order, [2, 1, 3]);
}

#[test]
fn sleeper_credit_is_bounded() {
    let mut queue: FairQueue<u32> = FairQueue::new();
    let mut runner = Entity::new(0);
    runner.vruntime = 100_000_000;
    queue.enqueue(&mut runner, 1, Placement::Requeue);
    queue.update_min_vruntime(None);
    assert_eq!(queue.min_vruntime(), 100_000_000);
    let mut sleeper = Entity::new(0);
    sleeper.vruntime = 5;
    queue.enqueue(&mut sleeper, 2, Placement::Wakeup);
    assert_eq!(sleeper.vruntime, 100_000_000 - SCHED_LATENCY_NS / 2);
    // A sleeper that is ahead keeps its own virtual runtime.
    let mut ahead = Entity::new(0);
    ahead.vruntime = 200_000_000;
    queue.enqueue(&mut ahead, 3, Placement::Wakeup);
    assert_eq!(ahead.vruntime, 200_000_000);
}

#[test]
fn new_entities_start_behind() {
    let mut queue: FairQueue<u32> = FairQueue::new();
    let mut first = Entity::new(0);
    first.vruntime = 1_000;
    queue.enqueue(&mut first, 1, Placement::Requeue);
    queue.update_min_vruntime(None);
    let mut child = Entity::new(0);
    queue.enqueue(&mut child, 2, Placement::New);
    assert!(child.vruntime > 1_000);
}

#[test]
fn min_vruntime_never_goes_back() {
    let mut queue: FairQueue<u32> = FairQueue::new();
    let mut a = Entity::new(0);
    a.vruntime = 500;
    queue.update_min_vruntime(Some(&a));
    assert_eq!(queue.min_vruntime(), 500);
    a.vruntime = 100;
    queue.update_min_vruntime(Some(&a));
    assert_eq!(queue.min_vruntime(), 500);
}

#[test]
fn remove_and_wakeup_preemption() {
    let mut queue: FairQueue<u32> = FairQueue::new();
    let mut a = Entity::new(0);
    queue.enqueue(&mut a, 7, Placement::Requeue);
    assert_eq!(queue.remove(&mut a), Some(7));
    assert!(queue.is_empty());
    assert_eq!(queue.remove(&mut a), None);
    let mut running = Entity::new(0);
    running.vruntime = 10_000_000;
    let mut woken = Entity::new(0);
    woken.vruntime = 5_000_000;
    assert!(queue.should_preempt_on_wakeup(&running, &woken));
    woken.vruntime = 9_500_000;
    assert!(!queue.should_preempt_on_wakeup(&running, &woken));
}

#[test]
fn alone_never_preempted() {
    let queue: FairQueue<u32> = FairQueue::new();
    let entity = Entity::new(0);
    assert!(!queue.should_preempt_at_tick(&entity, 1_000_000_000));
}

use crate::rt::{RR_TIMESLICE_NS, RtLimits, RtQueue};
use crate::runqueue::{RunQueue, TickOutcome};

fn rt_entity(priority: u32, is_round_robin: bool) -> Entity {
    let mut entity = Entity::new(0);
    entity.class = Class::RealTime {
        priority,
        is_round_robin,
    };
    entity
}

#[test]
fn rt_levels_order_by_priority_then_fifo() {
    let mut queue: RtQueue<usize> = RtQueue::new();
    let mut entities = [
        rt_entity(10, false),
        rt_entity(50, false),
        rt_entity(10, false),
        rt_entity(99, false),
        rt_entity(1, false),
    ];
    for (index, entity) in entities.iter_mut().enumerate() {
        queue.enqueue(entity, index, Placement::Wakeup);
    }
    assert_eq!(queue.highest_priority(), Some(99));
    let order: Vec<usize> =
        core::iter::from_fn(|| queue.pop_next().map(|(_, value)| value)).collect();
    assert_eq!(order, [3, 1, 0, 2, 4]);
    assert!(queue.is_empty());
    assert_eq!(queue.highest_priority(), None);
}

#[test]
fn rt_preempted_goes_to_head_yielded_to_tail() {
    let mut queue: RtQueue<usize> = RtQueue::new();
    let mut entities = [
        rt_entity(5, false),
        rt_entity(5, false),
        rt_entity(5, false),
    ];
    queue.enqueue(&mut entities[0], 0, Placement::Wakeup);
    queue.enqueue(&mut entities[1], 1, Placement::Wakeup);
    queue.enqueue(&mut entities[2], 2, Placement::Requeue);
    let (key, first) = queue.pop_next().unwrap();
    assert_eq!(first, 2);
    assert_eq!(
        key,
        QueueKey::RealTime {
            level: 5,
            sequence: -1
        }
    );
    entities[2].queued_key = None;
    queue.enqueue(&mut entities[2], 2, Placement::RequeueTail);
    // Remove the middle one by its key.
    assert_eq!(queue.remove(&mut entities[1]), Some(1));
    assert!(!entities[1].is_queued());
    assert_eq!(queue.remove(&mut entities[1]), None);
    let order: Vec<usize> =
        core::iter::from_fn(|| queue.pop_next().map(|(_, value)| value)).collect();
    assert_eq!(order, [0, 2]);
}

#[test]
fn rt_runs_ahead_of_fair_and_preempts_it() {
    let limits = RtLimits::default();
    let mut queue: RunQueue<usize> = RunQueue::new();
    let mut fair = Entity::new(-20);
    let mut rt = rt_entity(1, false);
    queue.enqueue(&mut fair, 0, Placement::New);
    assert!(queue.should_preempt(&Entity::new(0), &rt, limits));
    assert!(!queue.should_preempt(&rt, &fair, limits));
    assert!(queue.should_preempt(&rt, &rt_entity(2, false), limits));
    assert!(!queue.should_preempt(&rt, &rt_entity(1, true), limits));
    queue.enqueue(&mut rt, 1, Placement::Wakeup);
    let (key, next) = queue.pop_next(limits).unwrap();
    assert_eq!(next, 1);
    queue.mark_dequeued(&mut rt, key);
    assert!(!rt.is_queued());
    // A fair entity running sees the waiting real-time one at its next tick.
    let mut running = Entity::new(0);
    queue.enqueue(&mut rt, 1, Placement::Wakeup);
    assert_eq!(
        queue.tick(&mut running, 0, 4_000_000, limits),
        TickOutcome::Preempt
    );
    assert!(queue.should_yield_to_waiting(&running, limits));
}

/// Runs one CPU for `total_ns` with ticks of `tick_ns`: entities 0.. are given; returns each
/// one's runtime. Everybody is always runnable.
fn simulate_classes(
    mut entities: Vec<Entity>,
    total_ns: u64,
    tick_ns: u64,
    limits: RtLimits,
) -> Vec<u64> {
    let mut queue: RunQueue<usize> = RunQueue::new();
    for (index, entity) in entities.iter_mut().enumerate() {
        queue.enqueue(entity, index, Placement::New);
    }
    let mut now = 0;
    let mut idle_ns = 0;
    while now < total_ns {
        let Some((key, index)) = queue.pop_next(limits) else {
            // Throttled with nothing fair: the CPU idles for a tick.
            now += tick_ns;
            idle_ns += tick_ns;
            queue.bandwidth.refresh(now, limits);
            continue;
        };
        queue.mark_dequeued(&mut entities[index], key);
        let mut ran = 0;
        let placement = loop {
            now += tick_ns;
            ran += tick_ns;
            queue.charge(&mut entities[index], tick_ns, now, limits);
            if now >= total_ns {
                break Placement::Requeue;
            }
            match queue.tick(&mut entities[index], ran, tick_ns, limits) {
                TickOutcome::Continue => {}
                TickOutcome::Preempt => break Placement::Requeue,
                TickOutcome::RoundRobin => break Placement::RequeueTail,
            }
        };
        queue.enqueue(&mut entities[index], index, placement);
    }
    let _ = idle_ns;
    entities.iter().map(|entity| entity.sum_exec_ns).collect()
}

#[test]
fn fifo_hog_is_throttled_to_95_percent() {
    let limits = RtLimits::default();
    let runtimes = simulate_classes(
        alloc::vec![rt_entity(50, false), Entity::new(0)],
        4_000_000_000,
        4_000_000,
        limits,
    );
    // 0.95 s of every second for the hog, the rest for the fair entity.
    assert!(
        (3_780_000_000..=3_820_000_000).contains(&runtimes[0]),
        "{runtimes:?}"
    );
    assert!(
        (180_000_000..=220_000_000).contains(&runtimes[1]),
        "{runtimes:?}"
    );
    // Unlimited: the fair entity never runs.
    let runtimes = simulate_classes(
        alloc::vec![rt_entity(50, false), Entity::new(0)],
        2_000_000_000,
        4_000_000,
        RtLimits::from_sysctl(1_000_000, -1),
    );
    assert_eq!(runtimes[1], 0);
}

#[test]
fn round_robin_shares_a_level_in_100ms_slices_fifo_does_not() {
    let limits = RtLimits::from_sysctl(1_000_000, -1);
    let runtimes = simulate_classes(
        alloc::vec![rt_entity(10, true), rt_entity(10, true), rt_entity(9, true)],
        1_000_000_000,
        4_000_000,
        limits,
    );
    assert_eq!(runtimes[0] + runtimes[1], 1_000_000_000);
    assert!(
        runtimes[0].abs_diff(runtimes[1]) <= RR_TIMESLICE_NS,
        "{runtimes:?}"
    );
    assert_eq!(runtimes[2], 0);
    let runtimes = simulate_classes(
        alloc::vec![rt_entity(10, false), rt_entity(10, false)],
        1_000_000_000,
        4_000_000,
        limits,
    );
    assert_eq!(runtimes, [1_000_000_000, 0]);
}

#[test]
fn rt_limits_validation() {
    assert!(RtLimits::is_valid_sysctl(1_000_000, 950_000));
    assert!(RtLimits::is_valid_sysctl(1_000_000, -1));
    assert!(RtLimits::is_valid_sysctl(1_000_000, 1_000_000));
    assert!(!RtLimits::is_valid_sysctl(1_000_000, 1_000_001));
    assert!(!RtLimits::is_valid_sysctl(0, 0));
    assert!(!RtLimits::is_valid_sysctl(1_000_000, -2));
}

#[test]
fn batch_and_idle_wakeups() {
    let limits = RtLimits::default();
    let queue: RunQueue<usize> = RunQueue::new();
    let mut running = Entity::new(0);
    running.vruntime = 100_000_000;
    let mut woken = Entity::new(0);
    woken.vruntime = 0;
    assert!(queue.should_preempt(&running, &woken, limits));
    woken.fair_policy = FairPolicy::Batch;
    assert!(!queue.should_preempt(&running, &woken, limits));
    woken.fair_policy = FairPolicy::Idle;
    assert!(!queue.should_preempt(&running, &woken, limits));
    // Anything but SCHED_IDLE preempts a SCHED_IDLE entity, even far ahead.
    running.fair_policy = FairPolicy::Idle;
    running.vruntime = 0;
    woken.vruntime = 100_000_000;
    woken.fair_policy = FairPolicy::Batch;
    assert!(queue.should_preempt(&running, &woken, limits));
}
