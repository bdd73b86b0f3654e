//! Text the keys interface shows: `/proc/keys` (`proc_keys_show`), `/proc/key-users`
//! (`proc_key_users_show`) and `KEYCTL_DESCRIBE`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// A key's state flags as `/proc/keys` shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub is_instantiated: bool,
    pub is_revoked: bool,
    pub is_dead: bool,
    pub is_in_quota: bool,
    pub is_under_construction: bool,
    pub is_negative: bool,
    pub is_invalidated: bool,
}

/// The expiry column: `perm` for none, `expd` once passed, else the time left in the
/// largest unit it reaches (s, m, h, d, w), rounded down.
pub fn expiry(seconds_left: Option<i64>) -> String {
    let mut out = String::new();
    match seconds_left {
        None => out.push_str("perm"),
        Some(left) if left <= 0 => out.push_str("expd"),
        Some(left) => {
            let _ = match left {
                0..60 => write!(out, "{left}s"),
                60..3600 => write!(out, "{}m", left / 60),
                3600..86400 => write!(out, "{}h", left / 3600),
                86400..604800 => write!(out, "{}d", left / 86400),
                _ => write!(out, "{}w", left / 604800),
            };
        }
    }
    out
}

/// One `/proc/keys` line, ending with the type's description text `describe`; ids are
/// shown as the caller munges them (-1 as the overflow id 65534).
#[allow(clippy::too_many_arguments)]
pub fn keys_line(
    serial: i32,
    flags: Flags,
    usage: u32,
    seconds_left: Option<i64>,
    perm: u32,
    uid: u32,
    gid: u32,
    type_name: &str,
    describe: &str,
) -> String {
    let mut out = String::new();
    let flag = |set: bool, c: char| if set { c } else { '-' };
    let type_short: String = type_name.chars().take(9).collect();
    let _ = writeln!(
        out,
        "{:08x} {}{}{}{}{}{}{} {:5} {:>4} {:08x} {:5} {:5} {:<9} {}",
        serial,
        flag(flags.is_instantiated, 'I'),
        flag(flags.is_revoked, 'R'),
        flag(flags.is_dead, 'D'),
        flag(flags.is_in_quota, 'Q'),
        flag(flags.is_under_construction, 'U'),
        flag(flags.is_negative, 'N'),
        flag(flags.is_invalidated, 'i'),
        usage,
        expiry(seconds_left),
        perm,
        uid,
        gid,
        type_short,
        describe
    );
    out
}

/// The `describe` text of a user-like key: its description, then `: LEN` when positive.
pub fn describe_payload(description: &str, payload_len: Option<usize>) -> String {
    let mut out = String::from(description);
    if let Some(len) = payload_len {
        let _ = write!(out, ": {len}");
    }
    out
}

/// The `describe` text of a keyring: its description, then `: N` links or `: empty` when
/// positive.
pub fn describe_keyring(description: &str, links: Option<usize>) -> String {
    let mut out = String::from(description);
    match links {
        Some(0) => out.push_str(": empty"),
        Some(n) => {
            let _ = write!(out, ": {n}");
        }
        None => {}
    }
    out
}

/// One `/proc/key-users` line.
pub fn key_users_line(
    uid: u32,
    usage: u32,
    counts: crate::quota::Usage,
    maxkeys: u32,
    maxbytes: u32,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:5}: {:5} {}/{} {}/{} {}/{}",
        uid, usage, counts.nkeys, counts.nikeys, counts.qnkeys, maxkeys, counts.qnbytes, maxbytes
    );
    out
}

/// `KEYCTL_DESCRIBE`'s text, NUL included: `type;uid;gid;perm;description`.
pub fn describe(type_name: &str, uid: u32, gid: u32, perm: u32, description: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    let _ = write!(out, "{};{};{};{:08x};", type_name, uid, gid, perm);
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(description);
    bytes.push(0);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_units() {
        assert_eq!(expiry(None), "perm");
        assert_eq!(expiry(Some(0)), "expd");
        assert_eq!(expiry(Some(59)), "59s");
        assert_eq!(expiry(Some(60)), "1m");
        assert_eq!(expiry(Some(7200)), "2h");
        assert_eq!(expiry(Some(86400 * 3)), "3d");
        assert_eq!(expiry(Some(86400 * 21)), "3w");
    }

    #[test]
    fn lines() {
        let flags = Flags {
            is_instantiated: true,
            is_in_quota: true,
            ..Flags::default()
        };
        assert_eq!(
            keys_line(0x1234, flags, 1, None, 0x3f010000, 0, 0, "user", "a: 3"),
            "00001234 I--Q--- 1 perm 3f010000 0 0 user a: 3\n"
                .replace(" 1 ", "     1 ")
                .replace(" 0 0 ", "     0     0 ")
                .replace("user ", "user      ")
        );
        assert_eq!(describe_keyring("_ses", Some(0)), "_ses: empty");
        assert_eq!(describe_payload("k", Some(7)), "k: 7");
        assert_eq!(
            describe("user", 0, 0, 0x3f010000, b"k"),
            b"user;0;0;3f010000;k\0"
        );
        assert_eq!(
            key_users_line(
                0,
                3,
                crate::quota::Usage {
                    nkeys: 2,
                    nikeys: 2,
                    qnkeys: 2,
                    qnbytes: 9
                },
                200,
                20000
            ),
            "    0:     3 2/2 2/200 9/20000\n"
        );
    }
}
