//! Linux's default termios for a serial console (`tty_std_termios` with the 8250 console's
//! 115200 8N1 `c_cflag`). The struct and its flag constants are `abi::termios`'s.

pub use abi::termios::*;
pub use abi::{Termios, Winsize as WinSize};

/// What Linux reports for `/dev/console` on ttyS0 at 115200 baud.
pub fn serial_console_default() -> Termios {
    Termios {
        c_iflag: ICRNL | IXON,
        c_oflag: OPOST | ONLCR,
        c_cflag: B115200 | CS8 | CREAD | HUPCL | CLOCAL,
        c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        c_line: 0,
        // INTR ^C, QUIT ^\, ERASE DEL, KILL ^U, EOF ^D, TIME 0, MIN 1, SWTC 0, START ^Q,
        // STOP ^S, SUSP ^Z, EOL 0, REPRINT ^R, DISCARD ^O, WERASE ^W, LNEXT ^V, EOL2 0.
        c_cc: *b"\x03\x1c\x7f\x15\x04\x00\x01\x00\x11\x13\x1a\x00\x12\x0f\x17\x16\x00\x00\x00",
    }
}
