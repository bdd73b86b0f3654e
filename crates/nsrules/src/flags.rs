//! Flag rules of unshare(2), clone(2)'s namespace flags and setns(2) (Linux 6.1
//! `ksys_unshare`/`check_unshare_flags`, `copy_process`, `check_setns_flags`).
//!
//! `unshare` widens its request before it checks it: a new user namespace implies
//! `CLONE_THREAD` and `CLONE_FS` (the caller must be single-threaded and alone in its
//! filesystem context), `CLONE_VM` implies `CLONE_SIGHAND`, `CLONE_SIGHAND` implies
//! `CLONE_THREAD`, and a new mount namespace implies `CLONE_FS`. A new IPC namespace also drops
//! the System V semaphore undo list (`CLONE_SYSVSEM`).

use abi::{CloneFlags, Errno};

/// The namespace flags this kernel can make new namespaces for (the rest answer `EINVAL`,
/// as a Linux built without them).
pub const SUPPORTED_NEW: CloneFlags = CloneFlags::CLONE_NEWNS
    .union(CloneFlags::CLONE_NEWUTS)
    .union(CloneFlags::CLONE_NEWIPC)
    .union(CloneFlags::CLONE_NEWUSER)
    .union(CloneFlags::CLONE_NEWPID)
    .union(CloneFlags::CLONE_NEWCGROUP)
    .union(CloneFlags::CLONE_NEWTIME);

/// Every flag unshare(2) knows (`check_unshare_flags`).
pub const UNSHARE_VALID: CloneFlags = CloneFlags::CLONE_THREAD
    .union(CloneFlags::CLONE_FS)
    .union(CloneFlags::CLONE_NEWNS)
    .union(CloneFlags::CLONE_SIGHAND)
    .union(CloneFlags::CLONE_VM)
    .union(CloneFlags::CLONE_FILES)
    .union(CloneFlags::CLONE_SYSVSEM)
    .union(CloneFlags::CLONE_NEWUTS)
    .union(CloneFlags::CLONE_NEWIPC)
    .union(CloneFlags::CLONE_NEWNET)
    .union(CloneFlags::CLONE_NEWUSER)
    .union(CloneFlags::CLONE_NEWPID)
    .union(CloneFlags::CLONE_NEWCGROUP)
    .union(CloneFlags::CLONE_NEWTIME);

/// The namespaces other than the user namespace (`copy_namespaces`' set).
pub const NON_USER: CloneFlags = CloneFlags::NAMESPACES.difference(CloneFlags::CLONE_NEWUSER);

/// What the caller's state is, for [`unshare_request`]'s single-thread checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sharing {
    /// Other threads in the caller's thread group.
    pub has_other_threads: bool,
    /// The signal handlers are shared with another process.
    pub shares_sighand: bool,
    /// The address space is used by another task.
    pub shares_mm: bool,
}

/// The widened and checked flag set of `unshare(flags)`: `EINVAL` for unknown bits and for
/// `CLONE_THREAD`/`CLONE_SIGHAND`/`CLONE_VM` when the caller shares what they name. A new IPC
/// namespace adds `CLONE_SYSVSEM`. Namespaces this kernel lacks are refused later, after the
/// capability check ([`check_supported`]), as Linux refuses them when it makes them.
pub fn unshare_request(raw: u64, sharing: Sharing) -> Result<CloneFlags, Errno> {
    let mut flags = CloneFlags::from_bits_retain(raw);
    if raw >> 32 != 0 || !UNSHARE_VALID.contains(flags) {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_NEWUSER) {
        flags |= CloneFlags::CLONE_THREAD | CloneFlags::CLONE_FS;
    }
    if flags.contains(CloneFlags::CLONE_VM) {
        flags |= CloneFlags::CLONE_SIGHAND;
    }
    if flags.contains(CloneFlags::CLONE_SIGHAND) {
        flags |= CloneFlags::CLONE_THREAD;
    }
    if flags.contains(CloneFlags::CLONE_NEWNS) {
        flags |= CloneFlags::CLONE_FS;
    }
    if flags.contains(CloneFlags::CLONE_THREAD) && sharing.has_other_threads {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_SIGHAND) && sharing.shares_sighand {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_VM) && (sharing.shares_mm || sharing.has_other_threads) {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_NEWIPC) {
        flags |= CloneFlags::CLONE_SYSVSEM;
    }
    Ok(flags)
}

/// `EINVAL` for a namespace kind this kernel cannot make (checked after `CAP_SYS_ADMIN`).
pub fn check_supported(flags: CloneFlags) -> Result<(), Errno> {
    if flags.intersects(CloneFlags::NAMESPACES.difference(SUPPORTED_NEW)) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// clone's namespace checks (`copy_process`, `copy_namespaces`), after the sharing checks:
/// `CLONE_NEWNS` or `CLONE_NEWUSER` with `CLONE_FS`, a new user or PID namespace for a thread,
/// and `CLONE_NEWIPC` with `CLONE_SYSVSEM` are `EINVAL`; so are namespaces this kernel lacks.
pub fn check_clone(flags: CloneFlags) -> Result<(), Errno> {
    if flags.contains(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
        || flags.contains(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_FS)
    {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_THREAD)
        && flags.intersects(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWPID)
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The checks `copy_namespaces` makes after the capability check: System V semaphores cannot
/// be shared into a new IPC namespace, and a kernel without a namespace type refuses it.
pub fn check_clone_namespaces(flags: CloneFlags) -> Result<(), Errno> {
    if flags.contains(CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_SYSVSEM) {
        return Err(Errno::EINVAL);
    }
    check_supported(flags)
}

/// setns(2) through a pidfd (`check_setns_flags`): a non-empty set of namespace flags, each
/// one this kernel has (`EINVAL` otherwise).
pub fn check_setns_pidfd(raw: i32) -> Result<CloneFlags, Errno> {
    let flags = CloneFlags::from_bits_retain(u64::from(raw as u32));
    if flags.is_empty() || !CloneFlags::NAMESPACES.contains(flags) {
        return Err(Errno::EINVAL);
    }
    if !SUPPORTED_NEW.contains(flags) {
        return Err(Errno::EINVAL);
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(flags: CloneFlags) -> u64 {
        flags.bits()
    }

    #[test]
    fn unshare_widens_then_checks() {
        let alone = Sharing::default();
        let threads = Sharing {
            has_other_threads: true,
            ..Sharing::default()
        };
        assert_eq!(unshare_request(u64::MAX, alone), Err(Errno::EINVAL));
        assert_eq!(unshare_request(0xffff_ffff, alone), Err(Errno::EINVAL));
        let user = unshare_request(bits(CloneFlags::CLONE_NEWUSER), alone).unwrap();
        assert!(user.contains(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_FS));
        assert_eq!(
            unshare_request(bits(CloneFlags::CLONE_NEWUSER), threads),
            Err(Errno::EINVAL)
        );
        let mnt = unshare_request(bits(CloneFlags::CLONE_NEWNS), threads).unwrap();
        assert!(mnt.contains(CloneFlags::CLONE_FS));
        let vm = unshare_request(bits(CloneFlags::CLONE_VM), alone).unwrap();
        assert!(vm.contains(CloneFlags::CLONE_SIGHAND | CloneFlags::CLONE_THREAD));
        assert_eq!(
            unshare_request(
                bits(CloneFlags::CLONE_SIGHAND),
                Sharing {
                    shares_sighand: true,
                    ..alone
                }
            ),
            Err(Errno::EINVAL)
        );
        assert!(unshare_request(bits(CloneFlags::CLONE_NEWNET), alone).is_ok());
        assert_eq!(
            check_supported(CloneFlags::CLONE_NEWNET),
            Err(Errno::EINVAL)
        );
        assert!(check_supported(CloneFlags::CLONE_NEWTIME).is_ok());
        assert!(check_supported(CloneFlags::CLONE_NEWPID).is_ok());
        assert!(check_supported(CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWUSER).is_ok());
        let ipc = unshare_request(bits(CloneFlags::CLONE_NEWIPC), threads).unwrap();
        assert!(ipc.contains(CloneFlags::CLONE_SYSVSEM));
        assert_eq!(unshare_request(0, threads), Ok(CloneFlags::empty()));
        assert!(unshare_request(bits(CloneFlags::CLONE_FILES), threads).is_ok());
    }

    #[test]
    fn clone_combinations() {
        assert_eq!(
            check_clone(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            check_clone(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_FS),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            check_clone(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_NEWUSER),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            check_clone(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_NEWPID),
            Err(Errno::EINVAL)
        );
        assert!(check_clone(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_NEWUTS).is_ok());
        assert_eq!(
            check_clone_namespaces(CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_SYSVSEM),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            check_clone_namespaces(CloneFlags::CLONE_NEWNET),
            Err(Errno::EINVAL)
        );
        assert!(check_clone_namespaces(CloneFlags::CLONE_NEWUTS).is_ok());
    }

    #[test]
    fn setns_pidfd_flags() {
        assert_eq!(check_setns_pidfd(0), Err(Errno::EINVAL));
        assert_eq!(
            check_setns_pidfd(CloneFlags::CLONE_VM.bits() as i32),
            Err(Errno::EINVAL)
        );
        assert!(check_setns_pidfd(CloneFlags::CLONE_NEWUTS.bits() as i32).is_ok());
        assert!(check_setns_pidfd(CloneFlags::CLONE_NEWPID.bits() as i32).is_ok());
        assert!(check_setns_pidfd(CloneFlags::CLONE_NEWTIME.bits() as i32).is_ok());
        assert_eq!(
            check_setns_pidfd(CloneFlags::CLONE_NEWNET.bits() as i32),
            Err(Errno::EINVAL)
        );
    }
}
