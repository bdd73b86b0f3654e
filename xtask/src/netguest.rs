//! The server guest of the network check (`netcheck.rs`) and of the server rows of `cargo xtask
//! bench` (`bench_servers.rs`): one boot of a kernel with a virtio network card on QEMU's user
//! network that runs Debian's nginx, redis-server and dropbear (`tests/net/net-check.sh` as
//! init), with host ports forwarded to the guest's 80, 6379 and 22
//! (`-netdev user,id=n0,hostfwd=tcp:127.0.0.1:P-:80,… -device virtio-net-pci,netdev=n0`).
//!
//! The image is a real-programs image ([`crate::real_image`]: the programs of Debian's `nginx`,
//! `redis-server` and `dropbear-bin` packages, installed on the host when missing, with their
//! libraries found by `ldd`), plus the script, nginx's configuration, `/etc/passwd` with root
//! (shell `/bin/sh`, busybox) and www-data, dropbear's host key and root's
//! `authorized_keys`, and on Linux the virtio-net modules. The two keys are made once on the
//! host (`dropbearkey`, `ssh-keygen`) in `build/net/`, so the image stays cached.
//!
//! While the guest runs, the host serves `/host.bin` (a 4 MiB pseudo-random file the guest
//! fetches) and `/done` (404 until [`ServerGuest::finish`]; the guest polls it and exits when
//! it answers) on a port of its own, and answers DNS queries on another (UDP).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmdline::KernelCommandLine;
use crate::initramfs::ExtraFile;
use crate::linux;
use crate::paths;
use crate::process;
use crate::qemu::{self, BootConfig, BootOutcome, Console, GuestMemory};
use crate::real_image::{self, Contents};
use crate::report::Runner;

/// The script's place in the image (init runs it with busybox sh).
const SCRIPT_PATH: &str = "/net/check.sh";
/// Where Linux's virtio-net modules go.
const MODULE_DIR: &str = "/net/modules";
/// The length of `/host.bin`.
pub const HOST_FILE_LEN: usize = 4 << 20;
/// The address the host's DNS server gives every name.
pub const DNS_ANSWER: [u8; 4] = [10, 0, 2, 99];

/// nginx's configuration: a master and one worker as www-data, epoll, sendfile, no access log.
const NGINX_CONF: &str = "user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events {
    worker_connections 512;
}
http {
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    access_log off;
    types {
        text/html html;
    }
    default_type application/octet-stream;
    server {
        listen 80 default_server;
        root /www;
    }
}
";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";
const GROUP: &str = "root:x:0:
tty:x:5:
www-data:x:33:
nogroup:x:65534:
";
const NSSWITCH: &str = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n";

/// What the guest script does besides serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The test: a 10 MiB file, dropbear, the guest-to-host fetch and the DNS query.
    Check,
    /// The benchmark: a 4 KiB page, nginx and redis only.
    Bench,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::Check => "check",
            Mode::Bench => "bench",
        }
    }
}

/// The guest's services: where the host reaches them (a forwarded port of 127.0.0.1 on QEMU's
/// user network, or the guest's own address and port over a tap device).
#[derive(Debug, Clone)]
pub struct Ports {
    pub host: String,
    pub http: u16,
    pub redis: u16,
    pub ssh: u16,
}

/// The guest's address (`ip=`, or the script's `ifconfig` on Linux) and the host's side.
const GUEST_IP: &str = "10.0.2.15";
const HOST_IP: &str = "10.0.2.2";

/// A tap device made for one boot (`ip tuntap add`), with the host's end at [`HOST_IP`]/24;
/// deleted when dropped.
struct Tap {
    name: String,
}

impl Tap {
    /// Makes the device, or says why not (not root, no `/dev/net/tun`, 10.0.2.0/24 already
    /// routed on the host, e.g. by another boot's tap).
    fn new() -> Result<Tap> {
        if !process::is_root() {
            bail!("not root");
        }
        let routes = Command::new("ip")
            .args(["-4", "route", "show", "10.0.2.0/24"])
            .output()
            .context("cannot run ip")?;
        if !routes.stdout.trim_ascii().is_empty() {
            bail!("10.0.2.0/24 is already routed on the host");
        }
        let name = format!("fxtap{}", std::process::id() % 100_000);
        process::run(Command::new("ip").args(["tuntap", "add", "dev", &name, "mode", "tap"]))?;
        let tap = Tap { name };
        process::run(Command::new("ip").args([
            "addr",
            "add",
            &format!("{HOST_IP}/24"),
            "dev",
            &tap.name,
        ]))?;
        process::run(Command::new("ip").args(["link", "set", &tap.name, "up"]))?;
        Ok(tap)
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.name])
            .output();
    }
}

/// How the guest's card reaches the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// QEMU's user network (slirp) with forwarded ports: works anywhere.
    User,
    /// A tap device, so the host's clients talk to the guest's TCP directly (no slirp in the
    /// way, whose forwarding socket has a listen backlog of 1); falls back to [`Link::User`]
    /// when a tap cannot be made.
    TapOrUser,
}

/// `build/net/`: the keys.
fn key_dir() -> PathBuf {
    paths::build_dir().join("net")
}

/// The client's private key (root's key in the guest).
pub fn client_key() -> PathBuf {
    key_dir().join("id_ed25519")
}

/// Makes the two keys once.
fn ensure_keys() -> Result<(PathBuf, PathBuf)> {
    let dir = key_dir();
    paths::ensure_dir(&dir)?;
    let host_key = dir.join("dropbear_ed25519_host_key");
    if !host_key.is_file() {
        process::run(
            Command::new("dropbearkey")
                .args(["-t", "ed25519", "-f"])
                .arg(&host_key),
        )?;
    }
    let client = client_key();
    let public = dir.join("id_ed25519.pub");
    if !client.is_file() || !public.is_file() {
        let _ = std::fs::remove_file(&client);
        let _ = std::fs::remove_file(&public);
        process::run(
            Command::new("ssh-keygen")
                .args([
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "ferrux-net-check",
                    "-f",
                ])
                .arg(&client),
        )?;
    }
    Ok((host_key, public))
}

/// The image for `runner` (cached by [`real_image::build`]).
pub fn image(runner: Runner) -> Result<PathBuf> {
    let (host_key, public_key) = ensure_keys()?;
    let mut extras = vec![
        ExtraFile {
            image_path: SCRIPT_PATH.to_string(),
            host_path: paths::repo_root().join("tests/net/net-check.sh"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: "/etc/dropbear/host_key".to_string(),
            host_path: host_key,
            mode: 0o600,
        },
        ExtraFile {
            image_path: "/root/.ssh/authorized_keys".to_string(),
            host_path: public_key,
            mode: 0o600,
        },
    ];
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
    let contents = Contents {
        // nginx-light is bookworm's transitional package for nginx (the programs are in nginx).
        packages: ["nginx-light", "nginx", "redis-server", "dropbear-bin"]
            .map(String::from)
            .into(),
        data: vec![
            ("/etc/passwd".to_string(), PASSWD.as_bytes().to_vec(), 0o644),
            ("/etc/group".to_string(), GROUP.as_bytes().to_vec(), 0o644),
            (
                "/etc/nsswitch.conf".to_string(),
                NSSWITCH.as_bytes().to_vec(),
                0o644,
            ),
            ("/etc/shells".to_string(), b"/bin/sh\n".to_vec(), 0o644),
            (
                "/etc/nginx/ferrux.conf".to_string(),
                NGINX_CONF.as_bytes().to_vec(),
                0o644,
            ),
        ],
        fallback_links: vec![("/bin/sh".to_string(), "busybox".to_string())],
        ..Contents::default()
    };
    real_image::build(&format!("net-{runner}"), &contents, &extras)
}

/// A deterministic pseudo-random file (xorshift64).
pub fn host_file() -> Vec<u8> {
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

/// A running server guest.
pub struct ServerGuest {
    pub ports: Ports,
    /// The console up to READY (or to the end, when the guest never got there).
    pub log: String,
    pub is_ready: bool,
    log_path: PathBuf,
    done: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    boot: JoinHandle<Result<BootOutcome>>,
    /// Deleted once QEMU is gone.
    tap: Option<Tap>,
}

impl ServerGuest {
    /// Boots `kernel` with `image` and waits (up to `timeout`, the whole boot's limit) for the
    /// guest's READY.
    pub fn start(
        kernel: &Path,
        image: PathBuf,
        mode: Mode,
        link: Link,
        log_path: &Path,
        timeout: Duration,
    ) -> Result<ServerGuest> {
        let tap = match link {
            Link::User => None,
            Link::TapOrUser => match Tap::new() {
                Ok(tap) => Some(tap),
                Err(error) => {
                    println!("    no tap device ({error:#}): QEMU's user network instead");
                    None
                }
            },
        };
        // The guest reaches the host's servers at 10.0.2.2: QEMU's gateway (forwarded to the
        // host's 127.0.0.1), or the tap's address.
        let bind_ip = if tap.is_some() { HOST_IP } else { "127.0.0.1" };
        let file = Arc::new(host_file());
        let listener = TcpListener::bind((bind_ip, 0)).context("cannot bind the host server")?;
        let host_port = listener.local_addr()?.port();
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        {
            let (done, stop) = (done.clone(), stop.clone());
            threads.push(thread::spawn(move || serve(listener, file, done, stop)));
        }
        let dns = std::net::UdpSocket::bind((bind_ip, 0)).context("cannot bind the DNS server")?;
        let dns_port = dns.local_addr()?.port();
        {
            let stop = stop.clone();
            threads.push(thread::spawn(move || serve_dns(dns, stop)));
        }
        let (ports, network) = match &tap {
            Some(tap) => (
                Ports {
                    host: GUEST_IP.to_string(),
                    http: 80,
                    redis: 6379,
                    ssh: 22,
                },
                format!("tap,id=n0,ifname={},script=no,downscript=no", tap.name),
            ),
            None => {
                let ports = Ports {
                    host: "127.0.0.1".to_string(),
                    http: free_port()?,
                    redis: free_port()?,
                    ssh: free_port()?,
                };
                let network = format!(
                    "user,id=n0,hostfwd=tcp:127.0.0.1:{}-:80,hostfwd=tcp:127.0.0.1:{}-:6379,\
                     hostfwd=tcp:127.0.0.1:{}-:22",
                    ports.http, ports.redis, ports.ssh
                );
                (ports, network)
            }
        };
        let mut cmdline = KernelCommandLine::new();
        cmdline.push(&format!("ip={GUEST_IP}::{HOST_IP}:255.255.255.0::eth0:off"));
        cmdline.set_init(&[
            "busybox".to_string(),
            "sh".to_string(),
            SCRIPT_PATH.to_string(),
            mode.arg().to_string(),
            host_port.to_string(),
            dns_port.to_string(),
        ])?;
        let config = BootConfig {
            kernel: kernel.to_path_buf(),
            initrd: image,
            cmdline: cmdline.render(),
            memory: GuestMemory::DEFAULT,
            disks: Vec::new(),
            waits_for_gdb: false,
            counts_instructions: false,
            cpus: None,
            network: Some(network),
        };
        let boot = {
            let log_path = log_path.to_path_buf();
            thread::spawn(move || qemu::boot(&config, Console::Captured, &log_path, Some(timeout)))
        };
        // Wait for READY in the log as it is written.
        let started = Instant::now();
        let mut log = String::new();
        while started.elapsed() < timeout {
            thread::sleep(Duration::from_millis(500));
            if let Ok(mut file) = std::fs::File::open(log_path) {
                log.clear();
                let _ = file.read_to_string(&mut log);
            }
            if log.contains("net-check: READY") || boot.is_finished() {
                break;
            }
        }
        let is_ready = log.contains("net-check: READY");
        Ok(ServerGuest {
            ports,
            log,
            is_ready,
            log_path: log_path.to_path_buf(),
            done,
            stop,
            threads,
            boot,
            tap,
        })
    }

    /// Lets the guest end (it polls `/done`), waits for QEMU and returns how the boot ended.
    pub fn finish(self) -> Result<BootOutcome> {
        self.done.store(true, Ordering::Release);
        let outcome = self
            .boot
            .join()
            .map_err(|_| anyhow::anyhow!("the boot thread panicked"))?;
        self.stop.store(true, Ordering::Release);
        for thread in self.threads {
            let _ = thread.join();
        }
        drop(self.tap);
        outcome.with_context(|| format!("boot logged in {}", self.log_path.display()))
    }
}

/// The value after `net-check: KEY ` in the log.
pub fn reported(log: &str, key: &str) -> Option<String> {
    let marker = format!("net-check: {key} ");
    log.lines()
        .find_map(|line| line.trim_end().strip_prefix(&marker).map(str::to_string))
}

/// Runs `command` until `is_done` says its output is final or `deadline` passes (a service
/// that is still starting: QEMU accepts a forwarded connection and then drops it); returns the
/// last output.
pub fn retry_until(
    command: &mut Command,
    deadline: Duration,
    is_done: fn(&std::process::Output) -> bool,
) -> Result<std::process::Output> {
    let started = Instant::now();
    loop {
        let output = command
            .output()
            .with_context(|| format!("cannot run {}", process::describe(command)))?;
        if is_done(&output) || started.elapsed() >= deadline {
            return Ok(output);
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// An error naming what failed, with the command's status and standard error.
pub fn failed(what: &str, output: &std::process::Output) -> anyhow::Error {
    anyhow::anyhow!(
        "{what}: {} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    )
}

/// Installs the packages (`(program, package)`) of the host's client programs that are missing.
pub fn ensure_host_clients(programs: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = programs
        .iter()
        .filter(|(program, _)| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    crate::packages::install(&missing)?;
    if programs.iter().any(|(program, _)| {
        !Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|output| output.status.success())
    }) {
        bail!(
            "host clients still missing after installing {}",
            missing.join(" ")
        );
    }
    Ok(())
}
