//! Access to another process's memory: a debugger's (Linux's `access_remote_vm` with
//! `FOLL_FORCE`, behind PTRACE_PEEK*/POKE* and `/proc/<pid>/mem`) and
//! `process_vm_readv`/`writev`'s (no force: the mapping's own rights apply).
//!
//! Reads fault pages in as the process would. Forced writes follow `FOLL_FORCE`: a writable mapping
//! is written as by the process (copy-on-write broken first); a private mapping without write
//! permission (program text, read-only data) gets a private copy of the page, mapped with the
//! same read-only rights, and the copy is written: the file's page cache is never written. A
//! shared mapping without write permission, an inaccessible (`PROT_NONE`) mapping or a hole
//! ends the access there.

use super::{Access, AddressSpace};
use crate::mm::vma::Backing;
use crate::mm::{PAGE_SIZE, page_align_down};

impl AddressSpace {
    /// Copies between `buffer` and this space at `address` (into the space when `is_write`),
    /// as a debugger may; returns how many bytes were copied before the first page that could
    /// not be reached.
    pub fn access_forced(&self, address: u64, buffer: &mut [u8], is_write: bool) -> usize {
        self.access_remote(address, buffer, is_write, true)
    }

    /// As [`AddressSpace::access_forced`]; without `force`, a write needs a writable mapping.
    pub fn access_remote(
        &self,
        address: u64,
        buffer: &mut [u8],
        is_write: bool,
        force: bool,
    ) -> usize {
        let mut done = 0usize;
        while done < buffer.len() {
            let cursor = address.wrapping_add(done as u64);
            if cursor < address {
                break;
            }
            let page = page_align_down(cursor);
            let offset = (cursor - page) as usize;
            let chunk = (PAGE_SIZE as usize - offset).min(buffer.len() - done);
            let Some(frame) = self.remote_page(page, is_write, force) else {
                break;
            };
            if is_write {
                frame.write(offset, &buffer[done..done + chunk]);
            } else {
                frame.read(offset, &mut buffer[done..done + chunk]);
            }
            done += chunk;
        }
        done
    }

    /// The frame at `page`, made present (and private, for a write).
    fn remote_page(&self, page: u64, is_write: bool, force: bool) -> Option<hal::mm::frame::Frame> {
        let vma = self.find_vma(page)?;
        if !vma.protection.is_accessible() {
            return None;
        }
        let is_writable = vma.protection.is_writable;
        if is_write && !is_writable && !force {
            return None;
        }
        if is_write && !is_writable && vma.is_shared {
            return None;
        }
        if matches!(vma.backing, Backing::Special { .. }) && is_write && vma.is_shared {
            return None;
        }
        let access = Access {
            is_write: is_write && is_writable,
            is_execute: false,
        };
        let present = self.page_table.lock().flags_at(page);
        let needs_fault = match present {
            None => true,
            Some(flags) => access.is_write && !flags.is_writable,
        };
        if needs_fault {
            self.handle_fault(page, access).ok()?;
        }
        if is_write && !is_writable {
            // FOLL_FORCE on a private read-only page: write a private copy.
            let mut page_table = self.page_table.lock();
            let flags = page_table.flags_at(page)?;
            page_table.break_cow(page, flags).ok()?;
        }
        let (frame, _) = self.page_table.lock().query(page)?;
        Some(frame)
    }
}
