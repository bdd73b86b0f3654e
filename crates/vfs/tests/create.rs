//! mkdir, mknod, symlink, link and open(O_CREAT): one test per Linux rule (checked against a
//! Linux host on tmpfs).
mod common;
use abi::Errno;
use common::*;
use vfs::FileType;
use vfs::inode::encode_dev;

fn setup() -> T {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.touch("f").unwrap();
    t.symlink("d", "sd").unwrap();
    t.symlink("f", "sf").unwrap();
    t.symlink("nonexist", "dang").unwrap();
    t
}

#[test]
fn mkdir_with_trailing_slashes_works() {
    let t = setup();
    assert_eq!(t.mkdir("new/"), Ok(()));
    assert_eq!(t.mkdir("new2//"), Ok(()));
    assert!(t.stat("new").unwrap().file_type.is_dir());
    assert!(t.stat("new2").unwrap().file_type.is_dir());
}

#[test]
fn mkdir_dot_dotdot_and_root_are_eexist() {
    let t = setup();
    assert_eq!(t.mkdir("."), Err(Errno::EEXIST));
    assert_eq!(t.mkdir(".."), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("/"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("d/."), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("d/.."), Err(Errno::EEXIST));
}

#[test]
fn mkdir_on_existing_names_is_eexist_even_symlinks() {
    let t = setup();
    assert_eq!(t.mkdir("d"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("f"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("sd"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("dang"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("dang/"), Err(Errno::EEXIST));
    // The dangling link's target was not created.
    assert!(!t.exists("nonexist"));
}

#[test]
fn mkdir_missing_parent_is_enoent_and_file_parent_enotdir() {
    let t = setup();
    assert_eq!(t.mkdir("nx/a"), Err(Errno::ENOENT));
    assert_eq!(t.mkdir("f/a"), Err(Errno::ENOTDIR));
    assert_eq!(t.mkdir("sf/a"), Err(Errno::ENOTDIR));
    assert_eq!(t.mkdir("sd/a"), Ok(()));
    assert!(t.stat("d/a").is_ok());
}

#[test]
fn mkdir_mode_keeps_only_rwx_and_sticky_after_umask() {
    let mut t = setup();
    t.mkdir_mode("m", 0o7777).unwrap();
    let m = t.stat("m").unwrap();
    assert_eq!(m.mode, 0o1777);
    assert_eq!(m.st_mode(), 0o41777);
    t.umask = 0o022;
    t.mkdir_mode("m2", 0o777).unwrap();
    assert_eq!(t.stat("m2").unwrap().mode, 0o755);
}

#[test]
fn mkdir_updates_parent_nlink_size_and_times() {
    let t = T::new();
    t.mkdir("p").unwrap();
    let before = t.stat("p").unwrap();
    assert_eq!((before.nlink, before.size), (2, 40));
    t.tick(5);
    t.mkdir("p/a").unwrap();
    t.mkdir("p/b").unwrap();
    t.touch("p/c").unwrap();
    let after = t.stat("p").unwrap();
    assert_eq!(after.nlink, 4);
    assert_eq!(after.size, 40 + 3 * 20);
    assert_eq!(after.mtime, t.now());
    assert_eq!(after.ctime, t.now());
    assert_eq!(t.stat("p/a").unwrap().ctime, t.now());
}

#[test]
fn mkdir_in_setgid_directory_inherits_group_and_bit() {
    let mut t = T::new();
    t.mkdir("sg").unwrap();
    t.chmod("sg", 0o2777).unwrap();
    t.chown("sg", None, Some(1234)).unwrap();
    t.user(1000, 100);
    t.mkdir_mode("sg/c", 0o755).unwrap();
    let c = t.stat("sg/c").unwrap();
    assert_eq!((c.uid, c.gid, c.mode), (1000, 1234, 0o2755));
    t.touch("sg/f").unwrap();
    let f = t.stat("sg/f").unwrap();
    assert_eq!((f.uid, f.gid, f.mode & 0o7000), (1000, 1234, 0));
}

#[test]
fn create_in_setgid_directory_strips_sgid_for_non_members() {
    let mut t = T::new();
    t.mkdir("sg").unwrap();
    t.chmod("sg", 0o2777).unwrap();
    t.chown("sg", None, Some(1234)).unwrap();
    t.user(1000, 100);
    t.open("sg/x", O_CREAT | O_WRONLY, 0o2755).unwrap();
    assert_eq!(t.stat("sg/x").unwrap().mode, 0o755);
    t.as_root();
    t.open("sg/y", O_CREAT | O_WRONLY, 0o2755).unwrap();
    assert_eq!(t.stat("sg/y").unwrap().mode, 0o2755);
}

#[test]
fn user_creates_files_owned_by_fsuid_fsgid() {
    let mut t = T::new();
    t.user(1000, 100);
    t.mkdir("u").unwrap();
    t.touch("u/f").unwrap();
    let f = t.stat("u/f").unwrap();
    assert_eq!((f.uid, f.gid), (1000, 100));
}

#[test]
fn mkdir_existing_wins_over_missing_write_permission() {
    let mut t = setup();
    t.mkdir("ro").unwrap();
    t.mkdir("ro/x").unwrap();
    t.chmod("ro", 0o555).unwrap();
    t.user(1000, 100);
    assert_eq!(t.mkdir("ro/x"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("ro/y"), Err(Errno::EACCES));
    assert_eq!(t.mknod("ro/y", S_IFIFO | 0o644, 0), Err(Errno::EACCES));
    assert_eq!(t.symlink("t", "ro/y"), Err(Errno::EACCES));
    assert_eq!(
        t.open("ro/y", O_CREAT | O_WRONLY, 0o644).map(|_| ()),
        Err(Errno::EACCES)
    );
    // Opening an existing file with O_CREAT needs no write permission on the directory.
    t.as_root();
    t.touch("ro/file").unwrap();
    t.chmod("ro/file", 0o666).unwrap();
    t.user(1000, 100);
    assert!(t.open("ro/file", O_CREAT | O_WRONLY, 0o644).is_ok());
}

#[test]
fn search_permission_is_checked_before_eexist() {
    let mut t = setup();
    t.mkdir("nx").unwrap();
    t.mkdir("nx/x").unwrap();
    t.chmod("nx", 0o666).unwrap();
    t.user(1000, 100);
    assert_eq!(t.mkdir("nx/x"), Err(Errno::EACCES));
    assert_eq!(t.mkdir("nx/."), Err(Errno::EACCES));
}

#[test]
fn mknod_types_and_errors() {
    let mut t = setup();
    assert_eq!(t.mknod("fifo/", S_IFIFO | 0o644, 0), Err(Errno::ENOENT));
    assert_eq!(t.mknod("md", S_IFDIR | 0o755, 0), Err(Errno::EPERM));
    assert_eq!(t.mknod("md", 0o170755, 0), Err(Errno::EINVAL));
    assert_eq!(t.mknod("md", S_IFLNK | 0o755, 0), Err(Errno::EINVAL));
    t.mknod("reg", 0o644, 0).unwrap();
    assert_eq!(t.kind("reg"), FileType::Regular);
    t.mknod("fifo", S_IFIFO | 0o7777, 0).unwrap();
    let m = t.stat("fifo").unwrap();
    assert_eq!((m.file_type, m.mode, m.rdev), (FileType::Fifo, 0o7777, 0));
    t.mknod("sock", S_IFSOCK | 0o600, 0).unwrap();
    assert_eq!(t.kind("sock"), FileType::Socket);
    let dev = encode_dev(1, 3);
    t.mknod("null", S_IFCHR | 0o666, dev).unwrap();
    let m = t.stat("null").unwrap();
    assert_eq!((m.file_type, m.rdev), (FileType::CharDevice, dev));
    t.mknod("blk", S_IFBLK | 0o600, encode_dev(8, 0)).unwrap();
    assert_eq!(t.kind("blk"), FileType::BlockDevice);
    assert_eq!(t.mknod("f", S_IFIFO | 0o644, 0), Err(Errno::EEXIST));
    t.chmod("d", 0o755).unwrap();
    t.user(1000, 100);
    assert_eq!(t.mknod("/d/c", S_IFCHR | 0o666, dev), Err(Errno::EACCES));
    t.as_root();
    t.chmod("d", 0o777).unwrap();
    t.user(1000, 100);
    assert_eq!(t.mknod("/d/c", S_IFCHR | 0o666, dev), Err(Errno::EPERM));
    assert_eq!(t.mknod("/d/p", S_IFIFO | 0o666, dev), Ok(()));
    assert_eq!(t.stat("/d/p").unwrap().rdev, 0);
    assert_eq!(t.mknod("/d/b", S_IFBLK | 0o666, 0), Err(Errno::EPERM));
    // A whiteout (a character device 0:0) needs no privilege.
    assert_eq!(t.mknod("/d/w", S_IFCHR | 0o666, 0), Ok(()));
    assert_eq!(t.kind("/d/w"), FileType::CharDevice);
}

#[test]
fn symlink_rules() {
    let t = setup();
    assert_eq!(t.symlink("x", "n/"), Err(Errno::ENOENT));
    assert_eq!(t.symlink("", "n"), Err(Errno::ENOENT));
    assert_eq!(t.symlink("x", "f"), Err(Errno::EEXIST));
    assert_eq!(t.symlink("x", "."), Err(Errno::EEXIST));
    let long = "x".repeat(4096);
    assert_eq!(t.symlink(&long, "n"), Err(Errno::ENAMETOOLONG));
    let ok = "x".repeat(4095);
    t.symlink(&ok, "long").unwrap();
    let m = t.lstat("long").unwrap();
    assert_eq!(
        (m.file_type, m.size, m.blocks, m.mode),
        (FileType::Symlink, 4095, 8, 0o777)
    );
    t.symlink(&"x".repeat(127), "l127").unwrap();
    assert_eq!(t.lstat("l127").unwrap().blocks, 0);
    t.symlink(&"x".repeat(128), "l128").unwrap();
    assert_eq!(t.lstat("l128").unwrap().blocks, 8);
    assert_eq!(t.readlink("l128").unwrap(), "x".repeat(128).into_bytes());
}

#[test]
fn link_rules() {
    let t = setup();
    assert_eq!(t.link("d", "dl"), Err(Errno::EPERM));
    assert_eq!(t.link("nx", "f"), Err(Errno::ENOENT));
    assert_eq!(t.link("f", "d/"), Err(Errno::EEXIST));
    assert_eq!(t.link("f", "nx/"), Err(Errno::ENOENT));
    assert_eq!(t.link("f/", "g"), Err(Errno::ENOTDIR));
    assert_eq!(t.link("f", "."), Err(Errno::EEXIST));
    t.tick(3);
    t.link("f", "fl").unwrap();
    let f = t.stat("f").unwrap();
    assert_eq!(f.nlink, 2);
    assert_eq!(f.ctime, t.now());
    assert_eq!(t.stat("fl").unwrap().ino, f.ino);
    // A link to a symlink is to the symlink itself (no AT_SYMLINK_FOLLOW).
    t.link("sf", "sfl").unwrap();
    assert_eq!(t.kind("sfl"), FileType::Symlink);
    vfs::namei::link(&t.ctx(), &t.cwd, b"sf", &t.cwd, b"sff", true).unwrap();
    assert_eq!(t.kind("sff"), FileType::Regular);
}

#[test]
fn link_across_filesystems_is_exdev() {
    let t = setup();
    t.mount_tmpfs("d", vfs::TmpfsOptions::default(), 0).unwrap();
    assert_eq!(t.link("f", "d/f"), Err(Errno::EXDEV));
    // EEXIST is found before EXDEV.
    t.touch("d/g").unwrap();
    assert_eq!(t.link("f", "d/g"), Err(Errno::EEXIST));
}

#[test]
fn name_length_boundaries() {
    let t = setup();
    assert_eq!(t.mkdir(&"n".repeat(255)), Ok(()));
    assert_eq!(t.mkdir(&"n".repeat(256)), Err(Errno::ENAMETOOLONG));
    assert_eq!(
        t.mkdir(&format!("nx/{}", "n".repeat(256))),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        t.stat(&"n".repeat(256)).map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        t.stat(&format!("{}/x", "n".repeat(256))).map(|_| ()),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        t.stat(&format!("f/{}", "n".repeat(256))).map(|_| ()),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(t.touch(&"n".repeat(256)), Err(Errno::ENAMETOOLONG));
    assert_eq!(t.unlink(&"n".repeat(256)), Err(Errno::ENAMETOOLONG));
    assert_eq!(t.rmdir(&"n".repeat(256)), Err(Errno::ENAMETOOLONG));
}

#[test]
fn open_rules() {
    let t = setup();
    let e = |r: Result<vfs::namei::Opened, Errno>| r.map(|_| ()).unwrap_err();
    assert_eq!(e(t.open("f/", O_RDONLY, 0)), Errno::ENOTDIR);
    assert_eq!(e(t.open("f/", O_RDONLY | O_CREAT, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("d/", O_RDONLY | O_CREAT, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("nx/", O_RDONLY | O_CREAT, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("nx/", O_RDONLY, 0)), Errno::ENOENT);
    assert_eq!(e(t.open(".", O_RDONLY | O_CREAT, 0)), Errno::EISDIR);
    assert_eq!(
        e(t.open(".", O_RDONLY | O_CREAT | O_EXCL, 0)),
        Errno::EEXIST
    );
    assert_eq!(e(t.open("d", O_RDONLY | O_CREAT, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("d", O_WRONLY, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("d", O_RDWR, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("d", O_RDONLY | O_TRUNC, 0)), Errno::EISDIR);
    assert_eq!(e(t.open("sf", O_RDONLY | O_NOFOLLOW, 0)), Errno::ELOOP);
    assert_eq!(
        e(t.open("sd", O_RDONLY | O_NOFOLLOW | O_DIRECTORY, 0)),
        Errno::ENOTDIR
    );
    assert_eq!(e(t.open("f", O_RDONLY | O_DIRECTORY, 0)), Errno::ENOTDIR);
    assert_eq!(e(t.open("f", O_CREAT | O_EXCL, 0)), Errno::EEXIST);
    assert_eq!(e(t.open("sf", O_CREAT | O_EXCL, 0)), Errno::EEXIST);
    assert!(t.open("d", O_RDONLY | O_DIRECTORY, 0).is_ok());
    assert!(t.open("sd", O_RDONLY | O_DIRECTORY, 0).is_ok());
    assert!(t.open("sd/", O_RDONLY, 0).is_ok());
    assert!(t.open("sf", O_RDONLY, 0).is_ok());
    // O_PATH on a symlink with O_NOFOLLOW gives the link itself.
    let o = t.open("sf", O_PATH | O_NOFOLLOW, 0).unwrap();
    assert_eq!(o.path.metadata().file_type, FileType::Symlink);
    // O_PATH ignores O_CREAT.
    assert_eq!(e(t.open("newpath", O_PATH | O_CREAT, 0)), Errno::ENOENT);
}

#[test]
fn open_creat_through_dangling_symlink_creates_target() {
    let t = setup();
    let o = t.open("dang", O_RDONLY | O_CREAT, 0o600).unwrap();
    assert!(o.created);
    assert_eq!(t.kind("nonexist"), FileType::Regular);
    assert_eq!(t.kind("dang"), FileType::Symlink);
    t.symlink("nonexist2", "dang2").unwrap();
    assert_eq!(
        t.open("dang2", O_RDONLY | O_CREAT | O_EXCL, 0).map(|_| ()),
        Err(Errno::EEXIST)
    );
    assert!(!t.exists("nonexist2"));
    t.symlink("nonexist3/", "dang3").unwrap();
    assert_eq!(
        t.open("dang3", O_RDONLY | O_CREAT, 0).map(|_| ()),
        Err(Errno::EISDIR)
    );
    t.symlink("d/inner", "dang4").unwrap();
    assert!(t.open("dang4", O_WRONLY | O_CREAT, 0o644).unwrap().created);
    assert!(t.exists("d/inner"));
}

#[test]
fn open_creat_sets_mode_owner_and_returns_created() {
    let mut t = T::new();
    t.umask = 0o022;
    let o = t.open("a", O_CREAT | O_RDWR, 0o7777).unwrap();
    assert!(o.created);
    assert_eq!(t.stat("a").unwrap().mode, 0o7755);
    let o = t.open("a", O_CREAT | O_RDWR, 0o600).unwrap();
    assert!(!o.created);
    // Created with mode 0 and opened read-write: allowed, the permission is not checked.
    t.user(1000, 100);
    assert!(t.open("z", O_CREAT | O_RDWR, 0).unwrap().created);
    assert_eq!(t.open("z", O_RDWR, 0).map(|_| ()), Err(Errno::EACCES));
}

#[test]
fn open_checks_access_mode() {
    let mut t = T::new();
    t.write_file("f", b"data");
    t.chmod("f", 0o444).unwrap();
    t.user(1000, 100);
    assert!(t.open("f", O_RDONLY, 0).is_ok());
    assert_eq!(t.open("f", O_WRONLY, 0).map(|_| ()), Err(Errno::EACCES));
    assert_eq!(
        t.open("f", O_RDONLY | O_TRUNC, 0).map(|_| ()),
        Err(Errno::EACCES)
    );
    assert_eq!(
        t.open("f", O_RDONLY | O_NOATIME, 0).map(|_| ()),
        Err(Errno::EPERM)
    );
    t.as_root();
    assert!(t.open("f", O_RDWR | O_NOATIME, 0).is_ok());
}

#[test]
fn open_trunc_truncates_regular_files_and_updates_times() {
    let t = T::new();
    t.write_file("f", b"hello");
    t.tick(10);
    t.open("f", O_WRONLY | O_TRUNC, 0).unwrap();
    let m = t.stat("f").unwrap();
    assert_eq!((m.size, m.blocks), (0, 0));
    assert_eq!((m.mtime, m.ctime), (t.now(), t.now()));
    // Even when already empty, O_TRUNC updates mtime and ctime.
    t.tick(10);
    t.open("f", O_RDWR | O_TRUNC, 0).unwrap();
    assert_eq!(t.stat("f").unwrap().mtime, t.now());
    // O_TRUNC on a fifo is ignored.
    t.mknod("p", S_IFIFO | 0o644, 0).unwrap();
    assert!(t.open("p", O_WRONLY | O_TRUNC, 0).is_ok());
    // O_CREAT|O_EXCL never truncates (the file is new), O_CREAT on existing does.
    t.write_file("g", b"abc");
    t.open("g", O_CREAT | O_WRONLY | O_TRUNC, 0).unwrap();
    assert_eq!(t.stat("g").unwrap().size, 0);
}

#[test]
fn create_in_removed_directory_is_enoent() {
    let mut t = T::new();
    t.mkdir("cw").unwrap();
    t.chdir("cw").unwrap();
    t.rmdir("../cw").unwrap();
    assert_eq!(t.mkdir("x"), Err(Errno::ENOENT));
    assert_eq!(t.touch("x"), Err(Errno::ENOENT));
    assert_eq!(t.symlink("a", "x"), Err(Errno::ENOENT));
    assert_eq!(t.mkdir("."), Err(Errno::EEXIST));
    assert_eq!(t.getcwd(), Err(Errno::ENOENT));
    assert_eq!(t.stat(".").unwrap().nlink, 0);
    assert_eq!(t.ls("."), Err(Errno::ENOENT));
    t.chdir("..").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/");
}

const O_TMPFILE: u32 = linux_raw_sys::general::O_TMPFILE;
const O_EXCL: u32 = linux_raw_sys::general::O_EXCL;

#[test]
fn tmpfile_has_no_name_until_linked_once() {
    let mut t = setup();
    t.umask = 0o022;
    let o = vfs::namei::open_tmpfile(&t.ctx(), &t.cwd, b"d", O_TMPFILE | O_RDWR, 0o666).unwrap();
    let meta = o.path.metadata();
    assert_eq!(
        (meta.file_type, meta.mode, meta.nlink),
        (FileType::Regular, 0o644, 0)
    );
    assert!(o.path.dentry().is_unlinked());
    assert_eq!(
        o.path.dentry().name().unwrap(),
        format!("#{}", meta.ino).into_bytes()
    );
    assert!(o.path.inode().is_linkable());
    // linkat names it; then it is an ordinary file.
    vfs::namei::link_path(&t.ctx(), &o.path, &t.cwd, b"d/named").unwrap();
    assert_eq!(t.stat("d/named").unwrap().ino, meta.ino);
    assert_eq!(o.path.metadata().nlink, 1);
    assert!(!o.path.inode().is_linkable());
    t.unlink("d/named").unwrap();
    assert_eq!(
        vfs::namei::link_path(&t.ctx(), &o.path, &t.cwd, b"d/again"),
        Err(Errno::ENOENT)
    );
    // O_EXCL: never linkable.
    let x = vfs::namei::open_tmpfile(&t.ctx(), &t.cwd, b"d", O_TMPFILE | O_RDWR | O_EXCL, 0o600)
        .unwrap();
    assert_eq!(
        vfs::namei::link_path(&t.ctx(), &x.path, &t.cwd, b"d/x"),
        Err(Errno::ENOENT)
    );
    // A directory is needed, writable and searchable.
    assert_eq!(
        vfs::namei::open_tmpfile(&t.ctx(), &t.cwd, b"f", O_TMPFILE | O_RDWR, 0).map(|_| ()),
        Err(Errno::ENOTDIR)
    );
    t.chmod("d", 0o555).unwrap();
    t.user(1000, 100);
    assert_eq!(
        vfs::namei::open_tmpfile(&t.ctx(), &t.cwd, b"d", O_TMPFILE | O_RDWR, 0).map(|_| ()),
        Err(Errno::EACCES)
    );
}
