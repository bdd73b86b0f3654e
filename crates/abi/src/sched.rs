//! Flags and numbers of process creation and scheduling: [`CloneFlags`] (`clone`, `clone3`,
//! `include/uapi/linux/sched.h`), [`PidfdFlags`] (`pidfd_open`), the scheduling policies
//! (`SCHED_*`) and the `setpriority` targets (`PRIO_*`, `include/uapi/linux/resource.h`).
//!
//! Unknown bits: legacy `clone` takes the exit signal from the low byte (`CSIGNAL`) and ignores
//! nothing else it knows; `clone3` rejects bits outside [`CloneFlags::CLONE3_VALID`] and any bit
//! of `CSIGNAL` or `CLONE_DETACHED` with `EINVAL` (`clone3_args_valid`); `pidfd_open` rejects
//! unknown flags with `EINVAL`.

use bitflags::bitflags;
use linux_raw_sys::general as raw;

bitflags! {
    /// `CLONE_*` flags (64 bits: `clone3` has flags above bit 31).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct CloneFlags: u64 {
        /// New time namespace (`clone3` only: its bit is part of `CSIGNAL` for `clone`).
        const CLONE_NEWTIME = raw::CLONE_NEWTIME as u64;
        /// Share the address space.
        const CLONE_VM = raw::CLONE_VM as u64;
        /// Share root, cwd and umask.
        const CLONE_FS = raw::CLONE_FS as u64;
        /// Share the descriptor table.
        const CLONE_FILES = raw::CLONE_FILES as u64;
        /// Share signal handlers.
        const CLONE_SIGHAND = raw::CLONE_SIGHAND as u64;
        /// Return a pidfd of the child.
        const CLONE_PIDFD = raw::CLONE_PIDFD as u64;
        /// Let the tracer trace the child too.
        const CLONE_PTRACE = raw::CLONE_PTRACE as u64;
        /// The parent sleeps until the child execs or exits.
        const CLONE_VFORK = raw::CLONE_VFORK as u64;
        /// The child gets the caller's parent.
        const CLONE_PARENT = raw::CLONE_PARENT as u64;
        /// Same thread group.
        const CLONE_THREAD = raw::CLONE_THREAD as u64;
        /// New mount namespace.
        const CLONE_NEWNS = raw::CLONE_NEWNS as u64;
        /// Share System V semaphore undo lists.
        const CLONE_SYSVSEM = raw::CLONE_SYSVSEM as u64;
        /// Set the child's TLS (FS base).
        const CLONE_SETTLS = raw::CLONE_SETTLS as u64;
        /// Store the child's tid in the parent.
        const CLONE_PARENT_SETTID = raw::CLONE_PARENT_SETTID as u64;
        /// Clear and futex-wake the child's tid word when it exits.
        const CLONE_CHILD_CLEARTID = raw::CLONE_CHILD_CLEARTID as u64;
        /// Ignored by `clone`, invalid for `clone3`.
        const CLONE_DETACHED = raw::CLONE_DETACHED as u64;
        /// A tracer cannot force `CLONE_PTRACE`.
        const CLONE_UNTRACED = raw::CLONE_UNTRACED as u64;
        /// Store the child's tid in the child.
        const CLONE_CHILD_SETTID = raw::CLONE_CHILD_SETTID as u64;
        /// New cgroup namespace.
        const CLONE_NEWCGROUP = raw::CLONE_NEWCGROUP as u64;
        /// New UTS namespace.
        const CLONE_NEWUTS = raw::CLONE_NEWUTS as u64;
        /// New IPC namespace.
        const CLONE_NEWIPC = raw::CLONE_NEWIPC as u64;
        /// New user namespace.
        const CLONE_NEWUSER = raw::CLONE_NEWUSER as u64;
        /// New pid namespace.
        const CLONE_NEWPID = raw::CLONE_NEWPID as u64;
        /// New network namespace.
        const CLONE_NEWNET = raw::CLONE_NEWNET as u64;
        /// Share the I/O context.
        const CLONE_IO = raw::CLONE_IO as u64;
        /// `clone3`: reset every handled signal to its default.
        const CLONE_CLEAR_SIGHAND = raw::CLONE_CLEAR_SIGHAND;
        /// `clone3`: start in the cgroup `cgroup` names.
        const CLONE_INTO_CGROUP = raw::CLONE_INTO_CGROUP;
    }
}

/// The exit-signal byte of legacy `clone`'s flags.
pub const CSIGNAL: u64 = raw::CSIGNAL as u64;
/// The first published size of `struct clone_args`.
pub const CLONE_ARGS_SIZE_VER0: usize = raw::CLONE_ARGS_SIZE_VER0 as usize;

impl CloneFlags {
    /// The namespace flags.
    pub const NAMESPACES: CloneFlags = CloneFlags::CLONE_NEWNS
        .union(CloneFlags::CLONE_NEWCGROUP)
        .union(CloneFlags::CLONE_NEWUTS)
        .union(CloneFlags::CLONE_NEWIPC)
        .union(CloneFlags::CLONE_NEWUSER)
        .union(CloneFlags::CLONE_NEWPID)
        .union(CloneFlags::CLONE_NEWNET)
        .union(CloneFlags::CLONE_NEWTIME);
    /// The bits `clone3` accepts (`CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND |
    /// CLONE_INTO_CGROUP`), before its `CSIGNAL`/`CLONE_DETACHED` check.
    pub const CLONE3_VALID: CloneFlags = CloneFlags::from_bits_retain(u32::MAX as u64)
        .union(CloneFlags::CLONE_CLEAR_SIGHAND)
        .union(CloneFlags::CLONE_INTO_CGROUP);

    /// Legacy `clone`'s register split into its flags (the low 32 bits without `CSIGNAL`) and
    /// its exit signal (`CSIGNAL`), as `SYSCALL_DEFINE5(clone)` does.
    pub const fn from_clone_arg(raw_flags: u64) -> (CloneFlags, u32) {
        let low = raw_flags & u32::MAX as u64;
        (
            CloneFlags::from_bits_retain(low & !CSIGNAL),
            (low & CSIGNAL) as u32,
        )
    }
}

bitflags! {
    /// `pidfd_open` flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PidfdFlags: u32 {
        /// A non-blocking pidfd (`O_NONBLOCK`).
        const PIDFD_NONBLOCK = raw::O_NONBLOCK;
    }
}

/// The default time-sharing policy.
pub const SCHED_NORMAL: i32 = raw::SCHED_NORMAL as i32;
/// First-in first-out real-time policy.
pub const SCHED_FIFO: i32 = raw::SCHED_FIFO as i32;
/// Round-robin real-time policy.
pub const SCHED_RR: i32 = raw::SCHED_RR as i32;
/// Batch (CPU-bound) time-sharing.
pub const SCHED_BATCH: i32 = raw::SCHED_BATCH as i32;
/// Very low priority.
pub const SCHED_IDLE: i32 = raw::SCHED_IDLE as i32;
/// Deadline policy.
pub const SCHED_DEADLINE: i32 = raw::SCHED_DEADLINE as i32;
/// Or-ed into a policy: children start with the default policy.
pub const SCHED_RESET_ON_FORK: i32 = raw::SCHED_RESET_ON_FORK as i32;

/// `setpriority`/`getpriority` target: a process.
pub const PRIO_PROCESS: i32 = raw::PRIO_PROCESS as i32;
/// Target: a process group.
pub const PRIO_PGRP: i32 = raw::PRIO_PGRP as i32;
/// Target: a user's processes.
pub const PRIO_USER: i32 = raw::PRIO_USER as i32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux_x86_64() {
        assert_eq!(CloneFlags::CLONE_VM.bits(), 0x100);
        assert_eq!(CloneFlags::CLONE_THREAD.bits(), 0x1_0000);
        assert_eq!(CloneFlags::CLONE_CLEAR_SIGHAND.bits(), 1 << 32);
        assert_eq!(CloneFlags::CLONE_INTO_CGROUP.bits(), 1 << 33);
        assert_eq!(CSIGNAL, 0xff);
        assert_eq!(CLONE_ARGS_SIZE_VER0, 64);
        assert_eq!(PidfdFlags::PIDFD_NONBLOCK.bits(), 0o4000);
        assert_eq!(SCHED_RESET_ON_FORK, 0x4000_0000);
        assert_eq!((SCHED_IDLE, SCHED_DEADLINE), (5, 6));
        assert_eq!((PRIO_PROCESS, PRIO_PGRP, PRIO_USER), (0, 1, 2));
    }

    #[test]
    fn legacy_clone_splits_signal_and_flags() {
        let raw_flags = (1 << 40) | raw::CLONE_VM as u64 | 17;
        let (flags, signal) = CloneFlags::from_clone_arg(raw_flags);
        assert_eq!(flags, CloneFlags::CLONE_VM);
        assert_eq!(signal, 17);
    }

    #[test]
    fn clone3_mask() {
        assert!(CloneFlags::CLONE3_VALID.contains(CloneFlags::CLONE_CLEAR_SIGHAND));
        assert!(!CloneFlags::CLONE3_VALID.contains(CloneFlags::from_bits_retain(1 << 34)));
        assert_eq!(CloneFlags::NAMESPACES.bits() & CSIGNAL, 0x80);
    }
}

pub use raw::{
    SCHED_FLAG_ALL, SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_KEEP_POLICY,
    SCHED_FLAG_RECLAIM, SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_UTIL_CLAMP,
};
/// `SCHED_FLAG_SUGOV`: kernel-internal (schedutil's deadline workers), EINVAL from user space.
pub const SCHED_FLAG_SUGOV: u64 = 0x1000_0000;
/// `SCHED_ATTR_SIZE_VER0`: the first `struct sched_attr`, without the utilization clamps.
pub const SCHED_ATTR_SIZE_VER0: u32 = 48;
/// `SCHED_ATTR_SIZE_VER1`: with `sched_util_min`/`sched_util_max` (the size 6.1 knows).
pub const SCHED_ATTR_SIZE_VER1: u32 = 56;

/// `struct sched_attr` (`include/uapi/linux/sched/types.h`), 6.1's version 1 (56 bytes).
#[repr(C)]
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
pub struct SchedAttr {
    pub size: u32,
    pub sched_policy: u32,
    pub sched_flags: u64,
    pub sched_nice: i32,
    pub sched_priority: u32,
    pub sched_runtime: u64,
    pub sched_deadline: u64,
    pub sched_period: u64,
    pub sched_util_min: u32,
    pub sched_util_max: u32,
}
