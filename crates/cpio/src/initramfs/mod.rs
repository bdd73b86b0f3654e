//! Unpacking an initramfs image as a stream, the way Linux's `init/initramfs.c`
//! (`unpack_to_rootfs`) does.
//!
//! # Image layout
//!
//! An image is a sequence of segments. A segment that starts with the newc magic's `0` at an
//! offset that is a multiple of four is uncompressed: cpio records follow one another, separated
//! by zero padding, until a byte that is neither padding nor a record starts the next segment. A
//! segment that starts with the gzip magic is a gzip member whose decompressed contents are cpio
//! records and zero padding. NUL bytes between segments are skipped. After an uncompressed
//! record the padding must end at a multiple of four (Linux: "broken padding"); inside a
//! decompressed member anything but padding and records is an error ("junk within compressed
//! archive"), as is a member that ends inside a record ("junk at the end of compressed
//! archive"). Other compression methods are recognised by their two-byte magic, as Linux's
//! `decompress_method` does, and reported as not configured (Debian's Linux has them all).
//! `TRAILER!!!` records end hard-link groups; they do not end the image.
//!
//! # Streaming
//!
//! [`Unpacker::feed`] takes the image in pieces of any size, down to one byte, and
//! [`Unpacker::finish`] ends it. Nothing grows with the image or with a file:
//!
//! - the cpio parser (`archive.rs`, Linux's state machine) collects a header, a name and a
//!   symlink target across pieces in buffers allocated once (names and targets are at most
//!   `PATH_MAX` bytes); file data is never collected;
//! - a gzip member (`gzip.rs`) is inflated into a 32 KiB wrapping window, and each piece of
//!   output goes straight to the parser; the CRC-32 and size in the trailer are checked
//!   incrementally;
//! - the hard-link table keeps one name per group until the next trailer, as Linux's does.
//!
//! Entries go to a [`Sink`] in archive order: [`Sink::create`] with the entry's metadata, then,
//! for a regular file, its data in order through [`Sink::write`] (each piece is a slice of the
//! input or of the window, never a whole file) and [`Sink::finish_file`] once it is complete.
//! An error stops unpacking; what the sink created before stays, as in Linux, and the caller
//! logs the error (Linux: "Initramfs unpacking failed: …").
//!
//! # What the sink does (Linux's `do_name`, `do_copy` and `do_symlink`)
//!
//! Like Linux, entries are not handed over when their `c_namesize` is 0 or above `PATH_MAX`,
//! when a symlink target is longer than `PATH_MAX`, or when an entry that is neither a regular
//! file nor a symlink carries data.
//!
//! - [`UnpackedEntry::hard_link_to`] is `None`: create the entry (replacing what is at its path
//!   unless both are directories), with its mode and owner; a regular file is truncated to
//!   [`UnpackedEntry::size`] before its data arrives; its modification time is set once the data
//!   is written, a directory's after the whole image (`dir_utime`).
//! - it is `Some(first)`: the entry belongs to the hard-link group whose first member, created
//!   earlier, is named `first`. Remove what is at the entry's path and make it a hard link to
//!   `first`; for a regular file, then apply the mode and owner to the shared inode and, if the
//!   entry has data, set the file's size to the data's length and write the data at offset 0
//!   (GNU cpio stores the group's data on its last member only).
//!
//! # Differences from Linux
//!
//! - The gzip trailer's CRC-32 and ISIZE are verified (Linux skips them), and every optional
//!   gzip header field is understood (Linux skips only FNAME).
//! - Zero bytes at the start of a gzip member's data are padding (Linux parses them as a header
//!   when the member is the image's first segment).
//! - An uncompressed image that ends inside a record is, as in Linux, not an error: the file
//!   being written keeps the size its header gave it.

mod archive;
mod crc32;
mod gzip;
mod hard_links;
mod path;

use core::fmt;

pub use gzip::GzipError;
pub use path::ResolvedName;

use crate::entry::FileType;
use crate::header::Header;
use crate::{CpioError, mode};
use archive::{Archive, ArchiveError, Fed};
use gzip::{FeedError, GZIP_MAGIC, GzipDecoder};

/// An entry to create, with its hard-link information. Regular files get their data afterwards,
/// through [`Sink::write`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpackedEntry<'a> {
    /// The path as stored, without the terminating NUL (for example `b"bin/busybox"` or
    /// `b"./x"`). Like Linux, the name ends at its first NUL byte.
    pub name: &'a [u8],
    /// Inode number, used to recognise hard links.
    pub ino: u32,
    /// The full `st_mode`: file-type bits ([`mode::S_IFMT`]) and permission bits.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Link count; above 1 for a member of a hard-link group.
    pub nlink: u32,
    /// Modification time in seconds since the epoch.
    pub mtime: u32,
    /// Major number of the device that held the file.
    pub dev_major: u32,
    /// Minor number of the device that held the file.
    pub dev_minor: u32,
    /// Major number of a character or block device node.
    pub rdev_major: u32,
    /// Minor number of a character or block device node.
    pub rdev_minor: u32,
    /// For a regular file, how many data bytes follow through [`Sink::write`]; 0 otherwise.
    pub size: u32,
    /// For a symbolic link, its target (up to its first NUL); empty otherwise.
    pub symlink_target: &'a [u8],
    /// For a later member of a hard-link group, the name of the group's first member, which the
    /// sink created before; see the module documentation.
    pub hard_link_to: Option<&'a [u8]>,
}

impl<'a> UnpackedEntry<'a> {
    fn new(
        header: &Header,
        name: &'a [u8],
        symlink_target: &'a [u8],
        hard_link_to: Option<&'a [u8]>,
    ) -> UnpackedEntry<'a> {
        let is_regular = header.mode & mode::S_IFMT == mode::S_IFREG;
        UnpackedEntry {
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
            size: if is_regular { header.filesize } else { 0 },
            symlink_target,
            hard_link_to,
        }
    }

    /// The file type from the mode's type bits.
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }

    /// The permission bits (including set-uid, set-gid and sticky) without the type bits.
    pub fn permissions(&self) -> u32 {
        self.mode & mode::PERMISSION_MASK
    }
}

/// Where unpacked entries go (the root file system, in a kernel).
pub trait Sink {
    /// Why the sink failed; unpacking stops with [`UnpackError::Sink`].
    type Error;

    /// Creates `entry`; see the module documentation. For a regular file, its data follows.
    fn create(&mut self, entry: &UnpackedEntry<'_>) -> Result<(), Self::Error>;

    /// The next piece of the data of the regular file created last, in order.
    fn write(&mut self, data: &[u8]) -> Result<(), Self::Error>;

    /// The regular file created last has all its data.
    fn finish_file(&mut self) -> Result<(), Self::Error>;
}

/// Why an image could not be unpacked. `E` is the sink's error type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpackError<E> {
    /// A malformed record. Its offsets count from the start of the image, or, when
    /// `gzip_segment_offset` is set, from the start of that gzip member's decompressed data.
    Cpio {
        /// Offset in the image of the gzip member that held the record, if any.
        gzip_segment_offset: Option<usize>,
        /// What is wrong with the record.
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
    /// Zero padding after a record is not a multiple of four bytes (Linux: "broken padding").
    BrokenPadding {
        /// Offset in the image of the gzip member, when the padding is in decompressed data.
        gzip_segment_offset: Option<usize>,
        /// Offset of the first byte after the padding.
        offset: usize,
    },
    /// Decompressed data holds something other than records and padding (Linux: "junk within
    /// compressed archive").
    JunkInCompressedArchive {
        /// Offset of the gzip member in the image.
        segment_offset: usize,
        /// Offset of the junk in the decompressed data.
        offset: usize,
    },
    /// No memory for the unpacker's buffers or the hard-link table.
    OutOfMemory,
    /// The sink failed; unpacking stopped there (Linux: "write error").
    Sink(E),
    /// [`Unpacker::feed`] was called again after it failed.
    AlreadyFailed,
}

impl<E: fmt::Display> fmt::Display for UnpackError<E> {
    /// Linux's message first, then what Ferrux knows more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gzip_context = |f: &mut fmt::Formatter<'_>, segment: &Option<usize>| match segment {
            Some(segment) => write!(f, " in the gzip member at {segment}"),
            None => Ok(()),
        };
        match self {
            UnpackError::Cpio {
                gzip_segment_offset,
                error,
            } => {
                let (linux, detail) = match error {
                    CpioError::BadMagic { .. } => ("no cpio magic", "record"),
                    CpioError::OdcFormat { .. } => {
                        ("incorrect cpio method used: use -H newc option", "record")
                    }
                    CpioError::ChecksumMismatch { .. } => ("bad data checksum", "record"),
                    CpioError::Truncated { .. } => {
                        ("junk at the end of compressed archive", "record cut short")
                    }
                    CpioError::BadHexField { .. } => ("bad cpio header", "bad hex field in record"),
                    CpioError::BadName { .. } => ("bad cpio header", "name without NUL in record"),
                };
                write!(f, "{linux} ({detail} at {}", error.offset())?;
                gzip_context(f, gzip_segment_offset)?;
                f.write_str(")")
            }
            UnpackError::Gzip {
                segment_offset,
                error,
            } => {
                let linux = match error {
                    GzipError::Truncated => "read error",
                    GzipError::CorruptDeflate => "uncompression error",
                    GzipError::UnknownMethod(_) => "Not a gzip file",
                    GzipError::OutOfMemory => "Out of memory while allocating output buffer",
                    _ => "decompressor failed",
                };
                write!(
                    f,
                    "{linux} ({error} in the gzip member at {segment_offset})"
                )
            }
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
            UnpackError::BrokenPadding {
                gzip_segment_offset,
                offset,
            } => {
                write!(f, "broken padding (before {offset}")?;
                gzip_context(f, gzip_segment_offset)?;
                f.write_str(")")
            }
            UnpackError::JunkInCompressedArchive {
                segment_offset,
                offset,
            } => write!(
                f,
                "junk within compressed archive (at {offset} in the gzip member at \
                 {segment_offset})"
            ),
            UnpackError::OutOfMemory => f.write_str("out of memory"),
            UnpackError::Sink(error) => write!(f, "write error ({error})"),
            UnpackError::AlreadyFailed => f.write_str("unpacking already failed"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for UnpackError<E> {}

/// No memory for the unpacker's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of memory")
    }
}

impl core::error::Error for OutOfMemory {}

impl<E> From<OutOfMemory> for UnpackError<E> {
    fn from(_: OutOfMemory) -> UnpackError<E> {
        UnpackError::OutOfMemory
    }
}

/// Where in the image the next byte is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    /// Between segments (zero bytes are skipped).
    Between,
    /// The first byte of a compressed segment's magic was read; it started at `image_offset - 1`.
    Magic(u8),
    /// In an uncompressed segment.
    Uncompressed,
    /// In a gzip member that starts at this offset.
    Gzip(usize),
    /// An error was returned.
    Failed,
}

/// An initramfs image being unpacked; see the module documentation.
pub struct Unpacker {
    segment: Segment,
    /// Offset in the image of the next byte.
    image_offset: usize,
    archive: Archive,
    /// Made at the first gzip member.
    gzip: Option<GzipDecoder>,
}

impl Unpacker {
    /// An unpacker at the start of an image, with its parser's buffers allocated (8 KiB; a gzip
    /// member adds 43 KiB).
    pub fn new() -> Result<Unpacker, OutOfMemory> {
        Ok(Unpacker {
            segment: Segment::Between,
            image_offset: 0,
            archive: Archive::new().ok_or(OutOfMemory)?,
            gzip: None,
        })
    }

    /// Unpacks the next `input` bytes of the image into `sink`. After an error, further calls
    /// return [`UnpackError::AlreadyFailed`].
    pub fn feed<S: Sink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<(), UnpackError<S::Error>> {
        let result = self.feed_inner(input, sink);
        if result.is_err() {
            self.segment = Segment::Failed;
        }
        result
    }

    /// Ends the image that went to `sink`: an error if it stops inside a compressed segment or
    /// its magic.
    pub fn finish<S: Sink>(self, _sink: &mut S) -> Result<(), UnpackError<S::Error>> {
        match self.segment {
            Segment::Between | Segment::Uncompressed => Ok(()),
            Segment::Magic(_) => Err(UnpackError::InvalidMagic {
                offset: self.image_offset - 1,
            }),
            Segment::Gzip(segment_offset) => Err(UnpackError::Gzip {
                segment_offset,
                error: GzipError::Truncated,
            }),
            Segment::Failed => Err(UnpackError::AlreadyFailed),
        }
    }

    fn feed_inner<S: Sink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<(), UnpackError<S::Error>> {
        if self.segment == Segment::Failed {
            return Err(UnpackError::AlreadyFailed);
        }
        let mut rest = input;
        while let Some(&byte) = rest.first() {
            match self.segment {
                Segment::Between => {
                    if byte == 0 {
                        let zeros = rest.iter().take_while(|&&byte| byte == 0).count();
                        rest = self.take(rest, zeros);
                    } else if byte == b'0' && self.image_offset.is_multiple_of(4) {
                        self.archive.resume_at(self.image_offset as u64);
                        self.segment = Segment::Uncompressed;
                    } else {
                        rest = self.take(rest, 1);
                        self.segment = Segment::Magic(byte);
                    }
                }
                Segment::Magic(first) => {
                    let segment_offset = self.image_offset - 1;
                    if [first, byte] != GZIP_MAGIC {
                        return Err(match compression_method([first, byte]) {
                            Some(method) => UnpackError::UnsupportedCompression {
                                segment_offset,
                                method,
                            },
                            None => UnpackError::InvalidMagic {
                                offset: segment_offset,
                            },
                        });
                    }
                    rest = self.take(rest, 1);
                    let decoder = match &mut self.gzip {
                        Some(decoder) => decoder,
                        None => self.gzip.insert(GzipDecoder::new().map_err(|error| {
                            UnpackError::Gzip {
                                segment_offset,
                                error,
                            }
                        })?),
                    };
                    decoder.start_after_magic();
                    self.archive.resume_at(0);
                    self.segment = Segment::Gzip(segment_offset);
                }
                Segment::Uncompressed => {
                    let fed = self
                        .archive
                        .feed(rest, sink)
                        .map_err(|error| from_archive(error, None))?;
                    match fed {
                        Fed::All => rest = self.take(rest, rest.len()),
                        Fed::Stopped(count) => {
                            rest = self.take(rest, count);
                            self.segment = Segment::Between;
                        }
                    }
                }
                Segment::Gzip(segment_offset) => {
                    let count = self.feed_gzip(segment_offset, rest, sink)?;
                    rest = self.take(rest, count);
                }
                Segment::Failed => return Err(UnpackError::AlreadyFailed),
            }
        }
        Ok(())
    }

    /// The bytes the unpacker holds in buffers, for the tests of bounded memory.
    #[cfg(test)]
    fn memory_held(&self) -> usize {
        self.archive.memory_held() + self.gzip.as_ref().map_or(0, GzipDecoder::memory_held)
    }

    /// Moves past the first `count` bytes of `rest`; returns the others.
    fn take<'a>(&mut self, rest: &'a [u8], count: usize) -> &'a [u8] {
        self.image_offset += count;
        &rest[count..]
    }

    /// Feeds `input` to the gzip member at `segment_offset` and its output to the parser;
    /// returns how many bytes of `input` the member took (all unless it ended).
    fn feed_gzip<S: Sink>(
        &mut self,
        segment_offset: usize,
        input: &[u8],
        sink: &mut S,
    ) -> Result<usize, UnpackError<S::Error>> {
        let Some(decoder) = self.gzip.as_mut() else {
            return Err(UnpackError::OutOfMemory);
        };
        let archive = &mut self.archive;
        let fed = decoder.feed(input, |output: &[u8]| match archive.feed(output, sink) {
            Ok(Fed::All) => Ok(()),
            Ok(Fed::Stopped(_)) => Err(UnpackError::JunkInCompressedArchive {
                segment_offset,
                offset: archive.position(),
            }),
            Err(error) => Err(from_archive(error, Some(segment_offset))),
        });
        let (count, is_done) = fed.map_err(|error| match error {
            FeedError::Gzip(error) => UnpackError::Gzip {
                segment_offset,
                error,
            },
            FeedError::Output(error) => error,
        })?;
        if is_done {
            if !self.archive.is_between_records() {
                return Err(UnpackError::Cpio {
                    gzip_segment_offset: Some(segment_offset),
                    error: CpioError::Truncated {
                        offset: self.archive.record_start(),
                    },
                });
            }
            self.segment = Segment::Between;
        }
        Ok(count)
    }
}

/// Unpacks a whole image held in memory into `sink`; see the module documentation.
pub fn unpack<S: Sink>(image: &[u8], sink: &mut S) -> Result<(), UnpackError<S::Error>> {
    let mut unpacker = Unpacker::new()?;
    unpacker.feed(image, sink)?;
    unpacker.finish(sink)
}

/// An error of the parser, in the segment it happened in.
fn from_archive<E>(error: ArchiveError<E>, gzip_segment_offset: Option<usize>) -> UnpackError<E> {
    match error {
        ArchiveError::Cpio(error) => UnpackError::Cpio {
            gzip_segment_offset,
            error,
        },
        ArchiveError::BrokenPadding { offset } => UnpackError::BrokenPadding {
            gzip_segment_offset,
            offset,
        },
        ArchiveError::OutOfMemory => UnpackError::OutOfMemory,
        ArchiveError::Sink(error) => UnpackError::Sink(error),
    }
}

/// The compression method of a segment's first two bytes, from Linux's `lib/decompress.c` table
/// (gzip is handled by the caller).
fn compression_method(magic: [u8; 2]) -> Option<&'static str> {
    const MAGICS: &[([u8; 2], &str)] = &[
        ([0x1f, 0x9e], "gzip"),
        ([0x42, 0x5a], "bzip2"),
        ([0x5d, 0x00], "lzma"),
        ([0xfd, 0x37], "xz"),
        ([0x89, 0x4c], "lzo"),
        ([0x02, 0x21], "lz4"),
        ([0x28, 0xb5], "zstd"),
    ];
    MAGICS
        .iter()
        .find(|(known, _)| *known == magic)
        .map(|&(_, name)| name)
}

#[cfg(test)]
mod tests;
