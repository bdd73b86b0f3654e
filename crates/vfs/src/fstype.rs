//! Filesystem types registered by name, and the parsing of mount(2)'s option string, as Linux's
//! `fs/filesystems.c` (`register_filesystem`, `get_fs_type`, `/proc/filesystems`) and
//! `fs/fs_context.c` (`generic_parse_monolithic`, `vfs_parse_sb_flag`).
//!
//! Key items: [`FileSystemType`] (what a type does when mounted: make or find an instance and
//! return its root dentry), [`Registry`] (the types in registration order), [`MountOptions`]
//! ([`parse_options`]: the comma-separated option string split into the generic superblock
//! flags — `ro`, `rw`, `sync`, `async`, `dirsync`, `lazytime`, `nolazytime`, `mand`, `nomand` —
//! and the filesystem's own `key[=value]` pairs), [`parse_size`] (Linux `memparse`).
//!
//! Rules: the option string ends at its first NUL; empty options between commas are skipped;
//! the generic flags are recognised by their key alone (`ro=1` is `ro`, as `vfs_parse_sb_flag`
//! sees only the key); an option the filesystem does not know is `EINVAL` (`Unknown
//! parameter`), as is a bad value; `source=` names the instance's source, once (a second one,
//! or one next to mount(2)'s own source, is `EINVAL`: "Multiple sources"; without a value,
//! "Non-string source").

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use crate::dentry::Dentry;
use crate::dentry::sb_flags::*;
use crate::sync::SpinLock;

/// A filesystem type (Linux's `struct file_system_type`).
pub trait FileSystemType: Send + Sync {
    /// The name mount(2) takes and `/proc/filesystems` lists.
    fn name(&self) -> &'static str;

    /// Whether it needs a block device (`FS_REQUIRES_DEV`; `/proc/filesystems` marks the
    /// others `nodev`).
    fn requires_device(&self) -> bool {
        false
    }

    /// Makes (or, for single-instance types, finds) the filesystem instance for a new mount of
    /// `source` with the filesystem's own `options` (the generic flags taken out) and, for a
    /// new instance, the `SB_*` flags `sb_flags`; returns its root dentry. `EINVAL` for an
    /// unknown option or a bad value.
    fn mount(
        &self,
        source: &[u8],
        sb_flags: u32,
        options: &[MountOption<'_>],
    ) -> Result<Arc<Dentry>, Errno>;
}

/// The registered filesystem types.
pub struct Registry {
    types: SpinLock<Vec<Arc<dyn FileSystemType>>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// No types yet.
    pub const fn new() -> Registry {
        Registry {
            types: SpinLock::new("fs.types", Vec::new()),
        }
    }

    /// Adds a type (Linux `register_filesystem`): `EBUSY` if one of that name exists.
    pub fn register(&self, fs_type: Arc<dyn FileSystemType>) -> Result<(), Errno> {
        let mut types = self.types.lock();
        if types.iter().any(|t| t.name() == fs_type.name()) {
            return Err(Errno::EBUSY);
        }
        types.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        types.push(fs_type);
        Ok(())
    }

    /// The type named `name` (Linux `get_fs_type`).
    pub fn get(&self, name: &[u8]) -> Option<Arc<dyn FileSystemType>> {
        self.types
            .lock()
            .iter()
            .find(|t| t.name().as_bytes() == name)
            .cloned()
    }

    /// The position of the type named `name` in registration order (sysfs(2)'s option 1,
    /// Linux's `fs_index`).
    pub fn index_of(&self, name: &[u8]) -> Option<usize> {
        self.types
            .lock()
            .iter()
            .position(|t| t.name().as_bytes() == name)
    }

    /// The name of the type at `index` (sysfs(2)'s option 2, `fs_name`).
    pub fn name_at(&self, index: usize) -> Option<&'static str> {
        self.types.lock().get(index).map(|t| t.name())
    }

    /// How many types are registered (sysfs(2)'s option 3, `fs_maxindex`).
    pub fn count(&self) -> usize {
        self.types.lock().len()
    }

    /// `/proc/filesystems`: one line per type, `nodev\tNAME` or `\tNAME`.
    pub fn proc_filesystems(&self, out: &mut Vec<u8>) -> Result<(), Errno> {
        for t in self.types.lock().iter() {
            out.try_reserve(t.name().len() + 7)
                .map_err(|_| Errno::ENOMEM)?;
            if !t.requires_device() {
                out.extend_from_slice(b"nodev");
            }
            out.push(b'\t');
            out.extend_from_slice(t.name().as_bytes());
            out.push(b'\n');
        }
        Ok(())
    }
}

/// One filesystem option: `(key, value)`.
pub type MountOption<'a> = (&'a [u8], Option<&'a [u8]>);

/// A mount option string split as Linux's `generic_parse_monolithic` does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MountOptions<'a> {
    /// `SB_*` flags the options set (`ro`, `sync`, `dirsync`, `lazytime`, `mand`).
    pub sb_set: u32,
    /// `SB_*` flags the options clear (`rw`, `async`, `nolazytime`, `nomand`).
    pub sb_clear: u32,
    /// The filesystem's own options, in order.
    pub fs: Vec<MountOption<'a>>,
    /// The value of `source=`, if given.
    pub source: Option<&'a [u8]>,
}

/// Splits `data` (mount(2)'s fifth argument, up to its first NUL) into generic superblock flags,
/// the `source=` option and the filesystem's options.
pub fn parse_options(data: &[u8]) -> Result<MountOptions<'_>, Errno> {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let mut out = MountOptions::default();
    for option in data[..end].split(|&b| b == b',') {
        if option.is_empty() {
            continue;
        }
        let (key, value) = match option.iter().position(|&b| b == b'=') {
            Some(i) => (&option[..i], Some(&option[i + 1..])),
            None => (option, None),
        };
        let set = match key {
            b"dirsync" => Some(SB_DIRSYNC),
            b"lazytime" => Some(SB_LAZYTIME),
            b"mand" => Some(SB_MANDLOCK),
            b"ro" => Some(SB_RDONLY),
            b"sync" => Some(SB_SYNCHRONOUS),
            _ => None,
        };
        let clear = match key {
            b"async" => Some(SB_SYNCHRONOUS),
            b"nolazytime" => Some(SB_LAZYTIME),
            b"nomand" => Some(SB_MANDLOCK),
            b"rw" => Some(SB_RDONLY),
            _ => None,
        };
        match (set, clear) {
            (Some(flag), _) => {
                out.sb_set |= flag;
                out.sb_clear &= !flag;
            }
            (_, Some(flag)) => {
                out.sb_clear |= flag;
                out.sb_set &= !flag;
            }
            _ if key == b"source" => {
                if value.is_none() || out.source.is_some() {
                    return Err(Errno::EINVAL);
                }
                out.source = value;
            }
            _ => {
                out.fs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                out.fs.push((key, value));
            }
        }
    }
    Ok(out)
}

/// Linux `memparse`: a number (decimal, `0x` hex or `0` octal) with an optional binary suffix
/// `k`, `m`, `g`, `t`, `p`, `e` (either case); returns the value and the unparsed rest.
pub fn memparse(s: &[u8]) -> (u64, &[u8]) {
    let (base, digits) = if s.len() > 2
        && (s.starts_with(b"0x") || s.starts_with(b"0X"))
        && s[2].is_ascii_hexdigit()
    {
        (16, &s[2..])
    } else if s.len() > 1 && s[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let mut value: u64 = 0;
    let mut used = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'f' => u64::from(c - b'a' + 10),
            b'A'..=b'F' => u64::from(c - b'A' + 10),
            _ => break,
        };
        if d >= base {
            break;
        }
        value = value.wrapping_mul(base).wrapping_add(d);
        used += 1;
    }
    if used == 0 && base != 8 {
        return (0, s);
    }
    let mut rest = &digits[used..];
    let shift = match rest.first() {
        Some(b'k' | b'K') => 10,
        Some(b'm' | b'M') => 20,
        Some(b'g' | b'G') => 30,
        Some(b't' | b'T') => 40,
        Some(b'p' | b'P') => 50,
        Some(b'e' | b'E') => 60,
        _ => 0,
    };
    if shift != 0 {
        value = value.wrapping_shl(shift);
        rest = &rest[1..];
    }
    (value, rest)
}

/// [`memparse`] of a whole value: `EINVAL` if anything follows the number.
pub fn parse_size(value: Option<&[u8]>) -> Result<u64, Errno> {
    let value = value.ok_or(Errno::EINVAL)?;
    if value.is_empty() {
        return Err(Errno::EINVAL);
    }
    let (n, rest) = memparse(value);
    if !rest.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(n)
}

/// A whole unsigned 32-bit number in `radix` (Linux `kstrtouint`): `EINVAL` for anything else
/// (`ERANGE` counts as `EINVAL` for mount options).
pub fn parse_u32(value: Option<&[u8]>, radix: u32) -> Result<u32, Errno> {
    let value = value.ok_or(Errno::EINVAL)?;
    let text = core::str::from_utf8(value).map_err(|_| Errno::EINVAL)?;
    let text = text.strip_prefix('+').unwrap_or(text);
    let text = if radix == 16 {
        text.trim_start_matches("0x")
    } else {
        text
    };
    if text.is_empty() || !text.bytes().all(|b| (b as char).is_digit(radix)) {
        return Err(Errno::EINVAL);
    }
    u32::from_str_radix(text, radix).map_err(|_| Errno::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);

    impl FileSystemType for Named {
        fn name(&self) -> &'static str {
            self.0
        }

        fn mount(&self, _: &[u8], _: u32, _: &[MountOption<'_>]) -> Result<Arc<Dentry>, Errno> {
            Err(Errno::ENODEV)
        }
    }

    #[test]
    fn types_are_numbered_in_registration_order() {
        let registry = Registry::new();
        registry.register(Arc::new(Named("sysfs"))).unwrap();
        registry.register(Arc::new(Named("tmpfs"))).unwrap();
        assert_eq!(
            registry.register(Arc::new(Named("tmpfs"))),
            Err(Errno::EBUSY)
        );
        assert_eq!(registry.count(), 2);
        assert_eq!(registry.index_of(b"tmpfs"), Some(1));
        assert_eq!(registry.index_of(b"ext4"), None);
        assert_eq!(registry.name_at(0), Some("sysfs"));
        assert_eq!(registry.name_at(2), None);
    }

    #[test]
    fn generic_flags_are_taken_out() {
        let o = parse_options(b"ro,size=1M,,mode=755,rw,sync\0garbage").unwrap();
        assert_eq!(o.sb_set, SB_SYNCHRONOUS);
        assert_eq!(o.sb_clear, SB_RDONLY);
        assert_eq!(
            o.fs,
            alloc::vec![
                (&b"size"[..], Some(&b"1M"[..])),
                (&b"mode"[..], Some(&b"755"[..]))
            ]
        );
        // The generic flags by their key alone, whatever the value.
        let o = parse_options(b"source=x,ro=1").unwrap();
        assert_eq!(o.fs, alloc::vec![]);
        assert_eq!(o.sb_set, SB_RDONLY);
        assert_eq!(o.source, Some(&b"x"[..]));
        assert_eq!(parse_options(b"source=x,source=y"), Err(Errno::EINVAL));
        assert_eq!(parse_options(b"source"), Err(Errno::EINVAL));
    }

    #[test]
    fn memparse_suffixes_and_bases() {
        assert_eq!(memparse(b"10"), (10, &b""[..]));
        assert_eq!(memparse(b"1k"), (1024, &b""[..]));
        assert_eq!(memparse(b"2M"), (2 << 20, &b""[..]));
        assert_eq!(memparse(b"0x10"), (16, &b""[..]));
        assert_eq!(memparse(b"010"), (8, &b""[..]));
        assert_eq!(memparse(b"0"), (0, &b""[..]));
        assert_eq!(memparse(b"12%"), (12, &b"%"[..]));
        assert_eq!(parse_size(Some(b"abc")), Err(Errno::EINVAL));
        assert_eq!(parse_size(Some(b"1Mx")), Err(Errno::EINVAL));
        assert_eq!(parse_size(None), Err(Errno::EINVAL));
        assert_eq!(parse_u32(Some(b"755"), 8), Ok(0o755));
        assert_eq!(parse_u32(Some(b"8"), 8), Err(Errno::EINVAL));
        assert_eq!(parse_u32(Some(b"4294967296"), 10), Err(Errno::EINVAL));
        assert_eq!(parse_u32(Some(b"-1"), 10), Err(Errno::EINVAL));
    }
}
