//! Flags of `open`/`openat`/`openat2` ([`OpenFlags`]) and of the `*at` calls ([`AtFlags`]), and
//! [`AT_FDCWD`], from `include/uapi/asm-generic/fcntl.h` and `include/uapi/linux/fcntl.h`.
//!
//! Unknown bits: `open` and `openat` ignore flag bits they do not know (Linux masks the argument
//! with `VALID_OPEN_FLAGS`), so convert their argument with [`OpenFlags::from_open_arg`] (or
//! `from_bits_retain` where the raw value must survive, for example to echo it back); `openat2`
//! rejects unknown bits with `EINVAL`, so use `from_bits` there. The `*at` calls reject unknown
//! `AT_*` bits with `EINVAL`, each accepting its own subset.

use bitflags::bitflags;
use linux_raw_sys::general as raw;

/// The directory file descriptor that means "the current working directory".
pub const AT_FDCWD: i32 = raw::AT_FDCWD;

bitflags! {
    /// `O_*` flags. The access mode (`O_RDONLY` = 0, `O_WRONLY`, `O_RDWR`) is read with
    /// [`OpenFlags::access_mode`]. Multi-bit flags: `O_SYNC` includes `O_DSYNC`, `O_TMPFILE`
    /// includes `O_DIRECTORY`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct OpenFlags: u32 {
        /// Open for writing only.
        const O_WRONLY = raw::O_WRONLY;
        /// Open for reading and writing.
        const O_RDWR = raw::O_RDWR;
        /// Create the file if it does not exist.
        const O_CREAT = raw::O_CREAT;
        /// With `O_CREAT`, fail with `EEXIST` if it exists.
        const O_EXCL = raw::O_EXCL;
        /// Do not make a terminal the controlling terminal.
        const O_NOCTTY = raw::O_NOCTTY;
        /// Truncate a regular file to length 0.
        const O_TRUNC = raw::O_TRUNC;
        /// Every write appends.
        const O_APPEND = raw::O_APPEND;
        /// Non-blocking I/O (also `O_NDELAY`).
        const O_NONBLOCK = raw::O_NONBLOCK;
        /// Synchronised data writes.
        const O_DSYNC = raw::O_DSYNC;
        /// Signal-driven I/O (`FASYNC`).
        const O_ASYNC = raw::FASYNC;
        /// Direct I/O, bypassing the page cache.
        const O_DIRECT = raw::O_DIRECT;
        /// Large-file offsets (always set on 64-bit).
        const O_LARGEFILE = raw::O_LARGEFILE;
        /// Fail with `ENOTDIR` unless a directory.
        const O_DIRECTORY = raw::O_DIRECTORY;
        /// Fail with `ELOOP` if the last component is a symlink.
        const O_NOFOLLOW = raw::O_NOFOLLOW;
        /// Do not update the access time.
        const O_NOATIME = raw::O_NOATIME;
        /// Close on `execve`.
        const O_CLOEXEC = raw::O_CLOEXEC;
        /// Synchronised data and metadata writes (`__O_SYNC | O_DSYNC`).
        const O_SYNC = raw::O_SYNC;
        /// A location-only descriptor.
        const O_PATH = raw::O_PATH;
        /// An unnamed temporary file in the given directory (`__O_TMPFILE | O_DIRECTORY`).
        const O_TMPFILE = raw::O_TMPFILE;
    }
}

/// The access mode of an open file (`flags & O_ACCMODE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessMode {
    /// `O_RDONLY`.
    ReadOnly,
    /// `O_WRONLY`.
    WriteOnly,
    /// `O_RDWR`.
    ReadWrite,
    /// The value 3: Linux opens for neither reading nor writing but checks both permissions
    /// (used for `ioctl`-only access to devices).
    NoReadWrite,
}

/// Mask of the access-mode bits.
pub const O_ACCMODE: u32 = raw::O_ACCMODE;

impl OpenFlags {
    /// Every flag `open` knows (`VALID_OPEN_FLAGS`); `open` and `openat` drop the others.
    pub const VALID_OPEN_FLAGS: OpenFlags = OpenFlags::all();
    /// The flags an `O_PATH` open keeps (`O_PATH_FLAGS`); it ignores the rest.
    pub const O_PATH_FLAGS: OpenFlags = OpenFlags::O_DIRECTORY
        .union(OpenFlags::O_NOFOLLOW)
        .union(OpenFlags::O_PATH)
        .union(OpenFlags::O_CLOEXEC);
    /// The status flags `fcntl(F_SETFL)` changes (`SETFL_MASK`); it ignores the rest.
    /// `O_ASYNC` is not one: a file's fasync method sets and clears it.
    pub const SETFL_MASK: OpenFlags = OpenFlags::O_APPEND
        .union(OpenFlags::O_NONBLOCK)
        .union(OpenFlags::O_DIRECT)
        .union(OpenFlags::O_NOATIME);
    /// Flags that act at open time only and are not kept in the open file description
    /// (`O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC`, and `O_CLOEXEC`, which belongs to the
    /// descriptor).
    pub const OPEN_ONLY_FLAGS: OpenFlags = OpenFlags::O_CREAT
        .union(OpenFlags::O_EXCL)
        .union(OpenFlags::O_NOCTTY)
        .union(OpenFlags::O_TRUNC)
        .union(OpenFlags::O_CLOEXEC);
    /// The read-only access mode (`O_RDONLY`, no bit set).
    pub const O_RDONLY: OpenFlags = OpenFlags::empty();

    /// The flags of an `open`/`openat` argument with unknown bits dropped, as Linux's
    /// `build_open_flags` does (`flags & VALID_OPEN_FLAGS`).
    pub const fn from_open_arg(raw_flags: u32) -> OpenFlags {
        OpenFlags::from_bits_truncate(raw_flags)
    }

    /// The access mode.
    pub const fn access_mode(self) -> AccessMode {
        match self.bits() & O_ACCMODE {
            0 => AccessMode::ReadOnly,
            1 => AccessMode::WriteOnly,
            2 => AccessMode::ReadWrite,
            _ => AccessMode::NoReadWrite,
        }
    }
}

bitflags! {
    /// `AT_*` flags of `fstatat`, `statx`, `linkat`, `unlinkat`, `faccessat2`, `fchownat`,
    /// `utimensat`, `execveat` and friends. `AT_EACCESS` (for `faccessat`) and `AT_REMOVEDIR`
    /// (for `unlinkat`) share a bit; which one a bit means depends on the call.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct AtFlags: u32 {
        /// Do not follow a final symlink.
        const AT_SYMLINK_NOFOLLOW = raw::AT_SYMLINK_NOFOLLOW;
        /// `unlinkat`: remove a directory.
        const AT_REMOVEDIR = raw::AT_REMOVEDIR;
        /// `faccessat`: check with the effective ids.
        const AT_EACCESS = raw::AT_EACCESS;
        /// `linkat`: follow a final symlink.
        const AT_SYMLINK_FOLLOW = raw::AT_SYMLINK_FOLLOW;
        /// Do not trigger an automount on the final component.
        const AT_NO_AUTOMOUNT = raw::AT_NO_AUTOMOUNT;
        /// An empty path means the directory descriptor itself.
        const AT_EMPTY_PATH = raw::AT_EMPTY_PATH;
        /// `statx`: force synchronisation with a remote server.
        const AT_STATX_FORCE_SYNC = raw::AT_STATX_FORCE_SYNC;
        /// `statx`: do not synchronise.
        const AT_STATX_DONT_SYNC = raw::AT_STATX_DONT_SYNC;
        /// `open_tree`, `mount_setattr`: apply to the whole subtree.
        const AT_RECURSIVE = raw::AT_RECURSIVE;
    }
}

impl AtFlags {
    /// `statx`: the synchronisation-type bits.
    pub const AT_STATX_SYNC_TYPE: u32 = raw::AT_STATX_SYNC_TYPE;
    /// `statx`: do what `stat` does (the value 0 of the synchronisation type).
    pub const AT_STATX_SYNC_AS_STAT: u32 = raw::AT_STATX_SYNC_AS_STAT;
}

/// `fcntl` commands (`include/uapi/asm-generic/fcntl.h`, `include/uapi/linux/fcntl.h`).
pub mod cmd {
    use super::raw;

    /// Duplicate to the lowest free descriptor at or above the argument.
    pub const F_DUPFD: u32 = raw::F_DUPFD;
    /// Get the descriptor flags (`FD_CLOEXEC`).
    pub const F_GETFD: u32 = raw::F_GETFD;
    /// Set the descriptor flags.
    pub const F_SETFD: u32 = raw::F_SETFD;
    /// Get the status flags.
    pub const F_GETFL: u32 = raw::F_GETFL;
    /// Set the status flags ([`OpenFlags::SETFL_MASK`](super::OpenFlags::SETFL_MASK)).
    pub const F_SETFL: u32 = raw::F_SETFL;
    /// `F_DUPFD` with close-on-exec.
    pub const F_DUPFD_CLOEXEC: u32 = raw::F_DUPFD_CLOEXEC;
    /// Set a pipe's capacity.
    pub const F_SETPIPE_SZ: u32 = raw::F_SETPIPE_SZ;
    /// Get a pipe's capacity.
    pub const F_GETPIPE_SZ: u32 = raw::F_GETPIPE_SZ;
    /// Add seals to a tmpfs file (memfd).
    pub const F_ADD_SEALS: u32 = raw::F_ADD_SEALS;
    /// Get a tmpfs file's seals.
    pub const F_GET_SEALS: u32 = raw::F_GET_SEALS;
    /// Which lock would block this one (POSIX record locks).
    pub const F_GETLK: u32 = raw::F_GETLK;
    /// Set or clear a record lock, failing on a conflict.
    pub const F_SETLK: u32 = raw::F_SETLK;
    /// Set or clear a record lock, waiting on a conflict.
    pub const F_SETLKW: u32 = raw::F_SETLKW;
    /// `F_GETLK` for open-file-description locks.
    pub const F_OFD_GETLK: u32 = raw::F_OFD_GETLK;
    /// `F_SETLK` for open-file-description locks.
    pub const F_OFD_SETLK: u32 = raw::F_OFD_SETLK;
    /// `F_SETLKW` for open-file-description locks.
    pub const F_OFD_SETLKW: u32 = raw::F_OFD_SETLKW;
    /// Set the owner that receives I/O signals (a pid, or a negated process group).
    pub const F_SETOWN: u32 = raw::F_SETOWN;
    /// Get the owner of I/O signals.
    pub const F_GETOWN: u32 = raw::F_GETOWN;
    /// Set the signal sent for I/O readiness (0: SIGIO).
    pub const F_SETSIG: u32 = raw::F_SETSIG;
    /// Get the signal sent for I/O readiness.
    pub const F_GETSIG: u32 = raw::F_GETSIG;
    /// Set the owner as a `struct f_owner_ex`.
    pub const F_SETOWN_EX: u32 = raw::F_SETOWN_EX;
    /// Get the owner as a `struct f_owner_ex`.
    pub const F_GETOWN_EX: u32 = raw::F_GETOWN_EX;
    /// Take, change or release a lease.
    pub const F_SETLEASE: u32 = raw::F_SETLEASE;
    /// The lease held through this description.
    pub const F_GETLEASE: u32 = raw::F_GETLEASE;
    /// Directory change notification (dnotify).
    pub const F_NOTIFY: u32 = raw::F_NOTIFY;
}

/// `struct f_owner_ex`'s `type`.
pub mod owner_type {
    use super::raw;

    /// A thread.
    pub const F_OWNER_TID: u32 = raw::F_OWNER_TID;
    /// A process.
    pub const F_OWNER_PID: u32 = raw::F_OWNER_PID;
    /// A process group.
    pub const F_OWNER_PGRP: u32 = raw::F_OWNER_PGRP;
}

/// `F_NOTIFY`'s event bits.
pub mod dnotify {
    use super::raw;

    /// A file was read.
    pub const DN_ACCESS: u32 = raw::DN_ACCESS;
    /// A file was written or truncated.
    pub const DN_MODIFY: u32 = raw::DN_MODIFY;
    /// A file was created.
    pub const DN_CREATE: u32 = raw::DN_CREATE;
    /// A file was unlinked.
    pub const DN_DELETE: u32 = raw::DN_DELETE;
    /// A file was renamed.
    pub const DN_RENAME: u32 = raw::DN_RENAME;
    /// A file's attributes changed.
    pub const DN_ATTRIB: u32 = raw::DN_ATTRIB;
    /// Keep the registration after the first event.
    pub const DN_MULTISHOT: u32 = raw::DN_MULTISHOT;
}

/// Record lock types (`l_type`).
pub mod lock_type {
    use super::raw;

    /// A shared (read) lock.
    pub const F_RDLCK: i16 = raw::F_RDLCK as i16;
    /// An exclusive (write) lock.
    pub const F_WRLCK: i16 = raw::F_WRLCK as i16;
    /// No lock.
    pub const F_UNLCK: i16 = raw::F_UNLCK as i16;
}

/// `flock(2)` operations.
pub mod flock_op {
    use super::raw;

    /// Shared lock.
    pub const LOCK_SH: u32 = raw::LOCK_SH;
    /// Exclusive lock.
    pub const LOCK_EX: u32 = raw::LOCK_EX;
    /// Do not block.
    pub const LOCK_NB: u32 = raw::LOCK_NB;
    /// Unlock.
    pub const LOCK_UN: u32 = raw::LOCK_UN;
    /// The old mandatory-lock bit: ignored (the call succeeds and does nothing).
    pub const LOCK_MAND: u32 = raw::LOCK_MAND;
}

/// `struct flock` (`fcntl` record locks; the same as `flock64` on x86-64).
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
pub struct Flock {
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub l_type: i16,
    /// `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub l_whence: i16,
    /// Padding (copied back as it came).
    pub pad0: u32,
    /// Start, relative to `l_whence`.
    pub l_start: i64,
    /// Length (0: to the end of the file; negative: the bytes before `l_start`).
    pub l_len: i64,
    /// The holder's process id (`F_GETLK`; -1 for OFD locks; 0 in OFD requests).
    pub l_pid: i32,
    /// Padding.
    pub pad1: u32,
}

assert_same_layout!(Flock, raw::flock, {
    l_type => l_type,
    l_whence => l_whence,
    l_start => l_start,
    l_len => l_len,
    l_pid => l_pid,
});

/// The descriptor flag `F_GETFD`/`F_SETFD` read and write: close on `execve`.
pub const FD_CLOEXEC: u32 = raw::FD_CLOEXEC;

bitflags! {
    /// `close_range` flags (`include/uapi/linux/close_range.h`, not in `linux-raw-sys`).
    /// Unknown bits: `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct CloseRangeFlags: u32 {
        /// Unshare the descriptor table first.
        const CLOSE_RANGE_UNSHARE = 1 << 1;
        /// Set close-on-exec instead of closing.
        const CLOSE_RANGE_CLOEXEC = 1 << 2;
    }
}

bitflags! {
    /// `renameat2` flags (`RENAME_*`). Unknown bits, and `RENAME_EXCHANGE` with either of the
    /// others, are `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct RenameFlags: u32 {
        /// Fail with `EEXIST` instead of replacing the target.
        const RENAME_NOREPLACE = raw::RENAME_NOREPLACE;
        /// Swap source and target.
        const RENAME_EXCHANGE = raw::RENAME_EXCHANGE;
        /// Leave a whiteout at the source.
        const RENAME_WHITEOUT = raw::RENAME_WHITEOUT;
    }
}

bitflags! {
    /// `pipe2` flags. Unknown bits: `EINVAL` (`__do_pipe_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PipeFlags: u32 {
        /// Close both ends on `execve`.
        const O_CLOEXEC = raw::O_CLOEXEC;
        /// Both ends non-blocking.
        const O_NONBLOCK = raw::O_NONBLOCK;
        /// Packet mode on the write end.
        const O_DIRECT = raw::O_DIRECT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux_x86_64() {
        assert_eq!(OpenFlags::O_CREAT.bits(), 0o100);
        assert_eq!(OpenFlags::O_DIRECTORY.bits(), 0o200000);
        assert_eq!(OpenFlags::O_CLOEXEC.bits(), 0o2000000);
        assert_eq!(OpenFlags::O_LARGEFILE.bits(), 0o100000);
        assert_eq!(OpenFlags::O_ASYNC.bits(), 0o20000);
        assert_eq!(OpenFlags::O_PATH.bits(), 0o10000000);
        assert!(OpenFlags::O_SYNC.contains(OpenFlags::O_DSYNC));
        assert!(OpenFlags::O_TMPFILE.contains(OpenFlags::O_DIRECTORY));
        assert_eq!(AT_FDCWD, -100);
        assert_eq!(AtFlags::AT_EMPTY_PATH.bits(), 0x1000);
        assert_eq!(AtFlags::AT_REMOVEDIR, AtFlags::AT_EACCESS);
        assert_eq!(AtFlags::AT_STATX_SYNC_TYPE, 0x6000);
    }

    #[test]
    fn unknown_open_bits_are_dropped_like_linux() {
        let raw_flags = raw::O_RDWR | raw::O_CREAT | (1 << 30) | 0o40;
        let flags = OpenFlags::from_open_arg(raw_flags);
        assert_eq!(flags, OpenFlags::O_RDWR | OpenFlags::O_CREAT);
        assert_eq!(OpenFlags::from_bits_retain(raw_flags).bits(), raw_flags);
        assert_eq!(OpenFlags::from_bits(raw_flags), None);
        // The O_SYNC bit without O_DSYNC (__O_SYNC) is still a known bit.
        assert_eq!(
            OpenFlags::from_open_arg(raw::__O_SYNC).bits(),
            raw::__O_SYNC
        );
    }

    #[test]
    fn masks_match_linux() {
        // VALID_OPEN_FLAGS, O_PATH_FLAGS and SETFL_MASK of include/linux/fcntl.h and fs/fcntl.c.
        let valid = raw::O_RDONLY
            | raw::O_WRONLY
            | raw::O_RDWR
            | raw::O_CREAT
            | raw::O_EXCL
            | raw::O_NOCTTY
            | raw::O_TRUNC
            | raw::O_APPEND
            | raw::O_NDELAY
            | raw::O_NONBLOCK
            | raw::__O_SYNC
            | raw::O_DSYNC
            | raw::FASYNC
            | raw::O_DIRECT
            | raw::O_LARGEFILE
            | raw::O_DIRECTORY
            | raw::O_NOFOLLOW
            | raw::O_NOATIME
            | raw::O_CLOEXEC
            | raw::O_PATH
            | raw::__O_TMPFILE;
        assert_eq!(OpenFlags::VALID_OPEN_FLAGS.bits(), valid);
        assert_eq!(
            OpenFlags::O_PATH_FLAGS.bits(),
            raw::O_DIRECTORY | raw::O_NOFOLLOW | raw::O_PATH | raw::O_CLOEXEC
        );
        assert_eq!(
            OpenFlags::SETFL_MASK.bits(),
            raw::O_APPEND | raw::O_NONBLOCK | raw::O_NDELAY | raw::O_DIRECT | raw::O_NOATIME
        );
        assert_eq!(CloseRangeFlags::CLOSE_RANGE_UNSHARE.bits(), 2);
        assert_eq!(CloseRangeFlags::CLOSE_RANGE_CLOEXEC.bits(), 4);
        assert_eq!(cmd::F_DUPFD_CLOEXEC, 1030);
        assert_eq!(RenameFlags::all().bits(), 7);
        assert_eq!(FD_CLOEXEC, 1);
        assert_eq!(
            PipeFlags::all().bits(),
            OpenFlags::O_CLOEXEC.bits() | OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_DIRECT.bits()
        );
    }

    #[test]
    fn access_modes() {
        assert_eq!(OpenFlags::empty().access_mode(), AccessMode::ReadOnly);
        assert_eq!(OpenFlags::O_WRONLY.access_mode(), AccessMode::WriteOnly);
        assert_eq!(
            (OpenFlags::O_RDWR | OpenFlags::O_APPEND).access_mode(),
            AccessMode::ReadWrite
        );
        assert_eq!(
            OpenFlags::from_open_arg(3).access_mode(),
            AccessMode::NoReadWrite
        );
    }
}
