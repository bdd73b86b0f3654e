//! `#!` interpreter lines, parsed as Linux's `fs/binfmt_script.c` (6.1) does.
//!
//! Only the first [`BINPRM_BUF_SIZE`] bytes of the file are looked at. The line ends at the
//! first newline; trailing spaces and tabs are dropped; the interpreter is the first word after
//! `#!` (leading spaces and tabs skipped) and everything after the following run of blanks is
//! one optional argument — internal blanks included, as Linux passes it. A line with no
//! newline within the buffer is accepted only if the interpreter name visibly ends inside it
//! (otherwise it may have been cut: ENOEXEC).

/// How much of the file exec reads (`BINPRM_BUF_SIZE`).
pub const BINPRM_BUF_SIZE: usize = 256;

/// A parsed interpreter line.
#[derive(Debug, PartialEq, Eq)]
pub struct Shebang<'a> {
    pub interpreter: &'a [u8],
    pub argument: Option<&'a [u8]>,
}

/// Why a `#!` line is refused (exec answers ENOEXEC).
#[derive(Debug, PartialEq, Eq)]
pub struct BadShebang;

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

fn is_terminator(byte: u8) -> bool {
    is_blank(byte) || byte == 0
}

/// `Ok(None)` if `head` (the file's first bytes) is not a script; the interpreter line if it is.
pub fn parse_shebang(head: &[u8]) -> Result<Option<Shebang<'_>>, BadShebang> {
    let buffer = &head[..head.len().min(BINPRM_BUF_SIZE)];
    if !buffer.starts_with(b"#!") {
        return Ok(None);
    }
    // The usable buffer is one byte short of BINPRM_BUF_SIZE (Linux keeps a NUL there).
    let usable = &buffer[..buffer.len().min(BINPRM_BUF_SIZE - 1)];
    let mut end = match usable.iter().position(|&byte| byte == b'\n') {
        Some(newline) => newline,
        None => {
            let rest = &usable[2..];
            let Some(start) = rest.iter().position(|&byte| !is_blank(byte)) else {
                return Err(BadShebang);
            };
            // No later blank or NUL: the interpreter path may be truncated.
            if !rest[start..].iter().any(|&byte| is_terminator(byte)) {
                return Err(BadShebang);
            }
            usable.len()
        }
    };
    while end > 2 && is_blank(usable[end - 1]) {
        end -= 1;
    }
    let line = &usable[2..end];
    let Some(name_start) = line.iter().position(|&byte| !is_blank(byte)) else {
        return Err(BadShebang);
    };
    let line = &line[name_start..];
    let name_end = line
        .iter()
        .position(|&byte| is_terminator(byte))
        .unwrap_or(line.len());
    let interpreter = &line[..name_end];
    if interpreter.is_empty() {
        return Err(BadShebang);
    }
    let rest = &line[name_end..];
    // A NUL ends the line as far as the argument is concerned.
    let rest = match rest.iter().position(|&byte| byte == 0) {
        Some(0) => &rest[..0],
        _ => rest,
    };
    let argument = rest
        .iter()
        .position(|&byte| !is_blank(byte))
        .map(|start| {
            let argument = &rest[start..];
            let argument_end = argument
                .iter()
                .position(|&byte| byte == 0)
                .unwrap_or(argument.len());
            &argument[..argument_end]
        })
        .filter(|argument| !argument.is_empty());
    Ok(Some(Shebang {
        interpreter,
        argument,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interpreter and its optional argument.
    type Parts<'a> = (&'a [u8], Option<&'a [u8]>);

    fn parse(text: &[u8]) -> Result<Option<Parts<'_>>, BadShebang> {
        parse_shebang(text).map(|found| found.map(|s| (s.interpreter, s.argument)))
    }

    #[test]
    fn not_a_script() {
        assert_eq!(parse(b"\x7fELF"), Ok(None));
        assert_eq!(parse(b""), Ok(None));
        assert_eq!(parse(b"#"), Ok(None));
    }

    #[test]
    fn interpreter_and_one_argument() {
        assert_eq!(parse(b"#!/bin/sh\n"), Ok(Some((&b"/bin/sh"[..], None))));
        assert_eq!(
            parse(b"#!/bin/sh -e\necho"),
            Ok(Some((&b"/bin/sh"[..], Some(&b"-e"[..]))))
        );
        assert_eq!(
            parse(b"#!  /bin/x  argv  x  y \t \n"),
            Ok(Some((&b"/bin/x"[..], Some(&b"argv  x  y"[..]))))
        );
        assert_eq!(parse(b"#!/bin/x\t\n"), Ok(Some((&b"/bin/x"[..], None))));
    }

    #[test]
    fn no_interpreter_is_refused() {
        assert_eq!(parse(b"#!\n"), Err(BadShebang));
        assert_eq!(parse(b"#!   \t\n"), Err(BadShebang));
        assert_eq!(parse(b"#!"), Err(BadShebang));
    }

    #[test]
    fn long_lines() {
        let mut long = b"#!/".to_vec();
        long.extend(core::iter::repeat_n(b'a', 300));
        assert_eq!(parse(&long), Err(BadShebang));
        // Without a newline but with the name ending inside the buffer: accepted.
        let mut ok = b"#!/bin/sh ".to_vec();
        ok.extend(core::iter::repeat_n(b'a', 300));
        let parsed = parse(&ok).expect("accepted").expect("script");
        assert_eq!(parsed.0, b"/bin/sh");
        assert_eq!(parsed.1.map(|a| a.len()), Some(BINPRM_BUF_SIZE - 1 - 10));
    }
}
