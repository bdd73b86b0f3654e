// The layout of the vDSO's data page ([vvar]), shared by the kernel, which writes it
// (`kernel/src/vdso/data.rs` includes this file), and the vDSO, which reads it (`kernel/build.rs`
// includes it too and writes these offsets into the vDSO's C header `vvar_layout.h`, where
// `vvar.h` checks its struct against them). Offsets in bytes from the start of the page;
// every field is naturally aligned.

/// `u32`: the sequence count, odd while the kernel updates the page (a seqlock).
pub const VVAR_SEQ: usize = 0;
/// `u32`: how the vDSO reads the clock: [`VCLOCK_NONE`] (ask the kernel) or [`VCLOCK_TSC`].
pub const VVAR_CLOCK_MODE: usize = 4;
/// `u64`: the TSC value the clocks count from.
pub const VVAR_TSC_BASE: usize = 8;
/// `u64`: nanoseconds per TSC cycle, shifted left by the shift.
pub const VVAR_MULT: usize = 16;
/// `u32`: the shift: nanoseconds = (TSC - base) * mult >> shift.
pub const VVAR_SHIFT: usize = 24;
/// `i32`: `struct timezone`'s `tz_minuteswest` (settimeofday).
pub const VVAR_TZ_MINUTESWEST: usize = 28;
/// `i32`: `struct timezone`'s `tz_dsttime`.
pub const VVAR_TZ_DSTTIME: usize = 32;
/// `u64`: CLOCK_MONOTONIC (and BOOTTIME, MONOTONIC_RAW) at the TSC base, in nanoseconds.
pub const VVAR_MONOTONIC_BASE_NS: usize = 40;
/// `u64`: CLOCK_REALTIME at the TSC base, in nanoseconds since the epoch.
pub const VVAR_REALTIME_BASE_NS: usize = 48;
/// `u64`: CLOCK_TAI minus CLOCK_REALTIME, in nanoseconds.
pub const VVAR_TAI_OFFSET_NS: usize = 56;
/// `u64`: CLOCK_MONOTONIC_COARSE: CLOCK_MONOTONIC at the last tick.
pub const VVAR_COARSE_MONOTONIC_NS: usize = 64;
/// `u64`: CLOCK_REALTIME_COARSE: CLOCK_REALTIME at the last tick (time() reads its seconds).
pub const VVAR_COARSE_REALTIME_NS: usize = 72;
/// `u64`: the resolution of the high-resolution clocks (clock_getres), in nanoseconds.
pub const VVAR_HRES_RESOLUTION_NS: usize = 80;
/// `u64`: the resolution of the coarse clocks (one tick), in nanoseconds.
pub const VVAR_COARSE_RESOLUTION_NS: usize = 88;
/// `i64`: in a time namespace's page, the namespace's CLOCK_MONOTONIC offset (also
/// MONOTONIC_RAW and MONOTONIC_COARSE), in nanoseconds; 0 in the system's page.
pub const VVAR_TIMENS_MONOTONIC_NS: usize = 96;
/// `i64`: in a time namespace's page, its CLOCK_BOOTTIME offset, in nanoseconds.
pub const VVAR_TIMENS_BOOTTIME_NS: usize = 104;
/// The bytes the fields take.
pub const VVAR_SIZE: usize = 112;

/// [`VVAR_CLOCK_MODE`]: no clock the vDSO can read; it makes the system call.
pub const VCLOCK_NONE: u32 = 0;
/// [`VVAR_CLOCK_MODE`]: the TSC, with the base, mult and shift of the page.
pub const VCLOCK_TSC: u32 = 1;
/// [`VVAR_CLOCK_MODE`]: a time namespace's page (its sequence count stays odd): the clocks are
/// in the system's page [`VVAR_TIMENS_DATA_PAGE`] pages above, plus this page's offsets (Linux's
/// `VDSO_CLOCKMODE_TIMENS`).
pub const VCLOCK_TIMENS: u32 = 2;

/// Pages of the [vvar] mapping below the vDSO (Linux 6.1 x86-64: the data page, then the
/// pvclock, Hyper-V clock and time-namespace pages). Ferrux backs the first for every task;
/// a task in a time namespace has its namespace's page first and the system's page at
/// [`VVAR_TIMENS_DATA_PAGE`], as Linux swaps them. The others are unbacked.
pub const VVAR_PAGES: usize = 4;
/// The page of the [vvar] mapping where a time-namespace task finds the system's data page.
pub const VVAR_TIMENS_DATA_PAGE: usize = 3;

/// The selector whose segment limit holds the CPU and NUMA node numbers for `getcpu`
/// (`GDT_ENTRY_CPUNODE` 15, user privilege): limit = node << 12 | cpu.
pub const CPUNODE_SELECTOR: u16 = 15 * 8 + 3;
