//! The filesystem types the kernel registers by name (Linux's `register_filesystem` calls,
//! listed by `/proc/filesystems` in registration order), anonymous device numbers for
//! instances without a block device (`get_anon_bdev`: `0:N`, the lowest free minor), and the
//! tmpfs type with Linux's defaults (half of RAM for pages and for inodes,
//! `shmem_default_max_blocks`/`shmem_default_max_inodes`).
//!
//! Registration point: devtmpfs and devpts register here when they exist (one line each in
//! [`register_builtin`]); procfs and sysfs register from their own modules.

use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption, Registry};
use vfs::inode::FileSystem;
use vfs::tmpfs::{Tmpfs, TmpfsOptions, TmpfsParams};

/// The registered types.
pub static REGISTRY: Registry = Registry::new();

/// Anonymous device minors in use, with the instance holding each (`None` while the instance
/// is being made); a minor is free again once its instance is gone.
static ANON_DEVS: SpinLock<Vec<AnonSlot>> = SpinLock::new("fs.anon_devs", Vec::new());

/// A minor and the instance holding it.
type AnonSlot = (u32, Option<Weak<dyn FileSystem>>);

/// The first minor handed out (rootfs gets it).
const FIRST_ANON_MINOR: u32 = 2;
/// Linux's `MINORBITS` limit.
const MAX_ANON_MINOR: u32 = (1 << 20) - 1;

/// An anonymous device number being given to a new instance: released if dropped before
/// [`AnonDev::hold`].
pub struct AnonDev {
    minor: u32,
    is_held: bool,
}

impl AnonDev {
    /// The device number (`0:minor`).
    pub fn dev(&self) -> u64 {
        vfs::inode::encode_dev(0, self.minor)
    }

    /// Ties the number to `fs`: free again when `fs` is dropped.
    pub fn hold(mut self, fs: &Arc<dyn FileSystem>) {
        let mut devs = ANON_DEVS.lock();
        if let Some(slot) = devs.iter_mut().find(|(m, _)| *m == self.minor) {
            slot.1 = Some(Arc::downgrade(fs));
        }
        self.is_held = true;
    }
}

impl Drop for AnonDev {
    fn drop(&mut self) {
        if !self.is_held {
            ANON_DEVS.lock().retain(|(m, _)| *m != self.minor);
        }
    }
}

/// A new anonymous device number (`0:N`, the lowest free `N`; Linux `get_anon_bdev`).
pub fn anonymous_dev() -> Result<AnonDev, Errno> {
    let mut devs = ANON_DEVS.lock();
    devs.retain(|(_, fs)| fs.as_ref().is_none_or(|fs| fs.strong_count() > 0));
    let mut used: Vec<u32> = devs.iter().map(|(m, _)| *m).collect();
    used.sort_unstable();
    let mut minor = FIRST_ANON_MINOR;
    for m in used {
        if m == minor {
            minor += 1;
        } else if m > minor {
            break;
        }
    }
    if minor > MAX_ANON_MINOR {
        return Err(Errno::EMFILE);
    }
    devs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    devs.push((minor, None));
    Ok(AnonDev {
        minor,
        is_held: false,
    })
}

/// The options of a tmpfs mounted without any: Linux's defaults (half of RAM in pages and in
/// inodes), mode 1777, root-owned.
pub fn tmpfs_defaults() -> TmpfsOptions {
    let (total_frames, _) = hal::mm::frame::stats();
    let half_of_ram_pages = total_frames as u64 / 2;
    TmpfsOptions {
        max_bytes: Some(half_of_ram_pages * 4096),
        max_inodes: Some(half_of_ram_pages),
        default_max_bytes: Some(half_of_ram_pages * 4096),
        default_max_inodes: Some(half_of_ram_pages),
        total_ram_pages: total_frames as u64,
        ..TmpfsOptions::default()
    }
}

/// The `tmpfs` type: a new instance per mount (`shmem_fs_type`).
struct TmpfsType;

impl FileSystemType for TmpfsType {
    fn name(&self) -> &'static str {
        "tmpfs"
    }

    fn mount(
        &self,
        _source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        let defaults = tmpfs_defaults();
        let params = TmpfsParams::parse(options, defaults.total_ram_pages)?;
        let dev = anonymous_dev()?;
        let options = TmpfsOptions {
            dev: dev.dev(),
            ..params.apply(defaults)
        };
        let tmpfs: Arc<dyn FileSystem> = Tmpfs::try_new(Arc::new(super::KernelClock), options)?;
        dev.hold(&tmpfs);
        let root = Dentry::new_root(tmpfs);
        root.superblock().set_flags(sb_flags);
        Ok(root)
    }
}

/// Registers the types built into the kernel, in Linux's order where it matters for
/// `/proc/filesystems` (sysfs, tmpfs, proc…).
pub fn register_builtin() -> Result<(), Errno> {
    super::sysfs::register()?;
    REGISTRY.register(Arc::new(TmpfsType))?;
    super::proc::register()?;
    REGISTRY.register(Arc::new(super::devtmpfs::DevtmpfsType))?;
    REGISTRY.register(Arc::new(super::devpts::DevptsType))?;
    // Linux's order with CONFIG_EXT4_USE_FOR_EXT2: ext3, ext2, then ext4.
    for name in ["ext3", "ext2", "ext4"] {
        REGISTRY.register(Arc::new(super::ext4::Ext4Type(name)))?;
    }
    crate::ipc::mqueue::init()?;
    REGISTRY.register(Arc::new(crate::ipc::mqueue::MqueueType))?;
    Ok(())
}
