//! chmod, chown, utimensat, truncate and set-user-ID clearing (fs/attr.c, fs/open.c,
//! fs/utimes.c), checked against a Linux host.
mod common;
use abi::Errno;
use common::*;
use vfs::attr::{self, Utime};
use vfs::{Lookup, Timespec};

fn inode(t: &T, p: &str) -> std::sync::Arc<dyn vfs::Inode> {
    t.resolve(p, Lookup::FOLLOW).unwrap().inode().clone()
}

#[test]
fn chmod_needs_ownership_and_updates_ctime() {
    let mut t = T::new();
    t.touch("f").unwrap();
    t.tick(4);
    t.chmod("f", 0o600).unwrap();
    let m = t.stat("f").unwrap();
    assert_eq!((m.mode, m.ctime), (0o600, t.now()));
    t.user(1000, 100);
    assert_eq!(t.chmod("f", 0o777), Err(Errno::EPERM));
    t.as_root();
    t.chown("f", Some(1000), Some(555)).unwrap();
    t.user(1000, 100);
    // Not a member of the file's group: S_ISGID is dropped silently.
    t.chmod("f", 0o2755).unwrap();
    assert_eq!(t.stat("f").unwrap().mode, 0o755);
    t.chmod("f", 0o4755).unwrap();
    assert_eq!(t.stat("f").unwrap().mode, 0o4755);
    t.creds.groups.push(555);
    t.chmod("f", 0o2755).unwrap();
    assert_eq!(t.stat("f").unwrap().mode, 0o2755);
}

#[test]
fn chown_rules() {
    let mut t = T::new();
    t.touch("g").unwrap();
    t.chown("g", Some(1000), Some(555)).unwrap();
    t.user(1000, 100);
    assert_eq!(t.chown("g", Some(1000), None), Ok(()));
    assert_eq!(t.chown("g", Some(1001), None), Err(Errno::EPERM));
    assert_eq!(t.chown("g", None, Some(100)), Ok(()));
    assert_eq!(t.chown("g", None, Some(200)), Err(Errno::EPERM));
    assert_eq!(t.chown("g", None, None), Ok(()));
    t.user(1001, 100);
    assert_eq!(t.chown("g", None, Some(100)), Err(Errno::EPERM));
    assert_eq!(t.chown("g", None, None), Ok(()));
}

#[test]
fn chown_clears_setuid_and_setgid_with_group_exec() {
    let t = T::new();
    t.touch("s").unwrap();
    t.chmod("s", 0o6755).unwrap();
    t.chown("s", None, None).unwrap();
    assert_eq!(t.stat("s").unwrap().mode, 0o755);
    t.chmod("s", 0o6745).unwrap();
    t.chown("s", None, None).unwrap();
    assert_eq!(t.stat("s").unwrap().mode, 0o2745);
    // Directories keep them.
    t.mkdir("d").unwrap();
    t.chmod("d", 0o3777).unwrap();
    t.chown("d", Some(5), Some(5)).unwrap();
    assert_eq!(t.stat("d").unwrap().mode, 0o3777);
}

#[test]
fn utimens_permissions() {
    let mut t = T::new();
    t.touch("rf").unwrap();
    t.chmod("rf", 0o666).unwrap();
    t.user(1000, 100);
    let f = inode(&t, "rf");
    t.tick(10);
    assert_eq!(attr::utimens(f.as_ref(), None, &t.creds), Ok(()));
    let m = f.metadata();
    assert_eq!((m.atime, m.mtime, m.ctime), (t.now(), t.now(), t.now()));
    assert_eq!(
        attr::utimens(f.as_ref(), Some([Utime::Now, Utime::Now]), &t.creds),
        Ok(())
    );
    let set = Utime::Set(Timespec { sec: 1, nsec: 1 });
    assert_eq!(
        attr::utimens(f.as_ref(), Some([set, set]), &t.creds),
        Err(Errno::EPERM)
    );
    assert_eq!(
        attr::utimens(f.as_ref(), Some([Utime::Now, Utime::Omit]), &t.creds),
        Err(Errno::EPERM)
    );
    assert_eq!(
        attr::utimens(f.as_ref(), Some([Utime::Omit, Utime::Omit]), &t.creds),
        Ok(())
    );
    t.as_root();
    t.chmod("rf", 0o644).unwrap();
    t.user(1000, 100);
    assert_eq!(
        attr::utimens(f.as_ref(), None, &t.creds),
        Err(Errno::EACCES)
    );
    t.as_root();
    t.tick(10);
    attr::utimens(f.as_ref(), Some([set, Utime::Omit]), &t.creds).unwrap();
    let m = f.metadata();
    assert_eq!(m.atime, Timespec { sec: 1, nsec: 1 });
    assert_ne!(m.mtime, t.now());
    assert_eq!(m.ctime, t.now());
    assert_eq!(Utime::from_raw(0, 1_000_000_000), Err(Errno::EINVAL));
    assert_eq!(Utime::from_raw(0, -1), Err(Errno::EINVAL));
    assert_eq!(Utime::from_raw(0, (1 << 30) - 1), Ok(Utime::Now));
    assert_eq!(Utime::from_raw(0, (1 << 30) - 2), Ok(Utime::Omit));
}

#[test]
fn truncate_rules() {
    let mut t = T::new();
    t.mkdir("d").unwrap();
    t.mknod("p", S_IFIFO | 0o666, 0).unwrap();
    t.write_file("f", b"0123456789");
    let creds = t.creds.clone();
    let d = t.resolve("d", Lookup::FOLLOW).unwrap();
    let p = t.resolve("p", Lookup::FOLLOW).unwrap();
    let f = t.resolve("f", Lookup::FOLLOW).unwrap();
    assert_eq!(attr::truncate(&d, 0, &creds), Err(Errno::EISDIR));
    assert_eq!(attr::truncate(&p, 0, &creds), Err(Errno::EINVAL));
    t.tick(5);
    assert_eq!(attr::truncate(&f, 10, &creds), Ok(()));
    assert_ne!(f.metadata().mtime, t.now());
    assert_eq!(attr::truncate(&f, 4, &creds), Ok(()));
    assert_eq!(f.metadata().mtime, t.now());
    assert_eq!(t.read_file("f"), b"0123");
    t.tick(5);
    // ftruncate-style: times always.
    attr::do_truncate(f.inode().as_ref(), 4, true, &creds).unwrap();
    assert_eq!(f.metadata().mtime, t.now());
    t.chmod("f", 0o644).unwrap();
    t.user(1000, 100);
    assert_eq!(attr::truncate(&f, 0, &t.creds), Err(Errno::EACCES));
}

#[test]
fn unprivileged_write_and_truncate_clear_setuid() {
    let mut t = T::new();
    t.touch("s").unwrap();
    t.chown("s", Some(1000), Some(100)).unwrap();
    t.chmod("s", 0o6755).unwrap();
    t.touch("s2").unwrap();
    t.chown("s2", Some(1000), Some(100)).unwrap();
    t.chmod("s2", 0o6745).unwrap();
    let s = inode(&t, "s");
    let s2 = inode(&t, "s2");
    // Root keeps them.
    attr::file_remove_privs(s.as_ref(), &t.creds).unwrap();
    assert_eq!(s.metadata().mode, 0o6755);
    t.user(1000, 100);
    attr::file_remove_privs(s.as_ref(), &t.creds).unwrap();
    assert_eq!(s.metadata().mode, 0o755);
    attr::do_truncate(s2.as_ref(), 10, false, &t.creds).unwrap();
    assert_eq!(s2.metadata().mode, 0o2745);
    t.as_root();
    t.chmod("s", 0o4755).unwrap();
    t.user(1000, 100);
    let sd = t.resolve("s", Lookup::FOLLOW).unwrap();
    attr::truncate(&sd, 3, &t.creds).unwrap();
    assert_eq!(s.metadata().mode, 0o755);
}
