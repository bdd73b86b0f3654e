//! The server rows of `cargo xtask bench`: throughput of Debian's redis-server and nginx in the
//! guest, measured from the host through QEMU's user network (slirp) and forwarded ports.
//!
//! Each kernel boots the server guest of [`crate::netguest`] in its bench mode (nginx serving a
//! 4 KiB page, redis-server), and the host runs:
//! - `redis-benchmark -q -n 100000 -c 50 -t T` for T in set, get, ping, one test per run (rows
//!   `redis_set`, `redis_get`, `redis_ping_inline`, `redis_ping_mbulk`);
//! - `wrk -t 2 -c 50 -d 10s` for the page (row `nginx_wrk_4k`; a run with socket errors or
//!   non-2xx answers is `n/a`).
//!
//! `--quick` uses `-n 10000` and `-d 3s`. The host's clients run on the same cores as QEMU, and
//! slirp's own cost is in every number, for both kernels alike: compare the ratios. Slirp
//! listens for a forwarded port with a backlog of 1, so a burst of 50 connects loses SYNs and
//! final ACKs on the host, whose retransmissions back off: a run can stall for seconds before
//! its clients are connected (a stalled redis test is killed and run again).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench_results::{Measurement, Unit};
use crate::netguest::{self, Link, Mode, ServerGuest, retry_until};
use crate::report::Runner;

/// The whole boot, benchmarks included.
const TIMEOUT: Duration = Duration::from_secs(900);

/// The benchmark names these rows report (for `--only`).
pub const ROWS: [&str; 5] = [
    "redis_set",
    "redis_get",
    "redis_ping_inline",
    "redis_ping_mbulk",
    "nginx_wrk_4k",
];

/// Whether `--only` selects any server row (all when it is empty).
pub fn is_selected(only: &[String]) -> bool {
    only.is_empty() || only.iter().any(|name| ROWS.contains(&name.as_str()))
}

/// Installs the host's benchmark clients when missing.
pub fn ensure_clients() -> Result<()> {
    netguest::ensure_host_clients(&[
        ("redis-benchmark", "redis-tools"),
        ("wrk", "wrk"),
        ("curl", "curl"),
    ])
}

/// The image for a kernel kind (`ferrux` or `linux`).
pub fn image(kind: &str) -> Result<std::path::PathBuf> {
    netguest::image(if kind == "linux" {
        Runner::Linux
    } else {
        Runner::Ferrux
    })
}

/// `redis-benchmark -q` lines: `SET: 1234.56 requests per second, p50=…`.
fn parse_redis_benchmark(text: &str) -> Vec<(String, f64)> {
    let mut rows = Vec::new();
    // With -q, each test's progress line ends in a carriage return and the result follows.
    for line in text.split(['\n', '\r']) {
        let Some((test, rest)) = line.split_once(": ") else {
            continue;
        };
        let Some(value) = rest.split(" requests per second").next() else {
            continue;
        };
        if !rest.contains(" requests per second") {
            continue;
        }
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let name = match test.trim() {
            "SET" => "redis_set",
            "GET" => "redis_get",
            "PING_INLINE" => "redis_ping_inline",
            "PING_MBULK" => "redis_ping_mbulk",
            _ => continue,
        };
        rows.push((name.to_string(), value));
    }
    rows
}

/// wrk's `Requests/sec:` value, or why the run does not count.
fn parse_wrk(text: &str) -> Result<f64> {
    if let Some(line) = text
        .lines()
        .find(|line| line.contains("Socket errors") || line.contains("Non-2xx"))
    {
        bail!("wrk: {}", line.trim());
    }
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .context("no Requests/sec in wrk's output")
}

/// How long one `redis-benchmark` test may take (100,000 requests at a few thousand a second,
/// plus connection stalls).
const REDIS_TEST_LIMIT: Duration = Duration::from_secs(240);

/// `redis-benchmark -q -n REQUESTS -c 50 -t TEST` (tried twice: a run that stalls on its
/// connections past [`REDIS_TEST_LIMIT`] is killed); its rows.
fn redis_benchmark(
    host: &str,
    port: u16,
    requests: &str,
    test: &str,
) -> Result<Vec<(String, f64)>> {
    for _ in 0..2 {
        let mut child = Command::new("redis-benchmark")
            .args(["-h", host, "-p", &port.to_string()])
            .args(["-q", "-n", requests, "-c", "50", "-t", test])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run redis-benchmark")?;
        let mut stdout = child.stdout.take().context("no pipe")?;
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let started = Instant::now();
        while child.try_wait()?.is_none() && started.elapsed() < REDIS_TEST_LIMIT {
            std::thread::sleep(Duration::from_millis(200));
        }
        if child.try_wait()?.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let text = reader.join().unwrap_or_default();
        let rows = parse_redis_benchmark(&text);
        if !rows.is_empty() {
            return Ok(rows);
        }
        println!("    redis-benchmark -t {test}: no result, trying again");
    }
    Ok(Vec::new())
}

fn value(value: f64) -> Measurement {
    Measurement::Value {
        value,
        unit: Unit::RequestsPerSecond,
    }
}

fn not_available(reason: &str) -> Measurement {
    Measurement::NotAvailable {
        reason: reason.to_string(),
    }
}

/// Boots `kernel` with `image`, runs the host's clients, and returns the rows (every row is
/// present: `n/a` with a reason when its client failed). The boot's log goes to `log_path`.
pub fn measure(
    kernel: &Path,
    image: std::path::PathBuf,
    is_quick: bool,
    log_path: &Path,
) -> Result<Vec<(String, Measurement)>> {
    let guest = ServerGuest::start(
        kernel,
        image,
        Mode::Bench,
        Link::TapOrUser,
        log_path,
        TIMEOUT,
    )?;
    let mut rows: Vec<(String, Measurement)> = Vec::new();
    if guest.is_ready {
        let ports = guest.ports.clone();
        let requests = if is_quick { "10000" } else { "100000" };
        let seconds = if is_quick { "3s" } else { "10s" };
        // Wait until both servers answer.
        let redis_up = retry_until(
            Command::new("redis-cli").args([
                "-h",
                &ports.host,
                "-p",
                &ports.redis.to_string(),
                "PING",
            ]),
            Duration::from_secs(60),
            |output| output.stdout.starts_with(b"PONG"),
        );
        match redis_up {
            Ok(output) if output.stdout.starts_with(b"PONG") => {
                // One test per run: slirp's forwarding socket listens with a backlog of 1, so
                // the host drops part of each burst of 50 connects and its retransmissions
                // back off; one invocation per test keeps a stall to that test.
                let mut found = Vec::new();
                for test in ["set", "get", "ping"] {
                    found.extend(redis_benchmark(&ports.host, ports.redis, requests, test)?);
                }
                for name in &ROWS[..4] {
                    let measurement = found
                        .iter()
                        .find(|(found, _)| found == name)
                        .map_or_else(|| not_available("no-result"), |(_, v)| value(*v));
                    rows.push((name.to_string(), measurement));
                }
            }
            _ => {
                for name in &ROWS[..4] {
                    rows.push((name.to_string(), not_available("no-answer")));
                }
            }
        }
        let url = format!("http://{}:{}/index.html", ports.host, ports.http);
        let nginx_up = retry_until(
            Command::new("curl").args([
                "-sS",
                "--fail",
                "--max-time",
                "30",
                "-o",
                "/dev/null",
                &url,
            ]),
            Duration::from_secs(60),
            |output| output.status.success(),
        );
        let measurement = match nginx_up {
            Ok(output) if output.status.success() => {
                let output = Command::new("wrk")
                    .args(["-t", "2", "-c", "50", "-d", seconds, &url])
                    .output()
                    .context("cannot run wrk")?;
                match parse_wrk(&String::from_utf8_lossy(&output.stdout)) {
                    Ok(rate) => value(rate),
                    Err(error) => {
                        println!("    {error:#}");
                        not_available("wrk-errors")
                    }
                }
            }
            _ => not_available("no-answer"),
        };
        rows.push((ROWS[4].to_string(), measurement));
    }
    let outcome = guest.finish()?;
    if rows.is_empty() {
        bail!("the server guest never said READY ({})", outcome.summary());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_redis_benchmark_quiet_output() {
        let text = "PING_INLINE: rps=0.0 (overall: nan) avg_msec=nan (overall: nan)\r\
                    PING_INLINE: 1923.08 requests per second, p50=23.231 msec\n\
                    SET: 2000.00 requests per second, p50=20.000 msec\n\
                    GET: 1500.5 requests per second, p50=20.000 msec\n";
        let rows = parse_redis_benchmark(text);
        assert_eq!(
            rows,
            vec![
                ("redis_ping_inline".to_string(), 1923.08),
                ("redis_set".to_string(), 2000.0),
                ("redis_get".to_string(), 1500.5),
            ]
        );
    }

    #[test]
    fn reads_wrk_output() {
        let good = "Running 10s test\n  2 threads and 50 connections\n\
                    Requests/sec:   1234.56\nTransfer/sec:      5.00MB\n";
        assert_eq!(parse_wrk(good).ok(), Some(1234.56));
        let bad = "  Socket errors: connect 0, read 3, write 0, timeout 0\nRequests/sec: 1.0\n";
        assert!(parse_wrk(bad).is_err());
    }
}
