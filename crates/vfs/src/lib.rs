//! The virtual filesystem core of Ferrux: inodes, dentries, path walk, permission checks, the
//! path-based operations the syscall layer calls, and tmpfs. Pure logic, no `unsafe`, tested on
//! the host; the kernel's `fs` code is thin glue over it (file descriptors, user memory,
//! flag validation).
//!
//! Modules, bottom up:
//! - [`inode`]: the [`Inode`] trait every filesystem implements and the data it exchanges
//!   ([`Metadata`], [`FileType`], [`Timespec`], [`SetAttr`], [`DirEntry`]), [`Clock`],
//!   [`FileSystem`].
//! - [`perm`]: [`Credentials`], `generic_permission` ([`perm::may_access`]), the sticky rule.
//! - [`page`]: the page-frame handles file data lives in (hal's in the kernel, stand-ins on the
//!   host).
//! - [`page_cache`]: [`page_cache::PageCache`], a file's pages indexed by a radix tree, shared by
//!   read, write, mmap and exec (`mm/filemap.c`).
//! - [`pseudo`]: synthetic filesystems made of nodes that render kernel state (procfs, sysfs).
//! - [`tmpfs`]: the in-memory filesystem (`mm/shmem.c`), whose file data is its page cache.
//! - [`dentry`]: [`Dentry`], the name cache with parents (for `..` and `getcwd`).
//! - [`mount`]: [`Mount`], [`Path`] (a `(mount, dentry)` pair), [`MountNamespace`] (the mount
//!   tree and mount(2)/umount2(2)/pivot_root(2) on it), as `fs/namespace.c`.
//! - [`fstype`]: filesystem types registered by name and mount option parsing.
//! - [`path`]: the path walk of `fs/namei.c` ([`path::resolve`], [`path::resolve_parent`]).
//! - [`namei`]: `mkdir`, `mknod`, `symlink`, `link`, `unlink`, `rmdir`, `rename`, `open`,
//!   `readlink`, `access`, `chdir`, `getcwd`, `stat` with Linux's checks and error precedence.
//! - [`attr`]: `chmod`, `chown`, `utimensat`, `truncate`, set-user-ID clearing on write.
//! - [`readdir`]: `getdents64` records.
//! - [`notify`]: the hooks through which namespace changes reach inotify.
//! - [`devmap`]: device numbers to drivers ([`devmap::DevMap`], `/proc/devices`).
//! - [`xattr`]: extended attributes (`fs/xattr.c`): permission and capability rules, the
//!   per-object store tmpfs keeps.
//! - [`sync`]: the lock types (hal's in the kernel, spin fallbacks on the host).
//!
//! The semantics are Linux 6.1's (`fs/namei.c`, `fs/libfs.c`, `mm/shmem.c`, `fs/stat.c`,
//! `fs/readdir.c`, `fs/open.c`, `fs/attr.c`), checked against a Linux host where the rules are
//! subtle; each module says what it follows and what is not done yet.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod attr;
pub mod dentry;
pub mod devmap;
pub mod export;
pub mod fstype;
pub mod inode;
pub mod mount;
pub mod namei;
pub mod notify;
pub mod page;
pub mod page_cache;
pub mod path;
pub mod perm;
pub mod pseudo;
pub mod readdir;
pub mod sync;
pub mod tmpfs;
pub mod xattr;

pub use dentry::Dentry;
pub use inode::{
    AtimePolicy, Clock, DirEntry, FileSystem, FileType, Inode, ManualClock, Metadata, PageFill,
    PageSlice, SetAttr, StatFs, TimeSet, Timespec,
};
pub use mount::{Mount, MountNamespace, Path};
pub use path::{Ctx, LastKind, Lookup, Parent};
pub use perm::Credentials;
pub use tmpfs::{Tmpfs, TmpfsOptions};
