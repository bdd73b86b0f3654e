extern crate std;

use super::init::{Priority, check, priority};
use super::mark::*;
use super::queue::*;
use super::*;
use abi::Errno;

#[test]
fn init_rules_follow_linux_order() {
    assert_eq!(check(FAN_CLASS_NOTIF, 0, false), Err(Errno::EPERM));
    assert_eq!(
        check(FAN_REPORT_FID | FAN_UNLIMITED_QUEUE, 0, false),
        Err(Errno::EPERM)
    );
    assert_eq!(check(FAN_REPORT_FID, 0, false), Ok(true));
    assert_eq!(check(FAN_REPORT_FID | FAN_ENABLE_AUDIT, 0, false), Ok(true));
    assert_eq!(check(0x8000_0000, 0, true), Err(Errno::EINVAL));
    assert_eq!(
        check(FAN_REPORT_PIDFD | FAN_REPORT_TID, 0, true),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check(0, abi::raw::general::O_CREAT, true),
        Err(Errno::EINVAL)
    );
    assert_eq!(check(0, 3, true), Err(Errno::EINVAL));
    assert_eq!(
        check(FAN_CLASS_CONTENT | FAN_REPORT_FID, 0, true),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check(FAN_REPORT_FID | FAN_REPORT_NAME, 0, true),
        Err(Errno::EINVAL)
    );
    let dfid_name = FAN_REPORT_DIR_FID | FAN_REPORT_NAME;
    assert_eq!(
        check(dfid_name | FAN_REPORT_TARGET_FID, 0, true),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        check(dfid_name | FAN_REPORT_FID | FAN_REPORT_TARGET_FID, 0, true),
        Ok(false)
    );
    assert_eq!(priority(CLASS_BITS), Err(Errno::EINVAL));
    assert_eq!(priority(FAN_CLASS_CONTENT), Ok(Priority::Content));
}

fn notif(fid_mode: u32) -> GroupInfo {
    GroupInfo {
        priority: Priority::Notif,
        fid_mode,
        is_unprivileged: false,
    }
}

#[test]
fn mark_args_and_group_checks() {
    assert_eq!(check_args(FAN_MARK_ADD, 1 << 32).err(), Some(Errno::EINVAL));
    assert_eq!(
        check_args(FAN_MARK_ADD | 0x800, 1).err(),
        Some(Errno::EINVAL)
    );
    assert_eq!(
        check_args(FAN_MARK_ADD | MARK_TYPE_BITS, 1).err(),
        Some(Errno::EINVAL)
    );
    assert_eq!(
        check_args(FAN_MARK_ADD | FAN_MARK_REMOVE, 1).err(),
        Some(Errno::EINVAL)
    );
    assert_eq!(check_args(0, 1).err(), Some(Errno::EINVAL));
    assert_eq!(check_args(FAN_MARK_ADD, 0).err(), Some(Errno::EINVAL));
    assert_eq!(
        check_args(FAN_MARK_FLUSH | FAN_MARK_ONLYDIR, 0).err(),
        Some(Errno::EINVAL)
    );
    assert!(check_args(FAN_MARK_FLUSH | FAN_MARK_MOUNT, 0).is_ok());
    assert_eq!(check_args(FAN_MARK_ADD, 0x2000).err(), Some(Errno::EINVAL));
    let both = FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_IGNORED_MASK;
    assert_eq!(check_args(both, 1).err(), Some(Errno::EINVAL));
    let legacy = check_args(
        FAN_MARK_ADD | FAN_MARK_IGNORED_MASK,
        u64::from(FAN_OPEN | FAN_ONDIR),
    )
    .unwrap();
    assert_eq!((legacy.mask, legacy.umask), (FAN_OPEN, EVENT_FLAGS));

    let mount = check_args(FAN_MARK_ADD | FAN_MARK_MOUNT, u64::from(FAN_OPEN)).unwrap();
    assert_eq!(check_group(&mount, &notif(0), false), Err(Errno::EPERM));
    assert_eq!(check_group(&mount, &notif(0), true), Ok(()));
    let perm = check_args(FAN_MARK_ADD, u64::from(FAN_OPEN_PERM)).unwrap();
    assert_eq!(check_group(&perm, &notif(0), true), Err(Errno::EINVAL));
    let create = check_args(FAN_MARK_ADD, u64::from(FAN_CREATE)).unwrap();
    assert_eq!(check_group(&create, &notif(0), true), Err(Errno::EINVAL));
    assert_eq!(check_group(&create, &notif(FAN_REPORT_FID), true), Ok(()));
    let mount_create = check_args(FAN_MARK_ADD | FAN_MARK_MOUNT, u64::from(FAN_CREATE)).unwrap();
    assert_eq!(
        check_group(&mount_create, &notif(FAN_REPORT_FID), true),
        Err(Errno::EINVAL)
    );
    let evictable = check_args(FAN_MARK_ADD | FAN_MARK_EVICTABLE | FAN_MARK_MOUNT, 1).unwrap();
    assert_eq!(check_group(&evictable, &notif(0), true), Err(Errno::EINVAL));
    let error = check_args(FAN_MARK_ADD, u64::from(FAN_FS_ERROR)).unwrap();
    assert_eq!(
        check_group(&error, &notif(FAN_REPORT_FID), true),
        Err(Errno::EINVAL)
    );
}

#[test]
fn targets_and_final_masks() {
    let file = Target {
        is_dir: false,
        disallows_perm: false,
        is_internal: false,
    };
    let ignore = check_args(
        FAN_MARK_ADD | FAN_MARK_IGNORE,
        u64::from(FAN_OPEN | FAN_ONDIR),
    )
    .unwrap();
    assert_eq!(check_target(&ignore, &notif(0), &file), Err(Errno::ENOTDIR));
    let plain = check_args(FAN_MARK_ADD, u64::from(FAN_OPEN | FAN_ONDIR)).unwrap();
    assert_eq!(check_target(&plain, &notif(0), &file), Ok(()));
    let ignore_open = check_args(FAN_MARK_ADD | FAN_MARK_IGNORE, u64::from(FAN_OPEN)).unwrap();
    assert_eq!(final_masks(&ignore_open, 0, true), Err(Errno::EISDIR));
    let ignore_mount = check_args(FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_MOUNT, 1).unwrap();
    assert_eq!(final_masks(&ignore_mount, 0, false), Err(Errno::EINVAL));
    let child = check_args(FAN_MARK_ADD, u64::from(FAN_OPEN | FAN_EVENT_ON_CHILD)).unwrap();
    assert_eq!(
        final_masks(&child, 0, false),
        Ok((FAN_OPEN, FAN_EVENT_ON_CHILD))
    );
    assert_eq!(
        final_masks(&child, 0, true),
        Ok((FAN_OPEN | FAN_EVENT_ON_CHILD, 0))
    );
    assert_eq!(
        final_masks(&plain, FAN_REPORT_DIR_FID, false),
        Ok((
            FAN_OPEN | FAN_ONDIR | FAN_EVENT_ON_CHILD,
            FAN_EVENT_ON_CHILD
        ))
    );
}

#[test]
fn mark_updates_and_conflicts() {
    let mut mark = Mark::new(FAN_MARK_EVICTABLE);
    mark.add(FAN_OPEN, FAN_MARK_EVICTABLE);
    assert_eq!(mark.user_flags(), FAN_MARK_EVICTABLE);
    mark.add(FAN_CLOSE, 0);
    assert_eq!(mark.user_flags(), 0);
    assert_eq!(mark.may_update(FAN_MARK_EVICTABLE), Err(Errno::EEXIST));
    mark.add(FAN_ACCESS, FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY);
    assert_eq!(mark.may_update(FAN_MARK_IGNORED_MASK), Err(Errno::EEXIST));
    assert_eq!(mark.may_update(FAN_MARK_IGNORE), Err(Errno::EEXIST));
    assert_eq!(mark.user_flags(), FAN_MARK_IGNORED_SURV_MODIFY);
    mark.modified();
    assert_eq!(mark.ignore_mask, FAN_ACCESS);
    assert!(!mark.remove(FAN_OPEN, 0, 0));
    assert!(!mark.remove(FAN_CLOSE, 0, 0));
    assert!(mark.remove(FAN_ACCESS, FAN_MARK_IGNORE, 0));

    let mut legacy = Mark::new(0);
    legacy.add(FAN_OPEN, FAN_MARK_IGNORED_MASK);
    legacy.modified();
    assert_eq!(legacy.ignore_mask, 0);
    let mut dir = Mark::new(0);
    dir.add(FAN_OPEN | FAN_EVENT_ON_CHILD, 0);
    assert!(dir.remove(FAN_OPEN, 0, FAN_EVENT_ON_CHILD));
}

#[test]
fn group_event_mask_applies_dir_child_and_ignore_rules() {
    let mark = |mask, ignore_mask, flags| Mark {
        mask,
        ignore_mask,
        flags,
    };
    // A directory event needs FAN_ONDIR; a parent needs FAN_EVENT_ON_CHILD.
    let plain = [(Iter::Inode, mark(FAN_OPEN, 0, 0))];
    assert_eq!(group_event_mask(&plain, FAN_OPEN | FAN_ONDIR, 0).0, 0);
    assert_eq!(
        group_event_mask(&plain, FAN_OPEN, 0),
        (FAN_OPEN, Iter::Inode.bit())
    );
    let parent = [(Iter::Parent, mark(FAN_OPEN, 0, 0))];
    assert_eq!(group_event_mask(&parent, FAN_OPEN, 0).0, 0);
    let parent = [(Iter::Parent, mark(FAN_OPEN | FAN_EVENT_ON_CHILD, 0, 0))];
    assert_eq!(group_event_mask(&parent, FAN_OPEN, 0).0, FAN_OPEN);
    // Legacy ignore masks apply everywhere; new ones by their flags.
    let ignored = [
        (Iter::Mount, mark(FAN_OPEN | FAN_CLOSE_NOWRITE, 0, 0)),
        (Iter::Inode, mark(0, FAN_OPEN, 0)),
    ];
    assert_eq!(
        group_event_mask(&ignored, FAN_OPEN | FAN_CLOSE_NOWRITE, 0).0,
        FAN_CLOSE_NOWRITE
    );
    let new_ignore = [
        (Iter::Mount, mark(FAN_OPEN | FAN_ONDIR, 0, 0)),
        (Iter::Inode, mark(0, FAN_OPEN, MARK_HAS_IGNORE_FLAGS)),
    ];
    assert_eq!(
        group_event_mask(&new_ignore, FAN_OPEN | FAN_ONDIR, 0).0,
        FAN_OPEN
    );
    // fid groups keep FAN_ONDIR; fd groups never report it.
    let dirs = [(Iter::Sb, mark(FAN_CREATE | FAN_ONDIR, 0, 0))];
    assert_eq!(
        group_event_mask(&dirs, FAN_CREATE | FAN_ONDIR, FAN_REPORT_FID).0,
        FAN_CREATE | FAN_ONDIR
    );
    let opens = [(Iter::Sb, mark(FAN_OPEN | FAN_ONDIR, 0, 0))];
    assert_eq!(
        group_event_mask(&opens, FAN_OPEN | FAN_ONDIR, 0).0,
        FAN_OPEN
    );
}

#[derive(Debug)]
struct Obj(u32, bool);

impl Payload for Obj {
    fn same_object(&self, other: &Self) -> bool {
        self.0 == other.0
    }
    fn is_permission(&self) -> bool {
        self.1
    }
}

fn event(mask: u32, pid: u32, obj: u32) -> Event<Obj> {
    Event {
        mask,
        pid,
        payload: Some(Obj(obj, mask & PERM_EVENTS != 0)),
    }
}

#[test]
fn queue_merges_as_linux_and_overflows_once() {
    let mut queue = Queue::new();
    assert_eq!(queue.push(event(FAN_OPEN, 1, 7), 4), Pushed::Queued);
    assert_eq!(queue.push(event(FAN_ACCESS, 1, 8), 4), Pushed::Queued);
    assert_eq!(queue.push(event(FAN_MODIFY, 1, 7), 4), Pushed::Merged);
    assert_eq!(queue.push(event(FAN_MODIFY, 2, 7), 4), Pushed::Queued);
    assert_eq!(
        queue.push(event(FAN_OPEN | FAN_ONDIR, 1, 7), 4),
        Pushed::Queued
    );
    assert_eq!(queue.push(event(FAN_CLOSE, 1, 9), 4), Pushed::Overflowed);
    assert_eq!(queue.push(event(FAN_CLOSE, 1, 9), 4), Pushed::Dropped);
    assert_eq!(queue.front().unwrap().mask, FAN_OPEN | FAN_MODIFY);
    let masks: std::vec::Vec<u32> = core::iter::from_fn(|| queue.pop().map(|e| e.mask)).collect();
    assert_eq!(
        masks,
        [
            FAN_OPEN | FAN_MODIFY,
            FAN_ACCESS,
            FAN_MODIFY,
            FAN_OPEN | FAN_ONDIR,
            FAN_Q_OVERFLOW
        ]
    );
    // Permission events are never merged.
    assert_eq!(queue.push(event(FAN_OPEN_PERM, 1, 7), 4), Pushed::Queued);
    assert_eq!(queue.push(event(FAN_OPEN_PERM, 1, 7), 4), Pushed::Queued);
    assert_eq!(queue.push(event(FAN_OPEN, 1, 7), 4), Pushed::Queued);
    assert!(queue.remove_first(|e| e.mask == FAN_OPEN_PERM).is_some());
    assert_eq!(queue.len(), 2);
}

#[test]
fn records_and_responses() {
    let record = metadata(24, FAN_OPEN | FAN_EVENT_ON_CHILD, 5, 42);
    assert_eq!(u32::from_ne_bytes(record[0..4].try_into().unwrap()), 24);
    assert_eq!(record[4], 3);
    assert_eq!(u16::from_ne_bytes(record[6..8].try_into().unwrap()), 24);
    assert_eq!(
        u64::from_ne_bytes(record[8..16].try_into().unwrap()),
        FAN_OPEN as u64
    );
    assert_eq!(i32::from_ne_bytes(record[16..20].try_into().unwrap()), 5);
    assert_eq!(i32::from_ne_bytes(record[20..24].try_into().unwrap()), 42);
    let pidfd = pidfd_record(9);
    assert_eq!((pidfd[0], pidfd[2]), (FAN_EVENT_INFO_TYPE_PIDFD, 8));

    let response = |fd: i32, r: u32| {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&fd.to_ne_bytes());
        bytes[4..].copy_from_slice(&r.to_ne_bytes());
        bytes
    };
    assert_eq!(parse_response(&[0; 4], false), Err(Errno::EINVAL));
    assert_eq!(parse_response(&response(3, 0), false), Err(Errno::EINVAL));
    assert_eq!(
        parse_response(&response(3, FAN_DENY | FAN_AUDIT), false),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        parse_response(&response(-1, FAN_ALLOW), false),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        parse_response(&response(3, FAN_DENY | FAN_AUDIT), true),
        Ok(Response {
            fd: 3,
            is_allowed: false,
            is_audited: true
        })
    );
}
