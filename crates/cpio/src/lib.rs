//! cpio archives in the "newc" (`070701`) and "crc" (`070702`) formats, as Linux unpacks them
//! into its root file system at boot.
//!
//! [`entries`] walks an archive held in memory and yields one [`Entry`] per record until
//! `TRAILER!!!`, with every length and offset bounds-checked, so a truncated or corrupt archive
//! is a [`CpioError`] and never a panic. [`initramfs`] follows Linux's `init/initramfs.c`: an
//! initramfs image is a sequence of segments, each plain newc records or a gzip-compressed
//! member, separated by zero padding; it is unpacked as a stream ([`initramfs::Unpacker`] takes
//! the image in pieces; a gzip member is inflated through a 32 KiB window; file data goes to a
//! [`initramfs::Sink`] in pieces, never held whole). [`NewcWriter`] builds archives (the `xtask`
//! uses it to make initramfs images). The record layout is described in the kernel's
//! `Documentation/driver-api/early-userspace/buffer-format.rst` and in `man 5 cpio`.
//!
//! ```
//! use cpio::initramfs::{Sink, UnpackedEntry};
//!
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
//! /// Counts entries and data bytes.
//! #[derive(Default)]
//! struct Count {
//!     entries: usize,
//!     bytes: usize,
//! }
//! impl Sink for Count {
//!     type Error = core::convert::Infallible;
//!     fn create(&mut self, entry: &UnpackedEntry<'_>) -> Result<(), Self::Error> {
//!         assert!(entry.hard_link_to.is_none());
//!         self.entries += 1;
//!         Ok(())
//!     }
//!     fn write(&mut self, data: &[u8]) -> Result<(), Self::Error> {
//!         self.bytes += data.len();
//!         Ok(())
//!     }
//!     fn finish_file(&mut self) -> Result<(), Self::Error> {
//!         Ok(())
//!     }
//! }
//! let mut count = Count::default();
//! let mut unpacker = cpio::initramfs::Unpacker::new()?;
//! for piece in image.chunks(100) {
//!     unpacker.feed(piece, &mut count)?;
//! }
//! unpacker.finish(&mut count)?;
//! assert_eq!((count.entries, count.bytes), (3, 21));
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
