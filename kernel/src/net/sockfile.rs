//! The file of a socket (Linux's `socket_file_ops` and sockfs inode): `read`/`write` and
//! their vector forms go to the socket's receive and send (`sock_read_iter`,
//! `sock_write_iter`, routed by `syscall::read_write`), poll asks the socket, `fstat` shows an
//! `S_IFSOCK` inode of mode 0777 owned by the creator, `lseek` is `ESPIPE`. The ioctls are the
//! family's own (`SIOCINQ`/`FIONREAD`, `SIOCOUTQ`, TCP's `SIOCATMARK`), then the network-device ones every
//! socket answers (`sock_do_ioctl` falling back to `dev_ioctl`: [`super::netdev`]). Closing
//! the last descriptor releases the socket.
//!
//! The kernel-buffer `read`/`write` of [`FileOps`] serve sendfile and splice to and from
//! sockets (Linux's `sock_splice_read` and `generic_splice_sendpage`): a receive or send with
//! the file's `O_NONBLOCK` and no flags (so SIGPIPE as for `write`).

use super::inet::InetSocket;
use super::iov::UserIov;
use super::netdev;
use super::netlink::NetlinkSocket;
use super::unix::UnixSocket;
use crate::fs::file::FileOps;
use crate::fs::poll::PollTable;
use crate::sched::wait::WaitQueue;
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use vfs::{FileType, Metadata, Timespec};

/// `st_dev` of sockfs (an anonymous device, as on Linux).
pub const SOCKFS_DEV: u64 = 8;
/// `SIOCINQ` (= `FIONREAD`), `SIOCOUTQ` (= `TIOCOUTQ`).
pub const SIOCINQ: u32 = 0x541b;
pub const SIOCOUTQ: u32 = 0x5411;
/// `SIOCATMARK`.
pub const SIOCATMARK: u32 = 0x8905;

/// The socket of a file, by family.
#[derive(Clone)]
pub enum Sock {
    Unix(Arc<UnixSocket>),
    Inet(Arc<InetSocket>),
    Netlink(Arc<NetlinkSocket>),
}

/// An open socket.
pub struct SocketFile {
    pub sock: Sock,
}

/// The `SOL_SOCKET` values every family keeps (`struct sock`'s common part).
pub struct Common<'a> {
    pub flags: &'a AtomicU32,
    pub sndbuf: &'a AtomicU32,
    pub rcvbuf: &'a AtomicU32,
    pub rcvtimeo: &'a AtomicU64,
    pub sndtimeo: &'a AtomicU64,
    pub linger_secs: &'a AtomicU32,
    pub rcvlowat: &'a AtomicU32,
    pub priority: &'a AtomicU32,
    pub wait: &'a WaitQueue,
}

impl Common<'_> {
    pub fn has_flag(&self, bit: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & bit != 0
    }

    pub fn set_flag(&self, bit: u32, value: bool) {
        if value {
            self.flags.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!bit, Ordering::Relaxed);
        }
    }
}

macro_rules! common_of {
    ($s:expr) => {
        Common {
            flags: &$s.flags,
            sndbuf: &$s.sndbuf,
            rcvbuf: &$s.rcvbuf,
            rcvtimeo: &$s.rcvtimeo,
            sndtimeo: &$s.sndtimeo,
            linger_secs: &$s.linger_secs,
            rcvlowat: &$s.rcvlowat,
            priority: &$s.priority,
            wait: &$s.wait,
        }
    };
}

impl Sock {
    pub fn common(&self) -> Common<'_> {
        match self {
            Sock::Unix(socket) => common_of!(socket),
            Sock::Inet(socket) => common_of!(socket),
            Sock::Netlink(socket) => common_of!(socket),
        }
    }

    /// `sock_error`.
    pub fn take_error(&self) -> Option<Errno> {
        match self {
            Sock::Unix(socket) => socket.take_error(),
            Sock::Inet(socket) => socket.take_error(),
            Sock::Netlink(socket) => socket.take_error(),
        }
    }

    pub fn is_listening(&self) -> bool {
        match self {
            Sock::Unix(socket) => socket.is_listening(),
            Sock::Inet(socket) => socket.is_listening(),
            Sock::Netlink(_) => false,
        }
    }
}

impl SocketFile {
    pub fn unix(&self) -> Option<&Arc<UnixSocket>> {
        match &self.sock {
            Sock::Unix(socket) => Some(socket),
            Sock::Inet(_) | Sock::Netlink(_) => None,
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        match &self.sock {
            Sock::Unix(socket) => super::unix::conn::release(socket, false),
            Sock::Inet(socket) => super::inet::calls::release(socket),
            Sock::Netlink(socket) => super::netlink::release(socket),
        }
    }
}

impl FileOps for SocketFile {
    /// `sock_fasync`.
    fn fasync(
        &self,
        file: &Arc<crate::fs::file::OpenFile>,
        fd: i32,
        on: bool,
    ) -> Option<Result<(), Errno>> {
        match &self.sock {
            Sock::Unix(socket) => Some(socket.fasync.helper(file, fd, on)),
            // Not yet: INET sockets keep no fasync list, so O_ASYNC is refused on them.
            Sock::Inet(_) | Sock::Netlink(_) => None,
        }
    }

    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let mut room = UserIov::kernel_room(buf.len())?;
        let count = match &self.sock {
            Sock::Unix(socket) => {
                super::unix::io::recv(socket, &mut room, 0, is_nonblocking)?.count
            }
            Sock::Inet(socket) => super::inet::calls::recv(socket, &mut room, 0, is_nonblocking)?.0,
            Sock::Netlink(socket) => {
                super::netlink::recv(socket, &mut room, 0, is_nonblocking)?.count
            }
        };
        let got = room.received();
        buf[..got.len()].copy_from_slice(got);
        Ok(count.min(got.len()))
    }

    fn write(&self, _: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let mut source = UserIov::view_of(data)?;
        match &self.sock {
            Sock::Unix(socket) => {
                let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
                super::unix::io::send(
                    socket,
                    &thread,
                    &mut source,
                    None,
                    0,
                    is_nonblocking,
                    super::unix::io::SendExtras {
                        rights: super::unix::gc::Rights::default(),
                        creds: None,
                    },
                )
            }
            Sock::Inet(socket) => {
                super::inet::calls::send(socket, &mut source, None, 0, is_nonblocking)
            }
            Sock::Netlink(socket) => {
                super::netlink::send(socket, &mut source, None, 0, is_nonblocking)
            }
        }
    }

    fn poll(&self, table: Option<&mut PollTable>) -> Option<u16> {
        Some(match &self.sock {
            Sock::Unix(socket) => socket.poll(table),
            Sock::Inet(socket) => socket.poll(table),
            Sock::Netlink(socket) => socket.poll(table),
        })
    }

    fn as_socket(&self) -> Option<&SocketFile> {
        Some(self)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn metadata(&self) -> Metadata {
        let (ns, (uid, gid), ino) = match &self.sock {
            Sock::Unix(socket) => (socket.ctime_ns(), socket.owner(), socket.ino),
            Sock::Inet(socket) => (socket.ctime_ns(), socket.owner(), socket.ino),
            Sock::Netlink(socket) => (socket.ctime_ns(), socket.owner(), socket.ino),
        };
        let time = Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as u32,
        };
        Metadata {
            dev: SOCKFS_DEV,
            ino,
            file_type: FileType::Socket,
            mode: 0o777,
            nlink: 1,
            uid,
            gid,
            size: 0,
            rdev: 0,
            blocks: 0,
            blksize: 4096,
            atime: time,
            mtime: time,
            ctime: time,
        }
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        let value = match (&self.sock, command) {
            (Sock::Unix(socket), SIOCINQ) => socket.inq()?,
            (Sock::Unix(socket), SIOCOUTQ) => socket.outq(),
            (Sock::Inet(socket), SIOCINQ) => socket.inq()?,
            (Sock::Netlink(socket), SIOCINQ) => socket.inq(),
            (Sock::Netlink(_), SIOCOUTQ) => 0,
            (Sock::Inet(socket), SIOCOUTQ) => socket.outq()?,
            (Sock::Inet(socket), SIOCATMARK) if socket.proto == super::inet::Proto::Tcp => {
                // No urgent data is ever queued: never at the mark (`tcp_ioctl`).
                if socket.is_listening() {
                    return Err(Errno::EINVAL);
                }
                0
            }
            (sock, _) => {
                let asker = match sock {
                    Sock::Inet(socket) if socket.family == ::inet::addr::Family::V4 => {
                        netdev::Asker::Inet4
                    }
                    _ => netdev::Asker::Other,
                };
                return netdev::ioctl(command, argument, asker).unwrap_or(Err(Errno::ENOTTY));
            }
        };
        hal::usercopy::write_user(argument, &(value.min(i32::MAX as usize) as i32))?;
        Ok(0)
    }
}
