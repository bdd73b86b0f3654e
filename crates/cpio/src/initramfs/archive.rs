//! The record parser of Linux's `init/initramfs.c`, fed a byte stream in pieces of any size.
//!
//! Linux's states map onto ours: `Start`/`Collect`/`GotHeader` is [`State::Header`] (the 110
//! header bytes are collected, even across pieces, then decoded); `GotName` is [`State::Name`]
//! and [`State::NamePadding`]; `GotSymlink` is [`State::Target`]; `CopyFile` is
//! [`State::Data`]; `SkipIt` is [`State::Skip`]; `Reset` is [`State::Reset`]. Only the header,
//! the name and a symlink's target are buffered (each at most `PATH_MAX` bytes, in one buffer
//! allocated up front); file data goes to the [`Sink`] in the pieces it arrives in.
//!
//! As in Linux's `do_header`, a record is skipped (its bytes counted, nothing created) when its
//! `c_namesize` is 0 or above `PATH_MAX`, when it is a symlink whose target is longer than
//! `PATH_MAX`, or when it is neither a regular file nor a symlink and carries data. The record
//! named `TRAILER!!!` creates nothing and ends the hard-link groups. Between records, zero bytes
//! are skipped; the next record must then start at a multiple of four ("broken padding"
//! otherwise). Positions count from the start of the stream, which is the image for an
//! uncompressed archive and a gzip member's decompressed data for a compressed one.

use alloc::vec::Vec;

use super::hard_links::{HardLinks, LinkInfo};
use super::{Sink, UnpackedEntry};
use crate::header::{HEADER_LEN, Header};
use crate::mode::{S_IFLNK, S_IFMT, S_IFREG};
use crate::{CpioError, PATH_MAX, TRAILER_NAME};

/// Room for the longest name Linux creates (`c_namesize` up to `PATH_MAX`, NUL included) and the
/// longest symlink target (`PATH_MAX` bytes).
const BUFFER_LEN: usize = 2 * PATH_MAX;

/// Why the stream cannot go on.
#[derive(Debug)]
pub(super) enum ArchiveError<E> {
    Cpio(CpioError),
    /// Zero padding between records ends at `offset`, which is not a multiple of four.
    BrokenPadding {
        offset: usize,
    },
    OutOfMemory,
    Sink(E),
}

/// How far a piece of input went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fed {
    /// Every byte was taken.
    All,
    /// Between records, the byte after this many is neither padding nor the start of a record:
    /// another segment (uncompressed image) or junk (decompressed data). It was not taken.
    Stopped(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between records: zero padding, then `0` starts a record.
    Reset,
    /// Collecting the 110-byte header.
    Header,
    /// Collecting the `c_namesize` bytes of the name.
    Name,
    /// Skipping the padding after the name.
    NamePadding,
    /// Collecting a symlink's target.
    Target,
    /// Handing a regular file's data to the sink.
    Data,
    /// Skipping the rest of the record, up to the next four-byte boundary.
    Skip,
}

/// What is done with the current record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Created after its name is read (regular files get their data after).
    Created,
    /// Created after its target is read.
    Symlink,
    /// Skipped, as Linux skips it.
    Skipped,
}

/// The parser's state between pieces of input.
pub(super) struct Archive {
    state: State,
    /// Position of the next byte in the stream.
    position: u64,
    record_start: u64,
    header_bytes: [u8; HEADER_LEN],
    header_len: usize,
    header: Header,
    kind: Kind,
    name_end: u64,
    data_start: u64,
    data_end: u64,
    next_record: u64,
    /// The stored name (`c_namesize` bytes), then a symlink's target.
    buffer: Vec<u8>,
    /// Sum of the data bytes, for the crc format's `c_check`.
    sum: u32,
    hard_links: HardLinks,
}

impl Archive {
    /// A parser between records, with its name buffer allocated.
    pub(super) fn new() -> Option<Archive> {
        let mut buffer = Vec::new();
        buffer.try_reserve_exact(BUFFER_LEN).ok()?;
        Some(Archive {
            state: State::Reset,
            position: 0,
            record_start: 0,
            header_bytes: [0; HEADER_LEN],
            header_len: 0,
            header: Header::default(),
            kind: Kind::Skipped,
            name_end: 0,
            data_start: 0,
            data_end: 0,
            next_record: 0,
            buffer,
            sum: 0,
            hard_links: HardLinks::default(),
        })
    }

    /// Whether the parser is between records (so a stream may end here).
    pub(super) fn is_between_records(&self) -> bool {
        self.state == State::Reset
    }

    /// Where the record being read started.
    pub(super) fn record_start(&self) -> usize {
        to_usize(self.record_start)
    }

    /// The position of the next byte in the stream.
    pub(super) fn position(&self) -> usize {
        to_usize(self.position)
    }

    /// Goes on between records at `position` of another stream (a new segment).
    pub(super) fn resume_at(&mut self, position: u64) {
        debug_assert!(self.is_between_records());
        self.position = position;
    }

    /// The bytes held in buffers, for the tests of bounded memory.
    #[cfg(test)]
    pub(super) fn memory_held(&self) -> usize {
        self.buffer.capacity() + self.hard_links.memory_held()
    }

    /// Takes the next bytes of the stream.
    pub(super) fn feed<S: Sink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<Fed, ArchiveError<S::Error>> {
        let mut rest = input;
        loop {
            match self.state {
                State::Reset => {
                    let zeros = rest.iter().take_while(|&&byte| byte == 0).count();
                    rest = self.take(rest, zeros);
                    let Some(&byte) = rest.first() else {
                        return Ok(Fed::All);
                    };
                    if !self.position.is_multiple_of(4) {
                        return Err(ArchiveError::BrokenPadding {
                            offset: to_usize(self.position),
                        });
                    }
                    if byte != b'0' {
                        return Ok(Fed::Stopped(input.len() - rest.len()));
                    }
                    self.record_start = self.position;
                    self.header_len = 0;
                    self.state = State::Header;
                }
                State::Header => {
                    let count = (HEADER_LEN - self.header_len).min(rest.len());
                    self.header_bytes[self.header_len..self.header_len + count]
                        .copy_from_slice(&rest[..count]);
                    self.header_len += count;
                    rest = self.take(rest, count);
                    if self.header_len < HEADER_LEN {
                        return Ok(Fed::All);
                    }
                    self.start_record().map_err(ArchiveError::Cpio)?;
                }
                State::Name | State::Target => {
                    let end = if self.state == State::Name {
                        self.name_end
                    } else {
                        self.data_end
                    };
                    let count = self.count_until(end, rest);
                    // Bounded by BUFFER_LEN, reserved in `new`: no allocation.
                    self.buffer.extend_from_slice(&rest[..count]);
                    rest = self.take(rest, count);
                    if self.position < end {
                        return Ok(Fed::All);
                    }
                    if self.state == State::Name {
                        self.state = State::NamePadding;
                    } else {
                        self.create_symlink(sink)?;
                        self.state = State::Skip;
                    }
                }
                State::NamePadding => {
                    let count = self.count_until(self.data_start, rest);
                    rest = self.take(rest, count);
                    if self.position < self.data_start {
                        return Ok(Fed::All);
                    }
                    self.after_name(sink)?;
                }
                State::Data => {
                    let count = self.count_until(self.data_end, rest);
                    let (data, after) = rest.split_at(count);
                    if count > 0 {
                        if self.header.has_checksum {
                            self.sum = data
                                .iter()
                                .fold(self.sum, |sum, &byte| sum.wrapping_add(u32::from(byte)));
                        }
                        sink.write(data).map_err(ArchiveError::Sink)?;
                    }
                    self.position += count as u64;
                    rest = after;
                    if self.position < self.data_end {
                        return Ok(Fed::All);
                    }
                    if self.header.has_checksum && self.sum != self.header.check {
                        return Err(ArchiveError::Cpio(CpioError::ChecksumMismatch {
                            offset: to_usize(self.record_start),
                        }));
                    }
                    sink.finish_file().map_err(ArchiveError::Sink)?;
                    self.state = State::Skip;
                }
                State::Skip => {
                    let count = self.count_until(self.next_record, rest);
                    rest = self.take(rest, count);
                    if self.position < self.next_record {
                        return Ok(Fed::All);
                    }
                    self.state = State::Reset;
                }
            }
        }
    }

    /// Moves past the first `count` bytes of `rest`; returns the others.
    fn take<'a>(&mut self, rest: &'a [u8], count: usize) -> &'a [u8] {
        self.position += count as u64;
        &rest[count..]
    }

    /// How many bytes of `rest` lie before `end`.
    fn count_until(&self, end: u64, rest: &[u8]) -> usize {
        let wanted = end.saturating_sub(self.position);
        usize::try_from(wanted).map_or(rest.len(), |wanted| wanted.min(rest.len()))
    }

    /// Decodes the collected header and decides what to do with the record (Linux's
    /// `do_header`).
    fn start_record(&mut self) -> Result<(), CpioError> {
        let offset = to_usize(self.record_start);
        self.header = Header::parse(&self.header_bytes, offset)?;
        let namesize = u64::from(self.header.namesize);
        let filesize = u64::from(self.header.filesize);
        self.name_end = self.position + namesize;
        self.data_start = align4(self.name_end);
        self.data_end = self.data_start + filesize;
        self.next_record = align4(self.data_end);
        self.buffer.clear();
        self.sum = 0;
        let max = PATH_MAX as u64;
        let file_type = self.header.mode & S_IFMT;
        self.kind = if namesize == 0 || namesize > max {
            Kind::Skipped
        } else if file_type == S_IFLNK {
            if filesize > max {
                Kind::Skipped
            } else {
                Kind::Symlink
            }
        } else if file_type == S_IFREG || filesize == 0 {
            Kind::Created
        } else {
            Kind::Skipped
        };
        self.state = if self.kind == Kind::Skipped {
            State::Skip
        } else {
            State::Name
        };
        Ok(())
    }

    /// The name as Linux reads it: up to its first NUL, which must be there.
    fn name_len(&self) -> Result<usize, CpioError> {
        let stored = self
            .buffer
            .get(..self.header.namesize as usize)
            .unwrap_or_default();
        match stored.last() {
            Some(0) => Ok(stored.iter().position(|&byte| byte == 0).unwrap_or(0)),
            _ => Err(CpioError::BadName {
                offset: to_usize(self.record_start),
            }),
        }
    }

    /// The name and its padding are read (Linux's `do_name`, or the start of `GotSymlink`).
    fn after_name<S: Sink>(&mut self, sink: &mut S) -> Result<(), ArchiveError<S::Error>> {
        let name_len = self.name_len().map_err(ArchiveError::Cpio)?;
        if self.kind == Kind::Symlink {
            self.state = State::Target;
            return Ok(());
        }
        let name = &self.buffer[..name_len];
        if name == TRAILER_NAME {
            self.hard_links.clear();
            self.state = State::Skip;
            return Ok(());
        }
        let header = self.header;
        let hard_link_to = self
            .hard_links
            .resolve(
                LinkInfo {
                    ino: header.ino,
                    mode: header.mode,
                    nlink: header.nlink,
                    dev_major: header.dev_major,
                    dev_minor: header.dev_minor,
                },
                name,
            )
            .map_err(|_| ArchiveError::OutOfMemory)?;
        let entry = UnpackedEntry::new(&header, name, b"", hard_link_to);
        sink.create(&entry).map_err(ArchiveError::Sink)?;
        self.state = if header.mode & S_IFMT == S_IFREG {
            State::Data
        } else {
            State::Skip
        };
        Ok(())
    }

    /// The target is read: create the symlink (Linux's `do_symlink`; the target, like the name,
    /// ends at its first NUL).
    fn create_symlink<S: Sink>(&mut self, sink: &mut S) -> Result<(), ArchiveError<S::Error>> {
        let name_len = self.name_len().map_err(ArchiveError::Cpio)?;
        let namesize = self.header.namesize as usize;
        let name = &self.buffer[..name_len];
        let stored_target = self.buffer.get(namesize..).unwrap_or_default();
        let target_len = stored_target
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(stored_target.len());
        let entry = UnpackedEntry::new(&self.header, name, &stored_target[..target_len], None);
        sink.create(&entry).map_err(ArchiveError::Sink)
    }
}

/// Rounds up to a multiple of four.
fn align4(position: u64) -> u64 {
    position.next_multiple_of(4)
}

/// A stream position as an error offset.
fn to_usize(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}
