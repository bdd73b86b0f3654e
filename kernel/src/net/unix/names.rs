//! The names AF_UNIX sockets are found by (Linux's `unix_socket_table` and
//! `bsd_socket_buckets`): abstract names per socket type, socket inodes, and every socket by
//! inode number for `/proc/net/unix`.
//!
//! Three leaf spin locks, never nested with each other: `unix.abstract`, `unix.inodes`,
//! `unix.sockets`. They hold weak links: a socket is found only while something holds it, and
//! leaves the tables when it is released (bound names) or freed (the list).

use super::{Phase, UnixSocket};
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use unixsock::SockType;
use unixsock::addr::UnixAddr;

type AbstractKey = (u32, Vec<u8>);

static ABSTRACT: SpinLock<BTreeMap<AbstractKey, Weak<UnixSocket>>> =
    SpinLock::new("unix.abstract", BTreeMap::new());
static INODES: SpinLock<BTreeMap<usize, Weak<UnixSocket>>> =
    SpinLock::new("unix.inodes", BTreeMap::new());
static SOCKETS: SpinLock<BTreeMap<u64, Weak<UnixSocket>>> =
    SpinLock::new("unix.sockets", BTreeMap::new());

/// Lists a new socket.
pub fn register(socket: &Arc<UnixSocket>) -> Result<(), Errno> {
    let mut sockets = SOCKETS.lock();
    sockets.insert(socket.ino, Arc::downgrade(socket));
    Ok(())
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        SOCKETS.lock().remove(&self.ino);
    }
}

/// The identity of a socket inode.
fn inode_key(path: &vfs::Path) -> usize {
    Arc::as_ptr(path.inode()) as *const () as usize
}

/// Claims an abstract name for `socket`: `EADDRINUSE` if a socket of the same type holds it.
pub fn claim_abstract(socket: &Arc<UnixSocket>, name: &[u8]) -> Result<(), Errno> {
    let mut key_name = Vec::new();
    key_name
        .try_reserve_exact(name.len())
        .map_err(|_| Errno::ENOMEM)?;
    key_name.extend_from_slice(name);
    let key = (socket.sock_type.raw(), key_name);
    let mut table = ABSTRACT.lock();
    if table.get(&key).and_then(Weak::upgrade).is_some() {
        return Err(Errno::EADDRINUSE);
    }
    table.insert(key, Arc::downgrade(socket));
    Ok(())
}

/// Ties `socket` to the socket inode it created.
pub fn claim_inode(socket: &Arc<UnixSocket>, path: &vfs::Path) -> Result<(), Errno> {
    let mut table = INODES.lock();
    table.insert(inode_key(path), Arc::downgrade(socket));
    Ok(())
}

/// Forgets the name of a released socket.
pub fn release(socket: &UnixSocket, addr: Option<&UnixAddr>, path: Option<&vfs::Path>) {
    if let Some(UnixAddr::Abstract(name)) = addr {
        let mut table = ABSTRACT.lock();
        let key = (socket.sock_type.raw(), name.clone());
        if table
            .get(&key)
            .is_some_and(|w| core::ptr::eq(w.as_ptr(), socket))
        {
            table.remove(&key);
        }
    }
    if let Some(path) = path {
        let mut table = INODES.lock();
        let key = inode_key(path);
        if table
            .get(&key)
            .is_some_and(|w| core::ptr::eq(w.as_ptr(), socket))
        {
            table.remove(&key);
        }
    }
}

/// The socket bound to an abstract name, of `sock_type` (`ECONNREFUSED` if none).
pub fn find_abstract(sock_type: SockType, name: &[u8]) -> Result<Arc<UnixSocket>, Errno> {
    let mut key_name = Vec::new();
    key_name
        .try_reserve_exact(name.len())
        .map_err(|_| Errno::ENOMEM)?;
    key_name.extend_from_slice(name);
    ABSTRACT
        .lock()
        .get(&(sock_type.raw(), key_name))
        .and_then(Weak::upgrade)
        .ok_or(Errno::ECONNREFUSED)
}

/// The socket bound to the inode at `path` (`ECONNREFUSED` if none).
pub fn find_inode(path: &vfs::Path) -> Result<Arc<UnixSocket>, Errno> {
    INODES
        .lock()
        .get(&inode_key(path))
        .and_then(Weak::upgrade)
        .ok_or(Errno::ECONNREFUSED)
}

/// Every socket alive, in inode order.
pub fn all() -> Result<Vec<Arc<UnixSocket>>, Errno> {
    let sockets = SOCKETS.lock();
    let mut out = Vec::new();
    out.try_reserve(sockets.len()).map_err(|_| Errno::ENOMEM)?;
    out.extend(sockets.values().filter_map(Weak::upgrade));
    Ok(out)
}

/// `/proc/net/unix`.
pub fn proc_net_unix() -> Result<Vec<u8>, Errno> {
    let sockets = all()?;
    let mut out = Vec::new();
    out.try_reserve(unixsock::procnet::HEADER.len() + sockets.len() * 64)
        .map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(unixsock::procnet::HEADER);
    for socket in &sockets {
        let (phase, has_file, addr, refcount) = {
            let state = socket.state.lock();
            if state.is_dead {
                // Released sockets are out of Linux's table.
                continue;
            }
            (
                state.phase,
                state.has_file,
                state.addr.clone(),
                1 + u32::from(state.peer.is_some()),
            )
        };
        let connected = phase == Phase::Established;
        // The socket_state: SS_CONNECTED or SS_UNCONNECTED for sockets with a file,
        // SS_CONNECTING or SS_DISCONNECTING for connections waiting in a backlog.
        let st = match (has_file, connected) {
            (true, true) => 3,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 4,
        };
        unixsock::procnet::write_line(
            &mut out,
            &unixsock::procnet::Line {
                num: socket.ino.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                refcount,
                is_listening: phase == Phase::Listen,
                sock_type: socket.sock_type,
                state: st,
                ino: socket.ino,
                addr: addr.as_ref(),
            },
        )?;
    }
    Ok(out)
}
