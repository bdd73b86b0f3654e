//! Disks and partitions in sysfs (Linux's `block/genhd.c` `disk_attrs`, `block/partitions/core.c`
//! `part_attrs`, `block/blk-sysfs.c` `queue_attrs`), as Debian's 6.1 shows a virtio disk:
//!
//! - `/sys/devices/pci0000:00/0000:00:04.0/virtio0/block/vda/` with `dev`, `size`, `ro`,
//!   `removable`, `range`, `ext_range`, `hidden`, `alignment_offset`, `discard_alignment`,
//!   `diskseq`, `uevent` (`DEVTYPE=disk`), `subsystem`, `power/`, `queue/`
//!   (`logical_block_size`, `physical_block_size`, `hw_sector_size`, `minimum_io_size`,
//!   `optimal_io_size`, `rotational`, `read_ahead_kb`, `max_segments`), and one directory per
//!   partition (`vda1/`: `dev`, `partition`, `start`, `size`, `ro`, `alignment_offset`,
//!   `discard_alignment`, `uevent` with `DEVTYPE=partition`, the disk's `DISKSEQ` and `PARTN`, `subsystem`, `power/`);
//! - the links `/sys/block/vda`, `/sys/class/block/vda`, `/sys/class/block/vda1`,
//!   `/sys/dev/block/254:0`, `/sys/dev/block/254:1`.
//!
//! Not shown yet: `stat`, `inflight`, `events*`, `holders/`, `slaves/`, `bdi`, `mq/`, `trace/`,
//! and the PCI function's own attributes.

use super::{Content, add_attribute, add_link, add_power_dir, add_uevent, dir, next_ino, tree};
use crate::block::{Disk, Part};
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::pseudo::{DynamicDir, RenderFile};

/// Each disk's directory, to add and remove partitions later.
static DISK_DIRS: SpinLock<Vec<(String, Arc<DynamicDir>)>> =
    SpinLock::new("sysfs.block", Vec::new());

fn text(value: impl core::fmt::Display) -> Result<Content, Errno> {
    let mut out = Vec::new();
    vfs::pseudo::push_fmt(&mut out, format_args!("{value}\n"))?;
    Ok(Content::Text(out))
}

/// The disk's path below `/sys/devices`.
fn disk_path(disk: &Disk) -> String {
    alloc::format!("{}/block/{}", disk.sysfs_parent, disk.name)
}

/// Adds the disk's directory and links (`device_add_disk`).
pub fn add_disk(disk: &Arc<Disk>) -> Result<(), Errno> {
    let tree = tree()?;
    let mut parent = tree.devices.clone();
    for part in disk.sysfs_parent.split('/').chain(["block"]) {
        parent = dir(&parent, part.as_bytes(), 0o755)?;
    }
    let device = DynamicDir::new(next_ino(), 0o755);
    add_attribute(&device, b"alignment_offset", 0o444, Content::Static(b"0\n"))?;
    add_attribute(
        &device,
        b"dev",
        0o444,
        text(format_args!("{}:{}", disk.major, disk.first_minor))?,
    )?;
    add_attribute(
        &device,
        b"discard_alignment",
        0o444,
        Content::Static(b"0\n"),
    )?;
    add_dynamic(&device, b"diskseq", disk, |disk| disk.seq())?;
    add_attribute(&device, b"ext_range", 0o444, Content::Static(b"256\n"))?;
    add_attribute(&device, b"hidden", 0o444, Content::Static(b"0\n"))?;
    add_attribute(&device, b"range", 0o444, text(disk.minors)?)?;
    add_attribute(&device, b"removable", 0o444, Content::Static(b"0\n"))?;
    let read_only = disk.clone();
    device.add(
        b"ro",
        RenderFile::new(next_ino(), 0o444, move |out| {
            vfs::pseudo::push_fmt(
                out,
                format_args!("{}\n", u8::from(read_only.is_read_only(0))),
            )
        }),
    )?;
    add_dynamic(&device, b"size", disk, |disk| disk.sectors())?;
    let queue = dir(&device, b"queue", 0o755)?;
    add_dynamic(&queue, b"hw_sector_size", disk, |disk| {
        u64::from(disk.logical_block_size())
    })?;
    add_dynamic(&queue, b"logical_block_size", disk, |disk| {
        u64::from(disk.logical_block_size())
    })?;
    add_dynamic(&queue, b"minimum_io_size", disk, |disk| {
        u64::from(disk.physical_block_size())
    })?;
    add_attribute(&queue, b"optimal_io_size", 0o444, Content::Static(b"0\n"))?;
    add_dynamic(&queue, b"physical_block_size", disk, |disk| {
        u64::from(disk.physical_block_size())
    })?;
    add_attribute(&queue, b"read_ahead_kb", 0o644, Content::Static(b"128\n"))?;
    add_attribute(&queue, b"rotational", 0o644, Content::Static(b"1\n"))?;
    add_power_dir(&device)?;
    let depth = disk.sysfs_parent.split('/').count() + 2;
    add_link(
        &device,
        b"subsystem",
        &up_to_sys(depth + 1, b"class/block")?,
    )?;
    let mut uevent = Vec::new();
    vfs::pseudo::push_fmt(
        &mut uevent,
        format_args!(
            "MAJOR={}\nMINOR={}\nDEVNAME={}\nDEVTYPE=disk\nDISKSEQ={}\n",
            disk.major,
            disk.first_minor,
            disk.name,
            disk.seq()
        ),
    )?;
    let mut uevent_vars = Vec::new();
    vfs::pseudo::push(&mut uevent_vars, &uevent)?;
    add_uevent(&device, 0o644, Content::Text(uevent))?;
    parent.add(disk.name.as_bytes(), device.clone())?;
    let target = alloc::format!("devices/{}", disk_path(disk));
    add_link(
        &*dir(&tree.root, b"block", 0o755)?,
        disk.name.as_bytes(),
        alloc::format!("../{target}").as_bytes(),
    )?;
    let class = dir(&*dir(&tree.root, b"class", 0o755)?, b"block", 0o755)?;
    add_link(
        &class,
        disk.name.as_bytes(),
        alloc::format!("../../{target}").as_bytes(),
    )?;
    let dev_block = dir(&*dir(&tree.root, b"dev", 0o755)?, b"block", 0o755)?;
    add_link(
        &dev_block,
        alloc::format!("{}:{}", disk.major, disk.first_minor).as_bytes(),
        alloc::format!("../../{target}").as_bytes(),
    )?;
    let mut dirs = DISK_DIRS.lock();
    dirs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    dirs.push((disk.name.clone(), device));
    drop(dirs);
    let devpath = alloc::format!("/devices/{}", disk_path(disk));
    super::send_uevent("add", devpath.as_bytes(), b"block", &uevent_vars);
    Ok(())
}

/// The `uevent` variables of a disk.
fn disk_vars(disk: &Disk) -> alloc::string::String {
    alloc::format!(
        "MAJOR={}\nMINOR={}\nDEVNAME={}\nDEVTYPE=disk\nDISKSEQ={}\n",
        disk.major,
        disk.first_minor,
        disk.name,
        disk.seq()
    )
}

/// A read-only attribute showing a number of the disk as it is now.
fn add_dynamic(
    parent: &Arc<DynamicDir>,
    name: &'static [u8],
    disk: &Arc<Disk>,
    value: fn(&Disk) -> u64,
) -> Result<(), Errno> {
    let weak = Arc::downgrade(disk);
    parent.add(
        name,
        RenderFile::new(next_ino(), 0o444, move |out| {
            let number = weak.upgrade().map_or(0, |disk| value(&disk));
            vfs::pseudo::push_fmt(out, format_args!("{number}\n"))
        }),
    )
}

/// The disk's directory (`/sys/block/<name>`'s target), for a driver's own attributes.
pub fn disk_dir(disk: &Disk) -> Option<Arc<DynamicDir>> {
    DISK_DIRS
        .lock()
        .iter()
        .find(|(name, _)| *name == disk.name)
        .map(|(_, dir)| dir.clone())
}

/// Takes the disk's directory and links away (`del_gendisk`).
pub fn remove_disk(disk: &Disk) {
    let Ok(tree) = tree() else {
        return;
    };
    let devpath = alloc::format!("/devices/{}", disk_path(disk));
    super::send_uevent(
        "remove",
        devpath.as_bytes(),
        b"block",
        disk_vars(disk).as_bytes(),
    );
    let removed = {
        let mut dirs = DISK_DIRS.lock();
        let position = dirs.iter().position(|(name, _)| *name == disk.name);
        position.map(|index| dirs.remove(index))
    };
    drop(removed);
    let mut parent = Some(tree.devices.clone());
    for part in disk.sysfs_parent.split('/').chain(["block"]) {
        parent = parent.and_then(|at| dir(&at, part.as_bytes(), 0o755).ok());
    }
    if let Some(parent) = parent {
        drop(parent.remove(disk.name.as_bytes()));
    }
    for (path, name) in [
        (&[&b"block"[..]][..], disk.name.clone().into_bytes()),
        (
            &[&b"class"[..], b"block"][..],
            disk.name.clone().into_bytes(),
        ),
        (
            &[&b"dev"[..], b"block"][..],
            alloc::format!("{}:{}", disk.major, disk.first_minor).into_bytes(),
        ),
    ] {
        let mut at = Some(tree.root.clone());
        for part in path {
            at = at.and_then(|here| dir(&here, part, 0o755).ok());
        }
        if let Some(at) = at {
            drop(at.remove(&name));
        }
    }
}

/// `../` × `depth` then `rest`: a link from a directory `depth` levels below `/sys`.
fn up_to_sys(depth: usize, rest: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut link = Vec::new();
    for _ in 0..depth {
        vfs::pseudo::push(&mut link, b"../")?;
    }
    vfs::pseudo::push(&mut link, rest)?;
    Ok(link)
}

/// Replaces the partitions `old` with `new` under the disk (`blk_add_partition`,
/// `delete_partition`).
pub fn replace_partitions(disk: &Arc<Disk>, old: &[Part], new: &[Part]) -> Result<(), Errno> {
    let tree = tree()?;
    let Some(device) = disk_dir(disk) else {
        return Ok(());
    };
    let class = dir(&*dir(&tree.root, b"class", 0o755)?, b"block", 0o755)?;
    let dev_block = dir(&*dir(&tree.root, b"dev", 0o755)?, b"block", 0o755)?;
    for part in old {
        let name = disk.partition_name(part.number);
        drop(device.remove(name.as_bytes()));
        drop(class.remove(name.as_bytes()));
        drop(dev_block.remove(alloc::format!("{}:{}", part.major, part.minor).as_bytes()));
    }
    let depth = disk.sysfs_parent.split('/').count() + 3;
    for part in new {
        let name = disk.partition_name(part.number);
        let node = DynamicDir::new(next_ino(), 0o755);
        add_attribute(&node, b"alignment_offset", 0o444, Content::Static(b"0\n"))?;
        add_attribute(
            &node,
            b"dev",
            0o444,
            text(format_args!("{}:{}", part.major, part.minor))?,
        )?;
        add_attribute(&node, b"discard_alignment", 0o444, Content::Static(b"0\n"))?;
        add_attribute(&node, b"partition", 0o444, text(part.number)?)?;
        let read_only = disk.clone();
        let number = part.number;
        node.add(
            b"ro",
            RenderFile::new(next_ino(), 0o444, move |out| {
                vfs::pseudo::push_fmt(
                    out,
                    format_args!("{}\n", u8::from(read_only.is_read_only(number))),
                )
            }),
        )?;
        add_attribute(&node, b"size", 0o444, text(part.sectors)?)?;
        add_attribute(&node, b"start", 0o444, text(part.start)?)?;
        add_power_dir(&node)?;
        add_link(&node, b"subsystem", &up_to_sys(depth + 1, b"class/block")?)?;
        let mut uevent = Vec::new();
        vfs::pseudo::push_fmt(
            &mut uevent,
            format_args!(
                "MAJOR={}\nMINOR={}\nDEVNAME={name}\nDEVTYPE=partition\nDISKSEQ={}\nPARTN={}\n",
                part.major,
                part.minor,
                disk.seq(),
                part.number
            ),
        )?;
        // part_uevent: the GPT name, when it has one.
        if !part.label.bytes().is_empty() {
            uevent
                .try_reserve(part.label.bytes().len() + 10)
                .map_err(|_| Errno::ENOMEM)?;
            uevent.extend_from_slice(b"PARTNAME=");
            uevent.extend_from_slice(part.label.bytes());
            uevent.push(b'\n');
        }
        add_uevent(&node, 0o644, Content::Text(uevent))?;
        device.add(name.as_bytes(), node)?;
        let target = alloc::format!("../../devices/{}/{name}", disk_path(disk));
        add_link(&class, name.as_bytes(), target.as_bytes())?;
        add_link(
            &dev_block,
            alloc::format!("{}:{}", part.major, part.minor).as_bytes(),
            target.as_bytes(),
        )?;
    }
    Ok(())
}
