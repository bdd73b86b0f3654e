//! Hard-link groups, as Linux's `find_link` and `maybe_link` in `init/initramfs.c` track them.
//!
//! Within one archive (the table is reset at each `TRAILER!!!`), a regular file, device node,
//! FIFO or socket with `nlink >= 2` is keyed by inode number, device and file type. The first entry
//! of a key is created normally; each later one becomes a hard link to the first one's name.

use alloc::vec::Vec;

use crate::Entry;
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

/// Allocation of the table failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// First names of the hard-link groups seen so far in one archive, sorted by key.
#[derive(Debug, Default)]
pub struct HardLinks<'a> {
    first_names: Vec<(LinkKey, &'a [u8])>,
}

impl<'a> HardLinks<'a> {
    /// For an entry that Linux may hard-link, the name of the first member of its group if an
    /// earlier entry was one; otherwise `None`, and the entry is remembered as its group's first.
    pub fn resolve(&mut self, entry: &Entry<'a>) -> Result<Option<&'a [u8]>, OutOfMemory> {
        let can_link = matches!(
            entry.file_type(),
            FileType::Regular
                | FileType::CharDevice
                | FileType::BlockDevice
                | FileType::Fifo
                | FileType::Socket
        );
        if !can_link || entry.nlink < 2 {
            return Ok(None);
        }
        let key = LinkKey {
            ino: entry.ino,
            dev_major: entry.dev_major,
            dev_minor: entry.dev_minor,
            file_type_bits: entry.mode & S_IFMT,
        };
        match self.first_names.binary_search_by_key(&key, |&(key, _)| key) {
            Ok(index) => Ok(Some(self.first_names[index].1)),
            Err(index) => {
                self.first_names.try_reserve(1).map_err(|_| OutOfMemory)?;
                self.first_names.insert(index, (key, entry.name));
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &[u8], mode: u32, ino: u32, nlink: u32) -> Entry<'_> {
        Entry {
            name,
            ino,
            mode,
            uid: 0,
            gid: 0,
            nlink,
            mtime: 0,
            dev_major: 8,
            dev_minor: 1,
            rdev_major: 0,
            rdev_minor: 0,
            data: b"",
        }
    }

    #[test]
    fn later_members_link_to_the_first() {
        let mut links = HardLinks::default();
        assert_eq!(links.resolve(&entry(b"a", 0o100644, 5, 3)), Ok(None));
        assert_eq!(
            links.resolve(&entry(b"b", 0o100644, 5, 3)),
            Ok(Some(&b"a"[..]))
        );
        assert_eq!(
            links.resolve(&entry(b"c", 0o100644, 5, 3)),
            Ok(Some(&b"a"[..]))
        );
        // Same inode number but another file type is another group, as in Linux.
        assert_eq!(links.resolve(&entry(b"d", 0o020644, 5, 2)), Ok(None));
        assert_eq!(
            links.resolve(&entry(b"e", 0o020644, 5, 2)),
            Ok(Some(&b"d"[..]))
        );
    }

    #[test]
    fn single_links_directories_and_symlinks_are_never_linked() {
        let mut links = HardLinks::default();
        assert_eq!(links.resolve(&entry(b"a", 0o100644, 5, 1)), Ok(None));
        assert_eq!(links.resolve(&entry(b"b", 0o100644, 5, 1)), Ok(None));
        assert_eq!(links.resolve(&entry(b"d", 0o040755, 6, 2)), Ok(None));
        assert_eq!(links.resolve(&entry(b"e", 0o040755, 6, 2)), Ok(None));
        assert_eq!(links.resolve(&entry(b"l", 0o120777, 7, 2)), Ok(None));
        assert_eq!(links.resolve(&entry(b"m", 0o120777, 7, 2)), Ok(None));
    }
}
