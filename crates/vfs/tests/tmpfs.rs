//! tmpfs data, directory and accounting behaviour (mm/shmem.c, fs/libfs.c).
mod common;
use std::sync::Arc;

use abi::Errno;
use common::*;
use vfs::tmpfs::{AtimePolicy, MAX_FILE_SIZE};
use vfs::{FileSystem, FileType, Inode, Timespec, TmpfsOptions};

fn file(t: &T, p: &str) -> Arc<dyn Inode> {
    t.open(p, O_CREAT | O_RDWR, 0o644)
        .unwrap()
        .path
        .inode()
        .clone()
}

#[test]
fn inode_numbers_start_at_one_and_are_unique() {
    let t = T::new();
    assert_eq!(t.stat("/").unwrap().ino, 1);
    t.mkdir("a").unwrap();
    t.touch("b").unwrap();
    t.symlink("x", "c").unwrap();
    let inos: Vec<u64> = ["a", "b", "c"]
        .iter()
        .map(|p| t.lstat(p).unwrap().ino)
        .collect();
    assert_eq!(inos, vec![2, 3, 4]);
}

#[test]
fn root_options() {
    let t = T::with_options(TmpfsOptions {
        root_mode: 0o755,
        root_uid: 5,
        root_gid: 6,
        dev: 77,
        ..Default::default()
    });
    let m = t.stat("/").unwrap();
    assert_eq!(
        (m.mode, m.uid, m.gid, m.dev, m.nlink, m.size),
        (0o755, 5, 6, 77, 2, 40)
    );
    assert_eq!(T::new().stat("/").unwrap().mode, 0o1777);
}

#[test]
fn read_write_and_holes() {
    let t = T::new();
    let f = file(&t, "f");
    assert_eq!(f.write_at(0, b"hello"), Ok(5));
    assert_eq!(f.write_at(10_000, b"world"), Ok(5));
    let m = f.metadata();
    assert_eq!((m.size, m.blocks, m.blksize), (10_005, 16, 4096));
    let mut buf = vec![0xffu8; 10_100];
    assert_eq!(f.read_at(0, &mut buf), Ok(10_005));
    assert_eq!(&buf[..5], b"hello");
    assert!(buf[5..10_000].iter().all(|&b| b == 0));
    assert_eq!(&buf[10_000..10_005], b"world");
    assert_eq!(f.read_at(10_005, &mut buf), Ok(0));
    assert_eq!(f.read_at(u64::MAX, &mut buf), Ok(0));
    assert_eq!(f.read_at(3, &mut buf[..4]), Ok(4));
    assert_eq!(&buf[..4], b"lo\0\0");
    // A write spanning a page boundary.
    assert_eq!(f.write_at(4094, b"abcd"), Ok(4));
    assert_eq!(f.read_at(4094, &mut buf[..4]), Ok(4));
    assert_eq!(&buf[..4], b"abcd");
}

#[test]
fn sparse_file_uses_no_blocks() {
    let t = T::new();
    let f = file(&t, "sp");
    f.truncate(1 << 20).unwrap();
    let m = f.metadata();
    assert_eq!((m.size, m.blocks), (1 << 20, 0));
    let mut buf = [1u8; 64];
    assert_eq!(f.read_at(500_000, &mut buf), Ok(64));
    assert!(buf.iter().all(|&b| b == 0));
}

#[test]
fn truncate_shrink_then_grow_reads_zeros() {
    let t = T::new();
    let f = file(&t, "f");
    f.write_at(0, &[7u8; 9000]).unwrap();
    assert_eq!(f.metadata().blocks, 24);
    f.truncate(5000).unwrap();
    assert_eq!(f.metadata().blocks, 16);
    f.truncate(9000).unwrap();
    let mut buf = vec![1u8; 9000];
    assert_eq!(f.read_at(0, &mut buf), Ok(9000));
    assert!(buf[..5000].iter().all(|&b| b == 7));
    assert!(buf[5000..].iter().all(|&b| b == 0));
    f.truncate(0).unwrap();
    assert_eq!(f.metadata().blocks, 0);
}

#[test]
fn write_and_truncate_limits_are_efbig() {
    let t = T::new();
    let f = file(&t, "f");
    assert_eq!(f.write_at(MAX_FILE_SIZE, b"x"), Err(Errno::EFBIG));
    assert_eq!(f.write_at(MAX_FILE_SIZE, b""), Ok(0));
    assert_eq!(f.write_at(MAX_FILE_SIZE - 1, b"xyz"), Ok(1));
    assert_eq!(f.metadata().size, MAX_FILE_SIZE);
    assert_eq!(f.truncate(MAX_FILE_SIZE + 1), Err(Errno::EFBIG));
}

#[test]
fn size_limit_gives_short_write_then_enospc() {
    let t = T::with_options(TmpfsOptions {
        max_bytes: Some(2 * 4096),
        ..Default::default()
    });
    let f = file(&t, "f");
    assert_eq!(f.write_at(0, &[1u8; 3 * 4096]), Ok(2 * 4096));
    assert_eq!(f.write_at(2 * 4096, b"x"), Err(Errno::ENOSPC));
    let st = t.fs.statfs();
    assert_eq!((st.blocks, st.blocks_free, st.block_size), (2, 0, 4096));
    // Freeing data gives the space back.
    f.truncate(4096).unwrap();
    assert_eq!(t.fs.statfs().blocks_free, 1);
    t.unlink("f").unwrap();
    drop(f);
    assert_eq!(t.fs.statfs().blocks_free, 2);
    // A long symlink takes a page too.
    t.symlink(&"y".repeat(200), "l1").unwrap();
    t.symlink(&"y".repeat(200), "l2").unwrap();
    assert_eq!(t.symlink(&"y".repeat(200), "l3"), Err(Errno::ENOSPC));
    assert_eq!(t.symlink("short", "l3"), Ok(()));
}

#[test]
fn inode_limit_counts_objects_and_links() {
    let t = T::with_options(TmpfsOptions {
        max_inodes: Some(4),
        ..Default::default()
    });
    t.touch("a").unwrap();
    t.mkdir("b").unwrap();
    t.link("a", "a2").unwrap();
    assert_eq!(t.fs.statfs().files_free, 0);
    assert_eq!(t.touch("c"), Err(Errno::ENOSPC));
    assert_eq!(t.mkdir("c"), Err(Errno::ENOSPC));
    assert_eq!(t.link("a", "a3"), Err(Errno::ENOSPC));
    t.unlink("a2").unwrap();
    assert_eq!(t.touch("c"), Ok(()));
    let st = t.fs.statfs();
    assert_eq!((st.files, st.files_free, st.name_max), (4, 0, 255));
}

#[test]
fn statfs_of_unlimited_instance() {
    let t = T::new();
    let st = t.fs.statfs();
    assert_eq!(st.fs_type, 0x0102_1994);
    assert_eq!((st.blocks, st.files), (0, 0));
    assert_eq!(t.fs.name(), "tmpfs");
}

#[test]
fn write_updates_mtime_ctime_and_empty_write_does_not() {
    let t = T::new();
    let f = file(&t, "f");
    t.tick(5);
    f.write_at(0, b"").unwrap();
    assert_ne!(f.metadata().mtime, t.now());
    f.write_at(0, b"x").unwrap();
    let m = f.metadata();
    assert_eq!((m.mtime, m.ctime), (t.now(), t.now()));
    t.tick(5);
    f.truncate(1).unwrap();
    assert_ne!(f.metadata().mtime, t.now());
    f.truncate(2).unwrap();
    assert_eq!(f.metadata().mtime, t.now());
}

#[test]
fn relatime_updates_atime_only_when_stale() {
    let t = T::new();
    let f = file(&t, "f");
    f.write_at(0, b"abc").unwrap();
    let mut buf = [0u8; 3];
    // The VFS touches atime after a read, with the mount's policy.
    let read = |f: &Arc<dyn Inode>, buf: &mut [u8]| {
        f.read_at(0, buf).unwrap();
        f.touch_atime(AtimePolicy::Relatime);
    };
    t.tick(1);
    read(&f, &mut buf);
    // atime was not after mtime: updated.
    assert_eq!(f.metadata().atime, t.now());
    let first = t.now();
    t.tick(60);
    read(&f, &mut buf);
    assert_eq!(f.metadata().atime, first);
    t.tick(24 * 3600);
    read(&f, &mut buf);
    assert_eq!(f.metadata().atime, t.now());
    // Reads alone never touch it.
    t.tick(24 * 3600);
    f.read_at(0, &mut buf).unwrap();
    assert_ne!(f.metadata().atime, t.now());
    // readlink touches atime too (rootfs-like mount of the harness: strict).
    t.symlink("f", "l").unwrap();
    t.tick(1);
    t.readlink("l").unwrap();
    assert_eq!(t.lstat("l").unwrap().atime, t.now());
}

#[test]
fn strict_and_noatime_policies() {
    let t = T::new();
    let f = file(&t, "f");
    let mut buf = [0u8; 1];
    for _ in 0..3 {
        t.tick(1);
        f.read_at(0, &mut buf).unwrap();
        f.touch_atime(AtimePolicy::Strict);
        assert_eq!(f.metadata().atime, t.now());
    }
    let created = f.metadata().atime;
    t.tick(100_000);
    f.read_at(0, &mut buf).unwrap();
    f.touch_atime(AtimePolicy::NoAtime);
    assert_eq!(f.metadata().atime, created);
}

#[test]
fn readdir_lists_dots_then_entries_with_resumable_offsets() {
    let t = T::new();
    t.mkdir("d").unwrap();
    for n in ["a", "b", "c", "d"] {
        t.touch(&format!("d/{n}")).unwrap();
    }
    let dir = t.resolve("d", vfs::Lookup::FOLLOW).unwrap();
    let collect = |from: u64| {
        let mut v = Vec::new();
        dir.inode()
            .read_dir(from, &mut |e| {
                v.push((
                    String::from_utf8(e.name.to_vec()).unwrap(),
                    e.next_offset,
                    e.file_type,
                    e.ino,
                ));
                true
            })
            .unwrap();
        v
    };
    let all = collect(0);
    let names: Vec<&str> = all.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, [".", "..", "a", "b", "c", "d"]);
    assert_eq!(all[0].3, dir.metadata().ino);
    assert_eq!(all[1].3, 1);
    assert_eq!(all[0].2, FileType::Directory);
    assert_eq!(all[2].2, FileType::Regular);
    // Resume after "b": removing "a" and "c" and adding "e" meanwhile.
    let after_b = all[3].1;
    t.unlink("d/a").unwrap();
    t.unlink("d/c").unwrap();
    t.touch("d/e").unwrap();
    let rest: Vec<String> = collect(after_b).into_iter().map(|e| e.0).collect();
    assert_eq!(rest, ["d", "e"]);
    // A sink that stops leaves the entry unconsumed.
    let mut seen = Vec::new();
    dir.inode()
        .read_dir(0, &mut |e| {
            seen.push(e.name.to_vec());
            seen.len() < 2
        })
        .unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(t.ls("d").unwrap(), ["b", "d", "e"]);
}

#[test]
fn directory_operations_on_non_directories_and_vice_versa() {
    let t = T::new();
    let f = file(&t, "f");
    assert_eq!(f.lookup(b"x").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(f.read_dir(0, &mut |_| true), Err(Errno::ENOTDIR));
    assert_eq!(f.unlink(b"x"), Err(Errno::ENOTDIR));
    assert_eq!(f.readlink(), Err(Errno::EINVAL));
    let root = t.root.inode().clone();
    let mut buf = [0u8; 4];
    assert_eq!(root.read_at(0, &mut buf), Err(Errno::EISDIR));
    assert_eq!(root.write_at(0, b"x"), Err(Errno::EISDIR));
    assert_eq!(root.truncate(0), Err(Errno::EISDIR));
    t.mknod("p", S_IFIFO | 0o644, 0).unwrap();
    let p = t.resolve("p", vfs::Lookup::NOFOLLOW).unwrap();
    assert_eq!(p.inode().read_at(0, &mut buf), Err(Errno::EINVAL));
    assert_eq!(p.inode().truncate(0), Err(Errno::EINVAL));
}

#[test]
fn inode_level_names_are_validated() {
    let t = T::new();
    let root = t.root.inode().clone();
    let long = vec![b'x'; 256];
    assert_eq!(
        root.create(&long, FileType::Regular, 0, 0, 0, 0)
            .map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        root.create(b".", FileType::Regular, 0, 0, 0, 0).map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        root.create(b"a/b", FileType::Regular, 0, 0, 0, 0)
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    assert_eq!(root.lookup(&long).map(|_| ()), Err(Errno::ENAMETOOLONG));
    assert_eq!(root.symlink(b"s", b"", 0, 0), Err(Errno::ENOENT));
    let other = T::new();
    let foreign = file(&other, "g");
    assert_eq!(root.link(b"g", &foreign), Err(Errno::EXDEV));
    assert_eq!(
        root.rename(b"x", &other.root.inode().clone(), b"y", 0),
        Err(Errno::EXDEV)
    );
}

#[test]
fn set_attr_applies_values_and_now() {
    let t = T::new();
    let f = file(&t, "f");
    t.tick(3);
    f.set_attr(&vfs::SetAttr {
        mode: Some(0o17777),
        uid: Some(9),
        gid: Some(8),
        atime: Some(vfs::TimeSet::At(Timespec { sec: 5, nsec: 6 })),
        mtime: Some(vfs::TimeSet::Now),
        ctime: None,
    })
    .unwrap();
    let m = f.metadata();
    assert_eq!((m.mode, m.uid, m.gid), (0o7777, 9, 8));
    assert_eq!(m.atime, Timespec { sec: 5, nsec: 6 });
    assert_eq!(m.mtime, t.now());
    assert_ne!(m.ctime, t.now());
}
