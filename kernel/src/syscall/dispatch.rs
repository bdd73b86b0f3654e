//! The dispatcher: looks the number up in the table, converts the registers into typed
//! arguments, runs the handler, traces (`ferrux.trace=1`), and is the one place where an `Err`
//! becomes `-errno` in `rax`. Unknown numbers are logged once each (numbers above 511 once in
//! all, so that random numbers cannot flood the console) and return `ENOSYS`; numbers that Linux
//! 6.1 answers with ENOSYS too (`table::absent_reason`) return it without a log line.

use super::table;
use super::{SyscallContext, SyscallResult};
use abi::Errno;
use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// One table entry.
pub struct Entry {
    pub name: &'static str,
    pub call: fn(&mut SyscallContext<'_>, &[u64; 6]) -> SyscallResult,
    pub trace_args: fn(&[u64; 6], &mut String),
}

static IS_TRACING: AtomicBool = AtomicBool::new(false);
/// Bitmap of unknown syscall numbers already logged (numbers up to 511).
static LOGGED_MISSING: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
/// Whether a number above 511 was logged: only the first is, whatever its value.
static LOGGED_OUT_OF_RANGE: AtomicBool = AtomicBool::new(false);

/// Turns strace-style tracing on or off.
pub fn set_tracing(is_on: bool) {
    IS_TRACING.store(is_on, Ordering::Relaxed);
}

/// Whether `number` is reported for the first time (and marks it reported).
fn is_first_report(number: u64) -> bool {
    match LOGGED_MISSING.get((number / 64) as usize) {
        Some(word) => {
            word.fetch_or(1 << (number % 64), Ordering::Relaxed) & (1 << (number % 64)) == 0
        }
        None => !LOGGED_OUT_OF_RANGE.swap(true, Ordering::Relaxed),
    }
}

fn log_missing_once(number: u64, thread_name: &[u8]) {
    if is_first_report(number) {
        let name = abi::syscall_name(number as usize).unwrap_or("unknown");
        let comm = core::str::from_utf8(thread_name)
            .unwrap_or("?")
            .trim_end_matches('\0');
        log::warn!("{comm}: syscall {number} ({name}) is not implemented: ENOSYS");
    }
}

/// Kernel-internal codes asking for a restart; signal delivery turns them into a restart or
/// EINTR before user space sees them.
fn is_restart_code(error: Errno) -> bool {
    matches!(error.0, 512..=516)
}

/// Runs the syscall saved in `context.user` and stores the result in `rax`.
pub fn dispatch(context: &mut SyscallContext<'_>) {
    let regs = context.user.regs();
    let number = regs.rax;
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    let result = match table::lookup(number) {
        Some(entry) => {
            let is_tracing = IS_TRACING.load(Ordering::Relaxed);
            let mut line = String::new();
            if is_tracing {
                let _ = write!(line, "[pid {}] {}(", context.thread.tid(), entry.name);
                (entry.trace_args)(&args, &mut line);
                line.push(')');
            }
            if number != crate::signal::deliver::NR_RESTART_SYSCALL {
                context.thread.restart.clear();
            }
            let result = (entry.call)(context, &args);
            if let Err(error) = result
                && is_restart_code(error)
            {
                context.thread.restart.set_if_none(crate::process::Restart {
                    number,
                    deadline: crate::sched::timer::Deadline::Monotonic(0),
                    remain_address: 0,
                    futex: None,
                });
            }
            if is_tracing {
                match result {
                    Ok(value) if value > 0xffff => {
                        let _ = write!(line, " = {value:#x}");
                    }
                    Ok(value) => {
                        let _ = write!(line, " = {value}");
                    }
                    Err(error) => {
                        let _ = write!(line, " = -1 {error:?}");
                    }
                }
                log::info!("{line}");
            }
            result
        }
        None => {
            if table::absent_reason(number).is_none() {
                log_missing_once(number, &context.thread.name());
            }
            Err(Errno::ENOSYS)
        }
    };
    // execve and rt_sigreturn replace the registers; their result must not overwrite rax.
    if table::is_register_replacing(number) && result.is_ok() {
        return;
    }
    context.user.regs_mut().rax = match result {
        Ok(value) => value as u64,
        Err(error) => error.as_syscall_return() as u64,
    };
}

hal::ktest! {
    /// Unknown numbers are logged once each, and numbers above 511 once in all: a process
    /// calling random numbers (each log line costs milliseconds on the serial console) cannot
    /// flood the console and slow the machine down.
    fn unknown_numbers_are_logged_once() -> hal::ktest::KtestResult {
        is_first_report(1 << 40);
        hal::ktest_assert_eq!(is_first_report(1 << 40), false);
        hal::ktest_assert_eq!(is_first_report(600), false);
        hal::ktest_assert_eq!(is_first_report(u64::MAX), false);
        is_first_report(509);
        hal::ktest_assert_eq!(is_first_report(509), false);
        Ok(())
    }
}
