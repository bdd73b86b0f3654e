//! Acknowledgements (`netlink_ack`): an `NLMSG_ERROR` message carrying the error (0 for a plain
//! acknowledgement) and the request's header, or the whole request when it failed and the
//! socket did not set `NETLINK_CAP_ACK` (otherwise `NLM_F_CAPPED`). With `NETLINK_EXT_ACK` the
//! extended-ack attributes follow (`NLM_F_ACK_TLVS`): the message (`NLMSGERR_ATTR_MSG`) and,
//! for errors, the offset of the offending attribute (`NLMSGERR_ATTR_OFFS`).

use crate::msg::{Builder, HDR_LEN, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_ERROR, Request};
use crate::{Errno, raw};
use alloc::vec::Vec;

/// `NLMSGERR_ATTR_MSG`, `NLMSGERR_ATTR_OFFS`.
pub const NLMSGERR_ATTR_MSG: u16 = raw::nlmsgerr_attrs::NLMSGERR_ATTR_MSG as u16;
pub const NLMSGERR_ATTR_OFFS: u16 = raw::nlmsgerr_attrs::NLMSGERR_ATTR_OFFS as u16;

/// What a handler reports beyond its errno (`struct netlink_ext_ack`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtAck {
    pub message: Option<&'static str>,
    /// The offending attribute's offset from the start of the request message.
    pub bad_attr: Option<usize>,
}

impl ExtAck {
    pub fn msg(message: &'static str) -> ExtAck {
        ExtAck {
            message: Some(message),
            bad_attr: None,
        }
    }
}

/// The acknowledging socket's options.
#[derive(Clone, Copy, Debug, Default)]
pub struct AckOptions {
    pub cap_ack: bool,
    pub ext_ack: bool,
}

/// The `NLMSG_ERROR` message answering `request` with `error` (0 or a positive errno) for
/// port `portid`.
pub fn build(
    request: &Request<'_>,
    error: Option<Errno>,
    ext: &ExtAck,
    options: AckOptions,
    portid: u32,
) -> Result<Vec<u8>, Errno> {
    let mut flags = 0;
    let whole = error.is_some() && !options.cap_ack;
    if !whole {
        flags |= NLM_F_CAPPED;
    }
    let with_tlvs =
        options.ext_ack && (ext.message.is_some() || (error.is_some() && ext.bad_attr.is_some()));
    if with_tlvs {
        flags |= NLM_F_ACK_TLVS;
    }
    let mut b = Builder::new(NLMSG_ERROR, flags, request.header.seq, portid)?;
    let code = error.map_or(0i32, |e| -(e.0 as i32));
    b.put(&code.to_ne_bytes())?;
    if whole {
        b.put(request.bytes)?;
    } else {
        b.put(&request.bytes[..HDR_LEN])?;
    }
    if with_tlvs {
        if let Some(message) = ext.message {
            b.attr_str(NLMSGERR_ATTR_MSG, message.as_bytes())?;
        }
        if error.is_some()
            && let Some(offset) = ext.bad_attr
            && offset < request.bytes.len()
        {
            b.attr_u32(NLMSGERR_ATTR_OFFS, offset as u32)?;
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Header, NLM_F_REQUEST, requests};

    fn request() -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(
            &Header {
                len: 24,
                kind: 20,
                flags: NLM_F_REQUEST,
                seq: 9,
                pid: 0,
            }
            .to_bytes(),
        );
        out.extend_from_slice(&[1; 8]);
        out
    }

    #[test]
    fn plain_ack_is_capped() {
        let datagram = request();
        let req = requests(&datagram).next().unwrap();
        let ack = build(&req, None, &ExtAck::default(), AckOptions::default(), 77).unwrap();
        let h = Header::parse(&ack).unwrap();
        assert_eq!(
            (h.len, h.kind, h.flags, h.seq, h.pid),
            (36, 2, 0x100, 9, 77)
        );
        assert_eq!(&ack[16..20], &0i32.to_ne_bytes());
    }

    #[test]
    fn error_carries_the_request_unless_capped() {
        let datagram = request();
        let req = requests(&datagram).next().unwrap();
        let ack = build(
            &req,
            Some(Errno::EINVAL),
            &ExtAck::default(),
            AckOptions::default(),
            1,
        )
        .unwrap();
        assert_eq!(ack.len(), 16 + 4 + 24);
        assert_eq!(Header::parse(&ack).unwrap().flags, 0);
        assert_eq!(&ack[16..20], &(-22i32).to_ne_bytes());
        assert_eq!(&ack[20..], &datagram[..]);
        let capped = AckOptions {
            cap_ack: true,
            ext_ack: true,
        };
        let ext = ExtAck {
            message: Some("bad"),
            bad_attr: Some(20),
        };
        let ack = build(&req, Some(Errno::ERANGE), &ext, capped, 1).unwrap();
        assert_eq!(Header::parse(&ack).unwrap().flags, 0x300);
        // header, error, request header, "bad\0" attribute, offset attribute
        assert_eq!(ack.len(), 16 + 4 + 16 + 8 + 8);
        assert_eq!(&ack[36..44], &[8, 0, 1, 0, b'b', b'a', b'd', 0]);
        assert_eq!(&ack[44..52], &[8, 0, 2, 0, 20, 0, 0, 0]);
    }
}
