//! The scheduler: per-CPU run queues, context switches, sleeping and waking.
//!
//! Policy lives in the `sched-policy` crate (host-tested): each CPU's [`RunQueue`] holds its
//! waiting threads in two classes, the real-time priority array (SCHED_FIFO, SCHED_RR: 99
//! levels, FIFO within a level, 100 ms round-robin slices, throttled by
//! `kernel.sched_rt_runtime_us` per `kernel.sched_rt_period_us`) ahead of the CFS tree
//! (SCHED_NORMAL, SCHED_BATCH with nice weights, SCHED_IDLE with weight 3); the running thread
//! is outside them, as in Linux. A thread's class is its *effective* one: a priority-inheritance
//! boost (`SchedInfo::pi_priority`, set by PI futexes) runs it as real-time at its top waiter's
//! priority. Preemption is driven by the timer tick: [`tick`] charges the running thread and sets
//! `need_resched` when its slice is over or a waiting thread should run first; the
//! per-thread loop calls [`schedule`] before returning to user mode (Linux's
//! `exit_to_user_mode_loop`). The kernel itself is not preemptible (it runs with interrupts off
//! except in the idle loop), so a thread gives up the CPU only there or when it sleeps.
//!
//! Sleeping follows Linux's pattern: set the thread's state to a sleeping state, check the
//! condition, then `schedule()`; a waker sets the state back to running and enqueues the
//! thread ([`wake_up`]). Interruptible sleeps end when a signal is pending, killable ones only
//! for a fatal signal (see [`wait`]).
//!
//! Several CPUs (docs/smp.md): each has its queue and its idle context. A thread's
//! `SchedInfo::cpu` names the queue it belongs to; it changes only under that queue's lock
//! (and the thread's), so [`lock_thread_queue`] locks the queue and checks again, as Linux's
//! `task_rq_lock`. A waking thread is placed as `select_task_rq_fair` roughly does
//! ([`select_cpu`]: its previous CPU if idle, else an idle allowed CPU, else the previous
//! one), a new one on the least loaded allowed CPU; a CPU that gets work it should run now is
//! sent the reschedule IPI (idle CPUs halt). An idle CPU pulls a waiting fair thread from the
//! busiest queue ([`pull_task`]), and a CPU whose queue has waiting threads kicks an idle CPU
//! at its tick (periodic balancing). A thread picked on one CPU right after it left another
//! is not run before that CPU has left its stack (`hal::task`'s `on_cpu`).
//!
//! Locks: a run queue's lock is taken before a thread's `sched` lock; two run queues in
//! CPU-index order (`double_lock`). Nothing sleeps holding a spin lock.

pub mod lock_hooks;
pub mod stats;
pub mod timer;
pub mod wait;

use crate::process::Thread;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};
use core::sync::atomic::{AtomicI64, AtomicU64};
use hal::sync::{CpuLocal, SpinLock};
use hal::task::ExecutionContext;
use sched_policy::rt::RtLimits;
use sched_policy::runqueue::TickOutcome;
use sched_policy::{Class, Entity, FairPolicy, Placement};

/// CPUs the run-queue array has room for.
pub const MAX_CPUS: usize = hal::sync::MAX_CPUS;

/// Why a thread is not running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepKind {
    /// `TASK_INTERRUPTIBLE`: any unblocked signal ends the sleep.
    Interruptible,
    /// `TASK_KILLABLE`: only a fatal signal (SIGKILL) ends it.
    Killable,
    /// `TASK_UNINTERRUPTIBLE`: no signal ends it (sleeping locks, later disk I/O).
    Uninterruptible,
}

/// A thread's scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Running or runnable (Linux's `TASK_RUNNING`).
    Running,
    Sleeping(SleepKind),
    /// Stopped by a stop signal, until SIGCONT or SIGKILL (`TASK_STOPPED`).
    Stopped,
    /// Stopped for a tracer (`TASK_TRACED`), until it resumes the thread, or SIGKILL.
    Traced,
    /// Exited: it switches away one last time and is never enqueued again.
    Dead,
}

/// Per-thread scheduling data, behind the thread's `sched` lock.
pub struct SchedInfo {
    pub entity: Entity,
    pub state: TaskState,
    pub nice: i32,
    /// The CPU whose run queue the thread belongs to.
    pub cpu: usize,
    /// CPUs the thread may run on (`sched_setaffinity`), one bit per CPU (all at first).
    pub affinity: u64,
    /// Scheduling policy (`SCHED_NORMAL`, `SCHED_BATCH`, `SCHED_IDLE`, `SCHED_FIFO`,
    /// `SCHED_RR`).
    pub policy: i32,
    /// Real-time priority (1..=99 for SCHED_FIFO/SCHED_RR, else 0).
    pub rt_priority: u32,
    /// SCHED_DEADLINE's parameters (`sched_dl_entity`), zero for other policies.
    pub deadline: DeadlineParams,
    /// Priority-inheritance boost: the highest real-time priority among the threads waiting
    /// for PI futexes this thread owns (0: none). Above `rt_priority`, it runs at this one.
    pub pi_priority: u32,
    /// `SCHED_RESET_ON_FORK`: children start with SCHED_NORMAL and a nice value of at least 0.
    pub reset_on_fork: bool,
    /// Switches away while sleeping (`nvcsw`) and while runnable (`nivcsw`).
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// The I/O priority set by ioprio_set (`io_context->ioprio`; class NONE, 0, when never
    /// set: ioprio_get then derives one from the nice value and policy).
    pub ioprio: u16,
}

/// SCHED_DEADLINE's parameters as sched_setattr gave them (nanoseconds) and its flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeadlineParams {
    pub runtime_ns: u64,
    pub deadline_ns: u64,
    pub period_ns: u64,
    pub flags: u64,
}

pub use abi::sched::{SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_IDLE, SCHED_NORMAL, SCHED_RR};
/// Weight of a SCHED_IDLE thread (`WEIGHT_IDLEPRIO`).
const WEIGHT_IDLEPRIO: u64 = 3;

impl SchedInfo {
    pub fn new(nice: i32) -> SchedInfo {
        SchedInfo {
            entity: Entity::new(nice),
            state: TaskState::Running,
            nice,
            cpu: 0,
            affinity: u64::MAX,
            policy: SCHED_NORMAL,
            rt_priority: 0,
            pi_priority: 0,
            deadline: DeadlineParams::default(),
            reset_on_fork: false,
            voluntary_switches: 0,
            involuntary_switches: 0,
            ioprio: 0,
        }
    }

    /// The class it runs in: real-time at the higher of its own priority and its PI boost.
    pub fn class(&self) -> Class {
        let own = match self.policy {
            SCHED_FIFO | SCHED_RR => self.rt_priority,
            SCHED_DEADLINE => sched_policy::rt::MAX_RT_PRIO,
            _ => 0,
        };
        let priority = own.max(self.pi_priority);
        if priority == 0 {
            Class::Fair
        } else {
            Class::RealTime {
                priority,
                is_round_robin: self.policy == SCHED_RR,
            }
        }
    }

    /// The CFS weight the policy and nice value give.
    fn weight(&self) -> u64 {
        if self.policy == SCHED_IDLE {
            WEIGHT_IDLEPRIO
        } else {
            sched_policy::nice_to_weight(self.nice)
        }
    }
}

struct RunQueue {
    waiting: sched_policy::runqueue::RunQueue<Arc<Thread>>,
    /// The running thread yielded or used up its SCHED_RR slice: requeue it at the tail of
    /// its level, not the head.
    requeue_tail: bool,
    /// The running thread; `None` while the CPU idles.
    current: Option<Arc<Thread>>,
    /// The idle loop's context (the boot stack of this CPU).
    idle: Option<Arc<ExecutionContext>>,
    /// CLOCK_MONOTONIC when `current` was last charged.
    charged_at_ns: u64,
    /// CLOCK_MONOTONIC when `current` was picked (for its slice).
    picked_at_ns: u64,
}

static RUN_QUEUES: [SpinLock<RunQueue>; MAX_CPUS] = [const {
    SpinLock::new(
        "sched.rq",
        RunQueue {
            waiting: sched_policy::runqueue::RunQueue::new(),
            requeue_tail: false,
            current: None,
            idle: None,
            charged_at_ns: 0,
            picked_at_ns: 0,
        },
    )
}; MAX_CPUS];

/// Per CPU: the running thread should call [`schedule`] before returning to user mode (Linux's
/// `TIF_NEED_RESCHED`), read lock-free on every return to user mode; other CPUs set it when a
/// wake-up should preempt.
static NEED_RESCHED: CpuLocal<AtomicBool> =
    CpuLocal::new([const { AtomicBool::new(false) }; MAX_CPUS]);

/// Per CPU: its runnable threads (waiting and running), published after each change of its
/// queue, read without the lock for placement and balancing.
static NR_RUNNING: [core::sync::atomic::AtomicUsize; MAX_CPUS] =
    [const { core::sync::atomic::AtomicUsize::new(0) }; MAX_CPUS];

fn nr_running(cpu: usize) -> usize {
    NR_RUNNING[cpu].load(Ordering::Relaxed)
}

/// Runnable threads on every CPU (load average, `procs_running`).
pub fn nr_running_total() -> usize {
    NR_RUNNING
        .iter()
        .map(|count| count.load(Ordering::Relaxed))
        .sum()
}

/// The online CPUs a thread with `affinity` may run on (never empty: the boot CPU if the
/// mask names no online CPU).
fn allowed_cpus(affinity: u64) -> u64 {
    let allowed = affinity & hal::smp::online_mask();
    if allowed == 0 { 1 } else { allowed }
}

/// Where a waking thread goes (Linux's `select_task_rq_fair`, simplified): its previous CPU
/// if it is idle, else the waker's if idle, else another idle CPU it may use, else its
/// previous CPU, else the waker's, else the least loaded allowed one.
fn select_cpu(previous: usize, affinity: u64) -> usize {
    let allowed = allowed_cpus(affinity);
    let is_allowed = |cpu: usize| cpu < MAX_CPUS && allowed & (1 << cpu) != 0;
    if is_allowed(previous) && nr_running(previous) == 0 {
        return previous;
    }
    let waker = cpu_id();
    if is_allowed(waker) && nr_running(waker) == 0 {
        return waker;
    }
    if let Some(idle) = cpus_of(allowed).find(|&cpu| nr_running(cpu) == 0) {
        return idle;
    }
    if is_allowed(previous) {
        return previous;
    }
    if is_allowed(waker) {
        return waker;
    }
    least_loaded(allowed)
}

/// The CPUs of `mask`, lowest first.
fn cpus_of(mask: u64) -> impl Iterator<Item = usize> {
    (0..MAX_CPUS).filter(move |&cpu| mask & (1 << cpu) != 0)
}

/// The CPU of `allowed` with the fewest runnable threads (this CPU on a tie).
fn least_loaded(allowed: u64) -> usize {
    let me = cpu_id();
    let start = if allowed & (1 << me) != 0 {
        me
    } else {
        allowed.trailing_zeros() as usize
    };
    cpus_of(allowed).fold(start, |best, cpu| {
        if nr_running(cpu) < nr_running(best) {
            cpu
        } else {
            best
        }
    })
}

/// Makes `cpu` look at its queue now if it is another CPU (the reschedule IPI).
fn kick(cpu: usize) {
    if cpu != cpu_id() {
        hal::smp::send_reschedule(cpu);
    }
}

/// Locks the run queue `thread` belongs to, checking after the lock that it still belongs
/// there (Linux's `task_rq_lock`). Returns the guard and the CPU.
fn lock_thread_queue(thread: &Thread) -> (hal::sync::SpinLockGuard<'static, RunQueue>, usize) {
    loop {
        let cpu = thread.sched.lock().cpu;
        let rq = RUN_QUEUES[cpu].lock();
        if thread.sched.lock().cpu == cpu {
            return (rq, cpu);
        }
    }
}

/// Locks the run queues of `a` and `b` (distinct) in CPU-index order.
fn double_lock(
    a: usize,
    b: usize,
) -> (
    hal::sync::SpinLockGuard<'static, RunQueue>,
    hal::sync::SpinLockGuard<'static, RunQueue>,
) {
    if a < b {
        let first = RUN_QUEUES[a].lock();
        let second = RUN_QUEUES[b].lock();
        (first, second)
    } else {
        let second = RUN_QUEUES[b].lock();
        let first = RUN_QUEUES[a].lock();
        (first, second)
    }
}

/// Moves a waiting fair `entity` from a queue whose smallest virtual runtime is `from_min` to
/// one whose is `to_min`, keeping its lag (Linux's `migrate_task_rq_fair` renormalisation).
fn renormalise(entity: &mut Entity, from_min: u64, to_min: u64) {
    entity.vruntime = entity
        .vruntime
        .saturating_sub(from_min)
        .saturating_add(to_min);
}

/// `kernel.sched_rt_period_us` and `kernel.sched_rt_runtime_us` (-1: no throttling).
static RT_PERIOD_US: AtomicU64 = AtomicU64::new(sched_policy::rt::DEFAULT_RT_PERIOD_US);
static RT_RUNTIME_US: AtomicI64 = AtomicI64::new(sched_policy::rt::DEFAULT_RT_RUNTIME_US);

/// The real-time throttling settings now.
fn rt_limits() -> RtLimits {
    RtLimits::from_sysctl(
        RT_PERIOD_US.load(Ordering::Relaxed),
        RT_RUNTIME_US.load(Ordering::Relaxed),
    )
}

/// The sysctl values `(sched_rt_period_us, sched_rt_runtime_us)`.
pub fn rt_sysctl() -> (u64, i64) {
    (
        RT_PERIOD_US.load(Ordering::Relaxed),
        RT_RUNTIME_US.load(Ordering::Relaxed),
    )
}

/// Sets the sysctl values (EINVAL unless a period of 1 µs..=INT_MAX and a runtime of -1 or
/// at most the period, as `sched_rt_handler`).
pub fn set_rt_sysctl(period_us: i64, runtime_us: i64) -> Result<(), abi::Errno> {
    if !RtLimits::is_valid_sysctl(period_us, runtime_us) {
        return Err(abi::Errno::EINVAL);
    }
    RT_PERIOD_US.store(period_us as u64, Ordering::Relaxed);
    RT_RUNTIME_US.store(runtime_us, Ordering::Relaxed);
    Ok(())
}

/// The CPU this code runs on (from its per-CPU area).
pub fn cpu_id() -> usize {
    hal::sync::cpu_id()
}

/// Sets CPU `cpu`'s need-resched flag.
fn set_need_resched(cpu: usize, value: bool) {
    if let Some(flag) = NEED_RESCHED.get_remote(cpu) {
        flag.store(value, Ordering::Relaxed);
    }
}

fn this_queue() -> &'static SpinLock<RunQueue> {
    &RUN_QUEUES[cpu_id()]
}

/// Makes the code running now this CPU's idle context. Call once per CPU at boot.
pub fn init_cpu() {
    this_queue().lock().idle = Some(ExecutionContext::adopt_current());
}

/// The thread running on this CPU, if any (none while idle).
pub fn current() -> Option<Arc<Thread>> {
    this_queue().lock().current.clone()
}

impl RunQueue {
    /// Publishes this queue's runnable count (`NR_RUNNING`), after a change.
    fn publish(&self, cpu: usize) {
        NR_RUNNING[cpu].store(
            self.waiting.len() + usize::from(self.current.is_some()),
            Ordering::Relaxed,
        );
    }

    /// Charges the running thread for the time since it was last charged.
    /// Returns the time charged.
    fn charge_current(&mut self, now_ns: u64, limits: RtLimits) -> u64 {
        let delta = now_ns.saturating_sub(self.charged_at_ns);
        self.charged_at_ns = now_ns;
        match &self.current {
            Some(current) => {
                let mut info = current.sched.lock();
                self.waiting.charge(&mut info.entity, delta, now_ns, limits);
            }
            None => self.waiting.bandwidth.refresh(now_ns, limits),
        }
        delta
    }

    /// Whether `candidate`, just queued, should preempt what runs (`check_preempt_curr`).
    fn should_preempt(&self, candidate: &Entity, limits: RtLimits) -> bool {
        match &self.current {
            Some(current) => {
                self.waiting
                    .should_preempt(&current.sched.lock().entity, candidate, limits)
            }
            None => true,
        }
    }
}

/// Adds a new thread to a run queue (after fork/clone). It first runs its context's entry.
/// It goes to the least loaded CPU it may use (Linux's fork balancing, `SD_BALANCE_FORK`).
pub fn spawn(thread: Arc<Thread>) {
    let affinity = thread.sched.lock().affinity;
    let cpu = least_loaded(allowed_cpus(affinity));
    let mut rq = RUN_QUEUES[cpu].lock();
    let mut info = thread.sched.lock();
    info.state = TaskState::Running;
    info.cpu = cpu;
    rq.waiting
        .enqueue(&mut info.entity, thread.clone(), Placement::New);
    // `wake_up_new_task`: a real-time child preempts a parent of lower priority.
    let should_kick = rq.should_preempt(&info.entity, rt_limits());
    if should_kick {
        set_need_resched(cpu, true);
    }
    drop(info);
    rq.publish(cpu);
    drop(rq);
    if should_kick {
        kick(cpu);
    }
}

/// Charges the thread running on this CPU for its time since the last charge, so that its CPU
/// time read now includes the slice in progress (Linux's `task_sched_runtime` calls
/// `update_curr` for a running task). Not for tick or timer context: it takes the run queue.
pub fn charge_running() {
    let mut rq = this_queue().lock();
    let now = crate::time::monotonic_ns();
    let _ = rq.charge_current(now, rt_limits());
}

/// Accounts a timer tick to the running thread and decides whether it should be preempted.
pub fn tick() {
    let mut rq = this_queue().lock();
    let now = crate::time::monotonic_ns();
    let limits = rt_limits();
    // A SCHED_RR slice shrinks by the time actually run since the last charge (a tick, or less
    // after a switch; more when ticks came late), not by a fixed tick length.
    let charged_ns = rq.charge_current(now, limits);
    stats::on_tick(now, nr_running_total() as u64);
    // Periodic balancing: threads wait here while a CPU idles; that CPU pulls one
    // (`pull_task`) once the IPI wakes it.
    if !rq.waiting.is_empty() && hal::smp::online_count() > 1 {
        let me = cpu_id();
        if let Some(idle) =
            cpus_of(hal::smp::online_mask()).find(|&cpu| cpu != me && nr_running(cpu) == 0)
        {
            hal::smp::send_reschedule(idle);
        }
    }
    let ran = now.saturating_sub(rq.picked_at_ns);
    let outcome = match &rq.current {
        Some(current) => rq
            .waiting
            .tick(&mut current.sched.lock().entity, ran, charged_ns, limits),
        None if rq.waiting.has_runnable(limits) => TickOutcome::Preempt,
        None => TickOutcome::Continue,
    };
    if outcome == TickOutcome::RoundRobin {
        rq.requeue_tail = true;
    }
    if outcome != TickOutcome::Continue {
        NEED_RESCHED.with(|flag| flag.store(true, Ordering::Relaxed));
    }
}

/// Whether the running thread should call [`schedule`] before returning to user mode.
#[inline]
pub fn need_resched() -> bool {
    // An atomic read of this CPU's flag needs no preemption guard (Linux's `raw_cpu_read`).
    NEED_RESCHED
        .get_remote(cpu_id())
        .is_some_and(|flag| flag.load(Ordering::Relaxed))
}

/// Gives the CPU to the next runnable thread. The calling thread stays runnable unless its state
/// says otherwise (sleeping, stopped, dead); it returns from here when it next runs.
pub fn schedule() {
    let me = cpu_id();
    let mut migrating = None;
    let (next_context, previous) = {
        let mut rq = this_queue().lock();
        let now = crate::time::monotonic_ns();
        let limits = rt_limits();
        let _ = rq.charge_current(now, limits);
        NEED_RESCHED.with(|flag| flag.store(false, Ordering::Relaxed));
        let placement = if core::mem::take(&mut rq.requeue_tail) {
            Placement::RequeueTail
        } else {
            Placement::Requeue
        };
        let previous = rq.current.take();
        if let Some(thread) = &previous {
            let mut info = thread.sched.lock();
            // /proc/<pid>/status: a switch away from a runnable thread is involuntary.
            if info.state == TaskState::Running {
                info.involuntary_switches += 1;
            } else {
                info.voluntary_switches += 1;
            }
            if info.state == TaskState::Running && !info.entity.is_queued() {
                if allowed_cpus(info.affinity) & (1 << me) == 0 {
                    // Its affinity no longer includes this CPU: it moves once we have let it
                    // go (`migrate_to`), runnable but in no queue meanwhile.
                    migrating = Some((thread.clone(), rq.waiting.fair.min_vruntime()));
                } else {
                    rq.waiting
                        .enqueue(&mut info.entity, thread.clone(), placement);
                }
            }
        }
        let next = match rq.waiting.pop_next(limits) {
            Some((key, thread)) => {
                rq.waiting
                    .mark_dequeued(&mut thread.sched.lock().entity, key);
                Some(thread)
            }
            None => None,
        };
        rq.picked_at_ns = now;
        if let Some(previous) = &previous
            && !next
                .as_ref()
                .is_some_and(|next| Arc::ptr_eq(next, previous))
        {
            // rseq_preempt: a critical section it was in must restart.
            previous.rseq.on_switch_out();
        }
        let next_context = match &next {
            Some(thread) => {
                let is_same = previous
                    .as_ref()
                    .is_some_and(|previous| Arc::ptr_eq(previous, thread));
                if !is_same {
                    thread.process.mm.get().activate();
                    stats::count_switch();
                }
                thread.context.clone()
            }
            None => {
                if hal::smp::online_count() > 1 {
                    // An idle CPU keeps no address space loaded: the last thread of a process
                    // may exit elsewhere and free it.
                    hal::mm::user_space::UserSpace::activate_kernel();
                }
                match &rq.idle {
                    Some(idle) => idle.clone(),
                    None => panic!("schedule() before sched::init_cpu()"),
                }
            }
        };
        rq.current = next;
        rq.publish(me);
        (next_context, previous)
    };
    if let Some((thread, from_min)) = migrating {
        migrate_to(&thread, from_min);
    }
    // A dead thread's last reference may go here; its stack stays alive until the switch is
    // done, because the CPU holds its context.
    drop(previous);
    hal::task::switch_to(next_context);
}

/// `sched_yield`: a real-time thread goes to the tail of its priority level (`yield_task_rt`),
/// a fair one behind every waiting fair thread of its queue.
pub fn yield_now() {
    {
        let mut rq = this_queue().lock();
        let now = crate::time::monotonic_ns();
        let _ = rq.charge_current(now, rt_limits());
        let leftmost = rq.waiting.fair.leftmost_vruntime();
        let mut is_real_time = false;
        if let Some(current) = &rq.current {
            let mut info = current.sched.lock();
            is_real_time = info.entity.class != Class::Fair;
            if let (false, Some(leftmost)) = (is_real_time, leftmost) {
                info.entity.vruntime = info.entity.vruntime.max(leftmost.saturating_add(1));
            }
        }
        rq.requeue_tail = is_real_time;
    }
    schedule();
}

/// Sets the running thread's state before it sleeps (Linux's `set_current_state`).
pub fn set_current_state(thread: &Thread, state: TaskState) {
    thread.sched.lock().state = state;
}

/// Wakes `thread` if it sleeps in a state `accept` admits; returns whether it was woken.
/// A thread that is off every CPU is placed by [`select_cpu`] (Linux's `try_to_wake_up`).
fn wake_up_if(thread: &Arc<Thread>, accept: impl Fn(TaskState) -> bool) -> bool {
    let (rq, cpu) = lock_thread_queue(thread);
    let mut info = thread.sched.lock();
    if !accept(info.state) {
        return false;
    }
    info.state = TaskState::Running;
    let is_running_now = rq
        .current
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, thread));
    if is_running_now || info.entity.is_queued() {
        return true;
    }
    let target = if hal::smp::online_count() > 1 && info.entity.class == Class::Fair {
        select_cpu(cpu, info.affinity)
    } else if allowed_cpus(info.affinity) & (1 << cpu) == 0 {
        least_loaded(allowed_cpus(info.affinity))
    } else {
        cpu
    };
    let from_min = (target != cpu).then(|| rq.waiting.fair.min_vruntime());
    // Runnable, in no queue, belonging to `target` from now on: nothing else queues it (a
    // second waker sees it running) until `enqueue_woken` takes the target's lock.
    info.cpu = target;
    drop(info);
    drop(rq);
    enqueue_woken(thread, target, from_min, Placement::Wakeup);
    true
}

/// Queues the runnable `thread`, which belongs to `cpu` and is in no queue, on `cpu`'s queue
/// (its lag carried over from a queue whose smallest virtual runtime was `from_min` when it
/// changes CPU), and makes that CPU reschedule if it should run it first.
fn enqueue_woken(thread: &Arc<Thread>, cpu: usize, from_min: Option<u64>, placement: Placement) {
    let mut rq = RUN_QUEUES[cpu].lock();
    let mut info = thread.sched.lock();
    if info.cpu != cpu || info.entity.is_queued() || info.state != TaskState::Running {
        return;
    }
    let is_running_now = rq
        .current
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, thread));
    if is_running_now {
        return;
    }
    if let Some(from_min) = from_min {
        let to_min = rq.waiting.fair.min_vruntime();
        renormalise(&mut info.entity, from_min, to_min);
    }
    rq.waiting
        .enqueue(&mut info.entity, thread.clone(), placement);
    let should_kick = rq.current.is_none() || rq.should_preempt(&info.entity, rt_limits());
    if should_kick {
        set_need_resched(cpu, true);
    }
    drop(info);
    rq.publish(cpu);
    drop(rq);
    if should_kick {
        kick(cpu);
    }
}

/// Moves the runnable `thread`, just switched away from on this CPU and in no queue, to a CPU
/// its affinity allows.
fn migrate_to(thread: &Arc<Thread>, from_min: u64) {
    let target = {
        let mut info = thread.sched.lock();
        let target = least_loaded(allowed_cpus(info.affinity));
        info.cpu = target;
        target
    };
    enqueue_woken(thread, target, Some(from_min), Placement::Requeue);
}

/// Idle balancing: this idle CPU takes a waiting fair thread from the busiest queue (most
/// runnable threads, at least one waiting) that it may run (Linux's `newidle_balance`; the
/// tail of the tree first: the thread that would wait longest there). Returns whether it
/// took one.
fn pull_task() -> bool {
    let me = cpu_id();
    let online = hal::smp::online_mask();
    let Some(busiest) = cpus_of(online)
        .filter(|&cpu| cpu != me && nr_running(cpu) >= 2)
        .max_by_key(|&cpu| nr_running(cpu))
    else {
        return false;
    };
    let (mut source, mut mine) = double_lock(busiest, me);
    if !mine.waiting.is_empty() || mine.current.is_some() {
        return false;
    }
    let candidate = source
        .waiting
        .fair
        .values_rev()
        .find(|thread| allowed_cpus(thread.sched.lock().affinity) & (1 << me) != 0)
        .cloned();
    let Some(thread) = candidate else {
        return false;
    };
    let mut info = thread.sched.lock();
    let Some(value) = source.waiting.remove(&mut info.entity) else {
        return false;
    };
    let (from_min, to_min) = (
        source.waiting.fair.min_vruntime(),
        mine.waiting.fair.min_vruntime(),
    );
    renormalise(&mut info.entity, from_min, to_min);
    info.cpu = me;
    mine.waiting
        .enqueue(&mut info.entity, value, Placement::Requeue);
    drop(info);
    source.publish(busiest);
    mine.publish(me);
    true
}

/// Wakes `thread` from any sleep (not from a stop). Returns whether it was asleep.
pub fn wake_up(thread: &Arc<Thread>) -> bool {
    wake_up_if(thread, |state| matches!(state, TaskState::Sleeping(_)))
}

/// Wakes `thread` for a signal: an interruptible sleep ends for any signal, a killable one only
/// if `is_fatal`.
/// A thread running on another CPU is sent the reschedule IPI, so that it leaves user mode
/// and sees the signal now (Linux's `signal_wake_up` → `kick_process`).
pub fn wake_up_for_signal(thread: &Arc<Thread>, is_fatal: bool) -> bool {
    let is_woken = wake_up_if(thread, |state| match state {
        TaskState::Sleeping(SleepKind::Interruptible) => true,
        TaskState::Sleeping(SleepKind::Killable) | TaskState::Stopped | TaskState::Traced => {
            is_fatal
        }
        _ => false,
    });
    if !is_woken && hal::smp::online_count() > 1 {
        let (rq, cpu) = lock_thread_queue(thread);
        let is_running_there = rq
            .current
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, thread));
        drop(rq);
        if is_running_there {
            kick(cpu);
        }
    }
    is_woken
}

/// Resumes a stopped thread (SIGCONT).
pub fn wake_up_stopped(thread: &Arc<Thread>) -> bool {
    wake_up_if(thread, |state| state == TaskState::Stopped)
}

/// Resumes a thread stopped for its tracer (or that its tracer let go).
pub fn wake_up_traced(thread: &Arc<Thread>) -> bool {
    wake_up_if(thread, |state| state == TaskState::Traced)
}

/// The idle loop of this CPU: runs expired timers, runs whatever is runnable, and halts when
/// nothing is.
pub fn run_idle() -> ! {
    loop {
        // Device interrupts taken during the halt: their drivers' handlers (hal::irq).
        hal::irq::run_pending();
        timer::run_expired();
        let has_work = {
            let mut rq = this_queue().lock();
            let limits = rt_limits();
            rq.waiting
                .bandwidth
                .refresh(crate::time::monotonic_ns(), limits);
            rq.waiting.has_runnable(limits)
        };
        if has_work || (hal::smp::online_count() > 1 && pull_task()) {
            schedule();
        } else {
            crate::time::idle_wait();
            crate::time::update_coarse_clocks();
        }
    }
}

/// Ends the running thread: it is marked dead and leaves the CPU for good. The caller must
/// have dropped every value it owns (they would leak: this stack is never resumed).
pub fn exit_current() -> ! {
    hal::sync::assert_no_locks_held("exiting a thread");
    if let Some(thread) = current() {
        set_current_state(&thread, TaskState::Dead);
    }
    schedule();
    unreachable!("a dead thread was scheduled again")
}

/// Sets the CPUs `thread` may run on (sched_setaffinity; `mask` names at least one online
/// CPU). A thread waiting on a CPU it may no longer use moves at once; one running there
/// moves at its next switch, which the CPU is asked for now (Linux's `affine_move_task`).
pub fn set_affinity(thread: &Arc<Thread>, mask: u64) {
    let (mut rq, cpu) = lock_thread_queue(thread);
    let mut info = thread.sched.lock();
    info.affinity = mask;
    if allowed_cpus(mask) & (1 << cpu) != 0 {
        return;
    }
    let is_running_now = rq
        .current
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, thread));
    if is_running_now {
        set_need_resched(cpu, true);
        drop(info);
        drop(rq);
        kick(cpu);
        return;
    }
    if !info.entity.is_queued() {
        // Asleep or stopped: its wake-up places it on an allowed CPU.
        return;
    }
    let Some(value) = rq.waiting.remove(&mut info.entity) else {
        return;
    };
    drop(value);
    let from_min = rq.waiting.fair.min_vruntime();
    let target = least_loaded(allowed_cpus(mask));
    info.cpu = target;
    drop(info);
    rq.publish(cpu);
    drop(rq);
    enqueue_woken(thread, target, Some(from_min), Placement::Requeue);
}

/// Changes `thread`'s nice value (setpriority), requeueing it if it waits.
pub fn set_nice(thread: &Arc<Thread>, nice: i32) {
    update(thread, |info| info.nice = nice);
}

/// Changes `thread`'s policy and real-time priority (sched_setscheduler).
pub fn set_policy(thread: &Arc<Thread>, policy: i32, rt_priority: u32, reset_on_fork: bool) {
    update(thread, |info| {
        info.policy = policy;
        info.rt_priority = rt_priority;
        info.reset_on_fork = reset_on_fork;
        info.deadline = DeadlineParams::default();
    });
}

/// Changes everything sched_setattr sets at once: policy, priority, nice value, deadline
/// parameters and the reset-on-fork flag.
pub fn set_attributes(
    thread: &Arc<Thread>,
    policy: i32,
    rt_priority: u32,
    nice: i32,
    deadline: DeadlineParams,
    reset_on_fork: bool,
) {
    update(thread, |info| {
        info.policy = policy;
        info.rt_priority = rt_priority;
        info.nice = nice;
        info.deadline = deadline;
        info.reset_on_fork = reset_on_fork;
    });
}

/// The deadline bandwidth admitted so far, in parts of 2^20 of a CPU, and whether a change
/// from `old` to `new` parameters fits under the real-time limit (`sched_dl_overflow`: the sum
/// of runtime/period over deadline threads at most `sched_rt_runtime_us /
/// sched_rt_period_us` times the online CPUs, the root domain's capacity).
pub fn deadline_admits(old: Option<DeadlineParams>, new: Option<DeadlineParams>) -> bool {
    let ratio = |params: DeadlineParams| -> u64 {
        let period = if params.period_ns == 0 {
            params.deadline_ns
        } else {
            params.period_ns
        };
        ((u128::from(params.runtime_ns) << 20) / u128::from(period.max(1))) as u64
    };
    let (period_us, runtime_us) = rt_sysctl();
    let Ok(runtime_us) = u64::try_from(runtime_us) else {
        return true;
    };
    let per_cpu = ((u128::from(runtime_us) << 20) / u128::from(period_us.max(1))) as u64;
    let capacity = per_cpu.saturating_mul(hal::smp::online_count().max(1) as u64);
    DEADLINE_BANDWIDTH
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |total| {
            let without_old = total.saturating_sub(old.map_or(0, ratio));
            let with_new = without_old.saturating_add(new.map_or(0, ratio));
            (new.is_none() || with_new <= capacity).then_some(with_new)
        })
        .is_ok()
}

/// Releases a deadline thread's bandwidth (at exit, `task_dead_dl`).
pub fn deadline_release(thread: &Thread) {
    let info = thread.sched.lock();
    if info.policy == SCHED_DEADLINE {
        let params = info.deadline;
        drop(info);
        deadline_admits(Some(params), None);
    }
}

/// The bandwidth of every admitted SCHED_DEADLINE thread, in parts of 2^20 of a CPU.
static DEADLINE_BANDWIDTH: AtomicU64 = AtomicU64::new(0);

/// Sets `thread`'s priority-inheritance boost (0: none), requeueing it at its new priority
/// (`rt_mutex_setprio`).
pub fn set_pi_priority(thread: &Arc<Thread>, priority: u32) {
    update(thread, |info| info.pi_priority = priority);
}

/// Applies `change` to `thread`'s scheduling data, derives its class and weight again and
/// requeues it if it waits and either changed (`__sched_setscheduler`'s dequeue, change,
/// enqueue: a lowered real-time priority goes to the head of its new level, anything else to
/// the tail; a thread leaving the real-time class is placed like a waking fair one). Then the
/// CPU reschedules if the change means another thread should run (`check_class_changed`).
fn update(thread: &Arc<Thread>, change: impl FnOnce(&mut SchedInfo)) {
    let (mut rq, cpu) = lock_thread_queue(thread);
    let limits = rt_limits();
    let mut info = thread.sched.lock();
    change(&mut info);
    let weight = info.weight();
    let class = info.class();
    let old_class = info.entity.class;
    info.entity.fair_policy = match info.policy {
        SCHED_BATCH => FairPolicy::Batch,
        SCHED_IDLE => FairPolicy::Idle,
        _ => FairPolicy::Normal,
    };
    if class == old_class && weight == info.entity.weight {
        return;
    }
    let old_priority = info.entity.rt_priority();
    if info.entity.is_queued() {
        if let Some(value) = rq.waiting.remove(&mut info.entity) {
            info.entity.weight = weight;
            info.entity.class = class;
            let placement = match class {
                Class::RealTime { priority, .. } if priority < old_priority => Placement::Lowered,
                Class::RealTime { .. } => Placement::RequeueTail,
                Class::Fair if old_class != Class::Fair => Placement::Wakeup,
                Class::Fair => Placement::Requeue,
            };
            rq.waiting.enqueue(&mut info.entity, value, placement);
            if rq.should_preempt(&info.entity, limits) {
                set_need_resched(cpu, true);
                kick(cpu);
            }
        }
        return;
    }
    info.entity.weight = weight;
    info.entity.class = class;
    let is_running_now = rq
        .current
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, thread));
    if is_running_now && rq.waiting.should_yield_to_waiting(&info.entity, limits) {
        set_need_resched(cpu, true);
        kick(cpu);
    }
}

/// The CFS slice of `thread` as `sched_rr_get_interval` reports it for fair policies: the
/// latency period (6 ms, or 0.75 ms per runnable thread beyond 8) shared by the runnable
/// threads of its CPU, in whole ticks (`NS_TO_JIFFIES(sched_slice())`).
pub fn fair_slice_ns(thread: &Arc<Thread>) -> u64 {
    let cpu = thread.sched.lock().cpu;
    let runnable = {
        let rq = RUN_QUEUES[cpu].lock();
        (rq.waiting.fair.len() + usize::from(rq.current.is_some())).max(1) as u64
    };
    let period = sched_policy::SCHED_LATENCY_NS.max(runnable * sched_policy::MIN_GRANULARITY_NS);
    let tick = 1_000_000_000 / hal::time::TICK_HZ;
    (period / runnable) / tick * tick
}

/// Number of runnable threads on this CPU, the running one included (for /proc/loadavg and
/// sysinfo's `procs`).
#[expect(dead_code, reason = "for /proc/loadavg and sysinfo")]
pub fn runnable_count() -> usize {
    let rq = this_queue().lock();
    rq.waiting.len() + usize::from(rq.current.is_some())
}
