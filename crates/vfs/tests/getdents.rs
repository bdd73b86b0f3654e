//! getdents64 record layout and buffer rules (fs/readdir.c).
mod common;
use abi::Errno;
use common::*;
use vfs::Lookup;
use vfs::readdir::{dirent_reclen, dirent64_reclen, getdents, getdents64};

struct Rec {
    ino: u64,
    off: i64,
    reclen: u16,
    dtype: u8,
    name: Vec<u8>,
}

fn parse(buf: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < buf.len() {
        let ino = u64::from_ne_bytes(buf[p..p + 8].try_into().unwrap());
        let off = i64::from_ne_bytes(buf[p + 8..p + 16].try_into().unwrap());
        let reclen = u16::from_ne_bytes(buf[p + 16..p + 18].try_into().unwrap());
        let dtype = buf[p + 18];
        let name_area = &buf[p + 19..p + reclen as usize];
        let nul = name_area.iter().position(|&b| b == 0).unwrap();
        out.push(Rec {
            ino,
            off,
            reclen,
            dtype,
            name: name_area[..nul].to_vec(),
        });
        p += reclen as usize;
    }
    out
}

#[test]
fn records_are_packed_like_linux() {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.touch("d/file").unwrap();
    t.mkdir("d/sub").unwrap();
    t.symlink("x", "d/lnk").unwrap();
    let d = t.resolve("d", Lookup::FOLLOW).unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, next) = getdents64(d.inode().as_ref(), 0, &mut buf).unwrap();
    let recs = parse(&buf[..n]);
    let names: Vec<&[u8]> = recs.iter().map(|r| &r.name[..]).collect();
    assert_eq!(names, [&b"."[..], b"..", b"file", b"sub", b"lnk"]);
    assert_eq!(recs[0].reclen, 24);
    assert_eq!(recs[2].reclen as usize, dirent64_reclen(4));
    assert_eq!(dirent64_reclen(4), 24);
    assert_eq!(dirent64_reclen(5), 32);
    assert_eq!(
        recs.iter().map(|r| r.dtype).collect::<Vec<_>>(),
        [4, 4, 8, 4, 10]
    );
    assert_eq!(recs[0].ino, d.metadata().ino);
    assert_eq!(recs[1].ino, 1);
    assert_eq!(recs[4].off as u64, next);
    // At the end: 0 bytes.
    assert_eq!(
        getdents64(d.inode().as_ref(), next, &mut buf),
        Ok((0, next))
    );
}

#[test]
fn small_buffers() {
    let t = T::new();
    t.touch("a").unwrap();
    let root = t.root.inode().clone();
    let mut tiny = [0u8; 23];
    assert_eq!(getdents64(root.as_ref(), 0, &mut tiny), Err(Errno::EINVAL));
    let mut one = [0u8; 40];
    let (n, next) = getdents64(root.as_ref(), 0, &mut one).unwrap();
    assert_eq!((n, next), (24, 1));
    let mut pos = next;
    let mut names = Vec::new();
    loop {
        let (n, next) = getdents64(root.as_ref(), pos, &mut one).unwrap();
        if n == 0 {
            break;
        }
        names.extend(parse(&one[..n]).into_iter().map(|r| r.name));
        pos = next;
    }
    assert_eq!(names, [b"..".to_vec(), b"a".to_vec()]);
    // Empty buffer at the end of the directory is fine (nothing to report).
    assert_eq!(getdents64(root.as_ref(), pos, &mut []), Ok((0, pos)));
}

#[test]
fn errors() {
    let t = T::new();
    t.touch("f").unwrap();
    let f = t.resolve("f", Lookup::FOLLOW).unwrap();
    let mut buf = [0u8; 100];
    assert_eq!(
        getdents64(f.inode().as_ref(), 0, &mut buf),
        Err(Errno::ENOTDIR)
    );
    t.mkdir("gone").unwrap();
    let gone = t.resolve("gone", Lookup::FOLLOW).unwrap();
    t.rmdir("gone").unwrap();
    assert_eq!(
        getdents64(gone.inode().as_ref(), 0, &mut buf),
        Err(Errno::ENOENT)
    );
}

#[test]
fn old_records_put_the_type_last() {
    let t = T::new();
    t.mkdir("d").unwrap();
    t.touch("d/abc").unwrap();
    t.mkdir("d/sub").unwrap();
    t.symlink("x", "d/a-longer-name").unwrap();
    let d = t.resolve("d", Lookup::FOLLOW).unwrap();
    let mut buf = vec![0xaau8; 4096];
    let (n, next) = getdents(d.inode().as_ref(), 0, &mut buf).unwrap();
    let mut names = Vec::new();
    let mut p = 0;
    let mut offsets = Vec::new();
    while p < n {
        let reclen = u16::from_ne_bytes(buf[p + 16..p + 18].try_into().unwrap()) as usize;
        let off = i64::from_ne_bytes(buf[p + 8..p + 16].try_into().unwrap());
        let name_area = &buf[p + 18..p + reclen];
        let nul = name_area.iter().position(|&b| b == 0).unwrap();
        assert_eq!(reclen, dirent_reclen(nul));
        names.push((name_area[..nul].to_vec(), buf[p + reclen - 1]));
        offsets.push(off);
        p += reclen;
    }
    assert_eq!(
        names,
        [
            (b".".to_vec(), 4),
            (b"..".to_vec(), 4),
            (b"abc".to_vec(), 8),
            (b"sub".to_vec(), 4),
            (b"a-longer-name".to_vec(), 10)
        ]
    );
    // 18 + 1 + 2 = 21 -> 24; 18 + 13 + 2 = 33 -> 40.
    assert_eq!(dirent_reclen(1), 24);
    assert_eq!(dirent_reclen(4), 24);
    assert_eq!(dirent_reclen(5), 32);
    assert_eq!(dirent_reclen(13), 40);
    assert_eq!(*offsets.last().unwrap() as u64, next);
    // A buffer too small for the first record: EINVAL; one record exactly: that record.
    assert_eq!(
        getdents(d.inode().as_ref(), 0, &mut buf[..23]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        getdents(d.inode().as_ref(), 0, &mut buf[..24]).unwrap().0,
        24
    );
    // At the end: 0 bytes.
    assert_eq!(getdents(d.inode().as_ref(), next, &mut buf).unwrap().0, 0);
}
