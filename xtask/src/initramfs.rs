//! The default initramfs: Debian's static busybox and the minimum a Linux init expects.
//!
//! Layout: `/bin /dev /etc /proc /sys /root`, `/tmp` (1777), `/bin/busybox` (0755) with
//! `/bin/sh -> busybox`, the device nodes that Linux images usually carry instead of mounting
//! devtmpfs (`/dev/console` c 5 1, `/dev/null` c 1 3, `/dev/zero` c 1 5, `/dev/tty` c 5 0, `/dev/ttyS0` c 4 64,
//! `/dev/random` c 1 8, `/dev/urandom` c 1 9), `/etc/passwd` and `/etc/group` for root and nobody, and
//! `/init` ([`INIT_SCRIPT`]), the script `cargo xtask run` starts: it mounts what a small Linux
//! system has mounted (proc, sysfs, tmpfs on /tmp; devtmpfs and devpts once Ferrux has them)
//! and starts the shell. Linux's initramfs does not mount /proc by itself: this script does.
//! Test images add their binaries under `/bin` and the host's C libraries for dynamically linked
//! programs ([`c_library_files`]); the parent directories of added files are created. Archives
//! are newc cpio written by the workspace's
//! `cpio` crate, uncompressed (`.cpio`) and, for the default image, also gzipped (`.cpio.gz`);
//! both Linux and Ferrux accept either. No applet links are made: like Debian's
//! `busybox-static` itself, `busybox --install -s` is left to whoever wants them.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::packages;
use crate::paths;

const ROOT_UID: u32 = 0;
const ROOT_GID: u32 = 0;

/// `/init` of the images: mounts, then an interactive shell in its own session with the serial
/// console as controlling terminal (cttyhack), so that job control and ^C work.
pub const INIT_SCRIPT: &str = "#!/bin/busybox sh
# Ferrux run image: what a small Linux system has mounted, then a shell on the console.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t tmpfs -o mode=1777 tmpfs /tmp
# Kernels with devtmpfs and devpts mount them; the image's own /dev nodes stay otherwise.
if $bb grep -q devtmpfs /proc/filesystems; then
\t$bb mount -t devtmpfs devtmpfs /dev
fi
if $bb grep -q devpts /proc/filesystems; then
\t$bb mkdir -p /dev/pts
\t$bb mount -t devpts devpts /dev/pts
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

pub fn read_busybox() -> Result<Vec<u8>> {
    read(Path::new(packages::BUSYBOX))
}

/// The newc archive of the default layout around `busybox`, plus `extra` files, in order.
pub fn build_archive(busybox: &[u8], extra: &[ImageFile<'_>]) -> Result<Vec<u8>> {
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
        .add_file("/bin/busybox", 0o755, ROOT_UID, ROOT_GID, busybox)
        .with_context(|| entry_error("/bin/busybox"))?;
    writer
        .add_symlink("/bin/sh", "busybox")
        .with_context(|| entry_error("/bin/sh"))?;
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
        .filter(|dir| !["/bin", "/dev", "/etc", "/proc", "/sys", "/root", "/tmp"].contains(dir))
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
        let archive = build_archive(b"BUSYBOX", &[extra]).unwrap();
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
        let archive = build_archive(b"B", &[nested, loader]).unwrap();
        let names: Vec<Vec<u8>> = cpio::entries(&archive)
            .map(|entry| entry.unwrap().name.to_vec())
            .collect();
        let position = |name: &str| names.iter().position(|n| n == name.as_bytes());
        assert!(position("/lib") < position("/lib/x86_64-linux-gnu"));
        assert!(position("/lib/x86_64-linux-gnu") < position("/lib/x86_64-linux-gnu/libc.so.6"));
        assert_eq!(names.iter().filter(|n| n.as_slice() == b"/lib").count(), 1);
        assert!(position("/bin").is_some() && position("/lib/ld-musl-x86_64.so.1").is_some());
    }
}
