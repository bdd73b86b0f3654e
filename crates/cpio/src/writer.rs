//! Building newc archives, as `cpio -o -H newc` and Linux's `usr/gen_init_cpio` do.
//!
//! Every entry gets its own inode number (starting at 1, with a link count of 1, or 2 for
//! directories), the modification time set by [`NewcWriter::set_mtime`] (0 by default, so images
//! are reproducible) and device 0:0. Paths are stored as given: Linux's initramfs unpacker resolves
//! them from `/`, so `"bin/sh"` and `"/bin/sh"` name the same file. Parent directories must be
//! added before their children, as Linux creates entries in archive order.

use alloc::vec::Vec;
use core::fmt;

use crate::header::Header;
use crate::mode::{PERMISSION_MASK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG};
use crate::{PATH_MAX, TRAILER_NAME};

/// Why an entry could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The path is empty.
    EmptyPath,
    /// The path or symlink target contains a NUL byte.
    ContainsNul,
    /// The path or symlink target is longer than Linux accepts (`PATH_MAX` including the NUL).
    TooLong,
    /// The file is larger than the 4 GiB - 1 that a newc header can describe.
    FileTooLarge,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteError::EmptyPath => "empty path",
            WriteError::ContainsNul => "path or link target contains a NUL byte",
            WriteError::TooLong => "path or link target longer than PATH_MAX",
            WriteError::FileTooLarge => "file larger than a newc archive can hold",
        })
    }
}

impl core::error::Error for WriteError {}

/// Writes a newc archive into memory; [`finish`](NewcWriter::finish) returns its bytes.
#[derive(Clone, Debug)]
pub struct NewcWriter {
    archive: Vec<u8>,
    next_ino: u32,
    mtime: u32,
}

impl Default for NewcWriter {
    fn default() -> Self {
        NewcWriter::new()
    }
}

/// The fields of one entry that vary between kinds.
struct EntryFields<'a> {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    rdev_major: u32,
    rdev_minor: u32,
    data: &'a [u8],
}

impl NewcWriter {
    /// An empty archive.
    pub fn new() -> NewcWriter {
        NewcWriter {
            archive: Vec::new(),
            next_ino: 1,
            mtime: 0,
        }
    }

    /// Sets the modification time (seconds since the epoch) of the entries added after this call.
    pub fn set_mtime(&mut self, mtime: u32) {
        self.mtime = mtime;
    }

    /// Adds a directory with permission bits `mode`.
    pub fn add_dir(&mut self, path: &str, mode: u32, uid: u32, gid: u32) -> Result<(), WriteError> {
        self.push(
            path,
            EntryFields {
                mode: S_IFDIR | (mode & PERMISSION_MASK),
                uid,
                gid,
                nlink: 2,
                rdev_major: 0,
                rdev_minor: 0,
                data: &[],
            },
        )
    }

    /// Adds a regular file with permission bits `mode` and contents `data`.
    pub fn add_file(
        &mut self,
        path: &str,
        mode: u32,
        uid: u32,
        gid: u32,
        data: &[u8],
    ) -> Result<(), WriteError> {
        self.push(
            path,
            EntryFields {
                mode: S_IFREG | (mode & PERMISSION_MASK),
                uid,
                gid,
                nlink: 1,
                rdev_major: 0,
                rdev_minor: 0,
                data,
            },
        )
    }

    /// Adds a symbolic link (mode 0777, owned by root) pointing at `target`.
    pub fn add_symlink(&mut self, path: &str, target: &str) -> Result<(), WriteError> {
        check_name(target.as_bytes())?;
        self.push(
            path,
            EntryFields {
                mode: S_IFLNK | 0o777,
                uid: 0,
                gid: 0,
                nlink: 1,
                rdev_major: 0,
                rdev_minor: 0,
                data: target.as_bytes(),
            },
        )
    }

    /// Adds a character device node `major:minor` with permission bits `mode`, owned by root.
    pub fn add_char_device(
        &mut self,
        path: &str,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), WriteError> {
        self.add_device(path, S_IFCHR | (mode & PERMISSION_MASK), major, minor)
    }

    /// Adds a block device node `major:minor` with permission bits `mode`, owned by root.
    pub fn add_block_device(
        &mut self,
        path: &str,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), WriteError> {
        self.add_device(path, S_IFBLK | (mode & PERMISSION_MASK), major, minor)
    }

    /// Appends the `TRAILER!!!` record and returns the archive.
    pub fn finish(mut self) -> Vec<u8> {
        self.push_record(
            TRAILER_NAME,
            0,
            EntryFields {
                mode: 0,
                uid: 0,
                gid: 0,
                nlink: 1,
                rdev_major: 0,
                rdev_minor: 0,
                data: &[],
            },
        );
        self.archive
    }

    fn add_device(
        &mut self,
        path: &str,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), WriteError> {
        self.push(
            path,
            EntryFields {
                mode,
                uid: 0,
                gid: 0,
                nlink: 1,
                rdev_major: major,
                rdev_minor: minor,
                data: &[],
            },
        )
    }

    fn push(&mut self, path: &str, fields: EntryFields<'_>) -> Result<(), WriteError> {
        let name = path.as_bytes();
        if name.is_empty() {
            return Err(WriteError::EmptyPath);
        }
        check_name(name)?;
        if u32::try_from(fields.data.len()).is_err() {
            return Err(WriteError::FileTooLarge);
        }
        let ino = self.next_ino;
        self.next_ino = self.next_ino.wrapping_add(1).max(1);
        self.push_record(name, ino, fields);
        Ok(())
    }

    /// Appends a record; the name and data lengths have been checked to fit the header.
    fn push_record(&mut self, name: &[u8], ino: u32, fields: EntryFields<'_>) {
        let header = Header {
            has_checksum: false,
            ino,
            mode: fields.mode,
            uid: fields.uid,
            gid: fields.gid,
            nlink: fields.nlink,
            mtime: self.mtime,
            filesize: fields.data.len() as u32,
            dev_major: 0,
            dev_minor: 0,
            rdev_major: fields.rdev_major,
            rdev_minor: fields.rdev_minor,
            namesize: name.len() as u32 + 1,
            check: 0,
        };
        self.archive.extend_from_slice(&header.encode());
        self.archive.extend_from_slice(name);
        self.archive.push(0);
        self.pad();
        self.archive.extend_from_slice(fields.data);
        self.pad();
    }

    fn pad(&mut self) {
        let padded_len = self.archive.len().next_multiple_of(4);
        self.archive.resize(padded_len, 0);
    }
}

/// Checks a path or link target: no NUL, and short enough for Linux (`PATH_MAX` with the NUL).
fn check_name(name: &[u8]) -> Result<(), WriteError> {
    if name.contains(&0) {
        return Err(WriteError::ContainsNul);
    }
    if name.len() >= PATH_MAX {
        return Err(WriteError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::{Entry, FileType, entries};
    use alloc::vec;
    use std::process::{Command, Stdio};

    fn sample_archive() -> Vec<u8> {
        let mut writer = NewcWriter::new();
        writer.set_mtime(1_700_000_000);
        writer.add_dir("bin", 0o755, 0, 0).unwrap();
        writer.add_dir("dev", 0o40755, 0, 0).unwrap();
        writer
            .add_file("bin/hello", 0o4755, 1000, 100, b"#!/bin/sh\necho hi\n")
            .unwrap();
        writer.add_file("empty", 0o600, 0, 0, b"").unwrap();
        writer.add_symlink("bin/sh", "busybox").unwrap();
        writer.add_char_device("dev/console", 0o600, 5, 1).unwrap();
        writer.add_block_device("dev/vda", 0o660, 254, 0).unwrap();
        writer.finish()
    }

    #[test]
    fn round_trips_through_the_parser() {
        let archive = sample_archive();
        assert_eq!(archive.len() % 4, 0);
        let all: Vec<Entry<'_>> = entries(&archive).collect::<Result<_, _>>().unwrap();
        let names: Vec<&[u8]> = all.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            vec![
                &b"bin"[..],
                b"dev",
                b"bin/hello",
                b"empty",
                b"bin/sh",
                b"dev/console",
                b"dev/vda"
            ]
        );
        assert_eq!(all[0].mode, 0o040755);
        assert_eq!(all[0].nlink, 2);
        assert_eq!(all[1].mode, 0o040755);
        assert_eq!(all[2].mode, 0o104755);
        assert_eq!((all[2].uid, all[2].gid), (1000, 100));
        assert_eq!(all[2].data, b"#!/bin/sh\necho hi\n");
        assert_eq!(all[2].mtime, 1_700_000_000);
        assert_eq!(all[3].file_type(), FileType::Regular);
        assert_eq!(all[3].data, b"");
        assert_eq!(all[4].mode, 0o120777);
        assert_eq!(all[4].data, b"busybox");
        assert_eq!(all[5].file_type(), FileType::CharDevice);
        assert_eq!((all[5].rdev_major, all[5].rdev_minor), (5, 1));
        assert_eq!(all[5].permissions(), 0o600);
        assert_eq!(all[6].file_type(), FileType::BlockDevice);
        assert_eq!((all[6].rdev_major, all[6].rdev_minor), (254, 0));
        let mut inos: Vec<u32> = all.iter().map(|e| e.ino).collect();
        inos.dedup();
        assert_eq!(inos.len(), all.len(), "inode numbers are distinct");
    }

    #[test]
    fn rejects_bad_paths() {
        let mut writer = NewcWriter::new();
        assert_eq!(writer.add_dir("", 0o755, 0, 0), Err(WriteError::EmptyPath));
        assert_eq!(
            writer.add_file("a\0b", 0o644, 0, 0, b""),
            Err(WriteError::ContainsNul)
        );
        assert_eq!(writer.add_symlink("l", "t\0"), Err(WriteError::ContainsNul));
        let long = "x".repeat(PATH_MAX);
        assert_eq!(writer.add_dir(&long, 0o755, 0, 0), Err(WriteError::TooLong));
        assert_eq!(writer.add_symlink("l", &long), Err(WriteError::TooLong));
        assert!(writer.add_dir(&long[1..], 0o755, 0, 0).is_ok());
        // Nothing but the accepted entry was written.
        let archive = writer.finish();
        assert_eq!(entries(&archive).count(), 1);
    }

    #[test]
    fn empty_archive_has_only_a_trailer() {
        let archive = NewcWriter::new().finish();
        let mut walk = entries(&archive);
        assert!(walk.next().is_none());
        assert!(walk.has_trailer());
    }

    /// Lists the archive with the host's GNU cpio, when it is installed.
    #[test]
    fn host_cpio_lists_the_archive() {
        let archive = sample_archive();
        let child = Command::new("cpio")
            .args(["-t", "-v", "--quiet", "-H", "newc"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            std::eprintln!("cpio not installed; skipping");
            return;
        };
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(&archive).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "cpio failed: {}",
            std::string::String::from_utf8_lossy(&output.stderr)
        );
        let listing = std::string::String::from_utf8(output.stdout).unwrap();
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(lines.len(), 7, "{listing}");
        let expectations = [
            ("drwxr-xr-x", "bin"),
            ("drwxr-xr-x", "dev"),
            ("-rwsr-xr-x", "bin/hello"),
            ("-rw-------", "empty"),
            ("lrwxrwxrwx", "bin/sh -> busybox"),
            ("crw-------", "dev/console"),
            ("brw-rw----", "dev/vda"),
        ];
        for (line, (permissions, name)) in lines.iter().zip(expectations) {
            assert!(line.starts_with(permissions), "{line}");
            assert!(line.ends_with(name), "{line}");
        }
        assert!(lines[2].contains(" 18 "), "size shown: {}", lines[2]);
        assert!(
            lines[5].contains("5,"),
            "device numbers shown: {}",
            lines[5]
        );
    }

    /// Extracts the archive with the host's GNU cpio and compares the files it wrote.
    #[test]
    fn host_cpio_extracts_file_contents() {
        let Ok(status) = Command::new("cpio").arg("--version").output() else {
            std::eprintln!("cpio not installed; skipping");
            return;
        };
        assert!(status.status.success());
        let mut writer = NewcWriter::new();
        writer.add_dir("d", 0o755, 0, 0).unwrap();
        let payload: Vec<u8> = (0..=255u8).cycle().take(10_001).collect();
        writer.add_file("d/data", 0o644, 0, 0, &payload).unwrap();
        writer.add_symlink("d/link", "data").unwrap();
        let archive = writer.finish();

        let dir =
            std::env::temp_dir().join(std::format!("cpio-writer-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new("cpio")
            .args(["-i", "-d", "--quiet", "--no-absolute-filenames"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&archive).unwrap();
        }
        assert!(child.wait().unwrap().success());
        assert_eq!(std::fs::read(dir.join("d/data")).unwrap(), payload);
        assert_eq!(
            std::fs::read_link(dir.join("d/link")).unwrap(),
            std::path::Path::new("data")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Parses an archive made by the host's GNU cpio, including a hard-link group.
    #[test]
    fn parses_archives_made_by_host_cpio() {
        if Command::new("cpio").arg("--version").output().is_err() {
            std::eprintln!("cpio not installed; skipping");
            return;
        }
        let dir =
            std::env::temp_dir().join(std::format!("cpio-reader-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a"), b"contents of a").unwrap();
        std::fs::hard_link(dir.join("sub/a"), dir.join("b")).unwrap();
        std::os::unix::fs::symlink("sub/a", dir.join("c")).unwrap();
        for format in ["newc", "crc"] {
            let mut child = Command::new("cpio")
                .args(["-o", "--quiet", "-H", format])
                .current_dir(&dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(b".\nsub\nsub/a\nb\nc\n")
                    .unwrap();
            }
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success());
            let archive = output.stdout;
            let mut walk = entries(&archive);
            let all: Vec<Entry<'_>> = walk.by_ref().collect::<Result<_, _>>().unwrap();
            assert!(walk.has_trailer());
            let names: Vec<&[u8]> = all.iter().map(|e| e.name).collect();
            assert_eq!(names, vec![&b"."[..], b"sub", b"sub/a", b"b", b"c"]);
            // GNU cpio stores a hard-link group's data once, on its last member.
            assert_eq!(all[2].nlink, 2);
            assert_eq!(all[2].ino, all[3].ino);
            assert_eq!(all[2].data, b"");
            assert_eq!(all[3].data, b"contents of a");
            assert_eq!(all[4].file_type(), FileType::Symlink);
            assert_eq!(all[4].data, b"sub/a");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
