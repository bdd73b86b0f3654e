//! The kernel `struct termios` (x86-64 `TCGETS` layout) and Linux's defaults for a serial
//! console (`tty_std_termios` with the 8250 console's 115200 8N1 `c_cflag`).
#![allow(
    dead_code,
    reason = "termios control-character indices of the ABI, used as the tty layer grows"
)]

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const NCCS: usize = 19;

#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
    /// Pads the struct to its C size (36 bytes: 4×4 + 1 + 19).
    _pad: [u8; 0],
}

pub const ICRNL: u32 = 0o400;
pub const IXON: u32 = 0o2000;
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;

pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VMIN: usize = 6;
pub const VSUSP: usize = 10;

impl Termios {
    /// What Linux reports for `/dev/console` on ttyS0 at 115200 baud.
    pub fn serial_console_default() -> Termios {
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            // B115200 | CS8 | CREAD | HUPCL | CLOCAL
            c_cflag: 0o010002 | 0o60 | 0o200 | 0o2000 | 0o4000,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            c_cc: *b"\x03\x1c\x7f\x15\x04\x00\x01\x00\x11\x13\x1a\x00\x12\x0f\x17\x16\x00\x00\x00",
            _pad: [],
        }
    }
}

/// `struct winsize`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct WinSize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

const _: () = assert!(core::mem::size_of::<Termios>() == 36);
