//! Tests of initramfs unpacking: segment layouts, padding, hard links and failures. Every image
//! is unpacked from pieces of 1, 7 and 4096 bytes and whole, which must all give the same
//! entries and the same result.

extern crate std;

use alloc::vec;
use alloc::vec::Vec;
use std::string::String;

use super::gzip::WINDOW_LEN;
use super::gzip::tests::{HeaderFields, gzip, gzip_with};
use super::*;
use crate::PATH_MAX;
use crate::test_support::{Record, archive, push_archive};

/// What the sink saw of one entry: name, mode, data (a symlink's target) and link target.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    name: String,
    mode: u32,
    data: Vec<u8>,
    hard_link_to: Option<String>,
    /// `finish_file` came (regular files).
    is_complete: bool,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A sink that records everything, checks the order of calls, and fails when told to.
#[derive(Default)]
struct Collector {
    seen: Vec<Seen>,
    /// `create` of this name fails.
    fail_on: Option<&'static [u8]>,
    /// Bytes the last regular file still expects.
    expected: u64,
    is_file_open: bool,
    largest_piece: usize,
}

impl Sink for Collector {
    type Error = &'static str;

    fn create(&mut self, entry: &UnpackedEntry<'_>) -> Result<(), &'static str> {
        assert!(
            !self.is_file_open,
            "create before the last file was finished"
        );
        if self.fail_on == Some(entry.name) {
            return Err("disk full");
        }
        let is_regular = entry.file_type() == FileType::Regular;
        self.seen.push(Seen {
            name: text(entry.name),
            mode: entry.mode,
            data: entry.symlink_target.to_vec(),
            hard_link_to: entry.hard_link_to.map(text),
            is_complete: !is_regular,
        });
        self.is_file_open = is_regular;
        self.expected = u64::from(entry.size);
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), &'static str> {
        assert!(self.is_file_open, "data without a file");
        assert!(!data.is_empty(), "empty piece of data");
        self.expected = self
            .expected
            .checked_sub(data.len() as u64)
            .expect("more data than the header said");
        self.largest_piece = self.largest_piece.max(data.len());
        if let Some(last) = self.seen.last_mut() {
            last.data.extend_from_slice(data);
        }
        Ok(())
    }

    fn finish_file(&mut self) -> Result<(), &'static str> {
        assert!(self.is_file_open, "finish without a file");
        assert_eq!(self.expected, 0, "finished before all data came");
        self.is_file_open = false;
        if let Some(last) = self.seen.last_mut() {
            last.is_complete = true;
        }
        Ok(())
    }
}

type Outcome = (Vec<Seen>, Result<(), UnpackError<&'static str>>);

/// Unpacks `image` fed `piece` bytes at a time into `sink`.
fn unpack_in_pieces(
    image: &[u8],
    piece: usize,
    sink: &mut Collector,
) -> Result<(), UnpackError<&'static str>> {
    let mut unpacker = Unpacker::new()?;
    for chunk in image.chunks(piece.max(1)) {
        unpacker.feed(chunk, sink)?;
    }
    unpacker.finish(sink)
}

/// Unpacks `image` whole and in pieces of 1, 7 and 4096 bytes; all must agree.
fn outcome(image: &[u8], fail_on: Option<&'static [u8]>) -> Outcome {
    let run = |piece: usize| {
        let mut sink = Collector {
            fail_on,
            ..Collector::default()
        };
        let result = unpack_in_pieces(image, piece, &mut sink);
        (sink.seen, result)
    };
    let whole = run(image.len());
    for piece in [1, 7, 4096] {
        assert_eq!(run(piece), whole, "pieces of {piece}");
    }
    whole
}

fn collect(image: &[u8]) -> Result<Vec<Seen>, UnpackError<&'static str>> {
    let (seen, result) = outcome(image, None);
    result.map(|()| seen)
}

fn names(image: &[u8]) -> Vec<String> {
    collect(image)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect()
}

fn first_archive() -> Vec<u8> {
    archive(&[
        Record::new(b"kernel", 0o040755, b""),
        Record::new(b"kernel/x86/microcode/GenuineIntel.bin", 0o100644, b"ucode"),
    ])
}

fn second_archive() -> Vec<u8> {
    archive(&[
        Record::new(b"bin", 0o040755, b""),
        Record::new(b"bin/busybox", 0o100755, b"\x7fELF..."),
        Record::new(b"bin/sh", 0o120777, b"busybox"),
        Record::new(b"init", 0o100755, b"#!/bin/sh\n"),
    ])
}

#[test]
fn unpacks_an_uncompressed_archive() {
    let seen = collect(&second_archive()).unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[1].name, "bin/busybox");
    assert_eq!(seen[1].mode, 0o100755);
    assert_eq!(seen[1].data, b"\x7fELF...");
    assert_eq!(seen[2].data, b"busybox");
    assert!(seen.iter().all(|s| s.hard_link_to.is_none()));
}

#[test]
fn unpacks_a_gzip_archive() {
    assert_eq!(
        names(&gzip(&second_archive())),
        ["bin", "bin/busybox", "bin/sh", "init"]
    );
}

#[test]
fn unpacks_a_gzip_archive_with_all_header_fields() {
    let image = gzip_with(
        &second_archive(),
        &HeaderFields {
            extra: Some(b"ab"),
            name: Some(b"initrd"),
            comment: Some(b"built by xtask"),
            header_crc: true,
        },
    );
    assert_eq!(names(&image).len(), 4);
}

#[test]
fn unpacks_concatenated_segments_with_padding() {
    // An early uncompressed archive (as for CPU microcode), padding, a gzip member, an odd
    // number of NULs (allowed before a compressed segment), another gzip member, aligned padding
    // and a final uncompressed archive.
    let mut image = first_archive();
    image.extend_from_slice(&[0; 512]);
    image.extend_from_slice(&gzip(&second_archive()));
    image.extend_from_slice(&[0; 3]);
    image.extend_from_slice(&gzip(&archive(&[Record::new(b"etc", 0o040755, b"")])));
    image.resize(image.len().next_multiple_of(4) + 8, 0);
    image.extend_from_slice(&archive(&[Record::new(b"last", 0o100600, b"!")]));
    image.extend_from_slice(&[0; 7]);
    assert_eq!(
        names(&image),
        [
            "kernel",
            "kernel/x86/microcode/GenuineIntel.bin",
            "bin",
            "bin/busybox",
            "bin/sh",
            "init",
            "etc",
            "last"
        ]
    );
}

#[test]
fn unpacks_several_archives_inside_one_gzip_member() {
    let mut decompressed = first_archive();
    decompressed.extend_from_slice(&[0; 8]);
    push_archive(&mut decompressed, &[Record::new(b"x", 0o100644, b"y")]);
    decompressed.extend_from_slice(&[0; 12]);
    assert_eq!(
        names(&gzip(&decompressed)),
        ["kernel", "kernel/x86/microcode/GenuineIntel.bin", "x"]
    );
}

#[test]
fn empty_and_all_zero_images_unpack_nothing() {
    assert_eq!(names(b""), Vec::<String>::new());
    assert_eq!(names(&[0; 17]), Vec::<String>::new());
    assert_eq!(names(&gzip(&[0; 64])), Vec::<String>::new());
}

#[test]
fn reports_hard_links_to_the_first_member() {
    let image = archive(&[
        Record::new(b"a", 0o100644, b"").linked(9, 3),
        Record::new(b"b", 0o100644, b"").linked(9, 3),
        Record::new(b"c", 0o100644, b"shared data").linked(9, 3),
        Record::new(b"other", 0o100644, b"").linked(10, 1),
    ]);
    let seen = collect(&image).unwrap();
    assert_eq!(seen[0].hard_link_to, None);
    assert_eq!(seen[1].hard_link_to.as_deref(), Some("a"));
    assert_eq!(seen[2].hard_link_to.as_deref(), Some("a"));
    assert_eq!(seen[2].data, b"shared data");
    assert_eq!(seen[3].hard_link_to, None);
}

#[test]
fn hard_link_groups_end_at_the_trailer() {
    let mut image = archive(&[Record::new(b"a", 0o100644, b"").linked(9, 2)]);
    push_archive(
        &mut image,
        &[Record::new(b"b", 0o100644, b"x").linked(9, 2)],
    );
    let seen = collect(&image).unwrap();
    assert_eq!(seen[1].name, "b");
    assert_eq!(seen[1].hard_link_to, None);
}

#[test]
fn skips_entries_that_linux_skips() {
    let long_name = vec![b'n'; PATH_MAX];
    let long_target = vec![b't'; PATH_MAX + 1];
    let image = archive(&[
        Record::new(b"dir-with-data", 0o040755, b"data"),
        Record::new(b"fifo-with-data", 0o010644, b"data"),
        Record::new(&long_name, 0o100644, b""),
        Record::new(b"long-link", 0o120777, &long_target),
        Record::new(b"ok-link", 0o120777, &long_target[..PATH_MAX]),
        Record::new(&long_name[1..], 0o100644, b""),
    ]);
    let seen = collect(&image).unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].name, "ok-link");
    assert_eq!(seen[1].name.len(), PATH_MAX - 1);
}

#[test]
fn padding_after_an_uncompressed_archive_must_keep_alignment() {
    let mut image = first_archive();
    let end = image.len();
    image.push(0);
    image.extend_from_slice(&second_archive());
    assert_eq!(
        collect(&image),
        Err(UnpackError::BrokenPadding {
            gzip_segment_offset: None,
            offset: end + 1
        })
    );
}

#[test]
fn an_archive_at_an_unaligned_offset_is_invalid_magic() {
    let member = gzip(&first_archive());
    let mut image = member.clone();
    image.resize(member.len().next_multiple_of(4) + 1, 0);
    let at = image.len();
    image.extend_from_slice(&second_archive());
    assert_eq!(
        collect(&image),
        Err(UnpackError::InvalidMagic { offset: at })
    );
}

#[test]
fn junk_inside_a_gzip_member_is_an_error() {
    let mut decompressed = first_archive();
    let at = decompressed.len();
    decompressed.extend_from_slice(b"junk");
    assert_eq!(
        collect(&gzip(&decompressed)),
        Err(UnpackError::JunkInCompressedArchive {
            segment_offset: 0,
            offset: at
        })
    );
    let mut misaligned = first_archive();
    misaligned.extend_from_slice(&[0; 2]);
    let at = misaligned.len();
    misaligned.extend_from_slice(&first_archive());
    assert_eq!(
        collect(&gzip(&misaligned)),
        Err(UnpackError::BrokenPadding {
            gzip_segment_offset: Some(0),
            offset: at
        })
    );
}

#[test]
fn a_gzip_member_ending_inside_an_archive_is_an_error() {
    let whole = second_archive();
    let member = gzip(&whole[..whole.len() - 130]);
    assert!(matches!(
        collect(&member),
        Err(UnpackError::Cpio {
            gzip_segment_offset: Some(0),
            error: CpioError::Truncated { .. }
        })
    ));
}

#[test]
fn other_compression_methods_are_reported() {
    let mut image = first_archive();
    let at = image.len();
    image.extend_from_slice(&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]);
    assert_eq!(
        collect(&image),
        Err(UnpackError::UnsupportedCompression {
            segment_offset: at,
            method: "xz"
        })
    );
    assert_eq!(
        collect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
        Err(UnpackError::UnsupportedCompression {
            segment_offset: 0,
            method: "zstd"
        })
    );
    assert_eq!(
        collect(b"hello"),
        Err(UnpackError::InvalidMagic { offset: 0 })
    );
}

#[test]
fn gzip_errors_carry_the_segment_offset() {
    let mut image = first_archive();
    let at = image.len();
    let mut member = gzip(&second_archive());
    let crc_at = member.len() - 8;
    member[crc_at] ^= 0xff;
    image.extend_from_slice(&member);
    assert_eq!(
        collect(&image),
        Err(UnpackError::Gzip {
            segment_offset: at,
            error: GzipError::ChecksumMismatch
        })
    );
}

#[test]
fn sink_errors_stop_unpacking() {
    let (seen, result) = outcome(&second_archive(), Some(b"bin/busybox"));
    assert_eq!(result, Err(UnpackError::Sink("disk full")));
    assert_eq!(seen.len(), 1);
    assert_eq!(
        std::format!("{}", UnpackError::Sink("disk full")),
        "write error (disk full)"
    );
}

#[test]
fn no_prefix_or_corruption_panics() {
    let mut image = first_archive();
    image.extend_from_slice(&gzip(&second_archive()));
    image.extend_from_slice(&[0; 4]);
    image.extend_from_slice(&first_archive());
    for len in 0..image.len() {
        let _ = outcome(&image[..len], None);
    }
    // Whole and in 7-byte pieces only: one-byte pieces of every corruption take too long
    // unoptimised.
    for position in 0..image.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut corrupt = image.clone();
            corrupt[position] ^= flip;
            let run = |piece: usize| {
                let mut sink = Collector::default();
                let result = unpack_in_pieces(&corrupt, piece, &mut sink);
                (sink.seen, result)
            };
            assert_eq!(run(7), run(corrupt.len()), "flip {flip:#x} at {position}");
        }
    }
}

/// Packs a directory tree with the host's GNU cpio and gzip, as `mkinitramfs` does, including a
/// hard-link group, and checks what the unpacker reports.
#[test]
fn unpacks_an_image_made_by_host_tools() {
    use std::process::{Command, Stdio};
    let have_tools = Command::new("cpio").arg("--version").output().is_ok()
        && Command::new("gzip").arg("--version").output().is_ok();
    if !have_tools {
        std::eprintln!("cpio or gzip not installed; skipping");
        return;
    }
    let dir = std::env::temp_dir().join(std::format!("initramfs-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("bin/tool"), b"tool contents").unwrap();
    std::fs::hard_link(dir.join("bin/tool"), dir.join("bin/alias")).unwrap();
    std::os::unix::fs::symlink("tool", dir.join("bin/link")).unwrap();
    std::fs::write(dir.join("init"), b"#!/bin/sh\n").unwrap();
    let script = "printf '.\\nbin\\nbin/tool\\nbin/alias\\nbin/link\\ninit\\n' \
                  | cpio -o --quiet -H newc | gzip -9 -n";
    let output = Command::new("sh")
        .args(["-c", script])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success());
    std::fs::remove_dir_all(&dir).unwrap();

    let seen = collect(&output.stdout).unwrap();
    let names: Vec<&str> = seen.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [".", "bin", "bin/tool", "bin/alias", "bin/link", "init"]
    );
    assert_eq!(seen[2].data, b"");
    assert_eq!(seen[2].hard_link_to, None);
    assert_eq!(seen[3].hard_link_to.as_deref(), Some("bin/tool"));
    assert_eq!(seen[3].data, b"tool contents");
    assert_eq!(seen[4].data, b"tool");
}

/// One record's header and padded name, as `test_support` lays them out, for a file whose
/// data the caller streams itself.
fn file_header(name: &[u8], size: u32) -> Vec<u8> {
    let header = crate::header::Header {
        has_checksum: false,
        ino: 1,
        mode: 0o100644,
        nlink: 1,
        filesize: size,
        namesize: name.len() as u32 + 1,
        ..crate::header::Header::default()
    };
    let mut out = header.encode().to_vec();
    out.extend_from_slice(name);
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// `size` bytes of data that differ from block to block, produced in pieces of at most
/// `piece` bytes.
fn for_each_data_piece(size: usize, piece: usize, mut each: impl FnMut(&[u8])) {
    let mut block = vec![0u8; piece];
    let mut done = 0;
    let mut index = 0u32;
    while done < size {
        let len = piece.min(size - done);
        for (at, byte) in block[..len].iter_mut().enumerate() {
            *byte = (at as u32 ^ index.wrapping_mul(0x9e37_79b9)) as u8;
        }
        each(&block[..len]);
        done += len;
        index += 1;
    }
}

/// A sink that keeps no data: it checks the pieces' order and sizes through a CRC.
#[derive(Default)]
struct Checksummer {
    names: Vec<String>,
    crc: super::crc32::Crc32,
    bytes: u64,
    largest_piece: usize,
    finished: usize,
}

impl Sink for Checksummer {
    type Error = ();

    fn create(&mut self, entry: &UnpackedEntry<'_>) -> Result<(), ()> {
        self.names.push(text(entry.name));
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), ()> {
        self.crc.update(data);
        self.bytes += data.len() as u64;
        self.largest_piece = self.largest_piece.max(data.len());
        Ok(())
    }

    fn finish_file(&mut self) -> Result<(), ()> {
        self.finished += 1;
        Ok(())
    }
}

/// Most the unpacker may hold at any time: the parser's name buffer, the inflate window and
/// state, and a little slack.
const MEMORY_BOUND: usize = 2 * PATH_MAX + WINDOW_LEN + 16 * 1024;

/// The uncompressed image of [`streams_a_large_file`]: `big` (`size` bytes), `after` and a
/// trailer, produced in pieces; returns the data's CRC.
fn large_image(size: usize, piece: usize, mut emit: impl FnMut(&[u8])) -> u32 {
    let mut crc = super::crc32::Crc32::default();
    emit(&file_header(b"big", size as u32));
    for_each_data_piece(size, piece, |data| {
        crc.update(data);
        emit(data);
    });
    emit(&vec![0; size.next_multiple_of(4) - size]);
    emit(&archive(&[Record::new(b"after", 0o100644, b"x")]));
    crc.value()
}

#[test]
fn streams_a_large_uncompressed_file_with_bounded_memory() {
    const SIZE: usize = 16 * 1024 * 1024 + 3;
    const PIECE: usize = 64 * 1024;
    let mut unpacker = Unpacker::new().unwrap();
    let mut sink = Checksummer::default();
    let mut most_held = 0;
    let crc = large_image(SIZE, PIECE, |piece| {
        unpacker.feed(piece, &mut sink).unwrap();
        most_held = most_held.max(unpacker.memory_held());
    });
    unpacker.finish(&mut sink).unwrap();
    assert_eq!(sink.names, ["big", "after"]);
    assert_eq!((sink.bytes, sink.finished), (SIZE as u64 + 1, 2));
    assert!(sink.largest_piece <= PIECE);
    assert!(most_held <= MEMORY_BOUND, "held {most_held} bytes");
    let mut expected = super::crc32::Crc32::default();
    for_each_data_piece(SIZE, PIECE, |data| expected.update(data));
    expected.update(b"x");
    assert_eq!(sink.crc.value(), expected.value());
    assert_ne!(crc, 0);
}

/// Wraps an uncompressed stream in a gzip member of stored deflate blocks, as it comes.
struct StoredGzip<F: FnMut(&[u8])> {
    emit: F,
    crc: super::crc32::Crc32,
    len: u32,
}

impl<F: FnMut(&[u8])> StoredGzip<F> {
    fn new(mut emit: F) -> StoredGzip<F> {
        emit(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
        StoredGzip {
            emit,
            crc: super::crc32::Crc32::default(),
            len: 0,
        }
    }

    fn write(&mut self, data: &[u8]) {
        for block in data.chunks(u16::MAX as usize) {
            let len = block.len() as u16;
            let mut header = vec![0u8];
            header.extend_from_slice(&len.to_le_bytes());
            header.extend_from_slice(&(!len).to_le_bytes());
            (self.emit)(&header);
            (self.emit)(block);
            self.crc.update(block);
            self.len = self.len.wrapping_add(block.len() as u32);
        }
    }

    fn finish(mut self) {
        (self.emit)(&[1, 0, 0, 0xff, 0xff]);
        let mut trailer = self.crc.value().to_le_bytes().to_vec();
        trailer.extend_from_slice(&self.len.to_le_bytes());
        (self.emit)(&trailer);
    }
}

#[test]
fn streams_a_large_gzip_member_with_bounded_memory() {
    const SIZE: usize = 16 * 1024 * 1024 + 1;
    let mut unpacker = Unpacker::new().unwrap();
    let mut sink = Checksummer::default();
    let mut most_held = 0;
    {
        let mut gzip = StoredGzip::new(|piece: &[u8]| {
            unpacker.feed(piece, &mut sink).unwrap();
            most_held = most_held.max(unpacker.memory_held());
        });
        large_image(SIZE, 100_000, |piece| gzip.write(piece));
        gzip.finish();
    }
    unpacker.finish(&mut sink).unwrap();
    assert_eq!(sink.names, ["big", "after"]);
    assert_eq!((sink.bytes, sink.finished), (SIZE as u64 + 1, 2));
    assert!(sink.largest_piece <= WINDOW_LEN);
    assert!(most_held <= MEMORY_BOUND, "held {most_held} bytes");
}

/// A record with its header fields overwritten by `edit` (field index as in
/// `CpioError::BadHexField`, eight hexadecimal digits).
fn with_field(mut image: Vec<u8>, field: usize, digits: &[u8; 8]) -> Vec<u8> {
    let at = 6 + field * 8;
    image[at..at + 8].copy_from_slice(digits);
    image
}

const FIELD_FILESIZE: usize = 6;
const FIELD_NAMESIZE: usize = 11;

#[test]
fn a_huge_file_size_streams_what_there_is() {
    // Linux takes a record cut short by the end of an uncompressed image as it comes: the file
    // is created with the header's size and keeps the data there was.
    let image = with_field(
        archive(&[Record::new(b"f", 0o100644, b"data")]),
        FIELD_FILESIZE,
        b"FFFFFFFF",
    );
    let (seen, result) = outcome(&image, None);
    assert_eq!(result, Ok(()));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].name, "f");
    assert!(!seen[0].is_complete);
    assert_eq!(seen[0].data.len(), image.len() - 112);
    // Inside a gzip member, the member ends inside the record.
    assert!(matches!(
        collect(&gzip(&image)),
        Err(UnpackError::Cpio {
            gzip_segment_offset: Some(0),
            error: CpioError::Truncated { offset: 0 }
        })
    ));
}

#[test]
fn a_huge_or_zero_name_size_skips_the_record() {
    let image = with_field(
        archive(&[Record::new(b"f", 0o100644, b"data")]),
        FIELD_NAMESIZE,
        b"FFFFFFFF",
    );
    assert_eq!(collect(&image).unwrap(), []);
    assert!(collect(&gzip(&image)).is_err());

    // c_namesize 0: Linux skips the record (two name bytes, as N_ALIGN(0) counts them, then
    // the data) and reads the next one.
    let mut image = with_field(
        archive(&[Record::new(b"x", 0o100644, b"")]),
        FIELD_NAMESIZE,
        b"00000000",
    );
    image.truncate(112);
    push_archive(&mut image, &[Record::new(b"next", 0o100644, b"n")]);
    assert_eq!(names(&image), ["next"]);
}

#[test]
fn bad_headers_are_errors() {
    let good = archive(&[Record::new(b"f", 0o100644, b"data")]);
    let mut odc = good.clone();
    odc[..6].copy_from_slice(b"070707");
    let error = collect(&odc).unwrap_err();
    assert_eq!(
        error,
        UnpackError::Cpio {
            gzip_segment_offset: None,
            error: CpioError::OdcFormat { offset: 0 }
        }
    );
    assert!(std::format!("{error}").starts_with("incorrect cpio method used: use -H newc option"));
    let mut magic = good.clone();
    magic[5] = b'9';
    let error = collect(&magic).unwrap_err();
    assert!(std::format!("{error}").starts_with("no cpio magic"));
    let bad_hex = with_field(good.clone(), 3, b"0000000g");
    assert_eq!(
        collect(&bad_hex),
        Err(UnpackError::Cpio {
            gzip_segment_offset: None,
            error: CpioError::BadHexField {
                offset: 0,
                field: 3
            }
        })
    );
    let mut no_nul = good;
    no_nul[111] = b'x';
    assert_eq!(
        collect(&no_nul),
        Err(UnpackError::Cpio {
            gzip_segment_offset: None,
            error: CpioError::BadName { offset: 0 }
        })
    );
}

#[test]
fn the_crc_format_checks_data_sums() {
    let mut image = archive(&[Record::new(b"f", 0o100644, b"\xff\xfe\x01")]);
    image[5] = b'2';
    let sum_at = 6 + 12 * 8;
    image[sum_at..sum_at + 8].copy_from_slice(b"000001FE");
    assert_eq!(collect(&image).unwrap()[0].data, b"\xff\xfe\x01");
    image[sum_at + 7] = b'F';
    let (seen, result) = outcome(&image, None);
    assert_eq!(
        result,
        Err(UnpackError::Cpio {
            gzip_segment_offset: None,
            error: CpioError::ChecksumMismatch { offset: 0 }
        })
    );
    // The data went to the sink first, as Linux writes it before checking.
    assert_eq!(seen[0].data, b"\xff\xfe\x01");
    assert!(!seen[0].is_complete);
}

#[test]
fn short_and_unknown_magics() {
    assert_eq!(
        collect(&[0x1f]),
        Err(UnpackError::InvalidMagic { offset: 0 })
    );
    let mut image = vec![0; 5];
    image.extend_from_slice(&[0x1f, 0x9e, 1, 2]);
    assert_eq!(
        collect(&image),
        Err(UnpackError::UnsupportedCompression {
            segment_offset: 5,
            method: "gzip"
        })
    );
    assert_eq!(
        collect(b"BZh91AY"),
        Err(UnpackError::UnsupportedCompression {
            segment_offset: 0,
            method: "bzip2"
        })
    );
}

#[test]
fn a_truncated_gzip_member_keeps_what_came_before() {
    let mut data = second_archive();
    data.extend_from_slice(&archive(&[Record::new(b"late", 0o100644, &[7; 70_000])]));
    let member = gzip(&data);
    let (seen, result) = outcome(&member[..member.len() - 9], None);
    assert_eq!(
        result,
        Err(UnpackError::Gzip {
            segment_offset: 0,
            error: GzipError::Truncated
        })
    );
    assert!(std::format!("{}", result.unwrap_err()).starts_with("read error"));
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[4].name, "late");
    assert_eq!(seen[4].data.len(), 70_000);
    assert!(seen[4].is_complete);
}

#[test]
fn a_gzip_name_field_without_end_is_truncated() {
    let mut image = vec![0x1f, 0x8b, 8, 1 << 3, 0, 0, 0, 0, 0, 3];
    image.extend_from_slice(&[b'n'; 100_000]);
    assert_eq!(
        collect(&image),
        Err(UnpackError::Gzip {
            segment_offset: 0,
            error: GzipError::Truncated
        })
    );
}

#[test]
fn feeding_after_an_error_fails() {
    let mut unpacker = Unpacker::new().unwrap();
    let mut sink = Collector::default();
    assert!(unpacker.feed(b"junk", &mut sink).is_err());
    assert_eq!(
        unpacker.feed(b"", &mut sink),
        Err(UnpackError::AlreadyFailed)
    );
    assert_eq!(unpacker.finish(&mut sink), Err(UnpackError::AlreadyFailed));
}

/// The messages Debian's Linux 6.1 logs after "Initramfs unpacking failed: " (docs/facts.md),
/// at the start of ours.
#[test]
fn messages_start_as_linux_logs_them() {
    let message = |image: &[u8]| std::format!("{}", collect(image).unwrap_err());
    let mut junk = first_archive();
    junk.extend_from_slice(b"junk");
    assert!(message(&gzip(&junk)).starts_with("junk within compressed archive"));
    let whole = second_archive();
    assert!(
        message(&gzip(&whole[..whole.len() - 130]))
            .starts_with("junk at the end of compressed archive")
    );
    let member = gzip(&whole);
    assert!(message(&member[..member.len() - 3]).starts_with("read error"));
    let mut unaligned = first_archive();
    unaligned.push(0);
    unaligned.extend_from_slice(&first_archive());
    assert!(message(&unaligned).starts_with("broken padding"));
    let mut after = first_archive();
    after.extend_from_slice(b"xyz");
    assert!(message(&after).starts_with("invalid magic at start of compressed archive"));
}

#[test]
fn a_hard_link_group_naming_its_first_member_again_links_to_itself() {
    // "a" twice in one group: the second is a link to the first name, which is its own. Linux's
    // `maybe_link` then removes "a" (`clean_path`) and its `link("a", "a")` fails, so the entry
    // is skipped with its data; the sink sees the same request and nothing loops.
    let image = archive(&[
        Record::new(b"a", 0o100644, b"").linked(7, 3),
        Record::new(b"b", 0o100644, b"").linked(7, 3),
        Record::new(b"a", 0o100644, b"data").linked(7, 3),
    ]);
    let seen = collect(&image).unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].hard_link_to.as_deref(), Some("a"));
    assert_eq!(seen[2].name, "a");
    assert_eq!(seen[2].hard_link_to.as_deref(), Some("a"));
}

#[test]
fn names_with_dots_are_passed_as_stored() {
    // The sink resolves them (`ResolvedName`): nothing is dropped or rewritten here.
    let image = archive(&[
        Record::new(b"../../escape", 0o100644, b"x"),
        Record::new(b"a/..", 0o040755, b""),
        Record::new(b"./.", 0o100644, b""),
    ]);
    assert_eq!(names(&image), ["../../escape", "a/..", "./."]);
    let resolved = ResolvedName::new(b"../../escape").unwrap();
    assert_eq!(resolved.components, [&b"escape"[..]]);
    assert!(ResolvedName::new(b"a/..").unwrap().names_existing_dir);
}
