//! sysinfo (Linux's `do_sysinfo` in `kernel/sys.c`): uptime and memory totals.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Sysinfo;

pub fn sysinfo(_: &mut SyscallContext<'_>, info: UserPtr<Sysinfo>) -> SyscallResult {
    let (total_frames, free_frames) = hal::mm::frame::stats();
    let (heap_total, heap_used) = hal::mm::heap::stats();
    let page = 4096u64;
    let value = Sysinfo {
        // Linux rounds the uptime up to whole seconds.
        uptime: hal::time::monotonic_ns().div_ceil(1_000_000_000) as i64,
        // The heap's share of RAM is part of the frame total (only its static bootstrap part is
        // not); its unused bytes are memory the kernel can still hand out, so they count as
        // free, as Linux counts reclaimable slab in MemAvailable.
        totalram: total_frames as u64 * page + hal::mm::heap::bootstrap_bytes() as u64,
        freeram: free_frames as u64 * page + (heap_total - heap_used) as u64,
        procs: 1,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    info.write(&value)?;
    Ok(0)
}
