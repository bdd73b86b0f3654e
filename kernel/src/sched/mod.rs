//! The scheduler: per-CPU run queues, context switches, sleeping and waking.
//!
//! Policy is CFS (the `sched-policy` crate, host-tested): each CPU's [`RunQueue`] holds its
//! waiting threads ordered by virtual runtime; the running thread is outside the tree, as in
//! Linux. Preemption is driven by the timer tick: [`tick`] charges the running thread and sets
//! `need_resched` when its slice is over or a waiting thread is far enough behind; the
//! per-thread loop calls [`schedule`] before returning to user mode (Linux's
//! `exit_to_user_mode_loop`). The kernel itself is not preemptible (it runs with interrupts off
//! except in the idle loop), so a thread gives up the CPU only there or when it sleeps.
//!
//! Sleeping follows Linux's pattern: set the thread's state to a sleeping state, check the
//! condition, then `schedule()`; a waker sets the state back to running and enqueues the
//! thread ([`wake_up`]). Interruptible sleeps end when a signal is pending, killable ones only
//! for a fatal signal (see [`wait`]).
//!
//! Locks: a run queue's lock is taken before a thread's `sched` lock. Nothing sleeps holding a
//! spin lock. Only the boot CPU runs today, but every queue is per CPU; what SMP still needs
//! (an `on_cpu` hand-off flag so that a thread woken on another CPU is not run before it has
//! left its stack, load balancing, and IPIs for remote wake-ups) is noted where it applies.

pub mod lock_hooks;
pub mod stats;
pub mod timer;
pub mod wait;

use crate::process::Thread;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};
use hal::sync::{CpuLocal, SpinLock};
use hal::task::ExecutionContext;
use sched_policy::{Entity, FairQueue, Placement};

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
    /// CPUs the thread may run on (`sched_setaffinity`), one bit per CPU.
    pub affinity: u64,
    /// Scheduling policy (`SCHED_NORMAL`, `SCHED_BATCH`, `SCHED_IDLE`, `SCHED_FIFO`,
    /// `SCHED_RR`). The real-time policies are recorded and reported but scheduled by CFS like
    /// the others: there is no strict-priority class yet.
    pub policy: i32,
    /// Real-time priority (1..=99 for SCHED_FIFO/SCHED_RR, else 0).
    pub rt_priority: u32,
    /// `SCHED_RESET_ON_FORK`: children start with SCHED_NORMAL and a nice value of at least 0.
    pub reset_on_fork: bool,
    /// Switches away while sleeping (`nvcsw`) and while runnable (`nivcsw`).
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// The I/O priority set by ioprio_set (`io_context->ioprio`; class NONE, 0, when never
    /// set: ioprio_get then derives one from the nice value and policy).
    pub ioprio: u16,
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
            affinity: 1,
            policy: SCHED_NORMAL,
            rt_priority: 0,
            reset_on_fork: false,
            voluntary_switches: 0,
            involuntary_switches: 0,
            ioprio: 0,
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
    waiting: FairQueue<Arc<Thread>>,
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
            waiting: FairQueue::new(),
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
    /// Charges the running thread for the time since it was last charged.
    fn charge_current(&mut self, now_ns: u64) {
        let delta = now_ns.saturating_sub(self.charged_at_ns);
        self.charged_at_ns = now_ns;
        if let Some(current) = &self.current {
            let mut info = current.sched.lock();
            info.entity.charge(delta);
            self.waiting.update_min_vruntime(Some(&info.entity));
        }
    }
}

/// Adds a new thread to a run queue (after fork/clone). It first runs its context's entry.
pub fn spawn(thread: Arc<Thread>) {
    let mut rq = this_queue().lock();
    let mut info = thread.sched.lock();
    info.state = TaskState::Running;
    info.cpu = cpu_id();
    rq.waiting
        .enqueue(&mut info.entity, thread.clone(), Placement::New);
    drop(info);
}

/// Charges the thread running on this CPU for its time since the last charge, so that its CPU
/// time read now includes the slice in progress (Linux's `task_sched_runtime` calls
/// `update_curr` for a running task). Not for tick or timer context: it takes the run queue.
pub fn charge_running() {
    let mut rq = this_queue().lock();
    let now = crate::time::monotonic_ns();
    rq.charge_current(now);
}

/// Accounts a timer tick to the running thread and decides whether it should be preempted.
pub fn tick() {
    let mut rq = this_queue().lock();
    let now = crate::time::monotonic_ns();
    rq.charge_current(now);
    stats::on_tick(
        now,
        rq.waiting.len() as u64 + u64::from(rq.current.is_some()),
    );
    let ran = now.saturating_sub(rq.picked_at_ns);
    let preempt = match &rq.current {
        Some(current) => rq
            .waiting
            .should_preempt_at_tick(&current.sched.lock().entity, ran),
        None => !rq.waiting.is_empty(),
    };
    if preempt {
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
    let (next_context, previous) = {
        let mut rq = this_queue().lock();
        let now = crate::time::monotonic_ns();
        rq.charge_current(now);
        NEED_RESCHED.with(|flag| flag.store(false, Ordering::Relaxed));
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
                rq.waiting
                    .enqueue(&mut info.entity, thread.clone(), Placement::Requeue);
            }
        }
        let next = match rq.waiting.pop_next() {
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
            None => match &rq.idle {
                Some(idle) => idle.clone(),
                None => panic!("schedule() before sched::init_cpu()"),
            },
        };
        rq.current = next;
        (next_context, previous)
    };
    // A dead thread's last reference may go here; its stack stays alive until the switch is
    // done, because the CPU holds its context.
    drop(previous);
    hal::task::switch_to(next_context);
}

/// `sched_yield`: requeues the running thread behind every waiting thread of its queue.
pub fn yield_now() {
    {
        let mut rq = this_queue().lock();
        let now = crate::time::monotonic_ns();
        rq.charge_current(now);
        let leftmost = rq.waiting.leftmost_vruntime();
        if let (Some(current), Some(leftmost)) = (&rq.current, leftmost) {
            let mut info = current.sched.lock();
            info.entity.vruntime = info.entity.vruntime.max(leftmost.saturating_add(1));
        }
    }
    schedule();
}

/// Sets the running thread's state before it sleeps (Linux's `set_current_state`).
pub fn set_current_state(thread: &Thread, state: TaskState) {
    thread.sched.lock().state = state;
}

/// Wakes `thread` if it sleeps in a state `accept` admits; returns whether it was woken.
fn wake_up_if(thread: &Arc<Thread>, accept: impl Fn(TaskState) -> bool) -> bool {
    let cpu = thread.sched.lock().cpu;
    let mut rq = RUN_QUEUES[cpu].lock();
    let mut info = thread.sched.lock();
    if !accept(info.state) {
        return false;
    }
    info.state = TaskState::Running;
    let is_running_now = rq
        .current
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, thread));
    if !is_running_now && !info.entity.is_queued() {
        rq.waiting
            .enqueue(&mut info.entity, thread.clone(), Placement::Wakeup);
        let preempt = match &rq.current {
            Some(current) => rq
                .waiting
                .should_preempt_on_wakeup(&current.sched.lock().entity, &info.entity),
            None => true,
        };
        if preempt {
            set_need_resched(cpu, true);
        }
    }
    true
}

/// Wakes `thread` from any sleep (not from a stop). Returns whether it was asleep.
pub fn wake_up(thread: &Arc<Thread>) -> bool {
    wake_up_if(thread, |state| matches!(state, TaskState::Sleeping(_)))
}

/// Wakes `thread` for a signal: an interruptible sleep ends for any signal, a killable one only
/// if `is_fatal`.
pub fn wake_up_for_signal(thread: &Arc<Thread>, is_fatal: bool) -> bool {
    wake_up_if(thread, |state| match state {
        TaskState::Sleeping(SleepKind::Interruptible) => true,
        TaskState::Sleeping(SleepKind::Killable) | TaskState::Stopped | TaskState::Traced => {
            is_fatal
        }
        _ => false,
    })
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
        let has_work = !this_queue().lock().waiting.is_empty();
        if has_work {
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
    });
}

/// Applies `change` to `thread`'s scheduling data and its new weight, requeueing it if it
/// waits (the weight decides its place).
fn update(thread: &Arc<Thread>, change: impl FnOnce(&mut SchedInfo)) {
    let cpu = thread.sched.lock().cpu;
    let mut rq = RUN_QUEUES[cpu].lock();
    let mut info = thread.sched.lock();
    change(&mut info);
    let weight = info.weight();
    if info.entity.is_queued() {
        if let Some(value) = rq.waiting.remove(&mut info.entity) {
            info.entity.weight = weight;
            rq.waiting
                .enqueue(&mut info.entity, value, Placement::Requeue);
        }
    } else {
        info.entity.weight = weight;
    }
}

/// The CFS slice of `thread` as `sched_rr_get_interval` reports it for fair policies: the
/// latency period (6 ms, or 0.75 ms per runnable thread beyond 8) shared by the runnable
/// threads of its CPU, in whole ticks (`NS_TO_JIFFIES(sched_slice())`).
pub fn fair_slice_ns(thread: &Arc<Thread>) -> u64 {
    let cpu = thread.sched.lock().cpu;
    let runnable = {
        let rq = RUN_QUEUES[cpu].lock();
        (rq.waiting.len() + usize::from(rq.current.is_some())).max(1) as u64
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
