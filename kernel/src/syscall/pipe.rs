//! pipe, pipe2 (Linux `fs/pipe.c`: `do_pipe2`, pipe(2)).
//!
//! Flags: `O_CLOEXEC`, `O_NONBLOCK` (both ends), `O_DIRECT` (packet mode, write end); anything
//! else is `EINVAL`, including `O_NOTIFICATION_PIPE` (watch queues are not implemented). The
//! read end's status flags are `O_RDONLY | O_NONBLOCK?`, the write end's
//! `O_WRONLY | O_NONBLOCK? | O_DIRECT?`, as `create_pipe_files`. If the two descriptors cannot be
//! stored in user memory both are closed again and the call fails with `EFAULT`.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::{file_table, pipe};
use abi::{KnownFlags, OpenFlags, PipeFlags};
use alloc::sync::Arc;

pub fn pipe(context: &mut SyscallContext<'_>, fds: UserPtr<[i32; 2]>) -> SyscallResult {
    pipe2(context, fds, PipeFlags::empty())
}

pub fn pipe2(
    context: &mut SyscallContext<'_>,
    fds: UserPtr<[i32; 2]>,
    flags: PipeFlags,
) -> SyscallResult {
    let flags = flags.accept_only(PipeFlags::all())?;
    let nonblocking = if flags.contains(PipeFlags::O_NONBLOCK) {
        OpenFlags::O_NONBLOCK
    } else {
        OpenFlags::empty()
    };
    let packet = if flags.contains(PipeFlags::O_DIRECT) {
        OpenFlags::O_DIRECT
    } else {
        OpenFlags::empty()
    };
    let (uid, gid) = {
        let credentials = context.thread.process.credentials.lock();
        (credentials.fsuid, credentials.fsgid)
    };
    // Two files, counted before any descriptor is taken (ENFILE before EMFILE).
    let read_charge = file_table::charge_for(context.thread)?;
    let write_charge = file_table::charge_for(context.thread)?;
    let (reader, writer) = pipe::create(uid, gid)?;
    let read_file = Arc::new(OpenFile::new(
        reader,
        None,
        OpenFlags::O_RDONLY | nonblocking,
        read_charge,
    )?);
    let write_file = Arc::new(OpenFile::new(
        writer,
        None,
        OpenFlags::O_WRONLY | nonblocking | packet,
        write_charge,
    )?);
    let is_close_on_exec = flags.contains(PipeFlags::O_CLOEXEC);
    let limit = super::fcntl::descriptor_limit(context);
    let files_shared = context.thread.process.files.get();
    let (read_fd, write_fd) = {
        let mut files = files_shared.lock();
        let read_fd = files.insert_from(0, read_file, is_close_on_exec, limit)?;
        match files.insert_from(0, write_file, is_close_on_exec, limit) {
            Ok(write_fd) => (read_fd, write_fd),
            Err(error) => {
                let undone = files.remove(read_fd);
                drop(files);
                drop(undone);
                return Err(error);
            }
        }
    };
    if let Err(error) = fds.write(&[read_fd, write_fd]) {
        let undone = {
            let mut files = files_shared.lock();
            (files.remove(read_fd), files.remove(write_fd))
        };
        drop(undone);
        return Err(error);
    }
    Ok(0)
}
