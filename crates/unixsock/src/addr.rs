//! `struct sockaddr_un` (unix(7)): what `bind`, `connect` and `sendto` accept, and what
//! `getsockname`, `getpeername`, `accept` and `recvfrom` report.
//!
//! Follows Linux 6.1's `unix_validate_addr` (a length above `sizeof(sa_family_t)` and at most
//! `sizeof(struct sockaddr_un)`, family `AF_UNIX`, else `EINVAL`) and `unix_mkname_bsd`: a
//! path name ends at its first NUL within the given length, and is reported with the length
//! `2 + strlen + 1`; an abstract name (a leading NUL) is every byte given, NULs included, and
//! is reported with the length it was bound with. An unnamed socket reports only the family
//! (length 2). Autobind names are a NUL and five hex digits (length 8).

use abi::Errno;
use alloc::vec::Vec;

/// `AF_UNIX`.
pub const AF_UNIX: u16 = 1;
/// `offsetof(struct sockaddr_un, sun_path)`.
pub const PATH_OFFSET: usize = 2;
/// `sizeof(struct sockaddr_un)`.
pub const SOCKADDR_UN_LEN: usize = 110;

/// A socket's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnixAddr {
    /// A file-system path (no NUL).
    Path(Vec<u8>),
    /// An abstract name: the bytes after the leading NUL (may contain NULs, may be empty).
    Abstract(Vec<u8>),
}

/// What `bind` was asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum BindRequest {
    /// Only the family was given: an autobind name is chosen.
    Autobind,
    Name(UnixAddr),
}

/// Validates a `struct sockaddr_un` copied from user memory (`bytes` is exactly the length the
/// caller gave) and returns the name (`unix_validate_addr` + `unix_mkname_bsd`).
pub fn parse(bytes: &[u8]) -> Result<UnixAddr, Errno> {
    if bytes.len() <= PATH_OFFSET || bytes.len() > SOCKADDR_UN_LEN {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([bytes[0], bytes[1]]) != AF_UNIX {
        return Err(Errno::EINVAL);
    }
    let path = &bytes[PATH_OFFSET..];
    if path[0] == 0 {
        return Ok(UnixAddr::Abstract(copy(&path[1..])?));
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Ok(UnixAddr::Path(copy(&path[..end])?))
}

/// As [`parse`] for `bind`, where a bare family asks for autobind (`unix_bind`).
pub fn parse_bind(bytes: &[u8]) -> Result<BindRequest, Errno> {
    if bytes.len() == PATH_OFFSET && u16::from_ne_bytes([bytes[0], bytes[1]]) == AF_UNIX {
        return Ok(BindRequest::Autobind);
    }
    parse(bytes).map(BindRequest::Name)
}

fn copy(bytes: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve_exact(bytes.len())
        .map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(out)
}

/// The autobind name for `number` (`"\0%05x"`, five hex digits of a 20-bit number).
pub fn autobind_name(number: u32) -> Result<UnixAddr, Errno> {
    let mut name = Vec::new();
    name.try_reserve_exact(5).map_err(|_| Errno::ENOMEM)?;
    for shift in (0..5).rev() {
        let digit = ((number >> (shift * 4)) & 0xf) as u8;
        name.push(if digit < 10 {
            b'0' + digit
        } else {
            b'a' + digit - 10
        });
    }
    Ok(UnixAddr::Abstract(name))
}

/// Encodes a name as `getsockname` reports it: the bytes of a `struct sockaddr_un` (at most
/// 110) and the length to report (which may exceed the bytes for a 108-byte path: Linux
/// reports 111 then). `None` is an unnamed socket.
pub fn encode(addr: Option<&UnixAddr>) -> ([u8; SOCKADDR_UN_LEN], usize) {
    let mut out = [0u8; SOCKADDR_UN_LEN];
    out[..2].copy_from_slice(&AF_UNIX.to_ne_bytes());
    let len = match addr {
        None => PATH_OFFSET,
        Some(UnixAddr::Path(path)) => {
            let n = path.len().min(SOCKADDR_UN_LEN - PATH_OFFSET);
            out[PATH_OFFSET..PATH_OFFSET + n].copy_from_slice(&path[..n]);
            PATH_OFFSET + path.len() + 1
        }
        Some(UnixAddr::Abstract(name)) => {
            let n = name.len().min(SOCKADDR_UN_LEN - PATH_OFFSET - 1);
            out[PATH_OFFSET + 1..PATH_OFFSET + 1 + n].copy_from_slice(&name[..n]);
            PATH_OFFSET + 1 + name.len()
        }
    };
    (out, len)
}

/// The `Path` column of `/proc/net/unix` (without the leading space): a path as it is, an
/// abstract name with `@` for the leading NUL and for every NUL in it. Empty when unnamed.
pub fn proc_name(addr: Option<&UnixAddr>, out: &mut Vec<u8>) -> Result<(), Errno> {
    match addr {
        None => {}
        Some(UnixAddr::Path(path)) => {
            out.try_reserve(path.len()).map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(path);
        }
        Some(UnixAddr::Abstract(name)) => {
            out.try_reserve(name.len() + 1).map_err(|_| Errno::ENOMEM)?;
            out.push(b'@');
            out.extend(name.iter().map(|&b| if b == 0 { b'@' } else { b }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(path: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&AF_UNIX.to_ne_bytes());
        v.extend_from_slice(path);
        v
    }

    #[test]
    fn paths_end_at_the_first_nul() {
        assert_eq!(
            parse(&raw(b"/tmp/s\0junk")),
            Ok(UnixAddr::Path(b"/tmp/s".to_vec()))
        );
        assert_eq!(
            parse(&raw(b"/tmp/s")),
            Ok(UnixAddr::Path(b"/tmp/s".to_vec()))
        );
        let (bytes, len) = encode(Some(&UnixAddr::Path(b"/tmp/s".to_vec())));
        assert_eq!(len, 2 + 6 + 1);
        assert_eq!(&bytes[2..9], b"/tmp/s\0");
    }

    #[test]
    fn abstract_names_keep_every_byte() {
        assert_eq!(
            parse(&raw(b"\0a\0b")),
            Ok(UnixAddr::Abstract(b"a\0b".to_vec()))
        );
        assert_eq!(parse(&raw(b"\0")), Ok(UnixAddr::Abstract(Vec::new())));
        let (_, len) = encode(Some(&UnixAddr::Abstract(b"a\0b".to_vec())));
        assert_eq!(len, 6);
        let mut out = Vec::new();
        proc_name(Some(&UnixAddr::Abstract(b"a\0b".to_vec())), &mut out).unwrap();
        assert_eq!(out, b"@a@b");
    }

    #[test]
    fn bad_lengths_and_families() {
        assert_eq!(parse(&raw(b"")), Err(Errno::EINVAL));
        assert_eq!(parse(&[1]), Err(Errno::EINVAL));
        assert_eq!(parse(&[2, 0, b'a']), Err(Errno::EINVAL));
        let long = [b'a'; 109];
        assert_eq!(parse(&raw(&long)), Err(Errno::EINVAL));
        let max = [b'a'; 108];
        assert_eq!(parse(&raw(&max)), Ok(UnixAddr::Path(max.to_vec())));
        let (_, len) = encode(Some(&UnixAddr::Path(max.to_vec())));
        assert_eq!(len, 111);
    }

    #[test]
    fn autobind() {
        assert_eq!(parse_bind(&raw(b"")), Ok(BindRequest::Autobind));
        assert_eq!(
            autobind_name(0xabc12),
            Ok(UnixAddr::Abstract(b"abc12".to_vec()))
        );
        let (_, len) = encode(Some(&autobind_name(1).unwrap()));
        assert_eq!(len, 8);
        assert_eq!(encode(None).1, 2);
    }
}
