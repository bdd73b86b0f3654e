//! `/proc/<pid>/maps`, `smaps`, `smaps_rollup` and the memory figures of `status` and `statm`
//! (Linux's `fs/proc/task_mmu.c`).
//!
//! maps: `start-end perms offset major:minor inode`, padded to column 73 before the name (the
//! file's path from the reader's root, `[heap]`, `[stack]`, `[vdso]`, `[vvar]`), as
//! `show_map_vma`. Anonymous areas show offset 0 and device 00:00. The main stack is shown from
//! the lowest page it has grown to (Linux's stack VMA grows; Ferrux reserves the whole area).
//!
//! smaps: the header, then `Size`, page sizes, `Rss`, `Pss` (each page's size divided by the
//! number of mappings of its frame), clean/dirty shared/private, `Anonymous`, `Locked` (the Pss
//! of a locked area), zeros for what Ferrux does not have (swap, huge pages), `THPeligible`,
//! `ProtectionKey` and `VmFlags` (the `VM_*` bits Ferrux keeps: protection, sharing, the
//! `VM_MAY*` rights, stack, `madvise` and `mlock` flags, and the special mappings' `de`, and
//! `[vvar]`'s `pf io dd`), with Linux's 8-wide right-aligned kB values. `[vvar]` is a
//! `VM_PFNMAP` area: no page of it is counted. A page is "shared" when its frame is
//! mapped more than once, "dirty" when it is anonymous or its entry is writable.

use crate::mm::AddressSpace;
use crate::mm::vma::{Backing, Vma, VmaFlags, VmaKind};
use crate::out;
use crate::process::Process;
use abi::Errno;
use alloc::vec::Vec;
use vfs::pseudo::push;

/// Figures for `status` and `statm`, in pages.
#[derive(Clone, Copy, Default)]
pub struct MmFigures {
    pub total_vm: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub rss_shmem: u64,
    pub data_vm: u64,
    pub stack_vm: u64,
    pub exec_vm: u64,
    pub page_table_pages: u64,
    /// Pages in locked areas (`locked_vm`).
    pub locked_vm: u64,
}

/// The first address of `vma` as shown (the stack from its lowest grown page).
fn shown_start(space: &AddressSpace, vma: &Vma) -> u64 {
    if vma.kind == VmaKind::Stack {
        vma.start.max(space.stack_floor().min(vma.end))
    } else {
        vma.start
    }
}

/// Per-area page statistics.
#[derive(Clone, Copy, Default)]
struct PageStats {
    resident: u64,
    /// Proportional set size in bytes × 2^12 (Linux's `PSS_SHIFT`).
    pss: u64,
    pss_dirty: u64,
    shared_clean: u64,
    shared_dirty: u64,
    private_clean: u64,
    private_dirty: u64,
    anonymous: u64,
    /// Pss of pages in locked areas (`Locked:`), × 2^12.
    pss_locked: u64,
}

const PSS_SHIFT: u32 = 12;

fn is_anonymous(vma: &Vma) -> bool {
    matches!(vma.backing, Backing::Anonymous)
}

fn page_stats(space: &AddressSpace, vma: &Vma) -> PageStats {
    let mut stats = PageStats::default();
    if let Backing::Special { mapping, .. } = &vma.backing
        && mapping.is_pfn_map
    {
        // Linux's `vm_normal_page` finds no page in a `VM_PFNMAP` area.
        return stats;
    }
    let is_locked = vma.flags.contains(VmaFlags::LOCKED);
    let anonymous = is_anonymous(vma);
    let start = shown_start(space, vma);
    space
        .page_table()
        .lock()
        .for_each_mapped(start, vma.end, &mut |_, frame, flags| {
            let bytes = 4096u64;
            stats.resident += bytes;
            let mapcount = u64::from(frame.map_count().max(1));
            // Private pages of a copy-on-write file mapping are anonymous once copied; without
            // page flags to tell, a writable entry stands for a written (dirty) page.
            let dirty = anonymous || flags.is_writable;
            let pss = (bytes << PSS_SHIFT) / mapcount;
            stats.pss += pss;
            if is_locked {
                stats.pss_locked += pss;
            }
            if dirty {
                stats.pss_dirty += pss;
            }
            if anonymous {
                stats.anonymous += bytes;
            }
            match (mapcount > 1, dirty) {
                (true, true) => stats.shared_dirty += bytes,
                (true, false) => stats.shared_clean += bytes,
                (false, true) => stats.private_dirty += bytes,
                (false, false) => stats.private_clean += bytes,
            }
        });
    stats
}

/// The memory figures of `process` (zero for a zombie).
pub fn figures(process: &Process) -> MmFigures {
    if process.is_zombie() {
        return MmFigures::default();
    }
    let mm = process.mm.get();
    let space = mm.read();
    let mut f = MmFigures {
        page_table_pages: space.page_table_pages() as u64,
        ..MmFigures::default()
    };
    for vma in space.vmas() {
        let start = shown_start(&space, vma);
        let pages = (vma.end - start) / 4096;
        f.total_vm += pages;
        if vma.kind == VmaKind::Stack {
            f.stack_vm += pages;
        } else if vma.protection.is_executable && !vma.is_shared {
            f.exec_vm += pages;
        } else if vma.protection.is_writable && !vma.is_shared {
            f.data_vm += pages;
        }
        if vma.flags.contains(VmaFlags::LOCKED) {
            f.locked_vm += pages;
        }
        let resident = page_stats(&space, vma).resident / 4096;
        match &vma.backing {
            Backing::Anonymous => f.rss_anon += resident,
            // Linux maps the vDSO's pages through a fault handler that counts them as file
            // pages (`mm_counter_file`).
            Backing::Special { .. } => f.rss_file += resident,
            Backing::File { .. } => {
                if vma.is_shared {
                    f.rss_shmem += resident;
                } else {
                    f.rss_file += resident;
                }
            }
        }
    }
    f
}

/// The proportional share of the pages of `process`'s locked areas, in KiB (its part of
/// `/proc/meminfo`'s `Mlocked`).
pub fn locked_pss_kib(process: &Process) -> u64 {
    let mm = process.mm.get();
    let space = mm.read();
    space
        .vmas()
        .filter(|vma| vma.flags.contains(VmaFlags::LOCKED))
        .map(|vma| page_stats(&space, vma).pss_locked)
        .sum::<u64>()
        >> (PSS_SHIFT + 10)
}

/// The `VmFlags` mnemonics of an area (`show_smap_vma_flags`), in the order of Linux 6.1's
/// `VM_*` bits: rd wr ex sh mr mw me ms gd pf lo io sr rr dc de lf ac wf dd sd hg nh mg.
fn vm_flags(vma: &Vma) -> Vec<&'static str> {
    let mut flags = Vec::new();
    let p = vma.protection;
    let f = vma.flags;
    let special = match &vma.backing {
        Backing::Special { mapping, .. } => Some(*mapping),
        _ => None,
    };
    let is_pfn_map = special.is_some_and(|mapping| mapping.is_pfn_map);
    // VM_MAYWRITE: not for a shared mapping of a file opened read-only, nor for a special
    // mapping that may not be written; VM_MAYEXEC likewise for special mappings.
    let may_write = match (&vma.backing, special) {
        (_, Some(mapping)) => mapping.may_write,
        (
            Backing::File {
                may_write_shared, ..
            },
            None,
        ) if vma.is_shared => *may_write_shared,
        _ => true,
    };
    let may_execute = special.is_none_or(|mapping| mapping.may_execute);
    let bits: [(bool, &'static str); 23] = [
        (p.is_readable, "rd"),
        (p.is_writable, "wr"),
        (p.is_executable, "ex"),
        // A shared mapping of a file opened read-only loses VM_SHARED (`do_mmap`) but keeps
        // VM_MAYSHARE ("ms", and the `s` of maps).
        (vma.is_shared && may_write, "sh"),
        (true, "mr"),
        (may_write, "mw"),
        (may_execute, "me"),
        (vma.is_shared, "ms"),
        (
            vma.kind == VmaKind::Stack || f.contains(VmaFlags::GROWS_DOWN),
            "gd",
        ),
        (is_pfn_map, "pf"),
        (f.contains(VmaFlags::LOCKED), "lo"),
        (is_pfn_map, "io"),
        (f.contains(VmaFlags::SEQUENTIAL), "sr"),
        (f.contains(VmaFlags::RANDOM), "rr"),
        (f.contains(VmaFlags::DONT_FORK), "dc"),
        (special.is_some(), "de"),
        (f.contains(VmaFlags::LOCK_ON_FAULT), "lf"),
        (!vma.is_shared && p.is_writable && special.is_none(), "ac"),
        (f.contains(VmaFlags::WIPE_ON_FORK), "wf"),
        (f.contains(VmaFlags::DONT_DUMP) || is_pfn_map, "dd"),
        (vma.kind != VmaKind::Stack, "sd"),
        (f.contains(VmaFlags::HUGEPAGE), "hg"),
        (f.contains(VmaFlags::NO_HUGEPAGE), "nh"),
    ];
    for (is_set, name) in bits {
        if is_set {
            flags.push(name);
        }
    }
    flags
}

/// What a maps line needs of an area, copied under the mm lock so that the file's attributes
/// (the inode's own lock, which comes before `mm`) are read after it is released.
struct Area {
    start: u64,
    end: u64,
    vma: Vma,
    stats: PageStats,
}

/// The areas of `process` with their page statistics (taken under the mm lock).
fn areas(process: &Process, with_stats: bool) -> Result<Vec<Area>, Errno> {
    let mm = process.mm.get();
    let space = mm.read();
    let mut out = Vec::new();
    out.try_reserve(space.map_count())
        .map_err(|_| Errno::ENOMEM)?;
    for vma in space.vmas() {
        out.push(Area {
            start: shown_start(&space, vma),
            end: vma.end,
            vma: vma.clone(),
            stats: if with_stats {
                page_stats(&space, vma)
            } else {
                PageStats::default()
            },
        });
    }
    Ok(out)
}

/// The name shown after an area's header, if any.
fn area_name(vma: &Vma, reader_root: &vfs::Path) -> Result<Option<Vec<u8>>, Errno> {
    if let Backing::File {
        path: Some(path), ..
    } = &vma.backing
    {
        return path.d_path(reader_root).map(Some);
    }
    if let Backing::Special { mapping, .. } = &vma.backing {
        return Ok(Some(mapping.name.as_bytes().to_vec()));
    }
    let name: Option<&[u8]> = match vma.kind {
        VmaKind::Heap => Some(b"[heap]"),
        VmaKind::Stack => Some(b"[stack]"),
        VmaKind::SharedAnonymous => Some(b"/dev/zero (deleted)"),
        VmaKind::AioRing => Some(b"/[aio] (deleted)"),
        _ => None,
    };
    Ok(name.map(<[u8]>::to_vec))
}

/// One header line (`show_vma_header_prefix` + name), newline included.
fn header(out: &mut Vec<u8>, area: &Area, reader_root: &vfs::Path) -> Result<(), Errno> {
    let vma = &area.vma;
    let p = vma.protection;
    let (offset, major, minor, ino) = match &vma.backing {
        Backing::File { inode, offset, .. } => {
            let m = inode.metadata();
            (
                *offset,
                vfs::inode::dev_major(m.dev),
                vfs::inode::dev_minor(m.dev),
                m.ino,
            )
        }
        _ => (0, 0, 0, 0),
    };
    let line_start = out.len();
    out!(
        out,
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        area.start,
        area.end,
        if p.is_readable { 'r' } else { '-' },
        if p.is_writable { 'w' } else { '-' },
        if p.is_executable { 'x' } else { '-' },
        if vma.is_shared { 's' } else { 'p' },
        offset,
        major,
        minor,
        ino
    )?;
    if let Some(name) = area_name(vma, reader_root)? {
        pad_to(out, line_start, 72)?;
        push(out, b" ")?;
        vfs::mount::mangle_newlines(out, &name)?;
    }
    push(out, b"\n")
}

fn pad_to(out: &mut Vec<u8>, line_start: usize, width: usize) -> Result<(), Errno> {
    let len = out.len() - line_start;
    if len < width {
        out.try_reserve(width - len).map_err(|_| Errno::ENOMEM)?;
        out.resize(line_start + width, b' ');
    }
    Ok(())
}

fn reader_root() -> vfs::Path {
    super::caller().process.fs.get().lock().root.clone()
}

/// `/proc/<pid>/maps`.
pub fn maps(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    if process.is_zombie() {
        return Ok(());
    }
    let root = reader_root();
    for area in areas(process, false)? {
        header(out, &area, &root)?;
    }
    Ok(())
}

fn kb_line(out: &mut Vec<u8>, label: &str, bytes: u64) -> Result<(), Errno> {
    out!(out, "{label:<16}{:>8} kB\n", bytes >> 10)
}

fn show_stats(out: &mut Vec<u8>, s: &PageStats, rollup: bool, anon_pss: u64) -> Result<(), Errno> {
    kb_line(out, "Rss:", s.resident)?;
    kb_line(out, "Pss:", s.pss >> PSS_SHIFT)?;
    kb_line(out, "Pss_Dirty:", s.pss_dirty >> PSS_SHIFT)?;
    if rollup {
        kb_line(out, "Pss_Anon:", anon_pss >> PSS_SHIFT)?;
        kb_line(out, "Pss_File:", (s.pss - anon_pss.min(s.pss)) >> PSS_SHIFT)?;
        kb_line(out, "Pss_Shmem:", 0)?;
    }
    kb_line(out, "Shared_Clean:", s.shared_clean)?;
    kb_line(out, "Shared_Dirty:", s.shared_dirty)?;
    kb_line(out, "Private_Clean:", s.private_clean)?;
    kb_line(out, "Private_Dirty:", s.private_dirty)?;
    kb_line(out, "Referenced:", s.resident)?;
    kb_line(out, "Anonymous:", s.anonymous)?;
    for label in [
        "LazyFree:",
        "AnonHugePages:",
        "ShmemPmdMapped:",
        "FilePmdMapped:",
        "Shared_Hugetlb:",
    ] {
        kb_line(out, label, 0)?;
    }
    out!(out, "Private_Hugetlb: {:>7} kB\n", 0)?;
    kb_line(out, "Swap:", 0)?;
    kb_line(out, "SwapPss:", 0)?;
    kb_line(out, "Locked:", s.pss_locked >> PSS_SHIFT)
}

/// `/proc/<pid>/smaps`.
pub fn smaps(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    if process.is_zombie() {
        return Ok(());
    }
    let root = reader_root();
    for area in areas(process, true)? {
        header(out, &area, &root)?;
        kb_line(out, "Size:", area.end - area.start)?;
        kb_line(out, "KernelPageSize:", 4096)?;
        kb_line(out, "MMUPageSize:", 4096)?;
        show_stats(out, &area.stats, false, 0)?;
        out!(out, "THPeligible:    0\nProtectionKey:  {:>8}\n", 0)?;
        push(out, b"VmFlags: ")?;
        for flag in vm_flags(&area.vma) {
            out!(out, "{flag} ")?;
        }
        push(out, b"\n")?;
    }
    Ok(())
}

/// `/proc/<pid>/smaps_rollup`: the sums, under a header spanning every area.
pub fn smaps_rollup(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    if process.is_zombie() {
        return Ok(());
    }
    let mm = process.mm.get();
    let space = mm.read();
    let mut total = PageStats::default();
    let mut anon_pss = 0;
    let (mut first, mut last) = (0, 0);
    for (i, vma) in space.vmas().enumerate() {
        if i == 0 {
            first = shown_start(&space, vma);
        }
        last = vma.end;
        let s = page_stats(&space, vma);
        if is_anonymous(vma) {
            anon_pss += s.pss;
        }
        total.resident += s.resident;
        total.pss += s.pss;
        total.pss_dirty += s.pss_dirty;
        total.shared_clean += s.shared_clean;
        total.shared_dirty += s.shared_dirty;
        total.private_clean += s.private_clean;
        total.private_dirty += s.private_dirty;
        total.anonymous += s.anonymous;
        total.pss_locked += s.pss_locked;
    }
    let line_start = out.len();
    out!(out, "{first:08x}-{last:08x} ---p 00000000 00:00 0 ")?;
    pad_to(out, line_start, 72)?;
    push(out, b" [rollup]\n")?;
    show_stats(out, &total, true, anon_pss)
}
