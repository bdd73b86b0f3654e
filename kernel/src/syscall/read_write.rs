//! read, write, readv, writev, pread64, pwrite64, preadv, pwritev, lseek (Linux
//! `fs/read_write.c`).
//!
//! Files with a page cache (tmpfs regular files) copy between user memory and the cached pages
//! directly, with no lock of the cache held (a fault in the copy may map a page of the same
//! file). Other files move data through a kernel bounce buffer in chunks, so no lock is held
//! while user memory is touched (a user page fault may need the address-space lock). Linux caps one transfer at
//! `MAX_RW_COUNT` (2 GiB minus a page); a fault part-way returns the bytes done so far.

use super::args::{Fd, UserPtr};
use super::{SyscallContext, SyscallResult};
use crate::fs::file::OpenFile;
use abi::{Errno, Iovec, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use vfs::{Inode, PageSlice};

const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Largest bounce buffer: one block of contiguous frames from the heap (its limit for
/// direct-mapped blocks), never a vmalloc range, whose pages would be mapped and unmapped (with
/// a TLB flush each) on every call.
const CHUNK: usize = hal::mm::heap::MAX_BLOCK_BYTES;
const IOV_MAX: i32 = abi::raw::general::UIO_MAXIOV as i32;

/// `/proc/<pid>/io`: a read-like call and the bytes it returned (`rchar`, `syscr`).
fn account_read(context: &SyscallContext<'_>, result: &SyscallResult) {
    let stats = &context.thread.process.stats;
    stats.read_calls.fetch_add(1, Ordering::Relaxed);
    if let Ok(count) = result {
        stats.read_bytes.fetch_add(*count as u64, Ordering::Relaxed);
    }
}

/// inotify: a read that returned data is `IN_ACCESS`, a write that took some `IN_MODIFY`
/// (`fsnotify_access`/`fsnotify_modify` in `vfs_read`/`vfs_write`).
fn notify_transfer(context: &SyscallContext<'_>, fd: Fd, result: &SyscallResult, mask: u32) {
    if matches!(result, Ok(count) if *count > 0)
        && crate::fs::notify::is_active()
        && let Ok(file) = file(context, fd)
    {
        crate::fs::notify::file_event(&file, mask);
    }
}

/// inotify for a copy between two files that moved data (sendfile, copy_file_range):
/// `IN_ACCESS` on the source, `IN_MODIFY` on the destination, after the `IN_MODIFY` of the
/// write into a regular destination file (Linux's `do_splice_direct` writes it with
/// `vfs_iter_write`, which reports it first).
pub(super) fn notify_copy(
    context: &SyscallContext<'_>,
    in_fd: Fd,
    out_fd: Fd,
    result: &SyscallResult,
) {
    if matches!(result, Ok(count) if *count > 0)
        && crate::fs::notify::is_active()
        && let Ok(file) = file(context, out_fd)
        && file.cached_inode().is_some()
    {
        crate::fs::notify::file_event(&file, inotify::IN_MODIFY);
    }
    notify_transfer(context, in_fd, result, inotify::IN_ACCESS);
    notify_transfer(context, out_fd, result, inotify::IN_MODIFY);
}

/// `/proc/<pid>/io`: a write-like call and the bytes it took (`wchar`, `syscw`).
fn account_write(context: &SyscallContext<'_>, result: &SyscallResult) {
    let stats = &context.thread.process.stats;
    stats.write_calls.fetch_add(1, Ordering::Relaxed);
    if let Ok(count) = result {
        stats
            .written_bytes
            .fetch_add(*count as u64, Ordering::Relaxed);
    }
}

pub fn file(context: &SyscallContext<'_>, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    context.thread.process.files.get().lock().get(fd.0)
}

/// Transfers up to this many bytes bounce through a buffer on the stack instead of the heap
/// (byte-wise reads and writes, eventfd counters, small pipe messages).
const STACK_BOUNCE: usize = 128;

fn bounce_buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut buffer = Vec::new();
    hal::mm::heap::user_data(|| buffer.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
    buffer.resize(len, 0);
    Ok(buffer)
}

/// Reads into user memory with `read_some(kernel_buffer, done, deliver) -> count`, where
/// `deliver` copies the bytes read to user memory.
fn read_into_user(
    address: u64,
    count: usize,
    mut read_some: impl FnMut(
        &mut [u8],
        usize,
        &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno>,
) -> SyscallResult {
    let count = count.min(MAX_RW_COUNT);
    let mut on_stack = [0u8; STACK_BOUNCE];
    let mut on_heap;
    let buffer = if count <= STACK_BOUNCE {
        &mut on_stack[..count]
    } else {
        on_heap = bounce_buffer(count.min(CHUNK))?;
        on_heap.as_mut_slice()
    };
    let mut done = 0;
    loop {
        let want = (count - done).min(buffer.len());
        let target = address + done as u64;
        let mut deliver = |bytes: &[u8]| hal::usercopy::copy_to_user(target, bytes);
        let got = match read_some(&mut buffer[..want], done, &mut deliver) {
            Ok(got) => got,
            Err(error) if done == 0 => return Err(error),
            Err(_) => return Ok(done),
        };
        done += got;
        // Streams return what they have; only regular files fill the whole request.
        if got < want || done == count {
            return Ok(done);
        }
    }
}

/// Writes from user memory with `write_some(kernel_buffer, done) -> count`.
fn write_from_user(
    address: u64,
    count: usize,
    mut write_some: impl FnMut(&[u8], usize) -> Result<usize, Errno>,
) -> SyscallResult {
    let count = count.min(MAX_RW_COUNT);
    let mut on_stack = [0u8; STACK_BOUNCE];
    let mut on_heap;
    let buffer = if count <= STACK_BOUNCE {
        &mut on_stack[..count]
    } else {
        on_heap = bounce_buffer(count.min(CHUNK))?;
        on_heap.as_mut_slice()
    };
    let mut done = 0;
    loop {
        let want = (count - done).min(buffer.len());
        if let Err(error) =
            hal::usercopy::copy_from_user(&mut buffer[..want], address + done as u64)
        {
            return if done == 0 { Err(error) } else { Ok(done) };
        }
        let written = match write_some(&buffer[..want], done) {
            Ok(written) => written,
            Err(error) if done == 0 => return Err(error),
            Err(_) => return Ok(done),
        };
        done += written;
        if written < want || done == count {
            return Ok(done);
        }
    }
}

/// Copies file bytes at `offset` from the page cache of `inode` straight to user memory at
/// `address` (Linux's `filemap_read`): no bounce buffer, no lock held across the copy. A fault
/// part-way returns the bytes copied before it. The access time is touched afterwards, under
/// the atime rules of the file's mount (`file_accessed`).
fn read_cached(
    file: &OpenFile,
    inode: &Arc<dyn Inode>,
    offset: u64,
    address: u64,
    count: usize,
) -> SyscallResult {
    let count = count.min(MAX_RW_COUNT);
    check_direct(file, Some(offset), [(address, count)])?;
    let mut done = 0usize;
    let result = inode.read_pages(offset, count, &mut |piece| {
        let target = address + done as u64;
        match piece {
            PageSlice::Frame { frame, offset, len } => {
                hal::usercopy::copy_frame_to_user(target, frame, offset, len)?;
                done += len;
            }
            PageSlice::Zeros(len) => {
                hal::usercopy::clear_user(target, len)?;
                done += len;
            }
        }
        Ok(())
    });
    file.accessed();
    result
}

/// Copies user memory at `address` straight into the page cache of `inode` at `offset`
/// (Linux's `generic_perform_write`); a fault part-way returns the bytes written before it.
/// With `O_DIRECT` (ext4's), the transfer must be aligned and the data is written back before
/// the call returns.
fn write_cached(
    file: &OpenFile,
    inode: &Arc<dyn Inode>,
    offset: u64,
    address: u64,
    count: usize,
) -> SyscallResult {
    let is_direct = file.status_flags().contains(OpenFlags::O_DIRECT);
    if is_direct {
        check_direct(file, Some(offset), [(address, count)])?;
    }
    let count = crate::process::rlimit::limit_file_write(offset, count.min(MAX_RW_COUNT))?;
    // File pages hold user data: they must not take the kernel's memory reserve.
    let written = hal::mm::heap::user_data(|| {
        inode.write_pages(offset, count, &mut |frame, in_page, len, done| {
            hal::usercopy::copy_user_to_frame(frame, in_page, address + done as u64, len)
        })
    })?;
    if is_direct && written > 0 {
        inode.write_back_data()?;
    }
    Ok(written)
}

/// `O_DIRECT` on a file whose transfers must be aligned (a block device): `EINVAL` when the
/// position or the length of a nonempty buffer is not a multiple of the logical block size, or
/// a buffer's address not one of the DMA alignment (`blkdev_dio_unaligned` with
/// `iov_iter_aligned`). `position`: `None` for the file's own. Checked before the transfer, so
/// a read at the end of the device with an unaligned buffer is `EINVAL` where Linux returns 0.
fn check_direct(
    file: &OpenFile,
    position: Option<u64>,
    buffers: impl IntoIterator<Item = (u64, usize)>,
) -> Result<(), Errno> {
    if !file.status_flags().contains(OpenFlags::O_DIRECT) {
        return Ok(());
    }
    let Some(alignment) = file.ops.direct_io_alignment() else {
        return Ok(());
    };
    let mut lengths = position.unwrap_or_else(|| file.position());
    let mut addresses = 0;
    for (address, len) in buffers {
        if len != 0 {
            lengths |= len as u64;
            addresses |= address;
        }
    }
    if lengths & (u64::from(alignment.block.max(1)) - 1) != 0
        || addresses & (u64::from(alignment.address.max(1)) - 1) != 0
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The buffers of `vectors` as `(address, length)` pairs.
fn buffers(vectors: &[Iovec]) -> impl Iterator<Item = (u64, usize)> + '_ {
    vectors
        .iter()
        .map(|vector| (vector.iov_base, vector.iov_len as usize))
}

/// The offset a positioned write goes to: the end of the file with O_APPEND (Linux appends
/// even for `pwrite`), else `offset`.
fn write_offset(file: &OpenFile, offset: u64) -> u64 {
    if file.status_flags().contains(OpenFlags::O_APPEND) {
        file.ops.metadata().size
    } else {
        offset
    }
}

pub fn read(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
) -> SyscallResult {
    let result = read_inner(context, fd, buf, count);
    account_read(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_ACCESS);
    result
}

fn read_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
) -> SyscallResult {
    let file = file(context, fd)?;
    if !file.is_readable() {
        return Err(Errno::EBADF);
    }
    crate::fs::fanotify::access_perm(&file)?;
    if file.ops.as_socket().is_some() {
        return super::socket::read_socket(&file, single_vector(buf.address, count)?);
    }
    // Streams decide what a zero-length read means (eventfd: EINVAL).
    if count == 0 && file.ops.is_seekable() {
        return Ok(0);
    }
    if let Some(inode) = file.cached_inode() {
        return file.at_position(false, |position| {
            read_cached(&file, inode, position, buf.address, count)
        });
    }
    check_direct(&file, None, [(buf.address, count)])?;
    read_into_user(buf.address, count, |chunk, done, deliver| {
        file.read_and_deliver(chunk, done > 0, deliver)
    })
}

pub fn write(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
) -> SyscallResult {
    let result = write_inner(context, fd, buf, count);
    account_write(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_MODIFY);
    result
}

fn write_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
) -> SyscallResult {
    let file = file(context, fd)?;
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    if file.ops.as_socket().is_some() {
        return super::socket::write_socket(context, &file, single_vector(buf.address, count)?);
    }
    if count == 0 && file.ops.is_seekable() {
        return Ok(0);
    }
    if let Some(inode) = file.cached_inode() {
        let is_append = file.status_flags().contains(OpenFlags::O_APPEND);
        return file.at_position(is_append, |position| {
            write_cached(&file, inode, position, buf.address, count)
        });
    }
    check_direct(&file, None, [(buf.address, count)])?;
    write_from_user(buf.address, count, |chunk, _| file.write(chunk))
}

pub fn pread64(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
    offset: i64,
) -> SyscallResult {
    let result = pread64_inner(context, fd, buf, count, offset);
    account_read(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_ACCESS);
    result
}

fn pread64_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
    offset: i64,
) -> SyscallResult {
    let file = file(context, fd)?;
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    if !file.is_readable() {
        return Err(Errno::EBADF);
    }
    crate::fs::fanotify::access_perm(&file)?;
    if !file.ops.is_seekable() {
        return Err(Errno::ESPIPE);
    }
    if count == 0 {
        return Ok(0);
    }
    if let Some(inode) = file.cached_inode() {
        return read_cached(&file, inode, offset as u64, buf.address, count);
    }
    check_direct(&file, Some(offset as u64), [(buf.address, count)])?;
    read_into_user(buf.address, count, |chunk, done, deliver| {
        let got = file.read_at(offset as u64 + done as u64, chunk)?;
        deliver(&chunk[..got])?;
        Ok(got)
    })
}

pub fn pwrite64(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
    offset: i64,
) -> SyscallResult {
    let result = pwrite64_inner(context, fd, buf, count, offset);
    account_write(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_MODIFY);
    result
}

fn pwrite64_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    buf: UserPtr<u8>,
    count: usize,
    offset: i64,
) -> SyscallResult {
    let file = file(context, fd)?;
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    if !file.ops.is_seekable() {
        return Err(Errno::ESPIPE);
    }
    if count == 0 {
        return Ok(0);
    }
    if let Some(inode) = file.cached_inode() {
        return write_cached(
            &file,
            inode,
            write_offset(&file, offset as u64),
            buf.address,
            count,
        );
    }
    check_direct(&file, Some(offset as u64), [(buf.address, count)])?;
    write_from_user(buf.address, count, |chunk, done| {
        file.write_at(offset as u64 + done as u64, chunk)
    })
}

/// One user buffer as a vector list (capped at `MAX_RW_COUNT`).
fn single_vector(address: u64, count: usize) -> Result<Vec<Iovec>, Errno> {
    let mut vectors = Vec::new();
    vectors.try_reserve_exact(1).map_err(|_| Errno::ENOMEM)?;
    vectors.push(Iovec {
        iov_base: address,
        iov_len: count.min(MAX_RW_COUNT) as u64,
    });
    Ok(vectors)
}

pub(super) fn read_iovecs(iov: UserPtr<Iovec>, count: i32) -> Result<Vec<Iovec>, Errno> {
    if !(0..=IOV_MAX).contains(&count) {
        return Err(Errno::EINVAL);
    }
    let mut vectors = Vec::new();
    vectors
        .try_reserve_exact(count as usize)
        .map_err(|_| Errno::ENOMEM)?;
    let mut total: u64 = 0;
    for i in 0..count as u64 {
        let vector: Iovec = iov.offset(i).read()?;
        if vector.iov_len as i64 > isize::MAX as i64 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(vector.iov_len).ok_or(Errno::EINVAL)?;
        if total > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        vectors.push(vector);
    }
    Ok(vectors)
}

/// Runs `transfer(vector, total_so_far)` over `vectors` in order, as Linux's
/// `do_loop_readv_writev`: empty vectors are skipped, a short transfer ends the loop, and an
/// error ends it too, reported only when nothing was transferred before.
fn for_each_vector(
    vectors: &[Iovec],
    mut transfer: impl FnMut(&Iovec, usize) -> Result<usize, Errno>,
) -> SyscallResult {
    let mut total = 0;
    for vector in vectors.iter().filter(|vector| vector.iov_len != 0) {
        match transfer(vector, total) {
            Ok(done) => {
                total += done;
                if done < vector.iov_len as usize {
                    break;
                }
            }
            Err(error) if total == 0 => return Err(error),
            Err(_) => break,
        }
    }
    Ok(total)
}

pub fn readv(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
) -> SyscallResult {
    let result = readv_inner(context, fd, iov, count, 0);
    account_read(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_ACCESS);
    result
}

fn readv_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    rwf: u32,
) -> SyscallResult {
    let file = file(context, fd)?;
    if !file.is_readable() {
        return Err(Errno::EBADF);
    }
    crate::fs::fanotify::access_perm(&file)?;
    let vectors = read_iovecs(iov, count)?;
    let Some(extra) = rw_flags(&file, &vectors, rwf, false)? else {
        return Ok(0);
    };
    if file.ops.as_socket().is_some() {
        return super::socket::read_socket(&file, vectors);
    }
    if let Some(inode) = file.cached_inode() {
        return file.at_position(false, |position| {
            for_each_vector(&vectors, |vector, total| {
                read_cached(
                    &file,
                    inode,
                    position + total as u64,
                    vector.iov_base,
                    vector.iov_len as usize,
                )
            })
        });
    }
    check_direct(&file, None, buffers(&vectors))?;
    for_each_vector(&vectors, |vector, total| {
        read_into_user(
            vector.iov_base,
            vector.iov_len as usize,
            |chunk, done, deliver| {
                file.read_and_deliver_with(chunk, total > 0 || done > 0, extra, deliver)
            },
        )
    })
}

pub fn writev(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
) -> SyscallResult {
    let result = writev_inner(context, fd, iov, count, 0);
    account_write(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_MODIFY);
    result
}

fn writev_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    rwf: u32,
) -> SyscallResult {
    let file = file(context, fd)?;
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    let vectors = read_iovecs(iov, count)?;
    let Some(extra) = rw_flags(&file, &vectors, rwf, true)? else {
        return Ok(0);
    };
    if file.ops.as_socket().is_some() {
        return super::socket::write_socket(context, &file, vectors);
    }
    if let Some(inode) = file.cached_inode() {
        let is_append = (file.status_flags() | extra).contains(OpenFlags::O_APPEND);
        return file.at_position(is_append, |position| {
            for_each_vector(&vectors, |vector, total| {
                write_cached(
                    &file,
                    inode,
                    position + total as u64,
                    vector.iov_base,
                    vector.iov_len as usize,
                )
            })
        });
    }
    check_direct(&file, None, buffers(&vectors))?;
    for_each_vector(&vectors, |vector, _| {
        write_from_user(vector.iov_base, vector.iov_len as usize, |chunk, _| {
            file.write_with(chunk, extra)
        })
    })
}

pub fn lseek(context: &mut SyscallContext<'_>, fd: Fd, offset: i64, whence: u32) -> SyscallResult {
    let file = file(context, fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    file.seek(offset, whence).map(|position| position as usize)
}

/// `preadv(2)` (`do_preadv`): like `pread64` over an iovec array; the position is `pos_low`
/// (x86-64 passes the whole offset there; the high word is ignored).
pub fn preadv(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    pos_low: i64,
    _pos_high: i64,
) -> SyscallResult {
    let result = preadv_inner(context, fd, iov, count, pos_low, 0);
    account_read(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_ACCESS);
    result
}

fn preadv_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    pos_low: i64,
    rwf: u32,
) -> SyscallResult {
    if pos_low < 0 {
        return Err(Errno::EINVAL);
    }
    let file = file(context, fd)?;
    if !file.ops.is_seekable() {
        return Err(Errno::ESPIPE);
    }
    let vectors = read_iovecs(iov, count)?;
    if !file.is_readable() {
        return Err(Errno::EBADF);
    }
    crate::fs::fanotify::access_perm(&file)?;
    if rw_flags(&file, &vectors, rwf, false)?.is_none() {
        return Ok(0);
    }
    if let Some(inode) = file.cached_inode() {
        return for_each_vector(&vectors, |vector, total| {
            let base = pos_low as u64 + total as u64;
            read_cached(&file, inode, base, vector.iov_base, vector.iov_len as usize)
        });
    }
    check_direct(&file, Some(pos_low as u64), buffers(&vectors))?;
    for_each_vector(&vectors, |vector, total| {
        let base = pos_low as u64 + total as u64;
        read_into_user(
            vector.iov_base,
            vector.iov_len as usize,
            |chunk, done, deliver| {
                let got = file.read_at(base + done as u64, chunk)?;
                deliver(&chunk[..got])?;
                Ok(got)
            },
        )
    })
}

/// `pwritev(2)` (`do_pwritev`).
pub fn pwritev(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    pos_low: i64,
    _pos_high: i64,
) -> SyscallResult {
    let result = pwritev_inner(context, fd, iov, count, pos_low, 0);
    account_write(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_MODIFY);
    result
}

fn pwritev_inner(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    pos_low: i64,
    rwf: u32,
) -> SyscallResult {
    if pos_low < 0 {
        return Err(Errno::EINVAL);
    }
    let file = file(context, fd)?;
    if !file.ops.is_seekable() {
        return Err(Errno::ESPIPE);
    }
    let vectors = read_iovecs(iov, count)?;
    if !file.is_writable() {
        return Err(Errno::EBADF);
    }
    let Some(extra) = rw_flags(&file, &vectors, rwf, true)? else {
        return Ok(0);
    };
    if let Some(inode) = file.cached_inode() {
        let start = if extra.contains(OpenFlags::O_APPEND) {
            file.ops.metadata().size
        } else {
            write_offset(&file, pos_low as u64)
        };
        return for_each_vector(&vectors, |vector, total| {
            let base = start + total as u64;
            write_cached(&file, inode, base, vector.iov_base, vector.iov_len as usize)
        });
    }
    check_direct(&file, Some(pos_low as u64), buffers(&vectors))?;
    for_each_vector(&vectors, |vector, total| {
        let base = pos_low as u64 + total as u64;
        write_from_user(vector.iov_base, vector.iov_len as usize, |chunk, done| {
            file.write_at(base + done as u64, chunk)
        })
    })
}

/// preadv2/pwritev2's per-call flags (`RWF_*`, `include/uapi/linux/fs.h`).
const RWF_NOWAIT: u32 = 0x08;
const RWF_APPEND: u32 = 0x10;
/// `RWF_SUPPORTED`: HIPRI, DSYNC, SYNC, NOWAIT, APPEND.
const RWF_SUPPORTED: u32 = 0x1f;

/// `kiocb_set_rw_flags` after `do_iter_read`/`do_iter_write`'s empty check: `None` when the
/// vectors hold nothing (the call returns 0 whatever the flags), otherwise the status flags
/// `rwf` adds for this call. Unknown flags are `EOPNOTSUPP`, as is `RWF_NOWAIT` on a file
/// without `FMODE_NOWAIT`: in 6.1 tmpfs files and pipes do not have it (checked), sockets,
/// block devices and disk filesystems' files do. Not done: `RWF_NOWAIT` on sockets (Linux
/// reads and writes with `MSG_DONTWAIT`; here it is still `EOPNOTSUPP`). `RWF_APPEND` writes at the end; `RWF_HIPRI` (polling for direct I/O) and
/// `RWF_DSYNC`/`RWF_SYNC` (the data is in memory, and synced once written) change nothing
/// here.
fn rw_flags(
    file: &OpenFile,
    vectors: &[Iovec],
    rwf: u32,
    is_write: bool,
) -> Result<Option<OpenFlags>, Errno> {
    if vectors.iter().all(|vector| vector.iov_len == 0) {
        return Ok(None);
    }
    kiocb_rw_flags(file, rwf, is_write).map(Some)
}

/// `kiocb_set_rw_flags` itself (AIO calls it whatever the buffers hold): the status flags
/// `rwf` adds, or `EOPNOTSUPP` (see [`rw_flags`]).
pub(super) fn kiocb_rw_flags(
    file: &OpenFile,
    rwf: u32,
    is_write: bool,
) -> Result<OpenFlags, Errno> {
    if rwf & !RWF_SUPPORTED != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut extra = OpenFlags::empty();
    if rwf & RWF_NOWAIT != 0 {
        if !supports_nowait(file) {
            return Err(Errno::EOPNOTSUPP);
        }
        extra |= OpenFlags::O_NONBLOCK;
    }
    if is_write && rwf & RWF_APPEND != 0 {
        extra |= OpenFlags::O_APPEND;
    }
    Ok(extra)
}

/// Whether `file` has `FMODE_NOWAIT` and honours it (see [`rw_flags`]): none of Ferrux's
/// files yet.
fn supports_nowait(_file: &OpenFile) -> bool {
    false
}

/// `preadv2(2)`: preadv at `pos_low`, or readv at the file's position when it is -1, with
/// per-call `RWF_*` flags ([`rw_flags`]); other negative positions are `EINVAL`.
pub fn preadv2(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    pos_low: i64,
    _pos_high: i64,
    rwf: u32,
) -> SyscallResult {
    let result = if pos_low == -1 {
        readv_inner(context, fd, iov, count, rwf)
    } else {
        preadv_inner(context, fd, iov, count, pos_low, rwf)
    };
    account_read(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_ACCESS);
    result
}

/// `pwritev2(2)`: pwritev at `pos_low`, or writev at the file's position when it is -1.
pub fn pwritev2(
    context: &mut SyscallContext<'_>,
    fd: Fd,
    iov: UserPtr<Iovec>,
    count: i32,
    pos_low: i64,
    _pos_high: i64,
    rwf: u32,
) -> SyscallResult {
    let result = if pos_low == -1 {
        writev_inner(context, fd, iov, count, rwf)
    } else {
        pwritev_inner(context, fd, iov, count, pos_low, rwf)
    };
    account_write(context, &result);
    notify_transfer(context, fd, &result, inotify::IN_MODIFY);
    result
}

/// The transfer of one AIO read or write (`aio_read`/`aio_write` after their checks): at
/// `position` on a seekable file without moving the file position (the end of the file with
/// `O_APPEND`), at the stream on others, with the `extra` status flags of its `RWF_*`.
pub(super) fn aio_transfer(
    context: &mut SyscallContext<'_>,
    file: &Arc<OpenFile>,
    vectors: Vec<Iovec>,
    position: u64,
    extra: OpenFlags,
    is_write: bool,
) -> SyscallResult {
    if file.ops.as_socket().is_some() {
        return if is_write {
            super::socket::write_socket(context, file, vectors)
        } else {
            super::socket::read_socket(file, vectors)
        };
    }
    let is_append = (file.status_flags() | extra).contains(OpenFlags::O_APPEND);
    if !file.ops.is_seekable() {
        return for_each_vector(&vectors, |vector, total| {
            if is_write {
                write_from_user(vector.iov_base, vector.iov_len as usize, |chunk, _| {
                    file.write_with(chunk, extra)
                })
            } else {
                read_into_user(
                    vector.iov_base,
                    vector.iov_len as usize,
                    |chunk, done, deliver| {
                        file.read_and_deliver_with(chunk, total > 0 || done > 0, extra, deliver)
                    },
                )
            }
        });
    }
    if let Some(inode) = file.cached_inode() {
        let start = match (is_write, is_append) {
            (true, true) => file.ops.metadata().size,
            (true, false) => write_offset(file, position),
            (false, _) => position,
        };
        return for_each_vector(&vectors, |vector, total| {
            let base = start + total as u64;
            if is_write {
                write_cached(file, inode, base, vector.iov_base, vector.iov_len as usize)
            } else {
                read_cached(file, inode, base, vector.iov_base, vector.iov_len as usize)
            }
        });
    }
    for_each_vector(&vectors, |vector, total| {
        let base = position + total as u64;
        if is_write {
            write_from_user(vector.iov_base, vector.iov_len as usize, |chunk, done| {
                file.write_at(base + done as u64, chunk)
            })
        } else {
            read_into_user(
                vector.iov_base,
                vector.iov_len as usize,
                |chunk, done, deliver| {
                    let got = file.read_at(base + done as u64, chunk)?;
                    deliver(&chunk[..got])?;
                    Ok(got)
                },
            )
        }
    })
}

/// One user buffer as an AIO vector (`import_single_range`): at most `MAX_RW_COUNT` bytes,
/// `EFAULT` for a range outside user space.
pub(super) fn aio_single_vector(address: u64, count: usize) -> Result<Vec<Iovec>, Errno> {
    if address
        .checked_add(count as u64)
        .is_none_or(|end| end > hal::mm::USER_END)
    {
        return Err(Errno::EFAULT);
    }
    single_vector(address, count)
}

/// An AIO vector array (`import_iovec`): `read_iovecs`' rules, and `EFAULT` for a vector
/// outside user space.
pub(super) fn aio_vectors(address: u64, count: u64) -> Result<Vec<Iovec>, Errno> {
    let count = i32::try_from(count).map_err(|_| Errno::EINVAL)?;
    let vectors = read_iovecs(UserPtr::new(address), count)?;
    if vectors.iter().any(|vector| {
        vector
            .iov_base
            .checked_add(vector.iov_len)
            .is_none_or(|end| end > hal::mm::USER_END)
    }) {
        return Err(Errno::EFAULT);
    }
    Ok(vectors)
}
