//! Restartable sequences (`include/uapi/linux/rseq.h`, Linux 6.1 `kernel/rseq.c`): the
//! 32-byte `struct rseq` a thread registers, the `struct rseq_cs` descriptor of a critical
//! section, and the pure rules the kernel applies to them — which descriptors are valid
//! (`rseq_get_rseq_cs`), whether an instruction pointer is inside a section (`in_rseq_cs`), and
//! how a registration request is answered (`sys_rseq`).

use crate::errno::Errno;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `RSEQ_FLAG_UNREGISTER`.
pub const RSEQ_FLAG_UNREGISTER: i32 = 1;
/// `RSEQ_CPU_ID_UNINITIALIZED`: `cpu_id` of an unregistered area.
pub const RSEQ_CPU_ID_UNINITIALIZED: u32 = u32::MAX;
/// The size of `struct rseq` in Linux 6.1 (the only length accepted).
pub const RSEQ_AREA_LEN: u32 = 32;
/// `__alignof__(struct rseq)`.
pub const RSEQ_AREA_ALIGN: u64 = 32;
/// Offset of `cpu_id_start` in `struct rseq`.
pub const OFFSET_CPU_ID_START: u64 = 0;
/// Offset of `cpu_id`.
pub const OFFSET_CPU_ID: u64 = 4;
/// Offset of `rseq_cs` (a 64-bit pointer).
pub const OFFSET_RSEQ_CS: u64 = 8;
/// Offset of `flags`.
pub const OFFSET_FLAGS: u64 = 16;

/// `struct rseq_cs`: a critical section `[start_ip, start_ip + post_commit_offset)` that aborts
/// to `abort_ip`, which must be preceded by the registration's 32-bit signature.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct RseqCs {
    pub version: u32,
    pub flags: u32,
    pub start_ip: u64,
    pub post_commit_offset: u64,
    pub abort_ip: u64,
}

const _: () = assert!(core::mem::size_of::<RseqCs>() == 32);

impl RseqCs {
    /// Whether the descriptor is valid for a process whose user space ends at `task_size`
    /// (`rseq_get_rseq_cs`): every address below it, version 0, no overflow, and the abort
    /// address outside the section. The signature is checked by the caller (it is in user
    /// memory).
    pub fn is_valid(&self, task_size: u64) -> bool {
        let Some(end) = self.start_ip.checked_add(self.post_commit_offset) else {
            return false;
        };
        self.start_ip < task_size
            && end < task_size
            && self.abort_ip < task_size
            && self.version == 0
            && self.abort_ip.wrapping_sub(self.start_ip) >= self.post_commit_offset
    }

    /// Whether `ip` is inside the section (`in_rseq_cs`).
    pub fn contains(&self, ip: u64) -> bool {
        ip.wrapping_sub(self.start_ip) < self.post_commit_offset
    }

    /// Where the signature must be: the 4 bytes before `abort_ip`.
    pub fn signature_address(&self) -> u64 {
        self.abort_ip.wrapping_sub(4)
    }
}

/// A thread's registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    pub address: u64,
    pub len: u32,
    pub signature: u32,
}

/// What `rseq(2)` does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Register this area (still to be checked against user memory: `EFAULT`).
    Register(Registration),
    /// Remove the current registration.
    Unregister,
}

/// `sys_rseq`'s rules for a request with `flags` for `address`/`len`/`signature`, given the
/// current registration. Unregistering: only `RSEQ_FLAG_UNREGISTER` (`EINVAL`), the registered
/// area and length (`EINVAL`), its signature (`EPERM`). Registering: no flags (`EINVAL`); when
/// already registered, another area or length is `EINVAL`, another signature `EPERM`, the same
/// one `EBUSY`; otherwise the area must be 32-byte aligned and 32 bytes long (`EINVAL`).
pub fn decide(
    current: Option<Registration>,
    address: u64,
    len: u32,
    flags: i32,
    signature: u32,
) -> Result<Request, Errno> {
    if flags & RSEQ_FLAG_UNREGISTER != 0 {
        if flags & !RSEQ_FLAG_UNREGISTER != 0 {
            return Err(Errno::EINVAL);
        }
        let Some(current) = current else {
            return Err(Errno::EINVAL);
        };
        if current.address != address || current.len != len {
            return Err(Errno::EINVAL);
        }
        if current.signature != signature {
            return Err(Errno::EPERM);
        }
        return Ok(Request::Unregister);
    }
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(current) = current {
        if current.address != address || current.len != len {
            return Err(Errno::EINVAL);
        }
        if current.signature != signature {
            return Err(Errno::EPERM);
        }
        return Err(Errno::EBUSY);
    }
    if !address.is_multiple_of(RSEQ_AREA_ALIGN) || len != RSEQ_AREA_LEN {
        return Err(Errno::EINVAL);
    }
    Ok(Request::Register(Registration {
        address,
        len,
        signature,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: u32 = 0x5305_3053;
    const TASK_SIZE: u64 = 0x7fff_ffff_f000;

    fn reg(address: u64) -> Registration {
        Registration {
            address,
            len: 32,
            signature: SIG,
        }
    }

    #[test]
    fn registration_rules() {
        assert_eq!(
            decide(None, 0x1000, 32, 0, SIG),
            Ok(Request::Register(reg(0x1000)))
        );
        let current = Some(reg(0x1000));
        assert_eq!(decide(current, 0x1000, 32, 0, SIG), Err(Errno::EBUSY));
        assert_eq!(decide(current, 0x1000, 32, 0, 1), Err(Errno::EPERM));
        assert_eq!(decide(current, 0x1000, 64, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(current, 0x2000, 32, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(None, 0x1004, 32, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(None, 0x1000, 16, 0, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(None, 0x1000, 32, 2, SIG), Err(Errno::EINVAL));
    }

    #[test]
    fn unregistration_rules() {
        let current = Some(reg(0x1000));
        assert_eq!(decide(current, 0x1000, 32, 1, SIG), Ok(Request::Unregister));
        assert_eq!(decide(current, 0x1000, 32, 1, 7), Err(Errno::EPERM));
        assert_eq!(decide(current, 0x2000, 32, 1, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(current, 0x1000, 64, 1, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(current, 0x1000, 32, 3, SIG), Err(Errno::EINVAL));
        assert_eq!(decide(None, 0x1000, 32, 1, SIG), Err(Errno::EINVAL));
    }

    #[test]
    fn critical_section_descriptors() {
        let cs = RseqCs {
            version: 0,
            flags: 0,
            start_ip: 0x1000,
            post_commit_offset: 0x20,
            abort_ip: 0x2000,
        };
        assert!(cs.is_valid(TASK_SIZE));
        assert!(cs.contains(0x1000));
        assert!(cs.contains(0x101f));
        assert!(!cs.contains(0x1020));
        assert!(!cs.contains(0xfff));
        assert_eq!(cs.signature_address(), 0x1ffc);
        // The abort address inside the section, a version, kernel addresses, overflow.
        assert!(
            !RseqCs {
                abort_ip: 0x1010,
                ..cs
            }
            .is_valid(TASK_SIZE)
        );
        assert!(
            RseqCs {
                abort_ip: 0x1020,
                ..cs
            }
            .is_valid(TASK_SIZE)
        );
        assert!(!RseqCs { version: 1, ..cs }.is_valid(TASK_SIZE));
        assert!(
            !RseqCs {
                abort_ip: TASK_SIZE,
                ..cs
            }
            .is_valid(TASK_SIZE)
        );
        assert!(
            !RseqCs {
                start_ip: TASK_SIZE - 8,
                post_commit_offset: 8,
                ..cs
            }
            .is_valid(TASK_SIZE)
        );
        assert!(
            !RseqCs {
                post_commit_offset: u64::MAX,
                ..cs
            }
            .is_valid(TASK_SIZE)
        );
        // An empty section contains nothing.
        let empty = RseqCs {
            post_commit_offset: 0,
            ..cs
        };
        assert!(empty.is_valid(TASK_SIZE));
        assert!(!empty.contains(0x1000));
    }
}
