//! Filesystem glue between the syscalls and the `vfs` crate: the root filesystem, each
//! process's filesystem context (root, cwd, umask), `dirfd`-relative lookups, and opening.
//!
//! The VFS proper (dentries, path walk, tmpfs, permission rules) lives in `crates/vfs` so that it
//! is tested on the host; this module only adds what needs the kernel: descriptors, devices and
//! the clock.

pub mod devices;
pub mod eventfd;
pub mod eventpoll;
pub mod fd_table;
pub mod file;
pub mod initramfs;
pub mod pidfd;
pub mod pipe;
pub mod poll;
pub mod timerfd;

use crate::process::Thread;
use crate::syscall::args::Fd;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use file::{InodeFile, OpenFile};
use spin::Once;
use vfs::dentry::Dentry;
use vfs::path::{Ctx, Lookup};
use vfs::{FileType, Timespec};

pub use abi::AT_FDCWD;

/// A process's filesystem context (Linux's `fs_struct` plus the umask).
#[derive(Clone)]
pub struct FsContext {
    pub root: Arc<Dentry>,
    pub cwd: Arc<Dentry>,
    pub umask: u32,
}

static ROOT: Once<Arc<Dentry>> = Once::new();

/// The wall clock for file timestamps.
struct KernelClock;

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
/// `MNT_RELATIME` that mount(2) adds by default.
pub fn init_root() -> Result<Arc<Dentry>, Errno> {
    let (total_frames, _) = hal::mm::frame::stats();
    let half_of_ram_pages = total_frames as u64 / 2;
    let options = vfs::tmpfs::TmpfsOptions {
        root_mode: 0o755,
        dev: 2,
        max_bytes: Some(half_of_ram_pages * 4096),
        max_inodes: Some(half_of_ram_pages),
        atime: vfs::tmpfs::AtimePolicy::Strict,
        ..Default::default()
    };
    let tmpfs = vfs::tmpfs::Tmpfs::try_new(Arc::new(KernelClock), options)?;
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
    Ok(ROOT.call_once(|| root).clone())
}

/// The initial filesystem context (init's).
pub fn initial_context() -> FsContext {
    let root = ROOT
        .get()
        .cloned()
        .unwrap_or_else(|| panic!("root filesystem missing"));
    FsContext {
        root: root.clone(),
        cwd: root,
        umask: 0o022,
    }
}

/// The dentry relative paths start from: the cwd for `AT_FDCWD`, else the directory `dirfd`.
pub fn start_dentry(thread: &Thread, dirfd: Fd, path: &[u8]) -> Result<Arc<Dentry>, Errno> {
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
    operation: impl FnOnce(&Ctx<'_>, &Arc<Dentry>) -> Result<T, Errno>,
) -> Result<T, Errno> {
    vfs::path::check_path(path)?;
    let start = start_dentry(thread, dirfd, path)?;
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
pub fn lookup(thread: &Thread, dirfd: Fd, path: &[u8], how: Lookup) -> Result<Arc<Dentry>, Errno> {
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
) -> Result<Arc<Dentry>, Errno> {
    if path.is_empty() && allow_empty {
        if dirfd.0 == AT_FDCWD {
            return Ok(thread.process.fs.get().lock().cwd.clone());
        }
        let file = thread.process.files.get().lock().get(dirfd.0)?;
        return file.path.clone().ok_or(Errno::EBADF);
    }
    lookup(thread, dirfd, path, how)
}

/// Opens the object at `dentry` with status `flags` (access mode included).
pub fn open_dentry(dentry: Arc<Dentry>, flags: OpenFlags) -> Result<Arc<OpenFile>, Errno> {
    open_dentry_noctty(dentry, flags, true)
}

/// As [`open_dentry`] for open(2): `is_noctty` is O_NOCTTY, which is not a status flag; without
/// it, opening a terminal may make it the caller's controlling terminal.
pub fn open_dentry_noctty(
    dentry: Arc<Dentry>,
    flags: OpenFlags,
    is_noctty: bool,
) -> Result<Arc<OpenFile>, Errno> {
    let metadata = dentry.metadata();
    let ops: Arc<dyn file::FileOps> = if flags.contains(OpenFlags::O_PATH) {
        Arc::new(InodeFile::new(dentry.inode().clone()))
    } else {
        match metadata.file_type {
            FileType::CharDevice => devices::open_char_device(metadata.rdev, is_noctty)?,
            FileType::BlockDevice => return Err(Errno::ENXIO),
            FileType::Fifo | FileType::Socket => return Err(Errno::ENXIO),
            _ => Arc::new(InodeFile::new(dentry.inode().clone())),
        }
    };
    Ok(Arc::new(OpenFile::new(ops, Some(dentry), flags)))
}

/// Resolves an absolute path from the root as root would (used before any process exists).
pub fn lookup_root_path(path: &[u8]) -> Result<Arc<Dentry>, Errno> {
    let root = ROOT.get().cloned().ok_or(Errno::ENOENT)?;
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
