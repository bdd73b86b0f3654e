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
//! Mounts: mounts are objects of their own ([`crate::mount`]); a dentry only counts how many
//! mounts cover it ([`Dentry::is_mountpoint`], Linux's `DCACHE_MOUNTED`), so the walk asks the
//! mount table only where something is mounted. A dentry belongs to one superblock; the same
//! dentry may be seen through several mounts (bind mounts).
//!
//! Revalidation: a filesystem whose names change by themselves (procfs) says so through
//! [`Inode::is_stale`]; a cached child whose inode is stale is dropped and looked up again
//! (Linux's `d_revalidate`).
//!
//! Not done yet: mount namespaces, a global hash table and LRU of unused dentries.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, SpinLock};
use abi::Errno;

use crate::inode::{FileSystem, Inode, Metadata, NAME_MAX, PATH_MAX};

/// Superblock flags (Linux's `SB_*`, the `MS_*` values mount(2) takes for them).
pub mod sb_flags {
    /// Mounted read-only.
    pub const SB_RDONLY: u32 = 1;
    /// Writes are synchronous.
    pub const SB_SYNCHRONOUS: u32 = 16;
    /// Mandatory locks allowed (accepted, no effect since Linux 5.15).
    pub const SB_MANDLOCK: u32 = 64;
    /// Directory changes are synchronous.
    pub const SB_DIRSYNC: u32 = 128;
    /// Timestamps are updated lazily.
    pub const SB_LAZYTIME: u32 = 1 << 25;
    /// The flags mount(2) passes to the superblock (`path_mount`'s `sb_flags`).
    pub const SB_SETTABLE: u32 =
        SB_RDONLY | SB_SYNCHRONOUS | SB_MANDLOCK | SB_DIRSYNC | SB_LAZYTIME;
}

/// One mounted filesystem instance as the VFS sees it.
pub struct SuperBlock {
    fs: Arc<dyn FileSystem>,
    /// Serializes renames between directories (Linux `s_vfs_rename_mutex`).
    pub(crate) rename_lock: Mutex<()>,
    /// `SB_*` flags.
    flags: AtomicU32,
    /// Regular files open for writing on it (the sum of Linux's per-mount writer counts that
    /// `sb_prepare_remount_readonly` checks).
    writers: AtomicUsize,
}

/// The end of a filesystem instance (its last mount and dentry gone): its watched inodes
/// hear `IN_UNMOUNT` (Linux's `fsnotify_sb_delete` from `generic_shutdown_super`).
impl Drop for SuperBlock {
    fn drop(&mut self) {
        if let Some(notifier) = crate::notify::active() {
            notifier.unmounted(self.fs.root_inode().metadata().dev);
        }
    }
}

impl SuperBlock {
    /// The filesystem.
    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }

    /// A regular file on it was opened for writing (`mnt_get_write_access` at open).
    pub fn get_writer(&self) {
        self.writers.fetch_add(1, Ordering::AcqRel);
    }

    /// A writer opened by [`SuperBlock::get_writer`] was released.
    pub fn put_writer(&self) {
        let _ = self
            .writers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    /// Whether it may become read-only (`sb_prepare_remount_readonly`): `EBUSY` while a
    /// regular file on it is open for writing.
    pub fn prepare_remount_read_only(&self) -> Result<(), Errno> {
        if self.writers.load(Ordering::Acquire) > 0 {
            return Err(Errno::EBUSY);
        }
        Ok(())
    }

    /// The `SB_*` flags.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// Replaces the `SB_*` flags (mount and remount).
    pub fn set_flags(&self, flags: u32) {
        self.flags
            .store(flags & sb_flags::SB_SETTABLE, Ordering::Release);
    }

    /// Whether the filesystem instance is read-only (`sb_rdonly`).
    pub fn is_readonly(&self) -> bool {
        self.flags() & sb_flags::SB_RDONLY != 0
    }
}

struct Names {
    name: Vec<u8>,
    parent: Option<Arc<Dentry>>,
    unlinked: bool,
    /// The inode's last name went while others held this dentry: its `IN_DELETE_SELF` is
    /// sent when the last of them lets go (Linux's `dentry_unlink_inode` at the final dput).
    is_delete_deferred: bool,
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
    /// How many mounts cover this dentry (Linux's `DCACHE_MOUNTED`, counted).
    mounts: AtomicU32,
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
                    is_delete_deferred: false,
                },
            ),
            children: SpinLock::new("dentry.children", BTreeMap::new()),
            dir_lock: RwLock::new("dentry.dir_lock", ()),
            mounts: AtomicU32::new(0),
        }
    }

    /// The root dentry of `fs` (a new superblock); its `..` is itself.
    pub fn new_root(fs: Arc<dyn FileSystem>) -> Arc<Dentry> {
        let inode = fs.root_inode();
        let sb = Arc::new(SuperBlock {
            fs,
            rename_lock: Mutex::new("sb.rename", ()),
            flags: AtomicU32::new(0),
            writers: AtomicUsize::new(0),
        });
        Arc::new(Dentry::make(inode, sb, Vec::new(), None))
    }

    /// A dentry for `inode` in the filesystem of `root` that is in no directory (Linux's
    /// `d_alloc_pseudo`): pipefs's name for a pipe, reached only through `/proc/<pid>/fd`.
    pub fn new_pseudo(root: &Arc<Dentry>, inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry::make(inode, root.sb.clone(), Vec::new(), None))
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

    /// Reports that this dentry's inode has lost its last name (after unlink, rmdir or a
    /// rename over it): now if nobody else holds the dentry (Linux's `d_delete` of an unused
    /// dentry), otherwise when the last holder lets go.
    pub(crate) fn report_deleted(self: &Arc<Self>, notifier: &dyn crate::notify::Notifier) {
        if Arc::strong_count(self) == 1 {
            notifier.deleted(&self.inode);
        } else {
            self.names.lock().is_delete_deferred = true;
        }
    }

    /// Whether the name was removed (unlink, rmdir, replaced by rename): Linux `d_unlinked`.
    pub fn is_unlinked(&self) -> bool {
        self.names.lock().unlinked
    }

    /// Whether the inode is a directory.
    pub fn is_dir(&self) -> bool {
        self.inode.file_type().is_dir()
    }

    /// Whether a mount covers this dentry in some mount (Linux `d_mountpoint`).
    pub fn is_mountpoint(&self) -> bool {
        self.mounts.load(Ordering::Acquire) != 0
    }

    pub(crate) fn add_mount(&self) {
        self.mounts.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn remove_mount(&self) {
        self.mounts.fetch_sub(1, Ordering::AcqRel);
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
        let found = self.children.lock().get(name).and_then(Weak::upgrade)?;
        if found.inode.is_stale() {
            // d_revalidate said no: forget the name (an open file keeps its dentry).
            found.mark_unlinked();
            return None;
        }
        Some(found)
    }

    /// The child `name` if the cache holds it and it needs no revalidation (what Linux's RCU
    /// walk can use: `LOOKUP_CACHED`); `None` otherwise.
    pub fn cached_child(&self, name: &[u8]) -> Option<Arc<Dentry>> {
        let found = self.children.lock().get(name).and_then(Weak::upgrade)?;
        if found.inode.is_stale() || found.is_unlinked() {
            return None;
        }
        Some(found)
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
            Err(Errno::ENOENT)
                if !self.inode.is_dead() && !self.inode.lookup_failure_is_final() =>
            {
                Ok(None)
            }
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

    /// A dentry for an `O_TMPFILE` file made in this directory (Linux `d_tmpfile`): named
    /// `#<inode number>`, child of this directory but not in its cache, and unlinked, so that
    /// `/proc/<pid>/fd` shows `DIR/#INO (deleted)`.
    pub(crate) fn new_tmpfile(
        self: &Arc<Self>,
        inode: Arc<dyn Inode>,
    ) -> Result<Arc<Dentry>, Errno> {
        let mut name = Vec::new();
        name.try_reserve(21).map_err(|_| Errno::ENOMEM)?;
        name.push(b'#');
        let ino = inode.metadata().ino;
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = ino;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        name.extend_from_slice(&digits[start..]);
        let d = Dentry::make(inode, self.sb.clone(), name, Some(self.clone()));
        d.names.lock().unlinked = true;
        Ok(Arc::new(d))
    }

    /// A name for a file that was never in this directory (a memfd's `memfd:NAME` on the
    /// kernel's tmpfs, Linux's `shmem_file_setup` with `alloc_file_pseudo`): a child of this
    /// directory outside its cache, unlinked, so `/proc/<pid>/fd` shows `/NAME (deleted)` and
    /// opening that link reopens the file.
    pub fn new_unlinked_child(
        self: &Arc<Self>,
        inode: Arc<dyn Inode>,
        name: Vec<u8>,
    ) -> Arc<Dentry> {
        let d = Dentry::make(inode, self.sb.clone(), name, Some(self.clone()));
        d.names.lock().unlinked = true;
        Arc::new(d)
    }

    /// Removes the non-directory `name` of this directory as the kernel does for itself
    /// (devtmpfs taking away a device's node): no permission check, no notification.
    pub fn remove_child(self: &Arc<Self>, name: &[u8]) -> Result<(), Errno> {
        let _guard = self.lock_exclusive();
        let victim = self.lookup_locked(name)?;
        self.inode.unlink(name)?;
        victim.mark_unlinked();
        Ok(())
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

    /// The path of this dentry from the root of its filesystem (Linux `dentry_path_raw`, the
    /// fourth field of mountinfo), `/` for the root. `ENAMETOOLONG` past `PATH_MAX`.
    pub fn path_in_fs(self: &Arc<Self>) -> Result<Vec<u8>, Errno> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut total = 0usize;
        let mut cur = self.clone();
        while let Some(parent) = cur.parent() {
            let name = cur.name()?;
            total += name.len() + 1;
            if total + 1 > PATH_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            parts.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            parts.push(name);
            cur = parent;
        }
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
        Ok(out)
    }
}

impl Drop for Dentry {
    fn drop(&mut self) {
        // Release the parent chain iteratively: each parent whose last reference was ours is
        // taken apart here instead of recursing into its own drop.
        let names = self.names.get_mut();
        if names.is_delete_deferred
            && let Some(notifier) = crate::notify::active()
        {
            notifier.deleted(&self.inode);
        }
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
