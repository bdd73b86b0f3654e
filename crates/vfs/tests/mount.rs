//! Mounts: the tree operations of fs/namespace.c (mount, bind, move, umount, remount flags,
//! propagation types, pivot_root) and their effect on walks and path operations (EROFS, EXDEV,
//! nodev, noexec, atime), each rule as Linux 6.1 has it.
mod common;
use abi::Errno;
use common::*;
use std::sync::Arc;
use vfs::mount::PropagationType;
use vfs::mount::flags::*;
use vfs::mount::umount_flags::*;
use vfs::{Lookup, TmpfsOptions};

fn setup() -> T {
    let t = T::new();
    t.mkdir("a").unwrap();
    t.mkdir("b").unwrap();
    t.touch("f").unwrap();
    t.touch("g").unwrap();
    t
}

fn dev(n: u64) -> TmpfsOptions {
    TmpfsOptions {
        dev: n,
        ..Default::default()
    }
}

fn path(t: &T, p: &str) -> vfs::Path {
    t.resolve(p, Lookup::FOLLOW).unwrap()
}

fn ids(t: &T) -> Vec<u32> {
    t.ns.mounts().unwrap().iter().map(|m| m.id()).collect()
}

#[test]
fn stacked_mounts_show_the_newest_and_unmount_in_order() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    t.mount_tmpfs("a", dev(11), 0).unwrap();
    assert_eq!(t.stat("a").unwrap().dev, 11);
    assert_eq!(ids(&t), vec![1, 2, 3]);
    // The older one is busy: the newer one is mounted on its root.
    let older = t.ns.mounts().unwrap()[1].clone();
    let older_root = vfs::Path::mount_root(older);
    assert_eq!(t.ns.umount(older_root, 0, &t.root), Err(Errno::EBUSY));
    t.ns.umount(path(&t, "a"), 0, &t.root).unwrap();
    assert_eq!(t.stat("a").unwrap().dev, 10);
    t.ns.umount(path(&t, "a"), 0, &t.root).unwrap();
    assert_eq!(t.stat("a").unwrap().dev, 0);
    // Ids are reused from the lowest.
    t.mount_tmpfs("b", dev(12), 0).unwrap();
    assert_eq!(ids(&t), vec![1, 2]);
}

#[test]
fn mount_target_rules() {
    let t = setup();
    // A directory over a file, or the same superblock on its own root.
    let (_fs, root2) = new_fs(&t.clock, dev(5));
    assert_eq!(
        t.ns.mount_new(&path(&t, "f"), root2.clone(), b"x", 0)
            .map(|_| ()),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        t.ns.mount_new(&t.root, t.root.dentry().clone(), b"x", 0)
            .map(|_| ()),
        Err(Errno::EBUSY)
    );
    // A removed directory cannot be a mount point.
    let gone = path(&t, "b");
    t.rmdir("b").unwrap();
    assert_eq!(
        t.ns.mount_new(&gone, root2, b"x", 0).map(|_| ()),
        Err(Errno::ENOENT)
    );
}

#[test]
fn umount_rules_busy_detach_expire() {
    let mut t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    // Not the root of a mount.
    t.mkdir("a/x").unwrap();
    assert_eq!(t.ns.umount(path(&t, "a/x"), 0, &t.root), Err(Errno::EINVAL));
    // The namespace root cannot go.
    assert_eq!(t.ns.umount(path(&t, "/"), 0, &t.root), Err(Errno::EINVAL));
    // A cwd inside makes it busy; MNT_DETACH takes it out anyway and the cwd stays usable.
    t.chdir("a/x").unwrap();
    assert_eq!(t.ns.umount(path(&t, "/a"), 0, &t.root), Err(Errno::EBUSY));
    assert_eq!(
        t.ns.umount(path(&t, "/a"), MNT_EXPIRE, &t.root),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        t.ns.umount(path(&t, "/a"), MNT_EXPIRE | MNT_DETACH, &t.root),
        Err(Errno::EINVAL)
    );
    t.ns.umount(path(&t, "/a"), MNT_DETACH, &t.root).unwrap();
    assert_eq!(t.stat("/a").unwrap().dev, 0);
    assert_eq!(t.stat(".").unwrap().dev, 10);
    t.mkdir("y").unwrap();
    // Detached: the path is shown from the detached mount's root.
    assert_eq!(t.getcwd().unwrap(), "(unreachable)/x");
    t.chdir("/").unwrap();
    assert_eq!(ids(&t), vec![1]);

    // MNT_EXPIRE: EAGAIN the first time, gone the second if unused in between.
    t.mount_tmpfs("b", dev(11), 0).unwrap();
    assert_eq!(
        t.ns.umount(path(&t, "/b"), MNT_EXPIRE, &t.root),
        Err(Errno::EAGAIN)
    );
    // A use clears the mark.
    t.stat("/b/.").unwrap();
    assert_eq!(
        t.ns.umount(path(&t, "/b"), MNT_EXPIRE, &t.root),
        Err(Errno::EAGAIN)
    );
    t.ns.umount(path(&t, "/b"), MNT_EXPIRE, &t.root).unwrap();
    assert_eq!(t.stat("/b").unwrap().dev, 0);
}

#[test]
fn umount_with_a_mount_inside_is_busy_detach_takes_the_subtree() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    t.mkdir("a/in").unwrap();
    t.mount_tmpfs("a/in", dev(11), 0).unwrap();
    assert_eq!(t.ns.umount(path(&t, "/a"), 0, &t.root), Err(Errno::EBUSY));
    t.ns.umount(path(&t, "/a"), MNT_DETACH, &t.root).unwrap();
    assert_eq!(ids(&t), vec![1]);
}

#[test]
fn bind_mounts_share_the_filesystem_but_not_mounts_inside() {
    let t = setup();
    t.mkdir("a/sub").unwrap();
    t.touch("a/sub/file").unwrap();
    t.mkdir("a/m").unwrap();
    t.mount_tmpfs("a/m", dev(20), 0).unwrap();
    t.touch("a/m/inner").unwrap();
    // Plain bind of a: the mount on a/m is not copied.
    t.ns.bind(&path(&t, "a"), &path(&t, "b"), false).unwrap();
    assert_eq!(
        t.stat("b/sub/file").unwrap().ino,
        t.stat("a/sub/file").unwrap().ino
    );
    assert_eq!(t.stat("b/m/inner").map(|_| ()), Err(Errno::ENOENT));
    // Changes through one name show through the other.
    t.touch("b/new").unwrap();
    assert!(t.exists("a/new"));
    // Same filesystem, different mounts: EXDEV.
    assert_eq!(t.rename("a/new", "b/new2"), Err(Errno::EXDEV));
    assert_eq!(t.link("a/new", "b/new3"), Err(Errno::EXDEV));
    t.rename("b/new", "b/new2").unwrap();
    // `..` at the root of the bind mount goes to the mount point's parent.
    assert_eq!(t.stat("b/..").unwrap().ino, t.stat("/").unwrap().ino);
    // Recursive bind copies the mount inside.
    t.mkdir("c").unwrap();
    t.ns.bind(&path(&t, "a"), &path(&t, "c"), true).unwrap();
    assert!(t.exists("c/m/inner"));
    // A file on a file.
    t.ns.bind(&path(&t, "f"), &path(&t, "g"), false).unwrap();
    assert_eq!(t.stat("g").unwrap().ino, t.stat("f").unwrap().ino);
    assert_eq!(
        t.ns.bind(&path(&t, "f"), &path(&t, "c"), false),
        Err(Errno::ENOTDIR)
    );
    // Unbindable sources refuse, and are left out of recursive copies.
    t.ns.change_propagation(&path(&t, "a/m"), PropagationType::Unbindable, false)
        .unwrap();
    assert_eq!(
        t.ns.bind(&path(&t, "a/m"), &path(&t, "b/sub"), false),
        Err(Errno::EINVAL)
    );
    t.mkdir("d").unwrap();
    t.ns.bind(&path(&t, "a"), &path(&t, "d"), true).unwrap();
    assert_eq!(t.stat("d/m/inner").map(|_| ()), Err(Errno::ENOENT));
}

#[test]
fn bind_of_a_subdirectory_stops_dotdot_and_paths_at_its_root() {
    let mut t = setup();
    t.mkdir("a/deep").unwrap();
    t.mkdir("a/deep/er").unwrap();
    t.ns.bind(&path(&t, "a/deep"), &path(&t, "b"), false)
        .unwrap();
    t.chdir("b/er").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/b/er");
    t.chdir("../..").unwrap();
    assert_eq!(t.getcwd().unwrap(), "/");
}

#[test]
fn read_only_mounts_refuse_changes_in_linux_order() {
    let t = setup();
    t.touch("a/file").unwrap();
    t.mkdir("a/dir").unwrap();
    t.ns.bind(&path(&t, "a"), &path(&t, "b"), false).unwrap();
    t.ns.set_mount_flags(&path(&t, "b"), MNT_READONLY).unwrap();
    assert_eq!(t.mkdir("b/new"), Err(Errno::EROFS));
    assert_eq!(t.mkdir("b/dir"), Err(Errno::EEXIST));
    assert_eq!(t.mkdir("b/nx/new"), Err(Errno::ENOENT));
    assert_eq!(t.symlink("x", "b/l"), Err(Errno::EROFS));
    assert_eq!(t.mknod("b/n", S_IFIFO | 0o644, 0), Err(Errno::EROFS));
    assert_eq!(t.unlink("b/file"), Err(Errno::EROFS));
    // EROFS comes before the name is looked up.
    assert_eq!(t.unlink("b/nx"), Err(Errno::EROFS));
    assert_eq!(t.rmdir("b/dir"), Err(Errno::EROFS));
    assert_eq!(t.rmdir("b/."), Err(Errno::EINVAL));
    assert_eq!(t.rename("b/file", "b/file2"), Err(Errno::EROFS));
    assert_eq!(t.link("b/file", "b/file2"), Err(Errno::EROFS));
    assert_eq!(t.open("b/file", O_WRONLY, 0).map(|_| ()), Err(Errno::EROFS));
    assert_eq!(
        t.open("b/file", O_RDONLY | O_TRUNC, 0).map(|_| ()),
        Err(Errno::EROFS)
    );
    assert_eq!(
        t.open("b/nx", O_RDONLY | O_CREAT, 0o644).map(|_| ()),
        Err(Errno::EROFS)
    );
    // Opening an existing file with O_CREAT for reading is fine; so is reading.
    assert!(t.open("b/file", O_RDONLY | O_CREAT, 0o644).is_ok());
    assert!(t.open("b/file", O_RDONLY, 0).is_ok());
    assert_eq!(t.open("b/dir", O_WRONLY, 0).map(|_| ()), Err(Errno::EISDIR));
    // The other name of the same filesystem is still writable.
    t.touch("a/other").unwrap();
    assert!(t.exists("b/other"));
    let ctx = t.ctx();
    assert_eq!(
        vfs::namei::access(&ctx, &t.cwd, b"b/file", 2, true),
        Err(Errno::EROFS)
    );
    assert_eq!(vfs::namei::access(&ctx, &t.cwd, b"b/file", 4, true), Ok(()));
    assert_eq!(
        vfs::attr::truncate(&path(&t, "b/file"), 0, &t.creds),
        Err(Errno::EROFS)
    );
    // Remount read-write.
    t.ns.set_mount_flags(&path(&t, "b"), 0).unwrap();
    t.mkdir("b/new").unwrap();
}

#[test]
fn read_only_superblock_says_erofs_before_permissions() {
    let mut t = setup();
    t.touch("a/file").unwrap();
    t.chmod("a/file", 0o444).unwrap();
    t.ns.bind(&path(&t, "a"), &path(&t, "b"), false).unwrap();
    t.ns.set_mount_flags(&path(&t, "b"), MNT_READONLY).unwrap();
    t.user(1000, 1000);
    // Read-only mount: the permission check comes first.
    assert_eq!(
        t.open("b/file", O_WRONLY, 0).map(|_| ()),
        Err(Errno::EACCES)
    );
    t.as_root();
    t.fs_superblock_readonly();
    t.user(1000, 1000);
    // Read-only superblock: EROFS first.
    assert_eq!(t.open("a/file", O_WRONLY, 0).map(|_| ()), Err(Errno::EROFS));
}

#[test]
fn nodev_and_noexec() {
    let t = setup();
    t.mknod("a/null", S_IFCHR | 0o666, vfs::inode::encode_dev(1, 3))
        .unwrap();
    t.touch("a/prog").unwrap();
    t.chmod("a/prog", 0o755).unwrap();
    t.ns.bind(&path(&t, "a"), &path(&t, "b"), false).unwrap();
    t.ns.set_mount_flags(&path(&t, "b"), MNT_NODEV | MNT_NOEXEC)
        .unwrap();
    assert_eq!(t.open("b/null", O_RDWR, 0).map(|_| ()), Err(Errno::EACCES));
    assert!(t.open("a/null", O_RDWR, 0).is_ok());
    let ctx = t.ctx();
    assert_eq!(
        vfs::namei::access(&ctx, &t.cwd, b"b/prog", 1, true),
        Err(Errno::EACCES)
    );
    assert_eq!(vfs::namei::access(&ctx, &t.cwd, b"a/prog", 1, true), Ok(()));
    assert!(path(&t, "b/prog").mnt().is_noexec());
}

#[test]
fn atime_follows_the_mount() {
    let t = setup();
    t.write_file("a/f", b"x");
    t.ns.bind(&path(&t, "a"), &path(&t, "b"), false).unwrap();
    t.ns.set_mount_flags(&path(&t, "b"), MNT_NOATIME).unwrap();
    let before = t.stat("a/f").unwrap().atime;
    t.tick(10);
    t.read_file("b/f");
    assert_eq!(t.stat("a/f").unwrap().atime, before);
    // relatime: the first read after the write updates, the next one does not.
    t.ns.set_mount_flags(&path(&t, "b"), MNT_RELATIME).unwrap();
    t.read_file("b/f");
    let first = t.now();
    assert_eq!(t.stat("a/f").unwrap().atime, first);
    t.tick(10);
    t.read_file("b/f");
    assert_eq!(t.stat("a/f").unwrap().atime, first);
    // The root mount (no relatime) updates every time.
    t.read_file("a/f");
    assert_eq!(t.stat("a/f").unwrap().atime, t.now());
    // Read-only mounts never update.
    t.ns.set_mount_flags(&path(&t, "b"), MNT_READONLY).unwrap();
    t.tick(10);
    t.read_file("b/f");
    assert_ne!(t.stat("a/f").unwrap().atime, t.now());
}

#[test]
fn move_mount_rules() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    t.mkdir("a/in").unwrap();
    t.ns.move_mount(&path(&t, "a"), &path(&t, "b")).unwrap();
    assert_eq!(t.stat("b").unwrap().dev, 10);
    assert_eq!(t.stat("a").unwrap().dev, 0);
    assert_eq!(
        t.ns.move_mount(&path(&t, "b"), &path(&t, "b/in")),
        Err(Errno::ELOOP)
    );
    assert_eq!(
        t.ns.move_mount(&path(&t, "b/in"), &path(&t, "a")),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        t.ns.move_mount(&path(&t, "/"), &path(&t, "a")),
        Err(Errno::EINVAL)
    );
}

#[test]
fn propagation_types_are_recorded() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    let a = || path(&t, "a").mnt().propagation();
    t.ns.change_propagation(&path(&t, "a"), PropagationType::Shared, false)
        .unwrap();
    assert_eq!(a().shared_group, 1);
    // A bind of a shared mount joins its peer group.
    t.ns.bind(&path(&t, "a"), &path(&t, "b"), false).unwrap();
    assert_eq!(path(&t, "b").mnt().propagation().shared_group, 1);
    // Slave of a group with other members: the group becomes the master.
    t.ns.change_propagation(&path(&t, "b"), PropagationType::Slave, false)
        .unwrap();
    let b = path(&t, "b").mnt().propagation();
    assert_eq!((b.shared_group, b.master_group), (0, 1));
    // Not the root of a mount.
    t.mkdir("a/x").unwrap();
    assert_eq!(
        t.ns.change_propagation(&path(&t, "a/x"), PropagationType::Private, false),
        Err(Errno::EINVAL)
    );
    t.ns.change_propagation(&path(&t, "/"), PropagationType::Private, true)
        .unwrap();
    assert_eq!(a(), vfs::mount::Propagation::default());
}

#[test]
fn pivot_root_rules() {
    let mut t = setup();
    // From the namespace root (rootfs has no parent): EINVAL, as in an initramfs.
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    t.mkdir("a/old").unwrap();
    assert_eq!(
        t.ns.pivot_root(&path(&t, "a"), &path(&t, "a/old"), &t.root),
        Err(Errno::EINVAL)
    );
    // Chrooted into a mount: the new root must be another mount, put_old under it.
    t.mkdir("a/new").unwrap();
    t.mount_tmpfs("a/new", dev(11), 0).unwrap();
    t.mkdir("a/new/old").unwrap();
    t.touch("a/new/marker").unwrap();
    let root = path(&t, "a");
    t.root = root.clone();
    t.cwd = root.clone();
    assert_eq!(
        t.ns.pivot_root(&path(&t, "/"), &path(&t, "/new/old"), &t.root),
        Err(Errno::EBUSY)
    );
    // put_old on the root mount itself.
    assert_eq!(
        t.ns.pivot_root(&path(&t, "/new"), &path(&t, "/old"), &t.root),
        Err(Errno::EBUSY)
    );
    t.ns.pivot_root(&path(&t, "/new"), &path(&t, "/new/old"), &t.root)
        .unwrap();
    // The caller moves its root (chroot_fs_refs is the kernel's part).
    let new_root = t.ns.root();
    t.root = new_root.clone();
    t.cwd = new_root;
    assert!(t.exists("/a/marker"));
    assert!(t.exists("/a/old/new"));
    assert_eq!(t.stat("/a/old").unwrap().dev, 10);
}

#[test]
fn paths_across_mounts_and_from_a_chroot() {
    let mut t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    t.mkdir("a/x").unwrap();
    let p = path(&t, "a/x");
    assert_eq!(p.d_path(&t.root).unwrap(), b"/a/x");
    let chroot = path(&t, "a");
    assert_eq!(p.path_from(&chroot).unwrap(), (b"/x".to_vec(), true));
    let outside = path(&t, "b");
    assert_eq!(outside.path_from(&chroot).unwrap(), (b"/b".to_vec(), false));
    // `..` stops at the caller's root even at a mount root.
    t.root = chroot.clone();
    t.cwd = chroot;
    assert_eq!(t.stat("..").unwrap().dev, 10);
}

#[test]
fn mangle_escapes_like_proc_mounts() {
    let mut out = Vec::new();
    vfs::mount::mangle(&mut out, b"a b\tc\nd\\e").unwrap();
    assert_eq!(out, b"a\\040b\\011c\\012d\\134e");
}

#[test]
fn mount_keeps_its_superblock_alive_after_detach() {
    let t = setup();
    let fs = t.mount_tmpfs("a", dev(10), 0).unwrap();
    let weak = Arc::downgrade(&fs);
    drop(fs);
    let held = path(&t, "a");
    t.ns.umount(path(&t, "a"), MNT_DETACH, &t.root).unwrap();
    assert!(weak.upgrade().is_some());
    drop(held);
    assert!(weak.upgrade().is_none());
}

#[test]
fn copied_namespace_has_its_own_tree_and_new_ids() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), 0).unwrap();
    t.ns.change_propagation(&path(&t, "a"), PropagationType::Shared, false)
        .unwrap();
    let (copy, pairs) = t.ns.copy(false).unwrap();
    assert_eq!(pairs.len(), 2);
    // New ids from the same space; the shared mount's copy is its peer.
    let copied: Vec<u32> = copy.mounts().unwrap().iter().map(|m| m.id()).collect();
    assert_eq!(copied, vec![3, 4]);
    let copy_a = copy.mounts().unwrap()[1].clone();
    assert_eq!(
        copy_a.propagation(),
        t.ns.mounts().unwrap()[1].propagation()
    );
    assert!(copy.holds(&copy_a));
    assert!(!t.ns.holds(&copy_a));
    // A path of the original namespace is no place to mount in the copy.
    let (_fs, root2) = new_fs(&t.clock, dev(20));
    assert_eq!(
        copy.mount_new(&path(&t, "b"), root2.clone(), b"x", 0)
            .map(|_| ()),
        Err(Errno::EINVAL)
    );
    // Unmounting in the copy leaves the original alone.
    let at_a = vfs::Path::mount_root(copy_a.clone());
    drop(pairs);
    drop(copy_a);
    copy.umount(at_a, 0, &copy.root()).unwrap();
    assert_eq!(t.stat("a").unwrap().dev, 10);
    assert_eq!(copy.mounts().unwrap().len(), 1);
    // With shared_to_slave the copy is a slave of the peer group.
    let (slave_copy, _) = t.ns.copy(true).unwrap();
    let p = slave_copy.mounts().unwrap()[1].propagation();
    assert_eq!((p.shared_group, p.master_group), (0, 1));
}

#[test]
fn dropping_a_namespace_unmounts_its_tree() {
    let t = setup();
    let (copy, pairs) = t.ns.copy(false).unwrap();
    let b_in_copy = vfs::Path::new(pairs[0].1.clone(), path(&t, "b").dentry().clone());
    drop(pairs);
    let (_fs, root2) = new_fs(&t.clock, dev(21));
    copy.mount_new(&b_in_copy, root2, b"x", 0).unwrap();
    drop(b_in_copy);
    drop(copy);
    // The mount point is free again: the directory can go.
    t.rmdir("b").unwrap();
    // Ids of the dropped namespace are free again.
    t.mount_tmpfs("a", dev(22), 0).unwrap();
    assert_eq!(ids(&t), vec![1, 2]);
}

#[test]
fn unprivileged_copies_are_locked() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), MNT_NOSUID).unwrap();
    let (copy, _) = t.ns.copy(true).unwrap();
    let a = copy.mounts().unwrap()[1].clone();
    assert!(a.is_locked());
    let at_a = vfs::Path::mount_root(a.clone());
    assert_eq!(
        copy.umount(at_a.clone(), 0, &copy.root()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        copy.umount(at_a.clone(), MNT_DETACH, &copy.root()),
        Err(Errno::EINVAL)
    );
    assert_eq!(copy.set_mount_flags(&at_a, 0), Err(Errno::EPERM));
    copy.set_mount_flags(&at_a, MNT_NOSUID | MNT_NODEV).unwrap();
    // A bind of the root without its children would show what "a" covers.
    assert_eq!(copy.bind(&copy.root(), &at_a, false), Err(Errno::EINVAL));
    // The original is not locked.
    assert!(!t.ns.mounts().unwrap()[1].is_locked());
}

#[test]
fn detached_trees_attach_once() {
    let t = setup();
    let clock = t.clock.clone();
    let (_fs, root) = new_fs(&clock, dev(20));
    let detached = t.ns.new_detached(root, b"tmpfs", MNT_NOSUID).unwrap();
    assert!(detached.is_detached_tree());
    assert!(!detached.is_attached());
    // Not in the tree: nothing shows it yet.
    assert_eq!(ids(&t), vec![1]);
    // A directory root over a file is EINVAL (do_move_mount).
    assert_eq!(
        t.ns.attach_detached(&detached, &path(&t, "f")),
        Err(Errno::EINVAL)
    );
    t.ns.attach_detached(&detached, &path(&t, "a")).unwrap();
    assert_eq!(t.stat("a").unwrap().dev, 20);
    assert!(!detached.is_detached_tree());
    assert_eq!(detached.flags(), MNT_NOSUID);
    // Only once.
    assert_eq!(
        t.ns.attach_detached(&detached, &path(&t, "b")),
        Err(Errno::EINVAL)
    );
    // A clone of an attached mount is detached until attached.
    let clone = t.ns.clone_detached(&path(&t, "a")).unwrap();
    assert!(clone.is_detached_tree());
    t.ns.attach_detached(&clone, &path(&t, "b")).unwrap();
    assert_eq!(t.stat("b").unwrap().dev, 20);
}

#[test]
fn set_attr_sets_clears_and_respects_locks() {
    let t = setup();
    t.mount_tmpfs("a", dev(10), MNT_RELATIME).unwrap();
    t.mount_tmpfs("a", dev(11), MNT_RELATIME).unwrap();
    let a = path(&t, "a");
    t.ns.set_attr(&a, MNT_READONLY | MNT_NOEXEC, 0, false)
        .unwrap();
    assert_eq!(a.mnt().flags(), MNT_RELATIME | MNT_READONLY | MNT_NOEXEC);
    t.ns.set_attr(&a, 0, MNT_READONLY, false).unwrap();
    assert_eq!(a.mnt().flags(), MNT_RELATIME | MNT_NOEXEC);
    // Not a mount root.
    t.mkdir("a/d").unwrap();
    assert_eq!(
        t.ns.set_attr(&path(&t, "a/d"), MNT_READONLY, 0, false),
        Err(Errno::EINVAL)
    );
    // Recursive from the root reaches every mount.
    t.ns.set_attr(&t.ns.root(), MNT_NODEV, 0, true).unwrap();
    assert!(
        t.ns.mounts()
            .unwrap()
            .iter()
            .all(|m| m.flags() & MNT_NODEV != 0)
    );
}
