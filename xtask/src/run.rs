//! `cargo xtask run`: boot one kernel in QEMU on the serial console.
//!
//! The kernel is the ELF given with `--kernel`, Debian's Linux with `--linux`, or else a fresh
//! `cargo xtask build`. The initramfs is `--initrd`, the bigger image with Debian's bash and
//! python3 with `--image` ([`crate::run_image`]), or the default busybox image. `--cmd` words
//! become init's argv (`rdinit=/bin/PROG -- ARGS`); without `--cmd`, the default image's
//! `/init` mounts proc, sysfs, devtmpfs, devpts and tmpfs and starts an interactive shell with
//! job control (`setsid cttyhack sh`, or Debian's bash in `--image`'s image). `--root-disk`
//! boots from an ext4 root disk instead (`rootdisk.rs`; `root=/dev/vda rw init=/init`);
//! `--image debian` boots Debian 12 from a copy of `debian_image.rs`'s disk (`root=/dev/vda
//! rw`, Debian's `/sbin/init`; on Linux through the initramfs that loads virtio_blk). The console
//! streams to stdout and is logged to `build/logs/run-*.log`.
//!
//! Exit status: init's (the exit code, or 128 + signal) when the kernel reported it; 124 on
//! `--timeout`; otherwise QEMU's own (3 when Ferrux panicked on a kernel bug).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::build;
use crate::cli::RunOptions;
use crate::cmdline::KernelCommandLine;
use crate::initramfs;
use crate::linux;
use crate::packages::{self, Tool};
use crate::paths;
use crate::process;
use crate::qemu::{self, BootConfig, Console};
use crate::run_image;

/// The status of `timeout(1)` when time ran out.
const TIMED_OUT_STATUS: u8 = 124;

pub fn run(options: &RunOptions) -> Result<ExitCode> {
    packages::ensure(Tool::FOR_RUN)?;
    let kernel = match (&options.kernel, options.is_linux) {
        (Some(kernel), _) => kernel.clone(),
        (None, true) => linux::kernel_image()?,
        (None, false) => build::build_kernel(
            options.profile,
            build::Checks::from_switch(options.is_lockdep),
        )?,
    };
    let mut disks = crate::disks::from_paths(&options.disks);
    let mut cmdline = KernelCommandLine::new();
    let initrd = match &options.initrd {
        Some(initrd) => initrd.clone(),
        None if options.has_root_disk => {
            let image = root_disk()?;
            disks.insert(
                0,
                crate::disks::DiskImage {
                    path: image,
                    is_read_only: false,
                },
            );
            cmdline.push("root=/dev/vda rw");
            if options.is_linux && options.kernel.is_none() {
                crate::rootdisk::loader_initramfs(&linux::virtio_modules()?)?
            } else {
                PathBuf::new()
            }
        }
        None if options.has_debian_system => {
            let image = crate::debian_image::working_copy("run", true)?;
            disks.insert(
                0,
                crate::disks::DiskImage {
                    path: image,
                    is_read_only: false,
                },
            );
            // Nothing in the image mounts /dev before sysvinit's gettys open /dev/ttyS0
            // (Debian leaves that to its initramfs or udev): the kernel does.
            cmdline.push("root=/dev/vda rw devtmpfs.mount=1");
            if options.is_linux && options.kernel.is_none() {
                crate::rootdisk::loader_initramfs(&linux::virtio_modules()?)?
            } else {
                PathBuf::new()
            }
        }
        None if options.has_debian_image => run_image::build()?,
        None => initramfs::write_default()?,
    };

    if let Some(append) = &options.append {
        cmdline.push(append);
    }
    match &options.init_argv {
        Some(argv) if options.has_root_disk || options.has_debian_system => {
            cmdline.set_init_as("init", argv)?
        }
        // Debian's own init: the kernel's default, /sbin/init (sysvinit).
        None if options.has_debian_system => {}
        None if options.has_root_disk => cmdline.set_init_as("init", &["/init".to_string()])?,
        Some(argv) => cmdline.set_init(argv)?,
        // The default image's /init mounts /proc, /sys and /tmp and starts a shell on the
        // serial terminal in its own session with ttyS0 as controlling terminal (cttyhack
        // finds it with TIOCGSERIAL), so that job control and ^C work; `exit` ends init and
        // QEMU.
        None if options.initrd.is_none() => cmdline.set_init(&["/init".to_string()])?,
        None => {}
    }

    let config = BootConfig {
        kernel: kernel.clone(),
        initrd,
        cmdline: cmdline.render(),
        memory: options.memory,
        waits_for_gdb: options.has_gdb,
        counts_instructions: false,
        cpus: None,
        network: options.network.clone(),
        disks,
    };
    if options.has_gdb {
        print_gdb_hint(&kernel, options.is_linux && options.kernel.is_none());
    }
    eprintln!("xtask: {}", process::describe(&config.qemu_command()));
    if options.has_debian_system && options.init_argv.is_none() {
        eprintln!("xtask: log in as root, password ferrux; `poweroff` ends the guest");
    }
    if options.init_argv.is_none() {
        eprintln!("xtask: interactive console; quit QEMU with Ctrl-A x");
    }
    let log_path = paths::logs_dir().join(if options.is_linux {
        "run-linux.log"
    } else {
        "run-ferrux.log"
    });
    let outcome = qemu::boot(&config, Console::Interactive, &log_path, options.timeout)?;
    eprintln!(
        "\nxtask: {} (log: {})",
        outcome.summary(),
        log_path.display()
    );

    let status = if let Some(exit) = outcome.init_exit() {
        exit.shell_status()
    } else if outcome.is_timed_out {
        TIMED_OUT_STATUS
    } else {
        outcome
            .qemu_status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .unwrap_or(1)
    };
    Ok(ExitCode::from(status))
}

/// `cargo xtask run --root-disk`'s disk, made on first use and kept (a root file system that
/// persists between boots).
fn root_disk() -> Result<PathBuf> {
    let image = paths::build_dir().join("rootdisk/run/root.img");
    if image.exists() {
        return Ok(image);
    }
    let kind = crate::rootdisk::RootImage {
        image_mib: crate::rootdisk::IMAGE_MIB,
        data_mib: 0,
        is_partitioned: false,
        is_gpt: false,
    };
    crate::rootdisk::root_image("run", kind)
}

fn print_gdb_hint(kernel: &Path, is_debian_linux: bool) {
    if is_debian_linux {
        eprintln!(
            "xtask: QEMU waits for gdb; Debian's vmlinuz has no symbols. Attach with:\n    \
             gdb -ex 'target remote :1234'"
        );
    } else {
        eprintln!(
            "xtask: QEMU waits for gdb. Attach with:\n    gdb -ex 'file {}' -ex 'target remote :1234'",
            kernel.display()
        );
    }
}
