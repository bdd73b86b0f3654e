//! Unpacking an initramfs image the way Linux's `init/initramfs.c` (`unpack_to_rootfs`) does.
//!
//! An image is a sequence of segments. A segment that starts with the newc magic `0` at an offset
//! that is a multiple of four is an uncompressed archive; a segment that starts with the gzip magic
//! is a gzip member whose decompressed contents are one or more archives separated by zero
//! padding; NUL bytes between segments are skipped. After an uncompressed archive the padding must
//! come in multiples of four bytes (Linux: "broken padding"); inside a decompressed member anything
//! but padding and archives is an error ("junk within compressed archive"), as is a member that
//! ends inside an archive. Other compression methods are recognised by their magic and reported as
//! unsupported.
//!
//! Each entry that Linux would create is handed to the visitor as an [`UnpackedEntry`], in archive
//! order. Like Linux, entries are skipped when their name is `PATH_MAX` bytes or longer, when a
//! symlink target is longer than `PATH_MAX`, or when an entry that is neither a regular file nor a
//! symlink carries data. The consumer creates each entry as follows (Linux's `do_name`):
//!
//! - [`UnpackedEntry::hard_link_to`] is `None`: create the entry (replacing what is at its path
//!   unless both are directories), with its mode, owner and, for a regular file, its data (the file
//!   is truncated first).
//! - it is `Some(first)`: the entry belongs to the hard-link group whose first member, created
//!   earlier in the same archive, is named `first`. Remove what is at the entry's path and make it
//!   a hard link to `first`; for a regular file, then apply the mode and owner to the shared inode
//!   and, if the entry has data, set the file's size to the data's length and write the data at
//!   offset 0 (GNU cpio stores the group's data on its last member only).
//!
//! Not done: setting directory times after their contents (`dir_utime`) is the consumer's job.

mod crc32;
mod gzip;
mod hard_links;

use core::fmt;

pub use gzip::GzipError;

use crate::mode::{S_IFLNK, S_IFMT, S_IFREG};
use crate::reader::Entries;
use crate::{CpioError, Entry, PATH_MAX};
use gzip::GZIP_MAGIC;
use hard_links::HardLinks;

/// An entry to create, with its hard-link information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpackedEntry<'a> {
    /// The archive record.
    pub entry: Entry<'a>,
    /// For a later member of a hard-link group, the name of the group's first member, which the
    /// consumer created before; see the module documentation.
    pub hard_link_to: Option<&'a [u8]>,
}

/// Why an image could not be unpacked. `E` is the visitor's error type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpackError<E> {
    /// A malformed archive. Its offsets count from the start of the image, or, when
    /// `gzip_segment_offset` is set, from the start of that gzip member's decompressed data.
    Cpio {
        /// Offset in the image of the gzip member that held the archive, if any.
        gzip_segment_offset: Option<usize>,
        /// What is wrong with the archive.
        error: CpioError,
    },
    /// A gzip member could not be decompressed.
    Gzip {
        /// Offset of the member in the image.
        segment_offset: usize,
        /// What is wrong with it.
        error: GzipError,
    },
    /// The segment is compressed with a method other than gzip.
    UnsupportedCompression {
        /// Offset of the segment in the image.
        segment_offset: usize,
        /// Name of the method, as Linux's `decompress_method` names it.
        method: &'static str,
    },
    /// The bytes at `offset` of the image start neither an archive nor a compressed segment
    /// (Linux: "invalid magic at start of compressed archive").
    InvalidMagic {
        /// Offset in the image.
        offset: usize,
    },
    /// Zero padding after an archive is not a multiple of four bytes (Linux: "broken padding").
    BrokenPadding {
        /// Offset in the image of the gzip member, when the padding is in decompressed data.
        gzip_segment_offset: Option<usize>,
        /// Offset of the first byte after the padding.
        offset: usize,
    },
    /// Decompressed data holds something other than archives and padding (Linux: "junk within
    /// compressed archive").
    JunkInCompressedArchive {
        /// Offset of the gzip member in the image.
        segment_offset: usize,
        /// Offset of the junk in the decompressed data.
        offset: usize,
    },
    /// No memory for decompressed data or the hard-link table.
    OutOfMemory,
    /// The visitor failed; unpacking stopped there.
    Visitor(E),
}

impl<E: fmt::Display> fmt::Display for UnpackError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnpackError::Cpio {
                gzip_segment_offset: None,
                error,
            } => write!(f, "{error}"),
            UnpackError::Cpio {
                gzip_segment_offset: Some(segment),
                error,
            } => write!(f, "{error} (in the gzip member at {segment})"),
            UnpackError::Gzip {
                segment_offset,
                error,
            } => write!(f, "{error} (in the gzip member at {segment_offset})"),
            UnpackError::UnsupportedCompression {
                segment_offset,
                method,
            } => write!(
                f,
                "compression method {method} not configured (segment at {segment_offset})"
            ),
            UnpackError::InvalidMagic { offset } => {
                write!(f, "invalid magic at start of compressed archive ({offset})")
            }
            UnpackError::BrokenPadding { offset, .. } => {
                write!(f, "broken padding before {offset}")
            }
            UnpackError::JunkInCompressedArchive {
                segment_offset,
                offset,
            } => write!(
                f,
                "junk within compressed archive at {offset} (gzip member at {segment_offset})"
            ),
            UnpackError::OutOfMemory => f.write_str("out of memory"),
            UnpackError::Visitor(error) => write!(f, "{error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for UnpackError<E> {}

/// Unpacks an initramfs image, calling `visit` for each entry to create, in order; see the module
/// documentation for the image layout and for what the visitor must do.
pub fn unpack<E, F>(image: &[u8], mut visit: F) -> Result<(), UnpackError<E>>
where
    F: FnMut(&UnpackedEntry<'_>) -> Result<(), E>,
{
    let mut offset = 0;
    while let Some(&byte) = image.get(offset) {
        if byte == 0 {
            offset += 1;
            continue;
        }
        if byte == b'0' && offset.is_multiple_of(4) {
            offset = unpack_archive(image, offset, None, &mut visit)?;
            offset = skip_padding(image, offset).map_err(|offset| UnpackError::BrokenPadding {
                gzip_segment_offset: None,
                offset,
            })?;
            continue;
        }
        let segment = &image[offset..];
        if segment.starts_with(&GZIP_MAGIC) {
            let member = gzip::inflate_member(segment).map_err(|error| match error {
                GzipError::OutOfMemory => UnpackError::OutOfMemory,
                error => UnpackError::Gzip {
                    segment_offset: offset,
                    error,
                },
            })?;
            unpack_decompressed(&member.data, offset, &mut visit)?;
            offset += member.compressed_len;
            continue;
        }
        return Err(match compression_method(segment) {
            Some(method) => UnpackError::UnsupportedCompression {
                segment_offset: offset,
                method,
            },
            None => UnpackError::InvalidMagic { offset },
        });
    }
    Ok(())
}

/// Unpacks the archives in the decompressed contents of the gzip member at `segment_offset`.
fn unpack_decompressed<E, F>(
    data: &[u8],
    segment_offset: usize,
    visit: &mut F,
) -> Result<(), UnpackError<E>>
where
    F: FnMut(&UnpackedEntry<'_>) -> Result<(), E>,
{
    let mut offset = 0;
    loop {
        offset = skip_padding(data, offset).map_err(|offset| UnpackError::BrokenPadding {
            gzip_segment_offset: Some(segment_offset),
            offset,
        })?;
        match data.get(offset) {
            None => return Ok(()),
            Some(b'0') => offset = unpack_archive(data, offset, Some(segment_offset), visit)?,
            Some(_) => {
                return Err(UnpackError::JunkInCompressedArchive {
                    segment_offset,
                    offset,
                });
            }
        }
    }
}

/// Unpacks the archive at `start` of `buffer` up to its trailer; returns the offset after it.
fn unpack_archive<E, F>(
    buffer: &[u8],
    start: usize,
    gzip_segment_offset: Option<usize>,
    visit: &mut F,
) -> Result<usize, UnpackError<E>>
where
    F: FnMut(&UnpackedEntry<'_>) -> Result<(), E>,
{
    let mut walk = Entries::starting_at(buffer, start);
    let mut hard_links = HardLinks::default();
    for entry in walk.by_ref() {
        let entry = entry.map_err(|error| UnpackError::Cpio {
            gzip_segment_offset,
            error,
        })?;
        if !is_created_by_linux(&entry) {
            continue;
        }
        let hard_link_to = hard_links
            .resolve(&entry)
            .map_err(|_| UnpackError::OutOfMemory)?;
        visit(&UnpackedEntry {
            entry,
            hard_link_to,
        })
        .map_err(UnpackError::Visitor)?;
    }
    // The walk ends without an error only at the trailer.
    Ok(walk.offset())
}

/// Whether Linux's `do_header` goes on to create this entry rather than skipping it.
fn is_created_by_linux(entry: &Entry<'_>) -> bool {
    if entry.name.len() >= PATH_MAX {
        return false;
    }
    match entry.mode & S_IFMT {
        S_IFREG => true,
        S_IFLNK => entry.data.len() <= PATH_MAX,
        _ => entry.data.is_empty(),
    }
}

/// Skips NUL bytes from `offset`; returns the offset of the next byte (or the end), or `Err` with
/// that offset when a byte follows at an offset that is not a multiple of four.
fn skip_padding(buffer: &[u8], offset: usize) -> Result<usize, usize> {
    let rest = buffer.get(offset..).unwrap_or_default();
    let zeros = rest.iter().take_while(|&&byte| byte == 0).count();
    let next = offset + zeros;
    if next < buffer.len() && !next.is_multiple_of(4) {
        return Err(next);
    }
    Ok(next)
}

/// The compression method whose magic starts `segment`, from Linux's `lib/decompress.c` table
/// (gzip is handled by the caller).
fn compression_method(segment: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (&[0x1f, 0x9e], "gzip"),
        (b"BZh", "bzip2"),
        (&[0x5d, 0x00, 0x00], "lzma"),
        (&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz"),
        (&[0x89, 0x4c, 0x5a, 0x4f], "lzo"),
        (&[0x02, 0x21, 0x4c, 0x18], "lz4"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
    ];
    MAGICS
        .iter()
        .find(|(magic, _)| segment.starts_with(magic))
        .map(|&(_, name)| name)
}

#[cfg(test)]
mod tests;
