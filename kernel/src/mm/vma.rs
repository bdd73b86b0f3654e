//! Virtual memory areas: a contiguous range of user addresses with one protection and one
//! backing (anonymous zero-fill, or a file read on fault), as Linux's `vm_area_struct`.

use alloc::sync::Arc;
use hal::mm::frame::Frame;
use vfs::Inode;

/// Access rights of a VMA (`PROT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Protection {
    pub is_readable: bool,
    pub is_writable: bool,
    pub is_executable: bool,
}

impl Protection {
    /// From `PROT_READ | PROT_WRITE | PROT_EXEC` bits.
    pub fn from_prot(prot: abi::ProtFlags) -> Protection {
        Protection {
            is_readable: prot.contains(abi::ProtFlags::PROT_READ),
            is_writable: prot.contains(abi::ProtFlags::PROT_WRITE),
            is_executable: prot.contains(abi::ProtFlags::PROT_EXEC),
        }
    }

    /// Whether anything may be accessed (`PROT_NONE` pages are left unmapped).
    pub fn is_accessible(self) -> bool {
        self.is_readable || self.is_writable || self.is_executable
    }
}

/// Where a VMA's pages come from.
#[derive(Clone)]
pub enum Backing {
    /// Zero-filled on first touch.
    Anonymous,
    /// Shared anonymous memory: page `vaddr` is page `offset_pages + (vaddr - vma.start) / 4096`
    /// Private copy of a file: page `vaddr` holds file bytes from `offset + (vaddr - vma.start)`;
    /// bytes at or after `file_end` (a virtual address) read as zero, which is how the tail of
    /// an ELF segment's last file page becomes the start of `.bss`.
    File {
        inode: Arc<dyn Inode>,
        offset: u64,
        file_end: u64,
        /// Touching a page wholly past the end of the file raises SIGBUS (mmap'd files);
        /// exec's ELF segments instead zero-fill up to the end of the mapping.
        is_sigbus_past_eof: bool,
        /// The file was open for writing, so a shared mapping may be made writable (Linux's
        /// `VM_MAYWRITE`).
        may_write_shared: bool,
        /// The path the file was opened by (`vm_file->f_path`: `/proc/<pid>/maps` shows it,
        /// and it keeps the mount busy).
        path: Option<vfs::Path>,
    },
    /// Page `vaddr` is page `offset_pages + (vaddr - vma.start) / 4096` of a special mapping.
    Special {
        mapping: &'static SpecialMapping,
        offset_pages: u64,
    },
}

/// The size of a mapped file, read without the inode's lock where the file has a page cache
/// (Linux's `i_size_read`): the fault path holds the mm lock, which writers of the file may
/// wait for while holding the inode's lock.
pub fn file_size(inode: &dyn Inode) -> u64 {
    match inode.page_cache() {
        Some(cache) => cache.size(),
        None => inode.metadata().size,
    }
}

/// Pages the kernel provides to every process that maps them, neither file nor anonymous
/// memory (Linux's special mappings, `_install_special_mapping`): the vDSO's code and data
/// page. Mapped privately and read-only; a write to a mapping made writable copies the page.
pub struct SpecialMapping {
    /// The name `/proc/<pid>/maps` shows (`[vdso]`, `[vvar]`).
    pub name: &'static str,
    /// The frames, in order; a page of the mapping past them raises SIGBUS.
    pub pages: alloc::vec::Vec<Frame>,
    /// Whether mprotect may make it writable (`VM_MAYWRITE`).
    pub may_write: bool,
    /// Whether mprotect may make it executable (`VM_MAYEXEC`).
    pub may_execute: bool,
    /// Kernel pages lent by page-frame number (`VM_PFNMAP | VM_IO | VM_DONTDUMP`, the vDSO's
    /// data page): in no resident-set or memory figure.
    pub is_pfn_map: bool,
    /// The vDSO's data pages: a task in a time namespace sees its namespace's page first and
    /// this mapping's first page at `VVAR_TIMENS_DATA_PAGE` ([`crate::mm::AddressSpace`]'s
    /// time-namespace page, Linux's `vvar_fault` with `find_timens_vvar_page`).
    pub follows_time_namespace: bool,
}

impl SpecialMapping {
    /// The frame of page `index`.
    pub fn page(&self, index: u64) -> Option<&Frame> {
        usize::try_from(index)
            .ok()
            .and_then(|index| self.pages.get(index))
    }
}

/// What kind of area, for `/proc/self/maps` and for `brk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaKind {
    Normal,
    Heap,
    Stack,
    /// A System V shared memory attachment (`shmat`; `shmdt` removes it).
    SharedMemory,
    /// A shared anonymous mapping (`MAP_SHARED | MAP_ANONYMOUS`, or `MAP_SHARED` of
    /// `/dev/zero`): a nameless file of the internal tmpfs sized to the mapping, as Linux's
    /// `shmem_zero_setup`; `/proc/<pid>/maps` calls it `/dev/zero (deleted)`.
    SharedAnonymous,
    /// An AIO completion ring (`io_setup`): a nameless shared file, `/[aio] (deleted)` in
    /// `/proc/<pid>/maps`; it cannot grow (`VM_DONTEXPAND`), and moving it moves its context.
    AioRing,
}

bitflags::bitflags! {
    /// What `madvise` and `mlock` recorded on an area (Linux's `VM_DONTCOPY`, `VM_WIPEONFORK`,
    /// `VM_DONTDUMP`, `VM_LOCKED`, `VM_LOCKONFAULT`, `VM_HUGEPAGE`, `VM_NOHUGEPAGE`,
    /// `VM_SEQ_READ`, `VM_RAND_READ`, `VM_GROWSDOWN`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct VmaFlags: u32 {
        /// Not copied into a forked child (`MADV_DONTFORK`).
        const DONT_FORK = 1 << 0;
        /// A forked child gets zero-filled memory here (`MADV_WIPEONFORK`).
        const WIPE_ON_FORK = 1 << 1;
        /// Left out of core dumps (`MADV_DONTDUMP`).
        const DONT_DUMP = 1 << 2;
        /// Pages kept resident (`mlock`).
        const LOCKED = 1 << 3;
        /// Locked as pages are touched, not all at once (`MLOCK_ONFAULT`).
        const LOCK_ON_FAULT = 1 << 4;
        /// `MADV_HUGEPAGE`.
        const HUGEPAGE = 1 << 5;
        /// `MADV_NOHUGEPAGE`.
        const NO_HUGEPAGE = 1 << 6;
        /// `MADV_SEQUENTIAL`.
        const SEQUENTIAL = 1 << 8;
        /// `MADV_RANDOM`.
        const RANDOM = 1 << 9;
        /// Mapped with `MAP_GROWSDOWN`: a fault just below extends it (`VM_GROWSDOWN`).
        const GROWS_DOWN = 1 << 10;
    }
}

/// One mapped area.
#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub protection: Protection,
    pub is_shared: bool,
    pub backing: Backing,
    pub kind: VmaKind,
    pub flags: VmaFlags,
    /// The userfaultfd this area is registered with for missing pages (`vm_userfaultfd_ctx`
    /// with `VM_UFFD_MISSING`): a fault on a page it lacks is handed to that file's reader.
    pub userfault: Option<Arc<crate::fs::userfaultfd::Userfaultfd>>,
}

impl Vma {
    /// Whether `page` lies wholly past the end of the mapped file, where Linux's filemap fault
    /// answers SIGBUS (the file's current size, rounded up to a page, counts).
    pub fn is_past_end_of_file(&self, page: u64) -> bool {
        match &self.backing {
            Backing::File {
                inode,
                offset,
                is_sigbus_past_eof: true,
                ..
            } => {
                let file_offset = offset + (page - self.start);
                let size = file_size(inode.as_ref());
                file_offset >= size.div_ceil(crate::mm::PAGE_SIZE) * crate::mm::PAGE_SIZE
            }
            _ => false,
        }
    }

    /// Whether `next` starts where this VMA ends and can become part of it (Linux's
    /// `is_mergeable_vma` with `can_vma_merge_after`): the same protection and sharing, both
    /// ordinary mappings (not the heap or the stack, which brk and stack growth find by kind),
    /// and anonymous memory — private, or the same shared object at the following offset.
    /// File mappings are not merged yet.
    pub fn can_merge_with(&self, next: &Vma) -> bool {
        if self.end != next.start
            || self.protection != next.protection
            || self.is_shared != next.is_shared
            || self.flags != next.flags
            || self.kind != next.kind
            || !matches!(self.kind, VmaKind::Normal | VmaKind::SharedAnonymous)
            || !same_userfault(&self.userfault, &next.userfault)
        {
            return false;
        }
        match (&self.backing, &next.backing) {
            (Backing::Anonymous, Backing::Anonymous) => true,
            // The two halves of one shared anonymous mapping (Linux merges file areas that
            // continue each other in the same file).
            (
                Backing::File { inode, offset, .. },
                Backing::File {
                    inode: next_inode,
                    offset: next_offset,
                    ..
                },
            ) if self.kind == VmaKind::SharedAnonymous => {
                Arc::ptr_eq(inode, next_inode) && offset + (self.end - self.start) == *next_offset
            }
            _ => false,
        }
    }

    pub fn contains(&self, vaddr: u64) -> bool {
        self.start <= vaddr && vaddr < self.end
    }

    /// The part of this VMA within `[start, end)`, with its file offset adjusted.
    pub fn slice(&self, start: u64, end: u64) -> Vma {
        let mut part = self.clone();
        part.start = start.max(self.start);
        part.end = end.min(self.end);
        match &mut part.backing {
            Backing::File { offset, .. } => *offset += part.start - self.start,
            Backing::Special { offset_pages, .. } => {
                *offset_pages += (part.start - self.start) / crate::mm::PAGE_SIZE;
            }
            Backing::Anonymous => {}
        }
        part
    }
}

/// Whether two areas are registered with the same userfaultfd (or neither is).
fn same_userfault(
    a: &Option<Arc<crate::fs::userfaultfd::Userfaultfd>>,
    b: &Option<Arc<crate::fs::userfaultfd::Userfaultfd>>,
) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}
