//! UTS namespaces (Linux's `struct uts_namespace`, `kernel/utsname.c`): the host name
//! (`uname -n`, sethostname) and the NIS domain name (setdomainname) of each namespace. Both
//! start as `(none)` in the initial one, as Linux's `UTS_NODENAME`/`UTS_DOMAINNAME` defaults,
//! and hold at most 64 bytes (`__NEW_UTS_LEN`), kept as given: a name set with a NUL inside
//! keeps the bytes after it, as Linux's `memcpy` does. A new namespace (`CLONE_NEWUTS`) starts
//! with a copy of its creator's names (`copy_utsname`) and is owned by the creator's user
//! namespace, in which sethostname needs `CAP_SYS_ADMIN`.

use crate::ns::{NsCommon, user::UserNs};
use abi::Errno;
use alloc::sync::Arc;
use hal::sync::SpinLock;

/// `__NEW_UTS_LEN`.
pub const NEW_UTS_LEN: usize = 64;

/// A name field as `struct new_utsname` has it: 64 bytes and a NUL.
pub type UtsField = [u8; NEW_UTS_LEN + 1];

const fn field(value: &[u8]) -> UtsField {
    let mut out = [0u8; NEW_UTS_LEN + 1];
    let mut i = 0;
    while i < value.len() && i < NEW_UTS_LEN {
        out[i] = value[i];
        i += 1;
    }
    out
}

#[derive(Clone, Copy)]
struct Names {
    nodename: UtsField,
    domainname: UtsField,
}

/// One UTS namespace.
pub struct UtsNs {
    pub common: NsCommon,
    /// The user namespace that owns it (whose `CAP_SYS_ADMIN` changes the names).
    pub owner: Arc<UserNs>,
    names: SpinLock<Names>,
}

impl UtsNs {
    /// The initial namespace.
    pub fn initial(owner: Arc<UserNs>) -> Result<Arc<UtsNs>, Errno> {
        Ok(Arc::new(UtsNs {
            common: NsCommon::initial(crate::ns::PROC_UTS_INIT_INO),
            owner,
            names: SpinLock::new(
                "uts.names",
                Names {
                    nodename: field(b"(none)"),
                    domainname: field(b"(none)"),
                },
            ),
        }))
    }

    /// A copy of this namespace owned by `owner` (`clone_uts_ns`).
    pub fn copy(&self, owner: Arc<UserNs>) -> Result<Arc<UtsNs>, Errno> {
        let names = *self.names.lock();
        Ok(Arc::new(UtsNs {
            common: NsCommon::try_new()?,
            owner,
            names: SpinLock::new("uts.names", names),
        }))
    }

    /// The host name field.
    pub fn nodename(&self) -> UtsField {
        self.names.lock().nodename
    }

    /// The domain name field.
    pub fn domainname(&self) -> UtsField {
        self.names.lock().domainname
    }

    /// Sets the host name to `name` (at most [`NEW_UTS_LEN`] bytes; the caller checked).
    pub fn set_nodename(&self, name: &[u8]) {
        self.names.lock().nodename = field(name);
    }

    /// Sets the domain name to `name` (at most [`NEW_UTS_LEN`] bytes; the caller checked).
    pub fn set_domainname(&self, name: &[u8]) {
        self.names.lock().domainname = field(name);
    }
}

/// The calling thread's UTS namespace (the initial one before any thread runs).
pub fn current() -> Arc<UtsNs> {
    match crate::process::try_current() {
        Some(thread) => thread.nsproxy().uts.clone(),
        None => crate::ns::initial().uts.clone(),
    }
}

/// The bytes of a field up to its first NUL.
pub fn as_str_bytes(value: &UtsField) -> &[u8] {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    &value[..end]
}
