//! The root file system's parameters, as Linux 6.1's `init/do_mounts.c` takes them: `root=`
//! (`root_dev_setup`), `rootfstype=`, `rootflags=`, `rootdelay=`, `rootwait`, `ro` and `rw`
//! (`readonly`, `readwrite`); and the device names `root=` accepts (`name_to_dev_t`).
//!
//! `ro`, `rw` and `rootwait` take no value: with one (`ro=1`) their setup function declines
//! and the word goes to init like any unknown one. Without `rw` the root is mounted read-only
//! (`root_mountflags` starts as `MS_RDONLY | MS_SILENT`).

use alloc::string::String;
use alloc::vec::Vec;

/// Linux copies `root=` into a 64-byte buffer (`saved_root_name`, `strscpy`): 63 bytes stay.
const ROOT_NAME_MAX: usize = 63;

/// What the command line says about the root file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootParams {
    /// `root=`: the device, as written (at most 63 bytes, as Linux keeps it).
    pub device: Option<String>,
    /// `rootfstype=`: comma-separated file system types to try, in order.
    pub fs_types: Option<String>,
    /// `rootflags=`: the mount data (file system options).
    pub flags: Option<String>,
    /// `ro` (the default) or `rw`.
    pub is_read_only: bool,
    /// `rootwait`: wait for the device to appear.
    pub is_wait: bool,
    /// `rootdelay=N`: seconds to sleep before mounting.
    pub delay_secs: u64,
    /// `devtmpfs.mount=N` (N not 0): devtmpfs goes on the new root's `/dev` before init runs
    /// (`devtmpfs_mount`; Debian's kernel has no `CONFIG_DEVTMPFS_MOUNT`, so off by default).
    pub mounts_devtmpfs: bool,
}

impl Default for RootParams {
    fn default() -> RootParams {
        RootParams {
            device: None,
            fs_types: None,
            flags: None,
            is_read_only: true,
            is_wait: false,
            delay_secs: 0,
            mounts_devtmpfs: false,
        }
    }
}

impl RootParams {
    /// Takes one word if it is a root parameter; `false` leaves it to the caller.
    pub fn take(&mut self, param: &str, value: Option<&str>) -> bool {
        match (param, value) {
            ("root", Some(value)) => {
                let mut end = value.len().min(ROOT_NAME_MAX);
                while !value.is_char_boundary(end) {
                    end -= 1;
                }
                self.device = Some(value[..end].into());
            }
            ("rootfstype", Some(value)) => self.fs_types = Some(value.into()),
            ("rootflags", Some(value)) => self.flags = Some(value.into()),
            // simple_strtoul(str, NULL, 0): the leading number, 0 if there is none.
            ("rootdelay", Some(value)) => self.delay_secs = leading_number(value, 0).0,
            ("rootwait", None) => self.is_wait = true,
            // mount_param: simple_strtoul(str, NULL, 0).
            ("devtmpfs.mount", Some(value)) => {
                self.mounts_devtmpfs = leading_number(value, 0).0 != 0
            }
            ("ro", None) => self.is_read_only = true,
            ("rw", None) => self.is_read_only = false,
            _ => return false,
        }
        true
    }

    /// The file system types `rootfstype=` lists (empty items dropped, as `split_fs_names`).
    pub fn fs_type_list(&self) -> Vec<&str> {
        self.fs_types
            .as_deref()
            .map(|types| types.split(',').filter(|name| !name.is_empty()).collect())
            .unwrap_or_default()
    }
}

/// What `root=` names (`name_to_dev_t`'s cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootDevice {
    /// `/dev/NAME`: a disk or partition by its kernel name (`vda`, `vda1`); a `/` in the name
    /// stands for `!` as in sysfs names.
    Name(String),
    /// `MAJOR:MINOR` or a hexadecimal `new_encode_dev` number (`fe01`).
    Number { major: u32, minor: u32 },
    /// `PARTUUID=UUID[/PARTNROFF=N]`: the partition with that GPT unique GUID (or an MBR
    /// `SSSSSSSS-PP` id), or the one `N` partitions after it.
    PartUuid { uuid: String, offset: i32 },
    /// `PARTLABEL=NAME`: the GPT partition with that name.
    PartLabel(String),
    /// Anything else: Linux finds no device (`unknown-block(0,0)`).
    Unknown,
}

impl RootDevice {
    pub fn parse(name: &str) -> RootDevice {
        if let Some(rest) = name.strip_prefix("PARTUUID=") {
            return parse_partuuid(rest);
        }
        if let Some(label) = name.strip_prefix("PARTLABEL=") {
            return RootDevice::PartLabel(label.into());
        }
        let Some(rest) = name.strip_prefix("/dev/") else {
            return parse_number(name);
        };
        if rest.is_empty() || rest.len() > 31 {
            return RootDevice::Unknown;
        }
        RootDevice::Name(rest.replace('/', "!"))
    }
}

/// `MAJOR:MINOR`, `MAJOR:MINOR:OFFSET` or a hex number (`simple_strtoul(name, &p, 16)` with
/// nothing after it).
fn parse_number(name: &str) -> RootDevice {
    let parts: Vec<&str> = name.split(':').collect();
    if parts.len() == 2 || parts.len() == 3 {
        let numbers: Vec<Option<u32>> = parts.iter().map(|part| decimal(part)).collect();
        if let [Some(major), Some(minor), ..] = numbers[..]
            && numbers.iter().all(Option::is_some)
        {
            // MKDEV must keep them: 12 bits of major, 20 of minor.
            if major >= 1 << 12 || minor >= 1 << 20 {
                return RootDevice::Unknown;
            }
            return RootDevice::Number { major, minor };
        }
        return RootDevice::Unknown;
    }
    let (value, used) = leading_number(name, 16);
    if used == 0 || used != name.len() {
        return RootDevice::Unknown;
    }
    // new_decode_dev of the low 32 bits.
    let dev = value as u32;
    RootDevice::Number {
        major: (dev & 0xfff00) >> 8,
        minor: (dev & 0xff) | ((dev >> 12) & 0xfff00),
    }
}

/// `%u` as sscanf reads it: digits only, fitting 32 bits.
fn decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `simple_strtoul(text, &end, base)`: the value (wrapping) and how many bytes it read; base 0
/// takes `0x` as hex and a leading 0 as octal, base 16 skips a `0x`.
fn leading_number(text: &str, base: u32) -> (u64, usize) {
    let bytes = text.as_bytes();
    let has_hex_prefix = bytes.len() >= 3
        && bytes[0] == b'0'
        && bytes[1].eq_ignore_ascii_case(&b'x')
        && bytes[2].is_ascii_hexdigit();
    let (radix, start) = match base {
        0 if has_hex_prefix => (16, 2),
        0 if bytes.first() == Some(&b'0') => (8, 0),
        0 => (10, 0),
        16 if has_hex_prefix => (16, 2),
        radix => (radix, 0),
    };
    let mut value: u64 = 0;
    let mut end = start;
    for ch in text[start..].chars() {
        let Some(digit) = ch.to_digit(radix) else {
            break;
        };
        value = value
            .wrapping_mul(u64::from(radix))
            .wrapping_add(u64::from(digit));
        end += 1;
    }
    if end == start {
        return (0, 0);
    }
    (value, end)
}

/// `devt_from_partuuid`: the UUID up to a `/`, then optionally `PARTNROFF=%d`; anything else
/// after the slash finds nothing.
fn parse_partuuid(rest: &str) -> RootDevice {
    let (uuid, tail) = match rest.split_once('/') {
        Some((uuid, tail)) => (uuid, Some(tail)),
        None => (rest, None),
    };
    if uuid.len() > 36 || uuid.is_empty() {
        return RootDevice::Unknown;
    }
    let offset = match tail {
        None => 0,
        Some(tail) => match tail
            .strip_prefix("PARTNROFF=")
            .and_then(|n| n.parse::<i32>().ok())
        {
            Some(offset) => offset,
            None => return RootDevice::Unknown,
        },
    };
    RootDevice::PartUuid {
        uuid: uuid.into(),
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_as_name_to_dev_t_reads_them() {
        assert_eq!(
            RootDevice::parse("/dev/vda"),
            RootDevice::Name("vda".into())
        );
        assert_eq!(
            RootDevice::parse("/dev/vda1"),
            RootDevice::Name("vda1".into())
        );
        assert_eq!(
            RootDevice::parse("/dev/mapper/x"),
            RootDevice::Name("mapper!x".into())
        );
        assert_eq!(RootDevice::parse("/dev/"), RootDevice::Unknown);
        assert_eq!(RootDevice::parse("vda"), RootDevice::Unknown);
        assert_eq!(
            RootDevice::parse("254:1"),
            RootDevice::Number {
                major: 254,
                minor: 1
            }
        );
        assert_eq!(
            RootDevice::parse("254:16:0"),
            RootDevice::Number {
                major: 254,
                minor: 16
            }
        );
        assert_eq!(RootDevice::parse("254:x"), RootDevice::Unknown);
        assert_eq!(RootDevice::parse("4096:0"), RootDevice::Unknown);
        // new_encode_dev(254:1) is 0xfe01.
        assert_eq!(
            RootDevice::parse("fe01"),
            RootDevice::Number {
                major: 254,
                minor: 1
            }
        );
        assert_eq!(
            RootDevice::parse("0xfe10"),
            RootDevice::Number {
                major: 254,
                minor: 16
            }
        );
        assert_eq!(RootDevice::parse("fe01g"), RootDevice::Unknown);
        assert_eq!(RootDevice::parse("UUID=1234"), RootDevice::Unknown);
        assert_eq!(
            RootDevice::parse("PARTUUID=0ccdb28e-01"),
            RootDevice::PartUuid {
                uuid: "0ccdb28e-01".into(),
                offset: 0
            }
        );
        assert_eq!(
            RootDevice::parse("PARTUUID=0ccdb28e-01/PARTNROFF=-1"),
            RootDevice::PartUuid {
                uuid: "0ccdb28e-01".into(),
                offset: -1
            }
        );
        assert_eq!(
            RootDevice::parse("PARTUUID=0ccdb28e-01/x"),
            RootDevice::Unknown
        );
        assert_eq!(
            RootDevice::parse("PARTLABEL=root"),
            RootDevice::PartLabel("root".into())
        );
    }

    #[test]
    fn root_words() {
        let mut params = RootParams::default();
        assert!(params.is_read_only);
        assert!(params.take("rw", None));
        assert!(!params.is_read_only);
        assert!(!params.take("ro", Some("1")));
        assert!(!params.is_read_only);
        assert!(params.take("rootdelay", Some("0x10")));
        assert_eq!(params.delay_secs, 16);
        assert!(params.take("rootdelay", Some("3s")));
        assert_eq!(params.delay_secs, 3);
        assert!(params.take("rootfstype", Some("ext3,,ext4")));
        assert_eq!(params.fs_type_list(), alloc::vec!["ext3", "ext4"]);
        assert!(!params.take("rootwait", Some("1")));
        assert!(params.take("devtmpfs.mount", Some("1")));
        assert!(params.mounts_devtmpfs);
        assert!(params.take("devtmpfs.mount", Some("0x0")));
        assert!(!params.mounts_devtmpfs);
        assert!(params.take("devtmpfs.mount", Some("yes")));
        assert!(!params.mounts_devtmpfs);
        assert!(params.take("rootwait", None));
        assert!(params.is_wait);
        let long = alloc::format!("/dev/{}", "a".repeat(100));
        assert!(params.take("root", Some(&long)));
        assert_eq!(params.device.as_deref().map(str::len), Some(63));
    }
}
