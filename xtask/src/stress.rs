//! `boot/syscall-stress`: the random-syscall stress (`tests/user/syscall-stress.c`) as a boot
//! check of `cargo xtask test`.
//!
//! The program runs as init for `--stress-seconds` (default [`DEFAULT_SECONDS`]) on Ferrux, and
//! a quarter of that on Linux, which only keeps the harness honest (it is the slow one under
//! TCG). Both kernels get the same seed: `--stress-seed`, or one drawn from the clock and shown
//! in the failure. The check passes when the program printed `syscall-stress: PASS` and init
//! exited with status 0; a kernel panic, a hang (the boot's timeout), or the program's own
//! `FAIL` (a process that SIGKILL could not end, fork+exec broken afterwards) fail it, with the
//! seed and how to replay it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::qemu::BootOutcome;
use crate::report::Runner;

/// Where the program lives in the test images.
pub const PATH: &str = "/bin/syscall-stress";
/// The check's name in the report.
pub const CHECK_NAME: &str = "boot/syscall-stress";
/// The `--only` entry that selects just this check.
pub const ONLY_ENTRY: &str = "syscall-stress";
/// Seconds of stress on Ferrux without `--stress-seconds`.
pub const DEFAULT_SECONDS: u64 = 60;
/// Shortest run on Linux.
const LINUX_MIN_SECONDS: u64 = 10;
/// Booting, the last round's reaping, and fork+exec at the end, beyond the stress itself.
const TIMEOUT_MARGIN: Duration = Duration::from_secs(150);

/// How long `runner` stresses when Ferrux gets `seconds`.
pub fn seconds_for(runner: Runner, seconds: u64) -> u64 {
    match runner {
        Runner::Linux => (seconds / 4).max(LINUX_MIN_SECONDS).min(seconds),
        _ => seconds,
    }
}

/// A seed from the clock, for a run without `--stress-seed`.
pub fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    // Keep the low bits, which change fastest; a seed needs no more than 64 of them.
    (nanos as u64) ^ ((nanos >> 64) as u64)
}

/// Init's argv for one run.
pub fn init_argv(seconds: u64, seed: u64) -> Vec<String> {
    vec![
        PATH.to_string(),
        "--seconds".to_string(),
        seconds.to_string(),
        "--seed".to_string(),
        format!("{seed:#x}"),
    ]
}

/// The bound for a boot that stresses `seconds`.
pub fn timeout(seconds: u64) -> Duration {
    Duration::from_secs(seconds) + TIMEOUT_MARGIN
}

/// `Err(reason)` unless the program passed and init exited with status 0.
pub fn verdict(outcome: &BootOutcome, seed: u64, seconds: u64) -> Result<(), String> {
    let lines: Vec<&str> = outcome.log.lines().map(str::trim_end).collect();
    let has_passed = lines
        .iter()
        .any(|line| line.starts_with("syscall-stress: PASS"));
    let init_status = outcome.init_exit().map(|exit| exit.wait_status);
    if has_passed && init_status == Some(0) {
        return Ok(());
    }
    let what = if let Some(line) = lines
        .iter()
        .find(|line| line.starts_with("syscall-stress: FAIL"))
    {
        line.trim_start_matches("syscall-stress: ").to_string()
    } else if let Some(panic) = crate::qemu::kernel_panic(&lines) {
        panic
    } else {
        outcome.summary()
    };
    let progress = lines
        .iter()
        .rev()
        .find(|line| line.starts_with("syscall-stress: ") && line.ends_with(" children"))
        .map(|line| {
            format!(
                " (last progress: {})",
                line.trim_start_matches("syscall-stress: ")
            )
        })
        .unwrap_or_default();
    Err(format!(
        "{what}{progress}; seed {seed:#x}: replay with `cargo xtask test --only {ONLY_ENTRY} \
         --stress-seed {seed:#x} --stress-seconds {seconds}`, or one child with `cargo xtask \
         run --cmd \"syscall-stress --seed {seed:#x} --child K --verbose\" --initrd \
         build/initramfs-tests-musl.cpio --append ferrux.trace=1`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_stresses_a_quarter() {
        assert_eq!(seconds_for(Runner::Ferrux, 60), 60);
        assert_eq!(seconds_for(Runner::Linux, 60), 15);
        assert_eq!(seconds_for(Runner::Linux, 20), 10);
        assert_eq!(seconds_for(Runner::Linux, 5), 5);
    }

    #[test]
    fn argv_carries_seconds_and_seed() {
        assert_eq!(
            init_argv(30, 0xabc),
            ["/bin/syscall-stress", "--seconds", "30", "--seed", "0xabc"]
        );
    }
}
