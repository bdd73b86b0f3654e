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
