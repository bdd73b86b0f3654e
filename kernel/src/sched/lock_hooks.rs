//! The scheduler side of hal's sleeping locks (`hal::sync::Mutex`, `RwLock`): a thread is its
//! own waker, and a contended lock sleeps uninterruptibly (Linux's `mutex_lock` and
//! `down_read`/`down_write` sleep in `TASK_UNINTERRUPTIBLE`).

use super::{SleepKind, TaskState};
use crate::process::Thread;
use alloc::sync::Arc;
use alloc::task::Wake;
use core::task::Waker;

impl Wake for Thread {
    fn wake(self: Arc<Self>) {
        super::wake_up(&self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        super::wake_up(self);
    }
}

fn current_waker() -> Option<Waker> {
    super::current().map(Waker::from)
}

fn sleep_until(condition: &dyn Fn() -> bool) {
    let Some(thread) = super::current() else {
        panic!("a sleeping lock waits outside any thread");
    };
    loop {
        super::set_current_state(&thread, TaskState::Sleeping(SleepKind::Uninterruptible));
        if condition() {
            break;
        }
        super::schedule();
    }
    super::set_current_state(&thread, TaskState::Running);
}

/// Registers the hooks with hal (once, at boot).
pub fn init() {
    hal::sync::set_sched_hooks(hal::sync::SchedHooks {
        current_waker,
        sleep_until,
    });
}
