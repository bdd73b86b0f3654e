//! devtmpfs (Linux 6.1 `drivers/base/devtmpfs.c`): one tmpfs instance, made at boot, in which
//! the kernel creates a node for each device a driver registers, with the device's name, number
//! and mode (`devtmpfs_create_node` with the driver's `devnode` mode, 0600 when it names
//! none); owned by root.
//!
//! Every mount of type `devtmpfs` shows that one instance (`public_dev_mount`): its options are
//! applied to it as a remount would (`reconfigure_single`: tmpfs's `size=`, `nr_inodes=`,
//! `mode=`...). Like Linux, devtmpfs holds device nodes only: `/dev/pts`, `/dev/shm` and the
//! `/dev/fd`, `stdin`, `stdout`, `stderr` links are made by whoever mounts it (udev, an
//! init script). What appears: `null`, `zero`, `full`, `random`, `urandom` (0666), `kmsg`
//! (0644), `tty` and `ptmx` (0666), `console` and `ttyS0` (0600), disks and partitions (`vda`,
//! `vda1`…, 0600).

use super::filesystems;
use abi::Errno;
use alloc::sync::Arc;
use spin::Once;
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption};
use vfs::inode::FileSystem;
use vfs::{FileType, Inode};

static ROOT: Once<Arc<Dentry>> = Once::new();

/// Creates the devtmpfs instance (`devtmpfs_init`): a tmpfs with root mode 0755.
pub fn init() -> Result<(), Errno> {
    let dev = filesystems::anonymous_dev()?;
    let options = vfs::tmpfs::TmpfsOptions {
        root_mode: 0o755,
        dev: dev.dev(),
        fs_name: "devtmpfs",
        default_max_bytes: None,
        default_max_inodes: None,
        ..filesystems::tmpfs_defaults()
    };
    let tmpfs: Arc<dyn FileSystem> =
        vfs::tmpfs::Tmpfs::try_new(Arc::new(super::KernelClock), options)?;
    dev.hold(&tmpfs);
    ROOT.call_once(|| Dentry::new_root(tmpfs));
    Ok(())
}

/// Creates the node `name` for character device `rdev` with permission bits `mode`
/// (`devtmpfs_create_node`); nothing if devtmpfs was not made.
pub fn add_char_node(name: &[u8], mode: u32, rdev: u64) -> Result<(), Errno> {
    add_node(name, FileType::CharDevice, mode, rdev)
}

/// Creates the node `name` for block device `rdev` (0600, as Linux's disks without udev).
pub fn add_block_node(name: &[u8], rdev: u64) -> Result<(), Errno> {
    add_node(name, FileType::BlockDevice, 0o600, rdev)
}

fn add_node(name: &[u8], file_type: FileType, mode: u32, rdev: u64) -> Result<(), Errno> {
    let Some(root) = ROOT.get() else {
        return Ok(());
    };
    let dir: &Arc<dyn Inode> = root.inode();
    match dir.create(name, file_type, mode, 0, 0, rdev) {
        Ok(_) | Err(Errno::EEXIST) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Removes the node `name` (`devtmpfs_delete_node`), if it is there.
pub fn remove_node(name: &[u8]) {
    let Some(root) = ROOT.get() else {
        return;
    };
    if let Err(error) = root.remove_child(name)
        && error != Errno::ENOENT
    {
        log::warn!("devtmpfs: cannot remove a node: {error:?}");
    }
}

/// The `devtmpfs` filesystem type.
pub struct DevtmpfsType;

impl FileSystemType for DevtmpfsType {
    fn name(&self) -> &'static str {
        "devtmpfs"
    }

    fn mount(
        &self,
        _source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        let root = ROOT.get().ok_or(Errno::ENODEV)?;
        root.superblock().fs().remount(options)?;
        root.superblock().set_flags(sb_flags);
        Ok(root.clone())
    }
}
