//! tmpfs fallocate (mm/shmem.c `shmem_fallocate`): allocation with and without growing the
//! size, hole punching, the size= limit and giving back what a failed call added.

mod common;

use std::sync::Arc;

use abi::Errno;
use common::*;
use vfs::tmpfs::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE};
use vfs::{FileSystem, Inode, TmpfsOptions};

const PAGE: u64 = 4096;

fn file(t: &T, p: &str) -> Arc<dyn Inode> {
    t.touch(p).unwrap();
    t.resolve(p, vfs::Lookup::FOLLOW).unwrap().inode().clone()
}

fn read(f: &Arc<dyn Inode>, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xeeu8; len];
    let n = f.read_at(offset, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn allocation_grows_the_size_unless_keep_size() {
    let t = T::new();
    let f = file(&t, "f");
    f.fallocate(0, 100, 2 * PAGE).unwrap();
    let st = f.metadata();
    assert_eq!(st.size, 100 + 2 * PAGE);
    // Pages 0, 1 and 2 are allocated (the range starts inside page 0).
    assert_eq!(st.blocks, 3 * 8);
    assert_eq!(read(&f, 0, 10), vec![0; 10]);
    // KEEP_SIZE past the end: blocks grow, the size does not.
    f.fallocate(FALLOC_FL_KEEP_SIZE, 10 * PAGE, PAGE).unwrap();
    let st = f.metadata();
    assert_eq!(st.size, 100 + 2 * PAGE);
    assert_eq!(st.blocks, 4 * 8);
    // Allocating over data keeps it and does not shrink the file.
    f.write_at(0, b"hello").unwrap();
    f.fallocate(0, 0, 10).unwrap();
    assert_eq!(read(&f, 0, 5), b"hello");
    assert_eq!(f.metadata().size, 100 + 2 * PAGE);
    // Growing over the KEEP_SIZE page reads zeros there.
    f.fallocate(0, 0, 11 * PAGE).unwrap();
    assert_eq!(f.metadata().size, 11 * PAGE);
    assert_eq!(read(&f, 10 * PAGE, 4), vec![0; 4]);
}

#[test]
fn punch_hole_zeroes_edges_and_drops_whole_pages() {
    let t = T::new();
    let f = file(&t, "f");
    f.write_at(0, &vec![b'x'; 4 * PAGE as usize]).unwrap();
    assert_eq!(f.metadata().blocks, 4 * 8);
    // From the middle of page 0 to the middle of page 3: pages 1 and 2 go.
    let mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    f.fallocate(mode, PAGE / 2, 3 * PAGE).unwrap();
    let st = f.metadata();
    assert_eq!(st.size, 4 * PAGE);
    assert_eq!(st.blocks, 2 * 8);
    let data = read(&f, 0, 4 * PAGE as usize);
    let half = PAGE as usize / 2;
    assert!(data[..half].iter().all(|&b| b == b'x'));
    assert!(data[half..3 * PAGE as usize + half].iter().all(|&b| b == 0));
    assert!(data[3 * PAGE as usize + half..].iter().all(|&b| b == b'x'));
    // Within one page.
    f.write_at(0, b"abcdef").unwrap();
    f.fallocate(mode, 1, 2).unwrap();
    assert_eq!(read(&f, 0, 6), b"a\0\0def");
    // Past the end: nothing to do, the size stays.
    f.fallocate(mode, 100 * PAGE, PAGE).unwrap();
    assert_eq!(f.metadata().size, 4 * PAGE);
}

#[test]
fn other_modes_are_eopnotsupp() {
    let t = T::new();
    let f = file(&t, "f");
    for mode in [0x04, 0x08, 0x10, 0x20, 0x40, 0x100] {
        assert_eq!(f.fallocate(mode, 0, 1), Err(Errno::EOPNOTSUPP), "{mode:#x}");
    }
    t.mkdir("d").unwrap();
    let d = t.resolve("d", vfs::Lookup::FOLLOW).unwrap().inode().clone();
    assert_eq!(d.fallocate(0, 0, 1), Err(Errno::EOPNOTSUPP));
}

#[test]
fn size_limit_is_enospc_and_gives_back_what_it_added() {
    let t = T::with_options(TmpfsOptions {
        max_bytes: Some(4 * PAGE),
        ..Default::default()
    });
    let f = file(&t, "f");
    // More than the whole instance: refused before any allocation.
    assert_eq!(f.fallocate(0, 0, 5 * PAGE), Err(Errno::ENOSPC));
    assert_eq!(t.fs.statfs().blocks_free, 4);
    // Two pages of data, then a request for pages 1..5: page 4 does not fit.
    f.write_at(0, &vec![7u8; 2 * PAGE as usize]).unwrap();
    assert_eq!(f.fallocate(0, PAGE, 4 * PAGE), Err(Errno::ENOSPC));
    // Pages 2 and 3 that the call added are given back; the data stays.
    assert_eq!(t.fs.statfs().blocks_free, 2);
    assert_eq!(f.metadata().size, 2 * PAGE);
    assert_eq!(f.metadata().blocks, 2 * 8);
    assert_eq!(read(&f, PAGE, 4), vec![7; 4]);
    // What fits succeeds.
    f.fallocate(0, 0, 4 * PAGE).unwrap();
    assert_eq!(t.fs.statfs().blocks_free, 0);
    assert_eq!(f.write_at(4 * PAGE, b"x"), Err(Errno::ENOSPC));
    // Punching gives space back.
    f.fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4 * PAGE)
        .unwrap();
    assert_eq!(t.fs.statfs().blocks_free, 4);
    assert_eq!(f.metadata().size, 4 * PAGE);
}

#[test]
fn truncate_drops_pages_kept_past_the_end() {
    let t = T::new();
    let f = file(&t, "f");
    f.write_at(0, b"abc").unwrap();
    f.fallocate(FALLOC_FL_KEEP_SIZE, 0, 3 * PAGE).unwrap();
    assert_eq!(f.metadata().blocks, 3 * 8);
    // Even to the same size.
    f.truncate(3).unwrap();
    assert_eq!(f.metadata().blocks, 8);
    assert_eq!(read(&f, 0, 3), b"abc");
}
