//! Linux's `N_TTY` line discipline (`drivers/tty/n_tty.c` of Linux 6.1) as pure logic: what a
//! terminal does with the bytes it receives and the bytes programs write to it. The kernel's
//! terminals (the serial console, both sides of every pty) each keep one [`Ldisc`] under their
//! lock and act on the [`Effects`] it reports; everything decided about bytes is decided here
//! and tested on the host.
//!
//! Input ([`Ldisc::receive`], `n_tty_receive_char*`): `ISTRIP`, `IGNCR`, `ICRNL`, `INLCR`,
//! `IUCLC`; with `IXON` the `VSTOP`/`VSTART` characters stop and restart output (`IXANY`: any
//! character restarts); with `ISIG` the `VINTR`, `VQUIT` and `VSUSP` characters raise a signal
//! and flush the input (unless `NOFLSH`); with `ICANON` lines are edited (`VERASE`, `VWERASE`,
//! `VKILL`, `VREPRINT`, `VLNEXT`, `VEOF`, `VEOL`, `VEOL2`, newline) and only complete lines are
//! readable; echo follows `ECHO`, `ECHOE`, `ECHOK`, `ECHOKE`, `ECHONL`, `ECHOCTL` (`^X`),
//! `ECHOPRT` and `IUTF8` (an erase removes a whole UTF-8 character). At most
//! [`N_TTY_BUF_SIZE`] - 1 bytes wait to be read: in raw mode a byte that does not fit is not
//! taken (the caller keeps it, as Linux's flip buffer does); in canonical mode the characters
//! of a line too long for the buffer are dropped, while newlines, EOF and the editing
//! characters still work.
//!
//! Output ([`Ldisc::process_output`], `do_output_char`): with `OPOST`, `ONLCR`, `OCRNL`,
//! `ONOCR`, `ONLRET`, `OLCUC` and `XTABS`, keeping the column (for tab erasure).
//!
//! Reading ([`Ldisc::read`]): canonical mode returns at most one line (the newline or EOL
//! character included; an EOF ends a line without being returned, and an empty one reads as
//! end of file), raw mode what is there. `VMIN`/`VTIME` timing is the kernel's.
//!
//! A control character of 0 is disabled (`_POSIX_VDISABLE`).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use abi::Termios;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use linux_raw_sys::general as raw;

/// Linux's `N_TTY_BUF_SIZE`: the read buffer of a terminal.
pub const N_TTY_BUF_SIZE: usize = 4096;

const IGNCR: u32 = raw::IGNCR;
const ICRNL: u32 = raw::ICRNL;
const INLCR: u32 = raw::INLCR;
const ISTRIP: u32 = raw::ISTRIP;
const IUCLC: u32 = raw::IUCLC;
const IXON: u32 = raw::IXON;
const IXANY: u32 = raw::IXANY;
const IUTF8: u32 = raw::IUTF8;
const OPOST: u32 = raw::OPOST;
const OLCUC: u32 = raw::OLCUC;
const ONLCR: u32 = raw::ONLCR;
const OCRNL: u32 = raw::OCRNL;
const ONOCR: u32 = raw::ONOCR;
const ONLRET: u32 = raw::ONLRET;
const TABDLY: u32 = raw::TABDLY;
const XTABS: u32 = raw::XTABS;
const ISIG: u32 = raw::ISIG;
const ICANON: u32 = raw::ICANON;
const ECHO: u32 = raw::ECHO;
const ECHOE: u32 = raw::ECHOE;
const ECHOK: u32 = raw::ECHOK;
const ECHONL: u32 = raw::ECHONL;
const NOFLSH: u32 = raw::NOFLSH;
const ECHOCTL: u32 = raw::ECHOCTL;
const ECHOPRT: u32 = raw::ECHOPRT;
const ECHOKE: u32 = raw::ECHOKE;
const IEXTEN: u32 = raw::IEXTEN;

const VINTR: usize = raw::VINTR as usize;
const VQUIT: usize = raw::VQUIT as usize;
const VERASE: usize = raw::VERASE as usize;
const VKILL: usize = raw::VKILL as usize;
const VEOF: usize = raw::VEOF as usize;
const VSTART: usize = raw::VSTART as usize;
const VSTOP: usize = raw::VSTOP as usize;
const VSUSP: usize = raw::VSUSP as usize;
const VEOL: usize = raw::VEOL as usize;
const VREPRINT: usize = raw::VREPRINT as usize;
const VWERASE: usize = raw::VWERASE as usize;
const VLNEXT: usize = raw::VLNEXT as usize;
const VEOL2: usize = raw::VEOL2 as usize;

/// A signal a received character raises (`isig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalChar {
    /// `VINTR`: SIGINT.
    Interrupt,
    /// `VQUIT`: SIGQUIT.
    Quit,
    /// `VSUSP`: SIGTSTP.
    Suspend,
}

/// What receiving input asked the terminal to do besides buffering it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Echo, already processed for output: to be written to the terminal's device.
    pub output: Vec<u8>,
    /// The last signal character seen.
    pub signal: Option<SignalChar>,
    /// The input was flushed (a signal character without `NOFLSH`).
    pub flushed_input: bool,
    /// Output was stopped (`Some(true)`, `VSTOP`) or restarted (`Some(false)`).
    pub flow: Option<bool>,
}

/// One line of canonical input waiting to be read.
#[derive(Clone, Copy, Debug)]
struct Line {
    /// Bytes of the line in `ready` (its terminator included, an EOF excluded).
    len: usize,
}

/// The line discipline state of one terminal.
#[derive(Debug, Default)]
pub struct Ldisc {
    /// Bytes a reader may take: raw input, or complete canonical lines.
    ready: VecDeque<u8>,
    /// Canonical mode: the complete lines in `ready`, oldest first.
    lines: VecDeque<Line>,
    /// Canonical mode: the line being edited.
    edit: Vec<u8>,
    /// `VLNEXT` seen: the next character is taken literally.
    is_lnext: bool,
    /// `ECHOPRT` erasing in progress (a `\` was echoed).
    is_erasing: bool,
    /// Output column (`ldata->column`).
    column: usize,
    /// Column where the line being edited started (`canon_column`).
    canon_column: usize,
    /// Output is stopped (`VSTOP` with `IXON`).
    is_stopped: bool,
}

fn is_cntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

fn is_continuation(c: u8, termios: &Termios) -> bool {
    termios.c_iflag & IUTF8 != 0 && c & 0xc0 == 0x80
}

/// Whether `c` is control character `index` of `termios` (never when disabled: 0).
fn is_char(termios: &Termios, index: usize, c: u8) -> bool {
    let value = termios.c_cc[index];
    value != 0 && value == c
}

impl Ldisc {
    /// An empty discipline.
    pub fn new() -> Ldisc {
        Ldisc::default()
    }

    /// Whether a read would return now (`input_available_p` with `VMIN` 1): a complete line in
    /// canonical mode, any byte in raw mode.
    pub fn is_readable(&self, termios: &Termios) -> bool {
        if termios.c_lflag & ICANON != 0 {
            !self.lines.is_empty()
        } else {
            !self.ready.is_empty()
        }
    }

    /// Bytes a raw-mode read could take, or in canonical mode the bytes of complete lines
    /// (`FIONREAD`, `TIOCINQ`).
    pub fn readable_len(&self, termios: &Termios) -> usize {
        if termios.c_lflag & ICANON != 0 {
            self.lines.iter().map(|line| line.len).sum()
        } else {
            self.ready.len()
        }
    }

    /// Bytes buffered, complete or not.
    pub fn buffered(&self) -> usize {
        self.ready.len() + self.edit.len()
    }

    /// Whether output is stopped by `VSTOP`.
    pub fn is_stopped(&self) -> bool {
        self.is_stopped
    }

    /// Stops or restarts output (`stop_tty`, `start_tty`: `TCOOFF`, `TCOON`).
    pub fn set_stopped(&mut self, is_stopped: bool) {
        self.is_stopped = is_stopped;
    }

    /// Throws away all input (`n_tty_flush_buffer`, `TCIFLUSH`).
    pub fn flush_input(&mut self) {
        self.ready.clear();
        self.lines.clear();
        self.edit.clear();
        self.is_lnext = false;
        self.is_erasing = false;
        self.canon_column = self.column;
    }

    /// The termios changed from `old` to `new` (`n_tty_set_termios`): leaving canonical mode
    /// makes the line being edited readable; entering it makes what was buffered one pending
    /// line to edit. Returns the effects (restarting output when `IXON` goes away).
    pub fn set_termios(&mut self, old: &Termios, new: &Termios) -> Effects {
        let was_canon = old.c_lflag & ICANON != 0;
        let is_canon = new.c_lflag & ICANON != 0;
        if was_canon && !is_canon {
            self.ready.extend(self.edit.drain(..));
            self.lines.clear();
        } else if !was_canon && is_canon {
            // Linux moves the canonical head to the read head: what was buffered
            // stays readable as if it were a complete line.
            let len = self.ready.len();
            if len > 0 {
                self.lines.push_back(Line { len });
            }
            self.canon_column = self.column;
        }
        self.is_lnext = false;
        let mut effects = Effects::default();
        if new.c_iflag & IXON == 0 && self.is_stopped {
            self.is_stopped = false;
            effects.flow = Some(false);
        }
        effects
    }

    /// Takes bytes for a reader (`n_tty_read`'s copy): in canonical mode at most the rest of
    /// one line; returns how many were copied into `buf` and, in canonical mode, whether a line
    /// end was reached (an empty EOF line reads 0 bytes with `true`).
    pub fn read(&mut self, termios: &Termios, buf: &mut [u8]) -> (usize, bool) {
        if termios.c_lflag & ICANON == 0 {
            let n = buf.len().min(self.ready.len());
            for (slot, byte) in buf.iter_mut().zip(self.ready.drain(..n)) {
                *slot = byte;
            }
            return (n, false);
        }
        let Some(line) = self.lines.front_mut() else {
            return (0, false);
        };
        let n = buf.len().min(line.len);
        for (slot, byte) in buf.iter_mut().zip(self.ready.drain(..n)) {
            *slot = byte;
        }
        line.len -= n;
        if line.len == 0 {
            self.lines.pop_front();
            return (n, true);
        }
        (n, false)
    }

    /// Whether one more byte can be taken now: in raw mode while the buffer has room; in
    /// canonical mode always (an overlong line drops characters instead) unless complete lines
    /// fill the buffer.
    pub fn has_room(&self, termios: &Termios) -> bool {
        let _ = termios;
        self.ready.len() < N_TTY_BUF_SIZE - 1
    }

    /// Receives one byte from the device (`n_tty_receive_char*`). Returns `false` if it could
    /// not be taken (no room, see [`Ldisc::has_room`]); the caller keeps it for later.
    pub fn receive(&mut self, termios: &Termios, byte: u8, effects: &mut Effects) -> bool {
        if !self.has_room(termios) {
            return false;
        }
        let iflag = termios.c_iflag;
        let lflag = termios.c_lflag;
        let mut c = byte;
        if iflag & ISTRIP != 0 {
            c &= 0x7f;
        }
        if iflag & IUCLC != 0 && lflag & IEXTEN != 0 {
            c = c.to_ascii_lowercase();
        }
        if self.is_lnext {
            self.is_lnext = false;
            self.put_literal(termios, c, effects);
            return true;
        }
        if iflag & IXON != 0 {
            if is_char(termios, VSTOP, c) {
                if !self.is_stopped {
                    self.is_stopped = true;
                    effects.flow = Some(true);
                }
                return true;
            }
            if is_char(termios, VSTART, c) {
                if self.is_stopped {
                    self.is_stopped = false;
                    effects.flow = Some(false);
                }
                return true;
            }
            if self.is_stopped && iflag & IXANY != 0 {
                self.is_stopped = false;
                effects.flow = Some(false);
            }
        }
        if lflag & ISIG != 0 {
            let signal = if is_char(termios, VINTR, c) {
                Some(SignalChar::Interrupt)
            } else if is_char(termios, VQUIT, c) {
                Some(SignalChar::Quit)
            } else if is_char(termios, VSUSP, c) {
                Some(SignalChar::Suspend)
            } else {
                None
            };
            if let Some(signal) = signal {
                if lflag & NOFLSH == 0 {
                    self.flush_input();
                    effects.flushed_input = true;
                }
                if self.is_stopped && iflag & IXON != 0 {
                    self.is_stopped = false;
                    effects.flow = Some(false);
                }
                if lflag & ECHO != 0 {
                    self.echo_char(termios, c, effects);
                }
                effects.signal = Some(signal);
                return true;
            }
        }
        if c == b'\r' {
            if iflag & IGNCR != 0 {
                return true;
            }
            if iflag & ICRNL != 0 {
                c = b'\n';
            }
        } else if c == b'\n' && iflag & INLCR != 0 {
            c = b'\r';
        }
        if lflag & ICANON != 0 {
            self.receive_canonical(termios, c, effects);
        } else {
            if lflag & ECHO != 0 {
                self.finish_erasing(termios, effects);
                self.echo_char(termios, c, effects);
            }
            self.ready.push_back(c);
        }
        true
    }

    fn receive_canonical(&mut self, termios: &Termios, c: u8, effects: &mut Effects) {
        let lflag = termios.c_lflag;
        let iexten = lflag & IEXTEN != 0;
        if is_char(termios, VERASE, c)
            || is_char(termios, VKILL, c)
            || (iexten && is_char(termios, VWERASE, c))
        {
            self.eraser(termios, c, effects);
            return;
        }
        if iexten && is_char(termios, VLNEXT, c) {
            self.is_lnext = true;
            if lflag & ECHO != 0 {
                self.finish_erasing(termios, effects);
                if lflag & ECHOCTL != 0 {
                    self.echo_raw(termios, b'^', effects);
                    self.echo_raw(termios, 0x08, effects);
                }
            }
            return;
        }
        if iexten && is_char(termios, VREPRINT, c) && lflag & ECHO != 0 {
            self.finish_erasing(termios, effects);
            self.echo_char(termios, c, effects);
            self.echo_raw(termios, b'\n', effects);
            let line = core::mem::take(&mut self.edit);
            for &b in &line {
                self.echo_char(termios, b, effects);
            }
            self.edit = line;
            return;
        }
        if c == b'\n' {
            if lflag & (ECHO | ECHONL) != 0 {
                self.finish_erasing(termios, effects);
                self.echo_raw(termios, b'\n', effects);
            }
            self.edit.push(b'\n');
            self.complete_line();
            return;
        }
        if is_char(termios, VEOF, c) {
            self.complete_line();
            return;
        }
        if is_char(termios, VEOL, c) || (iexten && is_char(termios, VEOL2, c)) {
            if lflag & ECHO != 0 {
                self.finish_erasing(termios, effects);
                self.echo_char(termios, c, effects);
            }
            self.edit.push(c);
            self.complete_line();
            return;
        }
        self.put_literal(termios, c, effects);
    }

    /// A character that is data: echoed and added to the line (or to the raw input).
    fn put_literal(&mut self, termios: &Termios, c: u8, effects: &mut Effects) {
        if termios.c_lflag & ICANON == 0 {
            if termios.c_lflag & ECHO != 0 {
                self.echo_char(termios, c, effects);
            }
            self.ready.push_back(c);
            return;
        }
        // Room for the line and its terminator: drop what does not fit.
        if self.ready.len() + self.edit.len() >= N_TTY_BUF_SIZE - 2 {
            return;
        }
        if termios.c_lflag & ECHO != 0 {
            self.finish_erasing(termios, effects);
            self.echo_char(termios, c, effects);
        }
        self.edit.push(c);
    }

    fn complete_line(&mut self) {
        let len = self.edit.len();
        self.ready.extend(self.edit.drain(..));
        self.lines.push_back(Line { len });
        self.canon_column = self.column;
    }

    /// `eraser`: ERASE, WERASE or KILL in canonical mode.
    fn eraser(&mut self, termios: &Termios, c: u8, effects: &mut Effects) {
        #[derive(PartialEq)]
        enum Kind {
            Erase,
            Werase,
            Kill,
        }
        let lflag = termios.c_lflag;
        if self.edit.is_empty() {
            return;
        }
        let kind = if is_char(termios, VERASE, c) {
            Kind::Erase
        } else if is_char(termios, VWERASE, c) {
            Kind::Werase
        } else {
            Kind::Kill
        };
        if kind == Kind::Kill {
            if lflag & ECHO == 0 {
                self.edit.clear();
                return;
            }
            if lflag & ECHOK == 0 || lflag & ECHOKE == 0 || lflag & ECHOE == 0 {
                self.edit.clear();
                self.finish_erasing(termios, effects);
                self.echo_char(termios, c, effects);
                if lflag & ECHOK != 0 {
                    self.echo_raw(termios, b'\n', effects);
                }
                return;
            }
        }
        let mut seen_alnums = 0;
        while let Some(&last) = self.edit.last() {
            // One character: a UTF-8 sequence counts as one.
            let mut cnt = 1;
            while cnt < self.edit.len()
                && is_continuation(self.edit[self.edit.len() - cnt], termios)
            {
                cnt += 1;
            }
            let first = self.edit[self.edit.len() - cnt];
            if kind == Kind::Werase {
                if first.is_ascii_alphanumeric() || first == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let erased: Vec<u8> = self.edit.split_off(self.edit.len() - cnt);
            let _ = last;
            if lflag & ECHO != 0 {
                if lflag & ECHOPRT != 0 {
                    if !self.is_erasing {
                        self.echo_raw(termios, b'\\', effects);
                        self.is_erasing = true;
                    }
                    for &b in erased.iter() {
                        self.echo_char(termios, b, effects);
                    }
                } else if kind == Kind::Erase && lflag & ECHOE == 0 {
                    self.echo_char(termios, c, effects);
                } else if first == b'\t' {
                    self.erase_tab(termios, effects);
                } else {
                    if is_cntrl(first) && lflag & ECHOCTL != 0 {
                        self.echo_raw(termios, 0x08, effects);
                        self.echo_raw(termios, b' ', effects);
                        self.echo_raw(termios, 0x08, effects);
                    }
                    if !is_cntrl(first) || lflag & ECHOCTL != 0 {
                        self.echo_raw(termios, 0x08, effects);
                        self.echo_raw(termios, b' ', effects);
                        self.echo_raw(termios, 0x08, effects);
                    }
                }
            }
            if kind == Kind::Erase {
                break;
            }
        }
        if self.edit.is_empty() {
            self.finish_erasing(termios, effects);
        }
    }

    /// Erasing a tab: back up to where it started (`echo_erase_tab`).
    fn erase_tab(&mut self, termios: &Termios, effects: &mut Effects) {
        // The column the tab started at: replay the line from the canonical start.
        let mut column = self.canon_column;
        for &b in &self.edit {
            if b == b'\t' {
                column = (column | 7) + 1;
            } else if is_cntrl(b) {
                if termios.c_lflag & ECHOCTL != 0 {
                    column += 2;
                }
            } else if !is_continuation(b, termios) {
                column += 1;
            }
        }
        let spaces = self.column.saturating_sub(column).min(8);
        for _ in 0..spaces {
            self.echo_raw(termios, 0x08, effects);
        }
    }

    fn finish_erasing(&mut self, termios: &Termios, effects: &mut Effects) {
        if self.is_erasing {
            self.echo_raw(termios, b'/', effects);
            self.is_erasing = false;
        }
    }

    /// `echo_char`: control characters as `^X` with `ECHOCTL` (tabs as they are).
    fn echo_char(&mut self, termios: &Termios, c: u8, effects: &mut Effects) {
        if termios.c_lflag & ECHOCTL != 0 && is_cntrl(c) && c != b'\t' {
            self.echo_raw(termios, b'^', effects);
            self.echo_raw(termios, c ^ 0x40, effects);
        } else {
            self.echo_raw(termios, c, effects);
        }
    }

    /// One echoed byte, through output processing.
    fn echo_raw(&mut self, termios: &Termios, c: u8, effects: &mut Effects) {
        self.output_char(termios, c, &mut effects.output);
    }

    /// Processes bytes a program writes (`process_output`), appending what the device gets.
    pub fn process_output(&mut self, termios: &Termios, data: &[u8], out: &mut Vec<u8>) {
        if termios.c_oflag & OPOST == 0 {
            out.extend_from_slice(data);
            return;
        }
        for &c in data {
            self.output_char(termios, c, out);
        }
    }

    /// `do_output_char`.
    fn output_char(&mut self, termios: &Termios, c: u8, out: &mut Vec<u8>) {
        let oflag = termios.c_oflag;
        if oflag & OPOST == 0 {
            out.push(c);
            return;
        }
        match c {
            b'\n' => {
                if oflag & ONLRET != 0 {
                    self.column = 0;
                }
                if oflag & ONLCR != 0 {
                    self.column = 0;
                    self.canon_column = 0;
                    out.extend_from_slice(b"\r\n");
                    return;
                }
                self.canon_column = self.column;
                out.push(b'\n');
            }
            b'\r' => {
                if oflag & ONOCR != 0 && self.column == 0 {
                    return;
                }
                if oflag & OCRNL != 0 {
                    if oflag & ONLRET != 0 {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                    out.push(b'\n');
                    return;
                }
                self.column = 0;
                self.canon_column = 0;
                out.push(b'\r');
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                if oflag & TABDLY == XTABS {
                    self.column += spaces;
                    out.extend(core::iter::repeat_n(b' ', spaces));
                    return;
                }
                self.column += spaces;
                out.push(b'\t');
            }
            0x08 => {
                self.column = self.column.saturating_sub(1);
                out.push(c);
            }
            _ => {
                let mut c = c;
                if !is_cntrl(c) {
                    if oflag & OLCUC != 0 {
                        c = c.to_ascii_uppercase();
                    }
                    if !is_continuation(c, termios) {
                        self.column += 1;
                    }
                }
                out.push(c);
            }
        }
    }
}

/// Linux's `tty_std_termios` (what a new pty slave has), with the given `c_cflag`.
pub fn std_termios(c_cflag: u32) -> Termios {
    Termios {
        c_iflag: ICRNL | IXON,
        c_oflag: OPOST | ONLCR,
        c_cflag,
        c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        c_line: 0,
        // INTR ^C, QUIT ^\, ERASE DEL, KILL ^U, EOF ^D, TIME 0, MIN 1, SWTC 0, START ^Q,
        // STOP ^S, SUSP ^Z, EOL 0, REPRINT ^R, DISCARD ^O, WERASE ^W, LNEXT ^V, EOL2 0.
        c_cc: *b"\x03\x1c\x7f\x15\x04\x00\x01\x00\x11\x13\x1a\x00\x12\x0f\x17\x16\x00\x00\x00",
    }
}

#[cfg(test)]
mod tests;
