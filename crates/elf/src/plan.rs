//! The load plan: what `execve` maps for an ELF file, derived and validated as Linux's
//! `load_elf_binary` does.
//!
//! - `PT_LOAD` segments, in file order, each with `p_filesz <= p_memsz`, its file range inside
//!   the file, `p_vaddr` and `p_offset` equal modulo the page size, and no address overflow (for
//!   `ET_EXEC`, every segment and the entry point below [`USER_ADDRESS_LIMIT`]; for `ET_DYN`, the
//!   whole span no larger than it, since the load bias is chosen later).
//! - `AT_PHDR`: like Linux, the address of the program headers is taken from the (last)
//!   `PT_LOAD` whose file range holds `e_phoff`; if none does, from `PT_PHDR`.
//! - `PT_INTERP`: the first one counts; its size must be 2..=`PATH_MAX` with a final NUL.
//! - `PT_GNU_STACK`: the last one counts; without one the stack is not executable (x86-64 has no
//!   `READ_IMPLIES_EXEC` default for 64-bit programs).
//!
//! Unlike Linux, which maps a short file and lets the program fault, a segment whose file range
//! ends past the end of the file is rejected (`ENOEXEC`).

use alloc::vec::Vec;

use crate::file_header::{ET_EXEC, FileHeader};
use crate::program_header::{
    PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR, ProgramHeader, program_headers,
};
use crate::{ElfError, INTERP_PATH_MAX, PAGE_SIZE, USER_ADDRESS_LIMIT};

/// The ELF file type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// `ET_EXEC`: mapped at the addresses in the file.
    Exec,
    /// `ET_DYN`: a position-independent executable or shared object (such as the dynamic
    /// loader), mapped at a load bias chosen by the kernel.
    Dyn,
}

/// One `PT_LOAD` segment: map `filesz` bytes from `file_offset` at `vaddr` (plus the load bias
/// for [`ElfKind::Dyn`]) and zero the rest up to `memsz`. A segment with `memsz == 0` maps
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_memsz`, at least `filesz`.
    pub memsz: u64,
    /// `p_offset`, congruent to `vaddr` modulo [`PAGE_SIZE`].
    pub file_offset: u64,
    /// `p_filesz`; `file_offset + filesz` is within the file.
    pub filesz: u64,
    /// `p_align` as stored (not validated, as in Linux).
    pub align: u64,
    /// `PF_R`.
    pub is_readable: bool,
    /// `PF_W`.
    pub is_writable: bool,
    /// `PF_X`.
    pub is_executable: bool,
}

/// What to map and what to tell the program (auxiliary vector) for one ELF file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// `ET_EXEC` or `ET_DYN`.
    pub kind: ElfKind,
    /// `e_entry` (before the load bias for [`ElfKind::Dyn`]).
    pub entry: u64,
    /// The `PT_LOAD` segments, in program-header order.
    pub segments: Vec<Segment>,
    /// The address of the program headers in memory (before the load bias), for `AT_PHDR`; `None`
    /// if no segment maps them and there is no `PT_PHDR`.
    pub phdr_vaddr: Option<u64>,
    /// `e_phentsize`, for `AT_PHENT` (always 56).
    pub phent: u16,
    /// `e_phnum`, for `AT_PHNUM`.
    pub phnum: u16,
    /// The `PT_INTERP` path without its NUL, for example `b"/lib64/ld-linux-x86-64.so.2"`.
    pub interp: Option<Vec<u8>>,
    /// Whether `PT_GNU_STACK` has `PF_X`.
    pub is_stack_executable: bool,
    /// The lowest segment address, rounded down to a page.
    pub min_vaddr: u64,
    /// The end of the highest segment, rounded up to a page.
    pub max_vaddr: u64,
}

impl LoadPlan {
    /// The alignment for choosing an `ET_DYN` load address, as Linux's `maximum_alignment`: the
    /// largest power-of-two `p_align` of the segments, at least a page.
    pub fn load_alignment(&self) -> u64 {
        self.segments
            .iter()
            .map(|segment| segment.align)
            .filter(|align| align.is_power_of_two())
            .fold(PAGE_SIZE, u64::max)
    }

    /// The size of the address range the segments occupy (`max_vaddr - min_vaddr`), as Linux's
    /// `total_mapping_size`.
    pub fn span(&self) -> u64 {
        self.max_vaddr - self.min_vaddr
    }
}

/// Parses and validates the ELF executable `file` into a load plan.
pub fn parse(file: &[u8]) -> Result<LoadPlan, ElfError> {
    parse_prefix(file, file.len() as u64)
}

/// As [`parse`], from the first bytes of a file of `file_size` bytes: `prefix` must hold the
/// file header, the program headers and any `PT_INTERP` path (exec reads one page, not the
/// whole program); segment ranges are checked against `file_size`. A prefix too short for the
/// headers or the path gives the same errors as a short file.
pub fn parse_prefix(prefix: &[u8], file_size: u64) -> Result<LoadPlan, ElfError> {
    let file = prefix;
    let header = FileHeader::parse(file)?;
    let kind = if header.kind == ET_EXEC {
        ElfKind::Exec
    } else {
        ElfKind::Dyn
    };
    let headers = program_headers(file, &header)?;

    let interp = match headers.clone().find(|ph| ph.kind == PT_INTERP) {
        Some(ph) => Some(interpreter_path(file, &ph)?),
        None => None,
    };
    let is_stack_executable = headers
        .clone()
        .filter(|ph| ph.kind == PT_GNU_STACK)
        .last()
        .is_some_and(|ph| ph.flags & PF_X != 0);

    let mut segments = Vec::new();
    segments
        .try_reserve_exact(usize::from(header.phnum))
        .map_err(|_| ElfError::OutOfMemory)?;
    let mut phdr_vaddr = None;
    for (index, ph) in headers.clone().enumerate() {
        if ph.kind != PT_LOAD {
            continue;
        }
        segments.push(load_segment(file_size, kind, index, &ph)?);
        if ph.offset <= header.phoff && header.phoff - ph.offset < ph.filesz {
            phdr_vaddr = Some(ph.vaddr.wrapping_add(header.phoff - ph.offset));
        }
    }
    if phdr_vaddr.is_none() {
        phdr_vaddr = headers
            .clone()
            .find(|ph| ph.kind == PT_PHDR)
            .map(|ph| ph.vaddr);
    }

    let (min_vaddr, max_vaddr) = address_range(&segments)?;
    match kind {
        ElfKind::Exec if header.entry >= USER_ADDRESS_LIMIT => {
            return Err(ElfError::EntryOutsideUserSpace);
        }
        ElfKind::Dyn if max_vaddr - min_vaddr > USER_ADDRESS_LIMIT => {
            return Err(ElfError::SegmentOutsideUserSpace {
                index: last_load_index(headers),
            });
        }
        _ => {}
    }

    Ok(LoadPlan {
        kind,
        entry: header.entry,
        segments,
        phdr_vaddr,
        phent: header.phentsize,
        phnum: header.phnum,
        interp,
        is_stack_executable,
        min_vaddr,
        max_vaddr,
    })
}

/// Validates one `PT_LOAD` header.
fn load_segment(
    file_size: u64,
    kind: ElfKind,
    index: usize,
    ph: &ProgramHeader,
) -> Result<Segment, ElfError> {
    if ph.filesz > ph.memsz {
        return Err(ElfError::FileSizeExceedsMemorySize { index });
    }
    let file_end = ph.offset.checked_add(ph.filesz);
    if ph.filesz != 0 && file_end.is_none_or(|end| end > file_size) {
        return Err(ElfError::SegmentOutsideFile { index });
    }
    if ph.vaddr % PAGE_SIZE != ph.offset % PAGE_SIZE {
        return Err(ElfError::MisalignedSegment { index });
    }
    let outside = ElfError::SegmentOutsideUserSpace { index };
    let end = ph.vaddr.checked_add(ph.memsz).ok_or(outside)?;
    end.checked_next_multiple_of(PAGE_SIZE).ok_or(outside)?;
    if kind == ElfKind::Exec && end > USER_ADDRESS_LIMIT {
        return Err(outside);
    }
    Ok(Segment {
        vaddr: ph.vaddr,
        memsz: ph.memsz,
        file_offset: ph.offset,
        filesz: ph.filesz,
        align: ph.align,
        is_readable: ph.flags & PF_R != 0,
        is_writable: ph.flags & PF_W != 0,
        is_executable: ph.flags & PF_X != 0,
    })
}

/// The page-aligned range covered by the (already validated) segments.
fn address_range(segments: &[Segment]) -> Result<(u64, u64), ElfError> {
    let min = segments.iter().map(|segment| segment.vaddr).min();
    let max = segments
        .iter()
        .map(|segment| segment.vaddr.saturating_add(segment.memsz))
        .max();
    match (min, max) {
        (Some(min), Some(max)) => Ok((
            min - min % PAGE_SIZE,
            // Checked per segment in `load_segment`.
            max.checked_next_multiple_of(PAGE_SIZE)
                .ok_or(ElfError::NoLoadSegment)?,
        )),
        _ => Err(ElfError::NoLoadSegment),
    }
}

fn last_load_index(headers: impl Iterator<Item = ProgramHeader>) -> usize {
    headers
        .enumerate()
        .filter(|(_, ph)| ph.kind == PT_LOAD)
        .map(|(index, _)| index)
        .last()
        .unwrap_or(0)
}

/// The path in a `PT_INTERP` header, without its NUL (and, like Linux's C string, ending at the
/// first NUL).
fn interpreter_path(file: &[u8], ph: &ProgramHeader) -> Result<Vec<u8>, ElfError> {
    if ph.filesz < 2 || ph.filesz > INTERP_PATH_MAX {
        return Err(ElfError::BadInterpreterPath);
    }
    let stored = usize::try_from(ph.offset)
        .ok()
        .and_then(|start| file.get(start..start.checked_add(ph.filesz as usize)?))
        .ok_or(ElfError::InterpreterPathOutsideFile)?;
    let Some((0, _)) = stored.split_last() else {
        return Err(ElfError::BadInterpreterPath);
    };
    let path = stored.split(|&byte| byte == 0).next().unwrap_or_default();
    let mut owned = Vec::new();
    owned
        .try_reserve_exact(path.len())
        .map_err(|_| ElfError::OutOfMemory)?;
    owned.extend_from_slice(path);
    Ok(owned)
}

#[cfg(test)]
mod tests;
