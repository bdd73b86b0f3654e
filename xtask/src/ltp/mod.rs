//! `cargo xtask ltp`: the Linux Test Project's syscalls tests on Ferrux and on Linux.
//!
//! 1. `build.rs` builds LTP from the shared snapshot in a cache outside the repository (keyed
//!    by the tarball's hash; a second run reuses it).
//! 2. `plan.rs` selects the tests of `runtest/syscalls` (`--only`, `--skip`) and packs them
//!    into images small enough for a 1 GiB guest; `image.rs` writes each image, the same for
//!    both kernels (users and groups, kconfig, busybox, the guest runner of `tests/ltp`).
//! 3. `boot.rs` boots each image on each kernel, one QEMU per `--jobs`, follows the runner's
//!    markers, and restarts an image after a test that hung or panicked the kernel.
//! 4. `verdict.rs` turns each test's exit status and output into a verdict and a reason;
//!    `results.rs` writes `tests/ltp/linux-baseline.txt` (when Linux ran), `docs/ltp.md`
//!    (when Ferrux ran the whole list) and `build/ltp/results-<kernel>.txt`, and compares
//!    Ferrux with `tests/ltp/expected-pass.txt`, the ratchet that `cargo xtask test` checks
//!    ([`ratchet`]).

mod boot;
mod build;
mod image;
mod plan;
mod results;
mod verdict;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::{LtpKernels, LtpOptions, Profile};
use crate::linux;
use crate::packages::{self, Tool};
use crate::paths;
use crate::process;
use crate::qemu::GuestMemory;
use crate::report::{Runner, TestResult};

use boot::{ImageRun, TestRecord};
use plan::LtpTest;
use results::{Entry, Results};
use verdict::Verdict;

/// The runtest file whose tests run.
const RUNTEST: &str = "syscalls";

/// `tests/ltp/` in the repository.
fn tests_dir() -> PathBuf {
    paths::repo_root().join("tests").join("ltp")
}

/// `tests/ltp/linux-baseline.txt`.
fn baseline_path() -> PathBuf {
    tests_dir().join("linux-baseline.txt")
}

/// `tests/ltp/expected-pass.txt`.
fn expected_path() -> PathBuf {
    tests_dir().join("expected-pass.txt")
}

/// `tests/ltp/ratchet-excluded.txt`: tests that pass on both kernels but stay off the ratchet
/// (timing-sensitive under emulation, or too slow for CI), each with its reason.
fn excluded_path() -> PathBuf {
    tests_dir().join("ratchet-excluded.txt")
}

/// `build/ltp/`: images, the runner, result files.
fn out_dir() -> PathBuf {
    paths::build_dir().join("ltp")
}

/// What a run needs to boot tests.
struct Setup {
    all_tests: Vec<LtpTest>,
    program_dir: PathBuf,
    common: image::Common,
    helpers: Vec<HelperFile>,
    areas: BTreeMap<String, String>,
    ltp_version: String,
}

/// Builds LTP (the folders `selected` needs, or all of it), the runner, and what every image
/// shares.
fn set_up(jobs: usize, only: &[String], skip: &[String]) -> Result<(Setup, Vec<LtpTest>)> {
    packages::ensure(&[Tool::Qemu, Tool::StaticBusybox, Tool::Gcc, Tool::Make])?;
    let prepared = build::prepare(jobs)?;
    let runtest = prepared.runtest(RUNTEST);
    let text = std::fs::read_to_string(&runtest)
        .with_context(|| format!("cannot read {}", runtest.display()))?;
    let all_tests = plan::parse_runtest(&text);
    let selected = plan::select(&all_tests, only, skip);
    if selected.is_empty() {
        bail!("--only and --skip leave no test of runtest/{RUNTEST}");
    }
    let programs: BTreeSet<String> = selected
        .iter()
        .map(|test| test.program().to_string())
        .collect();
    let is_everything = selected.len() == all_tests.len();
    let ltp = prepared.build((!is_everything).then_some(&programs))?;
    if !ltp.failed_dirs.is_empty() {
        println!(
            "xtask: {} LTP folders did not build; their tests are NOTBUILT",
            ltp.failed_dirs.len()
        );
    }
    let runner = build_runner()?;
    let kconfig = linux::kernel_config()?;
    let all_programs: BTreeSet<&str> = all_tests.iter().map(LtpTest::program).collect();
    let areas = prepared.areas()?;
    let helpers = helper_files(&ltp.program_dir(), &all_programs, &areas)?;
    let mut common = image::Common::load(&runner, &kconfig)?;
    common.add_modules(
        &linux::release()?,
        &linux::loop_module()?,
        &linux::modules_builtin()?,
    )?;
    if let Err(error) = common.add_mkfs() {
        println!("xtask: no mke2fs for the LTP images ({error:#}): device tests cannot format");
    }
    let version = std::fs::read_to_string(ltp.src.join("VERSION")).unwrap_or_default();
    let tarball = build::tarball()?;
    let ltp_version = format!(
        "LTP {} ({})",
        version.trim(),
        tarball
            .file_name()
            .map_or(String::new(), |name| name.to_string_lossy().into_owned())
    );
    Ok((
        Setup {
            all_tests,
            program_dir: ltp.program_dir(),
            common,
            helpers,
            areas,
            ltp_version,
        },
        selected,
    ))
}

/// `gcc -static` of `tests/ltp/runner.c` into `build/ltp/ltp-runner`.
fn build_runner() -> Result<PathBuf> {
    let source = tests_dir().join("runner.c");
    let output = out_dir().join("ltp-runner");
    paths::ensure_dir(&out_dir())?;
    process::run(
        Command::new("gcc")
            .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&output)
            .arg(&source),
    )?;
    Ok(output)
}

/// A file installed in `testcases/bin` that is not one of the list's programs.
struct HelperFile {
    file: image::Helper,
    /// For a helper program: the area (source folder) it comes from. Scripts, data files and
    /// programs of unknown origin go into every image.
    area: Option<String>,
}

/// The helpers of the install: a program goes into the images whose programs come from the
/// same folder (`execve_child` with the execve tests); LTP's own helpers (`testcases/lib`,
/// area `lib`: `tst_checkpoint`, …) into the images that hold a shell test. Everything else
/// (scripts, data files) into every image.
fn helper_files(
    program_dir: &Path,
    programs: &BTreeSet<&str>,
    areas: &BTreeMap<String, String>,
) -> Result<Vec<HelperFile>> {
    use std::os::unix::fs::PermissionsExt;
    let mut helpers = Vec::new();
    let mut pending = vec![(String::new(), program_dir.to_path_buf())];
    while let Some((prefix, dir)) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let metadata = entry.metadata()?;
            if metadata.is_dir() {
                pending.push((relative, entry.path()));
            } else if metadata.is_file() && !(prefix.is_empty() && programs.contains(name.as_str()))
            {
                let mode = metadata.permissions().mode() & 0o7777;
                let area = if is_elf(&entry.path()) {
                    areas.get(family(&name)).cloned()
                } else {
                    None
                };
                helpers.push(HelperFile {
                    file: (relative, entry.path(), mode),
                    area,
                });
            }
        }
    }
    helpers.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(helpers)
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// A program's family: its name without a `_64` or `_16` suffix.
fn family(program: &str) -> &str {
    program
        .strip_suffix("_64")
        .or_else(|| program.strip_suffix("_16"))
        .unwrap_or(program)
}

/// An image written to disk, with its tests.
struct BuiltImage {
    label: String,
    path: PathBuf,
    tests: Vec<LtpTest>,
}

/// Packs `selected` into images and writes them; returns them and the tests whose program
/// was not built.
fn write_images(
    setup: &Setup,
    selected: &[LtpTest],
    image_mib: u64,
    stem: &str,
) -> Result<(Vec<BuiltImage>, Vec<LtpTest>)> {
    let size_of = |program: &str| {
        std::fs::metadata(setup.program_dir.join(program))
            .ok()
            .filter(|metadata| metadata.is_file())
            .map(|metadata| metadata.len())
    };
    let (plans, not_built) = plan::pack(selected, size_of, image_mib << 20);
    let mut images = Vec::new();
    for (index, plan) in plans.into_iter().enumerate() {
        let label = format!("{stem}{:02}", index + 1);
        let path = out_dir().join(format!("{label}.cpio"));
        let programs: Vec<PathBuf> = plan
            .programs
            .iter()
            .map(|program| setup.program_dir.join(program))
            .collect();
        let list: String = plan
            .tests
            .iter()
            .map(|test| test.runtest_line() + "\n")
            .collect();
        let image_areas: BTreeSet<String> = plan
            .tests
            .iter()
            .map(|test| area(&setup.areas, test))
            .collect();
        let has_script = programs.iter().any(|program| !is_elf(program));
        let helpers: Vec<&image::Helper> = setup
            .helpers
            .iter()
            .filter(|helper| match &helper.area {
                None => true,
                Some(area) if area == "lib" => has_script,
                Some(area) => image_areas.contains(area),
            })
            .map(|helper| &helper.file)
            .collect();
        image::write(&path, &setup.common, &programs, &helpers, &list)?;
        images.push(BuiltImage {
            label,
            path,
            tests: plan.tests,
        });
    }
    Ok((images, not_built))
}

/// A kernel to run the images on.
struct Kernel {
    runner: Runner,
    path: PathBuf,
}

/// Runs every image on every kernel, `jobs` boots at a time; returns each kernel's records.
fn run_images(
    kernels: &[Kernel],
    images: &[BuiltImage],
    jobs: usize,
    test_timeout: Duration,
    memory: GuestMemory,
    is_verbose: bool,
) -> BTreeMap<Runner, Vec<TestRecord>> {
    // Alternate kernels so that both progress together.
    let mut queue: Vec<(usize, usize)> = Vec::new();
    for image in 0..images.len() {
        for kernel in 0..kernels.len() {
            queue.push((kernel, image));
        }
    }
    let total = queue.len();
    queue.reverse();
    let queue = Mutex::new(queue);
    let (sender, receiver) = mpsc::channel();
    let mut by_kernel: BTreeMap<Runner, Vec<(usize, Vec<TestRecord>)>> = BTreeMap::new();
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            let sender = sender.clone();
            let queue = &queue;
            scope.spawn(move || {
                loop {
                    let next = queue.lock().expect("queue lock").pop();
                    let Some((kernel_index, image_index)) = next else {
                        break;
                    };
                    let kernel = &kernels[kernel_index];
                    let image = &images[image_index];
                    let log_stem = paths::logs_dir()
                        .join("ltp")
                        .join(format!("{}-{}", kernel.runner, image.label));
                    let records = boot::run_image(&ImageRun {
                        kernel: &kernel.path,
                        initrd: &image.path,
                        tests: &image.tests,
                        test_timeout,
                        memory,
                        log_stem,
                    });
                    if sender.send((kernel.runner, image_index, records)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut done = 0;
        for (runner, image_index, records) in receiver {
            done += 1;
            let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
            for record in &records {
                *counts.entry(record.verdict).or_default() += 1;
            }
            let counts: Vec<String> = counts
                .iter()
                .map(|(verdict, count)| format!("{count} {verdict}"))
                .collect();
            println!(
                "[{runner}] {} ({done}/{total}, {:.0} min): {}",
                images[image_index].label,
                started.elapsed().as_secs_f64() / 60.0,
                counts.join(", ")
            );
            if is_verbose {
                for record in records.iter().filter(|r| r.verdict != Verdict::Pass) {
                    println!("    {} {} {}", record.name, record.verdict, record.reason);
                }
            }
            by_kernel
                .entry(runner)
                .or_default()
                .push((image_index, records));
        }
    });
    by_kernel
        .into_iter()
        .map(|(runner, mut parts)| {
            parts.sort_by_key(|(index, _)| *index);
            (
                runner,
                parts.into_iter().flat_map(|(_, records)| records).collect(),
            )
        })
        .collect()
}

fn to_results(records: &[TestRecord], not_built: &[LtpTest]) -> Results {
    let mut results: Results = records
        .iter()
        .map(|record| {
            (
                record.name.clone(),
                Entry {
                    verdict: record.verdict,
                    reason: record.reason.clone(),
                },
            )
        })
        .collect();
    for test in not_built {
        results.insert(
            test.name.clone(),
            Entry {
                verdict: Verdict::NotBuilt,
                reason: "the program was not built".to_string(),
            },
        );
    }
    results
}

fn kernels_for(which: LtpKernels, elf: Option<&Path>) -> Result<Vec<Kernel>> {
    let mut kernels = Vec::new();
    if which != LtpKernels::Linux {
        let path = match elf {
            Some(elf) => elf.to_path_buf(),
            None => {
                println!("=== Ferrux: cargo xtask build --lockdep ===");
                crate::build::build_kernel(Profile::Release, crate::build::Checks::Lockdep)?
            }
        };
        kernels.push(Kernel {
            runner: Runner::Ferrux,
            path,
        });
    }
    if which != LtpKernels::Ferrux {
        kernels.push(Kernel {
            runner: Runner::Linux,
            path: linux::kernel_image()?,
        });
    }
    Ok(kernels)
}

/// `cargo xtask ltp`.
pub fn run(options: &LtpOptions) -> Result<ExitCode> {
    if options.is_report_only {
        return report_only(options);
    }
    let started = Instant::now();
    let (setup, selected) = set_up(options.jobs, &options.only, &options.skip)?;
    let is_whole_list = selected.len() == setup.all_tests.len();
    let stem = match options.kernels {
        LtpKernels::Both => "image-",
        LtpKernels::Ferrux => "image-ferrux-",
        LtpKernels::Linux => "image-linux-",
    };
    let (images, not_built) = write_images(&setup, &selected, options.image_mib, stem)?;
    let kernels = kernels_for(options.kernels, options.elf.as_deref())?;
    println!(
        "=== LTP: {} tests in {} images on {}, {} boots at a time, {} s per test (logs in {}) ===",
        selected.len(),
        images.len(),
        kernels
            .iter()
            .map(|kernel| kernel.runner.to_string())
            .collect::<Vec<_>>()
            .join(" and "),
        options.jobs,
        options.test_timeout.as_secs(),
        paths::logs_dir().join("ltp").display()
    );
    let records = run_images(
        &kernels,
        &images,
        options.jobs,
        options.test_timeout,
        options.memory,
        !is_whole_list,
    );
    let minutes = started.elapsed().as_secs_f64() / 60.0;

    let mut results: BTreeMap<Runner, Results> = BTreeMap::new();
    for (runner, records) in &records {
        let runner_results = to_results(records, &not_built);
        let path = out_dir().join(format!("results-{runner}.txt"));
        paths::write_atomically(
            &path,
            results::render_results(
                &format!(
                    "{runner}: cargo xtask ltp at {}, {}",
                    commit_note(),
                    setup.ltp_version
                ),
                &runner_results,
            )
            .as_bytes(),
        )?;
        results.insert(*runner, runner_results);
        let times: String = records
            .iter()
            .map(|record| format!("{} {}\n", record.name, record.milliseconds))
            .collect();
        paths::write_atomically(
            &out_dir().join(format!("times-{runner}.txt")),
            times.as_bytes(),
        )?;
    }

    // Linux's results refresh the baseline (merged: a partial run updates its tests).
    let baseline_text = std::fs::read_to_string(baseline_path()).unwrap_or_default();
    let mut baseline = results::parse_results(&baseline_text);
    if let Some(linux) = results.get(&Runner::Linux) {
        if is_whole_list {
            baseline.clear();
        }
        baseline.extend(
            linux
                .iter()
                .map(|(name, entry)| (name.clone(), entry.clone())),
        );
        let header = format!(
            "Debian's Linux 6.1 ({}) on {}: one line per test of runtest/{RUNTEST}, \
             `name VERDICT reason`.\nGenerated by `cargo xtask ltp --kernel linux` (or both); \
             do not edit.",
            linux_package_name(),
            setup.ltp_version
        );
        paths::write_atomically(
            &baseline_path(),
            results::render_results(&header, &baseline).as_bytes(),
        )?;
        println!("wrote {}", baseline_path().display());
    }

    let empty = Results::new();
    let linux = results.get(&Runner::Linux).unwrap_or(&baseline);
    if let Some(records) = records.get(&Runner::Ferrux) {
        let ferrux = results.get(&Runner::Ferrux).unwrap_or(&empty);
        // Each non-pass's cause, kept for `--report`.
        let causes: BTreeMap<String, String> = records
            .iter()
            .filter(|record| record.verdict != Verdict::Pass)
            .map(|record| {
                (
                    record.name.clone(),
                    results::cause(record.verdict, &record.reason, &record.output),
                )
            })
            .collect();
        let causes_text: String = causes
            .iter()
            .map(|(name, cause)| format!("{name} {cause}\n"))
            .collect();
        paths::write_atomically(&out_dir().join("causes-ferrux.txt"), causes_text.as_bytes())?;
        let run_note = format!(
            "This run: {} boots at a time, {} s per test, {minutes:.0} minutes{}.",
            options.jobs,
            options.test_timeout.as_secs(),
            if results.contains_key(&Runner::Linux) {
                ""
            } else {
                "; Linux's column is tests/ltp/linux-baseline.txt"
            }
        );
        let sentence = write_doc(
            &setup,
            &selected,
            linux,
            ferrux,
            &causes,
            &run_note,
            options.updates_expected,
        )?;
        println!("  {sentence}");
    }
    println!("LTP: {} tests in {minutes:.1} minutes", selected.len());
    for (runner, runner_results) in &results {
        let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
        for entry in runner_results.values() {
            *counts.entry(entry.verdict).or_default() += 1;
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(verdict, count)| format!("{count} {verdict}"))
            .collect();
        println!("  {runner}: {}", counts.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `docs/ltp.md` (or `build/ltp/ltp.md` for part of the list) from Ferrux's results and
/// Linux's, and compares Ferrux with the ratchet list; returns the headline.
fn write_doc(
    setup: &Setup,
    selected: &[LtpTest],
    linux: &Results,
    ferrux: &Results,
    all_causes: &BTreeMap<String, String>,
    run_note: &str,
    updates_expected: bool,
) -> Result<String> {
    let area_of = |test: &LtpTest| area(&setup.areas, test);
    let causes: BTreeMap<String, String> = all_causes
        .iter()
        .filter(|(name, _)| {
            linux
                .get(name.as_str())
                .is_some_and(|entry| entry.verdict == Verdict::Pass)
        })
        .map(|(name, cause)| (name.clone(), cause.clone()))
        .collect();
    let selected_names: BTreeSet<&str> = selected.iter().map(|t| t.name.as_str()).collect();
    let shown: Vec<LtpTest> = setup
        .all_tests
        .iter()
        .filter(|test| selected_names.contains(test.name.as_str()))
        .cloned()
        .collect();
    let headline = results::Headline::compute(&shown, &area_of, linux, ferrux);
    let doc = results::render_doc(&results::DocInput {
        tests: &shown,
        area_of: &area_of,
        linux,
        ferrux,
        causes: &causes,
        ltp_version: &setup.ltp_version,
        run_note,
    });
    let doc_path = if shown.len() == setup.all_tests.len() {
        paths::repo_root().join("docs").join("ltp.md")
    } else {
        out_dir().join("ltp.md")
    };
    paths::write_atomically(&doc_path, doc.as_bytes())?;
    println!("wrote {}", doc_path.display());
    check_expected(ferrux, linux, selected, updates_expected)?;
    Ok(headline.sentence())
}

/// `--report`: `docs/ltp.md` again from the last run's `build/ltp/results-ferrux.txt` and
/// `causes-ferrux.txt`, with Linux's column from the baseline (after a `--kernel linux` run
/// that ended later than Ferrux's).
fn report_only(options: &LtpOptions) -> Result<ExitCode> {
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let ferrux_text = read(out_dir().join("results-ferrux.txt"))?;
    let ferrux = results::parse_results(&ferrux_text);
    let causes: BTreeMap<String, String> = read(out_dir().join("causes-ferrux.txt"))?
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, cause)| (name.to_string(), cause.to_string()))
        .collect();
    let linux = results::parse_results(&read(baseline_path())?);
    let (setup, _) = set_up(options.jobs, &[], &[])?;
    let selected: Vec<LtpTest> = setup
        .all_tests
        .iter()
        .filter(|test| ferrux.contains_key(&test.name))
        .cloned()
        .collect();
    // The results file's first comment line says which run it was (`ferrux: cargo xtask ltp
    // at COMMIT, LTP ...`).
    let run = ferrux_text
        .lines()
        .find_map(|line| line.strip_prefix("# "))
        .unwrap_or("an earlier run");
    let note = format!(
        "Ferrux's column is the last Ferrux run ({run}), Linux's tests/ltp/linux-baseline.txt."
    );
    let sentence = write_doc(
        &setup,
        &selected,
        &linux,
        &ferrux,
        &causes,
        &note,
        options.updates_expected,
    )?;
    println!("{sentence}");
    Ok(ExitCode::SUCCESS)
}

/// The commit this run was built from (`git rev-parse --short HEAD`), marked when the tree
/// has uncommitted changes.
fn commit_note() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(paths::repo_root())
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "an unknown commit".to_string();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(status) if !status.is_empty() => format!("{commit} with uncommitted changes"),
        _ => commit,
    }
}

fn linux_package_name() -> String {
    linux::kernel_image()
        .ok()
        .and_then(|image| {
            image.file_name().map(|name| {
                name.to_string_lossy()
                    .trim_start_matches("vmlinuz-")
                    .to_string()
            })
        })
        .unwrap_or_else(|| "cloud kernel".to_string())
}

/// A test's area: the folder of its program's source.
fn area(areas: &BTreeMap<String, String>, test: &LtpTest) -> String {
    areas
        .get(family(test.program()))
        .cloned()
        .unwrap_or_else(|| "other".to_string())
}

/// Compares Ferrux's results with the ratchet list: reports tests on the list that no longer
/// pass and passing tests not on it; `--update-expected` adds the latter (and, for the tests
/// that ran, drops the former).
fn check_expected(
    ferrux: &Results,
    linux: &Results,
    selected: &[LtpTest],
    updates: bool,
) -> Result<()> {
    let text = std::fs::read_to_string(expected_path()).unwrap_or_default();
    let expected: BTreeSet<String> = results::parse_names(&text).into_iter().collect();
    let excluded_text = std::fs::read_to_string(excluded_path()).unwrap_or_default();
    let excluded: BTreeSet<String> = results::parse_names(&excluded_text).into_iter().collect();
    let passes = |results: &Results, name: &str| {
        results
            .get(name)
            .is_some_and(|entry| entry.verdict == Verdict::Pass)
    };
    let mut regressed = Vec::new();
    let mut newly = Vec::new();
    for test in selected {
        let name = test.name.as_str();
        let on_list = expected.contains(name);
        let is_flaky = results::FLAKY.contains(&name) || excluded.contains(name);
        if on_list && !passes(ferrux, name) {
            regressed.push(name.to_string());
        }
        if !on_list && !is_flaky && passes(ferrux, name) && passes(linux, name) {
            newly.push(name.to_string());
        }
    }
    if !regressed.is_empty() {
        println!(
            "On {} but not passing now: {}",
            expected_path().display(),
            regressed.join(" ")
        );
    }
    if !newly.is_empty() {
        println!(
            "Passing on Ferrux and Linux, not on the list yet (nor excluded from it): {}",
            newly.join(" ")
        );
    }
    if updates {
        let mut updated: BTreeSet<String> = expected;
        updated.extend(newly);
        for name in &regressed {
            updated.remove(name);
        }
        let mut text = String::from(
            "# LTP tests (runtest/syscalls) that pass on Ferrux: `cargo xtask test` runs them on\n\
             # Ferrux and fails if one stops passing. Add a test in the change that makes it\n\
             # pass (`cargo xtask ltp --kernel ferrux --only NAME --update-expected`).\n",
        );
        for name in &updated {
            text.push_str(name);
            text.push('\n');
        }
        paths::write_atomically(&expected_path(), text.as_bytes())?;
        println!("wrote {}", expected_path().display());
    }
    Ok(())
}

/// The ratchet for `cargo xtask test`: every test of `tests/ltp/expected-pass.txt` (those
/// named by `only`, when given) on the Ferrux ELF `kernel`; one result per test.
pub fn ratchet(kernel: &Path, only: &[String], jobs: usize) -> Vec<TestResult> {
    let group = "ltp (expected to pass)";
    let failure = |name: &str, error: anyhow::Error| {
        vec![TestResult::new(
            Runner::Ferrux,
            group,
            name,
            Some(format!("{error:#}")),
            None,
        )]
    };
    let text = match std::fs::read_to_string(expected_path()) {
        Ok(text) => text,
        Err(error) => return failure("ltp/expected-pass", error.into()),
    };
    let expected = results::parse_names(&text);
    let names: Vec<String> = if only.is_empty() {
        expected
    } else {
        expected
            .into_iter()
            .filter(|name| only.iter().any(|pattern| plan::matches(pattern, name)))
            .collect()
    };
    if names.is_empty() {
        return Vec::new();
    }
    let (setup, selected) = match set_up(jobs, &names, &[]) {
        Ok(setup) => setup,
        Err(error) => return failure("ltp/build", error),
    };
    let (images, not_built) = match write_images(&setup, &selected, DEFAULT_IMAGE_MIB, "ratchet-") {
        Ok(images) => images,
        Err(error) => return failure("ltp/images", error),
    };
    let kernels = [Kernel {
        runner: Runner::Ferrux,
        path: kernel.to_path_buf(),
    }];
    println!(
        "=== LTP ratchet: {} tests in {} images on Ferrux, {jobs} boots at a time ===",
        selected.len(),
        images.len()
    );
    let records = run_images(
        &kernels,
        &images,
        jobs,
        RATCHET_TEST_TIMEOUT,
        GuestMemory::DEFAULT,
        false,
    );
    let mut out = Vec::new();
    for record in records.get(&Runner::Ferrux).into_iter().flatten() {
        let failure = (record.verdict != Verdict::Pass)
            .then(|| format!("{}: {}", record.verdict, record.reason));
        out.push(TestResult::new(
            Runner::Ferrux,
            group,
            &format!("ltp/{}", record.name),
            failure,
            Some(record.log_path.clone()),
        ));
    }
    for test in &not_built {
        out.push(TestResult::new(
            Runner::Ferrux,
            group,
            &format!("ltp/{}", test.name),
            Some("the program was not built".to_string()),
            None,
        ));
    }
    let ran: BTreeSet<&str> = selected.iter().map(|test| test.name.as_str()).collect();
    for name in names.iter().filter(|name| !ran.contains(name.as_str())) {
        out.push(TestResult::new(
            Runner::Ferrux,
            group,
            &format!("ltp/{name}"),
            Some(format!("not a test of runtest/{RUNTEST}")),
            None,
        ));
    }
    out
}

/// Bytes of test programs per image, in MiB (a 1 GiB guest unpacks it into its root tmpfs,
/// beside the helpers and what the tests write).
pub const DEFAULT_IMAGE_MIB: u64 = 96;

/// Per-test limit of the ratchet (its tests pass on Ferrux: they are quick there).
const RATCHET_TEST_TIMEOUT: Duration = Duration::from_secs(120);
