//! tmpfs regular files (Linux's `shmem_file_read_iter`, `shmem_write_begin`/`end`,
//! `shmem_setattr` for truncation): page-sized chunks in a B-tree keyed by page index, allocated
//! only where data is written, so holes read as zeros and cost nothing. Each new page is
//! reserved against the instance's `size=` limit first; a write that runs out stops short, or
//! fails with `ENOSPC` (`ENOMEM` when the page buffer cannot be allocated) when nothing was
//! written. Files end at `MAX_LFS_FILESIZE` (`EFBIG`).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::Errno;

use super::inode::{Body, TmpfsInode};
use super::{MAX_FILE_SIZE, PAGE_SIZE};

/// A regular file's contents.
pub(super) struct FileData {
    pub(super) size: u64,
    pub(super) pages: BTreeMap<u64, Vec<u8>>,
}

impl TmpfsInode {
    pub(super) fn read_file(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let st = self.state.read();
        let Body::File(f) = &st.body else {
            return Err(Errno::EINVAL);
        };
        if offset >= f.size || buf.is_empty() {
            return Ok(0);
        }
        let len = core::cmp::min(buf.len() as u64, f.size - offset) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let n = core::cmp::min(PAGE_SIZE - in_page, len - done);
            let dst = &mut buf[done..done + n];
            match f.pages.get(&index) {
                Some(page) => dst.copy_from_slice(&page[in_page..in_page + n]),
                None => dst.fill(0),
            }
            done += n;
        }
        Ok(len)
    }

    pub(super) fn write_file(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let len = core::cmp::min(data.len() as u64, MAX_FILE_SIZE - offset) as usize;
        let now = self.now();
        let mut st = self.state.write();
        let Body::File(f) = &mut st.body else {
            return Err(Errno::EINVAL);
        };
        let mut done = 0;
        let mut err = None;
        while done < len {
            let pos = offset + done as u64;
            let index = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let n = core::cmp::min(PAGE_SIZE - in_page, len - done);
            if let alloc::collections::btree_map::Entry::Vacant(slot) = f.pages.entry(index) {
                if let Err(e) = self.fs.reserve_pages(1) {
                    err = Some(e);
                    break;
                }
                let mut page = Vec::new();
                if page.try_reserve_exact(PAGE_SIZE).is_err() {
                    self.fs.release_pages(1);
                    err = Some(Errno::ENOMEM);
                    break;
                }
                page.resize(PAGE_SIZE, 0);
                slot.insert(page);
            }
            if let Some(page) = f.pages.get_mut(&index) {
                page[in_page..in_page + n].copy_from_slice(&data[done..done + n]);
            }
            done += n;
        }
        if done == 0 {
            return Err(err.unwrap_or(Errno::ENOSPC));
        }
        let end = offset + done as u64;
        if end > f.size {
            f.size = end;
        }
        st.size = f.size;
        st.touch_mc(now);
        Ok(done)
    }

    pub(super) fn truncate_file(&self, len: u64) -> Result<(), Errno> {
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let now = self.now();
        let mut st = self.state.write();
        let Body::File(f) = &mut st.body else {
            return Err(Errno::EINVAL);
        };
        if len == f.size {
            return Ok(());
        }
        if len < f.size {
            let first_gone = len.div_ceil(PAGE_SIZE as u64);
            let gone = f.pages.split_off(&first_gone);
            self.fs.release_pages(gone.len() as u64);
            let in_page = (len % PAGE_SIZE as u64) as usize;
            if in_page != 0
                && let Some(page) = f.pages.get_mut(&(len / PAGE_SIZE as u64))
            {
                page[in_page..].fill(0);
            }
        }
        f.size = len;
        st.size = len;
        st.touch_mc(now);
        Ok(())
    }
}
