//! One LTP test's result, from what the guest runner printed (`tests/ltp/runner.c`).
//!
//! LTP's exit status is its verdict: 0 pass, 32 TCONF (not applicable here), otherwise the
//! bits 1, 2 and 4 of TFAIL, TBROK and TWARN. The runner adds `signal N`, `timeout` (killed
//! after the per-test limit) and `noexec` (the program could not be started); the host adds
//! `HANG` (the guest stopped making progress: the kernel hung) and `PANIC` (the kernel died
//! during the test). The reason is LTP's own message for the verdict, in a few words.

use std::fmt;
use std::str::FromStr;

/// A test's result on one kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Pass,
    /// TCONF: the test does not apply (a missing feature or configuration).
    Conf,
    Fail,
    Brok,
    Warn,
    /// Killed by a signal the test did not expect (its main process).
    Signal,
    /// Killed by the runner after the per-test limit.
    Timeout,
    /// The guest stopped printing: the kernel hung (the image was restarted after it).
    Hang,
    /// The kernel panicked during the test (the image was restarted after it).
    Panic,
    /// The program could not be started.
    NoExec,
    /// The program was not built on this host.
    NotBuilt,
}

impl Verdict {
    pub const ALL: [Verdict; 11] = [
        Verdict::Pass,
        Verdict::Conf,
        Verdict::Fail,
        Verdict::Brok,
        Verdict::Warn,
        Verdict::Signal,
        Verdict::Timeout,
        Verdict::Hang,
        Verdict::Panic,
        Verdict::NoExec,
        Verdict::NotBuilt,
    ];

    /// From LTP's exit status.
    pub fn from_exit(code: i32) -> Verdict {
        match code {
            0 => Verdict::Pass,
            32 => Verdict::Conf,
            code if code & 2 != 0 => Verdict::Brok,
            code if code & 1 != 0 => Verdict::Fail,
            code if code & 4 != 0 => Verdict::Warn,
            _ => Verdict::Fail,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Conf => "CONF",
            Verdict::Fail => "FAIL",
            Verdict::Brok => "BROK",
            Verdict::Warn => "WARN",
            Verdict::Signal => "SIGNAL",
            Verdict::Timeout => "TIMEOUT",
            Verdict::Hang => "HANG",
            Verdict::Panic => "PANIC",
            Verdict::NoExec => "NOEXEC",
            Verdict::NotBuilt => "NOTBUILT",
        }
    }

    /// LTP's result keyword whose message explains this verdict.
    fn keyword(self) -> Option<&'static str> {
        match self {
            Verdict::Conf => Some("TCONF"),
            Verdict::Fail => Some("TFAIL"),
            Verdict::Brok | Verdict::Signal | Verdict::Timeout => Some("TBROK"),
            Verdict::Warn => Some("TWARN"),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(text: &str) -> Result<Verdict, String> {
        Verdict::ALL
            .into_iter()
            .find(|verdict| verdict.name() == text)
            .ok_or_else(|| format!("unknown LTP verdict {text:?}"))
    }
}

/// The runner's account of how a test ended (`LTP-END` line, after the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exit(i32),
    Signal(i32),
    Timeout,
    NoExec(i32),
}

impl Ending {
    /// Parses `exit 32 ; 123 ms` (and the other forms); returns the ending and milliseconds.
    pub fn parse(text: &str) -> Option<(Ending, u64)> {
        let (what, time) = text.split_once(';')?;
        let milliseconds = time.trim().strip_suffix("ms")?.trim().parse().ok()?;
        let mut words = what.split_whitespace();
        let kind = words.next()?;
        let number = words.next().and_then(|word| word.parse::<i32>().ok());
        let ending = match (kind, number) {
            ("exit", Some(code)) => Ending::Exit(code),
            ("signal", Some(signal)) => Ending::Signal(signal),
            ("noexec", Some(errno)) => Ending::NoExec(errno),
            ("timeout", None) => Ending::Timeout,
            _ => return None,
        };
        Some((ending, milliseconds))
    }

    pub fn verdict(self) -> Verdict {
        match self {
            Ending::Exit(code) => Verdict::from_exit(code),
            Ending::Signal(_) => Verdict::Signal,
            Ending::Timeout => Verdict::Timeout,
            Ending::NoExec(_) => Verdict::NoExec,
        }
    }
}

/// Longest reason kept.
const REASON_CHARS: usize = 100;

/// The reason for `verdict` in a test's output: the message of the first line with LTP's
/// keyword for it (`foo.c:12: TCONF: …` in the new API, `foo01 1 TCONF : foo.c:12: …` in the
/// old one), shortened; or what the runner said.
pub fn reason(verdict: Verdict, ending: Option<Ending>, output: &[String]) -> String {
    let from_output = verdict.keyword().and_then(|keyword| {
        output
            .iter()
            .find_map(|line| message_after(line, keyword))
            .or_else(|| {
                // A FAIL exit may come with TBROK lines only, and the other way round.
                ["TFAIL", "TBROK"]
                    .into_iter()
                    .filter(|other| *other != keyword && verdict != Verdict::Conf)
                    .find_map(|other| output.iter().find_map(|line| message_after(line, other)))
            })
    });
    let text = match (from_output, ending) {
        (Some(text), Some(Ending::Timeout)) => format!("timed out; {text}"),
        (Some(text), _) => text,
        (None, Some(Ending::Timeout)) => "killed after the per-test timeout".to_string(),
        (None, Some(Ending::Signal(signal))) => format!("killed by signal {signal}"),
        (None, Some(Ending::NoExec(errno))) => format!("cannot exec (errno {errno})"),
        (None, Some(Ending::Exit(code))) if verdict != Verdict::Pass => {
            format!("exit status {code}")
        }
        (None, _) => String::new(),
    };
    shorten(&text)
}

fn message_after(line: &str, keyword: &str) -> Option<String> {
    let at = line.find(keyword)?;
    // The keyword as a word: `TCONF:` or `TCONF ` but not inside another word.
    let before = line[..at].chars().last();
    if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let rest = &line[at + keyword.len()..];
    if rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut message = rest.trim_start_matches([' ', ':', '\t']).trim();
    // Old API: `TCONF : file.c:12: message` — drop the location.
    if let Some((location, text)) = message.split_once(": ")
        && location.contains(".c:")
        && !location.contains(' ')
    {
        message = text.trim();
    }
    (!message.is_empty()).then(|| message.to_string())
}

fn shorten(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() || c == '|' { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if clean.chars().count() <= REASON_CHARS {
        return clean.to_string();
    }
    let cut: String = clean.chars().take(REASON_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses() {
        assert_eq!(Verdict::from_exit(0), Verdict::Pass);
        assert_eq!(Verdict::from_exit(32), Verdict::Conf);
        assert_eq!(Verdict::from_exit(1), Verdict::Fail);
        assert_eq!(Verdict::from_exit(3), Verdict::Brok);
        assert_eq!(Verdict::from_exit(33), Verdict::Fail);
        assert_eq!(Verdict::from_exit(4), Verdict::Warn);
        assert_eq!(Verdict::from_exit(127), Verdict::Brok);
        assert_eq!(Verdict::from_exit(8), Verdict::Fail);
        for verdict in Verdict::ALL {
            assert_eq!(verdict.name().parse::<Verdict>(), Ok(verdict));
        }
    }

    #[test]
    fn runner_endings() {
        assert_eq!(
            Ending::parse("exit 32 ; 1204 ms"),
            Some((Ending::Exit(32), 1204))
        );
        assert_eq!(
            Ending::parse("signal 11 ; 5 ms"),
            Some((Ending::Signal(11), 5))
        );
        assert_eq!(
            Ending::parse("timeout ; 300000 ms"),
            Some((Ending::Timeout, 300000))
        );
        assert_eq!(
            Ending::parse("noexec 2 ; 0 ms"),
            Some((Ending::NoExec(2), 0))
        );
        assert_eq!(Ending::parse("exit ; 0 ms"), None);
        assert_eq!(Ending::parse("exit 1"), None);
    }

    #[test]
    fn reasons_from_ltp_output() {
        let output: Vec<String> = [
            "tst_test.c:1890: TINFO: LTP version: 20260529",
            "tst_kconfig.c:88: TINFO: Parsing kernel config '/ltp/kconfig'",
            "mq_open01.c:23: TCONF: syscall(240) __NR_mq_open not supported on your arch",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            reason(Verdict::Conf, Some(Ending::Exit(32)), &output),
            "syscall(240) __NR_mq_open not supported on your arch"
        );
        let old_api =
            vec!["fcntl07     1  TFAIL  :  fcntl07.c:120: close-on-exec not set".to_string()];
        assert_eq!(
            reason(Verdict::Fail, Some(Ending::Exit(1)), &old_api),
            "close-on-exec not set"
        );
        let brok_only = vec!["foo.c:9: TBROK: open(x) failed: ENOENT (2)".to_string()];
        assert_eq!(
            reason(Verdict::Fail, Some(Ending::Exit(1)), &brok_only),
            "open(x) failed: ENOENT (2)"
        );
        assert_eq!(
            reason(Verdict::Timeout, Some(Ending::Timeout), &[]),
            "killed after the per-test timeout"
        );
        assert_eq!(
            reason(Verdict::Fail, Some(Ending::Exit(8)), &[]),
            "exit status 8"
        );
        assert_eq!(reason(Verdict::Pass, Some(Ending::Exit(0)), &output), "");
        let long = vec![format!("x.c:1: TFAIL: {}", "a|b ".repeat(60))];
        let text = reason(Verdict::Fail, None, &long);
        assert!(text.chars().count() <= REASON_CHARS && text.ends_with('…'));
        assert!(!text.contains('|'));
    }
}
