//! Running host programs with useful errors: every failure names the command line and its
//! exit status. Also: whether we run as root (from /proc/self/status, no libc needed), and
//! a polite way to stop a child (SIGTERM through kill(1), then SIGKILL).

use std::process::{Child, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// `program arg…` for messages.
pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        text.push(' ');
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
            text.push('\'');
            text.push_str(&arg.replace('\'', r"'\''"));
            text.push('\'');
        } else {
            text.push_str(&arg);
        }
    }
    text
}

/// Runs `command` with inherited stdio; fails unless it exits 0.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start `{}`", describe(command)))?;
    check_status(command, status)
}

fn check_status(command: &Command, status: ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        bail!("`{}` failed ({status})", describe(command))
    }
}

/// Whether this process's effective user id is 0.
pub fn is_root() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0")
}

/// Asks `child` to stop with SIGTERM (QEMU then restores the terminal), and kills it if it is
/// still there after `grace`. Returns its exit status.
pub fn terminate(child: &mut Child, grace: Duration) -> Result<ExitStatus> {
    // kill(1) instead of libc::kill: the xtask has no unsafe code.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().context("cannot wait for child")? {
            return Ok(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.kill().context("cannot kill child")?;
    child.wait().context("cannot wait for killed child")
}
