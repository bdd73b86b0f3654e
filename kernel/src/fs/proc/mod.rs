//! procfs (Linux's `fs/proc/`): the `proc` filesystem type, its root directory, `/proc/self`
//! and `/proc/thread-self`, and the glue that turns a rendered node into an open file.
//!
//! The objects are [`vfs::pseudo::Node`]s made on demand from kernel state: the root lists its
//! fixed entries ([`root`]: meminfo, cpuinfo, uptime, loadavg, stat, version, mounts, … and the
//! `sys` tree of [`sysctl`]) and then one directory per process, found in the pid table;
//! [`base`] has `/proc/<pid>` and `/proc/<pid>/task/<tid>` with their entries, [`array`] the
//! `stat`, `statm` and `status` formats, [`task_mmu`] `maps`, `smaps` and `smaps_rollup`, [`fd`]
//! the `fd/` and `fdinfo/` directories. Every format is Linux 6.1's, byte for byte where the
//! numbers are the same (checked against Debian's kernel: docs/facts.md).
//!
//! Files are `single_open` seq files ([`SeqFile`]): rendered whole when read at position 0 and
//! served from that text until the next read at 0, so one read, or several, sees a consistent
//! snapshot, and `lseek(0)` + `read` (procps) sees fresh numbers.
//!
//! Access to another process's entries: the `ptrace_may_access(PTRACE_MODE_READ_FSCREDS)` of
//! Linux is simplified to "root, or the same thread group, or every id of the target equal to
//! the caller's filesystem ids with the target dumpable" ([`may_inspect`]); entries are owned by
//! the process's effective ids, or by root when it is not dumpable (`task_dump_owner`).
//!
//! Mount options: `gid=`, `hidepid=` (0/1/2, `off`/`noaccess`/`invisible`/`ptraceable`) and
//! `subset=pid` are accepted as Linux 6.1 accepts them; `hidepid` and `subset` are recorded but
//! not applied yet. Not done: `/proc/<pid>/mem`, `pagemap`, `net/`, `sched`, `schedstat`,
//! `/proc/kmsg`, `/proc/sysrq-trigger`, `/proc/irq`, `/proc/bus`.

pub mod array;
pub mod base;
pub mod cpuinfo;
pub mod fd;
pub mod irq;
pub mod root;
pub mod sysctl;
pub mod task_mmu;

use crate::fs::file::FileOps;
use crate::process::{Process, Thread};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use hal::sync::SpinLock;
use vfs::dentry::Dentry;
use vfs::fstype::{FileSystemType, MountOption};
use vfs::pseudo::{Node, NodeAttr, PseudoFs, PseudoInode};
use vfs::{DirEntry, FileType, Inode, Metadata};

/// `PROC_SUPER_MAGIC`.
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// Inode numbers: the root is 1 (`PROC_ROOT_INO`); fixed entries count up from
/// `0xF000_0000` as Linux's `proc_alloc_inum`; per-process entries are made from the pid, the
/// entry and (for descriptors) the descriptor, so the same object keeps its number.
pub mod ino {
    /// The root.
    pub const ROOT: u64 = 1;
    /// First number of fixed entries.
    pub const FIXED: u64 = 0xF000_0000;
    /// `/proc/<pid>` and its entries: `SERIAL << 8 | entry`, from the process's serial (a
    /// process that reuses a pid gets other inodes).
    pub fn pid_entry(pid: u32, entry: u64) -> u64 {
        (u64::from(pid) << 8) | (entry & 0xff)
    }
    /// `/proc/<pid>/task/<tid>` and its entries.
    pub fn task_entry(tid: u32, entry: u64) -> u64 {
        (1 << 40) | (u64::from(tid) << 8) | (entry & 0xff)
    }
    /// `fd/N` (kind 2) and `fdinfo/N` (kind 3) of a task.
    pub fn fd_entry(kind: u64, tid: u32, fd: u32) -> u64 {
        (kind << 40) | (u64::from(tid) << 20) | u64::from(fd & 0xf_ffff)
    }
}

/// The `proc` filesystem type: each mount is a new instance (Linux 5.8+).
struct ProcType;

impl FileSystemType for ProcType {
    fn name(&self) -> &'static str {
        "proc"
    }

    fn mount(
        &self,
        _source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno> {
        check_options(options)?;
        let dev = super::filesystems::anonymous_dev()?;
        let fs: Arc<dyn vfs::inode::FileSystem> = PseudoFs::with_options(
            "proc",
            PROC_SUPER_MAGIC,
            dev.dev(),
            1024,
            root::ProcRoot::new(
                crate::process::try_current()
                    .map_or_else(|| crate::ns::pid::initial().clone(), |t| t.pid_ns().clone()),
            )?,
            &super::KernelClock,
            check_options,
        );
        dev.hold(&fs);
        let root = Dentry::new_root(fs);
        root.superblock().set_flags(sb_flags);
        Ok(root)
    }
}

/// The options a mount or remount of proc takes (`proc_parse_param`): `gid=` a number,
/// `hidepid=` one of its values, `subset=pid`; anything else is `EINVAL`.
fn check_options(options: &[MountOption<'_>]) -> Result<(), Errno> {
    for &(key, value) in options {
        match key {
            b"gid" => {
                vfs::fstype::parse_u32(value, 10)?;
            }
            b"hidepid" => match value {
                Some(b"0" | b"1" | b"2" | b"4" | b"off" | b"noaccess" | b"invisible")
                | Some(b"ptraceable") => {}
                _ => return Err(Errno::EINVAL),
            },
            b"subset" if value == Some(b"pid") => {}
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(())
}

/// Registers `proc` (after `sysfs` and `tmpfs`, as Linux's `/proc/filesystems` lists them).
pub fn register() -> Result<(), Errno> {
    super::filesystems::REGISTRY.register(Arc::new(ProcType))
}

/// The calling thread (procfs is only reached from syscalls).
pub fn caller() -> Arc<Thread> {
    crate::process::current()
}

/// Linux's `ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS)`, simplified (see the module
/// documentation).
pub fn may_inspect(target: &Process) -> bool {
    let caller = caller();
    if caller.process.pid == target.pid {
        return true;
    }
    let mine = caller.process.credentials.lock().clone();
    if mine.has_capability(abi::capability::CAP_SYS_PTRACE) {
        return true;
    }
    let theirs = target.credentials.lock().clone();
    let same_ids = [theirs.uid, theirs.euid, theirs.suid]
        .iter()
        .all(|&id| id == mine.fsuid)
        && [theirs.gid, theirs.egid, theirs.sgid]
            .iter()
            .all(|&id| id == mine.fsgid);
    same_ids && target.flags.lock().dumpable == 1
}

/// The owner of a process's entries (`task_dump_owner`): its effective ids, or root's when it
/// is not dumpable.
pub fn dump_owner(process: &Process) -> (u32, u32) {
    if process.flags.lock().dumpable != 1 {
        return (0, 0);
    }
    let credentials = process.credentials.lock();
    (credentials.euid, credentials.egid)
}

/// A fixed entry whose inode number is allocated once: `FIXED + n`.
pub fn fixed_ino() -> u64 {
    static NEXT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(16);
    ino::FIXED + NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// `/proc/self`: a link to the caller's process directory.
pub struct SelfLink {
    pub is_thread: bool,
    /// The instance's PID namespace: the link names the caller's ids there (`ENOENT` for a
    /// caller outside it).
    pub ns: Arc<crate::ns::pid::PidNs>,
}

impl Node for SelfLink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn ino(&self) -> u64 {
        ino::FIXED + if self.is_thread { 3 } else { 2 }
    }

    fn attr(&self) -> NodeAttr {
        NodeAttr::root(0o777)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        let thread = caller();
        let pid = self.ns.nr_of(thread.process.pid);
        if pid == 0 {
            return Err(Errno::ENOENT);
        }
        let text = if self.is_thread {
            alloc::format!("{}/task/{}", pid, self.ns.nr_of(thread.tid()))
        } else {
            alloc::format!("{pid}")
        };
        Ok(text.into_bytes())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open procfs (or sysfs) file: Linux's `seq_file` with `single_open`.
pub struct SeqFile {
    inode: Arc<dyn Inode>,
    node: Arc<dyn Node>,
    /// The text rendered at the last read from position 0 (copied out under the lock; never
    /// rendered under it).
    text: SpinLock<Option<Arc<Vec<u8>>>>,
}

impl SeqFile {
    /// Opens `inode` (a pseudo inode) for access `is_write`: the node's open checks run here.
    pub fn open(inode: Arc<dyn Inode>, is_write: bool) -> Result<Option<Arc<SeqFile>>, Errno> {
        let Some(node) = PseudoInode::node_of(inode.as_ref()).cloned() else {
            return Ok(None);
        };
        if node.file_type() != FileType::Regular {
            return Ok(None);
        }
        node.may_open(is_write)?;
        Ok(Some(Arc::new(SeqFile {
            inode,
            node,
            text: SpinLock::new("seq_file.text", None),
        })))
    }
}

impl FileOps for SeqFile {
    fn read(&self, offset: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        if let Some(result) = self.node.read_at(offset, buf) {
            return result;
        }
        let cached = if offset == 0 {
            None
        } else {
            self.text.lock().clone()
        };
        let text = match cached {
            Some(text) => text,
            None => {
                let mut text = Vec::new();
                self.node.render(&mut text)?;
                let text = Arc::new(text);
                *self.text.lock() = Some(text.clone());
                text
            }
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(text.len());
        let n = buf.len().min(text.len() - start);
        buf[..n].copy_from_slice(&text[start..start + n]);
        Ok(n)
    }

    fn write(&self, offset: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        self.node.write(offset, data)
    }

    fn metadata(&self) -> Metadata {
        self.inode.metadata()
    }

    fn inode(&self) -> Option<&Arc<dyn Inode>> {
        Some(&self.inode)
    }
}

/// Appends formatted text (fallibly).
#[macro_export]
macro_rules! out {
    ($out:expr, $($arg:tt)*) => {
        vfs::pseudo::push_fmt($out, format_args!($($arg)*))
    };
}

/// Lists `entries` (name, type, ino) after `.`/`..` from cookie `offset`, cookies 2, 3, ….
pub fn list_simple(
    offset: u64,
    entries: &[(&[u8], FileType, u64)],
    sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
) {
    for (i, &(name, file_type, ino)) in entries.iter().enumerate() {
        let cookie = 2 + i as u64;
        if cookie < offset {
            continue;
        }
        if !sink(DirEntry {
            ino,
            next_offset: cookie + 1,
            file_type,
            name,
        }) {
            return;
        }
    }
}

/// Reads `len` bytes of `process`'s memory at `address` (Linux `access_remote_vm`), faulting
/// pages in as needed; stops early at an unmapped page.
pub fn read_process_memory(process: &Process, address: u64, len: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    out.try_reserve(len).map_err(|_| Errno::ENOMEM)?;
    let mm = process.mm.get();
    let space = mm.read();
    let mut cursor = address;
    let end = address.saturating_add(len as u64);
    while cursor < end {
        let page = cursor & !0xfff;
        let in_page = (cursor - page) as usize;
        let n = ((end - cursor) as usize).min(4096 - in_page);
        let frame = space
            .page_table()
            .lock()
            .query(page)
            .map(|(frame, _)| frame);
        let frame = match frame {
            Some(frame) => frame,
            None => {
                let access = crate::mm::address_space::Access {
                    is_write: false,
                    is_execute: false,
                };
                if space.handle_fault(page, access).is_err() {
                    break;
                }
                match space.page_table().lock().query(page) {
                    Some((frame, _)) => frame,
                    None => break,
                }
            }
        };
        let start = out.len();
        out.resize(start + n, 0);
        frame.read(in_page, &mut out[start..]);
        cursor += n as u64;
    }
    Ok(out)
}
