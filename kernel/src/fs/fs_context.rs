//! Filesystem configuration contexts, the files fsopen(2) and fspick(2) return (Linux
//! `fs/fs_context.c`, `fs/fsopen.c`): the parameters given by fsconfig(2), the phase the
//! context is in, and its message log.
//!
//! Phases as Linux's `fs_context_phase`: a context from fsopen collects parameters
//! (`CreateParams`) until `FSCONFIG_CMD_CREATE` makes the instance (`AwaitingMount`: fsmount
//! may mount it, once); one from fspick collects parameters for `FSCONFIG_CMD_RECONFIGURE`
//! (`ReconfParams`), after which it may be configured again. A failed create or reconfigure
//! leaves it `Failed`: every later command is `EBUSY`.
//!
//! The log: up to 8 messages (older ones are dropped), each read whole by one read(2) as
//! `"e <text>\n"`; `ENODATA` when empty, `EMSGSIZE` (the message stays)
//! when the buffer is too small.

use super::eventfd::anon_inode_metadata;
use super::file::FileOps;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::{Mutex, SpinLock};
use vfs::fstype::FileSystemType;
use vfs::{Dentry, Metadata, Path};

/// Messages kept (Linux's `fc_log` ring).
const LOG_SIZE: usize = 8;

/// Where a context is (Linux `fs_context_phase`, the states user space sees).
pub enum Phase {
    /// fsopen: parameters for a new instance.
    CreateParams,
    /// `FSCONFIG_CMD_CREATE` made this instance: fsmount may mount it.
    AwaitingMount(Arc<Dentry>),
    /// fspick: parameters for a reconfiguration of the superblock shown at this mount root.
    ReconfParams(Path),
    /// fsmount mounted the instance: nothing more may be done with the context.
    Mounted,
    /// A create or reconfigure failed.
    Failed,
}

/// What fsconfig has given so far, and the phase.
pub struct ContextState {
    pub phase: Phase,
    /// `source`, once.
    pub source: Option<Vec<u8>>,
    /// The other parameters as a mount(2) option string (`key[=value]`, comma-separated).
    pub options: Vec<u8>,
}

/// One context (Linux's `struct fs_context` behind an anon-inode `fscontext` file).
pub struct FsContext {
    pub fs_type: Arc<dyn FileSystemType>,
    /// Held across a whole fsconfig/fsmount command (Linux `uapi_mutex`), which may sleep.
    pub state: Mutex<ContextState>,
    log: SpinLock<VecDeque<Vec<u8>>>,
}

impl FsContext {
    pub fn new(fs_type: Arc<dyn FileSystemType>, phase: Phase) -> FsContext {
        FsContext {
            fs_type,
            state: Mutex::new(
                "fs_context.state",
                ContextState {
                    phase,
                    source: None,
                    options: Vec::new(),
                },
            ),
            log: SpinLock::new("fs_context.log", VecDeque::new()),
        }
    }

    /// Logs an error message (`errorf`/`invalf`): `"e "` and `text`.
    pub fn log_error(&self, text: &[u8]) {
        let mut message = Vec::new();
        if message.try_reserve_exact(text.len() + 3).is_err() {
            return;
        }
        message.extend_from_slice(b"e ");
        message.extend_from_slice(text);
        message.push(b'\n');
        let mut log = self.log.lock();
        if log.len() == LOG_SIZE {
            log.pop_front();
        }
        if log.try_reserve(1).is_ok() {
            log.push_back(message);
        }
    }
}

impl FileOps for FsContext {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let mut log = self.log.lock();
        let length = log.front().ok_or(Errno::ENODATA)?.len();
        // Too long for the buffer: EMSGSIZE, and the message stays for a larger read.
        if length > buf.len() {
            return Err(Errno::EMSGSIZE);
        }
        let message = log.pop_front().ok_or(Errno::ENODATA)?;
        buf[..length].copy_from_slice(&message);
        Ok(length)
    }

    fn is_seekable(&self) -> bool {
        false
    }

    fn seek_policy(&self) -> super::file::SeekPolicy {
        super::file::SeekPolicy::NoMove
    }

    fn is_anon_inode(&self) -> bool {
        true
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[fscontext]")
    }

    fn metadata(&self) -> Metadata {
        anon_inode_metadata()
    }

    fn as_fs_context(&self) -> Option<&FsContext> {
        Some(self)
    }
}
