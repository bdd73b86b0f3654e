//! The kernel's own symbol table, for panic backtraces that read `function+0x1c/0x80` like
//! Linux's (`kernel/kallsyms.c`, printed with `%pS`).
//!
//! `cargo xtask build` links the kernel, reads the function symbols of the ELF, and writes a table
//! made by [`encode`] into the section `.ferrux.symtab`, which hal reserves (a fixed size,
//! starting with [`UNFILLED_MAGIC`]). At a panic hal reads the section
//! with [`SymbolTable::parse`] and resolves each return address with [`SymbolTable::lookup`].
//! A section still unfilled (a kernel built by plain `cargo build`) parses as no table, and the
//! backtrace shows addresses only.
//!
//! Layout (little-endian): the 8-byte [`MAGIC`], `count: u32`, `names_len: u32`, `base: u64`;
//! then `count` entries sorted by address, each `start - base: u32`, `size: u32`,
//! `name_offset: u32`, `name_len: u32`; then `names_len` bytes of UTF-8 names. Decoding checks
//! every length, so a damaged table yields no symbol, never a panic.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

/// First bytes of a filled table.
pub const MAGIC: [u8; 8] = *b"FXSYMTB1";
/// First bytes of the reserved, not yet filled section.
pub const UNFILLED_MAGIC: [u8; 8] = *b"FXSYMTB0";

const HEADER_BYTES: usize = 24;
const ENTRY_BYTES: usize = 16;

/// A function symbol given to [`encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSymbol {
    pub address: u64,
    /// Size in bytes; 0 when unknown (assembly labels): it then extends to the next symbol.
    pub size: u64,
    pub name: String,
}

/// Why a table cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A symbol lies more than 4 GiB above the lowest one, or is larger than 4 GiB.
    OutOfRange { name: String },
    /// The names add up to more than 4 GiB.
    TooLarge,
}

fn to_u32(value: u64, name: &str) -> Result<u32, EncodeError> {
    u32::try_from(value).map_err(|_| EncodeError::OutOfRange { name: name.into() })
}

/// Builds a table from symbols in any order. Symbols at the same address keep the first one
/// with a known size (or the first one); unknown sizes reach to the next symbol.
pub fn encode(symbols: &[InputSymbol]) -> Result<Vec<u8>, EncodeError> {
    let mut sorted: Vec<&InputSymbol> = symbols.iter().collect();
    // Stable: among symbols at one address, the ones with a size come first, then input order.
    sorted.sort_by_key(|symbol| (symbol.address, symbol.size == 0));
    sorted.dedup_by_key(|symbol| symbol.address);
    let base = sorted.first().map_or(0, |symbol| symbol.address);
    let mut entries = Vec::with_capacity(sorted.len() * ENTRY_BYTES);
    let mut names = Vec::new();
    for (index, symbol) in sorted.iter().enumerate() {
        let size = match (symbol.size, sorted.get(index + 1)) {
            (0, Some(next)) => next.address - symbol.address,
            (size, _) => size,
        };
        let name_offset = u32::try_from(names.len()).map_err(|_| EncodeError::TooLarge)?;
        let name_len = to_u32(symbol.name.len() as u64, &symbol.name)?;
        entries.extend_from_slice(&to_u32(symbol.address - base, &symbol.name)?.to_le_bytes());
        entries.extend_from_slice(&to_u32(size, &symbol.name)?.to_le_bytes());
        entries.extend_from_slice(&name_offset.to_le_bytes());
        entries.extend_from_slice(&name_len.to_le_bytes());
        names.extend_from_slice(symbol.name.as_bytes());
    }
    let count = u32::try_from(sorted.len()).map_err(|_| EncodeError::TooLarge)?;
    let names_len = u32::try_from(names.len()).map_err(|_| EncodeError::TooLarge)?;
    let mut table = Vec::with_capacity(HEADER_BYTES + entries.len() + names.len());
    table.extend_from_slice(&MAGIC);
    table.extend_from_slice(&count.to_le_bytes());
    table.extend_from_slice(&names_len.to_le_bytes());
    table.extend_from_slice(&base.to_le_bytes());
    table.extend_from_slice(&entries);
    table.extend_from_slice(&names);
    Ok(table)
}

/// A decoded view of a table.
#[derive(Debug, Clone, Copy)]
pub struct SymbolTable<'a> {
    base: u64,
    entries: &'a [u8],
    names: &'a [u8],
}

/// The function containing an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a str,
    pub address: u64,
    pub size: u64,
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let chunk = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(chunk.try_into().ok()?))
}

impl<'a> SymbolTable<'a> {
    /// Reads a table (trailing padding is allowed); `None` unless it is a whole, filled table.
    pub fn parse(bytes: &'a [u8]) -> Option<SymbolTable<'a>> {
        if bytes.get(..8)? != MAGIC {
            return None;
        }
        let count = usize::try_from(read_u32(bytes, 8)?).ok()?;
        let names_len = usize::try_from(read_u32(bytes, 12)?).ok()?;
        let base = u64::from_le_bytes(bytes.get(16..24)?.try_into().ok()?);
        let entries_end = HEADER_BYTES.checked_add(count.checked_mul(ENTRY_BYTES)?)?;
        let names_end = entries_end.checked_add(names_len)?;
        Some(SymbolTable {
            base,
            entries: bytes.get(HEADER_BYTES..entries_end)?,
            names: bytes.get(entries_end..names_end)?,
        })
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.entries.len() / ENTRY_BYTES
    }

    /// Whether the table has no symbol.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The symbol at `index` in address order.
    pub fn get(&self, index: usize) -> Option<Symbol<'a>> {
        let at = index.checked_mul(ENTRY_BYTES)?;
        let offset = read_u32(self.entries, at)?;
        let size = read_u32(self.entries, at + 4)?;
        let name_offset = usize::try_from(read_u32(self.entries, at + 8)?).ok()?;
        let name_len = usize::try_from(read_u32(self.entries, at + 12)?).ok()?;
        let name = self
            .names
            .get(name_offset..name_offset.checked_add(name_len)?)?;
        Some(Symbol {
            name: core::str::from_utf8(name).ok()?,
            address: self.base.checked_add(u64::from(offset))?,
            size: u64::from(size),
        })
    }

    /// The symbol whose `[address, address + size)` contains `address`, if any.
    pub fn lookup(&self, address: u64) -> Option<Symbol<'a>> {
        // Entries are sorted: find the last one starting at or below `address`.
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if self.get(middle)?.address <= address {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let symbol = self.get(low.checked_sub(1)?)?;
        (address - symbol.address < symbol.size).then_some(symbol)
    }

    /// Resolves a return address as Linux's `%pB` does: the call may be the last instruction
    /// of a `noreturn` function, so the byte before the return address is looked up. Returns
    /// the symbol and the return address's offset into it.
    pub fn lookup_return_address(&self, address: u64) -> Option<(Symbol<'a>, u64)> {
        let symbol = self.lookup(address.checked_sub(1)?)?;
        Some((symbol, address - symbol.address))
    }
}

#[cfg(test)]
mod tests;
