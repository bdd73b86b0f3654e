//! sysfs (Linux's `fs/sysfs`, kernfs, and the device model of `drivers/base/core.c`): what
//! tools read of the system, with Linux 6.1's layout, modes and formats.
//!
//! - `/sys/devices/system/cpu` and `/sys/devices/system/node` ([`cpu`]: the CPU, its topology
//!   and caches, the memory node).
//! - `/sys/bus/{cpu,node,platform}` ([`bus`]) with their devices and drivers.
//! - `/sys/module/{printk,kernel}/parameters` ([`module`]).
//! - `/sys/firmware/dmi/tables` ([`dmi`]): the SMBIOS entry point and table.
//! - Devices, as drivers register them ([`add_char_device`], Linux's `device_create`): the
//!   device's directory under `/sys/devices` (`virtual/<class>/<name>` for class devices
//!   without a parent, `platform/serial8250/tty/ttyS0` for the UART) with `dev` (`M:m`),
//!   `uevent` (`MAJOR`, `MINOR`, `DEVNAME` and `DEVMODE` when the class gives the node a
//!   mode), `power/` and the `subsystem` link to its class; the link
//!   `/sys/class/<class>/<name>`; and `/sys/dev/char/M:m`. The mem, tty and misc classes
//!   exist from boot (misc is empty: Ferrux has no misc device yet); disks and partitions
//!   ([`block`]) appear under their PCI device, with links in `/sys/block`,
//!   `/sys/class/block` and `/sys/dev/block`; network interfaces ([`net`]) under their
//!   device (`virtual/net/lo`, the virtio device's `net/eth0`) with `/sys/class/net` links.
//! - `/sys/kernel`: `fscaps`, `oops_count`, `warn_count` (Ferrux panics instead of oopsing, so
//!   they stay 0), `uevent_seqnum` (one event per device added and per `add`/`change`/…
//!   written to a `uevent` file, as `kobject_uevent`; devices added and removed are broadcast on
//!   `NETLINK_KOBJECT_UEVENT` by [`send_uevent`]) and
//!   `mm/transparent_hugepage` (`never`: Ferrux maps no huge pages).
//! - `/sys/fs/cgroup`, an empty mount point (0555, as `sysfs_create_mount_point`).
//!
//! One instance, shared by every mount, as Linux's sysfs in one network namespace: mounting it
//! twice shows the same objects and device number. Attributes are a page long in `stat`
//! (Linux's sysfs attributes), links have size 0 (kernfs), directories list their entries in
//! the order they were added.

pub mod block;
mod bus;
mod cpu;
mod dmi;
mod module;
pub mod net;

use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Once;
use vfs::FileType;
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption};
use vfs::pseudo::{DynamicDir, Node, NodeAttr, PseudoFs, TextLink};

/// `SYSFS_MAGIC`.
const SYSFS_MAGIC: u64 = 0x6265_6572;

static NEXT_INO: AtomicU64 = AtomicU64::new(2);

pub(crate) fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// `uevent_seqnum`: events "sent" so far.
static UEVENT_SEQNUM: AtomicU64 = AtomicU64::new(0);

/// What an attribute reads as.
enum Content {
    Static(&'static [u8]),
    Text(Vec<u8>),
    /// Rendered when read.
    Render(fn(&mut Vec<u8>) -> Result<(), Errno>),
    /// A read fails with this error (`autosuspend_delay_ms` of a device without runtime PM).
    Error(Errno),
}

/// A write handler of an attribute.
type WriteFn = fn(&[u8]) -> Result<(), Errno>;

/// A sysfs attribute: a file a page long in `stat`.
struct Attribute {
    ino: u64,
    mode: u32,
    /// `st_size`: a page, or Linux's bigger size for a binary attribute.
    size: u64,
    content: Content,
    /// Handles writes (`uevent`); `None` refuses them (`EACCES` at open through the mode).
    write: Option<WriteFn>,
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
            size: self.size,
            ..NodeAttr::root(self.mode)
        }
    }

    /// `kernfs_fop_open`: writing needs a write bit and a handler, reading a read bit, even
    /// for root (`EACCES`).
    fn may_open(&self, is_write: bool) -> Result<(), Errno> {
        if is_write && (self.mode & 0o222 == 0 || self.write.is_none()) {
            return Err(Errno::EACCES);
        }
        if !is_write && self.mode & 0o444 == 0 {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        match &self.content {
            Content::Static(text) => vfs::pseudo::push(out, text),
            Content::Text(text) => vfs::pseudo::push(out, text),
            Content::Render(render) => render(out),
            Content::Error(error) => Err(*error),
        }
    }

    fn write(&self, _offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let write = self.write.ok_or(Errno::EIO)?;
        write(data)?;
        Ok(data.len())
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

fn attribute(mode: u32, content: Content) -> Arc<Attribute> {
    Arc::new(Attribute {
        ino: next_ino(),
        mode,
        size: PAGE_SIZE,
        content,
        write: None,
    })
}

/// The size of an attribute in `stat`: a page.
const PAGE_SIZE: u64 = 4096;

/// Adds the attribute `name` with a write handler.
fn add_writable(
    parent: &DynamicDir,
    name: &[u8],
    mode: u32,
    content: Content,
    write: WriteFn,
) -> Result<(), Errno> {
    parent.add(
        name,
        Arc::new(Attribute {
            ino: next_ino(),
            mode,
            size: PAGE_SIZE,
            content,
            write: Some(write),
        }),
    )
}

/// Adds a `uevent` file (0644, or 0200 for buses, drivers and modules) that reads `text`.
fn add_uevent(parent: &DynamicDir, mode: u32, text: Content) -> Result<(), Errno> {
    add_writable(parent, b"uevent", mode, text, write_uevent)
}

/// Adds a symbolic link.
fn add_link(parent: &DynamicDir, name: &[u8], target: &[u8]) -> Result<(), Errno> {
    parent.add(name, TextLink::try_new(next_ino(), target)?)
}

/// Adds a device's `power/` directory, as a device without runtime power management has it
/// (`dpm_sysfs_add`): `control` is `auto`, the status `unsupported`.
fn add_power_dir(device: &DynamicDir) -> Result<Arc<DynamicDir>, Errno> {
    let power = dir(device, b"power", 0o755)?;
    add_attribute(
        &power,
        b"autosuspend_delay_ms",
        0o644,
        Content::Error(Errno::EIO),
    )?;
    add_attribute(&power, b"control", 0o644, Content::Static(b"auto\n"))?;
    add_attribute(
        &power,
        b"runtime_active_time",
        0o444,
        Content::Static(b"0\n"),
    )?;
    add_attribute(
        &power,
        b"runtime_status",
        0o444,
        Content::Static(b"unsupported\n"),
    )?;
    add_attribute(
        &power,
        b"runtime_suspended_time",
        0o444,
        Content::Static(b"0\n"),
    )?;
    Ok(power)
}

/// A write to a `uevent` file (`kobject_synth_uevent`): an action, optionally followed by a
/// UUID and variables, makes one event; anything else is `EINVAL`.
fn write_uevent(data: &[u8]) -> Result<(), Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let action = text.split_ascii_whitespace().next().ok_or(Errno::EINVAL)?;
    const ACTIONS: [&str; 8] = [
        "add", "remove", "change", "move", "online", "offline", "bind", "unbind",
    ];
    if !ACTIONS.contains(&action) {
        return Err(Errno::EINVAL);
    }
    UEVENT_SEQNUM.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// The directories devices are added to.
struct Tree {
    root: Arc<DynamicDir>,
    devices: Arc<DynamicDir>,
    class: Arc<DynamicDir>,
    dev_char: Arc<DynamicDir>,
}

static TREE: Once<Tree> = Once::new();

fn dir(parent: &DynamicDir, name: &[u8], mode: u32) -> Result<Arc<DynamicDir>, Errno> {
    parent.subdir(name, next_ino, mode)
}

fn add_attribute(
    parent: &DynamicDir,
    name: &[u8],
    mode: u32,
    content: Content,
) -> Result<(), Errno> {
    parent.add(name, attribute(mode, content))
}

/// Takes the next event number and broadcasts the event on `NETLINK_KOBJECT_UEVENT`
/// (`kobject_uevent_env`); `vars` are the device's `uevent` lines.
pub fn send_uevent(action: &str, devpath: &[u8], subsystem: &[u8], vars: &[u8]) {
    let seqnum = UEVENT_SEQNUM.fetch_add(1, Ordering::Relaxed) + 1;
    crate::net::netlink::uevent::announce(action, devpath, subsystem, vars, seqnum);
}

fn uevent_seqnum(out: &mut Vec<u8>) -> Result<(), Errno> {
    crate::out!(out, "{}\n", UEVENT_SEQNUM.load(Ordering::Relaxed))
}

/// The fixed part of the tree, in Linux's `/sys` order of creation where it shows.
fn build() -> Result<Tree, Errno> {
    let root = DynamicDir::new(1, 0o555);
    let devices = dir(&root, b"devices", 0o755)?;
    cpu::build(&*dir(&devices, b"system", 0o755)?)?;
    for name in [&b"platform"[..], b"virtual"] {
        dir(&devices, name, 0o755)?;
    }
    let class = dir(&root, b"class", 0o755)?;
    for name in [&b"mem"[..], b"misc", b"tty"] {
        dir(&class, name, 0o755)?;
    }
    let dev = dir(&root, b"dev", 0o755)?;
    dir(&dev, b"block", 0o755)?;
    let dev_char = dir(&dev, b"char", 0o755)?;
    dir(&root, b"block", 0o755)?;
    bus::build(&root, &devices)?;
    dmi::build(&*dir(&root, b"firmware", 0o755)?)?;
    // Mount points are 0555 (`sysfs_create_mount_point`).
    dir(&*dir(&root, b"fs", 0o755)?, b"cgroup", 0o555)?;
    module::build(&root)?;
    let kernel = dir(&root, b"kernel", 0o755)?;
    add_attribute(&kernel, b"fscaps", 0o444, Content::Static(b"1\n"))?;
    add_attribute(&kernel, b"oops_count", 0o444, Content::Static(b"0\n"))?;
    add_attribute(
        &kernel,
        b"uevent_seqnum",
        0o444,
        Content::Render(uevent_seqnum),
    )?;
    add_attribute(&kernel, b"warn_count", 0o444, Content::Static(b"0\n"))?;
    let thp = dir(
        &*dir(&kernel, b"mm", 0o755)?,
        b"transparent_hugepage",
        0o755,
    )?;
    for (name, text) in [
        (
            &b"defrag"[..],
            &b"always defer defer+madvise madvise [never]\n"[..],
        ),
        (b"enabled", b"always madvise [never]\n"),
        (b"hpage_pmd_size", b"2097152\n"),
        (
            b"shmem_enabled",
            b"always within_size advise [never] deny force\n",
        ),
        (b"use_zero_page", b"0\n"),
    ] {
        add_attribute(&thp, name, 0o444, Content::Static(text))?;
    }
    Ok(Tree {
        root,
        devices,
        class,
        dev_char,
    })
}

/// The tree, made on first use (at boot, when the first driver registers).
fn tree() -> Result<&'static Tree, Errno> {
    if let Some(tree) = TREE.get() {
        return Ok(tree);
    }
    let tree = build()?;
    Ok(TREE.call_once(|| tree))
}

/// Where a device sits under `/sys/devices`.
#[derive(Clone, Copy)]
pub enum Parent {
    /// A class device with no parent: `virtual/<class>/`.
    Virtual,
    /// `platform/serial8250/tty/` (the 8250 UART's ports).
    Serial8250,
}

/// A device's extra attributes: name, text.
pub type ExtraAttributes<'a> = &'a [(&'static [u8], &'static [u8])];

/// Adds the character device `name` (`major:minor`) of class `class` (`mem`, `tty`, `misc`):
/// its directory, class link and `/sys/dev/char` link (`device_add`); `dev_mode` is the mode
/// the class gives its node (`DEVMODE` in `uevent`), `extra` more read-only attributes.
pub fn add_char_device(
    parent: Parent,
    class: &'static [u8],
    name: &[u8],
    (major, minor): (u32, u32),
    dev_mode: Option<u32>,
    extra: ExtraAttributes<'_>,
) -> Result<(), Errno> {
    let tree = tree()?;
    // The parent directory, and the path from /sys/devices to it.
    let parent_path: [&[u8]; 3] = match parent {
        Parent::Virtual => [b"virtual", class, b""],
        Parent::Serial8250 => [b"platform", b"serial8250", b"tty"],
    };
    let parent_path: &[&[u8]] = match parent {
        Parent::Virtual => &parent_path[..2],
        Parent::Serial8250 => &parent_path[..],
    };
    let mut parent_dir = tree.devices.clone();
    for part in parent_path {
        parent_dir = dir(&parent_dir, part, 0o755)?;
    }
    let device = DynamicDir::new(next_ino(), 0o755);
    for (attribute_name, text) in extra {
        add_attribute(&device, attribute_name, 0o444, Content::Static(text))?;
    }
    let mut text = Vec::new();
    crate::out!(&mut text, "{major}:{minor}\n")?;
    add_attribute(&device, b"dev", 0o444, Content::Text(text))?;
    add_power_dir(&device)?;
    // `subsystem`: up from the device's directory to /sys, then class/<class>.
    let mut link = Vec::new();
    for _ in 0..parent_path.len() + 2 {
        vfs::pseudo::push(&mut link, b"../")?;
    }
    vfs::pseudo::push(&mut link, b"class/")?;
    vfs::pseudo::push(&mut link, class)?;
    device.add(b"subsystem", TextLink::try_new(next_ino(), &link)?)?;
    if let Parent::Serial8250 = parent {
        device.add(
            b"device",
            TextLink::try_new(next_ino(), b"../../../serial8250")?,
        )?;
    }
    let mut uevent = Vec::new();
    crate::out!(&mut uevent, "MAJOR={major}\nMINOR={minor}\nDEVNAME=")?;
    vfs::pseudo::push(&mut uevent, name)?;
    if let Some(mode) = dev_mode {
        crate::out!(&mut uevent, "\nDEVMODE=0{mode:o}")?;
    }
    vfs::pseudo::push(&mut uevent, b"\n")?;
    let mut uevent_vars = Vec::new();
    vfs::pseudo::push(&mut uevent_vars, &uevent)?;
    add_uevent(&device, 0o644, Content::Text(uevent))?;
    parent_dir.add(name, device)?;
    // `../../devices/<parent path>/<name>` from /sys/class/<class> and /sys/dev/char.
    let mut target = Vec::new();
    vfs::pseudo::push(&mut target, b"../../devices")?;
    for part in parent_path {
        vfs::pseudo::push(&mut target, b"/")?;
        vfs::pseudo::push(&mut target, part)?;
    }
    vfs::pseudo::push(&mut target, b"/")?;
    vfs::pseudo::push(&mut target, name)?;
    dir(&tree.class, class, 0o755)?.add(name, TextLink::try_new(next_ino(), &target)?)?;
    let mut number = Vec::new();
    crate::out!(&mut number, "{major}:{minor}")?;
    tree.dev_char
        .add(&number, TextLink::try_new(next_ino(), &target)?)?;
    let mut devpath = Vec::new();
    vfs::pseudo::push(&mut devpath, b"/devices")?;
    for part in parent_path {
        vfs::pseudo::push(&mut devpath, b"/")?;
        vfs::pseudo::push(&mut devpath, part)?;
    }
    vfs::pseudo::push(&mut devpath, b"/")?;
    vfs::pseudo::push(&mut devpath, name)?;
    send_uevent("add", &devpath, class, &uevent_vars);
    Ok(())
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
            tree()?.root.clone(),
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
