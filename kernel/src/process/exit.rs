//! Process exit. With one process today, the only exit is init's, which Linux answers with a
//! panic ("Attempted to kill init!") and the `panic=` policy (`kernel/exit.c`, `kernel/panic.c`).

use super::Thread;
use crate::panic_policy;
use alloc::sync::Arc;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// exit(code).
    Code(u8),
    /// Killed by a signal.
    Signal(u8),
}

impl ExitStatus {
    /// The wait status word (`WEXITSTATUS`/`WTERMSIG` encoding).
    pub fn wait_status(self) -> u32 {
        match self {
            ExitStatus::Code(code) => u32::from(code) << 8,
            ExitStatus::Signal(signal) => u32::from(signal),
        }
    }
}

/// Ends the calling process.
pub fn exit_process(thread: &Arc<Thread>, status: ExitStatus) -> ! {
    if thread.process.pid == 1 {
        panic_policy::kernel_panic(format_args!(
            "Attempted to kill init! exitcode={:#010x}",
            status.wait_status()
        ));
    }
    // Other processes exist only once fork does.
    panic_policy::kernel_panic(format_args!(
        "process {} exited with no parent to reap it",
        thread.process.pid
    ))
}
