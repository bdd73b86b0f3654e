//! The ELF loader (Linux's `fs/binfmt_elf.c`): maps a static ELF executable (ET_EXEC or static
//! PIE) into a fresh address space and builds the initial stack (`create_elf_tables`).
//!
//! Stack layout, from the top down: an 8-byte end marker, the `execfn` string, the environment
//! strings, the argument strings, the platform string "x86_64", 16 random bytes (AT_RANDOM),
//! padding to 16 bytes, then the auxiliary vector, envp[], argv[] and argc at the stack pointer.
//! ELF segments are private file mappings read on first touch; `.bss` beyond the file is
//! anonymous memory. Not done yet: dynamic executables (PT_INTERP) and address randomization.

use super::exec::{current_stack_limit, initial_stack_floor};
use crate::mm::address_space::{STACK_LIMIT, STACK_TOP};
use crate::mm::vma::{VmaFlags, VmaKind};
use crate::mm::{
    AddressSpace, Backing, PAGE_SIZE, Protection, Vma, page_align_down, page_align_up,
};
use abi::Errno;
use abi::auxv;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfload::{ElfKind, LoadPlan};
use vfs::Inode;

/// Where ET_DYN programs without an interpreter are loaded (Linux's `ELF_ET_DYN_BASE` with
/// randomization off: 2/3 of the 47-bit address space, page aligned).
const ET_DYN_BASE: u64 = 0x5555_5555_4000;

/// Identity values the auxiliary vector reports.
pub struct ExecIdentity {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// AT_SECURE: the exec changed privileges.
    pub is_secure: bool,
}

/// A loaded program, ready to run.
pub struct LoadedProgram {
    pub mm: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
}

/// How much of a program exec reads to find its headers (Linux reads `BINPRM_BUF_SIZE` and
/// then the program headers; one page holds both for ordinary executables).
const HEADER_READ_SIZE: usize = 4096;

/// The load plan of the ELF file `inode`, from its first page; the whole file is read only when
/// the program headers or the interpreter path lie beyond it.
fn read_load_plan(inode: &Arc<dyn Inode>) -> Result<LoadPlan, Errno> {
    let size = inode.metadata().size;
    let mut prefix = [0u8; HEADER_READ_SIZE];
    let mut filled = 0;
    while filled < prefix.len() {
        let n = inode.read_at(filled as u64, &mut prefix[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    match elfload::parse_prefix(&prefix[..filled], size) {
        Err(
            elfload::ElfError::ProgramHeadersOutsideFile
            | elfload::ElfError::InterpreterPathOutsideFile,
        ) if size > filled as u64 => {
            let file = read_whole_file(inode)?;
            Ok(elfload::parse(&file)?)
        }
        result => Ok(result?),
    }
}

/// Reads a whole file.
fn read_whole_file(inode: &Arc<dyn Inode>) -> Result<Vec<u8>, Errno> {
    let size = inode.metadata().size as usize;
    let mut data = Vec::new();
    hal::mm::heap::user_data(|| data.try_reserve_exact(size)).map_err(|_| Errno::ENOMEM)?;
    data.resize(size, 0);
    let mut done = 0;
    while done < size {
        let n = inode.read_at(done as u64, &mut data[done..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    data.truncate(done);
    Ok(data)
}

/// Loads the ELF executable `inode` with `argv` and `envp`.
pub fn load_elf(
    inode: &Arc<dyn Inode>,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    identity: &ExecIdentity,
) -> Result<LoadedProgram, Errno> {
    let plan = read_load_plan(inode)?;
    if plan.interp.is_some() {
        // Dynamic executables need the interpreter loaded too; not yet.
        return Err(Errno::ENOEXEC);
    }
    let bias = match plan.kind {
        ElfKind::Exec => 0,
        ElfKind::Dyn => ET_DYN_BASE - page_align_down(plan.min_vaddr),
    };
    let mut mm = AddressSpace::try_new()?;
    let brk = map_segments(&mut mm, inode, &plan, bias)?;
    mm.set_brk_start(brk);

    let stack = Vma {
        start: STACK_TOP - STACK_LIMIT,
        end: STACK_TOP,
        protection: Protection {
            is_readable: true,
            is_writable: true,
            is_executable: plan.is_stack_executable,
        },
        is_shared: false,
        backing: Backing::Anonymous,
        kind: VmaKind::Stack,
        flags: VmaFlags::empty(),
    };
    mm.insert_vma(stack)?;

    let phdr = plan.phdr_vaddr.map_or(0, |vaddr| vaddr + bias);
    let entry = plan.entry + bias;
    let features = crate::boot_cpu_features();
    let auxiliary = [
        (auxv::AT_PHDR, phdr),
        (auxv::AT_PHENT, u64::from(plan.phent)),
        (auxv::AT_PHNUM, u64::from(plan.phnum)),
        (auxv::AT_PAGESZ, PAGE_SIZE),
        (auxv::AT_BASE, 0),
        (auxv::AT_FLAGS, 0),
        (auxv::AT_ENTRY, entry),
        (auxv::AT_UID, u64::from(identity.uid)),
        (auxv::AT_EUID, u64::from(identity.euid)),
        (auxv::AT_GID, u64::from(identity.gid)),
        (auxv::AT_EGID, u64::from(identity.egid)),
        (auxv::AT_SECURE, u64::from(identity.is_secure)),
        (auxv::AT_CLKTCK, 100),
        (auxv::AT_HWCAP, u64::from(features.hwcap)),
        (auxv::AT_HWCAP2, u64::from(features.hwcap2)),
        (auxv::AT_MINSIGSTKSZ, hal::cpu::xsave_size() as u64 + 1024),
    ];
    let stack_pointer = build_stack(&mut mm, argv, envp, execfn, &auxiliary)?;
    mm.set_stack_floor(initial_stack_floor(stack_pointer, current_stack_limit()));
    Ok(LoadedProgram {
        mm,
        entry,
        stack_pointer,
    })
}

/// Maps the PT_LOAD segments; returns the initial program break (end of the last segment).
fn map_segments(
    mm: &mut AddressSpace,
    inode: &Arc<dyn Inode>,
    plan: &LoadPlan,
    bias: u64,
) -> Result<u64, Errno> {
    let mut brk = 0;
    for segment in plan.segments.iter().filter(|segment| segment.memsz > 0) {
        let protection = Protection {
            is_readable: segment.is_readable,
            is_writable: segment.is_writable,
            is_executable: segment.is_executable,
        };
        let start = page_align_down(segment.vaddr + bias);
        let file_end = segment.vaddr + bias + segment.filesz;
        let memory_end =
            page_align_up(segment.vaddr + bias + segment.memsz).ok_or(Errno::ENOEXEC)?;
        let file_pages_end = page_align_up(file_end)
            .ok_or(Errno::ENOEXEC)?
            .min(memory_end)
            .max(start);
        if file_pages_end > start {
            mm.unmap_range(start, file_pages_end);
            mm.insert_vma(Vma {
                start,
                end: file_pages_end,
                protection,
                is_shared: false,
                backing: Backing::File {
                    inode: inode.clone(),
                    offset: page_align_down(segment.file_offset),
                    file_end,
                    is_sigbus_past_eof: false,
                    may_write_shared: false,
                    path: None,
                },
                kind: VmaKind::Normal,
                flags: VmaFlags::empty(),
            })?;
        }
        if memory_end > file_pages_end {
            mm.unmap_range(file_pages_end, memory_end);
            mm.insert_vma(Vma {
                start: file_pages_end,
                end: memory_end,
                protection,
                is_shared: false,
                backing: Backing::Anonymous,
                kind: VmaKind::Normal,
                flags: VmaFlags::empty(),
            })?;
        }
        brk = brk.max(memory_end);
    }
    Ok(brk)
}

/// Writes the initial stack and returns the stack pointer (pointing at argc).
fn build_stack(
    mm: &mut AddressSpace,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    auxiliary: &[(u64, u64)],
) -> Result<u64, Errno> {
    // Strings, from the top down, collected in an image that ends at STACK_TOP.
    let mut strings: Vec<u8> = Vec::new();
    let push_string = |bytes: &[u8], strings: &mut Vec<u8>| -> u64 {
        // Strings grow downward: prepend by building in reverse order of placement.
        strings.splice(0..0, bytes.iter().copied().chain(core::iter::once(0)));
        strings.len() as u64 // distance from the end to the string's start
    };
    strings.extend_from_slice(&[0u8; 8]);
    let execfn_offset = push_string(execfn, &mut strings);
    let mut env_offsets = Vec::new();
    for value in envp.iter().rev() {
        env_offsets.push(push_string(value, &mut strings));
    }
    env_offsets.reverse();
    let mut arg_offsets = Vec::new();
    for value in argv.iter().rev() {
        arg_offsets.push(push_string(value, &mut strings));
    }
    arg_offsets.reverse();
    let platform_offset = push_string(b"x86_64", &mut strings);
    let mut random = [0u8; 16];
    crate::random::fill(&mut random);
    strings.splice(0..0, random.iter().copied());
    let random_offset = strings.len() as u64;

    let strings_start = STACK_TOP - strings.len() as u64;
    let address_of = |offset: u64| STACK_TOP - offset;

    let mut table: Vec<u64> = Vec::new();
    table.push(argv.len() as u64);
    table.extend(arg_offsets.iter().map(|&offset| address_of(offset)));
    table.push(0);
    table.extend(env_offsets.iter().map(|&offset| address_of(offset)));
    table.push(0);
    for &(key, value) in auxiliary {
        table.push(key);
        table.push(value);
    }
    table.extend_from_slice(&[auxv::AT_RANDOM, address_of(random_offset)]);
    table.extend_from_slice(&[auxv::AT_EXECFN, address_of(execfn_offset)]);
    table.extend_from_slice(&[auxv::AT_PLATFORM, address_of(platform_offset)]);
    table.extend_from_slice(&[auxv::AT_NULL, 0]);

    let table_bytes = table.len() as u64 * 8;
    let stack_pointer = (strings_start - table_bytes) & !15;
    if STACK_TOP - stack_pointer > STACK_LIMIT / 2 {
        return Err(Errno::E2BIG);
    }
    let table_image: Vec<u8> = table.iter().flat_map(|word| word.to_le_bytes()).collect();
    mm.write_bytes(stack_pointer, &table_image)?;
    mm.write_bytes(strings_start, &strings)?;
    // What /proc/<pid>/cmdline, environ, auxv and stat read back.
    let end_of = |offsets: &[u64], values: &[Vec<u8>]| {
        offsets
            .last()
            .zip(values.last())
            .map_or(0, |(&offset, value)| {
                address_of(offset) + value.len() as u64 + 1
            })
    };
    let layout = &mut mm.layout;
    layout.arg_start = arg_offsets.first().map_or(0, |&offset| address_of(offset));
    layout.arg_end = end_of(&arg_offsets, argv);
    layout.env_start = env_offsets
        .first()
        .map_or(layout.arg_end, |&offset| address_of(offset));
    layout.env_end = end_of(&env_offsets, envp).max(layout.env_start);
    layout.start_stack = stack_pointer;
    layout.auxv = table[2 + argv.len() + 1 + envp.len()..]
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .collect();
    Ok(stack_pointer)
}
