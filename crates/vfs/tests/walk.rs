//! Path walk: one test per Linux rule of fs/namei.c (checked against a Linux host).
mod common;
use abi::Errno;
use common::*;
use vfs::{FileType, Lookup};

fn setup() -> T {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.touch("f").unwrap();
    t.symlink("d", "sd").unwrap();
    t.symlink("f", "sf").unwrap();
    t.symlink("f/", "sfs").unwrap();
    t.symlink("nonexist", "dang").unwrap();
    t
}

#[test]
fn empty_path_is_enoent() {
    let t = setup();
    assert_eq!(t.stat("").map(|_| ()), Err(Errno::ENOENT));
    assert_eq!(t.mkdir(""), Err(Errno::ENOENT));
    assert_eq!(t.unlink(""), Err(Errno::ENOENT));
}

#[test]
fn trailing_slash_requires_directory_and_follows() {
    let t = setup();
    assert_eq!(t.stat("f/").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.stat("sf/").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.stat("nx/").map(|_| ()), Err(Errno::ENOENT));
    assert_eq!(t.stat("sd/").unwrap().ino, t.stat("d").unwrap().ino);
    // lstat with a trailing slash follows the link.
    assert_eq!(t.lstat("sd/").unwrap().file_type, FileType::Directory);
    assert_eq!(t.lstat("sd").unwrap().file_type, FileType::Symlink);
    // A link whose target ends in '/' makes the target a directory lookup.
    assert_eq!(t.stat("sfs").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.lstat("sfs").unwrap().file_type, FileType::Symlink);
}

#[test]
fn non_directory_in_the_middle_is_enotdir() {
    let t = setup();
    assert_eq!(t.stat("f/x").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.stat("sf/x").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.stat("f/.").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.stat("f/..").map(|_| ()), Err(Errno::ENOTDIR));
    assert_eq!(t.stat("nx/x").map(|_| ()), Err(Errno::ENOENT));
    assert_eq!(t.stat("dang/x").map(|_| ()), Err(Errno::ENOENT));
}

#[test]
fn dots_and_slashes() {
    let t = setup();
    let root = t.stat("/").unwrap().ino;
    assert_eq!(t.stat("/..").unwrap().ino, root);
    assert_eq!(t.stat("/../../..").unwrap().ino, root);
    assert_eq!(
        t.stat("//d//.//..//d").unwrap().ino,
        t.stat("d").unwrap().ino
    );
    assert_eq!(t.stat("d/..").unwrap().ino, root);
    assert_eq!(t.stat("sd/..").unwrap().ino, root);
    assert_eq!(t.stat(".").unwrap().ino, root);
}

#[test]
fn symlinks_relative_to_their_directory_and_absolute_from_root() {
    let t = setup();
    t.mkdir("d/e").unwrap();
    t.touch("d/e/target").unwrap();
    t.symlink("e/target", "d/rel").unwrap();
    t.symlink("/d/e", "d/abs").unwrap();
    t.symlink("../f", "d/up").unwrap();
    t.symlink("/", "rootlink").unwrap();
    t.symlink("///", "rootlink2").unwrap();
    assert_eq!(
        t.stat("d/rel").unwrap().ino,
        t.stat("d/e/target").unwrap().ino
    );
    assert_eq!(
        t.stat("d/abs/target").unwrap().ino,
        t.stat("d/e/target").unwrap().ino
    );
    assert_eq!(t.stat("d/up").unwrap().ino, t.stat("f").unwrap().ino);
    assert_eq!(t.stat("rootlink").unwrap().ino, t.stat("/").unwrap().ino);
    assert_eq!(t.stat("rootlink2/d").unwrap().ino, t.stat("d").unwrap().ino);
    assert_eq!(t.readlink("d/abs").unwrap(), b"/d/e");
    assert_eq!(t.readlink("f"), Err(Errno::EINVAL));
    assert_eq!(t.readlink("sd/"), Err(Errno::EINVAL));
}

#[test]
fn symlink_cycle_is_eloop() {
    let t = setup();
    t.symlink("loop2", "loop1").unwrap();
    t.symlink("loop1", "loop2").unwrap();
    t.symlink("self", "self").unwrap();
    assert_eq!(t.stat("loop1").map(|_| ()), Err(Errno::ELOOP));
    assert_eq!(t.stat("loop1/x").map(|_| ()), Err(Errno::ELOOP));
    assert_eq!(t.stat("self").map(|_| ()), Err(Errno::ELOOP));
    assert!(t.lstat("loop1").is_ok());
    assert_eq!(
        t.open("loop1", O_RDONLY | O_CREAT, 0).map(|_| ()),
        Err(Errno::ELOOP)
    );
}

#[test]
fn forty_links_resolve_and_forty_one_are_eloop() {
    let t = setup();
    t.mkdir("ch").unwrap();
    for i in 0..41 {
        let target = if i < 40 {
            format!("c{}", i + 1)
        } else {
            "../f".to_string()
        };
        t.symlink(&target, &format!("ch/c{i}")).unwrap();
    }
    assert!(t.stat("ch/c1").is_ok());
    assert_eq!(t.stat("ch/c0").map(|_| ()), Err(Errno::ELOOP));
    // Nested (in the middle) links count too.
    t.mkdir("n").unwrap();
    t.symlink(".", "n/l0").unwrap();
    let forty: String = (0..40).map(|_| "l0/").collect();
    assert!(t.stat(&format!("n/{forty}")).is_ok());
    let forty_one: String = (0..41).map(|_| "l0/").collect();
    assert_eq!(
        t.stat(&format!("n/{forty_one}")).map(|_| ()),
        Err(Errno::ELOOP)
    );
}

#[test]
fn path_length_boundaries() {
    let t = setup();
    // 4095 bytes is the longest path; 4096 does not fit PATH_MAX with its NUL.
    let p = format!("/{}", vec!["."; 2047].join("/"));
    assert_eq!(p.len(), 4094);
    assert!(t.stat(&p).is_ok());
    assert!(t.stat(&format!("{p}/")).is_ok());
    assert!(t.stat(&"/".repeat(4095)).is_ok());
    assert_eq!(
        t.stat(&"/".repeat(4096)).map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(t.mkdir(&"a".repeat(4096)), Err(Errno::ENAMETOOLONG));
}

#[test]
fn component_length_boundaries() {
    let t = setup();
    t.mkdir(&"n".repeat(255)).unwrap();
    assert!(t.stat(&format!("{}/.", "n".repeat(255))).is_ok());
    assert_eq!(
        t.stat(&"n".repeat(256)).map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        t.stat(&format!("d/{}/x", "n".repeat(256))).map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
}

#[test]
fn search_permission_is_needed_on_every_directory() {
    let mut t = setup();
    t.mkdir("nos").unwrap();
    t.touch("nos/x").unwrap();
    t.chmod("nos", 0o666).unwrap();
    t.user(1000, 100);
    assert_eq!(t.stat("nos/x").map(|_| ()), Err(Errno::EACCES));
    assert_eq!(t.stat("nos/nx").map(|_| ()), Err(Errno::EACCES));
    assert_eq!(t.stat("nos/.").map(|_| ()), Err(Errno::EACCES));
    assert!(t.stat("nos").is_ok());
    // Search permission via the group or other bits.
    t.as_root();
    t.chmod("nos", 0o610).unwrap();
    t.chown("nos", Some(2000), Some(100)).unwrap();
    t.user(1000, 100);
    assert!(t.stat("nos/x").is_ok());
    t.user(1000, 200);
    assert_eq!(t.stat("nos/x").map(|_| ()), Err(Errno::EACCES));
    // The owner is judged by the owner bits only (rw- here), even as a group member.
    t.user(2000, 100);
    assert_eq!(t.stat("nos/x").map(|_| ()), Err(Errno::EACCES));
    t.as_root();
    t.chmod("nos", 0o011).unwrap();
    t.user(2000, 100);
    assert_eq!(t.stat("nos/x").map(|_| ()), Err(Errno::EACCES));
    // Root passes regardless.
    t.as_root();
    t.chmod("nos", 0).unwrap();
    assert!(t.stat("nos/x").is_ok());
    // "/" alone checks nothing.
    t.chmod("/", 0).unwrap();
    t.user(1000, 100);
    assert!(t.stat("/").is_ok());
    assert_eq!(t.stat("/d").map(|_| ()), Err(Errno::EACCES));
}

#[test]
fn relative_walk_from_a_non_directory_start_is_enotdir() {
    let t = setup();
    let f = t.resolve("f", Lookup::NOFOLLOW).unwrap();
    let ctx = t.ctx();
    assert_eq!(
        vfs::path::resolve(&ctx, &f, b"x", Lookup::FOLLOW).map(|_| ()),
        Err(Errno::ENOTDIR)
    );
    assert!(vfs::path::resolve(&ctx, &f, b"/d", Lookup::FOLLOW).is_ok());
    assert_eq!(
        vfs::path::resolve(&ctx, &f, b"", Lookup::FOLLOW).map(|_| ()),
        Err(Errno::ENOENT)
    );
}

#[test]
fn chroot_confines_dotdot_and_absolute_links() {
    let mut t = setup();
    t.mkdir("jail").unwrap();
    t.mkdir("jail/sub").unwrap();
    t.symlink("/sub", "jail/abs").unwrap();
    let jail = t.resolve("jail", Lookup::DIRECTORY).unwrap();
    let outside = t.cwd.clone();
    t.root = jail.clone();
    t.cwd = jail.clone();
    assert_eq!(t.stat("..").unwrap().ino, jail.metadata().ino);
    assert_eq!(t.stat("/../..").unwrap().ino, jail.metadata().ino);
    assert_eq!(t.stat("abs").unwrap().ino, t.stat("/sub").unwrap().ino);
    assert_eq!(t.stat("/d").map(|_| ()), Err(Errno::ENOENT));
    t.chdir("sub").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/sub");
    // A cwd outside the root is "(unreachable)".
    t.cwd = outside.clone();
    assert_eq!(t.getcwd().unwrap(), "(unreachable)/");
    t.cwd = t.resolve("/", Lookup::FOLLOW).unwrap();
    assert_eq!(t.getcwd().unwrap(), "/");
}

#[test]
fn mounts_are_crossed_both_ways() {
    let mut t = setup();
    t.mount_tmpfs(
        "d",
        vfs::TmpfsOptions {
            dev: 42,
            ..Default::default()
        },
        0,
    )
    .unwrap();
    assert_eq!(t.stat("d").unwrap().dev, 42);
    assert_eq!(t.stat("d").unwrap().ino, 1);
    assert_eq!(t.stat("sd").unwrap().dev, 42);
    t.mkdir("d/inside").unwrap();
    assert_eq!(
        t.stat("d/inside/../..").unwrap().ino,
        t.stat("/").unwrap().ino
    );
    assert_eq!(t.stat("d/..").unwrap().dev, 0);
    t.chdir("d/inside").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/d/inside");
    assert_eq!(t.stat("../../f").unwrap().ino, t.stat("/f").unwrap().ino);
    t.chdir("/").unwrap();
    let target = t.resolve("d", Lookup::FOLLOW).unwrap();
    t.ns.umount(target, 0, &t.root).unwrap();
    assert_eq!(t.stat("d").unwrap().dev, 0);
    assert_eq!(t.stat("d/inside").map(|_| ()), Err(Errno::ENOENT));
}

#[test]
fn access_and_chdir() {
    let mut t = setup();
    t.chmod("f", 0o644).unwrap();
    let ctx = t.ctx();
    assert_eq!(
        vfs::namei::access(&ctx, &t.cwd, b"f", 1, true),
        Err(Errno::EACCES)
    );
    assert_eq!(vfs::namei::access(&ctx, &t.cwd, b"f", 6, true), Ok(()));
    assert_eq!(
        vfs::namei::access(&ctx, &t.cwd, b"nx", 0, true),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        vfs::namei::access(&ctx, &t.cwd, b"dang", 0, true),
        Err(Errno::ENOENT)
    );
    assert_eq!(vfs::namei::access(&ctx, &t.cwd, b"dang", 0, false), Ok(()));
    assert_eq!(t.chdir("f"), Err(Errno::ENOTDIR));
    assert_eq!(t.chdir("nx"), Err(Errno::ENOENT));
    t.chmod("d", 0o666).unwrap();
    t.user(1000, 100);
    assert_eq!(t.chdir("d"), Err(Errno::EACCES));
    assert_eq!(
        vfs::namei::access(&t.ctx(), &t.cwd, b"f", 2, true),
        Err(Errno::EACCES)
    );
    assert_eq!(vfs::namei::access(&t.ctx(), &t.cwd, b"f", 4, true), Ok(()));
    t.chdir("sd/..").unwrap_err();
    t.as_root();
    t.chdir("sd").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/d");
}

#[test]
fn deep_trees_do_not_overflow_the_stack() {
    let mut t = T::new();
    for _ in 0..20_000 {
        t.mkdir("x").unwrap();
        t.chdir("x").unwrap();
    }
    assert_eq!(t.getcwd(), Err(Errno::ENAMETOOLONG));
    // Dropping the cwd releases 20000 dentries, and the tmpfs drops 20000 nested directories.
    t.cwd = t.root.clone();
    drop(t);
}
