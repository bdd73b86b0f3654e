//! Building LTP's syscalls tests from the source snapshot, outside the repository.
//!
//! The snapshot is `../shared/ltp/ltp-*.tar.xz` (or `$FERRUX_LTP_TARBALL`). Everything goes to
//! `~/.cache/ferrux/ltp/<sha256 of the tarball, 16 digits>-r<RECIPE>/`: `src/` (unpacked,
//! configured), `install/` (`make install`'s prefix) and `stamps/` (one per built folder), so a
//! second run reuses the build and a run that needs more folders builds only those. A lock file
//! keeps two xtask runs from building at once.
//!
//! The recipe (checked on these machines, see `../shared/ltp/README.md`): `make autotools`,
//! `./configure --prefix=install CFLAGS=-O2 LDFLAGS=-static` (static glibc test programs, no
//! debug information), `make -C lib`, `make -C libs` (LTP's helper libraries, before the
//! folders that link them build in parallel), then `make` and `make install` in
//! `testcases/lib`, in each folder of `testcases/kernel/syscalls` that the tests need, and in the six folders
//! outside it that `runtest/syscalls` also uses; `make -C runtest install`. Folders build in
//! parallel (`--jobs`). Programs are stripped as they are installed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;

use anyhow::{Context, Result, bail};

use crate::packages;
use crate::paths;
use crate::process;

/// Bumped when the recipe changes, so that old builds are not reused.
const RECIPE: u32 = 1;

/// Folders outside `testcases/kernel/syscalls` whose programs `runtest/syscalls` runs.
const EXTRA_DIRS: [&str; 6] = [
    "testcases/kernel/ipc/msgstress",
    "testcases/kernel/ipc/pipeio",
    "testcases/kernel/security/prot_hsymlinks",
    "testcases/kernel/security/dirtyc0w",
    "testcases/kernel/security/dirtyc0w_shmem",
    "testcases/kernel/security/dirtypipe",
];

const SYSCALLS_DIR: &str = "testcases/kernel/syscalls";

/// Debian packages the build needs (LTP's autotools build; libaio, libcap and libacl so that
/// the tests that use them are built instead of ending TCONF).
const BUILD_PACKAGES: [&str; 11] = [
    "autoconf",
    "automake",
    "libtool",
    "pkg-config",
    "bison",
    "flex",
    "xz-utils",
    "make",
    "libaio-dev",
    "libcap-dev",
    "libacl1-dev",
];

/// Files whose presence shows the build packages are installed.
const BUILD_FILES: [&str; 10] = [
    "/usr/bin/autoconf",
    "/usr/bin/automake",
    "/usr/bin/libtoolize",
    "/usr/bin/pkg-config",
    "/usr/bin/bison",
    "/usr/bin/flex",
    "/usr/bin/xz",
    "/usr/lib/x86_64-linux-gnu/libaio.a",
    "/usr/lib/x86_64-linux-gnu/libcap.a",
    "/usr/lib/x86_64-linux-gnu/libacl.a",
];

/// A built (or partly built) LTP.
pub struct LtpBuild {
    pub src: PathBuf,
    pub install: PathBuf,
    /// Folders (relative to `src`) that failed to build, with their log.
    pub failed_dirs: Vec<(String, PathBuf)>,
}

impl LtpBuild {
    /// `install/testcases/bin`.
    pub fn program_dir(&self) -> PathBuf {
        self.install.join("testcases").join("bin")
    }
}

/// The LTP source tarball.
pub fn tarball() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("FERRUX_LTP_TARBALL") {
        return Ok(PathBuf::from(path));
    }
    let shared = paths::repo_root().join("../shared/ltp");
    let shared = if shared.is_dir() {
        shared
    } else {
        // A worktree of /work/main: the shared folder is beside the worktrees.
        PathBuf::from("/work/shared/ltp")
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(&shared)
        .with_context(|| format!("cannot list {} (the LTP snapshot)", shared.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().ends_with(".tar.xz"))
        })
        .collect();
    found.sort();
    found
        .pop()
        .with_context(|| format!("no ltp-*.tar.xz in {}", shared.display()))
}

fn sha256(path: &Path) -> Result<String> {
    let output = Command::new("sha256sum")
        .arg(path)
        .output()
        .context("cannot run sha256sum")?;
    if !output.status.success() {
        bail!("sha256sum {} failed", path.display());
    }
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .map(str::to_string)
        .context("sha256sum printed nothing")
}

/// Installs the build packages when missing (as root; otherwise prints the command).
fn ensure_packages() -> Result<()> {
    if BUILD_FILES.iter().all(|file| Path::new(file).exists()) {
        return Ok(());
    }
    packages::install(&BUILD_PACKAGES)
}

/// The cache, unpacked and configured, its libraries built, and locked for this run.
pub struct Prepared {
    src: PathBuf,
    install: PathBuf,
    stamps: PathBuf,
    logs: PathBuf,
    jobs: usize,
    /// Held until the run ends: another xtask waits for it.
    _lock: File,
}

/// Prepares the cache: unpacks and configures the snapshot and builds LTP's libraries (once).
pub fn prepare(jobs: usize) -> Result<Prepared> {
    ensure_packages()?;
    let tarball = tarball()?;
    let hash = sha256(&tarball)?;
    let cache = paths::cache_dir("ltp").join(format!("{}-r{RECIPE}", &hash[..16]));
    paths::ensure_dir(&cache)?;
    let lock = File::create(cache.join("lock"))
        .with_context(|| format!("cannot create the lock in {}", cache.display()))?;
    lock.lock().context("cannot lock the LTP cache")?;
    let prepared = Prepared {
        src: cache.join("src"),
        install: cache.join("install"),
        stamps: cache.join("stamps"),
        logs: cache.join("logs"),
        jobs: jobs.max(1),
        _lock: lock,
    };
    paths::ensure_dir(&prepared.stamps)?;
    paths::ensure_dir(&prepared.logs)?;
    if !prepared.stamps.join("base").exists() {
        println!(
            "=== LTP: unpacking and configuring {} in {} ===",
            tarball.display(),
            cache.display()
        );
        prepare_base(
            &tarball,
            &prepared.src,
            &prepared.install,
            &prepared.logs,
            prepared.jobs,
        )?;
        std::fs::write(prepared.stamps.join("base"), b"")?;
    }
    Ok(prepared)
}

impl Prepared {
    /// The installed runtest file `name` (`syscalls`).
    pub fn runtest(&self, name: &str) -> PathBuf {
        self.install.join("runtest").join(name)
    }

    /// Builds the folders that `programs` need (every folder when `None`) that are not built
    /// yet.
    pub fn build(&self, programs: Option<&BTreeSet<String>>) -> Result<LtpBuild> {
        let wanted = match programs {
            None => all_dirs(&self.src)?,
            Some(programs) => dirs_for(&self.src, programs)?,
        };
        let missing: Vec<String> = wanted
            .into_iter()
            .filter(|dir| !self.stamps.join(stamp_name(dir)).exists())
            .collect();
        let mut failed_dirs = Vec::new();
        if !missing.is_empty() && !self.stamps.join("libs").exists() {
            // LTP's helper libraries (libs/: sigwait, ipc, swap, …) are built by the first
            // folder that needs them; folders built at once would race to write the same
            // archive. Build them all first.
            run_logged(
                make(&self.src, "libs").arg(format!("-j{}", self.jobs)),
                &self.logs.join("libs.log"),
            )?;
            std::fs::write(self.stamps.join("libs"), b"")?;
        }
        if !missing.is_empty() {
            println!(
                "=== LTP: building {} folders, {} at a time (logs in {}) ===",
                missing.len(),
                self.jobs,
                self.logs.display()
            );
            failed_dirs = build_dirs(&self.src, &self.stamps, &self.logs, &missing, self.jobs);
            for (dir, log) in &failed_dirs {
                eprintln!(
                    "xtask: LTP folder {dir} did not build (see {})",
                    log.display()
                );
            }
            strip_programs(&self.install.join("testcases").join("bin"))?;
        }
        Ok(LtpBuild {
            src: self.src.clone(),
            install: self.install.clone(),
            failed_dirs,
        })
    }

    /// Each program family's area: the name of the folder that holds its source (`lib` for
    /// LTP's helpers in `testcases/lib`).
    pub fn areas(&self) -> Result<BTreeMap<String, String>> {
        let mut areas = BTreeMap::new();
        let mut dirs = all_dirs(&self.src)?;
        dirs.push("testcases/lib".to_string());
        for dir in dirs {
            let area = dir.rsplit('/').next().unwrap_or(&dir).to_string();
            let mut names = BTreeSet::new();
            collect_c_files(&self.src.join(&dir), &mut names);
            for name in names {
                areas.entry(name).or_insert_with(|| area.clone());
            }
        }
        Ok(areas)
    }
}

fn stamp_name(dir: &str) -> String {
    dir.replace('/', "+")
}

fn run_logged(command: &mut Command, log: &Path) -> Result<()> {
    let file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    let status = command
        .status()
        .with_context(|| format!("cannot start `{}`", process::describe(command)))?;
    if !status.success() {
        bail!(
            "`{}` failed ({status}); see {}",
            process::describe(command),
            log.display()
        );
    }
    Ok(())
}

fn make(src: &Path, dir: &str) -> Command {
    let mut command = Command::new("make");
    command.current_dir(src).args(["-C", dir]);
    command
}

fn prepare_base(
    tarball: &Path,
    src: &Path,
    install: &Path,
    logs: &Path,
    jobs: usize,
) -> Result<()> {
    let log = logs.join("base.log");
    let parent = src.parent().context("the cache has a parent")?;
    let unpacked = parent.join("unpack.tmp");
    let _ = std::fs::remove_dir_all(&unpacked);
    let _ = std::fs::remove_dir_all(src);
    let _ = std::fs::remove_dir_all(install);
    paths::ensure_dir(&unpacked)?;
    run_logged(
        Command::new("tar")
            .arg("-xJf")
            .arg(tarball)
            .arg("-C")
            .arg(&unpacked),
        &log,
    )?;
    // The tarball holds one top folder (`ltp/`).
    let top = std::fs::read_dir(&unpacked)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .find(|path| path.join("configure.ac").is_file())
        .context("the LTP tarball has no folder with configure.ac")?;
    std::fs::rename(&top, src)?;
    let _ = std::fs::remove_dir_all(&unpacked);
    run_logged(make(src, ".").arg("autotools"), &log)?;
    run_logged(
        Command::new("./configure")
            .current_dir(src)
            .arg(format!("--prefix={}", install.display()))
            .arg("CFLAGS=-O2 -pipe")
            .arg("LDFLAGS=-static"),
        &log,
    )?;
    run_logged(make(src, "lib").arg(format!("-j{jobs}")), &log)?;
    run_logged(make(src, "testcases/lib").arg(format!("-j{jobs}")), &log)?;
    run_logged(make(src, "testcases/lib").arg("install"), &log)?;
    run_logged(make(src, "runtest").arg("install"), &log)?;
    Ok(())
}

/// Every folder the syscalls list can need.
fn all_dirs(src: &Path) -> Result<Vec<String>> {
    let mut dirs: Vec<String> = syscall_dirs(src)?;
    dirs.extend(EXTRA_DIRS.iter().map(|dir| dir.to_string()));
    Ok(dirs)
}

fn syscall_dirs(src: &Path) -> Result<Vec<String>> {
    let root = src.join(SYSCALLS_DIR);
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .with_context(|| format!("cannot list {}", root.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Makefile").is_file())
        .map(|entry| format!("{SYSCALLS_DIR}/{}", entry.file_name().to_string_lossy()))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The folders that build `programs`: a program `p`, `p_64` or `p_16` is built where `p.c`
/// is (searched below each folder). Any program not found means every folder.
fn dirs_for(src: &Path, programs: &BTreeSet<String>) -> Result<Vec<String>> {
    let dirs = all_dirs(src)?;
    let mut sources: Vec<(String, BTreeSet<String>)> = Vec::new();
    for dir in &dirs {
        let mut names = BTreeSet::new();
        collect_c_files(&src.join(dir), &mut names);
        sources.push((dir.clone(), names));
    }
    let mut wanted = BTreeSet::new();
    for program in programs {
        let base = program
            .strip_suffix("_64")
            .or_else(|| program.strip_suffix("_16"))
            .unwrap_or(program);
        match sources.iter().find(|(_, names)| names.contains(base)) {
            Some((dir, _)) => {
                wanted.insert(dir.clone());
            }
            None => return Ok(dirs),
        }
    }
    Ok(wanted.into_iter().collect())
}

fn collect_c_files(dir: &Path, names: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|entry| entry.ok()) {
        let path = entry.path();
        if path.is_dir() {
            collect_c_files(&path, names);
        } else if let Some(stem) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".c"))
        {
            names.insert(stem.to_string());
        }
    }
}

/// Strips the ELF programs in `dir` (stripping twice does no harm).
fn strip_programs(dir: &Path) -> Result<()> {
    let mut elves = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let mut magic = [0u8; 4];
        let is_elf = File::open(&path)
            .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut magic))
            .is_ok()
            && magic == *b"\x7fELF";
        if is_elf {
            elves.push(path);
        }
    }
    for chunk in elves.chunks(200) {
        process::run(Command::new("strip").arg("--strip-unneeded").args(chunk))?;
    }
    Ok(())
}

/// Builds and installs `dirs` on `jobs` workers; returns the folders that failed.
fn build_dirs(
    src: &Path,
    stamps: &Path,
    logs: &Path,
    dirs: &[String],
    jobs: usize,
) -> Vec<(String, PathBuf)> {
    let queue = Mutex::new(dirs.to_vec());
    let failed = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let Some(dir) = queue.lock().expect("queue lock").pop() else {
                        break;
                    };
                    let log = logs.join(format!("{}.log", stamp_name(&dir)));
                    let _ = std::fs::remove_file(&log);
                    let result = run_logged(&mut make(src, &dir), &log)
                        .and_then(|()| run_logged(make(src, &dir).arg("install"), &log));
                    match result {
                        Ok(()) => {
                            let _ = std::fs::write(stamps.join(stamp_name(&dir)), b"");
                        }
                        Err(_) => failed.lock().expect("failed lock").push((dir, log)),
                    }
                }
            });
        }
    });
    failed.into_inner().expect("failed lock")
}
