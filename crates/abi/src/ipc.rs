//! System V IPC constants and structures for shared memory (`include/uapi/linux/ipc.h`,
//! `include/uapi/linux/shm.h`, `arch/x86/include/uapi/asm/shmbuf.h`,
//! `include/uapi/asm-generic/ipcbuf.h`), which linux-raw-sys does not carry.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The key that always makes a new object.
pub const IPC_PRIVATE: i32 = 0;
/// Create the object if the key has none.
pub const IPC_CREAT: i32 = 0o1000;
/// With `IPC_CREAT`: fail if the key has one.
pub const IPC_EXCL: i32 = 0o2000;
/// Remove the object.
pub const IPC_RMID: i32 = 0;
/// Set owner and mode.
pub const IPC_SET: i32 = 1;
/// Read the object's state.
pub const IPC_STAT: i32 = 2;
/// Read the system limits.
pub const IPC_INFO: i32 = 3;
/// The "new" (64-bit) structure layouts, or-ed into commands by old C libraries.
pub const IPC_64: i32 = 0x100;

/// Attach read-only.
pub const SHM_RDONLY: i32 = 0o10000;
/// Round the attach address down to `SHMLBA`.
pub const SHM_RND: i32 = 0o20000;
/// Replace mappings at the attach address.
pub const SHM_REMAP: i32 = 0o40000;
/// Attach executable.
pub const SHM_EXEC: i32 = 0o100000;
/// `shmctl`: lock the segment in memory.
pub const SHM_LOCK: i32 = 11;
/// `shmctl`: unlock it.
pub const SHM_UNLOCK: i32 = 12;
/// `shmctl`: `IPC_STAT` by index.
pub const SHM_STAT: i32 = 13;
/// `shmctl`: usage summary.
pub const SHM_INFO: i32 = 14;
/// `shmctl`: `SHM_STAT` without the read-permission check.
pub const SHM_STAT_ANY: i32 = 15;
/// Mode bit: removed, destroyed when the last attachment goes.
pub const SHM_DEST: u32 = 0o1000;
/// Mode bit: locked in memory.
pub const SHM_LOCKED: u32 = 0o2000;
/// `shmget` flag: huge pages (not supported here).
pub const SHM_HUGETLB: i32 = 0o4000;

/// Attach-address alignment (x86-64: a page).
pub const SHMLBA: u64 = 4096;
/// Smallest segment.
pub const SHMMIN: u64 = 1;
/// Most segments.
pub const SHMMNI: u64 = 4096;
/// Largest segment (`ULONG_MAX - 2^24`).
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
/// Most pages in all segments.
pub const SHMALL: u64 = u64::MAX - (1 << 24);

/// `struct ipc64_perm` on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Ipc64Perm {
    /// The key.
    pub key: i32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Creator.
    pub cuid: u32,
    /// Creator's group.
    pub cgid: u32,
    /// Permission bits and the `SHM_DEST`/`SHM_LOCKED` state bits.
    pub mode: u32,
    /// Sequence number of the slot.
    pub seq: u16,
    /// Padding.
    pub pad2: u16,
    /// Padding to 8 bytes.
    pub pad3: u32,
    /// Unused.
    pub unused1: u64,
    /// Unused.
    pub unused2: u64,
}

/// `struct shmid64_ds` on x86-64 (`IPC_STAT`, `IPC_SET`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ShmidDs {
    /// Ownership and mode.
    pub perm: Ipc64Perm,
    /// Size in bytes.
    pub segsz: u64,
    /// Last attach.
    pub atime: i64,
    /// Last detach.
    pub dtime: i64,
    /// Last change.
    pub ctime: i64,
    /// Creator.
    pub cpid: i32,
    /// Last attach or detach.
    pub lpid: i32,
    /// Attachments.
    pub nattch: u64,
    /// Unused.
    pub unused4: u64,
    /// Unused.
    pub unused5: u64,
}

/// `struct shminfo64` (`IPC_INFO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ShmInfo64 {
    /// Largest segment.
    pub shmmax: u64,
    /// Smallest segment.
    pub shmmin: u64,
    /// Most segments.
    pub shmmni: u64,
    /// Most attachments per process.
    pub shmseg: u64,
    /// Most pages in all segments.
    pub shmall: u64,
    /// Unused.
    pub unused: [u64; 4],
}

/// `struct shm_info` (`SHM_INFO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ShmUsage {
    /// Segments in use.
    pub used_ids: i32,
    /// Padding.
    pub pad: u32,
    /// Pages in all segments.
    pub shm_tot: u64,
    /// Resident pages.
    pub shm_rss: u64,
    /// Swapped pages.
    pub shm_swp: u64,
    /// Unused.
    pub swap_attempts: u64,
    /// Unused.
    pub swap_successes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_linux_x86_64() {
        assert_eq!(core::mem::size_of::<Ipc64Perm>(), 48);
        assert_eq!(core::mem::size_of::<ShmidDs>(), 112);
        assert_eq!(core::mem::size_of::<ShmInfo64>(), 72);
        assert_eq!(core::mem::size_of::<ShmUsage>(), 48);
    }
}
