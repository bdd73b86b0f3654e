extern crate std;

use super::*;
use alloc::vec;

fn ev(wd: i32, mask: u32, name: &[u8]) -> Event {
    Event::try_new(wd, mask, 0, name).unwrap()
}

fn header(buf: &[u8]) -> (i32, u32, u32, u32) {
    let word = |i: usize| u32::from_ne_bytes(buf[i..i + 4].try_into().unwrap());
    (word(0) as i32, word(4), word(8), word(12))
}

#[test]
fn record_sizes_pad_names_to_16() {
    assert_eq!(padded_name_len(0), 0);
    assert_eq!(padded_name_len(1), 16);
    assert_eq!(padded_name_len(15), 16);
    assert_eq!(padded_name_len(16), 32);
    assert_eq!(ev(1, IN_CREATE, b"abc").record_len(), 32);
    assert_eq!(ev(1, IN_MODIFY, b"").record_len(), 16);
}

#[test]
fn read_whole_records() {
    let mut q = Queue::new();
    assert_eq!(q.push(ev(1, IN_CREATE, b"file"), 10), Pushed::Queued);
    assert_eq!(q.push(ev(2, IN_MODIFY, b""), 10), Pushed::Queued);
    assert_eq!(q.bytes(), 48);
    let mut buf = [0xffu8; 64];
    // The first record does not fit: EINVAL, nothing taken.
    assert_eq!(q.read(&mut buf[..31]), Err(Errno::EINVAL));
    assert_eq!(q.len(), 2);
    // One fits, the second does not: one.
    assert_eq!(q.read(&mut buf[..40]), Ok(32));
    assert_eq!(header(&buf), (1, IN_CREATE, 0, 16));
    assert_eq!(&buf[16..32], b"file\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(q.bytes(), 16);
    assert_eq!(q.read(&mut buf), Ok(16));
    assert_eq!(header(&buf), (2, IN_MODIFY, 0, 0));
    assert_eq!(q.read(&mut buf), Ok(0));
    assert!(q.is_empty());
}

#[test]
fn identical_consecutive_events_merge() {
    let mut q = Queue::new();
    assert_eq!(q.push(ev(1, IN_MODIFY, b"a"), 10), Pushed::Queued);
    assert_eq!(q.push(ev(1, IN_MODIFY, b"a"), 10), Pushed::Merged);
    assert_eq!(q.push(ev(1, IN_MODIFY, b"b"), 10), Pushed::Queued);
    assert_eq!(q.push(ev(1, IN_MODIFY, b"a"), 10), Pushed::Queued);
    let mut cookie = ev(1, IN_MOVED_FROM, b"a");
    cookie.cookie = 5;
    assert_eq!(q.push(cookie.clone(), 10), Pushed::Queued);
    cookie.cookie = 6;
    assert_eq!(q.push(cookie, 10), Pushed::Queued);
    assert_eq!(q.len(), 5);
}

#[test]
fn overflow_once_until_read() {
    let mut q = Queue::new();
    for i in 0..3 {
        assert_eq!(q.push(ev(1, IN_ACCESS, &[b'a' + i]), 3), Pushed::Queued);
    }
    assert_eq!(q.push(ev(1, IN_ACCESS, b"x"), 3), Pushed::Overflowed);
    assert_eq!(q.push(ev(1, IN_ACCESS, b"y"), 3), Pushed::Dropped);
    assert_eq!(q.len(), 4);
    let mut buf = [0u8; 32];
    assert_eq!(q.read(&mut buf), Ok(32));
    // Room again, but the overflow event is still queued: new events go after it.
    assert_eq!(q.push(ev(1, IN_ACCESS, b"z"), 3), Pushed::Dropped);
    assert_eq!(q.read(&mut buf), Ok(32));
    assert_eq!(q.push(ev(1, IN_ACCESS, b"z"), 3), Pushed::Queued);
    let mut all = [0u8; 256];
    assert_eq!(q.read(&mut all), Ok(32 + 16 + 32));
    assert_eq!(header(&all[32..]), (-1, IN_Q_OVERFLOW, 0, 0));
    assert_eq!(q.push(ev(1, IN_ACCESS, b"q"), 0), Pushed::Overflowed);
}

#[test]
fn watch_descriptors_are_cyclic() {
    let mut w: Watches<u32, ()> = Watches::new();
    let ok = || Ok(());
    assert_eq!(w.add(10, IN_MODIFY, ok, || ()), Ok(Added::New(1)));
    assert_eq!(w.add(20, IN_MODIFY, ok, || ()), Ok(Added::New(2)));
    assert!(w.remove(1).is_some());
    // Not reused at once.
    assert_eq!(w.add(30, IN_MODIFY, ok, || ()), Ok(Added::New(3)));
    assert_eq!(w.add(10, IN_MODIFY, ok, || ()), Ok(Added::New(4)));
    // Wrapping past the largest descriptor finds the lowest free one.
    w.last_wd = i32::MAX;
    assert_eq!(w.add(40, IN_MODIFY, ok, || ()), Ok(Added::New(1)));
    assert_eq!(w.add(50, IN_MODIFY, ok, || ()), Ok(Added::New(5)));
}

#[test]
fn updating_a_watch() {
    let mut w: Watches<u32, ()> = Watches::new();
    let ok = || Ok(());
    assert_eq!(
        w.add(10, IN_MODIFY | IN_ONLYDIR, ok, || ()),
        Ok(Added::New(1))
    );
    assert_eq!(w.get(1).unwrap().mask, IN_MODIFY);
    assert_eq!(
        w.add(10, IN_ATTRIB | IN_ONESHOT, ok, || ()),
        Ok(Added::Updated(1))
    );
    assert_eq!(w.get(1).unwrap().mask, IN_ATTRIB | IN_ONESHOT);
    assert_eq!(
        w.add(10, IN_CREATE | IN_MASK_ADD, ok, || ()),
        Ok(Added::Updated(1))
    );
    assert_eq!(w.get(1).unwrap().mask, IN_ATTRIB | IN_ONESHOT | IN_CREATE);
    assert_eq!(
        w.add(10, IN_CREATE | IN_MASK_CREATE, ok, || ()),
        Err(Errno::EEXIST)
    );
    // The charge is asked only for a new watch.
    assert_eq!(
        w.add(11, IN_CREATE, || Err(Errno::ENOSPC), || ()),
        Err(Errno::ENOSPC)
    );
    assert_eq!(
        w.add(10, IN_CREATE, || Err(Errno::ENOSPC), || ()),
        Ok(Added::Updated(1))
    );
    // The refused watch used up descriptor 2.
    assert_eq!(w.add(11, IN_CREATE, ok, || ()), Ok(Added::New(3)));
    assert!(w.remove(3).is_some());
    assert_eq!(w.find(&10).unwrap().wd, 1);
    assert_eq!(w.len(), 1);
    let all = w.take_all();
    assert_eq!(all.len(), 1);
    assert!(w.find(&10).is_none());
}

#[test]
fn delivery_rules() {
    assert_eq!(deliver(IN_MODIFY, IN_MODIFY), Some(false));
    assert_eq!(deliver(IN_MODIFY, IN_ACCESS), None);
    assert_eq!(
        deliver(IN_MODIFY | IN_ONESHOT, IN_MODIFY | IN_ISDIR),
        Some(true)
    );
    assert_eq!(deliver(IN_MODIFY, IN_UNMOUNT), Some(false));
    assert_eq!(deliver(0, IN_DELETE_SELF), None);
    assert_eq!(reported_mask(IN_DELETE_SELF | IN_ISDIR), IN_DELETE_SELF);
    assert_eq!(reported_mask(IN_MOVE_SELF | IN_ISDIR), IN_MOVE_SELF);
    assert_eq!(reported_mask(IN_ATTRIB | IN_ISDIR), IN_ATTRIB | IN_ISDIR);
    let _ = vec![0u8];
}
