//! `/sys/block/loopN/loop/` while a device is bound (Linux's `loop_attribute_group`):
//! `backing_file` (the backing file's path as the reader's root sees it, ` (deleted)` after
//! an unlink), `offset`, `sizelimit`, `autoclear`, `partscan`, `dio`, each a line.

use super::LoopDevice;
use crate::block::Disk;
use abi::Errno;
use abi::loop_dev::{LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO, LO_FLAGS_PARTSCAN};
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::pseudo::{DynamicDir, RenderFile};

/// What one attribute shows of a binding.
type Show = fn(&super::Binding, &mut Vec<u8>) -> Result<(), Errno>;

fn flag(out: &mut Vec<u8>, binding: &super::Binding, bit: u32) -> Result<(), Errno> {
    vfs::pseudo::push(
        out,
        if binding.flags & bit != 0 {
            b"1\n"
        } else {
            b"0\n"
        },
    )
}

const ATTRIBUTES: [(&[u8], Show); 6] = [
    (b"backing_file", |binding, out| {
        let Some(path) = &binding.file.path else {
            return Ok(());
        };
        let root = crate::process::current()
            .process
            .fs
            .get()
            .lock()
            .root
            .clone();
        vfs::pseudo::push(out, &path.d_path(&root)?)?;
        vfs::pseudo::push(out, b"\n")
    }),
    (b"offset", |binding, out| {
        vfs::pseudo::push_fmt(out, format_args!("{}\n", binding.offset))
    }),
    (b"sizelimit", |binding, out| {
        vfs::pseudo::push_fmt(out, format_args!("{}\n", binding.sizelimit))
    }),
    (b"autoclear", |binding, out| {
        flag(out, binding, LO_FLAGS_AUTOCLEAR)
    }),
    (b"partscan", |binding, out| {
        flag(out, binding, LO_FLAGS_PARTSCAN)
    }),
    (b"dio", |binding, out| {
        flag(out, binding, LO_FLAGS_DIRECT_IO)
    }),
];

/// Adds `loop/` under the disk's directory (`loop_sysfs_init`).
pub fn add(disk: &Arc<Disk>) -> Result<(), Errno> {
    let Some(dir) = crate::fs::sysfs::block::disk_dir(disk) else {
        return Ok(());
    };
    let attributes = DynamicDir::new(crate::fs::sysfs::next_ino(), 0o755);
    for (name, show) in ATTRIBUTES {
        let weak = Arc::downgrade(disk);
        attributes.add(
            name,
            RenderFile::new(crate::fs::sysfs::next_ino(), 0o444, move |out| {
                // What the device is bound to now (nothing once it is unbound).
                let binding = weak
                    .upgrade()
                    .and_then(|disk| super::of_disk(&disk).and_then(LoopDevice::binding));
                match binding {
                    Some(binding) => show(&binding, out),
                    None => Ok(()),
                }
            }),
        )?;
    }
    drop(dir.remove(b"loop"));
    dir.add(b"loop", attributes)
}

/// Takes `loop/` away (`loop_sysfs_exit`).
pub fn remove(disk: &Disk) {
    if let Some(dir) = crate::fs::sysfs::block::disk_dir(disk) {
        drop(dir.remove(b"loop"));
    }
}
