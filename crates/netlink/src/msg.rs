//! The message header (`struct nlmsghdr`), the walk of the messages in a datagram sent to the
//! kernel (`netlink_rcv_skb`), and a builder for the kernel's own messages.

use crate::{Errno, push, raw};
use alloc::vec::Vec;

/// `NLMSG_HDRLEN`.
pub const HDR_LEN: usize = 16;
/// `NLA_HDRLEN`.
pub const ATTR_HDR_LEN: usize = 4;

pub const NLMSG_NOOP: u16 = raw::NLMSG_NOOP as u16;
pub const NLMSG_ERROR: u16 = raw::NLMSG_ERROR as u16;
pub const NLMSG_DONE: u16 = raw::NLMSG_DONE as u16;
pub const NLMSG_MIN_TYPE: u16 = raw::NLMSG_MIN_TYPE as u16;

pub const NLM_F_REQUEST: u16 = raw::NLM_F_REQUEST as u16;
pub const NLM_F_MULTI: u16 = raw::NLM_F_MULTI as u16;
pub const NLM_F_ACK: u16 = raw::NLM_F_ACK as u16;
pub const NLM_F_ECHO: u16 = raw::NLM_F_ECHO as u16;
pub const NLM_F_DUMP: u16 = raw::NLM_F_DUMP as u16;
pub const NLM_F_DUMP_FILTERED: u16 = raw::NLM_F_DUMP_FILTERED as u16;
pub const NLM_F_REPLACE: u16 = raw::NLM_F_REPLACE as u16;
pub const NLM_F_EXCL: u16 = raw::NLM_F_EXCL as u16;
pub const NLM_F_CREATE: u16 = raw::NLM_F_CREATE as u16;
pub const NLM_F_APPEND: u16 = raw::NLM_F_APPEND as u16;
pub const NLM_F_CAPPED: u16 = raw::NLM_F_CAPPED as u16;
pub const NLM_F_ACK_TLVS: u16 = raw::NLM_F_ACK_TLVS as u16;

/// `NLMSG_ALIGN`, `NLA_ALIGN`.
pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// `struct nlmsghdr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub len: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl Header {
    pub fn parse(bytes: &[u8]) -> Option<Header> {
        let b = bytes.get(..HDR_LEN)?;
        Some(Header {
            len: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            kind: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
            pid: u32::from_ne_bytes([b[12], b[13], b[14], b[15]]),
        })
    }

    pub fn to_bytes(&self) -> [u8; HDR_LEN] {
        let mut b = [0u8; HDR_LEN];
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.kind.to_ne_bytes());
        b[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        b[12..16].copy_from_slice(&self.pid.to_ne_bytes());
        b
    }
}

/// One message of a request datagram.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub header: Header,
    /// The whole message as its header measures it (header included).
    pub bytes: &'a [u8],
}

impl<'a> Request<'a> {
    /// The payload after the header (`nlmsg_data` .. `nlmsg_len`).
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[HDR_LEN..]
    }
}

/// The messages of a datagram as `netlink_rcv_skb` takes them: it stops silently at a header
/// shorter than itself or longer than what is left, and steps by the aligned length.
pub fn requests(datagram: &[u8]) -> Requests<'_> {
    Requests { rest: datagram }
}

pub struct Requests<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Requests<'a> {
    type Item = Request<'a>;

    fn next(&mut self) -> Option<Request<'a>> {
        let header = Header::parse(self.rest)?;
        let len = header.len as usize;
        if len < HDR_LEN || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let bytes = &self.rest[..len];
        let step = align(len).min(self.rest.len());
        self.rest = &self.rest[step..];
        Some(Request { header, bytes })
    }
}

/// Builds one message: header, fixed part, attributes (each padded to 4 bytes).
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// A message of `kind` with `flags`, `seq` and the port id it is for.
    pub fn new(kind: u16, flags: u16, seq: u32, pid: u32) -> Result<Builder, Errno> {
        let mut buf = Vec::new();
        buf.try_reserve(256).map_err(|_| Errno::ENOMEM)?;
        let header = Header {
            len: HDR_LEN as u32,
            kind,
            flags,
            seq,
            pid,
        };
        buf.extend_from_slice(&header.to_bytes());
        Ok(Builder { buf })
    }

    /// Appends raw bytes, padded to 4.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), Errno> {
        push(&mut self.buf, bytes)?;
        self.pad()
    }

    fn pad(&mut self) -> Result<(), Errno> {
        let padded = align(self.buf.len());
        while self.buf.len() < padded {
            push(&mut self.buf, &[0])?;
        }
        Ok(())
    }

    /// `nla_put`.
    pub fn attr(&mut self, kind: u16, value: &[u8]) -> Result<(), Errno> {
        let len = ATTR_HDR_LEN + value.len();
        if len > usize::from(u16::MAX) {
            return Err(Errno::EMSGSIZE);
        }
        push(&mut self.buf, &(len as u16).to_ne_bytes())?;
        push(&mut self.buf, &kind.to_ne_bytes())?;
        push(&mut self.buf, value)?;
        self.pad()
    }

    pub fn attr_u8(&mut self, kind: u16, value: u8) -> Result<(), Errno> {
        self.attr(kind, &[value])
    }

    pub fn attr_u16(&mut self, kind: u16, value: u16) -> Result<(), Errno> {
        self.attr(kind, &value.to_ne_bytes())
    }

    pub fn attr_u32(&mut self, kind: u16, value: u32) -> Result<(), Errno> {
        self.attr(kind, &value.to_ne_bytes())
    }

    pub fn attr_u64(&mut self, kind: u16, value: u64) -> Result<(), Errno> {
        self.attr(kind, &value.to_ne_bytes())
    }

    /// `nla_put_string`: the bytes and a NUL.
    pub fn attr_str(&mut self, kind: u16, value: &[u8]) -> Result<(), Errno> {
        let len = ATTR_HDR_LEN + value.len() + 1;
        if len > usize::from(u16::MAX) {
            return Err(Errno::EMSGSIZE);
        }
        push(&mut self.buf, &(len as u16).to_ne_bytes())?;
        push(&mut self.buf, &kind.to_ne_bytes())?;
        push(&mut self.buf, value)?;
        push(&mut self.buf, &[0])?;
        self.pad()
    }

    /// `nla_nest_start`: returns where the nest begins, for [`Builder::nest_end`].
    pub fn nest_begin(&mut self, kind: u16) -> Result<usize, Errno> {
        let start = self.buf.len();
        push(&mut self.buf, &0u16.to_ne_bytes())?;
        push(
            &mut self.buf,
            &(kind | raw::NLA_F_NESTED as u16).to_ne_bytes(),
        )?;
        Ok(start)
    }

    /// `nla_nest_start_noflag`: a nest without `NLA_F_NESTED`, as the older attributes are.
    pub fn nest_begin_noflag(&mut self, kind: u16) -> Result<usize, Errno> {
        let start = self.buf.len();
        push(&mut self.buf, &0u16.to_ne_bytes())?;
        push(&mut self.buf, &kind.to_ne_bytes())?;
        Ok(start)
    }

    pub fn nest_end(&mut self, start: usize) {
        let len = (self.buf.len() - start).min(usize::from(u16::MAX)) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() <= HDR_LEN
    }

    /// `nlmsg_end`: the length goes into the header.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u16, len: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(
            &Header {
                len,
                kind,
                flags: NLM_F_REQUEST,
                seq: 7,
                pid: 0,
            }
            .to_bytes(),
        );
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn walk_stops_at_bad_lengths() {
        let mut datagram = message(18, 21, &[1, 2, 3, 4, 5]);
        datagram.extend_from_slice(&[0, 0, 0]);
        datagram.extend(message(20, 16, &[]));
        let got: Vec<_> = requests(&datagram).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].payload(), &[1, 2, 3, 4, 5]);
        assert_eq!(got[1].header.kind, 20);
        // A length shorter than the header, longer than the datagram, or a short tail.
        assert_eq!(requests(&message(18, 8, &[0; 8])).count(), 0);
        assert_eq!(requests(&message(18, 100, &[0; 8])).count(), 0);
        assert_eq!(requests(&[0u8; 15]).count(), 0);
        assert_eq!(requests(&[]).count(), 0);
    }

    #[test]
    fn unaligned_last_message_is_taken() {
        let datagram = message(18, 17, &[9]);
        let got: Vec<_> = requests(&datagram).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload(), &[9]);
    }

    #[test]
    fn builder_pads_and_measures() {
        let mut b = Builder::new(16, NLM_F_MULTI, 3, 42).unwrap();
        b.put(&[1, 2, 3]).unwrap();
        b.attr_str(3, b"lo").unwrap();
        let nest = b.nest_begin(26).unwrap();
        b.attr_u32(1, 5).unwrap();
        b.nest_end(nest);
        let bytes = b.finish();
        assert_eq!(bytes.len(), 16 + 4 + 8 + 12);
        let header = Header::parse(&bytes).unwrap();
        assert_eq!(header.len as usize, bytes.len());
        assert_eq!(header.pid, 42);
        assert_eq!(&bytes[20..28], &[7, 0, 3, 0, b'l', b'o', 0, 0]);
        assert_eq!(u16::from_ne_bytes([bytes[28], bytes[29]]), 12);
        assert_eq!(u16::from_ne_bytes([bytes[30], bytes[31]]), 26 | 0x8000);
    }
}
