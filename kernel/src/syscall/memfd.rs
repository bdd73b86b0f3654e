//! `memfd_create(2)` (Linux's `mm/memfd.c`): an anonymous file in the kernel's internal tmpfs,
//! open for reading and writing. The name (at most 249 bytes, `NAME_MAX` less the `memfd:`
//! prefix; `EINVAL` beyond) only labels the file. Flags: `MFD_CLOEXEC`, `MFD_ALLOW_SEALING`
//! (without it the file is sealed with `F_SEAL_SEAL`, so `F_ADD_SEALS` is `EPERM`); anything
//! else is `EINVAL`, `MFD_HUGETLB` included (no hugetlbfs here; Linux 6.1 has no
//! `MFD_NOEXEC_SEAL`/`MFD_EXEC` either). Seals are read and added by fcntl. The file's name
//! is `/memfd:NAME (deleted)` on the kernel's tmpfs mount: `/proc/<pid>/fd/N` shows it, and
//! opening that link opens the same file again (`O_TRUNC` truncating it).

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use crate::fs::file::{InodeFile, OpenFile};
use abi::raw::general::{MFD_ALLOW_SEALING, MFD_CLOEXEC};
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;

/// Longest name: `NAME_MAX` minus `strlen("memfd:")`.
const MFD_NAME_MAX_LEN: usize = 255 - 6;

pub fn memfd_create(
    context: &mut SyscallContext<'_>,
    name: UserPtr<u8>,
    flags: u32,
) -> SyscallResult {
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING) != 0 {
        return Err(Errno::EINVAL);
    }
    // The name is read up to one byte past the limit, to tell "too long" from "fits".
    let label =
        hal::usercopy::read_user_cstr(name.address, MFD_NAME_MAX_LEN + 1).map_err(|error| {
            if error == Errno::ENAMETOOLONG {
                Errno::EINVAL
            } else {
                error
            }
        })?;
    if label.len() > MFD_NAME_MAX_LEN {
        return Err(Errno::EINVAL);
    }
    let charge = crate::fs::file_table::charge_for(context.thread)?;
    let (uid, gid) = {
        let credentials = context.thread.process.credentials.lock();
        (credentials.fsuid, credentials.fsgid)
    };
    let inode = hal::mm::heap::user_data(|| {
        crate::fs::shmem::new_file(uid, gid, flags & MFD_ALLOW_SEALING != 0)
    })?;
    let path = crate::fs::shmem::memfd_path(inode.clone(), &label)?;
    let file = Arc::new(OpenFile::new(
        Arc::new(InodeFile::new(inode)),
        Some(path),
        OpenFlags::O_RDWR | OpenFlags::O_LARGEFILE,
        charge,
    )?);
    let limit = super::fcntl::descriptor_limit(context);
    let fd = context.thread.process.files.get().lock().insert_from(
        0,
        file,
        flags & MFD_CLOEXEC != 0,
        limit,
    )?;
    Ok(fd as usize)
}
