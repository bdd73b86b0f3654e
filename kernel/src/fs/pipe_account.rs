//! Pipe buffers counted per user (Linux's `user_struct::pipe_bufs`, `account_pipe_buffers`):
//! every pipe counts its ring's pages against the user who made it (the real uid), and
//! `fs.pipe-user-pages-soft`/`-hard` limit an unprivileged user (one without
//! `CAP_SYS_RESOURCE` and `CAP_SYS_ADMIN`):
//! - past the soft limit a new pipe gets two pages (`PIPE_MIN_DEF_BUFFERS`) instead of its
//!   default;
//! - past the hard limit a new pipe is refused (`ENFILE`, as `create_pipe_files` answers);
//! - `F_SETPIPE_SZ` may not grow a pipe past either limit (`EPERM`).
//!
//! 0 means no limit. The count goes when the pipe does.

use crate::process::user::User;
use abi::Errno;
use abi::capability::{CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Pages a pipe past the soft limit starts with (`PIPE_MIN_DEF_BUFFERS`).
const MIN_SLOTS: usize = 2;

/// One pipe's pages in its user's count (`pipe->user`, `pipe->nr_accounted`).
pub struct PipeAccount {
    /// `None` for a pipe made with no process (nothing to count against).
    user: Option<Arc<User>>,
    pages: AtomicUsize,
}

/// The caller's user and whether the limits apply to it (`pipe_is_unprivileged_user`).
fn current_user() -> Option<(Arc<User>, bool)> {
    let thread = crate::process::try_current()?;
    let credentials = thread.process.credentials.lock();
    let is_unprivileged =
        !credentials.has_capability(CAP_SYS_RESOURCE) && !credentials.has_capability(CAP_SYS_ADMIN);
    let uid = credentials.uid;
    drop(credentials);
    Some((User::get(uid), is_unprivileged))
}

/// Whether `total` pages are past `limit` (0: no limit).
fn is_over(total: usize, limit: u64) -> bool {
    limit != 0 && total as u64 > limit
}

impl PipeAccount {
    /// Counts a new pipe of `slots` pages for the caller (`alloc_pipe_info`); returns the
    /// account and the pages the pipe gets.
    pub fn open(slots: usize) -> Result<(PipeAccount, usize), Errno> {
        let Some((user, is_unprivileged)) = current_user() else {
            let account = PipeAccount {
                user: None,
                pages: AtomicUsize::new(0),
            };
            return Ok((account, slots));
        };
        let (soft, hard) = crate::sysctl::pipe_user_pages();
        let mut slots = slots;
        let mut total = user.pipe_pages.fetch_add(slots, Ordering::AcqRel) + slots;
        if is_unprivileged && is_over(total, soft) && slots > MIN_SLOTS {
            user.pipe_pages
                .fetch_sub(slots - MIN_SLOTS, Ordering::AcqRel);
            total -= slots - MIN_SLOTS;
            slots = MIN_SLOTS;
        }
        if is_unprivileged && is_over(total, hard) {
            user.pipe_pages.fetch_sub(slots, Ordering::AcqRel);
            return Err(Errno::ENFILE);
        }
        let account = PipeAccount {
            user: Some(user),
            pages: AtomicUsize::new(slots),
        };
        Ok((account, slots))
    }

    /// Recounts the pipe at `slots` pages for `F_SETPIPE_SZ` (`pipe_set_size`): `EPERM` when
    /// an unprivileged caller would grow it past a limit. Called under the pipe's mutex.
    pub fn resize(&self, slots: usize) -> Result<(), Errno> {
        let Some(user) = &self.user else {
            return Ok(());
        };
        let old = self.pages.load(Ordering::Acquire);
        let total = if slots >= old {
            user.pipe_pages.fetch_add(slots - old, Ordering::AcqRel) + (slots - old)
        } else {
            user.pipe_pages.fetch_sub(old - slots, Ordering::AcqRel) - (old - slots)
        };
        let is_unprivileged = current_user().is_none_or(|(_, is_unprivileged)| is_unprivileged);
        let (soft, hard) = crate::sysctl::pipe_user_pages();
        if slots > old && is_unprivileged && (is_over(total, hard) || is_over(total, soft)) {
            user.pipe_pages.fetch_sub(slots - old, Ordering::AcqRel);
            return Err(Errno::EPERM);
        }
        self.pages.store(slots, Ordering::Release);
        Ok(())
    }
}

impl Drop for PipeAccount {
    fn drop(&mut self) {
        if let Some(user) = &self.user {
            user.pipe_pages
                .fetch_sub(*self.pages.get_mut(), Ordering::AcqRel);
        }
    }
}
