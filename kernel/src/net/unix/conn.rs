//! Names and connections of AF_UNIX sockets (Linux 6.1 `unix_bind`, `unix_autobind`,
//! `unix_listen`, `unix_stream_connect`, `unix_dgram_connect`, `unix_accept`,
//! `unix_socketpair`, `unix_shutdown`, `unix_release_sock`).
//!
//! - bind: a path name creates a socket inode (`mknod S_IFSOCK`, mode 0777 less the umask;
//!   an existing name is `EADDRINUSE`); a socket already named is `EINVAL` (after the node is
//!   made, which is then removed again, as Linux does); an abstract name taken by a socket of
//!   the same type is `EADDRINUSE`; a bare family autobinds.
//! - connect (stream, seqpacket): the listener is found by name (a path needs write
//!   permission on the socket inode; no socket there, or not listening, is `ECONNREFUSED`; a
//!   different type `EPROTOTYPE`). The server's end is made at once, connected to the caller
//!   and queued on the listener (at most backlog + 1 wait: then the caller waits, or gets
//!   `EAGAIN` without blocking); the caller is connected before `accept`. An already
//!   connected caller gets `EISCONN`, a listening one `EINVAL`.
//! - release: the peer of a stream or seqpacket socket is shut down both ways, with
//!   `ECONNRESET` pending if unread data or unaccepted connections were thrown away;
//!   connections waiting in a listener's backlog are released with it.

use super::names;
use super::{
    Deadline, Phase, Purged, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, UnixSocket,
    current_peercred, flag,
};
use crate::process::Thread;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use unixsock::SockType;
use unixsock::addr::{self, BindRequest, UnixAddr};

/// `socketpair(AF_UNIX, type)`: two sockets connected to each other.
pub fn socketpair(
    sock_type: SockType,
    uid: u32,
    gid: u32,
) -> Result<(Arc<UnixSocket>, Arc<UnixSocket>), Errno> {
    let a = UnixSocket::new(sock_type, uid, gid)?;
    let b = UnixSocket::new(sock_type, uid, gid)?;
    let creds = current_peercred();
    for (this, other) in [(&a, &b), (&b, &a)] {
        let mut state = this.state.lock();
        state.peer = Some(other.clone());
        state.phase = Phase::Established;
        state.peercred = Some(creds);
    }
    Ok((a, b))
}

/// `bind(2)`.
pub fn bind(socket: &Arc<UnixSocket>, thread: &Thread, raw: &[u8]) -> Result<(), Errno> {
    match addr::parse_bind(raw)? {
        BindRequest::Autobind => autobind(socket),
        BindRequest::Name(UnixAddr::Abstract(name)) => {
            let mut state = socket.state.lock();
            if state.addr.is_some() {
                return Err(Errno::EINVAL);
            }
            names::claim_abstract(socket, &name)?;
            state.addr = Some(UnixAddr::Abstract(name));
            Ok(())
        }
        BindRequest::Name(UnixAddr::Path(path)) => bind_path(socket, thread, path),
    }
}

fn bind_path(
    socket: &Arc<UnixSocket>,
    thread: &Thread,
    path: alloc::vec::Vec<u8>,
) -> Result<(), Errno> {
    let mode = abi::raw::general::S_IFSOCK | 0o777;
    let node = crate::fs::with_walk(
        thread,
        crate::syscall::args::Fd(crate::fs::AT_FDCWD),
        &path,
        |ctx, start| vfs::namei::mknod(ctx, start, &path, mode, 0),
    )
    .map_err(|error| {
        if error == Errno::EEXIST {
            Errno::EADDRINUSE
        } else {
            error
        }
    })?;
    let mut state = socket.state.lock();
    if state.addr.is_some() {
        drop(state);
        // Named meanwhile (or before): the new node goes again.
        let _ = crate::fs::with_walk(
            thread,
            crate::syscall::args::Fd(crate::fs::AT_FDCWD),
            &path,
            |ctx, start| vfs::namei::unlink(ctx, start, &path),
        );
        return Err(Errno::EINVAL);
    }
    names::claim_inode(socket, &node)?;
    state.addr = Some(UnixAddr::Path(path));
    state.path = Some(node);
    Ok(())
}

/// Gives an unnamed socket an abstract name of five hex digits (`unix_autobind`); `ENOSPC`
/// when all are taken. A named socket keeps its name.
pub fn autobind(socket: &Arc<UnixSocket>) -> Result<(), Errno> {
    let mut state = socket.state.lock();
    if state.addr.is_some() {
        return Ok(());
    }
    let first = (crate::random::u64() as u32) & 0xfffff;
    let mut number = first;
    loop {
        number = (number + 1) & 0xfffff;
        let name = addr::autobind_name(number)?;
        if let UnixAddr::Abstract(bytes) = &name {
            match names::claim_abstract(socket, bytes) {
                Ok(()) => {
                    state.addr = Some(name);
                    return Ok(());
                }
                Err(Errno::EADDRINUSE) if number != first => continue,
                Err(Errno::EADDRINUSE) => return Err(Errno::ENOSPC),
                Err(error) => return Err(error),
            }
        }
    }
}

/// `listen(2)` with a backlog already capped at `somaxconn`.
pub fn listen(socket: &UnixSocket, backlog: u32) -> Result<(), Errno> {
    if !socket.sock_type.is_connection_oriented() {
        return Err(Errno::EOPNOTSUPP);
    }
    let creds = current_peercred();
    let mut state = socket.state.lock();
    if state.addr.is_none() {
        return Err(Errno::EINVAL);
    }
    if state.phase == Phase::Established {
        return Err(Errno::EINVAL);
    }
    let grows = backlog > state.backlog;
    state.backlog = backlog;
    state.phase = Phase::Listen;
    state.peercred = Some(creds);
    drop(state);
    if grows {
        socket.wait.wake_all();
    }
    Ok(())
}

/// The socket a name refers to, of `sock_type` (`unix_find_other`).
pub fn find(
    thread: &Thread,
    name: &UnixAddr,
    sock_type: SockType,
) -> Result<Arc<UnixSocket>, Errno> {
    match name {
        UnixAddr::Abstract(bytes) => names::find_abstract(sock_type, bytes),
        UnixAddr::Path(path) => {
            let node = crate::fs::lookup(
                thread,
                crate::syscall::args::Fd(crate::fs::AT_FDCWD),
                path,
                vfs::Lookup::FOLLOW,
            )?;
            let credentials = thread.process.credentials.lock().for_fs();
            vfs::namei::access_path(&node, &credentials, vfs::perm::MAY_WRITE)?;
            if node.metadata().file_type != vfs::FileType::Socket {
                return Err(Errno::ECONNREFUSED);
            }
            let other = names::find_inode(&node)?;
            if other.sock_type != sock_type {
                return Err(Errno::EPROTOTYPE);
            }
            Ok(other)
        }
    }
}

/// `connect(2)` of a stream or seqpacket socket.
pub fn connect_stream(
    socket: &Arc<UnixSocket>,
    thread: &Thread,
    raw: &[u8],
    is_nonblocking: bool,
) -> Result<(), Errno> {
    let name = addr::parse(raw)?;
    if socket.has_flag(flag::PASSCRED) {
        autobind(socket)?;
    }
    let deadline = Deadline::new(is_nonblocking, socket.sndtimeo.load(Ordering::Relaxed));
    let (uid, gid) = socket.owner();
    let embryo = UnixSocket::new(socket.sock_type, uid, gid)?;
    let my_creds = current_peercred();
    loop {
        let other = find(thread, &name, socket.sock_type)?;
        let other_state = other.state.lock();
        if other_state.is_dead {
            drop(other_state);
            continue;
        }
        if other_state.phase != Phase::Listen || other_state.shutdown & RCV_SHUTDOWN != 0 {
            return Err(Errno::ECONNREFUSED);
        }
        if other_state.pending.len() > other_state.backlog as usize {
            drop(other_state);
            let is_full = || {
                let state = other.state.lock();
                (state.is_dead
                    || state.shutdown & RCV_SHUTDOWN != 0
                    || state.pending.len() <= state.backlog as usize)
                    .then_some(())
            };
            match deadline.wait(&[&other.wait], is_full) {
                Ok(()) => continue,
                Err(Errno::EAGAIN) if !deadline.is_nowait() => continue,
                Err(error) => return Err(error),
            }
        }
        let mut state = socket.state.lock();
        match state.phase {
            Phase::Close => {}
            Phase::Established => return Err(Errno::EISCONN),
            Phase::Listen => return Err(Errno::EINVAL),
        }
        {
            let mut new_state = embryo.state.lock();
            new_state.peer = Some(socket.clone());
            new_state.phase = Phase::Established;
            new_state.has_file = false;
            new_state.peercred = Some(my_creds);
            new_state.addr = other_state.addr.clone();
        }
        state.peercred = other_state.peercred;
        state.phase = Phase::Established;
        state.peer = Some(embryo.clone());
        drop(state);
        let mut other_state = other_state;
        if other_state.pending.try_reserve(1).is_err() {
            drop(other_state);
            let mut state = socket.state.lock();
            state.peer = None;
            state.phase = Phase::Close;
            return Err(Errno::ENOMEM);
        }
        other_state.pending.push_back(embryo);
        drop(other_state);
        other.wait.wake_all();
        other.fasync.kill(crate::fs::fasync::POLL_IN);
        return Ok(());
    }
}

/// `connect(2)` of a datagram socket: sets (or, with `AF_UNSPEC`, clears) the default peer.
pub fn connect_dgram(socket: &Arc<UnixSocket>, thread: &Thread, raw: &[u8]) -> Result<(), Errno> {
    if raw.len() < 2 {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([raw[0], raw[1]]) == 0 {
        // AF_UNSPEC: disconnect.
        let old = {
            let mut state = socket.state.lock();
            state.phase = Phase::Close;
            state.peer.take()
        };
        if let Some(old) = old {
            old.wait.wake_all();
        }
        return Ok(());
    }
    let name = addr::parse(raw)?;
    if socket.has_flag(flag::PASSCRED) {
        autobind(socket)?;
    }
    let other = find(thread, &name, socket.sock_type)?;
    {
        let other_state = other.state.lock();
        if other_state.is_dead {
            return Err(Errno::ECONNREFUSED);
        }
        // unix_may_send: the other side must be unconnected or connected to us.
        if let Some(peer) = &other_state.peer
            && !core::ptr::eq(&**peer, &**socket)
        {
            return Err(Errno::EPERM);
        }
    }
    let old = {
        let mut state = socket.state.lock();
        state.phase = Phase::Established;
        state.peer.replace(other)
    };
    if let Some(old) = old {
        old.wait.wake_all();
    }
    Ok(())
}

/// `accept(2)`: the next connection queued on a listener.
pub fn accept(socket: &UnixSocket, is_nonblocking: bool) -> Result<Arc<UnixSocket>, Errno> {
    if !socket.sock_type.is_connection_oriented() {
        return Err(Errno::EOPNOTSUPP);
    }
    if socket.state.lock().phase != Phase::Listen {
        return Err(Errno::EINVAL);
    }
    let deadline = Deadline::new(is_nonblocking, socket.rcvtimeo.load(Ordering::Relaxed));
    let take = || {
        let mut state = socket.state.lock();
        if let Some(error) = state.error.take() {
            return Some(Err(error));
        }
        if let Some(new) = state.pending.pop_front() {
            return Some(Ok(new));
        }
        if state.shutdown & RCV_SHUTDOWN != 0 || state.phase != Phase::Listen {
            return Some(Err(Errno::EINVAL));
        }
        None
    };
    let new = match take() {
        Some(result) => result?,
        None => deadline.wait(&[&socket.wait], take)??,
    };
    // Room in the backlog for a waiting connect.
    socket.wait.wake_all();
    new.state.lock().has_file = true;
    if socket.has_flag(flag::PASSCRED) {
        new.set_flag(flag::PASSCRED, true);
    }
    Ok(new)
}

/// `shutdown(2)` with `how` already checked (0, 1 or 2).
pub fn shutdown(socket: &UnixSocket, how: u32) -> Result<(), Errno> {
    let mode = (how + 1) as u8;
    let peer = {
        let mut state = socket.state.lock();
        state.shutdown |= mode;
        state.peer.clone()
    };
    socket.wait.wake_all();
    if let Some(peer) = peer
        && socket.sock_type.is_connection_oriented()
    {
        let mut peer_mode = 0;
        if mode & RCV_SHUTDOWN != 0 {
            peer_mode |= SEND_SHUTDOWN;
        }
        if mode & SEND_SHUTDOWN != 0 {
            peer_mode |= RCV_SHUTDOWN;
        }
        peer.state.lock().shutdown |= peer_mode;
        peer.wait.wake_all();
        // unix_shutdown's sk_wake_async of the peer.
        if mode == SHUTDOWN_MASK {
            peer.fasync.kill(crate::fs::fasync::POLL_HUP);
        } else if peer_mode & RCV_SHUTDOWN != 0 {
            peer.fasync.kill(crate::fs::fasync::POLL_IN);
        }
    }
    Ok(())
}

/// Releases a socket whose file is gone, or a connection thrown away with its listener
/// (`is_embryo`).
pub fn release(socket: &Arc<UnixSocket>, is_embryo: bool) {
    let (peer, purged, had_unread, path, addr): (_, Purged, _, _, _) = {
        let mut state = socket.state.lock();
        state.is_dead = true;
        state.shutdown = SHUTDOWN_MASK;
        state.phase = Phase::Close;
        let had_unread = !state.queue.is_empty();
        (
            state.peer.take(),
            (state.queue.take_all(), core::mem::take(&mut state.pending)),
            had_unread,
            state.path.take(),
            state.addr.clone(),
        )
    };
    names::release(socket, addr.as_ref(), path.as_ref());
    socket.wait.wake_all();
    if let Some(peer) = peer {
        if socket.sock_type.is_connection_oriented() {
            let mut peer_state = peer.state.lock();
            peer_state.shutdown = SHUTDOWN_MASK;
            if had_unread || is_embryo {
                peer_state.error = Some(Errno::ECONNRESET);
            }
            drop(peer_state);
            peer.fasync.kill(crate::fs::fasync::POLL_HUP);
        }
        peer.wait.wake_all();
    }
    let (messages, pending) = purged;
    drop(messages);
    release_pending(pending);
    drop(path);
    super::gc::collect_if_needed();
}

/// Releases connections that were never accepted.
pub fn release_pending(pending: VecDeque<Arc<UnixSocket>>) {
    for embryo in pending {
        release(&embryo, true);
    }
}
