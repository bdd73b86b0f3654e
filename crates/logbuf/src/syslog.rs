//! syslog(2)'s readers of a [`LogBuf`] (Linux 6.1 `kernel/printk/printk.c`: `syslog_print`,
//! `syslog_print_all`, `find_first_fitting_seq` and the `SYSLOG_ACTION_SIZE_UNREAD` count), in
//! the format [`format_syslog`] writes with the priority and the time.
//!
//! - [`SyslogReader::read`] (`SYSLOG_ACTION_READ`): consumes from the reader's position
//!   (`syslog_seq`); a first record that does not fit is returned in part and finished by the
//!   next read (`syslog_partial`); a record that does not fit after others waits.
//! - [`read_all`] (`SYSLOG_ACTION_READ_ALL`, and `READ_CLEAR` with `clear`): the newest whole
//!   records from the last clear that fit in the buffer, oldest first; nothing is consumed, but
//!   `clear` then clears everything (what was returned was everything from the start it found).
//! - [`SyslogReader::size_unread`] (`SYSLOG_ACTION_SIZE_UNREAD`).
//!
//! Records overwritten before they were read move the reader to the oldest one held, as
//! Linux's `prb_read_valid` does.

use alloc::vec::Vec;

use crate::{LogBuf, NoMemory, Record, format_syslog};

/// Bytes [`format_syslog`] writes for `record` with the priority and the time
/// (`get_record_print_text_size`).
pub fn formatted_len(record: &Record<'_>) -> usize {
    let prio = record.info.prio();
    let prio_digits = if prio >= 100 {
        3
    } else if prio >= 10 {
        2
    } else {
        1
    };
    let seconds = record.info.ts_ns / 1_000_000_000;
    let mut second_digits = 1;
    let mut rest = seconds / 10;
    while rest > 0 {
        second_digits += 1;
        rest /= 10;
    }
    // "<prio>" + "[" + seconds (at least 5 wide) + "." + 6 digits + "] "
    let prefix = 2 + prio_digits + 1 + second_digits.max(5) + 1 + 6 + 2;
    let lines = 1 + record.text.iter().filter(|&&b| b == b'\n').count();
    lines * (prefix + 1) + record.text.len() - (lines - 1)
}

/// The reading position of `SYSLOG_ACTION_READ` (`syslog_seq`, `syslog_partial`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyslogReader {
    seq: u64,
    partial: usize,
}

impl SyslogReader {
    /// A reader at the first record ever logged.
    pub const fn new() -> SyslogReader {
        SyslogReader { seq: 0, partial: 0 }
    }

    /// Moves past records that were overwritten.
    fn catch_up<const T: usize, const D: usize>(&mut self, log: &LogBuf<T, D>) {
        if self.seq < log.first_seq() {
            self.seq = log.first_seq();
            self.partial = 0;
        }
    }

    /// Whether [`SyslogReader::read`] has something to return.
    pub fn has_unread<const T: usize, const D: usize>(&mut self, log: &LogBuf<T, D>) -> bool {
        self.catch_up(log);
        self.seq < log.next_seq()
    }

    /// Bytes a read with an unlimited buffer would return.
    pub fn size_unread<const T: usize, const D: usize>(&mut self, log: &LogBuf<T, D>) -> usize {
        self.catch_up(log);
        let total: usize = log.records_from(self.seq).map(|r| formatted_len(&r)).sum();
        total.saturating_sub(self.partial)
    }

    /// Consumes up to `size` bytes into `out`; returns how many.
    pub fn read<const T: usize, const D: usize>(
        &mut self,
        log: &LogBuf<T, D>,
        size: usize,
        out: &mut Vec<u8>,
    ) -> Result<usize, NoMemory> {
        self.catch_up(log);
        let mut done = 0;
        let mut text = Vec::new();
        while done < size {
            let Some(record) = log.read(self.seq) else {
                break;
            };
            text.clear();
            format_syslog(&record, true, true, &mut text)?;
            let rest = &text[self.partial.min(text.len())..];
            if rest.len() <= size - done {
                out.try_reserve(rest.len()).map_err(|_| NoMemory)?;
                out.extend_from_slice(rest);
                done += rest.len();
                self.seq = record.info.seq + 1;
                self.partial = 0;
            } else if done == 0 {
                out.try_reserve(size).map_err(|_| NoMemory)?;
                out.extend_from_slice(&rest[..size]);
                done = size;
                self.partial += size;
            } else {
                break;
            }
        }
        Ok(done)
    }
}

/// `SYSLOG_ACTION_READ_ALL` (`clear`: `READ_CLEAR`): the newest whole records since the last
/// clear that fit in `size` bytes, oldest first, into `out`; returns how many bytes.
pub fn read_all<const T: usize, const D: usize>(
    log: &mut LogBuf<T, D>,
    size: usize,
    clear: bool,
    out: &mut Vec<u8>,
) -> Result<usize, NoMemory> {
    let start_seq = log.clear_seq();
    let mut total: usize = log.records_from(start_seq).map(|r| formatted_len(&r)).sum();
    let mut first = log.next_seq();
    for record in log.records_from(start_seq) {
        if total <= size {
            first = record.info.seq;
            break;
        }
        total -= formatted_len(&record);
    }
    let before = out.len();
    for record in log.records_from(first) {
        format_syslog(&record, true, true, out)?;
    }
    let done = out.len() - before;
    if clear {
        log.clear();
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    type Log = LogBuf<4096, 128>;

    fn text(out: &[u8]) -> String {
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn formatted_len_matches_the_format() {
        let mut log = Log::new();
        log.push(0, 0, 6, 0, b"short\n");
        log.push(12_345_678_000_000, 1, 4, 0, b"two\nlines\n");
        log.push(123_456_000_000_000, 0, 3, 0, b"\n");
        for record in log.records_from(0) {
            let mut out = Vec::new();
            format_syslog(&record, true, true, &mut out).unwrap();
            assert_eq!(formatted_len(&record), out.len(), "{}", text(&out));
        }
    }

    #[test]
    fn read_all_gives_the_newest_whole_records_that_fit() {
        let mut log = Log::new();
        for i in 0..5u64 {
            log.push(i * 1_000_000_000, 0, 6, 0, b"msg\n");
        }
        let line = "<6>[    0.000000] msg\n".len();
        let mut out = Vec::new();
        assert_eq!(
            read_all(&mut log, 2 * line + 5, false, &mut out),
            Ok(2 * line)
        );
        assert_eq!(text(&out), "<6>[    3.000000] msg\n<6>[    4.000000] msg\n");
        out.clear();
        assert_eq!(read_all(&mut log, 10, false, &mut out), Ok(0));
        assert_eq!(read_all(&mut log, 1000, false, &mut out), Ok(5 * line));
        // READ_CLEAR, then nothing until the next record.
        out.clear();
        assert_eq!(read_all(&mut log, 1000, true, &mut out), Ok(5 * line));
        assert_eq!(read_all(&mut log, 1000, false, &mut out), Ok(0));
        log.push(0, 0, 6, 0, b"new\n");
        out.clear();
        assert_eq!(read_all(&mut log, 1000, false, &mut out), Ok(line));
        // A buffer too small for anything still clears.
        assert_eq!(read_all(&mut log, 3, true, &mut out), Ok(0));
        assert_eq!(read_all(&mut log, 1000, false, &mut out), Ok(0));
    }

    #[test]
    fn read_consumes_and_splits() {
        let mut log = Log::new();
        log.push(0, 0, 6, 0, b"hello\n");
        log.push(0, 0, 6, 0, b"world\n");
        let line = "<6>[    0.000000] hello\n".len();
        let mut reader = SyslogReader::new();
        assert_eq!(reader.size_unread(&log), 2 * line);
        let mut out = Vec::new();
        assert_eq!(reader.read(&log, 10, &mut out), Ok(10));
        assert_eq!(text(&out), "<6>[    0.");
        assert_eq!(reader.size_unread(&log), 2 * line - 10);
        out.clear();
        assert_eq!(reader.read(&log, 100, &mut out), Ok(2 * line - 10));
        assert_eq!(text(&out), "000000] hello\n<6>[    0.000000] world\n");
        assert!(!reader.has_unread(&log));
        assert_eq!(reader.size_unread(&log), 0);
        // A whole record that does not fit after another waits.
        log.push(0, 0, 6, 0, b"x\n");
        log.push(0, 0, 6, 0, b"yyyyyyyy\n");
        out.clear();
        assert_eq!(reader.read(&log, 25, &mut out), Ok(20));
        out.clear();
        assert_eq!(reader.read(&log, 100, &mut out), Ok(27));
        // Clearing does not touch the reader.
        log.push(0, 0, 6, 0, b"z\n");
        log.clear();
        assert!(reader.has_unread(&log));
    }

    #[test]
    fn overwritten_records_move_the_reader() {
        let mut log: LogBuf<256, 8> = LogBuf::new();
        let mut reader = SyslogReader::new();
        for i in 0..20u64 {
            let message = alloc::format!("message {i:02}\n");
            log.push(0, 0, 6, 0, message.as_bytes());
        }
        let mut out = Vec::new();
        let n = reader.read(&log, 100_000, &mut out).unwrap();
        assert_eq!(n, out.len());
        assert!(text(&out).starts_with(&alloc::format!(
            "<6>[    0.000000] message {:02}\n",
            log.first_seq()
        )));
        assert!(text(&out).ends_with("message 19\n"));
    }
}
