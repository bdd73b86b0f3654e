//! The fixed 110-byte header of a newc or crc record: a six-byte magic, then thirteen fields of
//! eight ASCII hexadecimal digits each (Linux's `parse_header` in `init/initramfs.c`).

use crate::CpioError;

/// Size of the header that precedes the name.
pub const HEADER_LEN: usize = 110;
/// Magic of the newc format (no checksum).
pub const MAGIC_NEWC: &[u8; 6] = b"070701";
/// Magic of the crc format (newc plus a sum of the data bytes).
pub const MAGIC_CRC: &[u8; 6] = b"070702";
/// Magic of the portable ASCII format, which Linux does not accept.
pub const MAGIC_ODC: &[u8; 6] = b"070707";

const MAGIC_LEN: usize = 6;
const FIELD_LEN: usize = 8;
const FIELD_COUNT: usize = 13;

/// The decoded fields of a header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub has_checksum: bool,
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub filesize: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    pub namesize: u32,
    pub check: u32,
}

impl Header {
    /// Decodes the header at the start of `bytes`; `offset` is its position, for errors.
    pub fn parse(bytes: &[u8], offset: usize) -> Result<Header, CpioError> {
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(CpioError::Truncated { offset })?;
        let has_checksum = match &header[..MAGIC_LEN] {
            m if m == MAGIC_NEWC => false,
            m if m == MAGIC_CRC => true,
            m if m == MAGIC_ODC => return Err(CpioError::OdcFormat { offset }),
            _ => return Err(CpioError::BadMagic { offset }),
        };
        let mut fields = [0u32; FIELD_COUNT];
        for (index, (field, digits)) in fields
            .iter_mut()
            .zip(header[MAGIC_LEN..].chunks_exact(FIELD_LEN))
            .enumerate()
        {
            *field = parse_hex(digits).ok_or(CpioError::BadHexField {
                offset,
                field: index,
            })?;
        }
        let [
            ino,
            mode,
            uid,
            gid,
            nlink,
            mtime,
            filesize,
            dev_major,
            dev_minor,
            rdev_major,
            rdev_minor,
            namesize,
            check,
        ] = fields;
        Ok(Header {
            has_checksum,
            ino,
            mode,
            uid,
            gid,
            nlink,
            mtime,
            filesize,
            dev_major,
            dev_minor,
            rdev_major,
            rdev_minor,
            namesize,
            check,
        })
    }

    /// Encodes the header (always with the newc magic unless `has_checksum`).
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..MAGIC_LEN].copy_from_slice(if self.has_checksum {
            MAGIC_CRC
        } else {
            MAGIC_NEWC
        });
        let fields = [
            self.ino,
            self.mode,
            self.uid,
            self.gid,
            self.nlink,
            self.mtime,
            self.filesize,
            self.dev_major,
            self.dev_minor,
            self.rdev_major,
            self.rdev_minor,
            self.namesize,
            self.check,
        ];
        for (slot, value) in out[MAGIC_LEN..].chunks_exact_mut(FIELD_LEN).zip(fields) {
            write_hex(slot, value);
        }
        out
    }
}

/// Parses eight hexadecimal digits (either case).
fn parse_hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = char::from(digit).to_digit(16)?;
        Some((value << 4) | nibble)
    })
}

/// Writes `value` as eight upper-case hexadecimal digits, as GNU cpio does.
fn write_hex(slot: &mut [u8], value: u32) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for (index, byte) in slot.iter_mut().rev().enumerate() {
        *byte = DIGITS[((value >> (4 * index)) & 0xf) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            has_checksum: false,
            ino: 0x1234,
            mode: 0o100644,
            uid: 1000,
            gid: 100,
            nlink: 1,
            mtime: 0x6000_0000,
            filesize: 0xdead_beef,
            dev_major: 8,
            dev_minor: 1,
            rdev_major: 0,
            rdev_minor: 0,
            namesize: 4,
            check: 0,
        }
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let header = sample();
        let bytes = header.encode();
        assert_eq!(&bytes[..6], b"070701");
        assert_eq!(&bytes[6..14], b"00001234");
        assert_eq!(Header::parse(&bytes, 0), Ok(header));
    }

    #[test]
    fn lower_case_hex_is_accepted() {
        let mut bytes = sample().encode();
        bytes[6 + 6 * 8..6 + 7 * 8].copy_from_slice(b"deadbeef");
        assert_eq!(
            Header::parse(&bytes, 0).map(|h| h.filesize),
            Ok(0xdead_beef)
        );
    }

    #[test]
    fn rejects_bad_input() {
        let bytes = sample().encode();
        assert_eq!(
            Header::parse(&bytes[..109], 7),
            Err(CpioError::Truncated { offset: 7 })
        );
        let mut odc = bytes;
        odc[..6].copy_from_slice(b"070707");
        assert_eq!(
            Header::parse(&odc, 0),
            Err(CpioError::OdcFormat { offset: 0 })
        );
        let mut junk = bytes;
        junk[0] = b'x';
        assert_eq!(
            Header::parse(&junk, 0),
            Err(CpioError::BadMagic { offset: 0 })
        );
        let mut bad_digit = bytes;
        bad_digit[6 + 11 * 8 + 3] = b'g';
        assert_eq!(
            Header::parse(&bad_digit, 3),
            Err(CpioError::BadHexField {
                offset: 3,
                field: 11
            })
        );
        let mut sign = bytes;
        sign[6] = b'-';
        assert!(Header::parse(&sign, 0).is_err());
    }
}
