//! `/sys/module` (Linux's `kernel/params.c`): built-in code with parameters shows as a module
//! directory with `parameters/` and a write-only `uevent`. Ferrux has two such pieces:
//!
//! - `printk`, with `time` (timestamps on console lines) and `ignore_loglevel` (every record
//!   reaches the console), both 0644 booleans read as `Y`/`N` that take effect when written
//!   (`param_set_bool`: `y`, `Y`, `1`, `on` set, `n`, `N`, `0`, `off` clear, anything else
//!   `EINVAL`). Linux's other printk parameters (`always_kmsg_dump`,
//!   `console_no_auto_verbose`, `console_suspend`) have no counterpart in Ferrux (no kmsg
//!   dumpers, no suspend) and are not shown.
//! - `kernel`, with `panic` (the `panic=` timeout, an `int`: `param_set_int`'s `kstrtoint`,
//!   base 0, `EINVAL` for anything else). Linux's other core parameters (`pause_on_oops`,
//!   `panic_on_warn`, `initcall_debug`…) have no counterpart and are not shown.

use super::{Content, add_uevent, add_writable, dir};
use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use vfs::pseudo::DynamicDir;

/// Linux's `kstrtobool`.
fn parse_bool(data: &[u8]) -> Result<bool, Errno> {
    match data {
        [b'y' | b'Y' | b'1', ..] => Ok(true),
        [b'n' | b'N' | b'0', ..] => Ok(false),
        [b'o' | b'O', b'n' | b'N', ..] => Ok(true),
        [b'o' | b'O', b'f' | b'F', ..] => Ok(false),
        _ => Err(Errno::EINVAL),
    }
}

fn render_bool(flag: &AtomicBool, out: &mut Vec<u8>) -> Result<(), Errno> {
    let on = flag.load(Ordering::Relaxed);
    vfs::pseudo::push(out, if on { b"Y\n" } else { b"N\n" })
}

fn render_time(out: &mut Vec<u8>) -> Result<(), Errno> {
    render_bool(&crate::printk::PRINTK_TIME, out)
}

fn write_time(data: &[u8]) -> Result<(), Errno> {
    crate::printk::PRINTK_TIME.store(parse_bool(data)?, Ordering::Relaxed);
    Ok(())
}

fn render_ignore_loglevel(out: &mut Vec<u8>) -> Result<(), Errno> {
    render_bool(&crate::printk::IGNORE_LOGLEVEL, out)
}

fn write_ignore_loglevel(data: &[u8]) -> Result<(), Errno> {
    crate::printk::IGNORE_LOGLEVEL.store(parse_bool(data)?, Ordering::Relaxed);
    Ok(())
}

fn render_panic(out: &mut Vec<u8>) -> Result<(), Errno> {
    crate::out!(out, "{}\n", crate::panic_policy::timeout())
}

/// Linux's `kstrtoint` with base 0: an optional sign, then decimal, `0x` hex or `0` octal, and
/// at most one final newline; out of `i32` range is `ERANGE`, reported as `EINVAL` by params.
fn parse_int(data: &[u8]) -> Result<i32, Errno> {
    let text = core::str::from_utf8(data.strip_suffix(b"\n").unwrap_or(data))
        .map_err(|_| Errno::EINVAL)?;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Errno::EINVAL);
    }
    let magnitude = i64::from_str_radix(digits, radix).map_err(|_| Errno::EINVAL)?;
    let value = if negative { -magnitude } else { magnitude };
    i32::try_from(value).map_err(|_| Errno::EINVAL)
}

fn write_panic(data: &[u8]) -> Result<(), Errno> {
    crate::panic_policy::set_timeout(i64::from(parse_int(data)?));
    Ok(())
}

/// Adds `/sys/module`.
pub(super) fn build(root: &DynamicDir) -> Result<(), Errno> {
    let module = dir(root, b"module", 0o755)?;
    let printk = dir(&module, b"printk", 0o755)?;
    let parameters = dir(&printk, b"parameters", 0o755)?;
    add_writable(
        &parameters,
        b"ignore_loglevel",
        0o644,
        Content::Render(render_ignore_loglevel),
        write_ignore_loglevel,
    )?;
    add_writable(
        &parameters,
        b"time",
        0o644,
        Content::Render(render_time),
        write_time,
    )?;
    add_uevent(&printk, 0o200, Content::Static(b""))?;
    let kernel = dir(&module, b"kernel", 0o755)?;
    let parameters = dir(&kernel, b"parameters", 0o755)?;
    add_writable(
        &parameters,
        b"panic",
        0o644,
        Content::Render(render_panic),
        write_panic,
    )?;
    add_uevent(&kernel, 0o200, Content::Static(b""))?;
    Ok(())
}
