//! `cargo xtask bench`: Ferrux beside Linux (or beside another Ferrux build) in the same QEMU.
//!
//! 1. Builds `bench/` (its Makefile, musl, static) into `build/bench/` and packs
//!    `/bin/ferrux-bench`, `/bin/bench-true`, the host's dynamically linked `/usr/bin/true` as
//!    `/bin/debian-true` and the C libraries it needs with the default busybox image into
//!    `build/initramfs-bench.cpio`, with Debian's virtio modules (for Linux's disk).
//!    Every boot gets a fresh copy of the same ext4 disk as `vda` (`rootdisk::bench_disk`:
//!    1 GiB, `/tree.tar` on it) for the disk benchmarks.
//! 2. Kernel A is Ferrux (built, or `--kernel ELF`), kernel B Debian's Linux cloud kernel (the
//!    test oracle's package, `linux.rs`), or `--vs ELF` for a second Ferrux build.
//! 3. Boots them alternately, A B A B …, `--runs` times each, one boot at a time, in the
//!    machine of `qemu.rs` (`-accel tcg -cpu max -m 1G`, one vCPU) with
//!    `rdinit=/bin/ferrux-bench`. Each boot's log is saved as `build/logs/bench-<A|B>-<n>.log`.
//! 4. Parses the `BENCH` lines (`bench_results.rs`), adds the host's wall-clock time from QEMU's
//!    start to the program's first line (`qemu_start_to_init_ns`), and prints the table. As a
//!    check of the instrument, the guest's own time from its first line to its last is compared
//!    with the host's: a guest clock that runs fast or slow would skew every number (a
//!    deviation over 5% is flagged).
//! 5. Writes `docs/bench.md` and `docs/bench.json` (Ferrux against Linux), or
//!    `build/bench-vs.md` and `.json` (two Ferrux builds); `--no-write` writes nothing.
//!
//! The exit status is non-zero when a boot did not run the program to its end (`BENCH-END`):
//! a crash or a hang. A benchmark that prints `n/a` does not fail the command: timings are not
//! tests.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::bench_results::{self, Comparison, Json, Measurement, RunOutput, Unit};
use crate::bench_servers;
use crate::build;
use crate::cli::{BenchOptions, Profile};
use crate::cmdline::KernelCommandLine;
use crate::initramfs::{self, ExtraFile};
use crate::linux;
use crate::packages::{self, Tool};
use crate::paths;
use crate::process;
use crate::qemu::{self, BootConfig, Console, GuestMemory};

/// Where the benchmark program lives in the image.
const BENCH_PATH: &str = "/bin/ferrux-bench";
/// The tiny program that the exec benchmark runs.
const TRUE_PATH: &str = "/bin/bench-true";
/// Where Debian's dynamically linked `/bin/true` goes (the dynamic exec benchmark).
const DYNAMIC_TRUE_PATH: &str = "/bin/debian-true";
/// The host's `true` from coreutils, linked against glibc.
const DEBIAN_TRUE: &str = "/usr/bin/true";
/// The program's first line; its arrival times the boot from the host.
const START_MARKER: &str = "BENCH-START";
/// The program's last line.
const END_MARKER: &str = "BENCH-END";
/// How far the guest clock may stray from the host's before the report flags it.
const CLOCK_TOLERANCE: f64 = 0.05;
/// Per-benchmark calibration target of a full run and of `--quick`.
const TARGET_MS: u64 = 200;
const QUICK_TARGET_MS: u64 = 50;

/// One of the two kernels being compared.
struct Kernel {
    /// Column label: `ferrux`, `linux`, or `A`/`B` for two Ferrux builds.
    label: String,
    path: PathBuf,
    /// `ferrux` or `linux`: what kind of kernel this is.
    kind: &'static str,
}

pub fn run(options: &BenchOptions) -> Result<ExitCode> {
    packages::ensure(&[Tool::Qemu, Tool::StaticBusybox, Tool::MuslGcc, Tool::Make])?;
    println!("=== bench: build bench/ ===");
    let initrd = build_image()?;
    let (a, b) = kernels(options)?;
    let target_ms = if options.is_quick {
        QUICK_TARGET_MS
    } else {
        TARGET_MS
    };
    let mut init_argv = vec![
        BENCH_PATH.to_string(),
        "-t".to_string(),
        target_ms.to_string(),
    ];
    init_argv.extend(options.only.iter().cloned());
    let mut cmdline = KernelCommandLine::new();
    cmdline.set_init(&init_argv)?;
    let cmdline = cmdline.render();

    println!(
        "=== bench: {} run(s) each, alternating {} ({}) and {} ({}) ===",
        options.runs,
        a.label,
        a.path.display(),
        b.label,
        b.path.display()
    );
    let mut a_runs = Vec::new();
    let mut b_runs = Vec::new();
    // The server rows' runs, kept apart so that their rows come after the microbenchmarks'.
    let mut a_server_runs = Vec::new();
    let mut b_server_runs = Vec::new();
    let mut failures = Vec::new();
    // Guest time over host time between the program's first and last lines, per kernel.
    let mut a_clock_rates = Vec::new();
    let mut b_clock_rates = Vec::new();
    // The server rows (redis-benchmark and wrk from the host, `bench_servers.rs`) and the
    // microbenchmarks, each only when `--only` selects one of them.
    let wants_servers = bench_servers::is_selected(&options.only);
    let wants_micro = options.only.is_empty()
        || options
            .only
            .iter()
            .any(|name| !bench_servers::ROWS.contains(&name.as_str()));
    let server_images = if wants_servers {
        bench_servers::ensure_clients()?;
        Some((bench_servers::image(a.kind)?, bench_servers::image(b.kind)?))
    } else {
        None
    };
    for run in 1..=options.runs {
        for (kernel, side, runs, server_runs, clock_rates) in [
            (&a, "A", &mut a_runs, &mut a_server_runs, &mut a_clock_rates),
            (&b, "B", &mut b_runs, &mut b_server_runs, &mut b_clock_rates),
        ] {
            if let Some((a_image, b_image)) = &server_images {
                let image = if side == "A" { a_image } else { b_image };
                let log_path = paths::logs_dir().join(format!("bench-servers-{side}-{run}.log"));
                let title = format!("[run {run}/{}] {} servers", options.runs, kernel.label);
                match bench_servers::measure(
                    &kernel.path,
                    image.clone(),
                    options.is_quick,
                    &log_path,
                ) {
                    Ok(rows) => {
                        let list: Vec<String> = rows
                            .iter()
                            .map(|(name, measurement)| format!("{name} {measurement:?}"))
                            .collect();
                        println!("{title}: {}", list.join(", "));
                        let mut output = RunOutput {
                            is_complete: true,
                            ..RunOutput::default()
                        };
                        for (name, measurement) in rows {
                            output.set(&name, measurement);
                        }
                        server_runs.push(output);
                    }
                    Err(error) => {
                        let failure = format!("{title}: {error:#}; log {}", log_path.display());
                        println!("{failure}");
                        failures.push(failure);
                    }
                }
            }
            if !wants_micro {
                continue;
            }
            // The same fresh disk image for every boot.
            let disk = crate::rootdisk::bench_disk()?;
            let config = BootConfig {
                kernel: kernel.path.clone(),
                initrd: initrd.clone(),
                cmdline: cmdline.clone(),
                memory: GuestMemory::DEFAULT,
                waits_for_gdb: false,
                counts_instructions: options.counts_instructions,
                cpus: None,
                network: None,
                disks: vec![crate::disks::DiskImage {
                    path: disk,
                    is_read_only: false,
                }],
            };
            let log_path = paths::logs_dir().join(format!("bench-{side}-{run}.log"));
            let output = boot_once(&config, &log_path, options.boot_timeout);
            let title = format!("[run {run}/{}] {}", options.runs, kernel.label);
            match output {
                Ok((output, clock_rate, summary)) => {
                    let count = output.measurements.len();
                    clock_rates.extend(clock_rate);
                    if output.is_complete {
                        println!("{title}: {count} results; {summary}");
                    } else {
                        let failure = format!(
                            "{title}: INCOMPLETE ({count} results, no BENCH-END); {summary}; \
                             log {}",
                            log_path.display()
                        );
                        println!("{failure}");
                        failures.push(failure);
                    }
                    runs.push(output);
                }
                Err(error) => {
                    let failure = format!("{title}: QEMU did not run: {error:#}");
                    println!("{failure}");
                    failures.push(failure);
                }
            }
        }
    }

    let clock_check = ClockCheck {
        a: bench_results::median(&a_clock_rates),
        b: bench_results::median(&b_clock_rates),
        counts_instructions: options.counts_instructions,
    };
    a_runs.extend(a_server_runs);
    b_runs.extend(b_server_runs);
    let comparison = Comparison::from_runs(&a_runs, &b_runs);
    let table = comparison.render_markdown(&a.label, &b.label);
    println!();
    print!("{table}");
    let worst = comparison.worst(3);
    if !worst.is_empty() {
        let list: Vec<String> = worst
            .iter()
            .map(|(row, ratio)| format!("{} {ratio:.2}", row.name))
            .collect();
        println!("\nWorst ratios: {}", list.join(", "));
    }
    println!("{}", clock_check.describe(&a.label, &b.label));

    if options.writes_results {
        let context = RunContext::gather(options, target_ms, &cmdline);
        let (markdown_path, json_path) = if b.kind == "linux" {
            let docs = paths::repo_root().join("docs");
            (docs.join("bench.md"), docs.join("bench.json"))
        } else {
            let build = paths::build_dir();
            (build.join("bench-vs.md"), build.join("bench-vs.json"))
        };
        let markdown = render_document(
            &comparison,
            &table,
            &a,
            &b,
            &context,
            &clock_check,
            &failures,
        );
        paths::write_atomically(&markdown_path, markdown.as_bytes())?;
        let json = render_json(&comparison, &a, &b, &context, &clock_check, &failures);
        paths::write_atomically(&json_path, json.as_bytes())?;
        println!(
            "\nwrote {} and {}",
            markdown_path.display(),
            json_path.display()
        );
    }

    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} boot(s) did not complete:", failures.len());
        for failure in &failures {
            println!("  {failure}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// `make -C bench OUT=build/bench`, then the image; returns the image's path.
fn build_image() -> Result<PathBuf> {
    let out = paths::build_dir().join("bench");
    paths::ensure_dir(&out)?;
    let mut command = Command::new("make");
    command
        .arg("-C")
        .arg(paths::repo_root().join("bench"))
        .arg(format!("OUT={}", out.display()));
    process::run(&mut command)?;
    let mut extras: Vec<ExtraFile> = [
        (BENCH_PATH, out.join("ferrux-bench")),
        (TRUE_PATH, out.join("bench-true")),
        (DYNAMIC_TRUE_PATH, PathBuf::from(DEBIAN_TRUE)),
    ]
    .map(|(image_path, host_path)| ExtraFile {
        image_path: image_path.to_string(),
        host_path,
        mode: 0o755,
    })
    .into();
    extras.extend(initramfs::c_library_files());
    // Debian's Linux loads these to see the benchmark disk (Ferrux has its own driver).
    match linux::virtio_modules() {
        Ok(modules) => {
            for module in modules {
                if let Some(name) = module.file_name() {
                    extras.push(ExtraFile {
                        image_path: format!("/lib/modules/virtio/{}", name.to_string_lossy()),
                        host_path: module.clone(),
                        mode: 0o644,
                    });
                }
            }
        }
        Err(error) => println!("xtask: no virtio modules ({error:#}): Linux's disk rows are n/a"),
    }
    for extra in &extras {
        if !extra.host_path.is_file() {
            bail!(
                "`{}` did not produce {}",
                process::describe(&command),
                extra.host_path.display()
            );
        }
    }
    initramfs::write_with_extras("initramfs-bench", &extras)
}

/// Kernel A and kernel B.
fn kernels(options: &BenchOptions) -> Result<(Kernel, Kernel)> {
    let a_path = match &options.kernel {
        Some(elf) => elf.clone(),
        None => {
            println!("=== bench: cargo xtask build ===");
            build::build_kernel(Profile::Release, build::Checks::Plain)?
        }
    };
    check_file(&a_path)?;
    match &options.vs {
        Some(b_path) => {
            check_file(b_path)?;
            Ok((
                Kernel {
                    label: "A".to_string(),
                    path: a_path,
                    kind: "ferrux",
                },
                Kernel {
                    label: "B".to_string(),
                    path: b_path.clone(),
                    kind: "ferrux",
                },
            ))
        }
        None => Ok((
            Kernel {
                label: "ferrux".to_string(),
                path: a_path,
                kind: "ferrux",
            },
            Kernel {
                label: "linux".to_string(),
                path: linux::kernel_image()?,
                kind: "linux",
            },
        )),
    }
}

fn check_file(path: &Path) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        bail!("kernel {} is not a file", path.display())
    }
}

/// Boots once; the parsed results (with the host-timed boot), the guest clock's rate against
/// the host's, and a line on how QEMU ended.
fn boot_once(
    config: &BootConfig,
    log_path: &Path,
    timeout: Duration,
) -> Result<(RunOutput, Option<f64>, String)> {
    let outcome = qemu::boot_marked(
        config,
        Console::Captured,
        log_path,
        Some(timeout),
        &[START_MARKER, END_MARKER],
    )?;
    let mut output = RunOutput::parse(&outcome.log);
    let (start, end) = match outcome.marker_elapsed.as_slice() {
        [start, end] => (*start, *end),
        _ => (None, None),
    };
    let clock_rate = match (start, end, output.guest_elapsed_ns) {
        (Some(start), Some(end), Some(guest_ns)) if end > start => {
            Some(guest_ns / (end - start).as_nanos() as f64)
        }
        _ => None,
    };
    if let Some(elapsed) = start {
        let value = elapsed.as_nanos() as f64;
        // First, so that boot rows lead the table.
        output.measurements.insert(
            0,
            (
                "qemu_start_to_init_ns".to_string(),
                Measurement::Value {
                    value,
                    unit: Unit::Nanoseconds,
                },
            ),
        );
    }
    Ok((output, clock_rate, outcome.summary()))
}

/// Median guest-clock rates (guest seconds per host second) of the two kernels.
struct ClockCheck {
    a: Option<f64>,
    b: Option<f64>,
    /// `--icount`: the guest clock counts instructions, so it is not meant to follow the host's.
    counts_instructions: bool,
}

impl ClockCheck {
    fn describe(&self, a: &str, b: &str) -> String {
        if self.counts_instructions {
            return "Guest clock: QEMU `-icount shift=0,sleep=off`, one nanosecond per guest \
                    instruction, so every time is an instruction count (repeatable, independent \
                    of the host's load; not comparable with wall-clock runs)"
                .to_string();
        }
        let one = |label: &str, rate: Option<f64>| match rate {
            Some(rate) if (rate - 1.0).abs() > CLOCK_TOLERANCE => {
                format!("{label} {rate:.3} (WARNING: off by more than 5%, timings are skewed)")
            }
            Some(rate) => format!("{label} {rate:.3}"),
            None => format!("{label} unknown"),
        };
        format!(
            "Guest clock check (guest time / host time over the whole run; 1 is exact): {}, {}",
            one(a, self.a),
            one(b, self.b)
        )
    }
}

/// Where and how the numbers were taken.
struct RunContext {
    date: String,
    commit: String,
    qemu_version: String,
    host: String,
    runs: usize,
    target_ms: u64,
    cmdline: String,
    /// `--icount`: QEMU counts instructions instead of following the host's clock.
    counts_instructions: bool,
}

impl RunContext {
    fn gather(options: &BenchOptions, target_ms: u64, cmdline: &str) -> RunContext {
        let date = command_line_output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]));
        let commit = command_line_output(
            Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(paths::repo_root()),
        );
        let is_dirty = Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .current_dir(paths::repo_root())
            .output()
            .is_ok_and(|output| !output.stdout.is_empty());
        let commit = if is_dirty {
            format!("{commit} (with uncommitted changes)")
        } else {
            commit
        };
        let qemu_version = command_line_output(Command::new("qemu-system-x86_64").arg("--version"));
        RunContext {
            date,
            commit,
            qemu_version,
            host: host_note(),
            runs: options.runs,
            target_ms,
            cmdline: cmdline.to_string(),
            counts_instructions: options.counts_instructions,
        }
    }
}

/// The first line of a command's output, or `unknown`.
fn command_line_output(command: &mut Command) -> String {
    command
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .map(|line| line.trim().to_string())
        })
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// CPU model, host core count and load average.
fn host_note() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string());
    format!("{model}, {cores} host cores, load average {load} at the start")
}

fn render_document(
    comparison: &Comparison,
    table: &str,
    a: &Kernel,
    b: &Kernel,
    context: &RunContext,
    clock_check: &ClockCheck,
    failures: &[String],
) -> String {
    let mut text = String::new();
    let title = if b.kind == "linux" {
        "# Ferrux beside Linux: microbenchmarks"
    } else {
        "# Two Ferrux builds: microbenchmarks"
    };
    text.push_str(title);
    text.push_str("\n\n");
    text.push_str(&format!(
        "Generated by `cargo xtask bench` (see `xtask/src/bench.rs`, `bench/ferrux-bench.c`); \
         do not edit by hand.\n\n\
         - date: {}\n- commit: {}\n- QEMU: {}\n- host: {}\n\
         - machine: `-accel tcg -cpu max -m 1G{}`, 1 vCPU, same initramfs (busybox, ferrux-bench, \
         bench-true) for both kernels\n\
         - kernel command line: `{}`\n\
         - {}: `{}`\n- {}: `{}`\n\
         - runs per kernel: {}, alternating; each benchmark calibrates to ≥ {} ms per batch; \
         the value is the median over runs\n\n",
        context.date,
        context.commit,
        context.qemu_version,
        context.host,
        if context.counts_instructions {
            " -icount shift=0,sleep=off"
        } else {
            ""
        },
        context.cmdline,
        a.label,
        display_name(&a.path),
        b.label,
        display_name(&b.path),
        context.runs,
        context.target_ms,
    ));
    text.push_str(&format!(
        "Ratio convention: **below 1 means {} is better**. For times (ns per operation) the \
         ratio is {a}/{b}; for bandwidths (MB/s, 10^6 bytes/s) it is {b}/{a}.\n\n",
        a.label,
        a = a.label,
        b = b.label
    ));
    text.push_str(table);
    text.push_str(
        "\nBoot rows: `qemu_start_to_init_ns` is the host's wall-clock time from starting QEMU to \
         the benchmark program's first console line; `boot_to_init_ns` is the guest's \
         CLOCK_BOOTTIME read first thing in init; `mem_used_kib` is sysinfo's totalram − freeram \
         at that moment.\n",
    );
    text.push_str(&format!(
        "\n{}. The host times the lines as they reach it through the serial console, so a \
         percent either way is noise.\n",
        clock_check.describe(&a.label, &b.label)
    ));
    let worst = comparison.worst(3);
    if !worst.is_empty() {
        text.push_str("\nWorst ratios: ");
        let list: Vec<String> = worst
            .iter()
            .map(|(row, ratio)| format!("`{}` {ratio:.2}", row.name))
            .collect();
        text.push_str(&list.join(", "));
        text.push('\n');
    }
    text.push_str(
        "\nWhat each benchmark does: `bench/ferrux-bench.c` (one function per row; `n/a` carries \
         the errno of the failing call). Timings under TCG are emulation-bound: compare the \
         ratios, not the absolute numbers.\n",
    );
    if !failures.is_empty() {
        text.push_str("\nBoots that did not complete:\n\n");
        for failure in failures {
            text.push_str(&format!("- {failure}\n"));
        }
    }
    // The hand-written analysis (what was done about the worst ratios, and what design
    // changes the rest need) lives in `bench/analysis.md` and is carried into every report.
    if b.kind == "linux"
        && let Ok(analysis) = std::fs::read_to_string(paths::repo_root().join("bench/analysis.md"))
    {
        text.push('\n');
        text.push_str(&analysis);
    }
    text
}

/// A kernel's path without the user's home or the repository prefix.
fn display_name(path: &Path) -> String {
    let root = paths::repo_root();
    if let Ok(relative) = path.strip_prefix(&root) {
        return relative.display().to_string();
    }
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn render_json(
    comparison: &Comparison,
    a: &Kernel,
    b: &Kernel,
    context: &RunContext,
    clock_check: &ClockCheck,
    failures: &[String],
) -> String {
    let kernel = |kernel: &Kernel| {
        Json::object(vec![
            ("label", Json::string(&kernel.label)),
            ("kind", Json::string(kernel.kind)),
            ("path", Json::string(&display_name(&kernel.path))),
        ])
    };
    let (mean, count) = comparison.geometric_mean();
    Json::object(vec![
        ("date", Json::string(&context.date)),
        ("commit", Json::string(&context.commit)),
        ("qemu", Json::string(&context.qemu_version)),
        ("host", Json::string(&context.host)),
        ("runs", Json::Number(context.runs as f64)),
        ("target_ms", Json::Number(context.target_ms as f64)),
        ("cmdline", Json::string(&context.cmdline)),
        ("icount", Json::Bool(context.counts_instructions)),
        (
            "convention",
            Json::string("ratio < 1 means a is better: a/b for ns and KiB, b/a for MB/s"),
        ),
        ("a", kernel(a)),
        ("b", kernel(b)),
        (
            "benchmarks",
            Json::Array(
                comparison
                    .operation_rows()
                    .map(|row| row.to_json())
                    .collect(),
            ),
        ),
        (
            "guest_clock_rate",
            Json::object(vec![
                ("a", Json::number(clock_check.a)),
                ("b", Json::number(clock_check.b)),
            ]),
        ),
        ("geometric_mean", Json::number(mean)),
        ("geometric_mean_count", Json::Number(count as f64)),
        (
            "boot",
            Json::Array(comparison.boot_rows().map(|row| row.to_json()).collect()),
        ),
        ("is_complete", Json::Bool(failures.is_empty())),
        (
            "incomplete_boots",
            Json::Array(failures.iter().map(|f| Json::string(f)).collect()),
        ),
    ])
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_hide_host_paths() {
        let inside = paths::repo_root().join("target/x86_64-unknown-none/release/ferrux");
        assert_eq!(
            display_name(&inside),
            "target/x86_64-unknown-none/release/ferrux"
        );
        assert_eq!(
            display_name(Path::new("/root/.cache/ferrux/linux/x/boot/vmlinuz-6.1")),
            "vmlinuz-6.1"
        );
    }
}
