//! Credentials: real, effective, saved and filesystem user and group ids, and supplementary
//! groups (Linux's `struct cred`), with the id-changing rules of `kernel/sys.c` (`setuid`,
//! `setreuid`, `setresuid`, `setfsuid` and their gid twins) and `kernel/groups.c`.
//!
//! Capabilities are Linux's five sets and securebits ([`abi::capability::Capabilities`], where
//! the rules live): a privileged operation asks for one capability of the effective set
//! ([`Credentials::has_capability`], Linux's `capable`). Changing uids adjusts the sets as
//! `cap_task_fix_setuid` does (leaving root loses them unless `SECURE_KEEP_CAPS`, the
//! effective set follows the euid, the filesystem capabilities follow the fsuid). The
//! filesystem ids follow the effective ids as Linux's, and the vfs layer checks with them and
//! the effective set ([`Credentials::for_fs`]).
//!
//! User namespaces: the ids are kernel ids (the initial namespace's) and [`Credentials::user_ns`]
//! is the namespace they live in; [`Credentials::has_capability`] is Linux's `capable` (a
//! capability in the initial namespace), [`Credentials::ns_capable`] asks about any namespace,
//! and the uid-change rules see ids as the credentials' namespace sees them (its root is uid 0
//! there). Not done: file capabilities. Credentials are per process, not per thread:
//! the C libraries broadcast set*id calls to every thread, and every rule here is idempotent
//! for them; capset(2) of one thread changes its whole process (Linux: the thread only).

use crate::ns::user::{MapKind, UserNs};
use abi::Errno;
use abi::capability::{CAP_SETGID, CAP_SETUID, Capabilities, Uids};
use alloc::sync::Arc;
use alloc::vec::Vec;

/// `NGROUPS_MAX`.
pub const NGROUPS_MAX: usize = abi::raw::general::NGROUPS_MAX as usize;
/// `(uid_t)-1`: "leave unchanged" for setre*/setres*, invalid for setuid/setgid.
pub const NO_ID: u32 = u32::MAX;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// Supplementary groups, sorted ascending as Linux's `groups_sort` keeps them.
    pub groups: Vec<u32>,
    /// The capability sets and securebits (init's: every capability).
    pub caps: Capabilities,
    /// The user namespace the ids and capabilities belong to.
    pub user_ns: UserNsRef,
}

/// The user namespace of a set of credentials: the initial one by default; equal when it is
/// the same namespace.
#[derive(Clone)]
pub struct UserNsRef(pub Arc<UserNs>);

impl Default for UserNsRef {
    fn default() -> Self {
        UserNsRef(crate::ns::user::initial().clone())
    }
}

impl PartialEq for UserNsRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for UserNsRef {}

impl core::fmt::Debug for UserNsRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

/// The three ids of a set (real, effective, saved) that a request may change.
#[derive(Clone, Copy)]
struct IdSet {
    real: u32,
    effective: u32,
    saved: u32,
    fs: u32,
}

impl IdSet {
    fn holds(&self, id: u32) -> bool {
        id == self.real || id == self.effective || id == self.saved
    }

    /// `setuid`/`setgid`: privileged callers set all ids; others only the effective (and fs)
    /// id, to the real or saved id.
    fn set_id(&mut self, id: u32, is_capable: bool) -> Result<(), Errno> {
        if id == NO_ID {
            return Err(Errno::EINVAL);
        }
        if is_capable {
            self.real = id;
            self.saved = id;
        } else if id != self.real && id != self.saved {
            return Err(Errno::EPERM);
        }
        self.effective = id;
        self.fs = id;
        Ok(())
    }

    /// `setreuid`/`setregid`.
    fn set_re(&mut self, real: u32, effective: u32, is_capable: bool) -> Result<(), Errno> {
        let old = *self;
        if real != NO_ID {
            if real != old.real && real != old.effective && !is_capable {
                return Err(Errno::EPERM);
            }
            self.real = real;
        }
        if effective != NO_ID {
            if !old.holds(effective) && !is_capable {
                return Err(Errno::EPERM);
            }
            self.effective = effective;
        }
        if real != NO_ID || (effective != NO_ID && effective != old.real) {
            self.saved = self.effective;
        }
        self.fs = self.effective;
        Ok(())
    }

    /// `setresuid`/`setresgid`.
    fn set_res(
        &mut self,
        real: u32,
        effective: u32,
        saved: u32,
        is_capable: bool,
    ) -> Result<(), Errno> {
        let old = *self;
        let is_noop = (real == NO_ID || real == old.real)
            && (effective == NO_ID || (effective == old.effective && effective == old.fs))
            && (saved == NO_ID || saved == old.saved);
        if is_noop {
            return Ok(());
        }
        let is_new = |id: u32| id != NO_ID && !old.holds(id);
        if (is_new(real) || is_new(effective) || is_new(saved)) && !is_capable {
            return Err(Errno::EPERM);
        }
        if real != NO_ID {
            self.real = real;
        }
        if effective != NO_ID {
            self.effective = effective;
        }
        if saved != NO_ID {
            self.saved = saved;
        }
        self.fs = self.effective;
        Ok(())
    }

    /// `setfsuid`/`setfsgid`: returns the old fs id, whether or not it changed.
    fn set_fs(&mut self, id: u32, is_capable: bool) -> u32 {
        let old = self.fs;
        if id != NO_ID && (self.holds(id) || id == self.fs || is_capable) {
            self.fs = id;
        }
        old
    }
}

impl Credentials {
    /// The credentials of init: root in every id.
    pub fn root() -> Credentials {
        Credentials::default()
    }

    /// The view the filesystem layer checks permissions with.
    pub fn for_fs(&self) -> vfs::Credentials {
        vfs::Credentials::with_caps(
            self.fsuid,
            self.fsgid,
            self.groups.clone(),
            self.initial_ns_caps(self.caps.effective).0,
        )
    }

    /// `caps` where they count for the filesystem: in the initial user namespace only (a
    /// namespace's capabilities do not override file permissions here).
    fn initial_ns_caps(&self, caps: abi::capability::CapSet) -> abi::capability::CapSet {
        if self.user_ns.0.is_initial() {
            caps
        } else {
            abi::capability::CapSet::EMPTY
        }
    }

    /// The view access(2) checks with (`access_override_creds`): the real ids, and the
    /// permitted set as effective for real uid 0, none for others (unless
    /// `SECURE_NO_SETUID_FIXUP`).
    pub fn for_access(&self) -> vfs::Credentials {
        let caps = if self.caps.securebits & abi::capability::SECURE_NO_SETUID_FIXUP != 0 {
            self.caps.effective
        } else if self.uid == 0 {
            self.caps.permitted
        } else {
            abi::capability::CapSet::EMPTY
        };
        vfs::Credentials::with_caps(
            self.uid,
            self.gid,
            self.groups.clone(),
            self.initial_ns_caps(caps).0,
        )
    }

    /// Whether the credentials have capability `cap` (`CAP_*`) in the initial user namespace
    /// (Linux's `capable`).
    pub fn has_capability(&self, cap: u32) -> bool {
        self.ns_capable(crate::ns::user::initial(), cap)
    }

    /// Whether the credentials have `cap` in `target` (`cap_capable`): in their own namespace
    /// by the effective set; in a namespace below theirs always when they created it (or the
    /// ancestor of it that is their child) with this effective uid; never above theirs.
    pub fn ns_capable(&self, target: &Arc<UserNs>, cap: u32) -> bool {
        let own = &self.user_ns.0;
        let mut ns = target.clone();
        loop {
            if Arc::ptr_eq(&ns, own) {
                return self.caps.has(cap);
            }
            if ns.level <= own.level {
                return false;
            }
            let Some(parent) = ns.parent.clone() else {
                return false;
            };
            if Arc::ptr_eq(&parent, own) && ns.owner_uid == self.euid {
                return true;
            }
            ns = parent;
        }
    }

    /// `id` (a kernel uid or gid) as the credentials' namespace sees it, 65534 if unmapped.
    pub fn view(&self, kind: MapKind, id: u32) -> u32 {
        self.user_ns.0.view_munged(kind, id)
    }

    /// The kernel id of `id` as given in the credentials' namespace (`make_kuid`); `None`
    /// when unmapped. `NO_ID` stays `NO_ID` (the "unchanged" of setre*/setres*).
    pub fn kernel_id(&self, kind: MapKind, id: u32) -> Option<u32> {
        if id == NO_ID {
            return Some(NO_ID);
        }
        self.user_ns.0.to_kernel(kind, id)
    }

    /// The uids as the namespace sees them, for the capability rules (whose root is uid 0 of
    /// the namespace, `make_kuid(ns, 0)`).
    fn uid_set(&self) -> Uids {
        Uids {
            real: self.view(MapKind::Uid, self.uid),
            effective: self.view(MapKind::Uid, self.euid),
            saved: self.view(MapKind::Uid, self.suid),
            fs: self.view(MapKind::Uid, self.fsuid),
        }
    }

    fn uids(&self) -> IdSet {
        IdSet {
            real: self.uid,
            effective: self.euid,
            saved: self.suid,
            fs: self.fsuid,
        }
    }

    fn gids(&self) -> IdSet {
        IdSet {
            real: self.gid,
            effective: self.egid,
            saved: self.sgid,
            fs: self.fsgid,
        }
    }

    fn apply_uids(&mut self, ids: IdSet) {
        self.uid = ids.real;
        self.euid = ids.effective;
        self.suid = ids.saved;
        self.fsuid = ids.fs;
    }

    fn apply_gids(&mut self, ids: IdSet) {
        self.gid = ids.real;
        self.egid = ids.effective;
        self.sgid = ids.saved;
        self.fsgid = ids.fs;
    }

    /// Runs `change` on a copy of the uid set and keeps it only if it succeeds.
    fn change_uids(
        &mut self,
        change: impl FnOnce(&mut IdSet, bool) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let old = self.uid_set();
        let mut ids = self.uids();
        change(&mut ids, self.caps.has(CAP_SETUID))?;
        self.apply_uids(ids);
        let new = self.uid_set();
        self.caps.fix_setuid(old, new);
        Ok(())
    }

    fn change_gids(
        &mut self,
        change: impl FnOnce(&mut IdSet, bool) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let mut ids = self.gids();
        change(&mut ids, self.caps.has(CAP_SETGID))?;
        self.apply_gids(ids);
        Ok(())
    }

    pub fn set_uid(&mut self, uid: u32) -> Result<(), Errno> {
        self.change_uids(|ids, is_capable| ids.set_id(uid, is_capable))
    }

    pub fn set_gid(&mut self, gid: u32) -> Result<(), Errno> {
        self.change_gids(|ids, is_capable| ids.set_id(gid, is_capable))
    }

    pub fn set_reuid(&mut self, ruid: u32, euid: u32) -> Result<(), Errno> {
        self.change_uids(|ids, is_capable| ids.set_re(ruid, euid, is_capable))
    }

    pub fn set_regid(&mut self, rgid: u32, egid: u32) -> Result<(), Errno> {
        self.change_gids(|ids, is_capable| ids.set_re(rgid, egid, is_capable))
    }

    pub fn set_resuid(&mut self, ruid: u32, euid: u32, suid: u32) -> Result<(), Errno> {
        self.change_uids(|ids, is_capable| ids.set_res(ruid, euid, suid, is_capable))
    }

    pub fn set_resgid(&mut self, rgid: u32, egid: u32, sgid: u32) -> Result<(), Errno> {
        self.change_gids(|ids, is_capable| ids.set_res(rgid, egid, sgid, is_capable))
    }

    /// Returns the previous fsuid (setfsuid never fails).
    pub fn set_fsuid(&mut self, fsuid: u32) -> u32 {
        let mut ids = self.uids();
        let old = ids.set_fs(fsuid, self.caps.has(CAP_SETUID));
        self.apply_uids(ids);
        let (old_view, new_view) = (
            self.view(MapKind::Uid, old),
            self.view(MapKind::Uid, self.fsuid),
        );
        self.caps.fix_setfsuid(old_view, new_view);
        old
    }

    /// Returns the previous fsgid (setfsgid never fails).
    pub fn set_fsgid(&mut self, fsgid: u32) -> u32 {
        let mut ids = self.gids();
        let old = ids.set_fs(fsgid, self.caps.has(CAP_SETGID));
        self.apply_gids(ids);
        old
    }

    /// Whether a change from `old` to these credentials resets dumpability and the parent-death
    /// signal (`commit_creds`: any change of euid, egid, fsuid or fsgid).
    pub fn is_identity_change_from(&self, old: &Credentials) -> bool {
        self.euid != old.euid
            || self.egid != old.egid
            || self.fsuid != old.fsuid
            || self.fsgid != old.fsgid
    }

    /// Replaces the supplementary groups (the caller checked privilege and size); sorted as
    /// Linux stores them (duplicates kept).
    pub fn set_groups(&mut self, mut groups: Vec<u32>) {
        groups.sort_unstable();
        self.groups = groups;
    }
}
