//! The default initramfs: Debian's static busybox and the minimum a Linux init expects.
//!
//! Layout: `/bin /dev /etc /proc /sys /root`, `/tmp` (1777), `/bin/busybox` (0755) with
//! `/bin/sh -> busybox`, the device nodes that Linux images usually carry instead of mounting
//! devtmpfs (`/dev/console` c 5 1, `/dev/null` c 1 3, `/dev/zero` c 1 5, `/dev/tty` c 5 0,
//! `/dev/random` c 1 8, `/dev/urandom` c 1 9), and `/etc/passwd` and `/etc/group` for root.
//! Test images add their binaries under `/bin`. Archives are newc cpio written by the workspace's
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
    let archive = build_archive(&[])?;
    let path = paths::build_dir().join("initramfs.cpio");
    paths::write_atomically(&path, &archive)?;
    let gzipped_path = paths::build_dir().join("initramfs.cpio.gz");
    paths::write_atomically(&gzipped_path, &gzip(&archive)?)?;
    Ok(path)
}

/// Writes the default image plus `extra` files to `build/<name>.cpio`; returns its path.
pub fn write_with_extras(name: &str, extra: &[ExtraFile]) -> Result<PathBuf> {
    let archive = build_archive(extra)?;
    let path = paths::build_dir().join(format!("{name}.cpio"));
    paths::write_atomically(&path, &archive)?;
    Ok(path)
}

fn build_archive(extra: &[ExtraFile]) -> Result<Vec<u8>> {
    let busybox = read(Path::new(packages::BUSYBOX))?;
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
        .add_file("/bin/busybox", 0o755, ROOT_UID, ROOT_GID, &busybox)
        .with_context(|| entry_error("/bin/busybox"))?;
    writer
        .add_symlink("/bin/sh", "busybox")
        .with_context(|| entry_error("/bin/sh"))?;
    for (path, mode, major, minor) in [
        ("/dev/console", 0o600, 5, 1),
        ("/dev/tty", 0o666, 5, 0),
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
        ("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("/etc/group", "root:x:0:\n"),
    ] {
        writer
            .add_file(path, 0o644, ROOT_UID, ROOT_GID, text.as_bytes())
            .with_context(|| entry_error(path))?;
    }
    for file in extra {
        let data = read(&file.host_path)?;
        writer
            .add_file(&file.image_path, file.mode, ROOT_UID, ROOT_GID, &data)
            .with_context(|| entry_error(&file.image_path))?;
    }
    Ok(writer.finish())
}

fn entry_error(path: &str) -> String {
    format!("cannot add {path} to the initramfs")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).context("gzip failed")?;
    encoder.finish().context("gzip failed")
}
