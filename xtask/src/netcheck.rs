//! The network server check of `cargo xtask test` (`--only net`): each kernel boots with a
//! virtio network card on QEMU's user network (`-netdev user,id=n0,hostfwd=tcp:127.0.0.1:P-:80
//! -device virtio-net-pci,netdev=n0`) and runs `tests/net/net-check.sh` as init: eth0 is
//! configured (Ferrux by `ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off`; Debian's Linux,
//! which has virtio_net as a module and no `ip=` support, by its modules and busybox
//! `ifconfig`/`route`), busybox httpd serves a page and a 10 MiB random file, and the guest
//! fetches a 4 MiB file from a server this check runs on the host (guest to host, through
//! QEMU's gateway 10.0.2.2). Once the guest says READY, `curl` on the host fetches both files
//! through the forwarded port; the check then answers the guest's `/done` poll so it exits.
//!
//! Results, per kernel: `net/sysfs` (eth0's operstate, MTU 1500, Ethernet, a route), `net/http-page`
//! (the page byte for byte), `net/http-10MiB` (the big file's SHA-256 as the guest computed
//! it, and its length), `net/guest-to-host` (the host file's SHA-256 in the guest),
//! `net/udp-dns` (busybox nslookup in the guest asks a DNS server this check runs on the host:
//! UDP both ways through the interface).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::check_images::sha256_hex;
use crate::cli::TestOptions;
use crate::cmdline::KernelCommandLine;
use crate::initramfs::{self, ExtraFile};
use crate::linux;
use crate::paths;
use crate::qemu::{self, BootConfig, Console, GuestMemory};
use crate::report::{Report, Runner, TestResult};

const SCRIPT_PATH: &str = "/bin/net-check";
const MODULE_DIR: &str = "/lib/modules/net";
/// Whole boot, configuration and transfers included (TCG is slow).
const TIMEOUT: Duration = Duration::from_secs(400);
const HOST_FILE_LEN: usize = 4 << 20;
const PAGE: &str = "hello from the guest\n";
const BIG_LEN: u64 = 10 << 20;

/// Whether an `--only` entry names this check.
pub fn is_entry(entry: &str) -> bool {
    entry == "net" || entry.starts_with("net/")
}

/// Runs the check on each kernel, when selected (always without `--only`).
pub fn run(options: &TestOptions, kernels: &[(Runner, PathBuf)], report: &mut Report) {
    if !options.only_suites.is_empty() && !options.only_suites.iter().any(|e| is_entry(e)) {
        return;
    }
    for (runner, kernel) in kernels {
        println!("=== [{runner}] network server check ===");
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
    }
}

/// A deterministic pseudo-random file (xorshift64).
fn host_file() -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::with_capacity(HOST_FILE_LEN);
    while data.len() < HOST_FILE_LEN {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(HOST_FILE_LEN);
    data
}

/// The address the host's DNS server gives every name (for `net/udp-dns`).
const DNS_ANSWER: [u8; 4] = [10, 0, 2, 99];

/// A DNS server for the guest's UDP check: every A query is answered with [`DNS_ANSWER`],
/// other types with no answer.
fn serve_dns(socket: std::net::UdpSocket, stop: Arc<AtomicBool>) {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .ok();
    let mut buffer = [0u8; 512];
    while !stop.load(Ordering::Acquire) {
        let Ok((len, from)) = socket.recv_from(&mut buffer) else {
            continue;
        };
        let query = &buffer[..len];
        if len < 12 {
            continue;
        }
        // The question: labels, then type and class.
        let mut at = 12;
        while at < len && query[at] != 0 {
            at += 1 + usize::from(query[at]);
        }
        let end = at + 5;
        if end > len {
            continue;
        }
        let qtype = u16::from_be_bytes([query[at + 1], query[at + 2]]);
        let answers: u16 = u16::from(qtype == 1);
        let mut reply = Vec::with_capacity(end + 16);
        reply.extend_from_slice(&query[..2]);
        reply.extend_from_slice(&[0x81, 0x80, 0, 1]);
        reply.extend_from_slice(&answers.to_be_bytes());
        reply.extend_from_slice(&[0, 0, 0, 0]);
        reply.extend_from_slice(&query[12..end]);
        if answers == 1 {
            reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            reply.extend_from_slice(&DNS_ANSWER);
        }
        let _ = socket.send_to(&reply, from);
    }
}

/// The host's HTTP server: `/host.bin`, and `/done` (404 until `done` is set).
fn serve(listener: TcpListener, file: Arc<Vec<u8>>, done: Arc<AtomicBool>, stop: Arc<AtomicBool>) {
    listener.set_nonblocking(true).ok();
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, _)) => {
                let file = file.clone();
                let done = done.clone();
                thread::spawn(move || {
                    let _ = answer(stream, &file, &done);
                });
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn answer(stream: TcpStream, file: &[u8], done: &AtomicBool) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let mut stream = stream;
    let (status, body): (&str, &[u8]) = match path {
        "/host.bin" => ("200 OK", file),
        "/done" if done.load(Ordering::Acquire) => ("200 OK", b"done\n"),
        _ => ("404 Not Found", b"not found\n"),
    };
    write!(
        stream,
        "HTTP/1.0 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a host port")?;
    Ok(listener.local_addr()?.port())
}

fn image(runner: Runner) -> Result<PathBuf> {
    let mut extras = vec![ExtraFile {
        image_path: SCRIPT_PATH.to_string(),
        host_path: paths::repo_root().join("tests/net/net-check.sh"),
        mode: 0o755,
    }];
    if runner == Runner::Linux {
        for module in linux::virtio_net_modules()? {
            let name = module
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            extras.push(ExtraFile {
                image_path: format!("{MODULE_DIR}/{name}"),
                host_path: module,
                mode: 0o644,
            });
        }
    }
    initramfs::write_with_extras(&format!("initramfs-net-{runner}"), &extras)
}

/// The value after `net-check: KEY ` in the log.
fn reported(log: &str, key: &str) -> Option<String> {
    let marker = format!("net-check: {key} ");
    log.lines()
        .find_map(|line| line.trim_end().strip_prefix(&marker).map(str::to_string))
}

fn curl(port: u16, path: &str) -> Result<Vec<u8>> {
    let output = Command::new("curl")
        .args(["-sS", "--fail", "--max-time", "180"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .context("cannot run curl")?;
    if !output.status.success() {
        bail!(
            "curl {path}: {} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

type Outcome = Vec<(&'static str, Option<String>)>;

fn check(runner: Runner, kernel: &Path, log_path: &Path) -> Result<Outcome> {
    let initrd = image(runner)?;
    let file = Arc::new(host_file());
    let host_sha = sha256_hex(&file)?;
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind the host server")?;
    let host_port = listener.local_addr()?.port();
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (file, done, stop) = (file.clone(), done.clone(), stop.clone());
        thread::spawn(move || serve(listener, file, done, stop))
    };
    let dns = std::net::UdpSocket::bind("127.0.0.1:0").context("cannot bind the DNS server")?;
    let dns_port = dns.local_addr()?.port();
    let dns_server = {
        let stop = stop.clone();
        thread::spawn(move || serve_dns(dns, stop))
    };
    let guest_port = free_port()?;
    let mut cmdline = KernelCommandLine::new();
    cmdline.push("ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off");
    cmdline.set_init(&[
        "busybox".to_string(),
        "sh".to_string(),
        SCRIPT_PATH.to_string(),
        host_port.to_string(),
        dns_port.to_string(),
    ])?;
    let config = BootConfig {
        kernel: kernel.to_path_buf(),
        initrd,
        cmdline: cmdline.render(),
        memory: GuestMemory::DEFAULT,
        disks: Vec::new(),
        waits_for_gdb: false,
        counts_instructions: false,
        cpus: None,
        network: Some(format!("user,id=n0,hostfwd=tcp:127.0.0.1:{guest_port}-:80")),
    };
    let boot = {
        let log_path = log_path.to_path_buf();
        thread::spawn(move || qemu::boot(&config, Console::Captured, &log_path, Some(TIMEOUT)))
    };
    // Wait for READY in the log as it is written.
    let started = Instant::now();
    let mut log = String::new();
    while started.elapsed() < TIMEOUT {
        thread::sleep(Duration::from_millis(500));
        if let Ok(mut file) = std::fs::File::open(log_path) {
            log.clear();
            let _ = file.read_to_string(&mut log);
        }
        if log.contains("net-check: READY") || boot.is_finished() {
            break;
        }
    }
    let mut results: Outcome = Vec::new();
    let is_ready = log.contains("net-check: READY");
    if is_ready {
        let page = curl(guest_port, "/index.html");
        results.push((
            "net/http-page",
            match page {
                Ok(body) if body == PAGE.as_bytes() => None,
                Ok(body) => Some(format!("got {:?}", String::from_utf8_lossy(&body))),
                Err(error) => Some(format!("{error:#}")),
            },
        ));
        let fetch_started = Instant::now();
        let big = curl(guest_port, "/big.bin");
        let seconds = fetch_started.elapsed().as_secs_f64();
        println!(
            "    [{runner}] 10 MiB from the guest's httpd in {seconds:.2} s ({:.1} MiB/s)",
            10.0 / seconds
        );
        let expected = reported(&log, "big").map(|s| s.trim_end_matches(" -").trim().to_string());
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
    }
    done.store(true, Ordering::Release);
    let outcome = boot
        .join()
        .map_err(|_| anyhow::anyhow!("the boot thread panicked"))??;
    stop.store(true, Ordering::Release);
    let _ = server.join();
    let _ = dns_server.join();
    let log = outcome.log.clone();
    if !is_ready {
        bail!("the guest never said READY ({})", outcome.summary());
    }
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
