//! The kernel's `struct termios` (`TCGETS`/`TCSETS`: `c_iflag`..`c_line`, `c_cc[19]`, without the
//! speed fields of `termios2`) and `struct winsize` (`TIOCGWINSZ`), from
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
    }
}
