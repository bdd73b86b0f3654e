//! tmpfs mount options (Linux's `shmem_parse_one` and `shmem_options`): the size and inode
//! limits, the root directory's mode and owner, the device number and the atime policy. The
//! limits are enforced by the instance's accounting in [`super::superblock`].

/// When reads update the access time (the mount's `strictatime`/`relatime`/`noatime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AtimePolicy {
    /// Update when atime is not after mtime or ctime, or is a day old (Linux's default).
    #[default]
    Relatime,
    /// Update on every access.
    Strict,
    /// Never update.
    NoAtime,
}

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
    /// Access-time policy.
    pub atime: AtimePolicy,
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
            atime: AtimePolicy::Relatime,
        }
    }
}
