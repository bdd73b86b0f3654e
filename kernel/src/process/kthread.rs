//! Kernel threads (Linux's `kthread_create`): a thread that never enters user mode, in a
//! process of its own with no files and an empty address space, run at `entry`.
//!
//! Linux lists its kernel threads under kthreadd (pid 2) in `/proc`; Ferrux has no kthreadd,
//! so its kernel threads are kept out of the pid table: `ps`, `/proc` and signals do not see
//! them (their tid is only a name for the scheduler and the lock checker).

use crate::mm::{AddressSpace, Mm};
use crate::process::credentials::Credentials;
use crate::process::rlimit::ResourceLimits;
use crate::process::{
    Lifecycle, Process, ProcessFlags, ProcessStats, Shared, Thread, Usage, shared, table,
};
use crate::sched::wait::WaitQueue;
use crate::signal::SignalState;
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::AtomicU64;
use hal::sync::SpinLock;
use hal::user::UserContext;
use sigrules::PendingQueue;

/// Starts a kernel thread named `name` (at most 15 bytes) running `entry`, which never
/// returns.
pub fn spawn(name: &[u8], entry: fn(usize) -> !) -> Result<Arc<Thread>, Errno> {
    let pid = table::allocate_pid()?;
    let mut comm = [0u8; 16];
    let len = name.len().min(15);
    comm[..len].copy_from_slice(&name[..len]);
    let max_threads = crate::sysctl::limits().max_threads;
    let process = Arc::new(Process {
        pid,
        pid_ns: crate::ns::pid::initial().clone(),
        is_child_reaper: false,
        serial: table::next_serial(),
        parent: SpinLock::new("process.parent", Weak::new()),
        children: SpinLock::new("process.children", Vec::new()),
        threads: SpinLock::new("process.threads", Vec::new()),
        mm: Shared::new(Mm::new(AddressSpace::try_new()?)),
        files: Shared::new(shared::locked_files(crate::fs::fd_table::FdTable::new())),
        fs: Shared::new(shared::locked_fs(crate::fs::FsContext::clone(
            &crate::fs::initial_context(),
        ))),
        credentials: SpinLock::new("process.credentials", Credentials::root()),
        signals: Shared::new(shared::locked_signals(SignalState::default())),
        shared_pending: SpinLock::new("process.shared_pending", PendingQueue::new()),
        limits: SpinLock::new("process.limits", ResourceLimits::for_init(max_threads)),
        name: SpinLock::new("process.name", comm),
        pgid: AtomicU64::new(0),
        sid: AtomicU64::new(0),
        exit_signal: 0,
        lifecycle: SpinLock::new("process.lifecycle", Lifecycle::default()),
        child_events: WaitQueue::new(),
        exit_events: Arc::new(WaitQueue::new()),
        signalfd_wait: Arc::new(WaitQueue::new()),
        vfork_done: SpinLock::new("process.vfork_done", None),
        flags: SpinLock::new("process.flags", ProcessFlags::default()),
        usage: SpinLock::new("process.usage", Usage::default()),
        timers: SpinLock::new("process.timers", crate::timers::ProcessTimers::new()),
        start_time_ns: crate::time::monotonic_ns(),
        stats: ProcessStats::default(),
        sysvsem: SpinLock::new("process.sysvsem", None),
        ptraced: SpinLock::new("process.ptraced", Vec::new()),
        traced_by: SpinLock::new("process.traced_by", Weak::new()),
    });
    let thread =
        Thread::try_new_with_entry(pid, process.clone(), UserContext::try_new()?, 0, 0, entry)?;
    process.threads.lock().push(thread.clone());
    crate::sched::spawn(thread.clone());
    Ok(thread)
}
