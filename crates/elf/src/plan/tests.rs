//! Tests of load plans: hand-built files for each rule, and real binaries from the host.

extern crate std;

use alloc::vec;
use alloc::vec::Vec;
use std::path::Path;
use std::process::Command;

use super::*;
use crate::file_header::ET_DYN;
use crate::program_header::{PROGRAM_HEADER_LEN, PT_PHDR};

/// A program header to put in a hand-built file.
#[derive(Clone, Copy)]
struct Ph {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

fn load(offset: u64, vaddr: u64, filesz: u64, memsz: u64, flags: u32) -> Ph {
    Ph {
        kind: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align: 0x1000,
    }
}

/// A file of `len` bytes with an x86-64 ELF header of type `e_type` and the program headers at
/// offset 64.
fn build(e_type: u16, entry: u64, phs: &[Ph], len: usize) -> Vec<u8> {
    let mut file = vec![0u8; len.max(64 + phs.len() * PROGRAM_HEADER_LEN)];
    file[..4].copy_from_slice(b"\x7fELF");
    file[4] = 2; // ELFCLASS64
    file[5] = 1; // ELFDATA2LSB
    file[6] = 1; // EV_CURRENT
    file[16..18].copy_from_slice(&e_type.to_le_bytes());
    file[18..20].copy_from_slice(&62u16.to_le_bytes());
    file[20..24].copy_from_slice(&1u32.to_le_bytes());
    file[24..32].copy_from_slice(&entry.to_le_bytes());
    file[32..40].copy_from_slice(&64u64.to_le_bytes());
    file[52..54].copy_from_slice(&64u16.to_le_bytes());
    file[54..56].copy_from_slice(&(PROGRAM_HEADER_LEN as u16).to_le_bytes());
    file[56..58].copy_from_slice(&(phs.len() as u16).to_le_bytes());
    for (index, ph) in phs.iter().enumerate() {
        let at = 64 + index * PROGRAM_HEADER_LEN;
        let entry = &mut file[at..at + PROGRAM_HEADER_LEN];
        entry[0..4].copy_from_slice(&ph.kind.to_le_bytes());
        entry[4..8].copy_from_slice(&ph.flags.to_le_bytes());
        entry[8..16].copy_from_slice(&ph.offset.to_le_bytes());
        entry[16..24].copy_from_slice(&ph.vaddr.to_le_bytes());
        entry[24..32].copy_from_slice(&ph.vaddr.to_le_bytes());
        entry[32..40].copy_from_slice(&ph.filesz.to_le_bytes());
        entry[40..48].copy_from_slice(&ph.memsz.to_le_bytes());
        entry[48..56].copy_from_slice(&ph.align.to_le_bytes());
    }
    file
}

/// A valid static executable: a read-only segment with the headers, text, and data plus bss.
fn static_exec() -> Vec<u8> {
    build(
        ET_EXEC,
        0x401000,
        &[
            load(0, 0x400000, 0x200, 0x200, PF_R),
            load(0x1000, 0x401000, 0x100, 0x100, PF_R | PF_X),
            load(0x2010, 0x403010, 0x20, 0x5000, PF_R | PF_W),
            Ph {
                kind: PT_GNU_STACK,
                flags: PF_R | PF_W,
                offset: 0,
                vaddr: 0,
                filesz: 0,
                memsz: 0,
                align: 16,
            },
        ],
        0x3000,
    )
}

#[test]
fn plans_a_static_executable() {
    let plan = parse(&static_exec()).unwrap();
    assert_eq!(plan.kind, ElfKind::Exec);
    assert_eq!(plan.entry, 0x401000);
    assert_eq!(plan.segments.len(), 3);
    assert_eq!(
        plan.segments[2],
        Segment {
            index: 2,
            vaddr: 0x403010,
            memsz: 0x5000,
            file_offset: 0x2010,
            filesz: 0x20,
            align: 0x1000,
            is_readable: true,
            is_writable: true,
            is_executable: false,
        }
    );
    assert!(plan.segments[1].is_executable && !plan.segments[1].is_writable);
    assert_eq!(plan.phdr_vaddr, Some(0x400040));
    assert_eq!((plan.phent, plan.phnum), (56, 4));
    assert_eq!(plan.interp, None);
    assert!(!plan.is_stack_executable);
    assert_eq!(plan.total_mapping_size(), 0x9000);
    assert_eq!(plan.first_vaddr(), 0x400000);
    assert_eq!(plan.load_alignment(), 0x1000);
    assert_eq!(plan.check_mappable(), Ok(()));
    assert_eq!(plan.entry_at(0), Ok(0x401000));
    assert_eq!(plan.phdr_at(0), 0x400040);
    // The data segment: one file page (its tail is .bss), then anonymous pages.
    assert_eq!(
        plan.segments[2].mapping(0),
        Ok(SegmentMapping {
            start: 0x403000,
            file_pages_end: 0x404000,
            memory_end: 0x409000,
            file_offset: 0x2000,
            file_end: 0x403030,
        })
    );
}

#[test]
fn reads_interpreter_phdr_and_stack_flags() {
    let mut phs = vec![
        Ph {
            kind: PT_PHDR,
            flags: PF_R,
            offset: 64,
            vaddr: 0x40,
            filesz: 4 * 56,
            memsz: 4 * 56,
            align: 8,
        },
        Ph {
            kind: PT_INTERP,
            flags: PF_R,
            offset: 0x300,
            vaddr: 0x300,
            filesz: 12,
            memsz: 12,
            align: 1,
        },
        // Header page not mapped by any PT_LOAD: AT_PHDR is the load bias (Linux 6.1 does not
        // look at PT_PHDR).
        load(0x1000, 0x1000, 0x100, 0x100, PF_R | PF_X),
        Ph {
            kind: PT_GNU_STACK,
            flags: PF_R | PF_W | PF_X,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
            align: 16,
        },
    ];
    phs[2].align = 0x20_0000;
    let mut file = build(ET_DYN, 0x1010, &phs, 0x2000);
    file[0x300..0x30c].copy_from_slice(b"/lib/ld.so\0\0");
    let plan = parse(&file).unwrap();
    assert_eq!(plan.kind, ElfKind::Dyn);
    assert_eq!(plan.interp.as_deref(), Some(&b"/lib/ld.so"[..]));
    assert_eq!(plan.phdr_vaddr, None);
    assert_eq!(plan.phdr_at(0x5555_0000_0000), 0x5555_0000_0000);
    assert!(plan.is_stack_executable);
    assert_eq!(plan.load_alignment(), 0x20_0000);
}

#[test]
fn rejects_bad_identification() {
    let good = static_exec();
    assert_eq!(parse(b""), Err(ElfError::BadMagic));
    assert_eq!(parse(b"#!/bin/sh\n"), Err(ElfError::BadMagic));
    assert_eq!(parse(&good[..63]), Err(ElfError::TooShort));
    let mut magic = good.clone();
    magic[1] = b'e';
    assert_eq!(parse(&magic), Err(ElfError::BadMagic));
    // Linux's 64-bit loader looks at neither the class nor the byte order.
    let mut class = good.clone();
    class[4] = 1;
    assert!(parse(&class).is_ok());
    let mut data = good.clone();
    data[5] = 2;
    assert!(parse(&data).is_ok());
    let mut machine = good.clone();
    machine[18] = 3; // EM_386
    assert_eq!(parse(&machine), Err(ElfError::UnsupportedMachine(3)));
    let mut kind = good.clone();
    kind[16] = 1; // ET_REL
    assert_eq!(parse(&kind), Err(ElfError::UnsupportedType(1)));
    assert_eq!(ElfError::UnsupportedType(1).errno(), abi::Errno::ENOEXEC);
}

#[test]
fn rejects_bad_program_header_tables() {
    let good = static_exec();
    let mut size = good.clone();
    size[54] = 32;
    assert_eq!(parse(&size), Err(ElfError::BadProgramHeaderSize(32)));
    let mut none = good.clone();
    none[56..58].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(parse(&none), Err(ElfError::BadProgramHeaderCount(0)));
    let mut too_many = good.clone();
    too_many[56..58].copy_from_slice(&74u16.to_le_bytes());
    assert_eq!(parse(&too_many), Err(ElfError::BadProgramHeaderCount(74)));
    let mut xnum = good.clone();
    xnum[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    assert_eq!(parse(&xnum), Err(ElfError::BadProgramHeaderCount(0xffff)));
    let mut outside = good.clone();
    outside[32..40].copy_from_slice(&(0x3000u64 - 100).to_le_bytes());
    assert_eq!(parse(&outside), Err(ElfError::ProgramHeadersOutsideFile));
    let mut huge = good.clone();
    huge[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(parse(&huge), Err(ElfError::ProgramHeadersOutsideFile));
    assert_eq!(
        ElfError::ProgramHeadersOutsideFile.errno(),
        abi::Errno::ENOEXEC
    );
    // Only the table header is there, cut inside the program headers.
    assert_eq!(
        parse(&good[..64 + 56 + 10]),
        Err(ElfError::ProgramHeadersOutsideFile)
    );
}

#[test]
fn bad_segments_parse_but_cannot_be_mapped() {
    let rx = PF_R | PF_X;
    let cases = [
        (
            load(0x1000, 0x401000, 0x2000, 0x1000, rx),
            ElfError::FileSizeExceedsMemorySize { index: 0 },
        ),
        (
            load(u64::MAX - 10, 0x401000 + 0xff5, 0x20, 0x20, rx),
            ElfError::SegmentOutsideFile { index: 0 },
        ),
        // File pages past MAX_LFS_FILESIZE: mmap's EOVERFLOW.
        (
            load(1 << 63, 0x401000, 0x20, 0x20, rx),
            ElfError::SegmentOutsideFile { index: 0 },
        ),
        (
            load(0x1000, 0x401010, 0x100, 0x100, rx),
            ElfError::MisalignedSegment { index: 0 },
        ),
        (
            load(0x1000, u64::MAX - 0xfff, 0x100, 0x2000, rx),
            ElfError::SegmentOutsideUserSpace { index: 0 },
        ),
        (
            load(0x1000, USER_ADDRESS_LIMIT - 0x1000, 0x100, 0x2000, rx),
            ElfError::SegmentOutsideUserSpace { index: 0 },
        ),
        // A huge p_memsz.
        (
            load(0x1000, 0x401000, 0x100, 1 << 63, rx),
            ElfError::SegmentOutsideUserSpace { index: 0 },
        ),
    ];
    for (ph, expected) in cases {
        let file = build(ET_EXEC, 0x401000, &[ph], 0x3000);
        let plan = parse(&file).unwrap_or_else(|error| panic!("{expected}: {error}"));
        assert_eq!(plan.check_mappable(), Err(expected), "{expected}");
    }
    assert_eq!(
        ElfError::MisalignedSegment { index: 0 }.errno(),
        abi::Errno::EINVAL
    );
    // A misaligned segment that maps no file byte is fine (nothing is read from the file).
    let bss_only = build(
        ET_EXEC,
        0x401000,
        &[load(0x1234, 0x401000, 0, 0x10, rx)],
        0x3000,
    );
    assert_eq!(parse(&bss_only).unwrap().check_mappable(), Ok(()));
}

#[test]
fn segments_past_the_end_of_the_file_are_mapped() {
    // Linux maps them; touching the missing pages raises SIGBUS.
    let file = build(
        ET_EXEC,
        0x401000,
        &[load(0x1000, 0x401000, 0x5000, 0x5000, PF_R | PF_X)],
        0x3000,
    );
    let plan = parse(&file).unwrap();
    assert_eq!(plan.check_mappable(), Ok(()));
}

#[test]
fn unsorted_and_overlapping_segments_are_accepted() {
    let phs = [
        load(0x2000, 0x2000, 0x800, 0x1000, PF_R | PF_W),
        load(0, 0, 0x1800, 0x1800, PF_R | PF_X),
        load(0x1000, 0x1000, 0x1000, 0x1000, PF_R),
    ];
    let file = build(ET_DYN, 0x10, &phs, 0x3000);
    let plan = parse(&file).unwrap();
    assert_eq!(plan.check_mappable(), Ok(()));
    // Linux places the image by its first segment, and reserves from the lowest page.
    assert_eq!(plan.first_vaddr(), 0x2000);
    assert_eq!(plan.total_mapping_size(), 0x3000);
    let bias = plan.bias_for_base(0x5555_5555_4000);
    assert_eq!(bias, 0x5555_5555_2000);
    assert_eq!(plan.image_start(bias), 0x5555_5555_4000);
    assert_eq!(plan.bias_at(0x7f00_0000_0000), 0x7eff_ffff_e000);
    assert_eq!(plan.entry_at(bias), Ok(0x5555_5555_2010));
}

#[test]
fn position_independent_files_may_sit_high_but_not_span_too_much() {
    let high = build(
        ET_DYN,
        0,
        &[load(0x1000, USER_ADDRESS_LIMIT, 0x100, 0x100, PF_R)],
        0x2000,
    );
    let plan = parse(&high).unwrap();
    assert_eq!(plan.check_mappable(), Ok(()));
    // Biased down, it fits; unbiased, it does not.
    let bias = plan.bias_at(0x7000_0000_0000);
    assert!(plan.segments[0].mapping(bias).is_ok());
    assert_eq!(
        plan.segments[0].mapping(0),
        Err(ElfError::SegmentOutsideUserSpace { index: 0 })
    );
    let wide = build(
        ET_DYN,
        0,
        &[
            load(0, 0, 0x100, 0x100, PF_R),
            load(0x1000, USER_ADDRESS_LIMIT + 0x1000, 0x100, 0x100, PF_R),
        ],
        0x2000,
    );
    assert_eq!(
        parse(&wide).unwrap().check_mappable(),
        Err(ElfError::SegmentOutsideUserSpace { index: 1 })
    );
}

#[test]
fn bad_entry_and_missing_segments_cannot_be_mapped() {
    let entry = build(
        ET_EXEC,
        USER_ADDRESS_LIMIT,
        &[load(0, 0x400000, 0x100, 0x100, PF_R)],
        0x1000,
    );
    assert_eq!(
        parse(&entry).unwrap().check_mappable(),
        Err(ElfError::EntryOutsideUserSpace)
    );
    let stack_only = build(
        ET_EXEC,
        0x400000,
        &[Ph {
            kind: PT_GNU_STACK,
            flags: PF_R | PF_W,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
            align: 16,
        }],
        0x1000,
    );
    assert_eq!(
        parse(&stack_only).unwrap().check_mappable(),
        Err(ElfError::NoLoadSegment)
    );
    // A position-independent entry point that the bias pushes out of user space.
    let dyn_entry = build(
        ET_DYN,
        0x7fff_ffff_0000,
        &[load(0, 0, 0x100, 0x100, PF_R)],
        0x1000,
    );
    let plan = parse(&dyn_entry).unwrap();
    assert_eq!(plan.check_mappable(), Ok(()));
    assert_eq!(
        plan.entry_at(0x1000_0000),
        Err(ElfError::EntryOutsideUserSpace)
    );
}

#[test]
fn interpreters_are_checked_as_load_elf_interp() {
    let good = build(
        ET_DYN,
        0x10,
        &[load(0, 0, 0x100, 0x100, PF_R | PF_X)],
        0x1000,
    );
    let plan = parse_interpreter_prefix(&good, good.len() as u64).unwrap();
    assert_eq!(plan.kind, ElfKind::Dyn);
    // Shorter than a header: EIO, whatever the bytes.
    let short = parse_interpreter_prefix(
        b"#!/bin/sh
",
        10,
    );
    assert_eq!(short, Err(ElfError::TooShort));
    assert_eq!(ElfError::TooShort.interpreter_errno(), abi::Errno::EIO);
    assert_eq!(
        parse_interpreter_prefix(&good[..40], 40),
        Err(ElfError::TooShort)
    );
    // Not ELF, another machine, bad program headers: ELIBBAD.
    let text = [b'x'; 100];
    let error = parse_interpreter_prefix(&text, 100).unwrap_err();
    assert_eq!(error.interpreter_errno(), abi::Errno::ELIBBAD);
    let mut machine = good.clone();
    machine[18] = 3;
    let error = parse_interpreter_prefix(&machine, 0x1000).unwrap_err();
    assert_eq!(error.interpreter_errno(), abi::Errno::ELIBBAD);
    let mut phentsize = good.clone();
    phentsize[54] = 32;
    let error = parse_interpreter_prefix(&phentsize, 0x1000).unwrap_err();
    assert_eq!(error.interpreter_errno(), abi::Errno::ELIBBAD);
    // The type is checked only when mapping: a relocatable object parses.
    let mut relocatable = good.clone();
    relocatable[16] = 1;
    let plan = parse_interpreter_prefix(&relocatable, 0x1000).unwrap();
    assert_eq!(plan.check_mappable(), Err(ElfError::UnsupportedType(1)));
    // An interpreter's own PT_INTERP is ignored, even a malformed one.
    let interp = Ph {
        kind: PT_INTERP,
        flags: PF_R,
        offset: 0x200,
        vaddr: 0x200,
        filesz: 1,
        memsz: 1,
        align: 1,
    };
    let nested = build(
        ET_DYN,
        0x10,
        &[interp, load(0, 0, 0x100, 0x100, PF_R)],
        0x1000,
    );
    assert_eq!(parse(&nested), Err(ElfError::BadInterpreterPath));
    let plan = parse_interpreter_prefix(&nested, 0x1000).unwrap();
    assert_eq!(plan.interp, None);
}

#[test]
fn rejects_bad_interpreter_paths() {
    let interp = |offset: u64, filesz: u64| Ph {
        kind: PT_INTERP,
        flags: PF_R,
        offset,
        vaddr: offset,
        filesz,
        memsz: filesz,
        align: 1,
    };
    let text = load(0, 0, 0x1000, 0x1000, PF_R | PF_X);
    let with = |ph: Ph, bytes: &[u8]| {
        let mut file = build(ET_DYN, 0x10, &[ph, text], 0x1000);
        file[0x200..0x200 + bytes.len()].copy_from_slice(bytes);
        parse(&file)
    };
    assert_eq!(
        with(interp(0x200, 1), b"\0"),
        Err(ElfError::BadInterpreterPath)
    );
    assert_eq!(
        with(interp(0x200, 4), b"/abc"),
        Err(ElfError::BadInterpreterPath)
    );
    assert_eq!(
        with(interp(0x200, 4097), b""),
        Err(ElfError::BadInterpreterPath)
    );
    assert_eq!(
        with(interp(0xff0, 0x20), b""),
        Err(ElfError::InterpreterPathOutsideFile)
    );
    // Positions kernel_read refuses: negative as a loff_t, or overflowing one.
    assert_eq!(
        with(interp(u64::MAX - 2, 8), b""),
        Err(ElfError::InterpreterPathBadOffset)
    );
    assert_eq!(
        with(interp(1 << 63, 8), b""),
        Err(ElfError::InterpreterPathBadOffset)
    );
    assert_eq!(
        with(interp(i64::MAX as u64 - 3, 8), b""),
        Err(ElfError::InterpreterPathBadOffset)
    );
    assert_eq!(
        with(interp(1 << 40, 8), b""),
        Err(ElfError::InterpreterPathOutsideFile)
    );
    let plan = with(interp(0x200, 4), b"/ab\0").unwrap();
    assert_eq!(plan.interp.as_deref(), Some(&b"/ab"[..]));
}

#[test]
fn no_truncation_or_corruption_panics() {
    let file = static_exec();
    let exercise = |bytes: &[u8]| {
        for plan in [
            parse(bytes),
            parse_interpreter_prefix(bytes, bytes.len() as u64),
        ]
        .into_iter()
        .flatten()
        {
            if plan.check_mappable().is_ok() {
                for bias in [0, 0x5555_5555_4000, u64::MAX - 0xfff] {
                    let _ = plan.entry_at(bias);
                    for segment in &plan.segments {
                        let _ = segment.mapping(bias);
                    }
                }
            }
            let _ = plan.total_mapping_size();
        }
    };
    for len in 0..file.len().min(512) {
        exercise(&file[..len]);
    }
    for position in 0..64 + 4 * 56 {
        for value in [0u8, 1, 0x7f, 0x80, 0xff] {
            let mut corrupt = file.clone();
            corrupt[position] = value;
            exercise(&corrupt);
        }
    }
    // Every byte of the program headers set to extremes.
    for position in (64..64 + 4 * 56).step_by(8) {
        let mut corrupt = file.clone();
        corrupt[position..position + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        exercise(&corrupt);
    }
}

// Real binaries from the host.

fn read_host_binary(path: &str) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            std::eprintln!("{path} not present; skipping");
            None
        }
    }
}

/// Checks what every real executable satisfies.
fn check_common(plan: &LoadPlan, file: &[u8]) {
    assert!(!plan.segments.is_empty());
    assert_eq!(plan.phent, 56);
    assert!(plan.phdr_vaddr.is_some());
    assert!(!plan.is_stack_executable);
    assert!(plan.segments.iter().any(|s| s.is_executable));
    assert_eq!(plan.check_mappable(), Ok(()));
    let low = plan.segments.iter().map(|s| s.vaddr).min().unwrap() & !0xfff;
    for segment in &plan.segments {
        assert!(segment.file_offset + segment.filesz <= file.len() as u64);
        assert!(segment.vaddr + segment.memsz <= low + plan.total_mapping_size());
        assert!(
            segment
                .mapping(plan.bias_for_base(0x5555_5555_4000))
                .is_ok()
        );
    }
    let entry_segment = plan
        .segments
        .iter()
        .find(|s| s.vaddr <= plan.entry && plan.entry < s.vaddr + s.memsz)
        .expect("the entry point lies in a segment");
    assert!(entry_segment.is_executable);
}

#[test]
fn plans_static_busybox() {
    let Some(file) = read_host_binary("/bin/busybox") else {
        return;
    };
    let plan = parse(&file).unwrap();
    check_common(&plan, &file);
    if plan.kind == ElfKind::Exec {
        assert_eq!(plan.interp, None, "busybox-static has no interpreter");
        assert_eq!(plan.phdr_vaddr, Some(plan.first_vaddr() + 64));
    }
}

#[test]
fn plans_dynamic_pie_ls() {
    let Some(file) = read_host_binary("/bin/ls") else {
        return;
    };
    let plan = parse(&file).unwrap();
    check_common(&plan, &file);
    assert_eq!(plan.kind, ElfKind::Dyn);
    let interp = plan.interp.as_deref().expect("ls is dynamically linked");
    assert!(
        interp.starts_with(b"/lib"),
        "{:?}",
        std::str::from_utf8(interp)
    );
    assert!(Path::new(std::str::from_utf8(interp).unwrap()).exists());
    assert_eq!(plan.first_vaddr(), 0);
    // Its interpreter parses as one.
    let loader = std::fs::read(std::str::from_utf8(interp).unwrap()).unwrap();
    let loader_plan = parse_interpreter_prefix(&loader, loader.len() as u64).unwrap();
    assert_eq!(loader_plan.check_mappable(), Ok(()));
}

#[test]
fn plans_the_dynamic_loader() {
    let Some(file) = read_host_binary("/lib64/ld-linux-x86-64.so.2") else {
        return;
    };
    let plan = parse(&file).unwrap();
    check_common(&plan, &file);
    assert_eq!(plan.kind, ElfKind::Dyn);
    assert_eq!(plan.interp, None);
}

/// Compiles a C program with `musl-gcc` and the given flags, if musl-gcc is installed.
fn build_with_musl(name: &str, flags: &[&str]) -> Option<Vec<u8>> {
    if Command::new("musl-gcc").arg("--version").output().is_err() {
        std::eprintln!("musl-gcc not installed; skipping");
        return None;
    }
    let dir = std::env::temp_dir().join(std::format!("elfload-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("hello.c");
    std::fs::write(
        &source,
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .unwrap();
    let output = dir.join(name);
    // "SOURCE" in `flags` marks where the source file goes; otherwise it comes last.
    let mut command = Command::new("musl-gcc");
    command.arg("-o").arg(&output);
    for flag in flags {
        if *flag == "SOURCE" {
            command.arg(&source);
        } else {
            command.arg(flag);
        }
    }
    if !flags.contains(&"SOURCE") {
        command.arg(&source);
    }
    let status = command.status().unwrap();
    assert!(status.success(), "musl-gcc {flags:?} failed");
    let bytes = std::fs::read(&output).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Some(bytes)
}

#[test]
fn plans_static_musl_executable() {
    let Some(file) = build_with_musl("static", &["-static", "-no-pie"]) else {
        return;
    };
    let plan = parse(&file).unwrap();
    check_common(&plan, &file);
    assert_eq!(plan.kind, ElfKind::Exec);
    assert_eq!(plan.interp, None);
    assert!(plan.first_vaddr() >= 0x10000);
}

#[test]
fn plans_static_pie_musl_executable() {
    // Debian's musl-gcc specs ignore `-static-pie` (they link Scrt1.o and ask for the dynamic
    // loader), so spell out the self-relocating start file and the linker flags.
    let musl = "/usr/lib/x86_64-linux-musl";
    let gcc_file = |name: &str| {
        Command::new("gcc")
            .arg(std::format!("-print-file-name={name}"))
            .output()
            .ok()
            .and_then(|out| std::string::String::from_utf8(out.stdout).ok())
            .map(|path| std::string::String::from(path.trim()))
    };
    let (Some(crt_begin), Some(crt_end)) = (gcc_file("crtbeginS.o"), gcc_file("crtendS.o")) else {
        std::eprintln!("gcc not installed; skipping");
        return;
    };
    let rcrt1 = std::format!("{musl}/rcrt1.o");
    let crti = std::format!("{musl}/crti.o");
    let crtn = std::format!("{musl}/crtn.o");
    if !Path::new(&rcrt1).exists() {
        std::eprintln!("{rcrt1} missing; skipping");
        return;
    }
    let flags = [
        "-fPIE",
        "-static-pie",
        "-nostartfiles",
        "-Wl,-static",
        "-Wl,-pie",
        "-Wl,--no-dynamic-linker",
        &rcrt1,
        &crti,
        &crt_begin,
        "SOURCE",
        &crt_end,
        &crtn,
    ];
    let Some(file) = build_with_musl("static-pie", &flags) else {
        return;
    };
    let plan = parse(&file).unwrap();
    check_common(&plan, &file);
    assert_eq!(plan.kind, ElfKind::Dyn);
    assert_eq!(plan.interp, None, "a static PIE has no interpreter");
    assert_eq!(plan.first_vaddr(), 0);
}

#[test]
fn no_truncation_of_a_real_binary_panics() {
    let Some(file) = read_host_binary("/bin/ls") else {
        return;
    };
    for len in (0..file.len()).step_by(97) {
        let _ = parse(&file[..len]);
    }
}

#[test]
fn prefix_parse_matches_whole_file_parse() {
    let Ok(file) = std::fs::read("/bin/busybox") else {
        return;
    };
    let whole = parse(&file);
    let prefix = parse_prefix(&file[..file.len().min(4096)], file.len() as u64);
    assert_eq!(whole.is_ok(), prefix.is_ok());
    if let (Ok(whole), Ok(prefix)) = (whole, prefix) {
        assert_eq!(whole.segments.len(), prefix.segments.len());
        assert_eq!(whole.entry, prefix.entry);
    }
}
