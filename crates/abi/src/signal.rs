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

bitflags::bitflags! {
    /// `sa_flags` of `struct sigaction` (64 bits, as the kernel's `unsigned long`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct SaFlags: u64 {
        /// No SIGCHLD when a child stops or continues.
        const SA_NOCLDSTOP = raw::SA_NOCLDSTOP as u64;
        /// Children do not become zombies.
        const SA_NOCLDWAIT = raw::SA_NOCLDWAIT as u64;
        /// The handler takes `siginfo_t` and a context.
        const SA_SIGINFO = raw::SA_SIGINFO as u64;
        /// Probe bit: never kept, so user space can tell which flags a kernel supports.
        const SA_UNSUPPORTED = raw::SA_UNSUPPORTED as u64;
        /// Do not mask the tag bits of `si_addr` (arm64; accepted everywhere).
        const SA_EXPOSE_TAGBITS = raw::SA_EXPOSE_TAGBITS as u64;
        /// `sa_restorer` holds the return trampoline.
        const SA_RESTORER = raw::SA_RESTORER as u64;
        /// Run the handler on the alternate stack.
        const SA_ONSTACK = raw::SA_ONSTACK as u64;
        /// Restart interrupted syscalls.
        const SA_RESTART = raw::SA_RESTART as u64;
        /// Do not block the signal in its handler.
        const SA_NODEFER = raw::SA_NODEFER as u64;
        /// Reset to the default action on delivery.
        const SA_RESETHAND = raw::SA_RESETHAND as u64;
    }
}

impl SaFlags {
    /// The flags `rt_sigaction` keeps (`UAPI_SA_FLAGS` with x86's `SA_RESTORER`); it clears
    /// other bits silently, in the new action and in the old one it reports.
    pub const UAPI_SA_FLAGS: SaFlags = SaFlags::SA_NOCLDSTOP
        .union(SaFlags::SA_NOCLDWAIT)
        .union(SaFlags::SA_SIGINFO)
        .union(SaFlags::SA_ONSTACK)
        .union(SaFlags::SA_RESTART)
        .union(SaFlags::SA_NODEFER)
        .union(SaFlags::SA_RESETHAND)
        .union(SaFlags::SA_EXPOSE_TAGBITS)
        .union(SaFlags::SA_RESTORER);
}

/// `rt_sigprocmask`: add to the mask.
pub const SIG_BLOCK: i32 = raw::SIG_BLOCK as i32;
/// `rt_sigprocmask`: remove from the mask.
pub const SIG_UNBLOCK: i32 = raw::SIG_UNBLOCK as i32;
/// `rt_sigprocmask`: replace the mask.
pub const SIG_SETMASK: i32 = raw::SIG_SETMASK as i32;

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
    fn sa_flags_match_linux() {
        assert_eq!(SaFlags::UAPI_SA_FLAGS.bits(), 0xdc00_0807);
        assert!(!SaFlags::UAPI_SA_FLAGS.contains(SaFlags::SA_UNSUPPORTED));
        assert_eq!((SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK), (0, 1, 2));
    }

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

/// `siginfo_t` (128 bytes): signal number, errno, code, then the union that depends on the code.
/// The union starts at offset 16 (it holds pointers); [`SigInfo::fields`] are its 8-byte words.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    pub pad: i32,
    pub fields: [u64; 14],
}

/// `si_code` values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const BUS_ADRERR: i32 = 2;
pub const ILL_ILLOPN: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;

impl SigInfo {
    /// A `siginfo_t` with only the number and code set.
    pub fn new(signo: i32, code: i32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            pad: 0,
            fields: [0; 14],
        }
    }

    /// `kill`-style: `si_pid` and `si_uid`.
    pub fn from_sender(signo: i32, code: i32, pid: u32, uid: u32) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.fields[0] = u64::from(pid) | (u64::from(uid) << 32);
        info
    }

    /// A fault: `si_addr`.
    pub fn fault(signo: i32, code: i32, address: u64) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.fields[0] = address;
        info
    }

    /// SIGCHLD: `si_pid`, `si_uid`, `si_status`, `si_utime`, `si_stime` (clock ticks).
    pub fn child(code: i32, pid: u32, uid: u32, status: i32, utime: u64, stime: u64) -> SigInfo {
        let mut info = SigInfo::from_sender(17, code, pid, uid);
        info.fields[1] = status as u32 as u64;
        info.fields[2] = utime;
        info.fields[3] = stime;
        info
    }

    /// `si_pid` (for codes that carry a sender).
    pub fn pid(&self) -> u32 {
        self.fields[0] as u32
    }

    /// `si_uid`.
    pub fn uid(&self) -> u32 {
        (self.fields[0] >> 32) as u32
    }

    /// `si_status` of a SIGCHLD.
    pub fn status(&self) -> i32 {
        self.fields[1] as u32 as i32
    }
}

/// `stack_t` (sigaltstack).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct StackT {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub pad: i32,
    pub ss_size: u64,
}

pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;
/// `MINSIGSTKSZ` on x86-64.
pub const MINSIGSTKSZ: u64 = 2048;

/// `struct sigcontext` (x86-64), the saved registers inside a signal frame's `ucontext`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Sigcontext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// User address of the FPU state (`struct _fpstate` / XSAVE image), or 0.
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}

/// `struct ucontext` as the kernel writes it (`uc_sigmask` is the 8-byte kernel set).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Ucontext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: StackT,
    pub uc_mcontext: Sigcontext,
    pub uc_sigmask: u64,
}

/// `uc_flags` bits.
pub const UC_FP_XSTATE: u64 = 0x1;
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// `struct rt_sigframe` (x86-64): the return address (the `sa_restorer`), the ucontext and the
/// siginfo; the FPU image lies above it, 64-byte aligned.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct RtSigframe {
    pub pretcode: u64,
    pub uc: Ucontext,
    pub info: SigInfo,
}

/// `struct _fpx_sw_bytes` magic numbers, stored in the FXSAVE area's software-reserved bytes
/// (offset 464) and after the XSAVE image, so that sigreturn knows the image is an XSAVE one.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;

const _: () = assert!(size_of::<SigInfo>() == 128);
const _: () = assert!(size_of::<Sigcontext>() == 256);
const _: () = assert!(size_of::<Ucontext>() == 304);
const _: () = assert!(size_of::<RtSigframe>() == 440);
const _: () = assert!(size_of::<raw::siginfo>() == 128);
const _: () = assert!(size_of::<raw::stack_t>() == size_of::<StackT>());
