//! The initial stack of a new program (Linux's `create_elf_tables` in `fs/binfmt_elf.c`, with
//! the strings `do_execveat_common` copies first).
//!
//! From the top down: an 8-byte end marker, the `execfn` string (`AT_EXECFN`), the environment
//! strings, the argument strings (`argv[0]` lowest: `mm->arg_start`), then, below a random gap
//! of under 8 KiB (`arch_align_stack`, when randomized), the platform string "x86_64"
//! (`AT_PLATFORM`), 16 random bytes (`AT_RANDOM`), padding to 16 bytes, the auxiliary vector,
//! envp[], argv[] and argc at the stack pointer.
//!
//! The auxiliary vector in Linux 6.1's order for x86-64: `AT_SYSINFO_EHDR` (with a vDSO),
//! `AT_MINSIGSTKSZ`, `AT_HWCAP`, `AT_PAGESZ`, `AT_CLKTCK`, `AT_PHDR`, `AT_PHENT`, `AT_PHNUM`,
//! `AT_BASE`, `AT_FLAGS`, `AT_ENTRY`, `AT_UID`, `AT_EUID`, `AT_GID`, `AT_EGID`, `AT_SECURE`,
//! `AT_RANDOM`, `AT_HWCAP2`, `AT_EXECFN`, `AT_PLATFORM`, `AT_NULL`.

use crate::mm::address_space::STACK_LIMIT;
use crate::mm::{AddressSpace, PAGE_SIZE};
use abi::Errno;
use abi::auxv;
use alloc::vec::Vec;
use elfload::layout;

/// `ELF_PLATFORM` with its NUL.
const PLATFORM: &[u8] = b"x86_64\0";
/// `AT_CLKTCK`: `USER_HZ`.
const CLOCK_TICKS_PER_SECOND: u64 = 100;
/// The end marker above the strings (`bprm->p = vma->vm_end - sizeof(void *)`).
const END_MARKER_LEN: u64 = 8;

/// The values of the auxiliary vector that do not point into the stack.
pub struct AuxValues {
    /// The vDSO's ELF header, if one is mapped.
    pub sysinfo_ehdr: Option<u64>,
    pub minsigstksz: u64,
    pub hwcap: u64,
    pub hwcap2: u64,
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// The interpreter's load address, 0 without one.
    pub base: u64,
    /// The program's entry point.
    pub entry: u64,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub is_secure: bool,
}

/// The bytes the strings take at the top of the stack (end marker included): the stack top
/// minus this is `argv[0]`'s address (`mm->start_stack` before the tables are built).
pub fn strings_size(argv: &[Vec<u8>], envp: &[Vec<u8>], execfn: &[u8]) -> u64 {
    let strings: u64 = argv
        .iter()
        .chain(envp)
        .map(|string| string.len() as u64 + 1)
        .sum();
    strings + execfn.len() as u64 + 1 + END_MARKER_LEN
}

/// Writes the initial stack below `stack_top` and returns the stack pointer (pointing at argc).
pub fn build_stack(
    mm: &mut AddressSpace,
    stack_top: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    aux: &AuxValues,
    is_randomized: bool,
) -> Result<u64, Errno> {
    let strings_start = stack_top
        .checked_sub(strings_size(argv, envp, execfn))
        .ok_or(Errno::E2BIG)?;
    if stack_top - strings_start > STACK_LIMIT / 2 {
        return Err(Errno::E2BIG);
    }
    // The strings, lowest first, and where each starts.
    let mut address = strings_start;
    let mut write_string = |mm: &mut AddressSpace, bytes: &[u8]| -> Result<u64, Errno> {
        let at = address;
        mm.write_bytes(at, bytes)?;
        mm.write_bytes(at + bytes.len() as u64, &[0])?;
        address += bytes.len() as u64 + 1;
        Ok(at)
    };
    // argc, argv[], envp[] and the auxiliary vector, as the bytes of the table.
    let mut table = Table(Vec::new());
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * 21;
    table
        .0
        .try_reserve_exact(words * 8)
        .map_err(|_| Errno::ENOMEM)?;
    table.push(argv.len() as u64);
    for arg in argv {
        table.push(write_string(mm, arg)?);
    }
    table.push(0);
    for variable in envp {
        table.push(write_string(mm, variable)?);
    }
    table.push(0);
    let execfn_address = write_string(mm, execfn)?;
    let env_end = execfn_address;
    mm.write_bytes(
        execfn_address + execfn.len() as u64 + 1,
        &[0; END_MARKER_LEN as usize],
    )?;
    // What /proc/<pid>/cmdline and environ read back.
    let arg_end = strings_start + argv.iter().map(|arg| arg.len() as u64 + 1).sum::<u64>();

    let mut p = layout::align_stack(strings_start, crate::random::u64() as u32, is_randomized);
    p -= PLATFORM.len() as u64;
    let platform_address = p;
    mm.write_bytes(platform_address, PLATFORM)?;
    let mut random_bytes = [0u8; 16];
    crate::random::fill(&mut random_bytes);
    p -= random_bytes.len() as u64;
    let random_address = p;
    mm.write_bytes(random_address, &random_bytes)?;

    let mut auxv_pairs: Vec<(u64, u64)> = Vec::new();
    auxv_pairs
        .try_reserve_exact(21)
        .map_err(|_| Errno::ENOMEM)?;
    let mut push = |key: u64, value: u64| {
        table.push(key);
        table.push(value);
        auxv_pairs.push((key, value));
    };
    if let Some(ehdr) = aux.sysinfo_ehdr {
        push(auxv::AT_SYSINFO_EHDR, ehdr);
    }
    push(auxv::AT_MINSIGSTKSZ, aux.minsigstksz);
    push(auxv::AT_HWCAP, aux.hwcap);
    push(auxv::AT_PAGESZ, PAGE_SIZE);
    push(auxv::AT_CLKTCK, CLOCK_TICKS_PER_SECOND);
    push(auxv::AT_PHDR, aux.phdr);
    push(auxv::AT_PHENT, aux.phent);
    push(auxv::AT_PHNUM, aux.phnum);
    push(auxv::AT_BASE, aux.base);
    push(auxv::AT_FLAGS, 0);
    push(auxv::AT_ENTRY, aux.entry);
    push(auxv::AT_UID, u64::from(aux.uid));
    push(auxv::AT_EUID, u64::from(aux.euid));
    push(auxv::AT_GID, u64::from(aux.gid));
    push(auxv::AT_EGID, u64::from(aux.egid));
    push(auxv::AT_SECURE, u64::from(aux.is_secure));
    push(auxv::AT_RANDOM, random_address);
    push(auxv::AT_HWCAP2, aux.hwcap2);
    push(auxv::AT_EXECFN, execfn_address);
    push(auxv::AT_PLATFORM, platform_address);
    push(auxv::AT_NULL, 0);

    let stack_pointer = (p - table.0.len() as u64) & !15;
    if stack_top - stack_pointer > STACK_LIMIT / 2 + 2 * u64::from(layout::STACK_ALIGN_RANGE) {
        return Err(Errno::E2BIG);
    }
    mm.write_bytes(stack_pointer, &table.0)?;
    // What /proc/<pid>/cmdline, environ, auxv and stat read back (`mm->arg_start` …).
    let layout = &mut mm.layout;
    layout.arg_start = strings_start;
    layout.arg_end = arg_end;
    layout.env_start = arg_end;
    layout.env_end = env_end;
    layout.start_stack = stack_pointer;
    layout.auxv = auxv_pairs;
    Ok(stack_pointer)
}

/// The words of the table, little-endian.
struct Table(Vec<u8>);

impl Table {
    /// Appends a word (room was reserved for all of them).
    fn push(&mut self, word: u64) {
        self.0.extend_from_slice(&word.to_le_bytes());
    }
}
