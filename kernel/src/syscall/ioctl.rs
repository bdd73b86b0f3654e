//! ioctl (Linux `fs/ioctl.c`): the descriptor-level commands (`FIOCLEX`, `FIONCLEX`,
//! `FIONBIO`), then the file's own; files without ioctls answer `ENOTTY`.

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use abi::ioctl::{
    FIOASYNC, FIOCLEX, FIOGETOWN, FIONBIO, FIONCLEX, FIONREAD, FIOSETOWN, SIOCGPGRP, SIOCSPGRP,
    TIOCGPTPEER, TIOCSCTTY,
};
use abi::{Errno, OpenFlags};
use hal::usercopy::read_user;

pub fn ioctl(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    command: u32,
    argument: u64,
) -> SyscallResult {
    let file = super::read_write::file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    if let Some(ns) = file.ops.as_namespace() {
        // nsfs's own commands (`_IO(0xb7, n)`); the generic ones are answered below.
        if (command >> 8) & 0xff == 0xb7 {
            let limit = super::fcntl::descriptor_limit(context);
            return crate::ns::nsfs::ioctl(context.thread, ns, command, argument, limit);
        }
    }
    match command {
        FIOCLEX | FIONCLEX => {
            context
                .thread
                .process
                .files
                .get()
                .lock()
                .set_close_on_exec(fd.0, command == FIOCLEX)?;
            Ok(0)
        }
        FIONBIO => {
            let value: i32 = read_user(argument)?;
            let flags = file.status_flags();
            file.set_status_flags(if value != 0 {
                flags | OpenFlags::O_NONBLOCK
            } else {
                flags - OpenFlags::O_NONBLOCK
            });
            Ok(0)
        }
        FIOASYNC => {
            // ioctl_fioasync: the file's fasync method, ENOTTY without one.
            let value: i32 = read_user(argument)?;
            let is_async = value != 0;
            let flags = file.status_flags();
            if is_async != flags.contains(OpenFlags::O_ASYNC) {
                match file.ops.fasync(&file, fd.0, is_async) {
                    Some(result) => result?,
                    None => return Err(Errno::ENOTTY),
                }
            }
            Ok(0)
        }
        // sock_ioctl: the owner of a socket's I/O signals.
        FIOSETOWN | SIOCSPGRP if file.ops.as_socket().is_some() => {
            let who: i32 = read_user(argument)?;
            crate::fs::fasync::set_owner_of(&file, who, &context.thread.process).map(|()| 0)
        }
        FIOGETOWN | SIOCGPGRP if file.ops.as_socket().is_some() => {
            hal::usercopy::write_user(argument, &crate::fs::fasync::owner_of(&file))?;
            Ok(0)
        }
        FIONREAD
            if file.ops.inode().is_some()
                && file.ops.metadata().file_type == vfs::FileType::Regular =>
        {
            // Regular files answer i_size - f_pos as an int, negative past the end (do_vfs_ioctl).
            let left = file.ops.metadata().size as i64 - file.position() as i64;
            hal::usercopy::write_user(argument, &(left as i32))?;
            Ok(0)
        }
        TIOCSCTTY
            if !file.is_readable()
                && !context
                    .thread
                    .process
                    .credentials
                    .lock()
                    .has_capability(abi::capability::CAP_SYS_ADMIN) =>
        {
            // tiocsctty: a write-only descriptor cannot make a terminal the controlling one
            // (checked here, where the descriptor is known; Linux checks it after the session
            // rules).
            if file.ops.as_tty().is_some() {
                Err(Errno::EPERM)
            } else {
                Err(Errno::ENOTTY)
            }
        }
        TIOCGPTPEER if file.ops.as_tty().is_some() => {
            // ptm_open_peer: the descriptor is this syscall's to install.
            let flags = OpenFlags::from_bits_retain(argument as u32);
            let peer = crate::tty::pty::open_peer(&file, flags)?;
            let limit = super::fcntl::descriptor_limit(context);
            let fd = context.thread.process.files.get().lock().insert_from(
                0,
                peer,
                flags.contains(OpenFlags::O_CLOEXEC),
                limit,
            )?;
            Ok(fd as usize)
        }
        _ => file.ops.ioctl(command, argument),
    }
}
