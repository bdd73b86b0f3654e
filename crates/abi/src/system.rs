//! System information structs: `struct new_utsname` (`uname`), `struct sysinfo` (`sysinfo`) and
//! `struct rlimit` (`getrlimit`, `setrlimit`, `prlimit64`).

use linux_raw_sys::{general, system};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Length of each `utsname` field, including the terminating NUL (`__NEW_UTS_LEN + 1`).
pub const UTSNAME_FIELD_LEN: usize = system::__NEW_UTS_LEN as usize + 1;

/// `struct new_utsname`: six NUL-terminated strings of 65 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Utsname {
    /// Operating system name (`"Linux"`).
    pub sysname: [u8; UTSNAME_FIELD_LEN],
    /// Host name.
    pub nodename: [u8; UTSNAME_FIELD_LEN],
    /// Kernel release.
    pub release: [u8; UTSNAME_FIELD_LEN],
    /// Kernel version string.
    pub version: [u8; UTSNAME_FIELD_LEN],
    /// Hardware name (`"x86_64"`).
    pub machine: [u8; UTSNAME_FIELD_LEN],
    /// NIS domain name (`"(none)"` by default).
    pub domainname: [u8; UTSNAME_FIELD_LEN],
}

assert_same_layout!(Utsname, system::new_utsname, {
    sysname => sysname,
    nodename => nodename,
    release => release,
    version => version,
    machine => machine,
    domainname => domainname,
});

impl Default for Utsname {
    fn default() -> Self {
        Utsname::new_zeroed()
    }
}

impl Utsname {
    /// Stores `value` in a field, truncated to 64 bytes and NUL-padded, as Linux keeps them.
    pub fn set_field(field: &mut [u8; UTSNAME_FIELD_LEN], value: &[u8]) {
        let len = value.len().min(UTSNAME_FIELD_LEN - 1);
        field.fill(0);
        field[..len].copy_from_slice(&value[..len]);
    }

    /// The bytes of a field before its first NUL.
    pub fn field_bytes(field: &[u8; UTSNAME_FIELD_LEN]) -> &[u8] {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        &field[..end]
    }
}

/// `struct sysinfo` on x86-64 (112 bytes; the padding that C leaves implicit is named here).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages, scaled by `1 << SI_LOAD_SHIFT`.
    pub loads: [u64; 3],
    /// Total usable memory, in `mem_unit`s.
    pub totalram: u64,
    /// Free memory.
    pub freeram: u64,
    /// Shared memory.
    pub sharedram: u64,
    /// Memory used by buffers.
    pub bufferram: u64,
    /// Total swap.
    pub totalswap: u64,
    /// Free swap.
    pub freeswap: u64,
    /// Number of processes.
    pub procs: u16,
    /// Padding (`pad`).
    pub pad: u16,
    /// Implicit padding before `totalhigh`.
    pub pad_high: u32,
    /// Total high memory (0 on x86-64).
    pub totalhigh: u64,
    /// Free high memory.
    pub freehigh: u64,
    /// Size of the memory unit in bytes.
    pub mem_unit: u32,
    /// `_f` and trailing padding.
    pub reserved: [u8; 4],
}

assert_same_layout!(Sysinfo, system::sysinfo, {
    uptime => uptime,
    loads => loads,
    totalram => totalram,
    freeram => freeram,
    sharedram => sharedram,
    bufferram => bufferram,
    totalswap => totalswap,
    freeswap => freeswap,
    procs => procs,
    pad => pad,
    totalhigh => totalhigh,
    freehigh => freehigh,
    mem_unit => mem_unit,
    reserved => _f,
});

/// Load averages in [`Sysinfo::loads`] are fixed-point with this many fraction bits.
pub const SI_LOAD_SHIFT: u32 = system::SI_LOAD_SHIFT;

/// `struct rlimit` (and `struct rlimit64`, which is identical on x86-64).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Rlimit {
    /// Soft limit.
    pub rlim_cur: u64,
    /// Hard limit.
    pub rlim_max: u64,
}

assert_same_layout!(Rlimit, general::rlimit, { rlim_cur => rlim_cur, rlim_max => rlim_max });
assert_same_layout!(Rlimit, general::rlimit64, { rlim_cur => rlim_cur, rlim_max => rlim_max });

impl Rlimit {
    /// No limit (`RLIM_INFINITY`, all ones).
    pub const INFINITY: u64 = u64::MAX;
}

/// The resource numbers (`RLIMIT_*`) and their count.
pub mod resource {
    use linux_raw_sys::general as raw;

    pub const RLIMIT_CPU: u32 = raw::RLIMIT_CPU;
    pub const RLIMIT_FSIZE: u32 = raw::RLIMIT_FSIZE;
    pub const RLIMIT_DATA: u32 = raw::RLIMIT_DATA;
    pub const RLIMIT_STACK: u32 = raw::RLIMIT_STACK;
    pub const RLIMIT_CORE: u32 = raw::RLIMIT_CORE;
    pub const RLIMIT_RSS: u32 = raw::RLIMIT_RSS;
    pub const RLIMIT_NPROC: u32 = raw::RLIMIT_NPROC;
    pub const RLIMIT_NOFILE: u32 = raw::RLIMIT_NOFILE;
    pub const RLIMIT_MEMLOCK: u32 = raw::RLIMIT_MEMLOCK;
    pub const RLIMIT_AS: u32 = raw::RLIMIT_AS;
    pub const RLIMIT_LOCKS: u32 = raw::RLIMIT_LOCKS;
    pub const RLIMIT_SIGPENDING: u32 = raw::RLIMIT_SIGPENDING;
    pub const RLIMIT_MSGQUEUE: u32 = raw::RLIMIT_MSGQUEUE;
    pub const RLIMIT_NICE: u32 = raw::RLIMIT_NICE;
    pub const RLIMIT_RTPRIO: u32 = raw::RLIMIT_RTPRIO;
    pub const RLIMIT_RTTIME: u32 = raw::RLIMIT_RTTIME;
    /// Number of resources (`RLIM_NLIMITS`).
    pub const RLIM_NLIMITS: u32 = raw::RLIM_NLIMITS;
}

const _: () = assert!(general::RLIM_INFINITY as i64 as u64 == Rlimit::INFINITY);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn sizes() {
        assert_eq!(size_of::<Utsname>(), 6 * 65);
        assert_eq!(size_of::<Sysinfo>(), 112);
        assert_eq!(offset_of!(Sysinfo, procs), 80);
        assert_eq!(offset_of!(Sysinfo, totalhigh), 88);
        assert_eq!(offset_of!(Sysinfo, mem_unit), 104);
        assert_eq!(size_of::<Rlimit>(), 16);
    }

    #[test]
    fn utsname_fields_are_truncated_and_terminated() {
        let mut uts = Utsname::default();
        Utsname::set_field(&mut uts.sysname, b"Linux");
        Utsname::set_field(&mut uts.nodename, &[b'h'; 100]);
        assert_eq!(Utsname::field_bytes(&uts.sysname), b"Linux");
        assert_eq!(Utsname::field_bytes(&uts.nodename).len(), 64);
        assert_eq!(uts.nodename[64], 0);
        assert_eq!(&uts.as_bytes()[..6], b"Linux\0");
        Utsname::set_field(&mut uts.nodename, b"x");
        assert_eq!(Utsname::field_bytes(&uts.nodename), b"x");
    }
}
