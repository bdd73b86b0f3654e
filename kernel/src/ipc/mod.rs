//! System V IPC (Linux's `ipc/`): shared memory ([`shm`]), semaphores ([`sem`]), message queues
//! ([`msg`]), sharing
//! the id, key and permission machinery of [`util`] (rules in the `ipcrules` crate), and
//! POSIX message queues ([`mqueue`]).
//!
//! Every object lives in an IPC namespace ([`IpcNs`], Linux's `struct ipc_namespace`): its
//! three id tables, the `kernel.sem`/`msgmax`/`msgmnb`/`msgmni` and `fs.mqueue.*` limits, and
//! its own mqueue filesystem instance. A caller sees the namespace of its thread
//! ([`current`]); a new one (`CLONE_NEWIPC`) starts empty with Linux's defaults, and its
//! objects go with it when its last user does.

pub mod mqueue;
pub mod msg;
pub mod sem;
pub mod shm;
pub mod util;

use crate::ns::NsCommon;
use crate::ns::user::UserNs;
use abi::Errno;
use alloc::sync::Arc;

/// One IPC namespace.
pub struct IpcNs {
    pub common: NsCommon,
    /// The user namespace that owns it.
    pub owner: Arc<UserNs>,
    pub sem: sem::SemNs,
    pub msg: msg::MsgNs,
    pub shm: shm::ShmNs,
    pub mq: mqueue::MqNs,
}

impl IpcNs {
    fn try_new(common: NsCommon, owner: Arc<UserNs>) -> Result<Arc<IpcNs>, Errno> {
        Ok(Arc::new(IpcNs {
            common,
            owner,
            sem: sem::SemNs::new(),
            msg: msg::MsgNs::new(),
            shm: shm::ShmNs::new(),
            mq: mqueue::MqNs::try_new()?,
        }))
    }

    /// The initial namespace.
    pub fn initial(owner: Arc<UserNs>) -> Result<Arc<IpcNs>, Errno> {
        Self::try_new(NsCommon::initial(crate::ns::PROC_IPC_INIT_INO), owner)
    }

    /// A new, empty namespace owned by `owner` (`create_ipc_ns`).
    pub fn new_child(owner: Arc<UserNs>) -> Result<Arc<IpcNs>, Errno> {
        Self::try_new(NsCommon::try_new()?, owner)
    }
}

/// The calling thread's IPC namespace (the initial one outside any thread).
pub fn current() -> Arc<IpcNs> {
    match crate::process::try_current() {
        Some(thread) => thread.nsproxy().ipc.clone(),
        None => crate::ns::initial().ipc.clone(),
    }
}
