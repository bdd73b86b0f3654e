//! The events `vfs::namei` reports through `vfs::notify` and their order (Linux's fsnotify
//! calls in `fs/namei.c`): one test, since the notifier is process-wide.
mod common;
use common::*;
use std::sync::{Arc, Mutex};
use vfs::Inode;
use vfs::notify::{self, Notifier};

struct Recorder {
    log: Mutex<Vec<String>>,
    cookie: Mutex<u32>,
}

fn bits(mask: u32) -> String {
    let names = [
        (notify::IN_ATTRIB, "ATTRIB"),
        (notify::IN_MOVED_FROM, "MOVED_FROM"),
        (notify::IN_MOVED_TO, "MOVED_TO"),
        (notify::IN_CREATE, "CREATE"),
        (notify::IN_DELETE, "DELETE"),
        (notify::IN_MOVE_SELF, "MOVE_SELF"),
        (notify::IN_ISDIR, "ISDIR"),
    ];
    let parts: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| mask & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    parts.join("|")
}

impl Notifier for Recorder {
    fn is_active(&self) -> bool {
        true
    }
    fn entry(&self, dir: &Arc<dyn Inode>, mask: u32, cookie: u32, name: &[u8]) {
        self.log.lock().unwrap().push(format!(
            "{}:{}:{}{}",
            dir.metadata().ino,
            bits(mask),
            String::from_utf8_lossy(name),
            if cookie != 0 {
                format!("#{cookie}")
            } else {
                String::new()
            }
        ));
    }
    fn inode(&self, inode: &Arc<dyn Inode>, mask: u32) {
        let line = format!("{}:{}", inode.metadata().ino, bits(mask));
        self.log.lock().unwrap().push(line);
    }
    fn deleted(&self, inode: &Arc<dyn Inode>) {
        let line = format!("{}:DELETED", inode.metadata().ino);
        self.log.lock().unwrap().push(line);
    }
    fn cookie(&self) -> u32 {
        let mut cookie = self.cookie.lock().unwrap();
        *cookie += 1;
        *cookie
    }
    fn unmounted(&self, dev: u64) {
        self.log.lock().unwrap().push(format!("unmounted {dev}"));
    }
}

static RECORDER: Recorder = Recorder {
    log: Mutex::new(Vec::new()),
    cookie: Mutex::new(0),
};

fn take() -> String {
    std::mem::take(&mut *RECORDER.log.lock().unwrap()).join(" ")
}

#[test]
fn namespace_events_in_linux_order() {
    notify::set_notifier(&RECORDER);
    let t = T::new();
    let root = t.stat("/").unwrap().ino;
    t.mkdir("d").unwrap();
    let d = t.stat("d").unwrap().ino;
    t.touch("d/f").unwrap();
    let f = t.stat("d/f").unwrap().ino;
    t.symlink("f", "d/s").unwrap();
    assert_eq!(
        take(),
        format!("{root}:CREATE|ISDIR:d {d}:CREATE:f {d}:CREATE:s")
    );
    // link: the count, then the name; unlink of one of two names: the count, the entry.
    t.link("d/f", "d/g").unwrap();
    t.unlink("d/g").unwrap();
    assert_eq!(
        take(),
        format!("{f}:ATTRIB {d}:CREATE:g {f}:ATTRIB {d}:DELETE:g")
    );
    // The last name: the inode goes before the entry.
    t.unlink("d/f").unwrap();
    assert_eq!(take(), format!("{f}:ATTRIB {f}:DELETED {d}:DELETE:f"));
    // A held name (an open file) reports the inode when its holder lets go.
    t.touch("d/h").unwrap();
    let h = t.stat("d/h").unwrap().ino;
    let open = t.open("d/h", O_RDONLY, 0).unwrap();
    take();
    t.unlink("d/h").unwrap();
    assert_eq!(take(), format!("{h}:ATTRIB {d}:DELETE:h"));
    drop(open);
    assert_eq!(take(), format!("{h}:DELETED"));
    // Rename over a file: both names with one cookie, the victim's count, the moved object,
    // then the victim goes.
    t.touch("a").unwrap();
    t.touch("b").unwrap();
    let a = t.stat("a").unwrap().ino;
    let b = t.stat("b").unwrap().ino;
    take();
    t.rename("a", "d/b2").unwrap();
    t.rename("d/b2", "b").unwrap();
    assert_eq!(
        take(),
        format!(
            "{root}:MOVED_FROM:a#1 {d}:MOVED_TO:b2#1 {a}:MOVE_SELF \
             {d}:MOVED_FROM:b2#2 {root}:MOVED_TO:b#2 {b}:ATTRIB {a}:MOVE_SELF {b}:DELETED"
        )
    );
    // rmdir: the directory goes, then the entry.
    t.unlink("d/s").unwrap();
    take();
    t.rmdir("d").unwrap();
    assert_eq!(take(), format!("{d}:DELETED {root}:DELETE|ISDIR:d"));
    // Failures report nothing.
    assert!(t.unlink("missing").is_err());
    assert!(t.mkdir("b/x").is_err());
    assert_eq!(take(), "");
}
