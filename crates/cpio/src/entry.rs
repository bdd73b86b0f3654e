//! One record of a cpio archive, borrowed from the archive's bytes.

use crate::mode;

/// One member of a cpio archive. Names and data borrow from the archive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The path as stored, without the terminating NUL (for example `b"bin/busybox"` or
    /// `b"./x"`). Like Linux, the name ends at its first NUL byte.
    pub name: &'a [u8],
    /// Inode number, used to recognise hard links.
    pub ino: u32,
    /// The full `st_mode`: file-type bits ([`mode::S_IFMT`]) and permission bits.
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Link count; above 1 for a member of a hard-link group.
    pub nlink: u32,
    /// Modification time in seconds since the epoch.
    pub mtime: u32,
    /// Major number of the device that held the file (with `ino`, identifies hard links).
    pub dev_major: u32,
    /// Minor number of the device that held the file.
    pub dev_minor: u32,
    /// Major number of a character or block device node.
    pub rdev_major: u32,
    /// Minor number of a character or block device node.
    pub rdev_minor: u32,
    /// File contents for a regular file, the target for a symbolic link, otherwise usually empty.
    pub data: &'a [u8],
}

/// The file type encoded in the [`mode::S_IFMT`] bits of a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// `S_IFREG`
    Regular,
    /// `S_IFDIR`
    Directory,
    /// `S_IFLNK`
    Symlink,
    /// `S_IFCHR`
    CharDevice,
    /// `S_IFBLK`
    BlockDevice,
    /// `S_IFIFO`
    Fifo,
    /// `S_IFSOCK`
    Socket,
    /// Any other value of the type bits (Linux creates nothing for these).
    Unknown,
}

impl FileType {
    /// The type encoded in `mode`'s [`mode::S_IFMT`] bits.
    pub fn from_mode(mode: u32) -> FileType {
        match mode & mode::S_IFMT {
            mode::S_IFREG => FileType::Regular,
            mode::S_IFDIR => FileType::Directory,
            mode::S_IFLNK => FileType::Symlink,
            mode::S_IFCHR => FileType::CharDevice,
            mode::S_IFBLK => FileType::BlockDevice,
            mode::S_IFIFO => FileType::Fifo,
            mode::S_IFSOCK => FileType::Socket,
            _ => FileType::Unknown,
        }
    }
}

impl Entry<'_> {
    /// The file type from the mode's type bits.
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }

    /// The permission bits (including set-uid, set-gid and sticky) without the type bits.
    pub fn permissions(&self) -> u32 {
        self.mode & mode::PERMISSION_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_from_mode() {
        assert_eq!(FileType::from_mode(0o100644), FileType::Regular);
        assert_eq!(FileType::from_mode(0o040755), FileType::Directory);
        assert_eq!(FileType::from_mode(0o120777), FileType::Symlink);
        assert_eq!(FileType::from_mode(0o020600), FileType::CharDevice);
        assert_eq!(FileType::from_mode(0o060600), FileType::BlockDevice);
        assert_eq!(FileType::from_mode(0o010600), FileType::Fifo);
        assert_eq!(FileType::from_mode(0o140600), FileType::Socket);
        assert_eq!(FileType::from_mode(0o000644), FileType::Unknown);
    }
}
