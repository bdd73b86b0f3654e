//! The pinned Rust toolchain: checked before anything is built, completed with rustup.
//!
//! `rust-toolchain.toml` names the toolchain (`channel`), the targets the build needs
//! (`x86_64-unknown-none` for the kernel) and its components. rustup installs those only when it
//! installs the toolchain itself, so a machine that already had the toolchain without the target
//! fails with `can't find crate for core`. [`ensure`] asks rustup what is installed and adds
//! what is missing (`rustup target add` / `rustup component add`, or `rustup toolchain install`
//! when the toolchain itself is absent). When that fails, or rustup is not there, it prints the
//! exact command and fails; without rustup it can only look for the target's libraries in the
//! sysroot of `rustc`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::paths;
use crate::process;

/// What `rust-toolchain.toml` pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// `1.95.0`: what `rustup --toolchain` takes.
    pub channel: String,
    pub targets: Vec<String>,
    pub components: Vec<String>,
    /// `minimal`, `default`, … (for `rustup toolchain install --profile`).
    pub profile: Option<String>,
}

/// Parses the `[toolchain]` table: `key = "string"` and `key = ["a", "b"]` (arrays may span
/// lines). Other tables and keys are ignored.
pub fn parse_toolchain_file(text: &str) -> Result<Pinned> {
    let mut channel = None;
    let mut targets = Vec::new();
    let mut components = Vec::new();
    let mut profile = None;
    let mut is_in_toolchain = false;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = strip_comment(line).trim();
        if line.starts_with('[') {
            is_in_toolchain = line == "[toolchain]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !is_in_toolchain {
            continue;
        }
        let mut value = value.trim().to_string();
        if value.starts_with('[') {
            while !value.contains(']') {
                let Some(next) = lines.next() else {
                    bail!(
                        "rust-toolchain.toml: unterminated array for `{}`",
                        key.trim()
                    );
                };
                value.push(' ');
                value.push_str(strip_comment(next).trim());
            }
        }
        match key.trim() {
            "channel" => channel = Some(parse_string(&value)?),
            "profile" => profile = Some(parse_string(&value)?),
            "targets" => targets = parse_string_array(&value)?,
            "components" => components = parse_string_array(&value)?,
            _ => {}
        }
    }
    Ok(Pinned {
        channel: channel.context("rust-toolchain.toml has no [toolchain] channel")?,
        targets,
        components,
        profile,
    })
}

fn strip_comment(line: &str) -> &str {
    // Names in this file never contain `#`.
    line.split_once('#').map_or(line, |(before, _)| before)
}

fn parse_string(value: &str) -> Result<String> {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .map(str::to_string)
        .with_context(|| format!("rust-toolchain.toml: expected a quoted string, got {value}"))
}

fn parse_string_array(value: &str) -> Result<Vec<String>> {
    let inner = value
        .trim()
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .with_context(|| format!("rust-toolchain.toml: expected an array, got {value}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(parse_string)
        .collect()
}

/// What the toolchain lacks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Missing {
    /// The toolchain itself is not installed.
    pub is_toolchain_missing: bool,
    pub targets: Vec<String>,
    pub components: Vec<String>,
}

impl Missing {
    pub fn is_empty(&self) -> bool {
        !self.is_toolchain_missing && self.targets.is_empty() && self.components.is_empty()
    }

    /// The rustup commands (argv without `rustup`) that install what is missing.
    pub fn rustup_commands(&self, pinned: &Pinned) -> Vec<Vec<String>> {
        let toolchain = ["--toolchain".to_string(), pinned.channel.clone()];
        let mut commands = Vec::new();
        if self.is_toolchain_missing {
            let mut command = vec![
                "toolchain".to_string(),
                "install".to_string(),
                pinned.channel.clone(),
            ];
            if let Some(profile) = &pinned.profile {
                command.extend(["--profile".to_string(), profile.clone()]);
            }
            for target in &pinned.targets {
                command.extend(["--target".to_string(), target.clone()]);
            }
            for component in &pinned.components {
                command.extend(["--component".to_string(), component.clone()]);
            }
            commands.push(command);
            return commands;
        }
        if !self.targets.is_empty() {
            let mut command = vec!["target".to_string(), "add".to_string()];
            command.extend(toolchain.iter().cloned());
            command.extend(self.targets.iter().cloned());
            commands.push(command);
        }
        if !self.components.is_empty() {
            let mut command = vec!["component".to_string(), "add".to_string()];
            command.extend(toolchain.iter().cloned());
            command.extend(self.components.iter().cloned());
            commands.push(command);
        }
        commands
    }
}

/// What is missing, given rustup's `--installed` lists. A component is installed under its
/// name with the host triple appended (`clippy-x86_64-unknown-linux-gnu`) or, for
/// target-independent ones, bare (`rust-src`).
pub fn find_missing(pinned: &Pinned, targets: &[String], components: &[String]) -> Missing {
    let has_component = |wanted: &String| {
        components.iter().any(|installed| {
            installed == wanted
                || installed
                    .strip_prefix(wanted.as_str())
                    .is_some_and(|rest| rest.starts_with('-') && is_triple_suffix(&rest[1..]))
        })
    };
    Missing {
        is_toolchain_missing: false,
        targets: pinned
            .targets
            .iter()
            .filter(|wanted| !targets.contains(wanted))
            .cloned()
            .collect(),
        components: pinned
            .components
            .iter()
            .filter(|wanted| !has_component(wanted))
            .cloned()
            .collect(),
    }
}

/// Whether `text` is a target triple (`x86_64-unknown-linux-gnu`, or `preview-` and a triple:
/// `llvm-tools-preview` is the old name of `llvm-tools`), so that `rust-src` is not taken as
/// installed because of some `rust-src-other`.
fn is_triple_suffix(text: &str) -> bool {
    let text = text.strip_prefix("preview-").unwrap_or(text);
    text.split('-').count() >= 3
}

/// The pinned toolchain of this repository.
pub fn pinned() -> Result<Pinned> {
    let path = paths::repo_root().join("rust-toolchain.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    parse_toolchain_file(&text)
}

/// Checks the pinned toolchain and installs what it lacks (see the module comment).
pub fn ensure() -> Result<()> {
    let rustup = std::env::var_os("RUSTUP").unwrap_or_else(|| OsString::from("rustup"));
    ensure_with(&pinned()?, Path::new(&rustup))
}

/// [`ensure`] with a given rustup program (tests give a fake one).
pub fn ensure_with(pinned: &Pinned, rustup: &Path) -> Result<()> {
    let Some(missing) = query(pinned, rustup)? else {
        return check_without_rustup(pinned);
    };
    if missing.is_empty() {
        return Ok(());
    }
    let commands = missing.rustup_commands(pinned);
    for args in &commands {
        let mut command = Command::new(rustup);
        command.args(args);
        eprintln!(
            "xtask: the pinned toolchain lacks something; running `{}`",
            process::describe(&command)
        );
        if let Err(error) = process::run(&mut command) {
            print_commands(&commands, "rustup");
            return Err(error).context("cannot complete the pinned Rust toolchain");
        }
    }
    match query(pinned, rustup)? {
        Some(still) if !still.is_empty() => {
            bail!("rustup ran but the pinned toolchain still lacks {still:?}")
        }
        _ => Ok(()),
    }
}

/// rustup's view: `None` when rustup cannot be run at all.
fn query(pinned: &Pinned, rustup: &Path) -> Result<Option<Missing>> {
    let list = |what: &str| {
        Command::new(rustup)
            .args([what, "list", "--toolchain", &pinned.channel, "--installed"])
            .output()
    };
    let targets = match list("target") {
        Ok(output) => output,
        Err(_) => return Ok(None),
    };
    if !targets.status.success() {
        let stderr = String::from_utf8_lossy(&targets.stderr);
        if stderr.contains("not installed") {
            return Ok(Some(Missing {
                is_toolchain_missing: true,
                ..Missing::default()
            }));
        }
        bail!(
            "`{} target list --toolchain {} --installed` failed: {}",
            rustup.display(),
            pinned.channel,
            stderr.trim()
        );
    }
    let components = list("component").context("cannot run rustup")?;
    if !components.status.success() {
        bail!(
            "`{} component list --toolchain {} --installed` failed: {}",
            rustup.display(),
            pinned.channel,
            String::from_utf8_lossy(&components.stderr).trim()
        );
    }
    let words = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    Ok(Some(find_missing(
        pinned,
        &words(&targets.stdout),
        &words(&components.stdout),
    )))
}

/// Without rustup: the targets' libraries must be in `rustc`'s sysroot.
fn check_without_rustup(pinned: &Pinned) -> Result<()> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("neither rustup nor rustc can be run")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let missing = Missing {
        targets: pinned
            .targets
            .iter()
            .filter(|target| !sysroot.join("lib/rustlib").join(target).is_dir())
            .cloned()
            .collect(),
        ..Missing::default()
    };
    if missing.targets.is_empty() {
        return Ok(());
    }
    print_commands(&missing.rustup_commands(pinned), "rustup");
    bail!(
        "rustc's sysroot {} has no library for {}",
        sysroot.display(),
        missing.targets.join(", ")
    )
}

fn print_commands(commands: &[Vec<String>], rustup: &str) {
    eprintln!("xtask: complete the pinned Rust toolchain with:");
    for args in commands {
        eprintln!("    {rustup} {}", args.join(" "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
[toolchain]
channel = \"1.95.0\"  # pinned
targets = [\"x86_64-unknown-none\"]
components = [
    \"rust-src\",
    \"llvm-tools\", \"clippy\",
]
profile = \"minimal\"
";

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn parses_the_toolchain_file() {
        let pinned = parse_toolchain_file(FILE).unwrap();
        assert_eq!(pinned.channel, "1.95.0");
        assert_eq!(pinned.targets, ["x86_64-unknown-none"]);
        assert_eq!(pinned.components, ["rust-src", "llvm-tools", "clippy"]);
        assert_eq!(pinned.profile.as_deref(), Some("minimal"));
        assert!(parse_toolchain_file("[toolchain]\ntargets = []\n").is_err());
    }

    #[test]
    fn the_repository_pins_the_kernel_target() {
        let pinned = pinned().unwrap();
        assert!(
            pinned
                .targets
                .iter()
                .any(|t| t == crate::build::KERNEL_TARGET)
        );
    }

    #[test]
    fn finds_what_is_missing() {
        let pinned = parse_toolchain_file(FILE).unwrap();
        let host = "x86_64-unknown-linux-gnu";
        let all_components = strings(&[
            "cargo-x86_64-unknown-linux-gnu",
            "clippy-x86_64-unknown-linux-gnu",
            "llvm-tools-x86_64-unknown-linux-gnu",
            "rust-src",
        ]);
        let complete = find_missing(
            &pinned,
            &strings(&[host, "x86_64-unknown-none"]),
            &all_components,
        );
        assert!(complete.is_empty());

        let bare = find_missing(
            &pinned,
            &strings(&[host]),
            &strings(&["cargo-x86_64-unknown-linux-gnu", "rust-src-extra"]),
        );
        assert_eq!(bare.targets, ["x86_64-unknown-none"]);
        assert_eq!(bare.components, ["rust-src", "llvm-tools", "clippy"]);
        assert_eq!(
            bare.rustup_commands(&pinned),
            [
                strings(&[
                    "target",
                    "add",
                    "--toolchain",
                    "1.95.0",
                    "x86_64-unknown-none"
                ]),
                strings(&[
                    "component",
                    "add",
                    "--toolchain",
                    "1.95.0",
                    "rust-src",
                    "llvm-tools",
                    "clippy"
                ]),
            ]
        );

        let no_toolchain = Missing {
            is_toolchain_missing: true,
            ..Missing::default()
        };
        assert_eq!(
            no_toolchain.rustup_commands(&pinned),
            [strings(&[
                "toolchain",
                "install",
                "1.95.0",
                "--profile",
                "minimal",
                "--target",
                "x86_64-unknown-none",
                "--component",
                "rust-src",
                "--component",
                "llvm-tools",
                "--component",
                "clippy"
            ])]
        );
    }

    /// A fake rustup (a shell script) that lacks the kernel target until `target add` runs:
    /// [`ensure_with`] must add it, and only it.
    #[test]
    fn ensure_adds_a_missing_target_with_rustup() {
        let dir = std::env::temp_dir().join(format!("xtask-toolchain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("calls");
        let has_target = dir.join("has-target");
        let script = format!(
            "#!/bin/sh\n\
             echo \"$*\" >> '{log}'\n\
             case \"$1 $2\" in\n\
             'target list') echo x86_64-unknown-linux-gnu;\n\
             \x20 if [ -e '{flag}' ]; then echo x86_64-unknown-none; fi ;;\n\
             'component list') echo rust-src; echo clippy-x86_64-unknown-linux-gnu;\n\
             \x20 echo llvm-tools-x86_64-unknown-linux-gnu ;;\n\
             'target add') touch '{flag}' ;;\n\
             *) exit 1 ;;\n\
             esac\n",
            log = log.display(),
            flag = has_target.display()
        );
        let rustup = dir.join("rustup");
        std::fs::write(&rustup, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rustup, std::fs::Permissions::from_mode(0o755)).unwrap();

        let pinned = parse_toolchain_file(FILE).unwrap();
        ensure_with(&pinned, &rustup).unwrap();
        let calls = std::fs::read_to_string(&log).unwrap();
        let adds: Vec<&str> = calls.lines().filter(|line| line.contains(" add")).collect();
        assert_eq!(adds, ["target add --toolchain 1.95.0 x86_64-unknown-none"]);
        // A second check finds everything and changes nothing.
        std::fs::write(&log, "").unwrap();
        ensure_with(&pinned, &rustup).unwrap();
        let calls = std::fs::read_to_string(&log).unwrap();
        assert!(calls.lines().all(|line| line.contains(" list ")), "{calls}");

        // A rustup that cannot add fails, naming the command.
        std::fs::remove_file(&has_target).unwrap();
        let broken = dir.join("rustup-broken");
        std::fs::write(
            &broken,
            "#!/bin/sh\ncase \"$1 $2\" in\n'target list'|'component list') \
             echo rust-src clippy llvm-tools ;;\n*) exit 1 ;;\nesac\n",
        )
        .unwrap();
        std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).unwrap();
        let error = ensure_with(&pinned, &broken).unwrap_err();
        assert!(format!("{error:#}").contains("target add"), "{error:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
