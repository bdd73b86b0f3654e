//! One gzip member (RFC 1952), decoded as a stream: the header with its optional FEXTRA, FNAME,
//! FCOMMENT and FHCRC fields, a deflate body inflated by `miniz_oxide`'s core decompressor into a
//! 32 KiB wrapping window (the deflate dictionary size; each piece of output is handed on as soon
//! as it is made, so a member of any size takes the same memory), and the CRC-32 and ISIZE
//! trailer, which are both verified. Input may arrive in pieces of any size, down to one byte.
//!
//! Linux's `lib/decompress_inflate.c` skips only FNAME and does not check the trailer; here every
//! header field is understood and a corrupt member is reported at its end.

use alloc::vec::Vec;
use core::fmt;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{
    DecompressorOxide, TINFL_LZ_DICT_SIZE, decompress, inflate_flags,
};

use super::crc32::Crc32;

/// The two bytes every gzip member starts with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

const METHOD_DEFLATE: u8 = 8;
const FLAG_HCRC: u8 = 1 << 1;
const FLAG_EXTRA: u8 = 1 << 2;
const FLAG_NAME: u8 = 1 << 3;
const FLAG_COMMENT: u8 = 1 << 4;
const FLAGS_RESERVED: u8 = 0xe0;
/// ID1 ID2 CM FLG MTIME(4) XFL OS.
const FIXED_HEADER_LEN: usize = 10;
/// CRC32(4) ISIZE(4).
const TRAILER_LEN: usize = 8;
/// The inflate window: deflate's largest back-reference distance, a power of two as
/// `miniz_oxide` requires of a wrapping output buffer.
pub(super) const WINDOW_LEN: usize = TINFL_LZ_DICT_SIZE;

/// Why a gzip member could not be decompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GzipError {
    /// The input ends inside the member.
    Truncated,
    /// The compression method is not deflate (8).
    UnknownMethod(u8),
    /// Reserved flag bits are set, which RFC 1952 requires a decoder to reject.
    ReservedFlags(u8),
    /// The FHCRC header checksum does not match.
    HeaderChecksumMismatch,
    /// The deflate stream is corrupt.
    CorruptDeflate,
    /// The CRC-32 of the decompressed data does not match the trailer.
    ChecksumMismatch,
    /// The length of the decompressed data modulo 2^32 does not match the trailer's ISIZE.
    SizeMismatch,
    /// No memory for the decompressor's state and window.
    OutOfMemory,
}

impl fmt::Display for GzipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GzipError::Truncated => f.write_str("truncated gzip data"),
            GzipError::UnknownMethod(method) => write!(f, "unknown gzip method {method}"),
            GzipError::ReservedFlags(flags) => write!(f, "reserved gzip flags {flags:#x}"),
            GzipError::HeaderChecksumMismatch => f.write_str("gzip header checksum mismatch"),
            GzipError::CorruptDeflate => f.write_str("corrupt deflate data"),
            GzipError::ChecksumMismatch => f.write_str("gzip data checksum mismatch"),
            GzipError::SizeMismatch => f.write_str("gzip data size mismatch"),
            GzipError::OutOfMemory => f.write_str("out of memory while inflating"),
        }
    }
}

impl core::error::Error for GzipError {}

/// Why [`GzipDecoder::feed`] stopped: the member is bad, or the consumer of its output failed.
#[derive(Debug)]
pub(super) enum FeedError<X> {
    Gzip(GzipError),
    Output(X),
}

impl<X> From<GzipError> for FeedError<X> {
    fn from(error: GzipError) -> FeedError<X> {
        FeedError::Gzip(error)
    }
}

/// The part of the member the next input byte belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Fixed,
    ExtraLen,
    Extra,
    Name,
    Comment,
    HeaderCrc,
    Body,
    Trailer,
    Done,
}

/// The decoder's state between pieces of input; reused for every member of an image.
pub(super) struct GzipDecoder {
    step: Step,
    /// The bytes of the fixed-size field being collected (fixed header, XLEN, HCRC, trailer).
    field: [u8; FIXED_HEADER_LEN],
    field_len: usize,
    flags: u8,
    extra_left: usize,
    /// CRC-32 of the header bytes so far, for FHCRC.
    header_crc: Crc32,
    /// Exactly one decompressor (a `Vec` so that its allocation can fail cleanly).
    inflater: Vec<DecompressorOxide>,
    window: Vec<u8>,
    window_pos: usize,
    data_crc: Crc32,
    data_len: u32,
}

impl GzipDecoder {
    /// A decoder with its state and window allocated (about 43 KiB).
    pub(super) fn new() -> Result<GzipDecoder, GzipError> {
        let mut inflater = Vec::new();
        inflater
            .try_reserve_exact(1)
            .map_err(|_| GzipError::OutOfMemory)?;
        inflater.push(DecompressorOxide::new());
        let mut window = Vec::new();
        window
            .try_reserve_exact(WINDOW_LEN)
            .map_err(|_| GzipError::OutOfMemory)?;
        window.resize(WINDOW_LEN, 0);
        Ok(GzipDecoder {
            step: Step::Done,
            field: [0; FIXED_HEADER_LEN],
            field_len: 0,
            flags: 0,
            extra_left: 0,
            header_crc: Crc32::default(),
            inflater,
            window,
            window_pos: 0,
            data_crc: Crc32::default(),
            data_len: 0,
        })
    }

    /// The bytes held, for the tests of bounded memory.
    #[cfg(test)]
    pub(super) fn memory_held(&self) -> usize {
        self.window.capacity()
            + self.inflater.capacity() * core::mem::size_of::<DecompressorOxide>()
    }

    /// Starts a member whose two magic bytes ([`GZIP_MAGIC`]) were already read.
    pub(super) fn start_after_magic(&mut self) {
        self.step = Step::Fixed;
        self.field[..2].copy_from_slice(&GZIP_MAGIC);
        self.field_len = 2;
        self.flags = 0;
        self.extra_left = 0;
        self.header_crc = Crc32::default();
        self.header_crc.update(&GZIP_MAGIC);
        if let Some(inflater) = self.inflater.first_mut() {
            inflater.init();
        }
        self.window_pos = 0;
        self.data_crc = Crc32::default();
        self.data_len = 0;
    }

    /// Decodes the next bytes of the member, handing each piece of decompressed data to
    /// `output` in order. Returns how many bytes of `input` belong to the member (all of them
    /// unless it ended) and whether it ended, its trailer verified.
    pub(super) fn feed<X>(
        &mut self,
        input: &[u8],
        mut output: impl FnMut(&[u8]) -> Result<(), X>,
    ) -> Result<(usize, bool), FeedError<X>> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match self.step {
                Step::Fixed => {
                    used += self.collect(rest, FIXED_HEADER_LEN, true);
                    if self.field_len < FIXED_HEADER_LEN {
                        return Ok((used, false));
                    }
                    let method = self.field[2];
                    if method != METHOD_DEFLATE {
                        return Err(GzipError::UnknownMethod(method).into());
                    }
                    let flags = self.field[3];
                    if flags & FLAGS_RESERVED != 0 {
                        return Err(GzipError::ReservedFlags(flags).into());
                    }
                    self.flags = flags;
                    self.step = self.step_after(Step::Fixed);
                }
                Step::ExtraLen => {
                    used += self.collect(rest, 2, true);
                    if self.field_len < 2 {
                        return Ok((used, false));
                    }
                    self.extra_left =
                        usize::from(u16::from_le_bytes([self.field[0], self.field[1]]));
                    self.step = Step::Extra;
                }
                Step::Extra => {
                    let count = self.extra_left.min(rest.len());
                    self.header_crc.update(&rest[..count]);
                    self.extra_left -= count;
                    used += count;
                    if self.extra_left > 0 {
                        return Ok((used, false));
                    }
                    self.step = self.step_after(Step::Extra);
                }
                Step::Name | Step::Comment => {
                    let end = rest.iter().position(|&byte| byte == 0);
                    let count = end.map_or(rest.len(), |nul| nul + 1);
                    self.header_crc.update(&rest[..count]);
                    used += count;
                    if end.is_none() {
                        return Ok((used, false));
                    }
                    self.step = self.step_after(self.step);
                }
                Step::HeaderCrc => {
                    used += self.collect(rest, 2, false);
                    if self.field_len < 2 {
                        return Ok((used, false));
                    }
                    let stored = u16::from_le_bytes([self.field[0], self.field[1]]);
                    if stored != self.header_crc.value() as u16 {
                        return Err(GzipError::HeaderChecksumMismatch.into());
                    }
                    self.step = Step::Body;
                }
                Step::Body => {
                    let (count, is_done) = self.inflate(rest, &mut output)?;
                    used += count;
                    if !is_done {
                        return Ok((used, false));
                    }
                    self.step = Step::Trailer;
                    self.field_len = 0;
                }
                Step::Trailer => {
                    used += self.collect(rest, TRAILER_LEN, false);
                    if self.field_len < TRAILER_LEN {
                        return Ok((used, false));
                    }
                    let [c0, c1, c2, c3, s0, s1, s2, s3, ..] = self.field;
                    if u32::from_le_bytes([c0, c1, c2, c3]) != self.data_crc.value() {
                        return Err(GzipError::ChecksumMismatch.into());
                    }
                    if u32::from_le_bytes([s0, s1, s2, s3]) != self.data_len {
                        return Err(GzipError::SizeMismatch.into());
                    }
                    self.step = Step::Done;
                }
                Step::Done => return Ok((used, true)),
            }
        }
    }

    /// Copies bytes of a fixed-size field from `rest` until it has `len`; returns how many.
    fn collect(&mut self, rest: &[u8], len: usize, is_header: bool) -> usize {
        let count = len.saturating_sub(self.field_len).min(rest.len());
        self.field[self.field_len..self.field_len + count].copy_from_slice(&rest[..count]);
        self.field_len += count;
        if is_header {
            self.header_crc.update(&rest[..count]);
        }
        count
    }

    /// The header part that follows `step`, given the flags.
    fn step_after(&mut self, step: Step) -> Step {
        let order = [
            (Step::ExtraLen, FLAG_EXTRA),
            (Step::Name, FLAG_NAME),
            (Step::Comment, FLAG_COMMENT),
            (Step::HeaderCrc, FLAG_HCRC),
        ];
        let first_later = match step {
            Step::Fixed => 0,
            Step::Extra => 1,
            Step::Name => 2,
            Step::Comment => 3,
            _ => order.len(),
        };
        self.field_len = 0;
        order[first_later..]
            .iter()
            .find(|&&(_, flag)| self.flags & flag != 0)
            .map_or(Step::Body, |&(next, _)| next)
    }

    /// Inflates from `input` into the window, handing on each piece of output. Returns the
    /// input bytes used and whether the deflate stream ended.
    fn inflate<X>(
        &mut self,
        input: &[u8],
        output: &mut impl FnMut(&[u8]) -> Result<(), X>,
    ) -> Result<(usize, bool), FeedError<X>> {
        let inflater = self
            .inflater
            .first_mut()
            .ok_or(FeedError::Gzip(GzipError::OutOfMemory))?;
        let mut used = 0;
        loop {
            let (status, read, written) = decompress(
                inflater,
                &input[used..],
                &mut self.window,
                self.window_pos,
                inflate_flags::TINFL_FLAG_HAS_MORE_INPUT,
            );
            used += read;
            if written > 0 {
                let piece = &self.window[self.window_pos..self.window_pos + written];
                self.data_crc.update(piece);
                self.data_len = self.data_len.wrapping_add(written as u32);
                output(piece).map_err(FeedError::Output)?;
                self.window_pos = (self.window_pos + written) & (WINDOW_LEN - 1);
            }
            match status {
                TINFLStatus::Done => return Ok((used, true)),
                TINFLStatus::HasMoreOutput => {}
                TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress
                    if used == input.len() =>
                {
                    return Ok((used, false));
                }
                _ => return Err(GzipError::CorruptDeflate.into()),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;

    use super::*;
    use crate::initramfs::crc32::crc32;
    use alloc::vec;
    use miniz_oxide::deflate::compress_to_vec;

    /// Optional gzip header fields for building test members.
    #[derive(Default)]
    pub(crate) struct HeaderFields<'a> {
        pub extra: Option<&'a [u8]>,
        pub name: Option<&'a [u8]>,
        pub comment: Option<&'a [u8]>,
        pub header_crc: bool,
    }

    /// A gzip member of `data` with the given optional header fields.
    pub(crate) fn gzip_with(data: &[u8], fields: &HeaderFields<'_>) -> Vec<u8> {
        let mut flags = 0;
        flags |= if fields.extra.is_some() {
            FLAG_EXTRA
        } else {
            0
        };
        flags |= if fields.name.is_some() { FLAG_NAME } else { 0 };
        flags |= if fields.comment.is_some() {
            FLAG_COMMENT
        } else {
            0
        };
        flags |= if fields.header_crc { FLAG_HCRC } else { 0 };
        let mut out = vec![0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3];
        if let Some(extra) = fields.extra {
            out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            out.extend_from_slice(extra);
        }
        for text in [fields.name, fields.comment].into_iter().flatten() {
            out.extend_from_slice(text);
            out.push(0);
        }
        if fields.header_crc {
            let crc = crc32(&out) as u16;
            out.extend_from_slice(&crc.to_le_bytes());
        }
        out.extend_from_slice(&compress_to_vec(data, 6));
        out.extend_from_slice(&crc32(data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    /// A plain gzip member of `data`.
    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        gzip_with(data, &HeaderFields::default())
    }

    /// A decompressed member and how many input bytes it took, trailer included.
    #[derive(Debug, PartialEq, Eq)]
    struct Member {
        data: Vec<u8>,
        compressed_len: usize,
    }

    /// Decodes the member at the start of `input` fed `piece` bytes at a time; the largest piece
    /// of output must fit the window.
    fn inflate_in_pieces(input: &[u8], piece: usize) -> Result<Member, GzipError> {
        let Some(body) = input.strip_prefix(&GZIP_MAGIC) else {
            return Err(GzipError::Truncated);
        };
        let mut decoder = GzipDecoder::new()?;
        decoder.start_after_magic();
        let mut data = Vec::new();
        let mut used = GZIP_MAGIC.len();
        for chunk in body.chunks(piece.max(1)) {
            let fed = decoder.feed(chunk, |out: &[u8]| {
                assert!(out.len() <= WINDOW_LEN);
                data.extend_from_slice(out);
                Ok::<(), ()>(())
            });
            let (count, is_done) = match fed {
                Ok(progress) => progress,
                Err(FeedError::Gzip(error)) => return Err(error),
                Err(FeedError::Output(())) => unreachable!(),
            };
            used += count;
            if is_done {
                return Ok(Member {
                    data,
                    compressed_len: used,
                });
            }
            assert_eq!(count, chunk.len());
        }
        Err(GzipError::Truncated)
    }

    /// Decodes the member at the start of `input` in pieces of 1, 7, 4096 bytes and whole; all
    /// must agree.
    fn inflate_member(input: &[u8]) -> Result<Member, GzipError> {
        let whole = inflate_in_pieces(input, input.len());
        for piece in [1, 7, 4096] {
            assert_eq!(inflate_in_pieces(input, piece), whole, "pieces of {piece}");
        }
        whole
    }

    fn sample_data() -> Vec<u8> {
        (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn inflates_a_plain_member_and_reports_its_length() {
        let data = sample_data();
        let mut input = gzip(&data);
        let member_len = input.len();
        input.extend_from_slice(b"\0\0\0\0after");
        let member = inflate_member(&input).unwrap();
        assert_eq!(member.data, data);
        assert_eq!(member.compressed_len, member_len);
    }

    #[test]
    fn skips_optional_header_fields() {
        let data = b"hello, initramfs".repeat(100);
        let fields = HeaderFields {
            extra: Some(b"AB\x02\x00xy"),
            name: Some(b"initrd.cpio"),
            comment: Some(b"a comment"),
            header_crc: true,
        };
        let input = gzip_with(&data, &fields);
        let member = inflate_member(&input).unwrap();
        assert_eq!(member.data, data);
        assert_eq!(member.compressed_len, input.len());
    }

    #[test]
    fn rejects_corruption() {
        let data = sample_data();
        let good = gzip(&data);

        let mut method = good.clone();
        method[2] = 7;
        assert_eq!(inflate_member(&method), Err(GzipError::UnknownMethod(7)));

        let mut reserved = good.clone();
        reserved[3] = 0x20;
        assert_eq!(
            inflate_member(&reserved),
            Err(GzipError::ReservedFlags(0x20))
        );

        let mut crc = good.clone();
        let crc_at = crc.len() - 8;
        crc[crc_at] ^= 1;
        assert_eq!(inflate_member(&crc), Err(GzipError::ChecksumMismatch));

        let mut size = good.clone();
        let size_at = size.len() - 4;
        size[size_at] ^= 1;
        assert_eq!(inflate_member(&size), Err(GzipError::SizeMismatch));

        let mut header_crc = gzip_with(
            &data,
            &HeaderFields {
                name: Some(b"x"),
                header_crc: true,
                ..HeaderFields::default()
            },
        );
        header_crc[4] ^= 1; // MTIME is covered by the header CRC.
        assert_eq!(
            inflate_member(&header_crc),
            Err(GzipError::HeaderChecksumMismatch)
        );

        let mut body = good.clone();
        body[12] = 0xff; // An invalid block type inside the deflate stream.
        body[10] = 0xff;
        assert!(inflate_member(&body).is_err());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let data = b"truncate me ".repeat(50);
        let input = gzip_with(
            &data,
            &HeaderFields {
                extra: Some(b"xx"),
                name: Some(b"n"),
                comment: Some(b"c"),
                header_crc: true,
            },
        );
        for len in 0..input.len() {
            assert!(inflate_member(&input[..len]).is_err(), "len {len}");
        }
        assert!(inflate_member(&input).is_ok());
    }

    #[test]
    fn reads_output_of_host_gzip() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let data = sample_data();
        let Ok(mut child) = Command::new("gzip")
            .args(["-9", "-c", "-n"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            std::eprintln!("gzip not installed; skipping");
            return;
        };
        let mut stdin = child.stdin.take().unwrap();
        let input_data = data.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&input_data).unwrap());
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(output.status.success());
        let member = inflate_member(&output.stdout).unwrap();
        assert_eq!(member.data, data);
        assert_eq!(member.compressed_len, output.stdout.len());
    }
}
