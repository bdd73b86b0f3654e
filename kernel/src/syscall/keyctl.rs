//! add_key, request_key, keyctl (Linux 6.1 `security/keys/keyctl.c`, `key.c`,
//! `request_key.c`); keys and keyrings are in [`crate::keys`], their rules in `keyrules`.
//!
//! Argument errors come in Linux's order: the type name (`EFAULT`; `EINVAL` if empty or 32
//! bytes or more; `EPERM` if it starts with a dot), the description (`EFAULT`, `EINVAL` past
//! 4095 bytes), the payload (`EINVAL` past a megabyte, `EFAULT`), then the keyring
//! (`lookup_user_key`'s `EINVAL`, `ENOKEY`, `EKEYREVOKED`, `EKEYEXPIRED`, `EACCES`), then the
//! type (`ENODEV` from add_key, `ENOKEY` from searches) and its payload rules (`EINVAL`).
//!
//! request_key searches the caller's keyrings; when nothing is found and call-out information
//! was given, it makes a key under construction in the destination keyring and runs the
//! upcall, which fails as on a system without `/sbin/request-key`: the key is negated for 60
//! seconds (`ENOKEY` to later lookups) and the call answers `ENOENT`. No task ever holds
//! instantiation authority, so `KEYCTL_INSTANTIATE`, `INSTANTIATE_IOV`, `NEGATE` and
//! `REJECT` answer `EPERM` after their argument checks, and `ASSUME_AUTHORITY` `ENOKEY`.
//! Commands for features Ferrux does not have answer `EOPNOTSUPP`, as Linux does when they
//! are configured out: persistent keyrings, Diffie-Hellman, public-key operations and key
//! notifications.

use super::{SyscallContext, SyscallResult};
use crate::keys::task::{self, Creds, Lookup, lookup_user_key};
use crate::keys::{self, Found, Key, NewKey, Query};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use keyrules::ids;
use keyrules::kind::Kind;
use keyrules::perm::{self, Need};

/// `key_get_type_from_user`.
fn read_type(address: u64) -> Result<Vec<u8>, Errno> {
    let name =
        hal::usercopy::read_user_cstr(address, keyrules::TYPE_NAME_SIZE - 1).map_err(|error| {
            match error {
                Errno::ENAMETOOLONG => Errno::EINVAL,
                other => other,
            }
        })?;
    if name.is_empty() {
        return Err(Errno::EINVAL);
    }
    if name[0] == b'.' {
        return Err(Errno::EPERM);
    }
    Ok(name)
}

/// `strndup_user(address, max)`: `EINVAL` for a string of `max` bytes or more.
fn read_string(address: u64, max: usize) -> Result<Vec<u8>, Errno> {
    hal::usercopy::read_user_cstr(address, max - 1).map_err(|error| match error {
        Errno::ENAMETOOLONG => Errno::EINVAL,
        other => other,
    })
}

/// A payload of `len` bytes at `address` (`EINVAL` past a megabyte, `EFAULT`).
fn read_payload(address: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len > keyrules::MAX_PAYLOAD {
        return Err(Errno::EINVAL);
    }
    let mut payload = Vec::new();
    if len > 0 {
        hal::mm::heap::user_data(|| payload.try_reserve_exact(len)).map_err(|_| Errno::ENOMEM)?;
        payload.resize(len, 0);
        hal::usercopy::copy_from_user(&mut payload, address)?;
    }
    Ok(payload)
}

pub fn add_key(
    context: &mut SyscallContext<'_>,
    type_name: u64,
    description: u64,
    payload: u64,
    plen: usize,
    ringid: i32,
) -> SyscallResult {
    if plen > keyrules::MAX_PAYLOAD {
        return Err(Errno::EINVAL);
    }
    let type_name = read_type(type_name)?;
    let description = if description != 0 {
        let text = read_string(description, keyrules::MAX_DESC_SIZE)?;
        if text.first() == Some(&b'.') && type_name.starts_with(b"keyring") {
            return Err(Errno::EPERM);
        }
        (!text.is_empty()).then_some(text)
    } else {
        None
    };
    let payload = read_payload(payload, plen)?;
    let thread = context.thread;
    let (keyring, is_possessed) =
        lookup_user_key(thread, ringid, true, Lookup::Complete, Need::Write)?;
    let kind = Kind::from_name(&type_name).ok_or(Errno::ENODEV)?;
    if !keyring.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    kind.preparse(payload.len())?;
    let description = description.ok_or(Errno::EINVAL)?;
    let creds = Creds::of(thread);
    // An updatable type updates a key of the same description in that keyring.
    if kind.is_updatable()
        && let Some(existing) = keyring.links().into_iter().find(|key| {
            key.kind == kind && key.description == description && {
                let state = key.state();
                !state.is_revoked && !state.is_invalidated
            }
        })
    {
        if !existing.permits(&creds.caller(), is_possessed, Need::Write) {
            return Err(Errno::EACCES);
        }
        keys::update(&existing, &payload)?;
        return Ok(existing.serial as usize);
    }
    let key = keys::alloc(NewKey {
        kind,
        description: &description,
        uid: creds.fsuid,
        gid: creds.fsgid,
        perm: perm::default_for(
            kind.is_readable(),
            kind.is_updatable() || kind == Kind::Keyring,
        ),
        may_overrun: false,
        is_uid_keyring: false,
    })?;
    keys::instantiate(&key, &payload)?;
    keys::link(&keyring, &key)?;
    Ok(key.serial as usize)
}

pub fn request_key(
    context: &mut SyscallContext<'_>,
    type_name: u64,
    description: u64,
    callout: u64,
    destringid: i32,
) -> SyscallResult {
    let type_name = read_type(type_name)?;
    let description = read_string(description, keyrules::MAX_DESC_SIZE)?;
    let callout = if callout != 0 {
        Some(read_string(callout, 4096)?)
    } else {
        None
    };
    let thread = context.thread;
    let destination = if destringid != 0 {
        Some(lookup_user_key(thread, destringid, true, Lookup::Complete, Need::Write)?.0)
    } else {
        None
    };
    let kind = Kind::from_name(&type_name).ok_or(Errno::ENOKEY)?;
    let creds = Creds::of(thread);
    let query = Query {
        kind,
        description: &description,
        skip_expired: true,
    };
    match task::search_task(thread, &creds, &query) {
        Found::Key(key) => {
            if let Some(destination) = &destination {
                let is_possessed = task::is_possessed(thread, &creds, &key);
                if !key.permits(&creds.caller(), is_possessed, Need::Link) {
                    return Err(Errno::EACCES);
                }
                keys::link(destination, &key)?;
            }
            Ok(key.serial as usize)
        }
        Found::Error(error) => Err(error),
        Found::Nothing => {
            if callout.is_none() {
                return Err(Errno::ENOKEY);
            }
            construct(thread, &creds, kind, &description, destination)
        }
    }
}

/// `construct_key_and_link` with an upcall that cannot run: the key is made, linked, negated,
/// and the call fails as `call_usermodehelper` does for a missing `/sbin/request-key`.
fn construct(
    thread: &crate::process::Thread,
    creds: &Creds,
    kind: Kind,
    description: &[u8],
    destination: Option<Arc<Key>>,
) -> SyscallResult {
    if kind == Kind::Keyring {
        return Err(Errno::EPERM);
    }
    let destination = match destination {
        Some(destination) => Some(destination),
        None => task::default_destination(thread)?,
    };
    if let Some(destination) = &destination
        && !destination.permits(&creds.caller(), true, Need::Write)
    {
        return Err(Errno::EACCES);
    }
    let key = keys::alloc(NewKey {
        kind,
        description,
        uid: creds.fsuid,
        gid: creds.fsgid,
        perm: perm::default_for(kind.is_readable(), kind.is_updatable()),
        may_overrun: false,
        is_uid_keyring: false,
    })?;
    if let Some(destination) = &destination {
        keys::link(destination, &key)?;
    }
    keys::negate(&key, Errno::ENOKEY, keyrules::NEGATIVE_TIMEOUT_SECS);
    Err(Errno::ENOENT)
}

pub fn keyctl(
    context: &mut SyscallContext<'_>,
    command: i32,
    arg2: u64,
    arg3: u64,
    arg4: u64,
    arg5: u64,
) -> SyscallResult {
    let thread = context.thread;
    let id = arg2 as i32;
    match command {
        ids::GET_KEYRING_ID => {
            let (key, _) = lookup_user_key(thread, id, arg3 != 0, Lookup::Complete, Need::Search)?;
            Ok(key.serial as usize)
        }
        ids::JOIN_SESSION_KEYRING => {
            let name = if arg2 != 0 {
                let name = read_string(arg2, keyrules::MAX_DESC_SIZE)?;
                if name.first() == Some(&b'.') {
                    return Err(Errno::EPERM);
                }
                Some(name)
            } else {
                None
            };
            Ok(task::join_session(thread, name.as_deref())?.serial as usize)
        }
        ids::UPDATE => {
            let payload = read_payload(arg3, arg4 as usize)?;
            let (key, _) = lookup_user_key(thread, id, false, Lookup::Complete, Need::Write)?;
            if !key.kind.is_updatable() {
                return Err(Errno::EOPNOTSUPP);
            }
            key.kind.preparse(payload.len())?;
            keys::update(&key, &payload)?;
            Ok(0)
        }
        ids::REVOKE => {
            let key = match lookup_user_key(thread, id, false, Lookup::Complete, Need::Write) {
                Err(Errno::EACCES) => {
                    lookup_user_key(thread, id, false, Lookup::Complete, Need::SetAttr)?.0
                }
                other => other?.0,
            };
            keys::revoke(&key);
            Ok(0)
        }
        ids::CHOWN => {
            let (key, _) = lookup_user_key(thread, id, true, Lookup::Partial, Need::SetAttr)?;
            let (uid, gid) = (arg3 as u32, arg4 as u32);
            let creds = Creds::of(thread);
            let state_uid = key.owner().uid;
            let state_gid = key.owner().gid;
            if !creds.is_admin {
                if uid != u32::MAX && uid != state_uid {
                    return Err(Errno::EACCES);
                }
                if gid != u32::MAX && gid != state_gid && !creds.in_group(gid) {
                    return Err(Errno::EACCES);
                }
            }
            keys::chown(&key, uid, gid)?;
            Ok(0)
        }
        ids::SETPERM => {
            let new_perm = arg3 as u32;
            if new_perm & !perm::VALID != 0 {
                return Err(Errno::EINVAL);
            }
            let (key, _) = lookup_user_key(thread, id, true, Lookup::Partial, Need::SetAttr)?;
            let creds = Creds::of(thread);
            if !creds.is_admin && key.owner().uid != creds.fsuid {
                return Err(Errno::EACCES);
            }
            key.state().perm = new_perm;
            Ok(0)
        }
        ids::DESCRIBE => {
            let (key, _) = lookup_user_key(thread, id, true, Lookup::Partial, Need::View)?;
            let owner = key.owner();
            let text = keyrules::proc::describe(
                key.kind.name(),
                owner.uid,
                keys::munge_gid(owner.gid),
                owner.perm,
                &key.description,
            );
            if arg3 != 0 && arg4 as usize >= text.len() {
                hal::usercopy::copy_to_user(arg3, &text)?;
            }
            Ok(text.len())
        }
        ids::CLEAR => {
            let (keyring, _) = lookup_user_key(thread, id, true, Lookup::Complete, Need::Write)?;
            keys::clear(&keyring)?;
            Ok(0)
        }
        ids::LINK => {
            let (keyring, _) =
                lookup_user_key(thread, arg3 as i32, true, Lookup::Complete, Need::Write)?;
            let (key, _) = lookup_user_key(thread, id, false, Lookup::Partial, Need::Link)?;
            keys::link(&keyring, &key)?;
            Ok(0)
        }
        ids::UNLINK => {
            let (keyring, _) =
                lookup_user_key(thread, arg3 as i32, false, Lookup::Complete, Need::Write)?;
            let (key, _) = lookup_user_key(thread, id, false, Lookup::Partial, Need::Nothing)?;
            keys::unlink(&keyring, &key)?;
            Ok(0)
        }
        ids::SEARCH => search(thread, id, arg3, arg4, arg5 as i32),
        ids::READ => read(thread, id, arg3, arg4 as usize),
        ids::INSTANTIATE | ids::INSTANTIATE_IOV => {
            let len = if command == ids::INSTANTIATE {
                arg4 as usize
            } else {
                0
            };
            if len > keyrules::MAX_PAYLOAD {
                return Err(Errno::EINVAL);
            }
            // The caller holds no instantiation authority (no upcall ever runs).
            Err(Errno::EPERM)
        }
        ids::NEGATE => Err(Errno::EPERM),
        ids::REJECT => {
            let error = arg4;
            if error == 0 || error >= 4095 || matches!(error, 512 | 513 | 514 | 516) {
                return Err(Errno::EINVAL);
            }
            Err(Errno::EPERM)
        }
        ids::ASSUME_AUTHORITY => match id {
            0 => Ok(0),
            id if id < 0 => Err(Errno::EINVAL),
            _ => Err(Errno::ENOKEY),
        },
        ids::SET_REQKEY_KEYRING => set_reqkey_keyring(thread, id),
        ids::SET_TIMEOUT => {
            let (key, _) = lookup_user_key(thread, id, true, Lookup::Partial, Need::SetAttr)?;
            keys::set_timeout(&key, arg3 as u32);
            Ok(0)
        }
        ids::GET_SECURITY => {
            lookup_user_key(thread, id, true, Lookup::Partial, Need::View)?;
            // No security module labels keys: an empty string.
            if arg3 != 0 && arg4 > 0 {
                hal::usercopy::copy_to_user(arg3, b"\0")?;
            }
            Ok(1)
        }
        ids::SESSION_TO_PARENT => session_to_parent(thread),
        ids::INVALIDATE => {
            let (key, _) = lookup_user_key(thread, id, false, Lookup::Complete, Need::Search)?;
            keys::invalidate(&key);
            Ok(0)
        }
        ids::RESTRICT_KEYRING => restrict(thread, id, arg3, arg4),
        ids::MOVE => move_key(thread, id, arg3 as i32, arg4 as i32, arg5 as u32),
        ids::CAPABILITIES => {
            let caps = [
                ids::CAPS0_CAPABILITIES
                    | ids::CAPS0_BIG_KEY
                    | ids::CAPS0_INVALIDATE
                    | ids::CAPS0_RESTRICT_KEYRING
                    | ids::CAPS0_MOVE,
                ids::CAPS1_NS_KEYRING_NAME | ids::CAPS1_NS_KEY_TAG,
            ];
            let len = (arg3 as usize).min(caps.len());
            if arg2 != 0 && len > 0 {
                hal::usercopy::copy_to_user(arg2, &caps[..len])?;
            }
            Ok(caps.len())
        }
        // GET_PERSISTENT, DH_COMPUTE, PKEY_*, WATCH_KEY and unknown commands.
        _ => Err(Errno::EOPNOTSUPP),
    }
}

/// `keyctl_keyring_search`.
fn search(
    thread: &Arc<crate::process::Thread>,
    ringid: i32,
    type_name: u64,
    description: u64,
    destringid: i32,
) -> SyscallResult {
    let type_name = read_type(type_name)?;
    let description = read_string(description, keyrules::MAX_DESC_SIZE)?;
    let (keyring, is_possessed) =
        lookup_user_key(thread, ringid, false, Lookup::Complete, Need::Search)?;
    let destination = if destringid != 0 {
        Some(lookup_user_key(thread, destringid, true, Lookup::Complete, Need::Write)?.0)
    } else {
        None
    };
    let kind = Kind::from_name(&type_name).ok_or(Errno::ENOKEY)?;
    if !keyring.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    let creds = Creds::of(thread);
    let query = Query {
        kind,
        description: &description,
        skip_expired: false,
    };
    let key = match keys::search(&keyring, &query, &creds.caller(), is_possessed) {
        Found::Key(key) => key,
        Found::Error(error) => return Err(error),
        Found::Nothing => return Err(Errno::ENOKEY),
    };
    if let Some(destination) = destination {
        if !key.permits(&creds.caller(), is_possessed, Need::Link) {
            return Err(Errno::EACCES);
        }
        keys::link(&destination, &key)?;
    }
    Ok(key.serial as usize)
}

/// `keyctl_read_key`: the whole length is returned; the data is copied only if it all fits.
fn read(thread: &Arc<crate::process::Thread>, id: i32, buffer: u64, len: usize) -> SyscallResult {
    let (key, is_possessed) = lookup_user_key(thread, id, false, Lookup::Complete, Need::Nothing)
        .map_err(|_| Errno::ENOKEY)?;
    if let Some(error) = key.state().negative {
        return Err(error);
    }
    let creds = Creds::of(thread);
    if !key.permits(&creds.caller(), is_possessed, Need::Read) {
        // A key the caller possesses may be read if it may be searched.
        if !is_possessed || !key.permits(&creds.caller(), true, Need::Search) {
            return Err(Errno::EACCES);
        }
    }
    if !key.kind.is_readable() {
        return Err(Errno::EOPNOTSUPP);
    }
    let data = keys::read_payload(&key)?;
    // Nothing is copied unless all of it fits.
    if buffer != 0 && len > 0 && data.len() <= len {
        hal::usercopy::copy_to_user(buffer, &data)?;
    }
    Ok(data.len())
}

/// `keyctl_set_reqkey_keyring`: returns the old default.
fn set_reqkey_keyring(thread: &Arc<crate::process::Thread>, default: i32) -> SyscallResult {
    let old = thread.keys.lock().reqkey_default;
    match default {
        ids::REQKEY_NO_CHANGE => return Ok(old as usize),
        ids::REQKEY_THREAD => {
            task::thread_keyring(thread, true)?;
        }
        ids::REQKEY_PROCESS => {
            task::process_keyring(thread, true)?;
        }
        ids::REQKEY_DEFAULT
        | ids::REQKEY_SESSION
        | ids::REQKEY_USER
        | ids::REQKEY_USER_SESSION
        | ids::REQKEY_REQUESTOR => {}
        _ => return Err(Errno::EINVAL),
    }
    thread.keys.lock().reqkey_default = default;
    Ok(old as usize)
}

/// `keyctl_session_to_parent`: the parent (not init, single-threaded, with the caller's
/// effective ids as all its ids, both session keyrings owned by that uid) takes the caller's
/// session keyring; 0 at once if it has it already.
fn session_to_parent(thread: &Arc<crate::process::Thread>) -> SyscallResult {
    let (session, _) = lookup_user_key(
        thread,
        ids::SPEC_SESSION_KEYRING,
        false,
        Lookup::Complete,
        Need::Link,
    )?;
    let parent = thread.process.parent.lock().upgrade().ok_or(Errno::EPERM)?;
    if parent.pid <= 1 {
        return Err(Errno::EPERM);
    }
    let parent_thread = {
        let threads = parent.threads.lock();
        if threads.len() != 1 {
            return Err(Errno::EPERM);
        }
        threads[0].clone()
    };
    // Nothing to do if they share the session keyring already.
    let parent_session = parent_thread.keys.lock().session.clone();
    if parent_session
        .as_ref()
        .is_some_and(|theirs| Arc::ptr_eq(theirs, &session))
    {
        return Ok(0);
    }
    let mine = thread.process.credentials.lock().clone();
    let theirs = parent.credentials.lock().clone();
    // The parent has the caller's effective ids in all its ids (no set-id parent; no
    // capability overrides this), and both session keyrings belong to that uid.
    let is_same_owner = theirs.uid == mine.euid
        && theirs.euid == mine.euid
        && theirs.suid == mine.euid
        && theirs.gid == mine.egid
        && theirs.egid == mine.egid
        && theirs.sgid == mine.egid;
    let keyrings_owned = parent_session
        .as_ref()
        .is_none_or(|theirs| theirs.owner().uid == mine.euid)
        && session.owner().uid == mine.euid;
    if !is_same_owner || !keyrings_owned {
        return Err(Errno::EPERM);
    }
    parent_thread.keys.lock().session = Some(session);
    Ok(0)
}

/// `keyctl_restrict_keyring`: only "no links at all" (no type) is known; a type's
/// restriction schemes are those of types Ferrux lacks.
fn restrict(
    thread: &Arc<crate::process::Thread>,
    id: i32,
    type_name: u64,
    restriction: u64,
) -> SyscallResult {
    let type_name = if type_name != 0 {
        Some(read_type(type_name)?)
    } else {
        None
    };
    if restriction != 0 {
        if type_name.is_none() {
            return Err(Errno::EINVAL);
        }
        read_string(restriction, 4096)?;
    }
    let (keyring, _) = lookup_user_key(thread, id, false, Lookup::Complete, Need::SetAttr)?;
    if !keyring.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    if let Some(type_name) = type_name {
        // user, logon, keyring and big_key have no restriction schemes (`lookup_restriction`).
        return match Kind::from_name(&type_name) {
            Some(_) => Err(Errno::ENOENT),
            None => Err(Errno::ENOKEY),
        };
    }
    let mut state = keyring.state();
    if state.is_restricted {
        return Err(Errno::EEXIST);
    }
    state.is_restricted = true;
    Ok(0)
}

/// `keyctl_keyring_move`.
fn move_key(
    thread: &Arc<crate::process::Thread>,
    id: i32,
    from: i32,
    to: i32,
    flags: u32,
) -> SyscallResult {
    if flags & !ids::MOVE_EXCL != 0 {
        return Err(Errno::EINVAL);
    }
    let (key, _) = lookup_user_key(thread, id, false, Lookup::Partial, Need::Link)?;
    let (from, _) = lookup_user_key(thread, from, false, Lookup::Complete, Need::Write)?;
    let (to, _) = lookup_user_key(thread, to, true, Lookup::Complete, Need::Write)?;
    if !from.is_keyring() || !to.is_keyring() {
        return Err(Errno::ENOTDIR);
    }
    if Arc::ptr_eq(&from, &to) {
        return Ok(0);
    }
    if !from.links().iter().any(|other| Arc::ptr_eq(other, &key)) {
        return Err(Errno::ENOENT);
    }
    if flags & ids::MOVE_EXCL != 0
        && to
            .links()
            .iter()
            .any(|other| other.kind == key.kind && other.description == key.description)
    {
        return Err(Errno::EEXIST);
    }
    keys::link(&to, &key)?;
    keys::unlink(&from, &key)?;
    Ok(0)
}
