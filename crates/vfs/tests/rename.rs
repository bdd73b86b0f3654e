//! rename and renameat2: one test per Linux rule (checked against a Linux host on tmpfs).
mod common;
use abi::Errno;
use common::*;
use vfs::FileType;
use vfs::inode::{RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT};

fn setup() -> T {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.touch("f").unwrap();
    t.symlink("d", "sd").unwrap();
    t.mkdir("a").unwrap();
    t.mkdir("a/b").unwrap();
    t.touch("a/b/c").unwrap();
    t
}

#[test]
fn rename_into_own_subtree_is_einval() {
    let t = setup();
    assert_eq!(t.rename("a", "a/b/x"), Err(Errno::EINVAL));
    assert_eq!(t.rename("a", "a/b"), Err(Errno::EINVAL));
    assert_eq!(t.rename("a", "a/x"), Err(Errno::EINVAL));
    assert_eq!(t.rename2("a", "a/b", RENAME_EXCHANGE), Err(Errno::EINVAL));
}

#[test]
fn rename_over_an_ancestor_is_enotempty() {
    let t = setup();
    assert_eq!(t.rename("a/b/c", "a/b"), Err(Errno::ENOTEMPTY));
    assert_eq!(t.rename("a/b", "a"), Err(Errno::ENOTEMPTY));
    assert_eq!(t.rename("a/b/c", "a"), Err(Errno::ENOTEMPTY));
    assert_eq!(t.rename2("a/b/c", "a", RENAME_EXCHANGE), Err(Errno::EINVAL));
}

#[test]
fn rename_dots_and_root_are_ebusy() {
    let t = setup();
    assert_eq!(t.rename(".", "x"), Err(Errno::EBUSY));
    assert_eq!(t.rename("f", "."), Err(Errno::EBUSY));
    assert_eq!(t.rename("nx", "."), Err(Errno::EBUSY));
    assert_eq!(t.rename("d/..", "x"), Err(Errno::EBUSY));
    assert_eq!(t.rename("/", "x"), Err(Errno::EBUSY));
    assert_eq!(t.rename("f", "d/.."), Err(Errno::EBUSY));
}

#[test]
fn rename_trailing_slashes() {
    let t = setup();
    assert_eq!(t.rename("f", "f/"), Err(Errno::ENOTDIR));
    assert_eq!(t.rename("f/", "g"), Err(Errno::ENOTDIR));
    assert_eq!(t.rename("f", "g/"), Err(Errno::ENOTDIR));
    assert_eq!(t.rename("sd/", "g"), Err(Errno::ENOTDIR));
    assert_eq!(t.rename("d", "nd/"), Ok(()));
    assert_eq!(t.rename("nd/", "d/"), Ok(()));
    assert!(t.stat("d").unwrap().file_type.is_dir());
}

#[test]
fn rename_type_mismatch() {
    let t = setup();
    assert_eq!(t.rename("d", "f"), Err(Errno::ENOTDIR));
    assert_eq!(t.rename("f", "d"), Err(Errno::EISDIR));
    assert_eq!(t.rename("d", "a"), Err(Errno::ENOTEMPTY));
    assert_eq!(t.rename("nx", "f"), Err(Errno::ENOENT));
    assert_eq!(t.rename("f", "nx/y"), Err(Errno::ENOENT));
    assert_eq!(t.rename("f", "f/y"), Err(Errno::ENOTDIR));
}

#[test]
fn rename_directory_over_empty_directory() {
    let t = setup();
    t.mkdir("m").unwrap();
    t.mkdir("d/inner").unwrap();
    let root_nlink = t.stat("/").unwrap().nlink;
    let d_ino = t.stat("d").unwrap().ino;
    t.rename("d", "m").unwrap();
    assert!(!t.exists("d"));
    assert_eq!(t.stat("m").unwrap().ino, d_ino);
    assert!(t.exists("m/inner"));
    assert_eq!(t.stat("/").unwrap().nlink, root_nlink - 1);
}

#[test]
fn rename_file_over_file_and_same_inode_is_noop() {
    let t = setup();
    t.write_file("g", b"g");
    t.write_file("f", b"f");
    t.link("f", "fl").unwrap();
    assert_eq!(t.rename("f", "fl"), Ok(()));
    assert!(t.exists("f"));
    assert_eq!(t.stat("f").unwrap().nlink, 2);
    assert_eq!(t.rename("f", "f"), Ok(()));
    assert_eq!(t.rename2("f", "fl", RENAME_NOREPLACE), Err(Errno::EEXIST));
    assert_eq!(t.rename2("f", "fl", RENAME_EXCHANGE), Ok(()));
    let g_ino = t.stat("g").unwrap().ino;
    t.rename("g", "f").unwrap();
    assert_eq!(t.read_file("f"), b"g");
    assert_eq!(t.stat("f").unwrap().ino, g_ino);
    assert_eq!(t.stat("fl").unwrap().nlink, 1);
    assert!(!t.exists("g"));
}

#[test]
fn rename_updates_times_and_sizes() {
    let t = setup();
    t.tick(9);
    let before = t.stat("d").unwrap().size;
    t.rename("f", "d/f").unwrap();
    let d = t.stat("d").unwrap();
    let root = t.stat("/").unwrap();
    assert_eq!(
        (d.mtime, d.ctime, root.mtime, root.ctime),
        (t.now(), t.now(), t.now(), t.now())
    );
    assert_eq!(d.size, before + 20);
    assert_eq!(t.stat("d/f").unwrap().ctime, t.now());
}

#[test]
fn rename_directory_across_parents_fixes_nlink_and_dotdot() {
    let t = setup();
    t.rename("a/b", "d/b").unwrap();
    assert_eq!(t.stat("a").unwrap().nlink, 2);
    assert_eq!(t.stat("d").unwrap().nlink, 3);
    assert_eq!(t.stat("d/b/..").unwrap().ino, t.stat("d").unwrap().ino);
    let mut dotdot = 0;
    t.resolve("d/b", vfs::Lookup::FOLLOW)
        .unwrap()
        .inode()
        .read_dir(1, &mut |e| {
            dotdot = e.ino;
            false
        })
        .unwrap();
    assert_eq!(dotdot, t.stat("d").unwrap().ino);
}

#[test]
fn noreplace() {
    let t = setup();
    assert_eq!(t.rename2("f", "d", RENAME_NOREPLACE), Err(Errno::EEXIST));
    assert_eq!(t.rename2("f", "g", RENAME_NOREPLACE), Ok(()));
    assert_eq!(
        t.rename2("g", "g2", RENAME_NOREPLACE | RENAME_EXCHANGE),
        Err(Errno::EINVAL)
    );
    assert_eq!(t.rename2("g", "g2", 8), Err(Errno::EINVAL));
}

#[test]
fn exchange_swaps_and_fixes_nlink() {
    let t = setup();
    t.mkdir("d/x").unwrap();
    assert_eq!(t.rename2("f", "nx", RENAME_EXCHANGE), Err(Errno::ENOENT));
    assert_eq!(
        t.rename2("f", "a/b/c/", RENAME_EXCHANGE),
        Err(Errno::ENOTDIR)
    );
    let f_ino = t.stat("f").unwrap().ino;
    let x_ino = t.stat("d/x").unwrap().ino;
    let root_nlink = t.stat("/").unwrap().nlink;
    t.rename2("f", "d/x", RENAME_EXCHANGE).unwrap();
    assert_eq!(t.stat("f").unwrap().ino, x_ino);
    assert_eq!(t.kind("f"), FileType::Directory);
    assert_eq!(t.stat("d/x").unwrap().ino, f_ino);
    assert_eq!(t.stat("/").unwrap().nlink, root_nlink + 1);
    assert_eq!(t.stat("d").unwrap().nlink, 2);
    assert_eq!(t.stat("f/..").unwrap().ino, t.stat("/").unwrap().ino);
    // Exchanging a file with a directory allows a trailing slash on the directory side.
    t.rename2("d/x", "f/", RENAME_EXCHANGE).unwrap();
    assert_eq!(t.kind("f"), FileType::Regular);
}

#[test]
fn whiteout_needs_privilege_and_leaves_a_char_device() {
    let mut t = setup();
    t.rename2("f", "g", RENAME_WHITEOUT).unwrap();
    let m = t.lstat("f").unwrap();
    assert_eq!((m.file_type, m.rdev), (FileType::CharDevice, 0));
    assert_eq!(t.kind("g"), FileType::Regular);
    t.user(1000, 100);
    assert_eq!(t.rename2("g", "h", RENAME_WHITEOUT), Err(Errno::EPERM));
}

#[test]
fn moving_a_directory_to_another_parent_needs_write_on_it() {
    let mut t = T::new();
    t.mkdir("w").unwrap();
    t.mkdir_mode("w/rd", 0o555).unwrap();
    t.chown("w/rd", Some(1000), Some(100)).unwrap();
    t.mkdir("w/other").unwrap();
    t.user(1000, 100);
    assert_eq!(t.rename("w/rd", "w/other/rd"), Err(Errno::EACCES));
    assert_eq!(t.rename("w/rd", "w/rd2"), Ok(()));
}

#[test]
fn rename_across_filesystems_is_exdev() {
    let t = setup();
    t.mount_tmpfs("d", vfs::TmpfsOptions::default(), 0).unwrap();
    assert_eq!(t.rename("f", "d/f"), Err(Errno::EXDEV));
    assert_eq!(t.rename("nx", "d/f"), Err(Errno::EXDEV));
    assert_eq!(t.rename(".", "d/f"), Err(Errno::EXDEV));
}

#[test]
fn cwd_follows_renames_of_its_ancestors() {
    let mut t = setup();
    t.chdir("a/b").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/a/b");
    t.rename("/a", "/z").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/z/b");
    t.rename("/z/b", "/d/b2").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/d/b2");
    t.chdir("..").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/d");
    assert!(t.exists("b2/c"));
}

#[test]
fn replaced_directory_is_dead() {
    let mut t = setup();
    t.mkdir("victim").unwrap();
    t.chdir("victim").unwrap();
    t.rename("/d", "/victim").unwrap();
    assert_eq!(t.getcwd(), Err(Errno::ENOENT));
    assert_eq!(t.mkdir("x"), Err(Errno::ENOENT));
    assert_eq!(t.stat(".").unwrap().nlink, 0);
}
