//! What unshare(2), setns(2) and clone's `CLONE_NEW*` flags do to a task's namespaces and
//! credentials (Linux `ksys_unshare`, `copy_namespaces`, `create_user_ns`, `setns` with its
//! `*_install` operations). The flag rules are `nsrules::flags`'.
//!
//! Privilege: every namespace kind but the user namespace needs `CAP_SYS_ADMIN` in the user
//! namespace the new ones will belong to (the new user namespace when one is made in the same
//! call, whose creator has every capability there), else `EPERM`. setns needs `CAP_SYS_ADMIN`
//! in the target's owning user namespace and in the caller's own (a mount namespace also
//! `CAP_SYS_CHROOT`); joining a user namespace needs `CAP_SYS_ADMIN` in it, a single-threaded
//! caller whose filesystem context is its own (`EINVAL`), and not the caller's own namespace
//! (`EINVAL`); joining a mount namespace needs an unshared filesystem context (`EINVAL`) and
//! moves root and cwd to the namespace's root.
//!
//! Where Ferrux differs: a process's filesystem context and descriptor table are per process
//! (Linux: per thread, shared by `CLONE_FS`/`CLONE_FILES`), so unshare of `CLONE_FS` (and so
//! of `CLONE_NEWNS`) by a thread of a multithreaded process is `EINVAL`, and so is a clone with
//! `CLONE_THREAD | CLONE_NEWNS`.

use super::pid::PidNs;
use super::time::TimeNs;
use super::user::{self, MapKind, UserNs};
use super::{CgroupNs, MntNs, NsCommon, NsKind, NsProxy, NsRef};
use crate::fs::FsContext;
use crate::ipc::IpcNs;
use crate::process::{Credentials, Thread};
use abi::capability::{CAP_SYS_ADMIN, CAP_SYS_CHROOT, Capabilities};
use abi::{CloneFlags, Errno};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use nsrules::flags::{self as rules, Sharing};
use vfs::{Mount, Path};

/// Credentials for a new user namespace below the caller's (`create_user_ns` and
/// `set_cred_user_ns`): the old ids, every capability in the new namespace.
fn credentials_in_new_user_ns(thread: &Thread, old: &Credentials) -> Result<Credentials, Errno> {
    if user::UNPRIVILEGED_USERNS_CLONE.load(Ordering::Relaxed) == 0
        && !old.has_capability(CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    let parent = &old.user_ns.0;
    if parent.level > user::MAX_LEVEL {
        return Err(Errno::ENOSPC);
    }
    if is_chrooted(thread) {
        return Err(Errno::EPERM);
    }
    if parent.view_of(MapKind::Uid, old.euid).is_none()
        || parent.view_of(MapKind::Gid, old.egid).is_none()
    {
        return Err(Errno::EPERM);
    }
    let child = UserNs::try_new_child(parent, old.euid)?;
    let mut new = old.clone();
    new.user_ns = crate::process::credentials::UserNsRef(child);
    new.caps = Capabilities::init();
    Ok(new)
}

/// Linux `current_chrooted`: the root is not the mount namespace's root.
fn is_chrooted(thread: &Thread) -> bool {
    let root = thread.process.fs.get().lock().root.clone();
    !root.same(&thread.nsproxy().mnt.tree.root())
}

/// `path` moved to the copy of its mount, when its mount was copied.
fn moved(path: &Path, pairs: &[(Arc<Mount>, Arc<Mount>)]) -> Path {
    pairs
        .iter()
        .find(|(old, _)| Arc::ptr_eq(old, path.mnt()))
        .map_or_else(
            || path.clone(),
            |(_, new)| Path::new(new.clone(), path.dentry().clone()),
        )
}

/// The namespaces of `flags` made new (`create_new_namespaces`), owned by `owner`; a new mount
/// namespace also moves `fs`'s root and cwd into the copy.
fn new_namespaces(
    flags: CloneFlags,
    old: &NsProxy,
    active_pid: &Arc<PidNs>,
    owner: &Arc<UserNs>,
    fs: &mut FsContext,
) -> Result<Arc<NsProxy>, Errno> {
    let mut new = old.clone();
    if flags.contains(CloneFlags::CLONE_NEWPID) {
        // `copy_pid_ns`: only from the task's own namespace (a second unshare before a fork
        // is EINVAL).
        if !Arc::ptr_eq(&old.pid_for_children, active_pid) {
            return Err(Errno::EINVAL);
        }
        new.pid_for_children = PidNs::try_new_child(active_pid, owner.clone())?;
    }
    if flags.contains(CloneFlags::CLONE_NEWNS) {
        let unprivileged = !Arc::ptr_eq(owner, &old.mnt.owner);
        let (tree, pairs) = old.mnt.tree.copy(unprivileged)?;
        fs.root = moved(&fs.root, &pairs);
        fs.cwd = moved(&fs.cwd, &pairs);
        new.mnt = Arc::new(MntNs {
            common: NsCommon::try_new()?,
            owner: owner.clone(),
            tree,
        });
    }
    if flags.contains(CloneFlags::CLONE_NEWUTS) {
        new.uts = old.uts.copy(owner.clone())?;
    }
    if flags.contains(CloneFlags::CLONE_NEWIPC) {
        new.ipc = IpcNs::new_child(owner.clone())?;
    }
    if flags.contains(CloneFlags::CLONE_NEWCGROUP) {
        new.cgroup = Arc::new(CgroupNs {
            common: NsCommon::try_new()?,
            owner: owner.clone(),
        });
    }
    if flags.contains(CloneFlags::CLONE_NEWTIME) {
        // `copy_time_ns`: a copy of the namespace for children, offsets included.
        new.time_for_children = TimeNs::try_new_child(&old.time_for_children, owner.clone())?;
    }
    Ok(Arc::new(new))
}

/// `proxy` with its time namespace for children entered (`timens_on_fork`), or `None` when
/// the thread is in it already.
pub fn entering_time_for_children(proxy: &NsProxy) -> Option<Arc<NsProxy>> {
    if Arc::ptr_eq(&proxy.time, &proxy.time_for_children) {
        return None;
    }
    let mut new = proxy.clone();
    new.time = proxy.time_for_children.clone();
    Some(Arc::new(new))
}

/// What a clone gives its child: credentials, namespaces and (with a new mount namespace) a
/// filesystem context, each `None` when the parent's are kept.
#[derive(Default)]
pub struct CloneNamespaces {
    pub credentials: Option<Credentials>,
    pub nsproxy: Option<Arc<NsProxy>>,
    pub fs: Option<FsContext>,
}

/// clone's namespace work (`copy_creds` and `copy_namespaces`), after the flag checks. The
/// child enters the parent's time namespace for children (`timens_on_fork`; the caller
/// refused threads and `CLONE_VM` children when that is not the parent's own, so only clone3's
/// `CLONE_NEWTIME | CLONE_VM` makes a child that shares memory across namespaces).
pub fn for_clone(parent: &Thread, flags: CloneFlags) -> Result<CloneNamespaces, Errno> {
    let mut out = for_clone_namespaces(parent, flags)?;
    let proxy = out.nsproxy.clone().unwrap_or_else(|| parent.nsproxy());
    if let Some(entered) = entering_time_for_children(&proxy) {
        out.nsproxy = Some(entered);
    }
    Ok(out)
}

fn for_clone_namespaces(parent: &Thread, flags: CloneFlags) -> Result<CloneNamespaces, Errno> {
    let mut out = CloneNamespaces::default();
    let old_credentials = parent.process.credentials.lock().clone();
    if flags.contains(CloneFlags::CLONE_NEWUSER) {
        out.credentials = Some(credentials_in_new_user_ns(parent, &old_credentials)?);
    }
    if !flags.intersects(rules::NON_USER) {
        return Ok(out);
    }
    if flags.contains(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_NEWNS) {
        return Err(Errno::EINVAL);
    }
    let credentials = out.credentials.as_ref().unwrap_or(&old_credentials);
    let owner = credentials.user_ns.0.clone();
    if !credentials.ns_capable(&owner, CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    rules::check_clone_namespaces(flags)?;
    let mut fs = parent.process.fs.get().lock().clone();
    out.nsproxy = Some(new_namespaces(
        flags,
        &parent.nsproxy(),
        parent.pid_ns(),
        &owner,
        &mut fs,
    )?);
    if flags.contains(CloneFlags::CLONE_NEWNS) {
        out.fs = Some(fs);
    }
    Ok(out)
}

/// A copy of the descriptor table for unshare(`CLONE_FILES`) (`dup_fd`): `EMFILE` when an open
/// descriptor is at or above `fs.nr_open`.
fn copy_files(thread: &Thread) -> Result<crate::fs::fd_table::FdTable, Errno> {
    let files = thread.process.files.get();
    let table = files.lock();
    let nr_open = crate::sysctl::nr_open() as usize;
    if table.open_fds().any(|(fd, ..)| fd as usize >= nr_open) {
        return Err(Errno::EMFILE);
    }
    table.try_clone()
}

/// unshare(2).
pub fn unshare(thread: &Arc<Thread>, raw: u64) -> Result<(), Errno> {
    let process = &thread.process;
    let has_other_threads = process.threads.lock().len() > 1;
    let sharing = Sharing {
        has_other_threads,
        shares_sighand: process.signals.is_shared(),
        shares_mm: process.mm.is_shared(),
    };
    let flags = rules::unshare_request(raw, sharing)?;
    if flags.contains(CloneFlags::CLONE_FS) && has_other_threads {
        return Err(Errno::EINVAL);
    }
    let old_credentials = process.credentials.lock().clone();
    if flags.contains(CloneFlags::CLONE_NEWUSER)
        && user::UNPRIVILEGED_USERNS_CLONE.load(Ordering::Relaxed) == 0
        && !old_credentials.has_capability(CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    let mut fs = process.fs.get().lock().clone();
    let new_fs = flags.contains(CloneFlags::CLONE_FS) && process.fs.is_shared();
    let new_files = if flags.contains(CloneFlags::CLONE_FILES) && process.files.is_shared() {
        Some(copy_files(thread)?)
    } else {
        None
    };
    let new_credentials = if flags.contains(CloneFlags::CLONE_NEWUSER) {
        Some(credentials_in_new_user_ns(thread, &old_credentials)?)
    } else {
        None
    };
    let new_nsproxy = if flags.intersects(rules::NON_USER) {
        let credentials = new_credentials.as_ref().unwrap_or(&old_credentials);
        let owner = credentials.user_ns.0.clone();
        if !credentials.ns_capable(&owner, CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        rules::check_supported(flags)?;
        Some(new_namespaces(
            flags,
            &thread.nsproxy(),
            thread.pid_ns(),
            &owner,
            &mut fs,
        )?)
    } else {
        None
    };

    // Commit (nothing above changed the task).
    if flags.contains(CloneFlags::CLONE_SYSVSEM) {
        crate::ipc::sem::exit(process);
    }
    if new_fs {
        drop(
            process
                .fs
                .replace(Arc::new(crate::process::shared::locked_fs(fs))),
        );
    } else if flags.contains(CloneFlags::CLONE_NEWNS) {
        *process.fs.get().lock() = fs;
    }
    if let Some(table) = new_files {
        drop(
            process
                .files
                .replace(Arc::new(crate::process::shared::locked_files(table))),
        );
    }
    if let Some(credentials) = new_credentials {
        *process.credentials.lock() = credentials;
    }
    if let Some(nsproxy) = new_nsproxy {
        thread.set_nsproxy(nsproxy);
    }
    Ok(())
}

/// The capability checks of joining `ns` (`*_install`) with `credentials`.
fn may_join(ns: &NsRef, credentials: &Credentials) -> Result<(), Errno> {
    let own = credentials.user_ns.0.clone();
    let admin = |target: &Arc<UserNs>| credentials.ns_capable(target, CAP_SYS_ADMIN);
    let is_allowed = match (ns, ns.owner()) {
        (NsRef::User(target), _) => admin(target),
        (NsRef::Mnt(_), Some(owner)) => {
            admin(&owner) && credentials.ns_capable(&own, CAP_SYS_CHROOT) && admin(&own)
        }
        (_, Some(owner)) => admin(&owner) && admin(&own),
        (_, None) => false,
    };
    if is_allowed {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The namespaces setns(2) joins: from an nsfs file (one namespace; `nstype` 0 or its kind)
/// or from a pidfd (the target's namespaces of every kind in `nstype`).
pub enum SetnsTarget {
    One(NsRef),
    Process(Arc<crate::process::Process>, CloneFlags),
}

/// setns(2) (`prepare_nsset`, `validate_nsset`, `commit_nsset`).
pub fn setns(thread: &Arc<Thread>, target: SetnsTarget) -> Result<(), Errno> {
    let process = &thread.process;
    let joins: Vec<NsRef> = match target {
        SetnsTarget::One(ns) => {
            if let NsRef::User(user) = &ns
                && Arc::ptr_eq(user, &process.credentials.lock().user_ns.0)
            {
                return Err(Errno::EINVAL);
            }
            alloc::vec![ns]
        }
        SetnsTarget::Process(other, flags) => {
            if other.is_zombie() {
                return Err(Errno::ESRCH);
            }
            let leader = other.main_thread().ok_or(Errno::ESRCH)?;
            let nsproxy = leader.nsproxy();
            let mut joins = Vec::new();
            let own_user = process.credentials.lock().user_ns.0.clone();
            for kind in [
                NsKind::User,
                NsKind::Mnt,
                NsKind::Uts,
                NsKind::Ipc,
                NsKind::Pid,
                NsKind::Cgroup,
                NsKind::Time,
            ] {
                if !flags.contains(kind.clone_flag()) {
                    continue;
                }
                let ns = match kind {
                    NsKind::User => {
                        let user = other.credentials.lock().user_ns.0.clone();
                        if Arc::ptr_eq(&user, &own_user) {
                            continue;
                        }
                        NsRef::User(user)
                    }
                    // A process's own PID namespace, not its children's (`pidns_for_nsset`).
                    NsKind::Pid => NsRef::Pid(other.pid_ns.clone()),
                    kind => nsproxy.get(kind).ok_or(Errno::EINVAL)?,
                };
                joins.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                joins.push(ns);
            }
            joins
        }
    };

    // Validate in Linux's order (the user namespace first: the others are checked with the
    // credentials it gives).
    let mut credentials = process.credentials.lock().clone();
    let mut nsproxy = (*thread.nsproxy()).clone();
    let mut fs = None;
    for ns in &joins {
        if ns.kind() == NsKind::User && (process.threads.lock().len() > 1 || process.fs.is_shared())
        {
            return Err(Errno::EINVAL);
        }
        // `timens_install`: only a process alone in its memory.
        if ns.kind() == NsKind::Time && (process.threads.lock().len() > 1 || process.mm.is_shared())
        {
            return Err(Errno::EUSERS);
        }
        may_join(ns, &credentials)?;
        match ns {
            NsRef::User(user) => {
                credentials.user_ns = crate::process::credentials::UserNsRef(user.clone());
                credentials.caps = Capabilities::init();
            }
            NsRef::Mnt(mnt) => {
                if process.threads.lock().len() > 1 || process.fs.is_shared() {
                    return Err(Errno::EINVAL);
                }
                let root = mnt.tree.root();
                let mut context = process.fs.get().lock().clone();
                context.root = root.clone();
                context.cwd = root;
                fs = Some(context);
                nsproxy.mnt = mnt.clone();
            }
            NsRef::Pid(pid) => {
                // `pidns_install`: only the caller's own namespace or one below it.
                if !thread.pid_ns().is_ancestor_of(pid) {
                    return Err(Errno::EINVAL);
                }
                nsproxy.pid_for_children = pid.clone();
            }
            NsRef::Uts(uts) => nsproxy.uts = uts.clone(),
            NsRef::Ipc(ipc) => nsproxy.ipc = ipc.clone(),
            NsRef::Cgroup(cgroup) => nsproxy.cgroup = cgroup.clone(),
            NsRef::Time(time) => {
                nsproxy.time = time.clone();
                nsproxy.time_for_children = time.clone();
            }
        }
    }

    // Commit.
    let joins_ipc = joins.iter().any(|ns| ns.kind() == NsKind::Ipc);
    if joins_ipc {
        crate::ipc::sem::exit(process);
    }
    if let Some(context) = fs {
        *process.fs.get().lock() = context;
    }
    if joins.iter().any(|ns| ns.kind() == NsKind::User) {
        *process.credentials.lock() = credentials;
    }
    let time_page = joins
        .iter()
        .any(|ns| ns.kind() == NsKind::Time)
        .then(|| nsproxy.time.vvar_page().cloned());
    thread.set_nsproxy(Arc::new(nsproxy));
    if let Some(page) = time_page {
        // `timens_commit`: the address space shows the namespace's vDSO page from now on.
        process.mm.get().write().set_time_namespace_page(page);
    }
    Ok(())
}
