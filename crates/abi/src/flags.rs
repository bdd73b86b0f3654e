//! Linux's two answers to flag bits a call does not know, for every `bitflags` set in this crate.
//!
//! Most calls check `if (flags & ~VALID_FLAGS) return -EINVAL;` before doing anything
//! ([`KnownFlags::accept_only`]); a few drop unknown bits silently (`open`, `mmap` without
//! `MAP_SHARED_VALIDATE`, `fcntl(F_SETFL)`, `sigaction`'s `sa_flags`: [`KnownFlags::keep_only`]).
//! Flag arguments are converted with `from_bits_retain`, so no bit is lost before the handler
//! applies its call's rule.

use crate::Errno;
use bitflags::Flags;

/// Checks and masks a flag set against the bits one call accepts.
pub trait KnownFlags: Flags + Copy {
    /// The flags, or `EINVAL` if any bit outside `allowed` is set.
    fn accept_only(self, allowed: Self) -> Result<Self, Errno> {
        if self.difference(allowed).is_empty() {
            Ok(self)
        } else {
            Err(Errno::EINVAL)
        }
    }

    /// The flags with every bit outside `allowed` dropped.
    fn keep_only(self, allowed: Self) -> Self {
        self.intersection(allowed)
    }
}

impl<T: Flags + Copy> KnownFlags for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpenFlags;

    #[test]
    fn unknown_bits_are_rejected_or_dropped() {
        let allowed = OpenFlags::O_CLOEXEC | OpenFlags::O_NONBLOCK;
        let known = OpenFlags::O_CLOEXEC;
        assert_eq!(known.accept_only(allowed), Ok(known));
        let stray = OpenFlags::from_bits_retain(OpenFlags::O_CLOEXEC.bits() | 1 << 30);
        assert_eq!(stray.accept_only(allowed), Err(Errno::EINVAL));
        assert_eq!(stray.keep_only(allowed), known);
        // A known bit outside the call's set counts as unknown to the call.
        assert_eq!(OpenFlags::O_APPEND.accept_only(allowed), Err(Errno::EINVAL));
    }
}
