//! Many threads changing one tree at once: no deadlock, and the counts stay consistent.
mod common;
use std::sync::Arc;
use std::thread;

use common::*;
use vfs::namei;
use vfs::path::Ctx;
use vfs::{Credentials, Lookup};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn parallel_namespace_changes() {
    let t = T::new();
    for d in ["a", "b", "c", "a/x", "b/y"] {
        t.mkdir(d).unwrap();
    }
    let root = t.root.clone();
    let dirs = ["/a", "/b", "/c", "/a/x", "/b/y"];
    let mut handles = Vec::new();
    for seed in 1..=8u64 {
        let root = root.clone();
        handles.push(thread::spawn(move || {
            let creds = Credentials::root();
            let ctx = Ctx {
                root: &root,
                creds: &creds,
                umask: 0,
            };
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            for _ in 0..3000 {
                let d1 = dirs[(rng.next() % 5) as usize];
                let d2 = dirs[(rng.next() % 5) as usize];
                let mut n1 = format!("{d1}/n{}", rng.next() % 6);
                let mut n2 = format!("{d2}/n{}", rng.next() % 6);
                // Sometimes one level deeper, racing with the removal of the parent.
                if rng.next().is_multiple_of(3) {
                    n1 = format!("{n1}/m{}", rng.next() % 3);
                }
                if rng.next().is_multiple_of(3) {
                    n2 = format!("{n2}/m{}", rng.next() % 3);
                }
                let _ = match rng.next() % 8 {
                    0 => namei::mkdir(&ctx, &root, n1.as_bytes(), 0o755).map(|_| ()),
                    1 => namei::open(&ctx, &root, n1.as_bytes(), O_CREAT | O_WRONLY, 0o644)
                        .map(|_| ()),
                    2 => namei::unlink(&ctx, &root, n1.as_bytes()),
                    3 => namei::rmdir(&ctx, &root, n1.as_bytes()),
                    4 => namei::rename(&ctx, &root, n1.as_bytes(), &root, n2.as_bytes(), 0),
                    5 => namei::rename(&ctx, &root, n1.as_bytes(), &root, n2.as_bytes(), 2),
                    6 => namei::link(&ctx, &root, n1.as_bytes(), &root, n2.as_bytes(), false),
                    _ => namei::stat(&ctx, &root, n1.as_bytes(), false).map(|_| ()),
                };
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    // Every directory's nlink is 2 + its subdirectories, size 40 + 20 per entry, and every
    // cached name agrees with a fresh lookup.
    fn check(t: &T, path: &str) {
        let d = t.resolve(path, Lookup::DIRECTORY).unwrap();
        let mut entries = Vec::new();
        d.inode()
            .read_dir(2, &mut |e| {
                entries.push((
                    String::from_utf8(e.name.to_vec()).unwrap(),
                    e.file_type,
                    e.ino,
                ));
                true
            })
            .unwrap();
        let m = d.metadata();
        let subdirs = entries.iter().filter(|e| e.1.is_dir()).count() as u32;
        assert_eq!(m.nlink, 2 + subdirs, "{path}");
        assert_eq!(m.size, 40 + 20 * entries.len() as u64, "{path}");
        for (name, ft, ino) in entries {
            let child = format!("{}/{name}", path.trim_end_matches('/'));
            let cm = t.lstat(&child).unwrap();
            assert_eq!((cm.ino, cm.file_type), (ino, ft), "{child}");
            let fresh = d.inode().lookup(name.as_bytes()).unwrap();
            assert_eq!(fresh.metadata().ino, ino);
            if ft.is_dir() {
                check(t, &child);
                assert_eq!(t.stat(&format!("{child}/..")).unwrap().ino, m.ino);
            }
        }
    }
    check(&t, "/");
    let _ = Arc::strong_count(&root);
}
