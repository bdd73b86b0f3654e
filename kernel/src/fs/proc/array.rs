//! `/proc/<pid>/stat`, `statm` and `status`, and their per-thread versions (Linux's
//! `fs/proc/array.c`: `do_task_stat`, `proc_pid_statm`, `proc_pid_status`).
//!
//! stat's 52 fields in Linux 6.1's order: the process-wide version (`whole`) adds up the CPU
//! times of all threads and shows the leader's state; code/stack addresses and the
//! `start_data` … `exit_code` block are shown only to a caller allowed to inspect the process
//! (`1 1 0` and zeros otherwise, as Linux). Times are in clock ticks (`USER_HZ` 100).
//!
//! Not counted yet: major faults and the children's faults (0), `VmPeak` (the current size),
//! `VmPin` (no pinning).

use super::task_mmu::{MmFigures, figures};
use crate::out;
use crate::process::{Process, Thread};
use crate::sched::{SleepKind, TaskState};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use vfs::pseudo::push;

/// Which task a file describes: the whole process, or one thread of it.
/// `TracerPid`: the tracer of the thread (of the leader for the process-wide file).
fn tracer_pid(task: &Task<'_>) -> u32 {
    match &task.thread {
        Some(thread) => crate::process::ptrace::tracer_pid(thread),
        None => task
            .process
            .traced_by
            .lock()
            .upgrade()
            .map_or(0, |tracer| tracer.pid),
    }
}

/// `NS*:` values: the numbers of `global` from the viewer's level down, tab-separated.
fn ns_numbers(
    out: &mut Vec<u8>,
    ns: &crate::ns::pid::PidNs,
    global: u32,
    viewer: &crate::ns::pid::PidNs,
) -> Result<(), Errno> {
    let numbers = crate::ns::pid::numbers(ns, global, viewer);
    for (i, nr) in numbers.iter().enumerate() {
        out!(out, "{}{nr}", if i == 0 { "" } else { "\t" })?;
    }
    Ok(())
}

pub struct Task<'a> {
    pub process: &'a Arc<Process>,
    /// The thread (the leader for the process-wide files), if it still runs.
    pub thread: Option<Arc<Thread>>,
    /// Process-wide (`/proc/<pid>/…`) or one thread (`…/task/<tid>/…`).
    pub whole: bool,
    /// The proc instance's PID namespace: the ids are shown as it numbers them.
    pub ns: &'a Arc<crate::ns::pid::PidNs>,
}

impl Task<'_> {
    fn tid(&self) -> u32 {
        self.thread
            .as_ref()
            .map_or(self.process.pid, |thread| thread.tid())
    }

    fn comm(&self) -> [u8; 16] {
        match &self.thread {
            Some(thread) => thread.name(),
            None => *self.process.name.lock(),
        }
    }
}

fn comm_bytes(comm: &[u8; 16]) -> &[u8] {
    let len = comm.iter().position(|&b| b == 0).unwrap_or(16);
    &comm[..len]
}

/// The state letter and its name (`task_state_array`).
pub fn state(task: &Task<'_>) -> (char, &'static str) {
    if task.process.is_zombie() || task.thread.is_none() {
        return ('Z', "zombie");
    }
    if task.process.lifecycle.lock().stopped_by.is_some() {
        return ('T', "stopped");
    }
    let state = task
        .thread
        .as_ref()
        .map_or(TaskState::Dead, |thread| thread.sched.lock().state);
    match state {
        TaskState::Running => ('R', "running"),
        TaskState::Sleeping(SleepKind::Interruptible) => ('S', "sleeping"),
        TaskState::Sleeping(_) => ('D', "disk sleep"),
        TaskState::Stopped => ('T', "stopped"),
        TaskState::Traced => ('t', "tracing stop"),
        TaskState::Dead => ('X', "dead"),
    }
}

fn ticks(ns: u64) -> u64 {
    ns / crate::time::NSEC_PER_CLOCK_TICK
}

/// Pending, blocked, ignored and caught signal sets.
struct SignalSets {
    pending: u64,
    shared_pending: u64,
    blocked: u64,
    ignored: u64,
    caught: u64,
}

fn signal_sets(task: &Task<'_>) -> SignalSets {
    let (ignored, caught) = {
        let signals = task.process.signals.get();
        let signals = signals.lock();
        let mut ignored = 0u64;
        let mut caught = 0u64;
        for signal in 1..=64u32 {
            match signals.action(signal).handler {
                0 => {}
                1 => ignored |= 1 << (signal - 1),
                _ => caught |= 1 << (signal - 1),
            }
        }
        (ignored, caught)
    };
    let (pending, blocked) = match &task.thread {
        Some(thread) => (
            thread.pending.lock().set(),
            thread.signal_mask.load(Ordering::Relaxed),
        ),
        None => (0, 0),
    };
    SignalSets {
        pending,
        shared_pending: task.process.shared_pending.lock().set(),
        blocked,
        ignored,
        caught,
    }
}

/// The controlling terminal's device number (`new_encode_dev`) and its foreground group.
fn tty(process: &Process) -> (u64, i64) {
    match crate::tty::job::controlling_tty(process) {
        Some(tty) => {
            let foreground = tty.state.lock().job.pgrp;
            (tty.rdev, foreground.map_or(-1, i64::from))
        }
        None => (0, -1),
    }
}

/// `/proc/<pid>/stat` and `/proc/<pid>/task/<tid>/stat`.
pub fn stat(task: &Task<'_>, out: &mut Vec<u8>) -> Result<(), Errno> {
    let process = task.process;
    let permitted = super::may_inspect(process);
    let (state, _) = state(task);
    let comm = task.comm();
    let (tty_nr, tpgid) = tty(process);
    let (user_ns, system_ns) = if task.whole {
        process.cpu_times_ns()
    } else {
        task.thread.as_ref().map_or((0, 0), |thread| {
            let total = thread.cpu_time_ns();
            let user = thread.user_time_ns().min(total);
            (user, total - user)
        })
    };
    let usage = *process.usage.lock();
    let (nice, policy, rt_priority, effective_rt, cpu) =
        task.thread.as_ref().map_or((0, 0, 0, 0, 0), |thread| {
            let info = thread.sched.lock();
            let effective = match info.class() {
                sched_policy::Class::RealTime { priority, .. } => priority,
                sched_policy::Class::Fair => 0,
            };
            (
                info.nice,
                info.policy,
                info.rt_priority,
                effective,
                info.cpu,
            )
        });
    // `task_prio`: the effective priority, a priority-inheritance boost included (-101 for
    // SCHED_DEADLINE).
    let priority = if effective_rt > 0 {
        -1 - i64::from(effective_rt)
    } else {
        20 + i64::from(nice)
    };
    let num_threads = process.threads.lock().len();
    let has_mm = !process.is_zombie();
    let (vsize, rss, layout, start_brk) = if has_mm {
        let mm = process.mm.get();
        let space = mm.read();
        (
            space.mapped_bytes_total(),
            space.resident_pages() as u64,
            space.layout.clone(),
            space.brk_start,
        )
    } else {
        (0, 0, Default::default(), 0)
    };
    let rsslim = process
        .limits
        .lock()
        .get(crate::process::rlimit::RLIMIT_RSS)
        .map_or(u64::MAX, |limit| limit.soft);
    let signals = signal_sets(task);
    let flags = process.flags.lock();
    let mut pf = 0x0040_0000u32; // PF_RANDOMIZE
    if !flags.has_execed {
        pf |= 0x40; // PF_FORKNOEXEC
    }
    drop(flags);
    let is_exiting = process.lifecycle.lock().group_exit.is_some();
    if is_exiting {
        pf |= 0x4; // PF_EXITING
    }
    let code = |value: u64, hidden: u64| match (has_mm, permitted) {
        (false, _) => 0,
        (true, true) => value,
        (true, false) => hidden,
    };
    let wchan = permitted && (!task.whole || num_threads < 2) && state != 'R';
    let exit_signal: i64 = if task.whole || task.tid() == process.pid {
        i64::from(process.exit_signal)
    } else {
        -1
    };
    let exit_code = match process.lifecycle.lock().zombie {
        Some(status) if permitted => i64::from(status.wait_status()),
        _ => 0,
    };
    let ns = task.ns.clone();
    out!(out, "{} (", ns.nr_of(task.tid()))?;
    push(out, comm_bytes(&comm))?;
    out!(
        out,
        ") {state} {} {} {} {tty_nr} {tpgid} {pf} {} 0 0 0 {} {} {} {} {priority} {nice} {num_threads} 0 {} {vsize} {rss} {rsslim} {} {} {} 0 0 {} {} {} {} {} 0 0 {exit_signal} {cpu} {rt_priority} {policy} 0 0 0",
        process.parent_pid_in(&ns),
        ns.nr_of(process.pgid()),
        ns.nr_of(process.sid()),
        process.stats.minor_faults.load(Ordering::Relaxed),
        ticks(user_ns),
        ticks(system_ns),
        ticks(usage.children_user_ns),
        ticks(usage.children_system_ns),
        // In the reader's time namespace (`timens_add_boottime_ns`).
        ticks(crate::ns::time::boottime_for_caller(process.start_time_ns)),
        code(layout.start_code, 1),
        code(layout.end_code, 1),
        code(layout.start_stack, 0),
        signals.pending & 0x7fff_ffff,
        signals.blocked & 0x7fff_ffff,
        signals.ignored & 0x7fff_ffff,
        signals.caught & 0x7fff_ffff,
        u8::from(wchan),
    )?;
    if has_mm && permitted {
        out!(
            out,
            " {} {} {} {} {} {} {}",
            layout.start_data,
            layout.end_data,
            start_brk,
            layout.arg_start,
            layout.arg_end,
            layout.env_start,
            layout.env_end
        )?;
    } else {
        push(out, b" 0 0 0 0 0 0 0")?;
    }
    out!(out, " {exit_code}\n")
}

/// `/proc/<pid>/statm`: size, resident, shared, text, lib (0), data, dirty (0), in pages.
pub fn statm(process: &Process, out: &mut Vec<u8>) -> Result<(), Errno> {
    let f = figures(process);
    let text = if process.is_zombie() {
        0
    } else {
        let mm = process.mm.get();
        let layout = &mm.read().layout;
        (layout.end_code.next_multiple_of(4096) - (layout.start_code & !0xfff)) / 4096
    };
    out!(
        out,
        "{} {} {} {} 0 {} 0\n",
        f.total_vm,
        f.rss_anon + f.rss_file + f.rss_shmem,
        f.rss_file + f.rss_shmem,
        text,
        f.data_vm + f.stack_vm
    )
}

fn kb(out: &mut Vec<u8>, label: &str, pages: u64) -> Result<(), Errno> {
    out!(out, "{label}:\t{:>8} kB\n", pages * 4)
}

/// `/proc/<pid>/status` and `/proc/<pid>/task/<tid>/status`.
pub fn status(task: &Task<'_>, out: &mut Vec<u8>) -> Result<(), Errno> {
    let process = task.process;
    let (letter, name) = state(task);
    let comm = task.comm();
    push(out, b"Name:\t")?;
    // Linux escapes the name as `seq_escape` with "\n\\".
    for &b in comm_bytes(&comm) {
        match b {
            b'\n' => push(out, b"\\n")?,
            b'\\' => push(out, b"\\\\")?,
            _ => push(out, &[b])?,
        }
    }
    let umask = process.fs.get().lock().umask;
    out!(out, "\nUmask:\t{umask:04o}\nState:\t{letter} ({name})\n")?;
    let ns = task.ns.clone();
    out!(
        out,
        "Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t{}\n",
        process.pid_in(&ns),
        ns.nr_of(task.tid()),
        process.parent_pid_in(&ns),
        ns.nr_of(tracer_pid(task))
    )?;
    let credentials = process.credentials.lock().clone();
    out!(
        out,
        "Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n",
        credentials.uid,
        credentials.euid,
        credentials.suid,
        credentials.fsuid,
        credentials.gid,
        credentials.egid,
        credentials.sgid,
        credentials.fsgid
    )?;
    let fd_size = process.files.get().lock().max_fds();
    out!(out, "FDSize:\t{fd_size}\nGroups:\t")?;
    for (i, group) in credentials.groups.iter().enumerate() {
        out!(out, "{}{group}", if i == 0 { "" } else { " " })?;
    }
    push(out, b" \nNStgid:\t")?;
    ns_numbers(out, &process.pid_ns, process.pid, &ns)?;
    push(out, b"\nNSpid:\t")?;
    ns_numbers(out, &process.pid_ns, task.tid(), &ns)?;
    push(out, b"\nNSpgid:\t")?;
    ns_numbers(out, &process.pid_ns, process.pgid(), &ns)?;
    push(out, b"\nNSsid:\t")?;
    ns_numbers(out, &process.pid_ns, process.sid(), &ns)?;
    push(out, b"\n")?;
    if !process.is_zombie() {
        let f: MmFigures = figures(process);
        let rss = f.rss_anon + f.rss_file + f.rss_shmem;
        let hwm = (process.max_rss_kib() / 4).max(rss);
        let text = {
            let mm = process.mm.get();
            let layout = &mm.read().layout;
            (layout.end_code.saturating_sub(layout.start_code)).div_ceil(4096)
        };
        kb(out, "VmPeak", f.total_vm)?;
        kb(out, "VmSize", f.total_vm)?;
        kb(out, "VmLck", f.locked_vm)?;
        kb(out, "VmPin", 0)?;
        kb(out, "VmHWM", hwm)?;
        kb(out, "VmRSS", rss)?;
        kb(out, "RssAnon", f.rss_anon)?;
        kb(out, "RssFile", f.rss_file)?;
        kb(out, "RssShmem", f.rss_shmem)?;
        kb(out, "VmData", f.data_vm)?;
        kb(out, "VmStk", f.stack_vm)?;
        kb(out, "VmExe", text)?;
        kb(out, "VmLib", f.exec_vm.saturating_sub(text))?;
        kb(out, "VmPTE", f.page_table_pages)?;
        kb(out, "VmSwap", 0)?;
        kb(out, "HugetlbPages", 0)?;
        push(out, b"CoreDumping:\t0\nTHP_enabled:\t1\n")?;
    }
    let threads = process.threads.lock().len();
    let queued = task
        .thread
        .as_ref()
        .map_or(0, |thread| thread.pending.lock().queued())
        + process.shared_pending.lock().queued();
    let sigpending_limit = process
        .limits
        .lock()
        .get(crate::process::rlimit::RLIMIT_SIGPENDING)
        .map_or(0, |limit| limit.soft);
    let s = signal_sets(task);
    out!(
        out,
        "Threads:\t{threads}\nSigQ:\t{queued}/{sigpending_limit}\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\n",
        s.pending,
        s.shared_pending,
        s.blocked,
        s.ignored,
        s.caught
    )?;
    let caps = &credentials.caps;
    out!(
        out,
        "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t{:016x}\n",
        caps.inheritable.0,
        caps.permitted.0,
        caps.effective.0,
        caps.bounding.0,
        caps.ambient.0
    )?;
    let no_new_privs = u8::from(process.flags.lock().no_new_privs);
    let (seccomp_mode, seccomp_filters) = match &task.thread {
        Some(thread) => (
            crate::seccomp::mode(thread),
            thread.seccomp.lock().filter_count(),
        ),
        None => (0, 0),
    };
    out!(
        out,
        "NoNewPrivs:\t{no_new_privs}\nSeccomp:\t{seccomp_mode}\nSeccomp_filters:\t{seccomp_filters}\nSpeculation_Store_Bypass:\tnot vulnerable\nSpeculationIndirectBranch:\talways enabled\n"
    )?;
    // The thread's affinity within the possible CPUs (`%*pb` and `%*pbl` of `cpus_mask`).
    let possible = hal::smp::possible_mask();
    let allowed = task
        .thread
        .as_ref()
        .map_or(possible, |thread| thread.sched.lock().affinity & possible);
    let digits = (possible.count_ones() as usize).div_ceil(4).max(1);
    out!(
        out,
        "Cpus_allowed:\t{allowed:0digits$x}\nCpus_allowed_list:\t"
    )?;
    let mut first = true;
    let mut cpu = 0;
    while cpu < 64 {
        if allowed & (1 << cpu) == 0 {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu < 63 && allowed & (1 << (cpu + 1)) != 0 {
            cpu += 1;
        }
        let separator = if first { "" } else { "," };
        if start == cpu {
            out!(out, "{separator}{start}")?;
        } else {
            out!(out, "{separator}{start}-{cpu}")?;
        }
        first = false;
        cpu += 1;
    }
    push(out, b"\nMems_allowed:\t")?;
    for _ in 0..31 {
        push(out, b"00000000,")?;
    }
    push(out, b"00000001\nMems_allowed_list:\t0\n")?;
    let (voluntary, involuntary) = if task.whole {
        process
            .threads
            .lock()
            .iter()
            .fold((0, 0), |(v, i), thread| {
                let info = thread.sched.lock();
                (v + info.voluntary_switches, i + info.involuntary_switches)
            })
    } else {
        task.thread.as_ref().map_or((0, 0), |thread| {
            let info = thread.sched.lock();
            (info.voluntary_switches, info.involuntary_switches)
        })
    };
    out!(
        out,
        "voluntary_ctxt_switches:\t{voluntary}\nnonvoluntary_ctxt_switches:\t{involuntary}\n"
    )
}
