//! The parts of Linux's ptrace(2) on x86-64 that are pure rules (`kernel/ptrace.c`,
//! `arch/x86/kernel/ptrace.c`, `include/linux/ptrace.h`), tested on the host:
//!
//! - the request and option numbers, and which options a tracer may set ([`check_options`]);
//! - [`UserRegsStruct`], `struct user_regs_struct` as `PTRACE_GETREGS` and the `NT_PRSTATUS`
//!   regset show it, and how a tracer's write of one register is checked ([`check_register_write`]:
//!   segment selectors, the FS/GS bases below the top of user space, the flags a tracer may change);
//! - the user area of `PTRACE_PEEKUSER`/`PTRACE_POKEUSER` ([`user_area_slot`]: the registers, the
//!   debug registers, zeros elsewhere, `EIO` when misaligned or past `struct user`);
//! - the stop codes a tracer's `wait` sees ([`event_code`], [`stop_status`]).
//!
//! The kernel holds the state and the stops (`kernel/src/process/ptrace.rs`) and the system call
//! (`kernel/src/syscall/ptrace.rs`).
#![no_std]
#![forbid(unsafe_code)]

use abi::Errno;
use linux_raw_sys::ptrace as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const PTRACE_TRACEME: u64 = raw::PTRACE_TRACEME as u64;
pub const PTRACE_PEEKTEXT: u64 = raw::PTRACE_PEEKTEXT as u64;
pub const PTRACE_PEEKDATA: u64 = raw::PTRACE_PEEKDATA as u64;
pub const PTRACE_PEEKUSR: u64 = raw::PTRACE_PEEKUSR as u64;
pub const PTRACE_POKETEXT: u64 = raw::PTRACE_POKETEXT as u64;
pub const PTRACE_POKEDATA: u64 = raw::PTRACE_POKEDATA as u64;
pub const PTRACE_POKEUSR: u64 = raw::PTRACE_POKEUSR as u64;
pub const PTRACE_CONT: u64 = raw::PTRACE_CONT as u64;
pub const PTRACE_KILL: u64 = raw::PTRACE_KILL as u64;
pub const PTRACE_SINGLESTEP: u64 = raw::PTRACE_SINGLESTEP as u64;
pub const PTRACE_GETREGS: u64 = raw::PTRACE_GETREGS as u64;
pub const PTRACE_SETREGS: u64 = raw::PTRACE_SETREGS as u64;
pub const PTRACE_GETFPREGS: u64 = 14;
pub const PTRACE_SETFPREGS: u64 = 15;
pub const PTRACE_ATTACH: u64 = raw::PTRACE_ATTACH as u64;
pub const PTRACE_DETACH: u64 = raw::PTRACE_DETACH as u64;
pub const PTRACE_SYSCALL: u64 = raw::PTRACE_SYSCALL as u64;
pub const PTRACE_ARCH_PRCTL: u64 = 30;
pub const PTRACE_SYSEMU: u64 = 31;
pub const PTRACE_SYSEMU_SINGLESTEP: u64 = 32;
pub const PTRACE_SETOPTIONS: u64 = raw::PTRACE_SETOPTIONS as u64;
pub const PTRACE_GETEVENTMSG: u64 = raw::PTRACE_GETEVENTMSG as u64;
pub const PTRACE_GETSIGINFO: u64 = raw::PTRACE_GETSIGINFO as u64;
pub const PTRACE_SETSIGINFO: u64 = raw::PTRACE_SETSIGINFO as u64;
pub const PTRACE_GETREGSET: u64 = raw::PTRACE_GETREGSET as u64;
pub const PTRACE_SETREGSET: u64 = raw::PTRACE_SETREGSET as u64;
pub const PTRACE_SEIZE: u64 = raw::PTRACE_SEIZE as u64;
pub const PTRACE_INTERRUPT: u64 = raw::PTRACE_INTERRUPT as u64;
pub const PTRACE_LISTEN: u64 = raw::PTRACE_LISTEN as u64;
pub const PTRACE_PEEKSIGINFO: u64 = raw::PTRACE_PEEKSIGINFO as u64;
pub const PTRACE_GETSIGMASK: u64 = raw::PTRACE_GETSIGMASK as u64;
pub const PTRACE_SETSIGMASK: u64 = raw::PTRACE_SETSIGMASK as u64;
pub const PTRACE_GET_SYSCALL_INFO: u64 = raw::PTRACE_GET_SYSCALL_INFO as u64;

pub const PTRACE_EVENT_FORK: u32 = raw::PTRACE_EVENT_FORK;
pub const PTRACE_EVENT_VFORK: u32 = raw::PTRACE_EVENT_VFORK;
pub const PTRACE_EVENT_CLONE: u32 = raw::PTRACE_EVENT_CLONE;
pub const PTRACE_EVENT_EXEC: u32 = raw::PTRACE_EVENT_EXEC;
pub const PTRACE_EVENT_VFORK_DONE: u32 = raw::PTRACE_EVENT_VFORK_DONE;
pub const PTRACE_EVENT_EXIT: u32 = raw::PTRACE_EVENT_EXIT;
pub const PTRACE_EVENT_STOP: u32 = raw::PTRACE_EVENT_STOP;
/// A seccomp filter returned `SECCOMP_RET_TRACE` (`PTRACE_O_TRACESECCOMP`).
pub const PTRACE_EVENT_SECCOMP: u32 = raw::PTRACE_EVENT_SECCOMP;

pub const PTRACE_O_TRACESYSGOOD: u32 = raw::PTRACE_O_TRACESYSGOOD;
pub const PTRACE_O_TRACEFORK: u32 = raw::PTRACE_O_TRACEFORK;
pub const PTRACE_O_TRACEVFORK: u32 = raw::PTRACE_O_TRACEVFORK;
pub const PTRACE_O_TRACECLONE: u32 = raw::PTRACE_O_TRACECLONE;
pub const PTRACE_O_TRACEEXEC: u32 = raw::PTRACE_O_TRACEEXEC;
pub const PTRACE_O_TRACEVFORKDONE: u32 = raw::PTRACE_O_TRACEVFORKDONE;
pub const PTRACE_O_TRACEEXIT: u32 = raw::PTRACE_O_TRACEEXIT;
pub const PTRACE_O_TRACESECCOMP: u32 = raw::PTRACE_O_TRACESECCOMP;
pub const PTRACE_O_EXITKILL: u32 = raw::PTRACE_O_EXITKILL;
pub const PTRACE_O_SUSPEND_SECCOMP: u32 = raw::PTRACE_O_SUSPEND_SECCOMP;
/// Every option bit Linux knows (`PTRACE_O_MASK`).
pub const PTRACE_O_MASK: u32 = raw::PTRACE_O_MASK;

/// `PTRACE_GET_SYSCALL_INFO` operations.
pub const PTRACE_SYSCALL_INFO_NONE: u8 = raw::PTRACE_SYSCALL_INFO_NONE as u8;
pub const PTRACE_SYSCALL_INFO_SECCOMP: u8 = raw::PTRACE_SYSCALL_INFO_SECCOMP as u8;
/// `PTRACE_SECCOMP_GET_FILTER`, `PTRACE_SECCOMP_GET_METADATA`.
pub const PTRACE_SECCOMP_GET_FILTER: u64 = raw::PTRACE_SECCOMP_GET_FILTER as u64;
pub const PTRACE_SECCOMP_GET_METADATA: u64 = raw::PTRACE_SECCOMP_GET_METADATA as u64;
pub const PTRACE_SYSCALL_INFO_ENTRY: u8 = raw::PTRACE_SYSCALL_INFO_ENTRY as u8;
pub const PTRACE_SYSCALL_INFO_EXIT: u8 = raw::PTRACE_SYSCALL_INFO_EXIT as u8;
/// `ptrace_message` at syscall stops (`PTRACE_EVENTMSG_SYSCALL_*`).
pub const PTRACE_EVENTMSG_SYSCALL_ENTRY: u64 = raw::PTRACE_EVENTMSG_SYSCALL_ENTRY as u64;
pub const PTRACE_EVENTMSG_SYSCALL_EXIT: u64 = raw::PTRACE_EVENTMSG_SYSCALL_EXIT as u64;
pub const PTRACE_PEEKSIGINFO_SHARED: u32 = raw::PTRACE_PEEKSIGINFO_SHARED;
/// `AUDIT_ARCH_X86_64`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// ELF note types of `PTRACE_GETREGSET`.
pub const NT_PRSTATUS: u64 = 1;
pub const NT_PRFPREG: u64 = 2;
pub const NT_X86_XSTATE: u64 = 0x202;

/// User code and stack selectors on x86-64 (`__USER_CS`, `__USER_DS`).
pub const USER_CS: u64 = 0x33;
pub const USER_SS: u64 = 0x2b;
/// One past the highest user address a base may hold (`TASK_SIZE_MAX` with 4-level paging).
pub const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;
/// The flags a tracer may change (`FLAG_MASK`: CF PF AF ZF SF TF DF OF NT RF AC).
pub const FLAG_MASK: u64 = 0x54dd5;
/// DR6's bits that read as one (`DR6_RESERVED`).
pub const DR6_RESERVED: u64 = 0xffff_0ff0;

/// The options a tracer may set: a bit outside [`PTRACE_O_MASK`] is `EINVAL`, and so is
/// `PTRACE_O_SUSPEND_SECCOMP` (it needs CAP_SYS_ADMIN and a kernel built with checkpoint/restore;
/// Debian's cloud kernel answers `EINVAL` for it).
pub fn check_options(data: u64) -> Result<u32, Errno> {
    if data & !u64::from(PTRACE_O_MASK) != 0 || data & u64::from(PTRACE_O_SUSPEND_SECCOMP) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(data as u32)
}

/// The `status >> 8` of a ptrace event stop: SIGTRAP with the event in bits 8..16.
pub const fn event_code(event: u32) -> u32 {
    5 | (event << 8)
}

/// The `wait` status word of a stop whose code is `code` (`code << 8 | 0x7f`).
pub const fn stop_status(code: u32) -> u32 {
    (code << 8) | 0x7f
}

/// Whether a continue request's signal is acceptable (`valid_signal`: 0 ..= 64).
pub fn check_signal(data: u64) -> Result<u32, Errno> {
    if data > 64 {
        return Err(Errno::EIO);
    }
    Ok(data as u32)
}

/// `struct user_regs_struct` (x86-64), 27 words.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct UserRegsStruct {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

/// Size of `struct user_regs_struct`.
pub const USER_REGS_SIZE: u64 = core::mem::size_of::<UserRegsStruct>() as u64;
/// `offsetof(struct user, u_debugreg)` and `sizeof(struct user)` on x86-64 (the debug
/// registers are followed by `error_code` and `fault_address`).
pub const USER_DEBUGREG_OFFSET: u64 = 848;
pub const USER_SIZE: u64 = 928;

/// Word indexes of some registers in [`UserRegsStruct`].
pub const REG_ORIG_RAX: usize = 15;
pub const REG_CS: usize = 17;
pub const REG_EFLAGS: usize = 18;
pub const REG_SS: usize = 20;
pub const REG_FS_BASE: usize = 21;
pub const REG_GS_BASE: usize = 22;
pub const REG_DS: usize = 23;
pub const REG_GS: usize = 26;

impl UserRegsStruct {
    /// Register `index` (a word index).
    pub fn word(&self, index: usize) -> u64 {
        let words: &[u64; 27] = zerocopy::transmute_ref!(self);
        words[index]
    }

    fn word_mut(&mut self, index: usize) -> &mut u64 {
        let words: &mut [u64; 27] = zerocopy::transmute_mut!(self);
        &mut words[index]
    }

    /// Writes register `index` as Linux's `putreg` does, after [`check_register_write`].
    pub fn set_word(&mut self, index: usize, value: u64) -> Result<(), Errno> {
        let value = check_register_write(index, self.word(index), value)?;
        *self.word_mut(index) = value;
        Ok(())
    }

    /// Replaces every register from `new` (`PTRACE_SETREGS`), each checked as one write; on
    /// an error the registers written so far stay written, as in Linux's `genregs_set`.
    pub fn set_all(&mut self, new: &UserRegsStruct) -> Result<(), Errno> {
        for index in 0..27 {
            self.set_word(index, new.word(index))?;
        }
        Ok(())
    }
}

/// The value stored when a tracer writes `value` into register `index` whose value is `old`,
/// or `EIO` (`putreg`): segment selectors must be null or have RPL 3 (CS and SS not null); FS
/// and GS bases must be below [`TASK_SIZE_MAX`]; only [`FLAG_MASK`] bits of the flags change.
pub fn check_register_write(index: usize, old: u64, value: u64) -> Result<u64, Errno> {
    match index {
        REG_CS | REG_SS | REG_DS..=REG_GS => {
            let selector = value & 0xffff;
            if selector != 0 && selector & 3 != 3 {
                return Err(Errno::EIO);
            }
            if (index == REG_CS || index == REG_SS) && selector == 0 {
                return Err(Errno::EIO);
            }
            Ok(selector)
        }
        REG_FS_BASE | REG_GS_BASE => {
            if value >= TASK_SIZE_MAX {
                return Err(Errno::EIO);
            }
            Ok(value)
        }
        REG_EFLAGS => Ok((old & !FLAG_MASK) | (value & FLAG_MASK)),
        _ => Ok(value),
    }
}

/// What an offset of the user area names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserSlot {
    /// A register of [`UserRegsStruct`] (word index).
    Register(usize),
    /// Debug register `n` (0..8).
    DebugRegister(usize),
    /// Anything else inside `struct user`: reads as zero; a write is `EIO`.
    Other,
}

/// The slot at `offset` of `struct user`, or `EIO` if it is not 8-byte aligned or lies past
/// the structure (`arch_ptrace`'s PEEKUSR/POKEUSR checks).
pub fn user_area_slot(offset: u64) -> Result<UserSlot, Errno> {
    if offset & 7 != 0 || offset >= USER_SIZE {
        return Err(Errno::EIO);
    }
    if offset < USER_REGS_SIZE {
        return Ok(UserSlot::Register((offset / 8) as usize));
    }
    if (USER_DEBUGREG_OFFSET..USER_DEBUGREG_OFFSET + 64).contains(&offset) {
        return Ok(UserSlot::DebugRegister(
            ((offset - USER_DEBUGREG_OFFSET) / 8) as usize,
        ));
    }
    Ok(UserSlot::Other)
}

/// `struct ptrace_syscall_info` (88 bytes): the header, then the entry, exit or seccomp union.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SyscallInfo {
    pub op: u8,
    pub pad: [u8; 3],
    pub arch: u32,
    pub instruction_pointer: u64,
    pub stack_pointer: u64,
    /// `entry.nr` or `exit.rval`.
    pub nr_or_rval: u64,
    /// `entry.args`; `args[0]`'s low byte is `exit.is_error`.
    pub args: [u64; 6],
    pub seccomp_ret_data: u64,
}

/// How many bytes of [`SyscallInfo`] an operation fills (what the request returns).
pub fn syscall_info_size(op: u8) -> usize {
    match op {
        PTRACE_SYSCALL_INFO_ENTRY => 80,
        PTRACE_SYSCALL_INFO_EXIT => 33,
        PTRACE_SYSCALL_INFO_SECCOMP => 84,
        _ => 24,
    }
}

/// `struct ptrace_peeksiginfo_args`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PeekSiginfoArgs {
    pub off: u64,
    pub flags: u32,
    pub nr: i32,
}

#[cfg(test)]
mod tests;
