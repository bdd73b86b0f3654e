//! Host tests of the table format: encoding, decoding, lookups, damaged input.

use super::*;
use alloc::string::ToString;
use alloc::vec;

fn symbol(address: u64, size: u64, name: &str) -> InputSymbol {
    InputSymbol {
        address,
        size,
        name: name.to_string(),
    }
}

const BASE: u64 = 0xffff_ffff_8010_0000;

fn sample() -> Vec<u8> {
    encode(&[
        symbol(BASE + 0x100, 0x40, "ferrux::init::start"),
        symbol(BASE, 0x20, "hal::boot::entry"),
        // Assembly label without a size: reaches the next symbol.
        symbol(BASE + 0x20, 0, "syscall_entry"),
        symbol(BASE + 0x80, 0x10, "core::panicking::panic_fmt"),
        // An alias at the same address: the first sized one stays.
        symbol(BASE + 0x80, 0, "rust_begin_unwind_alias"),
        symbol(
            BASE + 0x200,
            0x8,
            "<ferrux::fs::File as core::fmt::Debug>::fmt",
        ),
    ])
    .unwrap()
}

#[test]
fn round_trip_in_address_order() {
    let bytes = sample();
    let table = SymbolTable::parse(&bytes).unwrap();
    assert_eq!(table.len(), 5);
    let names: Vec<&str> = (0..table.len())
        .map(|index| table.get(index).unwrap().name)
        .collect();
    assert_eq!(
        names,
        [
            "hal::boot::entry",
            "syscall_entry",
            "core::panicking::panic_fmt",
            "ferrux::init::start",
            "<ferrux::fs::File as core::fmt::Debug>::fmt",
        ]
    );
    assert_eq!(
        table.get(1).unwrap(),
        Symbol {
            name: "syscall_entry",
            address: BASE + 0x20,
            size: 0x60
        }
    );
    assert!(table.get(5).is_none());
}

#[test]
fn lookup_finds_the_containing_function() {
    let bytes = sample();
    let table = SymbolTable::parse(&bytes).unwrap();
    let name = |address| table.lookup(address).map(|symbol| symbol.name);
    assert_eq!(name(BASE), Some("hal::boot::entry"));
    assert_eq!(name(BASE + 0x1f), Some("hal::boot::entry"));
    assert_eq!(name(BASE + 0x20), Some("syscall_entry"));
    assert_eq!(name(BASE + 0x7f), Some("syscall_entry"));
    assert_eq!(name(BASE + 0x8f), Some("core::panicking::panic_fmt"));
    // Gaps, below and above the table.
    assert_eq!(name(BASE + 0x90), None);
    assert_eq!(name(BASE + 0x140), None);
    assert_eq!(name(BASE - 1), None);
    assert_eq!(name(0), None);
    assert_eq!(name(u64::MAX), None);
    assert_eq!(
        name(BASE + 0x207),
        Some("<ferrux::fs::File as core::fmt::Debug>::fmt")
    );
}

#[test]
fn return_addresses_resolve_to_the_calling_function() {
    let bytes = sample();
    let table = SymbolTable::parse(&bytes).unwrap();
    // A call as the last instruction of hal::boot::entry returns to the next function's start.
    let (symbol, offset) = table.lookup_return_address(BASE + 0x20).unwrap();
    assert_eq!((symbol.name, offset), ("hal::boot::entry", 0x20));
    let (symbol, offset) = table.lookup_return_address(BASE + 0x11c).unwrap();
    assert_eq!(
        (symbol.name, offset, symbol.size),
        ("ferrux::init::start", 0x1c, 0x40)
    );
    assert!(table.lookup_return_address(0).is_none());
    assert!(table.lookup_return_address(BASE).is_none());
}

#[test]
fn padding_is_allowed_and_unfilled_or_damaged_tables_are_rejected() {
    let mut bytes = sample();
    bytes.resize(4096, 0);
    assert_eq!(SymbolTable::parse(&bytes).unwrap().len(), 5);

    let mut unfilled = vec![0u8; 4096];
    unfilled[..8].copy_from_slice(&UNFILLED_MAGIC);
    assert!(SymbolTable::parse(&unfilled).is_none());
    assert!(SymbolTable::parse(&[]).is_none());

    // Truncated anywhere: no table, no panic.
    let bytes = sample();
    for len in 0..bytes.len() {
        assert!(SymbolTable::parse(&bytes[..len]).is_none(), "{len}");
    }
    // A count that overflows.
    let mut huge = bytes.clone();
    huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(SymbolTable::parse(&huge).is_none());
}

#[test]
fn damaged_entries_give_no_symbol_instead_of_panicking() {
    let mut bytes = sample();
    // Point the first entry's name past the names and the second one's into invalid UTF-8.
    bytes[HEADER_BYTES + 8..HEADER_BYTES + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let table_len = bytes.len();
    bytes[table_len - 1] = 0xff;
    let table = SymbolTable::parse(&bytes).unwrap();
    assert!(table.get(0).is_none());
    assert!(table.lookup(BASE + 4).is_none());
    assert!(table.get(4).is_none());
    assert_eq!(table.get(1).unwrap().name, "syscall_entry");
    // Entries out of order give wrong answers at worst.
    let _ = table.lookup(BASE + 0x100);
}

#[test]
fn empty_and_out_of_range_inputs() {
    let bytes = encode(&[]).unwrap();
    let table = SymbolTable::parse(&bytes).unwrap();
    assert!(table.is_empty());
    assert!(table.lookup(BASE).is_none());
    assert_eq!(
        encode(&[symbol(0, 1, "a"), symbol(1 << 32, 1, "far")]),
        Err(EncodeError::OutOfRange {
            name: "far".to_string()
        })
    );
    assert!(encode(&[symbol(0, 1 << 32, "huge")]).is_err());
}
