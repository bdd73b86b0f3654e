//! The page-frame handles file data lives in, chosen by target as [`crate::sync`] chooses locks.
//!
//! In the kernel they are hal's typed handles (`hal::mm::frame`): a [`UniqueFrame`] that only
//! its owner sees (filled through `&mut [u8]` before it is published), and a shared [`Frame`]
//! whose contents are reached only by copies. On the host (`cargo test`) they are stand-ins with
//! the same methods over heap pages, so the page cache and tmpfs run the same code in both
//! builds. Page-cache flags ([`PageFlag`]) live in hal's frame metadata in the kernel and in the
//! stand-in on the host.

#[cfg(target_os = "none")]
pub use hal::mm::frame::{Frame, FrameId, UniqueFrame};
#[cfg(target_os = "none")]
pub use hal::mm::meta::PageFlag;
#[cfg(target_os = "none")]
pub use hal::mm::vmstat::PageKind;

#[cfg(not(target_os = "none"))]
pub use host::{Frame, FrameId, PageFlag, PageKind, UniqueFrame};

/// Stand-ins with hal's API (documented in `hal::mm::frame`).
#[cfg(not(target_os = "none"))]
#[allow(missing_docs)]
mod host {
    use super::super::tmpfs::PAGE_SIZE;
    use abi::Errno;
    use alloc::boxed::Box;
    use alloc::sync::Arc;
    use core::sync::atomic::{AtomicU32, Ordering};

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum PageFlag {
        Uptodate,
        Dirty,
        Locked,
        Writeback,
        Delalloc,
    }

    impl PageFlag {
        fn bit(self) -> u32 {
            1 << self as u32
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub struct FrameId(usize);

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum PageKind {
        Anonymous,
        File,
        Kernel,
    }

    struct HostPage {
        bytes: spin::Mutex<Box<[u8; PAGE_SIZE]>>,
        flags: AtomicU32,
    }

    #[derive(Debug)]
    pub struct UniqueFrame(Box<[u8; PAGE_SIZE]>);

    impl UniqueFrame {
        pub fn try_new_zeroed() -> Result<UniqueFrame, Errno> {
            Ok(UniqueFrame(Box::new([0; PAGE_SIZE])))
        }

        pub fn bytes(&self) -> &[u8] {
            &self.0[..]
        }

        pub fn bytes_mut(&mut self) -> &mut [u8] {
            &mut self.0[..]
        }

        pub fn set_kind(&mut self, _kind: PageKind) {}

        pub fn into_shared(self) -> Frame {
            Frame(Arc::new(HostPage {
                bytes: spin::Mutex::new(self.0),
                flags: AtomicU32::new(0),
            }))
        }
    }

    #[derive(Clone)]
    pub struct Frame(Arc<HostPage>);

    impl core::fmt::Debug for Frame {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_tuple("Frame").field(&self.id()).finish()
        }
    }

    impl Frame {
        pub fn id(&self) -> FrameId {
            FrameId(Arc::as_ptr(&self.0) as usize)
        }

        pub fn ref_count(&self) -> u32 {
            Arc::strong_count(&self.0) as u32
        }

        pub fn has_flag(&self, flag: PageFlag) -> bool {
            self.0.flags.load(Ordering::Acquire) & flag.bit() != 0
        }

        pub fn set_flag(&self, flag: PageFlag) -> bool {
            self.0.flags.fetch_or(flag.bit(), Ordering::AcqRel) & flag.bit() != 0
        }

        pub fn clear_flag(&self, flag: PageFlag) -> bool {
            self.0.flags.fetch_and(!flag.bit(), Ordering::AcqRel) & flag.bit() != 0
        }

        pub fn try_clone_contents(&self) -> Result<UniqueFrame, Errno> {
            Ok(UniqueFrame(self.0.bytes.lock().clone()))
        }

        pub fn read(&self, offset: usize, buf: &mut [u8]) {
            buf.copy_from_slice(&self.0.bytes.lock()[offset..offset + buf.len()]);
        }

        pub fn write(&self, offset: usize, data: &[u8]) {
            self.0.bytes.lock()[offset..offset + data.len()].copy_from_slice(data);
        }

        pub fn zero(&self, offset: usize, len: usize) {
            self.0.bytes.lock()[offset..offset + len].fill(0);
        }
    }
}
