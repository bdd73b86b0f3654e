//! The `/proc` directory itself (Linux's `fs/proc/root.c`, `proc_pid_readdir`) and its
//! system-wide files: `meminfo` (`fs/proc/meminfo.c`), `cpuinfo` ([`super::cpuinfo`]), `uptime`,
//! `loadavg`, `stat` (`fs/proc/stat.c`), `version`, `cmdline`, `filesystems`, `partitions`,
//! `devices`, `interrupts`, `swaps`, the `mounts` and `net` links (and [`net_dir`], what
//! `/proc/<pid>/net` shows), `self`, `thread-self` and `sys`.
//!
//! Listing order is Linux's: the fixed entries (sorted by name, as `proc_root`'s rbtree holds
//! them), `self` and `thread-self` at cookies 256 and 257, then one directory per process at
//! cookie `258 + pid` (`TGID_OFFSET`), so a listing resumes at the next pid however processes
//! come and go. Any live thread id can be looked up (`/proc/<tid>`, not listed).
//!
//! meminfo's figures are counters, as Linux's: the frame allocator (total, free, the min_free
//! reserve), the page cache (`Cached` and `Shmem`: every cached page is a tmpfs page, shared
//! anonymous memory, memfd and SysV shm included), hal's mapped-page counters (`Mapped`: file and
//! shared pages mapped at least once; `AnonPages`: anonymous pages mapped at least once), the
//! kernel heap (`Slab`), kernel stacks (32 KiB per thread), and, summed over the processes,
//! page tables and locked pages (`Mlocked`: the proportional share of each page of a locked
//! area, so a page locked by two processes counts once). They add up as Linux's do: `MemFree +
//! Cached + AnonPages + Slab + KernelStack + PageTables` stays below `MemTotal`, the rest being
//! the kernel's own pages (pipe buffers, the vDSO, tables of the kernel) and anonymous pages
//! that are not mapped (a pipe's pages in flight). There is no swap, no hugetlb, no writeback.

use super::{SelfLink, fixed_ino, ino};
use crate::out;
use crate::process::{Pid, table};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use vfs::pseudo::{Node, NodeAttr, RenderFile, StaticDir, StaticEntry, StaticLink, push};
use vfs::{DirEntry, FileType};

/// `FIRST_PROCESS_ENTRY`: cookie of `self`.
const FIRST_PROCESS_ENTRY: u64 = 256;
/// `TGID_OFFSET`: cookie of pid 0.
const TGID_OFFSET: u64 = FIRST_PROCESS_ENTRY + 2;
/// Bytes of a kernel stack, for `KernelStack`.
const KERNEL_STACK_KIB: u64 = 32;

/// The root directory.
pub struct ProcRoot {
    /// The PID namespace of the mounter (`proc_pid_ns`): the pids this instance shows.
    ns: Arc<crate::ns::pid::PidNs>,
    fixed: Arc<StaticDir>,
    self_link: Arc<SelfLink>,
    thread_self: Arc<SelfLink>,
}

fn file(
    name: &'static [u8],
    render: impl Fn(&mut Vec<u8>) -> Result<(), Errno> + Send + Sync + 'static,
) -> StaticEntry {
    StaticEntry {
        name,
        node: RenderFile::new(fixed_ino(), 0o444, render),
    }
}

impl ProcRoot {
    pub fn new(ns: Arc<crate::ns::pid::PidNs>) -> Result<Arc<ProcRoot>, Errno> {
        let entries = alloc::vec![
            file(b"cmdline", |out| out!(
                out,
                "{}\n",
                crate::boot_command_line()
            )),
            file(b"cpuinfo", super::cpuinfo::render),
            file(b"devices", crate::fs::devices::proc_devices),
            file(b"filesystems", |out| {
                crate::fs::filesystems::REGISTRY.proc_filesystems(out)
            }),
            file(b"interrupts", interrupts),
            StaticEntry {
                name: b"irq",
                node: super::irq::dir(),
            },
            file(b"key-users", |out| push(
                out,
                &crate::keys::procfs::proc_key_users()
            )),
            file(b"keys", |out| {
                let thread = crate::process::current();
                push(out, &crate::keys::procfs::proc_keys(&thread))
            }),
            file(b"loadavg", loadavg),
            file(b"locks", crate::fs::locks::proc_locks),
            file(b"meminfo", meminfo),
            StaticEntry {
                name: b"mounts",
                node: StaticLink::new(fixed_ino(), b"self/mounts"),
            },
            StaticEntry {
                name: b"net",
                node: StaticLink::new(fixed_ino(), b"self/net"),
            },
            file(b"partitions", crate::block::proc_partitions),
            file(b"stat", stat),
            file(b"swaps", |out| {
                push(out, b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
            }),
            StaticEntry {
                name: b"sys",
                node: super::sysctl::tree()?,
            },
            StaticEntry {
                name: b"sysvipc",
                node: StaticDir::new(
                    fixed_ino(),
                    0o555,
                    alloc::vec![
                        file(b"msg", crate::ipc::msg::proc_show),
                        file(b"sem", crate::ipc::sem::proc_show),
                        file(b"shm", crate::ipc::shm::proc_show),
                    ],
                ),
            },
            file(b"uptime", uptime),
            file(b"version", |out| out!(out, "{}\n", crate::linux_banner())),
        ];
        Ok(Arc::new(ProcRoot {
            fixed: StaticDir::new(fixed_ino(), 0o555, entries),
            self_link: Arc::new(SelfLink {
                is_thread: false,
                ns: ns.clone(),
            }),
            thread_self: Arc::new(SelfLink {
                is_thread: true,
                ns: ns.clone(),
            }),
            ns,
        }))
    }
}

/// `/proc/<pid>/net` (one network namespace: every process shows the same directory), in
/// Linux's listing order (shorter names first, as `proc_net`'s tree sorts them).
pub fn net_dir() -> Arc<StaticDir> {
    static NET: spin::Once<Arc<StaticDir>> = spin::Once::new();
    NET.call_once(|| {
        StaticDir::new(
            fixed_ino(),
            0o555,
            alloc::vec![
                file(b"dev", crate::net::netdev::proc_net_dev),
                file(b"netlink", crate::net::netlink::proc_net_netlink),
                file(b"tcp", crate::net::inet::procnet::tcp),
                file(b"udp", crate::net::inet::procnet::udp),
                file(b"tcp6", crate::net::inet::procnet::tcp6),
                file(b"udp6", crate::net::inet::procnet::udp6),
                file(b"unix", |out| {
                    let text = crate::net::unix::names::proc_net_unix()?;
                    push(out, &text)
                }),
                file(b"route", crate::net::fib::proc_net_route),
                file(b"pnp", crate::net::ipconfig::proc_net_pnp),
            ],
        )
    })
    .clone()
}

/// A pid written in decimal, as a directory name.
fn parse_pid(name: &[u8]) -> Option<Pid> {
    if name.is_empty() || name.len() > 10 || name[0] == b'0' {
        return None;
    }
    let text = core::str::from_utf8(name).ok()?;
    text.parse::<Pid>().ok()
}

impl Node for ProcRoot {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn ino(&self) -> u64 {
        ino::ROOT
    }

    fn attr(&self) -> NodeAttr {
        let subdirs = self
            .fixed
            .entries()
            .iter()
            .filter(|e| e.node.file_type().is_dir())
            .count();
        NodeAttr {
            nlink: (2 + subdirs + table::processes_in(&self.ns).len()) as u32,
            ..NodeAttr::root(0o555)
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Node>, Errno> {
        match name {
            b"self" => return Ok(self.self_link.clone()),
            b"thread-self" => return Ok(self.thread_self.clone()),
            _ => {}
        }
        if let Some(node) = self.fixed.find(name) {
            return Ok(node);
        }
        let pid = parse_pid(name).ok_or(Errno::ENOENT)?;
        let pid = self.ns.global_of(pid).ok_or(Errno::ENOENT)?;
        // A process, or any thread by its id (`proc_pid_lookup` finds tasks).
        if let Some(process) = table::find_process(pid) {
            return Ok(super::base::PidDir::for_process(&process, self.ns.clone()));
        }
        let thread = table::find_thread(pid).ok_or(Errno::ENOENT)?;
        Ok(super::base::PidDir::for_process(
            &thread.process,
            self.ns.clone(),
        ))
    }

    fn read_dir(
        &self,
        offset: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        if offset < FIRST_PROCESS_ENTRY && !self.fixed.list_from(offset, sink) {
            return Ok(());
        }
        for (cookie, link, name) in [
            (FIRST_PROCESS_ENTRY, &self.self_link, &b"self"[..]),
            (FIRST_PROCESS_ENTRY + 1, &self.thread_self, b"thread-self"),
        ] {
            if offset <= cookie
                && !sink(DirEntry {
                    ino: link.ino(),
                    next_offset: cookie + 1,
                    file_type: FileType::Symlink,
                    name,
                })
            {
                return Ok(());
            }
        }
        // (number here, directory inode) of each process this instance shows.
        let mut pids: Vec<(Pid, u64)> = if self.ns.is_initial() {
            table::all_processes()
                .iter()
                .map(|p| (p.pid, p.serial))
                .collect()
        } else {
            self.ns
                .members()
                .into_iter()
                .filter_map(|(nr, global)| table::find_process(global).map(|p| (nr, p.serial)))
                .collect()
        };
        pids.sort_unstable();
        for (pid, serial) in pids {
            let cookie = TGID_OFFSET + u64::from(pid);
            if cookie < offset {
                continue;
            }
            let mut name = itoa::Buffer::new();
            let text = name.format(pid);
            if !sink(DirEntry {
                ino: ino::pid_entry(serial as u32, 0),
                next_offset: cookie + 1,
                file_type: FileType::Directory,
                name: text.as_bytes(),
            }) {
                return Ok(());
            }
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Minimal decimal formatting without allocation.
mod itoa {
    pub struct Buffer {
        bytes: [u8; 20],
    }

    impl Buffer {
        pub fn new() -> Buffer {
            Buffer { bytes: [0; 20] }
        }

        pub fn format(&mut self, mut value: u32) -> &str {
            let mut i = self.bytes.len();
            loop {
                i -= 1;
                self.bytes[i] = b'0' + (value % 10) as u8;
                value /= 10;
                if value == 0 {
                    break;
                }
            }
            core::str::from_utf8(&self.bytes[i..]).unwrap_or("0")
        }
    }
}

/// Memory figures in KiB, shared by meminfo and sysinfo-like callers.
pub struct MemoryFigures {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    /// Page-cache pages (all tmpfs pages: files, shared anonymous memory, memfd, SysV shm).
    pub cached: u64,
    /// The part of `cached` with no backing store: all of it today.
    pub shmem: u64,
    /// File and shared-memory pages mapped by at least one process.
    pub mapped: u64,
    /// Anonymous pages mapped by at least one process.
    pub anon: u64,
    /// Pages in locked areas (each counted once across its mappings).
    pub mlocked: u64,
    pub slab: u64,
    pub kernel_stack: u64,
    pub page_tables: u64,
    pub commit_limit: u64,
    pub committed: u64,
}

/// The memory figures now: the frame allocator's totals, the page-cache and shared-memory
/// counts, hal's mapped-page counters (`vmstat`), the heap, and per process the page tables and
/// locked pages.
pub fn memory_figures() -> MemoryFigures {
    let (total_frames, free_frames) = hal::mm::frame::stats();
    let total = total_frames as u64 * 4;
    let free = free_frames as u64 * 4;
    // Every cached page is a tmpfs or shmem page (shared anonymous memory, memfd, SysV shm
    // are files of the internal tmpfs).
    let shmem = vfs::page_cache::total_cached_pages() * 4;
    let mapped = hal::mm::vmstat::pages(hal::mm::vmstat::Item::FileMapped) as u64 * 4;
    let anon = hal::mm::vmstat::pages(hal::mm::vmstat::Item::AnonMapped) as u64 * 4;
    let (heap_bytes, _) = hal::mm::heap::stats();
    let slab = heap_bytes as u64 / 1024;
    let mut threads = 0u64;
    let mut page_tables = 0u64;
    let mut committed = 0u64;
    let mut mlocked = 0u64;
    for process in table::all_processes() {
        threads += process.threads.lock().len() as u64;
        if process.is_zombie() {
            continue;
        }
        mlocked += super::task_mmu::locked_pss_kib(&process);
        let mm = process.mm.get();
        let space = mm.read();
        page_tables += space.page_table_pages() as u64 * 4;
        committed += space.mapped_bytes_total() / 1024;
    }
    let kernel_stack = threads * KERNEL_STACK_KIB;
    // si_mem_available: free memory above the reserve; tmpfs pages cannot be reclaimed
    // without swap, and the heap is not reclaimable either.
    let reserve = hal::mm::frame::reserve_frames() as u64 * 4;
    let available = free.saturating_sub(reserve);
    let commit_limit = total * u64::from(crate::sysctl::overcommit_ratio()) / 100;
    MemoryFigures {
        total,
        free,
        available,
        cached: shmem,
        shmem,
        mapped,
        anon,
        mlocked,
        slab,
        kernel_stack,
        page_tables,
        commit_limit,
        committed,
    }
}

/// `/proc/meminfo` in Linux 6.1's order and widths (`show_val_kb`: `%8lu kB` after a label
/// padded to 16 columns). With no swap and no LRU lists, every swap-backed page (anonymous and
/// shared memory) is on the active anonymous list unless it is locked (`Unevictable`), and
/// there are no file LRU pages (no file system has a backing store).
fn meminfo(out: &mut Vec<u8>) -> Result<(), Errno> {
    let m = memory_figures();
    let unevictable = m.mlocked.min(m.anon + m.shmem);
    let active_anon = (m.anon + m.shmem) - unevictable;
    let rows: [(&str, u64); 42] = [
        ("MemTotal:", m.total),
        ("MemFree:", m.free),
        ("MemAvailable:", m.available),
        ("Buffers:", 0),
        ("Cached:", m.cached),
        ("SwapCached:", 0),
        ("Active:", active_anon),
        ("Inactive:", 0),
        ("Active(anon):", active_anon),
        ("Inactive(anon):", 0),
        ("Active(file):", 0),
        ("Inactive(file):", 0),
        ("Unevictable:", unevictable),
        ("Mlocked:", m.mlocked),
        ("SwapTotal:", 0),
        ("SwapFree:", 0),
        ("Dirty:", 0),
        ("Writeback:", 0),
        ("AnonPages:", m.anon),
        ("Mapped:", m.mapped),
        ("Shmem:", m.shmem),
        ("KReclaimable:", 0),
        ("Slab:", m.slab),
        ("SReclaimable:", 0),
        ("SUnreclaim:", m.slab),
        ("KernelStack:", m.kernel_stack),
        ("PageTables:", m.page_tables),
        ("SecPageTables:", 0),
        ("NFS_Unstable:", 0),
        ("Bounce:", 0),
        ("WritebackTmp:", 0),
        ("CommitLimit:", m.commit_limit),
        ("Committed_AS:", m.committed),
        ("VmallocTotal:", 34_359_738_367),
        ("VmallocUsed:", 0),
        ("VmallocChunk:", 0),
        ("Percpu:", 0),
        ("AnonHugePages:", 0),
        ("ShmemHugePages:", 0),
        ("ShmemPmdMapped:", 0),
        ("FileHugePages:", 0),
        ("FilePmdMapped:", 0),
    ];
    for (label, kib) in rows {
        out!(out, "{label:<16}{kib:>8} kB\n")?;
    }
    for label in [
        "HugePages_Total:",
        "HugePages_Free:",
        "HugePages_Rsvd:",
        "HugePages_Surp:",
    ] {
        out!(out, "{label:<16}{:>8}\n", 0)?;
    }
    out!(out, "{:<16}{:>8} kB\n", "Hugepagesize:", 2048)?;
    out!(out, "{:<16}{:>8} kB\n", "Hugetlb:", 0)?;
    out!(out, "{:<16}{:>8} kB\n", "DirectMap4k:", 0)?;
    out!(
        out,
        "{:<16}{:>8} kB\n",
        "DirectMap2M:",
        m.total.next_multiple_of(2048)
    )?;
    out!(out, "{:<16}{:>8} kB\n", "DirectMap1G:", 0)
}

/// Nanoseconds to `seconds.centiseconds`.
fn centiseconds(ns: u64) -> (u64, u64) {
    (ns / 1_000_000_000, (ns / 10_000_000) % 100)
}

/// `/proc/uptime`: time since boot (CLOCK_BOOTTIME of the reader's time namespace) and idle
/// time of all CPUs, in seconds with two decimals.
fn uptime(out: &mut Vec<u8>) -> Result<(), Errno> {
    let (up, up_cs) = centiseconds(crate::ns::time::boottime_for_caller(
        crate::time::monotonic_ns(),
    ));
    let (idle, idle_cs) = centiseconds(crate::time::idle_ns());
    out!(out, "{up}.{up_cs:02} {idle}.{idle_cs:02}\n")
}

/// `/proc/loadavg`: the three averages (rounded as `get_avenrun(.., FIXED_1/200)`), runnable
/// and total threads, the last pid handed out.
fn loadavg(out: &mut Vec<u8>) -> Result<(), Errno> {
    use crate::sched::stats::FIXED_1;
    let loads = crate::sched::stats::load_averages();
    for load in loads {
        let load = load + FIXED_1 / 200;
        let whole = load >> 11;
        let fraction = ((load & (FIXED_1 - 1)) * 100) >> 11;
        out!(out, "{whole}.{fraction:02} ")?;
    }
    let mut threads = 0usize;
    let mut running = 0usize;
    for process in table::all_processes() {
        for thread in process.threads.lock().iter() {
            threads += 1;
            if thread.sched.lock().state == crate::sched::TaskState::Running {
                running += 1;
            }
        }
    }
    let last = crate::process::try_current()
        .map_or_else(table::last_pid, |thread| thread.pid_ns().last_pid());
    out!(out, "{running}/{threads} {last}\n")
}

/// `/proc/stat`: CPU time in clock ticks (user, nice, system, idle, iowait, irq, softirq,
/// steal, guest, guest_nice) for all CPUs and each, then interrupts, context switches, boot
/// time, forks and running/blocked threads.
fn stat(out: &mut Vec<u8>) -> Result<(), Errno> {
    let tick_ns = crate::time::NSEC_PER_CLOCK_TICK;
    let up = crate::time::monotonic_ns();
    // Each online CPU's time since boot split into idle, user and the rest (system); the
    // first line adds them up, as Linux's `show_stat`.
    let online = hal::smp::online_mask();
    let times = |cpu: usize| {
        let idle = crate::time::cpu_idle_ns(cpu).min(up);
        let user = crate::sched::stats::cpu_user_ns(cpu).min(up - idle);
        [user, up - idle - user, idle]
    };
    let cpus = || (0..hal::sync::MAX_CPUS).filter(|&cpu| online & (1 << cpu) != 0);
    let total = cpus().map(times).fold([0u64; 3], |sum, times| {
        [sum[0] + times[0], sum[1] + times[1], sum[2] + times[2]]
    });
    let line = |[user, system, idle]: [u64; 3]| {
        alloc::format!(
            "{} 0 {} {} 0 0 0 0 0 0\n",
            user / tick_ns,
            system / tick_ns,
            idle / tick_ns
        )
    };
    out!(out, "cpu  {}", line(total))?;
    for cpu in cpus() {
        out!(out, "cpu{cpu} {}", line(times(cpu)))?;
    }
    out!(out, "intr {} {}\n", crate::sched::stats::ticks(), 0)?;
    out!(out, "ctxt {}\n", crate::sched::stats::context_switches())?;
    out!(
        out,
        "btime {}\n",
        crate::time::realtime_offset_ns() / 1_000_000_000
    )?;
    out!(out, "processes {}\n", table::forks())?;
    let mut running = 0usize;
    let mut blocked = 0usize;
    for process in table::all_processes() {
        for thread in process.threads.lock().iter() {
            match thread.sched.lock().state {
                crate::sched::TaskState::Running => running += 1,
                crate::sched::TaskState::Sleeping(crate::sched::SleepKind::Uninterruptible) => {
                    blocked += 1
                }
                _ => {}
            }
        }
    }
    out!(out, "procs_running {running}\nprocs_blocked {blocked}\n")?;
    out!(out, "softirq 0 0 0 0 0 0 0 0 0 0 0\n")
}

/// `/proc/interrupts`: a column per online CPU; the device lines, the local APIC timer (`LOC`)
/// and the error counters.
fn interrupts(out: &mut Vec<u8>) -> Result<(), Errno> {
    let online = hal::smp::online_mask();
    let cpus = || (0..hal::sync::MAX_CPUS).filter(move |&cpu| online & (1 << cpu) != 0);
    out!(out, "{:11}", "")?;
    for cpu in cpus() {
        out!(out, "CPU{cpu:<8}")?;
    }
    out!(out, "\n")?;
    crate::drivers::interrupts::render(out)?;
    out!(out, "LOC: ")?;
    for cpu in cpus() {
        out!(out, "{:>10} ", hal::irq::local_timer_count(cpu))?;
    }
    out!(out, "  Local timer interrupts\n")?;
    out!(out, "ERR: {:>10}\nMIS: {:>10}\n", 0, 0)
}
