//! Synchronisation primitives: every lock in the kernel is one of these, chosen deliberately
//! (see docs/locking.md for the list and the one lock order).
//!
//! - [`SpinLock`]: a spin lock whose guard disables preemption; never held across a sleep, a
//!   user copy, a page fault or a return to user mode (each of those panics while preemption
//!   is disabled). [`SpinLockIrq`] also disables interrupts, for data shared with interrupt
//!   handlers.
//! - [`Mutex`] and [`RwLock`]: sleeping locks built on hal's wait list; the scheduler
//!   registers the hooks that block and wake threads ([`set_sched_hooks`]). Uncontended, one
//!   atomic operation; contended, FIFO hand-over (writers do not starve).
//! - [`CpuLocal`]: one value per CPU, reached only with preemption disabled; [`cpu_id`] reads
//!   the CPU's index from its per-CPU area.
//! - [`PreemptGuard`], [`might_sleep`], [`might_fault`]: the per-CPU preemption count and its
//!   checks (`preempt.rs`).
//! - A lock-order checker (`lockdep.rs`), on with the `lockdep` feature (test builds).
//!
//! One-time initialisation uses `spin::Once`, which is not a lock (no data is guarded after
//! the first call).

mod cpu_local;
mod lockdep;
mod mutex;
mod preempt;
mod rwlock;
mod spinlock;
mod wait_list;

mod ktests;

pub use cpu_local::{CpuLocal, MAX_CPUS, cpu_id};
#[cfg(feature = "lockdep")]
pub(crate) use lockdep::HeldStack;
#[cfg(feature = "lockdep")]
pub use lockdep::for_each_order;
pub use lockdep::in_separate_context;
pub use mutex::{Mutex, MutexGuard};
pub use preempt::{
    PreemptGuard, assert_no_locks_held, in_atomic, in_interrupt, might_fault, might_sleep,
    preempt_count,
};
pub(crate) use preempt::{assert_may_return_to_user, assert_may_switch, irq_enter, irq_exit};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use spinlock::{IrqGuard, SpinLock, SpinLockGuard, SpinLockIrq, SpinLockIrqGuard};
pub use wait_list::{SchedHooks, set_sched_hooks};
