//! Signal-driven I/O (Linux `fs/fcntl.c`: `fown_struct`, `f_setown`, `fasync_helper`,
//! `kill_fasync`, `send_sigio`, fcntl(2)'s "Signals" section).
//!
//! Every open file has an [`Owner`] (`F_SETOWN`, `F_SETOWN_EX`, `F_SETSIG`): a thread, a
//! process or a process group, the real and effective uid of whoever set it, and the signal
//! to send (0: `SIGIO`). An object that signals readiness (a pipe, a socket, a terminal, an
//! inotify or fanotify group) keeps a [`FasyncList`] of the files that asked for it with
//! `O_ASYNC` (`F_SETFL`, `FIOASYNC`); [`FasyncList::kill`] sends each file's owner its
//! signal, as `send_sigio_to_task`: a signal other than `SIGIO` chosen by `F_SETSIG` carries
//! `si_code` = the `POLL_*` reason, `si_band` and `si_fd`; when such a signal cannot be queued
//! (`RLIMIT_SIGPENDING`) a plain `SIGIO` goes instead. `sigio_perm`: the owner's setter must be
//! root (effective uid 0) or share a real or saved uid with the receiver.
//!
//! `O_ASYNC` in the status flags is the helper's to set and clear, as Linux's `FASYNC`:
//! `F_SETFL` only calls the file's fasync method when the bit it asks for differs, so an
//! `O_ASYNC` given to open(2) (which registers nothing) sticks and is never acted on.
//!
//! The list holds weak references: a file that goes away leaves a dead entry, pruned on the
//! next change or signal (Linux removes it in `__fput`).

use super::file::OpenFile;
use crate::process::{Process, Thread, table};
use abi::Errno;
use abi::signal::{SI_KERNEL, SigInfo};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use hal::sync::SpinLock;

/// `si_code` reasons of I/O signals (`POLL_IN`…`POLL_HUP`), as `asm-generic/siginfo.h`.
pub const POLL_IN: i32 = 1;
pub const POLL_OUT: i32 = 2;
pub const POLL_MSG: i32 = 3;
pub const POLL_ERR: i32 = 4;
pub const POLL_PRI: i32 = 5;
pub const POLL_HUP: i32 = 6;

/// `si_band` for each reason (`band_table`): the poll bits it means.
fn band_of(reason: i32) -> i64 {
    use super::poll::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDNORM};
    const POLLRDBAND: u16 = 0x80;
    const POLLWRNORM: u16 = 0x100;
    const POLLWRBAND: u16 = 0x200;
    const POLLMSG: u16 = 0x400;
    i64::from(match reason {
        POLL_IN => POLLIN | POLLRDNORM,
        POLL_OUT => POLLOUT | POLLWRNORM | POLLWRBAND,
        POLL_MSG => POLLIN | POLLRDNORM | POLLMSG,
        POLL_ERR => POLLERR,
        POLL_PRI => POLLPRI | POLLRDBAND,
        POLL_HUP => POLLHUP | POLLERR,
        _ => return !0,
    })
}

/// Whom an owner names (Linux's `pid_type` of `f_owner`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OwnerKind {
    /// One thread (`F_OWNER_TID`, `PIDTYPE_PID`; the kind of a fresh file).
    Thread,
    /// A process (`F_OWNER_PID`, `PIDTYPE_TGID`).
    Process,
    /// A process group (`F_OWNER_PGRP`, `PIDTYPE_PGID`).
    Group,
}

/// A file's `fown_struct`.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The id named (0: no owner).
    pub id: u32,
    /// The real and effective uid of the setter (`sigio_perm`).
    pub uid: u32,
    pub euid: u32,
    /// `F_SETSIG`'s signal (0: `SIGIO` without a siginfo).
    pub signum: u32,
}

impl Owner {
    pub const NONE: Owner = Owner {
        kind: OwnerKind::Thread,
        id: 0,
        uid: 0,
        euid: 0,
        signum: 0,
    };
}

/// Whether `id` names a live thread, process, process group or session (`find_vpid`).
pub fn id_exists(id: u32) -> bool {
    table::find_thread(id).is_some()
        || !table::process_group(id).is_empty()
        || table::all_processes()
            .iter()
            .any(|process| process.sid() == id)
}

/// Sets `file`'s owner (`__f_setown` with force): the setter's uids are recorded when `id` is
/// not 0. `ESRCH` when `id` names nothing.
pub fn set_owner(file: &OpenFile, kind: OwnerKind, id: u32, setter: &Process) -> Result<(), Errno> {
    // The id is the setter's PID namespace's; the owner keeps the global one.
    let id = if id == 0 {
        0
    } else {
        setter.pid_ns.global_of(id).ok_or(Errno::ESRCH)?
    };
    if id != 0 && !id_exists(id) {
        return Err(Errno::ESRCH);
    }
    let (uid, euid) = {
        let credentials = setter.credentials.lock();
        (credentials.uid, credentials.euid)
    };
    let mut owner = file.owner.lock();
    owner.kind = kind;
    owner.id = id;
    if id != 0 {
        owner.uid = uid;
        owner.euid = euid;
    }
    Ok(())
}

/// `f_setown`: `who` names a process, or when negative a process group (`EINVAL` for
/// `INT_MIN`, `ESRCH` for nothing).
pub fn set_owner_of(file: &OpenFile, who: i32, setter: &Process) -> Result<(), Errno> {
    if who == i32::MIN {
        return Err(Errno::EINVAL);
    }
    let kind = if who < 0 {
        OwnerKind::Group
    } else {
        OwnerKind::Process
    };
    set_owner(file, kind, who.unsigned_abs(), setter)
}

/// `f_getown`: the owner's id, negated for a process group.
pub fn owner_of(file: &OpenFile) -> i32 {
    let owner = *file.owner.lock();
    let id = owner_id_seen(&owner) as i32;
    if owner.kind == OwnerKind::Group {
        -id
    } else {
        id
    }
}

/// The owner's id as the caller's PID namespace numbers it (0 outside).
pub fn owner_id_seen(owner: &Owner) -> u32 {
    crate::process::try_current().map_or(owner.id, |thread| thread.pid_ns().nr_of(owner.id))
}

/// `sigio_perm`: whether the owner's setter may signal `process`.
fn may_signal(owner: &Owner, process: &Process) -> bool {
    let credentials = process.credentials.lock();
    owner.euid == 0
        || owner.euid == credentials.suid
        || owner.euid == credentials.uid
        || owner.uid == credentials.suid
        || owner.uid == credentials.uid
}

/// `send_sigio_to_task`: the owner's signal to `process` (to `thread` alone for a thread
/// owner).
fn signal_task(
    owner: &Owner,
    process: &Arc<Process>,
    thread: Option<&Arc<Thread>>,
    fd: i32,
    reason: i32,
) {
    if !may_signal(owner, process) {
        return;
    }
    if owner.signum != 0 {
        let mut info = SigInfo::new(owner.signum as i32, reason);
        info.fields[0] = band_of(reason) as u64;
        info.fields[1] = u64::from(fd as u32);
        let queued = match thread {
            Some(thread) => crate::signal::send::queue_to_thread(thread, info),
            None => crate::signal::send::queue_to_process(process, info),
        };
        if queued.is_ok() {
            return;
        }
    }
    let info = SigInfo::new(sigrules::SIGIO as i32, SI_KERNEL);
    match thread {
        Some(thread) => crate::signal::send_to_thread(thread, info),
        None => crate::signal::send_to_process(process, info),
    }
}

/// `send_sigio`: `file`'s owner is told about `reason` on descriptor `fd`.
pub fn send_sigio(file: &OpenFile, fd: i32, reason: i32) {
    let owner = *file.owner.lock();
    if owner.id == 0 {
        return;
    }
    match owner.kind {
        OwnerKind::Thread => {
            if let Some(thread) = table::find_thread(owner.id) {
                signal_task(&owner, &thread.process, Some(&thread), fd, reason);
            }
        }
        OwnerKind::Process => {
            if let Some(thread) = table::find_thread(owner.id) {
                signal_task(&owner, &thread.process, None, fd, reason);
            }
        }
        OwnerKind::Group => {
            for process in table::process_group(owner.id) {
                signal_task(&owner, &process, None, fd, reason);
            }
        }
    }
}

struct Entry {
    file: Weak<OpenFile>,
    fd: i32,
}

/// The files that asked an object for I/O signals (Linux's `fasync_struct` list).
pub struct FasyncList {
    entries: SpinLock<Vec<Entry>>,
    /// Entries in the list, live or dead: zero means [`FasyncList::kill`] has nothing to do.
    count: AtomicUsize,
}

impl Default for FasyncList {
    fn default() -> Self {
        Self::new()
    }
}

impl FasyncList {
    pub const fn new() -> FasyncList {
        FasyncList {
            entries: SpinLock::new("fasync", Vec::new()),
            count: AtomicUsize::new(0),
        }
    }

    /// `fasync_helper`: adds `file` (signalled as descriptor `fd`) when `on`, else removes it.
    pub fn helper(&self, file: &Arc<OpenFile>, fd: i32, on: bool) -> Result<(), Errno> {
        let mut entries = self.entries.lock();
        entries.retain(|entry| entry.file.strong_count() != 0);
        let existing = entries
            .iter()
            .position(|entry| core::ptr::eq(entry.file.as_ptr(), Arc::as_ptr(file)));
        match (existing, on) {
            (Some(index), true) => entries[index].fd = fd,
            (None, true) => {
                entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                entries.push(Entry {
                    file: Arc::downgrade(file),
                    fd,
                });
            }
            (Some(index), false) => {
                entries.swap_remove(index);
            }
            (None, false) => {}
        }
        // fasync_add_entry sets FASYNC; fasync_remove_entry clears it only when it found the
        // file (an O_ASYNC given to open(2) stays).
        match (existing, on) {
            (_, true) => file.set_async(true),
            (Some(_), false) => file.set_async(false),
            (None, false) => {}
        }
        self.count.store(entries.len(), Ordering::Release);
        Ok(())
    }

    /// `kill_fasync`: each listed file's owner gets its signal for `reason` (`POLL_IN`…).
    pub fn kill(&self, reason: i32) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let targets: Vec<(Arc<OpenFile>, i32)> = {
            let mut entries = self.entries.lock();
            entries.retain(|entry| entry.file.strong_count() != 0);
            self.count.store(entries.len(), Ordering::Release);
            let mut targets = Vec::new();
            if targets.try_reserve_exact(entries.len()).is_err() {
                return;
            }
            for entry in entries.iter() {
                if let Some(file) = entry.file.upgrade() {
                    targets.push((file, entry.fd));
                }
            }
            targets
        };
        for (file, fd) in &targets {
            send_sigio(file, *fd, reason);
        }
    }
}
