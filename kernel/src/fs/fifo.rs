//! FIFOs (named pipes), as Linux 6.1's `fifo_open` in `fs/pipe.c` and fifo(7).
//!
//! A FIFO inode has one pipe ([`super::pipe::Pipe`]) while any file has it open (Linux's
//! `inode->i_pipe`, counted by `pipe->files`): opens of the same inode, through any of its
//! names, share it, and its data goes when the last of them closes. The pipes live in a table
//! keyed by the inode's address, sharded by it; an entry exists only while the FIFO is open,
//! and each open file holds its node, so the address stays that inode's.
//!
//! Opens follow `fifo_open`: for reading, count a reader and wait until a writer has opened
//! (`w_counter` moves) unless one is there or O_NONBLOCK is set (then poll shows no POLLHUP
//! until a writer has come and gone); for writing, `ENXIO` with O_NONBLOCK and no reader, else
//! count a writer and wait for a reader; O_RDWR counts both and never waits; access mode 3 is
//! `EINVAL`. A signal ends a wait with `ERESTARTSYS` (restarted under SA_RESTART, else EINTR),
//! uncounting the end. A pipe reopened through its pipefs name (`/proc/<pid>/fd/N`,
//! [`super::pipefs`]) is opened the same way but never waits and is never `ENXIO`, as Linux's
//! `is_pipe` case. Reads and writes are the pipe's; a write that moved data updates the
//! FIFO's mtime and ctime (`file_update_time`), a read its atime (`file_accessed`).

use super::file::FileOps;
use super::pipe::{Pipe, PipeEnd};
use super::poll::PollTable;
use crate::sched::SleepKind;
use crate::sched::wait::wait_event;
use abi::{AccessMode, Errno, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use vfs::{Metadata, Path, SetAttr, TimeSet};

const SHARD_COUNT: usize = 16;

/// An open FIFO's pipe and how many files have it (`pipe->files`).
struct Entry {
    key: usize,
    pipe: Arc<Pipe>,
    files: usize,
}

static SHARDS: [SpinLock<Vec<Entry>>; SHARD_COUNT] =
    [const { SpinLock::new("fifo.shard", Vec::new()) }; SHARD_COUNT];

fn shard(key: usize) -> &'static SpinLock<Vec<Entry>> {
    &SHARDS[(key >> 6) % SHARD_COUNT]
}

/// A file's hold on its FIFO's pipe: the pipe goes with the last one.
struct PipeRef {
    key: usize,
}

impl PipeRef {
    /// The FIFO's pipe, made if it has none (`fifo_open`'s `alloc_pipe_info`).
    fn acquire(key: usize) -> Result<(PipeRef, Arc<Pipe>), Errno> {
        let mut entries = shard(key).lock();
        if let Some(entry) = entries.iter_mut().find(|entry| entry.key == key) {
            entry.files += 1;
            return Ok((PipeRef { key }, entry.pipe.clone()));
        }
        entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        let pipe = Pipe::new(0, 0, 0, 0)?;
        entries.push(Entry {
            key,
            pipe: pipe.clone(),
            files: 1,
        });
        Ok((PipeRef { key }, pipe))
    }
}

impl Drop for PipeRef {
    fn drop(&mut self) {
        let removed = {
            let mut entries = shard(self.key).lock();
            let Some(at) = entries.iter().position(|entry| entry.key == self.key) else {
                return;
            };
            entries[at].files -= 1;
            (entries[at].files == 0).then(|| entries.swap_remove(at))
        };
        drop(removed);
    }
}

/// An open FIFO (Linux's pipe file on a FIFO inode).
struct FifoFile {
    end: PipeEnd,
    node: Path,
    /// The FIFO table's entry (none for a pipe's pipefs name).
    _hold: Option<PipeRef>,
}

/// Waits until `opens()` moves from `seen` (`wait_for_partner`): `ERESTARTSYS` on a signal.
///
/// `seen` is read before the caller finds no partner: Linux does both under the pipe's mutex;
/// here the partner counts itself before it moves the counter (`Pipe::add_writer`), so a
/// partner that came between the two reads shows in the count, and one that comes after moves
/// the counter. Reading `seen` after the check would miss a partner that came in between,
/// and wait for ever (a lost wake-up, on SMP).
fn wait_for_partner(pipe: &Pipe, opens: impl Fn(&Pipe) -> u64, seen: u64) -> Result<(), Errno> {
    let thread = crate::process::current();
    wait_event(
        &thread,
        &[pipe.partner_wait()],
        SleepKind::Interruptible,
        None,
        || (opens(pipe) != seen).then_some(()),
    )
    .map_err(|_| Errno::ERESTARTSYS)
}

/// Opens the FIFO at `node` with status `flags` (`fifo_open`).
pub fn open(node: &Path, flags: OpenFlags) -> Result<Arc<dyn FileOps>, Errno> {
    let (is_reader, is_writer) = match flags.access_mode() {
        AccessMode::ReadOnly => (true, false),
        AccessMode::WriteOnly => (false, true),
        AccessMode::ReadWrite => (true, true),
        _ => return Err(Errno::EINVAL),
    };
    let is_nonblocking = flags.contains(OpenFlags::O_NONBLOCK);
    // A pipe reopened through /proc/<pid>/fd has its pipe in its pipefs inode, and Linux's
    // `fifo_open` neither waits nor refuses (ENXIO) for a pipe (`is_pipe`).
    let (hold, pipe, is_pipe) = match super::pipefs::pipe_of(node.dentry().inode()) {
        Some(pipe) => (None, pipe, true),
        None => {
            let key = Arc::as_ptr(node.dentry().inode()).cast::<()>() as usize;
            let (hold, pipe) = PipeRef::acquire(key)?;
            (Some(hold), pipe, false)
        }
    };
    let mut hup_version = 0;
    match (is_reader, is_writer) {
        (true, false) => {
            pipe.add_reader();
            let seen = pipe.write_opens();
            if !is_pipe && pipe.writer_count() == 0 {
                if is_nonblocking {
                    hup_version = seen;
                } else if let Err(error) = wait_for_partner(&pipe, Pipe::write_opens, seen) {
                    pipe.drop_end(true, false);
                    return Err(error);
                }
            }
        }
        (false, true) => {
            if !is_pipe && is_nonblocking && pipe.reader_count() == 0 {
                return Err(Errno::ENXIO);
            }
            pipe.add_writer();
            let seen = pipe.read_opens();
            if !is_pipe
                && pipe.reader_count() == 0
                && let Err(error) = wait_for_partner(&pipe, Pipe::read_opens, seen)
            {
                pipe.drop_end(false, true);
                return Err(error);
            }
        }
        _ => {
            pipe.add_reader();
            pipe.add_writer();
        }
    }
    Ok(Arc::new(FifoFile {
        end: PipeEnd::attach(pipe, is_reader, is_writer, hup_version),
        node: node.clone(),
        _hold: hold,
    }))
}

impl FifoFile {
    /// `file_update_time` after a write that moved data.
    fn update_times(&self) {
        let attr = SetAttr {
            mtime: Some(TimeSet::Now),
            ctime: Some(TimeSet::Now),
            ..SetAttr::default()
        };
        if self.node.want_write().is_ok() {
            let _ = self.node.dentry().inode().set_attr(&attr);
        }
    }
}

impl FileOps for FifoFile {
    fn read(&self, offset: u64, buf: &mut [u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let count = self.end.read(offset, buf, is_nonblocking)?;
        if count > 0 {
            self.node.touch_atime();
        }
        Ok(count)
    }

    fn write(&self, offset: u64, data: &[u8], is_nonblocking: bool) -> Result<usize, Errno> {
        let count = self.end.write(offset, data, is_nonblocking)?;
        if count > 0 {
            self.update_times();
        }
        Ok(count)
    }

    fn read_deliver(
        &self,
        offset: u64,
        buf: &mut [u8],
        status_flags: OpenFlags,
        deliver: &mut dyn FnMut(&[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let count = self.end.read_deliver(offset, buf, status_flags, deliver)?;
        if count > 0 {
            self.node.touch_atime();
        }
        Ok(count)
    }

    fn write_with_flags(
        &self,
        offset: u64,
        data: &[u8],
        status_flags: OpenFlags,
    ) -> Result<usize, Errno> {
        let count = self.end.write_with_flags(offset, data, status_flags)?;
        if count > 0 {
            self.update_times();
        }
        Ok(count)
    }

    fn poll(&self, table: Option<&mut PollTable>) -> Option<u16> {
        self.end.poll(table)
    }

    fn as_pipe(&self) -> Option<&PipeEnd> {
        Some(&self.end)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn metadata(&self) -> Metadata {
        self.node.metadata()
    }

    fn ioctl(&self, command: u32, argument: u64) -> Result<usize, Errno> {
        self.end.ioctl(command, argument)
    }
}
