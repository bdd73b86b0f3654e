//! The crash-consistency check (`cargo xtask test`, Ferrux only; `--only crash`): QEMU killed
//! with SIGKILL at a random moment of a write-and-fsync workload on an ext4 root disk, then the
//! disk booted again and checked.
//!
//! Each round makes a small root image ([`crate::rootdisk`], with `/crash.sh`,
//! [`CRASH_SCRIPT`]), boots Ferrux on it (`root=/dev/vda rw init=… /crash.sh work SEED`) and,
//! once the workload says it started, kills QEMU after a delay drawn from the round's seed. The
//! workload writes files with `dd … conv=fsync`, appends to earlier ones, deletes some and
//! churns directories; before touching a file it prints `begin NAME`, and after its fsync
//! returned `synced NAME SHA256`. A second boot on the same image (`/crash.sh verify`) has the
//! kernel mount it, which replays the journal, prints `have NAME SHA256` for every file and
//! powers off. Then every file whose last word in the first log is `synced` must be there
//! with that digest, and the host's `e2fsck -fn` must find the file system clean.
//!
//! Rounds run two at a time; the seed is printed, and `--stress-seed` sets it (the same
//! option as the syscall stress's), so a failing round can be replayed.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cmdline::KernelCommandLine;
use crate::paths;
use crate::qemu::{self, BootConfig, Console, GuestMemory};
use crate::report::{Runner, TestResult};
use crate::rootdisk::{self, RootImage};

/// How many times QEMU is killed.
pub const ROUNDS: usize = 20;
/// The kill comes this long (at most) after the workload started.
const MAX_DELAY: Duration = Duration::from_millis(5000);
/// Bound for one boot (the workload boot is killed long before).
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
/// The `--only` entry that runs just this check.
pub const ONLY_ENTRY: &str = "crash";
/// The report's group.
pub const GROUP: &str = "crash consistency";

/// The workload and the check after it, run by init (`busybox sh /crash.sh work|verify SEED`).
pub const CRASH_SCRIPT: &str = r#"bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
sha() { $bb sha256sum < "$1" | $bb cut -c1-64; }
if [ "$1" = verify ]; then
	cd /work && for f in *; do [ -f "$f" ] && echo "have $f $(sha "$f")"; done
	echo "verify: done"
	$bb poweroff -f
fi
seed=${2:-1}
$bb mkdir -p /work
echo "crash-workload: start"
i=0
while :; do
	i=$((i + 1))
	n=$(( (i * 7919 + seed) % 13 + 1 ))
	echo "begin f$i"
	$bb dd if=/dev/urandom of=/work/f$i bs=4096 count=$n conv=fsync 2>/dev/null
	echo "synced f$i $(sha /work/f$i)"
	if [ $((i % 3)) = 0 ]; then
		j=$((i - 2))
		echo "begin f$j"
		$bb dd if=/dev/urandom bs=1000 count=3 2>/dev/null >> /work/f$j
		$bb sync -d /work/f$j 2>/dev/null || $bb sync
		echo "synced f$j $(sha /work/f$j)"
	fi
	if [ $((i % 5)) = 0 ]; then
		$bb mkdir -p /work/dir$i/sub
		$bb cp /work/f$((i - 1)) /work/dir$i/sub/copy
		$bb rm -rf /work/dir$((i - 5))
	fi
	if [ $((i % 4)) = 0 ]; then
		k=$((i - 3))
		echo "begin f$k"
		$bb rm /work/f$k
	fi
done
"#;

/// xorshift64*, from the round's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// What the workload's log says must be on the disk: each file whose last event is `synced`,
/// with its digest.
fn durable_files(log: &str) -> BTreeMap<String, String> {
    let mut state: BTreeMap<String, Option<String>> = BTreeMap::new();
    for line in log.lines().map(str::trim_end) {
        if let Some(name) = line.strip_prefix("begin ") {
            state.insert(name.to_string(), None);
        } else if let Some(rest) = line.strip_prefix("synced ") {
            let mut words = rest.split(' ');
            if let (Some(name), Some(sha), None) = (words.next(), words.next(), words.next())
                && sha.len() == 64
                && sha.bytes().all(|b| b.is_ascii_hexdigit())
            {
                state.insert(name.to_string(), Some(sha.to_string()));
            }
        }
    }
    state
        .into_iter()
        .filter_map(|(name, sha)| Some((name, sha?)))
        .collect()
}

/// The files the verify boot found.
fn found_files(log: &str) -> BTreeMap<String, String> {
    log.lines()
        .filter_map(|line| {
            let rest = line.trim_end().strip_prefix("have ")?;
            let (name, sha) = rest.split_once(' ')?;
            Some((name.to_string(), sha.to_string()))
        })
        .collect()
}

fn config(kernel: &Path, image: &Path, init_args: &[&str]) -> Result<BootConfig> {
    let mut cmdline = KernelCommandLine::new();
    cmdline.push("root=/dev/vda rw");
    let mut argv = vec![
        "/bin/busybox".to_string(),
        "sh".to_string(),
        "/crash.sh".to_string(),
    ];
    argv.extend(init_args.iter().map(|arg| arg.to_string()));
    cmdline.set_init_as("init", &argv)?;
    Ok(BootConfig {
        kernel: kernel.to_path_buf(),
        initrd: PathBuf::new(),
        cmdline: cmdline.render(),
        memory: GuestMemory::DEFAULT,
        waits_for_gdb: false,
        counts_instructions: false,
        cpus: None,
        network: None,
        disks: vec![crate::disks::DiskImage {
            path: image.to_path_buf(),
            is_read_only: false,
        }],
    })
}

/// Boots `config`, and SIGKILLs QEMU `delay` after the console shows `marker` (or at
/// `BOOT_TIMEOUT`); returns the console and whether the marker came.
fn boot_and_kill(config: &BootConfig, log_path: &Path, delay: Duration) -> Result<(String, bool)> {
    let mut command = config.qemu_command();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().context("cannot start QEMU")?;
    let mut stdout = child.stdout.take().context("QEMU's stdout")?;
    let console = std::sync::Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let console = console.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(count) = stdout.read(&mut chunk) {
                if count == 0 {
                    break;
                }
                if let Ok(mut all) = console.lock() {
                    all.extend_from_slice(&chunk[..count]);
                }
            }
        })
    };
    let started = Instant::now();
    let mut kill_at: Option<Instant> = None;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        let now = Instant::now();
        if kill_at.is_none()
            && console.lock().is_ok_and(|all| {
                all.windows(b"crash-workload: start".len())
                    .any(|window| window == b"crash-workload: start")
            })
        {
            kill_at = Some(now + delay);
        }
        if kill_at.is_some_and(|at| now >= at) || now.duration_since(started) > BOOT_TIMEOUT {
            // SIGKILL: no chance for QEMU to write anything more to the image.
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let _ = reader.join();
    let log = console
        .lock()
        .map(|all| String::from_utf8_lossy(&all).into_owned())
        .unwrap_or_default();
    std::fs::write(log_path, &log)?;
    Ok((log, kill_at.is_some()))
}

/// One round: `Err(reason)` when something is wrong.
fn round(kernel: &Path, index: usize, seed: u64) -> Result<(), String> {
    let fail = |error: anyhow::Error| format!("{error:#}");
    let mut rng = Rng(seed ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let delay = Duration::from_millis(rng.next() % MAX_DELAY.as_millis() as u64);
    let name = format!("crash-{index}");
    let image = rootdisk::root_image(&name, RootImage::SMALL).map_err(fail)?;
    let workload_seed = (rng.next() % 100_000).to_string();
    let logs = paths::logs_dir();
    let work_log = logs.join(format!("ferrux-{name}-work.log"));
    let (log, has_started) = boot_and_kill(
        &config(kernel, &image, &["work", &workload_seed]).map_err(fail)?,
        &work_log,
        delay,
    )
    .map_err(fail)?;
    if !has_started {
        return Err(format!(
            "the workload never started ({})",
            work_log.display()
        ));
    }
    let durable = durable_files(&log);
    let verify_log = logs.join(format!("ferrux-{name}-verify.log"));
    let outcome = qemu::boot(
        &config(kernel, &image, &["verify"]).map_err(fail)?,
        Console::Captured,
        &verify_log,
        Some(BOOT_TIMEOUT),
    )
    .map_err(fail)?;
    if !outcome.log.contains("verify: done") {
        return Err(format!(
            "the verify boot did not finish: {} ({})",
            outcome.summary(),
            verify_log.display()
        ));
    }
    let found = found_files(&outcome.log);
    for (file, sha) in &durable {
        match found.get(file) {
            Some(have) if have == sha => {}
            Some(_) => return Err(format!("{file} was fsync'ed but its data changed")),
            None => return Err(format!("{file} was fsync'ed but is gone")),
        }
    }
    rootdisk::e2fsck(&image)?;
    // The round passed: its image is not needed any more.
    let _ = std::fs::remove_file(&image);
    println!(
        "    [ferrux] crash round {index}: killed {} ms after the start, {} fsync'ed files intact",
        delay.as_millis(),
        durable.len()
    );
    Ok(())
}

/// Runs [`ROUNDS`] rounds with `seed`, two at a time, on the Ferrux ELF `kernel`.
pub fn run(kernel: &Path, seed: u64) -> Vec<TestResult> {
    println!("=== crash consistency: {ROUNDS} rounds, seed {seed:#x} ===");
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::new());
    let workers = thread::available_parallelism()
        .map_or(1, usize::from)
        .min(2);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = {
                        let Ok(mut next) = next.lock() else { return };
                        let index = *next;
                        *next += 1;
                        index
                    };
                    if index >= ROUNDS {
                        return;
                    }
                    let failure = round(kernel, index, seed).err();
                    if let Some(reason) = &failure {
                        println!("    [ferrux] crash round {index} (seed {seed:#x}): {reason}");
                    }
                    let log = paths::logs_dir().join(format!("ferrux-crash-{index}-work.log"));
                    if let Ok(mut results) = results.lock() {
                        results.push((
                            index,
                            TestResult::new(
                                Runner::Ferrux,
                                GROUP,
                                &format!("crash/round-{index}"),
                                failure,
                                Some(log),
                            ),
                        ));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_last_seen_synced_must_survive() {
        let sha = "a".repeat(64);
        let other = "b".repeat(64);
        let log = format!(
            "begin f1\nsynced f1 {sha}\nbegin f2\nsynced f2 {sha}\nbegin f1\nbegin f3\n\
             synced f3 {other}\r\nsynced f4 short\nsynced f5 {sha}"
        );
        let durable = durable_files(&log);
        assert_eq!(durable.keys().collect::<Vec<_>>(), ["f2", "f3", "f5"]);
        assert_eq!(durable["f3"], other);
        let found = found_files(&format!("have f2 {sha}\nhave f3 {other}\n"));
        assert_eq!(found.len(), 2);
    }
}
