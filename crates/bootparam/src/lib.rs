//! The kernel command line, parsed as Linux's `init/main.c` (`start_kernel`, `unknown_bootoption`,
//! `set_init_arg`, `init_setup`) and `kernel/params.c` (`parse_args`) parse it.
//!
//! [`words`] splits the line as Linux's `next_arg` does (double quotes group words, and are
//! removed around a whole word or a whole value). [`CommandLine::parse`] then takes, in order:
//! - the parameters the kernel understands: `console=` (every one, in order), `rdinit=`, `init=`,
//!   `quiet`, `debug`, `loglevel=`, `panic=`, and Ferrux's `ferrux.trace=`,
//!   `ferrux.test_panic=`, `ferrux.test_lock_bug=`, `ferrux.lockdep_dump=` and `ferrux.ktest=`;
//!   for a repeated one the last valid value wins, and an invalid number keeps the previous
//!   value, as in Linux; `quiet`, `debug` and `loglevel=` all set one console log level, so the
//!   last one counts;
//! - the root file system's (`root=`, `rootfstype=`, `rootflags=`, `ro`, `rw`, `rootwait`,
//!   `rootdelay=`: [`root`]);
//! - Linux parameters that mean nothing here (`nokaslr`, `mitigations=`, …) and every parameter
//!   whose name contains a dot (a module parameter): dropped;
//! - any other word: a `name=value` word becomes an environment variable of init (replacing an
//!   earlier one with the same name, including the defaults `HOME=/` and `TERM=linux`), a bare
//!   word an argument of init. As in Linux, `init=` and `rdinit=` drop the init arguments
//!   collected before them;
//! - everything after a bare `--`: arguments of init, whatever they look like.
//!
//! Not done: Linux's limit of 32 init arguments and environment variables (Linux panics "Too many
//! boot init vars"), `-`/`_` equivalence in parameter names, and bootconfig.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod number;
pub mod root;
mod words;

use alloc::string::String;
use alloc::vec::Vec;

pub use root::{RootDevice, RootParams};
pub use words::{Word, Words, words};

/// Linux's `CONSOLE_LOGLEVEL_DEFAULT`: messages with a level below 7 (info and more urgent).
pub const CONSOLE_LOGLEVEL_DEFAULT: i32 = 7;
/// Linux's `CONSOLE_LOGLEVEL_QUIET` (`quiet`): errors and more urgent.
pub const CONSOLE_LOGLEVEL_QUIET: i32 = 4;
/// Linux's `CONSOLE_LOGLEVEL_DEBUG` (`debug`): everything.
pub const CONSOLE_LOGLEVEL_DEBUG: i32 = 10;

/// The environment Linux gives init before the command line adds to it (`envp_init`).
const DEFAULT_INIT_ENV: [&str; 2] = ["HOME=/", "TERM=linux"];

/// What the kernel takes from its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// `rdinit=`: the program run from the initramfs (default `/init`).
    pub rdinit: Option<String>,
    /// `init=`: the program run from the root filesystem.
    pub init: Option<String>,
    /// `console=` values, in order.
    pub consoles: Vec<String>,
    /// Linux's `console_loglevel`: messages with a level below it reach the console. Set by
    /// `quiet` (4), `debug` (10) and `loglevel=N`, the last one winning; 7 by default.
    pub console_loglevel: i32,
    /// `panic=N`: seconds before rebooting after a panic; 0 waits forever; negative reboots at once.
    pub panic_timeout: i64,
    /// `ferrux.trace=1`: strace-style syscall tracing.
    pub is_tracing: bool,
    /// `ferrux.test_panic=1`: panic at boot, to test the panic report (a hidden test option).
    pub is_test_panic: bool,
    /// `ferrux.ktest=1`: run the in-kernel tests instead of init, then power off.
    pub is_ktest: bool,
    /// `ferrux.test_lock_bug=order|sleep`: commit a locking bug at boot (two locks taken in
    /// both orders, or a sleeping lock under a spin lock), to test that the checkers catch it.
    pub test_lock_bug: Option<String>,
    /// `ferrux.lockdep_dump=1`: print every lock order the checker saw when init exits (lockdep
    /// builds), to check docs/locking.md against.
    pub is_lockdep_dump: bool,
    /// `maxcpus=N` (CPUs started at boot, the boot CPU included; 0 and `nosmp` start none
    /// besides it), as Linux's `setup_max_cpus`; `None`: every present CPU.
    pub max_cpus: Option<usize>,
    /// `nr_cpus=N`: at most N possible CPUs (Linux's `nr_cpu_ids`).
    pub nr_cpus: Option<usize>,
    /// Extra arguments for init (after its name).
    pub init_args: Vec<String>,
    /// Init's whole environment: `HOME=/`, `TERM=linux`, then unknown `name=value` words.
    pub init_env: Vec<String>,
    /// `root=`, `rootfstype=`, `rootflags=`, `ro`/`rw`, `rootwait`, `rootdelay=`.
    pub root: RootParams,
}

impl Default for CommandLine {
    fn default() -> CommandLine {
        CommandLine {
            rdinit: None,
            init: None,
            consoles: Vec::new(),
            console_loglevel: CONSOLE_LOGLEVEL_DEFAULT,
            panic_timeout: 0,
            is_tracing: false,
            is_test_panic: false,
            is_ktest: false,
            test_lock_bug: None,
            is_lockdep_dump: false,
            max_cpus: None,
            nr_cpus: None,
            init_args: Vec::new(),
            init_env: DEFAULT_INIT_ENV.iter().map(|&var| var.into()).collect(),
            root: RootParams::default(),
        }
    }
}

/// Linux parameters the kernel consumes silently (meaningless or implicit here), and module
/// parameters (a dot in the name), which Linux drops when no module claims them.
fn is_ignored_parameter(param: &str) -> bool {
    matches!(
        param,
        "earlyprintk"
            | "nokaslr"
            | "noapic"
            | "acpi"
            | "mitigations"
            | "mem"
            | "reboot"
            | "tsc"
            | "clocksource"
            | "ignore_loglevel"
    ) || param.contains('.')
}

impl CommandLine {
    /// Parses a command line; never fails (unknown words go to init, as in Linux).
    pub fn parse(line: &str) -> CommandLine {
        let mut parsed = CommandLine::default();
        let mut words = words(line);
        for word in words.by_ref() {
            if word.value.is_none() && word.param == "--" {
                break;
            }
            parsed.take(word);
        }
        parsed.init_args.extend(words.map(|word| word.joined()));
        parsed
    }

    /// One word before `--`.
    fn take(&mut self, word: Word) {
        match (word.param.as_str(), word.value.as_deref()) {
            ("rdinit", Some(value)) => {
                self.rdinit = Some(value.into());
                // init_setup/rdinit_setup: "ignore all arguments entered before init=".
                self.init_args.clear();
            }
            ("init", Some(value)) => {
                self.init = Some(value.into());
                self.init_args.clear();
            }
            ("console", Some(value)) => self.consoles.push(value.into()),
            // Early parameters: consumed whether or not they have a value.
            ("quiet", _) => self.console_loglevel = CONSOLE_LOGLEVEL_QUIET,
            ("debug", _) => self.console_loglevel = CONSOLE_LOGLEVEL_DEBUG,
            ("loglevel", value) => {
                if let Some(level) = value.and_then(number::get_option) {
                    self.console_loglevel = level;
                }
            }
            // A core_param: an invalid or missing value is reported by Linux and ignored.
            ("panic", value) => {
                if let Some(seconds) = value.and_then(number::kstrtoint) {
                    self.panic_timeout = i64::from(seconds);
                }
            }
            // Linux's `nosmp` and `maxcpus=` (early parameters of kernel/cpu.c): an invalid
            // number is ignored.
            ("nosmp", _) => self.max_cpus = Some(0),
            ("maxcpus", value) => {
                if let Some(count) = value.and_then(number::get_option)
                    && let Ok(count) = usize::try_from(count)
                {
                    self.max_cpus = Some(count);
                }
            }
            ("nr_cpus", value) => {
                if let Some(count) = value.and_then(number::get_option)
                    && let Ok(count) = usize::try_from(count)
                    && count > 0
                {
                    self.nr_cpus = Some(count);
                }
            }
            ("ferrux.trace", value) => {
                if let Some(is_on) = value.and_then(number::kstrtobool) {
                    self.is_tracing = is_on;
                }
            }
            ("ferrux.test_panic", value) => {
                if let Some(is_on) = value.and_then(number::kstrtobool) {
                    self.is_test_panic = is_on;
                }
            }
            ("ferrux.ktest", value) => {
                if let Some(is_on) = value.and_then(number::kstrtobool) {
                    self.is_ktest = is_on;
                }
            }
            ("ferrux.test_lock_bug", Some(value)) => self.test_lock_bug = Some(value.into()),
            ("ferrux.lockdep_dump", value) => {
                if let Some(is_on) = value.and_then(number::kstrtobool) {
                    self.is_lockdep_dump = is_on;
                }
            }
            (param, value) if self.root.take(param, value) => {}
            (param, _) if is_ignored_parameter(param) => {}
            (param, Some(_)) => {
                let var = word.joined();
                // unknown_bootoption: a variable of the same name is replaced in place.
                let prefix_len = param.len() + 1;
                match self.init_env.iter_mut().find(|old| {
                    old.as_bytes().get(..prefix_len) == var.as_bytes().get(..prefix_len)
                }) {
                    Some(old) => *old = var,
                    None => self.init_env.push(var),
                }
            }
            (_, None) => self.init_args.push(word.param),
        }
    }

    /// The `log` filter for the console: a record is printed when its Linux level is below
    /// [`Self::console_loglevel`]. Ferrux logs errors as `KERN_ERR` (3), warnings as
    /// `KERN_WARNING` (4), info as `KERN_INFO` (6), debug as `KERN_DEBUG` (7) and trace as 8.
    pub fn log_filter(&self) -> log::LevelFilter {
        match self.console_loglevel {
            i32::MIN..=3 => log::LevelFilter::Off,
            4 => log::LevelFilter::Error,
            5..=6 => log::LevelFilter::Warn,
            7 => log::LevelFilter::Info,
            8 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        }
    }
}

#[cfg(test)]
mod tests;
