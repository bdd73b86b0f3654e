//! Control messages (cmsg(3), Linux `net/core/scm.c`): walking the control buffer a
//! `sendmsg` caller gave, and building the one `recvmsg` returns.
//!
//! Sending (`__scm_send`): headers are visited as `for_each_cmsghdr` does (the first if the
//! buffer holds a header, each next at `CMSG_ALIGN(cmsg_len)` while a whole header fits); a
//! header whose length is below the header size or beyond the buffer is `EINVAL`; levels other
//! than `SOL_SOCKET` are skipped; `SCM_RIGHTS` carries at most [`SCM_MAX_FD`] descriptors in
//! all (`EINVAL` beyond); `SCM_CREDENTIALS` must be exactly one `struct ucred`; any other
//! `SOL_SOCKET` type is `EINVAL`.
//!
//! Receiving (`put_cmsg`, `scm_detach_fds`): a message that does not fit is cut to the space
//! left and `MSG_CTRUNC` is set; descriptors that do not fit are not installed (and so closed),
//! with `MSG_CTRUNC`.

use abi::Errno;
use alloc::vec::Vec;

/// `sizeof(struct cmsghdr)`.
pub const HEADER_LEN: usize = 16;
/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = 1;
/// `SCM_RIGHTS`.
pub const SCM_RIGHTS: i32 = 1;
/// `SCM_CREDENTIALS`.
pub const SCM_CREDENTIALS: i32 = 2;
/// Most descriptors one message may carry (`SCM_MAX_FD`).
pub const SCM_MAX_FD: usize = 253;
/// `MSG_CTRUNC`.
pub const MSG_CTRUNC: u32 = 8;
/// `sizeof(struct ucred)`.
pub const UCRED_LEN: usize = 12;

/// `CMSG_ALIGN`.
pub fn align(len: usize) -> usize {
    (len + 7) & !7
}

/// `CMSG_LEN(len)`.
pub fn cmsg_len(len: usize) -> usize {
    HEADER_LEN + len
}

/// `CMSG_SPACE(len)`.
pub fn cmsg_space(len: usize) -> usize {
    HEADER_LEN + align(len)
}

/// `struct ucred`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    pub fn to_bytes(self) -> [u8; UCRED_LEN] {
        let mut out = [0u8; UCRED_LEN];
        out[..4].copy_from_slice(&self.pid.to_ne_bytes());
        out[4..8].copy_from_slice(&self.uid.to_ne_bytes());
        out[8..].copy_from_slice(&self.gid.to_ne_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Ucred> {
        if bytes.len() < UCRED_LEN {
            return None;
        }
        let word = |i: usize| [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]];
        Some(Ucred {
            pid: i32::from_ne_bytes(word(0)),
            uid: u32::from_ne_bytes(word(4)),
            gid: u32::from_ne_bytes(word(8)),
        })
    }
}

/// What a `sendmsg` control buffer asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SendControl {
    /// Descriptor numbers to pass, in order.
    pub fds: Vec<i32>,
    /// Credentials the sender claims (checked by the caller: `scm_check_creds`).
    pub creds: Option<Ucred>,
}

/// Parses the control buffer of a `sendmsg` (already copied in).
pub fn parse_send(control: &[u8]) -> Result<SendControl, Errno> {
    let mut out = SendControl::default();
    let mut offset = 0;
    while offset + HEADER_LEN <= control.len() {
        let header = &control[offset..offset + HEADER_LEN];
        let len = u64::from_ne_bytes(header[..8].try_into().map_err(|_| Errno::EINVAL)?);
        let level = i32::from_ne_bytes(header[8..12].try_into().map_err(|_| Errno::EINVAL)?);
        let kind = i32::from_ne_bytes(header[12..16].try_into().map_err(|_| Errno::EINVAL)?);
        if len < HEADER_LEN as u64 || len > (control.len() - offset) as u64 {
            return Err(Errno::EINVAL);
        }
        let len = len as usize;
        let data = &control[offset + HEADER_LEN..offset + len];
        if level == SOL_SOCKET {
            match kind {
                SCM_RIGHTS => {
                    let count = data.len() / 4;
                    if out.fds.len() + count > SCM_MAX_FD {
                        return Err(Errno::EINVAL);
                    }
                    out.fds.try_reserve(count).map_err(|_| Errno::ENOMEM)?;
                    for chunk in data.chunks_exact(4) {
                        out.fds
                            .push(i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
                    }
                }
                SCM_CREDENTIALS => {
                    if len != cmsg_len(UCRED_LEN) {
                        return Err(Errno::EINVAL);
                    }
                    out.creds = Ucred::from_bytes(data);
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        offset += align(len);
    }
    Ok(out)
}

/// The control buffer a `recvmsg` fills, `capacity` bytes long (the caller's `msg_controllen`).
pub struct RecvControl {
    pub bytes: Vec<u8>,
    pub capacity: usize,
    /// `MSG_CTRUNC` is due.
    pub is_truncated: bool,
}

impl RecvControl {
    pub fn new(capacity: usize) -> RecvControl {
        RecvControl {
            bytes: Vec::new(),
            capacity,
            is_truncated: false,
        }
    }

    fn left(&self) -> usize {
        self.capacity - self.bytes.len()
    }

    /// `put_cmsg`: appends a message, cut to the space left.
    pub fn put(&mut self, level: i32, kind: i32, data: &[u8]) -> Result<(), Errno> {
        if self.left() < HEADER_LEN {
            self.is_truncated = true;
            return Ok(());
        }
        let mut len = cmsg_len(data.len());
        if self.left() < len {
            self.is_truncated = true;
            len = self.left();
        }
        let space = cmsg_space(data.len()).min(self.left());
        self.bytes.try_reserve(space).map_err(|_| Errno::ENOMEM)?;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&(len as u64).to_ne_bytes());
        self.bytes.extend_from_slice(&level.to_ne_bytes());
        self.bytes.extend_from_slice(&kind.to_ne_bytes());
        self.bytes.extend_from_slice(&data[..len - HEADER_LEN]);
        self.bytes.resize(start + space, 0);
        Ok(())
    }

    /// How many of `count` descriptors fit (`scm_detach_fds`' `fdmax`).
    pub fn fd_room(&self, count: usize) -> usize {
        if self.left() > HEADER_LEN {
            ((self.left() - HEADER_LEN) / 4).min(count)
        } else {
            0
        }
    }

    /// Appends the `SCM_RIGHTS` message for the descriptors installed (`installed`) out of
    /// `count` carried.
    pub fn put_rights(&mut self, installed: &[i32], count: usize) -> Result<(), Errno> {
        if !installed.is_empty() {
            let mut data = Vec::new();
            data.try_reserve(installed.len() * 4)
                .map_err(|_| Errno::ENOMEM)?;
            for fd in installed {
                data.extend_from_slice(&fd.to_ne_bytes());
            }
            let len = cmsg_len(data.len());
            let space = cmsg_space(data.len()).min(self.left());
            self.bytes.try_reserve(space).map_err(|_| Errno::ENOMEM)?;
            let start = self.bytes.len();
            self.bytes.extend_from_slice(&(len as u64).to_ne_bytes());
            self.bytes.extend_from_slice(&SOL_SOCKET.to_ne_bytes());
            self.bytes.extend_from_slice(&SCM_RIGHTS.to_ne_bytes());
            self.bytes.extend_from_slice(&data);
            self.bytes.resize(start + space, 0);
        }
        if installed.len() < count {
            self.is_truncated = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u64, level: i32, kind: i32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(&level.to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v
    }

    #[test]
    fn rights_and_creds() {
        let mut c = header(24, SOL_SOCKET, SCM_RIGHTS);
        c.extend_from_slice(&5i32.to_ne_bytes());
        c.extend_from_slice(&6i32.to_ne_bytes());
        c.extend(header(28, SOL_SOCKET, SCM_CREDENTIALS));
        c.extend_from_slice(
            &Ucred {
                pid: 1,
                uid: 2,
                gid: 3,
            }
            .to_bytes(),
        );
        c.extend_from_slice(&[0; 4]);
        let parsed = parse_send(&c).unwrap();
        assert_eq!(parsed.fds, [5, 6]);
        assert_eq!(
            parsed.creds,
            Some(Ucred {
                pid: 1,
                uid: 2,
                gid: 3
            })
        );
    }

    #[test]
    fn bad_headers() {
        assert_eq!(
            parse_send(&header(8, SOL_SOCKET, SCM_RIGHTS)),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            parse_send(&header(40, SOL_SOCKET, SCM_RIGHTS)),
            Err(Errno::EINVAL)
        );
        assert_eq!(parse_send(&header(16, SOL_SOCKET, 99)), Err(Errno::EINVAL));
        assert_eq!(parse_send(&header(16, 6, 99)), Ok(SendControl::default()));
        assert_eq!(
            parse_send(&header(20, SOL_SOCKET, SCM_CREDENTIALS)),
            Err(Errno::EINVAL)
        );
        // A short buffer holds no header at all.
        assert_eq!(parse_send(&[0; 8]), Ok(SendControl::default()));
        let mut many = header(16 + 254 * 4, SOL_SOCKET, SCM_RIGHTS);
        many.resize(16 + 254 * 4, 0);
        assert_eq!(parse_send(&many), Err(Errno::EINVAL));
    }

    #[test]
    fn receive_truncation() {
        let mut r = RecvControl::new(20);
        assert_eq!(r.fd_room(3), 1);
        r.put_rights(&[7], 3).unwrap();
        assert!(r.is_truncated);
        assert_eq!(r.bytes.len(), 20);
        assert_eq!(u64::from_ne_bytes(r.bytes[..8].try_into().unwrap()), 20);

        let mut r = RecvControl::new(24);
        r.put(SOL_SOCKET, SCM_CREDENTIALS, &[1; 12]).unwrap();
        assert!(r.is_truncated);
        assert_eq!(r.bytes.len(), 24);
        assert_eq!(u64::from_ne_bytes(r.bytes[..8].try_into().unwrap()), 24);

        let mut r = RecvControl::new(8);
        r.put(SOL_SOCKET, SCM_CREDENTIALS, &[1; 12]).unwrap();
        assert!(r.is_truncated);
        assert!(r.bytes.is_empty());
        assert_eq!(r.fd_room(1), 0);
    }
}
