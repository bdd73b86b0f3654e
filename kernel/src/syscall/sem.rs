//! semget, semop, semtimedop, semctl (Linux's `ipc/sem.c`); the sets live in
//! [`crate::ipc::sem`].
//!
//! The checks come in Linux's order. `semtimedop`: the timeout is read (`EFAULT`), `nsops`
//! checked against SEMOPM (`E2BIG`) and 1 (`EINVAL`), the operations read (`EFAULT`), then the
//! id (`EINVAL`), the timeout's validity (`EINVAL`), the highest semaphore number (`EFBIG`),
//! the permission (read for wait-for-zero only, write if any operation alters: `EACCES`), and
//! removal (`EIDRM`). A sleeping `semop` is interrupted by any signal and is never restarted
//! (`EINTR`, whatever `SA_RESTART` says); its timeout is `EAGAIN`; a removal of the set while it
//! sleeps is `EIDRM`. `semctl`: `IPC_64` is not stripped (x86-64 has no old ABI to tell apart:
//! `cmd | 0x100` is `EINVAL`, as Linux); `SETVAL` checks the value's range (`ERANGE`) before
//! the id.

use super::{SyscallContext, SyscallResult};
use crate::ipc::sem::{self, SemSet};
use crate::ipc::util::{now_secs, with_cred};
use crate::sched::SleepKind;
use crate::sched::wait::{WaitError, wait_event};
use abi::ipc::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SEM_INFO,
    SEM_STAT, SEM_STAT_ANY, SEM_UNDO, SEMAEM, SEMMAP, SEMMNU, SEMUME, SEMUSZ, SEMVMX, SETALL,
    SETVAL, SemBuf, SemInfo, SemidDs,
};
use abi::{Errno, Timespec};
use alloc::sync::Arc;
use alloc::vec::Vec;
use ipcrules::perm::{READ, WRITE};
use zerocopy::IntoBytes;

pub fn semget(context: &mut SyscallContext<'_>, key: i32, nsems: i32, flags: i32) -> SyscallResult {
    with_cred(&context.thread.process, |cred| {
        sem::get(key, nsems, flags, cred)
    })
    .map(|id| id as usize)
}

pub fn semop(context: &mut SyscallContext<'_>, id: i32, sops: u64, nsops: u32) -> SyscallResult {
    do_semtimedop(context, id, sops, nsops, None)
}

pub fn semtimedop(
    context: &mut SyscallContext<'_>,
    id: i32,
    sops: u64,
    nsops: u32,
    timeout: u64,
) -> SyscallResult {
    let timeout = if timeout != 0 {
        Some(hal::usercopy::read_user::<Timespec>(timeout)?)
    } else {
        None
    };
    do_semtimedop(context, id, sops, nsops, timeout)
}

fn do_semtimedop(
    context: &mut SyscallContext<'_>,
    id: i32,
    address: u64,
    nsops: u32,
    timeout: Option<Timespec>,
) -> SyscallResult {
    let (_, _, semopm, _) = sem::limits();
    if nsops > semopm as u32 {
        return Err(Errno::E2BIG);
    }
    if nsops < 1 {
        return Err(Errno::EINVAL);
    }
    let mut sops: Vec<SemBuf> = Vec::new();
    sops.try_reserve_exact(nsops as usize)
        .map_err(|_| Errno::ENOMEM)?;
    sops.resize(nsops as usize, SemBuf::default());
    hal::usercopy::copy_from_user(sops.as_mut_slice().as_mut_bytes(), address)?;
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = match timeout {
        Some(value) => {
            Some(crate::time::monotonic_ns().saturating_add(crate::timers::timespec_ns(&value)?))
        }
        None => None,
    };
    let max = sops.iter().map(|sop| sop.sem_num).max().unwrap_or(0);
    let has_undo = sops.iter().any(|sop| sop.sem_flg & SEM_UNDO != 0);
    let alter = sops.iter().any(|sop| sop.sem_op != 0);
    let process = &context.thread.process;
    let set = crate::ipc::current().sem.ids.lookup(id)?;
    let undo = has_undo.then(|| sem::undo_list(process));
    if usize::from(max) >= set.nsems {
        return Err(Errno::EFBIG);
    }
    let permitted = with_cred(process, |cred| {
        cred.may_access(&set.state.lock().perm, if alter { WRITE } else { READ })
    });
    if !permitted {
        return Err(Errno::EACCES);
    }
    if let Some(undo) = &undo {
        undo.note(&set)?;
    }
    let Some(waiter) = sem::semop(&set, sops, undo.as_deref(), process.pid)? else {
        return Ok(0);
    };
    let thread = context.thread;
    let result = wait_event(
        thread,
        &[&waiter.queue],
        SleepKind::Interruptible,
        deadline,
        || waiter.result(),
    );
    match result {
        Ok(result) => result.map(|()| 0),
        Err(error) => {
            if sem::cancel(&set, &waiter) {
                return Err(if error == WaitError::TimedOut {
                    Errno::EAGAIN
                } else {
                    Errno::EINTR
                });
            }
            // Completed (or failed) by another thread at the same moment: its result stands.
            wait_event(
                thread,
                &[&waiter.queue],
                SleepKind::Uninterruptible,
                None,
                || waiter.result(),
            )
            .unwrap_or(Err(Errno::EINTR))
            .map(|()| 0)
        }
    }
}

fn check_access(context: &SyscallContext<'_>, set: &SemSet, access: u32) -> Result<(), Errno> {
    let permitted = with_cred(&context.thread.process, |cred| {
        cred.may_access(&set.state.lock().perm, access)
    });
    if permitted {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

pub fn semctl(
    context: &mut SyscallContext<'_>,
    id: i32,
    semnum: i32,
    command: i32,
    arg: u64,
) -> SyscallResult {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    match command {
        IPC_INFO | SEM_INFO => {
            let (semmsl, semmns, semopm, semmni) = sem::limits();
            let (in_use, max_index) = crate::ipc::current().sem.ids.usage();
            let info = SemInfo {
                semmap: SEMMAP,
                semmni,
                semmns,
                semmnu: SEMMNU,
                semmsl,
                semopm,
                semume: SEMUME,
                semusz: if command == SEM_INFO {
                    in_use as i32
                } else {
                    SEMUSZ
                },
                semvmx: SEMVMX,
                semaem: if command == SEM_INFO {
                    sem::used_sems().min(i32::MAX.into()) as i32
                } else {
                    SEMAEM
                },
            };
            hal::usercopy::write_user(arg, &info)?;
            Ok(max_index.max(0) as usize)
        }
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            let set = if command == IPC_STAT {
                crate::ipc::current().sem.ids.lookup(id)?
            } else {
                crate::ipc::current().sem.ids.lookup_index(id)?
            };
            if command != SEM_STAT_ANY {
                check_access(context, &set, READ)?;
            }
            let stat = set.stat()?;
            hal::usercopy::write_user(arg, &stat)?;
            Ok(if command == IPC_STAT {
                0
            } else {
                set.id as usize
            })
        }
        GETALL | GETVAL | GETPID | GETNCNT | GETZCNT | SETALL => {
            semctl_main(context, id, semnum, command, arg)
        }
        SETVAL => {
            let value = arg as i32;
            if !(0..=SEMVMX).contains(&value) {
                return Err(Errno::ERANGE);
            }
            let set = crate::ipc::current().sem.ids.lookup(id)?;
            if semnum < 0 || semnum as usize >= set.nsems {
                return Err(Errno::EINVAL);
            }
            check_access(context, &set, WRITE)?;
            let mut wakes = Vec::new();
            {
                let mut state = set.state.lock();
                if state.is_deleted {
                    return Err(Errno::EIDRM);
                }
                let pid = context.thread.process.pid;
                if state
                    .array
                    .set_value(semnum as usize, value, pid, &mut wakes)
                {
                    state.otime = now_secs();
                }
                state.ctime = now_secs();
            }
            sem::wake(wakes);
            Ok(0)
        }
        IPC_SET | IPC_RMID => {
            let wanted = if command == IPC_SET {
                Some(hal::usercopy::read_user::<SemidDs>(arg)?)
            } else {
                None
            };
            let set = crate::ipc::current().sem.ids.lookup(id)?;
            with_cred(&context.thread.process, |cred| {
                let mut state = set.state.lock();
                if !cred.may_control(&state.perm) {
                    return Err(Errno::EPERM);
                }
                if let Some(wanted) = &wanted {
                    state.perm.update(&wanted.perm)?;
                    state.ctime = now_secs();
                }
                Ok(())
            })?;
            if command == IPC_RMID {
                sem::remove(&set);
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `semctl_main`: GETALL, SETALL, GETVAL, GETPID, GETNCNT, GETZCNT.
fn semctl_main(
    context: &mut SyscallContext<'_>,
    id: i32,
    semnum: i32,
    command: i32,
    arg: u64,
) -> SyscallResult {
    let set: Arc<SemSet> = crate::ipc::current().sem.ids.lookup(id)?;
    let nsems = set.nsems;
    check_access(context, &set, if command == SETALL { WRITE } else { READ })?;
    let mut values: Vec<u16> = Vec::new();
    match command {
        GETALL => {
            values.try_reserve_exact(nsems).map_err(|_| Errno::ENOMEM)?;
            {
                let state = set.state.lock();
                if state.is_deleted {
                    return Err(Errno::EIDRM);
                }
                values.extend(state.array.values().iter().map(|v| v.val as u16));
            }
            hal::usercopy::write_user(arg, values.as_slice())?;
            return Ok(0);
        }
        SETALL => {
            values.try_reserve_exact(nsems).map_err(|_| Errno::ENOMEM)?;
            values.resize(nsems, 0);
            hal::usercopy::copy_from_user(values.as_mut_slice().as_mut_bytes(), arg)?;
            if values.iter().any(|&v| i32::from(v) > SEMVMX) {
                return Err(Errno::ERANGE);
            }
            let mut wakes = Vec::new();
            {
                let mut state = set.state.lock();
                if state.is_deleted {
                    return Err(Errno::EIDRM);
                }
                let pid = context.thread.process.pid;
                if state.array.set_all(&values, pid, &mut wakes) {
                    state.otime = now_secs();
                }
                state.ctime = now_secs();
            }
            sem::wake(wakes);
            return Ok(0);
        }
        _ => {}
    }
    if semnum < 0 || semnum as usize >= nsems {
        return Err(Errno::EINVAL);
    }
    let num = semnum as usize;
    let state = set.state.lock();
    if state.is_deleted {
        return Err(Errno::EIDRM);
    }
    let value = match command {
        GETVAL => state.array.values()[num].val as usize,
        GETPID => state.array.values()[num].pid as usize,
        GETNCNT => state.array.count_waiters(num, false),
        _ => state.array.count_waiters(num, true),
    };
    Ok(value)
}
