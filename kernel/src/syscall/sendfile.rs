//! sendfile and copy_file_range (Linux 6.1 `fs/read_write.c`: `do_sendfile`,
//! `copy_file_range`, `generic_copy_file_checks`; `fs/splice.c`: `splice_file_to_pipe`,
//! `do_splice_direct`).
//!
//! sendfile: the input must be open for reading (`EBADF`) and, with an offset pointer,
//! positionable (`ESPIPE`); a count that is negative as `ssize_t`, a negative offset, or an
//! end past the maximum file size is `EINVAL`; the count is capped at `MAX_RW_COUNT`. The
//! output must be open for
//! writing (`EBADF`); a count of 0 moves nothing. Into a pipe, one call moves at most what the pipe has free slots for
//! (the first slot takes the rest of the input's current page), after waiting for a free slot
//! (`EAGAIN` when the pipe is non-blocking, `EPIPE` and SIGPIPE without readers); into anything
//! else it copies until the count is done or the input ends, and an `O_APPEND` output is
//! `EINVAL`. Inputs and outputs must support splicing as
//! in 6.1 (regular files, `/dev/random` and `/dev/urandom` in; regular files, pipes,
//! `/dev/null`, `/dev/random`, `/dev/urandom` and terminals out): others are `EINVAL`. The input position (or `*offset`) and the
//! output position advance by what moved.
//!
//! copy_file_range: both descriptors are looked up first (`EBADF`), then the offsets copied in
//! (`EFAULT`), then `flags` must be 0 (`EINVAL`); directories are `EISDIR`, other non-regular
//! files `EINVAL`; the input must be readable, the output writable and not `O_APPEND`
//! (`EBADF`); files of different filesystems are `EXDEV`; offsets that wrap are `EOVERFLOW`;
//! the length is cut at the input's end; an output offset at or past the maximum size is
//! `EFBIG`; overlapping ranges of one file are `EINVAL`; a negative offset is `EOVERFLOW` with
//! a length (Linux adds it to the length as unsigned) and `EINVAL` without.
//!
//! Data moves through a kernel buffer of at most 64 KiB at a time (Linux moves page references
//! through a pipe; the bytes are the same).

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::FileType;

/// `MAX_RW_COUNT`.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// The maximum file size (`MAX_LFS_FILESIZE`).
const MAX_FILE_SIZE: u64 = i64::MAX as u64;
const CHUNK: usize = 64 * 1024;
const PAGE_SIZE: u64 = 4096;

/// What a file supports of splicing (`f_op->splice_read`, `f_op->splice_write`).
pub(super) struct SpliceSupport {
    pub(super) can_read: bool,
    pub(super) can_write: bool,
}

pub(super) fn splice_support(file: &OpenFile) -> SpliceSupport {
    let metadata = file.ops.metadata();
    if file.ops.is_anon_inode() {
        return SpliceSupport {
            can_read: false,
            can_write: false,
        };
    }
    match metadata.file_type {
        FileType::Regular => SpliceSupport {
            can_read: true,
            can_write: true,
        },
        FileType::CharDevice => {
            let (major, minor) = (
                vfs::inode::dev_major(metadata.rdev),
                vfs::inode::dev_minor(metadata.rdev),
            );
            match (major, minor) {
                // null: splice_write_null only.
                (1, 3) => SpliceSupport {
                    can_read: false,
                    can_write: true,
                },
                // random, urandom.
                (1, 8) | (1, 9) => SpliceSupport {
                    can_read: true,
                    can_write: true,
                },
                // Terminals: tty, console, serial ports.
                (4, _) | (5, 0) | (5, 1) => SpliceSupport {
                    can_read: false,
                    can_write: true,
                },
                _ => SpliceSupport {
                    can_read: false,
                    can_write: false,
                },
            }
        }
        // sock_splice_read, generic_splice_sendpage.
        FileType::Socket if file.ops.as_socket().is_some() => SpliceSupport {
            can_read: true,
            can_write: true,
        },
        _ => SpliceSupport {
            can_read: false,
            can_write: false,
        },
    }
}

fn bounce_buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut buffer = Vec::new();
    hal::mm::heap::user_data(|| buffer.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    buffer.resize(len, 0);
    Ok(buffer)
}

/// `do_splice_direct`: copies up to `count` bytes from `input` at `*in_pos` to `output` at
/// `*out_pos` (not a pipe), advancing both; stops at the input's end or a short write. An output
/// that cannot be spliced to (`!can_write`) is `EINVAL` once there is something to write, as
/// Linux reads into its internal pipe before it looks at the output.
fn splice_direct(
    input: &OpenFile,
    in_pos: &mut u64,
    output: &OpenFile,
    out_pos: &mut u64,
    count: u64,
    can_write: bool,
) -> SyscallResult {
    let mut buffer = bounce_buffer((count as usize).min(CHUNK))?;
    let is_nonblocking = output.status_flags().contains(OpenFlags::O_NONBLOCK);
    let mut done: u64 = 0;
    while done < count {
        let want = ((count - done) as usize).min(buffer.len());
        // A socket input waits for its first bytes only (sock_splice_read).
        let is_later_socket_read = done > 0 && input.ops.as_socket().is_some();
        let read = match input
            .ops
            .read(*in_pos, &mut buffer[..want], is_later_socket_read)
        {
            Ok(read) => read,
            Err(error) if done == 0 => return Err(error),
            Err(_) => break,
        };
        if read == 0 {
            break;
        }
        if !can_write {
            return if done == 0 {
                Err(Errno::EINVAL)
            } else {
                Ok(done as usize)
            };
        }
        let written = match output.ops.write(*out_pos, &buffer[..read], is_nonblocking) {
            Ok(written) => written,
            Err(error) if done == 0 => return Err(error),
            Err(_) => break,
        };
        *in_pos += written as u64;
        *out_pos += written as u64;
        done += written as u64;
        if written < read || read < want {
            break;
        }
    }
    Ok(done as usize)
}

/// `do_sendfile` with `offset` (`None`: the input's position).
fn do_sendfile(
    context: &SyscallContext<'_>,
    out_fd: Fd,
    in_fd: Fd,
    offset: Option<u64>,
    count: usize,
) -> Result<(usize, u64), Errno> {
    let input = super::read_write::file(context, in_fd)?;
    if input.is_path_only() || !input.is_readable() {
        return Err(Errno::EBADF);
    }
    if offset.is_some() && !input.ops.is_seekable() {
        return Err(Errno::ESPIPE);
    }
    let mut pos = match offset {
        Some(offset) => offset,
        None => input.position(),
    };
    // rw_verify_area(READ): a negative count, offset, or end.
    if count > isize::MAX as usize
        || (pos as i64) < 0
        || (pos as i64).checked_add(count as i64).is_none()
    {
        return Err(Errno::EINVAL);
    }
    // The end stays within the maximum file size, so do_sendfile's EOVERFLOW cannot happen.
    let count = (count as u64).min(MAX_RW_COUNT);
    let output = super::read_write::file(context, out_fd)?;
    if output.is_path_only() || !output.is_writable() {
        return Err(Errno::EBADF);
    }
    let start = pos;
    let moved = if let Some(pipe) = output.ops.as_pipe() {
        // splice_file_to_pipe: any input with a splice_read.
        if !splice_support(&input).can_read {
            return Err(Errno::EINVAL);
        }
        let is_nonblocking = output.status_flags().contains(OpenFlags::O_NONBLOCK);
        let first_len = (PAGE_SIZE - pos % PAGE_SIZE) as usize;
        pipe.splice_in(count as usize, first_len, is_nonblocking, &mut |page| {
            let read = input.ops.read(pos, page, false)?;
            pos += read as u64;
            Ok(read)
        })?
    } else {
        if output.status_flags().contains(OpenFlags::O_APPEND) {
            return Err(Errno::EINVAL);
        }
        // splice_direct_to_actor moves nothing for a count of 0, before looking at either
        // file's splice support.
        if count == 0 {
            return Ok((0, pos));
        }
        if !splice_support(&input).can_read {
            return Err(Errno::EINVAL);
        }
        let mut out_pos = output.position();
        let can_write = splice_support(&output).can_write;
        let moved = splice_direct(&input, &mut pos, &output, &mut out_pos, count, can_write)?;
        if moved > 0 {
            output.set_position(out_pos);
        }
        moved
    };
    let end = start + moved as u64;
    if moved > 0 && offset.is_none() {
        input.set_position(end);
    }
    Ok((moved, end))
}

pub fn sendfile(
    context: &mut SyscallContext<'_>,
    out_fd: Fd,
    in_fd: Fd,
    offset: UserPtr<i64>,
    count: usize,
) -> SyscallResult {
    let result = sendfile_inner(context, out_fd, in_fd, offset, count);
    super::read_write::notify_copy(context, in_fd, out_fd, &result);
    result
}

fn sendfile_inner(
    context: &mut SyscallContext<'_>,
    out_fd: Fd,
    in_fd: Fd,
    offset: UserPtr<i64>,
    count: usize,
) -> SyscallResult {
    if offset.is_null() {
        return do_sendfile(context, out_fd, in_fd, None, count).map(|(moved, _)| moved);
    }
    let start = offset.read()?;
    let (result, end) = match do_sendfile(context, out_fd, in_fd, Some(start as u64), count) {
        Ok((moved, end)) => (Ok(moved), end),
        Err(error) => (Err(error), start as u64),
    };
    offset.write(&(end as i64))?;
    result
}

/// Checks both files for copy_file_range (`generic_file_rw_checks` and the filesystem check of
/// `generic_copy_file_checks`).
fn copy_checks(input: &OpenFile, output: &OpenFile) -> Result<(), Errno> {
    let (in_meta, out_meta) = (input.ops.metadata(), output.ops.metadata());
    let kind = |file: &OpenFile, meta: &vfs::Metadata| {
        if file.ops.is_anon_inode() {
            None
        } else {
            Some(meta.file_type)
        }
    };
    let (in_kind, out_kind) = (kind(input, &in_meta), kind(output, &out_meta));
    if in_kind == Some(FileType::Directory) || out_kind == Some(FileType::Directory) {
        return Err(Errno::EISDIR);
    }
    if in_kind != Some(FileType::Regular) || out_kind != Some(FileType::Regular) {
        return Err(Errno::EINVAL);
    }
    if !input.is_readable()
        || !output.is_writable()
        || output.status_flags().contains(OpenFlags::O_APPEND)
    {
        return Err(Errno::EBADF);
    }
    if in_meta.dev != out_meta.dev {
        return Err(Errno::EXDEV);
    }
    Ok(())
}

fn same_inode(a: &OpenFile, b: &OpenFile) -> bool {
    match (a.ops.inode(), b.ops.inode()) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

pub fn copy_file_range(
    context: &mut SyscallContext<'_>,
    in_fd: Fd,
    in_offset: UserPtr<i64>,
    out_fd: Fd,
    out_offset: UserPtr<i64>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    let result = copy_file_range_inner(context, in_fd, in_offset, out_fd, out_offset, len, flags);
    super::read_write::notify_copy(context, in_fd, out_fd, &result);
    result
}

fn copy_file_range_inner(
    context: &mut SyscallContext<'_>,
    in_fd: Fd,
    in_offset: UserPtr<i64>,
    out_fd: Fd,
    out_offset: UserPtr<i64>,
    len: usize,
    flags: u32,
) -> SyscallResult {
    let input = super::read_write::file(context, in_fd)?;
    let output = super::read_write::file(context, out_fd)?;
    if input.is_path_only() || output.is_path_only() {
        return Err(Errno::EBADF);
    }
    let mut pos_in = if in_offset.is_null() {
        input.position() as i64
    } else {
        in_offset.read()?
    };
    let mut pos_out = if out_offset.is_null() {
        output.position() as i64
    } else {
        out_offset.read()?
    };
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    copy_checks(&input, &output)?;
    // Linux compares these as unsigned 64-bit sums: a negative offset wraps.
    let mut count = len as u64;
    if (pos_in as u64).checked_add(count).is_none() || (pos_out as u64).checked_add(count).is_none()
    {
        return Err(Errno::EOVERFLOW);
    }
    // Shorten to the input's end.
    let size_in = input.ops.metadata().size as i64;
    count = if pos_in >= size_in {
        0
    } else {
        count.min((size_in - pos_in) as u64)
    };
    // generic_write_check_limits.
    if pos_out >= MAX_FILE_SIZE as i64 {
        return Err(Errno::EFBIG);
    }
    if pos_out >= 0 {
        count = count.min(MAX_FILE_SIZE - pos_out as u64);
    }
    if same_inode(&input, &output)
        && (pos_out as u64).wrapping_add(count) > pos_in as u64
        && (pos_out as u64) < (pos_in as u64).wrapping_add(count)
    {
        return Err(Errno::EINVAL);
    }
    // rw_verify_area for both.
    if pos_in < 0 || pos_out < 0 {
        return Err(Errno::EINVAL);
    }
    if count == 0 {
        return Ok(0);
    }
    let (mut new_in, mut new_out) = (pos_in as u64, pos_out as u64);
    let moved = splice_direct(
        &input,
        &mut new_in,
        &output,
        &mut new_out,
        count.min(MAX_RW_COUNT),
        true,
    )?;
    if moved == 0 {
        return Ok(0);
    }
    pos_in += moved as i64;
    pos_out += moved as i64;
    let mut result = Ok(moved);
    if in_offset.is_null() {
        input.set_position(pos_in as u64);
    } else if in_offset.write(&pos_in).is_err() {
        result = Err(Errno::EFAULT);
    }
    if out_offset.is_null() {
        output.set_position(pos_out as u64);
    } else if out_offset.write(&pos_out).is_err() {
        result = Err(Errno::EFAULT);
    }
    result
}
