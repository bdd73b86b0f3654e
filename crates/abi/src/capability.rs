//! Capabilities (`include/uapi/linux/capability.h`): the `CAP_*` numbers, the full set of
//! Linux 6.1 (`CAP_LAST_CAP` = 40, `CAP_CHECKPOINT_RESTORE`), and the structs `capget` and
//! `capset` copy: a header (version, pid) and one (`_LINUX_CAPABILITY_VERSION_1`) or two
//! (versions 2 and 3) data records of 32 bits of each set.

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub use raw::{
    _LINUX_CAPABILITY_VERSION_1, _LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3,
    CAP_AUDIT_CONTROL, CAP_AUDIT_READ, CAP_AUDIT_WRITE, CAP_BLOCK_SUSPEND, CAP_BPF,
    CAP_CHECKPOINT_RESTORE, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
    CAP_FSETID, CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_KILL, CAP_LAST_CAP, CAP_LEASE,
    CAP_LINUX_IMMUTABLE, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_MKNOD, CAP_NET_ADMIN,
    CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_RAW, CAP_PERFMON, CAP_SETFCAP, CAP_SETGID,
    CAP_SETPCAP, CAP_SETUID, CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_CHROOT, CAP_SYS_MODULE,
    CAP_SYS_NICE, CAP_SYS_PACCT, CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_SYS_TIME,
    CAP_SYS_TTY_CONFIG, CAP_SYSLOG, CAP_WAKE_ALARM,
};

/// Every capability Linux 6.1 knows (`CAP_FULL_SET`), as a 64-bit set.
pub const CAP_FULL_SET: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;

/// The bit of capability `cap` in a 64-bit set (`CAP_TO_MASK` over both words).
pub const fn cap_bit(cap: u32) -> u64 {
    1 << cap
}

/// `struct __user_cap_header_struct`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CapUserHeader {
    /// `_LINUX_CAPABILITY_VERSION_*`.
    pub version: u32,
    /// The target (0: the caller).
    pub pid: i32,
}

assert_same_layout!(CapUserHeader, raw::__user_cap_header_struct, {
    version => version,
    pid => pid,
});

/// `struct __user_cap_data_struct`: 32 bits of each set.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CapUserData {
    pub effective: u32,
    pub permitted: u32,
    pub inheritable: u32,
}

assert_same_layout!(CapUserData, raw::__user_cap_data_struct, {
    effective => effective,
    permitted => permitted,
    inheritable => inheritable,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_set_has_41_capabilities() {
        assert_eq!(CAP_FULL_SET, 0x1ff_ffff_ffff);
        assert_eq!(CAP_FULL_SET >> 32, 0x1ff);
        assert_eq!(cap_bit(CAP_SYSLOG), 1 << 34);
        assert_eq!(_LINUX_CAPABILITY_VERSION_3, 0x2008_0522);
        assert_eq!(_LINUX_CAPABILITY_VERSION_1, 0x1998_0330);
        assert_eq!(_LINUX_CAPABILITY_VERSION_2, 0x2007_1026);
    }
}
