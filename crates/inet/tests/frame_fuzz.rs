//! The network fuzz: malformed Ethernet frames (truncated headers, bad lengths, bad and good
//! checksums over garbage, IPv4 fragments, TCP option floods, random bytes) go through what
//! the kernel's receive path runs on a frame: `inet::frame::classify` and
//! `complete_checksum` (the virtio `NEEDS_CSUM` case), then the same smoltcp engine the
//! kernel uses (`kernel/src/net/ip`), with a listening and an established TCP connection to
//! reach deep into its TCP processing. Nothing may panic, and after the warm-up the heap must
//! not grow while frames keep coming (`stats_alloc` counts the live allocations).

#![forbid(unsafe_code)]

use std::alloc::System;
use std::collections::VecDeque;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use inet::frame::{Kind, classify, complete_checksum, ones_sum};
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations not freed.
fn live_blocks() -> isize {
    let stats = ALLOCATOR.stats();
    stats.allocations as isize - stats.deallocations as isize
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const GUEST_MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
const HOST_MAC: [u8; 6] = [0x52, 0x55, 10, 0, 2, 2];
const GUEST: [u8; 4] = [10, 0, 2, 15];
const HOST: [u8; 4] = [10, 0, 2, 2];

struct Port {
    rx: VecDeque<Vec<u8>>,
    tx: Vec<Vec<u8>>,
}

struct Rx(Vec<u8>);
struct Tx<'a>(&'a mut Vec<Vec<u8>>);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buffer = vec![0; len];
        let result = f(&mut buffer);
        if self.0.len() < 64 {
            self.0.push(buffer);
        }
        result
    }
}

impl phy::Device for Port {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;
    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((Rx(frame), Tx(&mut self.tx)))
    }
    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    frame.extend_from_slice(&GUEST_MAC);
    frame.extend_from_slice(&HOST_MAC);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

fn arp_reply() -> Vec<u8> {
    let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 2];
    arp.extend_from_slice(&HOST_MAC);
    arp.extend_from_slice(&HOST);
    arp.extend_from_slice(&GUEST_MAC);
    arp.extend_from_slice(&GUEST);
    ethernet(0x0806, &arp)
}

fn ipv4(protocol: u8, body: &[u8], fragment: u16) -> Vec<u8> {
    let total = 20 + body.len();
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&[0x12, 0x34]);
    ip.extend_from_slice(&fragment.to_be_bytes());
    ip.extend_from_slice(&[64, protocol, 0, 0]);
    ip.extend_from_slice(&HOST);
    ip.extend_from_slice(&GUEST);
    let checksum = !(ones_sum(0, &ip) as u16);
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    ip.extend_from_slice(body);
    ip
}

fn pseudo(protocol: u8, len: usize) -> u32 {
    let mut sum = ones_sum(0, &HOST);
    sum = ones_sum(sum, &GUEST);
    ones_sum(sum, &[0, protocol, (len >> 8) as u8, len as u8])
}

/// A TCP segment from HOST:`src_port` to GUEST:`dst_port` with good checksums.
fn tcp_segment(
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let header = (20 + options.len()).next_multiple_of(4);
    let mut tcp = Vec::new();
    tcp.extend_from_slice(&src_port.to_be_bytes());
    tcp.extend_from_slice(&dst_port.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.push(((header / 4) as u8) << 4);
    tcp.push(flags);
    tcp.extend_from_slice(&65535u16.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]);
    tcp.extend_from_slice(options);
    tcp.resize(header, 0);
    tcp.extend_from_slice(payload);
    let checksum = !(ones_sum(pseudo(6, tcp.len()), &tcp) as u16);
    tcp[16..18].copy_from_slice(&checksum.to_be_bytes());
    ethernet(0x0800, &ipv4(6, &tcp, 0))
}

/// Recomputes the IP header and TCP/UDP checksums of a mutated frame where its lengths allow.
fn fix_checksums(frame: &mut [u8]) {
    if frame.len() < 34 || frame[12..14] != [8, 0] {
        return;
    }
    let ihl = usize::from(frame[14] & 0xf) * 4;
    if ihl < 20 || frame.len() < 14 + ihl {
        return;
    }
    frame[24] = 0;
    frame[25] = 0;
    let checksum = !(ones_sum(0, &frame[14..14 + ihl]) as u16);
    frame[24..26].copy_from_slice(&checksum.to_be_bytes());
    let total = usize::from(u16::from_be_bytes([frame[16], frame[17]]));
    let end = (14 + total).min(frame.len());
    let start = 14 + ihl;
    if end <= start {
        return;
    }
    let (protocol, field) = match frame[23] {
        6 => (6, 16),
        17 => (17, 6),
        _ => return,
    };
    if end - start < field + 2 {
        return;
    }
    frame[start + field] = 0;
    frame[start + field + 1] = 0;
    let sum = ones_sum(pseudo(protocol, end - start), &frame[start..end]);
    frame[start + field..start + field + 2].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

/// TCP options: a flood of random kinds and lengths (0, 1, past the end), NOPs, real ones.
fn option_flood(rng: &mut Rng) -> Vec<u8> {
    let mut options = Vec::new();
    while options.len() < 40 {
        match rng.below(6) {
            0 => options.push(1),
            1 => options.extend_from_slice(&[2, 4, 0x05, 0xb4]),
            2 => options.extend_from_slice(&[3, 3, rng.below(30) as u8]),
            3 => options.extend_from_slice(&[rng.below(256) as u8, rng.below(4) as u8]),
            4 => options.extend_from_slice(&[8, 10, 1, 2, 3, 4, 5, 6, 7, 8]),
            _ => options.extend_from_slice(&[5, rng.below(40) as u8, 0, 0]),
        }
    }
    options.truncate(40);
    options
}

fn mutate(rng: &mut Rng, mut frame: Vec<u8>) -> Vec<u8> {
    match rng.below(8) {
        0 => frame.truncate(rng.below(frame.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(frame.len());
                if let Some(byte) = frame.get_mut(at) {
                    *byte = rng.next() as u8;
                }
            }
        }
        // IP total length, IHL, TCP data offset, UDP length: any value.
        2 if frame.len() > 17 => {
            let value = rng.next() as u16;
            frame[16..18].copy_from_slice(&value.to_be_bytes());
        }
        3 if frame.len() > 14 => frame[14] = 0x40 | (rng.below(16) as u8),
        4 if frame.len() > 46 => frame[46] = (rng.below(16) as u8) << 4,
        5 if frame.len() > 39 => {
            let value = rng.next() as u16;
            frame[38..40].copy_from_slice(&value.to_be_bytes());
        }
        6 => frame.extend((0..rng.below(64)).map(|_| rng.next() as u8)),
        _ => {}
    }
    if rng.below(2) == 0 {
        fix_checksums(&mut frame);
    }
    frame
}

/// The frames the fuzz starts from.
fn templates(rng: &mut Rng, seq: u32, ack: u32) -> Vec<Vec<u8>> {
    let mut udp = Vec::new();
    udp.extend_from_slice(&5353u16.to_be_bytes());
    udp.extend_from_slice(&53u16.to_be_bytes());
    udp.extend_from_slice(&16u16.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(b"8 bytes!");
    let mut icmp = vec![8, 0, 0, 0, 0, 1, 0, 1];
    icmp.extend_from_slice(&[0xaa; 32]);
    let checksum = !(ones_sum(0, &icmp) as u16);
    icmp[2..4].copy_from_slice(&checksum.to_be_bytes());
    let options = option_flood(rng);
    vec![
        arp_reply(),
        ethernet(0x0800, &ipv4(17, &udp, 0)),
        ethernet(0x0800, &ipv4(1, &icmp, 0)),
        // Fragments: first, middle, last.
        ethernet(0x0800, &ipv4(17, &udp, 0x2000)),
        ethernet(0x0800, &ipv4(17, &udp, 0x2001)),
        ethernet(0x0800, &ipv4(17, &udp, 0x0002)),
        // A SYN with an option flood to the listener, data to the connection.
        tcp_segment(
            40000 + rng.below(100) as u16,
            80,
            1000,
            0,
            0x02,
            &options,
            b"",
        ),
        tcp_segment(
            5555,
            80,
            seq,
            ack,
            0x18,
            &options,
            b"GET / HTTP/1.0\r\n\r\n",
        ),
        tcp_segment(
            5555,
            80,
            seq.wrapping_add(rng.next() as u32),
            ack,
            0x10,
            &[],
            &[7; 300],
        ),
        tcp_segment(5555, 80, seq, ack, 0x04, &[], b""),
        tcp_segment(5555, 80, seq, ack.wrapping_add(1000), 0x11, &[], b""),
        (0..rng.below(100)).map(|_| rng.next() as u8).collect(),
    ]
}

#[test]
fn malformed_frames() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut port = Port {
        rx: VecDeque::new(),
        tx: Vec::new(),
    };
    let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(GUEST_MAC)));
    config.random_seed = 7;
    let mut iface = Interface::new(config, &mut port, Instant::from_millis(0));
    iface.update_ip_addrs(|addrs| {
        addrs
            .push(IpCidr::new(IpAddress::Ipv4(Ipv4Address::from(GUEST)), 24))
            .unwrap();
    });
    let mut sockets = SocketSet::new(Vec::with_capacity(8));
    let mut handles = Vec::new();
    for _ in 0..2 {
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; 65536]),
            tcp::SocketBuffer::new(vec![0; 65536]),
        );
        socket.listen(80).unwrap();
        handles.push(sockets.add(socket));
    }
    // A connection from HOST:5555: SYN, the SYN-ACK's sequence number, ACK.
    let mut now = 0;
    port.rx.push_back(arp_reply());
    port.rx
        .push_back(tcp_segment(5555, 80, 1000, 0, 0x02, &[2, 4, 5, 0xb4], b""));
    iface.poll(Instant::from_millis(now), &mut port, &mut sockets);
    let syn_ack = port
        .tx
        .iter()
        .find(|f| f.len() >= 54 && f[23] == 6 && f[47] & 0x12 == 0x12)
        .expect("a SYN-ACK")
        .clone();
    let server_seq = u32::from_be_bytes([syn_ack[38], syn_ack[39], syn_ack[40], syn_ack[41]]);
    let (seq, ack) = (1001, server_seq.wrapping_add(1));
    port.rx
        .push_back(tcp_segment(5555, 80, seq, ack, 0x10, &[], b""));
    iface.poll(Instant::from_millis(now), &mut port, &mut sockets);
    assert!(
        handles
            .iter()
            .any(|h| sockets.get::<tcp::Socket>(*h).state() == tcp::State::Established),
        "the handshake did not complete"
    );

    let mut kinds = [0usize; 6];
    let mut live_after_warmup = 0;
    for round in 0..40_000 {
        let bases = templates(&mut rng, seq, ack);
        let base = bases[rng.below(bases.len())].clone();
        let mut frame = mutate(&mut rng, base);
        let kind = classify(&frame);
        kinds[match kind {
            Kind::Udp { .. } => 0,
            Kind::Syn { .. } => 1,
            Kind::Fragment => 2,
            Kind::Bad => 3,
            Kind::Other => 4,
        }] += 1;
        if let Kind::Udp {
            payload_start,
            payload_len,
            ..
        } = kind
        {
            assert!(payload_start + payload_len <= frame.len());
        }
        let start = rng.below(frame.len() + 4);
        let offset = rng.below(64);
        let _ = complete_checksum(&mut frame, start, offset);
        // The kernel hands the engine what it did not take (not bad, not a fragment).
        if !matches!(kind, Kind::Bad | Kind::Fragment) {
            port.rx.push_back(frame);
        }
        now += 1 + rng.below(300) as i64;
        iface.poll(Instant::from_millis(now), &mut port, &mut sockets);
        port.tx.clear();
        for handle in &handles {
            let socket = sockets.get_mut::<tcp::Socket>(*handle);
            let mut sink = [0u8; 4096];
            let _ = socket.recv_slice(&mut sink);
            if !socket.is_open() {
                socket.listen(80).unwrap();
            }
        }
        if round == 2000 {
            live_after_warmup = live_blocks();
        }
    }
    let live = live_blocks();
    assert!(
        live <= live_after_warmup + 16,
        "live allocations grew from {live_after_warmup} to {live}: {:?}",
        ALLOCATOR.stats()
    );
    // Every class was reached.
    assert!(kinds[..5].iter().all(|&count| count > 0), "{kinds:?}");
}
