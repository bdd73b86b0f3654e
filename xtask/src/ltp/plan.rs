//! Which LTP tests run, and in which image.
//!
//! A runtest file (`runtest/syscalls`) has one test per line: its name, then the program and
//! its arguments; `#` starts a comment. [`select`] applies `--only` and `--skip` (names, `*`
//! wildcards allowed). [`pack`] splits the tests into images whose programs fit a byte budget,
//! because the whole list's binaries (1.8 GB stripped) cannot be one initramfs: tests that run
//! the same program stay in one image, and so do a program's `_64` and `_16` variants
//! (`fcntl01`, `fcntl01_64`), so each program is packed once. Images keep the list's order.

use std::collections::BTreeMap;

/// One line of a runtest file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LtpTest {
    pub name: String,
    /// The program (a name in `testcases/bin`) and its arguments.
    pub argv: Vec<String>,
}

impl LtpTest {
    pub fn program(&self) -> &str {
        &self.argv[0]
    }

    /// The line as the guest runner reads it: `name program args…`.
    pub fn runtest_line(&self) -> String {
        format!("{} {}", self.name, self.argv.join(" "))
    }
}

/// Parses a runtest file; lines without a program are skipped.
pub fn parse_runtest(text: &str) -> Vec<LtpTest> {
    text.lines()
        .map(|line| line.split_once('#').map_or(line, |(before, _)| before))
        .filter_map(|line| {
            let mut words = line.split_whitespace().map(str::to_string);
            let name = words.next()?;
            let argv: Vec<String> = words.collect();
            (!argv.is_empty()).then_some(LtpTest { name, argv })
        })
        .collect()
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
pub fn matches(pattern: &str, name: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut remaining) = name.strip_prefix(head) else {
        return false;
    };
    let mut parts: Vec<&str> = rest.split('*').collect();
    let last = parts.pop().unwrap_or("");
    for part in parts {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// The tests that `only` (all when empty) names and `skip` does not, in the list's order.
pub fn select(tests: &[LtpTest], only: &[String], skip: &[String]) -> Vec<LtpTest> {
    let is_named = |patterns: &[String], name: &str| patterns.iter().any(|p| matches(p, name));
    tests
        .iter()
        .filter(|test| only.is_empty() || is_named(only, &test.name))
        .filter(|test| !is_named(skip, &test.name))
        .cloned()
        .collect()
}

/// The tests of one image and the programs they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePlan {
    pub tests: Vec<LtpTest>,
    /// Distinct programs, in first-use order.
    pub programs: Vec<String>,
    /// Their total size.
    pub bytes: u64,
}

/// The program's family: its name without a `_64` or `_16` suffix.
fn family(program: &str) -> &str {
    program
        .strip_suffix("_64")
        .or_else(|| program.strip_suffix("_16"))
        .unwrap_or(program)
}

/// Packs `tests` into images of at most `budget` bytes of programs (a family larger than the
/// budget gets an image of its own). `size_of` gives a program's size; tests whose program it
/// does not know are returned apart (not built).
pub fn pack(
    tests: &[LtpTest],
    size_of: impl Fn(&str) -> Option<u64>,
    budget: u64,
) -> (Vec<ImagePlan>, Vec<LtpTest>) {
    let mut missing = Vec::new();
    // Families in order of first appearance, each with its tests and programs.
    let mut order: Vec<String> = Vec::new();
    let mut families: BTreeMap<String, (Vec<LtpTest>, Vec<String>, u64)> = BTreeMap::new();
    for test in tests {
        let Some(size) = size_of(test.program()) else {
            missing.push(test.clone());
            continue;
        };
        let key = family(test.program()).to_string();
        let entry = families.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (Vec::new(), Vec::new(), 0)
        });
        entry.0.push(test.clone());
        if !entry.1.iter().any(|program| program == test.program()) {
            entry.1.push(test.program().to_string());
            entry.2 += size;
        }
    }
    let mut images: Vec<ImagePlan> = Vec::new();
    for key in order {
        let Some((family_tests, programs, bytes)) = families.remove(&key) else {
            continue;
        };
        let fits = images
            .last()
            .is_some_and(|image| image.bytes + bytes <= budget);
        if !fits {
            images.push(ImagePlan {
                tests: Vec::new(),
                programs: Vec::new(),
                bytes: 0,
            });
        }
        let image = images.last_mut().expect("an image was just pushed");
        image.tests.extend(family_tests);
        image.programs.extend(programs);
        image.bytes += bytes;
    }
    (images, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(name: &str, program: &str) -> LtpTest {
        LtpTest {
            name: name.to_string(),
            argv: vec![program.to_string()],
        }
    }

    #[test]
    fn parses_runtest_lines() {
        let text = "#DESCRIPTION:Kernel system calls\nabort01 abort01\n\n\
                    fork06 fork_procs -n 1000   # many\nlonely\n  ioctl02      test_ioctl\n";
        let tests = parse_runtest(text);
        assert_eq!(tests.len(), 3);
        assert_eq!(tests[1].name, "fork06");
        assert_eq!(tests[1].argv, ["fork_procs", "-n", "1000"]);
        assert_eq!(tests[1].runtest_line(), "fork06 fork_procs -n 1000");
        assert_eq!(tests[2].program(), "test_ioctl");
    }

    #[test]
    fn wildcards() {
        assert!(matches("fcntl*", "fcntl01_64"));
        assert!(matches("*_64", "fcntl01_64"));
        assert!(matches("f*l*4", "fcntl01_64"));
        assert!(matches("*", "x"));
        assert!(!matches("fcntl*", "afcntl"));
        assert!(!matches("*_16", "fcntl01_64"));
        assert!(matches("open01", "open01"));
        assert!(!matches("open01", "open011"));
        assert!(!matches("a*aa", "aa"));
    }

    #[test]
    fn selects_with_only_and_skip() {
        let tests = vec![test("a1", "a"), test("a2", "a"), test("b1", "b")];
        let names = |selected: Vec<LtpTest>| -> Vec<String> {
            selected.into_iter().map(|test| test.name).collect()
        };
        assert_eq!(names(select(&tests, &[], &[])), ["a1", "a2", "b1"]);
        assert_eq!(names(select(&tests, &["a*".into()], &[])), ["a1", "a2"]);
        assert_eq!(
            names(select(&tests, &["a*".into()], &["a2".into()])),
            ["a1"]
        );
        assert_eq!(names(select(&tests, &[], &["*1".into()])), ["a2"]);
    }

    #[test]
    fn packs_families_together_within_the_budget() {
        let tests = vec![
            test("fcntl01", "fcntl01"),
            test("open01", "open01"),
            test("fcntl01_64", "fcntl01_64"),
            test("fork06", "fork_procs"),
            test("fork11", "fork_procs"),
            test("huge", "huge"),
            test("gone", "gone"),
        ];
        let size = |program: &str| match program {
            "gone" => None,
            "huge" => Some(500),
            _ => Some(40),
        };
        let (images, missing) = pack(&tests, size, 100);
        assert_eq!(missing, [test("gone", "gone")]);
        let names: Vec<Vec<&str>> = images
            .iter()
            .map(|image| image.tests.iter().map(|t| t.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec!["fcntl01", "fcntl01_64"],
                vec!["open01", "fork06", "fork11"],
                vec!["huge"]
            ]
        );
        assert_eq!(images[0].programs, ["fcntl01", "fcntl01_64"]);
        assert_eq!(images[1].programs, ["open01", "fork_procs"]);
        assert_eq!(
            images.iter().map(|i| i.bytes).collect::<Vec<_>>(),
            [80, 80, 500]
        );
    }
}
