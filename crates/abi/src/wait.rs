//! `wait4`/`waitid` options ([`WaitFlags`]), `waitid`'s id types (`P_*`) and `getrusage`'s
//! targets (`RUSAGE_*`), from `include/uapi/linux/wait.h` and `resource.h`.
//!
//! Unknown bits: `wait4` rejects bits outside [`WaitFlags::WAIT4_VALID`], `waitid` bits outside
//! [`WaitFlags::WAITID_VALID`], both with `EINVAL` (`kernel/exit.c`).

use bitflags::bitflags;
use linux_raw_sys::general as raw;

bitflags! {
    /// `W*` options.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct WaitFlags: u32 {
        /// Return at once if no child has something to report.
        const WNOHANG = raw::WNOHANG;
        /// Report stopped children (`wait4`).
        const WUNTRACED = raw::WUNTRACED;
        /// Report stopped children (`waitid`; the same bit as `WUNTRACED`).
        const WSTOPPED = raw::WSTOPPED;
        /// Report exited children (`waitid`; implied by `wait4`).
        const WEXITED = raw::WEXITED;
        /// Report continued children.
        const WCONTINUED = raw::WCONTINUED;
        /// Leave the child waitable (`waitid`).
        const WNOWAIT = raw::WNOWAIT;
        /// Only children of the calling thread.
        const __WNOTHREAD = raw::__WNOTHREAD;
        /// Any child, whatever its exit signal.
        const __WALL = raw::__WALL;
        /// Only "clone" children (exit signal other than `SIGCHLD`).
        const __WCLONE = raw::__WCLONE;
    }
}

impl WaitFlags {
    /// What `wait4` accepts.
    pub const WAIT4_VALID: WaitFlags = WaitFlags::WNOHANG
        .union(WaitFlags::WUNTRACED)
        .union(WaitFlags::WCONTINUED)
        .union(WaitFlags::__WNOTHREAD)
        .union(WaitFlags::__WCLONE)
        .union(WaitFlags::__WALL);
    /// What `waitid` accepts.
    pub const WAITID_VALID: WaitFlags = WaitFlags::WNOHANG
        .union(WaitFlags::WNOWAIT)
        .union(WaitFlags::WEXITED)
        .union(WaitFlags::WSTOPPED)
        .union(WaitFlags::WCONTINUED)
        .union(WaitFlags::__WNOTHREAD)
        .union(WaitFlags::__WCLONE)
        .union(WaitFlags::__WALL);
    /// The events `waitid` needs at least one of.
    pub const EVENTS: WaitFlags = WaitFlags::WEXITED
        .union(WaitFlags::WSTOPPED)
        .union(WaitFlags::WCONTINUED);
}

/// `waitid`: any child.
pub const P_ALL: u32 = raw::P_ALL;
/// `waitid`: the child with this pid.
pub const P_PID: u32 = raw::P_PID;
/// `waitid`: children in this process group (0: the caller's).
pub const P_PGID: u32 = raw::P_PGID;
/// `waitid`: the child this pidfd refers to.
pub const P_PIDFD: u32 = raw::P_PIDFD;

/// `getrusage`: the calling process.
pub const RUSAGE_SELF: i32 = raw::RUSAGE_SELF as i32;
/// `getrusage`: its reaped children.
pub const RUSAGE_CHILDREN: i32 = raw::RUSAGE_CHILDREN;
/// `getrusage`: the calling thread.
pub const RUSAGE_THREAD: i32 = raw::RUSAGE_THREAD as i32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(WaitFlags::WUNTRACED, WaitFlags::WSTOPPED);
        assert_eq!(WaitFlags::WNOWAIT.bits(), 0x0100_0000);
        assert_eq!(WaitFlags::__WCLONE.bits(), 0x8000_0000);
        assert!(!WaitFlags::WAIT4_VALID.contains(WaitFlags::WNOWAIT));
        assert!(!WaitFlags::WAIT4_VALID.contains(WaitFlags::WEXITED));
        assert_eq!(WaitFlags::WAITID_VALID, WaitFlags::all());
        assert_eq!((P_ALL, P_PID, P_PGID, P_PIDFD), (0, 1, 2, 3));
        assert_eq!((RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD), (0, -1, 1));
    }
}
