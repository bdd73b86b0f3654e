//! Ethernet frames as the kernel's receive path first looks at them, and the IPv4/UDP packets
//! it builds (RFC 791, RFC 768, RFC 1071; Linux's `ip_rcv_core`, `udp_rcv`, `ip_fragment`).
//!
//! - [`classify`]: decides what a received frame is before the TCP engine sees it: a UDP
//!   datagram for a local socket (checked: header and total lengths, header checksum, UDP
//!   length and checksum), a TCP SYN (so that a listener may be given room for it), an IPv4
//!   fragment (refused: Ferrux does not reassemble, so fragments are dropped, as a host whose
//!   reassembly memory is exhausted), or anything else for the engine. A frame that is too
//!   short, claims lengths past its end, or fails a checksum is [`Kind::Bad`]. Nothing here
//!   indexes past a slice: every length comes from the frame and is checked first.
//! - [`complete_checksum`]: finishes a checksum a virtio device left partial
//!   (`VIRTIO_NET_HDR_F_NEEDS_CSUM`).
//! - [`udp_v4_packets`]: a UDP datagram as one IPv4 packet, or as fragments of at most the
//!   MTU when it is bigger (`ip_fragment`), with both checksums.

use alloc::vec::Vec;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
const ETH_LEN: usize = 14;

/// What a received frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A UDP datagram: addresses, ports, and where its payload is in the frame.
    Udp {
        src: [u8; 4],
        dst: [u8; 4],
        src_port: u16,
        dst_port: u16,
        payload_start: usize,
        payload_len: usize,
    },
    /// A TCP segment with SYN and without ACK (a connection request).
    Syn {
        src: [u8; 4],
        dst: [u8; 4],
        src_port: u16,
        dst_port: u16,
    },
    /// An IPv4 fragment (not reassembled).
    Fragment,
    /// Malformed: too short, lengths past the end, a bad checksum.
    Bad,
    /// Something else (ARP, ICMP, other TCP segments, other protocols): for the engine.
    Other,
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// The one's-complement sum of `bytes` (RFC 1071), folded, added to `initial`.
pub fn ones_sum(initial: u32, bytes: &[u8]) -> u32 {
    let mut sum = u64::from(initial);
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        sum += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u32
}

/// The checksum field's value for data whose sum is `sum`.
fn finish(sum: u32) -> u16 {
    !(sum as u16)
}

/// The sum of the IPv4 pseudo-header.
fn pseudo_sum(src: [u8; 4], dst: [u8; 4], protocol: u8, len: usize) -> u32 {
    let mut sum = ones_sum(0, &src);
    sum = ones_sum(sum, &dst);
    ones_sum(sum, &[0, protocol, (len >> 8) as u8, len as u8])
}

/// Classifies a received Ethernet frame.
pub fn classify(frame: &[u8]) -> Kind {
    let Some(ethertype) = be16(frame, 12) else {
        return Kind::Bad;
    };
    if ethertype != ETHERTYPE_IPV4 {
        return Kind::Other;
    }
    let ip = &frame[ETH_LEN..];
    let Some(&version_ihl) = ip.first() else {
        return Kind::Bad;
    };
    let header_len = usize::from(version_ihl & 0xf) * 4;
    if version_ihl >> 4 != 4 || header_len < 20 || ip.len() < header_len {
        return Kind::Bad;
    }
    let Some(total_len) = be16(ip, 2).map(usize::from) else {
        return Kind::Bad;
    };
    if total_len < header_len || total_len > ip.len() {
        return Kind::Bad;
    }
    if ones_sum(0, &ip[..header_len]) != 0xffff {
        return Kind::Bad;
    }
    let Some(fragment) = be16(ip, 6) else {
        return Kind::Bad;
    };
    // More fragments, or an offset: a piece of a datagram.
    if fragment & 0x3fff != 0 {
        return Kind::Fragment;
    }
    let protocol = ip[9];
    let src = [ip[12], ip[13], ip[14], ip[15]];
    let dst = [ip[16], ip[17], ip[18], ip[19]];
    let body = &ip[header_len..total_len];
    match protocol {
        IPPROTO_UDP => {
            let (Some(src_port), Some(dst_port), Some(udp_len), Some(checksum)) =
                (be16(body, 0), be16(body, 2), be16(body, 4), be16(body, 6))
            else {
                return Kind::Bad;
            };
            let udp_len = usize::from(udp_len);
            if udp_len < 8 || udp_len > body.len() {
                return Kind::Bad;
            }
            if checksum != 0
                && ones_sum(pseudo_sum(src, dst, IPPROTO_UDP, udp_len), &body[..udp_len]) != 0xffff
            {
                return Kind::Bad;
            }
            Kind::Udp {
                src,
                dst,
                src_port,
                dst_port,
                payload_start: ETH_LEN + header_len + 8,
                payload_len: udp_len - 8,
            }
        }
        IPPROTO_TCP => {
            let (Some(src_port), Some(dst_port)) = (be16(body, 0), be16(body, 2)) else {
                return Kind::Bad;
            };
            let Some(&flags) = body.get(13) else {
                return Kind::Bad;
            };
            // SYN without ACK, RST or FIN.
            if flags & 0x17 == 0x02 {
                Kind::Syn {
                    src,
                    dst,
                    src_port,
                    dst_port,
                }
            } else {
                Kind::Other
            }
        }
        _ => Kind::Other,
    }
}

/// A checksum field a device placed outside the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutsideFrame;

/// Completes a partial checksum: the one's-complement sum of `frame[start..]` (whose checksum
/// field, at `start + offset`, holds the pseudo-header's sum) is stored at `start + offset`.
/// `Err` when the field is not inside the frame.
pub fn complete_checksum(
    frame: &mut [u8],
    start: usize,
    offset: usize,
) -> Result<(), OutsideFrame> {
    let field = start.checked_add(offset).ok_or(OutsideFrame)?;
    if field.checked_add(2).is_none_or(|end| end > frame.len()) {
        return Err(OutsideFrame);
    }
    let sum = ones_sum(0, &frame[start..]);
    let value = finish(sum);
    frame[field..field + 2].copy_from_slice(&value.to_be_bytes());
    Ok(())
}

/// What a UDP datagram is sent with.
#[derive(Clone, Copy, Debug)]
pub struct UdpSend {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub ttl: u8,
    pub tos: u8,
    /// The IPv4 identification of this datagram.
    pub id: u16,
    /// Don't fragment (`IP_PMTUDISC_DO`): a datagram over the MTU is refused instead.
    pub dont_fragment: bool,
}

/// Why no packets were built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// Over the MTU with don't-fragment, or over 65535 bytes.
    TooBig,
    NoMemory,
}

fn ipv4_header(out: &mut Vec<u8>, send: &UdpSend, total: usize, fragment: u16) {
    let start = out.len();
    out.extend_from_slice(&[0x45, send.tos]);
    out.extend_from_slice(&(total as u16).to_be_bytes());
    out.extend_from_slice(&send.id.to_be_bytes());
    out.extend_from_slice(&fragment.to_be_bytes());
    out.extend_from_slice(&[send.ttl, IPPROTO_UDP, 0, 0]);
    out.extend_from_slice(&send.src);
    out.extend_from_slice(&send.dst);
    let checksum = finish(ones_sum(0, &out[start..start + 20]));
    out[start + 10..start + 12].copy_from_slice(&checksum.to_be_bytes());
}

/// The IPv4 packets of one UDP datagram for an interface of `mtu` bytes.
pub fn udp_v4_packets(
    send: &UdpSend,
    payload: &[u8],
    mtu: usize,
) -> Result<Vec<Vec<u8>>, BuildError> {
    let udp_len = payload.len() + 8;
    if udp_len + 20 > 65535 || mtu < 68 {
        return Err(BuildError::TooBig);
    }
    let mut datagram = Vec::new();
    datagram
        .try_reserve_exact(udp_len)
        .map_err(|_| BuildError::NoMemory)?;
    datagram.extend_from_slice(&send.src_port.to_be_bytes());
    datagram.extend_from_slice(&send.dst_port.to_be_bytes());
    datagram.extend_from_slice(&(udp_len as u16).to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    let mut checksum = finish(ones_sum(
        pseudo_sum(send.src, send.dst, IPPROTO_UDP, udp_len),
        &datagram,
    ));
    if checksum == 0 {
        checksum = 0xffff;
    }
    datagram[6..8].copy_from_slice(&checksum.to_be_bytes());
    let max_piece = (mtu - 20) & !7;
    if udp_len + 20 > mtu && send.dont_fragment {
        return Err(BuildError::TooBig);
    }
    let pieces = udp_len.div_ceil(max_piece);
    let mut packets = Vec::new();
    packets
        .try_reserve_exact(pieces)
        .map_err(|_| BuildError::NoMemory)?;
    let df = if send.dont_fragment { 0x4000 } else { 0 };
    for index in 0..pieces {
        let start = index * max_piece;
        let end = (start + max_piece).min(udp_len);
        let more = if end < udp_len { 0x2000 } else { 0 };
        let mut packet = Vec::new();
        packet
            .try_reserve_exact(20 + end - start)
            .map_err(|_| BuildError::NoMemory)?;
        ipv4_header(
            &mut packet,
            send,
            20 + end - start,
            df | more | (start / 8) as u16,
        );
        packet.extend_from_slice(&datagram[start..end]);
        packets.push(packet);
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn frame_of(packet: &[u8]) -> Vec<u8> {
        let mut frame = vec![0xff; 12];
        frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        frame.extend_from_slice(packet);
        frame
    }

    fn send() -> UdpSend {
        UdpSend {
            src: [10, 0, 2, 15],
            dst: [10, 0, 2, 3],
            src_port: 40000,
            dst_port: 53,
            ttl: 64,
            tos: 0,
            id: 7,
            dont_fragment: false,
        }
    }

    #[test]
    fn udp_round_trip() {
        let packets = udp_v4_packets(&send(), b"hello", 1500).unwrap();
        assert_eq!(packets.len(), 1);
        let frame = frame_of(&packets[0]);
        match classify(&frame) {
            Kind::Udp {
                src,
                dst,
                src_port,
                dst_port,
                payload_start,
                payload_len,
            } => {
                assert_eq!((src, dst), ([10, 0, 2, 15], [10, 0, 2, 3]));
                assert_eq!((src_port, dst_port), (40000, 53));
                assert_eq!(&frame[payload_start..payload_start + payload_len], b"hello");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_checksums_and_lengths() {
        let packets = udp_v4_packets(&send(), b"hello", 1500).unwrap();
        let good = frame_of(&packets[0]);
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(classify(&bad), Kind::Bad, "UDP checksum");
        let mut bad = good.clone();
        bad[14 + 8] ^= 1;
        assert_eq!(classify(&bad), Kind::Bad, "IP header checksum");
        for len in 0..good.len() {
            let kind = classify(&good[..len]);
            assert!(
                matches!(kind, Kind::Bad | Kind::Other),
                "truncated to {len}: {kind:?}"
            );
        }
        // A zero UDP checksum means none.
        let mut none = good.clone();
        none[14 + 20 + 6] = 0;
        none[14 + 20 + 7] = 0;
        assert!(matches!(classify(&none), Kind::Udp { .. }));
    }

    #[test]
    fn fragments_are_refused_and_rebuild() {
        let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let packets = udp_v4_packets(&send(), &payload, 1500).unwrap();
        assert_eq!(packets.len(), 3);
        let mut joined = Vec::new();
        for (index, packet) in packets.iter().enumerate() {
            assert!(packet.len() <= 1500);
            assert_eq!(classify(&frame_of(packet)), Kind::Fragment);
            let offset = (u16::from_be_bytes([packet[6], packet[7]]) & 0x1fff) as usize * 8;
            assert_eq!(offset, joined.len(), "piece {index}");
            joined.extend_from_slice(&packet[20..]);
        }
        assert_eq!(&joined[8..], &payload[..]);
        let mut df = send();
        df.dont_fragment = true;
        assert_eq!(udp_v4_packets(&df, &payload, 1500), Err(BuildError::TooBig));
        assert_eq!(
            udp_v4_packets(&send(), &[0; 65508], 1500),
            Err(BuildError::TooBig)
        );
    }

    #[test]
    fn partial_checksum_completed() {
        let packets = udp_v4_packets(&send(), b"partial!", 1500).unwrap();
        let mut frame = frame_of(&packets[0]);
        let field = 14 + 20 + 6;
        // The device's form: the pseudo-header's sum, not complemented.
        let pseudo = pseudo_sum([10, 0, 2, 15], [10, 0, 2, 3], IPPROTO_UDP, 16) as u16;
        frame[field..field + 2].copy_from_slice(&pseudo.to_be_bytes());
        complete_checksum(&mut frame, 14 + 20, 6).unwrap();
        assert!(matches!(classify(&frame), Kind::Udp { .. }));
        let len = frame.len();
        assert!(complete_checksum(&mut frame, len, 0).is_err());
        assert!(complete_checksum(&mut frame, usize::MAX, 6).is_err());
    }

    #[test]
    fn syn_detected() {
        let mut packet = vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, IPPROTO_TCP, 0, 0];
        packet.extend_from_slice(&[10, 0, 2, 2, 10, 0, 2, 15]);
        let checksum = finish(ones_sum(0, &packet));
        packet[10..12].copy_from_slice(&checksum.to_be_bytes());
        let mut tcp = vec![0u8; 20];
        tcp[0..2].copy_from_slice(&5555u16.to_be_bytes());
        tcp[2..4].copy_from_slice(&80u16.to_be_bytes());
        tcp[12] = 5 << 4;
        tcp[13] = 0x02;
        packet.extend_from_slice(&tcp);
        let frame = frame_of(&packet);
        assert_eq!(
            classify(&frame),
            Kind::Syn {
                src: [10, 0, 2, 2],
                dst: [10, 0, 2, 15],
                src_port: 5555,
                dst_port: 80
            }
        );
        let mut ack = frame.clone();
        ack[14 + 20 + 13] = 0x12;
        assert_eq!(classify(&ack), Kind::Other);
    }
}
