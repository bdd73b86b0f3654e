//! sysinfo (Linux's `do_sysinfo` in `kernel/sys.c`): uptime, the load averages, the number of
//! tasks and memory totals, from the same sources as `/proc/uptime`, `/proc/loadavg` and
//! `/proc/meminfo` (LTP's sysinfo01 compares them). On x86-64 everything fits in an unsigned
//! long, so `mem_unit` is 1 and sizes are bytes, as Linux reports them. The uptime is the
//! caller's time namespace's.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Sysinfo;

pub fn sysinfo(_: &mut SyscallContext<'_>, info: UserPtr<Sysinfo>) -> SyscallResult {
    let (total_frames, free_frames) = hal::mm::frame::stats();
    let page = 4096u64;
    let value = Sysinfo {
        // CLOCK_BOOTTIME of the caller's time namespace, rounded up to whole seconds.
        uptime: crate::ns::time::boottime_for_caller(hal::time::monotonic_ns())
            .div_ceil(1_000_000_000) as i64,
        // The heap grows from the frames on demand, so free frames are free memory (Linux's
        // NR_FREE_PAGES).
        // avenrun's FSHIFT fixed point widened to SI_LOAD_SHIFT (16) bits.
        loads: crate::sched::stats::load_averages().map(|load| load << (16 - 11)),
        totalram: total_frames as u64 * page,
        freeram: free_frames as u64 * page,
        // Every cached page is a tmpfs or shmem page, /proc/meminfo's `Shmem`.
        sharedram: vfs::page_cache::total_cached_pages() * page,
        // Linux's nr_threads, saturated as its u16 field.
        procs: crate::process::table::nr_threads().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    info.write(&value)?;
    Ok(0)
}
