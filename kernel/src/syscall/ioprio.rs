//! ioprio_set, ioprio_get (Linux 6.1 `block/ioprio.c`): a thread's I/O scheduling class and
//! level. The value is `class << 13 | data`; classes NONE (0), RT (1), BE (2), IDLE (3).
//!
//! ioprio_set checks the value first (`ioprio_check_cap`: RT needs CAP_SYS_ADMIN or
//! CAP_SYS_NICE, EPERM; RT and BE levels are 0..7, NONE takes no level, other classes are
//! EINVAL), then sets it on every thread `which`/`who` names (1: a thread, 0 the caller; 2: a
//! process group; 3: a user's processes), each needing the caller's real or effective uid to
//! be the target's real uid or CAP_SYS_NICE (EPERM); ESRCH when nothing matches.
//!
//! ioprio_get answers a thread's value, or the best among the named threads (`ioprio_best`:
//! numerically lowest, class NONE counting as BE level 4). A thread that never set one reports
//! class NONE, level 0, whatever its nice value or policy (checked on Linux 6.1; the block
//! layer derives a class and level from those when it needs one).
//!
//! There are no block devices yet, so the value changes nothing else; children inherit it.

use super::{SyscallContext, SyscallResult};
use crate::process::Thread;
use abi::Errno;
use abi::capability::{CAP_SYS_ADMIN, CAP_SYS_NICE};
use alloc::sync::Arc;

const CLASS_SHIFT: u32 = 13;
const DATA_MASK: i32 = (1 << CLASS_SHIFT) - 1;
const CLASS_NONE: i32 = 0;
const CLASS_RT: i32 = 1;
const CLASS_BE: i32 = 2;
const CLASS_IDLE: i32 = 3;
/// Levels of the RT and BE classes (`IOPRIO_NR_LEVELS`).
const NR_LEVELS: i32 = 8;
/// BE level 4 (`IOPRIO_BE_NORM`), what `ioprio_best` counts class NONE as.
const BE_NORM: u16 = (CLASS_BE << CLASS_SHIFT) as u16 | 4;

fn class_of(ioprio: u16) -> i32 {
    i32::from(ioprio) >> CLASS_SHIFT
}

/// `ioprio_check_cap`.
pub(super) fn check(context: &SyscallContext<'_>, ioprio: i32) -> Result<u16, Errno> {
    let class = ioprio >> CLASS_SHIFT;
    let data = ioprio & DATA_MASK;
    match class {
        CLASS_RT => {
            let credentials = context.thread.process.credentials.lock();
            if !credentials.has_capability(CAP_SYS_ADMIN)
                && !credentials.has_capability(CAP_SYS_NICE)
            {
                return Err(Errno::EPERM);
            }
            if data >= NR_LEVELS {
                return Err(Errno::EINVAL);
            }
        }
        CLASS_BE if data >= NR_LEVELS => return Err(Errno::EINVAL),
        CLASS_BE | CLASS_IDLE => {}
        CLASS_NONE if data != 0 => return Err(Errno::EINVAL),
        CLASS_NONE => {}
        _ => return Err(Errno::EINVAL),
    }
    Ok(ioprio as u16)
}

/// The threads `which`/`who` name: `getpriority`'s rules, with `which` one higher.
fn targets(
    context: &SyscallContext<'_>,
    which: i32,
    who: i32,
) -> Result<alloc::vec::Vec<Arc<Thread>>, Errno> {
    if !(1..=3).contains(&which) {
        return Err(Errno::EINVAL);
    }
    Ok(super::sched::priority_targets(context, which - 1, who))
}

pub fn ioprio_set(
    context: &mut SyscallContext<'_>,
    which: i32,
    who: i32,
    ioprio: i32,
) -> SyscallResult {
    let ioprio = check(context, ioprio)?;
    let threads = targets(context, which, who)?;
    let (caller_uid, caller_euid, may_nice) = {
        let credentials = context.thread.process.credentials.lock();
        (
            credentials.uid,
            credentials.euid,
            credentials.has_capability(CAP_SYS_NICE),
        )
    };
    let mut result = Err(Errno::ESRCH);
    for thread in threads {
        let owner = thread.process.credentials.lock().uid;
        // `set_task_ioprio`.
        if owner != caller_euid && owner != caller_uid && !may_nice {
            return Err(Errno::EPERM);
        }
        // set_task_ioprio makes the task's io_context if it has none.
        let mut context = thread.io_context.lock();
        if context.is_none() {
            *context = Some(crate::process::IoContext::new());
        }
        drop(context);
        thread.sched.lock().ioprio = ioprio;
        result = Ok(0);
    }
    result
}

/// A thread's I/O priority as ioprio_get reports it.
fn effective(thread: &Thread) -> u16 {
    thread.sched.lock().ioprio
}

/// `ioprio_best`.
fn best(a: u16, b: u16) -> u16 {
    let normalise = |ioprio: u16| {
        if class_of(ioprio) == CLASS_NONE {
            BE_NORM
        } else {
            ioprio
        }
    };
    normalise(a).min(normalise(b))
}

pub fn ioprio_get(context: &mut SyscallContext<'_>, which: i32, who: i32) -> SyscallResult {
    targets(context, which, who)?
        .iter()
        .map(|thread| effective(thread))
        .reduce(best)
        .map(usize::from)
        .ok_or(Errno::ESRCH)
}
