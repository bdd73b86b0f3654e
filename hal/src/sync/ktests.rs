//! In-kernel tests of the primitives that only a running CPU can show: the preemption count
//! under spin locks, the `try_` forms, per-CPU slots, and the user atomics' fault fixup. The
//! contended paths of the sleeping locks need threads: the kernel tests those
//! (`sched/lock_hooks.rs`).

use super::{CpuLocal, MAX_CPUS, Mutex, PreemptGuard, RwLock, SpinLock, cpu_id, preempt_count};
use crate::ktest::KtestResult;
use core::sync::atomic::{AtomicU32, Ordering};

crate::ktest! {
    /// Each spin-lock guard raises the preemption count by one until it is dropped; sleeping
    /// locks leave it alone.
    fn spin_lock_guards_count_preemption() -> KtestResult {
        static OUTER: SpinLock<u32> = SpinLock::new("test.outer", 0);
        static INNER: SpinLock<u32> = SpinLock::new("test.inner", 0);
        static SLEEPING: Mutex<u32> = Mutex::new("test.sleeping_count", 0);
        let base = preempt_count();
        crate::ktest_assert_eq!(base, 0);
        {
            let _sleeping = SLEEPING.lock();
            crate::ktest_assert_eq!(preempt_count(), base);
            let mut outer = OUTER.lock();
            *outer += 1;
            crate::ktest_assert_eq!(preempt_count(), base + 1);
            {
                let _inner = INNER.lock();
                let _guard = PreemptGuard::new();
                crate::ktest_assert_eq!(preempt_count(), base + 3);
            }
            crate::ktest_assert_eq!(preempt_count(), base + 1);
        }
        crate::ktest_assert_eq!(preempt_count(), base);
        Ok(())
    }
}

crate::ktest! {
    /// The `try_` forms fail on a held lock and succeed once it is free; readers share.
    fn try_forms_respect_holders() -> KtestResult {
        static SPIN: SpinLock<()> = SpinLock::new("test.try_spin", ());
        static MUTEX: Mutex<()> = Mutex::new("test.try_mutex", ());
        static RWLOCK: RwLock<()> = RwLock::new("test.try_rwlock", ());
        {
            let _held = SPIN.lock();
            crate::ktest_assert!(SPIN.try_lock().is_none(), "try_lock took a held spin lock");
        }
        crate::ktest_assert!(SPIN.try_lock().is_some(), "try_lock failed on a free spin lock");
        {
            let _held = MUTEX.lock();
            crate::ktest_assert!(MUTEX.is_locked(), "a held mutex reads as free");
            crate::ktest_assert!(MUTEX.try_lock().is_none(), "try_lock took a held mutex");
        }
        crate::ktest_assert!(MUTEX.try_lock().is_some(), "try_lock failed on a free mutex");
        {
            let _first = RWLOCK.read();
            let second = RWLOCK.try_read();
            crate::ktest_assert!(second.is_some(), "a second reader was refused");
            crate::ktest_assert!(RWLOCK.try_write().is_none(), "a writer entered past readers");
        }
        {
            let _writer = RWLOCK.write();
            crate::ktest_assert!(RWLOCK.try_read().is_none(), "a reader entered past a writer");
        }
        crate::ktest_assert!(RWLOCK.try_write().is_some(), "try_write failed on a free lock");
        Ok(())
    }
}

crate::ktest! {
    /// `CpuLocal` reaches the running CPU's slot, the one `get_remote(cpu_id())` names.
    fn cpu_local_is_this_cpus_slot() -> KtestResult {
        static COUNTER: CpuLocal<AtomicU32> = CpuLocal::new([const { AtomicU32::new(0) }; MAX_CPUS]);
        let cpu = cpu_id();
        crate::ktest_assert!(cpu < MAX_CPUS, "cpu_id {cpu} beyond MAX_CPUS");
        COUNTER.with(|counter| counter.fetch_add(5, Ordering::Relaxed));
        let remote = COUNTER.get_remote(cpu).ok_or("no slot for this CPU")?;
        crate::ktest_assert_eq!(remote.load(Ordering::Relaxed), 5);
        crate::ktest_assert!(COUNTER.get_remote(MAX_CPUS).is_none(), "a slot past MAX_CPUS");
        let guard = PreemptGuard::new();
        crate::ktest_assert_eq!(COUNTER.get(&guard).load(Ordering::Relaxed), 5);
        Ok(())
    }
}

crate::ktest! {
    /// The atomic user operations answer EFAULT for unmapped and kernel addresses (with page
    /// faults enabled or not) and EINVAL for a misaligned word, without touching anything.
    fn user_atomics_fail_cleanly() -> KtestResult {
        use crate::usercopy::{
            UserAtomicOp, atomic_op_user_u32, cmpxchg_user_u32, without_page_faults,
        };
        use abi::Errno;
        // The test thread's user space is empty: nothing is mapped at 1 MiB.
        let unmapped = 0x10_0000;
        crate::ktest_assert_eq!(cmpxchg_user_u32(unmapped, 0, 1), Err(Errno::EFAULT));
        crate::ktest_assert_eq!(
            without_page_faults(|| cmpxchg_user_u32(unmapped, 0, 1)),
            Err(Errno::EFAULT)
        );
        crate::ktest_assert_eq!(
            atomic_op_user_u32(unmapped, UserAtomicOp::Add, 1),
            Err(Errno::EFAULT)
        );
        crate::ktest_assert_eq!(cmpxchg_user_u32(unmapped + 2, 0, 1), Err(Errno::EINVAL));
        crate::ktest_assert_eq!(
            cmpxchg_user_u32(crate::mm::KERNEL_BASE, 0, 1),
            Err(Errno::EFAULT)
        );
        crate::ktest_assert_eq!(preempt_count(), 0);
        Ok(())
    }
}
