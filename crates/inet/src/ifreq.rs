//! `struct ifreq` (40 bytes: a 16-byte name, then a union of a `struct sockaddr`, flags, an
//! index, an MTU…) and `struct ifconf` (`ifc_len`, then a pointer), as the `SIOCGIF*`
//! ioctls read and write them (netdevice(7)).

/// `IFNAMSIZ`, `sizeof(struct ifreq)`, `sizeof(struct ifconf)`.
pub const IFNAMSIZ: usize = 16;
pub const IFREQ_LEN: usize = 40;
pub const IFCONF_LEN: usize = 16;
/// `ARPHRD_LOOPBACK`, `ARPHRD_ETHER`.
pub const ARPHRD_LOOPBACK: u16 = 772;
pub const ARPHRD_ETHER: u16 = 1;

/// The interface name of a request: the bytes before the first NUL of the first 15 (Linux
/// forces the 16th to NUL).
pub fn name(req: &[u8; IFREQ_LEN]) -> &[u8] {
    let field = &req[..IFNAMSIZ - 1];
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Writes `name` into a request's name field (NUL-padded).
pub fn set_name(req: &mut [u8; IFREQ_LEN], name: &[u8]) {
    req[..IFNAMSIZ].fill(0);
    let len = name.len().min(IFNAMSIZ - 1);
    req[..len].copy_from_slice(&name[..len]);
}

/// Writes a `struct sockaddr_in` with `octets` into the union.
pub fn set_sockaddr_in(req: &mut [u8; IFREQ_LEN], octets: [u8; 4]) {
    let union = &mut req[IFNAMSIZ..IFNAMSIZ + 16];
    union.fill(0);
    union[..2].copy_from_slice(&crate::AF_INET.to_ne_bytes());
    union[4..8].copy_from_slice(&octets);
}

/// The `struct sockaddr_in` of the union: its family and address.
pub fn sockaddr_in(req: &[u8; IFREQ_LEN]) -> (u16, [u8; 4]) {
    (
        u16::from_ne_bytes([req[16], req[17]]),
        [req[20], req[21], req[22], req[23]],
    )
}

/// Writes a hardware address (`sa_family` = the device type, then the address bytes).
pub fn set_hwaddr(req: &mut [u8; IFREQ_LEN], kind: u16, address: &[u8]) {
    let union = &mut req[IFNAMSIZ..IFNAMSIZ + 16];
    union.fill(0);
    union[..2].copy_from_slice(&kind.to_ne_bytes());
    let len = address.len().min(14);
    union[2..2 + len].copy_from_slice(&address[..len]);
}

/// Writes an `int` (index, MTU, metric…) into the union.
pub fn set_int(req: &mut [u8; IFREQ_LEN], value: i32) {
    req[IFNAMSIZ..IFNAMSIZ + 4].copy_from_slice(&value.to_ne_bytes());
}

pub fn int(req: &[u8; IFREQ_LEN]) -> i32 {
    i32::from_ne_bytes([req[16], req[17], req[18], req[19]])
}

/// Writes `ifr_flags` (a `short`: the flags above 16 bits are cut, as Linux's are).
pub fn set_flags(req: &mut [u8; IFREQ_LEN], flags: u32) {
    req[IFNAMSIZ..IFNAMSIZ + 2].copy_from_slice(&(flags as u16).to_ne_bytes());
}

pub fn flags(req: &[u8; IFREQ_LEN]) -> u16 {
    u16::from_ne_bytes([req[16], req[17]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut req = [0xaau8; IFREQ_LEN];
        set_name(&mut req, b"lo");
        assert_eq!(name(&req), b"lo");
        set_sockaddr_in(&mut req, [127, 0, 0, 1]);
        assert_eq!(&req[16..24], &[2, 0, 0, 0, 127, 0, 0, 1]);
        assert_eq!(sockaddr_in(&req), (2, [127, 0, 0, 1]));
        set_flags(&mut req, 0x10049);
        assert_eq!(flags(&req), 0x49);
        set_int(&mut req, 65536);
        assert_eq!(int(&req), 65536);
        let mut long = [b'x'; IFREQ_LEN];
        long[20] = 0;
        assert_eq!(name(&long).len(), 15);
    }
}
