//! Hard-link groups, as Linux's `find_link` and `maybe_link` in `init/initramfs.c` track them.
//!
//! Until the next `TRAILER!!!` record (Linux's `free_hash`), a regular file, device node, FIFO
//! or socket with `nlink >= 2` is keyed by inode number, device and file type. The first entry
//! of a key is created normally and its name remembered (a copy: the archive streams past); each
//! later one becomes a hard link to that name.

use alloc::vec::Vec;

use crate::entry::FileType;
use crate::mode::S_IFMT;

/// What identifies a group of hard links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct LinkKey {
    ino: u32,
    dev_major: u32,
    dev_minor: u32,
    file_type_bits: u32,
}

/// The fields of a record that decide its hard-link group.
#[derive(Clone, Copy, Debug)]
pub struct LinkInfo {
    pub ino: u32,
    pub mode: u32,
    pub nlink: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
}

/// Allocation of the table failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// First names of the hard-link groups seen since the last trailer, sorted by key; the names
/// are stored one after another in `names`.
#[derive(Debug, Default)]
pub struct HardLinks {
    groups: Vec<(LinkKey, usize, usize)>,
    names: Vec<u8>,
}

impl HardLinks {
    /// For a record that Linux may hard-link, the name of the first member of its group if an
    /// earlier record was one; otherwise `None`, and `name` is remembered as its group's first.
    pub fn resolve(&mut self, info: LinkInfo, name: &[u8]) -> Result<Option<&[u8]>, OutOfMemory> {
        let can_link = matches!(
            FileType::from_mode(info.mode),
            FileType::Regular
                | FileType::CharDevice
                | FileType::BlockDevice
                | FileType::Fifo
                | FileType::Socket
        );
        if !can_link || info.nlink < 2 {
            return Ok(None);
        }
        let key = LinkKey {
            ino: info.ino,
            dev_major: info.dev_major,
            dev_minor: info.dev_minor,
            file_type_bits: info.mode & S_IFMT,
        };
        match self.groups.binary_search_by_key(&key, |&(key, _, _)| key) {
            Ok(index) => {
                let (_, start, len) = self.groups[index];
                Ok(self.names.get(start..start + len))
            }
            Err(index) => {
                self.groups.try_reserve(1).map_err(|_| OutOfMemory)?;
                self.names
                    .try_reserve(name.len())
                    .map_err(|_| OutOfMemory)?;
                let start = self.names.len();
                self.names.extend_from_slice(name);
                self.groups.insert(index, (key, start, name.len()));
                Ok(None)
            }
        }
    }

    /// The bytes held, for the tests of bounded memory.
    #[cfg(test)]
    pub fn memory_held(&self) -> usize {
        self.groups.capacity() * core::mem::size_of::<(LinkKey, usize, usize)>()
            + self.names.capacity()
    }

    /// Forgets every group (at a `TRAILER!!!`).
    pub fn clear(&mut self) {
        self.groups = Vec::new();
        self.names = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(mode: u32, ino: u32, nlink: u32) -> LinkInfo {
        LinkInfo {
            ino,
            mode,
            nlink,
            dev_major: 8,
            dev_minor: 1,
        }
    }

    #[test]
    fn later_members_link_to_the_first() {
        let mut links = HardLinks::default();
        assert_eq!(links.resolve(info(0o100644, 5, 3), b"a"), Ok(None));
        assert_eq!(
            links.resolve(info(0o100644, 5, 3), b"b"),
            Ok(Some(&b"a"[..]))
        );
        assert_eq!(
            links.resolve(info(0o100644, 5, 3), b"c"),
            Ok(Some(&b"a"[..]))
        );
        // Same inode number but another file type is another group, as in Linux.
        assert_eq!(links.resolve(info(0o020644, 5, 2), b"d"), Ok(None));
        assert_eq!(
            links.resolve(info(0o020644, 5, 2), b"e"),
            Ok(Some(&b"d"[..]))
        );
        links.clear();
        assert_eq!(links.resolve(info(0o100644, 5, 3), b"f"), Ok(None));
    }

    #[test]
    fn single_links_directories_and_symlinks_are_never_linked() {
        let mut links = HardLinks::default();
        assert_eq!(links.resolve(info(0o100644, 5, 1), b"a"), Ok(None));
        assert_eq!(links.resolve(info(0o100644, 5, 1), b"b"), Ok(None));
        assert_eq!(links.resolve(info(0o040755, 6, 2), b"d"), Ok(None));
        assert_eq!(links.resolve(info(0o040755, 6, 2), b"e"), Ok(None));
        assert_eq!(links.resolve(info(0o120777, 7, 2), b"l"), Ok(None));
        assert_eq!(links.resolve(info(0o120777, 7, 2), b"m"), Ok(None));
    }
}
