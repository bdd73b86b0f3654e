//! Time-namespace rules (Linux 6.1 `kernel/time/namespace.c` and `fs/proc/base.c`'s
//! `timens_offsets_write`): parsing a write to `/proc/PID/timens_offsets`, the range check of
//! an offset, the file's text, and the conversion of an absolute time of a namespace's clock to
//! the host's.
//!
//! A write holds up to two lines `CLOCK SECONDS NANOSECONDS`, CLOCK being `monotonic`, `1`,
//! `boottime` or `7`; each line is scanned as the kernel's `sscanf("%9s %lld %lu")` scans it
//! (leading blanks skipped, digits taken as far as they go, anything after the third number
//! ignored), and nanoseconds must be below a second, else `EINVAL`. Parsing stops after the
//! second offset: the bytes consumed are those up to the end of its line. Each offset must lie
//! within `±KTIME_SEC_MAX` seconds, and the clock plus it must stay within
//! `[0, KTIME_SEC_MAX / 2]` seconds now, else `ERANGE`.

use abi::Errno;

/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: i32 = 1;
/// `CLOCK_BOOTTIME`.
pub const CLOCK_BOOTTIME: i32 = 7;
/// `KTIME_SEC_MAX`: the seconds a signed 64-bit count of nanoseconds holds.
pub const KTIME_SEC_MAX: i64 = i64::MAX / 1_000_000_000;
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// One parsed offset: the clock it shifts and by how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offset {
    pub clock: i32,
    pub seconds: i64,
    pub nanoseconds: i64,
}

impl Offset {
    /// The offset in nanoseconds (it fits: the range check keeps it within `KTIME_SEC_MAX`).
    pub fn as_ns(&self) -> i64 {
        self.seconds
            .saturating_mul(NSEC_PER_SEC)
            .saturating_add(self.nanoseconds)
    }
}

/// What a write asks for: at most two offsets, and how many of the written bytes they used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub offsets: [Option<Offset>; 2],
    pub consumed: usize,
}

fn skip_blanks(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// A number as the kernel's `vsscanf` reads `%lld`/`%lu`: base 10, a minus sign only for the
/// signed form (no plus sign), digits as far as they go (wrapping on overflow).
fn scan_number(text: &[u8], at: usize, is_signed: bool) -> Option<(i128, usize)> {
    let mut at = skip_blanks(text, at);
    let negative = is_signed && text.get(at) == Some(&b'-');
    if negative {
        at += 1;
    }
    let start = at;
    let mut value: u64 = 0;
    while let Some(digit) = text.get(at).filter(|byte| byte.is_ascii_digit()) {
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
        at += 1;
    }
    if at == start {
        return None;
    }
    let value = if is_signed {
        let signed = value as i64;
        i128::from(if negative {
            signed.wrapping_neg()
        } else {
            signed
        })
    } else {
        i128::from(value)
    };
    Some((value, at))
}

/// One line: `%9s %lld %lu`, then the clock's name or number.
fn parse_line(line: &[u8]) -> Result<Offset, Errno> {
    let start = skip_blanks(line, 0);
    let mut end = start;
    while end < line.len() && end - start < 9 && !line[end].is_ascii_whitespace() {
        end += 1;
    }
    if end == start {
        return Err(Errno::EINVAL);
    }
    let clock = &line[start..end];
    let (seconds, at) = scan_number(line, end, true).ok_or(Errno::EINVAL)?;
    let (nanoseconds, _) = scan_number(line, at, false).ok_or(Errno::EINVAL)?;
    if nanoseconds >= i128::from(NSEC_PER_SEC) {
        return Err(Errno::EINVAL);
    }
    let clock = match clock {
        b"monotonic" | b"1" => CLOCK_MONOTONIC,
        b"boottime" | b"7" => CLOCK_BOOTTIME,
        _ => return Err(Errno::EINVAL),
    };
    Ok(Offset {
        clock,
        seconds: seconds as i64,
        nanoseconds: nanoseconds as i64,
    })
}

/// Parses a write of `text` (shorter than a page, at offset 0: the caller checks).
pub fn parse_write(text: &[u8]) -> Result<Request, Errno> {
    // `memdup_user_nul`: the text ends at its first NUL, as a C string does.
    let text = text
        .iter()
        .position(|&byte| byte == 0)
        .map_or(text, |nul| &text[..nul]);
    let mut request = Request {
        offsets: [None, None],
        consumed: text.len(),
    };
    let mut at = 0;
    let mut count = 0;
    loop {
        let line_end = text[at..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map(|index| at + index);
        let line = &text[at..line_end.unwrap_or(text.len())];
        request.offsets[count] = Some(parse_line(line)?);
        count += 1;
        let next = line_end
            .map(|end| end + 1)
            .filter(|&next| next < text.len());
        if count == request.offsets.len() {
            if let Some(next) = next {
                request.consumed = next;
            }
            break;
        }
        match next {
            Some(next) => at = next,
            None => break,
        }
    }
    Ok(request)
}

/// The range check of one offset against the clock's value `now_ns` (`proc_timens_set_offset`).
pub fn check_range(offset: &Offset, now_ns: u64) -> Result<(), Errno> {
    if offset.seconds > KTIME_SEC_MAX || offset.seconds < -KTIME_SEC_MAX {
        return Err(Errno::ERANGE);
    }
    let now = i128::from(now_ns);
    let shifted = now
        + i128::from(offset.seconds) * i128::from(NSEC_PER_SEC)
        + i128::from(offset.nanoseconds);
    let seconds = shifted.div_euclid(i128::from(NSEC_PER_SEC));
    if seconds < 0 || seconds > i128::from(KTIME_SEC_MAX / 2) {
        return Err(Errno::ERANGE);
    }
    Ok(())
}

/// One line of `/proc/PID/timens_offsets` (`%-10s %10lld %9ld`).
pub fn show_line(name: &str, offset_ns: i64) -> alloc::string::String {
    let seconds = offset_ns.div_euclid(NSEC_PER_SEC);
    let nanoseconds = offset_ns.rem_euclid(NSEC_PER_SEC);
    alloc::format!("{name:<10} {seconds:>10} {nanoseconds:>9}\n")
}

/// An absolute time `time_ns` of a namespace's clock, shifted by `offset_ns`, as the host's
/// clock (`do_timens_ktime_to_host`): a time before the offset is already past (0).
pub fn to_host(time_ns: u64, offset_ns: i64) -> u64 {
    let host = i128::from(time_ns) - i128::from(offset_ns);
    if host < 0 {
        0
    } else {
        u64::try_from(host).unwrap_or(u64::MAX)
    }
}

/// A host clock value `host_ns` as the namespace sees it (`timens_add_*`), never below 0.
pub fn from_host(host_ns: u64, offset_ns: i64) -> u64 {
    let value = i128::from(host_ns) + i128::from(offset_ns);
    u64::try_from(value.max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(clock: i32, seconds: i64, nanoseconds: i64) -> Option<Offset> {
        Some(Offset {
            clock,
            seconds,
            nanoseconds,
        })
    }

    #[test]
    fn parses_lines() {
        let request = parse_write(b"1 10 0").unwrap();
        assert_eq!(request.offsets, [offset(1, 10, 0), None]);
        assert_eq!(request.consumed, 6);
        let request = parse_write(b"monotonic -10 5\nboottime 3 999999999\n").unwrap();
        assert_eq!(
            request.offsets,
            [offset(1, -10, 5), offset(7, 3, 999_999_999)]
        );
        let request = parse_write(b"7 1 0\n1 2 0\nrubbish").unwrap();
        assert_eq!(request.consumed, 12);
        assert_eq!(
            parse_write(b"  1   5 0 trailing").unwrap().offsets[0],
            offset(1, 5, 0)
        );
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            &b"not an offset"[..],
            b"1 10",
            b"1 10 1000000000",
            b"2 10 0",
            b"realtime 1 0",
            b"1 10 -1",
            b"",
            b"\n",
            b"monotonicX 1 0",
            b"1 2 0\n\n",
        ] {
            assert_eq!(parse_write(text), Err(Errno::EINVAL), "{text:?}");
        }
    }

    #[test]
    fn range() {
        let day = 86_400_000_000_000;
        let of = |seconds| Offset {
            clock: 1,
            seconds,
            nanoseconds: 0,
        };
        assert!(check_range(&of(-86_400), day).is_ok());
        assert_eq!(check_range(&of(-86_401), day), Err(Errno::ERANGE));
        assert_eq!(check_range(&of(KTIME_SEC_MAX + 1), 0), Err(Errno::ERANGE));
        assert_eq!(
            check_range(&of(KTIME_SEC_MAX / 2 + 1), 0),
            Err(Errno::ERANGE)
        );
        assert!(check_range(&of(KTIME_SEC_MAX / 2), 0).is_ok());
    }

    #[test]
    fn shows_and_converts() {
        assert_eq!(
            show_line("monotonic", -1_500_000_000),
            "monotonic          -2 500000000\n"
        );
        assert_eq!(
            show_line("boottime", 0),
            "boottime            0         0\n"
        );
        assert_eq!(to_host(5, 10), 0);
        assert_eq!(to_host(15, 10), 5);
        assert_eq!(to_host(5, -10), 15);
        assert_eq!(from_host(5, -10), 0);
        assert_eq!(from_host(5, 10), 15);
    }
}
