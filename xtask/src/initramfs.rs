//! The default initramfs: Debian's static busybox and the minimum a Linux init expects.
//!
//! Layout: `/bin /dev /etc /proc /sys /root`, `/tmp` (1777), `/bin/busybox` (0755) with
//! `/bin/sh -> busybox` and a symbolic link to `/bin/busybox` for every other applet, where
//! `busybox --install -s` puts it (`/bin`, `/sbin`, `/usr/bin`, `/usr/sbin`: the list is the
//! host busybox's `--list-full`), the device nodes that Linux images usually carry for kernels
//! without devtmpfs (`/dev/console` c 5 1, `/dev/null` c 1 3, `/dev/zero` c 1 5, `/dev/tty`
//! c 5 0, `/dev/ttyS0` c 4 64, `/dev/random` c 1 8, `/dev/urandom` c 1 9), `/etc/passwd` and
//! `/etc/group` for root and nobody, and `/init` ([`INIT_SCRIPT`]), the script `cargo xtask run` starts:
//! it mounts what a small Linux system has mounted (proc, sysfs, devtmpfs on /dev, devpts,
//! tmpfs on /tmp and /dev/shm), makes udev's `/dev/fd` and `/dev/std*` links, and starts the
//! shell. Linux's initramfs does not mount anything by itself: this script does.
//! Test images add their binaries under `/bin` and the host's C libraries for dynamically linked
//! programs ([`c_library_files`]); the parent directories of added files are created. Archives
//! are newc cpio written by the workspace's
//! `cpio` crate, uncompressed (`.cpio`) and, for the default image, also gzipped (`.cpio.gz`);
//! both Linux and Ferrux accept either.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::packages;
use crate::paths;

const ROOT_UID: u32 = 0;
/// The directories of the default layout.
const LAYOUT_DIRS: [&str; 11] = [
    "/bin",
    "/dev",
    "/etc",
    "/proc",
    "/sys",
    "/root",
    "/tmp",
    "/sbin",
    "/usr",
    "/usr/bin",
    "/usr/sbin",
];
const ROOT_GID: u32 = 0;

/// `/init` of the images: the mounts of a small Linux system, then an interactive shell in its
/// own session with the serial console as controlling terminal (cttyhack), so that job control
/// and ^C work. With arguments (`rdinit=/init -- CMD ARGS…`) it runs them instead of the shell,
/// after the same set-up (the `boot/run-image` check does).
pub const INIT_SCRIPT: &str = "#!/bin/busybox sh
# Ferrux run image: what a small Linux system has mounted, then a shell on the console.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$bb mount -t tmpfs -o mode=1777 tmpfs /tmp
# What udev adds to devtmpfs.
$bb ln -sf /proc/self/fd /dev/fd
$bb ln -sf /proc/self/fd/0 /dev/stdin
$bb ln -sf /proc/self/fd/1 /dev/stdout
$bb ln -sf /proc/self/fd/2 /dev/stderr
$bb hostname ferrux
export HOME=/root PS1='\\u@\\h:\\w\\$ '
cd /root
if [ $# -gt 0 ]; then
\texec \"$@\"
fi
# The bigger image (`cargo xtask run --image`) has Debian's bash.
if [ -x /usr/bin/bash ]; then
\texec $bb setsid $bb cttyhack /usr/bin/bash
fi
exec $bb setsid $bb cttyhack $bb sh
";

/// A host file to add to an image.
#[derive(Debug, Clone)]
pub struct ExtraFile {
    /// Absolute path inside the image, e.g. `/bin/ferrux-tests`.
    pub image_path: String,
    pub host_path: PathBuf,
    pub mode: u32,
}

/// Writes the default image to `build/initramfs.cpio` (and `.cpio.gz`); returns the `.cpio`.
pub fn write_default() -> Result<PathBuf> {
    let archive = build_archive(&read_busybox()?, &[])?;
    let path = paths::build_dir().join("initramfs.cpio");
    paths::write_atomically(&path, &archive)?;
    let gzipped_path = paths::build_dir().join("initramfs.cpio.gz");
    paths::write_atomically(&gzipped_path, &gzip(&archive)?)?;
    Ok(path)
}

/// A file made in memory for an image.
#[derive(Debug, Clone, Copy)]
pub struct ImageFile<'a> {
    /// Absolute path inside the image.
    pub path: &'a str,
    pub mode: u32,
    pub data: &'a [u8],
}

/// Writes the default image plus `extra` files to `build/<name>.cpio`; returns its path.
pub fn write_with_extras(name: &str, extra: &[ExtraFile]) -> Result<PathBuf> {
    let loaded: Vec<(&ExtraFile, Vec<u8>)> = extra
        .iter()
        .map(|file| Ok((file, read(&file.host_path)?)))
        .collect::<Result<_>>()?;
    let files: Vec<ImageFile> = loaded
        .iter()
        .map(|(file, data)| ImageFile {
            path: &file.image_path,
            mode: file.mode,
            data,
        })
        .collect();
    let archive = build_archive(&read_busybox()?, &files)?;
    let path = paths::build_dir().join(format!("{name}.cpio"));
    paths::write_atomically(&path, &archive)?;
    Ok(path)
}

/// The host's dynamic loaders and C libraries, where Debian's dynamically linked programs look
/// for them: glibc's loader (`/lib64/ld-linux-x86-64.so.2`, the `PT_INTERP` of Debian's
/// programs) and `libc.so.6` in `/lib/x86_64-linux-gnu`, and musl's loader, which is its libc
/// (`/lib/ld-musl-x86_64.so.1`). Files, not symlinks: the image has no `/usr/lib` to point at.
pub fn c_library_files() -> Vec<ExtraFile> {
    [
        (
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        ),
        (
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libc.so.6",
        ),
        (
            "/lib/ld-musl-x86_64.so.1",
            "/usr/lib/x86_64-linux-musl/libc.so",
        ),
    ]
    .into_iter()
    .map(|(image_path, host_path)| ExtraFile {
        image_path: image_path.to_string(),
        host_path: PathBuf::from(host_path),
        mode: 0o755,
    })
    .collect()
}

/// The host's static busybox and where its applets go.
#[derive(Debug, Clone, Hash)]
pub struct Busybox {
    pub binary: Vec<u8>,
    /// Applet paths relative to `/` (`bin/cat`, `usr/bin/env`, …), as `busybox --list-full`
    /// prints them, without `bin/busybox` and `bin/sh` (the image has those already).
    pub applets: Vec<String>,
}

pub fn read_busybox() -> Result<Busybox> {
    let binary = read(Path::new(packages::BUSYBOX))?;
    let output = std::process::Command::new(packages::BUSYBOX)
        .arg("--list-full")
        .output()
        .with_context(|| format!("cannot run {} --list-full", packages::BUSYBOX))?;
    anyhow::ensure!(
        output.status.success(),
        "{} --list-full failed: {}",
        packages::BUSYBOX,
        output.status
    );
    let list = String::from_utf8(output.stdout).context("busybox --list-full: not UTF-8")?;
    Ok(Busybox {
        binary,
        applets: applet_paths(&list)?,
    })
}

/// The applet paths of a `busybox --list-full` listing (`bin/cat` …), checked: relative, plain
/// names, under the directories `busybox --install` uses or at the root (`linuxrc`).
fn applet_paths(list: &str) -> Result<Vec<String>> {
    let mut applets = Vec::new();
    for line in list.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (dir, name) = line.rsplit_once('/').unwrap_or(("", line));
        let is_plain_name = !name.is_empty()
            && name != "."
            && name != ".."
            && name.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
        anyhow::ensure!(
            is_plain_name && ["", "bin", "sbin", "usr/bin", "usr/sbin"].contains(&dir),
            "unexpected applet path {line:?} in busybox --list-full"
        );
        if line != "bin/busybox" && line != "bin/sh" {
            applets.push(line.to_string());
        }
    }
    applets.sort();
    applets.dedup();
    Ok(applets)
}

/// The newc archive of the default layout around `busybox` (its binary and applet links), plus
/// `extra` files, in order.
pub fn build_archive(busybox: &Busybox, extra: &[ImageFile<'_>]) -> Result<Vec<u8>> {
    let mut writer = cpio::NewcWriter::new();
    for dir in ["/bin", "/dev", "/etc", "/proc", "/sys", "/root"] {
        writer
            .add_dir(dir, 0o755, ROOT_UID, ROOT_GID)
            .with_context(|| entry_error(dir))?;
    }
    writer
        .add_dir("/tmp", 0o1777, ROOT_UID, ROOT_GID)
        .with_context(|| entry_error("/tmp"))?;
    writer
        .add_file("/bin/busybox", 0o755, ROOT_UID, ROOT_GID, &busybox.binary)
        .with_context(|| entry_error("/bin/busybox"))?;
    writer
        .add_symlink("/bin/sh", "busybox")
        .with_context(|| entry_error("/bin/sh"))?;
    for dir in ["/sbin", "/usr", "/usr/bin", "/usr/sbin"] {
        writer
            .add_dir(dir, 0o755, ROOT_UID, ROOT_GID)
            .with_context(|| entry_error(dir))?;
    }
    // `busybox --install -s`: absolute links to the binary.
    for applet in &busybox.applets {
        let path = format!("/{applet}");
        writer
            .add_symlink(&path, "/bin/busybox")
            .with_context(|| entry_error(&path))?;
    }
    writer
        .add_file("/init", 0o755, ROOT_UID, ROOT_GID, INIT_SCRIPT.as_bytes())
        .with_context(|| entry_error("/init"))?;
    for (path, mode, major, minor) in [
        ("/dev/console", 0o600, 5, 1),
        ("/dev/tty", 0o666, 5, 0),
        ("/dev/ttyS0", 0o600, 4, 64),
        ("/dev/null", 0o666, 1, 3),
        ("/dev/zero", 0o666, 1, 5),
        ("/dev/random", 0o666, 1, 8),
        ("/dev/urandom", 0o666, 1, 9),
    ] {
        writer
            .add_char_device(path, mode, major, minor)
            .with_context(|| entry_error(path))?;
    }
    for (path, text) in [
        (
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        ),
        ("/etc/group", "root:x:0:\nnogroup:x:65534:\n"),
    ] {
        writer
            .add_file(path, 0o644, ROOT_UID, ROOT_GID, text.as_bytes())
            .with_context(|| entry_error(path))?;
    }
    // Parent directories the default layout lacks (`/lib`, `/lib64`, …), outermost first.
    let mut directories: Vec<&str> = extra
        .iter()
        .flat_map(|file| {
            let path = file.path;
            path.match_indices('/')
                .skip(1)
                .map(move |(index, _)| &path[..index])
        })
        .filter(|dir| !LAYOUT_DIRS.contains(dir))
        .collect();
    directories.sort_by_key(|dir| (dir.matches('/').count(), *dir));
    directories.dedup();
    for dir in directories {
        writer
            .add_dir(dir, 0o755, ROOT_UID, ROOT_GID)
            .with_context(|| entry_error(dir))?;
    }
    for file in extra {
        writer
            .add_file(file.path, file.mode, ROOT_UID, ROOT_GID, file.data)
            .with_context(|| entry_error(file.path))?;
    }
    Ok(writer.finish())
}

fn entry_error(path: &str) -> String {
    format!("cannot add {path} to the initramfs")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).context("gzip failed")?;
    encoder.finish().context("gzip failed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpio::FileType;

    #[test]
    fn default_layout_with_an_extra_file() {
        let extra = ImageFile {
            path: "/bin/ferrux-tests",
            mode: 0o755,
            data: b"TESTS",
        };
        let busybox = Busybox {
            binary: b"BUSYBOX".to_vec(),
            applets: vec!["bin/cat".to_string(), "usr/sbin/chroot".to_string()],
        };
        let archive = build_archive(&busybox, &[extra]).unwrap();
        let entries: Vec<cpio::Entry> = cpio::entries(&archive).collect::<Result<_, _>>().unwrap();
        let find = |name: &str| {
            *entries
                .iter()
                .find(|entry| entry.name == name.as_bytes())
                .unwrap_or_else(|| panic!("{name} missing"))
        };

        let tmp = find("/tmp");
        assert_eq!(tmp.file_type(), FileType::Directory);
        assert_eq!(tmp.permissions(), 0o1777);
        let busybox = find("/bin/busybox");
        assert_eq!(
            (busybox.permissions(), busybox.data),
            (0o755, &b"BUSYBOX"[..])
        );
        assert_eq!(find("/bin/sh").data, b"busybox");
        let cat = find("/bin/cat");
        assert_eq!(
            (cat.file_type(), cat.data),
            (FileType::Symlink, &b"/bin/busybox"[..])
        );
        assert_eq!(find("/usr/sbin/chroot").data, b"/bin/busybox");
        assert_eq!(find("/usr/sbin").file_type(), FileType::Directory);
        let init = find("/init");
        assert_eq!(init.permissions(), 0o755);
        assert!(init.data.starts_with(b"#!/bin/busybox sh\n"));
        let console = find("/dev/console");
        assert_eq!(console.file_type(), FileType::CharDevice);
        assert_eq!((console.rdev_major, console.rdev_minor), (5, 1));
        let urandom = find("/dev/urandom");
        assert_eq!((urandom.rdev_major, urandom.rdev_minor), (1, 9));
        assert!(find("/etc/passwd").data.starts_with(b"root:x:0:0:"));
        assert_eq!(find("/bin/ferrux-tests").data, b"TESTS");
        for dir in ["/bin", "/dev", "/etc", "/proc", "/sys", "/root"] {
            assert_eq!(find(dir).file_type(), FileType::Directory);
        }
    }

    #[test]
    fn parent_directories_of_extra_files_are_made_once() {
        let nested = ImageFile {
            path: "/lib/x86_64-linux-gnu/libc.so.6",
            mode: 0o755,
            data: b"LIBC",
        };
        let loader = ImageFile {
            path: "/lib/ld-musl-x86_64.so.1",
            mode: 0o755,
            data: b"MUSL",
        };
        let busybox = Busybox {
            binary: b"B".to_vec(),
            applets: Vec::new(),
        };
        let archive = build_archive(&busybox, &[nested, loader]).unwrap();
        let names: Vec<Vec<u8>> = cpio::entries(&archive)
            .map(|entry| entry.unwrap().name.to_vec())
            .collect();
        let position = |name: &str| names.iter().position(|n| n == name.as_bytes());
        assert!(position("/lib") < position("/lib/x86_64-linux-gnu"));
        assert!(position("/lib/x86_64-linux-gnu") < position("/lib/x86_64-linux-gnu/libc.so.6"));
        assert_eq!(names.iter().filter(|n| n.as_slice() == b"/lib").count(), 1);
        assert!(position("/bin").is_some() && position("/lib/ld-musl-x86_64.so.1").is_some());
    }

    #[test]
    fn applet_paths_are_checked_and_leave_out_busybox_and_sh() {
        let list = "bin/cat\nlinuxrc\nusr/bin/[\nbin/sh\nbin/busybox\nsbin/init\n\n";
        assert_eq!(
            applet_paths(list).unwrap(),
            ["bin/cat", "linuxrc", "sbin/init", "usr/bin/["]
        );
        assert!(applet_paths("../etc/passwd\n").is_err());
        assert!(applet_paths("/bin/cat\n").is_err());
        assert!(applet_paths("bin/..\n").is_err());
        assert!(applet_paths("lib/x\n").is_err());
    }
}
