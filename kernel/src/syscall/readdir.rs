//! getdents64 and getdents (Linux `fs/readdir.c`): pack `linux_dirent64` records, or the old
//! `linux_dirent` ones (`vfs::readdir::getdents`), resuming at the file position; `EINVAL` when
//! not even one record fits.

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use abi::Errno;
use alloc::vec::Vec;

pub fn getdents64(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: u32,
) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if !file.ops.metadata().file_type.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    crate::fs::fanotify::access_perm(&file)?;
    let capacity = (count as usize).min(64 * 1024);
    let mut records: Vec<u8> = Vec::new();
    records
        .try_reserve_exact(capacity)
        .map_err(|_| Errno::ENOMEM)?;
    let mut next_position = file.position();
    let mut is_too_small = false;
    file.ops.read_dir(file.position(), &mut |entry| {
        let reclen = (19 + entry.name.len() + 1).next_multiple_of(8);
        if records.len() + reclen > capacity {
            if records.is_empty() {
                is_too_small = true;
            }
            return false;
        }
        records.extend_from_slice(&entry.ino.to_le_bytes());
        records.extend_from_slice(&entry.next_offset.to_le_bytes());
        records.extend_from_slice(&(reclen as u16).to_le_bytes());
        records.push(entry.file_type.dirent_type());
        records.extend_from_slice(entry.name);
        records.resize(records.len() + reclen - 19 - entry.name.len(), 0);
        next_position = entry.next_offset;
        true
    })?;
    file.accessed();
    crate::fs::notify::file_event(&file, inotify::IN_ACCESS);
    if is_too_small {
        return Err(Errno::EINVAL);
    }
    hal::usercopy::copy_to_user(buf.address, &records)?;
    file.set_position(next_position);
    Ok(records.len())
}

/// The old getdents: `struct linux_dirent` records (`d_type` in each record's last byte).
pub fn getdents(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: u32,
) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if !file.ops.metadata().file_type.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    crate::fs::fanotify::access_perm(&file)?;
    let inode = file.ops.inode().cloned().ok_or(Errno::ENOTDIR)?;
    let capacity = (count as usize).min(64 * 1024);
    let mut records: Vec<u8> = Vec::new();
    records
        .try_reserve_exact(capacity)
        .map_err(|_| Errno::ENOMEM)?;
    records.resize(capacity, 0);
    let (len, next_position) =
        vfs::readdir::getdents(inode.as_ref(), file.position(), &mut records)?;
    crate::fs::notify::file_event(&file, inotify::IN_ACCESS);
    hal::usercopy::copy_to_user(buf.address, &records[..len])?;
    file.set_position(next_position);
    Ok(len)
}
