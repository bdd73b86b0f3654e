//! Booting a kernel in QEMU and reading what happened.
//!
//! Every boot uses the same machine, for Ferrux and Linux alike (DESIGN.md, "Boot-time
//! interface"): `qemu-system-x86_64 -accel tcg -cpu max -m 1G -nographic -no-reboot -kernel ELF
//! -initrd CPIO -append "…" -device isa-debug-exit,iobase=0xf4,iosize=0x04`, the serial console
//! on stdio. Only the memory size may change ([`GuestMemory`]: the memory-pressure suite boots
//! 512 MiB and 1 GiB guests). [`boot`] copies the console to a log file as it arrives (and to our stdout for
//! [`Console::Interactive`]), enforces a timeout, and returns a [`BootOutcome`].
//!
//! How a boot ends: when init exits, Linux (and Ferrux) print `Kernel panic - not syncing:
//! Attempted to kill init! exitcode=0x…` and, with `panic=-1`, reboot at once, which ends QEMU
//! (`-no-reboot`) with status 0; [`InitExit`] decodes that line. A write of V to the
//! isa-debug-exit port ends QEMU with status `(V << 1) | 1`; Ferrux writes 1 when it panics on a
//! kernel bug, so status 3 means the kernel crashed.

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::paths;
use crate::process;

/// vCPUs of every boot (`--smp N`: QEMU's `-smp N`), 1 unless set.
static SMP: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Sets the vCPU count of every boot of this run (`--smp`).
pub fn set_smp(cpus: u32) {
    let _ = SMP.set(cpus);
}

/// The vCPU count of every boot of this run.
pub fn smp() -> u32 {
    SMP.get().copied().unwrap_or(1)
}

/// QEMU's exit status when Ferrux reports a kernel bug (it writes 1 to isa-debug-exit).
pub const KERNEL_BUG_STATUS: i32 = 3;

/// The guest's RAM (`-m`), in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GuestMemory {
    pub mib: u32,
}

impl GuestMemory {
    /// The machine of DESIGN.md: 1 GiB.
    pub const DEFAULT: GuestMemory = GuestMemory { mib: 1024 };

    /// Parses `512M`, `1G`, `1.5G` or a plain number of MiB; at least 64 MiB.
    pub fn parse(text: &str) -> Result<GuestMemory> {
        let trimmed = text.trim();
        let (number, scale) = match trimmed.char_indices().last() {
            Some((index, 'G' | 'g')) => (&trimmed[..index], 1024.0),
            Some((index, 'M' | 'm')) => (&trimmed[..index], 1.0),
            _ => (trimmed, 1.0),
        };
        let mib = number
            .parse::<f64>()
            .ok()
            .map(|value| value * scale)
            .filter(|mib| mib.is_finite() && mib.fract() == 0.0 && (64.0..=65536.0).contains(mib))
            .with_context(|| {
                format!("memory size: want e.g. 512M or 1G (64M to 64G), got {text:?}")
            })?;
        // Checked to be a whole number in 64..=65536 just above.
        Ok(GuestMemory { mib: mib as u32 })
    }

    /// QEMU's `-m` argument: `1G`, `512M`.
    pub fn qemu_arg(self) -> String {
        if self.mib.is_multiple_of(1024) {
            format!("{}G", self.mib / 1024)
        } else {
            format!("{}M", self.mib)
        }
    }
}

impl fmt::Display for GuestMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mib.is_multiple_of(1024) {
            write!(f, "{} GiB", self.mib / 1024)
        } else {
            write!(f, "{} MiB", self.mib)
        }
    }
}

/// What to boot.
#[derive(Debug, Clone)]
pub struct BootConfig {
    pub kernel: PathBuf,
    /// The initramfs (`-initrd`); empty for none.
    pub initrd: PathBuf,
    /// The kernel command line (`-append`).
    pub cmdline: String,
    /// The guest's RAM (`-m`).
    pub memory: GuestMemory,
    /// Raw disk images, each attached as `-drive file=IMG,if=virtio,format=raw` (`vda`, `vdb`…).
    pub disks: Vec<crate::disks::DiskImage>,
    /// Adds `-s -S`: a gdb server on :1234, CPU stopped until gdb continues it.
    pub waits_for_gdb: bool,
    /// Adds `-icount shift=0,sleep=off`: the guest clock advances one nanosecond per executed
    /// instruction and never waits for the host, so guest timings are instruction counts,
    /// independent of the host's load.
    pub counts_instructions: bool,
    /// A virtio network card on a QEMU network: the `-netdev` value (`user,id=n0,…`, whose
    /// id must be `n0`), with `-device virtio-net-pci,netdev=n0`.
    pub network: Option<String>,
    /// vCPUs of this boot when it needs its own count (the SMP stress boots four); `None`
    /// takes the run's `--smp`.
    pub cpus: Option<u32>,
}

impl BootConfig {
    /// The QEMU command line for this boot.
    pub fn qemu_command(&self) -> Command {
        let mut command = Command::new("qemu-system-x86_64");
        command
            .args(["-accel", "tcg", "-cpu", "max", "-m"])
            .arg(self.memory.qemu_arg())
            .args(["-nographic", "-no-reboot"])
            .arg("-kernel")
            .arg(&self.kernel);
        if !self.initrd.as_os_str().is_empty() {
            command.arg("-initrd").arg(&self.initrd);
        }
        command
            .arg("-append")
            .arg(&self.cmdline)
            .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        let cpus = self.cpus.unwrap_or_else(smp);
        if cpus > 1 {
            command.arg("-smp").arg(cpus.to_string());
        }
        for disk in &self.disks {
            let mut drive = std::ffi::OsString::from("file=");
            drive.push(&disk.path);
            drive.push(",if=virtio,format=raw");
            if disk.is_read_only {
                drive.push(",readonly=on");
            }
            command.arg("-drive").arg(drive);
        }
        if let Some(network) = &self.network {
            command
                .arg("-netdev")
                .arg(network)
                .args(["-device", "virtio-net-pci,netdev=n0"]);
        }
        if self.counts_instructions {
            command.args(["-icount", "shift=0,sleep=off"]);
        }
        if self.waits_for_gdb {
            command.args(["-s", "-S"]);
        }
        command
    }
}

/// Where the serial console goes besides the log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// Streamed to our stdout as it comes; our stdin (and QEMU's stderr) are QEMU's.
    Interactive,
    /// Only captured: stdin is empty, QEMU's stderr is captured too.
    Captured,
}

/// The result of one boot.
#[derive(Debug)]
pub struct BootOutcome {
    /// Everything the serial console printed (then QEMU's own stderr, when captured).
    pub log: String,
    pub qemu_status: ExitStatus,
    pub is_timed_out: bool,
    pub elapsed: Duration,
    /// For each marker given to [`boot_marked`], when the console first showed it, counted
    /// from QEMU's start (host wall clock).
    pub marker_elapsed: Vec<Option<Duration>>,
}

impl BootOutcome {
    /// How init ended, if the kernel reported it.
    pub fn init_exit(&self) -> Option<InitExit> {
        InitExit::find_in(&self.log)
    }

    /// Whether QEMU ended through Ferrux's kernel-bug exit.
    pub fn is_kernel_bug(&self) -> bool {
        self.qemu_status.code() == Some(KERNEL_BUG_STATUS)
    }

    /// One line on how the boot ended.
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        if self.is_timed_out {
            return format!("timed out after {seconds:.1} s, QEMU killed");
        }
        let ending = match self.init_exit() {
            Some(exit) => format!("{exit}"),
            None if self.is_kernel_bug() => "the kernel reported a bug (panic)".to_string(),
            None if self.qemu_status.success() => "the guest powered off".to_string(),
            None => "init's end was not reported".to_string(),
        };
        format!("{ending}; QEMU {} after {seconds:.1} s", self.qemu_status)
    }
}

/// Init's wait status, as printed by `Attempted to kill init! exitcode=0x%08x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitExit {
    pub wait_status: u32,
}

impl InitExit {
    const MARKER: &str = "Attempted to kill init! exitcode=0x";

    /// The last report in `log`.
    pub fn find_in(log: &str) -> Option<InitExit> {
        let start = log.rfind(Self::MARKER)? + Self::MARKER.len();
        let digits: String = log[start..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        let wait_status = u32::from_str_radix(&digits, 16).ok()?;
        Some(InitExit { wait_status })
    }

    /// The signal that killed init, if any.
    pub fn signal(self) -> Option<u32> {
        match self.wait_status & 0x7f {
            0 => None,
            signal => Some(signal),
        }
    }

    /// The status a shell would report: the exit code, or 128 + the signal number.
    pub fn shell_status(self) -> u8 {
        match self.signal() {
            // Signals are below 128, so this fits.
            Some(signal) => 128 + signal as u8,
            None => ((self.wait_status >> 8) & 0xff) as u8,
        }
    }
}

impl fmt::Display for InitExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.signal() {
            Some(signal) => write!(f, "init was killed by signal {signal}"),
            None => write!(f, "init exited with status {}", self.shell_status()),
        }
    }
}

/// Boots `config`, logging the console to `log_path`, killing QEMU after `timeout`.
pub fn boot(
    config: &BootConfig,
    console: Console,
    log_path: &Path,
    timeout: Option<Duration>,
) -> Result<BootOutcome> {
    boot_marked(config, console, log_path, timeout, &[])
}

/// [`boot`], also noting when each of `markers` first appears on the console
/// ([`BootOutcome::marker_elapsed`]). Empty markers are never seen.
pub fn boot_marked(
    config: &BootConfig,
    console: Console,
    log_path: &Path,
    timeout: Option<Duration>,
    markers: &[&'static str],
) -> Result<BootOutcome> {
    if let Some(parent) = log_path.parent() {
        paths::ensure_dir(parent)?;
    }
    let log_file =
        File::create(log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut command = config.qemu_command();
    command.stdout(Stdio::piped());
    match console {
        Console::Interactive => command.stdin(Stdio::inherit()).stderr(Stdio::inherit()),
        Console::Captured => command.stdin(Stdio::null()).stderr(Stdio::piped()),
    };
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start `{}`", process::describe(&command)))?;

    let stdout = child.stdout.take().expect("stdout is piped");
    let is_echoed = console == Console::Interactive;
    let markers = markers.to_vec();
    let console_reader =
        thread::spawn(move || copy_console(stdout, log_file, is_echoed, &markers, started));
    let stderr_reader = child.stderr.take().map(|mut stderr| {
        thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            text
        })
    });

    let (qemu_status, is_timed_out) = wait_with_timeout(&mut child, timeout)?;
    let (console_bytes, marker_elapsed) = console_reader
        .join()
        .expect("console reader does not panic")
        .with_context(|| format!("cannot log the console to {}", log_path.display()))?;
    let mut log = String::from_utf8_lossy(&console_bytes).into_owned();
    if let Some(reader) = stderr_reader {
        let stderr = reader.join().expect("stderr reader does not panic");
        if !stderr.is_empty() {
            let stderr = String::from_utf8_lossy(&stderr);
            let tail = format!("\n[xtask: QEMU's stderr]\n{stderr}");
            log.push_str(&tail);
            append_to_file(log_path, &tail)?;
        }
    }
    Ok(BootOutcome {
        log,
        qemu_status,
        is_timed_out,
        elapsed: started.elapsed(),
        marker_elapsed,
    })
}

/// Copies the console to the log (and stdout) as it arrives; returns all of it, and when
/// each of `markers` first arrived (since `started`).
fn copy_console(
    mut console: impl Read,
    mut log_file: File,
    is_echoed: bool,
    markers: &[&str],
    started: Instant,
) -> std::io::Result<(Vec<u8>, Vec<Option<Duration>>)> {
    let mut everything = Vec::new();
    let mut marker_elapsed = vec![None; markers.len()];
    let mut chunk = [0u8; 4096];
    let mut stdout = std::io::stdout();
    loop {
        let count = match console.read(&mut chunk) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let bytes = &chunk[..count];
        let searched_from = everything.len();
        everything.extend_from_slice(bytes);
        for (marker, seen) in markers.iter().zip(&mut marker_elapsed) {
            if marker.is_empty() || seen.is_some() {
                continue;
            }
            // A marker may straddle two reads.
            let from = searched_from.saturating_sub(marker.len());
            if everything[from..]
                .windows(marker.len())
                .any(|window| window == marker.as_bytes())
            {
                *seen = Some(started.elapsed());
            }
        }
        log_file.write_all(bytes)?;
        if is_echoed {
            // A closed stdout (a pager that quit) must not stop the log.
            let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
        }
    }
    Ok((everything, marker_elapsed))
}

fn wait_with_timeout(child: &mut Child, timeout: Option<Duration>) -> Result<(ExitStatus, bool)> {
    let Some(timeout) = timeout else {
        return Ok((child.wait().context("cannot wait for QEMU")?, false));
    };
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for QEMU")? {
            return Ok((status, false));
        }
        if Instant::now() >= deadline {
            let status = process::terminate(child, Duration::from_secs(2))?;
            return Ok((status, true));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn append_to_file(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The kernel's panic message in a boot's log lines (from `Kernel panic` on), unless it is the
/// panic that follows init's exit (`Attempted to kill init!`), which is how every boot ends.
pub fn kernel_panic(lines: &[&str]) -> Option<String> {
    lines
        .iter()
        .find(|line| {
            line.contains("Kernel panic - not syncing:")
                && !line.contains("Attempted to kill init!")
        })
        .map(|line| line[line.find("Kernel panic").unwrap_or(0)..].to_string())
}

#[cfg(test)]
mod tests {

    #[test]
    fn kernel_panic_skips_the_end_of_init() {
        let lines = [
            "[    1.9] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000",
            "[    2.0] ok",
        ];
        assert_eq!(kernel_panic(&lines), None);
        let lines = [
            "x",
            "[    0.4] Kernel panic - not syncing: oops at f+0x10/0x20",
        ];
        assert_eq!(
            kernel_panic(&lines).as_deref(),
            Some("Kernel panic - not syncing: oops at f+0x10/0x20")
        );
    }

    use super::*;

    #[test]
    fn decodes_init_exit_codes() {
        let log =
            "[    1.9] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000700\r\n";
        let exit = InitExit::find_in(log).unwrap();
        assert_eq!(exit.signal(), None);
        assert_eq!(exit.shell_status(), 7);

        let segv = InitExit::find_in("Attempted to kill init! exitcode=0x0000000b").unwrap();
        assert_eq!(segv.signal(), Some(11));
        assert_eq!(segv.shell_status(), 139);
        assert_eq!(segv.to_string(), "init was killed by signal 11");

        // With the core-dump bit (0x80).
        let core = InitExit::find_in("Attempted to kill init! exitcode=0x00000086").unwrap();
        assert_eq!(core.shell_status(), 134);

        assert_eq!(InitExit::find_in("no panic here"), None);
    }

    #[test]
    fn qemu_command_has_the_shared_machine() {
        let config = BootConfig {
            kernel: "k".into(),
            initrd: "i".into(),
            cmdline: "console=ttyS0".into(),
            memory: GuestMemory::DEFAULT,
            waits_for_gdb: true,
            counts_instructions: false,
            cpus: None,
            network: None,
            disks: Vec::new(),
        };
        let text = process::describe(&config.qemu_command());
        assert_eq!(
            text,
            "qemu-system-x86_64 -accel tcg -cpu max -m 1G -nographic -no-reboot -kernel k \
             -initrd i -append console=ttyS0 -device isa-debug-exit,iobase=0xf4,iosize=0x04 -s -S"
        );
    }

    #[test]
    fn guest_memory_sizes() {
        let parse = |text| GuestMemory::parse(text).map(|memory| memory.mib).ok();
        assert_eq!(parse("512M"), Some(512));
        assert_eq!(parse("1G"), Some(1024));
        assert_eq!(parse("1.5g"), Some(1536));
        assert_eq!(parse("768"), Some(768));
        assert_eq!(parse("32M"), None);
        assert_eq!(parse("1.3M"), None);
        assert_eq!(parse("lots"), None);
        assert_eq!(GuestMemory { mib: 512 }.qemu_arg(), "512M");
        assert_eq!(GuestMemory::DEFAULT.qemu_arg(), "1G");
        assert_eq!(GuestMemory { mib: 1536 }.to_string(), "1536 MiB");
    }
}
