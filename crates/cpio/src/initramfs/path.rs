//! Where an entry's name points, resolved the way Linux's path walk resolves the names that
//! `init/initramfs.c` hands to `init_mkdir`, `filp_open`, `init_symlink` and the rest: from the
//! root, `.` and empty components (`a//b`) ignored, `..` going up one directory and staying put
//! at the root, so `../../etc/x` is `/etc/x` and nothing lands outside the root file system.
//!
//! A name whose last component is `.` or `..` (or that is empty) names a directory that exists
//! already: Linux's `mkdir` of it fails with `EEXIST` but the `chown`/`chmod` that follow still
//! apply to that directory, a regular file cannot be opened over it (`EISDIR`) and a symlink
//! cannot be made (`EEXIST`); [`ResolvedName::names_existing_dir`] says so, and the caller must
//! neither remove nor replace that directory.

use alloc::vec::Vec;

/// An entry's name, resolved.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResolvedName<'a> {
    /// The components from the root, without `.`, `..` and empty ones (empty: the root itself).
    pub components: Vec<&'a [u8]>,
    /// The name ends in `.` or `..`, or is empty: it names a directory that must already be
    /// there, never a new entry.
    pub names_existing_dir: bool,
}

impl<'a> ResolvedName<'a> {
    /// Resolves `name`; `None` when there is no memory for its components.
    pub fn new(name: &'a [u8]) -> Option<ResolvedName<'a>> {
        let mut resolved = ResolvedName::default();
        let mut last_is_dots = true;
        for component in name.split(|&byte| byte == b'/') {
            match component {
                b"" => {}
                b"." => last_is_dots = true,
                b".." => {
                    resolved.components.pop();
                    last_is_dots = true;
                }
                _ => {
                    resolved.components.try_reserve(1).ok()?;
                    resolved.components.push(component);
                    last_is_dots = false;
                }
            }
        }
        resolved.names_existing_dir = last_is_dots;
        Some(resolved)
    }

    /// The directories on the way and the last component; `None` for the root.
    pub fn split_last(&self) -> Option<(&'a [u8], &[&'a [u8]])> {
        self.components
            .split_last()
            .map(|(last, parents)| (*last, parents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn resolve(name: &[u8]) -> (Vec<&[u8]>, bool) {
        let resolved = ResolvedName::new(name).unwrap();
        (resolved.components, resolved.names_existing_dir)
    }

    #[test]
    fn plain_names() {
        assert_eq!(
            resolve(b"bin/busybox"),
            (vec![&b"bin"[..], b"busybox"], false)
        );
        assert_eq!(resolve(b"./bin//sh"), (vec![&b"bin"[..], b"sh"], false));
        assert_eq!(resolve(b"/init"), (vec![&b"init"[..]], false));
    }

    #[test]
    fn dots_stay_inside_the_root() {
        assert_eq!(
            resolve(b"../../etc/passwd"),
            (vec![&b"etc"[..], b"passwd"], false)
        );
        assert_eq!(resolve(b"a/../../b"), (vec![&b"b"[..]], false));
        assert_eq!(resolve(b"a/b/../c"), (vec![&b"a"[..], b"c"], false));
    }

    #[test]
    fn names_ending_in_dots_name_existing_directories() {
        assert_eq!(resolve(b"."), (vec![], true));
        assert_eq!(resolve(b""), (vec![], true));
        assert_eq!(resolve(b"a/.."), (vec![], true));
        assert_eq!(resolve(b"a/b/.."), (vec![&b"a"[..]], true));
        assert_eq!(resolve(b"a/."), (vec![&b"a"[..]], true));
        assert_eq!(resolve(b"a/"), (vec![&b"a"[..]], false));
        let resolved = ResolvedName::new(b"x/y/../z").unwrap();
        assert_eq!(resolved.split_last(), Some((&b"z"[..], &[&b"x"[..]][..])));
        assert_eq!(ResolvedName::new(b"..").unwrap().split_last(), None);
    }
}
