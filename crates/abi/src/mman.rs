//! Flags of `mmap`, `mprotect` and `mremap`'s protection argument ([`MapFlags`], [`ProtFlags`]),
//! from `include/uapi/asm-generic/mman-common.h`, `mman.h` and `arch/x86/include/uapi/asm/mman.h`.
//!
//! `mmap` ignores unknown flag bits unless the type is `MAP_SHARED_VALIDATE` (Linux's
//! `LEGACY_MAP_MASK`), and reads the huge-page size from bits 26..32 (`MAP_HUGE_SHIFT`), which are
//! not part of [`MapFlags`]: use `from_bits_retain` and [`MapFlags::huge_page_shift`].

use bitflags::bitflags;
use linux_raw_sys::general as raw;

bitflags! {
    /// `MAP_*` flags. The sharing type (the low four bits) is read with [`MapFlags::map_type`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct MapFlags: u32 {
        /// Share changes.
        const MAP_SHARED = raw::MAP_SHARED;
        /// Copy-on-write private mapping.
        const MAP_PRIVATE = raw::MAP_PRIVATE;
        /// Shared, and fail on unknown flags.
        const MAP_SHARED_VALIDATE = raw::MAP_SHARED_VALIDATE;
        /// Place exactly at the address, replacing existing mappings.
        const MAP_FIXED = raw::MAP_FIXED;
        /// Not backed by a file; zero-filled.
        const MAP_ANONYMOUS = raw::MAP_ANONYMOUS;
        /// Place in the first 2 GiB (x86-64).
        const MAP_32BIT = raw::MAP_32BIT;
        /// A stack that grows down.
        const MAP_GROWSDOWN = raw::MAP_GROWSDOWN;
        /// Ignored.
        const MAP_DENYWRITE = raw::MAP_DENYWRITE;
        /// Ignored.
        const MAP_EXECUTABLE = raw::MAP_EXECUTABLE;
        /// Lock the pages (`mlock`).
        const MAP_LOCKED = raw::MAP_LOCKED;
        /// Do not reserve swap.
        const MAP_NORESERVE = raw::MAP_NORESERVE;
        /// Prefault the pages.
        const MAP_POPULATE = raw::MAP_POPULATE;
        /// With `MAP_POPULATE`, do not block.
        const MAP_NONBLOCK = raw::MAP_NONBLOCK;
        /// A thread stack (no effect but a hint).
        const MAP_STACK = raw::MAP_STACK;
        /// Use huge pages.
        const MAP_HUGETLB = raw::MAP_HUGETLB;
        /// Synchronous page faults for DAX files (needs `MAP_SHARED_VALIDATE`).
        const MAP_SYNC = raw::MAP_SYNC;
        /// Like `MAP_FIXED` but fail with `EEXIST` instead of replacing.
        const MAP_FIXED_NOREPLACE = raw::MAP_FIXED_NOREPLACE;
        /// Do not clear anonymous pages (only with a special kernel configuration).
        const MAP_UNINITIALIZED = raw::MAP_UNINITIALIZED;
    }
}

/// The sharing type of a mapping (`flags & MAP_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapType {
    /// `MAP_SHARED`.
    Shared,
    /// `MAP_PRIVATE`.
    Private,
    /// `MAP_SHARED_VALIDATE`.
    SharedValidate,
}

/// Mask of the sharing-type bits.
pub const MAP_TYPE: u32 = raw::MAP_TYPE;

impl MapFlags {
    /// The flags every mapping accepts (`LEGACY_MAP_MASK` of `include/linux/mman.h`, including
    /// the bits of `MAP_HUGE_2MB` and `MAP_HUGE_1GB`, which [`MapFlags::huge_page_shift`]
    /// reads). `MAP_SHARED` drops other bits; `MAP_SHARED_VALIDATE` answers `EOPNOTSUPP` for
    /// them.
    pub const LEGACY_MAP_MASK: MapFlags = MapFlags::MAP_SHARED
        .union(MapFlags::MAP_PRIVATE)
        .union(MapFlags::MAP_FIXED)
        .union(MapFlags::MAP_ANONYMOUS)
        .union(MapFlags::MAP_DENYWRITE)
        .union(MapFlags::MAP_EXECUTABLE)
        .union(MapFlags::MAP_UNINITIALIZED)
        .union(MapFlags::MAP_GROWSDOWN)
        .union(MapFlags::MAP_LOCKED)
        .union(MapFlags::MAP_NORESERVE)
        .union(MapFlags::MAP_POPULATE)
        .union(MapFlags::MAP_NONBLOCK)
        .union(MapFlags::MAP_STACK)
        .union(MapFlags::MAP_HUGETLB)
        .union(MapFlags::MAP_32BIT)
        .union(MapFlags::from_bits_retain(
            raw::MAP_HUGE_2MB | raw::MAP_HUGE_1GB,
        ));

    /// The sharing type, or `None` for a value Linux rejects with `EINVAL`.
    pub const fn map_type(self) -> Option<MapType> {
        match self.bits() & MAP_TYPE {
            raw::MAP_SHARED => Some(MapType::Shared),
            raw::MAP_PRIVATE => Some(MapType::Private),
            raw::MAP_SHARED_VALIDATE => Some(MapType::SharedValidate),
            _ => None,
        }
    }

    /// The huge-page size as a power of two (`(flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK`), 0 for
    /// the default size.
    pub const fn huge_page_shift(self) -> u32 {
        (self.bits() >> raw::MAP_HUGE_SHIFT) & raw::MAP_HUGE_MASK
    }
}

bitflags! {
    /// `PROT_*` flags (`PROT_NONE` is the empty set).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct ProtFlags: u32 {
        /// Readable.
        const PROT_READ = raw::PROT_READ;
        /// Writable.
        const PROT_WRITE = raw::PROT_WRITE;
        /// Executable.
        const PROT_EXEC = raw::PROT_EXEC;
        /// Usable for atomic operations (ignored on x86-64).
        const PROT_SEM = raw::PROT_SEM;
        /// `mprotect`: extend down to the start of a grows-down mapping.
        const PROT_GROWSDOWN = raw::PROT_GROWSDOWN;
        /// `mprotect`: extend up to the end of a grows-up mapping.
        const PROT_GROWSUP = raw::PROT_GROWSUP;
    }
}

impl ProtFlags {
    /// The access bits (`PROT_READ | PROT_WRITE | PROT_EXEC`).
    pub const ACCESS: ProtFlags = ProtFlags::PROT_READ
        .union(ProtFlags::PROT_WRITE)
        .union(ProtFlags::PROT_EXEC);
    /// What `mprotect` accepts (`arch_validate_prot`'s `PROT_READ | PROT_WRITE | PROT_EXEC |
    /// PROT_SEM`, plus the two grow flags); other bits are `EINVAL`.
    pub const MPROTECT_VALID: ProtFlags = ProtFlags::all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux_x86_64() {
        assert_eq!(MapFlags::MAP_ANONYMOUS.bits(), 0x20);
        assert_eq!(MapFlags::MAP_FIXED.bits(), 0x10);
        assert_eq!(MapFlags::MAP_32BIT.bits(), 0x40);
        assert_eq!(MapFlags::MAP_FIXED_NOREPLACE.bits(), 0x100000);
        assert_eq!(ProtFlags::PROT_EXEC.bits(), 4);
        assert_eq!(ProtFlags::empty().bits(), raw::PROT_NONE);
    }

    #[test]
    fn masks_match_linux() {
        let legacy = raw::MAP_SHARED
            | raw::MAP_PRIVATE
            | raw::MAP_FIXED
            | raw::MAP_ANONYMOUS
            | raw::MAP_DENYWRITE
            | raw::MAP_EXECUTABLE
            | raw::MAP_UNINITIALIZED
            | raw::MAP_GROWSDOWN
            | raw::MAP_LOCKED
            | raw::MAP_NORESERVE
            | raw::MAP_POPULATE
            | raw::MAP_NONBLOCK
            | raw::MAP_STACK
            | raw::MAP_HUGETLB
            | raw::MAP_32BIT
            | raw::MAP_HUGE_2MB
            | raw::MAP_HUGE_1GB;
        assert_eq!(MapFlags::LEGACY_MAP_MASK.bits(), legacy);
        assert!(!MapFlags::LEGACY_MAP_MASK.contains(MapFlags::MAP_FIXED_NOREPLACE));
        assert!(!MapFlags::LEGACY_MAP_MASK.contains(MapFlags::MAP_SYNC));
        assert_eq!(ProtFlags::ACCESS.bits(), 7);
        assert_eq!(
            ProtFlags::MPROTECT_VALID.bits(),
            raw::PROT_READ
                | raw::PROT_WRITE
                | raw::PROT_EXEC
                | raw::PROT_SEM
                | raw::PROT_GROWSDOWN
                | raw::PROT_GROWSUP
        );
    }

    #[test]
    fn map_types() {
        assert_eq!(
            (MapFlags::MAP_PRIVATE | MapFlags::MAP_ANONYMOUS).map_type(),
            Some(MapType::Private)
        );
        assert_eq!(MapFlags::MAP_SHARED.map_type(), Some(MapType::Shared));
        assert_eq!(
            MapFlags::MAP_SHARED_VALIDATE.map_type(),
            Some(MapType::SharedValidate)
        );
        assert_eq!(MapFlags::empty().map_type(), None);
        assert_eq!(MapFlags::from_bits_retain(4).map_type(), None);
    }

    #[test]
    fn huge_page_size_bits() {
        let flags = MapFlags::from_bits_retain(raw::MAP_HUGE_2MB | raw::MAP_HUGETLB);
        assert_eq!(flags.huge_page_shift(), 21);
        assert_eq!(MapFlags::MAP_HUGETLB.huge_page_shift(), 0);
    }
}

bitflags! {
    /// `mremap` flags (`include/uapi/linux/mman.h`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct MremapFlags: u32 {
        /// The mapping may move to a new address.
        const MREMAP_MAYMOVE = raw::MREMAP_MAYMOVE;
        /// Move to exactly `new_address` (needs `MREMAP_MAYMOVE`).
        const MREMAP_FIXED = raw::MREMAP_FIXED;
        /// Move the pages but leave the old range mapped, empty (needs `MREMAP_MAYMOVE`).
        const MREMAP_DONTUNMAP = raw::MREMAP_DONTUNMAP;
    }
}

/// `madvise` advice values Linux 6.1 accepts (`madvise_behavior_valid` of `mm/madvise.c`, for a
/// kernel without memory-failure injection: `MADV_HWPOISON` and `MADV_SOFT_OFFLINE` are not
/// valid advice there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Advice {
    /// `MADV_NORMAL`.
    Normal,
    /// `MADV_RANDOM`.
    Random,
    /// `MADV_SEQUENTIAL`.
    Sequential,
    /// `MADV_WILLNEED`.
    WillNeed,
    /// `MADV_DONTNEED`.
    DontNeed,
    /// `MADV_FREE`.
    Free,
    /// `MADV_REMOVE`.
    Remove,
    /// `MADV_DONTFORK`.
    DontFork,
    /// `MADV_DOFORK`.
    DoFork,
    /// `MADV_MERGEABLE`.
    Mergeable,
    /// `MADV_UNMERGEABLE`.
    Unmergeable,
    /// `MADV_HUGEPAGE`.
    HugePage,
    /// `MADV_NOHUGEPAGE`.
    NoHugePage,
    /// `MADV_DONTDUMP`.
    DontDump,
    /// `MADV_DODUMP`.
    DoDump,
    /// `MADV_WIPEONFORK`.
    WipeOnFork,
    /// `MADV_KEEPONFORK`.
    KeepOnFork,
    /// `MADV_COLD`.
    Cold,
    /// `MADV_PAGEOUT`.
    PageOut,
    /// `MADV_POPULATE_READ`.
    PopulateRead,
    /// `MADV_POPULATE_WRITE`.
    PopulateWrite,
    /// `MADV_DONTNEED_LOCKED`.
    DontNeedLocked,
    /// `MADV_COLLAPSE`.
    Collapse,
}

impl Advice {
    /// The advice `value` names, or `None` (`EINVAL`).
    pub fn from_raw(value: i32) -> Option<Advice> {
        let value = u32::try_from(value).ok()?;
        Some(match value {
            raw::MADV_NORMAL => Advice::Normal,
            raw::MADV_RANDOM => Advice::Random,
            raw::MADV_SEQUENTIAL => Advice::Sequential,
            raw::MADV_WILLNEED => Advice::WillNeed,
            raw::MADV_DONTNEED => Advice::DontNeed,
            raw::MADV_FREE => Advice::Free,
            raw::MADV_REMOVE => Advice::Remove,
            raw::MADV_DONTFORK => Advice::DontFork,
            raw::MADV_DOFORK => Advice::DoFork,
            raw::MADV_MERGEABLE => Advice::Mergeable,
            raw::MADV_UNMERGEABLE => Advice::Unmergeable,
            raw::MADV_HUGEPAGE => Advice::HugePage,
            raw::MADV_NOHUGEPAGE => Advice::NoHugePage,
            raw::MADV_DONTDUMP => Advice::DontDump,
            raw::MADV_DODUMP => Advice::DoDump,
            raw::MADV_WIPEONFORK => Advice::WipeOnFork,
            raw::MADV_KEEPONFORK => Advice::KeepOnFork,
            raw::MADV_COLD => Advice::Cold,
            raw::MADV_PAGEOUT => Advice::PageOut,
            raw::MADV_POPULATE_READ => Advice::PopulateRead,
            raw::MADV_POPULATE_WRITE => Advice::PopulateWrite,
            raw::MADV_DONTNEED_LOCKED => Advice::DontNeedLocked,
            raw::MADV_COLLAPSE => Advice::Collapse,
            _ => return None,
        })
    }
}
