//! `/proc/<pid>/fd/` and `/proc/<pid>/fdinfo/` (Linux's `fs/proc/fd.c`).
//!
//! `fd/N` is a magic link: reading it gives the file's path from the reader's root (with
//! " (deleted)" for a removed name), or `pipe:[ino]`, `anon_inode:[eventfd]` … for files
//! without a path; following it reaches the open file's object itself. Its mode shows the
//! access the descriptor has (`lr-x------`, `l-wx------`, `lrwx------`). Following the link of
//! a pipe reaches its pipefs name (`super::super::pipefs`), which opens as a FIFO on the same
//! pipe, as Linux's; following that of another file without a path (eventfd, epoll, timerfd,
//! pidfd, memfd) is `ENXIO`: those cannot be reopened by name yet.
//!
//! `fdinfo/N`: `pos`, `flags` (octal, with `O_CLOEXEC` for a close-on-exec descriptor),
//! `mnt_id`, `ino`, then the lines of the file's kind ([`FileOps::show_fdinfo`]: a
//! signalfd's `sigmask:`, an inotify instance's `inotify wd:` lines).
//!
//! [`FileOps::show_fdinfo`]: crate::fs::file::FileOps::show_fdinfo

use super::base::Target;
use super::{ino, may_inspect};
use crate::fs::file::OpenFile;
use crate::out;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use vfs::pseudo::{Node, NodeAttr};
use vfs::{DirEntry, FileType, Path};

/// `fd/` (or `fdinfo/` with `is_info`).
pub struct FdDir {
    target: Target,
    ino: u64,
    is_info: bool,
}

impl FdDir {
    pub fn new(target: Target, ino: u64, is_info: bool) -> Arc<FdDir> {
        Arc::new(FdDir {
            target,
            ino,
            is_info,
        })
    }

    fn check(&self) -> Result<Arc<crate::process::Process>, Errno> {
        let process = self.target.process().map_err(|_| Errno::ENOENT)?;
        if !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        Ok(process)
    }

    fn entry_ino(&self, fd: i32) -> u64 {
        ino::fd_entry(
            if self.is_info { 3 } else { 2 },
            self.target.tid(),
            fd as u32,
        )
    }
}

/// The descriptor `fd` of `target`'s process, with its close-on-exec flag.
fn lookup_fd(target: &Target, fd: i32) -> Result<(Arc<OpenFile>, bool), Errno> {
    let process = target.process()?;
    let files = process.files.get();
    let table = files.lock();
    let file = table.get(fd).map_err(|_| Errno::ENOENT)?;
    let close_on_exec = table.is_close_on_exec(fd).unwrap_or(false);
    Ok((file, close_on_exec))
}

impl Node for FdDir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self
            .target
            .process()
            .map_or((0, 0), |p| super::dump_owner(&p));
        NodeAttr {
            mode: if self.is_info { 0o555 } else { 0o500 },
            uid,
            gid,
            nlink: 2,
            size: 0,
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        self.check()?;
        let fd: i32 = core::str::from_utf8(name)
            .ok()
            .filter(|text| !(text.starts_with('+') || text.len() > 1 && text.starts_with('0')))
            .and_then(|text| text.parse().ok())
            .ok_or(Errno::ENOENT)?;
        lookup_fd(&self.target, fd)?;
        let ino = self.entry_ino(fd);
        Ok(if self.is_info {
            Arc::new(FdInfo {
                target: self.target.clone(),
                fd,
                ino,
            })
        } else {
            Arc::new(FdLink {
                target: self.target.clone(),
                fd,
                ino,
            })
        })
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let process = self.check()?;
        let fds: Vec<i32> = {
            let files = process.files.get();
            let table = files.lock();
            table.open_fds().map(|(fd, ..)| fd).collect()
        };
        for fd in fds {
            let cookie = 2 + fd as u64;
            if cookie < offset {
                continue;
            }
            let name = alloc::format!("{fd}");
            if !sink(DirEntry {
                ino: self.entry_ino(fd),
                next_offset: cookie + 1,
                file_type: if self.is_info {
                    FileType::Regular
                } else {
                    FileType::Symlink
                },
                name: name.as_bytes(),
            }) {
                break;
            }
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The name of a file without a path (`d_path` of Linux's pseudo filesystems).
fn pseudo_name(file: &OpenFile) -> Vec<u8> {
    let ops = &file.ops;
    let text = if let Some(name) = ops.anon_name() {
        alloc::format!("anon_inode:{name}")
    } else if ops.as_pipe().is_some() {
        alloc::format!("pipe:[{}]", ops.metadata().ino)
    } else if ops.as_socket().is_some() {
        alloc::format!("socket:[{}]", ops.metadata().ino)
    } else if ops.as_eventpoll().is_some() {
        alloc::string::String::from("anon_inode:[eventpoll]")
    } else if ops.as_timerfd().is_some() {
        alloc::string::String::from("anon_inode:[timerfd]")
    } else if ops.as_pidfd().is_some() {
        alloc::string::String::from("anon_inode:[pidfd]")
    } else if ops.is_anon_inode() {
        alloc::string::String::from("anon_inode:[eventfd]")
    } else {
        alloc::format!("anon_inode:[{}]", ops.metadata().ino)
    };
    text.into_bytes()
}

/// `fd/N`.
pub struct FdLink {
    target: Target,
    fd: i32,
    ino: u64,
}

impl Node for FdLink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self
            .target
            .process()
            .map_or((0, 0), |p| super::dump_owner(&p));
        let mode = match lookup_fd(&self.target, self.fd) {
            Ok((file, _)) => {
                let mut mode = 0;
                if file.is_readable() {
                    mode |= 0o500;
                }
                if file.is_writable() {
                    mode |= 0o300;
                }
                mode
            }
            Err(_) => 0,
        };
        NodeAttr {
            mode,
            uid,
            gid,
            nlink: 1,
            size: 64,
        }
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        let process = self.target.process()?;
        if !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        let (file, _) = lookup_fd(&self.target, self.fd)?;
        match &file.path {
            Some(path) if !crate::fs::pipefs::is_pipefs(path) => {
                let root = super::caller().process.fs.get().lock().root.clone();
                path.d_path(&root)
            }
            _ => Ok(pseudo_name(&file)),
        }
    }

    fn jump(&self) -> Option<Result<Path, Errno>> {
        Some((|| {
            let process = self.target.process()?;
            if !may_inspect(&process) {
                return Err(Errno::EACCES);
            }
            let (file, _) = lookup_fd(&self.target, self.fd)?;
            match (&file.path, file.ops.as_pipe()) {
                (Some(path), _) => Ok(path.clone()),
                (None, Some(end)) => crate::fs::pipefs::path_of(end.pipe()),
                (None, None) => Err(Errno::ENXIO),
            }
        })())
    }

    fn is_stale(&self) -> bool {
        lookup_fd(&self.target, self.fd).is_err()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `fdinfo/N`.
pub struct FdInfo {
    target: Target,
    fd: i32,
    ino: u64,
}

impl Node for FdInfo {
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn attr(&self) -> NodeAttr {
        let (uid, gid) = self
            .target
            .process()
            .map_or((0, 0), |p| super::dump_owner(&p));
        NodeAttr {
            mode: 0o444,
            uid,
            gid,
            nlink: 1,
            size: 0,
        }
    }

    fn render(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        let process = self.target.process()?;
        if !may_inspect(&process) {
            return Err(Errno::EACCES);
        }
        let (file, close_on_exec) = lookup_fd(&self.target, self.fd)?;
        let mut flags = file.status_flags().bits();
        if close_on_exec {
            flags |= abi::raw::general::O_CLOEXEC;
        }
        let mnt_id = file.path.as_ref().map_or(0, |path| path.mnt().id());
        let metadata = file.ops.metadata();
        out!(
            out,
            "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n",
            file.position_if_idle().unwrap_or(0),
            flags,
            mnt_id,
            metadata.ino
        )?;
        file.ops.show_fdinfo(out)
    }

    fn is_stale(&self) -> bool {
        lookup_fd(&self.target, self.fd).is_err()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
