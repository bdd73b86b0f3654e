//! sysinfo (Linux's `do_sysinfo` in `kernel/sys.c`): uptime and memory totals.

use super::args::UserPtr;
use super::{SyscallContext, SyscallResult};
use abi::Sysinfo;

pub fn sysinfo(_: &mut SyscallContext<'_>, info: UserPtr<Sysinfo>) -> SyscallResult {
    let (total_frames, free_frames) = hal::mm::frame::stats();
    let page = 4096u64;
    let value = Sysinfo {
        // Linux rounds the uptime up to whole seconds.
        uptime: hal::time::monotonic_ns().div_ceil(1_000_000_000) as i64,
        // The heap grows from the frames on demand, so free frames are free memory (Linux's
        // NR_FREE_PAGES).
        totalram: total_frames as u64 * page,
        freeram: free_frames as u64 * page,
        procs: 1,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    info.write(&value)?;
    Ok(0)
}
