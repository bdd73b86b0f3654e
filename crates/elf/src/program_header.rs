//! ELF64 program headers (`Elf64_Phdr`) and the table of them, read as Linux's `load_elf_phdrs`
//! reads it: entries must be 56 bytes, and the table must be non-empty, at most one page
//! (`ELF_MIN_ALIGN`) long and inside the file.

use linux_raw_sys::elf_uapi as uapi;

use crate::file_header::{FileHeader, read_u32, read_u64};
use crate::{ElfError, PAGE_SIZE};

/// Size of `Elf64_Phdr`.
pub const PROGRAM_HEADER_LEN: usize = 56;

pub const PT_LOAD: u32 = uapi::PT_LOAD;
pub const PT_INTERP: u32 = uapi::PT_INTERP;
#[cfg(test)]
pub const PT_PHDR: u32 = uapi::PT_PHDR;
pub const PT_GNU_STACK: u32 = uapi::PT_GNU_STACK;
pub const PF_X: u32 = uapi::PF_X;
pub const PF_W: u32 = uapi::PF_W;
pub const PF_R: u32 = uapi::PF_R;

/// One program header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl ProgramHeader {
    fn parse(entry: &[u8]) -> ProgramHeader {
        ProgramHeader {
            kind: read_u32(entry, 0),
            flags: read_u32(entry, 4),
            offset: read_u64(entry, 8),
            vaddr: read_u64(entry, 16),
            // p_paddr at 24 is unused.
            filesz: read_u64(entry, 32),
            memsz: read_u64(entry, 40),
            align: read_u64(entry, 48),
        }
    }
}

/// The program header table of `file`, checked.
pub fn program_headers<'a>(
    file: &'a [u8],
    header: &FileHeader,
) -> Result<impl Iterator<Item = ProgramHeader> + Clone + 'a, ElfError> {
    if usize::from(header.phentsize) != PROGRAM_HEADER_LEN {
        return Err(ElfError::BadProgramHeaderSize(header.phentsize));
    }
    let table_len = usize::from(header.phnum) * PROGRAM_HEADER_LEN;
    if table_len == 0 || table_len as u64 > PAGE_SIZE {
        return Err(ElfError::BadProgramHeaderCount(header.phnum));
    }
    let table = usize::try_from(header.phoff)
        .ok()
        .and_then(|start| file.get(start..start.checked_add(table_len)?))
        .ok_or(ElfError::ProgramHeadersOutsideFile)?;
    Ok(table
        .chunks_exact(PROGRAM_HEADER_LEN)
        .map(ProgramHeader::parse))
}
