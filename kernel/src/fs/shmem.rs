//! The kernel's internal tmpfs instance (Linux's `shm_mnt`): the home of files that have no
//! name in any directory: memfds, SysV shared memory segments and shared anonymous mappings
//! (`MAP_SHARED | MAP_ANONYMOUS` and `MAP_SHARED` of `/dev/zero`, Linux's `shmem_zero_setup`).
//! Like Linux's kernel mount it has no size or inode limit of its own: its pages count as
//! memory, and running out of memory gives `ENOMEM` or the OOM killer.

use abi::Errno;
use alloc::sync::Arc;
use spin::Once;
use vfs::Inode;
use vfs::tmpfs::{Tmpfs, TmpfsOptions};

static SHM_MOUNT: Once<Arc<Tmpfs>> = Once::new();

/// The instance, made on first use.
fn instance() -> Result<&'static Arc<Tmpfs>, Errno> {
    if let Some(tmpfs) = SHM_MOUNT.get() {
        return Ok(tmpfs);
    }
    let tmpfs = Tmpfs::try_new(
        Arc::new(super::KernelClock),
        TmpfsOptions {
            dev: super::SHM_MOUNT_DEV,
            ..TmpfsOptions::default()
        },
    )?;
    Ok(SHM_MOUNT.call_once(|| tmpfs))
}

/// A new nameless regular file (`shmem_file_setup`), owned by `uid`/`gid`, mode `0777` as
/// Linux's, with or without room for seals.
pub fn new_file(uid: u32, gid: u32, allow_sealing: bool) -> Result<Arc<dyn Inode>, Errno> {
    instance()?.create_unlinked(0o777, uid, gid, allow_sealing)
}
