//! `fanotify_mark`'s checks and one mark's masks (Linux 6.1 `do_fanotify_mark`,
//! `fanotify_events_supported`, `fanotify_add_mark`, `fanotify_remove_mark`,
//! `fanotify_group_event_mask`, `fsnotify_effective_ignore_mask`).
//!
//! Checks, in Linux's order: [`check_args`] (upper mask bits, unknown flags, the mark type,
//! the command, a zero mask, unknown events, `FAN_MARK_IGNORE` with `FAN_MARK_IGNORED_MASK`:
//! `EINVAL`), then the descriptor (the kernel's `EBADF`/`EINVAL`), [`check_group`] (mount and
//! filesystem marks need CAP_SYS_ADMIN and a privileged group: `EPERM`; permission events
//! need a content class, `FAN_FS_ERROR` a filesystem mark, `FAN_MARK_EVICTABLE` an inode
//! mark, inode events a file-id group and no mount mark, `FAN_RENAME` `FAN_REPORT_NAME`:
//! `EINVAL`), `FAN_MARK_FLUSH`, the path (the kernel's), [`check_target`] for additions
//! (permission events on a filesystem that forbids them and mount or filesystem marks on
//! internal filesystems: `EINVAL`; directory-only bits on a non-directory with the 5.17+
//! interfaces: `ENOTDIR`), the file-id checks (the kernel's `ENODEV`/`EOPNOTSUPP`), then
//! `FAN_MARK_IGNORE` without `FAN_MARK_IGNORED_SURV_MODIFY` on a directory (`EISDIR`), a
//! mount or a filesystem (`EINVAL`) and the final masks ([`final_masks`]).
//!
//! A [`Mark`] keeps an event mask, an ignore mask and its flags; [`Mark::may_update`] refuses
//! the downgrades Linux refuses (`EEXIST`).

use crate::init::Priority;
use crate::*;
use abi::Errno;

/// What a mark is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjType {
    Inode,
    Mount,
    Filesystem,
}

/// `FAN_MARK_ADD`, `FAN_MARK_REMOVE` or `FAN_MARK_FLUSH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Add,
    Remove,
    Flush,
}

/// A checked `fanotify_mark` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Args {
    pub obj: ObjType,
    pub command: Command,
    /// The `FANOTIFY_MARK_IGNORE_BITS` of the flags.
    pub ignore: u32,
    pub flags: u32,
    pub mask: u32,
    /// Bits the user cannot remove (`umask`).
    pub umask: u32,
}

/// What [`check_group`] needs of the group.
#[derive(Clone, Copy, Debug)]
pub struct GroupInfo {
    pub priority: Priority,
    /// The group's `FANOTIFY_FID_BITS`.
    pub fid_mode: u32,
    pub is_unprivileged: bool,
}

/// The checks made before the descriptor is looked at.
pub fn check_args(flags: u32, mask: u64) -> Result<Args, Errno> {
    if mask >> 32 != 0 {
        return Err(Errno::EINVAL);
    }
    let mut mask = mask as u32;
    if flags & !MARK_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let obj = match flags & MARK_TYPE_BITS {
        FAN_MARK_INODE => ObjType::Inode,
        FAN_MARK_MOUNT => ObjType::Mount,
        FAN_MARK_FILESYSTEM => ObjType::Filesystem,
        _ => return Err(Errno::EINVAL),
    };
    let command = match flags & MARK_CMD_BITS {
        FAN_MARK_ADD => Command::Add,
        FAN_MARK_REMOVE => Command::Remove,
        FAN_MARK_FLUSH => Command::Flush,
        _ => return Err(Errno::EINVAL),
    };
    match command {
        Command::Add | Command::Remove if mask == 0 => return Err(Errno::EINVAL),
        Command::Flush if flags & !(MARK_TYPE_BITS | FAN_MARK_FLUSH) != 0 => {
            return Err(Errno::EINVAL);
        }
        _ => {}
    }
    if mask & !VALID_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let ignore = flags & MARK_IGNORE_BITS;
    if ignore == MARK_IGNORE_BITS {
        return Err(Errno::EINVAL);
    }
    let mut umask = 0;
    if ignore == FAN_MARK_IGNORED_MASK {
        // Event flags mean nothing in the legacy ignore mask.
        mask &= !EVENT_FLAGS;
        umask = EVENT_FLAGS;
    }
    Ok(Args {
        obj,
        command,
        ignore,
        flags,
        mask,
        umask,
    })
}

/// The checks against the group (after the descriptor was found to be a group).
pub fn check_group(args: &Args, group: &GroupInfo, is_admin: bool) -> Result<(), Errno> {
    if (!is_admin || group.is_unprivileged) && args.obj != ObjType::Inode {
        return Err(Errno::EPERM);
    }
    if args.mask & PERM_EVENTS != 0 && group.priority == Priority::Notif {
        return Err(Errno::EINVAL);
    }
    if args.mask & FAN_FS_ERROR != 0 && args.obj != ObjType::Filesystem {
        return Err(Errno::EINVAL);
    }
    if args.flags & FAN_MARK_EVICTABLE != 0 && args.obj != ObjType::Inode {
        return Err(Errno::EINVAL);
    }
    if args.mask & !(FD_EVENTS | EVENT_FLAGS) != 0
        && (group.fid_mode == 0 || args.obj == ObjType::Mount)
    {
        return Err(Errno::EINVAL);
    }
    if args.mask & FAN_RENAME != 0 && group.fid_mode & FAN_REPORT_NAME == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// What [`check_target`] needs of the marked object.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub is_dir: bool,
    /// Its filesystem refuses permission events (`FS_DISALLOW_NOTIFY_PERM`: procfs).
    pub disallows_perm: bool,
    /// Its filesystem is internal (`SB_NOUSER`: pipes, sockets, anonymous inodes).
    pub is_internal: bool,
}

/// `fanotify_events_supported`, for `FAN_MARK_ADD`.
pub fn check_target(args: &Args, group: &GroupInfo, target: &Target) -> Result<(), Errno> {
    let is_strict = group.fid_mode & FAN_REPORT_TARGET_FID != 0
        || args.mask & FAN_RENAME != 0
        || args.flags & FAN_MARK_IGNORE != 0;
    if args.mask & PERM_EVENTS != 0 && target.disallows_perm {
        return Err(Errno::EINVAL);
    }
    if args.obj != ObjType::Inode && target.is_internal {
        return Err(Errno::EINVAL);
    }
    if is_strict
        && args.obj == ObjType::Inode
        && !target.is_dir
        && args.mask & DIRONLY_EVENT_BITS != 0
    {
        return Err(Errno::ENOTDIR);
    }
    Ok(())
}

/// The masks to apply, after the file-id checks: `FAN_MARK_IGNORE` without
/// `FAN_MARK_IGNORED_SURV_MODIFY` on a directory is `EISDIR`, on a mount or filesystem
/// `EINVAL`; `FAN_EVENT_ON_CHILD` only stays in a directory's mark (a group reporting
/// directory ids asks for it on others, to hear of their parents). `(mask, umask)`.
pub fn final_masks(args: &Args, fid_mode: u32, is_dir: bool) -> Result<(u32, u32), Errno> {
    let is_object_mark = args.obj != ObjType::Inode;
    if args.command == Command::Add
        && args.ignore == FAN_MARK_IGNORE
        && (is_object_mark || is_dir)
        && args.flags & FAN_MARK_IGNORED_SURV_MODIFY == 0
    {
        return Err(if is_object_mark {
            Errno::EINVAL
        } else {
            Errno::EISDIR
        });
    }
    let mut mask = args.mask;
    let mut umask = args.umask;
    if is_object_mark || !is_dir {
        mask &= !FAN_EVENT_ON_CHILD;
        umask = FAN_EVENT_ON_CHILD;
        if fid_mode & FAN_REPORT_DIR_FID != 0 && args.command == Command::Add && args.ignore == 0 {
            mask |= FAN_EVENT_ON_CHILD;
        }
    }
    Ok((mask, umask))
}

/// The ignore mask survives modifications (`FSNOTIFY_MARK_FLAG_IGNORED_SURV_MODIFY`).
pub const MARK_SURV_MODIFY: u32 = 0x1;
/// The ignore mask uses the 6.0 event-flag semantics (`HAS_IGNORE_FLAGS`).
pub const MARK_HAS_IGNORE_FLAGS: u32 = 0x2;
/// The mark does not pin its inode (`FSNOTIFY_MARK_FLAG_NO_IREF`: evictable).
pub const MARK_NO_IREF: u32 = 0x4;

/// Where a mark was found for an event (`FSNOTIFY_ITER_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iter {
    /// The event's object (or a directory-entry event's directory).
    Inode,
    /// The parent of the event's object, watching its children.
    Parent,
    /// The new directory of a rename.
    Inode2,
    Mount,
    Sb,
}

impl Iter {
    /// The bit of this kind in a match mask.
    pub fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// One group's mark on one object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    pub mask: u32,
    pub ignore_mask: u32,
    /// `MARK_*` bits.
    pub flags: u32,
}

impl Mark {
    /// A new mark for `fanotify_mark`'s flags (evictable or not).
    pub fn new(fan_flags: u32) -> Mark {
        Mark {
            mask: 0,
            ignore_mask: 0,
            flags: if fan_flags & FAN_MARK_EVICTABLE != 0 {
                MARK_NO_IREF
            } else {
                0
            },
        }
    }

    /// `fanotify_may_update_existing_mark`: `EEXIST` for making a pinned mark evictable,
    /// going back to the legacy ignore mask, or dropping `IGNORED_SURV_MODIFY` with
    /// `FAN_MARK_IGNORE`.
    pub fn may_update(&self, fan_flags: u32) -> Result<(), Errno> {
        if fan_flags & FAN_MARK_EVICTABLE != 0 && self.flags & MARK_NO_IREF == 0 {
            return Err(Errno::EEXIST);
        }
        if fan_flags & FAN_MARK_IGNORED_MASK != 0 && self.flags & MARK_HAS_IGNORE_FLAGS != 0 {
            return Err(Errno::EEXIST);
        }
        if fan_flags & FAN_MARK_IGNORE != 0
            && fan_flags & FAN_MARK_IGNORED_SURV_MODIFY == 0
            && self.flags & MARK_SURV_MODIFY != 0
        {
            return Err(Errno::EEXIST);
        }
        Ok(())
    }

    /// Adds `mask` to the event or ignore mask, and updates the flags
    /// (`fanotify_mark_add_to_mask`, `fanotify_mark_update_flags`).
    pub fn add(&mut self, mask: u32, fan_flags: u32) {
        let ignore = fan_flags & MARK_IGNORE_BITS;
        if ignore == 0 {
            self.mask |= mask;
        } else {
            self.ignore_mask |= mask;
        }
        if ignore == FAN_MARK_IGNORE {
            self.flags |= MARK_HAS_IGNORE_FLAGS;
        }
        if ignore != 0 && fan_flags & FAN_MARK_IGNORED_SURV_MODIFY != 0 {
            self.flags |= MARK_SURV_MODIFY;
        }
        if fan_flags & FAN_MARK_EVICTABLE == 0 {
            // A pinned mark stays pinned; an evictable one becomes pinned.
            self.flags &= !MARK_NO_IREF;
        }
    }

    /// Removes `mask` (less `umask`) from the event or ignore mask; whether the mark should
    /// go (only `umask` bits are left: `fanotify_mark_remove_from_mask`).
    pub fn remove(&mut self, mask: u32, fan_flags: u32, umask: u32) -> bool {
        let mask = mask & !umask;
        if fan_flags & MARK_IGNORE_BITS == 0 {
            self.mask &= !mask;
        } else {
            self.ignore_mask &= !mask;
        }
        (self.mask | self.ignore_mask) & !umask == 0
    }

    /// The flags fdinfo's `mflags:` shows (`fanotify_mark_user_flags`).
    pub fn user_flags(&self) -> u32 {
        let mut flags = 0;
        if self.flags & MARK_SURV_MODIFY != 0 {
            flags |= FAN_MARK_IGNORED_SURV_MODIFY;
        }
        if self.flags & MARK_NO_IREF != 0 {
            flags |= FAN_MARK_EVICTABLE;
        }
        flags
    }

    /// A modification clears an ignore mask that does not survive it.
    pub fn modified(&mut self) {
        if self.flags & MARK_SURV_MODIFY == 0 {
            self.ignore_mask = 0;
        }
    }

    /// Whether the event mask applies to an event found through `iter` (on a directory if
    /// `is_dir`): `fsnotify_mask_applicable`.
    pub fn is_applicable(&self, is_dir: bool, iter: Iter) -> bool {
        if is_dir && self.mask & FAN_ONDIR == 0 {
            return false;
        }
        !(iter == Iter::Parent && self.mask & FAN_EVENT_ON_CHILD == 0)
    }

    /// The ignore mask with its event flags as they take effect (`fsnotify_ignore_mask`):
    /// the legacy ignore mask always applies to directories, and to children when the mark
    /// watches children.
    pub fn ignore_with_flags(&self) -> u32 {
        if self.flags & MARK_HAS_IGNORE_FLAGS != 0 {
            return self.ignore_mask;
        }
        (self.ignore_mask | FAN_ONDIR) & !FAN_EVENT_ON_CHILD | self.mask & FAN_EVENT_ON_CHILD
    }

    /// Whether the mark takes part in an event found through `iter` at all: a parent's mark
    /// only when it watches children, or ignores events on them
    /// (`fsnotify_iter_select_report_types`). Only such marks lose their ignore mask to a
    /// modification.
    pub fn takes_part(&self, iter: Iter) -> bool {
        iter != Iter::Parent || (self.mask | self.ignore_with_flags()) & FAN_EVENT_ON_CHILD != 0
    }

    /// The ignore mask that applies (`fsnotify_effective_ignore_mask`).
    pub fn effective_ignore(&self, is_dir: bool, iter: Iter) -> u32 {
        if self.ignore_mask == 0 {
            return 0;
        }
        if !is_dir && iter != Iter::Parent {
            return self.ignore_mask;
        }
        let ignore = self.ignore_with_flags();
        if is_dir && ignore & FAN_ONDIR == 0 {
            return 0;
        }
        if iter == Iter::Parent && ignore & FAN_EVENT_ON_CHILD == 0 {
            return 0;
        }
        self.ignore_mask & !EVENT_FLAGS
    }

    /// What the mark adds to its object's interest (`fsnotify_calc_mask`): its events, and
    /// with an ignore mask the ignored events (to be noticed on children) and
    /// `FAN_MODIFY` (to clear a mask that does not survive it).
    pub fn interest(&self) -> u32 {
        if self.ignore_mask == 0 {
            return self.mask;
        }
        let mut mask = self.mask | self.ignore_with_flags();
        if self.flags & MARK_SURV_MODIFY == 0 {
            mask |= FAN_MODIFY;
        }
        mask
    }

    /// Whether the mark wants events with this object's parent and name
    /// (`fsnotify_parent_needed_mask`).
    pub fn parent_needed(&self) -> u32 {
        if self.mask & FAN_EVENT_ON_CHILD != 0 {
            self.mask & EVENTS_POSS_TO_PARENT
        } else {
            0
        }
    }
}

/// What one group makes of an event `event_mask` (with `FAN_ONDIR` for a directory) given the
/// marks that matched it: the mask to report (0: nothing), and the kinds of marks that
/// matched (`fanotify_group_event_mask`). `fid_mode` is the group's.
pub fn group_event_mask(marks: &[(Iter, Mark)], event_mask: u32, fid_mode: u32) -> (u32, u32) {
    let is_dir = event_mask & FAN_ONDIR != 0;
    let mut marks_mask = 0;
    let mut ignore_mask = 0;
    let mut matched = 0;
    for (iter, mark) in marks {
        if !mark.takes_part(*iter) {
            continue;
        }
        ignore_mask |= mark.effective_ignore(is_dir, *iter);
        if !mark.is_applicable(is_dir, *iter) {
            continue;
        }
        marks_mask |= mark.mask;
        matched |= iter.bit();
    }
    let test_mask = event_mask & marks_mask & !ignore_mask;
    let mut user_mask = OUTGOING_EVENTS | EVENT_FLAGS;
    if fid_mode != 0 {
        if test_mask & !EVENT_FLAGS == 0 {
            return (0, matched);
        }
    } else {
        user_mask &= !EVENT_FLAGS;
    }
    (test_mask & user_mask, matched)
}
