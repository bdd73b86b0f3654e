//! The parts of Linux's seccomp (`kernel/seccomp.c`, `include/uapi/linux/seccomp.h`) that are
//! pure rules, tested on the host:
//!
//! - classic BPF filters: the checks before a filter is attached and an interpreter ([`bpf`]);
//! - [`SeccompData`], what a filter reads: the syscall number, `AUDIT_ARCH_X86_64`, the
//!   instruction pointer and the six arguments;
//! - actions: their values, which one wins when several filters answer ([`Verdict`], the
//!   lowest action value as a signed number, the newest filter on a tie), the names of
//!   `/proc/sys/kernel/seccomp/actions_avail` and `actions_logged` ([`parse_logged`]);
//! - strict mode's four syscalls ([`is_strict_allowed`]) and the flags of `seccomp(2)`.
//!
//! The kernel holds the filter chains, runs them at syscall entry and carries out the actions
//! (`kernel/src/seccomp/`).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod bpf;

use abi::Errno;
use linux_raw_sys::ptrace as raw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub use raw::{
    SECCOMP_ADDFD_FLAG_SEND, SECCOMP_ADDFD_FLAG_SETFD, SECCOMP_USER_NOTIF_FLAG_CONTINUE,
};
pub use raw::{
    SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
    SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES,
    SECCOMP_MODE_DISABLED, SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT, SECCOMP_RET_ACTION_FULL,
    SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
    SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
    SECCOMP_RET_USER_NOTIF, SECCOMP_SET_MODE_FILTER, SECCOMP_SET_MODE_STRICT,
};

/// `AUDIT_ARCH_X86_64`: what `seccomp_data.arch` says for every x86-64 syscall (x32 ones too;
/// they differ by `__X32_SYSCALL_BIT` in the number).
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `__X32_SYSCALL_BIT`.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The flags `seccomp(SECCOMP_SET_MODE_FILTER)` knows in 6.1 (`SECCOMP_FILTER_FLAG_MASK`).
pub const FILTER_FLAGS: u32 = SECCOMP_FILTER_FLAG_TSYNC
    | SECCOMP_FILTER_FLAG_LOG
    | SECCOMP_FILTER_FLAG_SPEC_ALLOW
    | SECCOMP_FILTER_FLAG_NEW_LISTENER
    | SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;

/// `MAX_INSNS_PER_PATH`: the instructions of all filters of a chain, each filter counted with
/// four more; past it, attaching is `ENOMEM`.
pub const MAX_INSNS_PER_PATH: usize = 1 << 15;
/// The penalty per filter in that count.
pub const INSNS_PENALTY: usize = 4;

/// `MAX_ERRNO`: `SECCOMP_RET_ERRNO`'s data is capped at it.
pub const MAX_ERRNO: u32 = 4095;

/// `struct seccomp_data`, what a filter reads (64 bytes).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SeccompData {
    pub nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

const _: () = assert!(core::mem::size_of::<SeccompData>() == 64);

impl SeccompData {
    /// The data of an x86-64 syscall: the number as the `int` Linux takes from `orig_ax`.
    pub fn new(number: u64, instruction_pointer: u64, args: [u64; 6]) -> SeccompData {
        SeccompData {
            nr: number as u32 as i32,
            arch: AUDIT_ARCH_X86_64,
            instruction_pointer,
            args,
        }
    }

    /// The 32-bit word at byte `offset` (aligned, inside), in the machine's byte order.
    pub fn word(&self, offset: u32) -> Option<u32> {
        let offset = offset as usize;
        if !offset.is_multiple_of(4) {
            return None;
        }
        let bytes = self.as_bytes().get(offset..offset + 4)?;
        Some(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

/// The action part of a filter's return value, as the signed number Linux compares
/// (`ACTION_ONLY`): `KILL_PROCESS` is the lowest, `ALLOW` the highest known.
pub fn action_rank(ret: u32) -> i32 {
    (ret & SECCOMP_RET_ACTION_FULL) as i32
}

/// What a chain of filters decided, and which filter (an index into the chain, newest
/// first) said so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub ret: u32,
    pub filter: Option<usize>,
}

impl Verdict {
    /// No filter yet: allow.
    pub const fn allow() -> Verdict {
        Verdict {
            ret: SECCOMP_RET_ALLOW,
            filter: None,
        }
    }

    /// Takes `ret` from filter `index` if its action is lower than the current one
    /// (`seccomp_run_filters`: on a tie the earlier, newer filter stays).
    pub fn merge(&mut self, index: usize, ret: u32) {
        if action_rank(ret) < action_rank(self.ret) {
            self.ret = ret;
            self.filter = Some(index);
        }
    }

    /// The action (`SECCOMP_RET_ACTION_FULL` bits).
    pub fn action(&self) -> u32 {
        self.ret & SECCOMP_RET_ACTION_FULL
    }

    /// The 16 data bits.
    pub fn data(&self) -> u32 {
        self.ret & SECCOMP_RET_DATA
    }

    /// For `SECCOMP_RET_ERRNO`: the errno, capped at `MAX_ERRNO`.
    pub fn errno(&self) -> u32 {
        self.data().min(MAX_ERRNO)
    }
}

/// The syscalls strict mode allows (`mode1_syscalls`): read, write, exit, rt_sigreturn.
pub fn is_strict_allowed(number: u64) -> bool {
    matches!(number, 0 | 1 | 60 | 15)
}

/// `SECCOMP_GET_ACTION_AVAIL`: whether `action` is one this kernel has.
pub fn is_action_available(action: u32) -> bool {
    matches!(
        action,
        SECCOMP_RET_KILL_PROCESS
            | SECCOMP_RET_KILL_THREAD
            | SECCOMP_RET_TRAP
            | SECCOMP_RET_ERRNO
            | SECCOMP_RET_USER_NOTIF
            | SECCOMP_RET_TRACE
            | SECCOMP_RET_LOG
            | SECCOMP_RET_ALLOW
    )
}

// The bits of `actions_logged` (`SECCOMP_LOG_*`).
pub const LOG_KILL_PROCESS: u32 = 1 << 0;
pub const LOG_KILL_THREAD: u32 = 1 << 1;
pub const LOG_TRAP: u32 = 1 << 2;
pub const LOG_ERRNO: u32 = 1 << 3;
pub const LOG_TRACE: u32 = 1 << 4;
pub const LOG_LOG: u32 = 1 << 5;
pub const LOG_ALLOW: u32 = 1 << 6;
pub const LOG_USER_NOTIF: u32 = 1 << 7;

/// The actions by name in `actions_avail`'s order, with their log bits.
pub const ACTION_NAMES: [(&str, u32); 8] = [
    ("kill_process", LOG_KILL_PROCESS),
    ("kill_thread", LOG_KILL_THREAD),
    ("trap", LOG_TRAP),
    ("errno", LOG_ERRNO),
    ("user_notif", LOG_USER_NOTIF),
    ("trace", LOG_TRACE),
    ("log", LOG_LOG),
    ("allow", LOG_ALLOW),
];

/// `actions_logged` at boot: every action but allow.
pub const DEFAULT_LOGGED: u32 = LOG_KILL_PROCESS
    | LOG_KILL_THREAD
    | LOG_TRAP
    | LOG_ERRNO
    | LOG_USER_NOTIF
    | LOG_TRACE
    | LOG_LOG;

/// Writes the names of the actions in `bits` separated by spaces (`actions_avail` with every
/// bit, `actions_logged`) into `out`; the number of bytes.
pub fn format_actions(bits: u32, out: &mut [u8]) -> usize {
    let mut len = 0;
    for (name, bit) in ACTION_NAMES {
        if bits & bit == 0 {
            continue;
        }
        let separator = usize::from(len != 0);
        if len + separator + name.len() > out.len() {
            break;
        }
        if separator != 0 {
            out[len] = b' ';
        }
        out[len + separator..len + separator + name.len()].copy_from_slice(name.as_bytes());
        len += separator + name.len();
    }
    len
}

/// Parses a write to `actions_logged`: names separated by spaces (a final newline allowed);
/// `allow` or an unknown name is `EINVAL` (`seccomp_actions_logged_from_names`).
pub fn parse_logged(text: &[u8]) -> Result<u32, Errno> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let mut bits = 0;
    for name in text.split(|&byte| byte == b' ') {
        if name.is_empty() {
            continue;
        }
        let bit = ACTION_NAMES
            .iter()
            .find(|(known, _)| known.as_bytes() == name)
            .map(|&(_, bit)| bit)
            .ok_or(Errno::EINVAL)?;
        if bit == LOG_ALLOW {
            return Err(Errno::EINVAL);
        }
        bits |= bit;
    }
    Ok(bits)
}

/// Whether an action of a filter is logged (`seccomp_log`): `requested` is the filter's
/// `SECCOMP_FILTER_FLAG_LOG`, needed for trap, errno, trace and user_notif; log and the
/// kill actions follow only `logged`; allow is never logged.
pub fn is_logged(action: u32, requested: bool, logged: u32) -> bool {
    match action {
        SECCOMP_RET_ALLOW => false,
        SECCOMP_RET_TRAP => requested && logged & LOG_TRAP != 0,
        SECCOMP_RET_ERRNO => requested && logged & LOG_ERRNO != 0,
        SECCOMP_RET_TRACE => requested && logged & LOG_TRACE != 0,
        SECCOMP_RET_USER_NOTIF => requested && logged & LOG_USER_NOTIF != 0,
        SECCOMP_RET_LOG => logged & LOG_LOG != 0,
        SECCOMP_RET_KILL_THREAD => logged & LOG_KILL_THREAD != 0,
        _ => logged & LOG_KILL_PROCESS != 0,
    }
}

#[cfg(test)]
mod tests;
