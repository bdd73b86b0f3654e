//! `boot/smp-stress`: the SMP stress (`tests/user/smp-stress.c`) as a boot check of `cargo xtask
//! test`, on a guest with [`CPUS`] vCPUs whatever `--smp` says.
//!
//! The program runs as init: fork+exec storms, futex and pipe ping-pong between threads,
//! mmap/munmap/mprotect races between threads, signal storms between the threads of one
//! process and file creation and deletion in one directory, all at once, for
//! `--stress-seconds` on Ferrux (default 60) and a quarter of that on Linux (which keeps the
//! harness honest). It watches every worker (a worker that stops making progress for 30 s is a
//! deadlock or a lost wake-up), checks each worker's totals (every queued real-time signal
//! delivered, the mutex-protected counter exact, every pipe byte in order, the directory empty)
//! and compares MemFree after dropping caches with the start. The check passes when it printed
//! `smp-stress: PASS` and init exited with status 0; a panic, a hang (the boot's timeout) or
//! one of its `FAIL` lines fail it. `cargo xtask test --only stress` runs just it.

use std::time::Duration;

use crate::qemu::BootOutcome;

/// Where the program lives in the test images.
pub const PATH: &str = "/bin/smp-stress";
/// The check's name in the report.
pub const CHECK_NAME: &str = "boot/smp-stress";
/// The `--only` entry that selects just this check.
pub const ONLY_ENTRY: &str = "stress";
/// vCPUs of the stress boot (QEMU runs each in a host thread: MTTCG).
pub const CPUS: u32 = 4;
/// Booting, dropping caches and settling free memory, reaping, beyond the stress itself;
/// and the watchdog's 30 s for workers that do not stop.
const TIMEOUT_MARGIN: Duration = Duration::from_secs(180);

/// Init's argv for one run.
pub fn init_argv(seconds: u64) -> Vec<String> {
    vec![
        PATH.to_string(),
        "--seconds".to_string(),
        seconds.to_string(),
    ]
}

/// The bound for a boot that stresses `seconds`.
pub fn timeout(seconds: u64) -> Duration {
    Duration::from_secs(seconds) + TIMEOUT_MARGIN
}

/// `Err(reason)` unless the program passed and init exited with status 0.
pub fn verdict(outcome: &BootOutcome, seconds: u64) -> Result<(), String> {
    let lines: Vec<&str> = outcome.log.lines().map(str::trim_end).collect();
    let has_passed = lines
        .iter()
        .any(|line| line.starts_with("smp-stress: PASS"));
    let init_status = outcome.init_exit().map(|exit| exit.wait_status);
    if has_passed && init_status == Some(0) {
        return Ok(());
    }
    let failures: Vec<&str> = lines
        .iter()
        .filter(|line| line.starts_with("smp-stress: FAIL"))
        .map(|line| line.trim_start_matches("smp-stress: "))
        .take(3)
        .collect();
    let what = if !failures.is_empty() {
        failures.join("; ")
    } else if let Some(panic) = crate::qemu::kernel_panic(&lines) {
        panic
    } else {
        outcome.summary()
    };
    let progress = lines
        .iter()
        .rev()
        .find(|line| line.starts_with("smp-stress: ") && line.contains(" s: "))
        .map(|line| {
            format!(
                " (last progress: {})",
                line.trim_start_matches("smp-stress: ")
            )
        })
        .unwrap_or_default();
    Err(format!(
        "{what}{progress}; again with `cargo xtask test --only {ONLY_ENTRY} --stress-seconds \
         {seconds}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_carries_seconds() {
        assert_eq!(init_argv(30), ["/bin/smp-stress", "--seconds", "30"]);
    }
}
