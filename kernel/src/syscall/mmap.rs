//! mmap, munmap, mprotect, brk (Linux `mm/mmap.c`, `mm/mprotect.c`).
//!
//! Anonymous mappings (private and shared) and file mappings. A file mapping maps the file's
//! page-cache pages: a shared one writes into them (the file's readers see the writes at once,
//! as on Linux), a private one maps them read-only and copies a page on its first write. Pages
//! wholly past the end of a mapped file raise SIGBUS, as Linux's filemap fault; a shared
//! writable mapping needs the file open for writing (`EACCES`, also at mprotect).
//!
//! `RLIMIT_AS` and `RLIMIT_DATA` are enforced as Linux's `may_expand_vm`: mmap answers ENOMEM
//! and brk keeps the old break. mprotect making a mapping writable is not checked against
//! `RLIMIT_DATA` yet.
//!
//! `vm.max_map_count` bounds the VMAs as Linux: mmap answers ENOMEM once a process has more
//! than the limit, and munmap, mprotect and `MAP_FIXED` answer ENOMEM when a split would need
//! room the limit does not leave (see `AddressSpace`).

use super::args::Fd;
use super::{SyscallContext, SyscallResult};
use crate::mm::address_space::RemapRequest;
use crate::mm::address_space::{MMAP_MIN_ADDR, MemoryLimits, is_data_mapping};
use crate::mm::vma::{VmaFlags, VmaKind};
use crate::mm::{Backing, PAGE_SIZE, Protection, Vma, page_align_up};
use crate::process::Process;
use crate::process::rlimit::{RLIMIT_AS, RLIMIT_DATA};
use abi::{Advice, Errno, MapFlags, MapType, MremapFlags, ProtFlags};
use alloc::vec::Vec;

/// The protection bits of an `unsigned long` prot argument: `mmap` looks only at the access
/// bits (`calc_vm_prot_bits`); the rest of the register is ignored.
fn access_protection(prot: u64) -> Protection {
    Protection::from_prot(
        ProtFlags::from_bits_truncate(prot as u32).intersection(ProtFlags::ACCESS),
    )
}

pub fn mmap(
    context: &mut SyscallContext<'_>,
    addr: u64,
    len: u64,
    prot: u64,
    raw_flags: u64,
    fd: Fd,
    offset: u64,
) -> SyscallResult {
    // `unsigned long flags`: bits above 31 are unknown flags like any other.
    let flags = MapFlags::from_bits_retain(raw_flags as u32);
    // A file mapping looks its descriptor up first (EBADF wins over bad flags, as in Linux).
    let file = if flags.contains(MapFlags::MAP_ANONYMOUS) {
        None
    } else {
        Some(super::read_write::file(context, fd)?)
    };
    let map_type = flags.map_type().ok_or(Errno::EINVAL)?;
    if map_type == MapType::SharedValidate {
        // Only file mappings validate (an anonymous one has no such type in 6.1: EINVAL);
        // every bit outside LEGACY_MAP_MASK, MAP_FIXED_NOREPLACE included, is EOPNOTSUPP.
        if file.is_none() {
            return Err(Errno::EINVAL);
        }
        if !flags.difference(MapFlags::LEGACY_MAP_MASK).is_empty() || raw_flags >> 32 != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
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
    let protection = access_protection(prot);
    let is_shared = map_type != MapType::Private;
    let is_private_writable = !is_shared && protection.is_writable;
    if (flags.contains(MapFlags::MAP_ANONYMOUS) || is_private_writable)
        && !crate::mm::may_commit(len)
    {
        return Err(Errno::ENOMEM);
    }
    let mut kind = VmaKind::Normal;
    let backing = match file {
        None if is_shared => {
            kind = VmaKind::SharedAnonymous;
            shared_anonymous(context, len, true)?
        }
        None => Backing::Anonymous,
        Some(file) => 'file: {
            if file.is_path_only() {
                return Err(Errno::EBADF);
            }
            if !file.is_readable() || (is_shared && protection.is_writable && !file.is_writable()) {
                return Err(Errno::EACCES);
            }
            // /dev/zero (`mmap_zero`): a private mapping is anonymous memory, a shared one a
            // shared anonymous mapping.
            if is_dev_zero(&file.metadata()) {
                if !is_shared {
                    break 'file Backing::Anonymous;
                }
                kind = VmaKind::SharedAnonymous;
                break 'file shared_anonymous(context, len, file.is_writable())?;
            }
            let inode = file.ops.inode().cloned().ok_or(Errno::ENODEV)?;
            if !inode.metadata().file_type.eq(&vfs::FileType::Regular) {
                return Err(Errno::ENODEV);
            }
            // A file sealed against writes takes no new shared writable mapping, and a shared
            // read-only one may not become writable later (`memfd_file_seals`' mmap check).
            let is_write_sealed = inode
                .seals()
                .is_ok_and(|seals| seals & vfs::tmpfs::seals::WRITE_SEALS != 0);
            if is_shared && is_write_sealed && protection.is_writable {
                return Err(Errno::EPERM);
            }
            if protection.is_executable && file.path.as_ref().is_some_and(|p| p.mnt().is_noexec()) {
                return Err(Errno::EPERM);
            }
            file.accessed();
            Backing::File {
                inode,
                offset,
                // Bytes past the end of the file read as zeros because the cache keeps a
                // partial last page's tail zeroed; pages wholly past it raise SIGBUS.
                file_end: u64::MAX,
                is_sigbus_past_eof: true,
                may_write_shared: file.is_writable() && !(is_shared && is_write_sealed),
                path: file.path.clone(),
            }
        }
    };

    let limits = memory_limits(&context.thread.process);
    // RLIMIT_MEMLOCK for a locked mapping, `None` for root (CAP_IPC_LOCK); asked only for a
    // locked mapping (under the mm lock, which comes before both locks).
    let lock_limit = || {
        let process = &context.thread.process;
        let is_privileged = process
            .credentials
            .lock()
            .has_capability(abi::capability::CAP_IPC_LOCK);
        let soft = process
            .limits
            .lock()
            .get(crate::process::rlimit::RLIMIT_MEMLOCK)
            .map_or(u64::MAX, |limit| limit.soft);
        (!is_privileged).then_some(soft)
    };
    let is_data = is_data_mapping(protection, is_shared, VmaKind::Normal);
    let mm_shared = context.thread.process.mm.get();
    if let Backing::File { inode, .. } = &backing
        && let Some(cache) = inode.page_cache()
    {
        // Truncation finds this address space through the file (its reverse map).
        let mapper: alloc::sync::Weak<dyn vfs::page_cache::FileMapper> =
            alloc::sync::Arc::downgrade(&mm_shared) as _;
        cache.add_mapper(mapper)?;
    }

    let mut mm = mm_shared.write();
    // do_mmap: the count may reach one over the limit, not more.
    if mm.map_count() > crate::sysctl::max_map_count() {
        return Err(Errno::ENOMEM);
    }
    let start = if flags.intersects(MapFlags::MAP_FIXED | MapFlags::MAP_FIXED_NOREPLACE) {
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
        if !flags.contains(MapFlags::MAP_FIXED) && !mm.is_range_free(addr, end) {
            return Err(Errno::EEXIST);
        }
        if !mm.may_expand(limits, len, is_data, addr, end) {
            return Err(Errno::ENOMEM);
        }
        // Linux's mmap_region answers ENOMEM when the munmap under it fails.
        if mm.splits_special_mapping(addr, end) {
            return Err(Errno::ENOMEM);
        }
        mm.try_unmap_range(addr, end)?;
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
    // MAP_LOCKED, or mlockall(MCL_FUTURE), locks the mapping: within RLIMIT_MEMLOCK for an
    // unprivileged caller (`mlock_future_check`: EAGAIN).
    let mut vma_flags = mm.future_lock_flags();
    if flags.contains(MapFlags::MAP_LOCKED) {
        vma_flags |= VmaFlags::LOCKED;
    }
    if flags.contains(MapFlags::MAP_GROWSDOWN) {
        vma_flags |= VmaFlags::GROWS_DOWN;
    }
    if vma_flags.contains(VmaFlags::LOCKED)
        && let Some(limit) = lock_limit()
        && mm.locked_bytes(start, start + len) + len > limit
    {
        return Err(Errno::EAGAIN);
    }
    mm.insert_vma(Vma {
        start,
        end: start + len,
        protection,
        is_shared,
        backing,
        kind,
        flags: vma_flags,
        userfault: None,
    })?;
    // MAP_POPULATE and locked mappings are faulted in now (`mm_populate`); like Linux, a
    // failure to populate does not fail the mmap.
    if flags.contains(MapFlags::MAP_POPULATE)
        || (vma_flags.contains(VmaFlags::LOCKED) && !vma_flags.contains(VmaFlags::LOCK_ON_FAULT))
    {
        mm.populate(start, start + len);
    }
    Ok(start as usize)
}

/// remap_file_pages, as Linux 6.1 emulates it (`mm/mmap.c`): no nonlinear mappings any more,
/// the range becomes a new shared mapping of the same file at `pgoff`, with the first area's
/// protection, locked if it was, populated unless `MAP_NONBLOCK`. `prot` must be 0, the range
/// (rounded down to pages) non-empty and `pgoff` must not wrap (`EINVAL`); the range must lie
/// in shared mappings of one file, without holes, with the same flags (`EINVAL`).
pub fn remap_file_pages(
    context: &mut SyscallContext<'_>,
    start: u64,
    size: u64,
    prot: u64,
    pgoff: u64,
    flags: u64,
) -> SyscallResult {
    if prot != 0 {
        return Err(Errno::EINVAL);
    }
    let start = start & !(PAGE_SIZE - 1);
    let size = size & !(PAGE_SIZE - 1);
    let end = start
        .checked_add(size)
        .filter(|&end| end > start)
        .ok_or(Errno::EINVAL)?;
    pgoff.checked_add(size / PAGE_SIZE).ok_or(Errno::EINVAL)?;
    let mm_shared = context.thread.process.mm.get();
    let mut mm = mm_shared.write();
    let first = mm.find_vma(start).ok_or(Errno::EINVAL)?.clone();
    let Backing::File { inode, .. } = &first.backing else {
        return Err(Errno::EINVAL);
    };
    if !first.is_shared {
        return Err(Errno::EINVAL);
    }
    // Every area up to `end`: contiguous, the same file, the same flags.
    let mut covered = first.end;
    while covered < end {
        let next = mm.find_vma(covered).ok_or(Errno::EINVAL)?;
        let same_file = matches!(&next.backing, Backing::File { inode: other, .. }
            if alloc::sync::Arc::ptr_eq(other, inode));
        if !same_file
            || next.protection != first.protection
            || next.is_shared != first.is_shared
            || next.flags != first.flags
        {
            return Err(Errno::EINVAL);
        }
        covered = next.end;
    }
    let file_offset = pgoff.checked_mul(PAGE_SIZE).ok_or(Errno::EINVAL)?;
    let mut backing = first.backing.clone();
    if let Backing::File { offset, .. } = &mut backing {
        *offset = file_offset;
    }
    mm.try_unmap_range(start, end)?;
    mm.insert_vma(Vma {
        start,
        end,
        protection: first.protection,
        is_shared: true,
        backing,
        kind: first.kind,
        flags: first.flags,
        // A new mapping, as Linux's emulation makes with do_mmap: no userfaultfd registration.
        userfault: None,
    })?;
    let is_nonblocking = flags & u64::from(MapFlags::MAP_NONBLOCK.bits()) != 0;
    if !is_nonblocking
        || (first.flags.contains(VmaFlags::LOCKED)
            && !first.flags.contains(VmaFlags::LOCK_ON_FAULT))
    {
        mm.populate(start, end);
    }
    Ok(0)
}

pub fn munmap(context: &mut SyscallContext<'_>, addr: u64, len: u64) -> SyscallResult {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let end = page_align_up(len)
        .and_then(|len| addr.checked_add(len))
        .filter(|&end| end <= hal::mm::USER_END)
        .ok_or(Errno::EINVAL)?;
    let mm = context.thread.process.mm.get();
    mm.write().munmap(addr, end)?;
    Ok(0)
}

pub fn mprotect(context: &mut SyscallContext<'_>, addr: u64, len: u64, prot: u64) -> SyscallResult {
    // `unsigned long prot`: any bit outside the known ones is EINVAL (`arch_validate_prot`).
    let prot = u32::try_from(prot)
        .ok()
        .and_then(ProtFlags::from_bits)
        .filter(|_| addr.is_multiple_of(PAGE_SIZE))
        .ok_or(Errno::EINVAL)?;
    if prot.contains(ProtFlags::PROT_GROWSDOWN | ProtFlags::PROT_GROWSUP) {
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
        Protection::from_prot(prot.intersection(ProtFlags::ACCESS)),
    )?;
    Ok(0)
}

/// `mremap(2)` (`mm/mremap.c`): flag and alignment checks here, the rest in
/// [`AddressSpace::remap`](crate::mm::AddressSpace::remap).
pub fn mremap(
    context: &mut SyscallContext<'_>,
    addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
) -> SyscallResult {
    let flags = u32::try_from(flags)
        .ok()
        .and_then(MremapFlags::from_bits)
        .ok_or(Errno::EINVAL)?;
    let may_move = flags.contains(MremapFlags::MREMAP_MAYMOVE);
    let is_fixed = flags.contains(MremapFlags::MREMAP_FIXED);
    let dont_unmap = flags.contains(MremapFlags::MREMAP_DONTUNMAP);
    if (is_fixed || dont_unmap) && !may_move {
        return Err(Errno::EINVAL);
    }
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let old_len = page_align_up(old_len).ok_or(Errno::EINVAL)?;
    let new_len = page_align_up(new_len).ok_or(Errno::EINVAL)?;
    if new_len == 0 || (dont_unmap && old_len != new_len) {
        return Err(Errno::EINVAL);
    }
    if is_fixed && !new_addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    if new_len > hal::mm::USER_END {
        return Err(if is_fixed {
            Errno::EINVAL
        } else {
            Errno::ENOMEM
        });
    }
    let request = RemapRequest {
        old_start: addr,
        old_len,
        new_len,
        may_move,
        fixed: is_fixed.then_some(new_addr),
        dont_unmap,
    };
    let limits = memory_limits(&context.thread.process);
    let mm_shared = context.thread.process.mm.get();
    let mut mm = mm_shared.write();
    // An AIO ring (`VM_DONTEXPAND`, `aio_ring_mremap`): it cannot grow, and when it moves its
    // context's id becomes the new address; a ring whose context is gone cannot move.
    let ring_context = match mm.find_vma(addr) {
        Some(vma) if vma.kind == VmaKind::AioRing => {
            if new_len > old_len {
                return Err(Errno::EFAULT);
            }
            let Backing::File { inode, .. } = &vma.backing else {
                return Err(Errno::EINVAL);
            };
            Some(mm_shared.aio.find_by_ring(inode).ok_or(Errno::EINVAL)?)
        }
        _ => None,
    };
    let start = mm.remap(request, limits)?;
    if let Some(ring_context) = ring_context
        && start != addr
    {
        ring_context.set_user_id(start);
    }
    Ok(start as usize)
}

/// `madvise(2)` (`mm/madvise.c`): argument checks here, the advice in
/// [`AddressSpace::advise`](crate::mm::AddressSpace::advise).
pub fn madvise(
    context: &mut SyscallContext<'_>,
    addr: u64,
    len: u64,
    advice: i32,
) -> SyscallResult {
    let advice = Advice::from_raw(advice).ok_or(Errno::EINVAL)?;
    // No same-page merging: answered as Linux without CONFIG_KSM (`madvise_behavior_valid`).
    if matches!(advice, Advice::Mergeable | Advice::Unmergeable) {
        return Err(Errno::EINVAL);
    }
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let end = page_align_up(len)
        .and_then(|len| addr.checked_add(len))
        .ok_or(Errno::EINVAL)?;
    if end == addr {
        return Ok(0);
    }
    let mut removals = Vec::new();
    let result = context
        .thread
        .process
        .mm
        .get()
        .write()
        .advise(addr, end, advice, &mut removals);
    // MADV_REMOVE's hole punches run without the mm lock: they unmap the range from every
    // address space that maps the file, this one included.
    for removal in removals {
        removal.inode.punch_hole(removal.start, removal.end)?;
    }
    result.map(|()| 0)
}

/// `mincore(2)` (`mm/mincore.c`): one byte per page of `[addr, addr + len)`, 1 when the page
/// is in memory: for file mappings, when the file's page is in the page cache (whether or not
/// this process mapped it), otherwise when the page is mapped here. `ENOMEM` for a range with
/// unmapped parts, `EINVAL` for an unaligned address, `EFAULT` for a bad vector.
pub fn mincore(context: &mut SyscallContext<'_>, addr: u64, len: u64, vec: u64) -> SyscallResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let end = page_align_up(len)
        .and_then(|len| addr.checked_add(len))
        .filter(|&end| end <= hal::mm::USER_END)
        .ok_or(Errno::ENOMEM)?;
    let mut chunk = [0u8; 256];
    let mut address = addr;
    let mut written = 0u64;
    while address < end {
        let pages = ((end - address) / PAGE_SIZE).min(chunk.len() as u64) as usize;
        {
            let mm_shared = context.thread.process.mm.get();
            let mm = mm_shared.read();
            if mm.has_hole(address, address + pages as u64 * PAGE_SIZE) {
                return Err(Errno::ENOMEM);
            }
            for (i, byte) in chunk[..pages].iter_mut().enumerate() {
                *byte = u8::from(mm.is_resident(address + i as u64 * PAGE_SIZE));
            }
        }
        hal::usercopy::copy_to_user(vec + written, &chunk[..pages])?;
        written += pages as u64;
        address += pages as u64 * PAGE_SIZE;
    }
    Ok(0)
}

/// `msync(2)` (`mm/msync.c`): checks its arguments and the range, and writes back shared file
/// mappings with `MS_SYNC`. Files whose data lives only in the page cache (tmpfs) have nothing
/// to write back, as on Linux; a range with unmapped holes is `ENOMEM` after the mapped parts
/// are done.
pub fn msync(context: &mut SyscallContext<'_>, addr: u64, len: u64, flags: u64) -> SyscallResult {
    const MS_ASYNC: u64 = abi::raw::general::MS_ASYNC as u64;
    const MS_INVALIDATE: u64 = abi::raw::general::MS_INVALIDATE as u64;
    const MS_SYNC: u64 = abi::raw::general::MS_SYNC as u64;
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || !addr.is_multiple_of(PAGE_SIZE)
        || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
    {
        return Err(Errno::EINVAL);
    }
    let end = page_align_up(len)
        .and_then(|len| addr.checked_add(len))
        .ok_or(Errno::ENOMEM)?;
    if end == addr {
        return Ok(0);
    }
    let mm_shared = context.thread.process.mm.get();
    let (files, has_hole) = {
        let mm = mm_shared.read();
        // MS_INVALIDATE cannot drop pages a locked mapping must keep (`VM_LOCKED`: EBUSY),
        // checked before the holes, as Linux meets the locked VMA first.
        if flags & MS_INVALIDATE != 0
            && mm
                .vmas()
                .filter(|vma| vma.start < end && vma.end > addr)
                .any(|vma| vma.flags.contains(VmaFlags::LOCKED))
        {
            return Err(Errno::EBUSY);
        }
        let files = if flags & MS_SYNC != 0 {
            mm.shared_files_in(addr, end)?
        } else {
            alloc::vec::Vec::new()
        };
        (files, mm.has_hole(addr, end))
    };
    // MS_SYNC writes the files back (vfs_fsync_range), without the mm lock: write-back takes
    // the file's lock, which comes before it.
    for inode in files {
        inode.sync_data()?;
    }
    if has_hole {
        return Err(Errno::ENOMEM);
    }
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

/// Whether a file is `/dev/zero` (character device 1:5), which Linux maps as anonymous memory.
fn is_dev_zero(metadata: &vfs::Metadata) -> bool {
    metadata.file_type == vfs::FileType::CharDevice && metadata.rdev == vfs::inode::encode_dev(1, 5)
}

/// The backing of a shared anonymous mapping of `len` bytes (`shmem_zero_setup`): a new
/// nameless file of the kernel's internal tmpfs, `len` bytes long, so that a page past the
/// mapping's original length (after an mremap that grew it) raises SIGBUS, as on Linux.
/// `may_write`: mprotect may make it writable (a shared mapping of `/dev/zero` opened
/// read-only may not: `VM_MAYWRITE` follows the file's mode, as for any file).
fn shared_anonymous(
    context: &SyscallContext<'_>,
    len: u64,
    may_write: bool,
) -> Result<Backing, Errno> {
    let (uid, gid) = {
        let credentials = context.thread.process.credentials.lock();
        (credentials.fsuid, credentials.fsgid)
    };
    let inode = hal::mm::heap::user_data(|| crate::fs::shmem::new_file(uid, gid, false))?;
    inode.truncate(len)?;
    Ok(Backing::File {
        inode,
        offset: 0,
        file_end: u64::MAX,
        is_sigbus_past_eof: true,
        may_write_shared: may_write,
        path: None,
    })
}
