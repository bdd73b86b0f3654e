//! `prctl` options (`include/uapi/linux/prctl.h`) and `arch_prctl` codes
//! (`arch/x86/include/uapi/asm/prctl.h`). Unknown options and codes answer `EINVAL`.

use linux_raw_sys::prctl as raw;

/// Set the parent-death signal.
pub const PR_SET_PDEATHSIG: i32 = raw::PR_SET_PDEATHSIG as i32;
/// Get the parent-death signal.
pub const PR_GET_PDEATHSIG: i32 = raw::PR_GET_PDEATHSIG as i32;
/// Get the dumpable flag.
pub const PR_GET_DUMPABLE: i32 = raw::PR_GET_DUMPABLE as i32;
/// Set the dumpable flag.
pub const PR_SET_DUMPABLE: i32 = raw::PR_SET_DUMPABLE as i32;
/// Get the keep-capabilities flag.
pub const PR_GET_KEEPCAPS: i32 = raw::PR_GET_KEEPCAPS as i32;
/// Set the keep-capabilities flag.
pub const PR_SET_KEEPCAPS: i32 = raw::PR_SET_KEEPCAPS as i32;
/// Set the thread's name (`comm`).
pub const PR_SET_NAME: i32 = raw::PR_SET_NAME as i32;
/// Get the thread's name.
pub const PR_GET_NAME: i32 = raw::PR_GET_NAME as i32;
/// Make the process a child subreaper.
pub const PR_SET_CHILD_SUBREAPER: i32 = raw::PR_SET_CHILD_SUBREAPER as i32;
/// Get the child-subreaper flag.
pub const PR_GET_CHILD_SUBREAPER: i32 = raw::PR_GET_CHILD_SUBREAPER as i32;
/// Set no-new-privileges (one way).
pub const PR_SET_NO_NEW_PRIVS: i32 = raw::PR_SET_NO_NEW_PRIVS as i32;
/// Get no-new-privileges.
pub const PR_GET_NO_NEW_PRIVS: i32 = raw::PR_GET_NO_NEW_PRIVS as i32;
/// Whether a capability is in the bounding set.
pub const PR_CAPBSET_READ: i32 = raw::PR_CAPBSET_READ as i32;
/// Drop a capability from the bounding set.
pub const PR_CAPBSET_DROP: i32 = raw::PR_CAPBSET_DROP as i32;
/// Get the securebits.
pub const PR_GET_SECUREBITS: i32 = raw::PR_GET_SECUREBITS as i32;
/// Set the securebits.
pub const PR_SET_SECUREBITS: i32 = raw::PR_SET_SECUREBITS as i32;
/// The ambient capability set (`PR_CAP_AMBIENT_*` in arg2).
pub const PR_CAP_AMBIENT: i32 = raw::PR_CAP_AMBIENT as i32;

/// `arch_prctl`: set the GS base.
pub const ARCH_SET_GS: i32 = 0x1001;
/// `arch_prctl`: set the FS base.
pub const ARCH_SET_FS: i32 = linux_raw_sys::general::ARCH_SET_FS as i32;
/// `arch_prctl`: get the FS base.
pub const ARCH_GET_FS: i32 = 0x1003;
/// `arch_prctl`: get the GS base.
pub const ARCH_GET_GS: i32 = 0x1004;
/// `arch_prctl`: whether CPUID works (1) or faults (0).
pub const ARCH_GET_CPUID: i32 = 0x1011;
/// `arch_prctl`: make CPUID fault, or work again.
pub const ARCH_SET_CPUID: i32 = 0x1012;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(
            (PR_SET_PDEATHSIG, PR_SET_NAME, PR_GET_NO_NEW_PRIVS),
            (1, 15, 39)
        );
        assert_eq!(PR_SET_CHILD_SUBREAPER, 36);
        assert_eq!(
            (
                PR_CAPBSET_READ,
                PR_CAPBSET_DROP,
                PR_GET_SECUREBITS,
                PR_SET_SECUREBITS
            ),
            (23, 24, 27, 28)
        );
        assert_eq!(PR_CAP_AMBIENT, 47);
        // ARCH_SET_FS comes from linux-raw-sys; its neighbours follow the uapi header's order.
        assert_eq!(ARCH_SET_FS, ARCH_SET_GS + 1);
        assert_eq!(ARCH_SET_FS, 0x1002);
    }
}
