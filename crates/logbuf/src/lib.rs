//! The kernel log buffer (Linux 6.1 `kernel/printk/printk.c` and `printk_ringbuffer.c`) as pure
//! logic: records with sequence numbers in a fixed-size ring, and the text formats that read
//! them — `/dev/kmsg`'s (`devkmsg_read`: `prio,seq,usec,flag;text\n` with non-printable bytes
//! escaped) and syslog(2)'s (`<prio>[    t.uuuuuu] text\n`, one prefix per line of a record).
//!
//! Key items: [`LogBuf`] (the ring: a descriptor per record, indexed by sequence number, and a
//! text area; the oldest records go when either is full, as Linux's `prb_reserve` pushes the
//! tail), [`Record`], [`format_kmsg`], [`format_syslog`], [`parse_user_prefix`] (the `<N>`
//! prefix of a `/dev/kmsg` write, `devkmsg_write`).
//!
//! Sizes follow Debian's Linux 6.1: a 128 KiB text area (`CONFIG_LOG_BUF_SHIFT=17`) with one
//! descriptor per 32 bytes (`PRB_AVGBITS`), records of at most [`LOG_LINE_MAX`] bytes. The
//! buffer is one fixed allocation: nothing grows with what is logged.
//!
//! Not done: continuation records (`KERN_CONT` merging into the last record), the caller id
//! (`CONFIG_PRINTK_CALLER` is off in Debian's kernel), device dictionaries (`SUBSYSTEM=`).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;

/// Bytes of record text the kernel's buffer holds (`__LOG_BUF_LEN`, `1 << CONFIG_LOG_BUF_SHIFT`).
pub const LOG_BUF_LEN: usize = 1 << 17;
/// Record descriptors of the kernel's buffer (`LOG_BUF_LEN >> PRB_AVGBITS`).
pub const LOG_DESCS: usize = LOG_BUF_LEN >> 5;
/// The longest record text (`LOG_LINE_MAX`: `CONSOLE_LOG_MAX - PREFIX_MAX`, 1024 - 32); a longer
/// kernel message is cut there, and a longer `/dev/kmsg` write is `EINVAL`.
pub const LOG_LINE_MAX: usize = 1024 - 32;
/// The longest `/dev/kmsg` record once formatted (`CONSOLE_EXT_LOG_MAX`).
pub const CONSOLE_EXT_LOG_MAX: usize = 8192;
/// `default_message_loglevel` (`CONFIG_MESSAGE_LOGLEVEL_DEFAULT`): the level of a `/dev/kmsg`
/// write without a `<N>` prefix.
pub const DEFAULT_MESSAGE_LOGLEVEL: u8 = 4;
/// `LOG_USER`: the facility of a `/dev/kmsg` write that names none.
pub const LOG_USER: u8 = 1;

/// Flags of a record (`enum printk_info_flags`).
pub mod flags {
    /// The text ended with a newline (`LOG_NEWLINE`).
    pub const NEWLINE: u8 = 2;
    /// A continuation fragment (`LOG_CONT`): `/dev/kmsg` shows `c` instead of `-`.
    pub const CONT: u8 = 8;
}

/// A formatting function could not grow its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

/// What is known about one record (`struct printk_info`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordInfo {
    /// Sequence number: 0 for the first record since boot, one more for each after.
    pub seq: u64,
    /// Nanoseconds since boot when it was logged.
    pub ts_ns: u64,
    /// Syslog facility (0: the kernel).
    pub facility: u8,
    /// Level, 0 (emergency) to 7 (debug).
    pub level: u8,
    /// [`flags`].
    pub flags: u8,
}

impl RecordInfo {
    /// `(facility << 3) | level`, the number both formats print.
    pub fn prio(&self) -> u32 {
        (u32::from(self.facility) << 3) | u32::from(self.level)
    }
}

/// One record read out of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Its header.
    pub info: RecordInfo,
    /// Its text, without the final newline.
    pub text: &'a [u8],
}

#[derive(Clone, Copy)]
struct Desc {
    info: RecordInfo,
    /// Logical position of the text in the text area (`begin % TEXT` is where it starts).
    begin: u64,
    len: u16,
}

const EMPTY_DESC: Desc = Desc {
    info: RecordInfo {
        seq: 0,
        ts_ns: 0,
        facility: 0,
        level: 0,
        flags: 0,
    },
    begin: 0,
    len: 0,
};

/// A log ring of `TEXT` bytes of text and `DESCS` record descriptors.
///
/// Record `seq` lives in descriptor `seq % DESCS`; its text is one contiguous block of the text
/// area (a block that would wrap starts at the beginning instead, wasting the end, as Linux's
/// data ring does). Records `first_seq..next_seq` are valid.
pub struct LogBuf<const TEXT: usize, const DESCS: usize> {
    text: [u8; TEXT],
    descs: [Desc; DESCS],
    /// Logical position where the next text block starts.
    text_head: u64,
    /// The oldest valid record and the one the next push gets.
    first_seq: u64,
    next_seq: u64,
    /// The first record after the last syslog clear (`clear_seq`).
    clear_seq: u64,
    /// Whether the newest record is final (readable).
    is_last_final: bool,
}

impl<const TEXT: usize, const DESCS: usize> Default for LogBuf<TEXT, DESCS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const TEXT: usize, const DESCS: usize> LogBuf<TEXT, DESCS> {
    /// An empty buffer (usable in a `static`).
    pub const fn new() -> Self {
        LogBuf {
            text: [0; TEXT],
            descs: [EMPTY_DESC; DESCS],
            text_head: 0,
            first_seq: 0,
            next_seq: 0,
            clear_seq: 0,
            is_last_final: true,
        }
    }

    /// The oldest record still held (`prb_first_valid_seq`); [`LogBuf::next_seq`] if none.
    pub fn first_seq(&self) -> u64 {
        self.first_seq.min(self.next_seq())
    }

    /// The first record not readable yet (`prb_next_seq`): the number the next record gets, or
    /// the newest record's while it is not final.
    pub fn next_seq(&self) -> u64 {
        if self.is_last_final || self.next_seq == self.first_seq {
            self.next_seq
        } else {
            self.next_seq - 1
        }
    }

    /// The first record after the last clear (syslog `SYSLOG_ACTION_CLEAR`), at least
    /// [`LogBuf::first_seq`].
    pub fn clear_seq(&self) -> u64 {
        self.clear_seq.max(self.first_seq)
    }

    /// Marks everything logged so far as cleared (`dmesg -C`).
    pub fn clear(&mut self) {
        self.clear_seq = self.next_seq();
    }

    /// Appends a record; `text` is cut at [`LOG_LINE_MAX`] (and at `TEXT / 4`, so one record
    /// never fills the ring, `truncate_msg`) and loses one trailing newline, which sets
    /// [`flags::NEWLINE`] (`extra_flags` may set it too). The record is final, and readable at
    /// once, only with [`flags::NEWLINE`]; the one before it becomes final now. The oldest
    /// records are dropped to make room. Returns its sequence number.
    pub fn push(
        &mut self,
        ts_ns: u64,
        facility: u8,
        level: u8,
        extra_flags: u8,
        text: &[u8],
    ) -> u64 {
        let mut text = text;
        let mut record_flags = extra_flags;
        if let Some((&b'\n', rest)) = text.split_last() {
            text = rest;
            record_flags |= flags::NEWLINE;
        }
        let len = text.len().min(LOG_LINE_MAX).min(TEXT / 4);
        let text = &text[..len];
        let seq = self.next_seq;
        // The text block: contiguous, moved to the start of the area if it would wrap.
        let mut begin = self.text_head;
        let offset = (begin % TEXT as u64) as usize;
        if offset + len > TEXT {
            begin += (TEXT - offset) as u64;
        }
        let end = begin + len as u64;
        // Drop the oldest records until both the descriptor and the text fit.
        while self.first_seq < self.next_seq {
            let oldest = &self.descs[(self.first_seq % DESCS as u64) as usize];
            let is_desc_full = self.next_seq - self.first_seq >= DESCS as u64;
            let is_text_full = end - oldest.begin > TEXT as u64;
            if !is_desc_full && !is_text_full {
                break;
            }
            self.first_seq += 1;
        }
        let start = (begin % TEXT as u64) as usize;
        self.text[start..start + len].copy_from_slice(text);
        self.descs[(seq % DESCS as u64) as usize] = Desc {
            info: RecordInfo {
                seq,
                ts_ns,
                facility,
                level: level & 7,
                flags: record_flags,
            },
            begin,
            len: len as u16,
        };
        self.text_head = end;
        self.next_seq = seq + 1;
        self.is_last_final = record_flags & flags::NEWLINE != 0;
        seq
    }

    /// The record `seq`, or if it is gone the oldest one still held (its `info.seq` then differs
    /// from `seq`: the reader lost records, `prb_read_valid`); `None` if `seq` is not logged yet.
    pub fn read(&self, seq: u64) -> Option<Record<'_>> {
        let seq = seq.max(self.first_seq);
        if seq >= self.next_seq() {
            return None;
        }
        let desc = &self.descs[(seq % DESCS as u64) as usize];
        let start = (desc.begin % TEXT as u64) as usize;
        Some(Record {
            info: desc.info,
            text: &self.text[start..start + usize::from(desc.len)],
        })
    }

    /// The records from `seq` on (the oldest held if `seq` is gone), in order.
    pub fn records_from(&self, seq: u64) -> impl Iterator<Item = Record<'_>> + '_ {
        (seq.max(self.first_seq)..self.next_seq()).filter_map(move |s| self.read(s))
    }
}

/// Appends `record` in `/dev/kmsg`'s format (`info_print_ext_header`, `msg_print_ext_body`):
/// `prio,seq,usec,flag;` then the text with bytes below space, from 127 up, and `\` written as
/// `\xNN`, then a newline. Fails only when memory runs out.
pub fn format_kmsg(record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), NoMemory> {
    let mut header = Buffer::<48>::new();
    let flag = if record.info.flags & flags::CONT != 0 {
        'c'
    } else {
        '-'
    };
    let _ = write!(
        header,
        "{},{},{},{};",
        record.info.prio(),
        record.info.seq,
        record.info.ts_ns / 1000,
        flag
    );
    out.try_reserve(header.len + record.text.len() + 1)
        .map_err(|_| NoMemory)?;
    out.extend_from_slice(header.as_bytes());
    for &byte in record.text {
        if !(b' '..127).contains(&byte) || byte == b'\\' {
            out.try_reserve(4).map_err(|_| NoMemory)?;
            let digits = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'x',
                digits[usize::from(byte >> 4)],
                digits[usize::from(byte & 15)],
            ]);
        } else {
            out.push(byte);
        }
    }
    out.push(b'\n');
    Ok(())
}

/// Appends `record` as syslog(2) and the console print it (`record_print_text`): each line of
/// the text gets the prefix — `<prio>` if `with_prio`, then `[%5lu.%06lu] ` if `with_time` —
/// and ends with a newline.
pub fn format_syslog(
    record: &Record<'_>,
    with_prio: bool,
    with_time: bool,
    out: &mut Vec<u8>,
) -> Result<(), NoMemory> {
    let mut prefix = Buffer::<48>::new();
    if with_prio {
        let _ = write!(prefix, "<{}>", record.info.prio());
    }
    if with_time {
        let us = record.info.ts_ns / 1000;
        let _ = write!(prefix, "[{:5}.{:06}] ", us / 1_000_000, us % 1_000_000);
    }
    for line in record.text.split(|&b| b == b'\n') {
        out.try_reserve(prefix.len + line.len() + 1)
            .map_err(|_| NoMemory)?;
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    Ok(())
}

/// A `/dev/kmsg` write split as `devkmsg_write` does: the text ends at its first NUL (it is
/// printed with `%s`); a leading `<N>` (decimal, read as an unsigned 32-bit number) gives the
/// level (`N & 7`) and, when `N >> 3` is not 0, the facility. Returns (facility, level, text).
pub fn parse_user_prefix(data: &[u8]) -> (u8, u8, &[u8]) {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let line = &data[..end];
    let mut facility = LOG_USER;
    let mut level = DEFAULT_MESSAGE_LOGLEVEL;
    if let Some(rest) = line.strip_prefix(b"<") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if rest.get(digits) == Some(&b'>') {
            let value = rest[..digits].iter().fold(0u64, |acc, &d| {
                acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
            }) as u32;
            level = (value & 7) as u8;
            if value >> 3 != 0 {
                facility = (value >> 3) as u8;
            }
            return (facility, level, &rest[digits + 1..]);
        }
    }
    (facility, level, line)
}

/// A small fixed buffer for `write!` without allocating.
struct Buffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Buffer<N> {
    fn new() -> Self {
        Buffer {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl<const N: usize> Write for Buffer<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = N - self.len;
        let take = s.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            Err(core::fmt::Error)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::boxed::Box;
    use alloc::vec;

    type Small = LogBuf<256, 8>;

    fn texts(buf: &Small) -> Vec<Vec<u8>> {
        buf.records_from(0).map(|r| r.text.to_vec()).collect()
    }

    #[test]
    fn records_keep_order_and_numbers() {
        let mut buf = Small::new();
        assert_eq!(buf.read(0), None);
        assert_eq!(buf.push(5, 0, 6, 0, b"one\n"), 0);
        assert_eq!(buf.push(7, 1, 4, 0, b"two"), 1);
        // "two" has no newline: not final, not readable until the next record.
        assert_eq!(buf.next_seq(), 1);
        assert_eq!(buf.read(1), None);
        assert_eq!(buf.push(8, 0, 6, flags::NEWLINE, b"three"), 2);
        let first = buf.read(0).unwrap();
        assert_eq!(first.text, b"one");
        assert_eq!(first.info.flags, flags::NEWLINE);
        assert_eq!(first.info.ts_ns, 5);
        let second = buf.read(1).unwrap();
        assert_eq!((second.info.facility, second.info.level), (1, 4));
        assert_eq!(second.info.flags, 0);
        assert_eq!(buf.read(2).unwrap().info.flags, flags::NEWLINE);
        assert_eq!(buf.read(3), None);
        assert_eq!((buf.first_seq(), buf.next_seq()), (0, 3));
    }

    #[test]
    fn descriptor_ring_drops_the_oldest() {
        let mut buf = Small::new();
        for i in 0..20u8 {
            buf.push(0, 0, 6, flags::NEWLINE, &[b'a' + i]);
        }
        assert_eq!(buf.first_seq(), 12);
        assert_eq!(buf.next_seq(), 20);
        // A reader left behind gets the oldest record held, with its own number.
        let r = buf.read(3).unwrap();
        assert_eq!(r.info.seq, 12);
        assert_eq!(r.text, b"m");
        assert_eq!(texts(&buf).len(), 8);
    }

    #[test]
    fn text_area_drops_the_oldest_and_never_wraps_a_record() {
        let mut buf = Small::new();
        // 256 bytes of text, records cut at 64 (a quarter).
        let long = [b'x'; 100];
        buf.push(0, 0, 6, flags::NEWLINE, &long);
        assert_eq!(buf.read(0).unwrap().text.len(), 64);
        for i in 0..10u8 {
            let text = [b'0' + i; 60];
            buf.push(0, 0, 6, flags::NEWLINE, &text);
        }
        // Every record held reads back whole, and the held text fits the area.
        let held: Vec<_> = buf.records_from(0).collect();
        assert!(held.len() <= 4);
        for r in &held {
            assert_eq!(r.text.len(), 60);
            assert!(r.text.iter().all(|&b| b == r.text[0]));
        }
        assert_eq!(held.last().unwrap().text[0], b'9');
    }

    #[test]
    fn full_kernel_buffer_size_holds_long_runs() {
        let mut buf: Box<LogBuf<LOG_BUF_LEN, LOG_DESCS>> = Box::default();
        let line = [b'k'; 2000];
        for _ in 0..1000 {
            buf.push(1, 0, 6, flags::NEWLINE, &line);
        }
        let r = buf.read(999).unwrap();
        assert_eq!(r.text.len(), LOG_LINE_MAX);
        assert!(buf.first_seq() > 800);
    }

    #[test]
    fn clear_moves_the_clear_mark_only() {
        let mut buf = Small::new();
        buf.push(0, 0, 6, flags::NEWLINE, b"a");
        buf.clear();
        buf.push(0, 0, 6, flags::NEWLINE, b"b");
        assert_eq!(buf.clear_seq(), 1);
        assert_eq!(buf.first_seq(), 0);
    }

    #[test]
    fn kmsg_format_escapes() {
        let record = Record {
            info: RecordInfo {
                seq: 42,
                ts_ns: 1_234_567_891,
                facility: 1,
                level: 6,
                flags: flags::NEWLINE,
            },
            text: b"tab\there \\ \x7f\xc3",
        };
        let mut out = Vec::new();
        format_kmsg(&record, &mut out).unwrap();
        assert_eq!(
            out,
            b"14,42,1234567,-;tab\\x09here \\x5c \\x7f\\xc3\n".to_vec()
        );
        let cont = Record {
            info: RecordInfo {
                flags: flags::CONT,
                ..record.info
            },
            text: b"",
        };
        out.clear();
        format_kmsg(&cont, &mut out).unwrap();
        assert_eq!(out, b"14,42,1234567,c;\n".to_vec());
    }

    #[test]
    fn syslog_format_prefixes_each_line() {
        let record = Record {
            info: RecordInfo {
                seq: 0,
                ts_ns: 3_000_500_000,
                facility: 0,
                level: 3,
                flags: 0,
            },
            text: b"first\nsecond",
        };
        let mut out = Vec::new();
        format_syslog(&record, true, true, &mut out).unwrap();
        assert_eq!(
            out,
            b"<3>[    3.000500] first\n<3>[    3.000500] second\n".to_vec()
        );
        out.clear();
        format_syslog(&record, false, false, &mut out).unwrap();
        assert_eq!(out, b"first\nsecond\n".to_vec());
    }

    #[test]
    fn user_prefix_rules() {
        assert_eq!(parse_user_prefix(b"hello"), (1, 4, &b"hello"[..]));
        assert_eq!(parse_user_prefix(b"<7>dbg"), (1, 7, &b"dbg"[..]));
        assert_eq!(parse_user_prefix(b"<14>x"), (1, 6, &b"x"[..]));
        assert_eq!(parse_user_prefix(b"<27>x"), (3, 3, &b"x"[..]));
        assert_eq!(parse_user_prefix(b"<>x"), (1, 0, &b"x"[..]));
        assert_eq!(parse_user_prefix(b"<7x"), (1, 4, &b"<7x"[..]));
        assert_eq!(parse_user_prefix(b"<5>a\0b"), (1, 5, &b"a"[..]));
        assert_eq!(parse_user_prefix(&vec![b'a'; 3][..]), (1, 4, &b"aaa"[..]));
    }
}
