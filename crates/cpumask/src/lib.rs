//! CPU masks (one bit per CPU, at most 64) as Linux's `lib/bitmap.c` prints and parses them:
//! the hex mask of sysfs `cpumap` files and `/proc/irq/N/smp_affinity` (`%*pb`:
//! comma-separated 32-bit groups, zero-padded to the number of possible CPUs) and the CPU
//! list of `online`, `cpulist` and `smp_affinity_list` (`%*pbl`: `0-3,5`).
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::{self, Write};

/// Why a mask or list did not parse (`EINVAL`, `EOVERFLOW` and `ERANGE` in Linux).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Not a mask or list (`EINVAL`).
    Invalid,
    /// A hex mask with bits past the 64th (`EOVERFLOW`).
    Overflow,
    /// A CPU number past 63 in a list (`ERANGE`).
    OutOfRange,
}

/// Writes `mask` as `%*pb` for `nbits` possible CPUs: hex digits enough for `nbits` (at least
/// one), in groups of eight separated by commas past 32 CPUs, then a newline.
pub fn write_mask(out: &mut impl Write, mask: u64, nbits: u32) -> fmt::Result {
    let nbits = nbits.clamp(1, 64);
    let digits = nbits.div_ceil(4) as usize;
    if digits <= 8 {
        return writeln!(out, "{mask:0digits$x}");
    }
    let high = mask >> 32;
    let high_digits = digits - 8;
    writeln!(out, "{high:0high_digits$x},{:08x}", mask & 0xffff_ffff)
}

/// Writes `mask` as `%*pbl`: ranges of consecutive CPUs (`0-3,5`), then a newline; an empty
/// mask is an empty line.
pub fn write_list(out: &mut impl Write, mask: u64) -> fmt::Result {
    let mut first = true;
    let mut cpu = 0u32;
    while cpu < 64 {
        if mask & (1 << cpu) == 0 {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < 64 && mask & (1 << (cpu + 1)) != 0 {
            cpu += 1;
        }
        if !first {
            out.write_char(',')?;
        }
        if start == cpu {
            write!(out, "{start}")?;
        } else {
            write!(out, "{start}-{cpu}")?;
        }
        first = false;
        cpu += 1;
    }
    out.write_char('\n')
}

/// `%*pb` of a mask for `nbits` possible CPUs, with its newline, as a `Display`.
#[derive(Clone, Copy, Debug)]
pub struct Mask {
    pub mask: u64,
    pub nbits: u32,
}

impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_mask(f, self.mask, self.nbits)
    }
}

/// `%*pbl` of a mask, with its newline, as a `Display`.
#[derive(Clone, Copy, Debug)]
pub struct List(pub u64);

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, self.0)
    }
}

/// Parses a hex mask as `bitmap_parse`: 32-bit groups of at most eight hex digits separated
/// by commas, the last group lowest, one final newline allowed.
pub fn parse_mask(text: &[u8]) -> Result<u64, ParseError> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Err(ParseError::Invalid);
    }
    let mut mask: u64 = 0;
    for group in text.split(|&byte| byte == b',') {
        if group.is_empty() || group.len() > 8 {
            return Err(ParseError::Invalid);
        }
        let mut value: u64 = 0;
        for &byte in group {
            let digit = char::from(byte).to_digit(16).ok_or(ParseError::Invalid)?;
            value = (value << 4) | u64::from(digit);
        }
        if mask >> 32 != 0 {
            return Err(ParseError::Overflow);
        }
        mask = (mask << 32) | value;
    }
    Ok(mask)
}

/// Parses a CPU list as `bitmap_parselist`: `N` or `N-M` items separated by commas, one final
/// newline allowed.
pub fn parse_list(text: &[u8]) -> Result<u64, ParseError> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let number = |part: &[u8]| -> Result<u32, ParseError> {
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(ParseError::Invalid);
        }
        core::str::from_utf8(part)
            .ok()
            .and_then(|digits| digits.parse::<u32>().ok())
            .ok_or(ParseError::OutOfRange)
    };
    let mut mask = 0u64;
    for item in text.split(|&byte| byte == b',') {
        let (first, last) = match item.iter().position(|&byte| byte == b'-') {
            Some(at) => (number(&item[..at])?, number(&item[at + 1..])?),
            None => {
                let cpu = number(item)?;
                (cpu, cpu)
            }
        };
        if first > last {
            return Err(ParseError::Invalid);
        }
        if last >= 64 {
            return Err(ParseError::OutOfRange);
        }
        for cpu in first..=last {
            mask |= 1 << cpu;
        }
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn mask(value: u64, nbits: u32) -> String {
        let mut out = String::new();
        write_mask(&mut out, value, nbits).unwrap();
        out
    }

    fn list(value: u64) -> String {
        let mut out = String::new();
        write_list(&mut out, value).unwrap();
        out
    }

    #[test]
    fn masks_are_padded_to_the_possible_cpus() {
        assert_eq!(mask(1, 1), "1\n");
        assert_eq!(mask(3, 2), "3\n");
        assert_eq!(mask(1, 8), "01\n");
        assert_eq!(mask(0xff, 8), "ff\n");
        assert_eq!(mask(1, 40), "00,00000001\n");
        assert_eq!(mask(1 << 33, 64), "00000002,00000000\n");
    }

    #[test]
    fn display_wrappers_print_the_same() {
        assert_eq!(std::format!("{}", Mask { mask: 3, nbits: 4 }), "3\n");
        assert_eq!(std::format!("{}", List(0b110)), "1-2\n");
    }

    #[test]
    fn lists_join_ranges() {
        assert_eq!(list(0), "\n");
        assert_eq!(list(1), "0\n");
        assert_eq!(list(0b1111), "0-3\n");
        assert_eq!(list(0b101111), "0-3,5\n");
        assert_eq!(list(u64::MAX), "0-63\n");
    }

    #[test]
    fn masks_parse_as_bitmap_parse() {
        assert_eq!(parse_mask(b"3\n"), Ok(3));
        assert_eq!(parse_mask(b"ff"), Ok(0xff));
        assert_eq!(parse_mask(b"1,00000000"), Ok(1 << 32));
        assert_eq!(parse_mask(b"zz\n"), Err(ParseError::Invalid));
        assert_eq!(parse_mask(b""), Err(ParseError::Invalid));
        assert_eq!(parse_mask(b"123456789"), Err(ParseError::Invalid));
        assert_eq!(parse_mask(b"1,0,0"), Err(ParseError::Overflow));
    }

    #[test]
    fn lists_parse_as_bitmap_parselist() {
        assert_eq!(parse_list(b"0\n"), Ok(1));
        assert_eq!(parse_list(b"0-3,5"), Ok(0b101111));
        assert_eq!(parse_list(b"3-1"), Err(ParseError::Invalid));
        assert_eq!(parse_list(b"x"), Err(ParseError::Invalid));
        assert_eq!(parse_list(b"64"), Err(ParseError::OutOfRange));
    }
}
