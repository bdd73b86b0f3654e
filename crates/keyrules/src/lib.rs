//! Linux 6.1's key-retention rules (`security/keys/`) as pure logic: the kernel keeps keys,
//! keyrings and the per-user quota records, and asks this crate what is allowed and how
//! things read.
//!
//! - [`perm`]: the permission word (possessor, user, group, other bytes) and
//!   `key_task_permission`, the permissions keys are created with.
//! - [`kind`]: the key types Ferrux has (`user`, `logon`, `keyring`, `big_key`) and their
//!   `vet_description`/`preparse` rules, what they let be read and updated, what a payload
//!   costs against the byte quota.
//! - [`quota`]: `kernel.keys.maxkeys`/`maxbytes` and their `root_*` twins, the charge check.
//! - [`proc`]: `/proc/keys` and `/proc/key-users` lines, `KEYCTL_DESCRIBE`'s text.
//! - [`ids`]: the special key ids, `KEYCTL_*` commands and `KEY_REQKEY_DEFL_*` values.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ids;
pub mod kind;
pub mod perm;
pub mod proc;
pub mod quota;

/// `KEY_MAX_DESC_SIZE`: descriptions are copied up to this many bytes (with the NUL).
pub const MAX_DESC_SIZE: usize = 4096;
/// The largest payload add_key, KEYCTL_UPDATE and KEYCTL_INSTANTIATE accept (`EINVAL` past).
pub const MAX_PAYLOAD: usize = 1024 * 1024 - 1;
/// Key type names are at most 31 bytes (`key_get_type_from_user`'s 32-byte buffer).
pub const TYPE_NAME_SIZE: usize = 32;
/// How long a negative key from a failed `request_key` lives (`key_negative_timeout`, s).
pub const NEGATIVE_TIMEOUT_SECS: u64 = 60;
/// How deep keyring searches and links nest (`KEYRING_SEARCH_MAX_DEPTH`).
pub const MAX_DEPTH: usize = 6;
