//! `cargo xtask image debian`: a Debian 12 (bookworm) root file system on an ext4 disk image,
//! the system of issue 12 (`cargo xtask run --image debian`, `cargo xtask compat`).
//!
//! Two cached stages under `~/.cache/ferrux/debian/`:
//! - `root-<hash>/`: what `debootstrap --variant=minbase --include=…` makes from [`PACKAGES`]
//!   (the hash covers the package list, the suite and the mirror), downloaded from the mirror
//!   the host's apt uses (`/etc/apt/sources.list*`), its `.deb` files kept in `debs/` so
//!   that a later bootstrap downloads nothing;
//! - `debian-<hash>.img`: a copy of that tree changed by `tests/debian/setup.sh` (fstab, root's
//!   password and ssh key, a getty on ttyS0, hostname) and packed by `mkfs.ext4 -d` into a
//!   sparse [`IMAGE_MIB`] MiB image (the hash adds the script and the ssh key).
//!
//! A rebuild with nothing changed finds the image and returns at once. Boots never write the
//! cached image: [`working_copy`] gives each user (`run`, `compat`) a copy of its own in
//! `build/debian/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::packages::{self, Tool};
use crate::paths;
use crate::process;

/// Debian's release.
pub const SUITE: &str = "bookworm";

/// The packages the issue asks for, plus the init system (sysvinit: tests/debian/README.md
/// says why not systemd), ifupdown and e2fsprogs (fsck at boot).
pub const PACKAGES: &[&str] = &[
    "sysvinit-core",
    "initscripts",
    "ifupdown",
    "e2fsprogs",
    "login",
    "passwd",
    "bash",
    "coreutils",
    "findutils",
    "grep",
    "sed",
    "gawk",
    "tar",
    "xz-utils",
    "gzip",
    "bzip2",
    "diffutils",
    "procps",
    "psmisc",
    "util-linux",
    "iproute2",
    "less",
    "vim-tiny",
    "file",
    "python3",
    "python3-venv",
    "libpython3.11-testsuite",
    "perl",
    "sqlite3",
    "make",
    "gcc",
    "libc6-dev",
    "git",
    "curl",
    "openssh-server",
    "nginx-light",
    "redis-server",
    "strace",
    "stress-ng",
];

/// The image's size (sparse: only what the tree fills takes room on the host).
pub const IMAGE_MIB: u64 = 4096;

/// The set-up script, run on the host over the bootstrapped tree.
const SETUP_SCRIPT: &str = "tests/debian/setup.sh";

/// Raised when the stages change shape, to rebuild every cached image.
const FORMAT_VERSION: u32 = 1;

/// `cargo xtask image debian`: builds the image when the cache lacks it; prints its path.
pub fn run() -> Result<std::process::ExitCode> {
    let image = build()?;
    println!("{}", image.display());
    Ok(std::process::ExitCode::SUCCESS)
}

/// The cached image, built first when missing.
pub fn build() -> Result<PathBuf> {
    packages::ensure(&[Tool::Debootstrap, Tool::E2fsprogs])?;
    let cache = paths::cache_dir("debian");
    paths::ensure_dir(&cache)?;
    let mirror = host_mirror()?;
    let root_key = {
        let mut hasher = Fnv::new();
        hasher.add(&FORMAT_VERSION.to_le_bytes());
        hasher.add(SUITE.as_bytes());
        hasher.add(mirror.as_bytes());
        for package in PACKAGES {
            hasher.add(package.as_bytes());
            hasher.add(b"\0");
        }
        hasher.finish()
    };
    let pubkey = ssh_key(&cache)?;
    let script_path = paths::repo_root().join(SETUP_SCRIPT);
    let script = std::fs::read(&script_path)
        .with_context(|| format!("cannot read {}", script_path.display()))?;
    let image_key = {
        let mut hasher = Fnv::new();
        hasher.add(&root_key.to_le_bytes());
        hasher.add(&script);
        hasher.add(&std::fs::read(&pubkey)?);
        hasher.add(&IMAGE_MIB.to_le_bytes());
        hasher.finish()
    };
    let image = cache.join(format!("debian-{image_key:016x}.img"));
    if image.is_file() {
        return Ok(image);
    }
    let root = bootstrap(&cache, &mirror, root_key)?;

    let started = Instant::now();
    let stage = cache.join("stage");
    remove_tree(&stage)?;
    // cp -a keeps owners, modes, links and device nodes, which mkfs.ext4 -d copies in turn.
    process::run(Command::new("cp").arg("-a").arg(&root).arg(&stage))?;
    process::run(
        Command::new("sh")
            .arg(&script_path)
            .arg(&stage)
            .arg(&pubkey),
    )?;
    let partial = image.with_extension("img.partial");
    let _ = std::fs::remove_file(&partial);
    std::fs::File::create(&partial)
        .and_then(|file| file.set_len(IMAGE_MIB << 20))
        .with_context(|| format!("cannot create {}", partial.display()))?;
    process::run(
        Command::new("/sbin/mkfs.ext4")
            .args(["-q", "-F", "-L", "debian-root", "-d"])
            .arg(&stage)
            .arg(&partial),
    )?;
    std::fs::rename(&partial, &image)?;
    remove_tree(&stage)?;
    // Older images of this cache go: each is a few GiB.
    for entry in std::fs::read_dir(&cache)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("debian-") && name.ends_with(".img") && path != image {
            let _ = std::fs::remove_file(&path);
        }
    }
    eprintln!(
        "xtask: Debian image {} made in {:.0} s (set-up and mkfs.ext4)",
        image.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(image)
}

/// `cache/root-<key>/`, made by debootstrap when missing.
fn bootstrap(cache: &Path, mirror: &str, key: u64) -> Result<PathBuf> {
    let root = cache.join(format!("root-{key:016x}"));
    let done = cache.join(format!("root-{key:016x}.done"));
    if done.is_file() && root.is_dir() {
        return Ok(root);
    }
    remove_tree(&root)?;
    let debs = cache.join("debs");
    paths::ensure_dir(&debs)?;
    let started = Instant::now();
    eprintln!("xtask: debootstrap {SUITE} from {mirror} (a few minutes; cached afterwards)");
    process::run(
        Command::new("debootstrap")
            .arg("--variant=minbase")
            .arg(format!("--include={}", PACKAGES.join(",")))
            .arg(format!("--cache-dir={}", debs.display()))
            .arg(SUITE)
            .arg(&root)
            .arg(mirror),
    )?;
    eprintln!(
        "xtask: debootstrap done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // The old roots of this cache go.
    for entry in std::fs::read_dir(cache)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("root-") && path != root && path != done {
            if path.is_dir() {
                remove_tree(&path)?;
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    std::fs::write(&done, b"")?;
    Ok(root)
}

/// The first Debian mirror of the host's apt sources (`URIs:` of a deb822 `.sources` file or
/// a `deb URI SUITE…` line) that serves the main archive, or Debian's default.
fn host_mirror() -> Result<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let name = file.to_string_lossy();
        if !(name.ends_with(".list") || name.ends_with(".sources")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Some(mirror) = mirror_in(&text) {
            return Ok(mirror);
        }
    }
    Ok("http://deb.debian.org/debian".to_string())
}

/// The Debian main-archive URI that one sources file names, if any.
fn mirror_in(text: &str) -> Option<String> {
    let is_main_archive = |uri: &str| {
        let uri = uri.trim_end_matches('/');
        uri.ends_with("/debian") && !uri.contains("security")
    };
    for line in text.lines() {
        let line = line.trim();
        if let Some(uris) = line.strip_prefix("URIs:")
            && let Some(uri) = uris.split_whitespace().find(|uri| is_main_archive(uri))
        {
            return Some(uri.to_string());
        }
        let mut words = line.split_whitespace();
        if words.next() == Some("deb") {
            let uri = words.find(|word| !word.starts_with('['))?;
            if is_main_archive(uri) {
                return Some(uri.to_string());
            }
        }
    }
    None
}

/// The public half of the xtask's ssh key (`cache/ssh/id_ed25519`), made on first use.
fn ssh_key(cache: &Path) -> Result<PathBuf> {
    let dir = cache.join("ssh");
    let key = dir.join("id_ed25519");
    let public = dir.join("id_ed25519.pub");
    if public.is_file() {
        return Ok(public);
    }
    if Path::new("/usr/bin/ssh-keygen").is_file() {
        paths::ensure_dir(&dir)?;
        let _ = std::fs::remove_file(&key);
        process::run(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "ferrux-xtask", "-f"])
                .arg(&key),
        )?;
        return Ok(public);
    }
    // Without ssh-keygen on the host, root logs in with its password only.
    paths::ensure_dir(&dir)?;
    let mut file = std::fs::File::create(&public)?;
    file.write_all(b"")?;
    Ok(public)
}

/// A fresh copy of the cached image at `build/debian/<name>.img` (sparse), for one user that
/// writes to it. With `keeps` an existing copy made from the same cached image stays.
pub fn working_copy(name: &str, keeps: bool) -> Result<PathBuf> {
    let image = build()?;
    let dir = paths::build_dir().join("debian");
    paths::ensure_dir(&dir)?;
    let copy = dir.join(format!("{name}.img"));
    let origin = dir.join(format!("{name}.origin"));
    let origin_text = image.to_string_lossy().into_owned();
    if keeps
        && copy.is_file()
        && std::fs::read_to_string(&origin).is_ok_and(|text| text == origin_text)
    {
        return Ok(copy);
    }
    let _ = std::fs::remove_file(&copy);
    process::run(
        Command::new("cp")
            .arg("--sparse=always")
            .arg(&image)
            .arg(&copy),
    )?;
    std::fs::write(&origin, origin_text)?;
    Ok(copy)
}

/// Writes `data` as `guest_path` (mode 0755, owned by root) into the ext4 image with debugfs,
/// replacing what was there. The guest path's directory must exist.
pub fn put_file(image: &Path, guest_path: &str, data: &[u8]) -> Result<()> {
    let host = paths::build_dir().join("debian/put.tmp");
    std::fs::write(&host, data)?;
    let requests = format!(
        "rm {guest_path}\nwrite {} {guest_path}\nsif {guest_path} mode 0100755\nsif {guest_path} uid 0\nsif {guest_path} gid 0\n",
        host.display()
    );
    let mut child = Command::new("/sbin/debugfs")
        .arg("-w")
        .arg("-f")
        .arg("-")
        .arg(image)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot run debugfs")?;
    child
        .stdin
        .take()
        .context("debugfs has no stdin")?
        .write_all(requests.as_bytes())?;
    let status = child.wait()?;
    if !status.success() {
        bail!(
            "debugfs could not write {guest_path} into {}",
            image.display()
        );
    }
    let _ = std::fs::remove_file(&host);
    Ok(())
}

fn remove_tree(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// FNV-1a, 64 bits: a cache key that stays the same across Rust releases.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn add(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_main_archive() {
        let deb822 = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\n\
                      Types: deb\nURIs: http://deb.debian.org/debian-security\n";
        assert_eq!(
            mirror_in(deb822).as_deref(),
            Some("http://deb.debian.org/debian")
        );
        let list = "deb [arch=amd64] http://mirror.example/debian/ bookworm main\n";
        assert_eq!(
            mirror_in(list).as_deref(),
            Some("http://mirror.example/debian/")
        );
        assert_eq!(
            mirror_in("deb http://security.debian.org/debian-security x main"),
            None
        );
        assert_eq!(
            mirror_in("deb https://packages.cloud.google.com/apt x main"),
            None
        );
    }

    #[test]
    fn fnv_is_stable() {
        let mut hasher = Fnv::new();
        hasher.add(b"a");
        assert_eq!(hasher.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
