//! A socket's receive queue (Linux's `sk_receive_queue` of `sk_buff`s): messages in arrival
//! order, each with the bytes not yet read and an attachment of the caller's type (passed
//! descriptors, the sender's credentials, the sender's memory charge).
//!
//! Stream reads (`unix_stream_read_generic`) join messages into one byte stream, but never
//! past a message carrying descriptors (they are handed over with its bytes and the read ends
//! there) and, for a reader with `SO_PASSCRED`, never across a change of sender credentials.
//! Datagram and seqpacket reads take one message at a time.
//!
//! The queue never touches user memory: a reader copies with [`Queue::peek_stream`] into a
//! kernel buffer under the socket's lock, copies that to the user without it, then consumes
//! with [`Queue::consume_stream`] (one reader at a time, as Linux's `iolock`).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// One queued message.
pub struct Message<A> {
    pub data: Vec<u8>,
    /// Bytes of `data` already read (streams).
    pub consumed: usize,
    pub attach: A,
}

impl<A> Message<A> {
    /// The bytes not yet read.
    pub fn unread(&self) -> &[u8] {
        &self.data[self.consumed..]
    }
}

/// What a stream reader needs to know about attachments.
pub trait Attachment {
    /// Whether the message carries descriptors (a read ends after it).
    fn has_rights(&self) -> bool;
    /// Whether two messages came from the same sender credentials (`unix_skb_scm_eq`).
    fn same_sender(&self, other: &Self) -> bool;
}

/// The outcome of [`Queue::peek_stream`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StreamPeek {
    /// Bytes copied.
    pub copied: usize,
    /// Messages the bytes came from (the first `messages` of the queue).
    pub messages: usize,
    /// The index of the message whose descriptors go with these bytes, if any.
    pub rights_at: Option<usize>,
}

pub struct Queue<A> {
    messages: VecDeque<Message<A>>,
    bytes: usize,
}

impl<A> Default for Queue<A> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<A> Queue<A> {
    pub const fn new() -> Queue<A> {
        Queue {
            messages: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Unread bytes in all messages (`SIOCINQ` of a stream).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Appends a message; `Err` gives it back when memory for the queue runs out.
    pub fn push(&mut self, message: Message<A>) -> Result<(), Message<A>> {
        if self.messages.try_reserve(1).is_err() {
            return Err(message);
        }
        self.bytes += message.data.len() - message.consumed;
        self.messages.push_back(message);
        Ok(())
    }

    pub fn front(&self) -> Option<&Message<A>> {
        self.messages.front()
    }

    pub fn front_mut(&mut self) -> Option<&mut Message<A>> {
        self.messages.front_mut()
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut Message<A>> {
        self.messages.get_mut(index)
    }

    pub fn pop_front(&mut self) -> Option<Message<A>> {
        let message = self.messages.pop_front()?;
        self.bytes -= message.data.len() - message.consumed;
        Some(message)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Message<A>> {
        self.messages.iter()
    }

    /// Takes every message out (a socket being released or purged).
    pub fn take_all(&mut self) -> VecDeque<Message<A>> {
        self.bytes = 0;
        core::mem::take(&mut self.messages)
    }
}

impl<A: Attachment> Queue<A> {
    /// Copies stream bytes from the front into `out` without consuming them. With
    /// `check_creds` (the reader has `SO_PASSCRED`) a message from other credentials than the
    /// first ends the copy. A message with descriptors ends it after its bytes.
    pub fn peek_stream(&self, out: &mut [u8], check_creds: bool) -> StreamPeek {
        let mut peek = StreamPeek::default();
        let first = self.messages.front();
        for (index, message) in self.messages.iter().enumerate() {
            if peek.copied == out.len() {
                break;
            }
            if check_creds
                && let Some(first) = first
                && index > 0
                && !first.attach.same_sender(&message.attach)
            {
                break;
            }
            let unread = message.unread();
            let chunk = unread.len().min(out.len() - peek.copied);
            out[peek.copied..peek.copied + chunk].copy_from_slice(&unread[..chunk]);
            peek.copied += chunk;
            peek.messages = index + 1;
            if message.attach.has_rights() {
                peek.rights_at = Some(index);
                break;
            }
        }
        peek
    }

    /// Consumes `count` bytes from the front (what a [`Queue::peek_stream`] copied); each
    /// message read to its end goes to `released`, in order.
    pub fn consume_stream(&mut self, mut count: usize, mut released: impl FnMut(Message<A>)) {
        while count > 0 {
            let Some(front) = self.messages.front_mut() else {
                break;
            };
            let chunk = (front.data.len() - front.consumed).min(count);
            front.consumed += chunk;
            self.bytes -= chunk;
            count -= chunk;
            if front.consumed == front.data.len()
                && let Some(message) = self.messages.pop_front()
            {
                released(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[derive(Debug, PartialEq)]
    struct Att {
        uid: u32,
        fds: usize,
    }

    impl Attachment for Att {
        fn has_rights(&self) -> bool {
            self.fds > 0
        }
        fn same_sender(&self, other: &Self) -> bool {
            self.uid == other.uid
        }
    }

    fn message(data: &[u8], uid: u32, fds: usize) -> Message<Att> {
        Message {
            data: data.to_vec(),
            consumed: 0,
            attach: Att { uid, fds },
        }
    }

    #[test]
    fn streams_join_messages() {
        let mut q = Queue::new();
        assert!(q.push(message(b"abc", 0, 0)).is_ok());
        assert!(q.push(message(b"de", 0, 0)).is_ok());
        assert_eq!(q.bytes(), 5);
        let mut out = [0u8; 4];
        let peek = q.peek_stream(&mut out, false);
        assert_eq!(peek.copied, 4);
        assert_eq!(&out, b"abcd");
        let mut released = vec![];
        q.consume_stream(4, |m| released.push(m.data));
        assert_eq!(released, vec![b"abc".to_vec()]);
        assert_eq!(q.bytes(), 1);
        let peek = q.peek_stream(&mut out, false);
        assert_eq!((peek.copied, out[0]), (1, b'e'));
    }

    #[test]
    fn rights_and_credentials_end_a_read() {
        let mut q = Queue::new();
        assert!(q.push(message(b"ab", 0, 0)).is_ok());
        assert!(q.push(message(b"cd", 0, 2)).is_ok());
        assert!(q.push(message(b"ef", 0, 0)).is_ok());
        let mut out = [0u8; 10];
        let peek = q.peek_stream(&mut out, false);
        assert_eq!(
            peek,
            StreamPeek {
                copied: 4,
                messages: 2,
                rights_at: Some(1)
            }
        );
        let mut q = Queue::new();
        assert!(q.push(message(b"ab", 0, 0)).is_ok());
        assert!(q.push(message(b"cd", 1, 0)).is_ok());
        assert_eq!(q.peek_stream(&mut out, true).copied, 2);
        assert_eq!(q.peek_stream(&mut out, false).copied, 4);
    }
}
