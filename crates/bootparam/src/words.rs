//! Splitting a command line into `param[=value]` words, as Linux's `next_arg`
//! (`lib/cmdline.c`) does.
//!
//! Words are separated by white space (`isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`). A double
//! quote toggles "inside quotes", where white space does not split. Linux removes only two kinds
//! of quotes: a quote that opens the word together with the quote that ends it (`"a b"` is
//! `a b`), and a quote that opens the value together with the quote that ends the word
//! (`init="/bin/sh -x"` is `init` = `/bin/sh -x`). Other quotes stay (`a"b c"d` is one word,
//! quotes included). The parameter name ends at the first `=` that is not the word's first byte.

use alloc::string::String;

/// One word of the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The parameter name (the whole word when it has no `=`).
    pub param: String,
    /// What follows the first `=`, without its quotes; `None` without `=`.
    pub value: Option<String>,
}

impl Word {
    /// The word as Linux passes it to init (`repair_env_string`): `param=value` or `param`.
    pub fn joined(&self) -> String {
        match &self.value {
            Some(value) => {
                let mut joined = String::with_capacity(self.param.len() + 1 + value.len());
                joined.push_str(&self.param);
                joined.push('=');
                joined.push_str(value);
                joined
            }
            None => self.param.clone(),
        }
    }
}

/// C's `isspace` in the "C" locale.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The words of `line`, in order.
pub fn words(line: &str) -> Words<'_> {
    Words { rest: line }
}

/// Iterator over the words of a command line (see [`words`]).
#[derive(Debug, Clone)]
pub struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    /// The unparsed remainder of the line, starting at the next word.
    pub fn remainder(&self) -> &'a str {
        self.rest
            .trim_start_matches(|ch: char| ch.is_ascii() && is_space(ch as u8))
    }
}

impl Iterator for Words<'_> {
    type Item = Word;

    fn next(&mut self) -> Option<Word> {
        let args = self.remainder();
        if args.is_empty() {
            self.rest = args;
            return None;
        }
        let (args, is_quoted) = match args.strip_prefix('"') {
            Some(inner) => (inner, true),
            None => (args, false),
        };
        let bytes = args.as_bytes();
        let mut in_quote = is_quoted;
        let mut equals = 0;
        let mut end = 0;
        while end < bytes.len() {
            let byte = bytes[end];
            if is_space(byte) && !in_quote {
                break;
            }
            if equals == 0 && byte == b'=' {
                equals = end;
            }
            if byte == b'"' {
                in_quote = !in_quote;
            }
            end += 1;
        }
        // Every split point is an ASCII byte (or the end), so the slices below are on char
        // boundaries.
        let word = &args[..end];
        self.rest = &args[end..];
        let ends_in_quote = word.ends_with('"');
        let word = if is_quoted && ends_in_quote {
            &word[..word.len() - 1]
        } else {
            word
        };
        if equals == 0 {
            return Some(Word {
                param: word.into(),
                value: None,
            });
        }
        let param = &word[..equals];
        let mut value = &word[equals + 1..];
        if let Some(unquoted) = value.strip_prefix('"') {
            value = unquoted;
            // When the word itself was quoted, its closing quote is already gone.
            if ends_in_quote && !is_quoted {
                value = value.strip_suffix('"').unwrap_or(value);
            }
        }
        Some(Word {
            param: param.into(),
            value: Some(value.into()),
        })
    }
}
