//! `cargo xtask syscalls`: generates `docs/syscalls.md`, the support state of every x86-64
//! syscall, from the kernel's syscall table (`kernel/src/syscall/table.rs`).
//!
//! Each line of the `syscall_table! { … }` block reads
//! `<number> <name> => <module>::<handler>(<args>);`, optionally followed by
//! `// partial: <reason>`. The `absent_table! { … }` block after it reads
//! `<number> <name> => absent("<reason>");` or `… => not_configured("<reason>");`: numbers that
//! Linux 6.1 answers with ENOSYS too. Every syscall in [`abi::SYSCALL_NAMES`] is listed as `done`
//! (in the table), `partial` (in the table with a `partial` comment), `absent in Linux 6.1`,
//! `not configured` (in the absent table) or `missing` (in neither: ENOSYS where Linux has the
//! call). With `--check`, nothing is written and a stale `docs/syscalls.md` is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::SyscallsOptions;
use crate::paths;

/// One line of the syscall table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    pub number: usize,
    pub name: String,
    /// The reason after `// partial:`, if the syscall is only partly supported.
    pub partial: Option<String>,
}

/// Why a number answers ENOSYS on Linux 6.1 as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsentKind {
    /// ENOSYS on every Linux 6.1 x86-64 (no entry point, removed, newer, or off by default).
    Absent,
    /// Linux 6.1 has it; Ferrux answers as a Linux built without the option named.
    NotConfigured,
}

/// One line of the absent table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentEntry {
    pub number: usize,
    pub name: String,
    pub kind: AbsentKind,
    pub reason: String,
}

fn table_path() -> PathBuf {
    paths::repo_root().join("kernel/src/syscall/table.rs")
}

fn doc_path() -> PathBuf {
    paths::repo_root().join("docs/syscalls.md")
}

pub fn run(options: &SyscallsOptions) -> Result<ExitCode> {
    let table_path = table_path();
    let source = std::fs::read_to_string(&table_path)
        .with_context(|| format!("cannot read {}", table_path.display()))?;
    let entries = parse_table(&source)?;
    let absent = parse_absent_table(&source)?;
    let markdown = render(&entries, &absent)?;
    let doc_path = doc_path();
    if options.is_check {
        let current = std::fs::read_to_string(&doc_path).unwrap_or_default();
        if current != markdown {
            eprintln!(
                "xtask: {} is out of date with {}; run `cargo xtask syscalls`",
                display_relative(&doc_path),
                display_relative(&table_path)
            );
            return Ok(ExitCode::FAILURE);
        }
        println!("{} is up to date", display_relative(&doc_path));
    } else {
        if let Some(parent) = doc_path.parent() {
            paths::ensure_dir(parent)?;
        }
        std::fs::write(&doc_path, &markdown)
            .with_context(|| format!("cannot write {}", doc_path.display()))?;
        println!("wrote {}", display_relative(&doc_path));
    }
    Ok(ExitCode::SUCCESS)
}

fn display_relative(path: &Path) -> String {
    path.strip_prefix(paths::repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Parses the lines inside the `syscall_table! { … }` invocation (not the macro definition).
pub fn parse_table(source: &str) -> Result<Vec<TableEntry>> {
    let mut lines = source.lines().enumerate();
    lines
        .by_ref()
        .find(|(_, line)| line.trim() == "syscall_table! {")
        .context("no `syscall_table! {` block in the syscall table")?;
    let mut entries = Vec::new();
    for (index, line) in lines {
        let trimmed = line.trim();
        if trimmed == "}" {
            return Ok(entries);
        }
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        let entry =
            parse_line(trimmed).with_context(|| format!("table.rs:{}: {trimmed}", index + 1))?;
        entries.push(entry);
    }
    bail!("the `syscall_table! {{` block is not closed")
}

/// Parses the lines inside the `absent_table! { … }` invocation (none if there is no block).
pub fn parse_absent_table(source: &str) -> Result<Vec<AbsentEntry>> {
    let mut lines = source.lines().enumerate();
    if lines
        .by_ref()
        .find(|(_, line)| line.trim() == "absent_table! {")
        .is_none()
    {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for (index, line) in lines {
        let trimmed = line.trim();
        if trimmed == "}" {
            return Ok(entries);
        }
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        let entry = parse_absent_line(trimmed)
            .with_context(|| format!("table.rs:{}: {trimmed}", index + 1))?;
        entries.push(entry);
    }
    bail!("the `absent_table! {{` block is not closed")
}

/// Parses `<number> <name> => absent("<reason>");` (or `not_configured`).
pub fn parse_absent_line(line: &str) -> Result<AbsentEntry> {
    let (head, call) = line.split_once("=>").context("expected `=>`")?;
    let mut words = head.split_whitespace();
    let (Some(number), Some(name), None) = (words.next(), words.next(), words.next()) else {
        bail!("expected `<number> <name>` before `=>`");
    };
    let number: usize = number
        .parse()
        .with_context(|| format!("bad syscall number {number:?}"))?;
    let call = call.trim();
    let (kind, rest) = if let Some(rest) = call.strip_prefix("absent(") {
        (AbsentKind::Absent, rest)
    } else if let Some(rest) = call.strip_prefix("not_configured(") {
        (AbsentKind::NotConfigured, rest)
    } else {
        bail!("expected `absent(\"…\");` or `not_configured(\"…\");` after `=>`");
    };
    let reason = rest
        .strip_suffix(");")
        .and_then(|quoted| quoted.strip_prefix('"'))
        .and_then(|quoted| quoted.strip_suffix('"'))
        .context("expected a quoted reason and `);`")?;
    if reason.contains('"') || reason.contains('\\') {
        bail!("the reason must be a plain string literal");
    }
    Ok(AbsentEntry {
        number,
        name: name.to_string(),
        kind,
        reason: reason.to_string(),
    })
}

/// Checks that `number` is the x86-64 syscall called `name`.
fn check_name(number: usize, name: &str) -> Result<()> {
    match abi::SYSCALL_NAMES.iter().find(|&&(nr, _)| nr == number) {
        None => bail!("syscall {number} ({name}) is not an x86-64 syscall"),
        Some(&(_, abi_name)) if abi_name != name => {
            bail!("syscall {number} is named {name} in the table but {abi_name} in abi")
        }
        Some(_) => Ok(()),
    }
}

/// Parses `<number> <name> => <module>::<handler>(<args>); [// partial: <reason>]`.
pub fn parse_line(line: &str) -> Result<TableEntry> {
    let (code, comment) = match line.split_once("//") {
        Some((code, comment)) => (code.trim(), Some(comment.trim())),
        None => (line.trim(), None),
    };
    let (head, call) = code.split_once("=>").context("expected `=>`")?;
    let mut words = head.split_whitespace();
    let (Some(number), Some(name), None) = (words.next(), words.next(), words.next()) else {
        bail!("expected `<number> <name>` before `=>`");
    };
    let number: usize = number
        .parse()
        .with_context(|| format!("bad syscall number {number:?}"))?;
    let call = call.trim();
    if !(call.contains("::") && call.contains('(') && call.ends_with(");")) {
        bail!("expected `<module>::<handler>(<args>);` after `=>`");
    }
    let partial = match comment {
        None => None,
        Some(comment) => match comment.strip_prefix("partial:") {
            Some(reason) => Some(reason.trim().to_string()),
            None => bail!("unknown trailing comment (only `// partial: <reason>` is allowed)"),
        },
    };
    Ok(TableEntry {
        number,
        name: name.to_string(),
        partial,
    })
}

/// The markdown for `docs/syscalls.md`.
pub fn render(entries: &[TableEntry], absent: &[AbsentEntry]) -> Result<String> {
    let mut by_number: BTreeMap<usize, &TableEntry> = BTreeMap::new();
    for entry in entries {
        if let Some(previous) = by_number.insert(entry.number, entry) {
            bail!(
                "syscall {} appears twice in the table ({} and {})",
                entry.number,
                previous.name,
                entry.name
            );
        }
        check_name(entry.number, &entry.name)?;
    }
    let mut absent_by_number: BTreeMap<usize, &AbsentEntry> = BTreeMap::new();
    for entry in absent {
        check_name(entry.number, &entry.name)?;
        if by_number.contains_key(&entry.number) {
            bail!(
                "syscall {} ({}) is both implemented and absent",
                entry.number,
                entry.name
            );
        }
        if absent_by_number.insert(entry.number, entry).is_some() {
            bail!(
                "syscall {} ({}) appears twice in the absent table",
                entry.number,
                entry.name
            );
        }
    }

    let (mut done, mut partial, mut missing, mut not_in_linux, mut not_configured) =
        (0, 0, 0, 0, 0);
    let mut rows = String::new();
    for &(number, name) in abi::SYSCALL_NAMES {
        let (state, notes) = match by_number.get(&number) {
            Some(TableEntry {
                partial: Some(reason),
                ..
            }) => {
                partial += 1;
                ("partial", escape(reason))
            }
            Some(_) => {
                done += 1;
                ("done", String::new())
            }
            None => match absent_by_number.get(&number) {
                Some(AbsentEntry {
                    kind: AbsentKind::Absent,
                    reason,
                    ..
                }) => {
                    not_in_linux += 1;
                    ("absent in Linux 6.1", escape(reason))
                }
                Some(AbsentEntry {
                    kind: AbsentKind::NotConfigured,
                    reason,
                    ..
                }) => {
                    not_configured += 1;
                    ("not configured", escape(reason))
                }
                None => {
                    missing += 1;
                    ("missing", String::new())
                }
            },
        };
        rows.push_str(&format!("| {number} | {name} | {state} | {notes} |\n"));
    }

    Ok(format!(
        "\
# Syscalls

<!-- Generated by `cargo xtask syscalls` from kernel/src/syscall/table.rs: do not edit by hand. -->

Every x86-64 Linux syscall and its state in Ferrux:

- `done`: implemented (listed in `kernel/src/syscall/table.rs`);
- `partial`: implemented for the cases given in the notes only;
- `absent in Linux 6.1`: Linux 6.1 x86-64 answers `ENOSYS` too, whatever its configuration (no
  64-bit entry point, removed, added later, or off by default), and so does Ferrux, without a log
  line (the `absent` suite checks each on both kernels);
- `not configured`: Linux 6.1 has the call and Debian's kernel enables it, but Ferrux answers
  `ENOSYS` as a Linux built without the option named in the notes;
- `missing`: Linux 6.1 implements it and Ferrux does not yet; returns `ENOSYS` (logged once).

This file is generated by `cargo xtask syscalls` (do not edit by hand);
`cargo xtask syscalls --check` fails if it is out of date.

**{done} done, {partial} partial, {not_in_linux} absent in Linux 6.1, {not_configured} not configured, {missing} missing** (of {total}).

| number | name | state | notes |
|---:|---|---|---|
{rows}",
        total = abi::SYSCALL_NAMES.len(),
    ))
}

/// Keeps a note from breaking the markdown table.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_done_and_partial_lines() {
        let entry =
            parse_line("    0 read => read_write::read(fd: Fd, buf: UserPtr<u8>, count: usize);")
                .unwrap();
        assert_eq!(
            entry,
            TableEntry {
                number: 0,
                name: "read".into(),
                partial: None
            }
        );
        let entry = parse_line(
            "157 prctl => sys::prctl(option: i32, arg2: u64); // partial: PR_SET_NAME, PR_GET_NAME",
        )
        .unwrap();
        assert_eq!(entry.number, 157);
        assert_eq!(entry.name, "prctl");
        assert_eq!(entry.partial.as_deref(), Some("PR_SET_NAME, PR_GET_NAME"));
        let entry = parse_line("24 sched_yield => sys::sched_yield();").unwrap();
        assert_eq!(entry.name, "sched_yield");
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(parse_line("read => read_write::read(fd: Fd);").is_err());
        assert!(parse_line("x read => read_write::read(fd: Fd);").is_err());
        assert!(parse_line("0 read read_write::read(fd: Fd);").is_err());
        assert!(parse_line("0 read => read(fd: Fd);").is_err());
        assert!(parse_line("0 read => read_write::read(fd: Fd); // todo").is_err());
    }

    #[test]
    fn parses_only_the_table_block() {
        let source = "\
macro_rules! syscall_table {
    ($($number:literal $name:ident => $module:ident :: $handler:ident ( $($arg:ident : $ty:ty),* );)*) => {};
}

syscall_table! {
    0 read => read_write::read(fd: Fd, buf: UserPtr<u8>, count: usize);
    // a comment
    157 prctl => sys::prctl(option: i32); // partial: names only
}
";
        let entries = parse_table(source).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].partial.as_deref(), Some("names only"));
        let markdown = render(&entries, &[]).unwrap();
        assert!(markdown.contains("| 0 | read | done |  |\n"));
        assert!(markdown.contains("| 157 | prctl | partial | names only |\n"));
        assert!(markdown.contains("| 1 | write | missing |  |\n"));
    }

    #[test]
    fn parses_the_absent_block() {
        let source = "\
syscall_table! {
    0 read => read_write::read(fd: Fd, buf: UserPtr<u8>, count: usize);
}

absent_table! {
    134 uselib => absent(\"no 64-bit entry point\");
    // a comment
    246 kexec_load => not_configured(\"CONFIG_KEXEC\");
}
";
        let entries = parse_table(source).unwrap();
        let absent = parse_absent_table(source).unwrap();
        assert_eq!(absent.len(), 2);
        assert_eq!(absent[0].kind, AbsentKind::Absent);
        assert_eq!(absent[1].kind, AbsentKind::NotConfigured);
        let markdown = render(&entries, &absent).unwrap();
        assert!(
            markdown.contains("| 134 | uselib | absent in Linux 6.1 | no 64-bit entry point |\n")
        );
        assert!(markdown.contains("| 246 | kexec_load | not configured | CONFIG_KEXEC |\n"));
        assert!(parse_absent_line("0 read => absent(\"x\");").is_ok());
        assert!(parse_absent_line("134 uselib => gone(\"x\");").is_err());
        assert!(parse_absent_line("134 uselib => absent(x);").is_err());
        let both =
            parse_absent_table("absent_table! {\n    0 read => absent(\"x\");\n}\n").unwrap();
        assert!(render(&entries, &both).is_err());
    }
}
