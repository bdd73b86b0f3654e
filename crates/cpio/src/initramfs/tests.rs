//! Tests of initramfs unpacking: segment layouts, padding, hard links and failures.

extern crate std;

use alloc::vec;
use alloc::vec::Vec;
use std::string::String;

use super::gzip::tests::{HeaderFields, gzip, gzip_with};
use super::*;
use crate::test_support::{Record, archive, push_archive};

/// What the visitor saw: name, mode, data and link target, owned.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    name: String,
    mode: u32,
    data: Vec<u8>,
    hard_link_to: Option<String>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn collect(image: &[u8]) -> Result<Vec<Seen>, UnpackError<()>> {
    let mut seen = Vec::new();
    unpack(image, |item: &UnpackedEntry<'_>| {
        seen.push(Seen {
            name: text(item.entry.name),
            mode: item.entry.mode,
            data: item.entry.data.to_vec(),
            hard_link_to: item.hard_link_to.map(text),
        });
        Ok(())
    })?;
    Ok(seen)
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
fn visitor_errors_stop_unpacking() {
    let mut calls = 0;
    let result = unpack(&second_archive(), |item: &UnpackedEntry<'_>| {
        calls += 1;
        if item.entry.name == b"bin/busybox" {
            Err("disk full")
        } else {
            Ok(())
        }
    });
    assert_eq!(result, Err(UnpackError::Visitor("disk full")));
    assert_eq!(calls, 2);
    assert_eq!(
        std::format!("{}", UnpackError::Visitor("disk full")),
        "disk full"
    );
}

#[test]
fn no_prefix_or_corruption_panics() {
    let mut image = first_archive();
    image.extend_from_slice(&gzip(&second_archive()));
    image.extend_from_slice(&[0; 4]);
    image.extend_from_slice(&first_archive());
    for len in 0..image.len() {
        let _ = collect(&image[..len]);
    }
    for position in 0..image.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut corrupt = image.clone();
            corrupt[position] ^= flip;
            let _ = collect(&corrupt);
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
