//! Sending and receiving on AF_UNIX sockets (Linux 6.1 `unix_stream_sendmsg`,
//! `unix_dgram_sendmsg`, `unix_seqpacket_sendmsg`, `unix_stream_read_generic`,
//! `__unix_dgram_recvmsg`).
//!
//! Memory: each message is charged to its sender (data rounded up to 64 bytes plus 768 of
//! bookkeeping, about Linux's `skb->truesize`) until the receiver reads it. A sender waits
//! (or gets `EAGAIN`) while its charge is at `SO_SNDBUF`; stream data goes in messages of at
//! most `SO_SNDBUF / 2 - 64` bytes (and 36544, Linux's head plus fragments), so a large write
//! is taken in pieces and may return short when interrupted. A datagram above
//! `SO_SNDBUF - 32` is `EMSGSIZE`.
//!
//! Errors as Linux: a stream write after either side shut down, or to a closed peer, is
//! `EPIPE` (with SIGPIPE unless `MSG_NOSIGNAL`); a stream read on an unconnected socket is
//! `EINVAL`, a seqpacket one `ENOTCONN`; a read after the peer left with unread data gets
//! `ECONNRESET` once. Urgent data (`MSG_OOB`) is not implemented: sending it is `EOPNOTSUPP`,
//! receiving it `EINVAL` on a stream (none is ever queued), `EOPNOTSUPP` elsewhere.

use super::gc::Rights;
use super::{
    Attach, Deadline, MAX_DGRAM_QLEN, Phase, RCV_SHUTDOWN, SEND_SHUTDOWN, UnixSocket, conn,
    current_scm_creds, flag,
};
use crate::fs::file::OpenFile;
use crate::net::iov::UserIov;
use crate::net::msg::*;
use crate::process::Thread;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use unixsock::SockType;
use unixsock::addr::{self, UnixAddr};
use unixsock::cmsg::Ucred;
use unixsock::queue::Message;

/// Most stream bytes in one message (`SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ`).
const MAX_STREAM_CHUNK: usize = 3776 + 32768;
/// Largest kernel bounce buffer for a receive.
const RECV_CHUNK: usize = 64 * 1024;

/// The memory a message of `len` bytes is charged.
fn truesize(len: usize) -> usize {
    len.next_multiple_of(64) + 768
}

/// What a send carries besides its data.
pub struct SendExtras {
    pub rights: Rights,
    /// Credentials the sender named (already checked).
    pub creds: Option<Ucred>,
}

/// What a receive got.
pub struct Received {
    /// The call's answer: bytes copied (or the datagram's whole length with `MSG_TRUNC`).
    pub count: usize,
    /// `MSG_TRUNC`/`MSG_EOR` for `msg_flags`.
    pub flags: u32,
    /// The sender of the data, if a message was read: its name then (`None`: unnamed).
    pub from: Option<Option<UnixAddr>>,
    /// Credentials for `SCM_CREDENTIALS` (the socket has `SO_PASSCRED`).
    pub creds: Option<Ucred>,
    /// Descriptors passed.
    pub rights: Vec<Arc<OpenFile>>,
}

/// Waits until `socket` may charge another message (`sock_alloc_send_pskb`): `EPIPE` once
/// it is shut down for sending, its pending error if any.
fn wait_for_memory(socket: &UnixSocket, deadline: Deadline) -> Result<(), Errno> {
    let ready = || {
        let state = socket.state.lock();
        if let Some(error) = state.error {
            return Some(Err(error));
        }
        if state.shutdown & SEND_SHUTDOWN != 0 {
            return Some(Err(Errno::EPIPE));
        }
        (socket.wmem.load(Ordering::Acquire) < socket.sndbuf.load(Ordering::Relaxed) as usize)
            .then_some(Ok(()))
    };
    match ready() {
        Some(result) => result,
        None => deadline.wait(&[&socket.wait], ready)?,
    }
}

/// Copies `len` bytes of the caller's data into a new buffer.
fn take_data(data: &mut UserIov, len: usize) -> Result<Vec<u8>, Errno> {
    let mut buffer = Vec::new();
    hal::mm::heap::user_data(|| buffer.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    buffer.resize(len, 0);
    data.copy_in(&mut buffer)?;
    Ok(buffer)
}

/// The credentials a message carries: named ones, or the caller's when either side has
/// `SO_PASSCRED` (`unix_maybe_add_creds`).
fn message_creds(socket: &UnixSocket, other: &UnixSocket, named: Option<Ucred>) -> Option<Ucred> {
    named.or_else(|| {
        (socket.has_flag(flag::PASSCRED) || other.has_flag(flag::PASSCRED)).then(current_scm_creds)
    })
}

/// `sendmsg` on any AF_UNIX socket. `name` is the raw address given (`msg_name`), if any.
pub fn send(
    socket: &Arc<UnixSocket>,
    thread: &Thread,
    data: &mut UserIov,
    name: Option<&[u8]>,
    flags: u32,
    is_nonblocking: bool,
    extras: SendExtras,
) -> Result<usize, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.sndtimeo.load(Ordering::Relaxed),
    );
    match socket.sock_type {
        SockType::Stream => {
            let result = send_stream(socket, data, name, deadline, extras);
            if result == Err(Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 {
                crate::net::raise_sigpipe();
            }
            result
        }
        SockType::Seqpacket => {
            if let Some(error) = socket.take_error() {
                return Err(error);
            }
            if socket.state.lock().phase != Phase::Established {
                return Err(Errno::ENOTCONN);
            }
            send_dgram(socket, thread, data, None, deadline, extras)
        }
        SockType::Dgram => send_dgram(socket, thread, data, name, deadline, extras),
    }
}

fn send_stream(
    socket: &Arc<UnixSocket>,
    data: &mut UserIov,
    name: Option<&[u8]>,
    deadline: Deadline,
    mut extras: SendExtras,
) -> Result<usize, Errno> {
    let (peer, shutdown) = {
        let state = socket.state.lock();
        if name.is_some() {
            return Err(if state.phase == Phase::Established {
                Errno::EISCONN
            } else {
                Errno::EOPNOTSUPP
            });
        }
        (state.peer.clone().ok_or(Errno::ENOTCONN)?, state.shutdown)
    };
    if shutdown & SEND_SHUTDOWN != 0 {
        return Err(Errno::EPIPE);
    }
    let len = data.total();
    let mut sent = 0;
    while sent < len {
        let sndbuf = socket.sndbuf.load(Ordering::Relaxed) as usize;
        let size = (len - sent)
            .min((sndbuf >> 1).saturating_sub(64).max(1))
            .min(MAX_STREAM_CHUNK);
        let step = (|| {
            wait_for_memory(socket, deadline)?;
            let bytes = take_data(data, size)?;
            let creds = message_creds(socket, &peer, extras.creds);
            let rights = core::mem::take(&mut extras.rights);
            let charge = truesize(size);
            socket.wmem.fetch_add(charge, Ordering::AcqRel);
            let message = Message {
                data: bytes,
                consumed: 0,
                attach: Attach {
                    sender: socket.clone(),
                    charge,
                    creds,
                    rights,
                },
            };
            let mut other = peer.state.lock();
            if other.is_dead || other.shutdown & RCV_SHUTDOWN != 0 {
                drop(other);
                drop(message);
                return Err(Errno::EPIPE);
            }
            let pushed = other.queue.push(message);
            drop(other);
            match pushed {
                Ok(()) => {
                    peer.wait.wake_all();
                    peer.fasync.kill(crate::fs::fasync::POLL_IN);
                    Ok(())
                }
                Err(message) => {
                    drop(message);
                    Err(Errno::ENOMEM)
                }
            }
        })();
        match step {
            Ok(()) => sent += size,
            Err(error) if sent == 0 => return Err(error),
            // Interrupted or out of room part-way: what went counts (no SIGPIPE then).
            Err(Errno::EPIPE) => return Ok(sent),
            Err(_) => return Ok(sent),
        }
    }
    Ok(sent)
}

fn send_dgram(
    socket: &Arc<UnixSocket>,
    thread: &Thread,
    data: &mut UserIov,
    name: Option<&[u8]>,
    deadline: Deadline,
    extras: SendExtras,
) -> Result<usize, Errno> {
    let target = match name {
        Some(raw) => Some(addr::parse(raw)?),
        None => None,
    };
    if socket.has_flag(flag::PASSCRED) {
        conn::autobind(socket)?;
    }
    let len = data.total();
    if len > (socket.sndbuf.load(Ordering::Relaxed) as usize).saturating_sub(32) {
        return Err(Errno::EMSGSIZE);
    }
    wait_for_memory(socket, deadline)?;
    let bytes = take_data(data, len)?;
    let mut extras = Some(extras);
    let mut bytes = Some(bytes);
    loop {
        let other = match &target {
            Some(name) => conn::find(thread, name, socket.sock_type)?,
            None => socket.state.lock().peer.clone().ok_or(Errno::ENOTCONN)?,
        };
        let creds = message_creds(socket, &other, extras.as_ref().and_then(|e| e.creds));
        let mut other_state = other.state.lock();
        // unix_may_send
        let is_ours = other_state
            .peer
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, socket));
        if other_state.peer.is_some() && !is_ours {
            return Err(Errno::EPERM);
        }
        if other_state.is_dead {
            drop(other_state);
            if socket.sock_type == SockType::Seqpacket {
                return Err(Errno::EPIPE);
            }
            let mut state = socket.state.lock();
            if state.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, &other)) {
                state.peer = None;
                state.phase = Phase::Close;
            }
            return Err(Errno::ECONNREFUSED);
        }
        if other_state.shutdown & RCV_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
        if !is_ours && other_state.queue.len() > MAX_DGRAM_QLEN {
            drop(other_state);
            let room = || {
                let state = other.state.lock();
                (state.is_dead
                    || state.shutdown & RCV_SHUTDOWN != 0
                    || state.queue.len() <= MAX_DGRAM_QLEN)
                    .then_some(())
            };
            deadline.wait(&[&other.wait], room)?;
            continue;
        }
        let extras = extras.take().unwrap_or(SendExtras {
            rights: Rights::default(),
            creds: None,
        });
        let charge = truesize(len);
        socket.wmem.fetch_add(charge, Ordering::AcqRel);
        let message = Message {
            data: bytes.take().unwrap_or_default(),
            consumed: 0,
            attach: Attach {
                sender: socket.clone(),
                charge,
                creds,
                rights: extras.rights,
            },
        };
        let pushed = other_state.queue.push(message);
        drop(other_state);
        return match pushed {
            Ok(()) => {
                other.wait.wake_all();
                other.fasync.kill(crate::fs::fasync::POLL_IN);
                Ok(len)
            }
            Err(message) => {
                drop(message);
                Err(Errno::ENOMEM)
            }
        };
    }
}

/// `recvmsg` on any AF_UNIX socket.
pub fn recv(
    socket: &Arc<UnixSocket>,
    data: &mut UserIov,
    flags: u32,
    is_nonblocking: bool,
) -> Result<Received, Errno> {
    if flags & MSG_OOB != 0 {
        // Streams have urgent data in Linux (`CONFIG_AF_UNIX_OOB`); none is ever queued here,
        // which Linux answers with EINVAL.
        return Err(if socket.sock_type == SockType::Stream {
            Errno::EINVAL
        } else {
            Errno::EOPNOTSUPP
        });
    }
    let deadline = Deadline::new(
        is_nonblocking || flags & MSG_DONTWAIT != 0,
        socket.rcvtimeo.load(Ordering::Relaxed),
    );
    match socket.sock_type {
        SockType::Stream => recv_stream(socket, data, flags, deadline),
        SockType::Seqpacket => {
            if socket.state.lock().phase != Phase::Established {
                return Err(Errno::ENOTCONN);
            }
            recv_dgram(socket, data, flags, deadline)
        }
        SockType::Dgram => recv_dgram(socket, data, flags, deadline),
    }
}

/// Waits until the queue has a message, the pending error, or a shutdown for reading:
/// `Ok(true)` when there is something to read, `Ok(false)` at the end.
fn wait_for_data(socket: &UnixSocket, deadline: Deadline) -> Result<bool, Errno> {
    let ready = || {
        let mut state = socket.state.lock();
        if !state.queue.is_empty() {
            return Some(Ok(true));
        }
        if let Some(error) = state.error.take() {
            return Some(Err(error));
        }
        if state.shutdown & RCV_SHUTDOWN != 0 {
            return Some(Ok(false));
        }
        None
    };
    match ready() {
        Some(result) => result,
        None => deadline.wait(&[&socket.wait], ready)?,
    }
}

fn bounce(len: usize) -> Result<Vec<u8>, Errno> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    buffer.resize(len, 0);
    Ok(buffer)
}

fn sender_name(sender: &UnixSocket) -> Option<UnixAddr> {
    sender.state.lock().addr.clone()
}

fn recv_stream(
    socket: &Arc<UnixSocket>,
    data: &mut UserIov,
    flags: u32,
    deadline: Deadline,
) -> Result<Received, Errno> {
    if socket.state.lock().phase != Phase::Established {
        return Err(Errno::EINVAL);
    }
    let len = data.total();
    let target = if flags & MSG_WAITALL != 0 {
        len
    } else {
        (socket.rcvlowat.load(Ordering::Relaxed) as usize).clamp(1, len.max(1))
    };
    let is_peek = flags & MSG_PEEK != 0;
    let passcred = socket.has_flag(flag::PASSCRED);
    let mut out = Received {
        count: 0,
        flags: 0,
        from: None,
        creds: None,
        rights: Vec::new(),
    };
    let mut buffer = bounce(len.clamp(1, RECV_CHUNK))?;
    let _io = socket.io_lock.lock();
    let mut first_creds: Option<Option<Ucred>> = None;
    while out.count < len {
        let want = (len - out.count).min(buffer.len());
        let (peek, from, creds) = {
            let state = socket.state.lock();
            match state.queue.front() {
                None => (None, None, None),
                Some(front) => {
                    if let Some(creds) = first_creds
                        && passcred
                        && front.attach.creds != creds
                    {
                        break;
                    }
                    let peek = state.queue.peek_stream(&mut buffer[..want], passcred);
                    (
                        Some(peek),
                        Some(front.attach.sender.clone()),
                        Some(front.attach.creds),
                    )
                }
            }
        };
        let Some(peek) = peek else {
            if out.count >= target {
                break;
            }
            let has_data = if out.count > 0 {
                match wait_for_data(socket, deadline) {
                    Ok(has) => has,
                    Err(_) => break,
                }
            } else {
                wait_for_data(socket, deadline)?
            };
            if !has_data {
                break;
            }
            continue;
        };
        if let Err(error) = data.copy_out(&buffer[..peek.copied]) {
            if out.count == 0 {
                return Err(error);
            }
            break;
        }
        if out.from.is_none()
            && let Some(sender) = &from
        {
            out.from = Some(sender_name(sender));
        }
        if first_creds.is_none() {
            first_creds = creds;
        }
        out.count += peek.copied;
        if is_peek {
            if let Some(index) = peek.rights_at {
                let state = socket.state.lock();
                if let Some(message) = state.queue.iter().nth(index) {
                    out.rights = message.attach.rights.peek()?;
                }
            }
            break;
        }
        let mut taken = Rights::default();
        let mut released: Option<Message<Attach>> = None;
        {
            let mut state = socket.state.lock();
            if let Some(index) = peek.rights_at
                && let Some(message) = state.queue.get_mut(index)
            {
                taken = core::mem::take(&mut message.attach.rights);
            }
            state.queue.consume_stream(peek.copied, |message| {
                // Messages without descriptors may go under the lock (they only wake their
                // sender); the one that carried descriptors has had them taken.
                if released.is_none() {
                    released = Some(message);
                }
            });
        }
        drop(released);
        if !taken.is_empty() {
            out.rights = taken.into_files();
            break;
        }
    }
    if passcred {
        out.creds = Some(first_creds.flatten().unwrap_or(Ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        }));
    }
    Ok(out)
}

fn recv_dgram(
    socket: &Arc<UnixSocket>,
    data: &mut UserIov,
    flags: u32,
    deadline: Deadline,
) -> Result<Received, Errno> {
    let len = data.total();
    let is_peek = flags & MSG_PEEK != 0;
    let passcred = socket.has_flag(flag::PASSCRED);
    let _io = socket.io_lock.lock();
    loop {
        let taken = {
            let state = socket.state.lock();
            state.queue.front().map(|front| {
                let size = front.data.len();
                let copy = size.min(len);
                (size, copy, front.attach.sender.clone(), front.attach.creds)
            })
        };
        let Some((size, copy, sender, creds)) = taken else {
            if !wait_for_data(socket, deadline)? {
                return Ok(Received {
                    count: 0,
                    flags: 0,
                    from: None,
                    creds: None,
                    rights: Vec::new(),
                });
            }
            continue;
        };
        let mut buffer = bounce(copy)?;
        let (message, rights) = {
            let mut state = socket.state.lock();
            let Some(front) = state.queue.front() else {
                continue;
            };
            buffer.copy_from_slice(&front.data[..copy]);
            if is_peek {
                (None, front.attach.rights.peek()?)
            } else {
                let mut message = state.queue.pop_front();
                let rights = message
                    .as_mut()
                    .map(|m| core::mem::take(&mut m.attach.rights).into_files())
                    .unwrap_or_default();
                (message, rights)
            }
        };
        drop(message);
        if !is_peek {
            // Room in the queue for senders waiting on it.
            socket.wait.wake_all();
        }
        data.copy_out(&buffer)?;
        let mut out_flags = 0;
        if copy < size {
            out_flags |= MSG_TRUNC;
        }
        return Ok(Received {
            count: if flags & MSG_TRUNC != 0 { size } else { copy },
            flags: out_flags,
            from: Some(sender_name(&sender)),
            creds: passcred.then(|| {
                creds.unwrap_or(Ucred {
                    pid: 0,
                    uid: 65534,
                    gid: 65534,
                })
            }),
            rights,
        });
    }
}
