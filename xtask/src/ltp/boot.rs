//! Booting one LTP image until every test in it has a result.
//!
//! The guest runner (`tests/ltp/runner.c`) prints `LTP-BEGIN i name` and `LTP-END i name …`
//! around each test. The console is read as it arrives ([`ConsoleState`] follows the
//! markers and keeps each test's output), and QEMU is killed when the guest stops making
//! progress: no `LTP-END` within the per-test timeout plus a grace period (the runner itself
//! kills a test at the timeout, so silence past it means the kernel hung). When a boot ends
//! before `LTP-DONE`, the test that was running is a `HANG` (killed) or a `PANIC` (the kernel
//! died: Ferrux's kernel-bug exit, Linux's `Kernel panic` with `panic=-1`), and the image is
//! booted again from the next test. A boot that runs no test at all is tried again twice, then
//! ends the image: its remaining tests are reported (as PANIC) with the boot's failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::image;
use super::plan::LtpTest;
use super::verdict::{self, Ending, Verdict};
use crate::cmdline::KernelCommandLine;
use crate::process;
use crate::qemu::{BootConfig, GuestMemory, KERNEL_BUG_STATUS};

/// Output lines kept per test (the reason is found in them).
const KEPT_LINES: usize = 400;

/// Time for a boot to reach its first test.
const BOOT_GRACE: Duration = Duration::from_secs(180);

/// Boots again after a boot that ran no test, before reporting the image's tests.
const BOOT_RETRIES: u32 = 2;

/// Silence past the per-test timeout before the kernel is declared hung.
const HANG_GRACE: Duration = Duration::from_secs(90);

/// A test's result on one kernel.
#[derive(Debug, Clone)]
pub struct TestRecord {
    pub name: String,
    pub verdict: Verdict,
    pub reason: String,
    pub milliseconds: u64,
    /// The test's console output (at most [`KEPT_LINES`] lines).
    pub output: Vec<String>,
    /// The log of the boot it ran in.
    pub log_path: PathBuf,
}

/// One image on one kernel.
pub struct ImageRun<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub tests: &'a [LtpTest],
    pub test_timeout: Duration,
    pub memory: GuestMemory,
    /// `build/logs/ltp/<kernel>-<image>`: boot N logs to `…-N.log`.
    pub log_stem: PathBuf,
}

/// What the console showed so far in one boot.
#[derive(Debug, Default)]
pub struct ConsoleState {
    /// The test running: its index in the image and output so far.
    pub current: Option<(usize, Vec<String>)>,
    /// Finished tests: `(index, ending, milliseconds, output)`.
    pub finished: Vec<(usize, Ending, u64, Vec<String>)>,
    pub is_done: bool,
    /// Lines before the first test (boot messages), kept for a boot that fails.
    pub preamble: Vec<String>,
}

impl ConsoleState {
    /// Takes one console line. Returns whether it showed progress (a test began or ended).
    pub fn take_line(&mut self, raw: &str) -> bool {
        let line = raw.trim_end_matches(['\r', '\n']);
        if let Some(rest) = after_marker(line, "LTP-BEGIN ") {
            let index = rest
                .split_whitespace()
                .next()
                .and_then(|word| word.parse().ok());
            if let Some(index) = index {
                self.current = Some((index, Vec::new()));
                return true;
            }
        }
        if let Some(rest) = after_marker(line, "LTP-END ") {
            let mut words = rest.splitn(3, ' ');
            let index = words.next().and_then(|word| word.parse::<usize>().ok());
            let _name = words.next();
            let ending = words.next().and_then(Ending::parse);
            if let (Some(index), Some((ending, milliseconds))) = (index, ending) {
                let output = match self.current.take() {
                    Some((current, output)) if current == index => output,
                    _ => Vec::new(),
                };
                self.finished.push((index, ending, milliseconds, output));
                return true;
            }
        }
        if line.contains("LTP-DONE") && self.current.is_none() {
            self.is_done = true;
            return true;
        }
        match &mut self.current {
            Some((_, output)) if output.len() < KEPT_LINES => output.push(line.to_string()),
            None if self.finished.is_empty() && self.preamble.len() < KEPT_LINES => {
                self.preamble.push(line.to_string());
            }
            _ => {}
        }
        false
    }
}

fn after_marker<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| &line[at + marker.len()..])
}

/// The first line that reports a kernel crash, in `lines`.
pub fn crash_line(lines: &[String]) -> Option<&str> {
    const SIGNS: [&str; 5] = [
        "Kernel panic",
        "BUG:",
        "Oops",
        "general protection fault",
        "lockdep:",
    ];
    lines
        .iter()
        .map(String::as_str)
        .find(|line| SIGNS.iter().any(|sign| line.contains(sign)))
        .map(str::trim)
}

/// How one boot ended.
struct BootEnd {
    state: ConsoleState,
    is_hung: bool,
    qemu_status: Option<std::process::ExitStatus>,
    stderr: String,
}

/// Runs every test of the image, booting as often as needed; one record per test, in the
/// image's order.
pub fn run_image(run: &ImageRun<'_>) -> Vec<TestRecord> {
    let mut records: Vec<TestRecord> = Vec::new();
    let mut first = 0;
    let mut boot_number = 0;
    let mut failed_boots = 0;
    while first < run.tests.len() {
        boot_number += 1;
        let log_path = PathBuf::from(format!("{}-{boot_number}.log", run.log_stem.display()));
        let end = match boot_once(run, first, &log_path) {
            Ok(end) => end,
            Err(error) => {
                let reason = format!("QEMU did not run: {error:#}");
                fill_rest(&mut records, run.tests, first, &reason, &log_path);
                return records;
            }
        };
        let BootEnd {
            state,
            is_hung,
            qemu_status,
            stderr,
        } = end;
        let progressed = !state.finished.is_empty() || state.current.is_some();
        for (index, ending, milliseconds, output) in state.finished {
            let Some(test) = run.tests.get(index) else {
                continue;
            };
            let verdict = ending.verdict();
            records.push(TestRecord {
                name: test.name.clone(),
                verdict,
                reason: verdict::reason(verdict, Some(ending), &output),
                milliseconds,
                output,
                log_path: log_path.clone(),
            });
            first = index + 1;
        }
        if state.is_done {
            break;
        }
        if let Some((index, output)) = state.current {
            let name = run
                .tests
                .get(index)
                .map_or_else(String::new, |test| test.name.clone());
            let (verdict, reason) = if is_hung {
                (
                    Verdict::Hang,
                    format!(
                        "no progress for {} s: the kernel hung",
                        (run.test_timeout + HANG_GRACE).as_secs()
                    ),
                )
            } else {
                let crash = crash_line(&output).map(str::to_string).unwrap_or_else(|| {
                    match qemu_status.and_then(|status| status.code()) {
                        Some(KERNEL_BUG_STATUS) => "the kernel reported a bug".to_string(),
                        _ => format!("the boot ended during the test (QEMU {qemu_status:?})"),
                    }
                });
                (Verdict::Panic, crash)
            };
            records.push(TestRecord {
                name,
                verdict,
                reason,
                milliseconds: 0,
                output,
                log_path: log_path.clone(),
            });
            first = index + 1;
            continue;
        }
        if !progressed && failed_boots < BOOT_RETRIES {
            // Debian's kernel sometimes panics before init on a loaded TCG host ("IO-APIC +
            // timer doesn't work!", docs/facts.md): boot again.
            failed_boots += 1;
            continue;
        }
        if !progressed {
            let mut lines = state.preamble;
            lines.extend(stderr.lines().map(str::to_string));
            let why = crash_line(&lines).map(str::to_string).unwrap_or_else(|| {
                if is_hung {
                    "the image did not reach its first test".to_string()
                } else {
                    format!("the image did not boot (QEMU {qemu_status:?})")
                }
            });
            fill_rest(&mut records, run.tests, first, &why, &log_path);
            return records;
        }
        // The boot ended between two tests: go on after the last one that finished.
    }
    records
}

/// The tests from `first` on could not run: the image does not boot (reported as PANIC).
fn fill_rest(
    records: &mut Vec<TestRecord>,
    tests: &[LtpTest],
    first: usize,
    reason: &str,
    log_path: &Path,
) {
    for test in tests.iter().skip(first) {
        records.push(TestRecord {
            name: test.name.clone(),
            verdict: Verdict::Panic,
            reason: reason.to_string(),
            milliseconds: 0,
            output: Vec::new(),
            log_path: log_path.to_path_buf(),
        });
    }
}

/// One boot from test `first`, watched until it ends or stops making progress.
fn boot_once(run: &ImageRun<'_>, first: usize, log_path: &Path) -> Result<BootEnd> {
    let mut cmdline = KernelCommandLine::new();
    cmdline.set_init(&[
        image::RUNNER_PATH.to_string(),
        image::LIST_PATH.to_string(),
        first.to_string(),
        run.test_timeout.as_secs().max(1).to_string(),
    ])?;
    let config = BootConfig {
        kernel: run.kernel.to_path_buf(),
        initrd: run.initrd.to_path_buf(),
        cmdline: cmdline.render(),
        memory: run.memory,
        waits_for_gdb: false,
        counts_instructions: false,
        cpus: None,
        network: None,
        disks: Vec::new(),
    };
    if let Some(parent) = log_path.parent() {
        crate::paths::ensure_dir(parent)?;
    }
    let mut log = std::fs::File::create(log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut command = config.qemu_command();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start `{}`", process::describe(&command)))?;
    let stdout = child.stdout.take().context("QEMU's stdout is piped")?;
    let mut stderr_pipe = child.stderr.take().context("QEMU's stderr is piped")?;
    let stderr_reader = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let (sender, receiver) = mpsc::channel::<Vec<u8>>();
    let console_reader = thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });

    let mut state = ConsoleState::default();
    let mut deadline = Instant::now() + BOOT_GRACE;
    let mut is_hung = false;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(wait.min(Duration::from_secs(1))) {
            Ok(bytes) => {
                let _ = log.write_all(&bytes);
                let line = String::from_utf8_lossy(&bytes);
                if state.take_line(&line) {
                    deadline = Instant::now() + run.test_timeout + HANG_GRACE;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if Instant::now() >= deadline {
                    is_hung = true;
                    let _ = writeln!(
                        log,
                        "\n[xtask: no progress for {} s: QEMU killed]",
                        deadline_span(&state, run).as_secs()
                    );
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let qemu_status = finish(&mut child, is_hung)?;
    let _ = console_reader.join();
    let stderr = stderr_reader.join().unwrap_or_default();
    if !stderr.is_empty() {
        let _ = write!(log, "\n[xtask: QEMU's stderr]\n{stderr}");
    }
    Ok(BootEnd {
        state,
        is_hung,
        qemu_status,
        stderr,
    })
}

fn deadline_span(state: &ConsoleState, run: &ImageRun<'_>) -> Duration {
    if state.current.is_none() && state.finished.is_empty() {
        BOOT_GRACE
    } else {
        run.test_timeout + HANG_GRACE
    }
}

/// Waits for QEMU (killing it first when the guest hung).
fn finish(child: &mut Child, is_hung: bool) -> Result<Option<std::process::ExitStatus>> {
    if is_hung {
        process::terminate(child, Duration::from_secs(2))?;
        return Ok(None);
    }
    // The console closed: QEMU is exiting.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().context("cannot wait for QEMU")? {
            return Ok(Some(status));
        }
        thread::sleep(Duration::from_millis(50));
    }
    process::terminate(child, Duration::from_secs(2)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_runner_markers() {
        let mut state = ConsoleState::default();
        assert!(!state.take_line("Linux version 6.1.0\r\n"));
        assert!(state.take_line("LTP-BEGIN 0 abort01\r\n"));
        assert!(!state.take_line("abort01.c:12: TPASS: ok\n"));
        assert!(state.take_line("LTP-END 0 abort01 exit 0 ; 120 ms\n"));
        assert!(state.take_line("[  3.1] x LTP-BEGIN 1 access01\n"));
        assert!(!state.take_line("Kernel panic - not syncing: oops\n"));
        assert_eq!(state.finished.len(), 1);
        assert_eq!(state.finished[0].0, 0);
        assert_eq!(state.finished[0].1, Ending::Exit(0));
        assert_eq!(state.finished[0].3, ["abort01.c:12: TPASS: ok"]);
        assert_eq!(state.preamble, ["Linux version 6.1.0"]);
        let (index, output) = state.current.as_ref().unwrap();
        assert_eq!(*index, 1);
        assert_eq!(crash_line(output), Some("Kernel panic - not syncing: oops"));
        assert!(!state.is_done);

        let mut done = ConsoleState::default();
        done.take_line("LTP-BEGIN 3 x\n");
        done.take_line("LTP-END 3 x timeout ; 300000 ms\n");
        assert!(done.take_line("LTP-DONE\n"));
        assert!(done.is_done);
        assert_eq!(done.finished[0].1, Ending::Timeout);
    }
}
