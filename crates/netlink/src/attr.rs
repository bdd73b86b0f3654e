//! Attributes (`struct nlattr`/`struct rtattr`, `lib/nlattr.c`): the walk of `nla_for_each_attr`
//! (it stops at an attribute shorter than its header or longer than what is left) and the
//! lenient parse rtnetlink's requests get (`nlmsg_parse_deprecated`: unknown types ignored, the
//! last of a type wins, trailing bytes allowed), with the minimum lengths of `validate_nla`:
//! a short attribute is `ERANGE`, reported with its offset in the message.

use crate::Errno;
use crate::msg::{ATTR_HDR_LEN, align};

/// `NLA_TYPE_MASK`: the type without `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER`.
pub const TYPE_MASK: u16 = 0x3fff;

/// One attribute.
#[derive(Clone, Copy, Debug)]
pub struct Attr<'a> {
    /// The type, flags masked off.
    pub kind: u16,
    pub data: &'a [u8],
    /// Where the attribute's header starts, from the start of the walked buffer.
    pub offset: usize,
}

impl<'a> Attr<'a> {
    pub fn u8(&self) -> Option<u8> {
        self.data.first().copied()
    }

    pub fn u16(&self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.data.get(..2)?.try_into().ok()?))
    }

    pub fn u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.data.get(..4)?.try_into().ok()?))
    }

    /// A string attribute up to its first NUL.
    pub fn str(&self) -> &'a [u8] {
        let data: &'a [u8] = self.data;
        let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
        &data[..end]
    }
}

pub struct Attrs<'a> {
    rest: &'a [u8],
    offset: usize,
}

/// Walks the attributes of `buf`; `base` is `buf`'s offset in the message (reported offsets
/// add it).
pub fn attrs(buf: &[u8], base: usize) -> Attrs<'_> {
    Attrs {
        rest: buf,
        offset: base,
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        if self.rest.len() < ATTR_HDR_LEN {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & TYPE_MASK;
        if len < ATTR_HDR_LEN || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let attr = Attr {
            kind,
            data: &self.rest[ATTR_HDR_LEN..len],
            offset: self.offset,
        };
        let step = align(len).min(self.rest.len());
        self.rest = &self.rest[step..];
        self.offset += step;
        Some(attr)
    }
}

/// What a type must hold (`struct nla_policy`'s type and length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Not checked (unknown or unused).
    Any,
    /// At least this many bytes (`NLA_U8`…`NLA_U64`, binary with a length).
    Min(usize),
    /// A string of at most this many bytes before an optional final NUL (`NLA_STRING`).
    Str(usize),
    /// A nest (`NLA_NESTED`), walked by whoever reads it.
    Nested,
}

/// The parsed attributes of a request, by type (`tb[]`), at most `N` types.
pub struct Table<'a, const N: usize> {
    slots: [Option<Attr<'a>>; N],
}

impl<'a, const N: usize> Table<'a, N> {
    pub fn get(&self, kind: u16) -> Option<Attr<'a>> {
        self.slots.get(usize::from(kind)).copied().flatten()
    }
}

/// A failed parse: the errno and the offending attribute's offset (`extack->bad_attr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAttr {
    pub errno: Errno,
    pub offset: usize,
    pub message: &'static str,
}

/// `nlmsg_parse_deprecated`: the attributes of `buf` (at `base` in the message) checked against
/// `policy` (indexed by type; types past it are ignored).
pub fn parse<'a, const N: usize>(
    buf: &'a [u8],
    base: usize,
    policy: &[Policy],
) -> Result<Table<'a, N>, BadAttr> {
    let mut table = Table { slots: [None; N] };
    for attr in attrs(buf, base) {
        let index = usize::from(attr.kind);
        if index == 0 || index >= N {
            continue;
        }
        let ok = match policy.get(index).copied().unwrap_or(Policy::Any) {
            Policy::Any | Policy::Nested => true,
            Policy::Min(len) => attr.data.len() >= len,
            Policy::Str(max) => {
                let mut len = attr.data.len();
                if len > 0 && attr.data[len - 1] == 0 {
                    len -= 1;
                }
                len <= max
            }
        };
        if !ok {
            return Err(BadAttr {
                errno: Errno::ERANGE,
                offset: attr.offset,
                message: "Attribute failed policy validation",
            });
        }
        table.slots[index] = Some(attr);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn attr(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    #[test]
    fn walk_and_parse() {
        let mut buf = attr(3, b"lo\0");
        buf.extend(attr(4, &1500u32.to_ne_bytes()));
        buf.extend(attr(4 | 0x8000, &9000u32.to_ne_bytes()));
        buf.extend(attr(99, &[1]));
        let table: Table<'_, 8> = parse(
            &buf,
            32,
            &[
                Policy::Any,
                Policy::Any,
                Policy::Any,
                Policy::Str(15),
                Policy::Min(4),
            ],
        )
        .unwrap();
        assert_eq!(table.get(3).unwrap().str(), b"lo");
        // The last one of a type wins; flags are masked off.
        assert_eq!(table.get(4).unwrap().u32(), Some(9000));
        assert_eq!(table.get(4).unwrap().offset, 32 + 8 + 8);
        assert!(table.get(7).is_none());
    }

    #[test]
    fn short_attribute_is_erange_at_its_offset() {
        let mut buf = attr(1, &[0; 4]);
        buf.extend(attr(4, &[1, 2]));
        let error = parse::<8>(
            &buf,
            24,
            &[
                Policy::Any,
                Policy::Any,
                Policy::Any,
                Policy::Any,
                Policy::Min(4),
            ],
        )
        .err()
        .unwrap();
        assert_eq!(error.errno, Errno::ERANGE);
        assert_eq!(error.offset, 24 + 8);
        let long = attr(3, &[b'x'; 16]);
        assert!(
            parse::<8>(
                &long,
                0,
                &[Policy::Any, Policy::Any, Policy::Any, Policy::Str(15)]
            )
            .is_err()
        );
    }

    #[test]
    fn hostile_lengths_end_the_walk() {
        assert_eq!(attrs(&[2, 0, 1, 0], 0).count(), 0);
        assert_eq!(attrs(&[200, 0, 1, 0, 0, 0], 0).count(), 0);
        assert_eq!(attrs(&[4, 0, 1], 0).count(), 0);
        let mut buf = attr(1, &[]);
        buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(attrs(&buf, 0).count(), 1);
    }
}
