//! unlink and rmdir: one test per Linux rule (checked against a Linux host on tmpfs).
mod common;
use abi::Errno;
use common::*;

fn setup() -> T {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.touch("f").unwrap();
    t.symlink("d", "sd").unwrap();
    t.symlink("f", "sf").unwrap();
    t
}

#[test]
fn unlink_trailing_slash_rules() {
    let t = setup();
    assert_eq!(t.unlink("d/"), Err(Errno::EISDIR));
    assert_eq!(t.unlink("f/"), Err(Errno::ENOTDIR));
    assert_eq!(t.unlink("nx/"), Err(Errno::ENOENT));
    assert_eq!(t.unlink("sd/"), Err(Errno::ENOTDIR));
    assert!(t.exists("f") && t.exists("sd"));
}

#[test]
fn unlink_dots_and_dirs_are_eisdir() {
    let t = setup();
    assert_eq!(t.unlink("."), Err(Errno::EISDIR));
    assert_eq!(t.unlink(".."), Err(Errno::EISDIR));
    assert_eq!(t.unlink("/"), Err(Errno::EISDIR));
    assert_eq!(t.unlink("d"), Err(Errno::EISDIR));
    assert_eq!(t.unlink("nx"), Err(Errno::ENOENT));
}

#[test]
fn unlink_symlink_removes_the_link_not_the_target() {
    let t = setup();
    t.unlink("sf").unwrap();
    assert!(!t.exists("sf"));
    assert!(t.exists("f"));
    t.unlink("sd").unwrap();
    assert!(t.exists("d"));
}

#[test]
fn unlink_updates_nlink_times_and_open_file_survives() {
    let t = setup();
    t.write_file("f", b"content");
    t.link("f", "g").unwrap();
    let o = t.open("f", O_RDONLY, 0).unwrap();
    t.tick(7);
    t.unlink("f").unwrap();
    let g = t.stat("g").unwrap();
    assert_eq!((g.nlink, g.ctime), (1, t.now()));
    let root = t.stat("/").unwrap();
    assert_eq!((root.mtime, root.ctime), (t.now(), t.now()));
    t.unlink("g").unwrap();
    let m = o.path.metadata();
    assert_eq!(m.nlink, 0);
    assert!(o.path.is_unlinked());
    let mut buf = [0u8; 7];
    assert_eq!(o.path.inode().read_at(0, &mut buf), Ok(7));
    assert_eq!(&buf, b"content");
    assert_eq!(t.stat("f").map(|_| ()), Err(Errno::ENOENT));
    // The name can be reused.
    t.touch("f").unwrap();
    assert_ne!(t.stat("f").unwrap().ino, m.ino);
}

#[test]
fn rmdir_special_last_components() {
    let t = setup();
    assert_eq!(t.rmdir("."), Err(Errno::EINVAL));
    assert_eq!(t.rmdir("d/."), Err(Errno::EINVAL));
    assert_eq!(t.rmdir(".."), Err(Errno::ENOTEMPTY));
    assert_eq!(t.rmdir("d/.."), Err(Errno::ENOTEMPTY));
    assert_eq!(t.rmdir("/"), Err(Errno::EBUSY));
    assert_eq!(t.rmdir("//"), Err(Errno::EBUSY));
}

#[test]
fn rmdir_non_directories_are_enotdir() {
    let t = setup();
    assert_eq!(t.rmdir("f"), Err(Errno::ENOTDIR));
    assert_eq!(t.rmdir("f/"), Err(Errno::ENOTDIR));
    assert_eq!(t.rmdir("sd"), Err(Errno::ENOTDIR));
    assert_eq!(t.rmdir("sd/"), Err(Errno::ENOTDIR));
    assert_eq!(t.rmdir("nx"), Err(Errno::ENOENT));
}

#[test]
fn rmdir_with_trailing_slash_and_nonempty() {
    let t = setup();
    t.mkdir("d/sub").unwrap();
    assert_eq!(t.rmdir("d"), Err(Errno::ENOTEMPTY));
    assert_eq!(t.stat("/").unwrap().nlink, 3);
    t.rmdir("d/sub/").unwrap();
    assert_eq!(t.stat("d").unwrap().nlink, 2);
    t.rmdir("d//").unwrap();
    assert_eq!(t.stat("/").unwrap().nlink, 2);
    assert!(!t.exists("d"));
}

#[test]
fn removal_needs_write_and_search_on_parent() {
    let mut t = setup();
    t.mkdir("ro").unwrap();
    t.mkdir("ro/d").unwrap();
    t.touch("ro/f").unwrap();
    t.chmod("ro", 0o555).unwrap();
    t.user(1000, 100);
    assert_eq!(t.unlink("ro/f"), Err(Errno::EACCES));
    assert_eq!(t.unlink("ro/d"), Err(Errno::EACCES));
    assert_eq!(t.unlink("ro/nx"), Err(Errno::ENOENT));
    assert_eq!(t.unlink("ro/d/"), Err(Errno::EISDIR));
    assert_eq!(t.rmdir("ro/f"), Err(Errno::EACCES));
    assert_eq!(t.rmdir("ro/d"), Err(Errno::EACCES));
    assert_eq!(t.rmdir("ro/nx"), Err(Errno::ENOENT));
    t.as_root();
    t.chmod("ro", 0o666).unwrap();
    t.user(1000, 100);
    assert_eq!(t.unlink("ro/f"), Err(Errno::EACCES));
    assert_eq!(t.rmdir("ro/."), Err(Errno::EACCES));
    assert_eq!(t.unlink("ro/."), Err(Errno::EACCES));
    t.as_root();
    assert_eq!(t.unlink("ro/f"), Ok(()));
}

#[test]
fn sticky_directory_limits_removal_to_owners() {
    let mut t = T::new();
    t.mkdir_mode("st", 0o1777).unwrap();
    t.touch("st/rootfile").unwrap();
    t.mkdir("st/rootdir").unwrap();
    t.touch("st/userfile").unwrap();
    t.chown("st/userfile", Some(1000), Some(100)).unwrap();
    t.touch("st/otherfile").unwrap();
    t.chown("st/otherfile", Some(1001), Some(100)).unwrap();
    t.user(1000, 100);
    assert_eq!(t.unlink("st/rootfile"), Err(Errno::EPERM));
    assert_eq!(t.unlink("st/otherfile"), Err(Errno::EPERM));
    assert_eq!(t.rmdir("st/rootdir"), Err(Errno::EPERM));
    assert_eq!(t.rename("st/otherfile", "st/x"), Err(Errno::EPERM));
    t.touch("st/mine").unwrap();
    assert_eq!(t.rename("st/mine", "st/rootfile"), Err(Errno::EPERM));
    assert_eq!(t.unlink("st/userfile"), Ok(()));
    assert_eq!(t.rename("st/mine", "st/mine2"), Ok(()));
    // The directory's owner may remove anything in it.
    t.as_root();
    t.chown("st", Some(1001), None).unwrap();
    t.user(1001, 100);
    assert_eq!(t.unlink("st/rootfile"), Ok(()));
    assert_eq!(t.unlink("st/mine2"), Ok(()));
}

#[test]
fn rmdir_of_cwd_then_dotdot_and_getcwd() {
    let mut t = T::new();
    t.mkdir("a").unwrap();
    t.mkdir("a/b").unwrap();
    t.chdir("a/b").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/a/b");
    t.rmdir("/a/b").unwrap();
    assert_eq!(t.getcwd(), Err(Errno::ENOENT));
    assert_eq!(t.stat("x").map(|_| ()), Err(Errno::ENOENT));
    assert_eq!(t.rmdir("."), Err(Errno::EINVAL));
    t.chdir("..").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/a");
}

#[test]
fn unlink_and_rmdir_of_mountpoint_is_ebusy() {
    let t = setup();
    t.mount_tmpfs("d", vfs::TmpfsOptions::default(), 0).unwrap();
    // The walk ends on the mounted root for "d", but rmdir looks the name up without crossing.
    assert_eq!(t.rmdir("d"), Err(Errno::EBUSY));
    assert_eq!(t.rename("d", "e"), Err(Errno::EBUSY));
    t.mkdir("e").unwrap();
    assert_eq!(t.rename("e", "d"), Err(Errno::EBUSY));
}
