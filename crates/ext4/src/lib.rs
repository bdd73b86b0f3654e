//! Ferrux's ext2, ext3 and ext4 file system: the on-disk formats of Linux 6.1's `fs/ext4`
//! (`Documentation/filesystems/ext4/` is the reference), read and written over a
//! [`BlockDevice`], host-tested against images that Debian's e2fsprogs makes and checks.
//!
//! Why our own: the kernel needs a file system that is `no_std`, safe Rust, read-write,
//! journaled and crash-safe, and that treats every disk byte as hostile. The no_std ext4 crates
//! that exist read only, or write without checksums, htree splits or a journal, or panic on a
//! corrupt image; StarryOS links the C library lwext4. This crate follows Linux's formats and
//! rules (`ext4_fill_super`'s geometry checks, `ext4_check_dir_entry`, `__ext4_ext_check`,
//! `ext4_xattr_check_entries`, the `metadata_csum` layouts) but shares no code with it.
//!
//! Layers, one module each:
//! - [`crc`], `le`: CRC-32C/CRC-16 and bounds-safe little-endian fields;
//! - `sb`, `group`: the superblock (features, geometry) and group descriptors (32 and 64 bytes),
//!   checksums verified on read and set on write (`metadata_csum` or `gdt_csum`);
//! - `inode`: inodes of any size with `i_extra_isize`, nanosecond times and btime, checksums;
//! - `extent`, `blockmap`: the extent tree (depth at most 5, every node checked, unwritten
//!   extents) and ext2/ext3's indirect block maps;
//! - `dir`, `htree`: linear directory blocks with their checksum tail, htree (`dir_index`)
//!   lookups, inserts and leaf splits with Linux's half-MD4, TEA and legacy hashes;
//! - `xattr`: extended attributes in the inode body and in a shared block;
//! - `journal`: jbd2 recovery at mount (descriptor, revoke and commit blocks, checksums v2/v3)
//!   and the commit of transactions through the log;
//! - `fs` and the operation modules: mounting, the block cache of one operation, bitmaps and
//!   allocation (flex_bg, uninitialised groups), and the file-system calls.
//!
//! Hostile disks: every value read is checked where it is used (Linux's delayed validation).
//! A check that fails returns [`Error::Corrupt`] (EUCLEAN, Linux's EFSCORRUPTED) or
//! [`Error::BadChecksum`] (EBADMSG, EFSBADCRC); nothing panics, every walk is bounded (tree
//! depth, hash-tree levels, block counts) and extent lists must be strictly ordered, so a
//! cycle is an error, not a loop.
//!
//! Writes: each mutating call is a handle on the running transaction: the metadata blocks it
//! changes join it when it succeeds and are undone when it fails. File data is written before
//! the metadata that points at it (ordered mode's rule). On a journaled file system the
//! transaction is committed through the jbd2 log on demand ([`Ext4::sync`], [`Ext4::fsync`],
//! unmount) or when it reaches a quarter of the log, the caller's timer committing it
//! otherwise, then written home (`journal`, docs/journal.md), so a power cut at any moment
//! leaves a file system that recovery (ours, e2fsck's or Linux's) makes consistent, with every
//! committed call in it. Without a journal each call is written when it returns.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod crc;
mod le;

mod blockmap;
mod dir;
mod extent;
mod file;
mod fs;
mod group;
mod htree;
mod inode;
mod journal;
mod namei;
mod sb;
mod xattr;

#[cfg(test)]
mod tests;

pub use dir::{DirEntry, FileType};
pub use file::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, SetAttr};
pub use fs::{Ext4, MountOptions, StatFs};
pub use inode::{ROOT_INO, Stat, Timestamp};
pub use journal::Recovery;
pub use namei::{RENAME_EXCHANGE, RENAME_NOREPLACE};
pub use xattr::{XATTR_CREATE, XATTR_REPLACE};

use alloc::vec::Vec;

/// Why an operation failed; [`Error::errno`] gives Linux's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The device failed a read or write (EIO).
    Io,
    /// A structure on disk is inconsistent (EUCLEAN, Linux's EFSCORRUPTED); says which check.
    Corrupt(&'static str),
    /// A checksum did not match (EBADMSG, Linux's EFSBADCRC); says which structure.
    BadChecksum(&'static str),
    NotFound,
    Exists,
    NotDir,
    IsDir,
    NotEmpty,
    NoSpace,
    NameTooLong,
    Invalid,
    ReadOnly,
    /// No such extended attribute (ENODATA).
    NoData,
    /// A buffer too small for an attribute's value (ERANGE).
    Range,
    TooManyLinks,
    /// A feature this crate does not implement (EOPNOTSUPP).
    Unsupported,
    FileTooBig,
    NoMem,
    /// Moving a directory below itself (EINVAL in rename's case, as Linux).
    Loop,
}

impl Error {
    /// Linux's errno for this error.
    pub fn errno(self) -> i32 {
        match self {
            Error::Io => 5,
            Error::Corrupt(_) => 117,
            Error::BadChecksum(_) => 74,
            Error::NotFound => 2,
            Error::Exists => 17,
            Error::NotDir => 20,
            Error::IsDir => 21,
            Error::NotEmpty => 39,
            Error::NoSpace => 28,
            Error::NameTooLong => 36,
            Error::Invalid | Error::Loop => 22,
            Error::ReadOnly => 30,
            Error::NoData => 61,
            Error::Range => 34,
            Error::TooManyLinks => 31,
            Error::Unsupported => 95,
            Error::FileTooBig => 27,
            Error::NoMem => 12,
        }
    }
}

pub type Result<T> = core::result::Result<T, Error>;

/// A failed device transfer; the file system answers it with EIO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoError;

impl From<IoError> for Error {
    fn from(_: IoError) -> Self {
        Error::Io
    }
}

/// The disk below the file system. Offsets and lengths are in bytes and always multiples of
/// 1024 (the superblock's place and the smallest block size).
pub trait BlockDevice {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> core::result::Result<(), IoError>;
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> core::result::Result<(), IoError>;
    /// Makes completed writes durable (a cache flush).
    fn flush(&mut self) -> core::result::Result<(), IoError>;
    /// The device's size in bytes.
    fn size(&self) -> u64;
}

/// A disk in memory, for tests and for images built in RAM.
#[derive(Debug, Clone, Default)]
pub struct MemDisk(pub Vec<u8>);

impl BlockDevice for MemDisk {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> core::result::Result<(), IoError> {
        let start = usize::try_from(offset).map_err(|_| IoError)?;
        let end = start.checked_add(buf.len()).ok_or(IoError)?;
        buf.copy_from_slice(self.0.get(start..end).ok_or(IoError)?);
        Ok(())
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> core::result::Result<(), IoError> {
        let start = usize::try_from(offset).map_err(|_| IoError)?;
        let end = start.checked_add(buf.len()).ok_or(IoError)?;
        self.0
            .get_mut(start..end)
            .ok_or(IoError)?
            .copy_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> core::result::Result<(), IoError> {
        Ok(())
    }

    fn size(&self) -> u64 {
        self.0.len() as u64
    }
}

/// A zeroed buffer of `len` bytes, or ENOMEM.
pub(crate) fn zeroed(len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| Error::NoMem)?;
    buf.resize(len, 0);
    Ok(buf)
}
