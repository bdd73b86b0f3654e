//! `/proc/keys` and `/proc/key-users` (Linux `security/keys/proc.c`): the keys the reader
//! may view, in serial order, and each user's key counts and quotas.

use super::task::{self, Creds};
use alloc::sync::Arc;
use alloc::vec::Vec;
use keyrules::perm::{self, Need};

/// `/proc/keys`: the keys the reader may view (possessed ones by their possessor bits).
pub fn proc_keys(thread: &crate::process::Thread) -> Vec<u8> {
    let creds = Creds::of(thread);
    let now = super::now_secs();
    let mut all = super::all_keys();
    all.sort_by_key(|key| key.serial);
    let mut out = Vec::new();
    for key in all {
        let owner = key.owner();
        let is_possessed =
            owner.perm & perm::pos(perm::VIEW) != 0 && task::is_possessed(thread, &creds, &key);
        if !perm::permits(&owner, &creds.caller(), is_possessed, Need::View) {
            continue;
        }
        let expiry = key.state().expiry.map(|expiry| expiry - now);
        let line = keyrules::proc::keys_line(
            key.serial,
            super::proc_flags(&key),
            (Arc::strong_count(&key) - 1) as u32,
            expiry,
            owner.perm,
            owner.uid,
            super::munge_gid(owner.gid),
            key.kind.name(),
            &super::proc_describe(&key),
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// `/proc/key-users`.
pub fn proc_key_users() -> Vec<u8> {
    let limits = *super::LIMITS.lock();
    let mut out = Vec::new();
    for (uid, usage) in super::all_users() {
        let (maxkeys, maxbytes) = limits.for_uid(uid);
        let line = keyrules::proc::key_users_line(uid, usage.nkeys, usage, maxkeys, maxbytes);
        out.extend_from_slice(line.as_bytes());
    }
    out
}
