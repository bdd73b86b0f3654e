//! The bigger image of `cargo xtask run --image`: the default image's system (busybox with
//! every applet by name, `/init` mounting proc, sysfs, devtmpfs, devpts and tmpfs) plus
//! Debian's own bash and python3 with their shared libraries and python's standard library,
//! copied from the host as the real-programs image is ([`crate::real_image`]), with Debian's
//! merged `/usr` (`/bin -> usr/bin`). Its interactive shell is Debian's bash.
//!
//! Busybox applets fill in only where Debian put nothing (`/usr/bin/bash` stays Debian's), and
//! `/bin/sh` is busybox's. The image carries its own checks, `/usr/local/bin/run-image` (the
//! default image's, tests/user/scripts/run-image.sh) and `/usr/local/bin/run-image-debian`
//! (tests/user/scripts/run-image-debian.sh: bash and python3 work), which the boot check
//! `boot/run-image-debian` runs; a user may run them too.
//! Cached as `build/initramfs-run-<hash>.cpio` (uncompressed, about 35 MiB).

use std::path::PathBuf;

use anyhow::Result;

use crate::initramfs::{self, ExtraFile};
use crate::paths;
use crate::real_image::{self, Contents};

/// Debian packages whose programs go in (`python3-minimal` has the `/usr/bin/python3` link,
/// `python3.11-minimal` the interpreter).
const PACKAGES: &[&str] = &["bash", "python3-minimal", "python3.11-minimal"];

/// Python's standard library and the terminal descriptions bash's readline and python's
/// interactive prompt read.
const FILES: &[&str] = &["/usr/lib/python3.11", "/lib/terminfo"];

/// What python does not need at run time: the static library and build files (25 MiB), and
/// its own test suite.
const SKIPPED: &[&str] = &[
    "/usr/lib/python3.11/config-3.11-x86_64-linux-gnu",
    "/usr/lib/python3.11/test",
];

/// Where the image's checks go.
pub const CHECK_PATH: &str = "/usr/local/bin/run-image-debian";
const SYSTEM_CHECK_PATH: &str = "/usr/local/bin/run-image";

/// Builds (or finds in the cache) the image; returns its path.
pub fn build() -> Result<PathBuf> {
    let busybox = initramfs::read_busybox()?;
    let mut fallback_links = vec![("/bin/sh".to_string(), "busybox".to_string())];
    fallback_links.extend(
        busybox
            .applets
            .iter()
            .map(|applet| (format!("/{applet}"), "/bin/busybox".to_string())),
    );
    let contents = Contents {
        packages: PACKAGES.iter().map(|package| package.to_string()).collect(),
        files: FILES.iter().map(|file| file.to_string()).collect(),
        skipped: SKIPPED.iter().map(|file| file.to_string()).collect(),
        data: vec![(
            "/init".to_string(),
            initramfs::INIT_SCRIPT.as_bytes().to_vec(),
            0o755,
        )],
        fallback_links,
    };
    let scripts = paths::repo_root().join("tests/user/scripts");
    let extra = [
        ExtraFile {
            image_path: SYSTEM_CHECK_PATH.to_string(),
            host_path: scripts.join("run-image.sh"),
            mode: 0o755,
        },
        ExtraFile {
            image_path: CHECK_PATH.to_string(),
            host_path: scripts.join("run-image-debian.sh"),
            mode: 0o755,
        },
    ];
    real_image::build("run", &contents, &extra)
}
