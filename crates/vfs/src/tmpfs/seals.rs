//! File seals of tmpfs files (Linux's `mm/memfd.c` with the checks of `mm/shmem.c`): a set of
//! `F_SEAL_*` bits that only grows. `F_SEAL_SEAL` forbids further seals (every tmpfs file has it
//! unless it is a memfd made with `MFD_ALLOW_SEALING`), `F_SEAL_SHRINK` and `F_SEAL_GROW` forbid
//! size changes in one direction (`EPERM` from truncate, and from writes past the end for
//! `GROW`), `F_SEAL_WRITE` and `F_SEAL_FUTURE_WRITE` forbid writes (`EPERM` from write, hole
//! punching and new shared writable mappings). Whether existing shared writable mappings block
//! `F_SEAL_WRITE` (`EBUSY`) is the kernel's check, which knows the address spaces.

use core::sync::atomic::Ordering;

use abi::Errno;
use linux_raw_sys::general as raw;

use super::inode::TmpfsInode;

/// No more seals may be added.
pub const F_SEAL_SEAL: u32 = raw::F_SEAL_SEAL;
/// The file may not shrink.
pub const F_SEAL_SHRINK: u32 = raw::F_SEAL_SHRINK;
/// The file may not grow.
pub const F_SEAL_GROW: u32 = raw::F_SEAL_GROW;
/// The contents may not change.
pub const F_SEAL_WRITE: u32 = raw::F_SEAL_WRITE;
/// No new writable mappings or writes; existing mappings keep writing.
pub const F_SEAL_FUTURE_WRITE: u32 = raw::F_SEAL_FUTURE_WRITE;
/// The seals Linux 6.1 knows (`F_ALL_SEALS`; `F_SEAL_EXEC` came in 6.3).
pub const ALL_SEALS: u32 =
    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
/// Seals that stop writes.
pub const WRITE_SEALS: u32 = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;

impl TmpfsInode {
    /// Adds `seals` (`memfd_add_seals`): `EINVAL` for unknown bits, `EPERM` once `F_SEAL_SEAL`
    /// is set.
    pub(super) fn add_file_seals(&self, seals: u32) -> Result<(), Errno> {
        if seals & !ALL_SEALS != 0 {
            return Err(Errno::EINVAL);
        }
        let _guard = self.state.write();
        let current = self.seals.load(Ordering::Acquire);
        if current & F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        self.seals.store(current | seals, Ordering::Release);
        Ok(())
    }

    /// The current seals.
    pub(super) fn file_seals(&self) -> u32 {
        self.seals.load(Ordering::Acquire)
    }
}
