//! Why a cpio archive could not be read. Offsets are byte positions in the buffer being parsed.

use core::fmt;

/// A malformed or truncated cpio archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpioError {
    /// The archive ends inside the record that starts at `offset`, or before a `TRAILER!!!`
    /// record.
    Truncated {
        /// Start of the incomplete record.
        offset: usize,
    },
    /// The record at `offset` does not start with `070701` or `070702`.
    BadMagic {
        /// Start of the record.
        offset: usize,
    },
    /// The record at `offset` is in the portable ASCII (`odc`, `070707`) format, which Linux
    /// rejects with "incorrect cpio method used: use -H newc option".
    OdcFormat {
        /// Start of the record.
        offset: usize,
    },
    /// A header field of the record at `offset` is not eight hexadecimal digits.
    BadHexField {
        /// Start of the record.
        offset: usize,
        /// Index of the field after the magic (0 = `c_ino`, 11 = `c_namesize`, 12 = `c_check`).
        field: usize,
    },
    /// The name of the record at `offset` is empty or does not end with a NUL byte.
    BadName {
        /// Start of the record.
        offset: usize,
    },
    /// The data of the `070702` record at `offset` does not add up to its `c_check` field.
    ChecksumMismatch {
        /// Start of the record.
        offset: usize,
    },
}

impl CpioError {
    /// Where the record in question starts.
    pub fn offset(&self) -> usize {
        match *self {
            CpioError::Truncated { offset }
            | CpioError::BadMagic { offset }
            | CpioError::OdcFormat { offset }
            | CpioError::BadHexField { offset, .. }
            | CpioError::BadName { offset }
            | CpioError::ChecksumMismatch { offset } => offset,
        }
    }
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CpioError::Truncated { offset } => write!(f, "truncated cpio record at {offset}"),
            CpioError::BadMagic { offset } => write!(f, "no cpio magic at {offset}"),
            CpioError::OdcFormat { offset } => {
                write!(f, "odc cpio record at {offset}: use the newc format")
            }
            CpioError::BadHexField { offset, field } => {
                write!(f, "bad hex field {field} in cpio header at {offset}")
            }
            CpioError::BadName { offset } => {
                write!(f, "cpio name without NUL terminator at {offset}")
            }
            CpioError::ChecksumMismatch { offset } => {
                write!(f, "bad data checksum in cpio record at {offset}")
            }
        }
    }
}

impl core::error::Error for CpioError {}
