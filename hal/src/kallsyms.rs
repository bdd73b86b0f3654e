//! The kernel's symbol table, for symbolized panic backtraces (Linux's `kernel/kallsyms.c`).
//!
//! hal reserves the section `.ferrux.symtab` ([`RESERVED_BYTES`], starting with
//! [`symtab::UNFILLED_MAGIC`]); `cargo xtask build` overwrites it in the linked ELF with the
//! table of the kernel's functions (see the `symtab` crate). [`table`] reads it back through the
//! linker symbols that bound the section, so the compiler cannot assume the reserved contents.
//! A kernel built without xtask has no table, and backtraces show addresses only.

use symtab::SymbolTable;

/// Room for the table: a release kernel needs about 280 KiB today (session 8: sockets,
/// namespaces, ext4), a debug one (more functions, no inlining) more. `cargo xtask build`
/// fails with a clear message when it is short.
const RESERVED_BYTES: usize = if cfg!(debug_assertions) {
    2 * 1024 * 1024
} else {
    512 * 1024
};

const fn unfilled() -> [u8; RESERVED_BYTES] {
    let mut bytes = [0; RESERVED_BYTES];
    let mut index = 0;
    while index < symtab::UNFILLED_MAGIC.len() {
        bytes[index] = symtab::UNFILLED_MAGIC[index];
        index += 1;
    }
    bytes
}

/// The reservation; `kernel/linker.ld` keeps it and places it in the read-only segment.
#[used]
#[unsafe(link_section = ".ferrux.symtab")]
static RESERVED: [u8; RESERVED_BYTES] = unfilled();

unsafe extern "C" {
    static __symtab_start: u8;
    static __symtab_end: u8;
}

/// The section's bytes.
fn section() -> &'static [u8] {
    let start = &raw const __symtab_start;
    let end = &raw const __symtab_end;
    let len = (end as usize).saturating_sub(start as usize);
    // SAFETY: the linker script defines both symbols around the `.ferrux.symtab` output section,
    // which holds `RESERVED` and lies in the kernel image's read-only segment, mapped for the
    // kernel's whole life and never written after the ELF was loaded.
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// The embedded table, if `cargo xtask build` filled it.
pub(crate) fn table() -> Option<SymbolTable<'static>> {
    SymbolTable::parse(section())
}
