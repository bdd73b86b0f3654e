//! Capabilities (`include/uapi/linux/capability.h`, Linux 6.1 `kernel/capability.c` and
//! `security/commoncap.c`): the `CAP_*` numbers, the full set of Linux 6.1 (`CAP_LAST_CAP` =
//! 40, `CAP_CHECKPOINT_RESTORE`), the structs `capget` and `capset` copy (a header (version,
//! pid) and one (`_LINUX_CAPABILITY_VERSION_1`) or two (versions 2 and 3) data records of 32
//! bits of each set), a task's five sets and securebits ([`Capabilities`]), and the rules that
//! change them: `capset`, the uid-change fix-ups (`cap_emulate_setxuid`, the fsuid rule), exec
//! without file capabilities (`cap_bprm_creds_from_file` with `handle_privileged_root`), and
//! the prctl options (`PR_CAPBSET_*`, `PR_CAP_AMBIENT`, `PR_*_SECUREBITS`, `PR_*_KEEPCAPS`).
//!
//! No user namespaces and no file capabilities (Ferrux has no xattrs yet): "root" is uid 0.

use crate::errno::Errno;
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

/// `SECURE_NOROOT`, `SECURE_NO_SETUID_FIXUP`, `SECURE_KEEP_CAPS`, `SECURE_NO_CAP_AMBIENT_RAISE`
/// (bits 0, 2, 4, 6); each is locked by the bit above it.
pub const SECURE_NOROOT: u32 = 1 << 0;
pub const SECURE_NO_SETUID_FIXUP: u32 = 1 << 2;
pub const SECURE_KEEP_CAPS: u32 = 1 << 4;
pub const SECURE_KEEP_CAPS_LOCKED: u32 = 1 << 5;
pub const SECURE_NO_CAP_AMBIENT_RAISE: u32 = 1 << 6;
/// `SECURE_ALL_BITS` and `SECURE_ALL_LOCKS`.
pub const SECURE_ALL_BITS: u32 =
    SECURE_NOROOT | SECURE_NO_SETUID_FIXUP | SECURE_KEEP_CAPS | SECURE_NO_CAP_AMBIENT_RAISE;
pub const SECURE_ALL_LOCKS: u32 = SECURE_ALL_BITS << 1;

/// How many `CapUserData` records a header version means (`cap_validate_magic`); None for an
/// unknown version (the caller answers `EINVAL` after writing version 3 back).
pub fn words_for_version(version: u32) -> Option<usize> {
    match version {
        _LINUX_CAPABILITY_VERSION_1 => Some(1),
        _LINUX_CAPABILITY_VERSION_2 | _LINUX_CAPABILITY_VERSION_3 => Some(2),
        _ => None,
    }
}

/// A set of capabilities, bit `n` for capability `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapSet(pub u64);

impl CapSet {
    pub const EMPTY: CapSet = CapSet(0);
    /// Every capability 6.1 knows (`CAP_FULL_SET`).
    pub const FULL: CapSet = CapSet(CAP_FULL_SET);
    /// `CAP_FS_SET`: what follows the fsuid.
    pub const FS: CapSet = CapSet(
        1 << CAP_CHOWN
            | 1 << CAP_MKNOD
            | 1 << CAP_DAC_OVERRIDE
            | 1 << CAP_DAC_READ_SEARCH
            | 1 << CAP_FOWNER
            | 1 << CAP_FSETID
            | 1 << CAP_LINUX_IMMUTABLE
            | 1 << CAP_MAC_OVERRIDE,
    );

    /// Whether `cap` is a capability 6.1 knows (`cap_valid`).
    pub fn is_valid(cap: u64) -> bool {
        cap <= u64::from(CAP_LAST_CAP)
    }

    pub fn has(self, cap: u32) -> bool {
        cap <= CAP_LAST_CAP && self.0 & (1 << cap) != 0
    }

    pub fn with(self, cap: u32) -> CapSet {
        CapSet(self.0 | (1 << cap))
    }

    pub fn without(self, cap: u32) -> CapSet {
        CapSet(self.0 & !(1 << cap))
    }

    pub fn union(self, other: CapSet) -> CapSet {
        CapSet(self.0 | other.0)
    }

    pub fn intersect(self, other: CapSet) -> CapSet {
        CapSet(self.0 & other.0)
    }

    pub fn is_subset_of(self, other: CapSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The set from `words` (low word first), bits beyond `CAP_LAST_CAP` dropped and missing
    /// words zero.
    pub fn from_words(low: u32, high: u32) -> CapSet {
        CapSet((u64::from(high) << 32 | u64::from(low)) & CapSet::FULL.0)
    }
}

/// A task's capability state (`struct cred`'s `cap_*` and `securebits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub effective: CapSet,
    pub permitted: CapSet,
    pub inheritable: CapSet,
    pub bounding: CapSet,
    pub ambient: CapSet,
    pub securebits: u32,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::init()
    }
}

/// The ids a uid change goes from or to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub fs: u32,
}

impl Uids {
    fn has_root(&self) -> bool {
        self.real == 0 || self.effective == 0 || self.saved == 0
    }
}

/// What a caller asked `capset` for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapRequest {
    pub effective: CapSet,
    pub permitted: CapSet,
    pub inheritable: CapSet,
}

/// `PR_CAP_AMBIENT` sub-commands.
pub const PR_CAP_AMBIENT_IS_SET: u64 = 1;
pub const PR_CAP_AMBIENT_RAISE: u64 = 2;
pub const PR_CAP_AMBIENT_LOWER: u64 = 3;
pub const PR_CAP_AMBIENT_CLEAR_ALL: u64 = 4;

impl Capabilities {
    /// init's credentials (`init_cred`): everything but inheritable and ambient.
    pub const fn init() -> Capabilities {
        Capabilities {
            effective: CapSet::FULL,
            permitted: CapSet::FULL,
            inheritable: CapSet::EMPTY,
            bounding: CapSet::FULL,
            ambient: CapSet::EMPTY,
            securebits: 0,
        }
    }

    pub fn has(&self, cap: u32) -> bool {
        self.effective.has(cap)
    }

    fn is_secure(&self, bit: u32) -> bool {
        self.securebits & bit != 0
    }

    /// `cap_capset`: the new sets if the rules allow them (`EPERM`).
    pub fn capset(&self, request: CapRequest) -> Result<Capabilities, Errno> {
        let inheritable_limit = if self.has(CAP_SETPCAP) {
            CapSet::FULL
        } else {
            self.inheritable.union(self.permitted)
        };
        if !request.inheritable.is_subset_of(inheritable_limit)
            || !request
                .inheritable
                .is_subset_of(self.inheritable.union(self.bounding))
            || !request.permitted.is_subset_of(self.permitted)
            || !request.effective.is_subset_of(request.permitted)
        {
            return Err(Errno::EPERM);
        }
        Ok(Capabilities {
            effective: request.effective,
            permitted: request.permitted,
            inheritable: request.inheritable,
            ambient: self
                .ambient
                .intersect(request.permitted.intersect(request.inheritable)),
            ..*self
        })
    }

    /// `cap_task_fix_setuid` for setuid, setreuid and setresuid (`cap_emulate_setxuid`):
    /// leaving every root id loses the permitted and effective sets (unless
    /// `SECURE_KEEP_CAPS`) and the ambient set; the effective uid leaving 0 clears the
    /// effective set, coming back to 0 raises it to the permitted set.
    pub fn fix_setuid(&mut self, old: Uids, new: Uids) {
        if self.is_secure(SECURE_NO_SETUID_FIXUP) {
            return;
        }
        if old.has_root() && !new.has_root() {
            if !self.is_secure(SECURE_KEEP_CAPS) {
                self.permitted = CapSet::EMPTY;
                self.effective = CapSet::EMPTY;
            }
            self.ambient = CapSet::EMPTY;
        }
        if old.effective == 0 && new.effective != 0 {
            self.effective = CapSet::EMPTY;
        }
        if old.effective != 0 && new.effective == 0 {
            self.effective = self.permitted;
        }
    }

    /// `cap_task_fix_setuid` for setfsuid: the filesystem capabilities follow fsuid 0.
    pub fn fix_setfsuid(&mut self, old_fsuid: u32, new_fsuid: u32) {
        if self.is_secure(SECURE_NO_SETUID_FIXUP) {
            return;
        }
        if old_fsuid == 0 && new_fsuid != 0 {
            self.effective = CapSet(self.effective.0 & !CapSet::FS.0);
        }
        if old_fsuid != 0 && new_fsuid == 0 {
            self.effective = self.effective.union(self.permitted.intersect(CapSet::FS));
        }
    }

    /// The sets after an exec (`cap_bprm_creds_from_file` without file capabilities):
    /// `new` are the ids the new image runs with, `is_setid` whether a set-id bit changed
    /// them, `lose_gains` whether it may not gain privilege (no_new_privs: the permitted set
    /// is capped by the old one). Root (real or effective uid 0, unless `SECURE_NOROOT`) gets
    /// the bounding and inheritable sets as permitted, and with effective uid 0 as effective;
    /// others keep only the ambient set, which a set-id exec clears. `SECURE_KEEP_CAPS` goes.
    pub fn exec(&self, new: Uids, is_setid: bool, lose_gains: bool) -> Capabilities {
        let mut permitted = CapSet::EMPTY;
        let mut is_effective = false;
        if !self.is_secure(SECURE_NOROOT) {
            if new.effective == 0 || new.real == 0 {
                permitted = self.bounding.union(self.inheritable);
            }
            is_effective = new.effective == 0;
        }
        if lose_gains && !permitted.is_subset_of(self.permitted) {
            permitted = permitted.intersect(self.permitted);
        }
        let ambient = if is_setid {
            CapSet::EMPTY
        } else {
            self.ambient
        };
        let permitted = permitted.union(ambient);
        Capabilities {
            effective: if is_effective { permitted } else { ambient },
            permitted,
            inheritable: self.inheritable,
            bounding: self.bounding,
            ambient,
            securebits: self.securebits & !SECURE_KEEP_CAPS,
        }
    }

    /// `PR_CAPBSET_DROP` (`cap_prctl_drop`): needs `CAP_SETPCAP` (`EPERM`), then a valid
    /// capability (`EINVAL`).
    pub fn drop_bounding(&mut self, cap: u64) -> Result<(), Errno> {
        if !self.has(CAP_SETPCAP) {
            return Err(Errno::EPERM);
        }
        if !CapSet::is_valid(cap) {
            return Err(Errno::EINVAL);
        }
        self.bounding = self.bounding.without(cap as u32);
        Ok(())
    }

    /// `PR_CAP_AMBIENT`: the value for `IS_SET`, 0 for the others.
    pub fn ambient_op(&mut self, op: u64, cap: u64, arg4: u64, arg5: u64) -> Result<usize, Errno> {
        if op == PR_CAP_AMBIENT_CLEAR_ALL {
            if cap | arg4 | arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            self.ambient = CapSet::EMPTY;
            return Ok(0);
        }
        if !CapSet::is_valid(cap) || arg4 | arg5 != 0 {
            return Err(Errno::EINVAL);
        }
        let cap = cap as u32;
        match op {
            PR_CAP_AMBIENT_IS_SET => Ok(usize::from(self.ambient.has(cap))),
            PR_CAP_AMBIENT_RAISE => {
                if !self.permitted.has(cap)
                    || !self.inheritable.has(cap)
                    || self.is_secure(SECURE_NO_CAP_AMBIENT_RAISE)
                {
                    return Err(Errno::EPERM);
                }
                self.ambient = self.ambient.with(cap);
                Ok(0)
            }
            PR_CAP_AMBIENT_LOWER => {
                self.ambient = self.ambient.without(cap);
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `PR_SET_SECUREBITS`: locked bits cannot change, locks cannot be undone, no unknown
    /// bits, and it needs `CAP_SETPCAP` — all `EPERM`.
    pub fn set_securebits(&mut self, bits: u64) -> Result<(), Errno> {
        let old = u64::from(self.securebits);
        let locks = old & u64::from(SECURE_ALL_LOCKS);
        if (locks >> 1) & (old ^ bits) != 0
            || locks & !bits != 0
            || bits & !u64::from(SECURE_ALL_LOCKS | SECURE_ALL_BITS) != 0
            || !self.has(CAP_SETPCAP)
        {
            return Err(Errno::EPERM);
        }
        self.securebits = bits as u32;
        Ok(())
    }

    /// `PR_GET_KEEPCAPS`.
    pub fn keep_caps(&self) -> bool {
        self.is_secure(SECURE_KEEP_CAPS)
    }

    /// `PR_SET_KEEPCAPS`: 0 or 1 (`EINVAL`), not when locked (`EPERM`).
    pub fn set_keep_caps(&mut self, value: u64) -> Result<(), Errno> {
        if value > 1 {
            return Err(Errno::EINVAL);
        }
        if self.is_secure(SECURE_KEEP_CAPS_LOCKED) {
            return Err(Errno::EPERM);
        }
        if value == 1 {
            self.securebits |= SECURE_KEEP_CAPS;
        } else {
            self.securebits &= !SECURE_KEEP_CAPS;
        }
        Ok(())
    }
}

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

    fn uids(real: u32, effective: u32, saved: u32) -> Uids {
        Uids {
            real,
            effective,
            saved,
            fs: effective,
        }
    }

    #[test]
    fn sets_and_versions() {
        assert_eq!(CapSet::FULL.0, 0x1ff_ffff_ffff);
        assert_eq!(CapSet::from_words(u32::MAX, u32::MAX), CapSet::FULL);
        assert_eq!(words_for_version(0x1998_0330), Some(1));
        assert_eq!(words_for_version(0x2007_1026), Some(2));
        assert_eq!(words_for_version(0x2008_0522), Some(2));
        assert_eq!(words_for_version(0), None);
        assert!(CapSet::is_valid(40) && !CapSet::is_valid(41));
    }

    #[test]
    fn capset_rules() {
        let root = Capabilities::init();
        let dropped = root
            .capset(CapRequest {
                effective: CapSet::EMPTY.with(CAP_CHOWN),
                permitted: CapSet::EMPTY.with(CAP_CHOWN).with(CAP_KILL),
                inheritable: CapSet::EMPTY.with(CAP_KILL),
            })
            .unwrap();
        assert!(dropped.has(CAP_CHOWN) && !dropped.has(CAP_KILL));
        // Permitted cannot grow; effective must be within the new permitted.
        let more = CapRequest {
            effective: CapSet::EMPTY,
            permitted: CapSet::EMPTY.with(CAP_SETUID),
            inheritable: CapSet::EMPTY,
        };
        assert_eq!(dropped.capset(more), Err(Errno::EPERM));
        let outside = CapRequest {
            effective: CapSet::EMPTY.with(CAP_KILL).with(CAP_CHOWN),
            permitted: CapSet::EMPTY.with(CAP_CHOWN),
            inheritable: CapSet::EMPTY,
        };
        assert_eq!(dropped.capset(outside), Err(Errno::EPERM));
        // Without CAP_SETPCAP the inheritable set stays within inheritable | permitted.
        let inherit = CapRequest {
            effective: CapSet::EMPTY,
            permitted: CapSet::EMPTY,
            inheritable: CapSet::EMPTY.with(CAP_SYS_ADMIN),
        };
        assert_eq!(dropped.capset(inherit), Err(Errno::EPERM));
        // With it, anything in the bounding set.
        let mut with_setpcap = root;
        with_setpcap.permitted = CapSet::EMPTY.with(CAP_SETPCAP);
        with_setpcap.effective = with_setpcap.permitted;
        assert!(with_setpcap.capset(inherit).is_ok());
        with_setpcap.bounding = CapSet::EMPTY;
        assert_eq!(with_setpcap.capset(inherit), Err(Errno::EPERM));
    }

    #[test]
    fn ambient_follows_permitted_and_inheritable() {
        let mut caps = Capabilities::init();
        caps.inheritable = CapSet::EMPTY.with(CAP_KILL);
        assert_eq!(caps.ambient_op(PR_CAP_AMBIENT_RAISE, 5, 0, 0), Ok(0));
        assert_eq!(
            caps.ambient_op(PR_CAP_AMBIENT_RAISE, 0, 0, 0),
            Err(Errno::EPERM)
        );
        assert_eq!(caps.ambient_op(PR_CAP_AMBIENT_IS_SET, 5, 0, 0), Ok(1));
        assert_eq!(
            caps.ambient_op(PR_CAP_AMBIENT_IS_SET, 41, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            caps.ambient_op(PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(caps.ambient_op(9, 5, 0, 0), Err(Errno::EINVAL));
        // capset removing it from inheritable removes it from ambient.
        let after = caps
            .capset(CapRequest {
                effective: caps.effective,
                permitted: caps.permitted,
                inheritable: CapSet::EMPTY,
            })
            .unwrap();
        assert_eq!(after.ambient, CapSet::EMPTY);
        // A non-root exec keeps ambient as permitted and effective.
        let next = caps.exec(uids(1000, 1000, 1000), false, false);
        assert_eq!(next.permitted, CapSet::EMPTY.with(CAP_KILL));
        assert_eq!(next.effective, CapSet::EMPTY.with(CAP_KILL));
        // A set-id one drops it.
        let next = caps.exec(uids(1000, 0, 0), true, false);
        assert_eq!(next.ambient, CapSet::EMPTY);
        assert_eq!(next.effective, CapSet::FULL);
    }

    #[test]
    fn uid_changes() {
        let mut caps = Capabilities::init();
        caps.fix_setuid(uids(0, 0, 0), uids(0, 1000, 0));
        assert_eq!(caps.effective, CapSet::EMPTY);
        assert_eq!(caps.permitted, CapSet::FULL);
        caps.fix_setuid(uids(0, 1000, 0), uids(0, 0, 0));
        assert_eq!(caps.effective, CapSet::FULL);
        caps.fix_setuid(uids(0, 0, 0), uids(1000, 1000, 1000));
        assert_eq!(caps.permitted, CapSet::EMPTY);
        // SECURE_KEEP_CAPS keeps permitted (effective still goes with the euid).
        let mut kept = Capabilities::init();
        kept.set_keep_caps(1).unwrap();
        kept.fix_setuid(uids(0, 0, 0), uids(1000, 1000, 1000));
        assert_eq!(kept.permitted, CapSet::FULL);
        assert_eq!(kept.effective, CapSet::EMPTY);
        // fsuid.
        let mut fs = Capabilities::init();
        fs.fix_setfsuid(0, 1000);
        assert!(!fs.has(CAP_DAC_OVERRIDE) && !fs.has(CAP_CHOWN) && fs.has(CAP_KILL));
        fs.fix_setfsuid(1000, 0);
        assert_eq!(fs.effective, CapSet::FULL);
    }

    #[test]
    fn exec_of_root_and_others() {
        let caps = Capabilities::init();
        let mut bounded = caps;
        bounded.bounding = CapSet::FULL.without(CAP_SYS_ADMIN);
        let next = bounded.exec(uids(0, 0, 0), false, false);
        assert_eq!(next.permitted, CapSet::FULL.without(CAP_SYS_ADMIN));
        assert_eq!(next.effective, next.permitted);
        // Real uid 0 only: permitted, not effective.
        let next = caps.exec(uids(0, 1000, 1000), false, false);
        assert_eq!(next.permitted, CapSet::FULL);
        assert_eq!(next.effective, CapSet::EMPTY);
        let next = caps.exec(uids(1000, 1000, 1000), false, false);
        assert_eq!(next.permitted, CapSet::EMPTY);
        // no_new_privs: a set-uid-root exec gains nothing.
        let mut user = caps.exec(uids(1000, 1000, 1000), false, false);
        user.securebits = SECURE_KEEP_CAPS;
        let next = user.exec(uids(1000, 0, 0), true, true);
        assert_eq!(next.permitted, CapSet::EMPTY);
        assert_eq!(next.securebits, 0);
    }

    #[test]
    fn securebits_and_bounding() {
        let mut caps = Capabilities::init();
        assert_eq!(caps.drop_bounding(41), Err(Errno::EINVAL));
        caps.drop_bounding(u64::from(CAP_SYS_ADMIN)).unwrap();
        assert!(!caps.bounding.has(CAP_SYS_ADMIN));
        caps.set_securebits(u64::from(SECURE_KEEP_CAPS | SECURE_KEEP_CAPS_LOCKED))
            .unwrap();
        assert_eq!(caps.set_keep_caps(0), Err(Errno::EPERM));
        assert_eq!(caps.set_securebits(0), Err(Errno::EPERM));
        assert_eq!(caps.set_securebits(1 << 8), Err(Errno::EPERM));
        caps.effective = CapSet::EMPTY;
        assert_eq!(caps.drop_bounding(0), Err(Errno::EPERM));
        assert_eq!(caps.set_keep_caps(2), Err(Errno::EINVAL));
    }
}
