//! Why a file is not a loadable ELF executable, and the errno Linux returns for each reason.
//!
//! Linux 6.1's `load_elf_binary` finds some problems before the point of no return of exec
//! (`begin_new_exec`), where the caller gets an errno back: those are the errors of the parse
//! functions ([`crate::parse_prefix`], [`crate::parse_interpreter_prefix`]). Others only show
//! when it maps the segments, after the old image is gone, and the process is killed with
//! SIGSEGV instead: those are the errors of [`crate::LoadPlan::check_mappable`] and
//! [`crate::Segment::mapping`].

use abi::Errno;
use core::fmt;

/// A file that cannot be executed as an x86-64 ELF program. `index` fields number program
/// headers from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// The file is shorter than the 64-byte ELF header.
    TooShort,
    /// The file does not start with `\x7fELF`.
    BadMagic,
    /// `e_machine` is not `EM_X86_64`.
    UnsupportedMachine(u16),
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN`.
    UnsupportedType(u16),
    /// `e_phentsize` is not the size of an ELF64 program header (56).
    BadProgramHeaderSize(u16),
    /// `e_phnum` is 0 or the program headers take more than a page.
    BadProgramHeaderCount(u16),
    /// The program header table extends past the end of the file.
    ProgramHeadersOutsideFile,
    /// The `PT_INTERP` path is shorter than 2 or longer than `PATH_MAX` bytes, or does not end with
    /// a NUL.
    BadInterpreterPath,
    /// The `PT_INTERP` path extends past the end of the file.
    InterpreterPathOutsideFile,
    /// The `PT_INTERP` path's offset is negative as a file position (`loff_t`), or its end
    /// overflows one: `kernel_read` refuses it (`rw_verify_area`: `EINVAL`).
    InterpreterPathBadOffset,
    /// A `PT_LOAD` segment's file pages end past the largest file offset (`MAX_LFS_FILESIZE`), or
    /// overflow (mmap's `EOVERFLOW`, `EINVAL`).
    SegmentOutsideFile {
        /// Program header index.
        index: usize,
    },
    /// A `PT_LOAD` segment has `p_filesz > p_memsz`.
    FileSizeExceedsMemorySize {
        /// Program header index.
        index: usize,
    },
    /// A `PT_LOAD` segment's address and file offset differ modulo the page size, so it cannot
    /// be mapped.
    MisalignedSegment {
        /// Program header index.
        index: usize,
    },
    /// A `PT_LOAD` segment wraps around the address space or ends above the user address space
    /// (for `ET_DYN`, once the load bias is added); or the segments of an `ET_DYN` file span more
    /// than it.
    SegmentOutsideUserSpace {
        /// Program header index.
        index: usize,
    },
    /// The entry point is not in the user address space.
    EntryOutsideUserSpace,
    /// There is no `PT_LOAD` segment.
    NoLoadSegment,
    /// No memory for the plan.
    OutOfMemory,
}

impl ElfError {
    /// The errno `execve` returns for this problem in the executable itself, as Linux 6.1's
    /// `load_elf_binary`: `ENOEXEC` for what is not a valid x86-64 ELF program (so that other
    /// binary formats can be tried; a program header table the file does not hold counts, since
    /// `load_elf_phdrs` only says "no table"), `EIO` for a `PT_INTERP` path the file does not
    /// hold (a short `elf_read`), `EINVAL` for one at an offset `kernel_read` refuses, `EINVAL` for segments that cannot be mapped (seen only by a
    /// process that is killed anyway), `ENOMEM` for memory exhaustion.
    pub fn errno(self) -> Errno {
        match self {
            ElfError::TooShort
            | ElfError::BadMagic
            | ElfError::UnsupportedMachine(_)
            | ElfError::UnsupportedType(_)
            | ElfError::BadProgramHeaderSize(_)
            | ElfError::BadProgramHeaderCount(_)
            | ElfError::ProgramHeadersOutsideFile
            | ElfError::BadInterpreterPath => Errno::ENOEXEC,
            ElfError::InterpreterPathOutsideFile => Errno::EIO,
            ElfError::InterpreterPathBadOffset => Errno::EINVAL,
            ElfError::SegmentOutsideFile { .. } => Errno::EOVERFLOW,
            ElfError::FileSizeExceedsMemorySize { .. }
            | ElfError::MisalignedSegment { .. }
            | ElfError::SegmentOutsideUserSpace { .. }
            | ElfError::EntryOutsideUserSpace
            | ElfError::NoLoadSegment => Errno::EINVAL,
            ElfError::OutOfMemory => Errno::ENOMEM,
        }
    }

    /// The errno for this problem in the program interpreter named by `PT_INTERP`: a file too
    /// short for an ELF header is `EIO` (the short `elf_read` of the header), one that is not an
    /// x86-64 ELF file or whose program headers cannot be read is `ELIBBAD`; what
    /// `load_elf_interp` finds later (the type, the segments) kills the process.
    pub fn interpreter_errno(self) -> Errno {
        match self {
            ElfError::TooShort => Errno::EIO,
            ElfError::BadMagic
            | ElfError::UnsupportedMachine(_)
            | ElfError::BadProgramHeaderSize(_)
            | ElfError::BadProgramHeaderCount(_)
            | ElfError::ProgramHeadersOutsideFile => Errno::ELIBBAD,
            other => other.errno(),
        }
    }
}

impl From<ElfError> for Errno {
    fn from(error: ElfError) -> Errno {
        error.errno()
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::TooShort => f.write_str("file shorter than an ELF header"),
            ElfError::BadMagic => f.write_str("not an ELF file"),
            ElfError::UnsupportedMachine(machine) => {
                write!(f, "ELF machine {machine} is not x86-64")
            }
            ElfError::UnsupportedType(kind) => write!(f, "ELF type {kind} is not executable"),
            ElfError::BadProgramHeaderSize(size) => write!(f, "program header size {size}"),
            ElfError::BadProgramHeaderCount(count) => write!(f, "program header count {count}"),
            ElfError::ProgramHeadersOutsideFile => f.write_str("program headers past end of file"),
            ElfError::BadInterpreterPath => f.write_str("malformed PT_INTERP path"),
            ElfError::InterpreterPathOutsideFile => f.write_str("PT_INTERP past end of file"),
            ElfError::InterpreterPathBadOffset => {
                f.write_str("PT_INTERP offset not a file position")
            }
            ElfError::SegmentOutsideFile { index } => {
                write!(f, "segment {index} has a file range that overflows")
            }
            ElfError::FileSizeExceedsMemorySize { index } => {
                write!(f, "segment {index} has p_filesz > p_memsz")
            }
            ElfError::MisalignedSegment { index } => {
                write!(
                    f,
                    "segment {index} address and offset differ modulo the page size"
                )
            }
            ElfError::SegmentOutsideUserSpace { index } => {
                write!(f, "segment {index} lies outside the user address space")
            }
            ElfError::EntryOutsideUserSpace => f.write_str("entry point outside user space"),
            ElfError::NoLoadSegment => f.write_str("no PT_LOAD segment"),
            ElfError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

impl core::error::Error for ElfError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_follow_linux() {
        assert_eq!(Errno::from(ElfError::BadMagic), Errno::ENOEXEC);
        assert_eq!(Errno::from(ElfError::UnsupportedMachine(3)), Errno::ENOEXEC);
        assert_eq!(
            Errno::from(ElfError::ProgramHeadersOutsideFile),
            Errno::ENOEXEC
        );
        assert_eq!(
            Errno::from(ElfError::InterpreterPathOutsideFile),
            Errno::EIO
        );
        assert_eq!(
            Errno::from(ElfError::FileSizeExceedsMemorySize { index: 0 }),
            Errno::EINVAL
        );
        assert_eq!(ElfError::BadMagic.interpreter_errno(), Errno::ELIBBAD);
        assert_eq!(ElfError::TooShort.interpreter_errno(), Errno::EIO);
        assert_eq!(
            ElfError::ProgramHeadersOutsideFile.interpreter_errno(),
            Errno::ELIBBAD
        );
        assert_eq!(ElfError::OutOfMemory.errno(), Errno::ENOMEM);
    }
}
