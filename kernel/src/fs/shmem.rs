//! The kernel's internal tmpfs instance (Linux's `shm_mnt`): the home of files that have no
//! name in any directory: memfds, SysV shared memory segments and shared anonymous mappings
//! (`MAP_SHARED | MAP_ANONYMOUS` and `MAP_SHARED` of `/dev/zero`, Linux's `shmem_zero_setup`).
//! Like Linux's kernel mount it has no size or inode limit of its own: its pages count as
//! memory, and running out of memory gives `ENOMEM` or the OOM killer. A memfd gets a name on
//! the instance's internal mount ([`memfd_path`]), so `/proc/<pid>/fd/N` shows and reopens it.

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

/// The instance's internal mount (`shm_mnt`), made on first use: memfds' names live on it.
fn mount() -> Result<&'static Arc<vfs::Mount>, Errno> {
    static MOUNT: Once<Arc<vfs::Mount>> = Once::new();
    if let Some(mount) = MOUNT.get() {
        return Ok(mount);
    }
    let fs: Arc<dyn vfs::FileSystem> = instance()?.clone();
    let mount = vfs::Mount::new_internal(vfs::Dentry::new_root(fs), b"tmpfs")?;
    Ok(MOUNT.call_once(|| mount))
}

/// The name a memfd's descriptor shows and reopens through (`/memfd:LABEL (deleted)` in
/// `/proc/<pid>/fd` and `maps`): `inode` under `memfd:` + `label` on the internal mount.
pub fn memfd_path(inode: Arc<dyn Inode>, label: &[u8]) -> Result<vfs::Path, Errno> {
    let mount = mount()?;
    let mut name = alloc::vec::Vec::new();
    name.try_reserve_exact(6 + label.len())
        .map_err(|_| Errno::ENOMEM)?;
    name.extend_from_slice(b"memfd:");
    name.extend_from_slice(label);
    let dentry = mount.root().new_unlinked_child(inode, name);
    Ok(vfs::Path::new(mount.clone(), dentry))
}

/// A new nameless regular file (`shmem_file_setup`), owned by `uid`/`gid`, mode `0777` as
/// Linux's, with or without room for seals.
pub fn new_file(uid: u32, gid: u32, allow_sealing: bool) -> Result<Arc<dyn Inode>, Errno> {
    instance()?.create_unlinked(0o777, uid, gid, allow_sealing)
}
