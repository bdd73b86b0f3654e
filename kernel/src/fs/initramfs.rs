//! Unpacking the initramfs into the root filesystem as a stream, as Linux's `init/initramfs.c`
//! does: the image goes through [`cpio::initramfs::Unpacker`] (gzip members inflated through a
//! 32 KiB window), and this module is its [`Sink`]. Each entry is created as Linux's `do_name`,
//! `do_copy` and `do_symlink` create it: regular files, directories, symlinks, device nodes,
//! FIFOs and sockets with their modes and owners; hard links; a later entry replaces an earlier
//! one of the same name. A regular file is truncated to its size from the header first
//! (`ftruncate(body_len)`), then its data is written with [`Inode::write_at`] piece by piece as
//! it is unpacked (a piece of the image or of the window, so no file is ever held whole in kernel
//! memory besides its own pages), then its times are set; directories get their times after the
//! whole image (`dir_utime`).
//!
//! As in Linux, an entry that cannot be created is skipped, with its data; a failed write stops
//! unpacking ("write error"), as does a malformed image. Either way what was created stays, the
//! caller logs "Initramfs unpacking failed: <reason>" and boot goes on.
//!
//! Names are resolved from the root as Linux's path walk resolves them ([`ResolvedName`]): `..`
//! stays inside the root, and a name ending in `.` or `..` names a directory that is there
//! (a directory or device entry then changes its owner and mode, others are skipped).
//!
//! Unlike Linux, a missing parent directory is created (mode 0755) instead of the entry being
//! skipped.

use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use cpio::initramfs::{ResolvedName, Sink, UnpackError, UnpackedEntry, Unpacker};
use vfs::dentry::Dentry;
use vfs::{FileType, Inode, SetAttr, TimeSet, Timespec};

/// How many entries an image created, or why it stopped (after creating `created`).
pub struct Unpacked {
    pub created: usize,
    pub result: Result<(), UnpackError<Errno>>,
}

/// Unpacks `image` under `root`.
pub fn unpack(root: &Arc<Dentry>, image: &[u8]) -> Unpacked {
    let mut sink = RootfsSink {
        root,
        created: 0,
        file: None,
        dirs: Vec::new(),
    };
    let result = Unpacker::new()
        .map_err(UnpackError::from)
        .and_then(|mut unpacker| {
            unpacker.feed(image, &mut sink)?;
            unpacker.finish(&mut sink)
        });
    for (dir, mtime) in core::mem::take(&mut sink.dirs) {
        let _ = set_times(&dir, mtime);
    }
    Unpacked {
        created: sink.created,
        result,
    }
}

/// The regular file being written.
struct OpenFile {
    inode: Arc<dyn Inode>,
    /// Where the next piece of data goes.
    position: u64,
    mtime: u32,
}

/// Creates unpacked entries under the root.
struct RootfsSink<'a> {
    root: &'a Arc<Dentry>,
    created: usize,
    /// `None` while no file is open, or when the last regular file could not be created (its
    /// data is then dropped, as Linux drops it).
    file: Option<OpenFile>,
    /// Directories and their modification times, set at the end.
    dirs: Vec<(Arc<dyn Inode>, u32)>,
}

impl Sink for RootfsSink<'_> {
    type Error = Errno;

    fn create(&mut self, entry: &UnpackedEntry<'_>) -> Result<(), Errno> {
        self.file = None;
        match self.install(entry) {
            Ok(file) => {
                self.created += 1;
                self.file = file;
            }
            Err(error) => log::debug!(
                "initramfs: cannot create {}: {error}",
                core::str::from_utf8(entry.name).unwrap_or("(not UTF-8)")
            ),
        }
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Errno> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let mut written = 0;
        while written < data.len() {
            let position = file.position + written as u64;
            let count =
                hal::mm::heap::user_data(|| file.inode.write_at(position, &data[written..]))?;
            if count == 0 {
                return Err(Errno::ENOSPC);
            }
            written += count;
        }
        file.position += data.len() as u64;
        Ok(())
    }

    fn finish_file(&mut self) -> Result<(), Errno> {
        if let Some(file) = self.file.take() {
            let _ = set_times(&file.inode, file.mtime);
        }
        Ok(())
    }
}

impl RootfsSink<'_> {
    /// Creates `entry`; for a regular file, returns it open for its data.
    fn install(&mut self, entry: &UnpackedEntry<'_>) -> Result<Option<OpenFile>, Errno> {
        let name = ResolvedName::new(entry.name).ok_or(Errno::ENOMEM)?;
        let file_type = FileType::from_mode_bits(entry.mode).ok_or(Errno::EINVAL)?;
        if name.names_existing_dir {
            // ".", "x/..": a directory that is there (Linux's mkdir says EEXIST, its chown
            // and chmod still apply; a file cannot be opened over it, nor a link made).
            let dir = lookup_path(self.root, entry.name)?;
            return match file_type {
                FileType::Regular => Err(Errno::EISDIR),
                _ if entry.hard_link_to.is_some() => Err(Errno::EEXIST),
                FileType::Symlink => Err(Errno::EEXIST),
                FileType::Directory => {
                    set_owner_and_mode(&dir, entry)?;
                    self.remember_dir(&dir, entry.mtime);
                    Ok(None)
                }
                _ => {
                    set_owner_and_mode(&dir, entry)?;
                    set_times(&dir, entry.mtime)?;
                    Ok(None)
                }
            };
        }
        let Some((last, parents)) = name.split_last() else {
            return Err(Errno::EEXIST);
        };
        let mut dir: Arc<dyn Inode> = self.root.inode().clone();
        for component in parents {
            dir = match dir.lookup(component) {
                Ok(found) => found,
                Err(_) => dir.create(component, FileType::Directory, 0o755, 0, 0, 0)?,
            };
        }
        let existing = dir.lookup(last).ok();
        // Linux's `clean_path`: what is there goes unless it has the entry's type (a hard link
        // or a symlink replaces anything).
        let keeps_existing = entry.hard_link_to.is_none()
            && file_type != FileType::Symlink
            && existing
                .as_ref()
                .is_some_and(|inode| inode.metadata().file_type == file_type);
        let existing = match existing {
            Some(inode) if keeps_existing => Some(inode),
            Some(inode) => {
                if inode.metadata().file_type.is_dir() {
                    dir.rmdir(last)?;
                } else {
                    dir.unlink(last)?;
                }
                None
            }
            None => None,
        };
        if let Some(first) = entry.hard_link_to {
            let target = lookup_path(self.root, first)?;
            dir.link(last, &target)?;
            if file_type != FileType::Regular {
                return Ok(None);
            }
            return open_for_data(target, entry).map(Some);
        }
        let permissions = entry.mode & abi::mode::S_IALLUGO;
        match file_type {
            FileType::Symlink => {
                dir.symlink(last, entry.symlink_target, entry.uid, entry.gid)?;
                if let Ok(link) = dir.lookup(last) {
                    let _ = set_times(&link, entry.mtime);
                }
                Ok(None)
            }
            FileType::Regular => {
                let inode = match existing {
                    Some(inode) => {
                        // O_TRUNC on the file that is there.
                        inode.truncate(0)?;
                        inode
                    }
                    None => dir.create(
                        last,
                        FileType::Regular,
                        permissions,
                        entry.uid,
                        entry.gid,
                        0,
                    )?,
                };
                open_for_data(inode, entry).map(Some)
            }
            FileType::Directory => {
                let inode = match existing {
                    Some(inode) => inode,
                    None => dir.create(last, file_type, permissions, entry.uid, entry.gid, 0)?,
                };
                set_owner_and_mode(&inode, entry)?;
                self.remember_dir(&inode, entry.mtime);
                Ok(None)
            }
            _ => {
                let rdev = match file_type {
                    FileType::CharDevice | FileType::BlockDevice => {
                        vfs::inode::encode_dev(entry.rdev_major, entry.rdev_minor)
                    }
                    _ => 0,
                };
                // On a node of the same type, Linux's mknod fails and its chown, chmod and
                // utime apply to the node that is there.
                let inode = match existing {
                    Some(inode) => inode,
                    None => dir.create(last, file_type, permissions, entry.uid, entry.gid, rdev)?,
                };
                set_owner_and_mode(&inode, entry)?;
                set_times(&inode, entry.mtime)?;
                Ok(None)
            }
        }
    }

    /// Keeps a directory's time for the end (Linux's `dir_add`); without memory it is lost.
    fn remember_dir(&mut self, dir: &Arc<dyn Inode>, mtime: u32) {
        if self.dirs.try_reserve(1).is_ok() {
            self.dirs.push((dir.clone(), mtime));
        }
    }
}

/// Sets a regular file's owner and mode and size before its data comes (Linux: `fchown`,
/// `fchmod`, `ftruncate(body_len)` when the body is not empty).
fn open_for_data(inode: Arc<dyn Inode>, entry: &UnpackedEntry<'_>) -> Result<OpenFile, Errno> {
    set_owner_and_mode(&inode, entry)?;
    if entry.size > 0 {
        inode.truncate(u64::from(entry.size))?;
    }
    Ok(OpenFile {
        inode,
        position: 0,
        mtime: entry.mtime,
    })
}

/// The inode `name` resolves to (`..` and `.` applied as [`ResolvedName`] applies them).
fn lookup_path(root: &Arc<Dentry>, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
    let name = ResolvedName::new(name).ok_or(Errno::ENOMEM)?;
    let mut inode = root.inode().clone();
    for component in &name.components {
        inode = inode.lookup(component)?;
    }
    Ok(inode)
}

fn set_owner_and_mode(inode: &Arc<dyn Inode>, entry: &UnpackedEntry<'_>) -> Result<(), Errno> {
    inode.set_attr(&SetAttr {
        mode: Some(entry.mode & abi::mode::S_IALLUGO),
        uid: Some(entry.uid),
        gid: Some(entry.gid),
        ..SetAttr::default()
    })
}

/// Linux's `do_utime`: access and modification times both set to the entry's `mtime`.
fn set_times(inode: &Arc<dyn Inode>, mtime: u32) -> Result<(), Errno> {
    let time = TimeSet::At(Timespec {
        sec: i64::from(mtime),
        nsec: 0,
    });
    inode.set_attr(&SetAttr {
        atime: Some(time),
        mtime: Some(time),
        ..SetAttr::default()
    })
}
