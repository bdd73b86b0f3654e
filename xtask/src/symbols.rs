//! The second step of `cargo xtask build`: embed the kernel's symbol table in its ELF, so that
//! panic backtraces name functions (`ferrux::init::start+0x1c/0x80`), as Linux's kallsyms does.
//!
//! [`embed`] reads the function symbols of the linked ELF (`object`), demangles them without
//! their hashes (`rustc-demangle`), encodes them with the `symtab` crate and writes the table
//! over the `.ferrux.symtab` section that hal reserves, padded with zeros to the section's size,
//! so that no address, size or program header changes. The ELF's own `.symtab` is the source, so
//! embedding again gives the same bytes.

use std::path::Path;

use anyhow::{Context, Result, bail};
use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use symtab::InputSymbol;

/// The section hal reserves for the table (`hal/src/kallsyms.rs`, `kernel/linker.ld`).
const SECTION: &str = ".ferrux.symtab";

/// The kernel's higher-half base: the 32-bit boot trampoline below it is left out.
const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// The functions of the kernel ELF, including assembly labels (no type) in code sections,
/// demangled.
fn function_symbols(file: &object::File<'_>) -> Vec<InputSymbol> {
    file.symbols()
        .filter(|symbol| symbol.is_definition())
        .filter(|symbol| matches!(symbol.kind(), SymbolKind::Text | SymbolKind::Unknown))
        .filter(|symbol| symbol.address() >= KERNEL_BASE)
        .filter(|symbol| {
            symbol
                .section_index()
                .and_then(|index| file.section_by_index(index).ok())
                .is_some_and(|section| section.kind() == SectionKind::Text)
        })
        .filter_map(|symbol| {
            let name = symbol.name().ok()?;
            if name.is_empty() || name.starts_with(".L") || name.starts_with('$') {
                return None;
            }
            Some(InputSymbol {
                address: symbol.address(),
                size: symbol.size(),
                name: format!("{:#}", rustc_demangle::demangle(name)),
            })
        })
        .collect()
}

/// Builds the table for the ELF in `data` and writes it into its reserved section.
pub fn embed_in_image(data: &mut [u8]) -> Result<usize> {
    let (table, offset, size) = {
        let file = object::File::parse(&*data).context("cannot parse the kernel ELF")?;
        let symbols = function_symbols(&file);
        if symbols.is_empty() {
            bail!("the kernel ELF has no function symbols (was it stripped?)");
        }
        let table = symtab::encode(&symbols)
            .map_err(|error| anyhow::anyhow!("cannot encode the symbol table: {error:?}"))?;
        let section = file
            .section_by_name(SECTION)
            .with_context(|| format!("the kernel ELF has no {SECTION} section"))?;
        let (offset, size) = section
            .file_range()
            .with_context(|| format!("{SECTION} has no bytes in the file"))?;
        (table, offset, size)
    };
    let start = usize::try_from(offset)?;
    let end = start
        .checked_add(usize::try_from(size)?)
        .filter(|&end| end <= data.len())
        .with_context(|| format!("{SECTION} lies outside the file"))?;
    let reserved = &mut data[start..end];
    let is_ours =
        reserved.starts_with(&symtab::UNFILLED_MAGIC) || reserved.starts_with(&symtab::MAGIC);
    if !is_ours {
        bail!("{SECTION} does not start with hal's reservation marker");
    }
    if table.len() > reserved.len() {
        bail!(
            "the symbol table needs {} bytes but {SECTION} has {}: raise RESERVED_BYTES in \
             hal/src/kallsyms.rs",
            table.len(),
            reserved.len()
        );
    }
    reserved.fill(0);
    reserved[..table.len()].copy_from_slice(&table);
    Ok(table.len())
}

/// Embeds the symbol table into the kernel ELF at `elf`.
pub fn embed(elf: &Path) -> Result<()> {
    let mut data = std::fs::read(elf).with_context(|| format!("cannot read {}", elf.display()))?;
    embed_in_image(&mut data).with_context(|| format!("in {}", elf.display()))?;
    crate::paths::write_atomically(elf, &data)?;
    set_executable(elf)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_kernel_elf() {
        assert!(embed_in_image(&mut []).is_err());
        assert!(embed_in_image(&mut b"\x7fELF not really".to_vec()).is_err());
        // The host's xtask binary is an ELF without kernel symbols or a reserved section.
        let mut host = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(embed_in_image(&mut host).is_err());
    }
}
