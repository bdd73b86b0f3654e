//! System V IPC constants and structures (`include/uapi/linux/ipc.h`, `shm.h`, `sem.h`,
//! `msg.h`, `arch/x86/include/uapi/asm/{shmbuf,sembuf,msgbuf}.h`,
//! `include/uapi/asm-generic/ipcbuf.h`) and POSIX message queues' (`include/uapi/linux/mqueue.h`),
//! which linux-raw-sys does not carry.

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
/// Do not wait (semop, msgsnd, msgrcv).
pub const IPC_NOWAIT: i32 = 0o4000;
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

/// `semop` flag: undo the operation when the process exits.
pub const SEM_UNDO: i16 = 0x1000;
/// `semctl` commands.
pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_STAT: i32 = 18;
pub const SEM_INFO: i32 = 19;
pub const SEM_STAT_ANY: i32 = 20;
/// Most semaphores per set (`SEMMSL`).
pub const SEMMSL: i32 = 32000;
/// Most sets (`SEMMNI`).
pub const SEMMNI: i32 = 32000;
/// Most semaphores in all sets (`SEMMNS`).
pub const SEMMNS: i32 = SEMMNI * SEMMSL;
/// Most operations per semop call (`SEMOPM`).
pub const SEMOPM: i32 = 500;
/// Largest semaphore value (`SEMVMX`).
pub const SEMVMX: i32 = 32767;
/// Largest undo adjustment (`SEMAEM`).
pub const SEMAEM: i32 = SEMVMX;
/// `IPC_INFO`'s fixed fields (`SEMMAP`, `SEMMNU`, `SEMUME`, `SEMUSZ`).
pub const SEMMAP: i32 = SEMMNS;
pub const SEMMNU: i32 = SEMMNS;
pub const SEMUME: i32 = SEMOPM;
pub const SEMUSZ: i32 = 20;

/// `struct sembuf`: one semaphore operation.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SemBuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}

/// `struct semid64_ds` on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SemidDs {
    pub perm: Ipc64Perm,
    pub otime: i64,
    pub unused1: u64,
    pub ctime: i64,
    pub unused2: u64,
    pub nsems: u64,
    pub unused3: u64,
    pub unused4: u64,
}

/// `struct seminfo` (`IPC_INFO`, `SEM_INFO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SemInfo {
    pub semmap: i32,
    pub semmni: i32,
    pub semmns: i32,
    pub semmnu: i32,
    pub semmsl: i32,
    pub semopm: i32,
    pub semume: i32,
    pub semusz: i32,
    pub semvmx: i32,
    pub semaem: i32,
}

/// `msgrcv` flags.
pub const MSG_NOERROR: i32 = 0o10000;
pub const MSG_EXCEPT: i32 = 0o20000;
pub const MSG_COPY: i32 = 0o40000;
/// `msgctl` commands.
pub const MSG_STAT: i32 = 11;
pub const MSG_INFO: i32 = 12;
pub const MSG_STAT_ANY: i32 = 13;
/// Default limits (`MSGMNI`, `MSGMAX`, `MSGMNB`) and `IPC_INFO`'s fixed fields.
pub const MSGMNI: i32 = 32000;
pub const MSGMAX: i32 = 8192;
pub const MSGMNB: i32 = 16384;
pub const MSGPOOL: i32 = MSGMNI * MSGMNB / 1024;
pub const MSGTQL: i32 = MSGMNB;
pub const MSGMAP: i32 = MSGMNB;
pub const MSGSSZ: i32 = 16;
pub const MSGSEG: u16 = 0xffff;

/// `struct msqid64_ds` on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct MsqidDs {
    pub perm: Ipc64Perm,
    pub stime: i64,
    pub rtime: i64,
    pub ctime: i64,
    pub cbytes: u64,
    pub qnum: u64,
    pub qbytes: u64,
    pub lspid: i32,
    pub lrpid: i32,
    pub unused4: u64,
    pub unused5: u64,
}

/// `struct msginfo` (`IPC_INFO`, `MSG_INFO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct MsgInfo {
    pub msgpool: i32,
    pub msgmap: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    pub msgssz: i32,
    pub msgtql: i32,
    pub msgseg: u16,
    pub pad: u16,
}

/// `struct mq_attr`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct MqAttr {
    pub mq_flags: i64,
    pub mq_maxmsg: i64,
    pub mq_msgsize: i64,
    pub mq_curmsgs: i64,
    pub reserved: [i64; 4],
}

/// Most priorities (`MQ_PRIO_MAX`).
pub const MQ_PRIO_MAX: u32 = 32768;
/// `fs.mqueue` defaults and hard limits (`DFLT_QUEUESMAX`, `DFLT_MSG`, `DFLT_MSGMAX`,
/// `HARD_MSGMAX`, `DFLT_MSGSIZE`, `DFLT_MSGSIZEMAX`, `HARD_MSGSIZEMAX`, `MIN_MSGMAX`,
/// `MIN_MSGSIZEMAX`, `HARD_QUEUESMAX`).
pub const DFLT_QUEUESMAX: u32 = 256;
pub const DFLT_MSG: u32 = 10;
pub const DFLT_MSGMAX: u32 = 10;
pub const HARD_MSGMAX: u32 = 65536;
pub const MIN_MSGMAX: u32 = 1;
pub const DFLT_MSGSIZE: u32 = 8192;
pub const DFLT_MSGSIZEMAX: u32 = 8192;
pub const HARD_MSGSIZEMAX: u32 = 16 * 1024 * 1024;
pub const MIN_MSGSIZEMAX: u32 = 128;
pub const HARD_QUEUESMAX: u32 = 1024;
/// `si_code` of a message-queue notification.
pub const SI_MESGQ: i32 = -3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_linux_x86_64() {
        assert_eq!(core::mem::size_of::<Ipc64Perm>(), 48);
        assert_eq!(core::mem::size_of::<ShmidDs>(), 112);
        assert_eq!(core::mem::size_of::<ShmInfo64>(), 72);
        assert_eq!(core::mem::size_of::<ShmUsage>(), 48);
        assert_eq!(core::mem::size_of::<SemBuf>(), 6);
        assert_eq!(core::mem::size_of::<SemidDs>(), 104);
        assert_eq!(core::mem::size_of::<SemInfo>(), 40);
        assert_eq!(core::mem::size_of::<MsqidDs>(), 120);
        assert_eq!(core::mem::size_of::<MsgInfo>(), 32);
        assert_eq!(core::mem::size_of::<MqAttr>(), 64);
    }
}
