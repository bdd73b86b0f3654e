//! File-type and permission bits of `st_mode` (`include/uapi/linux/stat.h`).

use linux_raw_sys::general as raw;

/// Mask of the file-type bits.
pub const S_IFMT: u32 = raw::S_IFMT;
/// Socket.
pub const S_IFSOCK: u32 = raw::S_IFSOCK;
/// Symbolic link.
pub const S_IFLNK: u32 = raw::S_IFLNK;
/// Regular file.
pub const S_IFREG: u32 = raw::S_IFREG;
/// Block device.
pub const S_IFBLK: u32 = raw::S_IFBLK;
/// Directory.
pub const S_IFDIR: u32 = raw::S_IFDIR;
/// Character device.
pub const S_IFCHR: u32 = raw::S_IFCHR;
/// FIFO.
pub const S_IFIFO: u32 = raw::S_IFIFO;
/// Set user id on execution.
pub const S_ISUID: u32 = raw::S_ISUID;
/// Set group id on execution.
pub const S_ISGID: u32 = raw::S_ISGID;
/// Sticky (restricted deletion for directories).
pub const S_ISVTX: u32 = raw::S_ISVTX;
/// Owner read, write, execute.
pub const S_IRWXU: u32 = raw::S_IRWXU;
/// Owner read.
pub const S_IRUSR: u32 = raw::S_IRUSR;
/// Owner write.
pub const S_IWUSR: u32 = raw::S_IWUSR;
/// Owner execute.
pub const S_IXUSR: u32 = raw::S_IXUSR;
/// Group read, write, execute.
pub const S_IRWXG: u32 = raw::S_IRWXG;
/// Group read.
pub const S_IRGRP: u32 = raw::S_IRGRP;
/// Group write.
pub const S_IWGRP: u32 = raw::S_IWGRP;
/// Group execute.
pub const S_IXGRP: u32 = raw::S_IXGRP;
/// Others read, write, execute.
pub const S_IRWXO: u32 = raw::S_IRWXO;
/// Others read.
pub const S_IROTH: u32 = raw::S_IROTH;
/// Others write.
pub const S_IWOTH: u32 = raw::S_IWOTH;
/// Others execute.
pub const S_IXOTH: u32 = raw::S_IXOTH;
/// All permission bits including set-id and sticky (`S_IALLUGO`).
pub const S_IALLUGO: u32 = S_ISUID | S_ISGID | S_ISVTX | S_IRWXU | S_IRWXG | S_IRWXO;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(S_IFMT, 0o170000);
        assert_eq!(S_IFDIR, 0o040000);
        assert_eq!(S_IFLNK, 0o120000);
        assert_eq!(S_IALLUGO, 0o7777);
    }
}
