//! The system-call layer: typed arguments, the table, the dispatcher, and one file per family
//! named after Linux's source file (`read_write.rs` is `fs/read_write.c`, and so on).

pub mod args;
pub mod dispatch;
pub mod table;

mod acct;
mod aio;
mod capability;
mod eventfd;
mod eventpoll;
mod exec;
mod exec_domain;
mod exit;
mod fadvise;
mod fanotify;
mod fcntl;
mod fhandle;
mod fork;
mod fs_types;
mod futex;
mod groups;
mod inotify;
mod ioctl;
mod ioprio;
mod itimer;
mod kcmp;
mod keyctl;
mod locks;
mod membarrier;
mod memfd;
mod mlock;
pub mod mmap;
mod mount_api;
mod mqueue;
mod msg;
mod namei;
pub(crate) mod namespace;
mod nsproxy;
mod open;
mod pipe;
mod posix_timers;
mod prctl;
mod printk;
mod process_64;
mod process_vm_access;
mod ptrace;
mod random;
mod read_write;
mod readdir;
mod reboot;
mod rlimit;
mod rseq;
mod sched;
mod seccomp;
mod select;
mod sem;
mod sendfile;
mod shm;
pub mod signal;
mod signalfd;
mod socket;
mod splice;
mod stat;
mod statfs;
mod sync;
mod sys;
mod sysinfo;
pub mod time;
mod timerfd;
mod uname;
mod userfaultfd;
mod utimes;
mod xattr;

use crate::process::Thread;
use abi::Errno;
use alloc::sync::Arc;
use hal::user::UserContext;

/// What every handler gets: the calling thread and its saved user registers.
pub struct SyscallContext<'a> {
    pub thread: &'a Arc<Thread>,
    pub user: &'a mut UserContext,
}

/// A handler's result: the value for `rax`, or an error the dispatcher negates.
pub type SyscallResult = Result<usize, Errno>;

/// The release string (`uname -r`).
pub fn sys_release() -> &'static str {
    uname::RELEASE
}

/// The version string (`uname -v`).
pub fn sys_version() -> &'static str {
    uname::VERSION
}
