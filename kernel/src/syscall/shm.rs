//! shmget, shmat, shmdt, shmctl (Linux's `ipc/shm.c`); the segments live in
//! [`crate::ipc::shm`]. An attachment is a shared mapping of the segment's file, marked as
//! shared memory so that `shmdt` finds it.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::ipc::shm::{self, Segment};
use crate::ipc::util::with_cred;
use crate::mm::vma::{Backing, Protection, Vma, VmaFlags, VmaKind};
use crate::mm::{PAGE_SIZE, page_align_up};
use abi::Errno;
use abi::ipc::{
    IPC_64, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SHM_EXEC, SHM_HUGETLB, SHM_INFO, SHM_LOCK,
    SHM_RDONLY, SHM_REMAP, SHM_RND, SHM_STAT, SHM_STAT_ANY, SHM_UNLOCK, SHMLBA, SHMMIN, SHMMNI,
    ShmInfo64, ShmUsage, ShmidDs,
};
use alloc::sync::Arc;

/// Runs `f` with the caller's credentials.
fn with_caller<R>(
    context: &SyscallContext<'_>,
    f: impl FnOnce(&ipcrules::perm::Cred<'_>) -> R,
) -> R {
    with_cred(&context.thread.process, f)
}

pub fn shmget(context: &mut SyscallContext<'_>, key: i32, size: u64, flags: i32) -> SyscallResult {
    if flags & SHM_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = context.thread.process.pid;
    with_caller(context, |caller| shm::get(key, size, flags, caller, pid)).map(|id| id as usize)
}

pub fn shmat(context: &mut SyscallContext<'_>, id: i32, addr: u64, flags: i32) -> SyscallResult {
    let segment = shm::lookup(id)?;
    let mut address = addr;
    if !address.is_multiple_of(SHMLBA) {
        if flags & SHM_RND == 0 {
            return Err(Errno::EINVAL);
        }
        address &= !(SHMLBA - 1);
    }
    if address == 0 && flags & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    let is_read_only = flags & SHM_RDONLY != 0;
    let is_executable = flags & SHM_EXEC != 0;
    let wanted =
        0o444 | if is_read_only { 0 } else { 0o222 } | if is_executable { 0o111 } else { 0 };
    let permitted = with_caller(context, |caller| {
        caller.may_access(&segment.state.lock().perm, wanted)
    });
    if !permitted {
        return Err(Errno::EACCES);
    }
    let len = page_align_up(segment.size).ok_or(Errno::EINVAL)?;
    let mm_shared = context.thread.process.mm.get();
    if let Some(cache) = segment.inode.page_cache() {
        let mapper: alloc::sync::Weak<dyn vfs::page_cache::FileMapper> =
            Arc::downgrade(&mm_shared) as _;
        cache.add_mapper(mapper)?;
    }
    let mut mm = mm_shared.write();
    // do_shmat maps through do_mmap: refused over vm.max_map_count.
    if mm.map_count() > crate::sysctl::max_map_count() {
        return Err(Errno::ENOMEM);
    }
    let start = if address != 0 {
        let end = address
            .checked_add(len)
            .filter(|&end| end <= hal::mm::USER_END)
            .ok_or(Errno::EINVAL)?;
        if flags & SHM_REMAP != 0 {
            mm.try_unmap_range(address, end)?;
        } else if !mm.is_range_free(address, end) {
            return Err(Errno::EINVAL);
        }
        address
    } else {
        mm.find_free_area(len).ok_or(Errno::ENOMEM)?
    };
    mm.insert_vma(Vma {
        start,
        end: start + len,
        protection: Protection {
            is_readable: true,
            is_writable: !is_read_only,
            is_executable,
        },
        is_shared: true,
        backing: Backing::File {
            inode: segment.inode.clone(),
            offset: 0,
            file_end: u64::MAX,
            is_sigbus_past_eof: true,
            may_write_shared: !is_read_only,
            path: None,
        },
        kind: VmaKind::SharedMemory,
        flags: VmaFlags::empty(),
        userfault: None,
    })?;
    drop(mm);
    shm::touch(&segment, context.thread.process.pid, true);
    Ok(start as usize)
}

pub fn shmdt(context: &mut SyscallContext<'_>, addr: u64) -> SyscallResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let inode = context
        .thread
        .process
        .mm
        .get()
        .write()
        .detach_shared_memory(addr)?;
    // The segment it belonged to (if it still has an id) records the detach.
    if let Some(segment) = shm::segment_of(&inode) {
        shm::touch(&segment, context.thread.process.pid, false);
    }
    Ok(0)
}

fn write_stat(segment: &Segment, buf: UserPtr<u8>) -> Result<(), Errno> {
    hal::usercopy::write_user(buf.address, &segment.stat())
}

pub fn shmctl(
    context: &mut SyscallContext<'_>,
    id: i32,
    command: i32,
    buf: UserPtr<u8>,
) -> SyscallResult {
    let command = command & !IPC_64;
    match command {
        IPC_INFO => {
            let info = ShmInfo64 {
                shmmax: shm::shmmax(),
                shmmin: SHMMIN,
                shmmni: shm::shmmni().into(),
                shmseg: SHMMNI,
                shmall: shm::shmall(),
                unused: [0; 4],
            };
            hal::usercopy::write_user(buf.address, &info)?;
            Ok(shm::usage()?.0 as usize)
        }
        SHM_INFO => {
            let (highest, used, pages, resident) = shm::usage()?;
            let usage = ShmUsage {
                used_ids: used,
                shm_tot: pages,
                shm_rss: resident,
                ..ShmUsage::default()
            };
            hal::usercopy::write_user(buf.address, &usage)?;
            Ok(highest as usize)
        }
        SHM_STAT | SHM_STAT_ANY => {
            let segment = shm::lookup_index(id)?;
            if command == SHM_STAT
                && !with_caller(context, |caller| {
                    caller.may_access(&segment.state.lock().perm, 0o444)
                })
            {
                return Err(Errno::EACCES);
            }
            write_stat(&segment, buf)?;
            Ok(segment.id as usize)
        }
        IPC_STAT => {
            let segment = shm::lookup(id)?;
            if !with_caller(context, |caller| {
                caller.may_access(&segment.state.lock().perm, 0o444)
            }) {
                return Err(Errno::EACCES);
            }
            write_stat(&segment, buf)?;
            Ok(0)
        }
        IPC_SET => {
            let segment = shm::lookup(id)?;
            let wanted: ShmidDs = hal::usercopy::read_user(buf.address)?;
            with_caller(context, |caller| {
                let mut state = segment.state.lock();
                if !caller.may_control(&state.perm) {
                    return Err(Errno::EPERM);
                }
                state.perm.update(&wanted.perm)?;
                state.ctime = crate::ipc::util::now_secs();
                Ok(0)
            })
        }
        IPC_RMID => {
            let segment = shm::lookup(id)?;
            if !with_caller(context, |caller| {
                caller.may_control(&segment.state.lock().perm)
            }) {
                return Err(Errno::EPERM);
            }
            shm::remove(&segment)?;
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            let segment = shm::lookup(id)?;
            let allowed = with_caller(context, |caller| {
                caller.has(abi::capability::CAP_IPC_LOCK)
                    || caller.is_owner(&segment.state.lock().perm)
            });
            if !allowed {
                return Err(Errno::EPERM);
            }
            let mut state = segment.state.lock();
            if command == SHM_LOCK {
                state.perm.mode |= abi::ipc::SHM_LOCKED;
            } else {
                state.perm.mode &= !abi::ipc::SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
