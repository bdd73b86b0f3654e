//! [`Shared`]: a per-process pointer to state that clone flags can share between processes
//! and exec can replace — Linux's `task->mm`, `->files`, `->fs` and `->sighand`.
//!
//! Reading takes the outer lock just long enough to clone the `Arc`; the state itself has its
//! own lock. `CLONE_VM`, `CLONE_FILES`, `CLONE_FS` and `CLONE_SIGHAND` hand the child the same
//! `Arc`; without them it gets a copy. `execve` swaps in a fresh one (a new address space, and a
//! private copy of a descriptor table or handler table that was shared).

use alloc::sync::Arc;
use spin::Mutex;

pub struct Shared<T> {
    slot: Mutex<Arc<Mutex<T>>>,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared {
            slot: Mutex::new(Arc::new(Mutex::new(value))),
        }
    }

    /// Wraps state that another process may already hold.
    pub fn from_arc(value: Arc<Mutex<T>>) -> Shared<T> {
        Shared {
            slot: Mutex::new(value),
        }
    }

    /// The current state.
    pub fn get(&self) -> Arc<Mutex<T>> {
        self.slot.lock().clone()
    }

    /// Installs new state, returning the old.
    pub fn replace(&self, value: Arc<Mutex<T>>) -> Arc<Mutex<T>> {
        core::mem::replace(&mut *self.slot.lock(), value)
    }

    /// Whether another process (or a vfork parent) holds the same state.
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.slot.lock()) > 1
    }
}
