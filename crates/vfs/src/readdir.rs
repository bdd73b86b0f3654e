//! `getdents64` record formatting, as Linux's `fs/readdir.c` (`filldir64`, `getdents64`).
//!
//! Key item: [`getdents64`], which asks an inode for entries from a position and packs them as
//! `struct linux_dirent64` records (`d_ino: u64`, `d_off: i64`, `d_reclen: u16`, `d_type: u8`,
//! the NUL-terminated name, padded to 8 bytes) into a kernel buffer that the syscall layer then
//! copies to user memory. `d_off` of each record is the position to resume after it.
//!
//! Rules: an empty result (end of directory) is 0 bytes; if entries remain but the first does not
//! fit, `EINVAL`; a removed directory is `ENOENT`; a non-directory `ENOTDIR` (from the inode).
//!
//! Not done yet: the old `getdents` (`linux_dirent`) format, which the x86-64 ABI still has.

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
