//! open, openat, openat2, creat, close, close_range, truncate, ftruncate, fallocate, chroot,
//! vhangup
//! (Linux `fs/open.c`). openat2 checks `struct open_how` as `build_open_flags` does for it
//! (every unknown flag, resolve bit or mode bit `EINVAL`, a mode without `O_CREAT`/`O_TMPFILE`
//! `EINVAL`, `RESOLVE_BENEATH` with `RESOLVE_IN_ROOT` `EINVAL`, `RESOLVE_CACHED` with
//! `O_CREAT`/`O_TRUNC`/`O_TMPFILE` `EAGAIN`) and hands the `RESOLVE_*` bits to the walk
//! ([`vfs::path`]).

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::{CloseRangeFlags, Errno, KnownFlags, OpenFlags};

pub fn do_open(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: &[u8],
    flags: OpenFlags,
    mode: u32,
) -> SyscallResult {
    do_open_resolve(context, dirfd, path, flags, mode, 0)
}

/// [`do_open`] with `openat2`'s `RESOLVE_*` bits.
fn do_open_resolve(
    context: &SyscallContext<'_>,
    dirfd: Fd,
    path: &[u8],
    flags: OpenFlags,
    mode: u32,
    resolve: u32,
) -> SyscallResult {
    let in_root = resolve & vfs::path::resolve::IN_ROOT != 0;
    open_with(context, flags, mode, |flags, tmpfile, mode| {
        fs::with_walk_from(context.thread, dirfd, path, in_root, |ctx, start| {
            if tmpfile {
                vfs::namei::open_tmpfile_resolve(ctx, start, path, flags.bits(), mode, resolve)
            } else {
                vfs::namei::open_resolve(ctx, start, path, flags.bits(), mode, resolve)
            }
        })
    })
}

/// Opens the object `path` names itself (`open_by_handle_at`'s `file_open_root(path, "")`),
/// with open's flag rules and descriptor.
pub fn open_found(
    context: &SyscallContext<'_>,
    path: vfs::Path,
    flags: OpenFlags,
) -> SyscallResult {
    open_with(context, flags, 0, |flags, _, _| {
        fs::with_walk(context.thread, Fd(AT_FDCWD), b".", |ctx, _| {
            vfs::namei::open_path(ctx, path, flags.bits())
        })
    })
}

/// The body of every open: flag rules, the descriptor and file charged before `find` looks
/// the object up (with the normalised flags, whether it is an `O_TMPFILE` open, and the
/// mode), then the open file, inotify and the descriptor.
fn open_with(
    context: &SyscallContext<'_>,
    flags: OpenFlags,
    mode: u32,
    find: impl FnOnce(OpenFlags, bool, u32) -> Result<vfs::namei::Opened, Errno>,
) -> SyscallResult {
    // Unknown bits are dropped (build_open_how masks with VALID_OPEN_FLAGS).
    let mut flags = flags.keep_only(OpenFlags::VALID_OPEN_FLAGS);
    if flags.contains(OpenFlags::O_PATH) {
        flags = flags.keep_only(OpenFlags::O_PATH_FLAGS);
    }
    // build_open_flags: O_TMPFILE comes with O_DIRECTORY, without O_CREAT, and for writing.
    let tmpfile = flags.intersects(OpenFlags::from_bits_retain(raw_o_tmpfile_only()));
    if tmpfile {
        let mask = OpenFlags::O_TMPFILE | OpenFlags::O_CREAT;
        if flags.intersection(mask) != OpenFlags::O_TMPFILE
            || flags.bits() & abi::fcntl::O_ACCMODE == abi::raw::general::O_RDONLY
        {
            return Err(Errno::EINVAL);
        }
    }
    // Linux 6.1 ignores mode unless O_CREAT (or O_TMPFILE) and keeps only the permission bits.
    let mode = if flags.contains(OpenFlags::O_CREAT) || tmpfile {
        mode & abi::mode::S_IALLUGO
    } else {
        0
    };
    // A free descriptor and the file come before the walk (EMFILE, then ENFILE, before any
    // lookup error; O_CREAT creates nothing then), as do_sys_openat2 and path_openat.
    let limit = super::fcntl::descriptor_limit(context);
    let charge = fs::file_table::charge_with_descriptor(context.thread, limit)?;
    let opened = find(flags, tmpfile, mode)?;
    // O_LARGEFILE is forced on 64-bit, except for O_PATH descriptors (build_open_flags).
    let large_file = if flags.contains(OpenFlags::O_PATH) {
        OpenFlags::empty()
    } else {
        OpenFlags::O_LARGEFILE
    };
    let status = flags.difference(OpenFlags::OPEN_ONLY_FLAGS) | large_file;
    let is_truncated = flags.contains(OpenFlags::O_TRUNC)
        && !opened.created
        && opened.path.inode().file_type() == vfs::FileType::Regular;
    let dentry = opened.path.dentry().clone();
    let file = fs::open_dentry_noctty(
        opened.path,
        status,
        flags.contains(OpenFlags::O_NOCTTY),
        charge,
    )?;
    // fanotify's FAN_OPEN_PERM (do_dentry_open's security_file_open), then inotify: O_TRUNC's
    // truncation, then the open (do_sys_openat2's fsnotify_open).
    if !flags.contains(OpenFlags::O_PATH) {
        fs::fanotify::open_perm(&file, false)?;
        file.mark_notified();
        if fs::notify::is_active() {
            if is_truncated {
                fs::notify::path_event(&dentry, inotify::IN_MODIFY, true);
            }
            fs::notify::path_event(&dentry, inotify::IN_OPEN, true);
            if let Some(path) = &file.path {
                let _ = fs::fanotify::file_event(path, fanotify::FAN_OPEN);
            }
        }
    }
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        file,
        flags.contains(OpenFlags::O_CLOEXEC),
        limit,
    )?;
    Ok(fd as usize)
}

/// `__O_TMPFILE` alone (`O_TMPFILE` is it with `O_DIRECTORY`).
fn raw_o_tmpfile_only() -> u32 {
    abi::raw::general::O_TMPFILE & !abi::raw::general::O_DIRECTORY
}

pub fn open(
    context: &mut SyscallContext<'_>,
    path: UserCStr,
    flags: OpenFlags,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    do_open(context, Fd(AT_FDCWD), &path, flags, mode)
}

pub fn openat(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: OpenFlags,
    mode: u32,
) -> SyscallResult {
    let path = path.read_path()?;
    do_open(context, dirfd, &path, flags, mode)
}

/// `struct open_how` (`include/uapi/linux/openat2.h`).
#[derive(zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout)]
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// `OPEN_HOW_SIZE_VER0`: the smallest `open_how` accepted.
const OPEN_HOW_SIZE_VER0: usize = 24;

/// `FMODE_NONOTIFY`, which `build_open_flags` strips from what user space passes.
const FMODE_NONOTIFY: u64 = 0x400_0000;

pub fn openat2(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    how: u64,
    size: usize,
) -> SyscallResult {
    use abi::raw::general as raw;
    use vfs::path::resolve;
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; core::mem::size_of::<OpenHow>()];
    super::args::copy_struct_from_user(&mut bytes, how, size)?;
    let how =
        <OpenHow as zerocopy::FromBytes>::read_from_bytes(&bytes[..]).map_err(|_| Errno::EINVAL)?;
    // build_open_flags, in its order.
    let cloexec = how.flags & u64::from(raw::O_CLOEXEC);
    let flags = how.flags & !(FMODE_NONOTIFY | u64::from(raw::O_CLOEXEC));
    if flags & !u64::from(OpenFlags::VALID_OPEN_FLAGS.bits()) != 0 {
        return Err(Errno::EINVAL);
    }
    if how.resolve & !u64::from(resolve::VALID) != 0 {
        return Err(Errno::EINVAL);
    }
    let resolve_bits = how.resolve as u32;
    if resolve_bits & resolve::SCOPED == resolve::SCOPED {
        return Err(Errno::EINVAL);
    }
    let tmpfile_bit = u64::from(raw_o_tmpfile_only());
    let will_create = flags & (u64::from(raw::O_CREAT) | tmpfile_bit) != 0;
    if will_create {
        if how.mode & !u64::from(abi::mode::S_IALLUGO) != 0 {
            return Err(Errno::EINVAL);
        }
    } else if how.mode != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & tmpfile_bit != 0 {
        let mask = u64::from(raw::O_TMPFILE | raw::O_CREAT);
        if flags & mask != u64::from(raw::O_TMPFILE)
            || flags & u64::from(abi::fcntl::O_ACCMODE) == u64::from(raw::O_RDONLY)
        {
            return Err(Errno::EINVAL);
        }
    }
    if flags & u64::from(raw::O_PATH) != 0
        && flags & !u64::from(OpenFlags::O_PATH_FLAGS.bits()) != 0
    {
        return Err(Errno::EINVAL);
    }
    if resolve_bits & resolve::CACHED != 0
        && flags & (u64::from(raw::O_TRUNC | raw::O_CREAT) | tmpfile_bit) != 0
    {
        return Err(Errno::EAGAIN);
    }
    let path = path.read_path()?;
    let flags = OpenFlags::from_bits_retain((flags | cloexec) as u32);
    do_open_resolve(context, dirfd, &path, flags, how.mode as u32, resolve_bits)
}

pub fn creat(context: &mut SyscallContext<'_>, path: UserCStr, mode: u32) -> SyscallResult {
    let path = path.read_path()?;
    do_open(
        context,
        Fd(AT_FDCWD),
        &path,
        OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC,
        mode,
    )
}

pub fn close(context: &mut SyscallContext<'_>, fd: Fd) -> SyscallResult {
    let file = context.thread.process.files.get().lock().remove(fd.0)?;
    drop(file);
    Ok(0)
}

/// `close_range(2)` (`__close_range` in `fs/file.c`): closes, or with `CLOSE_RANGE_CLOEXEC`
/// marks close-on-exec, every open descriptor in `first..=last`; `CLOSE_RANGE_UNSHARE` first
/// gives the process a private copy of a shared table.
pub fn close_range(
    context: &mut SyscallContext<'_>,
    first: u32,
    last: u32,
    flags: CloseRangeFlags,
) -> SyscallResult {
    let flags = flags.accept_only(CloseRangeFlags::all())?;
    if first > last {
        return Err(Errno::EINVAL);
    }
    let files = &context.thread.process.files;
    if flags.contains(CloseRangeFlags::CLOSE_RANGE_UNSHARE) && files.is_shared() {
        let copy = files.get().lock().try_clone()?;
        files.replace(alloc::sync::Arc::new(crate::process::shared::locked_files(
            copy,
        )));
    }
    let table = files.get();
    if flags.contains(CloseRangeFlags::CLOSE_RANGE_CLOEXEC) {
        table
            .lock()
            .set_close_on_exec_range(first as usize, last as usize);
    } else {
        let closed = table.lock().remove_range(first as usize, last as usize);
        drop(closed); // released outside the table lock
    }
    Ok(0)
}

pub fn truncate(context: &mut SyscallContext<'_>, path: UserCStr, len: i64) -> SyscallResult {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path()?;
    let dentry = fs::lookup(context.thread, Fd(AT_FDCWD), &path, vfs::Lookup::FOLLOW)?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    // vfs_truncate's break_lease, as an open for writing.
    if dentry.inode().file_type() == vfs::FileType::Regular {
        fs::locks::break_lease(dentry.inode(), OpenFlags::O_WRONLY)?;
    }
    let limit = crate::process::rlimit::file_size_limit();
    if let Err(error) = vfs::attr::truncate_within(&dentry, len as u64, &credentials, limit) {
        if error == Errno::EFBIG && len as u64 > limit {
            crate::process::rlimit::signal_file_too_big();
        }
        return Err(error);
    }
    fs::notify::path_event(dentry.dentry(), inotify::IN_MODIFY, false);
    Ok(0)
}

pub fn ftruncate(context: &mut SyscallContext<'_>, fd: Fd, len: i64) -> SyscallResult {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let file = super::read_write::file(context, fd)?;
    if !file.is_writable() {
        return Err(Errno::EINVAL);
    }
    let inode = file.ops.inode().cloned().ok_or(Errno::EINVAL)?;
    if inode.metadata().file_type != vfs::FileType::Regular {
        return Err(Errno::EINVAL);
    }
    crate::process::rlimit::check_file_growth(inode.metadata().size, len as u64)?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::attr::do_truncate(inode.as_ref(), len as u64, true, &credentials)?;
    fs::notify::file_change(&file, inotify::IN_MODIFY);
    Ok(0)
}

/// `FALLOC_FL_*` bits (`include/uapi/linux/falloc.h`).
const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
const FALLOC_FL_COLLAPSE_RANGE: u32 = 0x08;
const FALLOC_FL_ZERO_RANGE: u32 = 0x10;
const FALLOC_FL_INSERT_RANGE: u32 = 0x20;
const FALLOC_FL_UNSHARE_RANGE: u32 = 0x40;
/// `FALLOC_FL_SUPPORTED_MASK`.
const FALLOC_FL_SUPPORTED: u32 = FALLOC_FL_KEEP_SIZE
    | FALLOC_FL_PUNCH_HOLE
    | FALLOC_FL_COLLAPSE_RANGE
    | FALLOC_FL_ZERO_RANGE
    | FALLOC_FL_INSERT_RANGE
    | FALLOC_FL_UNSHARE_RANGE;

/// `fallocate` (Linux 6.1 `vfs_fallocate`): the generic rules, in Linux's order, then the
/// filesystem's (`vfs::Inode::fallocate`; tmpfs does mode 0, `KEEP_SIZE` and `PUNCH_HOLE`,
/// `EOPNOTSUPP` for the rest), then `file_modified` (mtime and ctime, set-id bits cleared).
/// `EINVAL` for a negative offset or a length that is not positive; `EOPNOTSUPP` for unknown
/// mode bits, `PUNCH_HOLE` with `ZERO_RANGE` or without `KEEP_SIZE`; `EINVAL` for `COLLAPSE_RANGE`
/// or `INSERT_RANGE` with anything else and `UNSHARE_RANGE` with anything but `KEEP_SIZE`;
/// `EBADF` unless open for writing; `ESPIPE` on a pipe, `EISDIR` on a directory, `ENODEV` on
/// anything but a regular file; `EFBIG` past the maximum file size.
pub fn fallocate(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    mode: i32,
    offset: i64,
    len: i64,
) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    let mode = mode as u32;
    if mode & !FALLOC_FL_SUPPORTED != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let punch_zero = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
    if mode & punch_zero == punch_zero
        || (mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0)
    {
        return Err(Errno::EOPNOTSUPP);
    }
    let is_alone = |bit: u32, allowed: u32| mode & bit == 0 || mode & !(bit | allowed) == 0;
    if !is_alone(FALLOC_FL_COLLAPSE_RANGE, 0)
        || !is_alone(FALLOC_FL_INSERT_RANGE, 0)
        || !is_alone(FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_KEEP_SIZE)
    {
        return Err(Errno::EINVAL);
    }
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    let file_type = if file.ops.is_anon_inode() {
        None
    } else {
        Some(file.ops.metadata().file_type)
    };
    match file_type {
        Some(vfs::FileType::Fifo) => return Err(Errno::ESPIPE),
        Some(vfs::FileType::Directory) => return Err(Errno::EISDIR),
        Some(vfs::FileType::Regular) => {}
        _ => return Err(Errno::ENODEV),
    }
    if offset.checked_add(len).is_none() {
        return Err(Errno::EFBIG);
    }
    let inode = file.ops.inode().cloned().ok_or(Errno::EOPNOTSUPP)?;
    // tmpfs checks the end against RLIMIT_FSIZE even when the size is kept (shmem_fallocate's
    // inode_newsize_ok); a hole punch never grows the file.
    if mode & FALLOC_FL_PUNCH_HOLE == 0 {
        crate::process::rlimit::check_file_growth(inode.metadata().size, (offset + len) as u64)?;
    }
    // File pages hold user data: they must not take the kernel's memory reserve.
    hal::mm::heap::user_data(|| inode.fallocate(mode, offset as u64, len as u64))?;
    let credentials = context.thread.process.credentials.lock().for_fs();
    vfs::attr::file_remove_privs(inode.as_ref(), &credentials)?;
    inode.set_attr(&vfs::SetAttr {
        mtime: Some(vfs::TimeSet::Now),
        ctime: Some(vfs::TimeSet::Now),
        ..vfs::SetAttr::default()
    })?;
    fs::notify::file_event(&file, inotify::IN_MODIFY);
    Ok(0)
}

/// `chroot(2)` (`fs/open.c`): the directory (`ENOENT`, `ENOTDIR`…), search permission on it
/// (`EACCES`), then `CAP_SYS_CHROOT` (`EPERM`); the cwd stays where it is.
pub fn chroot(context: &mut SyscallContext<'_>, path: UserCStr) -> SyscallResult {
    let path = path.read_path()?;
    let root = fs::with_walk(context.thread, Fd(AT_FDCWD), &path, |ctx, start| {
        vfs::namei::chdir(ctx, start, &path)
    })?;
    if !context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_CHROOT)
    {
        return Err(Errno::EPERM);
    }
    context.thread.process.fs.get().lock().root = root;
    Ok(0)
}

/// vhangup: with CAP_SYS_TTY_CONFIG (`EPERM` without), hangs up the caller's controlling
/// terminal, if it has one (`tty_vhangup_self`).
pub fn vhangup(context: &mut SyscallContext<'_>) -> SyscallResult {
    let is_capable = context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_SYS_TTY_CONFIG);
    if !is_capable {
        return Err(Errno::EPERM);
    }
    if let Some(tty) = crate::tty::job::controlling_tty(&context.thread.process) {
        crate::tty::job::hang_up(&tty);
    }
    Ok(0)
}
