//! openat2's RESOLVE_* scoping in the walk (fs/namei.c's LOOKUP_BENEATH, LOOKUP_IN_ROOT,
//! LOOKUP_NO_SYMLINKS, LOOKUP_NO_XDEV, LOOKUP_CACHED) and tmpfs's file handles; the same
//! cases run against Linux in tests/user/fs/openat2.c and fhandle.c.
mod common;
use abi::Errno;
use common::*;
use vfs::Lookup;
use vfs::path::resolve;

fn how(bits: u32) -> Lookup {
    Lookup {
        resolve: bits,
        ..Lookup::FOLLOW
    }
}

/// d/sub/file, d/rel -> sub/file, d/abs -> /d/sub/file, d/up -> ../d.
fn setup() -> (T, vfs::Path) {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.mkdir("d/sub").unwrap();
    t.touch("d/sub/file").unwrap();
    t.symlink("sub/file", "d/rel").unwrap();
    t.symlink("/d/sub/file", "d/abs").unwrap();
    t.symlink("../d", "d/up").unwrap();
    let d = t.resolve("d", Lookup::DIRECTORY).unwrap();
    (t, d)
}

fn walk(t: &T, start: &vfs::Path, p: &str, bits: u32) -> Result<(), Errno> {
    vfs::path::resolve(&t.ctx(), start, p.as_bytes(), how(bits)).map(|_| ())
}

#[test]
fn beneath_refuses_to_leave() {
    let (t, d) = setup();
    assert_eq!(walk(&t, &d, "sub/file", resolve::BENEATH), Ok(()));
    assert_eq!(walk(&t, &d, "rel", resolve::BENEATH), Ok(()));
    assert_eq!(walk(&t, &d, "sub/../sub", resolve::BENEATH), Ok(()));
    assert_eq!(walk(&t, &d, "..", resolve::BENEATH), Err(Errno::EXDEV));
    assert_eq!(walk(&t, &d, "up", resolve::BENEATH), Err(Errno::EXDEV));
    assert_eq!(walk(&t, &d, "abs", resolve::BENEATH), Err(Errno::EXDEV));
    assert_eq!(walk(&t, &d, "/d", resolve::BENEATH), Err(Errno::EXDEV));
}

#[test]
fn in_root_stops_at_the_start() {
    let (t, d) = setup();
    assert_eq!(walk(&t, &d, "../../sub/file", resolve::IN_ROOT), Ok(()));
    // /d/sub/file inside d is d/d/sub/file: absent.
    assert_eq!(walk(&t, &d, "abs", resolve::IN_ROOT), Err(Errno::ENOENT));
    assert_eq!(walk(&t, &d, "up", resolve::IN_ROOT), Err(Errno::ENOENT));
}

#[test]
fn no_symlinks_and_cached() {
    let (t, d) = setup();
    assert_eq!(walk(&t, &d, "rel", resolve::NO_SYMLINKS), Err(Errno::ELOOP));
    let nofollow = Lookup {
        resolve: resolve::NO_SYMLINKS,
        ..Lookup::NOFOLLOW
    };
    assert!(vfs::path::resolve(&t.ctx(), &d, b"rel", nofollow).is_ok());
    assert_eq!(walk(&t, &d, "sub/file", resolve::CACHED), Ok(()));
    assert_eq!(walk(&t, &d, "missing", resolve::CACHED), Err(Errno::EAGAIN));
}

#[test]
fn no_xdev_refuses_mount_crossings() {
    let (t, d) = setup();
    t.mkdir("d/m").unwrap();
    let target = t.resolve("d/m", Lookup::DIRECTORY).unwrap();
    let clock = t.clock.clone();
    let (_fs, root) = new_fs(&clock, vfs::TmpfsOptions::default());
    t.ns.mount_new(&target, root, b"tmpfs", 0).unwrap();
    assert_eq!(walk(&t, &d, "m", resolve::NO_XDEV), Err(Errno::EXDEV));
    assert_eq!(walk(&t, &d, "m", 0), Ok(()));
    let m = t.resolve("d/m", Lookup::DIRECTORY).unwrap();
    assert_eq!(walk(&t, &m, "..", resolve::NO_XDEV), Err(Errno::EXDEV));
    assert_eq!(walk(&t, &m, ".", resolve::NO_XDEV), Ok(()));
}

#[test]
fn handles_decode_while_named() {
    let (t, _) = setup();
    let exports = vfs::FileSystem::exports(t.fs.as_ref()).unwrap();
    let file = t.resolve("d/sub/file", Lookup::NOFOLLOW).unwrap();
    let (words, kind) = exports.encode(file.dentry());
    assert_eq!(kind, 1);
    assert_eq!(u64::from(words[1]), file.metadata().ino);
    drop(file);
    let found = exports.decode(&words).unwrap();
    assert_eq!(found.metadata().ino, u64::from(words[1]));
    drop(found);
    assert_eq!(exports.decode(&words[..2]).err(), Some(Errno::ESTALE));
    assert_eq!(exports.decode(&[1, words[1], 0]).err(), Some(Errno::ESTALE));
    t.unlink("d/sub/file").unwrap();
    assert_eq!(exports.decode(&words).err(), Some(Errno::ESTALE));
}
