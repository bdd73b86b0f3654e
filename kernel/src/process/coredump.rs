//! Core dumps (Linux's `fs/coredump.c` with `binfmt_elf`'s `elf_core_dump`): a process killed
//! by a signal whose default action dumps core (SIGQUIT, SIGSEGV, SIGABRT…) leaves an ELF core
//! file, and its parent's wait status carries the core bit (`WCOREDUMP`, `CLD_DUMPED`).
//!
//! Whether and where, as Linux decides it:
//! - nothing for a process that is not dumpable (`PR_SET_DUMPABLE` 0, set-id programs: Linux's
//!   `suid_dumpable` 0), nor when `RLIMIT_CORE` is below a page;
//! - the name is `kernel.core_pattern` (`%p` pid, `%P` the same, `%i`/`%I` tid, `%u` uid, `%g`
//!   gid, `%s` signal, `%t` time, `%h` hostname, `%e` command name, `%%`), with `.PID` added
//!   under `kernel.core_uses_pid` when the pattern has no `%p`; relative to the dying process's
//!   working directory. A pattern starting with `|` (a helper program) is not run: no dump;
//! - an existing file of that name is replaced (unlinked, then created with `O_EXCL`, mode 0600,
//!   as the process's fs ids); writing stops at `RLIMIT_CORE`.
//!
//! The file: an ELF header, a `PT_NOTE` segment with the dumping thread's `NT_PRSTATUS` and
//! `NT_PRFPREG`, `NT_PRPSINFO`, `NT_SIGINFO`, `NT_AUXV` and `NT_FILE`, then one `PT_LOAD` per
//! area. Which areas have contents follows `/proc/<pid>/coredump_filter` (default 0x33:
//! anonymous private and shared memory, the first page of mapped ELF files) and
//! `MADV_DONTDUMP`; pages never touched are holes. Not yet: the other threads' notes (only the
//! thread that took the signal is described), `NT_X86_XSTATE`, pipes to a helper.

use super::{Process, Thread};
use crate::mm::vma::{Backing, VmaFlags, VmaKind};
use crate::mm::{AddressSpace, PAGE_SIZE};
use abi::signal::SigInfo;
use abi::{Errno, OpenFlags};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::user::UserContext;
use zerocopy::IntoBytes;

/// `coredump_filter` bits (`MMF_DUMP_*`).
const DUMP_ANON_PRIVATE: u32 = 1 << 0;
const DUMP_ANON_SHARED: u32 = 1 << 1;
const DUMP_MAPPED_PRIVATE: u32 = 1 << 2;
const DUMP_MAPPED_SHARED: u32 = 1 << 3;
const DUMP_ELF_HEADERS: u32 = 1 << 4;
/// The default filter (`MMF_DUMP_FILTER_DEFAULT`).
pub const DEFAULT_FILTER: u32 = 0x33;

/// Note types (`include/uapi/linux/elf.h`).
const NT_PRSTATUS: u32 = 1;
const NT_PRFPREG: u32 = 2;
const NT_PRPSINFO: u32 = 3;
const NT_AUXV: u32 = 6;
const NT_SIGINFO: u32 = 0x5349_4749;
const NT_FILE: u32 = 0x4649_4c45;

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

/// One area as the core file describes it.
struct Segment {
    start: u64,
    end: u64,
    flags: u32,
    /// Bytes of contents written (from `start`).
    dump_len: u64,
    /// The file of a shared file area (its dump length depends on the file).
    shared_file: Option<Arc<dyn vfs::Inode>>,
}

/// Dumps core for `thread`, which is dying of `info`'s signal; `user` holds its registers.
/// Returns whether a core file was written (the core bit of the wait status).
pub fn dump(thread: &Arc<Thread>, user: &mut UserContext, info: &SigInfo) -> bool {
    let process = &thread.process;
    let (dumpable, filter) = {
        let flags = process.flags.lock();
        (flags.dumpable, flags.coredump_filter)
    };
    if dumpable == 0 {
        return false;
    }
    let limit = process
        .limits
        .lock()
        .get(super::rlimit::RLIMIT_CORE)
        .map_or(0, |limit| limit.soft);
    if limit < PAGE_SIZE {
        return false;
    }
    let Some(name) = core_name(thread, info.signo) else {
        return false;
    };
    let Ok(file) = create_file(thread, &name) else {
        return false;
    };
    // Once the file exists the process counts as dumped, even if the writes stop short at the
    // size limit (Linux's `elf_core_dump` reports the dump before writing it).
    let _ = write_core(thread, user, info, filter, &file, limit);
    true
}

/// The file name `kernel.core_pattern` gives (`format_corename`); `None` for a helper pipe.
fn core_name(thread: &Thread, signal: i32) -> Option<Vec<u8>> {
    let pattern = crate::fs::proc::sysctl::core_pattern();
    if pattern.first() == Some(&b'|') {
        return None;
    }
    let process = &thread.process;
    let (uid, gid) = {
        let credentials = process.credentials.lock();
        (credentials.uid, credentials.gid)
    };
    let comm = thread.name();
    let comm_len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
    let mut name = Vec::new();
    let mut has_pid = false;
    let mut bytes = pattern.iter();
    while let Some(&byte) = bytes.next() {
        if byte != b'%' {
            name.push(byte);
            continue;
        }
        let text = match bytes.next() {
            Some(b'%') => alloc::string::String::from("%"),
            Some(b'p' | b'P') => {
                has_pid = true;
                alloc::format!("{}", process.pid)
            }
            Some(b'i' | b'I') => alloc::format!("{}", thread.tid()),
            Some(b'u') => alloc::format!("{uid}"),
            Some(b'g') => alloc::format!("{gid}"),
            Some(b's') => alloc::format!("{signal}"),
            Some(b't') => alloc::format!("{}", crate::time::realtime_ns() / 1_000_000_000),
            Some(b'h') => alloc::string::String::from_utf8_lossy(&crate::hostname()).into(),
            Some(b'e') => alloc::string::String::from_utf8_lossy(&comm[..comm_len]).into(),
            // Unknown specifiers (and a trailing `%`) expand to nothing.
            _ => alloc::string::String::new(),
        };
        name.extend_from_slice(text.as_bytes());
    }
    if !has_pid && crate::fs::proc::sysctl::core_uses_pid() {
        name.extend_from_slice(alloc::format!(".{}", process.pid).as_bytes());
    }
    (!name.is_empty()).then_some(name)
}

/// Replaces `name` with a new core file, as the dying process would create it.
fn create_file(thread: &Thread, name: &[u8]) -> Result<Arc<crate::fs::file::OpenFile>, Errno> {
    let here = crate::syscall::args::Fd(crate::fs::AT_FDCWD);
    let _ = crate::fs::with_walk(thread, here, name, |ctx, start| {
        vfs::namei::unlink(ctx, start, name)
    });
    let flags = OpenFlags::O_CREAT
        | OpenFlags::O_WRONLY
        | OpenFlags::O_EXCL
        | OpenFlags::O_NOFOLLOW
        | OpenFlags::O_LARGEFILE;
    let charge = crate::fs::file_table::charge_for(thread)?;
    let opened = crate::fs::with_walk(thread, here, name, |ctx, start| {
        vfs::namei::open(ctx, start, name, flags.bits(), 0o600)
    })?;
    let metadata = opened.path.metadata();
    if metadata.file_type != vfs::FileType::Regular || metadata.nlink != 1 {
        return Err(Errno::EACCES);
    }
    crate::fs::open_dentry_noctty(opened.path, flags, true, charge)
}

/// How much of an area the filter dumps (`vma_dump_size`).
fn dump_len(space: &AddressSpace, vma: &crate::mm::Vma, filter: u32) -> u64 {
    let len = vma.end - vma.start;
    if vma.flags.contains(VmaFlags::DONT_DUMP) {
        return 0;
    }
    match &vma.backing {
        // The vDSO is always dumped; the vvar page (a PFN map) never.
        Backing::Special { mapping, .. } => {
            if mapping.is_pfn_map {
                0
            } else {
                len
            }
        }
        Backing::Anonymous if filter & DUMP_ANON_PRIVATE != 0 => len,
        Backing::Anonymous => 0,
        Backing::File { offset, .. } => {
            if vma.is_shared {
                // Decided once the mm lock is dropped (see `shared_dump_len`).
                return 0;
            }
            // A private file area that was written (has anonymous copies: Linux's anon_vma)
            // counts as anonymous private memory.
            if vma.protection.is_writable && filter & DUMP_ANON_PRIVATE != 0 {
                return len;
            }
            if filter & DUMP_MAPPED_PRIVATE != 0 {
                return len;
            }
            // The first page of a mapped ELF file, for build ids (`MMF_DUMP_ELF_HEADERS`).
            if filter & DUMP_ELF_HEADERS != 0 && *offset == 0 && vma.protection.is_readable {
                let mut magic = [0u8; 4];
                if space.is_resident(vma.start)
                    && space.access_remote(vma.start, &mut magic, false, true) == 4
                    && magic == *b"\x7fELF"
                {
                    return PAGE_SIZE;
                }
            }
            0
        }
    }
}

/// How much of a shared file area the filter dumps: all of it for anonymous shared memory
/// (a file with no name: shared anonymous mappings, SysV segments, memfds) with
/// `MMF_DUMP_ANON_SHARED`, or for a named file with `MMF_DUMP_MAPPED_SHARED`.
fn shared_dump_len(inode: &dyn vfs::Inode, len: u64, filter: u32) -> u64 {
    let bit = if inode.metadata().nlink == 0 {
        DUMP_ANON_SHARED
    } else {
        DUMP_MAPPED_SHARED
    };
    if filter & bit != 0 { len } else { 0 }
}

/// Appends one note (name padded to 4 bytes, then the description, padded to 4 bytes).
fn push_note(notes: &mut Vec<u8>, name: &[u8], kind: u32, desc: &[u8]) {
    let name_len = name.len() + 1;
    notes.extend_from_slice(&(name_len as u32).to_le_bytes());
    notes.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    notes.extend_from_slice(&kind.to_le_bytes());
    notes.extend_from_slice(name);
    notes.push(0);
    notes.resize(notes.len().next_multiple_of(4), 0);
    notes.extend_from_slice(desc);
    notes.resize(notes.len().next_multiple_of(4), 0);
}

fn put_u32(buf: &mut [u8], at: usize, value: u32) {
    buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(buf: &mut [u8], at: usize, value: u64) {
    buf[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// `struct elf_prstatus` (336 bytes) of the dumping thread.
fn prstatus(thread: &Thread, user: &UserContext, signal: i32) -> Vec<u8> {
    let process = &thread.process;
    let mut out = alloc::vec![0u8; 336];
    put_u32(&mut out, 0, signal as u32);
    out[12..14].copy_from_slice(&(signal as i16).to_le_bytes());
    put_u64(&mut out, 24, thread.signal_mask.load(Ordering::Relaxed));
    let ppid = process
        .parent
        .lock()
        .upgrade()
        .map_or(0, |parent| parent.pid);
    put_u32(&mut out, 32, thread.tid());
    put_u32(&mut out, 36, ppid);
    put_u32(&mut out, 40, process.pgid.load(Ordering::Relaxed) as u32);
    put_u32(&mut out, 44, process.sid.load(Ordering::Relaxed) as u32);
    let (user_ns, system_ns) = process.cpu_times_ns();
    for (at, ns) in [(48, user_ns), (64, system_ns)] {
        put_u64(&mut out, at, ns / 1_000_000_000);
        put_u64(&mut out, at + 8, (ns % 1_000_000_000) / 1000);
    }
    // pr_reg: `struct user_regs_struct` order.
    let r = user.regs();
    let regs = [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx,
        r.rsi, r.rdi, r.rax, r.rip, 0x33, r.rflags, r.rsp, 0x2b, r.fs_base, r.gs_base, 0, 0, 0, 0,
    ];
    for (index, value) in regs.iter().enumerate() {
        put_u64(&mut out, 112 + index * 8, *value);
    }
    put_u32(&mut out, 328, 1);
    out
}

/// `struct elf_prpsinfo` (136 bytes).
fn prpsinfo(thread: &Thread, arguments: &[u8]) -> Vec<u8> {
    let process = &thread.process;
    let mut out = alloc::vec![0u8; 136];
    out[1] = b'R';
    let (uid, gid) = {
        let credentials = process.credentials.lock();
        (credentials.uid, credentials.gid)
    };
    put_u32(&mut out, 16, uid);
    put_u32(&mut out, 20, gid);
    let ppid = process
        .parent
        .lock()
        .upgrade()
        .map_or(0, |parent| parent.pid);
    put_u32(&mut out, 24, process.pid);
    put_u32(&mut out, 28, ppid);
    put_u32(&mut out, 32, process.pgid.load(Ordering::Relaxed) as u32);
    put_u32(&mut out, 36, process.sid.load(Ordering::Relaxed) as u32);
    let comm = thread.name();
    out[40..56].copy_from_slice(&comm);
    // pr_psargs: the arguments, NULs turned to spaces, at most 79 bytes.
    let length = arguments.len().min(79);
    for (index, &byte) in arguments[..length].iter().enumerate() {
        out[56 + index] = if byte == 0 { b' ' } else { byte };
    }
    out
}

/// `NT_FILE`: the mapped files (count, page size, then start/end/page offset triples, then
/// their names).
fn file_note(space: &AddressSpace, root: &vfs::Path) -> Vec<u8> {
    let mut ranges = Vec::new();
    let mut names = Vec::new();
    for vma in space.vmas() {
        if let Backing::File {
            offset,
            path: Some(path),
            ..
        } = &vma.backing
        {
            let Ok(name) = path.d_path(root) else {
                continue;
            };
            ranges.push((vma.start, vma.end, offset / PAGE_SIZE));
            names.extend_from_slice(&name);
            names.push(0);
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(ranges.len() as u64).to_le_bytes());
    out.extend_from_slice(&PAGE_SIZE.to_le_bytes());
    for (start, end, page) in ranges {
        for value in [start, end, page] {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&names);
    out
}

/// Writes the core file; stops (`EFBIG`) at `limit` bytes.
///
/// The areas are listed under the mm lock and the files they map looked at after it (an
/// inode's lock comes before the mm lock elsewhere).
fn write_core(
    thread: &Thread,
    user: &mut UserContext,
    info: &SigInfo,
    filter: u32,
    file: &crate::fs::file::OpenFile,
    limit: u64,
) -> Result<(), Errno> {
    let process: &Process = &thread.process;
    let root = process.fs.get().lock().root.clone();
    let mm_shared = process.mm.get();
    let (segments, arguments, auxv, files) = {
        let space = mm_shared.read();
        let mut segments = Vec::new();
        for vma in space.vmas() {
            let start = if vma.kind == VmaKind::Stack {
                vma.start.max(space.stack_floor().min(vma.end))
            } else {
                vma.start
            };
            let p = vma.protection;
            let flags = u32::from(p.is_readable) << 2
                | u32::from(p.is_writable) << 1
                | u32::from(p.is_executable);
            let shared_file = match &vma.backing {
                Backing::File { inode, .. }
                    if vma.is_shared && !vma.flags.contains(VmaFlags::DONT_DUMP) =>
                {
                    Some(inode.clone())
                }
                _ => None,
            };
            segments.push(Segment {
                start,
                end: vma.end,
                flags,
                dump_len: dump_len(&space, vma, filter).min(vma.end - start),
                shared_file,
            });
        }
        let layout = &space.layout;
        let mut arguments = alloc::vec![0u8; (layout.arg_end - layout.arg_start).min(80) as usize];
        let got = space.access_remote(layout.arg_start, &mut arguments, false, true);
        arguments.truncate(got);
        let mut auxv = Vec::new();
        for (key, value) in &layout.auxv {
            auxv.extend_from_slice(&key.to_le_bytes());
            auxv.extend_from_slice(&value.to_le_bytes());
        }
        (segments, arguments, auxv, file_note(&space, &root))
    };
    let mut segments = segments;
    for segment in &mut segments {
        if let Some(inode) = segment.shared_file.take() {
            segment.dump_len = shared_dump_len(inode.as_ref(), segment.end - segment.start, filter);
        }
    }
    let mut notes = Vec::new();
    push_note(
        &mut notes,
        b"CORE",
        NT_PRSTATUS,
        &prstatus(thread, user, info.signo),
    );
    push_note(
        &mut notes,
        b"CORE",
        NT_PRPSINFO,
        &prpsinfo(thread, &arguments),
    );
    push_note(&mut notes, b"CORE", NT_SIGINFO, info.as_bytes());
    push_note(&mut notes, b"CORE", NT_AUXV, &auxv);
    push_note(&mut notes, b"CORE", NT_FILE, &files);
    let fxsave = user.fpu_image().get(..512).map(<[u8]>::to_vec);
    if let Some(fxsave) = fxsave {
        push_note(&mut notes, b"CORE", NT_PRFPREG, &fxsave);
    }

    let header_len = EHDR_SIZE + PHDR_SIZE * (segments.len() + 1);
    let notes_offset = header_len as u64;
    let mut data_offset = (notes_offset + notes.len() as u64).next_multiple_of(PAGE_SIZE);
    let mut header = alloc::vec![0u8; header_len];
    header[..16].copy_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    header[16..18].copy_from_slice(&4u16.to_le_bytes()); // ET_CORE
    header[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    put_u32(&mut header, 20, 1);
    put_u64(&mut header, 32, EHDR_SIZE as u64);
    header[52..54].copy_from_slice(&(EHDR_SIZE as u16).to_le_bytes());
    header[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
    header[56..58].copy_from_slice(&((segments.len() + 1) as u16).to_le_bytes());
    header[58..60].copy_from_slice(&64u16.to_le_bytes());
    let note_phdr = EHDR_SIZE;
    put_u32(&mut header, note_phdr, 4); // PT_NOTE
    put_u64(&mut header, note_phdr + 8, notes_offset);
    put_u64(&mut header, note_phdr + 32, notes.len() as u64);
    let mut placed = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let at = EHDR_SIZE + PHDR_SIZE * (index + 1);
        put_u32(&mut header, at, 1); // PT_LOAD
        put_u32(&mut header, at + 4, segment.flags);
        put_u64(&mut header, at + 8, data_offset);
        put_u64(&mut header, at + 16, segment.start);
        put_u64(&mut header, at + 32, segment.dump_len);
        put_u64(&mut header, at + 40, segment.end - segment.start);
        put_u64(&mut header, at + 48, PAGE_SIZE);
        placed.push(data_offset);
        data_offset += segment.dump_len;
    }

    let write = |offset: u64, bytes: &[u8]| -> Result<(), Errno> {
        if offset + bytes.len() as u64 > limit {
            return Err(Errno::EFBIG);
        }
        let written = file.write_at(offset, bytes)?;
        if written != bytes.len() {
            return Err(Errno::EIO);
        }
        Ok(())
    };
    write(0, &header)?;
    write(notes_offset, &notes)?;
    let mut page = alloc::vec![0u8; PAGE_SIZE as usize];
    for (segment, &offset) in segments.iter().zip(&placed) {
        let mut done = 0;
        while done < segment.dump_len {
            let address = segment.start + done;
            // The page is copied under the mm lock, written after it (the file's locks come
            // before the mm lock in write(2)'s own copies).
            let copied = {
                let space = mm_shared.read();
                space.is_resident(address)
                    && space.access_remote(address, &mut page, false, true) == page.len()
            };
            if copied {
                write(offset + done, &page)?;
            }
            done += PAGE_SIZE;
        }
    }
    // Untouched pages at the end are a hole, but the file has its full length.
    let inode = file.ops.inode().ok_or(Errno::EINVAL)?;
    if data_offset <= limit && inode.metadata().size < data_offset {
        inode.truncate(data_offset)?;
    }
    Ok(())
}
