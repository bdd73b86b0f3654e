//! The ELF64 file header (`Elf64_Ehdr`), checked as Linux's `load_elf_binary` checks it: the
//! magic and `e_machine` (`EM_X86_64`). The type (`ET_EXEC` or `ET_DYN`) is checked by the
//! caller: before the point of no return for a program, only when mapping for an interpreter.
//! Like Linux's 64-bit loader, nothing else of the identification is checked: a file that says
//! `ELFCLASS32` or big-endian but has an `EM_X86_64` machine is read as ELF64 little-endian, and
//! `EI_VERSION`, `e_version`, `e_ehsize` and the OS ABI byte are ignored.

use linux_raw_sys::elf_uapi as uapi;

use crate::ElfError;

/// Size of `Elf64_Ehdr`.
pub const FILE_HEADER_LEN: usize = 64;

/// `ET_EXEC`.
pub const ET_EXEC: u16 = uapi::ET_EXEC as u16;
/// `ET_DYN`.
pub const ET_DYN: u16 = uapi::ET_DYN as u16;

/// The fields of the file header that loading needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// `e_type`, not yet checked.
    pub kind: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    pub phnum: u16,
}

impl FileHeader {
    /// Reads and checks the header at the start of `file` (all but the type).
    pub fn parse(file: &[u8]) -> Result<FileHeader, ElfError> {
        let header = file.get(..FILE_HEADER_LEN).ok_or_else(|| {
            // A short file without the magic is not ELF at all.
            if file.len() >= 4 && file[..4] == uapi::ELFMAG[..4] {
                ElfError::TooShort
            } else {
                ElfError::BadMagic
            }
        })?;
        if header[..4] != uapi::ELFMAG[..4] {
            return Err(ElfError::BadMagic);
        }
        let kind = read_u16(header, 16);
        let machine = read_u16(header, 18);
        if u32::from(machine) != uapi::EM_X86_64 {
            return Err(ElfError::UnsupportedMachine(machine));
        }
        Ok(FileHeader {
            kind,
            entry: read_u64(header, 24),
            phoff: read_u64(header, 32),
            phentsize: read_u16(header, 54),
            phnum: read_u16(header, 56),
        })
    }
}

/// The little-endian `u16` at `offset`; the caller has checked that it is in bounds.
pub fn read_u16(bytes: &[u8], offset: usize) -> u16 {
    let mut raw = [0; 2];
    raw.copy_from_slice(&bytes[offset..offset + 2]);
    u16::from_le_bytes(raw)
}

/// The little-endian `u32` at `offset`; the caller has checked that it is in bounds.
pub fn read_u32(bytes: &[u8], offset: usize) -> u32 {
    let mut raw = [0; 4];
    raw.copy_from_slice(&bytes[offset..offset + 4]);
    u32::from_le_bytes(raw)
}

/// The little-endian `u64` at `offset`; the caller has checked that it is in bounds.
pub fn read_u64(bytes: &[u8], offset: usize) -> u64 {
    let mut raw = [0; 8];
    raw.copy_from_slice(&bytes[offset..offset + 8]);
    u64::from_le_bytes(raw)
}
