//! `cargo xtask test`: everything CI runs, on Ferrux and on Linux, the oracle.
//!
//! 1. Host unit tests: `cargo test` at the workspace root.
//! 2. The user-space tests of `tests/user`, built once per C library (musl, glibc) into
//!    `build/user/<libc>/`, each packed with the default busybox image into
//!    `build/initramfs-tests-<libc>.cpio` (skipped, with a message, while `tests/user` has no
//!    Makefile).
//! 3. Each kernel boots each image with `rdinit=/bin/ferrux-tests` (Ferrux built with the
//!    lock-order checker, `--features lockdep`); every `TEST` line it prints
//!    is a result, and the boot itself passes only if it printed its `N passed, N failed`
//!    summary and QEMU ended cleanly (a crash or a hang past the timeout fails it). Suites that
//!    exhaust the machine ([`ALONE_SUITES`], registered with `TEST_ALONE`) get boots of their
//!    own, one per guest memory size they list.
//! 4. Boot checks ([`BOOT_CHECKS`]), each its own `TEST boot/…` line; a check of a Ferrux-only
//!    feature (the symbolized panic report) runs on Ferrux only. The random-syscall stress
//!    (`stress.rs`) is one of them, `boot/syscall-stress`; the SMP stress (`smp_stress.rs`,
//!    four vCPUs) another, `boot/smp-stress`.
//! 5. The in-kernel tests (Ferrux only): one boot with `ferrux.ktest=1`, which runs every
//!    `hal::ktest!` test instead of init and prints `TEST ktest/…` lines and a summary, read
//!    like a suite's. `--only ktest` (or `ktest/…` entries) runs just this boot.
//!
//! 6. The LTP ratchet (Ferrux only): every test of `tests/ltp/expected-pass.txt` must pass
//!    (`ltp/mod.rs`, [`ltp::ratchet`]); `--only ltp` (or `ltp/NAME` entries) runs just it.
//! 7. The network server check (`netcheck.rs`, both kernels): Debian's nginx, redis-server
//!    and dropbear in a guest with a virtio network card, used by curl, redis-cli and ssh on
//!    the host, and the host's server fetched by the guest; `--only net` runs just it.
//!
//! Boots run in parallel, one per host core; each boot's full serial log is saved under
//! `build/logs/<kernel>-<what>.log`. The report (see `report.rs`) ends with
//! `total: N passed, N failed`; the exit status is non-zero if anything failed, on Ferrux or
//! on Linux (a test that fails on Linux is a wrong test).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

use anyhow::Result;

use crate::build::{self, Libc, UserTestBinaries};
use crate::check_images::{self, Damage};
use crate::cli::{Profile, TestOptions};
use crate::cmdline::KernelCommandLine;
use crate::initramfs::{self, ExtraFile};
use crate::linux;
use crate::ltp;
use crate::packages::{self, Tool};
use crate::paths;
use crate::qemu::{self, BootConfig, BootOutcome, Console, GuestMemory};
use crate::real;
use crate::report::{Report, Runner, SuiteOutput, TestResult};
use crate::run_image;
use crate::smp_stress;
use crate::stress;

/// Bound for one boot check (they take seconds on Linux under TCG).
const BOOT_CHECK_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the test binaries go inside the images.
const TEST_RUNNER_PATH: &str = "/bin/ferrux-tests";
const FAULT_PATH: &str = "/bin/fault";
const CHILD_HELPER_PATH: &str = "/bin/child-helper";
const STATIC_PIE_PATH: &str = "/bin/static-pie";
/// The busybox shell script of `tests/user/scripts`, in the test images.
const SHELL_TEST_PATH: &str = "/bin/shell-test";
/// The script that runs busybox's /proc readers and compares them with Linux's output.
const PROC_TOOLS_PATH: &str = "/bin/proc-tools";
/// The script that checks the system `cargo xtask run` boots (applets, mounts), run by /init.
const RUN_IMAGE_PATH: &str = "/bin/run-image";

/// A boot whose verdict xtask makes from the console log.
struct BootCheck {
    name: &'static str,
    /// Init's argv: a program under /bin, then its arguments.
    init_argv: &'static [&'static str],
    /// Needs the programs of `tests/user` (`/bin/fault`, `/bin/static-pie`).
    needs_user_binaries: bool,
    /// Kernel parameters added before init's (empty for most checks).
    params: &'static str,
    /// Tests a Ferrux feature that Linux does not have: not run on Linux.
    is_ferrux_only: bool,
    /// The initramfs it boots.
    image: CheckImage,
    /// The guest's memory.
    memory: GuestMemory,
    /// Attaches the test disks of [`crate::disks`] (fresh copies).
    has_disks: bool,
    /// Attaches a fresh ext4 image of [`crate::disks::ext4_disk`] as `vda`.
    ext4_disk: bool,
    /// `Err(reason)` on failure.
    verdict: fn(&BootOutcome) -> Result<(), String>,
}

/// The initramfs of a boot check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckImage {
    /// The image of the user-space tests (or the default one without them).
    Standard,
    /// [`check_images::large`]: `/big` of this many MiB.
    Large { mib: usize },
    /// [`check_images::damaged`].
    Damaged(Damage),
    /// [`run_image`]: `cargo xtask run --image`'s, with Debian's bash and python3.
    DebianRun,
    /// A root file system on a disk ([`crate::rootdisk`]): the check's `params` name it, its
    /// `init_argv` is `init=`'s.
    RootDisk(RootBoot),
}

/// How a root-disk check boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootBoot {
    /// The full image as `vda`. Ferrux: no initramfs at all; Linux: the loader initramfs
    /// (its virtio_blk is a module), which `switch_root`s.
    Direct,
    /// The small image through the loader initramfs and `switch_root`.
    SwitchRoot,
    /// The small image, and the standard initramfs with a missing `rdinit=`: the kernel mounts
    /// the root itself.
    NoRdinit,
    /// As `NoRdinit`, the image partitioned with a GPT (`root=PARTLABEL=`).
    NoRdinitGpt,
    /// No initramfs and no disk: the kernel cannot mount its root and panics.
    Missing,
    /// The small image booted as [`RootBoot::Direct`] boots, with busybox init as init (or
    /// the check's `init=`).
    BusyboxInit,
}

const BOOT_CHECKS: &[BootCheck] = &[
    BootCheck {
        name: "boot/busybox-uname",
        init_argv: &["busybox", "uname", "-a"],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_init_exit_code(outcome, 0x0000)?;
            expect_line(outcome, "a line starting with `Linux `", |line| {
                line.starts_with("Linux ")
            })
        },
    },
    BootCheck {
        name: "boot/busybox-ls",
        init_argv: &["busybox", "ls", "-l", "/"],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_init_exit_code(outcome, 0x0000)?;
            expect_line(outcome, "`bin` listed", |line| line.ends_with(" bin"))?;
            expect_line(outcome, "`dev` listed", |line| line.ends_with(" dev"))
        },
    },
    BootCheck {
        name: "boot/init-segv",
        init_argv: &["fault"],
        needs_user_binaries: true,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| expect_init_exit_code(outcome, 0x000b),
    },
    BootCheck {
        name: "boot/init-exit-status",
        init_argv: &["busybox", "sh", "-c", "exit 7"],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| expect_init_exit_code(outcome, 0x0700),
    },
    BootCheck {
        name: "boot/static-pie",
        init_argv: &["static-pie"],
        needs_user_binaries: true,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_line(outcome, "`static-pie: PASS`", |line| {
                line == "static-pie: PASS"
            })?;
            expect_init_exit_code(outcome, 0x0000)
        },
    },
    BootCheck {
        name: "boot/busybox-shell-script",
        init_argv: &["busybox", "sh", "/bin/shell-test"],
        needs_user_binaries: true,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            if let Some(line) = outcome
                .log
                .lines()
                .find(|line| line.starts_with("shell-test: FAIL"))
            {
                return Err(line.to_string());
            }
            expect_line(outcome, "`shell-test: PASS`", |line| {
                line == "shell-test: PASS"
            })?;
            expect_init_exit_code(outcome, 0x0000)
        },
    },
    BootCheck {
        // busybox mount, df, free, uptime, ps and top reading /proc and /sys, normalised
        // (numbers, spacing, kernel threads) and compared with Linux's output in the script.
        name: "boot/proc-tools",
        init_argv: &["busybox", "sh", "/bin/proc-tools"],
        needs_user_binaries: true,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            if let Some(line) = outcome
                .log
                .lines()
                .find(|line| line.starts_with("proc-tools: FAIL"))
            {
                return Err(line.to_string());
            }
            expect_line(outcome, "`proc-tools: PASS`", |line| {
                line == "proc-tools: PASS"
            })?;
            expect_init_exit_code(outcome, 0x0000)
        },
    },
    BootCheck {
        // The default image's /init (what `cargo xtask run` boots) mounts proc, sysfs,
        // devtmpfs, devpts and tmpfs, and its shell finds every busybox applet by name.
        name: "boot/run-image",
        init_argv: &["/init", "/bin/sh", RUN_IMAGE_PATH],
        needs_user_binaries: true,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            if let Some(line) = outcome
                .log
                .lines()
                .find(|line| line.starts_with("run-image: FAIL"))
            {
                return Err(line.to_string());
            }
            expect_line(outcome, "`run-image: PASS`", |line| {
                line == "run-image: PASS"
            })?;
            expect_init_exit_code(outcome, 0x0000)
        },
    },
    BootCheck {
        // `cargo xtask run --image`'s image: the same system, plus Debian's bash and python3
        // (with C extension modules, a fork pool and a child process).
        name: "boot/run-image-debian",
        init_argv: &["/init", "/usr/bin/bash", run_image::CHECK_PATH],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::DebianRun,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            if let Some(line) = outcome.log.lines().find(|line| line.contains(": FAIL")) {
                return Err(line.to_string());
            }
            expect_line(outcome, "`run-image-debian: PASS`", |line| {
                line == "run-image-debian: PASS"
            })?;
            expect_init_exit_code(outcome, 0x0000)
        },
    },
    BootCheck {
        // Free memory is exact on Ferrux (no caches yet), so 500 fork+exec rounds must give
        // back every page; Linux's free memory moves with its caches.
        name: "boot/fork-exec-no-leak",
        init_argv: &["busybox", "sh", "/bin/shell-test"],
        needs_user_binaries: true,
        params: "",
        is_ferrux_only: true,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            let line = outcome
                .log
                .lines()
                .find(|line| line.starts_with("leak-check: "))
                .ok_or("no `leak-check:` line")?;
            let numbers: Vec<&str> = line
                .split(['=', ' '])
                .filter(|word| word.chars().all(|c| c.is_ascii_digit()) && !word.is_empty())
                .collect();
            match numbers.as_slice() {
                [before, after] if before == after => Ok(()),
                _ => Err(format!("free memory changed: {line}")),
            }
        },
    },
    BootCheck {
        name: "boot/panic-backtrace",
        init_argv: &["busybox", "true"],
        needs_user_binaries: false,
        params: "ferrux.test_panic=1",
        is_ferrux_only: true,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_line(
                outcome,
                "`Kernel panic - not syncing: ferrux.test_panic`",
                |line| line.starts_with("Kernel panic - not syncing: ferrux.test_panic"),
            )?;
            expect_line(
                outcome,
                "backtrace frame ` [<…>] ferrux::test_panic+0x…/0x…`",
                |line| {
                    line.trim_start().starts_with("[<") && line.contains("] ferrux::test_panic+0x")
                },
            )?;
            expect_line(outcome, "frame in `ferrux::kernel_main`", |line| {
                line.contains("] ferrux::kernel_main+0x")
            })?;
            expect_kernel_bug(outcome)
        },
    },
    BootCheck {
        // `cargo xtask test` boots the lockdep build, whose checker must refuse the second
        // order of two locks even though no deadlock happens.
        name: "boot/lockdep-order",
        init_argv: &["busybox", "true"],
        needs_user_binaries: false,
        params: "ferrux.test_lock_bug=order",
        is_ferrux_only: true,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_line(
                outcome,
                "`lockdep: possible circular locking dependency` naming both locks",
                |line| {
                    line.contains("lockdep: possible circular locking dependency")
                        && line.contains("taking `test.first`")
                        && line.contains("holding `test.second`")
                },
            )?;
            expect_kernel_bug(outcome)
        },
    },
    BootCheck {
        name: "boot/sleep-under-spinlock",
        init_argv: &["busybox", "true"],
        needs_user_binaries: false,
        params: "ferrux.test_lock_bug=sleep",
        is_ferrux_only: true,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_line(
                outcome,
                "`BUG: sleeping function called from invalid context`",
                |line| line.contains("BUG: sleeping function called from invalid context"),
            )?;
            expect_line(outcome, "the held spin lock listed", |line| {
                line.contains("`test.first` taken at kernel/src/main.rs")
            })?;
            expect_kernel_bug(outcome)
        },
    },
    BootCheck {
        // The largest round size Linux 6.1 unpacks in a 256 MiB guest: rootfs is a tmpfs that
        // may hold half of the RAM left beside the initrd (docs/facts.md). The image is gzip,
        // so it is inflated as a stream.
        name: "boot/initramfs-64m-in-256m",
        init_argv: &["busybox", "sha256sum", "-c", check_images::BIG_SHA256_PATH],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Large { mib: 64 },
        memory: GuestMemory { mib: 256 },
        has_disks: false,
        ext4_disk: false,
        verdict: expect_big_file_intact,
    },
    BootCheck {
        // 100 MiB: Linux needs 384 MiB for it (in 256 and 320 MiB its tmpfs fills up).
        name: "boot/initramfs-100m-in-384m",
        init_argv: &["busybox", "sha256sum", "-c", check_images::BIG_SHA256_PATH],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Large { mib: 100 },
        memory: GuestMemory { mib: 384 },
        has_disks: false,
        ext4_disk: false,
        verdict: expect_big_file_intact,
    },
    BootCheck {
        name: "boot/initramfs-truncated",
        init_argv: DAMAGED_IMAGE_INIT,
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Damaged(Damage::Truncated),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| expect_partly_unpacked(outcome, "read error"),
    },
    BootCheck {
        name: "boot/initramfs-corrupt",
        init_argv: DAMAGED_IMAGE_INIT,
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Damaged(Damage::Corrupt),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| expect_partly_unpacked(outcome, "no cpio magic"),
    },
    BootCheck {
        // The whole of vda read in the guest hashes as the image on the host (the Linux
        // boot loads Debian's virtio modules first; on Ferrux the insmods fail quietly).
        name: "boot/disk-sha256",
        init_argv: &[
            "busybox",
            "sh",
            "-c",
            "for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
             virtio_blk; do busybox insmod /lib/modules/virtio/$m.ko 2>/dev/null; done; \
             busybox mount -t devtmpfs devtmpfs /dev && busybox dd if=/dev/vda bs=65536 | \
             busybox sha256sum",
        ],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: true,
        ext4_disk: false,
        verdict: |outcome| {
            expect_init_exit_code(outcome, 0x0000)?;
            let want = crate::disks::sha256_hex(&crate::disks::mbr_disk())
                .map_err(|error| format!("host sha256sum: {error:#}"))?;
            expect_line(outcome, &format!("vda's sha256 {want}"), |line| {
                line.starts_with(&want)
            })
        },
    },
    BootCheck {
        // `mount -t ext4` of an image that mkfs.ext4 -d populated (vda): read its files, then
        // create, write, rename, link and delete (a file read after its last name went),
        // unmount, mount again and look; e2fsck -fn on the host afterwards.
        name: "boot/ext4-mount",
        init_argv: &["busybox", "sh", "-c", EXT4_CHECK_SCRIPT],
        needs_user_binaries: false,
        params: "",
        is_ferrux_only: false,
        image: CheckImage::Standard,
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: true,
        verdict: expect_ext4_round_trip,
    },
    BootCheck {
        // The root file system from a 1 GiB ext4 disk (issue 9): tar round trip, cp -a, find,
        // du, df, mount, sync, then poweroff and e2fsck -fn on the host.
        name: "boot/root-disk",
        init_argv: &["/bin/busybox", "sh", "/test.sh", "full"],
        needs_user_binaries: false,
        params: "root=/dev/vda rw",
        is_ferrux_only: false,
        image: CheckImage::RootDisk(RootBoot::Direct),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: expect_full_root_disk,
    },
    BootCheck {
        // An initramfs whose /init mounts the disk and runs busybox switch_root.
        name: "boot/root-switch",
        init_argv: &["/bin/busybox", "sh", "/test.sh", "quick"],
        needs_user_binaries: false,
        params: "root=/dev/vda ro",
        is_ferrux_only: true,
        image: CheckImage::RootDisk(RootBoot::SwitchRoot),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: expect_quick_root_disk,
    },
    BootCheck {
        // An initramfs without the rdinit= program: the kernel mounts root= itself (partition
        // 1 of an MBR disk, named by its PARTUUID), read-only by default.
        name: "boot/root-rdinit",
        init_argv: &["/bin/busybox", "sh", "/test.sh", "quick"],
        needs_user_binaries: false,
        params: "rdinit=/no-such-init root=PARTUUID=F3A1B2C4-01 rootfstype=ext4 rootwait",
        is_ferrux_only: true,
        image: CheckImage::RootDisk(RootBoot::NoRdinit),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: expect_quick_root_disk,
    },
    BootCheck {
        // As boot/root-rdinit, partition 1 of a GPT disk named by its GPT name.
        name: "boot/root-partlabel",
        init_argv: &["/bin/busybox", "sh", "/test.sh", "quick"],
        needs_user_binaries: false,
        params: "rdinit=/no-such-init root=PARTLABEL=ferrux-root rootfstype=ext4 rootwait",
        is_ferrux_only: true,
        image: CheckImage::RootDisk(RootBoot::NoRdinitGpt),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| quick_root_disk(outcome, "boot/root-partlabel"),
    },
    BootCheck {
        // busybox init from the root disk (no init=): its `poweroff` runs the inittab's
        // `umount -a -r`, which remounts / read-only, then powers off.
        name: "boot/root-init",
        init_argv: &[],
        needs_user_binaries: false,
        params: "root=/dev/vda rw",
        is_ferrux_only: false,
        image: CheckImage::RootDisk(RootBoot::BusyboxInit),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            let want = "written=e071f707df7bbeee2a6a1eb48011ddd0  -";
            expect_line(outcome, &format!("`{want}`"), |line| line == want)?;
            // umount of / itself remounts it read-only and succeeds (do_umount_root), so
            // busybox has nothing to fall back on.
            if let Some(line) = outcome
                .log
                .lines()
                .find(|line| line.contains("busy - remounted"))
            {
                return Err(format!("umount / failed: {}", line.trim()));
            }
            expect_clean_power_off(outcome, "boot/root-init")
        },
    },
    BootCheck {
        // devtmpfs.mount=1 (Debian's image boots with it: nothing else mounts its /dev before
        // sysvinit's gettys open /dev/ttyS0): /dev is devtmpfs when init starts.
        name: "boot/root-devtmpfs",
        init_argv: &["/bin/busybox", "sh", "/test.sh", "devtmpfs"],
        needs_user_binaries: false,
        params: "root=/dev/vda rw devtmpfs.mount=1",
        is_ferrux_only: false,
        image: CheckImage::RootDisk(RootBoot::BusyboxInit),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            expect_line(outcome, "`dev-mount: devtmpfs /dev devtmpfs`", |line| {
                line == "dev-mount: devtmpfs /dev devtmpfs"
            })?;
            expect_line(outcome, "`dev-vda=present`", |line| {
                line == "dev-vda=present"
            })
        },
    },
    BootCheck {
        // root= names no disk and there is no initramfs: Linux's panic.
        name: "boot/root-missing",
        init_argv: &["/bin/busybox", "true"],
        needs_user_binaries: false,
        params: "root=/dev/vda",
        is_ferrux_only: false,
        image: CheckImage::RootDisk(RootBoot::Missing),
        memory: GuestMemory::DEFAULT,
        has_disks: false,
        ext4_disk: false,
        verdict: |outcome| {
            let want =
                "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)";
            expect_line(outcome, &format!("`{want}`"), |line| line.ends_with(want))
        },
    },
];

/// The ext4 check's init (Debian's Linux needs its virtio modules; on Ferrux the insmods fail
/// quietly).
const EXT4_CHECK_SCRIPT: &str = "for m in virtio virtio_ring virtio_pci_modern_dev \
    virtio_pci_legacy_dev virtio_pci virtio_blk; do busybox insmod /lib/modules/virtio/$m.ko \
    2>/dev/null; done; busybox mount -t devtmpfs devtmpfs /dev; busybox mkdir -p /mnt; \
    busybox mount -t ext4 /dev/vda /mnt; echo mount=$?; busybox cat /mnt/hello; \
    busybox md5sum /mnt/dir/numbers; echo link=$(busybox readlink /mnt/link); \
    busybox mkdir /mnt/new && echo made > /mnt/new/file && busybox seq 1 5000 > /mnt/new/seq; \
    busybox mv /mnt/new/seq /mnt/seq2; busybox rm /mnt/dir/numbers; \
    busybox ln /mnt/hello /mnt/hardlink; busybox rmdir /mnt/dir; echo rmdir=$?; \
    busybox seq 1 3000 > /mnt/doomed; exec 3< /mnt/doomed; busybox rm /mnt/doomed; \
    echo doomed=$(busybox wc -l <&3); exec 3<&-; \
    busybox dd if=/dev/zero bs=65536 count=64 2>/dev/null | busybox tr '\\0' x > /mnt/big; \
    busybox dd if=/mnt/seq2 of=/mnt/big bs=1000 seek=7 conv=notrunc 2>/dev/null; \
    busybox truncate -s 3000000 /mnt/big; echo big=$(busybox md5sum < /mnt/big); \
    busybox seq 1 100 > /mnt/synced; busybox sync; echo 3 > /proc/sys/vm/drop_caches; \
    echo drop=$(busybox md5sum < /mnt/big); \
    busybox umount /mnt; echo umount=$?; busybox mount -t ext4 -o ro /dev/vda /mnt; \
    echo names: $(busybox ls /mnt); echo links=$(busybox stat -c %h /mnt/hello); \
    busybox cat /mnt/new/file; busybox wc -l /mnt/seq2; echo after=$(busybox md5sum < /mnt/big); \
    busybox wc -l /mnt/synced; busybox umount /mnt";

/// Bound for the full root-disk check (its data round trip is long under TCG).
const ROOT_DISK_TIMEOUT: Duration = Duration::from_secs(420);

/// The runner whose banner `outcome` shows.
fn runner_of(outcome: &BootOutcome) -> &'static str {
    if outcome.log.contains("(Ferrux") {
        "ferrux"
    } else {
        "linux"
    }
}

/// The image a root-disk check booted (the runner's copy).
fn root_image_of(outcome: &BootOutcome, check: &str) -> PathBuf {
    paths::build_dir()
        .join("rootdisk")
        .join(format!(
            "{}-{}",
            runner_of(outcome),
            check.replace('/', "-")
        ))
        .join("root.img")
}

/// The guest powered off (no init exit, no crash, no timeout), and the image of `check` (none
/// when empty) checks clean.
fn expect_clean_power_off(outcome: &BootOutcome, check: &str) -> Result<(), String> {
    if let Some(exit) = outcome.init_exit() {
        return Err(format!("{exit} instead of powering off"));
    }
    if outcome.is_timed_out || !outcome.qemu_status.success() {
        return Err(outcome.summary());
    }
    if check.is_empty() {
        return Ok(());
    }
    crate::rootdisk::e2fsck(&root_image_of(outcome, check))
}

/// `/test.sh full` went through on the root the kernel (Ferrux) or the loader (Linux) mounted.
fn expect_full_root_disk(outcome: &BootOutcome) -> Result<(), String> {
    let root_line = if runner_of(outcome) == "ferrux" {
        "root-mount: /dev/root / ext4 rw,relatime 0 0"
    } else {
        "root-mount: /dev/vda / ext4 rw,relatime 0 0"
    };
    expect_line(outcome, &format!("`{root_line}`"), |line| line == root_line)?;
    for step in [
        "tar-create",
        "tar-extract",
        "restore-sha256",
        "cp-a",
        "copy-sha256",
        "sync",
    ] {
        expect_line(outcome, &format!("step {step} ok"), |line| {
            line.starts_with(&format!("step {step} ok at "))
        })?;
    }
    for want in ["listing-equal=ok", "mount-lists-root=ok"] {
        expect_line(outcome, &format!("`{want}`"), |line| line == want)?;
    }
    let files = crate::rootdisk::RootImage::FULL
        .data_files()
        .map_err(|error| format!("{error:#}"))?;
    let want = format!("find: {files} files");
    expect_line(outcome, &format!("`{want}`"), |line| line == want)?;
    let data_kib = crate::rootdisk::DATA_MIB * 1024;
    let number_after = |prefix: &str| -> Option<u64> {
        outcome
            .log
            .lines()
            .find_map(|line| line.trim_end().strip_prefix(prefix)?.trim().parse().ok())
    };
    match number_after("du-kib: ") {
        Some(kib) if kib >= data_kib => {}
        other => {
            return Err(format!(
                "du -sk of the copy: {other:?}, want at least {data_kib}"
            ));
        }
    }
    match number_after("df-used-kib: ") {
        Some(kib) if kib >= 3 * data_kib => {}
        other => {
            return Err(format!(
                "df's used KiB: {other:?}, want at least {}",
                3 * data_kib
            ));
        }
    }
    if runner_of(outcome) == "linux" {
        let want = "old-root-files: 0";
        expect_line(outcome, &format!("`{want}`"), |line| line == want)?;
    }
    expect_clean_power_off(outcome, "boot/root-disk")
}

/// `/test.sh quick`: the root came up read-only, took a remount read-write and a write.
fn expect_quick_root_disk(outcome: &BootOutcome) -> Result<(), String> {
    let check = if outcome.log.contains("loader: switching to") {
        "boot/root-switch"
    } else {
        "boot/root-rdinit"
    };
    quick_root_disk(outcome, check)
}

/// [`expect_quick_root_disk`] for `check`.
fn quick_root_disk(outcome: &BootOutcome, check: &str) -> Result<(), String> {
    let (before, after) = if check == "boot/root-switch" {
        (
            "root-mount: /dev/vda / ext4 ro,relatime 0 0",
            "root-mount-after: /dev/vda / ext4 rw,relatime 0 0",
        )
    } else {
        (
            "root-mount: /dev/root / ext4 ro,relatime 0 0",
            "root-mount-after: /dev/root / ext4 rw,relatime 0 0",
        )
    };
    let numbers = "written=e071f707df7bbeee2a6a1eb48011ddd0  -";
    let mut wanted = vec![before, "ro-write=refused", "remount-rw=ok", numbers, after];
    if check == "boot/root-switch" {
        wanted.push("old-root-files: 0");
    } else {
        let mounted = "VFS: Mounted root (ext4 filesystem) readonly on device 254:1.";
        expect_line(outcome, &format!("`{mounted}`"), |line| {
            line.ends_with(mounted)
        })?;
    }
    for want in wanted {
        expect_line(outcome, &format!("`{want}`"), |line| line == want)?;
    }
    if check != "boot/root-switch" {
        // A partitioned image: its file system is checked on its own.
        expect_clean_power_off(outcome, "")?;
        return crate::rootdisk::e2fsck_partition(&root_image_of(outcome, check));
    }
    expect_clean_power_off(outcome, check)
}

/// What the ext4 check prints on a kernel whose ext4 works.
fn expect_ext4_round_trip(outcome: &BootOutcome) -> Result<(), String> {
    for want in [
        "mount=0",
        "hello from the host",
        "e071f707df7bbeee2a6a1eb48011ddd0  /mnt/dir/numbers",
        "link=hello",
        "rmdir=0",
        "doomed=3000",
        "umount=0",
        "names: big hardlink hello link lost+found new seq2 synced",
        "links=2",
        "made",
        "5000 /mnt/seq2",
        "100 /mnt/synced",
    ] {
        expect_line(outcome, &format!("`{want}`"), |line| line == want)?;
    }
    // The file written through the page cache reads the same from the cache, after its
    // clean pages were dropped, and after the remount.
    let sums: Vec<&str> = ["big=", "drop=", "after="]
        .iter()
        .map(|key| {
            outcome
                .log
                .lines()
                .find_map(|line| line.trim_end().strip_prefix(key))
                .unwrap_or("")
        })
        .collect();
    if sums[0].is_empty() || sums.iter().any(|sum| *sum != sums[0]) {
        return Err(format!("checksums of /mnt/big differ: {sums:?}"));
    }
    expect_init_exit_code(outcome, 0x0000)?;
    // The image the guest wrote must check clean (the runner's copy, by the banner).
    let runner = if outcome.log.contains("-ferrux (Ferrux") {
        "ferrux"
    } else {
        "linux"
    };
    let image = paths::build_dir()
        .join("disks")
        .join(format!("{runner}-boot-ext4-mount"))
        .join("ext4.img");
    let out = std::process::Command::new("/sbin/e2fsck")
        .arg("-fn")
        .arg(&image)
        .output()
        .map_err(|error| format!("e2fsck: {error}"))?;
    if !out.status.success() {
        return Err(format!(
            "e2fsck -fn {}:\n{}",
            image.display(),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(())
}

/// Init of the damaged images: what came before the damage is there (`/filler` at the size its
/// header gave, as Linux truncates a file to it before the data), what came after is not.
const DAMAGED_IMAGE_INIT: &[&str] = &[
    "busybox",
    "sh",
    "-c",
    "test -x /bin/busybox && test ! -e /after && busybox wc -c /filler",
];

/// The large image unpacked whole: no unpacking failure, and `sha256sum -c` passed.
fn expect_big_file_intact(outcome: &BootOutcome) -> Result<(), String> {
    if let Some(line) = outcome
        .log
        .lines()
        .find(|line| line.contains("Initramfs unpacking failed"))
    {
        return Err(line.trim().to_string());
    }
    let ok_line = format!("{}: OK", check_images::BIG_PATH);
    expect_line(outcome, &format!("`{ok_line}`"), |line| line == ok_line)?;
    expect_init_exit_code(outcome, 0x0000)
}

/// A damaged image: the kernel logged Linux's reason and ran the init unpacked before.
fn expect_partly_unpacked(outcome: &BootOutcome, reason: &str) -> Result<(), String> {
    let logged = format!("Initramfs unpacking failed: {reason}");
    expect_line(outcome, &format!("`{logged}`"), |line| {
        line.contains(&logged)
    })?;
    let size_line = format!("{} {}", check_images::FILLER_LEN, check_images::FILLER_PATH);
    expect_line(outcome, &format!("`{size_line}`"), |line| line == size_line)?;
    expect_init_exit_code(outcome, 0x0000)
}

fn expect_kernel_bug(outcome: &BootOutcome) -> Result<(), String> {
    if outcome.is_kernel_bug() {
        Ok(())
    } else {
        Err(format!(
            "expected the kernel-bug exit status, but {}",
            outcome.summary()
        ))
    }
}

fn expect_init_exit_code(outcome: &BootOutcome, wait_status: u32) -> Result<(), String> {
    match outcome.init_exit() {
        Some(exit) if exit.wait_status == wait_status => Ok(()),
        Some(exit) => Err(format!(
            "expected exitcode=0x{wait_status:08x}, got exitcode=0x{:08x} ({exit})",
            exit.wait_status
        )),
        None => Err(format!(
            "expected exitcode=0x{wait_status:08x}, but {}",
            outcome.summary()
        )),
    }
}

fn expect_line(
    outcome: &BootOutcome,
    what: &str,
    is_wanted: impl Fn(&str) -> bool,
) -> Result<(), String> {
    if outcome.log.lines().map(str::trim_end).any(is_wanted) {
        Ok(())
    } else {
        Err(format!("no {what} in the console output"))
    }
}

/// An image for the test boots, with what it contains.
struct TestImage {
    /// `musl`, `glibc`, or `default` without user-space tests.
    label: String,
    initrd: PathBuf,
    has_test_runner: bool,
    has_user_binaries: bool,
}

/// What a boot is for.
enum BootPurpose {
    Suite,
    Check(&'static BootCheck),
    /// The in-kernel tests (`ferrux.ktest=1`).
    KernelTests,
    /// The random-syscall stress (`stress.rs`), with its seed and length.
    Stress {
        seed: u64,
        seconds: u64,
    },
    /// The SMP stress (`smp_stress.rs`), with its length.
    SmpStress {
        seconds: u64,
    },
    /// The real-programs groups (`real.rs`); Linux's outputs are kept in `linux_dir`.
    Real {
        groups: Vec<String>,
        linux_dir: PathBuf,
    },
}

/// The `--only` entry for every user-space suite (the runner boots and the boots of
/// [`ALONE_SUITES`]) without the boot checks, LTP or the host tests: what CI runs at `-smp 2`.
const ALL_SUITES_ENTRY: &str = "suites";

/// The kernel parameter that makes Ferrux run its in-kernel tests instead of init.
const KTEST_PARAM: &str = "ferrux.ktest=1";
/// Where the test images carry Linux's virtio modules (tests/user/blk loads them in order).
const VIRTIO_MODULES_DIR: &str = "/lib/modules/virtio";
/// Where the test images carry Linux's loop module (tests/user/blk/loop.c loads it).
const LOOP_MODULE_DIR: &str = "/lib/modules";

/// Whether an `--only` entry names a boot check (`boot/…`).
fn is_check_entry(entry: &str) -> bool {
    BOOT_CHECKS.iter().any(|check| check.name == entry)
}

/// The crash-consistency check (`crash.rs`, Ferrux only): without `--only`, or for its
/// `crash` entry.
fn run_crash_check(options: &TestOptions, kernels: &[(Runner, PathBuf)], report: &mut Report) {
    if !options.only_suites.is_empty()
        && !options
            .only_suites
            .iter()
            .any(|entry| entry == crate::crash::ONLY_ENTRY)
    {
        return;
    }
    let Some((_, kernel)) = kernels.iter().find(|(runner, _)| *runner == Runner::Ferrux) else {
        return;
    };
    let seed = options.stress_seed.unwrap_or_else(stress::clock_seed);
    for result in crate::crash::run(kernel, seed) {
        report.add(result);
    }
}

/// Whether an `--only` entry names the LTP ratchet (`ltp`, or `ltp/NAME` for some of its tests).
fn is_ltp_entry(entry: &str) -> bool {
    entry == "ltp" || entry.starts_with("ltp/")
}

/// The LTP ratchet (`tests/ltp/expected-pass.txt`) on Ferrux, after the other boots: without
/// `--only`, or for its `ltp` / `ltp/NAME` entries.
fn run_ltp_ratchet(options: &TestOptions, kernels: &[(Runner, PathBuf)], report: &mut Report) {
    let entries: Vec<&String> = options
        .only_suites
        .iter()
        .filter(|entry| is_ltp_entry(entry))
        .collect();
    if !options.only_suites.is_empty() && entries.is_empty() {
        return;
    }
    let Some((_, kernel)) = kernels.iter().find(|(runner, _)| *runner == Runner::Ferrux) else {
        return;
    };
    let only: Vec<String> = entries
        .iter()
        .filter_map(|entry| entry.strip_prefix("ltp/"))
        .map(str::to_string)
        .collect();
    let jobs = thread::available_parallelism().map_or(1, usize::from);
    let results = ltp::ratchet(kernel, &only, jobs);
    let failed = results.iter().filter(|result| !result.is_passed).count();
    println!(
        "[ferrux] ltp (expected to pass): {} passed, {failed} failed",
        results.len() - failed
    );
    for result in results {
        if !result.is_passed {
            println!("    {}", result.line);
        }
        report.add(result);
    }
}

/// Whether an `--only` entry names the in-kernel tests.
fn is_ktest_entry(entry: &str) -> bool {
    entry == "ktest" || entry.starts_with("ktest/")
}

/// The length and seed of the random-syscall stress (`--stress-seconds`, `--stress-seed`).
#[derive(Debug, Clone, Copy)]
struct StressPlan {
    seconds: u64,
    seed: u64,
}

struct BootJob {
    runner: Runner,
    group: String,
    config: BootConfig,
    log_path: PathBuf,
    timeout: Duration,
    purpose: BootPurpose,
}

pub fn run(options: &TestOptions) -> Result<ExitCode> {
    packages::ensure(Tool::FOR_TEST)?;
    let mut report = Report::default();

    // `--only` is for iterating on some suites: no host tests, no boot checks.
    if options.only_suites.is_empty() {
        println!("=== host unit tests: cargo test ===");
        let host_tests = build::run_host_unit_tests();
        report.add(TestResult::new(
            Runner::Host,
            "cargo test",
            "host/cargo-test",
            host_tests.err().map(|error| format!("{error:#}")),
            None,
        ));
    }

    let images = build_test_images(&mut report, options.runs_linux)?;
    let kernels = prepare_kernels(options, &mut report);
    let stress_plan = StressPlan {
        seconds: options.stress_seconds,
        seed: options.stress_seed.unwrap_or_else(stress::clock_seed),
    };
    let mut jobs = plan_real_boots(options, &kernels, &mut report)?;
    jobs.extend(plan_boots(
        &kernels,
        &images,
        options.suite_timeout,
        &options.only_suites,
        stress_plan,
    )?);
    let real_comparison = jobs.iter().find_map(|job| match &job.purpose {
        BootPurpose::Real { groups, linux_dir } if job.runner == Runner::Ferrux => {
            Some((groups.clone(), linux_dir.clone(), job.log_path.clone()))
        }
        _ => None,
    });
    run_boots(jobs, &mut report);
    if let Some((groups, linux_dir, ferrux_log)) = real_comparison {
        for result in real::ferrux_results(&groups, &linux_dir, &ferrux_log) {
            println!("    [ferrux] {}", result.line);
            report.add(result);
        }
    }
    run_crash_check(options, &kernels, &mut report);
    run_ltp_ratchet(options, &kernels, &mut report);
    crate::netcheck::run(options, &kernels, &mut report);
    crate::netcfg::run(options, &kernels, &mut report);
    crate::compat::test_run(&options.only_suites, &kernels, &mut report);

    report.print();
    Ok(if report.failed_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Builds the user-space tests and one image per C library; the default image without them.
fn build_test_images(report: &mut Report, runs_linux: bool) -> Result<Vec<TestImage>> {
    let mut images = Vec::new();
    // Debian's kernel has virtio_blk and loop as modules: the blk and loop suites load these
    // on Linux.
    let mut modules = Vec::new();
    if runs_linux {
        match linux::virtio_modules() {
            Ok(virtio) => modules.extend(virtio),
            Err(error) => {
                println!("xtask: no virtio modules for Linux ({error:#}): its blk suite will fail");
            }
        }
        match linux::loop_module() {
            Ok(module) => modules.push(module),
            Err(error) => {
                println!("xtask: no loop module for Linux ({error:#}): its loop suite will fail");
            }
        }
    }
    if build::has_user_tests() {
        for libc in Libc::ALL {
            println!("=== user-space tests: build for {} ===", libc.name());
            match build::build_user_tests(libc) {
                Ok(binaries) => {
                    report.add(user_build_result(libc, None));
                    images.push(test_image(&binaries, &modules)?);
                }
                Err(error) => report.add(user_build_result(libc, Some(format!("{error:#}")))),
            }
        }
    } else {
        println!(
            "xtask: tests/user has no Makefile yet: skipping the user-space test suites and the \
             boot checks that need its programs"
        );
    }
    if images.is_empty() {
        images.push(TestImage {
            label: "default".to_string(),
            initrd: initramfs::write_default()?,
            has_test_runner: false,
            has_user_binaries: false,
        });
    }
    Ok(images)
}

fn user_build_result(libc: Libc, failure: Option<String>) -> TestResult {
    let name = format!("build/user-{}", libc.name());
    TestResult::new(Runner::Host, "user-space test build", &name, failure, None)
}

fn test_image(binaries: &UserTestBinaries, modules: &[PathBuf]) -> Result<TestImage> {
    let label = binaries.libc.name().to_string();
    let mut extras = vec![
        ExtraFile {
            image_path: TEST_RUNNER_PATH.to_string(),
            host_path: binaries.test_runner.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: FAULT_PATH.to_string(),
            host_path: binaries.fault.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: CHILD_HELPER_PATH.to_string(),
            host_path: binaries.child_helper.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: STATIC_PIE_PATH.to_string(),
            host_path: binaries.static_pie.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: stress::PATH.to_string(),
            host_path: binaries.syscall_stress.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: smp_stress::PATH.to_string(),
            host_path: binaries.smp_stress.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: SHELL_TEST_PATH.to_string(),
            host_path: paths::repo_root().join("tests/user/scripts/shell-test.sh"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: PROC_TOOLS_PATH.to_string(),
            host_path: paths::repo_root().join("tests/user/scripts/proc-tools.sh"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: RUN_IMAGE_PATH.to_string(),
            host_path: paths::repo_root().join("tests/user/scripts/run-image.sh"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: "/bin/dyn-helper".to_string(),
            host_path: binaries.dyn_helper.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: "/bin/dyn-helper-nopie".to_string(),
            host_path: binaries.dyn_helper_nopie.clone(),
            mode: 0o755,
        },
        ExtraFile {
            image_path: "/lib/libferrux-dltest.so".to_string(),
            host_path: binaries.dltest_library.clone(),
            mode: 0o755,
        },
    ];
    extras.extend(initramfs::c_library_files());
    for module in modules {
        if let Some(name) = module.file_name() {
            let name = name.to_string_lossy();
            let dir = if name == "loop.ko" {
                LOOP_MODULE_DIR
            } else {
                VIRTIO_MODULES_DIR
            };
            extras.push(ExtraFile {
                image_path: format!("{dir}/{name}"),
                host_path: module.clone(),
                mode: 0o644,
            });
        }
    }
    let initrd = initramfs::write_with_extras(&format!("initramfs-tests-{label}"), &extras)?;
    Ok(TestImage {
        label,
        initrd,
        has_test_runner: true,
        has_user_binaries: true,
    })
}

/// The kernels to test, in order: Ferrux, then Linux. A kernel that cannot be had is a failure.
fn prepare_kernels(options: &TestOptions, report: &mut Report) -> Vec<(Runner, PathBuf)> {
    let mut kernels = Vec::new();
    if options.runs_ferrux {
        let elf = match &options.kernel {
            Some(elf) => Ok(elf.clone()),
            None => {
                println!("=== Ferrux: cargo xtask build ===");
                build::build_kernel(Profile::Release, build::Checks::Lockdep)
            }
        };
        match elf {
            Ok(elf) => kernels.push((Runner::Ferrux, elf)),
            Err(error) => report.add(TestResult::new(
                Runner::Ferrux,
                "kernel build",
                "ferrux/build",
                Some(format!("{error:#}")),
                None,
            )),
        }
    }
    if options.runs_linux {
        match linux::kernel_image() {
            Ok(image) => kernels.push((Runner::Linux, image)),
            Err(error) => report.add(TestResult::new(
                Runner::Linux,
                "kernel download",
                "linux/download",
                Some(format!("{error:#}")),
                None,
            )),
        }
    }
    kernels
}

/// The real-programs boots (`real.rs`), first in the queue as they are the longest: one per
/// kernel, and a Linux boot for the oracle's output under `--ferrux-only` when none is kept.
fn plan_real_boots(
    options: &TestOptions,
    kernels: &[(Runner, PathBuf)],
    report: &mut Report,
) -> Result<Vec<BootJob>> {
    let groups = real::selected_groups(&options.only_suites)?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    println!("=== real programs: image ===");
    let prepared = match real::prepare(&groups) {
        Ok(prepared) => prepared,
        Err(error) => {
            report.add(TestResult::new(
                Runner::Host,
                real::REPORT_GROUP,
                "real/image",
                Some(format!("{error:#}")),
                None,
            ));
            return Ok(Vec::new());
        }
    };
    real::clear_ferrux_outputs()?;
    let mut runners: Vec<(Runner, PathBuf)> = kernels.to_vec();
    let linux_kernel = match kernels.iter().find(|(runner, _)| *runner == Runner::Linux) {
        Some((_, kernel)) => Some(kernel.clone()),
        None => linux::kernel_image().ok(),
    };
    let Some(linux_kernel) = linux_kernel else {
        report.add(TestResult::new(
            Runner::Linux,
            real::REPORT_GROUP,
            "real/linux-output",
            Some("no Linux kernel to make the outputs to compare with".to_string()),
            None,
        ));
        return Ok(Vec::new());
    };
    let linux_dir = real::linux_output_dir(&prepared.initrd, &linux_kernel);
    if !options.runs_linux && !real::has_outputs(&linux_dir, &prepared.groups) {
        println!("xtask: no Linux output of the real programs kept: booting Linux for it");
        runners.push((Runner::Linux, linux_kernel.clone()));
    }
    let init_argv: Vec<&str> = prepared.init_argv.iter().map(String::as_str).collect();
    let image = TestImage {
        label: "real".to_string(),
        initrd: prepared.initrd.clone(),
        has_test_runner: false,
        has_user_binaries: false,
    };
    let mut jobs = Vec::new();
    for (runner, kernel) in runners {
        jobs.push(BootJob {
            runner,
            group: real::REPORT_GROUP.to_string(),
            config: boot_config(&kernel, &image, "", &init_argv, real::GUEST_MEMORY)?,
            log_path: paths::logs_dir().join(format!("{runner}-real.log")),
            timeout: prepared.timeout,
            purpose: BootPurpose::Real {
                groups: prepared.groups.clone(),
                linux_dir: linux_dir.clone(),
            },
        });
    }
    Ok(jobs)
}

/// One suite boot per image and kernel, the boots of [`ALONE_SUITES`], then the boot checks.
fn plan_boots(
    kernels: &[(Runner, PathBuf)],
    images: &[TestImage],
    suite_timeout: Duration,
    only_suites: &[String],
    stress_plan: StressPlan,
) -> Result<Vec<BootJob>> {
    let mut suites = Vec::new();
    let mut checks = Vec::new();
    // The checks need busybox (every image has it) and, for some, the tests/user programs.
    let check_image = images
        .iter()
        .find(|image| image.has_user_binaries)
        .unwrap_or(&images[0]);
    let user_only: Vec<String> = only_suites
        .iter()
        .filter(|entry| {
            !is_ktest_entry(entry)
                && *entry != stress::ONLY_ENTRY
                && *entry != smp_stress::ONLY_ENTRY
                && *entry != ALL_SUITES_ENTRY
                && !is_check_entry(entry)
                && !is_ltp_entry(entry)
                && *entry != crate::crash::ONLY_ENTRY
                && !real::is_entry(entry)
                && !crate::netcheck::is_entry(entry)
                && !crate::compat::is_test_entry(entry)
        })
        .cloned()
        .collect();
    let checks_to_run: Vec<&BootCheck> = BOOT_CHECKS
        .iter()
        .filter(|check| only_suites.is_empty() || only_suites.iter().any(|e| e == check.name))
        .collect();
    let mut check_images = Vec::new();
    for check in &checks_to_run {
        let initrd = match check.image {
            CheckImage::Standard => continue,
            CheckImage::Large { mib } => check_images::large(mib)?,
            CheckImage::Damaged(damage) => check_images::damaged(damage)?,
            CheckImage::DebianRun => run_image::build()?,
            CheckImage::RootDisk(_) => continue,
        };
        check_images.push((
            check.name,
            TestImage {
                label: check.name.replace('/', "-"),
                initrd,
                has_test_runner: false,
                has_user_binaries: false,
            },
        ));
    }
    let runs_ktests =
        only_suites.is_empty() || only_suites.iter().any(|entry| is_ktest_entry(entry));
    let runs_stress =
        only_suites.is_empty() || only_suites.iter().any(|entry| entry == stress::ONLY_ENTRY);
    let runs_smp_stress = only_suites.is_empty()
        || only_suites
            .iter()
            .any(|entry| entry == smp_stress::ONLY_ENTRY);
    // `--only suites`: every user-space suite boot, as without `--only`, but no checks.
    let is_all_suites = only_suites.iter().any(|entry| entry == ALL_SUITES_ENTRY);
    let selection = if is_all_suites {
        SuiteSelection::new(&[], true)
    } else {
        SuiteSelection::new(&user_only, only_suites.is_empty())
    };
    for (runner, kernel) in kernels {
        if *runner == Runner::Ferrux && runs_ktests {
            checks.push(BootJob {
                runner: *runner,
                group: "ktest (in-kernel)".to_string(),
                config: boot_config(
                    kernel,
                    check_image,
                    KTEST_PARAM,
                    &["busybox", "true"],
                    GuestMemory::DEFAULT,
                )?,
                log_path: paths::logs_dir().join(format!("{runner}-ktest.log")),
                timeout: BOOT_CHECK_TIMEOUT,
                purpose: BootPurpose::KernelTests,
            });
        }
        for image in images.iter().filter(|image| image.has_test_runner) {
            for boot in &selection.boots {
                let wants_image = boot
                    .alone
                    .and_then(|alone| alone.image)
                    .is_none_or(|label| label == image.label);
                if !wants_image {
                    continue;
                }
                let mut argv = vec![TEST_RUNNER_PATH];
                argv.extend(boot.names.iter().map(String::as_str));
                let (group, name) = match boot.alone {
                    None => (
                        format!("ferrux-tests ({})", image.label),
                        format!("tests-{}", image.label),
                    ),
                    Some(alone) => (
                        format!(
                            "{}{} {} ({})",
                            alone.suite, alone.variant, boot.memory, image.label
                        ),
                        format!(
                            "{}{}-{}-{}",
                            alone.suite,
                            alone.variant,
                            boot.memory.qemu_arg(),
                            image.label
                        ),
                    ),
                };
                let (params, timeout) = match boot.alone {
                    None => ("", suite_timeout),
                    Some(alone) => (alone.params, suite_timeout.max(alone.timeout)),
                };
                let mut config = boot_config(kernel, image, params, &argv, boot.memory)?;
                if boot.alone.is_some_and(|alone| alone.has_disks) {
                    config.disks = crate::disks::write_test_disks(&format!("{runner}-{name}"))?;
                } else if boot.alone.is_some_and(|alone| alone.ext4_disk) {
                    config.disks = crate::disks::ext4_disk(&format!("{runner}-{name}"))?;
                }
                suites.push(BootJob {
                    runner: *runner,
                    group,
                    config,
                    log_path: paths::logs_dir().join(format!("{runner}-{name}.log")),
                    timeout,
                    purpose: BootPurpose::Suite,
                });
            }
        }
        if runs_stress && check_image.has_user_binaries {
            let seconds = stress::seconds_for(*runner, stress_plan.seconds);
            let argv = stress::init_argv(seconds, stress_plan.seed);
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            checks.push(BootJob {
                runner: *runner,
                group: "boot checks".to_string(),
                config: boot_config(kernel, check_image, "", &argv, GuestMemory::DEFAULT)?,
                log_path: paths::logs_dir().join(format!("{runner}-syscall-stress.log")),
                timeout: stress::timeout(seconds),
                purpose: BootPurpose::Stress {
                    seed: stress_plan.seed,
                    seconds,
                },
            });
        }
        if runs_smp_stress && check_image.has_user_binaries {
            let seconds = stress::seconds_for(*runner, stress_plan.seconds);
            let argv = smp_stress::init_argv(seconds);
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let mut config = boot_config(kernel, check_image, "", &argv, GuestMemory::DEFAULT)?;
            config.cpus = Some(smp_stress::CPUS);
            checks.push(BootJob {
                runner: *runner,
                group: "boot checks".to_string(),
                config,
                log_path: paths::logs_dir().join(format!("{runner}-smp-stress.log")),
                timeout: smp_stress::timeout(seconds),
                purpose: BootPurpose::SmpStress { seconds },
            });
        }
        for &check in &checks_to_run {
            if check.needs_user_binaries && !check_image.has_user_binaries {
                continue;
            }
            if check.is_ferrux_only && *runner != Runner::Ferrux {
                continue;
            }
            let name = check.name.replace('/', "-");
            if let CheckImage::RootDisk(boot) = check.image {
                checks.push(root_disk_job(*runner, kernel, check, boot, &name)?);
                continue;
            }
            let disks = if check.has_disks {
                crate::disks::write_test_disks(&format!("{runner}-{name}"))?
            } else if check.ext4_disk {
                crate::disks::ext4_disk(&format!("{runner}-{name}"))?
            } else {
                Vec::new()
            };
            let image = check_images
                .iter()
                .find(|(owner, _)| *owner == check.name)
                .map_or(check_image, |(_, image)| image);
            checks.push(BootJob {
                runner: *runner,
                group: "boot checks".to_string(),
                config: BootConfig {
                    disks,
                    ..boot_config(kernel, image, check.params, check.init_argv, check.memory)?
                },
                log_path: paths::logs_dir().join(format!("{runner}-{name}.log")),
                timeout: BOOT_CHECK_TIMEOUT,
                purpose: BootPurpose::Check(check),
            });
        }
    }
    suites.extend(checks);
    Ok(suites)
}

/// The boot of a root-disk check: a fresh image, the initramfs its [`RootBoot`] asks for (the
/// loader carries Linux's virtio modules), `init=` from the check's argv.
fn root_disk_job(
    runner: Runner,
    kernel: &Path,
    check: &'static BootCheck,
    boot: RootBoot,
    name: &str,
) -> Result<BootJob> {
    use crate::rootdisk::{RootImage, loader_initramfs, root_image};
    let image_name = format!("{runner}-{name}");
    let loader = || -> Result<PathBuf> {
        let modules = if runner == Runner::Linux {
            linux::virtio_modules()?
        } else {
            Vec::new()
        };
        loader_initramfs(&modules)
    };
    let (initrd, disks) = match boot {
        RootBoot::Direct => {
            let image = root_image(&image_name, RootImage::FULL)?;
            let initrd = if runner == Runner::Linux {
                loader()?
            } else {
                PathBuf::new()
            };
            (initrd, vec![image])
        }
        RootBoot::SwitchRoot => (loader()?, vec![root_image(&image_name, RootImage::SMALL)?]),
        RootBoot::NoRdinit => (
            initramfs::write_default()?,
            vec![root_image(&image_name, RootImage::SMALL_PARTITIONED)?],
        ),
        RootBoot::NoRdinitGpt => (
            initramfs::write_default()?,
            vec![root_image(&image_name, RootImage::SMALL_GPT)?],
        ),
        RootBoot::Missing => (PathBuf::new(), Vec::new()),
        RootBoot::BusyboxInit => {
            let image = root_image(&image_name, RootImage::SMALL)?;
            let initrd = if runner == Runner::Linux {
                loader()?
            } else {
                PathBuf::new()
            };
            (initrd, vec![image])
        }
    };
    let mut cmdline = KernelCommandLine::new();
    cmdline.push(check.params);
    let argv: Vec<String> = check
        .init_argv
        .iter()
        .map(|word| word.to_string())
        .collect();
    if !argv.is_empty() {
        cmdline.set_init_as("init", &argv)?;
    }
    let timeout = if boot == RootBoot::Direct {
        ROOT_DISK_TIMEOUT
    } else {
        BOOT_CHECK_TIMEOUT
    };
    Ok(BootJob {
        runner,
        group: "boot checks".to_string(),
        config: BootConfig {
            kernel: kernel.to_path_buf(),
            initrd,
            cmdline: cmdline.render(),
            memory: check.memory,
            waits_for_gdb: false,
            counts_instructions: false,
            cpus: None,
            network: None,
            disks: disks
                .into_iter()
                .map(|path| crate::disks::DiskImage {
                    path,
                    is_read_only: false,
                })
                .collect(),
        },
        log_path: paths::logs_dir().join(format!("{runner}-{name}.log")),
        timeout,
        purpose: BootPurpose::Check(check),
    })
}

/// A suite that needs boots of its own, because it exhausts the machine: the runner skips its
/// tests unless they are named (`TEST_ALONE` in `tests/user/harness.h`), and xtask boots it
/// once per memory size.
struct AloneSuite {
    suite: &'static str,
    memory: &'static [GuestMemory],
    /// Kernel parameters for its boots.
    params: &'static str,
    /// Booted with this image only (`musl`, `glibc`), or with each image (`None`).
    image: Option<&'static str>,
    /// Bound for one of its boots, unless `--timeout` asks for longer.
    timeout: Duration,
    /// Attaches the test disks of [`crate::disks`] (fresh copies for each boot).
    has_disks: bool,
    /// Attaches a fresh ext4 image of [`crate::disks::ext4_disk`] as `vda`.
    ext4_disk: bool,
    /// Told apart from another boot of the same suite in logs and reports (`-intx`).
    variant: &'static str,
}

const ALONE_SUITES: &[AloneSuite] = &[
    AloneSuite {
        // tests/user/mempressure: memory, tmpfs, VMAs, fds, tasks and event limits exhausted,
        // with the OOM killer at work, in a small and a default guest.
        suite: "mempressure",
        memory: &[GuestMemory { mib: 512 }, GuestMemory { mib: 1024 }],
        // Debian's kernel zeroes every page it allocates (CONFIG_INIT_ON_ALLOC_DEFAULT_ON), which
        // makes touching memory two to three times slower under TCG; the suite tests limits, not
        // that hardening.
        params: "init_on_alloc=0",
        // The kernel's limits do not depend on the C library, and the Linux boots are long.
        image: Some("musl"),
        timeout: Duration::from_secs(600),
        has_disks: false,
        ext4_disk: false,
        variant: "",
    },
    AloneSuite {
        // tests/user/blk: virtio disks (MBR, GPT, hostile and random tables, read-only), their
        // device files, sysfs and /proc/partitions. On Linux the suite loads the virtio modules
        // the test image carries.
        suite: "blk",
        memory: &[GuestMemory { mib: 1024 }],
        params: "",
        image: Some("musl"),
        timeout: Duration::from_secs(300),
        has_disks: true,
        ext4_disk: false,
        variant: "",
    },
    AloneSuite {
        // The same with `pci=nomsi`: the disks interrupt through INTx and the I/O APIC.
        suite: "blk",
        memory: &[GuestMemory { mib: 1024 }],
        params: "pci=nomsi",
        image: Some("musl"),
        timeout: Duration::from_secs(300),
        has_disks: true,
        ext4_disk: false,
        variant: "-intx",
    },
    AloneSuite {
        // tests/user/blk/ext4.c: ext4 file data through the page cache (shared writable
        // mappings, msync, truncation, the flusher, fsync, ENOSPC) on an image that
        // mkfs.ext4 made, attached as vda.
        suite: "ext4",
        memory: &[GuestMemory { mib: 1024 }],
        params: "",
        image: Some("musl"),
        timeout: Duration::from_secs(300),
        has_disks: false,
        ext4_disk: true,
        variant: "",
    },
];

/// One boot of the test runner: its arguments and the guest's memory.
struct RunnerBoot {
    /// `None` for the boot of every ordinary suite.
    alone: Option<&'static AloneSuite>,
    /// The runner's arguments (suites or `SUITE/TEST` names; none: every ordinary suite).
    names: Vec<String>,
    memory: GuestMemory,
}

/// The runner boots that `--only` asks for (all of them without `--only`).
struct SuiteSelection {
    boots: Vec<RunnerBoot>,
}

impl SuiteSelection {
    /// `only_suites`: the user-space entries of `--only`; `is_everything`: no `--only` at all.
    fn new(only_suites: &[String], is_everything: bool) -> SuiteSelection {
        SuiteSelection::with_alone_suites(only_suites, is_everything, ALONE_SUITES)
    }

    fn with_alone_suites(
        only_suites: &[String],
        is_everything: bool,
        alone_suites: &'static [AloneSuite],
    ) -> SuiteSelection {
        let belongs_to = |name: &str, suite: &str| {
            name == suite
                || name
                    .strip_prefix(suite)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        let mut boots = Vec::new();
        let ordinary: Vec<String> = only_suites
            .iter()
            .filter(|name| {
                !alone_suites
                    .iter()
                    .any(|alone| belongs_to(name, alone.suite))
            })
            .cloned()
            .collect();
        if is_everything || !ordinary.is_empty() {
            boots.push(RunnerBoot {
                alone: None,
                names: ordinary,
                memory: GuestMemory::DEFAULT,
            });
        }
        for alone in alone_suites {
            let names: Vec<String> = if is_everything {
                vec![alone.suite.to_string()]
            } else {
                only_suites
                    .iter()
                    .filter(|name| belongs_to(name, alone.suite))
                    .cloned()
                    .collect()
            };
            if names.is_empty() {
                continue;
            }
            for memory in alone.memory {
                boots.push(RunnerBoot {
                    alone: Some(alone),
                    names: names.clone(),
                    memory: *memory,
                });
            }
        }
        SuiteSelection { boots }
    }
}

fn boot_config(
    kernel: &Path,
    image: &TestImage,
    params: &str,
    init_argv: &[&str],
    memory: GuestMemory,
) -> Result<BootConfig> {
    let mut cmdline = KernelCommandLine::new();
    cmdline.push(params);
    let argv: Vec<String> = init_argv.iter().map(|word| word.to_string()).collect();
    cmdline.set_init(&argv)?;
    Ok(BootConfig {
        kernel: kernel.to_path_buf(),
        initrd: image.initrd.clone(),
        cmdline: cmdline.render(),
        memory,
        waits_for_gdb: false,
        counts_instructions: false,
        cpus: None,
        network: None,
        disks: Vec::new(),
    })
}

/// Runs the boots on one worker per core, printing each boot's results as it ends, and adds
/// them to `report` in plan order.
fn run_boots(jobs: Vec<BootJob>, report: &mut Report) {
    if jobs.is_empty() {
        return;
    }
    let workers = thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    println!(
        "=== {} boots, {workers} at a time (logs in {}) ===",
        jobs.len(),
        paths::logs_dir().display()
    );
    let job_count = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<VecDeque<_>>());
    let (sender, receiver) = mpsc::channel();
    let mut results_by_job: Vec<Vec<TestResult>> = vec![Vec::new(); job_count];
    thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let queue = &queue;
            scope.spawn(move || {
                loop {
                    let next = queue.lock().expect("queue lock").pop_front();
                    let Some((index, job)) = next else { break };
                    let (summary, results) = execute(&job);
                    let title = format!("[{}] {}", job.runner, job_title(&job));
                    if sender.send((index, title, summary, results)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (index, title, summary, results) in receiver {
            println!("{title}: {summary}");
            for result in &results {
                println!("    {}", result.line);
            }
            results_by_job[index] = results;
        }
    });
    for result in results_by_job.into_iter().flatten() {
        report.add(result);
    }
}

fn job_title(job: &BootJob) -> String {
    match job.purpose {
        BootPurpose::Suite | BootPurpose::KernelTests | BootPurpose::Real { .. } => {
            job.group.clone()
        }
        BootPurpose::Check(check) => check.name.to_string(),
        BootPurpose::Stress { .. } => stress::CHECK_NAME.to_string(),
        BootPurpose::SmpStress { .. } => smp_stress::CHECK_NAME.to_string(),
    }
}

/// Boots once; returns a one-line account of the boot and its results.
fn execute(job: &BootJob) -> (String, Vec<TestResult>) {
    let log_path = Some(job.log_path.clone());
    let result = |name: &str, failure: Option<String>| {
        TestResult::new(job.runner, &job.group, name, failure, log_path.clone())
    };
    let outcome = match qemu::boot(
        &job.config,
        Console::Captured,
        &job.log_path,
        Some(job.timeout),
    ) {
        Ok(outcome) => outcome,
        Err(error) => {
            let name = match job.purpose {
                BootPurpose::Suite => "ferrux-tests/complete",
                BootPurpose::KernelTests => "ktest/complete",
                BootPurpose::Check(check) => check.name,
                BootPurpose::Stress { .. } => stress::CHECK_NAME,
                BootPurpose::SmpStress { .. } => smp_stress::CHECK_NAME,
                BootPurpose::Real { .. } => "real/boot",
            };
            let reason = format!("QEMU did not run: {error:#}");
            return (reason.clone(), vec![result(name, Some(reason))]);
        }
    };
    match &job.purpose {
        BootPurpose::Real { groups, linux_dir } => {
            let summary = outcome.summary();
            if job.runner == Runner::Linux {
                let results =
                    real::linux_results(&outcome.log, groups, linux_dir, &summary, &job.log_path);
                return (summary, results);
            }
            let saved = real::save_ferrux_outputs(&outcome.log, &summary).err();
            let results = saved
                .map(|error| vec![result("real/outputs", Some(format!("{error:#}")))])
                .unwrap_or_default();
            (summary, results)
        }
        BootPurpose::Check(check) => {
            let verdict = (check.verdict)(&outcome).err();
            (outcome.summary(), vec![result(check.name, verdict)])
        }
        BootPurpose::Stress { seed, seconds } => {
            let verdict = stress::verdict(&outcome, *seed, *seconds).err();
            (outcome.summary(), vec![result(stress::CHECK_NAME, verdict)])
        }
        BootPurpose::SmpStress { seconds } => {
            let verdict = smp_stress::verdict(&outcome, *seconds).err();
            (
                outcome.summary(),
                vec![result(smp_stress::CHECK_NAME, verdict)],
            )
        }
        BootPurpose::Suite | BootPurpose::KernelTests => {
            let completion_name = match job.purpose {
                BootPurpose::KernelTests => "ktest/complete",
                _ => "ferrux-tests/complete",
            };
            let output = SuiteOutput::parse(&outcome.log);
            let mut results: Vec<TestResult> = output
                .tests
                .iter()
                .map(|(line, is_passed)| TestResult {
                    runner: job.runner,
                    group: job.group.clone(),
                    is_passed: *is_passed,
                    line: line.clone(),
                    log_path: log_path.clone(),
                })
                .collect();
            let completion = suite_completion(&output, &outcome);
            results.push(result(completion_name, completion));
            let summary = format!(
                "{} passed, {} failed; {}",
                output.passed_count(),
                output.failed_count(),
                outcome.summary()
            );
            (summary, results)
        }
    }
}

/// Whether the suite ran to its end: summary printed and consistent, QEMU ended cleanly.
fn suite_completion(output: &SuiteOutput, outcome: &BootOutcome) -> Option<String> {
    let Some((passed, failed)) = output.summary else {
        return Some(format!(
            "no `N passed, N failed` summary: {}",
            outcome.summary()
        ));
    };
    if (passed, failed) != (output.passed_count(), output.failed_count()) {
        return Some(format!(
            "summary says {passed} passed, {failed} failed, but the console shows {} PASS and \
             {} FAIL lines",
            output.passed_count(),
            output.failed_count()
        ));
    }
    if outcome.is_timed_out || outcome.is_kernel_bug() {
        return Some(format!("after the summary: {}", outcome.summary()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITES: &[AloneSuite] = &[AloneSuite {
        suite: "hog",
        memory: &[GuestMemory { mib: 512 }, GuestMemory { mib: 1024 }],
        params: "",
        image: None,
        timeout: Duration::from_secs(1),
        has_disks: false,
        ext4_disk: false,
        variant: "",
    }];

    fn plan(only: &[&str]) -> Vec<(Option<&'static str>, Vec<String>, u32)> {
        let only: Vec<String> = only.iter().map(|name| name.to_string()).collect();
        SuiteSelection::with_alone_suites(&only, only.is_empty(), SUITES)
            .boots
            .into_iter()
            .map(|boot| {
                (
                    boot.alone.map(|alone| alone.suite),
                    boot.names,
                    boot.memory.mib,
                )
            })
            .collect()
    }

    #[test]
    fn alone_suites_get_boots_of_their_own() {
        let hog = || vec!["hog".to_string()];
        assert_eq!(
            plan(&[]),
            [
                (None, vec![], 1024),
                (Some("hog"), hog(), 512),
                (Some("hog"), hog(), 1024)
            ]
        );
        assert_eq!(
            plan(&["pipe", "fork/exec"]),
            [(None, vec!["pipe".into(), "fork/exec".into()], 1024)]
        );
        assert_eq!(
            plan(&["hog/fill", "pipe", "hogwash"]),
            [
                (None, vec!["pipe".into(), "hogwash".into()], 1024),
                (Some("hog"), vec!["hog/fill".into()], 512),
                (Some("hog"), vec!["hog/fill".into()], 1024)
            ]
        );
        assert_eq!(
            plan(&["hog"]),
            [(Some("hog"), hog(), 512), (Some("hog"), hog(), 1024)]
        );
    }
}
