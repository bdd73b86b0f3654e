//! mount, umount2, pivot_root (Linux `fs/namespace.c`): argument copying and the dispatch of
//! `path_mount` by flags; the tree rules live in `vfs::mount`, the filesystem types in
//! `fs::filesystems`.
//!
//! Order of checks, as Linux 6.1: mount(2) copies the type, source and option page (a fault
//! part-way through the page is fine, at its first byte `EFAULT`), resolves the target
//! (`ENOENT`, `ENOTDIR`…), then `path_mount`: `MS_NOUSER` is `EINVAL`, no `CAP_SYS_ADMIN` is
//! `EPERM`, then by flags: `MS_REMOUNT|MS_BIND` (per-mount flags), `MS_REMOUNT` (superblock
//! options and flags), `MS_BIND` (`MS_REC`), a propagation type (exactly one of
//! `MS_SHARED`/`MS_PRIVATE`/`MS_SLAVE`/`MS_UNBINDABLE`, with `MS_REC`, else `EINVAL`),
//! `MS_MOVE`, else a new mount (no type `EINVAL`, unknown type `ENODEV`, bad options `EINVAL`).
//! Without `MS_NOATIME` a new mount is `relatime`; `MS_STRICTATIME` clears that; a remount
//! that names no atime flag keeps the old ones. umount2 of the caller's root remounts it
//! read-only, as Linux's `do_umount_root`.

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use crate::process::Thread;
use abi::Errno;
use abi::raw::general as raw;
use alloc::vec::Vec;
use vfs::dentry::sb_flags::SB_SETTABLE;
use vfs::mount::flags::*;
use vfs::mount::{PropagationType, umount_flags};
use vfs::{Lookup, Path};

const PATH_MAX: usize = 4096;
const PAGE_SIZE: u64 = 4096;

/// Whether the caller may change mounts (`may_mount`: `CAP_SYS_ADMIN` in the user namespace
/// that owns its mount namespace).
fn may_mount(thread: &Thread) -> bool {
    let owner = thread.nsproxy().mnt.owner.clone();
    thread
        .process
        .credentials
        .lock()
        .ns_capable(&owner, abi::capability::CAP_SYS_ADMIN)
}

/// Filesystem types a mount namespace owned by a user namespace other than the initial one
/// may mount (Linux's `FS_USERNS_MOUNT` types that need no more checks); the rest are `EPERM`
/// there, as is changing a superblock's options.
pub(super) const USERNS_MOUNTABLE: [&[u8]; 4] = [b"tmpfs", b"ramfs", b"devpts", b"mqueue"];

fn is_user_owned(thread: &Thread) -> bool {
    !thread.nsproxy().mnt.owner.is_initial()
}

/// Linux `copy_mount_string`: NULL is "none given"; `EFAULT`, or `EINVAL` past `PATH_MAX`.
fn copy_mount_string(address: u64) -> Result<Option<Vec<u8>>, Errno> {
    if address == 0 {
        return Ok(None);
    }
    match hal::usercopy::read_user_cstr(address, PATH_MAX - 1) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(Errno::ENAMETOOLONG) => Err(Errno::EINVAL),
        Err(error) => Err(error),
    }
}

/// Linux `copy_mount_options`: up to one page, as much of it as is readable; `EFAULT` only if
/// not even the first byte is.
fn copy_mount_options(address: u64) -> Result<Vec<u8>, Errno> {
    if address == 0 {
        return Ok(Vec::new());
    }
    let mut page = Vec::new();
    page.try_reserve_exact(PAGE_SIZE as usize)
        .map_err(|_| Errno::ENOMEM)?;
    // Up to the end of its page in one copy, then the next page if the first was whole.
    let first = (PAGE_SIZE - address % PAGE_SIZE) as usize;
    let mut chunk = alloc::vec![0u8; first];
    if hal::usercopy::copy_from_user(&mut chunk, address).is_err() {
        // Byte by byte, as Linux's fallback: as much as can be read.
        for i in 0..first {
            let mut byte = [0u8];
            if hal::usercopy::copy_from_user(&mut byte, address + i as u64).is_err() {
                break;
            }
            page.push(byte[0]);
        }
        if page.is_empty() {
            return Err(Errno::EFAULT);
        }
        return Ok(page);
    }
    page.extend_from_slice(&chunk);
    let rest = PAGE_SIZE as usize - first;
    if rest > 0 {
        let mut tail = alloc::vec![0u8; rest];
        if hal::usercopy::copy_from_user(&mut tail, address + first as u64).is_ok() {
            page.extend_from_slice(&tail);
        }
    }
    Ok(page)
}

/// The `MNT_*` flags mount(2)'s `flags` ask for (`path_mount`).
fn mount_flags(flags: u64, old: Option<u32>) -> u32 {
    let flags = flags as u32;
    let mut mnt = 0;
    if flags & raw::MS_NOATIME == 0 {
        mnt |= MNT_RELATIME;
    }
    for (ms, bit) in [
        (raw::MS_NOSUID, MNT_NOSUID),
        (raw::MS_NODEV, MNT_NODEV),
        (raw::MS_NOEXEC, MNT_NOEXEC),
        (raw::MS_NOATIME, MNT_NOATIME),
        (raw::MS_NODIRATIME, MNT_NODIRATIME),
        (raw::MS_RDONLY, MNT_READONLY),
        (raw::MS_NOSYMFOLLOW, MNT_NOSYMFOLLOW),
    ] {
        if flags & ms != 0 {
            mnt |= bit;
        }
    }
    if flags & raw::MS_STRICTATIME != 0 {
        mnt &= !(MNT_RELATIME | MNT_NOATIME);
    }
    let atime_flags = raw::MS_NOATIME | raw::MS_NODIRATIME | raw::MS_RELATIME | raw::MS_STRICTATIME;
    if let Some(old) = old
        && flags & atime_flags == 0
    {
        mnt = (mnt & !MNT_ATIME_MASK) | (old & MNT_ATIME_MASK);
    }
    mnt
}

fn lookup(thread: &Thread, name: &[u8], how: Lookup) -> Result<Path, Errno> {
    fs::lookup(thread, Fd(AT_FDCWD), name, how)
}

pub fn mount(
    context: &mut SyscallContext<'_>,
    source: u64,
    target: UserCStr,
    fstype: u64,
    flags: u64,
    data: u64,
) -> SyscallResult {
    let fstype = copy_mount_string(fstype)?;
    let source = copy_mount_string(source)?;
    let mut data = copy_mount_options(data)?;
    // path_mount: the page's last byte is made a NUL, so at most 4095 bytes count.
    data.truncate(PAGE_SIZE as usize - 1);
    let target = target.read_path()?;
    let path = lookup(context.thread, &target, Lookup::FOLLOW)?;
    path_mount(
        context.thread,
        source.as_deref(),
        &path,
        fstype.as_deref(),
        flags,
        &data,
    )?;
    Ok(0)
}

/// Linux `path_mount`.
pub(crate) fn path_mount(
    thread: &Thread,
    source: Option<&[u8]>,
    path: &Path,
    fstype: Option<&[u8]>,
    mut flags: u64,
    data: &[u8],
) -> Result<(), Errno> {
    let magic_mask = u64::from(raw::MS_MGC_MSK);
    if flags & magic_mask == u64::from(raw::MS_MGC_VAL) {
        flags &= !magic_mask;
    }
    if flags & u64::from(raw::MS_NOUSER) != 0 {
        return Err(Errno::EINVAL);
    }
    if !may_mount(thread) {
        return Err(Errno::EPERM);
    }
    let ns = fs::namespace();
    let flags32 = flags as u32;
    let is_remount = flags32 & raw::MS_REMOUNT != 0;
    let is_bind = flags32 & raw::MS_BIND != 0;
    let sb_flags = flags32 & SB_SETTABLE;
    if is_remount && is_bind {
        return ns.set_mount_flags(path, mount_flags(flags, Some(path.mnt().flags())));
    }
    if is_remount {
        if is_user_owned(thread) {
            return Err(Errno::EPERM);
        }
        return remount(
            path,
            mount_flags(flags, Some(path.mnt().flags())),
            sb_flags,
            data,
        );
    }
    if is_bind {
        let source = source.filter(|s| !s.is_empty()).ok_or(Errno::EINVAL)?;
        let from = lookup(thread, source, Lookup::FOLLOW)?;
        return ns.bind(&from, path, flags32 & raw::MS_REC != 0);
    }
    let propagation = raw::MS_SHARED | raw::MS_PRIVATE | raw::MS_SLAVE | raw::MS_UNBINDABLE;
    if flags32 & propagation != 0 {
        if !path.is_mount_root() {
            return Err(Errno::EINVAL);
        }
        // flags_to_propagation_type: nothing else but MS_REC/MS_SILENT, and one type only.
        let kind = flags32 & !(raw::MS_REC | raw::MS_SILENT);
        let kind = match kind {
            raw::MS_SHARED => PropagationType::Shared,
            raw::MS_PRIVATE => PropagationType::Private,
            raw::MS_SLAVE => PropagationType::Slave,
            raw::MS_UNBINDABLE => PropagationType::Unbindable,
            _ => return Err(Errno::EINVAL),
        };
        return ns.change_propagation(path, kind, flags32 & raw::MS_REC != 0);
    }
    if flags32 & raw::MS_MOVE != 0 {
        let source = source.filter(|s| !s.is_empty()).ok_or(Errno::EINVAL)?;
        let from = lookup(thread, source, Lookup::FOLLOW)?;
        return ns.move_mount(&from, path);
    }
    // do_new_mount
    let fstype = fstype.ok_or(Errno::EINVAL)?;
    let fs_type = fs::filesystems::REGISTRY.get(fstype).ok_or(Errno::ENODEV)?;
    if is_user_owned(thread) && !USERNS_MOUNTABLE.contains(&fstype) {
        return Err(Errno::EPERM);
    }
    let options = vfs::fstype::parse_options(data)?;
    // do_new_mount gives mount(2)'s source first: a `source=` option too is a second one.
    let source = match (source, options.source) {
        (Some(_), Some(_)) => return Err(Errno::EINVAL),
        (source, option) => source.or(option).unwrap_or(b"none"),
    };
    let sb_flags = (sb_flags | options.sb_set) & !options.sb_clear;
    let root = fs_type.mount(source, sb_flags, &options.fs)?;
    ns.mount_new(path, root, source, mount_flags(flags, None))?;
    Ok(())
}

/// Linux `do_remount`: the filesystem's options and the superblock flags in `MS_RMT_MASK`,
/// then the mount's flags.
fn remount(path: &Path, mnt_flags: u32, sb_flags: u32, data: &[u8]) -> Result<(), Errno> {
    if !fs::namespace().holds(path.mnt()) || !path.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    let options = vfs::fstype::parse_options(data)?;
    let superblock = path.mnt().superblock();
    let mask = raw::MS_RMT_MASK & SB_SETTABLE;
    let requested = (sb_flags | options.sb_set) & !options.sb_clear;
    let read_only = vfs::dentry::sb_flags::SB_RDONLY;
    // reconfigure_super: going read-only with a file open for writing is EBUSY, before
    // anything changes.
    if requested & read_only != 0 && superblock.flags() & read_only == 0 {
        superblock.prepare_remount_read_only()?;
    }
    superblock.fs().remount(&options.fs)?;
    if (superblock.flags() ^ requested) & read_only != 0 {
        superblock.fs().set_read_only(requested & read_only != 0)?;
    }
    superblock.set_flags((superblock.flags() & !mask) | (requested & mask));
    fs::namespace().set_mount_flags(path, mnt_flags)
}

pub fn umount2(context: &mut SyscallContext<'_>, target: UserCStr, flags: i32) -> SyscallResult {
    use umount_flags::*;
    let flags = flags as u32;
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let how = if flags & UMOUNT_NOFOLLOW != 0 {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    let name = target.read_path()?;
    let path = lookup(context.thread, &name, how)?;
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    let root = context.thread.process.fs.get().lock().root.clone();
    // do_umount: "unmounting" the caller's own root (without MNT_DETACH) remounts it
    // read-only instead (`do_umount_root`), which is how `umount -a -r` at shutdown leaves /.
    let ns = fs::namespace();
    if flags & (MNT_DETACH | MNT_EXPIRE) == 0
        && path.is_mount_root()
        && alloc::sync::Arc::ptr_eq(path.mnt(), root.mnt())
        && ns.holds(path.mnt())
        && !path.mnt().is_locked()
    {
        let superblock = path.mnt().superblock();
        let read_only = vfs::dentry::sb_flags::SB_RDONLY;
        if superblock.flags() & read_only == 0 {
            superblock.prepare_remount_read_only()?;
            superblock.fs().set_read_only(true)?;
            superblock.set_flags(superblock.flags() | read_only);
        }
        return Ok(0);
    }
    ns.umount(path, flags, &root)?;
    Ok(0)
}

pub fn pivot_root(
    context: &mut SyscallContext<'_>,
    new_root: UserCStr,
    put_old: UserCStr,
) -> SyscallResult {
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    let new_name = new_root.read_path()?;
    let new = lookup(context.thread, &new_name, Lookup::DIRECTORY)?;
    let old_name = put_old.read_path()?;
    let old = lookup(context.thread, &old_name, Lookup::DIRECTORY)?;
    let root = context.thread.process.fs.get().lock().root.clone();
    fs::namespace().pivot_root(&new, &old, &root)?;
    // chroot_fs_refs: whoever had the old root as root or cwd now has the new one.
    for process in crate::process::table::all_processes() {
        let fs_shared = process.fs.get();
        let mut context = fs_shared.lock();
        if context.root.same(&root) {
            context.root = new.clone();
        }
        if context.cwd.same(&root) {
            context.cwd = new.clone();
        }
    }
    Ok(0)
}
