//! The load plan: what `execve` maps for an ELF file, read and checked as Linux 6.1's
//! `load_elf_binary` and `load_elf_interp` do.
//!
//! Parsing ([`parse_prefix`] for a program, [`parse_interpreter_prefix`] for the file its
//! `PT_INTERP` names) does what Linux does before exec's point of no return, so its errors are
//! what `execve` returns:
//! - the file header: `\x7fELF`, ELF64, little-endian, `EM_X86_64`; for a program also
//!   `ET_EXEC` or `ET_DYN` (an interpreter's type is checked only when it is mapped);
//! - the program header table: 56-byte entries, at least one, at most a page, inside the file;
//! - for a program, `PT_INTERP`: the first one counts; its size must be 2..=`PATH_MAX` with a
//!   final NUL (the path ends at the first NUL, as a C string);
//! - `PT_GNU_STACK`: the last one counts; without one the stack is not executable (x86-64 has no
//!   `READ_IMPLIES_EXEC` default for 64-bit programs).
//!
//! What Linux finds only while mapping, once the old image is gone (so the process dies with
//! SIGSEGV), is checked by [`LoadPlan::check_mappable`] and [`Segment::mapping`]: the type of an
//! interpreter, `p_filesz > p_memsz`, `p_vaddr` and `p_offset` that differ modulo the page size,
//! file ranges that overflow, segments or an entry point outside the user address space, an
//! `ET_DYN` file without `PT_LOAD`. Segments may overlap or come in any order: later ones are
//! mapped over earlier ones, as Linux's `MAP_FIXED` does. A segment whose file range ends past
//! the end of the file is mapped; touching its missing pages raises SIGBUS, as on Linux.
//!
//! `AT_PHDR`: the address of the program headers is taken from the last `PT_LOAD` whose file
//! range holds `e_phoff`; if none does, it is the load bias (Linux 6.1 adds the bias to 0).

use alloc::vec::Vec;

use crate::file_header::{ET_DYN, ET_EXEC, FILE_HEADER_LEN, FileHeader};
use crate::program_header::{
    PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, ProgramHeader, program_headers,
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
    /// Any other `e_type` of an interpreter (a program of another type is refused by parsing);
    /// [`LoadPlan::check_mappable`] refuses it.
    Other(u16),
}

/// One `PT_LOAD` segment: map `filesz` bytes from `file_offset` at `vaddr` (plus the load bias
/// for [`ElfKind::Dyn`]) and zero the rest up to `memsz`. A segment with `memsz == 0` maps
/// nothing. Not validated: see [`LoadPlan::check_mappable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The index of its program header.
    pub index: usize,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_memsz`.
    pub memsz: u64,
    /// `p_offset`.
    pub file_offset: u64,
    /// `p_filesz`.
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

/// Where one segment goes once the load bias is known: file pages in `[start, file_pages_end)`
/// (from `file_offset`; bytes at and after the address `file_end` read as zero, which is how the
/// tail of the last file page becomes the start of `.bss`), then anonymous zero pages in
/// `[file_pages_end, memory_end)`. All page-aligned except `file_end`, all within the user
/// address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentMapping {
    pub start: u64,
    pub file_pages_end: u64,
    pub memory_end: u64,
    /// The page-aligned file offset mapped at `start`.
    pub file_offset: u64,
    /// The address where the segment's file bytes end (`p_vaddr + bias + p_filesz`).
    pub file_end: u64,
}

impl Segment {
    /// Where this segment goes at load bias `bias` (Linux's `elf_map` and `set_brk` ranges).
    /// Call after [`LoadPlan::check_mappable`]; a segment that ends above the user address space
    /// once biased is [`ElfError::SegmentOutsideUserSpace`].
    pub fn mapping(&self, bias: u64) -> Result<SegmentMapping, ElfError> {
        let outside = ElfError::SegmentOutsideUserSpace { index: self.index };
        // Linux's address arithmetic is modulo 2^64: a bias may wrap a high p_vaddr around.
        let address = self.vaddr.wrapping_add(bias);
        let end = address
            .checked_add(self.memsz)
            .filter(|&end| end <= USER_ADDRESS_LIMIT)
            .ok_or(outside)?;
        let start = page_start(address);
        let memory_end = page_align(end).ok_or(outside)?;
        let file_end = address + self.filesz.min(self.memsz);
        let file_pages_end = page_align(file_end)
            .ok_or(outside)?
            .min(memory_end)
            .max(start);
        Ok(SegmentMapping {
            start,
            file_pages_end,
            memory_end,
            file_offset: page_start(self.file_offset),
            file_end,
        })
    }
}

/// What to map and what to tell the program (auxiliary vector) for one ELF file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// `e_type`.
    pub kind: ElfKind,
    /// `e_entry` (before the load bias for [`ElfKind::Dyn`]).
    pub entry: u64,
    /// The `PT_LOAD` segments, in program-header order.
    pub segments: Vec<Segment>,
    /// The address of the program headers in memory (before the load bias), for `AT_PHDR`;
    /// `None` if no segment maps them (`AT_PHDR` is then the bias).
    pub phdr_vaddr: Option<u64>,
    /// `e_phentsize`, for `AT_PHENT` (always 56).
    pub phent: u16,
    /// `e_phnum`, for `AT_PHNUM`.
    pub phnum: u16,
    /// The `PT_INTERP` path without its NUL, for example `b"/lib64/ld-linux-x86-64.so.2"`
    /// (always `None` for an interpreter).
    pub interp: Option<Vec<u8>>,
    /// Whether `PT_GNU_STACK` has `PF_X`.
    pub is_stack_executable: bool,
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

    /// The first `PT_LOAD`'s `p_vaddr`, which Linux places the image by (0 without segments).
    pub fn first_vaddr(&self) -> u64 {
        self.segments.first().map_or(0, |segment| segment.vaddr)
    }

    /// The size of the address range the segments occupy, from the lowest page to the end of the
    /// highest segment (Linux's `total_mapping_size`), rounded up to a page; 0 without segments.
    /// Meaningful after [`LoadPlan::check_mappable`].
    pub fn total_mapping_size(&self) -> u64 {
        let low = self.segments.iter().map(|s| page_start(s.vaddr)).min();
        let high = self
            .segments
            .iter()
            .map(|s| s.vaddr.saturating_add(s.memsz))
            .max();
        match (low, high) {
            (Some(low), Some(high)) => page_align(high.saturating_sub(low)).unwrap_or(u64::MAX),
            _ => 0,
        }
    }

    /// The first page of the image at load bias `bias`: where Linux maps the whole image first
    /// (`elf_map` with `total_size` at the first segment's page).
    pub fn image_start(&self, bias: u64) -> u64 {
        page_start(self.first_vaddr().wrapping_add(bias))
    }

    /// The load bias that puts the image's first page at `start` (Linux:
    /// `load_bias = map_addr - ELF_PAGESTART(vaddr)`).
    pub fn bias_at(&self, start: u64) -> u64 {
        start.wrapping_sub(page_start(self.first_vaddr()))
    }

    /// The load bias of a position-independent program placed at `base` (Linux:
    /// `ELF_PAGESTART(load_bias - vaddr)` with the first segment's address).
    pub fn bias_for_base(&self, base: u64) -> u64 {
        page_start(base.wrapping_sub(self.first_vaddr()))
    }

    /// The entry point at load bias `bias`; outside the user address space it is
    /// [`ElfError::EntryOutsideUserSpace`] (Linux's `BAD_ADDR(elf_entry)`).
    pub fn entry_at(&self, bias: u64) -> Result<u64, ElfError> {
        let entry = self.entry.wrapping_add(bias);
        if entry >= USER_ADDRESS_LIMIT {
            return Err(ElfError::EntryOutsideUserSpace);
        }
        Ok(entry)
    }

    /// `AT_PHDR` at load bias `bias`.
    pub fn phdr_at(&self, bias: u64) -> u64 {
        self.phdr_vaddr.unwrap_or(0).wrapping_add(bias)
    }

    /// The checks Linux makes while mapping (after exec's point of no return: a failure kills
    /// the process with SIGSEGV): the type, at least one `PT_LOAD`, and for each segment
    /// `p_filesz <= p_memsz`, mappable offsets, no overflow, and (for `ET_EXEC`) an end and an
    /// entry point in the user address space; for `ET_DYN`, a span that fits in it.
    pub fn check_mappable(&self) -> Result<(), ElfError> {
        if let ElfKind::Other(kind) = self.kind {
            return Err(ElfError::UnsupportedType(kind));
        }
        let last = self.segments.last().ok_or(ElfError::NoLoadSegment)?;
        for segment in &self.segments {
            let index = segment.index;
            if segment.filesz > segment.memsz {
                return Err(ElfError::FileSizeExceedsMemorySize { index });
            }
            let page_offset = segment.vaddr % PAGE_SIZE;
            let maps_file = segment.filesz != 0 || page_offset != 0;
            if maps_file && segment.file_offset % PAGE_SIZE != page_offset {
                return Err(ElfError::MisalignedSegment { index });
            }
            // mmap of the file pages: `vm_mmap`'s wrap check, then `file_mmap_ok` against
            // `MAX_LFS_FILESIZE`.
            if maps_file {
                let length = segment.filesz.checked_add(page_offset).and_then(page_align);
                let first_page = page_start(segment.file_offset) / PAGE_SIZE;
                let fits = length.is_some_and(|length| {
                    length <= MAX_FILE_OFFSET
                        && first_page <= (MAX_FILE_OFFSET - length) / PAGE_SIZE
                });
                if !fits {
                    return Err(ElfError::SegmentOutsideFile { index });
                }
            }
            let outside = ElfError::SegmentOutsideUserSpace { index };
            let end = segment.vaddr.checked_add(segment.memsz).ok_or(outside)?;
            if segment.memsz > USER_ADDRESS_LIMIT
                || (self.kind == ElfKind::Exec && end > USER_ADDRESS_LIMIT)
            {
                return Err(outside);
            }
        }
        match self.kind {
            ElfKind::Exec => {
                self.entry_at(0)?;
            }
            _ => {
                if self.total_mapping_size() > USER_ADDRESS_LIMIT {
                    return Err(ElfError::SegmentOutsideUserSpace { index: last.index });
                }
            }
        }
        Ok(())
    }
}

/// Parses the ELF executable `file` into a load plan.
pub fn parse(file: &[u8]) -> Result<LoadPlan, ElfError> {
    parse_prefix(file, file.len() as u64)
}

/// Parses the program whose first bytes are `prefix`, of a file of `file_size` bytes: `prefix`
/// must hold the file header, the program headers and any `PT_INTERP` path (exec reads one
/// page, not the whole program). A prefix too short for the headers or the path gives the same
/// errors as a short file, so a caller that read less than the whole file can retry with more.
pub fn parse_prefix(prefix: &[u8], file_size: u64) -> Result<LoadPlan, ElfError> {
    let header = FileHeader::parse(prefix)?;
    if header.kind != ET_EXEC && header.kind != ET_DYN {
        return Err(ElfError::UnsupportedType(header.kind));
    }
    plan(prefix, &header, true, file_size)
}

/// Parses the program interpreter (the file named by `PT_INTERP`) whose first bytes are
/// `prefix`, of a file of `file_size` bytes, as Linux checks it before the point of no return:
/// a header (a file shorter than one is [`ElfError::TooShort`], `EIO`), the identification and
/// machine, and the program headers. Its type and segments are checked by
/// [`LoadPlan::check_mappable`]; its own `PT_INTERP` is ignored.
pub fn parse_interpreter_prefix(prefix: &[u8], file_size: u64) -> Result<LoadPlan, ElfError> {
    if file_size < FILE_HEADER_LEN as u64 || prefix.len() < FILE_HEADER_LEN {
        return Err(ElfError::TooShort);
    }
    let header = FileHeader::parse(prefix)?;
    plan(prefix, &header, false, file_size)
}

/// The plan of a file whose header has been checked.
fn plan(
    file: &[u8],
    header: &FileHeader,
    is_program: bool,
    file_size: u64,
) -> Result<LoadPlan, ElfError> {
    let kind = match header.kind {
        ET_EXEC => ElfKind::Exec,
        ET_DYN => ElfKind::Dyn,
        other => ElfKind::Other(other),
    };
    let headers = program_headers(file, header)?;
    let interp = match headers.clone().find(|ph| ph.kind == PT_INTERP) {
        Some(ph) if is_program => Some(interpreter_path(file, file_size, &ph)?),
        _ => None,
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
    for (index, ph) in headers.enumerate() {
        if ph.kind != PT_LOAD {
            continue;
        }
        segments.push(Segment {
            index,
            vaddr: ph.vaddr,
            memsz: ph.memsz,
            file_offset: ph.offset,
            filesz: ph.filesz,
            align: ph.align,
            is_readable: ph.flags & PF_R != 0,
            is_writable: ph.flags & PF_W != 0,
            is_executable: ph.flags & PF_X != 0,
        });
        if ph.offset <= header.phoff && header.phoff - ph.offset < ph.filesz {
            phdr_vaddr = Some(ph.vaddr.wrapping_add(header.phoff - ph.offset));
        }
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
    })
}

/// The path in a `PT_INTERP` header, without its NUL (and, like Linux's C string, ending at the
/// first NUL).
fn interpreter_path(file: &[u8], file_size: u64, ph: &ProgramHeader) -> Result<Vec<u8>, ElfError> {
    if ph.filesz < 2 || ph.filesz > INTERP_PATH_MAX {
        return Err(ElfError::BadInterpreterPath);
    }
    // `kernel_read` takes a signed position: negative, or overflowing with the size, is refused.
    if ph.offset.saturating_add(ph.filesz) > MAX_FILE_OFFSET {
        return Err(ElfError::InterpreterPathBadOffset);
    }
    let stored = usize::try_from(ph.offset)
        .ok()
        .and_then(|start| file.get(start..start.checked_add(ph.filesz as usize)?))
        .ok_or(ElfError::InterpreterPathOutsideFile)?;
    if ph.offset.saturating_add(ph.filesz) > file_size {
        return Err(ElfError::InterpreterPathOutsideFile);
    }
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

/// The largest file position (`MAX_LFS_FILESIZE`, `LLONG_MAX`).
const MAX_FILE_OFFSET: u64 = i64::MAX as u64;

/// `value` rounded down to a page.
pub(crate) fn page_start(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// `value` rounded up to a page, or `None` on overflow.
pub(crate) fn page_align(value: u64) -> Option<u64> {
    value.checked_next_multiple_of(PAGE_SIZE)
}

#[cfg(test)]
mod tests;
