//! `cargo xtask`: the Ferrux developer and CI driver.
//!
//! Subcommands (see `cli.rs` for the flags):
//! - `build` compiles the kernel ELF and prints its path as the last line of stdout;
//! - `run` boots Ferrux (or, with `--linux`, Debian's Linux kernel) in QEMU around a busybox
//!   initramfs and exits with the status of init;
//! - `test` runs the host unit tests, then the user-space test binaries and boot checks on
//!   Ferrux and on Linux, the oracle;
//! - `bench` runs the guest microbenchmarks of `bench/` on Ferrux and on Linux (or on two
//!   Ferrux builds) and writes `docs/bench.md` and `docs/bench.json`;
//! - `ltp` runs the Linux Test Project's syscalls tests on Ferrux and on Linux (`ltp/`) and
//!   writes `docs/ltp.md` and `tests/ltp/linux-baseline.txt`;
//! - `fuzz` runs Debian's trinity fuzzer against the kernel and checks it survives;
//! - `image debian` builds Debian 12's root disk (`debian_image.rs`); `compat` runs the
//!   real-program checks of `tests/debian/compat.txt` on it under both kernels and writes
//!   `docs/compat.md` (`compat.rs`);
//! - `syscalls` generates `docs/syscalls.md` from the kernel's syscall table (`--check` only
//!   verifies it is up to date).
//!
//! Everything here runs on the host with std only; host packages that are missing are installed
//! by `packages.rs` when running as root. Before a command that compiles the kernel, the pinned
//! Rust toolchain is checked for the kernel's target and the components of
//! `rust-toolchain.toml`, and completed with rustup (`toolchain.rs`).

mod bench;
mod bench_results;
mod bench_servers;
mod build;
mod check_images;
mod cli;
mod cmdline;
mod compat;
mod crash;
mod debian_image;
mod disks;
mod fuzz;
mod initramfs;
mod linux;
mod ltp;
mod netcfg;
mod netcheck;
mod netguest;
mod packages;
mod paths;
mod process;
mod qemu;
mod real;
mod real_image;
mod report;
mod rootdisk;
mod run;
mod run_image;
mod smp_stress;
mod stress;
mod symbols;
mod syscalls;
mod test;
mod toolchain;

use std::process::ExitCode;

use anyhow::Result;

use cli::Command;

fn main() -> ExitCode {
    match run_main() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_main() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = cli::parse(&args)?;
    if command.builds_kernel() {
        toolchain::ensure()?;
    }
    match command {
        Command::Help => {
            print!("{}", cli::USAGE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(options) => {
            let elf = build::build_kernel(
                options.profile,
                build::Checks::from_switch(options.is_lockdep),
            )?;
            println!("{}", elf.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(options) => run::run(&options),
        Command::Test(options) => test::run(&options),
        Command::Bench(options) => bench::run(&options),
        Command::Syscalls(options) => syscalls::run(&options),
        Command::Ltp(options) => ltp::run(&options),
        Command::Fuzz(options) => fuzz::run(&options),
        Command::Image => debian_image::run(),
        Command::Compat(options) => compat::run(&options),
    }
}
