//! Dumps (`netlink_dump`): the answer to an `NLM_F_DUMP` request, in datagrams. Each datagram
//! takes as many of the messages of one section (an address family's dump, as
//! `rtnl_dump_all` runs them one after another) as fit; a section that put something in a
//! datagram ends it, so the next section starts the next datagram. When every section has
//! been sent, a datagram of its own carries `NLMSG_DONE` with the final status, as Linux sends
//! it after a dump callback that wrote nothing.

use crate::msg::{Builder, NLM_F_MULTI, NLMSG_DONE};
use crate::{Errno, push};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// `NLMSG_GOODSIZE` with 4 KiB pages: the smallest datagram a dump fills.
pub const GOODSIZE: usize = 3776;
/// `SKB_WITH_OVERHEAD(32768)`: the largest.
pub const MAX_SIZE: usize = 32448;

/// A dump in progress.
pub struct Dump {
    sections: VecDeque<VecDeque<Vec<u8>>>,
    seq: u32,
    portid: u32,
    /// Extra flags of `NLMSG_DONE` (`NLM_F_DUMP_FILTERED`).
    done_flags: u16,
    /// The status `NLMSG_DONE` carries (0, or a negative errno).
    done_status: i32,
    is_finished: bool,
}

impl Dump {
    pub fn new(seq: u32, portid: u32, done_flags: u16) -> Dump {
        Dump {
            sections: VecDeque::new(),
            seq,
            portid,
            done_flags,
            done_status: 0,
            is_finished: false,
        }
    }

    /// Ends the dump with `errno` (a dump request that failed its checks: Linux's dump
    /// callback returns the error, and `NLMSG_DONE` carries it).
    pub fn fail(&mut self, errno: Errno) {
        self.sections.clear();
        self.done_status = -(errno.0 as i32);
    }

    /// Adds a section of finished messages.
    pub fn add_section(&mut self, messages: VecDeque<Vec<u8>>) -> Result<(), Errno> {
        self.sections.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.sections.push_back(messages);
        Ok(())
    }

    pub fn is_finished(&self) -> bool {
        self.is_finished
    }

    /// The next datagram of at most `room` bytes (a lone message bigger than that goes alone),
    /// or `None` once `NLMSG_DONE` was sent.
    pub fn next_datagram(&mut self, room: usize) -> Result<Option<Vec<u8>>, Errno> {
        if self.is_finished {
            return Ok(None);
        }
        let mut out = Vec::new();
        while let Some(section) = self.sections.front_mut() {
            while let Some(message) = section.front() {
                if !out.is_empty() && out.len() + message.len() > room {
                    return Ok(Some(out));
                }
                push(&mut out, message)?;
                section.pop_front();
            }
            self.sections.pop_front();
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
        let mut done = Builder::new(
            NLMSG_DONE,
            NLM_F_MULTI | self.done_flags,
            self.seq,
            self.portid,
        )?;
        done.put(&self.done_status.to_ne_bytes())?;
        self.is_finished = true;
        Ok(Some(done.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Header;

    fn msg(len: usize) -> Vec<u8> {
        let mut b = Builder::new(16, NLM_F_MULTI, 1, 5).unwrap();
        b.put(&alloc::vec![0u8; len - 16]).unwrap();
        b.finish()
    }

    #[test]
    fn sections_then_done_alone() {
        let mut dump = Dump::new(1, 5, 0);
        dump.add_section([msg(100), msg(100)].into_iter().collect())
            .unwrap();
        dump.add_section(VecDeque::new()).unwrap();
        dump.add_section([msg(40)].into_iter().collect()).unwrap();
        assert_eq!(dump.next_datagram(GOODSIZE).unwrap().unwrap().len(), 200);
        assert_eq!(dump.next_datagram(GOODSIZE).unwrap().unwrap().len(), 40);
        let done = dump.next_datagram(GOODSIZE).unwrap().unwrap();
        let h = Header::parse(&done).unwrap();
        assert_eq!((h.len, h.kind, h.flags, h.seq, h.pid), (20, 3, 2, 1, 5));
        assert!(dump.next_datagram(GOODSIZE).unwrap().is_none());
    }

    #[test]
    fn a_full_datagram_continues_in_the_next() {
        let mut dump = Dump::new(1, 5, 0);
        dump.add_section((0..10).map(|_| msg(1000)).collect())
            .unwrap();
        let sizes: Vec<_> = core::iter::from_fn(|| dump.next_datagram(GOODSIZE).unwrap())
            .map(|d| d.len())
            .collect();
        assert_eq!(sizes, [3000, 3000, 3000, 1000, 20]);
    }

    #[test]
    fn failed_dump_carries_its_errno() {
        let mut dump = Dump::new(4, 0, 0);
        dump.add_section([msg(40)].into_iter().collect()).unwrap();
        dump.fail(Errno::EINVAL);
        let done = dump.next_datagram(GOODSIZE).unwrap().unwrap();
        assert_eq!(&done[16..20], &(-22i32).to_ne_bytes());
    }

    #[test]
    fn empty_dump_is_done_at_once() {
        let mut dump = Dump::new(4, 0, 0);
        assert_eq!(dump.next_datagram(GOODSIZE).unwrap().unwrap().len(), 20);
    }
}
