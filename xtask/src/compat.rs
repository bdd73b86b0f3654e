//! `cargo xtask compat`: real-program checks on Debian 12's own root file system, run on Ferrux
//! and on Debian's Linux 6.1 from the same image (issue 12), reported in `docs/compat.md`.
//!
//! The checks are `tests/debian/compat.txt`, one a line: `NAME | EXPECT | COMMAND`, where
//! EXPECT is `exit N` (the command's exit status) or `out TEXT` (its standard output, without
//! the last newline, is TEXT). Each kernel boots a fresh copy of [`crate::debian_image`]'s disk
//! with `init=/compat/run.sh` (tests/debian/run.sh, written in with debugfs with the list):
//! the script mounts what Debian's boot would, runs every check with bash under `timeout`,
//! and prints one `COMPAT-RESULT` line per check (status, md5 of stdout, seconds), its first
//! lines of output and last lines of errors, then powers off.
//!
//! A check agrees when Linux and Ferrux both meet its expectation with the same status and
//! the same output. For a Ferrux failure the report shows the first syscall Ferrux logged as
//! missing while the check ran (`... is not implemented: ENOSYS`), else the check's last
//! lines of standard error.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::build;
use crate::cli::{CompatOptions, Profile};
use crate::cmdline::KernelCommandLine;
use crate::debian_image;
use crate::disks::DiskImage;
use crate::linux;
use crate::paths;
use crate::qemu::{self, BootConfig, Console, GuestMemory};
use crate::report::{Report, Runner, TestResult};

/// The checks, in the repository.
pub const CHECKS_FILE: &str = "tests/debian/compat.txt";
/// The runner, init of the compat boots.
const RUNNER_FILE: &str = "tests/debian/run.sh";
/// Where the report goes.
const REPORT_FILE: &str = "docs/compat.md";

/// One line of the checks file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub expect: Expect,
    pub command: String,
}

/// What a check must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Status(i32),
    Output(String),
}

/// One check's result on one kernel, from the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub status: i32,
    pub output_md5: String,
    pub seconds: f64,
    /// The first lines of standard output.
    pub output: Vec<String>,
    /// The last lines of standard error.
    pub errors: Vec<String>,
    /// Syscalls the kernel logged as missing while the check ran.
    pub missing: Vec<String>,
}

impl Outcome {
    /// Whether it meets `expect`.
    pub fn meets(&self, expect: &Expect) -> bool {
        match expect {
            Expect::Status(status) => self.status == *status,
            Expect::Output(text) => {
                self.status == 0 && self.output.len() <= 1 && self.output.join("\n") == *text
            }
        }
    }
}

/// Parses the checks file: `NAME | EXPECT | COMMAND`; `#` comments and blank lines skipped.
pub fn parse_checks(text: &str) -> Result<Vec<Check>> {
    let mut checks: Vec<Check> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let context = || format!("{CHECKS_FILE}:{}: `NAME | EXPECT | COMMAND`", index + 1);
        let (name, rest) = trimmed.split_once(" | ").with_context(context)?;
        let (expect, command) = rest.split_once(" | ").with_context(context)?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            bail!("{}: a name is one word", context());
        }
        if checks.iter().any(|check| check.name == name) {
            bail!("{}: the name {name} is used twice", context());
        }
        let expect = if let Some(status) = expect.trim().strip_prefix("exit ") {
            Expect::Status(status.trim().parse().with_context(context)?)
        } else if let Some(text) = expect.trim().strip_prefix("out ") {
            Expect::Output(text.to_string())
        } else {
            bail!("{}: EXPECT is `exit N` or `out TEXT`", context());
        };
        checks.push(Check {
            name: name.to_string(),
            expect,
            command: command.trim().to_string(),
        });
    }
    Ok(checks)
}

/// Reads the runner's lines from a console log: check name → outcome.
pub fn parse_console(log: &str) -> BTreeMap<String, Outcome> {
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut missing: Vec<String> = Vec::new();
    for raw in log.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some(name) = line
            .find("COMPAT-START ")
            .map(|at| &line[at + "COMPAT-START ".len()..])
        {
            current = Some(name.trim().to_string());
            missing.clear();
            continue;
        }
        if line.contains("is not implemented: ENOSYS") && current.is_some() {
            if let Some(at) = line.find("syscall ") {
                missing.push(line[at..].trim().to_string());
            }
            continue;
        }
        if let Some(rest) = line
            .find("COMPAT-RESULT ")
            .map(|at| &line[at + "COMPAT-RESULT ".len()..])
        {
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [name, status, md5, seconds, ..] = words[..] {
                let entry = outcomes.entry(name.to_string()).or_default();
                entry.status = status.parse().unwrap_or(-1);
                entry.output_md5 = md5.to_string();
                entry.seconds = seconds.parse().unwrap_or(0.0);
                entry.missing = std::mem::take(&mut missing);
            }
            current = None;
            continue;
        }
        for (marker, is_output) in [("COMPAT-OUT ", true), ("COMPAT-ERR ", false)] {
            if let Some(rest) = line.find(marker).map(|at| &line[at + marker.len()..]) {
                let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
                let entry = outcomes.entry(name.to_string()).or_default();
                if is_output {
                    entry.output.push(text.to_string());
                } else {
                    entry.errors.push(text.to_string());
                }
            }
        }
    }
    outcomes
}

pub fn run(options: &CompatOptions) -> Result<ExitCode> {
    let checks_path = paths::repo_root().join(CHECKS_FILE);
    let checks_text = std::fs::read_to_string(&checks_path)
        .with_context(|| format!("cannot read {}", checks_path.display()))?;
    let mut checks = parse_checks(&checks_text)?;
    if !options.only.is_empty() {
        for name in &options.only {
            if !checks.iter().any(|check| check.name == *name) {
                bail!("no check named {name} in {CHECKS_FILE}");
            }
        }
        checks.retain(|check| options.only.contains(&check.name));
    }
    let list = render_list(&checks);
    let runner = std::fs::read(paths::repo_root().join(RUNNER_FILE))?;

    let mut results: Vec<(&str, BTreeMap<String, Outcome>, String)> = Vec::new();
    for (kernel_name, is_linux) in [("linux", true), ("ferrux", false)] {
        if (is_linux && !options.runs_linux) || (!is_linux && !options.runs_ferrux) {
            continue;
        }
        let (outcomes, summary) = boot_one(options, is_linux, &runner, &list)?;
        results.push((kernel_name, outcomes, summary));
    }

    let linux = results
        .iter()
        .find(|(name, _, _)| *name == "linux")
        .map(|(_, outcomes, _)| outcomes);
    let ferrux = results
        .iter()
        .find(|(name, _, _)| *name == "ferrux")
        .map(|(_, outcomes, _)| outcomes);
    let report = render_report(&checks, linux, ferrux, &results);
    let mut agreeing = 0;
    for check in &checks {
        let verdict = verdict(check, linux, ferrux);
        if verdict == Verdict::Agrees {
            agreeing += 1;
        }
        println!("COMPAT {} {}", check.name, verdict.word());
    }
    for (name, _, summary) in &results {
        println!("xtask: {name}: {summary}");
    }
    println!("{agreeing} of {} checks agree with Linux", checks.len());
    if options.only.is_empty() && options.runs_linux && options.runs_ferrux {
        let path = paths::repo_root().join(REPORT_FILE);
        std::fs::write(&path, report)?;
        println!("xtask: wrote {}", path.display());
    } else {
        let path = paths::build_dir().join("compat.md");
        std::fs::write(&path, report)?;
        println!("xtask: wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Boots one kernel on a fresh copy of the image with the runner as init.
fn boot_one(
    options: &CompatOptions,
    is_linux: bool,
    runner: &[u8],
    list: &str,
) -> Result<(BTreeMap<String, Outcome>, String)> {
    let kernel = if is_linux {
        linux::kernel_image()?
    } else {
        match &options.kernel {
            Some(kernel) => kernel.clone(),
            None => build::build_kernel(Profile::Release, build::Checks::from_switch(false))?,
        }
    };
    let name = if is_linux { "linux" } else { "ferrux" };
    boot_checks(
        &kernel,
        is_linux,
        &format!("compat-{name}"),
        runner,
        list,
        options.boot_timeout,
    )
}

/// Boots `kernel` (Debian's Linux when `is_linux`) on a fresh copy of the image named
/// `name`, with the runner as init running `list`; the outcomes by check, and a summary.
fn boot_checks(
    kernel: &Path,
    is_linux: bool,
    name: &str,
    runner: &[u8],
    list: &str,
    timeout: Duration,
) -> Result<(BTreeMap<String, Outcome>, String)> {
    let image = debian_image::working_copy(name, false)?;
    debian_image::put_file(&image, "/compat/run.sh", runner)?;
    debian_image::put_file(&image, "/compat/checks.txt", list.as_bytes())?;
    let initrd = if is_linux {
        crate::rootdisk::loader_initramfs(&linux::virtio_modules()?)?
    } else {
        PathBuf::new()
    };
    let mut cmdline = KernelCommandLine::new();
    cmdline.push("root=/dev/vda rw");
    cmdline.set_init_as("init", &["/compat/run.sh".to_string()])?;
    let config = BootConfig {
        kernel: kernel.to_path_buf(),
        initrd,
        cmdline: cmdline.render(),
        memory: GuestMemory::parse("2G")?,
        waits_for_gdb: false,
        counts_instructions: false,
        cpus: None,
        network: None,
        disks: vec![DiskImage {
            path: image.clone(),
            is_read_only: false,
        }],
    };
    let log_path = paths::logs_dir().join(format!("{name}.log"));
    eprintln!("xtask: {name} (log: {})", log_path.display());
    let outcome = qemu::boot(&config, Console::Captured, &log_path, Some(timeout))?;
    let booted = outcome
        .log
        .lines()
        .find_map(|line| line.split("COMPAT-BOOTED ").nth(1))
        .map(|uptime| format!(", runner started at guest uptime {} s", uptime.trim()))
        .unwrap_or_default();
    let summary = format!(
        "{}{booted}{}",
        outcome.summary(),
        if outcome.log.contains("COMPAT-DONE") {
            ""
        } else {
            " (the runner did not finish)"
        }
    );
    // Each copy is a few GiB of sparse file: gone once read.
    let _ = std::fs::remove_file(&image);
    Ok((parse_console(&outcome.log), summary))
}

/// The checks `cargo xtask test` runs (the `debian` entry): quick ones, covering the shell,
/// python, gcc, git, dpkg and processes.
pub const TEST_SUBSET: &[&str] = &[
    "bash-pipeline",
    "coreutils-basics",
    "python3-subprocess",
    "gcc-hello",
    "git-workflow",
    "dpkg-list",
    "ps-aux",
    "kill-term",
    "su-nobody",
];

/// The `--only` entries of `cargo xtask test` that select [`test_run`].
pub fn is_test_entry(entry: &str) -> bool {
    entry == "debian" || entry.starts_with("debian/")
}

/// `cargo xtask test`'s Debian check: [`TEST_SUBSET`] on each kernel from the cached image
/// (built first when missing: about 10 minutes from a cold cache). On Linux a check passes when
/// it meets its expectation; on Ferrux when it also gives Linux's status and output.
pub fn test_run(only: &[String], kernels: &[(Runner, PathBuf)], report: &mut Report) {
    if !only.is_empty() && !only.iter().any(|entry| is_test_entry(entry)) {
        return;
    }
    let result = (|| -> Result<(Vec<Check>, Vec<u8>, String)> {
        let text = std::fs::read_to_string(paths::repo_root().join(CHECKS_FILE))?;
        let checks: Vec<Check> = parse_checks(&text)?
            .into_iter()
            .filter(|check| TEST_SUBSET.contains(&check.name.as_str()))
            .collect();
        let runner = std::fs::read(paths::repo_root().join(RUNNER_FILE))?;
        Ok((checks.clone(), runner, render_list(&checks)))
    })();
    let (checks, runner_script, list) = match result {
        Ok(parts) => parts,
        Err(error) => {
            report.add(TestResult::new(
                Runner::Host,
                "debian",
                "debian/image",
                Some(format!("{error:#}")),
                None,
            ));
            return;
        }
    };
    println!("=== Debian 12 image: cargo xtask image debian ===");
    if let Err(error) = debian_image::build() {
        report.add(TestResult::new(
            Runner::Host,
            "debian",
            "debian/image",
            Some(format!("{error:#}")),
            None,
        ));
        return;
    }
    // Linux first: Ferrux's verdicts compare with its outputs.
    let mut ordered: Vec<&(Runner, PathBuf)> = kernels.iter().collect();
    ordered.sort_by_key(|(runner, _)| *runner != Runner::Linux);
    let mut linux_outcomes: Option<BTreeMap<String, Outcome>> = None;
    for (runner, kernel) in ordered {
        println!("=== [{runner}] Debian 12 check ===");
        let name = format!("{runner}-debian");
        let log_path = paths::logs_dir().join(format!("{name}.log"));
        let outcomes = match boot_checks(
            kernel,
            *runner == Runner::Linux,
            &name,
            &runner_script,
            &list,
            Duration::from_secs(900),
        ) {
            Ok((outcomes, _)) => outcomes,
            Err(error) => {
                report.add(TestResult::new(
                    *runner,
                    "debian",
                    "debian/boot",
                    Some(format!("{error:#}")),
                    Some(log_path),
                ));
                continue;
            }
        };
        for check in &checks {
            let failure = match outcomes.get(&check.name) {
                None => Some("not run (the boot ended before it)".to_string()),
                Some(outcome) if !outcome.meets(&check.expect) => Some(format!(
                    "exit {}, output {:?}, errors {:?}",
                    outcome.status,
                    outcome.output.first().map(String::as_str).unwrap_or(""),
                    outcome.errors.last().map(String::as_str).unwrap_or("")
                )),
                Some(outcome) => match linux_outcomes.as_ref().and_then(|l| l.get(&check.name)) {
                    Some(linux) if linux.output_md5 != outcome.output_md5 => {
                        Some("output differs from Linux's".to_string())
                    }
                    _ => None,
                },
            };
            let result = TestResult::new(
                *runner,
                "debian",
                &format!("debian/{}", check.name),
                failure,
                Some(log_path.clone()),
            );
            println!("    [{runner}] {}", result.line);
            report.add(result);
        }
        if *runner == Runner::Linux {
            linux_outcomes = Some(outcomes);
        }
    }
}

/// The checks in the checks file's format, for the guest.
fn render_list(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|check| {
            let expect = match &check.expect {
                Expect::Status(status) => format!("exit {status}"),
                Expect::Output(text) => format!("out {text}"),
            };
            format!("{} | {} | {}\n", check.name, expect, check.command)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Agrees,
    Differs,
    /// Linux itself does not meet the expectation: the check is wrong.
    LinuxFails,
    /// One kernel did not run it (boot ended early, or not booted).
    Missing,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Agrees => "agrees",
            Verdict::Differs => "DIFFERS",
            Verdict::LinuxFails => "LINUX-FAILS",
            Verdict::Missing => "NOT-RUN",
        }
    }
}

fn verdict(
    check: &Check,
    linux: Option<&BTreeMap<String, Outcome>>,
    ferrux: Option<&BTreeMap<String, Outcome>>,
) -> Verdict {
    let linux = linux.and_then(|outcomes| outcomes.get(&check.name));
    let ferrux = ferrux.and_then(|outcomes| outcomes.get(&check.name));
    match (linux, ferrux) {
        (Some(linux), _) if !linux.meets(&check.expect) => Verdict::LinuxFails,
        (Some(linux), Some(ferrux)) => {
            if ferrux.meets(&check.expect)
                && ferrux.status == linux.status
                && ferrux.output_md5 == linux.output_md5
            {
                Verdict::Agrees
            } else {
                Verdict::Differs
            }
        }
        _ => Verdict::Missing,
    }
}

fn describe(outcome: Option<&Outcome>) -> String {
    match outcome {
        None => "not run".to_string(),
        Some(outcome) => {
            let first = outcome.output.first().map(String::as_str).unwrap_or("");
            let first: String = first.chars().take(40).collect();
            format!(
                "exit {}, {:.1} s{}",
                outcome.status,
                outcome.seconds,
                if first.is_empty() {
                    String::new()
                } else {
                    format!(", `{}`", first.replace('`', "'").replace('|', "/"))
                }
            )
        }
    }
}

fn render_report(
    checks: &[Check],
    linux: Option<&BTreeMap<String, Outcome>>,
    ferrux: Option<&BTreeMap<String, Outcome>>,
    results: &[(&str, BTreeMap<String, Outcome>, String)],
) -> String {
    let mut text = String::new();
    let agreeing = checks
        .iter()
        .filter(|check| verdict(check, linux, ferrux) == Verdict::Agrees)
        .count();
    let _ = writeln!(
        text,
        "# Compatibility matrix: Debian 12's programs on Ferrux and Linux\n"
    );
    let _ = writeln!(
        text,
        "Generated by `cargo xtask compat` from [{CHECKS_FILE}](../{CHECKS_FILE}): each check \
         runs in one boot per kernel of the same Debian 12 image (`cargo xtask image debian`), \
         by [{RUNNER_FILE}](../{RUNNER_FILE}) as init. A check agrees when both kernels meet its \
         expectation with the same exit status and the same standard output.\n"
    );
    let _ = writeln!(
        text,
        "**{agreeing} of {} checks agree with Linux.**\n",
        checks.len()
    );
    for (name, _, summary) in results {
        let _ = writeln!(text, "- {name}: {summary}");
    }
    let _ = writeln!(
        text,
        "\n| check | expected | Linux 6.1 | Ferrux | verdict |\n| --- | --- | --- | --- | --- |"
    );
    for check in checks {
        let expect = match &check.expect {
            Expect::Status(status) => format!("exit {status}"),
            Expect::Output(output) => format!("`{}`", output.replace('|', "/")),
        };
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} |",
            check.name,
            expect,
            describe(linux.and_then(|o| o.get(&check.name))),
            describe(ferrux.and_then(|o| o.get(&check.name))),
            verdict(check, linux, ferrux).word()
        );
    }
    let failing: Vec<&Check> = checks
        .iter()
        .filter(|check| verdict(check, linux, ferrux) != Verdict::Agrees)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(text, "\n## What differs\n");
        for check in failing {
            let _ = writeln!(text, "### {}\n\n```\n{}\n```\n", check.name, check.command);
            let ferrux_outcome = ferrux.and_then(|o| o.get(&check.name));
            let linux_outcome = linux.and_then(|o| o.get(&check.name));
            match (verdict(check, linux, ferrux), ferrux_outcome) {
                (Verdict::LinuxFails, _) => {
                    let _ = writeln!(
                        text,
                        "Linux does not meet the expectation: the check is wrong."
                    );
                    if let Some(outcome) = linux_outcome {
                        for line in &outcome.errors {
                            let _ = writeln!(text, "    {line}");
                        }
                    }
                }
                (_, Some(outcome)) => {
                    if let Some(first) = outcome.missing.first() {
                        let _ = writeln!(text, "First missing syscall on Ferrux: `{first}`.");
                    }
                    if linux_outcome.is_some_and(|l| l.output_md5 != outcome.output_md5) {
                        let _ = writeln!(text, "Standard output differs from Linux's.");
                    }
                    if !outcome.errors.is_empty() {
                        let _ = writeln!(text, "\nFerrux's last lines of standard error:\n");
                        for line in &outcome.errors {
                            let _ = writeln!(text, "    {line}");
                        }
                    }
                    if !outcome.output.is_empty() {
                        let _ = writeln!(text, "\nFerrux's first lines of output:\n");
                        for line in &outcome.output {
                            let _ = writeln!(text, "    {line}");
                        }
                    }
                }
                (_, None) => {
                    let _ = writeln!(text, "Not run on Ferrux (the boot ended before it).");
                }
            }
            let _ = writeln!(text);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_checks() {
        let checks = parse_checks(
            "# comment\n\ngit | exit 0 | git --version | grep -q git\nls | out a b | echo a b\n",
        )
        .unwrap();
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].command, "git --version | grep -q git");
        assert_eq!(checks[0].expect, Expect::Status(0));
        assert_eq!(checks[1].expect, Expect::Output("a b".to_string()));
        assert!(parse_checks("x | exit | true").is_err());
        assert!(parse_checks("x | maybe 1 | true").is_err());
        assert!(parse_checks("x | exit 0 | true\nx | exit 0 | true").is_err());
    }

    #[test]
    fn parses_the_console() {
        let log = "COMPAT-START ls\r\n[ 1.0] foo: syscall 999 (bar) is not implemented: ENOSYS\n\
                   COMPAT-OUT ls a b\nCOMPAT-ERR ls oops\nCOMPAT-RESULT ls 2 abcd 0.5\n";
        let outcomes = parse_console(log);
        let ls = &outcomes["ls"];
        assert_eq!(ls.status, 2);
        assert_eq!(ls.output, vec!["a b".to_string()]);
        assert_eq!(ls.errors, vec!["oops".to_string()]);
        assert_eq!(
            ls.missing,
            vec!["syscall 999 (bar) is not implemented: ENOSYS"]
        );
        assert!(!ls.meets(&Expect::Status(0)));
        assert!(ls.meets(&Expect::Status(2)));
    }
}
