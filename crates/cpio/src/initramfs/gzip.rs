//! One gzip member (RFC 1952): the header with its optional FEXTRA, FNAME, FCOMMENT and FHCRC
//! fields, a deflate body inflated with `miniz_oxide`, and the CRC-32 and ISIZE trailer, which are
//! both verified (Linux's `lib/decompress_inflate.c` skips that check).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

use super::crc32::crc32;

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
/// First size of the output buffer when the input is tiny.
const MIN_OUTPUT_LEN: usize = 64 * 1024;

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
    /// No memory for the decompressed data.
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

/// A decompressed gzip member.
#[derive(Debug, PartialEq, Eq)]
pub struct Member {
    /// The decompressed contents.
    pub data: Vec<u8>,
    /// How many input bytes the member took, trailer included.
    pub compressed_len: usize,
}

/// Decompresses the gzip member at the start of `input`; bytes after it are left alone.
pub fn inflate_member(input: &[u8]) -> Result<Member, GzipError> {
    let body_start = parse_header(input)?;
    let body = input.get(body_start..).ok_or(GzipError::Truncated)?;
    let (data, body_len) = inflate(body)?;
    let trailer_start = body_start
        .checked_add(body_len)
        .ok_or(GzipError::Truncated)?;
    let trailer_end = trailer_start
        .checked_add(TRAILER_LEN)
        .ok_or(GzipError::Truncated)?;
    let trailer = input
        .get(trailer_start..trailer_end)
        .ok_or(GzipError::Truncated)?;
    let (crc_bytes, size_bytes) = trailer.split_at(4);
    if read_u32(crc_bytes) != Some(crc32(&data)) {
        return Err(GzipError::ChecksumMismatch);
    }
    if read_u32(size_bytes) != Some(data.len() as u32) {
        return Err(GzipError::SizeMismatch);
    }
    Ok(Member {
        data,
        compressed_len: trailer_end,
    })
}

/// Checks the header and returns the offset of the deflate body.
fn parse_header(input: &[u8]) -> Result<usize, GzipError> {
    let fixed = input.get(..FIXED_HEADER_LEN).ok_or(GzipError::Truncated)?;
    if fixed[..2] != GZIP_MAGIC {
        // Callers only hand over input that starts with the magic.
        return Err(GzipError::Truncated);
    }
    let method = fixed[2];
    if method != METHOD_DEFLATE {
        return Err(GzipError::UnknownMethod(method));
    }
    let flags = fixed[3];
    if flags & FLAGS_RESERVED != 0 {
        return Err(GzipError::ReservedFlags(flags));
    }
    let mut offset = FIXED_HEADER_LEN;
    if flags & FLAG_EXTRA != 0 {
        let xlen_bytes = input.get(offset..offset + 2).ok_or(GzipError::Truncated)?;
        let xlen = usize::from(u16::from_le_bytes([xlen_bytes[0], xlen_bytes[1]]));
        offset = offset + 2 + xlen;
    }
    if flags & FLAG_NAME != 0 {
        offset = skip_zero_terminated(input, offset)?;
    }
    if flags & FLAG_COMMENT != 0 {
        offset = skip_zero_terminated(input, offset)?;
    }
    if flags & FLAG_HCRC != 0 {
        let covered = input.get(..offset).ok_or(GzipError::Truncated)?;
        let stored = input.get(offset..offset + 2).ok_or(GzipError::Truncated)?;
        if u16::from_le_bytes([stored[0], stored[1]]) != crc32(covered) as u16 {
            return Err(GzipError::HeaderChecksumMismatch);
        }
        offset += 2;
    }
    if offset > input.len() {
        return Err(GzipError::Truncated);
    }
    Ok(offset)
}

/// The offset just past the NUL that ends the string at `offset`.
fn skip_zero_terminated(input: &[u8], offset: usize) -> Result<usize, GzipError> {
    let rest = input.get(offset..).ok_or(GzipError::Truncated)?;
    let nul = rest
        .iter()
        .position(|&byte| byte == 0)
        .ok_or(GzipError::Truncated)?;
    Ok(offset + nul + 1)
}

/// Inflates the raw deflate stream at the start of `body`; returns the data and the stream's
/// compressed length. The output buffer grows by doubling, with fallible allocation.
fn inflate(body: &[u8]) -> Result<(Vec<u8>, usize), GzipError> {
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut decompressor = Box::<DecompressorOxide>::default();
    let mut output = Vec::new();
    grow(
        &mut output,
        body.len().saturating_mul(4).max(MIN_OUTPUT_LEN),
    )?;
    let mut consumed = 0;
    let mut produced = 0;
    loop {
        let input = body.get(consumed..).ok_or(GzipError::CorruptDeflate)?;
        let (status, read, written) =
            decompress(&mut decompressor, input, &mut output, produced, flags);
        consumed += read;
        produced += written;
        match status {
            TINFLStatus::Done => {
                output.truncate(produced);
                return Ok((output, consumed));
            }
            TINFLStatus::HasMoreOutput => {
                let doubled = output.len().checked_mul(2).ok_or(GzipError::OutOfMemory)?;
                grow(&mut output, doubled)?;
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
                return Err(GzipError::Truncated);
            }
            _ => return Err(GzipError::CorruptDeflate),
        }
    }
}

/// Resizes `buffer` to `len` zero-filled bytes, reporting allocation failure.
fn grow(buffer: &mut Vec<u8>, len: usize) -> Result<(), GzipError> {
    let additional = len.saturating_sub(buffer.len());
    buffer
        .try_reserve_exact(additional)
        .map_err(|_| GzipError::OutOfMemory)?;
    buffer.resize(len, 0);
    Ok(())
}

fn read_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;

    use super::*;
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
