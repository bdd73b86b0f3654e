//! The path-based operations of the syscall layer, as Linux's `fs/namei.c` (`do_mkdirat`,
//! `do_mknodat`, `do_symlinkat`, `do_linkat`, `do_unlinkat`, `do_rmdir`, `do_renameat2`,
//! `path_openat`), `fs/open.c` (`do_faccessat`, `chdir`), `fs/stat.c` (`do_readlinkat`) and
//! `fs/d_path.c` (`getcwd`).
//!
//! Each function does the whole operation: walk ([`crate::path`]), the checks of the `vfs_*`
//! helpers (`may_create`, `may_delete`, `may_open`), the filesystem call, and the dentry-cache
//! update, under the directory locks. The syscall layer only converts arguments: it applies no
//! rule of its own beyond flag validation, `AT_EMPTY_PATH`, and copying to and from user memory.
//! Where several errors apply, the one Linux reports wins; the tests in `tests/` pin each case.
//!
//! Key items: [`mkdir`], [`mknod`], [`symlink`], [`link`], [`unlink`], [`rmdir`], [`rename`],
//! [`open`] (with [`Opened`]), [`readlink`], [`access`], [`chdir`], [`getcwd`], [`stat`].
//!
//! Creation follows `inode_init_owner` and `mode_strip_sgid`: the new object belongs to the
//! fsuid; in a set-group-ID directory it takes the directory's group (and a new subdirectory the
//! set-group-ID bit), else the fsgid; a set-group-ID executable created in such a directory by
//! someone outside its group loses the bit. `mkdir` keeps only `0o1777` of the mode.
//!
//! Mounts: objects are named by [`Path`]s; a change through a read-only mount is `EROFS` at
//! the point Linux's `mnt_want_write` reports it (after `EEXIST` for creations, before the
//! lookup of the victim for removals); links and renames between two mounts are `EXDEV` even
//! when both show the same filesystem; device nodes on a `nodev` mount cannot be opened
//! (`EACCES`); `access(X_OK)` of a regular file on a `noexec` mount is `EACCES`.
//!
//! Not done yet: `protected_hardlinks`/`protected_regular`, leases and
//! delegations, `ETXTBSY`, fsnotify, `RLIMIT_FSIZE`.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;
use abi::capability::{CAP_FSETID, CAP_MKNOD};
use linux_raw_sys::general as raw;

use crate::attr::{do_truncate, is_write_denied};
use crate::dentry::{Dentry, copy_bytes};
use crate::inode::{
    FileType, Inode, Metadata, PATH_MAX, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
    S_IALLUGO, S_IRWXUGO, S_ISGID, S_ISVTX, S_IXGRP,
};
use crate::mount::Path;
use crate::notify;
use crate::path::{
    Ctx, LastKind, Lookup, NameData, Parent, Walk, check_path, lookup_one, resolve, resolve_parent,
};
use crate::perm::{Credentials, MAY_EXEC, MAY_READ, MAY_WRITE, check_sticky, may_access};

/// Reports a new entry `name` of `dir` (`fsnotify_create`/`fsnotify_mkdir`).
fn notify_created(dir: &Arc<dyn Inode>, name: &[u8], is_dir: bool) {
    if let Some(notifier) = notify::active() {
        notifier.entry(dir, notify::IN_CREATE | notify::dir_bit(is_dir), 0, name);
    }
}

fn same_inode(a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> bool {
    core::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

/// Linux `may_create` (the existence check is the caller's): `ENOENT` in a removed directory,
/// else write and search permission on it (`EACCES`).
pub fn may_create(dir: &Dentry, creds: &Credentials) -> Result<(), Errno> {
    if dir.inode().is_dead() {
        return Err(Errno::ENOENT);
    }
    may_access(&dir.metadata(), creds, MAY_WRITE | MAY_EXEC)
}

/// Linux `may_delete`: may `creds` remove (or rename away) `victim` from `dir`? In order:
/// write and search permission on `dir` (`EACCES`), the sticky rule (`EPERM`), the kind (`is_dir`
/// asked and not a directory: `ENOTDIR`; a filesystem root: `EBUSY`; not asked and a directory:
/// `EISDIR`), then `dir` removed (`ENOENT`).
pub fn may_delete(
    dir: &Dentry,
    victim: &Dentry,
    is_dir: bool,
    creds: &Credentials,
) -> Result<(), Errno> {
    let dm = dir.metadata();
    let vm = victim.metadata();
    may_access(&dm, creds, MAY_WRITE | MAY_EXEC)?;
    if check_sticky(&dm, &vm, creds) {
        return Err(Errno::EPERM);
    }
    if is_dir {
        if !vm.file_type.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if victim.is_root() {
            return Err(Errno::EBUSY);
        }
    } else if vm.file_type.is_dir() {
        return Err(Errno::EISDIR);
    }
    if dir.inode().is_dead() {
        return Err(Errno::ENOENT);
    }
    Ok(())
}

/// Linux `mode_strip_sgid`.
fn strip_sgid(dir: &Metadata, creds: &Credentials, file_type: FileType, mode: u32) -> u32 {
    if mode & (S_ISGID | S_IXGRP) != (S_ISGID | S_IXGRP)
        || file_type.is_dir()
        || dir.mode & S_ISGID == 0
        || creds.in_group(dir.gid)
        || creds.has_cap(CAP_FSETID)
    {
        return mode;
    }
    mode & !S_ISGID
}

/// Linux `inode_init_owner`: (uid, gid, mode) of a new object in `dir`.
fn init_owner(
    dir: &Metadata,
    creds: &Credentials,
    file_type: FileType,
    mode: u32,
) -> (u32, u32, u32) {
    if dir.mode & S_ISGID != 0 {
        let mode = if file_type.is_dir() {
            mode | S_ISGID
        } else {
            mode
        };
        (creds.fsuid, dir.gid, mode)
    } else {
        (creds.fsuid, creds.fsgid, mode)
    }
}

/// The checks of `filename_create` made under the directory lock: the name must not exist
/// (`EEXIST`), and a trailing slash is only allowed for a directory (`ENOENT`).
fn create_lookup(p: &Parent<'_>, want_dir: bool) -> Result<(), Errno> {
    match p.dir.lookup_locked_opt(p.last)? {
        Some(_) => Err(Errno::EEXIST),
        None if p.trailing_slash && !want_dir => Err(Errno::ENOENT),
        None => Ok(()),
    }
}

/// Walks to the parent for a creation: `.`, `..` and `/` as last component are `EEXIST`.
fn create_parent<'p>(ctx: &Ctx<'_>, start: &Path, path: &'p [u8]) -> Result<Parent<'p>, Errno> {
    let p = resolve_parent(ctx, start, path)?;
    if p.kind != LastKind::Normal {
        return Err(Errno::EEXIST);
    }
    Ok(p)
}

/// `mkdirat`: creates directory `path` with permission bits `mode & !umask & 0o1777`.
pub fn mkdir(ctx: &Ctx<'_>, start: &Path, path: &[u8], mode: u32) -> Result<Path, Errno> {
    let p = create_parent(ctx, start, path)?;
    let dir = p.dir.clone();
    let _guard = dir.lock_exclusive();
    create_lookup(&p, true)?;
    dir.want_write()?;
    may_create(&dir, ctx.creds)?;
    let dm = dir.metadata();
    let mode = mode & !ctx.umask & (S_IRWXUGO | S_ISVTX);
    let (uid, gid, mode) = init_owner(&dm, ctx.creds, FileType::Directory, mode);
    let inode = dir
        .inode()
        .create(p.last, FileType::Directory, mode, uid, gid, 0)?;
    let child = dir.add_child(p.last, inode)?;
    notify_created(dir.inode(), p.last, true);
    Ok(dir.with_dentry(child))
}

/// Linux `may_mknod`: the kind of object `mode`'s type bits (`S_IF*`, 0 meaning regular) ask
/// `mknod` for. `EPERM` for a directory, `EINVAL` for a symlink or an unknown type. Checked
/// before anything else, the path included.
pub fn may_mknod(mode: u32) -> Result<FileType, Errno> {
    match mode & raw::S_IFMT {
        0 => Ok(FileType::Regular),
        raw::S_IFDIR => Err(Errno::EPERM),
        t => match FileType::from_mode_bits(t) {
            Some(FileType::Symlink) | None => Err(Errno::EINVAL),
            Some(ft) => Ok(ft),
        },
    }
}

/// `mknodat`: creates a regular file, device node, fifo or socket. `mode` carries the type
/// (`S_IF*`, 0 meaning regular) and permission bits (masked by the umask); `rdev` is the device
/// number ([`crate::inode::encode_dev`] form). `EPERM` for `S_IFDIR` and, unless privileged
/// (`CAP_MKNOD`), for devices — except a whiteout, a character device 0:0 (`vfs_mknod`);
/// `EINVAL` for an unknown type.
pub fn mknod(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &[u8],
    mode: u32,
    rdev: u64,
) -> Result<Path, Errno> {
    let file_type = may_mknod(mode)?;
    let p = create_parent(ctx, start, path)?;
    let dir = p.dir.clone();
    let _guard = dir.lock_exclusive();
    create_lookup(&p, false)?;
    dir.want_write()?;
    may_create(&dir, ctx.creds)?;
    let is_whiteout = file_type == FileType::CharDevice && rdev == 0;
    if matches!(file_type, FileType::CharDevice | FileType::BlockDevice)
        && !is_whiteout
        && !ctx.creds.has_cap(CAP_MKNOD)
    {
        return Err(Errno::EPERM);
    }
    let dm = dir.metadata();
    let mode = strip_sgid(&dm, ctx.creds, file_type, mode & S_IALLUGO & !ctx.umask);
    let (uid, gid, mode) = init_owner(&dm, ctx.creds, file_type, mode);
    // init_special_inode keeps the device number of devices only.
    let is_device = matches!(file_type, FileType::CharDevice | FileType::BlockDevice);
    let rdev = if is_device { rdev } else { 0 };
    let inode = dir
        .inode()
        .create(p.last, file_type, mode, uid, gid, rdev)?;
    let child = dir.add_child(p.last, inode)?;
    notify_created(dir.inode(), p.last, false);
    Ok(dir.with_dentry(child))
}

/// `symlinkat`: creates `path` as a symbolic link to `target`. The target is checked first
/// (`ENOENT` if empty, `ENAMETOOLONG` from 4096 bytes).
pub fn symlink(ctx: &Ctx<'_>, target: &[u8], start: &Path, path: &[u8]) -> Result<(), Errno> {
    check_path(target)?;
    let p = create_parent(ctx, start, path)?;
    let dir = p.dir.clone();
    let _guard = dir.lock_exclusive();
    create_lookup(&p, false)?;
    dir.want_write()?;
    may_create(&dir, ctx.creds)?;
    let (uid, gid, _) = init_owner(&dir.metadata(), ctx.creds, FileType::Symlink, 0o777);
    dir.inode().symlink(p.last, target, uid, gid)?;
    notify_created(dir.inode(), p.last, false);
    Ok(())
}

/// `linkat`: makes `new_path` another name of `old_path` (followed if `follow`, as
/// `AT_SYMLINK_FOLLOW`). `EXDEV` across mounts, `EPERM` for a directory, `ENOENT` for an
/// object with no links left.
pub fn link(
    ctx: &Ctx<'_>,
    old_start: &Path,
    old_path: &[u8],
    new_start: &Path,
    new_path: &[u8],
    follow: bool,
) -> Result<(), Errno> {
    let how = if follow {
        Lookup::FOLLOW
    } else {
        Lookup::NOFOLLOW
    };
    let old = resolve(ctx, old_start, old_path, how)?;
    link_path(ctx, &old, new_start, new_path)
}

/// `linkat` of an object already found (`AT_EMPTY_PATH`: the descriptor's own object): makes
/// `new_path` another name of `old`.
pub fn link_path(
    ctx: &Ctx<'_>,
    old: &Path,
    new_start: &Path,
    new_path: &[u8],
) -> Result<(), Errno> {
    let p = create_parent(ctx, new_start, new_path)?;
    let dir = p.dir.clone();
    let _guard = dir.lock_exclusive();
    create_lookup(&p, false)?;
    dir.want_write()?;
    if !Arc::ptr_eq(dir.mnt(), old.mnt()) {
        return Err(Errno::EXDEV);
    }
    may_create(&dir, ctx.creds)?;
    let om = old.metadata();
    if om.file_type.is_dir() {
        return Err(Errno::EPERM);
    }
    if om.nlink == 0 && !old.inode().is_linkable() {
        return Err(Errno::ENOENT);
    }
    dir.inode().link(p.last, old.inode())?;
    dir.add_child(p.last, old.inode().clone())?;
    // fsnotify_link: the link count, then the new name.
    if let Some(notifier) = notify::active() {
        notifier.inode(old.inode(), notify::IN_ATTRIB);
        notifier.entry(dir.inode(), notify::IN_CREATE, 0, p.last);
    }
    Ok(())
}

/// `unlinkat` without `AT_REMOVEDIR`: removes a non-directory name.
pub fn unlink(ctx: &Ctx<'_>, start: &Path, path: &[u8]) -> Result<(), Errno> {
    let p = resolve_parent(ctx, start, path)?;
    if p.kind != LastKind::Normal {
        return Err(Errno::EISDIR);
    }
    p.dir.want_write()?;
    let dir = p.dir.clone();
    let _guard = dir.lock_exclusive();
    let victim = dir.lookup_locked(p.last)?;
    if p.trailing_slash {
        return Err(if victim.is_dir() {
            Errno::EISDIR
        } else {
            Errno::ENOTDIR
        });
    }
    may_delete(&dir, &victim, false, ctx.creds)?;
    if victim.is_mountpoint() {
        return Err(Errno::EBUSY);
    }
    dir.inode().unlink(p.last)?;
    victim.mark_unlinked();
    // vfs_unlink's fsnotify_link_count, then d_delete_notify: the inode's last name going,
    // then the entry.
    if let Some(notifier) = notify::active() {
        notifier.inode(victim.inode(), notify::IN_ATTRIB);
        if notify::has_no_links(victim.inode()) {
            victim.report_deleted(notifier);
        }
        notifier.entry(dir.inode(), notify::IN_DELETE, 0, p.last);
    }
    Ok(())
}

/// `unlinkat` with `AT_REMOVEDIR` (`rmdir`): removes an empty directory. `EINVAL` for `.`,
/// `ENOTEMPTY` for `..`, `EBUSY` for `/` and mount points.
pub fn rmdir(ctx: &Ctx<'_>, start: &Path, path: &[u8]) -> Result<(), Errno> {
    let p = resolve_parent(ctx, start, path)?;
    match p.kind {
        LastKind::DotDot => return Err(Errno::ENOTEMPTY),
        LastKind::Dot => return Err(Errno::EINVAL),
        LastKind::Root => return Err(Errno::EBUSY),
        LastKind::Normal => {}
    }
    p.dir.want_write()?;
    let dir = p.dir.clone();
    let _guard = dir.lock_exclusive();
    let victim = dir.lookup_locked(p.last)?;
    may_delete(&dir, &victim, true, ctx.creds)?;
    // vfs_rmdir locks the victim too (parent before child), so nothing is created in it while
    // it is checked for emptiness and removed, whatever the filesystem's own locking.
    let _victim_guard = victim.lock_exclusive();
    if victim.is_mountpoint() {
        return Err(Errno::EBUSY);
    }
    dir.inode().rmdir(p.last)?;
    victim.mark_unlinked();
    if let Some(notifier) = notify::active() {
        victim.report_deleted(notifier);
        notifier.entry(dir.inode(), notify::IN_DELETE | notify::IN_ISDIR, 0, p.last);
    }
    Ok(())
}

/// `renameat2`: moves `old_path` to `new_path` with `flags` among `RENAME_NOREPLACE`,
/// `RENAME_EXCHANGE` and `RENAME_WHITEOUT` (the last needs privilege: `EPERM`).
pub fn rename(
    ctx: &Ctx<'_>,
    old_start: &Path,
    old_path: &[u8],
    new_start: &Path,
    new_path: &[u8],
    flags: u32,
) -> Result<(), Errno> {
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
        || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
    {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_WHITEOUT != 0 && !ctx.creds.has_cap(CAP_MKNOD) {
        return Err(Errno::EPERM);
    }
    let exchange = flags & RENAME_EXCHANGE != 0;
    let old = resolve_parent(ctx, old_start, old_path)?;
    let new = resolve_parent(ctx, new_start, new_path)?;
    if !Arc::ptr_eq(old.dir.mnt(), new.dir.mnt()) {
        return Err(Errno::EXDEV);
    }
    if old.kind != LastKind::Normal || new.kind != LastKind::Normal {
        return Err(Errno::EBUSY);
    }
    old.dir.want_write()?;
    let old_dir = old.dir.dentry().clone();
    let new_dir = new.dir.dentry().clone();
    let sb = old_dir.superblock().clone();

    // lock_rename: one directory, or the rename mutex and both directories, ancestor first.
    let same_dir = Arc::ptr_eq(&old_dir, &new_dir);
    let _rename_guard = if same_dir {
        None
    } else {
        Some(sb.rename_lock.lock())
    };
    let mut trap = None;
    let (_g1, _g2) = if same_dir {
        (old_dir.lock_exclusive(), None)
    } else if let Some(t) = old_dir.child_towards(&new_dir) {
        trap = Some(t);
        let g1 = old_dir.lock_exclusive();
        (g1, Some(new_dir.lock_exclusive()))
    } else if let Some(t) = new_dir.child_towards(&old_dir) {
        trap = Some(t);
        let g1 = new_dir.lock_exclusive();
        (g1, Some(old_dir.lock_exclusive()))
    } else if Arc::as_ptr(&old_dir) < Arc::as_ptr(&new_dir) {
        let g1 = old_dir.lock_exclusive();
        (g1, Some(new_dir.lock_exclusive()))
    } else {
        let g1 = new_dir.lock_exclusive();
        (g1, Some(old_dir.lock_exclusive()))
    };

    let source = old_dir.lookup_locked(old.last)?;
    let target = new_dir.lookup_locked_opt(new.last)?;
    if flags & RENAME_NOREPLACE != 0 && target.is_some() {
        return Err(Errno::EEXIST);
    }
    if exchange {
        match &target {
            None => return Err(Errno::ENOENT),
            Some(t) if !t.is_dir() && new.trailing_slash => return Err(Errno::ENOTDIR),
            _ => {}
        }
    }
    let is_dir = source.is_dir();
    if !is_dir && (old.trailing_slash || (!exchange && new.trailing_slash)) {
        return Err(Errno::ENOTDIR);
    }
    if let Some(t) = &trap {
        if Arc::ptr_eq(t, &source) {
            return Err(Errno::EINVAL);
        }
        if target.as_ref().is_some_and(|d| Arc::ptr_eq(d, t)) {
            return Err(if exchange {
                Errno::EINVAL
            } else {
                Errno::ENOTEMPTY
            });
        }
    }

    // vfs_rename
    if let Some(t) = &target
        && same_inode(t.inode(), source.inode())
    {
        return Ok(());
    }
    may_delete(&old_dir, &source, is_dir, ctx.creds)?;
    let new_is_dir = target.as_ref().is_some_and(|t| t.is_dir());
    match &target {
        None => may_create(&new_dir, ctx.creds)?,
        Some(t) => may_delete(
            &new_dir,
            t,
            if exchange { new_is_dir } else { is_dir },
            ctx.creds,
        )?,
    }
    if !same_dir {
        if is_dir {
            may_access(&source.metadata(), ctx.creds, MAY_WRITE)?;
        }
        if exchange
            && new_is_dir
            && let Some(t) = &target
        {
            may_access(&t.metadata(), ctx.creds, MAY_WRITE)?;
        }
    }
    // A directory replacing a directory: lock the victim as vfs_rename does (it is a child of a
    // locked parent, and neither the source nor an ancestor of either parent).
    let _target_guard = match &target {
        Some(t) if is_dir && !exchange => Some(t.lock_exclusive()),
        _ => None,
    };
    if source.is_mountpoint() || target.as_ref().is_some_and(|t| t.is_mountpoint()) {
        return Err(Errno::EBUSY);
    }
    old_dir
        .inode()
        .rename(old.last, new_dir.inode(), new.last, flags)?;

    // fsnotify_move: both names with one cookie, the replaced target's link count, the moved
    // object; for an exchange the other object moves back the same way.
    if let Some(notifier) = notify::active() {
        let report_move = |from: &Arc<Dentry>,
                           from_name: &[u8],
                           to: &Arc<Dentry>,
                           to_name: &[u8],
                           moved: &Arc<Dentry>| {
            let cookie = notifier.cookie();
            let bit = notify::dir_bit(moved.is_dir());
            if Arc::ptr_eq(from, to) {
                notifier.entry(from.inode(), notify::FS_RENAME | bit, 0, from_name);
            }
            notifier.entry(from.inode(), notify::IN_MOVED_FROM | bit, cookie, from_name);
            notifier.entry(to.inode(), notify::IN_MOVED_TO | bit, cookie, to_name);
        };
        report_move(&old_dir, old.last, &new_dir, new.last, &source);
        if !exchange && let Some(t) = &target {
            notifier.inode(t.inode(), notify::IN_ATTRIB);
        }
        notifier.inode(source.inode(), notify::IN_MOVE_SELF);
        if exchange && let Some(t) = &target {
            report_move(&new_dir, new.last, &old_dir, old.last, t);
            notifier.inode(t.inode(), notify::IN_MOVE_SELF);
        }
        if !exchange
            && let Some(t) = &target
            && notify::has_no_links(t.inode())
        {
            t.report_deleted(notifier);
        }
    }
    // Bring the dentry cache along (d_move / d_exchange).
    if exchange {
        if let Some(t) = &target {
            if source.move_to(&new_dir, new.last).is_err() {
                source.mark_unlinked();
            }
            if t.move_to(&old_dir, old.last).is_err() {
                t.mark_unlinked();
            }
        }
    } else {
        if let Some(t) = &target {
            t.mark_unlinked();
        }
        if source.move_to(&new_dir, new.last).is_err() {
            source.mark_unlinked();
        }
    }
    Ok(())
}

/// The result of [`open`].
#[derive(Debug)]
pub struct Opened {
    /// The opened object.
    pub path: Path,
    /// Whether `O_CREAT` created it.
    pub created: bool,
}

/// The access an open asks for (`ACC_MODE` plus `O_TRUNC` asking for write), as `MAY_*` bits.
pub fn open_access_mask(flags: u32) -> u32 {
    let mut acc = match flags & raw::O_ACCMODE {
        raw::O_RDONLY => MAY_READ,
        raw::O_WRONLY => MAY_WRITE,
        _ => MAY_READ | MAY_WRITE,
    };
    if flags & raw::O_TRUNC != 0 {
        acc |= MAY_WRITE;
    }
    acc
}

enum Last {
    Link,
    Done { created: bool },
}

/// `openat`: finds (and with `O_CREAT` creates) the object to open, checks the access asked by
/// `flags` (`O_ACCMODE`, `O_CREAT`, `O_EXCL`, `O_TRUNC`, `O_DIRECTORY`, `O_NOFOLLOW`, `O_PATH`,
/// `O_NOATIME`; other bits are ignored here) and truncates with `O_TRUNC`. `mode` is the
/// permission of a created file (masked by the umask). Returns the dentry to build the open
/// file on. Behaviour is 6.1's: `O_CREAT | O_DIRECTORY` is not rejected here (Linux 6.4+ returns
/// `EINVAL`; the syscall layer decides).
pub fn open(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> Result<Opened, Errno> {
    open_resolve(ctx, start, path, flags, mode, 0)
}

/// [`open`] with `openat2`'s `RESOLVE_*` bits (`resolve`, see [`crate::path`]): the walk's
/// scoping and refusals.
pub fn open_resolve(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &[u8],
    flags: u32,
    mode: u32,
    resolve_bits: u32,
) -> Result<Opened, Errno> {
    if flags & raw::O_PATH != 0 {
        let how = Lookup {
            follow: flags & raw::O_NOFOLLOW == 0,
            directory: flags & raw::O_DIRECTORY != 0,
            resolve: resolve_bits,
        };
        let path = resolve(ctx, start, path, how)?;
        return Ok(Opened {
            path,
            created: false,
        });
    }
    let creat = flags & raw::O_CREAT != 0;
    let excl = creat && flags & raw::O_EXCL != 0;
    let how = Lookup {
        follow: flags & raw::O_NOFOLLOW == 0 && !excl,
        directory: flags & raw::O_DIRECTORY != 0,
        resolve: resolve_bits,
    };
    let wants_write = flags & (raw::O_CREAT | raw::O_TRUNC | raw::O_WRONLY | raw::O_RDWR) != 0;
    let mut nd = NameData::init(ctx, start, path, how)?;
    let created = loop {
        nd.link_path_walk()?;
        match open_last_lookups(&mut nd, creat, mode, wants_write)? {
            Last::Link => continue,
            Last::Done { created } => break created,
        }
    };
    let directory = nd.how.directory;
    do_open(ctx, nd.cur, flags, created, directory)
}

/// Opens the object `path` names itself, as `open_by_handle_at`'s `file_open_root(path, "")`
/// does: `O_PATH` takes it as it is; otherwise a symlink is `ELOOP` and the checks of an
/// ordinary open's last step apply (`EEXIST` with `O_CREAT | O_EXCL`, `EISDIR`, `ENOTDIR` with
/// `O_DIRECTORY`, permissions, truncation).
pub fn open_path(ctx: &Ctx<'_>, path: Path, flags: u32) -> Result<Opened, Errno> {
    let directory = flags & raw::O_DIRECTORY != 0;
    if flags & raw::O_PATH != 0 {
        if directory && !path.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        return Ok(Opened {
            path,
            created: false,
        });
    }
    if path.inode().file_type() == FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    do_open(ctx, path, flags, false, directory)
}

/// Linux `do_open`: the checks on the object an open found or created.
fn do_open(
    ctx: &Ctx<'_>,
    dentry: Path,
    flags: u32,
    created: bool,
    directory: bool,
) -> Result<Opened, Errno> {
    let creat = flags & raw::O_CREAT != 0;
    let excl = creat && flags & raw::O_EXCL != 0;
    if creat {
        if excl && !created {
            return Err(Errno::EEXIST);
        }
        if dentry.is_dir() {
            return Err(Errno::EISDIR);
        }
    }
    if directory && !dentry.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let meta = dentry.metadata();
    let (acc, mut truncate) = if created {
        (0, false)
    } else {
        (
            open_access_mask(flags),
            flags & raw::O_TRUNC != 0 && meta.file_type == FileType::Regular,
        )
    };
    // do_open: truncation needs write access to the mount first.
    if truncate {
        dentry.want_write()?;
    }
    // may_open
    match meta.file_type {
        FileType::Symlink => return Err(Errno::ELOOP),
        FileType::Directory if acc & MAY_WRITE != 0 => return Err(Errno::EISDIR),
        FileType::CharDevice | FileType::BlockDevice if dentry.mnt().is_nodev() => {
            return Err(Errno::EACCES);
        }
        ft if ft.is_special() => truncate = false,
        _ => {}
    }
    sb_permission(&dentry, acc)?;
    may_access(&meta, ctx.creds, acc)?;
    if flags & raw::O_NOATIME != 0 && !ctx.creds.owns(&meta) {
        return Err(Errno::EPERM);
    }
    // do_dentry_open: a file opened for writing takes write access to its mount.
    if flags & raw::O_ACCMODE != raw::O_RDONLY && !meta.file_type.is_special() {
        dentry.want_write()?;
    }
    if truncate {
        // vfs_open's get_write_access comes before handle_truncate: a running program's file
        // is not truncated (the open for writing itself is refused by the kernel's count).
        if is_write_denied(dentry.inode().as_ref()) {
            return Err(Errno::ETXTBSY);
        }
        do_truncate(dentry.inode().as_ref(), 0, true, ctx.creds)?;
    }
    Ok(Opened {
        path: dentry,
        created,
    })
}

/// `openat` with `O_TMPFILE` (Linux `do_tmpfile` and `vfs_tmpfile`): the directory `path`
/// names (followed unless `O_NOFOLLOW`; `ENOTDIR` if it is not one) gets a new regular file with
/// no name, owned and moded as a created file (`mode` masked by the umask, the directory's
/// set-group-ID rules); `EROFS` on a read-only mount, `EACCES` without write and search
/// permission on the directory, `EOPNOTSUPP` if its filesystem cannot make one. `linkat` may
/// name it later unless `flags` has `O_EXCL`. The syscall layer has checked that `flags` asks
/// for write access and has no `O_CREAT`.
pub fn open_tmpfile(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> Result<Opened, Errno> {
    open_tmpfile_resolve(ctx, start, path, flags, mode, 0)
}

/// [`open_tmpfile`] with `openat2`'s `RESOLVE_*` bits.
pub fn open_tmpfile_resolve(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &[u8],
    flags: u32,
    mode: u32,
    resolve_bits: u32,
) -> Result<Opened, Errno> {
    let how = Lookup {
        follow: flags & raw::O_NOFOLLOW == 0,
        directory: true,
        resolve: resolve_bits,
    };
    let dir = resolve(ctx, start, path, how)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    dir.want_write()?;
    let dm = dir.metadata();
    may_access(&dm, ctx.creds, MAY_WRITE | MAY_EXEC)?;
    let mode = strip_sgid(
        &dm,
        ctx.creds,
        FileType::Regular,
        mode & S_IALLUGO & !ctx.umask,
    );
    let (uid, gid, mode) = init_owner(&dm, ctx.creds, FileType::Regular, mode);
    let linkable = flags & raw::O_EXCL == 0;
    let inode = dir.inode().tmpfile(mode, uid, gid, linkable)?;
    let child = dir.dentry().new_tmpfile(inode)?;
    Ok(Opened {
        path: dir.with_dentry(child),
        created: true,
    })
}

/// Linux `sb_permission`: nobody writes a regular file, directory or symlink of a read-only
/// filesystem instance (`EROFS`, before the permission bits are looked at).
fn sb_permission(path: &Path, mask: u32) -> Result<(), Errno> {
    if mask & MAY_WRITE != 0
        && path.superblock().is_readonly()
        && matches!(
            path.inode().file_type(),
            FileType::Regular | FileType::Directory | FileType::Symlink
        )
    {
        return Err(Errno::EROFS);
    }
    Ok(())
}

/// Linux `open_last_lookups` + `lookup_open`.
fn open_last_lookups(
    nd: &mut NameData<'_, '_>,
    creat: bool,
    mode: u32,
    wants_write: bool,
) -> Result<Last, Errno> {
    if nd.last_kind != LastKind::Normal {
        nd.walk_component(Walk::Trailing)?;
        return Ok(Last::Done { created: false });
    }
    if !creat {
        if nd.last_slash {
            nd.how.follow = true;
            nd.how.directory = true;
        }
        return Ok(if nd.walk_component(Walk::Trailing)? {
            Last::Link
        } else {
            Last::Done { created: false }
        });
    }
    if nd.last_slash {
        return Err(Errno::EISDIR);
    }
    let dir = nd.cur.clone();
    let name = copy_bytes(nd.last_name())?;
    // Write access is asked for before the lookup, but its failure counts only if the file
    // has to be created (lookup_open's create_error).
    let got_write = !wants_write || dir.want_write().is_ok();
    let guard = dir.lock_exclusive();
    let existing = dir.lookup_locked_opt(&name)?;
    if let Some(child) = existing {
        drop(guard);
        nd.put_last_frame();
        return Ok(if nd.step_into(dir.with_dentry(child), Walk::Trailing)? {
            Last::Link
        } else {
            Last::Done { created: false }
        });
    }
    if !got_write {
        return Err(Errno::EROFS);
    }
    let creds = nd.ctx().creds;
    may_access(&dir.metadata(), creds, MAY_WRITE | MAY_EXEC)?;
    let dm = dir.metadata();
    let mode = strip_sgid(
        &dm,
        creds,
        FileType::Regular,
        mode & S_IALLUGO & !nd.ctx().umask,
    );
    let (uid, gid, mode) = init_owner(&dm, creds, FileType::Regular, mode);
    let inode = dir
        .inode()
        .create(&name, FileType::Regular, mode, uid, gid, 0)?;
    let child = dir.add_child(&name, inode)?;
    notify_created(dir.inode(), &name, false);
    drop(guard);
    nd.put_last_frame();
    nd.cur = dir.with_dentry(child);
    Ok(Last::Done { created: true })
}

/// `readlinkat`: the target of the symlink `path` (not followed), updating its atime.
/// `EINVAL` if it is not a symlink. The caller truncates to its buffer (and rejects a buffer
/// size of 0 with `EINVAL`).
pub fn readlink(ctx: &Ctx<'_>, start: &Path, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let d = resolve(ctx, start, path, Lookup::NOFOLLOW)?;
    if d.metadata().file_type != FileType::Symlink {
        return Err(Errno::EINVAL);
    }
    d.touch_atime();
    d.inode().readlink()
}

/// `faccessat`: checks `mask` (`R_OK`=4, `W_OK`=2, `X_OK`=1, or 0 for existence) on `path`
/// with `ctx.creds` (the caller passes real or effective IDs as the flags say).
pub fn access(
    ctx: &Ctx<'_>,
    start: &Path,
    path: &[u8],
    mask: u32,
    follow: bool,
) -> Result<(), Errno> {
    let how = if follow {
        Lookup::FOLLOW
    } else {
        Lookup::NOFOLLOW
    };
    let d = resolve(ctx, start, path, how)?;
    access_path(&d, ctx.creds, mask)
}

/// The checks of `do_faccessat` on a resolved object: `X_OK` of a regular file on a `noexec`
/// mount is `EACCES`, then the permission bits (`EROFS` first for writes to a read-only
/// filesystem instance), then `W_OK` of a non-special file on a read-only mount is `EROFS`.
pub fn access_path(d: &Path, creds: &Credentials, mask: u32) -> Result<(), Errno> {
    let meta = d.metadata();
    if mask & MAY_EXEC != 0 && meta.file_type == FileType::Regular && d.mnt().is_noexec() {
        return Err(Errno::EACCES);
    }
    sb_permission(d, mask & 7)?;
    may_access(&meta, creds, mask & 7)?;
    if mask & MAY_WRITE != 0 && !meta.file_type.is_special() {
        d.want_write()?;
    }
    Ok(())
}

/// `chdir`/`chroot` lookup: the directory `path` (followed), which needs search permission.
pub fn chdir(ctx: &Ctx<'_>, start: &Path, path: &[u8]) -> Result<Path, Errno> {
    let d = resolve(ctx, start, path, Lookup::DIRECTORY)?;
    may_access(&d.metadata(), ctx.creds, MAY_EXEC)?;
    Ok(d)
}

/// `getcwd`: the path of `cwd` as seen from `root`, without the NUL. `ENOENT` if `cwd` was
/// removed, `(unreachable)` prefixed if `cwd` is outside `root`, `ENAMETOOLONG` if it does not fit
/// `PATH_MAX` with its NUL. The caller returns `ERANGE` when its buffer is too small.
pub fn getcwd(root: &Path, cwd: &Path) -> Result<Vec<u8>, Errno> {
    if cwd.is_unlinked() {
        return Err(Errno::ENOENT);
    }
    let (path, reachable) = cwd.path_from(root)?;
    if reachable {
        return Ok(path);
    }
    const PREFIX: &[u8] = b"(unreachable)";
    if path.len() + PREFIX.len() + 1 > PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut out = Vec::new();
    out.try_reserve_exact(path.len() + PREFIX.len())
        .map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(PREFIX);
    out.extend_from_slice(&path);
    Ok(out)
}

/// `stat`/`lstat`/`fstatat`: the attributes of `path`.
pub fn stat(ctx: &Ctx<'_>, start: &Path, path: &[u8], follow: bool) -> Result<Metadata, Errno> {
    let how = if follow {
        Lookup::FOLLOW
    } else {
        Lookup::NOFOLLOW
    };
    Ok(resolve(ctx, start, path, how)?.metadata())
}

/// Looks up one component for callers outside the walk (kept for the kernel's `*at` helpers).
pub fn lookup(dir: &Arc<Dentry>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
    lookup_one(dir, name)
}
