//! flock(2) and fcntl's record-lock commands `F_GETLK`, `F_SETLK`, `F_SETLKW`, `F_OFD_GETLK`,
//! `F_OFD_SETLK`, `F_OFD_SETLKW` (Linux 6.1 `fs/locks.c`: `SYSCALL_DEFINE2(flock)`,
//! `fcntl_getlk`, `fcntl_setlk`). The locks themselves are `crate::fs::locks`'s.
//!
//! flock: `LOCK_MAND` is ignored (success, nothing done), an operation other than `LOCK_SH`,
//! `LOCK_EX` or `LOCK_UN` (with or without `LOCK_NB`) is `EINVAL` before the descriptor is
//! looked at, an `O_PATH` descriptor is `EBADF`, and so is locking (not unlocking) through a
//! descriptor open for neither reading nor writing.
//!
//! fcntl: the `struct flock` is copied in (`EFAULT`); the range rules are `filelock::range`'s (`EINVAL`, `EOVERFLOW`), then
//! the type (`EINVAL`); a read lock needs a descriptor open for reading and a write lock one
//! open for writing (`EBADF`); the OFD commands want `l_pid == 0` (`EINVAL`). Both `F_GETLK`
//! forms take only `F_RDLCK` or `F_WRLCK` (6.1; `F_UNLCK` probes came in 6.4). `F_GETLK` answers
//! `F_UNLCK` in `l_type` and leaves the rest as it came when nothing conflicts, otherwise the
//! first conflicting lock with `l_whence = SEEK_SET` and its holder's pid (-1 for an OFD lock).
//! A POSIX lock set while another thread closed the descriptor is undone (`EBADF`), as
//! `fcntl_setlk` does.

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::locks::{self, Owner, RecordRequest};
use abi::Errno;
use abi::fcntl::Flock;
use abi::fcntl::cmd::{F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW};
use abi::fcntl::flock_op::{LOCK_EX, LOCK_MAND, LOCK_NB, LOCK_SH, LOCK_UN};
use abi::fcntl::lock_type::{F_RDLCK, F_UNLCK, F_WRLCK};
use alloc::sync::Arc;
use core::sync::atomic::AtomicBool;
use filelock::{LockKind, LockRange};

static HAS_WARNED_LOCK_MAND: AtomicBool = AtomicBool::new(false);

pub fn flock(context: &mut SyscallContext<'_>, fd: Fd, operation: u32) -> SyscallResult {
    if operation & LOCK_MAND != 0 {
        if !HAS_WARNED_LOCK_MAND.swap(true, core::sync::atomic::Ordering::Relaxed) {
            log::warn!(
                "{}: Attempt to set a LOCK_MAND lock via flock(2). This support has been removed and the request ignored.",
                context.thread.process.pid
            );
        }
        return Ok(0);
    }
    let kind = match operation & !LOCK_NB {
        LOCK_SH => Some(LockKind::Read),
        LOCK_EX => Some(LockKind::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if kind.is_some() && !file.is_readable() && !file.is_writable() {
        return Err(Errno::EBADF);
    }
    locks::flock(context.thread, &file, kind, operation & LOCK_NB == 0)?;
    Ok(0)
}

/// Whether `command` is one of the record-lock commands.
pub fn is_lock_command(command: u32) -> bool {
    matches!(
        command,
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW
    )
}

/// `l_type` as a lock kind (`None`: `F_UNLCK`); `EINVAL` for anything else (`assign_type`).
fn kind_of(l_type: i16) -> Result<Option<LockKind>, Errno> {
    match l_type {
        F_RDLCK => Ok(Some(LockKind::Read)),
        F_WRLCK => Ok(Some(LockKind::Write)),
        F_UNLCK => Ok(None),
        _ => Err(Errno::EINVAL),
    }
}

/// The range and kind a `struct flock` asks for on `file` (`flock64_to_posix_lock`).
fn parse(file: &OpenFile, request: &Flock) -> Result<(LockRange, Option<LockKind>), Errno> {
    let position = if request.l_whence == filelock::range::SEEK_CUR {
        file.position()
    } else {
        0
    };
    let size = if request.l_whence == filelock::range::SEEK_END {
        file.ops.metadata().size
    } else {
        0
    };
    let range = LockRange::from_flock(
        request.l_whence,
        request.l_start,
        request.l_len,
        position,
        size,
    )?;
    Ok((range, kind_of(request.l_type)?))
}

/// One of the record-lock commands on descriptor `fd` (already looked up as `file`, from the
/// table `table_id`).
pub fn fcntl_lock(
    context: &SyscallContext<'_>,
    fd: Fd,
    file: Arc<OpenFile>,
    table_id: u64,
    command: u32,
    argument: u64,
) -> SyscallResult {
    let pointer = UserPtr::<Flock>::new(argument);
    let mut request = pointer.read()?;
    let pid = context.thread.process.pid as i32;
    let is_ofd = matches!(command, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    let owner = if is_ofd {
        Owner::File(file.lock_owner_id())
    } else {
        Owner::Files(table_id)
    };
    if command == F_GETLK || command == F_OFD_GETLK {
        if request.l_type != F_RDLCK && request.l_type != F_WRLCK {
            return Err(Errno::EINVAL);
        }
        let (range, kind) = parse(&file, &request)?;
        let kind = kind.ok_or(Errno::EINVAL)?;
        if is_ofd && request.l_pid != 0 {
            return Err(Errno::EINVAL);
        }
        match locks::test_record_lock(&file, owner, kind, &range) {
            Some(holder) => {
                let (start, len) = holder.range.to_flock();
                request.l_type = match holder.kind {
                    LockKind::Read => F_RDLCK,
                    LockKind::Write => F_WRLCK,
                };
                request.l_whence = filelock::range::SEEK_SET;
                request.l_start = start;
                request.l_len = len;
                request.l_pid = if holder.is_ofd { -1 } else { holder.pid };
            }
            None => request.l_type = F_UNLCK,
        }
        pointer.write(&request)?;
        return Ok(0);
    }
    let (range, kind) = parse(&file, &request)?;
    match kind {
        Some(LockKind::Read) if !file.is_readable() => return Err(Errno::EBADF),
        Some(LockKind::Write) if !file.is_writable() => return Err(Errno::EBADF),
        _ => {}
    }
    if is_ofd && request.l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let lock = RecordRequest {
        owner,
        pid,
        is_ofd,
        kind,
        range,
    };
    let is_waiting = command == F_SETLKW || command == F_OFD_SETLKW;
    locks::set_record_lock(context.thread, &file, &lock, is_waiting)?;
    if !is_ofd && kind.is_some() {
        // A close racing with the lock: if the descriptor no longer names this file, the
        // close has released (or will not see) the lock, so take it back.
        let current = context.thread.process.files.get().lock().get(fd.0).ok();
        if !current.is_some_and(|current| Arc::ptr_eq(&current, &file)) {
            let undo = RecordRequest { kind: None, ..lock };
            let _ = locks::set_record_lock(context.thread, &file, &undo, false);
            return Err(Errno::EBADF);
        }
    }
    Ok(0)
}
