//! The OOM killer (Linux's `mm/oom_kill.c`): when a page for user memory cannot be allocated,
//! the process with the highest badness gets SIGKILL, so that the system carries on.
//!
//! Badness follows `oom_badness`: the victim's resident pages plus its page-table pages (there
//! is no swap), plus `oom_score_adj` thousandths of all RAM; `oom_score_adj = -1000` (OOM
//! disabled) and init are never chosen, nor a process already exiting. While a victim chosen
//! earlier is still dying, no new one is chosen: the faulting task waits a tick for the memory
//! to come back and retries (Linux's `oom_evaluate_task` aborting on `tsk_is_oom_victim`).
//!
//! Not done: cgroup and cpuset constraints (there are none), `oom_kill_allocating_task`, the
//! OOM reaper (exit frees the victim's memory promptly here, since exit runs on the next
//! return of each of its threads).

use crate::process::{self, Process, Thread};
use abi::signal::{SI_KERNEL, SigInfo};
use alloc::sync::Arc;

/// `OOM_SCORE_ADJ_MIN`: the process is never chosen.
pub const OOM_SCORE_ADJ_MIN: i16 = -1000;

/// What the OOM killer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomOutcome {
    /// The calling process was chosen and has been sent SIGKILL.
    KilledCurrent,
    /// Another process was sent SIGKILL, or is already dying: wait for its memory and retry.
    MemoryComing,
    /// Nobody can be killed (only init and unkillable processes are left).
    NoVictim,
}

/// A process's badness, or `None` if it must not be chosen.
fn badness(process: &Arc<Process>, total_pages: u64) -> Option<i64> {
    if process.pid == 1 || process.is_zombie() {
        return None;
    }
    let adjust = process.flags.lock().oom_score_adj;
    if adjust == OOM_SCORE_ADJ_MIN {
        return None;
    }
    let mm = process.mm.get();
    let (resident, table_pages) = {
        let space = mm.read();
        (
            space.resident_pages() as i64,
            space.page_table_pages() as i64,
        )
    };
    let points = resident + table_pages + i64::from(adjust) * total_pages as i64 / 1000;
    // Linux gives an eligible process at least one point.
    Some(points.max(1))
}

/// The badness `/proc/<pid>/oom_score` scales (`oom_badness`), `None` for a process the OOM
/// killer never chooses.
pub fn badness_points(process: &Arc<Process>, total_pages: u64) -> Option<i64> {
    badness(process, total_pages)
}

fn is_dying(process: &Arc<Process>) -> bool {
    process.lifecycle.lock().group_exit.is_some() || process.is_zombie()
}

/// Chooses a victim and kills it (`out_of_memory`).
pub fn out_of_memory(current: &Arc<Thread>) -> OomOutcome {
    // File pages first: dirty ones written, clean ones dropped (`shrink_page_list`).
    if crate::fs::ext4::writeback::reclaim() > 0 {
        return OomOutcome::MemoryComing;
    }
    let (total_frames, _) = hal::mm::frame::stats();
    let mut chosen: Option<(i64, Arc<Process>)> = None;
    for candidate in process::table::all_processes() {
        if candidate.pid != 1 && is_dying(&candidate) && !candidate.is_zombie() {
            // A victim is still on its way out: its memory is coming.
            return if Arc::ptr_eq(&candidate, &current.process) {
                OomOutcome::KilledCurrent
            } else {
                OomOutcome::MemoryComing
            };
        }
        let Some(points) = badness(&candidate, total_frames as u64) else {
            continue;
        };
        if chosen.as_ref().is_none_or(|(best, _)| points > *best) {
            chosen = Some((points, candidate));
        }
    }
    let Some((_, victim)) = chosen else {
        return OomOutcome::NoVictim;
    };
    report_kill(&victim);
    crate::signal::send::send_to_process(
        &victim,
        SigInfo::new(sigrules::SIGKILL as i32, SI_KERNEL),
    );
    if Arc::ptr_eq(&victim, &current.process) {
        OomOutcome::KilledCurrent
    } else {
        OomOutcome::MemoryComing
    }
}

/// Linux's `Out of memory: Killed process …` line.
fn report_kill(victim: &Arc<Process>) {
    let mm = victim.mm.get();
    let (total_vm_kib, rss_kib, tables_kib) = {
        let space = mm.read();
        (
            space.mapped_bytes_total() / 1024,
            space.resident_pages() as u64 * 4,
            space.page_table_pages() as u64 * 4,
        )
    };
    let name = *victim.name.lock();
    let name = core::str::from_utf8(&name)
        .unwrap_or("?")
        .trim_end_matches('\0');
    let uid = victim.credentials.lock().uid;
    let adjust = victim.flags.lock().oom_score_adj;
    log::error!(
        "Out of memory: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:0kB, \
         shmem-rss:0kB, UID:{} pgtables:{}kB oom_score_adj:{}",
        victim.pid,
        name,
        total_vm_kib,
        rss_kib,
        uid,
        tables_kib,
        adjust
    );
}

/// Waits up to one tick for a dying victim's memory, as the retry loop of Linux's page
/// allocator sleeps (`schedule_timeout_uninterruptible(1)`); returns early for a fatal signal.
pub fn wait_for_memory(current: &Arc<Thread>) {
    let deadline = crate::time::monotonic_ns() + 1_000_000_000 / hal::time::TICK_HZ;
    let _ = crate::sched::wait::sleep_until(current, deadline, crate::sched::SleepKind::Killable);
}
