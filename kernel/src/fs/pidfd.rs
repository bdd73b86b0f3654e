//! Process file descriptors (`pidfd_open`, `CLONE_PIDFD`; Linux `kernel/pid.c`,
//! `pidfd_fops`): a file that names a process. It polls readable once the process has exited,
//! `waitid(P_PIDFD)` waits for it, and `pidfd_send_signal` signals it without pid reuse races.

use super::eventfd::anon_inode_metadata;
use super::file::FileOps;
use super::poll::{POLLIN, POLLRDNORM, PollTable, poll_wait};
use crate::process::Process;
use alloc::sync::Arc;
use vfs::Metadata;

pub struct PidFd {
    pub process: Arc<Process>,
}

impl FileOps for PidFd {
    fn metadata(&self) -> Metadata {
        anon_inode_metadata()
    }

    /// `Pid:` as the reader's namespace sees the process (-1 once it is reaped or outside
    /// it), then `NSpid:` down to the process's namespace (`pidfd_show_fdinfo`).
    fn show_fdinfo(&self, out: &mut alloc::vec::Vec<u8>) -> Result<(), abi::Errno> {
        let Some(reader) = crate::process::try_current() else {
            return Ok(());
        };
        let viewer = reader.process.pid_ns.clone();
        let nr = self.process.pid_in(&viewer) as i32;
        let nr = if nr > 0 { nr } else { -1 };
        crate::out!(out, "Pid:\t{nr}\n")?;
        if nr > 0 {
            crate::out!(out, "NSpid:")?;
            for number in crate::ns::pid::numbers(&self.process.pid_ns, self.process.pid, &viewer) {
                crate::out!(out, "\t{number}")?;
            }
            crate::out!(out, "\n")?;
        }
        Ok(())
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn poll(&self, mut table: Option<&mut PollTable>) -> Option<u16> {
        poll_wait(&mut table, &self.process.exit_events);
        Some(
            if self.process.is_zombie() || self.process.threads.lock().is_empty() {
                POLLIN | POLLRDNORM
            } else {
                0
            },
        )
    }

    fn as_pidfd(&self) -> Option<&PidFd> {
        Some(self)
    }
}

/// Installs a pidfd for `process` in `files` below `limit` (RLIMIT_NOFILE), always
/// close-on-exec as Linux's pidfds, with `status_flags` (O_NONBLOCK for PIDFD_NONBLOCK).
pub fn install(
    files: &mut super::fd_table::FdTable,
    process: Arc<Process>,
    status_flags: abi::OpenFlags,
    limit: usize,
    charge: super::file_table::FileCharge,
) -> Result<i32, abi::Errno> {
    let ops = Arc::new(PidFd { process });
    let file = Arc::new(super::file::OpenFile::new(
        ops,
        None,
        abi::OpenFlags::O_RDWR | status_flags,
        charge,
    )?);
    files.insert_from(0, file, true, limit)
}
