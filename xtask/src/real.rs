//! The real-programs check: Debian's own programs run scripts in a guest on Ferrux and on
//! Debian's Linux 6.1, and the outputs must be the same.
//!
//! Each group is a bash script `tests/real/<group>.sh`. Its header says what the image needs:
//!
//! ```text
//! # real-packages: bash dash        Debian packages whose programs go in (installed if missing)
//! # real-files: /usr/lib/file       host files or whole directories that go in
//! # real-skip: /usr/lib/file/x      host paths under those directories that stay out
//! # real-timeout: 300               seconds the group may run in the guest (default 120)
//! ```
//!
//! All groups share one image ([`crate::real_image`]) and one boot per kernel: init is
//! `/real/run` (busybox sh), which mounts proc, sysfs, devtmpfs, devpts and tmpfs, runs each
//! group's script with Debian's bash and prints its output between `real: begin GROUP` and
//! `real: end GROUP`, each line prefixed with `real| `, ending with the script's exit status.
//! Scripts normalise what legitimately differs between the kernels (pids, times, …) themselves,
//! and say so in their header; xtask compares the texts exactly.
//!
//! Verdicts: on Linux a group passes when its block is complete and the script exited with 0;
//! its output is kept in `build/real/linux-<key>/` (the key names the image and the Linux
//! kernel), which is what Ferrux's output is compared with, so `--ferrux-only` boots Linux only
//! when that output is missing. On Ferrux a group passes when its output equals Linux's; a
//! difference fails it with the first differing line, and `diff -u` of the two is written to
//! `build/logs/real-<group>.diff` (shown under the failure in the report).
//! `--only real` runs every group, `--only real/GROUP` one of them.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::initramfs::ExtraFile;
use crate::paths;
use crate::process;
use crate::qemu::GuestMemory;
use crate::real_image::{self, Contents};
use crate::report::{Runner, TestResult};

/// The `--only` entry for every group; `real/GROUP` names one.
pub const ONLY_ENTRY: &str = "real";

/// The report's row for these results.
pub const REPORT_GROUP: &str = "real programs";

/// The guest's RAM: the image (tens of MiB, unpacked into tmpfs) and the programs fit in the
/// default machine with room to spare.
pub const GUEST_MEMORY: GuestMemory = GuestMemory::DEFAULT;

/// A group's time in the guest unless its header says otherwise.
const DEFAULT_GROUP_SECONDS: u64 = 120;

/// Booting and mounting before the first group, and printing after the last.
const BOOT_SECONDS: u64 = 120;

/// Where the runner and the scripts go in the image.
const RUNNER_IMAGE_PATH: &str = "/real/run";

/// What the runner itself needs besides busybox: every group runs under Debian's bash.
const RUNNER_PACKAGES: &[&str] = &["bash"];

/// The pty driver of the terminal checks (`tests/real/pty-expect.c`), static with musl.
const PTY_EXPECT_IMAGE_PATH: &str = "/real/pty-expect";

const BEGIN_MARKER: &str = "real: begin ";
const END_MARKER: &str = "real: end ";
const LINE_PREFIX: &str = "real| ";

/// One `tests/real/<name>.sh`.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    script: PathBuf,
    packages: Vec<String>,
    files: Vec<String>,
    skipped: Vec<String>,
    seconds: u64,
}

impl Group {
    fn parse(name: &str, script: &Path, text: &str) -> Result<Group> {
        let mut group = Group {
            name: name.to_string(),
            script: script.to_path_buf(),
            packages: Vec::new(),
            files: Vec::new(),
            skipped: Vec::new(),
            seconds: DEFAULT_GROUP_SECONDS,
        };
        for line in text.lines().take_while(|line| line.starts_with('#')) {
            let header = |key: &str| line.strip_prefix(key).map(str::trim);
            if let Some(words) = header("# real-packages:") {
                group
                    .packages
                    .extend(words.split_whitespace().map(String::from));
            } else if let Some(words) = header("# real-files:") {
                group
                    .files
                    .extend(absolute_paths(script, "real-files", words)?);
            } else if let Some(words) = header("# real-skip:") {
                group
                    .skipped
                    .extend(absolute_paths(script, "real-skip", words)?);
            } else if let Some(word) = header("# real-timeout:") {
                group.seconds = word
                    .parse()
                    .ok()
                    .filter(|seconds| *seconds > 0)
                    .with_context(|| format!("{}: bad real-timeout {word:?}", script.display()))?;
            }
        }
        Ok(group)
    }
}

/// The words of header `key`, each an absolute path.
fn absolute_paths(script: &Path, key: &str, words: &str) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for word in words.split_whitespace() {
        if !word.starts_with('/') {
            bail!(
                "{}: {key} wants absolute paths, got {word}",
                script.display()
            );
        }
        paths.push(word.to_string());
    }
    Ok(paths)
}

fn scripts_dir() -> PathBuf {
    paths::repo_root().join("tests").join("real")
}

/// Every group, sorted by name.
pub fn all_groups() -> Result<Vec<Group>> {
    let dir = scripts_dir();
    let mut groups = Vec::new();
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".sh"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        groups.push(Group::parse(name, &path, &text)?);
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(groups)
}

/// Whether an `--only` entry is ours.
pub fn is_entry(entry: &str) -> bool {
    entry == ONLY_ENTRY || entry.starts_with("real/")
}

/// The groups `--only` selects (every group without `--only`, or with `real`).
pub fn selected_groups(only: &[String]) -> Result<Vec<Group>> {
    let wanted: Vec<&String> = only.iter().filter(|entry| is_entry(entry)).collect();
    if !only.is_empty() && wanted.is_empty() {
        return Ok(Vec::new());
    }
    let groups = all_groups()?;
    if only.is_empty() || wanted.iter().any(|entry| *entry == ONLY_ENTRY) {
        return Ok(groups);
    }
    let mut chosen = Vec::new();
    for entry in wanted {
        let name = &entry["real/".len()..];
        match groups.iter().find(|group| group.name == name) {
            Some(group) => chosen.push(group.clone()),
            None => bail!(
                "--only {entry}: no such group (have {})",
                groups
                    .iter()
                    .map(|group| group.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(chosen)
}

/// The image and boot parameters for `groups`.
pub struct Prepared {
    pub initrd: PathBuf,
    pub init_argv: Vec<String>,
    pub timeout: Duration,
    pub groups: Vec<String>,
}

/// `build/real/pty-expect`, compiled from `tests/real/pty-expect.c` unless up to date.
fn build_pty_expect() -> Result<PathBuf> {
    let source = scripts_dir().join("pty-expect.c");
    let out_dir = paths::build_dir().join("real");
    paths::ensure_dir(&out_dir)?;
    let binary = out_dir.join("pty-expect");
    let modified = |path: &Path| std::fs::metadata(path).and_then(|meta| meta.modified());
    let is_fresh = match (modified(&source), modified(&binary)) {
        (Ok(source_time), Ok(binary_time)) => binary_time >= source_time,
        _ => false,
    };
    if !is_fresh {
        process::run(
            Command::new("musl-gcc")
                .args(["-static", "-O2", "-Wall", "-Werror", "-o"])
                .arg(&binary)
                .arg(&source),
        )?;
    }
    Ok(binary)
}

/// Builds (or finds) the image with every group in it, and the boot for `groups`.
pub fn prepare(groups: &[Group]) -> Result<Prepared> {
    let everything = all_groups()?;
    let mut contents = Contents::default();
    let mut extra = vec![
        ExtraFile {
            image_path: RUNNER_IMAGE_PATH.to_string(),
            host_path: scripts_dir().join("run"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: PTY_EXPECT_IMAGE_PATH.to_string(),
            host_path: build_pty_expect()?,
            mode: 0o755,
        },
    ];
    // Linux's loop module (the runner loads it): the losetup group needs loop devices.
    match crate::linux::loop_module() {
        Ok(module) => extra.push(ExtraFile {
            image_path: "/real/loop.ko".to_string(),
            host_path: module,
            mode: 0o644,
        }),
        Err(error) => {
            println!("xtask: no loop module for Linux ({error:#}): real/losetup will fail")
        }
    }
    for group in &everything {
        contents.packages.extend(group.packages.iter().cloned());
        contents.files.extend(group.files.iter().cloned());
        contents.skipped.extend(group.skipped.iter().cloned());
        extra.push(ExtraFile {
            image_path: format!("/real/{}.sh", group.name),
            host_path: group.script.clone(),
            mode: 0o755,
        });
    }
    contents
        .packages
        .extend(RUNNER_PACKAGES.iter().map(|package| package.to_string()));
    contents.packages.sort();
    contents.packages.dedup();
    contents.files.sort();
    contents.files.dedup();
    contents.skipped.sort();
    contents.skipped.dedup();
    let initrd = real_image::build("real", &contents, &extra)?;
    let mut init_argv = vec![
        "/usr/bin/busybox".to_string(),
        "sh".to_string(),
        RUNNER_IMAGE_PATH.to_string(),
    ];
    init_argv.extend(groups.iter().map(|group| group.name.clone()));
    let seconds: u64 = groups.iter().map(|group| group.seconds).sum();
    Ok(Prepared {
        initrd,
        init_argv,
        timeout: Duration::from_secs(seconds + BOOT_SECONDS),
        groups: groups.iter().map(|group| group.name.clone()).collect(),
    })
}

/// Where Linux's outputs for this image and kernel are kept.
pub fn linux_output_dir(initrd: &Path, linux_kernel: &Path) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    initrd.file_name().hash(&mut hasher);
    linux_kernel.hash(&mut hasher);
    std::fs::metadata(linux_kernel)
        .map(|meta| meta.len())
        .unwrap_or_default()
        .hash(&mut hasher);
    paths::build_dir()
        .join("real")
        .join(format!("linux-{:016x}", hasher.finish()))
}

/// Where Ferrux's outputs of this run go.
pub fn ferrux_output_dir() -> PathBuf {
    paths::build_dir().join("real").join("ferrux")
}

/// Whether `dir` has Linux's output of every group.
pub fn has_outputs(dir: &Path, groups: &[String]) -> bool {
    groups.iter().all(|group| output_path(dir, group).is_file())
}

fn output_path(dir: &Path, group: &str) -> PathBuf {
    dir.join(format!("{group}.out"))
}

/// The complete blocks of the console log: group name to its lines (prefix removed). Lines
/// inside a block without the prefix (kernel messages) are skipped.
fn parse_blocks(log: &str) -> BTreeMap<String, String> {
    let mut blocks = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in log.lines().map(|line| line.trim_end_matches('\r')) {
        if let Some(name) = line.strip_prefix(BEGIN_MARKER) {
            current = Some((name.trim().to_string(), String::new()));
        } else if let Some(name) = line.strip_prefix(END_MARKER) {
            if let Some((open, text)) = current.take()
                && open == name.trim()
            {
                blocks.insert(open, text);
            }
        } else if let Some(text) = line.strip_prefix(LINE_PREFIX)
            && let Some((_, block)) = current.as_mut()
        {
            block.push_str(text);
            block.push('\n');
        } else if line == LINE_PREFIX.trim_end()
            && let Some((_, block)) = current.as_mut()
        {
            // An empty output line: the prefix's trailing blank was trimmed.
            block.push('\n');
        }
    }
    blocks
}

/// The script's exit status: the block's last line.
fn exit_status(block: &str) -> Option<&str> {
    block.lines().last()?.strip_prefix("exit status ")
}

/// Linux's verdicts, one per group; complete outputs are saved in `dir`.
pub fn linux_results(
    log: &str,
    groups: &[String],
    dir: &Path,
    boot_summary: &str,
    log_path: &Path,
) -> Vec<TestResult> {
    let blocks = parse_blocks(log);
    groups
        .iter()
        .map(|group| {
            let failure = match blocks.get(group) {
                None => Some(format!("no complete output: {boot_summary}")),
                Some(block) => match exit_status(block) {
                    Some("0") => paths::ensure_dir(dir)
                        .and_then(|()| {
                            paths::write_atomically(&output_path(dir, group), block.as_bytes())
                        })
                        .err()
                        .map(|error| format!("cannot keep the output: {error:#}")),
                    status => Some(format!(
                        "the script exited with status {}",
                        status.unwrap_or("?")
                    )),
                },
            };
            TestResult::new(
                Runner::Linux,
                REPORT_GROUP,
                &format!("real/{group}"),
                failure,
                Some(log_path.to_path_buf()),
            )
        })
        .collect()
}

/// Saves Ferrux's complete outputs in [`ferrux_output_dir`], and how the boot ended.
pub fn save_ferrux_outputs(log: &str, boot_summary: &str) -> Result<()> {
    let dir = ferrux_output_dir();
    paths::ensure_dir(&dir)?;
    for (group, block) in parse_blocks(log) {
        paths::write_atomically(&output_path(&dir, &group), block.as_bytes())?;
    }
    paths::write_atomically(&dir.join("boot-summary"), boot_summary.as_bytes())
}

/// Clears Ferrux's outputs of an earlier run.
pub fn clear_ferrux_outputs() -> Result<()> {
    let dir = ferrux_output_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    Ok(())
}

/// Ferrux's verdicts: each group's output against Linux's in `linux_dir`.
pub fn ferrux_results(groups: &[String], linux_dir: &Path, ferrux_log: &Path) -> Vec<TestResult> {
    let dir = ferrux_output_dir();
    let boot_summary = std::fs::read_to_string(dir.join("boot-summary"))
        .unwrap_or_else(|_| "the boot did not end".to_string());
    groups
        .iter()
        .map(|group| {
            let name = format!("real/{group}");
            let expected = std::fs::read_to_string(output_path(linux_dir, group));
            let got = std::fs::read_to_string(output_path(&dir, group));
            let (failure, log_path) = match (expected, got) {
                (Err(_), _) => (
                    Some("no output from Linux to compare with".to_string()),
                    None,
                ),
                (Ok(_), Err(_)) => (
                    Some(format!("no complete output: {boot_summary}")),
                    Some(ferrux_log.to_path_buf()),
                ),
                (Ok(expected), Ok(got)) if expected == got => (None, None),
                (Ok(expected), Ok(got)) => {
                    let diff_path = paths::logs_dir().join(format!("real-{group}.diff"));
                    let written = write_diff(
                        &output_path(linux_dir, group),
                        &output_path(&dir, group),
                        &diff_path,
                    );
                    let mut reason = first_difference(&expected, &got);
                    match written {
                        Ok(()) => reason.push_str(&format!(" (diff -u: {})", diff_path.display())),
                        Err(error) => reason.push_str(&format!(" (no diff: {error:#})")),
                    }
                    (Some(reason), Some(diff_path))
                }
            };
            TestResult::new(Runner::Ferrux, REPORT_GROUP, &name, failure, log_path)
        })
        .collect()
}

/// `line N: Linux `…`, Ferrux `…``.
fn first_difference(expected: &str, got: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut got_lines = got.lines();
    let mut number = 1;
    loop {
        match (expected_lines.next(), got_lines.next()) {
            (Some(a), Some(b)) if a == b => number += 1,
            (a, b) => {
                return format!(
                    "line {number}: Linux `{}`, Ferrux `{}`",
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                );
            }
        }
    }
}

fn write_diff(expected: &Path, got: &Path, diff_path: &Path) -> Result<()> {
    let output = Command::new("diff")
        .arg("-u")
        .arg("--label=linux")
        .arg(expected)
        .arg("--label=ferrux")
        .arg(got)
        .output()
        .context("cannot run diff")?;
    paths::ensure_dir(&paths::logs_dir())?;
    paths::write_atomically(diff_path, &output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers() {
        let text = "# real-packages: bash dash\n# real-files: /usr/lib/file\n\
                    # real-timeout: 300\n# comment\necho hi\n# real-packages: late\n";
        let group = Group::parse("g", Path::new("/x/g.sh"), text).unwrap();
        assert_eq!(group.packages, ["bash", "dash"]);
        assert_eq!(group.files, ["/usr/lib/file"]);
        assert_eq!(group.seconds, 300);
        assert!(Group::parse("g", Path::new("g"), "# real-files: relative\n").is_err());
        assert!(Group::parse("g", Path::new("g"), "# real-timeout: soon\n").is_err());
    }

    #[test]
    fn reads_blocks_from_a_noisy_console() {
        let log = "boot noise\r\nreal: begin a\r\nreal| one\r\n[ 1.0] kernel says\r\nreal|\r\n\
                   real| exit status 0\r\nreal: end a\r\nreal: begin b\r\nreal| cut off\r\n";
        let blocks = parse_blocks(log);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks["a"], "one\n\nexit status 0\n");
        assert_eq!(exit_status(&blocks["a"]), Some("0"));
    }

    #[test]
    fn names_the_first_difference() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n"),
            "line 2: Linux `b`, Ferrux `B`"
        );
        assert_eq!(
            first_difference("a\n", "a\nmore\n"),
            "line 2: Linux `<end>`, Ferrux `more`"
        );
    }

    #[test]
    fn only_entries() {
        assert!(is_entry("real") && is_entry("real/bash"));
        assert!(!is_entry("realm") && !is_entry("boot/real"));
    }
}
