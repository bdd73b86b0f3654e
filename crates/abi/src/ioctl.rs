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
/// Get the terminal attributes as System V's `struct termio`.
pub const TCGETA: u32 = raw::TCGETA;
/// Set them from a `struct termio` now.
pub const TCSETA: u32 = raw::TCSETA;
/// Set them from a `struct termio` after output drains.
pub const TCSETAW: u32 = raw::TCSETAW;
/// Set them from a `struct termio` after output drains, flushing input.
pub const TCSETAF: u32 = raw::TCSETAF;
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
/// Set or clear signal-driven I/O (`FASYNC`).
pub const FIOASYNC: u32 = raw::FIOASYNC;
/// A socket's owner of I/O signals: set (`FIOSETOWN`, `SIOCSPGRP`) and get.
pub const FIOSETOWN: u32 = raw::FIOSETOWN;
pub const SIOCSPGRP: u32 = raw::SIOCSPGRP;
pub const FIOGETOWN: u32 = raw::FIOGETOWN;
pub const SIOCGPGRP: u32 = raw::SIOCGPGRP;
/// Set close-on-exec.
pub const FIOCLEX: u32 = raw::FIOCLEX;
/// Clear close-on-exec.
pub const FIONCLEX: u32 = raw::FIONCLEX;

/// Discard or start/stop data (`TCXONC`: `TCOOFF`, `TCOON`, `TCIOFF`, `TCION`).
pub const TCXONC: u32 = raw::TCXONC;
/// Send a break (a no-op on a pty): `TCSBRK`, `TCSBRKP`.
pub const TCSBRK: u32 = raw::TCSBRK;
/// As [`TCSBRK`], in tenths of a second.
pub const TCSBRKP: u32 = raw::TCSBRKP;
/// Exclusive mode on (`TIOCEXCL`), off (`TIOCNXCL`), queried (`TIOCGEXCL`).
pub const TIOCEXCL: u32 = raw::TIOCEXCL;
/// See [`TIOCEXCL`].
pub const TIOCNXCL: u32 = raw::TIOCNXCL;
/// See [`TIOCEXCL`].
pub const TIOCGEXCL: u32 = raw::TIOCGEXCL;
/// Get or set the line discipline (`N_TTY` is 0).
pub const TIOCGETD: u32 = raw::TIOCGETD;
/// See [`TIOCGETD`].
pub const TIOCSETD: u32 = raw::TIOCSETD;
/// A pty master's number (`TIOCGPTN`).
pub const TIOCGPTN: u32 = raw::TIOCGPTN;
/// Lock or unlock a pty slave (`TIOCSPTLCK`), query the lock (`TIOCGPTLCK`).
pub const TIOCSPTLCK: u32 = raw::TIOCSPTLCK;
/// See [`TIOCSPTLCK`].
pub const TIOCGPTLCK: u32 = raw::TIOCGPTLCK;
/// Packet mode on or off (`TIOCPKT`), queried (`TIOCGPKT`).
pub const TIOCPKT: u32 = raw::TIOCPKT;
/// See [`TIOCPKT`].
pub const TIOCGPKT: u32 = raw::TIOCGPKT;
/// Open the slave of a pty master (`TIOCGPTPEER`).
pub const TIOCGPTPEER: u32 = raw::TIOCGPTPEER;
/// Send a signal to a pty slave's foreground group (`TIOCSIG`).
pub const TIOCSIG: u32 = raw::TIOCSIG;

/// Packet-mode status bits (`TIOCPKT_*`, `include/uapi/asm-generic/ioctls.h`).
pub mod pkt {
    /// Data follows.
    pub const DATA: u8 = 0;
    /// The slave flushed its input.
    pub const FLUSHREAD: u8 = 1;
    /// The slave flushed its output.
    pub const FLUSHWRITE: u8 = 2;
    /// Output was stopped.
    pub const STOP: u8 = 4;
    /// Output was restarted.
    pub const START: u8 = 8;
    /// ^S/^Q flow control went off.
    pub const NOSTOP: u8 = 16;
    /// ^S/^Q flow control came on.
    pub const DOSTOP: u8 = 32;
}

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

/// Block-device requests (`include/uapi/linux/fs.h`, `include/uapi/linux/hdreg.h`).
pub mod blk {
    use linux_raw_sys::ioctl as raw;

    /// Set the device read-only (`int`).
    pub const BLKROSET: u32 = raw::BLKROSET;
    /// Whether the device is read-only (`int`).
    pub const BLKROGET: u32 = raw::BLKROGET;
    /// Re-read the partition table.
    pub const BLKRRPART: u32 = raw::BLKRRPART;
    /// Size in 512-byte sectors (`unsigned long`): `_IO(0x12, 96)`, absent from
    /// linux-raw-sys.
    pub const BLKGETSIZE: u32 = 0x1260;
    /// Write back and drop the device's buffers.
    pub const BLKFLSBUF: u32 = raw::BLKFLSBUF;
    /// Read-ahead in sectors (`long`).
    pub const BLKRAGET: u32 = raw::BLKRAGET;
    /// Largest request in sectors (`unsigned short`).
    pub const BLKSECTGET: u32 = raw::BLKSECTGET;
    /// Logical block size (`int`).
    pub const BLKSSZGET: u32 = raw::BLKSSZGET;
    /// Block size of the buffer cache (`int`, though `_IOR` says `size_t`).
    pub const BLKBSZGET: u32 = raw::BLKBSZGET;
    /// Size in bytes (`u64`).
    pub const BLKGETSIZE64: u32 = raw::BLKGETSIZE64;
    /// Minimum I/O size (`unsigned int`).
    pub const BLKIOMIN: u32 = raw::BLKIOMIN;
    /// Optimal I/O size (`unsigned int`).
    pub const BLKIOOPT: u32 = raw::BLKIOOPT;
    /// Alignment offset (`int`).
    pub const BLKALIGNOFF: u32 = raw::BLKALIGNOFF;
    /// Physical block size (`unsigned int`).
    pub const BLKPBSZGET: u32 = raw::BLKPBSZGET;
    /// Whether discarded blocks read as zeros (`unsigned int`).
    pub const BLKDISCARDZEROES: u32 = raw::BLKDISCARDZEROES;
    /// The disk's sequence number (`u64`).
    pub const BLKGETDISKSEQ: u32 = raw::BLKGETDISKSEQ;
    /// Geometry (`struct hd_geometry`): `0x0301`, absent from linux-raw-sys.
    pub const HDIO_GETGEO: u32 = 0x0301;
}
