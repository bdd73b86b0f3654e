//! The initramfs of one LTP image: the same environment on both kernels.
//!
//! Layout: busybox with a link for each of its applets in `/bin` (LTP's shell tests and
//! helpers call `awk`, `grep`, `mount`, …), the guest runner as `/bin/ltp-runner` (init; see
//! `tests/ltp/runner.c`), `/ltp/list` (the image's runtest lines), `/ltp/kconfig` (Debian's
//! kernel configuration, so kconfig-gated tests decide alike on both kernels: LTP reads it
//! through `KCONFIG_PATH`), `/ltp/testcases/bin/` with the image's programs and every helper
//! program and data file of the install (what tests exec or read besides their own program),
//! the device nodes of the default image, and `/etc/passwd` and `/etc/group` with the users
//! and groups LTP's tests look up (root, bin, daemon, nobody; the groups of Debian's base
//! system). Debian's `loop.ko` is `/lib/modules/loop.ko`, which the runner loads on Linux (the
//! cloud kernel builds loop as a module; Ferrux has it built in), and
//! `/lib/modules/<release>/modules.dep` and `modules.builtin` exist for both kernels' releases
//! (Ferrux's a link to Linux's): LTP reads them to decide that the loop driver is there
//! (`tst_check_driver`, and the `CONFIG_BLK_DEV_LOOP=m` of `needs_kconfigs`). `modules.dep`
//! lists the one module the image carries. The runner mounts proc, sysfs, devtmpfs, devpts and the tmpfs for `TMPDIR` and
//! `/dev/shm` itself. Archives are uncompressed newc: unpacking is then a copy.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::packages;
use crate::paths;

/// Where the runner is in the image.
pub const RUNNER_PATH: &str = "/bin/ltp-runner";
/// The image's runtest lines.
pub const LIST_PATH: &str = "/ltp/list";
const KCONFIG_PATH: &str = "/ltp/kconfig";
const PROGRAM_DIR: &str = "/ltp/testcases/bin";

const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";

const GROUP: &str = "\
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
users:x:100:
nogroup:x:65534:
nobody:x:65534:
";

/// What every image of one run shares.
pub struct Common {
    pub busybox: Vec<u8>,
    pub applets: Vec<String>,
    pub runner: Vec<u8>,
    pub kconfig: Vec<u8>,
    pub modules: Option<Modules>,
    /// Host programs with their libraries and data files: (image path, contents, mode).
    pub host_files: Vec<(String, Vec<u8>, u32)>,
    /// Links: (image path, target).
    pub host_links: Vec<(String, String)>,
}

/// Debian's `mke2fs`, which LTP's `needs_device` tests run as `mkfs.ext2`, `mkfs.ext3` and
/// `mkfs.ext4` to format their loop devices.
const MKE2FS: &str = "/usr/sbin/mke2fs";
/// The names LTP calls it by.
const MKFS_NAMES: [&str; 3] = ["mkfs.ext2", "mkfs.ext3", "mkfs.ext4"];
/// Its configuration.
const MKE2FS_CONF: &str = "/etc/mke2fs.conf";

/// The shared libraries `program` loads, with its loader, as `ldd` names them.
fn shared_libraries(program: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("ldd")
        .arg(program)
        .output()
        .with_context(|| format!("cannot run ldd {}", program.display()))?;
    if !output.status.success() {
        bail!("ldd {} failed", program.display());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// Linux's loop module and the module lists LTP reads.
pub struct Modules {
    /// Linux's `uname -r`.
    pub linux_release: String,
    pub loop_module: Vec<u8>,
    pub builtin: Vec<u8>,
}

/// Ferrux's `uname -r` (`kernel/src/syscall/uname.rs`).
fn ferrux_release() -> Result<String> {
    let source = paths::repo_root().join("kernel/src/syscall/uname.rs");
    let text = std::fs::read_to_string(&source)
        .with_context(|| format!("cannot read {}", source.display()))?;
    text.lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("pub const RELEASE: &str = \"")?
                .strip_suffix("\";")
                .map(str::to_string)
        })
        .with_context(|| format!("no RELEASE in {}", source.display()))
}

/// `modules.dep`: the loop module, with no dependencies.
const MODULES_DEP: &str = "kernel/drivers/block/loop.ko:\n";

/// A helper program or data file: `(path under testcases/bin, host path, mode)`.
pub type Helper = (String, PathBuf, u32);

impl Common {
    pub fn load(runner: &Path, kconfig: &Path) -> Result<Common> {
        Ok(Common {
            busybox: read(Path::new(packages::BUSYBOX))?,
            applets: busybox_applets()?,
            runner: read(runner)?,
            kconfig: read(kconfig)?,
            modules: None,
            host_files: Vec::new(),
            host_links: Vec::new(),
        })
    }

    /// Carries Debian's `mke2fs` (as `/sbin/mke2fs`, with `/sbin/mkfs.ext2`, `ext3`, `ext4`
    /// links), its shared libraries at the paths `ldd` names and `/etc/mke2fs.conf`, so that
    /// LTP's tests can format devices.
    pub fn add_mkfs(&mut self) -> Result<()> {
        let program = Path::new(MKE2FS);
        self.host_files
            .push(("/sbin/mke2fs".to_string(), read(program)?, 0o755));
        for library in shared_libraries(program)? {
            let bytes = read(&library)?;
            self.host_files
                .push((library.to_string_lossy().into_owned(), bytes, 0o755));
        }
        self.host_files.push((
            MKE2FS_CONF.to_string(),
            read(Path::new(MKE2FS_CONF))?,
            0o644,
        ));
        for name in MKFS_NAMES {
            self.host_links
                .push((format!("/sbin/{name}"), "mke2fs".to_string()));
        }
        Ok(())
    }

    /// Carries Linux's loop module and module lists (release `linux_release`).
    pub fn add_modules(
        &mut self,
        linux_release: &str,
        loop_module: &Path,
        builtin: &Path,
    ) -> Result<()> {
        self.modules = Some(Modules {
            linux_release: linux_release.to_string(),
            loop_module: read(loop_module)?,
            builtin: read(builtin)?,
        });
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `busybox --list`: the applets to link in `/bin`.
fn busybox_applets() -> Result<Vec<String>> {
    let output = Command::new(packages::BUSYBOX)
        .arg("--list")
        .output()
        .context("cannot run busybox --list")?;
    if !output.status.success() {
        bail!("busybox --list failed");
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter(|name| {
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.[".contains(c))
        })
        .map(str::to_string)
        .collect())
}

/// Writes the image with `programs` (host paths, placed in `testcases/bin` under their names),
/// `helpers` and the runtest `list` to `path`.
pub fn write(
    path: &Path,
    common: &Common,
    programs: &[PathBuf],
    helpers: &[&Helper],
    list: &str,
) -> Result<()> {
    let error = |what: &str| format!("cannot add {what} to {}", path.display());
    let mut writer = cpio::NewcWriter::new();
    for dir in [
        "/bin",
        "/sbin",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/etc",
        "/proc",
        "/sys",
        "/root",
        "/usr",
        "/usr/bin",
        "/usr/sbin",
        "/lib",
        "/var",
        "/ltp",
        "/ltp/testcases",
        PROGRAM_DIR,
    ] {
        writer
            .add_dir(dir, 0o755, 0, 0)
            .with_context(|| error(dir))?;
    }
    for dir in ["/tmp", "/var/tmp"] {
        writer
            .add_dir(dir, 0o1777, 0, 0)
            .with_context(|| error(dir))?;
    }
    writer
        .add_file("/bin/busybox", 0o755, 0, 0, &common.busybox)
        .with_context(|| error("busybox"))?;
    for applet in &common.applets {
        if applet == "busybox" {
            continue;
        }
        let link = format!("/bin/{applet}");
        writer
            .add_symlink(&link, "busybox")
            .with_context(|| error(&link))?;
    }
    writer
        .add_file(RUNNER_PATH, 0o755, 0, 0, &common.runner)
        .with_context(|| error(RUNNER_PATH))?;
    for (device, mode, major, minor) in [
        ("/dev/console", 0o600, 5, 1),
        ("/dev/tty", 0o666, 5, 0),
        ("/dev/ttyS0", 0o600, 4, 64),
        ("/dev/null", 0o666, 1, 3),
        ("/dev/zero", 0o666, 1, 5),
        ("/dev/full", 0o666, 1, 7),
        ("/dev/random", 0o666, 1, 8),
        ("/dev/urandom", 0o666, 1, 9),
        ("/dev/kmsg", 0o644, 1, 11),
    ] {
        writer
            .add_char_device(device, mode, major, minor)
            .with_context(|| error(device))?;
    }
    for (file, text) in [("/etc/passwd", PASSWD), ("/etc/group", GROUP)] {
        writer
            .add_file(file, 0o644, 0, 0, text.as_bytes())
            .with_context(|| error(file))?;
    }
    writer
        .add_file(KCONFIG_PATH, 0o644, 0, 0, &common.kconfig)
        .with_context(|| error(KCONFIG_PATH))?;
    let mut made_dirs: Vec<String> = Vec::new();
    for (path, bytes, mode) in &common.host_files {
        // Its folders, those the fixed layout has not made yet.
        let mut prefix = String::new();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            prefix = format!("{prefix}/{part}");
            if ![
                "/bin",
                "/sbin",
                "/etc",
                "/usr",
                "/usr/bin",
                "/usr/sbin",
                "/lib",
                "/lib/modules",
            ]
            .contains(&prefix.as_str())
                && !made_dirs.contains(&prefix)
            {
                writer
                    .add_dir(&prefix, 0o755, 0, 0)
                    .with_context(|| error(&prefix))?;
                made_dirs.push(prefix.clone());
            }
        }
        writer
            .add_file(path, *mode, 0, 0, bytes)
            .with_context(|| error(path))?;
    }
    for (link, target) in &common.host_links {
        writer
            .add_symlink(link, target)
            .with_context(|| error(link))?;
    }
    if let Some(modules) = &common.modules {
        let linux_dir = format!("/lib/modules/{}", modules.linux_release);
        for dir in ["/lib/modules", linux_dir.as_str()] {
            writer
                .add_dir(dir, 0o755, 0, 0)
                .with_context(|| error(dir))?;
        }
        writer
            .add_file("/lib/modules/loop.ko", 0o644, 0, 0, &modules.loop_module)
            .with_context(|| error("loop.ko"))?;
        for (name, bytes) in [
            ("modules.dep", MODULES_DEP.as_bytes()),
            ("modules.builtin", modules.builtin.as_slice()),
        ] {
            let path = format!("{linux_dir}/{name}");
            writer
                .add_file(&path, 0o644, 0, 0, bytes)
                .with_context(|| error(&path))?;
        }
        let ferrux_dir = format!("/lib/modules/{}", ferrux_release()?);
        writer
            .add_symlink(&ferrux_dir, &modules.linux_release)
            .with_context(|| error(&ferrux_dir))?;
    }
    writer
        .add_file(LIST_PATH, 0o644, 0, 0, list.as_bytes())
        .with_context(|| error(LIST_PATH))?;
    let mut added_dirs: Vec<String> = Vec::new();
    for (relative, host, mode) in helpers.iter().copied() {
        // Data files may sit in folders below testcases/bin.
        let image_path = format!("{PROGRAM_DIR}/{relative}");
        let mut prefix = PROGRAM_DIR.to_string();
        let parts: Vec<&str> = relative.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            prefix = format!("{prefix}/{part}");
            if !added_dirs.contains(&prefix) {
                writer
                    .add_dir(&prefix, 0o755, 0, 0)
                    .with_context(|| error(&prefix))?;
                added_dirs.push(prefix.clone());
            }
        }
        writer
            .add_file(&image_path, *mode, 0, 0, &read(host)?)
            .with_context(|| error(&image_path))?;
    }
    for program in programs {
        let name = program
            .file_name()
            .with_context(|| format!("{} has no file name", program.display()))?
            .to_string_lossy();
        let image_path = format!("{PROGRAM_DIR}/{name}");
        writer
            .add_file(&image_path, 0o755, 0, 0, &read(program)?)
            .with_context(|| error(&image_path))?;
    }
    paths::write_atomically(path, &writer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_groups_that_ltp_looks_up() {
        for user in ["root", "bin", "daemon", "nobody"] {
            assert!(
                PASSWD
                    .lines()
                    .any(|line| line.starts_with(&format!("{user}:x:")))
            );
        }
        for group in ["root", "bin", "daemon", "users", "nogroup", "nobody"] {
            assert!(
                GROUP
                    .lines()
                    .any(|line| line.starts_with(&format!("{group}:x:")))
            );
        }
    }

    #[test]
    fn image_layout() {
        let dir = std::env::temp_dir().join(format!("xtask-ltp-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let program = dir.join("abort01");
        std::fs::write(&program, b"ELF").unwrap();
        let helper = dir.join("helper");
        std::fs::write(&helper, b"HELP").unwrap();
        let common = Common {
            busybox: b"BB".to_vec(),
            applets: vec!["sh".into(), "awk".into(), "busybox".into()],
            runner: b"RUN".to_vec(),
            kconfig: b"CONFIG_X=y\n".to_vec(),
            modules: Some(Modules {
                linux_release: "6.1.0-9-cloud-amd64".into(),
                loop_module: b"KO".to_vec(),
                builtin: b"kernel/fs/ext4/ext4.ko\n".to_vec(),
            }),
            host_files: vec![(
                "/lib/x86_64-linux-gnu/libx.so".into(),
                b"LIB".to_vec(),
                0o755,
            )],
            host_links: vec![("/sbin/mkfs.ext4".into(), "mke2fs".into())],
        };
        let helper: Helper = ("data/file".into(), helper.clone(), 0o644);
        let path = dir.join("image.cpio");
        write(&path, &common, &[program], &[&helper], "abort01 abort01\n").unwrap();
        let archive = std::fs::read(&path).unwrap();
        let entries: Vec<cpio::Entry> = cpio::entries(&archive).collect::<Result<_, _>>().unwrap();
        let find = |name: &str| {
            entries
                .iter()
                .find(|entry| entry.name == name.as_bytes())
                .unwrap_or_else(|| panic!("{name} missing"))
                .data
                .to_vec()
        };
        assert_eq!(find("/ltp/testcases/bin/abort01"), b"ELF");
        assert_eq!(find("/ltp/testcases/bin/data/file"), b"HELP");
        assert_eq!(find("/ltp/list"), b"abort01 abort01\n");
        assert_eq!(find("/bin/awk"), b"busybox");
        assert_eq!(find(RUNNER_PATH), b"RUN");
        assert_eq!(find("/lib/modules/loop.ko"), b"KO");
        assert_eq!(find("/lib/x86_64-linux-gnu/libx.so"), b"LIB");
        assert_eq!(find("/sbin/mkfs.ext4"), b"mke2fs");
        assert_eq!(
            find("/lib/modules/6.1.0-9-cloud-amd64/modules.dep"),
            MODULES_DEP.as_bytes()
        );
        let ferrux_link = format!("/lib/modules/{}", ferrux_release().unwrap());
        assert_eq!(find(&ferrux_link), b"6.1.0-9-cloud-amd64");
        assert!(find("/etc/passwd").starts_with(b"root:x:0:0:"));
        assert!(
            !entries
                .iter()
                .any(|entry| entry.name == b"/bin/busybox" && entry.data != b"BB")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
