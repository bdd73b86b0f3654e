//! Dentries: named handles on inodes that know their parent, and the dentry cache (Linux
//! `fs/dcache.c`, with the mount crossing of `fs/namespace.c` reduced to what path walks need).
//!
//! Key types: [`Dentry`] (a name in a directory, or a filesystem root, always positive: there are
//! no negative dentries), [`SuperBlock`] (one mounted filesystem instance with its rename mutex).
//!
//! A dentry holds its inode, its name and a strong reference to its parent, so `..` works and
//! [`Dentry::path_from`] can build the path for `getcwd`. A directory dentry keeps a cache of its
//! children as weak references keyed by name: while anyone holds a child (a cwd, an open file, a
//! walk in progress) every lookup of that name finds the same `Dentry`, so a rename can move it
//! ([`Dentry`] names and parents change under rename, as Linux's `d_move`) and removal can mark it
//! unlinked (`getcwd` then fails with `ENOENT`, as Linux's `d_unlinked`). Unused children drop
//! out of the cache as soon as the last holder lets go; dropping a long chain of dentries is
//! iterative, so a deep tree cannot overflow the stack.
//!
//! Each directory dentry has a lock standing for Linux's `i_rwsem` of the directory: namespace
//! changes in the directory take it for writing ([`crate::namei`] does), cache misses take it for
//! reading, so the cache never disagrees with the filesystem; `rmdir`, and a rename replacing a
//! directory, also lock the victim (parent before child), as Linux's `vfs_rmdir`/`vfs_rename`.
//! Lock order (docs/locking.md): superblock rename mutex, directory locks (ancestor first,
//! otherwise by address, parents before victims), the filesystem's own locks, then the short
//! internal spin locks (names, child map, mount links). The rename mutex and the directory
//! locks sleep (hal's `Mutex` and `RwLock` in the kernel, as Linux's `s_vfs_rename_mutex` and
//! `i_rwsem`), since filesystem calls run under them; no filesystem call is made under the
//! spin locks.
//!
//! Mounts: a dentry can be covered by the root dentry of another filesystem
//! ([`Dentry::mount`]); the walk steps from a covered dentry to the mounted root, and `..` from a
//! mounted root goes to the covered dentry's parent. Each filesystem instance is mounted at most
//! once (no bind mounts), so a dentry identifies its mount.
//!
//! Not done yet: bind mounts and mount namespaces (a `(mount, dentry)` pair as Linux's `struct
//! path`), mount flags (read-only, nosuid, nodev, noexec, atime policy per mount), propagation,
//! revalidation of cached names for filesystems whose contents change by themselves (procfs would
//! need a `d_revalidate`-like hook or no caching), a global hash table and LRU of unused dentries.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use crate::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, SpinLock};
use abi::Errno;

use crate::inode::{FileSystem, Inode, Metadata, NAME_MAX, PATH_MAX};

/// One mounted filesystem instance as the VFS sees it.
pub struct SuperBlock {
    fs: Arc<dyn FileSystem>,
    /// Serializes renames between directories (Linux `s_vfs_rename_mutex`).
    pub(crate) rename_lock: Mutex<()>,
}

impl SuperBlock {
    /// The filesystem.
    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }
}

struct Names {
    name: Vec<u8>,
    parent: Option<Arc<Dentry>>,
    unlinked: bool,
}

/// A name bound to an inode; see the module documentation.
pub struct Dentry {
    inode: Arc<dyn Inode>,
    sb: Arc<SuperBlock>,
    /// Name, parent and unlinked mark (Linux's `d_lock` guards these): a spin lock.
    names: SpinLock<Names>,
    /// The child cache: a spin lock around map updates (no filesystem call under it).
    children: SpinLock<BTreeMap<Vec<u8>, Weak<Dentry>>>,
    /// The directory's `i_rwsem`: a sleeping reader-writer lock, held across filesystem calls.
    dir_lock: RwLock<()>,
    /// Root of the filesystem mounted on this dentry.
    mounted: SpinLock<Option<Arc<Dentry>>>,
    /// For a mounted root: the dentry it covers.
    covers: SpinLock<Option<Arc<Dentry>>>,
}

impl core::fmt::Debug for Dentry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (name, unlinked) = {
            let names = self.names.lock();
            (
                alloc::string::String::from_utf8_lossy(&names.name).into_owned(),
                names.unlinked,
            )
        };
        // The inode is asked without the name lock: its metadata may take a sleeping lock.
        f.debug_struct("Dentry")
            .field("name", &name)
            .field("ino", &self.inode.metadata().ino)
            .field("unlinked", &unlinked)
            .finish()
    }
}

pub(crate) fn copy_bytes(bytes: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len())
        .map_err(|_| Errno::ENOMEM)?;
    v.extend_from_slice(bytes);
    Ok(v)
}

impl Dentry {
    fn make(
        inode: Arc<dyn Inode>,
        sb: Arc<SuperBlock>,
        name: Vec<u8>,
        parent: Option<Arc<Dentry>>,
    ) -> Dentry {
        Dentry {
            inode,
            sb,
            names: SpinLock::new(
                "dentry.names",
                Names {
                    name,
                    parent,
                    unlinked: false,
                },
            ),
            children: SpinLock::new("dentry.children", BTreeMap::new()),
            dir_lock: RwLock::new("dentry.dir_lock", ()),
            mounted: SpinLock::new("dentry.mounted", None),
            covers: SpinLock::new("dentry.covers", None),
        }
    }

    /// The root dentry of `fs` (a new superblock); its `..` is itself.
    pub fn new_root(fs: Arc<dyn FileSystem>) -> Arc<Dentry> {
        let inode = fs.root_inode();
        let sb = Arc::new(SuperBlock {
            fs,
            rename_lock: Mutex::new("sb.rename", ()),
        });
        Arc::new(Dentry::make(inode, sb, Vec::new(), None))
    }

    /// The inode.
    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.inode
    }

    /// The inode's attributes.
    pub fn metadata(&self) -> Metadata {
        self.inode.metadata()
    }

    /// The filesystem instance this dentry belongs to.
    pub fn superblock(&self) -> &Arc<SuperBlock> {
        &self.sb
    }

    /// Whether both dentries are in the same filesystem instance (else a rename or link
    /// between them is `EXDEV`).
    pub fn same_superblock(&self, other: &Dentry) -> bool {
        Arc::ptr_eq(&self.sb, &other.sb)
    }

    /// The parent, or `None` for a filesystem root.
    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.names.lock().parent.clone()
    }

    /// A copy of the last component of the name (empty for a root).
    pub fn name(&self) -> Result<Vec<u8>, Errno> {
        copy_bytes(&self.names.lock().name)
    }

    /// Whether this is the root of its filesystem.
    pub fn is_root(&self) -> bool {
        self.names.lock().parent.is_none()
    }

    /// Whether the name was removed (unlink, rmdir, replaced by rename): Linux `d_unlinked`.
    pub fn is_unlinked(&self) -> bool {
        self.names.lock().unlinked
    }

    /// Whether the inode is a directory.
    pub fn is_dir(&self) -> bool {
        self.inode.file_type().is_dir()
    }

    /// The root of the filesystem mounted on this dentry, if any.
    pub fn mounted(&self) -> Option<Arc<Dentry>> {
        self.mounted.lock().clone()
    }

    /// For a mounted filesystem root: the dentry it covers.
    pub fn covered(&self) -> Option<Arc<Dentry>> {
        self.covers.lock().clone()
    }

    /// Whether something is mounted here (Linux `is_local_mountpoint`, `d_mountpoint`).
    pub fn is_mountpoint(&self) -> bool {
        self.mounted.lock().is_some()
    }

    /// Mounts the filesystem whose root dentry is `root` on this directory. `ENOTDIR` if this
    /// is not a directory, `EBUSY` if something is mounted here already or `root` is mounted
    /// elsewhere, `EINVAL` if `root` is not a filesystem root or is this dentry's own filesystem,
    /// `ENOENT` if this name was removed.
    pub fn mount(self: &Arc<Self>, root: Arc<Dentry>) -> Result<(), Errno> {
        if !self.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !root.is_root() || Arc::ptr_eq(&root.sb, &self.sb) {
            return Err(Errno::EINVAL);
        }
        if self.is_unlinked() {
            return Err(Errno::ENOENT);
        }
        let mut covers = root.covers.lock();
        let mut mounted = self.mounted.lock();
        if mounted.is_some() || covers.is_some() {
            return Err(Errno::EBUSY);
        }
        *covers = Some(self.clone());
        *mounted = Some(root.clone());
        Ok(())
    }

    /// Detaches the filesystem mounted on this dentry and returns its root. `EINVAL` if nothing
    /// is mounted here, `EBUSY` if something is mounted inside it.
    pub fn umount(&self) -> Result<Arc<Dentry>, Errno> {
        let mut mounted = self.mounted.lock();
        let root = mounted.clone().ok_or(Errno::EINVAL)?;
        if root.is_mountpoint() {
            return Err(Errno::EBUSY);
        }
        *mounted = None;
        drop(mounted);
        *root.covers.lock() = None;
        Ok(root)
    }

    /// This dentry, or the root of what is mounted on it (repeatedly): Linux
    /// `traverse_mounts`.
    pub fn follow_mounts(self: &Arc<Self>) -> Arc<Dentry> {
        let mut cur = self.clone();
        while let Some(m) = cur.mounted() {
            cur = m;
        }
        cur
    }

    /// The directory lock for reading (cache misses, `readdir`).
    pub(crate) fn lock_shared(&self) -> RwLockReadGuard<'_, ()> {
        self.dir_lock.read()
    }

    /// The directory lock for writing (namespace changes in this directory).
    pub(crate) fn lock_exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.dir_lock.write()
    }

    fn cached(&self, name: &[u8]) -> Option<Arc<Dentry>> {
        self.children.lock().get(name).and_then(Weak::upgrade)
    }

    /// The child `name` of this directory (one component, not `.`/`..`), from the cache or the
    /// filesystem. Does not cross mounts and checks no permission. `ENOENT` if absent or if this
    /// directory was removed, `ENAMETOOLONG` for a name over `NAME_MAX` that is not cached.
    pub fn lookup_child(self: &Arc<Self>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        if let Some(d) = self.cached(name) {
            return Ok(d);
        }
        let _guard = self.lock_shared();
        self.lookup_locked(name)
    }

    /// [`Dentry::lookup_child`] for a caller that holds the directory lock.
    pub(crate) fn lookup_locked(self: &Arc<Self>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        if let Some(d) = self.cached(name) {
            return Ok(d);
        }
        if self.inode.is_dead() {
            return Err(Errno::ENOENT);
        }
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let inode = self.inode.lookup(name)?;
        self.add_child(name, inode)
    }

    /// Like [`Dentry::lookup_locked`] but `Ok(None)` for an absent name.
    pub(crate) fn lookup_locked_opt(
        self: &Arc<Self>,
        name: &[u8],
    ) -> Result<Option<Arc<Dentry>>, Errno> {
        match self.lookup_locked(name) {
            Ok(d) => Ok(Some(d)),
            Err(Errno::ENOENT) if !self.inode.is_dead() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Enters `inode` as the child `name` in the cache (or returns the live entry already there).
    pub(crate) fn add_child(
        self: &Arc<Self>,
        name: &[u8],
        inode: Arc<dyn Inode>,
    ) -> Result<Arc<Dentry>, Errno> {
        let key = copy_bytes(name)?;
        let d = Arc::new(Dentry::make(
            inode,
            self.sb.clone(),
            copy_bytes(name)?,
            Some(self.clone()),
        ));
        let existing = {
            let mut map = self.children.lock();
            match map.get(name).and_then(Weak::upgrade) {
                Some(e) => Some(e),
                None => {
                    map.insert(key, Arc::downgrade(&d));
                    None
                }
            }
        };
        Ok(existing.unwrap_or(d))
    }

    /// Removes this dentry from its parent's cache and marks it unlinked (after unlink, rmdir, or
    /// being replaced by rename): Linux `d_delete`/`d_drop`.
    pub(crate) fn mark_unlinked(&self) {
        let parent = {
            let mut names = self.names.lock();
            names.unlinked = true;
            names.parent.clone()
        };
        if let Some(p) = parent {
            let name = self.names.lock();
            let mut map = p.children.lock();
            if map
                .get(&name.name[..])
                .is_some_and(|w| core::ptr::eq(w.as_ptr(), self))
            {
                map.remove(&name.name[..]);
            }
        }
    }

    /// Moves this dentry to `new_parent` under `new_name` (Linux `d_move`); the caller holds both
    /// directories' locks and has removed any dentry that was at the target.
    pub(crate) fn move_to(
        self: &Arc<Self>,
        new_parent: &Arc<Dentry>,
        new_name: &[u8],
    ) -> Result<(), Errno> {
        let key = copy_bytes(new_name)?;
        let name = copy_bytes(new_name)?;
        let (old_parent, old_name) = {
            let names = self.names.lock();
            (names.parent.clone(), copy_bytes(&names.name)?)
        };
        if let Some(op) = &old_parent {
            let mut map = op.children.lock();
            if map
                .get(&old_name[..])
                .is_some_and(|w| core::ptr::eq(w.as_ptr(), Arc::as_ptr(self)))
            {
                map.remove(&old_name[..]);
            }
        }
        let displaced = new_parent.children.lock().insert(key, Arc::downgrade(self));
        drop(displaced);
        let previous = {
            let mut names = self.names.lock();
            names.name = name;
            names.parent.replace(new_parent.clone())
        };
        drop(previous);
        drop(old_parent);
        Ok(())
    }

    /// Whether `self` is `other` or one of its ancestors (within one filesystem).
    pub fn is_ancestor_of(&self, other: &Arc<Dentry>) -> bool {
        let mut cur = other.clone();
        loop {
            if core::ptr::eq(Arc::as_ptr(&cur), self) {
                return true;
            }
            match cur.parent() {
                Some(p) => cur = p,
                None => return false,
            }
        }
    }

    /// The child of `self` on the way down to its descendant `other`, if `other` is a strict
    /// descendant (Linux `d_ancestor`, used for the rename "trap").
    pub(crate) fn child_towards(&self, other: &Arc<Dentry>) -> Option<Arc<Dentry>> {
        let mut cur = other.clone();
        loop {
            let parent = cur.parent()?;
            if core::ptr::eq(Arc::as_ptr(&parent), self) {
                return Some(cur);
            }
            cur = parent;
        }
    }

    /// The absolute path of this dentry as seen from `root` (Linux `prepend_path`): the
    /// components from `root` down, joined by `/`, or `/` for `root` itself. Mounted roots are
    /// crossed to what they cover. The flag is `false` when `root` was not met on the way up
    /// (the path is then from the topmost root, and `getcwd` prefixes `(unreachable)`).
    /// `ENAMETOOLONG` when the path with its NUL would exceed `PATH_MAX`.
    pub fn path_from(self: &Arc<Self>, root: &Arc<Dentry>) -> Result<(Vec<u8>, bool), Errno> {
        self.build_path(Some(root))
    }

    /// The absolute path from the topmost root (mounts crossed).
    pub fn path(self: &Arc<Self>) -> Result<Vec<u8>, Errno> {
        Ok(self.build_path(None)?.0)
    }

    fn build_path(self: &Arc<Self>, root: Option<&Arc<Dentry>>) -> Result<(Vec<u8>, bool), Errno> {
        // Components are gathered leaf first, then reversed.
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut total = 0usize;
        let mut cur = self.clone();
        let reachable = loop {
            if root.is_some_and(|r| Arc::ptr_eq(r, &cur)) {
                break true;
            }
            let (name, parent) = {
                let names = cur.names.lock();
                (copy_bytes(&names.name)?, names.parent.clone())
            };
            match parent {
                Some(p) => {
                    total += name.len() + 1;
                    if total + 1 > PATH_MAX {
                        return Err(Errno::ENAMETOOLONG);
                    }
                    parts.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                    parts.push(name);
                    cur = p;
                }
                None => match cur.covered() {
                    Some(mp) => cur = mp,
                    None => break root.is_none(),
                },
            }
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
}

impl Drop for Dentry {
    fn drop(&mut self) {
        // Release the parent chain iteratively: each parent whose last reference was ours is
        // taken apart here instead of recursing into its own drop.
        let names = self.names.get_mut();
        let mut parent = names.parent.take();
        let mut name = core::mem::take(&mut names.name);
        while let Some(p) = parent {
            {
                let mut map = p.children.lock();
                if map.get(&name[..]).is_some_and(|w| w.strong_count() == 0) {
                    map.remove(&name[..]);
                }
            }
            match Arc::into_inner(p) {
                Some(mut d) => {
                    let names = d.names.get_mut();
                    parent = names.parent.take();
                    name = core::mem::take(&mut names.name);
                }
                None => parent = None,
            }
        }
    }
}
