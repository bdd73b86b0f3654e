//! The kernel's key retention service (Linux `security/keys/`): keys with serial numbers,
//! keyrings that link them, per-user quotas, searches and the special keyrings of a task.
//! The rules (permissions, types, quotas, formats) are the host-tested `keyrules` crate;
//! this module keeps the objects.
//!
//! A [`Key`] lives while something holds it: a keyring's link, a task's special keyring
//! slot, or a call using it. The serial table holds weak references, so a key nothing links
//! any more is gone at once (Linux's garbage collector frees it soon after its last put):
//! its serial answers `ENOKEY`, its quota charge comes back. Keyrings hold their links
//! strongly; linking refuses cycles (`EDEADLK`), so no keyring keeps itself alive.
//!
//! Not done: a user-space upcall (`/sbin/request-key`; request_key's construction fails as
//! it does when that program is missing: the new key is negated and the call answers
//! `ENOENT`), so no task ever holds instantiation authority; the asymmetric, encrypted,
//! trusted, dns_resolver and other types; key notifications; persistent keyrings; the
//! garbage collector's delayed unlinking of revoked and expired keys from keyrings (they
//! stay linked; searches skip them as Linux's do).

pub mod procfs;
pub mod task;

use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;
use keyrules::kind::Kind;
use keyrules::perm::{self, Caller, Need, Owner};
use keyrules::quota::{Limits, Usage};

/// What a key holds.
pub enum Payload {
    /// Not instantiated yet, or negative, or revoked (its data dropped).
    None,
    /// A user-like key's bytes.
    Data(Vec<u8>),
    /// A keyring's links, in the order they were made.
    Links(Vec<Arc<Key>>),
}

/// A key's changing state (under its own lock).
pub struct KeyState {
    pub uid: u32,
    pub gid: u32,
    pub perm: u32,
    pub payload: Payload,
    pub is_instantiated: bool,
    /// A negative key's error (`reject_error`).
    pub negative: Option<Errno>,
    pub is_revoked: bool,
    pub is_invalidated: bool,
    /// Expiry time in CLOCK_REALTIME seconds.
    pub expiry: Option<i64>,
    /// `KEYCTL_RESTRICT_KEYRING` with no type: nothing more may be linked.
    pub is_restricted: bool,
    /// The bytes charged to the owner's quota (description and payload).
    charged_bytes: u32,
    /// Counted against the owner's quota (not kernel-made overruns).
    is_in_quota: bool,
    /// The uid charged (the owner at creation, or after chown).
    charged_uid: u32,
}

/// One key (Linux's `struct key`).
pub struct Key {
    pub serial: i32,
    pub kind: Kind,
    pub description: Vec<u8>,
    /// A user's user or user-session keyring (`KEY_FLAG_UID_KEYRING`).
    pub is_uid_keyring: bool,
    state: SpinLock<KeyState>,
}

impl Key {
    pub fn state(&self) -> hal::sync::SpinLockGuard<'_, KeyState> {
        self.state.lock()
    }

    pub fn owner(&self) -> Owner {
        let state = self.state.lock();
        Owner {
            uid: state.uid,
            gid: state.gid,
            perm: state.perm,
        }
    }

    pub fn description_str(&self) -> &str {
        core::str::from_utf8(&self.description).unwrap_or("")
    }

    /// `key_validate`: invalidated keys are `ENOKEY`, revoked ones `EKEYREVOKED`, expired
    /// ones `EKEYEXPIRED`.
    pub fn validate(&self) -> Result<(), Errno> {
        let state = self.state.lock();
        validate_state(&state)
    }

    /// `wait_for_key_construction` on a key nobody constructs: a negative key's error, else
    /// [`Key::validate`].
    pub fn check_constructed(&self) -> Result<(), Errno> {
        let state = self.state.lock();
        if let Some(error) = state.negative {
            return Err(error);
        }
        validate_state(&state)
    }

    pub fn is_keyring(&self) -> bool {
        self.kind == Kind::Keyring
    }

    /// The keys a keyring links (empty for other keys).
    pub fn links(&self) -> Vec<Arc<Key>> {
        match &self.state.lock().payload {
            Payload::Links(links) => links.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether `caller` may do `need` on this key.
    pub fn permits(&self, caller: &Caller<'_>, is_possessed: bool, need: Need) -> bool {
        perm::permits(&self.owner(), caller, is_possessed, need)
    }
}

fn validate_state(state: &KeyState) -> Result<(), Errno> {
    if state.is_invalidated {
        return Err(Errno::ENOKEY);
    }
    if state.is_revoked {
        return Err(Errno::EKEYREVOKED);
    }
    if state
        .expiry
        .is_some_and(|expiry| crate::time::realtime_ns() / 1_000_000_000 >= expiry as u64)
    {
        return Err(Errno::EKEYEXPIRED);
    }
    Ok(())
}

impl Drop for Key {
    fn drop(&mut self) {
        KEYS.lock().remove(&self.serial);
        let state = self.state.get_mut();
        if state.is_in_quota || state.charged_bytes != 0 || state.is_instantiated {
            let mut users = USERS.lock();
            if let Some(usage) = users.get_mut(&state.charged_uid) {
                usage.release_key(state.charged_bytes, state.is_instantiated);
            }
        }
    }
}

/// Every key by serial (`key_serial_tree`).
static KEYS: SpinLock<BTreeMap<i32, Weak<Key>>> = SpinLock::new("keys.serial", BTreeMap::new());
/// Per-user quota records (`key_user_tree`).
static USERS: SpinLock<BTreeMap<u32, Usage>> = SpinLock::new("keys.users", BTreeMap::new());
/// `kernel.keys.*` quota limits.
pub static LIMITS: SpinLock<Limits> = SpinLock::new(
    "keys.limits",
    Limits {
        maxkeys: 200,
        maxbytes: 20_000,
        root_maxkeys: 1_000_000,
        root_maxbytes: 25_000_000,
    },
);
/// `kernel.keys.gc_delay` (seconds; there is no delayed collection here, the value is kept
/// for the sysctl).
pub static GC_DELAY: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(300);

/// The live key with `serial` (`key_lookup`): `ENOKEY` if none (or invalidated).
pub fn lookup(serial: i32) -> Result<Arc<Key>, Errno> {
    let key = KEYS
        .lock()
        .get(&serial)
        .and_then(Weak::upgrade)
        .ok_or(Errno::ENOKEY)?;
    if key.state.lock().is_invalidated {
        return Err(Errno::ENOKEY);
    }
    Ok(key)
}

/// What a new key is made with.
pub struct NewKey<'a> {
    pub kind: Kind,
    pub description: &'a [u8],
    pub uid: u32,
    pub gid: u32,
    pub perm: u32,
    /// Kernel-made keyrings may overrun the quota (`KEY_ALLOC_QUOTA_OVERRUN`).
    pub may_overrun: bool,
    pub is_uid_keyring: bool,
}

/// `key_alloc`: checks the description, charges the owner, hands out a serial. The key is
/// not instantiated.
pub fn alloc(new: NewKey<'_>) -> Result<Arc<Key>, Errno> {
    new.kind.vet_description(new.description)?;
    let bytes = keyrules::kind::description_cost(new.description) as u32;
    {
        let limits = *LIMITS.lock();
        let mut users = USERS.lock();
        let usage = users.entry(new.uid).or_default();
        usage.charge_key(new.uid, bytes, &limits, new.may_overrun)?;
    }
    let mut description = Vec::new();
    description
        .try_reserve_exact(new.description.len())
        .map_err(|_| Errno::ENOMEM)?;
    description.extend_from_slice(new.description);
    let mut keys = KEYS.lock();
    // Serials are random positive numbers from 3 up (`key_alloc_serial`).
    let serial = loop {
        let candidate = (crate::random::u64() as u32 & 0x7fff_ffff) as i32;
        if candidate >= 3 && !keys.contains_key(&candidate) {
            break candidate;
        }
    };
    let key = Arc::new(Key {
        serial,
        kind: new.kind,
        description,
        is_uid_keyring: new.is_uid_keyring,
        state: SpinLock::new(
            "keys.key",
            KeyState {
                uid: new.uid,
                gid: new.gid,
                perm: new.perm,
                payload: Payload::None,
                is_instantiated: false,
                negative: None,
                is_revoked: false,
                is_invalidated: false,
                expiry: None,
                is_restricted: false,
                charged_bytes: bytes,
                is_in_quota: true,
                charged_uid: new.uid,
            },
        ),
    });
    keys.insert(serial, Arc::downgrade(&key));
    Ok(key)
}

/// `key_payload_reserve` + instantiation: gives `key` its payload (`preparse`d by its type).
pub fn instantiate(key: &Key, data: &[u8]) -> Result<(), Errno> {
    let cost = key.kind.preparse(data.len())? as u32;
    let payload = if key.is_keyring() {
        Payload::Links(Vec::new())
    } else {
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(data.len())
            .map_err(|_| Errno::ENOMEM)?;
        bytes.extend_from_slice(data);
        Payload::Data(bytes)
    };
    let mut state = key.state.lock();
    reserve(&mut state, cost)?;
    state.payload = payload;
    let was_instantiated = state.is_instantiated;
    state.is_instantiated = true;
    state.negative = None;
    drop(state);
    if !was_instantiated {
        let uid = key.state.lock().charged_uid;
        if let Some(usage) = USERS.lock().get_mut(&uid) {
            usage.nikeys += 1;
        }
    }
    Ok(())
}

/// Recharges the payload part of `state`'s quota to `cost` bytes.
fn reserve(state: &mut KeyState, cost: u32) -> Result<(), Errno> {
    let description_bytes = state.charged_bytes.saturating_sub(payload_charge(state));
    let old = state.charged_bytes - description_bytes;
    let limits = *LIMITS.lock();
    let mut users = USERS.lock();
    let usage = users.entry(state.charged_uid).or_default();
    usage.resize(state.charged_uid, old, cost, &limits, !state.is_in_quota)?;
    state.charged_bytes = description_bytes + cost;
    Ok(())
}

fn payload_charge(state: &KeyState) -> u32 {
    match &state.payload {
        Payload::Data(bytes) => bytes.len().min(u32::MAX as usize) as u32,
        _ => 0,
    }
}

/// `__key_update` / `key_update` on an instantiated (or negative) key: `EOPNOTSUPP` for types
/// without update, `preparse` errors, `EDQUOT`. Updating a negative key makes it positive.
pub fn update(key: &Key, data: &[u8]) -> Result<(), Errno> {
    if !key.kind.is_updatable() {
        return Err(Errno::EOPNOTSUPP);
    }
    instantiate(key, data)
}

/// `key_reject_and_link`'s negation: `key` becomes negative with `error` for `timeout_secs`.
pub fn negate(key: &Key, error: Errno, timeout_secs: u64) {
    let mut state = key.state.lock();
    state.negative = Some(error);
    state.is_instantiated = true;
    state.expiry = Some(now_secs() + timeout_secs as i64);
    let uid = state.charged_uid;
    drop(state);
    if let Some(usage) = USERS.lock().get_mut(&uid) {
        usage.nikeys += 1;
    }
}

/// `key_revoke`: the key stays but answers `EKEYREVOKED`; a keyring's links go.
pub fn revoke(key: &Key) {
    let dropped = {
        let mut state = key.state.lock();
        state.is_revoked = true;
        // Linux's revoke keeps a user key's payload until it is freed; reads fail anyway.
        if key.is_keyring() {
            core::mem::replace(&mut state.payload, Payload::Links(Vec::new()))
        } else {
            Payload::None
        }
    };
    drop(dropped);
}

/// `key_invalidate`: gone for every lookup and search at once.
pub fn invalidate(key: &Key) {
    key.state.lock().is_invalidated = true;
}

/// CLOCK_REALTIME in seconds.
pub fn now_secs() -> i64 {
    (crate::time::realtime_ns() / 1_000_000_000) as i64
}

/// `key_set_timeout`: expires `timeout` seconds from now (0: never).
pub fn set_timeout(key: &Key, timeout: u32) {
    key.state.lock().expiry = (timeout != 0).then(|| now_secs() + i64::from(timeout));
}

/// `keyctl_chown_key` after its permission checks: moves the quota charge to `uid`
/// (`EDQUOT`) and sets the owner and group (`u32::MAX` leaves one alone).
pub fn chown(key: &Key, uid: u32, gid: u32) -> Result<(), Errno> {
    let mut state = key.state.lock();
    if uid != u32::MAX && uid != state.uid {
        if state.is_in_quota {
            let limits = *LIMITS.lock();
            let mut users = USERS.lock();
            let bytes = state.charged_bytes;
            users
                .entry(uid)
                .or_default()
                .charge_key(uid, bytes, &limits, false)?;
            if state.is_instantiated
                && let Some(usage) = users.get_mut(&uid)
            {
                usage.nikeys += 1;
            }
            if let Some(old) = users.get_mut(&state.charged_uid) {
                old.release_key(bytes, state.is_instantiated);
            }
            state.charged_uid = uid;
        }
        state.uid = uid;
    }
    if gid != u32::MAX {
        state.gid = gid;
    }
    Ok(())
}

/// Whether linking `key` into `keyring` would make a keyring contain itself
/// (`keyring_detect_cycle`), or nest deeper than searches go.
fn would_cycle(keyring: &Arc<Key>, key: &Arc<Key>) -> bool {
    if !key.is_keyring() {
        return false;
    }
    // Search down from `key` for `keyring`.
    let mut level: Vec<Arc<Key>> = alloc::vec![key.clone()];
    for _ in 0..keyrules::MAX_DEPTH {
        let mut next = Vec::new();
        for ring in &level {
            if Arc::ptr_eq(ring, keyring) {
                return true;
            }
            next.extend(ring.links().into_iter().filter(|k| k.is_keyring()));
        }
        if next.is_empty() {
            return false;
        }
        level = next;
    }
    true
}

/// `key_link`: links `key` into `keyring`, replacing a link to a key of the same type and
/// description (`ENOTDIR` for a non-keyring, `EKEYREVOKED`/`EKEYEXPIRED` for a dead keyring,
/// `EPERM` for a restricted one, `EDEADLK` for a cycle).
pub fn link(keyring: &Arc<Key>, key: &Arc<Key>) -> Result<(), Errno> {
    if !keyring.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    keyring.validate()?;
    if keyring.state.lock().is_restricted {
        return Err(Errno::EPERM);
    }
    if would_cycle(keyring, key) {
        return Err(Errno::EDEADLK);
    }
    let replaced = {
        let mut state = keyring.state.lock();
        let Payload::Links(links) = &mut state.payload else {
            return Err(Errno::EKEYREVOKED);
        };
        if let Some(slot) = links.iter_mut().find(|other| {
            Arc::ptr_eq(other, key)
                || (other.kind == key.kind && other.description == key.description)
        }) {
            Some(core::mem::replace(slot, key.clone()))
        } else {
            links.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            links.push(key.clone());
            None
        }
    };
    drop(replaced);
    Ok(())
}

/// `key_unlink`: `ENOENT` if `key` is not linked there.
pub fn unlink(keyring: &Key, key: &Arc<Key>) -> Result<(), Errno> {
    if !keyring.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    let removed = {
        let mut state = keyring.state.lock();
        let Payload::Links(links) = &mut state.payload else {
            return Err(Errno::ENOENT);
        };
        let index = links
            .iter()
            .position(|other| Arc::ptr_eq(other, key))
            .ok_or(Errno::ENOENT)?;
        links.remove(index)
    };
    drop(removed);
    Ok(())
}

/// `keyring_clear`: drops every link (`ENOTDIR` for a non-keyring).
pub fn clear(keyring: &Key) -> Result<(), Errno> {
    if !keyring.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    let old = {
        let mut state = keyring.state.lock();
        match &mut state.payload {
            Payload::Links(links) => core::mem::take(links),
            _ => Vec::new(),
        }
    };
    drop(old);
    Ok(())
}

/// What a search looks for (`keyring_search_context`).
pub struct Query<'a> {
    pub kind: Kind,
    pub description: &'a [u8],
    /// request_key skips expired keys; KEYCTL_SEARCH reports them.
    pub skip_expired: bool,
}

/// The outcome of searching one tree of keyrings.
pub enum Found {
    Key(Arc<Key>),
    /// Only dead or negative matches: the error to report.
    Error(Errno),
    Nothing,
}

/// `search_nested_keyrings` from `keyring` (which the caller searched with `is_possessed`):
/// the first usable key of the query's type and description that `caller` may search,
/// descending into keyrings it may search, at most [`keyrules::MAX_DEPTH`] deep.
pub fn search(
    keyring: &Arc<Key>,
    query: &Query<'_>,
    caller: &Caller<'_>,
    is_possessed: bool,
) -> Found {
    let mut error = None;
    let mut level: Vec<Arc<Key>> = alloc::vec![keyring.clone()];
    for _ in 0..keyrules::MAX_DEPTH {
        let mut next = Vec::new();
        for ring in &level {
            for key in ring.links() {
                if key.kind == query.kind && key.description == query.description {
                    let state = key.state.lock();
                    if state.is_invalidated {
                        continue;
                    }
                    let owner = Owner {
                        uid: state.uid,
                        gid: state.gid,
                        perm: state.perm,
                    };
                    if !perm::permits(&owner, caller, is_possessed, Need::Search) {
                        error.get_or_insert(Errno::EACCES);
                        continue;
                    }
                    if state.is_revoked {
                        error = Some(Errno::EKEYREVOKED);
                        continue;
                    }
                    let is_expired = state.expiry.is_some_and(|expiry| now_secs() >= expiry);
                    if is_expired {
                        if !query.skip_expired {
                            error = Some(Errno::EKEYEXPIRED);
                        }
                        continue;
                    }
                    if let Some(reject) = state.negative {
                        return Found::Error(reject);
                    }
                    drop(state);
                    return Found::Key(key);
                }
                if key.is_keyring()
                    && key.validate().is_ok()
                    && key.permits(caller, is_possessed, Need::Search)
                {
                    next.push(key);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    match error {
        Some(error) => Found::Error(error),
        None => Found::Nothing,
    }
}

/// Whether `target` can be reached from `keyring` (searched with possession), itself
/// included: the possession test of `lookup_user_key`.
pub fn reaches(keyring: &Arc<Key>, target: &Arc<Key>, caller: &Caller<'_>) -> bool {
    if Arc::ptr_eq(keyring, target) {
        return true;
    }
    if !keyring.permits(caller, true, Need::Search) {
        return false;
    }
    let mut level: Vec<Arc<Key>> = alloc::vec![keyring.clone()];
    for _ in 0..keyrules::MAX_DEPTH {
        let mut next = Vec::new();
        for ring in &level {
            for key in ring.links() {
                if Arc::ptr_eq(&key, target) {
                    return key.permits(caller, true, Need::Search);
                }
                if key.is_keyring() && key.permits(caller, true, Need::Search) {
                    next.push(key);
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        level = next;
    }
    false
}

/// The live, searchable keyring named `name` that is not a user keyring
/// (`find_keyring_by_name`), for joining a named session keyring.
pub fn find_keyring_by_name(name: &[u8], caller: &Caller<'_>) -> Option<Arc<Key>> {
    let candidates: Vec<Arc<Key>> = KEYS.lock().values().filter_map(Weak::upgrade).collect();
    candidates.into_iter().find(|key| {
        key.is_keyring()
            && !key.is_uid_keyring
            && key.description == name
            && key.validate().is_ok()
            && key.permits(caller, false, Need::Search)
    })
}

/// Every live key, by serial (for /proc/keys).
pub fn all_keys() -> Vec<Arc<Key>> {
    KEYS.lock().values().filter_map(Weak::upgrade).collect()
}

/// Every user's quota record (for /proc/key-users).
pub fn all_users() -> Vec<(u32, Usage)> {
    USERS
        .lock()
        .iter()
        .filter(|(_, usage)| usage.nkeys != 0)
        .map(|(uid, usage)| (*uid, *usage))
        .collect()
}

/// The `/proc/keys` state flags of a key.
pub fn proc_flags(key: &Key) -> keyrules::proc::Flags {
    let state = key.state.lock();
    keyrules::proc::Flags {
        is_instantiated: state.is_instantiated,
        is_revoked: state.is_revoked,
        is_dead: false,
        is_in_quota: state.is_in_quota,
        is_under_construction: false,
        is_negative: state.negative.is_some(),
        is_invalidated: state.is_invalidated,
    }
}

/// The text a key's type shows after its header in /proc/keys (`describe`).
pub fn proc_describe(key: &Key) -> alloc::string::String {
    let state = key.state.lock();
    let is_positive = state.is_instantiated && state.negative.is_none();
    match &state.payload {
        Payload::Links(links) if is_positive => {
            keyrules::proc::describe_keyring(key.description_str(), Some(links.len()))
        }
        Payload::Data(bytes) if is_positive => {
            keyrules::proc::describe_payload(key.description_str(), Some(bytes.len()))
        }
        _ => keyrules::proc::describe_payload(key.description_str(), None),
    }
}

/// The bytes `KEYCTL_READ` returns: a user-like key's payload, or a keyring's serials.
pub fn read_payload(key: &Key) -> Result<Vec<u8>, Errno> {
    let state = key.state.lock();
    validate_state(&state)?;
    let mut out = Vec::new();
    match &state.payload {
        Payload::Data(bytes) => {
            out.try_reserve_exact(bytes.len())
                .map_err(|_| Errno::ENOMEM)?;
            out.extend_from_slice(bytes);
        }
        Payload::Links(links) => {
            out.try_reserve_exact(links.len() * 4)
                .map_err(|_| Errno::ENOMEM)?;
            for link in links {
                if link.state.lock().is_invalidated {
                    continue;
                }
                out.extend_from_slice(&link.serial.to_ne_bytes());
            }
        }
        Payload::None => {}
    }
    Ok(out)
}

/// How an unset uid or gid shows (`from_kgid_munged`: the overflow id 65534).
pub fn munge_gid(gid: u32) -> u32 {
    if gid == u32::MAX { 65534 } else { gid }
}
