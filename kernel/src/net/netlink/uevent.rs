//! `NETLINK_KOBJECT_UEVENT` (Linux 6.1 `lib/kobject_uevent.c`): device events broadcast to
//! group 1 as `ACTION@DEVPATH\0ACTION=…\0DEVPATH=…\0SUBSYSTEM=…\0` followed by the device's
//! `uevent` variables and `SEQNUM=` (the value `/sys/kernel/uevent_seqnum` then shows), from the
//! kernel's port 0 with root's credentials, as udev and `mdev -d` receive them. Messages
//! sent to the kernel are `uevent_net_rcv`'s: CAP_SYS_ADMIN may inject one (it is broadcast
//! as given), anyone else gets `EPERM`.

use super::{NETLINK_KOBJECT_UEVENT, NetlinkSocket, deliver_from_kernel, nlflag};
use abi::Errno;
use alloc::sync::Arc;
use netlink::ack::{self, AckOptions, ExtAck};
use netlink::msg::{NLM_F_ACK, NLM_F_REQUEST, NLMSG_MIN_TYPE, requests};

/// Sends one event; the caller has taken `seqnum` from the sequence counter.
pub fn announce(action: &str, devpath: &[u8], subsystem: &[u8], vars: &[u8], seqnum: u64) {
    if !super::has_listeners(NETLINK_KOBJECT_UEVENT, 1) {
        return;
    }
    if let Ok(record) = netlink::uevent::record(action, devpath, subsystem, vars, seqnum) {
        super::broadcast_from_kernel(NETLINK_KOBJECT_UEVENT, 1, &record, 0);
    }
}

/// A datagram sent to the kernel's uevent socket (`uevent_net_rcv`).
pub fn input(socket: &Arc<NetlinkSocket>, datagram: &[u8]) {
    let (nl_flags, portid) = {
        let state = socket.state.lock();
        (state.nl_flags, state.portid)
    };
    let options = AckOptions {
        cap_ack: nl_flags & nlflag::CAP_ACK != 0,
        ext_ack: nl_flags & nlflag::EXT_ACK != 0,
    };
    for req in requests(datagram) {
        let header = req.header;
        let (error, ext) = if header.flags & NLM_F_REQUEST == 0 || header.kind < NLMSG_MIN_TYPE {
            (None, ExtAck::default())
        } else if !super::has_capability(abi::capability::CAP_SYS_ADMIN) {
            (
                Some(Errno::EPERM),
                ExtAck::msg("missing CAP_SYS_ADMIN capability"),
            )
        } else {
            super::broadcast_from_kernel(NETLINK_KOBJECT_UEVENT, 1, req.bytes, 0);
            (None, ExtAck::default())
        };
        if error.is_none() && header.flags & NLM_F_ACK == 0 {
            continue;
        }
        if let Ok(message) = ack::build(&req, error, &ext, options, portid) {
            let _ = deliver_from_kernel(socket, message, 0);
        }
    }
}
