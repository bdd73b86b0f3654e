//! Synthetic filesystems whose objects are made on demand from kernel state (procfs, sysfs), as
//! Linux's `fs/proc/generic.c`, `fs/proc/base.c`'s `pid_entry` tables and `fs/seq_file.c`.
//!
//! Key types: [`Node`] (one object: a directory that finds and lists its children, a file that
//! renders its contents when opened and may take writes, a symbolic link — possibly a "magic"
//! one that jumps to a [`Path`] instead of being read), [`PseudoInode`] (the [`Inode`] the VFS
//! sees for a node), [`PseudoFs`] (an instance: its type name, magic, device number and root),
//! [`StaticDir`] (a directory with a fixed list of children).
//!
//! Files are rendered whole ([`Node::render`]) when read from position 0, as `single_open`
//! seq files are: the kernel keeps the text per open file and serves later reads from it, so a
//! reader sees one consistent snapshot however it splits its reads ([`PseudoInode::read_at`]
//! renders on every call, for callers without an open file). Directory positions are cookies
//! the node chooses, so a directory whose entries come and go (`/proc` and its pids) resumes a
//! listing at the right place (Linux: `TGID_OFFSET + pid`). Names of objects that went away
//! (a reaped process, a closed descriptor) report [`Node::is_stale`], so the dentry cache looks
//! them up again (Linux's `pid_revalidate`).
//!
//! Neighbours: the kernel implements the nodes (`kernel/src/fs/proc`, `kernel/src/fs/sysfs.rs`);
//! [`crate::path`] follows magic links through [`crate::Inode::jump_link`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use abi::Errno;

use crate::inode::{
    Clock, DirEntry, FileSystem, FileType, Inode, Metadata, NAME_MAX, SetAttr, StatFs, Timespec,
};
use crate::mount::Path;
use crate::sync::SpinLock;

/// What `stat` shows of a node besides its type and inode number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeAttr {
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count (directories: 2 + subdirectories, as procfs counts them).
    pub nlink: u32,
    /// Size (0 for rendered files, as procfs).
    pub size: u64,
}

impl NodeAttr {
    /// Owned by root, one link, size 0.
    pub const fn root(mode: u32) -> NodeAttr {
        NodeAttr {
            mode,
            uid: 0,
            gid: 0,
            nlink: 1,
            size: 0,
        }
    }
}

/// One synthetic object; see the module documentation. Every method has the answer Linux
/// gives for an object that lacks the operation.
pub trait Node: Send + Sync + Any {
    /// The kind of object.
    fn file_type(&self) -> FileType;

    /// The inode number.
    fn ino(&self) -> u64;

    /// Mode, owner, links and size.
    fn attr(&self) -> NodeAttr;

    /// Checks made when the object is opened (`ptrace_may_access` for `environ`, `mem`…),
    /// with `is_write` for a write open. Default: allowed.
    fn may_open(&self, is_write: bool) -> Result<(), Errno> {
        let _ = is_write;
        Ok(())
    }

    /// The whole contents of a file, appended to `out`. Default: `EINVAL`.
    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let _ = out;
        Err(Errno::EINVAL)
    }

    /// A read at `offset` of a file that is not rendered whole (`/proc/<pid>/mem`, where the
    /// position is an address), or `None` for a rendered file. Default: `None`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize, Errno>> {
        let _ = (offset, buf);
        None
    }

    /// A write of `data` at `offset` (sysctls, `comm`, `oom_score_adj`); returns the bytes
    /// taken. Default: `EINVAL` (files without a write method are refused at open by their
    /// mode already).
    fn write(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let _ = (offset, data);
        Err(Errno::EINVAL)
    }

    /// The child `name` of a directory. Default: `ENOTDIR`.
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        let _ = name;
        Err(if self.file_type().is_dir() {
            Errno::ENOENT
        } else {
            Errno::ENOTDIR
        })
    }

    /// The entries of a directory after `.` and `..`, from cookie `offset` (2 or more), each
    /// with the cookie to resume after it; stops when `sink` returns `false`. Default:
    /// `ENOTDIR`.
    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let _ = (offset, sink);
        Err(Errno::ENOTDIR)
    }

    /// The target of a symbolic link. Default: `EINVAL`.
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// For a magic link (`/proc/<pid>/fd/N`, `cwd`, `exe`…): the object it stands for, which
    /// the walk moves to instead of reading the link (Linux `nd_jump_link`). Default: `None`.
    fn jump(&self) -> Option<Result<Path, Errno>> {
        None
    }

    /// Whether an absent name is an error of the lookup (procfs: `ENOENT` before any
    /// permission check, even for `mkdir`) rather than a free name that the directory then
    /// refuses to create (kernfs: `EPERM`). Default: `true`.
    fn lookup_failure_is_final(&self) -> bool {
        true
    }

    /// Whether the object is gone (see the module documentation). Default: `false`.
    fn is_stale(&self) -> bool {
        false
    }

    /// The node as `Any`, for the kernel's downcasts.
    fn as_any(&self) -> &dyn Any;
}

/// The [`Inode`] of a [`Node`].
pub struct PseudoInode {
    node: Arc<dyn Node>,
    dev: u64,
    /// `st_blksize` (procfs 1024, sysfs a page).
    blksize: u32,
    /// Linux gives a procfs inode the time it was made for all three times.
    time: Timespec,
}

impl PseudoInode {
    /// The inode of `node` on the instance with device number `dev` and block size
    /// `blksize`, made at `time`.
    pub fn new(node: Arc<dyn Node>, dev: u64, blksize: u32, time: Timespec) -> Arc<PseudoInode> {
        Arc::new(PseudoInode {
            node,
            dev,
            blksize,
            time,
        })
    }

    /// The node.
    pub fn node(&self) -> &Arc<dyn Node> {
        &self.node
    }

    /// The node of `inode`, if it is a pseudo inode.
    pub fn node_of(inode: &dyn Inode) -> Option<&Arc<dyn Node>> {
        inode
            .as_any()
            .downcast_ref::<PseudoInode>()
            .map(|p| &p.node)
    }
}

impl Inode for PseudoInode {
    fn metadata(&self) -> Metadata {
        let attr = self.node.attr();
        Metadata {
            dev: self.dev,
            ino: self.node.ino(),
            file_type: self.node.file_type(),
            mode: attr.mode,
            nlink: attr.nlink,
            uid: attr.uid,
            gid: attr.gid,
            size: attr.size,
            rdev: 0,
            blocks: 0,
            blksize: self.blksize,
            atime: self.time,
            mtime: self.time,
            ctime: self.time,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        self.node.file_type()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.node.file_type().is_dir() {
            return Err(Errno::EISDIR);
        }
        let mut text = Vec::new();
        self.node.render(&mut text)?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(text.len());
        let n = buf.len().min(text.len() - start);
        buf[..n].copy_from_slice(&text[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if self.node.file_type().is_dir() {
            return Err(Errno::EISDIR);
        }
        self.node.write(offset, data)
    }

    /// `O_TRUNC` and `truncate` on a rendered file change nothing and succeed, as Linux's
    /// `proc_setattr`, `proc_sys_setattr` and `kernfs_iop_setattr` accept a size: so
    /// `fopen(path, "w")` (`O_CREAT | O_TRUNC`, as `sysctl -w` opens) opens a procfs or sysfs
    /// file for writing.
    fn truncate(&self, len: u64) -> Result<(), Errno> {
        let _ = len;
        if self.node.file_type().is_dir() {
            return Err(Errno::EISDIR);
        }
        Ok(())
    }

    /// `proc_setattr`: mode and owner changes are `EPERM`; new times (what `O_TRUNC` and
    /// `utimensat` set) are accepted but not kept (Linux keeps them in the in-memory inode
    /// until it is evicted; here every object shows the mount's time).
    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        if attr.mode.is_some() || attr.uid.is_some() || attr.gid.is_some() {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let child = self.node.lookup(name)?;
        Ok(PseudoInode::new(child, self.dev, self.blksize, self.time))
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        if !self.node.file_type().is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let ino = self.node.ino();
        if offset == 0
            && !sink(DirEntry {
                ino,
                next_offset: 1,
                file_type: FileType::Directory,
                name: b".",
            })
        {
            return Ok(());
        }
        if offset <= 1
            && !sink(DirEntry {
                ino,
                next_offset: 2,
                file_type: FileType::Directory,
                name: b"..",
            })
        {
            return Ok(());
        }
        self.node.read_dir(offset.max(2), sink)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        if self.node.file_type() != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        self.node.readlink()
    }

    fn jump_link(&self) -> Option<Result<Path, Errno>> {
        self.node.jump()
    }

    fn lookup_failure_is_final(&self) -> bool {
        self.node.lookup_failure_is_final()
    }

    fn is_stale(&self) -> bool {
        self.node.is_stale()
    }
}

/// A synthetic filesystem instance.
pub struct PseudoFs {
    name: &'static str,
    magic: u64,
    root: Arc<PseudoInode>,
    /// Checks the options of a remount; `None` accepts none.
    check_options: Option<OptionCheck>,
}

/// Checks a filesystem's own mount options (`EINVAL` for what it does not take).
pub type OptionCheck = fn(&[crate::fstype::MountOption<'_>]) -> Result<(), Errno>;

impl PseudoFs {
    /// An instance of type `name` (`proc`, `sysfs`) with statfs magic `magic`, device number
    /// `dev` and inode block size `blksize`, whose root is `root`; inode times come from
    /// `clock`.
    pub fn new(
        name: &'static str,
        magic: u64,
        dev: u64,
        blksize: u32,
        root: Arc<dyn Node>,
        clock: &dyn Clock,
    ) -> Arc<PseudoFs> {
        Arc::new(PseudoFs {
            name,
            magic,
            root: PseudoInode::new(root, dev, blksize, clock.now()),
            check_options: None,
        })
    }

    /// The same, with `check` deciding which options a remount takes (procfs's `hidepid=`…).
    pub fn with_options(
        name: &'static str,
        magic: u64,
        dev: u64,
        blksize: u32,
        root: Arc<dyn Node>,
        clock: &dyn Clock,
        check: OptionCheck,
    ) -> Arc<PseudoFs> {
        Arc::new(PseudoFs {
            name,
            magic,
            root: PseudoInode::new(root, dev, blksize, clock.now()),
            check_options: Some(check),
        })
    }
}

impl FileSystem for PseudoFs {
    fn root_inode(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    /// `simple_statfs`: the magic, a page as block size, `NAME_MAX`, no blocks or inodes.
    fn statfs(&self) -> StatFs {
        StatFs {
            fs_type: self.magic,
            block_size: 4096,
            fragment_size: 4096,
            name_max: NAME_MAX as u64,
            ..StatFs::default()
        }
    }

    fn name(&self) -> &'static str {
        self.name
    }

    /// A remount takes what the instance's option check accepts; without one, no option.
    fn remount(&self, options: &[crate::fstype::MountOption<'_>]) -> Result<(), Errno> {
        match self.check_options {
            Some(check) => check(options),
            None if options.is_empty() => Ok(()),
            None => Err(Errno::EINVAL),
        }
    }
}

/// A child of a [`StaticDir`].
pub struct StaticEntry {
    /// Its name.
    pub name: &'static [u8],
    /// The node.
    pub node: Arc<dyn Node>,
}

/// A directory with a fixed list of children, listed in order (cookies 2, 3, …).
pub struct StaticDir {
    ino: u64,
    attr: NodeAttr,
    entries: Vec<StaticEntry>,
}

impl StaticDir {
    /// A directory with inode number `ino`, mode `mode` (root-owned) and `entries`; its link
    /// count is 2 plus its subdirectories.
    pub fn new(ino: u64, mode: u32, entries: Vec<StaticEntry>) -> Arc<StaticDir> {
        let subdirs = entries
            .iter()
            .filter(|e| e.node.file_type().is_dir())
            .count() as u32;
        Arc::new(StaticDir {
            ino,
            attr: NodeAttr {
                nlink: 2 + subdirs,
                ..NodeAttr::root(mode)
            },
            entries,
        })
    }

    /// The entries.
    pub fn entries(&self) -> &[StaticEntry] {
        &self.entries
    }

    /// Looks `name` up among the entries.
    pub fn find(&self, name: &[u8]) -> Option<Arc<dyn Node>> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.node.clone())
    }

    /// Lists the entries from cookie `offset` (2 is the first), for directories that list
    /// static entries before dynamic ones; returns `false` if `sink` stopped.
    pub fn list_from(&self, offset: u64, sink: &mut dyn FnMut(DirEntry<'_>) -> bool) -> bool {
        for (i, e) in self.entries.iter().enumerate() {
            let cookie = 2 + i as u64;
            if cookie < offset {
                continue;
            }
            if !sink(DirEntry {
                ino: e.node.ino(),
                next_offset: cookie + 1,
                file_type: e.node.file_type(),
                name: e.name,
            }) {
                return false;
            }
        }
        true
    }
}

impl Node for StaticDir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        self.attr
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        self.find(name).ok_or(Errno::ENOENT)
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        self.list_from(offset, sink);
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A plain symbolic link with a fixed target.
pub struct StaticLink {
    ino: u64,
    target: &'static [u8],
}

impl StaticLink {
    /// A link `ino` to `target`.
    pub fn new(ino: u64, target: &'static [u8]) -> Arc<StaticLink> {
        Arc::new(StaticLink { ino, target })
    }
}

impl Node for StaticLink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr {
            size: self.target.len() as u64,
            ..NodeAttr::root(0o777)
        }
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        crate::dentry::copy_bytes(self.target)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A symbolic link whose target is made at run time (sysfs's links between a device, its
/// class and its number); its size in `stat` is 0, as kernfs links'.
pub struct TextLink {
    ino: u64,
    target: Vec<u8>,
}

impl TextLink {
    /// A link `ino` to a copy of `target`; `ENOMEM` if the copy cannot be made.
    pub fn try_new(ino: u64, target: &[u8]) -> Result<Arc<TextLink>, Errno> {
        Ok(Arc::new(TextLink {
            ino,
            target: crate::dentry::copy_bytes(target)?,
        }))
    }
}

impl Node for TextLink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr::root(0o777)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        crate::dentry::copy_bytes(&self.target)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A child of a [`DynamicDir`]: its name and node.
type NamedNode = (Vec<u8>, Arc<dyn Node>);

/// A directory whose children are added while the system runs (Linux's kernfs directories in
/// sysfs: a device's directory appears when its driver registers it). Children are listed in
/// the order they were added (cookies 2, 3, …); they are removed only when a device goes
/// ([`DynamicDir::remove`]).
pub struct DynamicDir {
    ino: u64,
    mode: u32,
    entries: SpinLock<Vec<NamedNode>>,
}

impl DynamicDir {
    /// An empty directory `ino` with permission bits `mode`, owned by root.
    pub fn new(ino: u64, mode: u32) -> Arc<DynamicDir> {
        Arc::new(DynamicDir {
            ino,
            mode,
            entries: SpinLock::new("vfs.pseudo.dir", Vec::new()),
        })
    }

    /// Adds `node` as `name`: `EEXIST` if the name is taken, `ENOMEM` if it does not fit.
    pub fn add(&self, name: &[u8], node: Arc<dyn Node>) -> Result<(), Errno> {
        if name.is_empty() || name.len() > NAME_MAX || name.contains(&b'/') {
            return Err(Errno::EINVAL);
        }
        let name = crate::dentry::copy_bytes(name)?;
        let mut entries = self.entries.lock();
        if entries.iter().any(|(existing, _)| *existing == name) {
            return Err(Errno::EEXIST);
        }
        entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        entries.push((name, node));
        Ok(())
    }

    /// Removes the child `name` (a partition gone after a rescan); returns it. A listing in
    /// progress may skip the entry after it, as Linux's kernfs listings may when a node goes.
    pub fn remove(&self, name: &[u8]) -> Option<Arc<dyn Node>> {
        let mut entries = self.entries.lock();
        let at = entries.iter().position(|(existing, _)| existing == name)?;
        Some(entries.remove(at).1)
    }

    /// The child `name`, if any.
    pub fn find(&self, name: &[u8]) -> Option<Arc<dyn Node>> {
        self.entries
            .lock()
            .iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, node)| node.clone())
    }

    /// The child directory `name`, made empty with `ino` and `mode` when missing.
    pub fn subdir(
        &self,
        name: &[u8],
        make_ino: impl FnOnce() -> u64,
        mode: u32,
    ) -> Result<Arc<DynamicDir>, Errno> {
        let existing = |node: Arc<dyn Node>| {
            Arc::downcast::<DynamicDir>(node as Arc<dyn Any + Send + Sync>)
                .map_err(|_| Errno::ENOTDIR)
        };
        if let Some(node) = self.find(name) {
            return existing(node);
        }
        let dir = DynamicDir::new(make_ino(), mode);
        match self.add(name, dir.clone()) {
            // Another thread made it first: use theirs.
            Err(Errno::EEXIST) => existing(self.find(name).ok_or(Errno::ENOENT)?),
            Err(error) => Err(error),
            Ok(()) => Ok(dir),
        }
    }
}

impl Node for DynamicDir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let subdirs = self
            .entries
            .lock()
            .iter()
            .filter(|(_, node)| node.file_type().is_dir())
            .count() as u32;
        NodeAttr {
            nlink: 2 + subdirs,
            ..NodeAttr::root(self.mode)
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        self.find(name).ok_or(Errno::ENOENT)
    }

    /// kernfs: an absent name is free, and creating it is refused (`EPERM`).
    fn lookup_failure_is_final(&self) -> bool {
        false
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let mut cookie = offset.max(2);
        loop {
            // One entry at a time out of the lock: the sink copies to user memory.
            let entry = {
                let entries = self.entries.lock();
                usize::try_from(cookie - 2)
                    .ok()
                    .and_then(|index| entries.get(index))
                    .map(|(name, node)| {
                        crate::dentry::copy_bytes(name).map(|name| (name, node.clone()))
                    })
            };
            let Some(entry) = entry else {
                return Ok(());
            };
            let (name, node) = entry?;
            if !sink(DirEntry {
                ino: node.ino(),
                next_offset: cookie + 1,
                file_type: node.file_type(),
                name: &name,
            }) {
                return Ok(());
            }
            cookie += 1;
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A read-only file whose contents a function renders.
pub struct RenderFile<F> {
    ino: u64,
    mode: u32,
    render: F,
}

impl<F> RenderFile<F>
where
    F: Fn(&mut Vec<u8>) -> Result<(), Errno> + Send + Sync + 'static,
{
    /// A file `ino` with mode `mode` whose text `render` appends.
    pub fn new(ino: u64, mode: u32, render: F) -> Arc<RenderFile<F>> {
        Arc::new(RenderFile { ino, mode, render })
    }
}

impl<F> Node for RenderFile<F>
where
    F: Fn(&mut Vec<u8>) -> Result<(), Errno> + Send + Sync + 'static,
{
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr::root(self.mode)
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        (self.render)(out)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Appends `bytes` to `out` (fallibly).
pub fn push(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), Errno> {
    out.try_reserve(bytes.len()).map_err(|_| Errno::ENOMEM)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Appends formatted text to `out` (fallibly); `ENOMEM` if it does not fit.
pub fn push_fmt(out: &mut Vec<u8>, args: core::fmt::Arguments<'_>) -> Result<(), Errno> {
    struct Sink<'a> {
        out: &'a mut Vec<u8>,
        failed: bool,
    }
    impl core::fmt::Write for Sink<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            if self.out.try_reserve(s.len()).is_err() {
                self.failed = true;
                return Err(core::fmt::Error);
            }
            self.out.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    let mut sink = Sink { out, failed: false };
    let _ = core::fmt::write(&mut sink, args);
    if sink.failed {
        Err(Errno::ENOMEM)
    } else {
        Ok(())
    }
}

/// `push_fmt!(out, "...", args)`: [`push_fmt`] with `format_args!`.
#[macro_export]
macro_rules! push_fmt {
    ($out:expr, $($arg:tt)*) => {
        $crate::pseudo::push_fmt($out, format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn names(dir: &dyn Node, offset: u64) -> Vec<(Vec<u8>, u64)> {
        let mut seen = Vec::new();
        dir.read_dir(offset, &mut |entry| {
            seen.push((entry.name.to_vec(), entry.next_offset));
            true
        })
        .unwrap();
        seen
    }

    #[test]
    fn dynamic_dir_lists_in_order_of_addition_and_resumes() {
        let dir = DynamicDir::new(5, 0o755);
        dir.add(b"tty", TextLink::try_new(6, b"../x").unwrap())
            .unwrap();
        let class = dir.subdir(b"mem", || 7, 0o755).unwrap();
        assert_eq!(
            dir.add(b"tty", DynamicDir::new(8, 0o755)).err(),
            Some(Errno::EEXIST)
        );
        assert_eq!(
            dir.add(b"a/b", DynamicDir::new(8, 0o755)).err(),
            Some(Errno::EINVAL)
        );
        // The same directory comes back; a link is not a directory.
        assert!(Arc::ptr_eq(
            &dir.subdir(b"mem", || 9, 0o755).unwrap(),
            &class
        ));
        assert_eq!(dir.subdir(b"tty", || 9, 0o755).err(), Some(Errno::ENOTDIR));
        assert_eq!(
            names(&*dir, 0),
            vec![(b"tty".to_vec(), 3), (b"mem".to_vec(), 4)]
        );
        assert_eq!(names(&*dir, 3), vec![(b"mem".to_vec(), 4)]);
        assert_eq!(dir.attr().nlink, 3);
        assert_eq!(dir.lookup(b"tty").unwrap().readlink().unwrap(), b"../x");
        assert_eq!(dir.lookup(b"none").err(), Some(Errno::ENOENT));
    }
}
