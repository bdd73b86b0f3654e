//! name_to_handle_at and open_by_handle_at (Linux `fs/fhandle.c`), over the handle tables of
//! the filesystems that export handles ([`vfs::export`]: tmpfs).
//!
//! name_to_handle_at: flags other than `AT_SYMLINK_FOLLOW`/`AT_EMPTY_PATH` are `EINVAL`; the
//! path is resolved (its errors); a filesystem without handles is `EOPNOTSUPP`; the caller's
//! `struct file_handle` header is read (`EFAULT`), a `handle_bytes` over `MAX_HANDLE_SZ`
//! (128) is `EINVAL`; too small a buffer gets the size needed and `EOVERFLOW`; the mount id
//! and the handle are written (`EFAULT`).
//!
//! open_by_handle_at: needs CAP_DAC_READ_SEARCH (`EPERM`); the header and handle are read
//! (`EFAULT`; a size of 0 or over 128 `EINVAL`); the mount is the one of `mountdirfd` (the
//! cwd's for `AT_FDCWD`; `EBADF`); a handle its filesystem does not know is `ESTALE`; the
//! object is opened as open(2) would open it, a symlink being `ELOOP` unless `O_PATH`.

use super::args::{Fd, UserCStr, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::{self, AT_FDCWD};
use abi::{Errno, OpenFlags};
use vfs::Lookup;

/// `MAX_HANDLE_SZ`.
const MAX_HANDLE_SZ: u32 = 128;
/// `FILEID_INVALID`: the type reported with `EOVERFLOW`.
const FILEID_INVALID: i32 = 255;

/// The fixed part of `struct file_handle`.
#[derive(zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout)]
#[repr(C)]
struct FileHandleHeader {
    handle_bytes: u32,
    handle_type: i32,
}

pub fn name_to_handle_at(
    context: &mut SyscallContext<'_>,
    dirfd: Fd,
    name: UserCStr,
    handle: u64,
    mount_id: UserPtr<i32>,
    flags: i32,
) -> SyscallResult {
    use abi::raw::general::{AT_EMPTY_PATH, AT_SYMLINK_FOLLOW};
    if flags & !((AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) as i32) != 0 {
        return Err(Errno::EINVAL);
    }
    let how = if flags & AT_SYMLINK_FOLLOW as i32 != 0 {
        Lookup::FOLLOW
    } else {
        Lookup::NOFOLLOW
    };
    let name = name.read_path()?;
    let path = fs::lookup_or_fd(
        context.thread,
        dirfd,
        &name,
        how,
        flags & AT_EMPTY_PATH as i32 != 0,
    )?;
    let superblock = path.dentry().superblock().clone();
    let exports = superblock.fs().exports().ok_or(Errno::EOPNOTSUPP)?;
    let header: FileHandleHeader = hal::usercopy::read_user(handle)?;
    if header.handle_bytes > MAX_HANDLE_SZ {
        return Err(Errno::EINVAL);
    }
    let (words, kind) = exports.encode(path.dentry());
    let needed = (words.len() * 4) as u32;
    let fits = header.handle_bytes / 4 * 4 >= needed;
    let reply = FileHandleHeader {
        handle_bytes: needed,
        handle_type: if fits { kind } else { FILEID_INVALID },
    };
    mount_id.write(&(path.mnt().id() as i32))?;
    hal::usercopy::write_user(handle, &reply)?;
    if !fits {
        return Err(Errno::EOVERFLOW);
    }
    let mut bytes = [0u8; 4 * vfs::export::TMPFS_HANDLE_WORDS];
    for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    let body = handle
        .checked_add(core::mem::size_of::<FileHandleHeader>() as u64)
        .ok_or(Errno::EFAULT)?;
    hal::usercopy::copy_to_user(body, &bytes)?;
    Ok(0)
}

pub fn open_by_handle_at(
    context: &mut SyscallContext<'_>,
    mount_dirfd: Fd,
    handle: u64,
    flags: OpenFlags,
) -> SyscallResult {
    let is_capable = context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_DAC_READ_SEARCH);
    if !is_capable {
        return Err(Errno::EPERM);
    }
    let header: FileHandleHeader = hal::usercopy::read_user(handle)?;
    if header.handle_bytes > MAX_HANDLE_SZ || header.handle_bytes == 0 {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; MAX_HANDLE_SZ as usize];
    let body = handle
        .checked_add(core::mem::size_of::<FileHandleHeader>() as u64)
        .ok_or(Errno::EFAULT)?;
    let bytes = &mut bytes[..header.handle_bytes as usize];
    hal::usercopy::copy_from_user(bytes, body)?;
    let mut words = [0u32; MAX_HANDLE_SZ as usize / 4];
    let count = bytes.len() / 4;
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(4)) {
        *word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    // get_vfsmount_from_fd.
    let mount = if mount_dirfd.0 == AT_FDCWD {
        context.thread.process.fs.get().lock().cwd.mnt().clone()
    } else {
        let file = context
            .thread
            .process
            .files
            .get()
            .lock()
            .get(mount_dirfd.0)?;
        file.path.as_ref().ok_or(Errno::ESTALE)?.mnt().clone()
    };
    let superblock = mount.root().superblock().clone();
    let exports = superblock.fs().exports().ok_or(Errno::ESTALE)?;
    let dentry = exports.decode(&words[..count])?;
    if !dentry.same_superblock(mount.root()) {
        return Err(Errno::ESTALE);
    }
    super::open::open_found(
        context,
        vfs::Path::new(mount, dentry),
        flags | OpenFlags::O_LARGEFILE,
    )
}
