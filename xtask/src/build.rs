//! Building things: the Ferrux kernel ELF (cargo, for `x86_64-unknown-none`), the host unit
//! tests (plain `cargo test` at the workspace root), and the user-space test binaries of
//! `tests/user` (its Makefile, once per C library).
//!
//! Cargo always runs with the workspace's own `target/` folder, whatever `CARGO_TARGET_DIR` the
//! caller has, so the kernel ELF is at a known place.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};

use crate::cli::Profile;
use crate::paths;
use crate::process;
use crate::symbols;

/// The kernel's bare-metal target triple.
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// The name of the kernel binary (`kernel/Cargo.toml`, `[[bin]]`).
const KERNEL_BIN: &str = "ferrux";

/// `cargo` as invoked by `cargo xtask` (the `$CARGO` it sets), at the repository root.
fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command
        .current_dir(paths::repo_root())
        .env("CARGO_TARGET_DIR", paths::target_dir());
    command
}

/// Run-time checks built into the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// What `cargo xtask build` and `bench` build: no checker costs.
    Plain,
    /// The lock-order checker (`--features lockdep`), as `cargo xtask test` builds it.
    Lockdep,
}

impl Checks {
    /// `Lockdep` for a `--lockdep` switch.
    pub fn from_switch(is_lockdep: bool) -> Checks {
        if is_lockdep {
            Checks::Lockdep
        } else {
            Checks::Plain
        }
    }
}

/// Builds the kernel, embeds its symbol table (`symbols.rs`) and returns the absolute path of
/// its ELF.
pub fn build_kernel(profile: Profile, checks: Checks) -> Result<PathBuf> {
    let mut command = cargo();
    command.args(["build", "--package", "kernel", "--target", KERNEL_TARGET]);
    if checks == Checks::Lockdep {
        command.args(["--features", "lockdep"]);
    }
    let profile_dir = match profile {
        Profile::Release => {
            command.arg("--release");
            "release"
        }
        Profile::Debug => "debug",
    };
    // Cargo's progress goes to stderr; keep stdout for the ELF path.
    command.stdout(std::process::Stdio::inherit());
    process::run(&mut command)?;
    let elf = paths::target_dir()
        .join(KERNEL_TARGET)
        .join(profile_dir)
        .join(KERNEL_BIN);
    if !elf.is_file() {
        bail!("cargo succeeded but {} is missing", elf.display());
    }
    symbols::embed(&elf)?;
    Ok(elf)
}

/// Runs the host unit tests of the workspace's default members.
pub fn run_host_unit_tests() -> Result<()> {
    process::run(cargo().arg("test"))
}

/// A C library that the user-space tests are linked against (statically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    Musl,
    Glibc,
}

impl Libc {
    pub const ALL: [Libc; 2] = [Libc::Musl, Libc::Glibc];

    pub fn name(self) -> &'static str {
        match self {
            Libc::Musl => "musl",
            Libc::Glibc => "glibc",
        }
    }

    fn compiler(self) -> &'static str {
        match self {
            Libc::Musl => "musl-gcc",
            Libc::Glibc => "gcc",
        }
    }
}

/// The binaries that `tests/user/Makefile` produces for one C library.
#[derive(Debug, Clone)]
pub struct UserTestBinaries {
    pub libc: Libc,
    /// All suites in one static binary; prints `TEST …` lines and `N passed, N failed`.
    pub test_runner: PathBuf,
    /// Dereferences NULL: init dies of SIGSEGV.
    pub fault: PathBuf,
    /// The program the exec tests run (`/bin/child-helper` in the image).
    pub child_helper: PathBuf,
    /// A static PIE that checks its own loading (auxv, load bias, relocations).
    pub static_pie: PathBuf,
    /// Random system calls with hostile arguments (`stress.rs`).
    pub syscall_stress: PathBuf,
    /// Many CPUs on the same kernel objects at once (`smp_stress.rs`).
    pub smp_stress: PathBuf,
    /// The child helper dynamically linked, as a PIE (`/bin/dyn-helper`).
    pub dyn_helper: PathBuf,
    /// The same as an `ET_EXEC` program with an interpreter (`/bin/dyn-helper-nopie`).
    pub dyn_helper_nopie: PathBuf,
    /// The shared library the dynamic-linking tests dlopen (`/lib/libferrux-dltest.so`).
    pub dltest_library: PathBuf,
}

/// Whether `tests/user` has a Makefile yet.
pub fn has_user_tests() -> bool {
    user_tests_dir().join("Makefile").is_file()
}

fn user_tests_dir() -> PathBuf {
    paths::repo_root().join("tests").join("user")
}

/// `make -C tests/user CC=<compiler> OUT=build/user/<libc>`.
pub fn build_user_tests(libc: Libc) -> Result<UserTestBinaries> {
    let out = paths::build_dir().join("user").join(libc.name());
    paths::ensure_dir(&out)?;
    let mut command = Command::new("make");
    command
        .arg("-C")
        .arg(user_tests_dir())
        .arg(format!("CC={}", libc.compiler()))
        .arg(format!("OUT={}", out.display()));
    process::run(&mut command)?;
    let binaries = UserTestBinaries {
        libc,
        test_runner: out.join("ferrux-tests"),
        fault: out.join("fault"),
        child_helper: out.join("child-helper"),
        static_pie: out.join("static-pie"),
        syscall_stress: out.join("syscall-stress"),
        smp_stress: out.join("smp-stress"),
        dyn_helper: out.join("dyn-helper"),
        dyn_helper_nopie: out.join("dyn-helper-nopie"),
        dltest_library: out.join("libferrux-dltest.so"),
    };
    for binary in [
        &binaries.test_runner,
        &binaries.fault,
        &binaries.child_helper,
        &binaries.static_pie,
        &binaries.syscall_stress,
        &binaries.smp_stress,
        &binaries.dyn_helper,
        &binaries.dyn_helper_nopie,
        &binaries.dltest_library,
    ] {
        if !binary.is_file() {
            bail!(
                "`{}` succeeded but did not produce {}",
                process::describe(&command),
                binary.display()
            );
        }
    }
    Ok(binaries)
}
