//! The kernel's `struct sigaction` for `rt_sigaction` on x86-64 (`arch/x86/include/uapi/asm/signal.h`
//! with `SA_RESTORER`): handler, flags, restorer, then a 64-bit signal mask. The `sigsetsize`
//! argument of `rt_sigaction` must be 8.

use linux_raw_sys::general as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `SIG_DFL`: the default action.
pub const SIG_DFL: u64 = 0;
/// `SIG_IGN`: ignore the signal.
pub const SIG_IGN: u64 = 1;
/// The size of the kernel signal set that `rt_sigaction` and `rt_sigprocmask` require.
pub const KERNEL_SIGSET_SIZE: usize = size_of::<u64>();

/// The kernel's `struct sigaction` as `rt_sigaction` reads and writes it.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SigactionRaw {
    /// Handler address, or [`SIG_DFL`] / [`SIG_IGN`].
    pub sa_handler: u64,
    /// `SA_*` flags.
    pub sa_flags: u64,
    /// Address of the `rt_sigreturn` trampoline (with `SA_RESTORER`, which x86-64 C libraries
    /// always set).
    pub sa_restorer: u64,
    /// Signals blocked while the handler runs; bit `n - 1` is signal `n`.
    pub sa_mask: u64,
}

assert_same_layout!(SigactionRaw, raw::kernel_sigaction, {
    sa_handler => sa_handler_kernel,
    sa_flags => sa_flags,
    sa_restorer => sa_restorer,
    sa_mask => sa_mask,
});

const _: () = assert!(size_of::<raw::kernel_sigset_t>() == KERNEL_SIGSET_SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(size_of::<SigactionRaw>(), 32);
        let action = SigactionRaw {
            sa_handler: 0x401000,
            sa_flags: u64::from(raw::SA_RESTORER),
            sa_restorer: 0x402000,
            sa_mask: 1 << (raw::SIGINT - 1),
        };
        let bytes = action.as_bytes();
        assert_eq!(&bytes[24..32], &2u64.to_le_bytes());
        assert_eq!(SigactionRaw::read_from_bytes(bytes), Ok(action));
    }
}
