//! devpts (Linux 6.1 `fs/devpts/inode.c`): the filesystem of pty slaves. Every mount is a new
//! instance ([`Instance`]) with a root directory holding `ptmx` (5:2, mode `ptmxmode`, 000 by
//! default, root's) and one node `N` per live pty (136:N, made when its master is opened by
//! `/dev/ptmx`, owned by the opener or the `uid=`/`gid=` options, mode `mode=` — 0600 by
//! default — and removed when the master closes).
//!
//! Options (`devpts_parse_param`): `uid=`, `gid=`, `mode=`, `ptmxmode=` (octal),
//! `max=` (at most 2^20), `newinstance` (accepted, every mount is new anyway); anything else
//! is `EINVAL`. `/proc/mounts` shows `[,uid=N][,gid=N],mode=%03o,ptmxmode=%03o[,max=N]`;
//! statfs says `DEVPTS_SUPER_MAGIC`. A remount applies the options to new nodes and to `ptmx`.
//!
//! Indices: the lowest free one below `max` (`ida_alloc_max`), and at most
//! `kernel.pty.max - kernel.pty.reserve` (4096 - 1024) ptys in all (`ENOSPC`); an index is
//! free again once both sides of its pty are gone. Nothing can be created in the root
//! (`EACCES` for files, `EPERM` for the rest); its nodes take chmod, chown and utimes.

use super::filesystems;
use crate::tty::pty::{PtyPair, SLAVE_MAJOR};
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use hal::sync::SpinLock;
use spin::Once;
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption, parse_u32};
use vfs::inode::{Clock, FileSystem, StatFs};
use vfs::{DirEntry, FileType, Inode, Metadata, Path, SetAttr, TimeSet, Timespec};

/// `DEVPTS_SUPER_MAGIC`.
pub const DEVPTS_SUPER_MAGIC: u64 = 0x1cd1;
/// `DEVPTS_DEFAULT_MODE`.
const DEFAULT_MODE: u32 = 0o600;
/// `kernel.pty.max` less `kernel.pty.reserve`: ptys an instance without `reserve` may have.
const PTY_LIMIT: u32 = 4096 - 1024;
/// `NR_UNIX98_PTY_MAX`.
const MAX_INDEX: u32 = 1 << 20;

/// Ptys in all instances (`pty_count`).
static PTY_COUNT: AtomicU32 = AtomicU32::new(0);

#[derive(Clone, Copy, Debug)]
struct Options {
    uid: Option<u32>,
    gid: Option<u32>,
    mode: u32,
    ptmxmode: u32,
    max: u32,
}

impl Options {
    /// Applies `options` to `self` (`devpts_parse_param`).
    fn parse(mut self, options: &[MountOption<'_>]) -> Result<Options, Errno> {
        for &(key, value) in options {
            match key {
                b"uid" => {
                    let uid = parse_u32(value, 10)?;
                    if uid == u32::MAX {
                        return Err(Errno::EINVAL);
                    }
                    self.uid = Some(uid);
                }
                b"gid" => {
                    let gid = parse_u32(value, 10)?;
                    if gid == u32::MAX {
                        return Err(Errno::EINVAL);
                    }
                    self.gid = Some(gid);
                }
                b"mode" => self.mode = parse_u32(value, 8)? & 0o7777,
                b"ptmxmode" => self.ptmxmode = parse_u32(value, 8)? & 0o7777,
                b"max" => {
                    let max = parse_u32(value, 10)?;
                    if max > MAX_INDEX {
                        return Err(Errno::EINVAL);
                    }
                    self.max = max;
                }
                b"newinstance" if value.is_none() => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(self)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            uid: None,
            gid: None,
            mode: DEFAULT_MODE,
            ptmxmode: 0,
            max: MAX_INDEX,
        }
    }
}

/// The attributes of a devpts inode.
#[derive(Clone, Copy, Debug)]
struct Attr {
    mode: u32,
    uid: u32,
    gid: u32,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
}

impl Attr {
    fn new(mode: u32, uid: u32, gid: u32) -> Attr {
        let now = super::KernelClock.now();
        Attr {
            mode,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }

    fn apply(&mut self, change: &SetAttr) {
        let now = super::KernelClock.now();
        let resolve = |t: TimeSet| match t {
            TimeSet::Now => now,
            TimeSet::At(t) => t,
        };
        if let Some(mode) = change.mode {
            self.mode = mode & 0o7777;
        }
        if let Some(uid) = change.uid {
            self.uid = uid;
        }
        if let Some(gid) = change.gid {
            self.gid = gid;
        }
        if let Some(t) = change.atime {
            self.atime = resolve(t);
        }
        if let Some(t) = change.mtime {
            self.mtime = resolve(t);
        }
        if let Some(t) = change.ctime {
            self.ctime = resolve(t);
        }
    }

    fn metadata(&self, dev: u64, ino: u64, file_type: FileType, rdev: u64) -> Metadata {
        Metadata {
            dev,
            ino,
            file_type,
            mode: self.mode,
            nlink: if file_type.is_dir() { 2 } else { 1 },
            uid: self.uid,
            gid: self.gid,
            size: 0,
            rdev,
            blocks: 0,
            blksize: 4096,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
        }
    }
}

/// The root directory of an instance.
struct Root {
    instance: Weak<Instance>,
    attr: SpinLock<Attr>,
}

/// An instance's `ptmx`.
struct Ptmx {
    instance: Weak<Instance>,
    attr: SpinLock<Attr>,
}

/// A pty slave's node.
struct PtsNode {
    index: u32,
    dev: u64,
    pair: Weak<PtyPair>,
    attr: SpinLock<Attr>,
    is_alive: AtomicBool,
}

struct Ptys {
    /// Indices in use (their ptys may be gone from `nodes` while slaves are still open).
    used: Vec<u32>,
    nodes: BTreeMap<u32, Arc<PtsNode>>,
}

/// One devpts instance (Linux's `pts_fs_info` with its superblock).
pub struct Instance {
    dev: u64,
    options: SpinLock<Options>,
    ptys: SpinLock<Ptys>,
    root: Once<Arc<Root>>,
    ptmx: Once<Arc<Ptmx>>,
}

impl Instance {
    fn root(&self) -> Arc<Root> {
        self.root
            .get()
            .cloned()
            .unwrap_or_else(|| panic!("devpts instance without a root"))
    }

    /// The lowest free index (`devpts_new_index`): `ENOSPC` at `max` or the global limit.
    pub fn allocate_index(&self) -> Result<u32, Errno> {
        if PTY_COUNT.fetch_add(1, Ordering::AcqRel) >= PTY_LIMIT {
            PTY_COUNT.fetch_sub(1, Ordering::AcqRel);
            return Err(Errno::ENOSPC);
        }
        let max = self.options.lock().max;
        let mut ptys = self.ptys.lock();
        let mut index = 0;
        for &used in &ptys.used {
            if used == index {
                index += 1;
            } else {
                break;
            }
        }
        if index >= max || ptys.used.try_reserve(1).is_err() {
            drop(ptys);
            PTY_COUNT.fetch_sub(1, Ordering::AcqRel);
            return Err(Errno::ENOSPC);
        }
        let at = ptys.used.partition_point(|&used| used < index);
        ptys.used.insert(at, index);
        Ok(index)
    }

    /// Frees `index` (`devpts_kill_index`).
    pub fn free_index(&self, index: u32) {
        let mut ptys = self.ptys.lock();
        if let Ok(at) = ptys.used.binary_search(&index) {
            ptys.used.remove(at);
            PTY_COUNT.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Makes the slave node of pty `index` (`devpts_pty_new`).
    pub fn add_node(
        &self,
        index: u32,
        pair: &Arc<PtyPair>,
        uid: u32,
        gid: u32,
    ) -> Result<(), Errno> {
        let options = *self.options.lock();
        let node = Arc::new(PtsNode {
            index,
            dev: self.dev,
            pair: Arc::downgrade(pair),
            attr: SpinLock::new(
                "devpts.attr",
                Attr::new(
                    options.mode,
                    options.uid.unwrap_or(uid),
                    options.gid.unwrap_or(gid),
                ),
            ),
            is_alive: AtomicBool::new(true),
        });
        let old = {
            let mut ptys = self.ptys.lock();
            ptys.nodes.insert(index, node)
        };
        drop(old);
        Ok(())
    }

    /// Removes the slave node of pty `index` (`devpts_pty_kill`).
    pub fn remove_node(&self, index: u32) {
        let removed = self.ptys.lock().nodes.remove(&index);
        if let Some(node) = &removed {
            node.is_alive.store(false, Ordering::Release);
        }
        drop(removed);
    }

    fn node(&self, index: u32) -> Option<Arc<PtsNode>> {
        self.ptys.lock().nodes.get(&index).cloned()
    }
}

impl FileSystem for Instance {
    fn root_inode(&self) -> Arc<dyn Inode> {
        self.root()
    }

    fn statfs(&self) -> StatFs {
        StatFs {
            fs_type: DEVPTS_SUPER_MAGIC,
            block_size: 4096,
            fragment_size: 4096,
            name_max: 255,
            ..StatFs::default()
        }
    }

    fn name(&self) -> &'static str {
        "devpts"
    }

    fn show_options(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let options = *self.options.lock();
        let mut text = alloc::string::String::new();
        if let Some(uid) = options.uid {
            text.push_str(&format!(",uid={uid}"));
        }
        if let Some(gid) = options.gid {
            text.push_str(&format!(",gid={gid}"));
        }
        text.push_str(&format!(
            ",mode={:03o},ptmxmode={:03o}",
            options.mode, options.ptmxmode
        ));
        if options.max < MAX_INDEX {
            text.push_str(&format!(",max={}", options.max));
        }
        out.try_reserve(text.len()).map_err(|_| Errno::ENOMEM)?;
        out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn remount(&self, options: &[MountOption<'_>]) -> Result<(), Errno> {
        let current = *self.options.lock();
        let new = current.parse(options)?;
        *self.options.lock() = new;
        if let Some(ptmx) = self.ptmx.get() {
            ptmx.attr.lock().mode = new.ptmxmode;
        }
        Ok(())
    }
}

impl Inode for Root {
    fn metadata(&self) -> Metadata {
        let dev = self.instance.upgrade().map_or(0, |i| i.dev);
        self.attr.lock().metadata(dev, 1, FileType::Directory, 0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let instance = self.instance.upgrade().ok_or(Errno::ENOENT)?;
        if name == b"ptmx" {
            return instance
                .ptmx
                .get()
                .map(|ptmx| ptmx.clone() as Arc<dyn Inode>)
                .ok_or(Errno::ENOENT);
        }
        let index = parse_index(name).ok_or(Errno::ENOENT)?;
        instance
            .node(index)
            .map(|node| node as Arc<dyn Inode>)
            .ok_or(Errno::ENOENT)
    }

    fn create(
        &self,
        _name: &[u8],
        file_type: FileType,
        _mode: u32,
        _uid: u32,
        _gid: u32,
        _rdev: u64,
    ) -> Result<Arc<dyn Inode>, Errno> {
        // simple_dir_inode_operations: no create (EACCES), no mknod or mkdir (EPERM).
        Err(if file_type == FileType::Regular {
            Errno::EACCES
        } else {
            Errno::EPERM
        })
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let instance = self.instance.upgrade().ok_or(Errno::ENOENT)?;
        let fixed: [(u64, &[u8], FileType); 3] = [
            (1, b".", FileType::Directory),
            (1, b"..", FileType::Directory),
            (2, b"ptmx", FileType::CharDevice),
        ];
        for (position, &(ino, name, file_type)) in fixed.iter().enumerate() {
            let position = position as u64;
            if position >= offset
                && !sink(DirEntry {
                    ino,
                    next_offset: position + 1,
                    file_type,
                    name,
                })
            {
                return Ok(());
            }
        }
        let first = offset.saturating_sub(3).min(u64::from(u32::MAX)) as u32;
        let indices: Vec<u32> = instance
            .ptys
            .lock()
            .nodes
            .range(first..)
            .map(|(&i, _)| i)
            .collect();
        for index in indices {
            let name = format!("{index}");
            if !sink(DirEntry {
                ino: u64::from(index) + 3,
                next_offset: u64::from(index) + 4,
                file_type: FileType::CharDevice,
                name: name.as_bytes(),
            }) {
                break;
            }
        }
        Ok(())
    }

    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        self.attr.lock().apply(attr);
        Ok(())
    }
}

impl Inode for Ptmx {
    fn metadata(&self) -> Metadata {
        let dev = self.instance.upgrade().map_or(0, |i| i.dev);
        self.attr
            .lock()
            .metadata(dev, 2, FileType::CharDevice, vfs::inode::encode_dev(5, 2))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }

    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        self.attr.lock().apply(attr);
        Ok(())
    }
}

impl Inode for PtsNode {
    fn metadata(&self) -> Metadata {
        self.attr.lock().metadata(
            self.dev,
            u64::from(self.index) + 3,
            FileType::CharDevice,
            vfs::inode::encode_dev(SLAVE_MAJOR, self.index),
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }

    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        self.attr.lock().apply(attr);
        Ok(())
    }

    fn is_stale(&self) -> bool {
        !self.is_alive.load(Ordering::Acquire)
    }
}

/// A decimal pty number as devpts names nodes (no sign, no leading zero).
fn parse_index(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 7 || (name[0] == b'0' && name.len() > 1) {
        return None;
    }
    if !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

/// The pty behind a devpts slave node (`devpts_get_priv`), if it is one and lives.
pub fn pair_of(inode: &Arc<dyn Inode>) -> Option<Arc<PtyPair>> {
    let node = inode.as_any().downcast_ref::<PtsNode>()?;
    if !node.is_alive.load(Ordering::Acquire) {
        return None;
    }
    node.pair.upgrade()
}

/// The root of the devpts mount a ptmx node `node` goes with (`devpts_ptmx_path`): the
/// directory of a devpts `ptmx`, else what is mounted on `pts` next to the node. `ENOENT`
/// without a `pts`, `ENODEV` if it is no devpts root.
pub fn root_for_ptmx(node: &Path) -> Result<Path, Errno> {
    let parent = node.dentry().parent().ok_or(Errno::ENOENT)?;
    if node.dentry().inode().as_any().is::<Ptmx>() {
        return Ok(node.with_dentry(parent));
    }
    let pts = parent.lookup_child(b"pts")?;
    let path = node.with_dentry(pts).follow_mounts();
    if !path.is_mount_root() || !path.dentry().inode().as_any().is::<Root>() {
        return Err(Errno::ENODEV);
    }
    Ok(path)
}

fn instance_of_root(root: &Path) -> Option<Arc<Instance>> {
    root.dentry()
        .inode()
        .as_any()
        .downcast_ref::<Root>()?
        .instance
        .upgrade()
}

/// The instance a ptmx node opens ptys in (`devpts_acquire`).
pub fn instance_for_ptmx(node: &Path) -> Result<Arc<Instance>, Errno> {
    if let Some(ptmx) = node.dentry().inode().as_any().downcast_ref::<Ptmx>() {
        return ptmx.instance.upgrade().ok_or(Errno::ENODEV);
    }
    let root = root_for_ptmx(node)?;
    instance_of_root(&root).ok_or(Errno::ENODEV)
}

/// Whether `root` is the root of `instance`.
pub fn is_instance_root(root: &Path, instance: &Arc<Instance>) -> bool {
    instance_of_root(root).is_some_and(|found| Arc::ptr_eq(&found, instance))
}

/// The `devpts` filesystem type: a new instance per mount.
pub struct DevptsType;

impl FileSystemType for DevptsType {
    fn name(&self) -> &'static str {
        "devpts"
    }

    fn mount(
        &self,
        _source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        let options = Options::default().parse(options)?;
        let anon = filesystems::anonymous_dev()?;
        let instance = Arc::new(Instance {
            dev: anon.dev(),
            options: SpinLock::new("devpts.options", options),
            ptys: SpinLock::new(
                "devpts.ptys",
                Ptys {
                    used: Vec::new(),
                    nodes: BTreeMap::new(),
                },
            ),
            root: Once::new(),
            ptmx: Once::new(),
        });
        instance.root.call_once(|| {
            Arc::new(Root {
                instance: Arc::downgrade(&instance),
                attr: SpinLock::new("devpts.attr", Attr::new(0o755, 0, 0)),
            })
        });
        instance.ptmx.call_once(|| {
            Arc::new(Ptmx {
                instance: Arc::downgrade(&instance),
                attr: SpinLock::new("devpts.attr", Attr::new(options.ptmxmode, 0, 0)),
            })
        });
        let fs: Arc<dyn FileSystem> = instance.clone();
        anon.hold(&fs);
        let root = Dentry::new_root(fs);
        root.superblock().set_flags(sb_flags);
        Ok(root)
    }
}
