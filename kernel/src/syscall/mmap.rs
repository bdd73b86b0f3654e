//! mmap, munmap, mprotect, brk (Linux `mm/mmap.c`, `mm/mprotect.c`).
//!
//! Anonymous mappings (private and shared) and private file mappings are supported. Shared file
//! mappings work read-only: pages are read from the file on first touch, but without a page
//! cache later writes to the file are not seen and the mapping cannot become writable
//! (`ENODEV` at mmap, `EACCES` at mprotect). Pages wholly past the end of a mapped file raise
//! SIGBUS, as Linux's filemap fault.
//!
//! `RLIMIT_AS` and `RLIMIT_DATA` are enforced as Linux's `may_expand_vm`: mmap answers ENOMEM
//! and brk keeps the old break. mprotect making a mapping writable is not checked against
//! `RLIMIT_DATA` yet.

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use crate::mm::address_space::{MMAP_MIN_ADDR, MemoryLimits, is_data_mapping};
use crate::mm::vma::VmaKind;
use crate::mm::{Backing, PAGE_SIZE, Protection, Vma, page_align_up};
use crate::process::Process;
use crate::process::rlimit::{RLIMIT_AS, RLIMIT_DATA};
use abi::Errno;

const PROT_MASK: u64 = 0x7;
const PROT_GROWSDOWN: u64 = 0x0100_0000;
const PROT_GROWSUP: u64 = 0x0200_0000;
const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
/// Flags MAP_SHARED_VALIDATE accepts (Linux's `LEGACY_MAP_MASK`).
const LEGACY_MAP_MASK: u64 = 0x0100
    | 0x0800
    | 0x1000
    | 0x2000
    | 0x4000
    | 0x8000
    | 0x1_0000
    | 0x2_0000
    | 0x4_0000
    | 0x10
    | 0x20
    | 0x3;

pub fn mmap(
    context: &mut SyscallContext<'_>,
    addr: u64,
    len: u64,
    prot: u64,
    flags: u64,
    fd: Fd,
    offset: u64,
) -> SyscallResult {
    // A file mapping looks its descriptor up first (EBADF wins over bad flags, as in Linux).
    let file = if flags & MAP_ANONYMOUS == 0 {
        Some(super::read_write::file(context, fd)?)
    } else {
        None
    };
    let map_type = flags & MAP_TYPE;
    if !matches!(map_type, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    if map_type == MAP_SHARED_VALIDATE && flags & !LEGACY_MAP_MASK & !MAP_FIXED_NOREPLACE != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if !offset.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_align_up(len)
        .filter(|&len| len <= hal::mm::USER_END)
        .ok_or(Errno::ENOMEM)?;
    if offset.checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    let protection = Protection::from_prot_bits(prot);
    let is_shared = map_type != MAP_PRIVATE;
    let is_private_writable = !is_shared && protection.is_writable;
    if (flags & MAP_ANONYMOUS != 0 || is_private_writable) && !crate::mm::may_commit(len) {
        return Err(Errno::ENOMEM);
    }
    let backing = match file {
        None if is_shared => Backing::SharedAnonymous {
            pages: alloc::sync::Arc::new(crate::mm::vma::SharedPages::default()),
            offset_pages: 0,
        },
        None => Backing::Anonymous,
        Some(file) => {
            if file.is_path_only() {
                return Err(Errno::EBADF);
            }
            let inode = file.ops.inode().cloned().ok_or(Errno::ENODEV)?;
            if !inode.metadata().file_type.eq(&vfs::FileType::Regular) {
                return Err(Errno::ENODEV);
            }
            if !file.is_readable() || (is_shared && protection.is_writable && !file.is_writable()) {
                return Err(Errno::EACCES);
            }
            if is_shared && protection.is_writable {
                log::warn!("mmap: writable shared file mappings are not supported yet: ENODEV");
                return Err(Errno::ENODEV);
            }
            Backing::File {
                inode,
                offset,
                file_end: u64::MAX,
                is_sigbus_past_eof: true,
            }
        }
    };

    let limits = memory_limits(&context.thread.process);
    let is_data = is_data_mapping(protection, is_shared, VmaKind::Normal);
    let mm_shared = context.thread.process.mm.get();

    let mut mm = mm_shared.write();
    let start = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let end = addr
            .checked_add(len)
            .filter(|&end| end <= hal::mm::USER_END)
            .ok_or(Errno::ENOMEM)?;
        if addr < MMAP_MIN_ADDR {
            return Err(Errno::EPERM);
        }
        if flags & MAP_FIXED == 0 && !mm.is_range_free(addr, end) {
            return Err(Errno::EEXIST);
        }
        if !mm.may_expand(limits, len, is_data, addr, end) {
            return Err(Errno::ENOMEM);
        }
        mm.unmap_range(addr, end);
        addr
    } else {
        let hint = addr & !(PAGE_SIZE - 1);
        let hint_fits = hint >= MMAP_MIN_ADDR
            && hint
                .checked_add(len)
                .is_some_and(|end| end <= hal::mm::USER_END && mm.is_range_free(hint, end));
        let start = if hint_fits {
            hint
        } else {
            mm.find_free_area(len).ok_or(Errno::ENOMEM)?
        };
        if !mm.may_expand(limits, len, is_data, 0, 0) {
            return Err(Errno::ENOMEM);
        }
        start
    };
    let backing = match backing {
        // The file's bytes start at `start`; reads past the end of the file give zeros.
        Backing::File { inode, offset, .. } => {
            let size = inode.metadata().size;
            let file_end = start + size.saturating_sub(offset).min(len);
            Backing::File {
                inode,
                offset,
                file_end,
                is_sigbus_past_eof: true,
            }
        }
        anonymous => anonymous,
    };
    mm.insert_vma(Vma {
        start,
        end: start + len,
        protection,
        is_shared,
        backing,
        kind: VmaKind::Normal,
    })?;
    Ok(start as usize)
}

pub fn munmap(context: &mut SyscallContext<'_>, addr: u64, len: u64) -> SyscallResult {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let end = page_align_up(len)
        .and_then(|len| addr.checked_add(len))
        .filter(|&end| end <= hal::mm::USER_END)
        .ok_or(Errno::EINVAL)?;
    context
        .thread
        .process
        .mm
        .get()
        .write()
        .unmap_range(addr, end);
    Ok(0)
}

pub fn mprotect(context: &mut SyscallContext<'_>, addr: u64, len: u64, prot: u64) -> SyscallResult {
    if !addr.is_multiple_of(PAGE_SIZE) || prot & !(PROT_MASK | PROT_GROWSDOWN | PROT_GROWSUP) != 0 {
        return Err(Errno::EINVAL);
    }
    if prot & PROT_GROWSDOWN != 0 && prot & PROT_GROWSUP != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let end = page_align_up(len)
        .and_then(|len| addr.checked_add(len))
        .ok_or(Errno::ENOMEM)?;
    if end > hal::mm::USER_END {
        return Err(Errno::ENOMEM);
    }
    context.thread.process.mm.get().write().protect_range(
        addr,
        end,
        Protection::from_prot_bits(prot),
    )?;
    Ok(0)
}

pub fn brk(context: &mut SyscallContext<'_>, addr: u64) -> SyscallResult {
    let limits = memory_limits(&context.thread.process);
    Ok(context
        .thread
        .process
        .mm
        .get()
        .write()
        .set_brk(addr, limits) as usize)
}

/// The process's `RLIMIT_AS` and `RLIMIT_DATA` soft limits.
pub fn memory_limits(process: &Process) -> MemoryLimits {
    let limits = process.limits.lock();
    let soft = |resource| limits.get(resource).map_or(u64::MAX, |limit| limit.soft);
    MemoryLimits {
        address_space: soft(RLIMIT_AS),
        data: soft(RLIMIT_DATA),
    }
}
