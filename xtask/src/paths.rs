//! Where things live: the repository, its `build/` output folder (gitignored), the boot logs,
//! and the per-user download cache for Debian's Linux kernel.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The repository root: the parent of this crate's folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// The workspace's cargo target folder, which the xtask always uses for the kernel.
pub fn target_dir() -> PathBuf {
    repo_root().join("target")
}

/// `build/`: initramfs images, user-space test binaries, logs.
pub fn build_dir() -> PathBuf {
    repo_root().join("build")
}

/// `build/logs/`: one full serial log per QEMU boot.
pub fn logs_dir() -> PathBuf {
    build_dir().join("logs")
}

/// `~/.cache/ferrux/<what>` (under `$XDG_CACHE_HOME` if set; `build/cache/` without `$HOME`).
pub fn cache_dir(what: &str) -> PathBuf {
    let non_empty = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    let base = match (non_empty("XDG_CACHE_HOME"), non_empty("HOME")) {
        (Some(cache), _) => PathBuf::from(cache).join("ferrux"),
        (None, Some(home)) => PathBuf::from(home).join(".cache").join("ferrux"),
        (None, None) => build_dir().join("cache"),
    };
    base.join(what)
}

/// Creates `dir` and its parents.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Writes `data` to `path` through a temporary file and a rename, so that concurrent readers
/// (another xtask run, a QEMU already started) never see a half-written file.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        ensure_dir(parent)?;
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let temporary = path.with_file_name(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&temporary, data)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| {
        format!(
            "cannot rename {} to {}",
            temporary.display(),
            path.display()
        )
    })
}
