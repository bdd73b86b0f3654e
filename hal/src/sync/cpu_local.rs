//! [`CpuLocal`]: one value per CPU, reached only with preemption disabled (Linux's `DEFINE_PER_CPU`
//! with `get_cpu_var`/`this_cpu_*`), and [`cpu_id`], the running CPU's index read from its
//! per-CPU area through GS.
//!
//! The running CPU's slot is reached through [`CpuLocal::with`] (a closure, preemption disabled
//! for its length) or [`CpuLocal::get`] (borrowing a [`PreemptGuard`]), so the caller cannot
//! move to another CPU while it holds the reference. No kernel code runs in interrupt context
//! (hal's interrupt handlers only acknowledge and count), so nothing else on the CPU can reach
//! the slot meanwhile: a `CpuLocal<Cell<u64>>` needs no atomics. Other CPUs' slots are reachable
//! only for `Sync` values ([`CpuLocal::get_remote`]), for state that others update (atomics).

use super::preempt::PreemptGuard;

/// CPUs that per-CPU arrays have room for (CPU masks are `u64`s). Linux's `NR_CPUS`; the
/// CPUs actually started are `smp::online_mask()`.
pub const MAX_CPUS: usize = 64;

/// The index of the CPU running this code, from its per-CPU area. It can change at any moment
/// unless preemption is disabled (hold a [`PreemptGuard`] to keep it meaningful).
#[inline]
pub fn cpu_id() -> usize {
    crate::arch::x86_64::gdt::cpu_index()
}

/// A value per CPU.
pub struct CpuLocal<T> {
    slots: [T; MAX_CPUS],
}

// SAFETY: a slot is reached as `&T` only by the CPU it belongs to, with preemption disabled
// for the reference's lifetime, and never from interrupt context, so one thread at a time uses
// it (that needs `T: Send` only: the value may have been made on another thread). Other CPUs
// reach a slot only through `get_remote`, which requires `T: Sync`.
unsafe impl<T: Send> Sync for CpuLocal<T> {}

impl<T> CpuLocal<T> {
    /// One value per CPU: `CpuLocal::new([const { Cell::new(0) }; MAX_CPUS])`.
    pub const fn new(slots: [T; MAX_CPUS]) -> CpuLocal<T> {
        CpuLocal { slots }
    }

    /// Runs `f` on this CPU's value, with preemption disabled.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let guard = PreemptGuard::new();
        f(self.get(&guard))
    }

    /// This CPU's value, for as long as preemption stays disabled.
    #[inline]
    pub fn get<'a>(&'a self, _guard: &'a PreemptGuard) -> &'a T {
        debug_assert!(
            !super::preempt::in_interrupt(),
            "CpuLocal used from interrupt context"
        );
        &self.slots[cpu_id()]
    }
}

impl<T: Sync> CpuLocal<T> {
    /// CPU `cpu`'s value (for values other CPUs update, such as atomics), or `None` if there
    /// is no such CPU.
    pub fn get_remote(&self, cpu: usize) -> Option<&T> {
        self.slots.get(cpu)
    }
}
