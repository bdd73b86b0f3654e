//! pipefs: the names of pipes (Linux's `fs/pipe.c` pipefs), so that a pipe can be opened again
//! through `/proc/<pid>/fd/N` as Linux allows: bash's process substitution (`<(cmd)` is
//! `/dev/fd/63`), `/dev/stdin` on a pipe, `cat /proc/self/fd/0`.
//!
//! Linux gives every pipe an inode on the kernel's pipefs mount, and opening it is `fifo_open`
//! on that inode's pipe: the FIFO open rules (a reader waits for a writer unless O_NONBLOCK,
//! O_RDWR never waits), with new ends on the same pipe. Here the pipe gets its name only when
//! `fd/N` is followed: a dentry in no directory (`d_alloc_pseudo`) on one internal mount, for
//! an inode that holds the pipe and reports its attributes. The FIFO open code asks
//! [`pipe_of`] before looking the inode up in its table of FIFOs. `fd/N` of a file opened this
//! way still reads `pipe:[ino]` ([`is_pipefs`]).

use super::pipe::Pipe;
use abi::Errno;
use alloc::sync::Arc;
use core::any::Any;
use spin::Once;
use vfs::{Dentry, FileSystem, FileType, Inode, Metadata, Mount, Path, StatFs, Timespec};

/// `PIPEFS_MAGIC` (include/uapi/linux/magic.h).
const PIPEFS_MAGIC: u64 = 0x5049_5045;

/// The filesystem: a root directory and no names in it.
struct PipeFs;

/// pipefs's root (never reached by a path walk).
struct PipeFsRoot;

impl Inode for PipeFsRoot {
    fn metadata(&self) -> Metadata {
        Metadata {
            dev: super::pipe::PIPEFS_DEV,
            ino: 1,
            file_type: FileType::Directory,
            mode: 0o600,
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

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FileSystem for PipeFs {
    fn root_inode(&self) -> Arc<dyn Inode> {
        Arc::new(PipeFsRoot)
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            fs_type: PIPEFS_MAGIC,
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
        "pipefs"
    }
}

/// A pipe's inode: its attributes are the pipe's.
struct PipeInode {
    pipe: Arc<Pipe>,
}

impl Inode for PipeInode {
    fn metadata(&self) -> Metadata {
        self.pipe.metadata()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        FileType::Fifo
    }
}

static MOUNT: Once<Arc<Mount>> = Once::new();

/// The internal mount, made on first use.
fn mount() -> Result<&'static Arc<Mount>, Errno> {
    if let Some(mount) = MOUNT.get() {
        return Ok(mount);
    }
    let mount = Mount::new_internal(Dentry::new_root(Arc::new(PipeFs)), b"pipefs")?;
    Ok(MOUNT.call_once(|| mount))
}

/// The name of `pipe` that `/proc/<pid>/fd/N` leads to.
pub fn path_of(pipe: &Arc<Pipe>) -> Result<Path, Errno> {
    let mount = mount()?;
    let inode: Arc<dyn Inode> = Arc::new(PipeInode { pipe: pipe.clone() });
    let dentry = Dentry::new_pseudo(mount.root(), inode);
    Ok(Path::new(mount.clone(), dentry))
}

/// The pipe of a pipefs inode.
pub fn pipe_of(inode: &Arc<dyn Inode>) -> Option<Arc<Pipe>> {
    inode
        .as_any()
        .downcast_ref::<PipeInode>()
        .map(|inode| inode.pipe.clone())
}

/// Whether `path` is a pipe's pipefs name.
pub fn is_pipefs(path: &Path) -> bool {
    MOUNT
        .get()
        .is_some_and(|mount| Arc::ptr_eq(mount, path.mnt()))
}
