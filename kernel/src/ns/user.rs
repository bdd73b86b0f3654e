//! User namespaces (Linux's `kernel/user_namespace.c`): a tree of namespaces, each with the
//! uid and gid maps that say which ids of its parent its ids are, the owner (the creator's
//! effective uid and gid), and whether setgroups(2) is allowed.
//!
//! Credentials hold kernel ids (the initial namespace's) and the user namespace they live in;
//! the syscalls that show ids translate them up into the caller's namespace (an unmapped id
//! reads as 65534, `overflowuid`) and the ones that take ids translate them down (an unmapped
//! id is `EINVAL`). A capability counts in a namespace when the credentials live there and have
//! it, or when the namespace (or an ancestor below the credentials' own) was created by the
//! credentials' effective uid in their namespace (`cap_capable`).
//!
//! Creation (`create_user_ns`): not below a namespace of level 33 (`ENOSPC`), not from a chroot (`EPERM`), and
//! only by a caller whose euid and egid are mapped in its own namespace (`EPERM`);
//! unprivileged callers are allowed as Debian's `kernel.unprivileged_userns_clone` (default 1)
//! says. The creator gets every capability in the new namespace and none of its securebits
//! (`set_cred_user_ns`).
//!
//! The maps (`/proc/PID/uid_map`, `gid_map`, `setgroups`) are written once each, with
//! `map_write`'s rules: the writer is in the namespace or its parent and has `CAP_SYS_ADMIN` in
//! it; either one extent mapping the writer's own euid (for gid_map: egid, after setgroups was
//! set to `deny`), or `CAP_SETUID`/`CAP_SETGID` in the parent namespace. Parsing and
//! translation are `nsrules::idmap`'s.
//!
//! Not done: ids in stat, /proc status and file ownership are shown as kernel ids; file
//! permission checks inside a non-initial namespace get no capability overrides (Linux grants
//! them for files whose owner is mapped); `user.max_user_namespaces` is not a limit.

use super::NsCommon;
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use hal::sync::SpinLock;
use nsrules::idmap::{Extent, IdMap, OVERFLOW_ID};
use spin::Once;

/// The deepest level a namespace may have children at (the initial namespace is level 0;
/// Linux refuses a parent whose level is above 32).
pub const MAX_LEVEL: u32 = 32;

/// Debian's `kernel.unprivileged_userns_clone`: 1 lets unprivileged callers create user
/// namespaces.
pub static UNPRIVILEGED_USERNS_CLONE: AtomicI32 = AtomicI32::new(1);

struct Maps {
    uid: IdMap,
    gid: IdMap,
}

/// One user namespace.
pub struct UserNs {
    pub common: NsCommon,
    pub parent: Option<Arc<UserNs>>,
    pub level: u32,
    /// The creator's effective uid (a kernel id).
    pub owner_uid: u32,
    maps: SpinLock<Maps>,
    /// `USERNS_SETGROUPS_ALLOWED`: cleared by writing `deny` to `/proc/PID/setgroups`.
    setgroups_allowed: AtomicBool,
}

impl core::fmt::Debug for UserNs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UserNs")
            .field("inum", &self.common.inum)
            .field("level", &self.level)
            .finish()
    }
}

static INITIAL: Once<Arc<UserNs>> = Once::new();

/// The initial user namespace (`init_user_ns`: identity maps, setgroups allowed).
pub fn initial() -> &'static Arc<UserNs> {
    INITIAL.call_once(|| {
        Arc::new(UserNs {
            common: NsCommon::initial(super::PROC_USER_INIT_INO),
            parent: None,
            level: 0,
            owner_uid: 0,
            maps: SpinLock::new(
                "user_ns.maps",
                Maps {
                    uid: IdMap::identity(),
                    gid: IdMap::identity(),
                },
            ),
            setgroups_allowed: AtomicBool::new(true),
        })
    })
}

/// Which map a `/proc` file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    Uid,
    Gid,
}

impl UserNs {
    pub fn is_initial(&self) -> bool {
        self.parent.is_none()
    }

    /// A child of `parent` owned by `owner_uid` (a kernel id), with empty maps.
    pub fn try_new_child(parent: &Arc<UserNs>, owner_uid: u32) -> Result<Arc<UserNs>, Errno> {
        if parent.level > MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(UserNs {
            common: NsCommon::try_new()?,
            parent: Some(parent.clone()),
            level: parent.level + 1,
            owner_uid,
            maps: SpinLock::new(
                "user_ns.maps",
                Maps {
                    uid: IdMap::default(),
                    gid: IdMap::default(),
                },
            ),
            // A child may call setgroups only if its parent may (`create_user_ns`).
            setgroups_allowed: AtomicBool::new(parent.is_setgroups_allowed()),
        }))
    }

    /// Whether `self` is `other` or one of its descendants (`in_userns(other, self)`).
    pub fn is_within(self: &Arc<Self>, other: &Arc<UserNs>) -> bool {
        let mut ns = Some(self.clone());
        while let Some(current) = ns {
            if current.level < other.level {
                return false;
            }
            if Arc::ptr_eq(&current, other) {
                return true;
            }
            ns = current.parent.clone();
        }
        false
    }

    /// The kernel id for `id` as this namespace sees it (`make_kuid`). Maps hold kernel ids
    /// as their lower ids, as Linux's do.
    pub fn to_kernel(&self, kind: MapKind, id: u32) -> Option<u32> {
        self.map(kind, |map| map.down(id))
    }

    /// The kernel ids for `first..first+count` as this namespace sees them, if one extent holds
    /// them all (`map_id_range_down`).
    pub fn range_to_kernel(&self, kind: MapKind, first: u32, count: u32) -> Option<u32> {
        self.map(kind, |map| map.down_range(first, count))
    }

    /// How this namespace sees kernel id `id` (`from_kuid`), `None` when unmapped.
    pub fn view_of(&self, kind: MapKind, id: u32) -> Option<u32> {
        self.map(kind, |map| map.up(id))
    }

    /// [`view_of`](Self::view_of), unmapped ids as 65534 (`from_kuid_munged`).
    pub fn view_munged(self: &Arc<Self>, kind: MapKind, id: u32) -> u32 {
        self.view_of(kind, id).unwrap_or(OVERFLOW_ID)
    }

    fn map<R>(&self, kind: MapKind, f: impl FnOnce(&IdMap) -> R) -> R {
        let maps = self.maps.lock();
        f(match kind {
            MapKind::Uid => &maps.uid,
            MapKind::Gid => &maps.gid,
        })
    }

    /// Whether the map has been written.
    pub fn has_map(&self, kind: MapKind) -> bool {
        self.map(kind, |map| !map.is_empty())
    }

    pub fn is_setgroups_allowed(&self) -> bool {
        self.setgroups_allowed.load(Ordering::Acquire)
    }

    /// The text of `uid_map`/`gid_map` as a reader in `reader` sees it (`uid_m_show`: lower
    /// ids in the reader's namespace, or in the parent's when the reader is inside this one;
    /// an id the reader cannot see is shown as 4294967295).
    pub fn show_map(self: &Arc<Self>, kind: MapKind, reader: &Arc<UserNs>) -> alloc::vec::Vec<u8> {
        let map = self.map(kind, Clone::clone);
        let viewer = match &self.parent {
            Some(parent) if Arc::ptr_eq(reader, self) => parent.clone(),
            _ => reader.clone(),
        };
        map.show(|lower| viewer.view_of(kind, lower).unwrap_or(u32::MAX))
    }

    /// `setgroups`: `allow` or `deny` (`proc_setgroups_show`).
    pub fn show_setgroups(&self) -> &'static [u8] {
        if self.is_setgroups_allowed() {
            b"allow\n"
        } else {
            b"deny\n"
        }
    }

    /// A write to `setgroups` (`proc_setgroups_write`): `allow` or `deny`, nothing else
    /// (`EINVAL`); `deny` only before the gid map is written, `allow` only while allowed
    /// (`EPERM`).
    pub fn write_setgroups(&self, text: &[u8]) -> Result<(), Errno> {
        let word = text.trim_ascii_end();
        let allow = match word {
            b"allow" => true,
            b"deny" => false,
            _ => return Err(Errno::EINVAL),
        };
        let maps = self.maps.lock();
        if allow {
            if !self.is_setgroups_allowed() {
                return Err(Errno::EPERM);
            }
        } else {
            if !maps.gid.is_empty() {
                return Err(Errno::EPERM);
            }
            self.setgroups_allowed.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// Installs a parsed map whose lower ids are already kernel ids (`map_write`'s end):
    /// `EPERM` if the map was written before.
    pub fn install_map(
        &self,
        kind: MapKind,
        extents: alloc::vec::Vec<Extent>,
    ) -> Result<(), Errno> {
        let mut maps = self.maps.lock();
        let slot = match kind {
            MapKind::Uid => &mut maps.uid,
            MapKind::Gid => &mut maps.gid,
        };
        if !slot.is_empty() {
            return Err(Errno::EPERM);
        }
        *slot = IdMap::from_extents(extents);
        Ok(())
    }
}

/// A write to `/proc/PID/uid_map` or `gid_map` of namespace `ns` by `writer` (`map_write` and
/// `new_idmap_permitted`; the opener is taken to be the writer).
pub fn write_map(
    ns: &Arc<UserNs>,
    kind: MapKind,
    writer: &crate::process::Credentials,
    offset: u64,
    text: &[u8],
) -> Result<usize, Errno> {
    use abi::capability::{CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
    if offset != 0 || text.len() >= 4096 {
        return Err(Errno::EINVAL);
    }
    let parent = ns.parent.clone().ok_or(Errno::EPERM)?;
    let own = &writer.user_ns.0;
    if !Arc::ptr_eq(own, ns) && !Arc::ptr_eq(own, &parent) {
        return Err(Errno::EPERM);
    }
    if ns.has_map(kind) || !writer.ns_capable(ns, CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let mut extents = nsrules::idmap::parse(text)?;
    // new_idmap_permitted: one id, the writer's own (for gids only once setgroups is denied),
    // by the namespace's owner; else CAP_SETUID/CAP_SETGID over the parent.
    let is_own_id = extents.len() == 1 && extents[0].count == 1 && ns.owner_uid == writer.euid && {
        let id = parent.to_kernel(kind, extents[0].lower_first);
        match kind {
            MapKind::Uid => id == Some(writer.euid),
            MapKind::Gid => !ns.is_setgroups_allowed() && id == Some(writer.egid),
        }
    };
    let cap = match kind {
        MapKind::Uid => CAP_SETUID,
        MapKind::Gid => CAP_SETGID,
    };
    if !is_own_id && !writer.ns_capable(&parent, cap) {
        return Err(Errno::EPERM);
    }
    for extent in &mut extents {
        extent.lower_first = parent
            .range_to_kernel(kind, extent.lower_first, extent.count)
            .ok_or(Errno::EPERM)?;
    }
    ns.install_map(kind, extents)?;
    Ok(text.len())
}
