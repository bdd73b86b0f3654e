//! A System V message queue (`ipc/msg.c` of Linux 6.1) as pure logic: the messages in
//! arrival order, the receivers asleep on the queue, and the byte and message counts.
//!
//! `msgrcv`'s `msgtyp` selects (`convert_mode`, `testmsg`, `find_msg`): 0 the first message;
//! positive the first of that type (with `MSG_EXCEPT`: the first of any other type); negative
//! the first of the lowest type at most `|msgtyp|`; with `MSG_COPY`, the message at position
//! `msgtyp` (not removed). A queue holds a message of `size` bytes if its bytes stay within
//! `msg_qbytes` and its message count too (`msg_fits_inqueue`: the count is bounded by the same
//! number). A sent message goes straight to the first waiting receiver it matches
//! (`pipelined_send`); a matching receiver whose buffer is too small (without `MSG_NOERROR`) is
//! woken with `E2BIG` on the way.

use abi::Errno;
use abi::ipc::{MSG_COPY, MSG_EXCEPT};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// One message.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
}

/// How a receiver selects (`SEARCH_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Any,
    Equal,
    NotEqual,
    LessEqual,
    Number,
}

/// `convert_mode`: the mode and the type (or position) it compares with.
pub fn convert_mode(msgtyp: i64, flags: i32) -> (Mode, i64) {
    if flags & MSG_COPY != 0 {
        return (Mode::Number, msgtyp);
    }
    if msgtyp == 0 {
        (Mode::Any, 0)
    } else if msgtyp < 0 {
        (
            Mode::LessEqual,
            if msgtyp == i64::MIN {
                i64::MAX
            } else {
                -msgtyp
            },
        )
    } else if flags & MSG_EXCEPT != 0 {
        (Mode::NotEqual, msgtyp)
    } else {
        (Mode::Equal, msgtyp)
    }
}

/// `testmsg`.
fn matches(mode: Mode, typ: i64, mtype: i64) -> bool {
    match mode {
        Mode::Any | Mode::Number => true,
        Mode::LessEqual => mtype <= typ,
        Mode::Equal => mtype == typ,
        Mode::NotEqual => mtype != typ,
    }
}

/// A receiver asleep on the queue.
struct Receiver<W> {
    handle: W,
    mode: Mode,
    typ: i64,
    /// The most it takes (`r_maxsize`: `INT_MAX` with `MSG_NOERROR`).
    max_size: usize,
    pid: u32,
}

/// What a woken receiver gets: a message, or an error (`EAGAIN`: look again).
pub type Delivery = Result<Message, Errno>;

/// A message queue's contents.
pub struct MsgQueue<W> {
    messages: VecDeque<Message>,
    receivers: VecDeque<Receiver<W>>,
    /// Bytes of text queued (`q_cbytes`).
    pub cbytes: u64,
    /// The most bytes (and messages) the queue holds (`q_qbytes`).
    pub qbytes: u64,
    /// Last sender and receiver (`q_lspid`, `q_lrpid`), last send, receive and change times.
    pub lspid: u32,
    pub lrpid: u32,
    pub stime: i64,
    pub rtime: i64,
}

impl<W> MsgQueue<W> {
    pub fn new(qbytes: u64) -> MsgQueue<W> {
        MsgQueue {
            messages: VecDeque::new(),
            receivers: VecDeque::new(),
            cbytes: 0,
            qbytes,
            lspid: 0,
            lrpid: 0,
            stime: 0,
            rtime: 0,
        }
    }

    /// Messages queued (`q_qnum`).
    pub fn qnum(&self) -> u64 {
        self.messages.len() as u64
    }

    /// `msg_fits_inqueue`.
    pub fn fits(&self, size: usize) -> bool {
        (size as u64).saturating_add(self.cbytes) <= self.qbytes && self.qnum() < self.qbytes
    }

    /// Sends `message` (the caller checked [`fits`](Self::fits)): to the first matching
    /// receiver, or to the end of the queue. `ENOMEM` if the queue cannot grow.
    pub fn send(
        &mut self,
        message: Message,
        pid: u32,
        now: i64,
        wakes: &mut Vec<(W, Delivery)>,
    ) -> Result<(), Errno> {
        wakes
            .try_reserve(self.receivers.len())
            .map_err(|_| Errno::ENOMEM)?;
        self.messages.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.lspid = pid;
        self.stime = now;
        let mut index = 0;
        while index < self.receivers.len() {
            let receiver = &self.receivers[index];
            if !matches(receiver.mode, receiver.typ, message.mtype) {
                index += 1;
                continue;
            }
            let receiver = self.receivers.remove(index).expect("index checked above");
            if receiver.max_size < message.text.len() {
                wakes.push((receiver.handle, Err(Errno::E2BIG)));
                continue;
            }
            self.lrpid = receiver.pid;
            self.rtime = now;
            wakes.push((receiver.handle, Ok(message)));
            return Ok(());
        }
        self.cbytes += message.text.len() as u64;
        self.messages.push_back(message);
        Ok(())
    }

    /// `find_msg`: the position of the message a receiver with `mode` and `typ` takes.
    pub fn find(&self, mode: Mode, typ: i64) -> Option<usize> {
        let mut typ = typ;
        let mut found = None;
        let mut count = 0i64;
        for (index, message) in self.messages.iter().enumerate() {
            if !matches(mode, typ, message.mtype) {
                continue;
            }
            if mode == Mode::LessEqual && message.mtype != 1 {
                typ = message.mtype - 1;
                found = Some(index);
            } else if mode == Mode::Number {
                if typ == count {
                    return Some(index);
                }
            } else {
                return Some(index);
            }
            count += 1;
        }
        found
    }

    /// The message at `index`.
    pub fn peek(&self, index: usize) -> Option<&Message> {
        self.messages.get(index)
    }

    /// Takes the message at `index` out for receiver `pid`.
    pub fn take(&mut self, index: usize, pid: u32, now: i64) -> Option<Message> {
        let message = self.messages.remove(index)?;
        self.cbytes -= message.text.len() as u64;
        self.lrpid = pid;
        self.rtime = now;
        Some(message)
    }

    /// Puts a receiver to sleep on the queue (at the end).
    pub fn add_receiver(
        &mut self,
        handle: W,
        mode: Mode,
        typ: i64,
        max_size: usize,
        pid: u32,
    ) -> Result<(), Errno> {
        self.receivers.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.receivers.push_back(Receiver {
            handle,
            mode,
            typ,
            max_size,
            pid,
        });
        Ok(())
    }

    /// Takes a receiver off the queue; `false` if it is not there (it was woken).
    pub fn cancel_receiver(&mut self, is_mine: impl Fn(&W) -> bool) -> bool {
        match self.receivers.iter().position(|r| is_mine(&r.handle)) {
            Some(index) => {
                self.receivers.remove(index);
                true
            }
            None => false,
        }
    }

    /// `expunge_all`: every receiver woken with `errno` (`EIDRM` at removal, `EAGAIN` after
    /// `IPC_SET`, to check permissions again).
    pub fn expunge_all(&mut self, errno: Errno, wakes: &mut Vec<(W, Delivery)>) {
        for receiver in self.receivers.drain(..) {
            wakes.push((receiver.handle, Err(errno)));
        }
    }

    /// Every message (at removal: their memory goes).
    pub fn clear(&mut self) {
        self.messages.clear();
        self.cbytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::ipc::MSG_EXCEPT;
    use alloc::vec;

    fn msg(mtype: i64, len: usize) -> Message {
        Message {
            mtype,
            text: vec![mtype as u8; len],
        }
    }

    fn queue(types: &[i64]) -> MsgQueue<u32> {
        let mut q = MsgQueue::new(1000);
        let mut wakes = Vec::new();
        for &t in types {
            q.send(msg(t, 1), 1, 0, &mut wakes).unwrap();
        }
        q
    }

    #[test]
    fn selection_by_type() {
        let q = queue(&[3, 1, 2, 1, 5]);
        let find = |typ, flags| {
            let (mode, typ) = convert_mode(typ, flags);
            q.find(mode, typ)
        };
        assert_eq!(find(0, 0), Some(0));
        assert_eq!(find(2, 0), Some(2));
        assert_eq!(find(4, 0), None);
        assert_eq!(find(3, MSG_EXCEPT), Some(1));
        // Lowest type at most 2: the first 1.
        assert_eq!(find(-2, 0), Some(1));
        assert_eq!(find(-5, 0), Some(1));
        let q2 = queue(&[5, 4, 3, 4]);
        let (mode, typ) = convert_mode(-4, 0);
        assert_eq!(q2.find(mode, typ), Some(2));
        let (mode, typ) = convert_mode(i64::MIN, 0);
        assert_eq!((mode, typ), (Mode::LessEqual, i64::MAX));
        // MSG_COPY: by position.
        assert_eq!(find(4, MSG_COPY), Some(4));
        assert_eq!(find(5, MSG_COPY), None);
        assert_eq!(find(-1, MSG_COPY), None);
    }

    #[test]
    fn fits_counts_bytes_and_messages() {
        let mut q: MsgQueue<u32> = MsgQueue::new(10);
        assert!(q.fits(10));
        assert!(!q.fits(11));
        let mut wakes = Vec::new();
        q.send(msg(1, 8), 7, 5, &mut wakes).unwrap();
        assert!(q.fits(1));
        assert!(!q.fits(3));
        assert_eq!((q.cbytes, q.qnum(), q.lspid, q.stime), (8, 1, 7, 5));
        let mut zero: MsgQueue<u32> = MsgQueue::new(2);
        zero.send(msg(1, 0), 1, 0, &mut wakes).unwrap();
        zero.send(msg(1, 0), 1, 0, &mut wakes).unwrap();
        assert!(!zero.fits(0));
        assert_eq!(q.take(0, 3, 6), Some(msg(1, 8)));
        assert_eq!((q.cbytes, q.lrpid, q.rtime), (0, 3, 6));
    }

    #[test]
    fn pipelined_send_and_small_buffers() {
        let mut q: MsgQueue<u32> = MsgQueue::new(100);
        let mut wakes = Vec::new();
        q.add_receiver(1, Mode::Equal, 2, 100, 11).unwrap();
        q.add_receiver(2, Mode::Any, 0, 3, 12).unwrap();
        q.add_receiver(3, Mode::Any, 0, 100, 13).unwrap();
        q.send(msg(1, 5), 9, 1, &mut wakes).unwrap();
        // 1 does not match; 2 matches but is too small; 3 takes it.
        assert_eq!(wakes, vec![(2, Err(Errno::E2BIG)), (3, Ok(msg(1, 5)))]);
        assert_eq!((q.qnum(), q.lrpid), (0, 13));
        wakes.clear();
        q.send(msg(3, 1), 9, 1, &mut wakes).unwrap();
        assert!(wakes.is_empty());
        assert_eq!(q.qnum(), 1);
        assert!(q.cancel_receiver(|h| *h == 1));
        assert!(!q.cancel_receiver(|h| *h == 1));
        q.add_receiver(4, Mode::Any, 0, 1, 1).unwrap();
        q.expunge_all(Errno::EIDRM, &mut wakes);
        assert_eq!(wakes, vec![(4, Err(Errno::EIDRM))]);
        q.clear();
        assert_eq!((q.qnum(), q.cbytes), (0, 0));
    }
}
