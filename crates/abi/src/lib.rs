//! The Linux x86-64 system-call ABI as Rust types.
//!
//! Constants and structs come from `linux-raw-sys` (generated from Linux's own uapi headers); this
//! crate wraps them in types: [`Errno`] for error numbers, `bitflags` sets for flag arguments
//! ([`OpenFlags`], [`AtFlags`], [`MapFlags`], [`ProtFlags`], [`CloneFlags`], [`WaitFlags`],
//! [`SaFlags`], …, with [`KnownFlags`] for Linux's answer to unknown bits), plain constants for
//! commands and numbers (`fcntl::cmd`, [`futex`], [`prctl`], [`ioctl`], …), and `#[repr(C)]` structs deriving
//! `zerocopy` traits that can be copied to and from user memory ([`Stat`], [`Statx`],
//! [`Timespec`], [`Termios`], …). Every struct has a compile-time check that its size, alignment
//! and field offsets equal those of the `linux-raw-sys` definition. It builds for the host, so
//! everything here is unit-tested with plain `cargo test`.
#![no_std]
#![forbid(unsafe_code)]

/// Asserts at compile time that `$ours` has the size, alignment and field offsets of the
/// `linux-raw-sys` type `$theirs` (fields named `ours => theirs`).
macro_rules! assert_same_layout {
    ($ours:ty, $theirs:ty, { $($field:ident => $raw_field:ident),* $(,)? }) => {
        const _: () = {
            assert!(core::mem::size_of::<$ours>() == core::mem::size_of::<$theirs>());
            assert!(core::mem::align_of::<$ours>() == core::mem::align_of::<$theirs>());
            $(assert!(
                core::mem::offset_of!($ours, $field) == core::mem::offset_of!($theirs, $raw_field)
            );)*
        };
    };
}

pub mod aio;
pub mod auxv;
pub mod capability;
pub mod dev;
pub mod dirent;
pub mod errno;
pub mod fcntl;
pub mod flags;
pub mod futex;
pub mod ioctl;
pub mod ipc;
pub mod loop_dev;
pub mod mman;
pub mod mode;
pub mod personality;
pub mod poll;
pub mod prctl;
pub mod random;
pub mod reboot;
pub mod resource;
pub mod rseq;
pub mod sched;
pub mod seek;
pub mod signal;
pub mod stat;
pub mod syscalls;
pub mod system;
pub mod termios;
pub mod time;
pub mod uio;
pub mod wait;

pub use dev::{new_decode_dev, new_encode_dev};
pub use dirent::{DirentBufferFull, DirentWriter, LinuxDirent64};
pub use errno::Errno;
pub use fcntl::{
    AT_FDCWD, AccessMode, AtFlags, CloseRangeFlags, OpenFlags, PipeFlags, RenameFlags,
};
pub use flags::KnownFlags;
pub use linux_raw_sys as raw;
pub use mman::{Advice, MapFlags, MapType, MremapFlags, ProtFlags};
pub use poll::{EpollCreateFlags, EpollEvent, EventfdFlags, PollFd};
pub use random::GetrandomFlags;
pub use resource::{Rusage, Tms};
pub use sched::{CloneFlags, PidfdFlags};
pub use signal::{SaFlags, SigactionRaw, SignalfdFlags, SignalfdSiginfo};
pub use stat::{Stat, Statfs, Statx, StatxTimestamp};
pub use syscalls::{SYSCALL_NAMES, syscall_name};
pub use system::{Rlimit, Sysinfo, Utsname};
pub use termios::{Termios, Winsize};
pub use time::{
    Itimerspec, Itimerval, Sigevent, TimerFlags, TimerfdFlags, TimerfdSettimeFlags, Timespec,
    Timeval, Timezone,
};
pub use uio::Iovec;
pub use wait::WaitFlags;
