//! A counter kept per CPU and folded into a shared total in batches (Linux's
//! `lib/percpu_counter.c`): counting on a hot path (every open and close of a file) touches
//! only the running CPU's slot, while [`PercpuCounter::read`] gives the shared total, off by
//! less than a batch per CPU, and [`PercpuCounter::sum`] the exact count. Limits are checked
//! as Linux does: against the cheap estimate first, against the sum only when that is near.

use core::sync::atomic::{AtomicI64, Ordering};
use hal::sync::{CpuLocal, MAX_CPUS};

/// Linux's `percpu_counter_batch`: `max(32, 2 × CPUs)`.
const BATCH: i64 = if 2 * MAX_CPUS as i64 > 32 {
    2 * MAX_CPUS as i64
} else {
    32
};

pub struct PercpuCounter {
    total: AtomicI64,
    /// What each CPU added since it last folded its part into `total`; written only by its
    /// own CPU, read by [`PercpuCounter::sum`] from any.
    local: CpuLocal<AtomicI64>,
}

impl PercpuCounter {
    pub const fn new() -> PercpuCounter {
        PercpuCounter {
            total: AtomicI64::new(0),
            local: CpuLocal::new([const { AtomicI64::new(0) }; MAX_CPUS]),
        }
    }

    /// Adds `delta` (negative to count down).
    pub fn add(&self, delta: i64) {
        self.local.with(|local| {
            let value = local.load(Ordering::Relaxed) + delta;
            if value.abs() >= BATCH {
                self.total.fetch_add(value, Ordering::Relaxed);
                local.store(0, Ordering::Relaxed);
            } else {
                local.store(value, Ordering::Relaxed);
            }
        });
    }

    /// The shared total: cheap, off by less than a batch per CPU.
    pub fn read(&self) -> i64 {
        self.total.load(Ordering::Relaxed)
    }

    /// The exact count (at the moment each CPU's part is read), never below 0
    /// (`percpu_counter_sum_positive`).
    pub fn sum(&self) -> i64 {
        let parts: i64 = (0..MAX_CPUS)
            .filter_map(|cpu| self.local.get_remote(cpu))
            .map(|local| local.load(Ordering::Relaxed))
            .sum();
        (self.total.load(Ordering::Relaxed) + parts).max(0)
    }

    /// Whether the count is at least `limit`, reading the exact sum only when the estimate
    /// is within the error of the batches (`__percpu_counter_compare`).
    pub fn is_at_least(&self, limit: i64) -> bool {
        let estimate = self.read();
        let error = BATCH * MAX_CPUS as i64;
        if estimate - error >= limit {
            return true;
        }
        if estimate + error < limit {
            return false;
        }
        self.sum() >= limit
    }
}

hal::ktest! {
    /// Counts below a batch stay on the CPU; the sum sees them, the estimate does not.
    fn batches_fold_into_the_total() -> hal::ktest::KtestResult {
        let counter = PercpuCounter::new();
        counter.add(5);
        hal::ktest_assert_eq!(counter.read(), 0);
        hal::ktest_assert_eq!(counter.sum(), 5);
        hal::ktest_assert!(counter.is_at_least(5), "5 is at least 5");
        hal::ktest_assert!(!counter.is_at_least(6), "5 is not at least 6");
        for _ in 0..BATCH {
            counter.add(1);
        }
        hal::ktest_assert!(counter.read() > 0, "a full batch reaches the total");
        hal::ktest_assert_eq!(counter.sum(), 5 + BATCH);
        for _ in 0..(5 + BATCH) {
            counter.add(-1);
        }
        hal::ktest_assert_eq!(counter.sum(), 0);
        Ok(())
    }
}
