//! Host packages the xtask needs, checked before use and installed from Debian when missing.
//!
//! Each [`Tool`] maps to a Debian package. [`ensure`] installs the missing ones with
//! `apt-get install -y` when running as root (running `apt-get update` first if the install
//! fails, as on a fresh machine whose package lists are empty); otherwise it prints the exact
//! command and fails.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process;

/// Where Debian's `busybox-static` puts its binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// Debian's trinity, the system-call fuzzer of `cargo xtask fuzz`.
pub const TRINITY: &str = "/usr/bin/trinity";

/// Needed to link the glibc variant of the user-space tests statically.
const GLIBC_STATIC_LIBRARY: &str = "/usr/lib/x86_64-linux-gnu/libc.a";

/// A host program the xtask runs or packs into an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Qemu,
    /// A statically linked `/bin/busybox`: the dynamic one of package `busybox` would not run
    /// in an initramfs without its libraries.
    StaticBusybox,
    MuslGcc,
    Cpio,
    Make,
    Gcc,
    /// Debian's trinity (dynamically linked against glibc only).
    Trinity,
    /// e2fsprogs: `crates/ext4`'s host tests make images with mke2fs and check them with
    /// e2fsck and debugfs.
    E2fsprogs,
    /// curl: the network check fetches from the guest's servers with it.
    Curl,
    /// debootstrap: `cargo xtask image debian` builds Debian's root with it.
    Debootstrap,
}

impl Tool {
    /// What `cargo xtask run` needs.
    pub const FOR_RUN: &[Tool] = &[Tool::Qemu, Tool::StaticBusybox];
    /// What `cargo xtask test` needs.
    pub const FOR_TEST: &[Tool] = &[
        Tool::Qemu,
        Tool::StaticBusybox,
        Tool::MuslGcc,
        Tool::Cpio,
        Tool::Make,
        Tool::Gcc,
        Tool::E2fsprogs,
        Tool::Curl,
    ];

    /// The Debian packages that provide the tool (installed without recommends).
    fn debian_packages(self) -> &'static [&'static str] {
        match self {
            Tool::Qemu => &["qemu-system-x86"],
            Tool::StaticBusybox => &["busybox-static"],
            Tool::MuslGcc => &["musl-tools"],
            Tool::Cpio => &["cpio"],
            Tool::Make => &["make"],
            // gcc only recommends the C library headers and the static libc.a.
            Tool::Gcc => &["gcc", "libc6-dev"],
            Tool::Trinity => &["trinity"],
            Tool::E2fsprogs => &["e2fsprogs"],
            Tool::Curl => &["curl"],
            Tool::Debootstrap => &["debootstrap"],
        }
    }

    fn is_present(self) -> bool {
        match self {
            Tool::Qemu => is_on_path("qemu-system-x86_64"),
            Tool::StaticBusybox => is_static_elf(Path::new(BUSYBOX)).unwrap_or(false),
            Tool::MuslGcc => is_on_path("musl-gcc"),
            Tool::Cpio => is_on_path("cpio"),
            Tool::Make => is_on_path("make"),
            Tool::Gcc => is_on_path("gcc") && Path::new(GLIBC_STATIC_LIBRARY).is_file(),
            Tool::Trinity => is_executable(Path::new(TRINITY)),
            Tool::Curl => is_on_path("curl"),
            Tool::Debootstrap => is_executable(Path::new("/usr/sbin/debootstrap")),
            Tool::E2fsprogs => ["mke2fs", "e2fsck", "debugfs"].iter().all(|name| {
                ["/usr/sbin", "/sbin"]
                    .iter()
                    .any(|dir| is_executable(&Path::new(dir).join(name)))
            }),
        }
    }
}

/// Makes sure every tool is there, installing the missing packages when root.
pub fn ensure(tools: &[Tool]) -> Result<()> {
    let mut missing: Vec<&str> = tools
        .iter()
        .filter(|tool| !tool.is_present())
        .flat_map(|tool| tool.debian_packages().iter().copied())
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    install(&missing)?;
    if let Some(tool) = tools.iter().find(|tool| !tool.is_present()) {
        bail!(
            "packages {} are installed but {tool:?} is still missing",
            tool.debian_packages().join(" ")
        );
    }
    Ok(())
}

/// The options of every `apt-get install`: recommends would bring a desktop along with QEMU;
/// another apt-get holding the dpkg lock is waited for (up to 5 minutes) rather than failed.
const APT_INSTALL_ARGS: [&str; 5] = [
    "install",
    "-y",
    "--no-install-recommends",
    "-o",
    "DPkg::Lock::Timeout=300",
];

/// `apt-get install -y PACKAGES` as root, with one `apt-get update` and a retry on failure.
pub fn install(packages: &[&str]) -> Result<()> {
    let command_text = format!(
        "apt-get {} {}",
        APT_INSTALL_ARGS.join(" "),
        packages.join(" ")
    );
    if !process::is_root() {
        eprintln!("xtask: missing host packages; install them with:\n    sudo {command_text}");
        bail!("missing host packages: {}", packages.join(" "));
    }
    eprintln!("xtask: installing host packages: {command_text}");
    if apt_get_install(packages).is_ok() {
        return Ok(());
    }
    eprintln!("xtask: install failed; running apt-get update and trying again");
    apt_update()?;
    apt_get_install(packages)
}

fn apt_get_install(packages: &[&str]) -> Result<()> {
    process::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(APT_INSTALL_ARGS)
            .args(packages),
    )
}

/// `apt-get update`, as root only.
pub fn apt_update() -> Result<()> {
    if !process::is_root() {
        bail!("the package lists need `sudo apt-get update`");
    }
    process::run(Command::new("apt-get").arg("update"))
}

fn is_on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Whether `path` is an x86-64 ELF executable without a program interpreter (`PT_INTERP`).
pub fn is_static_elf(path: &Path) -> Result<bool> {
    const PT_INTERP: u32 = 3;
    let image = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let read_u16 = |at: usize| {
        image
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let read_u32 = |at: usize| {
        image
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    };
    let read_u64 = |at: usize| {
        image
            .get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    };
    // ELF64, little-endian, x86-64.
    if image.get(..6) != Some(b"\x7fELF\x02\x01") || read_u16(18) != Some(62) {
        return Ok(false);
    }
    let (Some(ph_offset), Some(ph_entry_size), Some(ph_count)) =
        (read_u64(32), read_u16(54), read_u16(56))
    else {
        return Ok(false);
    };
    let ph_offset = usize::try_from(ph_offset)?;
    for index in 0..usize::from(ph_count) {
        match read_u32(ph_offset + index * usize::from(ph_entry_size)) {
            Some(PT_INTERP) => return Ok(false),
            Some(_) => {}
            None => return Ok(false),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_static_from_dynamic() {
        // The test binary itself is dynamically linked on a glibc host.
        let me = std::env::current_exe().unwrap();
        assert!(!is_static_elf(&me).unwrap());
        assert!(!is_static_elf(Path::new("/proc/self/status")).unwrap_or(false));
    }
}
