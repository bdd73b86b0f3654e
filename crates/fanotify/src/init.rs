//! `fanotify_init`'s checks (Linux 6.1 `SYSCALL_DEFINE2(fanotify_init)`), in its order:
//! without CAP_SYS_ADMIN a group must report file ids and use no admin flag (`EPERM`; it is
//! then an unprivileged group, 5.13+); unknown flags, `FAN_REPORT_PIDFD` with
//! `FAN_REPORT_TID`, unknown `event_f_flags` bits or access mode, file ids with a class
//! other than `FAN_CLASS_NOTIF`, `FAN_REPORT_NAME` without `FAN_REPORT_DIR_FID` and
//! `FAN_REPORT_TARGET_FID` without both `FAN_REPORT_NAME` and `FAN_REPORT_FID` are `EINVAL`
//! ([`check`]). The per-user group count comes next (`EMFILE`, the kernel's), then the class
//! ([`priority`]: the class `0xc` is `EINVAL`) and `FAN_ENABLE_AUDIT` without
//! CAP_AUDIT_WRITE (`EPERM`).

use crate::*;
use abi::Errno;
use abi::fcntl::O_ACCMODE;
use abi::raw::general as raw;

/// What `event_f_flags` may hold (`FANOTIFY_INIT_ALL_EVENT_F_BITS`).
pub const EVENT_F_BITS: u32 = O_ACCMODE
    | raw::O_APPEND
    | raw::O_NONBLOCK
    | raw::O_SYNC
    | raw::O_DSYNC
    | raw::O_CLOEXEC
    | raw::O_LARGEFILE
    | raw::O_NOATIME;

/// A group's class: who hears first and whether permission events are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Notif,
    Content,
    PreContent,
}

/// `fanotify_init`'s checks up to the group's allocation. `Ok(is_unprivileged)`.
pub fn check(flags: u32, event_f_flags: u32, is_admin: bool) -> Result<bool, Errno> {
    let fid_mode = flags & FID_BITS;
    let class = flags & CLASS_BITS;
    let is_unprivileged = !is_admin;
    if is_unprivileged && (flags & ADMIN_INIT_FLAGS != 0 || fid_mode == 0) {
        return Err(Errno::EPERM);
    }
    if flags & !(INIT_FLAGS | FAN_ENABLE_AUDIT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & FAN_REPORT_PIDFD != 0 && flags & FAN_REPORT_TID != 0 {
        return Err(Errno::EINVAL);
    }
    if event_f_flags & !EVENT_F_BITS != 0 {
        return Err(Errno::EINVAL);
    }
    if event_f_flags & O_ACCMODE == O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    if fid_mode != 0 && class != FAN_CLASS_NOTIF {
        return Err(Errno::EINVAL);
    }
    if fid_mode & FAN_REPORT_NAME != 0 && fid_mode & FAN_REPORT_DIR_FID == 0 {
        return Err(Errno::EINVAL);
    }
    if fid_mode & FAN_REPORT_TARGET_FID != 0
        && (fid_mode & FAN_REPORT_NAME == 0 || fid_mode & FAN_REPORT_FID == 0)
    {
        return Err(Errno::EINVAL);
    }
    Ok(is_unprivileged)
}

/// The class of `flags` (`EINVAL` for both class bits).
pub fn priority(flags: u32) -> Result<Priority, Errno> {
    match flags & CLASS_BITS {
        FAN_CLASS_NOTIF => Ok(Priority::Notif),
        FAN_CLASS_CONTENT => Ok(Priority::Content),
        FAN_CLASS_PRE_CONTENT => Ok(Priority::PreContent),
        _ => Err(Errno::EINVAL),
    }
}

/// The flags the event files are opened with: `event_f_flags` and `O_LARGEFILE`
/// (`force_o_largefile` on 64-bit), as fdinfo's `event-flags:` shows them.
pub fn event_file_flags(event_f_flags: u32) -> u32 {
    event_f_flags | raw::O_LARGEFILE
}
