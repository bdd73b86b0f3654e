//! tmpfs: a filesystem kept entirely in memory, as Linux's `mm/shmem.c` (with the helpers of
//! `fs/libfs.c` it uses).
//!
//! Key types: [`Tmpfs`] (one mounted instance, [`FileSystem`]), [`TmpfsInode`] (every object, an
//! [`Inode`]), [`TmpfsOptions`] (the mount options `size=`, `nr_inodes=`, `mode=`, `uid=`,
//! `gid=`).
//!
//! What it follows from Linux:
//! - Inode numbers count up from 1 (the root) per instance, as tmpfs's per-superblock `i_ino`.
//! - Regular files are page-sized (4 KiB) chunks in a B-tree keyed by page index; pages are
//!   allocated only where data is written, so holes read as zeros and cost nothing
//!   (`st_blocks` counts allocated pages × 8). Writes that run out of space stop short, or fail
//!   with `ENOSPC` when nothing was written; page buffers are allocated with `try_reserve`, so
//!   memory exhaustion is `ENOMEM`, not an abort. The maximum file size is `MAX_LFS_FILESIZE`
//!   (`i64::MAX`), `EFBIG` past it.
//! - Directories are ordered maps from name to child. `st_size` is 40 plus 20 per entry
//!   (`BOGO_DIRENT_SIZE`), `st_nlink` is 2 plus the number of subdirectories, mkdir/rmdir and
//!   cross-directory renames keep it so. Each entry carries a cookie (a per-directory counter,
//!   from 2) that is its `readdir` position, so a reader resumes correctly however entries come
//!   and go (as tmpfs's stable offsets since Linux 6.6; 6.1's cursor-based `dcache_readdir`
//!   gives the same entries for a reader that does not race with changes). `.` and `..` come
//!   first, at positions 0 and 1.
//! - Symlinks keep their target; targets of up to 127 bytes are "inline" (0 blocks), longer
//!   ones take a page (8 blocks), `ENAMETOOLONG` from 4096 bytes (`shmem_symlink`).
//! - Device nodes, fifos and sockets are plain inodes carrying `rdev`.
//! - Timestamps as shmem: creating or removing an entry sets the directory's mtime and ctime;
//!   unlink and link set the object's ctime; write sets mtime and ctime; truncate sets them when
//!   the size changes; the VFS updates atime after reads, readdir and readlink, under the
//!   atime policy of the mount they went through ([`Inode::touch_atime`](crate::Inode)).
//! - `size=` limits pages (`ENOSPC`), `nr_inodes=` limits inodes, each extra hard link counting
//!   as one, as 6.1's `shmem_link`/`shmem_unlink`.
//!
//! Files, one concern each: [`options`] (mount options), [`superblock`] (the instance, its
//! `size=`/`nr_inodes=` accounting and `statfs`), [`inode`] (the object, attributes, atime,
//! teardown, the [`Inode`](crate::Inode) trait), [`file`] (data pages), [`dir`] (entries,
//! readdir), [`symlink`], [`rename`].
//!
//! Locking: every inode has one `RwLock` over its state. Lock order is parent directory before
//! child, non-directories last; a rename between two directories first takes the instance's
//! rename mutex (Linux's `s_vfs_rename_mutex`), which makes the tree shape stable so the two
//! directories can be ordered ancestor first, and which also covers locking two children.
//!
//! `fallocate` ([`fallocate`]): allocation, `KEEP_SIZE` and `PUNCH_HOLE`. Seals (`F_ADD_SEALS`)
//! are in [`seals`]. Extended attributes: `security.*` and `trusted.*` per inode, by the rules of
//! [`crate::xattr`]. `O_TMPFILE` files ([`Inode::tmpfile`](crate::Inode)) are inodes with no links and no entry until
//! `linkat` names them. Not done yet: huge pages, POSIX ACLs, quotas, memory
//! pressure (swap), `remount`.

mod dir;
mod fallocate;
mod file;
mod inode;
mod options;
mod rename;
pub mod seals;
mod superblock;
mod symlink;

pub use crate::inode::AtimePolicy;
pub use fallocate::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE};
pub use inode::TmpfsInode;
pub use options::{TmpfsOptions, TmpfsParams};
pub use superblock::Tmpfs;

/// Page size of file data.
pub const PAGE_SIZE: usize = 4096;
/// `st_size` a directory gains per entry (Linux `BOGO_DIRENT_SIZE`).
pub const BOGO_DIRENT_SIZE: u64 = 20;
/// Largest file size (`MAX_LFS_FILESIZE`).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;
