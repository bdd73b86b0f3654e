//! fanotify's rules as pure logic the kernel drives and the host tests (Linux 6.1
//! `fs/notify/fanotify/fanotify_user.c`, `fanotify.c`, `fs/notify/fsnotify.c`,
//! `include/linux/fanotify.h`, fanotify_init(2), fanotify_mark(2), fanotify(7)).
//!
//! - [`init`]: `fanotify_init`'s checks in Linux's order (capabilities, flags, the classes).
//! - [`mark`]: `fanotify_mark`'s checks in Linux's order, and one mark's masks: what adding
//!   and removing do to them, which conflicts are `EEXIST`, which events a mark lets through
//!   ([`mark::group_event_mask`], Linux's `fanotify_group_event_mask`).
//! - [`queue`]: a group's notification queue: merging of equal events (`fanotify_merge`),
//!   the overflow event at `max_queued_events`, the events' records.
//!
//! The kernel side (marks on inodes, mounts and superblocks, the sending of events, opening
//! the event's file, the permission-event wait) is `kernel/src/fs/fanotify.rs`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod init;
pub mod mark;
pub mod queue;

// Events (`include/uapi/linux/fanotify.h`).
pub const FAN_ACCESS: u32 = 0x1;
pub const FAN_MODIFY: u32 = 0x2;
pub const FAN_ATTRIB: u32 = 0x4;
pub const FAN_CLOSE_WRITE: u32 = 0x8;
pub const FAN_CLOSE_NOWRITE: u32 = 0x10;
pub const FAN_OPEN: u32 = 0x20;
pub const FAN_MOVED_FROM: u32 = 0x40;
pub const FAN_MOVED_TO: u32 = 0x80;
pub const FAN_CREATE: u32 = 0x100;
pub const FAN_DELETE: u32 = 0x200;
pub const FAN_DELETE_SELF: u32 = 0x400;
pub const FAN_MOVE_SELF: u32 = 0x800;
pub const FAN_OPEN_EXEC: u32 = 0x1000;
pub const FAN_Q_OVERFLOW: u32 = 0x4000;
pub const FAN_FS_ERROR: u32 = 0x8000;
pub const FAN_OPEN_PERM: u32 = 0x10000;
pub const FAN_ACCESS_PERM: u32 = 0x20000;
pub const FAN_OPEN_EXEC_PERM: u32 = 0x40000;
pub const FAN_EVENT_ON_CHILD: u32 = 0x0800_0000;
pub const FAN_RENAME: u32 = 0x1000_0000;
pub const FAN_ONDIR: u32 = 0x4000_0000;
pub const FAN_CLOSE: u32 = FAN_CLOSE_WRITE | FAN_CLOSE_NOWRITE;
pub const FAN_MOVE: u32 = FAN_MOVED_FROM | FAN_MOVED_TO;

/// Events reported with the path of an open file (`FANOTIFY_PATH_EVENTS`).
pub const PATH_EVENTS: u32 = FAN_ACCESS | FAN_MODIFY | FAN_CLOSE | FAN_OPEN | FAN_OPEN_EXEC;
/// Directory-entry events (`FANOTIFY_DIRENT_EVENTS`).
pub const DIRENT_EVENTS: u32 = FAN_MOVE | FAN_CREATE | FAN_DELETE | FAN_RENAME;
/// Bits that make sense only in a directory's mask (`FANOTIFY_DIRONLY_EVENT_BITS`).
pub const DIRONLY_EVENT_BITS: u32 = DIRENT_EVENTS | FAN_EVENT_ON_CHILD | FAN_ONDIR;
/// Events on inodes that need a group reporting file ids (`FANOTIFY_INODE_EVENTS`).
pub const INODE_EVENTS: u32 = DIRENT_EVENTS | FAN_ATTRIB | FAN_MOVE_SELF | FAN_DELETE_SELF;
/// `FANOTIFY_EVENTS`.
pub const EVENTS: u32 = PATH_EVENTS | INODE_EVENTS | FAN_FS_ERROR;
/// Permission events (`FANOTIFY_PERM_EVENTS`).
pub const PERM_EVENTS: u32 = FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM;
/// Events that may be reported with an open file (`FANOTIFY_FD_EVENTS`).
pub const FD_EVENTS: u32 = PATH_EVENTS | PERM_EVENTS;
/// `FANOTIFY_EVENT_FLAGS`.
pub const EVENT_FLAGS: u32 = FAN_EVENT_ON_CHILD | FAN_ONDIR;
/// What a mark's mask may hold (`FANOTIFY_EVENTS | FANOTIFY_PERM_EVENTS | FANOTIFY_EVENT_FLAGS`).
pub const VALID_MASK: u32 = EVENTS | PERM_EVENTS | EVENT_FLAGS;
/// What is ever reported (`FANOTIFY_OUTGOING_EVENTS`).
pub const OUTGOING_EVENTS: u32 = EVENTS | PERM_EVENTS | FAN_Q_OVERFLOW | FAN_ONDIR;
/// Events a parent hears about its children (`FS_EVENTS_POSS_ON_CHILD`).
pub const EVENTS_POSS_ON_CHILD: u32 =
    PERM_EVENTS | FAN_ACCESS | FAN_MODIFY | FAN_ATTRIB | FAN_CLOSE | FAN_OPEN | FAN_OPEN_EXEC;
/// Events that may carry the parent and name to a non-directory's, mount's or sb's marks
/// (`FS_EVENTS_POSS_TO_PARENT`).
pub const EVENTS_POSS_TO_PARENT: u32 = EVENTS_POSS_ON_CHILD | FAN_DELETE_SELF | FAN_MOVE_SELF;

// fanotify_init flags.
pub const FAN_CLOEXEC: u32 = 0x1;
pub const FAN_NONBLOCK: u32 = 0x2;
pub const FAN_CLASS_NOTIF: u32 = 0x0;
pub const FAN_CLASS_CONTENT: u32 = 0x4;
pub const FAN_CLASS_PRE_CONTENT: u32 = 0x8;
pub const CLASS_BITS: u32 = FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT;
pub const FAN_UNLIMITED_QUEUE: u32 = 0x10;
pub const FAN_UNLIMITED_MARKS: u32 = 0x20;
pub const FAN_ENABLE_AUDIT: u32 = 0x40;
pub const FAN_REPORT_PIDFD: u32 = 0x80;
pub const FAN_REPORT_TID: u32 = 0x100;
pub const FAN_REPORT_FID: u32 = 0x200;
pub const FAN_REPORT_DIR_FID: u32 = 0x400;
pub const FAN_REPORT_NAME: u32 = 0x800;
pub const FAN_REPORT_TARGET_FID: u32 = 0x1000;
/// `FANOTIFY_FID_BITS`.
pub const FID_BITS: u32 =
    FAN_REPORT_FID | FAN_REPORT_DIR_FID | FAN_REPORT_NAME | FAN_REPORT_TARGET_FID;
/// Flags that need CAP_SYS_ADMIN (`FANOTIFY_ADMIN_INIT_FLAGS`).
pub const ADMIN_INIT_FLAGS: u32 =
    CLASS_BITS | FAN_REPORT_TID | FAN_REPORT_PIDFD | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS;
/// Flags anyone may use (`FANOTIFY_USER_INIT_FLAGS`).
pub const USER_INIT_FLAGS: u32 = FID_BITS | FAN_CLOEXEC | FAN_NONBLOCK;
/// `FANOTIFY_INIT_FLAGS` (what fdinfo's `flags:` shows).
pub const INIT_FLAGS: u32 = ADMIN_INIT_FLAGS | USER_INIT_FLAGS;

// fanotify_mark flags.
pub const FAN_MARK_ADD: u32 = 0x1;
pub const FAN_MARK_REMOVE: u32 = 0x2;
pub const FAN_MARK_DONT_FOLLOW: u32 = 0x4;
pub const FAN_MARK_ONLYDIR: u32 = 0x8;
pub const FAN_MARK_MOUNT: u32 = 0x10;
pub const FAN_MARK_IGNORED_MASK: u32 = 0x20;
pub const FAN_MARK_IGNORED_SURV_MODIFY: u32 = 0x40;
pub const FAN_MARK_FLUSH: u32 = 0x80;
pub const FAN_MARK_FILESYSTEM: u32 = 0x100;
pub const FAN_MARK_EVICTABLE: u32 = 0x200;
pub const FAN_MARK_IGNORE: u32 = 0x400;
pub const FAN_MARK_INODE: u32 = 0;
pub const MARK_TYPE_BITS: u32 = FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM;
pub const MARK_CMD_BITS: u32 = FAN_MARK_ADD | FAN_MARK_REMOVE | FAN_MARK_FLUSH;
pub const MARK_IGNORE_BITS: u32 = FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORE;
/// `FANOTIFY_MARK_FLAGS`.
pub const MARK_FLAGS: u32 = MARK_TYPE_BITS
    | MARK_CMD_BITS
    | MARK_IGNORE_BITS
    | FAN_MARK_DONT_FOLLOW
    | FAN_MARK_ONLYDIR
    | FAN_MARK_IGNORED_SURV_MODIFY
    | FAN_MARK_EVICTABLE;

// Responses.
pub const FAN_ALLOW: u32 = 0x1;
pub const FAN_DENY: u32 = 0x2;
pub const FAN_AUDIT: u32 = 0x10;
/// `FAN_NOFD`: the fd of an event without a file.
pub const FAN_NOFD: i32 = -1;
/// `FANOTIFY_METADATA_VERSION`.
pub const METADATA_VERSION: u8 = 3;
/// `FAN_EVENT_METADATA_LEN`.
pub const METADATA_LEN: usize = 24;

// Info record types.
pub const FAN_EVENT_INFO_TYPE_FID: u8 = 1;
pub const FAN_EVENT_INFO_TYPE_DFID_NAME: u8 = 2;
pub const FAN_EVENT_INFO_TYPE_DFID: u8 = 3;
pub const FAN_EVENT_INFO_TYPE_PIDFD: u8 = 4;
/// Size of a pidfd info record (`struct fanotify_event_info_pidfd`).
pub const PIDFD_INFO_LEN: usize = 8;

#[cfg(test)]
mod tests;
