//! The network server check of `cargo xtask test` (`--only net`): each kernel boots the server
//! guest of [`crate::netguest`] (a virtio network card on QEMU's user network, Debian's nginx,
//! redis-server and dropbear started by `tests/net/net-check.sh`), and the host's own clients
//! talk to them through forwarded ports: `curl`, `redis-cli` and OpenSSH's `ssh`.
//!
//! Results, per kernel:
//! - `net/sysfs`: eth0's operstate, MTU 1500, Ethernet, a route;
//! - `net/http-page`: nginx serves the page byte for byte;
//! - `net/http-parallel`: eight simultaneous fetches of the page (`curl --parallel`): SYNs that
//!   reach the guest in one batch each get a connection (none is reset);
//! - `net/http-10MiB`: nginx serves the 10 MiB random file (sendfile) whose SHA-256 the guest
//!   printed, with its length;
//! - `net/redis`: `redis-cli` SET/GET, INCR three times, and a 1 MiB value stored and read back;
//! - `net/ssh`: `ssh -tt` with root's key runs a command on a pty (`tty` names `/dev/pts/N`),
//!   and its output and exit status (7) come back;
//! - `net/guest-to-host`: the guest fetched the host's 4 MiB file with busybox wget (its
//!   SHA-256);
//! - `net/udp-dns`: busybox nslookup in the guest asked the host's DNS server (UDP both ways).
//!
//! Cost: one boot per kernel, about a minute each under TCG on an idle host.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::check_images::sha256_hex;
use crate::cli::TestOptions;
use crate::netguest::{self, Link, Mode, Ports, ServerGuest, failed, reported, retry_until};
use crate::paths;
use crate::report::{Report, Runner, TestResult};

/// Whole boot, configuration and transfers included (TCG is slow).
const TIMEOUT: Duration = Duration::from_secs(600);
/// How long a service may take to answer its first request after READY.
const FIRST_ANSWER: Duration = Duration::from_secs(60);
const PAGE: &str = "hello from the guest\n";
const BIG_LEN: u64 = 10 << 20;
/// The large redis value.
const REDIS_VALUE_LEN: usize = 1 << 20;

/// Whether an `--only` entry names this check.
pub fn is_entry(entry: &str) -> bool {
    entry == "net" || entry.starts_with("net/")
}

/// Runs the check on each kernel, when selected (always without `--only`).
pub fn run(options: &TestOptions, kernels: &[(Runner, PathBuf)], report: &mut Report) {
    if !options.only_suites.is_empty() && !options.only_suites.iter().any(|e| is_entry(e)) {
        return;
    }
    if let Err(error) = netguest::ensure_host_clients(&[
        ("curl", "curl"),
        ("redis-cli", "redis-tools"),
        ("ssh", "openssh-client"),
    ]) {
        println!("xtask: {error:#}");
    }
    for (runner, kernel) in kernels {
        println!("=== [{runner}] network server check ===");
        let started = Instant::now();
        let log_path = paths::logs_dir().join(format!("{runner}-net.log"));
        let results = match check(*runner, kernel, &log_path) {
            Ok(results) => results,
            Err(error) => vec![("net/boot", Some(format!("{error:#}")))],
        };
        for (name, failure) in results {
            let result = TestResult::new(*runner, "net", name, failure, Some(log_path.clone()));
            println!("    [{runner}] {}", result.line);
            report.add(result);
        }
        println!(
            "    [{runner}] network check took {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
}

fn curl(port: u16, path: &str) -> Result<Vec<u8>> {
    let output = retry_until(
        Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "180"])
            .arg(format!("http://127.0.0.1:{port}{path}")),
        FIRST_ANSWER,
        |output| output.status.success(),
    )?;
    if !output.status.success() {
        return Err(failed(&format!("curl {path}"), &output));
    }
    Ok(output.stdout)
}

/// Connections opened at once by `net/http-parallel`.
const PARALLEL: usize = 8;

/// `PARALLEL` fetches of the page at once, each written to its own file.
fn parallel_pages(port: u16) -> Result<()> {
    let dir = paths::build_dir().join("net/parallel");
    let _ = std::fs::remove_dir_all(&dir);
    paths::ensure_dir(&dir)?;
    let mut command = Command::new("curl");
    command.args([
        "-sS",
        "--fail",
        "--max-time",
        "120",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        &PARALLEL.to_string(),
    ]);
    for index in 0..PARALLEL {
        command
            .arg("-o")
            .arg(dir.join(format!("page-{index}")))
            .arg(format!("http://127.0.0.1:{port}/index.html?{index}"));
    }
    let output = command.output().context("cannot run curl")?;
    if !output.status.success() {
        return Err(failed("curl --parallel", &output));
    }
    for index in 0..PARALLEL {
        let body = std::fs::read(dir.join(format!("page-{index}")))?;
        if body != PAGE.as_bytes() {
            bail!("fetch {index} got {:?}", String::from_utf8_lossy(&body));
        }
    }
    Ok(())
}

/// `redis-cli -p PORT ARGS…`, with `input` on its standard input (for `-x`); its output.
fn redis_cli(port: u16, args: &[&str], input: Option<&[u8]>) -> Result<String> {
    let mut command = Command::new("redis-cli");
    command
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().context("cannot run redis-cli")?;
    // Standard input is closed at the end of this statement either way.
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        stdin.write_all(input)?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(failed(&format!("redis-cli {}", args.join(" ")), &output));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// SET/GET, INCR and a 1 MiB value.
fn check_redis(port: u16) -> Result<()> {
    // The first request waits for the server to listen.
    let output = retry_until(
        Command::new("redis-cli").args(["-h", "127.0.0.1", "-p", &port.to_string(), "PING"]),
        FIRST_ANSWER,
        |output| output.stdout.starts_with(b"PONG"),
    )?;
    if !output.status.success() || String::from_utf8_lossy(&output.stdout).trim() != "PONG" {
        return Err(failed("redis-cli PING", &output));
    }
    let expect = |args: &[&str], want: &str| -> Result<()> {
        let got = redis_cli(port, args, None)?;
        if got.trim_end() != want {
            bail!(
                "redis-cli {}: {:?}, not {want:?}",
                args.join(" "),
                got.trim_end()
            );
        }
        Ok(())
    };
    expect(&["SET", "greeting", "hello from the host"], "OK")?;
    expect(&["GET", "greeting"], "hello from the host")?;
    expect(&["INCR", "counter"], "1")?;
    expect(&["INCR", "counter"], "2")?;
    expect(&["INCR", "counter"], "3")?;
    // A large printable value (`-x` takes the last argument from standard input, as is).
    let value: Vec<u8> = netguest::host_file()
        .iter()
        .take(REDIS_VALUE_LEN)
        .map(|byte| b"0123456789abcdef"[usize::from(byte & 15)])
        .collect();
    let set = redis_cli(port, &["-x", "SET", "big"], Some(&value))?;
    if set.trim_end() != "OK" {
        bail!("redis-cli -x SET big: {:?}", set.trim_end());
    }
    expect(&["STRLEN", "big"], &REDIS_VALUE_LEN.to_string())?;
    let got = redis_cli(port, &["--raw", "GET", "big"], None)?;
    if got.as_bytes().strip_suffix(b"\n") != Some(&value[..]) {
        bail!(
            "GET big: {} bytes that differ from the {} set",
            got.len(),
            value.len()
        );
    }
    Ok(())
}

/// `ssh -tt` with the key: a command on a pty, its output and exit status.
fn check_ssh(port: u16) -> Result<()> {
    let output = retry_until(
        Command::new("ssh")
            .arg("-tt")
            .arg("-i")
            .arg(netguest::client_key())
            .args(["-p", &port.to_string()])
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=60",
                "root@127.0.0.1",
                "busybox tty; echo \"pty-ok $(busybox id -u)\"; exit 7",
            ])
            .stdin(Stdio::null()),
        FIRST_ANSWER,
        // 255 is ssh's own failure (no connection yet); anything else is the command's.
        |output| output.status.code() != Some(255),
    )?;
    let text = String::from_utf8_lossy(&output.stdout);
    if output.status.code() != Some(7) {
        return Err(failed(
            &format!("ssh (exit status 7 expected; output {text:?})"),
            &output,
        ));
    }
    if !text.contains("/dev/pts/") || !text.contains("pty-ok 0") {
        bail!("ssh output {text:?}: no /dev/pts/N tty or no `pty-ok 0`");
    }
    Ok(())
}

type Outcome = Vec<(&'static str, Option<String>)>;

/// The results of the host's clients against a ready guest.
fn talk_to(ports: Ports, log: &str, runner: Runner, results: &mut Outcome) -> Result<()> {
    let page = curl(ports.http, "/index.html");
    results.push((
        "net/http-page",
        match page {
            Ok(body) if body == PAGE.as_bytes() => None,
            Ok(body) => Some(format!("got {:?}", String::from_utf8_lossy(&body))),
            Err(error) => Some(format!("{error:#}")),
        },
    ));
    results.push((
        "net/http-parallel",
        parallel_pages(ports.http).err().map(|e| format!("{e:#}")),
    ));
    let fetch_started = Instant::now();
    let big = curl(ports.http, "/big.bin");
    let seconds = fetch_started.elapsed().as_secs_f64();
    println!(
        "    [{runner}] 10 MiB from the guest's nginx in {seconds:.2} s ({:.1} MiB/s)",
        10.0 / seconds
    );
    let expected = reported(log, "big").map(|s| s.trim_end_matches(" -").trim().to_string());
    results.push((
        "net/http-10MiB",
        match big {
            Ok(body) if body.len() as u64 != BIG_LEN => {
                Some(format!("{} bytes, not {BIG_LEN}", body.len()))
            }
            Ok(body) => {
                let sha = sha256_hex(&body)?;
                match expected {
                    Some(expected) if expected == sha => None,
                    other => Some(format!("sha256 {sha}, the guest's {other:?}")),
                }
            }
            Err(error) => Some(format!("{error:#}")),
        },
    ));
    results.push((
        "net/redis",
        check_redis(ports.redis).err().map(|e| format!("{e:#}")),
    ));
    results.push((
        "net/ssh",
        check_ssh(ports.ssh).err().map(|e| format!("{e:#}")),
    ));
    Ok(())
}

fn check(runner: Runner, kernel: &Path, log_path: &Path) -> Result<Outcome> {
    let image = netguest::image(runner)?;
    let host_sha = sha256_hex(&netguest::host_file())?;
    // QEMU's user network with forwarded ports, as a VM user would have it.
    let guest = ServerGuest::start(kernel, image, Mode::Check, Link::User, log_path, TIMEOUT)?;
    let mut results: Outcome = Vec::new();
    let is_ready = guest.is_ready;
    let talked = if is_ready {
        talk_to(
            guest.ports.clone(),
            &guest.log.clone(),
            runner,
            &mut results,
        )
    } else {
        Ok(())
    };
    let outcome = guest.finish()?;
    talked?;
    if !is_ready {
        bail!("the guest never said READY ({})", outcome.summary());
    }
    let log = outcome.log.clone();
    let guest_host_sha =
        reported(&log, "host").map(|s| s.trim_end_matches(" -").trim().to_string());
    results.push((
        "net/guest-to-host",
        match guest_host_sha {
            Some(sha) if sha == host_sha => None,
            other => Some(format!("the guest read {other:?}, not {host_sha}")),
        },
    ));
    let dns = reported(&log, "dns").unwrap_or_default();
    results.push((
        "net/udp-dns",
        (!dns.contains("10.0.2.99")).then(|| format!("nslookup said {dns:?}")),
    ));
    let eth0 = reported(&log, "eth0").unwrap_or_default();
    let routes = reported(&log, "route").unwrap_or_default();
    // Debian's Linux still shows `down` here after `ifconfig … up` (docs/facts-net.md);
    // Ferrux shows `up`, what `ip link` users expect.
    let sysfs_ok = (eth0.contains("operstate=up") || eth0.contains("operstate=down"))
        && eth0.contains("mtu=1500")
        && eth0.contains("carrier=1")
        && eth0.contains("type=1")
        && eth0.contains("address=52:54:00:12:34:56")
        && routes.trim() == "2";
    results.push((
        "net/sysfs",
        (!sysfs_ok).then(|| format!("eth0 {eth0:?}, {routes:?} eth0 routes")),
    ));
    if !log.contains("net-check: DONE") {
        results.push(("net/exit", Some(outcome.summary())));
    } else if outcome.is_kernel_bug() {
        results.push(("net/exit", Some("the kernel reported a bug".to_string())));
    }
    Ok(results)
}
