//! LTP result files and the generated `docs/ltp.md`.
//!
//! A results file (`tests/ltp/linux-baseline.txt`, `build/ltp/results-<kernel>.txt`) has one
//! line per test, `name VERDICT reason…`, after `#` comments. `tests/ltp/expected-pass.txt`
//! (the CI ratchet) has one test name per line. [`render_doc`] writes the page: the headline
//! "N of the M tests that pass on Linux pass on Ferrux", the counts by verdict and by area, the
//! most common causes of the tests that pass on Linux only, and every test with both results
//! and the reason in a few words. Timer-precision tests that pass or fail at random under
//! emulation ([`FLAKY`]) and the socket areas (no network stack yet, [`is_network_area`]) are
//! counted apart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::plan::LtpTest;
use super::verdict::Verdict;

/// Tests that pass or fail at random under emulation on Linux itself (timer precision):
/// left out of every comparison.
pub const FLAKY: [&str; 9] = [
    "clock_nanosleep02",
    "epoll_wait02",
    "nanosleep01",
    "poll02",
    "pselect01",
    "select02",
    "futex_wait05",
    "epoll_pwait03",
    "prctl09",
];

/// Areas that need a network stack (sockets), counted apart until it lands.
pub fn is_network_area(area: &str) -> bool {
    matches!(
        area,
        "accept"
            | "accept4"
            | "bind"
            | "connect"
            | "getpeername"
            | "getsockname"
            | "getsockopt"
            | "listen"
            | "recv"
            | "recvfrom"
            | "recvmmsg"
            | "recvmsg"
            | "send"
            | "sendmmsg"
            | "sendmsg"
            | "sendto"
            | "setsockopt"
            | "shutdown"
            | "socket"
            | "socketcall"
            | "socketpair"
            | "sockioctl"
            | "gethostbyname_r"
    )
}

/// One test's result in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub verdict: Verdict,
    pub reason: String,
}

pub type Results = BTreeMap<String, Entry>;

/// Parses a results file; malformed lines are skipped.
pub fn parse_results(text: &str) -> Results {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.trim().splitn(3, ' ');
            let name = parts.next()?.to_string();
            let verdict = parts.next()?.parse().ok()?;
            let reason = parts.next().unwrap_or("").trim().to_string();
            Some((name, Entry { verdict, reason }))
        })
        .collect()
}

/// Renders a results file with a comment header.
pub fn render_results(header: &str, results: &Results) -> String {
    let mut text = String::new();
    for line in header.lines() {
        let _ = writeln!(text, "# {line}");
    }
    for (name, entry) in results {
        if entry.reason.is_empty() {
            let _ = writeln!(text, "{name} {}", entry.verdict);
        } else {
            let _ = writeln!(text, "{name} {} {}", entry.verdict, entry.reason);
        }
    }
    text
}

/// Parses a list of test names (one per line, `#` comments).
pub fn parse_names(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            line.split_once('#')
                .map_or(line, |(before, _)| before)
                .trim()
        })
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

/// The headline figures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Headline {
    /// Tests that pass on Linux (flaky ones left out).
    pub linux_passes: usize,
    /// Of those, the ones that pass on Ferrux.
    pub both_pass: usize,
    /// The same two counts without the network areas.
    pub linux_passes_no_net: usize,
    pub both_pass_no_net: usize,
}

impl Headline {
    pub fn compute(
        tests: &[LtpTest],
        area_of: &dyn Fn(&LtpTest) -> String,
        linux: &Results,
        ferrux: &Results,
    ) -> Headline {
        let mut headline = Headline::default();
        for test in tests {
            if FLAKY.contains(&test.name.as_str()) {
                continue;
            }
            let passes = |results: &Results| {
                results
                    .get(&test.name)
                    .is_some_and(|entry| entry.verdict == Verdict::Pass)
            };
            if !passes(linux) {
                continue;
            }
            let is_net = is_network_area(&area_of(test));
            headline.linux_passes += 1;
            headline.linux_passes_no_net += usize::from(!is_net);
            if passes(ferrux) {
                headline.both_pass += 1;
                headline.both_pass_no_net += usize::from(!is_net);
            }
        }
        headline
    }

    pub fn sentence(&self) -> String {
        format!(
            "{} of the {} tests that pass on Linux pass on Ferrux ({})",
            self.both_pass,
            self.linux_passes,
            percent(self.both_pass, self.linux_passes)
        )
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "—".to_string()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// A cause for a test that passes on Linux and not on Ferrux, for grouping: a missing
/// syscall when the output names one, otherwise the verdict and the reason without numbers.
pub fn cause(verdict: Verdict, reason: &str, output: &[String]) -> String {
    for line in output.iter().map(String::as_str).chain([reason]) {
        if let Some(name) = missing_syscall(line) {
            return format!("missing syscall {name}");
        }
    }
    let words: Vec<String> = reason
        .split_whitespace()
        .map(|word| {
            if word.chars().any(|c| c.is_ascii_digit()) && !word.contains("E") {
                "N".to_string()
            } else {
                word.to_string()
            }
        })
        .take(8)
        .collect();
    format!("{verdict}: {}", words.join(" "))
}

/// The syscall a line says is missing: Ferrux's log (`syscall 240 (mq_open) is not
/// implemented`) or LTP's (`__NR_mq_open not supported`, `… failed: ENOSYS`).
pub fn missing_syscall(line: &str) -> Option<String> {
    if let Some(at) = line.find(") is not implemented") {
        let open = line[..at].rfind('(')?;
        return Some(line[open + 1..at].to_string());
    }
    if (line.contains("not supported") || line.contains("ENOSYS"))
        && let Some(at) = line.find("__NR_")
    {
        let name: String = line[at + 5..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    if let Some(at) = line.find("ENOSYS") {
        // `foo(…) failed: ENOSYS`: the call before the parenthesis.
        let before = &line[..at];
        let paren = before.rfind('(')?;
        let name: String = before[..paren]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let name = name.trim_start_matches("SAFE_").to_lowercase();
        if !name.is_empty() && name != "tst_syscall" && name != "syscall" {
            return Some(name);
        }
    }
    None
}

/// Everything `docs/ltp.md` shows.
pub struct DocInput<'a> {
    pub tests: &'a [LtpTest],
    pub area_of: &'a dyn Fn(&LtpTest) -> String,
    pub linux: &'a Results,
    pub ferrux: &'a Results,
    /// Cause per test that passes on Linux only.
    pub causes: &'a BTreeMap<String, String>,
    /// `LTP 20260529 (695827725f4f)`.
    pub ltp_version: &'a str,
    /// How the run was made (kernels, jobs, time).
    pub run_note: &'a str,
}

/// Renders `docs/ltp.md`.
pub fn render_doc(input: &DocInput<'_>) -> String {
    let DocInput {
        tests,
        area_of,
        linux,
        ferrux,
        causes,
        ltp_version,
        run_note,
    } = input;
    let headline = Headline::compute(tests, area_of, linux, ferrux);
    let mut out = String::new();
    let _ = writeln!(out, "# LTP on Ferrux and Linux\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask ltp`; do not edit. {ltp_version}, `runtest/syscalls`: {} tests, \
         each run on Ferrux and on Debian's Linux 6.1 in the same QEMU (TCG, 1 vCPU, 1 GiB). \
         {run_note}\n",
        tests.len()
    );
    let _ = writeln!(out, "**{}.**\n", headline.sentence());
    let _ = writeln!(
        out,
        "Without the socket areas (no network stack yet): {} of {} ({}). Left out of both \
         counts: {} timer-precision tests that pass or fail at random under emulation ({}).\n",
        headline.both_pass_no_net,
        headline.linux_passes_no_net,
        percent(headline.both_pass_no_net, headline.linux_passes_no_net),
        FLAKY.len(),
        FLAKY.join(", ")
    );
    let _ = writeln!(
        out,
        "Verdicts: PASS; CONF (TCONF: does not apply, e.g. a missing kernel feature); FAIL, BROK, \
         WARN (LTP's TFAIL, TBROK, TWARN); SIGNAL (killed by a signal); TIMEOUT (killed after \
         the per-test limit); HANG (the kernel stopped responding; the image was restarted after \
         it); PANIC (the kernel died; restarted after it); NOEXEC, NOTBUILT.\n"
    );

    let _ = writeln!(out, "## Counts\n");
    let _ = writeln!(out, "| kernel | {} |", verdict_header());
    let _ = writeln!(out, "| --- |{}", " ---: |".repeat(Verdict::ALL.len()));
    for (kernel, results) in [("Linux", linux), ("Ferrux", ferrux)] {
        let mut row = format!("| {kernel} |");
        for verdict in Verdict::ALL {
            let count = tests
                .iter()
                .filter(|test| {
                    results
                        .get(&test.name)
                        .is_some_and(|e| e.verdict == verdict)
                })
                .count();
            let _ = write!(row, " {count} |");
        }
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out);

    let _ = writeln!(
        out,
        "## Why tests that pass on Linux do not pass on Ferrux\n\nThe most common causes (a \
         missing syscall when the test's output names one, otherwise Ferrux's verdict and LTP's \
         message):\n"
    );
    let mut by_cause: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, cause) in causes.iter() {
        by_cause.entry(cause).or_default().push(name);
    }
    let mut ranked: Vec<(&str, Vec<&str>)> = by_cause.into_iter().collect();
    ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let _ = writeln!(out, "| tests | cause | for example |");
    let _ = writeln!(out, "| ---: | --- | --- |");
    for (cause, names) in ranked.iter().take(40) {
        let examples: Vec<&str> = names.iter().take(4).copied().collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            names.len(),
            escape(cause),
            examples.join(", ")
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "## By area\n");
    let _ = writeln!(
        out,
        "| area | tests | pass on Linux | pass on Ferrux | of Linux's passes |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: |");
    let mut areas: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    for test in tests.iter() {
        let area = area_of(test);
        let slot = areas.entry(area).or_default();
        let passes = |results: &Results| {
            results
                .get(&test.name)
                .is_some_and(|e| e.verdict == Verdict::Pass)
        };
        slot.0 += 1;
        slot.1 += usize::from(passes(linux));
        slot.2 += usize::from(passes(ferrux));
        slot.3 += usize::from(passes(linux) && passes(ferrux));
    }
    for (area, (count, on_linux, on_ferrux, both)) in &areas {
        let _ = writeln!(
            out,
            "| {area} | {count} | {on_linux} | {on_ferrux} | {both} of {on_linux} |"
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "## Every test\n");
    let _ = writeln!(
        out,
        "The reason is Ferrux's when it does not pass there, otherwise Linux's.\n"
    );
    let _ = writeln!(out, "| test | area | Linux | Ferrux | reason |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for test in tests.iter() {
        let show = |results: &Results| {
            results
                .get(&test.name)
                .map_or("—".to_string(), |e| e.verdict.to_string())
        };
        let reason = match (ferrux.get(&test.name), linux.get(&test.name)) {
            (Some(f), _) if f.verdict != Verdict::Pass => f.reason.as_str(),
            (_, Some(l)) if l.verdict != Verdict::Pass => l.reason.as_str(),
            _ => "",
        };
        let flaky = if FLAKY.contains(&test.name.as_str()) {
            " (timer-flaky)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {}{flaky} | {} | {} | {} | {} |",
            test.name,
            area_of(test),
            show(linux),
            show(ferrux),
            escape(reason)
        );
    }
    out
}

fn verdict_header() -> String {
    Verdict::ALL
        .iter()
        .map(|verdict| verdict.name())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(name: &str) -> LtpTest {
        LtpTest {
            name: name.to_string(),
            argv: vec![name.to_string()],
        }
    }

    fn entry(verdict: Verdict) -> Entry {
        Entry {
            verdict,
            reason: String::new(),
        }
    }

    #[test]
    fn results_round_trip() {
        let mut results = Results::new();
        results.insert("abort01".into(), entry(Verdict::Pass));
        results.insert(
            "mq_open01".into(),
            Entry {
                verdict: Verdict::Conf,
                reason: "no mqueue".into(),
            },
        );
        let text = render_results("Linux 6.1\nline two", &results);
        assert!(text.starts_with("# Linux 6.1\n# line two\n"));
        assert_eq!(parse_results(&text), results);
        assert_eq!(
            parse_names("# list\nabort01\n\nopen01 # why\n"),
            ["abort01", "open01"]
        );
    }

    #[test]
    fn headline_leaves_out_flaky_and_counts_network_apart() {
        let tests = [test("a"), test("socket01"), test("poll02"), test("b")];
        let area = |t: &LtpTest| t.name.trim_end_matches(char::is_numeric).to_string();
        let mut linux = Results::new();
        let mut ferrux = Results::new();
        for name in ["a", "socket01", "poll02", "b"] {
            linux.insert(name.into(), entry(Verdict::Pass));
        }
        ferrux.insert("a".into(), entry(Verdict::Pass));
        ferrux.insert("poll02".into(), entry(Verdict::Fail));
        ferrux.insert("b".into(), entry(Verdict::Fail));
        let headline = Headline::compute(&tests, &area, &linux, &ferrux);
        assert_eq!(
            headline,
            Headline {
                linux_passes: 3,
                both_pass: 1,
                linux_passes_no_net: 2,
                both_pass_no_net: 1
            }
        );
        assert_eq!(
            headline.sentence(),
            "1 of the 3 tests that pass on Linux pass on Ferrux (33.3 %)"
        );
    }

    #[test]
    fn causes_name_missing_syscalls() {
        assert_eq!(
            missing_syscall("[ 1.2] mq_open01: syscall 240 (mq_open) is not implemented: ENOSYS"),
            Some("mq_open".into())
        );
        assert_eq!(
            missing_syscall("x.c:3: TCONF: syscall(240) __NR_mq_open not supported on your arch"),
            Some("mq_open".into())
        );
        assert_eq!(
            missing_syscall("x.c:9: TBROK: inotify_init1(0) failed: ENOSYS (38)"),
            Some("inotify_init1".into())
        );
        assert_eq!(missing_syscall("x.c:9: TFAIL: read() returned 3"), None);
        assert_eq!(
            cause(Verdict::Fail, "read() returned 3, expected 4", &[]),
            "FAIL: read() returned N expected N"
        );
        assert_eq!(
            cause(
                Verdict::Conf,
                "whatever",
                &["k: syscall 1 (write) is not implemented: ENOSYS".into()]
            ),
            "missing syscall write"
        );
    }

    #[test]
    fn doc_has_the_headline_and_every_test() {
        let tests = [test("a"), test("b")];
        let area = |_: &LtpTest| "x".to_string();
        let mut linux = Results::new();
        linux.insert("a".into(), entry(Verdict::Pass));
        linux.insert("b".into(), entry(Verdict::Pass));
        let mut ferrux = Results::new();
        ferrux.insert("a".into(), entry(Verdict::Pass));
        ferrux.insert(
            "b".into(),
            Entry {
                verdict: Verdict::Fail,
                reason: "x|y".into(),
            },
        );
        let mut causes = BTreeMap::new();
        causes.insert("b".to_string(), "FAIL: x".to_string());
        let doc = render_doc(&DocInput {
            tests: &tests,
            area_of: &area,
            linux: &linux,
            ferrux: &ferrux,
            causes: &causes,
            ltp_version: "LTP test",
            run_note: "",
        });
        assert!(doc.contains("**1 of the 2 tests that pass on Linux pass on Ferrux (50.0 %).**"));
        assert!(doc.contains("| b | x | PASS | FAIL | x\\|y |"));
        assert!(doc.contains("| 1 | FAIL: x | b |"));
        assert!(doc.contains("| x | 2 | 2 | 1 | 1 of 2 |"));
    }
}
