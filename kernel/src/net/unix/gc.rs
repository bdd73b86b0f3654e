//! Descriptors in flight (Linux 6.1 `net/unix/scm.c`, `net/unix/garbage.c`).
//!
//! [`Rights`] are the files a message carries (`SCM_RIGHTS`). While queued they count
//! against their sender's user (`user->unix_inflight`): a send that finds the user above
//! `RLIMIT_NOFILE` is `ETOOMANYREFS` unless the sender has `CAP_SYS_RESOURCE` or
//! `CAP_SYS_ADMIN`. Files of AF_UNIX sockets also count in their socket (`inflight`).
//!
//! A socket whose file is held only by messages in flight, in queues of sockets likewise held,
//! can never be received again (a socket sent over itself and closed, or a ring of them): the
//! collector ([`collect_if_needed`], run when a socket is released while any socket file is
//! in flight) finds them as Linux's `unix_gc` does: candidates are sockets whose file has no
//! reference but in-flight ones; a candidate with a copy in flight in the queue of a
//! non-candidate is reachable, and so is every candidate in flight in a reachable one's
//! queue; the rest have their queues purged, which drops the last references.
//!
//! Known limit: the counts are read without stopping other CPUs (the kernel runs on one CPU
//! and is not preempted here); the SMP work must add Linux's `unix_gc_lock` around the
//! in-flight transitions.

use super::{UnixSocket, names};
use crate::fs::file::OpenFile;
use crate::process::user::User;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Socket files in flight, all sockets together (`unix_tot_inflight`).
static TOTAL_INFLIGHT: AtomicUsize = AtomicUsize::new(0);
/// A collection is running (files it drops release sockets, which would start another).
static IS_COLLECTING: AtomicBool = AtomicBool::new(false);

/// The AF_UNIX socket behind a file, if it is one.
fn unix_socket(file: &OpenFile) -> Option<&Arc<UnixSocket>> {
    file.ops.as_socket().and_then(|socket| socket.unix())
}

/// Files carried by one message, counted as in flight until received or dropped.
#[derive(Default)]
pub struct Rights {
    files: Vec<Arc<OpenFile>>,
    user: Option<Arc<User>>,
}

impl Rights {
    /// Puts `files` in flight for `user` (the sender's real user); `is_privileged`: the
    /// sender has `CAP_SYS_RESOURCE` or `CAP_SYS_ADMIN`; `limit`: its `RLIMIT_NOFILE`.
    pub fn new(
        files: Vec<Arc<OpenFile>>,
        user: Arc<User>,
        limit: u64,
        is_privileged: bool,
    ) -> Result<Rights, Errno> {
        if files.is_empty() {
            return Ok(Rights::default());
        }
        if user.unix_inflight.load(Ordering::Relaxed) as u64 > limit && !is_privileged {
            return Err(Errno::ETOOMANYREFS);
        }
        user.unix_inflight.fetch_add(files.len(), Ordering::Relaxed);
        for file in &files {
            if let Some(socket) = unix_socket(file) {
                socket.inflight.fetch_add(1, Ordering::AcqRel);
                TOTAL_INFLIGHT.fetch_add(1, Ordering::AcqRel);
            }
        }
        Ok(Rights {
            files,
            user: Some(user),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Copies of the files for `MSG_PEEK` (they stay in flight).
    pub fn peek(&self) -> Result<Vec<Arc<OpenFile>>, Errno> {
        let mut out = Vec::new();
        out.try_reserve_exact(self.files.len())
            .map_err(|_| Errno::ENOMEM)?;
        out.extend(self.files.iter().cloned());
        Ok(out)
    }

    /// The files, no longer in flight (received).
    pub fn into_files(mut self) -> Vec<Arc<OpenFile>> {
        self.uncount();
        core::mem::take(&mut self.files)
    }

    fn uncount(&mut self) {
        if let Some(user) = self.user.take() {
            user.unix_inflight
                .fetch_sub(self.files.len(), Ordering::Relaxed);
        }
        for file in &self.files {
            if let Some(socket) = unix_socket(file) {
                socket.inflight.fetch_sub(1, Ordering::AcqRel);
                TOTAL_INFLIGHT.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    fn files(&self) -> &[Arc<OpenFile>] {
        &self.files
    }
}

impl Drop for Rights {
    fn drop(&mut self) {
        self.uncount();
    }
}

/// Runs the collector if socket files are in flight.
pub fn collect_if_needed() {
    if TOTAL_INFLIGHT.load(Ordering::Acquire) == 0 {
        return;
    }
    if IS_COLLECTING.swap(true, Ordering::AcqRel) {
        return;
    }
    let garbage = find_garbage();
    IS_COLLECTING.store(false, Ordering::Release);
    for (messages, pending) in garbage {
        drop(messages);
        super::conn::release_pending(pending);
    }
}

/// What the collection takes out: dropped after the scan.
type Garbage = Vec<super::Purged>;

fn find_garbage() -> Garbage {
    let Ok(sockets) = names::all() else {
        return Vec::new();
    };
    // Candidates: sockets whose file only messages in flight hold.
    let mut candidates: Vec<(Arc<UnixSocket>, Arc<OpenFile>, usize)> = Vec::new();
    for socket in sockets {
        let inflight = socket.inflight.load(Ordering::Acquire);
        if inflight == 0 {
            continue;
        }
        let Some(file) = socket.file() else {
            continue;
        };
        // Our own reference is the one beyond those in flight.
        if Arc::strong_count(&file) == inflight + 1 {
            if candidates.try_reserve(1).is_err() {
                return Vec::new();
            }
            candidates.push((socket, file, inflight));
        }
    }
    if candidates.is_empty() {
        return Vec::new();
    }
    let index_of = |file: &Arc<OpenFile>,
                    candidates: &[(Arc<UnixSocket>, Arc<OpenFile>, usize)]| {
        candidates
            .iter()
            .position(|(_, candidate, _)| Arc::ptr_eq(candidate, file))
    };
    // For each candidate, the files its queue (and its unaccepted connections' queues) hold.
    let mut held: Vec<Vec<usize>> = Vec::new();
    let mut internal: Vec<usize> = Vec::new();
    if held.try_reserve(candidates.len()).is_err()
        || internal.try_reserve(candidates.len()).is_err()
    {
        return Vec::new();
    }
    internal.resize(candidates.len(), 0);
    for (socket, _, _) in &candidates {
        let mut mine = Vec::new();
        let mut visit = |rights: &Rights| {
            for file in rights.files() {
                if let Some(index) = index_of(file, &candidates) {
                    let _ = mine.try_reserve(1);
                    mine.push(index);
                }
            }
        };
        let pending = {
            let state = socket.state.lock();
            for message in state.queue.iter() {
                visit(&message.attach.rights);
            }
            state.pending.iter().cloned().collect::<Vec<_>>()
        };
        for embryo in pending {
            let state = embryo.state.lock();
            for message in state.queue.iter() {
                visit(&message.attach.rights);
            }
        }
        for &index in &mine {
            internal[index] += 1;
        }
        held.push(mine);
    }
    // Reachable: a copy in flight elsewhere, then whatever reachable ones hold.
    let mut is_live: Vec<bool> = candidates
        .iter()
        .zip(&internal)
        .map(|((_, _, inflight), internal)| internal < inflight)
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for index in 0..candidates.len() {
            if is_live[index] {
                for &other in &held[index] {
                    if !is_live[other] {
                        is_live[other] = true;
                        changed = true;
                    }
                }
            }
        }
    }
    let mut garbage = Vec::new();
    for (index, (socket, _, _)) in candidates.iter().enumerate() {
        if is_live[index] {
            continue;
        }
        let mut state = socket.state.lock();
        let purged = (state.queue.take_all(), core::mem::take(&mut state.pending));
        drop(state);
        if garbage.try_reserve(1).is_ok() {
            garbage.push(purged);
        }
    }
    // Our references go before the purged messages, so those drop the last ones.
    drop(candidates);
    garbage
}
