//! The ELF loader (Linux's `fs/binfmt_elf.c`, `load_elf_binary` and `load_elf_interp`): builds
//! the address space of an ELF program — static, static PIE, or dynamic with the interpreter
//! its `PT_INTERP` names (glibc's `ld-linux-x86-64.so.2`, musl's `ld-musl-x86_64.so.1`) — and
//! its initial stack ([`super::elf_tables`]).
//!
//! Layout, as Linux 6.1 on x86-64 (the arithmetic is [`elfload::layout`]; randomized unless
//! `randomize_va_space` is 0 or the personality has `ADDR_NO_RANDOMIZE`,
//! [`crate::mm::randomize`]):
//! - the stack ends at `STACK_TOP`, moved down by up to 16 GiB; the mmap area starts below it
//!   (`mmap_base`), moved down by up to 1 TiB;
//! - `ET_EXEC` programs at their addresses; position-independent programs with an interpreter
//!   at `ELF_ET_DYN_BASE` (0x555555554000) plus the mmap offset; the interpreter, and `ET_DYN`
//!   files run directly (static PIEs, the loader itself), in the mmap area;
//! - the program break after the program's last segment, moved up by up to 32 MiB when
//!   `randomize_va_space` is 2 (for an `ET_DYN` file run directly, out of the mmap area to
//!   `ELF_ET_DYN_BASE` first).
//!
//! Errors: what [`elfload`]'s parsers find, and a missing or unusable interpreter, are
//! returned to the caller ([`ExecError::Refused`]); what Linux finds only while mapping, after
//! the point of no return, kills the process with SIGSEGV ([`ExecError::Fatal`]).
//!
//! Segments are private file mappings read on first touch ([`map_file_pages`], the one place
//! exec maps program text); `.bss` beyond the file is anonymous memory. The vDSO goes last
//! ([`crate::vdso::map`]), as Linux's `arch_setup_additional_pages`.

use super::elf_tables::{AuxValues, build_stack, strings_size};
use super::exec::{ExecError, current_stack_limit, initial_stack_floor};
use super::{Thread, exec::check_executable};
use crate::mm::address_space::{MemoryLimits, STACK_LIMIT};
use crate::mm::randomize;
use crate::mm::vma::{VmaFlags, VmaKind};
use crate::mm::{AddressSpace, Backing, PAGE_SIZE, Protection, Vma};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfload::layout;
use elfload::{ElfError, ElfKind, LoadPlan};
use vfs::Inode;
use vfs::path::Lookup;

/// Identity values the auxiliary vector reports.
pub struct ExecIdentity {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// AT_SECURE: the exec changed privileges.
    pub is_secure: bool,
    /// The personality the new program runs with (a set-id exec has cleared
    /// `PER_CLEAR_ON_SETID` from the caller's).
    pub personality: u32,
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

/// Which parser reads a file: the program's, or the interpreter's (different errors).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Program,
    Interpreter,
}

/// The load plan of the ELF file `inode`, from its first page; the whole file is read only when
/// the program headers or the interpreter path lie beyond it.
fn read_load_plan(inode: &Arc<dyn Inode>, role: Role) -> Result<LoadPlan, Errno> {
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
    let parse = |bytes: &[u8], size: u64| match role {
        Role::Program => elfload::parse_prefix(bytes, size),
        Role::Interpreter => elfload::parse_interpreter_prefix(bytes, size),
    };
    let errno = |error: ElfError| match role {
        Role::Program => error.errno(),
        Role::Interpreter => error.interpreter_errno(),
    };
    match parse(&prefix[..filled], size) {
        Err(ElfError::ProgramHeadersOutsideFile | ElfError::InterpreterPathOutsideFile)
            if size > filled as u64 =>
        {
            let file = read_whole_file(inode)?;
            parse(&file, file.len() as u64).map_err(errno)
        }
        result => result.map_err(errno),
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

/// The interpreter `path` names, opened as Linux's `open_exec` (relative to the working
/// directory, following symlinks, a regular file the caller may execute) and planned. An empty
/// path names the working directory itself (Linux's walk of "" from `AT_FDCWD`), which is
/// then refused as not a regular file (EACCES).
fn open_interpreter(thread: &Thread, path: &[u8]) -> Result<(vfs::Path, LoadPlan), Errno> {
    let dentry = crate::fs::lookup_or_fd(
        thread,
        crate::syscall::args::Fd(crate::fs::AT_FDCWD),
        path,
        Lookup::FOLLOW,
        true,
    )?;
    check_executable(thread, &dentry)?;
    let inode = dentry.inode().clone();
    let plan = read_load_plan(&inode, Role::Interpreter)?;
    Ok((dentry, plan))
}

/// Loads the ELF executable `inode` with `argv` and `envp` for `thread`'s process.
pub fn load_elf(
    thread: &Thread,
    inode: &Arc<dyn Inode>,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    identity: &ExecIdentity,
) -> Result<LoadedProgram, ExecError> {
    let plan = read_load_plan(inode, Role::Program).map_err(ExecError::Refused)?;
    let interpreter = match &plan.interp {
        Some(path) => Some(open_interpreter(thread, path).map_err(ExecError::Refused)?),
        None => None,
    };
    // From here on Linux has passed the point of no return.
    let fatal = |_: ElfError| ExecError::Fatal(Errno::EINVAL);
    plan.check_mappable().map_err(fatal)?;
    if let Some((_, interp_plan)) = &interpreter {
        interp_plan.check_mappable().map_err(fatal)?;
    }
    build_image(
        thread,
        inode,
        &plan,
        interpreter.as_ref(),
        argv,
        envp,
        execfn,
        identity,
    )
    .map_err(ExecError::Fatal)
}

/// Builds the new address space and stack for a checked plan (and interpreter).
#[expect(clippy::too_many_arguments, reason = "the parts of one exec")]
fn build_image(
    thread: &Thread,
    inode: &Arc<dyn Inode>,
    plan: &LoadPlan,
    interpreter: Option<&(vfs::Path, LoadPlan)>,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    identity: &ExecIdentity,
) -> Result<LoadedProgram, Errno> {
    let is_randomized = randomize::is_randomized(identity.personality);
    let random = || crate::random::u64();
    let limits = crate::syscall::mmap::memory_limits(&thread.process);

    // setup_new_exec (arch_pick_mmap_layout), then setup_arg_pages(randomize_stack_top()).
    let mut mm = AddressSpace::try_new()?;
    mm.mmap_base = layout::mmap_base(
        layout::mmap_random_offset(random(), is_randomized),
        current_stack_limit(),
        is_randomized,
    );
    let stack_top = layout::stack_top(random(), is_randomized);
    mm.insert_vma(Vma {
        start: stack_top - STACK_LIMIT,
        end: stack_top,
        protection: Protection {
            is_readable: true,
            is_writable: true,
            is_executable: plan.is_stack_executable,
        },
        is_shared: false,
        backing: Backing::Anonymous,
        kind: VmaKind::Stack,
        flags: VmaFlags::empty(),
        userfault: None,
    })?;

    // The program.
    let bias = match plan.kind {
        ElfKind::Dyn if interpreter.is_some() => {
            let base = layout::et_dyn_base(
                layout::mmap_random_offset(random(), is_randomized),
                plan.load_alignment(),
            );
            let bias = plan.bias_for_base(base);
            let start = plan.image_start(bias);
            // MAP_FIXED_NOREPLACE.
            let end = start
                .checked_add(plan.total_mapping_size())
                .ok_or(Errno::ENOMEM)?;
            if !mm.is_range_free(start, end) {
                return Err(Errno::EEXIST);
            }
            bias
        }
        ElfKind::Dyn => place_in_mmap_area(&mut mm, plan, 0)?,
        _ => 0,
    };
    let end = map_segments(&mut mm, inode, plan, bias, limits)?;
    let entry = plan.entry_at(bias).map_err(|_| Errno::EINVAL)?;

    // The interpreter, in the mmap area.
    let (start_address, interp_base) = match interpreter {
        Some((interp_path, interp_plan)) => {
            let interp_bias = match interp_plan.kind {
                ElfKind::Dyn => {
                    // Linux asks for the interpreter's own address only when the program is
                    // not position-independent.
                    let hint = if bias == 0 {
                        interp_plan.image_start(0)
                    } else {
                        0
                    };
                    place_in_mmap_area(&mut mm, interp_plan, hint)?
                }
                _ => 0,
            };
            map_segments(
                &mut mm,
                interp_path.inode(),
                interp_plan,
                interp_bias,
                limits,
            )?;
            // Its mappings' name in /proc/<pid>/maps.
            mm.set_file_path(interp_path.inode(), interp_path);
            let interp_entry = interp_plan
                .entry_at(interp_bias)
                .map_err(|_| Errno::EINVAL)?;
            (interp_entry, interp_bias)
        }
        None => (entry, 0),
    };

    let is_dyn_without_interpreter = plan.kind == ElfKind::Dyn && interpreter.is_none();
    let brk = layout::program_break(
        end,
        is_dyn_without_interpreter,
        random(),
        is_randomized,
        randomize::randomize_va_space(),
    );
    mm.set_brk_start(brk);

    // arch_setup_additional_pages: the vDSO, above the argument strings.
    let start_stack = stack_top - strings_size(argv, envp, execfn);
    let vdso = crate::vdso::map(&mut mm, start_stack)?;

    // create_elf_tables.
    let features = crate::boot_cpu_features();
    let aux = AuxValues {
        sysinfo_ehdr: vdso,
        minsigstksz: hal::cpu::xsave_size() as u64 + 1024,
        hwcap: u64::from(features.hwcap),
        hwcap2: u64::from(features.hwcap2),
        phdr: plan.phdr_at(bias),
        phent: u64::from(plan.phent),
        phnum: u64::from(plan.phnum),
        base: interp_base,
        entry,
        uid: identity.uid,
        euid: identity.euid,
        gid: identity.gid,
        egid: identity.egid,
        is_secure: identity.is_secure,
    };
    let stack_pointer = build_stack(&mut mm, stack_top, argv, envp, execfn, &aux, is_randomized)?;
    mm.set_stack_floor(initial_stack_floor(
        stack_pointer,
        stack_top,
        current_stack_limit(),
    ));
    Ok(LoadedProgram {
        mm,
        entry: start_address,
        stack_pointer,
    })
}

/// The load bias of an `ET_DYN` image placed in the mmap area (Linux's `elf_map` without
/// `MAP_FIXED`: at `hint` if its range is free, else top-down below the mmap base).
fn place_in_mmap_area(mm: &mut AddressSpace, plan: &LoadPlan, hint: u64) -> Result<u64, Errno> {
    let len = plan.total_mapping_size();
    let hint_fits = hint >= crate::mm::address_space::MMAP_MIN_ADDR
        && hint
            .checked_add(len)
            .is_some_and(|end| end <= layout::TASK_SIZE && mm.is_range_free(hint, end));
    let start = if hint_fits {
        hint
    } else {
        mm.find_free_area(len).ok_or(Errno::ENOMEM)?
    };
    Ok(plan.bias_at(start))
}

/// Maps the `PT_LOAD` segments of `plan` at `bias`, later ones over earlier ones (`MAP_FIXED`);
/// returns the end of the highest segment. Each mapping is checked against the memory rlimits
/// and overcommit, as Linux's `vm_mmap` and `vm_brk_flags` check them.
fn map_segments(
    mm: &mut AddressSpace,
    inode: &Arc<dyn Inode>,
    plan: &LoadPlan,
    bias: u64,
    limits: MemoryLimits,
) -> Result<u64, Errno> {
    let mut end = 0;
    for segment in plan.segments.iter().filter(|segment| segment.memsz > 0) {
        let mapping = segment.mapping(bias).map_err(|_| Errno::ENOMEM)?;
        let protection = Protection {
            is_readable: segment.is_readable,
            is_writable: segment.is_writable,
            is_executable: segment.is_executable,
        };
        let is_data = crate::mm::address_space::is_data_mapping(protection, false, VmaKind::Normal);
        let check = |mm: &AddressSpace, start: u64, end: u64, is_anonymous: bool| {
            let len = end - start;
            if !mm.may_expand(limits, len, is_data, start, end)
                || (is_anonymous && !crate::mm::may_commit(len))
            {
                return Err(Errno::ENOMEM);
            }
            Ok(())
        };
        if mapping.file_pages_end > mapping.start {
            check(mm, mapping.start, mapping.file_pages_end, false)?;
            map_file_pages(
                mm,
                inode,
                mapping.start,
                mapping.file_pages_end,
                mapping.file_offset,
                mapping.file_end,
                protection,
            )?;
        }
        if mapping.memory_end > mapping.file_pages_end {
            check(mm, mapping.file_pages_end, mapping.memory_end, true)?;
            mm.unmap_range(mapping.file_pages_end, mapping.memory_end);
            mm.insert_vma(Vma {
                start: mapping.file_pages_end,
                end: mapping.memory_end,
                protection,
                is_shared: false,
                backing: Backing::Anonymous,
                kind: VmaKind::Normal,
                flags: VmaFlags::empty(),
                userfault: None,
            })?;
        }
        end = end.max(mapping.memory_end);
    }
    Ok(end)
}

/// Maps `[start, end)` privately to the file pages from `offset`: bytes from the address
/// `file_end` on read as zero (the start of `.bss`), and pages wholly past the end of the file
/// raise SIGBUS (a truncated program), as Linux's file mappings. The one place exec maps
/// program text and data from a file.
fn map_file_pages(
    mm: &mut AddressSpace,
    inode: &Arc<dyn Inode>,
    start: u64,
    end: u64,
    offset: u64,
    file_end: u64,
    protection: Protection,
) -> Result<(), Errno> {
    debug_assert!(start.is_multiple_of(PAGE_SIZE) && end.is_multiple_of(PAGE_SIZE));
    mm.unmap_range(start, end);
    mm.insert_vma(Vma {
        start,
        end,
        protection,
        is_shared: false,
        backing: Backing::File {
            inode: inode.clone(),
            offset,
            file_end,
            is_sigbus_past_eof: true,
            may_write_shared: false,
            path: None,
        },
        kind: VmaKind::Normal,
        flags: VmaFlags::empty(),
        userfault: None,
    })
}
