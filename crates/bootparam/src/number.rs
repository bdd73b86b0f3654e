//! Numbers and booleans in parameter values, read as Linux reads them: [`kstrtoint`] and
//! [`kstrtobool`] (`lib/kstrtox.c`, used by `core_param`s such as `panic=`) and [`get_option`]
//! (`lib/cmdline.c`, used by `loglevel=`).
//!
//! All take base 0 like Linux: `0x` followed by a hex digit means hexadecimal, a leading `0`
//! octal, anything else decimal.

/// Splits off the radix prefix as `_parse_integer_fixup_radix` does for base 0.
fn radix_and_digits(text: &str) -> (u32, &str) {
    let bytes = text.as_bytes();
    if bytes.len() >= 3
        && bytes[0] == b'0'
        && bytes[1].eq_ignore_ascii_case(&b'x')
        && bytes[2].is_ascii_hexdigit()
    {
        (16, &text[2..])
    } else if bytes.first() == Some(&b'0') {
        (8, text)
    } else {
        (10, text)
    }
}

/// The longest run of digits at the start of a string, as `_parse_integer` reads it.
struct Digits {
    /// The value modulo 2^64.
    wrapped: u64,
    is_overflow: bool,
    /// Bytes read.
    count: usize,
}

fn parse_digits(text: &str, radix: u32) -> Digits {
    let mut digits = Digits {
        wrapped: 0,
        is_overflow: false,
        count: 0,
    };
    for ch in text.chars() {
        let Some(digit) = ch.to_digit(radix) else {
            break;
        };
        let next = u128::from(digits.wrapped) * u128::from(radix) + u128::from(digit);
        digits.is_overflow |= next > u128::from(u64::MAX);
        digits.wrapped = next as u64;
        digits.count += 1;
    }
    digits
}

/// `kstrtoull(text, 0)`: the whole string must be a number, optionally followed by one `\n`.
fn kstrtoull(text: &str) -> Option<u64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (radix, digits) = radix_and_digits(text);
    let parsed = parse_digits(digits, radix);
    let rest = &digits[parsed.count..];
    if parsed.count == 0 || parsed.is_overflow || !(rest.is_empty() || rest == "\n") {
        return None;
    }
    Some(parsed.wrapped)
}

/// `kstrtoint(text, 0)`: a whole `int`, or `None` (Linux's `-EINVAL`/`-ERANGE`).
pub fn kstrtoint(text: &str) -> Option<i32> {
    match text.strip_prefix('-') {
        Some(magnitude) => {
            // Linux's kstrtoll does not accept "-+5".
            if magnitude.starts_with('+') {
                return None;
            }
            let magnitude = i64::try_from(kstrtoull(magnitude)?).ok()?;
            i32::try_from(-magnitude).ok()
        }
        None => i32::try_from(kstrtoull(text)?).ok(),
    }
}

/// `kstrtobool`: `y`/`Y`/`t`/`T`/`1`/`on` are true, `n`/`N`/`f`/`F`/`0`/`off` false (only the
/// first one or two characters count, as in Linux); anything else is `None`.
pub fn kstrtobool(text: &str) -> Option<bool> {
    let bytes = text.as_bytes();
    match bytes.first()? {
        b'y' | b'Y' | b't' | b'T' | b'1' => Some(true),
        b'n' | b'N' | b'f' | b'F' | b'0' => Some(false),
        b'o' | b'O' => match bytes.get(1)? {
            b'n' | b'N' => Some(true),
            b'f' | b'F' => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `get_option`: an integer at the start of `text` (trailing text is ignored, as Linux does),
/// or `None` when no digit could be read. Like Linux, the value wraps to `int`.
pub fn get_option(text: &str) -> Option<i32> {
    let (is_negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (radix, digits) = radix_and_digits(text);
    let parsed = parse_digits(digits, radix);
    if parsed.count == 0 {
        return None;
    }
    // simple_strtoull wraps on overflow; `int` takes the low 32 bits.
    let low = parsed.wrapped as u32 as i32;
    Some(if is_negative { low.wrapping_neg() } else { low })
}
