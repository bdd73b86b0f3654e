//! Linux 6.1's namespace rules (`kernel/user_namespace.c`, `kernel/fork.c`'s `ksys_unshare`
//! and `copy_process`, `kernel/nsproxy.c`'s `setns`) as pure logic, tested on the host. The
//! kernel keeps the namespace objects and their locks; what is decided about flags and id maps
//! is decided here.
//!
//! - [`idmap`]: the extents of `/proc/PID/uid_map` and `gid_map`: parsing a write as
//!   `map_write` does, its validity rules, and translation in both directions.
//! - [`flags`]: which clone/unshare/setns flag sets are valid, and what `unshare` implies.
//! - [`timens`]: `/proc/PID/timens_offsets` writes and the clock shifts of time namespaces.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod flags;
pub mod idmap;
pub mod timens;
