//! Time namespaces (Linux 6.1 `kernel/time/namespace.c`): per-namespace offsets of
//! CLOCK_MONOTONIC (with MONOTONIC_RAW and MONOTONIC_COARSE) and CLOCK_BOOTTIME (with
//! BOOTTIME_ALARM), as its tasks read them.
//!
//! unshare(`CLONE_NEWTIME`) makes a namespace for the caller's children (`time_for_children`,
//! with the offsets of the one it copies); clone3 with the flag makes one its child enters at
//! once. Its offsets are written through `/proc/PID/timens_offsets` until the first task enters
//! it (fork of a child, exec, setns): then they are frozen (`EACCES` after) and written into the
//! namespace's own vDSO data page, which its tasks map in place of the system's
//! ([`crate::vdso`]: the page says "time namespace" and gives the offsets; the system's page
//! then sits three pages higher). Each thread keeps its namespace's offsets beside its
//! namespaces ([`crate::process::Thread::clock_offsets`]) for the clock calls; absolute
//! times given to sleeps and timers are turned into the host's ([`to_host`]).

use super::NsCommon;
use super::user::UserNs;
use crate::vdso::data as vvar;
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};
use hal::mm::frame::{Frame, UniqueFrame};
use hal::sync::SpinLock;
use spin::Once;

/// `PROC_TIME_INIT_INO`.
pub const PROC_TIME_INIT_INO: u32 = 0xEFFF_FFFA;

/// A namespace's clock offsets, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offsets {
    pub monotonic_ns: i64,
    pub boottime_ns: i64,
}

/// A time namespace.
pub struct TimeNs {
    pub common: NsCommon,
    pub owner: Arc<UserNs>,
    /// The offsets (Linux's `offset_lock` guards them with the frozen flag). A leaf lock.
    offsets: SpinLock<Offsets>,
    /// Set when the first task entered: the offsets no longer change.
    frozen: AtomicBool,
    /// The namespace's vDSO data page (none for the initial namespace), filled at freezing.
    vvar_page: Option<Frame>,
}

static INITIAL: Once<Arc<TimeNs>> = Once::new();

/// The initial time namespace: no offsets, frozen from the start.
pub fn initial() -> &'static Arc<TimeNs> {
    INITIAL.call_once(|| {
        Arc::new(TimeNs {
            common: NsCommon::initial(PROC_TIME_INIT_INO),
            owner: super::user::initial().clone(),
            offsets: SpinLock::new("timens.offsets", Offsets::default()),
            frozen: AtomicBool::new(true),
            vvar_page: None,
        })
    })
}

impl TimeNs {
    /// A copy of `old` (its offsets, not frozen) owned by `owner` (`clone_time_ns`).
    pub fn try_new_child(old: &TimeNs, owner: Arc<UserNs>) -> Result<Arc<TimeNs>, Errno> {
        let mut page = UniqueFrame::try_new_zeroed()?;
        page.set_kind(hal::mm::vmstat::PageKind::Kernel);
        Ok(Arc::new(TimeNs {
            common: NsCommon::try_new()?,
            owner,
            offsets: SpinLock::new("timens.offsets", old.offsets()),
            frozen: AtomicBool::new(false),
            vvar_page: Some(page.into_shared()),
        }))
    }

    /// The offsets as they are now.
    pub fn offsets(&self) -> Offsets {
        *self.offsets.lock()
    }

    /// The page a task of this namespace maps as its vDSO data page (`None`: the system's).
    pub fn vvar_page(&self) -> Option<&Frame> {
        self.vvar_page.as_ref()
    }

    /// Freezes the offsets as a task enters, filling the vDSO page with them
    /// (`timens_set_vvar_page`); returns them.
    pub fn enter(&self) -> Offsets {
        if self.frozen.load(Ordering::Acquire) {
            return self.offsets();
        }
        let offsets = self.offsets.lock();
        if !self.frozen.load(Ordering::Relaxed) {
            if let Some(page) = &self.vvar_page {
                // Odd forever: the vDSO, seeing the time-namespace mode, reads the system's page.
                page.store_u32(vvar::VVAR_SEQ, 1, Ordering::Relaxed);
                page.store_u32(
                    vvar::VVAR_CLOCK_MODE,
                    vvar::VCLOCK_TIMENS,
                    Ordering::Relaxed,
                );
                page.store_u64(
                    vvar::VVAR_TIMENS_MONOTONIC_NS,
                    offsets.monotonic_ns as u64,
                    Ordering::Relaxed,
                );
                page.store_u64(
                    vvar::VVAR_TIMENS_BOOTTIME_NS,
                    offsets.boottime_ns as u64,
                    Ordering::Release,
                );
            }
            self.frozen.store(true, Ordering::Release);
        }
        *offsets
    }

    /// `proc_timens_set_offset` after the parse and range checks: `EACCES` once a task entered.
    pub fn set_offsets(&self, request: &[nsrules::timens::Offset]) -> Result<(), Errno> {
        let mut offsets = self.offsets.lock();
        if self.frozen.load(Ordering::Relaxed) {
            return Err(Errno::EACCES);
        }
        for offset in request {
            match offset.clock {
                nsrules::timens::CLOCK_MONOTONIC => offsets.monotonic_ns = offset.as_ns(),
                _ => offsets.boottime_ns = offset.as_ns(),
            }
        }
        Ok(())
    }
}

/// `CLOCK_*` offset of `clock` among `offsets` (0 for clocks no namespace shifts).
pub fn offset_of(offsets: &Offsets, clock: i32) -> i64 {
    use abi::time::{
        CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
        CLOCK_MONOTONIC_RAW,
    };
    match clock {
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE => offsets.monotonic_ns,
        CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => offsets.boottime_ns,
        _ => 0,
    }
}

/// An absolute time of `clock` as the caller's namespace reads it, as the host's
/// (`timens_ktime_to_host`: only CLOCK_MONOTONIC and the BOOTTIME clocks shift).
pub fn to_host(offsets: &Offsets, clock: i32, time_ns: u64) -> u64 {
    use abi::time::{CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC};
    match clock {
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => {
            nsrules::timens::to_host(time_ns, offset_of(offsets, clock))
        }
        _ => time_ns,
    }
}

/// The calling thread's clock offsets (none outside a thread), for the files and calls that
/// show times since boot (`/proc/uptime`, `/proc/PID/stat`'s start time, sysinfo).
pub fn current_offsets() -> Offsets {
    crate::process::try_current().map_or_else(Offsets::default, |thread| thread.clock_offsets())
}

/// CLOCK_BOOTTIME value `host_ns` as the caller's time namespace sees it (`timens_add_boottime`).
pub fn boottime_for_caller(host_ns: u64) -> u64 {
    nsrules::timens::from_host(host_ns, current_offsets().boottime_ns)
}
