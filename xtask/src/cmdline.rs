//! Words and kernel command lines.
//!
//! [`split_shell_words`] splits `--cmd` text the way a POSIX shell splits a simple command
//! (single quotes, double quotes with `\` escapes, backslash), without expansions.
//! [`KernelCommandLine`] assembles the `-append` string; [`KernelCommandLine::set_init`] encodes
//! init's argv as Linux's `next_arg()` (lib/cmdline.c) reads it back: `rdinit=/bin/PROG -- ARGS`,
//! where an argument with blanks is wrapped in double quotes. Linux cannot carry a `"` inside an
//! argument, nor a second `--` (it ends the init arguments), so those are rejected.

use anyhow::{Result, bail};

/// Splits `text` into words like `sh` does for a simple command.
pub fn split_shell_words(text: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut is_in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if is_in_word {
                    words.push(std::mem::take(&mut word));
                    is_in_word = false;
                }
            }
            '\'' => {
                is_in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => bail!("unterminated single quote"),
                    }
                }
            }
            '"' => {
                is_in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => bail!("unterminated double quote"),
                        },
                        Some(c) => word.push(c),
                        None => bail!("unterminated double quote"),
                    }
                }
            }
            '\\' => {
                is_in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => bail!("trailing backslash"),
                }
            }
            c => {
                is_in_word = true;
                word.push(c);
            }
        }
    }
    if is_in_word {
        words.push(word);
    }
    Ok(words)
}

/// A kernel command line under construction: parameters first, then init's arguments.
#[derive(Debug, Default)]
pub struct KernelCommandLine {
    params: Vec<String>,
    init_args: Vec<String>,
}

impl KernelCommandLine {
    /// The parameters every boot gets: the serial console, and no reboot loop after a panic.
    pub fn new() -> KernelCommandLine {
        let mut cmdline = KernelCommandLine::default();
        cmdline.push("console=ttyS0");
        cmdline.push("panic=-1");
        cmdline
    }

    /// Appends raw parameters (already in kernel command-line syntax).
    pub fn push(&mut self, params: &str) {
        if !params.trim().is_empty() {
            self.params.push(params.trim().to_string());
        }
    }

    /// Makes `argv[0]` init: a bare name is looked up in /bin. Further words become
    /// init's `argv[1..]`, passed after `--`.
    pub fn set_init(&mut self, argv: &[String]) -> Result<()> {
        self.set_init_as("rdinit", argv)
    }

    /// [`Self::set_init`] with `init=` (the root file system's init) or `rdinit=`.
    pub fn set_init_as(&mut self, param: &str, argv: &[String]) -> Result<()> {
        let Some((program, args)) = argv.split_first() else {
            bail!("init needs a program name");
        };
        if program.is_empty() || program.chars().any(|c| c.is_whitespace() || c == '"') {
            bail!("init program {program:?} cannot be named on a kernel command line");
        }
        let path = if program.starts_with('/') {
            program.clone()
        } else {
            format!("/bin/{program}")
        };
        self.push(&format!("{param}={path}"));
        self.init_args = args
            .iter()
            .map(|arg| encode_init_arg(arg))
            .collect::<Result<_>>()?;
        Ok(())
    }

    /// The string for QEMU's `-append`.
    pub fn render(&self) -> String {
        let mut text = self.params.join(" ");
        if !self.init_args.is_empty() {
            text.push_str(" -- ");
            text.push_str(&self.init_args.join(" "));
        }
        text
    }
}

fn encode_init_arg(arg: &str) -> Result<String> {
    if arg.contains('"') {
        bail!("init argument {arg:?} contains a double quote, which Linux cannot pass to init");
    }
    if arg == "--" {
        bail!("init argument `--` would end Linux's init arguments");
    }
    if arg.is_empty() || arg.chars().any(char::is_whitespace) {
        Ok(format!("\"{arg}\""))
    } else {
        Ok(arg.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        split_shell_words(text).unwrap()
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(words("busybox uname -a"), ["busybox", "uname", "-a"]);
        assert_eq!(
            words("busybox sh -c 'exit 7'"),
            ["busybox", "sh", "-c", "exit 7"]
        );
        assert_eq!(words(r#"a "b \"c\" \x" d\ e"#), ["a", r#"b "c" \x"#, "d e"]);
        assert_eq!(words("  x''  '' "), ["x", ""]);
        assert!(words("").is_empty());
        assert!(split_shell_words("'open").is_err());
        assert!(split_shell_words("\"open").is_err());
    }

    #[test]
    fn renders_init_argv_after_dashes() {
        let mut cmdline = KernelCommandLine::new();
        cmdline.push("quiet");
        cmdline.set_init(&words("busybox sh -c 'exit 7'")).unwrap();
        assert_eq!(
            cmdline.render(),
            r#"console=ttyS0 panic=-1 quiet rdinit=/bin/busybox -- sh -c "exit 7""#
        );
    }

    #[test]
    fn absolute_init_and_no_args() {
        let mut cmdline = KernelCommandLine::new();
        cmdline.set_init(&words("/sbin/init")).unwrap();
        assert_eq!(cmdline.render(), "console=ttyS0 panic=-1 rdinit=/sbin/init");
    }

    #[test]
    fn rejects_what_linux_cannot_pass() {
        let mut cmdline = KernelCommandLine::new();
        assert!(cmdline.set_init(&words(r#"echo 'say "hi"'"#)).is_err());
        assert!(cmdline.set_init(&words("busybox ls -- /")).is_err());
        assert!(cmdline.set_init(&[]).is_err());
    }
}
