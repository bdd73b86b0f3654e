//! The vDSO (Linux's `arch/x86/entry/vdso/vma.c`): the user-mode image `kernel/build.rs`
//! builds from `vdso/` — C code outside the kernel's trust boundary: the kernel only maps its
//! bytes — and the data page it reads ([`data`]).
//!
//! At boot the image is copied into frames once. Every exec maps `[vvar]` (4 pages, read-only:
//! the data page, then three unbacked pages where Linux has its pvclock, Hyper-V and
//! time-namespace pages; touching those raises SIGBUS) and right above it `[vdso]` (the image,
//! read and execute), at a random page above the stack in its 2 MiB region, or in the mmap area
//! when that range is taken ([`elfload::layout::vdso_hint`]); the program gets the vDSO's
//! address as `AT_SYSINFO_EHDR`. Both are private special mappings
//! ([`crate::mm::vma::SpecialMapping`]): fork copies them, munmap and mremap treat them as any
//! mapping (the kernel keeps no pointer to them), and mprotect may make `[vdso]` writable (a
//! write then copies the page, as debuggers' breakpoints need) but not `[vvar]`.

pub mod data;

use crate::mm::address_space::MMAP_MIN_ADDR;
use crate::mm::vma::{SpecialMapping, VmaFlags, VmaKind};
use crate::mm::{AddressSpace, Backing, PAGE_SIZE, Protection, Vma};
use abi::Errno;
use alloc::vec::Vec;
use elfload::layout;
use hal::mm::frame::UniqueFrame;
use hal::mm::vmstat::PageKind;

/// The image `kernel/build.rs` linked.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

/// The pages every process maps.
struct Vdso {
    vvar: SpecialMapping,
    text: SpecialMapping,
}

static VDSO: spin::Once<Vdso> = spin::Once::new();

/// Copies the image into frames and fills the data page. Without memory for them, programs run
/// without a vDSO (their C libraries then make the system calls), as with Linux's `vdso=0`.
pub fn init() {
    match build() {
        Ok(vdso) => {
            VDSO.call_once(|| vdso);
        }
        Err(error) => log::error!("vDSO: no memory for its pages ({error:?}); running without"),
    }
}

fn build() -> Result<Vdso, Errno> {
    let mut pages = Vec::new();
    pages
        .try_reserve_exact(IMAGE.len().div_ceil(PAGE_SIZE as usize))
        .map_err(|_| Errno::ENOMEM)?;
    for chunk in IMAGE.chunks(PAGE_SIZE as usize) {
        let mut frame = UniqueFrame::try_new_zeroed()?;
        frame.bytes_mut()[..chunk.len()].copy_from_slice(chunk);
        // Linux maps the vDSO's pages through the file rmap: they count in `Mapped`.
        frame.set_kind(PageKind::File);
        pages.push(frame.into_shared());
    }
    // The data page is a `VM_PFNMAP` page on Linux: in no memory figure.
    let mut data_page = UniqueFrame::try_new_zeroed()?;
    data_page.set_kind(PageKind::Kernel);
    let data_page = data_page.into_shared();
    data::init(&data_page);
    let mut vvar_pages = Vec::new();
    vvar_pages.try_reserve_exact(1).map_err(|_| Errno::ENOMEM)?;
    vvar_pages.push(data_page);
    Ok(Vdso {
        vvar: SpecialMapping {
            name: "[vvar]",
            pages: vvar_pages,
            may_write: false,
            may_execute: false,
            is_pfn_map: true,
            follows_time_namespace: true,
        },
        text: SpecialMapping {
            name: "[vdso]",
            pages,
            may_write: true,
            may_execute: true,
            is_pfn_map: false,
            follows_time_namespace: false,
        },
    })
}

/// The data page, once the vDSO exists.
pub(crate) fn data_page() -> Option<&'static hal::mm::frame::Frame> {
    VDSO.get().and_then(|vdso| vdso.vvar.pages.first())
}

/// Maps `[vvar]` and `[vdso]` into the new address space `mm` of a program whose lowest
/// argument string is at `start_stack` (Linux's `map_vdso_randomized`); returns the vDSO's
/// address for `AT_SYSINFO_EHDR`, or `None` when there is no vDSO.
pub fn map(mm: &mut AddressSpace, start_stack: u64) -> Result<Option<u64>, Errno> {
    let Some(vdso) = VDSO.get() else {
        return Ok(None);
    };
    let vvar_len = data::VVAR_PAGES as u64 * PAGE_SIZE;
    let text_len = vdso.text.pages.len() as u64 * PAGE_SIZE;
    let len = vvar_len + text_len;
    let hint = layout::vdso_hint(start_stack, len, crate::random::u64() as u32);
    let hint_fits = hint >= MMAP_MIN_ADDR
        && hint
            .checked_add(len)
            .is_some_and(|end| end <= layout::TASK_SIZE && mm.is_range_free(hint, end));
    let start = if hint_fits {
        hint
    } else {
        mm.find_free_area(len).ok_or(Errno::ENOMEM)?
    };
    let special = |mapping: &'static SpecialMapping, start: u64, end: u64| Vma {
        start,
        end,
        protection: Protection {
            is_readable: true,
            is_writable: false,
            is_executable: mapping.may_execute,
        },
        is_shared: false,
        backing: Backing::Special {
            mapping,
            offset_pages: 0,
        },
        kind: VmaKind::Normal,
        flags: VmaFlags::empty(),
        userfault: None,
    };
    mm.insert_vma(special(&vdso.vvar, start, start + vvar_len))?;
    mm.insert_vma(special(&vdso.text, start + vvar_len, start + len))?;
    Ok(Some(start + vvar_len))
}
