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
