//! x86-64 ELF executables turned into a [`LoadPlan`] for `execve`, validated the way Linux's
//! `fs/binfmt_elf.c` (`load_elf_binary`, `load_elf_interp`, `load_elf_phdrs`) validates them,
//! and the arithmetic of where Linux puts a new program's pieces ([`layout`]: stack, mmap
//! base, position-independent base, program break, vDSO, with their randomization).
//!
//! [`parse_prefix`] reads the file header and program headers of an `ET_EXEC` or `ET_DYN`
//! (PIE, static PIE or shared object such as the dynamic loader) file and returns the `PT_LOAD`
//! segments with their protections, the entry point, the `AT_PHDR`/`AT_PHENT`/`AT_PHNUM` values
//! for the auxiliary vector, the `PT_INTERP` path and whether `PT_GNU_STACK` asks for an
//! executable stack; [`parse_interpreter_prefix`] does the same for the file `PT_INTERP` names.
//! Their errors are what `execve` returns; [`LoadPlan::check_mappable`] and
//! [`Segment::mapping`] find what Linux finds only after exec's point of no return (the
//! process is then killed with SIGSEGV). The kernel's exec code maps the plan; this crate
//! reads bytes only and never touches memory maps.
//!
//! ```
//! # let file: Vec<u8> = std::fs::read("/bin/ls").unwrap_or_default();
//! match elfload::parse(&file) {
//!     Ok(plan) => {
//!         if plan.check_mappable().is_ok() {
//!             for segment in &plan.segments {
//!                 // Map the file pages and the zero pages of each segment at a bias.
//!                 let bias = 0x5555_5555_4000;
//!                 let mapping = segment.mapping(bias).unwrap();
//!                 assert!(mapping.start <= mapping.file_pages_end);
//!             }
//!         }
//!     }
//!     // execve returns this errno (ENOEXEC lets the caller try #! scripts).
//!     Err(error) => assert_ne!(abi::Errno::from(error).0, 0),
//! }
//! ```
//!
//! Not done: section headers and notes (`PT_GNU_PROPERTY`, x86 CET) are ignored; `PN_XNUM`
//! (more than 65535 program headers) is rejected, as by Linux; 32-bit programs (`EM_386`, Linux's
//! compat loader) get `ENOEXEC`; like Linux, the class and byte-order bytes are not looked at.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod file_header;
pub mod layout;
mod plan;
mod program_header;
pub mod script;

pub use error::ElfError;
pub use plan::{
    ElfKind, LoadPlan, Segment, SegmentMapping, parse, parse_interpreter_prefix, parse_prefix,
};

/// The page size that segment file offsets and addresses must agree modulo (`ELF_MIN_ALIGN`).
pub const PAGE_SIZE: u64 = 4096;

/// The end of the user address space on x86-64 with four-level paging (`TASK_SIZE_MAX`):
/// segments and the entry point must lie below it.
pub const USER_ADDRESS_LIMIT: u64 = (1 << 47) - PAGE_SIZE;

/// The longest `PT_INTERP` path Linux accepts, including its NUL (`PATH_MAX`).
pub const INTERP_PATH_MAX: u64 = 4096;
