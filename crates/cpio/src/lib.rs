//! cpio archives in the "newc" (`070701`) and "crc" (`070702`) formats, as Linux unpacks them
//! into its root file system at boot.
//!
//! [`entries`] walks an archive and yields one [`Entry`] per record until `TRAILER!!!`, with every
//! length and offset bounds-checked, so a truncated or corrupt archive is an [`CpioError`] and never
//! a panic. [`initramfs::unpack`] follows Linux's `init/initramfs.c`: an initramfs image is a
//! sequence of segments, each a plain newc archive or a gzip-compressed one, separated by zero
//! padding, and hard links are reported to the consumer. [`NewcWriter`] builds archives (the
//! `xtask` uses it to make initramfs images). The record layout is described in the kernel's
//! `Documentation/driver-api/early-userspace/buffer-format.rst` and in `man 5 cpio`.
//!
//! ```
//! let mut writer = cpio::NewcWriter::new();
//! writer.add_dir("bin", 0o755, 0, 0)?;
//! writer.add_file("bin/hello", 0o755, 0, 0, b"#!/bin/sh\necho hello\n")?;
//! writer.add_symlink("init", "bin/hello")?;
//! let image = writer.finish();
//!
//! let names: Vec<&[u8]> = cpio::entries(&image)
//!     .map(|entry| entry.map(|entry| entry.name))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(names, [&b"bin"[..], b"bin/hello", b"init"]);
//!
//! let mut created = 0;
//! cpio::initramfs::unpack(&image, |item| {
//!     assert!(item.hard_link_to.is_none());
//!     created += 1;
//!     Ok::<(), core::convert::Infallible>(())
//! })?;
//! assert_eq!(created, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Not done: the old binary and `odc` (`070707`) formats, which Linux rejects too, and compression
//! methods other than gzip (reported as [`initramfs::UnpackError::UnsupportedCompression`]).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod entry;
mod error;
mod header;
pub mod initramfs;
pub mod mode;
mod reader;
mod writer;

#[cfg(test)]
mod test_support;

pub use entry::{Entry, FileType};
pub use error::CpioError;
pub use reader::{Entries, entries};
pub use writer::{NewcWriter, WriteError};

/// The name of the record that ends an archive.
pub const TRAILER_NAME: &[u8] = b"TRAILER!!!";

/// The longest path Linux accepts in an initramfs entry, including the terminating NUL
/// (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;
