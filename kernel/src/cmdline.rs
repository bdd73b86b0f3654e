//! The kernel command line, parsed as Linux's `init/main.c` does.
//!
//! Words are separated by spaces (double quotes group, as in `init="/bin/sh -x"`). Known kernel
//! parameters are taken; everything after `--` goes to init's argv; of the remaining words,
//! `key=value` ones (with no dot in the key: dotted keys are module parameters) go to init's
//! environment and bare words to init's argv, like Linux's `unknown_bootoption`.

use alloc::string::String;
use alloc::vec::Vec;

/// What the kernel takes from its command line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// `rdinit=`: the program run from the initramfs (default `/init`).
    pub rdinit: Option<String>,
    /// `init=`: the program run from the root filesystem.
    pub init: Option<String>,
    /// `console=` values, in order.
    pub consoles: Vec<String>,
    /// `quiet`: only warnings and worse reach the console.
    pub is_quiet: bool,
    /// `loglevel=N` (Linux's console log level: messages with level < N are printed).
    pub loglevel: Option<u8>,
    /// `panic=N`: seconds before rebooting after a panic; 0 waits forever; negative reboots at once.
    pub panic_timeout: i64,
    /// `ferrux.trace=1`: strace-style syscall tracing.
    pub is_tracing: bool,
    /// Extra arguments for init (after its name).
    pub init_args: Vec<String>,
    /// Environment for init, after `HOME=/` and `TERM=linux`.
    pub init_env: Vec<String>,
}

fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut has_word = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                in_quotes = !in_quotes;
                has_word = true;
            }
            ' ' | '\t' | '\n' if !in_quotes => {
                if has_word {
                    words.push(core::mem::take(&mut current));
                    has_word = false;
                }
            }
            _ => {
                current.push(ch);
                has_word = true;
            }
        }
    }
    if has_word {
        words.push(current);
    }
    words
}

/// Parameters the kernel consumes silently (they are Linux's, and meaningless or implicit here).
fn is_known_parameter(key: &str) -> bool {
    matches!(
        key,
        "root"
            | "rootfstype"
            | "ro"
            | "rw"
            | "earlyprintk"
            | "nokaslr"
            | "noapic"
            | "acpi"
            | "mitigations"
            | "nosmp"
            | "maxcpus"
            | "mem"
            | "rootwait"
            | "reboot"
            | "tsc"
            | "clocksource"
            | "ignore_loglevel"
    ) || key.contains('.')
}

impl CommandLine {
    /// Parses a command line; never fails (unknown words go to init, as in Linux).
    pub fn parse(line: &str) -> CommandLine {
        let mut parsed = CommandLine::default();
        let mut words = split_words(line).into_iter();
        for word in words.by_ref() {
            if word == "--" {
                break;
            }
            let (key, value) = match word.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (word.as_str(), None),
            };
            match (key, value) {
                ("rdinit", Some(value)) => parsed.rdinit = Some(value.into()),
                ("init", Some(value)) => parsed.init = Some(value.into()),
                ("console", Some(value)) => parsed.consoles.push(value.into()),
                ("quiet", None) => parsed.is_quiet = true,
                ("debug", None) => parsed.loglevel = Some(10),
                ("loglevel", Some(value)) => parsed.loglevel = value.parse().ok(),
                ("panic", Some(value)) => parsed.panic_timeout = value.parse().unwrap_or(0),
                ("ferrux.trace", Some(value)) => parsed.is_tracing = value == "1",
                _ if is_known_parameter(key) => {}
                (_, Some(_)) => parsed.init_env.push(word.clone()),
                (_, None) => parsed.init_args.push(word.clone()),
            }
        }
        parsed.init_args.extend(words);
        parsed
    }

    /// The `log` filter for the console given `quiet` and `loglevel=`.
    pub fn log_filter(&self) -> log::LevelFilter {
        // Linux levels: 0 emerg .. 3 err, 4 warning, 5 notice, 6 info, 7 debug; the default
        // console level 7 prints info; `quiet` sets 4 (warnings and worse).
        let level = self.loglevel.unwrap_or(if self.is_quiet { 4 } else { 7 });
        match level {
            0..=3 => log::LevelFilter::Error,
            4..=5 => log::LevelFilter::Warn,
            6..=7 => log::LevelFilter::Info,
            8 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        }
    }
}
