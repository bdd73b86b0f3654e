//! sysfs (Linux's `fs/sysfs`, kernfs): the parts that tools read without a device model —
//! `/sys/devices/system/cpu/{online,possible,present,kernel_max}` and `cpu0/`, empty
//! `/sys/block`, `/sys/class`, `/sys/bus`, `/sys/dev/{block,char}`, `/sys/firmware`,
//! `/sys/fs/cgroup` (a mount point), `/sys/kernel` with `mm/transparent_hugepage/enabled`.
//!
//! One instance, shared by every mount, as Linux's sysfs in one network namespace: mounting it
//! twice shows the same objects and device number. Files are a page long in `stat` (Linux's
//! sysfs attributes), with a page as block size. Devices appear here when there are drivers
//! (virtio) to show.

use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Once;
use vfs::FileType;
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption};
use vfs::pseudo::{Node, NodeAttr, PseudoFs, StaticDir, StaticEntry};

/// `SYSFS_MAGIC`.
const SYSFS_MAGIC: u64 = 0x6265_6572;

static NEXT_INO: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(2);

fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// A read-only sysfs attribute with fixed text.
struct Attribute {
    ino: u64,
    text: &'static [u8],
}

impl Node for Attribute {
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr {
            size: 4096,
            ..NodeAttr::root(0o444)
        }
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        vfs::pseudo::push(out, self.text)
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

fn attribute(name: &'static [u8], text: &'static [u8]) -> StaticEntry {
    StaticEntry {
        name,
        node: Arc::new(Attribute {
            ino: next_ino(),
            text,
        }),
    }
}

fn dir(name: &'static [u8], entries: Vec<StaticEntry>) -> StaticEntry {
    StaticEntry {
        name,
        node: StaticDir::new(next_ino(), 0o755, entries),
    }
}

fn tree() -> Arc<StaticDir> {
    let cpu = alloc::vec![
        dir(b"cpu0", alloc::vec![]),
        attribute(b"kernel_max", b"8191\n"),
        attribute(b"offline", b"\n"),
        attribute(b"online", b"0\n"),
        attribute(b"possible", b"0\n"),
        attribute(b"present", b"0\n"),
    ];
    let thp = alloc::vec![
        attribute(b"defrag", b"always defer defer+madvise [madvise] never\n"),
        attribute(b"enabled", b"always [madvise] never\n"),
    ];
    let entries = alloc::vec![
        dir(b"block", alloc::vec![]),
        dir(b"bus", alloc::vec![]),
        dir(b"class", alloc::vec![]),
        dir(
            b"dev",
            alloc::vec![dir(b"block", alloc::vec![]), dir(b"char", alloc::vec![])]
        ),
        dir(
            b"devices",
            alloc::vec![dir(b"system", alloc::vec![dir(b"cpu", cpu)])]
        ),
        dir(b"firmware", alloc::vec![]),
        dir(b"fs", alloc::vec![dir(b"cgroup", alloc::vec![])]),
        dir(
            b"kernel",
            alloc::vec![dir(b"mm", alloc::vec![dir(b"transparent_hugepage", thp)])]
        ),
    ];
    StaticDir::new(1, 0o555, entries)
}

/// The one instance's root dentry.
static ROOT: Once<Arc<Dentry>> = Once::new();

/// The `sysfs` type.
struct SysfsType;

impl FileSystemType for SysfsType {
    fn name(&self) -> &'static str {
        "sysfs"
    }

    fn mount(
        &self,
        _source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        if !options.is_empty() {
            return Err(Errno::EINVAL);
        }
        if let Some(root) = ROOT.get() {
            return Ok(root.clone());
        }
        let dev = super::filesystems::anonymous_dev()?;
        let fs: Arc<dyn vfs::inode::FileSystem> = PseudoFs::new(
            "sysfs",
            SYSFS_MAGIC,
            dev.dev(),
            4096,
            tree(),
            &super::KernelClock,
        );
        dev.hold(&fs);
        let root = ROOT.call_once(|| {
            let root = Dentry::new_root(fs);
            root.superblock().set_flags(sb_flags);
            root
        });
        Ok(root.clone())
    }
}

/// Registers `sysfs` (first, as in Linux's `/proc/filesystems`).
pub fn register() -> Result<(), Errno> {
    super::filesystems::REGISTRY.register(Arc::new(SysfsType))
}
