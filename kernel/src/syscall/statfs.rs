//! statfs, fstatfs, ustat (Linux `fs/statfs.c`): the filesystem's numbers (`statfs_by_dentry`, with
//! `f_frsize` defaulting to the block size) and the mount's `ST_*` flags
//! (`calculate_f_flags`). Descriptors without a path answer for the internal filesystem they
//! live on: pipes `PIPEFS_MAGIC`, anonymous-inode files (eventfd, epoll, timerfd, pidfd)
//! `ANON_INODE_FS_MAGIC`, as `simple_statfs` fills them.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs;
use abi::Statfs;
use abi::raw::general as raw;
use vfs::{Lookup, Path};

fn statfs_of(path: &Path) -> Statfs {
    let numbers = path.superblock().fs().statfs();
    // f_fsid stays zero: tmpfs, proc and sysfs have no uuid on 6.1.
    Statfs {
        f_type: numbers.fs_type as i64,
        f_bsize: numbers.block_size as i64,
        f_blocks: numbers.blocks,
        f_bfree: numbers.blocks_free,
        f_bavail: numbers.blocks_avail,
        f_files: numbers.files,
        f_ffree: numbers.files_free,
        f_fsid: [0, 0],
        f_namelen: numbers.name_max as i64,
        f_frsize: if numbers.fragment_size == 0 {
            numbers.block_size as i64
        } else {
            numbers.fragment_size as i64
        },
        f_flags: path.mnt().statfs_flags(),
        f_spare: [0; 4],
    }
}

/// `simple_statfs` of an internal filesystem.
fn internal(magic: u32) -> Statfs {
    Statfs {
        f_type: i64::from(magic),
        f_bsize: 4096,
        f_namelen: 255,
        f_frsize: 4096,
        f_flags: abi::stat::st_flags::ST_VALID,
        ..Statfs::default()
    }
}

pub fn statfs(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    buf: UserPtr<Statfs>,
) -> SyscallResult {
    let name = path.read_path()?;
    let path = fs::lookup(context.thread, Fd(fs::AT_FDCWD), &name, Lookup::FOLLOW)?;
    buf.write(&statfs_of(&path))?;
    Ok(0)
}

pub fn fstatfs(context: &mut SyscallContext<'_>, fd: Fd, buf: UserPtr<Statfs>) -> SyscallResult {
    let file = context.thread.process.files.get().lock().get(fd.0)?;
    let value = match &file.path {
        Some(path) => statfs_of(path),
        None if file.ops.as_pipe().is_some() => internal(raw::PIPEFS_MAGIC),
        None => internal(raw::ANON_INODE_FS_MAGIC),
    };
    buf.write(&value)?;
    Ok(0)
}

/// `struct ustat` (x86-64: `__kernel_daddr_t` is an int, `__kernel_ino_t` an unsigned long).
#[repr(C)]
#[derive(zerocopy::IntoBytes, zerocopy::Immutable, Default)]
pub struct Ustat {
    f_tfree: i32,
    pad: u32,
    f_tinode: u64,
    f_fname: [u8; 6],
    f_fpack: [u8; 6],
    pad2: u32,
}

/// ustat (Linux `fs/statfs.c`): the free blocks and inodes of the mounted filesystem whose
/// device number is `dev` (the `st_dev` encoding), `EINVAL` if none is; `f_fname` and
/// `f_fpack` are zeroed. Free blocks are truncated to an int, as Linux stores them.
pub fn ustat(
    _: &mut super::SyscallContext<'_>,
    dev: u32,
    buf: UserPtr<Ustat>,
) -> super::SyscallResult {
    let mounts = fs::namespace().mounts()?;
    let mount = mounts
        .iter()
        .find(|mount| mount.root().metadata().dev == u64::from(dev))
        .ok_or(abi::Errno::EINVAL)?;
    let numbers = mount.superblock().fs().statfs();
    buf.write(&Ustat {
        f_tfree: numbers.blocks_free as i32,
        f_tinode: numbers.files_free,
        ..Ustat::default()
    })?;
    Ok(0)
}
