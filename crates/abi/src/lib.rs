//! The Linux x86-64 system-call ABI as Rust types.
//!
//! Constants and structs come from `linux-raw-sys` (generated from Linux's own uapi headers); this
//! crate wraps them in types: [`Errno`] for error numbers, flag sets, and `zerocopy` structs that
//! can be copied to and from user memory. It builds for the host, so everything here is unit-tested
//! with plain `cargo test`.
#![no_std]
#![forbid(unsafe_code)]

pub mod errno;

pub use errno::Errno;
pub use linux_raw_sys as raw;
