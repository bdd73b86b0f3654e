//! The file of a socket (Linux's `socket_file_ops` and sockfs inode): `read`/`write` and
//! their vector forms go to the socket's receive and send (`sock_read_iter`,
//! `sock_write_iter`, routed by `syscall::read_write`), poll asks the socket, `fstat` shows an
//! `S_IFSOCK` inode of mode 0777 owned by the creator, `lseek` is `ESPIPE`, and the socket
//! ioctls are `SIOCINQ` (`FIONREAD`) and `SIOCOUTQ`. Closing the last descriptor releases the
//! socket.
//!
//! The kernel-buffer `read`/`write` of [`FileOps`] serve sendfile and splice to and from
//! sockets (Linux's `sock_splice_read` and `generic_splice_sendpage`): a receive or send with
//! the file's `O_NONBLOCK` and no flags (so SIGPIPE as for `write`).
//!
//! Not done: `SIOCGIF*` and the other device ioctls answer `ENOTTY` (there are no network
//! devices yet).

use super::iov::UserIov;
use super::unix::UnixSocket;
use crate::fs::file::FileOps;
use crate::fs::poll::PollTable;
use abi::Errno;
use alloc::sync::Arc;
use vfs::{FileType, Metadata, Timespec};

/// `st_dev` of sockfs (an anonymous device, as on Linux).
pub const SOCKFS_DEV: u64 = 8;
/// `SIOCINQ` (= `FIONREAD`), `SIOCOUTQ` (= `TIOCOUTQ`).
pub const SIOCINQ: u32 = 0x541b;
pub const SIOCOUTQ: u32 = 0x5411;

/// An open socket.
pub struct SocketFile {
    pub unix: Arc<UnixSocket>,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        super::unix::conn::release(&self.unix, false);
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
        Some(self.unix.fasync.helper(file, fd, on))
    }

    fn read(&self, _: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let mut room = UserIov::kernel_room(buf.len())?;
        let received = super::unix::io::recv(&self.unix, &mut room, 0, is_nonblocking)?;
        let got = room.received();
        buf[..got.len()].copy_from_slice(got);
        Ok(received.count.min(got.len()))
    }

    fn write(&self, _: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let mut source = UserIov::from_kernel(data)?;
        let thread = crate::process::try_current().ok_or(Errno::EAGAIN)?;
        super::unix::io::send(
            &self.unix,
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

    fn poll(&self, table: Option<&mut PollTable>) -> Option<u16> {
        Some(self.unix.poll(table))
    }

    fn as_socket(&self) -> Option<&SocketFile> {
        Some(self)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn metadata(&self) -> Metadata {
        let ns = self.unix.ctime_ns();
        let time = Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as u32,
        };
        let (uid, gid) = self.unix.owner();
        Metadata {
            dev: SOCKFS_DEV,
            ino: self.unix.ino,
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
        let value = match command {
            SIOCINQ => self.unix.inq()?,
            SIOCOUTQ => self.unix.outq(),
            _ => return Err(Errno::ENOTTY),
        };
        hal::usercopy::write_user(argument, &(value.min(i32::MAX as usize) as i32))?;
        Ok(0)
    }
}
