//! `/proc/net/unix` (Linux 6.1's `unix_seq_show`): a header, then one line per socket:
//! `Num: RefCount Protocol Flags Type St Inode Path`. `Num` is the socket's kernel address in
//! Linux, hashed for `%pK`; here a number derived from the inode (stable and distinct).
//! `Flags` is `__SO_ACCEPTCON` (0x10000) for a listening socket; `St` is the `socket_state`
//! (1 unconnected, 2 connecting, 3 connected, 4 disconnecting).

use crate::SockType;
use crate::addr::{UnixAddr, proc_name};
use abi::Errno;
use alloc::vec::Vec;
use core::fmt::Write;

/// The header line.
pub const HEADER: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path\n";
/// `__SO_ACCEPTCON`.
pub const SO_ACCEPTCON: u32 = 1 << 16;

/// One socket as the table shows it.
pub struct Line<'a> {
    pub num: u64,
    pub refcount: u32,
    pub is_listening: bool,
    pub sock_type: SockType,
    pub state: u32,
    pub ino: u64,
    pub addr: Option<&'a UnixAddr>,
}

struct Sink<'a>(&'a mut Vec<u8>, bool);

impl Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if self.0.try_reserve(s.len()).is_err() {
            self.1 = true;
            return Err(core::fmt::Error);
        }
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends `line` to `out`.
pub fn write_line(out: &mut Vec<u8>, line: &Line<'_>) -> Result<(), Errno> {
    let mut sink = Sink(out, false);
    let flags = if line.is_listening { SO_ACCEPTCON } else { 0 };
    write!(
        sink,
        "{:016x}: {:08X} {:08X} {:08X} {:04X} {:02X} {:5}",
        line.num,
        line.refcount,
        0,
        flags,
        line.sock_type.raw(),
        line.state,
        line.ino
    )
    .map_err(|_| Errno::ENOMEM)?;
    if line.addr.is_some() {
        out.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        out.push(b' ');
        proc_name(line.addr, out)?;
    }
    out.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let mut out = Vec::new();
        let addr = UnixAddr::Path(b"/run/x".to_vec());
        write_line(
            &mut out,
            &Line {
                num: 0xabc,
                refcount: 2,
                is_listening: true,
                sock_type: SockType::Stream,
                state: 1,
                ino: 4321,
                addr: Some(&addr),
            },
        )
        .unwrap();
        assert_eq!(
            out,
            b"0000000000000abc: 00000002 00000000 00010000 0001 01  4321 /run/x\n"
        );
        out.clear();
        write_line(
            &mut out,
            &Line {
                num: 1,
                refcount: 3,
                is_listening: false,
                sock_type: SockType::Seqpacket,
                state: 3,
                ino: 123456,
                addr: None,
            },
        )
        .unwrap();
        assert_eq!(
            out,
            b"0000000000000001: 00000003 00000000 00000000 0005 03 123456\n"
        );
    }
}
