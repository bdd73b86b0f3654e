//! Walking the records of a newc or crc archive.
//!
//! Each record is a 110-byte header, the NUL-terminated name padded so that header and name end on
//! a four-byte boundary, then the data padded to four bytes; alignment is counted from the start of
//! the buffer, as Linux counts it from the start of the image. The walk ends at the `TRAILER!!!`
//! record. Like Linux, a name ends at its first NUL, and crc records of regular files have their
//! data checksum verified. Unlike Linux, which quietly stops, an archive that ends without a
//! trailer is an error.

use crate::header::{HEADER_LEN, Header};
use crate::mode::{S_IFMT, S_IFREG};
use crate::{CpioError, Entry, TRAILER_NAME};

/// The records of the archive in `archive`, in order, up to (not including) `TRAILER!!!`.
pub fn entries(archive: &[u8]) -> Entries<'_> {
    Entries::starting_at(archive, 0)
}

/// An iterator over the records of an archive; see [`entries`]. After an error it yields nothing.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    buffer: &'a [u8],
    offset: usize,
    is_done: bool,
    has_trailer: bool,
}

impl<'a> Entries<'a> {
    /// Walks the archive that starts at `offset` of `buffer`; alignment is relative to
    /// `buffer`'s start.
    pub(crate) fn starting_at(buffer: &'a [u8], offset: usize) -> Entries<'a> {
        Entries {
            buffer,
            offset,
            is_done: false,
            has_trailer: false,
        }
    }

    /// The offset of the next record; once the trailer has been read, the end of the trailer
    /// record including its padding (clamped to the buffer's length).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Whether the walk has reached the `TRAILER!!!` record.
    pub fn has_trailer(&self) -> bool {
        self.has_trailer
    }

    fn next_record(&mut self) -> Result<Option<Entry<'a>>, CpioError> {
        let offset = self.offset;
        let truncated = CpioError::Truncated { offset };
        let rest = self.buffer.get(offset..).ok_or(truncated)?;
        let header = Header::parse(rest, offset)?;

        let name_start = offset.checked_add(HEADER_LEN).ok_or(truncated)?;
        let name_end = name_start
            .checked_add(header.namesize as usize)
            .ok_or(truncated)?;
        let stored_name = self.buffer.get(name_start..name_end).ok_or(truncated)?;
        let name = match stored_name.split_last() {
            Some((0, _)) => stored_name
                .split(|&byte| byte == 0)
                .next()
                .unwrap_or_default(),
            _ => return Err(CpioError::BadName { offset }),
        };

        let data_start = align4(name_end).ok_or(truncated)?;
        let data_end = data_start
            .checked_add(header.filesize as usize)
            .ok_or(truncated)?;
        let data: &'a [u8] = if header.filesize == 0 {
            &[]
        } else {
            self.buffer.get(data_start..data_end).ok_or(truncated)?
        };
        // Like Linux (`do_copy`), only regular files have their checksum checked: GNU cpio
        // leaves it 0 for symbolic links.
        let is_regular = header.mode & S_IFMT == S_IFREG;
        if header.has_checksum && is_regular && data_checksum(data) != header.check {
            return Err(CpioError::ChecksumMismatch { offset });
        }
        // Padding missing at the very end of the buffer is tolerated; a following record would
        // then be reported as truncated.
        self.offset = align4(data_end).ok_or(truncated)?.min(self.buffer.len());

        if name == TRAILER_NAME {
            self.has_trailer = true;
            return Ok(None);
        }
        Ok(Some(Entry {
            name,
            ino: header.ino,
            mode: header.mode,
            uid: header.uid,
            gid: header.gid,
            nlink: header.nlink,
            mtime: header.mtime,
            dev_major: header.dev_major,
            dev_minor: header.dev_minor,
            rdev_major: header.rdev_major,
            rdev_minor: header.rdev_minor,
            data,
        }))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.is_done {
            return None;
        }
        let record = self.next_record();
        if !matches!(record, Ok(Some(_))) {
            self.is_done = true;
        }
        record.transpose()
    }
}

impl core::iter::FusedIterator for Entries<'_> {}

/// Rounds up to a multiple of four, or `None` on overflow.
pub(crate) fn align4(offset: usize) -> Option<usize> {
    Some(offset.checked_add(3)? & !3)
}

/// The `c_check` value of the crc format: the sum of all data bytes, modulo 2^32.
pub(crate) fn data_checksum(data: &[u8]) -> u32 {
    data.iter()
        .fold(0u32, |sum, &byte| sum.wrapping_add(u32::from(byte)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::Header;
    use alloc::vec::Vec;

    /// Appends one record in the newc (or crc) layout, with the name NUL-terminated.
    fn push_record(out: &mut Vec<u8>, name: &[u8], mode: u32, data: &[u8], crc: bool) {
        let header = Header {
            has_checksum: crc,
            ino: 7,
            mode,
            uid: 1,
            gid: 2,
            nlink: 1,
            mtime: 3,
            filesize: data.len() as u32,
            dev_major: 4,
            dev_minor: 5,
            rdev_major: 6,
            rdev_minor: 8,
            namesize: name.len() as u32 + 1,
            check: if crc { data_checksum(data) } else { 0 },
        };
        out.extend_from_slice(&header.encode());
        out.extend_from_slice(name);
        out.push(0);
        out.resize(out.len().next_multiple_of(4), 0);
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }

    fn archive(records: &[(&[u8], u32, &[u8])], crc: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for &(name, mode, data) in records {
            push_record(&mut out, name, mode, data, crc);
        }
        push_record(&mut out, TRAILER_NAME, 0, b"", crc);
        out
    }

    #[test]
    fn reads_records_until_trailer() {
        let bytes = archive(
            &[
                (b"dir", 0o040755, b""),
                (b"dir/file", 0o100644, b"hello"),
                (b"./link", 0o120777, b"file"),
            ],
            false,
        );
        let mut walk = entries(&bytes);
        let all: Vec<_> = walk.by_ref().collect::<Result<_, _>>().unwrap();
        assert!(walk.has_trailer());
        assert_eq!(walk.offset(), bytes.len());
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].name, b"dir");
        assert_eq!(all[1].name, b"dir/file");
        assert_eq!(all[1].data, b"hello");
        assert_eq!(all[1].mode, 0o100644);
        assert_eq!(
            (
                all[1].ino,
                all[1].uid,
                all[1].gid,
                all[1].nlink,
                all[1].mtime
            ),
            (7, 1, 2, 1, 3)
        );
        assert_eq!(
            (
                all[1].dev_major,
                all[1].dev_minor,
                all[1].rdev_major,
                all[1].rdev_minor
            ),
            (4, 5, 6, 8)
        );
        assert_eq!(all[2].name, b"./link");
        assert_eq!(all[2].data, b"file");
    }

    #[test]
    fn every_name_length_aligns() {
        for len in 1..12 {
            let name: Vec<u8> = core::iter::repeat_n(b'n', len).collect();
            for data_len in 0..6 {
                let data: Vec<u8> = (0..data_len as u8).collect();
                let bytes = archive(&[(&name, 0o100600, &data), (b"z", 0o100600, b"z")], false);
                let all: Vec<_> = entries(&bytes).collect::<Result<_, _>>().unwrap();
                assert_eq!(all[0].name, &name[..]);
                assert_eq!(all[0].data, &data[..]);
                assert_eq!(all[1].name, b"z");
                assert_eq!(all[1].data, b"z");
            }
        }
    }

    #[test]
    fn crc_format_checks_data_sum() {
        let mut bytes = archive(&[(b"f", 0o100644, b"\xff\xfe\x01")], true);
        assert_eq!(entries(&bytes).count(), 1);
        assert!(entries(&bytes).all(|e| e.is_ok()));
        let data_at = bytes.windows(3).position(|w| w == b"\xff\xfe\x01").unwrap();
        bytes[data_at] = 0;
        assert_eq!(
            entries(&bytes).next(),
            Some(Err(CpioError::ChecksumMismatch { offset: 0 }))
        );
    }

    #[test]
    fn name_ends_at_first_nul() {
        let bytes = archive(&[(b"abc\0junk", 0o100644, b"")], false);
        assert_eq!(entries(&bytes).next().unwrap().unwrap().name, b"abc");
    }

    #[test]
    fn name_without_nul_is_an_error() {
        let mut bytes = archive(&[(b"abc", 0o100644, b"")], false);
        bytes[HEADER_LEN + 3] = b'x';
        assert_eq!(
            entries(&bytes).next(),
            Some(Err(CpioError::BadName { offset: 0 }))
        );
        let mut empty = archive(&[(b"", 0o100644, b"")], false);
        // namesize 0: overwrite the c_namesize field.
        empty[6 + 11 * 8..6 + 12 * 8].copy_from_slice(b"00000000");
        assert_eq!(
            entries(&empty).next(),
            Some(Err(CpioError::BadName { offset: 0 }))
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = archive(
            &[(b"dir", 0o040755, b""), (b"dir/file", 0o100644, b"hello")],
            false,
        );
        for len in 0..bytes.len() {
            let result: Result<Vec<_>, _> = entries(&bytes[..len]).collect();
            // Only the missing padding of the trailer itself (110 + 11 bytes, padded by three)
            // is tolerated.
            if len >= bytes.len() - 3 {
                assert!(result.is_ok(), "len {len}: {result:?}");
                continue;
            }
            assert!(
                matches!(result, Err(CpioError::Truncated { .. })),
                "len {len}: {result:?}"
            );
        }
    }

    #[test]
    fn missing_trailer_padding_is_tolerated() {
        let bytes = archive(&[(b"f", 0o100644, b"x")], false);
        // The trailer's name ends three bytes before the end (110 + 11 = 121, padded to 124).
        let unpadded = &bytes[..bytes.len() - 3];
        let mut walk = entries(unpadded);
        assert_eq!(walk.by_ref().count(), 1);
        assert!(walk.has_trailer());
        assert_eq!(walk.offset(), unpadded.len());
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let mut bytes = archive(&[(b"f", 0o100644, b"x")], false);
        bytes[6 + 6 * 8..6 + 7 * 8].copy_from_slice(b"FFFFFFFF");
        assert_eq!(
            entries(&bytes).next(),
            Some(Err(CpioError::Truncated { offset: 0 }))
        );
        let mut bytes = archive(&[(b"f", 0o100644, b"x")], false);
        bytes[6 + 11 * 8..6 + 12 * 8].copy_from_slice(b"FFFFFFFF");
        assert_eq!(
            entries(&bytes).next(),
            Some(Err(CpioError::Truncated { offset: 0 }))
        );
    }

    #[test]
    fn errors_stop_the_walk() {
        let mut bytes = archive(&[(b"a", 0o100644, b""), (b"b", 0o100644, b"")], false);
        bytes[0] = b'1';
        let mut walk = entries(&bytes);
        assert!(matches!(walk.next(), Some(Err(CpioError::BadMagic { .. }))));
        assert_eq!(walk.next(), None);
        assert!(!walk.has_trailer());
    }

    #[test]
    fn empty_input_is_truncated() {
        assert_eq!(
            entries(b"").next(),
            Some(Err(CpioError::Truncated { offset: 0 }))
        );
    }
}
