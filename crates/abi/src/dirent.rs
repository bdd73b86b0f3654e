//! `struct linux_dirent64` records as `getdents64` returns them (`include/linux/dirent.h`,
//! `fs/readdir.c` `filldir64`): `d_ino`, `d_off`, `d_reclen`, `d_type`, then the NUL-terminated name,
//! the whole record padded to a multiple of 8 bytes.
//!
//! [`DirentWriter`] packs records into a buffer the size of the caller's `count`. As in Linux,
//! `d_off` is the directory position to resume from after the entry. When a record does not fit,
//! `getdents64` returns the bytes packed so far, or `EINVAL` if not even the first record fits;
//! the VFS rejects empty names and names containing `/` with `EIO` before packing them.

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Unknown file type.
pub const DT_UNKNOWN: u8 = raw::DT_UNKNOWN as u8;
/// FIFO.
pub const DT_FIFO: u8 = raw::DT_FIFO as u8;
/// Character device.
pub const DT_CHR: u8 = raw::DT_CHR as u8;
/// Directory.
pub const DT_DIR: u8 = raw::DT_DIR as u8;
/// Block device.
pub const DT_BLK: u8 = raw::DT_BLK as u8;
/// Regular file.
pub const DT_REG: u8 = raw::DT_REG as u8;
/// Symbolic link.
pub const DT_LNK: u8 = raw::DT_LNK as u8;
/// Socket.
pub const DT_SOCK: u8 = raw::DT_SOCK as u8;

/// The `d_type` for a mode's file-type bits, as Linux's `fs_umode_to_dtype`.
pub const fn dtype_from_mode(mode: u32) -> u8 {
    ((mode & crate::mode::S_IFMT) >> 12) as u8
}

/// The fixed part of `struct linux_dirent64`, before `d_name` (19 bytes, unaligned).
#[repr(C, packed)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LinuxDirent64 {
    /// Inode number.
    pub d_ino: u64,
    /// Directory position after this entry.
    pub d_off: i64,
    /// Length of this record, including the name and padding.
    pub d_reclen: u16,
    /// File type (`DT_*`).
    pub d_type: u8,
}

const _: () = {
    assert!(size_of::<LinuxDirent64>() == core::mem::offset_of!(raw::linux_dirent64, d_name));
    assert!(
        core::mem::offset_of!(LinuxDirent64, d_off)
            == core::mem::offset_of!(raw::linux_dirent64, d_off)
    );
    assert!(
        core::mem::offset_of!(LinuxDirent64, d_reclen)
            == core::mem::offset_of!(raw::linux_dirent64, d_reclen)
    );
    assert!(
        core::mem::offset_of!(LinuxDirent64, d_type)
            == core::mem::offset_of!(raw::linux_dirent64, d_type)
    );
};

/// The length of the record for a name of `name_len` bytes: header, name, NUL, padded to 8.
pub const fn dirent64_record_len(name_len: usize) -> usize {
    (size_of::<LinuxDirent64>() + name_len + 1).next_multiple_of(8)
}

/// A record did not fit in the rest of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirentBufferFull {
    /// The length of the record that did not fit.
    pub record_len: usize,
}

/// Packs `linux_dirent64` records into a byte buffer.
#[derive(Debug)]
pub struct DirentWriter<'a> {
    buffer: &'a mut [u8],
    len: usize,
}

impl<'a> DirentWriter<'a> {
    /// A writer that fills `buffer` from its start.
    pub fn new(buffer: &'a mut [u8]) -> DirentWriter<'a> {
        DirentWriter { buffer, len: 0 }
    }

    /// Appends the record for `name`, or reports that it does not fit (the buffer is unchanged).
    /// Padding after the name's NUL is zeroed.
    pub fn push(
        &mut self,
        ino: u64,
        next_offset: i64,
        d_type: u8,
        name: &[u8],
    ) -> Result<(), DirentBufferFull> {
        let record_len = dirent64_record_len(name.len());
        let full = DirentBufferFull { record_len };
        let d_reclen = u16::try_from(record_len).map_err(|_| full)?;
        let end = self.len.checked_add(record_len).ok_or(full)?;
        let record = self.buffer.get_mut(self.len..end).ok_or(full)?;
        let header = LinuxDirent64 {
            d_ino: ino,
            d_off: next_offset,
            d_reclen,
            d_type,
        };
        let (head, tail) = record.split_at_mut(size_of::<LinuxDirent64>());
        head.copy_from_slice(header.as_bytes());
        let (name_part, padding) = tail.split_at_mut(name.len());
        name_part.copy_from_slice(name);
        padding.fill(0);
        self.len = end;
        Ok(())
    }

    /// Bytes packed so far (the value `getdents64` returns).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no record has been packed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed records.
    pub fn written(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// Walks packed records the way a C library's `readdir` does.
    fn parse(mut bytes: &[u8]) -> impl Iterator<Item = (u64, i64, u8, &[u8])> {
        core::iter::from_fn(move || {
            if bytes.is_empty() {
                return None;
            }
            let (header, _) = LinuxDirent64::read_from_prefix(bytes).unwrap();
            let reclen = usize::from(header.d_reclen);
            let name_area = &bytes[size_of::<LinuxDirent64>()..reclen];
            let name_len = name_area.iter().position(|&b| b == 0).unwrap();
            let item = (
                header.d_ino,
                header.d_off,
                header.d_type,
                &name_area[..name_len],
            );
            bytes = &bytes[reclen..];
            Some(item)
        })
    }

    #[test]
    fn header_layout() {
        assert_eq!(size_of::<LinuxDirent64>(), 19);
        assert_eq!(dirent64_record_len(1), 24);
        assert_eq!(dirent64_record_len(4), 24);
        assert_eq!(dirent64_record_len(5), 32);
        assert_eq!(dirent64_record_len(255), 280);
    }

    #[test]
    fn packs_records_that_parse_back() {
        let mut buffer = [0xaau8; 128];
        let mut writer = DirentWriter::new(&mut buffer);
        assert!(writer.is_empty());
        writer.push(2, 1, DT_DIR, b".").unwrap();
        writer.push(1, 2, DT_DIR, b"..").unwrap();
        writer.push(12, 3, DT_REG, b"hello.txt").unwrap();
        assert_eq!(writer.len(), 24 + 24 + 32);
        let records: Vec<_> = parse(writer.written()).collect();
        assert_eq!(
            records,
            [
                (2, 1, DT_DIR, &b"."[..]),
                (1, 2, DT_DIR, &b".."[..]),
                (12, 3, DT_REG, &b"hello.txt"[..])
            ]
        );
        // Padding after each name is zeroed, so no stale bytes leak to user space.
        assert!(writer.written()[19 + 1..24].iter().all(|&b| b == 0));
        assert!(writer.written()[48 + 19 + 9..80].iter().all(|&b| b == 0));
    }

    #[test]
    fn reports_when_a_record_does_not_fit() {
        let mut buffer = [0u8; 48];
        let mut writer = DirentWriter::new(&mut buffer);
        writer.push(5, 1, DT_REG, b"a").unwrap();
        assert_eq!(
            writer.push(6, 2, DT_REG, b"bbbbb"),
            Err(DirentBufferFull { record_len: 32 })
        );
        assert_eq!(writer.len(), 24);
        writer.push(6, 2, DT_REG, b"b").unwrap();
        assert_eq!(writer.len(), 48);
        assert!(writer.push(7, 3, DT_REG, b"c").is_err());
        let mut tiny = [0u8; 23];
        assert!(
            DirentWriter::new(&mut tiny)
                .push(1, 1, DT_REG, b"x")
                .is_err()
        );
    }

    #[test]
    fn dtype_matches_linux() {
        assert_eq!(dtype_from_mode(0o100644), DT_REG);
        assert_eq!(dtype_from_mode(0o040755), DT_DIR);
        assert_eq!(dtype_from_mode(0o120777), DT_LNK);
        assert_eq!(dtype_from_mode(0o020666), DT_CHR);
        assert_eq!(dtype_from_mode(0o060660), DT_BLK);
        assert_eq!(dtype_from_mode(0o010600), DT_FIFO);
        assert_eq!(dtype_from_mode(0o140755), DT_SOCK);
        assert_eq!(dtype_from_mode(0), DT_UNKNOWN);
    }
}
