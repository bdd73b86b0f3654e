//! Namespaces (Linux's `struct nsproxy`, `kernel/nsproxy.c`, `fs/nsfs.c`'s `ns_common`).
//!
//! Each namespace is a reference-counted object with its own lock for its own state, an inode
//! number that names it in `/proc/PID/ns` and nsfs ([`NsCommon`]), and the user namespace that
//! owns it (whose capabilities govern it). A thread holds an [`NsProxy`]: one immutable set of
//! pointers to its UTS, IPC, mount and cgroup namespaces, replaced whole by unshare(2) and
//! setns(2) and shared by clone when nothing changes (Linux's `copy_namespaces`). The user
//! namespace lives in the credentials ([`crate::process::Credentials::user_ns`]).
//!
//! Kinds this kernel makes new ones of: user ([`user`]), UTS ([`crate::uts`]), IPC
//! ([`crate::ipc::IpcNs`]: System V ids, their sysctls and the mqueue instance), mount (a copy
//! of the mount tree, [`MntNs`]), cgroup ([`CgroupNs`]: one cgroup hierarchy whose root is
//! everyone's, so a new cgroup namespace sees what its creator saw) and PID ([`pid`]: a
//! task's own namespace is its process's, `Process::pid_ns`; the one its children go to is
//! in the proxy) and time ([`time`]: like PID namespaces, the one a task's children enter,
//! `time_for_children`, is kept beside its own). Network namespaces are not built: their flag
//! answers `EINVAL`, as a Linux without `CONFIG_NET_NS`, and `/proc/PID/ns` has no entry for
//! them.
//!
//! Inode numbers: the initial namespaces have Linux's fixed `PROC_*_INIT_INO` numbers (the
//! initial mount namespace the first dynamic one, as on Linux); new ones take the next number
//! from `PROC_DYNAMIC_FIRST` on, never reused.

pub mod nsfs;
pub mod pid;
pub mod syscalls;
pub mod time;
pub mod user;

use crate::ipc::IpcNs;
use crate::uts::UtsNs;
use abi::{CloneFlags, Errno};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Once;
use user::UserNs;

/// `PROC_IPC_INIT_INO` and its neighbours (`include/linux/proc_ns.h`).
pub const PROC_IPC_INIT_INO: u32 = 0xEFFF_FFFF;
pub const PROC_UTS_INIT_INO: u32 = 0xEFFF_FFFE;
pub const PROC_USER_INIT_INO: u32 = 0xEFFF_FFFD;
pub const PROC_CGROUP_INIT_INO: u32 = 0xEFFF_FFFB;
/// `PROC_DYNAMIC_FIRST`: the initial network namespace has it on Linux, the initial mount
/// namespace the next.
const PROC_DYNAMIC_FIRST: u32 = 0xF000_0000;

/// The next dynamic inode number.
static NEXT_INUM: AtomicU32 = AtomicU32::new(PROC_DYNAMIC_FIRST + 2);

/// What every namespace has (Linux's `struct ns_common`).
#[derive(Debug)]
pub struct NsCommon {
    /// The inode number of its nsfs file (`/proc/PID/ns/X` reads `kind:[inum]`).
    pub inum: u32,
}

impl NsCommon {
    /// An initial namespace's, with its fixed number.
    pub const fn initial(inum: u32) -> NsCommon {
        NsCommon { inum }
    }

    /// A new namespace's, with a fresh number (`ns_alloc_inum`; `ENOSPC` when they run out).
    pub fn try_new() -> Result<NsCommon, Errno> {
        let inum = NEXT_INUM
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .map_err(|_| Errno::ENOSPC)?;
        Ok(NsCommon { inum })
    }
}

/// The kinds of namespace, with the `CLONE_NEW*` flag that names each (`NS_GET_NSTYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsKind {
    Cgroup,
    Ipc,
    Mnt,
    Pid,
    Time,
    User,
    Uts,
}

impl NsKind {
    /// Its name in `/proc/PID/ns` and in the link text.
    pub fn name(self) -> &'static str {
        match self {
            NsKind::Cgroup => "cgroup",
            NsKind::Ipc => "ipc",
            NsKind::Mnt => "mnt",
            NsKind::Pid => "pid",
            NsKind::Time => "time",
            NsKind::User => "user",
            NsKind::Uts => "uts",
        }
    }

    pub fn clone_flag(self) -> CloneFlags {
        match self {
            NsKind::Cgroup => CloneFlags::CLONE_NEWCGROUP,
            NsKind::Ipc => CloneFlags::CLONE_NEWIPC,
            NsKind::Mnt => CloneFlags::CLONE_NEWNS,
            NsKind::Pid => CloneFlags::CLONE_NEWPID,
            NsKind::Time => CloneFlags::CLONE_NEWTIME,
            NsKind::User => CloneFlags::CLONE_NEWUSER,
            NsKind::Uts => CloneFlags::CLONE_NEWUTS,
        }
    }
}

/// One entry of `/proc/PID/ns`: its name, its kind, and whether it is the namespace the
/// task's children will be made in (`pid_for_children`) rather than its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NsEntry {
    pub name: &'static str,
    pub kind: NsKind,
    pub for_children: bool,
}

const fn entry(name: &'static str, kind: NsKind, for_children: bool) -> NsEntry {
    NsEntry {
        name,
        kind,
        for_children,
    }
}

/// The entries of `/proc/PID/ns`, sorted by name as readdir shows them.
pub const ENTRIES: [NsEntry; 9] = [
    entry("cgroup", NsKind::Cgroup, false),
    entry("ipc", NsKind::Ipc, false),
    entry("mnt", NsKind::Mnt, false),
    entry("pid", NsKind::Pid, false),
    entry("pid_for_children", NsKind::Pid, true),
    entry("time", NsKind::Time, false),
    entry("time_for_children", NsKind::Time, true),
    entry("user", NsKind::User, false),
    entry("uts", NsKind::Uts, false),
];

/// A mount namespace: a tree of mounts (`vfs::MountNamespace`) and its owner.
pub struct MntNs {
    pub common: NsCommon,
    pub owner: Arc<UserNs>,
    pub tree: Arc<vfs::MountNamespace>,
}

/// A cgroup namespace. There is one cgroup hierarchy and every process is in its root, so
/// every cgroup namespace's root is that root.
pub struct CgroupNs {
    pub common: NsCommon,
    pub owner: Arc<UserNs>,
}

/// One namespace of any kind, as an nsfs file or a `/proc/PID/ns` link holds it.
#[derive(Clone)]
pub enum NsRef {
    Cgroup(Arc<CgroupNs>),
    Ipc(Arc<IpcNs>),
    Mnt(Arc<MntNs>),
    Pid(Arc<pid::PidNs>),
    Time(Arc<time::TimeNs>),
    User(Arc<UserNs>),
    Uts(Arc<UtsNs>),
}

impl NsRef {
    pub fn kind(&self) -> NsKind {
        match self {
            NsRef::Cgroup(_) => NsKind::Cgroup,
            NsRef::Ipc(_) => NsKind::Ipc,
            NsRef::Mnt(_) => NsKind::Mnt,
            NsRef::Pid(_) => NsKind::Pid,
            NsRef::Time(_) => NsKind::Time,
            NsRef::User(_) => NsKind::User,
            NsRef::Uts(_) => NsKind::Uts,
        }
    }

    pub fn inum(&self) -> u32 {
        match self {
            NsRef::Cgroup(ns) => ns.common.inum,
            NsRef::Ipc(ns) => ns.common.inum,
            NsRef::Mnt(ns) => ns.common.inum,
            NsRef::Pid(ns) => ns.common.inum,
            NsRef::Time(ns) => ns.common.inum,
            NsRef::User(ns) => ns.common.inum,
            NsRef::Uts(ns) => ns.common.inum,
        }
    }

    /// The owning user namespace (`ns_ops->owner`): a user namespace's is its parent.
    pub fn owner(&self) -> Option<Arc<UserNs>> {
        match self {
            NsRef::Cgroup(ns) => Some(ns.owner.clone()),
            NsRef::Ipc(ns) => Some(ns.owner.clone()),
            NsRef::Mnt(ns) => Some(ns.owner.clone()),
            NsRef::Pid(ns) => Some(ns.owner.clone()),
            NsRef::Time(ns) => Some(ns.owner.clone()),
            NsRef::User(ns) => ns.parent.clone(),
            NsRef::Uts(ns) => Some(ns.owner.clone()),
        }
    }

    /// `/proc/PID/ns/X`'s link text: `kind:[inum]`.
    pub fn link_text(&self) -> alloc::vec::Vec<u8> {
        alloc::format!("{}:[{}]", self.kind().name(), self.inum()).into_bytes()
    }
}

/// A thread's namespaces (Linux's `struct nsproxy`), immutable once made.
#[derive(Clone)]
pub struct NsProxy {
    pub uts: Arc<UtsNs>,
    pub ipc: Arc<IpcNs>,
    pub mnt: Arc<MntNs>,
    pub cgroup: Arc<CgroupNs>,
    /// Where the thread's children get their pids (`pid_ns_for_children`): its own PID
    /// namespace until unshare(`CLONE_NEWPID`) or setns to a PID namespace.
    pub pid_for_children: Arc<pid::PidNs>,
    /// The thread's time namespace, and the one its children enter (they differ after
    /// unshare(`CLONE_NEWTIME`) until the next fork or exec).
    pub time: Arc<time::TimeNs>,
    pub time_for_children: Arc<time::TimeNs>,
}

impl NsProxy {
    /// The namespace of `kind` in this set (the user namespace is in the credentials).
    pub fn get(&self, kind: NsKind) -> Option<NsRef> {
        match kind {
            NsKind::Cgroup => Some(NsRef::Cgroup(self.cgroup.clone())),
            NsKind::Ipc => Some(NsRef::Ipc(self.ipc.clone())),
            NsKind::Mnt => Some(NsRef::Mnt(self.mnt.clone())),
            NsKind::Uts => Some(NsRef::Uts(self.uts.clone())),
            NsKind::Pid => Some(NsRef::Pid(self.pid_for_children.clone())),
            NsKind::Time => Some(NsRef::Time(self.time.clone())),
            NsKind::User => None,
        }
    }

    /// The namespace of `entry` of `/proc/PID/ns` in this set.
    pub fn entry(&self, entry: &NsEntry) -> Option<NsRef> {
        match entry.kind {
            NsKind::Time if entry.for_children => Some(NsRef::Time(self.time_for_children.clone())),
            kind => self.get(kind),
        }
    }
}

static INITIAL: Once<Arc<NsProxy>> = Once::new();

/// The initial namespaces (init's). The first call must come after the root filesystem is
/// made (the initial mount namespace is its tree).
pub fn initial() -> &'static Arc<NsProxy> {
    INITIAL.call_once(|| {
        let owner = user::initial().clone();
        Arc::new(NsProxy {
            uts: crate::uts::UtsNs::initial(owner.clone())
                .unwrap_or_else(|_| panic!("no memory for the initial namespaces")),
            ipc: IpcNs::initial(owner.clone())
                .unwrap_or_else(|_| panic!("no memory for the initial namespaces")),
            mnt: Arc::new(MntNs {
                common: NsCommon::initial(PROC_DYNAMIC_FIRST + 1),
                owner: owner.clone(),
                tree: crate::fs::initial_namespace().clone(),
            }),
            cgroup: Arc::new(CgroupNs {
                common: NsCommon::initial(PROC_CGROUP_INIT_INO),
                owner,
            }),
            pid_for_children: pid::initial().clone(),
            time: time::initial().clone(),
            time_for_children: time::initial().clone(),
        })
    })
}
