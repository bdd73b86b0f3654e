//! Command-line parsing for `cargo xtask`, by hand: `--flag value` and `--flag=value` forms.
//!
//! Key types: [`Command`] and one options struct per subcommand. `--cmd` is split into words
//! like a POSIX shell would (see `cmdline.rs`), so `--cmd "busybox sh -c 'exit 7'"` gives
//! init the argv `busybox sh -c "exit 7"`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cmdline;
use crate::qemu::GuestMemory;
use crate::stress;

pub const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands (each that boots takes --smp N: QEMU's -smp N for both kernels, default 1):
  build [--debug] [--lockdep]
        Build the Ferrux kernel; prints the kernel ELF path as the last line.
        --lockdep  with the lock-order checker (what `test` boots)

  run [--cmd \"PROG ARGS…\"] [--initrd FILE | --image [debian] | --root-disk] [--append \"PARAMS\"]
      [--kernel ELF] [--linux] [--gdb] [--timeout SECS] [--memory SIZE] [--disk IMG]…
      [--net | --hostfwd tcp::8080-:80] [--debug] [--lockdep]
        Boot Ferrux (or Debian's Linux with --linux) in QEMU on the serial console.
        --cmd     run /bin/PROG as init with ARGS (quoted like a shell); xtask exits with
                  init's exit status. Without --cmd, the default initramfs starts an
                  interactive busybox sh (quit QEMU with Ctrl-A x).
        --initrd  use FILE instead of the default busybox initramfs
        --image   the bigger image: busybox plus Debian's bash and python3 with their
                  libraries, copied from the host; its shell is bash
        --image debian  boot Debian 12 from `image debian`'s disk (a copy kept in
                  build/debian/run.img) with root=/dev/vda rw and sysvinit, to a login
                  on ttyS0 (root, password ferrux); with --cmd, init=PROG ARGS
        --append  extra kernel command-line parameters
        --kernel  boot this kernel ELF instead of building one
        --gdb     wait for gdb on :1234 (QEMU -s -S)
        --timeout kill QEMU after SECS seconds (exit status 124)
        --memory  guest RAM, e.g. 512M or 2G (default 1G)
        --root-disk  boot from a 1 GiB ext4 root disk (build/rootdisk/run/root.img, made
                  by mkfs.ext4 -d from the busybox tree on first use and kept): root=/dev/vda
                  rw init=/init, no initramfs on Ferrux, on Linux an initramfs that loads
                  virtio_blk and switch_roots; end with `poweroff -f`
        --disk    attach the raw image IMG as a virtio disk (-drive if=virtio); repeat
                  for vdb, vdc… (Debian's Linux has virtio_blk as a module: the guest
                  must load it)
        --lockdep build with the lock-order checker

  test [--ferrux-only | --linux-only] [--kernel ELF] [--timeout SECS] [--only SUITES]
       [--stress-seconds N] [--stress-seed S]
        Host unit tests, then user-space tests and boot checks on Ferrux (built with the
        lock-order checker) and on Linux (the oracle). --timeout bounds each test-suite boot (default 300). --only runs
        just the named suites or SUITE/TEST entries (no host tests, no boot checks but the
        boot/NAME checks it names); `--only suites` runs every user-space suite and no
        check (CI's `--smp 2` run).
        Suites that exhaust the machine (mempressure) run in boots of their own, in
        512 MiB and 1 GiB guests. The boot check boot/syscall-stress makes random system
        calls for --stress-seconds (default 60; Linux a quarter of it) with seed
        --stress-seed (default: from the clock); `--only syscall-stress` runs just it.
        The boot check boot/smp-stress boots 4 vCPUs and runs fork+exec storms, futex,
        pipe, mmap/munmap, signal and create/unlink races at once for --stress-seconds
        (Linux a quarter), then checks for deadlocks, lost wake-ups and leaked memory;
        `--only stress` runs just it.
        The real-programs check (tests/real) runs Debian's programs on both kernels and
        compares their output; `--only real` runs it, `--only real/GROUP` one group.

  bench [--runs N] [--quick] [--kernel ELF] [--vs ELF] [--only \"NAMES\"] [--no-write]
        [--icount] [--timeout SECS]
        Microbenchmarks (bench/) on Ferrux and Debian's Linux in the same QEMU, booted
        alternately, N runs each (default 5); prints medians, spreads and ratios and
        writes docs/bench.md and docs/bench.json.
        --quick    one run, shorter calibration: a smoke test
        --kernel   kernel A: this Ferrux ELF instead of building one
        --vs       kernel B: compare with this Ferrux ELF instead of Linux (results go to
                   build/bench-vs.md and .json)
        --only     run just these benchmarks (names as in the table)
        --no-write print the table only
        --icount   QEMU -icount shift=0,sleep=off: times become guest instruction counts
                   (1 ns each), repeatable and independent of the host's load
        --timeout  bound for one boot (default 300)

  ltp [--kernel ferrux|linux|both] [--only \"TESTS\"] [--skip \"TESTS\"] [--timeout SECS]
      [--jobs N] [--elf ELF] [--image-mib N] [--update-expected] [--report]
        LTP's runtest/syscalls (built from ../shared/ltp in ~/.cache/ferrux/ltp, reused
        by later runs) on Ferrux and Debian's Linux in the same QEMU, in images of at most
        --image-mib MiB of programs (default 96), --jobs boots at a time (default: one per
        host core). A test that hangs or panics the kernel is reported as such and its image
        restarted after it. Writes docs/ltp.md (Ferrux on the whole list),
        tests/ltp/linux-baseline.txt (when Linux runs) and build/ltp/results-*.txt.
        --only/--skip  test names, `*` wildcards allowed
        --timeout      per-test limit (default 180)
        --elf          boot this Ferrux ELF instead of building one
        --update-expected  add the tests passing on Ferrux (and Linux) to
                       tests/ltp/expected-pass.txt, the ratchet `cargo xtask test` checks
        --report       boot nothing: docs/ltp.md from the last Ferrux run's results
                       (build/ltp) and tests/ltp/linux-baseline.txt
  fuzz [--seconds N] [--seed S] [--children N] [--kernel ELF] [--linux]
        Debian's trinity fuzzer as nobody for N seconds (default 300) with seed S (default:
        from the clock) and N child processes (default 4), on Ferrux built with the
        lock-order checker (or ELF, or Debian's Linux with --linux); then checks that the
        system still forks and execs. Fails on a kernel panic or hang, with the seed.

  image debian
        Build (or find in ~/.cache/ferrux/debian) Debian 12's root on an ext4 image:
        debootstrap --variant=minbase with issue 12's packages from the host's apt
        mirror, then tests/debian/setup.sh; prints the image's path.

  compat [--kernel ELF] [--ferrux-only | --linux-only] [--only \"NAMES\"] [--timeout SECS]
        The checks of tests/debian/compat.txt on Debian's image, one boot per kernel
        (a fresh copy of the image each); writes docs/compat.md (not with --only).

  syscalls [--check]
        Generate docs/syscalls.md (every x86-64 syscall: done, partial or missing) from
        kernel/src/syscall/table.rs. --check writes nothing and fails if the file is stale.

  help
        This text.
";

/// Default bound for one boot of the user-space test suite.
pub const DEFAULT_TEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Default bound for one boot of the benchmark program.
pub const DEFAULT_BENCH_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs per kernel of `cargo xtask bench` without `--runs`.
pub const DEFAULT_BENCH_RUNS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Release,
    Debug,
}

#[derive(Debug)]
pub enum Command {
    Help,
    Build(BuildOptions),
    Run(RunOptions),
    Test(TestOptions),
    Bench(BenchOptions),
    Syscalls(SyscallsOptions),
    Ltp(LtpOptions),
    Fuzz(FuzzOptions),
    /// `image debian`.
    Image,
    Compat(CompatOptions),
}

#[derive(Debug)]
pub struct CompatOptions {
    pub runs_ferrux: bool,
    pub runs_linux: bool,
    pub kernel: Option<PathBuf>,
    /// Only these checks (by name); docs/compat.md is then left alone.
    pub only: Vec<String>,
    /// Bound for one boot (default 1800 s).
    pub boot_timeout: Duration,
}

#[derive(Debug)]
pub struct BuildOptions {
    pub profile: Profile,
    /// `--lockdep`: build with the lock-order checker, as `test` does.
    pub is_lockdep: bool,
}

#[derive(Debug)]
pub struct RunOptions {
    /// Init's argv, `argv[0]` being a name under /bin or an absolute path.
    pub init_argv: Option<Vec<String>>,
    pub initrd: Option<PathBuf>,
    /// `--image`: boot [`crate::run_image`]'s image (Debian's bash and python3).
    pub has_debian_image: bool,
    /// `--image debian`: boot Debian's system from [`crate::debian_image`]'s disk.
    pub has_debian_system: bool,
    pub append: Option<String>,
    pub kernel: Option<PathBuf>,
    pub is_linux: bool,
    pub has_gdb: bool,
    pub timeout: Option<Duration>,
    /// Guest RAM (`--memory`, default 1 GiB).
    pub memory: GuestMemory,
    /// `--disk IMG` (repeatable): raw images attached as virtio disks, `vda` first.
    pub disks: Vec<PathBuf>,
    /// `--root-disk`: boot from `build/rootdisk/run/root.img` (made on first use) as `vda`.
    pub has_root_disk: bool,
    /// `--net` or `--net HOSTFWD`: a virtio network card on QEMU's user network
    /// (`-netdev user,id=n0[,hostfwd=HOSTFWD]`).
    pub network: Option<String>,
    pub profile: Profile,
    /// `--lockdep`: build with the lock-order checker, as `test` does.
    pub is_lockdep: bool,
}

#[derive(Debug)]
pub struct TestOptions {
    pub runs_ferrux: bool,
    pub runs_linux: bool,
    pub kernel: Option<PathBuf>,
    pub suite_timeout: Duration,
    /// `--only "SUITE SUITE/TEST …"`: run just these (no host tests, no boot checks).
    pub only_suites: Vec<String>,
    /// `--stress-seconds`: how long the random-syscall stress runs on Ferrux.
    pub stress_seconds: u64,
    /// `--stress-seed`: its seed (drawn from the clock without it).
    pub stress_seed: Option<u64>,
}

#[derive(Debug)]
pub struct BenchOptions {
    /// Boots per kernel.
    pub runs: usize,
    /// `--quick`: a shorter calibration target (and one run unless `--runs` says otherwise).
    pub is_quick: bool,
    /// Kernel A (Ferrux); built when absent.
    pub kernel: Option<PathBuf>,
    /// Kernel B when it is another Ferrux build; Debian's Linux when absent.
    pub vs: Option<PathBuf>,
    /// Only these benchmarks (empty: all).
    pub only: Vec<String>,
    /// Write `docs/bench.md` and `docs/bench.json` (false with `--no-write`).
    pub writes_results: bool,
    /// `--icount`: boot with `-icount shift=0,sleep=off` (times are instruction counts).
    pub counts_instructions: bool,
    pub boot_timeout: Duration,
}

/// The kernels `cargo xtask ltp` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LtpKernels {
    Ferrux,
    Linux,
    Both,
}

#[derive(Debug)]
pub struct LtpOptions {
    pub kernels: LtpKernels,
    /// `--only`: test names or patterns (empty: all).
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub test_timeout: Duration,
    /// Boots at a time (and folders built at a time).
    pub jobs: usize,
    /// A Ferrux ELF to boot instead of building one.
    pub elf: Option<PathBuf>,
    /// Bytes of programs per image, in MiB.
    pub image_mib: u64,
    pub memory: GuestMemory,
    /// `--update-expected`: add Ferrux's new passes to tests/ltp/expected-pass.txt.
    pub updates_expected: bool,
    /// `--report`: no boots; docs/ltp.md from the last Ferrux results and the baseline.
    pub is_report_only: bool,
}

/// Default per-test limit of `cargo xtask ltp`.
pub const DEFAULT_LTP_TIMEOUT: Duration = Duration::from_secs(180);

/// One boot (or build job) per host core.
pub fn host_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[derive(Debug)]
pub struct FuzzOptions {
    pub seconds: u64,
    pub seed: Option<u64>,
    pub children: u32,
    pub kernel: Option<PathBuf>,
    pub is_linux: bool,
}

#[derive(Debug)]
pub struct SyscallsOptions {
    /// Compare `docs/syscalls.md` with what would be generated instead of writing it.
    pub is_check: bool,
}

impl Command {
    /// Whether the command may compile the kernel (and so needs the pinned toolchain whole).
    pub fn builds_kernel(&self) -> bool {
        match self {
            Command::Help | Command::Syscalls(_) | Command::Image => false,
            Command::Compat(options) => options.kernel.is_none() && options.runs_ferrux,
            Command::Ltp(options) => {
                options.kernels != LtpKernels::Linux
                    && options.elf.is_none()
                    && !options.is_report_only
            }
            Command::Build(_) | Command::Test(_) | Command::Bench(_) => true,
            Command::Run(options) => options.kernel.is_none(),
            Command::Fuzz(options) => options.kernel.is_none() && !options.is_linux,
        }
    }
}

/// Parses the arguments after `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command> {
    let Some((subcommand, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    let mut flags = Flags::new(rest);
    // `--smp N` for every command that boots: QEMU's `-smp N` for both kernels.
    if let Some(text) = flags.value("--smp")? {
        let cpus = text
            .parse::<u32>()
            .ok()
            .filter(|cpus| (1..=64).contains(cpus))
            .with_context(|| format!("--smp wants a CPU count from 1 to 64, got {text:?}"))?;
        crate::qemu::set_smp(cpus);
    }
    let command = match subcommand.as_str() {
        "help" | "--help" | "-h" => Command::Help,
        "build" => Command::Build(BuildOptions {
            profile: parse_profile(&mut flags),
            is_lockdep: flags.switch("--lockdep"),
        }),
        "run" => Command::Run(parse_run(&mut flags)?),
        "test" => Command::Test(parse_test(&mut flags)?),
        "bench" => Command::Bench(parse_bench(&mut flags)?),
        "ltp" => Command::Ltp(parse_ltp(&mut flags)?),
        "fuzz" => Command::Fuzz(parse_fuzz(&mut flags)?),
        "image" => match flags.remaining.first().map(String::as_str) {
            Some("debian") => {
                flags.remaining.remove(0);
                Command::Image
            }
            _ => bail!("`image` builds one image: `cargo xtask image debian`"),
        },
        "compat" => Command::Compat(parse_compat(&mut flags)?),
        "syscalls" => Command::Syscalls(SyscallsOptions {
            is_check: flags.switch("--check"),
        }),
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    };
    flags.finish()?;
    Ok(command)
}

fn parse_profile(flags: &mut Flags) -> Profile {
    if flags.switch("--debug") {
        Profile::Debug
    } else {
        Profile::Release
    }
}

fn parse_run(flags: &mut Flags) -> Result<RunOptions> {
    let init_argv = match flags.value("--cmd")? {
        Some(text) => {
            let words = cmdline::split_shell_words(&text)
                .with_context(|| format!("cannot split --cmd {text:?} into words"))?;
            if words.is_empty() {
                bail!("--cmd needs at least a program name");
            }
            Some(words)
        }
        None => None,
    };
    let initrd = flags.value("--initrd")?.map(PathBuf::from);
    let flags_had_initrd = initrd.is_some();
    let append = flags.value("--append")?;
    let has_debian_system = flags.switch_with_word("--image", "debian");
    if has_debian_system && (flags_had_initrd || flags.remaining.iter().any(|a| a == "--root-disk"))
    {
        bail!("--image debian excludes --initrd and --root-disk");
    }
    // Field order matters: values are taken before switches, so that a value spelled like a
    // switch (`--append --debug`) stays a value.
    Ok(RunOptions {
        init_argv,
        has_debian_image: {
            let has_image = flags.switch("--image");
            if has_image && initrd.is_some() {
                bail!("--image and --initrd exclude each other");
            }
            has_image
        },
        has_debian_system,
        initrd,
        append,
        kernel: flags.value("--kernel")?.map(PathBuf::from),
        is_linux: flags.switch("--linux"),
        has_gdb: flags.switch("--gdb"),
        timeout: flags
            .value("--timeout")?
            .map(|s| parse_seconds(&s))
            .transpose()?,
        memory: flags
            .value("--memory")?
            .map(|text| GuestMemory::parse(&text))
            .transpose()?
            .unwrap_or(GuestMemory::DEFAULT),
        disks: flags
            .values("--disk")?
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        network: match flags.value("--hostfwd")? {
            Some(forward) => Some(format!("user,id=n0,hostfwd={forward}")),
            None if flags.switch("--net") => Some("user,id=n0".to_string()),
            None => None,
        },
        has_root_disk: {
            let has_root_disk = flags.switch("--root-disk");
            if has_root_disk && flags_had_initrd {
                bail!("--root-disk and --initrd exclude each other");
            }
            has_root_disk
        },
        profile: parse_profile(flags),
        is_lockdep: flags.switch("--lockdep"),
    })
}

fn parse_test(flags: &mut Flags) -> Result<TestOptions> {
    // Values first, so that a value spelled like a switch stays a value.
    let kernel = flags.value("--kernel")?.map(PathBuf::from);
    let suite_timeout = match flags.value("--timeout")? {
        Some(text) => parse_seconds(&text)?,
        None => DEFAULT_TEST_TIMEOUT,
    };
    let only_suites: Vec<String> = flags
        .value("--only")?
        .map(|list| list.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let stress_seconds = match flags.value("--stress-seconds")? {
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|seconds| *seconds > 0)
            .with_context(|| format!("--stress-seconds wants a positive count, got {text:?}"))?,
        None => stress::DEFAULT_SECONDS,
    };
    let stress_seed = flags
        .value("--stress-seed")?
        .map(|text| parse_seed(&text))
        .transpose()?;
    let is_ferrux_only = flags.switch("--ferrux-only");
    let is_linux_only = flags.switch("--linux-only");
    if is_ferrux_only && is_linux_only {
        bail!("--ferrux-only and --linux-only exclude each other");
    }
    Ok(TestOptions {
        runs_ferrux: !is_linux_only,
        runs_linux: !is_ferrux_only,
        kernel,
        suite_timeout,
        only_suites,
        stress_seconds,
        stress_seed,
    })
}

fn parse_compat(flags: &mut Flags) -> Result<CompatOptions> {
    let kernel = flags.value("--kernel")?.map(PathBuf::from);
    let boot_timeout = match flags.value("--timeout")? {
        Some(text) => parse_seconds(&text)?,
        None => Duration::from_secs(1800),
    };
    let only = flags
        .value("--only")?
        .map(|list| list.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let ferrux_only = flags.switch("--ferrux-only");
    let linux_only = flags.switch("--linux-only");
    if ferrux_only && linux_only {
        bail!("--ferrux-only and --linux-only exclude each other");
    }
    Ok(CompatOptions {
        runs_ferrux: !linux_only,
        runs_linux: !ferrux_only,
        kernel,
        only,
        boot_timeout,
    })
}

fn parse_fuzz(flags: &mut Flags) -> Result<FuzzOptions> {
    let seconds = match flags.value("--seconds")? {
        Some(text) => parse_positive(&text, "--seconds")?,
        None => crate::fuzz::DEFAULT_SECONDS,
    };
    let seed = flags
        .value("--seed")?
        .map(|text| parse_seed(&text))
        .transpose()?;
    let children = match flags.value("--children")? {
        Some(text) => u32::try_from(parse_positive(&text, "--children")?)
            .with_context(|| format!("--children: {text} is too many"))?,
        None => crate::fuzz::DEFAULT_CHILDREN,
    };
    Ok(FuzzOptions {
        seconds,
        seed,
        children,
        kernel: flags.value("--kernel")?.map(PathBuf::from),
        is_linux: flags.switch("--linux"),
    })
}

/// A count of at least 1.
fn parse_positive(text: &str, flag: &str) -> Result<u64> {
    text.parse::<u64>()
        .ok()
        .filter(|count| *count > 0)
        .with_context(|| format!("{flag} wants a positive count, got {text:?}"))
}

/// A seed in decimal or `0x` hexadecimal.
fn parse_seed(text: &str) -> Result<u64> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse::<u64>(),
    };
    parsed.with_context(|| format!("a seed is a number like 0x1f or 31, got {text:?}"))
}

fn parse_bench(flags: &mut Flags) -> Result<BenchOptions> {
    // Values first, so that a value spelled like a switch stays a value.
    let runs = flags
        .value("--runs")?
        .map(|text| {
            text.parse::<usize>()
                .ok()
                .filter(|runs| *runs > 0)
                .with_context(|| format!("--runs wants a positive count, got {text:?}"))
        })
        .transpose()?;
    let kernel = flags.value("--kernel")?.map(PathBuf::from);
    let vs = flags.value("--vs")?.map(PathBuf::from);
    let only: Vec<String> = flags
        .value("--only")?
        .map(|list| list.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    if let Some(name) = only
        .iter()
        .find(|name| !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        bail!("--only: {name:?} is not a benchmark name");
    }
    let boot_timeout = match flags.value("--timeout")? {
        Some(text) => parse_seconds(&text)?,
        None => DEFAULT_BENCH_TIMEOUT,
    };
    let is_quick = flags.switch("--quick");
    let writes_results = !flags.switch("--no-write");
    let counts_instructions = flags.switch("--icount");
    let default_runs = if is_quick { 1 } else { DEFAULT_BENCH_RUNS };
    Ok(BenchOptions {
        runs: runs.unwrap_or(default_runs),
        is_quick,
        kernel,
        vs,
        only,
        writes_results,
        counts_instructions,
        boot_timeout,
    })
}

fn parse_ltp(flags: &mut Flags) -> Result<LtpOptions> {
    let words = |value: Option<String>| -> Vec<String> {
        value
            .map(|list| list.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    let kernels = match flags.value("--kernel")?.as_deref() {
        None | Some("both") => LtpKernels::Both,
        Some("ferrux") => LtpKernels::Ferrux,
        Some("linux") => LtpKernels::Linux,
        Some(other) => bail!("--kernel wants ferrux, linux or both, got {other:?}"),
    };
    let only = words(flags.value("--only")?);
    let skip = words(flags.value("--skip")?);
    let test_timeout = match flags.value("--timeout")? {
        Some(text) => parse_seconds(&text)?,
        None => DEFAULT_LTP_TIMEOUT,
    };
    let positive = |name: &str, value: Option<String>| -> Result<Option<u64>> {
        value
            .map(|text| {
                text.parse::<u64>()
                    .ok()
                    .filter(|count| *count > 0)
                    .with_context(|| format!("{name} wants a positive count, got {text:?}"))
            })
            .transpose()
    };
    let jobs =
        positive("--jobs", flags.value("--jobs")?)?.map_or_else(host_cores, |jobs| jobs as usize);
    let elf = flags.value("--elf")?.map(PathBuf::from);
    let image_mib = positive("--image-mib", flags.value("--image-mib")?)?
        .unwrap_or(crate::ltp::DEFAULT_IMAGE_MIB);
    let memory = flags
        .value("--memory")?
        .map(|text| GuestMemory::parse(&text))
        .transpose()?
        .unwrap_or(GuestMemory::DEFAULT);
    Ok(LtpOptions {
        kernels,
        only,
        skip,
        test_timeout,
        jobs,
        elf,
        image_mib,
        memory,
        updates_expected: flags.switch("--update-expected"),
        is_report_only: flags.switch("--report"),
    })
}

fn parse_seconds(text: &str) -> Result<Duration> {
    let seconds: f64 = text
        .parse()
        .with_context(|| format!("--timeout wants seconds, got {text:?}"))?;
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("--timeout must be a positive number of seconds, got {text:?}");
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The flags of one subcommand, consumed one name at a time; leftovers are errors.
struct Flags {
    remaining: Vec<String>,
}

impl Flags {
    fn new(args: &[String]) -> Flags {
        Flags {
            remaining: args.to_vec(),
        }
    }

    /// Removes `name WORD` (or `name=WORD`), returning whether it was present.
    fn switch_with_word(&mut self, name: &str, word: &str) -> bool {
        let joined = format!("{name}={word}");
        if let Some(index) = self.remaining.iter().position(|arg| *arg == joined) {
            self.remaining.remove(index);
            return true;
        }
        let found = self
            .remaining
            .windows(2)
            .position(|pair| pair[0] == name && pair[1] == word);
        match found {
            Some(index) => {
                self.remaining.drain(index..index + 2);
                true
            }
            None => false,
        }
    }

    /// Removes a boolean flag, returning whether it was present.
    fn switch(&mut self, name: &str) -> bool {
        let before = self.remaining.len();
        self.remaining.retain(|arg| arg != name);
        self.remaining.len() != before
    }

    /// Removes every `name VALUE` or `name=VALUE`, returning the values in order.
    fn values(&mut self, name: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut index = 0;
        while index < self.remaining.len() {
            let arg = &self.remaining[index];
            if arg == name {
                if index + 1 >= self.remaining.len() {
                    bail!("{name} needs a value");
                }
                found.push(self.remaining.remove(index + 1));
                self.remaining.remove(index);
            } else if let Some(value) = arg
                .strip_prefix(name)
                .and_then(|tail| tail.strip_prefix('='))
            {
                found.push(value.to_string());
                self.remaining.remove(index);
            } else {
                index += 1;
            }
        }
        Ok(found)
    }

    /// Removes `name VALUE` or `name=VALUE`; the last occurrence wins.
    fn value(&mut self, name: &str) -> Result<Option<String>> {
        let mut found = None;
        let mut index = 0;
        while index < self.remaining.len() {
            let arg = &self.remaining[index];
            if arg == name {
                if index + 1 >= self.remaining.len() {
                    bail!("{name} needs a value");
                }
                found = Some(self.remaining.remove(index + 1));
                self.remaining.remove(index);
            } else if let Some(value) = arg
                .strip_prefix(name)
                .and_then(|tail| tail.strip_prefix('='))
            {
                found = Some(value.to_string());
                self.remaining.remove(index);
            } else {
                index += 1;
            }
        }
        Ok(found)
    }

    fn finish(self) -> Result<()> {
        match self.remaining.first() {
            None => Ok(()),
            Some(arg) => bail!("unexpected argument `{arg}` (see `cargo xtask help`)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command> {
        let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        parse(&args)
    }

    #[test]
    fn run_with_cmd_and_flags() {
        let Command::Run(options) = parse_words(&[
            "run",
            "--linux",
            "--cmd",
            "busybox sh -c 'exit 7'",
            "--timeout=30",
            "--memory",
            "512M",
        ])
        .unwrap() else {
            panic!("not run");
        };
        assert_eq!(
            options.init_argv.unwrap(),
            ["busybox", "sh", "-c", "exit 7"]
        );
        assert!(options.is_linux);
        assert!(!options.has_gdb);
        assert_eq!(options.timeout, Some(Duration::from_secs(30)));
        assert_eq!(options.memory, GuestMemory { mib: 512 });
        assert_eq!(options.profile, Profile::Release);
    }

    #[test]
    fn flag_value_may_look_like_a_flag() {
        let Command::Run(options) = parse_words(&["run", "--append", "--debug"]).unwrap() else {
            panic!("not run");
        };
        assert_eq!(options.append.as_deref(), Some("--debug"));
        assert_eq!(options.profile, Profile::Release);
    }

    #[test]
    fn rejects_unknown_flags_and_missing_values() {
        assert!(parse_words(&["build", "--fast"]).is_err());
        assert!(parse_words(&["run", "--cmd"]).is_err());
        assert!(parse_words(&["test", "--ferrux-only", "--linux-only"]).is_err());
        assert!(parse_words(&["run", "--timeout", "soon"]).is_err());
    }

    #[test]
    fn bench_options() {
        let Command::Bench(options) = parse_words(&["bench"]).unwrap() else {
            panic!("not bench");
        };
        assert_eq!(options.runs, DEFAULT_BENCH_RUNS);
        assert!(!options.is_quick && options.writes_results);
        assert!(options.kernel.is_none() && options.vs.is_none() && options.only.is_empty());

        let Command::Bench(options) = parse_words(&[
            "bench",
            "--quick",
            "--no-write",
            "--kernel",
            "a.elf",
            "--vs=b.elf",
            "--only",
            "stat fstat",
        ])
        .unwrap() else {
            panic!("not bench");
        };
        assert_eq!(options.runs, 1);
        assert!(options.is_quick && !options.writes_results);
        assert_eq!(options.kernel, Some(PathBuf::from("a.elf")));
        assert_eq!(options.vs, Some(PathBuf::from("b.elf")));
        assert_eq!(options.only, ["stat", "fstat"]);

        let Command::Bench(options) = parse_words(&["bench", "--runs", "3"]).unwrap() else {
            panic!("not bench");
        };
        assert_eq!(options.runs, 3);
        assert!(parse_words(&["bench", "--runs", "0"]).is_err());
        assert!(parse_words(&["bench", "--runs", "many"]).is_err());
        assert!(parse_words(&["bench", "--only", "a;b"]).is_err());
    }

    #[test]
    fn ltp_options() {
        let Command::Ltp(options) = parse_words(&["ltp"]).unwrap() else {
            panic!("not ltp");
        };
        assert_eq!(options.kernels, LtpKernels::Both);
        assert_eq!(options.jobs, host_cores());
        assert_eq!(options.test_timeout, DEFAULT_LTP_TIMEOUT);
        assert!(options.only.is_empty() && options.skip.is_empty() && !options.updates_expected);
        assert!(Command::Ltp(options).builds_kernel());

        let Command::Ltp(options) = parse_words(&[
            "ltp",
            "--kernel",
            "linux",
            "--only",
            "fcntl* open01",
            "--skip=fcntl02",
            "--jobs",
            "1",
            "--timeout",
            "60",
        ])
        .unwrap() else {
            panic!("not ltp");
        };
        assert_eq!(options.kernels, LtpKernels::Linux);
        assert_eq!(options.only, ["fcntl*", "open01"]);
        assert_eq!(options.skip, ["fcntl02"]);
        assert_eq!(options.jobs, 1);
        assert_eq!(options.test_timeout, Duration::from_secs(60));
        assert!(!Command::Ltp(options).builds_kernel());
        assert!(parse_words(&["ltp", "--kernel", "bsd"]).is_err());
        assert!(parse_words(&["ltp", "--jobs", "0"]).is_err());
    }

    #[test]
    fn test_defaults() {
        let Command::Test(options) = parse_words(&["test", "--linux-only"]).unwrap() else {
            panic!("not test");
        };
        assert!(options.runs_linux && !options.runs_ferrux);
        assert_eq!(options.suite_timeout, DEFAULT_TEST_TIMEOUT);
        assert_eq!(options.stress_seconds, stress::DEFAULT_SECONDS);
        assert_eq!(options.stress_seed, None);

        let Command::Test(options) =
            parse_words(&["test", "--stress-seconds", "5", "--stress-seed=0x1f"]).unwrap()
        else {
            panic!("not test");
        };
        assert_eq!((options.stress_seconds, options.stress_seed), (5, Some(31)));
        assert!(parse_words(&["test", "--stress-seconds", "0"]).is_err());
        assert!(parse_words(&["test", "--stress-seed", "0xzz"]).is_err());
    }
}
