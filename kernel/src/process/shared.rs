//! [`Shared`]: a per-process pointer to state that clone flags can share between processes
//! and exec can replace — Linux's `task->mm`, `->files`, `->fs` and `->sighand`.
//!
//! Reading takes the outer spin lock just long enough to clone the `Arc`; the state itself is
//! a locked object chosen per kind (`T`): the mm (`Mm`, a sleeping reader-writer lock), the
//! descriptor table (a sleeping mutex: closing a file runs its release), the filesystem
//! context and the handlers (spin locks). `CLONE_VM`, `CLONE_FILES`, `CLONE_FS` and
//! `CLONE_SIGHAND` hand the child the same `Arc`; without them it gets a copy. `execve` swaps
//! in a fresh one (a new address space, and a private copy of a descriptor table or handler
//! table that was shared). The old `Arc` is dropped after the slot's lock is released.

use crate::fs::FsContext;
use crate::fs::fd_table::FdTable;
use crate::signal::SignalState;
use alloc::sync::Arc;
use hal::sync::{Mutex, SpinLock};

/// A descriptor table as processes share it (`files_struct`): a sleeping mutex, because closing
/// a file under it runs the file's release (pipes take their own sleeping lock there).
pub fn locked_files(table: FdTable) -> Mutex<FdTable> {
    Mutex::new("files", table)
}

/// A filesystem context (`fs_struct`, whose lock is a spin lock in Linux too).
pub fn locked_fs(context: FsContext) -> SpinLock<FsContext> {
    SpinLock::new("fs", context)
}

/// Signal handlers (`sighand_struct`, under Linux's `siglock` spin lock).
pub fn locked_signals(state: SignalState) -> SpinLock<SignalState> {
    SpinLock::new("sighand", state)
}

pub struct Shared<T> {
    slot: SpinLock<Arc<T>>,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared::from_arc(Arc::new(value))
    }

    /// Wraps state that another process may already hold.
    pub fn from_arc(value: Arc<T>) -> Shared<T> {
        Shared {
            slot: SpinLock::new("process.shared_slot", value),
        }
    }

    /// The current state.
    pub fn get(&self) -> Arc<T> {
        self.slot.lock().clone()
    }

    /// Installs new state, returning the old.
    pub fn replace(&self, value: Arc<T>) -> Arc<T> {
        core::mem::replace(&mut *self.slot.lock(), value)
    }

    /// Whether another process (or a vfork parent) holds the same state.
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.slot.lock()) > 1
    }
}
