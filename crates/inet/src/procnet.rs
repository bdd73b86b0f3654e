//! The lines of `/proc/net/tcp`, `tcp6`, `udp`, `udp6` (`tcp4_seq_show`, `tcp6_seq_show`,
//! `udp4_seq_show`, `udp6_seq_show`) and `/proc/net/dev` (`dev_seq_show`), Linux 6.1's
//! formats. IPv4 lines (and the IPv4 headers) are padded with spaces to 149 (TCP) or 127
//! (UDP) characters, as `seq_pad` does; IPv6 lines are not. Addresses are the network-order
//! words printed as numbers of this little-endian machine; ports are in host order. Kernel
//! pointers print as zeros (`%pK` with `kptr_restrict` hiding them).

use crate::addr::Ip;
use crate::tcpstate::TcpState;
use alloc::string::String;
use core::fmt::Write;

pub const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
pub const TCP6_HEADER: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
pub const UDP_HEADER: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";
pub const UDP6_HEADER: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";
const TCP_WIDTH: usize = 149;
const UDP_WIDTH: usize = 127;

fn pad(out: &mut String, start: usize, width: usize) {
    while out.len() - start < width {
        out.push(' ');
    }
    out.push('\n');
}

/// The IPv4 header with its padding.
pub fn tcp_header(out: &mut String) {
    let start = out.len();
    out.push_str(TCP_HEADER);
    pad(out, start, TCP_WIDTH);
}

pub fn udp_header(out: &mut String) {
    let start = out.len();
    out.push_str(UDP_HEADER);
    pad(out, start, UDP_WIDTH);
}

fn endpoint(out: &mut String, is_v6: bool, ip: Ip, port: u16) {
    if is_v6 {
        let w = ip.v6_words();
        let _ = write!(
            out,
            "{:08X}{:08X}{:08X}{:08X}:{:04X}",
            w[0], w[1], w[2], w[3], port
        );
    } else {
        let _ = write!(out, "{:08X}:{:04X}", ip.v4_word(), port);
    }
}

/// One TCP socket's row.
#[derive(Clone, Copy, Debug)]
pub struct TcpRow {
    pub slot: usize,
    pub local: (Ip, u16),
    pub remote: (Ip, u16),
    pub state: TcpState,
    pub tx_queue: u32,
    /// Unread bytes, or for a listener the connections waiting for accept.
    pub rx_queue: u32,
    /// `tr`: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT.
    pub timer: u8,
    /// Time until the timer fires, in clock ticks (1/100 s).
    pub timer_ticks: u32,
    pub uid: u32,
    pub inode: u64,
    pub refs: u32,
    /// A listener's `max_qlen` of TCP Fast Open (0), or `snd_ssthresh` (-1: initial).
    pub is_listener: bool,
}

/// Appends `row` to a `tcp` (`is_v6` false) or `tcp6` listing.
pub fn tcp_row(out: &mut String, is_v6: bool, row: &TcpRow) {
    let start = out.len();
    let _ = write!(out, "{:4}: ", row.slot);
    endpoint(out, is_v6, row.local.0, row.local.1);
    out.push(' ');
    endpoint(out, is_v6, row.remote.0, row.remote.1);
    if row.state == TcpState::TimeWait {
        let _ = write!(
            out,
            " {:02X} 00000000:00000000 03:{:08X} 00000000 {:5} {:8} 0 {} 0000000000000000",
            row.state.number(),
            row.timer_ticks,
            0,
            0,
            row.refs
        );
    } else {
        // rto (200 ms, or the initial 1 s for a listener), ato (40 ms), quick ack, cwnd.
        let (rto, ato, quick, last) = if row.is_listener {
            (100, 0, 0, 0)
        } else {
            (20, 4, 10, -1)
        };
        let _ = write!(
            out,
            " {:02X} {:08X}:{:08X} {:02X}:{:08X} 00000000 {:5} {:8} {} {} 0000000000000000 {} {} {} 10 {}",
            row.state.number(),
            row.tx_queue,
            row.rx_queue,
            row.timer,
            row.timer_ticks,
            row.uid,
            0,
            row.inode,
            row.refs,
            rto,
            ato,
            quick,
            last
        );
    }
    if is_v6 {
        out.push('\n');
    } else {
        pad(out, start, TCP_WIDTH);
    }
}

/// One UDP socket's row.
#[derive(Clone, Copy, Debug)]
pub struct UdpRow {
    pub slot: usize,
    pub local: (Ip, u16),
    pub remote: (Ip, u16),
    pub state: TcpState,
    pub tx_queue: u32,
    pub rx_queue: u32,
    pub uid: u32,
    pub inode: u64,
    pub refs: u32,
    pub drops: u32,
}

pub fn udp_row(out: &mut String, is_v6: bool, row: &UdpRow) {
    let start = out.len();
    let _ = write!(out, "{:5}: ", row.slot);
    endpoint(out, is_v6, row.local.0, row.local.1);
    out.push(' ');
    endpoint(out, is_v6, row.remote.0, row.remote.1);
    let _ = write!(
        out,
        " {:02X} {:08X}:{:08X} 00:00000000 00000000 {:5} {:8} {} {} 0000000000000000 {}",
        row.state.number(),
        row.tx_queue,
        row.rx_queue,
        row.uid,
        0,
        row.inode,
        row.refs,
        row.drops
    );
    if is_v6 {
        out.push('\n');
    } else {
        pad(out, start, UDP_WIDTH);
    }
}

/// A device's counters (`struct rtnl_link_stats64`'s first fields).
#[derive(Clone, Copy, Debug, Default)]
pub struct DevStats {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
    pub multicast: u64,
}

pub const DEV_HEADER: &str = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

/// One `/proc/net/dev` line.
pub fn dev_row(out: &mut String, name: &str, s: &DevStats) {
    let _ = writeln!(
        out,
        "{:>6}:{:8} {:7} {:4} {:4} {:4} {:5} {:10} {:9} {:8} {:7} {:4} {:4} {:4} {:5} {:7} {:10}",
        name,
        s.rx_bytes,
        s.rx_packets,
        s.rx_errors,
        s.rx_dropped,
        0,
        0,
        0,
        s.multicast,
        s.tx_bytes,
        s.tx_packets,
        s.tx_errors,
        s.tx_dropped,
        0,
        0,
        0,
        0
    );
}

/// `/proc/net/route`'s header line (`fib_route_seq_show`), padded to 127 characters.
pub fn route_header(out: &mut String) {
    let start = out.len();
    out.push_str(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
    );
    pad(out, start, UDP_WIDTH);
}

/// One `/proc/net/route` line (`fib_route_seq_show`, `fib_flag_trans`): `RTF_UP`, plus
/// `RTF_GATEWAY` with a gateway, `RTF_HOST` for a /32, `RTF_REJECT` for an unreachable or
/// prohibit route; the metric is the route's priority; addresses as
/// network-order words printed in hex on this little-endian machine.
pub fn route_row(
    out: &mut String,
    iface: &str,
    dest: [u8; 4],
    gateway: Option<[u8; 4]>,
    prefix_len: u8,
    metric: u32,
    is_reject: bool,
) {
    let start = out.len();
    let bits = u32::from(prefix_len.min(32));
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let mut flags = if is_reject { 0x201 } else { 0x1 };
    if gateway.is_some() {
        flags |= 0x2;
    }
    if bits == 32 {
        flags |= 0x4;
    }
    let _ = write!(
        out,
        "{iface}\t{:08X}\t{:08X}\t{flags:04X}\t0\t0\t{}\t{:08X}\t0\t0\t0",
        u32::from_le_bytes(dest),
        u32::from_le_bytes(gateway.unwrap_or([0; 4])),
        metric as i32,
        u32::from_le_bytes(mask.to_be_bytes()),
    );
    pad(out, start, UDP_WIDTH);
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_lines() {
        let mut out = super::String::new();
        super::route_header(&mut out);
        super::route_row(&mut out, "eth0", [0; 4], Some([10, 0, 2, 2]), 0, 0, false);
        super::route_row(&mut out, "eth0", [10, 0, 2, 0], None, 24, 0, false);
        super::route_row(&mut out, "*", [10, 9, 9, 9], None, 32, 5, true);
        let lines: alloc::vec::Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1].trim_end(),
            "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0"
        );
        assert_eq!(
            lines[2].trim_end(),
            "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0"
        );
        assert_eq!(
            lines[3].trim_end(),
            "*\t0909090A\t00000000\t0205\t0\t0\t5\tFFFFFFFF\t0\t0\t0"
        );
        assert!(lines.iter().all(|l| l.len() == 127));
    }

    use super::*;

    #[test]
    fn tcp_listen_line() {
        let mut out = String::new();
        tcp_header(&mut out);
        assert_eq!(out.len(), 150);
        let row = TcpRow {
            slot: 0,
            local: (Ip::LOOPBACK4, 0x1f90),
            remote: (Ip::ANY4, 0),
            state: TcpState::Listen,
            tx_queue: 0,
            rx_queue: 0,
            timer: 0,
            timer_ticks: 0,
            uid: 0,
            inode: 1234,
            refs: 1,
            is_listener: true,
        };
        let mut line = String::new();
        tcp_row(&mut line, false, &row);
        assert_eq!(
            line.trim_end(),
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0"
        );
        assert_eq!(line.len(), 150);
        let mut line6 = String::new();
        tcp_row(
            &mut line6,
            true,
            &TcpRow {
                local: (Ip::LOOPBACK6, 80),
                remote: (Ip::ANY6, 0),
                ..row
            },
        );
        assert!(line6.starts_with(
            "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A "
        ));
    }

    #[test]
    fn udp_and_dev_lines() {
        let mut line = String::new();
        udp_row(
            &mut line,
            false,
            &UdpRow {
                slot: 37,
                local: (Ip::ANY4, 53),
                remote: (Ip::ANY4, 0),
                state: TcpState::Close,
                tx_queue: 0,
                rx_queue: 0,
                uid: 0,
                inode: 99,
                refs: 2,
                drops: 0,
            },
        );
        assert_eq!(
            line.trim_end(),
            "   37: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0"
        );
        assert_eq!(line.len(), 128);
        let mut dev = String::new();
        dev_row(&mut dev, "lo", &DevStats::default());
        assert_eq!(
            dev,
            "    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
        );
    }
}
