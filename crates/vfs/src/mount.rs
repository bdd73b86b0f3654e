//! Mounts and paths, as Linux's `fs/namespace.c`, `fs/pnode.c` and `fs/d_path.c`.
//!
//! Key types: [`Mount`] (one mounted instance of a filesystem subtree: its root dentry, the
//! per-mount flags, the mount it is attached to and the dentry it covers there, the mounts
//! attached inside it), [`Path`] (a `(mount, dentry)` pair, Linux's `struct path`: every walk,
//! cwd, root and open file names an object this way), [`MountNamespace`] (the tree of mounts a
//! process sees, with the namespace lock that serialises changes to it, and the operations of
//! mount(2), umount2(2) and pivot_root(2) on it).
//!
//! Shape (Linux's): a mount is attached to a `(parent mount, mountpoint dentry)` pair; the
//! parent keeps its children in a map keyed by the mountpoint dentry, so the walk crosses into a
//! mount with one map lookup, and only at dentries whose mount count says something is mounted
//! there ([`Dentry::is_mountpoint`]). Several mounts on one place stack: the newer one is attached
//! to the root of the older one (`lock_mount`). A bind mount is another [`Mount`] of the same
//! superblock whose root may be any dentry; a file may be bind-mounted on a file.
//!
//! Rules followed (Linux 6.1):
//! - A new mount goes on the topmost mount at the target; mounting the same superblock on its own
//!   root is `EBUSY`; a directory over a non-directory or the reverse `ENOTDIR`; a target that
//!   was removed `ENOENT`; a target outside the namespace `EINVAL` (`do_add_mount`,
//!   `graft_tree`).
//! - Bind mounts copy the source mount's flags; `MS_REC` copies the mounts below the source too,
//!   except unbindable ones; an unbindable or detached source is `EINVAL` (`__do_loopback`).
//! - umount: the target must be the root of a mount (`EINVAL`), attached (`EINVAL`); the
//!   namespace's root cannot go (`EINVAL`). Without `MNT_DETACH` a mount that anything uses
//!   (an open file, a cwd or root, a mapping, a mount inside it) is `EBUSY`; `MNT_DETACH` takes
//!   the mount and every mount below it out of the tree at once and leaves them to live while
//!   used. `MNT_EXPIRE` marks an unused mount on the first call (`EAGAIN`) and unmounts it on a
//!   second call if nothing used it in between; with `MNT_FORCE` or `MNT_DETACH` it is `EINVAL`.
//!   A mount's "use count" is its reference count, as Linux's `mnt_count`.
//! - Propagation types (`MS_SHARED`, `MS_PRIVATE`, `MS_SLAVE`, `MS_UNBINDABLE`, with `MS_REC`)
//!   are recorded as Linux records them (peer group ids, master, unbindable) and shown in
//!   mountinfo; bind mounts of a shared mount join its peer group.
//! - `..` at the root of a mount goes to the mountpoint's parent, never above the caller's root
//!   (`follow_dotdot`, `choose_mountpoint`); path names are built across mounts and stop at the
//!   caller's root (`prepend_path`).
//!
//! Locking: the namespace lock (a sleeping mutex, Linux's `namespace_sem`) serialises every
//! change of the tree; the walk takes no namespace lock, only a mount's child-map spin lock for
//! the lookup of one crossing (Linux reads under `mount_lock`'s seqlock). Mount links and child
//! maps are spin locks held for a few loads and stores.
//!
//! - Namespaces: [`MountNamespace::copy`] makes the copy that `CLONE_NEWNS` gives (every mount
//!   copied, ids from the same id space, which in the kernel is global), operations refuse
//!   mounts of other namespaces (`check_mnt`: `EINVAL`), a namespace's last reference unmounts
//!   its tree, and copies for a less privileged user namespace are locked (`MNT_LOCKED`).
//!
//! - Detached trees (the new mount API): [`MountNamespace::new_detached`] (fsmount),
//!   [`MountNamespace::clone_detached`] (open_tree's clone), attached once by
//!   [`MountNamespace::attach_detached`] (move_mount); [`MountNamespace::set_attr`] is
//!   mount_setattr's flag change. A detached tree that is never attached goes with its last
//!   reference.
//!
//! Not done yet: propagation of mount events between peers and to slaves (the types are kept
//! but a mount under a shared mount does not appear in its peers, nor in the peers' copies in
//! other namespaces), recursive detached trees (`open_tree` with `AT_RECURSIVE`), automounts,
//! idmapped mounts, `MNT_LOCK_ATIME`.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use abi::Errno;

use crate::dentry::{Dentry, copy_bytes};
use crate::inode::PATH_MAX;
use crate::sync::{Mutex, SpinLock};

/// Per-mount flags (Linux's `MNT_*` values of `include/linux/mount.h`).
pub mod flags {
    /// Set-id bits and file capabilities are ignored on exec.
    pub const MNT_NOSUID: u32 = 0x01;
    /// Device nodes cannot be opened.
    pub const MNT_NODEV: u32 = 0x02;
    /// Files cannot be executed or mapped executable.
    pub const MNT_NOEXEC: u32 = 0x04;
    /// Access times are never updated.
    pub const MNT_NOATIME: u32 = 0x08;
    /// Directory access times are never updated.
    pub const MNT_NODIRATIME: u32 = 0x10;
    /// Access times are updated only when older than mtime or ctime, or a day old.
    pub const MNT_RELATIME: u32 = 0x20;
    /// Nothing can be written through this mount (`EROFS`).
    pub const MNT_READONLY: u32 = 0x40;
    /// Symbolic links are not followed.
    pub const MNT_NOSYMFOLLOW: u32 = 0x80;
    /// The flags mount(2) sets and `MS_REMOUNT` replaces (`MNT_USER_SETTABLE_MASK`).
    pub const MNT_USER_SETTABLE_MASK: u32 = MNT_NOSUID
        | MNT_NODEV
        | MNT_NOEXEC
        | MNT_NOATIME
        | MNT_NODIRATIME
        | MNT_RELATIME
        | MNT_READONLY
        | MNT_NOSYMFOLLOW;
    /// The atime flags (`MNT_ATIME_MASK`).
    pub const MNT_ATIME_MASK: u32 = MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME;
}

use flags::*;

/// Propagation state of a mount (Linux's `mnt_share`/`mnt_master`/`MNT_UNBINDABLE`), by group
/// id: a shared mount has a peer group (`shared:N` in mountinfo), a slave a master group
/// (`master:N`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Propagation {
    /// Peer group id, 0 when not shared.
    pub shared_group: u32,
    /// Peer group of the master, 0 when not a slave.
    pub master_group: u32,
    /// Cannot be bind-mounted.
    pub is_unbindable: bool,
}

struct Link {
    parent: Option<Arc<Mount>>,
    mountpoint: Option<Arc<Dentry>>,
    /// The id of the namespace whose tree it is in, 0 for none (Linux `mnt_ns`).
    namespace: u64,
    /// Position in the namespace's list (mountinfo order).
    sequence: u64,
}

/// One mount: see the module documentation.
pub struct Mount {
    id: u32,
    root: Arc<Dentry>,
    /// The source shown in `/proc/mounts` (`mnt_devname`).
    devname: Vec<u8>,
    flags: AtomicU32,
    link: SpinLock<Link>,
    /// Mounts attached inside this one, keyed by the address of their mountpoint dentry (each
    /// child holds its mountpoint, so the address stays valid while the entry exists).
    children: SpinLock<BTreeMap<usize, Arc<Mount>>>,
    propagation: SpinLock<Propagation>,
    /// `MNT_EXPIRE`'s mark, cleared when a path through the mount is dropped.
    expiry_mark: AtomicBool,
    /// `MNT_LOCKED`: copied into a namespace of a less privileged user namespace, it may not
    /// be unmounted or moved there, nor revealed from under by a bind mount.
    is_locked: AtomicBool,
    /// `MNT_LOCK_READONLY`/`NOSUID`/`NODEV`/`NOEXEC`: the flags it had then, which may not be
    /// cleared.
    locked_flags: AtomicU32,
    /// Made by fsmount(2) or open_tree(2)'s `OPEN_TREE_CLONE` and not attached yet (Linux's
    /// mount in an anonymous namespace): move_mount(2) may attach it once.
    is_detached_tree: AtomicBool,
}

impl core::fmt::Debug for Mount {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mount")
            .field("id", &self.id)
            .field("flags", &self.flags())
            .finish()
    }
}

fn key(dentry: &Arc<Dentry>) -> usize {
    Arc::as_ptr(dentry) as usize
}

impl Mount {
    /// The mount id (mountinfo's first field).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The dentry this mount shows at its top (the superblock root, or any dentry for a bind
    /// mount).
    pub fn root(&self) -> &Arc<Dentry> {
        &self.root
    }

    /// The source name (`/proc/mounts` first field).
    pub fn devname(&self) -> &[u8] {
        &self.devname
    }

    /// The `MNT_*` flags.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// The superblock's root dentry and flags live in the root dentry's superblock.
    pub fn superblock(&self) -> &Arc<crate::dentry::SuperBlock> {
        self.root.superblock()
    }

    /// Whether writes through this mount are refused (`__mnt_is_readonly`: the mount or its
    /// superblock is read-only).
    pub fn is_readonly(&self) -> bool {
        self.flags() & MNT_READONLY != 0 || self.superblock().is_readonly()
    }

    /// Linux `mnt_want_write`: `EROFS` if nothing may be written through this mount.
    pub fn want_write(&self) -> Result<(), Errno> {
        if self.is_readonly() {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// Whether files here may not be executed (`path_noexec`).
    pub fn is_noexec(&self) -> bool {
        self.flags() & MNT_NOEXEC != 0
    }

    /// Whether set-id bits are ignored on exec (`!mnt_may_suid`).
    pub fn is_nosuid(&self) -> bool {
        self.flags() & MNT_NOSUID != 0
    }

    /// Whether device nodes may not be opened (`!may_open_dev`).
    pub fn is_nodev(&self) -> bool {
        self.flags() & MNT_NODEV != 0
    }

    /// The atime rule for an object of this mount (`atime_needs_update`'s mount checks): none
    /// on a read-only mount or with `noatime` (`nodiratime` for directories), `relatime`'s rule
    /// with `MNT_RELATIME`, else every access.
    pub fn atime_policy(&self, is_dir: bool) -> crate::inode::AtimePolicy {
        use crate::inode::AtimePolicy;
        let flags = self.flags();
        if self.is_readonly() || flags & MNT_NOATIME != 0 || (is_dir && flags & MNT_NODIRATIME != 0)
        {
            AtimePolicy::NoAtime
        } else if flags & MNT_RELATIME != 0 {
            AtimePolicy::Relatime
        } else {
            AtimePolicy::Strict
        }
    }

    /// `statfs`'s `f_flags` for this mount (Linux `calculate_f_flags`: `ST_VALID`, the mount's
    /// flags and the superblock's).
    pub fn statfs_flags(&self) -> i64 {
        use crate::dentry::sb_flags::*;
        use abi::stat::st_flags::*;
        let flags = self.flags();
        let sb = self.superblock().flags();
        let mut out = ST_VALID;
        for (bit, st) in [
            (MNT_READONLY, ST_RDONLY),
            (MNT_NOSUID, ST_NOSUID),
            (MNT_NODEV, ST_NODEV),
            (MNT_NOEXEC, ST_NOEXEC),
            (MNT_NOATIME, ST_NOATIME),
            (MNT_NODIRATIME, ST_NODIRATIME),
            (MNT_RELATIME, ST_RELATIME),
            (MNT_NOSYMFOLLOW, ST_NOSYMFOLLOW),
        ] {
            if flags & bit != 0 {
                out |= st;
            }
        }
        for (bit, st) in [
            (SB_SYNCHRONOUS, ST_SYNCHRONOUS),
            (SB_MANDLOCK, ST_MANDLOCK),
            (SB_RDONLY, ST_RDONLY),
        ] {
            if sb & bit != 0 {
                out |= st;
            }
        }
        out
    }

    /// The options field of `/proc/mounts` (`show_vfsmnt`): `rw`/`ro` (mount or superblock),
    /// the superblock's flags, the mount's, then the filesystem's own options.
    pub fn show_options(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let text: &[u8] = if self.is_readonly() { b"ro" } else { b"rw" };
        push(out, text)?;
        self.show_sb_flags(out)?;
        self.show_mnt_flags(out)?;
        self.superblock().fs().show_options(out)
    }

    /// The superblock flags shown after `rw`/`ro` (`show_sb_opts`).
    pub fn show_sb_flags(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        use crate::dentry::sb_flags::*;
        let sb = self.superblock().flags();
        for (bit, text) in [
            (SB_SYNCHRONOUS, &b",sync"[..]),
            (SB_DIRSYNC, b",dirsync"),
            (SB_MANDLOCK, b",mand"),
            (SB_LAZYTIME, b",lazytime"),
        ] {
            if sb & bit != 0 {
                push(out, text)?;
            }
        }
        Ok(())
    }

    /// The mount flags shown after them (`show_mnt_opts`).
    pub fn show_mnt_flags(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let flags = self.flags();
        for (bit, text) in [
            (MNT_NOSUID, &b",nosuid"[..]),
            (MNT_NODEV, b",nodev"),
            (MNT_NOEXEC, b",noexec"),
            (MNT_NOATIME, b",noatime"),
            (MNT_NODIRATIME, b",nodiratime"),
            (MNT_RELATIME, b",relatime"),
            (MNT_NOSYMFOLLOW, b",nosymfollow"),
        ] {
            if flags & bit != 0 {
                push(out, text)?;
            }
        }
        Ok(())
    }

    /// The propagation state.
    pub fn propagation(&self) -> Propagation {
        *self.propagation.lock()
    }

    /// The mount this one is attached to and the dentry it covers there (`None` for a
    /// namespace root and for a detached mount).
    pub fn mountpoint(&self) -> Option<(Arc<Mount>, Arc<Dentry>)> {
        let link = self.link.lock();
        match (&link.parent, &link.mountpoint) {
            (Some(p), Some(d)) => Some((p.clone(), d.clone())),
            _ => None,
        }
    }

    /// The parent mount's id, or this mount's own for a root (mountinfo's second field).
    pub fn parent_id(&self) -> u32 {
        self.link
            .lock()
            .parent
            .as_ref()
            .map_or(self.id, |parent| parent.id)
    }

    /// Whether the mount is locked (`MNT_LOCKED`).
    pub fn is_locked(&self) -> bool {
        self.is_locked.load(Ordering::Acquire)
    }

    fn lock_for_copy(&self) {
        let keep = self.flags() & (MNT_READONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
        self.locked_flags.store(keep, Ordering::Release);
        self.is_locked.store(true, Ordering::Release);
    }

    /// Whether the mount is in a namespace's tree.
    pub fn is_attached(&self) -> bool {
        self.link.lock().namespace != 0
    }

    /// Whether the mount is a detached tree that move_mount(2) may still attach.
    pub fn is_detached_tree(&self) -> bool {
        self.is_detached_tree.load(Ordering::Acquire)
    }

    /// The id of the namespace whose tree holds the mount (0: none).
    pub fn namespace_id(&self) -> u64 {
        self.link.lock().namespace
    }

    /// The mount attached at `dentry` inside this one (Linux `__lookup_mnt`).
    pub fn child_at(&self, dentry: &Arc<Dentry>) -> Option<Arc<Mount>> {
        self.children.lock().get(&key(dentry)).cloned()
    }

    fn children_list(&self) -> Vec<Arc<Mount>> {
        self.children.lock().values().cloned().collect()
    }

    /// A mount of `root`'s filesystem in no namespace (Linux's `kern_mount`): the kernel's
    /// own instances (pipefs). It has id 0 and no flags, and nothing can be mounted on it.
    pub fn new_internal(root: Arc<Dentry>, devname: &[u8]) -> Result<Arc<Mount>, Errno> {
        Ok(Mount::new(
            0,
            root,
            copy_bytes(devname)?,
            0,
            Propagation::default(),
        ))
    }

    fn new(
        id: u32,
        root: Arc<Dentry>,
        devname: Vec<u8>,
        flags: u32,
        propagation: Propagation,
    ) -> Arc<Mount> {
        Arc::new(Mount {
            id,
            root,
            devname,
            flags: AtomicU32::new(flags),
            link: SpinLock::new(
                "mount.link",
                Link {
                    parent: None,
                    mountpoint: None,
                    namespace: 0,
                    sequence: 0,
                },
            ),
            children: SpinLock::new("mount.children", BTreeMap::new()),
            propagation: SpinLock::new("mount.propagation", propagation),
            expiry_mark: AtomicBool::new(false),
            is_locked: AtomicBool::new(false),
            locked_flags: AtomicU32::new(0),
            is_detached_tree: AtomicBool::new(false),
        })
    }
}

/// A `(mount, dentry)` pair naming one object (Linux's `struct path`). It dereferences to its
/// dentry, so the attribute accessors (`inode()`, `metadata()`, `is_dir()`) read as before
/// mounts were objects; operations that care about the mount (write access, exec, `..`, path
/// names) take the `Path`.
pub struct Path {
    mnt: Arc<Mount>,
    dentry: Arc<Dentry>,
    /// Dropping this path leaves the mount's expiry mark alone (umount2's own reference).
    keep_expiry_mark: bool,
}

impl Clone for Path {
    fn clone(&self) -> Path {
        Path::new(self.mnt.clone(), self.dentry.clone())
    }
}

impl Drop for Path {
    fn drop(&mut self) {
        // Linux's mntput clears the mark: the mount was used since umount2(MNT_EXPIRE) marked it.
        if !self.keep_expiry_mark && self.mnt.expiry_mark.load(Ordering::Relaxed) {
            self.mnt.expiry_mark.store(false, Ordering::Relaxed);
        }
    }
}

impl core::ops::Deref for Path {
    type Target = Arc<Dentry>;
    fn deref(&self) -> &Arc<Dentry> {
        &self.dentry
    }
}

impl core::fmt::Debug for Path {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Path")
            .field("mnt", &self.mnt.id)
            .field("dentry", &self.dentry)
            .finish()
    }
}

impl Path {
    /// `dentry` as seen through `mnt`.
    pub fn new(mnt: Arc<Mount>, dentry: Arc<Dentry>) -> Path {
        Path {
            mnt,
            dentry,
            keep_expiry_mark: false,
        }
    }

    /// The root of `mnt`.
    pub fn mount_root(mnt: Arc<Mount>) -> Path {
        let root = mnt.root.clone();
        Path::new(mnt, root)
    }

    /// The mount.
    pub fn mnt(&self) -> &Arc<Mount> {
        &self.mnt
    }

    /// The dentry.
    pub fn dentry(&self) -> &Arc<Dentry> {
        &self.dentry
    }

    /// Whether both name the same object through the same mount (`path_equal`).
    pub fn same(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && Arc::ptr_eq(&self.dentry, &other.dentry)
    }

    /// Whether this is the root of its mount.
    pub fn is_mount_root(&self) -> bool {
        Arc::ptr_eq(&self.dentry, &self.mnt.root)
    }

    /// Another dentry of the same mount.
    pub fn with_dentry(&self, dentry: Arc<Dentry>) -> Path {
        Path::new(self.mnt.clone(), dentry)
    }

    /// This path, or the root of the mount on it (repeatedly): Linux `traverse_mounts`.
    pub fn follow_mounts(self) -> Path {
        let mut cur = self;
        while cur.dentry.is_mountpoint() {
            match cur.mnt.child_at(&cur.dentry) {
                Some(child) => cur = Path::mount_root(child),
                None => break,
            }
        }
        cur
    }

    /// `..` from this path, not above `root` (Linux `follow_dotdot` and the mount traversal
    /// of `step_into`).
    pub fn dotdot(&self, root: &Path) -> Path {
        let mut cur = self.clone();
        if cur.same(root) {
            return cur;
        }
        if cur.is_mount_root() {
            // choose_mountpoint: climb to the first mountpoint that is not a mount's root.
            let mut m = cur.mnt.clone();
            loop {
                let Some((parent, mountpoint)) = m.mountpoint() else {
                    return cur;
                };
                if Arc::ptr_eq(&parent, &root.mnt) && Arc::ptr_eq(&mountpoint, &root.dentry) {
                    return cur;
                }
                if !Arc::ptr_eq(&mountpoint, &parent.root) {
                    cur = Path::new(parent, mountpoint);
                    break;
                }
                m = parent;
            }
        }
        match cur.dentry.parent() {
            Some(parent) => cur.with_dentry(parent).follow_mounts(),
            None => cur,
        }
    }

    /// Linux `mnt_want_write` on this path's mount: `EROFS` if read-only.
    pub fn want_write(&self) -> Result<(), Errno> {
        self.mnt.want_write()
    }

    /// Records an access to the object under its mount's atime flags (Linux `touch_atime`).
    pub fn touch_atime(&self) {
        let policy = self.mnt.atime_policy(self.dentry.is_dir());
        self.dentry.inode().touch_atime(policy);
    }

    /// Drops this path without clearing its mount's expiry mark.
    fn release_keeping_expiry(mut self) {
        self.keep_expiry_mark = true;
    }

    /// The absolute path of this object as seen from `root` (Linux `prepend_path`): the
    /// components from `root` down, crossing mounts, or `/` for `root` itself. The flag is
    /// `false` when `root` was not met on the way up (the path is then from the topmost mount
    /// reached: the namespace root, or a detached mount's root). `ENAMETOOLONG` when the path
    /// with its NUL would not fit `PATH_MAX`.
    pub fn path_from(&self, root: &Path) -> Result<(Vec<u8>, bool), Errno> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut total = 0usize;
        let mut mnt = self.mnt.clone();
        let mut dentry = self.dentry.clone();
        let reachable = loop {
            if Arc::ptr_eq(&mnt, &root.mnt) && Arc::ptr_eq(&dentry, &root.dentry) {
                break true;
            }
            if Arc::ptr_eq(&dentry, &mnt.root) {
                match mnt.mountpoint() {
                    Some((parent, mountpoint)) => {
                        mnt = parent;
                        dentry = mountpoint;
                        continue;
                    }
                    None => break false,
                }
            }
            let Some(parent) = dentry.parent() else {
                // Escaped the mount's subtree (its root was moved away): stop here.
                break false;
            };
            let name = dentry.name()?;
            total += name.len() + 1;
            if total + 1 > PATH_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            parts.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            parts.push(name);
            dentry = parent;
        };
        let mut out = Vec::new();
        out.try_reserve_exact(core::cmp::max(total, 1))
            .map_err(|_| Errno::ENOMEM)?;
        if parts.is_empty() {
            out.push(b'/');
        }
        for part in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(part);
        }
        Ok((out, reachable))
    }

    /// The path as `/proc/<pid>/fd` links and `getcwd`-like callers show it (`d_path`): from
    /// `root` when reachable, else from the topmost mount reached; " (deleted)" appended for a
    /// removed name.
    pub fn d_path(&self, root: &Path) -> Result<Vec<u8>, Errno> {
        let (mut path, _) = self.path_from(root)?;
        if self.dentry.is_unlinked() {
            path.try_reserve(10).map_err(|_| Errno::ENOMEM)?;
            path.extend_from_slice(b" (deleted)");
        }
        Ok(path)
    }
}

/// Whether `path` lies in the subtree of `ancestor` (both in the same tree; Linux
/// `is_path_reachable`).
fn is_path_reachable(path: &Path, ancestor: &Path) -> bool {
    let mut mnt = path.mnt.clone();
    let mut dentry = path.dentry.clone();
    loop {
        if Arc::ptr_eq(&mnt, &ancestor.mnt) {
            return ancestor.dentry.is_ancestor_of(&dentry);
        }
        match mnt.mountpoint() {
            Some((parent, mountpoint)) => {
                mnt = parent;
                dentry = mountpoint;
            }
            None => return false,
        }
    }
}

/// umount2 flags (Linux `include/linux/fs.h`).
pub mod umount_flags {
    /// Force unmounting.
    pub const MNT_FORCE: u32 = 1;
    /// Just detach from the tree.
    pub const MNT_DETACH: u32 = 2;
    /// Mark for expiry.
    pub const MNT_EXPIRE: u32 = 4;
    /// Do not follow a symlink.
    pub const UMOUNT_NOFOLLOW: u32 = 8;
}

/// Propagation change requested by mount(2) (`do_change_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropagationType {
    /// `MS_SHARED`.
    Shared,
    /// `MS_PRIVATE`.
    Private,
    /// `MS_SLAVE`.
    Slave,
    /// `MS_UNBINDABLE`.
    Unbindable,
}

struct NamespaceState {
    /// Attached mounts by their position (mountinfo order): weak, so a mount's reference count
    /// is its use count.
    list: BTreeMap<u64, Weak<Mount>>,
    next_sequence: u64,
    /// The namespace's id (as its mounts record it).
    id: u64,
}

/// The mounts of a namespace and of every namespace copied from it, by id (Linux's
/// `mnt_id_ida`, `mnt_group_ida`: ids are unique across namespaces and the lowest free one is
/// taken; a mount id is free once its mount is gone, a peer group id once no mount has it).
/// In the kernel every namespace descends from the initial one, so the space is global.
struct IdSpace {
    mounts: BTreeMap<u32, Weak<Mount>>,
}

/// Namespace ids (never reused; 0 means none).
static NEXT_NAMESPACE_ID: AtomicU64 = AtomicU64::new(1);

fn lowest_free(map: &BTreeMap<u32, ()>, from: u32) -> u32 {
    let mut want = from;
    for &id in map.range(from..).map(|(id, _)| id) {
        if id != want {
            break;
        }
        want += 1;
    }
    want
}

/// A tree of mounts; see the module documentation.
pub struct MountNamespace {
    id: u64,
    ids: Arc<Mutex<IdSpace>>,
    root: Arc<Mount>,
    state: Mutex<NamespaceState>,
    /// Counts changes (the `event` of `/proc/<pid>/mounts` polling).
    events: AtomicU64,
}

impl core::fmt::Debug for MountNamespace {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MountNamespace")
            .field("root", &self.root.id)
            .finish()
    }
}

impl MountNamespace {
    /// A namespace whose root mount shows `root` (a superblock root), named `devname`, with
    /// `MNT_*` flags `flags` (Linux's `init_mount_tree`).
    pub fn new(
        root: Arc<Dentry>,
        devname: &[u8],
        flags: u32,
    ) -> Result<Arc<MountNamespace>, Errno> {
        let ids = Arc::new(Mutex::new(
            "mount.ids",
            IdSpace {
                mounts: BTreeMap::new(),
            },
        ));
        let mount = Self::new_mount(
            &ids,
            root,
            copy_bytes(devname)?,
            flags,
            Propagation::default(),
        );
        Ok(Self::with_root(ids, mount))
    }

    /// A namespace whose tree is `root` alone (attached to nothing), sharing `ids`.
    fn with_root(ids: Arc<Mutex<IdSpace>>, root: Arc<Mount>) -> Arc<MountNamespace> {
        let id = NEXT_NAMESPACE_ID.fetch_add(1, Ordering::Relaxed);
        let mut list = BTreeMap::new();
        list.insert(0, Arc::downgrade(&root));
        {
            let mut link = root.link.lock();
            link.namespace = id;
            link.sequence = 0;
        }
        Arc::new(MountNamespace {
            id,
            ids,
            root,
            state: Mutex::new(
                "mount.namespace",
                NamespaceState {
                    list,
                    next_sequence: 1,
                    id,
                },
            ),
            events: AtomicU64::new(0),
        })
    }

    /// The namespace's id, as its mounts' [`Mount::namespace_id`] shows it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// A new mount with the lowest free id of `ids`.
    fn new_mount(
        ids: &Mutex<IdSpace>,
        root: Arc<Dentry>,
        devname: Vec<u8>,
        flags: u32,
        propagation: Propagation,
    ) -> Arc<Mount> {
        let mut space = ids.lock();
        let mut id = 1;
        for (&used, mount) in space.mounts.range(1..) {
            if used != id {
                break;
            }
            if mount.strong_count() == 0 {
                break;
            }
            id += 1;
        }
        let mount = Mount::new(id, root, devname, flags, propagation);
        space.mounts.insert(id, Arc::downgrade(&mount));
        mount
    }

    /// A copy of the whole tree as a new namespace (Linux `copy_mnt_ns` with `copy_tree`'s
    /// `CL_COPY_UNBINDABLE | CL_EXPIRE`): every mount copied with its flags, source and
    /// propagation (a copy of a shared mount is a peer of it, a slave stays a slave of the same
    /// master, unbindable ones are copied and stay unbindable), attached at the same places, new
    /// ids from the same id space, in tree order (parents first, siblings in the order they
    /// were mounted). With `unprivileged` (a namespace for a less privileged user namespace,
    /// `CL_SHARED_TO_SLAVE | CL_UNPRIVILEGED`) copies of shared mounts are slaves of their peer
    /// group instead, and every copy is locked (`lock_mnt_tree`): it cannot be unmounted or
    /// moved, its read-only, nosuid, nodev and noexec flags cannot be cleared, and no bind
    /// mount may show what it covers.
    /// Returns the namespace and each original mount with its copy, so that the caller can move
    /// its root and cwd over.
    #[allow(clippy::type_complexity)]
    pub fn copy(
        &self,
        unprivileged: bool,
    ) -> Result<(Arc<MountNamespace>, Vec<(Arc<Mount>, Arc<Mount>)>), Errno> {
        let _state = self.state.lock();
        let copy_of = |mount: &Arc<Mount>| -> Result<Arc<Mount>, Errno> {
            let mut propagation = mount.propagation();
            if unprivileged && propagation.shared_group != 0 {
                propagation.master_group = propagation.shared_group;
                propagation.shared_group = 0;
            }
            let copy = Self::new_mount(
                &self.ids,
                mount.root.clone(),
                copy_bytes(&mount.devname)?,
                mount.flags(),
                propagation,
            );
            if unprivileged || mount.is_locked() {
                copy.lock_for_copy();
                copy.locked_flags
                    .fetch_or(mount.locked_flags.load(Ordering::Acquire), Ordering::AcqRel);
            }
            Ok(copy)
        };
        let new_root = copy_of(&self.root)?;
        let namespace = Self::with_root(self.ids.clone(), new_root.clone());
        let mut pairs = Vec::new();
        pairs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        pairs.push((self.root.clone(), new_root.clone()));
        {
            let mut new_state = namespace.state.lock();
            let sorted_children = |mount: &Arc<Mount>| {
                let mut children = mount.children_list();
                // Reversed: popped from the stack in mount order.
                children.sort_by_key(|m| core::cmp::Reverse(m.link.lock().sequence));
                children
            };
            let mut stack: Vec<(Arc<Mount>, Arc<Mount>)> = sorted_children(&self.root)
                .into_iter()
                .map(|child| (child, new_root.clone()))
                .collect();
            while let Some((old, new_parent)) = stack.pop() {
                let Some((_, mountpoint)) = old.mountpoint() else {
                    continue;
                };
                let copy = copy_of(&old)?;
                Self::attach(&mut new_state, &copy, &new_parent, &mountpoint);
                for child in sorted_children(&old) {
                    stack.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                    stack.push((child, copy.clone()));
                }
                pairs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                pairs.push((old, copy));
            }
        }
        Ok((namespace, pairs))
    }

    /// The root of the namespace's root mount.
    pub fn root(&self) -> Path {
        Path::mount_root(self.root.clone())
    }

    /// The root mount.
    pub fn root_mount(&self) -> &Arc<Mount> {
        &self.root
    }

    /// Changes so far (each mount, umount, remount or move adds one).
    pub fn event_count(&self) -> u64 {
        self.events.load(Ordering::Acquire)
    }

    /// The attached mounts in mountinfo order.
    pub fn mounts(&self) -> Result<Vec<Arc<Mount>>, Errno> {
        let state = self.state.lock();
        let mut out = Vec::new();
        out.try_reserve(state.list.len())
            .map_err(|_| Errno::ENOMEM)?;
        out.extend(state.list.values().filter_map(Weak::upgrade));
        Ok(out)
    }

    /// A peer group id no mount of the id space has (`mnt_alloc_group_id`).
    fn alloc_group(&self) -> u32 {
        let space = self.ids.lock();
        let live: BTreeMap<u32, ()> = space
            .mounts
            .values()
            .filter_map(Weak::upgrade)
            .map(|m| m.propagation())
            .flat_map(|p| [(p.shared_group, ()), (p.master_group, ())])
            .filter(|(g, _)| *g != 0)
            .collect();
        lowest_free(&live, 1)
    }

    /// Links `child` at `(parent, mountpoint)` and lists it (Linux `attach_mnt` +
    /// `commit_tree`).
    fn attach(
        state: &mut NamespaceState,
        child: &Arc<Mount>,
        parent: &Arc<Mount>,
        mountpoint: &Arc<Dentry>,
    ) {
        let sequence = state.next_sequence;
        state.next_sequence += 1;
        {
            let mut link = child.link.lock();
            link.parent = Some(parent.clone());
            link.mountpoint = Some(mountpoint.clone());
            link.namespace = state.id;
            link.sequence = sequence;
        }
        mountpoint.add_mount();
        parent
            .children
            .lock()
            .insert(key(mountpoint), child.clone());
        state.list.insert(sequence, Arc::downgrade(child));
    }

    /// Unlinks `mount` from its parent and from the list (Linux `umount_mnt` for one mount).
    fn detach_one(state: &mut NamespaceState, mount: &Arc<Mount>) {
        let (parent, mountpoint, sequence) = {
            let mut link = mount.link.lock();
            link.namespace = 0;
            (link.parent.take(), link.mountpoint.take(), link.sequence)
        };
        state.list.remove(&sequence);
        if let (Some(parent), Some(mountpoint)) = (parent, mountpoint) {
            let removed = parent.children.lock().remove(&key(&mountpoint));
            drop(removed);
            mountpoint.remove_mount();
        }
    }

    /// `mount` and every mount below it, parents first.
    fn subtree(mount: &Arc<Mount>) -> Vec<Arc<Mount>> {
        let mut out = alloc::vec![mount.clone()];
        let mut i = 0;
        while i < out.len() {
            let mut children = out[i].children_list();
            children.sort_by_key(|m| m.link.lock().sequence);
            out.extend(children);
            i += 1;
        }
        out
    }

    /// The topmost mount at `target` and the place a new mount goes (Linux `lock_mount`):
    /// `ENOENT` if the name was removed, `EINVAL` if it is not in this namespace.
    fn mount_place(&self, target: &Path) -> Result<Path, Errno> {
        let place = target.clone().follow_mounts();
        if place.dentry.is_unlinked() {
            return Err(Errno::ENOENT);
        }
        if !self.holds(&place.mnt) {
            return Err(Errno::EINVAL);
        }
        Ok(place)
    }

    /// Whether `mount` is in this namespace's tree (Linux `check_mnt`).
    pub fn holds(&self, mount: &Mount) -> bool {
        mount.namespace_id() == self.id
    }

    /// Linux `graft_tree`'s type check: a directory over a directory, a file over a file.
    fn check_types(place: &Path, root: &Arc<Dentry>) -> Result<(), Errno> {
        if place.dentry.is_dir() != root.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(())
    }

    /// Mounts a new filesystem instance whose root dentry is `root` at `target`, as `devname`,
    /// with `MNT_*` flags (Linux `do_add_mount`).
    pub fn mount_new(
        &self,
        target: &Path,
        root: Arc<Dentry>,
        devname: &[u8],
        flags: u32,
    ) -> Result<Arc<Mount>, Errno> {
        let devname = copy_bytes(devname)?;
        let mut state = self.state.lock();
        let place = self.mount_place(target)?;
        if place.is_mount_root() && root.same_superblock(place.mnt.root()) {
            return Err(Errno::EBUSY);
        }
        if root.inode().file_type() == crate::FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        Self::check_types(&place, &root)?;
        let mount = Self::new_mount(
            &self.ids,
            root,
            devname,
            flags & MNT_USER_SETTABLE_MASK,
            Propagation::default(),
        );
        Self::attach(&mut state, &mount, &place.mnt, &place.dentry);
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(mount)
    }

    /// A copy of `source`'s mount showing `root` (Linux `clone_mnt` with no `CL_*` flag): same
    /// flags and superblock; a peer of a shared source, a slave of the same master.
    fn clone_mount(&self, source: &Arc<Mount>, root: Arc<Dentry>) -> Result<Arc<Mount>, Errno> {
        let old = source.propagation();
        Ok(Self::new_mount(
            &self.ids,
            root,
            copy_bytes(&source.devname)?,
            source.flags(),
            Propagation {
                shared_group: old.shared_group,
                master_group: old.master_group,
                is_unbindable: false,
            },
        ))
    }

    /// `mount --bind source target` (`MS_BIND`, with `MS_REC` as `recursive`): Linux
    /// `do_loopback`.
    pub fn bind(&self, source: &Path, target: &Path, recursive: bool) -> Result<(), Errno> {
        let mut state = self.state.lock();
        let place = self.mount_place(target)?;
        if source.mnt.propagation().is_unbindable {
            return Err(Errno::EINVAL);
        }
        if !self.holds(&source.mnt) {
            return Err(Errno::EINVAL);
        }
        // has_locked_children: a non-recursive bind would show what a locked mount covers.
        if !recursive
            && source.mnt.children_list().iter().any(|child| {
                child.is_locked()
                    && child
                        .mountpoint()
                        .is_some_and(|(_, point)| source.dentry.is_ancestor_of(&point))
            })
        {
            return Err(Errno::EINVAL);
        }
        Self::check_types(&place, &source.dentry)?;
        let top = self.clone_mount(&source.mnt, source.dentry.clone())?;
        // copy_tree: the mounts below the source, except unbindable ones and those outside
        // the bound subtree, in tree order.
        let mut copies: Vec<(Arc<Mount>, Arc<Mount>, Arc<Dentry>)> = Vec::new();
        if recursive {
            let mut pending: Vec<(Arc<Mount>, Arc<Mount>)> =
                alloc::vec![(source.mnt.clone(), top.clone())];
            while let Some((old_parent, new_parent)) = pending.pop() {
                let mut children = old_parent.children_list();
                children.sort_by_key(|m| m.link.lock().sequence);
                for child in children {
                    let Some((_, mountpoint)) = child.mountpoint() else {
                        continue;
                    };
                    if Arc::ptr_eq(&old_parent, &source.mnt)
                        && !source.dentry.is_ancestor_of(&mountpoint)
                    {
                        continue;
                    }
                    if child.propagation().is_unbindable {
                        continue;
                    }
                    let copy = self.clone_mount(&child, child.root.clone())?;
                    copies.push((copy.clone(), new_parent.clone(), mountpoint));
                    pending.push((child, copy));
                }
            }
        }
        Self::attach(&mut state, &top, &place.mnt, &place.dentry);
        for (copy, parent, mountpoint) in &copies {
            Self::attach(&mut state, copy, parent, mountpoint);
        }
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// `MS_MOVE`: moves the mount whose root is `source` to `target` (Linux
    /// `do_move_mount_old`): `EINVAL` unless `source` is the root of an attached mount other
    /// than the namespace root, or if `target` lies inside it.
    pub fn move_mount(&self, source: &Path, target: &Path) -> Result<(), Errno> {
        let mut state = self.state.lock();
        if !source.is_mount_root() || !self.holds(&source.mnt) || source.mnt.is_locked() {
            return Err(Errno::EINVAL);
        }
        let place = self.mount_place(target)?;
        if Arc::ptr_eq(&source.mnt, &self.root) || source.mnt.mountpoint().is_none() {
            return Err(Errno::EINVAL);
        }
        Self::check_types(&place, &source.dentry)?;
        // The destination must not be inside the moved tree.
        let mut m = place.mnt.clone();
        loop {
            if Arc::ptr_eq(&m, &source.mnt) {
                return Err(Errno::ELOOP);
            }
            match m.mountpoint() {
                Some((parent, _)) => m = parent,
                None => break,
            }
        }
        let moved = source.mnt.clone();
        // Keep the list position of the moved mounts: detach and attach reuse it.
        let old_sequence = moved.link.lock().sequence;
        Self::detach_one(&mut state, &moved);
        Self::attach(&mut state, &moved, &place.mnt, &place.dentry);
        let new_sequence = moved.link.lock().sequence;
        if let Some(entry) = state.list.remove(&new_sequence) {
            state.list.insert(old_sequence, entry);
            moved.link.lock().sequence = old_sequence;
        }
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// umount2 of the mount whose root `target` is (flags from [`umount_flags`]); `caller_root`
    /// is the caller's root directory (Linux `can_umount` + `do_umount`; privilege is the
    /// caller's business).
    pub fn umount(&self, target: Path, flags: u32, caller_root: &Path) -> Result<(), Errno> {
        use umount_flags::*;
        if !target.is_mount_root() || !self.holds(&target.mnt) || target.mnt.is_locked() {
            return Err(Errno::EINVAL);
        }
        let mount = target.mnt.clone();
        if flags & MNT_EXPIRE != 0 {
            if Arc::ptr_eq(&mount, &caller_root.mnt) || flags & (MNT_FORCE | MNT_DETACH) != 0 {
                return Err(Errno::EINVAL);
            }
            // Used by nothing but its parent, this call's path and our clone (Linux: a count
            // of 2, parent and umount): a mount inside it or any other user makes it busy.
            if Arc::strong_count(&mount) != 3 {
                return Err(Errno::EBUSY);
            }
            if !mount.expiry_mark.swap(true, Ordering::AcqRel) {
                drop(mount);
                target.release_keeping_expiry();
                return Err(Errno::EAGAIN);
            }
        }
        if Arc::ptr_eq(&mount, &self.root) || mount.mountpoint().is_none() {
            // The namespace root: when it is the caller's root, the kernel's umount2 remounts
            // it read-only first (Linux's `do_umount_root`) and never gets here.
            return Err(Errno::EINVAL);
        }
        let mut state = self.state.lock();
        if flags & MNT_DETACH != 0 {
            for m in Self::subtree(&mount) {
                Self::detach_one(&mut state, &m);
            }
        } else {
            // In use: by the parent's map, this call's path and our clone, plus anything else.
            let expected = 3;
            if Arc::strong_count(&mount) > expected {
                mount.expiry_mark.store(false, Ordering::Relaxed);
                return Err(Errno::EBUSY);
            }
            Self::detach_one(&mut state, &mount);
        }
        drop(state);
        self.events.fetch_add(1, Ordering::AcqRel);
        target.release_keeping_expiry();
        Ok(())
    }

    /// fsmount(2): a mount of the filesystem instance whose root is `root`, attached nowhere,
    /// with `MNT_*` flags (Linux `fsmount`'s `vfs_create_mount` in an anonymous namespace).
    pub fn new_detached(
        &self,
        root: Arc<Dentry>,
        devname: &[u8],
        flags: u32,
    ) -> Result<Arc<Mount>, Errno> {
        let devname = copy_bytes(devname)?;
        let mount = Self::new_mount(
            &self.ids,
            root,
            devname,
            flags & MNT_USER_SETTABLE_MASK,
            Propagation::default(),
        );
        mount.is_detached_tree.store(true, Ordering::Release);
        Ok(mount)
    }

    /// open_tree(2) with `OPEN_TREE_CLONE` and no `AT_RECURSIVE`: a detached copy of the mount
    /// at `source` showing its subtree (Linux `__do_loopback` without `copy_tree`'s children):
    /// `EINVAL` for an unbindable source or one outside this namespace, or when a locked mount
    /// below it would be revealed.
    pub fn clone_detached(&self, source: &Path) -> Result<Arc<Mount>, Errno> {
        let _state = self.state.lock();
        if source.mnt.propagation().is_unbindable || !self.holds(&source.mnt) {
            return Err(Errno::EINVAL);
        }
        if source.mnt.children_list().iter().any(|child| {
            child.is_locked()
                && child
                    .mountpoint()
                    .is_some_and(|(_, point)| source.dentry.is_ancestor_of(&point))
        }) {
            return Err(Errno::EINVAL);
        }
        let copy = self.clone_mount(&source.mnt, source.dentry.clone())?;
        copy.is_detached_tree.store(true, Ordering::Release);
        Ok(copy)
    }

    /// Whether a mount is attached inside the subtree that `source` shows (what a recursive
    /// clone would copy besides `source`'s own mount).
    pub fn has_mounts_below(&self, source: &Path) -> bool {
        source.mnt.children_list().iter().any(|child| {
            child
                .mountpoint()
                .is_some_and(|(_, point)| source.dentry.is_ancestor_of(&point))
        })
    }

    /// move_mount(2) of a detached tree (from [`Self::new_detached`] or
    /// [`Self::clone_detached`]) onto `target` (Linux `do_move_mount` with an unattached
    /// source): `EINVAL` unless it is a detached tree not yet attached, or for a directory
    /// over a non-directory or the reverse; `ENOENT` for a removed target.
    pub fn attach_detached(&self, mount: &Arc<Mount>, target: &Path) -> Result<(), Errno> {
        let mut state = self.state.lock();
        if !mount.is_detached_tree() || mount.is_attached() {
            return Err(Errno::EINVAL);
        }
        let place = self.mount_place(target)?;
        if place.dentry.is_dir() != mount.root.is_dir() {
            return Err(Errno::EINVAL);
        }
        Self::attach(&mut state, mount, &place.mnt, &place.dentry);
        mount.is_detached_tree.store(false, Ordering::Release);
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// mount_setattr(2)'s flag change on the mount whose root `target` is, and with
    /// `recursive` on every mount below it (Linux `do_mount_setattr`): each mount's
    /// user-settable flags become `(old & !clear) | set`; all or nothing: `EPERM` if that
    /// would clear a locked flag of any of them. `target` must be the root of a mount of this
    /// namespace or of a detached tree (`EINVAL`).
    pub fn set_attr(
        &self,
        target: &Path,
        set: u32,
        clear: u32,
        recursive: bool,
    ) -> Result<(), Errno> {
        let _state = self.state.lock();
        if !target.is_mount_root() || !(self.holds(&target.mnt) || target.mnt.is_detached_tree()) {
            return Err(Errno::EINVAL);
        }
        let mounts = if recursive {
            Self::subtree(&target.mnt)
        } else {
            alloc::vec![target.mnt.clone()]
        };
        let new_flags = |m: &Arc<Mount>| {
            let old = m.flags();
            (((old & !clear) | set) & MNT_USER_SETTABLE_MASK) | (old & !MNT_USER_SETTABLE_MASK)
        };
        for m in &mounts {
            let locked = m.locked_flags.load(Ordering::Acquire);
            if new_flags(m) & locked != locked {
                return Err(Errno::EPERM);
            }
        }
        for m in &mounts {
            m.flags.store(new_flags(m), Ordering::Release);
        }
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// `MS_REMOUNT | MS_BIND`: replaces the user-settable flags of the mount whose root
    /// `target` is (Linux `do_reconfigure_mnt`).
    pub fn set_mount_flags(&self, target: &Path, flags: u32) -> Result<(), Errno> {
        let _state = self.state.lock();
        if !target.is_mount_root() || !self.holds(&target.mnt) {
            return Err(Errno::EINVAL);
        }
        let old = target.mnt.flags();
        let new = (flags & MNT_USER_SETTABLE_MASK) | (old & !MNT_USER_SETTABLE_MASK);
        // can_change_locked_flags: a locked flag stays set.
        let locked = target.mnt.locked_flags.load(Ordering::Acquire);
        if new & locked != locked {
            return Err(Errno::EPERM);
        }
        target.mnt.flags.store(new, Ordering::Release);
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// `MS_SHARED`/`MS_PRIVATE`/`MS_SLAVE`/`MS_UNBINDABLE` on the mount whose root `target` is,
    /// and with `recursive` on every mount below it (Linux `do_change_type`).
    pub fn change_propagation(
        &self,
        target: &Path,
        kind: PropagationType,
        recursive: bool,
    ) -> Result<(), Errno> {
        let state = self.state.lock();
        if !target.is_mount_root() || !(self.holds(&target.mnt) || target.mnt.is_detached_tree()) {
            return Err(Errno::EINVAL);
        }
        let mounts = if recursive {
            Self::subtree(&target.mnt)
        } else {
            alloc::vec![target.mnt.clone()]
        };
        if kind == PropagationType::Shared {
            // invent_group_ids: every mount not yet shared gets a new group.
            for m in &mounts {
                if m.propagation().shared_group == 0 {
                    let group = self.alloc_group();
                    let mut p = m.propagation.lock();
                    p.shared_group = group;
                    p.is_unbindable = false;
                }
            }
        } else {
            for m in &mounts {
                let old = m.propagation();
                let peers = old.shared_group != 0
                    && state.list.values().filter_map(Weak::upgrade).any(|other| {
                        !Arc::ptr_eq(&other, m)
                            && other.propagation().shared_group == old.shared_group
                    });
                let mut p = m.propagation.lock();
                match kind {
                    PropagationType::Slave => {
                        // do_make_slave: the peer group becomes the master, if it has others.
                        if peers {
                            p.master_group = old.shared_group;
                        }
                        p.shared_group = 0;
                        p.is_unbindable = false;
                    }
                    PropagationType::Private => *p = Propagation::default(),
                    PropagationType::Unbindable => {
                        *p = Propagation {
                            is_unbindable: true,
                            ..Propagation::default()
                        }
                    }
                    PropagationType::Shared => {}
                }
            }
        }
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// pivot_root(new_root, put_old) for a caller whose root is `root` (Linux's checks, in its
    /// order): the caller's root mount goes to `put_old`, `new_root`'s mount takes its place.
    /// Updating the roots and cwds of processes that were at the old root is the caller's
    /// business (`chroot_fs_refs`).
    pub fn pivot_root(&self, new_root: &Path, put_old: &Path, root: &Path) -> Result<(), Errno> {
        let mut state = self.state.lock();
        let old_place = self.mount_place(put_old)?;
        let new_mnt = new_root.mnt.clone();
        let root_mnt = root.mnt.clone();
        let shared = |m: &Option<Arc<Mount>>| {
            m.as_ref()
                .is_some_and(|m| m.propagation().shared_group != 0)
        };
        let ex_parent = new_mnt.mountpoint().map(|(p, _)| p);
        let root_parent = root_mnt.mountpoint().map(|(p, _)| p);
        if old_place.mnt.propagation().shared_group != 0
            || shared(&ex_parent)
            || shared(&root_parent)
        {
            return Err(Errno::EINVAL);
        }
        if !self.holds(&root_mnt) || !self.holds(&new_mnt) {
            return Err(Errno::EINVAL);
        }
        if new_root.dentry.is_unlinked() {
            return Err(Errno::ENOENT);
        }
        if Arc::ptr_eq(&new_mnt, &root_mnt) || Arc::ptr_eq(&old_place.mnt, &root_mnt) {
            return Err(Errno::EBUSY);
        }
        if !root.is_mount_root() || root_parent.is_none() {
            return Err(Errno::EINVAL);
        }
        if !new_root.is_mount_root() || ex_parent.is_none() {
            return Err(Errno::EINVAL);
        }
        if !is_path_reachable(&old_place, new_root) || !is_path_reachable(new_root, root) {
            return Err(Errno::EINVAL);
        }
        let Some((root_parent, root_mountpoint)) = root_mnt.mountpoint() else {
            return Err(Errno::EINVAL);
        };
        let new_sequence = new_mnt.link.lock().sequence;
        let root_sequence = root_mnt.link.lock().sequence;
        Self::detach_one(&mut state, &new_mnt);
        Self::detach_one(&mut state, &root_mnt);
        // The old root goes under put_old, the new root where the old one was.
        Self::attach(&mut state, &root_mnt, &old_place.mnt, &old_place.dentry);
        Self::attach(&mut state, &new_mnt, &root_parent, &root_mountpoint);
        for (m, seq) in [(&root_mnt, root_sequence), (&new_mnt, new_sequence)] {
            let current = m.link.lock().sequence;
            if let Some(entry) = state.list.remove(&current) {
                state.list.insert(seq, entry);
                m.link.lock().sequence = seq;
            }
        }
        self.events.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

/// The last user of a namespace gone (Linux `put_mnt_ns` → `umount_tree`): every mount in it
/// is taken out of the tree, as `MNT_DETACH` would; mounts something still uses (an open
/// file, a cwd) live on detached.
impl Drop for MountNamespace {
    fn drop(&mut self) {
        let mut state = self.state.lock();
        let mut mounts: Vec<Arc<Mount>> = state.list.values().filter_map(Weak::upgrade).collect();
        mounts.reverse();
        for mount in &mounts {
            Self::detach_one(&mut state, mount);
        }
        drop(state);
        drop(mounts);
    }
}

impl MountNamespace {
    /// `/proc/<pid>/mounts` for a process whose root is `root` (Linux `show_vfsmnt`): one line
    /// per mount reachable from `root`, `source mountpoint type options 0 0`, with the source,
    /// mount point and type escaped ([`mangle`]).
    pub fn proc_mounts(&self, root: &Path, out: &mut Vec<u8>) -> Result<(), Errno> {
        for mount in self.mounts()? {
            let at = Path::mount_root(mount.clone());
            let (point, reachable) = at.path_from(root)?;
            if !reachable {
                continue;
            }
            mangle(out, mount.devname())?;
            push(out, b" ")?;
            mangle(out, &point)?;
            push(out, b" ")?;
            mangle(out, mount.superblock().fs().name().as_bytes())?;
            push(out, b" ")?;
            mount.show_options(out)?;
            push(out, b" 0 0\n")?;
        }
        Ok(())
    }

    /// `/proc/<pid>/mountinfo` for a process whose root is `root` (Linux `show_mountinfo`):
    /// `id parent major:minor root mountpoint mount-options [shared:N] [master:N]
    /// [unbindable] - type source super-options`.
    pub fn proc_mountinfo(&self, root: &Path, out: &mut Vec<u8>) -> Result<(), Errno> {
        use core::fmt::Write;
        for mount in self.mounts()? {
            let at = Path::mount_root(mount.clone());
            let (point, reachable) = at.path_from(root)?;
            if !reachable {
                continue;
            }
            let dev = mount.superblock().fs().root_inode().metadata().dev;
            let mut head = alloc::string::String::new();
            let _ = write!(
                head,
                "{} {} {}:{} ",
                mount.id(),
                mount.parent_id(),
                crate::inode::dev_major(dev),
                crate::inode::dev_minor(dev)
            );
            push(out, head.as_bytes())?;
            mangle(out, &mount.root().path_in_fs()?)?;
            push(out, b" ")?;
            mangle(out, &point)?;
            push(
                out,
                if mount.flags() & MNT_READONLY != 0 {
                    b" ro"
                } else {
                    b" rw"
                },
            )?;
            mount.show_mnt_flags(out)?;
            let propagation = mount.propagation();
            let mut tags = alloc::string::String::new();
            if propagation.shared_group != 0 {
                let _ = write!(tags, " shared:{}", propagation.shared_group);
            }
            if propagation.master_group != 0 {
                let _ = write!(tags, " master:{}", propagation.master_group);
            }
            if propagation.is_unbindable {
                tags.push_str(" unbindable");
            }
            push(out, tags.as_bytes())?;
            push(out, b" - ")?;
            mangle(out, mount.superblock().fs().name().as_bytes())?;
            push(out, b" ")?;
            mangle(out, mount.devname())?;
            push(
                out,
                if mount.superblock().is_readonly() {
                    b" ro"
                } else {
                    b" rw"
                },
            )?;
            mount.show_sb_flags(out)?;
            mount.superblock().fs().show_options(out)?;
            push(out, b"\n")?;
        }
        Ok(())
    }
}

fn push(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), Errno> {
    out.try_reserve(bytes.len()).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Escapes newlines only (`\012`), as `seq_file_path(m, file, "\n")` does for the file names of
/// `/proc/<pid>/maps`.
pub fn mangle_newlines(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), Errno> {
    out.try_reserve(bytes.len()).map_err(|_| Errno::ENOMEM)?;
    for &b in bytes {
        if b == b'\n' {
            push(out, b"\\012")?;
        } else {
            out.push(b);
        }
    }
    Ok(())
}

/// Escapes `bytes` as `/proc/mounts` does (`seq_escape` with `" \t\n\\"`): those characters
/// become three-digit octal escapes.
pub fn mangle(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), Errno> {
    out.try_reserve(bytes.len()).map_err(|_| Errno::ENOMEM)?;
    for &b in bytes {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            out.try_reserve(4).map_err(|_| Errno::ENOMEM)?;
            out.push(b'\\');
            out.push(b'0' + (b >> 6));
            out.push(b'0' + ((b >> 3) & 7));
            out.push(b'0' + (b & 7));
        } else {
            out.push(b);
        }
    }
    Ok(())
}
