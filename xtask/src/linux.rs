//! Debian's Linux kernel, the oracle that every user-space test also runs on.
//!
//! The image package is the one that `linux-image-cloud-amd64` depends on (a small kernel for
//! VMs, with the 16550 serial console built in). It is fetched with `apt-get download`,
//! unpacked with `dpkg -x`, and only its `boot/` folder is kept under
//! `~/.cache/ferrux/linux/<package>/`, so later runs find it at once. The cloud kernel builds
//! virtio-pci and virtio_blk as modules (`CONFIG_VIRTIO_PCI=m`, `CONFIG_VIRTIO_BLK=m`), so
//! [`virtio_modules`] keeps those and their dependencies, six files from the same package (in
//! `modules-virtio/`), for the tests that attach a disk, which load them; [`loop_module`] keeps
//! `loop.ko` (in `modules-loop/`), for the loop-device tests and LTP's devices. When the package
//! lists cannot name the package (no network, no `apt-get update` allowed), the newest cached
//! kernel is used.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::packages;
use crate::paths;
use crate::process;

/// The metapackage that tracks Debian's current cloud kernel.
const METAPACKAGE: &str = "linux-image-cloud-amd64";

/// Returns the path of Debian's cloud `vmlinuz`, downloading it on first use.
pub fn kernel_image() -> Result<PathBuf> {
    let cache = paths::cache_dir("linux");
    let package = match image_package_name() {
        Ok(package) => package,
        Err(error) => {
            if let Some(image) = newest_cached_image(&cache)? {
                eprintln!(
                    "xtask: cannot name the current Linux package ({error:#}); using {}",
                    image.display()
                );
                return Ok(image);
            }
            return Err(error);
        }
    };
    let package_dir = cache.join(&package);
    if let Some(image) = find_vmlinuz(&package_dir)? {
        return Ok(image);
    }
    download_and_unpack(&package, &cache)?;
    find_vmlinuz(&package_dir)?.with_context(|| format!("package {package} has no boot/vmlinuz-*"))
}

/// The modules a Debian cloud kernel needs for a virtio disk, in load order (their
/// dependencies first, as `modules.dep` would order them).
pub const VIRTIO_MODULES: [&str; 6] = [
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "drivers/block/virtio_blk.ko",
];

/// The modules a Debian cloud kernel needs for a virtio network card, in load order
/// (`CONFIG_VIRTIO_NET=m` needs `net_failover`, which needs `failover`).
pub const VIRTIO_NET_MODULES: [&str; 8] = [
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "net/core/failover.ko",
    "drivers/net/net_failover.ko",
    "drivers/net/virtio_net.ko",
];

/// The [`VIRTIO_NET_MODULES`] of the kernel [`kernel_image`] returns, as host paths in load
/// order, fetched from its package on first use.
pub fn virtio_net_modules() -> Result<Vec<PathBuf>> {
    let modules: Vec<String> = VIRTIO_NET_MODULES
        .iter()
        .map(|module| format!("kernel/{module}"))
        .collect();
    let modules: Vec<&str> = modules.iter().map(String::as_str).collect();
    package_files("modules-virtio-net", &modules)
}

/// The loop driver (`CONFIG_BLK_DEV_LOOP=m` on Debian's cloud kernel), which the loop tests
/// and LTP's images load on Linux: it depends on nothing.
pub const LOOP_MODULE: &str = "kernel/drivers/block/loop.ko";
/// The package's list of built-in drivers, which LTP reads with `modules.dep`.
pub const MODULES_BUILTIN: &str = "modules.builtin";

/// The [`VIRTIO_MODULES`] of the kernel [`kernel_image`] returns, as host paths in load order,
/// fetched from its package on first use.
pub fn virtio_modules() -> Result<Vec<PathBuf>> {
    let modules: Vec<String> = VIRTIO_MODULES
        .iter()
        .map(|module| format!("kernel/{module}"))
        .collect();
    let modules: Vec<&str> = modules.iter().map(String::as_str).collect();
    package_files("modules-virtio", &modules)
}

/// The [`LOOP_MODULE`] of the kernel [`kernel_image`] returns, as a host path, fetched from its
/// package on first use.
pub fn loop_module() -> Result<PathBuf> {
    package_files("modules-loop", &[LOOP_MODULE])?
        .pop()
        .context("no loop module")
}

/// The package's [`MODULES_BUILTIN`], as a host path, fetched on first use.
pub fn modules_builtin() -> Result<PathBuf> {
    package_files("modules-loop", &[MODULES_BUILTIN])?
        .pop()
        .context("no modules.builtin")
}

/// The kernel's release (`uname -r`): its image's name without `vmlinuz-`.
pub fn release() -> Result<String> {
    let image = kernel_image()?;
    let name = image
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_prefix("vmlinuz-")
        .map(str::to_string)
        .with_context(|| format!("{} is not named vmlinuz-RELEASE", image.display()))
}

/// `files` (paths under the package's `lib/modules/<version>/`) of the kernel
/// [`kernel_image`] returns, kept in `<package>/<folder>/` under their names and fetched from
/// the package the first time.
fn package_files(folder: &str, modules: &[&str]) -> Result<Vec<PathBuf>> {
    let image = kernel_image()?;
    let package_dir = image
        .parent()
        .and_then(Path::parent)
        .with_context(|| format!("{} is not in a package folder", image.display()))?;
    let modules_dir = package_dir.join(folder);
    let paths: Vec<PathBuf> = modules
        .iter()
        .map(|module| modules_dir.join(module.rsplit('/').next().unwrap_or(module)))
        .collect();
    if paths.iter().all(|path| path.is_file()) {
        return Ok(paths);
    }
    let package = package_dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .context("kernel package folder has no name")?;
    let cache = paths::cache_dir("linux");
    let work = cache.join(format!(".{package}.modules.{}", std::process::id()));
    paths::ensure_dir(&work)?;
    let result = (|| -> Result<()> {
        eprintln!("xtask: downloading {package} again for its modules ({folder})");
        process::run(
            Command::new("apt-get")
                .args(["download", &package])
                .current_dir(&work),
        )?;
        let deb = single_deb_in(&work)?;
        let unpacked = work.join("root");
        process::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&unpacked))?;
        let version = package
            .strip_prefix("linux-image-")
            .context("unexpected package name")?;
        let version_dir = unpacked.join("lib/modules").join(version);
        paths::ensure_dir(&modules_dir)?;
        for (module, path) in modules.iter().zip(&paths) {
            // Copied beside, then renamed: a reader never sees half a file.
            let staged = path.with_extension("part");
            std::fs::copy(version_dir.join(module), &staged)
                .with_context(|| format!("{package} has no {module}"))?;
            std::fs::rename(&staged, path)
                .with_context(|| format!("cannot move {module} to {}", path.display()))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result?;
    Ok(paths)
}

/// The kernel's configuration (`boot/config-<version>` beside `vmlinuz-<version>`), which
/// LTP reads to decide kconfig-gated tests.
pub fn kernel_config() -> Result<PathBuf> {
    let image = kernel_image()?;
    let name = image
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let version = name.trim_start_matches("vmlinuz-");
    let config = image.with_file_name(format!("config-{version}"));
    if !config.is_file() {
        bail!("{} has no kernel configuration beside it", image.display());
    }
    Ok(config)
}

/// `linux-image-6.1.0-…-cloud-amd64`, from `apt-cache depends`; updates the lists once if the
/// metapackage is unknown.
fn image_package_name() -> Result<String> {
    if let Ok(Some(package)) = depended_image_package() {
        return Ok(package);
    }
    eprintln!("xtask: {METAPACKAGE} is unknown to apt; running apt-get update");
    packages::apt_update()?;
    depended_image_package()?
        .with_context(|| format!("`apt-cache depends {METAPACKAGE}` names no linux-image package"))
}

fn depended_image_package() -> Result<Option<String>> {
    let mut command = Command::new("apt-cache");
    command.args(["depends", METAPACKAGE]);
    let output = command
        .output()
        .with_context(|| format!("cannot run `{}`", process::describe(&command)))?;
    if !output.status.success() {
        return Ok(None);
    }
    Ok(parse_depends(&String::from_utf8_lossy(&output.stdout)))
}

fn parse_depends(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|name| name.starts_with("linux-image-"))
        .map(str::to_string)
}

fn download_and_unpack(package: &str, cache: &Path) -> Result<()> {
    let work = cache.join(format!(".{package}.download.{}", std::process::id()));
    paths::ensure_dir(&work)?;
    let result = download_and_unpack_in(package, &work, &cache.join(package));
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn download_and_unpack_in(package: &str, work: &Path, destination: &Path) -> Result<()> {
    eprintln!("xtask: downloading {package} (Debian's Linux kernel, the test oracle)");
    let download = || {
        process::run(
            Command::new("apt-get")
                .args(["download", package])
                .current_dir(work),
        )
    };
    if download().is_err() {
        eprintln!("xtask: download failed; running apt-get update and trying again");
        packages::apt_update()?;
        download()?;
    }
    let deb = single_deb_in(work)?;
    let unpacked = work.join("root");
    process::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&unpacked))?;
    // Keep boot/ (vmlinuz, System.map, config); the modules are not needed.
    let staged = work.join("keep");
    paths::ensure_dir(&staged)?;
    std::fs::rename(unpacked.join("boot"), staged.join("boot"))
        .with_context(|| format!("{} has no boot/ folder", deb.display()))?;
    if let Err(error) = std::fs::rename(&staged, destination) {
        // Another xtask may have unpacked the same package meanwhile.
        if find_vmlinuz(destination)?.is_none() {
            return Err(error).with_context(|| {
                format!(
                    "cannot move {} to {}",
                    staged.display(),
                    destination.display()
                )
            });
        }
    }
    Ok(())
}

fn single_deb_in(dir: &Path) -> Result<PathBuf> {
    let mut debs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "deb") {
            debs.push(path);
        }
    }
    match <[PathBuf; 1]>::try_from(debs) {
        Ok([deb]) => Ok(deb),
        Err(debs) => bail!("expected one .deb in {}, found {debs:?}", dir.display()),
    }
}

fn find_vmlinuz(package_dir: &Path) -> Result<Option<PathBuf>> {
    let boot = package_dir.join("boot");
    if !boot.is_dir() {
        return Ok(None);
    }
    for entry in
        std::fs::read_dir(&boot).with_context(|| format!("cannot list {}", boot.display()))?
    {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("vmlinuz-"))
        {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// The most recently unpacked kernel in the cache, if any.
fn newest_cached_image(cache: &Path) -> Result<Option<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return Ok(None);
    };
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if let Some(image) = find_vmlinuz(&entry.path())? {
            let modified = entry.metadata()?.modified()?;
            if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
                newest = Some((modified, image));
            }
        }
    }
    Ok(newest.map(|(_, image)| image))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_apt_cache_depends() {
        let text = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
        assert_eq!(
            parse_depends(text).as_deref(),
            Some("linux-image-6.1.0-56-cloud-amd64")
        );
        assert_eq!(parse_depends("linux-image-cloud-amd64\n"), None);
    }
}
