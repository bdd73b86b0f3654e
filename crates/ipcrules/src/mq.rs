//! A POSIX message queue (`ipc/mqueue.c` of Linux 6.1) as pure logic: messages by priority
//! (highest first, oldest first within one), the senders and receivers asleep on it, and the
//! checks and memory charge of a new queue.
//!
//! A message sent while a receiver waits goes straight to the receiver that waited longest
//! (`pipelined_send`; the queue stays empty, no notification); a message received from a full
//! queue lets the sender that waited longest put its message in (`pipelined_receive`). Linux
//! orders waiters by scheduling priority first; all of Ferrux's are served in arrival order.
//!
//! A new queue's attributes (`mqueue_get_inode`): both positive (`EINVAL`), within
//! `fs.mqueue.msg_max` and `msgsize_max` (or, with `CAP_SYS_RESOURCE`, within the hard
//! limits), their product representable (`EOVERFLOW`); it charges `maxmsg * msgsize` plus the
//! bookkeeping Linux counts (a `msg_msg` per message and a tree node per possible priority) to
//! the creator's `RLIMIT_MSGQUEUE`.

use abi::Errno;
use abi::ipc::{HARD_MSGMAX, HARD_MSGSIZEMAX, MQ_PRIO_MAX};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// `sizeof(struct msg_msg)` and `sizeof(struct posix_msg_tree_node)` on x86-64.
const MSG_MSG_SIZE: u64 = 48;
const TREE_NODE_SIZE: u64 = 48;

/// The `fs.mqueue` limits a new queue is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub msg_max: i64,
    pub msgsize_max: i64,
    pub msg_default: i64,
    pub msgsize_default: i64,
}

/// A new queue's `(maxmsg, msgsize)`: from `attr` or the defaults, checked.
pub fn check_attr(
    attr: Option<(i64, i64)>,
    limits: &Limits,
    is_privileged: bool,
) -> Result<(i64, i64), Errno> {
    let (maxmsg, msgsize) = attr.unwrap_or((
        limits.msg_max.min(limits.msg_default),
        limits.msgsize_max.min(limits.msgsize_default),
    ));
    if maxmsg <= 0 || msgsize <= 0 {
        return Err(Errno::EINVAL);
    }
    let (msg_limit, size_limit) = if is_privileged {
        (i64::from(HARD_MSGMAX), i64::from(HARD_MSGSIZEMAX))
    } else {
        (limits.msg_max, limits.msgsize_max)
    };
    if maxmsg > msg_limit || msgsize > size_limit {
        return Err(Errno::EINVAL);
    }
    Ok((maxmsg, msgsize))
}

/// The bytes a queue charges to `RLIMIT_MSGQUEUE`; `EOVERFLOW` if they do not fit.
pub fn charge(maxmsg: i64, msgsize: i64) -> Result<u64, Errno> {
    let (maxmsg, msgsize) = (maxmsg as u64, msgsize as u64);
    let bytes = maxmsg.checked_mul(msgsize).ok_or(Errno::EOVERFLOW)?;
    let tree = maxmsg * MSG_MSG_SIZE + maxmsg.min(u64::from(MQ_PRIO_MAX)) * TREE_NODE_SIZE;
    bytes.checked_add(tree).ok_or(Errno::EOVERFLOW)
}

/// One message.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    pub priority: u32,
    pub text: Vec<u8>,
}

/// What a send came to.
#[derive(Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Queued or handed to a receiver; `true` if the queue went from empty to one message
    /// (the moment to notify).
    Sent { became_nonempty: bool },
    /// The queue is full: the sender waits with its message.
    Waiting,
}

/// A queue's messages and waiters.
pub struct MqQueue<W> {
    pub maxmsg: i64,
    pub msgsize: i64,
    /// Queues of messages by ascending priority (only non-empty ones).
    levels: Vec<(u32, VecDeque<Message>)>,
    count: usize,
    /// Bytes of text queued (`qsize`).
    qsize: u64,
    receivers: VecDeque<W>,
    senders: VecDeque<(W, Message)>,
}

impl<W: PartialEq> MqQueue<W> {
    pub fn new(maxmsg: i64, msgsize: i64) -> MqQueue<W> {
        MqQueue {
            maxmsg,
            msgsize,
            levels: Vec::new(),
            count: 0,
            qsize: 0,
            receivers: VecDeque::new(),
            senders: VecDeque::new(),
        }
    }

    /// Messages queued (`mq_curmsgs`).
    pub fn curmsgs(&self) -> i64 {
        self.count as i64
    }

    pub fn qsize(&self) -> u64 {
        self.qsize
    }

    pub fn is_full(&self) -> bool {
        self.curmsgs() >= self.maxmsg
    }

    /// `msg_insert`.
    fn insert(&mut self, message: Message) -> Result<(), (Errno, Message)> {
        let position = self
            .levels
            .binary_search_by_key(&message.priority, |(priority, _)| *priority);
        let index = match position {
            Ok(index) => index,
            Err(index) => {
                if self.levels.try_reserve(1).is_err() {
                    return Err((Errno::ENOMEM, message));
                }
                self.levels
                    .insert(index, (message.priority, VecDeque::new()));
                index
            }
        };
        let level = &mut self.levels[index].1;
        if level.try_reserve(1).is_err() {
            if level.is_empty() {
                self.levels.remove(index);
            }
            return Err((Errno::ENOMEM, message));
        }
        self.qsize += message.text.len() as u64;
        self.count += 1;
        level.push_back(message);
        Ok(())
    }

    /// `msg_get`: the oldest message of the highest priority.
    fn get(&mut self) -> Option<Message> {
        let (_, level) = self.levels.last_mut()?;
        let message = level.pop_front()?;
        if level.is_empty() {
            self.levels.pop();
        }
        self.count -= 1;
        self.qsize -= message.text.len() as u64;
        Some(message)
    }

    /// `mq_timedsend` (the caller checked the size): a full queue is `EAGAIN` when
    /// `nonblock`, else the sender waits (`handle` with its message). A waiting receiver gets
    /// the message (pushed on `delivered`).
    pub fn send(
        &mut self,
        handle: W,
        message: Message,
        nonblock: bool,
        delivered: &mut Vec<(W, Message)>,
    ) -> Result<SendOutcome, Errno> {
        if self.is_full() {
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.senders.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            self.senders.push_back((handle, message));
            return Ok(SendOutcome::Waiting);
        }
        if let Some(receiver) = self.receivers.pop_front() {
            delivered.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            delivered.push((receiver, message));
            return Ok(SendOutcome::Sent {
                became_nonempty: false,
            });
        }
        self.insert(message).map_err(|(errno, _)| errno)?;
        Ok(SendOutcome::Sent {
            became_nonempty: self.count == 1,
        })
    }

    /// `mq_timedreceive`: the message, or `None` when the queue is empty (`EAGAIN` when
    /// `nonblock`; else `handle` waits). A sender waiting on a full queue puts its message in
    /// and is pushed on `released`.
    pub fn receive(
        &mut self,
        handle: W,
        nonblock: bool,
        released: &mut Vec<W>,
    ) -> Result<Option<Message>, Errno> {
        let Some(message) = self.get() else {
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.receivers.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            self.receivers.push_back(handle);
            return Ok(None);
        };
        if released.try_reserve(1).is_ok()
            && let Some((sender, waiting)) = self.senders.pop_front()
        {
            match self.insert(waiting) {
                Ok(()) => released.push(sender),
                Err((_, waiting)) => self.senders.push_front((sender, waiting)),
            }
        }
        Ok(Some(message))
    }

    /// Takes a waiting receiver off the queue; `false` if it is not there (it got a message).
    pub fn cancel_receiver(&mut self, handle: &W) -> bool {
        match self.receivers.iter().position(|w| w == handle) {
            Some(index) => {
                self.receivers.remove(index);
                true
            }
            None => false,
        }
    }

    /// Takes a waiting sender off the queue with its message; `false` if it is not there (its
    /// message went in).
    pub fn cancel_sender(&mut self, handle: &W) -> bool {
        match self.senders.iter().position(|(w, _)| w == handle) {
            Some(index) => {
                self.senders.remove(index);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn m(priority: u32, text: &[u8]) -> Message {
        Message {
            priority,
            text: text.to_vec(),
        }
    }

    const LIMITS: Limits = Limits {
        msg_max: 10,
        msgsize_max: 8192,
        msg_default: 10,
        msgsize_default: 8192,
    };

    #[test]
    fn attributes_and_charge() {
        assert_eq!(check_attr(None, &LIMITS, false), Ok((10, 8192)));
        assert_eq!(check_attr(Some((0, 1)), &LIMITS, false), Err(Errno::EINVAL));
        assert_eq!(check_attr(Some((1, -1)), &LIMITS, true), Err(Errno::EINVAL));
        assert_eq!(
            check_attr(Some((11, 1)), &LIMITS, false),
            Err(Errno::EINVAL)
        );
        assert_eq!(check_attr(Some((11, 1)), &LIMITS, true), Ok((11, 1)));
        assert_eq!(
            check_attr(Some((65537, 1)), &LIMITS, true),
            Err(Errno::EINVAL)
        );
        let small = Limits {
            msg_max: 5,
            msg_default: 8,
            ..LIMITS
        };
        assert_eq!(check_attr(None, &small, false), Ok((5, 8192)));
        assert_eq!(charge(10, 8192), Ok(10 * 8192 + 10 * 96));
        assert_eq!(charge(i64::MAX, 4), Err(Errno::EOVERFLOW));
    }

    #[test]
    fn priority_order_and_fifo_within() {
        let mut q: MqQueue<u32> = MqQueue::new(5, 16);
        let mut delivered = Vec::new();
        for (p, t) in [(1, b"a"), (5, b"b"), (1, b"c"), (5, b"d"), (0, b"e")] {
            q.send(0, m(p, t), false, &mut delivered).unwrap();
        }
        assert_eq!((q.curmsgs(), q.qsize()), (5, 5));
        assert_eq!(
            q.send(0, m(9, b"x"), true, &mut delivered),
            Err(Errno::EAGAIN)
        );
        let mut released = Vec::new();
        let order: Vec<u8> = (0..5)
            .map(|_| q.receive(0, true, &mut released).unwrap().unwrap().text[0])
            .collect();
        assert_eq!(order, b"bdace");
        assert_eq!(q.receive(0, true, &mut released), Err(Errno::EAGAIN));
        assert!(delivered.is_empty() && released.is_empty());
    }

    #[test]
    fn pipelined_send_and_receive() {
        let mut q: MqQueue<u32> = MqQueue::new(1, 16);
        let mut delivered = Vec::new();
        let mut released = Vec::new();
        assert_eq!(q.receive(1, false, &mut released), Ok(None));
        assert_eq!(q.receive(2, false, &mut released), Ok(None));
        assert_eq!(
            q.send(9, m(3, b"x"), false, &mut delivered),
            Ok(SendOutcome::Sent {
                became_nonempty: false
            })
        );
        assert_eq!(delivered, vec![(1, m(3, b"x"))]);
        assert!(q.cancel_receiver(&2));
        assert_eq!(
            q.send(9, m(3, b"y"), false, &mut delivered),
            Ok(SendOutcome::Sent {
                became_nonempty: true
            })
        );
        assert_eq!(
            q.send(7, m(4, b"z"), false, &mut delivered),
            Ok(SendOutcome::Waiting)
        );
        assert_eq!(
            q.send(8, m(4, b"w"), false, &mut delivered),
            Ok(SendOutcome::Waiting)
        );
        assert!(q.cancel_sender(&8));
        assert!(!q.cancel_sender(&8));
        assert_eq!(q.receive(0, true, &mut released), Ok(Some(m(3, b"y"))));
        assert_eq!(released, vec![7]);
        assert_eq!(q.curmsgs(), 1);
        assert!(!q.cancel_sender(&7));
    }
}
