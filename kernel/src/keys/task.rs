//! A task's keyrings and the lookup of key ids (Linux `security/keys/process_keys.c`).
//!
//! Each thread has a thread keyring, a process keyring, a session keyring and a request-key
//! default, as Linux keeps them in its credentials: a new thread shares the process and
//! session keyrings (and gets a new thread keyring if its creator had one), a forked child
//! keeps only the session keyring, exec drops the thread and process keyrings. Each user has a
//! user keyring (`_uid.N`) and a user-session keyring (`_uid_ses.N`, which links the first),
//! made on first use; a task without a session keyring searches the user-session keyring and
//! adopts it as its session keyring when it names `KEY_SPEC_SESSION_KEYRING`.

use super::{Found, Key, NewKey, Query};
use crate::process::Thread;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use keyrules::ids;
use keyrules::kind::Kind;
use keyrules::perm::{self, Caller, Need};

/// One thread's keyrings (the keyring fields of Linux's `struct cred`).
#[derive(Clone, Default)]
pub struct TaskKeys {
    pub thread: Option<Arc<Key>>,
    pub process: Option<Arc<Key>>,
    pub session: Option<Arc<Key>>,
    /// `KEY_REQKEY_DEFL_*` (`jit_keyring`).
    pub reqkey_default: i32,
}

impl TaskKeys {
    /// What a new thread (`is_thread`) or process gets (`copy_creds`).
    pub fn for_clone(&self, is_thread: bool) -> TaskKeys {
        TaskKeys {
            thread: None,
            process: if is_thread {
                self.process.clone()
            } else {
                None
            },
            session: self.session.clone(),
            reqkey_default: self.reqkey_default,
        }
    }

    /// exec drops the thread and process keyrings (`install_exec_creds`).
    pub fn exec(&mut self) {
        self.thread = None;
        self.process = None;
    }
}

/// `copy_creds`: the keyrings of a child of `parent`; a new thread of a parent with a thread
/// keyring gets a new one of its own.
pub fn keys_for_child(parent: &Thread, is_thread: bool) -> TaskKeys {
    let keys = parent.keys.lock().for_clone(is_thread);
    let had_thread_keyring = parent.keys.lock().thread.is_some();
    if is_thread && had_thread_keyring {
        let creds = Creds::of(parent);
        let mut keys = keys;
        keys.thread = new_keyring(b"_tid", &creds, perm::THREAD_KEYRING, true).ok();
        return keys;
    }
    keys
}

/// What key checks need of a task's credentials.
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub fsuid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
    pub is_admin: bool,
}

impl Creds {
    pub fn of(thread: &Thread) -> Creds {
        let credentials = thread.process.credentials.lock();
        Creds {
            uid: credentials.uid,
            gid: credentials.gid,
            fsuid: credentials.fsuid,
            fsgid: credentials.fsgid,
            groups: credentials.groups.clone(),
            is_admin: credentials.has_capability(abi::capability::CAP_SYS_ADMIN),
        }
    }

    pub fn caller(&self) -> Caller<'_> {
        Caller {
            fsuid: self.fsuid,
            fsgid: self.fsgid,
            groups: &self.groups,
        }
    }

    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.contains(&gid)
    }
}

/// A new, empty keyring owned by the task's real ids (`keyring_alloc`).
pub fn new_keyring(
    name: &[u8],
    creds: &Creds,
    perm: u32,
    may_overrun: bool,
) -> Result<Arc<Key>, Errno> {
    let key = super::alloc(NewKey {
        kind: Kind::Keyring,
        description: name,
        uid: creds.uid,
        gid: creds.gid,
        perm,
        may_overrun,
        is_uid_keyring: false,
    })?;
    super::instantiate(&key, &[])?;
    Ok(key)
}

/// Each user's user and user-session keyrings (the user namespace's register).
/// A user's user keyring and user-session keyring.
type UserKeyrings = (Arc<Key>, Arc<Key>);

static USER_KEYRINGS: SpinLock<BTreeMap<u32, UserKeyrings>> =
    SpinLock::new("keys.user_keyrings", BTreeMap::new());

/// `look_up_user_keyrings`: the user keyring and user-session keyring of `uid`, made on first
/// use (the session one links the other).
pub fn user_keyrings(uid: u32) -> Result<(Arc<Key>, Arc<Key>), Errno> {
    if let Some(pair) = USER_KEYRINGS.lock().get(&uid) {
        return Ok(pair.clone());
    }
    let make = |name: &[u8]| -> Result<Arc<Key>, Errno> {
        let key = super::alloc(NewKey {
            kind: Kind::Keyring,
            description: name,
            uid,
            gid: u32::MAX,
            perm: perm::USER_KEYRING,
            may_overrun: false,
            is_uid_keyring: true,
        })?;
        super::instantiate(&key, &[])?;
        Ok(key)
    };
    let user = make(alloc::format!("_uid.{uid}").as_bytes())?;
    let session = make(alloc::format!("_uid_ses.{uid}").as_bytes())?;
    super::link(&session, &user)?;
    let mut table = USER_KEYRINGS.lock();
    Ok(table.entry(uid).or_insert((user, session)).clone())
}

/// The keyrings a task searches, in Linux's order: thread, process, session (or, without one,
/// the user-session keyring).
pub fn search_roots(thread: &Thread, creds: &Creds) -> Vec<Arc<Key>> {
    let keys = thread.keys.lock().clone();
    let mut roots = Vec::new();
    roots.extend(keys.thread);
    roots.extend(keys.process);
    match keys.session {
        Some(session) => roots.push(session),
        None => {
            if let Ok((_, user_session)) = user_keyrings(creds.uid) {
                roots.push(user_session);
            }
        }
    }
    roots
}

/// Whether the task possesses `key`: it is, or is reachable from, one of its keyrings.
pub fn is_possessed(thread: &Thread, creds: &Creds, key: &Arc<Key>) -> bool {
    search_roots(thread, creds)
        .iter()
        .any(|root| super::reaches(root, key, &creds.caller()))
}

/// `search_process_keyrings_rcu`: the task's keyrings searched in order.
pub fn search_task(thread: &Thread, creds: &Creds, query: &Query<'_>) -> Found {
    let mut error = None;
    for root in search_roots(thread, creds) {
        if !root.permits(&creds.caller(), true, Need::Search) {
            continue;
        }
        match super::search(&root, query, &creds.caller(), true) {
            Found::Key(key) => return Found::Key(key),
            Found::Error(e) => {
                error.get_or_insert(e);
            }
            Found::Nothing => {}
        }
    }
    match error {
        Some(e) => Found::Error(e),
        None => Found::Nothing,
    }
}

/// The thread keyring, made if asked (`install_thread_keyring`).
pub fn thread_keyring(thread: &Thread, create: bool) -> Result<Arc<Key>, Errno> {
    if let Some(keyring) = thread.keys.lock().thread.clone() {
        return Ok(keyring);
    }
    if !create {
        return Err(Errno::ENOKEY);
    }
    let keyring = new_keyring(b"_tid", &Creds::of(thread), perm::THREAD_KEYRING, true)?;
    Ok(thread.keys.lock().thread.get_or_insert(keyring).clone())
}

/// The process keyring, made if asked (`install_process_keyring`).
pub fn process_keyring(thread: &Thread, create: bool) -> Result<Arc<Key>, Errno> {
    if let Some(keyring) = thread.keys.lock().process.clone() {
        return Ok(keyring);
    }
    if !create {
        return Err(Errno::ENOKEY);
    }
    let keyring = new_keyring(b"_pid", &Creds::of(thread), perm::THREAD_KEYRING, true)?;
    Ok(thread.keys.lock().process.get_or_insert(keyring).clone())
}

/// The session keyring; without one, `create` joins a new anonymous session, otherwise the
/// user-session keyring becomes the session keyring.
pub fn session_keyring(thread: &Thread, create: bool) -> Result<Arc<Key>, Errno> {
    if let Some(keyring) = thread.keys.lock().session.clone() {
        return Ok(keyring);
    }
    let creds = Creds::of(thread);
    let keyring = if create {
        new_keyring(b"_ses", &creds, perm::SESSION_KEYRING, true)?
    } else {
        user_keyrings(creds.uid)?.1
    };
    Ok(thread.keys.lock().session.get_or_insert(keyring).clone())
}

/// How [`lookup_user_key`] treats the key's state.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Must be constructed and valid (`0`).
    Complete,
    /// May be negative or under construction: only `key_validate` (`KEY_LOOKUP_PARTIAL`).
    Partial,
}

/// `lookup_user_key`: the key named by `id` (a serial or a `KEY_SPEC_*`), whether the task
/// possesses it, after the state checks of `mode` and the permission check of `need`
/// (`Need::Nothing`: neither, as for unlink and deferred checks).
pub fn lookup_user_key(
    thread: &Thread,
    id: i32,
    create: bool,
    mode: Lookup,
    need: Need,
) -> Result<(Arc<Key>, bool), Errno> {
    let creds = Creds::of(thread);
    let (key, is_possessed) = match id {
        ids::SPEC_THREAD_KEYRING => (thread_keyring(thread, create)?, true),
        ids::SPEC_PROCESS_KEYRING => (process_keyring(thread, create)?, true),
        ids::SPEC_SESSION_KEYRING => (session_keyring(thread, create)?, true),
        ids::SPEC_USER_KEYRING => (user_keyrings(creds.uid)?.0, true),
        ids::SPEC_USER_SESSION_KEYRING => (user_keyrings(creds.uid)?.1, true),
        ids::SPEC_REQKEY_AUTH_KEY | ids::SPEC_REQUESTOR_KEYRING => return Err(Errno::ENOKEY),
        id if id < 1 => return Err(Errno::EINVAL),
        id => {
            let key = super::lookup(id)?;
            let is_possessed = is_possessed(thread, &creds, &key);
            (key, is_possessed)
        }
    };
    if need != Need::Nothing {
        match mode {
            Lookup::Complete => key.check_constructed()?,
            Lookup::Partial => key.validate()?,
        }
    }
    if !key.permits(&creds.caller(), is_possessed, need) {
        return Err(Errno::EACCES);
    }
    Ok((key, is_possessed))
}

/// `join_session_keyring`: a new anonymous session keyring (`name` None), or the keyring
/// named `name` (made if there is none); returns it.
pub fn join_session(thread: &Thread, name: Option<&[u8]>) -> Result<Arc<Key>, Errno> {
    let creds = Creds::of(thread);
    let keyring = match name {
        None => {
            let may_overrun = thread.keys.lock().session.is_none();
            new_keyring(b"_ses", &creds, perm::SESSION_KEYRING, may_overrun)?
        }
        Some(name) => match super::find_keyring_by_name(name, &creds.caller()) {
            Some(keyring) => keyring,
            None => new_keyring(name, &creds, perm::JOINED_SESSION_KEYRING, false)?,
        },
    };
    thread.keys.lock().session = Some(keyring.clone());
    Ok(keyring)
}

/// `construct_get_dest_keyring`: where request_key links a key it makes when no destination
/// was given, by the task's request-key default.
pub fn default_destination(thread: &Thread) -> Result<Option<Arc<Key>>, Errno> {
    let creds = Creds::of(thread);
    let default = thread.keys.lock().reqkey_default;
    let keys = thread.keys.lock().clone();
    let session_or_user_session = || -> Result<Option<Arc<Key>>, Errno> {
        match keys.session.clone() {
            Some(session) => Ok(Some(session)),
            None => Ok(Some(user_keyrings(creds.uid)?.1)),
        }
    };
    match default {
        ids::REQKEY_THREAD => match keys.thread.clone().or(keys.process.clone()) {
            Some(keyring) => Ok(Some(keyring)),
            None => session_or_user_session(),
        },
        ids::REQKEY_PROCESS => match keys.process.clone() {
            Some(keyring) => Ok(Some(keyring)),
            None => session_or_user_session(),
        },
        ids::REQKEY_SESSION => session_or_user_session(),
        ids::REQKEY_USER_SESSION => Ok(Some(user_keyrings(creds.uid)?.1)),
        ids::REQKEY_USER => Ok(Some(user_keyrings(creds.uid)?.0)),
        // DEFAULT (and REQUESTOR, with no requestor): thread, process, session in turn.
        _ => {
            if let Some(keyring) = keys.thread.clone().or(keys.process.clone()) {
                return Ok(Some(keyring));
            }
            session_or_user_session()
        }
    }
}
