//! `getdents64` and `getdents` record formatting, as Linux's `fs/readdir.c` (`filldir64`,
//! `getdents64`, `filldir`, `getdents`).
//!
//! Key items: [`getdents`] for the old `struct linux_dirent` (`d_ino: u64`, `d_off: i64`,
//! `d_reclen: u16`, the NUL-terminated name, padding, and `d_type` in the record's last byte,
//! the whole aligned to 8 bytes), and [`getdents64`], which asks an inode for entries from a position and packs them as
//! `struct linux_dirent64` records (`d_ino: u64`, `d_off: i64`, `d_reclen: u16`, `d_type: u8`,
//! the NUL-terminated name, padded to 8 bytes) into a kernel buffer that the syscall layer then
//! copies to user memory. `d_off` of each record is the position to resume after it.
//!
//! Rules: an empty result (end of directory) is 0 bytes; if entries remain but the first does not
//! fit, `EINVAL`; a removed directory is `ENOENT`; a non-directory `ENOTDIR` (from the inode).

use abi::Errno;

use crate::inode::Inode;

/// Offset of `d_name` in `struct linux_dirent64`.
const NAME_OFFSET: usize = 19;

/// The record length of a `linux_dirent64` for a name of `name_len` bytes.
pub fn dirent64_reclen(name_len: usize) -> usize {
    (NAME_OFFSET + name_len + 1 + 7) & !7
}

/// Fills `buf` with entries of directory `inode` from position `offset`. Returns the bytes
/// written and the position to continue from (the caller stores it as the file position).
pub fn getdents64(inode: &dyn Inode, offset: u64, buf: &mut [u8]) -> Result<(usize, u64), Errno> {
    let mut used = 0usize;
    let mut next = offset;
    let mut too_small = false;
    inode.read_dir(offset, &mut |e| {
        let reclen = dirent64_reclen(e.name.len());
        if used + reclen > buf.len() || reclen > u16::MAX as usize {
            too_small = used == 0;
            return false;
        }
        let rec = &mut buf[used..used + reclen];
        rec[0..8].copy_from_slice(&e.ino.to_ne_bytes());
        rec[8..16].copy_from_slice(&(e.next_offset as i64).to_ne_bytes());
        rec[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
        rec[18] = e.file_type.dirent_type();
        rec[NAME_OFFSET..NAME_OFFSET + e.name.len()].copy_from_slice(e.name);
        rec[NAME_OFFSET + e.name.len()..].fill(0);
        used += reclen;
        next = e.next_offset;
        true
    })?;
    if too_small {
        return Err(Errno::EINVAL);
    }
    Ok((used, next))
}

/// Offset of `d_name` in the old `struct linux_dirent`.
const OLD_NAME_OFFSET: usize = 18;

/// The record length of an old `linux_dirent` for a name of `name_len` bytes: header, name,
/// NUL and the `d_type` byte, aligned to 8 (`ALIGN(offsetof(d_name) + namlen + 2, 8)`).
pub fn dirent_reclen(name_len: usize) -> usize {
    (OLD_NAME_OFFSET + name_len + 2 + 7) & !7
}

/// As [`getdents64`], packing old `struct linux_dirent` records (`getdents(2)`): the type is
/// the last byte of each record.
pub fn getdents(inode: &dyn Inode, offset: u64, buf: &mut [u8]) -> Result<(usize, u64), Errno> {
    let mut used = 0usize;
    let mut next = offset;
    let mut too_small = false;
    inode.read_dir(offset, &mut |e| {
        let reclen = dirent_reclen(e.name.len());
        if used + reclen > buf.len() || reclen > u16::MAX as usize {
            too_small = used == 0;
            return false;
        }
        let rec = &mut buf[used..used + reclen];
        rec[0..8].copy_from_slice(&e.ino.to_ne_bytes());
        rec[8..16].copy_from_slice(&(e.next_offset as i64).to_ne_bytes());
        rec[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
        rec[OLD_NAME_OFFSET..OLD_NAME_OFFSET + e.name.len()].copy_from_slice(e.name);
        rec[OLD_NAME_OFFSET + e.name.len()..].fill(0);
        rec[reclen - 1] = e.file_type.dirent_type();
        used += reclen;
        next = e.next_offset;
        true
    })?;
    if too_small {
        return Err(Errno::EINVAL);
    }
    Ok((used, next))
}
