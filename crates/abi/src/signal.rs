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

bitflags::bitflags! {
    /// `signalfd4` flags (`include/uapi/linux/signalfd.h`: `O_CLOEXEC` and `O_NONBLOCK`).
    /// Unknown bits: `EINVAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct SignalfdFlags: u32 {
        /// Close on `execve`.
        const SFD_CLOEXEC = raw::O_CLOEXEC;
        /// Non-blocking reads.
        const SFD_NONBLOCK = raw::O_NONBLOCK;
    }
}

/// `struct signalfd_siginfo` (128 bytes), what a read of a signalfd returns per signal.
/// linux-raw-sys does not carry `linux/signalfd.h`, so the layout is checked by the tests below
/// against the offsets of Linux 6.1's header.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SignalfdSiginfo {
    pub ssi_signo: u32,
    pub ssi_errno: i32,
    pub ssi_code: i32,
    pub ssi_pid: u32,
    pub ssi_uid: u32,
    pub ssi_fd: i32,
    pub ssi_tid: u32,
    pub ssi_band: u32,
    pub ssi_overrun: u32,
    pub ssi_trapno: u32,
    pub ssi_status: i32,
    pub ssi_int: i32,
    pub ssi_ptr: u64,
    pub ssi_utime: u64,
    pub ssi_stime: u64,
    pub ssi_addr: u64,
    pub ssi_addr_lsb: u16,
    pub pad2: u16,
    pub ssi_syscall: i32,
    pub ssi_call_addr: u64,
    pub ssi_arch: u32,
    pub pad: [u8; 28],
}

/// Which member of `siginfo_t`'s union a (signal, code) pair uses (Linux's `siginfo_layout`
/// for x86-64, which has no `si_trapno`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiginfoLayout {
    /// `si_pid`, `si_uid` (kill, SI_KERNEL and unknown codes).
    Kill,
    /// `si_tid`, `si_overrun`, `si_value` (POSIX timers).
    Timer,
    /// `si_band`, `si_fd` (SIGPOLL codes, SI_SIGIO).
    Poll,
    /// `si_addr` (SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP with their own codes).
    Fault,
    /// `si_addr`, `si_addr_lsb` (SIGBUS BUS_MCEERR_AR/AO).
    FaultMceErr,
    /// `si_pid`, `si_uid`, `si_status`, `si_utime`, `si_stime`.
    Child,
    /// `si_pid`, `si_uid`, `si_value` (sigqueue, tkill, mq_notify and other negative codes).
    Rt,
    /// `si_call_addr`, `si_syscall`, `si_arch` (SIGSYS).
    Sys,
}

/// `SI_SIGIO`.
pub const SI_SIGIO: i32 = raw::SI_SIGIO;
const SIGILL: u32 = 4;
const SIGTRAP: u32 = 5;
const SIGBUS: u32 = 7;
const SIGFPE: u32 = 8;
const SIGSEGV: u32 = 11;
const SIGCHLD: u32 = 17;
const SIGPOLL: u32 = 29;
const SIGSYS: u32 = 31;

/// The layout Linux gives `code` of `signal`. The per-signal code limits are 6.1's (`NSIGILL`
/// 11, `NSIGFPE` 15, `NSIGSEGV` 9, `NSIGBUS` 5, `NSIGTRAP` 6, `NSIGCHLD` 6, `NSIGPOLL` 6,
/// `NSIGSYS` 2; newer headers have more SIGSEGV codes).
pub fn siginfo_layout(signal: u32, code: i32) -> SiginfoLayout {
    if code > SI_USER && code < SI_KERNEL {
        let specific = match signal {
            SIGILL => Some((11, SiginfoLayout::Fault)),
            SIGFPE => Some((15, SiginfoLayout::Fault)),
            SIGSEGV => Some((9, SiginfoLayout::Fault)),
            SIGBUS => Some((5, SiginfoLayout::Fault)),
            SIGTRAP => Some((6, SiginfoLayout::Fault)),
            SIGCHLD => Some((6, SiginfoLayout::Child)),
            SIGPOLL => Some((6, SiginfoLayout::Poll)),
            SIGSYS => Some((2, SiginfoLayout::Sys)),
            _ => None,
        };
        match specific {
            Some((limit, _)) if code > limit => {
                // Too high for the signal: as Linux, POLL if within SIGPOLL's codes.
                if code <= 6 {
                    SiginfoLayout::Poll
                } else {
                    SiginfoLayout::Kill
                }
            }
            Some((_, layout)) => {
                // BUS_MCEERR_AR (4) and BUS_MCEERR_AO (5) carry the address's low bit count.
                if signal == SIGBUS && (4..=5).contains(&code) {
                    SiginfoLayout::FaultMceErr
                } else {
                    layout
                }
            }
            None if code <= 6 => SiginfoLayout::Poll,
            None => SiginfoLayout::Kill,
        }
    } else if code == SI_TIMER {
        SiginfoLayout::Timer
    } else if code == SI_SIGIO {
        SiginfoLayout::Poll
    } else if code < 0 {
        SiginfoLayout::Rt
    } else {
        SiginfoLayout::Kill
    }
}

impl SignalfdSiginfo {
    /// What a signalfd read reports for `info` (Linux's `signalfd_copyinfo`): number, errno and
    /// code always, then the fields of the union member the code selects; the rest stays zero.
    pub fn from_siginfo(info: &SigInfo) -> SignalfdSiginfo {
        let word = |index: usize| info.fields[index];
        let low = |index: usize| info.fields[index] as u32;
        let high = |index: usize| (info.fields[index] >> 32) as u32;
        let mut out = SignalfdSiginfo {
            ssi_signo: info.signo as u32,
            ssi_errno: info.errno,
            ssi_code: info.code,
            ..SignalfdSiginfo::default()
        };
        match siginfo_layout(info.signo as u32, info.code) {
            SiginfoLayout::Kill => {
                out.ssi_pid = low(0);
                out.ssi_uid = high(0);
            }
            SiginfoLayout::Timer => {
                out.ssi_tid = low(0);
                out.ssi_overrun = high(0);
                out.ssi_ptr = word(1);
                out.ssi_int = low(1) as i32;
            }
            SiginfoLayout::Poll => {
                out.ssi_band = low(0);
                out.ssi_fd = low(1) as i32;
            }
            SiginfoLayout::Fault => out.ssi_addr = word(0),
            SiginfoLayout::FaultMceErr => {
                out.ssi_addr = word(0);
                out.ssi_addr_lsb = low(1) as u16;
            }
            SiginfoLayout::Child => {
                out.ssi_pid = low(0);
                out.ssi_uid = high(0);
                out.ssi_status = low(1) as i32;
                out.ssi_utime = word(2);
                out.ssi_stime = word(3);
            }
            SiginfoLayout::Rt => {
                out.ssi_pid = low(0);
                out.ssi_uid = high(0);
                out.ssi_ptr = word(1);
                out.ssi_int = low(1) as i32;
            }
            SiginfoLayout::Sys => {
                out.ssi_call_addr = word(0);
                out.ssi_syscall = low(1) as i32;
                out.ssi_arch = high(1);
            }
        }
        out
    }
}

#[cfg(test)]
mod signalfd_tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn signalfd_siginfo_layout_is_linux_6_1() {
        assert_eq!(size_of::<SignalfdSiginfo>(), 128);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_pid), 12);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_fd), 20);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_overrun), 32);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_int), 44);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_ptr), 48);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_addr), 72);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_addr_lsb), 80);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_syscall), 84);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_call_addr), 88);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_arch), 96);
        assert_eq!(SignalfdFlags::all().bits(), 0o2_004_000);
    }

    #[test]
    fn layouts() {
        assert_eq!(siginfo_layout(10, SI_USER), SiginfoLayout::Kill);
        assert_eq!(siginfo_layout(10, SI_KERNEL), SiginfoLayout::Kill);
        assert_eq!(siginfo_layout(10, SI_QUEUE), SiginfoLayout::Rt);
        assert_eq!(siginfo_layout(10, SI_TKILL), SiginfoLayout::Rt);
        assert_eq!(siginfo_layout(34, SI_TIMER), SiginfoLayout::Timer);
        assert_eq!(siginfo_layout(29, SI_SIGIO), SiginfoLayout::Poll);
        assert_eq!(siginfo_layout(17, CLD_EXITED), SiginfoLayout::Child);
        assert_eq!(siginfo_layout(17, 7), SiginfoLayout::Kill);
        assert_eq!(siginfo_layout(11, SEGV_MAPERR), SiginfoLayout::Fault);
        assert_eq!(siginfo_layout(11, 10), SiginfoLayout::Kill);
        assert_eq!(siginfo_layout(7, 4), SiginfoLayout::FaultMceErr);
        assert_eq!(siginfo_layout(31, 1), SiginfoLayout::Sys);
        // A code within SIGPOLL's range on a signal without codes of its own.
        assert_eq!(siginfo_layout(10, 3), SiginfoLayout::Poll);
        assert_eq!(siginfo_layout(10, 7), SiginfoLayout::Kill);
        assert_eq!(siginfo_layout(10, -60), SiginfoLayout::Rt);
    }

    #[test]
    fn copies_only_the_fields_of_the_layout() {
        let mut info = SigInfo::from_sender(10, SI_USER, 42, 1000);
        info.fields[1] = 0xdead_beef;
        let out = SignalfdSiginfo::from_siginfo(&info);
        assert_eq!((out.ssi_signo, out.ssi_pid, out.ssi_uid), (10, 42, 1000));
        assert_eq!((out.ssi_ptr, out.ssi_int), (0, 0));

        let mut info = SigInfo::from_sender(40, SI_QUEUE, 7, 0);
        info.fields[1] = 0x1234_5678_9abc_def0;
        let out = SignalfdSiginfo::from_siginfo(&info);
        assert_eq!(out.ssi_ptr, 0x1234_5678_9abc_def0);
        assert_eq!(out.ssi_int, 0x9abc_def0_u32 as i32);
        assert_eq!((out.ssi_pid, out.ssi_code), (7, SI_QUEUE));

        let mut info = SigInfo::new(34, SI_TIMER);
        info.fields[0] = 3 | (5 << 32);
        info.fields[1] = 99;
        let out = SignalfdSiginfo::from_siginfo(&info);
        assert_eq!((out.ssi_tid, out.ssi_overrun, out.ssi_int), (3, 5, 99));
        assert_eq!(out.ssi_pid, 0);

        let out = SignalfdSiginfo::from_siginfo(&SigInfo::child(CLD_EXITED, 9, 1, 3, 4, 5));
        assert_eq!(
            (
                out.ssi_pid,
                out.ssi_uid,
                out.ssi_status,
                out.ssi_utime,
                out.ssi_stime
            ),
            (9, 1, 3, 4, 5)
        );

        let out = SignalfdSiginfo::from_siginfo(&SigInfo::fault(11, SEGV_MAPERR, 0x1000));
        assert_eq!((out.ssi_addr, out.ssi_pid), (0x1000, 0));
    }
}
