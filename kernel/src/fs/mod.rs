//! Filesystem glue between the syscalls and the `vfs` crate: the root filesystem and the mount
//! namespace, each process's filesystem context (root, cwd, umask), `dirfd`-relative lookups,
//! and opening.
//!
//! The VFS proper (dentries, path walk, tmpfs, permission rules) lives in `crates/vfs` so that it
//! is tested on the host; this module only adds what needs the kernel: descriptors, devices and
//! the clock.

pub mod aio;
pub mod devices;
pub mod devpts;
pub mod devtmpfs;
pub mod dnotify;
pub mod do_mounts;
pub mod eventfd;
pub mod eventpoll;
pub mod ext4;
pub mod fanotify;
pub mod fasync;
pub mod fd_table;
pub mod fifo;
pub mod file;
pub mod file_table;
pub mod filesystems;
pub mod fs_context;
pub mod initramfs;
pub mod locks;
pub mod notify;
pub mod pidfd;
pub mod pipe;
mod pipe_account;
pub mod pipefs;
pub mod poll;
pub mod proc;
pub mod shmem;
pub mod signalfd;
pub mod sysfs;
pub mod timerfd;
pub mod userfaultfd;

use crate::process::Thread;
use crate::syscall::args::Fd;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use file::{InodeFile, OpenFile};
use spin::Once;
use vfs::dentry::Dentry;
use vfs::path::{Ctx, Lookup};
use vfs::{FileType, MountNamespace, Path, Timespec};

pub use abi::AT_FDCWD;

/// A process's filesystem context (Linux's `fs_struct` plus the umask).
#[derive(Clone)]
pub struct FsContext {
    pub root: Path,
    pub cwd: Path,
    pub umask: u32,
}

/// The initial mount tree (init's mount namespace's; see [`crate::ns::MntNs`]).
static NAMESPACE: Once<Arc<MountNamespace>> = Once::new();

/// The initial mount tree.
pub fn initial_namespace() -> &'static Arc<MountNamespace> {
    NAMESPACE
        .get()
        .unwrap_or_else(|| panic!("mount namespace used before the root filesystem exists"))
}

/// The calling thread's mount tree (the initial one before any thread runs).
pub fn namespace() -> Arc<MountNamespace> {
    match crate::process::try_current() {
        Some(thread) => thread.nsproxy().mnt.tree.clone(),
        None => initial_namespace().clone(),
    }
}

/// The wall clock for file timestamps.
pub struct KernelClock;

/// Device number of the kernel's internal tmpfs ([`shmem`]).
pub(crate) const SHM_MOUNT_DEV: u64 = 1;

impl vfs::inode::Clock for KernelClock {
    fn now(&self) -> Timespec {
        let ns = crate::time::realtime_ns();
        Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as u32 as _,
        }
    }
}

/// Creates the root filesystem (a tmpfs, as Linux's rootfs with CONFIG_TMPFS) with the entries
/// Linux's built-in initramfs always has: `/dev`, `/dev/console`, `/root`. Like every tmpfs
/// mounted without options, it may hold half of RAM in data pages and as many inodes as half
/// of RAM has pages (`shmem_default_max_blocks`, `shmem_default_max_inodes`): filling it gives
/// ENOSPC while the other half stays for programs. Reads update access times always
/// (strictatime): Linux mounts rootfs from the kernel (`init_mount_tree`), without the
/// `MNT_RELATIME` that mount(2) adds by default. The root mount starts the mount namespace.
/// Returns the root dentry, for unpacking the initramfs into.
pub fn init_root() -> Result<Arc<Dentry>, Errno> {
    let dev = filesystems::anonymous_dev()?;
    // Linux's rootfs limits were fixed early in boot, so they differ from a later mount's
    // defaults and /proc/mounts shows them: no defaults to compare with here.
    // Linux's rootfs root is a sticky world-writable directory (tmpfs's default mode), unless
    // the archive's "." entry says otherwise.
    let options = vfs::tmpfs::TmpfsOptions {
        root_mode: 0o1777,
        dev: dev.dev(),
        fs_name: "rootfs",
        default_max_bytes: None,
        default_max_inodes: None,
        ..filesystems::tmpfs_defaults()
    };
    let tmpfs: Arc<dyn vfs::inode::FileSystem> =
        vfs::tmpfs::Tmpfs::try_new(Arc::new(KernelClock), options)?;
    dev.hold(&tmpfs);
    let root = Dentry::new_root(tmpfs);
    let dev = root
        .inode()
        .create(b"dev", FileType::Directory, 0o755, 0, 0, 0)?;
    dev.create(
        b"console",
        FileType::CharDevice,
        0o600,
        0,
        0,
        vfs::inode::encode_dev(5, 1),
    )?;
    root.inode()
        .create(b"root", FileType::Directory, 0o700, 0, 0, 0)?;
    let namespace = MountNamespace::new(root.clone(), b"rootfs", 0)?;
    NAMESPACE.call_once(|| namespace);
    filesystems::register_builtin()?;
    Ok(root)
}

/// The initial filesystem context (init's).
pub fn initial_context() -> FsContext {
    let root = initial_namespace().root();
    FsContext {
        root: root.clone(),
        cwd: root,
        umask: 0o022,
    }
}

/// The path relative paths start from: the cwd for `AT_FDCWD`, else the directory `dirfd`.
pub fn start_dentry(thread: &Thread, dirfd: Fd, path: &[u8]) -> Result<Path, Errno> {
    if path.first() == Some(&b'/') {
        return Ok(thread.process.fs.get().lock().root.clone());
    }
    if dirfd.0 == AT_FDCWD {
        return Ok(thread.process.fs.get().lock().cwd.clone());
    }
    let file = thread.process.files.get().lock().get(dirfd.0)?;
    let dentry = file.path.clone().ok_or(Errno::ENOTDIR)?;
    if !dentry.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(dentry)
}

/// Runs `operation` with the caller's walk context (root, credentials, umask) and the dentry
/// relative paths start from (`dirfd`'s directory, or the cwd for `AT_FDCWD`).
pub fn with_walk<T>(
    thread: &Thread,
    dirfd: Fd,
    path: &[u8],
    operation: impl FnOnce(&Ctx<'_>, &Path) -> Result<T, Errno>,
) -> Result<T, Errno> {
    with_walk_from(thread, dirfd, path, false, operation)
}

/// [`with_walk`]; with `is_dirfd_root` (openat2's `RESOLVE_IN_ROOT`) an absolute path starts
/// at `dirfd` too.
pub fn with_walk_from<T>(
    thread: &Thread,
    dirfd: Fd,
    path: &[u8],
    is_dirfd_root: bool,
    operation: impl FnOnce(&Ctx<'_>, &Path) -> Result<T, Errno>,
) -> Result<T, Errno> {
    vfs::path::check_path(path)?;
    let start = if is_dirfd_root {
        start_dentry(thread, dirfd, b".")?
    } else {
        start_dentry(thread, dirfd, path)?
    };
    let (root, umask) = {
        let fs_shared = thread.process.fs.get();
        let fs = fs_shared.lock();
        (fs.root.clone(), fs.umask)
    };
    let credentials = thread.process.credentials.lock().for_fs();
    operation(
        &Ctx {
            root: &root,
            creds: &credentials,
            umask,
        },
        &start,
    )
}

/// Resolves `path` relative to `dirfd`.
pub fn lookup(thread: &Thread, dirfd: Fd, path: &[u8], how: Lookup) -> Result<Path, Errno> {
    with_walk(thread, dirfd, path, |ctx, start| {
        vfs::path::resolve(ctx, start, path, how)
    })
}

/// Resolves `path` with `AT_EMPTY_PATH` semantics: an empty path means `dirfd` itself.
pub fn lookup_or_fd(
    thread: &Thread,
    dirfd: Fd,
    path: &[u8],
    how: Lookup,
    allow_empty: bool,
) -> Result<Path, Errno> {
    if path.is_empty() && allow_empty {
        if dirfd.0 == AT_FDCWD {
            return Ok(thread.process.fs.get().lock().cwd.clone());
        }
        let file = thread.process.files.get().lock().get(dirfd.0)?;
        return file.path.clone().ok_or(Errno::EBADF);
    }
    lookup(thread, dirfd, path, how)
}

/// Opens the object at `dentry` with status `flags` (access mode included), as the kernel
/// itself (not counted against `fs.file-max`'s limit: init's console).
pub fn open_dentry(dentry: Path, flags: OpenFlags) -> Result<Arc<OpenFile>, Errno> {
    open_dentry_noctty(dentry, flags, true, file_table::charge(true)?)
}

/// As [`open_dentry`] for open(2): `is_noctty` is O_NOCTTY, which is not a status flag; without
/// it, opening a terminal may make it the caller's controlling terminal. `charge` counts the
/// new file (taken before the path walk, as Linux's `path_openat` allocates the file first).
pub fn open_dentry_noctty(
    dentry: Path,
    flags: OpenFlags,
    is_noctty: bool,
    charge: file_table::FileCharge,
) -> Result<Arc<OpenFile>, Errno> {
    let metadata = dentry.metadata();
    let ops: Arc<dyn file::FileOps> = if flags.contains(OpenFlags::O_PATH) {
        Arc::new(InodeFile::new(dentry.inode().clone()))
    } else {
        let request = devices::OpenRequest {
            rdev: metadata.rdev,
            flags,
            is_noctty,
            node: Some(&dentry),
        };
        match metadata.file_type {
            FileType::CharDevice => devices::open_char(&request)?,
            FileType::BlockDevice => devices::open_block(&request)?,
            FileType::Fifo => fifo::open(&dentry, flags)?,
            FileType::Socket => return Err(Errno::ENXIO),
            FileType::Regular if crate::ns::nsfs::ns_of(dentry.inode()).is_some() => {
                crate::ns::nsfs::open_file(dentry.inode()).ok_or(Errno::ENXIO)?
            }
            FileType::Regular if crate::ipc::mqueue::is_mqueue_inode(&dentry) => {
                crate::ipc::mqueue::open_file(dentry.inode())?
            }
            FileType::Regular => {
                // do_dentry_open's break_lease.
                locks::break_lease(dentry.inode(), flags)?;
                let is_write = flags.access_mode() != abi::AccessMode::ReadOnly;
                match proc::SeqFile::open(dentry.inode().clone(), is_write)? {
                    Some(seq) => seq,
                    None => Arc::new(InodeFile::new(dentry.inode().clone())),
                }
            }
            _ => Arc::new(InodeFile::new(dentry.inode().clone())),
        }
    };
    // do_dentry_open, after the file's open: O_DIRECT needs a mapping with `direct_IO`
    // (`FMODE_CAN_ODIRECT`), which 6.1 gives block devices and not tmpfs, procfs, sysfs,
    // character devices or FIFOs.
    if flags.contains(OpenFlags::O_DIRECT)
        && !flags.contains(OpenFlags::O_PATH)
        && !ops.can_direct_io()
    {
        return Err(Errno::EINVAL);
    }
    Ok(Arc::new(OpenFile::new(ops, Some(dentry), flags, charge)?))
}

/// Resolves an absolute path from the root as root would (used before any process exists).
pub fn lookup_root_path(path: &[u8]) -> Result<Path, Errno> {
    let root = NAMESPACE.get().ok_or(Errno::ENOENT)?.root();
    let credentials = vfs::Credentials::root();
    vfs::path::resolve(
        &Ctx {
            root: &root,
            creds: &credentials,
            umask: 0o022,
        },
        &root,
        path,
        Lookup::FOLLOW,
    )
}
