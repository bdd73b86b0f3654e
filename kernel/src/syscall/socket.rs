//! The socket calls (Linux `net/socket.c`, socket(2) and friends): socket, socketpair, bind,
//! listen, accept, accept4, connect, shutdown, getsockname, getpeername, sendto, recvfrom,
//! sendmsg, recvmsg, sendmmsg, recvmmsg, getsockopt, setsockopt.
//!
//! Argument rules follow `net/socket.c`: type flags other than `SOCK_CLOEXEC`/`SOCK_NONBLOCK`
//! are `EINVAL`; a family outside `0..AF_MAX` or not built in is `EAFNOSUPPORT` (AF_UNIX,
//! AF_INET and AF_INET6 are: AF_NETLINK answers as in a Linux built without it); a type
//! outside `0..SOCK_MAX` is `EINVAL`; for AF_INET/AF_INET6 the type and protocol pick TCP or
//! UDP as `inet_create` does (`ESOCKTNOSUPPORT`, `EPROTONOSUPPORT`; raw sockets `EPERM`
//! without CAP_NET_RAW, and not built in otherwise; ping sockets `EACCES` as with Linux's
//! default `net.ipv4.ping_group_range`). Addresses are copied in at most
//! `sizeof(struct sockaddr_storage)` (128; more is `EINVAL`) and out truncated to the
//! caller's length, which is then set to the full one (`move_addr_to_user`). A descriptor
//! that is not a socket is `ENOTSOCK`. `msg_iovlen` above `UIO_MAXIOV` is `EMSGSIZE`; a
//! control buffer above `net.core.optmem_max` (20480) is `ENOBUFS`. The socket options are
//! those of `sk_setsockopt`/`sk_getsockopt` for `SOL_SOCKET`; other levels are `EOPNOTSUPP`
//! for AF_UNIX and the protocol's own for INET sockets (`net::inet::sockopt`).

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::file_table;
use crate::net::inet::{self, InetSocket, Proto};
use crate::net::iov::UserIov;
use crate::net::msg::*;
use crate::net::netlink::{self, NetlinkSocket};
use crate::net::sockfile::{Sock, SocketFile};
use crate::net::unix::gc::Rights;
use crate::net::unix::io::SendExtras;
use crate::net::unix::{UnixSocket, conn, flag, io};
use abi::capability::{CAP_NET_ADMIN, CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
use abi::{Errno, Iovec, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use unixsock::SockType;
use unixsock::addr::UnixAddr;
use unixsock::cmsg::{self, RecvControl, SOL_SOCKET};
use unixsock::opt;

const SOCK_NONBLOCK: u32 = 0o4000;
const SOCK_CLOEXEC: u32 = 0o2000000;
const SOCK_TYPE_MASK: u32 = 0xf;
const AF_UNIX: i32 = 1;
const AF_INET: i32 = 2;
const AF_INET6: i32 = 10;
/// `NPROTO` (`AF_MAX`) and `SOCK_MAX`.
const AF_MAX: i32 = 46;
const SOCK_MAX: u32 = 11;
/// `sizeof(struct sockaddr_storage)`.
const SOCKADDR_STORAGE: usize = 128;
/// `net.core.optmem_max`.
const OPTMEM_MAX: usize = 20480;
const MSG_CMSG_COMPAT: u32 = 0x8000_0000;
const UIO_MAXIOV: usize = abi::uio::UIO_MAXIOV;

/// `struct msghdr`.
#[repr(C)]
#[derive(Clone, Copy, Default, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable)]
pub struct MsgHdr {
    name: u64,
    namelen: u32,
    _pad0: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
    flags: u32,
    _pad1: u32,
}

/// `struct mmsghdr`.
#[repr(C)]
#[derive(Clone, Copy, Default, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable)]
pub struct MMsgHdr {
    hdr: MsgHdr,
    len: u32,
    _pad: u32,
}

const _: () = assert!(core::mem::size_of::<MsgHdr>() == 56);
const _: () = assert!(core::mem::size_of::<MMsgHdr>() == 64);

fn socket_of(context: &SyscallContext<'_>, fd: Fd) -> Result<(Arc<OpenFile>, Sock), Errno> {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    let socket = file.ops.as_socket().ok_or(Errno::ENOTSOCK)?.sock.clone();
    Ok((file, socket))
}

/// An INET socket's address as its family shows it, copied out (`move_addr_to_user`).
fn inet_address_out(
    socket: &InetSocket,
    endpoint: &inet::addr::Endpoint,
    address: u64,
    len_ptr: u64,
) -> Result<(), Errno> {
    let (bytes, full) = socket.encode(endpoint);
    address_out_raw(&bytes[..full], full, address, len_ptr)
}

/// `move_addr_to_kernel`.
fn address_in(address: u64, len: i32) -> Result<Vec<u8>, Errno> {
    if len < 0 || len as usize > SOCKADDR_STORAGE {
        return Err(Errno::EINVAL);
    }
    let mut out = Vec::new();
    out.try_reserve_exact(len as usize)
        .map_err(|_| Errno::ENOMEM)?;
    out.resize(len as usize, 0);
    hal::usercopy::copy_from_user(&mut out, address)?;
    Ok(out)
}

/// `move_addr_to_user`: copies at most the caller's length of `name`, then stores the full
/// length.
fn address_out(name: Option<&UnixAddr>, address: u64, len_ptr: u64) -> Result<(), Errno> {
    let (bytes, full) = unixsock::addr::encode(name);
    address_out_raw(&bytes[..full.min(bytes.len())], full, address, len_ptr)
}

fn address_out_raw(bytes: &[u8], full: usize, address: u64, len_ptr: u64) -> Result<(), Errno> {
    let given: i32 = hal::usercopy::read_user(len_ptr)?;
    let len = (given as i64).min(full as i64);
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let len = (len as usize).min(bytes.len());
    if len > 0 {
        hal::usercopy::copy_to_user(address, &bytes[..len])?;
    }
    hal::usercopy::write_user(len_ptr, &(full as i32))
}

/// Installs a new socket file at the lowest free descriptor.
fn install(
    context: &SyscallContext<'_>,
    socket: Sock,
    flags: u32,
    charge: file_table::FileCharge,
) -> Result<i32, Errno> {
    let file = new_file(socket, flags, charge);
    let limit = super::fcntl::descriptor_limit(context);
    context
        .thread
        .process
        .files
        .get()
        .lock()
        .insert_from(0, file, flags & SOCK_CLOEXEC != 0, limit)
}

fn new_file(socket: Sock, flags: u32, charge: file_table::FileCharge) -> Arc<OpenFile> {
    let status = if flags & SOCK_NONBLOCK != 0 {
        OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::O_RDWR
    };
    let file = Arc::new(OpenFile::new(
        Arc::new(SocketFile {
            sock: socket.clone(),
        }),
        None,
        status,
        charge,
    ));
    if let Sock::Unix(socket) = &socket {
        socket.set_file(&file);
    }
    file
}

/// What `socket(2)` makes.
enum Kind {
    Unix(SockType),
    Inet(inet::addr::Family, Proto),
    /// Type and protocol.
    Netlink(u32, u32),
}

/// `inet_create`/`inet6_create`: the type and protocol of an INET socket.
fn check_inet(domain: i32, kind: u32, protocol: i32, has_net_raw: bool) -> Result<Kind, Errno> {
    const IPPROTO_MAX: i32 = 263;
    const IPPROTO_ICMP: i32 = 1;
    const IPPROTO_ICMPV6: i32 = 58;
    if !(0..IPPROTO_MAX).contains(&protocol) {
        return Err(Errno::EINVAL);
    }
    let family = if domain == AF_INET {
        inet::addr::Family::V4
    } else {
        inet::addr::Family::V6
    };
    let ping = if domain == AF_INET {
        IPPROTO_ICMP
    } else {
        IPPROTO_ICMPV6
    };
    match kind {
        1 => match protocol as u32 {
            0 | inet::IPPROTO_TCP => Ok(Kind::Inet(family, Proto::Tcp)),
            _ => Err(Errno::EPROTONOSUPPORT),
        },
        2 => match protocol {
            0 | 17 => Ok(Kind::Inet(family, Proto::Udp)),
            // Ping sockets: no group is in net.ipv4.ping_group_range ("1 0").
            p if p == ping => Err(Errno::EACCES),
            _ => Err(Errno::EPROTONOSUPPORT),
        },
        3 => {
            if protocol == 0 {
                Err(Errno::EPROTONOSUPPORT)
            } else if !has_net_raw {
                Err(Errno::EPERM)
            } else {
                Err(Errno::ESOCKTNOSUPPORT)
            }
        }
        10 => Err(Errno::EAFNOSUPPORT),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// Checks `socket(2)`'s arguments: the family, the type, and the flags.
fn check_create(
    domain: i32,
    raw_type: i32,
    protocol: i32,
    has_net_raw: bool,
) -> Result<(Kind, u32), Errno> {
    let raw_type = raw_type as u32;
    let flags = raw_type & !SOCK_TYPE_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let kind = raw_type & SOCK_TYPE_MASK;
    if !(0..AF_MAX).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if kind >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if domain == AF_INET || domain == AF_INET6 {
        return Ok((check_inet(domain, kind, protocol, has_net_raw)?, flags));
    }
    if domain == netlink::AF_NETLINK {
        let protocol = netlink::check_create(kind, protocol)?;
        return Ok((Kind::Netlink(kind, protocol), flags));
    }
    if domain != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    if protocol != 0 && protocol != AF_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let sock_type = SockType::from_raw(kind).ok_or(Errno::ESOCKTNOSUPPORT)?;
    Ok((Kind::Unix(sock_type), flags))
}

fn has_net_raw(context: &SyscallContext<'_>) -> bool {
    context
        .thread
        .process
        .credentials
        .lock()
        .has_capability(abi::capability::CAP_NET_RAW)
}

fn owner(context: &SyscallContext<'_>) -> (u32, u32) {
    let credentials = context.thread.process.credentials.lock();
    (credentials.fsuid, credentials.fsgid)
}

pub fn socket(
    context: &mut SyscallContext<'_>,
    domain: i32,
    kind: i32,
    protocol: i32,
) -> SyscallResult {
    let (kind, flags) = check_create(domain, kind, protocol, has_net_raw(context))?;
    let limit = super::fcntl::descriptor_limit(context);
    let charge = file_table::charge_with_descriptor(context.thread, limit)?;
    let (uid, gid) = owner(context);
    let socket = match kind {
        Kind::Unix(sock_type) => Sock::Unix(UnixSocket::new(sock_type, uid, gid)?),
        Kind::Inet(family, proto) => Sock::Inet(InetSocket::new(family, proto, uid, gid)?),
        Kind::Netlink(kind, protocol) => {
            Sock::Netlink(NetlinkSocket::new(kind, protocol, uid, gid)?)
        }
    };
    Ok(install(context, socket, flags, charge)? as usize)
}

pub fn socketpair(
    context: &mut SyscallContext<'_>,
    domain: i32,
    kind: i32,
    protocol: i32,
    fds: UserPtr<[i32; 2]>,
) -> SyscallResult {
    let (kind, flags) = check_create(domain, kind, protocol, has_net_raw(context))?;
    let Kind::Unix(sock_type) = kind else {
        // inet's socketpair is sock_no_socketpair.
        return Err(Errno::EOPNOTSUPP);
    };
    let limit = super::fcntl::descriptor_limit(context);
    let charge_a = file_table::charge_with_descriptor(context.thread, limit)?;
    let charge_b = file_table::charge_for(context.thread)?;
    let (uid, gid) = owner(context);
    let (a, b) = conn::socketpair(sock_type, uid, gid)?;
    let file_a = new_file(Sock::Unix(a), flags, charge_a);
    let file_b = new_file(Sock::Unix(b), flags, charge_b);
    let is_cloexec = flags & SOCK_CLOEXEC != 0;
    let files_shared = context.thread.process.files.get();
    let (fd_a, fd_b) = {
        let mut files = files_shared.lock();
        let fd_a = files.insert_from(0, file_a, is_cloexec, limit)?;
        match files.insert_from(0, file_b, is_cloexec, limit) {
            Ok(fd_b) => (fd_a, fd_b),
            Err(error) => {
                let undone = files.remove(fd_a);
                drop(files);
                drop(undone);
                return Err(error);
            }
        }
    };
    if let Err(error) = fds.write(&[fd_a, fd_b]) {
        let undone = {
            let mut files = files_shared.lock();
            (files.remove(fd_a), files.remove(fd_b))
        };
        drop(undone);
        return Err(error);
    }
    Ok(0)
}

pub fn bind(context: &mut SyscallContext<'_>, fd: Fd, address: u64, len: i32) -> SyscallResult {
    let (_file, socket) = socket_of(context, fd)?;
    let raw = address_in(address, len)?;
    match socket {
        Sock::Unix(socket) => conn::bind(&socket, context.thread, &raw)?,
        Sock::Inet(socket) => inet::bind(&socket, &raw)?,
        Sock::Netlink(socket) => netlink::bind(&socket, &raw)?,
    }
    Ok(0)
}

pub fn listen(context: &mut SyscallContext<'_>, fd: Fd, backlog: i32) -> SyscallResult {
    let (_file, socket) = socket_of(context, fd)?;
    match socket {
        Sock::Unix(socket) => conn::listen(&socket, opt::backlog(backlog))?,
        Sock::Inet(socket) => inet::tcp::listen(&socket, opt::backlog(backlog))?,
        Sock::Netlink(_) => return Err(Errno::EOPNOTSUPP),
    }
    Ok(0)
}

pub fn connect(context: &mut SyscallContext<'_>, fd: Fd, address: u64, len: i32) -> SyscallResult {
    let (file, socket) = socket_of(context, fd)?;
    let raw = address_in(address, len)?;
    let socket = match socket {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
            inet::calls::connect(&socket, &raw, is_nonblocking)?;
            return Ok(0);
        }
        Sock::Netlink(socket) => {
            netlink::connect(&socket, &raw)?;
            return Ok(0);
        }
    };
    if socket.sock_type.is_connection_oriented() {
        let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
        conn::connect_stream(&socket, context.thread, &raw, is_nonblocking)?;
    } else {
        conn::connect_dgram(&socket, context.thread, &raw)?;
    }
    Ok(0)
}

pub fn accept(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    address: u64,
    len_ptr: u64,
) -> SyscallResult {
    accept4(context, fd, address, len_ptr, 0)
}

pub fn accept4(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    address: u64,
    len_ptr: u64,
    flags: i32,
) -> SyscallResult {
    let flags = flags as u32;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let (file, socket) = socket_of(context, fd)?;
    let limit = super::fcntl::descriptor_limit(context);
    let charge = file_table::charge_with_descriptor(context.thread, limit)?;
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let new_file = match socket {
        Sock::Unix(socket) => {
            let new = conn::accept(&socket, is_nonblocking)?;
            let new_file = new_file(Sock::Unix(new.clone()), flags, charge);
            if address != 0 {
                let peer = new.peer_name().unwrap_or(None);
                address_out(peer.as_ref(), address, len_ptr)?;
            }
            new_file
        }
        Sock::Inet(socket) => {
            let new = inet::tcp::accept(&socket, is_nonblocking)?;
            let new_file = new_file(Sock::Inet(new.clone()), flags, charge);
            if address != 0 {
                let peer = new
                    .peer_name()
                    .unwrap_or(inet::addr::Endpoint::new(new.family.any(), 0));
                inet_address_out(&new, &peer, address, len_ptr)?;
            }
            new_file
        }
        Sock::Netlink(_) => return Err(Errno::EOPNOTSUPP),
    };
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        new_file,
        flags & SOCK_CLOEXEC != 0,
        limit,
    )?;
    Ok(fd as usize)
}

pub fn shutdown(context: &mut SyscallContext<'_>, fd: Fd, how: i32) -> SyscallResult {
    let (_file, socket) = socket_of(context, fd)?;
    if !(0..=2).contains(&how) {
        return Err(Errno::EINVAL);
    }
    match socket {
        Sock::Unix(socket) => conn::shutdown(&socket, how as u32)?,
        Sock::Inet(socket) => inet::calls::shutdown(&socket, how as u32)?,
        Sock::Netlink(_) => return Err(Errno::EOPNOTSUPP),
    }
    Ok(0)
}

pub fn getsockname(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    address: u64,
    len_ptr: u64,
) -> SyscallResult {
    let (_file, socket) = socket_of(context, fd)?;
    match socket {
        Sock::Unix(socket) => address_out(socket.name().as_ref(), address, len_ptr)?,
        Sock::Inet(socket) => inet_address_out(&socket, &socket.name(), address, len_ptr)?,
        Sock::Netlink(socket) => {
            let name = socket.name();
            address_out_raw(&name, name.len(), address, len_ptr)?;
        }
    }
    Ok(0)
}

pub fn getpeername(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    address: u64,
    len_ptr: u64,
) -> SyscallResult {
    let (_file, socket) = socket_of(context, fd)?;
    match socket {
        Sock::Unix(socket) => {
            let name = socket.peer_name()?;
            address_out(name.as_ref(), address, len_ptr)?;
        }
        Sock::Inet(socket) => {
            let name = socket.peer_name()?;
            inet_address_out(&socket, &name, address, len_ptr)?;
        }
        Sock::Netlink(socket) => {
            let name = socket.peer_name();
            address_out_raw(&name, name.len(), address, len_ptr)?;
        }
    }
    Ok(0)
}

/// The rights and credentials a control buffer asks to send (`__scm_send`).
fn send_control(context: &SyscallContext<'_>, control: &[u8]) -> Result<SendExtras, Errno> {
    let parsed = cmsg::parse_send(control)?;
    let mut files = Vec::new();
    if !parsed.fds.is_empty() {
        files
            .try_reserve_exact(parsed.fds.len())
            .map_err(|_| Errno::ENOMEM)?;
        let table = context.thread.process.files.get();
        let table = table.lock();
        for &fd in &parsed.fds {
            files.push(table.get(fd)?);
        }
    }
    let credentials = context.thread.process.credentials.lock().clone();
    if let Some(claimed) = parsed.creds {
        // scm_check_creds
        let pid_ok = claimed.pid == context.thread.process.pid as i32
            || credentials.has_capability(CAP_SYS_ADMIN);
        let uid_ok = [credentials.uid, credentials.euid, credentials.suid].contains(&claimed.uid)
            || credentials.has_capability(CAP_SETUID);
        let gid_ok = [credentials.gid, credentials.egid, credentials.sgid].contains(&claimed.gid)
            || credentials.has_capability(CAP_SETGID);
        if !(pid_ok && uid_ok && gid_ok) {
            return Err(Errno::EPERM);
        }
    }
    let rights = if files.is_empty() {
        Rights::default()
    } else {
        let limit = context
            .thread
            .process
            .limits
            .lock()
            .get(crate::process::rlimit::RLIMIT_NOFILE)
            .map_or(1024, |limit| limit.soft);
        let is_privileged = credentials.has_capability(CAP_SYS_RESOURCE)
            || credentials.has_capability(CAP_SYS_ADMIN);
        let user = crate::process::user::User::get(credentials.uid);
        Rights::new(files, user, limit, is_privileged)?
    };
    Ok(SendExtras {
        rights,
        creds: parsed.creds,
    })
}

fn read_iovecs(address: u64, count: u64) -> Result<Vec<Iovec>, Errno> {
    if count > UIO_MAXIOV as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let mut vectors = Vec::new();
    vectors
        .try_reserve_exact(count as usize)
        .map_err(|_| Errno::ENOMEM)?;
    let mut total: u64 = 0;
    for i in 0..count {
        let mut vector: Iovec = hal::usercopy::read_user(address + i * 16)?;
        if vector.iov_len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        // The total is capped at MAX_RW_COUNT (later vectors shrink, as Linux's iov_iter).
        let room = 0x7fff_f000u64.saturating_sub(total);
        vector.iov_len = vector.iov_len.min(room);
        total += vector.iov_len;
        vectors.push(vector);
    }
    Ok(vectors)
}

/// One `sendmsg` with the header already copied in.
fn send_one(
    context: &SyscallContext<'_>,
    file: &OpenFile,
    socket: &Sock,
    header: &MsgHdr,
    flags: u32,
) -> SyscallResult {
    let namelen = if header.name == 0 {
        0
    } else {
        header.namelen as i32
    };
    if namelen < 0 {
        return Err(Errno::EINVAL);
    }
    let name = if header.name != 0 && namelen > 0 {
        Some(address_in(
            header.name,
            namelen.min(SOCKADDR_STORAGE as i32),
        )?)
    } else {
        None
    };
    let vectors = read_iovecs(header.iov, header.iovlen)?;
    if header.controllen > i32::MAX as u64 {
        return Err(Errno::ENOBUFS);
    }
    let controllen = header.controllen as usize;
    let mut control = Vec::new();
    if controllen > 0 {
        if controllen > OPTMEM_MAX {
            return Err(Errno::ENOBUFS);
        }
        control
            .try_reserve_exact(controllen)
            .map_err(|_| Errno::ENOMEM)?;
        control.resize(controllen, 0);
        hal::usercopy::copy_from_user(&mut control, header.control)?;
    }
    let mut data = UserIov::new(vectors);
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let socket = match socket {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            return inet::calls::send(socket, &mut data, name.as_deref(), flags, is_nonblocking);
        }
        Sock::Netlink(socket) => {
            // scm_send: credentials are checked; descriptors are refused here.
            let extras = send_control(context, &control)?;
            if !extras.rights.is_empty() {
                return Err(Errno::EINVAL);
            }
            let name = if header.namelen == 0 { None } else { name };
            return netlink::send(socket, &mut data, name.as_deref(), flags, is_nonblocking);
        }
    };
    let extras = send_control(context, &control)?;
    io::send(
        socket,
        context.thread,
        &mut data,
        name.as_deref(),
        flags,
        is_nonblocking,
        extras,
    )
}

/// Installs received descriptors and builds the control buffer (`scm_recv`).
fn recv_control(
    context: &SyscallContext<'_>,
    received: &mut io::Received,
    capacity: usize,
    flags: u32,
) -> Result<RecvControl, Errno> {
    let mut control = RecvControl::new(capacity);
    if let Some(creds) = received.creds {
        control.put(SOL_SOCKET, cmsg::SCM_CREDENTIALS, &creds.to_bytes())?;
    }
    let rights = core::mem::take(&mut received.rights);
    if !rights.is_empty() {
        let room = control.fd_room(rights.len());
        let mut installed = Vec::new();
        installed
            .try_reserve_exact(room)
            .map_err(|_| Errno::ENOMEM)?;
        let limit = super::fcntl::descriptor_limit(context);
        let is_cloexec = flags & MSG_CMSG_CLOEXEC != 0;
        let mut rest = Vec::new();
        {
            let table = context.thread.process.files.get();
            let mut table = table.lock();
            for file in rights {
                if installed.len() < room
                    && rest.is_empty()
                    && let Ok(fd) = table.insert_from(0, file.clone(), is_cloexec, limit)
                {
                    installed.push(fd);
                    continue;
                }
                rest.push(file);
            }
        }
        let count = installed.len() + rest.len();
        drop(rest);
        control.put_rights(&installed, count)?;
    }
    Ok(control)
}

/// One `recvmsg` with the header already copied in; writes back the name, control and flags.
fn recv_one(
    context: &SyscallContext<'_>,
    file: &OpenFile,
    socket: &Sock,
    header: &MsgHdr,
    header_address: u64,
    flags: u32,
) -> SyscallResult {
    if header.name != 0 && (header.namelen as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let vectors = read_iovecs(header.iov, header.iovlen)?;
    let mut data = UserIov::new(vectors);
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let socket = match socket {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            let (count, got_flags, from) =
                inet::calls::recv(socket, &mut data, flags, is_nonblocking)?;
            if header.name != 0 {
                match from {
                    Some(from) => inet_address_out(socket, &from, header.name, header_address + 8)?,
                    None => hal::usercopy::write_user(header_address + 8, &0u32)?,
                }
            }
            hal::usercopy::write_user(header_address + 48, &got_flags)?;
            hal::usercopy::write_user(header_address + 40, &0u64)?;
            return Ok(count);
        }
        Sock::Netlink(socket) => {
            return recv_netlink(
                socket,
                &mut data,
                header,
                header_address,
                flags,
                is_nonblocking,
            );
        }
    };
    let mut received = io::recv(socket, &mut data, flags, is_nonblocking)?;
    let capacity = if header.control == 0 {
        0
    } else {
        header.controllen.min(i32::MAX as u64) as usize
    };
    let control = recv_control(context, &mut received, capacity, flags)?;
    if header.name != 0 {
        let (bytes, full) = match &received.from {
            Some(Some(name)) => unixsock::addr::encode(Some(name)),
            _ => ([0u8; unixsock::addr::SOCKADDR_UN_LEN], 0),
        };
        // msg_namelen is the in/out length.
        address_out_raw(
            &bytes[..full.min(bytes.len())],
            full,
            header.name,
            header_address + 8,
        )?;
    }
    if !control.bytes.is_empty() {
        hal::usercopy::copy_to_user(header.control, &control.bytes)?;
    }
    let mut out_flags = received.flags | (flags & MSG_CMSG_CLOEXEC);
    if control.is_truncated {
        out_flags |= MSG_CTRUNC;
    }
    hal::usercopy::write_user(header_address + 48, &out_flags)?;
    hal::usercopy::write_user(header_address + 40, &(control.bytes.len() as u64))?;
    Ok(received.count)
}

/// `netlink_recvmsg`'s answer: the sender's address, `NETLINK_PKTINFO` and credentials.
fn recv_netlink(
    socket: &Arc<NetlinkSocket>,
    data: &mut UserIov,
    header: &MsgHdr,
    header_address: u64,
    flags: u32,
    is_nonblocking: bool,
) -> SyscallResult {
    let received = netlink::recv(socket, data, flags, is_nonblocking)?;
    let capacity = if header.control == 0 {
        0
    } else {
        header.controllen.min(i32::MAX as u64) as usize
    };
    let mut control = RecvControl::new(capacity);
    if let Some(group) = received.pktinfo_group {
        control.put(netlink::SOL_NETLINK, 3, &group.to_ne_bytes())?;
    }
    if let Some(creds) = received.creds {
        control.put(SOL_SOCKET, cmsg::SCM_CREDENTIALS, &creds.to_bytes())?;
    }
    if header.name != 0 {
        // msg_namelen is set to the full length; the name is copied whole (Linux writes
        // into its own kernel copy of the name buffer, which is sockaddr_storage sized).
        let given = header.namelen as usize;
        let len = given.min(received.from.len());
        if len > 0 {
            hal::usercopy::copy_to_user(header.name, &received.from[..len])?;
        }
        hal::usercopy::write_user(header_address + 8, &(received.from.len() as u32))?;
    }
    if !control.bytes.is_empty() {
        hal::usercopy::copy_to_user(header.control, &control.bytes)?;
    }
    let mut out_flags = received.flags | (flags & MSG_CMSG_CLOEXEC);
    if control.is_truncated {
        out_flags |= MSG_CTRUNC;
    }
    hal::usercopy::write_user(header_address + 48, &out_flags)?;
    hal::usercopy::write_user(header_address + 40, &(control.bytes.len() as u64))?;
    Ok(received.count)
}

pub fn sendto(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: u64,
    len: usize,
    flags: u32,
    address: u64,
    address_len: i32,
) -> SyscallResult {
    let (file, socket) = socket_of(context, fd)?;
    let mut data = UserIov::single(buf, len.min(0x7fff_f000))?;
    let name = if address != 0 && address_len != 0 {
        Some(address_in(address, address_len)?)
    } else {
        None
    };
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let socket = match socket {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            return inet::calls::send(&socket, &mut data, name.as_deref(), flags, is_nonblocking);
        }
        Sock::Netlink(socket) => {
            return netlink::send(&socket, &mut data, name.as_deref(), flags, is_nonblocking);
        }
    };
    io::send(
        &socket,
        context.thread,
        &mut data,
        name.as_deref(),
        flags,
        is_nonblocking,
        SendExtras {
            rights: Rights::default(),
            creds: None,
        },
    )
}

pub fn recvfrom(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: u64,
    len: usize,
    flags: u32,
    address: u64,
    len_ptr: u64,
) -> SyscallResult {
    let (file, socket) = socket_of(context, fd)?;
    let mut data = UserIov::single(buf, len.min(0x7fff_f000))?;
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let socket = match socket {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            let (count, _, from) = inet::calls::recv(&socket, &mut data, flags, is_nonblocking)?;
            if address != 0 {
                match from {
                    Some(from) => inet_address_out(&socket, &from, address, len_ptr)?,
                    None => address_out_raw(&[], 0, address, len_ptr)?,
                }
            }
            return Ok(count);
        }
        Sock::Netlink(socket) => {
            let received = netlink::recv(&socket, &mut data, flags, is_nonblocking)?;
            if address != 0 {
                address_out_raw(&received.from, received.from.len(), address, len_ptr)?;
            }
            return Ok(received.count);
        }
    };
    let mut received = io::recv(&socket, &mut data, flags, is_nonblocking)?;
    // Passed descriptors with no control buffer are closed (MSG_CTRUNC, unseen here).
    drop(core::mem::take(&mut received.rights));
    if address != 0 {
        let (bytes, full) = match &received.from {
            Some(Some(name)) => unixsock::addr::encode(Some(name)),
            _ => ([0u8; unixsock::addr::SOCKADDR_UN_LEN], 0),
        };
        address_out_raw(&bytes[..full.min(bytes.len())], full, address, len_ptr)?;
    }
    Ok(received.count)
}

pub fn sendmsg(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    message: u64,
    flags: u32,
) -> SyscallResult {
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    let (file, socket) = socket_of(context, fd)?;
    let header: MsgHdr = hal::usercopy::read_user(message)?;
    send_one(context, &file, &socket, &header, flags)
}

pub fn recvmsg(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    message: u64,
    flags: u32,
) -> SyscallResult {
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    let (file, socket) = socket_of(context, fd)?;
    let header: MsgHdr = hal::usercopy::read_user(message)?;
    recv_one(context, &file, &socket, &header, message, flags)
}

pub fn sendmmsg(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    vector: u64,
    count: u32,
    flags: u32,
) -> SyscallResult {
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    let (file, socket) = socket_of(context, fd)?;
    let count = (count as usize).min(UIO_MAXIOV);
    let mut sent = 0;
    let mut error = Ok(0);
    while sent < count {
        let entry = vector + (sent * 64) as u64;
        let result = hal::usercopy::read_user::<MsgHdr>(entry)
            .and_then(|header| send_one(context, &file, &socket, &header, flags));
        match result.and_then(|len| {
            hal::usercopy::write_user(entry + 56, &(len as u32))?;
            Ok(len)
        }) {
            Ok(_) => sent += 1,
            Err(e) => {
                error = Err(e);
                break;
            }
        }
    }
    if sent > 0 { Ok(sent) } else { error }
}

pub fn recvmmsg(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    vector: u64,
    count: u32,
    flags: u32,
    timeout: UserPtr<abi::Timespec>,
) -> SyscallResult {
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = if timeout.is_null() {
        None
    } else {
        let value = timeout.read()?;
        if value.tv_sec < 0 || !(0..1_000_000_000).contains(&value.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(
            crate::time::monotonic_ns()
                .saturating_add((value.tv_sec as u64).saturating_mul(1_000_000_000))
                .saturating_add(value.tv_nsec as u64),
        )
    };
    let (file, socket) = socket_of(context, fd)?;
    let count = (count as usize).min(UIO_MAXIOV);
    let mut got = 0;
    let mut error = Ok(0);
    let mut flags_now = flags & !MSG_WAITFORONE;
    while got < count {
        let entry = vector + (got * 64) as u64;
        let result = hal::usercopy::read_user::<MsgHdr>(entry)
            .and_then(|header| recv_one(context, &file, &socket, &header, entry, flags_now))
            .and_then(|len| {
                hal::usercopy::write_user(entry + 56, &(len as u32))?;
                Ok(len)
            });
        match result {
            Ok(_) => got += 1,
            Err(e) => {
                error = Err(e);
                break;
            }
        }
        if flags & MSG_WAITFORONE != 0 {
            flags_now |= MSG_DONTWAIT;
        }
        if let Some(deadline) = deadline
            && crate::time::monotonic_ns() >= deadline
        {
            break;
        }
    }
    if let Some(deadline) = deadline
        && !timeout.is_null()
    {
        let left = deadline.saturating_sub(crate::time::monotonic_ns());
        let _ = timeout.write(&abi::Timespec {
            tv_sec: (left / 1_000_000_000) as i64,
            tv_nsec: (left % 1_000_000_000) as i64,
        });
    }
    match error {
        Err(e) if got > 0 => {
            if e != Errno::EAGAIN {
                match &socket {
                    Sock::Unix(socket) => socket.state.lock().error = Some(e),
                    Sock::Inet(socket) => socket.state.lock().error = Some(e),
                    Sock::Netlink(socket) => socket.state.lock().error = Some(e),
                }
            }
            Ok(got)
        }
        Err(e) => Err(e),
        Ok(_) => Ok(got),
    }
}

fn write_option(address: u64, len_ptr: u64, given: i32, bytes: &[u8]) -> SyscallResult {
    let len = (given as usize).min(bytes.len());
    hal::usercopy::copy_to_user(address, &bytes[..len])?;
    hal::usercopy::write_user(len_ptr, &(len as i32))?;
    Ok(0)
}

pub fn getsockopt(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    level: i32,
    name: i32,
    address: u64,
    len_ptr: u64,
) -> SyscallResult {
    let (_file, sock) = socket_of(context, fd)?;
    let given: i32 = hal::usercopy::read_user(len_ptr)?;
    if given < 0 {
        return Err(Errno::EINVAL);
    }
    if level != SOL_SOCKET {
        return match &sock {
            Sock::Unix(_) => Err(Errno::EOPNOTSUPP),
            Sock::Inet(socket) => {
                let bytes = inet::sockopt::get(socket, level, name)?;
                write_option(address, len_ptr, given, &bytes)
            }
            Sock::Netlink(_) if level != netlink::SOL_NETLINK => Err(Errno::ENOPROTOOPT),
            Sock::Netlink(socket) => {
                let (bytes, len) = netlink::getsockopt(socket, name, given as usize)?;
                if !bytes.is_empty() {
                    hal::usercopy::copy_to_user(address, &bytes)?;
                }
                hal::usercopy::write_user(len_ptr, &(len as i32))?;
                Ok(0)
            }
        };
    }
    let socket = sock.common();
    let int = |value: i32| value.to_ne_bytes();
    let flag_value = |bit: u32| int(i32::from(socket.has_flag(bit)));
    let value: [u8; 4] = match name as u32 {
        abi::raw::net::SO_TYPE => int(match &sock {
            Sock::Unix(socket) => socket.sock_type.raw() as i32,
            Sock::Inet(socket) => match socket.proto {
                Proto::Tcp => 1,
                Proto::Udp => 2,
            },
            Sock::Netlink(socket) => socket.sock_type as i32,
        }),
        abi::raw::net::SO_PROTOCOL => int(match &sock {
            Sock::Unix(_) => 0,
            Sock::Inet(socket) => socket.protocol() as i32,
            Sock::Netlink(socket) => socket.protocol as i32,
        }),
        abi::raw::net::SO_DOMAIN => int(match &sock {
            Sock::Unix(_) => AF_UNIX,
            Sock::Inet(socket) => i32::from(socket.family.raw()),
            Sock::Netlink(_) => netlink::AF_NETLINK,
        }),
        abi::raw::net::SO_ERROR => int(sock.take_error().map_or(0, |e| e.0 as i32)),
        abi::raw::net::SO_SNDBUF => int(socket.sndbuf.load(Ordering::Relaxed) as i32),
        abi::raw::net::SO_RCVBUF => int(socket.rcvbuf.load(Ordering::Relaxed) as i32),
        abi::raw::net::SO_REUSEADDR => flag_value(flag::REUSEADDR),
        abi::raw::net::SO_REUSEPORT => flag_value(flag::REUSEPORT),
        abi::raw::net::SO_KEEPALIVE => flag_value(flag::KEEPALIVE),
        abi::raw::net::SO_PASSCRED => flag_value(flag::PASSCRED),
        abi::raw::net::SO_DEBUG => flag_value(flag::DEBUG),
        abi::raw::net::SO_DONTROUTE => flag_value(flag::DONTROUTE),
        abi::raw::net::SO_BROADCAST => flag_value(flag::BROADCAST),
        abi::raw::net::SO_OOBINLINE => flag_value(flag::OOBINLINE),
        abi::raw::net::SO_NO_CHECK => flag_value(flag::NO_CHECK),
        abi::raw::net::SO_ACCEPTCONN => int(i32::from(sock.is_listening())),
        abi::raw::net::SO_RCVLOWAT => int(socket.rcvlowat.load(Ordering::Relaxed) as i32),
        abi::raw::net::SO_SNDLOWAT => int(1),
        abi::raw::net::SO_PRIORITY => int(socket.priority.load(Ordering::Relaxed) as i32),
        abi::raw::net::SO_LINGER => {
            let mut bytes = [0u8; 8];
            bytes[..4].copy_from_slice(&int(i32::from(socket.has_flag(flag::LINGER))));
            bytes[4..].copy_from_slice(&socket.linger_secs.load(Ordering::Relaxed).to_ne_bytes());
            return write_option(address, len_ptr, given, &bytes);
        }
        abi::raw::net::SO_RCVTIMEO_OLD
        | abi::raw::net::SO_SNDTIMEO_OLD
        | abi::raw::net::SO_RCVTIMEO_NEW
        | abi::raw::net::SO_SNDTIMEO_NEW => {
            let is_rcv = matches!(
                name as u32,
                abi::raw::net::SO_RCVTIMEO_OLD | abi::raw::net::SO_RCVTIMEO_NEW
            );
            let jiffies = if is_rcv {
                socket.rcvtimeo.load(Ordering::Relaxed)
            } else {
                socket.sndtimeo.load(Ordering::Relaxed)
            };
            let (sec, usec) = opt::timeval_from_timeout(jiffies);
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&sec.to_ne_bytes());
            bytes[8..].copy_from_slice(&usec.to_ne_bytes());
            return write_option(address, len_ptr, given, &bytes);
        }
        abi::raw::net::SO_PEERCRED => {
            let peercred = match &sock {
                Sock::Unix(socket) => socket.peercred(),
                Sock::Inet(_) | Sock::Netlink(_) => unixsock::cmsg::Ucred {
                    pid: 0,
                    uid: u32::MAX,
                    gid: u32::MAX,
                },
            };
            return write_option(address, len_ptr, given, &peercred.to_bytes());
        }
        _ => return Err(Errno::ENOPROTOOPT),
    };
    write_option(address, len_ptr, given, &value)
}

pub fn setsockopt(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    level: i32,
    name: i32,
    address: u64,
    len: i32,
) -> SyscallResult {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let (_file, sock) = socket_of(context, fd)?;
    let has_cap = |cap: u32| {
        context
            .thread
            .process
            .credentials
            .lock()
            .has_capability(cap)
    };
    if level != SOL_SOCKET {
        return match &sock {
            Sock::Unix(_) => Err(Errno::EOPNOTSUPP),
            Sock::Inet(socket) => {
                let mut bytes = [0u8; 64];
                let n = (len as usize).min(bytes.len());
                hal::usercopy::copy_from_user(&mut bytes[..n], address)?;
                inet::sockopt::set(socket, level, name, &bytes[..n], has_cap(CAP_NET_ADMIN))?;
                Ok(0)
            }
            Sock::Netlink(_) if level != netlink::SOL_NETLINK => Err(Errno::ENOPROTOOPT),
            Sock::Netlink(socket) => {
                let mut bytes = [0u8; 4];
                if len >= 4 {
                    hal::usercopy::copy_from_user(&mut bytes, address)?;
                }
                netlink::setsockopt(socket, name, &bytes[..(len as usize).min(4)])?;
                Ok(0)
            }
        };
    }
    if len < 4 {
        return Err(Errno::EINVAL);
    }
    let value: i32 = hal::usercopy::read_user(address)?;
    let is_on = value != 0;
    let socket = sock.common();
    match name as u32 {
        abi::raw::net::SO_REUSEADDR => socket.set_flag(flag::REUSEADDR, is_on),
        abi::raw::net::SO_REUSEPORT => socket.set_flag(flag::REUSEPORT, is_on),
        abi::raw::net::SO_KEEPALIVE => socket.set_flag(flag::KEEPALIVE, is_on),
        abi::raw::net::SO_PASSCRED => socket.set_flag(flag::PASSCRED, is_on),
        abi::raw::net::SO_DONTROUTE => socket.set_flag(flag::DONTROUTE, is_on),
        abi::raw::net::SO_BROADCAST => socket.set_flag(flag::BROADCAST, is_on),
        abi::raw::net::SO_OOBINLINE => socket.set_flag(flag::OOBINLINE, is_on),
        abi::raw::net::SO_NO_CHECK => socket.set_flag(flag::NO_CHECK, is_on),
        abi::raw::net::SO_DEBUG => {
            if is_on && !has_cap(CAP_NET_ADMIN) {
                return Err(Errno::EACCES);
            }
            socket.set_flag(flag::DEBUG, is_on);
        }
        abi::raw::net::SO_PRIORITY => {
            if !(0..=6).contains(&value) && !has_cap(CAP_NET_ADMIN) {
                return Err(Errno::EPERM);
            }
            socket.priority.store(value as u32, Ordering::Relaxed);
        }
        abi::raw::net::SO_RCVLOWAT => {
            let value = if value < 0 { i32::MAX } else { value.max(1) };
            socket.rcvlowat.store(value as u32, Ordering::Relaxed);
        }
        abi::raw::net::SO_SNDBUF => {
            socket.sndbuf.store(opt::sndbuf(value), Ordering::Relaxed);
            socket.wait.wake_all();
        }
        abi::raw::net::SO_RCVBUF => {
            socket.rcvbuf.store(opt::rcvbuf(value), Ordering::Relaxed);
        }
        abi::raw::net::SO_SNDBUFFORCE | abi::raw::net::SO_RCVBUFFORCE => {
            if !has_cap(CAP_NET_ADMIN) {
                return Err(Errno::EPERM);
            }
            let value = (value.max(0) as u32).min(i32::MAX as u32 / 2) * 2;
            if name as u32 == abi::raw::net::SO_SNDBUFFORCE {
                socket
                    .sndbuf
                    .store(value.max(opt::SOCK_MIN_SNDBUF), Ordering::Relaxed);
                socket.wait.wake_all();
            } else {
                socket
                    .rcvbuf
                    .store(value.max(opt::SOCK_MIN_RCVBUF), Ordering::Relaxed);
            }
        }
        abi::raw::net::SO_LINGER => {
            if len < 8 {
                return Err(Errno::EINVAL);
            }
            let linger: [i32; 2] = hal::usercopy::read_user(address)?;
            if linger[0] == 0 {
                socket.set_flag(flag::LINGER, false);
            } else {
                socket
                    .linger_secs
                    .store(linger[1] as u32, Ordering::Relaxed);
                socket.set_flag(flag::LINGER, true);
            }
        }
        abi::raw::net::SO_RCVTIMEO_OLD
        | abi::raw::net::SO_SNDTIMEO_OLD
        | abi::raw::net::SO_RCVTIMEO_NEW
        | abi::raw::net::SO_SNDTIMEO_NEW => {
            if len < 16 {
                return Err(Errno::EINVAL);
            }
            let tv: [i64; 2] = hal::usercopy::read_user(address)?;
            let jiffies = opt::timeout_from_timeval(tv[0], tv[1])?;
            if matches!(
                name as u32,
                abi::raw::net::SO_RCVTIMEO_OLD | abi::raw::net::SO_RCVTIMEO_NEW
            ) {
                socket.rcvtimeo.store(jiffies, Ordering::Relaxed);
            } else {
                socket.sndtimeo.store(jiffies, Ordering::Relaxed);
            }
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

/// `read`/`readv` of a socket (`sock_read_iter`): a receive with no flags but the file's
/// `O_NONBLOCK`.
pub fn read_socket(file: &OpenFile, vectors: Vec<Iovec>) -> SyscallResult {
    let sock = file.ops.as_socket().ok_or(Errno::ENOTSOCK)?.sock.clone();
    let mut data = UserIov::new(vectors);
    if data.total() == 0 {
        return Ok(0);
    }
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let socket = match sock {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            return Ok(inet::calls::recv(&socket, &mut data, 0, is_nonblocking)?.0);
        }
        Sock::Netlink(socket) => {
            return Ok(netlink::recv(&socket, &mut data, 0, is_nonblocking)?.count);
        }
    };
    let received = io::recv(&socket, &mut data, 0, is_nonblocking)?;
    Ok(received.count)
}

/// `write`/`writev` of a socket (`sock_write_iter`).
pub fn write_socket(
    context: &SyscallContext<'_>,
    file: &OpenFile,
    vectors: Vec<Iovec>,
) -> SyscallResult {
    let sock = file.ops.as_socket().ok_or(Errno::ENOTSOCK)?.sock.clone();
    let mut data = UserIov::new(vectors);
    let is_nonblocking = file.status_flags().contains(OpenFlags::O_NONBLOCK);
    let socket = match sock {
        Sock::Unix(socket) => socket,
        Sock::Inet(socket) => {
            return inet::calls::send(&socket, &mut data, None, 0, is_nonblocking);
        }
        Sock::Netlink(socket) => {
            return netlink::send(&socket, &mut data, None, 0, is_nonblocking);
        }
    };
    io::send(
        &socket,
        context.thread,
        &mut data,
        None,
        0,
        is_nonblocking,
        SendExtras {
            rights: Rights::default(),
            creds: None,
        },
    )
}
