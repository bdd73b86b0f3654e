//! `/proc/net/tcp`, `tcp6`, `udp`, `udp6` (`tcp4_seq_show` and friends): one line per
//! listening, connected or TIME_WAIT socket (TCP) or bound socket (UDP), IPv4 sockets in the
//! first file of each pair and IPv6 ones (v4-mapped addresses too) in the second, in the
//! order of the port table's shards. Lines are made by the host-tested `inet::procnet`.

use super::{InetSocket, Proto};
use ::inet::addr::{Family, Ip};
use ::inet::ports::BindState;
use ::inet::procnet::{self, TcpRow, UdpRow};
use ::inet::tcpstate::TcpState;
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

fn render(proto: Proto, family: Family, out: &mut Vec<u8>) -> Result<(), Errno> {
    let table = match proto {
        Proto::Tcp => &super::table::TCP,
        Proto::Udp => &super::table::UDP,
    };
    let is_v6 = family == Family::V6;
    let mut text = String::new();
    match (proto, is_v6) {
        (Proto::Tcp, false) => procnet::tcp_header(&mut text),
        (Proto::Tcp, true) => text.push_str(procnet::TCP6_HEADER),
        (Proto::Udp, false) => procnet::udp_header(&mut text),
        (Proto::Udp, true) => text.push_str(procnet::UDP6_HEADER),
    }
    let mut line = 0;
    for (shard, binding, local, remote, socket, left_ns) in table.snapshot()? {
        if binding.family != family {
            continue;
        }
        let socket: Option<Arc<InetSocket>> = socket.upgrade();
        let remote = remote.map_or((family.any(), 0), |r| (r.ip, r.port));
        let any: Ip = family.any();
        match proto {
            Proto::Tcp => {
                let (state, rx, inode, uid, refs) = match (&socket, binding.state) {
                    (_, BindState::TimeWait) => (TcpState::TimeWait, 0, 0, 0, 3),
                    (Some(s), _) => {
                        let st = s.state.lock();
                        let rx = if st.tcp == TcpState::Listen {
                            st.accept_queue.len()
                        } else {
                            st.rx_bytes
                        };
                        let tcp = st.tcp;
                        let has_file = st.has_file;
                        drop(st);
                        if tcp == TcpState::Close {
                            continue;
                        }
                        let inode = if has_file { s.ino } else { 0 };
                        (tcp, rx, inode, s.owner().0, if has_file { 2 } else { 1 })
                    }
                    (None, _) => continue,
                };
                if state != TcpState::Listen && state != TcpState::TimeWait && remote.1 == 0 {
                    // Bound only: not in Linux's hash tables.
                    continue;
                }
                let _ = any;
                procnet::tcp_row(
                    &mut text,
                    is_v6,
                    &TcpRow {
                        slot: line,
                        local: (local.ip, local.port),
                        remote,
                        state,
                        tx_queue: 0,
                        rx_queue: rx as u32,
                        timer: if state == TcpState::TimeWait { 3 } else { 0 },
                        timer_ticks: (left_ns / 10_000_000) as u32,
                        uid,
                        inode,
                        refs,
                        is_listener: state == TcpState::Listen,
                    },
                );
            }
            Proto::Udp => {
                let Some(s) = socket else { continue };
                let st = s.state.lock();
                let (tcp, rmem, drops) = (st.tcp, st.rmem, st.drops);
                drop(st);
                procnet::udp_row(
                    &mut text,
                    is_v6,
                    &UdpRow {
                        slot: shard,
                        local: (local.ip, local.port),
                        remote,
                        state: tcp,
                        tx_queue: 0,
                        rx_queue: rmem as u32,
                        uid: s.owner().0,
                        inode: s.ino,
                        refs: 2,
                        drops,
                    },
                );
            }
        }
        line += 1;
    }
    vfs::pseudo::push(out, text.as_bytes())
}

pub fn tcp(out: &mut Vec<u8>) -> Result<(), Errno> {
    render(Proto::Tcp, Family::V4, out)
}

pub fn tcp6(out: &mut Vec<u8>) -> Result<(), Errno> {
    render(Proto::Tcp, Family::V6, out)
}

pub fn udp(out: &mut Vec<u8>) -> Result<(), Errno> {
    render(Proto::Udp, Family::V4, out)
}

pub fn udp6(out: &mut Vec<u8>) -> Result<(), Errno> {
    render(Proto::Udp, Family::V6, out)
}
