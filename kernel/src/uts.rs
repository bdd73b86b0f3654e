//! The UTS names (Linux's `init_uts_ns`, `kernel/utsname.c`): the host name (`uname -n`,
//! sethostname) and the NIS domain name (setdomainname). Both start as `(none)`, as Linux's
//! `UTS_NODENAME`/`UTS_DOMAINNAME` defaults, and hold at most 64 bytes (`__NEW_UTS_LEN`), kept
//! as given: a name set with a NUL inside keeps the bytes after it, as Linux's `memcpy` does.
//! One namespace for the whole system (no `CLONE_NEWUTS` yet).

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

struct Names {
    nodename: UtsField,
    domainname: UtsField,
}

static NAMES: SpinLock<Names> = SpinLock::new(
    "uts.names",
    Names {
        nodename: field(b"(none)"),
        domainname: field(b"(none)"),
    },
);

/// The host name field.
pub fn nodename() -> UtsField {
    NAMES.lock().nodename
}

/// The domain name field.
pub fn domainname() -> UtsField {
    NAMES.lock().domainname
}

/// Sets the host name to `name` (at most [`NEW_UTS_LEN`] bytes; the caller checked).
pub fn set_nodename(name: &[u8]) {
    NAMES.lock().nodename = field(name);
}

/// Sets the domain name to `name` (at most [`NEW_UTS_LEN`] bytes; the caller checked).
pub fn set_domainname(name: &[u8]) {
    NAMES.lock().domainname = field(name);
}

/// The bytes of a field up to its first NUL.
pub fn as_str_bytes(value: &UtsField) -> &[u8] {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    &value[..end]
}
