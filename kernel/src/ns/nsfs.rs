//! nsfs (Linux's `fs/nsfs.c`): the files `/proc/PID/ns/X` lead to. Each namespace is an inode
//! whose number is the namespace's and whose device is nsfs's own; following the magic link
//! gives a name on nsfs's internal mount, and opening it gives a file that holds the namespace
//! alive, can be passed to setns(2) and answers the `NS_GET_*` ioctls:
//!
//! - `NS_GET_USERNS`: a new descriptor (close-on-exec) for the owning user namespace; `EPERM`
//!   when that is outside the caller's user namespace (the initial user namespace has no owner).
//! - `NS_GET_PARENT`: for a user namespace, its parent, with the same rule; for a PID
//!   namespace, its parent when that is the caller's PID namespace or below it (`EPERM`
//!   otherwise); `EINVAL` for kinds without parents.
//! - `NS_GET_NSTYPE`: the `CLONE_NEW*` flag of the kind.
//! - `NS_GET_OWNER_UID`: for a user namespace, its creator's uid as the caller sees it, stored
//!   at the argument; `EINVAL` for other kinds.
//! - anything else: `ENOTTY`.
//!
//! Reading such a file is `EINVAL`, as Linux's `ns_file_operations` has no read.

use super::NsRef;
use super::user::{MapKind, UserNs};
use crate::fs::file::FileOps;
use crate::process::Thread;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use core::any::Any;
use spin::Once;
use vfs::{Dentry, FileSystem, FileType, Inode, Metadata, Mount, Path, StatFs, Timespec};

/// `NSFS_MAGIC`.
const NSFS_MAGIC: u64 = 0x6e73_6673;

/// The ioctls (`include/uapi/linux/nsfs.h`: `_IO(0xb7, n)`).
pub const NS_GET_USERNS: u32 = 0xb701;
pub const NS_GET_PARENT: u32 = 0xb702;
pub const NS_GET_NSTYPE: u32 = 0xb703;
pub const NS_GET_OWNER_UID: u32 = 0xb704;

struct NsFs {
    dev: u64,
}

struct NsFsRoot {
    dev: u64,
}

fn metadata(dev: u64, ino: u64, file_type: FileType, mode: u32) -> Metadata {
    Metadata {
        dev,
        ino,
        file_type,
        mode,
        nlink: 1,
        uid: 0,
        gid: 0,
        size: 0,
        rdev: 0,
        blocks: 0,
        blksize: 4096,
        atime: Timespec::default(),
        mtime: Timespec::default(),
        ctime: Timespec::default(),
    }
}

impl Inode for NsFsRoot {
    fn metadata(&self) -> Metadata {
        metadata(self.dev, 1, FileType::Directory, 0o500)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FileSystem for NsFs {
    fn root_inode(&self) -> Arc<dyn Inode> {
        Arc::new(NsFsRoot { dev: self.dev })
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            fs_type: NSFS_MAGIC,
            block_size: 4096,
            blocks: 0,
            blocks_free: 0,
            blocks_avail: 0,
            files: 0,
            files_free: 0,
            name_max: 255,
            fragment_size: 4096,
        }
    }

    fn name(&self) -> &'static str {
        "nsfs"
    }
}

/// A namespace's inode: `S_IFREG` 0444, its number the namespace's.
struct NsInode {
    dev: u64,
    ns: NsRef,
}

impl Inode for NsInode {
    fn metadata(&self) -> Metadata {
        metadata(
            self.dev,
            u64::from(self.ns.inum()),
            FileType::Regular,
            0o444,
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }
}

static MOUNT: Once<Arc<Mount>> = Once::new();

fn mount() -> Result<&'static Arc<Mount>, Errno> {
    if let Some(mount) = MOUNT.get() {
        return Ok(mount);
    }
    let dev = crate::fs::filesystems::anonymous_dev()?;
    let fs: Arc<dyn FileSystem> = Arc::new(NsFs { dev: dev.dev() });
    dev.hold(&fs);
    let mount = Mount::new_internal(Dentry::new_root(fs), b"nsfs")?;
    Ok(MOUNT.call_once(|| mount))
}

/// The nsfs name of `ns` (what `/proc/PID/ns/X` leads to).
pub fn path_of(ns: NsRef) -> Result<Path, Errno> {
    let mount = mount()?;
    let dev = mount.root().inode().metadata().dev;
    let inode: Arc<dyn Inode> = Arc::new(NsInode { dev, ns });
    let dentry = Dentry::new_pseudo(mount.root(), inode);
    Ok(Path::new(mount.clone(), dentry))
}

/// The namespace of an nsfs inode.
pub fn ns_of(inode: &Arc<dyn Inode>) -> Option<NsRef> {
    inode
        .as_any()
        .downcast_ref::<NsInode>()
        .map(|inode| inode.ns.clone())
}

/// An open namespace file.
pub struct NsFile {
    inode: Arc<dyn Inode>,
    ns: NsRef,
}

/// Opens an nsfs inode, if `inode` is one.
pub fn open_file(inode: &Arc<dyn Inode>) -> Option<Arc<dyn FileOps>> {
    let ns = ns_of(inode)?;
    Some(Arc::new(NsFile {
        inode: inode.clone(),
        ns,
    }))
}

impl FileOps for NsFile {
    fn metadata(&self) -> Metadata {
        self.inode.metadata()
    }

    fn inode(&self) -> Option<&Arc<dyn Inode>> {
        Some(&self.inode)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn as_namespace(&self) -> Option<&NsRef> {
        Some(&self.ns)
    }
}

/// Whether `target` is the caller's user namespace or below it (the rule of
/// `ns_get_owner`/`ns_get_parent`: `EPERM` otherwise).
fn is_visible(target: &Arc<UserNs>, own: &Arc<UserNs>) -> bool {
    target.is_within(own)
}

/// Opens `ns` as a new close-on-exec descriptor of the caller (`open_related_ns`).
fn open_related(thread: &Thread, ns: NsRef, limit: usize) -> Result<usize, Errno> {
    let charge = crate::fs::file_table::charge_with_descriptor(thread, limit)?;
    let path = path_of(ns.clone())?;
    let ops: Arc<dyn FileOps> = Arc::new(NsFile {
        inode: path.dentry().inode().clone(),
        ns,
    });
    let file = Arc::new(crate::fs::file::OpenFile::new(
        ops,
        Some(path),
        OpenFlags::O_RDONLY,
        charge,
    )?);
    let fd = thread
        .process
        .files
        .get()
        .lock()
        .insert_from(0, file, true, limit)?;
    Ok(fd as usize)
}

/// The `NS_GET_*` ioctls on a namespace file; `limit` bounds a new descriptor.
pub fn ioctl(
    thread: &Thread,
    ns: &NsRef,
    command: u32,
    argument: u64,
    limit: usize,
) -> Result<usize, Errno> {
    let own = thread.process.credentials.lock().user_ns.0.clone();
    match command {
        NS_GET_USERNS => {
            let owner = ns.owner().ok_or(Errno::EPERM)?;
            if !is_visible(&owner, &own) {
                return Err(Errno::EPERM);
            }
            open_related(thread, NsRef::User(owner), limit)
        }
        NS_GET_PARENT => match ns {
            NsRef::User(user) => {
                let parent = user.parent.clone().ok_or(Errno::EPERM)?;
                if !is_visible(&parent, &own) {
                    return Err(Errno::EPERM);
                }
                open_related(thread, NsRef::User(parent), limit)
            }
            // `pidns_get_parent`: the parent, if it is the caller's own PID namespace or
            // below it.
            NsRef::Pid(pid) => {
                let parent = pid.parent.clone().ok_or(Errno::EPERM)?;
                if !thread.pid_ns().is_ancestor_of(&parent) {
                    return Err(Errno::EPERM);
                }
                open_related(thread, NsRef::Pid(parent), limit)
            }
            _ => Err(Errno::EINVAL),
        },
        NS_GET_NSTYPE => Ok(ns.kind().clone_flag().bits() as usize),
        NS_GET_OWNER_UID => match ns {
            NsRef::User(user) => {
                let uid = own.view_munged(MapKind::Uid, user.owner_uid);
                hal::usercopy::write_user(argument, &uid)?;
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        },
        _ => Err(Errno::ENOTTY),
    }
}
