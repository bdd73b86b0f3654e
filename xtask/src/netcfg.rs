//! The network configuration check of `cargo xtask test` (`--only net` or `net/config`): each
//! kernel boots with a virtio network card on QEMU's user network and runs
//! `tests/net/netcfg-check.sh` as init. Ferrux boots with `ip=dhcp` (Debian's Linux has no
//! `ip=` support, so it boots without).
//!
//! Results, per kernel: `net/ip-dhcp` (Ferrux: the in-kernel DHCP client's lease from QEMU's
//! server: 10.0.2.15/24, a default route through 10.0.2.2, `/proc/net/pnp` naming the DNS
//! server 10.0.2.3 and the boot server 10.0.2.2), `net/ifconfig-route` (busybox `ifconfig eth0
//! 0.0.0.0` leaves no eth0 route; `ifconfig … netmask … up` and `route add default gw` make the
//! subnet and default routes), `net/getaddrinfo` (musl's getaddrinfo of deb.debian.org in the
//! guest, through /etc/resolv.conf and QEMU's DNS forwarder, gives what the host's resolver
//! gives).

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::TestOptions;
use crate::cmdline::KernelCommandLine;
use crate::initramfs::{self, ExtraFile};
use crate::linux;
use crate::paths;
use crate::qemu::{self, BootConfig, Console, GuestMemory};
use crate::report::{Report, Runner, TestResult};

const SCRIPT_PATH: &str = "/bin/netcfg-check";
const MODULE_DIR: &str = "/lib/modules/net";
const TIMEOUT: Duration = Duration::from_secs(240);
const NAME: &str = "deb.debian.org";

/// Whether an `--only` entry names this check.
fn is_entry(entry: &str) -> bool {
    entry == "net" || entry == "net/config"
}

/// Runs the check on each kernel, when selected (always without `--only`).
pub fn run(options: &TestOptions, kernels: &[(Runner, PathBuf)], report: &mut Report) {
    if !options.only_suites.is_empty() && !options.only_suites.iter().any(|e| is_entry(e)) {
        return;
    }
    for (runner, kernel) in kernels {
        println!("=== [{runner}] network configuration check ===");
        let log_path = paths::logs_dir().join(format!("{runner}-netcfg.log"));
        let results = match check(*runner, kernel, &log_path) {
            Ok(results) => results,
            Err(error) => vec![("net/config-boot", Some(format!("{error:#}")))],
        };
        for (name, failure) in results {
            let result = TestResult::new(*runner, "net", name, failure, Some(log_path.clone()));
            println!("    [{runner}] {}", result.line);
            report.add(result);
        }
    }
}

fn image(runner: Runner) -> Result<PathBuf> {
    let mut extras = vec![
        ExtraFile {
            image_path: SCRIPT_PATH.to_string(),
            host_path: paths::repo_root().join("tests/net/netcfg-check.sh"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: "/bin/child-helper".to_string(),
            host_path: paths::build_dir().join("user/musl/child-helper"),
            mode: 0o755,
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
    initramfs::write_with_extras(&format!("initramfs-netcfg-{runner}"), &extras)
}

/// The value after `netcfg: KEY ` in the log.
fn reported(log: &str, key: &str) -> Option<String> {
    let marker = format!("netcfg: {key} ");
    log.lines()
        .find_map(|line| line.trim_end().strip_prefix(&marker).map(str::to_string))
}

type Outcome = Vec<(&'static str, Option<String>)>;

fn check(runner: Runner, kernel: &Path, log_path: &Path) -> Result<Outcome> {
    let initrd = image(runner)?;
    let mut cmdline = KernelCommandLine::new();
    if runner == Runner::Ferrux {
        cmdline.push("ip=dhcp");
    }
    cmdline.set_init(&[
        "busybox".to_string(),
        "sh".to_string(),
        SCRIPT_PATH.to_string(),
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
        network: Some("user,id=n0".to_string()),
    };
    let outcome = qemu::boot(&config, Console::Captured, log_path, Some(TIMEOUT))?;
    let log = &outcome.log;
    if !log.contains("netcfg: DONE") {
        bail!("the guest did not finish ({})", outcome.summary());
    }
    let mut results: Outcome = Vec::new();
    if runner == Runner::Ferrux {
        let pnp = reported(log, "pnp").unwrap_or_default();
        let routes = reported(log, "dhcp-routes").unwrap_or_default();
        let is_ok = pnp.trim() == "#PROTO: DHCP nameserver 10.0.2.3 bootserver 10.0.2.2"
            && routes.trim() == "2 inet 10.0.2.15/24";
        results.push((
            "net/ip-dhcp",
            (!is_ok).then(|| format!("pnp {pnp:?}, routes and address {routes:?}")),
        ));
    }
    let deconfig = reported(log, "deconfig").unwrap_or_default();
    let configured = reported(log, "config").unwrap_or_default();
    let is_ok =
        deconfig.trim() == "0 0" && configured.trim() == "2 0.0.0.0 10.0.2.2 0.0.0.0 UG 0 0 0 eth0";
    results.push((
        "net/ifconfig-route",
        (!is_ok).then(|| format!("deconfigured {deconfig:?}, configured {configured:?}")),
    ));
    let resolved = reported(log, "resolve").unwrap_or_default();
    let host: Vec<String> = (NAME, 80)
        .to_socket_addrs()
        .map(|addrs| {
            addrs
                .filter(|a| a.is_ipv4())
                .map(|a| a.ip().to_string())
                .collect()
        })
        .unwrap_or_default();
    let is_ok = !host.is_empty()
        && host.iter().any(|ip| {
            resolved
                .split_whitespace()
                .any(|w| w == format!("addr={ip}"))
        });
    results.push((
        "net/getaddrinfo",
        (!is_ok).then(|| format!("the guest resolved {resolved:?}, the host {host:?}")),
    ));
    if outcome.is_kernel_bug() {
        results.push((
            "net/config-exit",
            Some("the kernel reported a bug".to_string()),
        ));
    }
    Ok(results)
}
