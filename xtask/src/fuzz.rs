//! `cargo xtask fuzz`: Debian's trinity system-call fuzzer against the kernel, for longer than
//! the one-minute `boot/syscall-stress` of `cargo xtask test`.
//!
//! The image is the default busybox layout plus `/usr/bin/trinity` from the host (installed
//! with apt-get when missing), the C libraries it links, and `tests/fuzz/trinity.sh` as init.
//! That script runs trinity as nobody for `--seconds` with `--seed` and `--children`, stops it,
//! and checks that the system still forks, execs and pipes. The run passes when the script
//! printed `fuzz: PASS` and init exited with status 0; a kernel panic, a hang (the boot's
//! timeout), or the script's `FAIL` fail it, with the seed to replay. trinity's randomness also
//! depends on timing, so a replay is likely but not certain to hit the same path.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::build;
use crate::cli::{FuzzOptions, Profile};
use crate::cmdline::KernelCommandLine;
use crate::initramfs::{self, ExtraFile};
use crate::linux;
use crate::packages::{self, Tool};
use crate::paths;
use crate::process;
use crate::qemu::{self, BootConfig, BootOutcome, Console, GuestMemory};
use crate::stress;

/// Where the script lives in the image.
const SCRIPT_PATH: &str = "/bin/fuzz";
/// Seconds of fuzzing without `--seconds`.
pub const DEFAULT_SECONDS: u64 = 300;
/// trinity's child processes without `--children`.
pub const DEFAULT_CHILDREN: u32 = 4;
/// Booting, stopping trinity and the checks after it, beyond the fuzzing itself (TCG is slow,
/// and a loaded host slower).
const TIMEOUT_MARGIN: Duration = Duration::from_secs(240);

pub fn run(options: &FuzzOptions) -> Result<ExitCode> {
    packages::ensure(&[Tool::Qemu, Tool::StaticBusybox, Tool::Trinity])?;
    let kernel = match (&options.kernel, options.is_linux) {
        (Some(kernel), _) => kernel.clone(),
        (None, true) => linux::kernel_image()?,
        (None, false) => build::build_kernel(Profile::Release, build::Checks::from_switch(true))?,
    };
    let initrd = write_image()?;
    let seed = options.seed.unwrap_or_else(stress::clock_seed);
    // trinity takes a 32-bit seed.
    let seed = seed & u64::from(u32::MAX);
    let mut cmdline = KernelCommandLine::new();
    cmdline.set_init(&init_argv(options.seconds, seed, options.children))?;
    let config = BootConfig {
        kernel,
        initrd,
        cmdline: cmdline.render(),
        memory: GuestMemory::DEFAULT,
        waits_for_gdb: false,
        counts_instructions: false,
        cpus: None,
        network: None,
        disks: Vec::new(),
    };
    eprintln!("xtask: {}", process::describe(&config.qemu_command()));
    let log_path = paths::logs_dir().join(if options.is_linux {
        "fuzz-linux.log"
    } else {
        "fuzz-ferrux.log"
    });
    let timeout = Duration::from_secs(options.seconds) + TIMEOUT_MARGIN;
    let outcome = qemu::boot(&config, Console::Captured, &log_path, Some(timeout))?;
    match verdict(&outcome) {
        Ok(()) => {
            eprintln!(
                "xtask: fuzz: PASS ({} s of trinity, seed {seed:#x}; log: {})",
                options.seconds,
                log_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!(
                "xtask: fuzz: FAIL: {reason}; seed {seed:#x}: replay with `cargo xtask fuzz \
                 --seed {seed:#x} --seconds {} --children {}` (log: {})",
                options.seconds,
                options.children,
                log_path.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The fuzz image: the default layout, trinity, its C library and the script.
fn write_image() -> Result<PathBuf> {
    let mut extras = vec![
        ExtraFile {
            image_path: "/bin/trinity".to_string(),
            host_path: PathBuf::from(packages::TRINITY),
            mode: 0o755,
        },
        ExtraFile {
            image_path: SCRIPT_PATH.to_string(),
            host_path: paths::repo_root().join("tests/fuzz/trinity.sh"),
            mode: 0o755,
        },
    ];
    extras.extend(initramfs::c_library_files());
    initramfs::write_with_extras("initramfs-fuzz", &extras)
}

/// Init's argv: the script under busybox's shell, with its three arguments.
fn init_argv(seconds: u64, seed: u64, children: u32) -> Vec<String> {
    vec![
        "/bin/busybox".to_string(),
        "sh".to_string(),
        SCRIPT_PATH.to_string(),
        seconds.to_string(),
        seed.to_string(),
        children.to_string(),
    ]
}

/// `Err(reason)` unless the script passed and init exited with status 0.
fn verdict(outcome: &BootOutcome) -> Result<(), String> {
    let lines: Vec<&str> = outcome.log.lines().map(str::trim_end).collect();
    let has_passed = lines.contains(&"fuzz: PASS");
    let init_status = outcome.init_exit().map(|exit| exit.wait_status);
    if has_passed && init_status == Some(0) {
        return Ok(());
    }
    if let Some(line) = lines.iter().find(|line| line.starts_with("fuzz: FAIL")) {
        return Err(line.trim_start_matches("fuzz: ").to_string());
    }
    if let Some(panic) = crate::qemu::kernel_panic(&lines) {
        return Err(panic);
    }
    Err(outcome.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_carries_seconds_seed_and_children() {
        assert_eq!(
            init_argv(300, 0xabc, 4),
            ["/bin/busybox", "sh", "/bin/fuzz", "300", "2748", "4"]
        );
    }
}
