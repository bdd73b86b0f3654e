//! splice, vmsplice and tee (Linux 6.1 `fs/splice.c`: `__do_sys_splice`, `__do_splice`, `do_splice`,
//! `splice_file_to_pipe`, `iter_file_splice_write`, `splice_pipe_to_pipe`).
//!
//! A length of 0 returns 0 before anything is looked at; flags outside `SPLICE_F_MOVE |
//! SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT` are `EINVAL`; then both descriptors are
//! looked up (`EBADF`). An offset pointer for a pipe end (pipes and FIFOs) is `ESPIPE`; the
//! offsets are read (`EFAULT`); the input must be open for reading and the output for writing
//! (`EBADF`). Then, by what the ends are:
//! - pipe to pipe: the same pipe is `EINVAL`; whole buffers move ([`PipeEnd::splice_to_pipe`]),
//!   non-blocking if either end is `O_NONBLOCK` or with `SPLICE_F_NONBLOCK`;
//! - pipe to file: an output offset needs a positionable output (`EINVAL`), an `O_APPEND` output
//!   is `EINVAL`, a negative offset or length or an end that wraps is `EINVAL`
//!   (`rw_verify_area`); the output must take spliced data (regular files, `/dev/null`,
//!   `/dev/{u,}random`, terminals: others `EINVAL`); the pipe's data is written at the offset
//!   ([`PipeEnd::splice_out`]), waiting for data unless the pipe end is `O_NONBLOCK` or with
//!   `SPLICE_F_NONBLOCK`;
//! - file to pipe: an input offset needs a positionable input (`EINVAL`); after waiting for room
//!   in the pipe (`EPIPE` with SIGPIPE, `EAGAIN` if the pipe end is `O_NONBLOCK` or with
//!   `SPLICE_F_NONBLOCK`), the length is cut to the pipe's free pages, a negative offset is
//!   `EINVAL`, and an input that cannot be spliced from (only regular files and
//!   `/dev/{u,}random` can) is `EINVAL`; pages are read into the pipe ([`PipeEnd::splice_in`]);
//! - neither a pipe: `EINVAL`.
//!
//! The file's position (or `*offset`, written back on success) advances by what moved.
//! `SPLICE_F_MOVE` and `SPLICE_F_GIFT` are hints Linux ignores here; so does Ferrux. Data is
//! copied (Linux moves page references; the bytes and the pipe's buffer boundaries are the
//! same).

use super::args::{Fd, UserPtr};
use super::sendfile::splice_support;
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use crate::fs::pipe::{Fill, PAGE_SIZE, PipeEnd};
use abi::{Errno, OpenFlags};

const SPLICE_F_NONBLOCK: u32 = 0x02;
/// `SPLICE_F_ALL`: MOVE, NONBLOCK, MORE, GIFT.
const SPLICE_F_ALL: u32 = 0x0f;
/// `MAX_RW_COUNT`.
const MAX_RW_COUNT: usize = 0x7fff_f000;

fn is_nonblocking(file: &OpenFile, flags: u32) -> bool {
    flags & SPLICE_F_NONBLOCK != 0 || file.status_flags().contains(OpenFlags::O_NONBLOCK)
}

/// `rw_verify_area` for a regular position: a negative length or offset, or an end that
/// wraps, is `EINVAL`.
fn verify_area(pos: i64, len: usize) -> Result<(), Errno> {
    if len > isize::MAX as usize || pos < 0 || pos.checked_add(len as i64).is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub fn splice(
    context: &mut SyscallContext<'_>,
    fd_in: Fd,
    off_in: UserPtr<i64>,
    fd_out: Fd,
    off_out: UserPtr<i64>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if len == 0 {
        return Ok(0);
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let input = super::read_write::file(context, fd_in)?;
    let output = super::read_write::file(context, fd_out)?;
    if input.is_path_only() || output.is_path_only() {
        return Err(Errno::EBADF);
    }
    let (ipipe, opipe) = (input.ops.as_pipe(), output.ops.as_pipe());
    if (ipipe.is_some() && !off_in.is_null()) || (opipe.is_some() && !off_out.is_null()) {
        return Err(Errno::ESPIPE);
    }
    let out_offset = if off_out.is_null() {
        None
    } else {
        Some(off_out.read()?)
    };
    let in_offset = if off_in.is_null() {
        None
    } else {
        Some(off_in.read()?)
    };
    if !input.is_readable() || !output.is_writable() {
        return Err(Errno::EBADF);
    }
    match (ipipe, opipe) {
        (Some(ipipe), Some(opipe)) => {
            let is_nonblocking = is_nonblocking(&input, flags) || is_nonblocking(&output, flags);
            ipipe.splice_to_pipe(opipe, len, is_nonblocking)
        }
        (Some(ipipe), None) => {
            let (moved, end) = pipe_to_file(ipipe, &input, &output, out_offset, len, flags)?;
            match out_offset {
                None => {
                    if moved > 0 {
                        output.set_position(end as u64);
                    }
                }
                Some(_) => off_out.write(&end)?,
            }
            Ok(moved)
        }
        (None, Some(opipe)) => {
            let (moved, end) = file_to_pipe(&input, in_offset, opipe, &output, len, flags)?;
            match in_offset {
                None => {
                    if moved > 0 {
                        input.set_position(end as u64);
                    }
                }
                Some(_) => off_in.write(&end)?,
            }
            Ok(moved)
        }
        (None, None) => Err(Errno::EINVAL),
    }
}

/// The pipe-to-file half of `do_splice`; returns the bytes moved and the output's new offset.
fn pipe_to_file(
    ipipe: &PipeEnd,
    input: &OpenFile,
    output: &OpenFile,
    offset: Option<i64>,
    len: usize,
    flags: u32,
) -> Result<(usize, i64), Errno> {
    if offset.is_some() && !output.ops.is_seekable() {
        return Err(Errno::EINVAL);
    }
    let mut pos = offset.unwrap_or(output.position() as i64);
    if output.status_flags().contains(OpenFlags::O_APPEND) {
        return Err(Errno::EINVAL);
    }
    verify_area(pos, len)?;
    if !splice_support(output).can_write {
        return Err(Errno::EINVAL);
    }
    let is_output_nonblocking = output.status_flags().contains(OpenFlags::O_NONBLOCK);
    let moved = ipipe.splice_out(
        len.min(MAX_RW_COUNT),
        is_nonblocking(input, flags),
        &mut |data| {
            let written = output.ops.write(pos as u64, data, is_output_nonblocking)?;
            pos += written as i64;
            Ok(written)
        },
    )?;
    Ok((moved, pos))
}

/// `splice_file_to_pipe`; returns the bytes moved and the input's new offset.
fn file_to_pipe(
    input: &OpenFile,
    offset: Option<i64>,
    opipe: &PipeEnd,
    output: &OpenFile,
    len: usize,
    flags: u32,
) -> Result<(usize, i64), Errno> {
    if offset.is_some() && !input.ops.is_seekable() {
        return Err(Errno::EINVAL);
    }
    let mut pos = offset.unwrap_or(input.position() as i64);
    let can_read = splice_support(input).can_read;
    // splice_in fills at most the pipe's free pages; do_splice_to checks the area with the
    // length cut to those (at most the pipe's size) after the wait for room.
    let checked_len = len.min(opipe.size());
    let len = len.min(MAX_RW_COUNT);
    let first_len = PAGE_SIZE - (pos.rem_euclid(PAGE_SIZE as i64)) as usize;
    let mut is_checked = false;
    // A socket (sock_splice_read) waits only for its first bytes, and not at all when the
    // input is non-blocking; the pages after those take what is there.
    let is_socket = input.ops.as_socket().is_some();
    let input_nonblocking = is_nonblocking(input, flags);
    let moved = opipe.splice_in(len, first_len, is_nonblocking(output, flags), &mut |page| {
        let is_first = !is_checked;
        if !is_checked {
            verify_area(pos, checked_len)?;
            if !can_read {
                return Err(Errno::EINVAL);
            }
            is_checked = true;
        }
        let read = if is_socket {
            match input
                .ops
                .read(pos as u64, page, !is_first || input_nonblocking)
            {
                Err(Errno::EAGAIN) if !is_first => 0,
                result => result?,
            }
        } else {
            input.ops.read(pos as u64, page, false)?
        };
        pos += read as i64;
        Ok(read)
    })?;
    Ok((moved, pos))
}

/// vmsplice (Linux 6.1 `fs/splice.c`: `vmsplice_type`, `vmsplice_to_pipe`,
/// `vmsplice_to_user`). Flags outside `SPLICE_F_ALL` are `EINVAL`; a descriptor open for
/// writing takes the user's memory into its pipe, one open only for reading gives the pipe's
/// data to the user's memory, any other is `EBADF`; the vectors are read (`EINVAL` beyond
/// `UIO_MAXIOV` or for a total past `isize::MAX`, `EFAULT`); nothing to move returns 0; a
/// descriptor that is not a pipe is `EBADF`.
///
/// Into a pipe: after waiting for a free slot (`EAGAIN` only with `SPLICE_F_NONBLOCK`, the
/// descriptor's `O_NONBLOCK` does not count; `EPIPE` and SIGPIPE without readers), each
/// vector's bytes go into fresh buffers, one per user page they touch, until the pipe is full
/// (Linux lends the user's pages; the bytes and buffer boundaries are the same here, copied).
/// Out of a pipe: as much as the vectors hold, waiting for data only while nothing moved.
pub fn vmsplice(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<abi::Iovec>,
    nr_segs: u64,
    flags: u32,
) -> SyscallResult {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let file = super::read_write::file(context, fd)?;
    let into_pipe = if file.is_writable() {
        true
    } else if file.is_readable() {
        false
    } else {
        return Err(Errno::EBADF);
    };
    let count = i32::try_from(nr_segs).map_err(|_| Errno::EINVAL)?;
    let vectors = super::read_write::read_iovecs(iov, count)?;
    let total: u64 = vectors.iter().map(|vector| vector.iov_len).sum();
    if total == 0 {
        return Ok(0);
    }
    let pipe = file.ops.as_pipe().ok_or(Errno::EBADF)?;
    let is_nonblocking = flags & SPLICE_F_NONBLOCK != 0;
    let mut segments = vectors.iter().filter(|vector| vector.iov_len != 0);
    let mut current = segments
        .next()
        .map(|vector| (vector.iov_base, vector.iov_len));
    if into_pipe {
        pipe.fill_free_slots(is_nonblocking, &mut |page| {
            let Some((address, left)) = current else {
                return Ok(Fill::Last(0));
            };
            // One buffer per user page the vector touches.
            let in_page = PAGE_SIZE as u64 - address % PAGE_SIZE as u64;
            let len = left.min(in_page) as usize;
            hal::usercopy::copy_from_user(&mut page[..len], address)?;
            current = if left > len as u64 {
                Some((address + len as u64, left - len as u64))
            } else {
                segments
                    .next()
                    .map(|vector| (vector.iov_base, vector.iov_len))
            };
            Ok(match current {
                Some(_) => Fill::More(len),
                None => Fill::Last(len),
            })
        })
    } else {
        pipe.splice_out(total as usize, is_nonblocking, &mut |bytes| {
            let mut copied = 0;
            while copied < bytes.len() {
                let Some((address, left)) = current else {
                    break;
                };
                let len = (left as usize).min(bytes.len() - copied);
                if hal::usercopy::copy_to_user(address, &bytes[copied..copied + len]).is_err() {
                    return if copied == 0 {
                        Err(Errno::EFAULT)
                    } else {
                        Ok(copied)
                    };
                }
                copied += len;
                current = if left > len as u64 {
                    Some((address + len as u64, left - len as u64))
                } else {
                    segments
                        .next()
                        .map(|vector| (vector.iov_base, vector.iov_len))
                };
            }
            Ok(copied)
        })
    }
}

/// tee (Linux 6.1 `fs/splice.c`: `sys_tee`, `do_tee`): flags outside `SPLICE_F_ALL` are
/// `EINVAL`, a length of 0 returns 0, then both descriptors are looked up (`EBADF`); the input
/// must be open for reading and the output for writing (`EBADF`); both must be pipes, and
/// different ones (`EINVAL`). Non-blocking with `SPLICE_F_NONBLOCK` or `O_NONBLOCK` on either
/// end. The input's data stays where it is ([`PipeEnd::tee_to_pipe`]).
pub fn tee(
    context: &mut SyscallContext<'_>,
    fd_in: Fd,
    fd_out: Fd,
    len: usize,
    flags: u32,
) -> SyscallResult {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let input = super::read_write::file(context, fd_in)?;
    let output = super::read_write::file(context, fd_out)?;
    if !input.is_readable() || !output.is_writable() {
        return Err(Errno::EBADF);
    }
    let (Some(ipipe), Some(opipe)) = (input.ops.as_pipe(), output.ops.as_pipe()) else {
        return Err(Errno::EINVAL);
    };
    let is_nonblocking = is_nonblocking(&input, flags) || is_nonblocking(&output, flags);
    ipipe.tee_to_pipe(opipe, len, is_nonblocking)
}
