//! The kernel's `struct termios` (`TCGETS`/`TCSETS`: `c_iflag`..`c_line`, `c_cc[19]`, without the
//! speed fields of `termios2`), System V's `struct termio` (`TCGETA`/`TCSETA*`) and
//! `struct winsize` (`TIOCGWINSZ`), from
//! `include/uapi/asm-generic/termbits.h` and `termios.h`.
//!
//! glibc's user-space `struct termios` is larger (`c_cc[32]` plus speeds) and is converted by the C
//! library; the kernel only ever sees this layout.

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Number of control characters in [`Termios::c_cc`] (`NCCS`).
pub const NCCS: usize = raw::NCCS as usize;

/// `c_iflag`: translate carriage return to newline on input.
pub const ICRNL: u32 = raw::ICRNL;
/// `c_iflag`: XON/XOFF flow control on output.
pub const IXON: u32 = raw::IXON;
/// `c_oflag`: post-process output.
pub const OPOST: u32 = raw::OPOST;
/// `c_oflag`: map newline to CR-NL on output.
pub const ONLCR: u32 = raw::ONLCR;
/// `c_cflag`: 115200 baud.
pub const B115200: u32 = raw::B115200;
/// `c_cflag`: 8 data bits.
pub const CS8: u32 = raw::CS8;
/// `c_cflag`: enable the receiver.
pub const CREAD: u32 = raw::CREAD;
/// `c_cflag`: hang up on last close.
pub const HUPCL: u32 = raw::HUPCL;
/// `c_cflag`: ignore modem control lines.
pub const CLOCAL: u32 = raw::CLOCAL;
/// `c_lflag`: generate signals for INTR, QUIT, SUSP.
pub const ISIG: u32 = raw::ISIG;
/// `c_lflag`: canonical (line) mode.
pub const ICANON: u32 = raw::ICANON;
/// `c_lflag`: echo input.
pub const ECHO: u32 = raw::ECHO;
/// `c_lflag`: ERASE erases the previous character.
pub const ECHOE: u32 = raw::ECHOE;
/// `c_lflag`: KILL erases the line.
pub const ECHOK: u32 = raw::ECHOK;
/// `c_lflag`: echo control characters as `^X`.
pub const ECHOCTL: u32 = raw::ECHOCTL;
/// `c_lflag`: KILL erases the line visibly.
pub const ECHOKE: u32 = raw::ECHOKE;
/// `c_lflag`: extended input processing.
pub const IEXTEN: u32 = raw::IEXTEN;
/// `c_lflag`: no flush after INTR, QUIT, SUSP.
pub const NOFLSH: u32 = raw::NOFLSH;
/// `c_lflag`: SIGTTOU for background output.
pub const TOSTOP: u32 = raw::TOSTOP;

/// `c_cc` index: interrupt character.
pub const VINTR: usize = raw::VINTR as usize;
/// `c_cc` index: quit character.
pub const VQUIT: usize = raw::VQUIT as usize;
/// `c_cc` index: erase character.
pub const VERASE: usize = raw::VERASE as usize;
/// `c_cc` index: kill-line character.
pub const VKILL: usize = raw::VKILL as usize;
/// `c_cc` index: end-of-file character.
pub const VEOF: usize = raw::VEOF as usize;
/// `c_cc` index: minimum bytes for a non-canonical read.
pub const VMIN: usize = raw::VMIN as usize;
/// `c_cc` index: suspend character.
pub const VSUSP: usize = raw::VSUSP as usize;

/// The kernel's `struct termios`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Termios {
    /// Input modes (`IGNBRK`, `ICRNL`, …).
    pub c_iflag: u32,
    /// Output modes (`OPOST`, `ONLCR`, …).
    pub c_oflag: u32,
    /// Control modes (`CSIZE`, `CREAD`, baud rate bits, …).
    pub c_cflag: u32,
    /// Local modes (`ICANON`, `ECHO`, `ISIG`, …).
    pub c_lflag: u32,
    /// Line discipline (0 = `N_TTY`).
    pub c_line: u8,
    /// Control characters, indexed by `VINTR`, `VQUIT`, ….
    pub c_cc: [u8; NCCS],
}

assert_same_layout!(Termios, raw::termios, {
    c_iflag => c_iflag,
    c_oflag => c_oflag,
    c_cflag => c_cflag,
    c_lflag => c_lflag,
    c_line => c_line,
    c_cc => c_cc,
});

/// Control characters in [`Termio::c_cc`] (`NCC`).
pub const NCC: usize = 8;

/// The System V `struct termio` of `TCGETA`/`TCSETA*`: the low 16 bits of each mode word and
/// the first [`NCC`] control characters of a [`Termios`].
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Termio {
    /// Input modes (low 16 bits).
    pub c_iflag: u16,
    /// Output modes (low 16 bits).
    pub c_oflag: u16,
    /// Control modes (low 16 bits).
    pub c_cflag: u16,
    /// Local modes (low 16 bits).
    pub c_lflag: u16,
    /// Line discipline.
    pub c_line: u8,
    /// The first control characters.
    pub c_cc: [u8; NCC],
    /// Padding to the structure's alignment (zero when the kernel writes it).
    pub _pad: u8,
}

assert_same_layout!(Termio, raw::termio, {
    c_iflag => c_iflag,
    c_oflag => c_oflag,
    c_cflag => c_cflag,
    c_lflag => c_lflag,
    c_line => c_line,
    c_cc => c_cc,
});

impl Termio {
    /// `kernel_termios_to_user_termio`: the low halves of the modes, the line and the first
    /// control characters.
    pub fn from_termios(termios: &Termios) -> Termio {
        let mut c_cc = [0; NCC];
        c_cc.copy_from_slice(&termios.c_cc[..NCC]);
        Termio {
            c_iflag: termios.c_iflag as u16,
            c_oflag: termios.c_oflag as u16,
            c_cflag: termios.c_cflag as u16,
            c_lflag: termios.c_lflag as u16,
            c_line: termios.c_line,
            c_cc,
            _pad: 0,
        }
    }

    /// `user_termio_to_kernel_termios`: `termios` with the low halves of its modes, its line
    /// and its first control characters replaced by this.
    pub fn apply_to(&self, termios: &Termios) -> Termios {
        let low = |old: u32, new: u16| (old & 0xffff_0000) | u32::from(new);
        let mut out = *termios;
        out.c_iflag = low(termios.c_iflag, self.c_iflag);
        out.c_oflag = low(termios.c_oflag, self.c_oflag);
        out.c_cflag = low(termios.c_cflag, self.c_cflag);
        out.c_lflag = low(termios.c_lflag, self.c_lflag);
        out.c_line = self.c_line;
        out.c_cc[..NCC].copy_from_slice(&self.c_cc);
        out
    }
}

/// `struct winsize`: terminal size in characters and pixels.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Winsize {
    /// Rows.
    pub ws_row: u16,
    /// Columns.
    pub ws_col: u16,
    /// Width in pixels (unused by the kernel).
    pub ws_xpixel: u16,
    /// Height in pixels (unused by the kernel).
    pub ws_ypixel: u16,
}

assert_same_layout!(Winsize, raw::winsize, {
    ws_row => ws_row,
    ws_col => ws_col,
    ws_xpixel => ws_xpixel,
    ws_ypixel => ws_ypixel,
});

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn layout() {
        assert_eq!(size_of::<Termios>(), 36);
        assert_eq!(offset_of!(Termios, c_line), 16);
        assert_eq!(offset_of!(Termios, c_cc), 17);
        assert_eq!(size_of::<Winsize>(), 8);
        assert_eq!(size_of::<Termio>(), 18);
        assert_eq!(offset_of!(Termio, c_cc), 9);
    }

    #[test]
    fn termio_keeps_the_high_bits_and_the_later_characters() {
        let mut termios = Termios {
            c_iflag: 0x1_0005,
            c_oflag: 0x2_0000,
            c_cflag: 0x8000_00bf,
            c_lflag: 0x1_8a3b,
            c_line: 0,
            c_cc: [7; NCCS],
        };
        termios.c_cc[16] = 42;
        let termio = Termio::from_termios(&termios);
        assert_eq!(
            (
                termio.c_iflag,
                termio.c_oflag,
                termio.c_cflag,
                termio.c_lflag
            ),
            (5, 0, 0xbf, 0x8a3b)
        );
        let changed = Termio {
            c_iflag: 1,
            c_lflag: 0,
            c_cc: [1, 2, 3, 4, 5, 6, 7, 8],
            ..termio
        }
        .apply_to(&termios);
        assert_eq!(changed.c_iflag, 0x1_0001);
        assert_eq!(changed.c_lflag, 0x1_0000);
        assert_eq!(changed.c_cflag, 0x8000_00bf);
        assert_eq!(changed.c_cc[..8], [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(changed.c_cc[16], 42);
    }
}
