//! getdents64 (Linux `fs/readdir.c`): packs `linux_dirent64` records, resuming at the file
//! position; `EINVAL` when not even one record fits.

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
    if is_too_small {
        return Err(Errno::EINVAL);
    }
    hal::usercopy::copy_to_user(buf.address, &records)?;
    file.set_position(next_position);
    Ok(records.len())
}
