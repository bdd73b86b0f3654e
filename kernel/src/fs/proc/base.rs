//! `/proc/<pid>` and `/proc/<pid>/task/<tid>` (Linux's `fs/proc/base.c`: `tgid_base_stuff`,
//! `tid_base_stuff`): the directory of a process or thread and its entries, in Linux's order
//! with Linux's modes.
//!
//! A directory holds its process weakly and answers `ESRCH` (reads) or looks stale (names) once
//! the process is reaped; a zombie keeps its directory, with empty memory files. Entries are
//! owned by the process's effective ids, or root's when it is not dumpable; `environ`, `auxv`,
//! `io`, the `fd` directory and the `cwd`/`root`/`exe` links need [`super::may_inspect`]
//! (`EACCES`); `mem` (the process's memory at the file position, read and written as a
//! debugger does) needs ptrace's attach permission with the filesystem ids (`EACCES`).
//!
//! Writable entries: `comm` (the caller's own thread group only, else `EINVAL`; up to 15 bytes
//! kept as written, newline included, as Linux's `comm_write`), `oom_score_adj` (-1000..1000,
//! `EINVAL` outside; lowering it needs privilege, `EACCES`), `oom_adj` (the legacy -17..15
//! scale), `loginuid` (privileged only, `EPERM`), `timerslack_ns` (the leader's timer slack, read
//! and written, 0 for the default; another task's needs `CAP_SYS_NICE`, `EPERM`),
//! `timens_offsets` (the offsets of the time namespace the process's children enter, written as
//! `nsrules::timens` parses them, with `CAP_SYS_TIME` over it, `EPERM`, until a task entered it,
//! `EACCES`; Linux checks the opener's capability, Ferrux the writer's).

use super::array::{self, Task};
use super::{dump_owner, ino, may_inspect};
use crate::ns::user::MapKind;
use crate::ns::{ENTRIES, NsEntry, NsKind, NsRef};
use crate::out;
use crate::process::{Pid, Process, Thread, table};
use abi::Errno;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::Ordering;
use vfs::pseudo::{Node, NodeAttr, push};
use vfs::{DirEntry, FileType, Path};

/// What an entry of a process or thread directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Task,
    Fd,
    FdInfo,
    Ns,
    Net,
    Environ,
    Auxv,
    Status,
    Personality,
    Limits,
    Comm,
    Cmdline,
    Stat,
    Statm,
    Maps,
    Cwd,
    Root,
    Exe,
    Mounts,
    Mountinfo,
    Smaps,
    SmapsRollup,
    Wchan,
    Cgroup,
    OomScore,
    OomAdj,
    OomScoreAdj,
    Loginuid,
    Sessionid,
    CoredumpFilter,
    Io,
    Children,
    Mem,
    UidMap,
    GidMap,
    Setgroups,
    TimerSlack,
    TimensOffsets,
}

/// One row of the entry tables: name, entry, mode, in the process directory, in a thread's.
struct Row(&'static [u8], Entry, u32, bool, bool);

/// Linux 6.1's tables, merged (order of `tgid_base_stuff`; `children` is per thread only).
const ROWS: &[Row] = &[
    Row(b"task", Entry::Task, 0o555, true, false),
    Row(b"fd", Entry::Fd, 0o500, true, true),
    Row(b"fdinfo", Entry::FdInfo, 0o555, true, true),
    Row(b"ns", Entry::Ns, 0o511, true, true),
    Row(b"net", Entry::Net, 0o555, true, true),
    Row(b"environ", Entry::Environ, 0o400, true, true),
    Row(b"auxv", Entry::Auxv, 0o400, true, true),
    Row(b"status", Entry::Status, 0o444, true, true),
    Row(b"personality", Entry::Personality, 0o400, true, true),
    Row(b"limits", Entry::Limits, 0o444, true, true),
    Row(b"timens_offsets", Entry::TimensOffsets, 0o644, true, false),
    Row(b"comm", Entry::Comm, 0o644, true, true),
    Row(b"children", Entry::Children, 0o444, false, true),
    Row(b"cmdline", Entry::Cmdline, 0o444, true, true),
    Row(b"stat", Entry::Stat, 0o444, true, true),
    Row(b"statm", Entry::Statm, 0o444, true, true),
    Row(b"maps", Entry::Maps, 0o444, true, true),
    Row(b"mem", Entry::Mem, 0o600, true, true),
    Row(b"cwd", Entry::Cwd, 0o777, true, true),
    Row(b"root", Entry::Root, 0o777, true, true),
    Row(b"exe", Entry::Exe, 0o777, true, true),
    Row(b"mounts", Entry::Mounts, 0o444, true, true),
    Row(b"mountinfo", Entry::Mountinfo, 0o444, true, true),
    Row(b"smaps", Entry::Smaps, 0o444, true, true),
    Row(b"smaps_rollup", Entry::SmapsRollup, 0o444, true, false),
    Row(b"wchan", Entry::Wchan, 0o444, true, true),
    Row(b"cgroup", Entry::Cgroup, 0o444, true, true),
    Row(b"oom_score", Entry::OomScore, 0o444, true, true),
    Row(b"oom_adj", Entry::OomAdj, 0o644, true, true),
    Row(b"oom_score_adj", Entry::OomScoreAdj, 0o644, true, true),
    Row(b"loginuid", Entry::Loginuid, 0o644, true, true),
    Row(b"sessionid", Entry::Sessionid, 0o444, true, true),
    Row(
        b"coredump_filter",
        Entry::CoredumpFilter,
        0o644,
        true,
        false,
    ),
    Row(b"io", Entry::Io, 0o400, true, true),
    Row(b"uid_map", Entry::UidMap, 0o644, true, true),
    Row(b"gid_map", Entry::GidMap, 0o644, true, true),
    Row(b"setgroups", Entry::Setgroups, 0o644, true, true),
    Row(b"timerslack_ns", Entry::TimerSlack, 0o666, true, false),
];

impl Entry {
    fn file_type(self) -> FileType {
        match self {
            Entry::Task | Entry::Fd | Entry::FdInfo | Entry::Ns | Entry::Net => FileType::Directory,
            Entry::Cwd | Entry::Root | Entry::Exe => FileType::Symlink,
            _ => FileType::Regular,
        }
    }
}

/// The process (and, in `task/`, the thread) a node describes.
#[derive(Clone)]
pub struct Target {
    pub pid: Pid,
    /// The process's serial: its directory's inode number.
    serial: u64,
    /// The proc instance's PID namespace: the ids its files show (`proc_pid_ns`).
    pub ns: Arc<crate::ns::pid::PidNs>,
    process: Weak<Process>,
    /// `Some` in `task/<tid>`: that thread.
    pub thread: Option<(Pid, Weak<Thread>)>,
}

impl Target {
    pub fn of_process(process: &Arc<Process>, ns: Arc<crate::ns::pid::PidNs>) -> Target {
        Target {
            pid: process.pid,
            serial: process.serial,
            ns,
            process: Arc::downgrade(process),
            thread: None,
        }
    }

    /// The process, unless it was reaped (`ESRCH`).
    pub fn process(&self) -> Result<Arc<Process>, Errno> {
        let process = self.process.upgrade().ok_or(Errno::ESRCH)?;
        match table::find_process(self.pid) {
            Some(listed) if Arc::ptr_eq(&listed, &process) => Ok(process),
            _ => Err(Errno::ESRCH),
        }
    }

    /// The thread files describe: the `task/<tid>` thread, or the process's leader.
    pub fn thread(&self, process: &Process) -> Option<Arc<Thread>> {
        match &self.thread {
            Some((_, thread)) => thread.upgrade(),
            None => process.main_thread(),
        }
    }

    pub fn tid(&self) -> Pid {
        self.thread.as_ref().map_or(self.pid, |(tid, _)| *tid)
    }

    fn is_gone(&self) -> bool {
        if self.process().is_err() {
            return true;
        }
        match &self.thread {
            Some((tid, thread)) => match (thread.upgrade(), table::find_thread(*tid)) {
                (Some(thread), Some(listed)) => !Arc::ptr_eq(&thread, &listed),
                _ => true,
            },
            None => false,
        }
    }

    fn ino(&self, entry: u64) -> u64 {
        match &self.thread {
            Some((tid, _)) => ino::task_entry(*tid, entry),
            None => ino::pid_entry(self.serial as u32, entry),
        }
    }

    /// Owner of the entries (`task_dump_owner`).
    fn owner(&self) -> (u32, u32) {
        self.process.upgrade().map_or((0, 0), |p| dump_owner(&p))
    }

    fn with_task<R>(&self, f: impl FnOnce(&Task<'_>) -> Result<R, Errno>) -> Result<R, Errno> {
        let process = self.process()?;
        let thread = self.thread(&process);
        f(&Task {
            process: &process,
            thread,
            whole: self.thread.is_none(),
            ns: &self.ns,
        })
    }
}

/// `/proc/<pid>` or `/proc/<pid>/task/<tid>`.
pub struct PidDir {
    target: Target,
}

impl PidDir {
    pub fn for_process(process: &Arc<Process>, ns: Arc<crate::ns::pid::PidNs>) -> Arc<PidDir> {
        Arc::new(PidDir {
            target: Target::of_process(process, ns),
        })
    }

    /// The process of an open `/proc/<pid>` directory (not `task/<tid>`), which
    /// pidfd_send_signal takes as a pidfd (Linux's `tgid_pidfd_to_pid`): `None` for any other
    /// file, `Err(ESRCH)` once the process is gone.
    pub fn process_of_file(
        file: &crate::fs::file::OpenFile,
    ) -> Option<Result<Arc<Process>, Errno>> {
        let inode = file.path.as_ref()?.dentry().inode().clone();
        let node = vfs::pseudo::PseudoInode::node_of(inode.as_ref())?;
        let dir = node.as_any().downcast_ref::<PidDir>()?;
        if dir.target.thread.is_some() {
            return None;
        }
        Some(dir.target.process())
    }

    fn rows(&self) -> impl Iterator<Item = (usize, &'static Row)> {
        let is_task = self.target.thread.is_some();
        ROWS.iter()
            .enumerate()
            .filter(move |(_, row)| if is_task { row.4 } else { row.3 })
    }
}

fn make_entry(target: &Target, index: usize, row: &Row) -> Arc<dyn Node> {
    let ino = target.ino(index as u64 + 1);
    match row.1 {
        Entry::Task => Arc::new(TaskDir {
            target: target.clone(),
            ino,
        }),
        Entry::Fd => super::fd::FdDir::new(target.clone(), ino, false),
        Entry::FdInfo => super::fd::FdDir::new(target.clone(), ino, true),
        Entry::Ns => Arc::new(NsDir {
            target: target.clone(),
            ino,
        }),
        Entry::Net => super::root::net_dir(),
        Entry::Cwd | Entry::Root | Entry::Exe => Arc::new(PidLink {
            target: target.clone(),
            entry: row.1,
            ino,
        }),
        entry => Arc::new(PidFile {
            target: target.clone(),
            entry,
            mode: row.2,
            ino,
        }),
    }
}

impl Node for PidDir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        self.target.ino(0)
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self.target.owner();
        let subdirs = self
            .rows()
            .filter(|(_, r)| r.1.file_type().is_dir())
            .count();
        NodeAttr {
            mode: 0o555,
            uid,
            gid,
            nlink: 2 + subdirs as u32,
            size: 0,
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        self.target.process().map_err(|_| Errno::ENOENT)?;
        let (index, row) = self
            .rows()
            .find(|(_, row)| row.0 == name)
            .ok_or(Errno::ENOENT)?;
        Ok(make_entry(&self.target, index, row))
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        self.target.process().map_err(|_| Errno::ENOENT)?;
        for (position, (index, row)) in self.rows().enumerate() {
            let cookie = 2 + position as u64;
            if cookie < offset {
                continue;
            }
            if !sink(DirEntry {
                ino: self.target.ino(index as u64 + 1),
                next_offset: cookie + 1,
                file_type: row.1.file_type(),
                name: row.0,
            }) {
                break;
            }
        }
        Ok(())
    }

    fn is_stale(&self) -> bool {
        self.target.is_gone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `/proc/<pid>/task`: one directory per thread.
pub struct TaskDir {
    target: Target,
    ino: u64,
}

impl Node for TaskDir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self.target.owner();
        let threads = self.target.process().map_or(0, |p| p.threads.lock().len());
        NodeAttr {
            mode: 0o555,
            uid,
            gid,
            nlink: 2 + threads as u32,
            size: 0,
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        let process = self.target.process().map_err(|_| Errno::ENOENT)?;
        let tid: Pid = core::str::from_utf8(name)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or(Errno::ENOENT)?;
        let tid = self.target.ns.global_of(tid).ok_or(Errno::ENOENT)?;
        let thread = process
            .threads
            .lock()
            .iter()
            .find(|thread| thread.tid() == tid)
            .cloned()
            .ok_or(Errno::ENOENT)?;
        Ok(Arc::new(PidDir {
            target: Target {
                thread: Some((tid, Arc::downgrade(&thread))),
                ..self.target.clone()
            },
        }))
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let process = self.target.process().map_err(|_| Errno::ENOENT)?;
        let ns = self.target.ns.clone();
        let mut tids: Vec<(Pid, Pid)> = process
            .threads
            .lock()
            .iter()
            .map(|t| (ns.nr_of(t.tid()), t.tid()))
            .collect();
        tids.sort_unstable();
        for (nr, tid) in tids {
            let cookie = 2 + u64::from(nr);
            if cookie < offset {
                continue;
            }
            let name = alloc::format!("{nr}");
            if !sink(DirEntry {
                ino: ino::task_entry(tid, 0),
                next_offset: cookie + 1,
                file_type: FileType::Directory,
                name: name.as_bytes(),
            }) {
                break;
            }
        }
        Ok(())
    }

    fn is_stale(&self) -> bool {
        self.target.is_gone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The namespace links of `ns/`, with the initial namespaces' inode numbers.
/// `/proc/<pid>/ns`.
pub struct NsDir {
    target: Target,
    ino: u64,
}

impl Node for NsDir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self.target.owner();
        NodeAttr {
            mode: 0o511,
            uid,
            gid,
            nlink: 2,
            size: 0,
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        let index = ENTRIES
            .iter()
            .position(|entry| entry.name.as_bytes() == name)
            .ok_or(Errno::ENOENT)?;
        Ok(Arc::new(NsLink {
            target: self.target.clone(),
            entry: ENTRIES[index],
            ino: self.ino + 0x1000 + index as u64,
        }))
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let entries: Vec<(&[u8], FileType, u64)> = ENTRIES
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                (
                    entry.name.as_bytes(),
                    FileType::Symlink,
                    self.ino + 0x1000 + i as u64,
                )
            })
            .collect();
        super::list_simple(offset, &entries, sink);
        Ok(())
    }

    fn is_stale(&self) -> bool {
        self.target.is_gone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `ns/<name>`: a magic link to the namespace's nsfs file, reading `type:[inode]`
/// (`proc_ns_get_link`, `proc_ns_readlink`: ptrace read access to the task, else `EACCES`;
/// a task without namespaces any more, `ENOENT`).
pub struct NsLink {
    target: Target,
    entry: NsEntry,
    ino: u64,
}

impl NsLink {
    fn namespace(&self) -> Result<NsRef, Errno> {
        let process = self.target.process()?;
        if !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        match self.entry.kind {
            NsKind::User => {
                let user = process.credentials.lock().user_ns.0.clone();
                return Ok(NsRef::User(user));
            }
            NsKind::Pid if !self.entry.for_children => {
                return Ok(NsRef::Pid(process.pid_ns.clone()));
            }
            _ => {}
        }
        let thread = match self.target.thread(&process) {
            Some(thread) => Some(thread),
            None => process.main_thread(),
        };
        let thread = thread.ok_or(Errno::ENOENT)?;
        let ns = thread.nsproxy().entry(&self.entry).ok_or(Errno::ENOENT)?;
        // `pidns_for_children_get`: nothing until the namespace has its init.
        if let NsRef::Pid(pid) = &ns
            && !pid.has_had_init()
        {
            return Err(Errno::ENOENT);
        }
        Ok(ns)
    }
}

impl Node for NsLink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self.target.owner();
        NodeAttr {
            mode: 0o777,
            uid,
            gid,
            nlink: 1,
            size: 0,
        }
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Ok(self.namespace()?.link_text())
    }

    fn jump(&self) -> Option<Result<Path, Errno>> {
        Some(self.namespace().and_then(crate::ns::nsfs::path_of))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `cwd`, `root`, `exe`: magic links to the process's directories and executable.
pub struct PidLink {
    target: Target,
    entry: Entry,
    ino: u64,
}

impl PidLink {
    fn path(&self) -> Result<Path, Errno> {
        let process = self.target.process()?;
        if !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        match self.entry {
            Entry::Cwd => Ok(process.fs.get().lock().cwd.clone()),
            Entry::Root => Ok(process.fs.get().lock().root.clone()),
            _ => {
                if process.is_zombie() {
                    return Err(Errno::ENOENT);
                }
                let mm = process.mm.get();
                let exe = mm.read().layout.exe.clone();
                exe.ok_or(Errno::ENOENT)
            }
        }
    }
}

impl Node for PidLink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self.target.owner();
        NodeAttr {
            mode: 0o777,
            uid,
            gid,
            nlink: 1,
            size: 0,
        }
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        let path = self.path()?;
        let root = super::caller().process.fs.get().lock().root.clone();
        path.d_path(&root)
    }

    fn jump(&self) -> Option<Result<Path, Errno>> {
        Some(self.path())
    }

    fn is_stale(&self) -> bool {
        self.target.is_gone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A file of a process or thread directory.
pub struct PidFile {
    target: Target,
    entry: Entry,
    mode: u32,
    ino: u64,
}

/// The legacy `oom_adj` scale (`OOM_DISABLE` -17 … `OOM_ADJUST_MAX` 15).
const OOM_DISABLE: i32 = -17;
const OOM_ADJUST_MAX: i32 = 15;

/// Parses one decimal integer as `kstrtoint` after `strstrip` (surrounding whitespace).
/// `timerslack_ns` of another task needs `CAP_SYS_NICE` in its user namespace
/// (`timerslack_ns_show`, `timerslack_ns_write`).
fn check_timerslack_access(thread: &Thread) -> Result<(), Errno> {
    let caller = super::caller();
    if core::ptr::eq(caller.as_ref(), thread) {
        return Ok(());
    }
    let target_ns = thread.process.credentials.lock().user_ns.0.clone();
    let is_capable = caller
        .process
        .credentials
        .lock()
        .ns_capable(&target_ns, abi::capability::CAP_SYS_NICE);
    if is_capable {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The time namespace a process's children enter (its main thread's `time_for_children`).
fn process_time_for_children(
    process: &Arc<Process>,
) -> Result<Arc<crate::ns::time::TimeNs>, Errno> {
    let thread = process.main_thread().ok_or(Errno::ESRCH)?;
    Ok(thread.nsproxy().time_for_children.clone())
}

fn parse_int(data: &[u8]) -> Result<i64, Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    text.trim().parse::<i64>().map_err(|_| Errno::EINVAL)
}

impl PidFile {
    fn render_entry(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let process = self.target.process()?;
        let needs_access = matches!(
            self.entry,
            Entry::Environ | Entry::Auxv | Entry::Io | Entry::Personality
        );
        if needs_access && !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        match self.entry {
            Entry::Stat => self.target.with_task(|task| array::stat(task, out)),
            Entry::Status => self.target.with_task(|task| array::status(task, out)),
            Entry::Statm => array::statm(&process, out),
            Entry::Maps => super::task_mmu::maps(&process, out),
            Entry::Smaps => super::task_mmu::smaps(&process, out),
            Entry::SmapsRollup => super::task_mmu::smaps_rollup(&process, out),
            Entry::Cmdline => cmdline(&process, out),
            Entry::Environ => environ(&process, out),
            Entry::Auxv => auxv(&process, out),
            Entry::Limits => limits(&process, out),
            Entry::Comm => {
                let name = match self.target.thread(&process) {
                    Some(thread) => thread.name(),
                    None => *process.name.lock(),
                };
                let len = name.iter().position(|&b| b == 0).unwrap_or(16);
                push(out, &name[..len])?;
                push(out, b"\n")
            }
            Entry::Mounts | Entry::Mountinfo => {
                let root = process.fs.get().lock().root.clone();
                let thread = match self.target.thread(&process) {
                    Some(thread) => Some(thread),
                    None => process.main_thread(),
                };
                let ns = thread.ok_or(Errno::EINVAL)?.nsproxy().mnt.tree.clone();
                if self.entry == Entry::Mounts {
                    ns.proc_mounts(&root, out)
                } else {
                    ns.proc_mountinfo(&root, out)
                }
            }
            Entry::UidMap | Entry::GidMap => {
                let kind = if self.entry == Entry::UidMap {
                    MapKind::Uid
                } else {
                    MapKind::Gid
                };
                let target = process.credentials.lock().user_ns.0.clone();
                let reader = super::caller().process.credentials.lock().user_ns.0.clone();
                push(out, &target.show_map(kind, &reader))
            }
            Entry::Setgroups => {
                let target = process.credentials.lock().user_ns.0.clone();
                push(out, target.show_setgroups())
            }
            Entry::TimerSlack => {
                let thread = self.target.thread(&process).ok_or(Errno::ESRCH)?;
                check_timerslack_access(&thread)?;
                out!(out, "{}\n", thread.timer_slack.get())
            }
            Entry::TimensOffsets => {
                // `proc_timens_show_offsets`: the namespace the task's children enter.
                let time = process_time_for_children(&process)?;
                let offsets = time.offsets();
                push(
                    out,
                    nsrules::timens::show_line("monotonic", offsets.monotonic_ns).as_bytes(),
                )?;
                push(
                    out,
                    nsrules::timens::show_line("boottime", offsets.boottime_ns).as_bytes(),
                )
            }
            Entry::Wchan => push(out, b"0"),
            Entry::Cgroup => Ok(()),
            Entry::OomScore => out!(out, "{}\n", oom_score(&process)),
            Entry::OomScoreAdj => out!(out, "{}\n", process.flags.lock().oom_score_adj),
            Entry::OomAdj => {
                let adj = i32::from(process.flags.lock().oom_score_adj);
                let legacy = if adj == 1000 {
                    OOM_ADJUST_MAX
                } else {
                    adj * -OOM_DISABLE / 1000
                };
                out!(out, "{legacy}\n")
            }
            Entry::Loginuid => out!(out, "{}", process.stats.loginuid.load(Ordering::Relaxed)),
            Entry::Sessionid => out!(out, "{}", u32::MAX),
            Entry::Personality => out!(out, "{:08x}\n", 0),
            Entry::CoredumpFilter => {
                out!(out, "{:08x}\n", process.flags.lock().coredump_filter)
            }
            Entry::Io => {
                let s = &process.stats;
                out!(
                    out,
                    "rchar: {}\nwchar: {}\nsyscr: {}\nsyscw: {}\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n",
                    s.read_bytes.load(Ordering::Relaxed),
                    s.written_bytes.load(Ordering::Relaxed),
                    s.read_calls.load(Ordering::Relaxed),
                    s.write_calls.load(Ordering::Relaxed)
                )
            }
            Entry::Children => {
                let tid = self.target.tid();
                let leader_only = tid == process.pid;
                let mut pids: Vec<Pid> = process
                    .children
                    .lock()
                    .iter()
                    .filter(|_| leader_only)
                    .map(|child| child.pid)
                    .collect();
                pids.sort_unstable();
                for pid in pids {
                    out!(out, "{pid} ")?;
                }
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_entry(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let process = self.target.process()?;
        let caller = super::caller();
        match self.entry {
            Entry::TimensOffsets => {
                // `timens_offsets_write`: one write of less than a page at the start.
                if offset != 0 || data.len() >= 4096 {
                    return Err(Errno::EINVAL);
                }
                let request = nsrules::timens::parse_write(data)?;
                let time = process_time_for_children(&process)?;
                let is_capable = caller
                    .process
                    .credentials
                    .lock()
                    .ns_capable(&time.owner, abi::capability::CAP_SYS_TIME);
                if !is_capable {
                    return Err(Errno::EPERM);
                }
                let now = crate::time::monotonic_ns();
                let mut offsets = [nsrules::timens::Offset {
                    clock: 0,
                    seconds: 0,
                    nanoseconds: 0,
                }; 2];
                let mut count = 0;
                for wanted in request.offsets.iter().flatten() {
                    nsrules::timens::check_range(wanted, now)?;
                    offsets[count] = *wanted;
                    count += 1;
                }
                time.set_offsets(&offsets[..count])?;
                Ok(request.consumed)
            }
            Entry::TimerSlack => {
                let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
                let slack_ns = text.trim().parse::<u64>().map_err(|_| Errno::EINVAL)?;
                let thread = self.target.thread(&process).ok_or(Errno::ESRCH)?;
                check_timerslack_access(&thread)?;
                thread.timer_slack.set(slack_ns);
                Ok(data.len())
            }
            Entry::Mem => {
                let mut copy = Vec::new();
                copy.try_reserve_exact(data.len())
                    .map_err(|_| Errno::ENOMEM)?;
                copy.extend_from_slice(data);
                mem_rw(&process, offset, &mut copy, true)
            }
            Entry::UidMap | Entry::GidMap => {
                let kind = if self.entry == Entry::UidMap {
                    MapKind::Uid
                } else {
                    MapKind::Gid
                };
                let target = process.credentials.lock().user_ns.0.clone();
                let writer = caller.process.credentials.lock().clone();
                crate::ns::user::write_map(&target, kind, &writer, offset, data)
            }
            Entry::Setgroups => {
                // proc_setgroups_write: CAP_SYS_ADMIN in the namespace, one word.
                if offset != 0 || data.len() >= 8 {
                    return Err(Errno::EINVAL);
                }
                let target = process.credentials.lock().user_ns.0.clone();
                let is_capable = caller
                    .process
                    .credentials
                    .lock()
                    .ns_capable(&target, abi::capability::CAP_SYS_ADMIN);
                if !is_capable {
                    return Err(Errno::EPERM);
                }
                target.write_setgroups(data)?;
                Ok(data.len())
            }
            Entry::Comm => {
                if caller.process.pid != process.pid {
                    return Err(Errno::EINVAL);
                }
                let mut name = [0u8; 16];
                let len = data.len().min(15);
                name[..len].copy_from_slice(&data[..len]);
                match self.target.thread(&process) {
                    Some(thread) => *thread.comm.lock() = name,
                    None => return Err(Errno::ESRCH),
                }
                if self.target.thread.is_none() || self.target.tid() == process.pid {
                    *process.name.lock() = name;
                }
                Ok(data.len())
            }
            Entry::OomScoreAdj | Entry::OomAdj => {
                if offset != 0 {
                    return Ok(data.len());
                }
                let value = parse_int(data)?;
                let adj = if self.entry == Entry::OomScoreAdj {
                    if !(-1000..=1000).contains(&value) {
                        return Err(Errno::EINVAL);
                    }
                    value as i16
                } else {
                    let value = value as i32;
                    if !(OOM_DISABLE..=OOM_ADJUST_MAX).contains(&(value)) {
                        return Err(Errno::EINVAL);
                    }
                    if value == OOM_ADJUST_MAX {
                        1000
                    } else {
                        (value * 1000 / -OOM_DISABLE) as i16
                    }
                };
                // __set_oom_adj: below the floor a privileged process set needs privilege,
                // and a privileged write moves the floor.
                let is_privileged = caller
                    .process
                    .credentials
                    .lock()
                    .has_capability(abi::capability::CAP_SYS_RESOURCE);
                let mut flags = process.flags.lock();
                if adj < flags.oom_score_adj_min && !is_privileged {
                    return Err(Errno::EACCES);
                }
                flags.oom_score_adj = adj;
                if is_privileged {
                    flags.oom_score_adj_min = adj;
                }
                Ok(data.len())
            }
            Entry::Loginuid => {
                if !caller
                    .process
                    .credentials
                    .lock()
                    .has_capability(abi::capability::CAP_AUDIT_CONTROL)
                {
                    return Err(Errno::EPERM);
                }
                let value = parse_int(data)?;
                let value = u32::try_from(value).map_err(|_| Errno::EINVAL)?;
                process.stats.loginuid.store(value, Ordering::Relaxed);
                Ok(data.len())
            }
            Entry::CoredumpFilter => {
                // Hexadecimal (or octal/decimal with their prefixes), kept to the filter's
                // bits (`MMF_DUMP_FILTER_MASK`).
                let text = core::str::from_utf8(data)
                    .map_err(|_| Errno::EINVAL)?
                    .trim();
                let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None if text.len() > 1 && text.starts_with('0') => {
                        u32::from_str_radix(&text[1..], 8)
                    }
                    None => text.parse::<u32>(),
                }
                .map_err(|_| Errno::EINVAL)?;
                process.flags.lock().coredump_filter = value & 0x1ff;
                Ok(data.len())
            }
            _ => Err(Errno::EINVAL),
        }
    }
}

impl Node for PidFile {
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self.target.owner();
        NodeAttr {
            mode: self.mode,
            uid,
            gid,
            nlink: 1,
            size: 0,
        }
    }

    fn may_open(&self, is_write: bool) -> Result<(), Errno> {
        let process = self.target.process()?;
        if matches!(self.entry, Entry::Environ | Entry::Auxv) && !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        if self.entry == Entry::Mem {
            // proc_mem_open: PTRACE_MODE_ATTACH_FSCREDS.
            crate::process::ptrace::may_access(&super::caller(), &process, true)
                .map_err(|_| Errno::EACCES)?;
        }
        let _ = is_write;
        Ok(())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize, Errno>> {
        if self.entry != Entry::Mem {
            return None;
        }
        Some(
            self.target
                .process()
                .and_then(|process| mem_rw(&process, offset, buf, false)),
        )
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        self.render_entry(out)
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        self.write_entry(offset, data)
    }

    fn is_stale(&self) -> bool {
        self.target.is_gone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `/proc/<pid>/cmdline` (`get_mm_cmdline`): the argument area; when the program overwrote
/// its last NUL (setproctitle), the text runs on into the environment up to the first NUL.
/// `/proc/<pid>/mem` (`mem_rw`): the process's memory at the file position, read or written
/// as a debugger does (`FOLL_FORCE`); `EIO` when nothing at the position can be reached, 0
/// once the process has no memory (a zombie).
fn mem_rw(process: &Process, address: u64, buf: &mut [u8], is_write: bool) -> Result<usize, Errno> {
    if buf.is_empty() || process.is_zombie() {
        return Ok(0);
    }
    let mm = process.mm.get();
    let space = mm.read();
    match space.access_forced(address, buf, is_write) {
        0 => Err(Errno::EIO),
        copied => Ok(copied),
    }
}

fn cmdline(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    if process.is_zombie() {
        return Ok(());
    }
    let layout = process.mm.get().read().layout.clone();
    if layout.arg_end <= layout.arg_start {
        return Ok(());
    }
    let args = super::read_process_memory(
        process,
        layout.arg_start,
        (layout.arg_end - layout.arg_start) as usize,
    )?;
    if args.last() == Some(&0) || layout.env_end <= layout.env_start {
        return push(out, &args);
    }
    // The last byte is not a NUL: stop at the first NUL of the whole area.
    let env = super::read_process_memory(
        process,
        layout.env_start,
        (layout.env_end - layout.env_start).min(4096) as usize,
    )?;
    let mut all = args;
    all.extend_from_slice(&env);
    let end = all.iter().position(|&b| b == 0).unwrap_or(all.len());
    push(out, &all[..end])
}

/// `/proc/<pid>/environ`: the environment area as the program sees it now.
fn environ(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    if process.is_zombie() {
        return Ok(());
    }
    let layout = process.mm.get().read().layout.clone();
    if layout.env_end <= layout.env_start {
        return Ok(());
    }
    let env = super::read_process_memory(
        process,
        layout.env_start,
        (layout.env_end - layout.env_start) as usize,
    )?;
    push(out, &env)
}

/// `/proc/<pid>/auxv`: the auxiliary vector as exec built it, `AT_NULL` included.
fn auxv(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    if process.is_zombie() {
        return Ok(());
    }
    let layout = process.mm.get().read().layout.clone();
    for (key, value) in layout.auxv {
        push(out, &key.to_le_bytes())?;
        push(out, &value.to_le_bytes())?;
    }
    Ok(())
}

/// `/proc/<pid>/limits` (`proc_pid_limits`).
fn limits(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    use crate::process::rlimit::*;
    const ROWS: [(&str, usize, &str); 16] = [
        ("Max cpu time", RLIMIT_CPU, "seconds"),
        ("Max file size", RLIMIT_FSIZE, "bytes"),
        ("Max data size", RLIMIT_DATA, "bytes"),
        ("Max stack size", RLIMIT_STACK, "bytes"),
        ("Max core file size", RLIMIT_CORE, "bytes"),
        ("Max resident set", RLIMIT_RSS, "bytes"),
        ("Max processes", RLIMIT_NPROC, "processes"),
        ("Max open files", RLIMIT_NOFILE, "files"),
        ("Max locked memory", RLIMIT_MEMLOCK, "bytes"),
        ("Max address space", RLIMIT_AS, "bytes"),
        ("Max file locks", RLIMIT_LOCKS, "locks"),
        ("Max pending signals", RLIMIT_SIGPENDING, "signals"),
        ("Max msgqueue size", RLIMIT_MSGQUEUE, "bytes"),
        ("Max nice priority", RLIMIT_NICE, ""),
        ("Max realtime priority", RLIMIT_RTPRIO, ""),
        ("Max realtime timeout", RLIMIT_RTTIME, "us"),
    ];
    let limits = process.limits.lock().clone();
    out!(
        out,
        "{:<25} {:<20} {:<20} {:<10}\n",
        "Limit",
        "Soft Limit",
        "Hard Limit",
        "Units"
    )?;
    for (name, resource, unit) in ROWS {
        let limit = limits.get(resource)?;
        out!(out, "{name:<25} ")?;
        for value in [limit.soft, limit.hard] {
            if value == u64::MAX {
                out!(out, "{:<20} ", "unlimited")?;
            } else {
                out!(out, "{value:<20} ")?;
            }
        }
        if !unit.is_empty() {
            out!(out, "{unit:<10}")?;
        }
        push(out, b"\n")?;
    }
    Ok(())
}

/// `/proc/<pid>/oom_score` (`proc_oom_score`): the badness scaled to 0..2000.
fn oom_score(process: &Arc<Process>) -> u64 {
    let (total_frames, _) = hal::mm::frame::stats();
    let total = total_frames as i64;
    match crate::mm::oom::badness_points(process, total as u64) {
        Some(points) => ((1000 + points * 1000 / total.max(1)) * 2 / 3).max(0) as u64,
        None => 0,
    }
}
