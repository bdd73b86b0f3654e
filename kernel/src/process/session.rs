//! Process-group and session identity of a process (Linux's `task_pgrp`, `task_session`,
//! `signal->leader`). The syscalls that change them are in `syscall/sys.rs`; the controlling
//! terminal of a session is in `tty/job.rs`.

use super::{Pid, Process};
use core::sync::atomic::Ordering;

impl Process {
    /// Process group id.
    pub fn pgid(&self) -> Pid {
        self.pgid.load(Ordering::Relaxed) as Pid
    }

    /// Session id.
    pub fn sid(&self) -> Pid {
        self.sid.load(Ordering::Relaxed) as Pid
    }

    /// Whether this process created its session (`signal->leader`): its session id is its pid.
    /// Init starts in session 0 and is no leader until it calls setsid, as in Linux.
    pub fn is_session_leader(&self) -> bool {
        self.sid() == self.pid
    }
}
