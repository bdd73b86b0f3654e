//! Test results: parsing the guest's `TEST` lines, and the final report.
//!
//! The guest harness prints `TEST <suite>/<name> PASS`, `TEST <suite>/<name> FAIL <reason>` and
//! a closing `N passed, N failed` ([`SuiteOutput::parse`]). Lines may carry a prefix (a kernel
//! message interleaved on the console), so `TEST ` is searched anywhere in a line.
//!
//! [`Report`] collects [`TestResult`]s from the host, Ferrux and Linux, prints a passed/failed
//! table per kernel and group, every failure with the tail of its boot log, marks every
//! failure on Linux as "WRONG TEST (fails on Linux)", and ends with `total: N passed, N failed`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Lines of a boot log shown under a failure.
const LOG_TAIL_LINES: usize = 40;

/// Who ran a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Runner {
    Host,
    Ferrux,
    Linux,
}

impl fmt::Display for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runner::Host => "host",
            Runner::Ferrux => "ferrux",
            Runner::Linux => "linux",
        })
    }
}

/// One test's verdict.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub runner: Runner,
    /// The table row it counts in, e.g. `ferrux-tests (musl)` or `boot checks`.
    pub group: String,
    pub is_passed: bool,
    /// The `TEST …` line, as the guest printed it or as xtask made it.
    pub line: String,
    /// The boot's full log, if a boot produced the verdict.
    pub log_path: Option<PathBuf>,
}

impl TestResult {
    /// A verdict made by xtask itself, in the guest's line format.
    pub fn new(
        runner: Runner,
        group: &str,
        name: &str,
        failure: Option<String>,
        log_path: Option<PathBuf>,
    ) -> TestResult {
        let line = match &failure {
            None => format!("TEST {name} PASS"),
            Some(reason) => format!("TEST {name} FAIL {reason}"),
        };
        TestResult {
            runner,
            group: group.to_string(),
            is_passed: failure.is_none(),
            line,
            log_path,
        }
    }
}

/// What one run of the guest harness printed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SuiteOutput {
    /// `(line, is_passed)` for each `TEST` line, the line starting at `TEST`.
    pub tests: Vec<(String, bool)>,
    /// The closing `N passed, N failed`.
    pub summary: Option<(usize, usize)>,
}

impl SuiteOutput {
    pub fn parse(log: &str) -> SuiteOutput {
        let mut output = SuiteOutput::default();
        for line in log.lines() {
            let line = line.trim_end();
            if let Some(start) = line.find("TEST ") {
                let test_line = &line[start..];
                let mut words = test_line.split_whitespace().skip(1);
                let (name, verdict) = (words.next(), words.next());
                match (name, verdict) {
                    (Some(_), Some("PASS")) => output.tests.push((test_line.to_string(), true)),
                    (Some(_), Some("FAIL")) => output.tests.push((test_line.to_string(), false)),
                    _ => {}
                }
            } else if let Some(summary) = parse_summary(line) {
                output.summary = Some(summary);
            }
        }
        output
    }

    pub fn passed_count(&self) -> usize {
        self.tests
            .iter()
            .filter(|(_, is_passed)| *is_passed)
            .count()
    }

    pub fn failed_count(&self) -> usize {
        self.tests.len() - self.passed_count()
    }
}

/// `N passed, N failed` (optionally `, N skipped`), alone on the line.
fn parse_summary(line: &str) -> Option<(usize, usize)> {
    let rest = line.trim();
    let (passed, rest) = rest.split_once(" passed, ")?;
    let (failed, rest) = rest.split_once(" failed")?;
    if !(rest.is_empty() || rest.starts_with(", ")) {
        return None;
    }
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

/// All results of one `cargo xtask test`.
#[derive(Debug, Default)]
pub struct Report {
    results: Vec<TestResult>,
}

impl Report {
    pub fn add(&mut self, result: TestResult) {
        self.results.push(result);
    }

    pub fn failed_count(&self) -> usize {
        self.results.iter().filter(|r| !r.is_passed).count()
    }

    /// Prints failures, the table, and the closing line.
    pub fn print(&self) {
        self.print_failures();
        self.print_table();
        let failed = self.failed_count();
        let passed = self.results.len() - failed;
        println!("total: {passed} passed, {failed} failed");
    }

    fn print_failures(&self) {
        let failures: Vec<&TestResult> = self.results.iter().filter(|r| !r.is_passed).collect();
        if failures.is_empty() {
            return;
        }
        println!("\n=== failures ===");
        // Group failures by boot, to show each boot's log tail once.
        let mut by_log: BTreeMap<(Runner, Option<&PathBuf>), Vec<&TestResult>> = BTreeMap::new();
        for failure in failures {
            by_log
                .entry((failure.runner, failure.log_path.as_ref()))
                .or_default()
                .push(failure);
        }
        for ((runner, log_path), failures) in by_log {
            println!();
            for failure in &failures {
                // A boot on Linux that fails means the test, not Linux, is wrong.
                if runner == Runner::Linux && log_path.is_some() {
                    println!(
                        "!!! WRONG TEST (fails on Linux): [{}] {}",
                        failure.group, failure.line
                    );
                } else {
                    println!("[{runner}] [{}] {}", failure.group, failure.line);
                }
            }
            if let Some(log_path) = log_path {
                print_log_tail(log_path);
            }
        }
    }

    fn print_table(&self) {
        let mut rows: BTreeMap<(Runner, &str), (usize, usize)> = BTreeMap::new();
        for result in &self.results {
            let row = rows.entry((result.runner, &result.group)).or_default();
            if result.is_passed {
                row.0 += 1;
            } else {
                row.1 += 1;
            }
        }
        println!("\n=== summary ===");
        println!(
            "{:<8} {:<28} {:>7} {:>7}",
            "runner", "group", "passed", "failed"
        );
        let mut last_runner = None;
        let mut runner_totals = (0, 0);
        for ((runner, group), (passed, failed)) in &rows {
            if last_runner.is_some_and(|last| last != *runner) {
                print_total_row(last_runner.expect("checked"), runner_totals);
                runner_totals = (0, 0);
            }
            last_runner = Some(*runner);
            runner_totals.0 += passed;
            runner_totals.1 += failed;
            println!(
                "{:<8} {:<28} {passed:>7} {failed:>7}",
                runner.to_string(),
                group
            );
        }
        if let Some(runner) = last_runner {
            print_total_row(runner, runner_totals);
        }
        if self
            .results
            .iter()
            .any(|r| r.runner == Runner::Linux && !r.is_passed && r.log_path.is_some())
        {
            println!("!!! WRONG TEST: some tests fail on Linux, the oracle; fix the tests first.");
        }
        println!();
    }
}

fn print_total_row(runner: Runner, (passed, failed): (usize, usize)) {
    println!(
        "{:<8} {:<28} {passed:>7} {failed:>7}",
        runner.to_string(),
        "= all"
    );
}

fn print_log_tail(log_path: &PathBuf) {
    match std::fs::read(log_path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(LOG_TAIL_LINES);
            println!(
                "--- last {} lines of {} ---",
                lines.len() - start,
                log_path.display()
            );
            for line in &lines[start..] {
                println!("    {}", printable(line));
            }
            println!("--- end of log ---");
        }
        Err(error) => println!("(cannot read {}: {error})", log_path.display()),
    }
}

/// `line` without terminal control characters (firmware clears the screen, for one).
fn printable(line: &str) -> String {
    line.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_harness_output() {
        let log = "boot noise\r\n\
                   TEST fs/open PASS\r\n\
                   [    2.1] random: crng initTEST fs/read FAIL read returned -14\r\n\
                   TEST broken\r\n\
                   1 passed, 1 failed\r\n";
        let output = SuiteOutput::parse(log);
        assert_eq!(
            output.tests,
            [
                ("TEST fs/open PASS".to_string(), true),
                ("TEST fs/read FAIL read returned -14".to_string(), false),
            ]
        );
        assert_eq!(output.summary, Some((1, 1)));
        assert_eq!((output.passed_count(), output.failed_count()), (1, 1));
    }

    #[test]
    fn log_lines_lose_control_characters() {
        assert_eq!(printable("\x1bc\x1b[2Jok\tyes\r"), "c[2Jok\tyes");
    }

    #[test]
    fn summary_line_forms() {
        assert_eq!(parse_summary("12 passed, 0 failed"), Some((12, 0)));
        assert_eq!(parse_summary("3 passed, 1 failed, 2 skipped"), Some((3, 1)));
        assert_eq!(parse_summary("x passed, 1 failed"), None);
        assert_eq!(parse_summary("3 passed, 1 failedly"), None);
    }

    #[test]
    fn made_results_use_the_line_format() {
        let result = TestResult::new(
            Runner::Ferrux,
            "boot checks",
            "boot/busybox-ls",
            Some("no bin".into()),
            None,
        );
        assert!(!result.is_passed);
        assert_eq!(result.line, "TEST boot/busybox-ls FAIL no bin");
    }
}
