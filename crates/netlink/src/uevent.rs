//! Kernel uevents as `kobject_uevent_env` broadcasts them on `NETLINK_KOBJECT_UEVENT`:
//! `ACTION@DEVPATH`, then `ACTION=`, `DEVPATH=`, `SUBSYSTEM=`, the device's own variables (what
//! its `uevent` file shows: `MAJOR=`, `MINOR=`, `DEVNAME=`, …) and `SEQNUM=`, each ended by a
//! NUL.

use crate::{Errno, push};
use alloc::vec::Vec;

/// `UEVENT_BUFFER_SIZE`: the environment of one event is at most this long (`ENOMEM` past it).
pub const BUFFER_SIZE: usize = 2048;

/// The record of one event; `vars` are `KEY=VALUE` lines (as in a `uevent` file).
pub fn record(
    action: &str,
    devpath: &[u8],
    subsystem: &[u8],
    vars: &[u8],
    seqnum: u64,
) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    push(&mut out, action.as_bytes())?;
    push(&mut out, b"@")?;
    push(&mut out, devpath)?;
    push(&mut out, b"\0")?;
    let env_start = out.len();
    for (key, value) in [
        (&b"ACTION="[..], action.as_bytes()),
        (b"DEVPATH=", devpath),
        (b"SUBSYSTEM=", subsystem),
    ] {
        push(&mut out, key)?;
        push(&mut out, value)?;
        push(&mut out, b"\0")?;
    }
    for line in vars.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        push(&mut out, line)?;
        push(&mut out, b"\0")?;
    }
    let mut number = [0u8; 20];
    let mut at = number.len();
    let mut n = seqnum;
    loop {
        at -= 1;
        number[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push(&mut out, b"SEQNUM=")?;
    push(&mut out, &number[at..])?;
    push(&mut out, b"\0")?;
    if out.len() - env_start > BUFFER_SIZE {
        return Err(Errno::ENOMEM);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_device_event() {
        let got = record(
            "add",
            b"/devices/virtual/block/loop8",
            b"block",
            b"MAJOR=7\nMINOR=8\nDEVNAME=loop8\nDEVTYPE=disk\n",
            1234,
        )
        .unwrap();
        assert_eq!(
            got,
            b"add@/devices/virtual/block/loop8\0ACTION=add\0DEVPATH=/devices/virtual/block/loop8\0SUBSYSTEM=block\0MAJOR=7\0MINOR=8\0DEVNAME=loop8\0DEVTYPE=disk\0SEQNUM=1234\0"
        );
        assert!(record("add", &[b'x'; 3000], b"block", b"", 0).is_err());
    }
}
