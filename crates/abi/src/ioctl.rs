//! `ioctl` request numbers of descriptors and terminals (`include/uapi/asm-generic/ioctls.h`),
//! and the serial port type Ferrux's console reports (`include/uapi/linux/serial_core.h`).
//! Unknown requests answer `ENOTTY`.

use linux_raw_sys::ioctl as raw;

/// Get the terminal attributes.
pub const TCGETS: u32 = raw::TCGETS;
/// Set them now.
pub const TCSETS: u32 = raw::TCSETS;
/// Set them after output drains.
pub const TCSETSW: u32 = raw::TCSETSW;
/// Set them after output drains, flushing input.
pub const TCSETSF: u32 = raw::TCSETSF;
/// Flush queued input or output.
pub const TCFLSH: u32 = raw::TCFLSH;
/// Make the terminal the controlling terminal.
pub const TIOCSCTTY: u32 = raw::TIOCSCTTY;
/// Get the foreground process group.
pub const TIOCGPGRP: u32 = raw::TIOCGPGRP;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = raw::TIOCSPGRP;
/// Bytes in the output queue.
pub const TIOCOUTQ: u32 = raw::TIOCOUTQ;
/// Fake input.
pub const TIOCSTI: u32 = raw::TIOCSTI;
/// Get the window size.
pub const TIOCGWINSZ: u32 = raw::TIOCGWINSZ;
/// Set the window size.
pub const TIOCSWINSZ: u32 = raw::TIOCSWINSZ;
/// Give up the controlling terminal.
pub const TIOCNOTTY: u32 = raw::TIOCNOTTY;
/// Get the session id of the terminal.
pub const TIOCGSID: u32 = raw::TIOCGSID;
/// Get the serial port settings (`struct serial_struct`).
pub const TIOCGSERIAL: u32 = raw::TIOCGSERIAL;
/// Bytes ready to read.
pub const FIONREAD: u32 = raw::FIONREAD;
/// Set or clear non-blocking mode.
pub const FIONBIO: u32 = raw::FIONBIO;
/// Set close-on-exec.
pub const FIOCLEX: u32 = raw::FIOCLEX;
/// Clear close-on-exec.
pub const FIONCLEX: u32 = raw::FIONCLEX;

/// `struct serial_struct`'s `type` for a 16550A UART (`PORT_16550A`, not in `linux-raw-sys`).
pub const PORT_16550A: i32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux_x86_64() {
        assert_eq!((TCGETS, TCSETS, TCFLSH), (0x5401, 0x5402, 0x540b));
        assert_eq!((TIOCSCTTY, TIOCGWINSZ, TIOCGSID), (0x540e, 0x5413, 0x5429));
        assert_eq!(
            (FIONREAD, FIONBIO, FIOCLEX, FIONCLEX),
            (0x541b, 0x5421, 0x5451, 0x5450)
        );
    }
}
