//! Unpacking the initramfs into the root filesystem, as Linux's `init/initramfs.c`: regular
//! files, directories, symlinks, device nodes, FIFOs and sockets with their modes, owners and
//! modification times; hard links; later entries replace earlier ones of the same name; a bad
//! archive stops unpacking with a logged error (Linux: "Initramfs unpacking failed").

use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::dentry::Dentry;
use vfs::{FileType, Inode, SetAttr, TimeSet, Timespec};

/// Unpacks `image` under `root`.
pub fn unpack(root: &Arc<Dentry>, image: &[u8]) -> Result<usize, Errno> {
    let mut count = 0usize;
    let result = cpio::initramfs::unpack(
        image,
        |unpacked: &cpio::initramfs::UnpackedEntry<'_>| -> Result<(), Errno> {
            count += 1;
            install(root, &unpacked.entry, unpacked.hard_link_to)
        },
    );
    match result {
        Ok(()) => Ok(count),
        Err(error) => {
            log::error!("Initramfs unpacking failed: {error:?}");
            Err(Errno::EINVAL)
        }
    }
}

fn split_name(name: &[u8]) -> Vec<&[u8]> {
    name.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect()
}

fn install(
    root: &Arc<Dentry>,
    entry: &cpio::Entry<'_>,
    hard_link_to: Option<&[u8]>,
) -> Result<(), Errno> {
    let components = split_name(entry.name);
    let Some((last, parents)) = components.split_last() else {
        // "." sets the root's attributes.
        return apply_attributes(root.inode(), entry);
    };
    let mut dir: Arc<dyn Inode> = root.inode().clone();
    for component in parents {
        dir = match dir.lookup(component) {
            Ok(found) => found,
            Err(_) => dir.create(component, FileType::Directory, 0o755, 0, 0, 0)?,
        };
    }
    let Some(file_type) = FileType::from_mode_bits(entry.mode) else {
        return Ok(());
    };
    let permissions = entry.mode & abi::mode::S_IALLUGO;
    // Linux removes an existing non-directory (or empty directory) of the same name first.
    if let Ok(existing) = dir.lookup(last) {
        if existing.metadata().file_type.is_dir() {
            if file_type.is_dir() {
                return apply_attributes(&existing, entry);
            }
            dir.rmdir(last)?;
        } else {
            dir.unlink(last)?;
        }
    }
    let inode = match file_type {
        FileType::Symlink => {
            dir.symlink(last, entry.data, entry.uid, entry.gid)?;
            return Ok(());
        }
        FileType::Regular => {
            if let Some(first) = hard_link_to {
                let target = lookup_path(root, first)?;
                dir.link(last, &target)?;
                if !entry.data.is_empty() {
                    target.truncate(0)?;
                    write_all(&target, entry.data)?;
                }
                return apply_attributes(&target, entry);
            }
            let inode = dir.create(
                last,
                FileType::Regular,
                permissions,
                entry.uid,
                entry.gid,
                0,
            )?;
            write_all(&inode, entry.data)?;
            inode
        }
        FileType::CharDevice | FileType::BlockDevice => {
            let rdev = vfs::inode::encode_dev(entry.rdev_major, entry.rdev_minor);
            dir.create(last, file_type, permissions, entry.uid, entry.gid, rdev)?
        }
        _ => dir.create(last, file_type, permissions, entry.uid, entry.gid, 0)?,
    };
    apply_attributes(&inode, entry)
}

fn write_all(inode: &Arc<dyn Inode>, data: &[u8]) -> Result<(), Errno> {
    let mut written = 0;
    while written < data.len() {
        written += hal::mm::heap::user_data(|| inode.write_at(written as u64, &data[written..]))?;
    }
    Ok(())
}

fn lookup_path(root: &Arc<Dentry>, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
    let mut inode = root.inode().clone();
    for component in split_name(name) {
        inode = inode.lookup(component)?;
    }
    Ok(inode)
}

fn apply_attributes(inode: &Arc<dyn Inode>, entry: &cpio::Entry<'_>) -> Result<(), Errno> {
    let mtime = Timespec {
        sec: i64::from(entry.mtime),
        nsec: 0,
    };
    inode.set_attr(&SetAttr {
        mode: Some(entry.mode & abi::mode::S_IALLUGO),
        uid: Some(entry.uid),
        gid: Some(entry.gid),
        mtime: Some(TimeSet::At(mtime)),
        ..SetAttr::default()
    })
}
