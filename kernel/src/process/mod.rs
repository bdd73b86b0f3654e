//! Processes and threads: identity, credentials, resources, and the per-thread user-mode loop.
//!
//! A [`Process`] (Linux's thread group plus its `mm`, `files`, `fs`, `sighand` and `cred`) holds
//! the address space, the descriptor table, the filesystem context, the signal handlers and the
//! credentials; a [`Thread`] is one schedulable user context of it, with its own kernel stack
//! ([`hal::task::ExecutionContext`]) and scheduling state. What clone flags may share between
//! processes sits behind [`Shared`] pointers.

pub mod credentials;
pub mod exec;
pub mod exit;
pub mod rlimit;
pub mod run;
pub mod shared;

use crate::fs::FsContext;
use crate::fs::fd_table::FdTable;
use crate::mm::AddressSpace;
use crate::sched::SchedInfo;
use crate::signal::SignalState;
use crate::syscall::args::Fd;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
pub use credentials::Credentials;
use hal::task::ExecutionContext;
use hal::user::UserContext;
use rlimit::ResourceLimits;
pub use shared::Shared;
use spin::Mutex;
use vfs::FileType;
use vfs::path::Lookup;

/// Process and thread identifiers share one number space, as in Linux.
pub type Pid = u32;

/// A process (thread group).
pub struct Process {
    pub pid: Pid,
    pub parent_pid: Pid,
    pub mm: Shared<AddressSpace>,
    pub files: Shared<FdTable>,
    pub fs: Shared<FsContext>,
    pub credentials: Mutex<Credentials>,
    pub signals: Shared<SignalState>,
    pub limits: Mutex<ResourceLimits>,
    /// `comm`: the executable's base name, at most 15 bytes (`TASK_COMM_LEN` - 1).
    pub name: Mutex<[u8; 16]>,
    /// Process group and session ids.
    pub pgid: AtomicU64,
    pub sid: AtomicU64,
}

/// A thread.
pub struct Thread {
    pub tid: Pid,
    pub process: Arc<Process>,
    /// `set_tid_address`: the word cleared and futex-woken when the thread exits.
    pub clear_child_tid: AtomicU64,
    /// `set_robust_list`: the head of the thread's robust futex list (walked at thread exit
    /// once threads exist).
    pub robust_list: AtomicU64,
    /// Blocked signals.
    pub signal_mask: AtomicU64,
    /// Scheduling state (run-queue lock first, then this).
    pub sched: Mutex<SchedInfo>,
    /// The kernel stack this thread runs its kernel side on.
    pub context: Arc<ExecutionContext>,
    /// The user registers the thread starts with, taken by its first run.
    pub start: Mutex<Option<UserContext>>,
    /// Time spent in user mode, in nanoseconds (the rest of its runtime is system time).
    pub user_ns: AtomicU64,
}

impl Thread {
    pub fn name(&self) -> [u8; 16] {
        *self.process.name.lock()
    }
}

/// CPU time used by `thread` (and, with one thread per process today, by its process).
pub fn cpu_time_ns(thread: &Thread) -> u64 {
    thread.sched.lock().entity.sum_exec_ns
}

/// Replaces the image of `thread`'s process with the program at `path` (execve).
pub fn execute(
    thread: &Arc<Thread>,
    user: &mut UserContext,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<(), Errno> {
    let dentry = crate::fs::lookup(thread, Fd(crate::fs::AT_FDCWD), path, Lookup::FOLLOW)?;
    let metadata = dentry.metadata();
    if metadata.file_type != FileType::Regular {
        return Err(Errno::EACCES);
    }
    let credentials = thread.process.credentials.lock().clone();
    vfs::perm::may_access(&metadata, &credentials.for_fs(), vfs::perm::MAY_EXEC)?;
    let identity = exec::ExecIdentity {
        uid: credentials.uid,
        euid: credentials.euid,
        gid: credentials.gid,
        egid: credentials.egid,
    };
    let loaded = exec::load_elf(dentry.inode(), &argv, &envp, path, &identity)?;

    // The point of no return: the old image goes.
    let new_mm = Arc::new(Mutex::new(loaded.mm));
    new_mm.lock().activate();
    let old = thread.process.mm.replace(new_mm);
    drop(old);
    thread.process.files.get().lock().close_on_exec();
    thread.process.signals.get().lock().reset_for_exec();
    let base_name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let mut name = [0u8; 16];
    let len = base_name.len().min(15);
    name[..len].copy_from_slice(&base_name[..len]);
    *thread.process.name.lock() = name;

    let regs = user.regs_mut();
    *regs = hal::user::UserRegs::default();
    regs.rip = loaded.entry;
    regs.rsp = loaded.stack_pointer;
    regs.rflags = 0x202;
    user.reset_fpu();
    Ok(())
}

static NEXT_PID: AtomicU64 = AtomicU64::new(1);

/// Allocates a process/thread id.
pub fn allocate_pid() -> Pid {
    NEXT_PID.fetch_add(1, Ordering::Relaxed) as Pid
}

/// The thread running on this CPU. Panics if called from the idle loop (only syscall and fault
/// paths call it, and those run in a thread).
pub fn current() -> Arc<Thread> {
    try_current().unwrap_or_else(|| panic!("no current thread"))
}

/// The thread running on this CPU, if any.
pub fn try_current() -> Option<Arc<Thread>> {
    crate::sched::current()
}
