//! The new mount API (Linux 6.1 `fs/fsopen.c`, `fs/namespace.c`): fsopen, fsconfig, fsmount,
//! fspick, move_mount, open_tree, mount_setattr, on the tree operations of `vfs::mount` and
//! the contexts of `fs::fs_context`.
//!
//! Orders of checks, as Linux's:
//! - fsopen: no `CAP_SYS_ADMIN` over the mount namespace `EPERM`, flags other than
//!   `FSOPEN_CLOEXEC` `EINVAL`, the name `EFAULT`, an unknown type `ENODEV`.
//! - fsconfig: a negative descriptor `EINVAL`, the command's argument shape (`EINVAL`; an unknown command `EOPNOTSUPP`), the
//!   descriptor (`EBADF`; not a context `EINVAL`), the key and value copies, then by phase:
//!   parameters only while collecting them, `CMD_CREATE` only in the create phase,
//!   `CMD_RECONFIGURE` only from fspick (else `EBUSY`); a failed create or reconfigure makes
//!   every later command `EBUSY`. `source` is a string once ("Multiple sources"); the
//!   generic flags (`ro`, `rw`, `sync`…) and the type's own string and flag parameters are
//!   kept; binary, path and fd values for them are `EINVAL` (no type of Ferrux takes one).
//! - fsmount: `EPERM`, flags other than `FSMOUNT_CLOEXEC` `EINVAL`, attributes outside
//!   `MOUNT_ATTR_{RDONLY,NOSUID,NODEV,NOEXEC,NODIRATIME,NOSYMFOLLOW}` and one atime mode
//!   `EINVAL`, the descriptor (`EBADF`, not a context `EINVAL`), no created instance `EINVAL`;
//!   the result is an `O_PATH` descriptor of a detached mount; a second fsmount of the
//!   context is `EBUSY`.
//! - move_mount: `EPERM`, unknown flags `EINVAL`, both walks, then a detached tree is attached
//!   (once) and an attached mount root is moved as `MS_MOVE` moves it; a directory over a
//!   non-directory or the reverse is `EINVAL` for a detached tree.
//! - open_tree: unknown flags `EINVAL`, `AT_RECURSIVE` without `OPEN_TREE_CLONE` `EINVAL`, a
//!   clone without the privilege `EPERM`; without `OPEN_TREE_CLONE` it is an `O_PATH` open.
//! - fspick: `EPERM`, unknown flags `EINVAL`, the walk, not a mount root `EINVAL`.
//! - mount_setattr: unknown flags `EINVAL`, a size over a page `E2BIG` or under 32 `EINVAL`,
//!   `EPERM`, the struct (non-zero bytes past what is known `E2BIG`), nothing to do returns 0,
//!   then the attributes (`EINVAL` for bits outside the valid ones or above 32 bits, a
//!   propagation other than one of `MS_SHARED`/`MS_SLAVE`/`MS_PRIVATE`/`MS_UNBINDABLE`, atime
//!   bits set without clearing the whole atime field), `MOUNT_ATTR_IDMAP` (`EBADF`, not a user
//!   namespace `EINVAL`, the initial one `EPERM`, else `EINVAL`: no Ferrux filesystem allows
//!   idmapped mounts, as 6.1's tmpfs does not), the walk, then the change.
//!
//! Not done: `open_tree(OPEN_TREE_CLONE | AT_RECURSIVE)` of a mount with mounts inside the
//! cloned subtree (`EINVAL`; without any it is the plain clone), `MOVE_MOUNT_SET_GROUP`
//! (`EINVAL`), per-parameter validation before `CMD_CREATE` (a type's unknown parameter is
//! reported by the create, not by the `fsconfig` that set it), automounts.

use super::args::{Fd, UserCStr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::fs_context::{FsContext, Phase};
use crate::fs::{self, AT_FDCWD};
use crate::process::Thread;
use abi::raw::general as raw;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::mount::PropagationType;
use vfs::mount::flags::*;
use vfs::{Lookup, Path};

const FSOPEN_CLOEXEC: u32 = 1;
const FSPICK_CLOEXEC: u32 = 1;
const FSPICK_SYMLINK_NOFOLLOW: u32 = 2;
const FSPICK_NO_AUTOMOUNT: u32 = 4;
const FSPICK_EMPTY_PATH: u32 = 8;
const FSMOUNT_CLOEXEC: u32 = 1;

const FSCONFIG_SET_FLAG: u32 = 0;
const FSCONFIG_SET_STRING: u32 = 1;
const FSCONFIG_SET_BINARY: u32 = 2;
const FSCONFIG_SET_PATH: u32 = 3;
const FSCONFIG_SET_PATH_EMPTY: u32 = 4;
const FSCONFIG_SET_FD: u32 = 5;
const FSCONFIG_CMD_CREATE: u32 = 6;
const FSCONFIG_CMD_RECONFIGURE: u32 = 7;

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const MOUNT_ATTR_NODEV: u64 = 0x4;
const MOUNT_ATTR_NOEXEC: u64 = 0x8;
const MOUNT_ATTR_ATIME: u64 = 0x70;
const MOUNT_ATTR_RELATIME: u64 = 0;
const MOUNT_ATTR_NOATIME: u64 = 0x10;
const MOUNT_ATTR_STRICTATIME: u64 = 0x20;
const MOUNT_ATTR_NODIRATIME: u64 = 0x80;
const MOUNT_ATTR_IDMAP: u64 = 0x10_0000;
const MOUNT_ATTR_NOSYMFOLLOW: u64 = 0x20_0000;
const MOUNT_SETATTR_VALID: u64 = MOUNT_ATTR_RDONLY
    | MOUNT_ATTR_NOSUID
    | MOUNT_ATTR_NODEV
    | MOUNT_ATTR_NOEXEC
    | MOUNT_ATTR_ATIME
    | MOUNT_ATTR_NODIRATIME
    | MOUNT_ATTR_IDMAP
    | MOUNT_ATTR_NOSYMFOLLOW;
/// `MOUNT_ATTR_SIZE_VER0`.
const MOUNT_ATTR_SIZE_VER0: usize = 32;

const MOVE_MOUNT_F_SYMLINKS: u32 = 0x1;
const MOVE_MOUNT_F_EMPTY_PATH: u32 = 0x4;
const MOVE_MOUNT_T_SYMLINKS: u32 = 0x10;
const MOVE_MOUNT_T_EMPTY_PATH: u32 = 0x40;
const MOVE_MOUNT_SET_GROUP: u32 = 0x100;
/// `MOVE_MOUNT__MASK` of 6.1.
const MOVE_MOUNT_MASK: u32 = 0x177;

const OPEN_TREE_CLONE: u32 = 1;
const OPEN_TREE_CLOEXEC: u32 = raw::O_CLOEXEC;

/// Parameter keys are copied up to this length (`strndup_user(_key, 256)`), as are string
/// values.
const PARAM_MAX: usize = 256;
/// The largest binary value (`FSCONFIG_SET_BINARY`'s `aux`).
const BINARY_MAX: i32 = 1024 * 1024;

fn may_mount(thread: &Thread) -> bool {
    let owner = thread.nsproxy().mnt.owner.clone();
    thread
        .process
        .credentials
        .lock()
        .ns_capable(&owner, abi::capability::CAP_SYS_ADMIN)
}

/// `strndup_user`: `EFAULT`, or `EINVAL` when longer than `max - 1`.
fn copy_string(address: u64, max: usize) -> Result<Vec<u8>, Errno> {
    match hal::usercopy::read_user_cstr(address, max - 1) {
        Err(Errno::ENAMETOOLONG) => Err(Errno::EINVAL),
        other => other,
    }
}

fn install(
    context: &mut SyscallContext<'_>,
    file: Result<Arc<OpenFile>, Errno>,
    cloexec: bool,
) -> SyscallResult {
    super::fcntl::install(context, file?, cloexec)
}

fn new_context_file(
    context: &mut SyscallContext<'_>,
    ops: FsContext,
) -> Result<Arc<OpenFile>, Errno> {
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    Ok(Arc::new(OpenFile::new(
        Arc::new(ops),
        None,
        OpenFlags::O_RDWR,
        charge,
    )?))
}

/// An `O_PATH` descriptor's file for `path` (`dentry_open(path, O_PATH)`).
fn path_file(context: &mut SyscallContext<'_>, path: Path) -> Result<Arc<OpenFile>, Errno> {
    let charge = crate::fs::file_table::charge_with_descriptor(
        context.thread,
        super::fcntl::descriptor_limit(context),
    )?;
    fs::open_dentry_noctty(path, OpenFlags::O_PATH, true, charge)
}

pub fn fsopen(context: &mut SyscallContext<'_>, name: UserCStr, flags: u32) -> SyscallResult {
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    if flags & !FSOPEN_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let name = copy_string(name.0, 4096)?;
    let fs_type = fs::filesystems::REGISTRY.get(&name).ok_or(Errno::ENODEV)?;
    let file = new_context_file(context, FsContext::new(fs_type, Phase::CreateParams));
    install(context, file, flags & FSOPEN_CLOEXEC != 0)
}

pub fn fspick(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    path: UserCStr,
    flags: u32,
) -> SyscallResult {
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    if flags & !(FSPICK_CLOEXEC | FSPICK_SYMLINK_NOFOLLOW | FSPICK_NO_AUTOMOUNT | FSPICK_EMPTY_PATH)
        != 0
    {
        return Err(Errno::EINVAL);
    }
    let how = if flags & FSPICK_SYMLINK_NOFOLLOW != 0 {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    let name = path.read_path()?;
    let target = fs::lookup_or_fd(
        context.thread,
        dirfd,
        &name,
        how,
        flags & FSPICK_EMPTY_PATH != 0,
    )?;
    if !target.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    let type_name = target.mnt().superblock().fs().name();
    let fs_type = fs::filesystems::REGISTRY
        .get(type_name.as_bytes())
        .ok_or(Errno::EINVAL)?;
    let file = new_context_file(
        context,
        FsContext::new(fs_type, Phase::ReconfParams(target)),
    );
    install(context, file, flags & FSPICK_CLOEXEC != 0)
}

/// A parameter's value as fsconfig copied it.
enum Value {
    Flag,
    String(Vec<u8>),
    Other,
}

pub fn fsconfig(
    context: &mut SyscallContext<'_>,
    fd: i32,
    cmd: u32,
    key: u64,
    value: u64,
    aux: i32,
) -> SyscallResult {
    // A negative descriptor first, then the argument shape of each command.
    if fd < 0 {
        return Err(Errno::EINVAL);
    }
    let shape_ok = match cmd {
        FSCONFIG_SET_FLAG => key != 0 && value == 0 && aux == 0,
        FSCONFIG_SET_STRING => key != 0 && value != 0 && aux == 0,
        FSCONFIG_SET_BINARY => key != 0 && value != 0 && aux > 0 && aux <= BINARY_MAX,
        FSCONFIG_SET_PATH | FSCONFIG_SET_PATH_EMPTY => {
            key != 0 && value != 0 && (aux == AT_FDCWD || aux >= 0)
        }
        FSCONFIG_SET_FD => key != 0 && value == 0 && aux >= 0,
        FSCONFIG_CMD_CREATE | FSCONFIG_CMD_RECONFIGURE => key == 0 && value == 0 && aux == 0,
        _ => return Err(Errno::EOPNOTSUPP),
    };
    if !shape_ok {
        return Err(Errno::EINVAL);
    }
    let file = context.thread.process.files.get().lock().get(fd)?;
    let fc = file.ops.as_fs_context().ok_or(Errno::EINVAL)?;
    let mut param: Option<(Vec<u8>, Value)> = None;
    if key != 0 {
        let key = copy_string(key, PARAM_MAX)?;
        let value = match cmd {
            FSCONFIG_SET_FLAG => Value::Flag,
            FSCONFIG_SET_STRING => Value::String(copy_string(value, PARAM_MAX)?),
            FSCONFIG_SET_BINARY => {
                let mut bytes = Vec::new();
                bytes
                    .try_reserve_exact(aux as usize)
                    .map_err(|_| Errno::ENOMEM)?;
                bytes.resize(aux as usize, 0);
                hal::usercopy::copy_from_user(&mut bytes, value)?;
                Value::Other
            }
            FSCONFIG_SET_PATH | FSCONFIG_SET_PATH_EMPTY => {
                // getname_flags: an empty name only with SET_PATH_EMPTY.
                let name = UserCStr(value).read_path()?;
                if name.is_empty() && cmd == FSCONFIG_SET_PATH {
                    return Err(Errno::ENOENT);
                }
                Value::Other
            }
            _ => {
                context.thread.process.files.get().lock().get(aux)?;
                Value::Other
            }
        };
        param = Some((key, value));
    }
    let mut state = fc.state.lock();
    match cmd {
        FSCONFIG_CMD_CREATE => {
            if !matches!(state.phase, Phase::CreateParams) {
                return Err(Errno::EBUSY);
            }
            match create(context.thread, fc, &state.source, &state.options) {
                Ok(root) => {
                    state.phase = Phase::AwaitingMount(root);
                    Ok(0)
                }
                Err(error) => {
                    state.phase = Phase::Failed;
                    Err(error)
                }
            }
        }
        FSCONFIG_CMD_RECONFIGURE => {
            let Phase::ReconfParams(target) = &state.phase else {
                return Err(Errno::EBUSY);
            };
            let result = reconfigure(context.thread, target, &state.options);
            match result {
                Ok(()) => {
                    // vfs_clean_context: ready for the next set of parameters.
                    state.options.clear();
                    state.source = None;
                    Ok(0)
                }
                Err(error) => {
                    state.phase = Phase::Failed;
                    Err(error)
                }
            }
        }
        _ => {
            if !matches!(state.phase, Phase::CreateParams | Phase::ReconfParams(_)) {
                return Err(Errno::EBUSY);
            }
            let Some((key, value)) = param else {
                return Err(Errno::EINVAL);
            };
            if key == b"source" {
                let Value::String(value) = value else {
                    fc.log_error(b"Non-string source");
                    return Err(Errno::EINVAL);
                };
                if state.source.is_some() {
                    fc.log_error(b"Multiple sources");
                    return Err(Errno::EINVAL);
                }
                state.source = Some(value);
                return Ok(0);
            }
            let text = match value {
                Value::Flag => None,
                Value::String(text) => Some(text),
                Value::Other => return Err(Errno::EINVAL),
            };
            // A comma would split the option string that the type's mount parses.
            if key.contains(&b',')
                || key.contains(&b'=')
                || text.as_ref().is_some_and(|t| t.contains(&b','))
            {
                return Err(Errno::EINVAL);
            }
            let extra = key.len() + text.as_ref().map_or(0, |t| t.len() + 1) + 1;
            state
                .options
                .try_reserve(extra)
                .map_err(|_| Errno::ENOMEM)?;
            if !state.options.is_empty() {
                state.options.push(b',');
            }
            state.options.extend_from_slice(&key);
            if let Some(text) = text {
                state.options.push(b'=');
                state.options.extend_from_slice(&text);
            }
            Ok(0)
        }
    }
}

/// `FSCONFIG_CMD_CREATE`: the type makes its instance (`vfs_get_tree`).
fn create(
    thread: &Thread,
    fc: &FsContext,
    source: &Option<Vec<u8>>,
    options: &[u8],
) -> Result<Arc<vfs::Dentry>, Errno> {
    // mount_capable: a namespace owned by another user namespace mounts only the types that
    // allow it.
    if !thread.nsproxy().mnt.owner.is_initial()
        && !super::namespace::USERNS_MOUNTABLE.contains(&fc.fs_type.name().as_bytes())
    {
        return Err(Errno::EPERM);
    }
    let parsed = vfs::fstype::parse_options(options)?;
    let source = source.as_deref().unwrap_or(b"none");
    let sb_flags = parsed.sb_set & !parsed.sb_clear;
    let result = fc.fs_type.mount(source, sb_flags, &parsed.fs);
    if let Err(Errno::EINVAL) = result {
        let mut text = Vec::new();
        text.extend_from_slice(fc.fs_type.name().as_bytes());
        text.extend_from_slice(b": Invalid parameters");
        fc.log_error(&text);
    }
    result
}

/// `FSCONFIG_CMD_RECONFIGURE`: the type's options and the superblock flags the parameters
/// named (`reconfigure_super`).
fn reconfigure(thread: &Thread, target: &Path, options: &[u8]) -> Result<(), Errno> {
    if !thread.nsproxy().mnt.owner.is_initial() {
        return Err(Errno::EPERM);
    }
    let parsed = vfs::fstype::parse_options(options)?;
    let superblock = target.mnt().superblock();
    superblock.fs().remount(&parsed.fs)?;
    let mask = (parsed.sb_set | parsed.sb_clear) & vfs::dentry::sb_flags::SB_SETTABLE;
    superblock.set_flags((superblock.flags() & !mask) | (parsed.sb_set & mask));
    Ok(())
}

/// `MOUNT_ATTR_*` to `MNT_*` (`attr_flags_to_mnt_flags`), atime aside.
fn attr_to_mnt(attr: u64) -> u32 {
    let mut mnt = 0;
    for (bit, flag) in [
        (MOUNT_ATTR_RDONLY, MNT_READONLY),
        (MOUNT_ATTR_NOSUID, MNT_NOSUID),
        (MOUNT_ATTR_NODEV, MNT_NODEV),
        (MOUNT_ATTR_NOEXEC, MNT_NOEXEC),
        (MOUNT_ATTR_NODIRATIME, MNT_NODIRATIME),
        (MOUNT_ATTR_NOSYMFOLLOW, MNT_NOSYMFOLLOW),
    ] {
        if attr & bit != 0 {
            mnt |= flag;
        }
    }
    mnt
}

pub fn fsmount(
    context: &mut SyscallContext<'_>,
    fd: i32,
    flags: u32,
    attr_flags: u32,
) -> SyscallResult {
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    if flags & !FSMOUNT_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let attr = u64::from(attr_flags);
    let allowed = MOUNT_ATTR_RDONLY
        | MOUNT_ATTR_NOSUID
        | MOUNT_ATTR_NODEV
        | MOUNT_ATTR_NOEXEC
        | MOUNT_ATTR_ATIME
        | MOUNT_ATTR_NODIRATIME
        | MOUNT_ATTR_NOSYMFOLLOW;
    if attr & !allowed != 0 {
        return Err(Errno::EINVAL);
    }
    let mut mnt_flags = attr_to_mnt(attr);
    match attr & MOUNT_ATTR_ATIME {
        MOUNT_ATTR_STRICTATIME => {}
        MOUNT_ATTR_NOATIME => mnt_flags |= MNT_NOATIME,
        MOUNT_ATTR_RELATIME => mnt_flags |= MNT_RELATIME,
        _ => return Err(Errno::EINVAL),
    }
    let file = context.thread.process.files.get().lock().get(fd)?;
    let fc = file.ops.as_fs_context().ok_or(Errno::EINVAL)?;
    let mut state = fc.state.lock();
    let root = match &state.phase {
        Phase::AwaitingMount(root) => root.clone(),
        Phase::ReconfParams(_) | Phase::Mounted => return Err(Errno::EBUSY),
        _ => return Err(Errno::EINVAL),
    };
    let devname = state.source.as_deref().unwrap_or(b"none");
    let mount = fs::namespace().new_detached(root, devname, mnt_flags)?;
    state.phase = Phase::Mounted;
    drop(state);
    let opened = path_file(context, Path::mount_root(mount));
    install(context, opened, flags & FSMOUNT_CLOEXEC != 0)
}

pub fn move_mount(
    context: &mut SyscallContext<'_>,
    from_dirfd: Fd,
    from: UserCStr,
    to_dirfd: Fd,
    to: UserCStr,
    flags: u32,
) -> SyscallResult {
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    if flags & !MOVE_MOUNT_MASK != 0 || flags & MOVE_MOUNT_SET_GROUP != 0 {
        return Err(Errno::EINVAL);
    }
    let walk = |name: &[u8], dirfd: Fd, follow: bool, empty: bool| {
        let how = if follow {
            Lookup::FOLLOW
        } else {
            Lookup::NOFOLLOW
        };
        fs::lookup_or_fd(context.thread, dirfd, name, how, empty)
    };
    let from_name = from.read_path()?;
    let source = walk(
        &from_name,
        from_dirfd,
        flags & MOVE_MOUNT_F_SYMLINKS != 0,
        flags & MOVE_MOUNT_F_EMPTY_PATH != 0,
    )?;
    let to_name = to.read_path()?;
    let target = walk(
        &to_name,
        to_dirfd,
        flags & MOVE_MOUNT_T_SYMLINKS != 0,
        flags & MOVE_MOUNT_T_EMPTY_PATH != 0,
    )?;
    let ns = fs::namespace();
    if source.mnt().is_detached_tree() {
        if !source.is_mount_root() {
            return Err(Errno::EINVAL);
        }
        ns.attach_detached(source.mnt(), &target)?;
    } else {
        ns.move_mount(&source, &target)?;
    }
    Ok(0)
}

pub fn open_tree(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    name: UserCStr,
    flags: u32,
) -> SyscallResult {
    let known = raw::AT_EMPTY_PATH
        | raw::AT_NO_AUTOMOUNT
        | raw::AT_RECURSIVE
        | raw::AT_SYMLINK_NOFOLLOW
        | OPEN_TREE_CLONE
        | OPEN_TREE_CLOEXEC;
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (raw::AT_RECURSIVE | OPEN_TREE_CLONE) == raw::AT_RECURSIVE {
        return Err(Errno::EINVAL);
    }
    let is_clone = flags & OPEN_TREE_CLONE != 0;
    if is_clone && !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    let how = if flags & raw::AT_SYMLINK_NOFOLLOW != 0 {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    let name = name.read_path()?;
    let path = fs::lookup_or_fd(
        context.thread,
        dirfd,
        &name,
        how,
        flags & raw::AT_EMPTY_PATH != 0,
    )?;
    let path = if is_clone {
        let ns = fs::namespace();
        if flags & raw::AT_RECURSIVE != 0 && ns.has_mounts_below(&path) {
            return Err(Errno::EINVAL);
        }
        Path::mount_root(ns.clone_detached(&path)?)
    } else {
        path
    };
    let opened = path_file(context, path);
    install(context, opened, flags & OPEN_TREE_CLOEXEC != 0)
}

/// `struct mount_attr`.
#[derive(zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout)]
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

pub fn mount_setattr(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    name: UserCStr,
    flags: u32,
    uattr: u64,
    size: usize,
) -> SyscallResult {
    if flags
        & !(raw::AT_EMPTY_PATH
            | raw::AT_RECURSIVE
            | raw::AT_SYMLINK_NOFOLLOW
            | raw::AT_NO_AUTOMOUNT)
        != 0
    {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    if size < MOUNT_ATTR_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if !may_mount(context.thread) {
        return Err(Errno::EPERM);
    }
    let mut bytes = [0u8; core::mem::size_of::<MountAttr>()];
    super::args::copy_struct_from_user(&mut bytes, uattr, size)?;
    let attr = <MountAttr as zerocopy::FromBytes>::read_from_bytes(&bytes[..])
        .map_err(|_| Errno::EINVAL)?;
    if attr.attr_set == 0 && attr.attr_clr == 0 && attr.propagation == 0 {
        return Ok(0);
    }
    // build_mount_kattr.
    let propagation = match attr.propagation {
        0 => None,
        p if p == u64::from(raw::MS_SHARED) => Some(PropagationType::Shared),
        p if p == u64::from(raw::MS_SLAVE) => Some(PropagationType::Slave),
        p if p == u64::from(raw::MS_PRIVATE) => Some(PropagationType::Private),
        p if p == u64::from(raw::MS_UNBINDABLE) => Some(PropagationType::Unbindable),
        _ => return Err(Errno::EINVAL),
    };
    if attr.attr_set >> 32 != 0 || attr.attr_clr >> 32 != 0 {
        return Err(Errno::EINVAL);
    }
    if (attr.attr_set | attr.attr_clr) & !MOUNT_SETATTR_VALID != 0 {
        return Err(Errno::EINVAL);
    }
    let mut set = attr_to_mnt(attr.attr_set);
    let mut clear = attr_to_mnt(attr.attr_clr);
    if attr.attr_clr & MOUNT_ATTR_ATIME != 0 {
        if attr.attr_clr & MOUNT_ATTR_ATIME != MOUNT_ATTR_ATIME {
            return Err(Errno::EINVAL);
        }
        clear |= MNT_RELATIME | MNT_NOATIME;
        match attr.attr_set & MOUNT_ATTR_ATIME {
            MOUNT_ATTR_RELATIME => set |= MNT_RELATIME,
            MOUNT_ATTR_NOATIME => set |= MNT_NOATIME,
            MOUNT_ATTR_STRICTATIME => {}
            _ => return Err(Errno::EINVAL),
        }
    } else if attr.attr_set & MOUNT_ATTR_ATIME != 0 {
        return Err(Errno::EINVAL);
    }
    if attr.attr_set & MOUNT_ATTR_IDMAP != 0 {
        // build_mount_idmapped: a user namespace other than the initial one, which no
        // filesystem here then accepts.
        if attr.userns_fd > i32::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        let file = context
            .thread
            .process
            .files
            .get()
            .lock()
            .get(attr.userns_fd as i32)?;
        match file.ops.as_namespace() {
            Some(crate::ns::NsRef::User(user)) => {
                if user.is_initial() {
                    return Err(Errno::EPERM);
                }
                return Err(Errno::EINVAL);
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    if attr.attr_clr & MOUNT_ATTR_IDMAP != 0 {
        return Err(Errno::EINVAL);
    }
    let how = if flags & raw::AT_SYMLINK_NOFOLLOW != 0 {
        Lookup::NOFOLLOW
    } else {
        Lookup::FOLLOW
    };
    let name = name.read_path()?;
    let target = fs::lookup_or_fd(
        context.thread,
        dirfd,
        &name,
        how,
        flags & raw::AT_EMPTY_PATH != 0,
    )?;
    let recursive = flags & raw::AT_RECURSIVE != 0;
    let ns = fs::namespace();
    ns.set_attr(&target, set, clear, recursive)?;
    if let Some(kind) = propagation {
        ns.change_propagation(&target, kind, recursive)?;
    }
    Ok(0)
}
