//! The real-programs image: Debian's own dynamically linked programs, copied from the host with
//! their shared libraries and data files into an initramfs (`build/initramfs-real-<hash>.cpio`).
//!
//! What goes in comes from the headers of the group scripts (`tests/real/*.sh`, see
//! [`crate::real`]): every program (a file under a `bin/` or `sbin/` directory) of each
//! `# real-packages:` package, found with `dpkg -L` (packages missing on the host are installed
//! as the other host packages are, [`packages::install`]), every `# real-files:` path (a
//! directory is taken whole, less the `# real-skip:` paths in it), and the shared libraries of
//! every ELF file among them, found with one `ldd` run. A host path is copied the way it is reached: each symbolic link on the way
//! becomes the same link in the image, so Debian's merged `/usr` (`/bin -> usr/bin`,
//! `/lib64 -> usr/lib64`, `/usr/lib64/ld-linux-x86-64.so.2 -> …`) is reproduced as it is.
//!
//! Besides: static busybox (`/bin/busybox`, the runner's shell), the mount points, the device
//! nodes an initramfs carries for init's console, `/etc/passwd` and `/etc/group` with root,
//! `user` (1000) and `nobody`, `/etc/mtab`, and the scripts under `/real`. The image is
//! uncompressed (inflating under TCG costs more than reading); it is unpacked into the guest's
//! tmpfs, so the guest needs RAM for its size plus what the programs use (see
//! [`crate::real::GUEST_MEMORY`]).
//!
//! Cache: the file name carries a hash of what the image is made from: the scripts and extra
//! files, and the name and version of every installed Debian package (`dpkg-query -W`), so an
//! upgrade of any package, or an edit of a script, makes a new image; otherwise the `dpkg -L` and
//! `ldd` walk is skipped.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::initramfs::ExtraFile;
use crate::packages;
use crate::paths;

/// Bump when the layout changes, so that cached images are remade.
const FORMAT_VERSION: u32 = 1;

/// Symbolic links followed while copying one path (Linux's own limit is 40).
const MAX_LINK_DEPTH: usize = 40;

/// What an image holds besides the fixed layout: what the groups ask for, or `cargo xtask run
/// --image`'s choice ([`crate::run_image`]).
#[derive(Debug, Clone, Default, Hash)]
pub struct Contents {
    /// Debian packages whose programs go in.
    pub packages: Vec<String>,
    /// Host paths (files or whole directories) that go in.
    pub files: Vec<String>,
    /// Host paths under those directories that stay out (`# real-skip:`).
    pub skipped: Vec<String>,
    /// Files made in memory: image path, contents, mode.
    pub data: Vec<(String, Vec<u8>, u32)>,
    /// Symbolic links (image path, target) made last, only where the image has nothing yet;
    /// links in the image on the way are followed (`/bin/cat` lands in `/usr/bin` under
    /// Debian's `/bin -> usr/bin`).
    pub fallback_links: Vec<(String, String)>,
}

/// One entry of the image.
#[derive(Debug, Clone)]
enum Node {
    Dir { mode: u32 },
    File { host: PathBuf, mode: u32 },
    Data { data: Vec<u8>, mode: u32 },
    Symlink { target: String },
    CharDevice { mode: u32, major: u32, minor: u32 },
}

/// The image's tree, by absolute path; a parent sorts before its children.
#[derive(Debug, Default)]
struct Tree {
    nodes: BTreeMap<String, Node>,
    /// Paths never taken from a whole directory.
    skipped: Vec<PathBuf>,
    /// ELF files added, for `ldd`.
    elves: Vec<PathBuf>,
}

impl Tree {
    fn insert(&mut self, path: &Path, node: Node) -> Result<()> {
        let text = path
            .to_str()
            .with_context(|| format!("{} is not UTF-8", path.display()))?;
        self.nodes.insert(text.to_string(), node);
        Ok(())
    }

    /// `path` with the image's symbolic links on the way resolved (the last component is kept).
    fn resolve_parents(&self, path: &Path) -> Result<PathBuf> {
        self.resolve_parents_at_depth(path, 0)
    }

    fn resolve_parents_at_depth(&self, path: &Path, depth: usize) -> Result<PathBuf> {
        if depth > MAX_LINK_DEPTH {
            bail!(
                "too many symbolic links in the image under {}",
                path.display()
            );
        }
        let components: Vec<Component> = path.components().skip(1).collect();
        let mut current = PathBuf::from("/");
        for (index, component) in components.iter().enumerate() {
            let next = current.join(component);
            if index + 1 == components.len() {
                return Ok(next);
            }
            if let Some(Node::Symlink { target }) =
                next.to_str().and_then(|text| self.nodes.get(text))
            {
                let mut resolved = lexical_join(&current, Path::new(target));
                for later in &components[index + 1..] {
                    resolved.push(later);
                }
                return self.resolve_parents_at_depth(&resolved, depth + 1);
            }
            current = next;
        }
        Ok(current)
    }

    fn has(&self, path: &Path) -> bool {
        path.to_str()
            .is_some_and(|text| self.nodes.contains_key(text))
    }

    /// A directory and its parents, as on the host where they exist (mode 0755 otherwise).
    fn add_dir_chain(&mut self, path: &Path) -> Result<()> {
        let mut current = PathBuf::from("/");
        for component in path.components().skip(1) {
            current.push(component);
            if !self.has(&current) {
                let mode = std::fs::metadata(&current).map_or(0o755, |meta| meta.mode() & 0o7777);
                self.insert(&current, Node::Dir { mode })?;
            }
        }
        Ok(())
    }

    /// Copies host `path` as it is reached: links on the way become links, the end a file or
    /// (with `whole_dirs`) a whole directory.
    fn add_host_path(&mut self, path: &Path, whole_dirs: bool) -> Result<()> {
        self.add_host_path_at_depth(path, whole_dirs, 0)
    }

    fn add_host_path_at_depth(
        &mut self,
        path: &Path,
        whole_dirs: bool,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_LINK_DEPTH {
            bail!("too many symbolic links under {}", path.display());
        }
        if !path.is_absolute() {
            bail!("{} is not an absolute path", path.display());
        }
        let components: Vec<Component> = path.components().skip(1).collect();
        let mut current = PathBuf::from("/");
        for (index, component) in components.iter().enumerate() {
            let next = current.join(component);
            let meta = std::fs::symlink_metadata(&next)
                .with_context(|| format!("cannot stat {}", next.display()))?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&next)
                    .with_context(|| format!("cannot read link {}", next.display()))?;
                let target_text = target
                    .to_str()
                    .with_context(|| format!("link {} is not UTF-8", next.display()))?
                    .to_string();
                self.add_dir_chain(&current)?;
                self.insert(
                    &next,
                    Node::Symlink {
                        target: target_text,
                    },
                )?;
                let mut resolved = lexical_join(&current, &target);
                for rest in &components[index + 1..] {
                    resolved.push(rest);
                }
                return self.add_host_path_at_depth(&resolved, whole_dirs, depth + 1);
            }
            let is_last = index + 1 == components.len();
            if !is_last {
                current = next;
                continue;
            }
            if meta.is_dir() {
                self.add_dir_chain(&next)?;
                if whole_dirs {
                    self.add_dir_contents(&next)?;
                }
            } else if meta.is_file() {
                self.add_dir_chain(&current)?;
                self.add_file(&next, meta.permissions().mode() & 0o7777)?;
            } else {
                bail!("{} is neither a file nor a directory", next.display());
            }
        }
        Ok(())
    }

    fn add_file(&mut self, path: &Path, mode: u32) -> Result<()> {
        if self.has(path) {
            return Ok(());
        }
        if is_elf(path) {
            self.elves.push(path.to_path_buf());
        }
        self.insert(
            path,
            Node::File {
                host: path.to_path_buf(),
                mode,
            },
        )
    }

    /// Everything under host directory `dir` (itself reached without links).
    fn add_dir_contents(&mut self, dir: &Path) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = entry.path();
            if self.skipped.contains(&path) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path)?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path)?;
                let target_text = target
                    .to_str()
                    .with_context(|| format!("link {} is not UTF-8", path.display()))?
                    .to_string();
                self.insert(
                    &path,
                    Node::Symlink {
                        target: target_text,
                    },
                )?;
                // A link to a file elsewhere brings the file; one to a directory does not
                // bring the directory (that could be the whole system).
                let resolved = lexical_join(dir, &target);
                if std::fs::metadata(&resolved).is_ok_and(|meta| meta.is_file()) {
                    self.add_host_path(&resolved, false)?;
                }
            } else if meta.is_dir() {
                self.insert(
                    &path,
                    Node::Dir {
                        mode: meta.mode() & 0o7777,
                    },
                )?;
                self.add_dir_contents(&path)?;
            } else if meta.is_file() {
                self.add_file(&path, meta.mode() & 0o7777)?;
            }
        }
        Ok(())
    }

    /// Adds the shared libraries of every ELF file added so far (and their loaders).
    fn add_libraries(&mut self) -> Result<()> {
        let elves = std::mem::take(&mut self.elves);
        if elves.is_empty() {
            return Ok(());
        }
        let output = Command::new("ldd")
            .args(&elves)
            .output()
            .context("cannot run ldd")?;
        // ldd exits 1 when one of them is static: not an error.
        let text = String::from_utf8_lossy(&output.stdout);
        let mut libraries = ldd_paths(&text);
        libraries.sort();
        libraries.dedup();
        for library in libraries {
            self.add_host_path(&library, false)?;
        }
        // Libraries are ELF files too, but ldd already listed their own dependencies.
        self.elves.clear();
        Ok(())
    }
}

/// The library paths of `ldd`'s output: `name => /path (0x…)` and `/path (0x…)` lines.
fn ldd_paths(text: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let candidate = match line.split_once("=>") {
            Some((_, after)) => after.trim(),
            None => line,
        };
        let Some(path) = candidate.split_whitespace().next() else {
            continue;
        };
        if path.starts_with('/') && !path.ends_with(':') {
            paths.push(PathBuf::from(path));
        }
    }
    paths
}

/// `base` joined with `target` (relative or absolute), with `.` and `..` resolved lexically:
/// `base` has no links in it.
fn lexical_join(base: &Path, target: &Path) -> PathBuf {
    let mut result = if target.is_absolute() {
        PathBuf::from("/")
    } else {
        base.to_path_buf()
    };
    for component in target.components() {
        match component {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                result.pop();
            }
            Component::Normal(name) => result.push(name),
        }
    }
    result
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// Whether `path` (from `dpkg -L`) is a program: a file directly under a `bin` or `sbin`.
fn is_program_path(path: &str) -> bool {
    let Some((dir, _)) = path.rsplit_once('/') else {
        return false;
    };
    dir.ends_with("/bin") || dir.ends_with("/sbin")
}

/// The `dpkg -L` files of `package` that are programs.
fn package_programs(package: &str) -> Result<Vec<PathBuf>> {
    let output = Command::new("dpkg")
        .args(["-L", package])
        .output()
        .context("cannot run dpkg -L")?;
    if !output.status.success() {
        bail!("dpkg -L {package} failed: is it installed?");
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| is_program_path(line))
        .map(PathBuf::from)
        .filter(|path| std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.file_type().is_dir()))
        .collect())
}

/// Whether Debian package `package` is installed on the host.
fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status}", package])
        .output()
        .is_ok_and(|output| output.stdout == b"installed")
}

/// Installs the packages the groups need that the host lacks.
pub fn ensure_packages(contents: &Contents) -> Result<()> {
    let mut missing: Vec<&str> = contents
        .packages
        .iter()
        .map(String::as_str)
        .filter(|package| !is_installed(package))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    packages::install(&missing)
}

/// Every installed package and its version: the part of the cache key that changes when the
/// host's programs or libraries do.
fn installed_packages() -> Result<Vec<u8>> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${Version} ${db:Status-Status}\\n"])
        .output()
        .context("cannot run dpkg-query")?;
    if !output.status.success() {
        bail!("dpkg-query -W failed");
    }
    Ok(output.stdout)
}

/// Users and groups of the image: root, `user` (1000) for ownership tests, and nobody.
const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
user:x:1000:1000:user:/home/user:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";
const GROUP: &str = "root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
";

/// Builds (or finds in the cache) the image `build/initramfs-<kind>-<hash>.cpio` for
/// `contents` plus the files of `extra` (scripts, helpers); returns its path. Older images of
/// the same kind are removed.
pub fn build(kind: &str, contents: &Contents, extra: &[ExtraFile]) -> Result<PathBuf> {
    ensure_packages(contents)?;
    let mut hasher = DefaultHasher::new();
    FORMAT_VERSION.hash(&mut hasher);
    contents.hash(&mut hasher);
    installed_packages()?.hash(&mut hasher);
    for file in extra {
        file.image_path.hash(&mut hasher);
        file.mode.hash(&mut hasher);
        std::fs::read(&file.host_path)
            .with_context(|| format!("cannot read {}", file.host_path.display()))?
            .hash(&mut hasher);
    }
    let prefix = format!("initramfs-{kind}-");
    let name = format!("{prefix}{:016x}.cpio", hasher.finish());
    let dir = paths::build_dir();
    let path = dir.join(&name);
    if path.exists() {
        return Ok(path);
    }
    println!("xtask: building {}", path.display());
    let archive = build_archive(contents, extra)?;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let old = entry.file_name().to_string_lossy().into_owned();
            if old.starts_with(&prefix) && old != name {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    paths::write_atomically(&path, &archive)?;
    println!(
        "xtask: {} is {:.1} MiB",
        path.display(),
        archive.len() as f64 / (1024.0 * 1024.0)
    );
    Ok(path)
}

fn build_archive(contents: &Contents, extra: &[ExtraFile]) -> Result<Vec<u8>> {
    let mut tree = Tree {
        skipped: contents.skipped.iter().map(PathBuf::from).collect(),
        ..Tree::default()
    };
    for dir in ["/dev", "/proc", "/sys", "/run", "/mnt", "/etc"] {
        tree.insert(Path::new(dir), Node::Dir { mode: 0o755 })?;
    }
    tree.insert(Path::new("/tmp"), Node::Dir { mode: 0o1777 })?;
    tree.insert(Path::new("/root"), Node::Dir { mode: 0o700 })?;
    for (path, mode, major, minor) in [
        ("/dev/console", 0o600, 5, 1),
        ("/dev/tty", 0o666, 5, 0),
        ("/dev/null", 0o666, 1, 3),
        ("/dev/zero", 0o666, 1, 5),
        ("/dev/urandom", 0o666, 1, 9),
    ] {
        tree.insert(Path::new(path), Node::CharDevice { mode, major, minor })?;
    }
    for (path, text) in [("/etc/passwd", PASSWD), ("/etc/group", GROUP)] {
        tree.insert(
            Path::new(path),
            Node::Data {
                data: text.as_bytes().to_vec(),
                mode: 0o644,
            },
        )?;
    }
    tree.insert(
        Path::new("/etc/mtab"),
        Node::Symlink {
            target: "../proc/self/mounts".to_string(),
        },
    )?;
    tree.add_host_path(Path::new(packages::BUSYBOX), false)?;
    let mut programs = Vec::new();
    for package in &contents.packages {
        programs.extend(package_programs(package)?);
    }
    for program in &programs {
        tree.add_host_path(program, false)?;
    }
    for file in &contents.files {
        tree.add_host_path(Path::new(file), true)?;
    }
    tree.add_libraries()?;
    for file in extra {
        let parent = Path::new(&file.image_path)
            .parent()
            .context("extra file without a parent")?;
        tree.add_dir_chain(parent)?;
        tree.insert(
            Path::new(&file.image_path),
            Node::File {
                host: file.host_path.clone(),
                mode: file.mode,
            },
        )?;
    }
    for (path, data, mode) in &contents.data {
        let path = tree.resolve_parents(Path::new(path))?;
        if let Some(parent) = path.parent() {
            tree.add_dir_chain(parent)?;
        }
        tree.insert(
            &path,
            Node::Data {
                data: data.clone(),
                mode: *mode,
            },
        )?;
    }
    for (path, target) in &contents.fallback_links {
        let path = tree.resolve_parents(Path::new(path))?;
        if tree.has(&path) {
            continue;
        }
        if let Some(parent) = path.parent() {
            tree.add_dir_chain(parent)?;
        }
        tree.insert(
            &path,
            Node::Symlink {
                target: target.clone(),
            },
        )?;
    }
    write_archive(&tree)
}

fn write_archive(tree: &Tree) -> Result<Vec<u8>> {
    let mut writer = cpio::NewcWriter::new();
    for (path, node) in &tree.nodes {
        let added = match node {
            Node::Dir { mode } => writer.add_dir(path, *mode, 0, 0),
            Node::File { host, mode } => {
                let data = std::fs::read(host)
                    .with_context(|| format!("cannot read {}", host.display()))?;
                writer.add_file(path, *mode, 0, 0, &data)
            }
            Node::Data { data, mode } => writer.add_file(path, *mode, 0, 0, data),
            Node::Symlink { target } => writer.add_symlink(path, target),
            Node::CharDevice { mode, major, minor } => {
                writer.add_char_device(path, *mode, *major, *minor)
            }
        };
        added.with_context(|| format!("cannot add {path} to the real-programs image"))?;
    }
    Ok(writer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ldd_output() {
        let text = "/usr/bin/ls:\n\tlinux-vdso.so.1 (0x00007ffd)\n\tlibselinux.so.1 => \
                    /lib/x86_64-linux-gnu/libselinux.so.1 (0x00007f)\n\tlibc.so.6 => \
                    /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 \
                    (0x00007f)\n/usr/bin/busybox:\n\tnot a dynamic executable\n";
        assert_eq!(
            ldd_paths(text),
            [
                PathBuf::from("/lib/x86_64-linux-gnu/libselinux.so.1"),
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
    }

    #[test]
    fn joins_link_targets_lexically() {
        assert_eq!(
            lexical_join(
                Path::new("/usr/share/misc"),
                Path::new("../../lib/file/magic.mgc")
            ),
            PathBuf::from("/usr/lib/file/magic.mgc")
        );
        assert_eq!(
            lexical_join(Path::new("/"), Path::new("usr/bin")),
            PathBuf::from("/usr/bin")
        );
        assert_eq!(
            lexical_join(
                Path::new("/usr/lib64"),
                Path::new("/lib/x86_64-linux-gnu/ld.so")
            ),
            PathBuf::from("/lib/x86_64-linux-gnu/ld.so")
        );
    }

    #[test]
    fn programs_are_files_in_bin_directories() {
        assert!(is_program_path("/usr/bin/ls"));
        assert!(is_program_path("/sbin/mkfs"));
        assert!(!is_program_path("/usr/bin"));
        assert!(!is_program_path("/usr/share/doc/coreutils/README"));
        assert!(!is_program_path("/usr/lib/binfmt.d/x"));
    }

    #[test]
    fn resolves_image_links_on_the_way() {
        let mut tree = Tree::default();
        let link = |target: &str| Node::Symlink {
            target: target.to_string(),
        };
        tree.insert(Path::new("/bin"), link("usr/bin")).unwrap();
        tree.insert(Path::new("/usr/bin"), Node::Dir { mode: 0o755 })
            .unwrap();
        tree.insert(Path::new("/loop"), link("loop")).unwrap();
        assert_eq!(
            tree.resolve_parents(Path::new("/bin/cat")).unwrap(),
            PathBuf::from("/usr/bin/cat")
        );
        assert_eq!(
            tree.resolve_parents(Path::new("/bin")).unwrap(),
            PathBuf::from("/bin")
        );
        assert!(tree.resolve_parents(Path::new("/loop/x")).is_err());
    }

    #[test]
    fn copies_links_on_the_way() {
        let dir = std::env::temp_dir().join(format!("xtask-real-image-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("usr/lib")).unwrap();
        std::fs::write(dir.join("usr/lib/libx.so.1.2"), b"x").unwrap();
        std::os::unix::fs::symlink("usr/lib", dir.join("lib")).unwrap();
        std::os::unix::fs::symlink("libx.so.1.2", dir.join("usr/lib/libx.so.1")).unwrap();
        let mut tree = Tree::default();
        tree.add_host_path(&dir.join("lib/libx.so.1"), false)
            .unwrap();
        let text = |path: PathBuf| path.to_str().unwrap().to_string();
        assert!(matches!(
            tree.nodes.get(&text(dir.join("lib"))),
            Some(Node::Symlink { target }) if target == "usr/lib"
        ));
        assert!(matches!(
            tree.nodes.get(&text(dir.join("usr/lib/libx.so.1"))),
            Some(Node::Symlink { target }) if target == "libx.so.1.2"
        ));
        assert!(matches!(
            tree.nodes.get(&text(dir.join("usr/lib/libx.so.1.2"))),
            Some(Node::File { .. })
        ));
        assert!(matches!(
            tree.nodes.get(&text(dir.join("usr"))),
            Some(Node::Dir { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
