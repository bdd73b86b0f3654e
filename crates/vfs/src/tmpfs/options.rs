//! tmpfs mount options (Linux's `shmem_parse_one`, `shmem_show_options`): the size and inode
//! limits, the root directory's mode and owner, and the device number (the atime policy is the
//! mount's). The limits are enforced by the instance's accounting in [`super::superblock`].
//!
//! Parsing follows `shmem_parse_one`: `size=` takes `memparse` sizes (`k`, `m`, `g`… suffixes)
//! or a percentage of RAM (`50%`), rounded up to pages, 0 meaning unlimited; `nr_blocks=` pages;
//! `nr_inodes=` a count (0: unlimited); `mode=` octal (`& 07777`); `uid=`/`gid=` decimal ids
//! (`-1`, 4294967295, is invalid); `inode32`/`inode64` flags; `huge=never` (the only value
//! without transparent huge pages); anything else, or a bad value, is `EINVAL`.

use abi::Errno;

use crate::fstype::{MountOption, memparse, parse_u32};

/// Mount options of a tmpfs instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// Root directory permission bits (`mode=`, default `0o1777`).
    pub root_mode: u32,
    /// Root directory owner (`uid=`).
    pub root_uid: u32,
    /// Root directory group (`gid=`).
    pub root_gid: u32,
    /// Byte limit on data pages (`size=`), `None` for unlimited.
    pub max_bytes: Option<u64>,
    /// Limit on inodes (`nr_inodes=`), `None` for unlimited.
    pub max_inodes: Option<u64>,
    /// Device number reported as `st_dev`.
    pub dev: u64,
    /// The limits a mount without `size=`/`nr_inodes=` gets (half of RAM): `/proc/mounts`
    /// shows a limit only when it differs from these (`shmem_default_max_blocks`).
    pub default_max_bytes: Option<u64>,
    /// See [`TmpfsOptions::default_max_bytes`].
    pub default_max_inodes: Option<u64>,
    /// Pages of RAM, for `size=N%` in a remount.
    pub total_ram_pages: u64,
    /// The type name `/proc/mounts` shows (`tmpfs`; `rootfs` for the root instance).
    pub fs_name: &'static str,
    /// Whether `/proc/mounts` shows the instance's options (`false` for the mqueue
    /// filesystem, which Ferrux builds on tmpfs and which has none).
    pub shows_options: bool,
}

impl Default for TmpfsOptions {
    fn default() -> Self {
        TmpfsOptions {
            root_mode: 0o1777,
            root_uid: 0,
            root_gid: 0,
            max_bytes: None,
            max_inodes: None,
            dev: 0,
            default_max_bytes: None,
            default_max_inodes: None,
            total_ram_pages: 0,
            fs_name: "tmpfs",
            shows_options: true,
        }
    }
}

/// The options one mount(2) or remount gave (`shmem_options` with its `seen` bits): `None`
/// for what was not given; a limit of `Some(None)` is "unlimited" (`size=0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TmpfsParams {
    /// `size=`/`nr_blocks=`, in pages.
    pub pages: Option<Option<u64>>,
    /// `nr_inodes=`.
    pub inodes: Option<Option<u64>>,
    /// `mode=`.
    pub mode: Option<u32>,
    /// `uid=`.
    pub uid: Option<u32>,
    /// `gid=`.
    pub gid: Option<u32>,
}

const PAGE_SIZE: u64 = super::PAGE_SIZE as u64;

impl TmpfsParams {
    /// Parses the filesystem options of a tmpfs mount; `total_ram_pages` sizes `size=N%`.
    pub fn parse(options: &[MountOption<'_>], total_ram_pages: u64) -> Result<TmpfsParams, Errno> {
        let mut params = TmpfsParams::default();
        let nonzero = |n: u64| (n != 0).then_some(n);
        for &(key, value) in options {
            match key {
                b"size" => {
                    let value = value.filter(|v| !v.is_empty()).ok_or(Errno::EINVAL)?;
                    let (mut size, mut rest) = memparse(value);
                    if rest.first() == Some(&b'%') {
                        size = (size << 12).saturating_mul(total_ram_pages) / 100;
                        rest = &rest[1..];
                    }
                    if !rest.is_empty() {
                        return Err(Errno::EINVAL);
                    }
                    params.pages = Some(nonzero(size.div_ceil(PAGE_SIZE)));
                }
                b"nr_blocks" => {
                    let pages = whole_memparse(value)?;
                    if pages > i64::MAX as u64 {
                        return Err(Errno::EINVAL);
                    }
                    params.pages = Some(nonzero(pages));
                }
                b"nr_inodes" => params.inodes = Some(nonzero(whole_memparse(value)?)),
                b"mode" => params.mode = Some(parse_u32(value, 8)? & 0o7777),
                b"uid" => params.uid = Some(valid_id(parse_u32(value, 10)?)?),
                b"gid" => params.gid = Some(valid_id(parse_u32(value, 10)?)?),
                b"inode32" | b"inode64" if value.is_none() => {}
                b"huge" if value == Some(b"never") => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(params)
    }

    /// The options of a new instance: these parameters over `defaults`.
    pub fn apply(&self, defaults: TmpfsOptions) -> TmpfsOptions {
        let mut options = defaults;
        if let Some(pages) = self.pages {
            options.max_bytes = pages.map(|p| p.saturating_mul(PAGE_SIZE));
        }
        if let Some(inodes) = self.inodes {
            options.max_inodes = inodes;
        }
        if let Some(mode) = self.mode {
            options.root_mode = mode;
        }
        if let Some(uid) = self.uid {
            options.root_uid = uid;
        }
        if let Some(gid) = self.gid {
            options.root_gid = gid;
        }
        options
    }
}

fn whole_memparse(value: Option<&[u8]>) -> Result<u64, Errno> {
    let value = value.filter(|v| !v.is_empty()).ok_or(Errno::EINVAL)?;
    let (n, rest) = memparse(value);
    if !rest.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok(n)
}

fn valid_id(id: u32) -> Result<u32, Errno> {
    if id == u32::MAX {
        Err(Errno::EINVAL)
    } else {
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<TmpfsParams, Errno> {
        let o = crate::fstype::parse_options(s)?;
        TmpfsParams::parse(&o.fs, 1000)
    }

    #[test]
    fn sizes_modes_and_ids() {
        let p = parse(b"size=1M,nr_inodes=10,mode=1700,uid=5,gid=6").unwrap();
        assert_eq!(p.pages, Some(Some(256)));
        assert_eq!(p.inodes, Some(Some(10)));
        assert_eq!(p.mode, Some(0o1700));
        assert_eq!((p.uid, p.gid), (Some(5), Some(6)));
        assert_eq!(parse(b"size=5000").unwrap().pages, Some(Some(2)));
        assert_eq!(parse(b"size=0").unwrap().pages, Some(None));
        assert_eq!(parse(b"size=50%").unwrap().pages, Some(Some(500)));
        assert_eq!(parse(b"nr_blocks=3k").unwrap().pages, Some(Some(3072)));
        assert_eq!(parse(b"mode=77777").unwrap().mode, Some(0o7777));
    }

    #[test]
    fn garbage_is_einval() {
        for bad in [
            &b"size"[..],
            b"size=",
            b"size=abc",
            b"size=1Q",
            b"mode=9",
            b"mode",
            b"uid=-1",
            b"uid=4294967295",
            b"gid=x",
            b"nr_inodes=1x",
            b"frobnicate",
            b"inode64=1",
            b"huge=always",
        ] {
            assert_eq!(
                parse(bad),
                Err(Errno::EINVAL),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
    }
}
