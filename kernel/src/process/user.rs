//! Per-user accounting (Linux's `struct user_struct`, kernel/user.c): what all the processes
//! of one real user hold together, where a limit bounds the sum. A [`User`] exists while
//! something holds it and is found by uid; objects charged to a user keep it alive and give
//! the charge back to that same user when they go, even if their creator changed ids since.
//!
//! Counted here: epoll watches (`fs.epoll.max_user_watches`, fs/eventpoll.c), POSIX message
//! queues' memory (`RLIMIT_MSGQUEUE`, ipc/mqueue.c) and POSIX timers,
//! each of which preallocates a queued signal that counts against `RLIMIT_SIGPENDING`
//! (kernel/time/posix-timers.c). Queued signals themselves are still counted by walking the
//! user's processes (`signal::send`); Linux keeps them in `ucounts`.

use crate::percpu_counter::PercpuCounter;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use hal::sync::SpinLock;

pub struct User {
    uid: u32,
    /// Items in the epoll instances this user created.
    pub epoll_watches: PercpuCounter,
    /// POSIX timers this user created.
    pub posix_timers: AtomicUsize,
    /// Bytes of POSIX message queues this user created (`UCOUNT_RLIMIT_MSGQUEUE`).
    pub mq_bytes: AtomicU64,
    /// inotify instances and watches of this (effective) user (`UCOUNT_INOTIFY_*`).
    pub inotify_instances: AtomicUsize,
    pub inotify_watches: AtomicUsize,
    /// fanotify groups and marks of this (effective) user (`UCOUNT_FANOTIFY_*`).
    pub fanotify_groups: AtomicUsize,
    pub fanotify_marks: AtomicUsize,
    /// Descriptors this user has in flight in AF_UNIX messages (`unix_inflight`).
    pub unix_inflight: AtomicUsize,
    /// Pages of the pipes this user made (`pipe_bufs`, [`crate::fs::pipe`]'s accounting).
    pub pipe_pages: AtomicUsize,
}

/// Every user something holds, by uid (Linux's `uidhash`). A leaf lock.
static USERS: SpinLock<BTreeMap<u32, Weak<User>>> = SpinLock::new("users", BTreeMap::new());

impl User {
    /// The user with real uid `uid`, created if nobody holds it (`alloc_uid`).
    pub fn get(uid: u32) -> Arc<User> {
        let mut users = USERS.lock();
        if let Some(user) = users.get(&uid).and_then(Weak::upgrade) {
            return user;
        }
        let user = Arc::new(User {
            uid,
            epoll_watches: PercpuCounter::new(),
            posix_timers: AtomicUsize::new(0),
            mq_bytes: AtomicU64::new(0),
            inotify_instances: AtomicUsize::new(0),
            inotify_watches: AtomicUsize::new(0),
            fanotify_groups: AtomicUsize::new(0),
            fanotify_marks: AtomicUsize::new(0),
            unix_inflight: AtomicUsize::new(0),
            pipe_pages: AtomicUsize::new(0),
        });
        users.insert(uid, Arc::downgrade(&user));
        user
    }

    /// The user with real uid `uid` if something holds it.
    pub fn find(uid: u32) -> Option<Arc<User>> {
        USERS.lock().get(&uid).and_then(Weak::upgrade)
    }
}

impl Drop for User {
    fn drop(&mut self) {
        // A new User for this uid may have replaced the entry meanwhile: remove only a dead one.
        let mut users = USERS.lock();
        if users
            .get(&self.uid)
            .is_some_and(|entry| entry.strong_count() == 0)
        {
            users.remove(&self.uid);
        }
    }
}

/// One POSIX timer charged to its creator (its preallocated signal); given back on drop.
pub struct TimerCharge(Arc<User>);

impl TimerCharge {
    pub fn new(user: Arc<User>) -> TimerCharge {
        user.posix_timers.fetch_add(1, Ordering::Relaxed);
        TimerCharge(user)
    }
}

impl Drop for TimerCharge {
    fn drop(&mut self) {
        self.0.posix_timers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One epoll watch charged to the user who created its instance; given back on drop.
pub struct WatchCharge(Arc<User>);

impl WatchCharge {
    /// Charges one watch to `user`: `ENOSPC` at `fs.epoll.max_user_watches` (`ep_insert`;
    /// root included).
    pub fn new(user: &Arc<User>) -> Result<WatchCharge, Errno> {
        let limit = crate::sysctl::limits().max_user_watches as i64;
        if user.epoll_watches.is_at_least(limit) {
            return Err(Errno::ENOSPC);
        }
        user.epoll_watches.add(1);
        Ok(WatchCharge(user.clone()))
    }
}

impl Drop for WatchCharge {
    fn drop(&mut self) {
        self.0.epoll_watches.add(-1);
    }
}
