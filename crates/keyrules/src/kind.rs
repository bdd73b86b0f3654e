//! The key types: `user` (`security/keys/user_defined.c`), `logon` (the same, not readable,
//! descriptions `prefix:rest`), `keyring` (`keyring.c`: no payload; its contents are links)
//! and `big_key` (`big_key.c`: a user-like payload up to a megabyte). Other type names are
//! unknown (`ENODEV` from add_key, `ENOKEY` from searches), as on a kernel built without them.

use abi::Errno;

/// A key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    Logon,
    Keyring,
    BigKey,
}

impl Kind {
    /// The type registered under `name` (`key_type_lookup`).
    pub fn from_name(name: &[u8]) -> Option<Kind> {
        match name {
            b"user" => Some(Kind::User),
            b"logon" => Some(Kind::Logon),
            b"keyring" => Some(Kind::Keyring),
            b"big_key" => Some(Kind::BigKey),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Logon => "logon",
            Kind::Keyring => "keyring",
            Kind::BigKey => "big_key",
        }
    }

    /// Whether the type has a `read` method (`KEYCTL_READ` is `EOPNOTSUPP` otherwise).
    pub fn is_readable(self) -> bool {
        self != Kind::Logon
    }

    /// Whether the type has an `update` method (`KEYCTL_UPDATE` is `EOPNOTSUPP` otherwise).
    pub fn is_updatable(self) -> bool {
        self != Kind::Keyring
    }

    /// `vet_description`: logon descriptions need a non-empty prefix before a colon.
    pub fn vet_description(self, description: &[u8]) -> Result<(), Errno> {
        if self == Kind::Logon {
            match description.iter().position(|&b| b == b':') {
                Some(0) | None => return Err(Errno::EINVAL),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// `preparse`: whether a payload of `len` bytes is acceptable; the bytes it costs against
    /// the owner's byte quota.
    pub fn preparse(self, len: usize) -> Result<usize, Errno> {
        match self {
            Kind::Keyring if len != 0 => Err(Errno::EINVAL),
            Kind::Keyring => Ok(0),
            Kind::User | Kind::Logon if len == 0 || len > 32767 => Err(Errno::EINVAL),
            Kind::User | Kind::Logon => Ok(len),
            Kind::BigKey if len == 0 || len > crate::MAX_PAYLOAD => Err(Errno::EINVAL),
            // Payloads past BIG_KEY_FILE_THRESHOLD live in a shmem file and cost what its
            // path costs; below it they are charged whole.
            Kind::BigKey if len > BIG_KEY_FILE_THRESHOLD => Ok(BIG_KEY_PATH_COST),
            Kind::BigKey => Ok(len),
        }
    }
}

/// `BIG_KEY_FILE_THRESHOLD` on x86-64 (`sizeof(struct inode) + sizeof(struct dentry)`).
const BIG_KEY_FILE_THRESHOLD: usize = 1024 + 192;
/// What a big key stored in a file is charged (`sizeof(struct path)`... of its record).
const BIG_KEY_PATH_COST: usize = 16;

/// What a key costs against the byte quota before its payload: its description and NUL.
pub fn description_cost(description: &[u8]) -> usize {
    description.len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_limits() {
        assert_eq!(Kind::User.preparse(32767), Ok(32767));
        assert_eq!(Kind::User.preparse(32768), Err(Errno::EINVAL));
        assert_eq!(Kind::User.preparse(0), Err(Errno::EINVAL));
        assert_eq!(Kind::Logon.preparse(32768), Err(Errno::EINVAL));
        assert_eq!(Kind::Keyring.preparse(0), Ok(0));
        assert_eq!(Kind::Keyring.preparse(1), Err(Errno::EINVAL));
        assert!(Kind::BigKey.preparse((1 << 20) - 1).is_ok());
        assert_eq!(Kind::BigKey.preparse(1 << 20), Err(Errno::EINVAL));
    }

    #[test]
    fn names_and_descriptions() {
        assert_eq!(Kind::from_name(b"user"), Some(Kind::User));
        assert_eq!(Kind::from_name(b"dead"), None);
        assert_eq!(Kind::from_name(b".user"), None);
        assert_eq!(Kind::Logon.vet_description(b"ef:g"), Ok(()));
        assert_eq!(Kind::Logon.vet_description(b":g"), Err(Errno::EINVAL));
        assert_eq!(Kind::Logon.vet_description(b"efg"), Err(Errno::EINVAL));
        assert_eq!(Kind::User.vet_description(b"efg"), Ok(()));
        assert!(!Kind::Logon.is_readable());
        assert!(!Kind::Keyring.is_updatable());
    }
}
